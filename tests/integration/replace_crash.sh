#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# attach --replace killed with SIGKILL, again and again, on an interface
# carrying all eight programs (XDP, tc ingress and egress, the cookie
# hand-off, the tcp_retransmit_skb tracepoint, DNS telemetry's tc ingress
# and egress and its stale-use link). Three in four kills
# land in the swap phase: the replace runs with XDPGUARD_TEST_PAUSE_MS,
# which pauses between any two of its steps, and is killed at a random
# moment after it marked the interface as being replaced; the others at a
# random moment of the whole command (mostly while it loads). After each
# kill the next command (status) succeeds and:
#  - the interface runs all eight programs, each recorded as status shows
#    it (the ids the kernel shows: ip link, tc filter, bpftool link);
#  - the pin folder holds what an attach pins, nothing half-made;
#  - exactly one black-hole program runs on the interface's maps (in its
#    slot of the host's retransmission program, no link of its own), and
#    exactly one DNS stale-use link (the pinned one);
#  - real connections complete through the cookies and get the MSS clamp.
# Then a replace runs to its end, detach leaves nothing, and no program
# seen on the interface at any point is left in the kernel.
P=xg7-rk-
. "$(dirname "$0")/../lib.sh"
t_start
check "lab_wire (XDP pass on c0, no tx offloads)" lab_wire $P
KILLS=${XG_REPLACE_KILLS:-8}
PAUSE=25	# ms between two steps of the swap phase (about 22 steps)
MSS=1000
TMP=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_cleanup; rm -rf "$TMP"' EXIT

lab_exec ${P}srv timeout 600 socat TCP-LISTEN:8080,fork,reuseaddr \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
lab_exec ${P}srv timeout 600 socat TCP-LISTEN:8081,fork,reuseaddr \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
t_wait_listen ${P}srv 8080 && t_wait_listen ${P}srv 8081 || not_ok "servers"
check "attach eth1" xg_srv attach eth1
check "cookies on for 8080" xg_srv cookies set -i eth1 on --port 8080
check "MSS clamp $MSS" xg_srv mss set -i eth1 $MSS
DIR=$XG_PINS/$(lab_netns_cookie ${P}srv)-eth1
NPINS=$(ls "$DIR" | wc -l)

tcid() {	# HOOK NAME: the id of our filter's program, 0 if none
	ip netns exec ${P}srv tc -j filter show dev eth1 "$1" | python3 -c '
import json, sys
ids = [f["options"]["prog"]["id"] for f in json.load(sys.stdin)
       if f.get("options", {}).get("prog", {}).get("name") == sys.argv[1]]
print(ids[0] if len(ids) == 1 else "0" if not ids else "many")' "$2"
}
kernel_ids() {	# xdp, tc ingress, tc egress, tc cookie, tracepoint, dns
		# ingress, dns egress, dns stale use (the pinned link's)
	echo "$(ip -n ${P}srv -j link show dev eth1 | json_get 'd[0].get("xdp", {}).get("prog", {}).get("id", 0)')" \
	     "$(tcid ingress xg_tc_ingress)" "$(tcid egress xg_tc_egress)" \
	     "$(tcid ingress xg_tc_cookie)" \
	     "$(t_rt_prog "$DIR")" \
	     "$(tcid ingress xg_dns_ingress)" "$(tcid egress xg_dns_egress)" \
	     "$(bpftool -j link show pinned "$DIR/xg_dns_tp_link" 2>/dev/null | json_get 'd["prog_id"]' 2>/dev/null || echo 0)"
}
recorded_ids() {	# from status --json on stdin
	json_get '" ".join(str(d["interfaces"][0]["programs"][k] or 0) for k in ("xdp", "tc_ingress", "tc_egress", "tc_cookie", "tracepoint", "dns_ingress", "dns_egress", "dns_tracepoint"))'
}
# black-hole programs that run on this interface's maps: in the host's
# retransmission slots, or attached by a tracepoint link of their own
tp_links() {
	local m n
	n=$(t_rt_progs "$DIR" | grep -c .)
	m=$(bpftool -j map show pinned "$DIR/xg_pm_cfg" | json_get 'd["id"]')
	bpftool -j link show >"$TMP/links.json"
	bpftool -j prog show >"$TMP/progs.json"
	g=$(bpftool -j map show pinned "$DIR/xg_dns_gone" | json_get 'd["id"]')
	python3 - "$m" "$TMP/links.json" "$TMP/progs.json" "$n" "$g" <<'PY'
import json, sys
m, g = int(sys.argv[1]), int(sys.argv[5])
progs = {p["id"]: p for p in json.load(open(sys.argv[3]))}
links = json.load(open(sys.argv[2]))
def on(l, map_id):
    return (l.get("type") == "raw_tracepoint" and
            map_id in progs.get(l.get("prog_id"), {}).get("map_ids", []))
# black-hole programs, then DNS stale-use links
print(int(sys.argv[4]) + sum(1 for l in links if on(l, m)),
      sum(1 for l in links if on(l, g)))
PY
}
conn() {	# PORT TAG
	[ "$(lab_exec ${P}cli timeout 4 socat -T3 - "TCP:$LAB_SRV4_C:$1,connect-timeout=3" <<<"$2" 2>/dev/null)" == "pong $2" ]
}
marked() {	# the replace has set xg_info.replacing
	bpftool map dump pinned "$DIR/xg_info" 2>/dev/null | grep -q '"replacing": 1'
}

