// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the socket telemetry's tracepoint programs
 * (bpf/sock_tw.bpf.c). BPF_PROG_TEST_RUN cannot run tp_btf programs (the
 * kernel test-runs only fentry/fexit tracing programs) and their
 * arguments are kernel sockets, so each case drives real loopback sockets
 * through one exact sequence of TCP states in a private network namespace
 * and checks what the programs counted for that namespace: TIME_WAIT
 * entries and their sub-state, the aborts that look like them and must not
 * count (or must be taken back), resets, the missing-port connect and its
 * ring-buffer event, the per-key churn counters.
 *
 * The programs are this test's own skeleton (not the pinned ones); they
 * see the whole host, and the test reads only its namespace's numbers.
 * Prints "ok - NAME" or "not ok - NAME: why" per case; exits 1 if any
 * failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "comp/comp.h"
#include "sock_tw.skel.h"
#include "../harness.h"

static struct sock_tw_bpf *skel;
static struct ring_buffer *rb;
static __u64 netns;
static int ncpus;
static struct xg_event evs[16];
static int nev;

static int on_event(void *ctx, void *data, size_t size)
{
	if (size == sizeof(struct xg_event) && nev < 16)
		memcpy(&evs[nev++], data, size);
	return 0;
}

static int stats(struct xg_sk_stats *sum)
{
	struct xg_sk_stats v[ncpus];
	size_t i, nf = sizeof(*sum) / sizeof(__u64);
	int c;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xg_sk_stats), &netns,
				v))
		return 0;	/* nothing counted yet */
	for (c = 0; c < ncpus; c++)
		for (i = 0; i < nf; i++)
			((__u64 *)sum)[i] += ((__u64 *)&v[c])[i];
	return 0;
}

static __u64 churn(int kind, __u16 port)
{
	struct xg_sk_key k = {
		.netns = netns,
		.family = kind == XG_SK_BY_REMOTE ? 4 : 0,
		.kind = kind,
		.port = port,
	};
	__u64 v = 0;

	if (kind == XG_SK_BY_REMOTE)
		k.addr[0] = htonl(INADDR_LOOPBACK);
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.xg_sk_churn), &k, &v);
	return v;
}

static void settle(void)
{
	usleep(100000);	/* delayed ACKs (40 ms) and softirqs */
}

