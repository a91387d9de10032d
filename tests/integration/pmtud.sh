#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The PMTUD incident, reproduced: client - router - server, the router's
# link toward the client has MTU 1400, the server's links 1500. The server
# runs xdpguard on s0 and answers "N" with N bytes (an HTTP-like reply).
#
#   A. ICMP allowed: a large reply arrives; the server's tc ingress counts
#      the router's PTBs with MTU 1400, the MTU the server's kernel itself
#      learned (ip route get), as many as the kernel's ICMP counters say;
#      no black hole.
#   B. The router's ICMP "fragmentation needed" / "packet too big" dropped
#      by a filter: a small reply arrives, a large one stalls, and xdpguard
#      raises pmtud_blackhole_suspected for that destination within
#      seconds, with the segment size and retransmissions the server's
#      kernel reports (ss, nstat).
#   C. Small segments lost again and again to a destination: no black hole.
#   D. `xdpguard mss set -i s0 1360` (1340 for IPv6): the large reply
#      arrives, ICMP still dropped; the SYN-ACK the client sees says 1360.
# Each phase uses its own client address, so each destination is fresh.
P=xg4bh-
. "$(dirname "$0")/../lib.sh"
t_start chain 1400 1500

PORT=8080 BIG=300000
SRV4=$LAB_C_SRV4 SRV6=$LAB_C_SRV6
for a in 3 4 5 6; do
	ip -n ${P}cli addr add 198.18.10.$a/24 dev c0
	ip -n ${P}cli addr add 2001:db8:10::$a/64 dev c0 nodad
done
# no fallback of the server's own (tcp_mtu_probing=0 is Linux's default)
ip netns exec ${P}srv sysctl -qw net.ipv4.tcp_mtu_probing=0

cat >/tmp/${P}srv.py <<'EOF'
import socket, sys, threading
def serve(c):
    with c:
        n = int(c.makefile().readline())
        c.sendall(b"x" * n)
def listen(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, int(sys.argv[1])))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=listen, args=(socket.AF_INET, "0.0.0.0"), daemon=True).start()
listen(socket.AF_INET6, "::")
EOF
cat >/tmp/${P}get.py <<'EOF'
# get.py SRC DST PORT N TIMEOUT: prints the bytes received before EOF,
# the timeout or SIGTERM
import signal, socket, sys, time
class Stop(Exception):
    pass
def stop(*_):
    raise Stop()
signal.signal(signal.SIGTERM, stop)	# ends it as its timeout does
src, dst, port, n, tmo = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((src, 0))
s.settimeout(tmo)
got, end = 0, time.time() + tmo
try:
    s.connect((dst, port))
    s.sendall(n.encode() + b"\n")
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        b = s.recv(65536)
        if not b:
            break
        got += len(b)
except (socket.timeout, OSError, Stop):
    pass
print(got)
EOF
ip netns exec ${P}srv timeout 600 python3 /tmp/${P}srv.py $PORT &
get() {	# get SRC DST N TIMEOUT
	ip netns exec ${P}cli python3 /tmp/${P}get.py "$1" "$2" $PORT "$3" "$4"
}
nst() {	# nstat counter of the server, absolute
	ip netns exec ${P}srv nstat -az "$1" | awk -v k="$1" '$1 == k {print $2}'
}
pmtu_get() {	# pmtu_get 'python expr on d' (d = xdpguard pmtu --json)
	xg_srv pmtu -i s0 --json | json_one | json_get "$1"
}
dest() {	# python expr selecting destination $1's record
	echo "[x for x in d['destinations'] if x['destination'] == '$1']"
}
for i in $(seq 1 50); do
	ip netns exec ${P}srv ss -ltn | grep -q ":$PORT" && break
	sleep 0.1
done

check "attach s0 (server side)" xg_srv attach s0
# nsenter execs its command: $! is the reader itself
nsenter --net=/run/netns/${P}srv "$XG" events -i s0 --json >/tmp/${P}events.json &
evpid=$!

# ---- A: ICMP allowed ----
dest4=198.18.10.3 dest6=2001:db8:10::3
u4=$(nst IcmpInDestUnreachs) p6=$(nst Icmp6InPktTooBigs)
expect_eq "A: large reply over IPv4 arrives (PMTUD works)" "$(get $dest4 $SRV4 $BIG 10)" $BIG
expect_eq "A: large reply over IPv6 arrives (PMTUD works)" "$(get $dest6 $SRV6 $BIG 10)" $BIG
u4=$(( $(nst IcmpInDestUnreachs) - u4 )) p6=$(( $(nst Icmp6InPktTooBigs) - p6 ))
kmtu4=$(ip -n ${P}srv route get $dest4 | grep -o 'mtu [0-9]*' | awk '{print $2}')
kmtu6=$(ip -n ${P}srv -6 route get $dest6 | grep -o 'mtu [0-9]*' | awk '{print $2}')
echo "# server kernel: $u4 ICMPv4 unreachable, $p6 ICMPv6 too big; learned MTU $kmtu4 / $kmtu6"
expect_eq "A: the server's kernel learned MTU 1400 (IPv4)" "$kmtu4" 1400
expect_eq "A: the server's kernel learned MTU 1400 (IPv6)" "$kmtu6" 1400
expect_eq "A: PTB count for $dest4 = the kernel's ICMP count" \
	"$(pmtu_get "$(dest $dest4)[0]['ptb']['count']")" "$u4"
