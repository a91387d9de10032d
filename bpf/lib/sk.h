/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Socket addressing. For the tracing programs: the 4-tuple of any socket
 * kind (full, timewait, request: they share struct sock_common) and its
 * namespace; a v4-mapped IPv6 socket is reported as IPv4, as the peer
 * sees it. For the packet programs (XDP, tc): the socket a TCP segment
 * belongs to (xg_skc_lookup). Reads only; no loops.
 */
#ifndef XG_LIB_SK_H
#define XG_LIB_SK_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#ifndef AF_INET
#define AF_INET		2
#define AF_INET6	10
#endif

struct xg_tuple {
	__u8 family;		/* 4 or 6, 0: not an inet socket */
	__u16 lport;		/* host order */
	__u16 rport;
	__u32 laddr[4];		/* network order */
	__u32 raddr[4];
};

static __always_inline bool xg_v4mapped(const __u32 *a)
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

/*
 * @skc is a BTF pointer (a tp_btf argument, an iterator's socket): plain
 * loads, no probe-read helper calls.
 */
static __always_inline void xg_sk_tuple(const struct sock_common *skc,
					struct xg_tuple *t)
{
	__u16 family = skc->skc_family;
	int i;

	__builtin_memset(t, 0, sizeof(*t));
	t->lport = skc->skc_num;
	t->rport = bpf_ntohs(skc->skc_dport);
	if (family == AF_INET) {
		t->family = 4;
		t->laddr[0] = skc->skc_rcv_saddr;
		t->raddr[0] = skc->skc_daddr;
		return;
	}
	if (family != AF_INET6) {
		t->family = 0;
		return;
	}
#pragma unroll
	for (i = 0; i < 4; i++) {
		t->laddr[i] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
		t->raddr[i] = skc->skc_v6_daddr.in6_u.u6_addr32[i];
	}
	if (xg_v4mapped(t->raddr) || (xg_v4mapped(t->laddr) &&
				      !t->raddr[0] && !t->raddr[1] &&
				      !t->raddr[2] && !t->raddr[3])) {
		t->family = 4;
		t->laddr[0] = t->laddr[3];
		t->raddr[0] = t->raddr[3];
#pragma unroll
		for (i = 1; i < 4; i++) {
			t->laddr[i] = 0;
			t->raddr[i] = 0;
		}
		return;
	}
	t->family = 6;
}

/*
 * The local port of a full socket in any state: inet_put_port() clears
 * skc_num before sock:inet_sock_set_state reports the CLOSE; inet_sport
 * keeps it (network order).
 */
static __always_inline __u16 xg_sk_sport(const struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
}

static __always_inline struct net *xg_sk_net(const struct sock_common *skc)
{
	return skc->skc_net.net;
}

/* the namespace's cookie: what SO_NETNS_COOKIE tells user space */
static __always_inline __u64 xg_net_cookie(const struct net *net)
{
	return net->net_cookie;
}

/*
 * The socket of a TCP segment's connection in the current namespace, in
 * any state (full, request or timewait socket; a listener when nothing
 * more specific matches), or NULL. @l3 is its IPv4 (@family 4) or IPv6
 * header and @tcp its TCP header, both already bounds-checked; @ctx the
 * program's context (XDP or tc). The caller releases a socket it gets
 * (bpf_sk_release).
 */
static __always_inline struct bpf_sock *
xg_skc_lookup(void *ctx, int family, void *l3, struct tcphdr *tcp)
{
	struct bpf_sock_tuple t = {};
	__u32 size;

	if (family == 4) {
		struct iphdr *iph = l3;

		t.ipv4.saddr = iph->saddr;
		t.ipv4.sport = tcp->source;
		t.ipv4.daddr = iph->daddr;
		t.ipv4.dport = tcp->dest;
		size = sizeof(t.ipv4);
	} else {
		struct ipv6hdr *ip6 = l3;

		__builtin_memcpy(t.ipv6.saddr, &ip6->saddr, 16);
		t.ipv6.sport = tcp->source;
		__builtin_memcpy(t.ipv6.daddr, &ip6->daddr, 16);
		t.ipv6.dport = tcp->dest;
		size = sizeof(t.ipv6);
	}
	return bpf_skc_lookup_tcp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
}

#endif /* XG_LIB_SK_H */
