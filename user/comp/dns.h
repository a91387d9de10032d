/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DNS telemetry component (bpf/tc_dns.bpf.c): attach on an interface
 * the XDP guard is being attached to, detach, and read its tables.
 */
#ifndef XDPGUARD_COMP_DNS_H
#define XDPGUARD_COMP_DNS_H

#include <stdbool.h>
#include <stdio.h>
#include <xdpguard/dns.h>

struct xg_iface;

/* what attach sizes and sets (attach --dns-*), and what it cost */
struct xg_dns_settings {
	__u32 servers, names;		/* table entries (gone: as names) */
	__u32 ttl_short, ttl_long;	/* seconds: flagged when <= / >= */
	__u32 timeout_s;		/* no response in this long */
	__u32 pending;			/* queries awaiting an answer */
	__u32 tc_window_s;		/* TC=1 then TCP within this long */
	__u64 memlock;			/* read: the kernel's bytes of its maps */
};

/* the defaults of attach */
void xg_dns_defaults(struct xg_dns_settings *s);
/* before attach: what the tables take (bytes, estimated); too much for
 * the memory available is a usage error, said (its exit status) */
int xg_dns_check(const struct xg_dns_settings *s, __u64 *cost);
/* attach: its maps pinned in @dir (the folder being made); 0 or -1 with
 * a message and nothing of it left */
int xg_dns_attach(const char *ifname, int ifindex, const char *dir,
		  const struct xg_dns_settings *s);
/* what an attached interface was given; -1 when it has no DNS telemetry */
int xg_dns_settings_read(const struct xg_iface *ifc,
			 struct xg_dns_settings *s);
/* the program id of the pinned stale-use link, 0 if none */
__u32 xg_dns_tp_prog(const struct xg_iface *ifc);

/* attach --replace: this binary's DNS programs on the pinned maps,
 * loaded, not attached (fd 0 ingress, 1 egress, 2 stale use) */
struct xg_dns_new;
struct xg_dns_new *xg_dns_load(const struct xg_iface *ifc);
int xg_dns_new_fd(const struct xg_dns_new *n, int which);
/* a new link of the stale-use program (the caller pins and closes it);
 * a negative errno */
int xg_dns_new_link(struct xg_dns_new *n);
void xg_dns_new_free(struct xg_dns_new *n);

/* a short summary, for status and top */
struct xg_dns_sum {
	bool on;
	__u64 cnt[XG_DNS_C_MAX];
	__u64 timeouts, servfail, tc, tc_not_followed, fragmented;
	__u64 ttl_short, ttl_long;
	__u32 servers, servers_max, names, names_max;
};
int xg_dns_sum_read(const struct xg_iface *ifc, struct xg_dns_sum *s);
/* detach: its tc filters (and a clsact it made) and its link; quiet when
 * the interface was attached without it */
void xg_dns_detach(const struct xg_iface *ifc);
bool xg_dns_is_on(const struct xg_iface *ifc);

/* one server's numbers, summed over CPUs */
struct xg_dns_srv {
	struct xg_dns_server_key k;
	struct xg_dns_server v;
};

struct xg_dns_nm {
	struct xg_dns_name_key k;
	struct xg_dns_name v;
};

struct xg_dns_view {
	__u64 cnt[XG_DNS_C_MAX];
	struct xg_dns_srv *srv;		/* by queries, most first */
	int nsrv;
	struct xg_dns_nm *names;	/* by queries, most first */
	int nnames;
	int gone;			/* addresses remembered as left */
	int pending;			/* queries awaiting a response */
	struct xg_dns_cfg cfg;
};

int xg_dns_read(const struct xg_iface *ifc, struct xg_dns_view *v);
void xg_dns_view_free(struct xg_dns_view *v);

/* helpers for the command, events and export */
void xg_dns_name_str(const __u8 *wire, char *buf, size_t len);
const char *xg_dns_qtype_str(__u16 t, char *buf, size_t len);
double xg_dns_lat_pct(const struct xg_dns_server *s, double pct);

#endif /* XDPGUARD_COMP_DNS_H */
