// SPDX-License-Identifier: GPL-2.0
/*
 * events: follow the ring buffers of the attached interfaces (and of the
 * host socket telemetry) and write one record per event: a text line, a
 * JSON line (--json) or a journal entry (--journal), all three from one
 * list of fields (lib/rec.c; docs/events.md is the schema).
 *
 * A ring has one consumer. The reader that claims it (an flock in the run
 * folder, lib/pin.c) serves its raw records on a unix socket beside the
 * lock (lib/relay.c); a reader that finds the ring claimed reads it there
 * and formats the records with its own options. When the owner goes, a
 * reader of its relay claims the ring (or reads through whoever did).
 *
 * Once a second each ring is checked against its pin: the interface's
 * folder gone is a detach (said; the ring is no longer followed, and with
 * nothing left to follow events exits 0), another ring pinned there is a
 * re-attach (said; the new ring is followed). attach --replace keeps the
 * ring: nothing changes then.
 *
 * On SIGINT/SIGTERM exit 0 and report the records the kernel could not
 * deliver (ring full), held back (per-CPU event budget), and those the
 * relay could not send to this reader (too slow).
 */
#define _GNU_SOURCE	/* struct ucred */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#define SD_JOURNAL_SUPPRESS_LOCATION	/* no CODE_FILE= of ours */
#include <systemd/sd-journal.h>
#include "cmd.h"

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define CHECK_NS	1000000000ULL	/* the pins, once a second */
#define GONE_NS		2000000000ULL	/* a folder missing that long */
#define FOLLOW_TRIES	30		/* claim or connect: 3 s */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/*
 * The schema (docs/events.md): which head fields a type fills. src/dst are
 * addresses; the ports go with them; PREFIX prints the source rule.
 */
#define EV_SRC		(1U << 0)
#define EV_SPORT	(1U << 1)
#define EV_DST		(1U << 2)
#define EV_DPORT	(1U << 3)
#define EV_PREFIX	(1U << 4)

static const struct ev_type {
	const char *name;
	const char *group;
	unsigned int head;
	int prio;		/* the journal's PRIORITY */
} ev_types[XG_EV_MAX] = {
	[XG_EV_THROTTLE] = { "throttle", "guard",
			     EV_SRC | EV_PREFIX | EV_DPORT, LOG_NOTICE },
	[XG_EV_DENY_HIT] = { "deny_hit", "guard", EV_SRC | EV_PREFIX,
			     LOG_NOTICE },
	[XG_EV_COOKIES_ON] = { "cookies_on", "cookies", EV_DPORT, LOG_NOTICE },
	[XG_EV_COOKIES_OFF] = { "cookies_off", "cookies", EV_DPORT,
				LOG_NOTICE },
	[XG_EV_PTB] = { "ptb", "pmtu", EV_SRC | EV_DST, LOG_INFO },
	[XG_EV_BLACKHOLE] = { "pmtud_blackhole_suspected", "pmtu",
			      EV_SRC | EV_SPORT | EV_DST | EV_DPORT,
			      LOG_WARNING },
	[XG_EV_TW_CHURN] = { "tw_churn", "sockets",
			     EV_SRC | EV_SPORT | EV_DST | EV_DPORT,
			     LOG_NOTICE },
	[XG_EV_EPHEMERAL] = { "ephemeral", "sockets",
			      EV_SRC | EV_DST | EV_DPORT, LOG_WARNING },
	[XG_EV_ACCEPT_FULL] = { "accept_full", "sockets", EV_SRC | EV_SPORT,
				LOG_WARNING },
	[XG_EV_NO_PORT] = { "no_port", "sockets", EV_SRC | EV_DST | EV_DPORT,
			    LOG_ERR },
	[XG_EV_DNS_ANSWER_CHANGED] = { "dns_answer_changed", "dns",
				       EV_SRC | EV_SPORT, LOG_INFO },
	[XG_EV_DNS_SERVERS_DISAGREE] = { "dns_servers_disagree", "dns",
					 EV_SRC | EV_SPORT | EV_DST | EV_DPORT,
					 LOG_NOTICE },
	[XG_EV_DNS_STALE_USE] = { "dns_stale_use", "dns", EV_DST | EV_DPORT,
				  LOG_WARNING },
};

struct ev_ctx {
	enum xg_rec_mode mode;
	struct xg_rec *rec;
	__u32 types;		/* bit per enum xg_event_type */
	__u64 mono_to_real;
	__u64 netns_cookie;	/* host records: only this namespace's */
	__u32 netns_ino;
	__u64 printed, unknown, unsent;
	int run_fd;		/* the run folder: locks, relay sockets */
};

enum src_state { S_RING, S_RELAY, S_GONE };

