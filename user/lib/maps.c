// SPDX-License-Identifier: GPL-2.0
/* Map and program helpers that know no component: per-CPU sums, LPM keys,
 * whether a program still exists, the memory cgroup's room. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib.h"

bool xg_prog_alive(__u32 id)
{
	int fd;

	if (!id)
		return false;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != ENOENT;	/* not provably gone: keep it */
}

/* Sum the per-CPU counters into @sum[slots]. */
int xg_counters_read(int fd, struct xg_counter *sum, int slots)
{
	int ncpu = libbpf_num_possible_cpus(), i, c;
	struct xg_counter *v;

	if (ncpu <= 0)
		return -1;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -1;
	memset(sum, 0, slots * sizeof(*sum));
	for (i = 0; i < slots; i++) {
		__u32 key = i;

		if (bpf_map_lookup_elem(fd, &key, v)) {
			free(v);
			return -1;
		}
		for (c = 0; c < ncpu; c++) {
			sum[i].packets += v[c].packets;
			sum[i].bytes += v[c].bytes;
		}
	}
	free(v);
	return 0;
}

/* LPM key for @c: struct xg_lpm4 or xg_lpm6, returns its size */
size_t xg_lpm_key(const struct xg_cidr *c, void *key)
{
	struct xg_lpm6 *k6 = key;
	struct xg_lpm4 *k4 = key;

	if (c->family == 4) {
		k4->prefixlen = c->prefixlen;
		k4->addr = c->addr[0];
		return sizeof(*k4);
	}
	k6->prefixlen = c->prefixlen;
	memcpy(k6->addr, c->addr, 16);
	return sizeof(*k6);
}

static void lf_set(struct xg_list_filter *f, __u32 bit)
{
	f->w[bit / 64] |= 1ULL << (bit % 64);
}

/*
 * Set the bits of one entry (@plen bits of @addr, network order) of a
 * list of @family: every value the filter's first bits can take under
 * the prefix, all of them when it is more than 16 bits short.
 */
static void lf_entry(struct xg_list_filter *f, int family, __u32 plen,
		     const __u32 *addr)
{
	__u32 top = family == 4 ? XG_LF_PLEN4 : XG_LF_PLEN6;
	__u32 a[4] = {}, i, n;
	__u64 hi, base;

	if (plen >= top) {
		lf_set(f, family == 4 ? xg_lf_bit4(addr[0]) :
					xg_lf_bit6(addr));
		return;
	}
	if (top - plen > 16) {
		memset(f->w, 0xff, sizeof(f->w));
		return;
	}
	n = 1U << (top - plen);
	if (family == 4) {
		/* plen >= 8 here: the shifts stay below 32 */
		base = ntohl(addr[0]) & (~0U << (32 - plen));
		for (i = 0; i < n; i++)
			lf_set(f, xg_lf_bit4(htonl((__u32)base |
						   i << (32 - top))));
		return;
	}
	/* plen >= 32 here */
	hi = (__u64)ntohl(addr[0]) << 32 | ntohl(addr[1]);
	base = hi & (~0ULL << (64 - plen));
	for (i = 0; i < n; i++) {
		__u64 v = base | (__u64)i << (64 - top);

		a[0] = htonl(v >> 32);
		a[1] = htonl((__u32)v);
		lf_set(f, xg_lf_bit6(a));
	}
}

/*
 * Build @f from every entry of the LPM map @fd (xg_allow4/6, xg_deny4/6)
 * of @family; 0, or -1 with errno.
 */
int xg_list_filter_build(int fd, int family, struct xg_list_filter *f)
{
	struct xg_lpm6 k6, prev6;
	struct xg_lpm4 k4, prev4;
	void *key = family == 4 ? (void *)&k4 : (void *)&k6;
	void *prev = NULL;

	memset(f, 0, sizeof(*f));
	while (!bpf_map_get_next_key(fd, prev, key)) {
		if (family == 4) {
			lf_entry(f, 4, k4.prefixlen, &k4.addr);
			prev4 = k4;
			prev = &prev4;
		} else {
			lf_entry(f, 6, k6.prefixlen, k6.addr);
			prev6 = k6;
			prev = &prev6;
		}
		f->entries++;
	}
	if (errno != ENOENT)
		return -1;
	f->built = 1;
	return 0;
}

/*
 * Rebuild every list's filter in @bits (xg_list_bits) from the LPM maps
 * @lpm[enum xg_list]. A list that cannot be read (or an fd < 0) gets its
 * filter written as not built (every lookup made), never one that leaves
 * an entry out. 0, or -1 with errno (the filters still written).
 */
int xg_list_filters_sync(int bits, const int *lpm)
{
	struct xg_list_filter *f = malloc(sizeof(*f));
	int err = 0, e = 0;
	__u32 i;

	if (!f)
		return -1;
	for (i = 0; i < XG_L_MAX; i++) {
		if (lpm[i] < 0 ||
		    xg_list_filter_build(lpm[i], xg_list_family(i), f)) {
			e = lpm[i] < 0 ? EBADF : errno;
			memset(f, 0, sizeof(*f));
			err = -1;
		}
		if (bpf_map_update_elem(bits, &i, f, BPF_ANY)) {
			e = errno;
			err = -1;
		}
	}
	free(f);
	errno = e;
	return err;
}

static bool read_u64(const char *path, __u64 *v)
{
	unsigned long long x;
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%llu", &x) == 1;	/* "max": no limit */
	fclose(f);
	if (ok)
		*v = x;
	return ok;
}

/*
 * Room left in the memory cgroup this process runs in (systemd's
 * MemoryMax=, a container's limit), which BPF maps are charged to:
 * memory.max - memory.current (cgroup v2) or limit - usage (v1);
 * UINT64_MAX when there is no limit.
 */
__u64 xg_cgroup_room(void)
{
	char line[512], path[700], *p;
	__u64 lim, use, room = UINT64_MAX;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return room;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "0::", 3)) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max",
				 line + 3);
			if (!read_u64(path, &lim))
				continue;
			snprintf(path, sizeof(path),
				 "/sys/fs/cgroup%s/memory.current", line + 3);
		} else if ((p = strstr(line, ":memory:"))) {
			p += strlen(":memory:");
			snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/"
				 "memory.limit_in_bytes", p);
			if (!read_u64(path, &lim))
				continue;
			snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/"
				 "memory.usage_in_bytes", p);
		} else {
			continue;
		}
		if (!read_u64(path, &use))
			use = 0;
		if (lim < room)
			room = lim > use ? lim - use : 0;
	}
	fclose(f);
	return room;
}

