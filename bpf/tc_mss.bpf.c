// SPDX-License-Identifier: GPL-2.0
/*
 * tc ingress and egress of an attached interface (clsact, direct action):
 *
 *  - MSS clamping (`xdpguard mss set`): the MSS option of SYN and SYN-ACK
 *    segments, IPv4 and IPv6, is lowered to the clamp (a fixed N, or the
 *    route MTU minus 40/60 bytes) and never raised; the TCP checksum is
 *    fixed incrementally. A SYN without an MSS option and without payload
 *    gets one of min(clamp, 536) (IPv4) or min(clamp, 1220) (IPv6): what
 *    its receiver would assume anyway (RFC 1122, RFC 8200), made explicit,
 *    exactly as iptables' TCPMSS target does.
 *  - ICMP Packet Too Big accounting on ingress (ICMPv4 3/4, ICMPv6 2),
 *    per inner destination.
 *  - On egress, the largest TCP packets per destination: what scopes the
 *    host-wide retransmission tracepoint (bpf/sock_retrans.bpf.c) to this
 *    interface.
 *
 * Every packet goes on (TC_ACT_UNSPEC): later tc filters still run, and
 * nothing here ever drops.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdpguard/abi.h>
#include "lib/parse.h"
#include "lib/events.h"
#include "lib/pmtu_maps.h"
#include "lib/rt_via.h"

#define TC_ACT_UNSPEC		(-1)
#define XG_AF_INET		2
#define XG_AF_INET6		10
#define XG_IPPROTO_ICMP		1
#define XG_IPPROTO_ICMPV6	58
#define XG_PULL_LEN		256	/* headers we may need linear */
#define XG_TCPOPT_MAX		40
#define XG_MIN_MTU4		576	/* no IPv4 path is smaller */
#define XG_MIN_MTU6		1280

/* set at attach: this interface's namespace and its slot in the host's
 * retransmission program (xgh_rt_progs) */
const volatile __u64 netns_cookie = 0;
const volatile __u32 rt_slot = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_pm_info);
} xg_pm_info SEC(".maps");

/* Where the headers are: offsets from the start of the frame. */
struct loc {
	__u32 l3;
	__u32 l4;
	__u32 l3len;		/* IPv4 tot_len, IPv6 40 + payload_len */
	__u32 saddr[4];
	__u32 daddr[4];
	__u8 family;
	__u8 proto;
	__u8 tcpflags;
	__u8 doff;		/* TCP header bytes */
};

enum { LOC_OK, LOC_SKIP, LOC_PULL };

static __noinline int locate(struct __sk_buff *skb, struct loc *l)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	__u32 linear = data_end - data;
	struct xg_pkt p = {};
	struct ipv6hdr *ip6;
	struct iphdr *iph;
	int rc, cut;

	rc = xg_parse(data, data_end, &p);
	if (rc == XG_P_NOT_IP)
		return LOC_SKIP;
	/* cut short: by the frame (a truncated ICMP is still accounted) or
	 * by a non-linear skb, whose headers are pulled once */
	cut = rc != XG_P_OK || !p.l4 ||
		(p.l4proto == XG_IPPROTO_TCP && !p.tcp) ||
		((p.l4proto == XG_IPPROTO_ICMP ||
		  p.l4proto == XG_IPPROTO_ICMPV6) && p.l4 + 48 > data_end);
	if (cut && linear < skb->len && linear < XG_PULL_LEN)
		return LOC_PULL;
	if (rc != XG_P_OK || !p.l4 || p.l4_malformed || p.fragment)
		return LOC_SKIP;
	l->l3 = p.l3 - data;
	l->l4 = p.l4 - data;
	if (l->l3 > XG_PULL_LEN || l->l4 > XG_PULL_LEN)
		return LOC_SKIP;
	l->family = p.family;
	l->proto = p.l4proto;
	if (p.family == 4) {
		iph = p.l3;
		if ((void *)(iph + 1) > data_end)
			return LOC_SKIP;
		l->l3len = bpf_ntohs(iph->tot_len);
		l->saddr[0] = iph->saddr;
		l->daddr[0] = iph->daddr;
	} else {
		ip6 = p.l3;
		if ((void *)(ip6 + 1) > data_end)
			return LOC_SKIP;
		l->l3len = 40 + bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(l->saddr, &ip6->saddr, 16);
		__builtin_memcpy(l->daddr, &ip6->daddr, 16);
	}
	if (p.tcp) {
		l->tcpflags = ((__u8 *)p.tcp)[13];
		l->doff = p.tcp->doff * 4;
	}
	return LOC_OK;
}

