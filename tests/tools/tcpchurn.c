// SPDX-License-Identifier: GPL-2.0
/*
 * tcpchurn: many short TCP connections, for the socket telemetry tests
 * and the bench.
 *
 *   tcpchurn serve --port P [--port P ...] [--addr A] [--backlog N]
 *                  [--no-accept] [--server-close] [--duration S]
 *     Listens; answers each request byte with one byte. By default the
 *     client closes first (the server closes on EOF); --server-close
 *     closes right after the answer (the server takes the TIME_WAIT).
 *     --no-accept never accepts: the accept queue fills. --no-close
 *     keeps a connection open after the client's FIN (the client's side
 *     waits in FIN_WAIT2) until the server exits.
 *
 *   tcpchurn connect --dst A --port P --count N [--parallel K]
 *                    [--linger0] [--wait-eof] [--hold S] [--timeout S]
 *                    [--json]
 *     N connections, K at a time: connect, one byte out, one byte back,
 *     close (first, so the client takes the TIME_WAIT; with --linger0 by
 *     RST; with --wait-eof only after the server closed, so the server
 *     takes it). --hold S connects only and keeps every connection open S
 *     seconds. Prints what succeeded, failed (by errno) and the rate.
 *
 * Every loop is bounded by --duration / --timeout; SIGTERM ends it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS	16
#define MAX_ERRNO	256

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_addr(const char *s, unsigned short port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void more_fds(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "backlog", required_argument, NULL, 'b' },
		{ "no-accept", no_argument, NULL, 'n' },
		{ "server-close", no_argument, NULL, 's' },
		{ "no-close", no_argument, NULL, 'N' },
		{ "duration", required_argument, NULL, 'd' },
		{}
	};
	const char *addr = NULL;
	bool no_close = false;
	int ports[MAX_PORTS], nports = 0, backlog = 4096, c, i, ep, n;
	bool no_accept = false, server_close = false;
	double duration = 60, end;
	struct epoll_event ev, evs[256];
	int lfd[MAX_PORTS];

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p':
			if (nports < MAX_PORTS)
				ports[nports++] = atoi(optarg);
			break;
		case 'b': backlog = atoi(optarg); break;
		case 'n': no_accept = true; break;
		case 's': server_close = true; break;
		case 'N': no_close = true; break;
		case 'd': duration = atof(optarg); break;
		default: return 2;
		}
	}
	if (!nports) {
		fprintf(stderr, "tcpchurn serve: --port is required\n");
		return 2;
	}
	more_fds();
	ep = epoll_create1(0);
	for (i = 0; i < nports; i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		int one = 1;

		if (parse_addr(addr ? addr : "::", ports[i], &ss, &len)) {
			fprintf(stderr, "tcpchurn: bad address %s\n", addr);
			return 2;
		}
		lfd[i] = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(lfd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (lfd[i] < 0 || bind(lfd[i], (void *)&ss, len) ||
		    listen(lfd[i], backlog)) {
			perror("tcpchurn serve: listen");
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.u64 = (1ULL << 32) | lfd[i];
		if (!no_accept)
			epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	end = now_s() + duration;
	while (!stop && now_s() < end) {
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			int fd = (int)evs[i].data.u64;
			char buf[512];
			ssize_t r;

			if (evs[i].data.u64 >> 32) {
				int cfd;

				while ((cfd = accept4(fd, NULL, NULL,
						      SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.u64 = cfd;
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				if (write(fd, "y", 1) < 0 || server_close)
					close(fd);
				continue;
			}
			if (r == 0 && no_close)
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			else if (r == 0 || (errno != EAGAIN && errno != EINTR))
				close(fd);	/* the client closed first */
		}
	}
	return 0;
}

struct conn {
	int fd;
	int phase;		/* 0 connecting, 1 waiting for the answer,
				 * 2 waiting for the server's FIN */
};

