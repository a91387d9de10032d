// SPDX-License-Identifier: GPL-2.0
/*
 * DNS telemetry (issue 15): tc ingress and egress of an attached
 * interface, and a sock:inet_sock_set_state program for stale use.
 *
 * Every UDP or TCP packet from or to port 53, IPv4 or IPv6, VLAN-tagged
 * or not, in both directions, has its DNS message parsed (bpf/lib/dns.h,
 * bounded) and counted per server (address and port that answers):
 * queries, responses, rcodes, latency (a query is remembered until its
 * response, or counted a timeout by a bpf_timer), TC=1 and whether the
 * client then asked over TCP, EDNS sizes, fragmented and oversize UDP
 * responses, answer TTLs and negative TTLs. Per name and query type the
 * last A/AAAA answer set is kept; a change raises dns_answer_changed, a
 * different set from another server within the TTL dns_servers_disagree,
 * and the addresses a name left are remembered so that a connect() to
 * one after the old answer expired raises dns_stale_use.
 *
 * These are filters of their own on the clsact hooks, beside the MSS/PTB
 * ones (docs/dns.md): they never change a packet and always return
 * TC_ACT_UNSPEC, so the next filter runs as if they were not there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <xdpguard/abi.h>
#include <xdpguard/dns.h>
#include "lib/parse.h"
#include "lib/events.h"
#include "lib/dns.h"

#define TC_ACT_UNSPEC		(-1)
#define XG_IPPROTO_UDP		17
#define XG_CLOCK_MONOTONIC	1
#define XG_TCP_SYN_SENT		2
#define XG_AF_INET		2
#define XG_AF_INET6		10
#define XG_EBUSY		16

/* set at load: the interface's namespace (for the tracepoint) */
const volatile __u64 netns_cookie = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_dns_cfg);
} xg_dns_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_dns_info);
} xg_dns_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XG_DNS_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} xg_dns_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, XG_DNS_SERVERS);
	__type(key, struct xg_dns_server_key);
	__type(value, struct xg_dns_server);
} xg_dns_servers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_DNS_NAMES);
	__type(key, struct xg_dns_name_key);
	__type(value, struct xg_dns_name);
} xg_dns_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_DNS_GONE);
	__type(key, struct xg_dns_addr_key);
	__type(value, struct xg_dns_gone);
} xg_dns_gone SEC(".maps");

/* what waits: a query for its response, a TC=1 for the TCP retry */
enum { PEND_QUERY = 1, PEND_TC = 2 };

struct pend_key {
	__u32 server[4];
	__u32 client[4];
	__u16 sport;		/* the server's */
	__u16 cport;		/* the client's; 0 for PEND_TC */
	__u16 id;		/* 0 for PEND_TC */
	__u8 family;
	__u8 kind;
	__u8 proto;		/* 0 for PEND_TC */
	__u8 role;
	__u16 pad;
	__u32 name_hash;	/* PEND_TC only */
};

struct pend {
	struct bpf_timer timer;
	__u64 ts;
	__u16 edns;
	__u8 has_edns;
	__u8 pad[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_DNS_PENDING);
	__type(key, struct pend_key);
	__type(value, struct pend);
} xg_dns_pending SEC(".maps");

/* per-CPU scratch: the copied message and its parse */
struct scratch {
	__u8 buf[XG_DNS_BUF + 16];
	struct xg_dns_msg m;
	struct xg_dns_ctx pc;
	struct xg_dns_name_key nk;
	struct xg_dns_server srv;	/* a new server's first value */
	struct xg_dns_name name;	/* ... name's */
	struct xg_dns_gone gone;
	__u32 hash;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} xgd_scratch SEC(".maps");

/* the live settings, with the defaults for what is unset (0) */
static __always_inline void dns_cfg(struct xg_dns_cfg *out)
{
	__u32 zero = 0;
	const struct xg_dns_cfg *c = bpf_map_lookup_elem(&xg_dns_cfg, &zero);

	out->timeout_ns = c && c->timeout_ns ? c->timeout_ns :
					      XG_DNS_TIMEOUT_NS;
	out->tc_window_ns = c && c->tc_window_ns ? c->tc_window_ns :
						  XG_DNS_TC_WINDOW_NS;
	out->ttl_short = c ? c->ttl_short : XG_DNS_TTL_SHORT;
	out->ttl_long = c && c->ttl_long ? c->ttl_long : XG_DNS_TTL_LONG;
}

