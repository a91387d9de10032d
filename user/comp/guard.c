// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP guard component: xdp_guard.bpf.c's skeleton and everything about
 * it. Its source table is made (outside the global lock) and loaded and
 * attached through libxdp (its dispatcher where the kernel allows it, a
 * single program otherwise), its maps pinned in the interface's folder;
 * detach, a new program on the same maps (attach --replace), the list
 * flags, and the reading of its counters, tables and attach state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include "comp.h"
#include "xdp_guard.skel.h"

struct xg_guard {
	struct xdp_guard_bpf *skel;
	struct xdp_program *prog;
	int ifindex, mode;
	bool attached;
};

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

/*
 * Whether XDP program @prog_id runs on @ifindex, alone or in libxdp's
 * dispatcher: 1 yes, 0 no, -1 cannot tell (the dispatcher's programs
 * need CAP_SYS_ADMIN to be looked at). The netlink answer needs no
 * privilege and settles the single-program case and the empty one.
 */
int xg_xdp_runs(int ifindex, __u32 prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	bool found = false;
	long err;

	if (!bpf_xdp_query(ifindex, 0, &q)) {
		if (q.prog_id == prog_id || q.drv_prog_id == prog_id ||
		    q.skb_prog_id == prog_id || q.hw_prog_id == prog_id)
			return 1;
		if (!q.prog_id && !q.drv_prog_id && !q.skb_prog_id &&
		    !q.hw_prog_id)
			return 0;
	}
	if (!xg_have_caps(XG_CAP(CAP_SYS_ADMIN)))
		return -1;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -EPERM)
		return -1;
	if (err || !mp)
		return 0;
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
/* the kernel's memlock of both source tables at @n slots, 0 if unknown */
static __u64 tables_cost(struct xdp_guard_bpf *skel, __u32 n)
{
	struct bpf_map *m[2] = { skel->maps.xg_buckets, skel->maps.xg_src_hot };
	__u64 cost = 0;
	int i, fd;

	for (i = 0; i < 2; i++) {
		fd = table_create(m[i], n);
		if (fd < 0)
			return 0;
		cost += xg_fd_memlock(fd);
		close(fd);
	}
	return cost;
}

