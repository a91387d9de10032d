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
lab_exec ${P}srv timeout 120 socat TCP-LISTEN:$PORT,fork,reuseaddr,backlog=4096 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
sleep 0.5

syn_count() {	# IFACE -> SYNs judged (passed + over budget), and drops
	xg_srv status -i "$1" --json | json_get \
	'"%d %d %d" % (sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"] in ("syn_budget","syn_over_budget")), sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"]=="syn_budget"), d["interfaces"][0]["totals"]["drop"])'
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
read -r syn0 pass0 _ < <(syn_count eth0)
drops0=$(xdp_drops)
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport $PORT \
	--src 198.19.0.0/16 --sources $NSRC --count 0 --duration 5 --json >"/tmp/${P}flood.json" &
fpid=$!
sleep 0.5
fails=$(client_loop 100)
wait $fpid
sent=$(json_get 'd["sent"]' <"/tmp/${P}flood.json")
secs=$(json_get 'd["seconds"]' <"/tmp/${P}flood.json")
pps=$(json_get 'int(d["pps"])' <"/tmp/${P}flood.json")
echo "# flood: $sent SYNs in $secs s ($pps pps) from $NSRC sources"
expect_eq "100 real connections during the flood all succeed" "$fails" 0
check "flood reaches 1M pps ($pps)" test "$pps" -ge 1000000
read -r syn1 pass1 drop1 < <(syn_count eth0)
expect_eq "generator count = passed + dropped" $((syn1 - syn0)) "$sent"
expect_eq "dropped = the veth's xdp_drops" $(( $(xdp_drops) - drops0 )) $(( syn1 - syn0 - (pass1 - pass0) ))
# each source: pps x duration + burst
want=$(python3 -c "print(int($NSRC * ($PPS * $secs + $BURST)))")
expect_near "passed = sources x (pps x duration + burst)" $((pass1 - pass0)) "$want" 10
top=$(xg_srv top -i eth0 --once --json --count $NSRC)
ntop=$(json_get 'len([s for s in d["top"] if s["source"].startswith("198.19.0.")])' <<<"$top")
expect_eq "top shows the $NSRC flooding sources" "$ntop" "$NSRC"

# live retune: one source, 200/s, then 2000/s in the middle of the flood
passed_of() {
	xg_srv top -i eth0 --once --json --count 50 --interval 1 | json_get \
	'[s["passed"] for s in d["top"] if s["source"] == "198.19.1.0/32"][0]' 2>/dev/null || echo 0
}
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport $PORT \
	--src 198.19.1.0/24 --sources 1 --count 0 --duration 6 --json >/dev/null &
fpid=$!
sleep 2
a=$(passed_of)
b=$(passed_of)
xg_srv rate set -i eth0 --pps 2000 --burst 100 >/dev/null
c=$(passed_of)
d=$(passed_of)
wait $fpid
echo "# passed: $a, $b | rate set | $c, $d"
# each passed_of sample spans about one second
expect_near "before rate set: ~$PPS/s" $((b - a)) $PPS 25
expect_near "first second after rate set: ~2000/s" $((c - b)) 2000 25
expect_near "second second after rate set: ~2000/s" $((d - c)) 2000 25

t_snapshot
check "detach eth0" xg_srv detach eth0
check "detach eth1" xg_srv detach eth1
t_nothing_left
rm -f "/tmp/${P}flood.json"
t_end
