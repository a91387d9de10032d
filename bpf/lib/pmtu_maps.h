/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps of MSS clamping and PMTUD telemetry, shared by the tc programs
 * (bpf/tc_mss.bpf.c, which creates and pins them) and the retransmission
 * tracepoint (bpf/sock_retrans.bpf.c, which reuses the pins of its
 * interface). Per-destination tables are LRU hashes: a scan of spoofed
 * PTBs evicts old destinations, memory stays bounded.
 */
#ifndef XG_LIB_PMTU_MAPS_H
#define XG_LIB_PMTU_MAPS_H

#include <xdpguard/pmtu.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_pm_cfg);
} xg_pm_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XG_PMC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} xg_pm_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_PM_DESTS);
	__type(key, struct xg_dst_key);
	__type(value, struct xg_ptb_val);
} xg_ptb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_PM_DESTS);
	__type(key, struct xg_dst_key);
	__type(value, struct xg_egress_val);
} xg_egress SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_PM_DESTS);
	__type(key, struct xg_dst_key);
	__type(value, struct xg_bh_val);
} xg_bh SEC(".maps");

static __always_inline void pm_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&xg_pm_stats, &idx);

	if (c)
		(*c)++;
}

#endif /* XG_LIB_PMTU_MAPS_H */
