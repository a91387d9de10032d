// SPDX-License-Identifier: GPL-2.0
/*
 * XDP SYN guard: parse -> allow/deny -> per-source SYN budget -> SYN cookie
 * (answer from XDP) or verdict.
 *
 * A SYN to a port whose cookies are on (xg_cookie_ports) that passed the
 * budget is answered with a SYN-ACK cookie (XDP_TX); ACKs to such a port
 * that match no socket but the listener must carry a valid cookie (the tc
 * hand-off, tc_cookie.bpf.c, then makes the connection).
 *
 * Every packet is counted once under (verdict, reason). Allow beats deny
 * beats the budget; deny drops every packet of the source. A packet whose
 * source cannot be read is dropped as malformed; so is a packet from a
 * known source whose remaining headers are broken (unless allowed or
 * denied first). Non-first fragments carry no TCP header and pass after
 * allow/deny.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdpguard/abi.h>
#include "lib/parse.h"
#include "lib/bucket.h"
#include "lib/maps.h"
#include "lib/csum.h"
#include "lib/tcpopt.h"
#include "lib/cookie.h"
#include "lib/clock.h"
#include "lib/sk.h"
#include "lib/peers.h"
#include "lib/events.h"

/* fixed at attach time */
const volatile __u32 prefix4 = 32;
const volatile __u32 prefix6 = 64;
/* xg_buckets: slots - 1 (a power of two less one) and the hash seed */
const volatile __u32 src_mask = XG_DEFAULT_SOURCES - 1;
const volatile __u32 src_seed;
/*
 * make bench only: tests/tools/xg_stages.bpf.c builds this file with
 * XG_BENCH_STAGES, where a SYN stops with XDP_DROP at the end of stage
 * bench_stop (enum xg_bench_stop, set before load), to time the SYN path
 * a stage at a time (build/stagebench). Nothing of it in the attached
 * program.
 */
#ifdef XG_BENCH_STAGES
const volatile __u32 bench_stop;

#define XG_STOP(n)					\
	do {						\
		if (bench_stop == (n))			\
			return XDP_DROP;		\
	} while (0)
#else
#define XG_STOP(n) do { } while (0)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_info);
} xg_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_JOURNAL_MAX + 1);
	__type(key, __u32);
	__type(value, struct xg_jrec);
} xg_journal SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XG_MAX_PORT_RULES);
	__type(key, __u16);
	__type(value, struct xg_rate);
} xg_port_rate SEC(".maps");

/*
 * The source table: a fixed array of slots, a source's slot picked by a
 * hash of its key, so a new source costs what a known one does (no insert,
 * no eviction) and memory is fixed at attach. Mmapable so that status
 * and top read it without a system call per slot (and its slots are
 * cache-line aligned).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_DEFAULT_SOURCES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xg_bucket);
} xg_buckets SEC(".maps");

/*
 * Its first level (struct xg_src_hot, abi.h; docs/sources.md): the same
 * slots, 16 bytes each (1 MiB for 65536, where xg_buckets takes 8 MiB).
 * A source's first SYN reads and writes only this, and so does every SYN
 * of a source within its pps (syn_budget()): a spoofed flood's SYNs do.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_DEFAULT_SOURCES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xg_src_hot);
} xg_src_hot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XG_MAX_LPM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xg_lpm4);
	__type(value, struct xg_allow_val);
} xg_allow4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XG_MAX_LPM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xg_lpm6);
	__type(value, struct xg_allow_val);
} xg_allow6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XG_MAX_LPM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xg_lpm4);
	__type(value, struct xg_deny_val);
} xg_deny4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XG_MAX_LPM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xg_lpm6);
	__type(value, struct xg_deny_val);
} xg_deny6 SEC(".maps");

/*
 * The lists' filters (struct xg_list_filter, abi.h): a source whose bit is
 * clear is in no entry of that list, and its LPM lookup is skipped.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_L_MAX);
	__type(key, __u32);
	__type(value, struct xg_list_filter);
} xg_list_bits SEC(".maps");

/* 0 when no entry of @list can cover @saddr (xg_pkt's form) */
static __always_inline int list_may_hold(__u32 list, __u32 family,
					 const __u32 *saddr)
{
	struct xg_list_filter *f = bpf_map_lookup_elem(&xg_list_bits, &list);
	__u32 bit;

	if (!f || !f->built)
		return 1;
	bit = family == 4 ? xg_lf_bit4(saddr[0]) : xg_lf_bit6(saddr);
	return (f->w[(bit >> 6) & (XG_LF_BITS / 64 - 1)] >> (bit & 63)) & 1;
}

/*
 * Count a packet under its verdict and @reason, and say what XDP does with
 * it. Called through verdict() and drop() below, which check at compile
 * time that the pair is one of abi.h's XG_REASON_VERDICTS: a pair counted
 * here is one the exporter has a series for.
 */
static __always_inline int judge(struct xdp_md *ctx, struct xg_config *cfg,
				 int drop, __u32 reason)
{
	__u64 len = ctx->data_end - ctx->data;
	__u32 v = XG_V_PASS;

	if (drop)
		v = (cfg->flags & XG_F_DRY_RUN) ? XG_V_WOULD_DROP : XG_V_DROP;
	count(XG_COUNTER_IDX(v, reason), len);
	return v == XG_V_DROP ? XDP_DROP : XDP_PASS;
}

/* sizeof(): a compile-time check usable where an expression goes */
#define XG_PAIR_CHECK(v, r)						\
	((void)sizeof(struct {						\
		_Static_assert(XG_COUNTED(v, r), "(" #v ", " #r ") is "	\
			       "not in XG_REASON_VERDICTS (abi.h)");	\
		int x;							\
	}))
/* @drop: 0 passes (pass/r), 1 drops (drop/r, would_drop/r in a dry run) */
#define verdict(ctx, cfg, drop, r)					\
	(XG_PAIR_CHECK((drop) ? XG_V_DROP : XG_V_PASS, r),		\
	 XG_PAIR_CHECK((drop) ? XG_V_WOULD_DROP : XG_V_PASS, r),	\
	 judge(ctx, cfg, drop, r))

