// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the XDP program (bpf/xdp_guard.bpf.c), kernel-selftest
 * style: load the skeleton without attaching it, write the policy maps,
 * run crafted frames through BPF_PROG_TEST_RUN and check the verdict, the
 * one (verdict, reason) counter the frame was charged to, and the other
 * map effects (buckets, deny hits, ring-buffer events).
 *
 * Prints "ok - NAME" or "not ok - NAME: why" per case and exits 1 if any
 * case failed. Every case starts from empty maps (reset()), so cases are
 * independent. The process is pinned to one CPU: test runs execute on the
 * calling CPU and the event budget is per CPU.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include "xdp_guard.skel.h"
#include "comp/comp.h"
#include "lib/bucket.h"
#include "../prog.h"
#include "../harness.h"

#define NSEC		1000000000ULL
/* bpf/lib/parse.h XG_MAX_EXTHDRS: BPF-only header, not includable here */
#define MAX_EXTHDRS	8



#define PASS(r)		XDP_PASS, XG_V_PASS, (r)
#define DROP(r)		XDP_DROP, XG_V_DROP, (r)
#define WOULD(r)	XDP_PASS, XG_V_WOULD_DROP, (r)

/* ---- the loaded program ---- */

struct env {
	struct xdp_guard_bpf *skel;
	struct ring_buffer *rb;
	int prog, config, ports, buckets, counters, evstate;
	int allow4, allow6, deny4, deny6, list_bits;
	/* xg_buckets and its first level xg_src_hot mapped read-write:
	 * cases read and reset slots there */
	struct xg_bucket *slots;
	struct xg_src_hot *hot;
	__u32 nslots;
};

static struct env E;
static int ncpus;
static void *pcpu;		/* ncpus per-CPU values of up to 64 bytes */
static int npkt;		/* frames run in the current case */

static struct xg_event evs[64];
static int nev;
static int ev_bad;		/* records of the wrong size */

/* The program reads bpf_ktime_get_coarse_ns(): CLOCK_MONOTONIC_COARSE. */
static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

/* Event records carry the fine clock, CLOCK_MONOTONIC. */
static __u64 fine_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

/* Wait for the next tick of the program's clock (bounded). */
static void next_tick(void)
{
	__u64 t = mono_ns();
	int i;

	for (i = 0; i < 1000 && mono_ns() == t; i++)
		usleep(100);
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (size != sizeof(struct xg_event)) {
		ev_bad++;
		return 0;
	}
	if (nev < (int)(sizeof(evs) / sizeof(evs[0])))
		memcpy(&evs[nev], data, sizeof(evs[0]));
	nev++;
	return 0;
}

/* Events submitted since the last call (they land in evs[]). */
static int events(void)
{
	nev = 0;
	ev_bad = 0;
	if (ring_buffer__consume(E.rb) < 0)
		return -1;
	return ev_bad ? -1 : nev;
}

static int env_open(struct env *e, __u32 prefix4, __u32 prefix6)
{
	int err;

	memset(e, 0, sizeof(*e));
	e->skel = xdp_guard_bpf__open();
	if (!e->skel)
		return fail("cannot open the skeleton: %s", strerror(errno));
	e->skel->rodata->prefix4 = prefix4;
	e->skel->rodata->prefix6 = prefix6;
	err = xdp_guard_bpf__load(e->skel);
	if (err)
		return fail("cannot load xdp_guard.bpf.o: %s (see the verifier "
			    "log above)", strerror(-err));
	e->prog = bpf_program__fd(e->skel->progs.xdpguard);
	e->config = bpf_map__fd(e->skel->maps.xg_config);
	e->ports = bpf_map__fd(e->skel->maps.xg_port_rate);
	e->buckets = bpf_map__fd(e->skel->maps.xg_buckets);
	e->nslots = bpf_map__max_entries(e->skel->maps.xg_buckets);
	e->slots = mmap(NULL, (size_t)e->nslots * sizeof(*e->slots),
			PROT_READ | PROT_WRITE, MAP_SHARED, e->buckets, 0);
	if (e->slots == MAP_FAILED) {
		e->slots = NULL;
		return fail("cannot map xg_buckets: %s", strerror(errno));
	}
	e->hot = mmap(NULL, (size_t)e->nslots * sizeof(*e->hot),
		      PROT_READ | PROT_WRITE, MAP_SHARED,
		      bpf_map__fd(e->skel->maps.xg_src_hot), 0);
	if (e->hot == MAP_FAILED) {
		e->hot = NULL;
		return fail("cannot map xg_src_hot: %s", strerror(errno));
	}
	e->counters = bpf_map__fd(e->skel->maps.xg_counters);
	e->evstate = bpf_map__fd(e->skel->maps.xg_evstate);
	e->allow4 = bpf_map__fd(e->skel->maps.xg_allow4);
	e->allow6 = bpf_map__fd(e->skel->maps.xg_allow6);
	e->deny4 = bpf_map__fd(e->skel->maps.xg_deny4);
	e->deny6 = bpf_map__fd(e->skel->maps.xg_deny6);
	e->list_bits = bpf_map__fd(e->skel->maps.xg_list_bits);
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.xg_events),
				 on_event, NULL, NULL);
	if (!e->rb)
		return fail("cannot open the event ring buffer: %s",
			    strerror(errno));
	return 0;
}

static void env_close(struct env *e)
{
	ring_buffer__free(e->rb);
	if (e->slots)
		munmap(e->slots, (size_t)e->nslots * sizeof(*e->slots));
	if (e->hot)
		munmap(e->hot, (size_t)e->nslots * sizeof(*e->hot));
	xdp_guard_bpf__destroy(e->skel);
	memset(e, 0, sizeof(*e));
}

/* ---- maps ---- */

static int map_clear(int fd)
{
	__u8 key[64];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return fail("cannot empty a map: %s", strerror(errno));
	return 0;
}

/* The full hash of a source key, as the program computes it. */
static __u32 slot_tag(const struct xg_bucket_key *k)
{
	return xg_src_hash(k->family, k->port, k->addr,
			   E.skel->rodata->src_seed);
}

/* Its first-level check (xg_src_hot), likewise. */
static __u32 slot_check(const struct xg_bucket_key *k)
{
	return xg_src_check(xg_src_hash64(k->family, k->port, k->addr,
					  E.skel->rodata->src_seed));
}

/* The slot of a source key, as the program picks it. */
static __u32 slot_of(const struct xg_bucket_key *k)
{
	return slot_tag(k) & (E.nslots - 1);
}

/*
 * Slots of the source table held by a source, as status counts them (the
 * first level knows: a one-SYN holder lives there alone), after checking
 * that the two levels agree: a slot of xg_buckets has a holder exactly
 * when the first level says it is there (XG_HOT_FULL), with its check.
 */
static int held(void)
{
	__u32 i;
	int n = 0;

	for (i = 0; i < E.nslots; i++) {
		bool full = E.hot[i].t == XG_HOT_FULL;

		n += !!E.hot[i].t;
		if (full != !!E.slots[i].key.family ||
		    (full && E.hot[i].check != slot_check(&E.slots[i].key))) {
			fprintf(stderr, "# slot %u: first level t %llx check "
				"%x, xg_buckets family %u\n", i,
				(unsigned long long)E.hot[i].t, E.hot[i].check,
				E.slots[i].key.family);
			return -1;
		}
	}
	return n;
}

/*
 * The list bits (XG_F_LISTS) only let the program skip empty maps; the
 * cases set them all so every lookup happens, except where a case is
 * about those bits.
 */
static int set_cfg(__u32 pps, __u32 burst, __u32 flags, __u32 ev_budget)
{
	struct xg_config c = {
		.rate = { .pps = pps, .burst = burst },
		.flags = flags | (flags & XG_F_ENABLED ? XG_F_LISTS : 0),
		.event_budget = ev_budget,
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(E.config, &zero, &c, BPF_ANY))
		return fail("cannot write xg_config: %s", strerror(errno));
	return 0;
}

/* The rate class of @port (0: the default budget) as the program has it. */
static int rate_of(__u16 port, struct xg_rate *r)
{
	struct xg_config c;
	__u32 zero = 0;

	if (port && !bpf_map_lookup_elem(E.ports, &port, r))
		return 0;
	if (bpf_map_lookup_elem(E.config, &zero, &c))
		return fail("cannot read xg_config: %s", strerror(errno));
	*r = c.rate;
	return 0;
}

static int port_rate(__u16 port, __u32 pps, __u32 burst)
{
	struct xg_rate r = { .pps = pps, .burst = burst };

	if (bpf_map_update_elem(E.ports, &port, &r, BPF_ANY))
		return fail("cannot write xg_port_rate: %s", strerror(errno));
	return 0;
}

static int lists_built(void);

/* Empty maps, zero counters, drain events; default rate pps=1 burst=5. */
static int reset(void)
{
	__u32 i;

	TRY(map_clear(E.ports));
	memset(E.slots, 0, (size_t)E.nslots * sizeof(*E.slots));
	memset(E.hot, 0, (size_t)E.nslots * sizeof(*E.hot));
	TRY(map_clear(E.allow4));
	TRY(map_clear(E.allow6));
	TRY(map_clear(E.deny4));
	TRY(map_clear(E.deny6));
	TRY(lists_built());
	memset(pcpu, 0, ncpus * 64);
	for (i = 0; i < XG_C_SLOTS; i++)
		if (bpf_map_update_elem(E.counters, &i, pcpu, BPF_ANY))
			return fail("cannot zero xg_counters[%u]: %s", i,
				    strerror(errno));
	i = 0;
	if (bpf_map_update_elem(E.evstate, &i, pcpu, BPF_ANY))
		return fail("cannot zero xg_evstate: %s", strerror(errno));
	if (events() < 0)
		return fail("cannot drain the event ring buffer");
	return set_cfg(1, 5, XG_F_ENABLED, 0);
}

/* All counter slots, summed over CPUs. */
static int snap(struct xg_counter *sum)
{
	struct xg_counter *v = pcpu;
	__u32 i;
	int c;

	for (i = 0; i < XG_C_SLOTS; i++) {
		if (bpf_map_lookup_elem(E.counters, &i, pcpu))
			return fail("cannot read xg_counters[%u]: %s", i,
				    strerror(errno));
		sum[i].packets = 0;
		sum[i].bytes = 0;
		for (c = 0; c < ncpus; c++) {
			sum[i].packets += v[c].packets;
			sum[i].bytes += v[c].bytes;
		}
	}
	return 0;
}

/* Packets in one slot, over all CPUs (~0 if unreadable). */
static __u64 slot(__u32 idx)
{
	struct xg_counter c[XG_C_SLOTS];

	if (snap(c))
		return ~0ULL;
	return c[idx].packets;
}

static __u64 counter(int v, int r)
{
	return slot(XG_COUNTER_IDX(v, r));
}


/* "10.0.0.0/24" or "2001:db8::/64" into an xg_lpm4/6 key; returns family */
static int lpm_key(const char *cidr, struct xg_lpm6 *key, int *fd_allow,
		   int *fd_deny)
{
	char buf[64], *slash;
	__u32 addr[4];
	int family;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (!slash) {
		fprintf(stderr, "test bug: bad prefix '%s'\n", cidr);
		exit(2);
	}
	*slash = '\0';
	family = parse_addr(buf, addr);
	memset(key, 0, sizeof(*key));
	key->prefixlen = atoi(slash + 1);
	if (family == 4) {
		struct xg_lpm4 *k4 = (struct xg_lpm4 *)key;

		k4->addr = addr[0];
	} else {
		memcpy(key->addr, addr, 16);
	}
	*fd_allow = family == 4 ? E.allow4 : E.allow6;
	*fd_deny = family == 4 ? E.deny4 : E.deny6;
	return family;
}

/*
 * Rebuild the lists' filters from the lists, as xdpguard does after every
 * change of one (xg_sync_flags): every case's lookups go through them.
 */
static int lists_built(void)
{
	int fd[XG_L_MAX] = { E.allow4, E.allow6, E.deny4, E.deny6 };

	if (xg_list_filters_sync(E.list_bits, fd))
		return fail("cannot build the list filters: %s",
			    strerror(errno));
	return 0;
}

