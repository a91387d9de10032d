/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded DNS message parsing, pure C: the tc programs (bpf/tc_dns.bpf.c)
 * and the user-space unit tests compile the same code.
 *
 * Contract of xg_dns_parse(buf, len, wire_len, m):
 *   - @buf holds the first @len bytes (at most XG_DNS_BUF) of a message of
 *     @wire_len bytes (the UDP payload, or the TCP length prefix); @buf has
 *     XG_DNS_BUF + 16 bytes, and every read is masked into it, so that the
 *     verifier sees each access in bounds;
 *   - the header; one question (QDCOUNT 1, else XG_DNS_NOT_DNS); then up
 *     to XG_DNS_MAX_RR records of the answer, authority and additional
 *     sections, in XG_DNS_STEPS steps at most (one step a label or a
 *     record), keeping: answer TTLs (XG_DNS_TTLS), A/AAAA addresses
 *     (XG_DNS_ADDRS), the authority SOA's TTL and MINIMUM, the OPT
 *     record's UDP size and extended RCODE;
 *   - what lies past a bound (the bytes copied, the records, the steps)
 *     ends parsing with XG_DNS_PAST_BOUND: what was read holds, the rest
 *     is unknown; a message that claims more than it has (a label or
 *     record past @wire_len, a bad label type, a name over 255 bytes) is
 *     XG_DNS_MALFORMED.
 * The loop is bpf_loop() in BPF, a plain loop elsewhere.
 */
#ifndef XG_LIB_DNS_H
#define XG_LIB_DNS_H

#include <xdpguard/dns.h>

#ifndef __always_inline		/* user space */
#define __always_inline inline __attribute__((always_inline))
#endif

#define XG_DNS_MASK	(XG_DNS_BUF - 1)

enum xg_dns_status {
	XG_DNS_OK = 0,
	XG_DNS_PAST_BOUND,	/* header and question read, rest partly */
	XG_DNS_MALFORMED,
	XG_DNS_NOT_DNS,		/* too short, no single question */
};

#define XG_DNS_T_A	1
#define XG_DNS_T_SOA	6
#define XG_DNS_T_AAAA	28
#define XG_DNS_T_OPT	41

struct xg_dns_msg {
	__u16 id;
	__u16 flags;
	__u16 qd, an, ns, ar;
	__u16 qtype, qclass;
	__u16 qname_len;	/* wire bytes of the question name */
	__u16 edns_size;	/* OPT's UDP size; 0: no OPT seen */
	__u16 rr_seen;		/* records walked */
	__u8 status;		/* enum xg_dns_status */
	__u8 q_ok;		/* header and question complete */
	__u8 qr, opcode, tc, rcode;	/* rcode: with the OPT's extension */
	__u8 has_soa;
	__u8 n_ttls;		/* answer TTLs kept */
	__u8 n_addrs;		/* A/AAAA addresses kept */
	__u8 many;		/* more addresses than kept, or cut off */
	__u8 addr_family;	/* of the first one: 4 or 6 */
	__u8 has_edns;		/* an OPT record was read */
	__u32 soa_ttl, soa_min;
	__u32 ttls[XG_DNS_TTLS];
	__u32 addrs[XG_DNS_ADDRS][4];
	__u32 nbytes;		/* where parsing stopped */
};

enum { XG_DNS_S_QNAME, XG_DNS_S_QFIXED, XG_DNS_S_RRNAME, XG_DNS_S_RRFIXED,
       XG_DNS_S_DONE };

/*
 * The parser's state. In BPF it lives in a map value, not on the stack:
 * the verifier then sees unknown scalars in it and checks the step
 * callback once, instead of once per position it could be at.
 */
struct xg_dns_ctx {
	__u32 len, wire_len;
	__u32 pos;
	__u32 name_bytes;
	__u32 rr_total;
	__u8 state;
};

/* what bpf_loop() hands the step: pointers, on the stack */
struct xg_dns_ref {
	const __u8 *buf;
	struct xg_dns_msg *m;
	struct xg_dns_ctx *c;
};

static __always_inline __u32 xg_dns_u8(const __u8 *b, __u32 pos)
{
	return b[pos & XG_DNS_MASK];
}

static __always_inline __u32 xg_dns_u16(const __u8 *b, __u32 pos)
{
	const __u8 *p = b + (pos & XG_DNS_MASK);

	return (__u32)p[0] << 8 | p[1];
}

