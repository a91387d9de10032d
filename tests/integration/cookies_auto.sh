#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# SYN cookies in auto mode: a port's cookies stay off under a trickle of
# SYNs, switch on during a spoofed flood (one event on the ring buffer,
# status shows it answering, the flood is answered from XDP) and off
# again once the SYN rate has stayed below half the threshold for
# XG_CK_CALM_WINDOWS (5) one-second windows (a second event; the kernel
# takes the SYNs again). Timings are only bounded loosely: the CPUs are
# shared.
P=xg3au-
. "$(dirname "$0")/../lib.sh"
t_start
check "lab_wire" lab_wire $P
PORT=8080 THR=20000
TMP=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_cleanup; rm -rf "$TMP"' EXIT

check "attach eth0" xg_srv attach eth0 --pps 0
lab_exec ${P}srv timeout 600 socat TCP-LISTEN:$PORT,fork,reuseaddr,backlog=4096 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
check "cookies set auto --threshold $THR" xg_srv cookies set -i eth0 auto --port $PORT --threshold $THR
# directly, not through a function: $! must be xdpguard itself
nsenter --net=/run/netns/${P}srv "$XG" events -i eth0 --json >"$TMP/events" 2>/dev/null &
evpid=$!
sleep 0.5

answering() {
	xg_srv cookies show -i eth0 --json | json_one | json_get \
	"[p['answering'] for p in d['ports'] if p['port'] == $PORT][0]"
}
mac=$(lab_mac ${P}srv eth0)
flood() {	# SECONDS PPS (0: full rate); nsenter execs the generator
	nsenter --net=/run/netns/${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 \
		--dport $PORT --src 198.19.0.0/16 --sources 0 --count 0 \
		--duration "$1" --pps "$2" --batch 1 --json
}
wait_for() {	# SECONDS CMD...: poll every 0.2 s
	local i
	for i in $(seq 1 $(( $1 * 5 ))); do
		"${@:2}" && return 0
		sleep 0.2
	done
	return 1
}
is_answering() { [ "$(answering)" == "$1" ]; }

# a trickle: cookies stay off, the kernel gets the SYNs
flood 2 200 >/dev/null
expect_eq "a trickle (200 SYN/s): cookies stay off" "$(answering)" False
expect_eq "... nothing answered from XDP" "$(t_counter eth0 tx cookie_syn)" 0
check "... the SYNs went to the kernel" test "$(t_counter eth0 pass syn_budget)" -gt 300

# a flood: on within its second window
flood 5 0 >"$TMP/flood.json" &
fpid=$!
t0=$(date +%s.%N)
if wait_for 4 is_answering True; then
	ok "flood: cookies switched on ($(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))") s after it began)"
else
	not_ok "flood: cookies did not switch on within 4 s"
fi
check "status shows it answering" bash -c \
	"nsenter --net=/run/netns/${P}srv $XG status -i eth0 | grep -q 'port $PORT auto $THR SYN/s: answering'"
wait $fpid
check "the flood was answered from XDP ($(t_counter eth0 tx cookie_syn) SYN-ACKs)" \
	test "$(t_counter eth0 tx cookie_syn)" -gt 0

# a trickle again: off after 5 calm windows
a0=$(t_counter eth0 tx cookie_syn)
flood 60 200 >/dev/null &	# stopped once what follows is seen
fpid=$!
t0=$(date +%s.%N)
if wait_for 9 is_answering False; then
	ok "after the flood: cookies switched off ($(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))") s later, 5 calm windows)"
else
	not_ok "after the flood: cookies did not switch off within 9 s"
fi
b0=$(t_counter eth0 pass syn_budget) c0=$(t_counter eth0 tx cookie_syn)
grown() { [ "$(t_counter eth0 pass syn_budget)" -gt "$b0" ]; }
check "once off, SYNs go to the kernel again" wait_for 5 grown
kill -INT $fpid
wait $fpid
expect_eq "... and none is answered from XDP" "$(t_counter eth0 tx cookie_syn)" "$c0"
check "... some of the trickle was answered while on" test "$c0" -gt "$a0"

kill -INT $evpid
wait $evpid
types=$(python3 -c "
import json, sys
ev = [json.loads(l) for l in open('$TMP/events')]
print(' '.join(e['type'] for e in ev if e['type'].startswith('cookies')))")
expect_eq "events: one switch on, one switch off, in order" "$types" "cookies_on cookies_off"
check "the on event names the port, its rate >= threshold" python3 -c "
import json
ev = [json.loads(l) for l in open('$TMP/events') if 'cookies_on' in l][0]
assert ev['dport'] == $PORT and ev['threshold_pps'] == $THR and ev['rate_pps'] >= $THR, ev"
check "the off event: rate below half the threshold, second switch" python3 -c "
import json
ev = [json.loads(l) for l in open('$TMP/events') if 'cookies_off' in l][0]
assert ev['rate_pps'] * 2 < $THR and ev['switches'] == 2, ev"
expect_eq "cookies show counts 2 switches" "$(xg_srv cookies show -i eth0 --json | json_one | json_get \
	"[p['switches'] for p in d['ports'] if p['port'] == $PORT][0]")" 2

lab_unwire $P
t_snapshot
T_IDS="$T_IDS $(ip netns exec ${P}srv tc filter show dev eth0 ingress | sed -n 's/.* id \([0-9]*\) .*/prog:\1/p')"
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
