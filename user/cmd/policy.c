// SPDX-License-Identifier: GPL-2.0
/*
 * rate / allow / deny: live policy. Every change is a map update on the
 * pinned maps, applied from the next packet; live buckets are kept. All
 * arguments are checked before the first update, and a failed update rolls
 * back the ones before it: nothing is half-applied.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cmd.h"

#define MAX_CIDRS 4096

/* -i IFACE / --json / --help, common to the policy commands */
struct common {
	const char *ifname;
	bool json;
};

static int lpm_fd(const struct xg_iface *ifc, bool deny, int family)
{
	return xg_map_open(ifc, deny ? (family == 4 ? XG_MAP_DENY4 :
					XG_MAP_DENY6) :
			   (family == 4 ? XG_MAP_ALLOW4 : XG_MAP_ALLOW6));
}

/* ---------------- rate ---------------- */

static const char rate_usage[] =
	"usage: xdpguard rate set [-i IFACE] [--port PORT] --pps N [--burst N]\n"
	"       xdpguard rate del [-i IFACE] --port PORT\n"
	"       xdpguard rate [show] [-i IFACE] [--json]\n"
	"  --pps is per source prefix (attach --prefix4/--prefix6); --port "
	"sets or\n  deletes the rate of one port, without it the default\n";

static int rate_show(const struct xg_iface *ifc, struct xg_jw *w, void *arg)
{
	struct xg_config cfg;
	struct xg_rate r;
	__u16 key, next, *prev = NULL;
	__u32 zero = 0;
	int cfd, pfd;

	cfd = xg_map_open(ifc, XG_MAP_CONFIG);
	pfd = xg_map_open(ifc, XG_MAP_PORTS);
	if (cfd < 0 || pfd < 0 || bpf_map_lookup_elem(cfd, &zero, &cfg)) {
		xg_err("cannot read the rate maps of %s", ifc->ifname);
		if (cfd >= 0)
			close(cfd);
		if (pfd >= 0)
			close(pfd);
		return XG_EXIT_FAIL;
	}
	if (w) {
		xg_jw_object(w);
		xg_jw_str_field(w, "interface", ifc->ifname);
		xg_jw_name(w, "default");
		xg_jw_object(w);
		xg_jw_u64_field(w, "pps", cfg.rate.pps);
		xg_jw_u64_field(w, "burst", cfg.rate.burst);
		xg_jw_object_end(w);
		xg_jw_name(w, "ports");
		xg_jw_array(w);
	} else {
		printf("%s: default %u SYN/s burst %u per source%s\n",
		       ifc->ifname, cfg.rate.pps, cfg.rate.burst,
		       cfg.rate.pps ? "" : " (no limit)");
	}
	while (!bpf_map_get_next_key(pfd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(pfd, &key, &r))
			continue;
		if (w) {
			xg_jw_object(w);
			xg_jw_u64_field(w, "port", key);
			xg_jw_u64_field(w, "pps", r.pps);
			xg_jw_u64_field(w, "burst", r.burst);
			xg_jw_object_end(w);
		} else {
			printf("  port %-5u %u SYN/s burst %u%s\n", key, r.pps,
			       r.burst, r.pps ? "" : " (no limit)");
		}
	}
	if (w) {
		xg_jw_array_end(w);
		xg_jw_object_end(w);
	}
	close(cfd);
	close(pfd);
	return XG_EXIT_OK;
}

struct rate_opts {
	const char *ifname;
	__u16 port;
	__u32 pps, burst;
	bool json;
};

static const struct xg_opt rate_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct rate_opts, ifname),
	  .arg = "IFACE" },
	{ "port", 0, XG_OPT_PORT, offsetof(struct rate_opts, port),
	  .arg = "PORT", .help = "a TCP port 1..65535", .verbs = "set del" },
	{ "pps", 0, XG_OPT_U32, offsetof(struct rate_opts, pps),
	  .max = 100000000, .arg = "N", .verbs = "set",
	  .help = "SYNs per second, 0..100000000; 0 = no limit" },
	{ "burst", 0, XG_OPT_U32, offsetof(struct rate_opts, burst),
	  .min = 1, .max = 100000000, .arg = "N", .verbs = "set",
	  .help = "SYNs, 1..100000000; default: the pps" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct rate_opts, json),
	  .help = "JSON output (set, del: what changed)" },
	{}
};