static __always_inline void mask_addr(struct xg_bucket_key *k,
				      struct xg_pkt *p)
{
	__u32 plen = p->family == 4 ? prefix4 : prefix6;
	int i;

	if (p->family == 4) {
		k->addr[0] = plen >= 32 ? p->saddr[0] :
			p->saddr[0] & bpf_htonl(~0U << (32 - plen));
		return;
	}
#pragma unroll
	for (i = 0; i < 4; i++) {
		if (plen >= 32 * (i + 1))
			k->addr[i] = p->saddr[i];
		else if (plen > 32 * i)
			k->addr[i] = p->saddr[i] &
				bpf_htonl(~0U << (32 * (i + 1) - plen));
		else
			k->addr[i] = 0;
	}
}

/*
 * The clock is read once per packet, and only on paths that need it. The
 * coarse clock (CLOCK_MONOTONIC_COARSE, one tick: 4 ms at HZ=250, read
 * from jiffies: lib/clock.h) costs a fraction of the fine one; budgets
 * are per second and credit carries over, so a tick of resolution costs
 * no accuracy.
 */
static __always_inline __u64 clock_ns(__u64 *now)
{
	if (!*now)
		*now = xg_clock();
	return *now;
}

#define XG_DENY_TRIES 4

/*
 * The live deny entry covering the source, or NULL. An expired entry is
 * stepped over: the lookup is retried with a prefix shorter than the
 * expired one, so a broader live deny still applies.
 */
static __always_inline struct xg_deny_val *deny_lookup(struct xg_pkt *p,
						       __u64 *now)
{
	struct xg_deny_val *d;
	struct xg_lpm6 k6;
	struct xg_lpm4 k4;
	__u32 *plen;
	void *map, *key;
	int i;

	if (!list_may_hold(p->family == 4 ? XG_L_DENY4 : XG_L_DENY6,
			   p->family, p->saddr))
		return NULL;
	if (p->family == 4) {
		k4.prefixlen = 32;
		k4.addr = p->saddr[0];
		map = &xg_deny4;
		key = &k4;
		plen = &k4.prefixlen;
	} else {
		k6.prefixlen = 128;
		__builtin_memcpy(k6.addr, p->saddr, 16);
		map = &xg_deny6;
		key = &k6;
		plen = &k6.prefixlen;
	}
	for (i = 0; i < XG_DENY_TRIES; i++) {
		d = bpf_map_lookup_elem(map, key);
		if (!d)
			return NULL;
		if (!d->expires_ns || d->expires_ns > clock_ns(now))
			return d;
		if (!d->prefixlen)
			return NULL;
		*plen = d->prefixlen - 1;
	}
	return NULL;
}

static __always_inline void deny_hit(struct xdp_md *ctx,
				     struct xg_config *cfg, struct xg_pkt *p,
				     struct xg_deny_val *d, __u64 *now)
{
	struct xg_event *e;

	__sync_fetch_and_add(&d->hits, 1);
	if (clock_ns(now) - d->event_ns < XG_NSEC_PER_SEC)
		return;
	d->event_ns = *now;
	e = event_reserve(cfg, *now);
	if (e) {
		e->type = XG_EV_DENY_HIT;
		e->family = p->family;
		e->prefixlen = d->prefixlen;
		e->ifindex = ctx->ingress_ifindex;
		__builtin_memcpy(e->saddr, p->saddr, 16);
		e->deny.hits = d->hits;
		bpf_ringbuf_submit(e, 0);
	}
}

/*
 * 1: @a (four words, network order; IPv4 in the first) is in the allow
 * list @list (XG_L_ALLOW4 or XG_L_ALLOW6), and the entry's hits counted.
 * Global, so that the verifier walks it once and not at every drop.
 */
__noinline int xg_allow_hit(__u32 list, __u32 a0, __u32 a1, __u32 a2,
			    __u32 a3)
{
	__u32 a[4] = { a0, a1, a2, a3 };
	struct xg_allow_val *v;
	struct xg_lpm6 k6;
	struct xg_lpm4 k4;

	if (!list_may_hold(list, xg_list_family(list), a))
		return 0;
	if (list == XG_L_ALLOW4) {
		k4.prefixlen = 32;
		k4.addr = a0;
		v = bpf_map_lookup_elem(&xg_allow4, &k4);
	} else {
		k6.prefixlen = 128;
		__builtin_memcpy(k6.addr, a, 16);
		v = bpf_map_lookup_elem(&xg_allow6, &k6);
	}
	if (!v)
		return 0;
	__sync_fetch_and_add(&v->hits, 1);
	return 1;
}

/*
 * 1: the source is in the allow list. Asked only when a packet is about
 * to be dropped: allow exists to overrule drops, and the lookup stays off
 * the path of the traffic that passes anyway.
 */
static __always_inline int allowed(struct xg_config *cfg, struct xg_pkt *p)
{
	if (!(cfg->flags & (p->family == 4 ? XG_F_ALLOW4 : XG_F_ALLOW6)))
		return 0;
	return xg_allow_hit(p->family == 4 ? XG_L_ALLOW4 : XG_L_ALLOW6,
			    p->saddr[0], p->saddr[1], p->saddr[2],
			    p->saddr[3]);
}

/* Drop for @reason unless the source is allowed. */
static __always_inline int judge_drop(struct xdp_md *ctx,
				      struct xg_config *cfg, struct xg_pkt *p,
				      __u32 reason)
{
	if (allowed(cfg, p))
		return verdict(ctx, cfg, 0, XG_R_ALLOW);
	return judge(ctx, cfg, 1, reason);
}

/* a drop unless the source is allowed: drop/r, would_drop/r, pass/allow */
#define drop(ctx, cfg, p, r)						\
	(XG_PAIR_CHECK(XG_V_DROP, r), XG_PAIR_CHECK(XG_V_WOULD_DROP, r),	\
	 judge_drop(ctx, cfg, p, r))

enum { SYN_OK, SYN_OVER, SYN_ALLOWED };

