// SPDX-License-Identifier: GPL-2.0
/*
 * The policy file (xdpguard save / apply): its in-memory form and its
 * parser. No maps and no I/O but the FILE it is given, so the fuzzer runs
 * it directly.
 *
 * Format, one statement a line, '#' starts a comment:
 *   attached sources N prefix4 N prefix6 N pmtu on|off blackhole-after N
 *            event-budget N [dns off | dns on dns-servers N dns-names N
 *            dns-timeout N dns-ttl-short N dns-ttl-long N
 *            [dns-pending N dns-tc-window N]]
 *                                                      (optional: checked)
 *   rate default pps N burst N                                 (required)
 *   rate port PORT pps N burst N
 *   allow CIDR
 *   deny CIDR [until 2026-11-25T23:10:00Z]
 *   cookies default|port PORT on|auto [threshold N]
 *   mss off|N|pmtu [dir ingress|egress|both]                   (required)
 *   dry-run on|off                                             (required)
 *   end                                              (required, the last)
 *
 * A file is the whole policy: what it does not list is removed. So a file
 * that cannot be the whole of one is refused: no 'end' (truncated, or an
 * empty pipe from a failed save), a required setting missing or given
 * twice, a statement after 'end', a NUL byte, a line longer than
 * XG_POLICY_LINE bytes (never split into two statements).
 *
 * A file saved from every interface (xdpguard save without -i) holds one
 * such policy per interface, each opened by 'interface NAME' and closed by
 * its own 'end'; then every statement is in a section, a name is given
 * once, and each section is checked as a whole file is.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdpguard/dns.h>
#include <xdpguard/pmtu.h>
#include "lib.h"

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

static int cookie_cmp(const void *a, const void *b)
{
	return ((const struct xg_cookie_rule *)a)->port -
	       ((const struct xg_cookie_rule *)b)->port;
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
	qsort(p->cookies, p->ncookies, sizeof(p->cookies[0]), cookie_cmp);
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

const struct xg_cookie_rule *xg_policy_cookie(const struct xg_policy *p,
					      __u16 port)
{
	struct xg_cookie_rule k = { .port = port };

	return p->ncookies ? bsearch(&k, p->cookies, p->ncookies, sizeof(k),
				     cookie_cmp) : NULL;
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

#define MAX_WORDS	32
#define XG_POLICY_LINE	1024
#define STR_(x)		#x
#define STR(x)		STR_(x)

/*
 * One line into @buf (its '\n' dropped); 1 a line, 0 end of file, -1 bad:
 * longer than the buffer, or holding a NUL byte (*why says which).
 */
static int read_line(FILE *f, char *buf, size_t len, const char **why)
{
	size_t n = 0;
	bool nul = false;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (n == len - 1) {
			*why = "is longer than " STR(XG_POLICY_LINE) " bytes (never split)";
			return -1;
		}
		if (!ch)
			nul = true;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	if (nul) {
		*why = "holds a NUL byte";
		return -1;
	}
	return ch == EOF && !n ? 0 : 1;
}

static int parse_onoff(const char *s, bool *on)
{
	if (!strcmp(s, "on") || !strcmp(s, "off")) {
		*on = !strcmp(s, "on");
		return 0;
	}
	return -1;
}

/* dns off | dns on dns-servers N dns-names N dns-timeout N
 * dns-ttl-short N dns-ttl-long N [dns-pending N dns-tc-window N] */
static int parse_attached_dns(char **w, int n, struct xg_attached *a)
{
	a->has_dns = true;
	if (n == 2 && !strcmp(w[0], "dns") && !strcmp(w[1], "off"))
		return 0;
	a->dns = true;
	if (n == 16 && (strcmp(w[12], "dns-pending") ||
			strcmp(w[14], "dns-tc-window") ||
			xg_parse_u32(w[13], XG_DNS_PENDING_MIN,
				     XG_DNS_PENDING_MAX, &a->dns_pending) ||
			xg_parse_u32(w[15], 1, 60, &a->dns_tc_window)))
		return -1;
	if (n == 16)
		n = 12;
	if (n != 12 || strcmp(w[0], "dns") || strcmp(w[1], "on") ||
	    strcmp(w[2], "dns-servers") || strcmp(w[4], "dns-names") ||
	    strcmp(w[6], "dns-timeout") || strcmp(w[8], "dns-ttl-short") ||
	    strcmp(w[10], "dns-ttl-long"))
		return -1;
	return xg_parse_u32(w[3], XG_DNS_SERVERS_MIN, XG_DNS_SERVERS_MAX,
			    &a->dns_servers) ||
	       xg_parse_u32(w[5], XG_DNS_NAMES_MIN, XG_DNS_NAMES_MAX,
			    &a->dns_names) ||
	       xg_parse_u32(w[7], 1, 60, &a->dns_timeout) ||
	       xg_parse_u32(w[9], 0, XG_DNS_TTL_MAX, &a->dns_ttl_short) ||
	       xg_parse_u32(w[11], 1, XG_DNS_TTL_MAX, &a->dns_ttl_long) ? -1 : 0;
}

