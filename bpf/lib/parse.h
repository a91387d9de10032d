/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded packet parsing with a cursor. Each helper checks its own bounds
 * against data_end, advances the cursor and returns <0 when the packet is
 * truncated or inconsistent; callers count that as XG_R_MALFORMED, never
 * as a reason to skip policy.
 *
 * Contract of xg_parse():
 *   - Ethernet, up to XG_MAX_VLANS 802.1Q/802.1ad tags;
 *   - IPv4 with options (IHL 5..15, all of it in the packet, tot_len >= IHL);
 *   - IPv6 with up to XG_MAX_EXTHDRS extension headers (hop-by-hop,
 *     routing, destination options, fragment, AH); a longer chain is
 *     malformed;
 *   - the TCP header (doff >= 5, all doff*4 bytes in the packet) of
 *     unfragmented packets and first fragments.
 */
#ifndef XG_LIB_PARSE_H
#define XG_LIB_PARSE_H

#define XG_MAX_VLANS	2
#define XG_MAX_EXTHDRS	8

#define XG_ETH_P_IP	0x0800
#define XG_ETH_P_IPV6	0x86DD
#define XG_ETH_P_8021Q	0x8100
#define XG_ETH_P_8021AD	0x88A8

#define XG_IPPROTO_HOPOPTS	0
#define XG_IPPROTO_TCP		6
#define XG_IPPROTO_ROUTING	43
#define XG_IPPROTO_FRAGMENT	44
#define XG_IPPROTO_AH		51
#define XG_IPPROTO_NONE		59
#define XG_IPPROTO_DSTOPTS	60

#define XG_TCP_FIN 0x01
#define XG_TCP_SYN 0x02
#define XG_TCP_RST 0x04
#define XG_TCP_ACK 0x10

enum xg_parse_rc {
	XG_P_OK = 0,		/* L3 parsed; l4 fields valid if tcp != NULL */
	XG_P_NOT_IP,
	XG_P_MALFORMED,		/* no usable source address */
};

struct xg_pkt {
	void *l3;
	void *l4;		/* the L4 header (maybe cut short); NULL when
				 * l4_malformed or fragment */
	struct tcphdr *tcp;	/* NULL: not TCP, or no L4 header here */
	__u32 saddr[4];		/* network order; IPv4 in saddr[0] */
	__u16 vlans;
	__u8 family;		/* 4 or 6 */
	__u8 l4proto;
	__u8 fragment;		/* non-first fragment */
	__u8 l4_malformed;	/* source known, the rest broken */
};

struct xg_cursor {
	void *pos;
	void *end;
};

#define XG_HAS(c, n) ((void *)(c)->pos + (n) <= (c)->end)

static __always_inline int xg_parse_eth(struct xg_cursor *c, struct xg_pkt *p,
					__u16 *proto)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vh;
	__u16 h_proto;
	int i;

	if (!XG_HAS(c, sizeof(*eth)))
		return -1;
	h_proto = eth->h_proto;
	c->pos = eth + 1;
#pragma unroll
	for (i = 0; i < XG_MAX_VLANS; i++) {
		if (h_proto != bpf_htons(XG_ETH_P_8021Q) &&
		    h_proto != bpf_htons(XG_ETH_P_8021AD))
			break;
		vh = c->pos;
		if (!XG_HAS(c, sizeof(*vh)))
			return -1;
		h_proto = vh->h_vlan_encapsulated_proto;
		c->pos = vh + 1;
		p->vlans++;
	}
	/* a third tag: deeper than we look, so not judged as IP either */
	if (h_proto == bpf_htons(XG_ETH_P_8021Q) ||
	    h_proto == bpf_htons(XG_ETH_P_8021AD))
		return -1;
	*proto = bpf_ntohs(h_proto);
	return 0;
}

static __always_inline int xg_parse_ipv4(struct xg_cursor *c, struct xg_pkt *p)
{
	struct iphdr *iph = c->pos;
	__u32 hlen;
	__u16 frag;

	if (!XG_HAS(c, sizeof(*iph)))
		return -1;
	p->family = 4;
	p->l3 = iph;
	p->saddr[0] = iph->saddr;
	p->l4proto = iph->protocol;
	hlen = iph->ihl * 4;
	if (iph->version != 4 || hlen < sizeof(*iph) ||
	    bpf_ntohs(iph->tot_len) < hlen) {
		p->l4_malformed = 1;
		return 0;
	}
	/* hlen is at most 60: a bounded, verifier-friendly advance */
	if ((void *)iph + hlen > c->end) {
		p->l4_malformed = 1;
		return 0;
	}
	c->pos = (void *)iph + (hlen & 0x3c);
	frag = bpf_ntohs(iph->frag_off);
	if (frag & 0x1fff) {
		/* offset 1 overlaps a TCP header (RFC 1858) */
		if ((frag & 0x1fff) == 1)
			p->l4_malformed = 1;
		p->fragment = 1;
	}
	return 0;
}

