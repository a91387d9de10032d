// SPDX-License-Identifier: GPL-2.0
/*
 * detach: one interface, or --all (every interface of this namespace, of
 * every namespace when run in the host's, and the host-wide telemetry).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd.h"

static const char detach_usage[] =
	"usage: xdpguard detach [-i] IFACE\n"
	"       xdpguard detach --all   (every interface attached in this\n"
	"                               network namespace, in every one when\n"
	"                               run in the host's, and the host-wide\n"
	"                               socket telemetry there)\n";

/* --json: the interfaces detached, in one document (NULL: text) */
static struct xg_jw *jw;
static bool host_off;	/* detach --all switched host telemetry off */

static void said(const char *ifname)
{
	if (jw)
		xg_jw_str(jw, ifname);
	else
		printf("xdpguard: detached from %s\n", ifname);
}

/* Detach one resolved interface; the lock is held. */
/* Detach one interface, under the lock. */
static int detach_one(struct xg_iface *ifc)
{
	char dir[sizeof(ifc->dir)];
	struct xg_info info;
	int err;

	/* from here a killed detach is finished by the next command */
	memcpy(dir, ifc->dir, sizeof(dir));
	if (snprintf(ifc->dir, sizeof(ifc->dir), "%s:old", dir) >=
	    (int)sizeof(ifc->dir) || rename(dir, ifc->dir)) {
		xg_err("cannot rename %s: %s", dir, strerror(errno));
		memcpy(ifc->dir, dir, sizeof(dir));
		return XG_EXIT_FAIL;
	}
	if (xg_info_read(ifc, &info)) {
		xg_err("%s: attach facts unreadable; removing the pins only",
		       ifc->ifname);
	} else if ((!ifc->ifindex || (int)info.ifindex != ifc->ifindex) &&
		   xg_prog_alive(info.prog_id)) {
		/* moved to another namespace: its guard runs on there */
		struct moved m = { .prog_id = info.prog_id };

		if (xg_netns_each(xg_detach_moved_here, &m) > 0 && !m.err)
			fprintf(jw ? stderr : stdout, "xdpguard: %s had moved to another network "
			       "namespace (cookie %llu, as %s): its XDP program "
			       "(id %u) is detached there\n", ifc->ifname,
			       (unsigned long long)m.cookie, m.ifname,
			       info.prog_id);
		else
			xg_err("%s: its XDP program (id %u) still runs, on an "
			       "interface in no namespace found here%s%s; "
			       "removing the pins", ifc->ifname, info.prog_id,
			       m.err ? ": " : "", m.err ? strerror(-m.err) : "");
	} else if (!ifc->ifindex || (int)info.ifindex != ifc->ifindex) {
		xg_err("%s: the interface this was attached to is gone; "
		       "removing its stale pins", ifc->ifname);
	} else {
		/* the tc hand-off first, while the pins tell where it is;
		 * a failure is reported and the rest removed anyway */
		xg_cookie_detach(ifc);
		err = xg_xdp_detach(info.ifindex, info.prog_id);
		if (err) {
			xg_err("cannot detach from %s: %s", ifc->ifname,
			       strerror(-err));
			rename(ifc->dir, dir);
			memcpy(ifc->dir, dir, sizeof(dir));
			return XG_EXIT_FAIL;
		}
	}
	xg_dns_detach(ifc);
	xg_pmtu_detach(ifc);
	xg_folder_remove(ifc->dir);
	said(ifc->ifname);
	return XG_EXIT_OK;
}

/* Detach one interface of another namespace, from inside it. */
static int detach_there(struct xg_iface *ifc)
{
	struct xg_info info;
	char name[64];
	int back, ret;

	if (xg_info_read(ifc, &info) || xg_iface_enter(ifc, &back))
		return XG_EXIT_FAIL;
	xg_netns_name(info.netns_ino, name, sizeof(name));
	if (!jw)
		printf("xdpguard: in network namespace %s:\n", name);
	ret = detach_one(ifc);
	xg_netns_leave(back);
	return ret;
}

