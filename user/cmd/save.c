// SPDX-License-Identifier: GPL-2.0
/*
 * save / apply: the whole live policy of an interface as a text file, and
 * back. `apply` parses the whole file before touching anything, makes the
 * maps equal to it (entries already right are left alone, so applying the
 * same file twice changes nothing), and on any failure puts back the
 * policy it found: all or nothing.
 *
 * The file format is in policyfile.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <xdpguard/pmtu.h>
#include "cmd.h"

static const char *const list_map[2][2] = {
	{ XG_MAP_ALLOW4, XG_MAP_ALLOW6 },
	{ XG_MAP_DENY4, XG_MAP_DENY6 },
};

/* ---- maps -> policy ---- */

static int read_list(const struct xg_iface *ifc, struct xg_policy *p, int deny)
{
	union { struct xg_lpm4 k4; struct xg_lpm6 k6; } key, next;
	union { struct xg_allow_val a; struct xg_deny_val d; } v;
	__u64 now = xg_mono_ns();
	struct xg_cidr c;
	int fam, fd, err = 0;

	for (fam = 0; fam < 2 && !err; fam++) {
		bool have = false;

		fd = xg_map_open(ifc, list_map[deny][fam]);
		if (fd < 0)
			return -1;
		while (!err && !bpf_map_get_next_key(fd, have ? &key : NULL,
						     &next)) {
			key = next;
			have = true;
			if (bpf_map_lookup_elem(fd, &key, &v))
				continue;
			memset(&c, 0, sizeof(c));
			c.family = fam ? 6 : 4;
			c.prefixlen = fam ? key.k6.prefixlen : key.k4.prefixlen;
			memcpy(c.addr, fam ? (void *)key.k6.addr :
			       (void *)&key.k4.addr, fam ? 16 : 4);
			if (deny && v.d.expires_ns && v.d.expires_ns <= now)
				continue;	/* expired */
			err = xg_policy_add(p, deny, &c, deny ? v.d.expires_ns : 0);
		}
		close(fd);
	}
	return err;
}

/* Live entries of each journal map (expired deny entries included). */
struct used {
	__u32 n[XG_J_MAX];
};

static int map_count(int fd, size_t ksz)
{
	char key[32], next[32];
	int n = 0;

	while (!bpf_map_get_next_key(fd, n ? key : NULL, next)) {
		memcpy(key, next, ksz);
		n++;
	}
	return n;
}

static int policy_read(const struct xg_iface *ifc, struct xg_policy *p,
		       struct used *u)
{
	static const char *const lists[4] = {
		XG_MAP_ALLOW4, XG_MAP_ALLOW6, XG_MAP_DENY4, XG_MAP_DENY6,
	};
	static const size_t lksz[4] = {
		sizeof(struct xg_lpm4), sizeof(struct xg_lpm6),
		sizeof(struct xg_lpm4), sizeof(struct xg_lpm6),
	};
	__u16 key, next, *prev = NULL;
	struct xg_cookie_port cp;
	struct xg_config cfg;
	struct xg_pm_cfg pm;
	__u32 zero = 0;
	int fd, err, i;

	memset(p, 0, sizeof(*p));
	fd = xg_map_open(ifc, XG_MAP_CONFIG);
	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, &cfg);
	close(fd);
	if (err)
		return -1;
	p->rate = cfg.rate;
	p->dry_run = cfg.flags & XG_F_DRY_RUN;
	fd = xg_map_open(ifc, XG_MAP_PORTS);
	if (fd < 0)
		return -1;
	while (!bpf_map_get_next_key(fd, prev, &next) &&
	       p->nports < XG_MAX_PORT_RULES) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &p->ports[p->nports].r))
			continue;
		p->ports[p->nports++].port = key;
	}
	close(fd);
	fd = xg_map_open_quiet(ifc, XG_MAP_COOKIE_PORTS);
	for (prev = NULL; fd >= 0 && p->ncookies < XG_MAX_PORT_RULES &&
	     !bpf_map_get_next_key(fd, prev, &next);) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &cp) ||
		    (cp.mode != XG_CK_ON && cp.mode != XG_CK_AUTO))
			continue;
		p->cookies[p->ncookies].port = key;
		p->cookies[p->ncookies].mode = cp.mode;
		p->cookies[p->ncookies++].threshold =
			cp.mode == XG_CK_AUTO ? cp.threshold : 0;
	}
	if (fd >= 0)
		close(fd);
	if (!xg_map_get0(ifc, XG_MAP_PM_CFG, &pm, sizeof(pm), true)) {
		p->mss_mode = pm.mode;
		p->mss = pm.mode == XG_MSS_FIXED ? pm.mss : 0;
		p->mss_dirs = pm.mode == XG_MSS_OFF ? 0 : pm.dirs;
	}
	if (read_list(ifc, p, 0) || read_list(ifc, p, 1))
		return -1;
	if (u) {
		memset(u, 0, sizeof(*u));
		for (i = 0; i < 4; i++) {
			fd = xg_map_open(ifc, lists[i]);
			if (fd < 0)
				return -1;
			u->n[XG_J_ALLOW4 + i] = map_count(fd, lksz[i]);
			close(fd);
		}
		u->n[XG_J_PORTS] = p->nports;
		u->n[XG_J_COOKIE_PORTS] = p->ncookies;
	}
	xg_policy_sort(p);
	return 0;
}