/* attached sources N prefix4 N prefix6 N pmtu on|off blackhole-after N
 * event-budget N [DNS words: parse_attached_dns] */
static int parse_attached(char **w, int n, struct xg_attached *a)
{
	bool pm;

	if (n > 12 && parse_attached_dns(w + 12, n - 12, a))
		return -1;
	if (n > 12)
		n = 12;
	if (n != 12 || strcmp(w[0], "sources") || strcmp(w[2], "prefix4") ||
	    strcmp(w[4], "prefix6") || strcmp(w[6], "pmtu") ||
	    strcmp(w[8], "blackhole-after") || strcmp(w[10], "event-budget"))
		return -1;
	if (xg_parse_u32(w[1], 1, 1U << 26, &a->sources) ||
	    xg_parse_u32(w[3], 8, 32, &a->prefix4) ||
	    xg_parse_u32(w[5], 32, 128, &a->prefix6) ||
	    parse_onoff(w[7], &pm) ||
	    xg_parse_u32(w[9], 0, 100, &a->bh_threshold) ||
	    xg_parse_u32(w[11], 0, 1000000, &a->event_budget))
		return -1;
	a->pmtu = pm ? XG_PM_F_PTB | XG_PM_F_BH : 0;
	return 0;
}

/* mss off | mss N|pmtu [dir ingress|egress|both] */
static int parse_mss(char **w, int n, struct xg_policy *p)
{
	p->mss_dirs = XG_DIR_BOTH;
	p->mss = 0;
	if (n == 1 && !strcmp(w[0], "off")) {
		p->mss_mode = XG_MSS_OFF;
		p->mss_dirs = 0;
		return 0;
	}
	if (n != 1 && n != 3)
		return -1;
	if (!strcmp(w[0], "pmtu"))
		p->mss_mode = XG_MSS_PMTU;
	else if (!xg_parse_u32(w[0], XG_MSS_MIN, 65535, &p->mss))
		p->mss_mode = XG_MSS_FIXED;
	else
		return -1;
	if (n == 3) {
		if (strcmp(w[1], "dir"))
			return -1;
		if (!strcmp(w[2], "ingress"))
			p->mss_dirs = XG_DIR_INGRESS;
		else if (!strcmp(w[2], "egress"))
			p->mss_dirs = XG_DIR_EGRESS;
		else if (!strcmp(w[2], "both"))
			p->mss_dirs = XG_DIR_BOTH;
		else
			return -1;
	}
	return 0;
}

/* cookies default|port PORT on|auto [threshold N] */
static int parse_cookies(char **w, int n, struct xg_cookie_rule *r)
{
	int i = 1;

	memset(r, 0, sizeof(*r));
	if (n >= 1 && !strcmp(w[0], "port")) {
		if (n < 2 || xg_parse_port(w[1], &r->port))
			return -1;
		i = 2;
	} else if (n < 1 || strcmp(w[0], "default")) {
		return -1;
	}
	if (n == i + 1 && !strcmp(w[i], "on")) {
		r->mode = XG_CK_ON;
		return 0;
	}
	if (n == i + 3 && !strcmp(w[i], "auto") &&
	    !strcmp(w[i + 1], "threshold") &&
	    !xg_parse_u32(w[i + 2], 1, 100000000, &r->threshold)) {
		r->mode = XG_CK_AUTO;
		return 0;
	}
	return -1;
}

