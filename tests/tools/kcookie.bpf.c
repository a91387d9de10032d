// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own SYN cookie for a SYN frame (Ethernet, IPv4 or IPv6
 * without options or extension headers, then TCP), for the unit tests:
 * what an ACK to a SYN that reached the kernel carries. The cookie goes
 * to .bss (kcookie, -1 when the helper refuses); the frame is dropped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__s64 kcookie = -1;

SEC("xdp")
int kernel_cookie(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;

	kcookie = -1;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(0x0800)) {
		struct iphdr *iph = (void *)(eth + 1);

		th = (void *)(iph + 1);
		if ((void *)(th + 1) > end)
			return XDP_DROP;
		kcookie = bpf_tcp_raw_gen_syncookie_ipv4(iph, th, sizeof(*th));
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		th = (void *)(ip6 + 1);
		if ((void *)(th + 1) > end)
			return XDP_DROP;
		kcookie = bpf_tcp_raw_gen_syncookie_ipv6(ip6, th, sizeof(*th));
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
