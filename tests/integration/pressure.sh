#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A flood from over a million distinct spoofed sources: the source table
# stays at the size --sources promised (memory bounded), allow and deny
# entries all survive and still apply, and a real client within its budget
# keeps connecting.
P=xgpr-
. "$(dirname "$0")/../lib.sh"
t_start

PORT=8080 SOURCES=16384
check "attach eth0 with --sources $SOURCES --prefix6 128" \
	xg_srv attach eth0 --sources $SOURCES --prefix6 128 --pps 5 --burst 5
check "attach eth1" xg_srv attach eth1 --pps 5 --burst 5
lab_exec ${P}srv timeout 60 socat TCP-LISTEN:$PORT,fork,reuseaddr,backlog=4096 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &

# 200 allow and 200 deny entries that the flood never matches, plus one
# deny the client will hit
for i in $(seq 0 199); do
	echo "198.18.$((100 + i / 100)).$((i % 100))/32 2001:db8:a$((i % 10)):$i::/64"
done >"/tmp/${P}cidrs"
# shellcheck disable=SC2046
check "add 400 allow entries" xg_srv allow add -i eth0 $(cat "/tmp/${P}cidrs")
# shellcheck disable=SC2046
check "add 400 deny entries" xg_srv deny add -i eth0 $(sed 's/198.18/198.19/; s/2001:db8:a/2001:db8:b/' "/tmp/${P}cidrs")
check "deny the client's IPv6 address on eth1" xg_srv deny add -i eth1 $LAB_CLI6
entries() {
	echo "$(xg_srv allow list -i eth0 --json | json_get 'len(d["allow"])')" \
	     "$(xg_srv deny list -i eth0 --json | json_get 'len(d["deny"])')"
}
memlock() { bpftool map show name xg_buckets | grep -o 'memlock [0-9]*' | sort -u | head -1; }
e0=$(entries)
m0=$(memlock)

mac=$(lab_mac ${P}srv eth0)
err0=$(atk_xmit_errors)
# unpaced: generator and receiver run in lockstep, nothing is lost
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV6 --dport 9 \
	--src 2001:db8:dead::/48 --sources 0 --count 1200000 \
	--duration 8 --json >"/tmp/${P}flood.json" &
fpid=$!
sleep 0.5
f=0
for i in $(seq 1 30); do
	r=$(lab_exec ${P}cli timeout 3 socat -T2 - TCP:$LAB_SRV4_C:$PORT,connect-timeout=2 <<<"p$i" 2>/dev/null)
	[ "$r" == "pong p$i" ] || f=$((f + 1))
	sleep 0.1
done
wait $fpid
sent=$(json_get 'd["sent"]' <"/tmp/${P}flood.json")
lost=$(( $(atk_xmit_errors) - err0 ))
echo "# flood: $sent SYNs from distinct random IPv6 sources, $lost lost in the veth (ring full)"
check "over a million spoofed sources sent ($sent)" test "$sent" -ge 1000000
expect_eq "client within budget connects throughout (30 of 30)" "$f" 0
js=$(xg_srv status -i eth0 --json)
tracked=$(json_get 'd["interfaces"][0]["sources"]["tracked"]' <<<"$js")
passed=$(json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"]=="syn_budget")' <<<"$js")
echo "# tracked $tracked of $SOURCES; first SYNs passed $passed"
check "source table bounded ($tracked <= $SOURCES)" test "$tracked" -le $SOURCES
check "the table was filled: LRU evicted" test "$tracked" -ge $((SOURCES / 2))
expect_eq "source table memory unchanged" "$(memlock)" "$m0"
expect_eq "allow and deny entries all survive" "$(entries)" "$e0"
expect_eq "each new source is within budget: every delivered SYN passed" "$passed" $((sent - lost))
out=$(lab_exec ${P}cli timeout 3 socat -T1 - "TCP:[$LAB_SRV6_C]:$PORT,connect-timeout=1" <<<x 2>&1)
hits=$(xg_srv deny list -i eth1 --json | json_get 'd["deny"][0]["hits"]')
check "deny still applies after the flood (hits $hits)" test "$hits" -ge 1
t_snapshot
check "detach eth0" xg_srv detach eth0
check "detach eth1" xg_srv detach eth1
t_nothing_left
rm -f "/tmp/${P}cidrs" "/tmp/${P}flood.json"
t_end
