// SPDX-License-Identifier: GPL-2.0
/*
 * The policy file (xdpguard save / apply): its in-memory form and its
 * parser. No maps and no I/O but the FILE it is given, so the fuzzer runs
 * it directly.
 *
 * Format, one statement a line, '#' starts a comment:
 *   rate default pps N burst N
 *   rate port PORT pps N burst N
 *   allow CIDR
 *   deny CIDR [until 2026-11-25T23:10:00Z]
 *   dry-run on|off
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xdpguard.h"

void xg_policy_free(struct xg_policy *p)
{
	free(p->list[0]);
	free(p->list[1]);
}

int xg_policy_add(struct xg_policy *p, int deny, const struct xg_cidr *c,
		  __u64 expires_ns)
{
	struct xg_policy_entry *e;

	if (p->n[deny] == p->cap[deny]) {
		p->cap[deny] = p->cap[deny] ? 2 * p->cap[deny] : 64;
		e = realloc(p->list[deny], p->cap[deny] * sizeof(*e));
		if (!e)
			return -1;
		p->list[deny] = e;
	}
	p->list[deny][p->n[deny]].c = *c;
	p->list[deny][p->n[deny]++].expires_ns = expires_ns;
	return 0;
}

static int port_cmp(const void *a, const void *b)
{
	return ((const struct xg_port_rule *)a)->port -
	       ((const struct xg_port_rule *)b)->port;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct xg_policy_entry *x = a, *y = b;

	if (x->c.family != y->c.family)
		return x->c.family - y->c.family;
	return memcmp(x->c.addr, y->c.addr, sizeof(x->c.addr)) ?:
	       (int)x->c.prefixlen - (int)y->c.prefixlen;
}

/* Same policy, same text: sorted, whatever order the maps keep. */
void xg_policy_sort(struct xg_policy *p)
{
	int d;

	qsort(p->ports, p->nports, sizeof(p->ports[0]), port_cmp);
	for (d = 0; d < 2; d++)
		if (p->n[d])
			qsort(p->list[d], p->n[d], sizeof(*p->list[d]),
			      entry_cmp);
}

/* Lookups need the lists sorted (xg_policy_sort). */
bool xg_policy_has(const struct xg_policy *p, int deny,
		   const struct xg_cidr *c, __u64 *expires_ns)
{
	struct xg_policy_entry k = { .c = *c }, *e;

	e = p->n[deny] ? bsearch(&k, p->list[deny], p->n[deny], sizeof(k),
				 entry_cmp) : NULL;
	if (e && expires_ns)
		*expires_ns = e->expires_ns;
	return e;
}

const struct xg_port_rule *xg_policy_port(const struct xg_policy *p,
					  __u16 port)
{
	struct xg_port_rule k = { .port = port };

	return p->nports ? bsearch(&k, p->ports, p->nports, sizeof(k),
				   port_cmp) : NULL;
}

static int parse_rate_words(char **w, int n, struct xg_rate *r)
{
	/* pps N burst N */
	return n != 4 || strcmp(w[0], "pps") || strcmp(w[2], "burst") ||
	       xg_parse_u32(w[1], 0, 100000000, &r->pps) ||
	       xg_parse_u32(w[3], 1, 100000000, &r->burst) ? -1 : 0;
}

/* RFC 3339 UTC, seconds: 2026-11-25T23:10:00Z -> CLOCK_MONOTONIC ns. */
static int parse_until(const char *s, __u64 *mono_ns)
{
	struct tm tm = {};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	__s64 real, left;

	time_t t;

	if (!end || *end)
		return -1;
	t = timegm(&tm);
	if (t < 0 || t > 4102444800LL)	/* 1970 .. 2100 */
		return -1;
	real = (__s64)t * 1000000000LL;
	left = real - (__s64)xg_real_ns();
	*mono_ns = left > 0 ? xg_mono_ns() + left : 0;
	return left > 0 ? 0 : 1;	/* 1: already past */
}

#define MAX_WORDS 8

/* Parse @f into @p; on error print FILE:LINE and what is wrong. */
int xg_policy_parse(FILE *f, const char *name, struct xg_policy *p)
{
	char line[512], *w[MAX_WORDS], *save, why[128];
	struct xg_cidr c;
	int lineno = 0, n, i, d;
	__u64 exp;

	memset(p, 0, sizeof(*p));
	p->rate.burst = 1;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		for (n = 0, w[0] = strtok_r(line, " \t\r\n", &save);
		     w[n] && n < MAX_WORDS - 1;
		     w[++n] = strtok_r(NULL, " \t\r\n", &save))
			;
		if (!n)
			continue;
#define BAD(...) do {							\
		fprintf(stderr, "xdpguard apply: %s:%d: ", name, lineno); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		return -1;						\
	} while (0)
		if (!strcmp(w[0], "rate") && n >= 2 &&
		    !strcmp(w[1], "default")) {
			if (parse_rate_words(w + 2, n - 2, &p->rate))
				BAD("expected 'rate default pps N burst N' "
				    "(pps 0..100000000, burst 1..100000000)");
		} else if (!strcmp(w[0], "rate") && n >= 3 &&
			   !strcmp(w[1], "port")) {
			struct xg_port_rule *pr = &p->ports[p->nports];

			if (p->nports == XG_MAX_PORT_RULES)
				BAD("more than %d port rules",
				    XG_MAX_PORT_RULES);
			if (xg_parse_port(w[2], &pr->port) ||
			    parse_rate_words(w + 3, n - 3, &pr->r))
				BAD("expected 'rate port PORT pps N burst N'");
			for (i = 0; i < p->nports; i++)
				if (p->ports[i].port == pr->port)
					BAD("port %u given twice", pr->port);
			p->nports++;
		} else if (!strcmp(w[0], "allow") || !strcmp(w[0], "deny")) {
			int deny = w[0][0] == 'd';

			if (n != 2 && !(deny && n == 4 &&
					!strcmp(w[2], "until")))
				BAD("expected '%s CIDR%s'", w[0],
				    deny ? " [until YYYY-MM-DDTHH:MM:SSZ]" : "");
			if (xg_parse_cidr(w[1], &c, why, sizeof(why)))
				BAD("bad CIDR '%s': %s", w[1], why);
			exp = 0;
			if (n == 4) {
				int r = parse_until(w[3], &exp);

				if (r < 0)
					BAD("bad time '%s' (accepted: "
					    "2026-11-25T23:10:00Z, UTC)",
					    w[3]);
				if (r > 0)
					continue;	/* already expired */
			}
			if (xg_policy_add(p, deny, &c, exp))
				BAD("out of memory");
		} else if (!strcmp(w[0], "dry-run") && n == 2 &&
			   (!strcmp(w[1], "on") || !strcmp(w[1], "off"))) {
			p->dry_run = !strcmp(w[1], "on");
		} else {
			BAD("unknown statement '%s' (accepted: rate default, "
			    "rate port, allow, deny, dry-run)", w[0]);
		}
#undef BAD
	}
	/* sorted for lookups; a prefix listed twice sits next to itself */
	xg_policy_sort(p);
	for (d = 0; d < 2; d++)
		for (i = 1; i < p->n[d]; i++)
			if (!entry_cmp(&p->list[d][i - 1], &p->list[d][i])) {
				xg_format_cidr(&p->list[d][i].c, why,
					       sizeof(why));
				fprintf(stderr, "xdpguard apply: %s: %s %s "
					"given twice\n", name,
					d ? "deny" : "allow", why);
				return -1;
			}
	return 0;
}

