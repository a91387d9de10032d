#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A spoofed SYN flood from a handful of sources at full generator rate,
# while a client makes 100 real connections (request + reply) through the
# guard: every connection succeeds, the generator's count equals passed +
# dropped exactly (and the veth's own xdp_drops), each source gets
# pps x duration + burst SYNs through within 10%, a live `rate set` changes
# the passed rate within a second, and detach leaves nothing behind.
P=xgfl-
. "$(dirname "$0")/../lib.sh"
t_start

PORT=8080
PPS=200 BURST=100 NSRC=4
check "attach eth0 (attacker side)" xg_srv attach eth0 --pps $PPS --burst $BURST
check "attach eth1 (client side)" xg_srv attach eth1 --pps $PPS --burst $BURST

# a real server: one line in, one line out
lab_exec ${P}srv timeout 600 socat TCP-LISTEN:$PORT,fork,reuseaddr,backlog=4096 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
sleep 0.5

syn_count() {	# IFACE -> SYNs judged (passed, over budget, denied), passed, drops
	xg_srv status -i "$1" --json | json_get \
	'"%d %d %d" % (sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"] in ("syn_budget","syn_over_budget","deny")), sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"]=="syn_budget"), d["interfaces"][0]["totals"]["drop"])'
}
xdp_drops() {	# the veth's own count of XDP_DROP verdicts
	lab_exec ${P}srv ethtool -S eth0 | awk '/xdp_drops/ {s += $2} END {print s + 0}'
}
client_loop() {	# N connections, each a request and its reply; prints failures
	local n=$1 i f=0 r
	for i in $(seq 1 "$n"); do
		r=$(lab_exec ${P}cli timeout 3 socat -T2 - TCP:$LAB_SRV4_C:$PORT,connect-timeout=2 <<<"ping$i" 2>/dev/null)
		[ "$r" == "pong ping$i" ] || f=$((f + 1))
	done
	echo $f
}

mac=$(lab_mac ${P}srv eth0)
# one of the flooding sources is denied: its SYNs are drops too
check "deny one flooding source" xg_srv deny add -i eth0 198.19.0.3
nsenter --net=/run/netns/${P}srv "$XG" events --json >"/tmp/${P}events.json" 2>"/tmp/${P}events.err" &
evpid=$!
read -r syn0 pass0 _ < <(syn_count eth0)
drops0=$(xdp_drops)
err0=$(atk_xmit_errors)
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport $PORT \
	--src 198.19.0.0/16 --sources $NSRC --count 0 --duration 5 --json >"/tmp/${P}flood.json" &
fpid=$!
sleep 0.5
fails=$(client_loop 100)
wait $fpid
sent=$(json_get 'd["sent"]' <"/tmp/${P}flood.json")
secs=$(json_get 'd["seconds"]' <"/tmp/${P}flood.json")
pps=$(json_get 'int(d["pps"])' <"/tmp/${P}flood.json")
lost=$(( $(atk_xmit_errors) - err0 ))
echo "# flood: $sent SYNs in $secs s ($pps pps) from $NSRC sources; $lost lost in the veth (ring full)"
expect_eq "100 real connections during the flood all succeed" "$fails" 0
# the premise: a flood far beyond what the budget lets through (the
# generator's rate itself depends on the machine's load: it is printed,
# not judged)
check "the flood is over 100 x what the budget passes ($sent SYNs, $pps pps)" \
	test "$sent" -ge $(( 100 * (NSRC - 1) * (PPS * ${secs%.*} + BURST) ))
read -r syn1 pass1 drop1 < <(syn_count eth0)
expect_eq "generator count - veth losses = passed + dropped" $((syn1 - syn0)) $((sent - lost))
expect_eq "dropped = the veth's xdp_drops" $(( $(xdp_drops) - drops0 )) $(( syn1 - syn0 - (pass1 - pass0) ))
# each source not denied: pps x duration + burst
want=$(python3 -c "print(int(($NSRC - 1) * ($PPS * $secs + $BURST)))")
expect_near "passed = sources x (pps x duration + burst)" $((pass1 - pass0)) "$want" 10
top=$(xg_srv top -i eth0 --once --json --count $NSRC | json_one)
ntop=$(json_get 'sorted(s["source"] for s in d["top"])' <<<"$top")
expect_eq "top shows the flooding sources but the denied one" "$ntop" \
	"['198.19.0.0/32', '198.19.0.1/32', '198.19.0.2/32']"

# the event stream: SIGTERM ends it with status 0 and a loss report
kill -TERM $evpid
wait $evpid
expect_eq "events exits 0 on SIGTERM" "$?" 0
check "events reports records lost" grep -q "lost" "/tmp/${P}events.err"
check "every event line is JSON" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    json.loads(l)' "/tmp/${P}events.json"
thr=$(python3 -c '
import json, sys
print(sorted({e["prefix"] for e in map(json.loads, open(sys.argv[1])) if e["type"] == "throttle" and e["budget_pps"] == '$PPS'}))' "/tmp/${P}events.json")
expect_eq "a throttle event for each budgeted source" "$thr" \
	"['198.19.0.0/32', '198.19.0.1/32', '198.19.0.2/32']"
dh=$(python3 -c '
import json, sys
print(sorted({(e["src"], e["prefix"]) for e in map(json.loads, open(sys.argv[1])) if e["type"] == "deny_hit"}))' "/tmp/${P}events.json")
expect_eq "deny_hit events for the denied source" "$dh" "[('198.19.0.3', '198.19.0.3/32')]"
nev=$(wc -l <"/tmp/${P}events.json")
# at most one event per source (or deny entry) per second of the flood
check "events are rate-limited per source ($nev in $secs s)" \
	test "$nev" -le $((4 * (${secs%.*} + 2)))
rm -f "/tmp/${P}events.json" "/tmp/${P}events.err"

# live retune: one source, 200/s, then 2000/s in the middle of the flood
# top measures over its own interval (two reads of the source table, the
# time between them measured): the passed rate of one interval, however
# long the commands around it take on a busy machine
passed_of() {
	xg_srv top -i eth0 --once --json --count 50 --interval 1 | json_one | json_get \
	'[int(s["pass_pps"]) for s in d["top"] if s["source"] == "198.19.1.0/32"][0]' 2>/dev/null || echo 0
}
nsenter --net=/run/netns/${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport $PORT \
	--src 198.19.1.0/24 --sources 1 --count 0 --duration 30 --json >/dev/null &
fpid=$!	# the generator itself (nsenter execs it): stopped after the samples
sleep 2
a=$(passed_of)
b=$(passed_of)
xg_srv rate set -i eth0 --pps 2000 --burst 100 >/dev/null
c=$(passed_of)
d=$(passed_of)
kill $fpid 2>/dev/null
wait $fpid
echo "# passed per second: $a, $b | rate set | $c, $d"
expect_near "before rate set: ~$PPS/s" "$a" $PPS 25
expect_near "... and the next second" "$b" $PPS 25
expect_near "first second after rate set: ~2000/s" "$c" 2000 25
expect_near "second second after rate set: ~2000/s" "$d" 2000 25

t_snapshot
check "detach eth0" xg_srv detach eth0
check "detach eth1" xg_srv detach eth1
t_nothing_left
rm -f "/tmp/${P}flood.json"
t_end
