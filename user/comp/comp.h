/* SPDX-License-Identifier: GPL-2.0 */
/*
 * user/comp: one module per kernel component, each owning its skeleton
 * and everything about it: load, attach, detach, replace, read its maps,
 * its part of recovery.
 *   guard.c    the XDP guard (xdp_guard.bpf.c): source table, attach,
 *              detach, swap, list flags, counters and state
 *   journal.c  the guard's crash-safe multi-entry policy changes
 *   cookie.c   SYN cookies: kernel support, the tc hand-off (tc_cookie)
 *   pmtu.c     tc MSS clamp, PTB accounting, black-hole detection and the
 *              host's one retransmission program (tc_mss, sock_retrans,
 *              retrans_host)
 *   host.c     host-wide socket telemetry (sock_tw)
 *   metrics.c  the pmtu and host numbers, the per-port budgets, as top
 *              and export read them
 *   dns.c      DNS telemetry at tc (tc_dns): per server, per name, events
 *
 * A component may call the library (user/lib) and another component;
 * never a command (user/cmd) nor main. scripts/layers checks it.
 */
#ifndef XDPGUARD_COMP_H
#define XDPGUARD_COMP_H

#include <xdpguard/pmtu.h>
#include "../lib/lib.h"

/* ---- guard.c: the XDP guard ---- */
struct xg_guard;
struct xg_guard_settings {
	int mode;			/* enum xdp_attach_mode */
	struct xg_config cfg;
	__u32 sources, prefix4, prefix6;
	bool have_cookies;		/* load the cookie paths */
};
struct xg_guard *xg_guard_open(__u32 sources, int *ret);
int xg_guard_attach(struct xg_guard *g, const char *ifname, int ifindex,
		    const char *dir, const struct xg_guard_settings *s,
		    struct xg_info *info);
void xg_guard_close(struct xg_guard *g, bool keep);
int xg_sync_flags(const struct xg_iface *ifc);
struct bpf_object;
struct xg_pm_info;
int xg_xdp_detach(int ifindex, __u32 prog_id);
int xg_xdp_runs(int ifindex, __u32 prog_id);
__u32 xg_xdp_guard_id(int ifindex);
bool xg_prog_alive(__u32 id);
/* this binary's programs on the pinned maps, loaded, not attached */
struct xg_guard_new;
struct xg_guard_new *xg_guard_load(const struct xg_iface *ifc,
				   const struct xg_info *info);
int xg_guard_swap(struct xg_guard_new *g, const struct xg_iface *ifc,
		  const struct xg_info *info, __u32 *new_id);
void xg_guard_free(struct xg_guard_new *g);
int xg_cookie_load(const struct xg_iface *ifc);
int xg_pmtu_load(const struct xg_iface *ifc, const struct xg_pm_info *pi,
		 int *fd_in, int *fd_eg, int *fd_tp);

/* ---- metrics.c: the other components' numbers, for top and export ---- */
struct xg_pm_sum {
	bool on;			/* PTB accounting attached */
	__u64 c[32];			/* enum xg_pmc (XG_PMC_MAX) */
	__u32 ptb_dests;		/* destinations that got a PTB */
	__u32 bh_dests;			/* ... suspected black holes now */
};
int xg_pm_stats_read(const struct xg_iface *ifc, __u64 *sum);
int xg_pm_sum_read(const struct xg_iface *ifc, struct xg_pm_sum *s);

struct xg_host_sum {
	long tw;			/* TIME_WAIT now (/proc/net/sockstat);
					 * -1: unreadable */
	bool on;			/* socket telemetry on: the rest */
	__u64 netns;
	struct xg_sk_stats st;
	__u32 listeners, full;		/* full: accept queue at its max */
	__u64 accept_q, syn_recv;	/* summed over listeners */
	double fill_max;		/* the fullest queue, 0..1 */
	__u16 worst_port;
	__u32 worst_q, worst_max;
};
int xg_host_sum_read(struct xg_host_sum *h);

/* A port with a SYN budget of its own (xg_port_rate). */
struct xg_port_rate_row {
	__u16 port;
	struct xg_rate rate;
};
/* those ports, sorted; how many (at most @max), or -1 */
int xg_port_rates(const struct xg_iface *ifc, struct xg_port_rate_row *rows,
		  int max);

struct xg_stats {
	struct xg_info info;
	struct xg_config cfg;
	struct xg_counter cnt[XG_C_SLOTS];
	__u64 tot[XG_V_MAX];		/* packets per verdict */
	__u32 tracked, ports, allow, deny;
	__u32 lists_stale;		/* bits 1 << enum xg_list: entries
					 * but the flag off, or a filter
					 * built from another count */
	bool gone;			/* the interface is no more */
	int state;			/* enum xg_state */
};

/* What is really attached, beside what the pins say. */
enum xg_state {
	XG_ST_OK,		/* the interface runs the recorded program */
	XG_ST_XDP_GONE,		/* the interface is there, its program not */
	XG_ST_MOVED,		/* the program runs, the interface is not here */
	XG_ST_GONE,		/* both gone (reclaimed by the next command) */
};
const char *xg_state_name(int state);
const char *xg_state_advice(int state, const struct xg_iface *ifc,
			    const struct xg_info *in, char *buf, size_t len);

