// SPDX-License-Identifier: GPL-2.0
/*
 * cookies: the SYN-cookie settings per port (set), what the kernel and the
 * loaded programs can do and what was answered (show), and the cookie
 * lines of status. The hand-off and its maps are the cookie component's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cmd.h"

static const char cookies_usage[] =
	"usage: xdpguard cookies set [-i IFACE] on|off|auto [--port PORT] "
	"[--threshold PPS]\n"
	"       xdpguard cookies [show] [-i IFACE] [--json]\n"
	"  on    answer every SYN to PORT (default: every port without a "
	"setting of its own)\n"
	"        from XDP with a SYN-ACK cookie; ACKs become connections of "
	"the listener\n"
	"  auto  the same while the port's SYN rate is high: on after one "
	"second at or\n"
	"        above --threshold SYN/s, off after 5 seconds in a row below "
	"half of it\n"
	"  off   back to the per-source budget alone\n";

/* ---------------- show ---------------- */

static const char *mode_name(__u32 mode)
{
	return mode == XG_CK_ON ? "on" : mode == XG_CK_AUTO ? "auto" : "off";
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

static void port_json(struct xg_jw *w, const struct xg_cookie_row *r,
		      __u64 now)
{
	xg_jw_object(w);
	xg_jw_u64_field(w, "port", r->port);
	xg_jw_str_field(w, "mode", mode_name(r->c.mode));
	xg_jw_u64_field(w, "threshold_pps", r->c.threshold);
	xg_jw_bool_field(w, "answering", r->c.mode == XG_CK_ON || r->c.active);
	xg_jw_u64_field(w, "last_rate_pps", r->c.last_rate);
	xg_jw_u64_field(w, "switches", r->c.switches);
	xg_jw_ago_field(w, "switched_ago_seconds", r->c.switched_ns, now);
	xg_jw_object_end(w);
}

/* The port settings of @ifc as a JSON array (status, cookies show). */
void xg_cookie_ports_json(struct xg_jw *w, const struct xg_iface *ifc)
{
	struct xg_cookie_row rows[XG_MAX_PORT_RULES];
	__u64 now = xg_mono_ns();
	int n, i;

	n = xg_cookie_ports(ifc, rows, XG_MAX_PORT_RULES);
	xg_jw_array(w);
	for (i = 0; i < n; i++)
		port_json(w, &rows[i], now);
	xg_jw_array_end(w);
}

/* The cookie lines of `status` (and the ports of `cookies show`). */
void xg_cookie_status(const struct xg_iface *ifc)
{
	struct xg_cookie_row rows[64];
	char st[96];
	int n, i;

	n = xg_cookie_ports(ifc, rows, 64);
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

static int cookies_show(const struct xg_iface *ifc, struct xg_jw *w, void *arg)
{
	struct xg_counter cnt[XG_C_SLOTS];
	struct xg_cookie_support sup;
	struct xg_cookie_cfg cc;
	struct xg_cookie_row rows[XG_MAX_PORT_RULES];
	struct xg_info info;
	__u64 synack, ack_ok, ack_bad, csum, nolisten, skip;
	char st[96], since[32];
	int fd, n, i;

	xg_cookie_probe(&sup);
	if (xg_info_read(ifc, &info) || xg_cookie_cfg_read(ifc, &cc)) {
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
	n = xg_cookie_ports(ifc, rows, XG_MAX_PORT_RULES);
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
	if (w) {
		__u64 now = xg_mono_ns();

		xg_jw_object(w);
		xg_jw_str_field(w, "interface", ifc->ifname);
		xg_jw_bool_field(w, "available", sup.ok && info.cookie_paths);
		xg_jw_str_field(w, "why", !info.cookie_paths && sup.ok ?
				"the XDP program was loaded without its cookie "
				"paths: detach and attach again" :
				xg_cookie_support_words(&sup));
		xg_jw_name(w, "kernel");
		xg_jw_object(w);
		xg_jw_bool_field(w, "helpers", sup.helpers);
		xg_jw_bool_field(w, "kfunc", sup.kfunc);
		if (sup.syncookies >= 0)
			xg_jw_s64_field(w, "tcp_syncookies", sup.syncookies);
		else
			xg_jw_null_field(w, "tcp_syncookies");
		xg_jw_object_end(w);
		xg_jw_name(w, "synack");
		xg_jw_object(w);
		xg_jw_u64_field(w, "mss4", cc.mss4);
		xg_jw_u64_field(w, "mss6", cc.mss6);
		xg_jw_u64_field(w, "wscale", cc.wscale);
		xg_jw_u64_field(w, "ttl", cc.ttl);
		xg_jw_bool_field(w, "timestamps", cc.flags & XG_CKF_TS);
		xg_jw_bool_field(w, "sack", cc.flags & XG_CKF_SACK);
		xg_jw_bool_field(w, "window_scaling", cc.flags & XG_CKF_WSCALE);
		xg_jw_object_end(w);
		xg_jw_name(w, "tc");
		xg_jw_object(w);
		xg_jw_bool_field(w, "attached", xg_cookie_tc_present(&cc));
		xg_jw_u64_field(w, "handle", cc.tc_handle);
		xg_jw_u64_field(w, "priority", cc.tc_priority);
		xg_jw_u64_field(w, "prog_id", cc.tc_prog_id);
		xg_jw_object_end(w);
		xg_jw_name(w, "ports");
		xg_jw_array(w);
		for (i = 0; i < n; i++)
			port_json(w, &rows[i], now);
		xg_jw_array_end(w);
		xg_jw_name(w, "counters");
		xg_jw_object(w);
		xg_jw_u64_field(w, "synacks", synack);
		xg_jw_u64_field(w, "acks_valid", ack_ok);
		xg_jw_u64_field(w, "acks_dropped", ack_bad);
		xg_jw_u64_field(w, "bad_checksums", csum);
		xg_jw_u64_field(w, "no_listener", nolisten);
		xg_jw_u64_field(w, "not_answered", skip);
		xg_jw_u64_field(w, "handed_off", cnt[XG_C_HANDOFF].packets);
		xg_jw_u64_field(w, "handoff_refused",
				cnt[XG_C_HANDOFF_FAIL].packets);
		xg_jw_u64_field(w, "handoff_mss_min",
				cnt[XG_C_HANDOFF_MSS_MIN].packets);
		xg_jw_object_end(w);
		xg_jw_object_end(w);
		return XG_EXIT_OK;
	}
	printf("%s: SYN cookies %s\n", ifc->ifname,
	       !info.cookie_paths && sup.ok ? "not available: the XDP "
	       "program was loaded without its cookie paths (detach and "
	       "attach again)" : xg_cookie_support_words(&sup));
	printf("  kernel: tcp_syncookies=%ld; SYN-ACKs offer MSS %u (IPv4) / "
	       "%u (IPv6), window scale %u, TTL %u%s%s%s\n", sup.syncookies,
	       cc.mss4, cc.mss6, cc.wscale, cc.ttl,
	       cc.flags & XG_CKF_TS ? ", timestamps" : "",
	       cc.flags & XG_CKF_SACK ? ", SACK" : "",
	       cc.flags & XG_CKF_WSCALE ? ", window scaling" : "");
	if (xg_cookie_tc_present(&cc))
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
	/* XG_C_HANDOFF_MSS_MIN is 0 since our own cookies (layout 9): JSON only */
	printf("  hand-off: %llu connections, %llu refused by the kernel\n",
	       cnt[XG_C_HANDOFF].packets, cnt[XG_C_HANDOFF_FAIL].packets);
	return XG_EXIT_OK;
}

/* cookies set --json: what changed */
static void set_json(const struct xg_iface *ifc, bool has_port, __u16 port,
		     __u32 mode, __u32 threshold, bool changed, bool tc_new)
{
	struct xg_jw *w = xg_jw_new(stdout);

	if (!w)
		return;
	xg_jw_object(w);
	xg_jw_str_field(w, "interface", ifc->ifname);
	xg_jw_str_field(w, "command", "cookies set");
	if (has_port && port)
		xg_jw_u64_field(w, "port", port);
	else
		xg_jw_null_field(w, "port");
	xg_jw_str_field(w, "mode", mode_name(mode));
	if (mode == XG_CK_AUTO)
		xg_jw_u64_field(w, "threshold_pps", threshold);
	else
		xg_jw_null_field(w, "threshold_pps");
	xg_jw_bool_field(w, "changed", changed);
	xg_jw_bool_field(w, "tc_handoff_attached", tc_new);
	xg_jw_object_end(w);
	xg_jw_free(w);
}

static int cookies_set(const struct xg_iface *ifc, __u32 mode, bool has_port,
		       __u16 port, __u32 threshold, bool json)
{
	struct xg_cookie_cfg cc, old_cc;
	struct xg_cookie_port c = {}, old;
	struct xg_info info;
	bool existed, tc_new = false;
	char what[32];
	int fd = -1, ret = XG_EXIT_FAIL;

	snprintf(what, sizeof(what), has_port && port ? "port %u" :
		 "every port", port);
	if (xg_info_read(ifc, &info) || xg_cookie_cfg_read(ifc, &cc)) {
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
		if (!existed && json) {
			set_json(ifc, has_port, port, mode, 0, false, false);
			ret = XG_EXIT_OK;
			goto out;
		}
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
		if (json)
			set_json(ifc, has_port, port, mode, 0, true, false);
		else
			printf("xdpguard: %s: %s: SYN cookies off\n",
			       ifc->ifname, what);
		ret = XG_EXIT_OK;
		goto out;
	}

	if (xg_cookie_ready(ifc, &info, &cc, &tc_new))
		goto out;
	if (xg_cookie_cfg_write(ifc, &cc))
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
	if (json)
		set_json(ifc, has_port, port, mode, threshold, true, tc_new);
	else if (mode == XG_CK_ON)
		printf("xdpguard: %s: %s: SYN cookies on: SYNs that pass "
		       "allow/deny and the budget are answered from XDP, "
		       "valid ACKs handed to the listener at tc ingress\n",
		       ifc->ifname, what);
	else
		printf("xdpguard: %s: %s: SYN cookies auto: on after one "
		       "second at or above %u SYN/s, off after %d seconds in "
		       "a row below %u SYN/s\n", ifc->ifname, what, threshold,
		       XG_CK_CALM_WINDOWS, threshold / 2);
	if (tc_new && !json)
		printf("xdpguard: %s: tc ingress hand-off attached (handle "
		       "%#x priority %u); detach removes it\n", ifc->ifname,
		       cc.tc_handle, cc.tc_priority);
	ret = XG_EXIT_OK;
	goto out;
undo:
	if (tc_new)
		xg_cookie_unready(ifc, &cc);
	xg_cookie_cfg_write(ifc, &old_cc);
out:
	close(fd);
	return ret;
}

struct cookies_opts {
	const char *ifname;
	__u16 port;
	__u32 threshold;
	bool json;
};

static const struct xg_opt cookies_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct cookies_opts, ifname),
	  .arg = "IFACE" },
	{ "port", 0, XG_OPT_PORT, offsetof(struct cookies_opts, port),
	  .arg = "PORT", .help = "a TCP port 1..65535; without it: every port",
	  .verbs = "set" },
	{ "threshold", 0, XG_OPT_U32, offsetof(struct cookies_opts, threshold),
	  .min = 1, .max = 100000000, .arg = "PPS", .verbs = "set",
	  .help = "SYNs per second, 1..100000000 (auto: cookies on above it)" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct cookies_opts, json),
	  .help = "JSON output (set: what changed)" },
	{}
};

