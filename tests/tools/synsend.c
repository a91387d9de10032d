// SPDX-License-Identifier: GPL-2.0
/*
 * synsend: send a fixed set of crafted SYN / SYN-ACK frames (tests/pkt.h)
 * out of an interface through AF_PACKET, one per case, each from its own
 * source port so a capture can be matched case by case. The MSS clamp's
 * differential test sends the same set through iptables and through
 * xdpguard.
 *
 * usage: synsend --dev IF --dst-mac MAC --src4 A --dst4 A --src6 A --dst6 A
 *        synsend --dev IF --dst-mac MAC --src4 A --dst4 A --one SPORT:DPORT
 *                            (one SYN, the first case's options, IPv4)
 *        synsend --list      (prints "sport family name" per case)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include "../pkt.h"

struct scase {
	const char *name;
	__u8 flags;
	int payload;
	int optlen;
	__u8 opt[40];
};

/* each case once per family; sport = 40000 + 100 * family + index */
static const struct scase cases[] = {
	{ "linux_mss1460", T_SYN, 0, 20, { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0,
	  1, 0, 0, 0, 0, 1, 3, 3, 7 } },
	{ "mss_lower_1200", T_SYN, 0, 4, { 2, 4, 0x04, 0xb0 } },
	{ "mss_equal_1300", T_SYN, 0, 4, { 2, 4, 0x05, 0x14 } },
	{ "mss_65535", T_SYN, 0, 4, { 2, 4, 0xff, 0xff } },
	{ "mss_536", T_SYN, 0, 4, { 2, 4, 0x02, 0x18 } },
	{ "no_options", T_SYN, 0, 0, {} },
	{ "no_mss_sack_ts_ws", T_SYN, 0, 16, { 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0,
	  0, 1, 3, 3, 7 } },
	{ "mss_last", T_SYN, 0, 24, { 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3,
	  3, 7, 1, 1, 2, 4, 0x23, 0x28, 1, 1 } },
	{ "mss_odd_offset", T_SYN, 0, 8, { 1, 2, 4, 0x05, 0xb4, 1, 1, 0 } },
	{ "synack_mss1460", T_SYN | T_ACK, 0, 20, { 2, 4, 0x05, 0xb4, 4, 2, 8,
	  10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7 } },
	{ "syn_payload_no_mss", T_SYN, 32, 0, {} },
};

#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

static int mac_parse(const char *s, __u8 *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static void frame(const struct scase *c, int idx, const char *src,
		  const char *dst, const __u8 *smac, const __u8 *dmac,
		  struct pkt *p)
{
	struct spec s = { .src = src, .flags = c->flags, .tcpopt = c->optlen,
			  .payload = c->payload, .fill = 'x' };
	__u32 addr[4];
	int fam;

	build(&s, p);
	memcpy(p->buf, dmac, 6);
	memcpy(p->buf + 6, smac, 6);
	fam = parse_addr(dst, addr);
	if (fam == 4)
		memcpy(p->buf + p->l3 + 16, addr, 4);
	else
		memcpy(p->buf + p->l3 + 24, addr, 16);
	put16(p, p->l4, 40000 + 100 * fam + idx);
	memcpy(p->buf + p->l4 + 20, c->opt, c->optlen);
	finish(p);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "src4", required_argument, NULL, '4' },
		{ "dst4", required_argument, NULL, 'a' },
		{ "src6", required_argument, NULL, '6' },
		{ "dst6", required_argument, NULL, 'b' },
		{ "list", no_argument, NULL, 'l' },
		{ "one", required_argument, NULL, 'o' },
		{}
	};
	const char *dev = NULL, *dmac_s = NULL, *src[2] = {}, *dst[2] = {};
	struct sockaddr_ll sll = {};
	__u8 smac[6] = { 2, 0, 0, 0, 0, 1 }, dmac[6];
	struct pkt p;
	int c, i, f, fd, fams[2] = { 4, 6 };
	unsigned int one_s = 0, one_d = 0;
	bool one = false;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'm': dmac_s = optarg; break;
		case '4': src[0] = optarg; break;
		case 'a': dst[0] = optarg; break;
		case '6': src[1] = optarg; break;
		case 'b': dst[1] = optarg; break;
		case 'o':
			one = sscanf(optarg, "%u:%u", &one_s, &one_d) == 2 &&
			      one_s && one_s < 65536 && one_d &&
			      one_d < 65536;
			if (!one) {
				fprintf(stderr, "synsend: --one %s: want "
					"SPORT:DPORT, each 1..65535\n", optarg);
				return 2;
			}
			break;
		case 'l':
			for (f = 0; f < 2; f++)
				for (i = 0; i < NCASES; i++)
					printf("%d %d %s\n", 40000 +
					       100 * fams[f] + i, fams[f],
					       cases[i].name);
			return 0;
		default:
			fprintf(stderr, "usage: synsend --dev IF --dst-mac MAC "
				"--src4 A --dst4 A --src6 A --dst6 A | "
				"--list\n");
			return 2;
		}
	}
	if (!dev || !dmac_s || !src[0] || !dst[0] ||
	    (!one && (!src[1] || !dst[1])) || mac_parse(dmac_s, dmac)) {
		fprintf(stderr, "synsend: --dev, --dst-mac, --src4, --dst4, "
			"and --src6 and --dst6 (or --one) are all needed\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "synsend: socket: %s\n", strerror(errno));
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(dev);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "synsend: no interface %s\n", dev);
		return 1;
	}
	if (one) {
		frame(&cases[0], 0, src[0], dst[0], smac, dmac, &p);
		put16(&p, p.l4, one_s);
		put16(&p, p.l4 + 2, one_d);
		finish(&p);
		if (sendto(fd, p.buf, p.len, 0, (void *)&sll, sizeof(sll)) !=
		    (ssize_t)p.len) {
			fprintf(stderr, "synsend: send: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
		return 0;
	}
	for (f = 0; f < 2; f++)
		for (i = 0; i < NCASES; i++) {
			frame(&cases[i], i, src[f], dst[f], smac, dmac, &p);
			if (sendto(fd, p.buf, p.len, 0, (void *)&sll,
				   sizeof(sll)) != (ssize_t)p.len) {
				fprintf(stderr, "synsend: send: %s\n",
					strerror(errno));
				return 1;
			}
			usleep(2000);
		}
	close(fd);
	return 0;
}
