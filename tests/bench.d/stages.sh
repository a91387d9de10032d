#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: a spoofed SYN's time in the XDP guard, stage by stage (one
# copy of the program per stage, build/stagebench). Numbers only.
set -u
cd "$(dirname "$0")/../.."
echo "## The SYN path by stages (build/stagebench)"
build/stagebench --repeat "${XG_BENCH_REPEAT:-1000000}" \
	--rounds "${XG_BENCH_ROUNDS:-5}" --calls "${XG_BENCH_CALLS:-20000}"
