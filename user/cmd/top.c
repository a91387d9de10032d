// SPDX-License-Identifier: GPL-2.0
/*
 * top: the live view during an attack. Samples the counters and the source
 * table twice per interval and shows SYN rates offered/passed/dropped and
 * the heaviest sources. On a terminal it takes the full screen (alternate
 * screen, no echo), refreshes every interval and quits on q or Ctrl-C,
 * restoring the terminal; --once prints one sample (--json for scripts).
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <xdpguard/pmtu.h>
#include "cmd.h"

struct src {
	struct xg_bucket_key key;
	__u64 passed, dropped;
	__u32 throttled;
};

struct ranked {
	struct src *s;
	double pass_rate, drop_rate;
};

struct sample {
	struct xg_stats st;
	struct xg_pm_sum pm;
	struct xg_host_sum host;
	struct xg_dns_sum dns;
	struct src *src;
	size_t n;
	__u64 t;
};

/* one interface of the view */
struct view {
	struct xg_iface ifc;
	int fd;
	struct sample s[2];
};

static volatile sig_atomic_t stop;
static struct termios saved_tty;
static bool tty_raw;
static int tty_cols = 80, tty_rows = 24, lines_out;

/*
 * One line of the text view. On a terminal it is cut to the width (a
 * line that wraps would push the summary off the screen), lines past the
 * height are dropped, and each ends by clearing the rest of the screen
 * line; elsewhere it is printed whole, with no terminal escapes.
 */
static void __attribute__((format(printf, 1, 2))) line(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!tty_raw) {
		puts(buf);
		return;
	}
	if (lines_out >= tty_rows - 1)
		return;
	lines_out++;
	if ((int)strlen(buf) > tty_cols - 1)
		buf[tty_cols > 1 ? tty_cols - 1 : 0] = 0;
	printf("%s\033[K\n", buf);
}

static void on_signal(int sig)
{
	stop = 1;
}

static void tty_restore(void)
{
	if (!tty_raw)
		return;
	tcsetattr(0, TCSANOW, &saved_tty);
	fputs("\033[?25h\033[?1049l", stdout);	/* cursor on, main screen */
	fflush(stdout);
	tty_raw = false;
}

static void tty_size(void)
{
	struct winsize w;

	if (!ioctl(1, TIOCGWINSZ, &w) && w.ws_col >= 20 && w.ws_row >= 8) {
		tty_cols = w.ws_col;
		tty_rows = w.ws_row;
	}
}

/* Full screen: alternate screen, cursor off, keys unbuffered, no echo. */
static int tty_enter(void)
{
	struct termios t;

	if (tcgetattr(0, &saved_tty))
		return -1;
	t = saved_tty;
	t.c_lflag &= ~(ICANON | ECHO);	/* ISIG stays: Ctrl-C is SIGINT */
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSANOW, &t))
		return -1;
	tty_raw = true;
	atexit(tty_restore);
	tty_size();
	fputs("\033[?1049h\033[?25l", stdout);
	return 0;
}

/* Sleep @ms; on a terminal return early when q is pressed. */
static void wait_key(int ms)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	__u64 end = xg_mono_ns() + ms * 1000000ULL, now;
	char ch;

	while (!stop && (now = xg_mono_ns()) < end) {
		if (!tty_raw) {
			usleep((end - now) / 1000 > 100000 ? 100000 :
			       (end - now) / 1000);
			continue;
		}
		if (poll(&p, 1, (end - now) / 1000000 + 1) > 0 &&
		    read(0, &ch, 1) == 1 && (ch == 'q' || ch == 'Q'))
			stop = 1;
	}
}

static int src_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct src *)a)->key,
		      &((const struct src *)b)->key,
		      sizeof(struct xg_bucket_key));
}

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	double rx = x->pass_rate + x->drop_rate;
	double ry = y->pass_rate + y->drop_rate;

	return rx < ry ? 1 : rx > ry ? -1 : 0;
}

