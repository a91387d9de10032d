/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP guard's clock: CLOCK_MONOTONIC_COARSE (the time of the last
 * tick, what user space reads with clock_gettime()), in nanoseconds,
 * without a helper call per packet.
 *
 * bpf_ktime_get_coarse_ns() is a call (about 11 ns of the guard's 47
 * over a bare XDP_DROP on its over-budget drop, docs/bench.md);
 * bpf_jiffies64() is one load (the verifier inlines it). The kernel
 * advances jiffies by one per TICK_NSEC of CLOCK_MONOTONIC, in the same
 * tick that moves the coarse clock (tick_do_update_jiffies64), so
 * jiffies x TICK_NSEC is, to a tick, the coarse clock less a constant.
 * The constant is taken once per program load, from one coarse read
 * (xg_clock_sync), and every later read is jiffies x TICK_NSEC + it: the
 * same resolution (one tick). Where the kernel's config is not there
 * (no /boot/config-RELEASE, no /proc/config.gz), xdpguard opens the
 * object with CONFIG_HZ=0 (xg_kconfig(), user/lib/util.c) and every read
 * is the helper's; so does a HZ not listed below.
 *
 * The two are not in step to the nanosecond: the coarse clock moves on
 * its clocksource's interval, jiffies on a grid of TICK_NSEC, and a read
 * between a tick's jiffies update and its clock update takes the
 * constant a tick short. Both grids are laid on CLOCK_MONOTONIC, so the
 * difference never grows: this clock stays within two ticks behind and
 * one ahead of the coarse one (tests/unit: clock_from_jiffies). Every
 * user of the time handles a time behind one it stored (another CPU's
 * read can be a tick behind already).
 *
 * Unlike the coarse clock, this one can lead CLOCK_MONOTONIC itself, by
 * how late the tick ran when the constant was taken (microseconds; more
 * on a VM whose vCPU was held). So a time it stamps is compared only
 * with times of this clock, or in user space with a check for "ahead":
 * tc_mss's egress times, which sock_retrans compares with
 * bpf_ktime_get_ns(), keep the helper (a write ahead of the reader's
 * clock reads as idle there: the likely cause of one failure of
 * tests/integration/pmtud.sh, its black hole raised a retransmission
 * late, while tc_mss read this clock).
 */
#ifndef XG_LIB_CLOCK_H
#define XG_LIB_CLOCK_H

extern int CONFIG_HZ __kconfig __weak;

/* coarse clock - jiffies x tick; 0 until the first read (xg_clock_sync) */
__u64 xg_clock_off;

/*
 * TICK_NSEC for the kernel's HZ, or 0: not known. The verifier knows
 * CONFIG_HZ (a frozen read-only map), so it keeps one of these returns.
 */
static __always_inline __u64 xg_tick_ns(void)
{
	switch (CONFIG_HZ) {
	case 100:
		return 10000000;
	case 250:
		return 4000000;
	case 300:
		return 3333333;	/* (NSEC_PER_SEC + HZ / 2) / HZ */
	case 1000:
		return 1000000;
	default:
		return 0;
	}
}

/*
 * The coarse clock, read with the helper; takes the constant when the
 * tick is known. Global: the verifier walks it once.
 */
__noinline __u64 xg_clock_sync(__u64 tick)
{
	__u64 c = bpf_ktime_get_coarse_ns();

	if (tick)
		xg_clock_off = c - bpf_jiffies64() * tick;
	return c;
}

static __always_inline __u64 xg_clock(void)
{
	__u64 tick = xg_tick_ns(), off = xg_clock_off;

	if (tick && off)
		return bpf_jiffies64() * tick + off;
	return xg_clock_sync(tick);
}

#endif /* XG_LIB_CLOCK_H */
