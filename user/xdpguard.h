/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the xdpguard subcommands: exit codes, parsing, pins, output. */
#ifndef XDPGUARD_USER_H
#define XDPGUARD_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <xdpguard/abi.h>
#include <xdpguard/sock.h>

#define XG_EXIT_OK	0
#define XG_EXIT_FAIL	1
#define XG_EXIT_USAGE	2

/* ---- parse.c: pure parsers (also fuzzed); 0 ok, -1 bad ---- */
struct xg_cidr {
	int family;		/* 4 or 6 */
	unsigned int prefixlen;
	__u32 addr[4];		/* network order, masked */
};

int xg_parse_cidr(const char *s, struct xg_cidr *c, char *why, size_t len);
int xg_parse_u32(const char *s, __u64 min, __u64 max, __u32 *out);
int xg_parse_duration(const char *s, __u64 *ns);
int xg_parse_port(const char *s, __u16 *port);
void xg_format_cidr(const struct xg_cidr *c, char *buf, size_t len);
void xg_format_addr(int family, const __u32 *addr, char *buf, size_t len);
void xg_format_duration(__u64 ns, char *buf, size_t len);
struct sockaddr_storage;
int xg_parse_listen(const char *s, struct sockaddr_storage *ss);
void xg_format_endpoint(int family, const __u32 *addr, __u16 port,
			char *buf, size_t len);
bool xg_ifname_ok(const char *s);

/* ---- util.c: errors, root, clocks ---- */
extern const char *xg_cmd;	/* "rate set", for messages */
void xg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int xg_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int xg_need_root(void);
int xg_opt_other(int c, const char *usage, char **argv);
int xg_opts_iface_json(int argc, char **argv, const char *usage,
		       const char **ifname, bool *json);
__u64 xg_mono_ns(void);
__u64 xg_real_ns(void);
__u64 xg_proc_u64(const char *path, const char *key);
__u64 xg_fd_memlock(int fd);
void xg_json_str(FILE *f, const char *s);
int xg_sysctl(const char *name, long *vals, int n);
void xg_rfc3339(__u64 real_ns, char *buf, size_t len);

/* ---- netns.c: network namespace identity ---- */
__u64 xg_netns_cookie(void);
__u64 xg_netns_ino(void);
bool xg_netns_is_host(void);
bool xg_same_ns(const char *a, const char *b);
/* 0: entered (xg_netns_leave(*back) returns), 1: not found, -1: error */
int xg_netns_enter(__u64 cookie, __u64 ino, int *back);
void xg_netns_leave(int back);
/* @fn in every namespace found (bind mounts, processes) until it returns
 * non-zero, which is returned */
int xg_netns_each(int (*fn)(__u64 cookie, void *arg), void *arg);
void xg_netns_name(__u64 ino, char *buf, size_t len);

/* ---- pin.c: bpffs, pin folders, lock, pinned maps ---- */
struct xg_iface {
	char ifname[IF_NAMESIZE];
	char dir[300];
	int ifindex;		/* 0: interface gone */
	int lock_fd;
	__u64 netns;		/* the folder's namespace cookie */
	bool here;		/* ... which is this one */
};

const char *xg_pin_root(void);
const char *xg_pin_host(void);
int xg_bpffs_ready(bool mount_if_missing);
int xg_ifname_check(const char *name);
void xg_iface_dir(const char *ifname, char *buf, size_t len);
int xg_dir_parse(const char *name, __u64 *cookie, char *ifname,
		 char *suffix);
int xg_lock(void);
void xg_unlock(int fd);
int xg_lock_iface(const char *ifname, struct xg_iface *ifc, int *lock);
int xg_iface_resolve(const char *ifname, struct xg_iface *ifc);
int xg_iface_list(struct xg_iface **list, bool all);
int xg_map_open(const struct xg_iface *ifc, const char *name);
int xg_map_open_quiet(const struct xg_iface *ifc, const char *name);
int xg_map_get0(const struct xg_iface *ifc, const char *name, void *val,
		size_t size, bool quiet);
int xg_info_read(const struct xg_iface *ifc, struct xg_info *info);
int xg_info_read_quiet(const struct xg_iface *ifc, struct xg_info *info);
int xg_info_read_any(const struct xg_iface *ifc, struct xg_info *info,
		     __u32 *layout);
/* into @ifc's namespace when it is another (then *back to leave it) */
int xg_iface_enter(struct xg_iface *ifc, int *back);
void xg_recover(void);
void xg_quiet_libs(void);

/* ---- replace.c: attach --replace, and the end of one that was killed ---- */
struct bpf_object;
struct xg_pm_info;
int xg_reuse_pins(struct bpf_object *obj, const struct xg_iface *ifc);
int xg_replace(const char *ifname, int ifindex, const char *dir);
void xg_replace_recover(const struct xg_iface *ifc);
int xg_xdp_detach(int ifindex, __u32 prog_id);
bool xg_xdp_runs(int ifindex, __u32 prog_id);
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

/* ---- tc.c: the tc filters the kernel really holds ---- */
struct xg_tc_filter {
	bool egress;
	__u32 handle, priority, prog_id;
};
/* every clsact filter of @ifindex to @fn (may be NULL); how many, or -1 */
int xg_tc_filters(int ifindex, int (*fn)(const struct xg_tc_filter *f,
					 void *arg), void *arg);