static int deny(const char *cidr, __u64 expires_ns)
{
	struct xg_deny_val v = { .expires_ns = expires_ns };
	struct xg_lpm6 key;
	int fa, fd;

	lpm_key(cidr, &key, &fa, &fd);
	v.prefixlen = key.prefixlen;
	if (bpf_map_update_elem(fd, &key, &v, BPF_ANY))
		return fail("cannot deny %s: %s", cidr, strerror(errno));
	return lists_built();
}

static int allow(const char *cidr)
{
	struct xg_allow_val v = {};
	struct xg_lpm6 key;
	int fa, fd;

	lpm_key(cidr, &key, &fa, &fd);
	if (bpf_map_update_elem(fa, &key, &v, BPF_ANY))
		return fail("cannot allow %s: %s", cidr, strerror(errno));
	return lists_built();
}

/* Hits of exactly that entry (~0 when it is missing). */
static __u64 deny_hits(const char *cidr)
{
	struct xg_deny_val v;
	struct xg_lpm6 key;
	int fa, fd;

	lpm_key(cidr, &key, &fa, &fd);
	if (bpf_map_lookup_elem(fd, &key, &v) || v.prefixlen != key.prefixlen)
		return ~0ULL;
	return v.hits;
}

static __u64 allow_hits(const char *cidr)
{
	struct xg_allow_val v;
	struct xg_lpm6 key;
	int fa, fd;

	lpm_key(cidr, &key, &fa, &fd);
	if (bpf_map_lookup_elem(fa, &key, &v))
		return ~0ULL;
	return v.hits;
}

/* The bucket of a source prefix (address given already masked). */
static int bucket(const char *masked, __u16 port, struct xg_bucket *b)
{
	struct xg_bucket_key k = {};
	struct xg_src_hot *h;
	struct xg_rate r;

	k.family = parse_addr(masked, k.addr);
	k.port = port;
	h = &E.hot[slot_of(&k)];
	if (h->t && h->t != XG_HOT_FULL && h->check == slot_check(&k)) {
		/* the first level alone holds it: its bucket is the full
		 * one less the debt, which counts as its SYNs */
		__u32 debt = h->debt & XG_HOT_DEBT;

		TRY(rate_of(port, &r));
		memset(b, 0, sizeof(*b));
		b->key = k;
		b->tag = slot_tag(&k);
		b->passed = (debt + XG_HOT_SYN - 1) / XG_HOT_SYN;
		b->win_syns = b->passed;
		b->first_ns = b->refill_ns = b->last_ns = b->win_start = h->t;
		b->credit = xg_bucket_cap(r.burst) -
			    ((__u64)debt << XG_HOT_UNIT_SHIFT);
		return 0;
	}
	*b = E.slots[slot_of(&k)];
	if (memcmp(&b->key, &k, sizeof(k)))
		return fail("no bucket {family %d, %s, port %u}", k.family,
			    masked, port);
	return 0;
}

static const char *verdict_name[XG_V_MAX] = {
	"pass", "drop", "would_drop", "tx",
};
static const char *reason_name[XG_R_MAX] = {
	"not_ip", "not_tcp", "tcp_not_syn", "fragment", "allow", "deny",
	"syn_budget", "syn_over", "malformed", "cookie_syn", "cookie_ack",
	"cookie_bad", "bad_checksum", "no_listener", "cookie_skip",
};

static const char *xdp_name(int ret)
{
	static char buf[32];

	if (ret == XDP_PASS)
		return "XDP_PASS";
	if (ret == XDP_DROP)
		return "XDP_DROP";
	snprintf(buf, sizeof(buf), "retval %d", ret);
	return buf;
}

/* The program's retval, or -errno when the kernel refuses the run. */
static int run(const void *data, size_t len)
{
	static struct pkt out;
	struct prog_res r;
	int err;

	npkt++;
	err = prog_run_ctx(E.prog, data, len, NULL, 0, 1, &out, &r);
	if (err)
		return err;
	if (out.len != len || memcmp(out.buf, data, len)) {
		fail("frame %d: the program changed the frame", npkt);
		return -EBADMSG;
	}
	return r.retval;
}

/*
 * Runs a frame once and checks its retval and that it was counted exactly
 * once, with its length, under (v, r).
 */
static int expect_raw(const void *data, size_t len, int xdp, int v, int r)
{
	struct xg_counter a[XG_C_SLOTS], b[XG_C_SLOTS];
	char got[64] = "nowhere";
	int i, ret, slot = -1;
	__u64 n = 0;

	TRY(snap(a));
	ret = run(data, len);
	TRY(snap(b));
	if (ret < 0)
		return fail("frame %d (%zu bytes): test run failed: %s", npkt,
			    len, strerror(-ret));
	for (i = 0; i < XG_COUNTERS_MAX; i++) {
		if (b[i].packets == a[i].packets)
			continue;
		n += b[i].packets - a[i].packets;
		slot = i;
	}
	if (n == 1)
		snprintf(got, sizeof(got), "%s/%s",
			 verdict_name[slot / XG_R_MAX],
			 reason_name[slot % XG_R_MAX]);
	else if (n > 1)
		snprintf(got, sizeof(got), "%llu times", (unsigned long long)n);
	/* every pair a frame is counted under is one of abi.h's table */
	if (slot >= 0 && !XG_COUNTED(slot / XG_R_MAX, slot % XG_R_MAX))
		return fail("frame %d: counted %s/%s, a pair not in abi.h's "
			    "XG_REASON_VERDICTS", npkt,
			    verdict_name[slot / XG_R_MAX],
			    reason_name[slot % XG_R_MAX]);
	if (ret != xdp || n != 1 || slot != XG_COUNTER_IDX(v, r))
		return fail("frame %d (%zu bytes): %s counted %s, want %s "
			    "counted %s/%s", npkt, len, xdp_name(ret), got,
			    xdp_name(xdp), verdict_name[v], reason_name[r]);
	if (b[slot].bytes - a[slot].bytes != len)
		return fail("frame %d: %llu bytes counted, want %zu", npkt,
			    (unsigned long long)(b[slot].bytes - a[slot].bytes),
			    len);
	return 0;
}

static int expect(const struct spec *s, int xdp, int v, int r)
{
	struct pkt p;

	build(s, &p);
	return expect_raw(p.buf, p.len, xdp, v, r);
}

/* n SYNs that pass, then one over budget */
static int exhaust(const struct spec *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		TRYC(expect(s, PASS(XG_R_SYN_BUDGET)), "SYN %d from %s: ",
		     i + 1, s->src);
	TRYC(expect(s, DROP(XG_R_SYN_OVER)), "SYN %d from %s: ", n + 1,
	     s->src);
	return 0;
}

static int expect_bucket(const char *masked, __u16 port, __u64 passed,
			 __u64 dropped, struct xg_bucket *out)
{
	struct xg_bucket b;

	TRY(bucket(masked, port, &b));
	ASSERT(b.passed == passed && b.dropped == dropped,
	       "bucket %s port %u: passed %llu dropped %llu, want %llu/%llu",
	       masked, port, (unsigned long long)b.passed,
	       (unsigned long long)b.dropped, (unsigned long long)passed,
	       (unsigned long long)dropped);
	if (out)
		*out = b;
	return 0;
}

/* ---- cases: the SYN budget ---- */

/*
 * A fresh bucket holds burst tokens and earns pps per second (bucket.h,
 * credit in nano-tokens): with pps=1 nothing is earned during a case.
 */
static int t_syn_budget_v4(void)
{
	struct xg_bucket_key k = { .family = 4 };
	struct spec s = SYN("10.0.0.1");
	struct xg_bucket b;
	__u64 t1, want;

	parse_addr("10.0.0.1", k.addr);
	TRY(expect(&s, PASS(XG_R_SYN_BUDGET)));
	t1 = E.hot[slot_of(&k)].t;
	TRY(exhaust(&s, 4));
	TRY(expect_bucket("10.0.0.1", 0, 5, 1, &b));
	/* 5 tokens spent, 1 nano-token per ns since the first SYN earned
	 * (within what the first level rounds: its debt is kept in units
	 * of 2^17 nano-tokens, one rounding a SYN) */
	want = b.refill_ns - t1;
	ASSERT(b.credit + (5 << XG_HOT_UNIT_SHIFT) >= want &&
	       b.credit <= want + (5 << XG_HOT_UNIT_SHIFT),
	       "credit %llu, want %llu (refill_ns - the first SYN's time at "
	       "pps 1)", (unsigned long long)b.credit,
	       (unsigned long long)want);
	ASSERT(b.refill_ns >= b.first_ns && b.last_ns == b.refill_ns,
	       "refill_ns %llu, first_ns %llu, last_ns %llu",
	       (unsigned long long)b.refill_ns,
	       (unsigned long long)b.first_ns, (unsigned long long)b.last_ns);
	ASSERT(b.throttled == 1, "bucket not marked throttled");
	ASSERT(held() == 1, "%d buckets, want 1",
	       held());
	return 0;
}

static int t_syn_other_source_v4(void)
{
	struct spec s = SYN("10.0.0.1"), o = SYN("10.0.0.2");

	TRY(exhaust(&s, 5));
	TRYC(expect(&o, PASS(XG_R_SYN_BUDGET)), "other source: ");
	TRYC(expect(&s, DROP(XG_R_SYN_OVER)), "first source again: ");
	TRY(expect_bucket("10.0.0.1", 0, 5, 2, NULL));
	TRY(expect_bucket("10.0.0.2", 0, 1, 0, NULL));
	return 0;
}

static int t_syn_budget_v6_prefix(void)
{
	struct spec s = SYN("2001:db8:1:2::1");
	struct spec same = SYN("2001:db8:1:2:ffff:ffff:ffff:fff9");
	struct spec other = SYN("2001:db8:1:3::1");
	int i;

	for (i = 0; i < 4; i++)
		TRYC(expect(&s, PASS(XG_R_SYN_BUDGET)), "SYN %d: ", i + 1);
	TRYC(expect(&same, PASS(XG_R_SYN_BUDGET)), "same /64, SYN 5: ");
	TRYC(expect(&same, DROP(XG_R_SYN_OVER)), "same /64, SYN 6: ");
	TRYC(expect(&s, DROP(XG_R_SYN_OVER)), "SYN 7: ");
	TRYC(expect(&other, PASS(XG_R_SYN_BUDGET)), "other /64: ");
	TRY(expect_bucket("2001:db8:1:2::", 0, 5, 2, NULL));
	TRY(expect_bucket("2001:db8:1:3::", 0, 1, 0, NULL));
	ASSERT(held() == 2, "%d buckets, want 2",
	       held());
	return 0;
}

/* prefix4=24, prefix6=56: masks that do not fall on a word boundary */
static int t_prefix_masks(void)
{
	struct spec a4 = SYN("10.1.2.3"), b4 = SYN("10.1.2.200");
	struct spec c4 = SYN("10.1.3.1");
	struct spec a6 = SYN("2001:db8:0:1200::1");
	struct spec b6 = SYN("2001:db8:0:12ff:1::1");
	struct spec c6 = SYN("2001:db8:0:1300::1");
	struct env saved = E;
	int rc = -1;

	if (env_open(&E, 24, 56))
		goto out;
	if (reset() || exhaust(&a4, 5) ||
	    expect(&b4, DROP(XG_R_SYN_OVER)) ||
	    expect(&c4, PASS(XG_R_SYN_BUDGET)) ||
	    exhaust(&a6, 5) ||
	    expect(&b6, DROP(XG_R_SYN_OVER)) ||
	    expect(&c6, PASS(XG_R_SYN_BUDGET)) ||
	    expect_bucket("10.1.2.0", 0, 5, 2, NULL) ||
	    expect_bucket("10.1.3.0", 0, 1, 0, NULL) ||
	    expect_bucket("2001:db8:0:1200::", 0, 5, 2, NULL) ||
	    expect_bucket("2001:db8:0:1300::", 0, 1, 0, NULL))
		goto out;
	if (events() != 2) {
		fail("%d throttle events, want 2", nev);
		goto out;
	}
	if (evs[0].prefixlen != 24 || evs[1].prefixlen != 56) {
		fail("event prefix lengths %u and %u, want 24 and 56",
		     evs[0].prefixlen, evs[1].prefixlen);
		goto out;
	}
	rc = 0;
out:
	env_close(&E);
	E = saved;
	return rc;
}

