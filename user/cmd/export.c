// SPDX-License-Identifier: GPL-2.0
/*
 * export: Prometheus text exposition (format 0.0.4) of every attached
 * interface of this network namespace, served on /metrics by libmicrohttpd
 * and/or written atomically for node_exporter's textfile collector; / is
 * a page linking /metrics. Labels are bounded: interface, verdict, reason
 * (the pairs of abi.h's XG_REASON_VERDICTS), port (ports with a setting),
 * direction, family; never a source address.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <xdpguard/pmtu.h>
#include "cmd.h"


#ifndef XG_VERSION
#define XG_VERSION "unknown"
#endif

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void verdict_family(FILE *f, const char *name, const char *help,
			   const struct xg_iface *ifc,
			   const struct xg_stats *st, int n, bool bytes)
{
	const struct xg_counter *c;
	int i, v, r;

	family(f, name, "counter", help);
	for (i = 0; i < n; i++)
		for (v = 0; v < XG_V_MAX; v++)
			for (r = 0; r < XG_R_MAX; r++) {
				/* the pairs the kernel counts (abi.h) */
				if (!XG_COUNTED(v, r))
					continue;
				c = &st[i].cnt[XG_COUNTER_IDX(v, r)];
				fprintf(f, "%s{interface=\"%s\",verdict=\"%s\","
					"reason=\"%s\"} %llu\n", name,
					ifc[i].ifname, xg_verdict_name(v),
					xg_reason_name(r),
					bytes ? c->bytes : c->packets);
			}
}

/* A family of one sample without labels. */
static void one(FILE *f, const char *name, const char *type,
		const char *help, const char *fmt, double v)
{
	family(f, name, type, help);
	fprintf(f, "%s ", name);
	fprintf(f, fmt, v);
	fputc('\n', f);
}

/* A per-interface counter family of two label values (PMTU side). */
static void pm_pair(FILE *f, const char *name, const char *help,
		    const char *la, int ia, const char *lb, int ib,
		    const struct xg_iface *ifc, const struct xg_pm_sum *pm,
		    int n)
{
	int i;

	family(f, name, "counter", help);
	for (i = 0; i < n; i++) {
		if (!pm[i].on)
			continue;
		fprintf(f, "%s{interface=\"%s\",%s} %llu\n", name,
			ifc[i].ifname, la, pm[i].c[ia]);
		fprintf(f, "%s{interface=\"%s\",%s} %llu\n", name,
			ifc[i].ifname, lb, pm[i].c[ib]);
	}
}

/*
 * The figures the kernel keeps per port: the ports with a SYN budget of
 * their own and the ports with a cookie setting (port 0 of the cookies,
 * "every port without a setting of its own", is port="default"). The
 * verdict counters are per interface only: the kernel does not count
 * them per port.
 */
struct port_figs {
	struct xg_port_rate_row *rate;
	struct xg_cookie_row *ck;
	int nrate, nck;
};

static void port_figs_read(const struct xg_iface *ifc, struct port_figs *pf,
			   int n)
{
	int i;

	for (i = 0; i < n; i++) {
		pf[i].rate = calloc(XG_MAX_PORT_RULES, sizeof(*pf[i].rate));
		pf[i].ck = calloc(XG_MAX_PORT_RULES, sizeof(*pf[i].ck));
		if (pf[i].rate)
			pf[i].nrate = xg_port_rates(&ifc[i], pf[i].rate,
						    XG_MAX_PORT_RULES);
		if (pf[i].ck)
			pf[i].nck = xg_cookie_ports(&ifc[i], pf[i].ck,
						    XG_MAX_PORT_RULES);
	}
}

static void port_figs_free(struct port_figs *pf, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(pf[i].rate);
		free(pf[i].ck);
	}
}

static const char *port_label(__u16 port, char *buf, size_t len)
{
	if (!port)
		return "default";
	snprintf(buf, len, "%u", port);
	return buf;
}