static __always_inline int same_key(const struct xg_bucket_key *a,
				    const struct xg_bucket_key *b)
{
	return !((a->family ^ b->family) | (a->port ^ b->port) |
		 (a->addr[0] ^ b->addr[0]) | (a->addr[1] ^ b->addr[1]) |
		 (a->addr[2] ^ b->addr[2]) | (a->addr[3] ^ b->addr[3]));
}

/*
 * Hand slot @b to @key (full hash @tag): with a full bucket when @fresh,
 * else with the credit the slot has.
 */
static __always_inline void slot_take(struct xg_bucket *b,
				      const struct xg_bucket_key *key,
				      __u32 tag, struct xg_rate *rate,
				      __u64 now, int fresh)
{
	__builtin_memcpy(&b->key, key, sizeof(*key));
	if (fresh) {
		b->credit = xg_bucket_cap(rate->burst);
		b->refill_ns = now;
	}
	b->tag = tag;
	b->first_ns = now;
	b->win_start = now;
	b->win_syns = 0;
	b->last_rate = 0;
	b->passed = 0;
	b->dropped = 0;
	b->shared = 0;
	b->throttled = 0;
}

enum { XG_CLAIM_SHARED, XG_CLAIM_KEPT, XG_CLAIM_FRESH };

/*
 * A SYN from @key (tag @tag, check @check) reached slot @b, held in
 * xg_buckets by another source (or by none); @h is the slot's first
 * level. The newcomer takes the slot with a full bucket (XG_CLAIM_FRESH)
 * when the holder's bucket is full (nothing is owed to anyone: a full
 * bucket is what the newcomer starts with), or when the holder has sent
 * a single SYN and nothing more: each source of a spoofed flood gets its
 * first SYN's budget as a source of its own would. A newcomer that is the
 * holder before this one (two sources taking turns on one slot) takes it
 * with the credit left (XG_CLAIM_KEPT), so that taking turns never
 * refills a bucket. Otherwise the holder is spending its budget: the
 * newcomer shares it (XG_CLAIM_SHARED), charged to the holder's bucket,
 * so that no source ever gets a fresh bucket by pushing a busy one out.
 */
static __always_inline int slot_claim(struct xg_src_hot *h,
				      struct xg_bucket *b,
				      const struct xg_bucket_key *key,
				      __u32 tag, __u32 check,
				      struct xg_rate *rate, __u64 now)
{
	if (!b->key.family || xg_bucket_full(b->credit, b->refill_ns, now,
					     rate->pps, rate->burst))
		return XG_CLAIM_FRESH;
	if (b->passed + b->dropped <= 1 && !b->shared) {
		if ((__u16)check != h->prev_check)
			return XG_CLAIM_FRESH;
		slot_take(b, key, tag, rate, now, 0);
		return XG_CLAIM_KEPT;
	}
	return XG_CLAIM_SHARED;
}

/*
 * Move the slot's first level @h into @b, for a SYN from @key (check
 * @check) that the first level cannot keep: one that would leave the
 * bucket more than XG_HOT_DEBT_MAX short of full (or spent). The bucket
 * is the debt's (no move ever refills a bucket); the SYNs it still owes
 * count as the holder's when the SYN is its own (those shared with it
 * among them), else as shared: the SYN's source (the holder before, or
 * one sharing a busy holder's bucket) holds the slot from now on.
 */
static __always_inline void slot_in(struct xg_src_hot *h, struct xg_bucket *b,
				    const struct xg_bucket_key *key, __u32 tag,
				    __u32 check, struct xg_rate *rate,
				    __u64 now)
{
	__u64 cap = xg_bucket_cap(rate->burst);
	__u32 debt = xg_hot_debt(h->debt, h->t, now, rate->pps);
	__u64 owe = (__u64)debt << XG_HOT_UNIT_SHIFT;
	__u32 syns = (debt + XG_HOT_SYN - 1) / XG_HOT_SYN;

	slot_take(b, key, tag, rate, now, 1);
	b->credit = owe < cap ? cap - owe : 0;
	if (h->check == check) {
		b->passed = syns;
		b->win_syns = syns;
		b->last_ns = h->t;
	} else {
		b->shared = syns;
		h->prev_check = h->check;
	}
	h->check = check;
	h->t = XG_HOT_FULL;
}

#define XG_SLOT_OK	1	/* within budget */
#define XG_SLOT_OWN	2	/* the holder's own SYN (else shared) */
#define XG_SLOT_HOT	4	/* settled in xg_src_hot: @b has no holder */

/*
 * Charge a SYN from @key (@hash: xg_src_hash64()) to its slot (@h, and
 * the same slot of xg_buckets) at @rate, where the first level alone
 * does not settle it: the holder is in xg_buckets, or the SYN moves a
 * one-SYN holder there; XG_SLOT_* bits. A newcomer that takes
 * a slot of xg_buckets with a fresh bucket moves it back to the first
 * level (the holder there is gone), so that a host's history of real
 * clients does not put a later flood on this path. Global, so that the
 * verifier walks it once and not once per path into the SYN policy.
 */
__noinline int xg_slot_charge(struct xg_src_hot *h, struct xg_bucket_key *key,
			      __u64 hash, struct xg_rate *rate, __u64 now)
{
	__u32 tag = hash >> 32, check = xg_src_check(hash);
	__u32 slot = tag & src_mask;
	struct xg_bucket *b = bpf_map_lookup_elem(&xg_buckets, &slot);
	int claim;

	if (!h || !b || !key || !rate)
		return XG_SLOT_OK | XG_SLOT_OWN;
	if (h->t != XG_HOT_FULL) {
		slot_in(h, b, key, tag, check, rate, now);
	} else if (!same_key(&b->key, key)) {
		claim = slot_claim(h, b, key, tag, check, rate, now);
		if (claim == XG_CLAIM_FRESH) {
			b->key.family = 0;
			h->prev_check = h->check;
			h->check = check;
			h->debt = XG_HOT_SYN;
			h->t = now;
			return XG_SLOT_OK | XG_SLOT_OWN | XG_SLOT_HOT;
		}
		if (claim == XG_CLAIM_SHARED) {
			b->shared++;
			return xg_bucket_take(&b->credit, &b->refill_ns, now,
					      rate->pps, rate->burst);
		}
		h->prev_check = h->check;
		h->check = check;
	}
	b->last_ns = now;
	if (now - b->win_start >= XG_NSEC_PER_SEC) {
		b->last_rate = now - b->win_start < 2 * XG_NSEC_PER_SEC ?
			b->win_syns : 0;
		b->win_start = now;
		b->win_syns = 0;
	}
	b->win_syns++;
	return XG_SLOT_OWN | xg_bucket_take(&b->credit, &b->refill_ns, now,
					    rate->pps, rate->burst);
}

