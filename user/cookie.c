// SPDX-License-Identifier: GPL-2.0
/*
 * cookies: the SYN-cookie fast path.
 *
 * `cookies set` probes what the kernel offers, attaches the tc ingress
 * hand-off (tc_cookie.bpf.c) the first time cookies are wanted, derives
 * the SYN-ACK's settings from the namespace's sysctls and the interface's
 * MTU, and writes one entry per port in xg_cookie_ports: a policy change
 * is one map update. `cookies show` says plainly what is available and
 * what each port does. detach removes the tc filter (and the clsact qdisc
 * when we created it and nothing else uses it).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "xdpguard.h"
#include "tc_cookie.skel.h"
#include "lib/cookie.h"

#define XG_KFUNC	"bpf_sk_assign_tcp_reqsk"

static const char cookies_usage[] =
	"usage: xdpguard cookies set [-i IFACE] on|off|auto [--port PORT] "
	"[--threshold PPS]\n"
	"       xdpguard cookies show [-i IFACE] [--json]\n"
	"  on    answer every SYN to PORT (default: every port without a "
	"setting of its own)\n"
	"        from XDP with a SYN-ACK cookie; ACKs become connections of "
	"the listener\n"
	"  auto  the same while the port's SYN rate is high: on after one "
	"second at or\n"
	"        above --threshold SYN/s, off after 5 seconds in a row below "
	"half of it\n"
	"  off   back to the per-source budget alone\n";

/* ---------------- probing ---------------- */

void xg_cookie_probe(struct xg_cookie_support *s)
{
	static const enum bpf_func_id xdp_ids[] = {
		BPF_FUNC_tcp_raw_gen_syncookie_ipv4,
		BPF_FUNC_tcp_raw_gen_syncookie_ipv6,
		BPF_FUNC_tcp_raw_check_syncookie_ipv4,
		BPF_FUNC_tcp_raw_check_syncookie_ipv6,
		BPF_FUNC_skc_lookup_tcp,
		BPF_FUNC_xdp_store_bytes,
	};
	static const enum bpf_prog_type types[] = {
		BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_SCHED_CLS,
	};
	struct btf *btf;
	size_t i, t;

	memset(s, 0, sizeof(*s));
	s->helpers = true;
	for (t = 0; t < 2; t++)
		for (i = 0; i < sizeof(xdp_ids) / sizeof(xdp_ids[0]); i++) {
			/* tc has no xdp_store_bytes, and needs none */
			if (types[t] == BPF_PROG_TYPE_SCHED_CLS &&
			    xdp_ids[i] == BPF_FUNC_xdp_store_bytes)
				continue;
			if (libbpf_probe_bpf_helper(types[t], xdp_ids[i],
						    NULL) != 1)
				s->helpers = false;
		}
	btf = btf__load_vmlinux_btf();
	if (!libbpf_get_error(btf)) {
		s->kfunc = btf__find_by_name_kind(btf, XG_KFUNC,
						  BTF_KIND_FUNC) > 0;
		btf__free(btf);
	}
	if (xg_sysctl("net/ipv4/tcp_syncookies", &s->syncookies, 1) != 1)
		s->syncookies = -1;
	if (!s->helpers)
		snprintf(s->why, sizeof(s->why), "the kernel lacks the BPF "
			 "SYN-cookie helpers (bpf_tcp_raw_gen_syncookie_*, "
			 "Linux 6.0+, CONFIG_SYN_COOKIES)");
	else if (!s->kfunc)
		snprintf(s->why, sizeof(s->why), "the kernel lacks the kfunc "
			 XG_KFUNC " (Linux 6.9+) that hands a cookie ACK to "
			 "the listener; xdpguard does not implement the older "
			 "pairing with netfilter SYNPROXY");
	else if (s->syncookies <= 0)
		snprintf(s->why, sizeof(s->why), "net.ipv4.tcp_syncookies is "
			 "%s in this network namespace: the kernel ignores "
			 "cookie ACKs then (sysctl -w "
			 "net.ipv4.tcp_syncookies=1)",
			 s->syncookies < 0 ? "unreadable" : "0");
	else
		s->ok = true;
}

static const char *support_words(const struct xg_cookie_support *s)
{
	return s->ok ? "available: XDP answers SYNs with the kernel's SYN "
		       "cookies (bpf_tcp_raw_gen_syncookie), tc ingress hands "
		       "valid ACKs to the listener (" XG_KFUNC ")" : s->why;
}

