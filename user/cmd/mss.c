// SPDX-License-Identifier: GPL-2.0
/*
 * mss: the MSS clamp of an interface's tc programs (set, show).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <xdpguard/pmtu.h>
#include "cmd.h"

static const char *const dir_names[] = { "none", "ingress", "egress", "both" };

/* ---------------- mss ---------------- */

static const char mss_usage[] =
	"usage: xdpguard mss set [-i IFACE] N|pmtu|off "
	"[--dir ingress|egress|both]\n"
	"       xdpguard mss [show] [-i IFACE] [--json]\n"
	"  N     clamp the MSS option of SYN and SYN-ACK to N (88..65535); "
	"never raised\n"
	"  pmtu  clamp to the route MTU minus 40 (IPv4) / 60 (IPv6)\n"
	"  off   stop clamping\n"
	"  --dir: the tc hooks that clamp\n";

static void mss_describe(const struct xg_pm_cfg *c, char *buf, size_t len)
{
	if (c->mode == XG_MSS_FIXED)
		snprintf(buf, len, "clamp to %u (%s)", c->mss,
			 dir_names[c->dirs & 3]);
	else if (c->mode == XG_MSS_PMTU)
		snprintf(buf, len, "clamp to the path MTU (%s)",
			 dir_names[c->dirs & 3]);
	else
		snprintf(buf, len, "off");
}

/* the clamp's mode, MSS (null unless fixed) and directions */
static void mss_json(struct xg_jw *w, const struct xg_pm_cfg *c)
{
	xg_jw_str_field(w, "mode", c->mode == XG_MSS_FIXED ? "fixed" :
			c->mode == XG_MSS_PMTU ? "pmtu" : "off");
	if (c->mode == XG_MSS_FIXED)
		xg_jw_u64_field(w, "mss", c->mss);
	else
		xg_jw_null_field(w, "mss");
	xg_jw_str_field(w, "directions", c->mode == XG_MSS_OFF ? "none" :
			dir_names[c->dirs & 3]);
}

static int mss_show(const struct xg_iface *ifc, struct xg_jw *w, void *arg)
{
	struct xg_pm_cfg c;
	__u64 s[XG_PMC_MAX];
	char what[64];

	if (xg_pm_cfg_rw(ifc, &c, false) || xg_pm_stats_read(ifc, s))
		return XG_EXIT_FAIL;
	if (w) {
		static const struct { const char *name; int i; } cnt[] = {
			{ "syn_ingress", XG_PMC_SYN_IN },
			{ "syn_egress", XG_PMC_SYN_OUT },
			{ "clamped_ingress", XG_PMC_CLAMPED_IN },
			{ "clamped_egress", XG_PMC_CLAMPED_OUT },
			{ "kept", XG_PMC_KEPT },
			{ "option_added", XG_PMC_ADDED },
			{ "no_option_left", XG_PMC_ABSENT_LEFT },
			{ "no_mtu", XG_PMC_NO_MTU },
			{ "malformed", XG_PMC_MALFORMED },
			{ "errors", XG_PMC_ERROR },
		};
		size_t i;

		xg_jw_object(w);
		xg_jw_str_field(w, "interface", ifc->ifname);
		mss_json(w, &c);
		xg_jw_name(w, "counters");
		xg_jw_object(w);
		for (i = 0; i < sizeof(cnt) / sizeof(cnt[0]); i++)
			xg_jw_u64_field(w, cnt[i].name, s[cnt[i].i]);
		xg_jw_object_end(w);
		xg_jw_object_end(w);
		return XG_EXIT_OK;
	}
	mss_describe(&c, what, sizeof(what));
	printf("%s: MSS %s\n", ifc->ifname, what);
	printf("  SYN and SYN-ACK seen: %llu ingress, %llu egress\n",
	       s[XG_PMC_SYN_IN], s[XG_PMC_SYN_OUT]);
	printf("  clamped: %llu ingress, %llu egress; already at or below: "
	       "%llu; option added: %llu\n", s[XG_PMC_CLAMPED_IN],
	       s[XG_PMC_CLAMPED_OUT], s[XG_PMC_KEPT], s[XG_PMC_ADDED]);
	printf("  left alone: %llu without option and no room, %llu with no "
	       "MTU known, %llu malformed, %llu errors\n",
	       s[XG_PMC_ABSENT_LEFT], s[XG_PMC_NO_MTU], s[XG_PMC_MALFORMED],
	       s[XG_PMC_ERROR]);
	return XG_EXIT_OK;
}

