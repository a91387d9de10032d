/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ABI shared by the BPF programs and the xdpguard program: map keys and
 * values, event records, verdict/reason enums and pin names. Fixed-width
 * types only; BPF code gets them from vmlinux.h, user code from linux/types.h.
 */
#ifndef XDPGUARD_ABI_H
#define XDPGUARD_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define XG_PIN_ROOT	"/sys/fs/bpf/xdpguard"
#define XG_PIN_HOST	XG_PIN_ROOT "/host"
/* one folder per attached interface: XG_PIN_ROOT/<netns inode>-<ifname> */

/* pinned map names (the skeleton's map names) */
#define XG_MAP_CONFIG	"xg_config"
#define XG_MAP_PORTS	"xg_port_rate"
#define XG_MAP_BUCKETS	"xg_buckets"
#define XG_MAP_ALLOW4	"xg_allow4"
#define XG_MAP_ALLOW6	"xg_allow6"
#define XG_MAP_DENY4	"xg_deny4"
#define XG_MAP_DENY6	"xg_deny6"
#define XG_MAP_COUNTERS	"xg_counters"
#define XG_MAP_EVENTS	"xg_events"
#define XG_MAP_INFO	"xg_info"

#define XG_MAX_PORT_RULES	1024
#define XG_MAX_LPM		65536
#define XG_DEFAULT_SOURCES	65536
#define XG_EVENTS_BYTES		(1 << 20)

/* What happened to a packet. */
enum xg_verdict {
	XG_V_PASS = 0,
	XG_V_DROP,
	XG_V_WOULD_DROP,	/* --dry-run: counted as a drop, passed */
	XG_V_MAX,
};

/* Why. Every packet is counted under exactly one reason. */
enum xg_reason {
	XG_R_NOT_IP = 0,	/* ARP, LLDP, ...: not ours to judge */
	XG_R_NOT_TCP,		/* UDP, ICMP, ... from a source not denied */
	XG_R_TCP_NOT_SYN,	/* established traffic */
	XG_R_FRAGMENT,		/* non-first fragment: no L4 header */
	XG_R_ALLOW,		/* source in the allow list */
	XG_R_DENY,		/* source in the deny list */
	XG_R_SYN_BUDGET,	/* SYN within its source's budget */
	XG_R_SYN_OVER,		/* SYN over its source's budget */
	XG_R_MALFORMED,		/* truncated or inconsistent headers */
	XG_R_MAX,
};

#define XG_COUNTER_IDX(v, r)	((v) * XG_R_MAX + (r))
#define XG_COUNTERS_MAX		(XG_V_MAX * XG_R_MAX)
/* extra slots after the verdict x reason matrix */
#define XG_C_EVENTS_LOST	(XG_COUNTERS_MAX + 0)
#define XG_C_EVENTS_SUPPRESSED	(XG_COUNTERS_MAX + 1)
#define XG_C_SLOTS		(XG_COUNTERS_MAX + 2)

struct xg_counter {
	__u64 packets;
	__u64 bytes;
};

/* Token-bucket parameters: pps SYNs per second, burst SYNs at once. */
struct xg_rate {
	__u32 pps;		/* 0: no limit */
	__u32 burst;
};

/* xg_config[0]: tuned live, one map update each. */
struct xg_config {
	struct xg_rate rate;	/* default SYN budget per source prefix */
	__u32 flags;		/* XG_F_* */
	__u32 event_budget;	/* events per second per CPU, 0 = no limit */
};

#define XG_F_DRY_RUN	(1U << 0)
#define XG_F_ENABLED	(1U << 1)	/* cleared: every packet passes */
/*
 * Set by user space while the list is non-empty, so the fast path skips
 * lookups in empty tries. xdpguard keeps them in sync under its lock.
 */
#define XG_F_ALLOW4	(1U << 2)
#define XG_F_ALLOW6	(1U << 3)
#define XG_F_DENY4	(1U << 4)
#define XG_F_DENY6	(1U << 5)
#define XG_F_PORTS	(1U << 6)	/* xg_port_rate has entries */
#define XG_F_LISTS	(XG_F_ALLOW4 | XG_F_ALLOW6 | XG_F_DENY4 | \
			 XG_F_DENY6 | XG_F_PORTS)

/*
 * A source prefix: family, prefix-masked address and the rate class
 * (destination port with its own budget, 0 for the default budget).
 */