expect_eq "A: PTB count for $dest6 = the kernel's ICMPv6 count" \
	"$(pmtu_get "$(dest $dest6)[0]['ptb']['count']")" "$p6"
expect_eq "A: last and smallest MTU for $dest4" \
	"$(pmtu_get "'%d %d' % ($(dest $dest4)[0]['ptb']['last_mtu'], $(dest $dest4)[0]['ptb']['min_mtu'])")" "1400 1400"
expect_eq "A: last and smallest MTU for $dest6" \
	"$(pmtu_get "'%d %d' % ($(dest $dest6)[0]['ptb']['last_mtu'], $(dest $dest6)[0]['ptb']['min_mtu'])")" "1400 1400"
expect_eq "A: the PTBs came from the router" \
	"$(pmtu_get "$(dest $dest4)[0]['ptb']['reporter']")" $LAB_C_R14
expect_eq "A: no black hole reported" "$(pmtu_get "d['counters']['blackholes']")" 0

# ---- B: ICMP dropped on the router ----
ip netns exec ${P}rtr iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
ip netns exec ${P}rtr ip6tables -A OUTPUT -p icmpv6 --icmpv6-type packet-too-big -j DROP
dest4=198.18.10.4 dest6=2001:db8:10::4
expect_eq "B: small reply over IPv4 arrives" "$(get $dest4 $SRV4 500 5)" 500
expect_eq "B: small reply over IPv6 arrives" "$(get $dest6 $SRV6 500 5)" 500
r0=$(nst TcpRetransSegs)
# the kernel's own timeline: every large segment the server sends to them
nsenter --net=/run/netns/${P}srv tcpdump --immediate-mode -U -n -i s0 -w /tmp/${P}b.pcap \
	"tcp and greater 1400 and (dst host $dest4 or dst host $dest6)" 2>/tmp/${P}b.err &
bpid=$!
for i in $(seq 1 100); do
	grep -q listening /tmp/${P}b.err && break
	sleep 0.1
done
# nsenter execs python: $! is the request itself, which SIGTERM ends
t0=$(date +%s.%N)
nsenter --net=/run/netns/${P}cli python3 /tmp/${P}get.py $dest4 $SRV4 $PORT $BIG 40 >/tmp/${P}b4 &
g4=$!
nsenter --net=/run/netns/${P}cli python3 /tmp/${P}get.py $dest6 $SRV6 $PORT $BIG 40 >/tmp/${P}b6 &
g6=$!
# the kernel's RTO follows the measured RTT, which a busy machine inflates:
# wait for the report (bounded; a connection whose handshake needed a
# retransmission starts from a 3 s RTO: its 3rd retransmission comes
# about 20 s later), then end the stalled requests
for i in $(seq 1 300); do
	[ "$(pmtu_get "d['counters']['blackholes']")" == 2 ] && break
	sleep 0.1
