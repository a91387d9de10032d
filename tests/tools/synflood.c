// SPDX-License-Identifier: GPL-2.0
/*
 * synflood: spoofed TCP SYN (or ACK/RST) flood out of one interface, for
 * the xdpguard tests and benchmarks.
 *
 * The frames come from synflood.bpf.c run with BPF_PROG_RUN in live-frame
 * mode: the kernel copies one template frame into page_pool pages, the
 * program rewrites the source of each and returns XDP_TX, and the kernel
 * transmits it out of the interface as if it were redirected there. The
 * number reported as sent is the program's own per-CPU count of XDP_TX
 * verdicts, exact even when a run is cut short by a signal.
 *
 * Each BPF_PROG_RUN with repeat > 1 adds the program to the kernel's XDP
 * dispatcher and removes it again, two RCU grace periods (~20 ms on a
 * small VM). So an unpaced worker makes one long run that a timer signal
 * ends at --duration, and a paced one sends in bursts that grow to what
 * is owed after that fixed cost. Runs of one frame skip the dispatcher,
 * which lets --batch 1 pace low rates evenly.
 *
 * Kernels that refuse live frames (EPERM: some hosts' kernels are built
 * or configured so) get the same frames from user space instead: each
 * worker stamps them as the BPF side does (sf_stamp() below) and sends
 * them with sendmmsg() on an AF_PACKET socket that bypasses the qdisc;
 * the count is then the frames the kernel accepted. The first run that
 * fails with EPERM switches every worker, and says so once.
 *
 * A veth drops XDP_TX/redirected frames unless its peer runs an XDP
 * program (or has GRO on). Frames the peer's ring (256) has no room for
 * are dropped as well: they show as rx "dropped" of the peer in
 * `ip -s link` and as xdp_xmit_errors in `ethtool -S` of the sender. One
 * thread cannot overrun it, as the peer's NAPI runs on the sending CPU
 * between batches; with --threads N the peer needs N rx queues
 * (`ip link add ... numrxqueues N type veth peer ... numrxqueues N`).
 */
#define _GNU_SOURCE	/* gettid(), SIGEV_THREAD_ID */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "synflood.skel.h"

#define PROG		"synflood"
#define EXIT_USAGE	2

/* slot of the BPF side's sf_pcpu map holding the XDP_TX count */
#define SF_SENT		0
/*
 * Frames per kernel batch (the kernel's default; it allows 256). The
 * veth peer's ring holds 256 frames and its NAPI polls 64 at a time, so
 * batches of 256 overflow it while 64 are drained between batches.
 */
#define SF_KBATCH	64
#define SF_MAX_BATCH	(1U << 20)
#define SF_MAX_SECONDS	(1e7)
#define SF_FRAME_MAX	128
#define SF_MAX_THREADS	64
/* after a stop, signal each worker this often until it has stopped */
#define SF_TICK_NS	10000000L

#ifndef sigev_notify_thread_id	/* glibc < 2.41 */
#define sigev_notify_thread_id	_sigev_un._tid
#endif

/* --flags: bits of the TCP flag byte */
#define SF_TCP_SYN	0x02
#define SF_TCP_RST	0x04
#define SF_TCP_ACK	0x10

struct opts {
	const char *dev;
	int family;			/* AF_INET or AF_INET6 */
	__u8 dst[16];			/* network order */
	__u8 src[16];			/* network order, as given */
	int src_prefix;
	__u16 dport;
	__u8 dst_mac[ETH_ALEN];
	bool have_dst_mac;
	__u64 sources;
	__u64 count;			/* 0: until --duration */
	__u64 pps;			/* 0: as fast as possible */
	double duration;
	__u32 batch;
	int threads;
	bool json;
	__u8 tcp_flags;
};

/* What varies in a frame, as the BPF side's rodata has it. */
struct sf_gen {
	int family;		/* 4 or 6 */
	__u32 tcp_hlen;
	bool rand_ack;
	__u64 sources;		/* 0: random */
	__u32 base[4], hostmask[4];	/* network order */
};

struct worker {
	pthread_t tid;
	timer_t timer;
	volatile sig_atomic_t have_timer;
	int started;
	int prog_fd;
	int ifindex;
	const __u8 *frame;
	__u32 len;
	__u32 batch;		/* smallest burst when pacing */
	double pps;		/* this worker's share; 0: unpaced */
	__u64 count;		/* this worker's share */
	__u64 done;		/* frames of the runs that completed */
	double start, deadline, end;
	int err;
	/* user-space sending, when the kernel refuses live frames */
	const struct sf_gen *gen;
	int pkt_fd;
	__u64 next_src, rnd;
};