static int sources_table(struct xdp_guard_bpf *skel, __u32 sources)
{
	struct bpf_map *m[2] = { skel->maps.xg_buckets, skel->maps.xg_src_hot };
	__u64 c1, c2, per, cost, avail, room;
	int fd, err, i;

	c1 = tables_cost(skel, 4096);
	c2 = tables_cost(skel, 8192);
	if (c1 && c2 > c1) {
		per = (c2 - c1) / 4096;
		cost = c1 + per * ((__u64)sources - 4096);
		if (sources < 4096)
			cost = c1;
		avail = xg_proc_u64("/proc/meminfo", "MemAvailable:") * 1024;
		room = xg_cgroup_room();
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
	for (i = 0; i < 2; i++) {
		fd = table_create(m[i], sources);
		if (fd < 0) {
			xg_err("cannot make a source table of %u sources: %s%s",
			       sources, strerror(-fd), fd == -ENOMEM ?
			       " (a smaller --sources fits)" : "");
			return XG_EXIT_FAIL;
		}
		err = bpf_map__reuse_fd(m[i], fd);
		close(fd);
		if (err) {
			xg_err("cannot use the source table: %s",
			       strerror(-err));
			return XG_EXIT_FAIL;
		}
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
 * The guard of @sources sources, opened and its source table made, not yet
 * loaded: this runs before the global lock. NULL with *ret the exit status.
 */
struct xg_guard *xg_guard_open(__u32 sources, int *ret)
{
	struct xg_guard *g = calloc(1, sizeof(*g));
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kconfig = xg_kconfig());
	int err;

	*ret = XG_EXIT_FAIL;
	if (!g)
		return NULL;
	xg_quiet_libs();
	g->skel = xdp_guard_bpf__open_opts(&oo);
	if (!g->skel) {
		xg_err("cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	err = bpf_map__set_max_entries(g->skel->maps.xg_buckets, sources) ?:
	      bpf_map__set_max_entries(g->skel->maps.xg_src_hot, sources);
	if (err) {
		xg_err("cannot size the source table: %s", strerror(-err));
		goto fail;
	}
	*ret = sources_table(g->skel, sources);
	if (*ret)
		goto fail;
	return g;
fail:
	xg_guard_close(g, false);
	return NULL;
}

/* @m on the host's map @fd (closed here; < 0: said already), the host's
 * @what: 0 or -1 (said). */
static int reuse_host_map(struct bpf_map *m, int fd, const char *what)
{
	int err;

	if (fd < 0)
		return -1;
	err = bpf_map__reuse_fd(m, fd);
	close(fd);
	if (err)
		xg_err("cannot use the host's %s: %s", what, strerror(-err));
	return err ? -1 : 0;
}

/*
 * Load @g with @s, attach it to @ifindex and pin its maps in @dir, with
 * the attach facts (*info) written; under the lock. 0 or -1 (said).
 */
int xg_guard_attach(struct xg_guard *g, const char *ifname, int ifindex,
		    const char *dir, const struct xg_guard_settings *s,
		    struct xg_info *info)
{
	struct xdp_guard_bpf *skel = g->skel;
	struct xg_config cfg = s->cfg;
	struct xdp_multiprog *mp;
	__u32 zero = 0;
	int err, fd;

	memset(info, 0, sizeof(*info));
	fd = s->have_cookies ? xg_peers_up() : -1;
	if (fd >= 0) {
		if (reuse_host_map(skel->maps.xg_peers, fd, "socket record"))
			return -1;
		cfg.flags |= XG_F_PEERS;
	} else if (s->have_cookies) {
		fprintf(stderr, "xdpguard: %s: each SYN answered with a "
			"cookie probes the kernel's established table "
			"(docs/peers.md)\n", ifname);
	}
	/* one key for the host: an ACK may come in elsewhere (after the
	 * record: a record that cannot be kept is reclaimed, and the key
	 * with it when no folder is left) */
	if (s->have_cookies &&
	    reuse_host_map(skel->maps.xg_cookie_key, xg_cookie_key_up(),
			   "cookie key"))
		return -1;
	skel->rodata->prefix4 = s->prefix4;
	skel->rodata->prefix6 = s->prefix6;
	skel->rodata->src_mask = s->sources - 1;
	if (getrandom(&info->src_seed, sizeof(info->src_seed), 0) != 4)
		info->src_seed = (__u32)xg_mono_ns();
	skel->rodata->src_seed = info->src_seed;
	/* without the helpers the verifier must not see the cookie paths */
	skel->rodata->have_cookies = s->have_cookies;
	g->prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	err = libxdp_get_error(g->prog);
	if (err) {
		g->prog = NULL;
		xg_err("cannot prepare the XDP program: %s", strerror(-err));
		return -1;
	}
	xg_quiet_probe(true);
	err = xdp_program__attach(g->prog, ifindex, s->mode, 0);
	xg_quiet_probe(false);
	if (err) {
		explain_attach_error(ifname, ifindex, err, s->mode);
		fprintf(stderr, "xdpguard: XDPGUARD_DEBUG=1 shows libbpf's and "
			"libxdp's own log\n");
		return -1;
	}
	g->attached = true;
	g->ifindex = ifindex;
	g->mode = s->mode;

	info->ifindex = ifindex;
	info->mode = s->mode;
	info->prog_id = xdp_program__id(g->prog);
	info->sources = s->sources;
	info->prefix4 = s->prefix4;
	info->prefix6 = s->prefix6;
	info->attached_at = xg_real_ns() / 1000000000ULL;
	info->netns_ino = xg_netns_ino();
	info->netns_cookie = xg_netns_cookie();
	info->abi = XG_ABI_VERSION;
	snprintf(info->ifname, sizeof(info->ifname), "%s", ifname);
	info->cookie_paths = s->have_cookies;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	snprintf(info->how, sizeof(info->how), "%s",
		 !libxdp_get_error(mp) && mp && !xdp_multiprog__is_legacy(mp) ?
		 "libxdp dispatcher" : "single program");
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_config), &zero,
				&cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.xg_info), &zero, info,
				BPF_ANY)) {
		xg_err("cannot write the configuration: %s", strerror(errno));
		return -1;
	}
	return pin_maps(skel, dir);
}

