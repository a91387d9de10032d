// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the SYN-cookie fast path: the XDP guard's SYN-ACK answers
 * and ACK checks (bpf/xdp_guard.bpf.c) and the tc hand-off
 * (bpf/tc_cookie.bpf.c), through BPF_PROG_TEST_RUN on crafted frames.
 *
 * The SYN-ACK's bytes are checked field by field, its IP and TCP
 * checksums recomputed here (tests/pkt.h), and its cookie recomputed here
 * from the test's key (lib/cookie.h, whose SipHash is checked against a
 * byte-wise one and the paper's vector): the matching ACK must pass XDP,
 * and the tc program must recover from it what the SYN offered. Forged
 * and stale ACKs must be dropped; the kernel's own cookies pass XDP and
 * are left to the kernel. The programs look sockets up in the test's own network
 * namespace (unshare), where the test listens on PORT.
 *
 * The kfunc of the hand-off only works at a real tc ingress, so here the
 * tc program's attempt and the request attributes it computed (its
 * last_attrs) are checked; the integration test (cookies.sh) proves the
 * connections themselves.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include <xdpguard/peers.h>
#include "comp/comp.h"
#include "xdp_guard.skel.h"
#include "tc_cookie.skel.h"
#include "sock_peers.skel.h"
#include "kcookie.skel.h"
#include "../prog.h"
#include "../harness.h"
#include "lib/cookie.h"

#define PORT		8080
#define PORT_CLOSED	8081	/* cookies on, nobody listening */
#define PORT_LATE	8082	/* cookies on, listened on by one case */
#define PORT_TW		8083	/* cookies on, a TIME_WAIT socket */
#define PORT_PEER	8084	/* cookies on, the socket record's cases */
#define PORT_SEEN	8085	/* cookies on, the listeners seen */
#define MSS4		1460
#define MSS6		1440
#define WSCALE		7
#define TTL		64
#define NSEC		1000000000ULL

static const __u16 msstab4[] = XG_MSSTAB4;
static const __u16 msstab6[] = XG_MSSTAB6;

static struct {
	struct xdp_guard_bpf *x;
	struct tc_cookie_bpf *t;
	struct sock_peers_bpf *k;	/* the socket record's keeper */
	struct kcookie_bpf *kc;		/* the kernel's own cookies */
	struct ring_buffer *rb;
	int xprog, tprog, config, ports, ccfg, counters, peers, key;
	struct xg_cookie_key k0;	/* the host's key, as attach makes it */
} E;

static struct xg_event evs[16];
static int nev;

static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

/* ---- setup ---- */

static int on_event(void *ctx, void *data, size_t size)
{
	if (size == sizeof(struct xg_event) &&
	    nev < (int)(sizeof(evs) / sizeof(evs[0])))
		memcpy(&evs[nev++], data, sizeof(evs[0]));
	return 0;
}

static int setup(void)
{
	int err;

	if (unshare(CLONE_NEWNET))
		return fail("unshare(CLONE_NEWNET): %s", strerror(errno));
	if (system("ip link set lo up"))
		return fail("cannot bring lo up in the test's namespace");
	if (prog_listen(AF_INET, PORT, 16) < 0 ||
	    prog_listen(AF_INET6, PORT, 16) < 0)
		return fail("cannot listen on port %d: %s", PORT,
			    strerror(errno));
	E.x = xdp_guard_bpf__open_and_load();
	if (!E.x)
		return fail("cannot load xdp_guard.bpf.o: %s", strerror(errno));
	E.t = tc_cookie_bpf__open();
	if (!E.t)
		return fail("cannot open tc_cookie.bpf.o: %s", strerror(errno));
	/* the tc program shares the XDP program's maps, as when pinned */
	if (bpf_map__reuse_fd(E.t->maps.xg_config,
			      bpf_map__fd(E.x->maps.xg_config)) ||
	    bpf_map__reuse_fd(E.t->maps.xg_counters,
			      bpf_map__fd(E.x->maps.xg_counters)) ||
	    bpf_map__reuse_fd(E.t->maps.xg_cookie_ports,
			      bpf_map__fd(E.x->maps.xg_cookie_ports)) ||
	    bpf_map__reuse_fd(E.t->maps.xg_cookie_cfg,
			      bpf_map__fd(E.x->maps.xg_cookie_cfg)) ||
	    bpf_map__reuse_fd(E.t->maps.xg_cookie_key,
			      bpf_map__fd(E.x->maps.xg_cookie_key)))
		return fail("cannot share the maps with tc_cookie");
	err = tc_cookie_bpf__load(E.t);
	if (err)
		return fail("cannot load tc_cookie.bpf.o: %s", strerror(-err));
	/* the keeper fills the guard's own record (not the host's pins) */
	E.k = sock_peers_bpf__open();
	if (!E.k || bpf_map__reuse_fd(E.k->maps.xg_peers,
				      bpf_map__fd(E.x->maps.xg_peers)))
		return fail("cannot open sock_peers.bpf.o on the guard's "
			    "xg_peers");
	err = sock_peers_bpf__load(E.k);
	if (err)
		return fail("cannot load sock_peers.bpf.o: %s", strerror(-err));
	E.peers = bpf_map__fd(E.x->maps.xg_peers);
	E.xprog = bpf_program__fd(E.x->progs.xdpguard);
	E.tprog = bpf_program__fd(E.t->progs.xg_tc_cookie);
	E.config = bpf_map__fd(E.x->maps.xg_config);
	E.ports = bpf_map__fd(E.x->maps.xg_cookie_ports);
	E.ccfg = bpf_map__fd(E.x->maps.xg_cookie_cfg);
	E.counters = bpf_map__fd(E.x->maps.xg_counters);
	E.key = bpf_map__fd(E.x->maps.xg_cookie_key);
	E.kc = kcookie_bpf__open_and_load();
	if (!E.kc)
		return fail("cannot load kcookie.bpf.o: %s", strerror(errno));
	E.rb = ring_buffer__new(bpf_map__fd(E.x->maps.xg_events), on_event,
				NULL, NULL);
	if (!E.rb)
		return fail("cannot open the ring buffer");
	return 0;
}

static int set_cfg(__u32 flags)
{
	struct xg_config c = { .rate = { 0, 1 }, .event_budget = 0,
			       .flags = XG_F_ENABLED | XG_F_COOKIES | flags };
	__u32 zero = 0;

	if (bpf_map_update_elem(E.config, &zero, &c, BPF_ANY))
		return fail("cannot write xg_config: %s", strerror(errno));
	return 0;
}

static int set_port(__u16 port, __u32 mode, __u32 threshold)
{
	struct xg_cookie_port c = { .mode = mode, .threshold = threshold };

	if (bpf_map_update_elem(E.ports, &port, &c, BPF_ANY))
		return fail("cannot write xg_cookie_ports: %s",
			    strerror(errno));
	return 0;
}

static int get_port(__u16 port, struct xg_cookie_port *c)
{
	if (bpf_map_lookup_elem(E.ports, &port, c))
		return fail("no xg_cookie_ports entry for %u", port);
	return 0;
}

/* Every case starts here: cookies on for PORT and PORT_CLOSED. */
static int reset(void)
{
	struct xg_cookie_cfg cc = {
		.flags = XG_CKF_TS | XG_CKF_SACK | XG_CKF_WSCALE,
		.mss4 = MSS4, .mss6 = MSS6, .wscale = WSCALE, .ttl = TTL,
		.ts_off = 123456,
	};
	__u16 key;
	__u32 zero = 0;

	while (!bpf_map_get_next_key(E.ports, NULL, &key))
		bpf_map_delete_elem(E.ports, &key);
	if (!(E.k0.k[0] | E.k0.k[1]) &&
	    getrandom(&E.k0, sizeof(E.k0), 0) != sizeof(E.k0))
		return fail("getrandom: %s", strerror(errno));
	if (bpf_map_update_elem(E.key, &zero, &E.k0, BPF_ANY))
		return fail("cannot write xg_cookie_key");
	if (bpf_map_update_elem(E.ccfg, &zero, &cc, BPF_ANY))
		return fail("cannot write xg_cookie_cfg");
	TRY(set_cfg(0));
	TRY(set_port(PORT, XG_CK_ON, 0));
	TRY(set_port(PORT_CLOSED, XG_CK_ON, 0));
	ring_buffer__consume(E.rb);
	nev = 0;
	memset(&E.t->bss->last_handoff, 0, sizeof(E.t->bss->last_handoff));
	return 0;
}

/* ---- running ---- */

static int snap(struct xg_counter *c)
{
	if (xg_counters_read(E.counters, c, XG_C_SLOTS))
		return fail("cannot read xg_counters");
	return 0;
}

static const char *vname(int v)
{
	return xg_verdict_name(v);
}

/* every (verdict, reason) slot a frame of this file was counted under */
static bool seen[XG_COUNTERS_MAX];

/*
 * Run @in through the XDP program; check its retval, that it was counted
 * exactly once under (v, r), and return the frame it left in @out (NULL:
 * the frame must come back unchanged).
 */
