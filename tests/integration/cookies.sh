#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# SYN cookies in XDP, end to end: a spoofed SYN flood with random sources
# at the generator's full rate while a client makes 100 real connections
# (request + reply) through the cookies: all succeed, and the server's
# kernel never sees the flood (nstat: no SyncookiesSent, ListenOverflows,
# ListenDrops; TcpPassiveOpens = the client's connections, each handed
# off by tc). Every SYN of the flood is answered (the generator's count =
# xdpguard's = the veth's XDP_TX count = SYN-ACKs received by the
# attacker's side); the SYN-ACKs tcpdump sees have correct checksums and
# the kernel's options. IPv6 the same. An ACK flood with random numbers
# creates no socket and never reaches TCP. A VLAN-tagged SYN is answered
# with the tag; one with a bad checksum is not. Both interfaces' guards and
# hand-offs read the host's one cookie key, which a later attach pins
# again from a guard when its pin was removed, and which goes with the
# last detach. The CLI refuses bad input and changes nothing; detach
# removes the tc filter and its qdisc.
P=xg3ck-
. "$(dirname "$0")/../lib.sh"
t_start
check "lab_wire (XDP pass on c0, no tx offloads)" lab_wire $P
PORT=8080
TMP=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_cleanup; rm -rf "$TMP"' EXIT