/* ---------------- the SYN-ACK's settings ---------------- */

static int iface_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int fd, mtu = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/*
 * What the kernel would announce: MSS from the MTU, our window scale as
 * tcp_select_initial_window() picks it for a listener without a locked
 * receive buffer, the options the namespace's sysctls allow.
 */
static int synack_settings(const struct xg_iface *ifc,
			   struct xg_cookie_cfg *cc)
{
	long v[3], space = 0, ttl = 64;
	int mtu, ws = 0;

	mtu = iface_mtu(ifc->ifname);
	if (mtu < 1280) {
		xg_err("%s: MTU %d is too small for SYN cookies (at least "
		       "1280)", ifc->ifname, mtu);
		return -1;
	}
	cc->mss4 = mtu - 40 > 65495 ? 65495 : mtu - 40;
	cc->mss6 = mtu - 60 > 65475 ? 65475 : mtu - 60;
	cc->flags &= XG_CKF_TC | XG_CKF_QDISC;
	if (xg_sysctl("net/ipv4/tcp_timestamps", v, 1) == 1 && v[0])
		cc->flags |= XG_CKF_TS;
	if (xg_sysctl("net/ipv4/tcp_sack", v, 1) == 1 && v[0])
		cc->flags |= XG_CKF_SACK;
	if (xg_sysctl("net/ipv4/tcp_window_scaling", v, 1) == 1 && v[0])
		cc->flags |= XG_CKF_WSCALE;
	if (xg_sysctl("net/ipv4/tcp_rmem", v, 3) == 3)
		space = v[2];
	if (xg_sysctl("net/core/rmem_max", v, 1) == 1 && v[0] > space)
		space = v[0];
	while (space >> (ws + 16) && ws < XG_MAX_WSCALE)
		ws++;
	cc->wscale = ws;
	if (xg_sysctl("net/ipv4/ip_default_ttl", v, 1) == 1 && v[0] > 0 &&
	    v[0] < 256)
		ttl = v[0];
	cc->ttl = ttl;
	while (!cc->ts_off)
		if (getrandom(&cc->ts_off, sizeof(cc->ts_off), 0) !=
		    sizeof(cc->ts_off))
			cc->ts_off = (__u32)xg_mono_ns() | 1;
	return 0;
}

/* ---------------- tc ingress ---------------- */

/*
 * libbpf reports the kernel's netlink answers to the tc calls (an
 * existing clsact, a filter already gone) as warnings; xdpguard says what
 * matters in its own words.
 */
static libbpf_print_fn_t saved_print;

static int tc_print(enum libbpf_print_level level, const char *fmt,
		    va_list args)
{
	if (!getenv("XDPGUARD_DEBUG") && strstr(fmt, "Kernel error message"))
		return 0;
	return saved_print ? saved_print(level, fmt, args) : 0;
}

void xg_tc_quiet(bool on)
{
	if (on)
		saved_print = libbpf_set_print(tc_print);
	else
		libbpf_set_print(saved_print);
}

/* The hand-off program on @ifc's pinned maps, loaded, or NULL. */
static struct tc_cookie_bpf *tc_load(const struct xg_iface *ifc)
{
	struct tc_cookie_bpf *skel;
	int err;

	skel = tc_cookie_bpf__open();
	if (!skel) {
		xg_err("cannot open the tc hand-off program: %s",
		       strerror(errno));
		return NULL;
	}
	/* xg_config, xg_counters, xg_cookie_ports, xg_cookie_cfg */
	if (xg_reuse_pins(skel->obj, ifc))
		goto fail;
	err = tc_cookie_bpf__load(skel);
	if (err) {
		xg_err("cannot load the tc hand-off program: %s (the kernel "
		       "may lack the kfunc " XG_KFUNC ", Linux 6.9+; "
		       "XDPGUARD_DEBUG=1 shows the verifier's log)",
		       strerror(-err));
		goto fail;
	}
	return skel;
fail:
	tc_cookie_bpf__destroy(skel);
	return NULL;
}

/* attach --replace: a new hand-off program's fd (not attached), or -1. */
int xg_cookie_load(const struct xg_iface *ifc)
{
	struct tc_cookie_bpf *skel = tc_load(ifc);
	int fd;

	if (!skel)
		return -1;
	fd = dup(bpf_program__fd(skel->progs.xg_tc_cookie));
	if (fd < 0)
		xg_err("cannot keep the new tc hand-off program: %s",
		       strerror(errno));
	tc_cookie_bpf__destroy(skel);
	return fd;
}

