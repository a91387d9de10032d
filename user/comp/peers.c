// SPDX-License-Identifier: GPL-2.0
/*
 * The host's socket record (docs/peers.md, include/xdpguard/peers.h):
 * which peer addresses may have a TCP socket other than a listener. Its
 * keeper, sock_peers.bpf.o, is pinned in the pin root's XG_PEERS_DIR
 * folder: the record (xg_peers), the marks of the sockets it counted, a
 * link on sock:inet_sock_set_state, one of a sockops program on the root
 * of the cgroup v2 hierarchy (every socket's cgroup descends from it) and
 * the iterator's. The first attach makes it, every attach records in it
 * what its namespace already had (the iterator), and it goes with the
 * last interface folder. The XDP guard reads the record (XG_F_PEERS) only when
 * the attach that loaded it found it kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/peers.h>
#include "comp.h"
#include "sock_peers.skel.h"

static void peers_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/" XG_PEERS_DIR "%s%s", xg_pin_root(),
		 *name ? "/" : "", name);
}

static bool pinned(const char *name)
{
	char path[512];
	struct stat st;

	peers_path(path, sizeof(path), name);
	return !stat(path, &st);
}


/*
 * Whether the record the guard of @ifc reads is the one the keeper keeps
 * (the keeper's links pinned, and its map the folder's xg_peers).
 */
bool xg_peers_kept(const struct xg_iface *ifc)
{
	char path[512], mine[512];
	__u32 id;

	if (!pinned(XG_PIN_PEER_STATE) || !pinned(XG_PIN_PEER_REQ))
		return false;
	peers_path(path, sizeof(path), XG_MAP_PEERS);
	snprintf(mine, sizeof(mine), "%s/" XG_MAP_PEERS, ifc->dir);
	id = xg_pinned_map_id(path);
	return id && id == xg_pinned_map_id(mine);
}

/*
 * The mount point of the root of the cgroup v2 hierarchy (mountinfo's
 * root field "/"), in @buf; -1 when there is none in this mount
 * namespace.
 */
int xg_cgroup2_root(char *buf, size_t len)
{
	char line[1024], root[512], mnt[512];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	const char *sep;
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
		    strcmp(root, "/"))
			continue;
		snprintf(buf, len, "%s", mnt);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/*
 * Record the sockets of this namespace that exist now, through the
 * iterator link @link (the kernel walks the namespace of the process
 * that creates the iterator): 0 or -errno.
 */
static int seed(int link)
{
	char buf[64];
	int fd, err, i;
	ssize_t n;

	fd = bpf_iter_create(link);
	if (fd < 0)
		return -errno;
	/* the program writes nothing; a read runs it over every socket */
	for (i = 0, n = 1; n > 0 && i < 1 << 20; i++)
		n = read(fd, buf, sizeof(buf));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/* The record's fd when all of its keeper is pinned, else -1. */
static int kept_map(void)
{
	char path[512];

	if (!pinned(XG_PIN_PEER_STATE) || !pinned(XG_PIN_PEER_REQ) ||
	    !pinned(XG_PIN_PEER_SEED))
		return -1;
	peers_path(path, sizeof(path), XG_MAP_PEERS);
	return bpf_obj_get(path);
}

/*
 * The host's socket record, kept and with this namespace's sockets in it:
 * its fd. When all of the keeper is pinned only its iterator runs (here,
 * for this namespace); otherwise the keeper is loaded on the pinned maps
 * (made when missing), attached, and its links pinned in place of any
 * left (a new link is pinned under a temporary name and renamed over the
 * old one, so the events are never unwatched; a socket both see is
 * counted once, by its mark). -1 with the reason said when it cannot be
 * kept; nothing of it stays pinned without an interface folder.
 */
int xg_peers_up(void)
{
	static const char *const what_link[] = {
		"attach to sock:inet_sock_set_state",
		"attach sockops to the cgroup v2 root",
		"make the iter/tcp link",
	};
	static const char *const names[] = {
		XG_PIN_PEER_STATE, XG_PIN_PEER_REQ, XG_PIN_PEER_SEED,
	};
	struct sock_peers_bpf *skel = NULL;
	struct bpf_link *links[3] = {};
	char path[512], tmp[520], cg[512];
	int err, cgfd, fd, link, i;
	const char *what = "";
	struct bpf_map_info mi;

	/* a record of another layout (an older xdpguard's): left alone */
	peers_path(path, sizeof(path), XG_MAP_PEERS);
	if (!xg_pinned_info(path, &mi, sizeof(mi)) &&
	    mi.max_entries != XG_PEER_MAP_CELLS) {
		xg_err("the host's socket record cannot be kept: %s has %u "
		       "cells, another pins layout's (this one's: %u); "
		       "detach the interfaces of the xdpguard that made it",
		       path, mi.max_entries, XG_PEER_MAP_CELLS);
		return -1;
	}
	fd = kept_map();
	if (fd >= 0) {
		peers_path(path, sizeof(path), XG_PIN_PEER_SEED);
		link = bpf_obj_get(path);
		err = link < 0 ? -errno : seed(link);
		if (link >= 0)
			close(link);
		if (!err)
			return fd;
		close(fd);
		what = "record this namespace's sockets (iter/tcp)";
		goto fail;
	}
	peers_path(path, sizeof(path), "");
	if (mkdir(path, 0700) && errno != EEXIST) {
		xg_err("cannot make %s: %s", path, strerror(errno));
		return -1;
	}
	xg_quiet_libs();
	skel = sock_peers_bpf__open();
	if (!skel) {
		err = -errno;
		what = "open its programs";
		goto fail;
	}
	peers_path(path, sizeof(path), XG_MAP_PEERS);
	err = bpf_map__set_pin_path(skel->maps.xg_peers, path);
	peers_path(path, sizeof(path), XG_MAP_PEER_MARKS);
	err = err ?: bpf_map__set_pin_path(skel->maps.xg_peer_marks, path);
	err = err ?: sock_peers_bpf__load(skel);
	if (err) {
		what = "load";
		goto fail;
	}
	what = "find the cgroup v2 root in /proc/self/mountinfo";
	err = -ENOENT;
	if (xg_cgroup2_root(cg, sizeof(cg)))
		goto fail;
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		err = -errno;
		what = "open the cgroup v2 root";
		goto fail;
	}
	links[0] = bpf_program__attach(skel->progs.xg_peer_state);
	links[1] = bpf_program__attach_cgroup(skel->progs.xg_peer_req, cgfd);
	links[2] = bpf_program__attach_iter(skel->progs.xg_peer_seed, NULL);
	close(cgfd);
	for (i = 0; i < 3; i++) {
		err = libbpf_get_error(links[i]);
		if (err) {
			links[i] = NULL;
			what = what_link[i];
			goto fail;
		}
	}
	for (i = 0; i < 3; i++) {
		peers_path(path, sizeof(path), names[i]);
		snprintf(tmp, sizeof(tmp), "%s_new", path);	/* bpffs: no dots */
		unlink(tmp);
		if (bpf_link__pin(links[i], tmp) || rename(tmp, path)) {
			err = -errno;
			unlink(tmp);
			what = "pin its links";
			goto fail;
		}
	}
	what = "record this namespace's sockets (iter/tcp)";
	err = seed(bpf_link__fd(links[2]));
	fd = err ? -1 : dup(bpf_map__fd(skel->maps.xg_peers));
	if (!err && fd < 0) {
		err = -errno;
		what = "keep the record's fd";
	}
	if (err)
		goto fail;
	for (i = 0; i < 3; i++)
		bpf_link__destroy(links[i]);	/* the pins hold them */
	sock_peers_bpf__destroy(skel);
	return fd;
fail:
	xg_err("the host's socket record cannot be kept: cannot %s: %s",
	       what, strerror(-err));
	for (i = 0; i < 3; i++)
		bpf_link__destroy(links[i]);
	sock_peers_bpf__destroy(skel);
	xg_peers_reclaim();	/* nothing of it without a folder */
	return -1;
}

