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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cmd.h"


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
	"        ss), TIME_WAIT entries and reset closes per second over the\n"
	"        --interval, the --top remote endpoints and local ports by\n"
	"        TIME_WAIT count and by churn, ephemeral ports in use per\n"
	"        destination\n"
	"  THRESHOLDS, for this network namespace (0 turns an event off; in\n"
	"  force until set: churn 1000/s, ephemeral 80% of\n"
	"  ip_local_port_range toward one destination, accept-full on, one\n"
	"  event per key per 10s, 1000 events/s per CPU)\n";

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
		      struct xg_jw *w, const char *nkey, const char *okey)
{
	char ep[80];
	size_t i;

	if (w) {
		xg_jw_name(w, title);
		xg_jw_array(w);
		for (i = 0; i < n && (int)i < top; i++) {
			xg_jw_object(w);
			if (g[i].family) {
				xg_format_endpoint(g[i].family, g[i].addr,
						   g[i].port, ep, sizeof(ep));
				xg_jw_str_field(w, "endpoint", ep);
			}
			xg_jw_u64_field(w, "port", g[i].port);
			xg_jw_u64_field(w, nkey, g[i].n);
			xg_jw_float_field(w, okey, g[i].rate, 1);
			xg_jw_object_end(w);
		}
		xg_jw_array_end(w);
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
		struct xg_jw *w = xg_jw_new(stdout);

		if (!w)
			return;
		xg_jw_object(w);
		xg_jw_u64_field(w, "netns", xg_netns_ino());
		xg_jw_float_field(w, "interval_seconds", r->dt, 3);
		xg_jw_u64_field(w, "sockets", r->nrec);
		xg_jw_float_field(w, "snapshot_ms", r->snap_ms, 1);
		xg_jw_name(w, "states");
		xg_jw_object(w);
		for (i = 1; i < XG_TCP_MAX_STATES; i++)
			if (strcmp(xg_tcp_state_name(i), "unknown"))
				xg_jw_u64_field(w, xg_tcp_state_name(i),
						r->state[i]);
		xg_jw_object_end(w);
		xg_jw_u64_field(w, "time_wait", r->state[XG_TCP_TIME_WAIT]);
		xg_jw_u64_field(w, "timewait_sockets", r->tw_socks);
		xg_jw_u64_field(w, "tw_entries", D(tw_entries));
		xg_jw_float_field(w, "tw_entries_per_s", D(tw_entries) / r->dt,
				  1);
		xg_jw_u64_field(w, "tw_entered_fin_wait2", D(tw_fin_wait2));
		xg_jw_u64_field(w, "tw_entries_iter", r->tw_recent);
		xg_jw_u64_field(w, "tw_taken_back", D(tw_taken_back));
		if (r->ovf0 >= 0)
			xg_jw_s64_field(w, "tw_overflow", r->ovf1 - r->ovf0);
		else
			xg_jw_null_field(w, "tw_overflow");
		xg_jw_u64_field(w, "reset_closes", resets);
		xg_jw_float_field(w, "reset_closes_per_s", resets / r->dt, 1);
		xg_jw_u64_field(w, "rst_received", D(rst_received));
		xg_jw_u64_field(w, "rst_sent", D(rst_sent));
		xg_jw_float_field(w, "connects_per_s", D(connects) / r->dt, 1);
		xg_jw_float_field(w, "closes_per_s", D(closes) / r->dt, 1);
		xg_jw_float_field(w, "state_changes_per_s",
				  D(transitions) / r->dt, 1);
		xg_jw_u64_field(w, "no_port", D(no_port));
		grp_print("top_remote_by_count", r->rby, r->nrby, top, w,
			  "time_wait", "tw_entries_per_s");
		grp_print("top_remote_by_churn", r->rch, nrch, top, w,
			  "time_wait", "tw_entries_per_s");
		grp_print("top_lport_by_count", r->lby, r->nlby, top, w,
			  "time_wait", "tw_entries_per_s");
		grp_print("top_lport_by_churn", r->lch, nlch, top, w,
			  "time_wait", "tw_entries_per_s");
		xg_jw_name(w, "ephemeral");
		xg_jw_object(w);
		xg_jw_name(w, "range");
		xg_jw_array(w);
		xg_jw_u64(w, r->lo);
		xg_jw_u64(w, r->hi);
		xg_jw_array_end(w);
		xg_jw_u64_field(w, "ports", size);
		xg_jw_name(w, "destinations");
		xg_jw_array(w);
		for (i = 0; i < (int)r->neph && i < top; i++) {
			xg_format_endpoint(r->eph[i].family, r->eph[i].addr,
					   r->eph[i].port, ep, sizeof(ep));
			xg_jw_object(w);
			xg_jw_str_field(w, "destination", ep);
			xg_jw_u64_field(w, "in_use", r->eph[i].n);
			xg_jw_float_field(w, "share", (double)r->eph[i].n / size,
					  4);
			xg_jw_object_end(w);
		}
		xg_jw_array_end(w);
		xg_jw_object_end(w);
		xg_jw_name(w, "thresholds");
		xg_jw_object(w);
		xg_jw_u64_field(w, "churn_per_s", r->cfg.churn);
		xg_jw_u64_field(w, "ephemeral_pct", r->cfg.ephemeral_pct);
		xg_jw_bool_field(w, "accept_full", r->cfg.accept_full);
		xg_jw_u64_field(w, "event_every_ms", r->cfg.event_every_ms);
		xg_jw_u64_field(w, "event_budget", r->cfg.event_budget);
		xg_jw_bool_field(w, "own", r->own_cfg);
		xg_jw_object_end(w);
		xg_jw_object_end(w);
		xg_jw_free(w);
		return;
	}
	printf("xdpguard tw: network namespace %llu, %zu TCP sockets (snapshot "
	       "%.1f ms), rates over %.1f s\n", xg_netns_ino(), r->nrec,
	       r->snap_ms, r->dt);
	printf("states:");
	for (i = 1; i < XG_TCP_MAX_STATES; i++)
		if (strcmp(xg_tcp_state_name(i), "unknown") && i != XG_TCP_CLOSE)
			printf(" %s %llu", xg_tcp_state_name(i), r->state[i]);
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
		  top, NULL, "time-wait", "entries/s");
	grp_print("top remote endpoints by TIME_WAIT entries/s:", r->rch,
		  nrch, top, NULL, "time-wait", "entries/s");
	grp_print("top local ports by TIME_WAIT count:", r->lby, r->nlby, top,
		  NULL, "time-wait", "entries/s");
	grp_print("top local ports by TIME_WAIT entries/s:", r->lch, nlch, top,
		  NULL, "time-wait", "entries/s");
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

	if (xg_host_need("TIME_WAIT churn"))
		return XG_EXIT_USAGE;
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
static const char *const off_on[] = { "off", "on", NULL };

