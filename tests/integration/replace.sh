#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# attach --replace during a flood: new builds of every program of an
# interface (XDP, tc ingress and egress, the cookie hand-off, the
# tcp_retransmit_skb tracepoint, DNS telemetry's tc ingress and egress and
# its stale-use tracepoint link) on the same maps.
#
# eth0 takes a spoofed SYN flood under a per-source budget; eth1 serves a
# client with SYN cookies on port 8080 and an MSS clamp of 1000 on every
# port, while the client connects again and again to 8080 (cookies) and
# 8081 (clamped). eth1 is replaced twice and eth0 once during the flood.
# Then:
#  - every program id on both interfaces changed (ip link, tc filter, the
#    host retransmission program's slots), and status records the ids the
#    kernel shows;
#  - every SYN of the flood was judged across the swaps (generator count -
#    veth losses), buckets were kept (one burst, not one per swap), the
#    policy stays;
#  - no client connection failed; the hand-off counter grew by exactly
#    the cookie connections and the clamp counters by exactly the clamped
#    ones (counting on from where they were); every SYN-ACK the client saw
#    from 8081 carried MSS 1000 (tcpdump), and the server's socket sends
#    segments of at most 1000 - 12 bytes (ss);
#  - DNS queries sent to eth1 all along are all counted (the server
#    entry's queries grow by exactly the number sent);
#  - after the replaces, cookies still complete connections, and the new
#    tracepoint program counts the server's full-size retransmissions as
#    the server's kernel counts them (nstat), on from the earlier count;
#  - a part that fails (the host's retransmission slots taken away just
#    before the last step) stops the replace: exit 1, the part named, the
#    earlier parts replaced and recorded, the failed one still running and
#    recorded;
#  - a part removed by hand (the cookie filter) is reported, not replaced;
#  - a program that cannot be loaded (a pinned map missing: the MSS
#    program's, the DNS programs') changes nothing;
#  - detach leaves nothing.
P=xgrp-
. "$(dirname "$0")/../lib.sh"
t_start
check "lab_wire (XDP pass on c0, no tx offloads)" lab_wire $P
TMP=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_cleanup; rm -rf "$TMP"' EXIT
PPS=100 BURST=100 MSS=1000

lab_exec ${P}srv timeout 600 socat TCP-LISTEN:8080,fork,reuseaddr,backlog=1024 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
lab_exec ${P}srv timeout 600 socat TCP-LISTEN:8081,fork,reuseaddr,backlog=1024 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
lab_exec ${P}srv timeout 600 socat TCP-LISTEN:8082,fork,reuseaddr \
	SYSTEM:'sleep 0.5; head -c 300000 /dev/zero' 2>/dev/null &
for port in 8080 8081 8082; do
	t_wait_listen ${P}srv $port || not_ok "server on $port"
done

check "attach eth0" xg_srv attach eth0 --pps $PPS --burst $BURST
check "attach eth1" xg_srv attach eth1
xg_srv deny add -i eth0 198.19.200.0/24 >/dev/null
check "cookies on for 8080 on eth1" xg_srv cookies set -i eth1 on --port 8080
check "MSS clamp $MSS on eth1" xg_srv mss set -i eth1 $MSS