static int xdp(const struct pkt *in, int want, int v, int r, struct pkt *out)
{
	struct xg_counter a[XG_C_SLOTS], b[XG_C_SLOTS];
	static struct pkt same;
	struct pkt *got = out ? out : &same;
	struct prog_res o;
	int i, slot = -1, n = 0, err;

	TRY(snap(a));
	err = prog_run(E.xprog, in, 1, got, &o);
	if (err)
		return fail("XDP test run failed: %s", strerror(-err));
	TRY(snap(b));
	for (i = 0; i < XG_COUNTERS_MAX; i++)
		if (b[i].packets != a[i].packets) {
			n += b[i].packets - a[i].packets;
			slot = i;
		}
	if (slot >= 0)
		seen[slot] = true;
	if (slot >= 0 && !XG_COUNTED(slot / XG_R_MAX, slot % XG_R_MAX))
		return fail("counted as %s/%s, a pair not in abi.h's "
			    "XG_REASON_VERDICTS", vname(slot / XG_R_MAX),
			    xg_reason_name(slot % XG_R_MAX));
	if (o.retval != want || n != 1 || slot != XG_COUNTER_IDX(v, r))
		return fail("retval %u counted %d times (last %s/%s), want %d "
			    "counted once as %s/%s", (unsigned int)o.retval, n,
			    slot < 0 ? "-" : vname(slot / XG_R_MAX),
			    slot < 0 ? "-" : xg_reason_name(slot % XG_R_MAX),
			    want, vname(v), xg_reason_name(r));
	if (!out && (same.len != in->len || memcmp(same.buf, in->buf, in->len)))
		return fail("the frame was changed");
	return 0;
}

/* Run @in through the tc program; returns the counter slot it moved
 * (XG_C_HANDOFF or XG_C_HANDOFF_FAIL), 0 for none, -1 on error. */
static int tc(const struct pkt *in)
{
	struct xg_counter a[XG_C_SLOTS], b[XG_C_SLOTS];
	struct prog_res o;
	int moved = 0, i, err;

	TRY(snap(a));
	err = prog_run(E.tprog, in, 1, NULL, &o);
	if (err)
		return fail("tc test run failed: %s", strerror(-err));
	TRY(snap(b));
	for (i = 0; i < XG_C_SLOTS; i++) {
		if (b[i].packets == a[i].packets ||
		    i == XG_C_HANDOFF_MSS_MIN)
			continue;
		if (moved)
			return fail("tc moved two counters");
		moved = i;
	}
	if (moved && moved != XG_C_HANDOFF && moved != XG_C_HANDOFF_FAIL)
		return fail("tc moved counter slot %d", moved);
	/* what is not handed off goes on to the next filter (the MSS clamp
	 * runs after this one on the same hook) */
	if ((int)o.retval != (moved == XG_C_HANDOFF ? 0 :
			      moved == XG_C_HANDOFF_FAIL ? 2 : -1))
		return fail("tc retval %d after moving slot %d (want 0 for a "
			    "hand-off, 2 for a refusal, -1 to go on)",
			    (int)o.retval, moved);
	return moved;
}

/* ---- frames ---- */

static __u16 get16(const __u8 *b)
{
	return b[0] << 8 | b[1];
}