/* One ring followed: read from the ring itself, or through its relay. */
struct ev_src {
	struct ev_ctx *ctx;
	bool host;		/* this namespace's host socket ring */
	struct xg_iface ifc;
	char name[IF_NAMESIZE + 8];	/* in messages */
	char key[IF_NAMESIZE + 32];	/* the lock's and socket's name */
	enum src_state state;
	int claim_fd, ring_fd, cnt_fd, cli_fd;
	__u32 ring_id;
	__u64 gone_since;	/* its pin first seen missing, 0: there */
	struct ring_buffer *rb;
	struct xg_relay *relay;	/* S_RING: what we serve */
	int readers;		/* ... to how many, as last said */
	__u64 missed, missed_said;	/* S_RELAY: not sent to us */
	__u64 lost, supp;	/* of the rings followed before this one */
	__u64 lost0, supp0;	/* this ring's counters when followed */
};

/* ---- one record, through the record writer ---- */

static void rec_time(struct xg_rec *r, const struct ev_ctx *ctx,
		     const char *k, __u64 mono_ns)
{
	char t[48];

	xg_rfc3339(mono_ns + ctx->mono_to_real, t, sizeof(t));
	xg_rec_str(r, k, t);
}

static void rec_port(struct xg_rec *r, const char *k, bool has, __u16 port)
{
	if (has && port)
		xg_rec_u64(r, k, port);
	else
		xg_rec_null(r, k);
}

static void dns_addrs(struct xg_rec *r, const char *k, int family,
		      const __u32 (*a)[4], int n)
{
	char buf[XG_DNS_ADDRS][64];
	const char *v[XG_DNS_ADDRS];
	int i;

	for (i = 0; i < n && i < XG_DNS_ADDRS; i++) {
		xg_format_addr(family, a[i], buf[i], sizeof(buf[i]));
		v[i] = buf[i];
	}
	xg_rec_strs(r, k, v, i);
}

/* The DNS body of an event record (ev_print writes the head). */
static void dns_body(struct xg_rec *r, const struct xg_event *h)
{
	const struct xg_dns_event *e = (const void *)h;
	const struct xg_dns_ev_body *d = &e->d;
	char name[520], qtb[16], comm[17];
	int fam = d->family;	/* the server's may differ */

	xg_dns_name_str(d->name, name, sizeof(name));
	xg_rec_str(r, "name", name);
	xg_rec_str(r, "qtype", xg_dns_qtype_str(d->qtype, qtb, sizeof(qtb)));
	if (h->type == XG_EV_DNS_STALE_USE) {
		memcpy(comm, d->comm, 16);
		comm[16] = 0;
		xg_rec_float(r, "past_expiry_s", d->past_ns / 1e9, 3);
		xg_rec_u64(r, "pid", d->pid);
		xg_rec_str(r, "comm", comm);
		return;
	}
	dns_addrs(r, "old", fam, d->old_addrs, d->n_old);
	xg_rec_u64(r, "old_ttl", d->old_ttl);
	dns_addrs(r, "new", fam, d->new_addrs, d->n_new);
	xg_rec_u64(r, "ttl", d->new_ttl);
}

static void ev_body(struct xg_rec *r, const struct ev_ctx *ctx,
		    const struct xg_event *e)
{
	switch (e->type) {
	case XG_EV_THROTTLE:
		xg_rec_u64(r, "rate_pps", e->throttle.rate);
		xg_rec_u64(r, "budget_pps", e->throttle.pps);
		xg_rec_u64(r, "burst", e->throttle.burst);
		xg_rec_u64(r, "dropped", e->throttle.dropped);
		break;
	case XG_EV_DENY_HIT:
		xg_rec_u64(r, "hits", e->deny.hits);
		break;
	case XG_EV_COOKIES_ON:
	case XG_EV_COOKIES_OFF:
		xg_rec_u64(r, "rate_pps", e->cookies.rate);
		xg_rec_u64(r, "threshold_pps", e->cookies.threshold);
		xg_rec_u64(r, "switches", e->cookies.switches);
		break;
	case XG_EV_PTB:
		xg_rec_u64(r, "mtu", e->ptb.mtu);
		xg_rec_u64(r, "min_mtu", e->ptb.min_mtu);
		xg_rec_u64(r, "count", e->ptb.count);
		rec_time(r, ctx, "since", e->ptb.since_ns);
		break;
	case XG_EV_BLACKHOLE:
		xg_rec_u64(r, "segment_size", e->blackhole.seg);
		xg_rec_u64(r, "packet_size", e->blackhole.pkt);
		xg_rec_u64(r, "retransmissions", e->blackhole.retrans);
		rec_time(r, ctx, "since", e->blackhole.since_ns);
		break;
	case XG_EV_TW_CHURN:
		xg_rec_u64(r, "entries", e->tw.entries);
		xg_rec_u64(r, "window_ms", e->tw.window_ms);
		xg_rec_u64(r, "threshold_per_s", e->tw.threshold);
		break;
	case XG_EV_EPHEMERAL:
		xg_rec_u64(r, "in_use", e->eph.in_use);
		xg_rec_u64(r, "ports", e->eph.ports);
		xg_rec_float(r, "pct", e->eph.ports ?
			     100.0 * e->eph.in_use / e->eph.ports : 0, 1);
		xg_rec_u64(r, "threshold_pct", e->eph.threshold);
		break;
	case XG_EV_NO_PORT:
		xg_rec_u64(r, "ports", e->eph.ports);
		break;
	case XG_EV_ACCEPT_FULL:
		xg_rec_u64(r, "accept_queue", e->accept.queue);
		xg_rec_u64(r, "accept_max", e->accept.backlog);
		xg_rec_u64(r, "syn_recv", e->accept.syn_recv);
		break;
	default:
		if (XG_EV_IS_DNS(e->type))
			dns_body(r, e);
	}
}

