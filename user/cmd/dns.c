// SPDX-License-Identifier: GPL-2.0
/*
 * xdpguard dns [-i IFACE] [--json]: the DNS telemetry of an interface,
 * per server and per name (user/comp/dns.c reads it).
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

#define NAMES_SHOWN	20

static const char dns_usage[] =
	"usage: xdpguard dns [-i IFACE] [--json]\n"
	"  (without -i: every interface attached in this network namespace)\n"
	"  DNS seen on IFACE's tc hooks (port 53, UDP and TCP, both\n"
	"  directions): per server queries, responses, rcodes, latency,\n"
	"  timeouts, TC=1 and the TCP retry, EDNS sizes, fragmented and\n"
	"  oversize answers, TTLs; the top names with their answer sets.\n";

static const char *const cnt_names[XG_DNS_C_MAX] = {
	[XG_DNS_C_PACKETS] = "packets",
	[XG_DNS_C_QUERIES] = "queries",
	[XG_DNS_C_RESPONSES] = "responses",
	[XG_DNS_C_NOT_DNS] = "not_dns",
	[XG_DNS_C_MALFORMED] = "malformed",
	[XG_DNS_C_PAST_BOUND] = "past_bound",
	[XG_DNS_C_NAME_LONG] = "name_long",
	[XG_DNS_C_UNMATCHED] = "unmatched",
	[XG_DNS_C_SERVERS_FULL] = "servers_full",
	[XG_DNS_C_TCP_MIDDLE] = "tcp_middle",
	[XG_DNS_C_EV_LOST] = "events_lost",
};

static const char *const rc_names[XG_DNS_RC_MAX] = {
	"noerror", "nxdomain", "servfail", "refused", "other",
};

static const char *const edns_names[XG_DNS_EDNS_MAX] = {
	"none", "le1232", "le1400", "le1500", "gt1500",
};

static void json_u64s(struct xg_jw *w, const char *key, const __u64 *a,
		      int n)
{
	int i;

	xg_jw_name(w, key);
	xg_jw_array(w);
	for (i = 0; i < n; i++)
		xg_jw_u64(w, a[i]);
	xg_jw_array_end(w);
}

/* a u32 field, or null when @have is false (never seen) */
static void u32_or_null(struct xg_jw *w, const char *n, bool have, __u32 v)
{
	if (have)
		xg_jw_u64_field(w, n, v);
	else
		xg_jw_null_field(w, n);
}

static void json_srv(struct xg_jw *w, const struct xg_dns_srv *s, __u64 now)
{
	const struct xg_dns_server *v = &s->v;
	bool lat;
	char a[64];
	int i;

	xg_format_addr(s->k.family, s->k.addr, a, sizeof(a));
	xg_jw_object(w);
	xg_jw_str_field(w, "address", a);
	xg_jw_u64_field(w, "port", s->k.port);
	xg_jw_u64_field(w, "family", s->k.family);
	xg_jw_str_field(w, "role", s->k.role ? "local" : "remote");
#define F(k) xg_jw_u64_field(w, #k, v->k)
	F(queries); F(queries_tcp); F(responses); F(responses_tcp);
	F(timeouts); F(unmatched); F(tc); F(tc_followed); F(tc_not_followed);
	F(fragmented); F(oversize); F(answers); F(ttl_short); F(ttl_long);
	F(negative);
#undef F
	xg_jw_name(w, "rcodes");
	xg_jw_object(w);
	for (i = 0; i < XG_DNS_RC_MAX; i++)
		xg_jw_u64_field(w, rc_names[i], v->rcode[i]);
	xg_jw_object_end(w);
	xg_jw_name(w, "edns");
	xg_jw_object(w);
	for (i = 0; i < XG_DNS_EDNS_MAX; i++)
		xg_jw_u64_field(w, edns_names[i], v->edns[i]);
	xg_jw_object_end(w);
	json_u64s(w, "latency_log2_us", v->lat, XG_DNS_LAT_BUCKETS);
	for (i = 0; i < XG_DNS_LAT_BUCKETS && !v->lat[i]; i++)
		;
	lat = i < XG_DNS_LAT_BUCKETS;
	if (lat) {
		xg_jw_float_field(w, "latency_p50_us", xg_dns_lat_pct(v, 50), 0);
		xg_jw_float_field(w, "latency_p99_us", xg_dns_lat_pct(v, 99), 0);
	} else {
		xg_jw_null_field(w, "latency_p50_us");
		xg_jw_null_field(w, "latency_p99_us");
	}
	json_u64s(w, "ttl_log2_seconds", v->ttl, XG_DNS_TTL_BUCKETS);
	json_u64s(w, "neg_ttl_log2_seconds", v->neg_ttl, XG_DNS_TTL_BUCKETS);
	u32_or_null(w, "ttl_min_seconds", v->answers, v->ttl_min);
	u32_or_null(w, "ttl_max_seconds", v->answers, v->ttl_max);
	u32_or_null(w, "neg_ttl_min_seconds", v->negative, v->neg_min);
	u32_or_null(w, "neg_ttl_max_seconds", v->negative, v->neg_max);
	xg_jw_ago_field(w, "last_seen_ago_seconds", v->last_ns, now);
	xg_jw_object_end(w);
}

