// SPDX-License-Identifier: GPL-2.0
/*
 * DNS telemetry, the component: owns tc_dns.bpf.o. attach loads it with
 * its maps pinned in the interface's folder (reusing the guard's config,
 * counters and event ring there), puts its two programs on the clsact
 * ingress and egress hooks as filters of their own (TC_ACT_UNSPEC: the
 * next filter runs, docs/dns.md) and its stale-use program on
 * sock:inet_sock_set_state, the link pinned in the folder. detach takes
 * them off. The readers sum the per-CPU tables for `xdpguard dns`,
 * `events` and `export`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "comp.h"
#include "tc_dns.skel.h"

static void pin_path(char *buf, size_t len, const char *dir,
		     const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* The filters *info records, as lib/tc.c takes them */
static struct xg_tc_pair tc_of(struct xg_dns_info *info)
{
	return (struct xg_tc_pair){ info->handle, info->priority,
				    info->prog_id, &info->qdisc_created };
}

static void tc_remove(int ifindex, struct xg_dns_info *info)
{
	struct xg_tc_pair p = tc_of(info);

	xg_tc_pair_remove(ifindex, &p);
}

struct info_step {
	int fd;
	const struct xg_dns_info *info;
};

/* after each filter: a killed attach's recovery finds it */
static void info_write(void *arg)
{
	const struct info_step *st = arg;
	__u32 zero = 0;

	bpf_map_update_elem(st->fd, &zero, st->info, BPF_ANY);
}

/* The pins that are the component's own (xg_dns_*): 0600, or removed. */
static void own_pins(const char *dir, bool remove)
{
	static const char *const names[] = {
		XG_MAP_DNS_CFG, XG_MAP_DNS_INFO, XG_MAP_DNS_CNT,
		XG_MAP_DNS_SERVERS, XG_MAP_DNS_NAMES, XG_MAP_DNS_PENDING,
		XG_MAP_DNS_GONE, XG_PIN_DNS_TP,
	};
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pin_path(path, sizeof(path), dir, names[i]);
		if (remove)
			unlink(path);
		else
			chmod(path, 0600);
	}
}

void xg_dns_defaults(struct xg_dns_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->servers = XG_DNS_SERVERS;
	s->names = XG_DNS_NAMES;
	s->ttl_short = XG_DNS_TTL_SHORT;
	s->ttl_long = XG_DNS_TTL_LONG;
	s->timeout_s = XG_DNS_TIMEOUT_NS / 1000000000ULL;
	s->pending = XG_DNS_PENDING;
	s->tc_window_s = XG_DNS_TC_WINDOW_NS / 1000000000ULL;
}

/* the kernel's bytes for a map of @n entries, from two small ones */
static __u64 map_cost(enum bpf_map_type t, __u32 ks, __u32 vs, __u32 n)
{
	__u64 c1 = 0, c2 = 0, per;
	int fd1, fd2;

	fd1 = bpf_map_create(t, "xgd_probe", ks, vs, 1024, NULL);
	fd2 = bpf_map_create(t, "xgd_probe", ks, vs, 2048, NULL);
	if (fd1 >= 0 && fd2 >= 0) {
		c1 = xg_fd_memlock(fd1);
		c2 = xg_fd_memlock(fd2);
	}
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	if (c2 <= c1)
		return 0;
	per = (c2 - c1) / 1024;
	return n >= 1024 ? c1 + per * (n - 1024) :
	       c1 > per * (1024 - n) ? c1 - per * (1024 - n) : per * n;
}

/*
 * The DNS tables' cost, as --sources says its own (docs/dns.md): the
 * server table per CPU, the name table, the table of addresses names
 * left (as many), the pending queries. Over half of what is
 * available (MemAvailable, or the memory cgroup's room if less) is
 * refused, naming the options; 64 MiB or more is announced.
 */
