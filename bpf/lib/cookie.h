/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel's own SYN cookies encode, so our SYN-ACKs and the
 * hand-off of their ACKs read the same way (net/ipv4/syncookies.c):
 *
 *   - the cookie (the SYN-ACK's sequence) carries an index into a table
 *     of four MSS values, protected by the cookie's hash;
 *   - the low 6 bits of the SYN-ACK's TS value carry the client's window
 *     scale (15: none), SACK-permitted and ECN; the client echoes them in
 *     every TS echo reply. Without timestamps a cookie connection has no
 *     window scaling and no SACK, as with the kernel's cookies.
 *
 * Our TS value also carries, in bits 6..13, a tag derived from the
 * cookie: the hand-off takes a cookie ACK with timestamps only when its
 * echo carries the tag, and leaves the kernel's own cookies (same secret,
 * same check) to the kernel, which completes them itself with the window
 * scale it announced. The rest of the TS value is a millisecond clock.
 *
 * Pure C: the BPF programs and the user-space unit tests include it.
 */
#ifndef XG_LIB_COOKIE_H
#define XG_LIB_COOKIE_H

#ifndef XG_INLINE
#define XG_INLINE static inline __attribute__((always_inline))
#endif

#define XG_MSS_DEFAULT		536	/* TCP_MSS_DEFAULT: no MSS option */
#define XG_TS_WSCALE_MASK	0xf
#define XG_TS_SACK		(1U << 4)
#define XG_TS_ECN		(1U << 5)
#define XG_TS_BITS		6
#define XG_TS_MASK		((1U << XG_TS_BITS) - 1)
#define XG_TS_TAG_SHIFT		XG_TS_BITS
#define XG_TS_TAG_MASK		(0xffU << XG_TS_TAG_SHIFT)
#define XG_MAX_WSCALE		14
/* the cookie's count field: the top 8 bits; the data (MSS index) below */
#define XG_COOKIE_BITS		24
#define XG_COOKIE_MASK		((1U << XG_COOKIE_BITS) - 1)

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

/*
 * The MSS index a cookie carries, given @cookie0: the cookie the kernel
 * makes now for the same connection with index 0. Both share the hash
 * and the minute; they differ by the index (mod 2^24). A cookie from the
 * minute before (still valid for the kernel) differs by more: -1.
 */
XG_INLINE int xg_cookie_mss_index(__u32 cookie, __u32 cookie0)
{
	__u32 d = (cookie - cookie0) & XG_COOKIE_MASK;

	return d < 4 ? (int)d : -1;
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
