#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench, SYN cookies: the per-packet cost of the cookie paths beside
# a bare XDP_DROP (build/ckbench), then end to end: the same spoofed SYN
# flood (random sources, full generator rate) against the namespace lab
# with the kernel's own SYN cookies alone and with xdpguard's, in the
# same run, while a client connects. Numbers only; nothing is asserted.
#
# The generator (build/synflood on a0) and the server's receive path share
# a CPU: the veth peer's NAPI runs on the sending CPU between batches, so
# the flood rate is set by the sender's and the receiver's cost together.
# "flood pps" is what the generator handed to a0; "absorbed/s" the rate
# of SYNs the server answered (SYN-ACKs counted by build/xgsink on a0);
# "unanswered" the share of the flood that got no SYN-ACK (dropped on the
# way in, or by the kernel). The yardstick row is the generator's rate
# against a server that drops everything at XDP.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. scripts/lab.sh
P=xg3bn-
XG=$ROOT/build/xdpguard
SECS=${XG_BENCH_FLOOD_SECS:-4}
PORT=8080
DROP_ALL=/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_dny_all.o

echo "## SYN cookies (build/ckbench)"
build/ckbench --repeat "${XG_BENCH_REPEAT:-2000000}" \
	--rounds "${XG_BENCH_ROUNDS:-5}" --calls "${XG_BENCH_CALLS:-20000}"

trap 'lab_down $P' EXIT
lab_up $P >/dev/null || { echo "bench: lab up failed"; exit 1; }
lab_wire $P || { echo "bench: lab_wire failed"; exit 1; }
srv() { lab_exec ${P}srv "$@"; }
srv timeout 600 socat TCP-LISTEN:$PORT,fork,reuseaddr,backlog=4096 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
sleep 0.5
mac=$(lab_mac ${P}srv eth0)

nst() { ip netns exec ${P}srv nstat -az "$1" | awk -v k="$1" '$1 == k {print $2}'; }

# one flood: prints "sent pps synacks/s clients_ok"
flood() {
	local sink=/tmp/${P}sink.$$ fl=/tmp/${P}flood.$$ spid fpid ok=0 i
	# directly, not through a function: $! must be xgsink itself
	nsenter --net=/run/netns/${P}atk "$ROOT/build/xgsink" --dev a0 --json \
		>"$sink" 2>/dev/null &
	spid=$!
	sleep 0.5
	lab_exec ${P}atk "$ROOT/build/synflood" --dev a0 --dst-mac "$mac" \
		--dst $LAB_SRV4 --dport $PORT --src 198.19.0.0/16 --sources 0 \
		--count 0 --duration "$SECS" --json >"$fl" &
	fpid=$!
	sleep 0.5
	for i in $(seq 1 20); do
		[ "$(lab_exec ${P}cli timeout 4 socat -T3 - TCP:$LAB_SRV4_C:$PORT,connect-timeout=3 <<<"b$i" 2>/dev/null)" == "pong b$i" ] && ok=$((ok + 1))
	done
	wait $fpid
	sleep 0.3
	kill -INT $spid 2>/dev/null
	wait $spid 2>/dev/null
	python3 - "$fl" "$sink" "$ok" <<'PY'
import json, sys
f = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
print(f["sent"], int(f["pps"]), int(s["synacks"] / f["seconds"]), sys.argv[3])
PY
	rm -f "$sink" "$fl"
}

echo
echo "## End to end: one spoofed SYN flood, ${SECS} s per setting, 20 client connections each"
printf '%-34s %10s %12s %11s %8s %15s\n' "server" "flood pps" "absorbed/s" \
	"unanswered" "clients" "SyncookiesSent"

# the generator's own cost: a server that drops everything at XDP
ip -n ${P}srv link set dev eth0 xdp obj $DROP_ALL sec xdp
read -r _ base_pps _ _ < <(flood)
ip -n ${P}srv link set dev eth0 xdp off
printf '%-34s %10s %12s %11s %8s %15s\n' "XDP_DROP everything (yardstick)" \
	"$base_pps" "-" "-" "-" "-"

row() {	# NAME
	local sent pps abs ok c0 c1
	c0=$(nst TcpExtSyncookiesSent)
	read -r sent pps abs ok < <(flood)
	c1=$(nst TcpExtSyncookiesSent)
	printf '%-34s %10s %12s %10s%% %8s %15s\n' "$1" "$pps" "$abs" \
		"$(python3 -c "print('%.1f' % (max(0, $pps - $abs) * 100.0 / $pps))")" \
		"$ok/20" "$((c1 - c0))"
	echo "$abs" >"/tmp/${P}abs.$2"
}

# kernel SYN cookies alone (a pass program: a veth needs one to take
# the generator's XDP frames)
ip -n ${P}srv link set dev eth0 xdp obj "$LAB_XDP_PASS" sec xdp
row "kernel SYN cookies alone" k
ip -n ${P}srv link set dev eth0 xdp off

for a in eth0 eth1; do
	srv "$XG" attach $a >/dev/null && srv "$XG" cookies set -i $a on --port $PORT >/dev/null
done
row "xdpguard cookies (default budget)" c
srv "$XG" rate set -i eth0 --pps 0 >/dev/null
row "xdpguard cookies (--pps 0)" c0
k=$(cat "/tmp/${P}abs.k") c=$(cat "/tmp/${P}abs.c") c0=$(cat "/tmp/${P}abs.c0")
python3 - <<PY
print("SYNs absorbed per second, xdpguard's cookies / the kernel's alone,")
print("same flood: %.1fx (default budget), %.1fx (--pps 0)" % ($c / $k, $c0 / $k))
print("(a lower bound where xdpguard left nothing unanswered: then the")
print("generator, on the same CPUs, not the server, set the rate)")
PY
srv "$XG" detach eth0 >/dev/null
srv "$XG" detach eth1 >/dev/null
rm -f /tmp/${P}abs.*
