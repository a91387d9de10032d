// SPDX-License-Identifier: GPL-2.0
/* The yardstick for the socket telemetry bench: an empty program on the
 * same tracepoint as xdpguard's state-change program. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_empty, const struct sock *sk, const int oldstate,
	     const int newstate)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