struct tw_opts {
	bool json;
	__u32 top, interval;
	__u32 churn, ephemeral, accept_full, event_budget;
	__u64 event_every;
};

static const struct xg_opt tw_opts[] = {
	{ "json", 0, XG_OPT_FLAG, offsetof(struct tw_opts, json),
	  .help = "JSON output (on, off, set: what changed)" },
	{ "top", 0, XG_OPT_U32, offsetof(struct tw_opts, top),
	  .min = 1, .max = 1000, .def = "10", .arg = "N", .verbs = "show",
	  .help = "1..1000" },
	{ "interval", 0, XG_OPT_U32, offsetof(struct tw_opts, interval),
	  .min = 1, .max = 3600, .def = "1", .arg = "S", .verbs = "show",
	  .help = "seconds, 1..3600" },
	{ "churn", 0, XG_OPT_U32, offsetof(struct tw_opts, churn),
	  .max = 10000000, .arg = "N", .verbs = "on set",
	  .help = "TIME_WAIT entries per second, 0..10000000; 0 = off" },
	{ "ephemeral", 0, XG_OPT_U32, offsetof(struct tw_opts, ephemeral),
	  .max = 100, .arg = "PCT", .verbs = "on set",
	  .help = "a percentage 0..100; 0 = off" },
	{ "accept-full", 0, XG_OPT_CHOICE,
	  offsetof(struct tw_opts, accept_full), .choices = off_on,
	  .arg = "on|off", .verbs = "on set" },
	{ "event-every", 0, XG_OPT_DURATION,
	  offsetof(struct tw_opts, event_every),
	  .max = 3600ULL * 1000000000ULL, .arg = "D", .verbs = "on set",
	  .help = "a duration 1s..1h: 10, 10s, 5m" },
	{ "event-budget", 0, XG_OPT_U32, offsetof(struct tw_opts, event_budget),
	  .max = 1000000, .arg = "N", .verbs = "on set",
	  .help = "events per second per CPU, 0..1000000; 0 = no limit" },
	{}
};

