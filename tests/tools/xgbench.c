// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: per-packet cost of the XDP guard's hot paths through
 * BPF_PROG_TEST_RUN (repeat N, the kernel's own per-run average), each
 * beside a bare XDP_DROP program measured in the same run, interleaved,
 * median of several rounds.
 *
 * usage: xgbench [--repeat N] [--rounds N] [--json]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include "xdp_guard.skel.h"
#include "xdp_drop.skel.h"
#include "lib/lib.h"
#include "../prog.h"

struct bcase {
	const char *name;
	struct spec spec;
	int want;		/* expected XDP verdict */
	int policy;		/* populate allow/deny lists first */
};

static int fill_policy(struct xdp_guard_bpf *skel)
{
	struct xg_deny_val d = {};
	struct xg_allow_val a = {};
	struct xg_lpm6 k6 = {};
	struct xg_lpm4 k4;
	int i;

	/* 1000 entries each, none matching the benchmark's sources */
	for (i = 0; i < 1000; i++) {
		k4.prefixlen = 32;
		k4.addr = htonl(0xc6130000 | i);	/* 198.19.x.y */
		d.prefixlen = 32;
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_deny4), &k4,
					&d, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.xg_allow4), &k4,
					&a, BPF_ANY))
			return -1;
		k6.prefixlen = 64;
		k6.addr[0] = htonl(0x20010db8);
		k6.addr[1] = htonl(0xbeef0000 | i);
		d.prefixlen = 64;
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_deny6), &k6,
					&d, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.xg_allow6), &k6,
					&a, BPF_ANY))
			return -1;
	}
	/* their filters, as xdpguard builds them after every change */
	return xg_list_filters_sync(bpf_map__fd(skel->maps.xg_list_bits),
		(int[XG_L_MAX]){ bpf_map__fd(skel->maps.xg_allow4),
				 bpf_map__fd(skel->maps.xg_allow6),
				 bpf_map__fd(skel->maps.xg_deny4),
				 bpf_map__fd(skel->maps.xg_deny6) });
}

static int set_rate(struct xdp_guard_bpf *skel, __u32 pps, __u32 burst,
		    bool lists)
{
	struct xg_config cfg = {
		.rate = { pps, burst },
		/* the flags xdpguard sets for these maps (xg_sync_flags):
		 * no port rules, no cookie ports */
		.flags = XG_F_ENABLED | (lists ? XG_F_ALLOW4 | XG_F_ALLOW6 |
					 XG_F_DENY4 | XG_F_DENY6 : 0),
		.event_budget = 1000,
	};
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.xg_config), &zero,
				   &cfg, BPF_ANY);
}

/*
 * One run per call (repeat 1, the kernel's own per-run time), median of
 * @calls, the source rotated before each call over @nsrc sources of
 * 10.0.0.0/8 (16M: a new source per SYN). The yardstick is the bare
 * program timed the same way.
 */
static double rotating_ns(int fd, struct pkt *p, __u32 nsrc, __u32 calls,
			  int want, double *v)
{
	static __u32 next;	/* 16M: never the same source twice */
	__u32 i, a;
	int ret;

	for (i = 0; i < calls; i++, next++) {
		a = nsrc >= (1U << 24) ? (next * 2654435761U) >> 8 : i % nsrc;
		a = htonl(0x0a000000 | a);
		memcpy(p->buf + p->l3 + 12, &a, 4);
		v[i] = prog_ns(fd, p, 1, &ret);
		if (v[i] < 0 || (want >= 0 && ret != want))
			return -1;
	}
	return prog_median(v, calls);
}

static void rotating_rows(int gfd, int bfd, struct xdp_guard_bpf *skel,
			  __u32 calls, bool json)
{
	static const struct {
		const char *name;
		__u32 nsrc, pps;
		int want;
	} r[] = {
		{ "syn_pass_16_sources", 16, 100000000, XDP_PASS },
		{ "syn_pass_16M_sources", 1U << 24, 100000000, XDP_PASS },
		{ "syn_drop_16_sources", 16, 1, XDP_DROP },
		/* -1: a few land on the 16 throttled sources' slots and
		 * share their spent budget (docs/sources.md) */
		{ "syn_new_source_per_syn", 1U << 24, 1, -1 },
	};
	struct spec sp = { .src = "10.0.0.1", .flags = T_SYN, .tcpopt = 20 };
	double *v = calloc(calls, sizeof(double)), g, b;
	struct pkt pkt;
	unsigned int i;

	if (!v)
		return;
	build(&sp, &pkt);
	if (!json)
		printf("%-28s %10s %10s %7s   (repeat 1, source rotated per "
		       "call, median of %u calls)\n", "path", "ns/pkt",
		       "XDP_DROP", "ratio", calls);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		set_rate(skel, r[i].pps, r[i].pps, false);
		rotating_ns(gfd, &pkt, r[i].nsrc, calls, -1, v); /* warm */
		g = rotating_ns(gfd, &pkt, r[i].nsrc, calls, r[i].want, v);
		b = rotating_ns(bfd, &pkt, r[i].nsrc, calls, XDP_DROP, v);
		if (g < 0 || b < 0) {
			fprintf(stderr, "xgbench: %s failed\n", r[i].name);
			continue;
		}
		if (json)
			printf(",{\"path\":\"%s\",\"ns\":%.1f,\"bare_ns\":%.1f,"
			       "\"ratio\":%.2f,\"timing\":\"1\"}", r[i].name,
			       g, b, g / b);
		else
			printf("%-28s %10.1f %10.1f %6.2fx\n", r[i].name, g, b,
			       g / b);
	}
	free(v);
}

