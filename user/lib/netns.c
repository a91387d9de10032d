// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespace identity. A namespace is named by its cookie
 * (SO_NETNS_COOKIE), which the kernel never hands out twice within a boot;
 * its inode number is reused as soon as the namespace is gone. The inode
 * still helps to find a namespace quickly: the candidates are the bind
 * mounts under /run/netns and the namespaces of running processes, and
 * only one whose inode matches is entered to compare cookies.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

__u64 xg_netns_cookie(void)
{
	socklen_t len = sizeof(__u64);
	__u64 cookie = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

static __u64 ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

__u64 xg_netns_ino(void)
{
	return ns_ino("/proc/self/ns/net");
}

/*
 * The host's namespace is the initial one, whose inode number is fixed
 * (PROC_NET_INIT_INO); PID 1's may not be readable (a supervisor with
 * other credentials), so it is only a second opinion.
 */
#define XG_NET_INIT_INO	0xEFFFFFF9U

bool xg_netns_is_host(void)
{
	__u64 self = xg_netns_ino();

	return self == XG_NET_INIT_INO ||
	       (self && self == ns_ino("/proc/1/ns/net"));
}

/* The candidates, one path per distinct namespace, in *paths (malloc'd). */
struct ns_cand {
	__u64 ino;
	char path[64];
};

static int add_cand(struct ns_cand **v, int *n, int *cap, const char *path)
{
	struct ns_cand *nv;
	__u64 ino = ns_ino(path);
	int i;

	if (!ino || strlen(path) >= sizeof((*v)->path))
		return 0;
	for (i = 0; i < *n; i++)
		if ((*v)[i].ino == ino)
			return 0;
	if (*n == *cap) {
		nv = realloc(*v, (*cap ? *cap * 2 : 64) * sizeof(**v));
		if (!nv)
			return -1;
		*v = nv;
		*cap = *cap ? *cap * 2 : 64;
	}
	(*v)[*n].ino = ino;
	strcpy((*v)[*n].path, path);
	(*n)++;
	return 0;
}

static int candidates(struct ns_cand **out)
{
	static const char *const bind_dirs[] = { "/run/netns", "/var/run/netns" };
	struct ns_cand *v = NULL;
	int n = 0, cap = 0;
	char path[64];
	struct dirent *de;
	unsigned int i;
	DIR *d;

	for (i = 0; i < 2; i++) {
		d = opendir(bind_dirs[i]);
		if (!d)
			continue;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' &&
			    snprintf(path, sizeof(path), "%s/%s", bind_dirs[i],
				     de->d_name) < (int)sizeof(path))
				add_cand(&v, &n, &cap, path);
		closedir(d);
	}
	d = opendir("/proc");
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
			    snprintf(path, sizeof(path), "/proc/%s/ns/net",
				     de->d_name) < (int)sizeof(path))
				add_cand(&v, &n, &cap, path);
		closedir(d);
	}
	*out = v;
	return n;
}

static int enter_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -1;
	err = setns(fd, CLONE_NEWNET);
	close(fd);
	return err;
}

int xg_netns_enter(__u64 cookie, __u64 ino, int *back)
{
	struct ns_cand *v;
	int n, i, ret = 1;

	*back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*back < 0)
		return -1;
	n = candidates(&v);
	for (i = 0; i < n && ret == 1; i++) {
		if (ino && v[i].ino != ino)
			continue;
		if (enter_path(v[i].path))
			continue;
		if (xg_netns_cookie() == cookie)
			ret = 0;
		else if (setns(*back, CLONE_NEWNET))
			ret = -1;
	}
	free(v);
	if (ret) {
		close(*back);
		*back = -1;
	}
	return ret;
}

void xg_netns_leave(int back)
{
	if (back < 0)
		return;
	if (setns(back, CLONE_NEWNET))
		xg_err("cannot return to the first network namespace: %s",
		       strerror(errno));
	close(back);
}

int xg_netns_each(int (*fn)(__u64 cookie, void *arg), void *arg)
{
	struct ns_cand *v;
	int n, i, back, ret = 0;

	back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (back < 0)
		return -1;
	n = candidates(&v);
	for (i = 0; i < n && !ret; i++) {
		if (enter_path(v[i].path))
			continue;
		ret = fn(xg_netns_cookie(), arg);
		if (setns(back, CLONE_NEWNET)) {
			xg_err("cannot return to the first network namespace: "
			       "%s", strerror(errno));
			ret = -1;
		}
	}
	free(v);
	close(back);
	return ret;
}

void xg_netns_name(__u64 ino, char *buf, size_t len)
{
	char path[300];
	struct dirent *de;
	DIR *d = opendir("/run/netns");

	snprintf(buf, len, "inode %llu", (unsigned long long)ino);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (ns_ino(path) == ino) {
			snprintf(buf, len, "%s", de->d_name);
			break;
		}
	}
	closedir(d);
}

/* Whether two /proc/.../ns/ files name the same namespace. */
bool xg_same_ns(const char *a, const char *b)
{
	__u64 ia = ns_ino(a);

	return ia && ia == ns_ino(b);
}