int cmd_rate(int argc, char **argv)
{
	struct rate_opts o = {};
	const char *sub = argv[1];
	bool has_port, has_pps, has_burst;
	struct xg_config cfg;
	struct xg_iface ifc;
	struct xg_rate r = {};
	struct xg_args a;
	__u32 zero = 0;
	__u16 port;
	int ret, fd, lock;

	xg_cmd = !strcmp(sub, "set") ? "rate set" : !strcmp(sub, "del") ?
		"rate del" : "rate show";
	ret = xg_opts_parse(argc, argv, sub, rate_opts, &o, &a, rate_usage);
	if (ret >= 0)
		return ret;
	has_port = xg_opt_given(&a, rate_opts, "port");
	has_pps = xg_opt_given(&a, rate_opts, "pps");
	has_burst = xg_opt_given(&a, rate_opts, "burst");
	port = o.port;
	r.pps = o.pps;
	r.burst = o.burst;
	if (a.npos) {
		ret = xg_usage_err("unexpected argument '%s'", a.pos[0]);
		xg_args_free(&a);
		return ret;
	}
	xg_args_free(&a);
	if (!strcmp(sub, "set") && !has_pps)
		return xg_usage_err("missing --pps N (SYNs per second per "
				    "source, 0 = no limit)");
	if (!strcmp(sub, "del") && !has_port)
		return xg_usage_err("missing --port PORT (the default rate "
				    "cannot be deleted; set --pps 0 to lift "
				    "it)");
	if (!has_burst)
		r.burst = r.pps ? r.pps : 1;
	if (!strcmp(sub, "show"))
		return xg_show_each(o.ifname, o.json, rate_show, NULL);
	ret = xg_lock_iface(o.ifname, &ifc, &lock);
	if (ret)
		return ret;
	ret = XG_EXIT_FAIL;
	if (has_port) {
		fd = xg_map_open(&ifc, XG_MAP_PORTS);
		if (fd < 0)
			goto out;
		if (!strcmp(sub, "set"))
			ret = bpf_map_update_elem(fd, &port, &r, BPF_ANY);
		else
			ret = bpf_map_delete_elem(fd, &port);
		if (!ret)
			ret = xg_sync_flags(&ifc);
		else if (errno == ENOENT)
			xg_err("port %u has no rate of its own on %s", port,
			       ifc.ifname);
		else if (ret)
			xg_err("cannot update port %u on %s: %s", port,
			       ifc.ifname, strerror(errno));
		close(fd);
	} else {
		fd = xg_map_open(&ifc, XG_MAP_CONFIG);
		if (fd < 0)
			goto out;
		/* read-modify-write of the config is safe under the lock */
		ret = bpf_map_lookup_elem(fd, &zero, &cfg);
		if (!ret) {
			cfg.rate = r;
			ret = bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY);
		}
		if (ret)
			xg_err("cannot update the default rate on %s: %s",
			       ifc.ifname, strerror(errno));
		close(fd);
	}
	if (!ret && o.json) {
		struct xg_jw *w = xg_jw_new(stdout);

		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "interface", ifc.ifname);
			xg_jw_str_field(w, "command", xg_cmd);
			if (has_port)
				xg_jw_u64_field(w, "port", port);
			else
				xg_jw_null_field(w, "port");
			if (strcmp(sub, "del")) {
				xg_jw_u64_field(w, "pps", r.pps);
				xg_jw_u64_field(w, "burst", r.burst);
			}
			xg_jw_object_end(w);
			xg_jw_free(w);
		}
	} else if (!ret) {
		if (!strcmp(sub, "del"))
			printf("xdpguard: %s: port %u uses the default rate "
			       "again\n", ifc.ifname, port);
		else if (has_port)
			printf("xdpguard: %s: port %u now %u SYN/s burst %u "
			       "per source\n", ifc.ifname, port, r.pps,
			       r.burst);
		else
			printf("xdpguard: %s: default now %u SYN/s burst %u "
			       "per source\n", ifc.ifname, r.pps, r.burst);
	}
	ret = ret ? XG_EXIT_FAIL : XG_EXIT_OK;