static int tc_attach(const struct xg_iface *ifc, struct xg_cookie_cfg *cc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	struct tc_cookie_bpf *skel;
	bool created = false, attached = false;
	char path[512];
	int err, ret = -1;

	skel = tc_load(ifc);
	if (!skel)
		return -1;
	xg_tc_quiet(true);
	err = bpf_tc_hook_create(&hook);
	xg_tc_quiet(false);
	if (err && err != -EEXIST) {
		xg_err("cannot create the clsact qdisc on %s: %s",
		       ifc->ifname, strerror(-err));
		goto out;
	}
	created = !err;
	opts.prog_fd = bpf_program__fd(skel->progs.xg_tc_cookie);
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		xg_err("cannot attach the tc hand-off to %s ingress: %s",
		       ifc->ifname, strerror(-err));
		goto out;
	}
	attached = true;
	snprintf(path, sizeof(path), "%s/" XG_PIN_TC_COOKIE, ifc->dir);
	if (bpf_obj_pin(opts.prog_fd, path)) {
		xg_err("cannot pin %s: %s", path, strerror(errno));
		goto out;
	}
	chmod(path, 0600);
	bpf_obj_get_info_by_fd(opts.prog_fd, &info, &ilen);
	cc->flags |= XG_CKF_TC | (created ? XG_CKF_QDISC : 0);
	cc->tc_ifindex = ifc->ifindex;
	cc->tc_handle = opts.handle;
	cc->tc_priority = opts.priority;
	cc->tc_prog_id = info.id;
	ret = 0;
out:
	if (ret && attached) {
		opts.prog_fd = 0;
		opts.prog_id = 0;
		opts.flags = 0;
		bpf_tc_detach(&hook, &opts);
	}
	if (ret && created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	tc_cookie_bpf__destroy(skel);
	return ret;
}

/* 1 when the tc filter cookies set made is still there */
static int tc_present(const struct xg_cookie_cfg *cc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = cc->tc_ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = cc->tc_handle,
		    .priority = cc->tc_priority);

	int ret;

	if (!(cc->flags & XG_CKF_TC))
		return 0;
	xg_tc_quiet(true);
	ret = !bpf_tc_query(&hook, &opts) && opts.prog_id == cc->tc_prog_id;
	xg_tc_quiet(false);
	return ret;
}

/* Remove the tc filter (and our clsact when it is empty); 0 or -1. */
static int tc_detach(const struct xg_iface *ifc, struct xg_cookie_cfg *cc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = cc->tc_ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = cc->tc_handle,
		    .priority = cc->tc_priority);
	int err, left;

	if (!(cc->flags & XG_CKF_TC))
		return 0;
	xg_tc_quiet(true);
	err = bpf_tc_detach(&hook, &opts);
	xg_tc_quiet(false);
	if (err && err != -ENOENT) {
		xg_err("cannot remove the tc hand-off from %s: %s",
		       ifc->ifname, strerror(-err));
		return -1;
	}
	if (cc->flags & XG_CKF_QDISC) {
		left = xg_tc_filters(cc->tc_ifindex, NULL, NULL);
		if (!left) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		} else {
			fprintf(stderr, "xdpguard: %s: the clsact qdisc "
				"xdpguard created holds %s other filter%s now; "
				"left in place\n", ifc->ifname,
				left < 0 ? "unknown" : "", left == 1 ? "" :
				"s");
		}
	}
	cc->flags &= ~(XG_CKF_TC | XG_CKF_QDISC);
	return 0;
}

static int ccfg_read(const struct xg_iface *ifc, struct xg_cookie_cfg *cc)
{
	__u32 zero = 0;
	int fd = xg_map_open(ifc, XG_MAP_COOKIE_CFG), err;

	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, cc);
	close(fd);
	return err;
}

static int ccfg_write(const struct xg_iface *ifc,
		      const struct xg_cookie_cfg *cc)
{
	__u32 zero = 0;
	int fd = xg_map_open(ifc, XG_MAP_COOKIE_CFG), err;

	if (fd < 0)
		return -1;
	err = bpf_map_update_elem(fd, &zero, cc, BPF_ANY);
	if (err)
		xg_err("cannot write the cookie settings of %s: %s",
		       ifc->ifname, strerror(errno));
	close(fd);
	return err;
}

