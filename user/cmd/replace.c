// SPDX-License-Identifier: GPL-2.0
/*
 * attach --replace: this binary's builds of every program on an attached
 * interface, swapped in on the maps already pinned there, so policy,
 * buckets, counters, cookie settings and the MSS/PTB/black-hole state
 * carry over. No swap leaves a moment without a program:
 *
 *  - XDP: one netlink call naming the old program (XDP_FLAGS_REPLACE); in
 *    libxdp's dispatcher the new program joins before the old one leaves
 *    (xg_guard_swap in attach.c);
 *  - tc (MSS/PTB ingress and egress, the cookie hand-off, DNS telemetry
 *    ingress and egress): cls_bpf swaps the program of the same filter
 *    (same handle and priority, BPF_TC_F_REPLACE) with one RCU pointer
 *    update;
 *  - DNS stale use (tp_btf/inet_sock_set_state): a tracing link cannot
 *    change its program, so a new link is pinned over the old one
 *    (xg_dns_tp_link), which goes with its pin: for that instant both
 *    run, and a stale use may be told twice;
 *  - tcp:tcp_retransmit_skb: bpf_link_update where the kernel can update
 *    the link (tracepoint links cannot, up to at least Linux 6.18: the
 *    call fails with EINVAL), else a new link is attached and pinned
 *    over the old one, which is released at once: for that instant both
 *    programs run, and a retransmission may be counted twice.
 *
 * Everything is loaded (and verified) first: a load failure changes
 * nothing. (Under libxdp's dispatcher, libxdp loads the XDP program when
 * it joins, the first swap: a failure there changes nothing either.) The
 * swaps then go one by one, each recorded at once where detach and
 * status read it (xg_info, xg_pm_info, xg_cookie_cfg, xg_dns_info). The
 * first failure stops the rest: the parts already swapped stay (they run
 * on the same maps as the others), the command says which part failed
 * and which were not tried, and exits 1; running it again finishes.
 * xg_info.replacing is set while swapping: a command that finds it set
 * (xg_recover) knows a replace was killed and records what the kernel
 * really runs (xg_replace_recover).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdpguard/pmtu.h>
#include "cmd.h"

/* in the order of the swaps */
enum { P_XDP, P_TC_IN, P_TC_EG, P_COOKIE, P_DNS_IN, P_DNS_EG, P_DNS_TP, P_TP,
       P_MAX };

static const char *const part_name[P_MAX] = {
	[P_XDP] = "xdp",
	[P_TC_IN] = "tc ingress",
	[P_TC_EG] = "tc egress",
	[P_COOKIE] = "tc cookie hand-off",
	[P_DNS_IN] = "dns ingress",
	[P_DNS_EG] = "dns egress",
	[P_DNS_TP] = "dns stale-use (inet_sock_set_state)",
	[P_TP] = "tcp_retransmit_skb",
};

enum part_state {
	S_NONE,		/* not on this interface */
	S_MISSING,	/* recorded, but not there as recorded */
	S_TODO,
	S_DONE,
	S_FAILED,
};

struct part {
	enum part_state state;
	int fd;			/* the new program */
	__u32 old_id, new_id;
};

/* What the pins record about the interface's programs. */
struct rec {
	struct xg_iface ifc;
	struct xg_info info;
	struct xg_pm_info pm;
	struct xg_cookie_cfg cc;
	struct xg_dns_info dns;
	bool has_pm, has_cc, has_dns;
	struct xg_guard_new *xdp;	/* the new XDP program */
	struct xg_dns_new *dnsn;	/* the new DNS programs */
};

static int rec_put(const struct xg_iface *ifc, const char *name,
		   const void *val)
{
	__u32 zero = 0;
	int fd, err;

	fd = xg_map_open(ifc, name);
	if (fd < 0)
		return -1;
	err = bpf_map_update_elem(fd, &zero, val, BPF_ANY);
	if (err)
		xg_err("cannot record the new program ids in %s: %s", name,
		       strerror(errno));
	close(fd);
	return err;
}

