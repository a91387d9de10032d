// SPDX-License-Identifier: GPL-2.0
/*
 * attach / detach: load the XDP guard through libxdp (its dispatcher where
 * the kernel allows it, a single program otherwise), pin its maps in the
 * interface's folder and exit; protection lives on in the kernel.
 */
#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "xdpguard.h"
#include "xdp_guard.skel.h"

#define XG_DEFAULT_PPS		100
#define XG_DEFAULT_BURST	100
#define XG_DEFAULT_EV_BUDGET	1000

static const char attach_usage[] =
	"usage: xdpguard attach IFACE [--mode native|skb] [--dry-run]\n"
	"                       [--sources N] [--prefix4 LEN] [--prefix6 LEN]\n"
	"                       [--pps N] [--burst N]\n";

static int quiet_print(enum libxdp_print_level level, const char *fmt,
		       va_list args)
{
	if (level != LIBXDP_WARN || getenv("XDPGUARD_DEBUG"))
		return 0;
	/* the dispatcher fallback is reported by us in plain words */
	if (strstr(fmt, "ompatibility check") || strstr(fmt, "Falling back"))
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* set while libxdp probes its dispatcher: its failure is expected here */
static bool probing;

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (getenv("XDPGUARD_DEBUG"))
		return vfprintf(stderr, fmt, args);
	if (level != LIBBPF_WARN || probing)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void xg_quiet_libs(void)
{
	libxdp_set_print(quiet_print);
	libbpf_set_print(libbpf_quiet);
}

static void remove_pins(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static int pin_maps(struct xdp_guard_bpf *skel, const char *dir)
{
	struct bpf_map *map;
	char path[512];

	if (mkdir(dir, 0700)) {
		xg_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);

		if (strncmp(name, "xg_", 3))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (bpf_obj_pin(bpf_map__fd(map), path)) {
			xg_err("cannot pin %s: %s", path, strerror(errno));
			return -1;
		}
		chmod(path, 0600);
	}
	return 0;
}

static void explain_attach_error(const char *ifname, int ifindex, int err,
				 enum xdp_attach_mode mode)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;

	if (err == -EOPNOTSUPP && mode == XDP_MODE_NATIVE) {
		xg_err("cannot attach to %s: %s (driver has no native XDP; "
		       "try --mode skb)", ifname, strerror(-err));
		return;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp) && mp) {
		p = xdp_multiprog__main_prog(mp);
		if (p && xdp_multiprog__is_legacy(mp)) {
			xg_err("cannot attach to %s: %s (XDP program '%s' id %u "
			       "is already attached without libxdp's "
			       "dispatcher; remove it first, e.g. xdp-loader "
			       "unload %s --all)", ifname, strerror(-err),
			       xdp_program__name(p), xdp_program__id(p),
			       ifname);
			xdp_multiprog__close(mp);
			return;
		}
		xdp_multiprog__close(mp);
	}
	xg_err("cannot attach to %s: %s", ifname, strerror(-err));
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "sources", required_argument, NULL, 's' },
		{ "prefix4", required_argument, NULL, '4' },
		{ "prefix6", required_argument, NULL, '6' },
		{ "pps", required_argument, NULL, 'p' },
		{ "burst", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	struct xg_config cfg = {
		.rate = { XG_DEFAULT_PPS, XG_DEFAULT_BURST },
		.flags = XG_F_ENABLED,
		.event_budget = XG_DEFAULT_EV_BUDGET,
	};
	__u32 sources = XG_DEFAULT_SOURCES, p4 = 32, p6 = 64, zero = 0;
	struct xdp_guard_bpf *skel = NULL;
	struct xdp_program *prog = NULL;
	struct xdp_multiprog *mp;
	struct xg_info info = {};
	const char *ifname;
	bool burst_set = false, attached = false;
	char dir[256];
	int c, err, ifindex, lock = -1, ret = XG_EXIT_FAIL;
	struct stat st;

	xg_cmd = "attach";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "native"))
				mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "skb"))
				mode = XDP_MODE_SKB;
			else
				return xg_usage_err("bad --mode '%s' (accepted: "
						    "native, skb)", optarg);
			break;
		case 'n':
			cfg.flags |= XG_F_DRY_RUN;
			break;
		case 's':
			if (xg_parse_u32(optarg, 1024, 1U << 26, &sources))
				return xg_usage_err("bad --sources '%s' (a "
						    "number 1024..67108864)",
						    optarg);
			break;
		case '4':
			if (xg_parse_u32(optarg, 8, 32, &p4))
				return xg_usage_err("bad --prefix4 '%s' (a "
						    "prefix length 8..32)",
						    optarg);
			break;
		case '6':
			if (xg_parse_u32(optarg, 32, 128, &p6))
				return xg_usage_err("bad --prefix6 '%s' (a "
						    "prefix length 32..128)",
						    optarg);
			break;
		case 'p':
			if (xg_parse_u32(optarg, 0, 100000000, &cfg.rate.pps))
				return xg_usage_err("bad --pps '%s' (SYNs per "
						    "second, 0..100000000; 0 "
						    "= no limit)", optarg);
			break;
		case 'b':
			if (xg_parse_u32(optarg, 1, 100000000,
					 &cfg.rate.burst))
				return xg_usage_err("bad --burst '%s' (SYNs, "
						    "1..100000000)", optarg);
			burst_set = true;
			break;
		case 'h':
			fputs(attach_usage, stdout);
			return XG_EXIT_OK;
		default:
			fputs(attach_usage, stderr);
			return xg_usage_err("unknown option '%s'",
					    argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(attach_usage, stderr);
		return xg_usage_err(optind >= argc ? "missing IFACE" :
				    "one IFACE only, got '%s' too",
				    argv[argc - 1]);
	}
	if (!burst_set && cfg.rate.pps)
		cfg.rate.burst = cfg.rate.pps;
	ifname = argv[optind];
	if (xg_need_root())
		return XG_EXIT_USAGE;
	if (strlen(ifname) >= IF_NAMESIZE || !(ifindex = if_nametoindex(ifname)))
		return xg_usage_err("unknown interface '%s' (see ip link)",
				    ifname);
	if (xg_bpffs_ready(true))
		return XG_EXIT_FAIL;
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	xg_iface_dir(ifname, dir, sizeof(dir));
	if (!stat(dir, &st)) {
		xg_err("%s is already attached (pins in %s); detach it first "
		       "or retune it with rate/allow/deny", ifname, dir);
		goto out;
	}

	xg_quiet_libs();
	skel = xdp_guard_bpf__open();
	if (!skel) {
		xg_err("cannot open the BPF object: %s", strerror(errno));
		goto out;
	}
	skel->rodata->prefix4 = p4;
	skel->rodata->prefix6 = p6;
	err = bpf_map__set_max_entries(skel->maps.xg_buckets, sources);
	if (err) {
		xg_err("cannot size the source table: %s", strerror(-err));
		goto out;
	}
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	err = libxdp_get_error(prog);
	if (err) {
		prog = NULL;
		xg_err("cannot prepare the XDP program: %s", strerror(-err));
		goto out;
	}
	probing = true;
	err = xdp_program__attach(prog, ifindex, mode, 0);
	probing = false;
	if (err) {
		explain_attach_error(ifname, ifindex, err, mode);
		fprintf(stderr, "xdpguard: XDPGUARD_DEBUG=1 shows libbpf's and "
			"libxdp's own log\n");
		goto out;
	}
	attached = true;

	info.ifindex = ifindex;
	info.mode = mode;
	info.prog_id = xdp_program__id(prog);
	info.sources = sources;
	info.prefix4 = p4;
	info.prefix6 = p6;
	info.attached_at = xg_real_ns() / 1000000000ULL;
	info.netns_ino = xg_netns_ino();
	strcpy(info.ifname, ifname);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	snprintf(info.how, sizeof(info.how), "%s",
		 !libxdp_get_error(mp) && mp && !xdp_multiprog__is_legacy(mp) ?
		 "libxdp dispatcher" : "single program");
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xg_config), &zero,
				&cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.xg_info), &zero, &info,
				BPF_ANY)) {
		xg_err("cannot write the configuration: %s", strerror(errno));
		goto out;
	}
	if (pin_maps(skel, dir))
		goto out;

	printf("xdpguard: attached to %s (%s mode, %s%s): SYN budget %u/s "
	       "burst %u per /%u (IPv4) and /%u (IPv6) source, %u sources "
	       "tracked at most\n", ifname,
	       mode == XDP_MODE_SKB ? "skb" : "native", info.how,
	       strcmp(info.how, "libxdp dispatcher") ?
	       ": the kernel refused the dispatcher, other XDP programs "
	       "cannot share this interface" : "",
	       cfg.rate.pps, cfg.rate.burst, p4, p6, sources);
	if (cfg.flags & XG_F_DRY_RUN)
		printf("xdpguard: dry run: drops are counted, nothing is "
		       "dropped\n");
	ret = XG_EXIT_OK;
