/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps shared by the XDP guard and the tc cookie hand-off: the tc program
 * is loaded later (xdpguard cookies set) and reuses the XDP program's
 * pinned maps, so both must declare them alike. Declared once, here.
 */
#ifndef XG_LIB_MAPS_H
#define XG_LIB_MAPS_H

#include "cookie.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_config);
} xg_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XG_C_SLOTS);
	__type(key, __u32);
	__type(value, struct xg_counter);
} xg_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XG_MAX_PORT_RULES);
	__type(key, __u16);
	__type(value, struct xg_cookie_port);
} xg_cookie_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_cookie_cfg);
} xg_cookie_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xg_cookie_key);
	__uint(map_flags, BPF_F_RDONLY_PROG);	/* user space writes it */
} xg_cookie_key SEC(".maps");

/* The host's cookie key (xg_cookie_key), or NULL when none is set. */
static __always_inline const __u64 *cookie_key(void)
{
	struct xg_cookie_key *k;
	__u32 zero = 0;

	k = bpf_map_lookup_elem(&xg_cookie_key, &zero);
	if (!k || !(k->k[0] | k->k[1]))
		return NULL;
	return k->k;
}

/*
 * The MSS index the cookie of the ACK @tcp carries when it is ours (the
 * host's key, the clock @now), else -1; @l3 its IPv4 (@family 4) or IPv6
 * header. The caller has bounds-checked both headers.
 */
static __always_inline int cookie_ours(int family, void *l3,
				       struct tcphdr *tcp, __u64 now)
{
	__u32 ports = *(__u32 *)&tcp->source, unit = xg_cookie_unit(now);
	__u32 isn = bpf_ntohl(tcp->seq) - 1;
	__u32 cookie = bpf_ntohl(tcp->ack_seq) - 1;
	const __u64 *key = cookie_key();

	if (!key)
		return -1;
	/* a constant family per call: the verifier sees only the reads of
	 * the header it was given */
	if (family == 4) {
		struct iphdr *iph = l3;

		return xg_cookie_check(key, 4, &iph->saddr, &iph->daddr,
				       ports, isn, cookie, unit);
	} else {
		struct ipv6hdr *ip6 = l3;

		return xg_cookie_check(key, 6, (__u32 *)&ip6->saddr,
				       (__u32 *)&ip6->daddr, ports, isn,
				       cookie, unit);
	}
}

static __always_inline void count(__u32 idx, __u64 bytes)
{
	struct xg_counter *c = bpf_map_lookup_elem(&xg_counters, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* The cookie setting of @port: its own entry, else the default (0). */
static __always_inline struct xg_cookie_port *cookie_port(__u16 port)
{
	struct xg_cookie_port *c;
	__u16 any = 0;

	c = bpf_map_lookup_elem(&xg_cookie_ports, &port);
	if (!c)
		c = bpf_map_lookup_elem(&xg_cookie_ports, &any);
	return c;
}

#endif /* XG_LIB_MAPS_H */
