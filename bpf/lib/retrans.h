/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the retransmission programs share (bpf/retrans_host.bpf.c, which
 * runs on every TCP retransmission of the host, and bpf/sock_retrans.bpf.c,
 * the per-interface black-hole program it tail-calls): the reading of a
 * socket's peer and namespace. Needs vmlinux.h and bpf_core_read.h.
 */
#ifndef XG_LIB_RETRANS_H
#define XG_LIB_RETRANS_H

#include <xdpguard/pmtu.h>

#define XG_AF_INET	2
#define XG_AF_INET6	10

/*
 * @sk's peer as a destination key (a v4-mapped IPv6 peer is an IPv4
 * destination); false for a socket of another family.
 */
static __always_inline bool rt_peer(const struct sock *sk, __u16 family,
				    struct xg_dst_key *key)
{
	if (family == XG_AF_INET) {
		key->family = 4;
		key->addr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		return true;
	}
	if (family != XG_AF_INET6)
		return false;
	BPF_CORE_READ_INTO(&key->addr, sk,
			   __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	if (!key->addr[0] && !key->addr[1] &&
	    key->addr[2] == bpf_htonl(0xffff)) {
		key->family = 4;
		key->addr[0] = key->addr[3];
		key->addr[2] = key->addr[3] = 0;
	} else {
		key->family = 6;
	}
	return true;
}

static __always_inline __u64 rt_netns_cookie(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
}

#endif /* XG_LIB_RETRANS_H */
