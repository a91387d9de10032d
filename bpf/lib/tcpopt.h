/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP options of a SYN or an ACK, read straight from the packet with a
 * bounded loop: MSS, window scale, SACK-permitted and timestamps. The
 * cursor is a small offset into the option bytes (at most 40), so every
 * iteration is checked against both the header's end and the packet's.
 * Malformed options (length < 2, past the header) end the walk; what was
 * read before stays, as in the kernel's tcp_parse_options().
 *
 * Call it from a global (noinline) function of the program: verified
 * there once, its results are unknown values to the caller, so the
 * verifier does not walk the rest of the caller once per combination of
 * options found. xg_tcpopt_at() is the body of such a function; the
 * function itself stays in each program, typed with its own context.
 */
#ifndef XG_LIB_TCPOPT_H
#define XG_LIB_TCPOPT_H

#include "lib/csum.h"	/* xg_barrier_var */

#define XG_TCPOPT_EOL		0
#define XG_TCPOPT_NOP		1
#define XG_TCPOPT_MSS		2
#define XG_TCPOPT_WINDOW	3
#define XG_TCPOPT_SACK_PERM	4
#define XG_TCPOPT_TIMESTAMP	8

#define XG_OPT_MSS	(1U << 0)
#define XG_OPT_WSCALE	(1U << 1)
#define XG_OPT_SACK	(1U << 2)
#define XG_OPT_TS	(1U << 3)

struct xg_tcpopt {
	__u32 tsval;		/* host order */
	__u32 tsecr;
	__u16 mss;
	__u8 wscale;
	__u8 has;		/* XG_OPT_* */
};

static __always_inline void xg_tcpopt_parse(struct tcphdr *tcp, void *end,
					    struct xg_tcpopt *o)
{
	__u8 *opts = (__u8 *)(tcp + 1);
	__u32 optlen = (tcp->doff * 4) & 0x3f, off = 0, len;
	__u8 *at;

	o->has = 0;
	if (optlen <= sizeof(*tcp))
		return;
	optlen -= sizeof(*tcp);
	/* bounded: off grows by one at least, up to optlen (40 at most) */
#pragma clang loop unroll(disable)
	while (off < optlen) {
		at = opts + (off & 0x3f);
		if (at + 1 > (__u8 *)end)
			break;
		if (at[0] == XG_TCPOPT_EOL)
			break;
		if (at[0] == XG_TCPOPT_NOP) {
			off++;
			continue;
		}
		if (at + 2 > (__u8 *)end)
			break;
		len = at[1];
		if (len < 2 || off + len > optlen)
			break;
		switch (at[0]) {
		case XG_TCPOPT_MSS:
			if (len == 4 && at + 4 <= (__u8 *)end) {
				o->mss = (__u16)at[2] << 8 | at[3];
				o->has |= XG_OPT_MSS;
			}
			break;
		case XG_TCPOPT_WINDOW:
			if (len == 3 && at + 3 <= (__u8 *)end) {
				o->wscale = at[2];
				o->has |= XG_OPT_WSCALE;
			}
			break;
		case XG_TCPOPT_SACK_PERM:
			if (len == 2)
				o->has |= XG_OPT_SACK;
			break;
		case XG_TCPOPT_TIMESTAMP:
			if (len == 10 && at + 10 <= (__u8 *)end) {
				o->tsval = (__u32)at[2] << 24 |
					   (__u32)at[3] << 16 |
					   (__u32)at[4] << 8 | at[5];
				o->tsecr = (__u32)at[6] << 24 |
					   (__u32)at[7] << 16 |
					   (__u32)at[8] << 8 | at[9];
				o->has |= XG_OPT_TS;
			}
			break;
		}
		off += len;
	}
}

/*
 * The options of the TCP header @off bytes into the packet [@data, @end)
 * (@off from the caller's parse: the verifier knows nothing of it here).
 * 0, or -1 when it is out of range.
 */
static __always_inline int xg_tcpopt_at(void *data, void *end, __u32 off,
					struct xg_tcpopt *o)
{
	struct tcphdr *tcp;

	if (!o || off > 256)
		return -1;
	xg_barrier_var(off);
	tcp = data + (off & 0x1ff);
	if ((void *)(tcp + 1) > end)
		return -1;
	xg_tcpopt_parse(tcp, end, o);
	return 0;
}

#endif /* XG_LIB_TCPOPT_H */
