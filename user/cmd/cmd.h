/* SPDX-License-Identifier: GPL-2.0 */
/*
 * user/cmd: the commands, one file per OBJECT of the command line
 * (options, calls into the components, output), and the command session
 * (session.c: recovery, the folder's removal, the detach steps shared by
 * detach and recovery; replace.c: attach --replace across components).
 *
 * A command may call other commands' shared functions, the components
 * (user/comp) and the library (user/lib); only main.c calls a command.
 * scripts/layers checks it.
 */
#ifndef XDPGUARD_CMD_H
#define XDPGUARD_CMD_H

#include "../comp/comp.h"

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

int cmd_mss(int argc, char **argv);
int cmd_pmtu(int argc, char **argv);
int cmd_tw(int argc, char **argv);
int cmd_sockets(int argc, char **argv);
int cmd_dns(int argc, char **argv);

/* ---- session.c ---- */
void xg_session_begin(void);
void xg_recover(void);
void xg_folder_remove(const char *dir);
int xg_clean_unpinned(const char *ifname, int ifindex);
struct moved {
	__u32 prog_id;
	char ifname[IF_NAMESIZE];
	__u64 cookie;
	int err;
};
int xg_detach_moved_here(__u64 cookie, void *arg);

/* ---- replace.c: attach --replace, and the end of one that was killed ---- */
int xg_replace(const char *ifname, int ifindex, const char *dir);
void xg_replace_recover(const struct xg_iface *ifc);

/* ---- dns.c: xdpguard_dns_* for export ---- */
void xg_dns_export(FILE *f, const struct xg_iface *ifc, int n);

/* ---- save.c ---- */
int xg_attached_diff(const struct xg_iface *ifc, const struct xg_attached *a,
		     char *diff, size_t len);

/* ---- cookies.c ---- */
void xg_cookie_status(const struct xg_iface *ifc);
void xg_cookie_ports_json(struct xg_jw *w, const struct xg_iface *ifc);

/* ---- tw.c ---- */
#endif /* XDPGUARD_CMD_H */
