// SPDX-License-Identifier: GPL-2.0
/*
 * Host-wide TCP socket telemetry: TIME_WAIT churn, resets, SYN-ACK
 * retransmissions (tracepoints) and exact socket snapshots (iter/tcp).
 * One set of programs for the host; everything is keyed by the socket's
 * network namespace (its cookie), so each namespace reads its own.
 *
 * sock:inet_sock_set_state never reports TCP_TIME_WAIT: tcp_time_wait()
 * hashes a timewait socket in place of the full one and then calls
 * tcp_done(), so the full socket is seen going FIN_WAIT2 -> CLOSE or
 * CLOSING -> CLOSE. Those two transitions are also how an abort from
 * these states looks, so an entry is not counted when the socket carries
 * an error (tcp_reset(), timeouts, tcp_abort() set sk_err first) or an
 * RST was just sent for it, and it is taken back when the RST follows the
 * CLOSE on the same CPU (tcp_close() with unread data, zero linger).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <xdpguard/abi.h>
#include <xdpguard/sock.h>
#include "lib/sk.h"

#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL
/* an RST and the CLOSE it explains come within this of each other */
#define PAIR_NS		(2 * NSEC_PER_MSEC)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XG_SK_MAX_NETNS);
	__type(key, __u64);
	__type(value, struct xg_sk_config);
} xg_sk_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, XG_SK_MAX_NETNS);
	__type(key, __u64);
	__type(value, struct xg_sk_stats);
} xg_sk_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_SK_MAX_CHURN);
	__type(key, struct xg_sk_key);
	__type(value, __u64);
} xg_sk_churn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_SK_MAX_NETNS);
	__type(key, __u64);
	__type(value, struct xg_sk_win);
} xg_sk_win SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_SK_MAX_LISTEN);
	__type(key, __u64);
	__type(value, struct xg_sk_listen);
} xg_sk_listen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_SK_MAX_DEST);
	__type(key, struct xg_sk_key);
	__type(value, struct xg_sk_dest);
} xg_sk_dest SEC(".maps");

/* one ring per namespace, made by user space (a BPF ring buffer has one
 * consumer position: readers in two namespaces would take each other's) */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XG_SK_EVENTS_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, XG_SK_MAX_NETNS);
	__type(key, __u64);
	__array(values, struct ring);
} xg_sk_rings SEC(".maps");

/* per CPU: the last TIME_WAIT entry and the last RST, to pair them */
struct pending {
	__u64 tw_sk;
	__u64 tw_ns;
	__u64 rst_sk;
	__u64 rst_ns;
	__u64 netns;
	struct xg_tuple t;
	__u32 fin_wait2;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending);
} xg_sk_pending SEC(".maps");

/* per CPU: the event budget's one-second window */
struct evwin {
	__u64 start;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct evwin);
} xg_sk_evwin SEC(".maps");

static const struct xg_sk_config builtin = {
	.churn = XG_SK_DEF_CHURN,
	.ephemeral_pct = XG_SK_DEF_EPH_PCT,
	.accept_full = 1,
	.event_every_ms = XG_SK_DEF_EVERY_MS,
	.event_budget = XG_SK_DEF_BUDGET,
};

static __always_inline const struct xg_sk_config *sk_cfg(__u64 netns)
{
	const struct xg_sk_config *c;
	__u64 zero = 0;

	c = bpf_map_lookup_elem(&xg_sk_config, &netns);
	if (!c)
		c = bpf_map_lookup_elem(&xg_sk_config, &zero);
	return c ? c : &builtin;
}

static __always_inline struct xg_sk_stats *stats(__u64 netns)
{
	struct xg_sk_stats *s, zero = {};

	s = bpf_map_lookup_elem(&xg_sk_stats, &netns);
	if (s)
		return s;
	bpf_map_update_elem(&xg_sk_stats, &netns, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&xg_sk_stats, &netns);
}

static __always_inline void churn_add(struct xg_sk_key *k, __s64 d)
{
	__u64 *v, one = 1;

	v = bpf_map_lookup_elem(&xg_sk_churn, k);
	if (v) {
		__sync_fetch_and_add(v, d);
		return;
	}
	if (d > 0 && bpf_map_update_elem(&xg_sk_churn, k, &one, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&xg_sk_churn, k);
		if (v)
			__sync_fetch_and_add(v, d);
	}
}