/* ---- policy -> maps: a plan of single-key changes ---- */

/* The file keeps whole seconds: closer than that is the same expiry. */
static bool same_expiry(__u64 a, __u64 b)
{
	if (!a || !b)
		return a == b;
	return (a > b ? a - b : b - a) < 1500000000ULL;
}

struct op {
	__u8 map;		/* enum xg_jmap */
	char sign;		/* '+' new, '~' changed, '-' removed */
	__u8 key[20];
	__u8 val[64];		/* the new value ('+', '~') */
	char text[176];		/* for the report */
};

struct plan {
	struct op *op;
	int n, cap;
	int added, changed, removed;
	/* maps that cannot hold old and new at once: removals first */
	bool tight[XG_J_MAX];
	struct xg_journal *j;
};

static struct op *plan_add(struct plan *pl, int map, char sign,
			   const void *key, size_t ksz)
{
	struct op *o;

	if (pl->n == pl->cap) {
		int cap = pl->cap ? 2 * pl->cap : 256;

		o = realloc(pl->op, cap * sizeof(*o));
		if (!o)
			return NULL;
		pl->op = o;
		pl->cap = cap;
	}
	o = &pl->op[pl->n++];
	memset(o, 0, sizeof(*o));
	o->map = map;
	o->sign = sign;
	memcpy(o->key, key, ksz);
	if (sign == '+')
		pl->added++;
	else if (sign == '-')
		pl->removed++;
	else
		pl->changed++;
	return o;
}

static void fmt_until(__u64 exp, char *buf, size_t len)
{
	__u64 mono = xg_mono_ns(), real = xg_real_ns();
	char when[32];
	time_t t;

	if (!exp) {
		buf[0] = '\0';
		return;
	}
	t = (real + (exp > mono ? exp - mono : 0) + 500000000ULL) /
	    1000000000ULL;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	snprintf(buf, len, " until %s", when);
}

static void fmt_mss(__u32 mode, __u32 mss, __u32 dirs, char *buf, size_t len)
{
	static const char *const dn[] = { "none", "ingress", "egress", "both" };

	if (mode == XG_MSS_FIXED)
		snprintf(buf, len, "mss %u dir %s", mss, dn[dirs & 3]);
	else if (mode == XG_MSS_PMTU)
		snprintf(buf, len, "mss pmtu dir %s", dn[dirs & 3]);
	else
		snprintf(buf, len, "mss off");
}

static void fmt_cookie(const struct xg_cookie_rule *r, char *buf, size_t len)
{
	char port[16] = "default";

	if (r->port)
		snprintf(port, sizeof(port), "port %u", r->port);
	if (r->mode == XG_CK_AUTO)
		snprintf(buf, len, "cookies %s auto threshold %u", port,
			 r->threshold);
	else
		snprintf(buf, len, "cookies %s on", port);
}

#define OOM(o) do { if (!(o)) return -1; } while (0)

static int plan_lists(struct plan *pl, const struct xg_iface *ifc,
		      const struct xg_policy *cur, const struct xg_policy *want,
		      int deny)
{
	union { struct xg_lpm4 k4; struct xg_lpm6 k6; } key;
	union { struct xg_allow_val a; struct xg_deny_val d; } v;
	const struct xg_policy_entry *e;
	char cidr[64], u1[48], u2[48];
	int i, fd[2], jm, err = -1;
	struct op *o;
	__u64 exp;

	fd[0] = xg_map_open(ifc, list_map[deny][0]);
	fd[1] = xg_map_open(ifc, list_map[deny][1]);
	if (fd[0] < 0 || fd[1] < 0)
		goto out;
	for (i = 0; i < want->n[deny]; i++) {
		bool had;

		e = &want->list[deny][i];
		had = xg_policy_has(cur, deny, &e->c, &exp);
		if (had && (!deny || same_expiry(exp, e->expires_ns)))
			continue;
		jm = xg_jmap_of(deny, e->c.family);
		xg_lpm_key(&e->c, &key);
		memset(&v, 0, sizeof(v));
		/* an entry that only changes its expiry keeps its hits */
		bpf_map_lookup_elem(fd[e->c.family == 6], &key, &v);
		if (deny) {
			v.d.expires_ns = e->expires_ns;
			v.d.prefixlen = e->c.prefixlen;
		}
		o = plan_add(pl, jm, had ? '~' : '+', &key, sizeof(key));
		if (!o)
			goto out;
		memcpy(o->val, &v, sizeof(v));
		xg_format_cidr(&e->c, cidr, sizeof(cidr));
		fmt_until(e->expires_ns, u1, sizeof(u1));
		fmt_until(exp, u2, sizeof(u2));
		if (had)
			snprintf(o->text, sizeof(o->text), "%s %s%s (was%s)",
				 deny ? "deny" : "allow", cidr,
				 e->expires_ns ? u1 : " until never",
				 exp ? u2 : " until never");
		else
			snprintf(o->text, sizeof(o->text), "%s %s%s",
				 deny ? "deny" : "allow", cidr, u1);
	}
	for (i = 0; i < cur->n[deny]; i++) {
		e = &cur->list[deny][i];
		if (xg_policy_has(want, deny, &e->c, NULL))
			continue;
		xg_lpm_key(&e->c, &key);
		o = plan_add(pl, xg_jmap_of(deny, e->c.family), '-', &key,
			     sizeof(key));
		if (!o)
			goto out;
		xg_format_cidr(&e->c, cidr, sizeof(cidr));
		snprintf(o->text, sizeof(o->text), "%s %s",
			 deny ? "deny" : "allow", cidr);
	}
	err = 0;
out:
	if (fd[0] >= 0)
		close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	return err;
}

