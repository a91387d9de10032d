// SPDX-License-Identifier: GPL-2.0
/*
 * attach / detach: load the XDP guard through libxdp (its dispatcher where
 * the kernel allows it, a single program otherwise), pin its maps in the
 * interface's folder and exit; protection lives on in the kernel.
 */
#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include <xdpguard/pmtu.h>
#include "xdpguard.h"
#include "comp/dns.h"
#include "xdp_guard.skel.h"

#define XG_DEFAULT_PPS		100
#define XG_DEFAULT_BURST	100
#define XG_DEFAULT_EV_BUDGET	1000

static const char attach_usage[] =
	"usage: xdpguard attach IFACE [--mode native|skb] [--dry-run]\n"
	"                       [--sources N] [--prefix4 LEN] [--prefix6 LEN]\n"
	"                       [--pps N] [--burst N] [--no-pmtu]\n"
	"                       [--blackhole-after N] [--event-budget N]\n"
	"                       [--no-dns]\n"
	"  --no-pmtu            no PTB accounting, no black-hole detection\n"
	"  --no-dns             no DNS telemetry (xdpguard dns)\n"
	"  --blackhole-after N  full-size retransmissions (2..100, default 3)\n"
	"                       before a destination is a suspected black hole\n"
	"  --event-budget N     events per second per CPU (0..1000000, default\n"
	"                       1000; 0 = no limit)\n"
	"       xdpguard attach --replace IFACE   (new programs, same maps)\n";

static int quiet_print(enum libxdp_print_level level, const char *fmt,
		       va_list args)
{
	if (level != LIBXDP_WARN || getenv("XDPGUARD_DEBUG"))
		return 0;
	/* the dispatcher fallback is reported by us in plain words */
	if (strstr(fmt, "ompatibility check") || strstr(fmt, "Falling back"))
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* set while libxdp probes its dispatcher: its failure is expected here */
static bool probing;

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (getenv("XDPGUARD_DEBUG"))
		return vfprintf(stderr, fmt, args);
	if (level != LIBBPF_WARN || probing)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void xg_quiet_libs(void)
{
	libxdp_set_print(quiet_print);
	libbpf_set_print(libbpf_quiet);
}

static void remove_pins(const char *dir)
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
}

/*
 * Detach the XDP program named xdpguard (with id @prog_id unless 0) from
 * @ifindex, whichever way libxdp attached it (dispatcher or single
 * program). 0 if none was there.
 */
int xg_xdp_detach(int ifindex, __u32 prog_id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	enum xdp_attach_mode mode;
	struct xdp_program *p;
	int err = 0;

	if (libxdp_get_error(mp) || !mp)
		return 0;
	mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), "xdpguard") &&
		    (!prog_id || xdp_program__id(p) == prog_id))
			err = xdp_multiprog__detach(mp);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), "xdpguard") &&
			    (!prog_id || xdp_program__id(p) == prog_id)) {
				err = xdp_program__detach(p, ifindex, mode, 0);
				break;
			}
	}
	xdp_multiprog__close(mp);
	return err;
}

/* Whether XDP program @prog_id runs on @ifindex (alone or in libxdp's
 * dispatcher). */
bool xg_xdp_runs(int ifindex, __u32 prog_id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	bool found = false;

	if (libxdp_get_error(mp) || !mp)
		return false;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		found = p && xdp_program__id(p) == prog_id;
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !found;
		     p = xdp_multiprog__next_prog(p, mp))
			found = xdp_program__id(p) == prog_id;
	}
	xdp_multiprog__close(mp);
	return found;
}

/* The id of the XDP program named xdpguard on @ifindex, or 0. */
__u32 xg_xdp_guard_id(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	__u32 id = 0;

	if (libxdp_get_error(mp) || !mp)
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), "xdpguard"))
			id = xdp_program__id(p);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !id;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), "xdpguard"))
				id = xdp_program__id(p);
	}
	xdp_multiprog__close(mp);
	return id;
}

/*
 * xdpguard programs on @ifindex that no pins account for (bpffs was
 * unmounted, or the folder removed by hand): nothing can retune them, so
 * they come off, with a message naming each. How many parts, or -1.
 */
static int clean_unpinned(const char *ifname, int ifindex)
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