/* Called by detach (under the lock) while the pins still exist. */
int xg_cookie_detach(const struct xg_iface *ifc)
{
	struct xg_cookie_cfg cc;

	if (ccfg_read(ifc, &cc))
		return 0;	/* pins of an older xdpguard: nothing of ours */
	if (!(cc.flags & XG_CKF_TC))
		return 0;
	if (!ifc->ifindex || (int)cc.tc_ifindex != ifc->ifindex)
		return 0;	/* gone with its interface */
	if (tc_detach(ifc, &cc))
		return -1;
	ccfg_write(ifc, &cc);
	return 0;
}

/* ---------------- show ---------------- */

static const char *mode_name(__u32 mode)
{
	return mode == XG_CK_ON ? "on" : mode == XG_CK_AUTO ? "auto" : "off";
}

struct port_row {
	__u16 port;
	struct xg_cookie_port c;
};

static int port_cmp(const void *a, const void *b)
{
	const struct port_row *x = a, *y = b;

	/* the default (0) last */
	return (x->port ? x->port : 65536) - (y->port ? y->port : 65536);
}

static int ports_read(const struct xg_iface *ifc, struct port_row *rows,
		      int max)
{
	__u16 key, next, *prev = NULL;
	int fd, n = 0;

	fd = xg_map_open(ifc, XG_MAP_COOKIE_PORTS);
	if (fd < 0)
		return -1;
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &rows[n].c))
			continue;
		rows[n++].port = key;
	}
	close(fd);
	qsort(rows, n, sizeof(*rows), port_cmp);
	return n;
}

/* "on", "off", or for auto its live state */
static void state_words(const struct xg_cookie_port *c, char *buf,
			size_t len)
{
	__u64 now = xg_mono_ns();

	if (c->mode == XG_CK_ON) {
		snprintf(buf, len, "answering");
		return;
	}
	if (!c->active) {
		snprintf(buf, len, "off");
		return;
	}
	/* auto decides when SYNs come: an idle port keeps its state */
	if (c->win_start && now > c->win_start &&
	    now - c->win_start > XG_CK_CALM_WINDOWS * XG_CK_WINDOW_NS)
		snprintf(buf, len, "answering (idle %llus: off at its next "
			 "SYN)", (now - c->win_start) / 1000000000ULL);
	else
		snprintf(buf, len, "answering");
}

static void port_json(const struct port_row *r, bool first)
{
	__u64 now = xg_mono_ns();

	printf("%s{\"port\":%u,\"mode\":\"%s\",\"threshold_pps\":%u,"
	       "\"answering\":%s,\"last_rate_pps\":%u,\"switches\":%llu,"
	       "\"switched_ago_s\":%lld}", first ? "" : ",", r->port,
	       mode_name(r->c.mode), r->c.threshold,
	       r->c.mode == XG_CK_ON || r->c.active ? "true" : "false",
	       r->c.last_rate, (unsigned long long)r->c.switches,
	       r->c.switched_ns && now > r->c.switched_ns ?
	       (long long)((now - r->c.switched_ns) / 1000000000ULL) : -1LL);
}

/* The cookie lines of `status` (and the ports of `cookies show`). */
void xg_cookie_status(const struct xg_iface *ifc, bool json)
{
	struct port_row rows[64];
	char st[96];
	int n, i;

	n = ports_read(ifc, rows, 64);
	if (json) {
		printf(",\"cookies\":[");
		for (i = 0; i < n; i++)
			port_json(&rows[i], i == 0);
		printf("]");
		return;
	}
	if (n <= 0) {
		printf("  cookies: off\n");
		return;
	}
	printf("  cookies:");
	for (i = 0; i < n; i++) {
		state_words(&rows[i].c, st, sizeof(st));
		if (rows[i].c.mode == XG_CK_AUTO)
			printf("%s %s auto %u SYN/s: %s", i ? ";" : "",
			       rows[i].port ? (snprintf(st + 64, 16, "port %u",
				rows[i].port), st + 64) : "every port",
			       rows[i].c.threshold, st);
		else
			printf("%s %s on", i ? ";" : "", rows[i].port ?
			       (snprintf(st + 64, 16, "port %u",
					 rows[i].port), st + 64) :
			       "every port");
	}
	printf("\n");
}

