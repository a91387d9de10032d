// SPDX-License-Identifier: GPL-2.0
/*
 * status / top: what the guard is doing. status reads the attach facts,
 * policy, per-CPU counters and table fill; top samples the source table
 * twice and ranks sources by SYN rate.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpguard.h"

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

/* Sum the per-CPU counters into @sum[slots]. */
int xg_counters_read(int fd, struct xg_counter *sum, int slots)
{
	int ncpu = libbpf_num_possible_cpus(), i, c;
	struct xg_counter *v;

	if (ncpu <= 0)
		return -1;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -1;
	memset(sum, 0, slots * sizeof(*sum));
	for (i = 0; i < slots; i++) {
		__u32 key = i;

		if (bpf_map_lookup_elem(fd, &key, v)) {
			free(v);
			return -1;
		}
		for (c = 0; c < ncpu; c++) {
			sum[i].packets += v[c].packets;
			sum[i].bytes += v[c].bytes;
		}
	}
	free(v);
	return 0;
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

static int status_one(const struct xg_iface *ifc, bool json, bool first)
{
	struct xg_counter cnt[XG_C_SLOTS];
	__u64 tot[XG_V_MAX] = {};
	struct xg_config cfg;
	struct xg_info info;
	__u32 zero = 0, tracked, ports, allow, deny;
	char when[64];
	time_t t;
	int fd, v, r, n;
	bool gone;

	if (xg_info_read(ifc, &info)) {
		xg_err("%s: pins in %s are incomplete; run xdpguard detach %s "
		       "to clean them up", ifc->ifname, ifc->dir, ifc->ifname);
		return XG_EXIT_FAIL;
	}
	fd = xg_map_open(ifc, XG_MAP_CONFIG);
	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &cfg))
		return XG_EXIT_FAIL;
	close(fd);
	fd = xg_map_open(ifc, XG_MAP_COUNTERS);
	if (fd < 0 || xg_counters_read(fd, cnt, XG_C_SLOTS))
		return XG_EXIT_FAIL;
	close(fd);
	gone = !ifc->ifindex || (__u32)ifc->ifindex != info.ifindex;
	tracked = map_count_named(ifc, XG_MAP_BUCKETS,
				  sizeof(struct xg_bucket_key));
	ports = map_count_named(ifc, XG_MAP_PORTS, sizeof(__u16));
	allow = map_count_named(ifc, XG_MAP_ALLOW4, sizeof(struct xg_lpm4)) +
		map_count_named(ifc, XG_MAP_ALLOW6, sizeof(struct xg_lpm6));
	deny = map_count_named(ifc, XG_MAP_DENY4, sizeof(struct xg_lpm4)) +
	       map_count_named(ifc, XG_MAP_DENY6, sizeof(struct xg_lpm6));
	for (v = 0; v < XG_V_MAX; v++)
		for (r = 0; r < XG_R_MAX; r++)
			tot[v] += cnt[XG_COUNTER_IDX(v, r)].packets;
	t = info.attached_at;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));

	if (json) {
		printf("%s{\"interface\":", first ? "" : ",");
		xg_json_str(stdout, ifc->ifname);
		printf(",\"ifindex\":%u,\"present\":%s,\"netns\":%llu,"
		       "\"mode\":\"%s\",\"attach\":\"%s\",\"attached_at\":"
		       "\"%s\",\"dry_run\":%s,\"enabled\":%s,"
		       "\"rate\":{\"pps\":%u,\"burst\":%u},\"prefix4\":%u,"
		       "\"prefix6\":%u,\"port_rules\":%u,\"allow\":%u,"
		       "\"deny\":%u,\"sources\":{\"tracked\":%u,\"max\":%u,"
		       "\"fill_pct\":%.1f},\"totals\":{\"pass\":%llu,"
		       "\"drop\":%llu,\"would_drop\":%llu,\"tx\":%llu},"
		       "\"counters\":[",
		       info.ifindex, gone ? "false" : "true", info.netns_ino,
		       info.mode == 2 ? "skb" : "native", info.how, when,
		       cfg.flags & XG_F_DRY_RUN ? "true" : "false",
		       cfg.flags & XG_F_ENABLED ? "true" : "false",
		       cfg.rate.pps, cfg.rate.burst, info.prefix4,
		       info.prefix6, ports, allow, deny, tracked, info.sources,
		       100.0 * tracked / info.sources, tot[XG_V_PASS],
		       tot[XG_V_DROP], tot[XG_V_WOULD_DROP], tot[XG_V_TX]);
		for (n = 0, v = 0; v < XG_V_MAX; v++)
			for (r = 0; r < XG_R_MAX; r++) {
				struct xg_counter *c =
					&cnt[XG_COUNTER_IDX(v, r)];

				printf("%s{\"verdict\":\"%s\",\"reason\":"
				       "\"%s\",\"packets\":%llu,\"bytes\":"
				       "%llu}", n++ ? "," : "",
				       verdict_names[v], reason_names[r],
				       c->packets, c->bytes);
			}
		printf("],\"events_lost\":%llu,\"events_suppressed\":%llu,"
		       "\"handoff\":{\"connections\":%llu,\"refused\":%llu}",
		       cnt[XG_C_EVENTS_LOST].packets,
		       cnt[XG_C_EVENTS_SUPPRESSED].packets,
		       cnt[XG_C_HANDOFF].packets,
		       cnt[XG_C_HANDOFF_FAIL].packets);
		xg_cookie_status(ifc, true);
		printf("}");
		return XG_EXIT_OK;
	}
	printf("%s: %s mode (%s), attached %s%s\n", ifc->ifname,
	       info.mode == 2 ? "skb" : "native", info.how, when,
	       gone ? " -- INTERFACE GONE: run xdpguard detach to clean up" :
	       "");
	printf("  policy: default %u SYN/s burst %u per /%u (IPv4) /%u (IPv6) "
	       "source; %u port rule%s; allow %u, deny %u%s\n", cfg.rate.pps,
	       cfg.rate.burst, info.prefix4, info.prefix6, ports,
	       ports == 1 ? "" : "s", allow, deny,
	       cfg.flags & XG_F_DRY_RUN ? "; DRY RUN (nothing dropped)" : "");
	printf("  sources tracked: %u of %u (%.1f%%)\n", tracked, info.sources,
	       100.0 * tracked / info.sources);
	xg_cookie_status(ifc, false);
	printf("  packets: %llu passed, %llu dropped, %llu would drop, %llu "
	       "answered\n", tot[XG_V_PASS], tot[XG_V_DROP],
	       tot[XG_V_WOULD_DROP], tot[XG_V_TX]);
	printf("  %-10s %-16s %14s %16s\n", "verdict", "reason", "packets",
	       "bytes");
	for (v = 0; v < XG_V_MAX; v++)
		for (r = 0; r < XG_R_MAX; r++) {
			struct xg_counter *c = &cnt[XG_COUNTER_IDX(v, r)];

			if (c->packets)
				printf("  %-10s %-16s %14llu %16llu\n",
				       verdict_names[v], reason_names[r],
				       c->packets, c->bytes);
		}
	printf("  events: %llu lost (ring full), %llu suppressed (rate "
	       "limit)\n", cnt[XG_C_EVENTS_LOST].packets,
	       cnt[XG_C_EVENTS_SUPPRESSED].packets);
	if (cnt[XG_C_HANDOFF].packets || cnt[XG_C_HANDOFF_FAIL].packets)
		printf("  cookie hand-off (tc): %llu connections, %llu refused "
		       "by the kernel\n", cnt[XG_C_HANDOFF].packets,
		       cnt[XG_C_HANDOFF_FAIL].packets);
	return XG_EXIT_OK;
}

