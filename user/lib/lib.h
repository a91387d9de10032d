/* SPDX-License-Identifier: GPL-2.0 */
/*
 * user/lib: the library under every component and command. Pins and the
 * lock (pin.c), network namespace identity (netns.c), tc hooks (tc.c),
 * maps and programs of any component (maps.c), what libbpf/libxdp print
 * (log.c), pure parsers (parse.c, policyfile.c: also fuzzed), errors and
 * clocks (util.c), the JSON writer (json.c), one record as text, JSON or
 * journal fields (rec.c), a ring's records relayed to more readers
 * (relay.c).
 *
 * It may include only include/xdpguard/, libbpf/libxdp and libc: never a
 * component (user/comp) or a command (user/cmd). scripts/layers checks it.
 */
#ifndef XDPGUARD_LIB_H
#define XDPGUARD_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/capability.h>
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
/* capability masks (1 << CAP_*) a command needs; util.c checks them */
#define XG_CAP(c)	(1ULL << (c))
/* reading pinned maps and programs: the pins are root's, mode 0600 */
#define XG_CAPS_READ	XG_CAP(CAP_DAC_OVERRIDE)
/* loading, attaching, pinning, following other namespaces */
#define XG_CAPS_ADMIN	(XG_CAP(CAP_BPF) | XG_CAP(CAP_NET_ADMIN) |	\
			 XG_CAP(CAP_PERFMON) | XG_CAP(CAP_SYS_ADMIN) |	\
			 XG_CAP(CAP_DAC_OVERRIDE))
int xg_need_caps(__u64 need);
bool xg_have_caps(__u64 need);
void xg_fds_close(int *fd, ...) __attribute__((sentinel));
__u64 xg_mono_ns(void);
__u64 xg_real_ns(void);
__u64 xg_proc_u64(const char *path, const char *key);
__u64 xg_fd_memlock(int fd);
void xg_json_str(FILE *f, const char *s);
__u64 xg_cgroup_room(void);
int xg_sysctl(const char *name, long *vals, int n);
void xg_rfc3339(__u64 real_ns, char *buf, size_t len);
/* open_opts.kconfig for objects with __kconfig externs: NULL or a fallback */
const char *xg_kconfig(void);

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
const char *xg_run_path(void);
int xg_run_dir(void);
int xg_lock(void);
int xg_lock_try(void);
void xg_unlock(int fd);
int xg_lock_iface(const char *ifname, struct xg_iface *ifc, int *lock);
int xg_iface_resolve(const char *ifname, struct xg_iface *ifc);
int xg_iface_list(struct xg_iface **list, bool all);
int xg_map_open(const struct xg_iface *ifc, const char *name);
int xg_pinned_info(const char *path, void *info, __u32 len);
__u32 xg_pinned_map_id(const char *path);
int xg_map_open_quiet(const struct xg_iface *ifc, const char *name);
int xg_map_get0(const struct xg_iface *ifc, const char *name, void *val,
		size_t size, bool quiet);
int xg_info_read(const struct xg_iface *ifc, struct xg_info *info);
int xg_info_read_quiet(const struct xg_iface *ifc, struct xg_info *info);
int xg_info_read_any(const struct xg_iface *ifc, struct xg_info *info,
		     __u32 *layout);
/* into @ifc's namespace when it is another (then *back to leave it) */
int xg_iface_enter(struct xg_iface *ifc, int *back);
struct bpf_object;
/* the xg_ maps of an opened object: pinned in @dir at load / the pins */
int xg_pin_paths(struct bpf_object *obj, const char *dir);
int xg_reuse_pins(struct bpf_object *obj, const struct xg_iface *ifc);

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
/* a component's ingress and egress filters, as its pinned record holds
 * them (pointers into it: the records differ in layout) */
struct xg_tc_pair {
	__u32 *handle, *priority, *prog_id;	/* [2]: ingress, egress */
	__u32 *qdisc_created;
};
int xg_tc_pair_attach(int ifindex, const char *ifname, const char *what,
		      const int fd[2], struct xg_tc_pair *p,
		      void (*step)(void *arg), void *arg);