static void json_name(struct xg_jw *w, const struct xg_dns_nm *n, __u64 now)
{
	char name[520], qt[16], a[64];
	bool set = n->v.flags & XG_DNS_NF_SET;
	int i;

	xg_dns_name_str(n->k.name, name, sizeof(name));
	xg_jw_object(w);
	xg_jw_str_field(w, "name", name);
	xg_jw_str_field(w, "qtype", xg_dns_qtype_str(n->k.qtype, qt,
						     sizeof(qt)));
	xg_jw_u64_field(w, "queries", n->v.queries);
	xg_jw_u64_field(w, "responses", n->v.responses);
	xg_jw_u64_field(w, "negative", n->v.negative);
	xg_jw_u64_field(w, "changes", n->v.changes);
	xg_jw_u64_field(w, "disagreements", n->v.disagreements);
	xg_jw_bool_field(w, "many", n->v.flags & XG_DNS_NF_MANY);
	xg_jw_name(w, "addresses");
	xg_jw_array(w);
	for (i = 0; set && i < n->v.n_addrs && i < XG_DNS_ADDRS; i++) {
		xg_format_addr(n->v.family, n->v.addrs[i], a, sizeof(a));
		xg_jw_str(w, a);
	}
	xg_jw_array_end(w);
	if (set && n->v.server.family) {
		xg_format_endpoint(n->v.server.family, n->v.server.addr,
				   n->v.server.port, a, sizeof(a));
		xg_jw_str_field(w, "server", a);
	} else {
		xg_jw_null_field(w, "server");
	}
	u32_or_null(w, "ttl_seconds", set, n->v.ttl);
	if (set)
		xg_jw_float_field(w, "expires_in_seconds",
				  ((double)n->v.expires_ns - (double)now) / 1e9,
				  3);
	else
		xg_jw_null_field(w, "expires_in_seconds");
	xg_jw_object_end(w);
}

static void text_srv(const struct xg_dns_srv *s)
{
	const struct xg_dns_server *v = &s->v;
	char ep[80];
	int i;

	xg_format_endpoint(s->k.family, s->k.addr, s->k.port, ep, sizeof(ep));
	printf("server %s (%s)\n", ep, s->k.role ?
	       "local: this host answers" : "remote: this host asks it");
	printf("  queries %llu (tcp %llu)  responses %llu (tcp %llu)  "
	       "timeouts %llu  unmatched %llu\n",
	       (unsigned long long)v->queries,
	       (unsigned long long)v->queries_tcp,
	       (unsigned long long)v->responses,
	       (unsigned long long)v->responses_tcp,
	       (unsigned long long)v->timeouts,
	       (unsigned long long)v->unmatched);
	printf("  rcodes");
	for (i = 0; i < XG_DNS_RC_MAX; i++)
		printf(" %s %llu", rc_names[i],
		       (unsigned long long)v->rcode[i]);
	printf("%s\n", v->responses && v->rcode[XG_DNS_RC_SERVFAIL] * 10 >=
	       v->responses ? "  (SERVFAIL >= 10%)" : "");
	printf("  latency p50 <= %.0f us  p99 <= %.0f us\n",
	       xg_dns_lat_pct(v, 50), xg_dns_lat_pct(v, 99));
	printf("  TC=1 %llu (retried over TCP %llu, not %llu)  fragmented "
	       "%llu  over the advertised size %llu\n",
	       (unsigned long long)v->tc, (unsigned long long)v->tc_followed,
	       (unsigned long long)v->tc_not_followed,
	       (unsigned long long)v->fragmented,
	       (unsigned long long)v->oversize);
	printf("  EDNS sizes asked:");
	for (i = 0; i < XG_DNS_EDNS_MAX; i++)
		printf(" %s %llu", edns_names[i],
		       (unsigned long long)v->edns[i]);
	putchar('\n');
	if (v->answers)
		printf("  answer TTLs: %llu, min %u max %u, short %llu, long "
		       "%llu\n", (unsigned long long)v->answers, v->ttl_min,
		       v->ttl_max, (unsigned long long)v->ttl_short,
		       (unsigned long long)v->ttl_long);
	if (v->negative)
		printf("  negative answers: %llu, negative TTL min %u max %u\n",
		       (unsigned long long)v->negative, v->neg_min,
		       v->neg_max);
}

