/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Token bucket as GCRA (generic cell rate algorithm): one u64 of state per
 * source, the "theoretical arrival time". A source may send @burst SYNs at
 * once and then @pps per second; changing pps/burst applies from the next
 * packet without resetting the state. Pure C: the BPF program and the user
 * space reference model both include it.
 */
#ifndef XG_LIB_GCRA_H
#define XG_LIB_GCRA_H

#ifndef XG_INLINE
#define XG_INLINE static inline __attribute__((always_inline))
#endif

#define XG_NSEC_PER_SEC 1000000000ULL

/* Returns 1 if a SYN at @now conforms (and charges it), 0 if over budget. */
XG_INLINE int xg_gcra(__u64 *tat, __u64 now, __u32 pps, __u32 burst)
{
	__u64 t, interval, tol;

	if (!pps)
		return 1;
	if (!burst)
		burst = 1;
	interval = XG_NSEC_PER_SEC / pps;
	if (!interval)
		interval = 1;
	tol = interval * burst;
	t = *tat > now ? *tat : now;
	if (t + interval - now > tol)
		return 0;
	*tat = t + interval;
	return 1;
}

#endif /* XG_LIB_GCRA_H */
