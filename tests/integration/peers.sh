#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The host's socket record (docs/peers.md) across interfaces: the guard
# on eth0 skips the established-table probe only for peers the record
# names with no socket, and the record sees sockets made through eth1,
# which has no guard. A SYN arriving on eth0 for the 4-tuple of a
# connection established through eth1 goes to the kernel, which answers
# it with a challenge ACK (nstat TcpExtTCPSYNChallenge); one for a
# request socket made through eth1 (its SYN-ACK never delivered) goes to
# the kernel too; a SYN from a new port of the same peer, or from a peer
# with no socket, is answered. Pins: made by the first attach, seeded,
# reported by status; removed by hand, the next command says so and the
# guard looks every SYN up in full again; gone with the last detach.
P=xgpe-
. "$(dirname "$0")/../lib.sh"
t_start
check "lab_wire (XDP pass on c0, no tx offloads)" lab_wire $P
PORT=8080
SEND=$ROOT/build/synsend
PEERS=$XDPGUARD_PIN_ROOT/peers
trap 't_cleanup' EXIT

emac=$(lab_mac ${P}srv eth0)
fmac=$(lab_mac ${P}srv eth1)
syn_eth0() {	# SRC SPORT: one SYN to the server's eth1 address, in by eth0
	lab_exec ${P}atk "$SEND" --dev a0 --dst-mac "$emac" --src4 "$1" \
		--dst4 $LAB_SRV4_C --one "$2:$PORT"
}
# answered (tx/cookie_syn) or left to the kernel (pass/syn_budget)
sent() {	# NAME SRC SPORT WANT(tx|pass)
	local t0 p0 t1 p1 i
	t0=$(t_counter eth0 tx cookie_syn) p0=$(t_counter eth0 pass syn_budget)
	syn_eth0 "$2" "$3"
	for i in $(seq 1 50); do
		t1=$(t_counter eth0 tx cookie_syn) p1=$(t_counter eth0 pass syn_budget)
		[ $((t1 + p1)) -gt $((t0 + p0)) ] && break
		sleep 0.1
	done
	if [ "$4" = tx ]; then
		expect_eq "$1: answered by eth0's guard" "$((t1 - t0)):$((p1 - p0))" "1:0"
	else
		expect_eq "$1: left to the kernel" "$((t1 - t0)):$((p1 - p0))" "0:1"
	fi
}

lab_exec ${P}srv sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0
lab_exec ${P}srv timeout 300 socat TCP-LISTEN:$PORT,fork,reuseaddr \
	SYSTEM:'sleep 120' 2>/dev/null &
t_wait_listen ${P}srv $PORT
out=$(xg_srv attach eth0 2>&1)
check "attach eth0" test $? -eq 0
check "... the record is made: $PEERS" test -e "$PEERS/xg_peers" -a \
	-e "$PEERS/xg_link_peer_state" -a -e "$PEERS/xg_link_peer_req"
check "cookies set -i eth0 on --port $PORT" xg_srv cookies set -i eth0 on --port $PORT
st=$(xg_srv status -i eth0 --json | json_get 'd["interfaces"][0]["socket_record"]')
expect_eq "status --json: the record is read and kept" "$st" "{'read': True, 'kept': True}"

# a connection through eth1, no guard there
lab_exec ${P}cli timeout 120 socat -u EXEC:'sleep 100' \
	TCP:$LAB_SRV4_C:$PORT 2>/dev/null &
for i in $(seq 1 50); do
	cport=$(lab_exec ${P}cli ss -Htn state established "( dport = :$PORT )" |
		awk '{split($3, a, ":"); print a[2]; exit}')
	[ -n "$cport" ] && break
	sleep 0.1
done
check "a client connection through eth1 (port ${cport:-none})" test -n "$cport"
# the record's cell of the client (include/xdpguard/peers.h's hash,
# written again here): the server's socket counted once. (Its request
# socket holds the cell for 130 s as well, so the SYN below would be the
# kernel's without the count; the count is what holds it afterwards.)
cell_live() {	# ADDR: live of its cell in the record
	local key
	key=$(/usr/bin/python3 -c '
import socket, sys
k = int.from_bytes(socket.inet_aton(sys.argv[1]), "little")
c = ((k * 0x9e3779b97f4a7c15) % (1 << 64)) >> (64 - 14)
print(" ".join(str(b) for b in c.to_bytes(4, "little")))' "$1")
	# shellcheck disable=SC2086
	bpftool -j map lookup pinned "$PEERS/xg_peers" key $key |
		json_get 'sum(int(b, 16) << 8 * i for i, b in enumerate(d["value"][:4]))'
}
expect_eq "the record counts the server's socket of $LAB_CLI4" "$(cell_live $LAB_CLI4)" 1
c0=$(t_nstat ${P}srv TcpExtTCPSYNChallenge)
sent "SYN for the established 4-tuple" $LAB_CLI4 "$cport" pass
for i in $(seq 1 30); do
	c1=$(t_nstat ${P}srv TcpExtTCPSYNChallenge)
	[ "$c1" -gt "$c0" ] && break
	sleep 0.1
done
expect_eq "... the kernel sent its challenge ACK (TcpExtTCPSYNChallenge +1)" $((c1 - c0)) 1
sent "SYN from another port of that peer" $LAB_CLI4 $((cport ^ 1)) tx
sent "SYN from a peer with no socket" 198.18.2.99 40099 tx

# a request socket through eth1: its peer is not on the link, so the
# kernel's SYN-ACK is never delivered and the request socket stays
lab_exec ${P}cli "$SEND" --dev c0 --dst-mac "$fmac" --src4 198.18.2.77 \
	--dst4 $LAB_SRV4_C --one 40077:$PORT
for i in $(seq 1 50); do
	lab_exec ${P}srv ss -Htn state syn-recv "( dst 198.18.2.77 )" | grep -q . && break
	sleep 0.1
done
check "a request socket for 198.18.2.77 (SYN through eth1)" \
	bash -c "nsenter --net=/run/netns/${P}srv ss -Htn state syn-recv '( dst 198.18.2.77 )' | grep -q ."
sent "SYN for the request socket's 4-tuple" 198.18.2.77 40077 pass
sent "SYN from another port of that peer" 198.18.2.77 40078 tx

# the record's pins removed behind xdpguard's back
rm -f "$PEERS"/*
out=$(xg_srv status -i eth0 2>&1)
check "the next command says the record is no longer kept" \
	grep -q "no longer kept" <<<"$out"
check "... and status: not read" grep -q "socket record: not read" <<<"$out"
st=$(xg_srv status -i eth0 --json | json_get 'd["interfaces"][0]["socket_record"]["read"]')
expect_eq "status --json: read false" "$st" False
sent "without the record: SYN from a peer with no socket" 198.18.2.98 40098 tx
sent "without the record: the established 4-tuple still the kernel's" $LAB_CLI4 "$cport" pass

check "detach eth0" xg_srv detach eth0
check "the record's folder goes with the last detach" test ! -e "$PEERS"
lab_unwire $P
t_end