struct moved {
	__u32 prog_id;
	char ifname[IF_NAMESIZE];
	__u64 cookie;
	int err;
};

static int detach_moved_here(__u64 cookie, void *arg)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	struct moved *m = arg;
	int found = 0;

	if (!ifs)
		return 0;
	for (i = ifs; i->if_index && !found; i++) {
		if (!xg_xdp_runs(i->if_index, m->prog_id))
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

bool xg_prog_alive(__u32 id)
{
	int fd;

	if (!id)
		return false;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != ENOENT;	/* not provably gone: keep it */
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
	    !xg_xdp_runs(info->ifindex, info->prog_id))
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
	remove_pins(ifc->dir);
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
	remove_pins(ifc.dir);
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
}

static int pin_maps(struct xdp_guard_bpf *skel, const char *dir)
{
	struct bpf_map *map;
	char path[512];

	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);

		if (strncmp(name, "xg_", 3))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (bpf_obj_pin(bpf_map__fd(map), path)) {
			xg_err("cannot pin %s: %s", path, strerror(errno));
			return -1;
		}
		chmod(path, 0600);
	}
	return 0;
}


static bool read_u64(const char *path, __u64 *v)
{
	unsigned long long x;
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%llu", &x) == 1;	/* "max": no limit */
	fclose(f);
	if (ok)
		*v = x;
	return ok;
}

/*
 * Room left in the memory cgroup this process runs in (systemd's
 * MemoryMax=, a container's limit), which BPF maps are charged to:
 * memory.max - memory.current (cgroup v2) or limit - usage (v1);
 * UINT64_MAX when there is no limit.
 */
static __u64 cgroup_room(void)
{
	char line[512], path[700], *p;
	__u64 lim, use, room = UINT64_MAX;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return room;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "0::", 3)) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max",
				 line + 3);
			if (!read_u64(path, &lim))
				continue;
			snprintf(path, sizeof(path),
				 "/sys/fs/cgroup%s/memory.current", line + 3);
		} else if ((p = strstr(line, ":memory:"))) {
			p += strlen(":memory:");
			snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/"
				 "memory.limit_in_bytes", p);
			if (!read_u64(path, &lim))
				continue;
			snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/"
				 "memory.usage_in_bytes", p);
		} else {
			continue;
		}
		if (!read_u64(path, &use))
			use = 0;
		if (lim < room)
			room = lim > use ? lim - use : 0;
	}
	fclose(f);
	return room;
}

/*
 * Whether @dir's guard runs on @ifindex: checked before the lock, so that
 * attaching an attached interface does not first allocate its table (the
 * check under the lock decides).
 */
static bool guarded(const char *ifname, int ifindex, const char *dir)
{
	struct xg_iface ifc = { .lock_fd = -1, .ifindex = ifindex };
	struct xg_info info;

	snprintf(ifc.dir, sizeof(ifc.dir), "%s", dir);
	snprintf(ifc.ifname, sizeof(ifc.ifname), "%s", ifname);
	return !xg_map_get0(&ifc, XG_MAP_INFO, &info, sizeof(info), true) &&
	       (int)info.ifindex == ifindex &&
	       xg_xdp_runs(ifindex, info.prog_id);
}

/* a map of @m's kind with @n entries: its fd, or -errno */
static int table_create(const struct bpf_map *m, __u32 n)
{
	LIBBPF_OPTS(bpf_map_create_opts, o,
		    .map_flags = bpf_map__map_flags(m));
	int fd = bpf_map_create(bpf_map__type(m), bpf_map__name(m),
				bpf_map__key_size(m), bpf_map__value_size(m),
				n, &o);

	return fd < 0 ? -errno : fd;
}

/*
 * The largest table that takes at most @room bytes, at @c1 bytes for 4096
 * entries and @per for each more, with a tenth to spare (what is
 * available moves), in whole KiB entries; at least 1024.
 */
static __u64 sources_fit(__u64 room, __u64 c1, __u64 per)
{
	__u64 n;

	room -= room / 10;
	if (room <= c1)
		return 1024;
	n = (room - c1) / per + 4096;
	n = 1ULL << (63 - __builtin_clzll(n));	/* slots: a power of two */
	return n > (1U << 26) ? 1U << 26 : n;
}