/* Judge a SYN against its source's budget. */
static __always_inline int syn_budget(struct xdp_md *ctx,
				      struct xg_config *cfg,
				      struct xg_pkt *p, __u64 now)
{
	struct xg_bucket_key key = {};
	struct xg_rate rate = cfg->rate;
	struct xg_src_hot *h;
	struct xg_bucket *b;
	struct xg_rate *pr;
	struct xg_event *e;
	__u32 check, key_slot;
	__u64 hash;
	__u16 dport;
	int ok;

	dport = bpf_ntohs(p->tcp->dest);
	if (cfg->flags & XG_F_PORTS) {
		pr = bpf_map_lookup_elem(&xg_port_rate, &dport);
		if (pr) {
			rate = *pr;
			key.port = dport;
		}
	}
	if (!rate.pps)
		return SYN_OK;
	key.family = p->family;
	mask_addr(&key, p);

	hash = xg_src_hash64(key.family, key.port, key.addr, src_seed);
	check = xg_src_check(hash);
	key_slot = (__u32)(hash >> 32) & src_mask;
	h = bpf_map_lookup_elem(&xg_src_hot, &key_slot);
	if (!h)		/* cannot happen: slot < max_entries */
		return SYN_OK;
	/*
	 * The first level settles a SYN alone while the slot's bucket stays
	 * within XG_HOT_DEBT_MAX of full. A newcomer takes the slot with a
	 * full bucket (its first SYN paid from it) when the slot is free, or
	 * its holder owes at most one SYN, or has sent one SYN since it took
	 * the slot. Other SYNs are charged to the debt: the holder's own
	 * (busy when it still owed), a newcomer's on the slot of a busy
	 * holder (it shares that bucket), that of the holder before taking
	 * its turn back (which holds the slot again). Nothing else is read
	 * or written. The SYN that would take the debt past XG_HOT_DEBT_MAX
	 * (or the bucket past empty) moves the slot into xg_buckets, under
	 * its own key (xg_slot_charge()).
	 */
	if (h->t != XG_HOT_FULL) {
		__u32 debt = xg_hot_debt(h->debt, h->t, now, rate.pps);
		__u32 cap = (rate.burst ?: 1) * XG_HOT_SYN;
		int mine = h->t && h->check == check;
		int back = !mine && h->prev_check == (__u16)check;
		int busy = h->debt & XG_HOT_BUSY;

		if (!h->t || (!mine && !back &&
			      (!busy || debt <= XG_HOT_SYN))) {
			h->prev_check = h->t ? h->check : 0;
			h->check = check;
			h->debt = XG_HOT_SYN;
			h->t = now;
			return SYN_OK;
		}
		debt += XG_HOT_SYN;
		if (debt <= XG_HOT_DEBT_MAX && debt <= cap) {
			if (mine || busy) {	/* its own, or shared */
				busy = mine && debt <= XG_HOT_SYN ? 0 :
				       XG_HOT_BUSY;
			} else {		/* the holder before, back */
				h->prev_check = h->check;
				h->check = check;
			}
			h->debt = debt | busy;
			h->t = now;
			return SYN_OK;
		}
	}
	ok = xg_slot_charge(h, &key, hash, &rate, now);
	b = bpf_map_lookup_elem(&xg_buckets, &key_slot);
	if ((ok & XG_SLOT_HOT) || !b)
		return SYN_OK;
	if (!(ok & XG_SLOT_OWN)) {
		if (ok & XG_SLOT_OK)
			return SYN_OK;
		return allowed(cfg, p) ? SYN_ALLOWED : SYN_OVER;
	}
	ok &= XG_SLOT_OK;
	if (ok) {
		b->passed++;
		b->throttled = 0;
		return SYN_OK;
	}
	if (allowed(cfg, p))
		return SYN_ALLOWED;
	b->dropped++;
	if (!b->throttled && now - b->event_ns >= XG_NSEC_PER_SEC) {
		b->event_ns = now;
		e = event_reserve(cfg, now);
		if (e) {
			e->type = XG_EV_THROTTLE;
			e->family = p->family;
			e->prefixlen = p->family == 4 ? prefix4 : prefix6;
			e->ifindex = ctx->ingress_ifindex;
			__builtin_memcpy(e->saddr, key.addr, 16);
			e->dport = dport;
			e->throttle.rate = b->last_rate > b->win_syns ?
				b->last_rate : b->win_syns;
			e->throttle.pps = rate.pps;
			e->throttle.burst = rate.burst;
			e->throttle.dropped = b->dropped;
			bpf_ringbuf_submit(e, 0);
		}
	}
	b->throttled = 1;
	return SYN_OVER;
}

/* ---------------- SYN cookies ---------------- */

/*
 * Set by attach after probing: 0 when the kernel lacks the cookie
 * helpers, and the verifier never walks the cookie paths.
 */
const volatile __u32 have_cookies = 1;

/* the MSS a cookie's index stands for (folded into the code) */
static const __u16 msstab4[4] = XG_MSSTAB4;
static const __u16 msstab6[4] = XG_MSSTAB6;

/* 1 when cookies answer this port's SYNs now (no accounting). */
static __always_inline int cookie_active(struct xg_cookie_port *c)
{
	return c->mode == XG_CK_ON || (c->mode == XG_CK_AUTO && c->active);
}

static __always_inline void cookie_event(struct xdp_md *ctx,
					 struct xg_config *cfg,
					 struct xg_cookie_port *c, __u16 port,
					 __u16 type, __u64 now)
{
	struct xg_event *e = event_reserve(cfg, now);

	if (!e)
		return;
	e->type = type;
	e->ifindex = ctx->ingress_ifindex;
	e->dport = port;
	e->cookies.rate = c->last_rate;
	e->cookies.threshold = c->threshold;
	e->cookies.switches = c->switches;
	bpf_ringbuf_submit(e, 0);
}

