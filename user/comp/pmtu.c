// SPDX-License-Identifier: GPL-2.0
/*
 * MSS clamping and PMTUD telemetry: the tc programs and the retransmission
 * tracepoint that `attach` adds to an interface (and `detach` removes),
 * `mss set|show`, `pmtu` and the printing of their ring-buffer records.
 *
 * attach: tc_mss.bpf.o is loaded with its maps pinned in the interface's
 * folder (reusing the XDP guard's config, counters and event ring there),
 * its two programs go on the interface's clsact ingress and egress hooks
 * (the qdisc is created when missing and then removed by detach); then the
 * interface's sock_retrans.bpf.o instance, loaded on the same maps, goes
 * in a slot of the host's one tcp:tcp_retransmit_skb program
 * (retrans_host.bpf.o, pinned in the pin root's XG_RT_DIR folder, made by
 * the first attach that needs it and removed with the last slot).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/pmtu.h>
#include "comp.h"
#include "tc_mss.skel.h"
#include "sock_retrans.skel.h"
#include "retrans_host.skel.h"

/* libbpf pins with the umask's mode: pins are 0600 here */
static void chmod_pins(const char *dir)
{
	struct dirent *de;
	char path[512];
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		chmod(path, 0600);
	}
	closedir(d);
}

static void tc_remove(int ifindex, struct xg_pm_info *info)
{
	struct xg_tc_pair p = { info->handle, info->priority, info->prog_id,
				&info->qdisc_created };

	xg_tc_pair_remove(ifindex, &p);
}

/* ---------------- the host's retransmission program ---------------- */

static void rt_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/" XG_RT_DIR "/%s", xg_pin_root(), name);
}

static int rt_get(const char *name)
{
	char path[512];

	rt_path(path, sizeof(path), name);
	return bpf_obj_get(path);
}

/*
 * The host's retransmission program's slots (*progs) and, unless @via is
 * NULL, its peer map (*via), as fds: 0, or -ENOENT when it is not there.
 * With @create it is first loaded, attached and pinned when missing (its
 * pinned maps reused when only the link was lost): -1 with a message if
 * that fails.
 */
