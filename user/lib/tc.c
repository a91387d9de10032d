// SPDX-License-Identifier: GPL-2.0
/*
 * tc filters as the kernel holds them: a netlink dump of the clsact
 * ingress and egress filters of an interface, with the BPF program id of
 * each cls_bpf filter. What detach and attach use to clean up what is
 * really attached when the pins no longer say (bpffs remounted, pins
 * removed), and what tells whether a clsact qdisc is still in use.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib.h"

static __u32 bpf_id_of(struct rtattr *opts)
{
	int len = RTA_PAYLOAD(opts);
	struct rtattr *a;

	for (a = RTA_DATA(opts); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == TCA_BPF_ID &&
		    RTA_PAYLOAD(a) >= sizeof(__u32))
			return *(__u32 *)RTA_DATA(a);
	return 0;
}

static void parse_filter(struct nlmsghdr *nh, bool egress,
			 struct xg_tc_filter *f)
{
	struct tcmsg *tc = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));
	struct rtattr *a;

	memset(f, 0, sizeof(*f));
	f->egress = egress;
	f->handle = tc->tcm_handle;
	f->priority = TC_H_MAJ(tc->tcm_info) >> 16;
	for (a = (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof(*tc)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == TCA_OPTIONS)
			f->prog_id = bpf_id_of(a);
}

int xg_tc_filters(int ifindex, int (*fn)(const struct xg_tc_filter *f,
					 void *arg), void *arg)
{
	static const __u32 parents[] = {
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
	};
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req;
	struct xg_tc_filter f;
	char buf[16384];
	struct nlmsghdr *nh;
	int fd, n = 0, len, i;
	bool done;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_len = sizeof(req);
		req.nh.nlmsg_type = RTM_GETTFILTER;
		req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		req.nh.nlmsg_seq = i + 1;
		req.tc.tcm_family = AF_UNSPEC;
		req.tc.tcm_ifindex = ifindex;
		req.tc.tcm_parent = parents[i];
		if (send(fd, &req, sizeof(req), 0) < 0)
			goto fail;
		for (done = false; !done;) {
			len = recv(fd, buf, sizeof(buf), 0);
			if (len <= 0)
				goto fail;
			for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
			     nh = NLMSG_NEXT(nh, len)) {
				if (nh->nlmsg_type == NLMSG_DONE) {
					done = true;
					break;
				}
				if (nh->nlmsg_type == NLMSG_ERROR)
					goto fail;
				if (nh->nlmsg_type != RTM_NEWTFILTER)
					continue;
				parse_filter(nh, i, &f);
				/* the chain's head entry has no handle */
				if (!f.handle)
					continue;
				n++;
				if (fn && fn(&f, arg))
					continue;
			}
		}
	}
	close(fd);
	return n;
fail:
	close(fd);
	return -1;
}

/* The name of BPF program @id into @name; false if it is gone. */
bool xg_prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info pi = {};
	__u32 il = sizeof(pi);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ok;

	if (fd < 0)
		return false;
	ok = !bpf_obj_get_info_by_fd(fd, &pi, &il);
	close(fd);
	if (ok)
		snprintf(name, len, "%s", pi.name);
	return ok;
}

struct ours {
	struct xg_tc_filter f[16];
	int n;
};

static int collect_ours(const struct xg_tc_filter *f, void *arg)
{
	struct ours *o = arg;
	char name[BPF_OBJ_NAME_LEN];

	if (f->prog_id && xg_prog_name(f->prog_id, name, sizeof(name)) &&
	    !strncmp(name, "xg_", 3) && o->n < 16)
		o->f[o->n++] = *f;
	return 0;
}

/*
 * Remove the cls_bpf filters of @ifindex that run xdpguard programs
 * (named xg_*), whatever the pins say; how many, or -1.
 */
int xg_tc_remove_ours(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex);
	struct ours o = { .n = 0 };
	int i, n = 0;

	if (xg_tc_filters(ifindex, collect_ours, &o) < 0)
		return -1;
	for (i = 0; i < o.n; i++) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = o.f[i].handle,
			    .priority = o.f[i].priority);

		hook.attach_point = o.f[i].egress ? BPF_TC_EGRESS :
						    BPF_TC_INGRESS;
		if (!bpf_tc_detach(&hook, &opts))
			n++;
	}
	return n;
}

/*
 * A component's two cls_bpf filters: @fd[0] at @ifindex's clsact ingress,
 * @fd[1] at egress (the qdisc made when missing: *qdisc_created), their
 * handle, priority and program id recorded in @p as each goes on; @step
 * (may be NULL) is called after each one, so that a killed attach's
 * recovery finds it. 0, or -1 said (what went on stays for
 * xg_tc_pair_remove).
 */
int xg_tc_pair_attach(int ifindex, const char *ifname, const char *what,
		      const int fd[2], struct xg_tc_pair *p,
		      void (*step)(void *arg), void *arg)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int i, err;

	xg_tc_quiet(true);
	err = bpf_tc_hook_create(&hook);
	xg_tc_quiet(false);
	if (err && err != -EEXIST) {
		xg_err("cannot add a clsact qdisc to %s: %s", ifname,
		       strerror(-err));
		return -1;
	}
	*p->qdisc_created = !err;
	for (i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = fd[i]);

		hook.attach_point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		err = bpf_tc_attach(&hook, &o);
		if (err) {
			xg_err("cannot attach the %s tc %s program to %s: %s",
			       what, i ? "egress" : "ingress", ifname,
			       strerror(-err));
			return -1;
		}
		p->handle[i] = o.handle;
		p->priority[i] = o.priority;
		p->prog_id[i] = o.prog_id;
		if (step)
			step(arg);
	}
	return 0;
}

/*
 * Remove the filters @p records from @ifindex, each only if it still runs
 * the recorded program (one removed by hand is not news: quietly), then
 * the clsact if it was made for them and nothing else is on it.
 */
void xg_tc_pair_remove(int ifindex, const struct xg_tc_pair *p)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex);
	int i, err;

	for (i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = p->handle[i],
			    .priority = p->priority[i]);
		LIBBPF_OPTS(bpf_tc_opts, d, .handle = p->handle[i],
			    .priority = p->priority[i]);

		if (!p->prog_id[i])
			continue;
		hook.attach_point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		xg_tc_quiet(true);
		err = bpf_tc_query(&hook, &q);
		xg_tc_quiet(false);
		if (err || q.prog_id != p->prog_id[i])
			continue;
		bpf_tc_detach(&hook, &d);
	}
	if (*p->qdisc_created && xg_tc_filters(ifindex, NULL, NULL) == 0) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		xg_tc_quiet(true);
		bpf_tc_hook_destroy(&hook);
		xg_tc_quiet(false);
	}
}
