#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the tc MSS clamp / PTB / egress programs, ns per packet beside
# an empty tc program measured in the same run (build/mssbench).
cd "$(dirname "$0")/../.."
echo "## tc MSS clamp and PMTU telemetry (build/mssbench)"
build/mssbench --calls "${XG_BENCH_CALLS:-100000}" --rounds "${XG_BENCH_ROUNDS:-5}"