/* xg_info is required; the tc records exist when their parts were made */
static int rec_read(const struct xg_iface *ifc, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->ifc = *ifc;
	if (xg_info_read_quiet(ifc, &r->info))
		return -1;
	r->has_pm = !xg_map_get0(ifc, XG_MAP_PM_INFO, &r->pm, sizeof(r->pm),
				 true);
	r->has_cc = !xg_map_get0(ifc, XG_MAP_COOKIE_CFG, &r->cc,
				 sizeof(r->cc), true);
	r->has_dns = !xg_map_get0(ifc, XG_MAP_DNS_INFO, &r->dns,
				  sizeof(r->dns), true);
	return 0;
}

static __u32 fd_prog_id(int fd)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	return bpf_obj_get_info_by_fd(fd, &pi, &len) ? 0 : pi.id;
}

/* id of the map pinned as @name in @ifc's folder, 0 if none */
static __u32 pinned_map_id(const struct xg_iface *ifc, const char *name)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", ifc->dir, name);
	return xg_pinned_map_id(path);
}

/* program @prog_id uses map @map_id: it is one of this interface's */
static bool prog_uses(__u32 prog_id, __u32 map_id)
{
	struct bpf_prog_info pi = {};
	__u32 ids[64], len = sizeof(pi), i;
	int fd;
	bool found = false;

	if (!prog_id || !map_id)
		return false;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	pi.nr_map_ids = 64;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (!bpf_obj_get_info_by_fd(fd, &pi, &len))
		for (i = 0; i < pi.nr_map_ids && i < 64; i++)
			if (ids[i] == map_id)
				found = true;
	close(fd);
	return found;
}

/* the program of the cls_bpf filter @handle/@prio, 0 if there is none */
static __u32 tc_prog(int ifindex, bool egress, __u32 handle, __u32 prio)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = handle, .priority = prio);
	int err;

	if (!handle || !prio)
		return 0;
	xg_tc_quiet(true);
	err = bpf_tc_query(&hook, &q);
	xg_tc_quiet(false);
	return err ? 0 : q.prog_id;
}

/* the program in a slot of the host's retransmission program that uses
 * map @map_id (the folder's xg_pm_cfg), 0 if none */
static __u32 rt_owner(__u32 map_id)
{
	__u32 *ids, id = 0;
	int i, n = xg_pmtu_rt_ids(&ids);

	for (i = 0; i < n && !id; i++)
		if (prog_uses(ids[i], map_id))
			id = ids[i];
	if (n > 0)
		free(ids);
	return id;
}

/*
 * For tests/integration/replace.sh only: XDPGUARD_TEST_PAUSE_MS=N (1..1000)
 * pauses between every two steps of the swap phase, so that a SIGKILL
 * can land between any two of them.
 */
static void test_pause(void)
{
	static long ms = -1;
	const char *s;

	if (ms < 0) {
		s = getenv("XDPGUARD_TEST_PAUSE_MS");
		ms = s ? strtol(s, NULL, 10) : 0;
		if (ms < 0 || ms > 1000)
			ms = 0;
	}
	if (ms)
		usleep(ms * 1000);
}

/* Pin @fd as @name in @dir in one step: beside it first, then renamed. */
static int pin_over(const char *dir, const char *name, int fd)
{
	char path[400], tmp[420];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s:new", path);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	chmod(tmp, 0600);
	test_pause();
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/* ---------------- the swaps ---------------- */

static int swap_tc(int ifindex, bool egress, __u32 handle, __u32 prio,
		   struct part *p)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = handle, .priority = prio,
		    .prog_fd = p->fd, .flags = BPF_TC_F_REPLACE);
	int err;

	/* NLM_F_REPLACE would create the filter if it had gone meanwhile */
	if (tc_prog(ifindex, egress, handle, prio) != p->old_id)
		return -ESTALE;
	xg_tc_quiet(true);
	err = bpf_tc_attach(&hook, &o);
	xg_tc_quiet(false);
	if (err)
		return err;
	p->new_id = fd_prog_id(p->fd);
	return 0;
}