static __u32 get32(const __u8 *b)
{
	return (__u32)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static void put32(__u8 *b, __u32 v)
{
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

/* A SYN to PORT; @opt: option bytes of the SYN (tests/pkt.h's template
 * of MSS 1460, SACK, TS 1/0, NOP, WS 7 when 20) and an MSS to put in. */
static void syn(struct pkt *p, const char *src, int opt, __u16 mss,
		__u16 tpid0, __u16 tpid1)
{
	struct spec s = { .src = src, .flags = T_SYN, .tcpopt = opt,
			  .dport = PORT, .tpid = { tpid0, tpid1 } };

	build(&s, p);
	if (opt >= 4 && mss)
		put16(p, p->l4 + 22, mss);
	finish(p);
}

/* The client's ACK for a SYN-ACK: seq 1001, ack cookie + 1 and, with
 * @ts, NOP NOP TS(2, tsecr). */
static void ack(struct pkt *p, const struct pkt *syn_frame, const char *src,
		__u32 cookie, int ts, __u32 tsecr, __u16 tpid0)
{
	struct spec s = { .src = src, .flags = T_ACK, .tcpopt = ts ? 12 : 0,
			  .dport = PORT, .tpid = { tpid0 } };
	struct tcphdr *t;
	__u8 *o;

	(void)syn_frame;
	build(&s, p);
	t = (struct tcphdr *)(p->buf + p->l4);
	t->seq = htonl(1001);
	t->ack_seq = htonl(cookie + 1);
	if (ts) {
		o = (__u8 *)(t + 1);
		memcpy(o, "\x01\x01\x08\x0a", 4);
		put32(o + 4, 2);
		put32(o + 8, tsecr);
	}
	finish(p);
}

/*
 * Our cookie for the connection of client frame @f (a SYN or its ACK:
 * addresses and ports as sent by the client) with client ISN @isn, made
 * in time unit @unit with MSS index @idx, from the test's key.
 */
static __u32 cookie_for(const struct pkt *f, __u32 isn, __u32 unit,
			__u32 idx)
{
	__u32 sa[4] = {}, da[4] = {}, ports;
	int fam = f->buf[f->l3] >> 4;

	if (fam == 4) {
		memcpy(sa, f->buf + f->l3 + 12, 4);
		memcpy(da, f->buf + f->l3 + 16, 4);
	} else {
		memcpy(sa, f->buf + f->l3 + 8, 16);
		memcpy(da, f->buf + f->l3 + 24, 16);
	}
	memcpy(&ports, f->buf + f->l4, 4);
	return xg_cookie_make(E.k0.k, fam, sa, da, ports, isn, unit, idx);
}

/* the time unit of the guard's clock now, read twice equal (a unit is
 * 69 s: the second read differs only across a boundary) */
static __u32 unit_now(void)
{
	__u32 u = 0, v = 1;
	int i;

	for (i = 0; i < 3 && u != v; i++) {
		u = xg_cookie_unit(coarse_ns());
		usleep(20000);	/* a tick or more: the guard's clock too */
		v = xg_cookie_unit(coarse_ns());
	}
	return v;
}

/* 0 when the one's complement sum over @len bytes (+@pseudo) folds to 0 */
static int csum_ok(const __u8 *b, size_t len, __u32 pseudo)
{
	return csum_fold(csum_add(pseudo, b, len)) == 0;
}

struct want {
	int family;
	int l2;			/* bytes of Ethernet + tags */
	__u16 mss;		/* announced */
	int ts, ws, sack;	/* options expected */
	__u16 client_ws;
};

/* the answer to a plain SYN offering every option (syn(..., 20, ...)) */
#define WANT_ALL(fam)	{ .family = (fam), .l2 = 14,			\
			  .mss = (fam) == 4 ? MSS4 : MSS6, .ts = 1,	\
			  .ws = 1, .sack = 1, .client_ws = 7 }

/*
 * Check every byte of the SYN-ACK @o answering @in; return the cookie
 * and our TS value.
 */
static int check_synack(const struct pkt *in, const struct pkt *o,
			const struct want *w, __u32 *cookie, __u32 *tsval)
{
	int l3 = w->l2, l3len = w->family == 4 ? 20 : 40, nopt = 1, l4;
	const __u8 *ib = in->buf, *ob = o->buf, *t, *opt;
	__u32 pseudo = 0, tlen;
	__u8 want_opt[20];

	if (w->ts)
		nopt = w->ws ? 5 : 4;
	tlen = 20 + 4 * nopt;
	l4 = l3 + l3len;
	ASSERT(o->len == (size_t)(l4 + tlen), "SYN-ACK of %zu bytes, want %u",
	       o->len, l4 + tlen);
	/* Ethernet: MACs swapped, tags and type kept */
	ASSERT(!memcmp(ob, ib + 6, 6) && !memcmp(ob + 6, ib, 6),
	       "MAC addresses not swapped");
	ASSERT(!memcmp(ob + 12, ib + 12, l3 - 12),
	       "VLAN tags or EtherType changed");
	if (w->family == 4) {
		const struct iphdr *ip = (const void *)(ob + l3);
		const struct iphdr *iip = (const void *)(ib + in->l3);

		ASSERT(ip->version == 4 && ip->ihl == 5, "IPv4 version/ihl "
		       "%u/%u", ip->version, ip->ihl);
		ASSERT(ntohs(ip->tot_len) == 20 + tlen, "tot_len %u, want %u",
		       ntohs(ip->tot_len), 20 + tlen);
		ASSERT(ip->ttl == TTL && ip->protocol == IPPROTO_TCP &&
		       ntohs(ip->frag_off) == 0x4000 && !ip->tos,
		       "ttl %u proto %u frag_off %#x tos %u", ip->ttl,
		       ip->protocol, ntohs(ip->frag_off), ip->tos);
		ASSERT(ip->saddr == iip->daddr && ip->daddr == iip->saddr,
		       "IPv4 addresses not swapped");
		ASSERT(csum_ok(ob + l3, 20, 0), "bad IPv4 header checksum");
		pseudo = csum_add(0, &ip->saddr, 8);
	} else {
		const struct ipv6hdr *ip6 = (const void *)(ob + l3);
		const struct ipv6hdr *iip6 = (const void *)(ib + in->l3);

		ASSERT(get32(ob + l3) == 0x60000000, "IPv6 first word %#x",
		       get32(ob + l3));
		ASSERT(ntohs(ip6->payload_len) == tlen, "payload_len %u, want "
		       "%u", ntohs(ip6->payload_len), tlen);
		ASSERT(ip6->nexthdr == IPPROTO_TCP && ip6->hop_limit == TTL,
		       "nexthdr %u hop_limit %u", ip6->nexthdr,
		       ip6->hop_limit);
		ASSERT(!memcmp(&ip6->saddr, &iip6->daddr, 16) &&
		       !memcmp(&ip6->daddr, &iip6->saddr, 16),
		       "IPv6 addresses not swapped");
		pseudo = csum_add(0, &ip6->saddr, 32);
	}
	pseudo += IPPROTO_TCP + tlen;
	t = ob + l4;
	ASSERT(get16(t) == get16(ib + in->l4 + 2) &&
	       get16(t + 2) == get16(ib + in->l4), "ports not swapped: "
	       "%u > %u", get16(t), get16(t + 2));
	ASSERT(get32(t + 8) == get32(ib + in->l4 + 4) + 1, "ack %u, want "
	       "seq + 1 = %u", get32(t + 8), get32(ib + in->l4 + 4) + 1);
	ASSERT(t[12] >> 4 == tlen / 4, "doff %u, want %u", t[12] >> 4,
	       tlen / 4);
	ASSERT(t[13] == (T_SYN | T_ACK), "flags %#x, want SYN|ACK", t[13]);
	ASSERT(get16(t + 14) == xg_synack_window(w->mss, w->ts),
	       "window %u, want %u", get16(t + 14),
	       xg_synack_window(w->mss, w->ts));
	ASSERT(get16(t + 18) == 0, "urgent pointer set");
	ASSERT(csum_ok(t, tlen, pseudo), "bad TCP checksum");
	*cookie = get32(t + 4);

	/* options: MSS, [SACK-perm|NOP NOP, TS], [NOP, WS] */
	opt = t + 20;
	memset(want_opt, 0, sizeof(want_opt));
	memcpy(want_opt, "\x02\x04", 2);
	want_opt[2] = w->mss >> 8;
	want_opt[3] = w->mss & 0xff;
	*tsval = 0;
	if (w->ts) {
		memcpy(want_opt + 4, w->sack ? "\x04\x02\x08\x0a" :
		       "\x01\x01\x08\x0a", 4);
		*tsval = get32(opt + 8);
		put32(want_opt + 8, *tsval);
		put32(want_opt + 12, 1);	/* the SYN's TS value */
		ASSERT((*tsval & XG_TS_WSCALE_MASK) ==
		       (w->ws ? w->client_ws : XG_TS_WSCALE_MASK) &&
		       !!(*tsval & XG_TS_SACK) == !!w->sack &&
		       !(*tsval & XG_TS_ECN),
		       "TS value %#x does not carry wscale %d sack %d",
		       *tsval, w->ws ? w->client_ws : 15, w->sack);
		ASSERT(xg_ts_ours(*tsval, *cookie), "TS value %#x lacks the "
		       "tag of cookie %#x", *tsval, *cookie);
		if (w->ws)
			memcpy(want_opt + 16, "\x01\x03\x03\x07", 4);
	}
	ASSERT(!memcmp(opt, want_opt, tlen - 20),
	       "options %02x %02x %02x %02x %02x %02x %02x %02x ... differ",
	       opt[0], opt[1], opt[2], opt[3], opt[4], opt[5], opt[6],
	       opt[7]);
	return 0;
}

/* SYN @s answered from XDP, its SYN-ACK checked: its cookie and TS value */
static int answered(const struct pkt *s, const struct want *w,
		    __u32 *cookie, __u32 *tsval)
{
	struct pkt o;

	TRY(xdp(s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o));
	return check_synack(s, &o, w, cookie, tsval);
}

/* SYN -> SYN-ACK, checked; then its ACK passes XDP and tc takes it. */
static int handshake(const char *src, int family, __u16 tpid, int opt,
		     __u16 mss, const struct want *w, struct pkt *ackp,
		     __u32 *cookie_out)
{
	struct pkt s;
	__u32 cookie, tsval, unit;
	int moved;

	syn(&s, src, opt, mss, tpid, 0);
	TRY(answered(&s, w, &cookie, &tsval));
	unit = unit_now();
	ASSERT(cookie == cookie_for(&s, 1000, unit, cookie & 3) ||
	       cookie == cookie_for(&s, 1000, unit - 1, cookie & 3),
	       "cookie %#x is not ours (the key's, unit %u, index %u)",
	       cookie, unit, cookie & 3);
	ack(ackp, &s, src, cookie, w->ts, tsval, tpid);
	TRY(xdp(ackp, XDP_PASS, XG_V_PASS, XG_R_COOKIE_ACK, NULL));
	moved = tc(ackp);
	TRY(moved < 0);
	ASSERT(moved, "tc did not try to hand the valid ACK off");
	ASSERT(E.t->bss->last_handoff.mss == (family == 4 ? msstab4 :
					       msstab6)[cookie & 3],
	       "hand-off mss %u, the cookie's index %u",
	       E.t->bss->last_handoff.mss, cookie & 3);
	if (cookie_out)
		*cookie_out = cookie;
	return 0;
}

/* ---- cases ---- */

static int t_synack_v4(void)
{
	struct want w = WANT_ALL(4);
	struct xg_handoff *a = &E.t->bss->last_handoff;
	struct pkt ap;
	__u32 cookie;

	TRY(handshake("198.18.0.1", 4, 0, 20, 0, &w, &ap, &cookie));
	ASSERT(a->mss == 1460, "hand-off mss %u, want 1460", a->mss);
	ASSERT(a->tstamp_ok && a->rcv_tsval == 2 &&
	       xg_ts_ours(a->rcv_tsecr, cookie),
	       "hand-off timestamps ok %u tsval %u tsecr %#x", a->tstamp_ok,
	       a->rcv_tsval, a->rcv_tsecr);
	ASSERT(a->wscale_ok && a->snd_wscale == 7 && a->rcv_wscale == WSCALE,
	       "hand-off wscale ok %u snd %u rcv %u", a->wscale_ok,
	       a->snd_wscale, a->rcv_wscale);
	ASSERT(a->sack_ok && !a->ecn_ok && !a->usec_ts_ok,
	       "hand-off sack %u ecn %u usec %u", a->sack_ok, a->ecn_ok,
	       a->usec_ts_ok);
	return 0;
}

static int t_synack_v4_mss_only(void)
{
	struct want w = { .family = 4, .l2 = 14, .mss = MSS4 };
	struct xg_handoff *a = &E.t->bss->last_handoff;
	struct pkt ap;

	TRY(handshake("198.18.0.2", 4, 0, 4, 1300, &w, &ap, NULL));
	ASSERT(a->mss == 1300 && !a->tstamp_ok && !a->wscale_ok &&
	       !a->sack_ok, "hand-off mss %u ts %u ws %u sack %u, want "
	       "1300 and no options", a->mss, a->tstamp_ok, a->wscale_ok,
	       a->sack_ok);
	return 0;
}

/* The cookie carries the MSS class of the SYN; tc recovers it. */
static int t_mss_classes(void)
{
	static const struct { __u16 syn, want; } v4[] = {
		{ 536, 536 }, { 1000, 536 }, { 1300, 1300 }, { 1439, 1300 },
		{ 1440, 1440 }, { 1460, 1460 }, { 9000, 1460 },
	}, v6[] = {
		{ 1220, 1220 }, { 1420, 1420 }, { 1440, 1440 },
		{ 8940, 8940 }, { 65000, 8940 },
	};
	struct want w4 = WANT_ALL(4), w6 = WANT_ALL(6);
	struct pkt ap;
	unsigned int i;

	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		TRY(handshake("198.18.0.3", 4, 0, 20, v4[i].syn, &w4, &ap,
			      NULL));
		ASSERT(E.t->bss->last_handoff.mss == v4[i].want,
		       "IPv4 SYN MSS %u: hand-off mss %u, want %u", v4[i].syn,
		       E.t->bss->last_handoff.mss, v4[i].want);
	}
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		TRY(handshake("2001:db8::3", 6, 0, 20, v6[i].syn, &w6, &ap,
			      NULL));
		ASSERT(E.t->bss->last_handoff.mss == v6[i].want,
		       "IPv6 SYN MSS %u: hand-off mss %u, want %u", v6[i].syn,
		       E.t->bss->last_handoff.mss, v6[i].want);
	}
	ASSERT(msstab4[3] == 1460 && msstab6[0] == 1220, "msstab");
	return 0;
}

static int t_synack_v6(void)
{
	struct want w = WANT_ALL(6);
	struct pkt ap;

	TRY(handshake("2001:db8::1", 6, 0, 20, 1440, &w, &ap, NULL));
	ASSERT(E.t->bss->last_handoff.mss == 1440, "hand-off mss %u",
	       E.t->bss->last_handoff.mss);
	return 0;
}

static int t_vlan(void)
{
	struct want w = { .family = 4, .l2 = 18, .mss = MSS4, .ts = 1,
			  .ws = 1, .sack = 1, .client_ws = 7 };
	struct pkt ap, s;

	TRY(handshake("198.18.0.4", 4, ETH_P_8021Q, 20, 0, &w, &ap, NULL));
	w.family = 6;
	w.mss = MSS6;
	TRY(handshake("2001:db8::4", 6, ETH_P_8021Q, 20, 0, &w, &ap, NULL));
	/* two tags: the kernel strips only one before tc, so no answer */
	syn(&s, "198.18.0.4", 20, 0, ETH_P_8021AD, ETH_P_8021Q);
	return xdp(&s, XDP_PASS, XG_V_PASS, XG_R_COOKIE_SKIP, NULL);
}