static int cookies_show(const struct xg_iface *ifc, bool json)
{
	struct xg_counter cnt[XG_C_SLOTS];
	struct xg_cookie_support sup;
	struct xg_cookie_cfg cc;
	struct port_row rows[XG_MAX_PORT_RULES];
	struct xg_info info;
	__u64 synack, ack_ok, ack_bad, csum, nolisten, skip;
	char st[96], since[32];
	int fd, n, i;

	xg_cookie_probe(&sup);
	if (xg_info_read(ifc, &info) || ccfg_read(ifc, &cc)) {
		xg_err("%s: cannot read its pins (attached by an older "
		       "xdpguard? detach and attach again)", ifc->ifname);
		return XG_EXIT_FAIL;
	}
	fd = xg_map_open(ifc, XG_MAP_COUNTERS);
	if (fd < 0 || xg_counters_read(fd, cnt, XG_C_SLOTS)) {
		if (fd >= 0)
			close(fd);
		return XG_EXIT_FAIL;
	}
	close(fd);
	n = ports_read(ifc, rows, XG_MAX_PORT_RULES);
	if (n < 0)
		return XG_EXIT_FAIL;
#define PK(v, r) (cnt[XG_COUNTER_IDX(v, r)].packets)
	synack = PK(XG_V_TX, XG_R_COOKIE_SYN);
	ack_ok = PK(XG_V_PASS, XG_R_COOKIE_ACK);
	ack_bad = PK(XG_V_DROP, XG_R_COOKIE_BAD) +
		  PK(XG_V_WOULD_DROP, XG_R_COOKIE_BAD);
	csum = PK(XG_V_DROP, XG_R_BAD_CSUM) +
	       PK(XG_V_WOULD_DROP, XG_R_BAD_CSUM);
	nolisten = PK(XG_V_PASS, XG_R_NO_LISTENER);
	skip = PK(XG_V_PASS, XG_R_COOKIE_SKIP);
#undef PK
	if (json) {
		printf("{\"interface\":");
		xg_json_str(stdout, ifc->ifname);
		printf(",\"available\":%s,\"why\":",
		       sup.ok && info.cookie_paths ? "true" : "false");
		xg_json_str(stdout, !info.cookie_paths && sup.ok ?
			    "the XDP program was loaded without its cookie "
			    "paths: detach and attach again" :
			    support_words(&sup));
		printf(",\"kernel\":{\"helpers\":%s,\"kfunc\":%s,"
		       "\"tcp_syncookies\":%ld},\"synack\":{\"mss4\":%u,"
		       "\"mss6\":%u,\"wscale\":%u,\"ttl\":%u,\"timestamps\":%s,"
		       "\"sack\":%s,\"window_scaling\":%s},\"tc\":{"
		       "\"attached\":%s,\"handle\":%u,\"priority\":%u,"
		       "\"prog_id\":%u},\"ports\":[", sup.helpers ? "true" :
		       "false", sup.kfunc ? "true" : "false", sup.syncookies,
		       cc.mss4, cc.mss6, cc.wscale, cc.ttl,
		       cc.flags & XG_CKF_TS ? "true" : "false",
		       cc.flags & XG_CKF_SACK ? "true" : "false",
		       cc.flags & XG_CKF_WSCALE ? "true" : "false",
		       tc_present(&cc) ? "true" : "false", cc.tc_handle,
		       cc.tc_priority, cc.tc_prog_id);
		for (i = 0; i < n; i++)
			port_json(&rows[i], i == 0);
		printf("],\"counters\":{\"synacks\":%llu,\"acks_valid\":%llu,"
		       "\"acks_dropped\":%llu,\"bad_checksums\":%llu,"
		       "\"no_listener\":%llu,\"not_answered\":%llu,"
		       "\"handed_off\":%llu,\"handoff_refused\":%llu,"
		       "\"handoff_mss_min\":%llu}}\n", synack, ack_ok, ack_bad,
		       csum, nolisten, skip, cnt[XG_C_HANDOFF].packets,
		       cnt[XG_C_HANDOFF_FAIL].packets,
		       cnt[XG_C_HANDOFF_MSS_MIN].packets);
		return XG_EXIT_OK;
	}
	printf("%s: SYN cookies %s\n", ifc->ifname,
	       !info.cookie_paths && sup.ok ? "not available: the XDP "
	       "program was loaded without its cookie paths (detach and "
	       "attach again)" : support_words(&sup));
	printf("  kernel: tcp_syncookies=%ld; SYN-ACKs offer MSS %u (IPv4) / "
	       "%u (IPv6), window scale %u, TTL %u%s%s%s\n", sup.syncookies,
	       cc.mss4, cc.mss6, cc.wscale, cc.ttl,
	       cc.flags & XG_CKF_TS ? ", timestamps" : "",
	       cc.flags & XG_CKF_SACK ? ", SACK" : "",
	       cc.flags & XG_CKF_WSCALE ? ", window scaling" : "");
	if (tc_present(&cc))
		printf("  tc ingress hand-off: attached (handle %#x priority "
		       "%u, program id %u)\n", cc.tc_handle, cc.tc_priority,
		       cc.tc_prog_id);
	else if (cc.flags & XG_CKF_TC)
		printf("  tc ingress hand-off: MISSING (its filter was "
		       "removed: valid ACKs cannot become connections; run "
		       "cookies set again)\n");
	else
		printf("  tc ingress hand-off: not attached (the first "
		       "`cookies set on|auto` attaches it)\n");
	if (!n)
		printf("  no port has SYN cookies\n");
	else
		printf("  %-6s %-5s %10s %-10s %9s %9s %s\n", "port",
		       "mode", "threshold", "state", "SYN/s", "switches",
		       "last switch");
	for (i = 0; i < n; i++) {
		__u64 now = xg_mono_ns();

		state_words(&rows[i].c, st, sizeof(st));
		strcpy(since, "-");
		if (rows[i].c.switched_ns && now > rows[i].c.switched_ns)
			xg_format_duration(now - rows[i].c.switched_ns, since,
					   sizeof(since));
		printf("  %-6s %-5s %10s %-10s %9u %9llu %s%s\n",
		       rows[i].port ? (snprintf(st + 64, 16, "%u",
				       rows[i].port), st + 64) : "*",
		       mode_name(rows[i].c.mode),
		       rows[i].c.mode == XG_CK_AUTO ?
		       (snprintf(st + 80, 16, "%u", rows[i].c.threshold),
			st + 80) : "-", st, rows[i].c.last_rate,
		       (unsigned long long)rows[i].c.switches, since,
		       strcmp(since, "-") ? " ago" : "");
	}
	printf("  SYN-ACKs sent %llu; ACKs: %llu valid, %llu dropped; SYNs not "
	       "answered: %llu bad checksum, %llu no listener, %llu other\n",
	       synack, ack_ok, ack_bad, csum, nolisten, skip);
	printf("  hand-off: %llu connections, %llu refused by the kernel, "
	       "%llu with the smallest MSS (cookie of the minute before)\n",
	       cnt[XG_C_HANDOFF].packets, cnt[XG_C_HANDOFF_FAIL].packets,
	       cnt[XG_C_HANDOFF_MSS_MIN].packets);
	return XG_EXIT_OK;
}

