// SPDX-License-Identifier: GPL-2.0
/*
 * tp_empty: attach an empty program to sock:inet_sock_set_state, print
 * its id, hold it until SIGTERM/SIGINT or --duration seconds pass (at
 * most 600). For make bench: bpf_stats of this beside xdpguard's program.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tp_empty.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct tp_empty_bpf *skel;
	int secs = 60, i;

	if (argc == 3 && !strcmp(argv[1], "--duration"))
		secs = atoi(argv[2]);
	if (secs < 1 || secs > 600) {
		fprintf(stderr, "usage: tp_empty [--duration 1..600]\n");
		return 2;
	}
	skel = tp_empty_bpf__open_and_load();
	if (!skel || tp_empty_bpf__attach(skel)) {
		fprintf(stderr, "tp_empty: cannot load/attach\n");
		tp_empty_bpf__destroy(skel);
		return 1;
	}
	bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.tp_empty), &info,
			       &len);
	printf("%u\n", info.id);
	fflush(stdout);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (i = 0; i < secs * 10 && !stop; i++)
		usleep(100000);
	tp_empty_bpf__destroy(skel);
	return 0;
}
