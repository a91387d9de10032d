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
#include <getopt.h>
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
#include "../pkt.h"

#define PORT 8080

static __u32 repeat = 2000000, calls = 20000, rounds = 5;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ns per run of @fd on @p (repeat @rep); -1 on error */
static double run_ns(int fd, const struct pkt *p, __u32 rep, int *ret)
{
	static __u8 out[PKT_MAX + 512];
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = p->buf,
		.data_size_in = p->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = rep,
	);

	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	*ret = o.retval;
	return o.duration;
}

/* median over @calls single runs; @vary changes the frame before each */
static double single_ns(int fd, struct pkt *p, int want,
			void (*vary)(struct pkt *, __u32), double *v)
{
	__u32 i;
	int ret;

	for (i = 0; i < calls; i++) {
		if (vary)
			vary(p, i);
		v[i] = run_ns(fd, p, 1, &ret);
		if (v[i] < 0 || (want >= 0 && ret != want))
			return -1;
	}
	qsort(v, calls, sizeof(*v), cmp_double);
	return v[calls / 2];
}

static double rep_ns(int fd, const struct pkt *p, int want, double *v)
{
	__u32 i;
	int ret;

	for (i = 0; i < rounds; i++) {
		v[i] = run_ns(fd, p, repeat, &ret);
		if (v[i] < 0 || (want >= 0 && ret != want))
			return -1;
	}
	qsort(v, rounds, sizeof(*v), cmp_double);
	return v[rounds / 2];
}

static int listen_on(int family)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(PORT) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	int fd = socket(family, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, family == AF_INET ? (struct sockaddr *)&a4 :
		 (struct sockaddr *)&a6, family == AF_INET ? sizeof(a4) :
		 sizeof(a6)) || listen(fd, 64))
		return -1;
	return fd;
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

	for (i = 0; i < rounds; i++) {
		if (restore_to(ck, prog_fd, p))
			return -1;
		v[i] = run_ns(rfd, p, repeat, &ret);
		if (v[i] < 0 || ret != want)
			return -1;
		if (restore_to(ck, bare_fd, p))
			return -1;
		w[i] = run_ns(rfd, p, repeat, &ret);
		if (w[i] < 0 || ret != XDP_DROP)
			return -1;
	}
	qsort(v, rounds, sizeof(*v), cmp_double);
	qsort(w, rounds, sizeof(*w), cmp_double);
	*ns = v[rounds / 2];
	*bare = w[rounds / 2];
	return 0;
}

struct result {
	const char *path;
	double ns, bare;
	const char *how;
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "calls", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
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
	struct tcphdr *th;
	double *v = NULL, *w = NULL, bare1, bareN;
	__u32 zero = 0, cookie, tsval;
	__u16 port = PORT;
	bool json = false;
	cpu_set_t cpus;
	int c, i, n = 0, gfd, tfd, dfd, ret, err = 1, cfd;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	struct sockaddr_in local;
	socklen_t sl = sizeof(local);

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			calls = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'j':
			json = true;
			break;
		default:
			fprintf(stderr, "usage: ckbench [--repeat N] "
				"[--calls N] [--rounds N] [--json]\n");
			return 2;
		}
	}
	if (!repeat || !calls || !rounds || rounds > 100) {
		fprintf(stderr, "ckbench: --repeat, --calls >= 1, --rounds "
			"1..100\n");
		return 2;
	}
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (unshare(CLONE_NEWNET) || system("ip link set lo up") ||
	    listen_on(AF_INET) < 0 || listen_on(AF_INET6) < 0) {
		fprintf(stderr, "ckbench: cannot set up a namespace with "
			"listeners: %s\n", strerror(errno));
		return 1;
	}
	g = xdp_guard_bpf__open_and_load();
	d = xdp_drop_bpf__open_and_load();
	ck = ckbench_bpf__open_and_load();
	t = tc_cookie_bpf__open();
	v = calloc(calls > rounds ? calls : rounds, sizeof(double));
	w = calloc(calls > rounds ? calls : rounds, sizeof(double));
	if (!g || !d || !t || !ck || !v || !w ||
	    bpf_map__reuse_fd(t->maps.xg_config,
			      bpf_map__fd(g->maps.xg_config)) ||
	    bpf_map__reuse_fd(t->maps.xg_counters,
			      bpf_map__fd(g->maps.xg_counters)) ||
	    bpf_map__reuse_fd(t->maps.xg_cookie_ports,
			      bpf_map__fd(g->maps.xg_cookie_ports)) ||
	    bpf_map__reuse_fd(t->maps.xg_cookie_cfg,
			      bpf_map__fd(g->maps.xg_cookie_cfg)) ||
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
				&on, BPF_ANY))
		goto out;

	/* the SYN-ACK of syn4 gives a valid cookie for the ACK cases */
	build(&s4, &syn4);
	build(&s6, &syn6);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = syn4.buf,
			    .data_size_in = syn4.len, .data_out = out.buf,
			    .data_size_out = sizeof(out.buf), .repeat = 1);

		if (bpf_prog_test_run_opts(gfd, &o) || o.retval != XDP_TX)
			goto out;
		out.len = o.data_size_out;
	}
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
	bareN = rep_ns(dfd, &ack_ok, XDP_DROP, v);
	res[n++] = (struct result){ "ack_valid_cookie_pass",
		rep_ns(gfd, &ack_ok, XDP_PASS, w), bareN, "N" };
	res[n++] = (struct result){ "ack_bad_cookie_drop",
		rep_ns(gfd, &ack_bad, XDP_DROP, w), bareN, "N" };
	res[n++] = (struct result){ "ack_established_pass",
		rep_ns(gfd, &ack_est, XDP_PASS, w), bareN, "N" };
	res[n++] = (struct result){ "tc_handoff_to_kfunc",
		rep_ns(tfd, &ack_ok, -1, w), bareN, "N" };
	res[n++] = (struct result){ "tc_established_pass",
		rep_ns(tfd, &ack_est, -1, w), bareN, "N" };
	(void)ret;

	if (json)
		printf("[");
	else
		printf("%-26s %9s %9s %7s %9s  (BPF_PROG_TEST_RUN; 1: one run "
		       "per call, median of %u calls; N: repeat %u, median "
		       "of %u)\n", "path", "ns/pkt", "XDP_DROP", "ratio",
		       "extra ns", calls, repeat, rounds);
	for (i = 0; i < n; i++) {
		if (res[i].ns < 0) {
			fprintf(stderr, "ckbench: %s failed\n", res[i].path);
			goto out;
		}
		if (json)
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
	if (json)
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
