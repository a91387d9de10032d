// SPDX-License-Identifier: GPL-2.0
/*
 * Pins: bpffs checks, one folder per attached interface named
 * "<netns inode>-<ifname>" (bpffs is shared by all network namespaces, so
 * two namespaces' eth0 never collide), an flock on the root folder so two
 * commands never race, and opening pinned maps by name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include "xdpguard.h"

static __u64 ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

__u64 xg_netns_ino(void)
{
	return ns_ino("/proc/self/ns/net");
}

/*
 * 0 when /sys/fs/bpf is a bpffs. Mounts it when asked and when this is the
 * host's mount namespace; refuses plainly under `ip netns exec`, whose
 * fresh /sys would take the pins (and the protection) with it.
 */
int xg_bpffs_ready(bool mount_if_missing)
{
	struct statfs sf;

	if (!statfs("/sys/fs/bpf", &sf) && sf.f_type == BPF_FS_MAGIC)
		return 0;
	if (ns_ino("/proc/self/ns/mnt") != ns_ino("/proc/1/ns/mnt")) {
		xg_err("/sys/fs/bpf is not a bpffs in this mount namespace "
		       "(`ip netns exec` mounts a fresh /sys without one): "
		       "pins made here would vanish with this command; enter "
		       "the namespace with `nsenter --net=/run/netns/NAME "
		       "xdpguard ...` instead");
		return -1;
	}
	if (!mount_if_missing) {
		xg_err("/sys/fs/bpf is not a bpffs, so nothing is attached "
		       "(mount it with: mount -t bpf bpf /sys/fs/bpf)");
		return -1;
	}
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		xg_err("/sys/fs/bpf is not a bpffs and mounting one failed: "
		       "%s", strerror(errno));
		return -1;
	}
	fprintf(stderr, "xdpguard: mounted bpffs at /sys/fs/bpf\n");
	return 0;
}

void xg_iface_dir(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, XG_PIN_ROOT "/%llu-%s", xg_netns_ino(), ifname);
}

/* Exclusive lock on the pin root, held until xg_unlock() or exit. */
int xg_lock(void)
{
	int fd;

	if (mkdir(XG_PIN_ROOT, 0700) && errno != EEXIST) {
		xg_err("cannot create %s: %s", XG_PIN_ROOT, strerror(errno));
		return -1;
	}
	fd = open(XG_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		xg_err("cannot open %s: %s", XG_PIN_ROOT, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX)) {
		xg_err("cannot lock %s: %s", XG_PIN_ROOT, strerror(errno));
		close(fd);
		return -1;
	}
	xg_recover();
	return fd;
}

