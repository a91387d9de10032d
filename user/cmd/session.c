// SPDX-License-Identifier: GPL-2.0
/*
 * The command session: what every command that changes or reads pinned
 * state does first, under the lock first: finish or undo what
 * a command killed half way left behind, reclaim what lost its interface or
 * namespace, follow a renamed interface (xg_session_begin). It calls every
 * component's part of recovery; the lock itself (lib/pin.c) knows none.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cmd.h"

/*
 * Remove a folder and every pin in it, after what holds its objects
 * without a pin (a slot of the host's retransmission program) lets go.
 */
void xg_folder_remove(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	/* held by the host's retransmission program, not by a pin */
	xg_pmtu_release_dir(dir);
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	xg_peers_reclaim();	/* goes with the last folder */
}

/*
 * xdpguard programs on @ifindex that no pins account for (bpffs was
 * unmounted, or the folder removed by hand): nothing can retune them, so
 * they come off, with a message naming each. How many parts, or -1.
 */
int xg_clean_unpinned(const char *ifname, int ifindex)
{
	__u32 id = xg_xdp_guard_id(ifindex);
	int err, tc, n = 0;

	if (id) {
		err = xg_xdp_detach(ifindex, id);
		if (err) {
			xg_err("%s runs an xdpguard XDP program (id %u) that no "
			       "pins account for, and it cannot be removed: %s",
			       ifname, id, strerror(-err));
			return -1;
		}
		n++;
	}
	tc = xg_tc_remove_ours(ifindex);
	if (tc > 0)
		n += tc;
	if (n)
		fprintf(stderr, "xdpguard: %s ran xdpguard programs that no pins "
			"account for (bpffs remounted, or the pins removed): "
			"removed %s%s%d tc filter%s\n", ifname,
			id ? "the XDP program" : "", id ? " and " : "",
			tc > 0 ? tc : 0, tc == 1 ? "" : "s");
	return n;
}


int xg_detach_moved_here(__u64 cookie, void *arg)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	struct moved *m = arg;
	int found = 0;

	if (!ifs)
		return 0;
	for (i = ifs; i->if_index && !found; i++) {
		if (xg_xdp_runs(i->if_index, m->prog_id) == 0)
			continue;
		m->err = xg_xdp_detach(i->if_index, m->prog_id);
		xg_tc_remove_ours(i->if_index);
		snprintf(m->ifname, sizeof(m->ifname), "%s", i->if_name);
		m->cookie = cookie;
		found = 1;
	}
	if_freenameindex(ifs);
	return found;
}

/*
 * A folder of this namespace whose interface was renamed: the ifindex it
 * was attached to runs its program under another name. The folder takes
 * the new name, so the guard is found as before.
 */
static void follow_rename(struct xg_iface *ifc, struct xg_info *info)
{
	char now[IF_NAMESIZE], dir[sizeof(ifc->dir)], old[IF_NAMESIZE];
	__u32 zero = 0;
	int fd;

	if (!if_indextoname(info->ifindex, now) || !strcmp(now, ifc->ifname) ||
	    xg_xdp_runs(info->ifindex, info->prog_id) == 0)
		return;
	xg_iface_dir(now, dir, sizeof(dir));
	if (rename(ifc->dir, dir)) {
		xg_err("%s is now named %s, but its pins cannot follow it (%s "
		       "-> %s: %s)", ifc->ifname, now, ifc->dir, dir,
		       strerror(errno));
		return;
	}
	snprintf(old, sizeof(old), "%s", ifc->ifname);
	snprintf(ifc->dir, sizeof(ifc->dir), "%s", dir);
	snprintf(ifc->ifname, sizeof(ifc->ifname), "%s", now);
	snprintf(info->ifname, sizeof(info->ifname), "%s", now);
	fd = xg_map_open(ifc, XG_MAP_INFO);
	if (fd >= 0) {
		bpf_map_update_elem(fd, &zero, info, BPF_EXIST);
		close(fd);
	}
	fprintf(stderr, "xdpguard: %s was renamed %s (ifindex %u): its guard "
		"and pins follow it\n", old, now, info->ifindex);
}

/* An attach (@sfx 'n') or detach ('o') killed half way, in this namespace. */
static void finish_half_done(struct xg_iface *ifc, const struct xg_info *info,
			     bool readable, char sfx)
{
	bool attaching = sfx == 'n';

	if (!readable && !attaching)
		return;		/* not ours to guess at */
	ifc->ifindex = if_nametoindex(ifc->ifname);
	if (ifc->ifindex) {
		/* tc and tracepoint parts first, as detach does */
		xg_cookie_detach(ifc);
		xg_dns_detach(ifc);
		xg_pmtu_detach(ifc);
		xg_xdp_detach(ifc->ifindex, info->prog_id);
	}
	xg_folder_remove(ifc->dir);
	fprintf(stderr, "xdpguard: %s of %s was interrupted; %s\n",
		attaching ? "an attach" : "a detach", ifc->ifname,
		attaching ? "undone, the interface is untouched" : "finished");
}

