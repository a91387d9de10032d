// SPDX-License-Identifier: GPL-2.0
/*
 * Host-wide socket telemetry: switch the tracepoint and iterator programs
 * on (load, attach, pin under XG_PIN_HOST) and off (unpin), take socket
 * snapshots through the pinned iterator, and read the per-namespace maps
 * and the kernel's own TcpExt counters.
 *
 * The iterator walks the sockets of the network namespace of the process
 * that creates the iterator fd (the kernel takes current's namespace in
 * bpf_iter_init_seq_net()), so a snapshot taken under
 * `nsenter --net=/run/netns/NAME` shows that namespace, like ss.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "comp.h"
#include "sock_tw.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static void host_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", xg_pin_host(), name);
}

bool xg_host_is_on(void)
{
	char path[256];
	struct stat st;

	host_path(path, sizeof(path), XG_LINK_SK_ITER);
	return !stat(path, &st);
}

int xg_host_open(const char *name)
{
	char path[256];
	int fd;

	host_path(path, sizeof(path), name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		xg_err("cannot open %s: %s (is host telemetry on? xdpguard "
		       "tw on)", path, strerror(errno));
	return fd;
}

/* Remove our pins from XG_PIN_HOST (links go with them); 0 if any. */
static int unpin_all(void)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(xg_pin_host());
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "xg_sk_", 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s", xg_pin_host(), de->d_name);
		if (!unlink(path))
			n++;
	}
	closedir(d);
	rmdir(xg_pin_host());	/* fails while others' pins are in it */
	return n ? 0 : -1;
}

static int pin(int fd, const char *name)
{
	char path[256];

	host_path(path, sizeof(path), name);
	if (bpf_obj_pin(fd, path)) {
		xg_err("cannot pin %s: %s", path, strerror(errno));
		return -1;
	}
	chmod(path, 0600);
	return 0;
}

static int attach_pin(struct bpf_program *prog, bool iter, const char *name,
		      const char *what)
{
	struct bpf_link *link;
	int err;

	link = iter ? bpf_program__attach_iter(prog, NULL) :
		bpf_program__attach(prog);
	err = libbpf_get_error(link);
	if (err) {
		xg_err("cannot attach to %s: %s", what, strerror(-err));
		return -1;
	}
	err = pin(bpf_link__fd(link), name);
	bpf_link__destroy(link);	/* the pin holds it */
	return err;
}

/*
 * Load, attach and pin the host programs; with the lock held. 0 when on
 * (also when already on), -1 with nothing left behind otherwise.
 */
static int host_on_locked(bool *was_on)
{
	static const struct xg_sk_config defaults = {
		.churn = XG_SK_DEF_CHURN,
		.ephemeral_pct = XG_SK_DEF_EPH_PCT,
		.accept_full = 1,
		.event_every_ms = XG_SK_DEF_EVERY_MS,
		.event_budget = XG_SK_DEF_BUDGET,
	};
	struct sock_tw_bpf *skel;
	struct bpf_map *map;
	__u64 zero = 0;
	int ret = -1;

	*was_on = xg_host_is_on();
	if (*was_on)
		return 0;
	unpin_all();		/* leftovers of an interrupted `on` */
	if (mkdir(xg_pin_host(), 0700) && errno != EEXIST) {
		xg_err("cannot create %s: %s", xg_pin_host(), strerror(errno));
		return -1;
	}
	xg_quiet_libs();
	skel = sock_tw_bpf__open_and_load();
	if (!skel) {
		xg_err("cannot load the socket telemetry programs: %s "
		       "(XDPGUARD_DEBUG=1 shows the verifier's log)",
		       strerror(errno));
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_sk_config), &zero,
				&defaults, BPF_ANY)) {
		xg_err("cannot write the thresholds: %s", strerror(errno));
		goto out;
	}
	bpf_object__for_each_map(map, skel->obj) {
		if (strncmp(bpf_map__name(map), "xg_sk_", 6))
			continue;
		if (pin(bpf_map__fd(map), bpf_map__name(map)))
			goto out;
	}
	/* the iterator last: its pin says "on" */
	if (attach_pin(skel->progs.xg_sk_state, false, XG_LINK_SK_STATE,
		       "sock:inet_sock_set_state") ||
	    attach_pin(skel->progs.xg_sk_rst_in, false, XG_LINK_SK_RST_IN,
		       "tcp:tcp_receive_reset") ||
	    attach_pin(skel->progs.xg_sk_rst_out, false, XG_LINK_SK_RST_OUT,
		       "tcp:tcp_send_reset") ||
	    attach_pin(skel->progs.xg_sk_synack, false, XG_LINK_SK_SYNACK,
		       "tcp:tcp_retransmit_synack") ||
	    attach_pin(skel->progs.xg_sk_iter, true, XG_LINK_SK_ITER,
		       "iter/tcp"))
		goto out;
	ret = 0;