/*
 * MTU of the route to @to (the interface's FIB, as if the packet had come
 * in on @ifindex): the route's MTU metric, a learned PMTU exception or
 * the device's MTU. 0: no route, a local address, or forwarding is off
 * on that interface (bpf_fib_lookup answers only as a router).
 */
static __always_inline __u32 route_mtu(struct __sk_buff *skb, struct loc *l,
				       __u32 ifindex, int reverse)
{
	struct bpf_fib_lookup f = {};
	long rc;

	f.l4_protocol = XG_IPPROTO_TCP;
	/* any packet longer than the MTU makes the lookup report it */
	f.tot_len = 0xffff;
	f.ifindex = ifindex;
	if (l->family == 4) {
		f.family = XG_AF_INET;
		f.ipv4_src = reverse ? l->daddr[0] : l->saddr[0];
		f.ipv4_dst = reverse ? l->saddr[0] : l->daddr[0];
	} else {
		f.family = XG_AF_INET6;
		__builtin_memcpy(f.ipv6_src, reverse ? l->daddr : l->saddr, 16);
		__builtin_memcpy(f.ipv6_dst, reverse ? l->saddr : l->daddr, 16);
	}
	rc = bpf_fib_lookup(skb, &f, sizeof(f), 0);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return f.mtu_result;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return 0xffff;	/* the MTU is at least the probe's length */
	return 0;
}

/*
 * The clamp in pmtu mode: like iptables' --clamp-mss-to-pmtu, the smaller
 * of the route MTUs toward the destination and back toward the source;
 * where neither is known (a host that does not forward, a local
 * destination), the MTU of this interface.
 */
static __always_inline __u32 path_mtu(struct __sk_buff *skb, struct loc *l)
{
	__u32 iif = skb->ingress_ifindex, oif = skb->ifindex;
	__u32 fwd, rev, mtu = 0, ifindex;

	/* both read: a select between ctx fields is not allowed */
	ifindex = iif ? iif : oif;

	fwd = route_mtu(skb, l, ifindex, 0);
	rev = route_mtu(skb, l, ifindex, 1);
	if (fwd && rev)
		return fwd < rev ? fwd : rev;
	if (fwd || rev)
		return fwd | rev;
	if (bpf_check_mtu(skb, 0, &mtu, 0, 0) < 0)
		return 0;
	return mtu;
}

/* Lower the MSS option at @i (option offset) from @old to @mss. */
static __always_inline int mss_rewrite(struct __sk_buff *skb, struct loc *l,
				       __u32 i, __u16 old, __u16 mss)
{
	__u16 from = bpf_htons(old), to = bpf_htons(mss);

	if (bpf_skb_store_bytes(skb, l->l4 + 20 + i + 2, &to, 2, 0))
		return -1;
	/*
	 * The checksum sums 16-bit words from the TCP header's start: a
	 * value at an odd offset straddles two words and counts with its
	 * bytes swapped.
	 */
	if (i & 1) {
		from = __builtin_bswap16(from);
		to = __builtin_bswap16(to);
	}
	return bpf_l4_csum_replace(skb, l->l4 + 16, from, to, 2);
}

/*
 * A SYN without an MSS option and without payload: insert one in front of
 * the other options. Bytes move, so the frame grows by 4 (any Ethernet
 * padding is dropped) and the IP length, data offset and checksums follow,
 * in the order iptables applies them so the results match to the bit.
 */
