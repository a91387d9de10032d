#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The network-namespace lab, shared by the demo and the integration tests.
# Source it, then: lab_up PREFIX / lab_down PREFIX. Nothing leaves the
# machine: all addresses are from 198.18.0.0/15 and 2001:db8::/32.
#
#   ${P}atk  a0 198.18.1.2/24 2001:db8:1::2/64 --- eth0 198.18.1.1/24  ${P}srv
#   ${P}cli  c0 198.18.2.2/24 2001:db8:2::2/64 --- eth1 198.18.2.1/24  ${P}srv
#
# Spoofed sources come from 198.19.0.0/16 and 2001:db8:dead::/48; the
# server routes them back to the attacker, which drops them.
# Run anything that pins (xdpguard) with lab_exec, i.e. nsenter, never
# `ip netns exec`, whose private /sys has no bpffs.
#
# A routed chain instead (lab_chain_up PREFIX [MTU_R0] [MTU_R1]), for paths
# with a narrow link in the middle:
#
#   ${P}cli  c0 198.18.10.2/24 2001:db8:10::2/64 --- r0 .1 ${P}rtr r1 .1
#            --- s0 198.18.11.2/24 2001:db8:11::2/64  ${P}srv
#
# The router forwards; MTU_R0 / MTU_R1 set the MTU of the router's own end
# of each link (default 1500), so a packet the router cannot forward gets
# its ICMP error from the router, as on a real path.

LAB_SRV4=198.18.1.1
LAB_ATK4=198.18.1.2
LAB_SRV4_C=198.18.2.1
LAB_CLI4=198.18.2.2
LAB_SRV6=2001:db8:1::1
LAB_SRV6_C=2001:db8:2::1
LAB_CLI6=2001:db8:2::2
LAB_SPOOF4=198.19.0.0/16
LAB_SPOOF6=2001:db8:dead::/48
LAB_C_CLI4=198.18.10.2
LAB_C_CLI6=2001:db8:10::2
LAB_C_R04=198.18.10.1
LAB_C_R06=2001:db8:10::1
LAB_C_R14=198.18.11.1
LAB_C_R16=2001:db8:11::1
LAB_C_SRV4=198.18.11.2
LAB_C_SRV6=2001:db8:11::2

lab_exec() {	# lab_exec NS CMD...
	local ns=$1; shift
	nsenter --net=/run/netns/"$ns" "$@"
}

lab_mac() {	# lab_mac NS IFACE
	ip -n "$1" -br link show dev "$2" | awk '{print $3}'
}

# An XDP program that passes everything, for the peers (lab_wire).
LAB_XDP_PASS=${LAB_XDP_PASS:-/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o}

# lab_wire PREFIX: make the client and attacker ends behave like hosts on
# a wire, as XDP answers (SYN-ACK cookies, XDP_TX) need:
#  - a veth delivers frames another veth's XDP program sent (XDP_TX)
#    only if the receiving end runs an XDP program itself: c0 gets a pass
#    program (a0 gets none: SYN-ACKs to spoofed sources may vanish);
#  - a veth hands frames of a local stack over with CHECKSUM_PARTIAL
#    (the TCP checksum field holds only the pseudo header's sum) and VLAN
#    tags out of band; XDP sees neither the skb's checksum state nor such
#    tags. On a wire every frame has full checksums and its tags inline:
#    tx checksumming and tx VLAN offload go off on c0 and a0.
lab_wire() {
	local p=$1
	ip -n "${p}cli" link set dev c0 xdp obj "$LAB_XDP_PASS" sec xdp || return 1
	ip netns exec "${p}cli" ethtool -K c0 tx off txvlan off >/dev/null || return 1
	ip netns exec "${p}atk" ethtool -K a0 tx off txvlan off >/dev/null || return 1
}

lab_unwire() {	# before checking that a test left nothing behind
	ip -n "$1cli" link set dev c0 xdp off 2>/dev/null
	return 0
}

# the pin root xdpguard uses (XDPGUARD_PIN_ROOT, as xdpguard reads it)
XG_PINS=${XDPGUARD_PIN_ROOT:-/sys/fs/bpf/xdpguard}

# lab_netns_cookie NS: the namespace's cookie, which names its pin folders
lab_netns_cookie() {
	nsenter --net=/run/netns/"$1" python3 -c 'import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print(struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 71, 8))[0])' 2>/dev/null
}

