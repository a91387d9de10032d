// SPDX-License-Identifier: GPL-2.0
/*
 * attach: the options and output of `xdpguard attach`; the guard (XDP)
 * and the tc/tracepoint parts are loaded by their components. The folder
 * is made as "<dir>:new" and renamed when complete: the one step that
 * makes the attach visible.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdp/libxdp.h>
#include <xdpguard/pmtu.h>
#include "cmd.h"

static const char attach_usage[] =
	"usage: xdpguard attach [-i] IFACE [--mode native|skb] [--dry-run]\n"
	"                       [--sources N] [--prefix4 LEN] [--prefix6 LEN]\n"
	"                       [--pps N] [--burst N] [--no-pmtu]\n"
	"                       [--blackhole-after N] [--event-budget N] [--no-dns]\n"
	"                       [--dns-servers N] [--dns-names N] [--dns-timeout S]\n"
	"                       [--dns-ttl-short S] [--dns-ttl-long S]\n"
	"                       [--dns-pending N] [--dns-tc-window S]\n"
	"       xdpguard attach --ensure [-i] IFACE ...  (attached alike: success)\n"
	"       xdpguard attach --replace [-i] IFACE   (new programs, same "
	"maps)\n";

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
	       xg_xdp_runs(ifindex, info.prog_id) > 0;
}

static const char *const modes[] = { "native", "skb", NULL };

struct attach_opts {
	__u32 mode;		/* in modes[] */
	bool dry_run, replace, no_pmtu, no_dns, json, ensure;
	__u32 sources, prefix4, prefix6, pps, burst, bh_after, event_budget;
	__u32 dns_servers, dns_names, dns_timeout, dns_ttl_short, dns_ttl_long;
	__u32 dns_pending, dns_tc_window;
};

