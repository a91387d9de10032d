// SPDX-License-Identifier: GPL-2.0
/*
 * tw / sockets: TIME_WAIT churn and socket pressure of this network
 * namespace. Exact counts come from an iter/tcp snapshot (the same
 * sockets ss walks: listeners, request, full and timewait sockets); rates
 * come from the tracepoint counters read twice, --interval apart. Every
 * command switches the host programs on if they are off (and says so);
 * `tw off` and `detach --all` remove them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "xdpguard.h"

static const char *const state_names[XG_TCP_MAX_STATES] = {
	[XG_TCP_ESTABLISHED] = "established",
	[XG_TCP_SYN_SENT] = "syn_sent",
	[XG_TCP_SYN_RECV] = "syn_recv",
	[XG_TCP_FIN_WAIT1] = "fin_wait1",
	[XG_TCP_FIN_WAIT2] = "fin_wait2",
	[XG_TCP_TIME_WAIT] = "time_wait",
	[XG_TCP_CLOSE] = "close",
	[XG_TCP_CLOSE_WAIT] = "close_wait",
	[XG_TCP_LAST_ACK] = "last_ack",
	[XG_TCP_LISTEN] = "listen",
	[XG_TCP_CLOSING] = "closing",
};

const char *xg_tcp_state_name(int state)
{
	return state > 0 && state < XG_TCP_MAX_STATES && state_names[state] ?
		state_names[state] : "unknown";
}

/* An endpoint (or a port alone, family 0) with a count and a rate. */
struct grp {
	__u32 addr[4];
	__u16 port;
	__u8 family;
	__u64 n;
	double rate;
};

static int grp_key_cmp(const void *a, const void *b)
{
	const struct grp *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->port != y->port)
		return x->port - y->port;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int grp_n_cmp(const void *a, const void *b)
{
	const struct grp *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return grp_key_cmp(a, b);
}

static int grp_rate_cmp(const void *a, const void *b)
{
	const struct grp *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	return grp_key_cmp(a, b);
}

/* Sort by key and fold equal keys: sum their n, or keep one. */
static size_t grp_fold(struct grp *g, size_t n, bool sum)
{
	size_t i, o = 0;

	if (!n)
		return 0;
	qsort(g, n, sizeof(*g), grp_key_cmp);
	for (i = 1; i < n; i++) {
		if (!grp_key_cmp(&g[o], &g[i])) {
			if (sum)
				g[o].n += g[i].n;
			else
				g[o].n = g[i].n;
			continue;
		}
		g[++o] = g[i];
	}
	return o + 1;
}

static struct grp *grp_find(struct grp *g, size_t n, const struct grp *k)
{
	return n ? bsearch(k, g, n, sizeof(*g), grp_key_cmp) : NULL;
}

/* Churn counters of this namespace of one kind, folded by key. */
static struct grp *churn_read(int fd, __u64 netns, int kind, size_t *n)
{
	struct xg_sk_key k, next, *prev = NULL;
	struct grp *g = NULL, *ng;
	size_t cap = 0;
	__u64 v;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (k.netns != netns || k.kind != kind ||
		    bpf_map_lookup_elem(fd, &k, &v))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			ng = realloc(g, cap * sizeof(*g));
			if (!ng)
				break;
			g = ng;
		}
		memset(&g[*n], 0, sizeof(*g));
		g[*n].family = kind == XG_SK_BY_LPORT ? 0 : k.family;
		g[*n].port = k.port;
		memcpy(g[*n].addr, k.addr, sizeof(k.addr));
		g[*n].n = v;
		(*n)++;
	}
	/* a key deleted under get_next_key restarts the walk: dedupe */
	*n = grp_fold(g, *n, false);
	return g;
}

/* Per key: entries between the two reads, per second. */
static void churn_rates(struct grp *b, size_t nb, struct grp *a, size_t na,
			double dt)
{
	struct grp *old;
	size_t i;

	for (i = 0; i < nb; i++) {
		__u64 v0 = 0;

		old = grp_find(a, na, &b[i]);
		if (old && old->n <= b[i].n)
			v0 = old->n;	/* else evicted and made again */
		b[i].rate = (b[i].n - v0) / dt;
	}
}