out:
	if (ret && attached) {
		xdp_program__detach(prog, ifindex, mode, 0);
		remove_pins(dir);
	}
	xdp_program__close(prog);
	xdp_guard_bpf__destroy(skel);
	xg_unlock(lock);
	return ret;
}

static const char detach_usage[] =
	"usage: xdpguard detach IFACE\n"
	"       xdpguard detach --all   (every interface attached in this\n"
	"                               network namespace, and the host-wide\n"
	"                               socket telemetry)\n";

/* Detach one resolved interface; the lock is held. */
static int detach_one(struct xg_iface *ifc)
{
	struct xdp_program *prog;
	struct xg_info info;
	int ret = XG_EXIT_OK, err;

	if (xg_info_read(ifc, &info)) {
		xg_err("%s: attach facts unreadable; removing the pins only",
		       ifc->ifname);
	} else if (!ifc->ifindex || (int)info.ifindex != ifc->ifindex) {
		xg_err("%s: the interface this was attached to is gone; "
		       "removing its stale pins", ifc->ifname);
	} else {
		prog = xdp_program__from_id(info.prog_id);
		err = libxdp_get_error(prog);
		if (err) {
			xg_err("%s: xdpguard's program (id %u) is no longer "
			       "loaded; removing the pins", ifc->ifname,
			       info.prog_id);
		} else {
			err = xdp_program__detach(prog, info.ifindex,
						  info.mode, 0);
			if (err == -ENOENT) {
				xg_err("%s: xdpguard's program was no longer "
				       "attached; removing the pins",
				       ifc->ifname);
			} else if (err) {
				xg_err("cannot detach from %s: %s", ifc->ifname,
				       strerror(-err));
				ret = XG_EXIT_FAIL;
			}
			xdp_program__close(prog);
		}
	}
	if (!ret) {
		remove_pins(ifc->dir);
		printf("xdpguard: detached from %s\n", ifc->ifname);
	}
	return ret;
}