static __always_inline __u32 xg_dns_u32(const __u8 *b, __u32 pos)
{
	const __u8 *p = b + (pos & XG_DNS_MASK);

	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* Parsing stops at @need bytes: past our copy, or past the message. */
static __always_inline long xg_dns_short(struct xg_dns_ref *r, __u32 need)
{
	struct xg_dns_ctx *c = r->c;

	r->m->status = need <= c->wire_len ? XG_DNS_PAST_BOUND :
					     XG_DNS_MALFORMED;
	return 1;
}

/* One label of a name; 1 when the name is over. */
static __always_inline int xg_dns_label(struct xg_dns_ref *r, long *stop)
{
	struct xg_dns_ctx *c = r->c;
	__u32 l;

	*stop = 0;
	if (c->pos + 1 > c->len) {
		*stop = xg_dns_short(r, c->pos + 1);
		return 0;
	}
	l = xg_dns_u8(r->buf, c->pos);
	if (l == 0) {
		c->pos += 1;
		return 1;
	}
	if ((l & 0xc0) == 0xc0) {	/* a pointer ends the name */
		if (c->pos + 2 > c->len) {
			*stop = xg_dns_short(r, c->pos + 2);
			return 0;
		}
		c->pos += 2;
		return 1;
	}
	if (l & 0xc0) {			/* no extended label types */
		r->m->status = XG_DNS_MALFORMED;
		*stop = 1;
		return 0;
	}
	c->name_bytes += l + 1;
	if (c->name_bytes > 255) {
		r->m->status = XG_DNS_MALFORMED;
		*stop = 1;
		return 0;
	}
	c->pos += l + 1;
	return 0;
}

/* One record's fixed part and data (the name is walked). */
static __always_inline long xg_dns_rr(struct xg_dns_ref *r)
{
	struct xg_dns_ctx *c = r->c;
	struct xg_dns_msg *m = r->m;
	__u32 type, class, ttl, rdlen, rd, idx = m->rr_seen, n;
	const __u8 *b = r->buf;

	if (c->pos + 10 > c->len)
		return xg_dns_short(r, c->pos + 10);
	type = xg_dns_u16(b, c->pos);
	class = xg_dns_u16(b, c->pos + 2);
	ttl = xg_dns_u32(b, c->pos + 4);
	rdlen = xg_dns_u16(b, c->pos + 8);
	rd = c->pos + 10;
	if (rd + rdlen > c->wire_len) {
		m->status = XG_DNS_MALFORMED;
		return 1;
	}
	if (idx < m->an) {
		n = m->n_ttls;
		if (n < XG_DNS_TTLS) {
			m->ttls[n & (XG_DNS_TTLS - 1)] = ttl;
			m->n_ttls = n + 1;
		}
		if ((type == XG_DNS_T_A && rdlen == 4) ||
		    (type == XG_DNS_T_AAAA && rdlen == 16)) {
			n = m->n_addrs;
			if (n >= XG_DNS_ADDRS || rd + rdlen > c->len ||
			    (n && m->addr_family != (type == XG_DNS_T_A ? 4 : 6))) {
				m->many = 1;
			} else {
				__u32 *a = m->addrs[n & (XG_DNS_ADDRS - 1)];
				const __u8 *p = b + (rd & XG_DNS_MASK);

				a[0] = a[1] = a[2] = a[3] = 0;
				__builtin_memcpy(a, p, 4);
				if (type == XG_DNS_T_AAAA)
					__builtin_memcpy(a + 1, p + 4, 12);
				m->addr_family = type == XG_DNS_T_A ? 4 : 6;
				m->n_addrs = n + 1;
			}
		}
	} else if (idx < (__u32)m->an + m->ns) {
		/* the SOA of a negative answer: MINIMUM ends its data */
		if (type == XG_DNS_T_SOA && rdlen >= 22) {
			if (rd + rdlen > c->len)
				return xg_dns_short(r, rd + rdlen);
			m->soa_ttl = ttl;
			m->soa_min = xg_dns_u32(b, rd + rdlen - 4);
			m->has_soa = 1;
		}
	} else if (type == XG_DNS_T_OPT) {
		m->edns_size = class;
		m->has_edns = 1;
		m->rcode |= (ttl >> 24) << 4;
	}
	m->rr_seen = idx + 1;
	if (rd + rdlen > c->len) {	/* its data is past our copy */
		m->status = XG_DNS_PAST_BOUND;
		return 1;
	}
	c->pos = rd + rdlen;
	if (m->rr_seen >= c->rr_total) {
		c->state = XG_DNS_S_DONE;
		return 1;
	}
	if (m->rr_seen >= XG_DNS_MAX_RR) {
		m->status = XG_DNS_PAST_BOUND;
		return 1;
	}
	c->state = XG_DNS_S_RRNAME;
	c->name_bytes = 0;
	return 0;
}

static long xg_dns_step(__u64 i, void *arg)
{
	struct xg_dns_ref *r = arg;
	struct xg_dns_ctx *c = r->c;
	struct xg_dns_msg *m = r->m;
	long stop;

	switch (c->state) {
	case XG_DNS_S_QNAME:
		if (xg_dns_label(r, &stop)) {
			m->qname_len = c->pos - 12;
			c->state = XG_DNS_S_QFIXED;
		}
		return stop;
	case XG_DNS_S_QFIXED:
		if (c->pos + 4 > c->len)
			return xg_dns_short(r, c->pos + 4);
		m->qtype = xg_dns_u16(r->buf, c->pos);
		m->qclass = xg_dns_u16(r->buf, c->pos + 2);
		c->pos += 4;
		m->q_ok = 1;
		if (!c->rr_total) {
			c->state = XG_DNS_S_DONE;
			return 1;
		}
		c->state = XG_DNS_S_RRNAME;
		c->name_bytes = 0;
		return 0;
	case XG_DNS_S_RRNAME:
		if (xg_dns_label(r, &stop))
			c->state = XG_DNS_S_RRFIXED;
		return stop;
	case XG_DNS_S_RRFIXED:
		return xg_dns_rr(r);
	}
	return 1;
}

#ifdef __bpf__
#define xg_dns_loop(n, fn, ctx)	bpf_loop(n, fn, ctx, 0)
#else
static inline long xg_dns_loop(__u32 n, long (*fn)(__u64, void *), void *ctx)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (fn(i, ctx))
			return i + 1;
	return n;
}
#endif