/*
 * A guard that reads a record nobody keeps any more (its pins were
 * removed by hand; a later attach made a new one) goes back to the full
 * lookup of every SYN it answers, saying so: a stale record would let
 * it answer SYNs of connections made since.
 */
static void unread_stale(const struct xg_iface *ifc)
{
	struct xg_config cfg;
	__u32 zero = 0;
	int fd;

	fd = xg_map_open_quiet(ifc, XG_MAP_CONFIG);
	if (fd < 0)
		return;
	if (!bpf_map_lookup_elem(fd, &zero, &cfg) &&
	    (cfg.flags & XG_F_PEERS) && !xg_peers_kept(ifc)) {
		cfg.flags &= ~XG_F_PEERS;
		if (!bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY))
			fprintf(stderr, "xdpguard: %s: the host's socket record "
				"it read is no longer kept (its pins in %s/"
				XG_PEERS_DIR " were removed): it looks every "
				"SYN it answers up in full again; detach and "
				"attach it to use the record again\n",
				ifc->ifname, xg_pin_root());
	}
	close(fd);
}

/*
 * Under the lock, after recovery and whenever a folder goes: guards that
 * read a stale record stop reading it, and the record and its keeper go
 * when no interface folder is left, with the host's cookie key.
 */
void xg_peers_reclaim(void)
{
	static const char *const pins[] = {
		XG_PIN_PEER_STATE, XG_PIN_PEER_REQ, XG_PIN_PEER_SEED,
		XG_MAP_PEER_MARKS, XG_MAP_PEERS,
	};
	struct xg_iface ifc = { .lock_fd = -1 };
	DIR *d = opendir(xg_pin_root());
	struct dirent *de;
	char path[512];
	bool any = false;
	size_t i;
	char sfx;

	if (!d)
		return;
	while ((de = readdir(d))) {
		/* an attach's or a replace's folder (:new, :old) counts */
		if (xg_dir_parse(de->d_name, &ifc.netns, ifc.ifname, &sfx))
			continue;	/* not an interface's folder */
		any = true;
		snprintf(ifc.dir, sizeof(ifc.dir), "%s/%s", xg_pin_root(),
			 de->d_name);
		unread_stale(&ifc);
	}
	closedir(d);
	if (any)
		return;
	xg_cookie_key_drop();
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		peers_path(path, sizeof(path), pins[i]);
		unlink(path);
	}
	peers_path(path, sizeof(path), "");
	rmdir(path);
}