done
ss_rtx() {	# ss_rtx DEST: "mss retransmissions" of the server's socket to
		# DEST that retransmitted most (the stalled one)
	ip netns exec ${P}srv ss -tinH dst "$1" | python3 -c '
import re, sys
best = (0, "")
for m in re.finditer(r"mss:(\d+).*?retrans:\d+/(\d+)", sys.stdin.read().replace("\n", " ")):
    best = max(best, (int(m.group(2)), m.group(1)))
print(best[1], best[0])'
}
bh() {	# bh DEST: "segment packet retrans" from pmtu --json, or none
	pmtu_get "' '.join(str(x['blackhole'][k]) for x in $(dest $1) if (x.get('blackhole') or {}).get('suspected') for k in ('segment_size_bytes', 'packet_size_bytes', 'retransmissions')) or 'none'"
}
# the server's sockets go on retransmitting: ours first, then the
# kernel's, which can only have grown in between
read -r seg4 pkt4 n4 <<<"$(bh $dest4)"
read -r seg6 pkt6 n6 <<<"$(bh $dest6)"
read -r mss4 rtx4 <<<"$(ss_rtx $dest4)"
read -r mss6 rtx6 <<<"$(ss_rtx "[$dest6]")"
r1=$(( $(nst TcpRetransSegs) - r0 ))
kill -TERM $g4 $g6 2>/dev/null
wait $g4 $g6
kill $bpid
wait $bpid
got4=$(cat /tmp/${P}b4) got6=$(cat /tmp/${P}b6)
echo "# B: large replies got $got4 and $got6 of $BIG bytes"
check "B: large reply over IPv4 stalls ($got4 bytes)" test "$got4" -lt $BIG
check "B: large reply over IPv6 stalls ($got6 bytes)" test "$got6" -lt $BIG
echo "# server kernel: mss $mss4/$mss6, retransmissions $rtx4/$rtx6 (ss), $r1 (nstat)"
expect_eq "B: black hole suspected for $dest4, segment = the kernel's mss" "$seg4" "$mss4"
expect_eq "B: black hole suspected for $dest6, segment = the kernel's mss" "$seg6" "$mss6"
expect_eq "B: packet size $dest4 (20 + 32 + mss: it exceeds 1400)" "$pkt4" $((52 + mss4))
expect_eq "B: packet size $dest6 (40 + 32 + mss)" "$pkt6" $((72 + mss6))
check "B: retransmissions counted ($n4, $n6) >= 3 and <= the kernel's ($rtx4, $rtx6)" \
	test "$n4" -ge 3 -a "$n4" -le "$rtx4" -a "$n6" -ge 3 -a "$n6" -le "$rtx6"
expect_eq "B: counted in pmtu" "$(pmtu_get "d['counters']['blackholes']")" 2 ||
	xg_srv pmtu -i s0 --json | json_one | sed 's/^/# /'
for d4 in 198.18.10.3 2001:db8:10::3; do
	expect_eq "B: no black hole for $d4 (ICMP was allowed)" "$(bh $d4)" none