/* Where a policy file is wrong: FILE:LINE: what; the file is refused. */
static int __attribute__((format(printf, 3, 4)))
bad(const char *name, int lineno, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xdpguard apply: %s", name);
	if (lineno)
		fprintf(stderr, ":%d", lineno);
	fprintf(stderr, ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; nothing applied\n");
	return -1;
}

/* One policy being read: where its once-only statements were. */
struct pstate {
	struct xg_policy *p;
	const char *name;	/* the file, for messages */
	const char *sec;	/* "" or " (interface X)" */
	int rate_at, mss_at, dry_at, att_at, end_at, nstmt;
};

#define BAD(...)	return bad(s->name, lineno, __VA_ARGS__)
#define ONCE(at, what) do {						\
		if (at)							\
			BAD("'%s' given twice%s (first on line %d)", what, \
			    s->sec, at);				\
		at = lineno;						\
	} while (0)

/* One statement of @n words into the policy of @s. */
static int statement(struct pstate *s, char **w, int n, int lineno)
{
	struct xg_policy *p = s->p;
	struct xg_cidr c;
	char why[128];
	__u64 exp;
	int i;

	s->nstmt++;
	if (!strcmp(w[0], "rate") && n >= 2 && !strcmp(w[1], "default")) {
		ONCE(s->rate_at, "rate default");
		if (parse_rate_words(w + 2, n - 2, &p->rate))
			BAD("expected 'rate default pps N burst N' "
			    "(pps 0..100000000, burst 1..100000000)");
	} else if (!strcmp(w[0], "rate") && n >= 3 && !strcmp(w[1], "port")) {
		struct xg_port_rule *pr = &p->ports[p->nports];

		if (p->nports == XG_MAX_PORT_RULES)
			BAD("more than %d port rules", XG_MAX_PORT_RULES);
		if (xg_parse_port(w[2], &pr->port) ||
		    parse_rate_words(w + 3, n - 3, &pr->r))
			BAD("expected 'rate port PORT pps N burst N'");
		for (i = 0; i < p->nports; i++)
			if (p->ports[i].port == pr->port)
				BAD("port %u given twice", pr->port);
		p->nports++;
	} else if (!strcmp(w[0], "allow") || !strcmp(w[0], "deny")) {
		int deny = w[0][0] == 'd';

		if (n != 2 && !(deny && n == 4 && !strcmp(w[2], "until")))
			BAD("expected '%s CIDR%s'", w[0],
			    deny ? " [until YYYY-MM-DDTHH:MM:SSZ]" : "");
		if (xg_parse_cidr(w[1], &c, why, sizeof(why)))
			BAD("bad CIDR '%s': %s", w[1], why);
		exp = 0;
		if (n == 4) {
			int rr = parse_until(w[3], &exp);

			if (rr < 0)
				BAD("bad time '%s' (accepted: "
				    "2026-11-25T23:10:00Z, UTC)", w[3]);
			if (rr > 0)
				return 0;	/* already expired */
		}
		if (xg_policy_add(p, deny, &c, exp))
			BAD("out of memory");
	} else if (!strcmp(w[0], "cookies")) {
		struct xg_cookie_rule *cr = &p->cookies[p->ncookies];

		if (parse_cookies(w + 1, n - 1, cr))
			BAD("expected 'cookies default|port PORT on|auto "
			    "threshold N' (threshold 1..100000000 SYN/s)");
		for (i = 0; i < p->ncookies; i++)
			if (p->cookies[i].port == cr->port)
				BAD("cookies of %s given twice",
				    cr->port ? "a port" : "default");
		if (p->ncookies == XG_MAX_PORT_RULES)
			BAD("more than %d cookie settings", XG_MAX_PORT_RULES);
		p->ncookies++;
	} else if (!strcmp(w[0], "mss")) {
		ONCE(s->mss_at, "mss");
		if (parse_mss(w + 1, n - 1, p))
			BAD("expected 'mss off', 'mss N|pmtu [dir "
			    "ingress|egress|both]' (N %u..65535)", XG_MSS_MIN);
	} else if (!strcmp(w[0], "dry-run")) {
		ONCE(s->dry_at, "dry-run");
		if (n != 2 || parse_onoff(w[1], &p->dry_run))
			BAD("expected 'dry-run on|off'");
	} else if (!strcmp(w[0], "attached")) {
		ONCE(s->att_at, "attached");
		if (parse_attached(w + 1, n - 1, &p->attached))
			BAD("expected 'attached sources N prefix4 N prefix6 N "
			    "pmtu on|off blackhole-after N event-budget N "
			    "[dns off | dns on dns-servers N dns-names N "
			    "dns-timeout N dns-ttl-short N dns-ttl-long N "
			    "[dns-pending N dns-tc-window N]]'");
		p->has_attached = true;
	} else if (!strcmp(w[0], "end") && n == 1) {
		s->end_at = lineno;
	} else {
		BAD("unknown statement '%s' (accepted: interface, rate "
		    "default, rate port, allow, deny, cookies, mss, dry-run, "
		    "attached, end)", w[0]);
	}
	return 0;
}
#undef ONCE
#undef BAD