static void port_families(FILE *f, const struct xg_iface *ifc,
			  const struct port_figs *pf, int n)
{
	const struct xg_cookie_port *c;
	char pb[8];
	int i, k;

#define PORT_METRIC(name, type, help, rows, cnt, expr)			\
	do {								\
		family(f, name, type, help);				\
		for (i = 0; i < n; i++)					\
			for (k = 0; k < pf[i].cnt; k++)			\
				fprintf(f, name "{interface=\"%s\",port="	\
					"\"%s\"} %llu\n", ifc[i].ifname,	\
					port_label(pf[i].rows[k].port, pb,	\
						   sizeof(pb)),		\
					(unsigned long long)(expr));	\
	} while (0)
	PORT_METRIC("xdpguard_port_syn_budget_pps", "gauge", "SYN budget "
		    "per source of a port with a budget of its own, SYNs per "
		    "second (0: no limit).", rate, nrate,
		    pf[i].rate[k].rate.pps);
	PORT_METRIC("xdpguard_port_syn_burst_packets", "gauge", "SYN burst "
		    "per source of a port with a budget of its own.", rate,
		    nrate, pf[i].rate[k].rate.burst);
	PORT_METRIC("xdpguard_cookies_answering", "gauge", "1 while SYNs to "
		    "the port are answered with SYN cookies (on, or auto and "
		    "switched on).", ck, nck,
		    (c = &pf[i].ck[k].c, c->mode == XG_CK_ON || c->active));
	PORT_METRIC("xdpguard_cookie_threshold_pps", "gauge", "auto: the "
		    "port's SYNs per second that switch its cookies on (0: "
		    "on, always).", ck, nck,
		    pf[i].ck[k].c.mode == XG_CK_AUTO ?
		    pf[i].ck[k].c.threshold : 0);
	PORT_METRIC("xdpguard_cookie_last_rate_pps", "gauge", "auto: the "
		    "port's SYNs per second in its last closed one-second "
		    "window (0: on).", ck, nck, pf[i].ck[k].c.last_rate);
	PORT_METRIC("xdpguard_cookie_switches_total", "counter", "auto: "
		    "times the port's cookies switched on or off.", ck, nck,
		    pf[i].ck[k].c.switches);
#undef PORT_METRIC
}

