#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# One command-line grammar (man xdpguard, "One grammar"): prefixes of
# objects, verbs and long options; ambiguous prefixes refused with the
# candidates; show as the default verb of every object that has verbs;
# -i IFACE for attach and detach too; options of another verb refused
# naming it; --version. Each change is checked in the kernel's maps.
P=xggr-
. "$(dirname "$0")/../lib.sh"

trap t_ns_down EXIT
trap 'exit 1' INT TERM
t_ns g0:g1
cfg_pps() {	# the default pps in the kernel's config map
	bpftool -j map dump pinned "$(t_pin_dirs | head -1)/xg_config" |
		json_get 'd[0]["formatted"]["value"]["rate"]["pps"]'
}

check "attach -i IFACE (the positional's other form)" x at -i g0 --mode skb
check "... attached (ip link: prog/xdp)" bash -c "ip -n $NS link show g0 | grep -q prog/xdp"
out=$(x st 2>&1); rc=$?
expect_eq "'st' is status" "$rc" 0
check "... its output" grep -q "^g0: skb mode" <<<"$out"
check "'status show' is status" bash -c "nsenter --net=/run/netns/$NS $XG status show | grep -q '^g0: skb mode'"
check "'pmtu show' is pmtu" bash -c "nsenter --net=/run/netns/$NS $XG pmtu show | grep -q '^g0: PTB accounting'"

check "'ra se --pp 37' is rate set --pps 37" x ra se --pp 37
expect_eq "... the kernel's config says 37" "$(cfg_pps)" 37
for o in rate cookies mss allow deny; do
	a=$(x $o 2>&1); ra=$?
	case $o in allow|deny) v=list ;; *) v=show ;; esac
	b=$(x $o $v 2>&1); rb=$?
	c=$(x $o li 2>&1); rc=$?
	if [ $ra = 0 ] && [ "$a" = "$b" ] && [ $rb = 0 ] && [ "$c" = "$b" ]; then
		ok "'$o' alone = '$o $v' = '$o li' (the default verb)"
	else
		not_ok "'$o' alone: exit $ra '$a'; '$o $v': exit $rb '$b'; '$o li': exit $rc"
	fi
done

check "tw on" x tw on
for v in "" show li; do
	out=$(x tw $v 2>&1); rc=$?
	if [ $rc = 0 ] && grep -q "^xdpguard tw: network namespace" <<<"$out"; then
		ok "'tw${v:+ $v}' shows"
	else
		not_ok "'tw${v:+ $v}': exit $rc: $out"
	fi
done
check "'tw of' is tw off" bash -c "nsenter --net=/run/netns/$NS $XG tw of | grep -q 'host socket telemetry off'"

check "'de ad' is deny add" x de ad 198.18.7.0/24
check "'de li' is deny list: it lists the entry" bash -c \
	"nsenter --net=/run/netns/$NS $XG de li | grep -q 198.18.7.0/24"
n=$(bpftool -j map dump pinned "$(t_pin_dirs | head -1)/xg_deny4" | json_get 'len(d)')
expect_eq "... one entry in the kernel's deny map" "$n" 1

bad() {	# bad WANT ARGS...: exit 2 and WANT in the message
	local want=$1 out rc
	shift
	out=$(x "$@" 2>&1); rc=$?
	if [ $rc = 2 ] && grep -qF -- "$want" <<<"$out"; then
		ok "refused: xdpguard $*"
	else
		not_ok "xdpguard $*: exit $rc, want 2 and '$want': $out"
	fi
}
bad "'s' is ambiguous: status, save, sockets" s
bad "'de' is ambiguous: detach, deny" de g0
bad "'a' is ambiguous: attach, allow, apply" a
bad "'rate s' is ambiguous: show, set" rate s
bad "unknown verb 'rate frob' (accepted: show, set, del)" rate frob
bad "--pps belongs to rate set, not rate show" rate show --pps 5
bad "--ttl belongs to deny add, not deny del" deny del 198.18.7.0/24 --ttl 5m
bad "--dir belongs to mss set, not mss show" mss --dir both
bad "option '--pps' needs a value" rate set --pps
bad "unknown option '--frob'" attach g1 --frob
expect_eq "refusals changed nothing: pps still 37" "$(cfg_pps)" 37

v=$(cat VERSION)
expect_eq "--version" "$("$XG" --version)" "xdpguard $v (pins layout $(sed -n 's/^#define XG_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' include/xdpguard/abi.h))"
check "--help names the version" bash -c "'$XG' --help | grep -q 'xdpguard $v'"
check "--help works unprivileged" setpriv --reuid=65534 --regid=65534 --clear-groups "$XG" rate --help

check "detach -i IFACE" x detach -i g0
check "... detached (ip link)" bash -c "! ip -n $NS link show g0 | grep -q prog/xdp"
expect_eq "... no folder left" "$(t_pin_dirs | grep -c .)" 0
t_end