/* To the journal: the record's fields, MESSAGE= its text line. */
static void ev_journal(struct ev_ctx *ctx)
{
	const struct iovec *iov;
	int n, err;

	n = xg_rec_iov(ctx->rec, &iov);
	err = sd_journal_sendv(iov, n);
	if (err >= 0)
		return;
	if (!ctx->unsent++)
		xg_err("cannot send a record to the journal: %s (counted; "
		       "the exit line says how many)", strerror(-err));
}

/*
 * Write one record: the head (time, type, interface, namespace,
 * addresses) the same way for every type, then the type's own fields.
 */
static void ev_print(struct ev_ctx *ctx, const struct xg_event *e,
		     const char *ifname)
{
	const struct ev_type *t = &ev_types[e->type];
	struct xg_rec *r = ctx->rec;
	struct xg_cidr c = { .family = e->family, .prefixlen = e->prefixlen };
	bool fam = e->family == 4 || e->family == 6;
	char when[48], a[64], prio[16];

	xg_rfc3339(e->ts_ns + ctx->mono_to_real, when, sizeof(when));
	xg_rec_begin(r);
	xg_rec_word(r, "time", when, when);
	xg_rec_word(r, "type", t->name, t->name);
	xg_rec_word(r, "interface", ifname, ifname ? ifname : "host");
	xg_rec_hide(r, true);	/* not in text */
	xg_rec_u64(r, "netns", ctx->netns_ino);
	if (fam)
		xg_rec_u64(r, "family", e->family);
	else
		xg_rec_null(r, "family");
	xg_rec_hide(r, false);
	xg_format_addr(e->family, e->saddr, a, sizeof(a));
	xg_rec_str(r, "src", fam && (t->head & EV_SRC) ? a : NULL);
	rec_port(r, "sport", t->head & EV_SPORT, e->sport);
	xg_format_addr(e->family, e->daddr, a, sizeof(a));
	xg_rec_str(r, "dst", fam && (t->head & EV_DST) ? a : NULL);
	rec_port(r, "dport", t->head & EV_DPORT, e->dport);
	if (t->head & EV_PREFIX) {
		memcpy(c.addr, e->saddr, 16);
		xg_format_cidr(&c, a, sizeof(a));
		xg_rec_str(r, "prefix", fam ? a : NULL);
	}
	ev_body(r, ctx, e);
	snprintf(prio, sizeof(prio), "PRIORITY=%d", t->prio);
	xg_rec_journal(r, prio);
	xg_rec_journal(r, "SYSLOG_IDENTIFIER=xdpguard");
	xg_rec_end(r);
	if (ctx->mode == XG_REC_JOURNAL)
		ev_journal(ctx);
	ctx->printed++;
}

/* 1: a record of a type we know and were asked for. */
static int ev_wanted(struct ev_ctx *ctx, const struct xg_event *e,
		     size_t size)
{
	if (size < sizeof(*e) || !e->type || e->type >= XG_EV_MAX ||
	    !ev_types[e->type].name ||
	    (XG_EV_IS_DNS(e->type) && size < sizeof(struct xg_dns_event))) {
		ctx->unknown++;	/* a newer kernel side: count, skip */
		return 0;
	}
	return !!(ctx->types & (1U << e->type));
}

static void ev_record(struct ev_src *s, const void *data, size_t size)
{
	if (ev_wanted(s->ctx, data, size))
		ev_print(s->ctx, data, s->host ? NULL : s->ifc.ifname);
}

/* A record read from the ring: to the relay's readers, then ours. */
static int on_ring(void *arg, void *data, size_t size)
{
	struct ev_src *s = arg;
	const struct xg_event *e = data;

	/* a host ring record: only the namespace it belongs to */
	if (s->host && (size < sizeof(*e) ||
			e->netns_cookie != s->ctx->netns_cookie))
		return 0;
	xg_relay_send(s->relay, s->host ? "" : s->ifc.ifname, data, size);
	ev_record(s, data, size);
	return 0;
}

/* ---- the rings: claimed, relayed, checked ---- */

static int src_lost_read(struct ev_src *s, __u64 *lost, __u64 *supp)
{
	struct xg_counter cnt[XG_C_SLOTS];
	struct xg_sk_stats st;

	if (s->host) {
		if (xg_sk_stats_read(s->ctx->netns_cookie, &st))
			return -1;
		*lost = st.events_lost;
		*supp = st.events_suppressed;
		return 0;
	}
	if (s->cnt_fd < 0 || xg_counters_read(s->cnt_fd, cnt, XG_C_SLOTS))
		return -1;
	*lost = cnt[XG_C_EVENTS_LOST].packets;
	*supp = cnt[XG_C_EVENTS_SUPPRESSED].packets;
	return 0;
}