/* Render the exposition into a malloc'ed buffer; NULL on failure. */
static char *render_ifaces(struct xg_iface *ifc, struct xg_stats *st,
			   struct xg_pm_sum *pm, struct port_figs *pf, int n,
			   size_t *len)
{
	struct xg_host_sum h;
	char *buf = NULL;
	__u64 t0 = xg_mono_ns();
	int i, k;
	FILE *f;

	for (i = k = 0; i < n; i++)
		if (!xg_stats_read(&ifc[i], &st[k]) &&
		    !xg_pm_sum_read(&ifc[i], &pm[k]))
			ifc[k++] = ifc[i];
	n = k;
	port_figs_read(ifc, pf, n);
	f = open_memstream(&buf, len);
	if (!f) {
		port_figs_free(pf, n);
		return NULL;
	}

	verdict_family(f, "xdpguard_packets_total", "Packets judged by the "
		       "XDP guard, by verdict and reason.", ifc, st, n, false);
	verdict_family(f, "xdpguard_bytes_total", "Bytes judged by the XDP "
		       "guard, by verdict and reason.", ifc, st, n, true);

#define GAUGE(name, help, fmt, expr)					\
	do {								\
		family(f, name, "gauge", help);				\
		for (i = 0; i < n; i++)					\
			fprintf(f, name "{interface=\"%s\"} " fmt "\n",	\
				ifc[i].ifname, expr);			\
	} while (0)
#define COUNTER(name, help, expr)					\
	do {								\
		family(f, name, "counter", help);			\
		for (i = 0; i < n; i++)					\
			fprintf(f, name "{interface=\"%s\"} %llu\n",	\
				ifc[i].ifname, expr);			\
	} while (0)

	GAUGE("xdpguard_sources_tracked", "Source prefixes with a SYN "
	      "bucket.", "%u", st[i].tracked);
	GAUGE("xdpguard_sources_max", "Size of the source table "
	      "(--sources).", "%u", st[i].info.sources);
	GAUGE("xdpguard_source_table_fill_ratio", "Tracked sources over "
	      "the table size.", "%.4f",
	      (double)st[i].tracked / st[i].info.sources);
	GAUGE("xdpguard_allow_entries", "Prefixes in the allow list.", "%u",
	      st[i].allow);
	GAUGE("xdpguard_deny_entries", "Prefixes in the deny list.", "%u",
	      st[i].deny);
	GAUGE("xdpguard_port_rules", "Ports with a SYN budget of their own.",
	      "%u", st[i].ports);
	GAUGE("xdpguard_syn_budget_pps", "Default SYN budget per source, "
	      "SYNs per second (0: no limit).", "%u", st[i].cfg.rate.pps);
	GAUGE("xdpguard_syn_burst_packets", "Default SYN burst per source.",
	      "%u", st[i].cfg.rate.burst);
	GAUGE("xdpguard_dry_run", "1 when drops are only counted.", "%d",
	      !!(st[i].cfg.flags & XG_F_DRY_RUN));
	GAUGE("xdpguard_interface_present", "0 when the interface was "
	      "deleted while attached.", "%d", !st[i].gone);
	COUNTER("xdpguard_events_lost_total", "Ring-buffer records lost "
		"(ring full).", st[i].cnt[XG_C_EVENTS_LOST].packets);
	COUNTER("xdpguard_events_suppressed_total", "Events held back by "
		"the kernel's per-CPU event budget.",
		st[i].cnt[XG_C_EVENTS_SUPPRESSED].packets);
	COUNTER("xdpguard_cookie_handoffs_total", "Cookie ACKs turned into "
		"request sockets by the tc hand-off.",
		st[i].cnt[XG_C_HANDOFF].packets);
	COUNTER("xdpguard_cookie_handoff_failures_total", "Cookie ACKs the "
		"kernel refused to take (dropped).",
		st[i].cnt[XG_C_HANDOFF_FAIL].packets);
	port_families(f, ifc, pf, n);
	port_figs_free(pf, n);
	/* MSS clamp, PTB accounting, black holes: interfaces that have them */
	pm_pair(f, "xdpguard_mss_clamped_total", "TCP SYNs and SYN-ACKs whose "
		"MSS option was lowered, by direction.", "direction=\"ingress\"",
		XG_PMC_CLAMPED_IN, "direction=\"egress\"", XG_PMC_CLAMPED_OUT,
		ifc, pm, n);
	pm_pair(f, "xdpguard_ptb_received_total", "ICMP Fragmentation Needed "
		"/ ICMPv6 Packet Too Big received, by family.",
		"family=\"4\"", XG_PMC_PTB4, "family=\"6\"", XG_PMC_PTB6,
		ifc, pm, n);
#define PM_METRIC(name, type, help, fmt, expr)				\
	do {								\
		family(f, name, type, help);				\
		for (i = 0; i < n; i++)					\
			if (pm[i].on)					\
				fprintf(f, name "{interface=\"%s\"} " fmt "\n",\
					ifc[i].ifname, expr);		\
	} while (0)
	PM_METRIC("xdpguard_pmtud_blackholes_total", "counter", "Destinations "
		  "reported as suspected PMTUD black holes.", "%llu",
		  pm[i].c[XG_PMC_BLACKHOLES]);
	PM_METRIC("xdpguard_full_size_retransmissions_total", "counter",
		  "Full-size TCP retransmissions toward destinations without "
		  "a PTB.", "%llu", pm[i].c[XG_PMC_RETRANS_FULL]);
	PM_METRIC("xdpguard_ptb_destinations", "gauge", "Destinations with a "
		  "Packet Too Big on record.", "%u", pm[i].ptb_dests);
	PM_METRIC("xdpguard_pmtud_blackhole_destinations", "gauge",
		  "Destinations suspected to be PMTUD black holes now.", "%u",
		  pm[i].bh_dests);
#undef PM_METRIC
#undef GAUGE
#undef COUNTER
	/* this namespace's sockets: no interface label */
	if (!xg_host_sum_read(&h)) {
		if (h.tw >= 0)
			one(f, "xdpguard_tcp_time_wait_sockets", "gauge", "TCP "
			    "sockets in TIME_WAIT in this namespace "
			    "(/proc/net/sockstat).", "%.0f", h.tw);
		if (h.on) {
			one(f, "xdpguard_tcp_time_wait_entries_total", "counter",
			    "Connections handed to TIME_WAIT.", "%.0f",
			    h.st.tw_entries);
			one(f, "xdpguard_tcp_listeners", "gauge", "Listening "
			    "TCP sockets.", "%.0f", h.listeners);
			one(f, "xdpguard_accept_queue_full_listeners", "gauge",
			    "Listeners whose accept queue is full.", "%.0f",
			    h.full);
			one(f, "xdpguard_accept_queue_fill_ratio_max", "gauge",
			    "The fullest accept queue: length over backlog "
			    "(0..1).", "%.4f", h.fill_max);
			one(f, "xdpguard_accept_queue_sockets", "gauge",
			    "Connections waiting in accept queues, all "
			    "listeners.", "%.0f", h.accept_q);
			one(f, "xdpguard_syn_recv_requests", "gauge",
			    "Connection requests in SYN_RECV, all listeners.",
			    "%.0f", h.syn_recv);
			one(f, "xdpguard_socket_events_lost_total", "counter",
			    "Socket-telemetry records lost (ring full).",
			    "%.0f", h.st.events_lost);
			one(f, "xdpguard_socket_events_suppressed_total",
			    "counter", "Socket-telemetry records held back by "
			    "the per-CPU event budget.", "%.0f",
			    h.st.events_suppressed);
		}
	}
	xg_dns_export(f, ifc, n);
	family(f, "xdpguard_build_info", "gauge",
	       "Always 1; the version of the xdpguard that serves these "
	       "metrics, and the layout of the pins it reads.");
	fprintf(f, "xdpguard_build_info{version=\"%s\",pins_layout=\"%d\"} 1\n",
		XG_VERSION, XG_ABI_VERSION);
	family(f, "xdpguard_attached_interfaces", "gauge",
	       "Interfaces xdpguard is attached to in this namespace.");
	fprintf(f, "xdpguard_attached_interfaces %d\n", n);
	family(f, "xdpguard_scrape_duration_seconds", "gauge",
	       "Time taken to read the maps for this exposition.");
	fprintf(f, "xdpguard_scrape_duration_seconds %.6f\n",
		(xg_mono_ns() - t0) / 1e9);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Every attached interface of this namespace, however many. */
static char *render(size_t *len)
{
	struct xg_iface *ifc;
	struct xg_stats *st;
	struct xg_pm_sum *pm;
	struct port_figs *pf;
	char *buf = NULL;
	int n;

	n = xg_iface_list(&ifc, false);
	if (n < 0)
		return NULL;
	st = calloc(n + 1, sizeof(*st));
	pm = calloc(n + 1, sizeof(*pm));
	pf = calloc(n + 1, sizeof(*pf));
	if (st && pm && pf)
		buf = render_ifaces(ifc, st, pm, pf, n, len);
	free(pf);
	free(pm);
	free(st);
	free(ifc);
	return buf;
}

/* Write PATH atomically: a temporary file in the same folder, renamed. */
/*
 * The textfile, replaced whole: written to a new file of a random name in
 * its folder (mkstemp: O_CREAT|O_EXCL, so a name planted there, symlink
 * or not, is never opened), given @mode, then renamed over @path. 0, or
 * -1 said (the caller tries again at the next interval).
 */
static int write_textfile(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t len, off = 0;
	char *buf = render(&len);
	ssize_t n;
	int fd, err = -1, e;

	if (!buf) {
		xg_err("cannot write %s: cannot read the metrics", path);
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		xg_err("cannot write %s: name too long", path);
		free(buf);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd >= 0) {
		err = fchmod(fd, mode);
		while (!err && off < len) {
			n = write(fd, buf + off, len - off);
			if (n <= 0)
				err = -1;
			else
				off += n;
		}
		e = errno;
		err |= close(fd);
		if (!err)
			err = rename(tmp, path);
		else
			errno = e;
		e = errno;
		if (err)
			unlink(tmp);
		errno = e;
	}
	if (err)
		xg_err("cannot write %s: %s", path, strerror(errno));
	free(buf);
	return err;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn,
			     const char *url, const char *method,
			     const char *version, const char *upload,
			     size_t *upload_size, void **state)
{
	static const char not_found[] = "see /metrics\n";
	static const char landing[] =
		"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		"<title>xdpguard exporter</title></head>\n<body>"
		"<h1>xdpguard exporter</h1>\n<p>xdpguard " XG_VERSION
		": <a href=\"/metrics\">/metrics</a> (Prometheus text "
		"format 0.0.4)</p>\n</body></html>\n";
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;
	size_t len;
	char *buf;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO;
	if (!strcmp(url, "/")) {
		resp = MHD_create_response_from_buffer(sizeof(landing) - 1,
						       (void *)landing,
						       MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "Content-Type",
						"text/html; charset=utf-8");
	} else if (strcmp(url, "/metrics")) {
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1,
						       (void *)not_found,
						       MHD_RESPMEM_PERSISTENT);
		code = MHD_HTTP_NOT_FOUND;
	} else {
		buf = render(&len);
		if (!buf)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(len, buf,
						       MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(buf);
			return MHD_NO;
		}
		MHD_add_response_header(resp, "Content-Type",
					"text/plain; version=0.0.4; "
					"charset=utf-8");
	}
	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * Connections served at once, at most from one address, and the seconds
 * a connection may stay idle (docs/man/xdpguard.8.md).
 */
#define XG_EXPORT_CONNS		4096U
#define XG_EXPORT_PER_IP	32U
#define XG_EXPORT_IDLE_S	5U

/*
 * XG_EXPORT_CONNS, as far as descriptors allow: the soft limit raised to
 * the hard one, a few kept for the maps and the textfile.
 */
static unsigned int connection_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 256;
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < XG_EXPORT_CONNS + 64) {
		rl.rlim_cur = rl.rlim_max < XG_EXPORT_CONNS + 64 ?
			      rl.rlim_max : XG_EXPORT_CONNS + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < 128)
		return 16;
	return rl.rlim_cur - 64 < XG_EXPORT_CONNS ? rl.rlim_cur - 64 :
	       XG_EXPORT_CONNS;
}