/* Every single-key change that makes @cur into @want, adds first. */
static int plan_make(struct plan *pl, const struct xg_iface *ifc,
		     const struct xg_policy *cur, const struct xg_policy *want,
		     const struct used *u)
{
	const struct xg_port_rule *pr;
	const struct xg_cookie_rule *cr;
	struct xg_cookie_port cp;
	struct xg_config cfg;
	struct xg_pm_cfg pm;
	__u32 zero = 0, add[XG_J_MAX] = {}, cap;
	char a[64], b[64];
	struct op *o;
	int i, fd, m;

	/* the default budget and dry-run: one record */
	if (xg_map_get0(ifc, XG_MAP_CONFIG, &cfg, sizeof(cfg), false))
		return -1;
	if (memcmp(&cfg.rate, &want->rate, sizeof(cfg.rate))) {
		OOM(o = plan_add(pl, XG_J_CONFIG, '~', &zero, sizeof(zero)));
		snprintf(o->text, sizeof(o->text), "rate default pps %u burst "
			 "%u (was pps %u burst %u)", want->rate.pps,
			 want->rate.burst, cfg.rate.pps, cfg.rate.burst);
	}
	if (!!(cfg.flags & XG_F_DRY_RUN) != want->dry_run) {
		OOM(o = plan_add(pl, XG_J_CONFIG, '~', &zero, sizeof(zero)));
		snprintf(o->text, sizeof(o->text), "dry-run %s (was %s)",
			 want->dry_run ? "on" : "off",
			 want->dry_run ? "off" : "on");
	}
	cfg.rate = want->rate;
	cfg.flags = (cfg.flags & ~XG_F_DRY_RUN) |
		    (want->dry_run ? XG_F_DRY_RUN : 0);
	for (i = 0; i < pl->n; i++)
		memcpy(pl->op[i].val, &cfg, sizeof(cfg));

	/* MSS clamping */
	if (!xg_map_get0(ifc, XG_MAP_PM_CFG, &pm, sizeof(pm), true)) {
		if (pm.mode != want->mss_mode ||
		    (want->mss_mode == XG_MSS_FIXED && pm.mss != want->mss) ||
		    (want->mss_mode != XG_MSS_OFF && pm.dirs != want->mss_dirs)) {
			fmt_mss(want->mss_mode, want->mss, want->mss_dirs, a,
				sizeof(a));
			fmt_mss(pm.mode, pm.mss, pm.dirs, b, sizeof(b));
			OOM(o = plan_add(pl, XG_J_PM_CFG, '~', &zero,
					 sizeof(zero)));
			snprintf(o->text, sizeof(o->text), "%s (was %s)", a,
				 b + 4);
			pm.mode = want->mss_mode;
			pm.mss = want->mss;
			if (want->mss_mode != XG_MSS_OFF)
				pm.dirs = want->mss_dirs;
			memcpy(o->val, &pm, sizeof(pm));
		}
	} else if (want->mss_mode != XG_MSS_OFF) {
		xg_err("%s has no MSS clamp attached (its pins lack "
		       XG_MAP_PM_CFG "): cannot apply 'mss'; nothing changed",
		       ifc->ifname);
		errno = ENOENT;
		return -2;
	}

	/* per-port budgets */
	for (i = 0; i < want->nports; i++) {
		pr = xg_policy_port(cur, want->ports[i].port);
		if (pr && !memcmp(&pr->r, &want->ports[i].r, sizeof(pr->r)))
			continue;
		OOM(o = plan_add(pl, XG_J_PORTS, pr ? '~' : '+',
				 &want->ports[i].port, sizeof(__u16)));
		memcpy(o->val, &want->ports[i].r, sizeof(struct xg_rate));
		snprintf(o->text, sizeof(o->text), "rate port %u pps %u burst "
			 "%u", want->ports[i].port, want->ports[i].r.pps,
			 want->ports[i].r.burst);
		if (pr)
			snprintf(o->text + strlen(o->text),
				 sizeof(o->text) - strlen(o->text),
				 " (was pps %u burst %u)", pr->r.pps,
				 pr->r.burst);
		add[XG_J_PORTS] += !pr;
	}
	for (i = 0; i < cur->nports; i++)
		if (!xg_policy_port(want, cur->ports[i].port)) {
			OOM(o = plan_add(pl, XG_J_PORTS, '-',
					 &cur->ports[i].port, sizeof(__u16)));
			snprintf(o->text, sizeof(o->text), "rate port %u",
				 cur->ports[i].port);
		}

	/* SYN cookies */
	fd = xg_map_open_quiet(ifc, XG_MAP_COOKIE_PORTS);
	if (fd < 0 && want->ncookies) {
		xg_err("%s has no SYN cookie maps (attached by an older "
		       "xdpguard?): cannot apply 'cookies'; nothing changed",
		       ifc->ifname);
		errno = ENOENT;
		return -2;
	}
	for (i = 0; i < want->ncookies; i++) {
		const struct xg_cookie_rule *w = &want->cookies[i];

		cr = xg_policy_cookie(cur, w->port);
		if (cr && cr->mode == w->mode && cr->threshold == w->threshold)
			continue;
		memset(&cp, 0, sizeof(cp));
		/* keep the live auto state while the mode stays */
		if (bpf_map_lookup_elem(fd, &w->port, &cp) || cp.mode != w->mode)
			memset(&cp, 0, sizeof(cp));
		cp.mode = w->mode;
		cp.threshold = w->mode == XG_CK_AUTO ? w->threshold : 0;
		OOM(o = plan_add(pl, XG_J_COOKIE_PORTS, cr ? '~' : '+',
				 &w->port, sizeof(__u16)));
		memcpy(o->val, &cp, sizeof(cp));
		fmt_cookie(w, o->text, sizeof(o->text));
		if (cr && cr->mode == XG_CK_AUTO)
			snprintf(o->text + strlen(o->text),
				 sizeof(o->text) - strlen(o->text),
				 " (was auto threshold %u)", cr->threshold);
		else if (cr)
			snprintf(o->text + strlen(o->text),
				 sizeof(o->text) - strlen(o->text),
				 " (was on)");
		add[XG_J_COOKIE_PORTS] += !cr;
	}
	if (fd >= 0)
		close(fd);
	for (i = 0; i < cur->ncookies; i++)
		if (!xg_policy_cookie(want, cur->cookies[i].port)) {
			OOM(o = plan_add(pl, XG_J_COOKIE_PORTS, '-',
					 &cur->cookies[i].port, sizeof(__u16)));
			fmt_cookie(&cur->cookies[i], o->text, sizeof(o->text));
		}

	/* allow and deny */
	if (plan_lists(pl, ifc, cur, want, 0) ||
	    plan_lists(pl, ifc, cur, want, 1))
		return -1;
	for (i = 0; i < pl->n; i++)
		if (pl->op[i].sign == '+' && pl->op[i].map <= XG_J_DENY6)
			add[pl->op[i].map]++;
	for (m = 0; m < XG_J_MAX; m++) {
		cap = m <= XG_J_DENY6 ? XG_MAX_LPM : XG_MAX_PORT_RULES;
		pl->tight[m] = u->n[m] + add[m] > cap;
	}
	return 0;
}