/* Free @g; unless @keep, what it attached comes off. */
void xg_guard_close(struct xg_guard *g, bool keep)
{
	if (!g)
		return;
	if (g->attached && !keep)
		xdp_program__detach(g->prog, g->ifindex, g->mode, 0);
	xdp_program__close(g->prog);
	xdp_guard_bpf__destroy(g->skel);
	free(g);
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
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kconfig = xg_kconfig());
	int err;

	if (!g)
		return NULL;
	g->skel = xdp_guard_bpf__open_opts(&oo);
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
				       info->sources) ?:
	      bpf_map__set_max_entries(g->skel->maps.xg_src_hot,
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


/* ---- reading the guard: counters, tables, state ---- */

static const char *const verdict_names[XG_V_MAX] = {
	[XG_V_PASS] = "pass",
	[XG_V_DROP] = "drop",
	[XG_V_WOULD_DROP] = "would_drop",
	[XG_V_TX] = "tx",
};

static const char *const reason_names[XG_R_MAX] = {
	[XG_R_NOT_IP] = "not_ip",
	[XG_R_NOT_TCP] = "not_tcp",
	[XG_R_TCP_NOT_SYN] = "tcp_not_syn",
	[XG_R_FRAGMENT] = "fragment",
	[XG_R_ALLOW] = "allow",
	[XG_R_DENY] = "deny",
	[XG_R_SYN_BUDGET] = "syn_budget",
	[XG_R_SYN_OVER] = "syn_over_budget",
	[XG_R_MALFORMED] = "malformed",
	[XG_R_COOKIE_SYN] = "cookie_syn",
	[XG_R_COOKIE_ACK] = "cookie_ack",
	[XG_R_COOKIE_BAD] = "cookie_bad",
	[XG_R_BAD_CSUM] = "bad_checksum",
	[XG_R_NO_LISTENER] = "no_listener",
	[XG_R_COOKIE_SKIP] = "cookie_skip",
};

const char *xg_verdict_name(int v)
{
	return v >= 0 && v < XG_V_MAX ? verdict_names[v] : "?";
}

const char *xg_reason_name(int r)
{
	return r >= 0 && r < XG_R_MAX ? reason_names[r] : "?";
}

const char *xg_state_name(int state)
{
	static const char *const names[] = { "ok", "xdp_gone", "moved",
					     "gone" };

	return state >= 0 && state <= XG_ST_GONE ? names[state] : "?";
}

/* What is wrong and what to do, in one line, for a state other than ok. */
const char *xg_state_advice(int state, const struct xg_iface *ifc,
			    const struct xg_info *in, char *buf, size_t len)
{
	switch (state) {
	case XG_ST_XDP_GONE:
		snprintf(buf, len, "PROTECTION OFF: the XDP program (id %u) is "
			 "no longer attached to %s (removed by another "
			 "tool?): run xdpguard detach %s, then attach it "
			 "again", in->prog_id, ifc->ifname, ifc->ifname);
		break;
	case XG_ST_MOVED:
		snprintf(buf, len, "MOVED: %s (ifindex %u) left this network "
			 "namespace; its XDP program (id %u) runs on there, "
			 "its tc programs went with the move: run xdpguard "
			 "detach %s here (it reaches the interface where it "
			 "is), then attach it where it is now", ifc->ifname,
			 in->ifindex, in->prog_id, ifc->ifname);
		break;
	case XG_ST_GONE:
		snprintf(buf, len, "INTERFACE GONE, and its XDP program with "
			 "it: the next command reclaims the pins");
		break;
	default:
		snprintf(buf, len, "ok");
	}
	return buf;
}

static __u32 map_count(int fd, size_t ksz)
{
	char key[64], next[64];
	__u32 n = 0;
	void *prev = NULL;

	if (ksz > sizeof(key))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		n++;
	}
	return n;
}

