// SPDX-License-Identifier: GPL-2.0
/*
 * Pins: bpffs checks, one folder per attached interface named
 * "<netns cookie>-<ifname>" (bpffs is shared by all network namespaces, so
 * two namespaces' eth0 never collide, and the kernel never reuses a
 * cookie), a root folder that only root can write and that is checked
 * before it is trusted, an flock on it so two commands never race (with a
 * bounded wait), and opening pinned maps by name.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <fcntl.h>
#include <string.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include "lib.h"

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
	if (!xg_same_ns("/proc/self/ns/mnt", "/proc/1/ns/mnt")) {
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

/*
 * The pin root: XG_PIN_ROOT, or $XDPGUARD_PIN_ROOT (another folder right
 * under /sys/fs/bpf), so that a test suite or a second installation
 * never meets the production pins.
 */
const char *xg_pin_root(void)
{
	static char root[64];
	const char *e;

	if (*root)
		return root;
	e = getenv("XDPGUARD_PIN_ROOT");
	if (e && !strncmp(e, "/sys/fs/bpf/", 12) && e[12] &&
	    strlen(e) < sizeof(root) && !strchr(e + 12, '/') &&
	    strcmp(e + 12, ".") && strcmp(e + 12, ".."))
		snprintf(root, sizeof(root), "%s", e);
	else
		snprintf(root, sizeof(root), "%s", XG_PIN_ROOT);
	return root;
}

const char *xg_pin_host(void)
{
	static char host[80];

	if (!*host)
		snprintf(host, sizeof(host), "%s/host", xg_pin_root());
	return host;
}

void xg_iface_dir(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%llu-%s", xg_pin_root(),
		 (unsigned long long)xg_netns_cookie(), ifname);
}

/* exit 2 with the accepted form unless @name is an interface name */
int xg_ifname_check(const char *name)
{
	if (xg_ifname_ok(name))
		return 0;
	return xg_usage_err("'%s' is not an interface name (1..%d bytes, not "
			    "'.' or '..', no '/', ':' or white space)", name,
			    IF_NAMESIZE - 1);
}

/*
 * A folder of ours (the pin root, the run folder) is trusted only if it
 * is root's own directory (not a symlink, owner root, no access for group
 * or others), checked with lstat and again on the open descriptor. bpffs
 * is mounted 1777 by default, so anyone can make the folder first: then
 * nothing in it can be trusted and the command refuses, saying what to
 * do. A mode that is too open on root's own folder is repaired, with a
 * message. Made when missing if @make. Returns an open descriptor, or -1
 * with a message.
 */