/* Counters and the source table's held slots (by key) at one moment. */
static int take(const struct xg_iface *ifc, int fd, struct sample *s)
{
	const struct xg_bucket *b;
	struct src *tmp;
	size_t cap = 0;
	__u32 n, i;

	memset(s, 0, sizeof(*s));
	if (xg_stats_read(ifc, &s->st) || xg_pm_sum_read(ifc, &s->pm) ||
	    xg_host_sum_read(&s->host))
		return -1;
	if (xg_dns_sum_read(ifc, &s->dns))
		s->dns.on = false;	/* shown as off, top goes on */
	b = xg_slots_map(fd, &n);
	if (!b)
		return -1;
	s->t = xg_mono_ns();
	for (i = 0; i < n; i++) {
		if (!b[i].key.family)
			continue;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 1024;
			tmp = realloc(s->src, cap * sizeof(*tmp));
			if (!tmp) {
				xg_slots_unmap(b, n);
				return -1;
			}
			s->src = tmp;
		}
		s->src[s->n].key = b[i].key;
		s->src[s->n].passed = b[i].passed;
		s->src[s->n].dropped = b[i].dropped;
		s->src[s->n].throttled = b[i].throttled;
		s->n++;
	}
	xg_slots_unmap(b, n);
	if (s->n)
		qsort(s->src, s->n, sizeof(*s->src), src_cmp);
	return 0;
}

static double rate(const struct sample *a, const struct sample *b,
		   int v, int r, double dt)
{
	int i = XG_COUNTER_IDX(v, r);

	return (b->st.cnt[i].packets - a->st.cnt[i].packets) / dt;
}

static double slot_rate(const struct sample *a, const struct sample *b,
			int slot, double dt)
{
	return (b->st.cnt[slot].packets - a->st.cnt[slot].packets) / dt;
}

static double pm_rate(const struct sample *a, const struct sample *b,
		      int i, double dt)
{
	return (b->pm.c[i] - a->pm.c[i]) / dt;
}

static double dns_rate(const struct sample *a, const struct sample *b,
		       int i, double dt)
{
	return a->dns.on && b->dns.on && b->dns.cnt[i] >= a->dns.cnt[i] ?
	       (b->dns.cnt[i] - a->dns.cnt[i]) / dt : 0;
}

/* DNS: rates of queries and responses, what went wrong, the tables */
static void render_dns(const struct sample *a, const struct sample *b,
		       double dt, struct xg_jw *w)
{
	const struct xg_dns_sum *d = &b->dns;
	double q = dns_rate(a, b, XG_DNS_C_QUERIES, dt);
	double r = dns_rate(a, b, XG_DNS_C_RESPONSES, dt);

	if (w) {
		xg_jw_name(w, "dns");
		if (!d->on) {
			xg_jw_null(w);
			return;
		}
		xg_jw_object(w);
		xg_jw_float_field(w, "queries_pps", q, 1);
		xg_jw_float_field(w, "responses_pps", r, 1);
		xg_jw_u64_field(w, "queries", d->cnt[XG_DNS_C_QUERIES]);
		xg_jw_u64_field(w, "responses", d->cnt[XG_DNS_C_RESPONSES]);
		xg_jw_u64_field(w, "timeouts", d->timeouts);
		xg_jw_u64_field(w, "servfail", d->servfail);
		xg_jw_u64_field(w, "truncated", d->tc);
		xg_jw_u64_field(w, "servers_tracked", d->servers);
		xg_jw_u64_field(w, "names_tracked", d->names);
		xg_jw_object_end(w);
		return;
	}
	if (!d->on) {
		line("dns    off (attached with --no-dns)");
		return;
	}
	line("dns    query/s %-6.0f answer/s %-6.0f timeout %llu  SERVFAIL %llu  "
	     "TC %llu  srv %u", q, r, (unsigned long long)d->timeouts,
	     (unsigned long long)d->servfail, (unsigned long long)d->tc,
	     d->servers);
}

