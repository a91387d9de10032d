// SPDX-License-Identifier: GPL-2.0
/* Errors, privilege check, clocks, sysctls and JSON string output. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>
#include "lib.h"

const char *xg_cmd = "";

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "xdpguard%s%s: ", *xg_cmd ? " " : "", xg_cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void xg_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* Print a usage error and return the exit status for it. */
int xg_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return XG_EXIT_USAGE;
}

static const struct {
	int cap;
	const char *name;
} cap_names[] = {
	{ CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE" },
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	{ CAP_PERFMON, "CAP_PERFMON" },
	{ CAP_BPF, "CAP_BPF" },
};

/* The effective capability set of this process, as a mask of 1 << CAP_*. */
static __u64 caps_effective(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return 0;
	return (__u64)d[1].effective << 32 | d[0].effective;
}

/* Close each open fd of a NULL-ended list of int *, and set it to -1. */
void xg_fds_close(int *fd, ...)
{
	va_list ap;

	va_start(ap, fd);
	for (; fd; fd = va_arg(ap, int *)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	va_end(ap);
}

bool xg_have_caps(__u64 need)
{
	return !(need & ~caps_effective());
}

/*
 * The capabilities a command needs (XG_CAPS_*), checked in the effective
 * set rather than the uid, so that a dedicated user with just these can
 * run it. Missing ones: exit 1 (a runtime failure), naming them.
 */
int xg_need_caps(__u64 need)
{
	__u64 have = caps_effective(), miss = need & ~have;
	char buf[160];
	size_t o = 0, i;

	if (!miss)
		return 0;
	buf[0] = 0;
	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (miss & XG_CAP(cap_names[i].cap))
			o += snprintf(buf + o, o < sizeof(buf) ?
				      sizeof(buf) - o : 0, "%s%s", o ? ", " : "",
				      cap_names[i].name);
	xg_err("not privileged: needs %s, which this process does not "
	       "have: run it as root (sudo xdpguard ...), or give the user "
	       "these capabilities (AmbientCapabilities= in a unit)", buf);
	return XG_EXIT_FAIL;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* CLOCK_MONOTONIC: what bpf_ktime_get_ns() returns */
__u64 xg_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

__u64 xg_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void xg_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * Up to @n numbers of the sysctl @name ("net/ipv4/tcp_rmem") of this
 * task's network namespace (/proc/sys/net follows the task's netns even
 * under nsenter). Returns how many were read, -1 if it is unreadable.
 */
int xg_sysctl(const char *name, long *vals, int n)
{
	char path[256], buf[256], *p, *end;
	FILE *f;
	int i = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	for (p = buf; i < n; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		vals[i++] = v;
	}
	return i ? i : -1;
}

/*
 * The kconfig of bpf_object_open_opts for the objects with a __kconfig
 * extern (bpf/lib/clock.h's CONFIG_HZ): NULL where libbpf can read the
 * kernel's config itself (/boot/config-RELEASE or /proc/config.gz), else
 * "CONFIG_HZ=0", which makes the programs read the coarse clock with its
 * helper. libbpf refuses to load such an object when it finds no config,
 * __weak or not.
 */
const char *xg_kconfig(void)
{
	char path[sizeof(((struct utsname *)0)->release) + 16];
	struct utsname u;

	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		if (!access(path, R_OK))
			return NULL;
	}
	if (!access("/proc/config.gz", R_OK))
		return NULL;
	return "CONFIG_HZ=0\n";
}

/* CLOCK_REALTIME ns as RFC 3339 UTC with nanoseconds */
void xg_rfc3339(__u64 real_ns, char *buf, size_t len)
{
	time_t s = real_ns / 1000000000ULL;
	struct tm tm;
	size_t n;

	gmtime_r(&s, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09lluZ", real_ns % 1000000000ULL);
}

/* the number after @key ("memlock:") in the /proc file @path, 0 if none */
__u64 xg_proc_u64(const char *path, const char *key)
{
	unsigned long long v = 0;
	size_t n = strlen(key);
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) &&
		    sscanf(line + n, " %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* what the kernel accounts for map @fd (fdinfo "memlock"), 0 if unknown */
__u64 xg_fd_memlock(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return xg_proc_u64(path, "memlock:");
}
