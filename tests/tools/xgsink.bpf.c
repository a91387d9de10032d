// SPDX-License-Identifier: GPL-2.0
/*
 * xgsink, BPF side: count what arrives (all frames, TCP SYN-ACKs, TCP
 * RSTs) and drop the TCP ones; everything else (ARP, neighbour
 * discovery) passes, so the host still answers for its addresses.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lib/parse.h"

enum { XS_FRAMES, XS_SYNACKS, XS_RSTS, XS_TCP, XS_SLOTS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XS_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} xs_counts SEC(".maps");

const volatile __u32 to_ifindex;

static __always_inline void bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&xs_counts, &k);

	if (v)
		(*v)++;
}

SEC("xdp")
int xgsink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xg_pkt p = {};

	bump(XS_FRAMES);
	if (to_ifindex)
		return bpf_redirect(to_ifindex, 0);
	if (xg_parse(data, end, &p) != XG_P_OK || !p.tcp ||
	    (void *)(p.tcp + 1) > end)
		return XDP_PASS;
	bump(XS_TCP);
	if (p.tcp->syn && p.tcp->ack)
		bump(XS_SYNACKS);
	if (p.tcp->rst)
		bump(XS_RSTS);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
