#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# attach --replace during a flood: new programs on the same maps. Every SYN
# is judged across the swaps (counted SYNs = generator count - veth
# losses), counters do not reset, buckets are kept (no extra burst passes),
# and the policy stays.
P=xgrp-
. "$(dirname "$0")/../lib.sh"
t_start
PPS=100 BURST=100

check "attach eth0" xg_srv attach eth0 --pps $PPS --burst $BURST
xg_srv deny add 198.19.200.0/24 >/dev/null
id0=$(xg_srv status --json | json_get 'd["interfaces"][0]["prog_id"]')
judged() {
	xg_srv status --json | json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"] in ("syn_budget","syn_over_budget"))'
}
passed() {
	xg_srv status --json | json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"] == "syn_budget")'
}
mac=$(lab_mac ${P}srv eth0)
err0=$(atk_xmit_errors)
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport 80 \
	--src 198.19.1.0/24 --sources 1 --count 0 --duration 4 --json >"/tmp/${P}flood.json" &
fpid=$!
sleep 1
fails=0 mono=0 last=$(judged)
for i in 1 2 3; do
	xg_srv attach --replace eth0 >/dev/null || fails=$((fails + 1))
	now=$(judged)
	[ "$now" -ge "$last" ] || mono=$((mono + 1))
	last=$now
	sleep 0.5
done
wait $fpid
sent=$(json_get 'd["sent"]' <"/tmp/${P}flood.json")
secs=$(json_get 'd["seconds"]' <"/tmp/${P}flood.json")
lost=$(( $(atk_xmit_errors) - err0 ))
echo "# flood: $sent SYNs in $secs s, $lost lost in the veth; 3 replacements"
expect_eq "three replacements during the flood succeed" "$fails" 0
id1=$(xg_srv status --json | json_get 'd["interfaces"][0]["prog_id"]')
check "the program is new ($id0 -> $id1)" test "$id0" != "$id1"
check "the new program is the one on the interface" \
	bash -c "ip -n ${P}srv link show eth0 | grep -q 'prog/xdp id $id1 '"
expect_eq "counters never went back" "$mono" 0
expect_eq "every SYN judged across the swaps" "$(judged)" $((sent - lost))
want=$(python3 -c "print(int($PPS * $secs + $BURST))")
expect_near "buckets kept: passed = pps x duration + burst, once" "$(passed)" "$want" 10
expect_eq "the policy stays" \
	"$(xg_srv deny list --json | json_get '[e["cidr"] for e in d["deny"]]')" "['198.19.200.0/24']"
rm -f "/tmp/${P}flood.json"
t_snapshot
T_IDS="$T_IDS prog:$id0"
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