static const char status_usage[] =
	"usage: xdpguard status [-i IFACE] [--json]\n";

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct xg_iface list[16];
	const char *ifname = NULL;
	bool json = false;
	int c, n, i, ret = XG_EXIT_OK;

	xg_cmd = "status";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(status_usage, stdout);
			return XG_EXIT_OK;
		default:
			fputs(status_usage, stderr);
			return xg_usage_err("unknown option '%s'",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return xg_usage_err("unexpected argument '%s'", argv[optind]);
	if (xg_need_root())
		return XG_EXIT_USAGE;
	if (ifname) {
		ret = xg_iface_resolve(ifname, &list[0]);
		if (ret)
			return ret;
		n = 1;
	} else {
		if (xg_bpffs_ready(false))
			return XG_EXIT_FAIL;
		n = xg_iface_list(list, 16);
	}
	if (json)
		printf("{\"interfaces\":[");
	else if (!n)
		printf("xdpguard: no interface is attached in this network "
		       "namespace\n");
	for (i = 0; i < n; i++)
		if (status_one(&list[i], json, i == 0))
			ret = XG_EXIT_FAIL;
	if (json)
		printf("]}\n");
	return ret;
}

/* ---------------- top ---------------- */

struct src {
	struct xg_bucket_key key;
	__u64 passed, dropped;
	__u32 throttled;
};