int main(int argc, char **argv)
{
	struct bcase cases[] = {
		{ "syn_over_budget_drop", { .src = "198.18.7.1",
			.flags = T_SYN, .tcpopt = 20 }, XDP_DROP, 0 },
		{ "syn_under_budget_pass", { .src = "198.18.7.2",
			.flags = T_SYN, .tcpopt = 20 }, XDP_PASS, 0 },
		{ "tcp_ack_pass", { .src = "198.18.7.3",
			.flags = T_ACK, .payload = 64 }, XDP_PASS, 0 },
		{ "udp_pass", { .src = "198.18.7.4", .proto = IPPROTO_UDP,
			.payload = 64 }, XDP_PASS, 0 },
		{ "syn_over_budget_drop_v6", { .src = "2001:db8:7::1",
			.flags = T_SYN, .tcpopt = 20 }, XDP_DROP, 0 },
		{ "tcp_ack_pass_v6", { .src = "2001:db8:7::3",
			.flags = T_ACK, .payload = 64 }, XDP_PASS, 0 },
		{ "syn_over_budget_drop+lists", { .src = "198.18.7.1",
			.flags = T_SYN, .tcpopt = 20 }, XDP_DROP, 1 },
		{ "tcp_ack_pass+lists", { .src = "198.18.7.3",
			.flags = T_ACK, .payload = 64 }, XDP_PASS, 1 },
		{ "udp_pass+lists", { .src = "198.18.7.4",
			.proto = IPPROTO_UDP, .payload = 64 }, XDP_PASS, 1 },
	};
	int ncase = sizeof(cases) / sizeof(cases[0]);
	struct xdp_guard_bpf *skel = NULL;
	struct xdp_drop_bpf *bare = NULL;
	struct prog_bench_opts opt = { .repeat = 2000000, .rounds = 5 };
	struct prog_timing tm = {};
	double gm, bm;
	bool lists = false;
	struct pkt pkt;
	int i, ret, gfd, bfd, err = 1;

	if (prog_bench_args(argc, argv, "xgbench", "rnj", &opt))
		return 2;
	/* one CPU: the per-CPU maps and the cache stay put */
	prog_pin_cpu(0);

	skel = xdp_guard_bpf__open_and_load();
	bare = xdp_drop_bpf__open_and_load();
	tm = (struct prog_timing){ .repeat = opt.repeat, .rounds = opt.rounds,
				   .v = calloc(opt.rounds, sizeof(double)),
				   .w = calloc(opt.rounds, sizeof(double)) };
	if (!skel || !bare || !tm.v || !tm.w) {
		fprintf(stderr, "xgbench: cannot load the programs: %s\n",
			strerror(errno));
		goto out;
	}
	gfd = bpf_program__fd(skel->progs.xdpguard);
	bfd = bpf_program__fd(bare->progs.xdp_drop);
	if (opt.json)
		printf("[");
	else
		printf("%-28s %10s %10s %7s   (BPF_PROG_TEST_RUN, repeat %u, "
		       "median of %u)\n", "path", "ns/pkt", "XDP_DROP", "ratio",
		       opt.repeat, opt.rounds);
	for (i = 0; i < ncase; i++) {
		struct bcase *bc = &cases[i];

		if (bc->policy && !lists) {
			if (fill_policy(skel)) {
				fprintf(stderr, "xgbench: cannot fill lists\n");
				goto out;
			}
			lists = true;
		}
		/* over budget: 1 SYN/s, the first SYN spends the burst;
		 * under budget: a budget no single CPU can exhaust */
		if (strstr(bc->name, "under"))
			ret = set_rate(skel, 100000000, 100000000, lists);
		else
			ret = set_rate(skel, 1, 1, lists);
		if (ret) {
			fprintf(stderr, "xgbench: cannot set the rate\n");
			goto out;
		}
		build(&bc->spec, &pkt);
		prog_ns(gfd, &pkt, 1, NULL);	/* create the bucket */
		ret = prog_pair_ns(&tm, gfd, bfd, &pkt, bc->want, &gm, &bm);
		if (ret == -1) {
			fprintf(stderr, "xgbench: %s: verdict %d, want %d\n",
				bc->name, tm.retval, bc->want);
			goto out;
		}
		if (ret) {
			fprintf(stderr, "xgbench: bare run failed\n");
			goto out;
		}
		if (opt.json)
			printf("%s{\"path\":\"%s\",\"ns\":%.1f,\"bare_ns\":%.1f,"
			       "\"ratio\":%.2f}", i ? "," : "", bc->name, gm,
			       bm, gm / bm);
		else
			printf("%-28s %10.1f %10.1f %6.2fx\n", bc->name, gm, bm,
			       gm / bm);
	}
	/* lists filled but their flags off (set_rate): not looked up */
	rotating_rows(gfd, bfd, skel, 20000, opt.json);
	if (opt.json)
		printf("]\n");
	err = 0;
out:
	free(tm.v);
	free(tm.w);
	xdp_drop_bpf__destroy(bare);
	xdp_guard_bpf__destroy(skel);
	return err;
}
