/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internet checksums in BPF, bounded for the verifier.
 *
 * Sums are kept as a 64-bit accumulation of native-order words and
 * folded at the end (RFC 1071: the one's complement sum does not depend
 * on byte order as long as it is consistent). xg_csum_pkt() sums a
 * region of the packet of any length up to XG_CSUM_MAX, checking every
 * access against the packet's end; the folded sum of a region that
 * includes a correct checksum field is 0xffff, i.e. xg_csum_fold() = 0.
 */
#ifndef XG_LIB_CSUM_H
#define XG_LIB_CSUM_H

/* keeps clang from rewriting a bounds check into pkt_end arithmetic */
#define xg_barrier_var(v)	asm volatile("" : "+r"(v))

#define XG_CSUM_BLOCK	64
#define XG_CSUM_BLOCKS	24		/* 1536 bytes */
#define XG_CSUM_MAX	(XG_CSUM_BLOCK * XG_CSUM_BLOCKS + XG_CSUM_BLOCK - 1)

static __always_inline __u16 xg_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Pseudo header of TCP over IPv4 / IPv6 (addresses in network order). */
static __always_inline __u64 xg_csum_pseudo4(__u32 saddr, __u32 daddr,
					     __u32 len)
{
	return (__u64)saddr + daddr + bpf_htons(6) + bpf_htons(len);
}

static __always_inline __u64 xg_csum_pseudo6(const __u32 *saddr,
					     const __u32 *daddr, __u32 len)
{
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++)
		sum += (__u64)saddr[i] + daddr[i];
	return sum + bpf_htonl(6) + bpf_htonl(len);
}

/* The sum of @n (a constant) 32-bit words at @w, e.g. a header built on
 * the stack, for xg_csum_fold(); unrolled. */
static __always_inline __u64 xg_csum_words(const __u32 *w, const int n)
{
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < n; i++)
		sum += w[i];
	return sum;
}

/*
 * Add the @len bytes at @p (< @end) to @sum. -1 if the packet is shorter
 * or @len is over XG_CSUM_MAX. Whole 64-byte blocks go through
 * bpf_csum_diff(); the rest word by word.
 */
static __always_inline int xg_csum_pkt(void *p, void *end, __u32 len,
				       __u64 *sum)
{
	__u64 s = *sum;
	int i;

	if (len > XG_CSUM_MAX)
		return -1;
#pragma clang loop unroll(disable)
	for (i = 0; i < XG_CSUM_BLOCKS; i++) {
		if (len < XG_CSUM_BLOCK)
			break;
		xg_barrier_var(p);
		if (p + XG_CSUM_BLOCK > end)
			return -1;
		s += (__u32)bpf_csum_diff(NULL, 0, p, XG_CSUM_BLOCK, 0);
		p += XG_CSUM_BLOCK;
		len -= XG_CSUM_BLOCK;
	}
	if (len >= XG_CSUM_BLOCK)
		return -1;
	/* the rest word by word, unrolled: headers are all this */
#pragma unroll
	for (i = 0; i < XG_CSUM_BLOCK / 4; i++) {
		void *q = p + i * 4;

		if (i * 4 + 4 > len)
			break;
		xg_barrier_var(q);
		if (q + 4 > end)
			return -1;
		s += *(__u32 *)q;
	}
	p += len & 0x3c;
	len &= 3;
	xg_barrier_var(p);
	if (len >= 2) {
		if (p + 2 > end)
			return -1;
		s += *(__u16 *)p;
		p += 2;
		len -= 2;
	}
	if (len) {
		if (p + 1 > end)
			return -1;
		/* the last byte, padded with a zero byte (RFC 793) */
		s += bpf_ntohs((__u16)*(__u8 *)p << 8);
	}
	*sum = s;
	return 0;
}

#endif /* XG_LIB_CSUM_H */