out:
	if (ret)
		unpin_all();
	sock_tw_bpf__destroy(skel);
	return ret;
}

int xg_host_on(bool *was_on)
{
	int lock, ret, fd;

	if (xg_bpffs_ready(true))
		return -1;
	lock = xg_lock();
	if (lock < 0)
		return -1;
	ret = host_on_locked(was_on);
	xg_unlock(lock);
	if (ret)
		return ret;
	fd = xg_host_ring();
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* 1: removed, 0: was off, -1: failed */
int xg_host_off(void)
{
	int lock, ret;

	if (xg_bpffs_ready(false))
		return 0;
	lock = xg_lock();
	if (lock < 0)
		return -1;
	ret = unpin_all() ? 0 : 1;
	if (ret && xg_host_is_on()) {
		xg_err("cannot remove the pins in %s", xg_pin_host());
		ret = -1;
	}
	xg_unlock(lock);
	return ret;
}

/*
 * A reading command needs the host programs: 0 when they run; otherwise
 * the usage error that says so and how to switch them on. Reading never
 * switches anything on.
 */
int xg_host_need(const char *what)
{
	if (xg_host_is_on())
		return 0;
	return xg_usage_err("host socket telemetry is off, so there is no %s "
			    "to show: `xdpguard tw on` switches it on (it "
			    "then counts from that moment)", what);
}

/*
 * This namespace's event ring, made on first use: an entry of
 * xg_sk_rings (namespace cookie -> ring buffer). The outer map holds it;
 * `tw off` frees them all with it.
 */
int xg_host_ring(void)
{
	__u64 netns = xg_netns_cookie();
	int outer, fd = -1, lock;
	__u32 id;

	if (!netns) {
		xg_err("cannot read this network namespace's cookie "
		       "(SO_NETNS_COOKIE): %s", strerror(errno));
		return -1;
	}
	outer = xg_host_open(XG_MAP_SK_RINGS);
	if (outer < 0)
		return -1;
	lock = xg_lock();
	if (lock < 0)
		goto out;
	if (!bpf_map_lookup_elem(outer, &netns, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			xg_err("cannot open this namespace's event ring (map "
			       "id %u): %s", id, strerror(errno));
		goto out;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "xg_sk_ring", 0, 0,
			    XG_SK_EVENTS_BYTES, NULL);
	if (fd < 0 || bpf_map_update_elem(outer, &netns, &fd, BPF_NOEXIST)) {
		xg_err("cannot make this namespace's event ring: %s",
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	xg_unlock(lock);
	close(outer);
	return fd;
}

/*
 * The map id of @netns's event ring, without making one or a message
 * (what events compares once a second): 0 with *id, 1 when there is none
 * (host telemetry off, or no ring for that namespace).
 */
int xg_host_ring_id(__u64 netns, __u32 *id)
{
	char path[256];
	int outer, err;

	host_path(path, sizeof(path), XG_MAP_SK_RINGS);
	outer = bpf_obj_get(path);
	if (outer < 0)
		return 1;
	err = bpf_map_lookup_elem(outer, &netns, id);
	close(outer);
	return err ? 1 : 0;
}

/*
 * Every TCP socket of this namespace, one struct xg_sk_rec each. Snapshots
 * are serialized (an flock on the host folder): the ephemeral-port count
 * the iterator keeps per destination is per snapshot.
 */
int xg_sk_snapshot(struct xg_sk_rec **out, size_t *n)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = NULL, *nb;
	int link, iter = -1, lock, ret = -1;
	ssize_t r;

	*out = NULL;
	*n = 0;
	link = xg_host_open(XG_LINK_SK_ITER);
	if (link < 0)
		return -1;
	lock = open(xg_pin_host(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock >= 0)
		flock(lock, LOCK_EX);
	iter = bpf_iter_create(link);
	if (iter < 0) {
		xg_err("cannot start a socket snapshot: %s", strerror(errno));
		goto out;
	}
	buf = malloc(cap);
	if (!buf)
		goto out;
	for (;;) {
		if (cap - len < 65536) {
			nb = realloc(buf, cap * 2);
			if (!nb)
				goto out;
			buf = nb;
			cap *= 2;
		}
		r = read(iter, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			xg_err("reading the socket snapshot failed: %s",
			       strerror(errno));
			goto out;
		}
		if (!r)
			break;
		len += r;
	}
	*out = (struct xg_sk_rec *)buf;
	*n = len / sizeof(struct xg_sk_rec);
	buf = NULL;
	ret = 0;
out:
	free(buf);
	if (iter >= 0)
		close(iter);
	if (lock >= 0)
		close(lock);
	close(link);
	return ret;
}

/* This namespace's counters, summed over CPUs (zeros if none yet). */
int xg_sk_stats_read(__u64 netns, struct xg_sk_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), fd, c;
	struct xg_sk_stats *v;
	size_t i, nf = sizeof(*sum) / sizeof(__u64);

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return -1;
	fd = xg_host_open(XG_MAP_SK_STATS);
	if (fd < 0)
		return -1;
	v = calloc(ncpu, sizeof(*v));
	if (!v) {
		close(fd);
		return -1;
	}
	if (!bpf_map_lookup_elem(fd, &netns, v))
		for (c = 0; c < ncpu; c++)
			for (i = 0; i < nf; i++)
				((__u64 *)sum)[i] += ((__u64 *)&v[c])[i];
	free(v);
	close(fd);
	return 0;
}

/* The thresholds in force for @netns (its own, else the default). */
int xg_sk_config_read(__u64 netns, struct xg_sk_config *cfg, bool *own)
{
	__u64 zero = 0;
	int fd = xg_host_open(XG_MAP_SK_CONFIG);

	if (fd < 0)
		return -1;
	*own = !bpf_map_lookup_elem(fd, &netns, cfg);
	if (!*own && bpf_map_lookup_elem(fd, &zero, cfg)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int xg_sk_config_write(__u64 netns, const struct xg_sk_config *cfg)
{
	int fd = xg_host_open(XG_MAP_SK_CONFIG), err;

	if (fd < 0)
		return -1;
	err = bpf_map_update_elem(fd, &netns, cfg, BPF_ANY);
	if (err)
		xg_err("cannot write the thresholds: %s", strerror(errno));
	close(fd);
	return err;
}

/*
 * One field of /proc/net/netstat (TcpExt: ...) of this namespace; -1 if
 * the kernel has no such counter.
 */
long long xg_netstat(const char *name)
{
	char *names = NULL, *vals = NULL, *np, *vp, *ns, *vs, *tn, *tv;
	size_t nl = 0, vl = 0;
	long long ret = -1;
	FILE *f = fopen("/proc/net/netstat", "r");

	if (!f)
		return -1;
	while (getline(&names, &nl, f) > 0 && getline(&vals, &vl, f) > 0) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		tn = strtok_r(names + 7, " \n", &ns);
		tv = strtok_r(vals + 7, " \n", &vs);
		for (np = tn, vp = tv; np && vp;
		     np = strtok_r(NULL, " \n", &ns),
		     vp = strtok_r(NULL, " \n", &vs))
			if (!strcmp(np, name)) {
				ret = strtoll(vp, NULL, 10);
				break;
			}
		break;
	}
	free(names);
	free(vals);
	fclose(f);
	return ret;
}

/* net.ipv4.ip_local_port_range of this namespace */
int xg_port_range(__u32 *lo, __u32 *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%u %u", lo, hi);
	fclose(f);
	return n == 2 && *lo <= *hi ? 0 : -1;
}

static const char *const state_names[XG_TCP_MAX_STATES] = {
	[XG_TCP_ESTABLISHED] = "established",
	[XG_TCP_SYN_SENT] = "syn_sent",
	[XG_TCP_SYN_RECV] = "syn_recv",
	[XG_TCP_FIN_WAIT1] = "fin_wait1",
	[XG_TCP_FIN_WAIT2] = "fin_wait2",
	[XG_TCP_TIME_WAIT] = "time_wait",
	[XG_TCP_CLOSE] = "close",
	[XG_TCP_CLOSE_WAIT] = "close_wait",
	[XG_TCP_LAST_ACK] = "last_ack",
	[XG_TCP_LISTEN] = "listen",
	[XG_TCP_CLOSING] = "closing",
};

const char *xg_tcp_state_name(int state)
{
	return state > 0 && state < XG_TCP_MAX_STATES && state_names[state] ?
		state_names[state] : "unknown";
}
