// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: per-packet cost of the DNS telemetry programs
 * (bpf/tc_dns.bpf.c) through BPF_PROG_TEST_RUN, each beside an empty tc
 * program measured in the same run, interleaved, median of several rounds.
 * Every case leaves its frame unchanged, so runs are repeated inside one
 * call (the timer's overhead left out):
 *   - a query going out (parsed, counted, remembered with its timer);
 *   - a response with two A records coming in (parsed, counted, TTLs, the
 *     name's answer set compared: the same each time; no query matches
 *     after the first run, so the path is the unmatched one plus the
 *     table lookup);
 *   - UDP to port 443 and a TCP ACK to port 80: the cost for what is not
 *     DNS.
 *
 * usage: dnsbench [--repeat N] [--rounds N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/dns.h>
#include "tc_dns.skel.h"
#include "tc_pass.skel.h"
#include "../prog.h"

/* a DNS message in @p's UDP payload; @resp: from port 53, two A records */
static void dns_frame(struct pkt *p, bool resp)
{
	static const __u8 q[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,	/* OPT 1232 */
	};
	static const __u8 a[] = {
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4,
		198, 18, 5, 1,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4,
		198, 18, 5, 2,
	};
	struct spec s = { .src = "198.18.7.1", .proto = IPPROTO_UDP,
			  .payload = sizeof(q) + (resp ? sizeof(a) : 0) };
	__u8 *d;

	build(&s, p);
	d = p->buf + p->l4 + 8;
	memcpy(d, q, sizeof(q));
	if (resp) {
		d[2] = 0x81;			/* QR, RD */
		d[3] = 0x80;			/* RA */
		d[7] = 2;			/* ANCOUNT */
		d[11] = 0;			/* no OPT: answers follow */
		memcpy(d + sizeof(q) - 11, a, sizeof(a));
		p->len -= 11;
		put16(p, p->l4, 53);
		put16(p, p->l4 + 2, 40000);
	}
	finish(p);
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"query_out_udp", "response_in_2A", "udp_443_not_dns",
		"tcp_ack_80_not_dns",
	};
	struct prog_bench_opts opt = { .repeat = 1000000, .rounds = 5 };
	struct tc_dns_bpf *skel = NULL;
	struct tc_pass_bpf *bare = NULL;
	struct prog_timing t = {};
	struct spec s443 = { .src = "198.18.7.1", .proto = IPPROTO_UDP,
			     .dport = 443, .payload = 64 };
	struct spec ack = { .src = "198.18.7.1", .flags = T_ACK,
			    .payload = 64 };
	double ns, bns;
	struct pkt pkt;
	int i, fd, bfd, err = 1;

	if (prog_bench_args(argc, argv, "dnsbench", "rn", &opt))
		return 2;
	prog_pin_cpu(0);
	skel = tc_dns_bpf__open_and_load();
	bare = tc_pass_bpf__open_and_load();
	t = (struct prog_timing){ .repeat = opt.repeat, .calls = 1,
				  .rounds = opt.rounds,
				  .v = calloc(opt.rounds, sizeof(double)),
				  .w = calloc(opt.rounds, sizeof(double)) };
	if (!skel || !bare || !t.v || !t.w) {
		fprintf(stderr, "dnsbench: cannot load the programs: %s\n",
			strerror(errno));
		goto out;
	}
	bfd = bpf_program__fd(bare->progs.tc_pass);
	printf("# BPF_PROG_TEST_RUN, median of %u rounds of %u runs inside "
	       "one call\n", opt.rounds, opt.repeat);
	printf("%-22s %9s %9s %6s\n", "tc path", "ns/pkt", "empty tc",
	       "ratio");
	for (i = 0; i < 4; i++) {
		if (i < 2)
			dns_frame(&pkt, i == 1);
		else
			build(i == 2 ? &s443 : &ack, &pkt);
		fd = bpf_program__fd(i == 0 ? skel->progs.xg_dns_egress :
				     skel->progs.xg_dns_ingress);
		if (prog_pair_ns(&t, fd, bfd, &pkt, -1, &ns, &bns)) {
			fprintf(stderr, "dnsbench: test run failed: %s\n",
				strerror(errno));
			goto out;
		}
		printf("%-22s %9.1f %9.1f %5.2fx\n", names[i], ns, bns,
		       ns / bns);
	}
	err = 0;
out:
	free(t.v);
	free(t.w);
	tc_pass_bpf__destroy(bare);
	tc_dns_bpf__destroy(skel);
	return err;
}