/* IPv4 options and IPv6 extension headers are not in the answer */
static int t_headers_dropped(void)
{
	struct want w = WANT_ALL(4);
	struct spec s4 = { .src = "198.18.0.5", .flags = T_SYN, .tcpopt = 20,
			   .dport = PORT, .ipopt = 12 };
	struct spec s6 = { .src = "2001:db8::5", .flags = T_SYN,
			   .tcpopt = 20, .dport = PORT, .n_ext = 2,
			   .ext = { EXT_HOP, EXT_DST } };
	struct pkt s;
	__u32 cookie, tsval;

	build(&s4, &s);
	TRY(answered(&s, &w, &cookie, &tsval));
	w.family = 6;
	w.mss = MSS6;
	build(&s6, &s);
	return answered(&s, &w, &cookie, &tsval);
}

/* a SYN with data (TCP Fast Open style): checksummed whole, answered
 * without the data */
static int t_syn_with_data(void)
{
	struct want w = WANT_ALL(4);
	struct spec sp = { .src = "198.18.0.6", .flags = T_SYN, .tcpopt = 20,
			   .dport = PORT, .payload = 1001, .fill = 0xa5 };
	struct pkt s;
	__u32 cookie, tsval;

	build(&sp, &s);
	TRY(answered(&s, &w, &cookie, &tsval));
	build(&sp, &s);
	s.buf[s.len - 1] ^= 1;		/* the last (odd) byte of the data */
	return xdp(&s, XDP_DROP, XG_V_DROP, XG_R_BAD_CSUM, NULL);
}

static int t_bad_checksums(void)
{
	struct pkt s;

	syn(&s, "198.18.0.7", 20, 0, 0, 0);
	s.buf[s.l4 + 16] ^= 0x10;	/* TCP checksum */
	TRY(xdp(&s, XDP_DROP, XG_V_DROP, XG_R_BAD_CSUM, NULL));
	syn(&s, "198.18.0.7", 20, 0, 0, 0);
	s.buf[s.l3 + 10] ^= 0x01;	/* IPv4 header checksum */
	TRY(xdp(&s, XDP_DROP, XG_V_DROP, XG_R_BAD_CSUM, NULL));
	syn(&s, "2001:db8::7", 20, 0, 0, 0);
	s.buf[s.l4 + 17] ^= 0x80;
	TRY(xdp(&s, XDP_DROP, XG_V_DROP, XG_R_BAD_CSUM, NULL));
	/* the source address is covered too (pseudo header) */
	syn(&s, "198.18.0.7", 20, 0, 0, 0);
	s.buf[s.l3 + 15] ^= 0x01;
	s.buf[s.l3 + 10] ^= 0x01;	/* IP header sum fixed, TCP's not */
	return xdp(&s, XDP_DROP, XG_V_DROP, XG_R_BAD_CSUM, NULL);
}

static int t_no_listener(void)
{
	struct pkt s;
	struct spec sp = { .src = "198.18.0.8", .flags = T_SYN, .tcpopt = 20,
			   .dport = PORT_CLOSED };

	build(&sp, &s);
	TRY(xdp(&s, XDP_PASS, XG_V_PASS, XG_R_NO_LISTENER, NULL));
	/* a port without a cookie setting is the budget's, as before */
	sp.dport = 9;
	build(&sp, &s);
	return xdp(&s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL);
}

/* forged, replayed elsewhere, stale: dropped, and tc hands nothing off */
static int t_bad_acks(void)
{
	struct want w = WANT_ALL(4);
	struct pkt s, a;
	__u32 cookie, tsval, unit;
	int i;

	syn(&s, "198.18.0.9", 20, 0, 0, 0);
	TRY(answered(&s, &w, &cookie, &tsval));
	/* forged: random acknowledgement numbers */
	srandom(getpid());
	for (i = 0; i < 50; i++) {
		ack(&a, &s, "198.18.0.9", random(), 1, tsval, 0);
		TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL));
		ASSERT(tc(&a) == 0, "tc handed off a forged ACK");
	}
	/* the right cookie from another source address */
	ack(&a, &s, "198.18.0.10", cookie, 1, tsval, 0);
	TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL));
	ASSERT(tc(&a) == 0, "tc handed off a cookie of another source");
	/* ... with another ISN */
	ack(&a, &s, "198.18.0.9", cookie, 1, tsval, 0);
	((struct tcphdr *)(a.buf + a.l4))->seq = htonl(5001);
	finish(&a);
	TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL));
	ASSERT(tc(&a) == 0, "tc handed off a cookie of another ISN");
	/* stale: made two units back (a unit and the one after are taken,
	 * and one ahead for a clock a tick behind) */
	unit = unit_now();
	for (i = -2; i <= 2; i++) {
		__u32 c = cookie_for(&s, 1000, unit + i, cookie & 3);
		int moved;

		ack(&a, &s, "198.18.0.9", c, 1,
		    xg_ts_encode(0, c, 1, 7, 1), 0);
		if (i == -2 || i == 2) {
			TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD,
				NULL));
			ASSERT(tc(&a) == 0, "tc handed off a cookie of unit "
			       "now %+d", i);
			continue;
		}
		TRY(xdp(&a, XDP_PASS, XG_V_PASS, XG_R_COOKIE_ACK, NULL));
		moved = tc(&a);
		TRY(moved < 0);
		ASSERT(moved, "tc refused a cookie of unit now %+d", i);
	}
	/* the genuine one still passes */
	ack(&a, &s, "198.18.0.9", cookie, 1, tsval, 0);
	return xdp(&a, XDP_PASS, XG_V_PASS, XG_R_COOKIE_ACK, NULL);
}

static int t_bad_acks_v6(void)
{
	struct want w = WANT_ALL(6);
	struct pkt s, a;
	__u32 cookie, tsval;

	syn(&s, "2001:db8::9", 20, 0, 0, 0);
	TRY(answered(&s, &w, &cookie, &tsval));
	ack(&a, &s, "2001:db8::9", cookie ^ 0x100, 1, tsval, 0);
	TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL));
	ASSERT(tc(&a) == 0, "tc handed off a forged IPv6 ACK");
	ack(&a, &s, "2001:db8::9",
	    cookie_for(&s, 1000, unit_now() - 2, cookie & 3), 1, tsval, 0);
	return xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL);
}

/* A valid cookie whose TS echo lacks our tag is the kernel's own. */
static int t_kernel_cookie_left_alone(void)
{
	struct want w = WANT_ALL(4);
	struct pkt s, a;
	__u32 cookie, tsval;

	syn(&s, "198.18.0.11", 20, 0, 0, 0);
	TRY(answered(&s, &w, &cookie, &tsval));
	ack(&a, &s, "198.18.0.11", cookie, 1, tsval ^ (1U << XG_TS_TAG_SHIFT),
	    0);
	TRY(xdp(&a, XDP_PASS, XG_V_PASS, XG_R_COOKIE_ACK, NULL));
	ASSERT(tc(&a) == 0, "tc took a cookie without our TS tag");
	return 0;
}

/*
 * The kernel's own cookie (a SYN that reached the kernel: an allowed
 * source's, or one before cookies switched on) passes XDP, its check
 * being the kernel's, and tc leaves it to the kernel; one bit off, it is
 * dropped.
 */
static int t_kernel_cookie_passes(void)
{
	static const char *const src[] = { "198.18.0.12", "2001:db8::12" };
	struct prog_res o;
	struct pkt s, a;
	__u32 kc;
	int i, err;

	for (i = 0; i < 2; i++) {
		syn(&s, src[i], 0, 0, 0, 0);
		err = prog_run(bpf_program__fd(E.kc->progs.kernel_cookie), &s,
			       1, NULL, &o);
		ASSERT(!err && E.kc->data->kcookie >= 0, "the kernel made no "
		       "cookie for %s: %s %lld", src[i], strerror(-err),
		       (long long)E.kc->data->kcookie);
		kc = (__u32)E.kc->data->kcookie;
		ack(&a, &s, src[i], kc, 0, 0, 0);
		TRY(xdp(&a, XDP_PASS, XG_V_PASS, XG_R_COOKIE_ACK, NULL));
		ASSERT(tc(&a) == 0, "tc took the kernel's cookie from %s",
		       src[i]);
		ack(&a, &s, src[i], kc ^ 0x10000, 0, 0, 0);
		TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL));
	}
	return 0;
}

/* Without the host's key (all zero) no SYN is answered and no ACK of
 * ours is taken: a key of zeros is one anybody could forge with. */
static int t_no_key(void)
{
	struct xg_cookie_key none = {};
	struct want w = WANT_ALL(4);
	struct pkt s, a;
	__u32 cookie, tsval, zero = 0;

	syn(&s, "198.18.0.13", 20, 0, 0, 0);
	TRY(answered(&s, &w, &cookie, &tsval));
	ack(&a, &s, "198.18.0.13", cookie, 1, tsval, 0);
	if (bpf_map_update_elem(E.key, &zero, &none, BPF_ANY))
		return fail("cannot clear xg_cookie_key");
	TRY(xdp(&s, XDP_PASS, XG_V_PASS, XG_R_COOKIE_SKIP, NULL));
	TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL));
	ASSERT(tc(&a) == 0, "tc took a cookie without a key");
	/* and under another key, the cookie is not ours either */
	none.k[0] = E.k0.k[0] ^ 1;
	none.k[1] = E.k0.k[1];
	if (bpf_map_update_elem(E.key, &zero, &none, BPF_ANY))
		return fail("cannot write xg_cookie_key");
	TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL));
	ASSERT(tc(&a) == 0, "tc took a cookie of another key");
	return 0;
}