/* What this ring lost and held back since it was followed, into the sums. */
static void src_account(struct ev_src *s)
{
	__u64 l, su;

	if (!src_lost_read(s, &l, &su)) {
		s->lost += l - s->lost0;
		s->supp += su - s->supp0;
	}
	s->lost0 = s->supp0 = 0;
}

static int map_id(int fd, __u32 *id)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);

	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return -1;
	*id = mi.id;
	return 0;
}

/*
 * The id of the ring pinned for @s now: 0 with *id, 1 when there is none
 * (the interface's folder or the host telemetry is gone), -1 when it
 * cannot be told now.
 */
static int src_pinned_id(struct ev_src *s, __u32 *id)
{
	struct stat st;
	int fd, err;

	if (s->host)
		return xg_host_is_on() ?
			(xg_host_ring_id(s->ctx->netns_cookie, id) ? 1 : 0) : 1;
	fd = xg_map_open_quiet(&s->ifc, XG_MAP_EVENTS);
	if (fd < 0)
		return lstat(s->ifc.dir, &st) && errno == ENOENT ? 1 : -1;
	err = map_id(fd, id);
	close(fd);
	return err;
}

/* The counters and the ring's id (the ring itself only for S_RING). */
static int src_maps(struct ev_src *s)
{
	int err;

	if (!s->host) {
		s->cnt_fd = xg_map_open(&s->ifc, XG_MAP_COUNTERS);
		if (s->cnt_fd < 0)
			return -1;
	}
	err = src_pinned_id(s, &s->ring_id);
	if (err) {
		xg_err("cannot find the event ring of %s", s->name);
		return -1;
	}
	return src_lost_read(s, &s->lost0, &s->supp0);
}

static void src_close_maps(struct ev_src *s)
{
	ring_buffer__free(s->rb);
	s->rb = NULL;
	if (s->ring_fd >= 0)
		close(s->ring_fd);
	if (s->cnt_fd >= 0)
		close(s->cnt_fd);
	s->ring_fd = s->cnt_fd = -1;
}