/*
 * The source table, made before the global lock is taken: a table of
 * millions of sources takes seconds to allocate, and an emergency command
 * must not wait behind it. Its cost is the kernel's own account of two
 * small tables of the same kind, extrapolated; a table that would take
 * more than half of the memory available (MemAvailable, or the room left
 * in this process's memory cgroup if that is less) is refused (exit 2)
 * with the largest --sources that fits, and one of 64 MiB or more is
 * announced. The map
 * goes into @skel (reused at load); 0, or an exit status.
 */
static int sources_table(struct xdp_guard_bpf *skel, __u32 sources)
{
	struct bpf_map *m = skel->maps.xg_buckets;
	__u64 c1 = 0, c2 = 0, per, cost, avail, room;
	int fd1, fd2, fd, err;

	fd1 = table_create(m, 4096);
	fd2 = table_create(m, 8192);
	if (fd1 >= 0 && fd2 >= 0) {
		c1 = xg_fd_memlock(fd1);
		c2 = xg_fd_memlock(fd2);
	}
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	if (c2 > c1) {
		per = (c2 - c1) / 4096;
		cost = c1 + per * ((__u64)sources - 4096);
		if (sources < 4096)
			cost = c1;
		avail = xg_proc_u64("/proc/meminfo", "MemAvailable:") * 1024;
		room = cgroup_room();
		if (room < avail || !avail)
			avail = room == UINT64_MAX ? 0 : room;
		if (avail && cost > avail / 2)
			return xg_usage_err("--sources %u needs about %llu MiB "
					    "of kernel memory; %llu MiB are "
					    "available%s and a source table may "
					    "take half: --sources 1024..%llu "
					    "here", sources,
					    (unsigned long long)(cost >> 20),
					    (unsigned long long)(avail >> 20),
					    avail == room ? " (memory cgroup)" :
					    "",
					    (unsigned long long)
					    sources_fit(avail / 2, c1, per));
		if (cost >= 64ULL << 20)
			fprintf(stderr, "xdpguard: a source table of %u sources "
				"takes about %llu MiB of kernel memory\n",
				sources, (unsigned long long)(cost >> 20));
	}
	fd = table_create(m, sources);
	if (fd < 0) {
		xg_err("cannot make a source table of %u sources: %s%s",
		       sources, strerror(-fd), fd == -ENOMEM ?
		       " (a smaller --sources fits)" : "");
		return XG_EXIT_FAIL;
	}
	err = bpf_map__reuse_fd(m, fd);
	close(fd);
	if (err) {
		xg_err("cannot use the source table: %s", strerror(-err));
		return XG_EXIT_FAIL;
	}
	return 0;
}

static void explain_attach_error(const char *ifname, int ifindex, int err,
				 enum xdp_attach_mode mode)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;

	if (err == -EOPNOTSUPP && mode == XDP_MODE_NATIVE) {
		xg_err("cannot attach to %s: %s (driver has no native XDP; "
		       "try --mode skb)", ifname, strerror(-err));
		return;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		p = xdp_multiprog__main_prog(mp);
		if (p && xdp_multiprog__is_legacy(mp)) {
			xg_err("cannot attach to %s: %s (XDP program '%s' id %u "
			       "is already attached without libxdp's "
			       "dispatcher; remove it first, e.g. xdp-loader "
			       "unload %s --all)", ifname, strerror(-err),
			       xdp_program__name(p), xdp_program__id(p),
			       ifname);
			xdp_multiprog__close(mp);
			return;
		}
		xdp_multiprog__close(mp);
	}
	xg_err("cannot attach to %s: %s", ifname, strerror(-err));
}

/*
 * attach --replace, the XDP part: this binary's guard on the maps the
 * running one pinned, with the settings fixed at attach. A single program
 * is loaded (verified) here and swapped in later with one netlink call
 * naming the old one (XDP_FLAGS_REPLACE). libxdp's dispatcher loads its
 * programs itself, as extensions of the dispatcher, when they join: the
 * new program joins first, then the old one leaves.
 */
struct xg_guard_new {
	struct xdp_guard_bpf *skel;
	struct xdp_program *prog;	/* dispatcher: not loaded yet */
};

