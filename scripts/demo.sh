#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole story in under two minutes: a namespace lab, xdpguard attached
# to the server's interfaces, a spoofed SYN flood and a real client, a live
# retune, top and events, detach, lab down.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lab.sh"
P=xgdemo-
XG=$ROOT/build/xdpguard
FLOOD=$ROOT/build/synflood
EV=$(mktemp /tmp/xgdemo-events.XXXXXX)
PORT=8080

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
srv() { lab_exec ${P}srv "$@"; }
cleanup() {
	[ -n "${evpid:-}" ] && kill "$evpid" 2>/dev/null
	lab_down $P
	rm -f "$EV"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root" >&2; exit 1; }
say "lab: attacker (a0) and client (c0) namespaces, each on a veth to the server (eth0, eth1)"
lab_up $P || exit 1
ip -n ${P}srv -br addr show | grep -v '^lo'
srv timeout 100 socat TCP-LISTEN:$PORT,fork,reuseaddr,backlog=4096 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &

say "attach: every SYN judged against 50 SYN/s (burst 50) per source"
run srv "$XG" attach eth0 --pps 50 --burst 50
run srv "$XG" attach eth1 --pps 50 --burst 50
# directly, not through a function: $! must be xdpguard itself
nsenter --net=/run/netns/${P}srv "$XG" events --json >"$EV" &
evpid=$!

client() {	# N connections, each a request and its reply
	local ok=0 i
	for i in $(seq 1 "$1"); do
		[ "$(lab_exec ${P}cli timeout 3 socat -T2 - TCP:$LAB_SRV4_C:$PORT,connect-timeout=2 <<<"hi$i" 2>/dev/null)" == "pong hi$i" ] && ok=$((ok + 1))
	done
	echo "client: $ok of $1 connections answered"
}
flood() {	# SECONDS SOURCES
	lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$(lab_mac ${P}srv eth0)" \
		--dst $LAB_SRV4 --dport $PORT --src 198.19.0.0/16 \
		--sources "$2" --count 0 --duration "$1"
}

say "flood: 8 spoofed sources at full speed for 8 s, while a real client connects 30 times"
flood 8 8 &
fpid=$!
sleep 1
client 30
say "top, during the flood"
run srv "$XG" top -i eth0 --once --count 5
say "live retune in the middle of the attack: deny one source for 10 minutes, lower the budget"
run srv "$XG" deny add -i eth0 198.19.0.3 --ttl 10m
run srv "$XG" rate set -i eth0 --pps 10 --burst 10
sleep 1
run srv "$XG" top -i eth0 --once --count 5
wait $fpid
say "status: what xdpguard saw and did on eth0"
run srv "$XG" status -i eth0
say "the kernel's view of the server during the attack"
srv nstat -az TcpExtListenOverflows TcpExtListenDrops TcpExtSyncookiesSent TcpPassiveOpens | grep -v '^#'
srv ss -s | head -2

kill -INT $evpid 2>/dev/null
wait $evpid 2>/dev/null
evpid=
say "events (JSON lines, $(wc -l <"$EV") records)"
head -n 12 "$EV"

say "detach: nothing left behind"
run srv "$XG" detach eth0
run srv "$XG" detach eth1
ip -n ${P}srv link show | grep -c xdp | sed 's/^/xdp programs on the server: /'
echo "pins: $(ls /sys/fs/bpf/xdpguard | wc -l)"
say "lab down"