static int t_port_rate(void)
{
	struct spec s443 = SYN("10.0.0.1"), s8080 = SYN("10.0.0.1");
	struct spec s80 = SYN("10.0.0.1");

	s443.dport = 443;
	s8080.dport = 8080;
	TRY(port_rate(443, 1, 2));
	TRY(port_rate(8080, 1, 8));
	TRYC(exhaust(&s443, 2), "port 443 (burst 2): ");
	TRYC(exhaust(&s8080, 8), "port 8080 (burst 8): ");
	TRYC(exhaust(&s80, 5), "port 80 (default burst 5): ");
	TRY(expect_bucket("10.0.0.1", 443, 2, 1, NULL));
	TRY(expect_bucket("10.0.0.1", 8080, 8, 1, NULL));
	TRY(expect_bucket("10.0.0.1", 0, 5, 1, NULL));
	ASSERT(held() == 3, "%d buckets, want 3",
	       held());
	return 0;
}

static int t_port_rate_unlimited(void)
{
	struct spec s22 = SYN("10.0.0.1"), s80 = SYN("10.0.0.1");
	int i;

	s22.dport = 22;
	TRY(port_rate(22, 0, 0));
	for (i = 0; i < 20; i++)
		TRYC(expect(&s22, PASS(XG_R_SYN_BUDGET)), "SYN %d to 22: ",
		     i + 1);
	ASSERT(held() == 0, "pps=0 port made %d buckets",
	       held());
	TRYC(exhaust(&s80, 5), "port 80: ");
	return 0;
}

static int t_default_unlimited(void)
{
	struct spec s80 = SYN("10.0.0.1"), s443 = SYN("10.0.0.1");
	int i;

	s443.dport = 443;
	TRY(set_cfg(0, 0, XG_F_ENABLED, 0));
	TRY(port_rate(443, 1, 1));
	for (i = 0; i < 20; i++)
		TRYC(expect(&s80, PASS(XG_R_SYN_BUDGET)), "SYN %d to 80: ",
		     i + 1);
	TRYC(exhaust(&s443, 1), "port 443: ");
	ASSERT(held() == 1, "%d buckets, want 1",
	       held());
	return 0;
}

/*
 * A rate change applies from the next packet and keeps the bucket: the
 * credit earned so far stays (capped at the new burst), nothing refills.
 */
static int t_live_retune(void)
{
	struct spec s = SYN("10.0.0.1");
	struct xg_bucket b0, b;
	int i;

	for (i = 0; i < 5; i++)
		TRY(expect(&s, PASS(XG_R_SYN_BUDGET)));
	TRY(bucket("10.0.0.1", 0, &b0));
	/* a larger burst does not refill the spent bucket (a new one would) */
	TRY(set_cfg(1, 7, XG_F_ENABLED, 0));
	TRYC(expect(&s, DROP(XG_R_SYN_OVER)), "burst 5 -> 7: ");
	TRY(expect_bucket("10.0.0.1", 0, 5, 1, &b));
	ASSERT(b.first_ns == b0.first_ns && b.credit < NSEC &&
	       b.credit >= b0.credit,
	       "bucket reset: credit %llu -> %llu",
	       (unsigned long long)b0.credit, (unsigned long long)b.credit);
	/* a fast rate refills at once: one tick earns the whole burst */
	TRY(set_cfg(100000000, 5, XG_F_ENABLED, 0));
	next_tick();	/* time moves in ticks of the coarse clock */
	TRYC(expect(&s, PASS(XG_R_SYN_BUDGET)), "pps 1 -> 1e8: ");
	TRY(expect_bucket("10.0.0.1", 0, 6, 1, &b));
	ASSERT(b.credit == 4 * NSEC, "credit %llu after a full refill and "
	       "one SYN, want 4e9", (unsigned long long)b.credit);
	/* back to pps 1, burst 2: the 4 tokens are capped at 2 */
	TRY(set_cfg(1, 2, XG_F_ENABLED, 0));
	TRYC(exhaust(&s, 2), "burst 5 -> 2: ");
	/* burst 5 again: the kept credit was capped, not restored */
	TRY(set_cfg(1, 5, XG_F_ENABLED, 0));
	TRYC(expect(&s, DROP(XG_R_SYN_OVER)), "burst 2 -> 5: ");
	TRY(expect_bucket("10.0.0.1", 0, 8, 3, &b));
	ASSERT(b.first_ns == b0.first_ns, "bucket replaced");
	ASSERT(held() == 1, "%d buckets, want 1",
	       held());
	return 0;
}

/* ---- cases: encapsulation and header variants ---- */

/* Tagged frames share the untagged frames' bucket and verdicts. */
static int tagged(__u16 outer, __u16 inner, const char *src,
		  const char *masked, const char *deny_cidr)
{
	struct spec t = SYN(src), u = SYN(src);
	int i;

	t.tpid[0] = outer;
	t.tpid[1] = inner;
	t.tcpopt = 20;
	for (i = 0; i < 4; i++)
		TRYC(expect(&t, PASS(XG_R_SYN_BUDGET)), "tagged SYN %d: ",
		     i + 1);
	TRYC(expect(&u, PASS(XG_R_SYN_BUDGET)), "untagged SYN 5: ");
	TRYC(expect(&t, DROP(XG_R_SYN_OVER)), "tagged SYN 6: ");
	TRYC(expect(&u, DROP(XG_R_SYN_OVER)), "untagged SYN 7: ");
	TRY(expect_bucket(masked, 0, 5, 2, NULL));
	t.flags = T_ACK;
	TRYC(expect(&t, PASS(XG_R_TCP_NOT_SYN)), "tagged ACK: ");
	t.proto = IPPROTO_UDP;
	TRYC(expect(&t, PASS(XG_R_NOT_TCP)), "tagged UDP: ");
	TRY(deny(deny_cidr, 0));
	t.proto = IPPROTO_TCP;
	t.flags = T_SYN;
	TRYC(expect(&t, DROP(XG_R_DENY)), "tagged SYN, denied: ");
	return 0;
}

static int t_vlan_v4(void)
{
	return tagged(ETH_P_8021Q, 0, "10.0.0.1", "10.0.0.1", "10.0.0.1/32");
}

static int t_qinq_v4(void)
{
	return tagged(ETH_P_8021AD, ETH_P_8021Q, "10.0.0.1", "10.0.0.1",
		      "10.0.0.0/8");
}

static int t_vlan_v6(void)
{
	return tagged(ETH_P_8021Q, 0, "2001:db8:5::1", "2001:db8:5::",
		      "2001:db8:5::1/128");
}

static int t_qinq_v6(void)
{
	return tagged(ETH_P_8021AD, ETH_P_8021Q, "2001:db8:5::1",
		      "2001:db8:5::", "2001:db8::/32");
}

static int t_triple_tag(void)
{
	struct spec s = SYN("10.0.0.1");

	s.tpid[0] = ETH_P_8021AD;
	s.tpid[1] = ETH_P_8021Q;
	s.tpid[2] = ETH_P_8021Q;
	TRYC(expect(&s, DROP(XG_R_MALFORMED)), "SYN, 3 tags: ");
	s = (struct spec){ .arp = true };
	s.tpid[0] = ETH_P_8021Q;
	s.tpid[1] = ETH_P_8021Q;
	s.tpid[2] = ETH_P_8021Q;
	TRYC(expect(&s, DROP(XG_R_MALFORMED)), "ARP, 3 tags: ");
	ASSERT(held() == 0, "a bucket for a malformed frame");
	return 0;
}

/* IHL 6..15: the TCP header is found after the options (port, flags). */
static int t_ipv4_options(void)
{
	char src[32];
	int ihl;

	TRY(port_rate(8080, 1, 1));
	for (ihl = 6; ihl <= 15; ihl++) {
		struct spec s;

		snprintf(src, sizeof(src), "10.0.1.%d", ihl);
		s = SYN(src);
		s.ipopt = (ihl - 5) * 4;
		s.tcpopt = 20;
		s.dport = 8080;
		TRYC(exhaust(&s, 1), "IHL %d: ", ihl);
		TRYC(expect_bucket(src, 8080, 1, 1, NULL), "IHL %d: ", ihl);
		s.flags = T_ACK;
		TRYC(expect(&s, PASS(XG_R_TCP_NOT_SYN)), "IHL %d ACK: ", ihl);
	}
	return 0;
}

static int ext_chain(const char *src, const char *masked, const __u8 *ext,
		     int n)
{
	struct spec s = SYN(src);

	memcpy(s.ext, ext, n);
	s.n_ext = n;
	s.frag = 1;		/* offset 0, more fragments */
	s.tcpopt = 20;
	s.dport = 8080;
	TRY(port_rate(8080, 1, 1));
	TRY(exhaust(&s, 1));
	TRY(expect_bucket(masked, 8080, 1, 1, NULL));
	s.flags = T_ACK;
	TRYC(expect(&s, PASS(XG_R_TCP_NOT_SYN)), "ACK: ");
	s.proto = IPPROTO_UDP;
	TRYC(expect(&s, PASS(XG_R_NOT_TCP)), "UDP: ");
	return 0;
}

static int t_ipv6_ext_chain(void)
{
	static const __u8 ext[] = { EXT_HOP, EXT_ROUTING, EXT_DST, EXT_FRAG };

	return ext_chain("2001:db8:6::1", "2001:db8:6::", ext, sizeof(ext));
}

static int t_ipv6_ah(void)
{
	static const __u8 ext[] = { EXT_HOP, EXT_AH, EXT_DST };

	return ext_chain("2001:db8:7::1", "2001:db8:7::", ext, sizeof(ext));
}

static int t_ipv6_chain_max(void)
{
	__u8 ext[MAX_EXTHDRS];
	int i;

	ext[0] = EXT_HOP;
	for (i = 1; i < MAX_EXTHDRS; i++)
		ext[i] = i == 4 ? EXT_FRAG : EXT_DST;
	return ext_chain("2001:db8:8::1", "2001:db8:8::", ext, MAX_EXTHDRS);
}

static int t_ipv6_chain_too_long(void)
{
	struct spec s = SYN("2001:db8:9::1");
	int i;

	s.ext[0] = EXT_HOP;
	for (i = 1; i <= MAX_EXTHDRS; i++)
		s.ext[i] = EXT_DST;
	s.n_ext = MAX_EXTHDRS + 1;
	TRYC(expect(&s, DROP(XG_R_MALFORMED)), "SYN: ");
	s.flags = T_ACK;
	TRYC(expect(&s, DROP(XG_R_MALFORMED)), "ACK: ");
	return 0;
}

/* Headers that are there but inconsistent: the source is known. */
static int t_inconsistent_headers(void)
{
	struct spec s4 = SYN("10.0.0.1"), s6 = SYN("2001:db8::1");
	struct pkt p;

	build(&s4, &p);
	p.buf[p.l3] = 0x55;			/* version 5 */
	TRYC(expect_raw(p.buf, p.len, DROP(XG_R_MALFORMED)), "version 5: ");
	build(&s4, &p);
	p.buf[p.l3] = 0x44;			/* IHL 4 */
	TRYC(expect_raw(p.buf, p.len, DROP(XG_R_MALFORMED)), "IHL 4: ");
	build(&s4, &p);
	((struct iphdr *)(p.buf + p.l3))->tot_len = htons(19);
	TRYC(expect_raw(p.buf, p.len, DROP(XG_R_MALFORMED)),
	     "tot_len 19: ");
	build(&s4, &p);
	((struct tcphdr *)(p.buf + p.l4))->doff = 4;
	TRYC(expect_raw(p.buf, p.len, DROP(XG_R_MALFORMED)), "doff 4: ");
	s4.tcpopt = 20;
	build(&s4, &p);
	((struct tcphdr *)(p.buf + p.l4))->doff = 15;	/* past the end */
	TRYC(expect_raw(p.buf, p.len, DROP(XG_R_MALFORMED)), "doff 15: ");
	build(&s6, &p);
	p.buf[p.l3] = 0x40;			/* version 4 */
	TRYC(expect_raw(p.buf, p.len, DROP(XG_R_MALFORMED)), "IPv6 v4: ");
	ASSERT(held() == 0, "a bucket for a malformed frame");
	return 0;
}