static const char tw_usage[] =
	"usage: xdpguard tw [show] [--json] [--top N] [--interval S]\n"
	"       xdpguard tw on [THRESHOLDS]\n"
	"       xdpguard tw set THRESHOLDS\n"
	"       xdpguard tw off\n"
	"  show: TCP sockets per state of this network namespace (exact, like\n"
	"        ss), TIME_WAIT entries and reset closes per second over S\n"
	"        seconds (1..3600, default 1), the top N (1..1000, default\n"
	"        10) remote endpoints and local ports by TIME_WAIT count and\n"
	"        by churn, ephemeral ports in use per destination\n"
	"  THRESHOLDS (for this network namespace; 0 turns an event off):\n"
	"    --churn N          TIME_WAIT entries per second (default 1000)\n"
	"    --ephemeral PCT    local ports in use toward one destination,\n"
	"                       percent of ip_local_port_range (default 80)\n"
	"    --accept-full on|off  report full accept queues (default on)\n"
	"    --event-every D    at most one event per key per D (1s..1h, "
	"default 10s)\n"
	"    --event-budget N   events per second per CPU (default 1000)\n";

struct twrep {
	struct xg_sk_rec *rec;
	size_t nrec;
	struct xg_sk_stats s0, s1;
	long long ovf0, ovf1;
	double dt;
	__u32 lo, hi;
	struct xg_sk_config cfg;
	bool own_cfg;
	double snap_ms;
	__u64 state[XG_TCP_MAX_STATES];
	__u64 tw_socks, tw_recent;
	struct grp *rby, *lby, *eph, *rch, *lch;
	size_t nrby, nlby, neph, nrch, nlch;
};

static void grp_print(const char *title, struct grp *g, size_t n, int top,
		      bool json, const char *nkey, const char *okey,
		      bool first)
{
	char ep[80];
	size_t i;

	if (json) {
		printf("%s\"%s\":[", first ? "" : ",", title);
		for (i = 0; i < n && (int)i < top; i++) {
			xg_format_endpoint(g[i].family, g[i].addr, g[i].port,
					   ep, sizeof(ep));
			if (g[i].family)
				printf("%s{\"endpoint\":\"%s\",\"port\":%u,",
				       i ? "," : "", ep, g[i].port);
			else
				printf("%s{\"port\":%u,", i ? "," : "",
				       g[i].port);
			printf("\"%s\":%llu,\"%s\":%.1f}", nkey, g[i].n, okey,
			       g[i].rate);
		}
		printf("]");
		return;
	}
	printf("\n%s\n", title);
	if (!n)
		printf("  (none)\n");
	for (i = 0; i < n && (int)i < top; i++) {
		xg_format_endpoint(g[i].family, g[i].addr, g[i].port, ep,
				   sizeof(ep));
		printf("  %-46s %10llu %s %10.1f %s\n", ep, g[i].n, nkey,
		       g[i].rate, okey);
	}
}

/*
 * Join the live counts (from the snapshot) and the churn (from the
 * tracepoint counters) while both are sorted by key, then rank: the count
 * lists by count, the churn lists by entries per second.
 */
static void join(struct grp *by, size_t nby, struct grp *ch, size_t nch)
{
	struct grp *m;
	size_t i;

	for (i = 0; i < nby; i++) {
		m = grp_find(ch, nch, &by[i]);
		by[i].rate = m ? m->rate : 0;
	}
	for (i = 0; i < nch; i++) {
		m = grp_find(by, nby, &ch[i]);
		ch[i].n = m ? m->n : 0;
	}
}

static void twrep_rank(struct twrep *r)
{
	join(r->rby, r->nrby, r->rch, r->nrch);
	join(r->lby, r->nlby, r->lch, r->nlch);
	qsort(r->rby, r->nrby, sizeof(*r->rby), grp_n_cmp);
	qsort(r->lby, r->nlby, sizeof(*r->lby), grp_n_cmp);
	qsort(r->eph, r->neph, sizeof(*r->eph), grp_n_cmp);
	qsort(r->rch, r->nrch, sizeof(*r->rch), grp_rate_cmp);
	qsort(r->lch, r->nlch, sizeof(*r->lch), grp_rate_cmp);
}