static int dir_trusted(const char *root, bool make)
{
	struct stat st, fst;
	int fd;

	if (!make && lstat(root, &st) && errno == ENOENT) {
		xg_err("%s is missing, and only root makes it (one of uid %u "
		       "would not be trusted by root): make it as root "
		       "(install -d -m 0700 %s), as the units do", root,
		       (unsigned int)geteuid(), root);
		return -1;
	}
	if (mkdir(root, 0700) && errno != EEXIST) {
		xg_err("cannot create %s: %s", root, strerror(errno));
		return -1;
	}
	if (lstat(root, &st)) {
		xg_err("cannot stat %s: %s", root, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		xg_err("%s is %s, not xdpguard's folder: nothing in it is "
		       "trusted; look at what it is, remove it (rm %s) and "
		       "run the command again", root,
		       S_ISLNK(st.st_mode) ? "a symbolic link" : "not a folder",
		       root);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		xg_err("%s belongs to uid %u, not root: someone else made it, "
		       "so nothing in it is trusted (its pins could be theirs); "
		       "look at it, remove it (rm -r %s) and run the command "
		       "again", root, (unsigned int)st.st_uid, root);
		return -1;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		xg_err("cannot open %s: %s", root, strerror(errno));
		return -1;
	}
	if (fstat(fd, &fst) || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino) {
		xg_err("%s changed while it was checked: run the command again",
		       root);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		if (fchmod(fd, 0700)) {
			xg_err("%s is mode %04o and cannot be made 0700: %s",
			       root, st.st_mode & 07777, strerror(errno));
			close(fd);
			return -1;
		}
		fprintf(stderr, "xdpguard: %s was mode %04o (others could "
			"enter it); made it 0700\n", root, st.st_mode & 07777);
	}
	return fd;
}

static int root_open(void)
{
	return dir_trusted(xg_pin_root(), true);
}

/*
 * The run folder: /run/ and the pin root's name (/run/xdpguard for the
 * production root, so a test suite's pin root has its own), where events
 * keeps its ring locks and its relay sockets. Trusted as the pin root is
 * (root's, 0700, no symlink, checked with lstat and on the descriptor).
 */
const char *xg_run_path(void)
{
	static char path[80];

	if (!*path)
		snprintf(path, sizeof(path), "/run/%s",
			 strrchr(xg_pin_root(), '/') + 1);
	return path;
}

/*
 * The run folder, checked, and made if missing when this is root (a reader
 * with only CAP_DAC_OVERRIDE makes none: root would not trust it): an fd,
 * or -1 (said).
 */
int xg_run_dir(void)
{
	return dir_trusted(xg_run_path(), geteuid() == 0);
}

/* "pid 123 (xdpguard deny add ...)" of the flock holder of @fd, if found */
static void lock_holder(int fd, char *buf, size_t len)
{
	char line[256], path[64], cmd[160];
	unsigned int maj, min;
	unsigned long ino;
	struct stat st;
	FILE *f;
	int pid;
	size_t n, i;

	snprintf(buf, len, "another process");
	if (fstat(fd, &st))
		return;
	f = fopen("/proc/locks", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* "1: FLOCK  ADVISORY  WRITE 123 00:2a:4567 0 EOF"; waiters
		 * have "->" after the number */
		if (strstr(line, "->") || !strstr(line, "FLOCK") ||
		    sscanf(strstr(line, "FLOCK"), "FLOCK %*s %*s %d %x:%x:%lu",
			   &pid, &maj, &min, &ino) != 4)
			continue;
		if (ino != st.st_ino || makedev(maj, min) != st.st_dev ||
		    pid == getpid())
			continue;
		snprintf(buf, len, "pid %d", pid);
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		FILE *c = fopen(path, "re");

		if (!c)
			break;
		n = fread(cmd, 1, sizeof(cmd) - 1, c);
		fclose(c);
		for (i = 0; i + 1 < n; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[n] = '\0';
		if (n)
			snprintf(buf, len, "pid %d (%s)", pid, cmd);
		break;
	}
	fclose(f);
}

/* XDPGUARD_LOCK_WAIT: seconds to wait for the lock (default 10) */
static __u64 lock_wait_ns(void)
{
	const char *e = getenv("XDPGUARD_LOCK_WAIT");
	__u32 s;

	if (e && !xg_parse_u32(e, 0, 3600, &s))
		return s * 1000000000ULL;
	return 10 * 1000000000ULL;
}

/*
 * Exclusive lock on the pin root, held until xg_unlock() or exit. An
 * emergency command never hangs behind a stuck one: after the wait it
 * fails naming the holder.
 */
int xg_lock(void)
{
	struct timespec nap = { 0, 20 * 1000000 };
	char who[256];
	__u64 until;
	int fd;

	fd = root_open();
	if (fd < 0)
		return -1;
	until = xg_mono_ns() + lock_wait_ns();
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			xg_err("cannot lock %s: %s", xg_pin_root(),
			       strerror(errno));
			close(fd);
			return -1;
		}
		if (xg_mono_ns() >= until) {
			lock_holder(fd, who, sizeof(who));
			xg_err("%s is locked by %s for longer than %llu s: "
			       "nothing was changed; wait for it, or stop it "
			       "if it hangs (XDPGUARD_LOCK_WAIT=S waits "
			       "longer)", xg_pin_root(), who,
			       (unsigned long long)(lock_wait_ns() /
						    1000000000ULL));
			close(fd);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	return fd;
}

/* The lock if it is free now, without waiting: its fd, or -1. */
int xg_lock_try(void)
{
	int fd = root_open();

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void xg_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * "<cookie>-<ifname>", with ":new" or ":old" after it when @suffix is not
 * NULL (then *suffix is 'n', 'o' or 0). 0 if @name is a folder name.
 */
int xg_dir_parse(const char *name, __u64 *cookie, char *ifname,
		 char *suffix)
{
	char buf[IF_NAMESIZE + 8], *end;
	const char *dash;
	size_t n;

	if (suffix)
		*suffix = 0;
	if (*name < '1' || *name > '9')
		return -1;
	*cookie = strtoull(name, &end, 10);
	if (*end != '-')
		return -1;
	dash = end;
	n = strlen(dash + 1);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, dash + 1, n + 1);
	if (suffix && n > 4 && (!strcmp(buf + n - 4, ":new") ||
				!strcmp(buf + n - 4, ":old"))) {
		*suffix = buf[n - 3];
		buf[n - 4] = '\0';
	}
	if (!xg_ifname_ok(buf))
		return -1;
	strcpy(ifname, buf);
	return 0;
}

static int list_add(struct xg_iface **v, int *n, int *cap,
		    const struct xg_iface *it)
{
	struct xg_iface *nv;

	if (*n == *cap) {
		nv = realloc(*v, (*cap ? *cap * 2 : 16) * sizeof(**v));
		if (!nv)
			return -1;
		*v = nv;
		*cap = *cap ? *cap * 2 : 16;
	}
	(*v)[(*n)++] = *it;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct xg_iface *x = a, *y = b;

	if (x->here != y->here)
		return x->here ? -1 : 1;
	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return strcmp(x->ifname, y->ifname);
}

/*
 * Attached interfaces of this network namespace (or of every namespace
 * with @all), sorted by name, in *list (malloc'd, free() it; NULL when
 * none). Returns how many, or -1 when out of memory.
 */
int xg_iface_list(struct xg_iface **list, bool all)
{
	__u64 self = xg_netns_cookie(), cookie;
	struct xg_iface it;
	struct dirent *de;
	int n = 0, cap = 0;
	DIR *d;

	*list = NULL;
	d = opendir(xg_pin_root());
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		memset(&it, 0, sizeof(it));
		/* "name:new" and "name:old" are half-done, see xg_recover */
		if (xg_dir_parse(de->d_name, &cookie, it.ifname, NULL) ||
		    (!all && cookie != self))
			continue;
		it.netns = cookie;
		it.here = cookie == self;
		snprintf(it.dir, sizeof(it.dir), "%s/%.*s", xg_pin_root(),
			 IF_NAMESIZE + 24, de->d_name);
		it.ifindex = it.here ? (int)if_nametoindex(it.ifname) : 0;
		it.lock_fd = -1;
		if (list_add(list, &n, &cap, &it)) {
			closedir(d);
			free(*list);
			*list = NULL;
			xg_err("out of memory");
			return -1;
		}
	}
	closedir(d);
	if (n > 1)
		qsort(*list, n, sizeof(**list), name_cmp);
	return n;
}

/*
 * Fill @ifc for -i IFNAME, or for the only attached interface when @ifname
 * is NULL. Returns 0, or the exit status of the usage error it printed.
 */
int xg_iface_resolve(const char *ifname, struct xg_iface *ifc)
{
	struct xg_iface *list;
	struct stat st;
	int n, i;

	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	memset(ifc, 0, sizeof(*ifc));
	ifc->lock_fd = -1;
	if (!ifname) {
		n = xg_iface_list(&list, false);
		if (n < 0)
			return XG_EXIT_FAIL;
		if (n == 1) {
			*ifc = list[0];
			free(list);
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
		free(list);
		return XG_EXIT_USAGE;
	}
	if (xg_ifname_check(ifname))
		return XG_EXIT_USAGE;
	strcpy(ifc->ifname, ifname);
	xg_iface_dir(ifname, ifc->dir, sizeof(ifc->dir));
	ifc->netns = xg_netns_cookie();
	ifc->here = true;
	ifc->ifindex = if_nametoindex(ifname);
	if (lstat(ifc->dir, &st) || !S_ISDIR(st.st_mode)) {
		if (!ifc->ifindex)
			return xg_usage_err("unknown interface '%s' (see ip "
					    "link)", ifname);
		return xg_usage_err("interface '%s' is not attached (xdpguard "
				    "attach %s)", ifname, ifname);
	}
	return 0;
}
/*
 * The interfaces a command covers: -i IFNAME (resolved into @one), or
 * every interface attached in this network namespace (*list, malloc'd).
 * How many (*list is @one or to be freed), or minus the exit status of
 * the error said.
 */
int xg_iface_targets(const char *ifname, struct xg_iface *one,
		     struct xg_iface **list)
{
	int n, ret;

	*list = one;
	if (ifname) {
		ret = xg_iface_resolve(ifname, one);
		return ret ? -ret : 1;
	}
	if (xg_bpffs_ready(false))
		return -XG_EXIT_FAIL;
	n = xg_iface_list(list, false);
	return n < 0 ? -XG_EXIT_FAIL : n;
}

/* xg_iface_targets(), at least one: none is a usage error, said. */
int xg_iface_some(const char *ifname, struct xg_iface *one,
		  struct xg_iface **list)
{
	int n = xg_iface_targets(ifname, one, list);

	if (n)
		return n;
	return -xg_usage_err("no interface is attached in this network "
			     "namespace (xdpguard attach IFACE)");
}

/*
 * A reading command over its interfaces: -i IFNAME, or every interface
 * attached in this network namespace. @fn prints one (text when @w is
 * NULL); with @json the document is {"interfaces": [...]} whatever their
 * number. Returns the worst exit status.
 */
int xg_show_each(const char *ifname, bool json,
		 int (*fn)(const struct xg_iface *ifc, struct xg_jw *w,
			   void *arg), void *arg)
{
	struct xg_iface one, *list;
	struct xg_jw *w = NULL;
	int n, i, ret = XG_EXIT_OK, r;

	n = xg_iface_some(ifname, &one, &list);
	if (n < 0)
		return -n;
	if (json) {
		w = xg_jw_new(stdout);
		if (!w) {
			ret = XG_EXIT_FAIL;
			goto out;
		}
		xg_jw_object(w);
		xg_jw_name(w, "interfaces");
		xg_jw_array(w);
	}
	for (i = 0; i < n; i++) {
		r = fn(&list[i], w, arg);
		if (r > ret)
			ret = r;
	}
	if (w) {
		xg_jw_array_end(w);
		xg_jw_object_end(w);
		xg_jw_free(w);
	}
out:
	if (list != &one)
		free(list);
	return ret;
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

/*
 * The kernel's info (struct bpf_map_info, bpf_link_info...) of the object
 * pinned at @path into @info, @len bytes: 0, or -1 if there is none.
 */
int xg_pinned_info(const char *path, void *info, __u32 len)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return -1;
	memset(info, 0, len);
	err = bpf_obj_get_info_by_fd(fd, info, &len);
	close(fd);
	return err ? -1 : 0;
}

/* The id of the map pinned at @path, 0 if there is none. */
__u32 xg_pinned_map_id(const char *path)
{
	struct bpf_map_info mi;

	return xg_pinned_info(path, &mi, sizeof(mi)) ? 0 : mi.id;
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

/*
 * Entry 0 of a pinned array (the info and config records) into @val of
 * @size bytes: 0, or -1 when missing or not of that size (pins of another
 * layout are never read into a smaller buffer).
 */
int xg_map_get0(const struct xg_iface *ifc, const char *name, void *val,
		size_t size, bool quiet)
{
	struct bpf_map_info mi = {};
	__u32 zero = 0, len = sizeof(mi);
	int fd, err;

	fd = map_open(ifc, name, quiet);
	if (fd < 0)
		return -1;
	err = bpf_obj_get_info_by_fd(fd, &mi, &len);
	if (!err && (mi.key_size != 4 || mi.value_size != size)) {
		if (!quiet)
			xg_err("%s/%s holds %u-byte values, this xdpguard "
			       "expects %zu: pins of another version", ifc->dir,
			       name, mi.value_size, size);
		err = -1;
	}
	if (!err)
		err = bpf_map_lookup_elem(fd, &zero, val);
	close(fd);
	return err ? -1 : 0;
}

/* the size of xg_info in layout 1, before XG_ABI_VERSION was recorded */
#define XG_INFO_V1_SIZE	offsetof(struct xg_info, abi)

/*
 * The attach facts of @ifc in any layout this binary knows: 0 with
 * *layout set (XG_ABI_VERSION, or 1 for the first layout, whose fields
 * are a prefix of this one), -1 if missing, -2 if of a layout unknown
 * here (a hand-made or future xg_info is never read).
 */
int xg_info_read_any(const struct xg_iface *ifc, struct xg_info *info,
		     __u32 *layout)
{
	struct bpf_map_info mi = {};
	__u32 zero = 0, len = sizeof(mi);
	int fd, err = -2;

	memset(info, 0, sizeof(*info));
	*layout = 0;
	fd = map_open(ifc, XG_MAP_INFO, true);
	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len) || mi.key_size != 4 ||
	    mi.type != BPF_MAP_TYPE_ARRAY)
		goto out;
	if (mi.value_size == sizeof(*info)) {
		if (bpf_map_lookup_elem(fd, &zero, info))
			goto out;
		*layout = info->abi;
		err = info->abi == XG_ABI_VERSION ? 0 : -2;
	} else if (mi.value_size == XG_INFO_V1_SIZE) {
		if (bpf_map_lookup_elem(fd, &zero, info))
			goto out;
		memset(&info->abi, 0, sizeof(*info) - XG_INFO_V1_SIZE);
		*layout = 1;
		err = 0;
	}
out:
	close(fd);
	return err;
}

static int info_read(const struct xg_iface *ifc, struct xg_info *info,
		     bool quiet)
{
	__u32 layout;
	int err = xg_info_read_any(ifc, info, &layout);

	if (!err && layout == XG_ABI_VERSION)
		return 0;
	if (err == -1) {
		if (!quiet)
			xg_err("cannot read %s/%s: %s", ifc->dir, XG_MAP_INFO,
			       strerror(errno));
		return -1;
	}
	if (!quiet)
		xg_err("%s: the pins in %s are of another version of xdpguard "
		       "(layout %u, this binary knows %u): nothing was read or "
		       "changed; use the xdpguard that attached it (detach, then "
		       "attach with this one)", ifc->ifname, ifc->dir,
		       err ? 0 : layout, XG_ABI_VERSION);
	return -1;
}

int xg_info_read(const struct xg_iface *ifc, struct xg_info *info)
{
	return info_read(ifc, info, false);
}

int xg_info_read_quiet(const struct xg_iface *ifc, struct xg_info *info)
{
	return info_read(ifc, info, true);
}

int xg_iface_enter(struct xg_iface *ifc, int *back)
{
	struct xg_info info;
	int in;

	*back = -1;
	if (ifc->here)
		return 0;
	if (xg_info_read(ifc, &info))
		return -1;
	in = xg_netns_enter(ifc->netns, info.netns_ino, back);
	if (in) {
		xg_err("%s: cannot enter its network namespace (cookie %llu): "
		       "%s", ifc->ifname, (unsigned long long)ifc->netns,
		       in > 0 ? "not found" : strerror(errno));
		return -1;
	}
	ifc->ifindex = if_nametoindex(ifc->ifname);
	return 0;
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
 * Give every xg_ map of @obj (opened, not loaded) its pin path in @dir:
 * the load pins it there, or reuses the map pinned there already.
 */
int xg_pin_paths(struct bpf_object *obj, const char *dir)
{
	struct bpf_map *map;
	char path[512];

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		if (strncmp(name, "xg_", 3))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (bpf_map__set_pin_path(map, path))
			return -1;
	}
	return 0;
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
