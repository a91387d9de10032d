// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the tc programs (bpf/tc_mss.bpf.c) through
 * BPF_PROG_TEST_RUN on crafted frames:
 *   - MSS clamping: the frame that comes out is compared byte for byte with
 *     one built independently by tests/pkt.h (whose checksums are computed
 *     from scratch), and its checksums are verified again on their own;
 *   - frames that must not change come out identical;
 *   - PTB accounting (both families, truncated payloads) and the egress
 *     record, checked in the maps and the ring buffer;
 *   - pmtu mode in a private network namespace with dummy interfaces.
 *
 * Prints "ok - NAME" / "not ok - NAME: why" per case; exits 1 on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include <xdpguard/pmtu.h>
#include "tc_mss.skel.h"
#include "../prog.h"
#include "../harness.h"

#define TC_ACT_UNSPEC	(-1)

static struct tc_mss_bpf *skel;
static struct ring_buffer *rb;
static int fd_in, fd_out, fd_cfg, fd_stats, fd_ptb, fd_egress, ncpus;
static struct xg_event evs[16];
static int nev;

static int on_event(void *ctx, void *data, size_t size)
{
	if (size == sizeof(struct xg_event) &&
	    nev < (int)(sizeof(evs) / sizeof(evs[0])))
		memcpy(&evs[nev++], data, size);
	return 0;
}

static int events(void)
{
	nev = 0;
	ring_buffer__consume(rb);
	return nev;
}

/* ---- settings, counters, maps ---- */

static int set_cfg(__u8 mode, __u16 mss, __u8 dirs, __u32 flags)
{
	struct xg_pm_cfg c = { .mss = mss, .mode = mode, .dirs = dirs,
			       .flags = flags };
	__u32 zero = 0;

	if (bpf_map_update_elem(fd_cfg, &zero, &c, BPF_ANY))
		return fail("cannot write xg_pm_cfg: %s", strerror(errno));
	return 0;
}

static __u64 stat(__u32 idx)
{
	__u64 v[ncpus], sum = 0;
	int i;

	if (bpf_map_lookup_elem(fd_stats, &idx, v))
		return ~0ULL;
	for (i = 0; i < ncpus; i++)
		sum += v[i];
	return sum;
}

static void map_clear(int fd)
{
	__u8 key[64];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
}

static int reset(void)
{
	__u64 zero[ncpus];
	__u32 i;

	memset(zero, 0, sizeof(zero));
	for (i = 0; i < XG_PMC_MAX; i++)
		if (bpf_map_update_elem(fd_stats, &i, zero, BPF_ANY))
			return fail("cannot zero xg_pm_stats");
	map_clear(fd_ptb);
	map_clear(fd_egress);
	events();
	return set_cfg(XG_MSS_FIXED, 1360, XG_DIR_BOTH,
		       XG_PM_F_PTB | XG_PM_F_BH);
}

/* Only these counters moved, by these amounts (pairs idx, n; -1 ends). */
static __u64 before[XG_PMC_MAX];

static void snap(void)
{
	int i;

	for (i = 0; i < XG_PMC_MAX; i++)
		before[i] = stat(i);
}

static int moved(int idx, ...)
{
	static const char *const names[XG_PMC_MAX] = {
		"syn_in", "syn_out", "clamped_in", "clamped_out", "kept",
		"added", "absent_left", "no_mtu", "malformed", "error",
		"ptb4", "ptb6", "ptb_truncated", "retrans_full",
		"retrans_small", "retrans_ptb", "blackholes",
	};
	__u64 want[XG_PMC_MAX] = {};
	va_list ap;
	int i;

	va_start(ap, idx);
	while (idx >= 0) {
		want[idx] = va_arg(ap, int);
		idx = va_arg(ap, int);
	}
	va_end(ap);
	for (i = 0; i < XG_PMC_MAX; i++) {
		__u64 d = stat(i) - before[i];

		ASSERT(d == want[i], "counter %s moved by %llu, want %llu",
		       names[i], (unsigned long long)d,
		       (unsigned long long)want[i]);
	}
	return 0;
}

/* ---- frames ---- */

/* A TCP frame with exactly these option bytes (a multiple of 4). */
static void tcp_frame(struct pkt *p, const char *src, __u8 flags,
		      const __u8 *opt, int optlen, int payload)
{
	struct spec s = { .src = src, .flags = flags, .tcpopt = optlen,
			  .payload = payload, .fill = 0x02 };

	build(&s, p);
	memcpy(p->buf + p->l4 + 20, opt, optlen);
	finish(p);
}

