#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `mss set pmtu` on a gateway whose outgoing link has MTU 1400: real TCP
# connections from the client to the server cross it, and the server
# receives the client's SYN (MSS 1460 / 1440 as sent) clamped to 1360
# (IPv4, 1400 - 40) and 1340 (IPv6, 1400 - 60); a route with its own MTU
# (1300, locked) clamps to 1260 from the next SYN; a 300 kB upload
# and download go through; detach leaves nothing.
P=xg4mp-
. "$(dirname "$0")/../lib.sh"
t_start chain 1500 1400
ip -n ${P}srv link set s0 mtu 1400
PORT=8080

ip netns exec ${P}srv timeout 600 socat TCP-LISTEN:$PORT,fork,reuseaddr \
	SYSTEM:'head -c 300000 /dev/zero; cat >/dev/null' 2>/dev/null &
ip netns exec ${P}srv timeout 600 socat TCP6-LISTEN:$PORT,fork,reuseaddr,ipv6only=1 \
	SYSTEM:'head -c 300000 /dev/zero; cat >/dev/null' 2>/dev/null &
for i in $(seq 1 50); do
	[ "$(ip netns exec ${P}srv ss -ltnH | grep -c ":$PORT")" -ge 2 ] && break
	sleep 0.1
done

cap_start() {	# cap_start NS IF NAME: SYN-only capture, once listening
	nsenter --net=/run/netns/"$1" tcpdump --immediate-mode -U -n -i "$2" \
		-w /tmp/${P}$3.pcap "(ip and tcp[tcpflags] & tcp-syn != 0) or (ip6 and ip6[53] & 2 != 0)" \
		2>/tmp/${P}$3.err &
	eval "cap_$3=$!"
	for i in $(seq 1 100); do
		grep -q listening /tmp/${P}$3.err && break
		sleep 0.1
	done
}
cap_stop() {	# cap_stop NAME FLAGS: prints the MSS values of the captured
		# SYNs ("S" SYN, "S." SYN-ACK), each once, sorted
	local pid
	sleep 0.5
	eval "pid=\$cap_$1"
	kill "$pid"
	wait "$pid"
	tcpdump -n -v -r /tmp/${P}$1.pcap 2>/dev/null |
		grep -o "Flags \[$2\],.*mss [0-9]*" | grep -o 'mss [0-9]*' |
		awk '{print $2}' | sort -u | tr '\n' ' '
}
xfer() {	# xfer DST: bytes downloaded while uploading 300 kB
	head -c 300000 /dev/zero | ip netns exec ${P}cli timeout 10 \
		socat -t5 -T5 - "TCP:$1:$PORT" 2>/dev/null | wc -c
}

xg_rtr() { lab_exec "${P}rtr" "$XG" "$@"; }
check "attach r0 on the gateway (client side)" xg_rtr attach r0
# usage errors: exit 2, a message naming the argument, nothing changed
usage() {	# usage ARGS...: exit status 2 and the mode still "off"
	local rc
	xg_rtr "$@" 2>/tmp/${P}usage.err
	rc=$?
	[ $rc -eq 2 ] && [ -s /tmp/${P}usage.err ] &&
		[ "$(xg_rtr mss show -i r0 --json | json_one | json_get 'd["mode"]')" == off ]
}
check "mss set 50: usage error" usage mss set -i r0 50
check "mss set 70000: usage error" usage mss set -i r0 70000
check "mss set 1360 --dir sideways: usage error" usage mss set -i r0 1360 --dir sideways
check "mss set off --dir ingress: usage error" usage mss set -i r0 off --dir ingress
check "mss set (no value): usage error" usage mss set -i r0
check "mss show 1360: usage error" usage mss show -i r0 1360
check "pmtu --bogus: usage error" usage pmtu -i r0 --bogus
check "mss set pmtu" xg_rtr mss set -i r0 pmtu

cap_start ${P}cli c0 cli
cap_start ${P}srv s0 srv
expect_eq "IPv4: 300 kB down while 300 kB go up" "$(xfer $LAB_C_SRV4)" 300000
expect_eq "IPv6: 300 kB down while 300 kB go up" "$(xfer "[$LAB_C_SRV6]")" 300000
sent=$(cap_stop cli S)
got=$(cap_stop srv S)
echo "# SYN MSS sent by the client: $sent; received by the server: $got"
expect_eq "the client sent its own MSS (1460, 1440)" "$sent" "1440 1460 "
expect_eq "the server got them clamped to 1400 - 40 and 1400 - 60" "$got" "1340 1360 "

# a route MTU of its own is the route's MTU: it applies from the next SYN
ip -n ${P}rtr route replace $LAB_C_SRV4/32 via $LAB_C_SRV4 dev r1 mtu lock 1300
cap_start ${P}srv s0 srv2
expect_eq "IPv4 through the 1300-byte route" "$(xfer $LAB_C_SRV4)" 300000
expect_eq "the server got 1300 - 40" "$(cap_stop srv2 S)" "1260 "
ms=$(xg_rtr mss show -i r0 --json | json_one)
echo "# $ms"
check "mss show: the SYNs were clamped on ingress" \
	test "$(json_get 'd["counters"]["clamped_ingress"]' <<<"$ms")" -ge 3
expect_eq "mss show: pmtu mode, both directions" \
	"$(json_get 'd["mode"] + " " + d["directions"]' <<<"$ms")" "pmtu both"

t_snapshot
check "detach r0" xg_rtr detach r0
t_nothing_left
rm -f /tmp/${P}*
t_end
