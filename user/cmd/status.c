// SPDX-License-Identifier: GPL-2.0
/*
 * status / top: what the guard is doing. status reads the attach facts,
 * policy, per-CPU counters and table fill; top samples the source table
 * twice and ranks sources by SYN rate.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/pmtu.h>
#include <xdpguard/peers.h>
#include "cmd.h"

#define NPROGS 8

/*
 * Ids of the interface's programs as recorded (what detach removes): XDP,
 * tc ingress and egress, the cookie hand-off, the tracepoint, DNS ingress
 * and egress, DNS stale use; 0: none.
 */
static void prog_ids(const struct xg_iface *ifc, const struct xg_info *in,
		     __u32 *id)
{
	struct xg_cookie_cfg cc;
	struct xg_pm_info pm;
	struct xg_dns_info di;
	char path[400];
	__u32 zero = 0;
	int fd;

	memset(id, 0, NPROGS * sizeof(*id));
	id[0] = in->prog_id;
	snprintf(path, sizeof(path), "%s/%s", ifc->dir, XG_MAP_PM_INFO);
	fd = bpf_obj_get(path);
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &pm)) {
		id[1] = pm.prog_id[0];
		id[2] = pm.prog_id[1];
		id[4] = pm.tp_prog_id;
	}
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/%s", ifc->dir, XG_MAP_COOKIE_CFG);
	fd = bpf_obj_get(path);
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &cc) &&
	    (cc.flags & XG_CKF_TC))
		id[3] = cc.tc_prog_id;
	if (fd >= 0)
		close(fd);
	if (!xg_map_get0(ifc, XG_MAP_DNS_INFO, &di, sizeof(di), true)) {
		id[5] = di.prog_id[0];
		id[6] = di.prog_id[1];
		id[7] = di.tp_prog_id;
	}
}

/* The DNS summary: null (JSON) or "off" when attached with --no-dns. */
static void dns_status(const struct xg_iface *ifc, struct xg_jw *w)
{
	struct xg_dns_sum d;

	if (xg_dns_sum_read(ifc, &d))
		d.on = false;
	if (w) {
		xg_jw_name(w, "dns");
		if (!d.on) {
			xg_jw_null(w);
			return;
		}
		xg_jw_object(w);
		xg_jw_u64_field(w, "queries", d.cnt[XG_DNS_C_QUERIES]);
		xg_jw_u64_field(w, "responses", d.cnt[XG_DNS_C_RESPONSES]);
		xg_jw_u64_field(w, "timeouts", d.timeouts);
		xg_jw_u64_field(w, "servfail", d.servfail);
		xg_jw_u64_field(w, "truncated", d.tc);
		xg_jw_u64_field(w, "tc_not_followed", d.tc_not_followed);
		xg_jw_u64_field(w, "fragmented", d.fragmented);
		xg_jw_u64_field(w, "ttl_short", d.ttl_short);
		xg_jw_u64_field(w, "ttl_long", d.ttl_long);
		xg_jw_u64_field(w, "malformed", d.cnt[XG_DNS_C_MALFORMED]);
		xg_jw_u64_field(w, "servers_tracked", d.servers);
		xg_jw_u64_field(w, "servers_max", d.servers_max);
		xg_jw_u64_field(w, "servers_full", d.cnt[XG_DNS_C_SERVERS_FULL]);
		xg_jw_u64_field(w, "names_tracked", d.names);
		xg_jw_u64_field(w, "names_max", d.names_max);
		xg_jw_u64_field(w, "events_lost", d.cnt[XG_DNS_C_EV_LOST]);
		xg_jw_object_end(w);
		return;
	}
	if (!d.on) {
		printf("  dns: off (attached with --no-dns)\n");
		return;
	}
	printf("  dns: %llu queries, %llu responses, %llu timeouts, %llu "
	       "SERVFAIL, %llu TC=1 (%llu not retried over TCP); %u of %u "
	       "servers, %u of %u names (xdpguard dns)\n",
	       (unsigned long long)d.cnt[XG_DNS_C_QUERIES],
	       (unsigned long long)d.cnt[XG_DNS_C_RESPONSES],
	       (unsigned long long)d.timeouts,
	       (unsigned long long)d.servfail, (unsigned long long)d.tc,
	       (unsigned long long)d.tc_not_followed, d.servers,
	       d.servers_max, d.names, d.names_max);
}