/* set once a run was refused: every worker sends from user space */
static volatile int use_packet;

struct link_info {
	unsigned int flags;		/* IFF_* */
	__u8 mac[ETH_ALEN];
	bool has_mac;
	bool is_veth;
	bool has_xdp;
	int link;			/* IFLA_LINK: a veth's peer */
	int link_nsid;			/* -1: the peer is in this netns */
};

static volatile sig_atomic_t stop, timeup;
static struct worker *workers;
static int nworkers;

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " --dev IFACE --dst IP --dport PORT [options]\n"
"Sends spoofed TCP SYNs out of IFACE with BPF_PROG_RUN live XDP frames.\n"
"  --dev IFACE       interface to send from (in this network namespace)\n"
"  --dst IP          destination IPv4 or IPv6 address (sets the family)\n"
"  --dport PORT      destination TCP port\n"
"  --dst-mac MAC     destination MAC (default: the veth peer's MAC)\n"
"  --src CIDR        source range (default 198.18.0.0/15 or "
"2001:db8:dead::/48)\n"
"  --sources N       cycle through N sources counting up from the --src\n"
"                    address (default 0: a random source in the range\n"
"                    for every packet)\n"
"  --count N         packets to send (default 1000000, 0: no limit)\n"
"  --duration SEC    upper time bound (default 10)\n"
"  --pps N           rate cap (default 0: as fast as possible)\n"
"  --batch N         smallest burst when pacing (default 64; a burst\n"
"                    is at most a tenth of a second's frames)\n"
"  --threads N       sending threads (default 1); a veth peer needs as\n"
"                    many rx queues or it drops what it cannot take\n"
"  --flags F         syn (default), ack or rst\n"
"  --json            print the summary as JSON\n"
"Prints: sent N packets in T s (R pps)\n");
}

static void __attribute__((format(printf, 1, 2))) bad_arg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(EXIT_USAGE);
}