static void text_name(const struct xg_dns_nm *n, __u64 now)
{
	char name[520], qt[16], a[64];
	int i;

	xg_dns_name_str(n->k.name, name, sizeof(name));
	printf("  %-32s %-5s queries %llu responses %llu", name,
	       xg_dns_qtype_str(n->k.qtype, qt, sizeof(qt)),
	       (unsigned long long)n->v.queries,
	       (unsigned long long)n->v.responses);
	if (n->v.negative)
		printf(" negative %llu", (unsigned long long)n->v.negative);
	if (n->v.flags & XG_DNS_NF_SET) {
		printf(" ->");
		for (i = 0; i < n->v.n_addrs && i < XG_DNS_ADDRS; i++) {
			xg_format_addr(n->v.family, n->v.addrs[i], a,
				       sizeof(a));
			printf("%s%s", i ? "," : " ", a);
		}
		printf(" ttl %u (%s in %.0f s)", n->v.ttl,
		       n->v.expires_ns > now ? "expires" : "expired",
		       n->v.expires_ns > now ? (n->v.expires_ns - now) / 1e9 :
					       (now - n->v.expires_ns) / 1e9);
	} else if (n->v.flags & XG_DNS_NF_MANY) {
		printf(" (more than %d addresses: not tracked)", XG_DNS_ADDRS);
	}
	if (n->v.changes || n->v.disagreements)
		printf(" changes %llu disagreements %llu",
		       (unsigned long long)n->v.changes,
		       (unsigned long long)n->v.disagreements);
	putchar('\n');
}

