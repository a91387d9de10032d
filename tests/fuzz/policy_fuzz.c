// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the policy file parser (xdpguard apply): any input
 * is accepted or refused without a crash or sanitizer report, and what is
 * accepted keeps the parser's promises: rates within bounds, lists sorted
 * with no prefix twice, masked prefixes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xdpguard.h"

int LLVMFuzzerTestOneInput(const char *data, size_t size)
{
	struct xg_policy p;
	FILE *f;
	int d, i;

	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (!xg_policy_parse(f, "fuzz", &p)) {
		if (p.rate.pps > 100000000 || !p.rate.burst ||
		    p.nports > XG_MAX_PORT_RULES)
			abort();
		for (i = 0; i < p.nports; i++)
			if (!p.ports[i].port || !p.ports[i].r.burst)
				abort();
		for (d = 0; d < 2; d++)
			for (i = 0; i < p.n[d]; i++) {
				const struct xg_cidr *c = &p.list[d][i].c;

				if (c->prefixlen > (c->family == 4 ? 32u : 128u))
					abort();
				if (i && !memcmp(&p.list[d][i - 1].c, c,
						 sizeof(*c)))
					abort();
				if (!xg_policy_has(&p, d, c, NULL))
					abort();
			}
	}
	xg_policy_free(&p);
	fclose(f);
	return 0;
}
