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
/*
 * one folder per attached interface: XG_PIN_ROOT/<netns cookie>-<ifname>
 * (the cookie, not the inode: the kernel reuses inode numbers). The layout
 * of the pins is XG_ABI_VERSION, recorded in xg_info; a binary that meets
 * another layout says so and leaves the pins alone.
 */
#define XG_ABI_VERSION	9	/* 3: xg_buckets a hashed array of slots;
				 * 4: with xg_src_hot in front of it;
				 * 5: xg_list_bits in front of the lists;
				 * 6: xg_peers, the host's socket record;
				 * 7: xg_src_hot keeps a holder's debt;
				 * 8: xg_peers counts listener changes,
				 *    xg_listen_seen;
				 * 9: our own SYN cookies, xg_cookie_key */

/* pinned map names (the skeleton's map names) */
#define XG_MAP_CONFIG	"xg_config"
#define XG_MAP_PORTS	"xg_port_rate"
#define XG_MAP_BUCKETS	"xg_buckets"
#define XG_MAP_SRC_HOT	"xg_src_hot"
#define XG_MAP_ALLOW4	"xg_allow4"
#define XG_MAP_ALLOW6	"xg_allow6"
#define XG_MAP_DENY4	"xg_deny4"
#define XG_MAP_DENY6	"xg_deny6"
#define XG_MAP_LIST_BITS	"xg_list_bits"
#define XG_MAP_COUNTERS	"xg_counters"
#define XG_MAP_EVENTS	"xg_events"
#define XG_MAP_INFO	"xg_info"
#define XG_MAP_JOURNAL	"xg_journal"

#define XG_MAX_PORT_RULES	1024
#define XG_MAX_LPM		65536
#define XG_DEFAULT_SOURCES	65536
#define XG_EVENTS_BYTES		(1 << 20)

/* What happened to a packet. */
enum xg_verdict {
	XG_V_PASS = 0,
	XG_V_DROP,
	XG_V_WOULD_DROP,	/* --dry-run: counted as a drop, passed */
	XG_V_TX,		/* answered from XDP (a SYN-ACK cookie) */
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
	/* SYN cookies (issue 3) */
	XG_R_COOKIE_SYN,	/* SYN answered with a SYN-ACK cookie (tx);
				 * dry run: would have been (pass) */
	XG_R_COOKIE_ACK,	/* ACK carrying a valid cookie: to the kernel */
	XG_R_COOKIE_BAD,	/* ACK to a cookie port, no socket, bad
				 * cookie */
	XG_R_BAD_CSUM,		/* SYN to a cookie port, bad IP/TCP checksum */
	XG_R_NO_LISTENER,	/* SYN to a cookie port nobody listens on:
				 * passed, the kernel answers RST */
	XG_R_COOKIE_SKIP,	/* SYN to a cookie port not answered (QinQ,
				 * fragment, jumbo, no room): passed */
	XG_R_MAX,
};

/*
 * The verdicts each reason is counted under: one row per reason, the one
 * table of the (verdict, reason) pairs that exist. The XDP program checks
 * every pair it counts against it at compile time (xdp_guard.bpf.c), the
 * unit tests every pair a crafted frame is counted under, and the
 * exporter gives a series to these pairs and to no other. A reason that
 * drops is counted drop, or would_drop under --dry-run; a cookie SYN is
 * answered (tx), or passed under --dry-run.
 */
#define XG_VM(v)	(1U << (v))
#define XG_VM_PASS	XG_VM(XG_V_PASS)
#define XG_VM_DROPS	(XG_VM(XG_V_DROP) | XG_VM(XG_V_WOULD_DROP))
#define XG_REASON_VERDICTS(r)						\
	((r) == XG_R_NOT_IP	 ? XG_VM_PASS :				\
	 (r) == XG_R_NOT_TCP	 ? XG_VM_PASS :				\
	 (r) == XG_R_TCP_NOT_SYN ? XG_VM_PASS :				\
	 (r) == XG_R_FRAGMENT	 ? XG_VM_PASS :				\
	 (r) == XG_R_ALLOW	 ? XG_VM_PASS :				\
	 (r) == XG_R_DENY	 ? XG_VM_DROPS :			\
	 (r) == XG_R_SYN_BUDGET	 ? XG_VM_PASS :				\
	 (r) == XG_R_SYN_OVER	 ? XG_VM_DROPS :			\
	 (r) == XG_R_MALFORMED	 ? XG_VM_DROPS :			\
	 (r) == XG_R_COOKIE_SYN	 ? XG_VM(XG_V_TX) | XG_VM_PASS :	\
	 (r) == XG_R_COOKIE_ACK	 ? XG_VM_PASS :				\
	 (r) == XG_R_COOKIE_BAD	 ? XG_VM_DROPS :			\
	 (r) == XG_R_BAD_CSUM	 ? XG_VM_DROPS :			\
	 (r) == XG_R_NO_LISTENER ? XG_VM_PASS :				\
	 (r) == XG_R_COOKIE_SKIP ? XG_VM_PASS : 0U)