static __u32 map_count_named(const struct xg_iface *ifc, const char *name,
			     size_t ksz)
{
	int fd = xg_map_open(ifc, name);
	__u32 n;

	if (fd < 0)
		return 0;
	n = map_count(fd, ksz);
	close(fd);
	return n;
}

/* the lists' maps, their key sizes and config flags, by enum xg_list */
static const struct {
	const char *map;
	size_t ksz;
	__u32 flag;
} list_maps[XG_L_MAX] = {
	[XG_L_ALLOW4] = { XG_MAP_ALLOW4, sizeof(struct xg_lpm4), XG_F_ALLOW4 },
	[XG_L_ALLOW6] = { XG_MAP_ALLOW6, sizeof(struct xg_lpm6), XG_F_ALLOW6 },
	[XG_L_DENY4] = { XG_MAP_DENY4, sizeof(struct xg_lpm4), XG_F_DENY4 },
	[XG_L_DENY6] = { XG_MAP_DENY6, sizeof(struct xg_lpm6), XG_F_DENY6 },
};

/*
 * The lists' sizes (@st->cfg read), and which the program may not see
 * whole: a list with entries but its flag off, or a filter built from
 * another number of entries than the list has. The list was changed by
 * something other than xdpguard, and an entry may not apply.
 */
static void lists_count(const struct xg_iface *ifc, struct xg_stats *st)
{
	struct xg_list_filter *f = malloc(sizeof(*f));
	int bits = xg_map_open(ifc, XG_MAP_LIST_BITS);
	__u32 i, n;

	st->allow = st->deny = st->lists_stale = 0;
	for (i = 0; i < XG_L_MAX; i++) {
		n = map_count_named(ifc, list_maps[i].map, list_maps[i].ksz);
		if (i == XG_L_ALLOW4 || i == XG_L_ALLOW6)
			st->allow += n;
		else
			st->deny += n;
		if (n && !(st->cfg.flags & list_maps[i].flag))
			st->lists_stale |= 1U << i;
		if (f && bits >= 0 && !bpf_map_lookup_elem(bits, &i, f) &&
		    f->built && f->entries != n)
			st->lists_stale |= 1U << i;
	}
	if (bits >= 0)
		close(bits);
	free(f);
}

/*
 * An mmapable array map of @vsize-byte values (the source table's two
 * levels) mapped read only: one read of memory per slot instead of a
 * system call. NULL if it is not that or cannot be mapped; *n: entries.
 */
static const void *array_map(int fd, __u32 vsize, __u32 *n)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	void *p;

	*n = 0;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len) ||
	    mi.type != BPF_MAP_TYPE_ARRAY || mi.value_size != vsize)
		return NULL;
	p = mmap(NULL, (size_t)mi.max_entries * vsize, PROT_READ, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	*n = mi.max_entries;
	return p;
}

static void array_unmap(const void *p, __u32 n, __u32 vsize)
{
	if (p)
		munmap((void *)p, (size_t)n * vsize);
}

/* xg_buckets mapped read only (array_map()) */
const struct xg_bucket *xg_slots_map(int fd, __u32 *n)
{
	return array_map(fd, sizeof(struct xg_bucket), n);
}

void xg_slots_unmap(const struct xg_bucket *b, __u32 n)
{
	array_unmap(b, n, sizeof(*b));
}

/*
 * Slots held by a source (the sources tracked), 0 if unreadable: the
 * first level (xg_src_hot) says, for the holders that live there alone
 * and for those in xg_buckets.
 */
static __u32 slots_held(const struct xg_iface *ifc)
{
	const struct xg_src_hot *h;
	int fd = xg_map_open(ifc, XG_MAP_SRC_HOT);
	__u32 n, i, held = 0;

	if (fd < 0)
		return 0;
	h = array_map(fd, sizeof(*h), &n);
	close(fd);
	for (i = 0; i < n; i++)
		held += !!h[i].t;
	array_unmap(h, n, sizeof(*h));
	return held;
}

