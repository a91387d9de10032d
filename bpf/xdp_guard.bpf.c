// SPDX-License-Identifier: GPL-2.0
/*
 * XDP SYN guard: parse -> allow/deny -> per-source SYN budget -> verdict.
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
#include "lib/events.h"

/* fixed at attach time */
const volatile __u32 prefix4 = 32;
const volatile __u32 prefix6 = 64;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_info);
} xg_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XG_MAX_PORT_RULES);
	__type(key, __u16);
	__type(value, struct xg_rate);
} xg_port_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_DEFAULT_SOURCES);
	__type(key, struct xg_bucket_key);
	__type(value, struct xg_bucket);
} xg_buckets SEC(".maps");

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

static __always_inline int verdict(struct xdp_md *ctx, struct xg_config *cfg,
				   int drop, __u32 reason)
{
	__u64 len = ctx->data_end - ctx->data;
	__u32 v = XG_V_PASS;

	if (drop)
		v = (cfg->flags & XG_F_DRY_RUN) ? XG_V_WOULD_DROP : XG_V_DROP;
	count(XG_COUNTER_IDX(v, reason), len);
	return v == XG_V_DROP ? XDP_DROP : XDP_PASS;
}

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
 * coarse clock (CLOCK_MONOTONIC_COARSE, one tick: 4 ms at HZ=250) costs a
 * fraction of the fine one; budgets are per second and credit carries
 * over, so a tick of resolution costs no accuracy.
 */
static __always_inline __u64 clock_ns(__u64 *now)
{
	if (!*now)
		*now = bpf_ktime_get_coarse_ns();
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
		__builtin_memcpy(e->addr, p->saddr, 16);
		e->count = d->hits;
		bpf_ringbuf_submit(e, 0);
	}
}

/*
 * 1: the source is in the allow list. Asked only when a packet is about
 * to be dropped: allow exists to overrule drops, and the lookup stays off
 * the path of the traffic that passes anyway.
 */
static __always_inline int allowed(struct xg_config *cfg, struct xg_pkt *p)
{
	struct xg_allow_val *a;
	struct xg_lpm6 k6;
	struct xg_lpm4 k4;

	if (p->family == 4) {
		if (!(cfg->flags & XG_F_ALLOW4))
			return 0;
		k4.prefixlen = 32;
		k4.addr = p->saddr[0];
		a = bpf_map_lookup_elem(&xg_allow4, &k4);
	} else {
		if (!(cfg->flags & XG_F_ALLOW6))
			return 0;
		k6.prefixlen = 128;
		__builtin_memcpy(k6.addr, p->saddr, 16);
		a = bpf_map_lookup_elem(&xg_allow6, &k6);
	}
	if (!a)
		return 0;
	__sync_fetch_and_add(&a->hits, 1);
	return 1;
}

/* Drop for @reason unless the source is allowed. */
static __always_inline int drop(struct xdp_md *ctx, struct xg_config *cfg,
				struct xg_pkt *p, __u32 reason)
{
	if (allowed(cfg, p))
		return verdict(ctx, cfg, 0, XG_R_ALLOW);
	return verdict(ctx, cfg, 1, reason);
}

enum { SYN_OK, SYN_OVER, SYN_ALLOWED };

/* Judge a SYN against its source's budget. */
static __always_inline int syn_budget(struct xdp_md *ctx,
				      struct xg_config *cfg,
				      struct xg_pkt *p, __u64 now)
{
	struct xg_bucket_key key = {};
	struct xg_bucket *b, init = {};
	struct xg_rate rate = cfg->rate;
	struct xg_rate *pr;
	struct xg_event *e;
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

	b = bpf_map_lookup_elem(&xg_buckets, &key);
	if (!b) {
		init.credit = xg_bucket_cap(rate.burst);
		init.refill_ns = now;
		init.first_ns = now;
		init.win_start = now;
		bpf_map_update_elem(&xg_buckets, &key, &init, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&xg_buckets, &key);
		if (!b)	/* table full and busy: a fresh bucket passes */
			return SYN_OK;
	}
	b->last_ns = now;
	if (now - b->win_start >= XG_NSEC_PER_SEC) {
		b->last_rate = now - b->win_start < 2 * XG_NSEC_PER_SEC ?
			b->win_syns : 0;
		b->win_start = now;
		b->win_syns = 0;
	}
	b->win_syns++;

	ok = xg_bucket_take(&b->credit, &b->refill_ns, now, rate.pps,
			    rate.burst);
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
			__builtin_memcpy(e->addr, key.addr, 16);
			e->dport = dport;
			e->rate = b->last_rate > b->win_syns ?
				b->last_rate : b->win_syns;
			e->pps = rate.pps;
			e->burst = rate.burst;
			e->count = b->dropped;
			bpf_ringbuf_submit(e, 0);
		}
	}
	b->throttled = 1;
	return SYN_OVER;
}

SEC("xdp")
int xdpguard(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
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
	if (!p.tcp->syn || p.tcp->ack)
		return verdict(ctx, cfg, 0, XG_R_TCP_NOT_SYN);
	switch (syn_budget(ctx, cfg, &p, clock_ns(&now))) {
	case SYN_OK:
		return verdict(ctx, cfg, 0, XG_R_SYN_BUDGET);
	case SYN_ALLOWED:
		return verdict(ctx, cfg, 0, XG_R_ALLOW);
	default:
		return verdict(ctx, cfg, 1, XG_R_SYN_OVER);
	}
}

char LICENSE[] SEC("license") = "GPL";
