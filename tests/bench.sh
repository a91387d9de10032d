#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: per-packet cost of each hot path beside a bare XDP_DROP
# program measured in the same run. Numbers only; nothing is asserted.
set -u
cd "$(dirname "$0")/.."
echo "# $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "## XDP guard (build/xgbench)"
build/xgbench --repeat "${XG_BENCH_REPEAT:-5000000}" --rounds "${XG_BENCH_ROUNDS:-5}"
for b in tests/bench.d/*.sh; do
	[ -f "$b" ] || continue
	echo
	bash "$b"
done
