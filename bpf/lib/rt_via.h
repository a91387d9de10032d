/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xgh_rt_via: which attached interface reaches a peer, per network
 * namespace. Host-wide (pinned in the pin root's XG_RT_DIR folder):
 * written by every interface's tc egress program (bpf/tc_mss.bpf.c), read
 * by the host's retransmission program (bpf/retrans_host.bpf.c).
 */
#ifndef XG_LIB_RT_VIA_H
#define XG_LIB_RT_VIA_H

#include <xdpguard/pmtu.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_RT_VIA_DESTS);
	__type(key, struct xg_rt_key);
	__type(value, struct xg_rt_via);
} xgh_rt_via SEC(".maps");

#endif /* XG_LIB_RT_VIA_H */
