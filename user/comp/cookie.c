// SPDX-License-Identifier: GPL-2.0
/*
 * cookies: the SYN-cookie fast path.
 *
 * `cookies set` probes what the kernel offers, attaches the tc ingress
 * hand-off (tc_cookie.bpf.c) the first time cookies are wanted, derives
 * the SYN-ACK's settings from the namespace's sysctls and the interface's
 * MTU, and writes one entry per port in xg_cookie_ports: a policy change
 * is one map update. `cookies show` says plainly what is available and
 * what each port does. detach removes the tc filter (and the clsact qdisc
 * when we created it and nothing else uses it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "comp.h"
#include "tc_cookie.skel.h"
#include "lib/cookie.h"

#define XG_KFUNC	"bpf_sk_assign_tcp_reqsk"


/* ---------------- the host's key ---------------- */

static void key_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/" XG_PIN_COOKIE_KEY, xg_pin_root());
}

/*
 * What @fd holds: 0 a key, 1 a cookie key map of this layout all zero
 * (no key), -1 something else (another layout's, or not a map).
 */
static int key_state(int fd)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), zero = 0;
	struct xg_cookie_key k;
	int ret;

	if (bpf_obj_get_info_by_fd(fd, &mi, &len) ||
	    mi.type != BPF_MAP_TYPE_ARRAY || mi.key_size != 4 ||
	    mi.value_size != sizeof(k) || mi.max_entries != 1 ||
	    mi.map_flags != BPF_F_RDONLY_PROG ||
	    bpf_map_lookup_elem(fd, &zero, &k))
		return -1;
	ret = k.k[0] | k.k[1] ? 0 : 1;
	explicit_bzero(&k, sizeof(k));
	return ret;
}

/*
 * The key of a guard already attached, when the pin root's is gone (its
 * pin removed by hand): its fd, its folder's name in @from; or -1. A new
 * key would part the guards attached from here on from those: an ACK
 * crossing over would be refused.
 */
static int folder_key(char *from, size_t len)
{
	struct xg_iface *ifc;
	char path[512];
	int n, i, fd = -1;

	n = xg_iface_list(&ifc, true);
	for (i = 0; i < n && fd < 0; i++) {
		snprintf(path, sizeof(path), "%s/" XG_MAP_COOKIE_KEY,
			 ifc[i].dir);
		fd = bpf_obj_get(path);
		if (fd >= 0 && key_state(fd)) {
			close(fd);
			fd = -1;
		}
		if (fd >= 0)
			snprintf(from, len, "%s", ifc[i].dir);
	}
	free(ifc);
	return fd;
}

/*
 * The host's cookie key (abi.h): the fd of the map pinned in the pin
 * root. When there is none, the key of a guard attached already is
 * pinned there again, or a new map is made with a key from getrandom()
 * and pinned (under a temporary name, renamed in place: a half-written
 * key is never seen). A map of zeros found pinned is replaced, saying
 * so (no cookie is answered under it). Under the lock. -1 with the
 * reason said.
 */
int xg_cookie_key_up(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_RDONLY_PROG);
	char path[512], tmp[520], from[512];
	struct xg_cookie_key k = {};
	__u32 zero = 0;
	int fd, err;

	key_path(path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT) {
		xg_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fd >= 0) {
		err = key_state(fd);
		if (!err)
			return fd;
		close(fd);
		if (err < 0) {
			xg_err("%s is not a cookie key of this pins layout "
			       "(%u): detach the interfaces of the xdpguard "
			       "that made it", path, XG_ABI_VERSION);
			return -1;
		}
		fprintf(stderr, "xdpguard: the host's cookie key %s holds no "
			"key (no cookie is answered under it): another "
			"replaces it, and ACKs of SYN-ACKs sent before are "
			"refused\n", path);
	}
	fd = folder_key(from, sizeof(from));
	if (fd >= 0) {
		fprintf(stderr, "xdpguard: the host's cookie key was not "
			"pinned at %s: the key of the guard in %s is pinned "
			"there again\n", path, from);
		goto pin;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, XG_MAP_COOKIE_KEY, 4,
			    sizeof(k), 1, &o);
	if (fd < 0) {
		xg_err("cannot make the host's cookie key: %s",
		       strerror(errno));
		return -1;
	}
	do {
		if (getrandom(&k, sizeof(k), 0) != sizeof(k)) {
			xg_err("cannot make the host's cookie key: getrandom: "
			       "%s", strerror(errno));
			close(fd);
			return -1;
		}
	} while (!(k.k[0] | k.k[1]));
	err = bpf_map_update_elem(fd, &zero, &k, BPF_ANY);
	explicit_bzero(&k, sizeof(k));
	if (err) {
		xg_err("cannot write the host's cookie key: %s",
		       strerror(errno));
		close(fd);
		return -1;
	}