ALL="" viol=0 swaps=0 early=0 recovered=0 conns=0 cfail=0
prev=$(kernel_ids)
ALL="$prev"
new_parts=()
for i in $(seq 1 "$KILLS"); do
	if [ $((i % 4)) -ne 0 ]; then
		# in the swap phase: after the mark, within its ~14 pauses
		XDPGUARD_TEST_PAUSE_MS=$PAUSE nsenter --net=/run/netns/${P}srv \
			"$XG" attach --replace eth1 >/dev/null 2>&1 &
		pid=$!
		for k in $(seq 1 1000); do
			marked && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.01
		done
		sleep "$(printf '0.%03d' $((RANDOM % (PAUSE * 22))))"
		swaps=$((swaps + 1))
	else
		nsenter --net=/run/netns/${P}srv "$XG" attach --replace eth1 \
			>/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((RANDOM % 3)) $((RANDOM % 1000)))"
		early=$((early + 1))
	fi
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! xg_srv status -i eth1 --json >"$TMP/status.json" 2>"$TMP/status.err"; then
		viol=$((viol + 1)); echo "# kill $i: status failed: $(cat "$TMP/status.err")"
	fi
	grep -q "was interrupted" "$TMP/status.err" && recovered=$((recovered + 1))
	now=$(kernel_ids) rec=$(recorded_ids <"$TMP/status.json")
	ALL="$ALL $now"
	read -r -a a <<<"$now"
	read -r -a b <<<"$prev"
	n=0
	for k in 0 1 2 3 4 5 6 7; do
		[[ "${a[$k]}" =~ ^[1-9][0-9]*$ ]] ||
			{ viol=$((viol + 1)); echo "# kill $i: program $k is '${a[$k]}' ($now)"; }
		[ "${a[$k]}" != "${b[$k]}" ] && n=$((n + 1))
	done
	new_parts+=("$n")
	[ "$now" == "$rec" ] ||
		{ viol=$((viol + 1)); echo "# kill $i: the kernel runs $now, status records $rec"; }
	pins=$(ls "$DIR" | wc -l)
	[ "$pins" == "$NPINS" ] && ! ls "$DIR" | grep -q : ||
		{ viol=$((viol + 1)); echo "# kill $i: pins: $(ls "$DIR" | tr '\n' ' ')"; }
	t=$(tp_links)
	[ "$t" == "1 1" ] || { viol=$((viol + 1)); echo "# kill $i: black-hole programs and DNS stale-use links: $t"; }
	if [ $((i % 4)) -eq 0 ]; then
		conns=$((conns + 2))
		conn 8080 "k$i" || cfail=$((cfail + 1))
		conn 8081 "k$i" || cfail=$((cfail + 1))
	fi
	prev=$now
done
hist=$(printf '%s\n' "${new_parts[@]}" | sort | uniq -c | awk '{printf "%s%s parts new: %d", (NR > 1 ? ", " : ""), $2, $1}')
echo "# $SECONDS s; $KILLS kills: $swaps in the swap phase, $early anywhere; $recovered found interrupted by the next command; $hist"
expect_eq "$KILLS kills ($swaps in the swap phase, $recovered found interrupted; $hist): all eight programs running and recorded, pins whole, one black-hole program, one DNS stale-use link" "$viol" 0
expect_eq "connections through cookies and the clamp after kills ($conns)" "$cfail" 0
check "some kills interrupted the swaps" test "$recovered" -gt 0
check "a replace then runs to its end" xg_srv attach --replace eth1
now=$(kernel_ids)
ALL="$ALL $now"
expect_eq "... and status records what runs" "$(xg_srv status -i eth1 --json | recorded_ids)" "$now"

lab_unwire $P
t_snapshot
T_IDS="$T_IDS $(for id in $ALL; do [[ "$id" =~ ^[1-9][0-9]*$ ]] && echo "prog:$id"; done | sort -u)"
check "detach eth1" xg_srv detach eth1
t_nothing_left
t_end