void xg_guard_free(struct xg_guard_new *g)
{
	if (!g)
		return;
	xdp_program__close(g->prog);
	xdp_guard_bpf__destroy(g->skel);
	free(g);
}

struct xg_guard_new *xg_guard_load(const struct xg_iface *ifc,
				   const struct xg_info *info)
{
	struct xg_guard_new *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return NULL;
	g->skel = xdp_guard_bpf__open();
	if (!g->skel) {
		xg_err("cannot open the XDP program: %s", strerror(errno));
		goto fail;
	}
	g->skel->rodata->prefix4 = info->prefix4;
	g->skel->rodata->prefix6 = info->prefix6;
	g->skel->rodata->have_cookies = info->cookie_paths;
	g->skel->rodata->src_mask = info->sources - 1;
	g->skel->rodata->src_seed = info->src_seed;
	err = bpf_map__set_max_entries(g->skel->maps.xg_buckets,
				       info->sources);
	if (err || xg_reuse_pins(g->skel->obj, ifc))
		goto fail;
	if (strcmp(info->how, "single program")) {
		g->prog = xdp_program__from_bpf_obj(g->skel->obj, "xdp");
		err = libxdp_get_error(g->prog);
		if (err) {
			g->prog = NULL;
			xg_err("cannot prepare the new XDP program: %s",
			       strerror(-err));
			goto fail;
		}
		return g;
	}
	err = xdp_guard_bpf__load(g->skel);
	if (err) {
		xg_err("cannot load the new XDP program: %s (its maps must "
		       "match the running version's)", strerror(-err));
		goto fail;
	}
	return g;
fail:
	xg_guard_free(g);
	return NULL;
}

