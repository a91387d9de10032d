// SPDX-License-Identifier: GPL-2.0
/*
 * The policy journal, for changes of any size. Before a change of several
 * entries, the old value of every key it touches is noted in memory; begin
 * writes the notes into a new array map sized for them (entry 0 holds the
 * count) and pins it in the interface's folder as xg_undo: from that one
 * atomic step on, the journal is on. end unlinks the pin. A command
 * killed in between leaves the pin; the next command, holding the lock,
 * puts every key back and unlinks it: the change is all or nothing even
 * across SIGKILL, whatever its size.
 *
 * The fixed-size pinned xg_journal (4096 records) of older versions is
 * still read by recovery, never written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <xdpguard/pmtu.h>
#include "comp.h"

static const char *const jmap_name[XG_J_MAX] = {
	[XG_J_ALLOW4] = XG_MAP_ALLOW4, [XG_J_ALLOW6] = XG_MAP_ALLOW6,
	[XG_J_DENY4] = XG_MAP_DENY4, [XG_J_DENY6] = XG_MAP_DENY6,
	[XG_J_PORTS] = XG_MAP_PORTS, [XG_J_CONFIG] = XG_MAP_CONFIG,
	[XG_J_COOKIE_PORTS] = XG_MAP_COOKIE_PORTS, [XG_J_PM_CFG] = XG_MAP_PM_CFG,
};

int xg_jmap_of(bool deny, int family)
{
	return deny ? (family == 4 ? XG_J_DENY4 : XG_J_DENY6) :
		      (family == 4 ? XG_J_ALLOW4 : XG_J_ALLOW6);
}

/* Record the current value of @key in @map (or that it has none). */
int xg_journal_note(struct xg_journal *j, int map, const void *key)
{
	struct xg_undo *r;
	int fd = j->fd[map];

	if (fd < 0) {
		errno = ENOENT;
		return -1;
	}
	if (j->n + 1 >= j->cap) {
		__u32 cap = j->cap ? 2 * j->cap : 1024;

		r = realloc(j->rec, cap * sizeof(*r));
		if (!r)
			return -1;
		j->rec = r;
		j->cap = cap;
	}
	r = &j->rec[++j->n];
	memset(r, 0, sizeof(*r));
	r->map = map;
	memcpy(r->key, key, j->ksz[map]);
	r->existed = !bpf_map_lookup_elem(fd, key, r->val);
	return 0;
}

int xg_journal_open(struct xg_journal *j, const struct xg_iface *ifc)
{
	static const size_t ksz[XG_J_MAX] = {
		[XG_J_ALLOW4] = sizeof(struct xg_lpm4),
		[XG_J_ALLOW6] = sizeof(struct xg_lpm6),
		[XG_J_DENY4] = sizeof(struct xg_lpm4),
		[XG_J_DENY6] = sizeof(struct xg_lpm6),
		[XG_J_PORTS] = sizeof(__u16),
		[XG_J_CONFIG] = sizeof(__u32),
		[XG_J_COOKIE_PORTS] = sizeof(__u16),
		[XG_J_PM_CFG] = sizeof(__u32),
	};
	int i;

	memset(j, 0, sizeof(*j));
	memcpy(j->ksz, ksz, sizeof(ksz));
	j->ufd = -1;
	j->ifc = ifc;
	snprintf(j->path, sizeof(j->path), "%s/" XG_PIN_UNDO, ifc->dir);
	for (i = 0; i < XG_J_MAX; i++)
		j->fd[i] = -1;
	for (i = 0; i < XG_J_MAX; i++) {
		/* the cookie and MSS maps: absent on some older guards */
		j->fd[i] = i >= XG_J_COOKIE_PORTS ?
			   xg_map_open_quiet(ifc, jmap_name[i]) :
			   xg_map_open(ifc, jmap_name[i]);
		if (j->fd[i] < 0 && i < XG_J_COOKIE_PORTS) {
			xg_journal_close(j);
			return -1;
		}
	}
	return 0;
}

void xg_journal_close(struct xg_journal *j)
{
	int i;

	for (i = 0; i < XG_J_MAX; i++)
		if (j->fd[i] >= 0)
			close(j->fd[i]);
	if (j->ufd >= 0)
		close(j->ufd);
	j->ufd = -1;
	free(j->rec);
	j->rec = NULL;
	j->n = j->cap = 0;
}

