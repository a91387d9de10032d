// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of DNS telemetry (bpf/tc_dns.bpf.c, bpf/lib/dns.h):
 *   - the parser alone, compiled here as plain C, on built messages;
 *   - the tc programs through BPF_PROG_TEST_RUN on crafted frames, IPv4
 *     and IPv6, VLAN-tagged, UDP and TCP 53, queries out and responses in
 *     (this host as a client) and queries in and responses out (as a
 *     server), checked in the per-server, per-name and global tables and
 *     the ring buffer: rcodes, latency, TTLs (0, a day, negative = SOA
 *     minimum), EDNS sizes, TC=1 followed or not, timeouts by the
 *     kernel's timer, fragmented and oversize answers, answer changes and
 *     disagreements; messages past the bound and malformed ones counted
 *     as such.
 * Every case runs on freshly loaded programs (fresh maps).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include <xdpguard/dns.h>
#include "lib/dns.h"
#include "tc_dns.skel.h"
#include "../prog.h"
#include "../harness.h"

#define TC_ACT_UNSPEC	(-1)

static struct tc_dns_bpf *skel;
static struct ring_buffer *rb;
static int ncpus;
static struct xg_dns_event evs[8];
static int nev;

#define CLIENT4	"198.18.0.1"
#define SERVER4	"198.18.0.2"
#define SERVER4B "198.18.0.3"
#define CLIENT6	"2001:db8::1"
#define SERVER6	"2001:db8::2"

/* ---- DNS messages ---- */

struct msg {
	__u8 b[2048];
	size_t n;
};

static void m8(struct msg *m, __u8 v) { m->b[m->n++] = v; }
static void m16(struct msg *m, __u16 v) { m8(m, v >> 8); m8(m, v); }
static void m32(struct msg *m, __u32 v) { m16(m, v >> 16); m16(m, v); }

static void mname(struct msg *m, const char *name)
{
	const char *p = name, *dot;

	while (*p) {
		dot = strchr(p, '.');
		if (!dot)
			dot = p + strlen(p);
		m8(m, dot - p);
		memcpy(m->b + m->n, p, dot - p);
		m->n += dot - p;
		p = *dot ? dot + 1 : dot;
	}
	m8(m, 0);
}

#define QR	0x8000
#define TC	0x0200
#define RD	0x0100

static void mhead(struct msg *m, __u16 id, __u16 flags, __u16 an, __u16 ns,
		  __u16 ar, const char *qname, __u16 qtype)
{
	m->n = 0;
	m16(m, id);
	m16(m, flags);
	m16(m, 1);
	m16(m, an);
	m16(m, ns);
	m16(m, ar);
	mname(m, qname);
	m16(m, qtype);
	m16(m, 1);
}

/* an answer to the question (a pointer to offset 12) */
static void manswer_a(struct msg *m, const char *addr, __u32 ttl)
{
	__u32 a[4];
	int fam = parse_addr(addr, a);

	m16(m, 0xc00c);
	m16(m, fam == 4 ? 1 : 28);
	m16(m, 1);
	m32(m, ttl);
	m16(m, fam == 4 ? 4 : 16);
	memcpy(m->b + m->n, a, fam == 4 ? 4 : 16);
	m->n += fam == 4 ? 4 : 16;
}

static void manswer_txt(struct msg *m, size_t len, __u32 ttl)
{
	size_t i;

	m16(m, 0xc00c);
	m16(m, 16);
	m16(m, 1);
	m32(m, ttl);
	m16(m, len + 1);
	m8(m, len);
	for (i = 0; i < len; i++)
		m8(m, 'x');
}

static void msoa(struct msg *m, __u32 ttl, __u32 minimum)
{
	size_t at;

	m16(m, 0xc00c);
	m16(m, 6);
	m16(m, 1);
	m32(m, ttl);
	at = m->n;
	m16(m, 0);
	mname(m, "ns.test");
	mname(m, "hostmaster.test");
	m32(m, 2026120601);
	m32(m, 3600);
	m32(m, 600);
	m32(m, 86400);
	m32(m, minimum);
	m->b[at] = (m->n - at - 2) >> 8;
	m->b[at + 1] = (m->n - at - 2) & 0xff;
}

static void mopt(struct msg *m, __u16 size)
{
	m8(m, 0);
	m16(m, 41);
	m16(m, size);
	m32(m, 0);
	m16(m, 0);
}

/* ---- frames ---- */

struct frame {
	const char *src, *dst;
	__u16 sport, dport;
	bool tcp, vlan;
	__u16 frag;		/* IPv4 frag_off (host order) */
	size_t cut;		/* keep only this many message bytes */
};