int xg_dns_check(const struct xg_dns_settings *s, __u64 *cost)
{
	__u64 c, avail, room, pend = 0;
	struct tc_dns_bpf *skel = tc_dns_bpf__open();

	/* the pending table's entry is the program's own: its sizes */
	if (skel) {
		pend = map_cost(BPF_MAP_TYPE_LRU_HASH,
				bpf_map__key_size(skel->maps.xg_dns_pending),
				bpf_map__value_size(skel->maps.xg_dns_pending),
				s->pending);
		tc_dns_bpf__destroy(skel);
	}
	c = pend + map_cost(BPF_MAP_TYPE_PERCPU_HASH, sizeof(struct xg_dns_server_key),
		     sizeof(struct xg_dns_server), s->servers) +
	    map_cost(BPF_MAP_TYPE_LRU_HASH, sizeof(struct xg_dns_name_key),
		     sizeof(struct xg_dns_name), s->names) +
	    map_cost(BPF_MAP_TYPE_LRU_HASH, sizeof(struct xg_dns_addr_key),
		     sizeof(struct xg_dns_gone), s->names);
	*cost = c;
	if (!c)
		return 0;	/* unknown here: the load says */
	avail = xg_proc_u64("/proc/meminfo", "MemAvailable:") * 1024;
	room = xg_cgroup_room();
	if (room < avail || !avail)
		avail = room == UINT64_MAX ? 0 : room;
	if (avail && c > avail / 2)
		return xg_usage_err("--dns-servers %u --dns-names %u "
				    "--dns-pending %u need about "
				    "%llu MiB of kernel memory; %llu MiB are "
				    "available%s and DNS tables may take "
				    "half: ask for fewer, or --no-dns",
				    s->servers, s->names, s->pending,
				    (unsigned long long)(c >> 20),
				    (unsigned long long)(avail >> 20),
				    avail == room ? " (memory cgroup)" : "");
	if (c >= 64ULL << 20)
		fprintf(stderr, "xdpguard: DNS tables of %u servers and %u "
			"names take about %llu MiB of kernel memory\n",
			s->servers, s->names, (unsigned long long)(c >> 20));
	return 0;
}

int xg_dns_attach(const char *ifname, int ifindex, const char *dir,
		  const struct xg_dns_settings *s)
{
	struct xg_dns_cfg cfg = {
		.timeout_ns = s->timeout_s * 1000000000ULL,
		.tc_window_ns = s->tc_window_s * 1000000000ULL,
		.ttl_short = s->ttl_short,
		.ttl_long = s->ttl_long,
	};
	struct xg_dns_info info = { .ifindex = ifindex };
	struct info_step st = { .info = &info };
	struct bpf_link *link = NULL;
	struct xg_tc_pair tc;
	int fds[2];
	struct bpf_prog_info pi;
	struct tc_dns_bpf *skel;
	char path[512];
	int err, ret = -1;
	__u32 zero = 0, len;

	skel = tc_dns_bpf__open();
	if (!skel) {
		xg_err("cannot open the DNS programs: %s", strerror(errno));
		return -1;
	}
	skel->rodata->netns_cookie = xg_netns_cookie();
	if (bpf_map__set_max_entries(skel->maps.xg_dns_servers, s->servers) ||
	    bpf_map__set_max_entries(skel->maps.xg_dns_names, s->names) ||
	    bpf_map__set_max_entries(skel->maps.xg_dns_gone, s->names) ||
	    bpf_map__set_max_entries(skel->maps.xg_dns_pending, s->pending)) {
		xg_err("cannot size the DNS tables");
		goto out;
	}
	if (xg_pin_paths(skel->obj, dir))
		goto out;
	err = tc_dns_bpf__load(skel);
	if (err) {
		xg_err("cannot load the DNS programs: %s", strerror(-err));
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_dns_cfg), &zero,
				&cfg, BPF_ANY)) {
		xg_err("cannot write the DNS settings: %s", strerror(errno));
		goto out;
	}
	fds[0] = bpf_program__fd(skel->progs.xg_dns_ingress);
	fds[1] = bpf_program__fd(skel->progs.xg_dns_egress);
	st.fd = bpf_map__fd(skel->maps.xg_dns_info);
	tc = tc_of(&info);
	if (xg_tc_pair_attach(ifindex, ifname, "DNS", fds, &tc, info_write,
			      &st))
		goto out;
	link = bpf_program__attach(skel->progs.xg_dns_stale);
	err = libbpf_get_error(link);
	if (err) {
		link = NULL;
		xg_err("cannot attach the DNS stale-use program to "
		       "sock:inet_sock_set_state: %s", strerror(-err));
		goto out;
	}
	pin_path(path, sizeof(path), dir, XG_PIN_DNS_TP);
	err = bpf_link__pin(link, path);
	if (err) {
		xg_err("cannot pin %s: %s", path, strerror(-err));
		goto out;
	}
	memset(&pi, 0, sizeof(pi));
	len = sizeof(pi);
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.xg_dns_stale),
				    &pi, &len))
		info.tp_prog_id = pi.id;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_dns_info), &zero,
				&info, BPF_ANY)) {
		xg_err("cannot write the DNS attach facts: %s",
		       strerror(errno));
		goto out;
	}
	own_pins(dir, false);
	ret = 0;