out:
	xg_unlock(lock);
	return ret;
}

/* ---------------- allow / deny ---------------- */

static const char allow_usage[] =
	"usage: xdpguard allow add|del [-i IFACE] CIDR...\n"
	"       xdpguard allow list [-i IFACE] [--json]\n"
	"  CIDR: 198.18.0.0/15, 198.18.0.1, 2001:db8::/32 (no host bits past "
	"the prefix)\n";

static const char deny_usage[] =
	"usage: xdpguard deny add [-i IFACE] CIDR... [--ttl DURATION]\n"
	"       xdpguard deny del [-i IFACE] CIDR...\n"
	"       xdpguard deny list [-i IFACE] [--json]\n"
	"  CIDR: 198.18.0.0/15, 198.18.0.1, 2001:db8::/32 (no host bits past "
	"the prefix)\n"
	"  DURATION: 90, 90s, 15m, 2h, 7d (at most 365d); default: no expiry\n";

/* Remove expired deny entries (called under the lock). */
static void deny_prune(const struct xg_iface *ifc)
{
	union { struct xg_lpm4 k4; struct xg_lpm6 k6; } key, next;
	struct xg_deny_val v;
	__u64 now = xg_mono_ns();
	int fam, fd;

	for (fam = 4; fam <= 6; fam += 2) {
		bool have = false;

		fd = lpm_fd(ifc, true, fam);
		if (fd < 0)
			continue;
		while (!bpf_map_get_next_key(fd, have ? &key : NULL, &next)) {
			key = next;
			have = true;
			if (!bpf_map_lookup_elem(fd, &key, &v) &&
			    v.expires_ns && v.expires_ns <= now &&
			    !bpf_map_delete_elem(fd, &key))
				have = false;	/* restart: key is gone */
		}
		close(fd);
	}
}

static int lpm_list(const struct xg_iface *ifc, struct xg_jw *w, void *arg)
{
	bool deny = *(bool *)arg;
	union { struct xg_lpm4 k4; struct xg_lpm6 k6; } key, next;
	union { struct xg_allow_val a; struct xg_deny_val d; } v;
	__u64 now = xg_mono_ns();
	struct xg_cidr c;
	char buf[64], ttl[32];
	int fam, fd, n = 0;

	if (w) {
		xg_jw_object(w);
		xg_jw_str_field(w, "interface", ifc->ifname);
		xg_jw_name(w, deny ? "deny" : "allow");
		xg_jw_array(w);
	}
	for (fam = 4; fam <= 6; fam += 2) {
		bool have = false;

		fd = lpm_fd(ifc, deny, fam);
		if (fd < 0)
			return XG_EXIT_FAIL;
		while (!bpf_map_get_next_key(fd, have ? &key : NULL, &next)) {
			key = next;
			have = true;
			if (bpf_map_lookup_elem(fd, &key, &v))
				continue;
			memset(&c, 0, sizeof(c));
			c.family = fam;
			if (fam == 4) {
				c.prefixlen = key.k4.prefixlen;
				c.addr[0] = key.k4.addr;
			} else {
				c.prefixlen = key.k6.prefixlen;
				memcpy(c.addr, key.k6.addr, 16);
			}
			if (deny && v.d.expires_ns && v.d.expires_ns <= now)
				continue;	/* expired, pruned on change */
			xg_format_cidr(&c, buf, sizeof(buf));
			strcpy(ttl, "never");
			if (deny && v.d.expires_ns)
				xg_format_duration(v.d.expires_ns - now, ttl,
						   sizeof(ttl));
			if (w) {
				xg_jw_object(w);
				xg_jw_str_field(w, "cidr", buf);
				xg_jw_u64_field(w, "hits", deny ? v.d.hits :
						v.a.hits);
				if (deny && v.d.expires_ns)
					xg_jw_u64_field(w, "expires_in_seconds",
							(v.d.expires_ns - now) /
							1000000000ULL);
				else if (deny)
					xg_jw_null_field(w,
							 "expires_in_seconds");
				xg_jw_object_end(w);
			} else if (deny) {
				printf("%-43s hits %-12llu expires %s\n", buf,
				       v.d.hits, v.d.expires_ns ? ttl : "never");
			} else {
				printf("%-43s hits %llu\n", buf, v.a.hits);
			}
			n++;
		}
		close(fd);
	}
	if (w) {
		xg_jw_array_end(w);
		xg_jw_object_end(w);
	} else if (!n) {
		printf("%s: %s list is empty\n", ifc->ifname,
		       deny ? "deny" : "allow");
	}
	return XG_EXIT_OK;
}

