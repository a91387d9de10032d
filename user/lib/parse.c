// SPDX-License-Identifier: GPL-2.0
/*
 * Pure parsers for operator input: CIDRs, bounded integers, durations and
 * ports. No I/O, no globals: the unit tests and fuzzers call them directly.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib.h"

static void mask(struct xg_cidr *c, __u32 *out)
{
	unsigned int words = c->family == 4 ? 1 : 4, i, bits;

	for (i = 0; i < words; i++) {
		bits = c->prefixlen > 32 * i ? c->prefixlen - 32 * i : 0;
		if (bits >= 32)
			out[i] = c->addr[i];
		else if (!bits)
			out[i] = 0;
		else
			out[i] = c->addr[i] & htonl(~0U << (32 - bits));
	}
}

/*
 * ::ffff:a.b.c.d/96+N is IPv4 traffic as an IPv6 socket names it; on the
 * wire IPv4 packets carry a.b.c.d, so the prefix is stored as a.b.c.d/N,
 * the only form the IPv4 tries can match.
 */
static void unmap_v4(struct xg_cidr *c)
{
	if (c->family != 6 || c->prefixlen < 96 || c->addr[0] || c->addr[1] ||
	    c->addr[2] != htonl(0xffff))
		return;
	c->family = 4;
	c->prefixlen -= 96;
	c->addr[0] = c->addr[3];
	c->addr[1] = c->addr[2] = c->addr[3] = 0;
}

/*
 * ADDR or ADDR/LEN, IPv4 or IPv6. Host bits past the prefix are refused
 * (198.18.0.1/15 is a typo more often than a wish); @why says what's wrong.
 * An IPv4-mapped IPv6 prefix (::ffff:198.19.0.0/112) becomes the IPv4 one
 * (198.19.0.0/16).
 */
int xg_parse_cidr(const char *s, struct xg_cidr *c, char *why, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	__u32 masked[4] = {};
	unsigned long plen;
	unsigned int max;

	memset(c, 0, sizeof(*c));
	if (!s || !*s || strlen(s) >= sizeof(buf)) {
		snprintf(why, len, "not an address");
		return -1;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = 6;
		max = 128;
	} else {
		snprintf(why, len, "'%s' is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	c->prefixlen = max;
	if (slash) {
		errno = 0;
		if (!isdigit((unsigned char)*slash)) {
			snprintf(why, len, "prefix length '%s' is not a number",
				 slash);
			return -1;
		}
		plen = strtoul(slash, &end, 10);
		if (errno || *end || plen > max) {
			snprintf(why, len, "prefix length '%s' is not 0..%u",
				 slash, max);
			return -1;
		}
		c->prefixlen = plen;
	}
	mask(c, masked);
	if (memcmp(masked, c->addr, sizeof(masked))) {
		struct xg_cidr m = *c;
		char net[INET6_ADDRSTRLEN + 8];

		memcpy(m.addr, masked, sizeof(masked));
		xg_format_cidr(&m, net, sizeof(net));
		snprintf(why, len, "host bits set (did you mean %s?)", net);
		return -1;
	}
	unmap_v4(c);
	return 0;
}

/* A decimal integer in [min, max]; no sign, no junk. */
int xg_parse_u32(const char *s, __u64 min, __u64 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

/* 90, 90s, 15m, 2h, 7d; a positive whole number of units, at most 365d. */
int xg_parse_duration(const char *s, __u64 *ns)
{
	unsigned long long v, unit = 1;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		if (end[1])
			return -1;
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
	}
	if (!v || v > 365ULL * 86400 / unit)
		return -1;
	*ns = v * unit * 1000000000ULL;
	return 0;
}

int xg_parse_port(const char *s, __u16 *port)
{
	__u32 v;

	if (xg_parse_u32(s, 1, 65535, &v))
		return -1;
	*port = v;
	return 0;
}

void xg_format_addr(int family, const __u32 *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, len))
		snprintf(buf, len, "?");
}

/* "198.18.0.1:80", "[2001:db8::1]:80"; family 0: ":80" (a port only) */
void xg_format_endpoint(int family, const __u32 *addr, __u16 port,
			char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!family) {
		snprintf(buf, len, "*:%u", port);
		return;
	}
	xg_format_addr(family, addr, a, sizeof(a));
	snprintf(buf, len, family == 6 ? "[%s]:%u" : "%s:%u", a, port);
}

void xg_format_cidr(const struct xg_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	xg_format_addr(c->family, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->prefixlen);
}

void xg_format_duration(__u64 ns, char *buf, size_t len)
{
	__u64 s = (ns + 999999999ULL) / 1000000000ULL;

	if (s >= 86400)
		snprintf(buf, len, "%llud%02lluh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, len, "%llus", s);
}

/*
 * ADDR:PORT for a listening socket: 127.0.0.1:9400, [::1]:9400, or :9400
 * (every address, IPv6 and IPv4).
 */
int xg_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t hl;
	__u16 port;

	memset(ss, 0, sizeof(*ss));
	if (!s)
		return -1;
	colon = strrchr(s, ':');
	if (!colon || xg_parse_port(colon + 1, &port))
		return -1;
	hl = colon - s;
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (!hl) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		return 0;
	}
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return -1;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -1;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	return 0;
}

/*
 * An interface name as the kernel accepts one (dev_valid_name): 1..15
 * bytes, not "." or "..", no '/', ':' or whitespace. Names come from the
 * command line and from pin folder names, and become paths.
 */
bool xg_ifname_ok(const char *s)
{
	size_t n = strnlen(s, IF_NAMESIZE);

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}