/* The other components: cookies, MSS/PTB, TIME_WAIT, accept queues, DNS. */
static void render_more(const struct sample *a, const struct sample *b,
			double dt, struct xg_jw *w)
{
	const struct xg_host_sum *h = &b->host;
	double ck = rate(a, b, XG_V_TX, XG_R_COOKIE_SYN, dt) +
		    rate(a, b, XG_V_PASS, XG_R_COOKIE_SYN, dt);
	double ack = rate(a, b, XG_V_PASS, XG_R_COOKIE_ACK, dt);
	double bad = rate(a, b, XG_V_DROP, XG_R_COOKIE_BAD, dt) +
		     rate(a, b, XG_V_WOULD_DROP, XG_R_COOKIE_BAD, dt);
	double ho = slot_rate(a, b, XG_C_HANDOFF, dt);
	double ptb = pm_rate(a, b, XG_PMC_PTB4, dt) +
		     pm_rate(a, b, XG_PMC_PTB6, dt);
	double cin = pm_rate(a, b, XG_PMC_CLAMPED_IN, dt);
	double cout = pm_rate(a, b, XG_PMC_CLAMPED_OUT, dt);
	double twr = h->on && a->host.on ?
		(h->st.tw_entries - a->host.st.tw_entries) / dt : 0;

	if (w) {
		xg_jw_name(w, "cookies");
		xg_jw_object(w);
		xg_jw_float_field(w, "answered_pps", ck, 1);
		xg_jw_float_field(w, "ack_valid_pps", ack, 1);
		xg_jw_float_field(w, "ack_bad_pps", bad, 1);
		xg_jw_float_field(w, "handoff_pps", ho, 1);
		xg_jw_object_end(w);
		xg_jw_name(w, "pmtu");
		if (b->pm.on) {
			xg_jw_object(w);
			xg_jw_float_field(w, "ptb_pps", ptb, 1);
			xg_jw_u64_field(w, "ptb_total", b->pm.c[XG_PMC_PTB4] +
					b->pm.c[XG_PMC_PTB6]);
			xg_jw_u64_field(w, "ptb_destinations", b->pm.ptb_dests);
			xg_jw_u64_field(w, "blackholes_suspected",
					b->pm.bh_dests);
			xg_jw_u64_field(w, "blackholes_total",
					b->pm.c[XG_PMC_BLACKHOLES]);
			xg_jw_float_field(w, "mss_clamped_ingress_pps", cin, 1);
			xg_jw_float_field(w, "mss_clamped_egress_pps", cout, 1);
			xg_jw_object_end(w);
		} else {
			xg_jw_null(w);
		}
		xg_jw_name(w, "sockets");
		xg_jw_object(w);
		if (h->tw >= 0)
			xg_jw_s64_field(w, "time_wait", h->tw);
		else
			xg_jw_null_field(w, "time_wait");
		xg_jw_bool_field(w, "telemetry", h->on);
		if (h->on) {
			xg_jw_float_field(w, "tw_entries_pps", twr, 1);
			xg_jw_u64_field(w, "listeners", h->listeners);
			xg_jw_u64_field(w, "accept_queue_full", h->full);
			xg_jw_float_field(w, "accept_queue_fill_max", h->fill_max,
					  3);
			xg_jw_u64_field(w, "accept_queue_fullest_port",
					h->worst_port);
			xg_jw_u64_field(w, "syn_recv", h->syn_recv);
		}
		xg_jw_object_end(w);
		render_dns(a, b, dt, w);
		return;
	}
	line("cookie answered/s %-8.0f ACK ok/s %-8.0f bad/s %-8.0f "
	     "handoff/s %.0f", ck, ack, bad, ho);
	if (b->pm.on)
		line("pmtu   PTB/s %-6.0f total %llu (%u dest)  black holes %u "
		     "(%llu)  clamp/s %.0f/%.0f", ptb,
		     b->pm.c[XG_PMC_PTB4] + b->pm.c[XG_PMC_PTB6],
		     b->pm.ptb_dests, b->pm.bh_dests,
		     b->pm.c[XG_PMC_BLACKHOLES], cin, cout);
	else
		line("pmtu   off (attached with --no-pmtu)");
	if (h->on)
		line("tcp    TIME_WAIT %ld (+%.0f/s)  listeners %u  full %u  "
		     "fullest :%u %u/%u  SYN_RECV %llu", h->tw, twr,
		     h->listeners, h->full, h->worst_port, h->worst_q,
		     h->worst_max, h->syn_recv);
	else
		line("tcp    TIME_WAIT %ld  (xdpguard tw on: churn and accept "
		     "queues)", h->tw);
	render_dns(a, b, dt, NULL);
}

static void render(const struct xg_iface *ifc, const struct sample *a,
		   const struct sample *b, int limit, int share,
		   struct xg_jw *w)
{
	const struct xg_info *info = &b->st.info;
	double dt = (b->t - a->t) / 1e9;
	int rows_left;
	double pass, over, wover, deny, bad, cookies;
	struct ranked *r = calloc(b->n ? b->n : 1, sizeof(*r));
	char addr[64], cidr[80], port[8], when[32];
	size_t i, nr = 0;
	time_t now = time(NULL);

