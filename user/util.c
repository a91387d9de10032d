// SPDX-License-Identifier: GPL-2.0
/* Errors, privilege check, clocks and JSON string output. */
#include <stdarg.h>
#include <time.h>
#include <unistd.h>
#include "xdpguard.h"

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

int xg_need_root(void)
{
	if (geteuid() == 0)
		return 0;
	return xg_usage_err("must be run as root (needs CAP_BPF and "
			    "CAP_NET_ADMIN): try sudo xdpguard ...");
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
