// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the policy file parser (xdpguard apply): any input
 * is accepted or refused without a crash or sanitizer report, and what is
 * accepted keeps the parser's promises: rates within bounds, lists sorted
 * with no prefix twice, masked prefixes, no IPv4-mapped IPv6 prefix (those
 * are stored as IPv4), cookie and MSS settings within bounds, and the
 * file had an 'end' and no NUL byte (a cut or corrupt file is refused);
 * a file of sections has as many as its 'interfaces N' says, each named
 * once with a valid interface name, and each section keeps them all.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdpguard/pmtu.h>
#include "lib.h"

static void check_policy(const char *data, size_t size,
			 const struct xg_policy *pp)
{
	const struct xg_policy p = *pp;
	int d, i;

	{
		if (p.rate.pps > 100000000 || !p.rate.burst ||
		    p.nports > XG_MAX_PORT_RULES)
			abort();
		for (i = 0; i < p.nports; i++)
			if (!p.ports[i].port || !p.ports[i].r.burst)
				abort();
		if (!memmem(data, size, "end", 3) || memchr(data, 0, size))
			abort();
		if (p.mss_mode > XG_MSS_PMTU ||
		    (p.mss_mode == XG_MSS_FIXED && p.mss < XG_MSS_MIN) ||
		    (p.mss_mode != XG_MSS_OFF && !p.mss_dirs))
			abort();
		for (i = 0; i < p.ncookies; i++) {
			const struct xg_cookie_rule *r = &p.cookies[i];

			if ((r->mode != XG_CK_ON && r->mode != XG_CK_AUTO) ||
			    (r->mode == XG_CK_AUTO && !r->threshold) ||
			    (i && p.cookies[i - 1].port >= r->port) ||
			    xg_policy_cookie(&p, r->port) != r)
				abort();
		}
		for (d = 0; d < 2; d++)
			for (i = 0; i < p.n[d]; i++) {
				const struct xg_cidr *c = &p.list[d][i].c;

				if (c->prefixlen > (c->family == 4 ? 32u : 128u))
					abort();
				if (c->family == 6 && c->prefixlen >= 96 &&
				    !c->addr[0] && !c->addr[1] &&
				    c->addr[2] == htonl(0xffff))
					abort();
				if (i && !memcmp(&p.list[d][i - 1].c, c,
						 sizeof(*c)))
					abort();
				if (!xg_policy_has(&p, d, c, NULL))
					abort();
			}
	}
}

int LLVMFuzzerTestOneInput(const char *data, size_t size)
{
	struct xg_policy_file pf;
	FILE *f;
	int i;

	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (!xg_policy_file_parse(f, "fuzz", &pf)) {
		if (pf.n < 1 || (!pf.named && pf.n != 1) ||
		    (pf.named && !memmem(data, size, "interfaces", 10)))
			abort();
		for (i = 0; i < pf.n; i++) {
			if (pf.named && (!xg_ifname_ok(pf.sec[i].ifname) ||
			    xg_policy_file_find(&pf, pf.sec[i].ifname) !=
			    &pf.sec[i]))
				abort();
			check_policy(data, size, &pf.sec[i].p);
		}
		xg_policy_file_free(&pf);
	}
	fclose(f);
	return 0;
}