/* (v, r) is a pair of the table: an integer constant for constants */
#define XG_COUNTED(v, r)						\
	((unsigned int)(v) < XG_V_MAX && (unsigned int)(r) < XG_R_MAX &&	\
	 (XG_REASON_VERDICTS(r) >> (v) & 1))
/* a reason appended to the enum without a row (the unit tests check all) */
_Static_assert(XG_REASON_VERDICTS(XG_R_MAX - 1) != 0,
	       "every reason has a row in XG_REASON_VERDICTS");

#define XG_COUNTER_IDX(v, r)	((v) * XG_R_MAX + (r))
#define XG_COUNTERS_MAX		(XG_V_MAX * XG_R_MAX)
/* extra slots after the verdict x reason matrix */
#define XG_C_EVENTS_LOST	(XG_COUNTERS_MAX + 0)
#define XG_C_EVENTS_SUPPRESSED	(XG_COUNTERS_MAX + 1)
/*
 * The tc hand-off of cookie ACKs (packets only): request sockets made;
 * ACKs the kfunc refused (dropped). XG_C_HANDOFF_MSS_MIN counted, until
 * layout 9, hand-offs of the kernel's cookies of the minute before, whose
 * MSS could not be read; ours carry it exactly, and the slot stays 0.
 */
#define XG_C_HANDOFF		(XG_COUNTERS_MAX + 2)
#define XG_C_HANDOFF_FAIL	(XG_COUNTERS_MAX + 3)
#define XG_C_HANDOFF_MSS_MIN	(XG_COUNTERS_MAX + 4)
#define XG_C_SLOTS		(XG_COUNTERS_MAX + 5)

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
#define XG_F_COOKIES	(1U << 7)	/* xg_cookie_ports has entries */
/* the host's socket record is kept (include/xdpguard/peers.h): a SYN
 * from a peer it names with no socket skips the established table */
#define XG_F_PEERS	(1U << 8)
#define XG_F_LISTS	(XG_F_ALLOW4 | XG_F_ALLOW6 | XG_F_DENY4 | \
			 XG_F_DENY6 | XG_F_PORTS | XG_F_COOKIES)

/*
 * A source prefix: family, prefix-masked address and the rate class
 * (destination port with its own budget, 0 for the default budget).
 */
struct xg_bucket_key {
	__u8 family;		/* 4 or 6; 0: a free slot */
	__u8 pad;
	__u16 port;		/* host order; 0 = default budget */
	__u32 addr[4];		/* network order, masked */
};

/*
 * xg_buckets is an array of 2^k slots (--sources rounded up to a power of
 * two); a source's slot is xg_src_hash(key, seed) & (slots - 1), see
 * bpf/lib/bucket.h and docs/sources.md. A slot holds one source (key) and
 * its bucket; another source landing on it takes it over, or shares its
 * bucket while the holder is spending its budget. 128 bytes, the fields
 * every SYN touches in the first 64.
 */
struct xg_bucket {
	struct xg_bucket_key key;	/* the holder */
	__u32 win_syns;		/* holder's SYNs in the current window */
	__u64 credit;		/* nano-tokens: 1e9 buys one SYN */
	__u64 refill_ns;	/* when credit was last topped up */
	__u64 win_start;	/* 1 s window for the event's rate */
	__u64 passed;		/* holder's SYNs within budget */
	__u64 dropped;		/* holder's SYNs over budget */
	/* second cache line */
	__u64 first_ns;		/* when the holder took the slot */
	__u64 last_ns;		/* the holder's last SYN */
	__u64 event_ns;		/* last throttle event */
	__u64 shared;		/* other sources' SYNs charged here */
	__u32 last_rate;	/* SYNs in the last full window */
	__u32 throttled;	/* the holder's last SYN was over budget */
	__u32 tag;		/* the holder's full hash */
	__u32 pad32;		/* layout 3's prev_tag: the first level
				 * (xg_src_hot) remembers the holder before */
	__u64 pad[2];
};

