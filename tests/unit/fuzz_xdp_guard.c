// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzzing of the XDP guard: generated and mutated frames
 * (truncations at every byte, bogus IHL and data offsets, long IPv6
 * extension chains, VLAN stacks, fragments, option garbage, random bytes)
 * go through BPF_PROG_TEST_RUN and through an independent user-space
 * reference model of the verdict written from the README's table. Every
 * frame's XDP verdict is compared; the (verdict, reason) counters are
 * compared per batch, and a batch that disagrees is replayed frame by frame
 * to name the frame.
 *
 * Environment: XG_FUZZ_N (frames, default 200000), XG_FUZZ_SEED.
 * Prints "ok - NAME" / "not ok - NAME" lines like the other tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdpguard/abi.h>
#include "xdp_guard.skel.h"
#include "../prog.h"
#include "../harness.h"

#define BATCH 1000

static __u64 rng_state;

static __u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned int rndn(unsigned int n)
{
	return n ? rnd() % n : 0;
}

/* ---- the policy under test, known to both sides ---- */

struct cidr {
	int family;
	int plen;
	__u8 addr[16];
};

static struct cidr allow_list[2], deny_list[3];

static void cidr_set(struct cidr *c, const char *s)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	*slash = '\0';
	c->plen = atoi(slash + 1);
	c->family = strchr(buf, ':') ? 6 : 4;
	inet_pton(c->family == 4 ? AF_INET : AF_INET6, buf, c->addr);
}

static bool cidr_has(const struct cidr *c, int family, const __u8 *a)
{
	int full = c->plen / 8, rest = c->plen % 8;

	if (c->family != family || memcmp(c->addr, a, full))
		return false;
	return !rest || !((c->addr[full] ^ a[full]) & (0xff00 >> rest));
}

static bool listed(const struct cidr *l, int n, int family, const __u8 *a)
{
	int i;

	for (i = 0; i < n; i++)
		if (cidr_has(&l[i], family, a))
			return true;
	return false;
}

/* ---- the reference model ---- */

struct verdict {
	int xdp;
	int v, r;
};

static __u16 be16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static bool is_ext(__u8 n)
{
	return n == 0 || n == 43 || n == 44 || n == 51 || n == 60;
}

/*
 * What the README promises for a frame of @len bytes, given the policy and
 * dry run. Written independently of bpf/lib/parse.h.
 */
static struct verdict model(const __u8 *b, size_t len, bool dry)
{
	struct verdict out = { XDP_PASS, XG_V_PASS, 0 };
	size_t off = 14, l4 = 0;
	bool bad = false, frag = false;
	int family, proto = -1, i;
	__u8 next;
	__u16 et = be16(b + 12);
	const __u8 *src;

	for (i = 0; i < 2 && (et == 0x8100 || et == 0x88a8); i++) {
		if (off + 4 > len)
			goto malformed_nosrc;
		et = be16(b + off + 2);
		off += 4;
	}
	if (et == 0x8100 || et == 0x88a8)
		goto malformed_nosrc;
	if (et == 0x0800) {
		unsigned int hlen = (b[off] & 15) * 4;

		if (off + 20 > len)
			goto malformed_nosrc;
		family = 4;
		src = b + off + 12;
		proto = b[off + 9];
		if (b[off] >> 4 != 4 || hlen < 20 || be16(b + off + 2) < hlen ||
		    off + hlen > len) {
			bad = true;
		} else {
			__u16 fo = be16(b + off + 6) & 0x1fff;

			frag = fo != 0;
			bad = fo == 1;
			l4 = off + hlen;
		}
	} else if (et == 0x86dd) {
		size_t p = off + 40;

		if (off + 40 > len)
			goto malformed_nosrc;
		family = 6;
		src = b + off + 8;
		next = b[off + 6];
		if (b[off] >> 4 != 6)
			bad = true;
		for (i = 0; !bad && i < 8 && is_ext(next); i++) {
			__u8 cur = next;

			if (p + (cur == 44 ? 8 : 2) > len) {
				bad = true;
				break;
			}
			next = b[p];
			if (cur == 44) {
				/* past a non-first fragment's header: payload */
				frag = (be16(b + p + 2) & 0xfff8) != 0;
				p += 8;
				if (frag)
					break;
			} else if (cur == 51) {
				p += (b[p + 1] + 2) * 4;
			} else {
				p += (b[p + 1] + 1) * 8;
			}
		}
		l4 = p;
		proto = next;
		if (!bad && !frag && i == 8 && is_ext(next))
			bad = true;
	} else {
		out.r = XG_R_NOT_IP;
		return out;
	}