/* Read the ring itself (we hold its claim). */
static int src_ring_open(struct ev_src *s)
{
	__u32 id;

	s->ring_fd = s->host ? xg_host_ring() :
		xg_map_open(&s->ifc, XG_MAP_EVENTS);
	if (s->ring_fd < 0)
		return -1;
	if (!map_id(s->ring_fd, &id))
		s->ring_id = id;
	s->rb = ring_buffer__new(s->ring_fd, on_ring, s, NULL);
	if (!s->rb) {
		xg_err("cannot follow the events of %s: %s", s->name,
		       strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The ring's claim: an flock on <run folder>/<key>.lock, opened without
 * following a symlink, kept until the ring is let go. 1: claimed, 0:
 * another reader holds it, -1: error (said).
 */
static int src_claim(struct ev_src *s)
{
	char name[sizeof(s->key) + 8];
	struct stat st, fst;
	int fd, i;

	snprintf(name, sizeof(name), "%s.lock", s->key);
	for (i = 0; i < 5; i++) {
		fd = openat(s->ctx->run_fd, name,
			    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			xg_err("cannot open %s/%s: %s%s", xg_run_path(), name,
			       strerror(errno), errno == ELOOP ?
			       " (a symbolic link, not followed: xdpguard "
			       "never makes one there; look at it and remove "
			       "it)" : "");
			return -1;
		}
		if (fstat(fd, &fst) || !S_ISREG(fst.st_mode)) {
			xg_err("%s/%s is not a regular file: look at it and "
			       "remove it", xg_run_path(), name);
			close(fd);
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			close(fd);
			return 0;
		}
		/* a stale-lock cleaner may have removed it meanwhile */
		if (!fstatat(s->ctx->run_fd, name, &st, AT_SYMLINK_NOFOLLOW) &&
		    st.st_ino == fst.st_ino && st.st_dev == fst.st_dev) {
			s->claim_fd = fd;
			return 1;
		}
		close(fd);
	}
	xg_err("cannot claim the ring of %s: %s/%s keeps changing", s->name,
	       xg_run_path(), name);
	return -1;
}

static void sock_path(const struct ev_src *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.sock", xg_run_path(), s->key);
}

/* Let the claim go: the lock file is removed while still held. */
static void src_unclaim(struct ev_src *s)
{
	char name[sizeof(s->key) + 8];

	if (s->claim_fd < 0)
		return;
	snprintf(name, sizeof(name), "%s.lock", s->key);
	unlinkat(s->ctx->run_fd, name, 0);
	close(s->claim_fd);
	s->claim_fd = -1;
}

static int peer_pid(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) ? 0 :
		cr.pid;
}

/*
 * Follow @s: claim its ring and read it (serving the relay), or, when
 * another reader holds it, read through that one's relay. Retried for a
 * while (the owner may be between its claim and its socket, or going).
 * 0, or -1 with a message.
 */
static int src_follow(struct ev_src *s)
{
	struct timespec nap = { 0, 100 * 1000000 };
	char path[PATH_MAX];
	int i, r, err = 0;

	sock_path(s, path, sizeof(path));
	for (i = 0; i < FOLLOW_TRIES && !stop; i++) {
		r = src_claim(s);
		if (r < 0)
			return -1;
		if (r) {
			if (src_ring_open(s))
				goto fail;
			s->relay = xg_relay_serve(path);
			if (!s->relay)
				goto fail;
			s->state = S_RING;
			return 0;
		}
		s->cli_fd = xg_relay_connect(path);
		if (s->cli_fd >= 0) {
			s->state = S_RELAY;
			return 0;
		}
		err = errno;
		nanosleep(&nap, NULL);
	}
	if (!stop)
		xg_err("another xdpguard events follows %s (a ring buffer has "
		       "one reader) and its relay socket %s does not answer "
		       "(%s): an xdpguard without the relay? stop that one",
		       s->name, path, strerror(err));
	return -1;
fail:
	src_close_maps(s);
	src_unclaim(s);
	return -1;
}

/*
 * Drain what is left and let the ring go, then tell the relay's readers
 * (so that one of them can claim it at once).
 */
static void src_release(struct ev_src *s)
{
	struct xg_relay *relay = s->relay;

	if (s->rb)
		ring_buffer__consume(s->rb);
	if (s->cli_fd >= 0)
		close(s->cli_fd);
	s->cli_fd = -1;
	s->relay = NULL;
	src_account(s);
	src_close_maps(s);
	src_unclaim(s);
	xg_relay_free(relay);
}

static void src_gone(struct ev_src *s, const char *why)
{
	fprintf(stderr, "xdpguard events: %s %s: no longer followed\n",
		s->name, why);
	src_release(s);
	s->state = S_GONE;
}

/* The ring was pinned anew (detach, attach): follow the new one. */
static int src_refollow(struct ev_src *s)
{
	if (s->rb)
		ring_buffer__consume(s->rb);
	src_account(s);
	src_close_maps(s);
	fprintf(stderr, "xdpguard events: %s %s: following its new ring\n",
		s->name, s->host ? "socket telemetry was switched on again" :
		"was re-attached");
	if (src_maps(s))
		return -1;
	if (s->state == S_RING && src_ring_open(s))
		return -1;
	return 0;
}

/*
 * Once a second: is the ring still the one pinned? Gone for GONE_NS is a
 * detach (so that `detach; attach` is a re-attach). 0, or -1 (failed).
 */
static int src_check(struct ev_src *s)
{
	__u32 id;
	int r;

	if (s->state == S_GONE)
		return 0;
	r = src_pinned_id(s, &id);
	if (r != 1)
		s->gone_since = 0;
	if (r == 1 && !s->gone_since)
		s->gone_since = xg_mono_ns();
	if (r == 1 && xg_mono_ns() - s->gone_since >= GONE_NS)
		src_gone(s, s->host ? "socket telemetry was switched off" :
			 "detached");
	else if (!r && id != s->ring_id)
		return src_refollow(s);
	return 0;
}

/*
 * The owner we read through went away (or said goodbye): if the ring is
 * still pinned, claim it or read through whoever did. 0, or -1.
 */
static int src_owner_gone(struct ev_src *s)
{
	__u32 id;
	int pid;

	close(s->cli_fd);
	s->cli_fd = -1;
	if (src_pinned_id(s, &id) == 1) {
		src_gone(s, s->host ? "socket telemetry was switched off" :
			 "detached");
		return 0;
	}
	if (src_follow(s)) {
		if (!stop)
			return -1;
		src_release(s);	/* asked to stop meanwhile: no failure */
		s->state = S_GONE;
		return 0;
	}
	if (s->state == S_RING) {
		fprintf(stderr, "xdpguard events: %s: the reader whose relay "
			"this one read stopped; this one follows the ring now "
			"(and serves the relay)\n", s->name);
		return 0;
	}
	pid = peer_pid(s->cli_fd);
	fprintf(stderr, "xdpguard events: %s: the reader whose relay this "
		"one read stopped; reading through the relay of pid %d, "
		"which follows the ring now\n", s->name, pid);
	return 0;
}

/* What the relay has for us. 0, or -1 (failed, said). */
static int src_relay_read(struct ev_src *s)
{
	struct xg_relay_msg m;
	__u8 buf[4096] __attribute__((aligned(8)));
	int n, i;

	for (i = 0; i < 4096 && s->state == S_RELAY; i++) {
		n = xg_relay_recv(s->cli_fd, &m, buf, sizeof(buf));
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1 && errno == EPROTO) {
			xg_err("%s: the relay sent what this xdpguard does not "
			       "understand (another version?)", s->name);
			return -1;
		}
		if (n >= 0 && m.missed > s->missed)
			s->missed = m.missed;
		if (n >= 0 && m.kind == XG_RELAY_FULL) {
			xg_err("%s: the reader that follows it serves %d "
			       "readers already", s->name, XG_RELAY_CLIENTS);
			return -1;
		}
		if (n < 0 || m.kind == XG_RELAY_BYE) {
			if (src_owner_gone(s))
				return -1;
			continue;
		}
		if (m.kind == XG_RELAY_REC)
			ev_record(s, buf, n);
	}
	return 0;
}

/* Messages on stderr: readers through our relay, records it missed. */
static void src_say(struct ev_src *s)
{
	int n = xg_relay_clients(s->relay);

	if (s->state == S_RING && n != s->readers) {
		fprintf(stderr, "xdpguard events: %s: %d other reader%s "
			"through this one's relay\n", s->name, n,
			n == 1 ? " reads it" : "s read it");
		s->readers = n;
	}
	if (s->missed != s->missed_said) {
		fprintf(stderr, "xdpguard events: %s: %llu records not "
			"relayed to this reader (too slow to read them)\n",
			s->name, (unsigned long long)s->missed);
		s->missed_said = s->missed;
	}
}

/* 1: the pin root is there and holds no folder @key */
static bool folder_gone(const char *key)
{
	char path[400];
	struct stat st;

	if (stat(xg_pin_root(), &st))
		return false;
	snprintf(path, sizeof(path), "%s/%s", xg_pin_root(), key);
	return lstat(path, &st) && errno == ENOENT;
}

/*
 * Lock files of rings that are gone (their folder, or the host ring of
 * their namespace) and that nobody holds, and relay sockets whose lock
 * nobody holds: removed. How many locks were.
 */
static int clean_stale(int run)
{
	char name[320], key[300];
	struct dirent *de;
	__u64 cookie;
	char ifname[IF_NAMESIZE], sfx;
	size_t n;
	__u32 id;
	int d, fd, removed = 0;
	bool stale;
	DIR *dir;

	d = dup(run);
	dir = d >= 0 ? fdopendir(d) : NULL;
	if (!dir) {
		if (d >= 0)
			close(d);
		return 0;
	}
	while ((de = readdir(dir))) {
		n = strlen(de->d_name);
		if (n < 6 || n >= sizeof(key))
			continue;
		if (!strcmp(de->d_name + n - 5, ".lock")) {
			snprintf(key, sizeof(key), "%.*s", (int)n - 5,
				 de->d_name);
			if (!strncmp(key, "host-", 5))
				stale = !xg_host_is_on() ||
					xg_host_ring_id(strtoull(key + 5, NULL,
								 10), &id);
			else if (!xg_dir_parse(key, &cookie, ifname, &sfx) &&
				 !sfx)
				stale = folder_gone(key);
			else
				continue;
			if (!stale)
				continue;
			fd = openat(run, de->d_name, O_RDWR | O_NOFOLLOW |
				    O_CLOEXEC | O_NONBLOCK);
			if (fd < 0)
				continue;
			if (!flock(fd, LOCK_EX | LOCK_NB) &&
			    !unlinkat(run, de->d_name, 0)) {
				removed++;
				snprintf(name, sizeof(name), "%s.sock", key);
				unlinkat(run, name, 0);
			}
			close(fd);
		} else if (!strcmp(de->d_name + n - 5, ".sock")) {
			snprintf(name, sizeof(name), "%.*s.lock", (int)n - 5,
				 de->d_name);
			fd = openat(run, name, O_RDONLY | O_NOFOLLOW |
				    O_CLOEXEC);
			if ((fd < 0 && errno == ENOENT) ||
			    (fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB)))
				unlinkat(run, de->d_name, 0);
			if (fd >= 0)
				close(fd);
		}
	}
	closedir(dir);
	return removed;
}