static int status_one(const struct xg_iface *ifc, struct xg_jw *w)
{
	char nsname[64], why[400];
	__u32 id[NPROGS];
	const struct xg_info *in;
	const struct xg_config *cf;
	struct xg_stats st;
	char when[64];
	time_t t;
	int v, r, n;

	if (xg_stats_read(ifc, &st))
		return XG_EXIT_FAIL;
	in = &st.info;
	cf = &st.cfg;
	xg_netns_name(in->netns_ino, nsname, sizeof(nsname));
	prog_ids(ifc, in, id);
	t = in->attached_at;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));

	if (w) {
		static const char *const progs[NPROGS] = { "xdp",
			"tc_ingress", "tc_egress", "tc_cookie", "tracepoint",
			"dns_ingress", "dns_egress", "dns_tracepoint" };

		xg_jw_object(w);
		xg_jw_str_field(w, "interface", ifc->ifname);
		xg_jw_str_field(w, "state", xg_state_name(st.state));
		xg_jw_u64_field(w, "netns_cookie", ifc->netns);
		xg_jw_u64_field(w, "ifindex", in->ifindex);
		xg_jw_bool_field(w, "present", !st.gone);
		xg_jw_u64_field(w, "netns", in->netns_ino);
		xg_jw_str_field(w, "mode", in->mode == 2 ? "skb" : "native");
		xg_jw_str_field(w, "attach", in->how);
		xg_jw_u64_field(w, "prog_id", in->prog_id);
		xg_jw_str_field(w, "attached_at", when);
		xg_jw_bool_field(w, "dry_run", cf->flags & XG_F_DRY_RUN);
		xg_jw_bool_field(w, "enabled", cf->flags & XG_F_ENABLED);
		xg_jw_name(w, "rate");
		xg_jw_object(w);
		xg_jw_u64_field(w, "pps", cf->rate.pps);
		xg_jw_u64_field(w, "burst", cf->rate.burst);
		xg_jw_object_end(w);
		xg_jw_u64_field(w, "prefix4", in->prefix4);
		xg_jw_u64_field(w, "prefix6", in->prefix6);
		xg_jw_u64_field(w, "port_rules", st.ports);
		xg_jw_u64_field(w, "allow", st.allow);
		xg_jw_u64_field(w, "deny", st.deny);
		xg_jw_bool_field(w, "lists_filter_stale", st.lists_stale);
		xg_jw_name(w, "sources");
		xg_jw_object(w);
		xg_jw_u64_field(w, "tracked", st.tracked);
		xg_jw_u64_field(w, "max", in->sources);
		xg_jw_float_field(w, "fill_ratio", in->sources ?
				  (double)st.tracked / in->sources : 0, 4);
		xg_jw_object_end(w);
		xg_jw_name(w, "totals");
		xg_jw_object(w);
		xg_jw_u64_field(w, "pass", st.tot[XG_V_PASS]);
		xg_jw_u64_field(w, "drop", st.tot[XG_V_DROP]);
		xg_jw_u64_field(w, "would_drop", st.tot[XG_V_WOULD_DROP]);
		xg_jw_u64_field(w, "tx", st.tot[XG_V_TX]);
		xg_jw_object_end(w);
		xg_jw_name(w, "counters");
		xg_jw_array(w);
		for (v = 0; v < XG_V_MAX; v++)
			for (r = 0; r < XG_R_MAX; r++) {
				struct xg_counter *c =
					&st.cnt[XG_COUNTER_IDX(v, r)];

				xg_jw_object(w);
				xg_jw_str_field(w, "verdict", xg_verdict_name(v));
				xg_jw_str_field(w, "reason", xg_reason_name(r));
				xg_jw_u64_field(w, "packets", c->packets);
				xg_jw_u64_field(w, "bytes", c->bytes);
				xg_jw_object_end(w);
			}
		xg_jw_array_end(w);
		xg_jw_u64_field(w, "events_lost",
				st.cnt[XG_C_EVENTS_LOST].packets);
		xg_jw_u64_field(w, "events_suppressed",
				st.cnt[XG_C_EVENTS_SUPPRESSED].packets);
		xg_jw_name(w, "handoff");
		xg_jw_object(w);
		xg_jw_u64_field(w, "connections", st.cnt[XG_C_HANDOFF].packets);
		xg_jw_u64_field(w, "refused", st.cnt[XG_C_HANDOFF_FAIL].packets);
		xg_jw_object_end(w);
		xg_jw_name(w, "cookies");
		xg_cookie_ports_json(w, ifc);
		xg_jw_name(w, "programs");
		xg_jw_object(w);
		for (n = 0; n < NPROGS; n++) {
			if (id[n])
				xg_jw_u64_field(w, progs[n], id[n]);
			else
				xg_jw_null_field(w, progs[n]);
		}
		xg_jw_bool_field(w, "tracepoint_running",
				 id[4] && xg_pmtu_rt_running(id[4]));
		xg_jw_object_end(w);
		xg_jw_name(w, "socket_record");
		xg_jw_object(w);
		xg_jw_bool_field(w, "read", cf->flags & XG_F_PEERS);
		xg_jw_bool_field(w, "kept", xg_peers_kept(ifc));
		xg_jw_object_end(w);
		dns_status(ifc, w);
		xg_jw_object_end(w);
		return XG_EXIT_OK;
	}
	printf("%s%s%s: %s mode (%s), attached %s\n", ifc->ifname,
	       ifc->here ? "" : " in network namespace ", ifc->here ? "" :
	       nsname, in->mode == 2 ? "skb" : "native", in->how, when);
	if (st.state != XG_ST_OK)
		printf("  %s\n", xg_state_advice(st.state, ifc, in, why,
						 sizeof(why)));
	printf("  policy: default %u SYN/s burst %u per /%u (IPv4) /%u (IPv6) "
	       "source; %u port rule%s; allow %u, deny %u%s\n", cf->rate.pps,
	       cf->rate.burst, in->prefix4, in->prefix6, st.ports,
	       st.ports == 1 ? "" : "s", st.allow, st.deny,
	       cf->flags & XG_F_DRY_RUN ? "; DRY RUN (nothing dropped)" : "");
	if (st.lists_stale)
		printf("  LISTS CHANGED BEHIND XDPGUARD: an allow/deny list "
		       "holds entries its flag or filter was not built from "
		       "(written with another tool?): such an entry may not "
		       "apply; the next 'xdpguard allow' or 'xdpguard deny' "
		       "change rebuilds them\n");
	printf("  sources tracked: %u of %u (%.1f%%)\n", st.tracked, in->sources,
	       100.0 * st.tracked / in->sources);
	printf("  programs: xdp id %u", id[0]);
	if (id[1] || id[2])
		printf("; tc ingress id %u, egress id %u", id[1], id[2]);
	if (id[3])
		printf("; cookie hand-off id %u", id[3]);
	if (id[4])
		printf("; black-hole id %u (in the host's tcp_retransmit_skb "
		       "program)", id[4]);
	if (id[5] || id[6])
		printf("; dns ingress id %u, egress id %u, stale-use id %u",
		       id[5], id[6], id[7]);
	printf("\n");
	if (id[4] && !xg_pmtu_rt_running(id[4]))
		printf("  BLACK-HOLE DETECTION LOST: its program (id %u) is no "
		       "longer in the host's tcp_retransmit_skb program (bpffs "
		       "remounted?); detach and attach again to restore it\n",
		       id[4]);
	if ((cf->flags & XG_F_PEERS) && !xg_peers_kept(ifc))
		printf("  SOCKET RECORD LOST: this guard answers a SYN from a "
		       "peer the host's socket record names with no socket "
		       "without probing the established table, and nothing "
		       "keeps that record now (its pins in %s/" XG_PEERS_DIR
		       " were removed): a SYN for a connection made since may "
		       "get a cookie SYN-ACK instead of reaching its socket; "
		       "detach and attach again to restore it\n",
		       xg_pin_root());
	else if (in->cookie_paths && !(cf->flags & XG_F_PEERS))
		printf("  socket record: not read (not kept at attach, or "
		       "lost since): each SYN answered with a cookie probes "
		       "the established table\n");
	xg_cookie_status(ifc);
	printf("  packets: %llu passed, %llu dropped, %llu would drop, %llu "
	       "answered\n", st.tot[XG_V_PASS], st.tot[XG_V_DROP],
	       st.tot[XG_V_WOULD_DROP], st.tot[XG_V_TX]);
	printf("  %-10s %-16s %14s %16s\n", "verdict", "reason", "packets",
	       "bytes");
	for (v = 0; v < XG_V_MAX; v++)
		for (r = 0; r < XG_R_MAX; r++) {
			struct xg_counter *c = &st.cnt[XG_COUNTER_IDX(v, r)];

			if (c->packets)
				printf("  %-10s %-16s %14llu %16llu\n",
				       xg_verdict_name(v), xg_reason_name(r),
				       c->packets, c->bytes);
		}
	printf("  events: %llu lost (ring full), %llu suppressed (rate "
	       "limit)\n", st.cnt[XG_C_EVENTS_LOST].packets,
	       st.cnt[XG_C_EVENTS_SUPPRESSED].packets);
	if (st.cnt[XG_C_HANDOFF].packets || st.cnt[XG_C_HANDOFF_FAIL].packets)
		printf("  cookie hand-off (tc): %llu connections, %llu refused "
		       "by the kernel\n", st.cnt[XG_C_HANDOFF].packets,
		       st.cnt[XG_C_HANDOFF_FAIL].packets);
	dns_status(ifc, NULL);
	return XG_EXIT_OK;
}