/*
 * xg_src_hot: the source table's first level, 16 bytes per slot, the same
 * slots as xg_buckets (docs/sources.md). A holder whose bucket is short
 * of full by at most XG_HOT_DEBT_MAX (every source of a spoofed flood,
 * every source within its pps, a client opening a few connections) lives
 * here alone, as its debt: nothing is in xg_buckets. A holder that spends
 * more of its burst moves into xg_buckets (t = XG_HOT_FULL); a newcomer
 * that takes a slot there with a fresh bucket moves it back.
 */
struct xg_src_hot {
	__u64 t;		/* 0: free; XG_HOT_FULL: the holder is in
				 * xg_buckets; else the holder's last SYN
				 * (ns), when debt was taken */
	__u32 check;		/* the holder's xg_src_check() */
	__u16 prev_check;	/* 16 bits of that of the holder before it */
	__u16 debt;		/* XG_HOT_BUSY | what the holder's bucket was
				 * short of full at t, in units of 2^17
				 * nano-tokens (XG_HOT_SYN a SYN) */
};

/* debt: one SYN (1e9 nano-tokens >> 17, rounded down), the most the first
 * level keeps (4 SYNs), and the bit saying that the holder has sent more
 * than one SYN since it took the slot (it is spending its burst) */
#define XG_HOT_UNIT_SHIFT	17
#define XG_HOT_SYN		7629
#define XG_HOT_DEBT_MAX		(4 * XG_HOT_SYN)
#define XG_HOT_DEBT		0x7fff
#define XG_HOT_BUSY		0x8000

#define XG_HOT_FULL	(~0ULL)

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

/*
 * xg_list_bits: one filter per list (enum xg_list), a superset of the
 * sources its entries cover, 65536 bits of a hash of the address's first
 * XG_LF_PLEN4 (IPv4) or XG_LF_PLEN6 (IPv6) bits (docs/lists.md). A
 * source whose bit is clear is in no entry of the list: the program skips
 * the LPM lookup. An entry at least that long sets one bit; one up to 16
 * bits shorter sets every bit its prefix can reach; a shorter one sets
 * all. User space rebuilds a list's filter after every change of it
 * (never before the change is in the map); until the first build
 * (built 0) every lookup is made.
 */
enum xg_list { XG_L_ALLOW4, XG_L_ALLOW6, XG_L_DENY4, XG_L_DENY6, XG_L_MAX };

static inline int xg_list_family(__u32 list)
{
	return list == XG_L_ALLOW4 || list == XG_L_DENY4 ? 4 : 6;
}

#define XG_LF_BITS	65536
#define XG_LF_PLEN4	24
#define XG_LF_PLEN6	48

struct xg_list_filter {
	__u32 built;		/* 1: the bits below are the list's */
	__u32 entries;		/* the entries they were built from */
	__u64 w[XG_LF_BITS / 64];
};

/* the multiplier of the multiply hashes (these, bpf/lib/bucket.h's) */
#define XG_HASH_MUL	0x9e3779b97f4a7c15ULL

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define XG_BE32(x)	__builtin_bswap32(x)
#else
#define XG_BE32(x)	(x)
#endif

/* the filter's bit of an IPv4 address (network order) */
static inline __u32 xg_lf_bit4(__u32 addr)
{
	__u64 k = addr & XG_BE32(~0U << (32 - XG_LF_PLEN4));

	return (__u32)((k * XG_HASH_MUL) >> 48);
}

/* the filter's bit of an IPv6 address (four words, network order) */
static inline __u32 xg_lf_bit6(const __u32 *addr)
{
	__u64 k = (__u64)addr[0] << 32 |
		  (addr[1] & XG_BE32(~0U << (64 - XG_LF_PLEN6)));

	return (__u32)((k * XG_HASH_MUL) >> 48);
}

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
	__u32 cookie_paths;	/* the XDP program was loaded with its SYN
				 * cookie paths (the kernel had the helpers) */
	__u32 replacing;	/* attach --replace is swapping programs: if
				 * set when a command starts, that one was
				 * killed and the ids recorded may be stale */
	/* layout 2 on; layout 1 (96 bytes) ended here */
	__u32 abi;		/* XG_ABI_VERSION of the binary that attached */
	__u32 src_seed;		/* xg_buckets' hash seed (layout 3 on) */
	__u64 netns_cookie;	/* the folder's namespace */
};

