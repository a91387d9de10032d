// SPDX-License-Identifier: GPL-2.0
/*
 * The floor for any answer from XDP (make bench, tests/bench.d/e2e.sh):
 * bounce every IPv4/IPv6 frame back out of the interface it came in on,
 * its MACs swapped and nothing else touched. Other frames (ARP) pass.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 mac[6];

	if ((void *)(eth + 1) > end ||
	    (eth->h_proto != bpf_htons(0x0800) &&
	     eth->h_proto != bpf_htons(0x86dd)))
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