static __u64 parse_u64(const char *opt, const char *s, __u64 min, __u64 max)
{
	unsigned long long v;
	char *end;

	/* strtoull() accepts "-1" and wraps it */
	if (*s < '0' || *s > '9')
		bad_arg("%s: '%s' is not a number", opt, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		bad_arg("%s: '%s' is not a number", opt, s);
	if (v < min || v > max)
		bad_arg("%s: %s is out of range %llu..%llu", opt, s,
			(unsigned long long)min, (unsigned long long)max);
	return v;
}

static int parse_ip(const char *s, __u8 *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return -1;
}

static void parse_cidr(const char *s, struct opts *o, int *family)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	int bits;

	if (strlen(s) >= sizeof(buf))
		bad_arg("--src: '%s' is not an address/prefix", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	*family = parse_ip(buf, o->src);
	if (*family < 0)
		bad_arg("--src: '%s' is not an IPv4 or IPv6 address", buf);
	bits = *family == AF_INET ? 32 : 128;
	o->src_prefix = slash ? (int)parse_u64("--src prefix", slash, 0, bits)
			      : bits;
}

/* An address as a 128-bit number, and the host bits of its prefix. */
static unsigned __int128 addr_num(const struct opts *o,
				  unsigned __int128 *hostmask)
{
	int bytes = o->family == AF_INET ? 4 : 16, hbits, i;
	unsigned __int128 n = 0;

	for (i = 0; i < bytes; i++)
		n = n << 8 | o->src[i];
	hbits = bytes * 8 - o->src_prefix;
	*hostmask = hbits >= 128 ? ~(unsigned __int128)0
				 : ((unsigned __int128)1 << hbits) - 1;
	return n;
}

static void parse_mac(const char *s, __u8 *mac)
{
	unsigned int b[ETH_ALEN];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != ETH_ALEN)
		bad_arg("--dst-mac: '%s' is not a MAC address", s);
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = b[i];
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_DEV = 256, O_DST, O_DPORT, O_DST_MAC, O_SRC, O_SOURCES,
	       O_COUNT, O_PPS, O_DURATION, O_BATCH, O_THREADS, O_JSON, O_FLAGS,
	       O_HELP };
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, O_DEV },
		{ "dst", required_argument, NULL, O_DST },
		{ "dport", required_argument, NULL, O_DPORT },
		{ "dst-mac", required_argument, NULL, O_DST_MAC },
		{ "src", required_argument, NULL, O_SRC },
		{ "sources", required_argument, NULL, O_SOURCES },
		{ "count", required_argument, NULL, O_COUNT },
		{ "pps", required_argument, NULL, O_PPS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "json", no_argument, NULL, O_JSON },
		{ "flags", required_argument, NULL, O_FLAGS },
		{ "help", no_argument, NULL, O_HELP },
		{}
	};
	const char *dst = NULL, *src = NULL;
	bool have_dport = false;
	unsigned __int128 host, hostmask;
	int c, src_family = 0;
	char *end;

	o->count = 1000000;
	o->duration = 10;
	o->batch = 64;
	o->threads = 1;
	o->tcp_flags = SF_TCP_SYN;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case O_DEV:
			o->dev = optarg;
			break;
		case O_DST:
			dst = optarg;
			break;
		case O_DPORT:
			o->dport = parse_u64("--dport", optarg, 1, 65535);
			have_dport = true;
			break;
		case O_DST_MAC:
			parse_mac(optarg, o->dst_mac);
			o->have_dst_mac = true;
			break;
		case O_SRC:
			src = optarg;
			break;
		case O_SOURCES:
			o->sources = parse_u64("--sources", optarg, 0,
					       UINT32_MAX);
			break;
		case O_COUNT:
			o->count = parse_u64("--count", optarg, 0, UINT64_MAX);
			break;
		case O_PPS:
			o->pps = parse_u64("--pps", optarg, 0, UINT32_MAX);
			break;
		case O_DURATION:
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !isfinite(o->duration) || o->duration <= 0 ||
			    o->duration > SF_MAX_SECONDS)
				bad_arg("--duration: '%s' is not a number of "
					"seconds in (0, %.0f]", optarg,
					SF_MAX_SECONDS);
			break;
		case O_BATCH:
			o->batch = parse_u64("--batch", optarg, 1,
					     SF_MAX_BATCH);
			break;
		case O_THREADS:
			o->threads = parse_u64("--threads", optarg, 1,
					       SF_MAX_THREADS);
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_FLAGS:
			if (!strcmp(optarg, "syn"))
				o->tcp_flags = SF_TCP_SYN;
			else if (!strcmp(optarg, "ack"))
				o->tcp_flags = SF_TCP_ACK;
			else if (!strcmp(optarg, "rst"))
				o->tcp_flags = SF_TCP_RST;
			else
				bad_arg("--flags: '%s' is not syn, ack or rst",
					optarg);
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case ':':
			bad_arg("%s needs a value", argv[optind - 1]);
			break;
		default:
			bad_arg("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_arg("unexpected argument '%s'", argv[optind]);
	if (!o->dev)
		bad_arg("--dev is required");
	if (!dst)
		bad_arg("--dst is required");
	if (!have_dport)
		bad_arg("--dport is required");
	o->family = parse_ip(dst, o->dst);
	if (o->family < 0)
		bad_arg("--dst: '%s' is not an IPv4 or IPv6 address", dst);
	if (!src)
		src = o->family == AF_INET ? "198.18.0.0/15"
					   : "2001:db8:dead::/48";
	parse_cidr(src, o, &src_family);
	if (src_family != o->family)
		bad_arg("--src %s and --dst %s are not the same family", src,
			dst);
	/* cycling starts at the address given and stays in its prefix */
	host = addr_num(o, &hostmask) & hostmask;
	if (o->sources && o->sources - 1 > hostmask - host)
		bad_arg("--sources %llu: %s has room for only %llu from there",
			(unsigned long long)o->sources, src,
			(unsigned long long)(hostmask - host + 1));
}

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* errors for IFLA_TARGET_NETNSID come back with extended acks */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void parse_linkinfo(struct rtattr *nest, struct link_info *li)
{
	int len = RTA_PAYLOAD(nest);
	struct rtattr *a;

	for (a = RTA_DATA(nest); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_INFO_KIND &&
		    !strncmp(RTA_DATA(a), "veth", RTA_PAYLOAD(a)))
			li->is_veth = true;
}

