// SPDX-License-Identifier: GPL-2.0
/*
 * What libbpf and libxdp print: their warnings, without the ones xdpguard
 * expects and reports itself in plain words (a dispatcher probe that
 * fails, a tc hook that already exists); everything with XDPGUARD_DEBUG=1.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "lib.h"

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

void xg_quiet_probe(bool on)
{
	probing = on;
}

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


static libbpf_print_fn_t saved_print;

/* tc hooks that exist already: libbpf reports the kernel's refusal */
static int tc_print(enum libbpf_print_level level, const char *fmt,
		    va_list args)
{
	if (!getenv("XDPGUARD_DEBUG") && strstr(fmt, "Kernel error message"))
		return 0;
	return saved_print ? saved_print(level, fmt, args) : 0;
}

void xg_tc_quiet(bool on)
{
	if (on)
		saved_print = libbpf_set_print(tc_print);
	else
		libbpf_set_print(saved_print);
}

/* The hand-off program on @ifc's pinned maps, loaded, or NULL. */