static int connect_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "parallel", required_argument, NULL, 'k' },
		{ "linger0", no_argument, NULL, 'l' },
		{ "wait-eof", no_argument, NULL, 'w' },
		{ "hold", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	const char *dst = NULL;
	long count = 0, started = 0, ok = 0, failed = 0, inflight = 0;
	int port = 0, parallel = 32, c, ep, i, n;
	bool linger0 = false, json = false, wait_eof = false;
	double hold = 0, timeout = 60, t0, end;
	long errs[MAX_ERRNO] = {};
	struct sockaddr_storage ss;
	struct epoll_event ev, evs[256];
	struct conn *conns;
	int *held = NULL;
	long nheld = 0;
	socklen_t len;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dst = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': count = atol(optarg); break;
		case 'k': parallel = atoi(optarg); break;
		case 'l': linger0 = true; break;
		case 'w': wait_eof = true; break;
		case 'H': hold = atof(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'j': json = true; break;
		default: return 2;
		}
	}
	if (!dst || !port || count <= 0 || parallel <= 0 ||
	    parse_addr(dst, port, &ss, &len)) {
		fprintf(stderr, "tcpchurn connect: --dst ADDR --port P --count "
			"N are required\n");
		return 2;
	}
	more_fds();
	conns = calloc(parallel, sizeof(*conns));
	if (hold > 0)
		held = calloc(count, sizeof(*held));
	if (!conns || (hold > 0 && !held))
		return 1;
	for (i = 0; i < parallel; i++)
		conns[i].fd = -1;
	ep = epoll_create1(0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	t0 = now_s();
	end = t0 + timeout;
	while (!stop && now_s() < end && (started < count || inflight)) {
		/* start connections into the free slots */
		for (i = 0; i < parallel && started < count; i++) {
			struct linger lg = { 1, 0 };
			int fd;

			if (conns[i].fd >= 0)
				continue;
			started++;
			fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK,
				    0);
			if (fd < 0) {
				failed++;
				errs[errno < MAX_ERRNO ? errno : 0]++;
				continue;
			}
			if (linger0)
				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
					   sizeof(lg));
			if (connect(fd, (void *)&ss, len) && errno != EINPROGRESS) {
				failed++;
				errs[errno < MAX_ERRNO ? errno : 0]++;
				close(fd);
				continue;
			}
			conns[i].fd = fd;
			conns[i].phase = 0;
			ev.events = EPOLLOUT;
			ev.data.u32 = i;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			inflight++;
		}
		n = epoll_wait(ep, evs, 256, 50);
		for (i = 0; i < n; i++) {
			struct conn *k = &conns[evs[i].data.u32];
			int err = 0;
			socklen_t el = sizeof(err);
			char b;

			if (k->phase == 0) {
				getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					failed++;
					errs[err < MAX_ERRNO ? err : 0]++;
					goto done;
				}
				if (hold > 0) {
					epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
					held[nheld++] = k->fd;
					ok++;
					k->fd = -1;
					inflight--;
					continue;
				}
				if (write(k->fd, "x", 1) != 1) {
					failed++;
					errs[errno < MAX_ERRNO ? errno : 0]++;
					goto done;
				}
				k->phase = 1;
				ev.events = EPOLLIN;
				ev.data.u32 = evs[i].data.u32;
				epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev);
				continue;
			}
			if (k->phase == 2) {
				ssize_t r = read(k->fd, &b, 1);

				if (r < 0 && errno == EAGAIN)
					continue;
				if (r == 0) {
					ok++;
				} else {
					failed++;
					errs[r < 0 && errno < MAX_ERRNO ?
					     errno : 0]++;
				}
				goto done;
			}
			if (read(k->fd, &b, 1) == 1) {
				if (wait_eof) {
					k->phase = 2;
					continue;
				}
				ok++;
			} else {
				failed++;
				errs[errno < MAX_ERRNO ? errno : 0]++;
			}
done:
			close(k->fd);	/* we close first: our TIME_WAIT */
			k->fd = -1;
			inflight--;
		}
	}
	t0 = now_s() - t0;
	/* report first: with --hold the caller reads this while we hold */
	if (json) {
		printf("{\"ok\":%ld,\"failed\":%ld,\"pending\":%ld,"
		       "\"not_started\":%ld,\"seconds\":%.3f,\"cps\":%.1f,"
		       "\"errors\":{", ok, failed, inflight, count - started,
		       t0, ok / t0);
		for (i = 0, n = 0; i < MAX_ERRNO; i++)
			if (errs[i])
				printf("%s\"%s\":%ld", n++ ? "," : "",
				       i ? strerrorname_np(i) : "other",
				       errs[i]);
		printf("}}\n");
	} else {
		printf("%ld ok, %ld failed, %ld pending in %.3f s (%.0f/s)\n",
		       ok, failed, inflight, t0, ok / t0);
	}
	fflush(stdout);
	if (hold > 0) {
		end = now_s() + hold;
		while (!stop && now_s() < end)
			usleep(20000);
	}
	for (i = 0; i < nheld; i++)
		close(held[i]);
	for (i = 0; i < parallel; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return serve(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "connect"))
		return connect_cmd(argc - 1, argv + 1);
	fprintf(stderr, "usage: tcpchurn serve|connect ... (see the source)\n");
	return 2;
}
