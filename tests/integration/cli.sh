#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The operator contract: attach/detach, attaching twice, bad input (exit 2,
# a message naming the bad part, no state change), -i resolution, two
# namespaces' eth0, bpffs under `ip netns exec`, non-root, dry run.
P=xgcli-
. "$(dirname "$0")/../lib.sh"
t_start

# libxdp: its dispatcher where the kernel allows it, else a single program,
# said plainly; a foreign single program on the interface is named
lab_exec ${P}srv xdp-loader load -m skb eth1 /usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o >/dev/null 2>&1
out=$(xg_srv attach eth1 --mode skb 2>&1); rc=$?
expect_eq "attach beside a foreign XDP program fails" "$rc" 1
check "the failure names the foreign program" grep -q "xdpfilt_alw_all" <<<"$out"
expect_eq "the failed attach left no pins" "$(t_pin_dirs)" ""
check "the foreign program is untouched" bash -c "ip -n ${P}srv link show eth1 | grep -q xdpfilt_alw_all"
lab_exec ${P}srv xdp-loader unload --all eth1 >/dev/null 2>&1
out=$(xg_srv attach eth0 2>&1); rc=$?
expect_eq "attach eth0" "$rc" 0
disp=$(xg_srv status -i eth0 --json | json_get 'd["interfaces"][0]["attach"]')
if [ "$disp" == "libxdp dispatcher" ]; then
	ok "libxdp dispatcher in use"
else
	check "no dispatcher: the fallback is said plainly" grep -q "refused the dispatcher" <<<"$out"
fi
check "attach eth1 in skb mode" xg_srv attach eth1 --mode skb
dir0=$(t_pin_dirs | grep -- -eth0)
out=$(xg_srv attach eth0 2>&1); rc=$?
expect_eq "attach twice fails" "$rc" 1
check "attach twice says why" grep -q "already attached" <<<"$out"
expect_eq "attach twice changes nothing" "$(t_pin_dirs | grep -- -eth0)" "$dir0"
check "pins are root-only (0600)" bash -c \
	"[ -z \"\$(find $XG_PINS -type f ! -perm 600)\" ]"
check "xdp on eth0 (native)" bash -c "ip -n ${P}srv link show eth0 | grep -q 'prog/xdp '"
check "xdp on eth1 (generic)" bash -c "ip -n ${P}srv link show eth1 | grep -q 'xdpgeneric'"

out=$(xg_srv rate set --pps 10 2>&1); rc=$?
expect_eq "-i omitted with two attached: usage error" "$rc" 2
check "-i omitted names the candidates" grep -q "eth0, eth1\|eth1, eth0" <<<"$out"

state() {	# the policy as the CLI shows it, and the maps as bpftool dumps them
	local i m d
	for i in eth0 eth1; do
		xg_srv rate show -i $i --json
		xg_srv allow list -i $i --json
		xg_srv deny list -i $i --json
	done
	for d in $(t_pin_dirs); do
		for m in xg_config xg_port_rate xg_allow4 xg_allow6 xg_deny4 \
			 xg_deny6 xg_info xg_journal; do
			echo "$m: $(bpftool -j map dump pinned "$d/$m" | md5sum)"
		done
	done
}
xg_srv allow add -i eth0 198.18.9.0/24 >/dev/null
xg_srv deny add -i eth0 198.19.9.9 2001:db8:bad::/48 >/dev/null
xg_srv rate set -i eth0 --port 443 --pps 7 >/dev/null
before=$(state)

