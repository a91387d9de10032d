/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ABI of DNS telemetry (issue 15), shared by bpf/tc_dns.bpf.c,
 * bpf/lib/dns.h and user/comp/dns.c: pinned map names, bounds, table
 * keys and values, and the DNS event records. Fixed-width types only.
 * docs/dns.md says what each number means and what it costs.
 */
#ifndef XDPGUARD_DNS_H
#define XDPGUARD_DNS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include <xdpguard/abi.h>	/* struct xg_event */

/* pinned in the interface's folder, beside the XDP guard's maps */
#define XG_MAP_DNS_CFG		"xg_dns_cfg"
#define XG_MAP_DNS_INFO		"xg_dns_info"
#define XG_MAP_DNS_CNT		"xg_dns_cnt"
#define XG_MAP_DNS_SERVERS	"xg_dns_servers"
#define XG_MAP_DNS_NAMES	"xg_dns_names"
#define XG_MAP_DNS_PENDING	"xg_dns_pending"
#define XG_MAP_DNS_GONE		"xg_dns_gone"
#define XG_PIN_DNS_TP		"xg_dns_tp_link"	/* stale-use link */

#define XG_DNS_PORT		53

/* ---- parsing bounds (bpf/lib/dns.h) ---- */
#define XG_DNS_BUF		512	/* message bytes copied and parsed */
#define XG_DNS_NAME		128	/* wire bytes of a name kept */
#define XG_DNS_MAX_RR		16	/* resource records walked */
#define XG_DNS_STEPS		256	/* parser steps (a label or a record) */
#define XG_DNS_TTLS		8	/* answer TTLs taken from one message */
#define XG_DNS_ADDRS		4	/* A/AAAA addresses of an answer set */

/* ---- tables (entries): defaults, and attach's bounds ---- */
#define XG_DNS_SERVERS		256	/* per-CPU: see docs/dns.md */
#define XG_DNS_NAMES		4096
#define XG_DNS_PENDING		16384	/* queries awaiting an answer */
#define XG_DNS_GONE		4096	/* addresses a name stopped using;
					 * sized as the name table */
#define XG_DNS_SERVERS_MIN	16	/* attach --dns-servers */
#define XG_DNS_SERVERS_MAX	65536
#define XG_DNS_NAMES_MIN	256	/* attach --dns-names */
#define XG_DNS_NAMES_MAX	(1U << 20)
#define XG_DNS_PENDING_MIN	1024	/* attach --dns-pending */
#define XG_DNS_PENDING_MAX	(1U << 20)
#define XG_DNS_TTL_MAX		2147483647U	/* RFC 2181 section 8 */

#define XG_DNS_LAT_BUCKETS	24	/* log2 of microseconds */
#define XG_DNS_TTL_BUCKETS	24	/* 0, then log2 of seconds */

/* defaults of xg_dns_cfg */
#define XG_DNS_TIMEOUT_NS	5000000000ULL	/* no response in 5 s */
#define XG_DNS_TC_WINDOW_NS	2000000000ULL	/* TCP retry within 2 s */
#define XG_DNS_TTL_SHORT	0		/* flagged when <= this */
#define XG_DNS_TTL_LONG		86400		/* flagged when >= this */

struct xg_dns_cfg {
	__u64 timeout_ns;
	__u64 tc_window_ns;
	__u32 ttl_short;
	__u32 ttl_long;
	__u32 flags;
	__u32 pad;
};

/* attach facts: what detach removes */
struct xg_dns_info {
	__u32 ifindex;
	__u32 handle[2];	/* ingress, egress */
	__u32 priority[2];
	__u32 prog_id[2];
	__u32 tp_prog_id;	/* stale-use tracepoint; 0: none */
	__u32 qdisc_created;
	__u32 pad;
};

/* global counters (per-CPU array xg_dns_cnt) */
enum xg_dns_counter {
	XG_DNS_C_PACKETS,	/* UDP/TCP port 53 packets with a payload */
	XG_DNS_C_QUERIES,
	XG_DNS_C_RESPONSES,
	XG_DNS_C_NOT_DNS,	/* port 53, not a DNS message we track */
	XG_DNS_C_MALFORMED,	/* the message claims more than it has */
	XG_DNS_C_PAST_BOUND,	/* parsing stopped at a bound, not an error */
	XG_DNS_C_NAME_LONG,	/* a name over XG_DNS_NAME wire bytes */
	XG_DNS_C_UNMATCHED,	/* a response to no query seen */
	XG_DNS_C_SERVERS_FULL,	/* a server not counted: table full */
	XG_DNS_C_TCP_MIDDLE,	/* TCP segment not starting a message */
	XG_DNS_C_EV_LOST,	/* DNS records the ring had no room for */
	XG_DNS_C_MAX,
};

/* a server: an address and port that answers (port 53) */
enum xg_dns_role {
	XG_DNS_ROLE_REMOTE = 0,	/* this host asks it */
	XG_DNS_ROLE_LOCAL = 1,	/* this host is it: queries come in */
};

struct xg_dns_server_key {
	__u32 addr[4];		/* network order, IPv4 in [0] */
	__u16 port;		/* host order */
	__u8 family;		/* 4 or 6 */
	__u8 role;		/* enum xg_dns_role */
};