static const char *const jmap_word[XG_J_MAX] = {
	[XG_J_ALLOW4] = "allow (IPv4)", [XG_J_ALLOW6] = "allow (IPv6)",
	[XG_J_DENY4] = "deny (IPv4)", [XG_J_DENY6] = "deny (IPv6)",
	[XG_J_PORTS] = "port rate", [XG_J_COOKIE_PORTS] = "cookie port",
};

static int op_do(const struct xg_journal *j, const struct op *o)
{
	int fd = j->fd[o->map];

	if (o->sign == '-')
		return bpf_map_delete_elem(fd, o->key) && errno != ENOENT ?
		       -1 : 0;
	return bpf_map_update_elem(fd, o->key, o->val, BPF_ANY);
}

/*
 * Carry out the plan: new and changed entries first, then removals, so a
 * prefix swapped for another is never unprotected in between (every packet
 * meets the old verdict or the new one). A list that cannot hold old and
 * new at once has its removals first, and says so.
 */
static int plan_run(const struct plan *pl, const struct xg_iface *ifc)
{
	const struct op *o;
	char buf[64];
	int i, phase, m;

	for (m = 0; m < XG_J_MAX; m++)
		if (pl->tight[m])
			fprintf(stderr, "xdpguard: %s: the %s list cannot hold "
				"its old and new entries at once: removing "
				"before adding there (its swapped entries are "
				"unprotected for a moment)\n", ifc->ifname,
				jmap_word[m]);
	for (phase = 0; phase < 3; phase++) {
		for (i = 0; i < pl->n; i++) {
			o = &pl->op[i];
			if (phase == 0 ? o->sign != '-' || !pl->tight[o->map] :
			    phase == 1 ? o->sign == '-' :
			    o->sign != '-' || pl->tight[o->map])
				continue;
			if (op_do(pl->j, o)) {
				snprintf(buf, sizeof(buf), "%s", strerror(errno));
				xg_err("cannot %s '%s' on %s: %s%s", o->sign ==
				       '-' ? "remove" : "write", o->text,
				       ifc->ifname, buf, errno == ENOSPC ||
				       errno == E2BIG ? " (list full)" : "");
				return -1;
			}
		}
		/* new lists count from now on, emptied ones at the end */
		if (phase == 1 && xg_sync_flags(ifc))
			return -1;
	}
	return xg_sync_flags(ifc);
}

