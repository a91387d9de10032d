// SPDX-License-Identifier: GPL-2.0
/*
 * tcp:tcp_retransmit_skb for the whole host: one program, however many
 * interfaces are attached. A retransmission is handed to the black-hole
 * program of the interface that reaches the socket's peer in the socket's
 * namespace (xgh_rt_via, written by that interface's tc egress program),
 * by a tail call into its slot of xgh_rt_progs; a retransmission to a peer
 * no attached interface has sent large packets to costs two map lookups.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "lib/retrans.h"
#include "lib/rt_via.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, XG_RT_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} xgh_rt_progs SEC(".maps");

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(xg_retrans_host, const struct sock *sk, const struct sk_buff *skb)
{
	struct xg_rt_key key = {};
	struct xg_rt_via *via;

	if (!rt_peer(sk, BPF_CORE_READ(sk, __sk_common.skc_family), &key.dst))
		return 0;
	key.netns_cookie = rt_netns_cookie(sk);
	via = bpf_map_lookup_elem(&xgh_rt_via, &key);
	if (!via)
		return 0;
	bpf_tail_call(ctx, &xgh_rt_progs, via->slot);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