	/* deny, overruled by allow */
	if (listed(deny_list, 3, family, src)) {
		out.r = listed(allow_list, 2, family, src) ? XG_R_ALLOW :
			XG_R_DENY;
		goto decide;
	}
	if (!bad && !frag && proto == 6) {
		unsigned int doff;

		if (l4 + 20 > len) {
			bad = true;
		} else {
			doff = (b[l4 + 12] >> 4) * 4;
			if (doff < 20 || l4 + doff > len)
				bad = true;
		}
	}
	if (bad)
		out.r = listed(allow_list, 2, family, src) ? XG_R_ALLOW :
			XG_R_MALFORMED;
	else if (frag)
		out.r = XG_R_FRAGMENT;
	else if (proto != 6)
		out.r = XG_R_NOT_TCP;
	else if (!(b[l4 + 13] & 0x02) || (b[l4 + 13] & 0x10))
		out.r = XG_R_TCP_NOT_SYN;
	else
		out.r = XG_R_SYN_BUDGET;	/* the budget is unlimited here */
decide:
	if (out.r == XG_R_DENY || out.r == XG_R_MALFORMED) {
		out.v = dry ? XG_V_WOULD_DROP : XG_V_DROP;
		out.xdp = dry ? XDP_PASS : XDP_DROP;
	}
	return out;

malformed_nosrc:
	out.r = XG_R_MALFORMED;
	goto decide;
}

/* ---- frames ---- */

static const char *const sources[] = {
	"198.18.1.7",		/* allowed and inside a denied /16 */
	"198.18.2.9",		/* denied */
	"198.19.3.4",		/* neither */
	"2001:db8:1::7",	/* allowed */
	"2001:db8:2::9",	/* denied */
	"2001:db8:3::4",	/* neither */
};

/* A random well-formed frame, then zero or more mutations. */
static void generate(struct pkt *p, int *mutations)
{
	static const __u8 exts[] = { EXT_HOP, EXT_ROUTING, EXT_DST, EXT_AH,
				     EXT_FRAG };
	static const __u8 flagset[] = { T_SYN, T_SYN | T_ACK, T_ACK, T_RST,
					T_FIN | T_ACK, 0, 0xff };
	struct spec s = {};
	int i, k;

	s.src = sources[rndn(6)];
	for (i = 0; i < (int)rndn(4); i++)
		s.tpid[i] = rndn(2) ? 0x8100 : 0x88a8;
	if (!rndn(40))
		s.arp = true;
	if (strchr(s.src, ':')) {
		s.n_ext = rndn(4) ? 0 : rndn(11);
		for (i = 0; i < s.n_ext; i++)
			s.ext[i] = exts[rndn(5)];
	} else {
		s.ipopt = rndn(3) ? 0 : 4 * rndn(11);
	}
	if (!rndn(8))
		s.frag = rndn(3) ? rndn(0x2000) : (rndn(2) ? 1 : 0x2000);
	k = rndn(10);
	s.proto = k < 7 ? 0 : k < 9 ? IPPROTO_UDP : IPPROTO_ICMP;
	s.flags = flagset[rndn(sizeof(flagset))];
	s.tcpopt = rndn(2) ? 20 : 4 * rndn(6);
	s.payload = rndn(4) ? 0 : rndn(200);
	build(&s, p);

	*mutations = 0;
	switch (rndn(6)) {
	case 0:		/* truncate anywhere */
		p->len = 14 + rndn(p->len - 13);
		(*mutations)++;
		break;
	case 1:		/* a few random bytes */
		for (k = 1 + rndn(4); k; k--)
			p->buf[rndn(p->len)] = rnd();
		(*mutations)++;
		break;
	case 2:		/* a random byte in the L3/L4 headers */
		if (p->l4 > p->l3)
			p->buf[p->l3 + rndn(p->l4 - p->l3 + 20)] = rnd();
		(*mutations)++;
		break;
	case 3:		/* TCP data offset / flags garbage */
		if (p->l4 && p->l4 + 14 <= p->len) {
			p->buf[p->l4 + 12] = rnd();
			p->buf[p->l4 + 13] = rnd();
		}
		(*mutations)++;
		break;
	default:	/* well-formed */
		break;
	}
	if (p->len < 14)
		p->len = 14;
}