# each: the arguments, then a word the message must contain
bad=(
	"rate set -i eth0 --pps -5|--pps '-5'"
	"rate set -i eth0 --pps 1x|--pps '1x'"
	"rate set -i eth0 --pps 100000001|--pps"
	"rate set -i eth0 --pps 5 --burst 0|--burst '0'"
	"rate set -i eth0 --burst 5|missing --pps"
	"rate set -i eth0 --port 0 --pps 5|--port '0'"
	"rate set -i eth0 --port 65536 --pps 5|--port '65536'"
	"rate set -i eth0 --port http --pps 5|--port 'http'"
	"rate set -i eth0 --pps 5 extra|unexpected argument 'extra'"
	"rate set -i eth0 --pps|option '--pps' needs a value"
	"rate del -i eth0|missing --port"
	"rate frob|unknown verb 'rate frob' (accepted: show, set, del)"
	"rate set -i nosuch0 --pps 5|unknown interface 'nosuch0'"
	"rate set -i lo --pps 5|'lo' is not attached"
	"allow add -i eth0 198.18.0.1/15|host bits set"
	"allow add -i eth0 198.18.0.0/33|prefix length '33'"
	"allow add -i eth0 198.18.0.0/|prefix length ''"
	"allow add -i eth0 300.1.1.1|'300.1.1.1'"
	"allow add -i eth0 2001:db8::/129|prefix length '129'"
	"allow add -i eth0 2001:db8::1/32|host bits set"
	"allow add -i eth0 198.18.3.0/24 bogus|'bogus'"
	"allow add -i eth0|missing CIDR"
	"allow add -i eth0 198.18.0.0/24 --ttl 5m|--ttl applies to deny add"
	"deny add -i eth0 198.18.4.0/24 --ttl 5x|--ttl '5x'"
	"deny add -i eth0 198.18.4.0/24 --ttl 0|--ttl '0'"
	"deny add -i eth0 198.18.4.0/24 --ttl 400d|--ttl '400d'"
	"deny add -i eth0 198.18.4.0/24 --ttl -1|--ttl '-1'"
	"deny list -i eth0 198.18.4.0/24|unexpected argument"
	"deny frob|unknown verb 'deny frob' (accepted: list, add, del)"
	"deny add -i eth0 198.18.4.0/24 198.18.4.1/24|host bits set"
	"attach|missing IFACE"
	"attach nosuch0|unknown interface 'nosuch0'"
	"attach eth0 --mode turbo|--mode 'turbo'"
	"attach eth0 --sources 12|--sources '12'"
	"attach eth0 --prefix4 33|--prefix4 '33'"
	"attach eth0 --prefix6 16|--prefix6 '16'"
	"attach eth0 eth1|one IFACE only"
	"detach|missing IFACE"
	"detach nosuch0|'nosuch0'"
	"status -i nosuch0|unknown interface 'nosuch0'"
	"status --frob|unknown option '--frob'"
	"top -i eth0 --count 0|--count '0'"
	"top -i eth0 --interval 99|--interval '99'"
	"events --frob|unknown option '--frob'"
	"frobnicate|unknown object 'frobnicate'"
	"export --listen nohost|--listen 'nohost'"
	"export --listen 127.0.0.1:99999|--listen '127.0.0.1:99999'"
	"export --textfile /tmp/x --interval 0|--interval '0'"
	"export --once --listen 127.0.0.1:9400|--once applies"
	"apply -i eth0|missing -f"
	"apply -i eth0 -f /nonexistent/policy|cannot read -f '/nonexistent/policy'"
	"save -i eth0 extra|unexpected argument 'extra'"
	"top -i eth0 --json|--json needs --once"
	"attach --replace lo|lo is not attached"
	"attach --replace --pps 5 eth0|--replace keeps every setting"
	"deny add -i eth0 ::ffff:1.2.3.4/200|prefix length '200'"
	"rate show -i eth0 --port 80|--port belongs to rate set del, not rate show"
	"rate del -i eth0 --port 80 --pps 3|--pps belongs to rate set, not rate del"
)
nbad=0
for b in "${bad[@]}"; do
	args=${b%%|*} want=${b#*|}
	# shellcheck disable=SC2086
	out=$(xg_srv $args 2>&1); rc=$?
	nbad=$((nbad + 1))
	if [ "$rc" -eq 2 ] && grep -qF -- "$want" <<<"$out"; then
		ok "bad input: xdpguard $args"
	else
		not_ok "bad input: xdpguard $args: exit $rc, message: $out"
	fi
done
expect_eq "bad input changed nothing (CLI view and map dumps)" "$(state)" "$before"
check "at least 50 bad command lines tried ($nbad)" test "$nbad" -ge 50

out=$(xg_srv deny del -i eth0 198.19.9.9 198.19.8.8 2>&1); rc=$?
expect_eq "deny del of a missing prefix fails" "$rc" 1
expect_eq "deny del is all-or-nothing" "$(state)" "$before"

out=$(ip netns exec ${P}srv "$XG" status 2>&1); rc=$?
expect_eq "under ip netns exec: runtime failure" "$rc" 1
check "under ip netns exec: says to use nsenter" grep -q "nsenter" <<<"$out"

out=$(lab_exec ${P}srv setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$XG" rate set -i eth0 --pps 1 2>&1); rc=$?
expect_eq "non-root: a runtime failure (exit 1), not a usage error" "$rc" 1
check "non-root: names the capabilities it needs" grep -q "not privileged: needs CAP_DAC_OVERRIDE, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF" <<<"$out"
out=$(lab_exec ${P}srv setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$XG" status 2>&1); rc=$?
expect_eq "non-root status: exit 1" "$rc" 1
check "... it needs CAP_DAC_OVERRIDE alone" grep -q "needs CAP_DAC_OVERRIDE, which" <<<"$out"
# a reader of its own: CAP_DAC_OVERRIDE reads what root reads, and no more
rd() { lab_exec ${P}srv setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all,+dac_override --ambient-caps=-all,+dac_override \
	--bounding-set=-all,+dac_override "$XG" "$@"; }
expect_eq "a user with CAP_DAC_OVERRIDE alone: rate show as root sees it" \
	"$(rd rate show -i eth0 --json)" "$(xg_srv rate show -i eth0 --json)"
expect_eq "... status says protection is on (state ok)" \
	"$(rd status -i eth0 --json | json_get 'd["interfaces"][0]["state"]')" ok
out=$(rd deny add -i eth0 198.19.99.0/24 2>&1); rc=$?
expect_eq "... cannot change anything: exit 1" "$rc" 1
check "... saying what it lacks" grep -q "not privileged: needs CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF" <<<"$out"
check "non-root cannot open pins" bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat $dir0/xg_config 2>/dev/null"
expect_eq "non-root changed nothing" "$(state)" "$before"

# two namespaces, each with an eth0
ip -n ${P}cli link set c0 down
ip -n ${P}cli link set c0 name eth0
ip -n ${P}cli link set eth0 up
check "attach eth0 in a second namespace" lab_exec ${P}cli "$XG" attach eth0 --mode skb
n=$(t_pin_dirs | grep -c -- -eth0)
expect_eq "two eth0 pin folders" "$n" 2
check "detach eth0 in the second namespace" lab_exec ${P}cli "$XG" detach eth0
check "first namespace's eth0 still attached" bash -c "xg_srv() { lab_exec ${P}srv $XG \"\$@\"; }; . $ROOT/scripts/lab.sh; xg_srv status -i eth0 >/dev/null && ip -n ${P}srv link show eth0 | grep -q prog/xdp"
expect_eq "first namespace's policy intact" "$(state)" "$before"

t_snapshot
check "detach eth0" xg_srv detach eth0
check "detach eth1" xg_srv detach eth1
t_nothing_left

# dry run: over-budget SYNs are counted, none dropped
ip -n ${P}cli link set eth0 down
ip -n ${P}cli link set eth0 name c0
ip -n ${P}cli link set c0 up
check "attach --dry-run" xg_srv attach eth1 --dry-run --pps 1 --burst 1
lab_exec ${P}srv timeout 600 socat -u TCP-LISTEN:7000,fork,reuseaddr OPEN:/dev/null &
sleep 0.3
fails=0
for i in $(seq 1 10); do
	lab_exec ${P}cli timeout 2 bash -c "echo x >/dev/tcp/$LAB_SRV4_C/7000" || fails=$((fails + 1))
done
expect_eq "dry run: every connection succeeds" "$fails" 0
js=$(xg_srv status -i eth1 --json)
wd=$(json_get 'd["interfaces"][0]["totals"]["would_drop"]' <<<"$js")
dr=$(json_get 'd["interfaces"][0]["totals"]["drop"]' <<<"$js")
check "dry run: would-drop counted ($wd)" test "$wd" -ge 5
expect_eq "dry run: nothing dropped" "$dr" 0
# a list changed behind xdpguard (bpftool): status says so, and the next
# deny change rebuilds the filters (docs/lists.md)
d=$(t_pin_dirs | grep -- '-eth1$')
# xg_lpm4 { 32, 198.18.11.11 }, xg_deny_val { prefixlen 32 at byte 24 }
check "an entry written into xg_deny4 with bpftool" bpftool map update pinned "$d/xg_deny4" \
	key hex 20 00 00 00 c6 12 0b 0b \
	value hex 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 \
	00 00 00 00 00 00 00 00 20 00 00 00 00 00 00 00
out=$(xg_srv status -i eth1)
check "status says the lists changed behind xdpguard" grep -q 'LISTS CHANGED BEHIND XDPGUARD' <<<"$out"
js=$(xg_srv status -i eth1 --json)
expect_eq "status --json: lists_filter_stale" "$(json_get 'd["interfaces"][0]["lists_filter_stale"]' <<<"$js")" True
check "deny add rebuilds the filters" xg_srv deny add -i eth1 198.18.12.0/24
js=$(xg_srv status -i eth1 --json)
expect_eq "... status: no longer stale" "$(json_get 'd["interfaces"][0]["lists_filter_stale"]' <<<"$js")" False
out=$(xg_srv status -i eth1)
check "... and says nothing of it" bash -c "! grep -q 'LISTS CHANGED' <<<\"\$1\"" _ "$out"
check "detach after dry run" xg_srv detach eth1
t_end
