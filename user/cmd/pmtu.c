// SPDX-License-Identifier: GPL-2.0
/*
 * pmtu: the destinations that got an ICMP Packet Too Big, and the suspected
 * black holes (full-size retransmissions with no PTB), of an interface.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <xdpguard/pmtu.h>
#include "cmd.h"

/* ---------------- pmtu ---------------- */

static void when(__u64 mono_ns, __u64 mono_to_real, char *buf, size_t len)
{
	if (!mono_ns)
		snprintf(buf, len, "-");
	else
		xg_rfc3339(mono_ns + mono_to_real, buf, len);
}

static const char pmtu_usage[] =
	"usage: xdpguard pmtu [-i IFACE] [--json]\n"
	"  ICMP Packet Too Big per destination (count, last and smallest "
	"MTU, last seen)\n"
	"  and PMTUD black holes suspected (full-size retransmissions, no "
	"PTB)\n";

static int pmtu_show(const struct xg_iface *ifc, struct xg_jw *w, void *arg)
{
	__u64 s[XG_PMC_MAX], now = xg_mono_ns();
	__u64 m2r = xg_real_ns() - now;
	struct xg_pm_cfg c;
	struct xg_pm_dest *d = NULL;
	char addr[64], rep[64], t1[48], t2[48], t3[160];
	int n, i;
	bool susp;

	if (xg_pm_cfg_rw(ifc, &c, false) || xg_pm_stats_read(ifc, s))
		return XG_EXIT_FAIL;
	n = xg_pmtu_dests(ifc, &d);
	if (n < 0)
		return XG_EXIT_FAIL;
	if (w) {
		static const struct { const char *name; int i; } cnt[] = {
			{ "ptb_ipv4", XG_PMC_PTB4 }, { "ptb_ipv6", XG_PMC_PTB6 },
			{ "ptb_truncated", XG_PMC_PTB_TRUNC },
			{ "retrans_full", XG_PMC_RETRANS_FULL },
			{ "retrans_small", XG_PMC_RETRANS_SMALL },
			{ "retrans_after_ptb", XG_PMC_RETRANS_PTB },
			{ "blackholes", XG_PMC_BLACKHOLES },
		};

		xg_jw_object(w);
		xg_jw_str_field(w, "interface", ifc->ifname);
		xg_jw_bool_field(w, "ptb_accounting", c.flags & XG_PM_F_PTB);
		xg_jw_bool_field(w, "blackhole_detection", c.flags & XG_PM_F_BH);
		xg_jw_u64_field(w, "blackhole_threshold", c.bh_threshold);
		xg_jw_name(w, "counters");
		xg_jw_object(w);
		for (i = 0; i < (int)(sizeof(cnt) / sizeof(cnt[0])); i++)
			xg_jw_u64_field(w, cnt[i].name, s[cnt[i].i]);
		xg_jw_object_end(w);
		xg_jw_name(w, "destinations");
		xg_jw_array(w);
	} else {
		printf("%s: PTB accounting %s, black-hole detection %s "
		       "(after %u full-size retransmissions)\n", ifc->ifname,
		       c.flags & XG_PM_F_PTB ? "on" : "off",
		       c.flags & XG_PM_F_BH ? "on" : "off", c.bh_threshold);
		printf("  PTB: %llu ICMPv4, %llu ICMPv6, %llu truncated; "
		       "retransmissions: %llu full-size, %llu small, %llu "
		       "after a PTB; black holes: %llu\n", s[XG_PMC_PTB4],
		       s[XG_PMC_PTB6], s[XG_PMC_PTB_TRUNC],
		       s[XG_PMC_RETRANS_FULL], s[XG_PMC_RETRANS_SMALL],
		       s[XG_PMC_RETRANS_PTB], s[XG_PMC_BLACKHOLES]);
		if (n)
			printf("  %-28s %6s %8s %7s %9s  %s\n", "destination",
			       "ptbs", "last_mtu", "min_mtu", "last_ptb",
			       "black hole");
	}
	for (i = 0; i < n; i++) {
		struct xg_pm_dest *e = &d[i];

		xg_format_addr(e->key.family, e->key.addr, addr, sizeof(addr));
		susp = e->has_bh && e->bh.reported_ns;
		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "destination", addr);
			xg_jw_u64_field(w, "family", e->key.family);
			if (e->has_ptb) {
				xg_format_addr(e->key.family, e->ptb.reporter,
					       rep, sizeof(rep));
				when(e->ptb.first_ns, m2r, t1, sizeof(t1));
				when(e->ptb.last_ns, m2r, t2, sizeof(t2));
				xg_jw_name(w, "ptb");
				xg_jw_object(w);
				xg_jw_u64_field(w, "count", e->ptb.count);
				xg_jw_u64_field(w, "last_mtu", e->ptb.last_mtu);
				xg_jw_u64_field(w, "min_mtu", e->ptb.min_mtu);
				xg_jw_str_field(w, "reporter", rep);
				xg_jw_str_field(w, "first_seen", t1);
				xg_jw_str_field(w, "last_seen", t2);
				xg_jw_float_field(w, "last_seen_ago_seconds",
						  (now - e->ptb.last_ns) / 1e9, 1);
				xg_jw_object_end(w);
			} else {
				xg_jw_null_field(w, "ptb");
			}
			if (e->has_bh) {
				when(e->bh.first_ns, m2r, t1, sizeof(t1));
				when(e->bh.last_ns, m2r, t2, sizeof(t2));
				when(e->bh.reported_ns, m2r, t3, sizeof(t3));
				xg_jw_name(w, "blackhole");
				xg_jw_object(w);
				xg_jw_bool_field(w, "suspected", susp);
				xg_jw_str_field(w, "since", t1);
				xg_jw_str_field(w, "last_retransmission", t2);
				xg_jw_str_field(w, "reported",
						e->bh.reported_ns ? t3 : NULL);
				xg_jw_u64_field(w, "retransmissions",
						e->bh.retrans);
				xg_jw_u64_field(w, "segment_size_bytes",
						e->bh.seg);
				xg_jw_u64_field(w, "packet_size_bytes",
						e->bh.pkt);
				xg_jw_u64_field(w, "reports", e->bh.events);
				xg_jw_object_end(w);
			} else {
				xg_jw_null_field(w, "blackhole");
			}
			if (e->has_eg)
				xg_jw_u64_field(w, "largest_packet_sent_bytes",
						e->eg.max_pkt);
			else
				xg_jw_null_field(w, "largest_packet_sent_bytes");
			xg_jw_object_end(w);
			continue;
		}
		if (e->has_ptb)
			snprintf(t2, sizeof(t2), "%.0fs ago",
				 (now - e->ptb.last_ns) / 1e9);
		if (susp) {
			when(e->bh.first_ns, m2r, t1, sizeof(t1));
			snprintf(t3, sizeof(t3), "SUSPECTED since %s: %u "
				 "retransmissions of %u-byte segments", t1,
				 e->bh.retrans, e->bh.seg);
		} else if (e->has_bh) {
			snprintf(t3, sizeof(t3), "%u full-size "
				 "retransmissions", e->bh.retrans);
		} else {
			snprintf(t3, sizeof(t3), "-");
		}
		if (e->has_ptb)
			printf("  %-28s %6llu %8u %7u %9s  %s\n", addr,
			       e->ptb.count, e->ptb.last_mtu, e->ptb.min_mtu,
			       t2, t3);
		else
			printf("  %-28s %6s %8s %7s %9s  %s\n", addr, "0", "-",
			       "-", "-", t3);
	}
	if (w) {
		xg_jw_array_end(w);
		xg_jw_object_end(w);
	}
	free(d);
	return XG_EXIT_OK;
}

int cmd_pmtu(int argc, char **argv)
{
	const char *ifname = NULL;
	bool json = false;
	int ret;

	xg_cmd = "pmtu";
	ret = xg_opts_iface_json(argc, argv, pmtu_usage, &ifname, &json);
	if (ret >= 0)
		return ret;
	return xg_show_each(ifname, json, pmtu_show, NULL);
}

/* ---------------- ring-buffer records ---------------- */