static void parse_xdp(struct rtattr *nest, struct link_info *li)
{
	int len = RTA_PAYLOAD(nest);
	struct rtattr *a;

	for (a = RTA_DATA(nest); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_XDP_ATTACHED &&
		    *(__u8 *)RTA_DATA(a) != XDP_ATTACHED_NONE)
			li->has_xdp = true;
}

/* RTM_GETLINK for ifindex, in the netns with id nsid (-1: ours) */
static int nl_get_link(int fd, int ifindex, int nsid, struct link_info *li)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[RTA_SPACE(sizeof(__s32))];
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.nh.nlmsg_type = RTM_GETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST,
		.nh.nlmsg_seq = 1,
		.ifi.ifi_family = AF_UNSPEC,
		.ifi.ifi_index = ifindex,
	};
	static char buf[65536];
	struct nlmsghdr *nh;
	struct rtattr *a;
	int len, alen;

	if (nsid >= 0) {
		a = (struct rtattr *)((char *)&req +
				      NLMSG_ALIGN(req.nh.nlmsg_len));
		a->rta_type = IFLA_TARGET_NETNSID;
		a->rta_len = RTA_LENGTH(sizeof(__s32));
		*(__s32 *)RTA_DATA(a) = nsid;
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) +
				   RTA_SPACE(sizeof(__s32));
	}
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	len = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	if (len < 0)
		return -errno;
	if (len > (int)sizeof(buf))
		return -EMSGSIZE;

	memset(li, 0, sizeof(*li));
	li->link_nsid = -1;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned int)len);
	     nh = NLMSG_NEXT(nh, len)) {
		struct ifinfomsg *ifi = NLMSG_DATA(nh);

		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);

			return e->error ? e->error : -ENODATA;
		}
		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		li->flags = ifi->ifi_flags;
		alen = IFLA_PAYLOAD(nh);
		for (a = IFLA_RTA(ifi); RTA_OK(a, alen);
		     a = RTA_NEXT(a, alen)) {
			switch (a->rta_type) {
			case IFLA_ADDRESS:
				if (RTA_PAYLOAD(a) == ETH_ALEN) {
					memcpy(li->mac, RTA_DATA(a), ETH_ALEN);
					li->has_mac = true;
				}
				break;
			case IFLA_LINK:
				li->link = *(__s32 *)RTA_DATA(a);
				break;
			case IFLA_LINK_NETNSID:
				li->link_nsid = *(__s32 *)RTA_DATA(a);
				break;
			case IFLA_LINKINFO:
				parse_linkinfo(a, li);
				break;
			case IFLA_XDP:
				parse_xdp(a, li);
				break;
			}
		}
		return 0;
	}
	return -ENODATA;
}

/* Own MAC, and the peer's unless --dst-mac gave it; exits on failure. */
static int resolve_macs(struct opts *o, int ifindex, __u8 *src_mac)
{
	struct link_info me, peer;
	int fd, err;

	fd = nl_open();
	if (fd < 0) {
		fprintf(stderr, PROG ": cannot open rtnetlink: %s\n",
			strerror(-fd));
		return fd;
	}
	err = nl_get_link(fd, ifindex, -1, &me);
	if (err) {
		fprintf(stderr, PROG ": cannot read link %s: %s\n", o->dev,
			strerror(-err));
		goto out;
	}
	if (!me.has_mac) {
		fprintf(stderr, PROG ": %s has no Ethernet address\n", o->dev);
		err = -EINVAL;
		goto out;
	}
	memcpy(src_mac, me.mac, ETH_ALEN);
	if (!(me.flags & IFF_UP)) {
		fprintf(stderr, PROG ": %s is down\n", o->dev);
		err = -ENETDOWN;
		goto out;
	}
	if (!me.is_veth || me.link <= 0) {
		if (!o->have_dst_mac) {
			fprintf(stderr, PROG ": %s is not a veth: pass "
				"--dst-mac\n", o->dev);
			err = -EINVAL;
		}
		goto out;
	}
	err = nl_get_link(fd, me.link, me.link_nsid, &peer);
	if (err) {
		if (o->have_dst_mac) {
			err = 0;
			goto out;
		}
		fprintf(stderr, PROG ": cannot read the veth peer of %s: %s "
			"(pass --dst-mac)\n", o->dev, strerror(-err));
		goto out;
	}
	/* the usual mistake: frames vanish in the peer without a word */
	if (!peer.has_xdp)
		fprintf(stderr, PROG ": warning: the veth peer of %s has no "
			"XDP program; unless it has GRO on, it drops every "
			"frame\n", o->dev);
	if (!o->have_dst_mac) {
		if (!peer.has_mac) {
			fprintf(stderr, PROG ": the veth peer of %s has no "
				"MAC (pass --dst-mac)\n", o->dev);
			err = -EINVAL;
			goto out;
		}
		memcpy(o->dst_mac, peer.mac, ETH_ALEN);
	}
out:
	close(fd);
	return err;
}

