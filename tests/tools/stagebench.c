// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: where a spoofed SYN's time goes in the XDP guard. One copy
 * of the program per stage (xg_stages.bpf.c, the guard's own source with
 * its bench stops: bench_stop, enum xg_bench_stop, makes the SYN stop
 * with XDP_DROP at the end of that stage), the default attach's
 * settings plus cookies on for the SYN's port, timed three ways through
 * BPF_PROG_TEST_RUN, each beside a bare XDP_DROP timed the same way:
 *
 *   warm  repeat N behind ckbench.bpf.c's restore program (one source,
 *         everything in cache), minus restore + XDP_DROP;
 *   16    one run per call (repeat 1), the source rotated over 16;
 *   new   one run per call, a new source every call (16M and more);
 *   port  one run per call, the source rotated over 16 and a new source
 *         port every call: a known source slot but a new 4-tuple (the
 *         socket lookup's established-table bucket a cold one),
 *
 * the one-run columns minus a bare XDP_DROP's one run. A stage's own
 * cost is its row minus the row above. The programs look sockets up in
 * a network namespace of this process (unshare) with listeners on PORT.
 *
 * usage: stagebench [--repeat N] [--calls N] [--rounds N]
 *        stagebench --live IFACE STOP PPS BURST
 *
 * --live attaches the program of stage STOP (enum xg_bench_stop, 0 the
 * whole path), with a budget of PPS/BURST, to IFACE in this process's
 * network namespace (native XDP, replacing what is there), until SIGINT
 * or SIGTERM; the isolated-core bench times it under a real flood. It
 * prints "ready" and the program's id once attached.
 * XG_STAGE_SLOTS=N (a power of two) sizes the source table (default
 * 65536, the attach's): how a new source's cost grows with the table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include "xg_stages.skel.h"
#include "xdp_drop.skel.h"
#include "ckbench.skel.h"
#include "../prog.h"

#define PORT 8080

static struct prog_bench_opts opt = { .repeat = 1000000, .calls = 20000,
				     .rounds = 5 };

static const struct {
	__u32 stop;
	const char *name;
} stages[] = {
	{ XG_STOP_PARSE, "config, parse, deny, is a SYN" },
	{ XG_STOP_BUDGET, "+ source slot, budget" },
	{ XG_STOP_PORT, "+ port's cookie state" },
	{ XG_STOP_CSUM, "+ IP and TCP checksums" },
	{ XG_STOP_LISTENER, "+ socket lookup" },
	{ XG_STOP_COOKIE, "+ options, cookie helper" },
	{ XG_STOP_BUILD, "+ SYN-ACK headers, checksums" },
	{ XG_STOP_NONE, "+ resize, write, XDP_TX (all)" },
};

/* the SYN from source @i of 198.18.0.0/15 and 10/8 beyond (test runs
 * only: nothing is sent) */
static void syn_from(struct pkt *p, __u32 i, __u16 sport)
{
	struct spec s = { .src = "198.19.0.1", .flags = T_SYN, .tcpopt = 20,
			  .dport = PORT };
	struct iphdr *ip;

	build(&s, p);
	ip = (struct iphdr *)(p->buf + p->l3);
	ip->saddr = i < (1U << 17) ? htonl(0xc6120000 | i) :
		    htonl(0x0a000000 | (i & 0xffffff));
	if (sport)
		((struct tcphdr *)(p->buf + p->l4))->source = htons(sport);
	finish(p);
}

/*
 * median of @calls one-shot runs; @nsrc 0: a new source each call;
 * @newport: a new source port each call
 */
static double single_ns(int fd, __u32 nsrc, bool newport, int want,
			double *v)
{
	static __u32 next = 1U << 17;	/* never the same source twice */
	static __u16 port = 1024;
	struct pkt p;
	__u32 i;
	int ret;

	for (i = 0; i < opt.calls; i++) {
		if (newport && ++port < 1024)
			port = 1024;
		syn_from(&p, nsrc ? i % nsrc : next++ * 2654435761U >> 8,
			 newport ? port : 0);
		v[i] = prog_ns(fd, &p, 1, &ret);
		if (v[i] < 0 || (want >= 0 && ret != want))
			return -1;
	}
	return prog_median(v, opt.calls);
}

static int restore_to(struct ckbench_bpf *ck, int prog_fd,
		      const struct pkt *p)
{
	struct { __u32 len; __u32 w[32]; } t = {};
	__u32 zero = 0;

	t.len = p->len;
	memcpy(t.w, p->buf, p->len);
	return bpf_map_update_elem(bpf_map__fd(ck->maps.ck_tmpl), &zero, &t,
				   BPF_ANY) ||
	       bpf_map_update_elem(bpf_map__fd(ck->maps.ck_progs), &zero,
				   &prog_fd, BPF_ANY);
}

/* repeat N behind restore: @fd's median minus restore + XDP_DROP's */
static double warm_ns(struct ckbench_bpf *ck, int fd, int dfd,
		      const struct pkt *p, int want, double *v, double *w)
{
	int rfd = bpf_program__fd(ck->progs.ck_restore), ret;
	__u32 i;

	for (i = 0; i < opt.rounds; i++) {
		if (restore_to(ck, fd, p))
			return -1;
		v[i] = prog_ns(rfd, p, opt.repeat, &ret);
		if (v[i] < 0 || ret != want || restore_to(ck, dfd, p))
			return -1;
		w[i] = prog_ns(rfd, p, opt.repeat, &ret);
		if (w[i] < 0)
			return -1;
	}
	return prog_median(v, opt.rounds) - prog_median(w, opt.rounds);
}

/* one copy of the guard stopping at @stop, set up as attach + cookies */
static __u32 slots;

static struct xg_rate rate = { 100000000, 100000000 };

static struct xg_stages_bpf *load_stage(__u32 stop)
{
	struct xg_cookie_cfg cc = {
		.flags = XG_CKF_TS | XG_CKF_SACK | XG_CKF_WSCALE,
		.mss4 = 1460, .mss6 = 1440, .wscale = 7, .ttl = 64,
	};
	/* a budget per source (the default attach has one) that no source
	 * here reaches, so that every SYN goes the whole way (--live: the
	 * one given); the socket record read, as attach does, and empty
	 * (the copy's own): no source here has a socket */
	struct xg_config cfg = { .rate = rate, .event_budget = 1000,
				 .flags = XG_F_ENABLED | XG_F_COOKIES |
					  XG_F_PEERS };
	struct xg_cookie_port on = { .mode = XG_CK_ON };
	struct xg_stages_bpf *g = xg_stages_bpf__open();
	__u16 port = PORT;
	__u32 zero = 0;

	if (!g)
		return NULL;
	g->rodata->bench_stop = stop;
	if (slots) {
		bpf_map__set_max_entries(g->maps.xg_buckets, slots);
		bpf_map__set_max_entries(g->maps.xg_src_hot, slots);
		g->rodata->src_mask = slots - 1;
	}
	g->rodata->src_seed = 0x5eed;
	if (xg_stages_bpf__load(g) ||
	    bpf_map_update_elem(bpf_map__fd(g->maps.xg_config), &zero, &cfg,
				BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(g->maps.xg_cookie_cfg), &zero,
				&cc, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(g->maps.xg_cookie_ports), &port,
				&on, BPF_ANY) ||
	    prog_cookie_key(bpf_map__fd(g->maps.xg_cookie_key))) {
		xg_stages_bpf__destroy(g);
		return NULL;
	}
	return g;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* --live IFACE STOP PPS BURST */
static int live(char **argv)
{
	struct xg_stages_bpf *g;
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);
	int ifindex = if_nametoindex(argv[0]), fd;

	rate.pps = strtoul(argv[2], NULL, 0);
	rate.burst = strtoul(argv[3], NULL, 0);
	if (!ifindex) {
		fprintf(stderr, "stagebench: --live: no interface %s\n",
			argv[0]);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	g = load_stage(strtoul(argv[1], NULL, 0));
	if (!g) {
		fprintf(stderr, "stagebench: cannot load stage %s: %s\n",
			argv[1], strerror(errno));
		return 1;
	}
	fd = bpf_program__fd(g->progs.xdpguard);
	if (bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL) ||
	    bpf_obj_get_info_by_fd(fd, &pi, &len)) {
		fprintf(stderr, "stagebench: cannot attach to %s: %s\n",
			argv[0], strerror(errno));
		xg_stages_bpf__destroy(g);
		return 1;
	}
	printf("ready %u\n", pi.id);
	fflush(stdout);
	while (!stop)
		pause();
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	xg_stages_bpf__destroy(g);
	return 0;
}

int main(int argc, char **argv)
{
	struct xdp_drop_bpf *d = NULL;
	struct ckbench_bpf *ck = NULL;
	double *v = NULL, *w = NULL, b1, warm, s16, snew, sport;
	int i, dfd, err = 1;
	struct pkt syn;

	if (getenv("XG_STAGE_SLOTS")) {
		slots = strtoul(getenv("XG_STAGE_SLOTS"), NULL, 0);
		if (!slots || slots & (slots - 1)) {
			fprintf(stderr, "stagebench: XG_STAGE_SLOTS=%s: want a "
				"power of two\n", getenv("XG_STAGE_SLOTS"));
			return 2;
		}
	}
	if (argc == 6 && !strcmp(argv[1], "--live"))
		return live(argv + 2);
	if (prog_bench_args(argc, argv, "stagebench", "rcn", &opt))
		return 2;
	prog_pin_cpu(0);
	if (unshare(CLONE_NEWNET) || system("ip link set lo up") ||
	    prog_listen(AF_INET, PORT, 64) < 0) {
		fprintf(stderr, "stagebench: cannot set up a namespace with "
			"a listener: %s\n", strerror(errno));
		return 1;
	}
	d = xdp_drop_bpf__open_and_load();
	ck = ckbench_bpf__open_and_load();
	v = calloc(opt.calls + opt.rounds, sizeof(double));
	w = calloc(opt.calls + opt.rounds, sizeof(double));
	if (!d || !ck || !v || !w) {
		fprintf(stderr, "stagebench: cannot load: %s\n",
			strerror(errno));
		goto out;
	}
	dfd = bpf_program__fd(d->progs.xdp_drop);
	syn_from(&syn, 1, 0);
	printf("%-32s %8s %8s %8s %8s   (ns over XDP_DROP; warm: repeat "
	       "%u, median of %u; the others: one run per call, median of "
	       "%u)\n", "SYN path, cumulative", "warm", "16 src", "new src",
	       "new port",
	       opt.repeat, opt.rounds, opt.calls);
	for (i = 0; i < (int)(sizeof(stages) / sizeof(stages[0])); i++) {
		struct xg_stages_bpf *g = load_stage(stages[i].stop);
		int want = stages[i].stop ? XDP_DROP : XDP_TX, gfd;

		if (!g) {
			fprintf(stderr, "stagebench: cannot load stage %u: "
				"%s\n", stages[i].stop, strerror(errno));
			goto out;
		}
		gfd = bpf_program__fd(g->progs.xdpguard);
		warm = warm_ns(ck, gfd, dfd, &syn, want, v, w);
		single_ns(gfd, 16, false, want, v);	/* warm the slots */
		b1 = single_ns(dfd, 16, false, XDP_DROP, w);
		s16 = single_ns(gfd, 16, false, want, v);
		snew = single_ns(gfd, 0, false, want, v);
		sport = single_ns(gfd, 16, true, want, v);
		xg_stages_bpf__destroy(g);
		if (warm < -1e6 || b1 < 0 || s16 < 0 || snew < 0 ||
		    sport < 0) {
			fprintf(stderr, "stagebench: stage %u: not the verdict "
				"expected (%d)\n", stages[i].stop, want);
			goto out;
		}
		printf("%-32s %8.0f %8.0f %8.0f %8.0f\n", stages[i].name,
		       warm, s16 - b1, snew - b1, sport - b1);
	}
	err = 0;
out:
	free(v);
	free(w);
	ckbench_bpf__destroy(ck);
	xdp_drop_bpf__destroy(d);
	return err;
}
