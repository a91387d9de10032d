// SPDX-License-Identifier: GPL-2.0
/*
 * The keeper of the host's socket record, xg_peers (docs/peers.md): which
 * peer addresses may have a TCP socket other than a listener, in any
 * network namespace, and when a listening socket last came or went.
 * Three programs, one event each:
 *
 *   - sock:inet_sock_set_state counts a full socket in its peer's cell
 *     once it has a peer address (an active open from SYN_SENT on, a
 *     passive one from ESTABLISHED: the child's SYN_RECV is reported
 *     before its peer address is set), marks it (xg_peer_marks) so that
 *     its CLOSE uncounts only what was counted, and at the CLOSE holds the
 *     cell for a TIME_WAIT socket's life; a socket entering or leaving
 *     LISTEN bumps the cell XG_PEER_LISTEN;
 *   - a cgroup sockops program, at BPF_SOCK_OPS_TIMEOUT_INIT of a request
 *     socket (tcp_conn_request, just before the kernel hashes it), holds
 *     the cell for a request socket's life;
 *   - an iterator over the TCP sockets of a namespace records what existed
 *     before the other two ran (user space runs it at attach).
 *
 * No loops but bounded compare-and-swap retries; nothing per packet.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lib/sk.h"
#include "lib/peers.h"

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} xg_peer_marks SEC(".maps");

/*
 * CLOCK_MONOTONIC (the coarse clock is not for tracing programs): at or
 * ahead of the guard's coarse clock, so a hold never ends early.
 */
static __always_inline __u32 now_units(void)
{
	return (__u32)(bpf_ktime_get_ns() >> XG_PEER_SHIFT);
}

/* the cell of @t's peer, or NULL (not inet, or no peer address yet) */
static __always_inline struct xg_peer *cell_of(const struct xg_tuple *t)
{
	__u32 i;

	if (!t->family || !(t->raddr[0] | t->raddr[1] | t->raddr[2] |
			    t->raddr[3]))
		return NULL;
	i = xg_peer_cell(t->family, t->raddr);
	return bpf_map_lookup_elem(&xg_peers, &i);
}

/* @c may name a socket until @until (units): never made earlier */
static __always_inline void hold(struct xg_peer *c, __u32 until)
{
	__u32 old;
	int i;

	for (i = 0; i < 4; i++) {
		old = c->until;
		if ((__s32)(until - old) <= 0)
			return;
		if (__sync_val_compare_and_swap(&c->until, old, until) == old)
			return;
	}
}

static __always_inline void count(struct xg_peer *c, int d)
{
	if (c->live == XG_PEER_STICKY)
		return;
	if (d > 0)
		__sync_fetch_and_add(&c->live, 1);
	else if (c->live)
		__sync_fetch_and_sub(&c->live, 1);
}

/* count full socket @sk in @c once; a socket we cannot mark pins @c */
static __always_inline void count_once(struct xg_peer *c, struct sock *sk)
{
	__u32 *mark;

	mark = bpf_sk_storage_get(&xg_peer_marks, sk, 0,
				  BPF_SK_STORAGE_GET_F_CREATE);
	if (!mark) {
		c->live = XG_PEER_STICKY;
		return;
	}
	if (__sync_val_compare_and_swap(mark, 0, 1) == 0)
		count(c, 1);
}

/*
 * A socket enters or leaves LISTEN: the guard forgets the listeners it
 * saw (the count), and sees none anew for a while (the time). The event
 * comes before the kernel hashes a new listener or unhashes a closing
 * one; a lookup made in between still sees the old state, and the time
 * keeps the guard from holding on to it.
 */
static __always_inline void listen_changed(void)
{
	__u32 i = XG_PEER_LISTEN;
	struct xg_peer *c = bpf_map_lookup_elem(&xg_peers, &i);

	if (!c)
		return;
	c->until = (__u32)(bpf_ktime_get_ns() >> XG_LISTEN_SHIFT);
	__sync_fetch_and_add(&c->live, 1);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(xg_peer_state, struct sock *sk, int oldstate, int newstate)
{
	struct xg_peer *c;
	struct xg_tuple t;
	__u32 *mark;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	/* (a passive open's child is cloned in LISTEN: to SYN_RECV) */
	if (newstate == TCP_LISTEN ||
	    (oldstate == TCP_LISTEN && newstate == TCP_CLOSE)) {
		listen_changed();
		return 0;
	}
	xg_sk_tuple(&sk->__sk_common, &t);
	c = cell_of(&t);
	if (!c)
		return 0;
	if (newstate != TCP_CLOSE) {
		count_once(c, sk);
		return 0;
	}
	hold(c, now_units() + XG_PEER_TW);
	mark = bpf_sk_storage_get(&xg_peer_marks, sk, 0, 0);
	if (mark && __sync_val_compare_and_swap(mark, 1, 0) == 1)
		count(c, -1);
	return 0;
}

SEC("sockops")
int xg_peer_req(struct bpf_sock_ops *skops)
{
	struct xg_peer *c;
	__u32 a[4] = {}, i;
	__u8 family;

	if (skops->op != BPF_SOCK_OPS_TIMEOUT_INIT || skops->is_fullsock)
		return 1;
	if (skops->family == AF_INET) {
		family = 4;
		a[0] = skops->remote_ip4;
	} else if (skops->family == AF_INET6) {
		family = 6;
		a[0] = skops->remote_ip6[0];
		a[1] = skops->remote_ip6[1];
		a[2] = skops->remote_ip6[2];
		a[3] = skops->remote_ip6[3];
		if (xg_v4mapped(a)) {
			family = 4;
			a[0] = a[3];
			a[1] = a[2] = a[3] = 0;
		}
	} else {
		return 1;
	}
	i = xg_peer_cell(family, a);
	c = bpf_map_lookup_elem(&xg_peers, &i);
	if (c)
		hold(c, now_units() + XG_PEER_REQ);
	return 1;
}

SEC("iter/tcp")
int xg_peer_seed(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;
	struct xg_peer *c;
	struct xg_tuple t;
	int state;

	if (!skc)
		return 0;
	state = skc->skc_state;
	if (state == TCP_LISTEN || state == TCP_CLOSE)
		return 0;
	xg_sk_tuple(skc, &t);
	c = cell_of(&t);
	if (!c)
		return 0;
	if (state == TCP_TIME_WAIT) {
		hold(c, now_units() + XG_PEER_TW);
		return 0;
	}
	if (state == TCP_NEW_SYN_RECV) {
		hold(c, now_units() + XG_PEER_REQ);
		return 0;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp)
		count_once(c, (struct sock *)tp);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