static int detach_all(void)
{
	struct xg_iface list[16];
	int n, i, lock, ret = XG_EXIT_OK, off;

	if (xg_bpffs_ready(false))
		return XG_EXIT_FAIL;
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	xg_quiet_libs();
	n = xg_iface_list(list, 16);
	for (i = 0; i < n; i++)
		if (detach_one(&list[i]))
			ret = XG_EXIT_FAIL;
	xg_unlock(lock);
	off = xg_host_off();
	if (off < 0)
		ret = XG_EXIT_FAIL;
	else if (off)
		printf("xdpguard: host socket telemetry off: programs "
		       "detached, pins removed\n");
	if (!n && !off)
		printf("xdpguard: nothing was attached\n");
	return ret;
}

int cmd_detach(int argc, char **argv)
{
	struct xg_iface ifc;
	int ret, lock;

	xg_cmd = "detach";
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(detach_usage, stdout);
		return XG_EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "--all")) {
		if (xg_need_root())
			return XG_EXIT_USAGE;
		return detach_all();
	}
	if (argc != 2 || argv[1][0] == '-') {
		fputs(detach_usage, stderr);
		return xg_usage_err(argc < 2 ? "missing IFACE" :
				    "unexpected argument '%s'", argv[argc - 1]);
	}
	if (xg_need_root())
		return XG_EXIT_USAGE;
	ret = xg_iface_resolve(argv[1], &ifc);
	if (ret)
		return ret;
	lock = xg_lock();
	if (lock < 0)
		return XG_EXIT_FAIL;
	xg_quiet_libs();
	ret = detach_one(&ifc);
	xg_unlock(lock);
	return ret;
}