/*
 * Apply adds or deletes of @n CIDRs all-or-nothing: on the first failure
 * restore what was changed before it.
 */
static int lpm_change(const struct xg_iface *ifc, bool deny, bool add,
		      struct xg_cidr *cidrs, int n, __u64 ttl_ns, bool json)
{
	struct saved {
		union { struct xg_lpm4 k4; struct xg_lpm6 k6; } key;
		union { struct xg_allow_val a; struct xg_deny_val d; } old;
		bool existed;
		int fd;
	} *s;
	union { struct xg_allow_val a; struct xg_deny_val d; } val;
	static struct xg_journal j;
	int fds[2], i, done = 0, ret = XG_EXIT_FAIL;
	bool journaled = false;
	char buf[64];

	fds[0] = lpm_fd(ifc, deny, 4);
	fds[1] = lpm_fd(ifc, deny, 6);
	s = calloc(n, sizeof(*s));
	if (fds[0] < 0 || fds[1] < 0 || !s)
		goto out;
	for (i = 0; i < n; i++) {
		s[i].fd = fds[cidrs[i].family == 6];
		xg_lpm_key(&cidrs[i], &s[i].key);
		s[i].existed = !bpf_map_lookup_elem(s[i].fd, &s[i].key,
						    &s[i].old);
		xg_format_cidr(&cidrs[i], buf, sizeof(buf));
		if (!add && !s[i].existed) {
			xg_err("%s is not in the %s list of %s; nothing "
			       "changed", buf, deny ? "deny" : "allow",
			       ifc->ifname);
			goto out;
		}
	}
	/* undo records first: a kill from here on is undone next time */
	if (xg_journal_open(&j, ifc))
		goto out;
	journaled = true;
	for (i = 0; i < n; i++)
		if (xg_journal_note(&j, xg_jmap_of(deny, cidrs[i].family),
				    &s[i].key))
			break;
	if (i < n || xg_journal_begin(&j)) {
		xg_err("cannot write the journal of %s: %s", ifc->ifname,
		       strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++, done++) {
		memset(&val, 0, sizeof(val));
		if (add && deny) {
			if (s[i].existed)
				val.d = s[i].old.d;	/* keep hits */
			val.d.expires_ns = ttl_ns ? xg_mono_ns() + ttl_ns : 0;
			val.d.prefixlen = cidrs[i].prefixlen;
		} else if (add && s[i].existed) {
			val.a = s[i].old.a;
		}
		if (add ? bpf_map_update_elem(s[i].fd, &s[i].key, &val,
					      BPF_ANY) :
		    bpf_map_delete_elem(s[i].fd, &s[i].key)) {
			xg_format_cidr(&cidrs[i], buf, sizeof(buf));
			xg_err("cannot %s %s: %s%s; nothing changed",
			       add ? "add" : "delete", buf, strerror(errno),
			       errno == ENOSPC ? " (list full)" : "");
			break;
		}
	}
	if (done < n) {
		while (done-- > 0) {
			if (s[done].existed)
				bpf_map_update_elem(s[done].fd, &s[done].key,
						    &s[done].old, BPF_ANY);
			else
				bpf_map_delete_elem(s[done].fd, &s[done].key);
		}
		goto out;
	}
	if (json) {
		struct xg_jw *w = xg_jw_new(stdout);
		char buf[64];
		int i;

		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "interface", ifc->ifname);
			xg_jw_str_field(w, "command", xg_cmd);
			xg_jw_name(w, add ? "added" : "deleted");
			xg_jw_array(w);
			for (i = 0; i < n; i++) {
				xg_format_cidr(&cidrs[i], buf, sizeof(buf));
				xg_jw_str(w, buf);
			}
			xg_jw_array_end(w);
			if (deny && add && ttl_ns)
				xg_jw_u64_field(w, "expires_in_seconds",
						ttl_ns / 1000000000ULL);
			else if (deny && add)
				xg_jw_null_field(w, "expires_in_seconds");
			xg_jw_object_end(w);
			xg_jw_free(w);
		}
	} else {
		printf("xdpguard: %s: %s %d %s %s\n", ifc->ifname,
		       add ? "added" : "deleted", n,
		       n == 1 ? "prefix" : "prefixes",
		       add ? (deny ? "to the deny list" : "to the allow list") :
		       (deny ? "from the deny list" : "from the allow list"));
	}
	ret = XG_EXIT_OK;