static void plan_print(const struct plan *pl, FILE *f)
{
	int i;

	for (i = 0; i < pl->n; i++)
		fprintf(f, "%c %s\n", pl->op[i].sign, pl->op[i].text);
}

/* apply --json: one interface's changes (or would-be changes) */
static void plan_json(const struct plan *pl, const struct xg_iface *ifc,
		      struct xg_jw *w)
{
	int i;

	xg_jw_object(w);
	xg_jw_str_field(w, "interface", ifc->ifname);
	xg_jw_u64_field(w, "added", pl->added);
	xg_jw_u64_field(w, "changed", pl->changed);
	xg_jw_u64_field(w, "removed", pl->removed);
	xg_jw_name(w, "changes");
	xg_jw_array(w);
	for (i = 0; i < pl->n; i++) {
		xg_jw_object(w);
		xg_jw_str_field(w, "op", pl->op[i].sign == '+' ? "add" :
				pl->op[i].sign == '-' ? "remove" : "change");
		xg_jw_str_field(w, "statement", pl->op[i].text);
		xg_jw_object_end(w);
	}
	xg_jw_array_end(w);
	xg_jw_object_end(w);
}

static int journal_plan(struct xg_journal *j, const struct plan *pl)
{
	int i;

	for (i = 0; i < pl->n; i++) {
		/* the config record appears once per setting: note it once */
		if (i && pl->op[i].map == XG_J_CONFIG &&
		    pl->op[i - 1].map == XG_J_CONFIG)
			continue;
		if (xg_journal_note(j, pl->op[i].map, pl->op[i].key))
			return -1;
	}
	return xg_journal_begin(j);
}

/* ---- text ---- */

/* What save writes of one interface, read whole before a line is printed */
struct saved {
	struct xg_iface *ifc;
	struct xg_policy p;
	struct xg_info info;
	struct xg_config cfg;
	struct xg_pm_cfg pm;
	bool have_pm;
};

static void print_policy(const struct saved *sv, bool section)
{
	const struct xg_policy *p = &sv->p;
	const struct xg_pm_cfg *pm = sv->have_pm ? &sv->pm : NULL;
	const struct xg_info *info = &sv->info;
	const struct xg_config *cfg = &sv->cfg;
	struct xg_dns_settings ds;
	char buf[64], when[32];
	time_t t;
	int i, d;

	t = xg_real_ns() / 1000000000ULL;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (section)
		printf("\ninterface %s\n", sv->ifc->ifname);
	printf("# xdpguard policy of %s, saved %s\n", sv->ifc->ifname, when);
	printf("# apply checks 'attached' (fixed at attach: not applied)\n");
	printf("attached sources %u prefix4 %u prefix6 %u pmtu %s "
	       "blackhole-after %u event-budget %u", info->sources,
	       info->prefix4, info->prefix6,
	       pm && pm->flags ? "on" : "off", pm ? pm->bh_threshold : 0,
	       cfg->event_budget);
	if (xg_dns_settings_read(sv->ifc, &ds))
		printf(" dns off\n");
	else
		printf(" dns on dns-servers %u dns-names %u dns-timeout %u "
		       "dns-ttl-short %u dns-ttl-long %u dns-pending %u "
		       "dns-tc-window %u\n", ds.servers, ds.names,
		       ds.timeout_s, ds.ttl_short, ds.ttl_long, ds.pending,
		       ds.tc_window_s);
	printf("rate default pps %u burst %u\n", p->rate.pps, p->rate.burst);
	for (i = 0; i < p->nports; i++)
		printf("rate port %u pps %u burst %u\n", p->ports[i].port,
		       p->ports[i].r.pps, p->ports[i].r.burst);
	for (d = 0; d < 2; d++)
		for (i = 0; i < p->n[d]; i++) {
			const struct xg_policy_entry *e = &p->list[d][i];

			xg_format_cidr(&e->c, buf, sizeof(buf));
			fmt_until(d ? e->expires_ns : 0, when, sizeof(when) +
				  0);
			printf("%s %s%s\n", d ? "deny" : "allow", buf,
			       d ? when : "");
		}
	for (i = 0; i < p->ncookies; i++) {
		fmt_cookie(&p->cookies[i], buf, sizeof(buf));
		printf("%s\n", buf);
	}
	fmt_mss(p->mss_mode, p->mss, p->mss_dirs, buf, sizeof(buf));
	printf("%s\n", buf);
	printf("dry-run %s\n", p->dry_run ? "on" : "off");
	printf("end\n");
}

static const char save_usage[] =
	"usage: xdpguard save [-i IFACE] > FILE\n"
	"  writes the whole policy (budgets, allow/deny, SYN cookies, MSS, "
	"dry-run),\n"
	"  ending with 'end'; xdpguard apply -f FILE puts it back. Without "
	"-i: every\n"
	"  interface attached here, one 'interface NAME' section each\n";

static const char apply_usage[] =
	"usage: xdpguard apply [-i IFACE] -f FILE [--dry-run] [--json]\n"
	"  FILE: as written by xdpguard save (- reads standard input): the "
	"whole\n"
	"        policy, ending with 'end'; anything else is refused, "
	"nothing changed\n"
	"  a file of sections applies each to its interface (with -i: that "
	"one only)\n"
	"  --dry-run prints the changes, one a line (+ new, ~ changed, - "
	"removed)\n";

