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
void xg_format_endpoint(int family, const __u32 *addr, __u16 port,
			char *buf, size_t len);

/* ---- util.c: errors, root, clocks ---- */
extern const char *xg_cmd;	/* "rate set", for messages */
void xg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int xg_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int xg_need_root(void);
__u64 xg_mono_ns(void);
__u64 xg_real_ns(void);
void xg_json_str(FILE *f, const char *s);

/* ---- pin.c: bpffs, pin folders, lock, pinned maps ---- */
struct xg_iface {
	char ifname[IF_NAMESIZE];
	char dir[300];
	int ifindex;		/* 0: interface gone */
	int lock_fd;
};

int xg_bpffs_ready(bool mount_if_missing);
__u64 xg_netns_ino(void);
void xg_iface_dir(const char *ifname, char *buf, size_t len);
int xg_lock(void);
void xg_unlock(int fd);
int xg_iface_resolve(const char *ifname, struct xg_iface *ifc);
int xg_iface_list(struct xg_iface *list, int max);
int xg_map_open(const struct xg_iface *ifc, const char *name);
int xg_info_read(const struct xg_iface *ifc, struct xg_info *info);
void xg_quiet_libs(void);

/* ---- subcommands ---- */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_rate(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_deny(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_tw(int argc, char **argv);
int cmd_sockets(int argc, char **argv);

/* ---- host.c: host-wide socket telemetry (pins under XG_PIN_HOST) ---- */
bool xg_host_is_on(void);
int xg_host_on(bool *was_on);
int xg_host_off(void);
int xg_host_ensure(void);
int xg_host_ring(void);
int xg_host_open(const char *name);
__u64 xg_netns_cookie(void);
int xg_sk_snapshot(struct xg_sk_rec **out, size_t *n);
int xg_sk_stats_read(__u64 netns, struct xg_sk_stats *sum);
int xg_sk_config_read(__u64 netns, struct xg_sk_config *cfg, bool *own);
int xg_sk_config_write(__u64 netns, const struct xg_sk_config *cfg);
long long xg_netstat(const char *name);
int xg_port_range(__u32 *lo, __u32 *hi);
const char *xg_tcp_state_name(int state);

/* ---- shared readers (status.c) ---- */
int xg_counters_read(int fd, struct xg_counter *sum, int slots);
const char *xg_reason_name(int r);
const char *xg_verdict_name(int v);

#endif /* XDPGUARD_USER_H */
