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

#endif /* XG_LIB_BUCKET_H */