static int src_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct src *)a)->key,
		      &((const struct src *)b)->key,
		      sizeof(struct xg_bucket_key));
}

/* Snapshot the source table, sorted by key. */
static struct src *snapshot(int fd, size_t *count)
{
	struct xg_bucket_key key, next, *prev = NULL;
	struct xg_bucket b;
	struct src *s = NULL, *tmp;
	size_t n = 0, cap = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &b))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			tmp = realloc(s, cap * sizeof(*s));
			if (!tmp) {
				free(s);
				return NULL;
			}
			s = tmp;
		}
		s[n].key = key;
		s[n].passed = b.passed;
		s[n].dropped = b.dropped;
		s[n].throttled = b.throttled;
		n++;
	}
	if (n)
		qsort(s, n, sizeof(*s), src_cmp);
	*count = n;
	return s;
}

struct ranked {
	struct src *s;
	double pass_rate, drop_rate;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	double rx = x->pass_rate + x->drop_rate;
	double ry = y->pass_rate + y->drop_rate;

	return rx < ry ? 1 : rx > ry ? -1 : 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int top_once(const struct xg_iface *ifc, const struct xg_info *info,
		    int fd, int limit,
		    double interval, bool json, bool clear)
{
	struct src *a, *b, *old;
	struct ranked *r;
	size_t na = 0, nb = 0, i, nr = 0;
	__u64 t0, t1;
	double dt;
	char addr[64];

	t0 = xg_mono_ns();
	a = snapshot(fd, &na);
	usleep(interval * 1e6);
	if (stop && !json) {
		free(a);
		return 0;
	}
	t1 = xg_mono_ns();
	b = snapshot(fd, &nb);
	dt = (t1 - t0) / 1e9;
	r = calloc(nb ? nb : 1, sizeof(*r));
	if (!r || (nb && !b)) {
		free(a);
		free(b);
		free(r);
		return -1;
	}
	for (i = 0; i < nb; i++) {
		__u64 p0 = 0, d0 = 0;

		old = na ? bsearch(&b[i], a, na, sizeof(*a), src_cmp) : NULL;
		if (old) {
			p0 = old->passed;
			d0 = old->dropped;
		}
		if (b[i].passed < p0 || b[i].dropped < d0)
			p0 = d0 = 0;	/* evicted and re-created */
		r[nr].s = &b[i];
		r[nr].pass_rate = (b[i].passed - p0) / dt;
		r[nr].drop_rate = (b[i].dropped - d0) / dt;
		nr++;
	}
	qsort(r, nr, sizeof(*r), ranked_cmp);
	if (clear)
		printf("\033[H\033[2J");
	if (json) {
		printf("{\"interface\":");
		xg_json_str(stdout, ifc->ifname);
		printf(",\"interval_s\":%.3f,\"sources_tracked\":%zu,"
		       "\"top\":[", dt, nb);
	} else {
		printf("xdpguard top: %s, %zu sources tracked, interval "
		       "%.1fs\n", ifc->ifname, nb, dt);
		printf("%-44s %6s %10s %10s %12s %12s\n", "source", "port",
		       "syn/s", "drop/s", "passed", "dropped");
	}
	for (i = 0; i < nr && (int)i < limit; i++) {
		struct xg_bucket_key *k = &r[i].s->key;
		char cidr[80];

		xg_format_addr(k->family, k->addr, addr, sizeof(addr));
		snprintf(cidr, sizeof(cidr), "%s/%u", addr,
			 k->family == 4 ? info->prefix4 : info->prefix6);
		if (json)
			printf("%s{\"source\":\"%s\",\"family\":%u,\"port\":%u,"
			       "\"syn_pps\":%.1f,\"pass_pps\":%.1f,"
			       "\"drop_pps\":%.1f,\"passed\":%llu,"
			       "\"dropped\":%llu,\"throttled\":%s}",
			       i ? "," : "", cidr, k->family, k->port,
			       r[i].pass_rate + r[i].drop_rate, r[i].pass_rate,
			       r[i].drop_rate, r[i].s->passed,
			       r[i].s->dropped,
			       r[i].s->throttled ? "true" : "false");
		else
			printf("%-44s %6s %10.0f %10.0f %12llu %12llu\n", cidr,
			       k->port ? (snprintf(addr, sizeof(addr), "%u",
						   k->port), addr) : "*",
			       r[i].pass_rate + r[i].drop_rate,
			       r[i].drop_rate, r[i].s->passed,
			       r[i].s->dropped);
	}
	if (json)
		printf("]}\n");
	fflush(stdout);
	free(a);
	free(b);
	free(r);
	return 0;
}

static const char top_usage[] =
	"usage: xdpguard top [-i IFACE] [--once] [--json] [--count N] "
	"[--interval S]\n";

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *ifname = NULL;
	bool once = false, json = false;
	__u32 limit = 10, ims = 1000;
	struct xg_iface ifc;
	struct xg_info info;
	int c, ret, fd;