/* tw on|off|set --json: the telemetry's state and the thresholds set */
static int tw_json(const char *cmd, bool on, bool was_on,
		   const struct xg_sk_config *cfg)
{
	struct xg_jw *w = xg_jw_new(stdout);

	if (!w)
		return XG_EXIT_FAIL;
	xg_jw_object(w);
	xg_jw_str_field(w, "command", cmd);
	xg_jw_u64_field(w, "netns", xg_netns_ino());
	xg_jw_bool_field(w, "telemetry", on);
	xg_jw_bool_field(w, "was_on", was_on);
	xg_jw_name(w, "thresholds");
	if (cfg) {
		xg_jw_object(w);
		xg_jw_u64_field(w, "churn_per_s", cfg->churn);
		xg_jw_u64_field(w, "ephemeral_pct", cfg->ephemeral_pct);
		xg_jw_bool_field(w, "accept_full", cfg->accept_full);
		xg_jw_u64_field(w, "event_every_ms", cfg->event_every_ms);
		xg_jw_u64_field(w, "event_budget", cfg->event_budget);
		xg_jw_object_end(w);
	} else {
		xg_jw_null(w);
	}
	xg_jw_object_end(w);
	xg_jw_free(w);
	return XG_EXIT_OK;
}

static int tw_on_set(const struct tw_opts *o, const struct xg_args *a,
		     bool on)
{
	static const char *const names[] = { "churn", "ephemeral",
		"accept-full", "event-every", "event-budget", NULL };
	struct xg_sk_config cfg;
	bool was_on, own, given = false;
	__u64 netns;
	int i;

	for (i = 0; names[i]; i++)
		given |= xg_opt_given(a, tw_opts, names[i]);
	if (!on && !given)
		return xg_usage_err("nothing to set (--churn, --ephemeral, "
				    "--accept-full, --event-every, "
				    "--event-budget)");
	if (xg_host_on(&was_on))
		return XG_EXIT_FAIL;
	if (on && !o->json)
		printf("xdpguard: host socket telemetry %s (tracepoints "
		       "sock:inet_sock_set_state, tcp:tcp_receive_reset, "
		       "tcp:tcp_send_reset, tcp:tcp_retransmit_synack; "
		       "iter/tcp; pins in %s)\n",
		       was_on ? "was already on" : "on", xg_pin_host());
	else if (!on && !was_on)
		fprintf(stderr, "xdpguard: host socket telemetry was off: "
			"switched it on\n");
	if (!given && o->json)
		return tw_json(on ? "tw on" : "tw set", true, was_on, NULL);
	if (!given)
		return XG_EXIT_OK;
	netns = xg_netns_cookie();
	if (!netns || xg_sk_config_read(netns, &cfg, &own))
		return XG_EXIT_FAIL;
	/* the options given, over what is in force */
	if (xg_opt_given(a, tw_opts, "churn"))
		cfg.churn = o->churn;
	if (xg_opt_given(a, tw_opts, "ephemeral"))
		cfg.ephemeral_pct = o->ephemeral;
	if (xg_opt_given(a, tw_opts, "accept-full"))
		cfg.accept_full = o->accept_full;
	if (xg_opt_given(a, tw_opts, "event-every"))
		cfg.event_every_ms = o->event_every / 1000000ULL;
	if (xg_opt_given(a, tw_opts, "event-budget"))
		cfg.event_budget = o->event_budget;
	if (xg_sk_config_write(netns, &cfg))
		return XG_EXIT_FAIL;
	if (o->json)
		return tw_json(on ? "tw on" : "tw set", true, was_on, &cfg);
	printf("xdpguard: thresholds of network namespace %llu: churn %u/s, "
	       "ephemeral %u%%, accept-full %s, one event per key per %u ms, "
	       "%u events/s per CPU\n", xg_netns_ino(), cfg.churn,
	       cfg.ephemeral_pct, cfg.accept_full ? "on" : "off",
	       cfg.event_every_ms, cfg.event_budget);
	return XG_EXIT_OK;
}

