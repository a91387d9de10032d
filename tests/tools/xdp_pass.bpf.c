// SPDX-License-Identifier: GPL-2.0
/*
 * The cheapest XDP program that hands every frame to the stack: for make
 * bench's kernel-only rows, where a veth needs an XDP program to take
 * its peer's XDP frames (and NAPI) but nothing should be added to what
 * the kernel costs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