/* ---- the program ---- */

static struct xdp_guard_bpf *skel;
static int prog_fd, counters_fd, ncpu;

static int run(const struct pkt *p)
{
	struct prog_res r;
	int err = prog_run(prog_fd, p, 1, NULL, &r);

	return err ? err : r.retval;
}

static int counters(__u64 *packets)
{
	struct xg_counter v[ncpu];
	__u32 k;
	int c;

	for (k = 0; k < XG_COUNTERS_MAX; k++) {
		if (bpf_map_lookup_elem(counters_fd, &k, v))
			return -1;
		packets[k] = 0;
		for (c = 0; c < ncpu; c++)
			packets[k] += v[c].packets;
	}
	return 0;
}

static int policy(bool dry)
{
	struct xg_config cfg = {
		.rate = { 0, 1 },
		.flags = XG_F_ENABLED | XG_F_LISTS | (dry ? XG_F_DRY_RUN : 0),
	};
	struct xg_allow_val a = {};
	struct xg_deny_val d = {};
	struct xg_lpm6 k6;
	struct xg_lpm4 k4;
	__u32 zero = 0;
	int i, err = 0;

	cidr_set(&allow_list[0], "198.18.1.0/24");
	cidr_set(&allow_list[1], "2001:db8:1::/48");
	cidr_set(&deny_list[0], "198.18.0.0/16");
	cidr_set(&deny_list[1], "198.18.2.0/23");
	cidr_set(&deny_list[2], "2001:db8:2::/47");
	for (i = 0; i < 5; i++) {
		struct cidr *c = i < 2 ? &allow_list[i] : &deny_list[i - 2];
		int fd;

		if (c->family == 4) {
			k4.prefixlen = c->plen;
			memcpy(&k4.addr, c->addr, 4);
		} else {
			k6.prefixlen = c->plen;
			memcpy(k6.addr, c->addr, 16);
		}
		d.prefixlen = c->plen;
		if (i < 2)
			fd = bpf_map__fd(c->family == 4 ? skel->maps.xg_allow4 :
					 skel->maps.xg_allow6);
		else
			fd = bpf_map__fd(c->family == 4 ? skel->maps.xg_deny4 :
					 skel->maps.xg_deny6);
		err |= bpf_map_update_elem(fd, c->family == 4 ? (void *)&k4 :
					   (void *)&k6, i < 2 ? (void *)&a :
					   (void *)&d, BPF_ANY);
	}
	err |= bpf_map_update_elem(bpf_map__fd(skel->maps.xg_config), &zero,
				   &cfg, BPF_ANY);
	return err;
}

static void hexdump(const struct pkt *p)
{
	size_t i;

	printf("#   frame (%zu bytes):", p->len);
	for (i = 0; i < p->len && i < 128; i++)
		printf("%s%02x", i % 32 ? "" : "\n#   ", p->buf[i]);
	printf("\n");
}