int cmd_tw(int argc, char **argv)
{
	const char *sub = argv[1];
	struct tw_opts o = {};
	struct xg_args a;
	int ret;

	xg_cmd = !strcmp(sub, "on") ? "tw on" : !strcmp(sub, "set") ?
		"tw set" : !strcmp(sub, "off") ? "tw off" : "tw show";
	ret = xg_opts_parse(argc, argv, sub, tw_opts, &o, &a, tw_usage);
	if (ret >= 0)
		return ret;
	ret = a.npos ? xg_usage_err("unexpected argument '%s'", a.pos[0]) :
		-1;
	if (ret < 0 && (!strcmp(sub, "on") || !strcmp(sub, "set")))
		ret = tw_on_set(&o, &a, !strcmp(sub, "on"));
	xg_args_free(&a);
	if (ret >= 0)
		return ret;
	if (!strcmp(sub, "off")) {
		ret = xg_host_off();
		if (ret < 0)
			return XG_EXIT_FAIL;
		if (o.json)
			return tw_json("tw off", false, ret > 0, NULL);
		printf("xdpguard: host socket telemetry %s\n",
		       ret ? "off: programs detached, pins removed" :
		       "was already off");
		return XG_EXIT_OK;
	}
	return tw_show(o.top, o.interval, o.json);
}

/* ---------------- sockets ---------------- */

static const char sockets_usage[] =
	"usage: xdpguard sockets [show] [--json]\n"
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

struct sockets_opts {
	bool json;
};

static const struct xg_opt sockets_opts[] = {
	{ "json", 0, XG_OPT_FLAG, offsetof(struct sockets_opts, json),
	  .help = "JSON output" },
	{}
};

int cmd_sockets(int argc, char **argv)
{
	struct xg_sk_rec *rec = NULL, *lis = NULL, *req = NULL;
	size_t nrec = 0, nlis = 0, nreq = 0, i, j;
	struct sockets_opts o = {};
	struct xg_jw *w = NULL;
	struct xg_sk_stats st;
	struct xg_sk_listen lv;
	bool json;
	__u64 netns;
	int fd = -1, ret = XG_EXIT_FAIL;
	char ep[80];

	xg_cmd = "sockets";
	ret = xg_opts_only(argc, argv, NULL, sockets_opts, &o, NULL,
			   sockets_usage);
	if (ret >= 0)
		return ret;
	ret = XG_EXIT_FAIL;
	json = o.json;
	if (xg_host_need("socket telemetry"))
		return XG_EXIT_USAGE;
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
	if (json) {
		w = xg_jw_new(stdout);
		if (!w)
			goto out;
		xg_jw_object(w);
		xg_jw_u64_field(w, "netns", xg_netns_ino());
		xg_jw_name(w, "listeners");
		xg_jw_array(w);
	} else
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
		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "local", ep);
			xg_jw_u64_field(w, "port", l->lport);
			xg_jw_u64_field(w, "accept_queue", l->accept_q);
			xg_jw_u64_field(w, "accept_max", l->accept_max);
			xg_jw_bool_field(w, "full", l->accept_q > l->accept_max);
			xg_jw_u64_field(w, "syn_recv", nsyn);
			xg_jw_u64_field(w, "syn_queue", l->syn_recv);
			xg_jw_u64_field(w, "synack_retrans", rtx);
			xg_jw_object_end(w);
		} else {
			snprintf(q, sizeof(q), "%u/%u", l->accept_q,
				 l->accept_max);
			printf("%-46s %14s %5s %9llu %15llu\n", ep, q,
			       l->accept_q > l->accept_max ? "yes" : "-", nsyn,
			       rtx);
		}
	}
	if (w) {
		xg_jw_array_end(w);
		xg_jw_u64_field(w, "syn_recv", nreq);
		xg_jw_u64_field(w, "synack_retrans", st.synack_retrans);
		xg_jw_name(w, "netstat");
		xg_jw_object(w);
		for (i = 0; i < sizeof(netstat_names) / sizeof(*netstat_names);
		     i++) {
			long long v = xg_netstat(netstat_names[i]);

			if (v >= 0)
				xg_jw_s64_field(w, netstat_names[i], v);
			else
				xg_jw_null_field(w, netstat_names[i]);
		}
		xg_jw_object_end(w);
		xg_jw_object_end(w);
		xg_jw_free(w);
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