/*
 * --type: names and groups, comma-separated, into a bit per type. 0 on
 * success; the message names the bad part and the accepted ones.
 */
static int ev_parse_types(const char *arg, __u32 *types)
{
	char buf[512], *tok, *save = NULL;
	int i;
	bool hit;

	if (!arg || !*arg || strlen(arg) >= sizeof(buf))
		return xg_usage_err("--type: '%s' is not a list of event types",
				    arg ? arg : "");
	snprintf(buf, sizeof(buf), "%s", arg);
	*types = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		hit = false;
		for (i = 1; i < XG_EV_MAX; i++) {
			if (!strcmp(tok, ev_types[i].name) ||
			    !strcmp(tok, ev_types[i].group) ||
			    !strcmp(tok, "all")) {
				*types |= 1U << i;
				hit = true;
			}
		}
		if (!hit)
			return xg_usage_err("--type: unknown event type '%s' "
					    "(accepted: throttle, deny_hit, "
					    "cookies_on, cookies_off, ptb, "
					    "pmtud_blackhole_suspected, "
					    "tw_churn, ephemeral, accept_full, "
					    "no_port, dns_answer_changed, "
					    "dns_servers_disagree, "
					    "dns_stale_use, or the groups "
					    "guard, cookies, pmtu, sockets, "
					    "dns, all; "
					    "comma-separated)", tok);
	}
	if (!*types)
		return xg_usage_err("--type: '%s' names no event type", arg);
	return 0;
}

static __u32 ev_host_types(void)
{
	__u32 m = 0;
	int i;

	for (i = 1; i < XG_EV_MAX; i++)
		if (XG_EV_IS_HOST(i))
			m |= 1U << i;
	return m;
}