static const char export_usage[] =
	"usage: xdpguard export --listen ADDR:PORT [--textfile PATH] "
	"[--interval S]\n"
	"       xdpguard export --textfile PATH [--interval S | --once]\n"
	"  ADDR:PORT: 127.0.0.1:9400, [::1]:9400; every address only when\n"
	"  named: 0.0.0.0:9400, [::]:9400\n";

static const char *const file_modes[] = { "0600", "0640", "0644", NULL };

struct export_opts {
	const char *listen, *textfile;
	__u32 interval, mode;
	bool once;
};

static const struct xg_opt export_opts[] = {
	{ "listen", 0, XG_OPT_STR, offsetof(struct export_opts, listen),
	  .arg = "ADDR:PORT",
	  .help = "an address and a port: 127.0.0.1:9400, [::1]:9400; every "
		  "address only when named: 0.0.0.0:9400, [::]:9400" },
	{ "textfile", 0, XG_OPT_STR, offsetof(struct export_opts, textfile),
	  .arg = "PATH", .help = "write the metrics to PATH (node_exporter's "
	  "textfile collector)" },
	{ "interval", 0, XG_OPT_U32, offsetof(struct export_opts, interval),
	  .min = 1, .max = 3600, .def = "15", .arg = "S",
	  .help = "seconds, 1..3600, between textfile writes" },
	{ "once", 0, XG_OPT_FLAG, offsetof(struct export_opts, once),
	  .help = "write the textfile once and exit" },
	{ "textfile-mode", 0, XG_OPT_CHOICE, offsetof(struct export_opts, mode),
	  .choices = file_modes, .def = "0640", .arg = "MODE",
	  .help = "the textfile's mode: 0600, 0640 or 0644" },
	{}
};

