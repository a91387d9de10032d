// SPDX-License-Identifier: GPL-2.0
/*
 * The relay: a BPF ring buffer has one consumer, so the reader that owns
 * a ring serves its raw records on a local SOCK_SEQPACKET unix socket
 * (in the run folder, root's and 0700; the socket 0600; a peer that could
 * not read the ring itself is refused, by SO_PEERCRED) and other readers
 * connect there. One
 * message per record: struct xg_relay_msg, then the record as the kernel
 * wrote it.
 *
 * A slow reader never holds the owner up: sends do not block (MSG_DONTWAIT)
 * and a record a reader's socket has no room for is not sent to it but
 * counted, in the `missed` of every later message to it (XG_RELAY_MISSED
 * carries it alone when no record comes). At most
 * XG_RELAY_CLIENTS readers; one more is told so (XG_RELAY_FULL) and
 * closed. On exit the owner says XG_RELAY_BYE to each.
 */
#define _GNU_SOURCE	/* accept4(), struct ucred */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include "lib.h"

/* a reader's socket buffer: about 2500 records in flight (doubled by the
 * kernel; a record's skb costs ~800 bytes whatever its size) */
#define RELAY_SNDBUF	(1 << 20)

struct relay_client {
	int fd;
	__u64 missed, told;	/* records not sent; as last told */
};

struct xg_relay {
	int fd;
	char path[108];
	struct relay_client c[XG_RELAY_CLIENTS];
	int n;
	__u64 joined;	/* readers accepted so far */
};

static int sun_set(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/*
 * Serve at @path (a name in the run folder, which the caller owns: it
 * holds the ring's lock, so anything at @path is a stale socket and is
 * removed). NULL with a message on failure.
 */
struct xg_relay *xg_relay_serve(const char *path)
{
	struct sockaddr_un sun;
	struct xg_relay *r;
	struct stat st;

	r = calloc(1, sizeof(*r));
	if (!r) {
		xg_err("out of memory");
		return NULL;
	}
	snprintf(r->path, sizeof(r->path), "%s", path);
	if (sun_set(&sun, path))
		goto fail;
	r->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (r->fd < 0)
		goto fail;
	if (!lstat(path, &st) && !S_ISSOCK(st.st_mode)) {
		xg_err("%s is not a socket: not removed (look at it)", path);
		close(r->fd);
		free(r);
		return NULL;
	}
	unlink(path);
	if (bind(r->fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, 0600) || listen(r->fd, 8)) {
		close(r->fd);
		unlink(path);
		goto fail;
	}
	return r;
fail:
	xg_err("cannot serve the relay socket %s: %s", path, strerror(errno));
	free(r);
	return NULL;
}

/* The listening socket and each reader's (for hang-ups), into @p. */
int xg_relay_pollfds(const struct xg_relay *r, struct pollfd *p, int max)
{
	int i, n = 0;

	if (!r || max < 1)
		return 0;
	p[n++] = (struct pollfd){ .fd = r->fd, .events = POLLIN };
	for (i = 0; i < r->n && n < max; i++)
		p[n++] = (struct pollfd){ .fd = r->c[i].fd, .events = 0 };
	return n;
}

static void client_drop(struct xg_relay *r, int i)
{
	close(r->c[i].fd);
	r->c[i] = r->c[--r->n];
}

static int msg_send(int fd, __u32 kind, __u64 missed, const char *tag,
		    const void *rec, size_t len)
{
	struct xg_relay_msg m = {
		.version = XG_RELAY_VERSION,
		.kind = kind,
		.missed = missed,
	};
	struct iovec iov[2] = {
		{ .iov_base = &m, .iov_len = sizeof(m) },
		{ .iov_base = (void *)rec, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (tag)
		snprintf(m.tag, sizeof(m.tag), "%s", tag);
	return sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/*
 * A peer may read the records if it could read the ring itself: root, our
 * uid, or a process with CAP_DAC_OVERRIDE in its effective set (what a
 * reading command needs: the pins are root's, 0600), as its
 * /proc/PID/status says.
 */
static bool peer_may_read(const struct ucred *cr)
{
	unsigned long long eff;
	char path[64], line[256];
	bool ok = false;
	FILE *f;

	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)cr->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			ok = eff & XG_CAP(CAP_DAC_OVERRIDE);
			break;
		}
	fclose(f);
	return ok;
}

/* Readers that joined, readers that left, what readers missed. */
void xg_relay_handle(struct xg_relay *r, const struct pollfd *p, int n)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	int fd, i, j, sz = RELAY_SNDBUF;

	if (!r || n < 1)
		return;
	/* hang-ups first: p[1..] are the readers in their order */
	for (i = n - 1; i >= 1; i--) {
		if (!(p[i].revents & (POLLHUP | POLLERR)))
			continue;
		for (j = 0; j < r->n; j++)
			if (r->c[j].fd == p[i].fd) {
				client_drop(r, j);
				break;
			}
	}
	/* what a reader missed, once it has room again (no record may
	 * come to carry it) */
	for (i = 0; i < r->n; i++)
		if (r->c[i].missed != r->c[i].told &&
		    !msg_send(r->c[i].fd, XG_RELAY_MISSED, r->c[i].missed, NULL,
			      NULL, 0))
			r->c[i].told = r->c[i].missed;
	if (!(p[0].revents & POLLIN))
		return;
	while ((fd = accept4(r->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
		    !peer_may_read(&cr)) {
			close(fd);
			continue;
		}
		if (r->n == XG_RELAY_CLIENTS) {
			msg_send(fd, XG_RELAY_FULL, 0, NULL, NULL, 0);
			close(fd);
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		r->c[r->n++] = (struct relay_client){ .fd = fd };
		r->joined++;
	}
}

int xg_relay_clients(const struct xg_relay *r)
{
	return r ? r->n : 0;
}

/* One record to every reader; what a full socket cannot take is missed. */
void xg_relay_send(struct xg_relay *r, const char *tag, const void *rec,
		   size_t len)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		if (!msg_send(r->c[i].fd, XG_RELAY_REC, r->c[i].missed, tag,
			      rec, len)) {
			r->c[i].told = r->c[i].missed;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			r->c[i].missed++;
			continue;
		}
		client_drop(r, i--);	/* gone */
	}
}

/* Remove the socket, then say goodbye to every reader and close. */
void xg_relay_free(struct xg_relay *r)
{
	int i;

	if (!r)
		return;
	/* no new reader first: one told goodbye must not connect again */
	close(r->fd);
	unlink(r->path);
	for (i = 0; i < r->n; i++) {
		msg_send(r->c[i].fd, XG_RELAY_BYE, r->c[i].missed, NULL, NULL,
			 0);
		close(r->c[i].fd);
	}
	free(r);
}

/* A reader's connection to @path: the fd, or -1 with errno set. */
int xg_relay_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (sun_set(&sun, path))
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * One message from the owner into @m and @buf: the record's length (0 for
 * a message without one), -1 when none is waiting (EAGAIN) or on error
 * (errno; EPROTO: not a message of this protocol), -2 when the owner
 * closed.
 */
int xg_relay_recv(int fd, struct xg_relay_msg *m, void *buf, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = m, .iov_len = sizeof(*m) },
		{ .iov_base = buf, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	if (n == 0)
		return -2;
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(*m) || m->version != XG_RELAY_VERSION ||
	    (mh.msg_flags & MSG_TRUNC)) {
		errno = EPROTO;
		return -1;
	}
	return n - sizeof(*m);
}
