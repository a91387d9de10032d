// SPDX-License-Identifier: GPL-2.0
/*
 * The numbers of the components beside the XDP guard, read one way for
 * `top` and `export`: an interface's MSS/PTB/black-hole counters and
 * destinations, its ports with a SYN budget of their own, and this
 * namespace's TIME_WAIT and accept queues. The guard's own counters are
 * xg_stats_read() (guard.c), its cookie ports xg_cookie_ports()
 * (cookie.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/pmtu.h>
#include "comp.h"

_Static_assert(XG_PMC_MAX <= 32, "struct xg_pm_sum holds 32 counters");

/* xg_pm_stats summed over CPUs into sum[XG_PMC_MAX]. */
int xg_pm_stats_read(const struct xg_iface *ifc, __u64 *sum)
{
	int ncpu = libbpf_num_possible_cpus(), fd, c;
	__u64 *v;
	__u32 i;

	fd = xg_map_open(ifc, XG_MAP_PM_STATS);
	if (fd < 0 || ncpu <= 0)
		return -1;
	v = calloc(ncpu, sizeof(*v));
	if (!v) {
		close(fd);
		return -1;
	}
	for (i = 0; i < XG_PMC_MAX; i++) {
		sum[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v))
			continue;
		for (c = 0; c < ncpu; c++)
			sum[i] += v[c];
	}
	free(v);
	close(fd);
	return 0;
}

int xg_pm_sum_read(const struct xg_iface *ifc, struct xg_pm_sum *s)
{
	struct xg_dst_key k, next, *prev = NULL;
	struct xg_bh_val bh;
	int fd;

	memset(s, 0, sizeof(*s));
	/* quietly: an interface attached with --no-pmtu has none of these */
	fd = xg_map_open_quiet(ifc, XG_MAP_PM_STATS);
	if (fd < 0)
		return 0;	/* s->on stays false */
	close(fd);
	if (xg_pm_stats_read(ifc, s->c))
		return -1;
	s->on = true;
	fd = xg_map_open_quiet(ifc, XG_MAP_PTB);
	if (fd >= 0) {
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			k = next;
			prev = &k;
			s->ptb_dests++;
		}
		close(fd);
	}
	prev = NULL;
	fd = xg_map_open_quiet(ifc, XG_MAP_BH);
	if (fd >= 0) {
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			k = next;
			prev = &k;
			if (!bpf_map_lookup_elem(fd, &k, &bh) &&
			    bh.reported_ns && bh.retrans)
				s->bh_dests++;
		}
		close(fd);
	}
	return 0;
}

static int rate_row_cmp(const void *a, const void *b)
{
	const struct xg_port_rate_row *x = a, *y = b;

	return x->port - y->port;
}

int xg_port_rates(const struct xg_iface *ifc, struct xg_port_rate_row *rows,
		  int max)
{
	__u16 key, next, *prev = NULL;
	int fd, n = 0;

	fd = xg_map_open(ifc, XG_MAP_PORTS);
	if (fd < 0)
		return -1;
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		/* deleted between the two calls: the walk goes on from it */
		if (bpf_map_lookup_elem(fd, &key, &rows[n].rate))
			continue;
		rows[n++].port = key;
	}
	close(fd);
	qsort(rows, n, sizeof(*rows), rate_row_cmp);
	return n;
}

/* "TCP: inuse 5 orphan 0 tw 3 alloc 8 mem 1": this namespace's count. */
static long sockstat_tw(void)
{
	char line[256];
	long tw = -1;
	FILE *f = fopen("/proc/net/sockstat", "r");
	char *p;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "TCP:", 4) && (p = strstr(line, " tw ")))
			tw = strtol(p + 4, NULL, 10);
	fclose(f);
	return tw;
}

int xg_host_sum_read(struct xg_host_sum *h)
{
	struct xg_sk_rec *rec;
	double fill;
	size_t i, n;

	memset(h, 0, sizeof(*h));
	h->tw = sockstat_tw();
	if (!xg_host_is_on())
		return 0;
	h->netns = xg_netns_cookie();
	if (!h->netns || xg_sk_stats_read(h->netns, &h->st) ||
	    xg_sk_snapshot(&rec, &n))
		return -1;
	h->on = true;
	for (i = 0; i < n; i++) {
		if (rec[i].kind != XG_SK_FULL ||
		    rec[i].state != XG_TCP_LISTEN)
			continue;
		h->listeners++;
		h->accept_q += rec[i].accept_q;
		h->syn_recv += rec[i].syn_recv;
		fill = rec[i].accept_max ?
			(double)rec[i].accept_q / rec[i].accept_max : 0;
		if (rec[i].accept_max && rec[i].accept_q >= rec[i].accept_max)
			h->full++;
		if (fill > h->fill_max || !h->worst_port) {
			h->fill_max = fill;
			h->worst_port = rec[i].lport;
			h->worst_q = rec[i].accept_q;
			h->worst_max = rec[i].accept_max;
		}
	}
	free(rec);
	return 0;
}