void xg_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Attached interfaces of this network namespace. */
int xg_iface_list(struct xg_iface *list, int max)
{
	char prefix[32];
	struct dirent *de;
	size_t plen;
	DIR *d;
	int n = 0;

	snprintf(prefix, sizeof(prefix), "%llu-", xg_netns_ino());
	plen = strlen(prefix);
	d = opendir(XG_PIN_ROOT);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		/* "name:new" and "name:old" are half-done, see xg_recover */
		if (strncmp(de->d_name, prefix, plen) ||
		    strlen(de->d_name + plen) >= IF_NAMESIZE ||
		    strchr(de->d_name, ':'))
			continue;
		memset(&list[n], 0, sizeof(list[n]));
		strcpy(list[n].ifname, de->d_name + plen);
		snprintf(list[n].dir, sizeof(list[n].dir), XG_PIN_ROOT "/%s",
			 de->d_name);
		list[n].ifindex = if_nametoindex(list[n].ifname);
		list[n].lock_fd = -1;
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Fill @ifc for -i IFNAME, or for the only attached interface when @ifname
 * is NULL. Returns 0, or the exit status of the usage error it printed.
 */
int xg_iface_resolve(const char *ifname, struct xg_iface *ifc)
{
	struct xg_iface list[16];
	struct stat st;
	int n, i;

	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	memset(ifc, 0, sizeof(*ifc));
	ifc->lock_fd = -1;
	if (!ifname) {
		n = xg_iface_list(list, 16);
		if (n == 1) {
			*ifc = list[0];
			return 0;
		}
		if (!n)
			return xg_usage_err("no interface is attached in this "
					    "network namespace (xdpguard "
					    "attach IFACE)");
		fprintf(stderr, "xdpguard %s: %d interfaces are attached (",
			xg_cmd, n);
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", list[i].ifname);
		fprintf(stderr, "): name one with -i IFACE\n");
		return XG_EXIT_USAGE;
	}
	if (strlen(ifname) >= IF_NAMESIZE || !*ifname)
		return xg_usage_err("'%s' is not an interface name (at most "
				    "%d characters)", ifname,
				    IF_NAMESIZE - 1);
	strcpy(ifc->ifname, ifname);
	xg_iface_dir(ifname, ifc->dir, sizeof(ifc->dir));
	ifc->ifindex = if_nametoindex(ifname);
	if (stat(ifc->dir, &st)) {
		if (!ifc->ifindex)
			return xg_usage_err("unknown interface '%s' (see ip "
					    "link)", ifname);
		return xg_usage_err("interface '%s' is not attached (xdpguard "
				    "attach %s)", ifname, ifname);
	}
	return 0;
}

static int map_open(const struct xg_iface *ifc, const char *name, bool quiet)
{
	char path[320];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ifc->dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0 && !quiet)
		xg_err("cannot open pinned map %s: %s", path, strerror(errno));
	return fd;
}

int xg_map_open(const struct xg_iface *ifc, const char *name)
{
	return map_open(ifc, name, false);
}

/* Without a message when the pin is missing (a part not attached). */
int xg_map_open_quiet(const struct xg_iface *ifc, const char *name)
{
	return map_open(ifc, name, true);
}

/* Entry 0 of a pinned array (the info and config records): 0 or -1. */
int xg_map_get0(const struct xg_iface *ifc, const char *name, void *val,
		bool quiet)
{
	__u32 zero = 0;
	int fd, err;

	fd = map_open(ifc, name, quiet);
	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, val);
	close(fd);
	return err;
}

static int info_read(const struct xg_iface *ifc, struct xg_info *info,
		     bool quiet)
{
	return xg_map_get0(ifc, XG_MAP_INFO, info, quiet);
}

int xg_info_read(const struct xg_iface *ifc, struct xg_info *info)
{
	return info_read(ifc, info, false);
}

int xg_info_read_quiet(const struct xg_iface *ifc, struct xg_info *info)
{
	return info_read(ifc, info, true);
}

/*
 * Take the lock, then resolve -i IFACE (or the only interface): what a
 * command changes it resolves under the lock. Returns 0 with *lock held,
 * or the exit status of the error it printed with no lock held.
 */
int xg_lock_iface(const char *ifname, struct xg_iface *ifc, int *lock)
{
	int ret;

	*lock = -1;
	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	*lock = xg_lock();
	if (*lock < 0)
		return XG_EXIT_FAIL;
	ret = xg_iface_resolve(ifname, ifc);
	if (ret) {
		xg_unlock(*lock);
		*lock = -1;
	}
	return ret;
}

/*
 * Point every xg_ map of @obj (opened, not loaded) at the map of the same
 * name pinned in @ifc's folder: what attach --replace loads new programs
 * on. Each must be there and match (type, sizes), or -1 with a message.
 */
int xg_reuse_pins(struct bpf_object *obj, const struct xg_iface *ifc)
{
	struct bpf_map *map;
	int fd, err;

	bpf_object__for_each_map(map, obj) {
		if (strncmp(bpf_map__name(map), "xg_", 3))
			continue;
		fd = xg_map_open(ifc, bpf_map__name(map));
		if (fd < 0)
			return -1;
		err = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (err) {
			xg_err("cannot reuse map %s: %s", bpf_map__name(map),
			       strerror(-err));
			return -1;
		}
	}
	return 0;
}