/* Every cut of a valid SYN is dropped as malformed; the whole one passes. */
static int truncation(const struct spec *s)
{
	struct xg_counter a[XG_C_SLOTS], b[XG_C_SLOTS];
	struct pkt p;
	size_t len;
	int ret;

	TRY(set_cfg(0, 0, XG_F_ENABLED, 0));	/* only parsing can drop */
	build(s, &p);
	for (len = 0; len < p.len; len++) {
		if (len >= ETH_HLEN) {
			TRYC(expect_raw(p.buf, len, DROP(XG_R_MALFORMED)),
			     "cut at %zu of %zu: ", len, p.len);
			continue;
		}
		/* the kernel refuses frames shorter than Ethernet */
		TRY(snap(a));
		ret = run(p.buf, len);
		TRY(snap(b));
		ASSERT(ret == -EINVAL, "cut at %zu: test run gave %d, want "
		       "-EINVAL", len, ret);
		ASSERT(!memcmp(a, b, sizeof(a)), "cut at %zu: counted", len);
	}
	TRYC(expect_raw(p.buf, p.len, PASS(XG_R_SYN_BUDGET)),
	     "whole frame (%zu bytes): ", p.len);
	return 0;
}

static int t_truncated_v4(void)
{
	struct spec s = SYN("10.0.0.1");

	s.ipopt = 12;
	s.tcpopt = 20;
	return truncation(&s);
}

static int t_truncated_v4_vlan(void)
{
	struct spec s = SYN("10.0.0.1");

	s.tpid[0] = ETH_P_8021Q;
	s.ipopt = 8;
	s.tcpopt = 20;
	return truncation(&s);
}

static int t_truncated_v4_qinq(void)
{
	struct spec s = SYN("10.0.0.1");

	s.tpid[0] = ETH_P_8021AD;
	s.tpid[1] = ETH_P_8021Q;
	s.ipopt = 40;
	s.tcpopt = 40;
	return truncation(&s);
}

static int t_truncated_v6_chain(void)
{
	static const __u8 ext[] = { EXT_HOP, EXT_ROUTING, EXT_DST, EXT_FRAG };
	struct spec s = SYN("2001:db8::1");

	memcpy(s.ext, ext, sizeof(ext));
	s.n_ext = sizeof(ext);
	s.frag = 1;
	s.tcpopt = 20;
	return truncation(&s);
}

static int t_truncated_v6_ah_vlan(void)
{
	static const __u8 ext[] = { EXT_HOP, EXT_AH };
	struct spec s = SYN("2001:db8::1");

	s.tpid[0] = ETH_P_8021Q;
	memcpy(s.ext, ext, sizeof(ext));
	s.n_ext = sizeof(ext);
	s.tcpopt = 20;
	return truncation(&s);
}

/* ---- cases: what is not a SYN ---- */

static int not_syn(const char *src)
{
	static const __u8 flags[] = {
		T_ACK, T_SYN | T_ACK, T_RST, T_RST | T_ACK, T_FIN | T_ACK,
	};
	struct spec s = SYN(src);
	unsigned int i;

	TRY(exhaust(&s, 5));
	for (i = 0; i < sizeof(flags); i++) {
		s.flags = flags[i];
		TRYC(expect(&s, PASS(XG_R_TCP_NOT_SYN)), "flags 0x%02x: ",
		     flags[i]);
	}
	ASSERT(held() == 1, "%d buckets, want 1",
	       held());
	s.flags = T_SYN;
	TRYC(expect(&s, DROP(XG_R_SYN_OVER)), "SYN after: ");
	return 0;
}

static int t_not_syn_v4(void)
{
	TRY(not_syn("10.0.0.1"));
	return expect_bucket("10.0.0.1", 0, 5, 2, NULL);
}

static int t_not_syn_v6(void)
{
	TRY(not_syn("2001:db8::1"));
	return expect_bucket("2001:db8::", 0, 5, 2, NULL);
}

static int t_not_tcp(void)
{
	struct spec s4 = SYN("10.0.0.1"), s6 = SYN("2001:db8::1");

	TRY(exhaust(&s4, 5));
	TRY(exhaust(&s6, 5));
	s4.proto = IPPROTO_UDP;
	s4.payload = 32;
	TRYC(expect(&s4, PASS(XG_R_NOT_TCP)), "UDP: ");
	s4.proto = IPPROTO_ICMP;
	TRYC(expect(&s4, PASS(XG_R_NOT_TCP)), "ICMP: ");
	s6.proto = IPPROTO_UDP;
	TRYC(expect(&s6, PASS(XG_R_NOT_TCP)), "UDP6: ");
	s6.proto = EXT_NONE;
	TRYC(expect(&s6, PASS(XG_R_NOT_TCP)), "no next header: ");
	return 0;
}

static int t_not_ip(void)
{
	struct spec s = { .arp = true };

	TRYC(expect(&s, PASS(XG_R_NOT_IP)), "ARP: ");
	s.tpid[0] = ETH_P_8021Q;
	TRYC(expect(&s, PASS(XG_R_NOT_IP)), "tagged ARP: ");
	return 0;
}

/* ---- cases: fragments ---- */

static int t_frag_v4(void)
{
	struct spec s = SYN("10.0.0.1");
	struct pkt p;

	TRY(exhaust(&s, 5));
	s.frag = 185;			/* offset 1480, last */
	s.payload = 100;
	TRYC(expect(&s, PASS(XG_R_FRAGMENT)), "offset 1480: ");
	s.frag = 0x2000 | 2;		/* offset 16, more */
	TRYC(expect(&s, PASS(XG_R_FRAGMENT)), "offset 16: ");
	s.frag = 0x2000 | 1;		/* offset 8: overlaps TCP */
	TRYC(expect(&s, DROP(XG_R_MALFORMED)), "offset 8: ");
	/* first fragment without the whole TCP header */
	s = SYN("10.0.0.2");
	s.frag = 0x2000;
	build(&s, &p);
	p.len = p.l4 + 8;
	finish(&p);
	TRYC(expect_raw(p.buf, p.len, DROP(XG_R_MALFORMED)),
	     "first fragment, 8 bytes of TCP: ");
	/* a first fragment with the header is judged */
	TRYC(exhaust(&s, 5), "first fragments: ");
	return 0;
}

static int t_frag_v6(void)
{
	struct spec s = SYN("2001:db8::1");

	TRY(exhaust(&s, 5));
	s.ext[0] = EXT_FRAG;
	s.n_ext = 1;
	s.frag = 185 << 3;		/* offset 1480, last */
	s.payload = 100;
	TRYC(expect(&s, PASS(XG_R_FRAGMENT)), "offset 1480: ");
	s.frag = 2 << 3 | 1;
	TRYC(expect(&s, PASS(XG_R_FRAGMENT)), "offset 16: ");
	s.proto = IPPROTO_UDP;
	TRYC(expect(&s, PASS(XG_R_FRAGMENT)), "UDP, offset 16: ");
	return 0;
}

/*
 * A non-first fragment whose fragmentable part began with a destination
 * options header (RFC 8200 4.5): what follows is payload, not headers.
 */
static int t_frag_v6_dstopts(void)
{
	struct spec s = SYN("2001:db8::1");

	s.ext[0] = EXT_HOP;
	s.ext[1] = EXT_FRAG;
	s.n_ext = 2;
	s.frag = 100 << 3;
	s.proto = EXT_DST;
	s.payload = 64;
	s.fill = 0;		/* reads as a chain of 8-byte HOP headers */
	TRYC(expect(&s, PASS(XG_R_FRAGMENT)), "zero payload: ");
	s.fill = 0xff;
	TRYC(expect(&s, PASS(XG_R_FRAGMENT)), "0xff payload: ");
	return 0;
}

/* ---- cases: allow and deny ---- */

static int t_allow_beats_deny(void)
{
	struct spec s = SYN("10.0.0.5"), s6 = SYN("2001:db8:1::5");
	struct pkt p;
	int i;

	TRY(allow("10.0.0.5/32"));
	TRY(deny("10.0.0.0/24", 0));
	TRY(allow("2001:db8:1::/48"));
	TRY(deny("2001:db8:1::/64", 0));
	for (i = 0; i < 8; i++) {
		TRYC(expect(&s, PASS(XG_R_ALLOW)), "SYN %d: ", i + 1);
		TRYC(expect(&s6, PASS(XG_R_ALLOW)), "SYN6 %d: ", i + 1);
	}
	s.flags = T_ACK;
	TRYC(expect(&s, PASS(XG_R_ALLOW)), "ACK: ");
	s.flags = T_SYN;
	build(&s, &p);
	((struct tcphdr *)(p.buf + p.l4))->doff = 4;
	TRYC(expect_raw(p.buf, p.len, PASS(XG_R_ALLOW)), "bad TCP: ");
	ASSERT(allow_hits("10.0.0.5/32") == 10, "allow hits %llu, want 10",
	       (unsigned long long)allow_hits("10.0.0.5/32"));
	ASSERT(allow_hits("2001:db8:1::/48") == 8, "allow6 hits %llu, want 8",
	       (unsigned long long)allow_hits("2001:db8:1::/48"));
	ASSERT(deny_hits("10.0.0.0/24") == 0, "deny hit for an allowed one");
	ASSERT(deny_hits("2001:db8:1::/64") == 0, "deny6 hit, allowed one");
	ASSERT(held() == 0, "allowed SYNs made a bucket");
	return 0;
}

static int t_deny_everything(void)
{
	struct spec s = SYN("10.0.0.9"), s6 = SYN("2001:db8:2::9");
	struct pkt p;

	TRY(deny("10.0.0.0/24", 0));
	TRY(deny("2001:db8:2::/64", 0));
	TRYC(expect(&s, DROP(XG_R_DENY)), "SYN: ");
	s.flags = T_ACK;
	TRYC(expect(&s, DROP(XG_R_DENY)), "ACK: ");
	s.proto = IPPROTO_UDP;
	TRYC(expect(&s, DROP(XG_R_DENY)), "UDP: ");
	s.proto = IPPROTO_TCP;
	s.frag = 100;
	TRYC(expect(&s, DROP(XG_R_DENY)), "fragment: ");
	s = SYN("10.0.0.9");
	build(&s, &p);
	((struct tcphdr *)(p.buf + p.l4))->doff = 4;
	TRYC(expect_raw(p.buf, p.len, DROP(XG_R_DENY)), "bad TCP: ");
	TRYC(expect(&s6, DROP(XG_R_DENY)), "SYN6: ");
	s6.proto = IPPROTO_UDP;
	TRYC(expect(&s6, DROP(XG_R_DENY)), "UDP6: ");
	ASSERT(deny_hits("10.0.0.0/24") == 5, "deny hits %llu, want 5",
	       (unsigned long long)deny_hits("10.0.0.0/24"));
	ASSERT(deny_hits("2001:db8:2::/64") == 2, "deny6 hits %llu, want 2",
	       (unsigned long long)deny_hits("2001:db8:2::/64"));
	s = SYN("10.0.1.9");
	TRYC(expect(&s, PASS(XG_R_SYN_BUDGET)), "outside the /24: ");
	ASSERT(held() == 1, "denied SYNs made a bucket");
	return 0;
}

static int t_deny_expiry(void)
{
	struct spec s = SYN("10.0.0.9"), s6 = SYN("2001:db8:2::9");
	__u64 now = mono_ns();

	TRY(deny("10.0.0.9/32", now - NSEC));
	TRY(deny("2001:db8:2::9/128", now - 1));
	TRYC(expect(&s, PASS(XG_R_SYN_BUDGET)), "expired: ");
	TRYC(expect(&s6, PASS(XG_R_SYN_BUDGET)), "expired6: ");
	ASSERT(deny_hits("10.0.0.9/32") == 0, "an expired entry got a hit");
	TRY(deny("10.0.0.9/32", now + 60 * NSEC));
	TRY(deny("2001:db8:2::9/128", now + 60 * NSEC));
	TRYC(expect(&s, DROP(XG_R_DENY)), "expires in 60 s: ");
	TRYC(expect(&s6, DROP(XG_R_DENY)), "expires6 in 60 s: ");
	ASSERT(deny_hits("10.0.0.9/32") == 1, "deny hits %llu, want 1",
	       (unsigned long long)deny_hits("10.0.0.9/32"));
	return 0;
}