/* the black-hole program's slot in the host's retransmission program */
static int swap_tp(struct part *p)
{
	int err = xg_pmtu_rt_swap(p->old_id, p->fd);

	if (err)
		return err;
	p->new_id = fd_prog_id(p->fd);
	return 0;
}

/* ---------------- attach --replace ---------------- */

/* "xdp id 10 -> 20, tc ingress id 11 -> 21" of the parts in @state */
static void part_list(const struct part *p, enum part_state state,
		      char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < P_MAX && n < len; i++) {
		if (p[i].state != state)
			continue;
		if (state == S_DONE)
			n += snprintf(buf + n, len - n, "%s%s id %u -> %u",
				      n ? ", " : "", part_name[i],
				      p[i].old_id, p[i].new_id);
		else
			n += snprintf(buf + n, len - n, "%s%s (still id %u)",
				      n ? ", " : "", part_name[i],
				      p[i].old_id);
	}
}

/* What the interface should carry, from the records, checked. */
static void plan(struct rec *r, struct part *p)
{
	int i;

	for (i = 0; i < P_MAX; i++) {
		p[i].state = S_NONE;
		p[i].fd = -1;
	}
	p[P_XDP].state = S_TODO;
	p[P_XDP].old_id = r->info.prog_id;
	if (r->has_pm && r->pm.ifindex == (__u32)r->ifc.ifindex) {
		for (i = 0; i < 2; i++) {
			struct part *t = &p[i ? P_TC_EG : P_TC_IN];

			if (!r->pm.prog_id[i])
				continue;
			t->old_id = r->pm.prog_id[i];
			t->state = tc_prog(r->ifc.ifindex, i, r->pm.handle[i],
					   r->pm.priority[i]) == t->old_id ?
				   S_TODO : S_MISSING;
		}
		if (r->pm.tp_prog_id) {
			p[P_TP].old_id = r->pm.tp_prog_id;
			p[P_TP].state = xg_pmtu_rt_running(r->pm.tp_prog_id) ?
					S_TODO : S_MISSING;
		}
	}
	if (r->has_cc && (r->cc.flags & XG_CKF_TC) &&
	    r->cc.tc_ifindex == (__u32)r->ifc.ifindex) {
		p[P_COOKIE].old_id = r->cc.tc_prog_id;
		p[P_COOKIE].state = tc_prog(r->ifc.ifindex, false,
					    r->cc.tc_handle,
					    r->cc.tc_priority) ==
				    r->cc.tc_prog_id ? S_TODO : S_MISSING;
	}
	if (r->has_dns && r->dns.ifindex == (__u32)r->ifc.ifindex) {
		for (i = 0; i < 2; i++) {
			struct part *t = &p[i ? P_DNS_EG : P_DNS_IN];

			if (!r->dns.prog_id[i])
				continue;
			t->old_id = r->dns.prog_id[i];
			t->state = tc_prog(r->ifc.ifindex, i, r->dns.handle[i],
					   r->dns.priority[i]) == t->old_id ?
				   S_TODO : S_MISSING;
		}
		if (r->dns.tp_prog_id) {
			p[P_DNS_TP].old_id = r->dns.tp_prog_id;
			p[P_DNS_TP].state = xg_dns_tp_prog(&r->ifc) ==
					    r->dns.tp_prog_id ? S_TODO :
								S_MISSING;
		}
	}
}

static void missing_say(const struct rec *r, const struct part *p)
{
	static const char *const fix[P_MAX] = {
		[P_TC_IN] = "detach and attach again to restore it",
		[P_TC_EG] = "detach and attach again to restore it",
		[P_COOKIE] = "xdpguard cookies set attaches it again",
		[P_DNS_IN] = "detach and attach again to restore it",
		[P_DNS_EG] = "detach and attach again to restore it",
		[P_DNS_TP] = "detach and attach again to restore it",
		[P_TP] = "detach and attach again to restore it",
	};
	int i;

	for (i = 0; i < P_MAX; i++)
		if (p[i].state == S_MISSING)
			fprintf(stderr, "xdpguard: %s: the %s program (id %u) "
				"is no longer there as recorded: not replaced; "
				"%s\n", r->ifc.ifname, part_name[i],
				p[i].old_id, fix[i]);
}