#define A(f) offsetof(struct attach_opts, f)
static const struct xg_opt attach_opts[] = {
	{ "mode", 0, XG_OPT_CHOICE, A(mode), .choices = modes,
	  .def = "native", .arg = "MODE" },
	{ "dry-run", 0, XG_OPT_FLAG, A(dry_run),
	  .help = "count what would be dropped, drop nothing" },
	{ "sources", 0, XG_OPT_U32, A(sources), .min = 1024,
	  .max = 1U << 26, .def = "65536", .arg = "N",
	  .help = "a number 1024..67108864; rounded up to a power of two" },
	{ "prefix4", 0, XG_OPT_U32, A(prefix4), .min = 8, .max = 32,
	  .def = "32", .arg = "LEN", .help = "a prefix length 8..32" },
	{ "prefix6", 0, XG_OPT_U32, A(prefix6), .min = 32, .max = 128,
	  .def = "64", .arg = "LEN", .help = "a prefix length 32..128" },
	{ "pps", 0, XG_OPT_U32, A(pps), .max = 100000000,
	  .def = "100", .arg = "N",
	  .help = "SYNs per second, 0..100000000; 0 = no limit" },
	{ "burst", 0, XG_OPT_U32, A(burst), .min = 1, .max = 100000000,
	  .arg = "N", .help = "SYNs, 1..100000000; default: the pps" },
	{ "replace", 0, XG_OPT_FLAG, A(replace),
	  .help = "new programs on the running guard's maps, same settings" },
	{ "no-pmtu", 0, XG_OPT_FLAG, A(no_pmtu),
	  .help = "no PTB accounting, no black-hole detection" },
	{ "no-dns", 0, XG_OPT_FLAG, A(no_dns),
	  .help = "no DNS telemetry (xdpguard dns)" },
	{ "blackhole-after", 0, XG_OPT_U32, A(bh_after), .min = 2, .max = 100,
	  .def = "3", .arg = "N",
	  .help = "retransmissions, 2..100: full-size retransmissions before "
		  "a destination is a suspected black hole" },
	{ "json", 0, XG_OPT_FLAG, A(json),
	  .help = "what was attached, as JSON" },
	{ "ensure", 0, XG_OPT_FLAG, A(ensure),
	  .help = "already attached with these settings: success, nothing "
		  "changed (with others: exit 1, naming them)" },
	{ "event-budget", 0, XG_OPT_U32, A(event_budget), .max = 1000000,
	  .def = "1000", .arg = "N",
	  .help = "events per second per CPU, 0..1000000; 0 = no limit" },
	{ "dns-servers", 0, XG_OPT_U32, A(dns_servers),
	  .min = XG_DNS_SERVERS_MIN, .max = XG_DNS_SERVERS_MAX, .def = "256",
	  .arg = "N", .help = "DNS servers tracked, 16..65536 (about 860 bytes "
			      "each a CPU)" },
	{ "dns-names", 0, XG_OPT_U32, A(dns_names), .min = XG_DNS_NAMES_MIN,
	  .max = XG_DNS_NAMES_MAX, .def = "4096", .arg = "N",
	  .help = "DNS names tracked, 256..1048576 (about 620 bytes each)" },
	{ "dns-pending", 0, XG_OPT_U32, A(dns_pending),
	  .min = XG_DNS_PENDING_MIN, .max = XG_DNS_PENDING_MAX, .def = "16384",
	  .arg = "N", .help = "DNS queries awaiting an answer, 1024..1048576 "
			      "(about 140 bytes each; more evict the oldest)" },
	{ "dns-tc-window", 0, XG_OPT_U32, A(dns_tc_window), .min = 1,
	  .max = 60, .def = "2", .arg = "S",
	  .help = "seconds, 1..60: a TC=1 answer followed by the same query "
		  "over TCP in this long is a fallback followed" },
	{ "dns-timeout", 0, XG_OPT_U32, A(dns_timeout), .min = 1, .max = 60,
	  .def = "5", .arg = "S",
	  .help = "seconds, 1..60: a DNS query with no response in this long "
		  "is a timeout" },
	{ "dns-ttl-short", 0, XG_OPT_U32, A(dns_ttl_short),
	  .max = XG_DNS_TTL_MAX, .def = "0", .arg = "S",
	  .help = "seconds, 0..2147483647: answer TTLs at or under it are "
		  "flagged short" },
	{ "dns-ttl-long", 0, XG_OPT_U32, A(dns_ttl_long), .min = 1,
	  .max = XG_DNS_TTL_MAX, .def = "86400", .arg = "S",
	  .help = "seconds, 1..2147483647: answer TTLs at or over it are "
		  "flagged long" },
	{}
};
#undef A

/*
 * attach --ensure on an interface already attached: success when its guard
 * runs with the settings asked (fixed at attach: mode, sources, prefixes,
 * PMTU options, event budget; the policy is apply's), otherwise the
 * settings that differ, exit 1. What a restarted unit needs.
 */
static int ensure_same(const char *ifname, const struct attach_opts *o,
		       int mode, __u32 sources, __u32 pm_flags)
{
	struct xg_attached a = {
		.sources = sources, .prefix4 = o->prefix4,
		.prefix6 = o->prefix6, .pmtu = !!pm_flags,
		.bh_threshold = o->bh_after, .event_budget = o->event_budget,
		.has_dns = true, .dns = !o->no_dns,
		.dns_servers = o->dns_servers, .dns_names = o->dns_names,
		.dns_timeout = o->dns_timeout,
		.dns_pending = o->dns_pending,
		.dns_tc_window = o->dns_tc_window,
		.dns_ttl_short = o->dns_ttl_short,
		.dns_ttl_long = o->dns_ttl_long,
	};
	struct xg_iface ifc;
	struct xg_info info;
	char diff[600];
	size_t l;
	int ret;

	ret = xg_iface_resolve(ifname, &ifc);
	if (ret)
		return ret;
	if (xg_attached_diff(&ifc, &a, diff, sizeof(diff)) ||
	    xg_info_read(&ifc, &info)) {
		xg_err("%s: its pins cannot be read", ifname);
		return XG_EXIT_FAIL;
	}
	l = strlen(diff);
	if ((int)info.mode != mode)
		snprintf(diff + l, sizeof(diff) - l, " --mode %s (here %s)",
			 mode == XDP_MODE_SKB ? "skb" : "native",
			 info.mode == XDP_MODE_SKB ? "skb" : "native");
	if (diff[0]) {
		xg_err("%s is attached with other settings:%s; nothing "
		       "changed (detach it to attach with these)", ifname,
		       diff);
		return XG_EXIT_FAIL;
	}
	printf("xdpguard: %s is attached with these settings already; "
	       "nothing changed\n", ifname);
	return XG_EXIT_OK;
}