/* the churn lists end at the first key without entries in the interval */
static size_t nonzero_rate(struct grp *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].rate <= 0)
			break;
	return i;
}

static int twrep_collect(struct twrep *r)
{
	size_t i, cap;

	cap = r->nrec ? r->nrec : 1;
	r->rby = calloc(cap, sizeof(struct grp));
	r->lby = calloc(cap, sizeof(struct grp));
	r->eph = calloc(cap, sizeof(struct grp));
	if (!r->rby || !r->lby || !r->eph)
		return -1;
	for (i = 0; i < r->nrec; i++) {
		struct xg_sk_rec *s = &r->rec[i];
		struct grp *g;

		if (s->state < XG_TCP_MAX_STATES)
			r->state[s->state]++;
		if (s->kind == XG_SK_TW) {
			r->tw_socks++;
			if (s->age_ms < r->dt * 1000)
				r->tw_recent++;
		}
		if (s->state == XG_TCP_TIME_WAIT) {
			g = &r->rby[r->nrby++];
			g->family = s->family;
			g->port = s->rport;
			memcpy(g->addr, s->raddr, sizeof(g->addr));
			g->n = 1;
			g = &r->lby[r->nlby++];
			g->port = s->lport;
			g->n = 1;
		}
		/* a local port taken from the range toward a destination */
		if (s->kind != XG_SK_REQ && s->state != XG_TCP_LISTEN &&
		    s->rport && s->lport >= r->lo && s->lport <= r->hi) {
			g = &r->eph[r->neph++];
			g->family = s->family;
			g->port = s->rport;
			memcpy(g->addr, s->raddr, sizeof(g->addr));
			g->n = 1;
		}
	}
	r->nrby = grp_fold(r->rby, r->nrby, true);
	r->nlby = grp_fold(r->lby, r->nlby, true);
	r->neph = grp_fold(r->eph, r->neph, true);
	return 0;
}

#define D(f) (r->s1.f - r->s0.f)