static __always_inline int mss_insert(struct __sk_buff *skb, struct loc *l,
				      __u32 optlen, __u16 mss)
{
	__u8 ins[XG_TCPOPT_MAX + 4] = { 2, 4 };
	__u32 seglen = l->l3len - (l->l4 - l->l3), n, word;
	__u16 w12, nw12, len, nlen;

	ins[2] = mss >> 8;
	ins[3] = mss & 0xff;
	if (optlen > 0 && optlen <= XG_TCPOPT_MAX &&
	    bpf_skb_load_bytes(skb, l->l4 + 20, ins + 4, optlen))
		return -1;
	if (bpf_skb_load_bytes(skb, l->l4 + 12, &w12, 2))
		return -1;
	if (bpf_skb_change_tail(skb, l->l4 + l->doff + 4, 0))
		return -1;
	n = optlen + 4;
	if (n > sizeof(ins))
		return -1;
	if (bpf_skb_store_bytes(skb, l->l4 + 20, ins, n, 0))
		return -1;
	nw12 = bpf_htons(bpf_ntohs(w12) + 0x1000);	/* doff + 1 */
	if (bpf_skb_store_bytes(skb, l->l4 + 12, &nw12, 2, 0))
		return -1;
	__builtin_memcpy(&word, ins, 4);
	if (bpf_l4_csum_replace(skb, l->l4 + 16, bpf_htons(seglen),
				bpf_htons(seglen + 4), BPF_F_PSEUDO_HDR | 2) ||
	    bpf_l4_csum_replace(skb, l->l4 + 16, 0, word, 4) ||
	    bpf_l4_csum_replace(skb, l->l4 + 16, w12, nw12, 2))
		return -1;
	len = bpf_htons(l->l3len - (l->family == 4 ? 0 : 40));
	nlen = bpf_htons(l->l3len + 4 - (l->family == 4 ? 0 : 40));
	if (l->family == 4)
		return bpf_skb_store_bytes(skb, l->l3 + 2, &nlen, 2, 0) ||
			bpf_l3_csum_replace(skb, l->l3 + 10, len, nlen, 2);
	/* no IP checksum: keep a CHECKSUM_COMPLETE skb's sum right */
	return bpf_skb_store_bytes(skb, l->l3 + 4, &nlen, 2,
				   BPF_F_RECOMPUTE_CSUM);
}

/* The options as the receiver's kernel reads them (tcp_parse_options). */
struct optscan {
	__u8 opts[XG_TCPOPT_MAX];
	__u32 optlen;
	__u32 i;
	__u32 n_mss;
	__u32 mss_at[XG_TCPOPT_MAX / 4];
	__u32 bad;
};

/* One option per call: EOL ends the list, so does a bad length. */
static long scan_one(__u32 idx, struct optscan *s)
{
	__u32 i = s->i;
	__u8 kind, len;

	if (i >= s->optlen || i >= XG_TCPOPT_MAX)
		return 1;
	kind = s->opts[i];
	if (kind == 0)
		return 1;
	if (kind == 1) {
		s->i = i + 1;
		return 0;
	}
	if (i + 1 >= s->optlen || i + 1 >= XG_TCPOPT_MAX) {
		s->bad = 1;
		return 1;
	}
	len = s->opts[i + 1];
	if (len < 2 || i + len > s->optlen) {
		s->bad = 1;
		return 1;
	}
	/* every MSS option: the receiver keeps the last one */
	if (kind == 2 && len == 4 && s->n_mss < XG_TCPOPT_MAX / 4)
		s->mss_at[s->n_mss++] = i;
	s->i = i + len;
	return 0;
}

static __noinline void clamp_syn(struct __sk_buff *skb,
				 struct xg_pm_cfg *cfg, struct loc *l,
				 __u32 dir)
{
	struct optscan s = {};
	__u32 target, mtu, minlen, optlen, seglen, k, at;
	int lowered = 0, err = 0;
	__u16 old;

	pm_count(dir == XG_DIR_INGRESS ? XG_PMC_SYN_IN : XG_PMC_SYN_OUT);
	if (cfg->mode == XG_MSS_FIXED) {
		target = cfg->mss;
	} else {
		minlen = l->family == 4 ? 40 : 60;
		mtu = path_mtu(skb, l);
		if (mtu <= minlen) {
			pm_count(XG_PMC_NO_MTU);
			return;
		}
		target = mtu - minlen;
	}
	if (target > 0xffff)
		target = 0xffff;
	optlen = l->doff - 20;
	if (l->doff < 20 || optlen > XG_TCPOPT_MAX) {
		pm_count(XG_PMC_MALFORMED);
		return;
	}
	if (optlen > 0 && optlen <= XG_TCPOPT_MAX &&
	    bpf_skb_load_bytes(skb, l->l4 + 20, s.opts, optlen)) {
		pm_count(XG_PMC_ERROR);
		return;
	}
	s.optlen = optlen;
	bpf_loop(XG_TCPOPT_MAX, scan_one, &s, 0);
	for (k = 0; k < XG_TCPOPT_MAX / 4; k++) {
		if (k >= s.n_mss)
			break;
		at = s.mss_at[k];
		if (at > XG_TCPOPT_MAX - 4)
			break;
		old = s.opts[at + 2] << 8 | s.opts[at + 3];
		if (old <= target)
			continue;
		if (mss_rewrite(skb, l, at, old, target))
			err = 1;
		else
			lowered = 1;
	}
	if (err) {
		pm_count(XG_PMC_ERROR);
		return;
	}
	if (lowered) {
		pm_count(dir == XG_DIR_INGRESS ? XG_PMC_CLAMPED_IN :
			 XG_PMC_CLAMPED_OUT);
		return;
	}
	if (s.n_mss) {
		pm_count(XG_PMC_KEPT);
		return;
	}
	if (s.bad) {
		pm_count(XG_PMC_MALFORMED);
		return;
	}
	/* no MSS option: the receiver assumes 536 / 1220 */
	seglen = l->l3len - (l->l4 - l->l3);
	if (seglen != l->doff || l->doff >= 60) {
		pm_count(XG_PMC_ABSENT_LEFT);
		return;
	}
	if (l->family == 4 && target > XG_MSS_DEFAULT4)
		target = XG_MSS_DEFAULT4;
	if (l->family == 6 && target > XG_MSS_DEFAULT6)
		target = XG_MSS_DEFAULT6;
	if (mss_insert(skb, l, optlen, target))
		pm_count(XG_PMC_ERROR);
	else
		pm_count(XG_PMC_ADDED);
}

