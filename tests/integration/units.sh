#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Protection after a reboot: the units pass systemd-analyze verify, and
# xdpguard@IFACE.service's ExecStart/ExecStop lines, run as systemd runs
# them (its EnvironmentFile, %I expanded, in order, stopping at the first
# failure, ExecStopPost with $SERVICE_RESULT), attach the interface with
# its settings and bring its saved policy back; a restart keeps the guard
# (attach --ensure), other settings are refused naming them, a failed
# start leaves nothing attached, and the stop detaches.
P=xgun-
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_ns_down; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
t_ns u0:u1

# the units as make install writes them, with this build's binary
make -s -o build/xdpguard install DESTDIR="$tmp/root" PREFIX=/usr SYSCONFDIR="$tmp/etc" \
	UNITDIR=/lib/systemd/system >/dev/null || not_ok "make install"
UNIT=$tmp/root/lib/systemd/system/xdpguard@.service
check "make install wrote the template unit" test -f "$UNIT"
check "... and the events unit" test -f "$tmp/root/lib/systemd/system/xdpguard-events@.service"
for u in "$tmp"/root/lib/systemd/system/*.service; do
	# verify resolves ExecStart's binary: point it at this build
	sed "s|/usr/sbin/xdpguard|$XG|g" "$u" >"$tmp/${u##*/}"
	n=${u##*/}; n=${n/@.service/@u0.service}	# a template: an instance
	cp "$tmp/${u##*/}" "$tmp/$n" 2>/dev/null
	out=$(cd "$tmp" && MANPATH=$tmp/root/usr/share/man systemd-analyze verify "./$n" 2>&1); rc=$?
	echo "$out" | grep -v "^$" | sed 's/^/# /'
	expect_eq "systemd-analyze verify ${u##*/}" "$rc" 0
done

# run the unit's lines as systemd does: Environment=, EnvironmentFile=,
# %I/%i expanded, $VAR split into words, ExecStart lines in order
unit_run() {	# unit_run start|stop IFACE: what systemd would run
	local what=$1 ifc=$2 line cmd rc=0 envf
	(
		while IFS= read -r line; do
			case $line in
			Environment=*) export "${line#Environment=}" ;;
			EnvironmentFile=*)
				envf=${line#EnvironmentFile=}; envf=${envf#-}
				envf=${envf//%I/$ifc}
				[ -f "$envf" ] && { set -a; . "$envf"; set +a; } ;;
			esac
		done <"$UNIT"
		export SERVICE_RESULT=success
		for key in $( [ "$what" = start ] && echo ExecStart || echo ExecStop ); do
			while IFS= read -r line; do
				cmd=${line#$key=}
				cmd=${cmd//%I/$ifc}; cmd=${cmd//%i/$ifc}
				cmd=${cmd//\/usr\/sbin\/xdpguard/$XG}
				# shellcheck disable=SC2086
				nsenter --net=/run/netns/$NS bash -c "set -f; $(
					printf '%s' "$cmd" | sed 's/\$XDPGUARD_ATTACH_OPTS/${XDPGUARD_ATTACH_OPTS}/')" || {
					rc=$?; SERVICE_RESULT=exit-code; break; }
			done < <(grep "^$key=" "$UNIT")
		done
		# ExecStopPost runs after a failed start and after every stop
		if [ $rc != 0 ] || [ "$what" = stop ]; then
			while IFS= read -r line; do
				cmd=${line#ExecStopPost=}
				cmd=${cmd//%I/$ifc}; cmd=${cmd//%i/$ifc}
				cmd=${cmd//\/usr\/sbin\/xdpguard/$XG}
				SERVICE_RESULT=$SERVICE_RESULT nsenter --net=/run/netns/$NS bash -c "$cmd"
			done < <(grep "^ExecStopPost=" "$UNIT")
		fi
		exit $rc
	)
}
state() {	# what must come back: settings and policy, as save writes them
	x save -i u0 | grep -v '^#'
}

mkdir -p "$tmp/etc/xdpguard"
echo 'XDPGUARD_ATTACH_OPTS="--mode skb --prefix4 24 --event-budget 500"' >"$tmp/etc/xdpguard/u0.conf"
x attach u0 --mode skb --prefix4 24 --event-budget 500 >/dev/null
x rate set -i u0 --pps 33 >/dev/null
x deny add -i u0 198.19.4.0/24 >/dev/null
x cookies set -i u0 on --port 8443 >/dev/null 2>&1
x mss set -i u0 1360 >/dev/null
x save -i u0 >"$tmp/etc/xdpguard/u0.policy"
want=$(state)
x detach u0 >/dev/null
check "(the 'reboot': nothing attached)" bash -c "! ip -n $NS link show u0 | grep -q prog/xdp"

out=$(unit_run start u0 2>&1); rc=$?
echo "$out" | sed 's/^/# start | /'
expect_eq "start: ExecStart lines succeed" "$rc" 0
check "... u0 is attached (ip link)" bash -c "ip -n $NS link show u0 | grep -q prog/xdp"
expect_eq "... with its settings and policy back (save, before and after)" "$(state)" "$want"
id1=$(ip -n $NS -d -j link show u0 | json_get 'd[0]["xdp"]["prog"]["id"]')

out=$(unit_run start u0 2>&1); rc=$?
echo "$out" | sed 's/^/# restart | /'
expect_eq "restart with the same settings: success" "$rc" 0
expect_eq "... the same guard runs on (XDP program id)" \
	"$(ip -n $NS -d -j link show u0 | json_get 'd[0]["xdp"]["prog"]["id"]')" "$id1"
check "... saying nothing changed" grep -q "attached with these settings already" <<<"$out"
expect_eq "... state unchanged" "$(state)" "$want"

echo 'XDPGUARD_ATTACH_OPTS="--mode skb --prefix4 16 --event-budget 500"' >"$tmp/etc/xdpguard/u0.conf"
out=$(x attach --ensure u0 --mode skb --prefix4 16 --event-budget 500 2>&1); rc=$?
expect_eq "attach --ensure with other settings: exit 1" "$rc" 1
check "... naming what differs" grep -q -- "--prefix4 16 (here 24)" <<<"$out"
expect_eq "... nothing changed" "$(state)" "$want"

out=$(unit_run stop u0 2>&1); rc=$?
expect_eq "stop: ExecStop detaches" "$rc" 0
check "... nothing attached (ip link)" bash -c "! ip -n $NS link show u0 | grep -q prog/xdp"
expect_eq "... no folder left" "$(t_pin_dirs | grep -c .)" 0

# a start that fails half way (a policy that apply refuses) leaves
# nothing attached
echo 'XDPGUARD_ATTACH_OPTS="--mode skb"' >"$tmp/etc/xdpguard/u0.conf"
printf 'rate default pps 5 burst 5\n' >"$tmp/etc/xdpguard/u0.policy"	# no end
out=$(unit_run start u0 2>&1); rc=$?
echo "$out" | sed 's/^/# failed start | /'
check "a start with a refused policy fails" test "$rc" -ne 0
check "... and leaves nothing attached (ExecStopPost)" bash -c "! ip -n $NS link show u0 | grep -q prog/xdp"
expect_eq "... no folder left" "$(t_pin_dirs | grep -c .)" 0
rm -f "$tmp/etc/xdpguard/u0.policy"
out=$(unit_run start u0 2>&1); rc=$?
expect_eq "a start with no policy file: attached with its settings alone" "$rc" 0
check "... attached" bash -c "ip -n $NS link show u0 | grep -q prog/xdp"

# the exporter's unit runs as a user of its own with the capabilities it
# lists, and nothing else (as DynamicUser= and AmbientCapabilities= give
# it): its ExecStart, run that way, serves the same numbers status reads
EXU=$tmp/root/lib/systemd/system/xdpguard-export.service
caps=$(sed -n 's/^AmbientCapabilities=//p' "$EXU" | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ /,+/g')
bset=$(sed -n 's/^CapabilityBoundingSet=//p' "$EXU" | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ /,+/g')
check "the exporter's unit has a user of its own" grep -qx "DynamicUser=yes" "$EXU"
expect_eq "... and one capability: reading root's pins" "$caps/$bset" "dac_override/dac_override"
ip -n $NS link set lo up
passed() { x status --json | json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["verdict"] == "pass")'; }
p0=$(passed)
cmd=$(sed -n 's/^ExecStart=//p' "$EXU" | sed "s|/usr/sbin/xdpguard|$XG|")
# as_unit CMD...: in the namespace, as the unit's user with its capabilities
as_unit() {
	nsenter --net=/run/netns/$NS setpriv --reuid=61234 --regid=61234 --clear-groups \
		--inh-caps=-all,+$caps --ambient-caps=-all,+$caps --bounding-set=-all,+$bset \
		--no-new-privs "$@"
}
as_unit $cmd >"$tmp/exp.log" 2>&1 &
exp=$!
for i in $(seq 50); do
	nsenter --net=/run/netns/$NS curl -sf -o "$tmp/m" http://127.0.0.1:9400/metrics && break
	sleep 0.1
done
kill $exp 2>/dev/null; wait $exp 2>/dev/null
sed 's/^/# exporter | /' "$tmp/exp.log"
expect_eq "... its scrape lists the attached interface" \
	"$(sed -n 's/^xdpguard_attached_interfaces //p' "$tmp/m")" 1
p1=$(passed)
got=$(awk '/^xdpguard_packets_total.*verdict="pass"/ {s += $2} END {print s + 0}' "$tmp/m")
check "... and its counters: passed $got, status said $p0 before and $p1 after" \
	test "$p0" -le "$got" -a "$got" -le "$p1"
out=$(as_unit "$XG" rate set -i u0 --pps 1 2>&1); rc=$?
expect_eq "... that user cannot change the policy: exit 1" "$rc" 1
check "... naming what it lacks" grep -q "not privileged: needs CAP_NET_ADMIN" <<<"$out"
unit_run stop u0 >/dev/null 2>&1
t_end
