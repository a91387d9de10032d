// SPDX-License-Identifier: GPL-2.0
/* Map and program helpers that know no component: per-CPU sums, LPM keys,
 * whether a program still exists, the memory cgroup's room. */
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