static __always_inline void cnt(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&xg_dns_cnt, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct xg_dns_server *
server_get(struct scratch *sc, const struct xg_dns_server_key *k, __u64 now)
{
	struct xg_dns_server *s = bpf_map_lookup_elem(&xg_dns_servers, k);

	if (s)
		goto out;
	__builtin_memset(&sc->srv, 0, sizeof(sc->srv));
	sc->srv.ttl_min = 0xffffffff;
	sc->srv.neg_min = 0xffffffff;
	if (bpf_map_update_elem(&xg_dns_servers, k, &sc->srv, BPF_NOEXIST) &&
	    !(s = bpf_map_lookup_elem(&xg_dns_servers, k))) {
		cnt(XG_DNS_C_SERVERS_FULL);
		return NULL;
	}
	s = bpf_map_lookup_elem(&xg_dns_servers, k);
	if (!s)
		return NULL;
out:
	s->last_ns = now;
	return s;
}

/* a timer ran out: the query got no response, or the TC=1 no retry */
static int pend_fire(void *map, struct pend_key *k, struct pend *v)
{
	struct xg_dns_server_key sk = {};
	struct xg_dns_server *s;

	__builtin_memcpy(sk.addr, k->server, 16);
	sk.port = k->sport;
	sk.family = k->family;
	sk.role = k->role;
	s = bpf_map_lookup_elem(&xg_dns_servers, &sk);
	if (s) {
		if (k->kind == PEND_QUERY)
			s->timeouts++;
		else
			s->tc_not_followed++;
	}
	bpf_map_delete_elem(map, k);
	return 0;
}

static __always_inline void pend_add(struct pend_key *k, __u64 now,
				     __u64 after, const struct xg_dns_msg *m)
{
	struct pend fresh = {}, *v;
	long err;

	v = bpf_map_lookup_elem(&xg_dns_pending, k);
	if (!v) {
		if (bpf_map_update_elem(&xg_dns_pending, k, &fresh, BPF_ANY))
			return;
		v = bpf_map_lookup_elem(&xg_dns_pending, k);
		if (!v)
			return;
	}
	v->ts = now;
	v->edns = m->edns_size;
	v->has_edns = m->has_edns;
	err = bpf_timer_init(&v->timer, &xg_dns_pending, XG_CLOCK_MONOTONIC);
	if (err && err != -XG_EBUSY)
		return;
	bpf_timer_set_callback(&v->timer, pend_fire);
	bpf_timer_start(&v->timer, after, 0);
}

/* the question's name: lower case, zero padded, hashed (FNV-1a) */
struct ncopy {
	const __u8 *buf;
	__u8 *name;
	const struct xg_dns_msg *m;
	__u32 *hash;		/* in the scratch map: not tracked */
};

static long ncopy_step(__u64 i, void *arg)
{
	struct ncopy *c = arg;
	__u8 ch;

	ch = c->buf[(12 + i) & XG_DNS_MASK];
	if (ch >= 'A' && ch <= 'Z')
		ch += 'a' - 'A';
	c->name[i & (XG_DNS_NAME - 1)] = ch;
	*c->hash = (*c->hash ^ ch) * 16777619u;
	return 0;
}

static __always_inline __u32 name_copy(struct scratch *sc)
{
	struct ncopy c = { .buf = sc->buf, .name = sc->nk.name, .m = &sc->m,
			   .hash = &sc->hash };

	__u32 n = sc->m.qname_len;

	/* the name's bytes only: the rest of the key is zeroes */
	__builtin_memset(sc->nk.name, 0, XG_DNS_NAME);
	sc->hash = 2166136261u;
	bpf_loop(n < XG_DNS_NAME ? n : XG_DNS_NAME, ncopy_step, &c, 0);
	return sc->hash;
}

static __always_inline int addr_in(const __u32 (*set)[4], __u32 n,
				   const __u32 *a)
{
	__u32 i;

	for (i = 0; i < XG_DNS_ADDRS; i++) {
		if (i >= n)
			break;
		if (set[i][0] == a[0] && set[i][1] == a[1] &&
		    set[i][2] == a[2] && set[i][3] == a[3])
			return 1;
	}
	return 0;
}

static __always_inline int same_set(const struct xg_dns_name *n,
				    const struct xg_dns_msg *m)
{
	__u32 i;

	if (n->n_addrs != m->n_addrs || n->family != m->addr_family)
		return 0;
	for (i = 0; i < XG_DNS_ADDRS; i++) {
		if (i >= m->n_addrs)
			break;
		if (!addr_in(n->addrs, n->n_addrs, m->addrs[i]))
			return 0;
	}
	return 1;
}

static __always_inline int same_server(const struct xg_dns_server_key *a,
				       const struct xg_dns_server_key *b)
{
	return a->family == b->family && a->port == b->port &&
	       a->addr[0] == b->addr[0] && a->addr[1] == b->addr[1] &&
	       a->addr[2] == b->addr[2] && a->addr[3] == b->addr[3];
}

static __always_inline __u32 min_ttl(const struct xg_dns_msg *m)
{
	__u32 t = 0xffffffff, i;

	for (i = 0; i < XG_DNS_TTLS; i++) {
		if (i >= m->n_ttls)
			break;
		if (m->ttls[i] < t)
			t = m->ttls[i];
	}
	return t == 0xffffffff ? 0 : t;
}

static __always_inline void emit(struct scratch *sc, __u16 type,
				 const struct xg_dns_name *n,
				 const struct xg_dns_server_key *srv,
				 const struct xg_dns_msg *m, __u32 ttl,
				 __u64 now)
{
	struct xg_config *gcfg;
	struct xg_dns_event *e;
	__u32 zero = 0;

	gcfg = bpf_map_lookup_elem(&xg_config, &zero);
	if (!gcfg || !event_budget(gcfg, now))
		return;
	e = bpf_ringbuf_reserve(&xg_events, sizeof(*e), 0);
	if (!e) {
		count(XG_C_EVENTS_LOST, 0);
		cnt(XG_DNS_C_EV_LOST);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->h.type = type;
	e->h.ts_ns = now;
	e->h.family = srv->family;
	__builtin_memcpy(e->d.name, sc->nk.name, XG_DNS_NAME);
	e->d.qtype = sc->nk.qtype;
	if (type == XG_EV_DNS_SERVERS_DISAGREE) {
		__builtin_memcpy(e->h.saddr, n->server.addr, 16);
		e->h.sport = n->server.port;
		__builtin_memcpy(e->h.daddr, srv->addr, 16);
		e->h.dport = srv->port;
	} else {
		__builtin_memcpy(e->h.saddr, srv->addr, 16);
		e->h.sport = srv->port;
	}
	__builtin_memcpy(e->d.old_addrs, n->addrs, sizeof(n->addrs));
	__builtin_memcpy(e->d.new_addrs, m->addrs, sizeof(m->addrs));
	e->d.n_old = n->n_addrs;
	e->d.n_new = m->n_addrs;
	e->d.family = m->addr_family;
	e->d.old_ttl = n->ttl;
	e->d.new_ttl = ttl;
	bpf_ringbuf_submit(e, 0);
}

/*
 * The addresses the name left are remembered until a connect() to one
 * after the old answer expired; the ones it has are forgotten.
 */
static __always_inline void gone_update(struct scratch *sc,
					const struct xg_dns_name *n,
					const struct xg_dns_msg *m, __u64 now)
{
	struct xg_dns_gone *g = &sc->gone;
	struct xg_dns_addr_key ak = {};
	__u32 i;

	ak.family = m->addr_family;
	for (i = 0; i < XG_DNS_ADDRS; i++) {
		if (i >= m->n_addrs)
			break;
		__builtin_memcpy(ak.addr, m->addrs[i], 16);
		bpf_map_delete_elem(&xg_dns_gone, &ak);
	}
	if (n->family != m->addr_family)
		return;
	__builtin_memset(g, 0, sizeof(*g));
	__builtin_memcpy(g->name, sc->nk.name, XG_DNS_NAME);
	g->qtype = sc->nk.qtype;
	g->changed_ns = now;
	g->expired_ns = n->expires_ns;
	for (i = 0; i < XG_DNS_ADDRS; i++) {
		if (i >= n->n_addrs)
			break;
		if (addr_in(m->addrs, m->n_addrs, n->addrs[i]))
			continue;
		__builtin_memcpy(ak.addr, n->addrs[i], 16);
		bpf_map_update_elem(&xg_dns_gone, &ak, g, BPF_ANY);
	}
}

/* A NOERROR answer set for the name: compare with the one in force. */
static __always_inline void name_answer(struct scratch *sc,
					struct xg_dns_name *n,
					const struct xg_dns_server_key *srv,
					const struct xg_dns_msg *m, __u64 now)
{
	__u32 ttl = min_ttl(m);
	__u16 type = 0;

	if (m->many || !m->n_addrs) {
		n->flags = m->many ? XG_DNS_NF_MANY : 0;
		return;
	}
	if ((n->flags & XG_DNS_NF_SET) && !same_set(n, m)) {
		if (!same_server(&n->server, srv) && now < n->expires_ns) {
			type = XG_EV_DNS_SERVERS_DISAGREE;
			n->disagreements++;
		} else {
			type = XG_EV_DNS_ANSWER_CHANGED;
			n->changes++;
			gone_update(sc, n, m, now);
		}
		/* one event a name a second */
		if (now - n->event_ns >= XG_NSEC_PER_SEC) {
			n->event_ns = now;
			emit(sc, type, n, srv, m, ttl, now);
		}
	}
	n->flags = XG_DNS_NF_SET;
	n->family = m->addr_family;
	n->n_addrs = m->n_addrs;
	__builtin_memcpy(n->addrs, m->addrs, sizeof(n->addrs));
	n->ttl = ttl;
	n->seen_ns = now;
	n->expires_ns = now + (__u64)ttl * XG_NSEC_PER_SEC;
	n->server = *srv;
}

static __always_inline struct xg_dns_name *name_get(struct scratch *sc)
{
	struct xg_dns_name *n;

	n = bpf_map_lookup_elem(&xg_dns_names, &sc->nk);
	if (n)
		return n;
	__builtin_memset(&sc->name, 0, sizeof(sc->name));
	bpf_map_update_elem(&xg_dns_names, &sc->nk, &sc->name, BPF_NOEXIST);
	return bpf_map_lookup_elem(&xg_dns_names, &sc->nk);
}

static __always_inline void on_query(struct scratch *sc, struct pend_key *pk,
				     struct xg_dns_server_key *sk, __u8 proto,
				     __u32 name_hash, __u64 now)
{
	struct xg_dns_msg *m = &sc->m;
	struct xg_dns_server *s;
	struct xg_dns_cfg cfg;
	struct xg_dns_name *n;
	struct pend_key tk;

	cnt(XG_DNS_C_QUERIES);
	dns_cfg(&cfg);
	s = server_get(sc, sk, now);
	if (s) {
		s->queries++;
		if (proto == XG_IPPROTO_TCP)
			s->queries_tcp++;
		switch (xg_dns_edns_bucket(m->edns_size, m->has_edns)) {
		case XG_DNS_EDNS_NONE: s->edns[XG_DNS_EDNS_NONE]++; break;
		case XG_DNS_EDNS_1232: s->edns[XG_DNS_EDNS_1232]++; break;
		case XG_DNS_EDNS_1400: s->edns[XG_DNS_EDNS_1400]++; break;
		case XG_DNS_EDNS_1500: s->edns[XG_DNS_EDNS_1500]++; break;
		default: s->edns[XG_DNS_EDNS_BIG]++; break;
		}
	}
	pend_add(pk, now, cfg.timeout_ns, m);
	if (proto == XG_IPPROTO_TCP) {
		/* a retry over TCP of a truncated answer */
		tk = *pk;
		tk.kind = PEND_TC;
		tk.cport = 0;
		tk.id = 0;
		tk.proto = 0;
		tk.name_hash = name_hash;
		if (bpf_map_lookup_elem(&xg_dns_pending, &tk)) {
			bpf_map_delete_elem(&xg_dns_pending, &tk);
			if (s)
				s->tc_followed++;
		}
	}
	n = name_get(sc);
	if (n)
		__sync_fetch_and_add(&n->queries, 1);
}

static __always_inline void on_response(struct scratch *sc,
					struct pend_key *pk,
					struct xg_dns_server_key *sk,
					__u8 proto, __u32 name_hash,
					__u32 wire_len, __u8 frag, __u64 now)
{
	struct xg_dns_msg *m = &sc->m;
	struct xg_dns_server *s;
	struct xg_dns_cfg cfg;
	struct xg_dns_name *n;
	struct pend *p;
	__u32 i, b, ttl, limit, neg;
	__u64 lat;

	cnt(XG_DNS_C_RESPONSES);
	dns_cfg(&cfg);
	s = server_get(sc, sk, now);
	if (!s)
		return;
	s->responses++;
	if (proto == XG_IPPROTO_TCP)
		s->responses_tcp++;
	p = bpf_map_lookup_elem(&xg_dns_pending, pk);
	if (p) {
		lat = now - p->ts;
		b = xg_dns_log2(lat / 1000, XG_DNS_LAT_BUCKETS);
		if (b < XG_DNS_LAT_BUCKETS)
			s->lat[b]++;
		s->lat_sum_ns += lat;
		limit = p->has_edns ? (p->edns > 512 ? p->edns : 512) : 512;
		if (proto == XG_IPPROTO_UDP && wire_len > limit)
			s->oversize++;
		bpf_map_delete_elem(&xg_dns_pending, pk);
	} else {
		s->unmatched++;
		cnt(XG_DNS_C_UNMATCHED);
	}
	switch (xg_dns_rcode_slot(m->rcode)) {
	case XG_DNS_RC_NOERROR: s->rcode[XG_DNS_RC_NOERROR]++; break;
	case XG_DNS_RC_NXDOMAIN: s->rcode[XG_DNS_RC_NXDOMAIN]++; break;
	case XG_DNS_RC_SERVFAIL: s->rcode[XG_DNS_RC_SERVFAIL]++; break;
	case XG_DNS_RC_REFUSED: s->rcode[XG_DNS_RC_REFUSED]++; break;
	default: s->rcode[XG_DNS_RC_OTHER]++; break;
	}
	if (frag)
		s->fragmented++;
	if (m->tc && proto == XG_IPPROTO_UDP) {
		struct pend_key tk = *pk;

		s->tc++;
		tk.kind = PEND_TC;
		tk.cport = 0;
		tk.id = 0;
		tk.proto = 0;
		tk.name_hash = name_hash;
		pend_add(&tk, now, cfg.tc_window_ns, m);
	}
	for (i = 0; i < XG_DNS_TTLS; i++) {
		if (i >= m->n_ttls)
			break;
		ttl = m->ttls[i];
		s->answers++;
		b = xg_dns_ttl_bucket(ttl);
		if (b < XG_DNS_TTL_BUCKETS)
			s->ttl[b]++;
		if (ttl <= cfg.ttl_short)
			s->ttl_short++;
		if (ttl >= cfg.ttl_long)
			s->ttl_long++;
		/* per CPU: this CPU's first one sets the minimum (another
		 * CPU's creation of the entry left zeroes here) */
		if (s->answers == 1 || ttl < s->ttl_min)
			s->ttl_min = ttl;
		if (ttl > s->ttl_max)
			s->ttl_max = ttl;
	}
	/* NXDOMAIN, or NODATA; a truncated answer is neither */
	neg = !m->tc && (m->rcode == 3 || (m->rcode == 0 && m->an == 0));
	if (neg && m->has_soa) {
		/* RFC 2308 5: the lesser of the SOA's TTL and MINIMUM */
		ttl = m->soa_min < m->soa_ttl ? m->soa_min : m->soa_ttl;
		s->negative++;
		b = xg_dns_ttl_bucket(ttl);
		if (b < XG_DNS_TTL_BUCKETS)
			s->neg_ttl[b]++;
		if (s->negative == 1 || ttl < s->neg_min)
			s->neg_min = ttl;
		if (ttl > s->neg_max)
			s->neg_max = ttl;
	}
	n = name_get(sc);
	if (!n)
		return;
	__sync_fetch_and_add(&n->responses, 1);
	if (neg)
		__sync_fetch_and_add(&n->negative, 1);
	else if (m->rcode == 0 && (m->status == XG_DNS_OK ||
				    (m->status == XG_DNS_PAST_BOUND &&
				     m->rr_seen >= m->an)))
		/* every answer record read: the set is whole */
		name_answer(sc, n, sk, m, now);
}

struct l4 {
	__u32 saddr[4], daddr[4];
	__u32 off;		/* the DNS message, from skb->data */
	__u32 avail;		/* bytes of it in the packet */
	__u32 wire_len;		/* its length */
	__u16 sport, dport;
	__u8 family, proto, frag;
};

/*
 * Where the DNS message is, if the packet is UDP or TCP from or to port
 * 53: 0, or -1 when it is not one. TCP: only a segment that starts a
 * message (its length prefix) is read.
 */
static __always_inline int locate(struct __sk_buff *skb, struct l4 *l)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct xg_pkt p = {};
	struct ipv6hdr *ip6;
	struct iphdr *iph;
	struct udphdr *udp;
	struct tcphdr *tcp;
	__u32 l3len, hdr, tot;
	__u16 len2;

	if (xg_parse(data, data_end, &p) != XG_P_OK || !p.l4 ||
	    p.l4_malformed || p.fragment)
		return -1;
	l->family = p.family;
	l->proto = p.l4proto;
	if (p.family == 4) {
		iph = p.l3;
		if ((void *)(iph + 1) > data_end)
			return -1;
		l3len = bpf_ntohs(iph->tot_len);
		l->saddr[0] = iph->saddr;
		l->daddr[0] = iph->daddr;
	} else {
		ip6 = p.l3;
		if ((void *)(ip6 + 1) > data_end)
			return -1;
		l3len = 40 + bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(l->saddr, &ip6->saddr, 16);
		__builtin_memcpy(l->daddr, &ip6->daddr, 16);
	}
	hdr = p.l4 - p.l3;
	if (l3len < hdr)
		return -1;
	tot = l3len - hdr;	/* L4 bytes this IP packet carries */
	if (p.l4proto == XG_IPPROTO_UDP) {
		udp = p.l4;
		if ((void *)(udp + 1) > data_end)
			return -1;
		l->sport = bpf_ntohs(udp->source);
		l->dport = bpf_ntohs(udp->dest);
		if (l->sport != XG_DNS_PORT && l->dport != XG_DNS_PORT)
			return -1;
		l->off = p.l4 + 8 - data;
		l->wire_len = bpf_ntohs(udp->len);
		if (l->wire_len < 8)
			return -1;
		l->wire_len -= 8;
		/* a first fragment: the datagram is longer than the packet */
		l->frag = l->wire_len + 8 > tot;
		l->avail = (tot < l->wire_len + 8 ? tot : l->wire_len + 8) - 8;
		return 0;
	}
	if (p.l4proto != XG_IPPROTO_TCP || !p.tcp)
		return -1;
	tcp = p.tcp;
	l->sport = bpf_ntohs(tcp->source);
	l->dport = bpf_ntohs(tcp->dest);
	if (l->sport != XG_DNS_PORT && l->dport != XG_DNS_PORT)
		return -1;
	hdr = tcp->doff * 4;
	if (tot < hdr + 2 + 12)
		return -1;	/* no message starts here */
	l->off = (void *)tcp + hdr - data;
	if (bpf_skb_load_bytes(skb, l->off, &len2, 2))
		return -1;
	l->off += 2;
	l->wire_len = bpf_ntohs(len2);
	l->avail = tot - hdr - 2;
	return 0;
}

static __always_inline void dns(struct __sk_buff *skb, int egress)
{
	struct xg_dns_server_key sk = {};
	struct pend_key pk = {};
	struct scratch *sc;
	struct xg_dns_msg *m;
	struct l4 l = {};
	__u32 zero = 0, hash;
	__u64 now, n;
	int query;

	if (locate(skb, &l))
		return;
	cnt(XG_DNS_C_PACKETS);
	sc = bpf_map_lookup_elem(&xgd_scratch, &zero);
	if (!sc)
		return;
	/* asm: so that the compiler hands the verifier the bounded copy */
	n = l.avail;
	asm volatile("if %[n] <= %[max] goto +1; %[n] = %[max]"
		     : [n] "+r"(n) : [max] "i"(XG_DNS_BUF));
	if (n < 12 || bpf_skb_load_bytes(skb, l.off, sc->buf, n)) {
		cnt(XG_DNS_C_NOT_DNS);
		return;
	}
	m = &sc->m;
	xg_dns_parse(sc->buf, n, l.wire_len, m, &sc->pc);
	if (m->status == XG_DNS_NOT_DNS || !m->q_ok || m->opcode != 0) {
		cnt(m->status == XG_DNS_MALFORMED ? XG_DNS_C_MALFORMED :
		    m->status == XG_DNS_PAST_BOUND ? XG_DNS_C_PAST_BOUND :
		    XG_DNS_C_NOT_DNS);
		return;
	}
	query = !m->qr;
	/* a query goes to port 53, a response comes from it */
	if ((query && l.dport != XG_DNS_PORT) ||
	    (!query && l.sport != XG_DNS_PORT)) {
		cnt(l.proto == XG_IPPROTO_TCP ? XG_DNS_C_TCP_MIDDLE :
		    XG_DNS_C_NOT_DNS);
		return;
	}
	if (m->status == XG_DNS_MALFORMED)
		cnt(XG_DNS_C_MALFORMED);
	else if (m->status == XG_DNS_PAST_BOUND)
		cnt(XG_DNS_C_PAST_BOUND);
	if (m->qname_len > XG_DNS_NAME)
		cnt(XG_DNS_C_NAME_LONG);
	hash = name_copy(sc);
	sc->nk.qtype = m->qtype;
	sc->nk.pad = 0;
	now = bpf_ktime_get_ns();
	pk.family = sk.family = l.family;
	pk.kind = PEND_QUERY;
	pk.proto = l.proto;
	pk.id = m->id;
	if (query) {
		__builtin_memcpy(sk.addr, l.daddr, 16);
		sk.port = l.dport;
		__builtin_memcpy(pk.client, l.saddr, 16);
		pk.cport = l.sport;
	} else {
		__builtin_memcpy(sk.addr, l.saddr, 16);
		sk.port = l.sport;
		__builtin_memcpy(pk.client, l.daddr, 16);
		pk.cport = l.dport;
	}
	/* egress queries: this host asks; ingress ones: it answers */
	sk.role = egress == query ? XG_DNS_ROLE_REMOTE : XG_DNS_ROLE_LOCAL;
	__builtin_memcpy(pk.server, sk.addr, 16);
	pk.sport = sk.port;
	pk.role = sk.role;
	if (query)
		on_query(sc, &pk, &sk, l.proto, hash, now);
	else
		on_response(sc, &pk, &sk, l.proto, hash, l.wire_len, l.frag,
			    now);
}

SEC("tc")
int xg_dns_ingress(struct __sk_buff *skb)
{
	dns(skb, 0);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int xg_dns_egress(struct __sk_buff *skb)
{
	dns(skb, 1);
	return TC_ACT_UNSPEC;
}

/*
 * A connect() in this namespace to an address a name no longer resolves
 * to, after the old answer's TTL ran out: dns_stale_use, once a second
 * an address, naming the process (this runs in its context).
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(xg_dns_stale, const struct sock *sk, const int oldstate,
	     const int newstate)
{
	struct xg_dns_addr_key ak = {};
	struct xg_config *gcfg;
	struct xg_dns_event *e;
	struct xg_dns_gone *g;
	__u32 zero = 0;
	__u64 now;
	__u16 fam;

	if (newstate != XG_TCP_SYN_SENT || sk->sk_protocol != XG_IPPROTO_TCP)
		return 0;
	if (BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie) !=
	    netns_cookie)
		return 0;
	fam = sk->__sk_common.skc_family;
	if (fam == XG_AF_INET) {
		ak.family = 4;
		ak.addr[0] = sk->__sk_common.skc_daddr;
	} else if (fam == XG_AF_INET6) {
		ak.family = 6;
		BPF_CORE_READ_INTO(&ak.addr, sk,
				   __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	} else {
		return 0;
	}
	g = bpf_map_lookup_elem(&xg_dns_gone, &ak);
	if (!g)
		return 0;
	now = bpf_ktime_get_ns();
	if (now <= g->expired_ns)
		return 0;	/* the old answer still holds */
	__sync_fetch_and_add(&g->hits, 1);
	if (g->event_ns && now - g->event_ns < XG_NSEC_PER_SEC)
		return 0;
	g->event_ns = now;
	gcfg = bpf_map_lookup_elem(&xg_config, &zero);
	if (!gcfg || !event_budget(gcfg, now))
		return 0;
	e = bpf_ringbuf_reserve(&xg_events, sizeof(*e), 0);
	if (!e) {
		count(XG_C_EVENTS_LOST, 0);
		cnt(XG_DNS_C_EV_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->h.type = XG_EV_DNS_STALE_USE;
	e->h.ts_ns = now;
	e->h.family = ak.family;
	__builtin_memcpy(e->h.daddr, ak.addr, 16);
	e->h.dport = bpf_ntohs(sk->__sk_common.skc_dport);
	__builtin_memcpy(e->d.name, g->name, XG_DNS_NAME);
	e->d.qtype = g->qtype;
	e->d.family = ak.family;
	e->d.past_ns = now - g->expired_ns;
	e->d.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->d.comm, sizeof(e->d.comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