/*
 * xg_journal: undo records of a multi-entry policy change in progress,
 * written by user space before the change and cleared after it, so the
 * next command can undo a change that was killed half way. Entry 0 holds
 * the count; entries 1..count the records. Never read by BPF.
 */
#define XG_JOURNAL_MAX	4096

enum xg_jmap {
	XG_J_ALLOW4,
	XG_J_ALLOW6,
	XG_J_DENY4,
	XG_J_DENY6,
	XG_J_PORTS,
	XG_J_CONFIG,
	XG_J_COOKIE_PORTS,	/* xg_undo only (values too big for xg_jrec) */
	XG_J_PM_CFG,
	XG_J_MAX,
};

struct xg_jrec {
	__u32 count;		/* entry 0 only */
	__u8 map;		/* enum xg_jmap */
	__u8 existed;		/* restore val, else delete key */
	__u16 pad;
	__u8 key[20];
	__u8 val[36];
};

/*
 * xg_undo: the journal of a change of any size. User space makes an array
 * map of count + 1 entries for each change, fills it with the old value of
 * every key the change touches and the count in entry 0, and only then
 * pins it in the folder: the pin is the journal being on (one atomic
 * step). Unlinking the pin ends the change. A command that finds the pin
 * puts every key back, then unlinks it. xg_journal above is only read, to
 * undo a change killed under an older xdpguard.
 */
#define XG_PIN_UNDO	"xg_undo"

struct xg_undo {
	__u32 count;		/* entry 0 only */
	__u8 map;		/* enum xg_jmap */
	__u8 existed;		/* restore val, else delete key */
	__u16 pad;
	__u8 key[20];
	__u8 val[64];
};

/*
 * Ring-buffer records: one schema for every kernel program, documented
 * field by field in docs/events.md. Interface programs (XDP guard, tc
 * MSS/PTB, the black-hole tracepoint) write to their interface's ring
 * (XG_MAP_EVENTS); the host socket telemetry writes to its namespace's
 * host ring (sock.h). The head is the same for every type; the body is
 * the type's own fields. Values are appended, never renumbered.
 */
enum xg_event_type {
	XG_EV_THROTTLE = 1,	/* a source starts to be over budget */
	XG_EV_DENY_HIT,		/* packets from a denied prefix */
	XG_EV_COOKIES_ON,	/* auto: a port's SYN cookies switched on */
	XG_EV_COOKIES_OFF,	/* auto: ... and off again */
	XG_EV_PTB,		/* a destination's Packet Too Big (1/s) */
	XG_EV_BLACKHOLE,	/* pmtud_blackhole_suspected */
	XG_EV_TW_CHURN,		/* TIME_WAIT entries/s crossed the threshold */
	XG_EV_EPHEMERAL,	/* ports in use toward one destination passed
				 * the threshold (percent of the range) */
	XG_EV_ACCEPT_FULL,	/* a listener's accept queue is full */
	XG_EV_NO_PORT,		/* connect() found no free local port */
	/* DNS telemetry (include/xdpguard/dns.h): struct xg_dns_event */
	XG_EV_DNS_ANSWER_CHANGED,
	XG_EV_DNS_SERVERS_DISAGREE,
	XG_EV_DNS_STALE_USE,
	XG_EV_MAX,
};

/* Host-wide records (no interface): the socket telemetry's. */
#define XG_EV_IS_HOST(t)	((t) >= XG_EV_TW_CHURN && (t) <= XG_EV_NO_PORT)
/* Records longer than struct xg_event: struct xg_dns_event. */
#define XG_EV_IS_DNS(t)		((t) >= XG_EV_DNS_ANSWER_CHANGED && \
				 (t) <= XG_EV_DNS_STALE_USE)

