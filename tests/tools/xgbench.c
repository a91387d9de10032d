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
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include "xdp_guard.skel.h"
#include "xdp_drop.skel.h"
#include "../pkt.h"

struct bcase {
	const char *name;
	struct spec spec;
	int want;		/* expected XDP verdict */
	int policy;		/* populate allow/deny lists first */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Average ns per run of @fd on @p over @repeat runs; -1 on error. */
static double run_ns(int fd, const struct pkt *p, __u32 repeat, int *ret)
{
	__u8 out[PKT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = p->buf,
		.data_size_in = p->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = repeat,
	);

	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	*ret = o.retval;
	return o.duration;
}

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
	return 0;
}

static int set_rate(struct xdp_guard_bpf *skel, __u32 pps, __u32 burst,
		    bool lists)
{
	struct xg_config cfg = {
		.rate = { pps, burst },
		.flags = XG_F_ENABLED | (lists ? XG_F_LISTS : 0),
		.event_budget = 1000,
	};
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.xg_config), &zero,
				   &cfg, BPF_ANY);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
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
	__u32 repeat = 2000000, rounds = 5;
	double *g, *b, gm, bm;
	bool json = false, lists = false;
	struct pkt pkt;
	cpu_set_t cpus;
	int c, i, r, ret, gfd, bfd, err = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'j':
			json = true;
			break;
		default:
			fprintf(stderr, "usage: xgbench [--repeat N] "
				"[--rounds N] [--json]\n");
			return 2;
		}
	}
	if (!repeat || !rounds || rounds > 100) {
		fprintf(stderr, "xgbench: --repeat >= 1, --rounds 1..100\n");
		return 2;
	}
	/* one CPU: the per-CPU maps and the cache stay put */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	skel = xdp_guard_bpf__open_and_load();
	bare = xdp_drop_bpf__open_and_load();
	g = calloc(rounds, sizeof(double));
	b = calloc(rounds, sizeof(double));
	if (!skel || !bare || !g || !b) {
		fprintf(stderr, "xgbench: cannot load the programs: %s\n",
			strerror(errno));
		goto out;
	}
	gfd = bpf_program__fd(skel->progs.xdpguard);
	bfd = bpf_program__fd(bare->progs.xdp_drop);
	if (json)
		printf("[");
	else
		printf("%-28s %10s %10s %7s   (BPF_PROG_TEST_RUN, repeat %u, "
		       "median of %u)\n", "path", "ns/pkt", "XDP_DROP", "ratio",
		       repeat, rounds);
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
		run_ns(gfd, &pkt, 1, &ret);	/* create the bucket */
		for (r = 0; r < (int)rounds; r++) {
			g[r] = run_ns(gfd, &pkt, repeat, &ret);
			if (g[r] < 0 || ret != bc->want) {
				fprintf(stderr, "xgbench: %s: verdict %d, "
					"want %d\n", bc->name, ret, bc->want);
				goto out;
			}
			b[r] = run_ns(bfd, &pkt, repeat, &ret);
			if (b[r] < 0) {
				fprintf(stderr, "xgbench: bare run failed\n");
				goto out;
			}
		}
		qsort(g, rounds, sizeof(double), cmp_double);
		qsort(b, rounds, sizeof(double), cmp_double);
		gm = g[rounds / 2];
		bm = b[rounds / 2];
		if (json)
			printf("%s{\"path\":\"%s\",\"ns\":%.1f,\"bare_ns\":%.1f,"
			       "\"ratio\":%.2f}", i ? "," : "", bc->name, gm,
			       bm, gm / bm);
		else
			printf("%-28s %10.1f %10.1f %6.2fx\n", bc->name, gm, bm,
			       gm / bm);
	}
	if (json)
		printf("]\n");
	err = 0;
out:
	free(g);
	free(b);
	xdp_drop_bpf__destroy(bare);
	xdp_guard_bpf__destroy(skel);
	return err;
}
