/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps shared by the XDP guard and the tc cookie hand-off: the tc program
 * is loaded later (xdpguard cookies set) and reuses the XDP program's
 * pinned maps, so both must declare them alike. Declared once, here.
 */
#ifndef XG_LIB_MAPS_H
#define XG_LIB_MAPS_H

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
