/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ABI of MSS clamping and PMTUD telemetry (issue 4), shared by
 * bpf/tc_mss.bpf.c, bpf/sock_retrans.bpf.c and user/pmtu.c: pinned map
 * names, the live settings, per-destination records and ring-buffer
 * records. Fixed-width types only.
 */
#ifndef XDPGUARD_PMTU_H
#define XDPGUARD_PMTU_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* pinned in the interface's folder, beside the XDP guard's maps */
#define XG_MAP_PM_CFG		"xg_pm_cfg"
#define XG_MAP_PM_STATS		"xg_pm_stats"
#define XG_MAP_PM_INFO		"xg_pm_info"
#define XG_MAP_PTB		"xg_ptb"
#define XG_MAP_EGRESS		"xg_egress"
#define XG_MAP_BH		"xg_bh"

/*
 * One tcp:tcp_retransmit_skb program for the host, whatever the number of
 * attached interfaces: bpf/retrans_host.bpf.c, pinned in the pin root's
 * XG_RT_DIR folder. The tc egress program of every interface records, per
 * (network namespace, destination), which interface's slot reaches it
 * (xgh_rt_via); the host program looks the retransmitted socket's peer up
 * there and tail-calls that interface's black-hole program
 * (bpf/sock_retrans.bpf.c, loaded on the interface's maps, not attached)
 * in xgh_rt_progs. The xgh_ prefix keeps these maps out of the
 * interface folders.
 */
#define XG_RT_DIR		"retrans"
#define XG_MAP_RT_PROGS		"xgh_rt_progs"
#define XG_MAP_RT_VIA		"xgh_rt_via"
#define XG_PIN_RT_LINK		"xgh_link_retrans"
#define XG_RT_SLOTS		4096	/* interfaces with black-hole
					 * detection on, host-wide */
#define XG_RT_VIA_DESTS		65536	/* (namespace, destination) pairs */

#define XG_PM_DESTS		16384	/* destinations tracked per table */

/* xg_pm_cfg[0].mode */
enum xg_mss_mode {
	XG_MSS_OFF = 0,
	XG_MSS_FIXED,		/* clamp to cfg.mss */
	XG_MSS_PMTU,		/* clamp to route MTU - 40 (IPv4) / 60 (IPv6) */
};

/* xg_pm_cfg[0].dirs */
#define XG_DIR_INGRESS	(1U << 0)
#define XG_DIR_EGRESS	(1U << 1)
#define XG_DIR_BOTH	(XG_DIR_INGRESS | XG_DIR_EGRESS)

/* xg_pm_cfg[0].flags */
#define XG_PM_F_PTB	(1U << 0)	/* count ICMP Packet Too Big */
#define XG_PM_F_BH	(1U << 1)	/* black-hole detection */

#define XG_MSS_MIN		88	/* Linux's TCP_MIN_MSS */
#define XG_MSS_DEFAULT4		536	/* RFC 1122: no MSS option, IPv4 */
#define XG_MSS_DEFAULT6		1220	/* RFC 8200 1280 - 60, IPv6 */
#define XG_BH_THRESHOLD		3	/* default retransmissions */
#define XG_BH_IDLE_NS		(60ULL * 1000000000ULL)	/* streak ends */
#define XG_BH_PTB_GRACE_NS	(10ULL * 1000000000ULL)

/* Settings, tuned live: one map update each (mss set). */
struct xg_pm_cfg {
	__u16 mss;		/* XG_MSS_FIXED: the clamp */
	__u8 mode;		/* enum xg_mss_mode */
	__u8 dirs;		/* XG_DIR_* that clamp */
	__u32 flags;		/* XG_PM_F_*, fixed at attach */
	__u32 bh_threshold;	/* full-size retransmissions that raise a
				 * black-hole event */
	__u32 pad;
};

/* Per-CPU counters (xg_pm_stats), index by enum. */
enum xg_pm_counter {
	XG_PMC_SYN_IN = 0,	/* SYN / SYN-ACK seen while clamping */
	XG_PMC_SYN_OUT,
	XG_PMC_CLAMPED_IN,	/* MSS option lowered */
	XG_PMC_CLAMPED_OUT,
	XG_PMC_KEPT,		/* MSS already <= the clamp */
	XG_PMC_ADDED,		/* no MSS option: one inserted */
	XG_PMC_ABSENT_LEFT,	/* no MSS option, no room (payload/doff 15) */
	XG_PMC_NO_MTU,		/* pmtu mode: no MTU known, left alone */
	XG_PMC_MALFORMED,	/* options or lengths inconsistent */
	XG_PMC_ERROR,		/* a helper failed: left as it was */
	XG_PMC_PTB4,		/* ICMPv4 3/4 accounted */
	XG_PMC_PTB6,		/* ICMPv6 2 accounted */
	XG_PMC_PTB_TRUNC,	/* PTB too short to name its destination */
	XG_PMC_RETRANS_FULL,	/* full-size retransmissions counted */
	XG_PMC_RETRANS_SMALL,	/* retransmissions too small to matter */
	XG_PMC_RETRANS_PTB,	/* full-size, but a PTB came: PMTUD works */
	XG_PMC_BLACKHOLES,	/* pmtud_blackhole_suspected raised */
	XG_PMC_MAX,		/* (lost records: the shared xg_counters) */
};

/* A destination: the inner destination of a PTB, a TCP peer. */
struct xg_dst_key {
	__u8 family;		/* 4 or 6 */
	__u8 pad[3];
	__u32 addr[4];		/* network order; IPv4 in addr[0] */
};

struct xg_ptb_val {
	__u64 count;
	__u64 first_ns;		/* CLOCK_MONOTONIC */
	__u64 last_ns;
	__u64 event_ns;		/* last ring-buffer record */
	__u32 last_mtu;		/* 0: the sender gave none (RFC 1191) */
	__u32 min_mtu;		/* smallest non-zero MTU reported */
	__u32 reporter[4];	/* who sent the last PTB */
};

/* xgh_rt_via: which interface's slot a peer is reached through */
struct xg_rt_key {
	__u64 netns_cookie;
	struct xg_dst_key dst;
	__u32 pad;
};

struct xg_rt_via {
	__u32 slot;		/* index in xgh_rt_progs */
	__u32 ifindex;
	__u64 last_ns;		/* bpf_ktime_get_coarse_ns() */
};

/* What tc saw leaving on egress, per destination (black-hole scope). */
struct xg_egress_val {
	__u64 last_ns;		/* last large TCP packet */
	__u32 max_pkt;		/* largest IP packet (per segment) */
	__u32 pad;
};

struct xg_bh_val {
	__u64 first_ns;		/* first counted retransmission of the
				 * current streak */
	__u64 last_ns;		/* last counted retransmission */
	__u64 reported_ns;	/* event raised for this streak; 0: not */
	__u32 retrans;		/* full-size retransmissions in the streak */
	__u32 seg;		/* TCP payload of those segments */
	__u32 pkt;		/* their IP packet size */
	__u32 events;		/* black holes reported, all streaks */
};

/* xg_pm_info[0]: attach facts (written by user space only). */
struct xg_pm_info {
	__u32 ifindex;
	__u32 flags;		/* XG_PM_F_* as attached */
	__u32 prog_id[2];	/* tc ingress, egress */
	__u32 handle[2];
	__u32 priority[2];
	__u32 qdisc_created;	/* clsact is ours: detach removes it */
	__u32 tp_prog_id;	/* the interface's tcp_retransmit_skb
				 * program (in a slot of xgh_rt_progs),
				 * 0: none */
};

#endif /* XDPGUARD_PMTU_H */