	xg_cmd = "top";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'j':
			json = true;
			break;
		case 'n':
			if (xg_parse_u32(optarg, 1, 10000, &limit))
				return xg_usage_err("bad --count '%s' (1..10000)",
						    optarg);
			break;
		case 't':
			if (xg_parse_u32(optarg, 1, 60, &ims))
				return xg_usage_err("bad --interval '%s' "
						    "(seconds, 1..60)", optarg);
			ims *= 1000;
			break;
		case 'h':
			fputs(top_usage, stdout);
			return XG_EXIT_OK;
		default:
			fputs(top_usage, stderr);
			return xg_usage_err("unknown option '%s'",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return xg_usage_err("unexpected argument '%s'", argv[optind]);
	if (xg_need_root())
		return XG_EXIT_USAGE;
	ret = xg_iface_resolve(ifname, &ifc);
	if (ret)
		return ret;
	if (xg_info_read(&ifc, &info))
		return XG_EXIT_FAIL;
	fd = xg_map_open(&ifc, XG_MAP_BUCKETS);
	if (fd < 0)
		return XG_EXIT_FAIL;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		if (top_once(&ifc, &info, fd, limit, ims / 1000.0, json,
			     !once && !json && isatty(1))) {
			xg_err("out of memory");
			close(fd);
			return XG_EXIT_FAIL;
		}
	} while (!once && !stop);
	close(fd);
	return XG_EXIT_OK;
}