/*
 * Count a SYN (one that passed allow/deny and its budget) for @c and
 * return 1 when cookies answer it. auto: the CPU that sees a window
 * expire closes it (one wins the compare-and-swap) and decides: on after
 * one window at or above the threshold, off after XG_CK_CALM_WINDOWS
 * windows in a row below half of it. Windows with no SYN at all count as
 * calm when the next SYN closes them.
 */
static __always_inline int cookie_syn_counts(struct xdp_md *ctx,
					     struct xg_config *cfg,
					     struct xg_cookie_port *c,
					     __u16 port, __u64 now)
{
	__u64 start = c->win_start, windows, n;
	__u32 rate;
	__u16 sw = 0;

	if (c->mode == XG_CK_ON)
		return 1;
	if (c->mode != XG_CK_AUTO)
		return 0;
	if (now - start >= XG_CK_WINDOW_NS &&
	    __sync_val_compare_and_swap(&c->win_start, start, now) == start) {
		n = __sync_lock_test_and_set(&c->win_syns, 0);
		windows = (now - start) / XG_CK_WINDOW_NS;
		rate = n / windows;
		c->last_rate = rate;
		if (!c->active) {
			if (rate >= c->threshold && c->threshold) {
				c->active = 1;
				c->calm = 0;
				sw = XG_EV_COOKIES_ON;
			}
		} else if ((__u64)rate * 2 < c->threshold) {
			c->calm += windows < XG_CK_CALM_WINDOWS ? windows :
				   XG_CK_CALM_WINDOWS;
			if (c->calm >= XG_CK_CALM_WINDOWS) {
				c->active = 0;
				sw = XG_EV_COOKIES_OFF;
			}
		} else {
			c->calm = 0;
		}
		if (sw) {
			c->switched_ns = now;
			c->switches++;
			cookie_event(ctx, cfg, c, port, sw, now);
		}
	}
	__sync_fetch_and_add(&c->win_syns, 1);
	return c->active;
}

/* The socket state for the packet's connection, or -1: none at all. */
static __always_inline int sk_state(struct xdp_md *ctx, struct xg_pkt *p,
				    struct tcphdr *tcp)
{
	struct bpf_sock *sk = xg_skc_lookup(ctx, p->family, p->l3, tcp);
	int state;

	if (!sk)
		return -1;
	state = sk->state;
	bpf_sk_release(sk);
	return state;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XG_LISTEN_SLOTS);
	__type(key, __u32);
	__type(value, struct xg_listen_seen);
} xg_listen_seen SEC(".maps");

/* a SYN's destination address (IPv4 in [0]), for xg_listener_state() */
struct xg_dst {
	__u32 addr[4];
};

/*
 * The state of the listener a SYN to @d, port @port (network order),
 * would meet, or -1: none; @family 4 or 6, @now the guard's clock. A
 * listener this CPU found for the same destination and device is taken
 * as there, without a lookup, while the keeper's count of listener
 * changes (xg_peers[XG_PEER_LISTEN]) is what it was before that lookup,
 * and for XG_LISTEN_FRESH_NS at most (what the count does not see: a
 * device bound after listen(), an sk_lookup program). A listener found
 * within XG_LISTEN_QUIET of a change is not kept: the keeper counts a
 * change before the kernel (un)hashes the socket. Nothing is kept of a
 * lookup that finds no listener. Global, so that the verifier walks it
 * once and the cookie path after it once.
 */
__noinline int xg_listener_state(struct xdp_md *ctx, struct xg_dst *d,
				 __u32 family, __u32 port, __u64 now)
{
	struct bpf_sock_tuple t = {};
	__u32 i = XG_PEER_LISTEN, gen, since, size;
	struct xg_listen_seen *e;
	struct bpf_sock *sk;
	struct xg_peer *g;
	int state;

	if (!ctx || !d)
		return -1;
	g = bpf_map_lookup_elem(&xg_peers, &i);
	if (!g)
		return -1;
	gen = *(volatile __u32 *)&g->live;
	since = *(volatile __u32 *)&g->until;
	i = (d->addr[0] ^ d->addr[1] ^ d->addr[2] ^ d->addr[3] ^ port) *
	    0x9e3779b1U >> (32 - 4);
	_Static_assert(XG_LISTEN_SLOTS == 1 << 4, "xg_listen_seen's hash");
	e = bpf_map_lookup_elem(&xg_listen_seen, &i);
	if (!e)
		return -1;
	if (e->gen == gen && now - e->t < XG_LISTEN_FRESH_NS &&
	    e->family == family && e->port == port &&
	    e->ifindex == ctx->ingress_ifindex &&
	    !((e->addr[0] ^ d->addr[0]) | (e->addr[1] ^ d->addr[1]) |
	      (e->addr[2] ^ d->addr[2]) | (e->addr[3] ^ d->addr[3])))
		return BPF_TCP_LISTEN;
	/* the peer's address and port 0: the established table's probe
	 * reads the one bucket of this destination, which stays in cache */
	if (family == 4) {
		t.ipv4.daddr = d->addr[0];
		t.ipv4.dport = port;
		size = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.daddr, d->addr, 16);
		t.ipv6.dport = port;
		size = sizeof(t.ipv6);
	}
	sk = bpf_skc_lookup_tcp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return -1;
	state = sk->state;
	bpf_sk_release(sk);
	if (state != BPF_TCP_LISTEN ||
	    (__s32)((__u32)(now >> XG_LISTEN_SHIFT) - since) < XG_LISTEN_QUIET)
		return state;
	__builtin_memcpy(e->addr, d->addr, 16);
	e->gen = gen;
	e->ifindex = ctx->ingress_ifindex;
	e->port = port;
	e->family = family;
	e->t = now;
	return state;
}

