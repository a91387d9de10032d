#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the DNS telemetry programs, ns per packet beside an empty tc
# program measured in the same run (build/dnsbench).
cd "$(dirname "$0")/../.."
echo "## tc DNS telemetry (build/dnsbench)"
build/dnsbench --repeat "${XG_BENCH_REPEAT:-1000000}" --rounds "${XG_BENCH_ROUNDS:-5}"