/* Swap @g in for the program @info records; 0 or a negative errno. */
int xg_guard_swap(struct xg_guard_new *g, const struct xg_iface *ifc,
		  const struct xg_info *info, __u32 *new_id)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);
	int fd, err;

	if (!g->prog) {
		xo.old_prog_fd = bpf_prog_get_fd_by_id(info->prog_id);
		if (xo.old_prog_fd < 0)
			return -errno;
		fd = bpf_program__fd(g->skel->progs.xdpguard);
		err = bpf_xdp_attach(ifc->ifindex, fd, XDP_FLAGS_REPLACE |
				     (info->mode == XDP_MODE_SKB ?
				      XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE),
				     &xo);
		close(xo.old_prog_fd);
		if (err)
			return err;
		*new_id = bpf_obj_get_info_by_fd(fd, &pi, &len) ? 0 : pi.id;
		return 0;
	}
	err = xdp_program__attach(g->prog, ifc->ifindex, info->mode, 0);
	if (err)
		return err;
	*new_id = xdp_program__id(g->prog);
	err = xg_xdp_detach(ifc->ifindex, info->prog_id);
	if (err)
		xg_err("%s: the old XDP program (id %u) runs on beside the "
		       "new one (id %u): cannot detach it: %s", ifc->ifname,
		       info->prog_id, *new_id, strerror(-err));
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "sources", required_argument, NULL, 's' },
		{ "prefix4", required_argument, NULL, '4' },
		{ "prefix6", required_argument, NULL, '6' },
		{ "pps", required_argument, NULL, 'p' },
		{ "burst", required_argument, NULL, 'b' },
		{ "replace", no_argument, NULL, 'r' },
		{ "no-pmtu", no_argument, NULL, 'P' },
		{ "blackhole-after", required_argument, NULL, 'B' },
		{ "event-budget", required_argument, NULL, 'E' },
		{ "no-dns", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	__u32 pm_flags = XG_PM_F_PTB | XG_PM_F_BH;
	__u32 bh_after = XG_BH_THRESHOLD;
	bool bh_set = false;
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	struct xg_config cfg = {
		.rate = { XG_DEFAULT_PPS, XG_DEFAULT_BURST },
		.flags = XG_F_ENABLED,
		.event_budget = XG_DEFAULT_EV_BUDGET,
	};
	__u32 sources = XG_DEFAULT_SOURCES, p4 = 32, p6 = 64, zero = 0;
	struct xdp_guard_bpf *skel = NULL;
	struct xdp_program *prog = NULL;
	struct xg_cookie_support ck;
	struct xdp_multiprog *mp;
	struct xg_info info = {};
	const char *ifname;
	bool burst_set = false, attached = false, made = false;
	bool replace = false, tuned = false, dns = true;
	char dir[256], newdir[300];
	int c, err, ifindex, lock = -1, ret = XG_EXIT_FAIL;
	struct stat st;

	xg_cmd = "attach";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "native"))
				mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "skb"))
				mode = XDP_MODE_SKB;
			else
				return xg_usage_err("bad --mode '%s' (accepted: "
						    "native, skb)", optarg);
			break;
		case 'n':
			cfg.flags |= XG_F_DRY_RUN;
			break;
		case 's':
			if (xg_parse_u32(optarg, 1024, 1U << 26, &sources))
				return xg_usage_err("bad --sources '%s' (a "
						    "number 1024..67108864)",
						    optarg);
			/* slots: a power of two (docs/sources.md) */
			sources = 1U << (32 - __builtin_clz(sources - 1));
			break;
		case '4':
			if (xg_parse_u32(optarg, 8, 32, &p4))
				return xg_usage_err("bad --prefix4 '%s' (a "
						    "prefix length 8..32)",
						    optarg);
			break;
		case '6':
			if (xg_parse_u32(optarg, 32, 128, &p6))
				return xg_usage_err("bad --prefix6 '%s' (a "
						    "prefix length 32..128)",
						    optarg);
			break;
		case 'p':
			if (xg_parse_u32(optarg, 0, 100000000, &cfg.rate.pps))
				return xg_usage_err("bad --pps '%s' (SYNs per "
						    "second, 0..100000000; 0 "
						    "= no limit)", optarg);
			break;
		case 'b':
			if (xg_parse_u32(optarg, 1, 100000000,
					 &cfg.rate.burst))
				return xg_usage_err("bad --burst '%s' (SYNs, "
						    "1..100000000)", optarg);
			burst_set = true;
			break;
		case 'r':
			replace = true;
			break;
		case 'P':
			pm_flags = 0;
			break;
		case 'D':
			dns = false;
			break;
		case 'B':
			if (xg_parse_u32(optarg, 2, 100, &bh_after))
				return xg_usage_err("bad --blackhole-after '%s' "
						    "(retransmissions, 2..100)",
						    optarg);
			bh_set = true;
			break;
		case 'E':
			if (xg_parse_u32(optarg, 0, 1000000, &cfg.event_budget))
				return xg_usage_err("bad --event-budget '%s' "
						    "(events per second per CPU, "
						    "0..1000000; 0 = no limit)",
						    optarg);
			break;
		default:	/* -h, --help or an unknown option */
			return xg_opt_other(c, attach_usage, argv);
		}
		if (c != 'r' && c != 'h')
			tuned = true;
	}
	if (replace && tuned)
		return xg_usage_err("--replace keeps every setting of the "
				    "running guard; it takes no other option");
	if (optind != argc - 1) {
		fputs(attach_usage, stderr);
		return xg_usage_err(optind >= argc ? "missing IFACE" :
				    "one IFACE only, got '%s' too",
				    argv[argc - 1]);
	}
	if (!burst_set && cfg.rate.pps)
		cfg.rate.burst = cfg.rate.pps;
	if (bh_set && !pm_flags)
		return xg_usage_err("--blackhole-after contradicts --no-pmtu");
	ifname = argv[optind];
	if (xg_need_root())
		return XG_EXIT_USAGE;
	if (xg_ifname_check(ifname))
		return XG_EXIT_USAGE;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return xg_usage_err("unknown interface '%s' (see ip link)",
				    ifname);
	if (xg_bpffs_ready(true))
		return XG_EXIT_FAIL;
	xg_iface_dir(ifname, dir, sizeof(dir));
	if (!replace && guarded(ifname, ifindex, dir)) {
		xg_err("%s is already attached (pins in %s); detach it first "
		       "or retune it with rate/allow/deny", ifname, dir);
		return XG_EXIT_FAIL;
	}
	if (!replace) {
		/* the big allocation first, outside the lock */
		xg_quiet_libs();
		skel = xdp_guard_bpf__open();
		if (!skel) {
			xg_err("cannot open the BPF object: %s",
			       strerror(errno));
			return XG_EXIT_FAIL;
		}
		err = bpf_map__set_max_entries(skel->maps.xg_buckets, sources);
		if (err) {
			xg_err("cannot size the source table: %s",
			       strerror(-err));
			goto out;
		}
		ret = sources_table(skel, sources);
		if (ret)
			goto out;
		ret = XG_EXIT_FAIL;
	}
	lock = xg_lock();
	if (lock < 0)
		goto out;
	if (replace) {
		ret = xg_replace(ifname, ifindex, dir);
		goto out;
	}
	if (!stat(dir, &st)) {
		xg_err("%s is already attached (pins in %s); detach it first "
		       "or retune it with rate/allow/deny", ifname, dir);
		goto out;
	}
	if (clean_unpinned(ifname, ifindex) < 0)
		goto out;
	if (snprintf(newdir, sizeof(newdir), "%s:new", dir) >=
	    (int)sizeof(newdir) || mkdir(newdir, 0700)) {
		xg_err("cannot create %s: %s", newdir, strerror(errno));
		goto out;
	}
	made = true;

	skel->rodata->prefix4 = p4;
	skel->rodata->prefix6 = p6;
	skel->rodata->src_mask = sources - 1;
	if (getrandom(&info.src_seed, sizeof(info.src_seed), 0) != 4)
		info.src_seed = (__u32)xg_mono_ns();
	skel->rodata->src_seed = info.src_seed;
	/* without the helpers the verifier must not see the cookie paths */
	xg_cookie_probe(&ck);
	skel->rodata->have_cookies = ck.helpers;
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	err = libxdp_get_error(prog);
	if (err) {
		prog = NULL;
		xg_err("cannot prepare the XDP program: %s", strerror(-err));
		goto out;
	}
	probing = true;
	err = xdp_program__attach(prog, ifindex, mode, 0);
	probing = false;
	if (err) {
		explain_attach_error(ifname, ifindex, err, mode);
		fprintf(stderr, "xdpguard: XDPGUARD_DEBUG=1 shows libbpf's and "
			"libxdp's own log\n");
		goto out;
	}
	attached = true;

	info.ifindex = ifindex;
	info.mode = mode;
	info.prog_id = xdp_program__id(prog);
	info.sources = sources;
	info.prefix4 = p4;
	info.prefix6 = p6;
	info.attached_at = xg_real_ns() / 1000000000ULL;
	info.netns_ino = xg_netns_ino();
	info.netns_cookie = xg_netns_cookie();
	info.abi = XG_ABI_VERSION;
	strcpy(info.ifname, ifname);
	info.cookie_paths = ck.helpers;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	snprintf(info.how, sizeof(info.how), "%s",
		 !libxdp_get_error(mp) && mp && !xdp_multiprog__is_legacy(mp) ?
		 "libxdp dispatcher" : "single program");
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_config), &zero,
				&cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.xg_info), &zero, &info,
				BPF_ANY)) {
		xg_err("cannot write the configuration: %s", strerror(errno));
		goto out;
	}
	if (pin_maps(skel, newdir))
		goto out;
	if (xg_pmtu_attach(ifname, ifindex, newdir, pm_flags, bh_after))
		goto out;
	/* telemetry only: the guard goes on without it (said below) */
	if (dns && xg_dns_attach(ifname, ifindex, newdir))
		dns = false;
	/* the one step that makes the attach visible */
	if (rename(newdir, dir)) {
		xg_err("cannot rename %s: %s", newdir, strerror(errno));
		goto out;
	}
	made = false;

	printf("xdpguard: attached to %s (%s mode, %s%s): SYN budget %u/s "
	       "burst %u per /%u (IPv4) and /%u (IPv6) source, %u sources "
	       "tracked at most\n", ifname,
	       mode == XDP_MODE_SKB ? "skb" : "native", info.how,
	       strcmp(info.how, "libxdp dispatcher") ?
	       ": the kernel refused the dispatcher, other XDP programs "
	       "cannot share this interface" : "",
	       cfg.rate.pps, cfg.rate.burst, p4, p6, sources);
	if (cfg.flags & XG_F_DRY_RUN)
		printf("xdpguard: dry run: drops are counted, nothing is "
		       "dropped\n");
	printf("xdpguard: SYN cookies %s\n", ck.ok ? "available (xdpguard "
	       "cookies set on|auto)" : "not available: ");
	if (!ck.ok)
		printf("  %s\n", ck.why);
	if (pm_flags)
		printf("xdpguard: tc ingress/egress: PTB accounting and "
		       "black-hole detection on (after %u full-size "
		       "retransmissions); MSS clamping off until mss set\n",
		       bh_after);
	else
		printf("xdpguard: tc ingress/egress: PTB accounting and "
		       "black-hole detection off; MSS clamping off until "
		       "mss set\n");
	printf("xdpguard: DNS telemetry %s\n", dns ? "on (tc ingress/egress, "
	       "port 53 UDP and TCP; xdpguard dns)" : "off");
	ret = XG_EXIT_OK;