pin:
	snprintf(tmp, sizeof(tmp), "%s_new", path);	/* bpffs: no dots */
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp) || chmod(tmp, 0600) || rename(tmp, path)) {
		xg_err("cannot pin the host's cookie key at %s: %s", path,
		       strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	return fd;
}

/* The host's cookie key goes with the last interface folder. */
void xg_cookie_key_drop(void)
{
	char path[512];

	key_path(path, sizeof(path));
	unlink(path);
}

/* ---------------- probing ---------------- */

void xg_cookie_probe(struct xg_cookie_support *s)
{
	static const enum bpf_func_id xdp_ids[] = {
		BPF_FUNC_tcp_raw_gen_syncookie_ipv4,
		BPF_FUNC_tcp_raw_gen_syncookie_ipv6,
		BPF_FUNC_tcp_raw_check_syncookie_ipv4,
		BPF_FUNC_tcp_raw_check_syncookie_ipv6,
		BPF_FUNC_skc_lookup_tcp,
		BPF_FUNC_xdp_store_bytes,
	};
	static const enum bpf_prog_type types[] = {
		BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_SCHED_CLS,
	};
	struct btf *btf;
	size_t i, t;

	memset(s, 0, sizeof(*s));
	s->helpers = true;
	for (t = 0; t < 2; t++)
		for (i = 0; i < sizeof(xdp_ids) / sizeof(xdp_ids[0]); i++) {
			/* tc has no xdp_store_bytes, and needs none */
			if (types[t] == BPF_PROG_TYPE_SCHED_CLS &&
			    xdp_ids[i] == BPF_FUNC_xdp_store_bytes)
				continue;
			if (libbpf_probe_bpf_helper(types[t], xdp_ids[i],
						    NULL) != 1)
				s->helpers = false;
		}
	btf = btf__load_vmlinux_btf();
	if (!libbpf_get_error(btf)) {
		s->kfunc = btf__find_by_name_kind(btf, XG_KFUNC,
						  BTF_KIND_FUNC) > 0;
		btf__free(btf);
	}
	if (xg_sysctl("net/ipv4/tcp_syncookies", &s->syncookies, 1) != 1)
		s->syncookies = -1;
	if (!s->helpers)
		snprintf(s->why, sizeof(s->why), "the kernel lacks the BPF "
			 "SYN-cookie helpers (bpf_tcp_raw_gen_syncookie_*, "
			 "Linux 6.0+, CONFIG_SYN_COOKIES)");
	else if (!s->kfunc)
		snprintf(s->why, sizeof(s->why), "the kernel lacks the kfunc "
			 XG_KFUNC " (Linux 6.9+) that hands a cookie ACK to "
			 "the listener; xdpguard does not implement the older "
			 "pairing with netfilter SYNPROXY");
	else if (s->syncookies <= 0)
		snprintf(s->why, sizeof(s->why), "net.ipv4.tcp_syncookies is "
			 "%s in this network namespace: the kernel ignores "
			 "cookie ACKs then (sysctl -w "
			 "net.ipv4.tcp_syncookies=1)",
			 s->syncookies < 0 ? "unreadable" : "0");
	else
		s->ok = true;
}

const char *xg_cookie_support_words(const struct xg_cookie_support *s)
{
	return s->ok ? "available: XDP answers SYNs with the kernel's SYN "
		       "cookies (bpf_tcp_raw_gen_syncookie), tc ingress hands "
		       "valid ACKs to the listener (" XG_KFUNC ")" : s->why;
}

/* ---------------- the SYN-ACK's settings ---------------- */

static int iface_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int fd, mtu = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/*
 * What the kernel would announce: MSS from the MTU, our window scale as
 * tcp_select_initial_window() picks it for a listener without a locked
 * receive buffer, the options the namespace's sysctls allow.
 */
static int synack_settings(const struct xg_iface *ifc,
			   struct xg_cookie_cfg *cc)
{
	long v[3], space = 0, ttl = 64;
	int mtu, ws = 0;

	mtu = iface_mtu(ifc->ifname);
	if (mtu < 1280) {
		xg_err("%s: MTU %d is too small for SYN cookies (at least "
		       "1280)", ifc->ifname, mtu);
		return -1;
	}
	cc->mss4 = mtu - 40 > 65495 ? 65495 : mtu - 40;
	cc->mss6 = mtu - 60 > 65475 ? 65475 : mtu - 60;
	cc->flags &= XG_CKF_TC | XG_CKF_QDISC;
	if (xg_sysctl("net/ipv4/tcp_timestamps", v, 1) == 1 && v[0])
		cc->flags |= XG_CKF_TS;
	if (xg_sysctl("net/ipv4/tcp_sack", v, 1) == 1 && v[0])
		cc->flags |= XG_CKF_SACK;
	if (xg_sysctl("net/ipv4/tcp_window_scaling", v, 1) == 1 && v[0])
		cc->flags |= XG_CKF_WSCALE;
	if (xg_sysctl("net/ipv4/tcp_rmem", v, 3) == 3)
		space = v[2];
	if (xg_sysctl("net/core/rmem_max", v, 1) == 1 && v[0] > space)
		space = v[0];
	while (space >> (ws + 16) && ws < XG_MAX_WSCALE)
		ws++;
	cc->wscale = ws;
	if (xg_sysctl("net/ipv4/ip_default_ttl", v, 1) == 1 && v[0] > 0 &&
	    v[0] < 256)
		ttl = v[0];
	cc->ttl = ttl;
	while (!cc->ts_off)
		if (getrandom(&cc->ts_off, sizeof(cc->ts_off), 0) !=
		    sizeof(cc->ts_off))
			cc->ts_off = (__u32)xg_mono_ns() | 1;
	return 0;
}

/* ---------------- tc ingress ---------------- */

/*
 * libbpf reports the kernel's netlink answers to the tc calls (an
 * existing clsact, a filter already gone) as warnings; xdpguard says what
 * matters in its own words.
 */
static struct tc_cookie_bpf *tc_load(const struct xg_iface *ifc)
{
	struct tc_cookie_bpf *skel;
	int err;

	skel = tc_cookie_bpf__open();
	if (!skel) {
		xg_err("cannot open the tc hand-off program: %s",
		       strerror(errno));
		return NULL;
	}
	/* xg_config, xg_counters, xg_cookie_ports, xg_cookie_cfg */
	if (xg_reuse_pins(skel->obj, ifc))
		goto fail;
	err = tc_cookie_bpf__load(skel);
	if (err) {
		xg_err("cannot load the tc hand-off program: %s (the kernel "
		       "may lack the kfunc " XG_KFUNC ", Linux 6.9+; "
		       "XDPGUARD_DEBUG=1 shows the verifier's log)",
		       strerror(-err));
		goto fail;
	}
	return skel;
fail:
	tc_cookie_bpf__destroy(skel);
	return NULL;
}

/* attach --replace: a new hand-off program's fd (not attached), or -1. */
int xg_cookie_load(const struct xg_iface *ifc)
{
	struct tc_cookie_bpf *skel = tc_load(ifc);
	int fd;

	if (!skel)
		return -1;
	fd = dup(bpf_program__fd(skel->progs.xg_tc_cookie));
	if (fd < 0)
		xg_err("cannot keep the new tc hand-off program: %s",
		       strerror(errno));
	tc_cookie_bpf__destroy(skel);
	return fd;
}

static int tc_attach(const struct xg_iface *ifc, struct xg_cookie_cfg *cc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	struct tc_cookie_bpf *skel;
	bool created = false, attached = false;
	char path[512];
	int err, ret = -1;

	skel = tc_load(ifc);
	if (!skel)
		return -1;
	xg_tc_quiet(true);
	err = bpf_tc_hook_create(&hook);
	xg_tc_quiet(false);
	if (err && err != -EEXIST) {
		xg_err("cannot create the clsact qdisc on %s: %s",
		       ifc->ifname, strerror(-err));
		goto out;
	}
	created = !err;
	opts.prog_fd = bpf_program__fd(skel->progs.xg_tc_cookie);
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		xg_err("cannot attach the tc hand-off to %s ingress: %s",
		       ifc->ifname, strerror(-err));
		goto out;
	}
	attached = true;
	snprintf(path, sizeof(path), "%s/" XG_PIN_TC_COOKIE, ifc->dir);
	if (bpf_obj_pin(opts.prog_fd, path)) {
		xg_err("cannot pin %s: %s", path, strerror(errno));
		goto out;
	}
	chmod(path, 0600);
	bpf_obj_get_info_by_fd(opts.prog_fd, &info, &ilen);
	cc->flags |= XG_CKF_TC | (created ? XG_CKF_QDISC : 0);
	cc->tc_ifindex = ifc->ifindex;
	cc->tc_handle = opts.handle;
	cc->tc_priority = opts.priority;
	cc->tc_prog_id = info.id;
	ret = 0;
out:
	if (ret && attached) {
		opts.prog_fd = 0;
		opts.prog_id = 0;
		opts.flags = 0;
		bpf_tc_detach(&hook, &opts);
	}
	if (ret && created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	tc_cookie_bpf__destroy(skel);
	return ret;
}

/* 1 when the tc filter cookies set made is still there */
bool xg_cookie_tc_present(const struct xg_cookie_cfg *cc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = cc->tc_ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = cc->tc_handle,
		    .priority = cc->tc_priority);

	int ret;

	if (!(cc->flags & XG_CKF_TC))
		return 0;
	xg_tc_quiet(true);
	ret = !bpf_tc_query(&hook, &opts) && opts.prog_id == cc->tc_prog_id;
	xg_tc_quiet(false);
	return ret;
}