	if (!r)
		return;
	pass = rate(a, b, XG_V_PASS, XG_R_SYN_BUDGET, dt);
	cookies = rate(a, b, XG_V_TX, XG_R_COOKIE_SYN, dt) +
		  rate(a, b, XG_V_PASS, XG_R_COOKIE_SYN, dt);
	over = rate(a, b, XG_V_DROP, XG_R_SYN_OVER, dt);
	wover = rate(a, b, XG_V_WOULD_DROP, XG_R_SYN_OVER, dt);
	deny = rate(a, b, XG_V_DROP, XG_R_DENY, dt) +
	       rate(a, b, XG_V_WOULD_DROP, XG_R_DENY, dt);
	bad = rate(a, b, XG_V_DROP, XG_R_MALFORMED, dt) +
	      rate(a, b, XG_V_WOULD_DROP, XG_R_MALFORMED, dt);
	for (i = 0; i < b->n; i++) {
		const struct src *old = a->n ? bsearch(&b->src[i], a->src, a->n,
						       sizeof(*a->src),
						       src_cmp) : NULL;
		__u64 p0 = old ? old->passed : 0, d0 = old ? old->dropped : 0;

		if (b->src[i].passed < p0 || b->src[i].dropped < d0)
			p0 = d0 = 0;	/* evicted and re-created */
		r[nr].s = &b->src[i];
		r[nr].pass_rate = (b->src[i].passed - p0) / dt;
		r[nr].drop_rate = (b->src[i].dropped - d0) / dt;
		nr++;
	}
	qsort(r, nr, sizeof(*r), ranked_cmp);

	if (w) {
		xg_jw_object(w);
		xg_jw_str_field(w, "interface", ifc->ifname);
		xg_jw_float_field(w, "interval_seconds", dt, 3);
		xg_jw_name(w, "syn_pps");
		xg_jw_object(w);
		xg_jw_float_field(w, "offered", pass + over + wover + cookies, 1);
		xg_jw_float_field(w, "passed", pass, 1);
		xg_jw_float_field(w, "dropped", over, 1);
		xg_jw_float_field(w, "would_drop", wover, 1);
		xg_jw_float_field(w, "cookies", cookies, 1);
		xg_jw_object_end(w);
		xg_jw_name(w, "drop_pps");
		xg_jw_object(w);
		xg_jw_float_field(w, "deny", deny, 1);
		xg_jw_float_field(w, "malformed", bad, 1);
		xg_jw_object_end(w);
		xg_jw_u64_field(w, "sources_tracked", b->n);
		render_more(a, b, dt, w);
		xg_jw_name(w, "top");
		xg_jw_array(w);
	} else {
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
		line("xdpguard top  %s  %s  every %.1fs  budget %u/s burst %u%s",
		     ifc->ifname, when, dt, b->st.cfg.rate.pps,
		     b->st.cfg.rate.burst, tty_raw ? "  (q quits)" : "");
		line("SYN/s  offered %-9.0f passed %-9.0f dropped %-9.0f "
		     "cookies %.0f%s", pass + over + wover + cookies, pass, over,
		     cookies, wover ? " (dry run)" : "");
		line("pkt/s  denied %-9.0f malformed %-9.0f sources %zu/%u",
		     deny, bad, b->n, info->sources);
		render_more(a, b, dt, NULL);
		line("%s", "");
		line("%-28s %5s %9s %9s %11s %11s", "source", "port", "syn/s",
		     "drop/s", "passed", "dropped");
		/* the screen's rows shared by the interfaces left to draw */
		rows_left = (tty_rows - 1 - lines_out) / share;
		/* on a terminal: the rows that fit under the summary */
		if (tty_raw && limit > rows_left)
			limit = rows_left;
	}
	for (i = 0; i < nr && (int)i < limit; i++) {
		const struct xg_bucket_key *k = &r[i].s->key;

		xg_format_addr(k->family, k->addr, addr, sizeof(addr));
		snprintf(cidr, sizeof(cidr), "%s/%u", addr,
			 k->family == 4 ? info->prefix4 : info->prefix6);
		snprintf(port, sizeof(port), k->port ? "%u" : "*", k->port);
		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "source", cidr);
			xg_jw_u64_field(w, "family", k->family);
			if (k->port)
				xg_jw_u64_field(w, "port", k->port);
			else
				xg_jw_null_field(w, "port");
			xg_jw_float_field(w, "syn_pps", r[i].pass_rate +
					  r[i].drop_rate, 1);
			xg_jw_float_field(w, "pass_pps", r[i].pass_rate, 1);
			xg_jw_float_field(w, "drop_pps", r[i].drop_rate, 1);
			xg_jw_u64_field(w, "passed", r[i].s->passed);
			xg_jw_u64_field(w, "dropped", r[i].s->dropped);
			xg_jw_bool_field(w, "throttled", r[i].s->throttled);
			xg_jw_object_end(w);
		} else
			line("%-28s %5s %9.0f %9.0f %11llu %11llu", cidr, port,
			     r[i].pass_rate + r[i].drop_rate, r[i].drop_rate,
			     r[i].s->passed, r[i].s->dropped);
	}
	if (w) {
		xg_jw_array_end(w);
		xg_jw_object_end(w);
	}
	fflush(stdout);
	free(r);
}

