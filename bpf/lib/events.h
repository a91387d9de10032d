/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps every program of an interface shares (one config, one counter
 * array, one event ring, one per-CPU event budget) and the helpers that
 * count and emit into them. A program loaded after the XDP guard reuses
 * the guard's pinned maps of these names, so `xdpguard events` reads one
 * ring per interface and lost records are counted in one place.
 */
#ifndef XG_LIB_EVENTS_H
#define XG_LIB_EVENTS_H

#include "lib/bucket.h"
#include "lib/maps.h"	/* xg_config, xg_counters, count() */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XG_EVENTS_BYTES);
} xg_events SEC(".maps");

/* per-CPU event budget window */
struct xg_evwin {
	__u64 start;
	__u32 n;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_evwin);
} xg_evstate SEC(".maps");

/* 1: this CPU has not spent its event budget for this second. */
static __always_inline int event_budget(struct xg_config *cfg, __u64 now)
{
	struct xg_evwin *w;
	__u32 zero = 0;

	w = bpf_map_lookup_elem(&xg_evstate, &zero);
	if (!w)
		return 0;
	if (now - w->start >= XG_NSEC_PER_SEC) {
		w->start = now;
		w->n = 0;
	}
	if (cfg->event_budget && w->n >= cfg->event_budget) {
		count(XG_C_EVENTS_SUPPRESSED, 0);
		return 0;
	}
	w->n++;
	return 1;
}

/*
 * Reserve a zeroed record (struct xg_event, abi.h), NULL when over budget
 * or the ring is full (both counted). ts_ns is the fine clock: events are
 * rare.
 */
static __always_inline struct xg_event *event_reserve(struct xg_config *cfg,
						      __u64 now)
{
	struct xg_event *e;

	if (!event_budget(cfg, now))
		return NULL;
	e = bpf_ringbuf_reserve(&xg_events, sizeof(*e), 0);
	if (!e) {
		count(XG_C_EVENTS_LOST, 0);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	return e;
}

#endif /* XG_LIB_EVENTS_H */