/*
 * The socket state for a SYN's connection. With XG_F_PEERS (the host's
 * socket record is kept, docs/peers.md), a SYN from a peer address whose
 * cell names no socket can only meet a listener (xg_listener_state()): no
 * lookup of its 4-tuple, whose established-table bucket is a random
 * memory access. @saddr and @daddr are the SYN's addresses (IPv4 in
 * [0]), @now the guard's clock.
 */
static __always_inline int syn_state(struct xdp_md *ctx,
				     struct xg_config *cfg, struct xg_pkt *p,
				     struct tcphdr *tcp, const __u32 *saddr,
				     const __u32 *daddr, __u64 now)
{
	struct xg_peer *c;
	__u32 cell;

	if (!(cfg->flags & XG_F_PEERS))
		return sk_state(ctx, p, tcp);
	cell = xg_peer_cell(p->family, saddr);
	c = bpf_map_lookup_elem(&xg_peers, &cell);
	if (!c || !xg_peer_clear(c, (__u32)(now >> XG_PEER_SHIFT)))
		return sk_state(ctx, p, tcp);
	return xg_listener_state(ctx, (struct xg_dst *)daddr, p->family,
				 tcp->dest, now);
}

static __always_inline int verdict_tx(struct xdp_md *ctx)
{
	_Static_assert(XG_COUNTED(XG_V_TX, XG_R_COOKIE_SYN),
		       "(XG_V_TX, XG_R_COOKIE_SYN) is in XG_REASON_VERDICTS");
	count(XG_COUNTER_IDX(XG_V_TX, XG_R_COOKIE_SYN),
	      ctx->data_end - ctx->data);
	return XDP_TX;
}

/* Options of the TCP header at @off (see lib/tcpopt.h for why global). */
__noinline int xg_xdp_tcpopt(struct xdp_md *ctx, __u32 off,
			     struct xg_tcpopt *o)
{
	return xg_tcpopt_at((void *)(long)ctx->data,
			    (void *)(long)ctx->data_end, off, o);
}

/*
 * The folded checksum of @len bytes at @off plus @seed: 0 when a region
 * holding its own checksum is intact; -1 when the frame is shorter.
 * Global for the same reason as xg_xdp_tcpopt().
 */
__noinline int xg_xdp_csum(struct xdp_md *ctx, __u32 off, __u32 len,
			   __u64 seed)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 sum = seed;

	if (off > 256)
		return -1;
	xg_barrier_var(off);
	if (xg_csum_pkt(data + (off & 0x1ff), end, len, &sum))
		return -1;
	return xg_csum_fold(sum);
}

/* The SYN-ACK's TCP header and options, built on the stack. */
struct xg_synack_tcp {
	struct tcphdr th;
	__u32 opt[5];
};

/*
 * Write the SYN-ACK's IP header (@v4, or @v6 when @v4 is NULL) at @l2len
 * into the frame [@data, @end), its TCP header and @nopt option words
 * after it, and swap the Ethernet addresses; -1 if the frame is short.
 */
static __always_inline int xg_synack_write(void *data, void *end,
					   __u32 l2len, struct iphdr *v4,
					   struct ipv6hdr *v6,
					   struct xg_synack_tcp *t, __u32 nopt)
{
	__u8 mac[6], *l4;
	void *l3;
	int i;

	if (l2len > 22 || data + 12 > end)
		return -1;
	/* the mask keeps the bound the verifier needs (clang may drop it) */
	xg_barrier_var(l2len);
	l3 = data + (l2len & 0x1f);
	if (v4) {
		if (l3 + sizeof(*v4) + sizeof(t->th) > end)
			return -1;
		__builtin_memcpy(l3, v4, sizeof(*v4));
		l4 = l3 + sizeof(*v4);
	} else {
		if (l3 + sizeof(*v6) + sizeof(t->th) > end)
			return -1;
		__builtin_memcpy(l3, v6, sizeof(*v6));
		l4 = l3 + sizeof(*v6);
	}
	__builtin_memcpy(l4, &t->th, sizeof(t->th));
	l4 += sizeof(t->th);
#pragma unroll
	for (i = 0; i < 5; i++) {
		if (i < nopt) {
			if ((void *)(l4 + 4 * i + 4) > end)
				return -1;
			*(__u32 *)(l4 + 4 * i) = t->opt[i];
		}
	}
	__builtin_memcpy(mac, data, 6);
	__builtin_memcpy(data, data + 6, 6);
	__builtin_memcpy(data + 6, mac, 6);
	return 0;
}

/*
 * Answer a SYN with a SYN-ACK cookie, in place: the frame keeps its
 * Ethernet header (MACs swapped) and VLAN tag, and gets a fresh IP header
 * without options or extension headers and a TCP header with the options
 * the kernel's cookies keep. The SYN is checked first: its IP and TCP
 * checksums (a SYN with a bad checksum gets no answer), and a listener
 * for it (never answer what the kernel cannot complete).
 */