int cmd_export(int argc, char **argv)
{
	struct export_opts o = {};
	struct sockaddr_storage ss;
	struct MHD_Daemon *d = NULL;
	const char *listen, *textfile;
	__u32 interval, failing = 0;
	bool once;
	int ret = XG_EXIT_FAIL;
	__u64 next = 0;

	xg_cmd = "export";
	ret = xg_opts_only(argc, argv, NULL, export_opts, &o, NULL,
			   export_usage);
	if (ret >= 0)
		return ret;
	ret = XG_EXIT_FAIL;
	listen = o.listen;
	textfile = o.textfile;
	interval = o.interval;
	once = o.once;
	o.mode = o.mode == 0 ? 0600 : o.mode == 1 ? 0640 : 0644;
	if (listen && listen[0] == ':')
		return xg_usage_err("bad --listen '%s': name the address to "
				    "listen on (127.0.0.1%s, or every address: "
				    "0.0.0.0%s, [::]%s)", listen, listen,
				    listen, listen);
	if (listen && xg_parse_listen(listen, &ss))
		return xg_usage_err("bad --listen '%s' (accepted: "
				    "127.0.0.1:9400, [::1]:9400, 0.0.0.0:9400, "
				    "[::]:9400)", listen);
	if (!listen && !textfile)
		return xg_usage_err("missing --listen ADDR:PORT or --textfile "
				    "PATH");
	if (once && (listen || !textfile))
		return xg_usage_err("--once applies to --textfile alone");
	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	if (once)
		return write_textfile(textfile, o.mode) ? XG_EXIT_FAIL :
			XG_EXIT_OK;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (listen) {
		/*
		 * epoll (no select() FD_SETSIZE ceiling), and limits so that
		 * slow or idle clients never lock a scraper out: so many
		 * connections at once (descriptors for all of them), fewer
		 * from one address, each one closed after a few idle
		 * seconds.
		 */
		d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
				     (ss.ss_family == AF_INET6 ?
				      MHD_USE_IPv6 : 0),
				     0, NULL, NULL, serve, NULL,
				     MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_CONNECTION_LIMIT,
				     connection_limit(),
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				     XG_EXPORT_PER_IP,
				     MHD_OPTION_CONNECTION_TIMEOUT,
				     XG_EXPORT_IDLE_S,
				     MHD_OPTION_END);
		if (!d) {
			xg_err("cannot listen on %s: %s", listen,
			       strerror(errno));
			return XG_EXIT_FAIL;
		}
		fprintf(stderr, "xdpguard export: serving /metrics on %s\n",
			listen);
	}
	while (!stop) {
		/* a failed write is said and tried again, the server goes on */
		if (textfile && xg_mono_ns() >= next) {
			if (write_textfile(textfile, o.mode)) {
				if (!failing)
					fprintf(stderr, "xdpguard export: "
						"trying again every %us\n",
						interval);
				failing++;
			} else if (failing) {
				fprintf(stderr, "xdpguard export: %s written "
					"again, after %u failed writes\n",
					textfile, failing);
				failing = 0;
			}
			next = xg_mono_ns() + interval * 1000000000ULL;
		}
		usleep(100000);
	}
	ret = XG_EXIT_OK;
	if (d)
		MHD_stop_daemon(d);
	return ret;
}