static const char events_usage[] =
	"usage: xdpguard events [-i IFACE] [--type T[,T...]] [--json | "
	"--journal]\n"
	"  follows every attached interface of this namespace (only IFACE with\n"
	"  -i) and the host socket telemetry's events of this namespace when\n"
	"  it is on (not with -i); it then takes a socket snapshot every\n"
	"  second, which is when ephemeral-port and accept-queue thresholds\n"
	"  are checked. --type: throttle, deny_hit, cookies_on, cookies_off,\n"
	"  ptb, pmtud_blackhole_suspected, tw_churn, ephemeral, accept_full,\n"
	"  no_port, dns_answer_changed, dns_servers_disagree, dns_stale_use,\n"
	"  or the groups guard, cookies, pmtu, sockets, dns, all (default\n"
	"  all). --journal: each record to the journal, fields named as in\n"
	"  JSON. A ring already followed by another events is read through\n"
	"  that one's relay socket. The record schema is in docs/events.md.\n";

struct events_opts {
	const char *ifname, *types;
	bool json, journal;
};

static const struct xg_opt events_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct events_opts, ifname),
	  .arg = "IFACE" },
	{ "type", 't', XG_OPT_STR, offsetof(struct events_opts, types),
	  .arg = "T,T...", .help = "only these event types" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct events_opts, json),
	  .help = "one JSON object per line" },
	{ "journal", 0, XG_OPT_FLAG, offsetof(struct events_opts, journal),
	  .help = "each record to the journal (sd_journal_send)" },
	{}
};

/* Drive the snapshot-time checks (ephemeral ports, accept queues). */
static void host_snapshot(void)
{
	struct xg_sk_rec *rec;
	size_t n;

	if (!xg_sk_snapshot(&rec, &n))
		free(rec);
}

static void src_init(struct ev_src *s, struct ev_ctx *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->claim_fd = s->ring_fd = s->cnt_fd = s->cli_fd = -1;
	s->state = S_GONE;
}

/* "following eth0 (through the relay of pid 123)" */
static void src_started(const struct ev_src *s)
{
	if (s->state == S_RELAY)
		fprintf(stderr, "xdpguard events: %s is followed by another "
			"reader (pid %d): reading it through its relay\n",
			s->name, peer_pid(s->cli_fd));
}

#define POLL_MAX	(1 + XG_RELAY_CLIENTS + 1)

