// SPDX-License-Identifier: GPL-2.0
/*
 * PMTUD black-hole detection: tcp:tcp_retransmit_skb (tp_btf), one
 * instance per attached interface, sharing that interface's maps. It is
 * not attached itself: the host's one retransmission program
 * (bpf/retrans_host.bpf.c) tail-calls it from its slot.
 *
 * An instance counts a retransmission only when its socket lives in the
 * interface's network namespace and the interface's tc egress program has
 * recently sent large TCP packets to the socket's peer (xg_egress): the
 * peer is reached through this interface.
 *
 * A destination is suspected when, with no Packet Too Big for it in the
 * last XG_BH_PTB_GRACE_NS nor since its streak began:
 *   - bh_threshold (default 3) full-size segments to it were retransmitted
 *     (payload >= the connection's MSS, packet larger than the smallest
 *     MTU of the family: 576 / 1280; a smaller one fits every path), and
 *   - the one that tips it over is a retransmission after at least two
 *     consecutive timeouts of its connection: the same data is lost again
 *     and again, which congestion alone rarely does.
 * Then one pmtud_blackhole_suspected record is raised for the streak. A
 * streak ends with a PTB for the destination or after XG_BH_IDLE_NS
 * without a full-size retransmission.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <xdpguard/abi.h>
#include "lib/events.h"
#include "lib/pmtu_maps.h"
#include "lib/retrans.h"

/* set at attach */
const volatile __u64 netns_cookie = 0;
const volatile __u32 ifindex = 0;

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(xg_retrans, const struct sock *sk, const struct sk_buff *skb)
{
	struct xg_dst_key key = {};
	struct xg_bh_val *bh, init = {};
	struct xg_egress_val *eg;
	struct xg_ptb_val *ptb;
	struct xg_event *e;
	struct xg_pm_cfg *cfg;
	struct xg_config *gcfg;
	struct tcp_sock *tp;
	__u32 zero = 0, mss, len, pkt, rto, threshold;
	__u16 family;
	__u64 now;

	cfg = bpf_map_lookup_elem(&xg_pm_cfg, &zero);
	if (!cfg || !(cfg->flags & XG_PM_F_BH))
		return 0;
	if (rt_netns_cookie(sk) != netns_cookie)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!rt_peer(sk, family, &key))
		return 0;
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return 0;
	mss = BPF_CORE_READ(tp, mss_cache);
	len = BPF_CORE_READ(skb, len);
	pkt = (key.family == 4 ? 20 : 40) + BPF_CORE_READ(tp, tcp_header_len) +
		mss;
	now = bpf_ktime_get_ns();
	eg = bpf_map_lookup_elem(&xg_egress, &key);
	if (!eg || now - eg->last_ns > XG_BH_IDLE_NS)
		return 0;	/* not a peer reached through this interface */
	if (!mss || len < mss ||
	    pkt <= (key.family == 4 ? 576 : 1280)) {
		pm_count(XG_PMC_RETRANS_SMALL);
		return 0;
	}

	bh = bpf_map_lookup_elem(&xg_bh, &key);
	if (!bh) {
		bpf_map_update_elem(&xg_bh, &key, &init, BPF_NOEXIST);
		bh = bpf_map_lookup_elem(&xg_bh, &key);
		if (!bh)
			return 0;
	}
	ptb = bpf_map_lookup_elem(&xg_ptb, &key);
	if (ptb && (now - ptb->last_ns < XG_BH_PTB_GRACE_NS ||
		    (bh->retrans && ptb->last_ns >= bh->first_ns))) {
		/* PMTUD works for this destination */
		bh->retrans = 0;
		bh->reported_ns = 0;
		pm_count(XG_PMC_RETRANS_PTB);
		return 0;
	}
	if (bh->retrans && now - bh->last_ns > XG_BH_IDLE_NS) {
		bh->retrans = 0;
		bh->reported_ns = 0;
	}
	if (!bh->retrans)
		bh->first_ns = now;
	bh->retrans++;
	bh->last_ns = now;
	bh->seg = mss;
	bh->pkt = pkt;
	pm_count(XG_PMC_RETRANS_FULL);

	threshold = cfg->bh_threshold ? cfg->bh_threshold : XG_BH_THRESHOLD;
	rto = BPF_CORE_READ(tp, inet_conn.icsk_retransmits);
	if (bh->reported_ns || bh->retrans < threshold || rto < 2)
		return 0;
	bh->reported_ns = now;
	bh->events++;
	pm_count(XG_PMC_BLACKHOLES);
	gcfg = bpf_map_lookup_elem(&xg_config, &zero);
	if (!gcfg)
		return 0;
	e = event_reserve(gcfg, now);
	if (!e)
		return 0;
	e->type = XG_EV_BLACKHOLE;
	e->family = key.family;
	e->ifindex = ifindex;
	/* the connection: local end, then its peer (the destination) */
	if (key.family == 4) {
		e->saddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	} else {
		BPF_CORE_READ_INTO(&e->saddr, sk,
			__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
		if (family == XG_AF_INET6 && !e->saddr[0] && !e->saddr[1] &&
		    e->saddr[2] == bpf_htonl(0xffff)) {
			e->saddr[0] = e->saddr[3];
			e->saddr[2] = e->saddr[3] = 0;
		}
	}
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memcpy(e->daddr, key.addr, 16);
	e->blackhole.seg = mss;
	e->blackhole.pkt = pkt;
	e->blackhole.retrans = bh->retrans;
	e->blackhole.since_ns = bh->first_ns;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