static void build_frame(const struct frame *f, const struct msg *m,
			struct pkt *p)
{
	__u32 s[4], d[4];
	struct ethhdr *eth;
	size_t n = f->cut ? f->cut : m->n;
	int fam = parse_addr(f->src, s);

	parse_addr(f->dst, d);
	memset(p, 0, sizeof(*p));
	eth = grow(p, sizeof(*eth));
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	if (f->vlan) {
		put16(p, 12, ETH_P_8021Q);
		grow(p, 4);
		put16(p, 14, 100);
		put16(p, 16, fam == 4 ? ETH_P_IP : ETH_P_IPV6);
	} else {
		put16(p, 12, fam == 4 ? ETH_P_IP : ETH_P_IPV6);
	}
	p->l3 = p->len;
	p->family = fam;
	p->proto = f->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	if (fam == 4) {
		struct iphdr *ip = grow(p, sizeof(*ip));

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = p->proto;
		ip->frag_off = htons(f->frag);
		ip->saddr = s[0];
		ip->daddr = d[0];
	} else {
		struct ipv6hdr *ip6 = grow(p, sizeof(*ip6));

		ip6->version = 6;
		ip6->hop_limit = 64;
		ip6->nexthdr = p->proto;
		memcpy(&ip6->saddr, s, 16);
		memcpy(&ip6->daddr, d, 16);
	}
	p->l4 = p->len;
	if (f->tcp) {
		struct tcphdr *t = grow(p, sizeof(*t));
		__u8 *l;

		t->source = htons(f->sport);
		t->dest = htons(f->dport);
		t->seq = htonl(1);
		t->ack_seq = htonl(1);
		t->doff = 5;
		t->ack = 1;
		t->psh = 1;
		t->window = htons(64240);
		l = grow(p, 2);
		l[0] = m->n >> 8;
		l[1] = m->n & 0xff;
	} else {
		grow(p, sizeof(struct udphdr));
		put16(p, p->l4, f->sport);
		put16(p, p->l4 + 2, f->dport);
	}
	memcpy(grow(p, n), m->b, n);
	finish(p);
	if (!f->tcp && (f->cut || f->frag)) {
		/* the datagram is longer than this packet carries */
		put16(p, p->l4 + 4, 8 + m->n);
	}
}

static int run(bool egress, const struct frame *f, const struct msg *m)
{
	struct prog_res r;
	struct pkt p;
	int fd = bpf_program__fd(egress ? skel->progs.xg_dns_egress :
				 skel->progs.xg_dns_ingress);

	build_frame(f, m, &p);
	if (prog_run(fd, &p, 1, NULL, &r))
		return fail("BPF_PROG_TEST_RUN: %s", strerror(errno));
	if (r.retval != TC_ACT_UNSPEC)
		return fail("verdict %d, not TC_ACT_UNSPEC", r.retval);
	return 0;
}

/* a query from @client to @server, and its response (@resp) back */
static const struct frame q4 = { .src = CLIENT4, .dst = SERVER4, .sport = 40000, .dport = 53 };
static const struct frame r4 = { .src = SERVER4, .dst = CLIENT4, .sport = 53, .dport = 40000 };

/* ---- tables ---- */

static __u64 counter(__u32 idx)
{
	__u64 v[ncpus], sum = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xg_dns_cnt), &idx, v))
		return ~0ULL;
	for (i = 0; i < ncpus; i++)
		sum += v[i];
	return sum;
}

/* the server's numbers summed over CPUs; -1 when it has no entry */
static int server(const char *addr, __u16 port, __u8 role,
		  struct xg_dns_server *out)
{
	struct xg_dns_server v[ncpus];
	struct xg_dns_server_key k = { .port = port, .role = role };
	__u64 *s = (__u64 *)out;
	int i, j;

	k.family = parse_addr(addr, k.addr);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xg_dns_servers), &k,
				v))
		return fail("no entry for server %s:%u role %u", addr, port,
			    role);
	memset(out, 0, sizeof(*out));
	out->ttl_min = out->neg_min = 0xffffffff;
	for (i = 0; i < ncpus; i++) {
		const __u64 *a = (const __u64 *)&v[i];

		for (j = 0; j < (int)(offsetof(struct xg_dns_server, last_ns) /
				      8); j++)
			s[j] += a[j];
		/* per-CPU: a CPU that counted none holds zeroes */
		if (v[i].answers && v[i].ttl_min < out->ttl_min)
			out->ttl_min = v[i].ttl_min;
		if (v[i].answers && v[i].ttl_max > out->ttl_max)
			out->ttl_max = v[i].ttl_max;
		if (v[i].negative && v[i].neg_min < out->neg_min)
			out->neg_min = v[i].neg_min;
		if (v[i].negative && v[i].neg_max > out->neg_max)
			out->neg_max = v[i].neg_max;
	}
	return 0;
}

