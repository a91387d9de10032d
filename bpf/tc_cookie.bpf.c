// SPDX-License-Identifier: GPL-2.0
/*
 * tc ingress: the hand-off of SYN-cookie ACKs to the kernel.
 *
 * The XDP guard answers SYNs to cookie ports with SYN-ACK cookies and
 * keeps no state. When the client's ACK arrives, this program checks the
 * cookie (ours, lib/cookie.h, under the host's key), finds the listener,
 * recovers what the cookie and the TS echo carry (MSS, window scale,
 * SACK, timestamps) and gives the listener a request socket for it with
 * the kfunc bpf_sk_assign_tcp_reqsk (Linux 6.9+), which takes the
 * program's word for the cookie. The kernel then completes the
 * connection as one of its own cookies: accept() returns it. It needs
 * net.ipv4.tcp_syncookies != 0 (xdpguard cookies set checks).
 *
 * ACKs to ports without a cookie setting, ACKs of known connections and
 * ACKs that carry no valid cookie pass untouched (XDP drops the bogus
 * ones while cookies answer; otherwise the kernel answers RST as usual).
 * The kernel's own cookies fail our check, and a cookie with timestamps
 * whose TS echo lacks our tag (lib/cookie.h) is not taken either: the
 * kernel completes (or refuses) those itself.
 *
 * Every packet not handed off goes on to the next tc filter
 * (TC_ACT_UNSPEC): this filter sits before the MSS clamp / PTB accounting
 * of tc_mss.bpf.c on the same ingress hook, which TC_ACT_OK would skip.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdpguard/abi.h>
#include "lib/parse.h"
#include "lib/maps.h"
#include "lib/csum.h"
#include "lib/tcpopt.h"
#include "lib/cookie.h"
#include "lib/sk.h"

#define TC_ACT_UNSPEC	(-1)	/* not ours: the next filter runs */
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define PULL_LEN	128

extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs,
				   int attrs__sz) __ksym;

const volatile __u16 msstab4[4] = XG_MSSTAB4;
const volatile __u16 msstab6[4] = XG_MSSTAB6;

/* the last hand-off and the kfunc's answer, for the unit tests */
struct xg_handoff last_handoff;

_Static_assert(sizeof(struct bpf_tcp_req_attrs) ==
	       __builtin_offsetof(struct xg_handoff, ret), "xg_handoff layout");

/* Options of the TCP header at @off (global: see lib/tcpopt.h). */
__noinline int xg_tc_tcpopt(struct __sk_buff *skb, __u32 off,
			    struct xg_tcpopt *o)
{
	return xg_tcpopt_at((void *)(long)skb->data,
			    (void *)(long)skb->data_end, off, o);
}

/*
 * The MSS index the ACK's cookie carries when it is ours (checked with
 * the coarse clock, a tick from the guard's), else -1.
 */
static __always_inline int cookie_check(struct xg_pkt *p, struct tcphdr *tcp,
					void *end)
{
	__u64 now = bpf_ktime_get_coarse_ns();

	if (p->family == 4) {
		struct iphdr *iph = p->l3;

		if ((void *)(iph + 1) > end)
			return -1;
		return cookie_ours(4, iph, tcp, now);
	} else {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		return cookie_ours(6, ip6, tcp, now);
	}
}

static __always_inline struct bpf_sock *listener(struct __sk_buff *skb,
						 struct xg_pkt *p,
						 struct tcphdr *tcp)
{
	struct bpf_sock *sk = xg_skc_lookup(skb, p->family, p->l3, tcp);

	if (sk && sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return NULL;
	}
	return sk;
}

SEC("tc")
int xg_tc_cookie(struct __sk_buff *skb)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct xg_cookie_cfg *cc;
	struct xg_config *cfg;
	struct xg_tcpopt o = {};
	struct xg_pkt p = {};
	struct bpf_sock *sk;
	struct tcp_sock *tp;
	struct tcphdr *tcp;
	void *data, *end;
	__u32 zero = 0, cookie;
	int ws_ok, sack, ret, idx;
	__u8 ws;

	cfg = bpf_map_lookup_elem(&xg_config, &zero);
	if (!cfg || (cfg->flags & (XG_F_ENABLED | XG_F_COOKIES)) !=
	    (XG_F_ENABLED | XG_F_COOKIES))
		return TC_ACT_UNSPEC;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (xg_parse(data, end, &p) != XG_P_OK ||
	    p.l4proto != XG_IPPROTO_TCP || p.fragment)
		return TC_ACT_UNSPEC;
	if (!p.tcp) {
		/* the TCP header may lie past the linear part */
		if (bpf_skb_pull_data(skb, skb->len < PULL_LEN ? skb->len :
				      PULL_LEN))
			return TC_ACT_UNSPEC;
		__builtin_memset(&p, 0, sizeof(p));
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		if (xg_parse(data, end, &p) != XG_P_OK || !p.tcp)
			return TC_ACT_UNSPEC;
	}
	tcp = p.tcp;
	if ((void *)(tcp + 1) > end)
		return TC_ACT_UNSPEC;
	if (!tcp->ack || tcp->syn || tcp->rst)
		return TC_ACT_UNSPEC;
	if (!cookie_port(bpf_ntohs(tcp->dest)))
		return TC_ACT_UNSPEC;
	/* cheap first: most ACKs belong to connections and fail here */
	idx = cookie_check(&p, tcp, end);
	if (idx < 0)
		return TC_ACT_UNSPEC;
	cookie = bpf_ntohl(tcp->ack_seq) - 1;
	if (xg_tc_tcpopt(skb, (long)tcp - (long)data, &o))
		o.has = 0;
	cc = bpf_map_lookup_elem(&xg_cookie_cfg, &zero);
	if (!cc)
		return TC_ACT_UNSPEC;
	if ((o.has & XG_OPT_TS) && !xg_ts_ours(o.tsecr, cookie))
		return TC_ACT_UNSPEC;	/* the kernel's own cookie */

	/* a retransmitted ACK of a connection made already: not ours */
	sk = listener(skb, &p, tcp);
	if (!sk)
		return TC_ACT_UNSPEC;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp) {
		bpf_sk_release(sk);
		return TC_ACT_UNSPEC;
	}
	attrs.mss = p.family == 4 ? msstab4[idx & 3] : msstab6[idx & 3];
	if ((o.has & XG_OPT_TS) && (cc->flags & XG_CKF_TS)) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = o.tsval;
		attrs.rcv_tsecr = o.tsecr;
		xg_ts_decode(o.tsecr, &ws_ok, &ws, &sack);
		if (ws_ok && (cc->flags & XG_CKF_WSCALE)) {
			attrs.wscale_ok = 1;
			attrs.snd_wscale = ws;
			attrs.rcv_wscale = cc->wscale;
		}
		if (sack && (cc->flags & XG_CKF_SACK))
			attrs.sack_ok = 1;
	}
	ret = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &attrs,
				      sizeof(attrs));
	bpf_sk_release(sk);
	__builtin_memcpy(&last_handoff, &attrs, sizeof(attrs));
	last_handoff.ret = ret;
	if (ret) {
		/* the next segment of the client carries the cookie too */
		count(XG_C_HANDOFF_FAIL, skb->len);
		return TC_ACT_SHOT;
	}
	count(XG_C_HANDOFF, skb->len);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