/*
 * The program's clock is CLOCK_MONOTONIC_COARSE read from jiffies
 * (bpf/lib/clock.h): its first read takes the constant, every later one
 * is jiffies x tick + it. A new source's first SYN stamps the first level
 * with the program's time; over ~200 ms each stamp
 * lies between the coarse clock read before the run less two ticks (the
 * constant may be a tick short, and the coarse clock steps on its
 * clocksource's interval, not on jiffies' grid) and the one read after
 * it plus a tick. A wrong tick drifts out of that (HZ=300's for 250's:
 * 33 ms behind after 200 ms); a constant not taken
 * leaves every read to the helper (xg_clock_off stays 0), which is right
 * only where libbpf finds no kernel config (CONFIG_HZ 0).
 */
static int t_clock_from_jiffies(void)
{
	static const __u64 ticks[] = { 10000000, 4000000, 3333333, 1000000 };
	static const int hz[] = { 100, 250, 300, 1000 };
	struct xg_bucket b;
	__u64 tick = 0, before, after;
	char src[32];
	struct spec s;
	unsigned int i;

	for (i = 0; i < sizeof(hz) / sizeof(hz[0]); i++)
		if (E.skel->kconfig->CONFIG_HZ == hz[i])
			tick = ticks[i];
	TRY(set_cfg(1000, 1000, XG_F_ENABLED, 0));
	E.skel->bss->xg_clock_off = 0;
	for (i = 0; i < 20; i++) {
		snprintf(src, sizeof(src), "198.18.90.%u", i + 1);
		s = SYN(src);
		before = mono_ns();
		TRYC(expect(&s, PASS(XG_R_SYN_BUDGET)), "%s: ", src);
		after = mono_ns();
		/* no kernel config for libbpf (CONFIG_HZ 0): the helper's */
		ASSERT(!E.skel->bss->xg_clock_off == !tick, "run %u: "
		       "CONFIG_HZ %d, the clock's constant %llu", i,
		       E.skel->kconfig->CONFIG_HZ,
		       (unsigned long long)E.skel->bss->xg_clock_off);
		TRY(bucket(src, 0, &b));
		ASSERT(b.first_ns + 2 * tick >= before &&
		       b.first_ns <= after + tick,
		       "run %u: the program's time %llu is outside [%llu - 2 "
		       "ticks, %llu + 1] (tick %llu)", i,
		       (unsigned long long)b.first_ns,
		       (unsigned long long)before, (unsigned long long)after,
		       (unsigned long long)tick);
		usleep(10000);
	}
	return 0;
}

/*
 * Where libbpf finds no kernel config, xdpguard opens its objects with
 * xg_kconfig()'s CONFIG_HZ=0 (libbpf refuses them otherwise): the program
 * loads, never takes the constant, and its time is the coarse clock's,
 * read with the helper, between the reads before and after the run.
 */
static int t_clock_without_kernel_config(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kconfig = "CONFIG_HZ=0\n");
	struct xg_config c = { .rate = { 1000, 1000 }, .flags = XG_F_ENABLED };
	struct spec sp = SYN("198.18.91.1");
	struct xdp_guard_bpf *g = xdp_guard_bpf__open_opts(&oo);
	struct xg_src_hot *hot = MAP_FAILED;
	__u64 before, after, t = 0;
	struct prog_res r;
	struct pkt p;
	__u32 zero = 0, i, n = 0;
	int err = -1;

	if (!g)
		return fail("cannot open the skeleton: %s", strerror(errno));
	if (xdp_guard_bpf__load(g)) {
		fail("CONFIG_HZ=0: cannot load: %s", strerror(errno));
		goto out;
	}
	n = bpf_map__max_entries(g->maps.xg_src_hot);
	hot = mmap(NULL, (size_t)n * sizeof(*hot), PROT_READ, MAP_SHARED,
		   bpf_map__fd(g->maps.xg_src_hot), 0);
	if (hot == MAP_FAILED) {
		fail("cannot map xg_src_hot: %s", strerror(errno));
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(g->maps.xg_config), &zero, &c,
				BPF_ANY)) {
		fail("cannot write xg_config: %s", strerror(errno));
		goto out;
	}
	build(&sp, &p);
	before = mono_ns();
	if (prog_run_ctx(bpf_program__fd(g->progs.xdpguard), p.buf, p.len,
			 NULL, 0, 1, NULL, &r) || r.retval != XDP_PASS) {
		fail("the SYN's run: retval %d, want XDP_PASS", r.retval);
		goto out;
	}
	after = mono_ns();
	for (i = 0; i < n; i++)
		t = hot[i].t ? hot[i].t : t;
	if (g->kconfig->CONFIG_HZ || g->bss->xg_clock_off) {
		fail("CONFIG_HZ %d, the clock's constant %llu: want 0, 0",
		     g->kconfig->CONFIG_HZ,
		     (unsigned long long)g->bss->xg_clock_off);
		goto out;
	}
	if (t < before || t > after) {
		fail("the program's time %llu is outside [%llu, %llu]",
		     (unsigned long long)t, (unsigned long long)before,
		     (unsigned long long)after);
		goto out;
	}
	err = 0;
out:
	if (hot != MAP_FAILED)
		munmap(hot, (size_t)n * sizeof(*hot));
	xdp_guard_bpf__destroy(g);
	return err;
}

/*
 * Entries shorter than the filter's first bits (24 IPv4, 48 IPv6) set
 * every bit their prefix reaches, and those more than 16 bits shorter set
 * all: each still denies what it covers, and nothing more.
 */
static int t_list_filter_short_prefixes(void)
{
	struct spec in = SYN("198.18.70.1"), out = SYN("198.18.80.1");
	struct spec in6 = SYN("2001:db8:7f:1::1"), out6 = SYN("2001:db8:80::1");
	struct spec s;

	TRY(deny("198.18.64.0/20", 0));
	TRY(deny("2001:db8:40::/42", 0));
	TRYC(expect(&in, DROP(XG_R_DENY)), "in the /20: ");
	TRYC(expect(&out, PASS(XG_R_SYN_BUDGET)), "outside the /20: ");
	TRYC(expect(&in6, DROP(XG_R_DENY)), "in the /42: ");
	TRYC(expect(&out6, PASS(XG_R_SYN_BUDGET)), "outside the /42: ");
	TRY(deny("198.0.0.0/7", 0));
	s = SYN("199.255.0.1");
	TRYC(expect(&s, DROP(XG_R_DENY)), "in the /7: ");
	TRY(deny("2001:db8::/32", 0));
	s = SYN("2001:db8:ffff::1");
	TRYC(expect(&s, DROP(XG_R_DENY)), "in the /32: ");
	TRY(deny("2001::/16", 0));
	s = SYN("2001:db9::1");
	TRYC(expect(&s, DROP(XG_R_DENY)), "in the /16: ");
	s = SYN("2002::1");
	TRYC(expect(&s, PASS(XG_R_SYN_BUDGET)), "outside the /16: ");
	return 0;
}

/* a random address of @family under @plen bits of @base (network order) */
static void addr_under(int family, __u32 plen, const __u32 *base, __u32 *a,
		       unsigned int *seed)
{
	int words = family == 4 ? 1 : 4, i;
	__u32 m;

	for (i = 0; i < words; i++) {
		if (plen >= 32 * (__u32)(i + 1))
			m = ~0U;
		else if (plen > 32 * (__u32)i)
			m = ~0U << (32 * (i + 1) - plen);
		else
			m = 0;
		a[i] = (base[i] & htonl(m)) | (htonl(~m) & (__u32)rand_r(seed));
	}
}

/*
 * The filters are a superset of the lists: 400 random entries a family,
 * of prefix lengths that set at most 64 and 256 bits each (18-32 IPv4,
 * 40-128 IPv6; shorter ones: list_filter_short_prefixes),
 * and 16 random sources under each: every one's bit is set, and the
 * filters stay far from full (the test would say nothing if they were).
 */
static void random_entry(int fam, unsigned int *seed, __u32 *plen, __u32 *a)
{
	__u32 b[4];
	int j;

	for (j = 0; j < 4; j++)
		b[j] = (__u32)rand_r(seed) ^ (__u32)rand_r(seed) << 16;
	*plen = fam == 4 ? 18 + (__u32)rand_r(seed) % 15 :
			   40 + (__u32)rand_r(seed) % 89;
	addr_under(fam, *plen, b, a, seed);
}

static int t_list_filter_superset(void)
{
	static struct xg_list_filter f[2];
	unsigned int es = 7, ps = 11;
	struct xg_deny_val v = {};
	struct xg_lpm6 k6 = {};
	struct xg_lpm4 k4;
	__u32 a[4], e[4], plen, bit, set;
	int i, j, fam;

	for (fam = 4; fam <= 6; fam += 2)
		for (i = 0; i < 400; i++) {
			random_entry(fam, &es, &plen, e);
			v.prefixlen = plen;
			if (fam == 4) {
				k4.prefixlen = plen;
				k4.addr = e[0];
				TRY(bpf_map_update_elem(E.deny4, &k4, &v,
							BPF_ANY));
			} else {
				k6.prefixlen = plen;
				memcpy(k6.addr, e, 16);
				TRY(bpf_map_update_elem(E.deny6, &k6, &v,
							BPF_ANY));
			}
		}
	if (xg_list_filter_build(E.deny4, 4, &f[0]) ||
	    xg_list_filter_build(E.deny6, 6, &f[1]))
		return fail("cannot build the filters: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		ASSERT(f[i].built, "filter %d not marked built", i);
		for (set = 0, j = 0; j < XG_LF_BITS / 64; j++)
			set += __builtin_popcountll(f[i].w[j]);
		ASSERT(set < XG_LF_BITS / 2, "filter %d has %u of %u bits set",
		       i, set, XG_LF_BITS);
	}
	es = 7;
	for (fam = 4; fam <= 6; fam += 2)
		for (i = 0; i < 400; i++) {
			random_entry(fam, &es, &plen, e);
			for (j = 0; j < 16; j++) {
				addr_under(fam, plen, e, a, &ps);
				bit = fam == 4 ? xg_lf_bit4(a[0]) :
						 xg_lf_bit6(a);
				ASSERT((f[fam == 6].w[bit / 64] >> (bit % 64)) & 1,
				       "IPv%d entry %d (/%u): a source under "
				       "it has its bit clear", fam, i, plen);
			}
		}
	return 0;
}

/*
 * The program trusts a built filter: an entry put in a list behind
 * xdpguard's back does not apply until the filter is rebuilt (status says
 * so, lists_filter_stale); a filter not built leaves every lookup on.
 */
static int t_list_filter_in_step(void)
{
	struct spec s = SYN("198.18.5.5"), t = SYN("198.18.6.6");
	struct spec u = SYN("198.18.7.7");
	struct xg_list_filter f = {};
	struct xg_deny_val v = { .prefixlen = 32 };
	struct xg_allow_val av = {};
	struct xg_lpm4 k = { .prefixlen = 32 };
	__u32 l = XG_L_DENY4;

	inet_pton(AF_INET, "198.18.5.5", &k.addr);
	TRY(bpf_map_update_elem(E.deny4, &k, &v, BPF_ANY));
	TRYC(expect(&s, PASS(XG_R_SYN_BUDGET)), "behind the filter: ");
	TRY(lists_built());
	TRYC(expect(&s, DROP(XG_R_DENY)), "rebuilt: ");
	TRY(bpf_map_lookup_elem(E.list_bits, &l, &f));
	ASSERT(f.built == 1 && f.entries == 1, "filter built %u from %u "
	       "entries, want 1 and 1", f.built, f.entries);
	memset(&f, 0, sizeof(f));
	TRY(bpf_map_update_elem(E.list_bits, &l, &f, BPF_ANY));
	inet_pton(AF_INET, "198.18.6.6", &k.addr);
	TRY(bpf_map_update_elem(E.deny4, &k, &v, BPF_ANY));
	TRYC(expect(&t, DROP(XG_R_DENY)), "no filter built: ");
	/* the allow list's filter likewise */
	TRY(deny("198.18.7.0/24", 0));
	inet_pton(AF_INET, "198.18.7.7", &k.addr);
	TRY(bpf_map_update_elem(E.allow4, &k, &av, BPF_ANY));
	TRYC(expect(&u, DROP(XG_R_DENY)), "allow behind the filter: ");
	TRY(lists_built());
	TRYC(expect(&u, PASS(XG_R_ALLOW)), "allow rebuilt: ");
	return 0;
}