static int dns_show(const struct xg_iface *ifc, struct xg_jw *w, void *arg)
{
	const char *asked = arg;	/* -i IFACE */
	struct xg_dns_settings ds;
	struct xg_dns_view v;
	__u64 now = xg_mono_ns();
	int i;

	if (xg_dns_settings_read(ifc, &ds) || xg_dns_read(ifc, &v)) {
		if (asked) {
			xg_err("%s has no DNS telemetry (attached with --no-dns, "
			       "or by an older xdpguard: detach and attach "
			       "again)", ifc->ifname);
			return XG_EXIT_FAIL;
		}
		/* one of several: said as off, not an error */
		if (w) {
			xg_jw_object(w);
			xg_jw_str_field(w, "interface", ifc->ifname);
			xg_jw_bool_field(w, "dns", false);
			xg_jw_null_field(w, "settings");
			xg_jw_null_field(w, "counters");
			xg_jw_null_field(w, "pending");
			xg_jw_null_field(w, "gone_addresses");
			xg_jw_name(w, "servers");
			xg_jw_array(w);
			xg_jw_array_end(w);
			xg_jw_name(w, "names");
			xg_jw_array(w);
			xg_jw_array_end(w);
			xg_jw_object_end(w);
		} else {
			printf("dns on %s: off (attached with --no-dns)\n",
			       ifc->ifname);
		}
		return XG_EXIT_OK;
	}
	if (w) {
		xg_jw_object(w);
		xg_jw_str_field(w, "interface", ifc->ifname);
		xg_jw_bool_field(w, "dns", true);
		xg_jw_name(w, "settings");
		xg_jw_object(w);
		xg_jw_u64_field(w, "servers_max", ds.servers);
		xg_jw_u64_field(w, "names_max", ds.names);
		xg_jw_u64_field(w, "pending_max", ds.pending);
		xg_jw_u64_field(w, "timeout_seconds", ds.timeout_s);
		xg_jw_float_field(w, "tc_window_seconds",
				  (v.cfg.tc_window_ns ? v.cfg.tc_window_ns :
				   XG_DNS_TC_WINDOW_NS) / 1e9, 3);
		xg_jw_u64_field(w, "ttl_short_seconds", ds.ttl_short);
		xg_jw_u64_field(w, "ttl_long_seconds", ds.ttl_long);
		xg_jw_u64_field(w, "memory_bytes", ds.memlock);
		xg_jw_object_end(w);
		xg_jw_name(w, "counters");
		xg_jw_object(w);
		for (i = 0; i < XG_DNS_C_MAX; i++)
			xg_jw_u64_field(w, cnt_names[i], v.cnt[i]);
		xg_jw_object_end(w);
		xg_jw_u64_field(w, "pending", v.pending);
		xg_jw_u64_field(w, "gone_addresses", v.gone);
		xg_jw_name(w, "servers");
		xg_jw_array(w);
		for (i = 0; i < v.nsrv; i++)
			json_srv(w, &v.srv[i], now);
		xg_jw_array_end(w);
		xg_jw_name(w, "names");
		xg_jw_array(w);
		for (i = 0; i < v.nnames; i++)
			json_name(w, &v.names[i], now);
		xg_jw_array_end(w);
		xg_jw_object_end(w);
	} else {
		printf("dns on %s:", ifc->ifname);
		for (i = 0; i < XG_DNS_C_MAX; i++)
			if (v.cnt[i] || i <= XG_DNS_C_RESPONSES)
				printf(" %s %llu", cnt_names[i],
				       (unsigned long long)v.cnt[i]);
		printf("; %d awaiting a response\n", v.pending);
		printf("  tables: %d of %u servers, %d of %u names, %d of %u "
		       "pending (%.1f MiB); timeout %u s, TCP fallback within "
		       "%u s, TTLs flagged at <= %u s and >= %u s\n",
		       v.nsrv, ds.servers, v.nnames, ds.names, v.pending,
		       ds.pending, ds.memlock / 1048576.0, ds.timeout_s,
		       ds.tc_window_s, ds.ttl_short, ds.ttl_long);
		for (i = 0; i < v.nsrv; i++)
			text_srv(&v.srv[i]);
		if (v.nnames)
			printf("names (top %d of %d by queries):\n",
			       v.nnames < NAMES_SHOWN ? v.nnames : NAMES_SHOWN,
			       v.nnames);
		for (i = 0; i < v.nnames && i < NAMES_SHOWN; i++)
			text_name(&v.names[i], now);
	}
	xg_dns_view_free(&v);
	return XG_EXIT_OK;
}

int cmd_dns(int argc, char **argv)
{
	const char *ifname = NULL;
	bool json = false;
	int ret;

	xg_cmd = "dns";
	ret = xg_opts_iface_json(argc, argv, dns_usage, &ifname, &json);
	if (ret >= 0)
		return ret;
	return xg_show_each(ifname, json, dns_show, (void *)ifname);
}

/* ---------------- export ---------------- */