out:
	if (ret) {
		tc_remove(ifindex, &info);
		own_pins(dir, true);
	}
	bpf_link__destroy(link);	/* the pin keeps it */
	tc_dns_bpf__destroy(skel);
	return ret;
}

bool xg_dns_is_on(const struct xg_iface *ifc)
{
	struct xg_dns_info info;

	return !xg_map_get0(ifc, XG_MAP_DNS_INFO, &info, sizeof(info), true);
}

void xg_dns_detach(const struct xg_iface *ifc)
{
	struct xg_dns_info info;

	/* quietly: an interface may have been attached without DNS */
	if (xg_map_get0(ifc, XG_MAP_DNS_INFO, &info, sizeof(info), true))
		return;
	if (ifc->ifindex && (int)info.ifindex == ifc->ifindex)
		tc_remove(ifc->ifindex, &info);
	/* the link goes with its last pin */
	own_pins(ifc->dir, true);
}

/* entries (max) of the map pinned as @name, and its bytes added to *@ml */
static __u32 map_max(const struct xg_iface *ifc, const char *name,
		     __u64 *ml)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	int fd = xg_map_open_quiet(ifc, name);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		mi.max_entries = 0;
	if (ml)
		*ml += xg_fd_memlock(fd);
	close(fd);
	return mi.max_entries;
}

int xg_dns_settings_read(const struct xg_iface *ifc,
			 struct xg_dns_settings *s)
{
	static const char *const others[] = {
		XG_MAP_DNS_CFG, XG_MAP_DNS_INFO, XG_MAP_DNS_CNT,
		XG_MAP_DNS_GONE,
	};
	struct xg_dns_cfg cfg;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!xg_dns_is_on(ifc) ||
	    xg_map_get0(ifc, XG_MAP_DNS_CFG, &cfg, sizeof(cfg), true))
		return -1;
	s->servers = map_max(ifc, XG_MAP_DNS_SERVERS, &s->memlock);
	s->names = map_max(ifc, XG_MAP_DNS_NAMES, &s->memlock);
	s->pending = map_max(ifc, XG_MAP_DNS_PENDING, &s->memlock);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		map_max(ifc, others[i], &s->memlock);
	/* as the programs read it: unset (0) is the default */
	s->ttl_short = cfg.ttl_short;
	s->ttl_long = cfg.ttl_long ? cfg.ttl_long : XG_DNS_TTL_LONG;
	s->timeout_s = (cfg.timeout_ns ? cfg.timeout_ns : XG_DNS_TIMEOUT_NS) /
		       1000000000ULL;
	s->tc_window_s = (cfg.tc_window_ns ? cfg.tc_window_ns :
			  XG_DNS_TC_WINDOW_NS) / 1000000000ULL;
	return 0;
}

__u32 xg_dns_tp_prog(const struct xg_iface *ifc)
{
	struct bpf_link_info li;
	char path[512];

	pin_path(path, sizeof(path), ifc->dir, XG_PIN_DNS_TP);
	return xg_pinned_info(path, &li, sizeof(li)) ? 0 : li.prog_id;
}