static const char *const mss_dirs[] = { "ingress", "egress", "both",
					 NULL };

struct mss_opts {
	const char *ifname;
	__u32 dir;		/* in mss_dirs: XG_DIR_* - 1 */
	bool json;
};

static const struct xg_opt mss_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct mss_opts, ifname),
	  .arg = "IFACE" },
	{ "dir", 0, XG_OPT_CHOICE, offsetof(struct mss_opts, dir),
	  .choices = mss_dirs, .def = "both", .arg = "DIR", .verbs = "set" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct mss_opts, json),
	  .help = "JSON output (set: what changed)" },
	{}
};

int cmd_mss(int argc, char **argv)
{
	const char *sub = argv[1], *value = NULL;
	struct xg_pm_cfg c, want = {};
	struct mss_opts o = {};
	struct xg_iface ifc;
	struct xg_args a;
	bool has_dir;
	char what[64];
	__u32 n;
	int ret, lock;

	xg_cmd = !strcmp(sub, "set") ? "mss set" : "mss show";
	ret = xg_opts_parse(argc, argv, sub, mss_opts, &o, &a, mss_usage);
	if (ret >= 0)
		return ret;
	has_dir = xg_opt_given(&a, mss_opts, "dir");
	want.dirs = o.dir + 1;
	if (a.npos > (strcmp(sub, "set") ? 0 : 1)) {
		ret = xg_usage_err("unexpected argument '%s'",
				   a.pos[a.npos - 1]);
		xg_args_free(&a);
		return ret;
	}
	value = a.npos ? a.pos[0] : NULL;
	xg_args_free(&a);
	if (!strcmp(sub, "set")) {
		if (!value)
			return xg_usage_err("missing N|pmtu|off (e.g. mss set "
					    "1360)");
		if (!strcmp(value, "off")) {
			want.mode = XG_MSS_OFF;
			if (has_dir)
				return xg_usage_err("--dir does not apply to "
						    "off");
		} else if (!strcmp(value, "pmtu")) {
			want.mode = XG_MSS_PMTU;
		} else if (!xg_parse_u32(value, XG_MSS_MIN, 65535, &n)) {
			want.mode = XG_MSS_FIXED;
			want.mss = n;
		} else {
			return xg_usage_err("bad MSS '%s' (accepted: a number "
					    "%u..65535, pmtu, off)", value,
					    XG_MSS_MIN);
		}
	}
	if (!strcmp(sub, "show"))
		return xg_show_each(o.ifname, o.json, mss_show, NULL);
	ret = xg_iface_resolve(o.ifname, &ifc);
	if (ret)
		return ret;
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	ret = XG_EXIT_FAIL;
	if (xg_pm_cfg_rw(&ifc, &c, false))
		goto out;
	c.mode = want.mode;
	c.mss = want.mss;
	if (want.mode != XG_MSS_OFF)
		c.dirs = want.dirs;
	if (xg_pm_cfg_rw(&ifc, &c, true))
		goto out;
	if (o.json) {
		struct xg_jw *w = xg_jw_new(stdout);

		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "interface", ifc.ifname);
			xg_jw_str_field(w, "command", "mss set");
			mss_json(w, &c);
			xg_jw_object_end(w);
			xg_jw_free(w);
		}
	} else {
		mss_describe(&c, what, sizeof(what));
		printf("xdpguard: %s: MSS %s\n", ifc.ifname, what);
	}
	ret = XG_EXIT_OK;
out:
	xg_unlock(lock);
	return ret;
}

