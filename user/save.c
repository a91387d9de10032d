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
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "xdpguard.h"

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

static int policy_read(const struct xg_iface *ifc, struct xg_policy *p)
{
	__u16 key, next, *prev = NULL;
	struct xg_config cfg;
	__u32 zero = 0;
	int fd, err;

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
	if (read_list(ifc, p, 0) || read_list(ifc, p, 1))
		return -1;
	xg_policy_sort(p);
	return 0;
}

/* ---- policy -> maps ---- */

/* The file keeps whole seconds: closer than that is the same expiry. */
static bool same_expiry(__u64 a, __u64 b)
{
	if (!a || !b)
		return a == b;
	return (a > b ? a - b : b - a) < 1500000000ULL;
}

static int write_list(const struct xg_iface *ifc, const struct xg_policy *cur,
		      const struct xg_policy *want, int deny, int *changes)
{
	union { struct xg_lpm4 k4; struct xg_lpm6 k6; } key;
	union { struct xg_allow_val a; struct xg_deny_val d; } v;
	const struct xg_policy_entry *e;
	__u64 exp;
	int i, fd[2], err = -1;

	fd[0] = xg_map_open(ifc, list_map[deny][0]);
	fd[1] = xg_map_open(ifc, list_map[deny][1]);
	if (fd[0] < 0 || fd[1] < 0)
		goto out;
	for (i = 0; i < cur->n[deny]; i++) {
		e = &cur->list[deny][i];
		if (xg_policy_has(want, deny, &e->c, NULL))
			continue;
		xg_lpm_key(&e->c, &key);
		if (bpf_map_delete_elem(fd[e->c.family == 6], &key))
			goto out;
		(*changes)++;
	}
	for (i = 0; i < want->n[deny]; i++) {
		e = &want->list[deny][i];
		if (xg_policy_has(cur, deny, &e->c, &exp) &&
		    (!deny || same_expiry(exp, e->expires_ns)))
			continue;
		xg_lpm_key(&e->c, &key);
		memset(&v, 0, sizeof(v));
		/* an entry that only changes its expiry keeps its hits */
		bpf_map_lookup_elem(fd[e->c.family == 6], &key, &v);
		if (deny) {
			v.d.expires_ns = e->expires_ns;
			v.d.prefixlen = e->c.prefixlen;
		}
		if (bpf_map_update_elem(fd[e->c.family == 6], &key, &v,
					BPF_ANY))
			goto out;
		(*changes)++;
	}
	err = 0;
out:
	if (fd[0] >= 0)
		close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	return err;
}

/* Make the maps say @want; @cur is what they say now. */
static int policy_write(const struct xg_iface *ifc, const struct xg_policy *cur,
			const struct xg_policy *want, int *changes)
{
	const struct xg_port_rule *pr;
	struct xg_config cfg;
	__u32 zero = 0;
	int fd, i, err = -1;

	fd = xg_map_open(ifc, XG_MAP_PORTS);
	if (fd < 0)
		return -1;
	for (i = 0; i < cur->nports; i++)
		if (!xg_policy_port(want, cur->ports[i].port)) {
			if (bpf_map_delete_elem(fd, &cur->ports[i].port))
				goto out;
			(*changes)++;
		}
	for (i = 0; i < want->nports; i++) {
		pr = xg_policy_port(cur, want->ports[i].port);
		if (pr && !memcmp(&pr->r, &want->ports[i].r, sizeof(pr->r)))
			continue;
		if (bpf_map_update_elem(fd, &want->ports[i].port,
					&want->ports[i].r, BPF_ANY))
			goto out;
		(*changes)++;
	}
	if (write_list(ifc, cur, want, 0, changes) ||
	    write_list(ifc, cur, want, 1, changes))
		goto out;
	close(fd);
	fd = xg_map_open(ifc, XG_MAP_CONFIG);
	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &cfg))
		goto out;
	if (memcmp(&cfg.rate, &want->rate, sizeof(cfg.rate)) ||
	    !!(cfg.flags & XG_F_DRY_RUN) != want->dry_run) {
		cfg.rate = want->rate;
		cfg.flags = (cfg.flags & ~XG_F_DRY_RUN) |
			    (want->dry_run ? XG_F_DRY_RUN : 0);
		if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY))
			goto out;
		(*changes)++;
	}
	err = xg_sync_flags(ifc);
out:
	if (fd >= 0)
		close(fd);
	return err;
}

/* Undo records for every key that making @cur into @want may touch. */
static int journal_policy(struct xg_journal *j, const struct xg_policy *cur,
			  const struct xg_policy *want)
{
	union { struct xg_lpm4 k4; struct xg_lpm6 k6; } key;
	const struct xg_policy *p[2] = { cur, want };
	__u32 zero = 0;
	int k, d, i;

	xg_journal_note(j, XG_J_CONFIG, &zero);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < p[k]->nports; i++)
			xg_journal_note(j, XG_J_PORTS, &p[k]->ports[i].port);
		for (d = 0; d < 2; d++)
			for (i = 0; i < p[k]->n[d]; i++) {
				const struct xg_cidr *c = &p[k]->list[d][i].c;

				xg_lpm_key(c, &key);
				xg_journal_note(j, xg_jmap_of(d, c->family),
						&key);
			}
	}
	return xg_journal_begin(j);
}