void xg_tc_pair_remove(int ifindex, const struct xg_tc_pair *p);

/* ---- audit.c: one syslog record per command that changes protection ---- */
void xg_audit(int argc, char **argv, int status);

/* ---- log.c: what libbpf and libxdp print ---- */
void xg_quiet_libs(void);
void xg_quiet_probe(bool on);
void xg_tc_quiet(bool on);

/* ---- maps.c: maps and programs, whatever their component ---- */
bool xg_prog_alive(__u32 id);
int xg_counters_read(int fd, struct xg_counter *sum, int slots);
struct xg_cidr;
size_t xg_lpm_key(const struct xg_cidr *c, void *key);
int xg_list_filter_build(int fd, int family, struct xg_list_filter *f);
int xg_list_filters_sync(int bits, const int *lpm);

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
	bool has_dns;		/* the dns words were there (older files: no) */
	bool dns;		/* DNS telemetry on; then its settings: */
	__u32 dns_servers, dns_names, dns_timeout, dns_ttl_short, dns_ttl_long;
	__u32 dns_pending, dns_tc_window;	/* 0: not in the file */
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

/* A file of one policy, or of sections 'interface NAME' ... 'end' */
struct xg_policy_sec {
	char ifname[16];	/* "" in a file without sections */
	int line;		/* where it starts */
	struct xg_policy p;
};

struct xg_policy_file {
	struct xg_policy_sec *sec;
	int n;
	bool named;		/* sections by interface */
};

int xg_policy_file_parse(FILE *f, const char *name, struct xg_policy_file *pf);
void xg_policy_file_free(struct xg_policy_file *pf);
const struct xg_policy_sec *xg_policy_file_find(const struct xg_policy_file *pf,
						const char *ifname);

/* ---- opts.c: options declared as tables ---- */
enum xg_opt_type {
	XG_OPT_FLAG,		/* bool */
	XG_OPT_U32,		/* __u32 in min..max */
	XG_OPT_PORT,		/* __u16, 1..65535 */
	XG_OPT_DURATION,	/* __u64 ns ("30s", "5m"), in min..max if max */
	XG_OPT_CHOICE,		/* __u32: the index in choices */
	XG_OPT_STR,		/* const char * */
	XG_OPT_IFACE,		/* const char *, a valid interface name */
};

struct xg_opt {
	const char *name;	/* --name */
	char key;		/* -k, or 0 */
	enum xg_opt_type type;
	size_t off;		/* offsetof() its field in the options */
	__u64 min, max;
	const char *const *choices;	/* XG_OPT_CHOICE, NULL-terminated */
	const char *def;	/* the default, parsed as if given */
	const char *arg;	/* its value in --help: "N" */
	const char *help;	/* what it takes, for --help and errors */
	const char *verbs;	/* the verbs it belongs to ("set del") */
	bool hidden;
};

struct xg_args {
	const char *verb;
	char **pos;		/* positional arguments, in order */
	int npos;
	__u64 given;		/* bit i: opts[i] was given */
};

int xg_opts_parse(int argc, char **argv, const char *verb,
		  const struct xg_opt *opts, void *dst, struct xg_args *a,
		  const char *usage);
bool xg_opt_given(const struct xg_args *a, const struct xg_opt *opts,
		  const char *name);
void xg_opts_help(FILE *f, const struct xg_opt *opts);
__u64 xg_opt_bit(const struct xg_opt *opts, const char *name);
void xg_args_free(struct xg_args *a);
int xg_opts_only(int argc, char **argv, const char *verb,
		 const struct xg_opt *opts, void *dst, __u64 *given,
		 const char *usage);
int xg_opts_iface_json(int argc, char **argv, const char *usage,
		       const char **ifname, bool *json);

