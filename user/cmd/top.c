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
	struct src *src;
	size_t n;
	__u64 t;
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

/* The other components: cookies, MSS/PTB, TIME_WAIT, accept queues. */
static void render_more(const struct sample *a, const struct sample *b,
			double dt, bool json)
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

	if (json) {
		printf(",\"cookies\":{\"answered_pps\":%.1f,"
		       "\"ack_valid_pps\":%.1f,\"ack_bad_pps\":%.1f,"
		       "\"handoff_pps\":%.1f}", ck, ack, bad, ho);
		if (b->pm.on)
			printf(",\"pmtu\":{\"ptb_pps\":%.1f,\"ptb_total\":%llu,"
			       "\"ptb_destinations\":%u,"
			       "\"blackholes_suspected\":%u,"
			       "\"blackholes_total\":%llu,"
			       "\"mss_clamped_pps\":{\"in\":%.1f,\"out\":%.1f}}",
			       ptb, b->pm.c[XG_PMC_PTB4] + b->pm.c[XG_PMC_PTB6],
			       b->pm.ptb_dests, b->pm.bh_dests,
			       b->pm.c[XG_PMC_BLACKHOLES], cin, cout);
		else
			printf(",\"pmtu\":null");
		printf(",\"sockets\":{\"time_wait\":%ld", h->tw);
		if (h->on)
			printf(",\"tw_entries_per_s\":%.1f,\"listeners\":%u,"
			       "\"accept_queue_full\":%u,"
			       "\"accept_queue_fill_max\":%.3f,"
			       "\"accept_queue_fullest_port\":%u,"
			       "\"syn_recv\":%llu}", twr, h->listeners, h->full,
			       h->fill_max, h->worst_port, h->syn_recv);
		else
			printf(",\"telemetry\":false}");
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
}

static void render(const struct xg_iface *ifc, const struct sample *a,
		   const struct sample *b, int limit, bool json)
{
	const struct xg_info *info = &b->st.info;
	double dt = (b->t - a->t) / 1e9;
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

	if (json) {
		printf("{\"interface\":");
		xg_json_str(stdout, ifc->ifname);
		printf(",\"interval_s\":%.3f,\"syn_pps\":{\"offered\":%.1f,"
		       "\"passed\":%.1f,\"dropped\":%.1f,\"would_drop\":%.1f,"
		       "\"cookies\":%.1f},"
		       "\"drop_pps\":{\"deny\":%.1f,\"malformed\":%.1f},"
		       "\"sources_tracked\":%zu", dt,
		       pass + over + wover + cookies, pass, over, wover,
		       cookies, deny, bad, b->n);
		render_more(a, b, dt, true);
		printf(",\"top\":[");
	} else {
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
		lines_out = 0;
		line("xdpguard top  %s  %s  every %.1fs  budget %u/s burst %u%s",
		     ifc->ifname, when, dt, b->st.cfg.rate.pps,
		     b->st.cfg.rate.burst, tty_raw ? "  (q quits)" : "");
		line("SYN/s  offered %-9.0f passed %-9.0f dropped %-9.0f "
		     "cookies %.0f%s", pass + over + wover + cookies, pass, over,
		     cookies, wover ? " (dry run)" : "");
		line("pkt/s  denied %-9.0f malformed %-9.0f sources %zu/%u",
		     deny, bad, b->n, info->sources);
		render_more(a, b, dt, false);
		line("%s", "");
		line("%-28s %5s %9s %9s %11s %11s", "source", "port", "syn/s",
		     "drop/s", "passed", "dropped");
		/* on a terminal: the rows that fit under the summary */
		if (tty_raw && limit > tty_rows - 1 - lines_out)
			limit = tty_rows - 1 - lines_out;
	}
	for (i = 0; i < nr && (int)i < limit; i++) {
		const struct xg_bucket_key *k = &r[i].s->key;

		xg_format_addr(k->family, k->addr, addr, sizeof(addr));
		snprintf(cidr, sizeof(cidr), "%s/%u", addr,
			 k->family == 4 ? info->prefix4 : info->prefix6);
		snprintf(port, sizeof(port), k->port ? "%u" : "*", k->port);
		if (json)
			printf("%s{\"source\":\"%s\",\"family\":%u,\"port\":%u,"
			       "\"syn_pps\":%.1f,\"pass_pps\":%.1f,"
			       "\"drop_pps\":%.1f,\"passed\":%llu,"
			       "\"dropped\":%llu,\"throttled\":%s}",
			       i ? "," : "", cidr, k->family, k->port,
			       r[i].pass_rate + r[i].drop_rate, r[i].pass_rate,
			       r[i].drop_rate, r[i].s->passed, r[i].s->dropped,
			       r[i].s->throttled ? "true" : "false");
		else
			line("%-28s %5s %9.0f %9.0f %11llu %11llu", cidr, port,
			     r[i].pass_rate + r[i].drop_rate, r[i].drop_rate,
			     r[i].s->passed, r[i].s->dropped);
	}
	if (json)
		printf("]}\n");
	else if (tty_raw)
		printf("\033[J");	/* clear what the last frame left */
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
	struct sample s[2] = {};
	const char *ifname;
	bool once, json;
	__u32 limit, secs;
	struct xg_iface ifc;
	struct xg_args a;
	int ret, fd, cur = 0;

	xg_cmd = "top";
	ret = xg_opts_parse(argc, argv, NULL, top_opts, &o, &a, top_usage);
	if (ret >= 0)
		return ret;
	if (a.npos) {
		ret = xg_usage_err("unexpected argument '%s'", a.pos[0]);
		xg_args_free(&a);
		return ret;
	}
	xg_args_free(&a);
	ifname = o.ifname;
	once = o.once;
	json = o.json;
	limit = o.count;
	secs = o.interval;
	if (json && !once)
		return xg_usage_err("--json needs --once (one sample for "
				    "scripts)");
	ret = xg_iface_resolve(ifname, &ifc);
	if (ret)
		return ret;
	fd = xg_map_open(&ifc, XG_MAP_BUCKETS);
	if (fd < 0)
		return XG_EXIT_FAIL;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = XG_EXIT_FAIL;
	if (take(&ifc, fd, &s[cur]))
		goto out;
	if (!once && isatty(0) && isatty(1) && tty_enter())
		goto out;
	do {
		wait_key(secs * 1000);
		if (stop && !once)
			break;
		free(s[!cur].src);
		if (take(&ifc, fd, &s[!cur]))
			goto out;
		if (tty_raw)
			printf("\033[H");
		render(&ifc, &s[cur], &s[!cur], limit, json);
		cur = !cur;
	} while (!once && !stop);
	ret = XG_EXIT_OK;
out:
	tty_restore();
	if (ret)
		xg_err("cannot read the maps of %s", ifc.ifname);
	free(s[0].src);
	free(s[1].src);
	close(fd);
	return ret;
}