struct file_opts {
	const char *ifname, *file;
	bool dry, json;
};

static const struct xg_opt save_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct file_opts, ifname),
	  .arg = "IFACE" },
	{}
};

static const struct xg_opt apply_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct file_opts, ifname),
	  .arg = "IFACE" },
	{ "file", 'f', XG_OPT_STR, offsetof(struct file_opts, file),
	  .arg = "FILE", .help = "the policy file; - reads standard input" },
	{ "dry-run", 'n', XG_OPT_FLAG, offsetof(struct file_opts, dry),
	  .help = "print the changes, change nothing" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct file_opts, json),
	  .help = "the changes as JSON" },
	{}
};

/*
 * save: -i IFACE writes that interface's policy, a file for any interface;
 * without -i every interface attached in this namespace, each in its
 * section, after 'interfaces N' (so that a file cut between two sections
 * is refused too). Everything is read before the first line is written.
 */
int cmd_save(int argc, char **argv)
{
	struct file_opts o = {};
	struct xg_iface one, *list = NULL;
	struct saved *sv = NULL;
	int ret, lock = -1, n, i;

	xg_cmd = "save";
	ret = xg_opts_only(argc, argv, NULL, save_opts, &o, NULL, save_usage);
	if (ret >= 0)
		return ret;
	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	n = xg_iface_some(o.ifname, &one, &list);
	if (n < 0) {
		list = NULL;
		ret = -n;
		goto out;
	}
	ret = XG_EXIT_FAIL;
	sv = calloc(n, sizeof(*sv));
	if (!sv)
		goto out;
	for (i = 0; i < n; i++) {
		sv[i].ifc = &list[i];
		sv[i].have_pm = !xg_map_get0(&list[i], XG_MAP_PM_CFG, &sv[i].pm,
					     sizeof(sv[i].pm), true);
		if (xg_info_read(&list[i], &sv[i].info) ||
		    xg_map_get0(&list[i], XG_MAP_CONFIG, &sv[i].cfg,
				sizeof(sv[i].cfg), false) ||
		    policy_read(&list[i], &sv[i].p, NULL)) {
			xg_err("cannot read the policy of %s; nothing written",
			       list[i].ifname);
			goto out;
		}
	}
	if (!o.ifname)
		printf("# xdpguard policies of the %d interface%s attached in "
		       "this network namespace\ninterfaces %d\n", n,
		       n == 1 ? "" : "s", n);
	for (i = 0; i < n; i++)
		print_policy(&sv[i], !o.ifname);
	/* a save cut short (disk full, closed pipe) has no 'end' */
	ret = fflush(stdout) || ferror(stdout) ? XG_EXIT_FAIL : XG_EXIT_OK;
	if (ret)
		xg_err("cannot write the policy: %s", strerror(errno));
out:
	for (i = 0; sv && i < n; i++)
		xg_policy_free(&sv[i].p);
	free(sv);
	if (list && list != &one)
		free(list);
	xg_unlock(lock);
	return ret;
}

/* 'attached': settings apply cannot change; say where they differ. */
/*
 * The settings fixed at attach in which @ifc's guard differs from @a, as
 * " --sources 65536 (here 1024)..." in @diff ("" when none). 0, or -1
 * when its pins cannot be read. attach --ensure and apply say them.
 */
int xg_attached_diff(const struct xg_iface *ifc, const struct xg_attached *a,
		     char *diff, size_t len)
{
	struct xg_info info;
	struct xg_config cfg;
	struct xg_pm_cfg pm = {};
	struct xg_dns_settings ds;
	bool dns;
	size_t l;

	diff[0] = 0;
	if (xg_info_read(ifc, &info) ||
	    xg_map_get0(ifc, XG_MAP_CONFIG, &cfg, sizeof(cfg), false))
		return -1;
	xg_map_get0(ifc, XG_MAP_PM_CFG, &pm, sizeof(pm), true);
#define DIFF(cond, ...) do {						\
		l = strlen(diff);					\
		if (cond)						\
			snprintf(diff + l, len - l, __VA_ARGS__);	\
	} while (0)
	DIFF(a->sources != info.sources, " --sources %u (here %u)",
	     a->sources, info.sources);
	DIFF(a->prefix4 != info.prefix4, " --prefix4 %u (here %u)",
	     a->prefix4, info.prefix4);
	DIFF(a->prefix6 != info.prefix6, " --prefix6 %u (here %u)",
	     a->prefix6, info.prefix6);
	DIFF(!a->pmtu != !pm.flags, " %s (here %s)",
	     a->pmtu ? "with PMTU telemetry" : "--no-pmtu",
	     pm.flags ? "with it" : "without");
	DIFF(a->pmtu && pm.flags && a->bh_threshold != pm.bh_threshold,
	     " --blackhole-after %u (here %u)", a->bh_threshold,
	     pm.bh_threshold);
	DIFF(a->event_budget != cfg.event_budget, " --event-budget %u (here "
	     "%u)", a->event_budget, cfg.event_budget);
	dns = !xg_dns_settings_read(ifc, &ds);
	DIFF(a->has_dns && a->dns != dns, " %s (here %s)",
	     a->dns ? "with DNS telemetry" : "--no-dns",
	     dns ? "with it" : "without");
	if (a->has_dns && a->dns && dns) {
		DIFF(a->dns_servers != ds.servers, " --dns-servers %u (here "
		     "%u)", a->dns_servers, ds.servers);
		DIFF(a->dns_names != ds.names, " --dns-names %u (here %u)",
		     a->dns_names, ds.names);
		DIFF(a->dns_timeout != ds.timeout_s, " --dns-timeout %u (here "
		     "%u)", a->dns_timeout, ds.timeout_s);
		DIFF(a->dns_ttl_short != ds.ttl_short, " --dns-ttl-short %u "
		     "(here %u)", a->dns_ttl_short, ds.ttl_short);
		DIFF(a->dns_ttl_long != ds.ttl_long, " --dns-ttl-long %u (here "
		     "%u)", a->dns_ttl_long, ds.ttl_long);
		/* files saved before these were settable say nothing */
		DIFF(a->dns_pending && a->dns_pending != ds.pending,
		     " --dns-pending %u (here %u)", a->dns_pending, ds.pending);
		DIFF(a->dns_tc_window && a->dns_tc_window != ds.tc_window_s,
		     " --dns-tc-window %u (here %u)", a->dns_tc_window,
		     ds.tc_window_s);
	}