/* ---------------- set ---------------- */

/*
 * What cookies on needs, made ready in @cc: the kernel and the loaded
 * program can, the SYN-ACK settings are current, the tc hand-off is
 * attached (*tc_new: by this call). 0, or -1 with the reason said.
 */
static int cookie_ready(const struct xg_iface *ifc, const struct xg_info *info,
			struct xg_cookie_cfg *cc, bool *tc_new)
{
	struct xg_cookie_support sup;

	/* never answer SYNs whose ACKs cannot complete */
	xg_cookie_probe(&sup);
	if (!sup.ok) {
		xg_err("SYN cookies are not available: %s; nothing changed",
		       sup.why);
		return -1;
	}
	if (!info->cookie_paths) {
		xg_err("%s: its XDP program was loaded without the cookie "
		       "paths (the kernel lacked the helpers at attach); "
		       "detach and attach again; nothing changed",
		       ifc->ifname);
		return -1;
	}
	if (synack_settings(ifc, cc))
		return -1;
	if ((cc->flags & XG_CKF_TC) && !tc_present(cc)) {
		/* someone removed it: attach it again */
		char path[512];

		fprintf(stderr, "xdpguard: %s: the tc hand-off (filter handle "
			"%#x priority %u) is gone; attaching it again\n",
			ifc->ifname, cc->tc_handle, cc->tc_priority);
		snprintf(path, sizeof(path), "%s/" XG_PIN_TC_COOKIE, ifc->dir);
		unlink(path);
		/* the clsact, if ours, stays ours */
		cc->flags &= ~XG_CKF_TC;
	}
	*tc_new = false;
	if (!(cc->flags & XG_CKF_TC)) {
		if (tc_attach(ifc, cc))
			return -1;
		*tc_new = true;
	}
	return 0;
}

