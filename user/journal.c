// SPDX-License-Identifier: GPL-2.0
/*
 * The policy journal: before a change of several entries, the old value of
 * every key it touches goes into the pinned xg_journal map, and the record
 * count last (one update: the journal is on). After the change the count
 * goes back to 0. A command killed in between leaves the count set; the
 * next command, holding the lock, puts every key back: the change is all
 * or nothing even across SIGKILL.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "xdpguard.h"

static const char *const jmap_name[XG_J_MAX] = {
	[XG_J_ALLOW4] = XG_MAP_ALLOW4, [XG_J_ALLOW6] = XG_MAP_ALLOW6,
	[XG_J_DENY4] = XG_MAP_DENY4, [XG_J_DENY6] = XG_MAP_DENY6,
	[XG_J_PORTS] = XG_MAP_PORTS, [XG_J_CONFIG] = XG_MAP_CONFIG,
};

int xg_jmap_of(bool deny, int family)
{
	return deny ? (family == 4 ? XG_J_DENY4 : XG_J_DENY6) :
		      (family == 4 ? XG_J_ALLOW4 : XG_J_ALLOW6);
}

/* Record the current value of @key in @map (or that it has none). */
int xg_journal_note(struct xg_journal *j, int map, const void *key)
{
	struct xg_jrec *r;
	int fd = j->fd[map];

	if (j->n == XG_JOURNAL_MAX) {
		j->overflow = true;
		return 0;
	}
	r = &j->rec[j->n];
	memset(r, 0, sizeof(*r));
	r->map = map;
	memcpy(r->key, key, j->ksz[map]);
	r->existed = !bpf_map_lookup_elem(fd, key, r->val);
	j->n++;
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
	};
	int i;

	memset(j, 0, sizeof(*j));
	memcpy(j->ksz, ksz, sizeof(ksz));
	for (i = 0; i < XG_J_MAX; i++)
		j->fd[i] = -1;
	/* guards attached before the journal existed have none: no undo */
	j->jfd = bpf_obj_get(strcat(strcpy(j->path, ifc->dir),
				    "/" XG_MAP_JOURNAL));
	for (i = 0; i < XG_J_MAX; i++) {
		j->fd[i] = xg_map_open(ifc, jmap_name[i]);
		if (j->fd[i] < 0) {
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
	if (j->jfd >= 0)
		close(j->jfd);
	j->jfd = -1;
}

static int set_count(int jfd, __u32 n)
{
	struct xg_jrec h = { .count = n };
	__u32 zero = 0;

	return bpf_map_update_elem(jfd, &zero, &h, BPF_ANY);
}

/* Write the noted records, then switch the journal on. */
int xg_journal_begin(struct xg_journal *j)
{
	__u32 i, k;

	if (j->jfd < 0 || j->overflow || !j->n)
		return 0;	/* too big or no journal: errors still roll back */
	for (i = 0; i < j->n; i++) {
		k = i + 1;
		if (bpf_map_update_elem(j->jfd, &k, &j->rec[i], BPF_ANY))
			return -1;
	}
	return set_count(j->jfd, j->n);
}

void xg_journal_end(struct xg_journal *j)
{
	if (j->jfd >= 0)
		set_count(j->jfd, 0);
}

/* Undo a change that was killed half way; 1 if there was one. */
int xg_journal_recover(const struct xg_iface *ifc)
{
	static struct xg_journal j;
	struct xg_jrec h, r;
	__u32 zero = 0, i;
	int undone = 0;

	if (xg_journal_open(&j, ifc))
		return 0;
	if (j.jfd >= 0 && !bpf_map_lookup_elem(j.jfd, &zero, &h) && h.count) {
		for (i = h.count; i >= 1; i--) {
			if (bpf_map_lookup_elem(j.jfd, &i, &r) ||
			    r.map >= XG_J_MAX)
				continue;
			if (r.existed)
				bpf_map_update_elem(j.fd[r.map], r.key, r.val,
						    BPF_ANY);
			else
				bpf_map_delete_elem(j.fd[r.map], r.key);
		}
		set_count(j.jfd, 0);
		xg_sync_flags(ifc);
		undone = 1;
	}
	xg_journal_close(&j);
	return undone;
}