static void tw_print(struct twrep *r, int top, bool json)
{
	__u64 size = r->hi - r->lo + 1, resets = D(rst_received) + D(rst_sent);
	size_t nrch = nonzero_rate(r->rch, r->nrch);
	size_t nlch = nonzero_rate(r->lch, r->nlch);
	char ep[80], every[32];
	int i;

	xg_format_duration((__u64)r->cfg.event_every_ms * 1000000ULL, every,
			   sizeof(every));
	if (json) {
		printf("{\"netns\":%llu,\"interval_s\":%.3f,\"sockets\":%zu,"
		       "\"snapshot_ms\":%.1f,\"states\":{", xg_netns_ino(),
		       r->dt, r->nrec, r->snap_ms);
		for (i = 1; i < XG_TCP_MAX_STATES; i++)
			if (state_names[i])
				printf("%s\"%s\":%llu", i > 1 ? "," : "",
				       state_names[i], r->state[i]);
		printf("},\"time_wait\":%llu,\"timewait_sockets\":%llu,"
		       "\"tw_entries\":%llu,\"tw_entries_per_s\":%.1f,"
		       "\"tw_entered_fin_wait2\":%llu,"
		       "\"tw_entries_iter\":%llu,\"tw_taken_back\":%llu,"
		       "\"tw_overflow\":%lld,"
		       "\"reset_closes\":%llu,\"reset_closes_per_s\":%.1f,"
		       "\"rst_received\":%llu,\"rst_sent\":%llu,"
		       "\"connects_per_s\":%.1f,\"closes_per_s\":%.1f,"
		       "\"state_changes_per_s\":%.1f,\"no_port\":%llu,",
		       r->state[XG_TCP_TIME_WAIT], r->tw_socks, D(tw_entries),
		       D(tw_entries) / r->dt, D(tw_fin_wait2), r->tw_recent,
		       D(tw_taken_back),
		       r->ovf0 >= 0 ? r->ovf1 - r->ovf0 : -1, resets,
		       resets / r->dt, D(rst_received), D(rst_sent),
		       D(connects) / r->dt, D(closes) / r->dt,
		       D(transitions) / r->dt, D(no_port));
		grp_print("top_remote_by_count", r->rby, r->nrby, top, true,
			  "time_wait", "tw_entries_per_s", true);
		grp_print("top_remote_by_churn", r->rch, nrch, top, true,
			  "time_wait", "tw_entries_per_s", false);
		grp_print("top_lport_by_count", r->lby, r->nlby, top, true,
			  "time_wait", "tw_entries_per_s", false);
		grp_print("top_lport_by_churn", r->lch, nlch, top, true,
			  "time_wait", "tw_entries_per_s", false);
		printf(",\"ephemeral\":{\"range\":[%u,%u],\"ports\":%llu,"
		       "\"destinations\":[", r->lo, r->hi, size);
		for (i = 0; i < (int)r->neph && i < top; i++) {
			xg_format_endpoint(r->eph[i].family, r->eph[i].addr,
					   r->eph[i].port, ep, sizeof(ep));
			printf("%s{\"destination\":\"%s\",\"in_use\":%llu,"
			       "\"pct\":%.1f}", i ? "," : "", ep, r->eph[i].n,
			       100.0 * r->eph[i].n / size);
		}
		printf("]},\"thresholds\":{\"churn_per_s\":%u,"
		       "\"ephemeral_pct\":%u,\"accept_full\":%s,"
		       "\"event_every_ms\":%u,\"event_budget\":%u,"
		       "\"own\":%s}}\n", r->cfg.churn, r->cfg.ephemeral_pct,
		       r->cfg.accept_full ? "true" : "false",
		       r->cfg.event_every_ms, r->cfg.event_budget,
		       r->own_cfg ? "true" : "false");
		return;
	}
	printf("xdpguard tw: network namespace %llu, %zu TCP sockets (snapshot "
	       "%.1f ms), rates over %.1f s\n", xg_netns_ino(), r->nrec,
	       r->snap_ms, r->dt);
	printf("states:");
	for (i = 1; i < XG_TCP_MAX_STATES; i++)
		if (state_names[i] && i != XG_TCP_CLOSE)
			printf(" %s %llu", state_names[i], r->state[i]);
	printf("\nTIME_WAIT %llu (timewait sockets %llu, of which %llu still "
	       "in FIN_WAIT2)\n", r->state[XG_TCP_TIME_WAIT], r->tw_socks,
	       r->tw_socks - r->state[XG_TCP_TIME_WAIT]);
	printf("entering TIME_WAIT %.1f/s (%llu; %llu entered as FIN_WAIT2; "
	       "the snapshot holds %llu younger than %.1f s)\n",
	       D(tw_entries) / r->dt, D(tw_entries), D(tw_fin_wait2),
	       r->tw_recent, r->dt);
	printf("closing by reset %.1f/s (%llu received, %llu sent); connects "
	       "%.1f/s, closes %.1f/s, state changes %.1f/s\n",
	       resets / r->dt, D(rst_received), D(rst_sent),
	       D(connects) / r->dt, D(closes) / r->dt,
	       D(transitions) / r->dt);
	if (D(no_port) || (r->ovf0 >= 0 && r->ovf1 > r->ovf0))
		printf("connect() without a free port: %llu; TIME_WAIT "
		       "overflow (tcp_max_tw_buckets): %lld\n", D(no_port),
		       r->ovf1 - r->ovf0);
	printf("thresholds%s: churn %u/s, ephemeral %u%%, accept-full %s, at "
	       "most one event per key per %s\n",
	       r->own_cfg ? "" : " (default)", r->cfg.churn,
	       r->cfg.ephemeral_pct, r->cfg.accept_full ? "on" : "off",
	       every);
	grp_print("top remote endpoints by TIME_WAIT count:", r->rby, r->nrby,
		  top, false, "time-wait", "entries/s", true);
	grp_print("top remote endpoints by TIME_WAIT entries/s:", r->rch,
		  nrch, top, false, "time-wait", "entries/s", true);
	grp_print("top local ports by TIME_WAIT count:", r->lby, r->nlby, top,
		  false, "time-wait", "entries/s", true);
	grp_print("top local ports by TIME_WAIT entries/s:", r->lch, nlch, top,
		  false, "time-wait", "entries/s", true);
	printf("\nephemeral ports per destination (range %u-%u, %llu "
	       "ports):\n", r->lo, r->hi, size);
	if (!r->neph)
		printf("  (none)\n");
	for (i = 0; i < (int)r->neph && i < top; i++) {
		xg_format_endpoint(r->eph[i].family, r->eph[i].addr,
				   r->eph[i].port, ep, sizeof(ep));
		printf("  %-46s %10llu in use %6.1f%%\n", ep, r->eph[i].n,
		       100.0 * r->eph[i].n / size);
	}
}

