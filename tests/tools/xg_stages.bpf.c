// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP guard with its bench stops (XG_BENCH_STAGES, bench_stop): for
 * build/stagebench only, never attached. The same source, so the stages
 * timed are the attached program's.
 */
#define XG_BENCH_STAGES
#include "xdp_guard.bpf.c"
