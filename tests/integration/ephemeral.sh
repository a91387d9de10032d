#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Ephemeral ports running out toward one destination. The client
# namespace's ip_local_port_range is narrowed to 100 ports; 101
# connections to one server: 100 succeed and hold their ports, one fails
# with EADDRNOTAVAIL. The ephemeral event fires when the count crosses
# 80%, the no_port event when connect() finds none; `xdpguard tw` shows
# the destination at 100% of the range, equal to ss's count. A second
# destination with a lowered threshold (tw set --ephemeral 30) fires its
# own event at 30%; the server's namespace, with the default range, sees
# nothing.
P=xg5ep-
. "$(dirname "$0")/../lib.sh"
T_HOST=1
t_start

TC=$ROOT/build/tcpchurn
LO=40000 HI=40099
tmp=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_cleanup; rm -rf "$tmp"' EXIT
xg_in() { local ns=$1; shift; lab_exec "$ns" "$XG" "$@"; }

ip netns exec ${P}cli sysctl -qw net.ipv4.ip_local_port_range="$LO $HI"
check "tw on" xg_in ${P}cli tw on
lab_exec ${P}srv timeout 600 "$TC" serve --port 8080 --port 8081 --duration 600 &
listening() { t_wait_listen ${P}srv 8080 && t_wait_listen ${P}srv 8081; }
check "server listens" listening
nsenter --net=/run/netns/${P}cli timeout 600 "$XG" events --json >"$tmp/ev" 2>"$tmp/ev.err" &
evc=$!
nsenter --net=/run/netns/${P}srv timeout 600 "$XG" events --json >"$tmp/ev_srv" 2>"$tmp/ev_srv.err" &
evs=$!
ready() { t_wait_line "$tmp/ev.err" host && t_wait_line "$tmp/ev_srv.err" host; }
check "event readers ready" ready

lab_exec ${P}cli "$TC" connect --dst $LAB_SRV4_C --port 8080 --count 101 --hold 15 \
	--timeout 5 --json >"$tmp/c1" &
for i in $(seq 1 50); do	# connect prints once all are made or failed
	[ -s "$tmp/c1" ] && break
	sleep 0.1
done
sleep 2.5	# the reader's snapshot, once a second, checks the 80%
n=$(ip netns exec ${P}cli ss -tanH dst $LAB_SRV4_C dport = :8080 | wc -l)
xg_in ${P}cli tw --json >"$tmp/tw"
d=$(json_get "[e for e in d['ephemeral']['destinations'] if e['destination'] == '$LAB_SRV4_C:8080'][0]" <"$tmp/tw")
echo "# $d; ss: $n"
expect_eq "the range is the namespace's" "$(json_get 'd["ephemeral"]["range"], d["ephemeral"]["ports"]' <"$tmp/tw")" "[$LO, $HI] 100"
expect_eq "ports in use toward $LAB_SRV4_C:8080 = ss" "$(json_get 'd["in_use"]' <<<"${d//\'/\"}")" "$n"
expect_eq "... all 100 of the range" "$n" 100
expect_eq "... all of it (share 1.0)" "$(json_get 'd["share"]' <<<"${d//\'/\"}")" "1.0"

check "the 101st connect failed with EADDRNOTAVAIL" python3 -c "
import json, sys
d = json.load(open('$tmp/c1'))
sys.exit(not (d['ok'] == 100 and d['errors'] == {'EADDRNOTAVAIL': 1}))"

# a second destination and a lower threshold: 35 ports cross 30%
# (the range is per destination: 8080's ports serve 8081 too)
check "tw set --ephemeral 30" xg_in ${P}cli tw set --ephemeral 30
lab_exec ${P}cli "$TC" connect --dst $LAB_SRV4_C --port 8081 --count 35 --hold 10 \
	--timeout 5 --json >"$tmp/c2" &
sleep 2.5
kill -INT $evc $evs 2>/dev/null
wait $evc $evs
grep . "$tmp/ev" | sed 's/^/# /'
ev() { grep "\"type\":\"$1\"" "$tmp/ev" | head -1; }
check "ephemeral event: $LAB_SRV4_C:8080 crossed 80% (80 of 100)" bash -c "python3 -c '
import json, sys
e = json.loads(sys.argv[1])
sys.exit(not (e[\"dst\"] == \"$LAB_SRV4_C\" and e[\"dport\"] == 8080 and e[\"in_use\"] == 80 and e[\"ports\"] == 100 and e[\"threshold_pct\"] == 80))' '$(ev ephemeral)'"
check "no_port event: connect() to $LAB_SRV4_C:8080 found no port" bash -c "python3 -c '
import json, sys
e = json.loads(sys.argv[1])
sys.exit(not (e[\"dst\"] == \"$LAB_SRV4_C\" and e[\"dport\"] == 8080 and e[\"ports\"] == 100))' '$(ev no_port)'"
check "ephemeral event: $LAB_SRV4_C:8081 crossed 30% (30 of 100)" bash -c "python3 -c '
import json, sys
e = json.loads(sys.argv[1])
sys.exit(not (e[\"in_use\"] == 30 and e[\"ports\"] == 100 and e[\"threshold_pct\"] == 30))' '$(grep '"dport":8081' "$tmp/ev" | head -1)'"
expect_eq "one of each per destination (one per destination per 10 s)" \
	"$(grep -c '"ephemeral".*:8080' "$tmp/ev") $(grep -c no_port "$tmp/ev") $(grep -c '"ephemeral".*:8081' "$tmp/ev")" "1 1 1"
expect_eq "nothing in the server's namespace" "$(grep -c . "$tmp/ev_srv")" 0

ids=$(t_host_ids)
check "tw off" xg_in ${P}cli tw off
t_host_nothing_left "$ids"
t_end