out:
	if (journaled) {
		xg_journal_end(&j);
		xg_journal_close(&j);
	}
	free(s);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return ret;
}

struct lpm_opts {
	const char *ifname;
	__u64 ttl;
	bool json;
};

static const struct xg_opt lpm_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct lpm_opts, ifname),
	  .arg = "IFACE" },
	{ "ttl", 0, XG_OPT_DURATION, offsetof(struct lpm_opts, ttl),
	  .arg = "DURATION", .verbs = "add",
	  .help = "accepted: 90, 90s, 15m, 2h, 7d; at most 365d (deny only)" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct lpm_opts, json),
	  .help = "JSON output (add, del: what changed)" },
	{}
};

static int cmd_lpm(int argc, char **argv, bool deny)
{
	static char cmdname[32];
	const char *usage = deny ? deny_usage : allow_usage;
	const char *sub = argv[1];
	static struct xg_cidr cidrs[MAX_CIDRS];
	struct lpm_opts o = {};
	struct xg_iface ifc;
	struct xg_args a;
	int i, n = 0, ret, lock;
	char why[128];

	snprintf(cmdname, sizeof(cmdname), "%s %s", deny ? "deny" : "allow",
		 sub);
	xg_cmd = cmdname;
	/* options may follow the CIDRs: they are positionals, in order */
	ret = xg_opts_parse(argc, argv, sub, lpm_opts, &o, &a, usage);
	if (ret >= 0)
		return ret;
	ret = -1;
	if (!deny && xg_opt_given(&a, lpm_opts, "ttl"))
		ret = xg_usage_err("--ttl applies to deny add only");
	for (i = 0; ret < 0 && i < a.npos; i++) {
		if (!strcmp(sub, "list"))
			ret = xg_usage_err("unexpected argument '%s'",
					   a.pos[i]);
		else if (n == MAX_CIDRS)
			ret = xg_usage_err("at most %d prefixes at once",
					   MAX_CIDRS);
		else if (xg_parse_cidr(a.pos[i], &cidrs[n], why, sizeof(why)))
			ret = xg_usage_err("bad CIDR '%s': %s (accepted: ADDR "
					   "or ADDR/LEN, IPv4 or IPv6)",
					   a.pos[i], why);
		else
			n++;
	}
	xg_args_free(&a);
	if (ret >= 0)
		return ret;
	if (strcmp(sub, "list") && !n)
		return xg_usage_err("missing CIDR (e.g. 198.18.0.0/15 or "
				    "2001:db8::/32)");
	/* reading: every interface, expired entries stepped over */
	if (!strcmp(sub, "list"))
		return xg_show_each(o.ifname, o.json, lpm_list, &deny);
	ret = xg_lock_iface(o.ifname, &ifc, &lock);
	if (ret)
		return ret;
	if (deny)
		deny_prune(&ifc);
	ret = lpm_change(&ifc, deny, !strcmp(sub, "add"), cidrs, n, o.ttl,
			 o.json);
	/* after a change, a rollback or a prune alike */
	if (xg_sync_flags(&ifc))
		ret = XG_EXIT_FAIL;
	xg_unlock(lock);
	return ret;
}

int cmd_allow(int argc, char **argv)
{
	return cmd_lpm(argc, argv, false);
}

int cmd_deny(int argc, char **argv)
{
	return cmd_lpm(argc, argv, true);
}