/* An expired entry is stepped over to the broader live one. */
static int t_deny_expired_inside_live(void)
{
	struct spec s = SYN("10.0.0.9"), s6 = SYN("2001:db8:2::9");
	__u64 past = mono_ns() - NSEC;

	TRY(deny("10.0.0.0/24", 0));
	TRY(deny("10.0.0.8/29", past));
	TRY(deny("10.0.0.9/32", past));
	TRY(deny("2001:db8:2::/64", 0));
	TRY(deny("2001:db8:2::9/128", past));
	TRYC(expect(&s, DROP(XG_R_DENY)), "v4: ");
	TRYC(expect(&s6, DROP(XG_R_DENY)), "v6: ");
	ASSERT(deny_hits("10.0.0.0/24") == 1 && deny_hits("10.0.0.9/32") == 0
	       && deny_hits("10.0.0.8/29") == 0,
	       "hits /24 %llu /29 %llu /32 %llu, want 1 0 0",
	       (unsigned long long)deny_hits("10.0.0.0/24"),
	       (unsigned long long)deny_hits("10.0.0.8/29"),
	       (unsigned long long)deny_hits("10.0.0.9/32"));
	ASSERT(deny_hits("2001:db8:2::/64") == 1, "/64 hits %llu, want 1",
	       (unsigned long long)deny_hits("2001:db8:2::/64"));
	return 0;
}

/* ---- cases: modes, counters, events ---- */

static int t_dry_run(void)
{
	struct spec s = SYN("10.0.0.1"), d = SYN("10.0.0.9");
	int i;

	TRY(set_cfg(1, 5, XG_F_ENABLED | XG_F_DRY_RUN, 0));
	TRY(deny("10.0.0.9/32", 0));
	for (i = 0; i < 5; i++)
		TRY(expect(&s, PASS(XG_R_SYN_BUDGET)));
	TRYC(expect(&s, WOULD(XG_R_SYN_OVER)), "SYN 6: ");
	TRYC(expect(&s, WOULD(XG_R_SYN_OVER)), "SYN 7: ");
	TRYC(expect(&d, WOULD(XG_R_DENY)), "denied SYN: ");
	d.proto = IPPROTO_UDP;
	TRYC(expect(&d, WOULD(XG_R_DENY)), "denied UDP: ");
	s.tpid[0] = s.tpid[1] = s.tpid[2] = ETH_P_8021Q;
	TRYC(expect(&s, WOULD(XG_R_MALFORMED)), "3 tags: ");
	TRY(expect_bucket("10.0.0.1", 0, 5, 2, NULL));
	ASSERT(deny_hits("10.0.0.9/32") == 2, "deny hits %llu, want 2",
	       (unsigned long long)deny_hits("10.0.0.9/32"));
	ASSERT(counter(XG_V_DROP, XG_R_SYN_OVER) == 0 &&
	       counter(XG_V_DROP, XG_R_DENY) == 0, "drops counted");
	return 0;
}

static int t_disabled(void)
{
	struct xg_counter c[XG_C_SLOTS], zero[XG_C_SLOTS] = {};
	struct spec s = SYN("10.0.0.1"), d = SYN("10.0.0.9");
	struct pkt p;
	int i;

	TRY(set_cfg(1, 1, XG_F_DRY_RUN, 1));
	TRY(deny("10.0.0.9/32", 0));
	build(&s, &p);
	for (i = 0; i < 10; i++)
		ASSERT(run(p.buf, p.len) == XDP_PASS, "SYN %d not passed",
		       i + 1);
	build(&d, &p);
	ASSERT(run(p.buf, p.len) == XDP_PASS, "denied SYN not passed");
	s.tpid[0] = s.tpid[1] = s.tpid[2] = ETH_P_8021Q;
	build(&s, &p);
	ASSERT(run(p.buf, p.len) == XDP_PASS, "malformed frame not passed");
	TRY(snap(c));
	ASSERT(!memcmp(c, zero, sizeof(c)), "counters moved");
	ASSERT(held() == 0, "buckets made");
	ASSERT(deny_hits("10.0.0.9/32") == 0, "deny hit counted");
	ASSERT(events() == 0, "%d events", nev);
	return 0;
}

static int t_counter_bytes(void)
{
	struct spec syn = SYN("10.0.0.1"), udp = SYN("2001:db8::1");
	struct spec arp = { .arp = true };
	struct pkt p;

	syn.payload = 100;
	udp.proto = IPPROTO_UDP;
	udp.payload = 1400;
	TRYC(expect(&syn, PASS(XG_R_SYN_BUDGET)), "SYN+100: ");
	TRYC(expect(&udp, PASS(XG_R_NOT_TCP)), "UDP 1400: ");
	TRYC(expect(&arp, PASS(XG_R_NOT_IP)), "ARP: ");
	build(&arp, &p);
	TRYC(expect_raw(p.buf, ETH_HLEN, PASS(XG_R_NOT_IP)), "bare Ethernet: ");
	return 0;
}

/* A mix of frames: the verdict x reason matrix moves by one per frame. */
static int t_counted_once(void)
{
	struct xg_counter a[XG_C_SLOTS], b[XG_C_SLOTS];
	struct spec mix[8];
	__u64 pk = 0, by = 0, bytes = 0;
	struct pkt p;
	int i, j, n = 0;

	TRY(deny("10.0.0.9/32", 0));
	TRY(allow("10.0.0.5/32"));
	mix[0] = SYN("10.0.0.1");
	mix[1] = SYN("2001:db8::1");
	mix[2] = SYN("10.0.0.9");
	mix[3] = SYN("10.0.0.5");
	mix[4] = SYN("10.0.0.1");
	mix[4].flags = T_ACK;
	mix[5] = SYN("10.0.0.1");
	mix[5].proto = IPPROTO_UDP;
	mix[6] = (struct spec){ .arp = true };
	mix[7] = SYN("10.0.0.1");
	mix[7].tpid[0] = mix[7].tpid[1] = mix[7].tpid[2] = ETH_P_8021Q;
	TRY(snap(a));
	for (j = 0; j < 3; j++) {
		for (i = 0; i < 8; i++) {
			build(&mix[i], &p);
			ASSERT(run(p.buf, p.len) >= 0, "run failed");
			bytes += p.len;
			n++;
		}
	}
	TRY(snap(b));
	for (i = 0; i < XG_COUNTERS_MAX; i++) {
		pk += b[i].packets - a[i].packets;
		by += b[i].bytes - a[i].bytes;
	}
	ASSERT(pk == (__u64)n && by == bytes,
	       "%llu frames, %llu bytes counted, want %d, %llu",
	       (unsigned long long)pk, (unsigned long long)by, n,
	       (unsigned long long)bytes);
	return 0;
}

static int check_throttle(const struct xg_event *e, __u8 family,
			  const char *masked, __u16 dport, __u32 pps,
			  __u32 burst, __u32 rate, __u64 count, __u64 t0,
			  __u64 t1)
{
	__u32 addr[4];

	parse_addr(masked, addr);
	ASSERT(e->type == XG_EV_THROTTLE, "event type %u, want THROTTLE",
	       e->type);
	ASSERT(e->family == family && !memcmp(e->saddr, addr, 16),
	       "event source is not %s", masked);
	ASSERT(e->prefixlen == (family == 4 ? 32 : 64),
	       "event prefixlen %u", e->prefixlen);
	ASSERT(e->dport == dport, "event dport %u, want %u", e->dport, dport);
	ASSERT(e->throttle.pps == pps && e->throttle.burst == burst,
	       "event budget %u/%u, want %u/%u", e->throttle.pps,
	       e->throttle.burst, pps, burst);
	ASSERT(e->throttle.rate == rate, "event rate %u, want %u",
	       e->throttle.rate, rate);
	ASSERT(e->throttle.dropped == count, "event count %llu, want %llu",
	       (unsigned long long)e->throttle.dropped,
	       (unsigned long long)count);
	ASSERT(e->ts_ns >= t0 && e->ts_ns <= t1,
	       "event time %llu outside [%llu, %llu]",
	       (unsigned long long)e->ts_ns, (unsigned long long)t0,
	       (unsigned long long)t1);
	return 0;
}

/* ---- the source table: a hashed array of slots (docs/sources.md) ---- */

/* An IPv4 /32 other than @src whose default-budget slot is @src's. */
static int collider(const char *src, char *out, size_t sz)
{
	struct xg_bucket_key a = { .family = 4 }, b = { .family = 4 };
	__u32 i, want;

	parse_addr(src, a.addr);
	want = slot_of(&a);
	for (i = 1; i < 1U << 24; i++) {
		b.addr[0] = htonl(0x0a000000 | i);	/* 10.0.0.0/8 */
		if (b.addr[0] != a.addr[0] && slot_of(&b) == want) {
			inet_ntop(AF_INET, b.addr, out, sz);
			return 0;
		}
	}
	return fail("no source shares %s's slot in 10.0.0.0/8", src);
}

/* One SYN from IPv4 @saddr (network order) through @p: the XDP verdict. */
static int syn_from(struct pkt *p, __u32 saddr)
{
	int ret;

	memcpy(p->buf + p->l3 + 12, &saddr, 4);
	npkt++;
	if (prog_ns(E.prog, p, 1, &ret) < 0)
		return fail("test run failed: %s", strerror(errno));
	return ret;
}

/*
 * Memory is what docs/sources.md says: an array of 128-byte slots, a
 * power of two of them, fixed at load; no SYN adds an entry. 200000
 * distinct sources through 65536 slots: every first SYN gets its own
 * budget (as it would in a table of its own), no slot is ever added, the
 * kernel's memory account does not move, and every slot ends held.
 */
static int t_src_table_fixed(void)
{
	struct spec sp = SYN("10.0.0.1");
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), i;
	struct xg_counter c[XG_C_SLOTS];
	__u64 m0, m1, passed, hot;
	struct pkt p;
	__u32 n;
	int ret;

	ASSERT(!bpf_obj_get_info_by_fd(E.buckets, &mi, &len),
	       "map info: %s", strerror(errno));
	ASSERT(mi.type == BPF_MAP_TYPE_ARRAY && mi.value_size == 128 &&
	       sizeof(struct xg_bucket) == 128 && mi.key_size == 4,
	       "xg_buckets type %u key %u value %u, want an array of 128-byte "
	       "slots", mi.type, mi.key_size, mi.value_size);
	ASSERT(mi.max_entries == XG_DEFAULT_SOURCES &&
	       !(mi.max_entries & (mi.max_entries - 1)),
	       "%u slots, want %u (a power of two)", mi.max_entries,
	       XG_DEFAULT_SOURCES);
	m0 = xg_fd_memlock(E.buckets);
	ASSERT(m0 >= 128ULL * mi.max_entries &&
	       m0 <= 128ULL * mi.max_entries + (64 << 10),
	       "memlock %llu, want 128 x %u slots (+ at most 64 KiB)",
	       (unsigned long long)m0, mi.max_entries);
	hot = xg_fd_memlock(bpf_map__fd(E.skel->maps.xg_src_hot));
	ASSERT(sizeof(struct xg_src_hot) == 16 &&
	       bpf_map__max_entries(E.skel->maps.xg_src_hot) == mi.max_entries &&
	       hot >= 16ULL * mi.max_entries &&
	       hot <= 16ULL * mi.max_entries + (64 << 10),
	       "xg_src_hot memlock %llu, want 16 x %u slots (+ at most 64 KiB)",
	       (unsigned long long)hot, mi.max_entries);
	build(&sp, &p);
	for (i = 0; i < 200000; i++) {
		ret = syn_from(&p, htonl(0x0a000000 |
					    ((i * 2654435761U) & 0xffffff)));
		ASSERT(ret == XDP_PASS, "new source %u: verdict %d, want pass",
		       i, ret);
	}
	TRY(snap(c));
	passed = c[XG_COUNTER_IDX(XG_V_PASS, XG_R_SYN_BUDGET)].packets;
	ASSERT(passed == 200000, "%llu of 200000 first SYNs passed",
	       (unsigned long long)passed);
	m1 = xg_fd_memlock(E.buckets);
	ASSERT(m1 == m0, "memlock moved: %llu -> %llu",
	       (unsigned long long)m0, (unsigned long long)m1);
	/* every source sent one SYN: the first level alone took them */
	for (i = 0, n = 0; i < E.nslots; i++)
		n += !!E.slots[i].key.family;
	ASSERT(n == 0, "%u slots of xg_buckets written by first SYNs, want 0",
	       n);
	/* 200000 throws into 65536 slots leave about e^-3 of them empty */
	ASSERT(held() > 60000 && (__u32)held() <= mi.max_entries,
	       "%d slots held after 200000 sources, want 60000..%u", held(),
	       mi.max_entries);
	npkt = 0;
	return 0;
}