dir() { echo "$XG_PINS/$(lab_netns_cookie ${P}srv)-$1"; }
# the ids the kernel shows: xdp, tc ingress, tc egress, tc cookie, tracepoint
tcid() {	# IFACE HOOK NAME
	ip netns exec ${P}srv tc -j filter show dev "$1" "$2" | python3 -c '
import json, sys
ids = [f["options"]["prog"]["id"] for f in json.load(sys.stdin)
       if f.get("options", {}).get("prog", {}).get("name") == sys.argv[1]]
print(ids[0] if len(ids) == 1 else "0" if not ids else "many")' "$3"
}
# ... DNS ingress, DNS egress, DNS stale use (the pinned link's program)
kernel_ids() {	# IFACE
	echo "$(ip -n ${P}srv -j link show dev "$1" | json_get 'd[0].get("xdp", {}).get("prog", {}).get("id", 0)')" \
	     "$(tcid "$1" ingress xg_tc_ingress)" "$(tcid "$1" egress xg_tc_egress)" \
	     "$(tcid "$1" ingress xg_tc_cookie)" \
	     "$(t_rt_prog "$(dir "$1")")" \
	     "$(tcid "$1" ingress xg_dns_ingress)" "$(tcid "$1" egress xg_dns_egress)" \
	     "$(bpftool -j link show pinned "$(dir "$1")/xg_dns_tp_link" 2>/dev/null | json_get 'd["prog_id"]' 2>/dev/null || echo 0)"
}
recorded_ids() {	# IFACE
	xg_srv status -i "$1" --json | json_get '" ".join(str(d["interfaces"][0]["programs"][k] or 0) for k in ("xdp", "tc_ingress", "tc_egress", "tc_cookie", "tracepoint", "dns_ingress", "dns_egress", "dns_tracepoint"))'
}
dnsq() {	# eth1's DNS queries to its address (port 53, this host the server)
	xg_srv dns -i eth1 --json | json_one | json_get "sum(s['queries'] for s in d['servers'] if s['address'] == '$LAB_SRV4_C' and s['role'] == 'local')"
}
# DNS queries to eth1's address (nothing answers: counted as queries) until
# FILE.stop exists, at most 60 s; writes how many were sent to FILE
dns_sender() {
	lab_exec ${P}cli timeout 70 python3 - "$1" "$LAB_SRV4_C" <<'PY'
import os, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n, end = 0, time.monotonic() + 60
while not os.path.exists(sys.argv[1] + ".stop") and time.monotonic() < end:
    q = struct.pack("!HHHHHH", n & 0xffff, 0x0100, 1, 0, 0, 0) + \
        b"\x03www\x07replace\x04test\x00" + struct.pack("!HH", 1, 1)
    s.sendto(q, (sys.argv[2], 53))
    n += 1
    time.sleep(0.02)
open(sys.argv[1], "w").write("%d\n" % n)
PY
}
counter() {	# IFACE REASON (packets, every verdict)
	xg_srv status -i "$1" --json | json_get \
		"sum(c['packets'] for c in d['interfaces'][0]['counters'] if c['reason'] in '$2'.split(','))"
}
handoffs() { xg_srv status -i eth1 --json | json_get 'd["interfaces"][0]["handoff"]["connections"]'; }
mssc() { xg_srv mss show -i eth1 --json | json_one | json_get "d['counters']['$1']"; }
# every retransmission the tracepoint saw: full-size, small (the FIN, a
# short last segment) and after a PTB
retrans() { xg_srv pmtu -i eth1 --json | json_one | json_get 'sum(d["counters"][k] for k in ("retrans_full", "retrans_small", "retrans_after_ptb"))'; }
conn() {	# PORT TAG: a request and its reply
	[ "$(lab_exec ${P}cli timeout 4 socat -T3 - "TCP:$LAB_SRV4_C:$1,connect-timeout=3" <<<"$2" 2>/dev/null)" == "pong $2" ]
}
clients() {	# FILE: connect to 8080 and 8081 in turn until FILE.stop
		# exists (at most 60 s); writes "ok8080 fail8080 ok8081 fail8081"
	local a=0 fa=0 b=0 fb=0 i=0 end=$((SECONDS + 60))
	while [ ! -e "$1.stop" ] && [ $SECONDS -lt $end ]; do
		i=$((i + 1))
		if conn 8080 "c$i"; then a=$((a + 1)); else fa=$((fa + 1)); fi
		if conn 8081 "m$i"; then b=$((b + 1)); else fb=$((fb + 1)); fi
	done
	echo "$a $fa $b $fb" >"$1"
}
# A 300 kB reply from 8082 that the client's c0 stops taking (an XDP drop
# program) after the handshake: the server retransmits its first segment
# at each timeout until the client gives up (SO_LINGER 0: an RST ends
# it). Prints "xdpguard's retrans_full delta, the server's TcpRetransSegs
# delta".
lost_reply() {
	local r0 k0 cpid
	r0=$(retrans) k0=$(t_nstat ${P}srv TcpRetransSegs)
	lab_exec ${P}cli timeout 2.5 socat -u "TCP:$LAB_SRV4_C:8082,linger=0" /dev/null 2>/dev/null &
	cpid=$!
	sleep 0.2
	ip -n ${P}cli link set dev c0 xdp off
	ip -n ${P}cli link set dev c0 xdp obj "$ROOT/build/xdp_drop.bpf.o" sec xdp
	wait $cpid
	sleep 0.2
	ip -n ${P}cli link set dev c0 xdp off
	ip -n ${P}cli link set dev c0 xdp obj "$LAB_XDP_PASS" sec xdp
	echo "$(( $(retrans) - r0 )) $(( $(t_nstat ${P}srv TcpRetransSegs) - k0 ))"
}

