/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF_PROG_TEST_RUN for the unit tests and the benchmarks, on the frames
 * of tests/pkt.h:
 *   - prog_run()/prog_run_ctx(): one call (@repeat runs) of a program,
 *     its retval, the kernel's mean ns per run and the frame that came
 *     out;
 *   - prog_ns(), prog_median(), prog_median_ns(), prog_pair_ns(): the
 *     benchmarks' timings, the median of rounds, a path interleaved with
 *     a yardstick program;
 *   - prog_bench_args(): the benchmarks' options (--repeat, --calls,
 *     --rounds, --json);
 *   - prog_listen(): a listener for programs that look sockets up (they
 *     see the calling process's network namespace);
 *   - prog_pin_cpu(): test runs execute on the calling CPU, so callers
 *     that read per-CPU state or want steady numbers pin themselves.
 * Define _GNU_SOURCE before any include (sched_getcpu, CPU_SET).
 */
#ifndef XG_TESTS_PROG_H
#define XG_TESTS_PROG_H

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "pkt.h"

/* A random cookie key into the guard's xg_cookie_key @fd, as attach
 * writes the host's: 0, or -1 with errno. */
static inline int prog_cookie_key(int fd)
{
	__u64 k[2] = {};
	__u32 zero = 0;

	if (getrandom(k, sizeof(k), 0) != sizeof(k))
		return -1;
	k[0] |= 1;	/* all zero means no key */
	return bpf_map_update_elem(fd, &zero, k, BPF_ANY);
}

/* Pins the process to @cpu (< 0: the one it runs on now). */
static inline void prog_pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		cpu = 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "cannot pin to CPU %d: %s\n", cpu,
			strerror(errno));
}

/* A TCP listener on the wildcard address, port @port (AF_INET6: IPv6
 * only); its fd, or -1 (errno). */
static inline int prog_listen(int family, __u16 port, int backlog)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd, one = 1, e;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, family == AF_INET ? (struct sockaddr *)&a4 :
		 (struct sockaddr *)&a6, family == AF_INET ? sizeof(a4) :
		 sizeof(a6)) || listen(fd, backlog)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct prog_res {
	int retval;		/* the last run's */
	__u32 ns;		/* the kernel's mean duration of one run */
};

/*
 * Runs @fd @repeat times on the @len bytes at @data, with @ctx (@ctx_size
 * bytes) as its context when not NULL. The frame that came out is left in
 * @out (out->len set, its other bookkeeping untouched) or dropped when
 * @out is NULL. 0 with @r filled, or -errno (r->retval -1).
 */
static inline int prog_run_ctx(int fd, const void *data, size_t len,
			       void *ctx, size_t ctx_size, __u32 repeat,
			       struct pkt *out, struct prog_res *r)
{
	static struct pkt scratch;
	struct pkt *o = out ? out : &scratch;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data,
		.data_size_in = len,
		.data_out = o->buf,
		.data_size_out = sizeof(o->buf),
		.ctx_in = ctx,
		.ctx_size_in = ctx ? ctx_size : 0,
		.repeat = repeat,
	);

	r->retval = -1;
	r->ns = 0;
	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	o->len = opts.data_size_out;
	r->retval = opts.retval;
	r->ns = opts.duration;
	return 0;
}

static inline int prog_run(int fd, const struct pkt *in, __u32 repeat,
			   struct pkt *out, struct prog_res *r)
{
	return prog_run_ctx(fd, in->buf, in->len, NULL, 0, repeat, out, r);
}

/* ---- timings (the benchmarks) ---- */

/* The kernel's mean ns per run of @fd on @p over @repeat runs; -1 on
 * error. *@ret: the retval (when not NULL). */
static inline double prog_ns(int fd, const struct pkt *p, __u32 repeat,
			     int *ret)
{
	struct prog_res r;

	if (prog_run(fd, p, repeat, NULL, &r))
		return -1;
	if (ret)
		*ret = r.retval;
	return r.ns;
}

static inline int prog_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the @n values at @v and returns the middle one (the upper of two). */
static inline double prog_median(double *v, __u32 n)
{
	qsort(v, n, sizeof(*v), prog_cmp_double);
	return v[n / 2];
}

