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

static void json_u64s(const char *key, const __u64 *a, int n)
{
	int i;

	printf(",\"%s\":[", key);
	for (i = 0; i < n; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)a[i]);
	putchar(']');
}

static void json_srv(const struct xg_dns_srv *s)
{
	const struct xg_dns_server *v = &s->v;
	char a[64];
	int i;

	xg_format_addr(s->k.family, s->k.addr, a, sizeof(a));
	printf("{\"address\":\"%s\",\"port\":%u,\"family\":%u,\"role\":\"%s\"",
	       a, s->k.port, s->k.family, s->k.role ? "local" : "remote");
#define F(k) printf(",\"" #k "\":%llu", (unsigned long long)v->k)
	F(queries); F(queries_tcp); F(responses); F(responses_tcp);
	F(timeouts); F(unmatched); F(tc); F(tc_followed); F(tc_not_followed);
	F(fragmented); F(oversize); F(answers); F(ttl_short); F(ttl_long);
	F(negative);
#undef F
	printf(",\"rcodes\":{");
	for (i = 0; i < XG_DNS_RC_MAX; i++)
		printf("%s\"%s\":%llu", i ? "," : "", rc_names[i],
		       (unsigned long long)v->rcode[i]);
	printf("},\"edns\":{");
	for (i = 0; i < XG_DNS_EDNS_MAX; i++)
		printf("%s\"%s\":%llu", i ? "," : "", edns_names[i],
		       (unsigned long long)v->edns[i]);
	putchar('}');
	json_u64s("latency_log2_us", v->lat, XG_DNS_LAT_BUCKETS);
	printf(",\"latency_p50_us\":%.0f,\"latency_p99_us\":%.0f",
	       xg_dns_lat_pct(v, 50), xg_dns_lat_pct(v, 99));
	json_u64s("ttl_log2_s", v->ttl, XG_DNS_TTL_BUCKETS);
	json_u64s("neg_ttl_log2_s", v->neg_ttl, XG_DNS_TTL_BUCKETS);
	if (v->answers)
		printf(",\"ttl_min\":%u,\"ttl_max\":%u", v->ttl_min,
		       v->ttl_max);
	else
		printf(",\"ttl_min\":null,\"ttl_max\":null");
	if (v->negative)
		printf(",\"neg_ttl_min\":%u,\"neg_ttl_max\":%u", v->neg_min,
		       v->neg_max);
	else
		printf(",\"neg_ttl_min\":null,\"neg_ttl_max\":null");
	putchar('}');
}

static void json_name(const struct xg_dns_nm *n, __u64 now)
{
	char name[520], qt[16], a[64];
	int i;

	xg_dns_name_str(n->k.name, name, sizeof(name));
	printf("{\"name\":");
	xg_json_str(stdout, name);
	printf(",\"qtype\":\"%s\",\"queries\":%llu,\"responses\":%llu,"
	       "\"negative\":%llu,\"changes\":%llu,\"disagreements\":%llu,"
	       "\"many\":%s,\"addresses\":[",
	       xg_dns_qtype_str(n->k.qtype, qt, sizeof(qt)),
	       (unsigned long long)n->v.queries,
	       (unsigned long long)n->v.responses,
	       (unsigned long long)n->v.negative,
	       (unsigned long long)n->v.changes,
	       (unsigned long long)n->v.disagreements,
	       n->v.flags & XG_DNS_NF_MANY ? "true" : "false");
	for (i = 0; i < n->v.n_addrs && i < XG_DNS_ADDRS; i++) {
		xg_format_addr(n->v.family, n->v.addrs[i], a, sizeof(a));
		printf("%s\"%s\"", i ? "," : "", a);
	}
	putchar(']');
	if (n->v.flags & XG_DNS_NF_SET)
		printf(",\"ttl\":%u,\"expires_in_s\":%.3f", n->v.ttl,
		       ((double)n->v.expires_ns - (double)now) / 1e9);
	else
		printf(",\"ttl\":null,\"expires_in_s\":null");
	putchar('}');
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

static int dns_show(const struct xg_iface *ifc, bool json)
{
	struct xg_dns_view v;
	__u64 now = xg_mono_ns();
	int i;

	if (xg_dns_read(ifc, &v)) {
		xg_err("%s has no DNS telemetry (attached with --no-dns, or "
		       "by an older xdpguard: detach and attach again)",
		       ifc->ifname);
		return XG_EXIT_FAIL;
	}
	if (json) {
		printf("{\"interface\":");
		xg_json_str(stdout, ifc->ifname);
		printf(",\"counters\":{");
		for (i = 0; i < XG_DNS_C_MAX; i++)
			printf("%s\"%s\":%llu", i ? "," : "", cnt_names[i],
			       (unsigned long long)v.cnt[i]);
		printf("},\"pending\":%d,\"gone_addresses\":%d,"
		       "\"timeout_ms\":%llu,\"tc_window_ms\":%llu,"
		       "\"ttl_short\":%u,\"ttl_long\":%u,\"servers\":[",
		       v.pending, v.gone,
		       (unsigned long long)(v.cfg.timeout_ns / 1000000),
		       (unsigned long long)(v.cfg.tc_window_ns / 1000000),
		       v.cfg.ttl_short, v.cfg.ttl_long);
		for (i = 0; i < v.nsrv; i++) {
			if (i)
				putchar(',');
			json_srv(&v.srv[i]);
		}
		printf("],\"names\":[");
		for (i = 0; i < v.nnames; i++) {
			if (i)
				putchar(',');
			json_name(&v.names[i], now);
		}
		printf("]}\n");
	} else {
		printf("dns on %s:", ifc->ifname);
		for (i = 0; i < XG_DNS_C_MAX; i++)
			if (v.cnt[i] || i <= XG_DNS_C_RESPONSES)
				printf(" %s %llu", cnt_names[i],
				       (unsigned long long)v.cnt[i]);
		printf("; %d awaiting a response\n", v.pending);
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
	struct xg_iface ifc;
	bool json = false;
	int ret;

	xg_cmd = "dns";
	ret = xg_opts_iface_json(argc, argv, dns_usage, &ifname, &json);
	if (ret >= 0)
		return ret;
	ret = xg_iface_resolve(ifname, &ifc);
	if (ret)
		return ret;
	return dns_show(&ifc, json);
}

/* ---------------- events and export: their DNS part ---------------- */

static void addrs_str(int family, const __u32 (*a)[4], int n, char *buf,
		      size_t len)
{
	char one[64];
	size_t o = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < n && i < XG_DNS_ADDRS; i++) {
		xg_format_addr(family, a[i], one, sizeof(one));
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s",
			      i ? "," : "", one);
	}
}

