// SPDX-License-Identifier: GPL-2.0
/*
 * events: follow the ring buffers of the attached interfaces and print one
 * line per record (JSON lines with --json). On SIGINT/SIGTERM exit 0 and
 * report the records the kernel could not deliver (ring full) or held
 * back (per-CPU event budget).
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cmd.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct ev_src {
	struct xg_iface ifc;
	int ring_fd, cnt_fd, claim_fd;
	__u64 lost0, supp0;
};

struct ev_ctx {
	bool json;
	__u32 types;		/* bit per enum xg_event_type */
	__u64 mono_to_real;
	__u64 netns_cookie;	/* host records: only this namespace's */
	__u32 netns_ino;
	__u64 printed, unknown;
};

/*
 * The schema (docs/events.md): which head fields a type fills. src/dst are
 * addresses; the ports go with them; PREFIX prints the source rule.
 */
#define EV_SRC		(1U << 0)
#define EV_SPORT	(1U << 1)
#define EV_DST		(1U << 2)
#define EV_DPORT	(1U << 3)
#define EV_PREFIX	(1U << 4)

static const struct ev_type {
	const char *name;
	const char *group;
	unsigned int head;
} ev_types[XG_EV_MAX] = {
	[XG_EV_THROTTLE] = { "throttle", "guard", EV_SRC | EV_PREFIX | EV_DPORT },
	[XG_EV_DENY_HIT] = { "deny_hit", "guard", EV_SRC | EV_PREFIX },
	[XG_EV_COOKIES_ON] = { "cookies_on", "cookies", EV_DPORT },
	[XG_EV_COOKIES_OFF] = { "cookies_off", "cookies", EV_DPORT },
	[XG_EV_PTB] = { "ptb", "pmtu", EV_SRC | EV_DST },
	[XG_EV_BLACKHOLE] = { "pmtud_blackhole_suspected", "pmtu",
			      EV_SRC | EV_SPORT | EV_DST | EV_DPORT },
	[XG_EV_TW_CHURN] = { "tw_churn", "sockets",
			     EV_SRC | EV_SPORT | EV_DST | EV_DPORT },
	[XG_EV_EPHEMERAL] = { "ephemeral", "sockets", EV_SRC | EV_DST | EV_DPORT },
	[XG_EV_ACCEPT_FULL] = { "accept_full", "sockets", EV_SRC | EV_SPORT },
	[XG_EV_NO_PORT] = { "no_port", "sockets", EV_SRC | EV_DST | EV_DPORT },
	[XG_EV_DNS_ANSWER_CHANGED] = { "dns_answer_changed", "dns",
				       EV_SRC | EV_SPORT },
	[XG_EV_DNS_SERVERS_DISAGREE] = { "dns_servers_disagree", "dns",
					 EV_SRC | EV_SPORT | EV_DST | EV_DPORT },
	[XG_EV_DNS_STALE_USE] = { "dns_stale_use", "dns", EV_DST | EV_DPORT },
};

/* One "key":value (JSON) or key=value (text) after the head. */
struct ev_out {
	bool json;
};

static void kv_u64(const struct ev_out *o, const char *k, __u64 v)
{
	printf(o->json ? ",\"%s\":%llu" : " %s=%llu", k,
	       (unsigned long long)v);
}

/* NULL: null in JSON, left out of text */
static void kv_str(const struct ev_out *o, const char *k, const char *v)
{
	if (!o->json) {
		if (v)
			printf(" %s=%s", k, v);
		return;
	}
	printf(",\"%s\":", k);
	if (v)
		xg_json_str(stdout, v);
	else
		fputs("null", stdout);
}

static void kv_time(const struct ev_out *o, const struct ev_ctx *ctx,
		    const char *k, __u64 mono_ns)
{
	char t[48];

	xg_rfc3339(mono_ns + ctx->mono_to_real, t, sizeof(t));
	kv_str(o, k, t);
}

static void kv_port(const struct ev_out *o, const char *k, bool has,
		    __u16 port)
{
	if (has && port)
		kv_u64(o, k, port);
	else if (o->json)
		printf(",\"%s\":null", k);
}

