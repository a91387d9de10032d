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

/* attach: its maps pinned in @dir (the folder being made); 0 or -1 with
 * a message and nothing of it left */
int xg_dns_attach(const char *ifname, int ifindex, const char *dir);
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