out:
	if (ret && attached)
		xdp_program__detach(prog, ifindex, mode, 0);
	if (made)
		remove_pins(newdir);
	xdp_program__close(prog);
	xdp_guard_bpf__destroy(skel);
	xg_unlock(lock);
	return ret;
}

static const char detach_usage[] =
	"usage: xdpguard detach IFACE\n"
	"       xdpguard detach --all   (every interface attached in this\n"
	"                               network namespace, in every one when\n"
	"                               run in the host's, and the host-wide\n"
	"                               socket telemetry)\n";

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

		if (xg_netns_each(detach_moved_here, &m) > 0 && !m.err)
			printf("xdpguard: %s had moved to another network "
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
	remove_pins(ifc->dir);
	printf("xdpguard: detached from %s\n", ifc->ifname);
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
	printf("xdpguard: in network namespace %s:\n", name);
	ret = detach_one(ifc);
	xg_netns_leave(back);
	return ret;
}

/*
 * Every interface of this namespace; run in the host's namespace, every
 * interface of every namespace (their folders are all in the one bpffs).
 */
static int detach_all(void)
{
	struct xg_iface *list;
	int n, i, lock, ret = XG_EXIT_OK, off;

	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	xg_quiet_libs();
	n = xg_iface_list(&list, xg_netns_is_host());
	if (n < 0)
		ret = XG_EXIT_FAIL;
	for (i = 0; i < n; i++)
		if (list[i].here ? detach_one(&list[i]) :
				   detach_there(&list[i]))
			ret = XG_EXIT_FAIL;
	free(list);
	xg_unlock(lock);
	off = xg_host_off();
	if (off < 0)
		ret = XG_EXIT_FAIL;
	else if (off)
		printf("xdpguard: host socket telemetry off: programs "
		       "detached, pins removed\n");
	if (n <= 0 && !off)
		printf("xdpguard: nothing was attached\n");
	return ret;
}