static void fam_head(FILE *f, const char *name, const char *type,
		     const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const rc_labels[XG_DNS_RC_MAX] = {
	"NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "other",
};

/*
 * xdpguard_dns_* of @n interfaces. Labels: interface, server (an
 * address:port of the bounded server table, XG_DNS_SERVERS), rcode.
 */
void xg_dns_export(FILE *f, const struct xg_iface *ifc, int n)
{
	struct xg_dns_view *v = calloc(n + 1, sizeof(*v));
	char ep[80];
	int i, j, r, b;
	bool *ok;

	ok = calloc(n + 1, sizeof(*ok));
	if (!v || !ok)
		goto out;
	for (i = 0; i < n; i++)
		ok[i] = !xg_dns_read(&ifc[i], &v[i]);
#define EACH_SRV(body)							\
	for (i = 0; i < n; i++)						\
		for (j = 0; ok[i] && j < v[i].nsrv; j++) {		\
			const struct xg_dns_srv *s = &v[i].srv[j];	\
			xg_format_endpoint(s->k.family, s->k.addr,	\
					   s->k.port, ep, sizeof(ep));	\
			body;						\
		}
#define ROLE(s) ((s)->k.role ? "local" : "remote")
#define SRV_COUNTER(name, help, field)					\
	do {								\
		fam_head(f, name, "counter", help);			\
		EACH_SRV(fprintf(f, name "{interface=\"%s\",server=\"%s\"," \
				 "role=\"%s\"} %llu\n", ifc[i].ifname, ep, \
				 ROLE(s),				\
				 (unsigned long long)s->v.field));	\
	} while (0)
	SRV_COUNTER("xdpguard_dns_queries_total", "DNS queries per server.",
		    queries);
	SRV_COUNTER("xdpguard_dns_responses_total", "DNS responses per "
		    "server.", responses);
	SRV_COUNTER("xdpguard_dns_timeouts_total", "Queries with no response "
		    "within the timeout.", timeouts);
	SRV_COUNTER("xdpguard_dns_truncated_total", "UDP responses with "
		    "TC=1.", tc);
	SRV_COUNTER("xdpguard_dns_tc_followed_total", "TC=1 answers the "
		    "client asked again over TCP in time.", tc_followed);
	SRV_COUNTER("xdpguard_dns_tc_not_followed_total", "TC=1 answers not "
		    "asked again over TCP in time.", tc_not_followed);
	SRV_COUNTER("xdpguard_dns_fragmented_total", "UDP responses that "
		    "came IP-fragmented.", fragmented);
	SRV_COUNTER("xdpguard_dns_oversize_total", "UDP responses larger "
		    "than the query's advertised size.", oversize);
	SRV_COUNTER("xdpguard_dns_ttl_zero_total", "Answer records with a "
		    "TTL at or under the short threshold.", ttl_short);
	SRV_COUNTER("xdpguard_dns_ttl_long_total", "Answer records with a "
		    "TTL at or over the long threshold.", ttl_long);
	SRV_COUNTER("xdpguard_dns_negative_total", "NXDOMAIN/NODATA answers "
		    "with an SOA.", negative);
	fam_head(f, "xdpguard_dns_rcode_total", "counter", "DNS responses "
		 "per server and rcode.");
	EACH_SRV(for (r = 0; r < XG_DNS_RC_MAX; r++)
		 fprintf(f, "xdpguard_dns_rcode_total{interface=\"%s\","
			 "server=\"%s\",role=\"%s\",rcode=\"%s\"} %llu\n",
			 ifc[i].ifname, ep, ROLE(s), rc_labels[r],
			 (unsigned long long)s->v.rcode[r]));
	fam_head(f, "xdpguard_dns_latency_seconds", "histogram", "Query to "
		 "response time per server.");
	EACH_SRV({
		__u64 acc = 0;

		for (b = 0; b < XG_DNS_LAT_BUCKETS; b++) {
			acc += s->v.lat[b];
			fprintf(f, "xdpguard_dns_latency_seconds_bucket{"
				"interface=\"%s\",server=\"%s\",role=\"%s\","
				"le=\"%g\"} %llu\n", ifc[i].ifname, ep, ROLE(s),
				(double)(1ULL << (b + 1)) / 1e6,
				(unsigned long long)acc);
		}
		fprintf(f, "xdpguard_dns_latency_seconds_bucket{interface="
			"\"%s\",server=\"%s\",role=\"%s\",le=\"+Inf\"} "
			"%llu\n", ifc[i].ifname, ep, ROLE(s),
			(unsigned long long)acc);
		fprintf(f, "xdpguard_dns_latency_seconds_sum{interface=\"%s\","
			"server=\"%s\",role=\"%s\"} %.9f\n", ifc[i].ifname,
			ep, ROLE(s), s->v.lat_sum_ns / 1e9);
		fprintf(f, "xdpguard_dns_latency_seconds_count{interface="
			"\"%s\",server=\"%s\",role=\"%s\"} %llu\n",
			ifc[i].ifname, ep, ROLE(s), (unsigned long long)acc);
	});
	fam_head(f, "xdpguard_dns_malformed_total", "counter", "DNS messages "
		 "that claim more than they hold.");
	for (i = 0; i < n; i++)
		if (ok[i])
			fprintf(f, "xdpguard_dns_malformed_total{interface="
				"\"%s\"} %llu\n", ifc[i].ifname,
				(unsigned long long)v[i].cnt[XG_DNS_C_MALFORMED]);
	fam_head(f, "xdpguard_dns_past_bound_total", "counter", "DNS "
		 "messages parsed only up to xdpguard's bound.");
	for (i = 0; i < n; i++)
		if (ok[i])
			fprintf(f, "xdpguard_dns_past_bound_total{interface="
				"\"%s\"} %llu\n", ifc[i].ifname,
				(unsigned long long)v[i].cnt[XG_DNS_C_PAST_BOUND]);
#undef SRV_COUNTER
#undef EACH_SRV
#undef ROLE
out:
	if (v)
		for (i = 0; i < n; i++)
			xg_dns_view_free(&v[i]);
	free(v);
	free(ok);
}