/* ---------------- attach --replace ---------------- */

struct xg_dns_new {
	struct tc_dns_bpf *skel;
};

struct xg_dns_new *xg_dns_load(const struct xg_iface *ifc)
{
	struct xg_dns_new *n = calloc(1, sizeof(*n));
	int err;

	if (!n)
		return NULL;
	n->skel = tc_dns_bpf__open();
	if (!n->skel) {
		xg_err("cannot open the DNS programs: %s", strerror(errno));
		goto fail;
	}
	n->skel->rodata->netns_cookie = xg_netns_cookie();
	/* the sizes come with the pinned maps */
	if (xg_reuse_pins(n->skel->obj, ifc))
		goto fail;
	err = tc_dns_bpf__load(n->skel);
	if (err) {
		xg_err("cannot load the new DNS programs: %s (their maps must "
		       "match the running version's)", strerror(-err));
		goto fail;
	}
	return n;
fail:
	xg_dns_new_free(n);
	return NULL;
}

int xg_dns_new_fd(const struct xg_dns_new *n, int which)
{
	const struct bpf_program *p = which == 0 ? n->skel->progs.xg_dns_ingress :
				      which == 1 ? n->skel->progs.xg_dns_egress :
						   n->skel->progs.xg_dns_stale;

	return bpf_program__fd(p);
}

int xg_dns_new_link(struct xg_dns_new *n)
{
	struct bpf_link *link = bpf_program__attach(n->skel->progs.xg_dns_stale);
	int err = libbpf_get_error(link), fd;

	if (err)
		return err;
	fd = dup(bpf_link__fd(link));
	err = fd < 0 ? -errno : fd;
	bpf_link__destroy(link);	/* the dup keeps it */
	return err;
}

void xg_dns_new_free(struct xg_dns_new *n)
{
	if (!n)
		return;
	tc_dns_bpf__destroy(n->skel);
	free(n);
}

/* ---------------- reading ---------------- */

static int ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

static void srv_add(struct xg_dns_server *sum, const struct xg_dns_server *c)
{
	const __u64 *a = (const __u64 *)c;
	__u64 *s = (__u64 *)sum;
	size_t i, n = offsetof(struct xg_dns_server, ttl_min) / 8;

	for (i = 0; i < n; i++)
		s[i] += a[i];
	/* a CPU's min/max only once it counted one (the others are 0) */
	if (c->answers && c->ttl_min < sum->ttl_min)
		sum->ttl_min = c->ttl_min;
	if (c->answers && c->ttl_max > sum->ttl_max)
		sum->ttl_max = c->ttl_max;
	if (c->negative && c->neg_min < sum->neg_min)
		sum->neg_min = c->neg_min;
	if (c->negative && c->neg_max > sum->neg_max)
		sum->neg_max = c->neg_max;
	if (c->last_ns > sum->last_ns)
		sum->last_ns = c->last_ns;
}