static void recover_one(const char *name, __u64 self)
{
	char sfx, where[64];
	struct xg_iface ifc = { .lock_fd = -1 };
	struct xg_info info;
	__u64 cookie;
	__u32 layout;
	int rd, back = -1, in;

	if (xg_dir_parse(name, &cookie, ifc.ifname, &sfx))
		return;
	snprintf(ifc.dir, sizeof(ifc.dir), "%s/%s", xg_pin_root(), name);
	ifc.netns = cookie;
	ifc.here = cookie == self;
	rd = xg_info_read_any(&ifc, &info, &layout);
	if (rd == -2)
		return;		/* another layout: never touched here */
	if (!sfx && !rd && layout == XG_ABI_VERSION &&
	    xg_journal_recover(&ifc))
		fprintf(stderr, "xdpguard: a policy change of %s was "
			"interrupted; undone\n", ifc.ifname);
	/*
	 * A replace killed after it swapped the XDP program: the recorded
	 * one is the old program, freed already, yet the interface runs the
	 * new one on these maps. Record what runs, before any check of the
	 * recorded program could take the folder for an orphan.
	 */
	if (!sfx && !rd && info.replacing && ifc.here &&
	    layout == XG_ABI_VERSION &&
	    (ifc.ifindex = if_nametoindex(ifc.ifname)) &&
	    (__u32)ifc.ifindex == info.ifindex) {
		xg_replace_recover(&ifc);
		return;
	}
	if (!sfx && !rd && xg_prog_alive(info.prog_id)) {
		if (!ifc.here || layout != XG_ABI_VERSION)
			return;
		ifc.ifindex = if_nametoindex(ifc.ifname);
		if (info.replacing) {
			xg_replace_recover(&ifc);
			return;
		}
		follow_rename(&ifc, &info);
		return;
	}
	if (!sfx && rd)
		return;		/* no attach facts: status reports it */
	/*
	 * Half done, or the recorded XDP program is gone: act in the
	 * folder's own namespace, if it is still there.
	 */
	in = ifc.here ? 0 : xg_netns_enter(cookie, info.netns_ino, &back);
	if (in < 0)
		return;
	if (sfx && !in) {
		finish_half_done(&ifc, &info, !rd, sfx);
		goto out;
	}
	if (!in && info.replacing)
		goto out;	/* the recorded ids may be stale */
	if (!in && if_indextoname(info.ifindex, where)) {
		/* the interface is there and its guard is not: reported
		 * by status, never reclaimed behind the operator's back */
		goto out;
	}
	xg_folder_remove(ifc.dir);
	if (in)
		snprintf(where, sizeof(where), "gone");
	else
		snprintf(where, sizeof(where), "still there");
	fprintf(stderr, "xdpguard: reclaimed %s: %s (network namespace "
		"cookie %llu, %s) is gone%s; its maps and links are freed\n",
		ifc.dir, ifc.ifname, (unsigned long long)cookie, where,
		sfx ? " with a half-done command" :
		", and its XDP program with it");
out:
	xg_netns_leave(back);
}

/*
 * Called with the lock held, before any command acts: finish or undo what a
 * command killed half way left behind, and reclaim what lost its interface
 * or namespace, in every folder of the tree, whatever its namespace. An
 * attach works in "<dir>:new" and renames it when complete, so a ":new"
 * folder is an attach that never finished: its program comes off and the
 * folder goes, leaving the interface untouched. A detach first renames the
 * folder to "<dir>:old", so an ":old" folder is a detach to finish. (':'
 * cannot be in an interface name.) A complete folder whose XDP program is
 * gone with its interface or namespace is removed, with a message; a
 * renamed interface's folder takes its new name. Pins of another layout
 * are left alone (status names them).
 */
void xg_recover(void)
{
	__u64 self = xg_netns_cookie();
	char **names = NULL, **nn;
	struct dirent *de;
	size_t n = 0, cap = 0, i;
	DIR *d;

	d = opendir(xg_pin_root());
	if (!d)
		return;
	xg_quiet_libs();
	/* names first: recovery renames and removes folders */
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (n == cap) {
			nn = realloc(names, (cap ? cap * 2 : 32) * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
			cap = cap ? cap * 2 : 32;
		}
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	for (i = 0; i < n; i++) {
		recover_one(names[i], self);
		free(names[i]);
	}
	free(names);
	/* after the folders: a replace they finish records its new ids */
	xg_pmtu_rt_reclaim();
	xg_peers_reclaim();
}


/*
 * The preamble of every command on pinned state (main.c runs it once):
 * recovery, under the lock, if the lock is free. A held lock is a live
 * command, which began with the same recovery; the command itself then
 * waits for the lock where it needs it, bounded (XDPGUARD_LOCK_WAIT).
 */
void xg_session_begin(void)
{
	int fd;

	/* a reader with only XG_CAPS_READ cannot tell a live guard from a
	 * lost one, nor undo: recovery is for the next privileged command */
	if (!xg_have_caps(XG_CAPS_ADMIN))
		return;
	fd = xg_lock_try();
	if (fd < 0)
		return;
	xg_recover();
	xg_unlock(fd);
}