/* Frame -> frame through @prog; the retval must be TC_ACT_UNSPEC. */
static int run_ctx(int prog, const struct pkt *in, struct pkt *out,
		   struct __sk_buff *ctx)
{
	struct prog_res o;
	int err;

	err = prog_run_ctx(prog, in->buf, in->len, ctx, sizeof(*ctx), 1, out,
			   &o);
	if (err)
		return fail("test run failed: %s", strerror(-err));
	ASSERT(o.retval == TC_ACT_UNSPEC, "retval %d, want %d (go on)",
	       o.retval, TC_ACT_UNSPEC);
	/* the frame's bookkeeping (header offsets) stays the input's */
	out->l3 = in->l3;
	out->l4 = in->l4;
	out->family = in->family;
	out->proto = in->proto;
	return 0;
}

static int run(int prog, const struct pkt *in, struct pkt *out)
{
	return run_ctx(prog, in, out, NULL);
}

static void hexdiff(const struct pkt *a, const struct pkt *b, char *buf,
		    size_t len)
{
	size_t i, n = a->len < b->len ? a->len : b->len;

	for (i = 0; i < n && a->buf[i] == b->buf[i]; i++)
		;
	snprintf(buf, len, "lengths %zu/%zu, first difference at byte %zu "
		 "(%02x vs %02x)", a->len, b->len, i,
		 i < a->len ? a->buf[i] : 0, i < b->len ? b->buf[i] : 0);
}

static int same(const struct pkt *got, const struct pkt *want,
		const char *what)
{
	char d[128];

	size_t i;

	if (got->len == want->len && !memcmp(got->buf, want->buf, got->len))
		return 0;
	if (getenv("XG_DEBUG")) {
		for (i = 0; i < got->len; i++)
			fprintf(stderr, "%02x%s", got->buf[i],
				i % 16 == 15 ? "\n" : " ");
		fprintf(stderr, "\n-- want\n");
		for (i = 0; i < want->len; i++)
			fprintf(stderr, "%02x%s", want->buf[i],
				i % 16 == 15 ? "\n" : " ");
		fprintf(stderr, "\n");
	}
	hexdiff(got, want, d, sizeof(d));
	return fail("%s: %s", what, d);
}

/*
 * Checksums verified from scratch on the frame as it came out: the IPv4
 * header sums to 0xffff, and so do the TCP pseudo-header and segment
 * (lengths taken from the IP header, not from the test's bookkeeping).
 */
static int csum_ok(const struct pkt *p)
{
	const __u8 *l3 = p->buf + p->l3;
	__u32 sum = 0, seglen, l4 = p->l4;
	__u8 proto[2] = { 0, IPPROTO_TCP };
	__u8 lenb[2];

	if (p->family == 4) {
		const struct iphdr *ip = (const void *)l3;

		ASSERT(csum_fold(csum_add(0, ip, ip->ihl * 4)) == 0,
		       "IPv4 header checksum is wrong");
		seglen = ntohs(ip->tot_len) - (l4 - p->l3);
		sum = csum_add(sum, &ip->saddr, 8);
	} else {
		const struct ipv6hdr *ip6 = (const void *)l3;

		seglen = ntohs(ip6->payload_len) - (l4 - p->l3 - 40);
		sum = csum_add(sum, &ip6->saddr, 32);
	}
	ASSERT(l4 + seglen <= p->len, "IP length %u past the frame", seglen);
	if (p->proto != IPPROTO_TCP)
		return 0;
	lenb[0] = seglen >> 8;
	lenb[1] = seglen & 0xff;
	sum = csum_add(sum, proto, 2);
	sum = csum_add(sum, lenb, 2);
	sum = csum_add(sum, p->buf + l4, seglen);
	ASSERT(csum_fold(sum) == 0, "TCP checksum is wrong (%u-byte segment)",
	       seglen);
	return 0;
}

/* Clamp @in through @prog and expect exactly @want (checksums valid). */
static int expect_frame(int prog, const struct pkt *in,
			const struct pkt *want)
{
	struct pkt out;

	TRY(run(prog, in, &out));
	TRY(same(&out, want, "output frame differs from the expected one"));
	return csum_ok(&out);
}

static int expect_same(int prog, const struct pkt *in)
{
	return expect_frame(prog, in, in);
}

/* ---- options ---- */

static const __u8 OPT_STD[20] = {		/* Linux's SYN options */
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
};