int cmd_attach(int argc, char **argv)
{
	struct attach_opts o = {};
	__u32 pm_flags, bh_after;
	enum xdp_attach_mode mode;
	struct xg_config cfg = { .flags = XG_F_ENABLED };
	__u32 sources, p4, p6;
	struct xg_guard_settings gs = {};
	struct xg_guard *g = NULL;
	struct xg_cookie_support ck;
	struct xg_dns_settings ds;
	struct xg_info info = {};
	__u64 dns_cost = 0;
	const char *ifname;
	bool burst_set, made = false, replace, tuned, dns;
	char dir[256], newdir[300];
	int ifindex, lock = -1, ret = XG_EXIT_FAIL;
	struct xg_args a;
	struct stat st;

	xg_cmd = "attach";
	ret = xg_opts_parse(argc, argv, NULL, attach_opts, &o, &a,
			    attach_usage);
	if (ret >= 0)
		return ret;
	ret = XG_EXIT_FAIL;
	mode = o.mode ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	if (o.dry_run)
		cfg.flags |= XG_F_DRY_RUN;
	/* slots: a power of two (docs/sources.md) */
	sources = 1U << (32 - __builtin_clz(o.sources - 1));
	p4 = o.prefix4;
	p6 = o.prefix6;
	cfg.rate.pps = o.pps;
	burst_set = xg_opt_given(&a, attach_opts, "burst");
	cfg.rate.burst = burst_set ? o.burst : 100;
	replace = o.replace;
	pm_flags = o.no_pmtu ? 0 : XG_PM_F_PTB | XG_PM_F_BH;
	bh_after = o.bh_after;
	cfg.event_budget = o.event_budget;
	dns = !o.no_dns;
	tuned = a.given & ~xg_opt_bit(attach_opts, "replace");
	if (replace && tuned) {
		xg_args_free(&a);
		return xg_usage_err("--replace keeps every setting of the "
				    "running guard; it takes no other option");
	}
	if (a.npos != 1) {
		fputs(attach_usage, stderr);
		ret = xg_usage_err(!a.npos ? "missing IFACE" :
				   "one IFACE only, got '%s' too", a.pos[1]);
		xg_args_free(&a);
		return ret;
	}
	ifname = a.pos[0];
	if (xg_opt_given(&a, attach_opts, "blackhole-after") && !pm_flags) {
		xg_args_free(&a);
		return xg_usage_err("--blackhole-after contradicts --no-pmtu");
	}
	if (!dns && (a.given & (xg_opt_bit(attach_opts, "dns-servers") |
				xg_opt_bit(attach_opts, "dns-names") |
				xg_opt_bit(attach_opts, "dns-timeout") |
				xg_opt_bit(attach_opts, "dns-pending") |
				xg_opt_bit(attach_opts, "dns-tc-window") |
				xg_opt_bit(attach_opts, "dns-ttl-short") |
				xg_opt_bit(attach_opts, "dns-ttl-long")))) {
		xg_args_free(&a);
		return xg_usage_err("--dns-servers, --dns-names, --dns-pending, "
				    "--dns-timeout, --dns-tc-window and "
				    "--dns-ttl-* contradict --no-dns");
	}
	xg_args_free(&a);
	if (o.dns_ttl_short >= o.dns_ttl_long)
		return xg_usage_err("bad --dns-ttl-short %u: it must be under "
				    "--dns-ttl-long (%u)", o.dns_ttl_short,
				    o.dns_ttl_long);
	ds.servers = o.dns_servers;
	ds.names = o.dns_names;
	ds.timeout_s = o.dns_timeout;
	ds.pending = o.dns_pending;
	ds.tc_window_s = o.dns_tc_window;
	ds.ttl_short = o.dns_ttl_short;
	ds.ttl_long = o.dns_ttl_long;
	ds.memlock = 0;
	if (!burst_set && cfg.rate.pps)
		cfg.rate.burst = cfg.rate.pps;
	if (xg_ifname_check(ifname))
		return XG_EXIT_USAGE;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return xg_usage_err("unknown interface '%s' (see ip link)",
				    ifname);
	if (xg_bpffs_ready(true))
		return XG_EXIT_FAIL;
	xg_iface_dir(ifname, dir, sizeof(dir));
	if (!replace && o.ensure && guarded(ifname, ifindex, dir))
		return ensure_same(ifname, &o, mode, sources, pm_flags);
	if (!replace && guarded(ifname, ifindex, dir)) {
		xg_err("%s is already attached (pins in %s); detach it first "
		       "or retune it with rate/allow/deny", ifname, dir);
		return XG_EXIT_FAIL;
	}
	if (!replace && dns) {
		ret = xg_dns_check(&ds, &dns_cost);
		if (ret)
			return ret;
		ret = XG_EXIT_FAIL;
	}
	if (!replace) {
		/* the big allocation first, outside the lock */
		g = xg_guard_open(sources, &ret);
		if (!g)
			return ret;
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
	if (xg_clean_unpinned(ifname, ifindex) < 0)
		goto out;
	if (snprintf(newdir, sizeof(newdir), "%s:new", dir) >=
	    (int)sizeof(newdir) || mkdir(newdir, 0700)) {
		xg_err("cannot create %s: %s", newdir, strerror(errno));
		goto out;
	}
	made = true;

	xg_cookie_probe(&ck);
	gs.mode = mode;
	gs.cfg = cfg;
	gs.sources = sources;
	gs.prefix4 = p4;
	gs.prefix6 = p6;
	gs.have_cookies = ck.helpers;
	if (xg_guard_attach(g, ifname, ifindex, newdir, &gs, &info))
		goto out;
	if (xg_pmtu_attach(ifname, ifindex, newdir, pm_flags, bh_after))
		goto out;
	/* telemetry only: the guard goes on without it (said below) */
	if (dns && xg_dns_attach(ifname, ifindex, newdir, &ds))
		dns = false;
	if (dns) {
		struct xg_iface nifc = { .lock_fd = -1, .ifindex = ifindex };

		snprintf(nifc.dir, sizeof(nifc.dir), "%s", newdir);
		snprintf(nifc.ifname, sizeof(nifc.ifname), "%s", ifname);
		xg_dns_settings_read(&nifc, &ds);	/* what it took */
	}
	/* the one step that makes the attach visible */
	if (rename(newdir, dir)) {
		xg_err("cannot rename %s: %s", newdir, strerror(errno));
		goto out;
	}
	made = false;

	if (o.json) {
		struct xg_jw *w = xg_jw_new(stdout);

		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "interface", ifname);
			xg_jw_str_field(w, "command", "attach");
			xg_jw_str_field(w, "mode", mode == XDP_MODE_SKB ? "skb" :
					"native");
			xg_jw_str_field(w, "attach", info.how);
			xg_jw_u64_field(w, "prog_id", info.prog_id);
			xg_jw_bool_field(w, "dry_run", cfg.flags & XG_F_DRY_RUN);
			xg_jw_name(w, "rate");
			xg_jw_object(w);
			xg_jw_u64_field(w, "pps", cfg.rate.pps);
			xg_jw_u64_field(w, "burst", cfg.rate.burst);
			xg_jw_object_end(w);
			xg_jw_u64_field(w, "prefix4", p4);
			xg_jw_u64_field(w, "prefix6", p6);
			xg_jw_u64_field(w, "sources", sources);
			xg_jw_bool_field(w, "cookies_available", ck.ok);
			xg_jw_bool_field(w, "pmtu", pm_flags);
			if (pm_flags)
				xg_jw_u64_field(w, "blackhole_after", bh_after);
			else
				xg_jw_null_field(w, "blackhole_after");
			xg_jw_bool_field(w, "dns", dns);
			xg_jw_name(w, "dns_settings");
			if (dns) {
				xg_jw_object(w);
				xg_jw_u64_field(w, "servers", ds.servers);
				xg_jw_u64_field(w, "names", ds.names);
				xg_jw_u64_field(w, "pending", ds.pending);
				xg_jw_u64_field(w, "timeout_seconds", ds.timeout_s);
				xg_jw_u64_field(w, "tc_window_seconds",
						ds.tc_window_s);
				xg_jw_u64_field(w, "ttl_short_seconds",
						ds.ttl_short);
				xg_jw_u64_field(w, "ttl_long_seconds",
						ds.ttl_long);
				xg_jw_u64_field(w, "memory_bytes", ds.memlock);
				xg_jw_object_end(w);
			} else {
				xg_jw_null(w);
			}
			xg_jw_object_end(w);
			xg_jw_free(w);
		}
	} else {
		printf("xdpguard: attached to %s (%s mode, %s%s): SYN budget "
		       "%u/s burst %u per /%u (IPv4) and /%u (IPv6) source, %u "
		       "sources tracked at most\n", ifname,
		       mode == XDP_MODE_SKB ? "skb" : "native", info.how,
		       strcmp(info.how, "libxdp dispatcher") ?
		       ": the kernel refused the dispatcher, other XDP "
		       "programs cannot share this interface" : "",
		       cfg.rate.pps, cfg.rate.burst, p4, p6, sources);
		if (cfg.flags & XG_F_DRY_RUN)
			printf("xdpguard: dry run: drops are counted, nothing "
			       "is dropped\n");
		printf("xdpguard: SYN cookies %s\n", ck.ok ? "available "
		       "(xdpguard cookies set on|auto)" : "not available: ");
		if (!ck.ok)
			printf("  %s\n", ck.why);
		if (pm_flags)
			printf("xdpguard: tc ingress/egress: PTB accounting "
			       "and black-hole detection on (after %u "
			       "full-size retransmissions); MSS clamping off "
			       "until mss set\n", bh_after);
		else
			printf("xdpguard: tc ingress/egress: PTB accounting "
			       "and black-hole detection off; MSS clamping off "
			       "until mss set\n");
		if (dns)
			printf("xdpguard: DNS telemetry on (tc ingress/egress, "
			       "port 53 UDP and TCP; xdpguard dns): %u servers, "
			       "%u names, %u pending queries tracked at most, "
			       "%.1f MiB of kernel memory; timeout %u s, TCP "
			       "fallback within %u s, TTLs flagged at <= %u s "
			       "and >= %u s\n", ds.servers, ds.names,
			       ds.pending, ds.memlock / 1048576.0,
			       ds.timeout_s, ds.tc_window_s, ds.ttl_short,
			       ds.ttl_long);
		else
			printf("xdpguard: DNS telemetry off\n");
	}
	ret = XG_EXIT_OK;
out:
	xg_guard_close(g, !ret);
	if (made)
		xg_folder_remove(newdir);
	xg_unlock(lock);
	return ret;
}