lab_down() {
	local p=$1 ns
	for ns in "${p}srv" "${p}atk" "${p}cli" "${p}rtr"; do
		if ip netns list | grep -qw "$ns"; then
			# detach first: its pins outlive the namespace
			for dir in "$XG_PINS/$(lab_netns_cookie "$ns")"-*; do
				[ -d "$dir" ] && rm -rf "$dir"
			done
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		fi
	done
	return 0
}

lab_up() {
	local p=$1
	lab_down "$p"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	ip netns add "${p}srv" && ip netns add "${p}atk" && ip netns add "${p}cli" || return 1
	ip link add eth0 netns "${p}srv" type veth peer name a0 netns "${p}atk" || return 1
	ip link add eth1 netns "${p}srv" type veth peer name c0 netns "${p}cli" || return 1
	ip -n "${p}srv" addr add $LAB_SRV4/24 dev eth0
	ip -n "${p}srv" addr add $LAB_SRV6/64 dev eth0 nodad
	ip -n "${p}srv" addr add $LAB_SRV4_C/24 dev eth1
	ip -n "${p}srv" addr add $LAB_SRV6_C/64 dev eth1 nodad
	ip -n "${p}atk" addr add $LAB_ATK4/24 dev a0
	ip -n "${p}atk" addr add 2001:db8:1::2/64 dev a0 nodad
	ip -n "${p}cli" addr add $LAB_CLI4/24 dev c0
	ip -n "${p}cli" addr add $LAB_CLI6/64 dev c0 nodad
	local ns
	for ns in srv atk cli; do
		ip -n "${p}$ns" link set lo up
	done
	ip -n "${p}srv" link set eth0 up
	ip -n "${p}srv" link set eth1 up
	ip -n "${p}atk" link set a0 up
	ip -n "${p}cli" link set c0 up
	ip -n "${p}srv" route add $LAB_SPOOF4 via $LAB_ATK4
	ip -n "${p}srv" -6 route add $LAB_SPOOF6 via 2001:db8:1::2
	# a deep accept queue and no kernel cookies unless a test asks
	ip netns exec "${p}srv" sysctl -qw net.ipv4.tcp_max_syn_backlog=4096 \
		net.core.somaxconn=4096
	return 0
}

lab_chain_up() {	# lab_chain_up PREFIX [MTU_R0] [MTU_R1]
	local p=$1 m0=${2:-1500} m1=${3:-1500} ns
	lab_down "$p"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	ip netns add "${p}cli" && ip netns add "${p}rtr" &&
		ip netns add "${p}srv" || return 1
	ip link add c0 netns "${p}cli" type veth peer name r0 netns "${p}rtr" || return 1
	ip link add s0 netns "${p}srv" type veth peer name r1 netns "${p}rtr" || return 1
	ip -n "${p}rtr" link set r0 mtu "$m0"
	ip -n "${p}rtr" link set r1 mtu "$m1"
	ip -n "${p}cli" addr add $LAB_C_CLI4/24 dev c0
	ip -n "${p}cli" addr add $LAB_C_CLI6/64 dev c0 nodad
	ip -n "${p}rtr" addr add $LAB_C_R04/24 dev r0
	ip -n "${p}rtr" addr add $LAB_C_R06/64 dev r0 nodad
	ip -n "${p}rtr" addr add $LAB_C_R14/24 dev r1
	ip -n "${p}rtr" addr add $LAB_C_R16/64 dev r1 nodad
	ip -n "${p}srv" addr add $LAB_C_SRV4/24 dev s0
	ip -n "${p}srv" addr add $LAB_C_SRV6/64 dev s0 nodad
	for ns in cli rtr srv; do
		ip -n "${p}$ns" link set lo up
	done
	ip -n "${p}cli" link set c0 up
	ip -n "${p}rtr" link set r0 up
	ip -n "${p}rtr" link set r1 up
	ip -n "${p}srv" link set s0 up
	ip -n "${p}cli" route add default via $LAB_C_R04
	ip -n "${p}cli" -6 route add default via $LAB_C_R06
	ip -n "${p}srv" route add default via $LAB_C_R14
	ip -n "${p}srv" -6 route add default via $LAB_C_R16
	ip netns exec "${p}rtr" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
	return 0
}
