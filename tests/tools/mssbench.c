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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include <xdpguard/pmtu.h>
#include "tc_mss.skel.h"
#include "tc_pass.skel.h"
#include "../prog.h"

struct bcase {
	const char *name;
	int egress;
	__u8 mode;
	struct spec spec;
	int ptb;		/* build an ICMPv4 PTB instead */
};

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
	struct prog_bench_opts opt = { .calls = 200000, .rounds = 5 };
	__u32 zero = 0;
	struct prog_timing per_call = {}, rep;
	double gm, bm, grm, brm;
	struct pkt pkt;
	int i, fd, bfd, rewrites, err = 1;

	if (prog_bench_args(argc, argv, "mssbench", "cn", &opt))
		return 2;
	prog_pin_cpu(0);
	skel = tc_mss_bpf__open_and_load();
	bare = tc_pass_bpf__open_and_load();
	/* per call: one run a call, @calls calls a sample; repeat: @calls
	 * runs inside one call */
	per_call = (struct prog_timing){ .repeat = 1, .calls = opt.calls,
					 .rounds = opt.rounds,
					 .v = calloc(opt.rounds, sizeof(double)),
					 .w = calloc(opt.rounds, sizeof(double)) };
	rep = per_call;
	rep.repeat = opt.calls;
	rep.calls = 1;
	if (!skel || !bare || !per_call.v || !per_call.w) {
		fprintf(stderr, "mssbench: cannot load the programs: %s\n",
			strerror(errno));
		goto out;
	}
	bfd = bpf_program__fd(bare->progs.tc_pass);
	printf("# BPF_PROG_TEST_RUN, median of %u rounds. Per call: one run "
	       "per syscall, %u calls,\n# the kernel's timing of each run "
	       "(timer overhead included, as for the empty\n# program). "
	       "Repeat: %u runs inside one call, for frames a run leaves "
	       "unchanged.\n", opt.rounds, opt.calls, opt.calls);
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
		/* a clamped SYN rewrites its frame: not repeated */
		rewrites = cases[i].mode == XG_MSS_FIXED &&
			   strstr(cases[i].name, "syn_clamped");
		grm = brm = 0;
		if (prog_pair_ns(&per_call, fd, bfd, &pkt, -1, &gm, &bm) ||
		    (!rewrites &&
		     prog_pair_ns(&rep, fd, bfd, &pkt, -1, &grm, &brm))) {
			fprintf(stderr, "mssbench: test run failed: %s\n",
				strerror(errno));
			goto out;
		}
		printf("%-26s %9.1f %9.1f %5.2fx | ", cases[i].name, gm, bm,
		       gm / bm);
		if (brm > 0)
			printf("%9.1f %9.1f %5.2fx\n", grm, brm, grm / brm);
		else
			printf("%9s %9s %6s\n", "-", "-", "-");
	}
	err = 0;
out:
	free(per_call.v);
	free(per_call.w);
	tc_pass_bpf__destroy(bare);
	tc_mss_bpf__destroy(skel);
	return err;
}