static void ev_body(const struct ev_out *o, const struct ev_ctx *ctx,
		    const struct xg_event *e)
{
	switch (e->type) {
	case XG_EV_THROTTLE:
		kv_u64(o, "rate_pps", e->throttle.rate);
		kv_u64(o, "budget_pps", e->throttle.pps);
		kv_u64(o, "burst", e->throttle.burst);
		kv_u64(o, "dropped", e->throttle.dropped);
		break;
	case XG_EV_DENY_HIT:
		kv_u64(o, "hits", e->deny.hits);
		break;
	case XG_EV_COOKIES_ON:
	case XG_EV_COOKIES_OFF:
		kv_u64(o, "rate_pps", e->cookies.rate);
		kv_u64(o, "threshold_pps", e->cookies.threshold);
		kv_u64(o, "switches", e->cookies.switches);
		break;
	case XG_EV_PTB:
		kv_u64(o, "mtu", e->ptb.mtu);
		kv_u64(o, "min_mtu", e->ptb.min_mtu);
		kv_u64(o, "count", e->ptb.count);
		kv_time(o, ctx, "since", e->ptb.since_ns);
		break;
	case XG_EV_BLACKHOLE:
		kv_u64(o, "segment_size", e->blackhole.seg);
		kv_u64(o, "packet_size", e->blackhole.pkt);
		kv_u64(o, "retransmissions", e->blackhole.retrans);
		kv_time(o, ctx, "since", e->blackhole.since_ns);
		break;
	case XG_EV_TW_CHURN:
		kv_u64(o, "entries", e->tw.entries);
		kv_u64(o, "window_ms", e->tw.window_ms);
		kv_u64(o, "threshold_per_s", e->tw.threshold);
		break;
	case XG_EV_EPHEMERAL:
		kv_u64(o, "in_use", e->eph.in_use);
		kv_u64(o, "ports", e->eph.ports);
		printf(o->json ? ",\"pct\":%.1f" : " pct=%.1f",
		       e->eph.ports ? 100.0 * e->eph.in_use / e->eph.ports : 0);
		kv_u64(o, "threshold_pct", e->eph.threshold);
		break;
	case XG_EV_NO_PORT:
		kv_u64(o, "ports", e->eph.ports);
		break;
	case XG_EV_ACCEPT_FULL:
		kv_u64(o, "accept_queue", e->accept.queue);
		kv_u64(o, "accept_max", e->accept.backlog);
		kv_u64(o, "syn_recv", e->accept.syn_recv);
		break;
	default:
		if (XG_EV_IS_DNS(e->type))
			xg_dns_event_body(stdout, o->json, e);
	}
}

/*
 * Print one record: the head (time, type, interface, namespace, addresses)
 * the same way for every type, then the type's own fields.
 */
static void ev_print(struct ev_ctx *ctx, const struct xg_event *e,
		     const char *ifname)
{
	const struct ev_type *t = &ev_types[e->type];
	struct ev_out o = { .json = ctx->json };
	struct xg_cidr c = { .family = e->family, .prefixlen = e->prefixlen };
	bool fam = e->family == 4 || e->family == 6;
	char when[48], a[64];

	xg_rfc3339(e->ts_ns + ctx->mono_to_real, when, sizeof(when));
	if (ctx->json) {
		printf("{\"time\":\"%s\",\"type\":\"%s\"", when, t->name);
		kv_str(&o, "interface", ifname);
		kv_u64(&o, "netns", ctx->netns_ino);
		if (fam)
			kv_u64(&o, "family", e->family);
		else
			kv_str(&o, "family", NULL);
	} else {
		printf("%s %s %s", when, t->name, ifname ? ifname : "host");
	}
	xg_format_addr(e->family, e->saddr, a, sizeof(a));
	kv_str(&o, "src", fam && (t->head & EV_SRC) ? a : NULL);
	kv_port(&o, "sport", t->head & EV_SPORT, e->sport);
	xg_format_addr(e->family, e->daddr, a, sizeof(a));
	kv_str(&o, "dst", fam && (t->head & EV_DST) ? a : NULL);
	kv_port(&o, "dport", t->head & EV_DPORT, e->dport);
	if (t->head & EV_PREFIX) {
		memcpy(c.addr, e->saddr, 16);
		xg_format_cidr(&c, a, sizeof(a));
		kv_str(&o, "prefix", fam ? a : NULL);
	}
	ev_body(&o, ctx, e);
	fputs(ctx->json ? "}\n" : "\n", stdout);
	ctx->printed++;
}

