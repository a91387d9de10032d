/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Our SYN cookies (docs/design.md, "SYN cookies"), made by the XDP guard
 * and checked by it and by the tc hand-off:
 *
 *   - the cookie (the SYN-ACK's sequence) is, in its top 28 bits, a
 *     SipHash-2-4 (lib/siphash.h) under the host's cookie key
 *     (xg_cookie_key) of the connection's addresses, ports and client
 *     ISN, the time in units of 2^XG_COOKIE_UNIT_SHIFT ns (about 69 s)
 *     and the MSS index; below them the unit's low 2 bits and the index
 *     into a table of four MSS values (the kernel's msstab). An ACK's
 *     cookie is taken in the unit it names and the one after (and one
 *     unit early, for a clock a tick behind): 69 to 137 s;
 *   - the low 6 bits of the SYN-ACK's TS value carry the client's window
 *     scale (15: none), SACK-permitted and ECN, as the kernel's cookies
 *     do (cookie_init_timestamp()); the client echoes them in every TS
 *     echo reply. Without timestamps a cookie connection has no window
 *     scaling and no SACK, as with the kernel's cookies.
 *
 * Our TS value also carries, in bits 6..13, a tag derived from the
 * cookie: the hand-off takes a cookie ACK with timestamps only when its
 * echo carries the tag. The rest of the TS value is a millisecond clock.
 * The kernel's own cookies (the SYNs that reach it) are made with its
 * secret, not ours: our check fails them and the kernel completes them.
 *
 * Pure C: the BPF programs and the user-space unit tests include it.
 */
#ifndef XG_LIB_COOKIE_H
#define XG_LIB_COOKIE_H

#include "siphash.h"

#define XG_MSS_DEFAULT		536	/* TCP_MSS_DEFAULT: no MSS option */
#define XG_TS_WSCALE_MASK	0xf
#define XG_TS_SACK		(1U << 4)
#define XG_TS_ECN		(1U << 5)
#define XG_TS_BITS		6
#define XG_TS_MASK		((1U << XG_TS_BITS) - 1)
#define XG_TS_TAG_SHIFT		XG_TS_BITS
#define XG_TS_TAG_MASK		(0xffU << XG_TS_TAG_SHIFT)
#define XG_MAX_WSCALE		14
/* the cookie: hash bits, the time unit's low 2 bits, the MSS index */
#define XG_COOKIE_UNIT_SHIFT	36	/* 2^36 ns: 68.7 s */
#define XG_COOKIE_IDX_MASK	0x3U
#define XG_COOKIE_UNIT_BITS	2
#define XG_COOKIE_HASH_MASK	(~0U << (XG_COOKIE_UNIT_BITS + 2))

/* msstab of net/ipv4/syncookies.c and net/ipv6/syncookies.c */
#define XG_MSSTAB4 { 536, 1300, 1440, 1460 }
#define XG_MSSTAB6 { 1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60 }

XG_INLINE __u32 xg_ts_tag(__u32 cookie)
{
	return (cookie ^ cookie >> 8 ^ cookie >> 16 ^ cookie >> 24) & 0xff;
}

/* The TS value of a SYN-ACK: our clock with its low bits replaced by the
 * tag and the client's options (as cookie_init_timestamp() does). */
XG_INLINE __u32 xg_ts_encode(__u32 now, __u32 cookie, int wscale_ok,
			     __u8 wscale, int sack)
{
	__u32 opt = wscale_ok ? (wscale & XG_TS_WSCALE_MASK) :
		    XG_TS_WSCALE_MASK;

	if (sack)
		opt |= XG_TS_SACK;
	return (now & ~(XG_TS_TAG_MASK | XG_TS_MASK)) |
	       xg_ts_tag(cookie) << XG_TS_TAG_SHIFT | opt;
}

/* 1 when @tsecr echoes a TS value we made for @cookie */
XG_INLINE int xg_ts_ours(__u32 tsecr, __u32 cookie)
{
	return (tsecr & XG_TS_TAG_MASK) >> XG_TS_TAG_SHIFT == xg_ts_tag(cookie);
}

/* The client's options back from the echoed TS value. */
XG_INLINE void xg_ts_decode(__u32 tsecr, int *wscale_ok, __u8 *wscale,
			    int *sack)
{
	__u32 ws = tsecr & XG_TS_WSCALE_MASK;

	*sack = !!(tsecr & XG_TS_SACK);
	*wscale_ok = ws != XG_TS_WSCALE_MASK;
	*wscale = *wscale_ok ? ws : 0;
}

/* the time unit of a clock of @ns (CLOCK_MONOTONIC, a tick apart in
 * every program: the coarse clock or the guard's xg_clock) */
XG_INLINE __u32 xg_cookie_unit(__u64 ns)
{
	return (__u32)(ns >> XG_COOKIE_UNIT_SHIFT);
}

/* the index into msstab @tab of the largest MSS up to @mss (0: none) */
XG_INLINE __u32 xg_cookie_mss_index(const __u16 *tab, __u16 mss)
{
	return (mss >= tab[1]) + (mss >= tab[2]) + (mss >= tab[3]);
}

/*
 * The cookie of a connection: @family 4 (addresses in [0]) or 6, @saddr
 * and @daddr the client's and ours (network order), @ports the client's
 * port in the low 16 bits and ours above (as loaded from the SYN: source
 * then destination), @isn the client's ISN, @unit the time unit, @idx
 * the MSS index, @k the host's key.
 */
XG_INLINE __u32 xg_cookie_make(const __u64 *k, int family,
			       const __u32 *saddr, const __u32 *daddr,
			       __u32 ports, __u32 isn, __u32 unit, __u32 idx)
{
	__u32 tail = unit << (XG_COOKIE_UNIT_BITS + 2) | idx;
	__u64 m[5], h;

	if (family == 4) {
		m[0] = (__u64)saddr[0] << 32 | daddr[0];
		m[1] = (__u64)ports << 32 | isn;
		h = xg_siphash(k[0], k[1], m, 2, tail);
	} else {
		m[0] = (__u64)saddr[0] << 32 | saddr[1];
		m[1] = (__u64)saddr[2] << 32 | saddr[3];
		m[2] = (__u64)daddr[0] << 32 | daddr[1];
		m[3] = (__u64)daddr[2] << 32 | daddr[3];
		m[4] = (__u64)ports << 32 | isn;
		h = xg_siphash(k[0], k[1], m, 5, tail);
	}
	return ((__u32)h & XG_COOKIE_HASH_MASK) |
	       (unit & ((1U << XG_COOKIE_UNIT_BITS) - 1)) << 2 | idx;
}

/*
 * The unit a cookie of @now_unit's time names: the unit itself, the one
 * before it or the one after (a clock a tick behind the maker's); -1 for
 * one two units old, out of date.
 */
XG_INLINE __s64 xg_cookie_made_in(__u32 cookie, __u32 now_unit)
{
	__u32 d = (now_unit - (cookie >> 2)) &
		  ((1U << XG_COOKIE_UNIT_BITS) - 1);

	if (d == 2)
		return -1;
	return d == 3 ? now_unit + 1 : now_unit - d;
}

/*
 * The MSS index @cookie carries when it is ours for the connection
 * (arguments as xg_cookie_make(), @isn the client's ISN, i.e. the ACK's
 * sequence - 1), checked at @now_unit; -1 when it is not.
 */
XG_INLINE int xg_cookie_check(const __u64 *k, int family, const __u32 *saddr,
			      const __u32 *daddr, __u32 ports, __u32 isn,
			      __u32 cookie, __u32 now_unit)
{
	__s64 unit = xg_cookie_made_in(cookie, now_unit);
	__u32 idx = cookie & XG_COOKIE_IDX_MASK;

	if (unit < 0)
		return -1;
	if (xg_cookie_make(k, family, saddr, daddr, ports, isn, (__u32)unit,
			   idx) != cookie)
		return -1;
	return (int)idx;
}

/*
 * The SYN-ACK's window: the largest multiple of the segment size that
 * fits 16 bits (SYN windows are never scaled), as the kernel announces.
 */
XG_INLINE __u16 xg_synack_window(__u16 mss, int ts)
{
	__u32 seg = mss - (ts ? 12 : 0);

	if (seg < 64)
		return 65535;
	return 65535 / seg * seg;
}

#endif /* XG_LIB_COOKIE_H */