static int entries(struct bpf_map *map)
{
	char k[2][512];
	int n = 0;

	while (!bpf_map_get_next_key(bpf_map__fd(map), n ? k[(n - 1) & 1] :
				     NULL, k[n & 1]))
		n++;
	return n;
}

static void wire_name(const char *name, __u8 *out)
{
	struct msg m = { .n = 0 };

	mname(&m, name);
	memset(out, 0, XG_DNS_NAME);
	memcpy(out, m.b, m.n < XG_DNS_NAME ? m.n : XG_DNS_NAME);
}

static int name_entry(const char *name, __u16 qtype, struct xg_dns_name *v)
{
	struct xg_dns_name_key k = { .qtype = qtype };

	wire_name(name, k.name);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xg_dns_names), &k, v))
		return fail("no name entry for %s/%u", name, qtype);
	return 0;
}

static int set_cfg(__u64 timeout_ms, __u64 window_ms)
{
	struct xg_dns_cfg c = {
		.timeout_ns = timeout_ms * 1000000ULL,
		.tc_window_ns = window_ms * 1000000ULL,
		.ttl_short = 0,
		.ttl_long = 86400,
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_dns_cfg), &zero, &c,
				BPF_ANY))
		return fail("cannot write xg_dns_cfg: %s", strerror(errno));
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (size == sizeof(struct xg_dns_event) &&
	    nev < (int)(sizeof(evs) / sizeof(evs[0])))
		memcpy(&evs[nev++], data, size);
	return 0;
}