static int srv_cmp(const void *a, const void *b)
{
	const struct xg_dns_srv *x = a, *y = b;

	if (x->v.queries != y->v.queries)
		return x->v.queries < y->v.queries ? 1 : -1;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

static int nm_cmp(const void *a, const void *b)
{
	const struct xg_dns_nm *x = a, *y = b;

	if (x->v.queries != y->v.queries)
		return x->v.queries < y->v.queries ? 1 : -1;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

/* entries of the hash map @fd, walked (bounded) */
static int count_keys(int fd)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	char k[2][512];
	int n = 0;

	if (bpf_obj_get_info_by_fd(fd, &mi, &len) || mi.key_size > 512)
		return -1;
	while (!bpf_map_get_next_key(fd, n ? k[(n - 1) & 1] : NULL, k[n & 1]))
		if (++n > (1 << 24))
			break;
	return n;
}

int xg_dns_read(const struct xg_iface *ifc, struct xg_dns_view *v)
{
	struct xg_dns_server_key sk, skn;
	struct xg_dns_name_key nk, nkn;
	struct xg_dns_server *pc = NULL;
	int fd, cpus = ncpus(), c, ret = -1, cap;
	bool have;
	__u64 *vals = NULL;
	__u32 idx;
	void *p;

	memset(v, 0, sizeof(*v));
	if (cpus <= 0)
		return -1;
	if (xg_map_get0(ifc, XG_MAP_DNS_CFG, &v->cfg, sizeof(v->cfg), true))
		return -1;
	vals = calloc(cpus, sizeof(__u64));
	pc = calloc(cpus, sizeof(*pc));
	if (!vals || !pc)
		goto out;
	fd = xg_map_open(ifc, XG_MAP_DNS_CNT);
	if (fd < 0)
		goto out;
	for (idx = 0; idx < XG_DNS_C_MAX; idx++)
		if (!bpf_map_lookup_elem(fd, &idx, vals))
			for (c = 0; c < cpus; c++)
				v->cnt[idx] += vals[c];
	close(fd);

	fd = xg_map_open(ifc, XG_MAP_DNS_SERVERS);
	if (fd < 0)
		goto out;
	for (have = false, cap = 0;
	     !bpf_map_get_next_key(fd, have ? &sk : NULL, &skn) &&
	     v->nsrv < XG_DNS_SERVERS_MAX * 4; have = true) {
		struct xg_dns_srv *s;

		sk = skn;
		if (bpf_map_lookup_elem(fd, &sk, pc))
			continue;	/* gone meanwhile */
		if (v->nsrv == cap) {
			cap = cap ? cap * 2 : 64;
			p = realloc(v->srv, cap * sizeof(*v->srv));
			if (!p)
				break;
			v->srv = p;
		}
		s = &v->srv[v->nsrv++];
		memset(s, 0, sizeof(*s));
		s->k = sk;
		s->v.ttl_min = s->v.neg_min = 0xffffffff;
		for (c = 0; c < cpus; c++)
			srv_add(&s->v, &pc[c]);
	}
	close(fd);
	if (v->nsrv)
		qsort(v->srv, v->nsrv, sizeof(*v->srv), srv_cmp);

	fd = xg_map_open(ifc, XG_MAP_DNS_NAMES);
	if (fd < 0)
		goto out;
	for (have = false, cap = 0;
	     !bpf_map_get_next_key(fd, have ? &nk : NULL, &nkn) &&
	     v->nnames < (int)XG_DNS_NAMES_MAX * 4; have = true) {
		struct xg_dns_nm *n;

		nk = nkn;
		if (v->nnames == cap) {
			cap = cap ? cap * 2 : 256;
			p = realloc(v->names, cap * sizeof(*v->names));
			if (!p)
				break;
			v->names = p;
		}
		n = &v->names[v->nnames];
		n->k = nk;
		if (!bpf_map_lookup_elem(fd, &nk, &n->v))
			v->nnames++;
	}
	close(fd);
	if (v->nnames)
		qsort(v->names, v->nnames, sizeof(*v->names), nm_cmp);

	fd = xg_map_open(ifc, XG_MAP_DNS_GONE);
	if (fd >= 0) {
		v->gone = count_keys(fd);
		close(fd);
	}
	fd = xg_map_open(ifc, XG_MAP_DNS_PENDING);
	if (fd >= 0) {
		v->pending = count_keys(fd);
		close(fd);
	}
	ret = 0;
out:
	free(vals);
	free(pc);
	if (ret)
		xg_dns_view_free(v);
	return ret;
}

void xg_dns_view_free(struct xg_dns_view *v)
{
	free(v->srv);
	free(v->names);
	v->srv = NULL;
	v->names = NULL;
	v->nsrv = v->nnames = 0;
}

/* The summary status and top show: counters, the server table summed
 * (a few fields), the tables' fill. */
int xg_dns_sum_read(const struct xg_iface *ifc, struct xg_dns_sum *s)
{
	struct xg_dns_server_key sk, skn;
	struct xg_dns_server *pc = NULL;
	int fd, cpus = ncpus(), c, n = 0;
	__u64 *vals = NULL;
	bool have;
	__u32 idx;

	memset(s, 0, sizeof(*s));
	if (!xg_dns_is_on(ifc))
		return 0;
	if (cpus <= 0)
		return -1;
	vals = calloc(cpus, sizeof(__u64));
	pc = calloc(cpus, sizeof(*pc));
	if (!vals || !pc)
		goto fail;
	fd = xg_map_open(ifc, XG_MAP_DNS_CNT);
	if (fd < 0)
		goto fail;
	for (idx = 0; idx < XG_DNS_C_MAX; idx++)
		if (!bpf_map_lookup_elem(fd, &idx, vals))
			for (c = 0; c < cpus; c++)
				s->cnt[idx] += vals[c];
	close(fd);
	fd = xg_map_open(ifc, XG_MAP_DNS_SERVERS);
	if (fd < 0)
		goto fail;
	for (have = false; !bpf_map_get_next_key(fd, have ? &sk : NULL, &skn) &&
	     n < XG_DNS_SERVERS_MAX * 4; have = true, n++) {
		sk = skn;
		if (bpf_map_lookup_elem(fd, &sk, pc))
			continue;
		s->servers++;
		for (c = 0; c < cpus; c++) {
			s->timeouts += pc[c].timeouts;
			s->servfail += pc[c].rcode[XG_DNS_RC_SERVFAIL];
			s->tc += pc[c].tc;
			s->tc_not_followed += pc[c].tc_not_followed;
			s->fragmented += pc[c].fragmented;
			s->ttl_short += pc[c].ttl_short;
			s->ttl_long += pc[c].ttl_long;
		}
	}
	close(fd);
	s->servers_max = map_max(ifc, XG_MAP_DNS_SERVERS, NULL);
	s->names_max = map_max(ifc, XG_MAP_DNS_NAMES, NULL);
	fd = xg_map_open(ifc, XG_MAP_DNS_NAMES);
	if (fd >= 0) {
		n = count_keys(fd);
		s->names = n > 0 ? n : 0;
		close(fd);
	}
	s->on = true;
	free(vals);
	free(pc);
	return 0;
fail:
	free(vals);
	free(pc);
	return -1;
}

/* ---------------- formatting ---------------- */

/* A wire-form name as text: "www.example.test." ("." for the root) */
void xg_dns_name_str(const __u8 *w, char *buf, size_t len)
{
	size_t o = 0, i = 0, j, l;

	if (!len)
		return;
	buf[0] = 0;
	while (i < XG_DNS_NAME && w[i]) {
		l = w[i++];
		if (l > 63 || i + l > XG_DNS_NAME) {	/* cut at our bound */
			if (o + 4 < len)
				o += snprintf(buf + o, len - o, "...");
			break;
		}
		for (j = 0; j < l && o + 5 < len; j++, i++) {
			unsigned char ch = w[i];

			if (ch > 32 && ch < 127 && ch != '.' && ch != '\\' &&
			    ch != '"')
				buf[o++] = ch;
			else
				o += snprintf(buf + o, len - o, "\\%03u", ch);
		}
		if (o + 1 < len)
			buf[o++] = '.';
	}
	if (!o && len > 1)
		buf[o++] = '.';
	buf[o < len ? o : len - 1] = 0;
}

const char *xg_dns_qtype_str(__u16 t, char *buf, size_t len)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 65: return "HTTPS";
	}
	snprintf(buf, len, "TYPE%u", t);
	return buf;
}

/* The upper bound (us) of the bucket holding the @pct percentile; 0: none */
double xg_dns_lat_pct(const struct xg_dns_server *s, double pct)
{
	__u64 tot = 0, acc = 0;
	int i;

	for (i = 0; i < XG_DNS_LAT_BUCKETS; i++)
		tot += s->lat[i];
	if (!tot)
		return 0;
	for (i = 0; i < XG_DNS_LAT_BUCKETS; i++) {
		acc += s->lat[i];
		if (acc * 100.0 >= pct * tot)
			return (double)(1ULL << (i + 1));
	}
	return (double)(1ULL << XG_DNS_LAT_BUCKETS);
}
