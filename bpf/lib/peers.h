/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's socket record, xg_peers (include/xdpguard/peers.h): its map,
 * as the keeper (sock_peers.bpf.c) and the XDP guard both declare it.
 */
#ifndef XG_LIB_PEERS_H
#define XG_LIB_PEERS_H

#include <xdpguard/peers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_PEER_MAP_CELLS);
	__type(key, __u32);
	__type(value, struct xg_peer);
} xg_peers SEC(".maps");

#endif /* XG_LIB_PEERS_H */
