// SPDX-License-Identifier: GPL-2.0
/*
 * Flood generator, BPF side. User space runs this program with
 * BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES on a template frame
 * (Ethernet, IPv4 or IPv6 without options, TCP); every run stamps a new
 * source address, source port and sequence number and returns XDP_TX,
 * which sends the frame out of ctx->ingress_ifindex.
 *
 * Live frames live in a page_pool: a page is filled from the template
 * once and then recycled as it was left. A run may therefore see the
 * template, any earlier run's output, or what the receiver made of it: a
 * veth peer gets the page itself, and an XDP program there that answers
 * in place (a SYN-ACK cookie sent back with XDP_TX) rewrites it. So each
 * run first copies the whole template (sf_frame) back, then writes every
 * varying field and recomputes both checksums from scratch.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SF_ETH_HLEN	14
#define SF_IP4_HLEN	20
#define SF_IP6_HLEN	40
#define SF_TCP_PROTO	6
#define SF_PORT_MIN	1024

/* slots of sf_pcpu; user space reads SF_SENT (slot 0) */
enum {
	SF_SENT = 0,	/* frames this program returned XDP_TX for */
	SF_NEXT,	/* next source index when cycling */
	SF_SLOTS,
};

/* set by user space before load */
const volatile __u32 sf_family = 4;	/* 4 or 6 */
const volatile __u32 sf_tcp_hlen = 24;	/* 20, or 24 with the MSS option */
const volatile __u32 sf_rand_ack;	/* ACK set: random ack_seq too */
const volatile __u32 sf_sources;	/* 0: random source per frame */
const volatile __u32 sf_base[4];	/* first source, network order */
const volatile __u32 sf_hostmask[4];	/* host bits of --src, network order */
/* the template frame: Ethernet, IP, TCP; its length is even, <= 80 */
#define SF_FRAME_WORDS	20
const volatile __u32 sf_frame[SF_FRAME_WORDS];
const volatile __u32 sf_len;

/* per CPU: no shared cache line between senders */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SF_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} sf_pcpu SEC(".maps");

static __always_inline __u16 sf_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* one's complement sum of n (a constant) 16-bit words, bounds checked */
static __always_inline __u64 sf_sum16(const __u16 *p, const int n)
{
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

/* index of this frame's source, or -1 for a random one */
static __always_inline __s64 sf_next_index(void)
{
	__u32 key = SF_NEXT;
	__u64 *next, idx;

	if (!sf_sources)
		return -1;
	next = bpf_map_lookup_elem(&sf_pcpu, &key);
	if (!next)
		return 0;
	idx = *next;
	if (idx >= sf_sources)
		idx = 0;
	*next = idx + 1;
	return idx;
}

static __always_inline void sf_src4(__u32 *saddr)
{
	__s64 idx = sf_next_index();

	if (idx < 0)
		*saddr = sf_base[0] | (bpf_get_prandom_u32() & sf_hostmask[0]);
	else
		*saddr = bpf_htonl(bpf_ntohl(sf_base[0]) + (__u32)idx);
}

static __always_inline void sf_src6(__u32 *saddr)
{
	__s64 idx = sf_next_index();
	__u64 hi, lo;
	int i;

	if (idx < 0) {
#pragma unroll
		for (i = 0; i < 4; i++)
			saddr[i] = sf_base[i] |
				   (bpf_get_prandom_u32() & sf_hostmask[i]);
		return;
	}
	/* 128-bit base + idx; the range check was done in user space */
	hi = (__u64)bpf_ntohl(sf_base[0]) << 32 | bpf_ntohl(sf_base[1]);
	lo = (__u64)bpf_ntohl(sf_base[2]) << 32 | bpf_ntohl(sf_base[3]);
	lo += idx;
	if (lo < (__u64)idx)
		hi++;
	saddr[0] = bpf_htonl(hi >> 32);
	saddr[1] = bpf_htonl(hi);
	saddr[2] = bpf_htonl(lo >> 32);
	saddr[3] = bpf_htonl(lo);
}

static __always_inline void sf_stamp_tcp(struct tcphdr *tcp)
{
	__u32 r = bpf_get_prandom_u32();

	tcp->source = bpf_htons(SF_PORT_MIN + r % (65536 - SF_PORT_MIN));
	tcp->seq = bpf_get_prandom_u32();
	if (sf_rand_ack)
		tcp->ack_seq = bpf_get_prandom_u32();
	tcp->check = 0;
}

SEC("xdp")
int synflood(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l3len = sf_family == 6 ? SF_IP6_HLEN : SF_IP4_HLEN;
	__u32 tcplen = sf_tcp_hlen;
	__u32 key = SF_SENT;
	struct tcphdr *tcp;
	__u64 sum, *sent;

	/* both lengths are load-time constants: one check covers the frame */
	if (data + SF_ETH_HLEN + l3len + tcplen > end)
		return XDP_ABORTED;
	if (data + sf_len > end || sf_len > SF_FRAME_WORDS * 4)
		return XDP_ABORTED;
#pragma unroll
	for (int i = 0; i < SF_FRAME_WORDS; i++) {
		if ((i + 1) * 4 <= sf_len)
			((__u32 *)data)[i] = sf_frame[i];
		else if (i * 4 + 2 <= sf_len)
			((__u16 *)data)[2 * i] =
				((const volatile __u16 *)sf_frame)[2 * i];
	}
	tcp = data + SF_ETH_HLEN + l3len;
	sf_stamp_tcp(tcp);
	sum = bpf_htons(SF_TCP_PROTO) + bpf_htons(tcplen);

	if (sf_family == 6) {
		struct ipv6hdr *ip6 = data + SF_ETH_HLEN;

		sf_src6(ip6->saddr.in6_u.u6_addr32);
		/* pseudo header: both addresses, then the TCP words */
		sum += sf_sum16((__u16 *)&ip6->saddr, 16);
	} else {
		struct iphdr *iph = data + SF_ETH_HLEN;

		sf_src4(&iph->saddr);
		iph->check = 0;
		iph->check = sf_fold(sf_sum16((__u16 *)iph, SF_IP4_HLEN / 2));
		sum += sf_sum16((__u16 *)&iph->saddr, 4);
	}
	sum += sf_sum16((__u16 *)tcp, 10);
	if (tcplen > 20)
		sum += sf_sum16((__u16 *)(tcp + 1), 2);
	tcp->check = sf_fold(sum);

	sent = bpf_map_lookup_elem(&sf_pcpu, &key);
	if (!sent)
		return XDP_ABORTED;
	/* atomic: two runs may share a CPU when one is preempted */
	__sync_fetch_and_add(sent, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