/* Load every new program: all or nothing. */
static int load_all(struct rec *r, struct part *p)
{
	struct xg_pm_info pi;
	int fd_in, fd_eg, fd_tp, i;

	r->xdp = xg_guard_load(&r->ifc, &r->info);
	if (!r->xdp)
		return -1;
	if (p[P_TC_IN].state == S_TODO || p[P_TC_EG].state == S_TODO ||
	    p[P_TP].state == S_TODO) {
		pi = r->pm;
		if (p[P_TP].state != S_TODO)
			pi.tp_prog_id = 0;
		if (xg_pmtu_load(&r->ifc, &pi, &fd_in, &fd_eg, &fd_tp))
			return -1;
		p[P_TC_IN].fd = fd_in;
		p[P_TC_EG].fd = fd_eg;
		p[P_TP].fd = fd_tp;
	}
	if (p[P_COOKIE].state == S_TODO) {
		p[P_COOKIE].fd = xg_cookie_load(&r->ifc);
		if (p[P_COOKIE].fd < 0)
			return -1;
	}
	if (p[P_DNS_IN].state == S_TODO || p[P_DNS_EG].state == S_TODO ||
	    p[P_DNS_TP].state == S_TODO) {
		r->dnsn = xg_dns_load(&r->ifc);
		if (!r->dnsn)
			return -1;
		for (i = 0; i < 3; i++) {
			p[P_DNS_IN + i].fd = dup(xg_dns_new_fd(r->dnsn, i));
			if (p[P_DNS_IN + i].fd < 0) {
				xg_err("cannot keep the new DNS programs: %s",
				       strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

/* Swap part @i and record it; 0 or a negative errno. */
static int swap_one(struct rec *r, struct part *p, int i)
{
	int err, e, lfd;

	switch (i) {
	case P_XDP:
		err = xg_guard_swap(r->xdp, &r->ifc, &r->info, &p[i].new_id);
		test_pause();
		if (!err) {
			r->info.prog_id = p[i].new_id;
			err = rec_put(&r->ifc, XG_MAP_INFO, &r->info) ?
			      -EIO : 0;
		}
		return err;
	case P_TC_IN:
	case P_TC_EG:
		err = swap_tc(r->ifc.ifindex, i == P_TC_EG,
			      r->pm.handle[i == P_TC_EG],
			      r->pm.priority[i == P_TC_EG], &p[i]);
		test_pause();
		if (!err) {
			r->pm.prog_id[i == P_TC_EG] = p[i].new_id;
			err = rec_put(&r->ifc, XG_MAP_PM_INFO, &r->pm) ?
			      -EIO : 0;
		}
		return err;
	case P_COOKIE:
		err = swap_tc(r->ifc.ifindex, false, r->cc.tc_handle,
			      r->cc.tc_priority, &p[i]);
		test_pause();
		if (err)
			return err;
		r->cc.tc_prog_id = p[i].new_id;
		if (rec_put(&r->ifc, XG_MAP_COOKIE_CFG, &r->cc))
			return -EIO;
		/* the pinned program is the one the filter runs; the pin only
		 * names it, so a failure here is told and not fatal */
		err = pin_over(r->ifc.dir, XG_PIN_TC_COOKIE, p[i].fd);
		if (err)
			fprintf(stderr, "xdpguard: %s: cannot pin the new "
				"hand-off program: %s; the old one stays "
				"pinned until detach\n", r->ifc.ifname,
				strerror(-err));
		return 0;
	case P_DNS_IN:
	case P_DNS_EG:
		e = i == P_DNS_EG;
		err = swap_tc(r->ifc.ifindex, e, r->dns.handle[e],
			      r->dns.priority[e], &p[i]);
		test_pause();
		if (!err) {
			r->dns.prog_id[e] = p[i].new_id;
			err = rec_put(&r->ifc, XG_MAP_DNS_INFO, &r->dns) ?
			      -EIO : 0;
		}
		return err;
	case P_DNS_TP:
		/*
		 * A tracing link cannot change its program: a new link, pinned
		 * over the old one, which goes with its pin. For that instant
		 * both run (a stale use may be told twice); killed before the
		 * rename, the new link goes with the process and its
		 * "...:new" pin with the recovery.
		 */
		lfd = xg_dns_new_link(r->dnsn);
		if (lfd < 0)
			return lfd;
		test_pause();
		err = pin_over(r->ifc.dir, XG_PIN_DNS_TP, lfd);
		close(lfd);
		if (err)
			return err;
		p[i].new_id = fd_prog_id(p[i].fd);
		r->dns.tp_prog_id = p[i].new_id;
		return rec_put(&r->ifc, XG_MAP_DNS_INFO, &r->dns) ? -EIO : 0;
	case P_TP:
		err = swap_tp(&p[i]);
		test_pause();
		if (!err) {
			r->pm.tp_prog_id = p[i].new_id;
			err = rec_put(&r->ifc, XG_MAP_PM_INFO, &r->pm) ?
			      -EIO : 0;
		}
		return err;
	}
	return -EINVAL;
}

int xg_replace(const char *ifname, int ifindex, const char *dir)
{
	struct part p[P_MAX];
	struct xg_iface ifc = {};
	struct rec r;
	char done[700], failed[100], untried[500];
	int i, err = 0, ret = XG_EXIT_FAIL;

	snprintf(ifc.dir, sizeof(ifc.dir), "%s", dir);
	snprintf(ifc.ifname, sizeof(ifc.ifname), "%s", ifname);
	ifc.ifindex = ifindex;
	ifc.lock_fd = -1;
	if (rec_read(&ifc, &r)) {
		if (access(dir, F_OK)) {
			xg_err("%s is not attached: nothing to replace "
			       "(xdpguard attach %s)", ifname, ifname);
			return XG_EXIT_USAGE;
		}
		xg_info_read(&ifc, &r.info);	/* says why */
		return XG_EXIT_FAIL;
	}
	xg_quiet_libs();
	plan(&r, p);
	if (load_all(&r, p)) {
		fprintf(stderr, "xdpguard: %s: nothing changed\n", ifname);
		goto out;
	}
	missing_say(&r, p);

	/* from here a killed replace is recorded by the next command */
	r.info.replacing = 1;
	if (rec_put(&ifc, XG_MAP_INFO, &r.info))
		goto out;
	for (i = 0; i < P_MAX; i++) {
		if (p[i].state != S_TODO)
			continue;
		test_pause();
		err = swap_one(&r, p, i);
		if (err) {
			p[i].state = S_FAILED;
			xg_err("cannot replace the %s program on %s: %s",
			       part_name[i], ifname, strerror(-err));
			break;
		}
		p[i].state = S_DONE;
	}
	test_pause();
	r.info.replacing = 0;
	/* a record that cannot be written leaves the flag to the next
	 * command, which records what the interface runs */
	if (err != -EIO)
		rec_put(&ifc, XG_MAP_INFO, &r.info);

	part_list(p, S_DONE, done, sizeof(done));
	if (err) {
		part_list(p, S_FAILED, failed, sizeof(failed));
		part_list(p, S_TODO, untried, sizeof(untried));
		fprintf(stderr, "xdpguard: %s: replaced: %s; failed: %s%s%s; "
			"the programs replaced share the maps of the others: "
			"run xdpguard attach --replace %s again to finish\n",
			ifname, *done ? done : "none", failed,
			*untried ? "; not tried: " : "", untried, ifname);
		goto out;
	}
	printf("xdpguard: replaced the programs on %s (%s); policy, buckets, "
	       "counters, cookie settings, MSS/PMTU state and DNS tables "
	       "kept\n", ifname, done);
	ret = XG_EXIT_OK;
out:
	for (i = 0; i < P_MAX; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	xg_guard_free(r.xdp);
	xg_dns_new_free(r.dnsn);
	return ret;
}

/* ---------------- a replace that was killed ---------------- */

/*
 * The XDP program of ours on the interface: in the dispatcher the new
 * one may have joined without the old one leaving; the old one (still
 * recorded) leaves now.
 */
static __u32 xdp_ours(const struct rec *r, __u32 cfg_map)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	__u32 id, found = 0, old = 0;

	mp = xdp_multiprog__get_from_ifindex(r->ifc.ifindex);
	if (libxdp_get_error(mp) || !mp)
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), "xdpguard") &&
		    prog_uses(xdp_program__id(p), cfg_map))
			found = xdp_program__id(p);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			id = xdp_program__id(p);
			if (strcmp(xdp_program__name(p), "xdpguard") ||
			    !prog_uses(id, cfg_map))
				continue;
			if (id == r->info.prog_id)
				old = id;
			else
				found = id;
		}
	}
	xdp_multiprog__close(mp);
	if (found && old)
		xg_xdp_detach(r->ifc.ifindex, old);
	return found ? found : old;
}