static void json_addrs(FILE *f, int family, const __u32 (*a)[4], int n)
{
	char one[64];
	int i;

	fputc('[', f);
	for (i = 0; i < n && i < XG_DNS_ADDRS; i++) {
		xg_format_addr(family, a[i], one, sizeof(one));
		fprintf(f, "%s\"%s\"", i ? "," : "", one);
	}
	fputc(']', f);
}

/* The DNS body of an event record (events.c prints the head). */
void xg_dns_event_body(FILE *f, bool json, const struct xg_event *h)
{
	const struct xg_dns_event *e = (const void *)h;
	const struct xg_dns_ev_body *d = &e->d;
	char name[520], qtb[16], a[400], b[400], comm[17];
	int fam = d->family;	/* the server's may differ */
	const char *qt;

	xg_dns_name_str(d->name, name, sizeof(name));
	qt = xg_dns_qtype_str(d->qtype, qtb, sizeof(qtb));
	if (h->type == XG_EV_DNS_STALE_USE) {
		memcpy(comm, d->comm, 16);
		comm[16] = 0;
		if (json) {
			fputs(",\"name\":", f);
			xg_json_str(f, name);
			fprintf(f, ",\"qtype\":\"%s\",\"past_expiry_s\":%.3f,"
				"\"pid\":%u,\"comm\":", qt, d->past_ns / 1e9,
				d->pid);
			xg_json_str(f, comm);
		} else {
			fprintf(f, " name=%s qtype=%s past_expiry_s=%.3f "
				"pid=%u comm=%s", name, qt, d->past_ns / 1e9,
				d->pid, comm);
		}
		return;
	}
	if (json) {
		fputs(",\"name\":", f);
		xg_json_str(f, name);
		fprintf(f, ",\"qtype\":\"%s\",\"old\":", qt);
		json_addrs(f, fam, d->old_addrs, d->n_old);
		fprintf(f, ",\"old_ttl\":%u,\"new\":", d->old_ttl);
		json_addrs(f, fam, d->new_addrs, d->n_new);
		fprintf(f, ",\"ttl\":%u", d->new_ttl);
	} else {
		addrs_str(fam, d->old_addrs, d->n_old, a, sizeof(a));
		addrs_str(fam, d->new_addrs, d->n_new, b, sizeof(b));
		fprintf(f, " name=%s qtype=%s old=%s old_ttl=%u new=%s ttl=%u",
			name, qt, a[0] ? a : "-", d->old_ttl, b[0] ? b : "-",
			d->new_ttl);
	}
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
