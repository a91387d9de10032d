// SPDX-License-Identifier: GPL-2.0
/*
 * events: follow the ring buffers of the attached interfaces and print one
 * line per record (JSON lines with --json). On SIGINT/SIGTERM exit 0 and
 * report the records the kernel could not deliver (ring full) or held
 * back (per-CPU event budget).
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

struct ev_src {
	struct xg_iface ifc;
	int ring_fd, cnt_fd;
	__u64 lost0, supp0;
};

struct ev_ctx {
	bool json;
	__u64 mono_to_real;
	__u64 printed;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int on_event(void *arg, void *data, size_t size)
{
	struct ev_ctx *ctx = ((void **)arg)[0];
	struct ev_src *src = ((void **)arg)[1];
	const struct xg_event *e = data;
	struct xg_cidr c = {};
	char when[48], addr[64], rule[80];

	if (xg_pm_event_print(data, size, src->ifc.ifname, ctx->mono_to_real,
			      ctx->json)) {
		ctx->printed++;
		fflush(stdout);
		return 0;
	}
	if (size < sizeof(*e))
		return 0;
	xg_rfc3339(e->ts_ns + ctx->mono_to_real, when, sizeof(when));
	xg_format_addr(e->family, e->addr, addr, sizeof(addr));
	c.family = e->family;
	c.prefixlen = e->prefixlen;
	memcpy(c.addr, e->addr, 16);
	xg_format_cidr(&c, rule, sizeof(rule));
	ctx->printed++;
	if (e->type == XG_EV_THROTTLE) {
		if (ctx->json)
			printf("{\"time\":\"%s\",\"type\":\"throttle\","
			       "\"interface\":\"%s\",\"source\":\"%s\","
			       "\"dport\":%u,\"rate_pps\":%u,"
			       "\"budget_pps\":%u,\"burst\":%u,"
			       "\"dropped\":%llu}\n", when, src->ifc.ifname,
			       rule, e->dport, e->rate, e->pps, e->burst,
			       e->count);
		else
			printf("%s %s throttle %s dport %u: %u SYN/s over "
			       "budget %u/s burst %u (%llu dropped so far)\n",
			       when, src->ifc.ifname, rule, e->dport, e->rate,
			       e->pps, e->burst, e->count);
	} else if (e->type == XG_EV_DENY_HIT) {
		if (ctx->json)
			printf("{\"time\":\"%s\",\"type\":\"deny_hit\","
			       "\"interface\":\"%s\",\"source\":\"%s\","
			       "\"rule\":\"%s\",\"hits\":%llu}\n", when,
			       src->ifc.ifname, addr, rule, e->count);
		else
			printf("%s %s deny %s (rule %s, %llu hits)\n", when,
			       src->ifc.ifname, addr, rule, e->count);
	} else if (e->type == XG_EV_COOKIES_ON ||
		   e->type == XG_EV_COOKIES_OFF) {
		bool on = e->type == XG_EV_COOKIES_ON;

		snprintf(addr, sizeof(addr), "%u", e->dport);
		if (ctx->json)
			printf("{\"time\":\"%s\",\"type\":\"%s\","
			       "\"interface\":\"%s\",\"port\":%s,"
			       "\"rate_pps\":%u,\"threshold_pps\":%u,"
			       "\"switches\":%llu}\n", when,
			       on ? "cookies_on" : "cookies_off",
			       src->ifc.ifname, e->dport ? addr : "null",
			       e->rate, e->pps, e->count);
		else
			printf("%s %s cookies %s for %s%s: %u SYN/s %s "
			       "threshold %u/s (switch %llu)\n", when,
			       src->ifc.ifname, on ? "ON" : "OFF",
			       e->dport ? "port " : "every port",
			       e->dport ? addr : "", e->rate,
			       on ? "at or above" : "below half of the",
			       e->pps, e->count);
	} else {
		ctx->printed--;
	}
	fflush(stdout);
	return 0;
}

/* A host ring record: shown only in the namespace it belongs to. */
static int on_sock_event(void *arg, void *data, size_t size)
{
	struct ev_ctx *ctx = ((void **)arg)[0];
	__u64 netns = *(__u64 *)((void **)arg)[1];
	const struct xg_sock_event *e = data;
	char when[48], l[80], r[80];
	double pct;

	if (size < sizeof(*e) || e->netns_cookie != netns)
		return 0;
	xg_rfc3339(e->ts_ns + ctx->mono_to_real, when, sizeof(when));
	xg_format_endpoint(e->family, e->laddr, e->lport, l, sizeof(l));
	xg_format_endpoint(e->family, e->raddr, e->rport, r, sizeof(r));
	pct = e->limit ? 100.0 * e->value / e->limit : 0;
	switch (e->type) {
	case XG_EV_TW_CHURN:
		if (ctx->json)
			printf("{\"time\":\"%s\",\"type\":\"tw_churn\","
			       "\"netns\":%u,\"entries\":%llu,"
			       "\"window_ms\":%llu,\"threshold_per_s\":%u,"
			       "\"local\":\"%s\",\"remote\":\"%s\"}\n", when,
			       e->netns_ino, e->value, e->limit, e->threshold,
			       l, r);
		else
			printf("%s tw_churn netns %u: %llu connections "
			       "entered TIME_WAIT within %llu ms (threshold "
			       "%u/s), the last %s -> %s\n", when, e->netns_ino,
			       e->value, e->limit, e->threshold, l, r);
		break;
	case XG_EV_EPHEMERAL:
		if (ctx->json)
			printf("{\"time\":\"%s\",\"type\":\"ephemeral\","
			       "\"netns\":%u,\"destination\":\"%s\","
			       "\"in_use\":%llu,\"ports\":%llu,\"pct\":%.1f,"
			       "\"threshold_pct\":%u}\n", when, e->netns_ino, r,
			       e->value, e->limit, pct, e->threshold);
		else
			printf("%s ephemeral netns %u: %llu of %llu local "
			       "ports (%.1f%%) in use toward %s (threshold "
			       "%u%%)\n", when, e->netns_ino, e->value,
			       e->limit, pct, r, e->threshold);
		break;
	case XG_EV_NO_PORT:
		if (ctx->json)
			printf("{\"time\":\"%s\",\"type\":\"no_port\","
			       "\"netns\":%u,\"destination\":\"%s\","
			       "\"ports\":%llu}\n", when, e->netns_ino, r,
			       e->limit);
		else
			printf("%s no_port netns %u: connect() to %s found no "
			       "free local port (%llu in the range)\n", when,
			       e->netns_ino, r, e->limit);
		break;
	case XG_EV_ACCEPT_FULL:
		if (ctx->json)
			printf("{\"time\":\"%s\",\"type\":\"accept_full\","
			       "\"netns\":%u,\"listener\":\"%s\","
			       "\"accept_queue\":%llu,\"accept_max\":%u,"
			       "\"syn_recv\":%llu}\n", when, e->netns_ino, l,
			       e->value, e->threshold, e->limit);
		else
			printf("%s accept_full netns %u: listener %s accept "
			       "queue %llu/%u full, %llu SYN_RECV\n", when,
			       e->netns_ino, l, e->value, e->threshold,
			       e->limit);
		break;
	default:
		return 0;
	}
	ctx->printed++;
	fflush(stdout);
	return 0;
}