/* Replay a batch frame by frame, reading the counters after each. */
static int pinpoint(struct pkt *batch, struct verdict *want, int n, bool dry)
{
	__u64 before[XG_COUNTERS_MAX], after[XG_COUNTERS_MAX];
	int i, k, got;

	for (i = 0; i < n; i++) {
		if (counters(before))
			return -1;
		got = run(&batch[i]);
		if (counters(after))
			return -1;
		for (k = 0; k < XG_COUNTERS_MAX; k++)
			if (after[k] != before[k])
				break;
		if (got != want[i].xdp ||
		    k != XG_COUNTER_IDX(want[i].v, want[i].r)) {
			printf("# disagreement%s: kernel xdp %d slot %d, model "
			       "xdp %d verdict %d reason %d\n",
			       dry ? " (dry run)" : "", got, k, want[i].xdp,
			       want[i].v, want[i].r);
			hexdump(&batch[i]);
			return 1;
		}
	}
	return 0;
}

static int fuzz(long n, bool dry, long *disagree, long *mutated)
{
	static struct pkt batch[BATCH];
	static struct verdict want[BATCH];
	__u64 before[XG_COUNTERS_MAX], after[XG_COUNTERS_MAX];
	__u64 expect[XG_COUNTERS_MAX];
	long done = 0;
	int i, m, got, bad, shown = 0;

	if (policy(dry))
		return -1;
	while (done < n) {
		int cnt = n - done < BATCH ? n - done : BATCH;

		memset(expect, 0, sizeof(expect));
		if (counters(before))
			return -1;
		bad = 0;
		for (i = 0; i < cnt; i++) {
			generate(&batch[i], &m);
			*mutated += m;
			want[i] = model(batch[i].buf, batch[i].len, dry);
			expect[XG_COUNTER_IDX(want[i].v, want[i].r)]++;
			got = run(&batch[i]);
			if (got < 0)
				return -1;
			if (got != want[i].xdp)
				bad = 1;
		}
		if (counters(after))
			return -1;
		for (i = 0; i < XG_COUNTERS_MAX; i++) {
			if (after[i] - before[i] != expect[i])
				bad = 1;
			/* a pair outside abi.h's table: the exporter lacks it */
			if (after[i] != before[i] &&
			    !XG_COUNTED(i / XG_R_MAX, i % XG_R_MAX)) {
				printf("# slot %d (verdict %d, reason %d) is not "
				       "in XG_REASON_VERDICTS\n", i,
				       i / XG_R_MAX, i % XG_R_MAX);
				bad = 1;
			}
		}
		if (bad) {
			(*disagree)++;
			if (shown++ < 3)
				pinpoint(batch, want, cnt, dry);
		}
		done += cnt;
	}
	return 0;
}

int main(void)
{
	long n = getenv("XG_FUZZ_N") ? atol(getenv("XG_FUZZ_N")) : 200000;
	long dis = 0, dis_dry = 0, mut = 0, mut_dry = 0;
	struct timespec t0, t1;

	rng_state = getenv("XG_FUZZ_SEED") ? strtoull(getenv("XG_FUZZ_SEED"),
						       NULL, 0) : (__u64)time(NULL);
	if (!rng_state)
		rng_state = 1;
	printf("# seed %llu (XG_FUZZ_SEED), %ld frames per mode\n",
	       (unsigned long long)rng_state, n);
	harness_init();
	prog_pin_cpu(0);
	ncpu = libbpf_num_possible_cpus();
	skel = xdp_guard_bpf__open_and_load();
	if (!skel) {
		printf("not ok - load the program: %s\n", strerror(errno));
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.xdpguard);
	counters_fd = bpf_map__fd(skel->maps.xg_counters);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fuzz(n, false, &dis, &mut) || fuzz(n, true, &dis_dry, &mut_dry)) {
		printf("not ok - fuzz run failed: %s\n", strerror(errno));
		xdp_guard_bpf__destroy(skel);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %ld frames (%ld mutated) in %.1f s\n", 2 * n, mut + mut_dry,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("%s - fuzz: %ld frames agree with the reference model "
	       "(%ld disagreeing batches)\n", dis ? "not ok" : "ok", n, dis);
	printf("%s - fuzz, dry run: %ld frames agree with the reference "
	       "model (%ld disagreeing batches)\n", dis_dry ? "not ok" : "ok",
	       n, dis_dry);
	xdp_guard_bpf__destroy(skel);
	return dis || dis_dry;
}