static __always_inline int xg_parse_ipv6(struct xg_cursor *c, struct xg_pkt *p)
{
	struct ipv6hdr *ip6 = c->pos;
	struct ipv6_opt_hdr *oh;
	struct frag_hdr *fh;
	__u8 next;
	int i;

	if (!XG_HAS(c, sizeof(*ip6)))
		return -1;
	p->family = 6;
	p->l3 = ip6;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	if (ip6->version != 6) {
		p->l4_malformed = 1;
		return 0;
	}
	next = ip6->nexthdr;
	c->pos = ip6 + 1;
#pragma unroll
	for (i = 0; i < XG_MAX_EXTHDRS; i++) {
		switch (next) {
		case XG_IPPROTO_HOPOPTS:
		case XG_IPPROTO_ROUTING:
		case XG_IPPROTO_DSTOPTS:
			oh = c->pos;
			if (!XG_HAS(c, sizeof(*oh))) {
				p->l4_malformed = 1;
				return 0;
			}
			next = oh->nexthdr;
			c->pos += (oh->hdrlen + 1) * 8;
			break;
		case XG_IPPROTO_AH:
			oh = c->pos;
			if (!XG_HAS(c, sizeof(*oh))) {
				p->l4_malformed = 1;
				return 0;
			}
			next = oh->nexthdr;
			c->pos += (oh->hdrlen + 2) * 4;
			break;
		case XG_IPPROTO_FRAGMENT:
			fh = c->pos;
			if (!XG_HAS(c, sizeof(*fh))) {
				p->l4_malformed = 1;
				return 0;
			}
			next = fh->nexthdr;
			c->pos = fh + 1;
			if (bpf_ntohs(fh->frag_off) & 0xfff8) {
				/* the rest is payload, even if next names
				 * an extension header (RFC 8200 4.5)
				 */
				p->fragment = 1;
				p->l4proto = next;
				return 0;
			}
			break;
		default:
			p->l4proto = next;
			return 0;
		}
	}
	/* XG_MAX_EXTHDRS headers read: fine if no other one follows */
	switch (next) {
	case XG_IPPROTO_HOPOPTS:
	case XG_IPPROTO_ROUTING:
	case XG_IPPROTO_DSTOPTS:
	case XG_IPPROTO_AH:
	case XG_IPPROTO_FRAGMENT:
		/* chain longer than we follow: cannot tell what it carries */
		p->l4_malformed = 1;
		break;
	default:
		p->l4proto = next;
	}
	return 0;
}

static __always_inline int xg_parse_tcp(struct xg_cursor *c, struct xg_pkt *p)
{
	struct tcphdr *tcp = c->pos;
	__u32 doff;

	if (!XG_HAS(c, sizeof(*tcp)))
		return -1;
	doff = tcp->doff * 4;
	if (doff < sizeof(*tcp) || (void *)tcp + doff > c->end)
		return -1;
	p->tcp = tcp;
	return 0;
}

/* Parse down to the TCP header. */
static __always_inline int xg_parse(void *data, void *data_end,
				    struct xg_pkt *p)
{
	struct xg_cursor c = { .pos = data, .end = data_end };
	__u16 proto;

	if (xg_parse_eth(&c, p, &proto))
		return XG_P_MALFORMED;
	if (proto == XG_ETH_P_IP) {
		if (xg_parse_ipv4(&c, p))
			return XG_P_MALFORMED;
	} else if (proto == XG_ETH_P_IPV6) {
		if (xg_parse_ipv6(&c, p))
			return XG_P_MALFORMED;
	} else {
		return XG_P_NOT_IP;
	}
	if (p->l4_malformed || p->fragment)
		return XG_P_OK;
	p->l4 = c.pos;
	if (p->l4proto != XG_IPPROTO_TCP)
		return XG_P_OK;
	if (xg_parse_tcp(&c, p))
		p->l4_malformed = 1;
	return XG_P_OK;
}

#endif /* XG_LIB_PARSE_H */