static const char top_usage[] =
	"usage: xdpguard top [-i IFACE] [--once] [--json] [--count N] "
	"[--interval S]\n"
	"  on a terminal: full screen, refreshed every interval; q or Ctrl-C "
	"quits\n";

struct top_opts {
	const char *ifname;
	bool once, json;
	__u32 count, interval;
};

static const struct xg_opt top_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct top_opts, ifname),
	  .arg = "IFACE" },
	{ "once", 0, XG_OPT_FLAG, offsetof(struct top_opts, once),
	  .help = "one sample, then exit" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct top_opts, json),
	  .help = "JSON output (with --once)" },
	{ "count", 0, XG_OPT_U32, offsetof(struct top_opts, count),
	  .min = 1, .max = 10000, .def = "10", .arg = "N",
	  .help = "sources shown, 1..10000" },
	{ "interval", 0, XG_OPT_U32, offsetof(struct top_opts, interval),
	  .min = 1, .max = 60, .def = "1", .arg = "S",
	  .help = "seconds between samples, 1..60" },
	{}
};

int cmd_top(int argc, char **argv)
{
	struct top_opts o = {};
	struct xg_iface one, *list;
	struct view *v = NULL;
	struct xg_jw *w = NULL;
	const char *ifname;
	bool once, json;
	__u32 limit, secs;
	int ret, i, n, cur = 0;

	xg_cmd = "top";
	ret = xg_opts_only(argc, argv, NULL, top_opts, &o, NULL, top_usage);
	if (ret >= 0)
		return ret;
	ifname = o.ifname;
	once = o.once;
	json = o.json;
	limit = o.count;
	secs = o.interval;
	if (json && !once)
		return xg_usage_err("--json needs --once (one sample for "
				    "scripts)");
	n = xg_iface_some(ifname, &one, &list);
	if (n < 0)
		return -n;
	ret = XG_EXIT_FAIL;
	v = calloc(n, sizeof(*v));
	if (!v) {
		n = 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		v[i].fd = -1;
	for (i = 0; i < n; i++) {
		v[i].ifc = list[i];
		v[i].fd = xg_map_open(&list[i], XG_MAP_BUCKETS);
		if (v[i].fd < 0)
			goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (i = 0; i < n; i++)
		if (take(&v[i].ifc, v[i].fd, &v[i].s[cur]))
			goto bad;
	if (!once && isatty(0) && isatty(1) && tty_enter())
		goto out;
	do {
		wait_key(secs * 1000);
		if (stop && !once)
			break;
		for (i = 0; i < n; i++) {
			free(v[i].s[!cur].src);
			v[i].s[!cur].src = NULL;
			if (take(&v[i].ifc, v[i].fd, &v[i].s[!cur]))
				goto bad;
		}
		if (tty_raw)
			printf("\033[H");
		lines_out = 0;
		if (json) {
			w = xg_jw_new(stdout);
			if (!w)
				goto out;
			xg_jw_object(w);
			xg_jw_name(w, "interfaces");
			xg_jw_array(w);
		}
		for (i = 0; i < n; i++) {
			if (!json && i)
				line("%s", "");
			render(&v[i].ifc, &v[i].s[cur], &v[i].s[!cur], limit,
			       n - i, w);
		}
		if (w) {
			xg_jw_array_end(w);
			xg_jw_object_end(w);
			xg_jw_free(w);
			w = NULL;
		}
		if (tty_raw)
			printf("\033[J");	/* what the last frame left */
		fflush(stdout);
		cur = !cur;
	} while (!once && !stop);
	ret = XG_EXIT_OK;
	goto out;
bad:
	xg_err("cannot read the maps of %s", v[i].ifc.ifname);
out:
	tty_restore();
	for (i = 0; v && i < n; i++) {
		free(v[i].s[0].src);
		free(v[i].s[1].src);
		if (v[i].fd >= 0)
			close(v[i].fd);
	}
	free(v);
	if (list != &one)
		free(list);
	return ret;
}