static int listener(__u16 *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) || listen(fd, 16) ||
	    getsockname(fd, (void *)&a, &len)) {
		fail("listener: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int dial(__u16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (void *)&a, sizeof(a))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static __u16 local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	getsockname(fd, (void *)&a, &len);
	return ntohs(a.sin_port);
}

/* a connected pair: *c the client, *s the server's accepted socket */
static int pair(int l, __u16 port, int *c, int *s)
{
	*c = dial(port);
	*s = *c >= 0 ? accept(l, NULL, NULL) : -1;
	if (*c < 0 || *s < 0)
		return fail("connect/accept: %s", strerror(errno));
	return 0;
}

static void linger0(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static int eof(int fd)
{
	char b;

	return read(fd, &b, 1) == 0 ? 0 : fail("expected EOF");
}

/*
 * The cases below but the last are scripts: steps on a listener l, a
 * client c and the server's end s, and what the counters must show.
 */
enum step {
	END,
	LISTEN,		/* l, on a free loopback port */
	CONNECT,	/* c connects to l, s accepted */
	SNAP,		/* the counters before */
	CHECK,		/* the counters after: each want went up by its n */
	CHURN,		/* one entry for the remote port, one for c's port */
	SETTLE,
	SHUT_C,		/* shutdown(c, SHUT_WR) */
	EOF_S,		/* s reads c's FIN */
	WRITE_S,	/* s writes "data" */
	LINGER0_C,	/* SO_LINGER 0: close() aborts */
	LINGER0_S,
	CLOSE_C,
	CLOSE_S,
	CLOSE_L,
	REFUSED,	/* a connect to l's port, l closed: ECONNREFUSED */
};

struct want {
	size_t off;		/* of the counter in struct xg_sk_stats */
	const char *name;	/* NULL ends a list */
	int n;
};

#define W(f, v)	{ offsetof(struct xg_sk_stats, f), #f, (v) }

struct script {
	enum step steps[16];
	struct want want[5];
};

static int expect(const struct xg_sk_stats *a, const struct xg_sk_stats *b,
		  const struct want *w)
{
	__u64 d;

	for (; w->name; w++) {
		d = *(const __u64 *)((const char *)b + w->off) -
		    *(const __u64 *)((const char *)a + w->off);
		if (d != (__u64)w->n)
			return fail("%s went up by %llu, want %d", w->name,
				    (unsigned long long)d, w->n);
	}
	return 0;
}

/* Runs @sc's steps until one fails; closes what is left open. */
static int run_script(const struct script *sc)
{
	struct xg_sk_stats a = {}, b;
	int l = -1, c = -1, s = -1, fd, err = 0;
	__u16 port = 0, cport = 0;
	const enum step *st;

	for (st = sc->steps; *st != END && !err; st++) {
		switch (*st) {
		case END:
			break;
		case LISTEN:
			l = listener(&port);
			err = l < 0;
			break;
		case CONNECT:
			err = pair(l, port, &c, &s);
			if (!err)
				cport = local_port(c);
			break;
		case SNAP:
			stats(&a);
			break;
		case CHECK:
			stats(&b);
			err = expect(&a, &b, sc->want);
			break;
		case CHURN:
			if (churn(XG_SK_BY_REMOTE, port) != 1)
				err = fail("remote 127.0.0.1:%u counted %llu "
					   "entries, want 1", port,
					   churn(XG_SK_BY_REMOTE, port));
			else if (churn(XG_SK_BY_LPORT, cport) != 1)
				err = fail("local port %u counted %llu "
					   "entries, want 1", cport,
					   churn(XG_SK_BY_LPORT, cport));
			break;
		case SETTLE:
			settle();
			break;
		case SHUT_C:
			shutdown(c, SHUT_WR);
			break;
		case EOF_S:
			err = eof(s);
			break;
		case WRITE_S:
			if (write(s, "data", 4) != 4)
				err = fail("peer write: %s", strerror(errno));
			break;
		case LINGER0_C:
			linger0(c);
			break;
		case LINGER0_S:
			linger0(s);
			break;
		case CLOSE_C:
			close(c);
			c = -1;
			break;
		case CLOSE_S:
			close(s);
			s = -1;
			break;
		case CLOSE_L:
			close(l);
			l = -1;
			break;
		case REFUSED:
			fd = dial(port);
			if (fd >= 0 || errno != ECONNREFUSED)
				err = fail("connect: %s, want ECONNREFUSED",
					   strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
	}
	if (c >= 0)
		close(c);
	if (s >= 0)
		close(s);
	if (l >= 0)
		close(l);
	return err ? -1 : 0;
}

#define SCRIPT(fn, ...)							\
	static int fn(void)						\
	{								\
		static const struct script sc = { __VA_ARGS__ };	\
		return run_script(&sc);					\
	}

/* close() first, the peer closes on EOF: one entry, straight TIME_WAIT */
SCRIPT(t_client_closes_first,
	.steps = { LISTEN, CONNECT, SNAP, CLOSE_C, EOF_S, CLOSE_S, SETTLE,
		   CHECK, CLOSE_L, CHURN },
	.want = { W(tw_entries, 1), W(tw_fin_wait2, 0), W(rst_sent, 0),
		  W(rst_received, 0) })

/*
 * the peer never closes: the entry waits in sub-state FIN_WAIT2; its FIN
 * later turns it TIME_WAIT: no new entry
 */
SCRIPT(t_peer_never_closes,
	.steps = { LISTEN, CONNECT, SNAP, CLOSE_C, SETTLE, CHECK, CLOSE_S,
		   SETTLE, CHECK, CLOSE_L },
	.want = { W(tw_entries, 1), W(tw_fin_wait2, 1) })

/*
 * shutdown(), the peer's FIN in FIN_WAIT2: an entry, not FIN_WAIT2 (the
 * close() comes when it is already a timewait socket's shell)
 */
SCRIPT(t_shutdown_then_fin,
	.steps = { LISTEN, CONNECT, SNAP, SHUT_C, EOF_S, CLOSE_S, SETTLE,
		   CLOSE_C, SETTLE, CHECK, CLOSE_L },
	.want = { W(tw_entries, 1), W(tw_fin_wait2, 0) })

/* close() with unread data in FIN_WAIT2: CLOSE, then an RST: taken back */
SCRIPT(t_unread_data_abort,
	.steps = { LISTEN, CONNECT, SHUT_C, EOF_S, WRITE_S, SETTLE, SNAP,
		   CLOSE_C, SETTLE, CHECK, CLOSE_S, CLOSE_L },
	.want = { W(tw_entries, 0), W(tw_taken_back, 1), W(rst_sent, 1),
		  W(rst_received, 1) })

/* SO_LINGER 0 in FIN_WAIT2: tcp_disconnect(), CLOSE then RST */
SCRIPT(t_linger0_in_fin_wait2,
	.steps = { LISTEN, CONNECT, SHUT_C, EOF_S, SETTLE, SNAP, LINGER0_C,
		   CLOSE_C, SETTLE, CHECK, CLOSE_S, CLOSE_L },
	.want = { W(tw_entries, 0), W(tw_taken_back, 1), W(rst_sent, 1) })

/* an RST arrives in FIN_WAIT2 (the peer aborts): sk_err is set first, no
 * entry */
SCRIPT(t_reset_in_fin_wait2,
	.steps = { LISTEN, CONNECT, SHUT_C, EOF_S, SETTLE, SNAP, LINGER0_S,
		   CLOSE_S, SETTLE, CHECK, CLOSE_C, CLOSE_L },
	.want = { W(tw_entries, 0), W(tw_taken_back, 0), W(rst_sent, 1),
		  W(rst_received, 1) })

/* a refused connect is a reset, not a missing port */
SCRIPT(t_refused,
	.steps = { LISTEN, CLOSE_L, SNAP, REFUSED, CHECK },
	.want = { W(connects, 1), W(rst_received, 1), W(no_port, 0),
		  W(tw_entries, 0) })

/* one connection: active and passive open, two ESTABLISHED */
SCRIPT(t_opens,
	.steps = { LISTEN, SNAP, CONNECT, SETTLE, CHECK, LINGER0_C, CLOSE_C,
		   CLOSE_S, CLOSE_L },
	.want = { W(connects, 1), W(passive, 1), W(established, 2) })

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* four ports in the range: the fifth connect finds none, and says so */
static int t_no_port(void)
{
	struct xg_sk_stats a, b;
	int l, fd[5] = { -1, -1, -1, -1, -1 }, i, ret = 0;
	__u16 port;

	/* the listener first: bind(0) takes its port from the range too */
	if ((l = listener(&port)) < 0)
		return -1;
	if (write_file("/proc/sys/net/ipv4/ip_local_port_range",
		       "40000 40003")) {
		close(l);
		return fail("cannot narrow ip_local_port_range");
	}
	stats(&a);
	nev = 0;
	for (i = 0; i < 5; i++)
		fd[i] = dial(port);
	if (fd[0] < 0 || fd[1] < 0 || fd[2] < 0 || fd[3] < 0 || fd[4] >= 0 ||
	    errno != EADDRNOTAVAIL)
		ret = fail("connects: %d %d %d %d %d (%s), want 4 then "
			   "EADDRNOTAVAIL", fd[0], fd[1], fd[2], fd[3], fd[4],
			   strerror(errno));
	stats(&b);
	ring_buffer__consume(rb);
	for (i = 0; i < 5; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	close(l);
	write_file("/proc/sys/net/ipv4/ip_local_port_range", "32768 60999");
	if (ret)
		return ret;
	TRY(expect(&a, &b, (const struct want[]){ W(no_port, 1),
						   W(connects, 5), {} }));
	if (nev != 1 || evs[0].type != XG_EV_NO_PORT || evs[0].dport != port ||
	    evs[0].eph.ports != 4 || evs[0].netns_cookie != netns ||
	    evs[0].daddr[0] != htonl(INADDR_LOOPBACK))
		return fail("%d events; want one NO_PORT toward 127.0.0.1:%u "
			    "with a range of 4 (got type %#x port %u range "
			    "%llu)", nev, port, nev ? evs[0].type : 0,
			    nev ? evs[0].dport : 0,
			    nev ? (unsigned long long)evs[0].eph.ports : 0);
	return 0;
}

static int lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	strcpy(ifr.ifr_name, "lo");
	err = fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	err = err || ioctl(fd, SIOCSIFFLAGS, &ifr);
	if (fd >= 0)
		close(fd);
	return err ? -1 : 0;
}

static const struct test tests[] = {
	{ "client closes first: one TIME_WAIT entry, per remote and local "
	  "port", t_client_closes_first },
	{ "peer never closes: entry in sub-state FIN_WAIT2, none when its "
	  "FIN comes", t_peer_never_closes },
	{ "shutdown then the peer's FIN: an entry, not FIN_WAIT2",
	  t_shutdown_then_fin },
	{ "close() with unread data in FIN_WAIT2: abort, entry taken back",
	  t_unread_data_abort },
	{ "SO_LINGER 0 in FIN_WAIT2: abort, entry taken back",
	  t_linger0_in_fin_wait2 },
	{ "RST received in FIN_WAIT2: no entry", t_reset_in_fin_wait2 },
	{ "refused connect: a reset, not a missing port", t_refused },
	{ "active and passive opens counted", t_opens },
	{ "no free local port: no_port and its ring event", t_no_port },
};

int main(void)
{
	unsigned int failed;
	int rfd = -1, err;

	harness_init();
	ncpus = libbpf_num_possible_cpus();
	if (unshare(CLONE_NEWNET) || lo_up()) {
		printf("not ok - setup: private network namespace: %s\n",
		       strerror(errno));
		return 1;
	}
	netns = xg_netns_cookie();
	skel = sock_tw_bpf__open_and_load();
	err = skel ? sock_tw_bpf__attach(skel) : -errno;
	if (!err) {
		rfd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "test_ring", 0, 0,
				     XG_SK_EVENTS_BYTES, NULL);
		err = rfd < 0 || bpf_map_update_elem(
			bpf_map__fd(skel->maps.xg_sk_rings), &netns, &rfd,
			BPF_ANY) ? -errno : 0;
	}
	if (!err) {
		rb = ring_buffer__new(rfd, on_event, NULL, NULL);
		err = rb ? 0 : -errno;
	}
	if (err || !netns || ncpus <= 0) {
		printf("not ok - setup: load/attach the programs: %s\n",
		       strerror(-err));
		sock_tw_bpf__destroy(skel);
		return 1;
	}
	failed = harness_run(tests, ARRAY_SIZE(tests), NULL);
	ring_buffer__free(rb);
	close(rfd);
	sock_tw_bpf__destroy(skel);
	return failed ? 1 : 0;
}
