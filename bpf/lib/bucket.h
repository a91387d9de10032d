/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Token bucket per source prefix. Credit is kept in nano-tokens (1e9 per
 * SYN) so refill is one multiply: credit += elapsed_ns * pps. A source may
 * send @burst SYNs at once, then @pps per second. A change of pps/burst
 * applies from the next packet: the refill rate changes at once and the
 * credit already earned is kept (capped at the new burst). Pure C: the BPF
 * program and the user space reference model both include it.
 */
#ifndef XG_LIB_BUCKET_H
#define XG_LIB_BUCKET_H

#include <xdpguard/abi.h>	/* XG_HASH_MUL */

#ifndef XG_INLINE
#define XG_INLINE static inline __attribute__((always_inline))
#endif

#define XG_NSEC_PER_SEC 1000000000ULL
/* idle this long refills any bucket; also keeps elapsed * pps in 64 bits */
#define XG_REFILL_MAX_NS (64 * XG_NSEC_PER_SEC)

XG_INLINE __u64 xg_bucket_cap(__u32 burst)
{
	return (__u64)(burst ? burst : 1) * XG_NSEC_PER_SEC;
}

/* Returns 1 if a SYN at @now conforms (and charges it), 0 if over budget. */
XG_INLINE int xg_bucket_take(__u64 *credit, __u64 *refill_ns, __u64 now,
			     __u32 pps, __u32 burst)
{
	__u64 cap = xg_bucket_cap(burst);
	__u64 dt = now > *refill_ns ? now - *refill_ns : 0;

	if (!pps)
		return 1;
	*refill_ns = now;
	if (dt >= XG_REFILL_MAX_NS)
		*credit = cap;
	else
		*credit += dt * pps;
	if (*credit > cap)
		*credit = cap;
	if (*credit < XG_NSEC_PER_SEC)
		return 0;
	*credit -= XG_NSEC_PER_SEC;
	return 1;
}

/*
 * 1 when a bucket last topped up at @refill_ns would be full at @now: its
 * holder has been idle (or within budget) long enough that handing the
 * slot to another source with a full bucket gives nobody extra credit.
 */
XG_INLINE int xg_bucket_full(__u64 credit, __u64 refill_ns, __u64 now,
			     __u32 pps, __u32 burst)
{
	__u64 cap = xg_bucket_cap(burst);
	__u64 dt = now > refill_ns ? now - refill_ns : 0;

	if (dt >= XG_REFILL_MAX_NS || credit >= cap)
		return 1;
	return dt * pps >= cap - credit;
}

/*
 * The source table's hash: a seeded multiply-xorshift over the key's
 * family, port (host order) and masked address (four words, network
 * order), the high half of the last product. Not a keyed PRF:
 * the seed, random per attach, only keeps a sender who does not know it
 * from choosing sources that land on a given slot.
 */
XG_INLINE __u64 xg_src_hash64(__u32 family, __u32 port, const __u32 *addr,
			      __u32 seed)
{
	__u64 h = ((__u64)seed << 32 | port << 8 | family) * XG_HASH_MUL;

	h = (h ^ (h >> 29) ^ addr[0]) * XG_HASH_MUL;
	h = (h ^ (h >> 29) ^ addr[1]) * XG_HASH_MUL;
	h = (h ^ (h >> 29) ^ addr[2]) * XG_HASH_MUL;
	h = (h ^ (h >> 29) ^ addr[3]) * XG_HASH_MUL;
	return h;
}

/* the tag: the high half of the hash; its low bits pick the slot */
XG_INLINE __u32 xg_src_hash(__u32 family, __u32 port, const __u32 *addr,
			    __u32 seed)
{
	return (__u32)(xg_src_hash64(family, port, addr, seed) >> 32);
}

/*
 * The first level's check (xg_src_hot): 32 bits of the whole hash mixed
 * once more. Within one slot the tags agree on the bits that picked it,
 * so only a value like this one tells two sources there apart with 32
 * bits: two sources of one slot are taken for one with odds 2^-32 (and a
 * source for the holder before, which keeps 16 of them, with 2^-16).
 */
XG_INLINE __u32 xg_src_check(__u64 h)
{
	return (__u32)(((h ^ (h >> 32)) * XG_HASH_MUL) >> 32);
}

/*
 * What a first-level entry that owed @debt (XG_HOT_SYN a SYN) at @t owes
 * at @now, refilled at @pps; refills are rounded down, a SYN too (so a
 * source at exactly its pps owes nothing at its next SYN).
 */
XG_INLINE __u32 xg_hot_debt(__u32 debt, __u64 t, __u64 now, __u32 pps)
{
	__u64 dt = now > t ? now - t : 0;

	debt &= XG_HOT_DEBT;
	if (dt >= XG_REFILL_MAX_NS)
		return 0;
	dt = dt * pps >> XG_HOT_UNIT_SHIFT;
	return debt > dt ? debt - dt : 0;
}

#endif /* XG_LIB_BUCKET_H */