static __always_inline int cookie_syn(struct xdp_md *ctx,
				      struct xg_config *cfg,
				      struct xg_pkt *p, __u64 now)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct tcphdr *tcp = p->tcp;
	struct xg_synack_tcp t = {};
	struct xg_cookie_cfg *cc;
	struct xg_tcpopt o = {};
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip = {};
	__u32 saddr[4] = {}, daddr[4] = {};
	__u32 zero = 0, l2len, l3len, l4len, tlen, nopt = 1, tsval;
	__u32 seq, ports, idx, cookie;
	__u16 mss, ours, sport, dport;
	const __u64 *key;
	__u64 sum, flen;
	int ts, ws, sack, state;
	__s64 ret;

	XG_STOP(XG_STOP_PORT);
	cc = bpf_map_lookup_elem(&xg_cookie_cfg, &zero);
	key = cookie_key();
	if (!cc || !key || (void *)(tcp + 1) > end)
		return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);
	if (tcp->fin || tcp->rst)
		return drop(ctx, cfg, p, XG_R_MALFORMED);
	/* the tc hand-off sees one tag at most (the kernel strips one) */
	if (p->vlans > 1)
		return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);

	/* lengths and checksums */
	if (p->family == 4) {
		struct iphdr *iph = p->l3;
		__u32 ihl;

		if ((void *)(iph + 1) > end)
			return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);
		/* a SYN in a first fragment: the kernel reassembles it */
		if (iph->frag_off & bpf_htons(0x3fff))
			return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);
		ihl = iph->ihl * 4;
		ret = xg_xdp_csum(ctx, (long)iph - (long)data, ihl, 0);
		if (ret < 0)
			return drop(ctx, cfg, p, XG_R_MALFORMED);
		if (ret)
			return drop(ctx, cfg, p, XG_R_BAD_CSUM);
		l4len = bpf_ntohs(iph->tot_len) - ihl;
		saddr[0] = iph->saddr;
		daddr[0] = iph->daddr;
		sum = xg_csum_pseudo4(saddr[0], daddr[0], l4len);
		l3len = sizeof(struct iphdr);
	} else {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > end)
			return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);
		/* jumbogram: not ours to answer */
		if (!ip6->payload_len)
			return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);
		l4len = (long)(ip6 + 1) + bpf_ntohs(ip6->payload_len) -
			(long)tcp;
		__builtin_memcpy(saddr, &ip6->saddr, 16);
		__builtin_memcpy(daddr, &ip6->daddr, 16);
		sum = xg_csum_pseudo6(saddr, daddr, l4len);
		l3len = sizeof(struct ipv6hdr);
	}
	if (l4len < tcp->doff * 4 || l4len > XG_CSUM_MAX)
		return drop(ctx, cfg, p, XG_R_MALFORMED);
	ret = xg_xdp_csum(ctx, (long)tcp - (long)data, l4len, sum);
	if (ret < 0)
		return drop(ctx, cfg, p, XG_R_MALFORMED);
	if (ret)
		return drop(ctx, cfg, p, XG_R_BAD_CSUM);
	XG_STOP(XG_STOP_CSUM);

	state = syn_state(ctx, cfg, p, tcp, saddr, daddr, now);
	if (state < 0)
		return verdict(ctx, cfg, 0, XG_R_NO_LISTENER);
	if (state != BPF_TCP_LISTEN)	/* a SYN for a live connection */
		return verdict(ctx, cfg, 0, XG_R_SYN_BUDGET);
	XG_STOP(XG_STOP_LISTENER);
	if (cfg->flags & XG_F_DRY_RUN)
		return verdict(ctx, cfg, 0, XG_R_COOKIE_SYN);

	if (xg_xdp_tcpopt(ctx, (long)tcp - (long)data, &o))
		o.has = 0;
	sport = tcp->source;
	dport = tcp->dest;
	ports = *(__u32 *)&tcp->source;
	seq = bpf_ntohl(tcp->seq);

	/* our cookie for this SYN: its MSS picks the index */
	mss = o.has & XG_OPT_MSS ? o.mss : XG_MSS_DEFAULT;
	idx = xg_cookie_mss_index(p->family == 4 ? msstab4 : msstab6, mss);
	cookie = xg_cookie_make(key, p->family, saddr, daddr, ports, seq,
				xg_cookie_unit(now), idx);
	XG_STOP(XG_STOP_COOKIE);

	/* options as the kernel's cookies keep them */
	ts = (o.has & XG_OPT_TS) && (cc->flags & XG_CKF_TS);
	ws = ts && (o.has & XG_OPT_WSCALE) && (cc->flags & XG_CKF_WSCALE);
	sack = ts && (o.has & XG_OPT_SACK) && (cc->flags & XG_CKF_SACK);
	ours = p->family == 4 ? cc->mss4 : cc->mss6;
	t.opt[0] = bpf_htonl(XG_TCPOPT_MSS << 24 | 4 << 16 | ours);
	if (ts) {
		tsval = xg_ts_encode(now / 1000000 + cc->ts_off, cookie, ws,
				     o.wscale > XG_MAX_WSCALE ? XG_MAX_WSCALE :
				     o.wscale, sack);
		t.opt[1] = bpf_htonl(sack ?
			XG_TCPOPT_SACK_PERM << 24 | 2 << 16 |
			XG_TCPOPT_TIMESTAMP << 8 | 10 :
			XG_TCPOPT_NOP << 24 | XG_TCPOPT_NOP << 16 |
			XG_TCPOPT_TIMESTAMP << 8 | 10);
		t.opt[2] = bpf_htonl(tsval);
		t.opt[3] = bpf_htonl(o.tsval);
		nopt = 4;
		if (ws) {
			t.opt[4] = bpf_htonl(XG_TCPOPT_NOP << 24 |
					     XG_TCPOPT_WINDOW << 16 | 3 << 8 |
					     cc->wscale);
			nopt = 5;
		}
	}
	tlen = sizeof(t.th) + nopt * 4;
	t.th.source = dport;
	t.th.dest = sport;
	t.th.seq = bpf_htonl(cookie);
	t.th.ack_seq = bpf_htonl(seq + 1);
	t.th.doff = tlen / 4;
	t.th.syn = 1;
	t.th.ack = 1;
	t.th.window = bpf_htons(xg_synack_window(ours, ts));

	/* the new IP header; addresses swapped */
	__builtin_memset(&ip, 0, sizeof(ip));
	if (p->family == 4) {
		ip.v4.version = 4;
		ip.v4.ihl = 5;
		ip.v4.tot_len = bpf_htons(sizeof(ip.v4) + tlen);
		ip.v4.frag_off = bpf_htons(0x4000);	/* DF */
		ip.v4.ttl = cc->ttl;
		ip.v4.protocol = XG_IPPROTO_TCP;
		ip.v4.saddr = daddr[0];
		ip.v4.daddr = saddr[0];
		ip.v4.check = xg_csum_fold(xg_csum_words((__u32 *)&ip.v4,
						sizeof(ip.v4) / 4));
		sum = xg_csum_pseudo4(daddr[0], saddr[0], tlen);
	} else {
		ip.v6.version = 6;
		ip.v6.payload_len = bpf_htons(tlen);
		ip.v6.nexthdr = XG_IPPROTO_TCP;
		ip.v6.hop_limit = cc->ttl;
		__builtin_memcpy(&ip.v6.saddr, daddr, 16);
		__builtin_memcpy(&ip.v6.daddr, saddr, 16);
		sum = xg_csum_pseudo6(daddr, saddr, tlen);
	}
	if (tlen > sizeof(t))
		return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);
	/* the words past tlen are zero: summing all of t is summing tlen */
	sum += xg_csum_words((__u32 *)&t, sizeof(t) / 4);
	t.th.check = xg_csum_fold(sum);
	XG_STOP(XG_STOP_BUILD);

	/* resize the frame to L2 + the new L3 + TCP, then write them */
	l2len = (long)p->l3 - (long)data;
	flen = (long)end - (long)data;
	xg_barrier_var(flen);
	if (l2len > 22)
		return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);
	/* a Linux SYN (MSS, SACK, TS, WS) is as long as its SYN-ACK */
	ret = (int)(l2len + l3len + tlen) - (int)flen;
	if (ret && bpf_xdp_adjust_tail(ctx, (int)ret))
		return verdict(ctx, cfg, 0, XG_R_COOKIE_SKIP);
	/* written in place (no copy helper): the frame was sized just above,
	 * so the checks below cannot fail */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (xg_synack_write(data, end, l2len, p->family == 4 ? &ip.v4 : NULL,
			    &ip.v6, &t, nopt))
		return XDP_ABORTED;
	return verdict_tx(ctx);
}