done
sleep 0.5
kill $evpid 2>/dev/null
wait $evpid
evs() {	# evs TYPE DEST: "seconds-after-start retransmissions" per record
	python3 -c "
import json, sys, datetime
t0 = float('$t0')
for l in open('/tmp/${P}events.json'):
    e = json.loads(l)
    if e['type'] == '$1' and e['dst'] == '$2':
        t = datetime.datetime.strptime(e['time'][:26], '%Y-%m-%dT%H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc).timestamp()
        print('%.1f %s' % (t - t0, e.get('retransmissions', e.get('mtu'))))"
}
rtx_times() {	# rtx_times DEST MSS: seconds after t0 of each retransmission
		# of a full-size segment (payload >= MSS, what the detector
		# counts: a partial tail, as a tail loss probe may resend it,
		# is not one) to DEST in the capture (seq below the highest
		# byte sent so far)
	python3 - /tmp/${P}b.pcap "$1" "$t0" "$2" <<'PY'
import ipaddress, struct, sys
d = open(sys.argv[1], "rb").read()
want, t0, off, top, out = ipaddress.ip_address(sys.argv[2]), float(sys.argv[3]), 24, None, []
mss = int(sys.argv[4])
while off + 16 <= len(d):
    sec, usec, n = struct.unpack("<III", d[off:off + 12])
    f = d[off + 16:off + 16 + n]
    off += 16 + n
    et = struct.unpack("!H", f[12:14])[0]
    if et == 0x0800:
        ip, hl = f[14:], (f[14] & 15) * 4
        dst, plen = ipaddress.ip_address(ip[16:20]), struct.unpack("!H", ip[2:4])[0] - hl
    elif et == 0x86DD:
        ip, hl = f[14:], 40
        dst, plen = ipaddress.ip_address(ip[24:40]), struct.unpack("!H", ip[4:6])[0]
    else:
        continue
    if dst != want:
        continue
    tcp = ip[hl:]
    seq, doff = struct.unpack("!I", tcp[4:8])[0], (tcp[12] >> 4) * 4
    end = seq + plen - doff
    if top is not None and seq < top and end - seq >= mss:
        out.append("%.2f" % (sec + usec / 1e6 - t0))
    top = end if top is None else max(top, end)
print(" ".join(out))
PY
}
for d in "$dest4 $mss4" "$dest6 $mss6"; do
	read -r d m <<<"$d"
	e=$(evs pmtud_blackhole_suspected $d)
	r=$(rtx_times $d $m)
	echo "# $d: event at $e (s after the request, retransmissions); the kernel's full-size retransmissions at $r s"
	expect_eq "B: one pmtud_blackhole_suspected record for $d" "$(wc -l <<<"$e" | tr -d ' ')" 1
	check "B: raised with the 3rd retransmission ($(cut -d' ' -f3 <<<"$r") s), within a second" \
		python3 -c "import sys; r = '$r'.split(); sys.exit(0 if len(r) >= 3 and abs(float('${e%% *}') - float(r[2])) < 1 and '${e#* }' == '3' else 1)"
done
check "A: ptb records with mtu 1400 for the ICMP-allowed destinations" \
	test "$(evs ptb 198.18.10.3 | awk '{print $2}' | sort -u)" == 1400 -a \
	"$(evs ptb 2001:db8:10::3 | awk '{print $2}' | sort -u)" == 1400

# ---- C: small segments lost, repeatedly ----
dest4=198.18.10.6
expect_eq "C: a 1200-byte reply arrives (one 1252-byte packet)" "$(get $dest4 $SRV4 1200 5)" 1200
small0=$(pmtu_get "d['counters']['retrans_small']")
ip netns exec ${P}rtr iptables -I FORWARD -d $dest4 -p tcp --sport $PORT -m length --length 100:700 -j DROP
nsenter --net=/run/netns/${P}cli python3 /tmp/${P}get.py $dest4 $SRV4 $PORT 500 40 >/tmp/${P}c &
gc=$!
for i in $(seq 1 300); do	# 3 retransmissions (bounded), whatever the RTO
	read -r _ rtx <<<"$(ss_rtx $dest4)"
	[ "${rtx:-0}" -ge 3 ] && break
	sleep 0.1
done
# the server's socket goes on retransmitting: the kernel's count, ours,
# the kernel's again, until the kernel's did not move in between and
# ours has caught up with it (the socket counts a retransmission before
# the tracepoint's program has run on it: one run read 3 and 2 in that
# instant); a count that never catches up fails below
for i in $(seq 1 10); do
	read -r _ rtx <<<"$(ss_rtx $dest4)"
	small=$(( $(pmtu_get "d['counters']['retrans_small']") - small0 ))
	read -r _ rtx2 <<<"$(ss_rtx $dest4)"
	[ "${rtx:-0}" == "${rtx2:-0}" ] && [ "$small" -ge "${rtx:-0}" ] && break
	sleep 0.1
done
kill -TERM $gc 2>/dev/null
wait $gc
got=$(cat /tmp/${P}c)
ip netns exec ${P}rtr iptables -D FORWARD -d $dest4 -p tcp --sport $PORT -m length --length 100:700 -j DROP
echo "# C: got $got bytes; the kernel retransmitted ${rtx:-0} times; xdpguard counted $small small"
check "C: the small reply was lost and retransmitted (ss: ${rtx:-0} >= 3)" test "${rtx:-0}" -ge 3
expect_eq "C: every retransmission counted as small" "$small" "${rtx:-0}"
expect_eq "C: no black hole for $dest4" "$(bh $dest4)" none

# ---- D: clamp on the server ----
dest4=198.18.10.5 dest6=2001:db8:10::5
check "D: mss set -i s0 1360" xg_srv mss set -i s0 1360
nsenter --net=/run/netns/${P}cli tcpdump --immediate-mode -U -n -i c0 -w /tmp/${P}d.pcap \
	'tcp[tcpflags] & tcp-syn != 0 or (ip6 and ip6[53] & 2 != 0)' 2>/tmp/${P}d.err &
tdpid=$!
for i in $(seq 1 100); do	# capturing only once it says so
	grep -q listening /tmp/${P}d.err && break
	sleep 0.1
done
expect_eq "D: large reply over IPv4 arrives, ICMP still dropped" "$(get $dest4 $SRV4 $BIG 10)" $BIG
check "D: mss set -i s0 1340 (IPv6: 1400 - 60)" xg_srv mss set -i s0 1340
expect_eq "D: large reply over IPv6 arrives, ICMP still dropped" "$(get $dest6 $SRV6 $BIG 10)" $BIG
sleep 0.5
kill $tdpid; wait $tdpid

synack=$(tcpdump -n -v -r /tmp/${P}d.pcap 2>/dev/null | grep -o 'Flags \[S\.\].*mss [0-9]*' | grep -o 'mss [0-9]*' | awk '{print $2}' | tr '\n' ' ')
expect_eq "D: the SYN-ACKs the client saw carry MSS 1360 and 1340" "$synack" "1360 1340 "
ms=$(xg_srv mss show -i s0 --json | json_one)
check "D: mss show counts clamped SYNs in and SYN-ACKs out" test \
	"$(json_get 'd["counters"]["clamped_ingress"] >= 2 and d["counters"]["clamped_egress"] >= 2' <<<"$ms")" == True
expect_eq "D: no black hole for $dest4, $dest6" "$(bh $dest4) $(bh $dest6)" "none none"

t_snapshot
check "detach s0" xg_srv detach s0
t_nothing_left
rm -f /tmp/${P}*
t_end