/* ACKs of a connection the kernel knows pass whatever they carry */
static int t_established_ack(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	struct sockaddr_in local;
	socklen_t sl = sizeof(local);
	struct spec sp = { .src = "127.0.0.1", .flags = T_ACK,
			   .dport = PORT };
	struct pkt a;
	struct iphdr *ip;
	int fd, ret;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&local, &sl)) {
		if (fd >= 0)
			close(fd);
		return fail("cannot connect to 127.0.0.1:%d: %s", PORT,
			    strerror(errno));
	}
	build(&sp, &a);
	ip = (struct iphdr *)(a.buf + a.l3);
	ip->daddr = sa.sin_addr.s_addr;
	((struct tcphdr *)(a.buf + a.l4))->source = local.sin_port;
	finish(&a);
	ret = xdp(&a, XDP_PASS, XG_V_PASS, XG_R_TCP_NOT_SYN, NULL);
	close(fd);
	return ret;
}

/*
 * The listener is checked on every SYN, not remembered: a listener that
 * closes stops the answers at once (its port's next SYN goes to the
 * kernel, which resets it), and one that opens starts them at once. A
 * cached "this port listens" would fail here, whatever its expiry.
 */
static int t_listener_closed(void)
{
	struct spec sp = { .src = "198.18.0.16", .flags = T_SYN, .tcpopt = 20,
			   .dport = PORT_LATE };
	struct pkt s, o;
	int fd, ret;

	TRY(set_port(PORT_LATE, XG_CK_ON, 0));
	build(&sp, &s);
	TRY(xdp(&s, XDP_PASS, XG_V_PASS, XG_R_NO_LISTENER, NULL));
	fd = prog_listen(AF_INET, PORT_LATE, 16);
	if (fd < 0)
		return fail("cannot listen on port %d: %s", PORT_LATE,
			    strerror(errno));
	ret = xdp(&s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o);
	close(fd);
	TRY(ret);
	return xdp(&s, XDP_PASS, XG_V_PASS, XG_R_NO_LISTENER, NULL);
}

/* A SYN from @src:@sport to @dst:@dport (IPv4, network-order ports). */
static void syn4(struct pkt *p, const char *src, __u16 sport,
		 const char *dst, __u16 dport)
{
	struct spec sp = { .src = src, .flags = T_SYN, .tcpopt = 20,
			   .dport = dport };
	struct iphdr *ip;

	build(&sp, p);
	ip = (struct iphdr *)(p->buf + p->l3);
	inet_pton(AF_INET, dst, &ip->daddr);
	((struct tcphdr *)(p->buf + p->l4))->source = sport;
	finish(p);
}

/* A client socket bound to @src, connected to 127.0.0.1:@port, and the
 * listener's child; -1 (said) on failure. */