/*
 * An ACK to a port whose cookies are on: an ACK of a connection the
 * kernel knows passes; one that only reaches the listener must carry a
 * valid cookie or is dropped: ours (the tc hand-off turns it into a
 * connection) or the kernel's own, of a SYN that reached the kernel (an
 * allowed source's, or one before cookies switched on), which the kernel
 * completes. @now is the guard's clock.
 */
static __always_inline int cookie_ack(struct xdp_md *ctx,
				      struct xg_config *cfg,
				      struct xg_pkt *p, __u64 now)
{
	void *end = (void *)(long)ctx->data_end;
	struct tcphdr *tcp = p->tcp;
	int state, ours;
	__s64 ret;

	if ((void *)(tcp + 1) > end)
		return verdict(ctx, cfg, 0, XG_R_TCP_NOT_SYN);
	state = sk_state(ctx, p, tcp);
	if (state != BPF_TCP_LISTEN)
		return verdict(ctx, cfg, 0, XG_R_TCP_NOT_SYN);
	if (p->family == 4) {
		struct iphdr *iph = p->l3;

		if ((void *)(iph + 1) > end)
			return drop(ctx, cfg, p, XG_R_MALFORMED);
		ours = cookie_ours(4, iph, tcp, now) >= 0;
		ret = ours ? 0 : bpf_tcp_raw_check_syncookie_ipv4(iph, tcp);
	} else {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > end)
			return drop(ctx, cfg, p, XG_R_MALFORMED);
		ours = cookie_ours(6, ip6, tcp, now) >= 0;
		ret = ours ? 0 : bpf_tcp_raw_check_syncookie_ipv6(ip6, tcp);
	}
	if (!ret)
		return verdict(ctx, cfg, 0, XG_R_COOKIE_ACK);
	return drop(ctx, cfg, p, XG_R_COOKIE_BAD);
}

SEC("xdp")
int xdpguard(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xg_cookie_port *ck;
	struct xg_deny_val *d;
	struct xg_pkt p = {};
	struct xg_config *cfg;
	__u32 zero = 0;
	__u64 now = 0;
	int rc;

	cfg = bpf_map_lookup_elem(&xg_config, &zero);
	if (!cfg || !(cfg->flags & XG_F_ENABLED))
		return XDP_PASS;

	rc = xg_parse(data, data_end, &p);
	if (rc == XG_P_NOT_IP)
		return verdict(ctx, cfg, 0, XG_R_NOT_IP);
	if (rc != XG_P_OK)
		return verdict(ctx, cfg, 1, XG_R_MALFORMED);

	if (cfg->flags & (p.family == 4 ? XG_F_DENY4 : XG_F_DENY6)) {
		d = deny_lookup(&p, &now);
		if (d) {
			if (allowed(cfg, &p))
				return verdict(ctx, cfg, 0, XG_R_ALLOW);
			deny_hit(ctx, cfg, &p, d, &now);
			return verdict(ctx, cfg, 1, XG_R_DENY);
		}
	}
	if (p.l4_malformed)
		return drop(ctx, cfg, &p, XG_R_MALFORMED);
	if (p.fragment)
		return verdict(ctx, cfg, 0, XG_R_FRAGMENT);
	if (p.l4proto != XG_IPPROTO_TCP || !p.tcp)
		return verdict(ctx, cfg, 0, XG_R_NOT_TCP);
	if (!p.tcp->syn || p.tcp->ack) {
		/* ACKs to ports whose cookies are on are checked */
		if (have_cookies && (cfg->flags & XG_F_COOKIES) &&
		    p.tcp->ack && !p.tcp->syn && !p.tcp->rst) {
			ck = cookie_port(bpf_ntohs(p.tcp->dest));
			if (ck && cookie_active(ck))
				return cookie_ack(ctx, cfg, &p,
						  clock_ns(&now));
		}
		return verdict(ctx, cfg, 0, XG_R_TCP_NOT_SYN);
	}
	XG_STOP(XG_STOP_PARSE);
	rc = syn_budget(ctx, cfg, &p, clock_ns(&now));
	XG_STOP(XG_STOP_BUDGET);
	switch (rc) {
	case SYN_OK:
		if (have_cookies && (cfg->flags & XG_F_COOKIES)) {
			__u16 port = bpf_ntohs(p.tcp->dest);

			ck = cookie_port(port);
			if (ck && cookie_syn_counts(ctx, cfg, ck, port, now))
				return cookie_syn(ctx, cfg, &p, now);
		}
		return verdict(ctx, cfg, 0, XG_R_SYN_BUDGET);
	case SYN_ALLOWED:
		return verdict(ctx, cfg, 0, XG_R_ALLOW);
	default:
		return verdict(ctx, cfg, 1, XG_R_SYN_OVER);
	}
}

char LICENSE[] SEC("license") = "GPL";