/*
 * Every interface of this namespace; run in the host's namespace, every
 * interface of every namespace (their folders are all in the one bpffs)
 * and the host-wide socket telemetry. Run in another namespace it leaves
 * that telemetry on, since it serves every namespace, and says so.
 */
static int detach_all(void)
{
	bool host = xg_netns_is_host();
	struct xg_iface *list;
	int n, i, lock, ret = XG_EXIT_OK, off = 0;

	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	xg_quiet_libs();
	n = xg_iface_list(&list, host);
	if (n < 0)
		ret = XG_EXIT_FAIL;
	for (i = 0; i < n; i++)
		if (list[i].here ? detach_one(&list[i]) :
				   detach_there(&list[i]))
			ret = XG_EXIT_FAIL;
	free(list);
	xg_unlock(lock);
	if (host) {
		off = xg_host_off();
		host_off = off > 0;
		if (off < 0)
			ret = XG_EXIT_FAIL;
		else if (off && !jw)
			printf("xdpguard: host socket telemetry off: programs "
			       "detached, pins removed\n");
	} else if (xg_host_is_on()) {
		fprintf(jw ? stderr : stdout, "xdpguard: host socket telemetry "
			"left on: it is host-wide and serves every network "
			"namespace (`xdpguard tw off` switches it off for all "
			"of them)\n");
	}
	if (n <= 0 && !off && !jw)
		printf("xdpguard: nothing was attached\n");
	return ret;
}

struct detach_opts {
	bool all, json;
};

static const struct xg_opt detach_opts[] = {
	{ "all", 0, XG_OPT_FLAG, offsetof(struct detach_opts, all),
	  .help = "every interface (and the host-wide socket telemetry)" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct detach_opts, json),
	  .help = "what was detached, as JSON" },
	{}
};

int cmd_detach(int argc, char **argv)
{
	struct detach_opts o = {};
	struct xg_iface ifc;
	char dir[sizeof(ifc.dir)];
	const char *name;
	int ret, lock, n, idx;
	struct xg_args a;
	struct stat st;

	xg_cmd = "detach";
	ret = xg_opts_parse(argc, argv, NULL, detach_opts, &o, &a,
			    detach_usage);
	if (ret >= 0)
		return ret;
	n = a.npos;
	name = n ? a.pos[0] : NULL;
	xg_args_free(&a);
	if (o.json && !o.all && n == 1 && !xg_ifname_ok(name))
		return xg_ifname_check(name);
	if (o.json) {
		jw = xg_jw_new(stdout);
		if (!jw)
			return XG_EXIT_FAIL;
		xg_jw_object(jw);
		xg_jw_str_field(jw, "command", "detach");
		xg_jw_name(jw, "detached");
		xg_jw_array(jw);
	}
	if (o.all && !n) {
		ret = detach_all();
		goto done;
	}
	if (n != 1 || o.all) {
		fputs(detach_usage, stderr);
		ret = xg_usage_err(o.all ? "--all takes no IFACE" : !n ?
				   "missing IFACE" : "one IFACE only");
		goto done;
	}
	if (xg_ifname_check(name)) {
		ret = XG_EXIT_USAGE;
		goto done;
	}
	ret = XG_EXIT_FAIL;
	if (xg_bpffs_ready(false))
		goto done;
	lock = xg_lock();
	if (lock < 0)
		goto done;
	xg_quiet_libs();
	xg_iface_dir(name, dir, sizeof(dir));
	n = 0;
	if (lstat(dir, &st) && (idx = if_nametoindex(name)))
		/* no pins: what runs there is cleaned up all the same */
		n = xg_clean_unpinned(name, idx);
	if (n > 0) {
		said(name);
		ret = XG_EXIT_OK;
	} else if (n < 0) {
		ret = XG_EXIT_FAIL;
	} else {
		ret = xg_iface_resolve(name, &ifc);
		if (!ret)
			ret = detach_one(&ifc);
	}
	xg_unlock(lock);
done:
	if (jw) {
		xg_jw_array_end(jw);
		if (o.all)
			xg_jw_bool_field(jw, "host_telemetry_off", host_off);
		xg_jw_object_end(jw);
		xg_jw_free(jw);
		jw = NULL;
	}
	return ret;
}