static int events(void)
{
	nev = 0;
	ring_buffer__consume(rb);
	return nev;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- the parser alone (plain C) ---- */

static int t_parser(void)
{
	struct xg_dns_ctx c;
	struct xg_dns_msg d;
	struct msg m;
	__u8 buf[XG_DNS_BUF + 16] = {};

	mhead(&m, 0x1234, QR | RD | 3, 0, 1, 1, "Nope.Example.TEST", 1);
	msoa(&m, 3600, 60);
	mopt(&m, 1232);
	memcpy(buf, m.b, m.n);
	xg_dns_parse(buf, m.n, m.n, &d, &c);
	ASSERT(d.status == XG_DNS_OK, "status %u, not OK", d.status);
	ASSERT(d.id == 0x1234 && d.qr && d.rcode == 3 && d.qtype == 1,
	       "header: id %#x qr %u rcode %u qtype %u", d.id, d.qr, d.rcode,
	       d.qtype);
	ASSERT(d.qname_len == 19, "qname %u bytes, not 19", d.qname_len);
	ASSERT(d.has_soa && d.soa_ttl == 3600 && d.soa_min == 60,
	       "SOA ttl %u min %u", d.soa_ttl, d.soa_min);
	ASSERT(d.has_edns && d.edns_size == 1232, "EDNS %u", d.edns_size);
	ASSERT(d.nbytes == m.n, "stopped at %u of %zu", d.nbytes, m.n);

	/* two A records */
	mhead(&m, 7, QR, 2, 0, 0, "www.test", 1);
	manswer_a(&m, "198.18.1.1", 300);
	manswer_a(&m, "198.18.1.2", 299);
	memcpy(buf, m.b, m.n);
	xg_dns_parse(buf, m.n, m.n, &d, &c);
	ASSERT(d.status == XG_DNS_OK && d.n_addrs == 2 && d.n_ttls == 2 &&
	       d.ttls[0] == 300 && d.ttls[1] == 299 && d.addr_family == 4,
	       "answers: status %u addrs %u ttls %u", d.status, d.n_addrs,
	       d.n_ttls);
	/* cut inside the answers: past our copy, not malformed */
	xg_dns_parse(buf, m.n - 3, m.n, &d, &c);
	ASSERT(d.status == XG_DNS_PAST_BOUND && d.n_addrs == 1,
	       "cut copy: status %u addrs %u", d.status, d.n_addrs);
	/* the message itself ends early: malformed */
	xg_dns_parse(buf, m.n - 3, m.n - 3, &d, &c);
	ASSERT(d.status == XG_DNS_MALFORMED, "short message: status %u",
	       d.status);
	/* a label type 0x40: malformed */
	buf[12] = 0x41;
	xg_dns_parse(buf, m.n, m.n, &d, &c);
	ASSERT(d.status == XG_DNS_MALFORMED, "label 0x41: status %u",
	       d.status);
	/* no question: not DNS as we track it */
	memset(buf, 0, 12);
	xg_dns_parse(buf, 12, 12, &d, &c);
	ASSERT(d.status == XG_DNS_NOT_DNS, "qdcount 0: status %u", d.status);
	ASSERT(xg_dns_ttl_bucket(0) == 0 && xg_dns_ttl_bucket(1) == 1 &&
	       xg_dns_ttl_bucket(300) == 9 && xg_dns_ttl_bucket(86400) == 17,
	       "TTL buckets");
	return 0;
}

/* ---- through the programs ---- */

static int t_client_v4(void)
{
	struct xg_dns_server s;
	struct xg_dns_name n;
	struct msg m;

	mhead(&m, 11, RD, 0, 0, 1, "www.example.test", 1);
	mopt(&m, 1232);
	TRY(run(true, &q4, &m));
	ASSERT(entries(skel->maps.xg_dns_pending) == 1, "query not pending");
	mhead(&m, 11, QR | RD, 2, 0, 0, "www.example.test", 1);
	manswer_a(&m, "198.18.1.1", 300);
	manswer_a(&m, "198.18.1.2", 300);
	TRY(run(false, &r4, &m));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.queries == 1 && s.responses == 1 && s.unmatched == 0,
	       "queries %llu responses %llu unmatched %llu", s.queries,
	       s.responses, s.unmatched);
	ASSERT(s.rcode[XG_DNS_RC_NOERROR] == 1, "NOERROR %llu",
	       s.rcode[XG_DNS_RC_NOERROR]);
	ASSERT(s.edns[XG_DNS_EDNS_1232] == 1, "EDNS <=1232: %llu",
	       s.edns[XG_DNS_EDNS_1232]);
	ASSERT(s.answers == 2 && s.ttl[9] == 2 && s.ttl_min == 300 &&
	       s.ttl_max == 300, "TTLs: %llu answers, bucket 9 %llu, %u..%u",
	       s.answers, s.ttl[9], s.ttl_min, s.ttl_max);
	{
		__u64 lat = 0;
		int i;

		for (i = 0; i < XG_DNS_LAT_BUCKETS; i++)
			lat += s.lat[i];
		ASSERT(lat == 1 && s.lat_sum_ns > 0, "latency samples %llu",
		       lat);
	}
	ASSERT(entries(skel->maps.xg_dns_pending) == 0,
	       "answered query still pending");
	TRY(name_entry("www.example.test", 1, &n));
	ASSERT(n.queries == 1 && n.responses == 1 && n.n_addrs == 2 &&
	       n.ttl == 300 && (n.flags & XG_DNS_NF_SET),
	       "name: queries %llu responses %llu addrs %u ttl %u",
	       n.queries, n.responses, n.n_addrs, n.ttl);
	ASSERT(counter(XG_DNS_C_QUERIES) == 1 &&
	       counter(XG_DNS_C_RESPONSES) == 1 &&
	       counter(XG_DNS_C_MALFORMED) == 0 &&
	       counter(XG_DNS_C_PAST_BOUND) == 0, "global counters");
	return 0;
}

static int t_client_v6_vlan(void)
{
	struct frame q = { .src = CLIENT6, .dst = SERVER6, .sport = 40001, .dport = 53, .vlan = true };
	struct frame r = { .src = SERVER6, .dst = CLIENT6, .sport = 53, .dport = 40001, .vlan = true };
	struct xg_dns_server s;
	struct xg_dns_name n;
	struct msg m;

	mhead(&m, 12, RD, 0, 0, 0, "v6.example.test", 28);
	TRY(run(true, &q, &m));
	mhead(&m, 12, QR | RD, 1, 0, 0, "v6.example.test", 28);
	manswer_a(&m, "2001:db8:1::1", 60);
	TRY(run(false, &r, &m));
	TRY(server(SERVER6, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.queries == 1 && s.responses == 1 && s.unmatched == 0 &&
	       s.edns[XG_DNS_EDNS_NONE] == 1, "queries %llu responses %llu "
	       "unmatched %llu", s.queries, s.responses, s.unmatched);
	TRY(name_entry("v6.example.test", 28, &n));
	ASSERT(n.family == 6 && n.n_addrs == 1 && n.ttl == 60,
	       "name: family %u addrs %u ttl %u", n.family, n.n_addrs, n.ttl);
	return 0;
}

static int t_tcp(void)
{
	struct frame q = { .src = CLIENT4, .dst = SERVER4, .sport = 40002, .dport = 53, .tcp = true };
	struct frame r = { .src = SERVER4, .dst = CLIENT4, .sport = 53, .dport = 40002, .tcp = true };
	struct xg_dns_server s;
	struct msg m;

	mhead(&m, 13, RD, 0, 0, 0, "tcp.example.test", 1);
	TRY(run(true, &q, &m));
	mhead(&m, 13, QR | RD, 1, 0, 0, "tcp.example.test", 1);
	manswer_a(&m, "198.18.1.3", 30);
	TRY(run(false, &r, &m));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.queries_tcp == 1 && s.responses_tcp == 1 && s.unmatched == 0,
	       "tcp queries %llu responses %llu unmatched %llu", s.queries_tcp,
	       s.responses_tcp, s.unmatched);
	return 0;
}