bool xg_prog_name(__u32 id, char *name, size_t len);
int xg_tc_remove_ours(int ifindex);

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

/* ---- policyfile.c: the save/apply file ---- */
struct xg_policy_entry {
	struct xg_cidr c;
	__u64 expires_ns;	/* deny: CLOCK_MONOTONIC, 0 = never */
};

struct xg_port_rule {
	__u16 port;
	struct xg_rate r;
};

/* cookies default|port PORT on|auto [threshold N]; port 0: default */
struct xg_cookie_rule {
	__u16 port;
	__u32 mode;		/* XG_CK_ON or XG_CK_AUTO */
	__u32 threshold;	/* AUTO only */
};

/* attached ...: settings fixed at attach, checked by apply, not applied */
struct xg_attached {
	__u32 sources, prefix4, prefix6;
	__u32 pmtu;		/* XG_PM_F_* */
	__u32 bh_threshold, event_budget;
};

struct xg_policy {
	struct xg_rate rate;
	bool dry_run;
	struct xg_port_rule ports[XG_MAX_PORT_RULES];
	int nports;
	struct xg_cookie_rule cookies[XG_MAX_PORT_RULES];
	int ncookies;
	__u32 mss_mode, mss, mss_dirs;	/* enum xg_mss_mode, XG_DIR_* */
	bool has_attached;
	struct xg_attached attached;
	struct xg_policy_entry *list[2];	/* allow, deny */
	int n[2], cap[2];
};

void xg_policy_free(struct xg_policy *p);
void xg_policy_sort(struct xg_policy *p);
int xg_policy_add(struct xg_policy *p, int deny, const struct xg_cidr *c,
		  __u64 expires_ns);
bool xg_policy_has(const struct xg_policy *p, int deny,
		   const struct xg_cidr *c, __u64 *expires_ns);
const struct xg_port_rule *xg_policy_port(const struct xg_policy *p,
					  __u16 port);
const struct xg_cookie_rule *xg_policy_cookie(const struct xg_policy *p,
					      __u16 port);
int xg_policy_parse(FILE *f, const char *name, struct xg_policy *p);

/* ---- policy.c ---- */
size_t xg_lpm_key(const struct xg_cidr *c, void *key);
int xg_sync_flags(const struct xg_iface *ifc);

/* ---- subcommands ---- */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_rate(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_deny(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_cookies(int argc, char **argv);
int cmd_dns(int argc, char **argv);	/* cmd/dns.c */

/* ---- cookie.c: SYN cookies ---- */
struct xg_cookie_support {
	bool helpers;		/* syncookie helpers, socket lookups (XDP, tc) */
	bool kfunc;		/* bpf_sk_assign_tcp_reqsk in the kernel's BTF */
	long syncookies;	/* net.ipv4.tcp_syncookies; -1: unreadable */
	bool ok;		/* all of it: cookies can be switched on */
	char why[256];		/* what is missing, in words */
};

void xg_cookie_probe(struct xg_cookie_support *s);
void xg_tc_quiet(bool on);
int xg_cookie_detach(const struct xg_iface *ifc);
int xg_cookie_prepare(const struct xg_iface *ifc, bool *tc_new);
void xg_cookie_unprepare(const struct xg_iface *ifc);
void xg_cookie_status(const struct xg_iface *ifc, bool json);
int cmd_mss(int argc, char **argv);
int cmd_pmtu(int argc, char **argv);

/* ---- pmtu.c: tc MSS clamp, PTB accounting, black-hole detection ---- */
int xg_pmtu_attach(const char *ifname, int ifindex, const char *dir,
		   __u32 flags, __u32 threshold);
void xg_pmtu_detach(const struct xg_iface *ifc);
void xg_pmtu_release_dir(const char *dir);
bool xg_pmtu_rt_running(__u32 id);
int xg_pmtu_rt_swap(__u32 old_id, int fd);
int xg_pmtu_rt_ids(__u32 **ids);
void xg_pmtu_rt_reclaim(void);
int cmd_tw(int argc, char **argv);
int cmd_sockets(int argc, char **argv);

/* ---- host.c: host-wide socket telemetry (pins under XG_PIN_HOST) ---- */
bool xg_host_is_on(void);
int xg_host_on(bool *was_on);
int xg_host_off(void);
int xg_host_ensure(void);
int xg_host_ring(void);
int xg_host_open(const char *name);
int xg_sk_snapshot(struct xg_sk_rec **out, size_t *n);
int xg_sk_stats_read(__u64 netns, struct xg_sk_stats *sum);
int xg_sk_config_read(__u64 netns, struct xg_sk_config *cfg, bool *own);
int xg_sk_config_write(__u64 netns, const struct xg_sk_config *cfg);
long long xg_netstat(const char *name);
int xg_port_range(__u32 *lo, __u32 *hi);
const char *xg_tcp_state_name(int state);

/* ---- shared readers (status.c) ---- */
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

struct xg_stats {
	struct xg_info info;
	struct xg_config cfg;
	struct xg_counter cnt[XG_C_SLOTS];
	__u64 tot[XG_V_MAX];		/* packets per verdict */
	__u32 tracked, ports, allow, deny;
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
int xg_counters_read(int fd, struct xg_counter *sum, int slots);
const char *xg_reason_name(int r);
const char *xg_verdict_name(int v);

#endif /* XDPGUARD_USER_H */
