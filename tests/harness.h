/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests' harness. A case is a function returning 0 (passed) or
 * -1 (failed) after recording why with fail(): the first failure of a
 * case is kept in why[], context() puts context in front of it. ASSERT,
 * TRY and TRYC return from the case. harness_run() runs a table of cases
 * in order, each after an optional reset, and prints one TAP-like line a
 * case ("ok - NAME" / "not ok - NAME: why") and "# N of M failed".
 * harness_init() makes stdout line-buffered and drops libbpf's debug
 * output. One program a file: why[] is the file's own.
 */
#ifndef XG_TESTS_HARNESS_H
#define XG_TESTS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static char why[1024] __attribute__((unused));	/* the case's failure */

static inline int fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline int fail(const char *fmt, ...)
{
	va_list ap;

	if (why[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Puts context in front of the failure already recorded. */
static inline int context(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline int context(const char *fmt, ...)
{
	size_t n, len = strlen(why);
	char head[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	n = strlen(head);
	if (n + len >= sizeof(why))
		len = sizeof(why) - n - 1;
	memmove(why + n, why, len);
	memcpy(why, head, n);
	why[n + len] = '\0';
	return -1;
}

#define ASSERT(cond, ...)						\
	do {								\
		if (!(cond))						\
			return fail(__VA_ARGS__);			\
	} while (0)
#define TRY(expr)							\
	do {								\
		if (expr)						\
			return -1;					\
	} while (0)
#define TRYC(expr, ...)							\
	do {								\
		if (expr)						\
			return context(__VA_ARGS__);			\
	} while (0)

struct test {
	const char *name;
	int (*fn)(void);
};

static inline int harness_print(enum libbpf_print_level level,
				const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static inline void harness_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(harness_print);
}

/*
 * Runs the @n cases of @t, each after @reset (when not NULL; a failed
 * reset fails the case). Returns how many failed.
 */
static inline unsigned int harness_run(const struct test *t, size_t n,
				       int (*reset)(void))
{
	unsigned int failed = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		why[0] = '\0';
		if ((reset && reset()) || t[i].fn()) {
			printf("not ok - %s: %s\n", t[i].name, why);
			failed++;
		} else {
			printf("ok - %s\n", t[i].name);
		}
	}
	printf("# %u of %zu failed\n", failed, n);
	return failed;
}

#endif /* XG_TESTS_HARNESS_H */