/* ICMPv4 3/4 or ICMPv6 2: account it to the inner destination. */
static __noinline void ptb_account(struct __sk_buff *skb, struct loc *l)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct xg_dst_key key = {};
	struct xg_ptb_val *v, init = {};
	struct xg_event *e;
	struct xg_config *cfg;
	__u32 mtu, zero = 0, off = l->l4;
	__u8 *icmp, *inner;
	__u64 now;

	if (off > XG_PULL_LEN)
		return;
	icmp = data + off;
	if ((void *)(icmp + 2) > data_end)
		return;
	if ((void *)(icmp + 8) > data_end) {
		/* the ICMP header itself cut short */
		if ((l->family == 4 && l->proto == XG_IPPROTO_ICMP &&
		     icmp[0] == 3 && icmp[1] == 4) ||
		    (l->family == 6 && l->proto == XG_IPPROTO_ICMPV6 &&
		     icmp[0] == 2))
			pm_count(XG_PMC_PTB_TRUNC);
		return;
	}
	if (l->family == 4) {
		if (l->proto != XG_IPPROTO_ICMP || icmp[0] != 3 || icmp[1] != 4)
			return;
		mtu = icmp[6] << 8 | icmp[7];
	} else {
		if (l->proto != XG_IPPROTO_ICMPV6 || icmp[0] != 2)
			return;
		mtu = (__u32)icmp[4] << 24 | (__u32)icmp[5] << 16 |
			(__u32)icmp[6] << 8 | icmp[7];
	}
	inner = icmp + 8;
	/* the quoted header must reach its destination address */
	if (l->family == 4) {
		if ((void *)(inner + 20) > data_end || inner[0] >> 4 != 4) {
			pm_count(XG_PMC_PTB_TRUNC);
			return;
		}
		key.family = 4;
		__builtin_memcpy(key.addr, inner + 16, 4);
	} else {
		if ((void *)(inner + 40) > data_end || inner[0] >> 4 != 6) {
			pm_count(XG_PMC_PTB_TRUNC);
			return;
		}
		key.family = 6;
		__builtin_memcpy(key.addr, inner + 24, 16);
	}
	pm_count(l->family == 4 ? XG_PMC_PTB4 : XG_PMC_PTB6);
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&xg_ptb, &key);
	if (!v) {
		init.first_ns = now;
		bpf_map_update_elem(&xg_ptb, &key, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&xg_ptb, &key);
		if (!v)
			return;
	}
	__sync_fetch_and_add(&v->count, 1);
	v->last_ns = now;
	v->last_mtu = mtu;
	if (mtu && (!v->min_mtu || mtu < v->min_mtu))
		v->min_mtu = mtu;
	__builtin_memcpy(v->reporter, l->saddr, 16);
	if (v->event_ns && now - v->event_ns < XG_NSEC_PER_SEC)
		return;
	v->event_ns = now;
	cfg = bpf_map_lookup_elem(&xg_config, &zero);
	if (!cfg)
		return;
	e = event_reserve(cfg, now);
	if (!e)
		return;
	e->type = XG_EV_PTB;
	e->family = key.family;
	e->ifindex = skb->ingress_ifindex;
	__builtin_memcpy(e->saddr, l->saddr, 16);	/* the reporter */
	__builtin_memcpy(e->daddr, key.addr, 16);	/* its destination */
	e->ptb.mtu = mtu;
	e->ptb.min_mtu = v->min_mtu;
	e->ptb.count = v->count;
	e->ptb.since_ns = v->first_ns;
	bpf_ringbuf_submit(e, 0);
}