struct xg_bucket_key {
	__u8 family;		/* 4 or 6 */
	__u8 pad;
	__u16 port;		/* host order; 0 = default budget */
	__u32 addr[4];		/* network order, masked */
};

struct xg_bucket {
	__u64 credit;		/* nano-tokens: 1e9 buys one SYN */
	__u64 refill_ns;	/* when credit was last topped up */
	__u64 passed;
	__u64 dropped;
	__u64 first_ns;
	__u64 last_ns;
	__u64 win_start;	/* 1 s window for the event's rate */
	__u32 win_syns;
	__u32 last_rate;	/* SYNs in the last full window */
	__u64 event_ns;		/* last throttle event */
	__u32 throttled;	/* last SYN was over budget */
	__u32 pad;
};

struct xg_lpm4 {
	__u32 prefixlen;
	__u32 addr;
};

struct xg_lpm6 {
	__u32 prefixlen;
	__u32 addr[4];
};

struct xg_allow_val {
	__u64 hits;
};

struct xg_deny_val {
	__u64 expires_ns;	/* CLOCK_MONOTONIC, 0 = never */
	__u64 hits;
	__u64 event_ns;
	__u32 prefixlen;	/* the key's, so an expired entry can be
				 * stepped over to a shorter one */
	__u32 pad;
};

/* xg_info[0]: attach facts, written by user space, never read by BPF. */
struct xg_info {
	__u32 ifindex;
	__u32 mode;		/* libxdp's enum xdp_attach_mode */
	__u32 prog_id;
	__u32 sources;
	__u32 prefix4;
	__u32 prefix6;
	__u64 attached_at;	/* CLOCK_REALTIME, s */
	__u64 netns_ino;
	char ifname[16];
	char how[32];		/* "libxdp dispatcher" or "single program" */
};

/* Ring-buffer records. */
enum xg_event_type {
	XG_EV_THROTTLE = 1,	/* a source starts to be over budget */
	XG_EV_DENY_HIT,		/* packets from a denied prefix */
	/*
	 * Host-wide socket telemetry (bpf/sock_tw.bpf.c), struct
	 * xg_sock_event on the host ring XG_MAP_SK_EVENTS. Numbered from
	 * 0x100 so that interface events added later keep 3, 4, ...
	 */
	XG_EV_TW_CHURN = 0x100,	/* TIME_WAIT entries/s crossed the threshold */
	XG_EV_EPHEMERAL,	/* ports in use toward one destination passed
				 * the threshold (percent of the range) */
	XG_EV_ACCEPT_FULL,	/* a listener's accept queue is full */
	XG_EV_NO_PORT,		/* connect() found no free local port */
};

struct xg_event {
	__u16 type;
	__u8 family;
	__u8 prefixlen;
	__u32 ifindex;
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u32 addr[4];
	__u16 dport;
	__u16 pad;
	__u32 rate;		/* THROTTLE: SYNs/s seen; DENY: 0 */
	__u32 pps;		/* budget in force */
	__u32 burst;
	__u64 count;		/* THROTTLE: drops so far; DENY: hits */
};

/*
 * A host ring record (XG_EV_TW_CHURN .. XG_EV_NO_PORT). The type comes
 * first, as in struct xg_event, so one reader can tell them apart. Each
 * record names the network namespace it belongs to: readers show only
 * their own namespace's records.
 */
struct xg_sock_event {
	__u16 type;
	__u8 family;		/* 4 or 6; 0 for TW_CHURN without a sample */
	__u8 pad;
	__u32 netns_ino;	/* what stat /proc/self/ns/net says */
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u64 netns_cookie;	/* SO_NETNS_COOKIE: never reused */
	__u32 laddr[4];		/* network order; IPv4 in [0] */
	__u32 raddr[4];
	__u16 lport;		/* host order */
	__u16 rport;
	__u32 threshold;	/* TW_CHURN: entries/s; EPHEMERAL: percent;
				 * ACCEPT_FULL: the listener's backlog */
	__u64 value;		/* TW_CHURN: entries in the window;
				 * EPHEMERAL, NO_PORT: ports in use;
				 * ACCEPT_FULL: accept queue length */
	__u64 limit;		/* TW_CHURN: window length, ms;
				 * EPHEMERAL, NO_PORT: ports in the range;
				 * ACCEPT_FULL: SYN_RECV requests */
};

#endif /* XDPGUARD_ABI_H */