/* The policy of @s is read up to @lineno: is it a whole one? */
static int finish(struct pstate *s, int lineno)
{
	struct xg_policy *p = s->p;
	char buf[64];
	int d, i;

	if (!s->end_at && !s->nstmt)
		return bad(s->name, 0, "empty%s: not one statement; applying "
			   "it would remove every setting. A policy file is "
			   "the whole policy, as xdpguard save writes it, and "
			   "ends with 'end'", s->sec);
	if (!s->end_at)
		return bad(s->name, 0, "incomplete%s: no 'end' line after line "
			   "%d, so it may be cut short (a failed save, a "
			   "truncated copy); a policy file is the whole "
			   "policy, as xdpguard save writes it, and ends with "
			   "'end'", s->sec, lineno);
	if (!s->rate_at || !s->mss_at || !s->dry_at)
		return bad(s->name, 0, "incomplete%s: no '%s' line; a policy "
			   "file states every setting, as xdpguard save "
			   "writes it", s->sec, !s->rate_at ? "rate default" :
			   !s->mss_at ? "mss" : "dry-run");
	/* sorted for lookups; a prefix listed twice sits next to itself */
	xg_policy_sort(p);
	for (d = 0; d < 2; d++)
		for (i = 1; i < p->n[d]; i++)
			if (!entry_cmp(&p->list[d][i - 1], &p->list[d][i])) {
				xg_format_cidr(&p->list[d][i].c, buf,
					       sizeof(buf));
				return bad(s->name, 0, "%s %s given twice%s",
					   d ? "deny" : "allow", buf, s->sec);
			}
	return 0;
}

void xg_policy_file_free(struct xg_policy_file *pf)
{
	int i;

	for (i = 0; i < pf->n; i++)
		xg_policy_free(&pf->sec[i].p);
	free(pf->sec);
	memset(pf, 0, sizeof(*pf));
}

/* A new section of @pf for @ifname ("" for a file without sections). */
static struct xg_policy_sec *sec_new(struct xg_policy_file *pf,
				     const char *ifname)
{
	struct xg_policy_sec *sec;

	sec = realloc(pf->sec, (pf->n + 1) * sizeof(*sec));
	if (!sec)
		return NULL;
	pf->sec = sec;
	sec += pf->n++;
	memset(sec, 0, sizeof(*sec));
	snprintf(sec->ifname, sizeof(sec->ifname), "%s", ifname);
	sec->p.rate.burst = 1;
	return sec;
}

const struct xg_policy_sec *xg_policy_file_find(const struct xg_policy_file *pf,
						const char *ifname)
{
	int i;

	for (i = 0; i < pf->n; i++)
		if (!strcmp(pf->sec[i].ifname, ifname))
			return &pf->sec[i];
	return NULL;
}

/*
 * Parse @f into @pf: one policy, or one section a policy, each opened by
 * 'interface NAME' and closed by its own 'end'. On error print FILE:LINE
 * and what is wrong, and return -1: the file is refused whole.
 */