int cmd_cookies(int argc, char **argv)
{
	const char *sub = argv[1], *modearg = NULL;
	struct cookies_opts o = {};
	bool has_port, has_thr;
	__u32 threshold, mode = XG_CK_OFF;
	struct xg_iface ifc;
	struct xg_args a;
	__u16 port;
	int ret, lock, i;

	xg_cmd = !strcmp(sub, "set") ? "cookies set" : "cookies show";
	ret = xg_opts_parse(argc, argv, sub, cookies_opts, &o, &a,
			    cookies_usage);
	if (ret >= 0)
		return ret;
	has_port = xg_opt_given(&a, cookies_opts, "port");
	has_thr = xg_opt_given(&a, cookies_opts, "threshold");
	port = o.port;
	threshold = o.threshold;
	for (i = 0; i < a.npos; i++) {
		if (modearg || strcmp(sub, "set")) {
			ret = xg_usage_err("unexpected argument '%s'",
					   a.pos[i]);
			xg_args_free(&a);
			return ret;
		}
		modearg = a.pos[i];
	}
	xg_args_free(&a);
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
	}
	xg_quiet_libs();
	if (!strcmp(sub, "show"))
		return xg_show_each(o.ifname, o.json, cookies_show, NULL);
	ret = xg_iface_resolve(o.ifname, &ifc);
	if (ret)
		return ret;
	if (!ifc.ifindex) {
		xg_err("%s: the interface is gone (xdpguard detach %s cleans "
		       "up)", ifc.ifname, ifc.ifname);
		return XG_EXIT_FAIL;
	}
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	ret = cookies_set(&ifc, mode, has_port, port, threshold, o.json);
	xg_unlock(lock);
	return ret;
}