/* this host answers: the query comes in, the response goes out */
static int t_served(void)
{
	struct frame q = { .src = CLIENT4, .dst = SERVER4, .sport = 40003, .dport = 53 };
	struct frame r = { .src = SERVER4, .dst = CLIENT4, .sport = 53, .dport = 40003 };
	struct xg_dns_server s;
	struct msg m;

	mhead(&m, 14, RD, 0, 0, 0, "served.test", 1);
	TRY(run(false, &q, &m));
	mhead(&m, 14, QR | 5, 0, 0, 0, "served.test", 1);
	TRY(run(true, &r, &m));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_LOCAL, &s));
	ASSERT(s.queries == 1 && s.responses == 1 &&
	       s.rcode[XG_DNS_RC_REFUSED] == 1 && s.unmatched == 0,
	       "served: queries %llu responses %llu refused %llu",
	       s.queries, s.responses, s.rcode[XG_DNS_RC_REFUSED]);
	return 0;
}

static int t_rcodes_negative(void)
{
	struct xg_dns_server s;
	struct msg m;
	int i;
	static const __u16 rc[] = { 3, 2, 5, 4, 3 };

	for (i = 0; i < 5; i++) {
		struct frame q = q4, r = r4;

		q.sport = r.dport = 41000 + i;
		mhead(&m, 100 + i, RD, 0, 0, 0, "nx.example.test", 1);
		TRY(run(true, &q, &m));
		mhead(&m, 100 + i, QR | rc[i], 0, rc[i] == 3, 0,
		      "nx.example.test", 1);
		if (rc[i] == 3)
			msoa(&m, 3600, 60 + i);
		TRY(run(false, &r, &m));
	}
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.rcode[XG_DNS_RC_NXDOMAIN] == 2 &&
	       s.rcode[XG_DNS_RC_SERVFAIL] == 1 &&
	       s.rcode[XG_DNS_RC_REFUSED] == 1 && s.rcode[XG_DNS_RC_OTHER] == 1,
	       "rcodes nx %llu servfail %llu refused %llu other %llu",
	       s.rcode[XG_DNS_RC_NXDOMAIN], s.rcode[XG_DNS_RC_SERVFAIL],
	       s.rcode[XG_DNS_RC_REFUSED], s.rcode[XG_DNS_RC_OTHER]);
	/* negative TTL: the lesser of SOA TTL (3600) and MINIMUM */
	ASSERT(s.negative == 2 && s.neg_min == 60 && s.neg_max == 64,
	       "negative %llu, TTL %u..%u (want 60..64)", s.negative,
	       s.neg_min, s.neg_max);
	return 0;
}

static int t_ttl_flags(void)
{
	struct xg_dns_server s;
	struct msg m;

	TRY(set_cfg(5000, 2000));
	mhead(&m, 20, QR, 3, 0, 0, "ttl.example.test", 1);
	manswer_a(&m, "198.18.1.1", 0);
	manswer_a(&m, "198.18.1.2", 86400);
	manswer_a(&m, "198.18.1.3", 86399);
	TRY(run(false, &r4, &m));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.ttl_short == 1 && s.ttl_long == 1 && s.ttl[0] == 1 &&
	       s.ttl_min == 0 && s.ttl_max == 86400,
	       "short %llu long %llu bucket0 %llu min %u max %u", s.ttl_short,
	       s.ttl_long, s.ttl[0], s.ttl_min, s.ttl_max);
	ASSERT(s.unmatched == 1, "unmatched %llu", s.unmatched);
	return 0;
}

