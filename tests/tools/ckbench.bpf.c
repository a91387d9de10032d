// SPDX-License-Identifier: GPL-2.0
/*
 * ckbench, BPF side: lets BPF_PROG_TEST_RUN time a path that rewrites its
 * frame with repeat N. ck_restore puts the template frame (ck_tmpl) back
 * and tail-calls ck_progs[0]: the XDP guard, or the bare XDP_DROP program
 * for the yardstick of the same restore. The difference between the two
 * is the guard's cost on a warm cache.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define CK_WORDS 32

struct ck_tmpl {
	__u32 len;
	__u32 w[CK_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ck_tmpl);
} ck_tmpl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ck_progs SEC(".maps");

SEC("xdp")
int ck_restore(struct xdp_md *ctx)
{
	struct ck_tmpl *t;
	__u32 zero = 0, *d;
	void *data, *end;
	long len;
	int i;

	t = bpf_map_lookup_elem(&ck_tmpl, &zero);
	if (!t || t->len > CK_WORDS * 4 || t->len & 1)
		return XDP_ABORTED;
	len = (long)ctx->data_end - (long)ctx->data;
	asm volatile("" : "+r"(len));
	if (len != t->len && bpf_xdp_adjust_tail(ctx, (int)t->len - (int)len))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	d = data;
#pragma unroll
	for (i = 0; i < CK_WORDS; i++) {
		if ((void *)(d + i + 1) > end) {
			/* an even length: two bytes left at most */
			if ((void *)(d + i) + 2 <= end)
				*(__u16 *)(d + i) = *(__u16 *)&t->w[i];
			break;
		}
		d[i] = t->w[i];
	}
	bpf_tail_call(ctx, &ck_progs, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
