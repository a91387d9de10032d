// SPDX-License-Identifier: GPL-2.0
/*
 * xgsink: the far end of a flood. Attaches an XDP program to IFACE that
 * counts every frame, TCP SYN-ACKs and RSTs and drops TCP (other frames,
 * ARP and neighbour discovery, pass), until SIGINT/SIGTERM or --duration;
 * then detaches and prints the counts. It also makes a veth end accept
 * frames its peer sent with XDP_TX (a veth needs an XDP program for
 * that).
 *
 * With --to OUT it forwards instead: every frame IFACE receives is
 * counted and redirected out of OUT at XDP (into a veth, the frame then
 * reaches OUT's peer as an xdp_frame, as from a NIC's driver, not as an
 * skb: the isolated-core bench feeds its server so).
 *
 * usage: xgsink --dev IFACE [--to OUT] [--duration S] [--json]
 * Prints "ready" on stderr once attached.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xgsink.skel.h"

enum { XS_FRAMES, XS_SYNACKS, XS_RSTS, XS_TCP, XS_SLOTS };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "duration", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "to", required_argument, NULL, 'o' },
		{}
	};
	__u64 sum[XS_SLOTS] = {}, *v = NULL;
	struct xgsink_bpf *skel = NULL;
	const char *dev = NULL, *to = NULL;
	double duration = 3600, t0, secs;
	int c, ifindex, to_ifindex = 0, ncpu, i, k, err = 1, fd;
	bool json = false, attached = false;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 't':
			duration = atof(optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			to = optarg;
			break;
		default:
			fprintf(stderr, "usage: xgsink --dev IFACE [--to OUT] "
				"[--duration S] [--json]\n");
			return 2;
		}
	}
	if (!dev || duration <= 0) {
		fprintf(stderr, "xgsink: --dev IFACE is required, --duration "
			"> 0\n");
		return 2;
	}
	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "xgsink: no interface %s\n", dev);
		return 2;
	}
	if (to && !(to_ifindex = if_nametoindex(to))) {
		fprintf(stderr, "xgsink: --to: no interface %s\n", to);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ncpu = libbpf_num_possible_cpus();
	skel = xgsink_bpf__open();
	if (skel)
		skel->rodata->to_ifindex = to_ifindex;
	v = calloc(ncpu > 0 ? ncpu : 1, sizeof(*v));
	if (!skel || !v || xgsink_bpf__load(skel)) {
		fprintf(stderr, "xgsink: cannot load: %s\n", strerror(errno));
		goto out;
	}
	if (bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xgsink),
			   XDP_FLAGS_UPDATE_IF_NOEXIST, NULL)) {
		fprintf(stderr, "xgsink: cannot attach to %s: %s\n", dev,
			strerror(errno));
		goto out;
	}
	attached = true;
	fprintf(stderr, "ready\n");
	t0 = now_s();
	while (!stop && now_s() - t0 < duration)
		usleep(20000);
	secs = now_s() - t0;
	fd = bpf_map__fd(skel->maps.xs_counts);
	for (k = 0; k < XS_SLOTS; k++) {
		__u32 key = k;

		if (bpf_map_lookup_elem(fd, &key, v))
			goto out;
		for (i = 0; i < ncpu; i++)
			sum[k] += v[i];
	}
	if (json)
		printf("{\"frames\":%llu,\"tcp\":%llu,\"synacks\":%llu,"
		       "\"rsts\":%llu,\"seconds\":%.3f}\n", sum[XS_FRAMES],
		       sum[XS_TCP], sum[XS_SYNACKS], sum[XS_RSTS], secs);
	else
		printf("%llu frames, %llu TCP (%llu SYN-ACKs, %llu RSTs) in "
		       "%.3f s\n", sum[XS_FRAMES], sum[XS_TCP],
		       sum[XS_SYNACKS], sum[XS_RSTS], secs);
	err = 0;
out:
	if (attached)
		bpf_xdp_detach(ifindex, 0, NULL);
	free(v);
	xgsink_bpf__destroy(skel);
	return err;
}