#undef DIFF
	return 0;
}

static void check_attached(const struct xg_iface *ifc, const char *file,
			   const struct xg_attached *a)
{
	char diff[600];

	if (!xg_attached_diff(ifc, a, diff, sizeof(diff)) && diff[0])
		fprintf(stderr, "xdpguard: %s: note: %s was saved from a guard "
			"attached with%s; those are fixed at attach and not "
			"applied (detach and attach with them to match)\n",
			ifc->ifname, file, diff);
}

/* One interface's part of an apply: its target, its plan, its journal. */
struct job {
	struct xg_iface ifc;
	const struct xg_policy *want;
	struct xg_policy cur;
	struct used u;
	struct xg_journal j;
	struct plan pl;
	bool jopen, begun, tc_new;
};

/* The interfaces @pf goes to: -i's section, or every section, or the one. */
static int jobs_make(const struct xg_policy_file *pf, const char *ifname,
		     const char *file, struct job **jobs, int *njobs)
{
	const struct xg_policy_sec *sec;
	int n = pf->named && !ifname ? pf->n : 1, i, ret;
	struct job *jb;

	if (pf->named && ifname && !xg_policy_file_find(pf, ifname)) {
		fprintf(stderr, "xdpguard apply: %s has no section for %s (it "
			"has:", file, ifname);
		for (i = 0; i < pf->n; i++)
			fprintf(stderr, " %s", pf->sec[i].ifname);
		fprintf(stderr, "); nothing applied\n");
		return XG_EXIT_USAGE;
	}
	jb = calloc(n, sizeof(*jb));
	if (!jb)
		return XG_EXIT_FAIL;
	*jobs = jb;
	*njobs = n;
	for (i = 0; i < n; i++) {
		jb[i].j.ufd = -1;
		jb[i].pl.j = &jb[i].j;
		if (!pf->named) {
			sec = &pf->sec[0];
			ret = xg_iface_resolve(ifname, &jb[i].ifc);
		} else {
			sec = ifname ? xg_policy_file_find(pf, ifname) :
				       &pf->sec[i];
			ret = xg_iface_resolve(sec->ifname, &jb[i].ifc);
		}
		if (ret) {
			if (pf->named)
				fprintf(stderr, "xdpguard apply: %s:%d: the "
					"section of %s cannot be applied; "
					"nothing applied\n", file, sec->line,
					sec->ifname);
			return ret;
		}
		jb[i].want = &sec->p;
	}
	return 0;
}

static void jobs_free(struct job *jb, int n, bool failed)
{
	int i;

	for (i = 0; jb && i < n; i++) {
		if (failed && jb[i].tc_new)
			xg_cookie_unprepare(&jb[i].ifc);
		if (jb[i].begun)
			xg_journal_end(&jb[i].j);
		if (jb[i].jopen)
			xg_journal_close(&jb[i].j);
		free(jb[i].pl.op);
		xg_policy_free(&jb[i].cur);
	}
	free(jb);
}

static void report(const struct job *jb, int n, const char *file, bool dry,
		   bool applied, bool json)
{
	struct xg_jw *w;
	int i;

	if (!json) {
		for (i = 0; i < n; i++) {
			const struct plan *pl = &jb[i].pl;

			plan_print(pl, stdout);
			if (dry)
				printf("xdpguard: %s: %s would make %d change%s "
				       "(%d new, %d changed, %d removed); "
				       "nothing changed (--dry-run)\n",
				       jb[i].ifc.ifname, file, pl->n,
				       pl->n == 1 ? "" : "s", pl->added,
				       pl->changed, pl->removed);
			else if (pl->n)
				printf("xdpguard: %s: applied %s (%d change%s: "
				       "%d new, %d changed, %d removed)\n",
				       jb[i].ifc.ifname, file, pl->n,
				       pl->n == 1 ? "" : "s", pl->added,
				       pl->changed, pl->removed);
			else
				printf("xdpguard: %s: applied %s (0 changes)\n",
				       jb[i].ifc.ifname, file);
		}
		return;
	}
	w = xg_jw_new(stdout);
	if (!w)
		return;
	xg_jw_object(w);
	xg_jw_str_field(w, "command", "apply");
	xg_jw_str_field(w, "file", file);
	xg_jw_bool_field(w, "dry_run", dry);
	xg_jw_bool_field(w, "applied", applied);
	xg_jw_name(w, "interfaces");
	xg_jw_array(w);
	for (i = 0; i < n; i++)
		plan_json(&jb[i].pl, &jb[i].ifc, w);
	xg_jw_array_end(w);
	xg_jw_object_end(w);
	xg_jw_free(w);
}