static int connect_from(const char *src, __u16 port, int lfd, int *child,
			struct sockaddr_in *local)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in b = { .sin_family = AF_INET };
	socklen_t sl = sizeof(*local);
	int fd;

	inet_pton(AF_INET, src, &b.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&b, sizeof(b)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)local, &sl) ||
	    (*child = accept(lfd, NULL, NULL)) < 0) {
		fail("cannot connect from %s to 127.0.0.1:%u: %s", src, port,
		     strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Close a connection from the server's side first (*@child), then the
 * client's (*@fd, set to -1 both), so that the server's socket ends in
 * TIME_WAIT; 0 once ss shows it (for port @port, peer port @cport, host
 * order), or -1 (said) after 1 s.
 */
static int close_to_timewait(int *child, int *fd, __u16 port, __u16 cport)
{
	char cmd[160], c;
	int i;

	close(*child);
	*child = -1;
	if (read(*fd, &c, 1) != 0)
		return fail("no FIN from the closed server socket");
	close(*fd);
	*fd = -1;
	snprintf(cmd, sizeof(cmd), "ss -Htan state time-wait "
		 "'( sport = :%u and dport = :%u )' | grep -q .", port, cport);
	for (i = 0; i < 50 && system(cmd); i++)
		usleep(20000);
	if (i == 50)
		return fail("no TIME_WAIT socket for port %u after 1 s", port);
	return 0;
}

/*
 * A SYN whose 4-tuple the kernel already has a socket for is the
 * kernel's: for an established connection it sends a challenge ACK; for
 * a TIME_WAIT one it may start a new connection there (a client reusing
 * its port), and the ACK of a cookie SYN-ACK would meet the TIME_WAIT
 * socket and never complete. So the per-SYN socket lookup (the
 * established table, before the listener) stays.
 */
static int t_syn_live_tuple(void)
{
	struct sockaddr_in local;
	int lfd, fd, child = -1, ret = -1;
	struct pkt s;

	TRY(set_port(PORT_TW, XG_CK_ON, 0));
	lfd = prog_listen(AF_INET, PORT_TW, 16);
	if (lfd < 0)
		return fail("cannot listen on port %d: %s", PORT_TW,
			    strerror(errno));
	fd = connect_from("127.0.0.1", PORT_TW, lfd, &child, &local);
	if (fd < 0)
		goto out;
	/* established: the server's socket answers it */
	syn4(&s, "127.0.0.1", local.sin_port, "127.0.0.1", PORT_TW);
	if (xdp(&s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL))
		goto out;
	/* the server closes first, so its socket ends in TIME_WAIT */
	if (close_to_timewait(&child, &fd, PORT_TW, ntohs(local.sin_port)))
		goto out;
	ret = xdp(&s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL);
	/* another source port of the same client: the listener's */
	if (!ret) {
		struct pkt o;

		syn4(&s, "127.0.0.1", htons(ntohs(local.sin_port) ^ 1),
		     "127.0.0.1", PORT_TW);
		ret = xdp(&s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o);
	}
out:
	if (child >= 0)
		close(child);
	if (fd >= 0)
		close(fd);
	close(lfd);
	return ret;
}

/* ---- the host's socket record (XG_F_PEERS, docs/peers.md) ---- */

static __u32 cell4(const char *a)
{
	__u32 addr[4] = {};

	inet_pton(AF_INET, a, &addr[0]);
	return xg_peer_cell(4, addr);
}

static int peer_get(const char *a, struct xg_peer *c)
{
	__u32 i = cell4(a);

	if (bpf_map_lookup_elem(E.peers, &i, c))
		return fail("cannot read xg_peers[%u]", i);
	return 0;
}

static int peer_zero(const char *a)
{
	struct xg_peer z = {};
	__u32 i = cell4(a);

	if (bpf_map_update_elem(E.peers, &i, &z, BPF_ANY))
		return fail("cannot clear xg_peers[%u]", i);
	return 0;
}

/* the keeper's iterator over this namespace's TCP sockets, once */
static int peer_seed(void)
{
	struct bpf_link *l;
	char buf[64];
	int fd, i;
	ssize_t n = 1;

	l = bpf_program__attach_iter(E.k->progs.xg_peer_seed, NULL);
	if (libbpf_get_error(l))
		return fail("cannot make the iter/tcp link");
	fd = bpf_iter_create(bpf_link__fd(l));
	for (i = 0; fd >= 0 && n > 0 && i < 1000; i++)
		n = read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l);
	if (fd < 0 || n)
		return fail("the iterator did not run to its end");
	return 0;
}

/*
 * With the record read and nothing in it, a SYN is looked up by its
 * listener alone: a SYN for a 4-tuple the kernel has an established
 * socket for, one the record was never told of, is answered (what the
 * record exists to prevent; the case proves the probe is skipped). Once
 * the keeper's iterator has recorded the namespace's sockets, the same
 * SYN is the kernel's again.
 */
static int t_peers_skip(void)
{
	const char *cli = "127.0.0.5";
	struct sockaddr_in local;
	struct xg_peer c;
	int lfd, fd, child = -1, ret = -1;
	struct pkt s, o;

	if (cell4(cli) == cell4("127.0.0.1"))
		return fail("%s and 127.0.0.1 share a cell: pick another "
			    "address", cli);
	TRY(set_cfg(XG_F_PEERS));
	TRY(set_port(PORT_PEER, XG_CK_ON, 0));
	TRY(peer_zero(cli));
	lfd = prog_listen(AF_INET, PORT_PEER, 16);
	if (lfd < 0)
		return fail("cannot listen on %d: %s", PORT_PEER,
			    strerror(errno));
	fd = connect_from(cli, PORT_PEER, lfd, &child, &local);
	if (fd < 0)
		goto out;
	syn4(&s, cli, local.sin_port, "127.0.0.1", PORT_PEER);
	if (xdp(&s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o)) {
		context("unrecorded established tuple: ");
		goto out;
	}
	if (peer_seed() || peer_get(cli, &c))
		goto out;
	if (c.live != 1) {
		fail("after the iterator, %s's cell counts %u sockets, want 1 "
		     "(the server's)", cli, c.live);
		goto out;
	}
	if (xdp(&s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL)) {
		context("recorded established tuple: ");
		goto out;
	}
	/* twice is once: the socket is marked */
	if (peer_seed() || peer_get(cli, &c))
		goto out;
	if (c.live != 1) {
		fail("a second iterator run counts %u sockets, want 1",
		     c.live);
		goto out;
	}
	ret = 0;
out:
	if (child >= 0)
		close(child);
	if (fd >= 0)
		close(fd);
	close(lfd);
	return ret;
}

/*
 * @a's cell counts no socket and is held for about @units (a socket with
 * no end event, @what), and SYN @s, of that socket's 4-tuple, passes.
 */
static int held(const char *what, const char *a, __u32 units,
		const struct pkt *s)
{
	struct xg_peer c;
	__u32 now;

	TRY(peer_get(a, &c));
	now = coarse_ns() >> XG_PEER_SHIFT;
	if (c.live || (__s32)(c.until - now) < (__s32)units - 2)
		return fail("%s: %s's cell counts %u and holds until %u, want "
			    "0 and about %u + %u", what, a, c.live, c.until,
			    now, units);
	if (xdp(s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL))
		return context("%s: ", what);
	return 0;
}

/*
 * The keeper attached: a connection is counted when it is made and
 * uncounted when it closes, and its TIME_WAIT socket is held; a request
 * socket (the kernel's SYN-ACK in flight, its peer unreachable) is held
 * by the sockops program. Each makes the SYN of its 4-tuple the kernel's;
 * a SYN of another port of the same peer is still answered.
 */
static int t_peers_follow(void)
{
	const char *cli = "127.0.0.6", *far = "198.18.255.77";
	struct bpf_link *ls = NULL, *lr = NULL;
	struct sockaddr_in local, to = { .sin_family = AF_INET };
	int lfd, fd = -1, child = -1, raw = -1, cg, i, ret = -1;
	struct xg_peer c;
	char cmd[160];
	struct pkt s, o;

	if (cell4(cli) == cell4("127.0.0.1") || cell4(far) == cell4(cli) ||
	    cell4(far) == cell4("127.0.0.1"))
		return fail("the case's addresses share a cell");
	TRY(set_cfg(XG_F_PEERS));
	TRY(set_port(PORT_PEER, XG_CK_ON, 0));
	TRY(peer_zero(cli));
	TRY(peer_zero(far));
	lfd = prog_listen(AF_INET, PORT_PEER, 16);
	if (lfd < 0)
		return fail("cannot listen on %d: %s", PORT_PEER,
			    strerror(errno));
	ls = bpf_program__attach(E.k->progs.xg_peer_state);
	/* where attach puts it: the root of the cgroup v2 hierarchy */
	cg = xg_cgroup2_root(cmd, sizeof(cmd)) ? -1 :
	     open(cmd, O_RDONLY | O_DIRECTORY);
	lr = bpf_program__attach_cgroup(E.k->progs.xg_peer_req, cg);
	if (cg >= 0)
		close(cg);
	if (libbpf_get_error(ls) || libbpf_get_error(lr)) {
		fail("cannot attach the keeper (tracepoint %ld, sockops %ld)",
		     libbpf_get_error(ls), libbpf_get_error(lr));
		goto out;
	}
	fd = connect_from(cli, PORT_PEER, lfd, &child, &local);
	if (fd < 0 || peer_get(cli, &c))
		goto out;
	if (c.live != 1) {
		fail("established: %s's cell counts %u, want 1", cli, c.live);
		goto out;
	}
	syn4(&s, cli, local.sin_port, "127.0.0.1", PORT_PEER);
	if (xdp(&s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL)) {
		context("established: ");
		goto out;
	}
	syn4(&o, cli, htons(ntohs(local.sin_port) ^ 1), "127.0.0.1",
	     PORT_PEER);
	if (xdp(&o, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o)) {
		context("another port of a recorded peer: ");
		goto out;
	}
	/* the server closes first: its socket ends in TIME_WAIT */
	if (close_to_timewait(&child, &fd, PORT_PEER, ntohs(local.sin_port)) ||
	    held("TIME_WAIT", cli, XG_PEER_TW, &s))
		goto out;

	/* a request socket: a SYN from an on-link peer that never answers */
	if (system("ip link add xgpeer0 type veth peer name xgpeer1 && "
		   "ip addr add 198.18.255.1/24 dev xgpeer0 && "
		   "ip link set xgpeer0 up")) {
		fail("cannot make the veth pair");
		goto out;
	}
	syn4(&s, far, htons(40001), "198.18.255.1", PORT_PEER);
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	inet_pton(AF_INET, "198.18.255.1", &to.sin_addr);
	if (raw < 0 || sendto(raw, s.buf + s.l3, s.len - s.l3, 0,
			      (struct sockaddr *)&to, sizeof(to)) < 0) {
		fail("cannot send the SYN: %s", strerror(errno));
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "ss -Htan state syn-recv '( sport = :%d "
		 "and dst %s )' | grep -q .", PORT_PEER, far);
	for (i = 0; i < 50 && system(cmd); i++)
		usleep(20000);
	if (i == 50) {
		fail("no request socket for %s after 1 s", far);
		goto out;
	}
	if (held("request socket", far, XG_PEER_REQ, &s))
		goto out;
	ret = 0;
out:
	system("ip link del xgpeer0 2>/dev/null");
	if (raw >= 0)
		close(raw);
	if (child >= 0)
		close(child);
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(lr);
	bpf_link__destroy(ls);
	close(lfd);
	return ret;
}

/* the keeper's count of listener changes */
static int listen_gen(__u32 *gen)
{
	__u32 i = XG_PEER_LISTEN;
	struct xg_peer c;

	if (bpf_map_lookup_elem(E.peers, &i, &c))
		return fail("cannot read xg_peers[XG_PEER_LISTEN]");
	*gen = c.live;
	return 0;
}

/*
 * xg_listen_seen on every CPU: emptied (@port 0), or searched for an
 * entry of 127.0.0.1:@port (host order), whose count goes in *gen
 * (~0U: none).
 */
static int seen_scan(__u16 port, __u32 *gen)
{
	int n = libbpf_num_possible_cpus(), fd, cpu, ret = 0;
	struct xg_listen_seen *v;
	__u32 i;

	if (n <= 0 || !(v = calloc(n, sizeof(*v))))
		return fail("cannot size xg_listen_seen's values");
	fd = bpf_map__fd(E.x->maps.xg_listen_seen);
	*gen = ~0U;
	for (i = 0; i < XG_LISTEN_SLOTS && !ret; i++) {
		if (!port) {
			memset(v, 0, n * sizeof(*v));
			if (bpf_map_update_elem(fd, &i, v, BPF_ANY))
				ret = fail("cannot clear xg_listen_seen");
			continue;
		}
		if (bpf_map_lookup_elem(fd, &i, v)) {
			ret = fail("cannot read xg_listen_seen[%u]", i);
			continue;
		}
		for (cpu = 0; cpu < n; cpu++)
			if (v[cpu].family == 4 && v[cpu].port == htons(port) &&
			    v[cpu].addr[0] == htonl(INADDR_LOOPBACK))
				*gen = v[cpu].gen;
	}
	free(v);
	return ret;
}

/*
 * With the record read, a listener found for a SYN's destination is
 * kept (xg_listen_seen) with the keeper's count of listener changes,
 * which listen() and close() move: the very next SYN after the close
 * passes with no_listener, however fresh the listener seen is.
 */
static int t_listener_seen(void)
{
	const char *cli = "127.0.0.6";
	__u32 g0 = 0, g1 = 0, g2 = 0, seen;
	struct bpf_link *ls;
	int lfd = -1, ret = -1;
	struct pkt s, o;

	TRY(set_cfg(XG_F_PEERS));
	TRY(set_port(PORT_SEEN, XG_CK_ON, 0));
	TRY(peer_zero(cli));
	TRY(seen_scan(0, &seen));
	syn4(&s, cli, htons(40002), "127.0.0.1", PORT_SEEN);
	ls = bpf_program__attach(E.k->progs.xg_peer_state);
	if (libbpf_get_error(ls))
		return fail("cannot attach the keeper's tracepoint: %ld",
			    libbpf_get_error(ls));
	if (listen_gen(&g0))
		goto out;
	lfd = prog_listen(AF_INET, PORT_SEEN, 16);
	if (lfd < 0) {
		fail("cannot listen on %d: %s", PORT_SEEN, strerror(errno));
		goto out;
	}
	if (listen_gen(&g1))
		goto out;
	if (g1 == g0) {
		fail("listen() left the count of listener changes at %u", g0);
		goto out;
	}
	/* past XG_LISTEN_QUIET and two ticks of the guard's clock */
	usleep(50000);
	if (xdp(&s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o) ||
	    seen_scan(PORT_SEEN, &seen))
		goto out;
	if (seen != g1) {
		fail("the listener found is kept with count %d, want %u",
		     (int)seen, g1);
		goto out;
	}
	if (xdp(&s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o)) {
		context("the listener seen: ");
		goto out;
	}
	close(lfd);
	lfd = -1;
	if (listen_gen(&g2))
		goto out;
	if (g2 == g1) {
		fail("close() left the count of listener changes at %u", g1);
		goto out;
	}
	if (xdp(&s, XDP_PASS, XG_V_PASS, XG_R_NO_LISTENER, NULL)) {
		context("right after the listener's close: ");
		goto out;
	}
	ret = 0;
out:
	if (lfd >= 0)
		close(lfd);
	bpf_link__destroy(ls);
	return ret;
}

static int t_dry_run(void)
{
	struct pkt s, a;

	TRY(set_cfg(XG_F_DRY_RUN));
	syn(&s, "198.18.0.12", 20, 0, 0, 0);
	TRY(xdp(&s, XDP_PASS, XG_V_PASS, XG_R_COOKIE_SYN, NULL));
	ack(&a, &s, "198.18.0.12", 77, 1, 0, 0);
	return xdp(&a, XDP_PASS, XG_V_WOULD_DROP, XG_R_COOKIE_BAD, NULL);
}

/* SYN+FIN and SYN+RST: the kernel discards them; so do cookies */
static int t_odd_flags(void)
{
	struct pkt s;
	struct spec sp = { .src = "198.18.0.13", .flags = T_SYN | T_FIN,
			   .tcpopt = 20, .dport = PORT };

	build(&sp, &s);
	TRY(xdp(&s, XDP_DROP, XG_V_DROP, XG_R_MALFORMED, NULL));
	sp.flags = T_SYN | T_RST;
	build(&sp, &s);
	return xdp(&s, XDP_DROP, XG_V_DROP, XG_R_MALFORMED, NULL);
}

/* a default entry (port 0) covers ports without their own */
static int t_default_port(void)
{
	struct pkt s, o;
	struct spec sp = { .src = "198.18.0.14", .flags = T_SYN, .tcpopt = 20,
			   .dport = 9 };
	__u16 key = PORT;

	bpf_map_delete_elem(E.ports, &key);
	build(&sp, &s);
	TRY(xdp(&s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL));
	TRY(set_port(0, XG_CK_ON, 0));
	/* port 9: nobody listens */
	TRY(xdp(&s, XDP_PASS, XG_V_PASS, XG_R_NO_LISTENER, NULL));
	syn(&s, "198.18.0.14", 20, 0, 0, 0);
	return xdp(&s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o);
}

/* auto: on after a window at or over the threshold, off after
 * XG_CK_CALM_WINDOWS windows below half of it; each switch an event */
static int t_auto(void)
{
	struct xg_cookie_port c;
	struct pkt s, a, o;
	__u16 port = PORT;

	TRY(set_port(PORT, XG_CK_AUTO, 5));
	syn(&s, "198.18.0.15", 20, 0, 0, 0);
	/* the first SYN opens the first window: below threshold, passed */
	TRY(xdp(&s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL));
	/* inactive: ACKs are not judged */
	ack(&a, &s, "198.18.0.15", 77, 1, 0, 0);
	TRY(xdp(&a, XDP_PASS, XG_V_PASS, XG_R_TCP_NOT_SYN, NULL));
	/* a window of 10 SYNs that ended a moment ago */
	TRY(get_port(PORT, &c));
	ASSERT(c.win_syns == 1 && !c.active, "after one SYN: win_syns %llu "
	       "active %u", (unsigned long long)c.win_syns, c.active);
	c.win_syns = 10;
	c.win_start = coarse_ns() - NSEC - NSEC / 10;
	if (bpf_map_update_elem(E.ports, &port, &c, BPF_ANY))
		return fail("cannot write the window");
	TRY(xdp(&s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o));
	TRY(get_port(PORT, &c));
	ASSERT(c.active && c.last_rate == 10 && c.switches == 1 &&
	       c.win_syns == 1, "active %u last_rate %u switches %llu "
	       "win_syns %llu", c.active, c.last_rate,
	       (unsigned long long)c.switches,
	       (unsigned long long)c.win_syns);
	ring_buffer__consume(E.rb);
	ASSERT(nev == 1 && evs[0].type == XG_EV_COOKIES_ON &&
	       evs[0].dport == PORT && evs[0].cookies.rate == 10 &&
	       evs[0].cookies.threshold == 5 && evs[0].cookies.switches == 1, "%d events, first type %u port %u rate %u "
	       "threshold %u", nev, evs[0].type, evs[0].dport, evs[0].cookies.rate,
	       evs[0].cookies.threshold);
	/* active: a forged ACK is dropped now */
	TRY(xdp(&a, XDP_DROP, XG_V_DROP, XG_R_COOKIE_BAD, NULL));
	/* 2 SYN/s (under half of 5) for 4 windows: still on */
	c.win_syns = 8;
	c.win_start = coarse_ns() - 4 * NSEC - NSEC / 10;
	if (bpf_map_update_elem(E.ports, &port, &c, BPF_ANY))
		return fail("cannot write the window");
	TRY(xdp(&s, XDP_TX, XG_V_TX, XG_R_COOKIE_SYN, &o));
	TRY(get_port(PORT, &c));
	ASSERT(c.active && c.calm == 4 && c.last_rate == 2,
	       "after 4 calm windows: active %u calm %u rate %u", c.active,
	       c.calm, c.last_rate);
	/* one more calm window: off, and the SYN goes to the kernel */
	c.win_syns = 0;
	c.win_start = coarse_ns() - NSEC - NSEC / 10;
	if (bpf_map_update_elem(E.ports, &port, &c, BPF_ANY))
		return fail("cannot write the window");
	nev = 0;
	TRY(xdp(&s, XDP_PASS, XG_V_PASS, XG_R_SYN_BUDGET, NULL));
	TRY(get_port(PORT, &c));
	ASSERT(!c.active && c.switches == 2, "active %u switches %llu",
	       c.active, (unsigned long long)c.switches);
	ring_buffer__consume(E.rb);
	ASSERT(nev == 1 && evs[0].type == XG_EV_COOKIES_OFF &&
	       evs[0].cookies.switches == 2 && evs[0].cookies.rate == 0,
	       "%d events, first type %u count %llu", nev, evs[0].type,
	       (unsigned long long)evs[0].cookies.switches);
	return 0;
}

/*
 * A kernel without the cookie helpers: attach loads the guard with
 * have_cookies = 0; the verifier must accept it (the cookie paths are
 * dead code then) and cookie settings must change nothing.
 */
static int t_without_cookie_paths(void)
{
	struct xdp_guard_bpf *g = xdp_guard_bpf__open();
	struct xg_config c = { .rate = { 0, 1 },
			       .flags = XG_F_ENABLED | XG_F_COOKIES };
	struct xg_cookie_port on = { .mode = XG_CK_ON };
	struct pkt s, out;
	struct prog_res o;
	__u16 port = PORT;
	__u32 zero = 0;
	int err, ret = -1;

	if (!g)
		return fail("cannot open the skeleton");
	g->rodata->have_cookies = 0;
	err = xdp_guard_bpf__load(g);
	if (err) {
		fail("load without cookie paths: %s", strerror(-err));
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(g->maps.xg_config), &zero, &c,
				BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(g->maps.xg_cookie_ports), &port,
				&on, BPF_ANY)) {
		fail("cannot write the maps");
		goto out;
	}
	syn(&s, "198.18.0.16", 20, 0, 0, 0);
	if (prog_run(bpf_program__fd(g->progs.xdpguard), &s, 1, &out, &o) ||
	    o.retval != XDP_PASS || out.len != s.len) {
		fail("a SYN to a cookie port: retval %u, want XDP_PASS "
		     "unchanged", o.retval);
		goto out;
	}
	ret = 0;
out:
	xdp_guard_bpf__destroy(g);
	return ret;
}