int xg_stats_read(const struct xg_iface *ifc, struct xg_stats *st);
const struct xg_bucket *xg_slots_map(int fd, __u32 *n);
void xg_slots_unmap(const struct xg_bucket *b, __u32 n);
const char *xg_reason_name(int r);
const char *xg_verdict_name(int v);

/* ---- journal.c: undo records of multi-entry policy changes ---- */
struct xg_journal {
	int fd[XG_J_MAX];	/* the maps a change may touch; -1: none */
	size_t ksz[XG_J_MAX];
	struct xg_undo *rec;	/* rec[0]: the count; 1..n: records */
	__u32 n, cap;
	int ufd;		/* the undo map, pinned while the change runs */
	char path[320];		/* ... here */
	const struct xg_iface *ifc;
};

int xg_jmap_of(bool deny, int family);
int xg_journal_open(struct xg_journal *j, const struct xg_iface *ifc);
int xg_journal_note(struct xg_journal *j, int map, const void *key);
int xg_journal_begin(struct xg_journal *j);
void xg_journal_end(struct xg_journal *j);
void xg_journal_rollback(struct xg_journal *j);
void xg_journal_close(struct xg_journal *j);
int xg_journal_recover(const struct xg_iface *ifc);

/* ---- cookie.c: SYN cookies ---- */
struct xg_cookie_support {
	bool helpers;		/* syncookie helpers, socket lookups (XDP, tc) */
	bool kfunc;		/* bpf_sk_assign_tcp_reqsk in the kernel's BTF */
	long syncookies;	/* net.ipv4.tcp_syncookies; -1: unreadable */
	bool ok;		/* all of it: cookies can be switched on */
	char why[256];		/* what is missing, in words */
};

void xg_cookie_probe(struct xg_cookie_support *s);
int xg_cookie_key_up(void);
void xg_cookie_key_drop(void);
int xg_cookie_detach(const struct xg_iface *ifc);
int xg_cookie_prepare(const struct xg_iface *ifc, bool *tc_new);
void xg_cookie_unprepare(const struct xg_iface *ifc);
int xg_cookie_load(const struct xg_iface *ifc);
const char *xg_cookie_support_words(const struct xg_cookie_support *s);
bool xg_cookie_tc_present(const struct xg_cookie_cfg *cc);
int xg_cookie_cfg_read(const struct xg_iface *ifc, struct xg_cookie_cfg *cc);
int xg_cookie_cfg_write(const struct xg_iface *ifc,
			const struct xg_cookie_cfg *cc);
int xg_cookie_ready(const struct xg_iface *ifc, const struct xg_info *info,
		    struct xg_cookie_cfg *cc, bool *tc_new);
void xg_cookie_unready(const struct xg_iface *ifc, struct xg_cookie_cfg *cc);
struct xg_cookie_row {
	__u16 port;
	struct xg_cookie_port c;
};
/* the port settings, sorted (the default, port 0, last); how many or -1 */
int xg_cookie_ports(const struct xg_iface *ifc, struct xg_cookie_row *rows,
		    int max);

/* ---- peers.c: the host's socket record (pins under XG_PEERS_DIR) ---- */
int xg_peers_up(void);
bool xg_peers_kept(const struct xg_iface *ifc);
void xg_peers_reclaim(void);
int xg_cgroup2_root(char *buf, size_t len);

/* ---- pmtu.c: tc MSS clamp, PTB accounting, black-hole detection ---- */
int xg_pmtu_attach(const char *ifname, int ifindex, const char *dir,
		   __u32 flags, __u32 threshold);
void xg_pmtu_detach(const struct xg_iface *ifc);
void xg_pmtu_release_dir(const char *dir);
bool xg_pmtu_rt_running(__u32 id);
int xg_pmtu_rt_swap(__u32 old_id, int fd);
int xg_pmtu_rt_ids(__u32 **ids);
void xg_pmtu_rt_reclaim(void);
struct xg_pm_cfg;
int xg_pm_cfg_rw(const struct xg_iface *ifc, struct xg_pm_cfg *cfg,
		 bool write);
/* a destination with a PTB or a black-hole streak, and what it was sent */
struct xg_pm_dest {
	struct xg_dst_key key;
	struct xg_ptb_val ptb;
	struct xg_bh_val bh;
	struct xg_egress_val eg;
	bool has_ptb, has_bh, has_eg;
};
int xg_pmtu_dests(const struct xg_iface *ifc, struct xg_pm_dest **out);

/* ---- host.c: host-wide socket telemetry (pins under XG_PIN_HOST) ---- */
bool xg_host_is_on(void);
int xg_host_on(bool *was_on);
int xg_host_off(void);
int xg_host_need(const char *what);
int xg_host_ring(void);
int xg_host_ring_id(__u64 netns, __u32 *id);
int xg_host_open(const char *name);
int xg_sk_snapshot(struct xg_sk_rec **out, size_t *n);
int xg_sk_stats_read(__u64 netns, struct xg_sk_stats *sum);
int xg_sk_config_read(__u64 netns, struct xg_sk_config *cfg, bool *own);
int xg_sk_config_write(__u64 netns, const struct xg_sk_config *cfg);
long long xg_netstat(const char *name);
int xg_port_range(__u32 *lo, __u32 *hi);
const char *xg_tcp_state_name(int state);

/* ---- dns.c: DNS telemetry (its own header) ---- */
#include "dns.h"

#endif /* XDPGUARD_COMP_H */