/* Everything status and export report about one attached interface. */
int xg_stats_read(const struct xg_iface *ifc, struct xg_stats *st)
{
	__u32 zero = 0;
	int fd, v, r;

	__u32 layout;

	memset(st, 0, sizeof(*st));
	if (xg_info_read_quiet(ifc, &st->info)) {
		if (xg_info_read_any(ifc, &st->info, &layout) == -1)
			xg_err("%s: pins in %s are incomplete; run xdpguard "
			       "detach %s to clean them up", ifc->ifname,
			       ifc->dir, ifc->ifname);
		else
			xg_info_read(ifc, &st->info);	/* says why */
		return -1;
	}
	fd = xg_map_open(ifc, XG_MAP_CONFIG);
	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &st->cfg)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	fd = xg_map_open(ifc, XG_MAP_COUNTERS);
	if (fd < 0 || xg_counters_read(fd, st->cnt, XG_C_SLOTS)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	st->gone = !ifc->ifindex || (__u32)ifc->ifindex != st->info.ifindex;
	if (!st->gone)
		st->state = xg_xdp_runs(ifc->ifindex, st->info.prog_id) != 0 ?
			    XG_ST_OK : XG_ST_XDP_GONE;
	else
		st->state = xg_prog_alive(st->info.prog_id) ? XG_ST_MOVED :
			    XG_ST_GONE;
	st->tracked = slots_held(ifc);
	st->ports = map_count_named(ifc, XG_MAP_PORTS, sizeof(__u16));
	lists_count(ifc, st);
	for (v = 0; v < XG_V_MAX; v++)
		for (r = 0; r < XG_R_MAX; r++)
			st->tot[v] += st->cnt[XG_COUNTER_IDX(v, r)].packets;
	return 0;
}


static bool map_empty(const struct xg_iface *ifc, const char *name)
{
	char key[64];
	int fd = xg_map_open(ifc, name);
	bool empty;

	if (fd < 0)
		return false;	/* unknown: keep looking it up */
	empty = bpf_map_get_next_key(fd, NULL, key) != 0;
	close(fd);
	return empty;
}

/* Rebuild the lists' filters (xg_list_bits) from the lists. */
static int sync_filters(const struct xg_iface *ifc)
{
	int fd[XG_L_MAX], bits, err = -1;
	__u32 i;

	for (i = 0; i < XG_L_MAX; i++)
		fd[i] = xg_map_open(ifc, list_maps[i].map);
	bits = xg_map_open(ifc, XG_MAP_LIST_BITS);
	if (bits >= 0)
		err = xg_list_filters_sync(bits, fd);
	if (err)
		xg_err("cannot update the list filters of %s: %s",
		       ifc->ifname, strerror(errno));
	if (bits >= 0)
		close(bits);
	for (i = 0; i < XG_L_MAX; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return err;
}

/*
 * Keep the XG_F_ALLOW4.. bits of the config and the lists' filters in
 * step with the maps: they let the fast path skip empty lists and the
 * sources no entry covers. Called under the lock after every change of a
 * list, of the port rules or of the cookie ports.
 */
int xg_sync_flags(const struct xg_iface *ifc)
{
	/* besides the lists (list_maps) */
	static const struct { const char *map; __u32 bit; } rules[] = {
		{ XG_MAP_PORTS, XG_F_PORTS },
		{ XG_MAP_COOKIE_PORTS, XG_F_COOKIES },
	};
	struct xg_config cfg;
	__u32 zero = 0, flags = 0;
	size_t i;
	int fd, err, ferr;

	ferr = sync_filters(ifc);
	for (i = 0; i < XG_L_MAX; i++)
		if (!map_empty(ifc, list_maps[i].map))
			flags |= list_maps[i].flag;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (!map_empty(ifc, rules[i].map))
			flags |= rules[i].bit;
	fd = xg_map_open(ifc, XG_MAP_CONFIG);
	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, &cfg);
	if (!err && (cfg.flags & XG_F_LISTS) != flags) {
		cfg.flags = (cfg.flags & ~XG_F_LISTS) | flags;
		err = bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY);
	}
	if (err)
		xg_err("cannot update the list flags of %s: %s", ifc->ifname,
		       strerror(errno));
	close(fd);
	return err ? err : ferr;
}