/* Remove the tc filter (and our clsact when it is empty); 0 or -1. */
static int tc_detach(const struct xg_iface *ifc, struct xg_cookie_cfg *cc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = cc->tc_ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = cc->tc_handle,
		    .priority = cc->tc_priority);
	int err, left;

	if (!(cc->flags & XG_CKF_TC))
		return 0;
	xg_tc_quiet(true);
	err = bpf_tc_detach(&hook, &opts);
	xg_tc_quiet(false);
	if (err && err != -ENOENT) {
		xg_err("cannot remove the tc hand-off from %s: %s",
		       ifc->ifname, strerror(-err));
		return -1;
	}
	if (cc->flags & XG_CKF_QDISC) {
		left = xg_tc_filters(cc->tc_ifindex, NULL, NULL);
		if (!left) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		} else {
			fprintf(stderr, "xdpguard: %s: the clsact qdisc "
				"xdpguard created holds %s other filter%s now; "
				"left in place\n", ifc->ifname,
				left < 0 ? "unknown" : "", left == 1 ? "" :
				"s");
		}
	}
	cc->flags &= ~(XG_CKF_TC | XG_CKF_QDISC);
	return 0;
}

int xg_cookie_cfg_read(const struct xg_iface *ifc, struct xg_cookie_cfg *cc)
{
	__u32 zero = 0;
	int fd = xg_map_open(ifc, XG_MAP_COOKIE_CFG), err;

	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, cc);
	close(fd);
	return err;
}