# ---- the CLI contract ----
out=$(xg_srv cookies set -i eth0 on 2>&1); rc=$?
expect_eq "cookies set before attach: usage error" "$rc" 2
check "... says the interface is not attached" grep -q "not attached" <<<"$out"
check "attach eth0" xg_srv attach eth0
check "attach eth1" xg_srv attach eth1
bad=(
	"cookies set -i eth0|missing mode"
	"cookies set -i eth0 maybe|bad mode 'maybe'"
	"cookies set -i eth0 auto|needs --threshold"
	"cookies set -i eth0 auto --threshold 0|--threshold '0'"
	"cookies set -i eth0 on --threshold 5|--threshold applies to auto"
	"cookies set -i eth0 on --port 0|--port '0'"
	"cookies set -i eth0 on --port 70000|--port '70000'"
	"cookies set -i eth0 on off|unexpected argument 'off'"
	"cookies show -i eth0 --threshold 5|--threshold belongs to cookies set, not cookies show"
	"cookies show -i eth0 --port 80|--port belongs to cookies set, not cookies show"
	"cookies frob|unknown verb 'cookies frob' (accepted: show, set)"
	"cookies set -i nosuch0 on|unknown interface 'nosuch0'"
)
before=$(xg_srv cookies show -i eth0 --json | json_one | json_get 'd["ports"], d["tc"]["attached"]')
for b in "${bad[@]}"; do
	args=${b%%|*} want=${b#*|}
	# shellcheck disable=SC2086
	out=$(xg_srv $args 2>&1); rc=$?
	if [ "$rc" -eq 2 ] && grep -qF -- "$want" <<<"$out"; then
		ok "xdpguard $args: exit 2, names '$want'"
	else
		not_ok "xdpguard $args: exit $rc, output: $out"
	fi
done
expect_eq "bad input changed nothing" \
	"$(xg_srv cookies show -i eth0 --json | json_one | json_get 'd["ports"], d["tc"]["attached"]')" "$before"
check "no tc filter before cookies are set" \
	bash -c "! ip netns exec ${P}srv tc filter show dev eth0 ingress | grep -q xg_tc_cookie"
out=$(xg_srv cookies set -i eth0 off --port $PORT 2>&1); rc=$?
expect_eq "off for a port without cookies: success" "$rc" 0
check "... says nothing changed" grep -q "nothing changed" <<<"$out"

# ---- servers and cookies ----
lab_exec ${P}srv timeout 600 socat TCP-LISTEN:$PORT,fork,reuseaddr,backlog=4096 \
	SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
lab_exec ${P}srv timeout 600 socat TCP6-LISTEN:$PORT,fork,reuseaddr,ipv6only=1,backlog=4096 \
	SYSTEM:'read l; echo "pong6 $l"' 2>/dev/null &
check "cookies set -i eth0 on --port $PORT" xg_srv cookies set -i eth0 on --port $PORT
check "cookies set -i eth1 on --port $PORT" xg_srv cookies set -i eth1 on --port $PORT
for i in eth0 eth1; do
	check "$i: tc ingress filter xg_tc_cookie attached" \
		bash -c "ip netns exec ${P}srv tc filter show dev $i ingress | grep -q xg_tc_cookie"
done
# one cookie key for the host: both guards and both hand-offs read it
key_id() { bpftool -j map show pinned "$1" 2>/dev/null | json_get 'd["id"]'; }
kid=$(key_id "$XG_PINS/xg_cookie_key")
check "the host's cookie key is pinned in the pin root" test -n "$kid"
for i in eth0 eth1; do
	expect_eq "$i: its folder pins the host's key" \
		"$(key_id "$(ls -d "$XG_PINS"/*-$i)/xg_cookie_key")" "$kid"
done
expect_eq "the programs reading the host's key: both guards, both hand-offs" \
	"$(bpftool -j prog show | json_get "sorted(p['name'] for p in d if $kid in p.get('map_ids', []))")" \
	"['xdpguard', 'xdpguard', 'xg_tc_cookie', 'xg_tc_cookie']"
show=$(xg_srv cookies show -i eth1 --json | json_one)
expect_eq "cookies show: available" "$(json_get 'd["available"]' <<<"$show")" True
expect_eq "cookies show: port $PORT on" \
	"$(json_get '[(p["port"], p["mode"]) for p in d["ports"]]' <<<"$show")" "[($PORT, 'on')]"
WS=$(json_get 'd["synack"]["wscale"]' <<<"$show")
check "status shows the cookie setting" bash -c \
	"nsenter --net=/run/netns/${P}srv $XG status -i eth1 | grep -q 'cookies: port $PORT on'"
sleep 0.3

handoffs() { xg_srv status -i "$1" --json | json_get 'd["interfaces"][0]["handoff"]["connections"]'; }
ethstat() {	# IFACE FIELD...: sum of the veth's own counters
	local i=$1; shift
	lab_exec ${P}srv ethtool -S "$i" | awk -v f="$*" \
		'BEGIN {n = split(f, a, " ")} {for (k = 1; k <= n; k++) if ($1 == "rx_queue_0_" a[k] ":") s += $2} END {print s + 0}'
}
# absolute counters (nstat -s: its history file is shared by all namespaces)
# verdicts() IFACE: every counter as "verdict:reason=packets", one line
verdicts() {
	xg_srv status -i "$1" --json | json_get \
	"' '.join('%s:%s=%d' % (c['verdict'], c['reason'], c['packets']) for c in d['interfaces'][0]['counters'])"
}
# verdict_delta BEFORE AFTER: what was judged in between, as
# "answered background other": SYNs answered with a cookie, frames that are
# not TCP (ARP, neighbour discovery: the lab's own), anything else (none
# of a SYN flood to a cookie port may end anywhere else)
verdict_delta() {
	python3 -c '
import sys
a, b = ({k: int(v) for k, v in (x.split("=") for x in s.split())} for s in sys.argv[1:3])
d = {k: b[k] - a.get(k, 0) for k in b if b[k] != a.get(k, 0)}
syn = d.pop("tx:cookie_syn", 0)
bg = sum(d.pop(k) for k in list(d) if k.split(":")[1] in ("not_ip", "not_tcp"))
print(syn, bg, sum(d.values()), " ".join("%s=%d" % kv for kv in d.items()))' "$1" "$2"
}
nstat_mark() { for k in TcpPassiveOpens TcpExtSyncookiesSent TcpExtListenOverflows \
	TcpExtListenDrops TcpOutRsts; do eval "N0_$k=$(t_nstat ${P}srv $k)"; done; }
nstat_delta() { local v0="N0_$1"; echo $(( $(t_nstat ${P}srv "$1") - ${!v0} )); }
client_loop() {	# N ADDR [6]: connections with a request and its reply; prints failures
	local n=$1 a=$2 i f=0 r want
	for i in $(seq 1 "$n"); do
		if [ "${3:-}" == 6 ]; then
			r=$(lab_exec ${P}cli timeout 4 socat -T3 - "TCP6:[$a]:$PORT,connect-timeout=3" <<<"ping$i" 2>/dev/null)
			want="pong6 ping$i"
		else
			r=$(lab_exec ${P}cli timeout 4 socat -T3 - "TCP:$a:$PORT,connect-timeout=3" <<<"ping$i" 2>/dev/null)
			want="pong ping$i"
		fi
		[ "$r" == "$want" ] || f=$((f + 1))
	done
	echo $f
}

# tcpdump_ready FILE: wait (up to 5 s) until the tcpdump writing its
# messages to FILE is capturing
tcpdump_ready() {
	local i
	for i in $(seq 1 50); do
		grep -q "listening on" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- the SYN-ACK on the wire (tcpdump on the client) ----
lab_exec ${P}cli timeout 10 tcpdump -nn -vv -i c0 -c 5 \
	'tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)' >"$TMP/synack.txt" 2>"$TMP/td1" &
tdpid=$!
tcpdump_ready "$TMP/td1"
expect_eq "5 connections through the cookies" "$(client_loop 5 $LAB_SRV4_C)" 0
wait $tdpid
n=$(grep -c "Flags \[S\.\]" "$TMP/synack.txt")
expect_eq "tcpdump saw 5 SYN-ACKs" "$n" 5
expect_eq "... all with a correct TCP checksum" "$(grep -c 'Flags \[S\.\], cksum 0x[0-9a-f]* (correct)' "$TMP/synack.txt")" 5
check "... none with a bad IP or TCP checksum" \
	bash -c "! grep -qE 'incorrect|bad cksum' $TMP/synack.txt"
expect_eq "... with the kernel's options (mss, sackOK, TS, wscale)" \
	"$(grep -c "options \[mss 1460,sackOK,TS val [0-9]* ecr [0-9]*,nop,wscale $WS\]" "$TMP/synack.txt")" 5

# ---- a spoofed SYN flood, random sources, full rate; 100 real clients ----
mac=$(lab_mac ${P}srv eth0)
syn0=$(t_counter eth0 tx cookie_syn); tx0=$(ethstat eth0 xdp_tx xdp_tx_errors)
txe0=$(ethstat eth0 xdp_tx_errors)
ho0=$(handoffs eth1); v0=$(verdicts eth0); x0=$(ethstat eth0 xdp_packets)
nstat_mark
nsenter --net=/run/netns/${P}atk "$ROOT/build/xgsink" --dev a0 --json >"$TMP/sink.json" 2>/dev/null &
spid=$!
sleep 0.5
# the flood lasts as long as the clients take (SIGINT ends it, its count
# still exact); nsenter execs it: $! is the generator
nsenter --net=/run/netns/${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport $PORT \
	--src 198.19.0.0/16 --sources 0 --count 0 --duration 120 --json >"$TMP/flood.json" &
fpid=$!
sleep 0.5
fails=$(client_loop 100 $LAB_SRV4_C)
kill -INT $fpid
wait $fpid
sleep 0.3
kill -INT $spid
wait $spid
opens=$(nstat_delta TcpPassiveOpens) cks=$(nstat_delta TcpExtSyncookiesSent)
ovf=$(nstat_delta TcpExtListenOverflows) drops=$(nstat_delta TcpExtListenDrops)
sent=$(json_get 'd["sent"]' <"$TMP/flood.json")
pps=$(json_get 'int(d["pps"])' <"$TMP/flood.json")
echo "# flood: $sent SYNs at $pps pps from random sources"
expect_eq "100 real connections during the flood all succeed" "$fails" 0
expect_eq "nstat: no SyncookiesSent" "$cks" 0
expect_eq "nstat: no ListenOverflows" "$ovf" 0
expect_eq "nstat: no ListenDrops" "$drops" 0
expect_eq "nstat: TcpPassiveOpens = the client's 100" "$opens" 100
expect_eq "each was handed off once by tc" $(( $(handoffs eth1) - ho0 )) 100
# the generator counts what it handed to a0; under load on shared CPUs
# some never make it into eth0's ring (a0 counts them as lost): what
# reached eth0's XDP is the kernel's own count of the flood, and every
# SYN of it is answered, whatever the load
flood_answered() {	# NAME V0 X0 SENT: every flood SYN that reached XDP answered
	local v1 arrived syn bg other rest
	v1=$(verdicts eth0)
	arrived=$(( $(ethstat eth0 xdp_packets) - $3 ))
	read -r syn bg other rest <<<"$(verdict_delta "$2" "$v1")"
	echo "# $1: $arrived frames reached eth0's XDP ($4 sent): $syn SYN-ACKs, $bg not TCP, $other else ${rest}"
	# the veth's counter is read after ours: a stray ARP or ND frame may
	# land between the reads
	check "$1: every frame that reached eth0's XDP was judged ($((syn + bg + other)), the veth's count $arrived)" \
		test $(( arrived - (syn + bg + other) )) -ge -2 -a $(( arrived - (syn + bg + other) )) -le 2
	expect_eq "$1: every SYN of the flood that reached XDP was answered (nothing judged otherwise but $bg frames that are not TCP)" \
		"$other" 0
	check "$1: the flood reached XDP: $syn SYNs (more than 10 x the listener's backlog, 4096)" \
		test "$syn" -gt 40960
	check "$1: ... and no more were answered than sent" test "$syn" -le "$4"
}
flood_answered "IPv4" "$v0" "$x0" "$sent"
syn1=$(t_counter eth0 tx cookie_syn)
expect_eq "... = the veth's XDP_TX count" $(( $(ethstat eth0 xdp_tx xdp_tx_errors) - tx0 )) $((syn1 - syn0))
# a SYN-ACK the attacker's full ring had no room for is the veth's
# xdp_tx_errors (seen: 212 of 556032 with the AF_PACKET generator busy)
txe=$(( $(ethstat eth0 xdp_tx_errors) - txe0 ))
expect_eq "... = SYN-ACKs received on the attacker's side + those its ring refused ($txe)" \
	$(( $(json_get 'd["synacks"]' <"$TMP/sink.json") + txe )) $((syn1 - syn0))

# ---- IPv6 ----
v0=$(verdicts eth0); x0=$(ethstat eth0 xdp_packets)
nstat_mark
nsenter --net=/run/netns/${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV6 --dport $PORT \
	--src 2001:db8:dead::/48 --sources 0 --count 0 --duration 120 --json >"$TMP/flood6.json" &
fpid=$!
sleep 0.5
fails=$(client_loop 20 $LAB_SRV6_C 6)
kill -INT $fpid
wait $fpid
sent=$(json_get 'd["sent"]' <"$TMP/flood6.json")
expect_eq "IPv6: 20 real connections during an IPv6 flood all succeed" "$fails" 0
flood_answered "IPv6" "$v0" "$x0" "$sent"
expect_eq "IPv6: nstat: no SyncookiesSent" "$(nstat_delta TcpExtSyncookiesSent)" 0
expect_eq "IPv6: nstat: no ListenDrops" "$(nstat_delta TcpExtListenDrops)" 0
expect_eq "IPv6: nstat: TcpPassiveOpens = 20" "$(nstat_delta TcpPassiveOpens)" 20

# ---- an ACK flood with random sequence and acknowledgement numbers ----
socks() { ip netns exec ${P}srv ss -Htan | grep -vc LISTEN; }
s0=$(socks)
bad0=$(t_counter eth0 drop cookie_bad); xd0=$(ethstat eth0 xdp_drops)
v0=$(verdicts eth0); x0=$(ethstat eth0 xdp_packets)
nstat_mark
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport $PORT \
	--src 198.19.0.0/16 --sources 0 --count 500000 --duration 30 --flags ack --json >"$TMP/ack.json"
sent=$(json_get 'd["sent"]' <"$TMP/ack.json")
bad=$(( $(t_counter eth0 drop cookie_bad) - bad0 ))
echo "# ACK flood: $sent sent, $bad dropped by xdpguard"
expect_eq "ACK flood: xdpguard's drops = the veth's XDP drops" "$bad" $(( $(ethstat eth0 xdp_drops) - xd0 ))
read -r syn bg other rest <<<"$(verdict_delta "$v0" "$(verdicts eth0)")"
arrived=$(( $(ethstat eth0 xdp_packets) - x0 ))
echo "# ACK flood: $arrived reached eth0's XDP: $bg not TCP, $((other - bad)) else ${rest}"
expect_eq "ACK flood: every ACK that reached XDP was dropped as cookie_bad (else only $bg frames that are not TCP)" \
	"$syn $other" "0 $bad"
check "ACK flood: every frame that reached XDP was judged ($((bad + bg)), the veth's count $arrived)" \
	test $(( arrived - bad - bg )) -ge -2 -a $(( arrived - bad - bg )) -le 2
check "ACK flood: it reached XDP: $bad ACKs (> 40960), no more than sent" \
	test "$bad" -gt 40960 -a "$bad" -le "$sent"
expect_eq "ACK flood: no new socket (ss)" "$(socks)" "$s0"
expect_eq "ACK flood: nstat TcpPassiveOpens 0" "$(nstat_delta TcpPassiveOpens)" 0
expect_eq "ACK flood: nstat TcpOutRsts 0 (TCP never saw it)" "$(nstat_delta TcpOutRsts)" 0

# ---- VLAN tags, bad checksums: frames sent raw from the client ----
send_syn() {	# VLAN(0: none) SPORT BAD(0|1): a SYN from c0 to eth1
	lab_exec ${P}cli python3 - "$(lab_mac ${P}cli c0)" "$(lab_mac ${P}srv eth1)" \
		"$LAB_CLI4" "$LAB_SRV4_C" $PORT "$@" <<'PY'
import socket, struct, sys
smac, dmac, src, dst, dport, vlan, sport, bad = sys.argv[1:9]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
sa, da = socket.inet_aton(src), socket.inet_aton(dst)
opts = struct.pack("!BBH", 2, 4, 1460)
tcp = struct.pack("!HHIIBBHHH", int(sport), int(dport), 12345, 0, 6 << 4, 2, 64240, 0, 0) + opts
c = csum(sa + da + struct.pack("!BBH", 0, 6, len(tcp)) + tcp) ^ (0x0101 if bad == "1" else 0)
tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, sa, da)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
eth = mac(dmac) + mac(smac)
eth += (struct.pack("!HH", 0x8100, int(vlan)) if vlan != "0" else b"") + b"\x08\x00"
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("c0", 0))
s.send(eth + ip + tcp)
PY
}
capture() {	# FILE [FILTER]: frames on c0 for 4 s (or the first match)
	if [ -n "${2:-}" ]; then
		lab_exec ${P}cli timeout 4 tcpdump -nn -e -vv -i c0 -c 1 "$2" >"$1" 2>"$1.err"
	else
		lab_exec ${P}cli timeout 4 tcpdump -nn -e -vv -i c0 >"$1" 2>"$1.err"
	fi
}
syn0=$(t_counter eth1 tx cookie_syn)
capture "$TMP/vlan.txt" 'vlan and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)' &
cpid=$!
tcpdump_ready "$TMP/vlan.txt.err"
send_syn 100 40000 0
wait "$cpid"
check "a SYN tagged VLAN 100 is answered with the tag (tcpdump)" \
	grep -q "vlan 100, p 0, ethertype IPv4" "$TMP/vlan.txt"
check "... with correct checksums" bash -c "grep -q '(correct)' $TMP/vlan.txt && ! grep -qE 'incorrect|bad cksum' $TMP/vlan.txt"
check "... acknowledging its sequence number" grep -q "ack 12346" "$TMP/vlan.txt"
expect_eq "... counted as answered" $(( $(t_counter eth1 tx cookie_syn) - syn0 )) 1
csum0=$(t_counter eth1 drop bad_checksum)
capture "$TMP/bad.txt" &
cpid=$!
tcpdump_ready "$TMP/bad.txt.err"
send_syn 0 40001 1
send_syn 100 40002 1
wait "$cpid"
check "SYNs with a bad TCP checksum get no answer (tcpdump)" \
	bash -c "! grep -q 'Flags \[S\.\]' $TMP/bad.txt"
expect_eq "... and are counted as bad_checksum" $(( $(t_counter eth1 drop bad_checksum) - csum0 )) 2
if ip -n ${P}cli link add link c0 name c0.100 type vlan id 100 2>/dev/null; then
	ip -n ${P}srv link add link eth1 name eth1.100 type vlan id 100
	ip -n ${P}srv addr add 198.18.3.1/24 dev eth1.100
	ip -n ${P}cli addr add 198.18.3.2/24 dev c0.100
	ip -n ${P}srv link set eth1.100 up
	ip -n ${P}cli link set c0.100 up
	ho0=$(handoffs eth1)
	expect_eq "VLAN: 10 connections over 802.1Q through the cookies" "$(client_loop 10 198.18.3.1)" 0
	expect_eq "VLAN: each handed off" $(( $(handoffs eth1) - ho0 )) 10
else
	skip "VLAN: connections over 802.1Q" "this kernel has no 802.1Q (CONFIG_VLAN_8021Q); the tag handling is proven above and in test_cookies"
fi

# ---- the host's key pin removed by hand: the next attach pins the key
# of the guards attached again, not a new one ----
rm -f "$XG_PINS/xg_cookie_key"
check "detach eth1 (the key's pin gone)" xg_srv detach eth1
out=$(xg_srv attach eth1 2>&1); rc=$?
expect_eq "attach eth1 again" "$rc" 0
check "... says the attached guards' key is pinned again" grep -q "pinned there again" <<<"$out"
expect_eq "the key pinned again is the one eth0's guard reads" "$(key_id "$XG_PINS/xg_cookie_key")" "$kid"
expect_eq "eth1's new guard reads it too" \
	"$(key_id "$(ls -d "$XG_PINS"/*-eth1)/xg_cookie_key")" "$kid"

# ---- detach: filters, qdiscs, pins, programs, maps gone ----
lab_unwire $P
t_snapshot
T_IDS="$T_IDS map:$kid"
T_IDS="$T_IDS $(for i in eth0 eth1; do ip netns exec ${P}srv tc filter show dev $i ingress | sed -n 's/.* id \([0-9]*\) .*/prog:\1/p'; done)"
check "detach eth0" xg_srv detach eth0
check "detach eth1" xg_srv detach eth1
for i in eth0 eth1; do
	check "$i: no tc filter left" bash -c "! ip netns exec ${P}srv tc filter show dev $i ingress | grep -q ."
	check "$i: the clsact qdisc xdpguard made is gone" \
		bash -c "! ip netns exec ${P}srv tc qdisc show dev $i | grep -q clsact"
done
check "the host's cookie key went with the last folder" test ! -e "$XG_PINS/xg_cookie_key"
t_nothing_left
t_end