void xg_replace_recover(const struct xg_iface *ifc)
{
	char tmp[420];
	__u32 id, map;
	struct rec r;
	int i, fd;

	if (rec_read(ifc, &r))
		return;
	if (ifc->ifindex && (__u32)ifc->ifindex == r.info.ifindex) {
		id = xdp_ours(&r, pinned_map_id(ifc, XG_MAP_CONFIG));
		if (id)
			r.info.prog_id = id;
		map = pinned_map_id(ifc, XG_MAP_PM_CFG);
		for (i = 0; r.has_pm && i < 2; i++) {
			id = tc_prog(ifc->ifindex, i, r.pm.handle[i],
				     r.pm.priority[i]);
			if (r.pm.prog_id[i] && prog_uses(id, map))
				r.pm.prog_id[i] = id;
		}
		if (r.has_pm && r.pm.tp_prog_id &&
		    !xg_pmtu_rt_running(r.pm.tp_prog_id) &&
		    (id = rt_owner(map)))
			r.pm.tp_prog_id = id;
		map = pinned_map_id(ifc, XG_MAP_COOKIE_CFG);
		id = r.has_cc && (r.cc.flags & XG_CKF_TC) ?
		     tc_prog(ifc->ifindex, false, r.cc.tc_handle,
			     r.cc.tc_priority) : 0;
		if (prog_uses(id, map)) {
			r.cc.tc_prog_id = id;
			fd = bpf_prog_get_fd_by_id(id);
			if (fd >= 0) {
				pin_over(ifc->dir, XG_PIN_TC_COOKIE, fd);
				close(fd);
			}
		}
		if (r.has_pm)
			rec_put(ifc, XG_MAP_PM_INFO, &r.pm);
		if (r.has_cc)
			rec_put(ifc, XG_MAP_COOKIE_CFG, &r.cc);
	}
	snprintf(tmp, sizeof(tmp), "%s/" XG_PIN_TC_COOKIE ":new", ifc->dir);
	unlink(tmp);
	/* a new stale-use link not renamed yet goes: the old one runs */
	snprintf(tmp, sizeof(tmp), "%s/" XG_PIN_DNS_TP ":new", ifc->dir);
	unlink(tmp);
	if (r.has_dns && ifc->ifindex &&
	    (__u32)ifc->ifindex == r.dns.ifindex) {
		map = pinned_map_id(ifc, XG_MAP_DNS_CFG);
		for (i = 0; i < 2; i++) {
			id = tc_prog(ifc->ifindex, i, r.dns.handle[i],
				     r.dns.priority[i]);
			if (r.dns.prog_id[i] && prog_uses(id, map))
				r.dns.prog_id[i] = id;
		}
		id = xg_dns_tp_prog(ifc);
		if (r.dns.tp_prog_id && id)
			r.dns.tp_prog_id = id;
		rec_put(ifc, XG_MAP_DNS_INFO, &r.dns);
	}
	r.info.replacing = 0;
	rec_put(ifc, XG_MAP_INFO, &r.info);
	fprintf(stderr, "xdpguard: an attach --replace of %s was "
		"interrupted; the programs it runs now are recorded (xdp id "
		"%u); xdpguard attach --replace %s finishes it\n",
		ifc->ifname, r.info.prog_id, ifc->ifname);
}