static int host_lost_read(__u64 netns, __u64 *lost, __u64 *supp)
{
	struct xg_sk_stats st;

	if (xg_sk_stats_read(netns, &st))
		return -1;
	*lost = st.events_lost;
	*supp = st.events_suppressed;
	return 0;
}

/* Drive the snapshot-time checks (ephemeral ports, accept queues). */
static void host_snapshot(void)
{
	struct xg_sk_rec *rec;
	size_t n;

	if (!xg_sk_snapshot(&rec, &n))
		free(rec);
}

static int lost_read(struct ev_src *s, __u64 *lost, __u64 *supp)
{
	struct xg_counter cnt[XG_C_SLOTS];

	if (xg_counters_read(s->cnt_fd, cnt, XG_C_SLOTS))
		return -1;
	*lost = cnt[XG_C_EVENTS_LOST].packets;
	*supp = cnt[XG_C_EVENTS_SUPPRESSED].packets;
	return 0;
}

static const char events_usage[] =
	"usage: xdpguard events [-i IFACE] [--json]\n"
	"  follows every attached interface of this namespace unless -i, and\n"
	"  (without -i) the host socket telemetry's events of this namespace\n"
	"  when it is on; it then takes a socket snapshot every second, which\n"
	"  is when ephemeral-port and accept-queue thresholds are checked\n";

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct xg_iface list[16];
	struct ev_src src[16];
	struct ev_ctx ctx = {};
	void *args[16][2];
	struct ring_buffer *rb = NULL;
	const char *ifname = NULL;
	__u64 lost = 0, supp = 0, l, s, netns = 0, hlost0 = 0, hsupp0 = 0;
	__u64 last_snap = 0;
	void *hargs[2] = { &ctx, &netns };
	bool host = false;
	int c, i, n, ret, err, hfd = -1;

	xg_cmd = "events";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			fputs(events_usage, stdout);
			return XG_EXIT_OK;
		default:
			fputs(events_usage, stderr);
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
		host = xg_host_is_on();
		if (!n && !host)
			return xg_usage_err("nothing to follow: no interface "
					    "is attached in this network "
					    "namespace (xdpguard attach IFACE) "
					    "and host socket telemetry is off "
					    "(xdpguard tw on)");
	}
	ret = XG_EXIT_FAIL;
	memset(src, 0, sizeof(src));
	for (i = 0; i < n; i++) {
		src[i].ifc = list[i];
		src[i].ring_fd = xg_map_open(&list[i], XG_MAP_EVENTS);
		src[i].cnt_fd = xg_map_open(&list[i], XG_MAP_COUNTERS);
		if (src[i].ring_fd < 0 || src[i].cnt_fd < 0 ||
		    lost_read(&src[i], &src[i].lost0, &src[i].supp0))
			goto out;
		args[i][0] = &ctx;
		args[i][1] = &src[i];
		if (!rb)
			rb = ring_buffer__new(src[i].ring_fd, on_event, args[i],
					      NULL);
		else if (ring_buffer__add(rb, src[i].ring_fd, on_event,
					  args[i]))
			rb = NULL;
		if (!rb) {
			xg_err("cannot follow the events of %s: %s",
			       list[i].ifname, strerror(errno));
			goto out;
		}
	}
	if (host) {
		netns = xg_netns_cookie();
		hfd = xg_host_ring();
		if (!netns || hfd < 0 ||
		    host_lost_read(netns, &hlost0, &hsupp0))
			goto out;
		if (!rb)
			rb = ring_buffer__new(hfd, on_sock_event, hargs, NULL);
		else if (ring_buffer__add(rb, hfd, on_sock_event, hargs))
			rb = NULL;
		if (!rb) {
			xg_err("cannot follow the host socket events: %s",
			       strerror(errno));
			goto out;
		}
	}
	ctx.mono_to_real = xg_real_ns() - xg_mono_ns();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "xdpguard events: following %d interface%s%s\n", n,
		n == 1 ? "" : "s", host ? " and the host socket telemetry of "
		"this network namespace" : "");
	while (!stop) {
		if (host && xg_mono_ns() - last_snap >= 1000000000ULL) {
			last_snap = xg_mono_ns();
			host_snapshot();
		}
		err = ring_buffer__poll(rb, 200);
		if (err < 0 && err != -EINTR) {
			xg_err("reading events failed: %s", strerror(-err));
			goto out;
		}
	}
	ring_buffer__consume(rb);
	if (host && !host_lost_read(netns, &l, &s)) {
		lost += l - hlost0;
		supp += s - hsupp0;
	}
	for (i = 0; i < n; i++) {
		if (lost_read(&src[i], &l, &s))
			continue;
		lost += l - src[i].lost0;
		supp += s - src[i].supp0;
	}
	fprintf(stderr, "xdpguard events: %llu records, %llu lost (ring "
		"buffer full), %llu held back by the kernel's event budget\n",
		ctx.printed, lost, supp);
	ret = XG_EXIT_OK;
out:
	ring_buffer__free(rb);
	if (hfd >= 0)
		close(hfd);
	for (i = 0; i < n; i++) {
		if (src[i].ring_fd > 0)
			close(src[i].ring_fd);
		if (src[i].cnt_fd > 0)
			close(src[i].cnt_fd);
	}
	return ret;
}