int xg_policy_file_parse(FILE *f, const char *name, struct xg_policy_file *pf)
{
	char line[XG_POLICY_LINE + 1], *w[MAX_WORDS], *save, sec[40];
	struct pstate s = { .name = name, .sec = "" };
	int lineno = 0, n, r, at_expect = 0;
	struct xg_policy_sec *cur = NULL;
	__u32 expect = 0;
	const char *why;

	memset(pf, 0, sizeof(*pf));
	while ((r = read_line(f, line, sizeof(line), &why))) {
		lineno++;
		if (r < 0) {
			bad(name, lineno, "the line %s", why);
			goto fail;
		}
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		for (n = 0, w[0] = strtok_r(line, " \t\r", &save);
		     w[n] && n < MAX_WORDS - 1;
		     w[++n] = strtok_r(NULL, " \t\r", &save))
			;
		if (!n)
			continue;
		if (n == MAX_WORDS - 1) {
			bad(name, lineno, "too many words");
			goto fail;
		}
		if (!strcmp(w[0], "interfaces")) {
			if (cur || expect) {
				bad(name, lineno, "'interfaces' is the first "
				    "statement of a file of sections, given "
				    "once");
				goto fail;
			}
			if (n != 2 || xg_parse_u32(w[1], 1, 1U << 20, &expect)) {
				bad(name, lineno, "expected 'interfaces N' (the "
				    "number of sections, 1..%u)", 1U << 20);
				goto fail;
			}
			at_expect = lineno;
			continue;
		}
		if (!strcmp(w[0], "interface")) {
			if (n != 2 || !xg_ifname_ok(w[1])) {
				bad(name, lineno, "expected 'interface NAME' (a "
				    "name of 1..15 bytes, no '/', no spaces)");
				goto fail;
			}
			if (cur && !pf->named) {
				bad(name, lineno, "'interface' after "
				    "statements of no interface: either the "
				    "whole file is one policy, or every "
				    "statement is in an 'interface' section");
				goto fail;
			}
			if (cur && !s.end_at) {
				bad(name, lineno, "'interface %s' before the "
				    "'end' of interface %s's section", w[1],
				    cur->ifname);
				goto fail;
			}
			if (xg_policy_file_find(pf, w[1])) {
				bad(name, lineno, "interface %s given twice "
				    "(first on line %d)", w[1],
				    xg_policy_file_find(pf, w[1])->line);
				goto fail;
			}
			if (!expect) {
				bad(name, lineno, "a file of sections starts "
				    "with 'interfaces N', their number (so "
				    "that a file cut between two is seen)");
				goto fail;
			}
			pf->named = true;
			cur = sec_new(pf, w[1]);
			if (!cur) {
				bad(name, lineno, "out of memory");
				goto fail;
			}
			cur->line = lineno;
			snprintf(sec, sizeof(sec), " (interface %s)", w[1]);
			s = (struct pstate){ .p = &cur->p, .name = name,
					     .sec = sec };
			continue;
		}
		if (s.end_at) {
			bad(name, lineno, "'%s' after 'end' (line %d): %s",
			    w[0], s.end_at, pf->named ?
			    "a new section starts with 'interface NAME'" :
			    "two files run together?");
			goto fail;
		}
		if (!cur && expect) {
			bad(name, lineno, "'%s' before the first 'interface "
			    "NAME' section", w[0]);
			goto fail;
		}
		if (!cur) {
			cur = sec_new(pf, "");
			if (!cur) {
				bad(name, lineno, "out of memory");
				goto fail;
			}
			cur->line = lineno;
			s.p = &cur->p;
		}
		if (statement(&s, w, n, lineno))
			goto fail;
		if (s.end_at && finish(&s, lineno))
			goto fail;
	}
	if (ferror(f)) {
		bad(name, 0, "read error after line %d", lineno);
		goto fail;
	}
	if (expect && (__u32)pf->n != expect) {
		bad(name, 0, "%d section%s, but line %d says 'interfaces %u': "
		    "cut short? (as xdpguard save writes it, every section "
		    "is there)", pf->n, pf->n == 1 ? "" : "s", at_expect,
		    expect);
		goto fail;
	}
	if (!cur || !s.end_at) {
		/* s is the last section's (or an empty file's) */
		struct xg_policy empty = {};

		if (!s.p)
			s.p = &empty;
		finish(&s, lineno);
		xg_policy_free(&empty);
		goto fail;
	}
	return 0;
fail:
	xg_policy_file_free(pf);
	return -1;
}

/* A file of one policy, without sections, into @p (the fuzzer's entry). */
int xg_policy_parse(FILE *f, const char *name, struct xg_policy *p)
{
	struct xg_policy_file pf;

	memset(p, 0, sizeof(*p));
	if (xg_policy_file_parse(f, name, &pf))
		return -1;
	if (pf.named) {
		xg_policy_file_free(&pf);
		return bad(name, 0, "has 'interface' sections: not one policy");
	}
	*p = pf.sec[0].p;
	free(pf.sec);
	return 0;
}