/*
 * The two levels: a source's SYNs live in xg_src_hot alone, as its
 * bucket's debt, while that is at most XG_HOT_DEBT_MAX (4 SYNs); the SYN
 * past it moves the slot into xg_buckets with the debt charged (at pps 1
 * nothing refills during the case: burst 5 less 5 SYNs).
 */
static int t_debt_past_four_moves_to_buckets(void)
{
	struct xg_bucket_key k = { .family = 4 };
	struct spec a = SYN("10.7.0.5");
	struct xg_bucket b;
	__u32 slot, debt, i;

	parse_addr("10.7.0.5", k.addr);
	slot = slot_of(&k);
	for (i = 1; i <= 4; i++) {
		TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
		debt = E.hot[slot].debt & XG_HOT_DEBT;
		ASSERT(E.hot[slot].t && E.hot[slot].t != XG_HOT_FULL &&
		       E.hot[slot].check == slot_check(&k) &&
		       debt <= i * XG_HOT_SYN && debt + 64 >= i * XG_HOT_SYN &&
		       !(E.hot[slot].debt & XG_HOT_BUSY) == (i == 1) &&
		       !E.slots[slot].key.family, "SYN %d: first level t %llx "
		       "check %x debt %#x, xg_buckets family %u; want the "
		       "SYN's time, its check, %d SYNs owed (busy from the "
		       "second), nothing", (int)i,
		       (unsigned long long)E.hot[slot].t,
		       E.hot[slot].check, E.hot[slot].debt,
		       E.slots[slot].key.family, (int)i);
	}
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	ASSERT(E.hot[slot].t == XG_HOT_FULL, "five SYNs: first level t %llx",
	       (unsigned long long)E.hot[slot].t);
	TRY(expect_bucket("10.7.0.5", 0, 5, 0, &b));
	ASSERT(b.win_syns == 5 && b.credit < NSEC / 10,
	       "moved: win_syns %u, credit %llu (want none left)",
	       b.win_syns, (unsigned long long)b.credit);
	TRY(exhaust(&a, 0));
	TRY(expect_bucket("10.7.0.5", 0, 5, 1, NULL));
	ASSERT(held() == 1, "%d slots held, want 1", held());
	return 0;
}

/*
 * A source that sends no faster than its pps (its bucket full again at
 * its next SYN) stays in the first level: after that SYN it is exactly a
 * holder of one SYN sent then. Its bucket is then the full one less one
 * SYN: at pps 1 burst 5, 4 more pass and the fifth is dropped (the first
 * of them moves it into xg_buckets, which counts from the refilled SYN).
 */
static int t_refilled_holder_stays_first_level(void)
{
	struct xg_bucket_key k = { .family = 4 };
	struct spec a = SYN("10.7.0.7");
	__u32 slot;
	__u64 t1;

	parse_addr("10.7.0.7", k.addr);
	slot = slot_of(&k);
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	/* 2 s ago at pps 1: one SYN's worth refilled, the bucket is full */
	E.hot[slot].t -= 2 * NSEC;
	t1 = E.hot[slot].t;
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	ASSERT(E.hot[slot].t != XG_HOT_FULL && E.hot[slot].t > t1 &&
	       !E.slots[slot].key.family, "refilled, SYN 2: first level t "
	       "%llx (was %llx), xg_buckets family %u; want it still in the "
	       "first level, sent now", (unsigned long long)E.hot[slot].t,
	       (unsigned long long)t1, E.slots[slot].key.family);
	TRY(exhaust(&a, 4));
	ASSERT(E.hot[slot].t == XG_HOT_FULL, "a spent its burst: not moved");
	TRY(expect_bucket("10.7.0.7", 0, 5, 1, NULL));
	ASSERT(held() == 1, "%d slots held, want 1", held());
	return 0;
}

/*
 * Taking turns on a refilled bucket: the holder before taking the slot
 * back gets "the credit left", which is a full bucket by then, so the
 * first level settles it like any new holder.
 */
static int t_turns_on_refilled_bucket_first_level(void)
{
	struct xg_bucket_key k = { .family = 4 };
	struct spec a = SYN("10.7.0.8"), b;
	char other[INET_ADDRSTRLEN];
	__u32 slot, bcheck;

	parse_addr("10.7.0.8", k.addr);
	slot = slot_of(&k);
	TRY(collider("10.7.0.8", other, sizeof(other)));
	b = (struct spec)SYN(other);
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	TRY(expect(&b, PASS(XG_R_SYN_BUDGET)));
	bcheck = E.hot[slot].check;
	E.hot[slot].t -= 2 * NSEC;	/* b's bucket full again at pps 1 */
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	ASSERT(E.hot[slot].t != XG_HOT_FULL && !E.slots[slot].key.family &&
	       E.hot[slot].check == slot_check(&k) &&
	       E.hot[slot].prev_check == (__u16)bcheck &&
	       (E.hot[slot].debt & XG_HOT_DEBT) == XG_HOT_SYN,
	       "a back on a full bucket: "
	       "first level t %llx check %x prev %x, xg_buckets family %u",
	       (unsigned long long)E.hot[slot].t, E.hot[slot].check,
	       E.hot[slot].prev_check, E.slots[slot].key.family);
	TRY(exhaust(&a, 4));
	ASSERT(held() == 1, "%d slots held, want 1", held());
	return 0;
}

/*
 * A host's history does not keep a later flood off the first level: a
 * newcomer that takes a slot of xg_buckets with a fresh bucket (the
 * holder idle long enough to be full) moves the slot back to xg_src_hot
 * and clears it in xg_buckets; the next newcomer there costs the first
 * level alone again.
 */
static int t_idle_holder_slot_back_to_first_level(void)
{
	struct xg_bucket_key k = { .family = 4 };
	struct spec a = SYN("10.7.0.6"), b;
	char other[INET_ADDRSTRLEN];
	__u32 slot;

	parse_addr("10.7.0.6", k.addr);
	slot = slot_of(&k);
	TRY(collider("10.7.0.6", other, sizeof(other)));
	b = (struct spec)SYN(other);
	for (int i = 0; i < 5; i++)
		TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	ASSERT(E.hot[slot].t == XG_HOT_FULL, "a's 5 SYNs: not in xg_buckets");
	/* a idle for 10 s at pps 1 burst 5: its bucket is full */
	E.slots[slot].refill_ns -= 10 * NSEC;
	TRY(expect(&b, PASS(XG_R_SYN_BUDGET)));
	ASSERT(E.hot[slot].t != XG_HOT_FULL && E.hot[slot].t &&
	       !E.slots[slot].key.family && E.hot[slot].prev_check ==
	       (__u16)slot_check(&k), "b took the idle slot: first level t %llx, "
	       "xg_buckets family %u, prev_check %x (want a's %x)",
	       (unsigned long long)E.hot[slot].t, E.slots[slot].key.family,
	       E.hot[slot].prev_check, (__u16)slot_check(&k));
	TRY(expect_bucket(other, 0, 1, 0, NULL));
	ASSERT(held() == 1, "%d slots held, want 1", held());
	return 0;
}

/*
 * Collisions, a source whose holder sent one SYN: the newcomer takes the
 * slot with a full bucket (a spoofed flood, every source new, passes as
 * if each had a bucket of its own); the first holder coming back takes
 * it with the credit left, so two sources taking turns share one budget.
 */
static int t_collision_one_syn_taken_over(void)
{
	struct spec a = SYN("10.7.0.1"), b;
	char other[INET_ADDRSTRLEN];

	TRY(collider("10.7.0.1", other, sizeof(other)));
	b = (struct spec)SYN(other);
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	TRY(expect(&b, PASS(XG_R_SYN_BUDGET)));
	TRY(expect_bucket(other, 0, 1, 0, NULL));
	/* a takes the slot back: it was the holder before b, so it gets the
	 * credit b left (4), not a full bucket: together one burst and b's
	 * first SYN (which a's bucket counts among its own: the first level
	 * keeps a debt, not whose SYNs it is) */
	TRY(exhaust(&a, 4));
	TRY(expect_bucket("10.7.0.1", 0, 5, 1, NULL));
	ASSERT(held() == 1, "%d slots held, want 1", held());
	return 0;
}

/*
 * Collisions, a busy holder: a source that lands on the slot of one
 * spending its budget shares that budget (charged to its debt, never a
 * fresh bucket), so pushing a throttled source out to reset its budget is
 * impossible. The shared SYN that takes the debt past the first level's
 * limit moves the slot into xg_buckets under its own key, the debt counted
 * as shared; the holder before then shares it. Once that bucket is full
 * again (idle for burst / pps), a newcomer takes the slot.
 */
static int t_collision_shares_busy_holder(void)
{
	struct spec a = SYN("10.7.0.2"), b;
	char other[INET_ADDRSTRLEN];
	struct xg_bucket_key k = { .family = 4 };
	struct xg_bucket h;
	__u32 slot;

	TRY(collider("10.7.0.2", other, sizeof(other)));
	b = (struct spec)SYN(other);
	parse_addr("10.7.0.2", k.addr);
	slot = slot_of(&k);
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));
	TRY(expect(&a, PASS(XG_R_SYN_BUDGET)));	/* 2 of its 5 left */
	TRY(expect(&b, PASS(XG_R_SYN_BUDGET)));	/* shared: 1 left */
	ASSERT(E.hot[slot].check == slot_check(&k) &&
	       (E.hot[slot].debt & XG_HOT_DEBT) > 3 * XG_HOT_SYN &&
	       (E.hot[slot].debt & XG_HOT_BUSY), "b shared: first level "
	       "check %x (want a's %x), debt %#x (want 4 SYNs, busy)",
	       E.hot[slot].check, slot_check(&k), E.hot[slot].debt);
	TRY(expect(&b, PASS(XG_R_SYN_BUDGET)));	/* the last one, moved */
	TRY(expect(&b, DROP(XG_R_SYN_OVER)));	/* the shared budget is spent */
	TRY(expect(&a, DROP(XG_R_SYN_OVER)));	/* and stays spent for a */
	TRY(expect_bucket(other, 0, 1, 1, &h));
	ASSERT(h.shared == 5, "%llu shared SYNs, want 5 (a's 3 and b's first "
	       "as the debt, a's last)", (unsigned long long)h.shared);
	ASSERT(h.credit < NSEC, "credit %llu: a source got credit back",
	       (unsigned long long)h.credit);
	ASSERT(events() == 1, "%d events, want 1 (the holder's throttle)",
	       nev);
	/* the holder idle for 5 s at pps 1: a full bucket, the slot is free */
	E.slots[slot].refill_ns -= 5 * NSEC;
	TRY(exhaust(&a, 5));
	TRY(expect_bucket("10.7.0.2", 0, 5, 1, NULL));
	ASSERT(held() == 1, "%d slots held, want 1", held());
	return 0;
}

/*
 * Steady sources over real time (the kernel's clock): one source that
 * collides with nobody gets pps x T + burst through within 10%; two that
 * share a slot, both flooding, get that much together (docs/sources.md:
 * a shared slot is one budget). T is ~1.2 s; the senders offer SYNs far
 * faster than pps whatever the load, so the count does not depend on it.
 */