/* 1: a record of a type we know and were asked for. */
static int ev_wanted(struct ev_ctx *ctx, const struct xg_event *e,
		     size_t size)
{
	if (size < sizeof(*e) || !e->type || e->type >= XG_EV_MAX ||
	    !ev_types[e->type].name ||
	    (XG_EV_IS_DNS(e->type) && size < sizeof(struct xg_dns_event))) {
		ctx->unknown++;	/* a newer kernel side: count, skip */
		return 0;
	}
	return !!(ctx->types & (1U << e->type));
}

static int on_event(void *arg, void *data, size_t size)
{
	struct ev_ctx *ctx = ((void **)arg)[0];
	struct ev_src *src = ((void **)arg)[1];

	if (ev_wanted(ctx, data, size))
		ev_print(ctx, data, src->ifc.ifname);
	return 0;
}

/* A host ring record: shown only in the namespace it belongs to. */
static int on_sock_event(void *arg, void *data, size_t size)
{
	struct ev_ctx *ctx = arg;
	const struct xg_event *e = data;

	if (ev_wanted(ctx, data, size) && e->netns_cookie == ctx->netns_cookie)
		ev_print(ctx, e, NULL);
	return 0;
}

/*
 * --type: names and groups, comma-separated, into a bit per type. 0 on
 * success; the message names the bad part and the accepted ones.
 */
static int ev_parse_types(const char *arg, __u32 *types)
{
	char buf[512], *tok, *save = NULL;
	int i;
	bool hit;

	if (!arg || !*arg || strlen(arg) >= sizeof(buf))
		return xg_usage_err("--type: '%s' is not a list of event types",
				    arg ? arg : "");
	snprintf(buf, sizeof(buf), "%s", arg);
	*types = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		hit = false;
		for (i = 1; i < XG_EV_MAX; i++) {
			if (!strcmp(tok, ev_types[i].name) ||
			    !strcmp(tok, ev_types[i].group) ||
			    !strcmp(tok, "all")) {
				*types |= 1U << i;
				hit = true;
			}
		}
		if (!hit)
			return xg_usage_err("--type: unknown event type '%s' "
					    "(accepted: throttle, deny_hit, "
					    "cookies_on, cookies_off, ptb, "
					    "pmtud_blackhole_suspected, "
					    "tw_churn, ephemeral, accept_full, "
					    "no_port, dns_answer_changed, "
					    "dns_servers_disagree, "
					    "dns_stale_use, or the groups "
					    "guard, cookies, pmtu, sockets, "
					    "dns, all; "
					    "comma-separated)", tok);
	}
	if (!*types)
		return xg_usage_err("--type: '%s' names no event type", arg);
	return 0;
}

static __u32 ev_host_types(void)
{
	__u32 m = 0;
	int i;

	for (i = 1; i < XG_EV_MAX; i++)
		if (XG_EV_IS_HOST(i))
			m |= 1U << i;
	return m;
}

/*
 * A BPF ring buffer has one consumer position: two readers of one ring
 * would each get part of the records. So one `events` per ring: an flock
 * on a file named after the ring, kept until exit. Returns the fd, -1
 * (said) when another reader holds it.
 */
static int ring_claim(const char *what, const char *key)
{
	char path[PATH_MAX];
	const char *slash = strrchr(key, '/');
	int fd;

	snprintf(path, sizeof(path), "/run/lock/xdpguard-events-%s.lock",
		 slash ? slash + 1 : key);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		xg_err("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		xg_err("another xdpguard events already follows %s: a ring "
		       "buffer has one reader (two would split its records); "
		       "stop that one, or read its output", what);
		close(fd);
		return -1;
	}
	return fd;
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
	"usage: xdpguard events [-i IFACE] [--type T[,T...]] [--json]\n"
	"  follows every attached interface of this namespace (only IFACE with\n"
	"  -i) and the host socket telemetry's events of this namespace when\n"
	"  it is on (not with -i); it then takes a socket snapshot every\n"
	"  second, which is when ephemeral-port and accept-queue thresholds\n"
	"  are checked. --type: throttle, deny_hit, cookies_on, cookies_off,\n"
	"  ptb, pmtud_blackhole_suspected, tw_churn, ephemeral, accept_full,\n"
	"  no_port, or the groups guard, cookies, pmtu, sockets, all\n"
	"  (default all). The record schema is in docs/events.md.\n";

struct events_opts {
	const char *ifname, *types;
	bool json;
};