/*
 * apply: every interface's change is planned before the first is made;
 * then every journal is begun, every plan run, every journal ended. A
 * failure anywhere puts every interface back; a kill before the journals
 * end is undone by the next command on every interface (a kill while
 * they end, a moment, leaves each interface whole: old or new).
 */
int cmd_apply(int argc, char **argv)
{
	struct xg_policy_file pf = {};
	struct file_opts o = { .file = "" };
	struct xg_cookie_cfg cc;
	struct job *jb = NULL;
	int ret, lock = -1, n = 0, i, k, err;
	FILE *f;

	xg_cmd = "apply";
	ret = xg_opts_only(argc, argv, NULL, apply_opts, &o, NULL, apply_usage);
	if (ret >= 0)
		return ret;
	if (!*o.file)
		return xg_usage_err("missing -f FILE (- for standard input)");
	f = strcmp(o.file, "-") ? fopen(o.file, "r") : stdin;
	if (!f)
		return xg_usage_err("cannot read -f '%s': %s", o.file,
				    strerror(errno));
	if (f == stdin)
		o.file = "standard input";
	ret = xg_policy_file_parse(f, o.file, &pf);
	if (f != stdin)
		fclose(f);
	if (ret)
		return XG_EXIT_USAGE;
	ret = XG_EXIT_FAIL;
	if (xg_bpffs_ready(false))
		goto out;
	lock = xg_lock();
	if (lock < 0)
		goto out;
	ret = jobs_make(&pf, o.ifname, o.file, &jb, &n);
	if (ret)
		goto out;
	ret = XG_EXIT_FAIL;
	for (i = 0; i < n; i++) {
		if (policy_read(&jb[i].ifc, &jb[i].cur, &jb[i].u)) {
			xg_err("cannot read the policy of %s", jb[i].ifc.ifname);
			goto out;
		}
		if (jb[i].want->has_attached)
			check_attached(&jb[i].ifc, o.file, &jb[i].want->attached);
		err = plan_make(&jb[i].pl, &jb[i].ifc, &jb[i].cur, jb[i].want,
				&jb[i].u);
		if (err) {
			if (err == -1)
				xg_err("cannot plan the changes to %s: %s",
				       jb[i].ifc.ifname, strerror(errno));
			goto out;
		}
	}
	if (o.dry) {
		report(jb, n, o.file, true, false, o.json);
		ret = XG_EXIT_OK;
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* cookies switched on need the tc hand-off before the first
		 * SYN-ACK */
		for (k = 0; k < jb[i].pl.n; k++)
			if (jb[i].pl.op[k].map == XG_J_COOKIE_PORTS &&
			    jb[i].pl.op[k].sign != '-')
				break;
		if (k < jb[i].pl.n &&
		    xg_cookie_prepare(&jb[i].ifc, &jb[i].tc_new))
			goto out;
		if (jb[i].tc_new && !xg_cookie_cfg_read(&jb[i].ifc, &cc))
			fprintf(o.json ? stderr : stdout, "xdpguard: %s: tc "
				"ingress hand-off attached (handle %#x priority "
				"%u); detach removes it\n", jb[i].ifc.ifname,
				cc.tc_handle, cc.tc_priority);
		if (xg_journal_open(&jb[i].j, &jb[i].ifc)) {
			xg_err("cannot open the maps of %s", jb[i].ifc.ifname);
			goto out;
		}
		jb[i].jopen = true;
		if (journal_plan(&jb[i].j, &jb[i].pl)) {
			xg_err("cannot write the journal of %s: %s; nothing "
			       "changed", jb[i].ifc.ifname, strerror(errno));
			goto out;
		}
		jb[i].begun = true;
	}
	for (i = 0; i < n; i++)
		if (plan_run(&jb[i].pl, &jb[i].ifc))
			break;
	if (i < n) {
		xg_err("applying %s to %s failed; putting back the polic%s "
		       "%s had", o.file, jb[i].ifc.ifname, n > 1 ? "ies" : "y",
		       n > 1 ? "every interface" : "it");
		for (k = 0; k < n; k++)
			xg_journal_rollback(&jb[k].j);
		goto out;
	}
	report(jb, n, o.file, false, true, o.json);
	ret = XG_EXIT_OK;
out:
	jobs_free(jb, n, ret != XG_EXIT_OK);
	xg_policy_file_free(&pf);
	xg_unlock(lock);
	return ret;
}