/* Ethernet + IP + TCP template; the BPF side fills in what varies. */
static int build_frame(const struct opts *o, const __u8 *src_mac, __u8 *buf,
		       __u32 *tcp_hlen)
{
	bool syn = o->tcp_flags == SF_TCP_SYN;
	struct ethhdr *eth = (struct ethhdr *)buf;
	size_t l3len;
	struct tcphdr *tcp;
	__u8 *opt;

	*tcp_hlen = sizeof(*tcp) + (syn ? 4 : 0);
	memcpy(eth->h_dest, o->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, src_mac, ETH_ALEN);
	if (o->family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		iph->version = 4;
		iph->ihl = sizeof(*iph) / 4;
		iph->tot_len = htons(sizeof(*iph) + *tcp_hlen);
		iph->frag_off = htons(0x4000);	/* DF, as Linux sends SYNs */
		iph->ttl = 64;
		iph->protocol = IPPROTO_TCP;
		memcpy(&iph->saddr, o->src, 4);
		memcpy(&iph->daddr, o->dst, 4);
		l3len = sizeof(*iph);
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->payload_len = htons(*tcp_hlen);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, o->src, 16);
		memcpy(&ip6->daddr, o->dst, 16);
		l3len = sizeof(*ip6);
	}
	tcp = (struct tcphdr *)((__u8 *)(eth + 1) + l3len);
	tcp->dest = htons(o->dport);
	tcp->doff = *tcp_hlen / 4;
	tcp->syn = syn;
	tcp->ack = o->tcp_flags == SF_TCP_ACK;
	tcp->rst = o->tcp_flags == SF_TCP_RST;
	tcp->window = htons(64240);
	if (syn) {
		opt = (__u8 *)(tcp + 1);
		opt[0] = 2;	/* MSS */
		opt[1] = 4;
		opt[2] = (o->family == AF_INET ? 1460 : 1440) >> 8;
		opt[3] = (o->family == AF_INET ? 1460 : 1440) & 0xff;
	}
	return sizeof(*eth) + l3len + *tcp_hlen;
}

/* Cycling counts up from --src as given; random fills its host bits. */
static void set_source_range(const struct opts *o, struct sf_gen *g)
{
	int words = o->family == AF_INET ? 1 : 4, i;

	for (i = 0; i < words; i++) {
		int keep = o->src_prefix - i * 32;
		__u32 base, host;

		if (keep <= 0)
			host = UINT32_MAX;
		else if (keep >= 32)
			host = 0;
		else
			host = UINT32_MAX >> keep;
		memcpy(&base, o->src + i * 4, 4);
		if (!o->sources)
			base &= ~htonl(host);
		g->base[i] = base;
		g->hostmask[i] = htonl(host);
	}
}

/* ---- user-space frames: what synflood.bpf.c does, for AF_PACKET ---- */

static __u64 sf_rand(struct worker *w)
{
	/* xorshift64*: fast, per worker, good enough for addresses */
	w->rnd ^= w->rnd >> 12;
	w->rnd ^= w->rnd << 25;
	w->rnd ^= w->rnd >> 27;
	return w->rnd * 0x2545F4914F6CDD1DULL;
}

static __u64 sum16(const void *p, int words)
{
	const __u16 *q = p;
	__u64 sum = 0;
	int i;

	for (i = 0; i < words; i++)
		sum += q[i];
	return sum;
}