static int t_edns(void)
{
	static const __u16 sz[] = { 512, 1232, 1400, 1500, 4096 };
	struct xg_dns_server s;
	struct msg m;
	int i;

	for (i = 0; i < 5; i++) {
		mhead(&m, 30 + i, RD, 0, 0, 1, "edns.test", 1);
		mopt(&m, sz[i]);
		TRY(run(true, &q4, &m));
	}
	mhead(&m, 40, RD, 0, 0, 0, "edns.test", 1);
	TRY(run(true, &q4, &m));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.edns[XG_DNS_EDNS_NONE] == 1 && s.edns[XG_DNS_EDNS_1232] == 2 &&
	       s.edns[XG_DNS_EDNS_1400] == 1 && s.edns[XG_DNS_EDNS_1500] == 1 &&
	       s.edns[XG_DNS_EDNS_BIG] == 1, "EDNS %llu %llu %llu %llu %llu",
	       s.edns[0], s.edns[1], s.edns[2], s.edns[3], s.edns[4]);
	return 0;
}

static int t_past_bound(void)
{
	struct xg_dns_server s;
	struct frame r = r4;
	struct msg m;
	int i;

	/* more records than walked */
	mhead(&m, 50, QR, 20, 0, 0, "many.test", 1);
	for (i = 0; i < 20; i++)
		manswer_a(&m, "198.18.1.9", 10);
	TRY(run(false, &r4, &m));
	ASSERT(counter(XG_DNS_C_PAST_BOUND) == 1, "20 records: past bound %llu",
	       counter(XG_DNS_C_PAST_BOUND));
	/* a message longer than the bytes copied */
	mhead(&m, 51, QR, 2, 0, 0, "big.test", 16);
	manswer_txt(&m, 250, 10);
	manswer_txt(&m, 250, 10);
	TRY(run(false, &r4, &m));
	ASSERT(counter(XG_DNS_C_PAST_BOUND) == 2, "%zu-byte message: past "
	       "bound %llu", m.n, counter(XG_DNS_C_PAST_BOUND));
	ASSERT(counter(XG_DNS_C_MALFORMED) == 0, "malformed %llu",
	       counter(XG_DNS_C_MALFORMED));
	/* a record longer than the message: malformed */
	mhead(&m, 52, QR, 1, 0, 0, "bad.test", 1);
	manswer_a(&m, "198.18.1.9", 10);
	m.b[m.n - 5] = 0x40;	/* rdlength 0x4004 */
	TRY(run(false, &r4, &m));
	ASSERT(counter(XG_DNS_C_MALFORMED) == 1, "malformed %llu",
	       counter(XG_DNS_C_MALFORMED));
	/* the header alone, in a packet cut short */
	mhead(&m, 53, QR, 1, 0, 0, "cut.test", 1);
	manswer_a(&m, "198.18.1.9", 10);
	r.cut = 8;
	TRY(run(false, &r, &m));
	ASSERT(counter(XG_DNS_C_NOT_DNS) == 1, "8 bytes: not DNS %llu",
	       counter(XG_DNS_C_NOT_DNS));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.responses == 3, "responses %llu, not 3 (20 records, big, "
	       "malformed)", s.responses);
	return 0;
}

static int t_tc_followed(void)
{
	struct frame tq = { .src = CLIENT4, .dst = SERVER4, .sport = 40010, .dport = 53, .tcp = true };
	struct xg_dns_server s;
	struct msg m;

	mhead(&m, 60, RD, 0, 0, 1, "big.example.test", 16);
	mopt(&m, 1232);
	TRY(run(true, &q4, &m));
	mhead(&m, 60, QR | TC, 0, 0, 1, "big.example.test", 16);
	mopt(&m, 1232);
	TRY(run(false, &r4, &m));
	/* the same question over TCP, from another port */
	mhead(&m, 61, RD, 0, 0, 0, "big.example.test", 16);
	TRY(run(true, &tq, &m));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.tc == 1 && s.tc_followed == 1 && s.tc_not_followed == 0,
	       "tc %llu followed %llu not %llu", s.tc, s.tc_followed,
	       s.tc_not_followed);
	ASSERT(s.negative == 0, "a TC=1 answer counted as negative");
	return 0;
}

static int t_tc_not_followed(void)
{
	struct xg_dns_server s;
	struct msg m;
	int i;

	TRY(set_cfg(5000, 50));
	mhead(&m, 62, QR | TC, 0, 0, 0, "big2.example.test", 16);
	TRY(run(false, &r4, &m));
	for (i = 0; i < 100; i++) {	/* the timer, at most 2 s */
		msleep(20);
		TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
		if (s.tc_not_followed)
			break;
	}
	ASSERT(s.tc == 1 && s.tc_followed == 0 && s.tc_not_followed == 1,
	       "tc %llu followed %llu not %llu", s.tc, s.tc_followed,
	       s.tc_not_followed);
	return 0;
}