#undef D

static void twrep_free(struct twrep *r)
{
	free(r->rec);
	free(r->rby);
	free(r->lby);
	free(r->eph);
	free(r->rch);
	free(r->lch);
}

static int tw_show(int top, __u32 interval, bool json)
{
	struct grp *r0 = NULL, *l0 = NULL;
	size_t nr0 = 0, nl0 = 0;
	struct twrep r = {};
	__u64 netns, t0, t1;
	int fd, ret = XG_EXIT_FAIL;

	if (xg_host_ensure())
		return XG_EXIT_FAIL;
	netns = xg_netns_cookie();
	if (!netns) {
		xg_err("cannot read this network namespace's cookie "
		       "(SO_NETNS_COOKIE): %s", strerror(errno));
		return XG_EXIT_FAIL;
	}
	if (xg_port_range(&r.lo, &r.hi)) {
		xg_err("cannot read net.ipv4.ip_local_port_range");
		return XG_EXIT_FAIL;
	}
	fd = xg_host_open(XG_MAP_SK_CHURN);
	if (fd < 0 || xg_sk_config_read(netns, &r.cfg, &r.own_cfg))
		goto out;
	t0 = xg_mono_ns();
	if (xg_sk_stats_read(netns, &r.s0))
		goto out;
	r.ovf0 = xg_netstat("TCPTimeWaitOverflow");
	r0 = churn_read(fd, netns, XG_SK_BY_REMOTE, &nr0);
	l0 = churn_read(fd, netns, XG_SK_BY_LPORT, &nl0);
	usleep((useconds_t)interval * 1000000);
	t1 = xg_mono_ns();
	if (xg_sk_stats_read(netns, &r.s1))
		goto out;
	r.ovf1 = xg_netstat("TCPTimeWaitOverflow");
	r.rch = churn_read(fd, netns, XG_SK_BY_REMOTE, &r.nrch);
	r.lch = churn_read(fd, netns, XG_SK_BY_LPORT, &r.nlch);
	r.dt = (t1 - t0) / 1e9;
	churn_rates(r.rch, r.nrch, r0, nr0, r.dt);
	churn_rates(r.lch, r.nlch, l0, nl0, r.dt);
	t0 = xg_mono_ns();
	if (xg_sk_snapshot(&r.rec, &r.nrec))
		goto out;
	r.snap_ms = (xg_mono_ns() - t0) / 1e6;
	if (twrep_collect(&r)) {
		xg_err("out of memory");
		goto out;
	}
	twrep_rank(&r);
	tw_print(&r, top, json);
	ret = XG_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	free(r0);
	free(l0);
	twrep_free(&r);
	return ret;
}

/* which thresholds an option list gave */
#define T_CHURN		(1U << 0)
#define T_EPH		(1U << 1)
#define T_ACCEPT	(1U << 2)
#define T_EVERY		(1U << 3)
#define T_BUDGET	(1U << 4)