static const char status_usage[] =
	"usage: xdpguard status [-i IFACE] [--json]\n";

/*
 * Interfaces of this namespace that run xdpguard's XDP program with no
 * pins accounting for it (bpffs unmounted and mounted again, or the
 * folder removed): protection nobody can retune. How many.
 */
static int unpinned(const struct xg_iface *list, int n, struct xg_jw *w)
{
	struct if_nameindex *ifs = if_nameindex(), *it;
	int k = 0, i;
	__u32 id;

	if (!ifs)
		return 0;
	for (it = ifs; it->if_index; it++) {
		for (i = 0; i < n; i++)
			if (list[i].here && list[i].ifindex == (int)it->if_index)
				break;
		if (i < n || !(id = xg_xdp_guard_id(it->if_index)))
			continue;
		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "interface", it->if_name);
			xg_jw_u64_field(w, "xdp_prog_id", id);
			xg_jw_object_end(w);
		} else {
			printf("%s: UNPINNED: runs xdpguard's XDP program (id %u) "
			       "but no pins account for it (bpffs remounted, or "
			       "the pins removed): its policy cannot be changed; "
			       "xdpguard attach %s replaces it, xdpguard detach "
			       "%s removes it\n", it->if_name, id, it->if_name,
			       it->if_name);
		}
		k++;
	}
	if_freenameindex(ifs);
	return k;
}