/* the host's retransmission program: this interface reaches @dst */
static __always_inline void via_seen(const struct xg_dst_key *dst, __u64 now,
				     __u32 ifindex)
{
	struct xg_rt_via via = { .slot = rt_slot, .ifindex = ifindex,
				 .last_ns = now };
	struct xg_rt_key key = { .netns_cookie = netns_cookie, .dst = *dst };

	bpf_map_update_elem(&xgh_rt_via, &key, &via, BPF_ANY);
}

/*
 * Egress: remember, per destination, the largest TCP packets that could
 * be too big for some path (longer than the smallest MTU of the family).
 * A GSO packet leaves as gso_size segments. The host's retransmission
 * program learns, at most once a second per destination, that this
 * interface reaches it.
 */
static __always_inline void egress_seen(struct __sk_buff *skb, struct loc *l)
{
	struct xg_egress_val *v, init = {};
	struct xg_dst_key key = {};
	__u32 pkt = l->l3len;
	__u64 now;

	if (skb->gso_segs > 1 && skb->gso_size)
		pkt = (l->l4 - l->l3) + l->doff + skb->gso_size;
	if (pkt <= (l->family == 4 ? XG_MIN_MTU4 : XG_MIN_MTU6))
		return;
	key.family = l->family;
	__builtin_memcpy(key.addr, l->daddr, 16);
	/* the helper, not lib/clock.h: sock_retrans compares these times
	 * with bpf_ktime_get_ns(), which the jiffies clock may lead */
	now = bpf_ktime_get_coarse_ns();
	v = bpf_map_lookup_elem(&xg_egress, &key);
	if (v) {
		/* one write a second per destination at most */
		if (now - v->last_ns >= XG_NSEC_PER_SEC) {
			v->last_ns = now;
			via_seen(&key, now, skb->ifindex);
		}
		if (pkt > v->max_pkt)
			v->max_pkt = pkt;
		return;
	}
	init.last_ns = now;
	init.max_pkt = pkt;
	bpf_map_update_elem(&xg_egress, &key, &init, BPF_NOEXIST);
	via_seen(&key, now, skb->ifindex);
}

static __always_inline int tc_main(struct __sk_buff *skb, __u32 dir)
{
	struct xg_pm_cfg *cfg;
	struct loc l = {};
	__u32 zero = 0;
	int clamp, ptb, egress, rc;

	cfg = bpf_map_lookup_elem(&xg_pm_cfg, &zero);
	if (!cfg)
		return TC_ACT_UNSPEC;
	clamp = cfg->mode != XG_MSS_OFF && (cfg->dirs & dir);
	ptb = dir == XG_DIR_INGRESS && (cfg->flags & XG_PM_F_PTB);
	egress = dir == XG_DIR_EGRESS && (cfg->flags & XG_PM_F_BH);
	if (!clamp && !ptb && !egress)
		return TC_ACT_UNSPEC;
	rc = locate(skb, &l);
	if (rc == LOC_PULL) {
		if (bpf_skb_pull_data(skb, skb->len < XG_PULL_LEN ?
				      skb->len : XG_PULL_LEN))
			return TC_ACT_UNSPEC;
		rc = locate(skb, &l);
	}
	if (rc != LOC_OK)
		return TC_ACT_UNSPEC;
	if (l.proto == XG_IPPROTO_TCP) {
		if ((l.tcpflags & (XG_TCP_SYN | XG_TCP_RST)) == XG_TCP_SYN) {
			if (clamp)
				clamp_syn(skb, cfg, &l, dir);
		} else if (egress) {
			egress_seen(skb, &l);
		}
		return TC_ACT_UNSPEC;
	}
	if (ptb)
		ptb_account(skb, &l);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int xg_tc_ingress(struct __sk_buff *skb)
{
	return tc_main(skb, XG_DIR_INGRESS);
}

SEC("tc")
int xg_tc_egress(struct __sk_buff *skb)
{
	return tc_main(skb, XG_DIR_EGRESS);
}

char LICENSE[] SEC("license") = "GPL";