/* SipHash-2-4 of @len bytes, byte by byte (the paper's description) */
static __u64 siphash_ref(__u64 k0, __u64 k1, const __u8 *m, size_t len)
{
	__u64 v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	__u64 v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	size_t i, j, blocks = len / 8;
	__u64 w;

	for (i = 0; i <= blocks; i++) {
		/* the last block: what is left, the length in its top byte */
		w = i == blocks ? (__u64)(len & 0xff) << 56 : 0;
		for (j = 0; j < 8 && 8 * i + j < len; j++)
			w |= (__u64)m[8 * i + j] << (8 * j);
		v3 ^= w;
		XG_SIPROUND(v0, v1, v2, v3);
		XG_SIPROUND(v0, v1, v2, v3);
		v0 ^= w;
	}
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		XG_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* the pure helpers of lib/siphash.h and lib/cookie.h */
static int t_cookie_helpers(void)
{
	static const __u16 syn4[] = { 0, 535, 536, 1299, 1300, 1440, 1460,
				      9000 };
	static const __u32 idx4[] = { 0, 0, 0, 0, 1, 2, 3, 3 };
	__u64 k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL, m[5];
	const __u64 key[2] = { k0, k1 };
	__u32 sa[4] = { 1, 2, 3, 4 }, da[4] = { 5, 6, 7, 8 }, c, c2, i, ts;
	__u8 b[40];
	int ok, sack;
	__u8 ws;

	/* the paper's vector: key 00..0f, message 00..0e */
	for (i = 0; i < sizeof(b); i++)
		b[i] = i;
	ASSERT(siphash_ref(k0, k1, b, 15) == 0xa129ca6149be45e5ULL,
	       "the reference SipHash misses the paper's vector: %#llx",
	       (unsigned long long)siphash_ref(k0, k1, b, 15));
	/* ours, 8n + 4 bytes, against it (little-endian words here) */
	memcpy(m, b, sizeof(m));
	ASSERT(xg_siphash(k0, k1, m, 2, 0x13121110) ==
	       siphash_ref(k0, k1, b, 20), "20 bytes");
	ASSERT(xg_siphash(k0, k1, m, 4, 0x23222120) ==
	       siphash_ref(k0, k1, b, 36), "36 bytes");
	ASSERT(xg_siphash(k0, k1, m, 1, 0x0b0a0908) ==
	       siphash_ref(k0, k1, b, 12), "12 bytes");
	ASSERT(xg_siphash(k0 ^ 1, k1, m, 1, 0x0b0a0908) !=
	       siphash_ref(k0, k1, b, 12), "the key counts");

	for (i = 0; i < sizeof(syn4) / sizeof(syn4[0]); i++)
		ASSERT(xg_cookie_mss_index(msstab4, syn4[i]) == idx4[i],
		       "MSS %u: index %u, want %u", syn4[i],
		       xg_cookie_mss_index(msstab4, syn4[i]), idx4[i]);
	ASSERT(xg_cookie_mss_index(msstab6, 1280) == 0 &&
	       xg_cookie_mss_index(msstab6, 8940) == 3, "IPv6 indexes");
	/* a cookie names its unit's low bits and its index; checked in
	 * its unit, the one after and the one before; not two later */
	for (i = 0; i < 4; i++) {
		__u32 u = 0xfffffffdU + i;	/* across the wrap */

		c = xg_cookie_make(key, 4, sa, da, 0x50001f90, 1000, u, i);
		ASSERT((c & 3) == i && (c >> 2 & 3) == (u & 3),
		       "cookie %#x of unit %u index %u", c, u, i);
		ASSERT(xg_cookie_check(key, 4, sa, da, 0x50001f90, 1000, c,
				       u) == (int)i &&
		       xg_cookie_check(key, 4, sa, da, 0x50001f90, 1000, c,
				       u + 1) == (int)i &&
		       xg_cookie_check(key, 4, sa, da, 0x50001f90, 1000, c,
				       u - 1) == (int)i, "unit %u", u);
		ASSERT(xg_cookie_check(key, 4, sa, da, 0x50001f90, 1000, c,
				       u + 2) == -1 &&
		       xg_cookie_check(key, 4, sa, da, 0x50001f90, 1000, c,
				       u + 4) == -1, "stale at unit %u", u);
		/* every input counts */
		ASSERT(xg_cookie_check(key, 4, sa, da, 0x50001f91, 1000, c,
				       u) == -1 &&
		       xg_cookie_check(key, 4, sa, da, 0x50001f90, 1001, c,
				       u) == -1 &&
		       xg_cookie_check(key, 6, sa, da, 0x50001f90, 1000, c,
				       u) == -1, "inputs");
		c2 = xg_cookie_make(key, 6, sa, da, 0x50001f90, 1000, u, i);
		da[3] ^= 1;
		ASSERT(xg_cookie_check(key, 6, sa, da, 0x50001f90, 1000, c2,
				       u) == -1, "IPv6 destination");
		da[3] ^= 1;
		ASSERT(xg_cookie_check(key, 6, sa, da, 0x50001f90, 1000, c2,
				       u) == (int)i, "IPv6");
	}
	ts = xg_ts_encode(0xabcdef12, 0x11223344, 1, 9, 1);
	ASSERT((ts & ~0x3fffU) == (0xabcdef12 & ~0x3fffU), "clock bits");
	ASSERT(xg_ts_ours(ts, 0x11223344) && !xg_ts_ours(ts, 0x11223345),
	       "tag");
	xg_ts_decode(ts, &ok, &ws, &sack);
	ASSERT(ok && ws == 9 && sack, "decode %d %u %d", ok, ws, sack);
	xg_ts_decode(xg_ts_encode(5, 0, 0, 3, 0), &ok, &ws, &sack);
	ASSERT(!ok && !sack, "no wscale, no sack");
	ASSERT(xg_synack_window(1460, 1) == 65160 &&
	       xg_synack_window(1460, 0) == 64240, "windows %u %u",
	       xg_synack_window(1460, 1), xg_synack_window(1460, 0));
	return 0;
}

/*
 * The table of pairs (abi.h) has a row and a name for every reason, and
 * the cookie pairs it lists are the ones the frames above produced: a
 * cookie path counting a pair the table lacks fails in xdp(), and a row
 * with a cookie pair that no path counts fails here.
 */
static int t_pairs_table(void)
{
	static const int cookie_pairs[][2] = {
		{ XG_V_TX, XG_R_COOKIE_SYN },
		{ XG_V_PASS, XG_R_COOKIE_SYN },		/* dry run */
		{ XG_V_PASS, XG_R_COOKIE_ACK },
		{ XG_V_DROP, XG_R_COOKIE_BAD },
		{ XG_V_WOULD_DROP, XG_R_COOKIE_BAD },	/* dry run */
		{ XG_V_DROP, XG_R_BAD_CSUM },
		{ XG_V_PASS, XG_R_NO_LISTENER },
		{ XG_V_PASS, XG_R_COOKIE_SKIP },
	};
	unsigned int i;
	int v, r;

	for (r = 0; r < XG_R_MAX; r++) {
		ASSERT(XG_REASON_VERDICTS(r) != 0, "reason %d has no row", r);
		ASSERT(strcmp(xg_reason_name(r), "?") && *xg_reason_name(r),
		       "reason %d has no name", r);
		ASSERT(!(XG_REASON_VERDICTS(r) >> XG_V_MAX),
		       "reason %s: a verdict past XG_V_MAX", xg_reason_name(r));
	}
	for (v = 0; v < XG_V_MAX; v++)
		ASSERT(strcmp(xg_verdict_name(v), "?"), "verdict %d has no "
		       "name", v);
	for (i = 0; i < ARRAY_SIZE(cookie_pairs); i++) {
		v = cookie_pairs[i][0];
		r = cookie_pairs[i][1];
		ASSERT(XG_COUNTED(v, r), "%s/%s is not in the table",
		       vname(v), xg_reason_name(r));
		ASSERT(seen[XG_COUNTER_IDX(v, r)], "%s/%s is in the table but "
		       "no frame of these cases was counted under it",
		       vname(v), xg_reason_name(r));
	}
	/* the table's cookie rows hold no pair beyond these */
	for (r = XG_R_COOKIE_SYN; r <= XG_R_COOKIE_SKIP; r++)
		for (v = 0; v < XG_V_MAX; v++) {
			bool listed = false;

			for (i = 0; i < ARRAY_SIZE(cookie_pairs); i++)
				listed |= cookie_pairs[i][0] == v &&
					  cookie_pairs[i][1] == r;
			/* bad checksums in a dry run: the path of drop/ */
			if (v == XG_V_WOULD_DROP && r == XG_R_BAD_CSUM)
				listed = true;
			ASSERT(listed == !!XG_COUNTED(v, r), "%s/%s: the table "
			       "says %d, the paths %d", vname(v),
			       xg_reason_name(r), !!XG_COUNTED(v, r), listed);
		}
	return 0;
}

static const struct test tests[] = {
	{ "cookie_helpers", t_cookie_helpers },
	{ "synack_v4_bytes_and_handoff", t_synack_v4 },
	{ "synack_v4_mss_only", t_synack_v4_mss_only },
	{ "synack_v6_bytes_and_handoff", t_synack_v6 },
	{ "mss_classes_v4_v6", t_mss_classes },
	{ "vlan_v4_v6_qinq_skipped", t_vlan },
	{ "ip_options_ext_headers_dropped", t_headers_dropped },
	{ "syn_with_data", t_syn_with_data },
	{ "bad_checksums_no_answer", t_bad_checksums },
	{ "no_listener_passed", t_no_listener },
	{ "forged_replayed_stale_acks_dropped", t_bad_acks },
	{ "forged_stale_acks_v6_dropped", t_bad_acks_v6 },
	{ "kernel_cookie_left_to_kernel", t_kernel_cookie_left_alone },
	{ "kernel_own_cookie_passes_xdp_not_tc", t_kernel_cookie_passes },
	{ "no_key_no_answer", t_no_key },
	{ "established_ack_passes", t_established_ack },
	{ "listener_closed_no_answer_at_once", t_listener_closed },
	{ "syn_for_live_or_timewait_tuple_left", t_syn_live_tuple },
	{ "peers_unrecorded_tuple_skips_probe", t_peers_skip },
	{ "peers_record_follows_sockets", t_peers_follow },
	{ "listener_seen_until_listeners_change", t_listener_seen },
	{ "dry_run", t_dry_run },
	{ "syn_fin_syn_rst_dropped", t_odd_flags },
	{ "default_port_entry", t_default_port },
	{ "auto_on_off_events", t_auto },
	{ "loads_without_cookie_paths", t_without_cookie_paths },
	/* last: the pairs the cases above were counted under */
	{ "pairs_table_rows_and_cookie_pairs", t_pairs_table },
};

int main(void)
{
	unsigned int failed;

	harness_init();
	prog_pin_cpu(-1);
	if (setup()) {
		printf("not ok - setup: %s\n", why);
		return 1;
	}
	failed = harness_run(tests, ARRAY_SIZE(tests), reset);
	ring_buffer__free(E.rb);
	sock_peers_bpf__destroy(E.k);
	tc_cookie_bpf__destroy(E.t);
	kcookie_bpf__destroy(E.kc);
	xdp_guard_bpf__destroy(E.x);
	return failed ? 1 : 0;
}