# ---- before: every counter under test has counted something ----
f=0
for i in $(seq 1 10); do conn 8080 "w$i" || f=$((f + 1)); conn 8081 "v$i" || f=$((f + 1)); done
expect_eq "20 connections before the replaces" "$f" 0
read -r rt kt <<<"$(lost_reply)"
echo "# before: the tracepoint counted $rt retransmissions, the server's kernel $kt"
check "before: retransmissions counted" test "$rt" -gt 0
ids0_eth0=$(kernel_ids eth0) ids0_eth1=$(kernel_ids eth1)
echo "# ids before: eth0 $ids0_eth0; eth1 $ids0_eth1 (xdp, tc in, tc eg, cookie, tracepoint)"
expect_eq "eth0: status records the kernel's ids" "$(recorded_ids eth0)" "$ids0_eth0"
expect_eq "eth1: status records the kernel's ids" "$(recorded_ids eth1)" "$ids0_eth1"
check "eth1 carries all eight programs" bash -c "! grep -qw 0 <<<'$ids0_eth1'"

# ---- the flood, the clients, three replacements ----
ho0=$(handoffs) ci0=$(mssc clamped_ingress) ce0=$(mssc clamped_egress)
# SYNs eth1's XDP passed to the kernel: every 8081 SYN, and an 8080 SYN
# only when its 4-tuple has a socket (a client port reused while the
# server still holds the old connection in TIME_WAIT): the kernel makes
# that one itself, through the clamp and with no hand-off
sp1() { xg_srv status -i eth1 --json | json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"] == "syn_budget" and c["verdict"] == "pass")'; }
sp0=$(sp1)
rt0=$(retrans)
# the clients' own retransmissions: a handshake ACK (or the first data,
# which carries it) sent again before the server's socket exists is a
# second valid cookie ACK, handed off again
cnst() { ip netns exec ${P}cli nstat -asz TcpRetransSegs | awk '$1 == "TcpRetransSegs" {print $2 + 0}'; }
crt0=$(cnst)
echo "# counters before: $ho0 hand-offs, $ci0 / $ce0 SYNs clamped in / out, $rt0 retransmissions"
nsenter --net=/run/netns/${P}cli tcpdump -nn -B 8192 --immediate-mode -U -i c0 -w "$TMP/synack.pcap" \
	'tcp src port 8081 and tcp[tcpflags] & tcp-syn != 0' 2>"$TMP/td.err" &
tdpid=$!
t_wait_line "$TMP/td.err" listening
judged() { counter eth0 syn_budget,syn_over_budget; }
passed() {
	xg_srv status -i eth0 --json | json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"] == "syn_budget" and c["verdict"] == "pass")'
}
j0=$(judged) p0=$(passed)
mac=$(lab_mac ${P}srv eth0)
err0=$(atk_xmit_errors)
# nsenter execs the generator: $! is its pid, and SIGINT stops it exactly
nsenter --net=/run/netns/${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 \
	--dport 80 --src 198.19.1.0/24 --sources 1 --count 0 --duration 60 \
	--json >"$TMP/flood.json" &
fpid=$!
clients "$TMP/clients" &
cpid=$!
dq0=$(dnsq)
dns_sender "$TMP/dnsq" &
dpid=$!
sleep 1
fails=0 mono=0 last=$(judged) t0=$SECONDS
for i in eth1 eth0 eth1; do
	if xg_srv attach --replace $i >"$TMP/replace.out" 2>&1; then
		sed 's/^/# /' "$TMP/replace.out"
	else
		fails=$((fails + 1)); sed 's/^/# FAILED: /' "$TMP/replace.out"
	fi
	now=$(judged)
	[ "$now" -ge "$last" ] || mono=$((mono + 1))
	last=$now
done
echo "# three replacements in $((SECONDS - t0)) s"
sleep 0.5
kill -INT $fpid
wait $fpid
touch "$TMP/clients.stop" "$TMP/dnsq.stop"
wait $cpid
wait $dpid
sleep 0.5
kill $tdpid; wait $tdpid
read -r a fa b fb <"$TMP/clients"
sent=$(json_get 'd["sent"]' <"$TMP/flood.json")
secs=$(json_get 'd["seconds"]' <"$TMP/flood.json")
lost=$(( $(atk_xmit_errors) - err0 ))
echo "# flood: $sent SYNs in $secs s, $lost lost in the veth; clients: $a + $b connections, $fa + $fb failed"
expect_eq "three replacements during a flood of $sent SYNs in ${secs%.*} s succeed" "$fails" 0
ids1_eth0=$(kernel_ids eth0) ids1_eth1=$(kernel_ids eth1)
echo "# ids after: eth0 $ids1_eth0; eth1 $ids1_eth1"
for i in eth0 eth1; do
	v0=ids0_$i v1=ids1_$i
	read -r -a before <<<"${!v0}"
	read -r -a after <<<"${!v1}"
	n=0 changed=0
	for k in 0 1 2 3 4 5 6 7; do
		[ "${before[$k]}" == 0 ] && continue
		n=$((n + 1))
		[ "${before[$k]}" != "${after[$k]}" ] && [ "${after[$k]}" != 0 ] &&
			changed=$((changed + 1))
	done
	expect_eq "$i: every program id changed (${!v0} -> ${!v1})" "$changed" "$n"
	expect_eq "$i: status records the new ids" "$(recorded_ids $i)" "${!v1}"
done
expect_eq "eth1: one black-hole program runs on its maps, in the host's retransmission slots (bpftool)" \
	"$(t_rt_progs "$(dir eth1)" | grep -c .)" 1
check "... and it is attached by no tracepoint link of its own" test \
	"$(bpftool -j link show | python3 -c 'import json,sys; print(sum(1 for l in json.load(sys.stdin) if l.get("prog_id") == int(sys.argv[1])))' "$(awk '{print $5}' <<<"$ids1_eth1")")" = 0
expect_eq "counters never went back" "$mono" 0
sleep 0.2
expect_eq "every DNS query sent to eth1 across the swaps counted ($(cat "$TMP/dnsq") sent)" \
	$(( $(dnsq) - dq0 )) "$(cat "$TMP/dnsq")"
expect_eq "every SYN of the flood judged across the swaps" $(( $(judged) - j0 )) $((sent - lost))
want=$(python3 -c "print(int($PPS * $secs + $BURST))")
expect_near "buckets kept: passed = pps x duration + burst, once" $(( $(passed) - p0 )) "$want" 10
expect_eq "the policy stays" \
	"$(xg_srv deny list -i eth0 --json | json_one | json_get '[e["cidr"] for e in d["deny"]]')" "['198.19.200.0/24']"
check "clients made connections through both ports ($a, $b)" test "$a" -gt 10 -a "$b" -gt 10
expect_eq "no client connection failed across the swaps" "$((fa + fb))" 0
ho=$(( $(handoffs) - ho0 )) crt=$(( $(cnst) - crt0 ))
# 8080 SYNs the kernel took (a live 4-tuple), by XDP's own count
kt=$(( $(sp1) - sp0 - b ))
check "... 8080 SYNs passed to the kernel for a live 4-tuple: $kt (0, or a few port reuses)" test "$kt" -ge 0 -a "$kt" -le 5
check "hand-offs counted on: one per cookie connection ($a) but those $kt, one more at most per client retransmission ($crt): $ho" \
	test "$ho" -ge $((a - kt)) -a "$ho" -le $((a + crt))
expect_eq "SYNs clamped on ingress counted on: + the 8081 connections and those $kt" $(( $(mssc clamped_ingress) - ci0 )) $((b + kt))
expect_eq "SYN-ACKs clamped on egress counted on: + the 8081 connections and those $kt" $(( $(mssc clamped_egress) - ce0 )) $((b + kt))
tcpdump -nn -v -r "$TMP/synack.pcap" 2>/dev/null | grep 'Flags \[S\.\]' >"$TMP/synack.txt"
nsa=$(wc -l <"$TMP/synack.txt")
seen=$(grep -o 'mss [0-9]*' "$TMP/synack.txt" | sort | uniq -c | awk '{print $3 "x" $1}' | tr '\n' ' ')
# under load the capture itself may lose frames: tcpdump counts those
tdrop=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$TMP/td.err")
echo "# SYN-ACK MSS the client saw from 8081: $seen; ${tdrop:-?} lost by the capture"
expect_eq "every SYN-ACK from 8081 the client saw says mss $MSS (tcpdump)" "$seen" "${MSS}x$nsa "
expect_eq "... and the capture accounts for every 8081 connection (${tdrop:-?} lost by it)" \
	$((nsa + ${tdrop:-0})) "$b"

# ---- after the replaces ----
ho1=$(handoffs) f=0
for i in $(seq 1 20); do conn 8080 "a$i" || f=$((f + 1)); done
expect_eq "after: 20 connections through the cookies" "$f" 0
expect_eq "after: each handed off by the new tc program" $(( $(handoffs) - ho1 )) 20
lab_exec ${P}cli timeout 3 socat -u "TCP:$LAB_SRV4_C:8082" /dev/null 2>/dev/null &
hpid=$!
sleep 0.3
smss=$(ip netns exec ${P}srv ss -tniH state established '( sport = :8082 )' | grep -o ' mss:[0-9]*' | head -1 | cut -d: -f2)
wait $hpid
echo "# the server's socket on 8082: mss ${smss:-none}"
check "after: the server sends at most $MSS - 12 byte segments (ss, MSS clamped on ingress)" \
	test "${smss:-9999}" -le $((MSS - 12))
read -r rt kt <<<"$(lost_reply)"
echo "# after: the tracepoint counted $rt retransmissions, the server's kernel $kt"
check "after: the new tracepoint program counts retransmissions" test "$rt" -gt 0
expect_eq "after: ... as many as the server's kernel retransmitted (nstat)" "$rt" "$kt"
check "after: retransmissions counted on from $rt0" test "$(retrans)" -ge $((rt0 + rt))

# ---- a part that fails stops the replace ----
# The last part (the black-hole program's slot in the host's
# retransmission program) loses its map mid-way: once the step before it
# (the cookie hand-off) is done, the pin of the slots is moved away for a
# moment (every step of this replace is 1 s apart).
ids=$(kernel_ids eth1)
read -r -a b4 <<<"$ids"
XDPGUARD_TEST_PAUSE_MS=1000 xg_srv attach --replace eth1 >"$TMP/fail.out" 2>&1 &
rp=$!
for i in $(seq 1 400); do
	[ "$(tcid eth1 ingress xg_tc_cookie)" != "${b4[3]}" ] && break
	kill -0 $rp 2>/dev/null || break
	sleep 0.02
done
mv "$XG_PINS/retrans/xgh_rt_progs" "$XG_PINS/retrans/xgh_rt_progs_away"	# bpffs: no dots
wait $rp
rc=$?
mv "$XG_PINS/retrans/xgh_rt_progs_away" "$XG_PINS/retrans/xgh_rt_progs"
sed 's/^/# /' "$TMP/fail.out"
expect_eq "a failing part: exit 1" "$rc" 1
check "... the message names the part" grep -q "cannot replace the tcp_retransmit_skb program" "$TMP/fail.out"
check "... and says what was replaced" grep -q "replaced: xdp id .*; failed: tcp_retransmit_skb" "$TMP/fail.out"
read -r -a before <<<"$ids"
read -r -a after <<<"$(kernel_ids eth1)"
check "... the earlier parts are new (${before[*]:0:4} ${before[*]:5:3} -> ${after[*]:0:4} ${after[*]:5:3})" bash -c \
	"[ ${before[0]} != ${after[0]} ] && [ ${before[1]} != ${after[1]} ] && [ ${before[2]} != ${after[2]} ] && [ ${before[3]} != ${after[3]} ] && [ ${before[5]} != ${after[5]} ] && [ ${before[6]} != ${after[6]} ] && [ ${before[7]} != ${after[7]} ]"
expect_eq "... the failed one still runs" "${after[4]}" "${before[4]}"
expect_eq "... and status records what runs" "$(recorded_ids eth1)" "${after[*]}"

# ---- a part removed by hand is reported, not replaced ----
prio=$(ip netns exec ${P}srv tc -j filter show dev eth1 ingress | python3 -c '
import json, sys
print([f["pref"] for f in json.load(sys.stdin) if f.get("options", {}).get("prog", {}).get("name") == "xg_tc_cookie"][0])')
ip netns exec ${P}srv tc filter del dev eth1 ingress pref "$prio"
xg_srv attach --replace eth1 >"$TMP/miss.out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/miss.out"
expect_eq "a part removed by hand: the others are replaced (exit 0)" "$rc" 0
check "... it is named, not replaced" grep -q "tc cookie hand-off program (id ${after[3]}) is no longer there" "$TMP/miss.out"
check "... cookies set attaches it again" xg_srv cookies set -i eth1 on --port 8080

# ---- a program that cannot load changes nothing ----
ids=$(kernel_ids eth1)
mv "$(dir eth1)/xg_pm_stats" "$(dir eth1)/xg_pm_stats_away"	# bpffs: no dots
xg_srv attach --replace eth1 >"$TMP/load.out" 2>&1
rc=$?
mv "$(dir eth1)/xg_pm_stats_away" "$(dir eth1)/xg_pm_stats"
sed 's/^/# /' "$TMP/load.out"
expect_eq "a map the new tc programs cannot find: exit 1" "$rc" 1
check "... it says nothing changed" grep -q "eth1: nothing changed" "$TMP/load.out"
expect_eq "... and nothing did" "$(kernel_ids eth1)" "$ids"
mv "$(dir eth1)/xg_dns_names" "$(dir eth1)/xg_dns_names_away"
xg_srv attach --replace eth1 >"$TMP/load.out" 2>&1
rc=$?
mv "$(dir eth1)/xg_dns_names_away" "$(dir eth1)/xg_dns_names"
sed 's/^/# /' "$TMP/load.out"
expect_eq "a map the new DNS programs cannot find: exit 1, nothing changed" \
	"$rc $(grep -c 'eth1: nothing changed' "$TMP/load.out")" "1 1"
expect_eq "... and nothing did" "$(kernel_ids eth1)" "$ids"

# ---- detach leaves nothing ----
lab_unwire $P
t_snapshot
T_IDS="$T_IDS $(for i in $ids0_eth0 $ids0_eth1; do [ "$i" != 0 ] && echo "prog:$i"; done)"
check "detach eth0" xg_srv detach eth0
check "detach eth1" xg_srv detach eth1
t_nothing_left
t_end