static __u16 fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Copy the template into @f and give it its source, port and sequence. */
static void sf_stamp(struct worker *w, __u8 *f)
{
	const struct sf_gen *g = w->gen;
	__u32 l3len = g->family == 6 ? 40 : 20, i;
	struct tcphdr *tcp = (struct tcphdr *)(f + ETH_HLEN + l3len);
	__u32 *saddr;
	__u64 sum, r = sf_rand(w);

	memcpy(f, w->frame, w->len);
	tcp->source = htons(1024 + (__u32)r % (65536 - 1024));
	tcp->seq = r >> 32;
	if (g->rand_ack)
		tcp->ack_seq = sf_rand(w);
	tcp->check = 0;
	saddr = g->family == 6 ?
		((struct ipv6hdr *)(f + ETH_HLEN))->saddr.s6_addr32 :
		&((struct iphdr *)(f + ETH_HLEN))->saddr;
	if (!g->sources) {
		for (i = 0; i < (g->family == 6 ? 4u : 1u); i++)
			saddr[i] = g->base[i] | ((__u32)sf_rand(w) &
						 g->hostmask[i]);
	} else {
		unsigned __int128 n = 0;
		__u64 idx = w->next_src++;

		if (w->next_src >= g->sources)
			w->next_src = 0;
		for (i = 0; i < (g->family == 6 ? 4u : 1u); i++)
			n = n << 32 | ntohl(g->base[i]);
		n += idx;
		for (i = g->family == 6 ? 4 : 1; i-- > 0; n >>= 32)
			saddr[i] = htonl((__u32)n);
	}
	sum = htons(IPPROTO_TCP) + htons(g->tcp_hlen);
	if (g->family == 6) {
		sum += sum16(saddr, 16);
	} else {
		struct iphdr *iph = (struct iphdr *)(f + ETH_HLEN);

		iph->check = 0;
		iph->check = fold(sum16(iph, 10));
		sum += sum16(saddr, 4);
	}
	sum += sum16(tcp, g->tcp_hlen / 2);
	tcp->check = fold(sum);
}

static int pkt_open(struct worker *w)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = w->ifindex,
	};
	int one = 1, fd;

	/* protocol 0: sends only, receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int err = -errno;

		close(fd);
		return err;
	}
	w->pkt_fd = fd;
	return 0;
}

/* Up to @want frames by sendmmsg(); the number the kernel took, or -errno. */
static long long pkt_send(struct worker *w, __u64 want)
{
	static __thread __u8 buf[SF_KBATCH][SF_FRAME_MAX];
	struct mmsghdr msg[SF_KBATCH];
	struct iovec iov[SF_KBATCH];
	__u64 done = 0;
	int n, i, r;

	if (w->pkt_fd < 0 && (r = pkt_open(w)))
		return r;
	while (done < want && !stop && !timeup) {
		n = want - done < SF_KBATCH ? want - done : SF_KBATCH;
		memset(msg, 0, sizeof(msg[0]) * n);
		for (i = 0; i < n; i++) {
			sf_stamp(w, buf[i]);
			iov[i].iov_base = buf[i];
			iov[i].iov_len = w->len;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(w->pkt_fd, msg, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				break;
			/* a full device queue: let it drain, try again */
			if (errno == ENOBUFS || errno == EAGAIN) {
				sched_yield();
				continue;
			}
			return -errno;
		}
		done += r;
	}
	return done;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec to_ts(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - ts.tv_sec) * 1e9);
	return ts;
}

/*
 * Stopping. BPF_PROG_RUN only returns early when a signal is pending for
 * the thread running it, so each worker owns a timer aimed at itself:
 * it fires at the deadline and then every SF_TICK_NS, so a signal that
 * lands just before a worker enters the syscall cannot be missed for
 * long. SIGINT/SIGTERM re-arm every worker's timer to fire at once.
 */
static void on_alarm(int sig)
{
	timeup = 1;
}

static void on_stop(int sig)
{
	struct itimerspec it = {
		.it_value.tv_nsec = 1000,
		.it_interval.tv_nsec = SF_TICK_NS,
	};
	int i;

	stop = 1;
	for (i = 0; i < nworkers; i++)
		if (workers[i].have_timer)
			timer_settime(workers[i].timer, 0, &it, NULL);
}

static int worker_timer(struct worker *w)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGALRM,
	};
	struct itimerspec it = {
		.it_value = to_ts(w->deadline),
		.it_interval.tv_nsec = SF_TICK_NS,
	};

	sev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &w->timer))
		return -errno;
	w->have_timer = 1;
	if (timer_settime(w->timer, TIMER_ABSTIME, &it, NULL))
		return -errno;
	/* a stop signal that came before the timer existed */
	if (stop)
		on_stop(SIGTERM);
	return 0;
}