/* ---- json.c: the one JSON writer ---- */
struct xg_jw;
struct xg_jw *xg_jw_new(FILE *f);
void xg_jw_free(struct xg_jw *w);
struct xg_jw *xg_jw_new_lines(FILE *f);
void xg_jw_line(struct xg_jw *w);
void xg_jw_object(struct xg_jw *w);
void xg_jw_object_end(struct xg_jw *w);
void xg_jw_array(struct xg_jw *w);
void xg_jw_array_end(struct xg_jw *w);
void xg_jw_name(struct xg_jw *w, const char *name);
void xg_jw_str(struct xg_jw *w, const char *s);
void xg_jw_u64(struct xg_jw *w, unsigned long long v);
void xg_jw_s64(struct xg_jw *w, long long v);
void xg_jw_float(struct xg_jw *w, double v, int prec);
void xg_jw_bool(struct xg_jw *w, bool v);
void xg_jw_null(struct xg_jw *w);
void xg_jw_str_field(struct xg_jw *w, const char *n, const char *s);
void xg_jw_u64_field(struct xg_jw *w, const char *n, unsigned long long v);
void xg_jw_s64_field(struct xg_jw *w, const char *n, long long v);
void xg_jw_float_field(struct xg_jw *w, const char *n, double v, int prec);
void xg_jw_bool_field(struct xg_jw *w, const char *n, bool v);
void xg_jw_null_field(struct xg_jw *w, const char *n);
void xg_jw_ago_field(struct xg_jw *w, const char *n, __u64 then_ns,
		     __u64 now_ns);
/* ---- rec.c: one record as text, a JSON line or journal fields ---- */
enum xg_rec_mode { XG_REC_TEXT, XG_REC_JSON, XG_REC_JOURNAL };
struct xg_rec;
struct iovec;
struct xg_rec *xg_rec_new(enum xg_rec_mode mode, FILE *f);
void xg_rec_free(struct xg_rec *r);
void xg_rec_begin(struct xg_rec *r);
void xg_rec_word(struct xg_rec *r, const char *name, const char *v,
		 const char *word);
void xg_rec_hide(struct xg_rec *r, bool on);
void xg_rec_str(struct xg_rec *r, const char *name, const char *v);
void xg_rec_null(struct xg_rec *r, const char *name);
void xg_rec_u64(struct xg_rec *r, const char *name, unsigned long long v);
void xg_rec_float(struct xg_rec *r, const char *name, double v, int prec);
void xg_rec_strs(struct xg_rec *r, const char *name, const char *const *v,
		 int n);
void xg_rec_journal(struct xg_rec *r, const char *field);
void xg_rec_end(struct xg_rec *r);
int xg_rec_iov(const struct xg_rec *r, const struct iovec **iov);
const char *xg_rec_text(const struct xg_rec *r);

/* ---- relay.c: a ring's records to more readers (a unix socket) ---- */
#define XG_RELAY_VERSION	1
#define XG_RELAY_CLIENTS	16
enum { XG_RELAY_REC = 1, XG_RELAY_BYE, XG_RELAY_FULL, XG_RELAY_MISSED };

struct xg_relay_msg {
	__u32 version;		/* XG_RELAY_VERSION */
	__u32 kind;		/* XG_RELAY_* */
	__u64 missed;		/* records not sent to this reader so far */
	char tag[IF_NAMESIZE];	/* the interface; "" for the host ring */
	/* then, for XG_RELAY_REC, the record as the kernel wrote it */
};

struct xg_relay;
struct pollfd;
struct xg_relay *xg_relay_serve(const char *path);
int xg_relay_pollfds(const struct xg_relay *r, struct pollfd *p, int max);
void xg_relay_handle(struct xg_relay *r, const struct pollfd *p, int n);
int xg_relay_clients(const struct xg_relay *r);
void xg_relay_send(struct xg_relay *r, const char *tag, const void *rec,
		   size_t len);
void xg_relay_free(struct xg_relay *r);
int xg_relay_connect(const char *path);
int xg_relay_recv(int fd, struct xg_relay_msg *m, void *buf, size_t len);

/* pin.c: -i IFNAME or every attached interface; a reading command over them */
int xg_iface_targets(const char *ifname, struct xg_iface *one,
		     struct xg_iface **list);
int xg_iface_some(const char *ifname, struct xg_iface *one,
		  struct xg_iface **list);
int xg_show_each(const char *ifname, bool json,
		 int (*fn)(const struct xg_iface *ifc, struct xg_jw *w,
			   void *arg), void *arg);

#endif /* XDPGUARD_LIB_H */