static int fill(int fd, struct xg_undo *rec, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys, i, count = n;
	int err;

	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -1;
	for (i = 0; i < n; i++)
		keys[i] = i;
	err = bpf_map_update_batch(fd, keys, rec, &count, &opts);
	free(keys);
	if (!err)
		return 0;
	/* kernels without batch ops on arrays: one by one */
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &i, &rec[i], BPF_ANY))
			return -1;
	return 0;
}

/* Write the noted records into a new undo map and pin it: journal on. */
int xg_journal_begin(struct xg_journal *j)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int fd, saved;

	if (!j->n)
		return 0;
	memset(&j->rec[0], 0, sizeof(j->rec[0]));
	j->rec[0].count = j->n;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, XG_PIN_UNDO, sizeof(__u32),
			    sizeof(struct xg_undo), j->n + 1, &opts);
	if (fd < 0)
		return -1;
	if (fill(fd, j->rec, j->n + 1) || bpf_obj_pin(fd, j->path)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	chmod(j->path, 0600);
	j->ufd = fd;
	return 0;
}

/* The change is done (or rolled back by its own command): journal off. */
void xg_journal_end(struct xg_journal *j)
{
	if (j->ufd < 0)
		return;
	if (unlink(j->path))
		xg_err("cannot remove %s: %s (the next command will undo the "
		       "change just made)", j->path, strerror(errno));
	close(j->ufd);
	j->ufd = -1;
}

static void undo_one(const struct xg_journal *j, const struct xg_undo *r)
{
	if (r->map >= XG_J_MAX || j->fd[r->map] < 0)
		return;
	if (r->existed)
		bpf_map_update_elem(j->fd[r->map], r->key, r->val, BPF_ANY);
	else
		bpf_map_delete_elem(j->fd[r->map], r->key);
}

/* A change journaled by an older xdpguard in the fixed xg_journal. */
static int recover_legacy(const struct xg_journal *j,
			  const struct xg_iface *ifc)
{
	struct xg_jrec h, r;
	struct xg_undo u;
	char path[320];
	__u32 zero = 0, i;
	int jfd, undone = 0;

	snprintf(path, sizeof(path), "%s/" XG_MAP_JOURNAL, ifc->dir);
	jfd = bpf_obj_get(path);
	if (jfd < 0)
		return 0;
	if (!bpf_map_lookup_elem(jfd, &zero, &h) && h.count) {
		for (i = h.count; i >= 1; i--) {
			if (bpf_map_lookup_elem(jfd, &i, &r) ||
			    r.map > XG_J_CONFIG)
				continue;
			memset(&u, 0, sizeof(u));
			u.map = r.map;
			u.existed = r.existed;
			memcpy(u.key, r.key, sizeof(r.key));
			memcpy(u.val, r.val, sizeof(r.val));
			undo_one(j, &u);
		}
		memset(&h, 0, sizeof(h));
		bpf_map_update_elem(jfd, &zero, &h, BPF_ANY);
		undone = 1;
	}
	close(jfd);
	return undone;
}

/* Undo a change that was killed half way; 1 if there was one. */
int xg_journal_recover(const struct xg_iface *ifc)
{
	struct xg_journal j;
	struct xg_undo h, *r = NULL;
	__u32 zero = 0, i, n;
	int ufd, undone;

	if (xg_journal_open(&j, ifc))
		return 0;
	undone = recover_legacy(&j, ifc);
	ufd = bpf_obj_get(j.path);
	if (ufd >= 0) {
		if (!bpf_map_lookup_elem(ufd, &zero, &h) && h.count) {
			n = h.count;
			r = malloc(sizeof(*r));
			/* newest first: each key gets the value it had */
			for (i = n; r && i >= 1; i--)
				if (!bpf_map_lookup_elem(ufd, &i, r))
					undo_one(&j, r);
			free(r);
		}
		close(ufd);
		if (unlink(j.path))
			xg_err("cannot remove %s: %s", j.path,
			       strerror(errno));
		undone = 1;
	}
	if (undone)
		xg_sync_flags(ifc);
	xg_journal_close(&j);
	return undone;
}

/* Put back every noted key (a change that failed half way). */
void xg_journal_rollback(struct xg_journal *j)
{
	__u32 i;

	for (i = j->n; i >= 1; i--)
		undo_one(j, &j->rec[i]);
	xg_sync_flags(j->ifc);
}