static int steady(struct pkt *p, __u32 s1, __u32 s2, __u64 ns, __u64 *pass,
		  double *secs)
{
	__u64 t0 = mono_ns(), t;
	int ret, n = 0;

	*pass = 0;
	while ((t = mono_ns()) - t0 < ns) {
		ret = syn_from(p, n++ & 1 ? s2 : s1);
		if (ret < 0)
			return -1;
		*pass += ret == XDP_PASS;
	}
	*secs = (t - t0) / 1e9;
	npkt = 0;
	return n < 10000 ? fail("only %d SYNs offered", n) : 0;
}

static int t_steady_budget(void)
{
	struct spec sp = SYN("10.7.0.3");
	char other[INET_ADDRSTRLEN];
	__u32 a, b;
	__u64 pass;
	double secs, want;
	struct pkt p;

	TRY(set_cfg(200, 50, XG_F_ENABLED, 0));
	build(&sp, &p);
	inet_pton(AF_INET, "10.7.0.3", &a);
	TRY(steady(&p, a, a, 1200000000ULL, &pass, &secs));
	want = 200 * secs + 50;
	ASSERT(pass > want * 0.9 && pass < want * 1.1,
	       "alone: %llu passed in %.2f s, want %.0f (pps x T + burst) "
	       "within 10%%", (unsigned long long)pass, secs, want);
	TRY(collider("10.7.0.4", other, sizeof(other)));
	inet_pton(AF_INET, "10.7.0.4", &a);
	inet_pton(AF_INET, other, &b);
	TRY(steady(&p, a, b, 1200000000ULL, &pass, &secs));
	want = 200 * secs + 50;
	ASSERT(pass > want * 0.9 && pass < want * 1.1,
	       "two sharing a slot: %llu passed in %.2f s, want %.0f (one "
	       "budget) within 10%%", (unsigned long long)pass, secs, want);
	return 0;
}

/* Moves a bucket's last event 2 s into the past, as if time went by. */
static int backdate_bucket(const char *masked)
{
	struct xg_bucket_key k = {};
	struct xg_bucket b;

	k.family = parse_addr(masked, k.addr);
	TRY(bucket(masked, 0, &b));
	E.slots[slot_of(&k)].event_ns -= 2 * NSEC;
	return 0;
}

static int t_event_throttle(void)
{
	struct spec s = SYN("10.0.0.1"), s6 = SYN("2001:db8:3::7");
	__u64 t0 = mono_ns();
	int i;

	s6.dport = 443;
	TRY(port_rate(443, 1, 2));
	TRY(exhaust(&s, 5));
	ASSERT(events() == 1, "%d events after the first drop, want 1", nev);
	TRY(check_throttle(&evs[0], 4, "10.0.0.1", 80, 1, 5, 6, 1, t0,
			   fine_ns()));
	for (i = 0; i < 3; i++)
		TRY(expect(&s, DROP(XG_R_SYN_OVER)));
	ASSERT(events() == 0, "%d events for later drops, want 0", nev);
	/* one SYN through ends the episode, but not the 1 s hold-off */
	TRY(set_cfg(100000000, 1, XG_F_ENABLED, 0));
	next_tick();
	TRY(expect(&s, PASS(XG_R_SYN_BUDGET)));
	TRY(set_cfg(1, 1, XG_F_ENABLED, 0));
	TRY(expect(&s, DROP(XG_R_SYN_OVER)));
	ASSERT(events() == 0, "%d events within 1 s, want 0", nev);
	/* 1 s later (back-dated): still the same episode, no event */
	TRY(backdate_bucket("10.0.0.1"));
	TRY(expect(&s, DROP(XG_R_SYN_OVER)));
	ASSERT(events() == 0, "%d events, same episode after 1 s", nev);
	/* a SYN through, then a drop 1 s after the last event: reported */
	TRY(set_cfg(100000000, 1, XG_F_ENABLED, 0));
	next_tick();
	TRY(expect(&s, PASS(XG_R_SYN_BUDGET)));
	TRY(set_cfg(1, 1, XG_F_ENABLED, 0));
	TRY(expect(&s, DROP(XG_R_SYN_OVER)));
	ASSERT(events() == 1, "%d events for a new episode, want 1", nev);
	TRY(check_throttle(&evs[0], 4, "10.0.0.1", 80, 1, 1, 14, 7, t0,
			   fine_ns()));
	/* another source has its own episode */
	TRY(exhaust(&s6, 2));
	ASSERT(events() == 1, "%d events for an IPv6 source, want 1", nev);
	TRY(check_throttle(&evs[0], 6, "2001:db8:3::", 443, 1, 2, 3, 1, t0,
			   fine_ns()));
	return 0;
}

static int backdate_deny(const char *cidr)
{
	struct xg_deny_val v;
	struct xg_lpm6 key;
	int fa, fd;

	lpm_key(cidr, &key, &fa, &fd);
	if (bpf_map_lookup_elem(fd, &key, &v))
		return fail("no deny entry %s", cidr);
	v.event_ns -= 2 * NSEC;
	if (bpf_map_update_elem(fd, &key, &v, BPF_EXIST))
		return fail("cannot rewrite deny %s: %s", cidr,
			    strerror(errno));
	return 0;
}

static int t_event_deny(void)
{
	struct spec s = SYN("10.0.0.7"), o = SYN("10.1.2.3");
	__u32 addr[4];
	int i;

	TRY(deny("10.0.0.0/24", 0));
	TRY(deny("10.1.0.0/16", mono_ns() + 60 * NSEC));
	TRY(expect(&s, DROP(XG_R_DENY)));
	ASSERT(events() == 1, "%d events after a deny hit, want 1", nev);
	parse_addr("10.0.0.7", addr);
	ASSERT(evs[0].type == XG_EV_DENY_HIT && evs[0].family == 4 &&
	       evs[0].prefixlen == 24 && !memcmp(evs[0].saddr, addr, 16) &&
	       evs[0].deny.hits == 1,
	       "event type %u family %u /%u count %llu, want DENY_HIT 4 /24 1",
	       evs[0].type, evs[0].family, evs[0].prefixlen,
	       (unsigned long long)evs[0].deny.hits);
	for (i = 0; i < 3; i++)
		TRY(expect(&s, DROP(XG_R_DENY)));
	ASSERT(events() == 0, "%d events for later hits, want 0", nev);
	/* 1 s after its last event (back-dated), the entry reports again */
	TRY(backdate_deny("10.0.0.0/24"));
	TRY(expect(&s, DROP(XG_R_DENY)));
	ASSERT(events() == 1 && evs[0].deny.hits == 5,
	       "%d events 1 s later (count %llu), want 1 (count 5)", nev,
	       (unsigned long long)evs[0].deny.hits);
	TRY(expect(&s, DROP(XG_R_DENY)));
	ASSERT(events() == 0, "%d events for later hits, want 0", nev);
	/* once per second per entry: another entry reports on its own */
	TRY(expect(&o, DROP(XG_R_DENY)));
	ASSERT(events() == 1 && evs[0].prefixlen == 16,
	       "%d events for another entry, want 1 for the /16", nev);
	ASSERT(deny_hits("10.0.0.0/24") == 6, "deny hits %llu, want 6",
	       (unsigned long long)deny_hits("10.0.0.0/24"));
	return 0;
}

static int t_event_budget(void)
{
	char src[32];
	int i;

	TRY(set_cfg(1, 1, XG_F_ENABLED, 2));
	for (i = 1; i <= 4; i++) {
		struct spec s;

		snprintf(src, sizeof(src), "10.0.0.%d", i);
		s = SYN(src);
		TRY(exhaust(&s, 1));
	}
	ASSERT(events() == 2, "%d events with a budget of 2, want 2", nev);
	ASSERT(slot(XG_C_EVENTS_SUPPRESSED) == 2 &&
	       slot(XG_C_EVENTS_LOST) == 0, "suppressed %llu lost %llu, "
	       "want 2 and 0",
	       (unsigned long long)slot(XG_C_EVENTS_SUPPRESSED),
	       (unsigned long long)slot(XG_C_EVENTS_LOST));
	return 0;
}

static const struct test tests[] = {
	{ "syn_budget_v4", t_syn_budget_v4 },
	{ "src_table_fixed_memory", t_src_table_fixed },
	{ "debt_past_four_moves_to_buckets", t_debt_past_four_moves_to_buckets },
	{ "refilled_holder_stays_first_level",
	  t_refilled_holder_stays_first_level },
	{ "turns_on_refilled_bucket_first_level",
	  t_turns_on_refilled_bucket_first_level },
	{ "idle_holder_slot_back_to_first_level",
	  t_idle_holder_slot_back_to_first_level },
	{ "collision_one_syn_taken_over", t_collision_one_syn_taken_over },
	{ "collision_shares_busy_holder", t_collision_shares_busy_holder },
	{ "steady_budget_alone_and_shared", t_steady_budget },
	{ "syn_other_source_v4", t_syn_other_source_v4 },
	{ "syn_budget_v6_prefix64", t_syn_budget_v6_prefix },
	{ "prefix_masks_24_56", t_prefix_masks },
	{ "port_rate_override", t_port_rate },
	{ "port_rate_unlimited", t_port_rate_unlimited },
	{ "default_unlimited_port_limited", t_default_unlimited },
	{ "live_retune_keeps_bucket", t_live_retune },
	{ "vlan_8021q_v4", t_vlan_v4 },
	{ "qinq_v4", t_qinq_v4 },
	{ "vlan_8021q_v6", t_vlan_v6 },
	{ "qinq_v6", t_qinq_v6 },
	{ "triple_tag_malformed", t_triple_tag },
	{ "ipv4_options_ihl6_15", t_ipv4_options },
	{ "ipv6_ext_chain", t_ipv6_ext_chain },
	{ "ipv6_ah", t_ipv6_ah },
	{ "ipv6_chain_of_max_exthdrs", t_ipv6_chain_max },
	{ "ipv6_chain_too_long_malformed", t_ipv6_chain_too_long },
	{ "inconsistent_headers_malformed", t_inconsistent_headers },
	{ "truncated_v4_options", t_truncated_v4 },
	{ "truncated_v4_vlan", t_truncated_v4_vlan },
	{ "truncated_v4_qinq_max_options", t_truncated_v4_qinq },
	{ "truncated_v6_ext_chain", t_truncated_v6_chain },
	{ "truncated_v6_ah_vlan", t_truncated_v6_ah_vlan },
	{ "not_syn_v4_over_budget", t_not_syn_v4 },
	{ "not_syn_v6_over_budget", t_not_syn_v6 },
	{ "not_tcp", t_not_tcp },
	{ "not_ip", t_not_ip },
	{ "fragments_v4", t_frag_v4 },
	{ "fragments_v6", t_frag_v6 },
	{ "fragment_v6_dstopts_payload", t_frag_v6_dstopts },
	{ "allow_beats_deny", t_allow_beats_deny },
	{ "deny_drops_everything", t_deny_everything },
	{ "deny_expiry", t_deny_expiry },
	{ "clock_from_jiffies", t_clock_from_jiffies },
	{ "clock_without_kernel_config", t_clock_without_kernel_config },
	{ "deny_expired_inside_live", t_deny_expired_inside_live },
	{ "list_filter_short_prefixes", t_list_filter_short_prefixes },
	{ "list_filter_superset", t_list_filter_superset },
	{ "list_filter_in_step", t_list_filter_in_step },
	{ "dry_run", t_dry_run },
	{ "disabled_passes_uncounted", t_disabled },
	{ "counter_bytes", t_counter_bytes },
	{ "counted_once", t_counted_once },
	{ "event_throttle", t_event_throttle },
	{ "event_deny_hit", t_event_deny },
	{ "event_budget", t_event_budget },
};

/* every case starts with no frame run yet and empty maps */
static int before_case(void)
{
	npkt = 0;
	return reset();
}

int main(void)
{
	unsigned int failed;

	harness_init();
	prog_pin_cpu(-1);
	ncpus = libbpf_num_possible_cpus();
	pcpu = ncpus > 0 ? calloc(ncpus, 64) : NULL;
	if (!pcpu) {
		printf("not ok - setup: cannot size per-CPU values\n");
		return 1;
	}
	if (env_open(&E, 32, 64)) {
		printf("not ok - setup: %s\n", why);
		env_close(&E);
		free(pcpu);
		return 1;
	}
	failed = harness_run(tests, ARRAY_SIZE(tests), before_case);
	env_close(&E);
	free(pcpu);
	return failed ? 1 : 0;
}