enum { XG_DNS_RC_NOERROR, XG_DNS_RC_NXDOMAIN, XG_DNS_RC_SERVFAIL,
       XG_DNS_RC_REFUSED, XG_DNS_RC_OTHER, XG_DNS_RC_MAX };

/* EDNS buffer sizes advertised by queries */
enum { XG_DNS_EDNS_NONE, XG_DNS_EDNS_1232, XG_DNS_EDNS_1400,
       XG_DNS_EDNS_1500, XG_DNS_EDNS_BIG, XG_DNS_EDNS_MAX };

/* per server, per CPU (user space sums; mins/maxes are merged) */
struct xg_dns_server {
	__u64 queries;		/* all, TCP included */
	__u64 queries_tcp;
	__u64 responses;
	__u64 responses_tcp;
	__u64 timeouts;		/* no response within cfg.timeout_ns */
	__u64 unmatched;	/* responses to no query seen */
	__u64 rcode[XG_DNS_RC_MAX];
	__u64 tc;		/* UDP responses with TC=1 */
	__u64 tc_followed;	/* ... then asked over TCP in the window */
	__u64 tc_not_followed;
	__u64 fragmented;	/* UDP responses that came IP-fragmented */
	__u64 oversize;		/* UDP responses over the advertised size */
	__u64 edns[XG_DNS_EDNS_MAX];
	__u64 lat[XG_DNS_LAT_BUCKETS];	/* [2^i, 2^(i+1)) us; 0: < 2 us */
	__u64 lat_sum_ns;
	__u64 answers;		/* answer records with their TTL */
	__u64 ttl[XG_DNS_TTL_BUCKETS];	/* 0: TTL 0; i: [2^(i-1), 2^i) s */
	__u64 ttl_short;	/* TTL <= cfg.ttl_short */
	__u64 ttl_long;		/* TTL >= cfg.ttl_long */
	__u64 negative;		/* NXDOMAIN/NODATA with an SOA */
	__u64 neg_ttl[XG_DNS_TTL_BUCKETS];
	__u64 last_ns;		/* last packet, CLOCK_MONOTONIC */
	__u32 ttl_min, ttl_max;		/* ttl_min 0xffffffff: none yet */
	__u32 neg_min, neg_max;		/* min(SOA TTL, SOA minimum) */
};

/* a name and query type */
struct xg_dns_name_key {
	__u8 name[XG_DNS_NAME];	/* wire form, lower case, zero padded */
	__u16 qtype;
	__u16 pad;
};

#define XG_DNS_NF_MANY	(1U << 0)	/* more addresses than kept */
#define XG_DNS_NF_SET	(1U << 1)	/* an answer set is recorded */

struct xg_dns_name {
	__u64 queries;
	__u64 responses;
	__u64 negative;		/* NXDOMAIN/NODATA */
	__u64 changes;		/* dns_answer_changed */
	__u64 disagreements;	/* dns_servers_disagree */
	__u64 seen_ns;		/* last answer set, CLOCK_MONOTONIC */
	__u64 expires_ns;	/* ... + its TTL */
	__u64 event_ns;		/* last event of this name */
	__u32 ttl;		/* the answer set's smallest TTL */
	__u8 n_addrs;
	__u8 family;
	__u8 flags;		/* XG_DNS_NF_* */
	__u8 pad;
	__u32 addrs[XG_DNS_ADDRS][4];
	struct xg_dns_server_key server;	/* that gave the set */
};

/* an address a name no longer resolves to */
struct xg_dns_addr_key {
	__u32 addr[4];
	__u8 family;
	__u8 pad[3];
};

struct xg_dns_gone {
	__u8 name[XG_DNS_NAME];
	__u64 changed_ns;	/* when the new answer set was seen */
	__u64 expired_ns;	/* when the old answer's TTL ran out */
	__u64 event_ns;		/* last dns_stale_use of it */
	__u64 hits;		/* connections opened to it after expiry */
	__u16 qtype;
	__u16 pad[3];
};

/*
 * DNS ring-buffer records: struct xg_event's head (type, family,
 * addresses), then the DNS body. Written to the interface's xg_events
 * ring; a record is sizeof(struct xg_dns_event) bytes.
 *   dns_answer_changed:   src:sport the server that gave the new set
 *   dns_servers_disagree: src:sport the server of the set in force,
 *                         dst:dport the one that differs
 *   dns_stale_use:        dst:dport where the process connects
 */
struct xg_dns_ev_body {
	__u8 name[XG_DNS_NAME];
	__u32 old_addrs[XG_DNS_ADDRS][4];
	__u32 new_addrs[XG_DNS_ADDRS][4];
	__u32 old_ttl;
	__u32 new_ttl;
	__u8 n_old;
	__u8 n_new;
	__u16 qtype;
	__u8 family;		/* of the addresses: 4 or 6 */
	__u8 pad[3];
	__u32 pid;		/* stale use: the process */
	__u64 past_ns;		/* stale use: how long after expiry */
	char comm[16];
};

struct xg_dns_event {
	struct xg_event h;
	struct xg_dns_ev_body d;
};

#endif /* XDPGUARD_DNS_H */
