// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: per-packet cost of the tc programs (bpf/tc_mss.bpf.c) through
 * BPF_PROG_TEST_RUN, each beside an empty tc program measured in the same
 * run, interleaved, median of several rounds.
 *
 * A run that rewrites its frame (the clamped SYN) cannot be repeated inside
 * the kernel (the second pass would find the MSS already clamped), so every
 * case is timed the same way: one run per call, the kernel's own duration
 * of that run, averaged over --calls calls. Frames a run leaves unchanged
 * are also timed with --calls runs inside one call (repeat), which leaves
 * the timer's overhead out.
 *
 * usage: mssbench [--calls N] [--rounds N]
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
#include <xdpguard/pmtu.h>
#include "tc_mss.skel.h"
#include "tc_pass.skel.h"
#include "../pkt.h"

struct bcase {
	const char *name;
	int egress;
	__u8 mode;
	struct spec spec;
	int ptb;		/* build an ICMPv4 PTB instead */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Mean kernel-measured ns of one run of @fd on @p, over @calls calls. */
static double run_ns(int fd, const struct pkt *p, __u32 calls)
{
	__u8 out[PKT_MAX + 64];
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < calls; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o,
			.data_in = p->buf,
			.data_size_in = p->len,
			.data_out = out,
			.data_size_out = sizeof(out),
			.repeat = 1,
		);

		if (bpf_prog_test_run_opts(fd, &o))
			return -1;
		sum += o.duration;
	}
	return (double)sum / calls;
}

/* The kernel's mean over @repeat runs inside one call (frame unchanged). */
static double rep_ns(int fd, const struct pkt *p, __u32 repeat)
{
	__u8 out[PKT_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = p->buf,
		.data_size_in = p->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = repeat,
	);

	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	return o.duration;
}

static void ptb_frame(struct pkt *p)
{
	struct spec s = { .src = "198.18.20.1", .proto = IPPROTO_ICMP,
			  .payload = 8 + 28 };
	__u8 *icmp;

	build(&s, p);
	icmp = p->buf + p->l4;
	icmp[0] = 3;
	icmp[1] = 4;
	icmp[6] = 1400 >> 8;
	icmp[7] = 1400 & 0xff;
	icmp[8] = 0x45;
	inet_pton(AF_INET, "198.18.30.2", icmp + 8 + 16);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "calls", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'n' },
		{}
	};
	struct bcase cases[] = {
		{ "tcp_ack_clamp_on", 0, XG_MSS_FIXED, { .src = "198.18.7.3",
			.flags = T_ACK, .payload = 64 }, 0 },
		{ "syn_clamped_1460_to_1360", 0, XG_MSS_FIXED, {
			.src = "198.18.7.1", .flags = T_SYN, .tcpopt = 20 }, 0 },
		{ "syn_clamp_off", 0, XG_MSS_OFF, { .src = "198.18.7.1",
			.flags = T_SYN, .tcpopt = 20 }, 0 },
		{ "syn_clamped_v6", 0, XG_MSS_FIXED, { .src = "2001:db8:7::1",
			.flags = T_SYN, .tcpopt = 20 }, 0 },
		{ "ptb_v4_accounted", 0, XG_MSS_OFF, {}, 1 },
		{ "egress_1400b_segment", 1, XG_MSS_FIXED, {
			.src = "198.18.7.3", .flags = T_ACK, .payload = 1400 }, 0 },
	};
	int ncase = sizeof(cases) / sizeof(cases[0]);
	struct tc_mss_bpf *skel = NULL;
	struct tc_pass_bpf *bare = NULL;
	__u32 calls = 200000, rounds = 5, zero = 0;
	double *g, *b, *gr, *br, gm, bm;
	struct pkt pkt;
	cpu_set_t cpus;
	int c, i, r, fd, bfd, err = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			calls = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			rounds = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: mssbench [--calls N] "
				"[--rounds N]\n");
			return 2;
		}
	}
	if (!calls || !rounds || rounds > 100) {
		fprintf(stderr, "mssbench: --calls >= 1, --rounds 1..100\n");
		return 2;
	}
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	skel = tc_mss_bpf__open_and_load();
	bare = tc_pass_bpf__open_and_load();
	g = calloc(rounds, sizeof(double));
	b = calloc(rounds, sizeof(double));
	gr = calloc(rounds, sizeof(double));
	br = calloc(rounds, sizeof(double));
	if (!skel || !bare || !g || !b || !gr || !br) {
		fprintf(stderr, "mssbench: cannot load the programs: %s\n",
			strerror(errno));
		goto out;
	}
	bfd = bpf_program__fd(bare->progs.tc_pass);
	printf("# BPF_PROG_TEST_RUN, median of %u rounds. Per call: one run "
	       "per syscall, %u calls,\n# the kernel's timing of each run "
	       "(timer overhead included, as for the empty\n# program). "
	       "Repeat: %u runs inside one call, for frames a run leaves "
	       "unchanged.\n", rounds, calls, calls);
	printf("%-26s %9s %9s %6s | %9s %9s %6s\n", "tc path", "per call",
	       "empty tc", "ratio", "repeat", "empty tc", "ratio");
	for (i = 0; i < ncase; i++) {
		struct xg_pm_cfg cfg = { .mss = 1360, .mode = cases[i].mode,
					 .dirs = XG_DIR_BOTH,
					 .flags = XG_PM_F_PTB | XG_PM_F_BH };

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_pm_cfg),
					&zero, &cfg, BPF_ANY))
			goto out;
		if (cases[i].ptb)
			ptb_frame(&pkt);
		else
			build(&cases[i].spec, &pkt);
		fd = bpf_program__fd(cases[i].egress ? skel->progs.xg_tc_egress :
				     skel->progs.xg_tc_ingress);
		for (r = 0; r < (int)rounds; r++) {
			g[r] = run_ns(fd, &pkt, calls);
			b[r] = run_ns(bfd, &pkt, calls);
			gr[r] = br[r] = 0;
			if (cases[i].mode == XG_MSS_FIXED &&
			    strstr(cases[i].name, "syn_clamped"))
				continue;	/* it rewrites its frame */
			gr[r] = rep_ns(fd, &pkt, calls);
			br[r] = rep_ns(bfd, &pkt, calls);
			if (g[r] < 0 || b[r] < 0 || gr[r] < 0 || br[r] < 0) {
				fprintf(stderr, "mssbench: test run failed: "
					"%s\n", strerror(errno));
				goto out;
			}
		}
		qsort(g, rounds, sizeof(double), cmp_double);
		qsort(b, rounds, sizeof(double), cmp_double);
		qsort(gr, rounds, sizeof(double), cmp_double);
		qsort(br, rounds, sizeof(double), cmp_double);
		gm = g[rounds / 2];
		bm = b[rounds / 2];
		printf("%-26s %9.1f %9.1f %5.2fx | ", cases[i].name, gm, bm,
		       gm / bm);
		if (br[rounds / 2] > 0)
			printf("%9.1f %9.1f %5.2fx\n", gr[rounds / 2],
			       br[rounds / 2], gr[rounds / 2] / br[rounds / 2]);
		else
			printf("%9s %9s %6s\n", "-", "-", "-");
	}
	err = 0;
out:
	free(g);
	free(b);
	free(gr);
	free(br);
	tc_pass_bpf__destroy(bare);
	tc_mss_bpf__destroy(skel);
	return err;
}
