// SPDX-License-Identifier: GPL-2.0
/* The yardstick for the tc programs in make bench: an empty tc program. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	return -1;	/* TC_ACT_UNSPEC, as the programs measured beside it */
}

char LICENSE[] SEC("license") = "GPL";
