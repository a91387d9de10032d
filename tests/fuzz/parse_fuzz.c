// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the user-space parsers (user/parse.c): CIDRs,
 * bounded integers (rates, ports, sizes), durations and listen addresses. Beyond "no crash,
 * no sanitizer report", it checks what each parser promises: an accepted
 * CIDR is masked and formats back to itself, an accepted number is within
 * its bounds and prints back to the input, an accepted duration is within
 * 1 s .. 365 d.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "lib.h"

int LLVMFuzzerTestOneInput(const char *data, size_t size)
{
	char s[128], why[128], back[80], num[32];
	struct sockaddr_storage ss;
	struct xg_cidr c, c2;
	__u64 ns;
	__u32 v;
	__u16 port;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (!xg_parse_cidr(s, &c, why, sizeof(why))) {
		if ((c.family != 4 && c.family != 6) ||
		    c.prefixlen > (c.family == 4 ? 32u : 128u))
			abort();
		xg_format_cidr(&c, back, sizeof(back));
		if (xg_parse_cidr(back, &c2, why, sizeof(why)) ||
		    memcmp(&c, &c2, sizeof(c)))
			abort();	/* formats back to the same prefix */
	}
	if (!xg_parse_u32(s, 1, 100000000, &v)) {
		if (v < 1 || v > 100000000)
			abort();
		snprintf(num, sizeof(num), "%u", v);
		if (strcmp(num, s) && s[0] != '0')
			abort();	/* no junk accepted */
	}
	if (!xg_parse_port(s, &port) && !port)
		abort();
	if (!xg_parse_listen(s, &ss) && ss.ss_family != AF_INET &&
	    ss.ss_family != AF_INET6)
		abort();
	if (!xg_parse_duration(s, &ns) &&
	    (ns < 1000000000ULL || ns > 365ULL * 86400 * 1000000000ULL))
		abort();
	return 0;
}