static void sleep_until(double t)
{
	struct timespec ts = to_ts(t);

	/* EINTR: a signal; the caller looks at stop and timeup */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct xdp_md ctx = {
		.data_end = w->len,
		.ingress_ifindex = w->ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, run,
		    .data_in = w->frame,
		    .data_size_in = w->len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = SF_KBATCH);
	sigset_t sigs;
	int err;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGALRM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	err = worker_timer(w);
	if (err) {
		fprintf(stderr, PROG ": cannot arm a timer: %s\n",
			strerror(-err));
		goto out;
	}
	pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);

	while (!stop && !timeup && w->done < w->count) {
		__u64 want = w->count - w->done;

		if (w->pps > 0) {
			/* never ahead: frame n leaves at n / pps or later */
			double due_now = w->pps * (now_s() - w->start);
			__u64 need = want < w->batch ? want : w->batch;
			double due;

			if (due_now < w->done + need) {
				due = w->start + (w->done + need) / w->pps;
				if (due >= w->deadline)
					break;
				sleep_until(due);
				continue;
			}
			/* behind (each run costs a fixed time): catch up */
			if (want > due_now - w->done)
				want = due_now - w->done;
		}
		if (want > UINT32_MAX)
			want = UINT32_MAX;
		if (use_packet) {
			long long r = pkt_send(w, want);

			if (r < 0) {
				err = r;
				fprintf(stderr, PROG ": sending on an AF_PACKET "
					"socket failed: %s\n", strerror(-err));
				on_stop(SIGTERM);
				break;
			}
			w->done += r;
			continue;
		}
		run.repeat = want;
		err = bpf_prog_test_run_opts(w->prog_fd, &run);
		if (err == -EPERM) {
			/* this kernel refuses live frames: from user space */
			if (!__sync_lock_test_and_set(&use_packet, 1))
				fprintf(stderr, PROG ": this kernel refuses "
					"BPF_PROG_RUN live frames (EPERM); "
					"sending from user space on an "
					"AF_PACKET socket instead\n");
			err = 0;
			continue;
		}
		if (err == -EINTR)
			break;
		if (err) {
			fprintf(stderr, PROG ": BPF_PROG_RUN failed: %s\n",
				strerror(-err));
			/* the others stop too */
			on_stop(SIGTERM);
			break;
		}
		w->done += want;
	}
	if (err == -EINTR)
		err = 0;
out:
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	w->end = now_s();
	w->err = err;
	return NULL;
}

/* Sum of the per-CPU XDP_TX counters. */
static int read_sent(int map_fd, int ncpus, __u64 *sent)
{
	__u32 key = SF_SENT;
	__u64 *vals;
	int i, err = 0;

	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, vals)) {
		err = -errno;
		goto out;
	}
	*sent = 0;
	for (i = 0; i < ncpus; i++)
		*sent += vals[i];
out:
	free(vals);
	return err;
}

