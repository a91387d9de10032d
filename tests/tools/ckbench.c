// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, SYN cookies: per-packet cost of the cookie paths through
 * BPF_PROG_TEST_RUN, each beside a bare XDP_DROP program measured in the
 * same run, interleaved, median of several rounds.
 *
 * A SYN is answered in place (the frame becomes the SYN-ACK), so a run
 * with repeat > 1 would feed the SYN-ACK back in. The SYN paths are
 * timed two ways: with repeat N behind ckbench.bpf.c's restore program
 * (it puts the SYN back and tail-calls the guard; the yardstick is the
 * same restore tail-calling XDP_DROP), and one run per call (repeat 1,
 * the kernel's own per-run time, cold caches included) beside the bare
 * program timed the same way. The ACK paths leave the frame alone and
 * are timed with repeat N. The programs look sockets up in a network
 * namespace of this process (unshare) with listeners on PORT.
 *
 * usage: ckbench [--repeat N] [--calls N] [--rounds N] [--json]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include "xdp_guard.skel.h"
#include "tc_cookie.skel.h"
#include "xdp_drop.skel.h"
#include "ckbench.skel.h"
#include "../prog.h"

#define PORT 8080

static struct prog_bench_opts opt = { .repeat = 2000000, .calls = 20000,
				     .rounds = 5 };

/* median over @calls single runs; @vary changes the frame before each */
static double single_ns(int fd, struct pkt *p, int want,
			void (*vary)(struct pkt *, __u32), double *v)
{
	__u32 i;
	int ret;

	for (i = 0; i < opt.calls; i++) {
		if (vary)
			vary(p, i);
		v[i] = prog_ns(fd, p, 1, &ret);
		if (v[i] < 0 || (want >= 0 && ret != want))
			return -1;
	}
	return prog_median(v, opt.calls);
}

/* a new source address for every SYN (the budget makes a bucket) */
static void new_source(struct pkt *p, __u32 i)
{
	struct spec s = { .src = "198.19.0.1", .flags = T_SYN, .tcpopt = 20,
			  .dport = PORT };
	struct iphdr *ip;

	build(&s, p);
	ip = (struct iphdr *)(p->buf + p->l3);
	ip->saddr = htonl(0xc6130000 | (i & 0xffff)) ^ htonl(i >> 16 << 24);
	finish(p);
}

/* restore + tail call into @prog_fd, with @p as the template */
static int restore_to(struct ckbench_bpf *ck, int prog_fd,
		      const struct pkt *p)
{
	struct { __u32 len; __u32 w[32]; } t = {};
	__u32 zero = 0;

	if (p->len > sizeof(t.w) || p->len & 1)
		return -1;
	t.len = p->len;
	memcpy(t.w, p->buf, p->len);
	if (bpf_map_update_elem(bpf_map__fd(ck->maps.ck_tmpl), &zero, &t,
				BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(ck->maps.ck_progs), &zero,
				&prog_fd, BPF_ANY))
		return -1;
	return 0;
}

/* median of rounds: restore + @prog and restore + bare, interleaved */
static int restored_ns(struct ckbench_bpf *ck, int prog_fd, int bare_fd,
		       const struct pkt *p, int want, double *v, double *w,
		       double *ns, double *bare)
{
	int rfd = bpf_program__fd(ck->progs.ck_restore), ret;
	__u32 i;

	for (i = 0; i < opt.rounds; i++) {
		if (restore_to(ck, prog_fd, p))
			return -1;
		v[i] = prog_ns(rfd, p, opt.repeat, &ret);
		if (v[i] < 0 || ret != want)
			return -1;
		if (restore_to(ck, bare_fd, p))
			return -1;
		w[i] = prog_ns(rfd, p, opt.repeat, &ret);
		if (w[i] < 0 || ret != XDP_DROP)
			return -1;
	}
	*ns = prog_median(v, opt.rounds);
	*bare = prog_median(w, opt.rounds);
	return 0;
}

struct result {
	const char *path;
	double ns, bare;
	const char *how;
};

int main(int argc, char **argv)
{
	struct xg_cookie_cfg cc = {
		.flags = XG_CKF_TS | XG_CKF_SACK | XG_CKF_WSCALE,
		.mss4 = 1460, .mss6 = 1440, .wscale = 7, .ttl = 64,
	};
	struct xg_config cfg = { .rate = { 0, 1 },
				 .flags = XG_F_ENABLED | XG_F_COOKIES };
	struct xg_cookie_port on = { .mode = XG_CK_ON };
	struct spec s4 = { .src = "198.18.7.1", .flags = T_SYN, .tcpopt = 20,
			   .dport = PORT };
	struct spec s6 = { .src = "2001:db8:7::1", .flags = T_SYN,
			   .tcpopt = 20, .dport = PORT };
	struct result res[16];
	struct xdp_guard_bpf *g = NULL;
	struct tc_cookie_bpf *t = NULL;
	struct xdp_drop_bpf *d = NULL;
	struct ckbench_bpf *ck = NULL;
	double rns, rbare;
	struct pkt syn4, syn6, out, ack_ok, ack_bad, ack_est;
	struct prog_timing tm;
	struct prog_res pr;
	struct tcphdr *th;
	double *v = NULL, *w = NULL, bare1, bareN;
	__u32 zero = 0, cookie, tsval;
	__u16 port = PORT;
	int i, n = 0, gfd, tfd, dfd, err = 1, cfd;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	struct sockaddr_in local;
	socklen_t sl = sizeof(local);

	if (prog_bench_args(argc, argv, "ckbench", "rcnj", &opt))
		return 2;
	prog_pin_cpu(0);
	if (unshare(CLONE_NEWNET) || system("ip link set lo up") ||
	    prog_listen(AF_INET, PORT, 64) < 0 ||
	    prog_listen(AF_INET6, PORT, 64) < 0) {
		fprintf(stderr, "ckbench: cannot set up a namespace with "
			"listeners: %s\n", strerror(errno));
		return 1;
	}
	g = xdp_guard_bpf__open_and_load();
	d = xdp_drop_bpf__open_and_load();
	ck = ckbench_bpf__open_and_load();
	t = tc_cookie_bpf__open();
	v = calloc(opt.calls > opt.rounds ? opt.calls : opt.rounds, sizeof(double));
	w = calloc(opt.calls > opt.rounds ? opt.calls : opt.rounds, sizeof(double));
	if (!g || !d || !t || !ck || !v || !w ||
	    bpf_map__reuse_fd(t->maps.xg_config,
			      bpf_map__fd(g->maps.xg_config)) ||
	    bpf_map__reuse_fd(t->maps.xg_counters,
			      bpf_map__fd(g->maps.xg_counters)) ||
	    bpf_map__reuse_fd(t->maps.xg_cookie_ports,
			      bpf_map__fd(g->maps.xg_cookie_ports)) ||
	    bpf_map__reuse_fd(t->maps.xg_cookie_cfg,
			      bpf_map__fd(g->maps.xg_cookie_cfg)) ||
	    bpf_map__reuse_fd(t->maps.xg_cookie_key,
			      bpf_map__fd(g->maps.xg_cookie_key)) ||
	    tc_cookie_bpf__load(t)) {
		fprintf(stderr, "ckbench: cannot load the programs: %s\n",
			strerror(errno));
		goto out;
	}
	gfd = bpf_program__fd(g->progs.xdpguard);
	tfd = bpf_program__fd(t->progs.xg_tc_cookie);
	dfd = bpf_program__fd(d->progs.xdp_drop);
	if (bpf_map_update_elem(bpf_map__fd(g->maps.xg_config), &zero, &cfg,
				BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(g->maps.xg_cookie_cfg), &zero,
				&cc, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(g->maps.xg_cookie_ports), &port,
				&on, BPF_ANY) ||
	    prog_cookie_key(bpf_map__fd(g->maps.xg_cookie_key)))
		goto out;

	/* the SYN-ACK of syn4 gives a valid cookie for the ACK cases */
	build(&s4, &syn4);
	build(&s6, &syn6);
	if (prog_run(gfd, &syn4, 1, &out, &pr) || pr.retval != XDP_TX)
		goto out;
	th = (struct tcphdr *)(out.buf + syn4.l4);
	cookie = ntohl(th->seq);
	memcpy(&tsval, out.buf + syn4.l4 + 28, 4);
	tsval = ntohl(tsval);
	s4.flags = T_ACK;
	s4.tcpopt = 12;
	build(&s4, &ack_ok);
	th = (struct tcphdr *)(ack_ok.buf + ack_ok.l4);
	th->seq = htonl(1001);
	th->ack_seq = htonl(cookie + 1);
	memcpy(th + 1, "\x01\x01\x08\x0a\x00\x00\x00\x02", 8);
	tsval = htonl(tsval);
	memcpy((__u8 *)(th + 1) + 8, &tsval, 4);
	finish(&ack_ok);
	ack_bad = ack_ok;
	th = (struct tcphdr *)(ack_bad.buf + ack_bad.l4);
	th->ack_seq = htonl(cookie + 77);
	finish(&ack_bad);
	/* an ACK of a real connection on the cookie port */
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(cfd, (struct sockaddr *)&local, &sl))
		goto out;
	s4.src = "127.0.0.1";
	s4.tcpopt = 0;
	s4.payload = 64;
	build(&s4, &ack_est);
	((struct iphdr *)(ack_est.buf + ack_est.l3))->daddr =
		sa.sin_addr.s_addr;
	((struct tcphdr *)(ack_est.buf + ack_est.l4))->source =
		local.sin_port;
	finish(&ack_est);

	/* repeat N behind the restore program */
	if (restored_ns(ck, gfd, dfd, &syn4, XDP_TX, v, w, &rns, &rbare))
		goto out;
	res[n++] = (struct result){ "syn_to_synack_v4", rns, rbare,
				    "N, restore" };
	if (restored_ns(ck, gfd, dfd, &syn6, XDP_TX, v, w, &rns, &rbare))
		goto out;
	res[n++] = (struct result){ "syn_to_synack_v6", rns, rbare,
				    "N, restore" };

	/* one run per call */
	bare1 = single_ns(dfd, &syn4, XDP_DROP, NULL, v);
	res[n++] = (struct result){ "syn_to_synack_v4",
		single_ns(gfd, &syn4, XDP_TX, NULL, w), bare1, "1" };
	/* with a per-source budget: every SYN from a new source */
	cfg.rate.pps = 100;
	cfg.rate.burst = 100;
	bpf_map_update_elem(bpf_map__fd(g->maps.xg_config), &zero, &cfg,
			    BPF_ANY);
	res[n++] = (struct result){ "syn_to_synack_v4+budget",
		single_ns(gfd, &syn4, XDP_TX, new_source, w), bare1, "1" };
	res[n++] = (struct result){ "xdp_drop (repeat 1)",
		single_ns(dfd, &syn4, XDP_DROP, NULL, w), bare1, "1" };
	cfg.rate.pps = 0;
	bpf_map_update_elem(bpf_map__fd(g->maps.xg_config), &zero, &cfg,
			    BPF_ANY);

	/* repeat N */
	tm = (struct prog_timing){ .repeat = opt.repeat, .rounds = opt.rounds,
				   .v = v, .w = w };
	bareN = prog_median_ns(&tm, dfd, &ack_ok, XDP_DROP);
	res[n++] = (struct result){ "ack_valid_cookie_pass",
		prog_median_ns(&tm, gfd, &ack_ok, XDP_PASS), bareN, "N" };
	res[n++] = (struct result){ "ack_bad_cookie_drop",
		prog_median_ns(&tm, gfd, &ack_bad, XDP_DROP), bareN, "N" };
	res[n++] = (struct result){ "ack_established_pass",
		prog_median_ns(&tm, gfd, &ack_est, XDP_PASS), bareN, "N" };
	res[n++] = (struct result){ "tc_handoff_to_kfunc",
		prog_median_ns(&tm, tfd, &ack_ok, -1), bareN, "N" };
	res[n++] = (struct result){ "tc_established_pass",
		prog_median_ns(&tm, tfd, &ack_est, -1), bareN, "N" };

	if (opt.json)
		printf("[");
	else
		printf("%-26s %9s %9s %7s %9s  (BPF_PROG_TEST_RUN; 1: one run "
		       "per call, median of %u calls; N: repeat %u, median "
		       "of %u)\n", "path", "ns/pkt", "XDP_DROP", "ratio",
		       "extra ns", opt.calls, opt.repeat, opt.rounds);
	for (i = 0; i < n; i++) {
		if (res[i].ns < 0) {
			fprintf(stderr, "ckbench: %s failed\n", res[i].path);
			goto out;
		}
		if (opt.json)
			printf("%s{\"path\":\"%s\",\"ns\":%.1f,"
			       "\"bare_ns\":%.1f,\"ratio\":%.2f,"
			       "\"timing\":\"%s\"}", i ? "," : "", res[i].path,
			       res[i].ns, res[i].bare, res[i].ns / res[i].bare,
			       res[i].how);
		else
			printf("%-26s %9.1f %9.1f %6.2fx %9.1f  %s\n",
			       res[i].path, res[i].ns, res[i].bare,
			       res[i].ns / res[i].bare,
			       res[i].ns - res[i].bare, res[i].how);
	}
	if (opt.json)
		printf("]\n");
	err = 0;
out:
	if (err)
		fprintf(stderr, "ckbench: setup failed\n");
	free(v);
	free(w);
	tc_cookie_bpf__destroy(t);
	xdp_drop_bpf__destroy(d);
	ckbench_bpf__destroy(ck);
	xdp_guard_bpf__destroy(g);
	return err;
}