int cmd_detach(int argc, char **argv)
{
	struct xg_iface ifc;
	char dir[sizeof(ifc.dir)];
	int ret, lock, n, idx;
	struct stat st;

	xg_cmd = "detach";
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(detach_usage, stdout);
		return XG_EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "--all")) {
		if (xg_need_root())
			return XG_EXIT_USAGE;
		return detach_all();
	}
	if (argc != 2 || argv[1][0] == '-') {
		fputs(detach_usage, stderr);
		return xg_usage_err(argc < 2 ? "missing IFACE" :
				    "unexpected argument '%s'", argv[argc - 1]);
	}
	if (xg_need_root())
		return XG_EXIT_USAGE;
	if (xg_ifname_check(argv[1]))
		return XG_EXIT_USAGE;
	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	xg_quiet_libs();
	xg_iface_dir(argv[1], dir, sizeof(dir));
	n = 0;
	if (lstat(dir, &st) && (idx = if_nametoindex(argv[1])))
		/* no pins: what runs there is cleaned up all the same */
		n = clean_unpinned(argv[1], idx);
	if (n > 0) {
		printf("xdpguard: detached from %s\n", argv[1]);
		ret = XG_EXIT_OK;
	} else if (n < 0) {
		ret = XG_EXIT_FAIL;
	} else {
		ret = xg_iface_resolve(argv[1], &ifc);
		if (!ret)
			ret = detach_one(&ifc);
	}
	xg_unlock(lock);
	return ret;
}