static int t_timeout(void)
{
	struct xg_dns_server s;
	struct msg m;
	int i;

	TRY(set_cfg(50, 2000));
	mhead(&m, 70, RD, 0, 0, 0, "slow.test", 1);
	TRY(run(true, &q4, &m));
	for (i = 0; i < 100; i++) {
		msleep(20);
		TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
		if (s.timeouts)
			break;
	}
	ASSERT(s.timeouts == 1, "timeouts %llu", s.timeouts);
	ASSERT(entries(skel->maps.xg_dns_pending) == 0,
	       "timed-out query still pending");
	/* a response after the timeout matches nothing */
	mhead(&m, 70, QR, 0, 0, 0, "slow.test", 1);
	TRY(run(false, &r4, &m));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.unmatched == 1 && s.timeouts == 1, "late response: "
	       "unmatched %llu timeouts %llu", s.unmatched, s.timeouts);
	return 0;
}

static int t_frag_oversize(void)
{
	struct frame r = r4;
	struct xg_dns_server s;
	struct msg m;

	/* no EDNS: 512 bytes at most; the answer is 600+ and fragmented */
	mhead(&m, 80, RD, 0, 0, 0, "frag.test", 16);
	TRY(run(true, &q4, &m));
	mhead(&m, 80, QR, 3, 0, 0, "frag.test", 16);
	manswer_txt(&m, 250, 10);
	manswer_txt(&m, 250, 10);
	manswer_txt(&m, 100, 10);
	r.frag = 0x2000;	/* MF, offset 0: the first fragment */
	r.cut = 400;
	TRY(run(false, &r, &m));
	TRY(server(SERVER4, 53, XG_DNS_ROLE_REMOTE, &s));
	ASSERT(s.fragmented == 1 && s.oversize == 1 && s.unmatched == 0,
	       "fragmented %llu oversize %llu unmatched %llu", s.fragmented,
	       s.oversize, s.unmatched);
	/* a non-first fragment has no DNS header: not looked at */
	r.frag = 0x0040;
	TRY(run(false, &r, &m));
	ASSERT(counter(XG_DNS_C_PACKETS) == 2, "packets %llu",
	       counter(XG_DNS_C_PACKETS));
	return 0;
}

static int t_answer_changed(void)
{
	struct xg_dns_addr_key ak = { .family = 4 };
	struct xg_dns_gone g;
	struct xg_dns_name n;
	char a[64], b[64];
	struct msg m;

	mhead(&m, 90, QR, 1, 0, 0, "app.example.test", 1);
	manswer_a(&m, "198.18.1.1", 300);
	TRY(run(false, &r4, &m));
	/* the same set again: nothing */
	TRY(run(false, &r4, &m));
	ASSERT(events() == 0, "%d events for an unchanged answer", nev);
	mhead(&m, 91, QR, 1, 0, 0, "APP.example.test", 1);
	manswer_a(&m, "198.18.1.2", 60);
	TRY(run(false, &r4, &m));
	ASSERT(events() == 1, "%d events, not 1 dns_answer_changed", nev);
	ASSERT(evs[0].h.type == XG_EV_DNS_ANSWER_CHANGED,
	       "event type %u", evs[0].h.type);
	inet_ntop(AF_INET, evs[0].d.old_addrs[0], a, sizeof(a));
	inet_ntop(AF_INET, evs[0].d.new_addrs[0], b, sizeof(b));
	ASSERT(evs[0].d.n_old == 1 && evs[0].d.n_new == 1 &&
	       !strcmp(a, "198.18.1.1") && !strcmp(b, "198.18.1.2") &&
	       evs[0].d.old_ttl == 300 && evs[0].d.new_ttl == 60,
	       "event: %s (ttl %u) -> %s (ttl %u)", a, evs[0].d.old_ttl, b,
	       evs[0].d.new_ttl);
	ASSERT(evs[0].d.family == 4 && evs[0].d.qtype == 1,
	       "event: family %u qtype %u", evs[0].d.family, evs[0].d.qtype);
	TRY(name_entry("app.example.test", 1, &n));
	ASSERT(n.changes == 1 && n.disagreements == 0, "changes %llu",
	       n.changes);
	/* the address it left is remembered with the old expiry */
	parse_addr("198.18.1.1", ak.addr);
	ASSERT(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.xg_dns_gone), &ak,
				    &g), "198.18.1.1 not remembered as left");
	ASSERT(g.expired_ns > g.changed_ns, "old answer expires %llu, change "
	       "at %llu", g.expired_ns, g.changed_ns);
	return 0;
}