struct xg_event {
	/* head: every record */
	__u16 type;		/* enum xg_event_type */
	__u8 family;		/* 4 or 6; 0: no addresses */
	__u8 prefixlen;		/* THROTTLE, DENY_HIT: of the source rule */
	__u32 ifindex;		/* interface records; 0: host records */
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u64 netns_cookie;	/* host records: the namespace's cookie */
	__u32 netns_ino;	/* host records: its inode */
	__u16 sport;		/* host order; 0: none */
	__u16 dport;
	__u32 saddr[4];		/* network order, IPv4 in [0] */
	__u32 daddr[4];
	/* body: the type's own fields */
	union {
		struct {
			__u32 rate;	/* SYNs/s seen */
			__u32 pps;	/* budget in force */
			__u32 burst;
			__u32 pad;
			__u64 dropped;	/* over-budget SYNs so far */
		} throttle;
		struct {
			__u64 hits;	/* packets the rule matched */
		} deny;
		struct {		/* COOKIES_ON, COOKIES_OFF */
			__u32 rate;	/* the port's SYNs/s */
			__u32 threshold;/* SYN/s that switch cookies on */
			__u64 switches;
		} cookies;
		struct {
			__u32 mtu;	/* reported MTU */
			__u32 min_mtu;	/* smallest so far */
			__u64 count;	/* PTBs so far */
			__u64 since_ns;	/* first PTB, CLOCK_MONOTONIC */
		} ptb;
		struct {
			__u32 seg;	/* TCP payload per segment */
			__u32 pkt;	/* IP packet size */
			__u64 retrans;	/* full-size retransmissions */
			__u64 since_ns;	/* the first of them */
		} blackhole;
		struct {
			__u64 entries;	/* entered TIME_WAIT in the window */
			__u32 window_ms;
			__u32 threshold;/* entries per second */
		} tw;
		struct {		/* EPHEMERAL, NO_PORT */
			__u64 in_use;	/* local ports in use */
			__u32 ports;	/* ports in the range */
			__u32 threshold;/* EPHEMERAL: percent */
		} eph;
		struct {
			__u64 queue;	/* accept queue length */
			__u32 backlog;	/* its limit */
			__u32 syn_recv;	/* requests in SYN_RECV */
		} accept;
		__u64 body[3];
	};
};

/* ---------------- SYN cookies (issue 3) ----------------
 *
 * XDP answers a SYN to a cookie port with a SYN-ACK whose sequence is our
 * SYN cookie (bpf/lib/cookie.h: a SipHash under the host's key), and
 * drops ACKs to it that match no socket and carry no valid cookie, ours
 * or the kernel's. The tc ingress program (tc_cookie.bpf.c) turns a
 * valid cookie ACK of ours into a request socket of the listener with the
 * kfunc bpf_sk_assign_tcp_reqsk, so the kernel completes the connection
 * as if it had sent the cookie itself.
 */
#define XG_MAP_COOKIE_PORTS	"xg_cookie_ports"
#define XG_MAP_COOKIE_CFG	"xg_cookie_cfg"
#define XG_PIN_TC_COOKIE	"xg_tc_cookie"	/* the tc program */

enum xg_cookie_mode {
	XG_CK_OFF = 0,		/* no entry in xg_cookie_ports */
	XG_CK_ON,
	XG_CK_AUTO,
};

/* auto: 1 s windows; on after one window at >= threshold SYN/s, off
 * after XG_CK_CALM_WINDOWS windows in a row below threshold / 2 */
#define XG_CK_WINDOW_NS		1000000000ULL
#define XG_CK_CALM_WINDOWS	5

/*
 * xg_cookie_ports[port] (host order; port 0: every port without an entry
 * of its own). mode and threshold are set by user space; the rest is the
 * auto state, kept by the XDP program (user space keeps it on a change).
 */
struct xg_cookie_port {
	__u32 mode;		/* XG_CK_ON or XG_CK_AUTO */
	__u32 threshold;	/* AUTO: SYN/s that switch cookies on */
	__u32 active;		/* AUTO: cookies on now */
	__u32 last_rate;	/* SYNs per second in the last closed window */
	__u64 win_syns;		/* SYNs in the current window */
	__u64 win_start;	/* CLOCK_MONOTONIC_COARSE ns */
	__u32 calm;		/* closed windows in a row below half */
	__u32 pad;
	__u64 switched_ns;	/* last switch (0: never) */
	__u64 switches;
};

/*
 * The host's cookie key: one for every guard and hand-off of the host, so
 * that an ACK may come back on another interface than its SYN. Made with
 * getrandom() by the first attach, pinned in the pin root as
 * XG_PIN_COOKIE_KEY and in each guard's folder, gone with the last
 * folder (docs/pins.md). All zero: no key, and no cookie answered.
 */
