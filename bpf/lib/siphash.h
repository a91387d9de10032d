/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of a message of 8n + 4
 * bytes: @n 64-bit words and a 32-bit tail, read as SipHash reads its
 * message (little-endian words; on this host's words, the same in every
 * program that hashes them). The keyed hash of our SYN cookies
 * (lib/cookie.h). Unrolled for a constant @n: no loop for the verifier.
 *
 * BPF has no rotate instruction: each rotation is two shifts and an or,
 * which the JIT emits as they are (tests/unit/test_cookies.c checks the
 * result against a byte-wise reference and the paper's test vector).
 *
 * Pure C: the BPF programs and the user-space unit tests include it.
 */
#ifndef XG_LIB_SIPHASH_H
#define XG_LIB_SIPHASH_H

#ifndef XG_INLINE
#define XG_INLINE static inline __attribute__((always_inline))
#endif

#define XG_ROL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

#define XG_SIPROUND(v0, v1, v2, v3)					\
	do {								\
		v0 += v1; v1 = XG_ROL64(v1, 13); v1 ^= v0;		\
		v0 = XG_ROL64(v0, 32);					\
		v2 += v3; v3 = XG_ROL64(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = XG_ROL64(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = XG_ROL64(v1, 17); v1 ^= v2;		\
		v2 = XG_ROL64(v2, 32);					\
	} while (0)

XG_INLINE __u64 xg_siphash(__u64 k0, __u64 k1, const __u64 *m, const int n,
			   __u32 tail)
{
	__u64 v0 = 0x736f6d6570736575ULL ^ k0;
	__u64 v1 = 0x646f72616e646f6dULL ^ k1;
	__u64 v2 = 0x6c7967656e657261ULL ^ k0;
	__u64 v3 = 0x7465646279746573ULL ^ k1;
	__u64 b = (__u64)((n * 8 + 4) & 0xff) << 56 | tail;
	int i;

#ifdef __clang__
#pragma unroll
#endif
	for (i = 0; i < n; i++) {
		v3 ^= m[i];
		XG_SIPROUND(v0, v1, v2, v3);
		XG_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v3 ^= b;
	XG_SIPROUND(v0, v1, v2, v3);
	XG_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	XG_SIPROUND(v0, v1, v2, v3);
	XG_SIPROUND(v0, v1, v2, v3);
	XG_SIPROUND(v0, v1, v2, v3);
	XG_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif /* XG_LIB_SIPHASH_H */