static const struct xg_opt events_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct events_opts, ifname),
	  .arg = "IFACE" },
	{ "type", 't', XG_OPT_STR, offsetof(struct events_opts, types),
	  .arg = "T,T...", .help = "only these event types" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct events_opts, json),
	  .help = "one JSON object per line" },
	{}
};

int cmd_events(int argc, char **argv)
{
	struct events_opts o = {};
	struct xg_iface one, *list = NULL;
	struct ev_src *src = NULL;
	struct ev_ctx ctx = { .types = ~0U };
	void *(*args)[2] = NULL;
	struct ring_buffer *rb = NULL;
	const char *ifname;
	__u64 lost = 0, supp = 0, l, s, hlost0 = 0, hsupp0 = 0;
	__u64 last_snap = 0;
	bool host = false, want_host, want_if;
	int i, n = 0, ret, err, hfd = -1, hclaim = -1;
	char hkey[64];

	xg_cmd = "events";
	ret = xg_opts_only(argc, argv, NULL, events_opts, &o, NULL,
			   events_usage);
	if (ret >= 0)
		return ret;
	if (o.types && ev_parse_types(o.types, &ctx.types))
		return XG_EXIT_USAGE;
	ctx.json = o.json;
	ifname = o.ifname;
	want_host = ctx.types & ev_host_types();
	want_if = ctx.types & ~ev_host_types();
	if (ifname && !want_if)
		return xg_usage_err("-i %s: --type names only host-wide "
				    "events, which have no interface (drop "
				    "-i)", ifname);
	if (ifname || want_if) {
		n = xg_iface_targets(ifname, &one, &list);
		if (n < 0)
			return -n;
	}
	if (!ifname) {
		if (xg_bpffs_ready(false))
			return XG_EXIT_FAIL;
		host = want_host && xg_host_is_on();
		if (!n && !host)
			return xg_usage_err("nothing to follow: %s",
					    want_if && want_host ?
					    "no interface is attached in this "
					    "network namespace (xdpguard attach "
					    "IFACE) and host socket telemetry "
					    "is off (xdpguard tw on)" :
					    want_if ? "no interface is attached "
					    "in this network namespace "
					    "(xdpguard attach IFACE)" :
					    "host socket telemetry is off "
					    "(xdpguard tw on)");
	}
	ctx.netns_ino = xg_netns_ino();
	ret = XG_EXIT_FAIL;
	src = calloc(n + 1, sizeof(*src));
	args = calloc(n + 1, sizeof(*args));
	if (!src || !args) {
		xg_err("out of memory");
		n = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		src[i].ifc = list[i];
		src[i].claim_fd = ring_claim(list[i].ifname, list[i].dir);
		if (src[i].claim_fd < 0)
			goto out;
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
		ctx.netns_cookie = xg_netns_cookie();
		snprintf(hkey, sizeof(hkey), "host-%llu",
			 (unsigned long long)ctx.netns_cookie);
		hclaim = ring_claim("the host socket events of this network "
				    "namespace", hkey);
		if (hclaim < 0)
			goto out;
		hfd = xg_host_ring();
		if (!ctx.netns_cookie || hfd < 0 ||
		    host_lost_read(ctx.netns_cookie, &hlost0, &hsupp0))
			goto out;
		if (!rb)
			rb = ring_buffer__new(hfd, on_sock_event, &ctx, NULL);
		else if (ring_buffer__add(rb, hfd, on_sock_event, &ctx))
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
		fflush(stdout);	/* once per batch, not per record */
		if (err < 0 && err != -EINTR) {
			xg_err("reading events failed: %s", strerror(-err));
			goto out;
		}
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	if (host && !host_lost_read(ctx.netns_cookie, &l, &s)) {
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
		"buffer full), %llu held back by the kernel's event budget%s",
		ctx.printed, lost, supp, ctx.unknown ? "" : "\n");
	if (ctx.unknown)
		fprintf(stderr, ", %llu of unknown types skipped\n",
			ctx.unknown);
	ret = XG_EXIT_OK;
out:
	ring_buffer__free(rb);
	if (hfd >= 0)
		close(hfd);
	if (hclaim >= 0)
		close(hclaim);
	for (i = 0; i < n; i++) {
		if (src[i].ring_fd > 0)
			close(src[i].ring_fd);
		if (src[i].cnt_fd > 0)
			close(src[i].cnt_fd);
		if (src[i].claim_fd > 0)
			close(src[i].claim_fd);
	}
	free(args);
	free(src);
	if (list != &one)
		free(list);
	return ret;
}