/* AAAA answers from an IPv4 server: the event's addresses are IPv6 */
static int t_aaaa_from_v4_server(void)
{
	char a[64];
	struct msg m;

	mhead(&m, 92, QR, 1, 0, 0, "six.example.test", 28);
	manswer_a(&m, "2001:db8:5::1", 300);
	TRY(run(false, &r4, &m));
	mhead(&m, 93, QR, 1, 0, 0, "six.example.test", 28);
	manswer_a(&m, "2001:db8:5::2", 300);
	TRY(run(false, &r4, &m));
	ASSERT(events() == 1 && evs[0].h.type == XG_EV_DNS_ANSWER_CHANGED,
	       "%d events", nev);
	inet_ntop(AF_INET6, evs[0].d.new_addrs[0], a, sizeof(a));
	ASSERT(evs[0].h.family == 4 && evs[0].d.family == 6 &&
	       evs[0].d.qtype == 28 && !strcmp(a, "2001:db8:5::2"),
	       "server family %u, addresses %u, qtype %u, new %s",
	       evs[0].h.family, evs[0].d.family, evs[0].d.qtype, a);
	return 0;
}

static int t_disagree(void)
{
	struct frame r2 = { .src = SERVER4B, .dst = CLIENT4, .sport = 53, .dport = 40000 };
	struct xg_dns_name n;
	struct msg m;

	mhead(&m, 95, QR, 1, 0, 0, "split.test", 1);
	manswer_a(&m, "198.18.1.1", 300);
	TRY(run(false, &r4, &m));
	mhead(&m, 96, QR, 1, 0, 0, "split.test", 1);
	manswer_a(&m, "198.18.1.7", 300);
	TRY(run(false, &r2, &m));
	ASSERT(events() == 1 && evs[0].h.type == XG_EV_DNS_SERVERS_DISAGREE,
	       "%d events, type %u", nev, nev ? evs[0].h.type : 0);
	TRY(name_entry("split.test", 1, &n));
	ASSERT(n.disagreements == 1 && n.changes == 0,
	       "disagreements %llu changes %llu", n.disagreements, n.changes);
	return 0;
}

static int t_not_dns(void)
{
	struct msg m = { .n = 40 };
	struct frame other = { .src = CLIENT4, .dst = SERVER4, .sport = 40000, .dport = 5353 };

	memset(m.b, 0xff, m.n);		/* QDCOUNT 0xffff */
	TRY(run(true, &q4, &m));
	ASSERT(counter(XG_DNS_C_NOT_DNS) == 1, "not DNS %llu",
	       counter(XG_DNS_C_NOT_DNS));
	mhead(&m, 1, RD, 0, 0, 0, "x.test", 1);
	TRY(run(true, &other, &m));
	ASSERT(counter(XG_DNS_C_PACKETS) == 1, "port 5353 looked at");
	ASSERT(entries(skel->maps.xg_dns_servers) == 0, "a server entry");
	return 0;
}

static int reset(void)
{
	ring_buffer__free(rb);
	rb = NULL;
	tc_dns_bpf__destroy(skel);
	skel = tc_dns_bpf__open_and_load();
	if (!skel)
		return fail("cannot load tc_dns.bpf.o: %s", strerror(errno));
	rb = ring_buffer__new(bpf_map__fd(skel->maps.xg_events), on_event,
			      NULL, NULL);
	if (!rb)
		return fail("cannot open the ring buffer");
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "dns_parser_plain_c", t_parser },
		{ "dns_client_ipv4_query_response", t_client_v4 },
		{ "dns_client_ipv6_vlan", t_client_v6_vlan },
		{ "dns_tcp53", t_tcp },
		{ "dns_served_ingress_query_egress_response", t_served },
		{ "dns_rcodes_negative_ttl_soa_minimum", t_rcodes_negative },
		{ "dns_ttl_zero_and_a_day_flagged", t_ttl_flags },
		{ "dns_edns_buckets", t_edns },
		{ "dns_past_bound_and_malformed_counted", t_past_bound },
		{ "dns_tc_followed_over_tcp", t_tc_followed },
		{ "dns_tc_not_followed_timer", t_tc_not_followed },
		{ "dns_timeout_timer", t_timeout },
		{ "dns_fragmented_and_oversize", t_frag_oversize },
		{ "dns_answer_changed_event", t_answer_changed },
		{ "dns_aaaa_answer_from_ipv4_server", t_aaaa_from_v4_server },
		{ "dns_servers_disagree_event", t_disagree },
		{ "dns_not_dns", t_not_dns },
	};
	unsigned int failed;

	harness_init();
	ncpus = libbpf_num_possible_cpus();
	failed = harness_run(tests, ARRAY_SIZE(tests), reset);
	ring_buffer__free(rb);
	tc_dns_bpf__destroy(skel);
	return failed ? 1 : 0;
}
