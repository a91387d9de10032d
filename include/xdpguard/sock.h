/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host-wide socket telemetry (bpf/sock_tw.bpf.c, user/sockets.c): the
 * maps, links and records shared by the kernel programs and `xdpguard tw`,
 * `xdpguard sockets` and `xdpguard events`. One set of programs serves
 * every network namespace; its maps key everything by the namespace's
 * cookie (SO_NETNS_COOKIE), so each namespace reads only its own numbers.
 * The event record is abi.h's struct xg_event. Events go to a
 * ring buffer of their own namespace (xg_sk_rings: namespace cookie ->
 * ring), so that readers in two namespaces never take each other's
 * records; xdpguard makes a namespace's ring the first time it runs there.
 */
#ifndef XDPGUARD_SOCK_H
#define XDPGUARD_SOCK_H

#include <xdpguard/abi.h>

/* pinned under XG_PIN_HOST: maps by their names, links by these */
#define XG_MAP_SK_CONFIG	"xg_sk_config"
#define XG_MAP_SK_STATS		"xg_sk_stats"
#define XG_MAP_SK_CHURN		"xg_sk_churn"
#define XG_MAP_SK_WIN		"xg_sk_win"
#define XG_MAP_SK_LISTEN	"xg_sk_listen"
#define XG_MAP_SK_DEST		"xg_sk_dest"
#define XG_MAP_SK_RINGS		"xg_sk_rings"	/* netns cookie -> ring */
/* links: sock:inet_sock_set_state, tcp:tcp_receive_reset,
 * tcp:tcp_send_reset, tcp:tcp_retransmit_synack, iter/tcp */
#define XG_LINK_SK_STATE	"xg_sk_link_state"
#define XG_LINK_SK_RST_IN	"xg_sk_link_rst_in"
#define XG_LINK_SK_RST_OUT	"xg_sk_link_rst_out"
#define XG_LINK_SK_SYNACK	"xg_sk_link_synack"
#define XG_LINK_SK_ITER		"xg_sk_link_iter"

#define XG_SK_MAX_NETNS		4096
#define XG_SK_MAX_CHURN		65536
#define XG_SK_MAX_LISTEN	16384
#define XG_SK_MAX_DEST		65536
#define XG_SK_EVENTS_BYTES	(256 << 10)

/*
 * Thresholds, per namespace (key: its cookie), key 0 the default for
 * namespaces without their own. 0 turns an event off.
 */
struct xg_sk_config {
	__u32 churn;		/* TIME_WAIT entries per second */
	__u32 ephemeral_pct;	/* ports in use toward one destination, % */
	__u32 accept_full;	/* 1: report full accept queues */
	__u32 event_every_ms;	/* at most one event per key per this */
	__u32 event_budget;	/* events per second per CPU, 0 = no limit */
	__u32 pad;
};

#define XG_SK_DEF_CHURN		1000
#define XG_SK_DEF_EPH_PCT	80
#define XG_SK_DEF_EVERY_MS	10000
#define XG_SK_DEF_BUDGET	1000

/* Per namespace, per CPU: summed by user space. */
struct xg_sk_stats {
	__u64 transitions;	/* every TCP state change */
	__u64 connects;		/* CLOSE -> SYN_SENT: active opens */
	__u64 passive;		/* LISTEN -> SYN_RECV: children created */
	__u64 established;	/* -> ESTABLISHED */
	__u64 closes;		/* full sockets -> CLOSE */
	__u64 tw_entries;	/* handed to the kernel's TIME_WAIT */
	__u64 tw_fin_wait2;	/* of these, still waiting for the peer's
				 * FIN (timewait sub-state FIN_WAIT2) */
	__u64 rst_received;	/* closed by a received RST */
	__u64 rst_sent;		/* closed by sending an RST (abort) */
	__u64 tw_taken_back;	/* counted as TIME_WAIT, then an RST went
				 * out for the same socket */
	__u64 no_port;		/* connect() failed: no free local port */
	__u64 synack_retrans;	/* SYN-ACK retransmissions */
	__u64 events_lost;	/* ring buffer full */
	__u64 events_suppressed; /* over the per-CPU event budget */
	__u64 events_unrouted;	/* no ring for the namespace yet */
};

/* What a churn counter (map xg_sk_churn) is attributed to. */
enum xg_sk_key_kind {
	XG_SK_BY_REMOTE = 1,	/* remote address and port */
	XG_SK_BY_LPORT,		/* local port (addr zero) */
	XG_SK_BY_DEST,		/* destination of an ephemeral port */
};

struct xg_sk_key {
	__u64 netns;		/* namespace cookie */
	__u8 family;		/* 4 or 6 (0 for BY_LPORT) */
	__u8 kind;		/* enum xg_sk_key_kind */
	__u16 port;		/* host order */
	__u32 addr[4];		/* network order */
	__u32 pad;
};

/* xg_sk_win: the current one-second window of TIME_WAIT entries */
struct xg_sk_win {
	__u64 start_ns;
	__u64 n;
	__u64 event_ns;
	__u64 churn;		/* the threshold, read once per window */
};

/* xg_sk_listen: per listener (key: its socket cookie) */
struct xg_sk_listen {
	__u64 netns;
	__u64 synack_retrans;
	__u64 event_ns;		/* last ACCEPT_FULL event */
};

/* xg_sk_dest: ports toward one destination, recounted per snapshot */
struct xg_sk_dest {
	__u64 session;		/* the iterator session that counted */
	__u64 ports;
	__u64 event_ns;		/* last EPHEMERAL event */
	__u64 no_port_ns;	/* last NO_PORT event */
};

/* iter/tcp output: one record per socket of the reader's namespace */
enum xg_sk_rec_kind {
	XG_SK_FULL = 0,		/* a full socket (LISTEN, ESTABLISHED..) */
	XG_SK_TW,		/* a timewait socket: state is its sub-state */
	XG_SK_REQ,		/* a request socket: state is SYN_RECV */
};

struct xg_sk_rec {
	__u8 family;		/* 4 or 6 (v4-mapped IPv6 is 4) */
	__u8 state;		/* TCP state as ss shows it (1..11) */
	__u8 kind;		/* enum xg_sk_rec_kind */
	__u8 pad;
	__u16 lport;		/* host order */
	__u16 rport;
	__u32 laddr[4];		/* network order */
	__u32 raddr[4];
	__u32 accept_q;		/* LISTEN: accept queue (ss Recv-Q) */
	__u32 accept_max;	/* LISTEN: backlog (ss Send-Q) */
	__u32 syn_recv;		/* LISTEN: request sockets (SYN_RECV) */
	__u32 age_ms;		/* TW: since it became a timewait socket */
	__u64 cookie;		/* LISTEN: its own; REQ: its listener's */
};

/* Linux TCP states (include/net/tcp_states.h), as ss names them */
enum {
	XG_TCP_ESTABLISHED = 1,
	XG_TCP_SYN_SENT,
	XG_TCP_SYN_RECV,
	XG_TCP_FIN_WAIT1,
	XG_TCP_FIN_WAIT2,
	XG_TCP_TIME_WAIT,
	XG_TCP_CLOSE,
	XG_TCP_CLOSE_WAIT,
	XG_TCP_LAST_ACK,
	XG_TCP_LISTEN,
	XG_TCP_CLOSING,
	XG_TCP_NEW_SYN_RECV,
	XG_TCP_MAX_STATES,
};

#endif /* XDPGUARD_SOCK_H */