/* Options shared by `tw on` and `tw set`: values in *v, *given says which. */
static int thresholds_parse(int argc, char **argv, struct xg_sk_config *v,
			    __u32 *given, bool *help)
{
	static const struct option opts[] = {
		{ "churn", required_argument, NULL, 'c' },
		{ "ephemeral", required_argument, NULL, 'e' },
		{ "accept-full", required_argument, NULL, 'a' },
		{ "event-every", required_argument, NULL, 'v' },
		{ "event-budget", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	__u64 ns;
	int c;

	*given = 0;
	*help = false;
	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (xg_parse_u32(optarg, 0, 10000000, &v->churn))
				return xg_usage_err("bad --churn '%s' "
						    "(TIME_WAIT entries per "
						    "second, 0..10000000; 0 "
						    "= off)", optarg);
			*given |= T_CHURN;
			break;
		case 'e':
			if (xg_parse_u32(optarg, 0, 100, &v->ephemeral_pct))
				return xg_usage_err("bad --ephemeral '%s' (a "
						    "percentage 0..100; 0 = "
						    "off)", optarg);
			*given |= T_EPH;
			break;
		case 'a':
			if (!strcmp(optarg, "on"))
				v->accept_full = 1;
			else if (!strcmp(optarg, "off"))
				v->accept_full = 0;
			else
				return xg_usage_err("bad --accept-full '%s' "
						    "(accepted: on, off)",
						    optarg);
			*given |= T_ACCEPT;
			break;
		case 'v':
			if (xg_parse_duration(optarg, &ns) ||
			    ns > 3600ULL * 1000000000ULL)
				return xg_usage_err("bad --event-every '%s' (a "
						    "duration 1s..1h: 10, 10s, "
						    "5m)", optarg);
			v->event_every_ms = ns / 1000000ULL;
			*given |= T_EVERY;
			break;
		case 'b':
			if (xg_parse_u32(optarg, 0, 1000000, &v->event_budget))
				return xg_usage_err("bad --event-budget '%s' "
						    "(events per second per "
						    "CPU, 0..1000000; 0 = no "
						    "limit)", optarg);
			*given |= T_BUDGET;
			break;
		case 'h':
			*help = true;
			return 0;
		default:
			fputs(tw_usage, stderr);
			return xg_usage_err("unknown option '%s'",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return xg_usage_err("unexpected argument '%s'", argv[optind]);
	return 0;
}

static int tw_on_set(int argc, char **argv, bool on)
{
	struct xg_sk_config v = {}, cfg;
	bool help, was_on, own;
	__u32 given;
	__u64 netns;
	int ret;

	ret = thresholds_parse(argc, argv, &v, &given, &help);
	if (ret)
		return ret;
	if (help) {
		fputs(tw_usage, stdout);
		return XG_EXIT_OK;
	}
	if (!on && !given)
		return xg_usage_err("nothing to set (--churn, --ephemeral, "
				    "--accept-full, --event-every, "
				    "--event-budget)");
	if (xg_need_root())
		return XG_EXIT_USAGE;
	if (xg_host_on(&was_on))
		return XG_EXIT_FAIL;
	if (on)
		printf("xdpguard: host socket telemetry %s (tracepoints "
		       "sock:inet_sock_set_state, tcp:tcp_receive_reset, "
		       "tcp:tcp_send_reset, tcp:tcp_retransmit_synack; "
		       "iter/tcp; pins in %s)\n",
		       was_on ? "was already on" : "on", xg_pin_host());
	else if (!was_on)
		fprintf(stderr, "xdpguard: host socket telemetry was off: "
			"switched it on\n");
	if (!given)
		return XG_EXIT_OK;
	netns = xg_netns_cookie();
	if (!netns || xg_sk_config_read(netns, &cfg, &own))
		return XG_EXIT_FAIL;
	/* the options given, over what is in force */
	if (given & T_CHURN)
		cfg.churn = v.churn;
	if (given & T_EPH)
		cfg.ephemeral_pct = v.ephemeral_pct;
	if (given & T_ACCEPT)
		cfg.accept_full = v.accept_full;
	if (given & T_EVERY)
		cfg.event_every_ms = v.event_every_ms;
	if (given & T_BUDGET)
		cfg.event_budget = v.event_budget;
	if (xg_sk_config_write(netns, &cfg))
		return XG_EXIT_FAIL;
	printf("xdpguard: thresholds of network namespace %llu: churn %u/s, "
	       "ephemeral %u%%, accept-full %s, one event per key per %u ms, "
	       "%u events/s per CPU\n", xg_netns_ino(), cfg.churn,
	       cfg.ephemeral_pct, cfg.accept_full ? "on" : "off",
	       cfg.event_every_ms, cfg.event_budget);
	return XG_EXIT_OK;
}

int cmd_tw(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	__u32 top = 10, interval = 1;
	bool json = false;
	int c, ret;

	xg_cmd = "tw";
	if (argc >= 2 && !strcmp(argv[1], "help")) {
		fputs(tw_usage, stdout);
		return XG_EXIT_OK;
	}
	if (argc >= 2 && (!strcmp(argv[1], "on") || !strcmp(argv[1], "set"))) {
		xg_cmd = !strcmp(argv[1], "on") ? "tw on" : "tw set";
		return tw_on_set(argc, argv, !strcmp(argv[1], "on"));
	}
	if (argc >= 2 && !strcmp(argv[1], "off")) {
		xg_cmd = "tw off";
		if (argc == 3 && (!strcmp(argv[2], "-h") ||
				  !strcmp(argv[2], "--help"))) {
			fputs(tw_usage, stdout);
			return XG_EXIT_OK;
		}
		if (argc > 2)
			return xg_usage_err("unexpected argument '%s'",
					    argv[2]);
		if (xg_need_root())
			return XG_EXIT_USAGE;
		ret = xg_host_off();
		if (ret < 0)
			return XG_EXIT_FAIL;
		printf("xdpguard: host socket telemetry %s\n",
		       ret ? "off: programs detached, pins removed" :
		       "was already off");
		return XG_EXIT_OK;
	}
	opterr = 0;
	optind = 1;
	if (argc >= 2 && !strcmp(argv[1], "show"))
		optind = 2;
	else if (argc >= 2 && argv[1][0] != '-') {
		fputs(tw_usage, stderr);
		return xg_usage_err("unknown command '%s' (accepted: show, on, "
				    "off, set)", argv[1]);
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'n':
			if (xg_parse_u32(optarg, 1, 1000, &top))
				return xg_usage_err("bad --top '%s' (1..1000)",
						    optarg);
			break;
		case 't':
			if (xg_parse_u32(optarg, 1, 3600, &interval))
				return xg_usage_err("bad --interval '%s' "
						    "(seconds, 1..3600)",
						    optarg);
			break;
		default:	/* -h, --help or an unknown option */
			return xg_opt_other(c, tw_usage, argv);
		}
	}
	if (optind < argc)
		return xg_usage_err("unexpected argument '%s'", argv[optind]);
	if (xg_need_root())
		return XG_EXIT_USAGE;
	return tw_show(top, interval, json);
}

/* ---------------- sockets ---------------- */

static const char sockets_usage[] =
	"usage: xdpguard sockets [--json]\n"
	"  every listener of this network namespace: accept queue (current/\n"
	"  max, like ss Recv-Q/Send-Q), SYN_RECV requests, SYN-ACK\n"
	"  retransmissions, and the kernel's ListenOverflows, ListenDrops,\n"
	"  SyncookiesSent (TcpExt of /proc/net/netstat)\n";

static const char *const netstat_names[] = {
	"ListenOverflows", "ListenDrops", "SyncookiesSent", "SyncookiesRecv",
	"SyncookiesFailed", "TCPReqQFullDrop", "TCPReqQFullDoCookies",
	"TCPSynRetrans", "TCPTimeWaitOverflow",
};

static int rec_cookie_cmp(const void *a, const void *b)
{
	const struct xg_sk_rec *x = a, *y = b;

	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	return 0;
}

static int listener_cmp(const void *a, const void *b)
{
	const struct xg_sk_rec *x = a, *y = b;

	if (x->lport != y->lport)
		return x->lport - y->lport;
	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(x->laddr, y->laddr, sizeof(x->laddr));
}

int cmd_sockets(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct xg_sk_rec *rec = NULL, *lis = NULL, *req = NULL;
	size_t nrec = 0, nlis = 0, nreq = 0, i, j;
	struct xg_sk_stats st;
	struct xg_sk_listen lv;
	bool json = false;
	__u64 netns;
	int c, fd = -1, ret = XG_EXIT_FAIL;
	char ep[80];

	xg_cmd = "sockets";
	opterr = 0;
	optind = 1;
	if (argc >= 2 && !strcmp(argv[1], "show"))
		optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		default:	/* -h, --help or an unknown option */
			return xg_opt_other(c, sockets_usage, argv);
		}
	}
	if (optind < argc)
		return xg_usage_err("unexpected argument '%s'", argv[optind]);
	if (xg_need_root())
		return XG_EXIT_USAGE;
	if (xg_host_ensure())
		return XG_EXIT_FAIL;
	netns = xg_netns_cookie();
	fd = xg_host_open(XG_MAP_SK_LISTEN);
	if (!netns || fd < 0 || xg_sk_stats_read(netns, &st) ||
	    xg_sk_snapshot(&rec, &nrec))
		goto out;
	lis = calloc(nrec ? nrec : 1, sizeof(*lis));
	req = calloc(nrec ? nrec : 1, sizeof(*req));
	if (!lis || !req)
		goto out;
	for (i = 0; i < nrec; i++) {
		if (rec[i].state == XG_TCP_LISTEN && rec[i].kind == XG_SK_FULL)
			lis[nlis++] = rec[i];
		else if (rec[i].kind == XG_SK_REQ)
			req[nreq++] = rec[i];
	}
	qsort(lis, nlis, sizeof(*lis), listener_cmp);
	qsort(req, nreq, sizeof(*req), rec_cookie_cmp);
	if (json)
		printf("{\"netns\":%llu,\"listeners\":[", xg_netns_ino());
	else
		printf("xdpguard sockets: network namespace %llu, %zu "
		       "listeners, %zu SYN_RECV requests\n%-46s %14s %5s %9s "
		       "%15s\n", xg_netns_ino(), nlis, nreq, "listener",
		       "accept queue", "full", "syn-recv", "synack-retrans");
	for (i = 0; i < nlis; i++) {
		struct xg_sk_rec *l = &lis[i], *m;
		__u64 nsyn = 0, rtx = 0;
		char q[32];

		m = nreq ? bsearch(l, req, nreq, sizeof(*req),
				   rec_cookie_cmp) : NULL;
		/* count the run of requests with this listener's cookie */
		if (m) {
			while (m > req && m[-1].cookie == l->cookie)
				m--;
			for (j = m - req;
			     j < nreq && req[j].cookie == l->cookie; j++)
				nsyn++;
		}
		if (!bpf_map_lookup_elem(fd, &l->cookie, &lv))
			rtx = lv.synack_retrans;
		xg_format_endpoint(l->family, l->laddr, l->lport, ep,
				   sizeof(ep));
		if (json) {
			printf("%s{\"local\":\"%s\",\"port\":%u,"
			       "\"accept_queue\":%u,\"accept_max\":%u,"
			       "\"full\":%s,\"syn_recv\":%llu,"
			       "\"syn_queue\":%u,\"synack_retrans\":%llu}",
			       i ? "," : "", ep, l->lport, l->accept_q,
			       l->accept_max,
			       l->accept_q > l->accept_max ? "true" : "false",
			       nsyn, l->syn_recv, rtx);
		} else {
			snprintf(q, sizeof(q), "%u/%u", l->accept_q,
				 l->accept_max);
			printf("%-46s %14s %5s %9llu %15llu\n", ep, q,
			       l->accept_q > l->accept_max ? "yes" : "-", nsyn,
			       rtx);
		}
	}
	if (json) {
		printf("],\"syn_recv\":%zu,\"synack_retrans\":%llu,"
		       "\"netstat\":{", nreq, st.synack_retrans);
		for (i = 0; i < sizeof(netstat_names) / sizeof(*netstat_names);
		     i++)
			printf("%s\"%s\":%lld", i ? "," : "", netstat_names[i],
			       xg_netstat(netstat_names[i]));
		printf("}}\n");
	} else {
		printf("SYN-ACK retransmissions in this namespace since `tw "
		       "on`: %llu\nkernel (TcpExt):", st.synack_retrans);
		for (i = 0; i < sizeof(netstat_names) / sizeof(*netstat_names);
		     i++)
			printf("%s %s %lld", i ? "," : "", netstat_names[i],
			       xg_netstat(netstat_names[i]));
		printf("\n");
	}
	ret = XG_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	free(rec);
	free(lis);
	free(req);
	return ret;
}