int xg_cookie_cfg_write(const struct xg_iface *ifc,
		      const struct xg_cookie_cfg *cc)
{
	__u32 zero = 0;
	int fd = xg_map_open(ifc, XG_MAP_COOKIE_CFG), err;

	if (fd < 0)
		return -1;
	err = bpf_map_update_elem(fd, &zero, cc, BPF_ANY);
	if (err)
		xg_err("cannot write the cookie settings of %s: %s",
		       ifc->ifname, strerror(errno));
	close(fd);
	return err;
}

/* Called by detach (under the lock) while the pins still exist. */
int xg_cookie_detach(const struct xg_iface *ifc)
{
	struct xg_cookie_cfg cc;

	if (xg_cookie_cfg_read(ifc, &cc))
		return 0;	/* pins of an older xdpguard: nothing of ours */
	if (!(cc.flags & XG_CKF_TC))
		return 0;
	if (!ifc->ifindex || (int)cc.tc_ifindex != ifc->ifindex)
		return 0;	/* gone with its interface */
	if (tc_detach(ifc, &cc))
		return -1;
	xg_cookie_cfg_write(ifc, &cc);
	return 0;
}

/* ---------------- its maps ---------------- */


static int port_cmp(const void *a, const void *b)
{
	const struct xg_cookie_row *x = a, *y = b;

	/* the default (0) last */
	return (x->port ? x->port : 65536) - (y->port ? y->port : 65536);
}

