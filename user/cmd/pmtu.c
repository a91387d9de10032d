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

static int pmtu_show(const struct xg_iface *ifc, bool json)
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
	if (json) {
		printf("{\"interface\":");
		xg_json_str(stdout, ifc->ifname);
		printf(",\"ptb_accounting\":%s,\"blackhole_detection\":%s,"
		       "\"blackhole_threshold\":%u,\"counters\":{"
		       "\"ptb_ipv4\":%llu,\"ptb_ipv6\":%llu,"
		       "\"ptb_truncated\":%llu,\"retrans_full\":%llu,"
		       "\"retrans_small\":%llu,\"retrans_after_ptb\":%llu,"
		       "\"blackholes\":%llu},\"destinations\":[",
		       c.flags & XG_PM_F_PTB ? "true" : "false",
		       c.flags & XG_PM_F_BH ? "true" : "false",
		       c.bh_threshold, s[XG_PMC_PTB4], s[XG_PMC_PTB6],
		       s[XG_PMC_PTB_TRUNC], s[XG_PMC_RETRANS_FULL],
		       s[XG_PMC_RETRANS_SMALL], s[XG_PMC_RETRANS_PTB],
		       s[XG_PMC_BLACKHOLES]);
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
		if (json) {
			printf("%s{\"destination\":\"%s\",\"family\":%u", i ?
			       "," : "", addr, e->key.family);
			if (e->has_ptb) {
				xg_format_addr(e->key.family, e->ptb.reporter,
					       rep, sizeof(rep));
				when(e->ptb.first_ns, m2r, t1, sizeof(t1));
				when(e->ptb.last_ns, m2r, t2, sizeof(t2));
				printf(",\"ptb\":{\"count\":%llu,\"last_mtu\":%u,"
				       "\"min_mtu\":%u,\"reporter\":\"%s\","
				       "\"first_seen\":\"%s\",\"last_seen\":"
				       "\"%s\",\"last_seen_ago_s\":%.1f}",
				       e->ptb.count, e->ptb.last_mtu,
				       e->ptb.min_mtu, rep, t1, t2,
				       (now - e->ptb.last_ns) / 1e9);
			}
			if (e->has_bh) {
				when(e->bh.first_ns, m2r, t1, sizeof(t1));
				when(e->bh.last_ns, m2r, t2, sizeof(t2));
				when(e->bh.reported_ns, m2r, t3, sizeof(t3));
				printf(",\"blackhole\":{\"suspected\":%s,"
				       "\"since\":\"%s\",\"last_retransmission\":"
				       "\"%s\",\"reported\":\"%s\","
				       "\"retransmissions\":%u,\"segment_size\":"
				       "%u,\"packet_size\":%u,\"reports\":%u}",
				       susp ? "true" : "false", t1, t2, t3,
				       e->bh.retrans, e->bh.seg, e->bh.pkt,
				       e->bh.events);
			}
			if (e->has_eg)
				printf(",\"largest_packet_sent\":%u",
				       e->eg.max_pkt);
			printf("}");
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
	if (json)
		printf("]}\n");
	free(d);
	return XG_EXIT_OK;
}

int cmd_pmtu(int argc, char **argv)
{
	const char *ifname = NULL;
	struct xg_iface ifc;
	bool json = false;
	int ret;

	xg_cmd = "pmtu";
	ret = xg_opts_iface_json(argc, argv, pmtu_usage, &ifname, &json);
	if (ret >= 0)
		return ret;
	ret = xg_iface_resolve(ifname, &ifc);
	if (ret)
		return ret;
	return pmtu_show(&ifc, json);
}

/* ---------------- ring-buffer records ---------------- */