int cmd_status(int argc, char **argv)
{
	struct xg_iface one, *list = NULL;
	const char *ifname = NULL;
	struct xg_jw *w = NULL;
	bool json = false;
	int n, i, lock, back, ret = XG_EXIT_OK;

	xg_cmd = "status";
	ret = xg_opts_iface_json(argc, argv, status_usage, &ifname, &json);
	if (ret >= 0)
		return ret;
	ret = XG_EXIT_OK;
	/* under the lock: no command changes the folders while they are read */
	if (ifname) {
		ret = xg_lock_iface(ifname, &one, &lock);
		if (ret)
			return ret;
		list = &one;
		n = 1;
	} else {
		if (xg_bpffs_ready(false))
			return XG_EXIT_FAIL;
		lock = xg_lock();
		if (lock < 0)
			return XG_EXIT_FAIL;
		/* the host's status covers every namespace's folders */
		n = xg_iface_list(&list, xg_netns_is_host());
		if (n < 0) {
			xg_unlock(lock);
			return XG_EXIT_FAIL;
		}
	}
	if (json) {
		w = xg_jw_new(stdout);
		if (!w) {
			ret = XG_EXIT_FAIL;
			n = 0;
		} else {
			xg_jw_object(w);
			xg_jw_name(w, "interfaces");
			xg_jw_array(w);
		}
	} else if (!(ifname ? 0 : unpinned(list, n, NULL)) && !n)
		printf("xdpguard: no interface is attached in this network "
		       "namespace\n");
	for (i = 0; i < n; i++) {
		if (xg_iface_enter(&list[i], &back)) {
			ret = XG_EXIT_FAIL;
			continue;
		}
		if (status_one(&list[i], w))
			ret = XG_EXIT_FAIL;
		xg_netns_leave(back);
	}
	if (w) {
		xg_jw_array_end(w);
		xg_jw_name(w, "unpinned");
		xg_jw_array(w);
		if (!ifname)
			unpinned(list, n, w);
		xg_jw_array_end(w);
		xg_jw_object_end(w);
		xg_jw_free(w);
	}
	if (list != &one)
		free(list);
	xg_unlock(lock);
	return ret;
}
