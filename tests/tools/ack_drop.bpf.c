// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper (tc egress, direct action): drop IPv4 TCP segments that are
 * a bare ACK (flags ACK only, no payload). On a client's interface this
 * loses every handshake-completing ACK, so the server keeps its request
 * sockets and retransmits SYN-ACKs. Load with
 *   tc filter add dev DEV egress bpf da obj build/ack_drop.bpf.o sec tc
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2

SEC("tc")
int ack_drop(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp;
	__u32 ihl, doff;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return TC_ACT_OK;
	tcp = (void *)ip + ihl;
	if ((void *)(tcp + 1) > end)
		return TC_ACT_OK;
	doff = tcp->doff * 4;
	/* flags byte: ACK only; no payload past the TCP header */
	if (((__u8 *)tcp)[13] == 0x10 &&
	    bpf_ntohs(ip->tot_len) == ihl + doff)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