int xg_cookie_ports(const struct xg_iface *ifc, struct xg_cookie_row *rows,
		      int max)
{
	__u16 key, next, *prev = NULL;
	int fd, n = 0;

	fd = xg_map_open(ifc, XG_MAP_COOKIE_PORTS);
	if (fd < 0)
		return -1;
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &rows[n].c))
			continue;
		rows[n++].port = key;
	}
	close(fd);
	qsort(rows, n, sizeof(*rows), port_cmp);
	return n;
}

/* ---------------- set ---------------- */

/*
 * What cookies on needs, made ready in @cc: the kernel and the loaded
 * program can, the SYN-ACK settings are current, the tc hand-off is
 * attached (*tc_new: by this call). 0, or -1 with the reason said.
 */
int xg_cookie_ready(const struct xg_iface *ifc, const struct xg_info *info,
			struct xg_cookie_cfg *cc, bool *tc_new)
{
	struct xg_cookie_support sup;

	/* never answer SYNs whose ACKs cannot complete */
	xg_cookie_probe(&sup);
	if (!sup.ok) {
		xg_err("SYN cookies are not available: %s; nothing changed",
		       sup.why);
		return -1;
	}
	if (!info->cookie_paths) {
		xg_err("%s: its XDP program was loaded without the cookie "
		       "paths (the kernel lacked the helpers at attach); "
		       "detach and attach again; nothing changed",
		       ifc->ifname);
		return -1;
	}
	if (synack_settings(ifc, cc))
		return -1;
	if ((cc->flags & XG_CKF_TC) && !xg_cookie_tc_present(cc)) {
		/* someone removed it: attach it again */
		char path[512];

		fprintf(stderr, "xdpguard: %s: the tc hand-off (filter handle "
			"%#x priority %u) is gone; attaching it again\n",
			ifc->ifname, cc->tc_handle, cc->tc_priority);
		snprintf(path, sizeof(path), "%s/" XG_PIN_TC_COOKIE, ifc->dir);
		unlink(path);
		/* the clsact, if ours, stays ours */
		cc->flags &= ~XG_CKF_TC;
	}
	*tc_new = false;
	if (!(cc->flags & XG_CKF_TC)) {
		if (tc_attach(ifc, cc))
			return -1;
		*tc_new = true;
	}
	return 0;
}

void xg_cookie_unready(const struct xg_iface *ifc,
			   struct xg_cookie_cfg *cc)
{
	char path[512];

	tc_detach(ifc, cc);
	snprintf(path, sizeof(path), "%s/" XG_PIN_TC_COOKIE, ifc->dir);
	unlink(path);
}

/*
 * For apply, before its first change: cookies can be on (as cookies set
 * checks), the tc hand-off attached and its settings written. *tc_new:
 * attached by this call (xg_cookie_unprepare takes it away again).
 */
int xg_cookie_prepare(const struct xg_iface *ifc, bool *tc_new)
{
	struct xg_cookie_cfg cc, old;
	struct xg_info info;

	*tc_new = false;
	if (xg_info_read(ifc, &info) || xg_cookie_cfg_read(ifc, &cc)) {
		xg_err("%s: cannot read its pins (attached by an older "
		       "xdpguard? detach and attach again)", ifc->ifname);
		return -1;
	}
	old = cc;
	if (xg_cookie_ready(ifc, &info, &cc, tc_new))
		return -1;
	if (xg_cookie_cfg_write(ifc, &cc)) {
		if (*tc_new)
			xg_cookie_unready(ifc, &cc);
		xg_cookie_cfg_write(ifc, &old);
		*tc_new = false;
		return -1;
	}
	return 0;
}

/* apply failed after xg_cookie_prepare attached the hand-off */
void xg_cookie_unprepare(const struct xg_iface *ifc)
{
	struct xg_cookie_cfg cc;

	if (xg_cookie_cfg_read(ifc, &cc))
		return;
	xg_cookie_unready(ifc, &cc);
	xg_cookie_cfg_write(ifc, &cc);
}