/*
 * Parse the message in @buf into @m, with @c as the parser's state;
 * m->status says how far it went.
 */
static __always_inline void xg_dns_parse(const __u8 *buf, __u32 len,
					 __u32 wire_len, struct xg_dns_msg *m,
					 struct xg_dns_ctx *cp)
{
	struct xg_dns_ref r = { .buf = buf, .m = m, .c = cp };
	struct xg_dns_ctx *c = cp;

	__builtin_memset(m, 0, sizeof(*m));
	__builtin_memset(c, 0, sizeof(*c));
	c->pos = 12;
	if (len > XG_DNS_BUF)
		len = XG_DNS_BUF;
	if (len > wire_len)
		len = wire_len;
	c->len = len;
	c->wire_len = wire_len;
	if (len < 12) {
		m->status = wire_len < 12 ? XG_DNS_NOT_DNS : XG_DNS_PAST_BOUND;
		return;
	}
	m->id = xg_dns_u16(buf, 0);
	m->flags = xg_dns_u16(buf, 2);
	m->qd = xg_dns_u16(buf, 4);
	m->an = xg_dns_u16(buf, 6);
	m->ns = xg_dns_u16(buf, 8);
	m->ar = xg_dns_u16(buf, 10);
	m->qr = m->flags >> 15;
	m->opcode = (m->flags >> 11) & 0xf;
	m->tc = (m->flags >> 9) & 1;
	m->rcode = m->flags & 0xf;
	if (m->qd != 1) {
		m->status = XG_DNS_NOT_DNS;
		return;
	}
	c->rr_total = (__u32)m->an + m->ns + m->ar;
	c->state = XG_DNS_S_QNAME;
	m->status = XG_DNS_OK;
	xg_dns_loop(XG_DNS_STEPS, xg_dns_step, &r);
	if (m->status == XG_DNS_OK && c->state != XG_DNS_S_DONE)
		m->status = XG_DNS_PAST_BOUND;	/* out of steps */
	m->nbytes = c->pos;
}

/* log2 buckets: 0 for 0 and 1, then floor(log2(v)), at most @max - 1 */
static __always_inline __u32 xg_dns_log2(__u64 v, __u32 max)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r < max ? r : max - 1;
}

/* TTL bucket: 0 for TTL 0, i for [2^(i-1), 2^i) */
static __always_inline __u32 xg_dns_ttl_bucket(__u32 ttl)
{
	if (!ttl)
		return 0;
	return xg_dns_log2(ttl, XG_DNS_TTL_BUCKETS - 1) + 1;
}

/* EDNS buffer bucket of a query's advertised size (0: no OPT) */
static __always_inline __u32 xg_dns_edns_bucket(__u32 size, int has)
{
	if (!has)
		return XG_DNS_EDNS_NONE;
	if (size <= 1232)
		return XG_DNS_EDNS_1232;
	if (size <= 1400)
		return XG_DNS_EDNS_1400;
	if (size <= 1500)
		return XG_DNS_EDNS_1500;
	return XG_DNS_EDNS_BIG;
}

static __always_inline __u32 xg_dns_rcode_slot(__u32 rcode)
{
	switch (rcode) {
	case 0: return XG_DNS_RC_NOERROR;
	case 3: return XG_DNS_RC_NXDOMAIN;
	case 2: return XG_DNS_RC_SERVFAIL;
	case 5: return XG_DNS_RC_REFUSED;
	}
	return XG_DNS_RC_OTHER;
}

#endif /* XG_LIB_DNS_H */
