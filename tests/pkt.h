/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Crafted frames for the tests, the benchmark and the fuzzer: Ethernet,
 * VLAN tags, IPv4 (+options) or IPv6 (+extension headers), TCP (+options)
 * or UDP, with correct checksums. Describe a frame with struct spec, then
 * build() it into a struct pkt.
 */
#ifndef XG_TESTS_PKT_H
#define XG_TESTS_PKT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define PKT_MAX		2048

#define T_FIN	0x01
#define T_SYN	0x02
#define T_RST	0x04
#define T_ACK	0x10

#define EXT_HOP		0
#define EXT_ROUTING	43
#define EXT_FRAG	44
#define EXT_AH		51
#define EXT_NONE	59
#define EXT_DST		60

static inline int parse_addr(const char *s, __u32 addr[4])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 6;
	fprintf(stderr, "test bug: bad address '%s'\n", s);
	exit(2);
}


struct vlan_tag {
	__be16 tci;
	__be16 proto;
} __attribute__((packed));

struct ext_hdr {		/* hop-by-hop, destination options, AH */
	__u8 nexthdr;
	__u8 hdrlen;
	__u8 data[];
} __attribute__((packed));

struct srh {			/* routing header type 4, one segment */
	__u8 nexthdr;
	__u8 hdrlen;
	__u8 type;
	__u8 segments_left;
	__u8 last_entry;
	__u8 flags;
	__be16 tag;
	struct in6_addr segment;
} __attribute__((packed));

struct frag6 {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
} __attribute__((packed));

struct spec {
	const char *src;	/* source address; its family picks IPv4/6 */
	__u16 tpid[4];		/* VLAN tags, outermost first; 0 ends */
	bool arp;		/* an ARP request instead of IP */
	int ipopt;		/* IPv4 option bytes, a multiple of 4 */
	__u16 frag;		/* IPv4 frag_off, or the IPv6 fragment
				 * header's offset|M field; host order */
	__u8 ext[16];		/* IPv6 extension headers, in order */
	int n_ext;
	__u8 proto;		/* L4 protocol; 0 = TCP */
	__u8 flags;		/* TCP flags */
	int tcpopt;		/* TCP option bytes: 20 = MSS,SACK,TS,WS */
	__u16 dport;		/* 0 = 80 */
	int payload;		/* bytes after the L4 header */
	__u8 fill;		/* their value */
};

#define SYN(a)	((struct spec){ .src = (a), .flags = T_SYN })

struct pkt {
	__u8 buf[PKT_MAX];
	size_t len;
	size_t l3, l4;		/* offsets of the IP and L4 headers */
	int family;
	__u8 proto;
};

#define DST4 "198.18.255.1"
#define DST6 "2001:db8:ffff::1"

static inline void *grow(struct pkt *p, size_t n)
{
	void *h = p->buf + p->len;

	if (p->len + n > PKT_MAX) {
		fprintf(stderr, "test bug: packet too long\n");
		exit(2);
	}
	memset(h, 0, n);
	p->len += n;
	return h;
}

/* a big-endian 16-bit field at any offset */
static inline void put16(struct pkt *p, size_t off, __u16 v)
{
	p->buf[off] = v >> 8;
	p->buf[off + 1] = v & 0xff;
}

static inline __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

static inline __be16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Lengths and checksums from p->len; call again after cutting a frame. */
static inline void finish(struct pkt *p)
{
	size_t l4len = p->len - p->l4;
	__u8 *l4 = p->buf + p->l4;
	__u32 sum = 0;
	__be16 *check;

	if (p->family == 4) {
		struct iphdr *ip = (void *)(p->buf + p->l3);

		ip->tot_len = htons(p->len - p->l3);
		ip->check = 0;
		ip->check = csum_fold(csum_add(0, ip, ip->ihl * 4));
		sum = csum_add(sum, &ip->saddr, 8);
	} else if (p->family == 6) {
		struct ipv6hdr *ip6 = (void *)(p->buf + p->l3);

		ip6->payload_len = htons(p->len - p->l3 - sizeof(*ip6));
		sum = csum_add(sum, &ip6->saddr, 32);
	} else {
		return;
	}
	if (p->proto == IPPROTO_TCP && l4len >= sizeof(struct tcphdr))
		check = &((struct tcphdr *)l4)->check;
	else if (p->proto == IPPROTO_UDP && l4len >= sizeof(struct udphdr))
		check = &((struct udphdr *)l4)->check;
	else
		return;
	if (p->proto == IPPROTO_UDP)
		((struct udphdr *)l4)->len = htons(l4len);
	*check = 0;
	sum += p->proto + l4len;
	*check = csum_fold(csum_add(sum, l4, l4len));
}