#define XG_MAP_COOKIE_KEY	"xg_cookie_key"
#define XG_PIN_COOKIE_KEY	"xg_cookie_key"

struct xg_cookie_key {
	__u64 k[2];		/* SipHash-2-4's key */
};

/* xg_cookie_cfg flags: what the SYN-ACK may offer (the namespace's
 * sysctls at `cookies set` time) and what is attached */
#define XG_CKF_TS	(1U << 0)	/* net.ipv4.tcp_timestamps */
#define XG_CKF_SACK	(1U << 1)	/* net.ipv4.tcp_sack */
#define XG_CKF_WSCALE	(1U << 2)	/* net.ipv4.tcp_window_scaling */
#define XG_CKF_TC	(1U << 3)	/* the tc hand-off is attached */
#define XG_CKF_QDISC	(1U << 4)	/* ... and we created its clsact */

/*
 * The last request the tc program handed off: the kernel's struct
 * bpf_tcp_req_attrs (same layout) and the kfunc's answer. Read by the
 * unit tests from the program's .bss.
 */
struct xg_handoff {
	__u32 rcv_tsval;
	__u32 rcv_tsecr;
	__u16 mss;
	__u8 rcv_wscale;
	__u8 snd_wscale;
	__u8 ecn_ok;
	__u8 wscale_ok;
	__u8 sack_ok;
	__u8 tstamp_ok;
	__u8 usec_ts_ok;
	__u8 reserved[3];
	__s32 ret;
};

/*
 * xg_listen_seen (per CPU, XG_LISTEN_SLOTS, a slot per hash of address
 * and port): a listener the guard found for a SYN's destination, taken
 * as there without a lookup while xg_peers' listener count stays @gen
 * and for XG_LISTEN_FRESH_NS (docs/peers.md, "The listeners seen").
 */
#define XG_MAP_LISTEN_SEEN	"xg_listen_seen"
#define XG_LISTEN_SLOTS		16
#define XG_LISTEN_FRESH_NS	8000000ULL	/* 8 ms of the guard's clock */
#define XG_LISTEN_QUIET		4	/* units of 2^20 ns after a change */

struct xg_listen_seen {
	__u32 addr[4];		/* the SYN's destination (network order) */
	__u32 gen;		/* xg_peers[XG_PEER_LISTEN].live then */
	__u32 ifindex;		/* the device the SYN came in on */
	__u16 port;		/* network order */
	__u8 family;		/* 4 or 6; 0: empty */
	__u8 pad;
	__u32 pad2;
	__u64 t;		/* the guard's clock when found */
};

/* xg_cookie_cfg[0]: written by user space, read by both programs. */
struct xg_cookie_cfg {
	__u32 flags;		/* XG_CKF_* */
	__u16 mss4;		/* MSS the SYN-ACK announces (IPv4) */
	__u16 mss6;		/* (IPv6) */
	__u8 wscale;		/* our window scale (rcv_wscale) */
	__u8 ttl;		/* TTL / hop limit of the SYN-ACK */
	__u16 pad;
	__u32 ts_off;		/* random offset of our TS clock */
	/* the tc filter, for detach */
	__u32 tc_ifindex;
	__u32 tc_handle;
	__u32 tc_priority;
	__u32 tc_prog_id;
};

/*
 * make bench (build/stagebench): where the XDP guard built with its bench
 * stops (tests/tools/xg_stages.bpf.c; never the attached program) makes a
 * SYN stop with XDP_DROP, by its load-time bench_stop. Each stage
 * includes the ones before it.
 */
enum xg_bench_stop {
	XG_STOP_NONE = 0,	/* the whole path */
	XG_STOP_PARSE,		/* config, parse, deny, "is a SYN" */
	XG_STOP_BUDGET,		/* + the source's slot and budget */
	XG_STOP_PORT,		/* + the port's cookie state */
	XG_STOP_CSUM,		/* + the SYN's IP and TCP checksums */
	XG_STOP_LISTENER,	/* + the socket lookup (a listener?) */
	XG_STOP_COOKIE,		/* + options, the cookie helper */
	XG_STOP_BUILD,		/* + the SYN-ACK's headers and checksums */
};

#endif /* XDPGUARD_ABI_H */
