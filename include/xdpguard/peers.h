/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's socket record (docs/peers.md), shared by bpf/sock_peers.bpf.c,
 * which keeps it, the XDP guard, which reads it, and user/comp/peers.c.
 *
 * xg_peers is an array of cells, one per hash of a remote address (an
 * IPv4 address, a v4-mapped IPv6 one counted as IPv4, or an IPv6 one). A
 * cell says whether some TCP socket other than a listener may exist, in
 * any network namespace of the host, whose peer address hashes there:
 * `live` full sockets (counted once each, marked in xg_peer_marks) and,
 * for the sockets no event ends (TIME_WAIT, request sockets), a time
 * `until` which one may still exist. A cell that says nothing (live 0 and
 * until past) lets the guard look a SYN's listener up without probing the
 * established table for its 4-tuple. Cells are shared by addresses and
 * namespaces: a collision only makes the guard take the full lookup.
 * Fixed-width types only.
 */
#ifndef XDPGUARD_PEERS_H
#define XDPGUARD_PEERS_H

#include <xdpguard/abi.h>	/* XG_HASH_MUL */

/* pinned in the pin root's XG_PEERS_DIR folder, made by the first attach
 * and removed with the last detach; xg_peers is also pinned in each
 * guard's folder, which reads it */
#define XG_PEERS_DIR		"peers"
#define XG_MAP_PEERS		"xg_peers"
#define XG_MAP_PEER_MARKS	"xg_peer_marks"
#define XG_PIN_PEER_STATE	"xg_link_peer_state"	/* tracepoint */
#define XG_PIN_PEER_REQ		"xg_link_peer_req"	/* cgroup sockops */
#define XG_PIN_PEER_SEED	"xg_link_peer_seed"	/* iter/tcp */

#define XG_PEER_BITS		14
#define XG_PEER_CELLS		(1U << XG_PEER_BITS)	/* 128 KiB */

/*
 * One cell past the hashed ones (no address hashes there) counts the
 * changes of listening sockets, in any namespace: its `live` is bumped
 * when a TCP socket enters or leaves LISTEN, its `until` is the time of
 * the last change in units of 2^XG_LISTEN_SHIFT ns (about 1 ms). The
 * guard keeps "a listener answers here" only while the count stays
 * what it was when the guard saw the listener (docs/peers.md).
 */
#define XG_PEER_LISTEN		XG_PEER_CELLS
#define XG_PEER_MAP_CELLS	(XG_PEER_CELLS + 1)
#define XG_LISTEN_SHIFT		20

/*
 * `until` counts units of 2^30 ns (about 1.07 s) of CLOCK_MONOTONIC(_COARSE);
 * a socket with no end event is held for its longest life plus a unit:
 * a TIME_WAIT socket 60 s (TCP_TIMEWAIT_LEN, also the longest FIN_WAIT2
 * timewait), a request socket 130 s (five SYN-ACK retransmissions take
 * 63 s, six 127).
 */
#define XG_PEER_SHIFT		30
#define XG_PEER_TW		57	/* > 60 s */
#define XG_PEER_REQ		123	/* > 130 s */
#define XG_PEER_STICKY		0xffffffffU	/* live: never forgotten */

struct xg_peer {
	__u32 live;		/* counted full sockets (XG_PEER_STICKY: many) */
	__u32 until;		/* units: a timewait/request socket may live */
};

/* the cell of a peer address (network order; IPv4 in addr[0]) */
static inline __u32 xg_peer_cell(__u8 family, const __u32 *addr)
{
	__u64 k = addr[0];

	if (family == 6)
		k = ((__u64)addr[0] << 32 | addr[1]) ^
		    ((__u64)addr[2] << 32 | addr[3]) ^ 6;
	return (__u32)((k * XG_HASH_MUL) >> (64 - XG_PEER_BITS));
}

/* whether cell @c names no socket at time @now (units) */
static inline int xg_peer_clear(const struct xg_peer *c, __u32 now)
{
	return !c->live && (__s32)(c->until - now) < 0;
}

#endif /* XDPGUARD_PEERS_H */