static void set16(__u8 *b, __u16 v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

/* @opt with the MSS value at @at (option offset of kind) set to @mss */
static void with_mss(__u8 *dst, const __u8 *opt, int len, int at, __u16 mss)
{
	memcpy(dst, opt, len);
	set16(dst + at + 2, mss);
}

/* ---- cases: clamping ---- */

static int clamp_case(const char *src, __u8 flags, const __u8 *opt, int len,
		      int at, __u16 mss_after, int prog)
{
	struct pkt in, want;
	__u8 o2[40];

	tcp_frame(&in, src, flags, opt, len, 0);
	with_mss(o2, opt, len, at, mss_after);
	tcp_frame(&want, src, flags, o2, len, 0);
	return expect_frame(prog, &in, &want);
}

static int t_clamp_v4(void)
{
	snap();
	TRY(clamp_case("198.18.7.1", T_SYN, OPT_STD, 20, 0, 1360, fd_in));
	return moved(XG_PMC_SYN_IN, 1, XG_PMC_CLAMPED_IN, 1, -1);
}

static int t_clamp_synack_egress(void)
{
	snap();
	TRY(clamp_case("198.18.7.1", T_SYN | T_ACK, OPT_STD, 20, 0, 1360,
		       fd_out));
	return moved(XG_PMC_SYN_OUT, 1, XG_PMC_CLAMPED_OUT, 1, -1);
}

static int t_equal_kept(void)
{
	struct pkt in;
	__u8 o[20];

	with_mss(o, OPT_STD, 20, 0, 1360);
	tcp_frame(&in, "198.18.7.1", T_SYN, o, 20, 0);
	snap();
	TRY(expect_same(fd_in, &in));
	with_mss(o, OPT_STD, 20, 0, 1200);
	tcp_frame(&in, "198.18.7.1", T_SYN | T_ACK, o, 20, 0);
	TRY(expect_same(fd_out, &in));
	return moved(XG_PMC_SYN_IN, 1, XG_PMC_SYN_OUT, 1, XG_PMC_KEPT, 2, -1);
}

/* MSS at an odd offset: its bytes straddle two checksum words. */
static int t_odd_alignment(void)
{
	static const __u8 odd1[8] = { 1, 2, 4, 0x05, 0xb4, 1, 1, 1 };
	static const __u8 odd3[12] = { 1, 1, 1, 2, 4, 0x23, 0x28, 4, 2, 1, 1,
				       0 };

	snap();
	TRY(clamp_case("198.18.7.1", T_SYN, odd1, 8, 1, 1360, fd_in));
	TRY(clamp_case("2001:db8:7::1", T_SYN, odd3, 12, 3, 1360, fd_in));
	return moved(XG_PMC_SYN_IN, 2, XG_PMC_CLAMPED_IN, 2, -1);
}

/* MSS last, after SACK-permitted, timestamps and window scale. */
static int t_odd_order(void)
{
	static const __u8 last[24] = {
		4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
		1, 1, 2, 4, 0xff, 0xff, 1, 1,
	};

	snap();
	TRY(clamp_case("198.18.7.1", T_SYN, last, 24, 18, 1360, fd_in));
	TRY(clamp_case("2001:db8:7::1", T_SYN | T_ACK, last, 24, 18, 1360,
		       fd_out));
	return moved(XG_PMC_SYN_IN, 1, XG_PMC_SYN_OUT, 1, XG_PMC_CLAMPED_IN, 1,
		     XG_PMC_CLAMPED_OUT, 1, -1);
}

/* Two MSS options: the receiver keeps the last, so both are clamped. */
static int t_two_mss(void)
{
	static const __u8 two[8] = { 2, 4, 0x05, 0xb4, 2, 4, 0x23, 0x28 };
	struct pkt in, want;
	__u8 o[8];

	memcpy(o, two, 8);
	set16(o + 2, 1360);
	set16(o + 6, 1360);
	tcp_frame(&in, "198.18.7.1", T_SYN, two, 8, 0);
	tcp_frame(&want, "198.18.7.1", T_SYN, o, 8, 0);
	return expect_frame(fd_in, &in, &want);
}

/* The SYN @s (OPT_STD options, MSS at TCP offset 22) through ingress:
 * its MSS clamped to @mss, nothing else changed. */
static int expect_std_clamped(const struct spec *s, __u16 mss)
{
	struct pkt in, want;

	build(s, &in);
	want = in;
	set16(want.buf + want.l4 + 22, mss);
	finish(&want);
	return expect_frame(fd_in, &in, &want);
}

static int t_ipv6(void)
{
	struct spec s = { .src = "2001:db8:7::1", .flags = T_SYN,
			  .tcpopt = 20, .ext = { EXT_HOP, EXT_DST },
			  .n_ext = 2 };

	snap();
	TRY(clamp_case("2001:db8:7::1", T_SYN, OPT_STD, 20, 0, 1360, fd_in));
	/* behind hop-by-hop and destination options headers */
	TRY(expect_std_clamped(&s, 1360));
	return moved(XG_PMC_SYN_IN, 2, XG_PMC_CLAMPED_IN, 2, -1);
}

static int t_vlan(void)
{
	struct spec s = { .src = "198.18.7.1", .flags = T_SYN, .tcpopt = 20,
			  .tpid = { ETH_P_8021Q } };

	return expect_std_clamped(&s, 1360);
}

static int t_ipv4_options(void)
{
	struct spec s = { .src = "198.18.7.1", .flags = T_SYN, .tcpopt = 20,
			  .ipopt = 12 };

	return expect_std_clamped(&s, 1360);
}

/* Segments that are not a SYN without RST pass unchanged and uncounted. */
static int t_not_syn_untouched(void)
{
	struct pkt in;

	snap();
	/* an ACK whose payload looks like an MSS option */
	tcp_frame(&in, "198.18.7.1", T_ACK, OPT_STD, 20, 64);
	TRY(expect_same(fd_in, &in));
	TRY(expect_same(fd_out, &in));
	tcp_frame(&in, "198.18.7.1", T_SYN | T_RST, OPT_STD, 20, 0);
	TRY(expect_same(fd_in, &in));
	tcp_frame(&in, "2001:db8:7::1", T_ACK | T_FIN, OPT_STD, 20, 0);
	TRY(expect_same(fd_in, &in));
	/* UDP */
	{
		struct spec u = { .src = "198.18.7.1", .proto = IPPROTO_UDP,
				  .payload = 32, .fill = 2 };

		build(&u, &in);
		TRY(expect_same(fd_in, &in));
	}
	return moved(-1);
}

static int t_off_and_dirs(void)
{
	struct pkt in;

	tcp_frame(&in, "198.18.7.1", T_SYN, OPT_STD, 20, 0);
	TRY(set_cfg(XG_MSS_OFF, 1360, XG_DIR_BOTH, XG_PM_F_PTB));
	snap();
	TRY(expect_same(fd_in, &in));
	TRY(expect_same(fd_out, &in));
	TRY(moved(-1));
	TRY(set_cfg(XG_MSS_FIXED, 1360, XG_DIR_INGRESS, 0));
	TRY(expect_same(fd_out, &in));
	TRY(moved(-1));
	TRY(set_cfg(XG_MSS_FIXED, 1360, XG_DIR_EGRESS, 0));
	TRY(expect_same(fd_in, &in));
	return moved(-1);
}

/* ---- cases: no MSS option ---- */

static int insert_case(const char *src, const __u8 *opt, int len,
		       __u16 clamp, __u16 want_mss, int pad)
{
	struct pkt in, want;
	__u8 o2[44] = { 2, 4 };

	TRY(set_cfg(XG_MSS_FIXED, clamp, XG_DIR_BOTH, 0));
	tcp_frame(&in, src, T_SYN, opt, len, 0);
	if (pad) {		/* Ethernet padding after the IP packet */
		memset(in.buf + in.len, 0, pad);
		in.len += pad;
	}
	set16(o2 + 2, want_mss);
	memcpy(o2 + 4, opt, len);
	tcp_frame(&want, src, T_SYN, o2, len + 4, 0);
	return expect_frame(fd_in, &in, &want);
}

static int t_insert_bare(void)
{
	snap();
	TRY(insert_case("198.18.7.1", NULL, 0, 1360, 536, 0));
	TRY(insert_case("198.18.7.1", NULL, 0, 500, 500, 0));
	TRY(insert_case("2001:db8:7::1", NULL, 0, 1360, 1220, 0));
	TRY(insert_case("2001:db8:7::1", NULL, 0, 1000, 1000, 0));
	return moved(XG_PMC_SYN_IN, 4, XG_PMC_ADDED, 4, -1);
}

static int t_insert_with_options(void)
{
	static const __u8 sack_ts_ws[16] = {
		4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
	};

	TRY(insert_case("198.18.7.1", sack_ts_ws, 16, 1360, 536, 0));
	return insert_case("2001:db8:7::1", sack_ts_ws, 16, 1360, 1220, 0);
}

/* A 54-byte SYN padded to the 60-byte minimum frame: padding goes. */
static int t_insert_padded(void)
{
	return insert_case("198.18.7.1", NULL, 0, 1360, 536, 6);
}

/* After EOL nothing is an option (the receiver stops there too). */
static int t_mss_after_eol(void)
{
	static const __u8 eol[8] = { 1, 0, 0, 0, 2, 4, 0x05, 0xb4 };

	return insert_case("198.18.7.1", eol, 8, 1360, 536, 0);
}

static int t_no_room(void)
{
	__u8 nops[40];
	struct pkt in;

	memset(nops, 1, sizeof(nops));
	snap();
	/* payload (a TFO SYN): bytes cannot move */
	tcp_frame(&in, "198.18.7.1", T_SYN, NULL, 0, 100);
	TRY(expect_same(fd_in, &in));
	/* data offset already 15 */
	tcp_frame(&in, "198.18.7.1", T_SYN, nops, 40, 0);
	TRY(expect_same(fd_in, &in));
	return moved(XG_PMC_SYN_IN, 2, XG_PMC_ABSENT_LEFT, 2, -1);
}

static int t_malformed_options(void)
{
	static const __u8 zero_len[8] = { 4, 0, 2, 4, 0x05, 0xb4, 1, 1 };
	static const __u8 overrun[4] = { 1, 8, 10, 1 };
	struct pkt in;

	snap();
	tcp_frame(&in, "198.18.7.1", T_SYN, zero_len, 8, 0);
	TRY(expect_same(fd_in, &in));
	tcp_frame(&in, "198.18.7.1", T_SYN, overrun, 4, 0);
	TRY(expect_same(fd_in, &in));
	return moved(XG_PMC_SYN_IN, 2, XG_PMC_MALFORMED, 2, -1);
}

/* ---- cases: PTB ---- */

/*
 * An ICMP error from @reporter quoting a packet to @inner_dst, with
 * @quote bytes of the quoted packet (IP header first).
 */
static void ptb_frame(struct pkt *p, const char *reporter,
		      const char *inner_dst, __u32 mtu, int quote, __u8 type,
		      __u8 code)
{
	struct spec s = { .src = reporter };
	__u32 addr[4];
	__u8 *icmp, *in;
	int fam;

	s.proto = parse_addr(reporter, addr) == 4 ? IPPROTO_ICMP :
		IPPROTO_ICMPV6;
	s.payload = 8 + quote;
	build(&s, p);
	icmp = p->buf + p->l4;
	in = icmp + 8;
	icmp[0] = type;
	icmp[1] = code;
	fam = parse_addr(inner_dst, addr);
	if (fam == 4) {
		set16(icmp + 6, mtu);
		memset(in, 0, quote);
		if (quote >= 1)
			in[0] = 0x45;
		if (quote >= 20)
			memcpy(in + 16, addr, 4);
		else if (quote > 16)
			memcpy(in + 16, addr, quote - 16);
	} else {
		icmp[4] = mtu >> 24;
		icmp[5] = mtu >> 16;
		icmp[6] = mtu >> 8;
		icmp[7] = mtu;
		memset(in, 0, quote);
		if (quote >= 1)
			in[0] = 0x60;
		if (quote >= 40)
			memcpy(in + 24, addr, 16);
	}
}

/* A PTB (ptb_frame()'s arguments) through ingress: left unchanged. */
static int ptb_in(const char *reporter, const char *inner_dst, __u32 mtu,
		  int quote, __u8 type, __u8 code)
{
	struct pkt in;

	ptb_frame(&in, reporter, inner_dst, mtu, quote, type, code);
	return expect_same(fd_in, &in);
}

static int ptb_entry(const char *dst, struct xg_ptb_val *v)
{
	struct xg_dst_key k = {};

	k.family = parse_addr(dst, k.addr);
	if (bpf_map_lookup_elem(fd_ptb, &k, v))
		return fail("no PTB entry for %s", dst);
	return 0;
}

static int expect_event(int type, const char *dst, __u32 mtu, __u64 count)
{
	__u32 addr[4];
	int fam = parse_addr(dst, addr);

	ASSERT(events() == 1, "%d ring-buffer records, want 1", nev);
	ASSERT(evs[0].type == type && evs[0].family == fam &&
	       !memcmp(evs[0].daddr, addr, 16) && evs[0].ptb.mtu == mtu &&
	       evs[0].ptb.count == count,
	       "record type %u family %u mtu %u count %llu, want %d/%d/%u/%llu",
	       evs[0].type, evs[0].family, evs[0].ptb.mtu,
	       (unsigned long long)evs[0].ptb.count, type, fam, mtu,
	       (unsigned long long)count);
	return 0;
}

static int expect_ptb(const char *dst, const char *reporter, __u64 count,
		      __u32 last, __u32 min)
{
	struct xg_ptb_val v;
	__u32 rep[4];

	TRY(ptb_entry(dst, &v));
	parse_addr(reporter, rep);
	ASSERT(v.count == count && v.last_mtu == last && v.min_mtu == min &&
	       v.first_ns && v.last_ns >= v.first_ns,
	       "%s: count %llu last %u min %u, want %llu/%u/%u", dst,
	       (unsigned long long)v.count, v.last_mtu, v.min_mtu,
	       (unsigned long long)count, last, min);
	ASSERT(!memcmp(v.reporter, rep, 16), "%s: reporter is not %s", dst,
	       reporter);
	return 0;
}

static int t_ptb_v4(void)
{
	snap();
	TRY(ptb_in("198.18.20.1", "198.18.30.2", 1400, 28, 3, 4));
	TRY(expect_ptb("198.18.30.2", "198.18.20.1", 1, 1400, 1400));
	TRY(expect_event(XG_EV_PTB, "198.18.30.2", 1400, 1));
	/* a second one, lower: counted; its record waits out the second */
	TRY(ptb_in("198.18.20.9", "198.18.30.2", 1300, 28, 3, 4));
	TRY(expect_ptb("198.18.30.2", "198.18.20.9", 2, 1300, 1300));
	ASSERT(events() == 0, "%d records within a second, want 0", nev);
	/* RFC 1191's MTU 0 (an old router): counted, min unchanged */
	TRY(ptb_in("198.18.20.9", "198.18.30.2", 0, 28, 3, 4));
	TRY(expect_ptb("198.18.30.2", "198.18.20.9", 3, 0, 1300));
	return moved(XG_PMC_PTB4, 3, -1);
}

static int t_ptb_v6(void)
{
	snap();
	TRY(ptb_in("2001:db8:20::1", "2001:db8:30::2", 1280, 48, 2, 0));
	TRY(expect_ptb("2001:db8:30::2", "2001:db8:20::1", 1, 1280, 1280));
	TRY(expect_event(XG_EV_PTB, "2001:db8:30::2", 1280, 1));
	return moved(XG_PMC_PTB6, 1, -1);
}

/* Quoted header too short to name the destination: counted apart. */
static int t_ptb_truncated(void)
{
	struct pkt in;

	snap();
	TRY(ptb_in("198.18.20.1", "198.18.30.2", 1400, 19, 3, 4));
	TRY(ptb_in("198.18.20.1", "198.18.30.2", 1400, 0, 3, 4));
	TRY(ptb_in("2001:db8:20::1", "2001:db8:30::2", 1280, 39, 2, 0));
	/* the ICMP header itself cut short */
	ptb_frame(&in, "198.18.20.1", "198.18.30.2", 1400, 0, 3, 4);
	in.len -= 2;
	finish(&in);
	TRY(expect_same(fd_in, &in));
	ASSERT(bpf_map_get_next_key(fd_ptb, NULL, &in) != 0,
	       "a truncated PTB made an entry");
	TRY(moved(XG_PMC_PTB_TRUNC, 4, -1));
	/* exactly long enough */
	TRY(ptb_in("198.18.20.1", "198.18.30.2", 1400, 20, 3, 4));
	TRY(ptb_in("2001:db8:20::1", "2001:db8:30::2", 1280, 40, 2, 0));
	TRY(expect_ptb("198.18.30.2", "198.18.20.1", 1, 1400, 1400));
	TRY(expect_ptb("2001:db8:30::2", "2001:db8:20::1", 1, 1280, 1280));
	return moved(XG_PMC_PTB_TRUNC, 4, XG_PMC_PTB4, 1, XG_PMC_PTB6, 1, -1);
}

/* Other ICMP errors, PTBs on egress, or with accounting off: nothing. */
static int t_ptb_others(void)
{
	struct pkt in;

	snap();
	TRY(ptb_in("198.18.20.1", "198.18.30.2", 1400, 28, 3, 1));
	TRY(ptb_in("198.18.20.1", "198.18.30.2", 1400, 28, 11, 0));
	TRY(ptb_in("2001:db8:20::1", "2001:db8:30::2", 1280, 48, 1, 4));
	ptb_frame(&in, "198.18.20.1", "198.18.30.2", 1400, 28, 3, 4);
	TRY(expect_same(fd_out, &in));
	TRY(set_cfg(XG_MSS_FIXED, 1360, XG_DIR_BOTH, 0));
	TRY(expect_same(fd_in, &in));
	ASSERT(bpf_map_get_next_key(fd_ptb, NULL, &in) != 0,
	       "an entry was made");
	ASSERT(events() == 0, "%d records, want 0", nev);
	return moved(-1);
}

/* ---- cases: what tc sees on egress ---- */

static int t_egress_record(void)
{
	struct xg_egress_val v;
	struct xg_dst_key k = {};
	struct pkt in;
	struct __sk_buff ctx = {};

	/* 1400 bytes of payload to DST4: a 1460-byte packet */
	tcp_frame(&in, "198.18.7.1", T_ACK, OPT_STD, 20, 1400);
	TRY(expect_same(fd_out, &in));
	k.family = parse_addr(DST4, k.addr);
	ASSERT(!bpf_map_lookup_elem(fd_egress, &k, &v) && v.max_pkt == 1460 &&
	       v.last_ns, "no egress record of 1460 bytes for %s", DST4);
	/* small packets and ingress leave no record */
	map_clear(fd_egress);
	tcp_frame(&in, "198.18.7.1", T_ACK, OPT_STD, 20, 500);
	TRY(expect_same(fd_out, &in));
	tcp_frame(&in, "198.18.7.1", T_ACK, OPT_STD, 20, 1400);
	TRY(expect_same(fd_in, &in));
	ASSERT(bpf_map_get_next_key(fd_egress, NULL, &k) != 0,
	       "a small or incoming packet made a record");
	/* a GSO packet counts as its segments */
	tcp_frame(&in, "2001:db8:7::1", T_ACK, OPT_STD, 20, 1400);
	ctx.gso_segs = 2;
	ctx.gso_size = 1300;
	{
		struct pkt out;

		TRY(run_ctx(fd_out, &in, &out, &ctx));
	}
	k.family = parse_addr(DST6, k.addr);
	ASSERT(!bpf_map_lookup_elem(fd_egress, &k, &v) &&
	       v.max_pkt == 40 + 40 + 1300,
	       "GSO: max_pkt %u, want %u", v.max_pkt, 40 + 40 + 1300);
	return 0;
}

/* ---- cases: pmtu mode, in a private network namespace ---- */

static int pmtu_ns_ready;

/*
 * Two veth pairs: d1 (MTU 1500) faces the SYNs' sources 198.18.7.0/24, 2001:db8:7::/64;
 * d0 (MTU 1400) faces their destinations (DST4, DST6).
 */
static int pmtu_ns(void)
{
	static const char *const cmds[] = {
		"ip link set lo up",
		"ip link add d0 mtu 1400 type veth peer name p0 mtu 1400",
		"ip link add d1 type veth peer name p1",
		"ip link set d0 up && ip link set p0 up",
		"ip link set d1 up && ip link set p1 up",
		"ip addr add 198.18.255.2/24 dev d0",
		"ip addr add 2001:db8:ffff::2/64 dev d0 nodad",
		"ip addr add 198.18.7.2/24 dev d1",
		"ip addr add 2001:db8:7::2/64 dev d1 nodad",
	};
	size_t i;

	if (pmtu_ns_ready)
		return 0;
	/* the rest of the process lives in it: these cases run last */
	if (unshare(CLONE_NEWNET))
		return fail("unshare(CLONE_NEWNET): %s", strerror(errno));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (system(cmds[i]))
			return fail("setup failed: %s", cmds[i]);
	pmtu_ns_ready = 1;
	return 0;
}

static int forwarding(int on)
{
	FILE *f4 = fopen("/proc/sys/net/ipv4/ip_forward", "w");
	FILE *f6 = fopen("/proc/sys/net/ipv6/conf/all/forwarding", "w");

	if (!f4 || !f6)
		return fail("cannot set forwarding");
	fprintf(f4, "%d\n", on);
	fprintf(f6, "%d\n", on);
	fclose(f4);
	fclose(f6);
	return 0;
}

/* SYN from @src (MSS 1460) through ingress: expect MSS @want. */
static int pmtu_case(const char *src, const char *in_dev, const char *dev,
		     __u16 want)
{
	struct __sk_buff ctx = {};
	struct pkt in, out, exp;
	__u8 o[20];

	ctx.ingress_ifindex = in_dev ? if_nametoindex(in_dev) : 0;
	ctx.ifindex = if_nametoindex(dev);
	tcp_frame(&in, src, T_SYN, OPT_STD, 20, 0);
	with_mss(o, OPT_STD, 20, 0, want);
	tcp_frame(&exp, src, T_SYN, o, 20, 0);
	TRY(run_ctx(fd_in, &in, &out, &ctx));
	TRY(same(&out, &exp, "pmtu clamp"));
	return csum_ok(&out);
}

/* A router: the smaller route MTU of the two ways, minus 40 / 60. */
static int t_pmtu_route(void)
{
	TRY(pmtu_ns());
	TRY(forwarding(1));
	TRY(set_cfg(XG_MSS_PMTU, 0, XG_DIR_BOTH, 0));
	snap();
	TRY(pmtu_case("198.18.7.1", "d1", "d1", 1360));
	TRY(pmtu_case("2001:db8:7::1", "d1", "d1", 1340));
	return moved(XG_PMC_SYN_IN, 2, XG_PMC_CLAMPED_IN, 2, -1);
}

/* A host that does not forward: the MTU of the interface. */
static int t_pmtu_host(void)
{
	TRY(pmtu_ns());
	TRY(forwarding(0));
	TRY(set_cfg(XG_MSS_PMTU, 0, XG_DIR_BOTH, 0));
	TRY(pmtu_case("198.18.7.1", NULL, "d0", 1360));
	TRY(pmtu_case("2001:db8:7::1", NULL, "d0", 1340));
	TRY(pmtu_case("198.18.7.1", NULL, "d1", 1460));
	return pmtu_case("2001:db8:7::1", NULL, "d1", 1440);
}

/* ---- the runner ---- */

static const struct test tests[] = {
	{ "clamp_v4_syn_ingress", t_clamp_v4 },
	{ "clamp_synack_egress", t_clamp_synack_egress },
	{ "equal_or_lower_kept", t_equal_kept },
	{ "odd_alignment_checksum", t_odd_alignment },
	{ "odd_order_mss_last", t_odd_order },
	{ "two_mss_options_both_clamped", t_two_mss },
	{ "ipv6_and_ext_headers", t_ipv6 },
	{ "vlan_tagged", t_vlan },
	{ "ipv4_options", t_ipv4_options },
	{ "not_syn_untouched", t_not_syn_untouched },
	{ "off_and_directions", t_off_and_dirs },
	{ "no_mss_inserted", t_insert_bare },
	{ "no_mss_inserted_before_options", t_insert_with_options },
	{ "no_mss_padded_frame", t_insert_padded },
	{ "mss_after_eol_ignored", t_mss_after_eol },
	{ "no_mss_no_room_left", t_no_room },
	{ "malformed_options_left", t_malformed_options },
	{ "ptb_v4", t_ptb_v4 },
	{ "ptb_v6", t_ptb_v6 },
	{ "ptb_truncated", t_ptb_truncated },
	{ "ptb_other_icmp_ignored", t_ptb_others },
	{ "egress_record", t_egress_record },
	/* last: they move the process into its own network namespace */
	{ "pmtu_router_route_mtu", t_pmtu_route },
	{ "pmtu_host_interface_mtu", t_pmtu_host },
};

int main(void)
{
	unsigned int failed;

	harness_init();
	prog_pin_cpu(-1);
	ncpus = libbpf_num_possible_cpus();
	skel = tc_mss_bpf__open_and_load();
	if (!skel) {
		printf("not ok - setup: cannot load tc_mss.bpf.o: %s\n",
		       strerror(errno));
		return 1;
	}
	fd_in = bpf_program__fd(skel->progs.xg_tc_ingress);
	fd_out = bpf_program__fd(skel->progs.xg_tc_egress);
	fd_cfg = bpf_map__fd(skel->maps.xg_pm_cfg);
	fd_stats = bpf_map__fd(skel->maps.xg_pm_stats);
	fd_ptb = bpf_map__fd(skel->maps.xg_ptb);
	fd_egress = bpf_map__fd(skel->maps.xg_egress);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.xg_events), on_event,
			      NULL, NULL);
	if (!rb) {
		printf("not ok - setup: no ring buffer\n");
		return 1;
	}
	failed = harness_run(tests, ARRAY_SIZE(tests), reset);
	ring_buffer__free(rb);
	tc_mss_bpf__destroy(skel);
	return failed ? 1 : 0;
}