int cmd_events(int argc, char **argv)
{
	struct events_opts o = {};
	struct xg_iface one, *list = NULL;
	struct ev_src *src = NULL;
	struct ev_ctx ctx = { .types = ~0U, .run_fd = -1 };
	struct pollfd *pfd = NULL;
	int *pslot = NULL, *pn = NULL;
	const char *ifname;
	__u64 lost = 0, supp = 0, missed = 0, last_check, last_snap = 0;
	bool host = false, want_host, want_if, relayed = false;
	int i, n = 0, nsrc = 0, live, ret, np, k, stale;
	struct rlimit rl;

	xg_cmd = "events";
	ret = xg_opts_only(argc, argv, NULL, events_opts, &o, NULL,
			   events_usage);
	if (ret >= 0)
		return ret;
	if (o.types && ev_parse_types(o.types, &ctx.types))
		return XG_EXIT_USAGE;
	if (o.json && o.journal)
		return xg_usage_err("--json and --journal: one output at a "
				    "time (a second events reads the same "
				    "records through the relay)");
	ctx.mode = o.journal ? XG_REC_JOURNAL :
		o.json ? XG_REC_JSON : XG_REC_TEXT;
	ifname = o.ifname;
	want_host = ctx.types & ev_host_types();
	want_if = ctx.types & ~ev_host_types();
	if (ifname && !want_if)
		return xg_usage_err("-i %s: --type names only host-wide "
				    "events, which have no interface (drop "
				    "-i)", ifname);
	if (ifname || want_if) {
		n = xg_iface_targets(ifname, &one, &list);
		if (n < 0)
			return -n;
	}
	if (!ifname) {
		if (xg_bpffs_ready(false))
			return XG_EXIT_FAIL;
		host = want_host && xg_host_is_on();
		if (!n && !host)
			return xg_usage_err("nothing to follow: %s",
					    want_if && want_host ?
					    "no interface is attached in this "
					    "network namespace (xdpguard attach "
					    "IFACE) and host socket telemetry "
					    "is off (xdpguard tw on)" :
					    want_if ? "no interface is attached "
					    "in this network namespace "
					    "(xdpguard attach IFACE)" :
					    "host socket telemetry is off "
					    "(xdpguard tw on)");
	}
	ret = XG_EXIT_FAIL;
	if (o.journal && access(JOURNAL_SOCKET, W_OK)) {
		xg_err("--journal: cannot reach the journal at %s: %s (is "
		       "systemd-journald running?)", JOURNAL_SOCKET,
		       strerror(errno));
		goto out;
	}
	/* five descriptors a ring (lock, ring, counters, epoll, socket) */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ctx.netns_ino = xg_netns_ino();
	ctx.netns_cookie = xg_netns_cookie();
	ctx.mono_to_real = xg_real_ns() - xg_mono_ns();
	ctx.rec = xg_rec_new(ctx.mode, stdout);
	ctx.run_fd = xg_run_dir();
	if (!ctx.rec || ctx.run_fd < 0)
		goto out;
	stale = clean_stale(ctx.run_fd);
	if (stale)
		fprintf(stderr, "xdpguard events: removed %d stale lock "
			"file%s in %s\n", stale, stale == 1 ? "" : "s",
			xg_run_path());
	src = calloc(n + 1, sizeof(*src));
	pfd = calloc((n + 1) * POLL_MAX, sizeof(*pfd));
	pslot = calloc(n + 1, sizeof(*pslot));
	pn = calloc(n + 1, sizeof(*pn));
	if (!src || !pfd || !pslot || !pn) {
		xg_err("out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct ev_src *s = &src[nsrc];

		src_init(s, &ctx);
		nsrc++;
		s->ifc = list[i];
		snprintf(s->name, sizeof(s->name), "%s", list[i].ifname);
		snprintf(s->key, sizeof(s->key), "%s",
			 strrchr(list[i].dir, '/') + 1);
		if (src_maps(s) || src_follow(s))
			goto out;
		src_started(s);
	}
	if (host) {
		struct ev_src *s = &src[nsrc];
		int fd;

		src_init(s, &ctx);
		nsrc++;
		s->host = true;
		snprintf(s->name, sizeof(s->name), "host");
		snprintf(s->key, sizeof(s->key), "host-%llu",
			 (unsigned long long)ctx.netns_cookie);
		fd = xg_host_ring();	/* made on first use */
		if (fd < 0 || !ctx.netns_cookie)
			goto out;
		close(fd);
		if (src_maps(s) || src_follow(s))
			goto out;
		src_started(s);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "xdpguard events: following %d interface%s%s\n", n,
		n == 1 ? "" : "s", host ? " and the host socket telemetry of "
		"this network namespace" : "");
	last_check = xg_mono_ns();
	for (;;) {
		for (i = live = 0; i < nsrc; i++) {
			live += src[i].state != S_GONE;
			relayed |= src[i].state == S_RELAY;
		}
		if (stop || !live)
			break;
		if (xg_mono_ns() - last_check >= CHECK_NS) {
			last_check = xg_mono_ns();
			for (i = 0; i < nsrc; i++)
				if (src_check(&src[i]))
					goto out;
		}
		for (i = 0; i < nsrc; i++)
			if (src[i].host && src[i].state == S_RING &&
			    xg_mono_ns() - last_snap >= 1000000000ULL) {
				last_snap = xg_mono_ns();
				host_snapshot();
			}
		for (i = np = 0; i < nsrc; i++) {
			struct ev_src *s = &src[i];

			pslot[i] = np;
			pn[i] = 0;
			if (s->state == S_RING) {
				pfd[np++] = (struct pollfd){
					.fd = ring_buffer__epoll_fd(s->rb),
					.events = POLLIN };
				pn[i] = xg_relay_pollfds(s->relay, &pfd[np],
							 POLL_MAX - 1);
				np += pn[i];
			} else if (s->state == S_RELAY) {
				pfd[np++] = (struct pollfd){
					.fd = s->cli_fd, .events = POLLIN };
			}
		}
		if (poll(pfd, np, 200) < 0 && errno != EINTR) {
			xg_err("waiting for events failed: %s",
			       strerror(errno));
			goto out;
		}
		for (i = 0; i < nsrc; i++) {
			struct ev_src *s = &src[i];

			if (s->state == S_RING) {
				xg_relay_handle(s->relay, &pfd[pslot[i] + 1],
						pn[i]);
				k = ring_buffer__consume(s->rb);
				if (k < 0 && k != -EINTR) {
					xg_err("reading the events of %s "
					       "failed: %s", s->name,
					       strerror(-k));
					goto out;
				}
			} else if (s->state == S_RELAY &&
				   pfd[pslot[i]].revents) {
				if (src_relay_read(s))
					goto out;
			}
			src_say(s);
		}
		fflush(stdout);	/* once per batch, not per record */
	}
	ret = XG_EXIT_OK;
out:
	for (i = 0; i < nsrc; i++) {
		if (src[i].state == S_RELAY && ret == XG_EXIT_OK)
			src_relay_read(&src[i]);	/* what is queued */
		if (src[i].state != S_GONE)
			src_release(&src[i]);
		lost += src[i].lost;
		supp += src[i].supp;
		missed += src[i].missed;
	}
	fflush(stdout);
	if (ret == XG_EXIT_OK) {
		fprintf(stderr, "xdpguard events: %llu records, %llu lost "
			"(ring buffer full), %llu held back by the kernel's "
			"event budget", ctx.printed, lost, supp);
		if (ctx.unknown)
			fprintf(stderr, ", %llu of unknown types skipped",
				ctx.unknown);
		if (relayed || missed)
			fprintf(stderr, ", %llu not relayed to this reader "
				"(too slow)", missed);
		if (o.journal)
			fprintf(stderr, ", %llu not taken by the journal",
				ctx.unsent);
		fputc('\n', stderr);
	}
	xg_rec_free(ctx.rec);
	if (ctx.run_fd >= 0)
		close(ctx.run_fd);
	free(pfd);
	free(pslot);
	free(pn);
	free(src);
	if (list != &one)
		free(list);
	return ret;
}