/* ---- text ---- */

static void print_policy(const struct xg_iface *ifc, const struct xg_policy *p,
			 const struct xg_info *info)
{
	__u64 mono = xg_mono_ns(), real = xg_real_ns();
	char buf[64], when[32];
	time_t t;
	int i, d;

	t = real / 1000000000ULL;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	printf("# xdpguard policy of %s, saved %s\n", ifc->ifname, when);
	printf("# attached with --sources %u --prefix4 %u --prefix6 %u "
	       "(fixed at attach, not applied)\n", info->sources,
	       info->prefix4, info->prefix6);
	printf("rate default pps %u burst %u\n", p->rate.pps, p->rate.burst);
	for (i = 0; i < p->nports; i++)
		printf("rate port %u pps %u burst %u\n", p->ports[i].port,
		       p->ports[i].r.pps, p->ports[i].r.burst);
	for (d = 0; d < 2; d++)
		for (i = 0; i < p->n[d]; i++) {
			const struct xg_policy_entry *e = &p->list[d][i];

			xg_format_cidr(&e->c, buf, sizeof(buf));
			printf("%s %s", d ? "deny" : "allow", buf);
			if (d && e->expires_ns) {
				t = (real + (e->expires_ns - mono) +
				     500000000ULL) / 1000000000ULL;
				strftime(when, sizeof(when),
					 "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
				printf(" until %s", when);
			}
			printf("\n");
		}
	printf("dry-run %s\n", p->dry_run ? "on" : "off");
}

static int one_iface(int argc, char **argv, const char *usage,
		     const char **ifname, const char **file)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, file ? "i:f:h" : "i:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 'i':
			*ifname = optarg;
			break;
		case 'f':
			if (!file)
				goto bad;
			*file = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
bad:
			fputs(usage, stderr);
			return xg_usage_err("unknown option '%s'",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return xg_usage_err("unexpected argument '%s'", argv[optind]);
	if (file && !**file)
		return xg_usage_err("missing -f FILE (- for standard input)");
	return xg_need_root();
}

static const char save_usage[] = "usage: xdpguard save [-i IFACE] > FILE\n";

int cmd_save(int argc, char **argv)
{
	struct xg_iface ifc;
	struct xg_info info;
	struct xg_policy p;
	const char *ifname = NULL;
	int ret, lock;

	xg_cmd = "save";
	ret = one_iface(argc, argv, save_usage, &ifname, NULL);
	if (ret)
		return ret < 0 ? XG_EXIT_OK : ret;
	ret = xg_lock_iface(ifname, &ifc, &lock);
	if (ret)
		return ret;
	ret = XG_EXIT_FAIL;
	if (xg_info_read(&ifc, &info) || policy_read(&ifc, &p))
		xg_err("cannot read the policy of %s", ifc.ifname);
	else {
		
		print_policy(&ifc, &p, &info);
		ret = XG_EXIT_OK;
	}
	xg_policy_free(&p);
	xg_unlock(lock);
	return ret;
}

static const char apply_usage[] =
	"usage: xdpguard apply [-i IFACE] -f FILE   (FILE: as written by "
	"xdpguard save; - reads standard input)\n";

int cmd_apply(int argc, char **argv)
{
	struct xg_policy cur = {}, want = {}, now;
	static struct xg_journal j;
	bool jopen = false;
	struct xg_iface ifc;
	const char *ifname = NULL, *file = "";
	int ret, lock, changes = 0, undo = 0;
	FILE *f;

	xg_cmd = "apply";
	ret = one_iface(argc, argv, apply_usage, &ifname, &file);
	if (ret)
		return ret < 0 ? XG_EXIT_OK : ret;
	f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f)
		return xg_usage_err("cannot read -f '%s': %s", file,
				    strerror(errno));
	ret = xg_policy_parse(f, file, &want);
	if (f != stdin)
		fclose(f);
	if (ret) {
		xg_policy_free(&want);
		return XG_EXIT_USAGE;
	}
	ret = xg_lock_iface(ifname, &ifc, &lock);
	if (ret) {
		xg_policy_free(&want);
		return ret;
	}
	ret = XG_EXIT_FAIL;
	if (policy_read(&ifc, &cur) || xg_journal_open(&j, &ifc)) {
		xg_err("cannot read the policy of %s", ifc.ifname);
	} else if ((jopen = true) && journal_policy(&j, &cur, &want)) {
		xg_err("cannot write the journal of %s: %s", ifc.ifname,
		       strerror(errno));
	} else if (policy_write(&ifc, &cur, &want, &changes)) {
		xg_err("applying %s to %s failed: %s; putting back the policy "
		       "it had", file, ifc.ifname, strerror(errno));
		/* what we changed is now the starting point of the way back */
		if (!policy_read(&ifc, &now)) {
			policy_write(&ifc, &now, &cur, &undo);
			xg_policy_free(&now);
		}
	} else {
		printf("xdpguard: %s: applied %s (%d change%s)\n", ifc.ifname,
		       file, changes, changes == 1 ? "" : "s");
		ret = XG_EXIT_OK;
	}
	if (jopen) {
		xg_journal_end(&j);
		xg_journal_close(&j);
	}
	xg_policy_free(&cur);
	xg_policy_free(&want);
	xg_unlock(lock);
	return ret;
}
