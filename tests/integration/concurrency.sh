#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Several CLI processes change the policy of one interface at once. The
# lock on the pin folder serializes them: the final state equals a serial
# order of the same operations, and no entry is torn.
P=xgcc-
. "$(dirname "$0")/../lib.sh"
t_start
W=4 N=40

check "attach eth0" xg_srv attach eth0
worker() {	# worker ID: adds N prefixes, deletes the odd ones, sets rates
	local id=$1 i
	for i in $(seq 0 $((N - 1))); do
		xg_srv deny add 198.19.$id.$i 2001:db8:$id:$i::/64 --ttl 1h >/dev/null || echo "FAIL add $id $i"
		xg_srv rate set --port $((1000 + id)) --pps $((id * 100 + i)) --burst $((i + 1)) >/dev/null || echo "FAIL rate $id $i"
		xg_srv allow add 198.18.$id.$i >/dev/null || echo "FAIL allow $id $i"
	done
	for i in $(seq 1 2 $((N - 1))); do
		xg_srv deny del 198.19.$id.$i 2001:db8:$id:$i::/64 >/dev/null || echo "FAIL del $id $i"
		xg_srv rate set --pps $((id + 1)) --burst $((id + 1)) >/dev/null || echo "FAIL default $id $i"
	done
}
for w in $(seq 1 $W); do worker "$w" >"/tmp/${P}w$w" 2>&1 & done
wait
expect_eq "no command failed" "$(cat /tmp/${P}w* | grep -c FAIL)" 0
rm -f /tmp/${P}w*

# what any serial order of those commands leaves
want_deny=$(for w in $(seq 1 $W); do for i in $(seq 0 2 $((N - 1))); do
	echo "198.19.$w.$i/32"; echo "2001:db8:$w:$i::/64"; done; done |
	python3 -c 'import ipaddress, sys; print("\n".join(sorted(str(ipaddress.ip_network(l.strip())) for l in sys.stdin)))')
got_deny=$(xg_srv deny list --json | json_one | python3 -c 'import json,sys; print("\n".join(sorted(e["cidr"] for e in json.load(sys.stdin)["deny"])))')
expect_eq "deny list = the serial result" "$got_deny" "$want_deny"
n_allow=$(xg_srv allow list --json | json_one | json_get 'len(d["allow"])')
expect_eq "allow list = the serial result" "$n_allow" $((W * N))
ports=$(xg_srv rate show --json | json_one | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sorted((p["port"], p["pps"], p["burst"]) for p in d["ports"]))')
want_ports=$(python3 -c "print(sorted((1000 + w, w * 100 + $N - 1, $N) for w in range(1, $W + 1)))")
expect_eq "each port's rate is its worker's last" "$ports" "$want_ports"
def=$(xg_srv rate show --json | json_one | json_get '(d["default"]["pps"], d["default"]["burst"])')
check "the default rate is one worker's last, whole ($def)" \
	python3 -c "import sys; p, b = $def; sys.exit(not (p == b and 2 <= p <= $W + 1))"
# no torn deny entry: every value's prefix length is its key's
torn=$(for m in xg_deny4 xg_deny6; do
	bpftool -j map dump pinned "$(t_pin_dirs | head -1)/$m"
done | python3 -c '
import json, sys
bad = 0
for doc in sys.stdin.read().replace("][", "]\n[").splitlines():
    for e in json.loads(doc):
        key = [int(x, 16) for x in e["key"]]
        val = [int(x, 16) for x in e["value"]]
        # value: expires_ns u64, hits u64, event_ns u64, prefixlen u32
        if key[0] != val[24] or int.from_bytes(bytes(val[0:8]), "little") == 0:
            bad += 1
print(bad)')
expect_eq "no torn deny entries" "$torn" 0
t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