static void cookie_unready(const struct xg_iface *ifc,
			   struct xg_cookie_cfg *cc)
{
	char path[512];

	tc_detach(ifc, cc);
	snprintf(path, sizeof(path), "%s/" XG_PIN_TC_COOKIE, ifc->dir);
	unlink(path);
}

/*
 * For apply, before its first change: cookies can be on (as cookies set
 * checks), the tc hand-off attached and its settings written. *tc_new:
 * attached by this call (xg_cookie_unprepare takes it away again).
 */
int xg_cookie_prepare(const struct xg_iface *ifc, bool *tc_new)
{
	struct xg_cookie_cfg cc, old;
	struct xg_info info;

	*tc_new = false;
	if (xg_info_read(ifc, &info) || ccfg_read(ifc, &cc)) {
		xg_err("%s: cannot read its pins (attached by an older "
		       "xdpguard? detach and attach again)", ifc->ifname);
		return -1;
	}
	old = cc;
	if (cookie_ready(ifc, &info, &cc, tc_new))
		return -1;
	if (ccfg_write(ifc, &cc)) {
		if (*tc_new)
			cookie_unready(ifc, &cc);
		ccfg_write(ifc, &old);
		*tc_new = false;
		return -1;
	}
	if (*tc_new)
		printf("xdpguard: %s: tc ingress hand-off attached (handle "
		       "%#x priority %u); detach removes it\n", ifc->ifname,
		       cc.tc_handle, cc.tc_priority);
	return 0;
}

/* apply failed after xg_cookie_prepare attached the hand-off */
void xg_cookie_unprepare(const struct xg_iface *ifc)
{
	struct xg_cookie_cfg cc;

	if (ccfg_read(ifc, &cc))
		return;
	cookie_unready(ifc, &cc);
	ccfg_write(ifc, &cc);
}

static int cookies_set(const struct xg_iface *ifc, __u32 mode, bool has_port,
		       __u16 port, __u32 threshold)
{
	struct xg_cookie_cfg cc, old_cc;
	struct xg_cookie_port c = {}, old;
	struct xg_info info;
	bool existed, tc_new = false;
	char what[32];
	int fd = -1, ret = XG_EXIT_FAIL;

	snprintf(what, sizeof(what), has_port && port ? "port %u" :
		 "every port", port);
	if (xg_info_read(ifc, &info) || ccfg_read(ifc, &cc)) {
		xg_err("%s: cannot read its pins (attached by an older "
		       "xdpguard? detach and attach again)", ifc->ifname);
		return XG_EXIT_FAIL;
	}
	old_cc = cc;
	fd = xg_map_open(ifc, XG_MAP_COOKIE_PORTS);
	if (fd < 0)
		return XG_EXIT_FAIL;
	existed = !bpf_map_lookup_elem(fd, &port, &old);

	if (mode == XG_CK_OFF) {
		if (!existed) {
			printf("xdpguard: %s: %s had no SYN cookies; nothing "
			       "changed\n", ifc->ifname, what);
			ret = XG_EXIT_OK;
			goto out;
		}
		if (bpf_map_delete_elem(fd, &port)) {
			xg_err("cannot remove the setting of %s: %s", what,
			       strerror(errno));
			goto out;
		}
		if (xg_sync_flags(ifc))
			goto out;
		printf("xdpguard: %s: %s: SYN cookies off\n", ifc->ifname,
		       what);
		ret = XG_EXIT_OK;
		goto out;
	}

	if (cookie_ready(ifc, &info, &cc, &tc_new))
		goto out;
	if (ccfg_write(ifc, &cc))
		goto undo;
	if (existed)
		c = old;	/* keep the live auto state and its history */
	if (!existed || old.mode != mode) {
		c.active = 0;
		c.calm = 0;
	}
	c.mode = mode;
	c.threshold = mode == XG_CK_AUTO ? threshold : 0;
	if (bpf_map_update_elem(fd, &port, &c, BPF_ANY)) {
		xg_err("cannot set %s: %s%s", what, strerror(errno),
		       errno == E2BIG || errno == ENOSPC ? " (at most "
		       "1024 port settings)" : "");
		goto undo;
	}
	if (xg_sync_flags(ifc)) {
		if (existed)
			bpf_map_update_elem(fd, &port, &old, BPF_ANY);
		else
			bpf_map_delete_elem(fd, &port);
		goto undo;
	}
	if (mode == XG_CK_ON)
		printf("xdpguard: %s: %s: SYN cookies on: SYNs that pass "
		       "allow/deny and the budget are answered from XDP, "
		       "valid ACKs handed to the listener at tc ingress\n",
		       ifc->ifname, what);
	else
		printf("xdpguard: %s: %s: SYN cookies auto: on after one "
		       "second at or above %u SYN/s, off after %d seconds in "
		       "a row below %u SYN/s\n", ifc->ifname, what, threshold,
		       XG_CK_CALM_WINDOWS, threshold / 2);
	if (tc_new)
		printf("xdpguard: %s: tc ingress hand-off attached (handle "
		       "%#x priority %u); detach removes it\n", ifc->ifname,
		       cc.tc_handle, cc.tc_priority);
	ret = XG_EXIT_OK;
	goto out;
undo:
	if (tc_new)
		cookie_unready(ifc, &cc);
	ccfg_write(ifc, &old_cc);
out:
	close(fd);
	return ret;
}