static int rt_open(bool create, int *progs, int *via)
{
	struct retrans_host_bpf *rh = NULL;
	struct bpf_link *link = NULL;
	int fd, err, ret = -1, via_fd, *want = via;
	char path[512];

	if (!via)
		via = &via_fd;
	*progs = *via = -1;
	fd = rt_get(XG_PIN_RT_LINK);
	*progs = rt_get(XG_MAP_RT_PROGS);
	*via = rt_get(XG_MAP_RT_VIA);
	if (fd >= 0 && *progs >= 0 && *via >= 0) {
		close(fd);
		ret = 0;
		goto done;
	}
	xg_fds_close(&fd, progs, via, NULL);
	if (!create)
		return -ENOENT;

	snprintf(path, sizeof(path), "%s/" XG_RT_DIR, xg_pin_root());
	if (mkdir(path, 0700) && errno != EEXIST) {
		xg_err("cannot make %s: %s", path, strerror(errno));
		return -1;
	}
	/* a link left without its maps runs on maps nobody can fill */
	rt_path(path, sizeof(path), XG_PIN_RT_LINK);
	unlink(path);
	rh = retrans_host_bpf__open();
	if (!rh) {
		xg_err("cannot open the host retransmission program: %s",
		       strerror(errno));
		return -1;
	}
	rt_path(path, sizeof(path), XG_MAP_RT_PROGS);
	if (bpf_map__set_pin_path(rh->maps.xgh_rt_progs, path))
		goto out;
	rt_path(path, sizeof(path), XG_MAP_RT_VIA);
	if (bpf_map__set_pin_path(rh->maps.xgh_rt_via, path))
		goto out;
	err = retrans_host_bpf__load(rh);
	if (err) {
		xg_err("cannot load the host retransmission program: %s",
		       strerror(-err));
		goto out;
	}
	link = bpf_program__attach(rh->progs.xg_retrans_host);
	err = libbpf_get_error(link);
	if (err) {
		link = NULL;
		xg_err("cannot attach to tcp:tcp_retransmit_skb: %s "
		       "(attach --no-pmtu goes without)", strerror(-err));
		goto out;
	}
	rt_path(path, sizeof(path), XG_PIN_RT_LINK);
	if (bpf_link__pin(link, path)) {
		xg_err("cannot pin %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/" XG_RT_DIR, xg_pin_root());
	chmod_pins(path);
	*progs = dup(bpf_map__fd(rh->maps.xgh_rt_progs));
	*via = dup(bpf_map__fd(rh->maps.xgh_rt_via));
	if (*progs < 0 || *via < 0) {
		xg_err("cannot keep the retransmission maps: %s",
		       strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret)
		xg_fds_close(progs, via, NULL);
	bpf_link__destroy(link);	/* the pin keeps it attached */
	retrans_host_bpf__destroy(rh);
done:
	if (!ret && !want)
		close(*via);
	return ret;
}

/* The slot of @progs that holds program @id (0: the first free one), or -1. */
static int rt_slot(int progs, __u32 id)
{
	__u32 i, v;

	for (i = 0; i < XG_RT_SLOTS; i++) {
		if (bpf_map_lookup_elem(progs, &i, &v))
			v = 0;
		if (v == id)
			return i;
	}
	return -1;
}

/* Slots in use in @progs. */
static int rt_used(int progs)
{
	__u32 i, v;
	int n = 0;

	for (i = 0; i < XG_RT_SLOTS; i++)
		n += !bpf_map_lookup_elem(progs, &i, &v);
	return n;
}

/* Remove the host's retransmission program and its pins. */
static void rt_remove(void)
{
	static const char *const pins[] = {
		XG_PIN_RT_LINK, XG_MAP_RT_PROGS, XG_MAP_RT_VIA,
	};
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		rt_path(path, sizeof(path), pins[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/" XG_RT_DIR, xg_pin_root());
	rmdir(path);
}

/*
 * Take black-hole program @id out of the host's slots; the host program
 * goes with the last one. Nothing to do when it is not there.
 */
static void rt_release(__u32 id)
{
	int progs, slot;

	if (!id || rt_open(false, &progs, NULL))
		return;
	slot = rt_slot(progs, id);
	if (slot >= 0)
		bpf_map_delete_elem(progs, &slot);
	if (!rt_used(progs))
		rt_remove();
	close(progs);
}

/*
 * Whether black-hole program @id runs: in a slot of the host's
 * retransmission program, itself attached.
 */
bool xg_pmtu_rt_running(__u32 id)
{
	int progs;
	bool ok;

	if (rt_open(false, &progs, NULL))
		return false;
	ok = rt_slot(progs, id) >= 0;
	close(progs);
	return ok;
}

/*
 * Ids of the programs in the host's retransmission slots, in *ids
 * (malloc'd when the count returned is > 0); 0 when there is no host
 * program, -1 when out of memory.
 */
int xg_pmtu_rt_ids(__u32 **ids)
{
	__u32 i, v, *list;
	int progs, n = 0;

	*ids = NULL;
	if (rt_open(false, &progs, NULL))
		return 0;
	list = calloc(XG_RT_SLOTS, sizeof(*list));
	if (list)
		for (i = 0; i < XG_RT_SLOTS; i++)
			if (!bpf_map_lookup_elem(progs, &i, &v))
				list[n++] = v;
	close(progs);
	if (!list)
		return -1;
	if (!n)
		free(list);
	else
		*ids = list;
	return n;
}

/* the black-hole program ids the folders of the pin root record */
static int rt_recorded(__u32 **ids)
{
	struct xg_iface ifc = { .lock_fd = -1 };
	struct xg_pm_info pm;
	struct dirent *de;
	__u32 *list = NULL, *nl;
	int n = 0, cap = 0;
	DIR *d;

	*ids = NULL;
	d = opendir(xg_pin_root());
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;	/* not an interface's folder */
		snprintf(ifc.dir, sizeof(ifc.dir), "%s/%s", xg_pin_root(),
			 de->d_name);
		if (xg_map_get0(&ifc, XG_MAP_PM_INFO, &pm, sizeof(pm), true) ||
		    !pm.tp_prog_id)
			continue;
		if (n == cap) {
			nl = realloc(list, (cap ? cap * 2 : 64) * sizeof(*nl));
			if (!nl) {
				free(list);
				closedir(d);
				return -1;
			}
			list = nl;
			cap = cap ? cap * 2 : 64;
		}
		list[n++] = pm.tp_prog_id;
	}
	closedir(d);
	*ids = list;
	return n;
}

/*
 * Slots of the host's retransmission program whose program no folder
 * records (its folder was removed by hand, or an attach was killed before
 * recording it) are emptied, saying so; the host program goes with the
 * last slot. Recovery runs it, under the global lock, after the folders.
 */
void xg_pmtu_rt_reclaim(void)
{
	int progs, n, j;
	__u32 i, v, *ids;
	bool kept;

	if (rt_open(false, &progs, NULL))
		return;
	n = rt_recorded(&ids);
	for (i = 0; n >= 0 && i < XG_RT_SLOTS; i++) {
		if (bpf_map_lookup_elem(progs, &i, &v))
			continue;
		for (j = 0, kept = false; j < n && !kept; j++)
			kept = ids[j] == v;
		if (kept)
			continue;
		bpf_map_delete_elem(progs, &i);
		fprintf(stderr, "xdpguard: reclaimed slot %u of the host's "
			"tcp_retransmit_skb program: its black-hole program "
			"(id %u) belongs to no attached interface\n", i, v);
	}
	if (n >= 0 && !rt_used(progs))
		rt_remove();
	free(ids);
	close(progs);
}

/* The folder @dir is going away: its black-hole program leaves its slot. */
void xg_pmtu_release_dir(const char *dir)
{
	struct xg_iface ifc = { .lock_fd = -1 };
	struct xg_pm_info pm;

	snprintf(ifc.dir, sizeof(ifc.dir), "%s", dir);
	if (!xg_map_get0(&ifc, XG_MAP_PM_INFO, &pm, sizeof(pm), true))
		rt_release(pm.tp_prog_id);
}

/*
 * The tc programs, and the black-hole program when @tp, opened and loaded
 * on the xg_ maps of @ifc's folder, for slot @slot of the host's
 * retransmission program whose peer map is @via (-1: no black-hole
 * detection). At attach (@reuse false) maps not pinned yet are made and
 * pinned; at --replace (@reuse) every one must be pinned already and
 * match. 0, or -1 with a message and nothing kept.
 */
static int pm_load(const struct xg_iface *ifc, bool tp, int slot, int via,
		   bool reuse, struct tc_mss_bpf **tcp,
		   struct sock_retrans_bpf **srp)
{
	struct sock_retrans_bpf *sr = NULL;
	struct tc_mss_bpf *tc;
	const char *why = reuse ? " (their maps must match the running "
				  "version's)" : "";
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kconfig = xg_kconfig());
	__u64 cookie = xg_netns_cookie();
	int err;

	tc = tc_mss_bpf__open_opts(&oo);
	if (!tc) {
		xg_err("cannot open the tc programs: %s", strerror(errno));
		return -1;
	}
	tc->rodata->netns_cookie = cookie;
	tc->rodata->rt_slot = slot;
	err = via >= 0 ? bpf_map__reuse_fd(tc->maps.xgh_rt_via, via) :
			 bpf_map__set_max_entries(tc->maps.xgh_rt_via, 1);
	if (err) {
		xg_err("cannot reuse the host's retransmission map: %s",
		       strerror(-err));
		goto fail;
	}
	if (reuse ? xg_reuse_pins(tc->obj, ifc) : xg_pin_paths(tc->obj, ifc->dir))
		goto fail;
	err = tc_mss_bpf__load(tc);
	if (err) {
		xg_err("cannot load the tc programs: %s%s", strerror(-err),
		       why);
		goto fail;
	}
	if (tp) {
		sr = sock_retrans_bpf__open();
		if (!sr) {
			xg_err("cannot open the black-hole program: %s",
			       strerror(errno));
			goto fail;
		}
		sr->rodata->netns_cookie = cookie;
		sr->rodata->ifindex = ifc->ifindex;
		if (reuse ? xg_reuse_pins(sr->obj, ifc) :
			    xg_pin_paths(sr->obj, ifc->dir))
			goto fail;
		err = sock_retrans_bpf__load(sr);
		if (err) {
			xg_err("cannot load the black-hole program: %s%s",
			       strerror(-err), why);
			goto fail;
		}
	}
	*tcp = tc;
	*srp = sr;
	return 0;
fail:
	sock_retrans_bpf__destroy(sr);
	tc_mss_bpf__destroy(tc);
	return -1;
}

int xg_pmtu_attach(const char *ifname, int ifindex, const char *dir,
		   __u32 flags, __u32 threshold)
{
	struct xg_pm_cfg cfg = { .mode = XG_MSS_OFF, .dirs = XG_DIR_BOTH,
				 .flags = flags, .bh_threshold = threshold };
	struct sock_retrans_bpf *sr = NULL;
	struct tc_mss_bpf *tc = NULL;
	struct xg_pm_info info = { .ifindex = ifindex, .flags = flags };
	struct xg_tc_pair pair = { info.handle, info.priority, info.prog_id,
				   &info.qdisc_created };
	int fds[2];
	struct xg_iface ifc = { .lock_fd = -1, .ifindex = ifindex };
	struct bpf_prog_info pi;
	int fd, slot = -1, progs = -1, via = -1, ret = -1;
	__u32 zero = 0, len;

	snprintf(ifc.dir, sizeof(ifc.dir), "%s", dir);
	snprintf(ifc.ifname, sizeof(ifc.ifname), "%s", ifname);
	if (flags & XG_PM_F_BH) {
		if (rt_open(true, &progs, &via))
			goto out;
		slot = rt_slot(progs, 0);
		if (slot < 0) {
			xg_err("all %u slots of the host's retransmission "
			       "program are taken: attach %s with --no-pmtu, "
			       "or detach an interface", XG_RT_SLOTS, ifname);
			goto out;
		}
	}
	if (pm_load(&ifc, flags & XG_PM_F_BH, slot, via, false, &tc, &sr))
		goto out;
	if (bpf_map_update_elem(bpf_map__fd(tc->maps.xg_pm_cfg), &zero, &cfg,
				BPF_ANY)) {
		xg_err("cannot write the MSS/PMTU settings: %s",
		       strerror(errno));
		goto out;
	}
	fds[0] = bpf_program__fd(tc->progs.xg_tc_ingress);
	fds[1] = bpf_program__fd(tc->progs.xg_tc_egress);
	if (xg_tc_pair_attach(ifindex, ifname, "MSS/PTB", fds, &pair, NULL,
			      NULL))
		goto out;
	if (sr) {
		fd = bpf_program__fd(sr->progs.xg_retrans);
		memset(&pi, 0, sizeof(pi));
		len = sizeof(pi);
		if (bpf_obj_get_info_by_fd(fd, &pi, &len) ||
		    bpf_map_update_elem(progs, &slot, &fd, BPF_ANY)) {
			xg_err("cannot put the black-hole program in slot %d "
			       "of the host's retransmission program: %s",
			       slot, strerror(errno));
			goto out;
		}
		info.tp_prog_id = pi.id;
	}
	if (bpf_map_update_elem(bpf_map__fd(tc->maps.xg_pm_info), &zero, &info,
				BPF_ANY)) {
		xg_err("cannot write the tc attach facts: %s",
		       strerror(errno));
		goto out;
	}
	chmod_pins(dir);
	ret = 0;
out:
	if (ret) {
		tc_remove(ifindex, &info);
		if (progs >= 0 && info.tp_prog_id) {
			bpf_map_delete_elem(progs, &slot);
			info.tp_prog_id = 0;
		}
		if (progs >= 0 && !rt_used(progs))
			rt_remove();
	}
	xg_fds_close(&progs, &via, NULL);
	sock_retrans_bpf__destroy(sr);
	tc_mss_bpf__destroy(tc);
	return ret;
}

/*
 * Remove the tc filters (and the clsact qdisc if ours) and the black-hole
 * program's slot; pins go after.
 */
void xg_pmtu_detach(const struct xg_iface *ifc)
{
	struct xg_pm_info info;

	/* quietly: an interface may have been attached without tc */
	if (xg_map_get0(ifc, XG_MAP_PM_INFO, &info, sizeof(info), true))
		return;
	rt_release(info.tp_prog_id);
	if (!ifc->ifindex || (int)info.ifindex != ifc->ifindex)
		return;		/* the interface, and its qdisc, are gone */
	tc_remove(ifc->ifindex, &info);
}

/*
 * attach --replace: this binary's tc programs (and the black-hole program
 * when @pi says one runs) loaded on the maps pinned in @ifc's folder, for
 * the same slot of the host's retransmission program. Their fds in
 * *fd_in, *fd_eg, *fd_tp (-1: none); 0 or -1 with a message and nothing
 * kept.
 */
int xg_pmtu_load(const struct xg_iface *ifc, const struct xg_pm_info *pi,
		 int *fd_in, int *fd_eg, int *fd_tp)
{
	struct sock_retrans_bpf *sr = NULL;
	struct tc_mss_bpf *tc = NULL;
	int progs = -1, via = -1, slot = -1, ret = -1;

	*fd_in = *fd_eg = *fd_tp = -1;
	if (pi->tp_prog_id) {
		if (!rt_open(false, &progs, &via))
			slot = rt_slot(progs, pi->tp_prog_id);
		if (slot < 0) {
			xg_err("%s: its black-hole program (id %u) is not in "
			       "the host's retransmission program: detach and "
			       "attach again to restore it", ifc->ifname,
			       pi->tp_prog_id);
			goto out;
		}
	}
	if (pm_load(ifc, pi->tp_prog_id, slot, via, true, &tc, &sr))
		goto out;
	if (sr)
		*fd_tp = dup(bpf_program__fd(sr->progs.xg_retrans));
	*fd_in = dup(bpf_program__fd(tc->progs.xg_tc_ingress));
	*fd_eg = dup(bpf_program__fd(tc->progs.xg_tc_egress));
	if (*fd_in < 0 || *fd_eg < 0 || (pi->tp_prog_id && *fd_tp < 0)) {
		xg_err("cannot keep the new tc programs: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret)
		xg_fds_close(fd_in, fd_eg, fd_tp, NULL);
	xg_fds_close(&progs, &via, NULL);
	sock_retrans_bpf__destroy(sr);
	tc_mss_bpf__destroy(tc);
	return ret;
}

/*
 * attach --replace: black-hole program @old_id's slot now runs @fd (one
 * map update: a retransmission sees one or the other; fd arrays take
 * BPF_ANY only). 0, or -errno.
 */
int xg_pmtu_rt_swap(__u32 old_id, int fd)
{
	int progs, slot, err = 0;

	if (rt_open(false, &progs, NULL))
		return -ENOENT;
	slot = rt_slot(progs, old_id);
	if (slot < 0)
		err = -ENOENT;
	else if (bpf_map_update_elem(progs, &slot, &fd, BPF_ANY))
		err = -errno;
	close(progs);
	return err;
}

/* ---------------- shared readers ---------------- */

int xg_pm_cfg_rw(const struct xg_iface *ifc, struct xg_pm_cfg *cfg,
		  bool write)
{
	__u32 zero = 0;
	int fd, err;

	fd = xg_map_open(ifc, XG_MAP_PM_CFG);
	if (fd < 0)
		return -1;
	err = write ? bpf_map_update_elem(fd, &zero, cfg, BPF_ANY) :
		bpf_map_lookup_elem(fd, &zero, cfg);
	if (err)
		xg_err("cannot %s the MSS settings of %s: %s",
		       write ? "write" : "read", ifc->ifname, strerror(errno));
	close(fd);
	return err;
}

/* ---------------- its maps ---------------- */

static int dest_find(struct xg_pm_dest *d, int n, const struct xg_dst_key *k)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(&d[i].key, k, sizeof(*k)))
			return i;
	return -1;
}

/* Destinations with a PTB or a black-hole streak, and what they sent. */
int xg_pmtu_dests(const struct xg_iface *ifc, struct xg_pm_dest **out)
{
	static const char *const maps[] = { XG_MAP_PTB, XG_MAP_BH };
	struct xg_dst_key key, next;
	struct xg_pm_dest *d = NULL, *tmp;
	int fd, m, i, n = 0, cap = 0;
	bool have;

	for (m = 0; m < 2; m++) {
		fd = xg_map_open(ifc, maps[m]);
		if (fd < 0) {
			free(d);
			return -1;
		}
		have = false;
		while (!bpf_map_get_next_key(fd, have ? &key : NULL, &next)) {
			key = next;
			have = true;
			i = dest_find(d, n, &key);
			if (i < 0) {
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					tmp = realloc(d, cap * sizeof(*d));
					if (!tmp)
						break;
					d = tmp;
				}
				i = n++;
				memset(&d[i], 0, sizeof(d[i]));
				d[i].key = key;
			}
			if (m == 0)
				d[i].has_ptb = !bpf_map_lookup_elem(fd, &key,
								    &d[i].ptb);
			else
				d[i].has_bh = !bpf_map_lookup_elem(fd, &key,
								   &d[i].bh) &&
					d[i].bh.retrans;
		}
		close(fd);
	}
	fd = xg_map_open(ifc, XG_MAP_EGRESS);
	if (fd >= 0) {
		for (i = 0; i < n; i++)
			d[i].has_eg = !bpf_map_lookup_elem(fd, &d[i].key,
							   &d[i].eg);
		close(fd);
	}
	*out = d;
	return n;
}