static inline void build_ext(struct pkt *p, __u8 type, __u16 frag)
{
	struct ext_hdr *e;
	struct frag6 *f;
	struct srh *r;

	switch (type) {
	case EXT_HOP:		/* 16 bytes: PadN of 12 */
		e = grow(p, 16);
		e->hdrlen = 1;
		e->data[0] = 1;
		e->data[1] = 12;
		break;
	case EXT_DST:		/* 8 bytes: PadN of 4 */
		e = grow(p, 8);
		e->data[0] = 1;
		e->data[1] = 4;
		break;
	case EXT_ROUTING:	/* 24 bytes */
		r = grow(p, sizeof(*r));
		r->hdrlen = 2;
		r->type = 4;
		inet_pton(AF_INET6, DST6, &r->segment);
		break;
	case EXT_AH:		/* 24 bytes: (hdrlen + 2) * 4 */
		e = grow(p, 24);
		e->hdrlen = 4;
		e->data[2] = 0x12;	/* SPI */
		e->data[9] = 1;		/* sequence */
		break;
	case EXT_FRAG:
		f = grow(p, sizeof(*f));
		f->frag_off = htons(frag);
		f->id = htonl(0x1234);
		break;
	}
}

static inline void build(const struct spec *s, struct pkt *p)
{
	static const __u8 tcpopt[20] = {
		2, 4, 0x05, 0xb4,			/* MSS 1460 */
		4, 2,					/* SACK permitted */
		8, 10, 0, 0, 0, 1, 0, 0, 0, 0,		/* timestamps */
		1,					/* NOP */
		3, 3, 7,				/* window scale */
	};
	struct ethhdr *eth;
	size_t ethertype;	/* offset of the field naming what follows */
	__u8 *next;
	__u32 addr[4];
	int i;

	p->len = p->l3 = p->l4 = 0;
	p->family = 0;
	p->proto = 0;
	eth = grow(p, sizeof(*eth));
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	ethertype = offsetof(struct ethhdr, h_proto);
	for (i = 0; i < 4 && s->tpid[i]; i++) {
		struct vlan_tag *v;

		put16(p, ethertype, s->tpid[i]);
		ethertype = p->len + offsetof(struct vlan_tag, proto);
		v = grow(p, sizeof(*v));
		v->tci = htons(100 + i);
	}
	if (s->arp) {
		__u8 *arp;

		put16(p, ethertype, ETH_P_ARP);
		arp = grow(p, 28);
		memcpy(arp, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
		return;
	}
	p->l3 = p->len;
	p->family = parse_addr(s->src, addr);
	p->proto = s->proto ? s->proto : IPPROTO_TCP;
	if (p->family == 4) {
		struct iphdr *ip = grow(p, sizeof(*ip) + s->ipopt);

		put16(p, ethertype, ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5 + s->ipopt / 4;
		memset(ip + 1, 1, s->ipopt);	/* NOPs */
		ip->ttl = 64;
		ip->protocol = p->proto;
		ip->frag_off = htons(s->frag);
		ip->id = htons(0x4242);
		ip->saddr = addr[0];
		inet_pton(AF_INET, DST4, &ip->daddr);
	} else {
		struct ipv6hdr *ip6 = grow(p, sizeof(*ip6));

		put16(p, ethertype, ETH_P_IPV6);
		ip6->version = 6;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, addr, 16);
		inet_pton(AF_INET6, DST6, &ip6->daddr);
		next = &ip6->nexthdr;
		for (i = 0; i < s->n_ext; i++) {
			*next = s->ext[i];
			next = p->buf + p->len;	/* nexthdr comes first */
			build_ext(p, s->ext[i], s->frag);
		}
		*next = p->proto;
	}
	p->l4 = p->len;
	if (p->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = grow(p, sizeof(*tcp) + s->tcpopt);

		tcp->source = htons(40000);
		tcp->dest = htons(s->dport ? s->dport : 80);
		tcp->seq = htonl(1000);
		tcp->ack_seq = htonl(s->flags & T_ACK ? 2000 : 0);
		tcp->doff = 5 + s->tcpopt / 4;
		((__u8 *)tcp)[13] = s->flags;
		tcp->window = htons(64240);
		memset(tcp + 1, 1, s->tcpopt);
		memcpy(tcp + 1, tcpopt, s->tcpopt < 20 ? s->tcpopt : 20);
	} else if (p->proto == IPPROTO_UDP) {
		struct udphdr *udp = grow(p, sizeof(*udp));

		udp->source = htons(40000);
		udp->dest = htons(s->dport ? s->dport : 53);
	}
	memset(grow(p, s->payload), s->fill, s->payload);
	finish(p);
}

/* ---- running ---- */

#endif /* XG_TESTS_PKT_H */