static __always_inline void churn_keys(__u64 netns, const struct xg_tuple *t,
				       struct xg_sk_key *rk,
				       struct xg_sk_key *lk)
{
	__builtin_memset(rk, 0, sizeof(*rk));
	__builtin_memset(lk, 0, sizeof(*lk));
	rk->netns = netns;
	rk->family = t->family;
	rk->kind = XG_SK_BY_REMOTE;
	rk->port = t->rport;
	__builtin_memcpy(rk->addr, t->raddr, sizeof(rk->addr));
	lk->netns = netns;
	lk->kind = XG_SK_BY_LPORT;
	lk->port = t->lport;
}

/*
 * Reserve a host event: at most one per key per event_every_ms (*last is
 * the key's last event) and at most event_budget per CPU per second.
 */
static __always_inline struct xg_event *
event_reserve(const struct xg_sk_config *cfg, struct xg_sk_stats *st,
	      __u64 *last, __u64 now, struct net *net, __u64 netns)
{
	struct xg_event *e;
	struct evwin *w;
	__u32 zero = 0;
	void *ring;

	if (*last && now - *last < cfg->event_every_ms * NSEC_PER_MSEC)
		return NULL;
	ring = bpf_map_lookup_elem(&xg_sk_rings, &netns);
	if (!ring) {
		if (st)
			st->events_unrouted++;
		return NULL;
	}
	w = bpf_map_lookup_elem(&xg_sk_evwin, &zero);
	if (!w)
		return NULL;
	if (now - w->start >= NSEC_PER_SEC) {
		w->start = now;
		w->n = 0;
	}
	if (cfg->event_budget && w->n >= cfg->event_budget) {
		if (st)
			st->events_suppressed++;
		return NULL;
	}
	w->n++;
	*last = now;
	e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
	if (!e) {
		if (st)
			st->events_lost++;
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = now;
	e->netns_cookie = netns;
	e->netns_ino = net->ns.inum;
	return e;
}

static __always_inline void event_tuple(struct xg_event *e,
					const struct xg_tuple *t)
{
	/* the local end is the source, the peer the destination */
	e->family = t->family;
	e->sport = t->lport;
	e->dport = t->rport;
	__builtin_memcpy(e->saddr, t->laddr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, t->raddr, sizeof(e->daddr));
}

static __always_inline void local_range(struct net *net, __u32 *lo, __u32 *hi)
{
	__u32 range = net->ipv4.ip_local_ports.range;

	*lo = range & 0xffff;
	*hi = range >> 16;
}

/* A connection became a timewait socket. */
static __always_inline void tw_entry(const struct sock *sk, struct net *net,
				     __u64 netns, struct xg_sk_stats *st,
				     struct pending *p, __u64 now, bool fw2)
{
	const struct xg_sk_config *cfg;
	struct xg_sk_key rk, lk;
	struct xg_event *e;
	struct xg_sk_win *w, nw = {};
	__u64 n;

	xg_sk_tuple(&sk->__sk_common, &p->t);
	p->t.lport = xg_sk_sport(sk);
	st->tw_entries++;
	if (fw2)
		st->tw_fin_wait2++;
	churn_keys(netns, &p->t, &rk, &lk);
	churn_add(&rk, 1);
	churn_add(&lk, 1);
	p->tw_sk = (__u64)sk;
	p->tw_ns = now;
	p->netns = netns;
	p->fin_wait2 = fw2;

	w = bpf_map_lookup_elem(&xg_sk_win, &netns);
	if (!w) {
		nw.start_ns = now;
		nw.churn = sk_cfg(netns)->churn;
		bpf_map_update_elem(&xg_sk_win, &netns, &nw, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&xg_sk_win, &netns);
		if (!w)
			return;
	}
	if (now - w->start_ns >= NSEC_PER_SEC) {
		/* a racing CPU may lose one entry of the new window; the
		 * threshold is read here, once a window, not per entry */
		w->start_ns = now;
		w->n = 0;
		w->churn = sk_cfg(netns)->churn;
	}
	n = __sync_fetch_and_add(&w->n, 1) + 1;
	if (!w->churn || n != w->churn)
		return;
	cfg = sk_cfg(netns);
	e = event_reserve(cfg, st, &w->event_ns, now, net, netns);
	if (!e)
		return;
	e->type = XG_EV_TW_CHURN;
	event_tuple(e, &p->t);	/* the connection that crossed it */
	e->tw.threshold = w->churn;
	e->tw.entries = n;
	e->tw.window_ms = (now - w->start_ns) / NSEC_PER_MSEC;
	bpf_ringbuf_submit(e, 0);
}

/* An RST went out after we counted this socket as TIME_WAIT: undo. */
static __always_inline void tw_take_back(struct pending *p,
					 struct xg_sk_stats *st)
{
	struct xg_sk_key rk, lk;
	struct xg_sk_win *w;

	churn_keys(p->netns, &p->t, &rk, &lk);
	churn_add(&rk, -1);
	churn_add(&lk, -1);
	w = bpf_map_lookup_elem(&xg_sk_win, &p->netns);
	if (w && w->n)
		__sync_fetch_and_add(&w->n, -1);
	st->tw_entries--;
	if (p->fin_wait2)
		st->tw_fin_wait2--;
	st->tw_taken_back++;
	p->tw_sk = 0;
}

/* connect() found no local port: the range toward it is exhausted */
static __always_inline void no_port(const struct sock *sk, struct net *net,
				    __u64 netns, struct xg_sk_stats *st)
{
	const struct xg_sk_config *cfg = sk_cfg(netns);
	struct xg_sk_dest *d, nd = {};
	struct xg_event *e;
	struct xg_sk_key k = {};
	struct xg_tuple t = {};
	__u64 now = bpf_ktime_get_ns();
	__u32 lo, hi;

	st->no_port++;
	if (!cfg->ephemeral_pct)
		return;
	xg_sk_tuple(&sk->__sk_common, &t);
	k.netns = netns;
	k.family = t.family;
	k.kind = XG_SK_BY_DEST;
	k.port = t.rport;
	__builtin_memcpy(k.addr, t.raddr, sizeof(k.addr));
	d = bpf_map_lookup_elem(&xg_sk_dest, &k);
	if (!d) {
		bpf_map_update_elem(&xg_sk_dest, &k, &nd, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&xg_sk_dest, &k);
		if (!d)
			return;
	}
	e = event_reserve(cfg, st, &d->no_port_ns, now, net, netns);
	if (!e)
		return;
	local_range(net, &lo, &hi);
	e->type = XG_EV_NO_PORT;
	event_tuple(e, &t);
	e->eph.threshold = cfg->ephemeral_pct;
	e->eph.ports = hi >= lo ? hi - lo + 1 : 0;
	e->eph.in_use = e->eph.ports;
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(xg_sk_state, const struct sock *sk, const int oldstate,
	     const int newstate)
{
	struct xg_sk_stats *st;
	struct pending *p;
	struct net *net;
	__u32 zero = 0;
	__u64 netns, now;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	net = xg_sk_net(&sk->__sk_common);
	netns = xg_net_cookie(net);
	st = stats(netns);
	if (!st)
		return 0;
	st->transitions++;
	switch (newstate) {
	case TCP_SYN_SENT:
		st->connects++;
		return 0;
	case TCP_SYN_RECV:
		if (oldstate == TCP_LISTEN)
			st->passive++;
		return 0;
	case TCP_ESTABLISHED:
		st->established++;
		return 0;
	case TCP_CLOSE:
		break;
	default:
		return 0;
	}
	st->closes++;
	/*
	 * tcp_v4/v6_connect() set SYN_SENT before picking the port: no
	 * port (and no error, unlike a refused or timed-out connect) means
	 * inet_hash_connect() found none free.
	 */
	if (oldstate == TCP_SYN_SENT && !xg_sk_sport(sk) && !sk->sk_err) {
		no_port(sk, net, netns, st);
		return 0;
	}
	if (oldstate != TCP_FIN_WAIT2 && oldstate != TCP_CLOSING)
		return 0;
	p = bpf_map_lookup_elem(&xg_sk_pending, &zero);
	if (!p)
		return 0;
	now = bpf_ktime_get_ns();
	if (sk->sk_err || (p->rst_sk == (__u64)sk && now - p->rst_ns < PAIR_NS))
		return 0;
	/*
	 * FIN_WAIT2 without the peer's FIN (tcp_fin() sets SOCK_DONE;
	 * close() sets RCV_SHUTDOWN, so that tells nothing): the timewait
	 * socket waits in sub-state FIN_WAIT2 and turns TIME_WAIT, with no
	 * tracepoint, when the FIN comes.
	 */
	tw_entry(sk, net, netns, st, p, now, oldstate == TCP_FIN_WAIT2 &&
		 !(sk->__sk_common.skc_flags & (1UL << SOCK_DONE)));
	return 0;
}

/* Count one reset close per socket, and take back a wrong TIME_WAIT. */
static __always_inline void reset_close(const struct sock *sk, bool sent)
{
	struct xg_sk_stats *st;
	struct pending *p;
	__u32 zero = 0;
	__u64 now;

	st = stats(xg_net_cookie(xg_sk_net(&sk->__sk_common)));
	p = bpf_map_lookup_elem(&xg_sk_pending, &zero);
	if (!st || !p)
		return;
	now = bpf_ktime_get_ns();
	if (p->rst_sk == (__u64)sk && now - p->rst_ns < PAIR_NS)
		return;		/* counted: tcp_reset(), then an RST */
	p->rst_sk = (__u64)sk;
	p->rst_ns = now;
	if (sent)
		st->rst_sent++;
	else
		st->rst_received++;
	if (sent && p->tw_sk == (__u64)sk && now - p->tw_ns < PAIR_NS &&
	    sk->__sk_common.skc_state == TCP_CLOSE)
		tw_take_back(p, st);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(xg_sk_rst_in, struct sock *sk)
{
	if (sk && sk->__sk_common.skc_state != TCP_CLOSE)
		reset_close(sk, false);
	return 0;
}

/*
 * tcp_send_active_reset() (skb NULL): we abort a connection. With an skb
 * it answers a segment; that closes a connection only when the full
 * socket was just closed by tcp_done() (e.g. data after close()).
 */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(xg_sk_rst_out, const struct sock *sk, const struct sk_buff *skb)
{
	int state;

	if (!sk)
		return 0;
	state = sk->__sk_common.skc_state;
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV ||
	    state == TCP_LISTEN)
		return 0;
	if (skb && state != TCP_CLOSE)
		return 0;
	reset_close(sk, true);
	return 0;
}

static __always_inline void accept_full(const struct sock *sk,
					struct net *net, __u64 netns,
					struct xg_sk_stats *st, __u64 *last,
					__u32 qlen)
{
	const struct xg_sk_config *cfg = sk_cfg(netns);
	struct xg_event *e;
	struct xg_tuple t = {};

	if (!cfg->accept_full)
		return;
	e = event_reserve(cfg, st, last, bpf_ktime_get_ns(), net, netns);
	if (!e)
		return;
	xg_sk_tuple(&sk->__sk_common, &t);
	e->type = XG_EV_ACCEPT_FULL;
	event_tuple(e, &t);
	e->accept.backlog = sk->sk_max_ack_backlog;
	e->accept.queue = sk->sk_ack_backlog;
	e->accept.syn_recv = qlen;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct xg_sk_listen *listener(__u64 cookie,
						     __u64 netns)
{
	struct xg_sk_listen *l, nl = { .netns = netns };

	l = bpf_map_lookup_elem(&xg_sk_listen, &cookie);
	if (l)
		return l;
	bpf_map_update_elem(&xg_sk_listen, &cookie, &nl, BPF_NOEXIST);
	return bpf_map_lookup_elem(&xg_sk_listen, &cookie);
}

/* sk is the listener (a Fast Open child for its own SYN-ACK) */
SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(xg_sk_synack, const struct sock *sk,
	     const struct request_sock *req)
{
	struct xg_sk_stats *st;
	struct xg_sk_listen *l;
	struct net *net;
	__u64 netns;

	net = xg_sk_net(&sk->__sk_common);
	netns = xg_net_cookie(net);
	st = stats(netns);
	if (!st)
		return 0;
	st->synack_retrans++;
	l = listener(bpf_get_socket_cookie((void *)sk), netns);
	if (!l)
		return 0;
	__sync_fetch_and_add(&l->synack_retrans, 1);
	/* sk_acceptq_is_full(): the kernel admits backlog + 1 */
	if (sk->__sk_common.skc_state == TCP_LISTEN &&
	    sk->sk_ack_backlog > sk->sk_max_ack_backlog)
		accept_full(sk, net, netns, st, &l->event_ns,
			    BPF_CORE_READ((struct inet_connection_sock *)sk,
					  icsk_accept_queue.qlen.counter));
	return 0;
}

/* Ports toward one destination in this snapshot; event when it crosses */
static __always_inline void ephemeral(struct sock_common *skc,
				      struct net *net, __u64 netns,
				      const struct xg_tuple *t, __u64 session)
{
	const struct xg_sk_config *cfg;
	struct xg_sk_dest *d, nd = {};
	struct xg_event *e;
	struct xg_sk_key k = {};
	__u32 lo, hi, size;
	__u64 want;

	local_range(net, &lo, &hi);
	if (t->lport < lo || t->lport > hi || !t->rport || hi < lo)
		return;
	k.netns = netns;
	k.family = t->family;
	k.kind = XG_SK_BY_DEST;
	k.port = t->rport;
	__builtin_memcpy(k.addr, t->raddr, sizeof(k.addr));
	d = bpf_map_lookup_elem(&xg_sk_dest, &k);
	if (!d) {
		bpf_map_update_elem(&xg_sk_dest, &k, &nd, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&xg_sk_dest, &k);
		if (!d)
			return;
	}
	if (d->session != session) {
		d->session = session;
		d->ports = 0;
	}
	d->ports++;
	cfg = sk_cfg(netns);
	size = hi - lo + 1;
	want = (__u64)cfg->ephemeral_pct * size;	/* x100 */
	if (!cfg->ephemeral_pct || d->ports * 100 < want ||
	    (d->ports - 1) * 100 >= want)
		return;
	e = event_reserve(cfg, stats(netns), &d->event_ns, bpf_ktime_get_ns(),
			  net, netns);
	if (!e)
		return;
	e->type = XG_EV_EPHEMERAL;
	event_tuple(e, t);
	e->eph.threshold = cfg->ephemeral_pct;
	e->eph.in_use = d->ports;
	e->eph.ports = size;
	bpf_ringbuf_submit(e, 0);
}

/*
 * One record per socket of the namespace that created the iterator (the
 * kernel fixes it when the iterator fd is made). The ephemeral-port and
 * accept-queue checks run here too, so every snapshot can raise them.
 */
SEC("iter/tcp")
int xg_sk_iter(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct seq_file *seq = ctx->meta->seq;
	struct tcp_timewait_sock *tw;
	struct tcp_request_sock *rq;
	struct xg_sk_rec r = {};
	struct xg_tuple t = {};
	struct tcp_sock *tp;
	struct sock *sk;
	struct net *net;
	__u64 netns;

	if (!skc)
		return 0;
	xg_sk_tuple(skc, &t);
	if (!t.family)
		return 0;
	r.family = t.family;
	r.lport = t.lport;
	r.rport = t.rport;
	__builtin_memcpy(r.laddr, t.laddr, sizeof(r.laddr));
	__builtin_memcpy(r.raddr, t.raddr, sizeof(r.raddr));
	r.state = skc->skc_state;
	net = xg_sk_net(skc);
	netns = xg_net_cookie(net);

	if (r.state == TCP_TIME_WAIT) {
		tw = bpf_skc_to_tcp_timewait_sock(skc);
		if (!tw)
			return 0;
		r.kind = XG_SK_TW;
		r.state = tw->tw_sk.tw_substate;
		r.age_ms = (__u32)(bpf_ktime_get_ns() / NSEC_PER_MSEC) -
			tw->tw_sk.tw_entry_stamp;
	} else if (r.state == TCP_NEW_SYN_RECV) {
		rq = bpf_skc_to_tcp_request_sock(skc);
		if (!rq)
			return 0;
		r.kind = XG_SK_REQ;
		r.state = TCP_SYN_RECV;
		r.cookie = BPF_CORE_READ(rq, req.req.__req_common.skc_listener,
					 __sk_common.skc_cookie.counter);
	} else {
		tp = bpf_skc_to_tcp_sock(skc);
		if (!tp)
			return 0;
		sk = (struct sock *)tp;
		if (r.state == TCP_LISTEN) {
			r.accept_q = sk->sk_ack_backlog;
			r.accept_max = sk->sk_max_ack_backlog;
			r.syn_recv =
				tp->inet_conn.icsk_accept_queue.qlen.counter;
			r.cookie = bpf_get_socket_cookie(sk);
		}
	}
	bpf_seq_write(seq, &r, sizeof(r));

	if (r.kind != XG_SK_REQ && r.state != TCP_LISTEN)
		ephemeral(skc, net, netns, &t, ctx->meta->session_id);
	if (r.state == TCP_LISTEN && r.accept_q > r.accept_max) {
		struct xg_sk_listen *l = listener(r.cookie, netns);

		if (l)
			accept_full((struct sock *)tp, net, netns,
				    stats(netns), &l->event_ns, r.syn_recv);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