int cmd_cookies(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'P' },
		{ "threshold", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *ifname = NULL, *sub, *modearg = NULL;
	bool has_port = false, has_thr = false, json = false;
	__u32 threshold = 0, mode = XG_CK_OFF;
	struct xg_iface ifc;
	__u16 port = 0;
	int c, ret, lock;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		xg_cmd = "cookies";
		fputs(cookies_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? xg_usage_err("missing command (set, show)") :
		       XG_EXIT_OK;
	}
	sub = argv[1];
	xg_cmd = !strcmp(sub, "set") ? "cookies set" :
		 !strcmp(sub, "show") ? "cookies show" : "cookies";
	if (!strcmp(xg_cmd, "cookies")) {
		fputs(cookies_usage, stderr);
		return xg_usage_err("unknown command '%s' (accepted: set, "
				    "show)", sub);
	}
	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "-i:h", opts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (modearg || strcmp(sub, "set"))
				return xg_usage_err("unexpected argument '%s'",
						    optarg);
			modearg = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'P':
			if (xg_parse_port(optarg, &port))
				return xg_usage_err("bad --port '%s' (a TCP "
						    "port 1..65535)", optarg);
			has_port = true;
			break;
		case 't':
			if (xg_parse_u32(optarg, 1, 100000000, &threshold))
				return xg_usage_err("bad --threshold '%s' "
						    "(SYNs per second, "
						    "1..100000000)", optarg);
			has_thr = true;
			break;
		case 'j':
			json = true;
			break;
		default:	/* -h, --help or an unknown option */
			return xg_opt_other(c, cookies_usage, argv);
		}
	}
	if (!strcmp(sub, "set")) {
		if (!modearg)
			return xg_usage_err("missing mode (accepted: on, off, "
					    "auto)");
		if (!strcmp(modearg, "on"))
			mode = XG_CK_ON;
		else if (!strcmp(modearg, "auto"))
			mode = XG_CK_AUTO;
		else if (!strcmp(modearg, "off"))
			mode = XG_CK_OFF;
		else
			return xg_usage_err("bad mode '%s' (accepted: on, off, "
					    "auto)", modearg);
		if (mode == XG_CK_AUTO && !has_thr)
			return xg_usage_err("auto needs --threshold PPS (the "
					    "SYN rate that switches cookies "
					    "on)");
		if (mode != XG_CK_AUTO && has_thr)
			return xg_usage_err("--threshold applies to auto only");
		if (json)
			return xg_usage_err("--json applies to cookies show");
	} else if (has_port || has_thr) {
		return xg_usage_err("--port/--threshold belong to cookies set");
	}
	if (xg_need_root())
		return XG_EXIT_USAGE;
	ret = xg_iface_resolve(ifname, &ifc);
	if (ret)
		return ret;
	xg_quiet_libs();
	if (!strcmp(sub, "show"))
		return cookies_show(&ifc, json);
	if (!ifc.ifindex) {
		xg_err("%s: the interface is gone (xdpguard detach %s cleans "
		       "up)", ifc.ifname, ifc.ifname);
		return XG_EXIT_FAIL;
	}
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	ret = cookies_set(&ifc, mode, has_port, port, threshold);
	xg_unlock(lock);
	return ret;
}