int main(int argc, char **argv)
{
	struct sigaction sa_stop = { .sa_handler = on_stop };
	struct sigaction sa_alarm = { .sa_handler = on_alarm };
	__u8 frame[SF_FRAME_MAX] = {}, src_mac[ETH_ALEN];
	struct synflood_bpf *skel = NULL;
	double start, end, secs, rate;
	int ifindex, len, ncpus, i, err = 0;
	struct sf_gen gen = {};
	struct opts o = {};
	__u64 sent = 0;
	__u32 tcp_hlen;
	sigset_t sigs;

	parse_args(argc, argv, &o);

	/*
	 * Workers take the signals; everywhere else they stay blocked, so
	 * a stop during setup is seen by the workers and still ends in a
	 * summary.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGALRM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sigemptyset(&sa_stop.sa_mask);
	sigaddset(&sa_stop.sa_mask, SIGALRM);
	sigemptyset(&sa_alarm.sa_mask);
	/* no SA_RESTART: BPF_PROG_RUN has to return EINTR */
	if (sigaction(SIGINT, &sa_stop, NULL) ||
	    sigaction(SIGTERM, &sa_stop, NULL) ||
	    sigaction(SIGALRM, &sa_alarm, NULL)) {
		fprintf(stderr, PROG ": cannot set signal handlers: %s\n",
			strerror(errno));
		return 1;
	}

	ifindex = if_nametoindex(o.dev);
	if (!ifindex) {
		fprintf(stderr, PROG ": no interface %s in this network "
			"namespace\n", o.dev);
		return EXIT_USAGE;
	}
	if (resolve_macs(&o, ifindex, src_mac))
		return EXIT_USAGE;
	len = build_frame(&o, src_mac, frame, &tcp_hlen);

	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0) {
		fprintf(stderr, PROG ": cannot count CPUs: %s\n",
			strerror(-ncpus));
		return 1;
	}
	workers = calloc(o.threads, sizeof(*workers));
	if (!workers) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}

	skel = synflood_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, PROG ": cannot open the BPF object: %s\n",
			strerror(errno));
		goto cleanup;
	}
	gen.family = o.family == AF_INET ? 4 : 6;
	gen.tcp_hlen = tcp_hlen;
	gen.rand_ack = o.tcp_flags == SF_TCP_ACK;
	gen.sources = o.sources;
	set_source_range(&o, &gen);
	skel->rodata->sf_family = gen.family;
	skel->rodata->sf_tcp_hlen = gen.tcp_hlen;
	skel->rodata->sf_rand_ack = gen.rand_ack;
	skel->rodata->sf_sources = gen.sources;
	memcpy((void *)skel->rodata->sf_frame, frame, len);
	skel->rodata->sf_len = len;
	memcpy((void *)skel->rodata->sf_base, gen.base, sizeof(gen.base));
	memcpy((void *)skel->rodata->sf_hostmask, gen.hostmask,
	       sizeof(gen.hostmask));
	err = synflood_bpf__load(skel);
	if (err) {
		fprintf(stderr, PROG ": cannot load the BPF program: %s\n",
			strerror(-err));
		goto cleanup;
	}

	nworkers = o.threads;
	start = now_s();
	for (i = 0; i < o.threads; i++) {
		struct worker *w = &workers[i];

		w->prog_fd = bpf_program__fd(skel->progs.synflood);
		w->ifindex = ifindex;
		w->frame = frame;
		w->len = len;
		w->batch = o.batch;
		w->gen = &gen;
		w->pkt_fd = -1;
		w->rnd = 0x9E3779B97F4A7C15ULL * (i + 1) ^ (__u64)(start * 1e9);
		w->start = start;
		w->deadline = start + o.duration;
		w->end = start;
		/* shares of --count and --pps; the first takes the rest */
		w->count = o.count ? o.count / o.threads : UINT64_MAX;
		if (o.count && i == 0)
			w->count += o.count % o.threads;
		w->pps = (double)o.pps / o.threads;
		/* bursts of at most a tenth of a second's frames */
		if (w->pps > 0 && w->batch > w->pps / 10)
			w->batch = w->pps / 10 > 1 ? w->pps / 10 : 1;
		if (!w->count)
			continue;
		err = -pthread_create(&w->tid, NULL, worker_run, w);
		if (err) {
			fprintf(stderr, PROG ": cannot start a thread: %s\n",
				strerror(-err));
			break;
		}
		w->started = 1;
	}
	if (err)
		on_stop(SIGTERM);
	end = start;
	for (i = 0; i < o.threads; i++) {
		struct worker *w = &workers[i];

		if (!w->started)
			continue;
		pthread_join(w->tid, NULL);
		if (w->end > end)
			end = w->end;
		if (w->err && !err)
			err = w->err;
		if (w->have_timer)
			timer_delete(w->timer);
		if (w->pkt_fd >= 0)
			close(w->pkt_fd);
	}

	if (use_packet) {
		/* frames sent from user space: what the kernel took */
		for (sent = 0, i = 0; i < o.threads; i++)
			sent += workers[i].done;
	} else {
		i = read_sent(bpf_map__fd(skel->maps.sf_pcpu), ncpus, &sent);
		if (i) {
			fprintf(stderr, PROG ": cannot read the sent counter: "
				"%s\n", strerror(-i));
			if (!err)
				err = i;
		}
	}
	secs = end - start;
	rate = secs > 0 ? sent / secs : 0;
	if (o.json)
		printf("{\"sent\":%llu,\"seconds\":%.3f,\"pps\":%.0f}\n",
		       (unsigned long long)sent, secs, rate);
	else
		printf("sent %llu packets in %.3f s (%.0f pps)\n",
		       (unsigned long long)sent, secs, rate);
cleanup:
	synflood_bpf__destroy(skel);
	free(workers);
	return err ? 1 : 0;
}
