#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: records per second `xdpguard events --json` takes without
# loss. A spoofed SYN flood from 200,000 sources (1 SYN/s budget each)
# offers a throttle record per source per second; the kernel's per-CPU
# event budget is stepped up, and for each step the reader (writing to
# /dev/null) reports records read, lost (ring full) and held back by the
# budget. The highest rate read with nothing lost is what the consumer
# sustains. Numbers only; nothing is asserted. Everything it makes is
# removed.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. scripts/lab.sh
XG=$ROOT/build/xdpguard
FLOOD=$ROOT/build/synflood
P=xgevb-
SECS=${XG_BENCH_EV_SECS:-4}
NSRC=${XG_BENCH_EV_SOURCES:-200000}
tmp=$(mktemp -d /tmp/${P}XXXXXX)
cleanup() {
	ip netns pids ${P}srv 2>/dev/null | xargs -r kill -9 2>/dev/null
	lab_exec ${P}srv "$XG" detach eth0 >/dev/null 2>&1
	lab_down $P
	rm -rf "$tmp"
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM
lab_up $P >/dev/null
mac=$(lab_mac ${P}srv eth0)
xg() { lab_exec ${P}srv "$XG" "$@"; }

echo "## Event stream (tests/bench.d/events.sh): records/s read by 'events --json > /dev/null'"
echo "# flood: $NSRC IPv6 sources cycling, budget 1 SYN/s each, $SECS s per step, $(nproc) CPUs"
printf "%-22s %12s %12s %12s %12s %10s\n" "budget (per CPU/s)" "offered/s" "read/s" \
	"lost/s" "held back/s" "flood pps"
for budget in 1000 5000 20000 50000 0; do
	xg attach eth0 --sources 1048576 --prefix6 128 --pps 1 --burst 1 \
		--event-budget $budget >/dev/null || exit 1
	# fill the source table first (an LRU insert per new source is the
	# slow part), then drain what that made
	lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV6 --dport 80 \
		--src 2001:db8:dead::/48 --sources $NSRC --count 0 --duration 3 >/dev/null
	nsenter --net=/run/netns/${P}srv "$XG" events --json >/dev/null 2>"$tmp/drain" &
	pid=$!
	sleep 1
	kill -INT $pid; wait $pid
	nsenter --net=/run/netns/${P}srv "$XG" events --json >/dev/null 2>"$tmp/ev" &
	pid=$!
	for i in $(seq 1 50); do grep -q following "$tmp/ev" && break; sleep 0.1; done
	lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV6 --dport 80 \
		--src 2001:db8:dead::/48 --sources $NSRC --count 0 --duration $SECS \
		--json >"$tmp/flood"
	sleep 0.3
	kill -INT $pid; wait $pid
	line=$(tail -1 "$tmp/ev")
	read -r rec lost held <<<"$(sed -n 's/.*: \([0-9]*\) records, \([0-9]*\) lost.*, \([0-9]*\) held back.*/\1 \2 \3/p' <<<"$line")"
	pps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["pps"]))' "$tmp/flood")
	awk -v b="$budget" -v r="$rec" -v l="$lost" -v h="$held" -v s="$SECS" -v p="$pps" 'BEGIN {
		printf "%-22s %12.0f %12.0f %12.0f %12.0f %10d\n", b ? b : "0 (no limit)",
		       (r + l + h) / s, r / s, l / s, h / s, p }'
	xg detach eth0 >/dev/null
done
echo "# offered = read + lost + held back; the per-source limit (one record per source per second)"
echo "# is in force at every step. read/s with lost/s = 0 is what the consumer sustains."