/*
 * How a path is timed: one sample is the kernel's mean ns per run over
 * @calls calls (0: one) of @repeat runs each; a figure is the median of
 * @rounds samples. @v and @w: scratch of @rounds doubles each. @retval:
 * out, the last retval seen.
 */
struct prog_timing {
	__u32 repeat, calls, rounds;
	double *v, *w;
	int retval;
};

/* One sample of @fd on @p; -1 when a run fails or returns other than
 * @want (-1: anything). */
static inline double prog_sample(struct prog_timing *t, int fd,
				 const struct pkt *p, int want)
{
	__u32 i, calls = t->calls ? t->calls : 1;
	double ns, sum = 0;

	for (i = 0; i < calls; i++) {
		ns = prog_ns(fd, p, t->repeat, &t->retval);
		if (ns < 0 || (want >= 0 && t->retval != want))
			return -1;
		sum += ns;
	}
	return sum / calls;
}

/* The median of @t->rounds samples of @fd on @p (prog_sample); -1 on
 * error. */
static inline double prog_median_ns(struct prog_timing *t, int fd,
				    const struct pkt *p, int want)
{
	__u32 i;

	for (i = 0; i < t->rounds; i++) {
		t->v[i] = prog_sample(t, fd, p, want);
		if (t->v[i] < 0)
			return -1;
	}
	return prog_median(t->v, t->rounds);
}

/*
 * @fd beside the yardstick @bare on @p, interleaved: every round takes one
 * sample of each, @fd first. The medians land in *@ns and *@bare_ns. 0;
 * -1 when a run of @fd failed or returned other than @want (-1: anything;
 * @t->retval says what it returned); -2 when a run of @bare failed.
 */
static inline int prog_pair_ns(struct prog_timing *t, int fd, int bare,
			       const struct pkt *p, int want, double *ns,
			       double *bare_ns)
{
	__u32 i;

	for (i = 0; i < t->rounds; i++) {
		t->v[i] = prog_sample(t, fd, p, want);
		if (t->v[i] < 0)
			return -1;
		t->w[i] = prog_sample(t, bare, p, -1);
		if (t->w[i] < 0)
			return -2;
	}
	*ns = prog_median(t->v, t->rounds);
	*bare_ns = prog_median(t->w, t->rounds);
	return 0;
}

struct prog_bench_opts {
	__u32 repeat, calls, rounds;
	bool json;
};

/*
 * Parses a benchmark's options into @o (defaults already in it). @takes
 * names the ones @tool takes, in this order: 'r' --repeat N, 'c' --calls
 * N, 'n' --rounds N, 'j' --json. --repeat and --calls must be >= 1,
 * --rounds 1..100. 0, or 2 (the exit code) after a message.
 */
static inline int prog_bench_args(int argc, char **argv, const char *tool,
				  const char *takes, struct prog_bench_opts *o)
{
	static const struct option all[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "calls", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
	};
	struct option opts[5] = {};
	char usage[128], limits[128];
	int c, i, n = 0;
	size_t u, l;

	u = snprintf(usage, sizeof(usage), "usage: %s", tool);
	l = snprintf(limits, sizeof(limits), "%s:", tool);
	for (i = 0; i < 4; i++) {
		if (!strchr(takes, all[i].val))
			continue;
		opts[n++] = all[i];
		u += snprintf(usage + u, sizeof(usage) - u, " [--%s%s]",
			      all[i].name, all[i].has_arg ? " N" : "");
		if (all[i].val == 'r' || all[i].val == 'c')
			l += snprintf(limits + l, sizeof(limits) - l,
				      "%s --%s", l > strlen(tool) + 1 ?
				      "," : "", all[i].name);
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->repeat = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o->calls = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o->rounds = strtoul(optarg, NULL, 10);
			break;
		case 'j':
			o->json = true;
			break;
		default:
			fprintf(stderr, "%s\n", usage);
			return 2;
		}
	}
	if ((strchr(takes, 'r') && !o->repeat) ||
	    (strchr(takes, 'c') && !o->calls) || !o->rounds ||
	    o->rounds > 100) {
		fprintf(stderr, "%s >= 1, --rounds 1..100\n", limits);
		return 2;
	}
	return 0;
}

#endif /* XG_TESTS_PROG_H */
