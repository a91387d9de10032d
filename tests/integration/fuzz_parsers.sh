#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A short run of each libFuzzer target (make fuzz runs them longer).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
for f in "$ROOT"/build/*_fuzz; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	corpus=$(mktemp -d /tmp/xg-corpus.XXXXXX)
	if "$f" -runs="${XG_FUZZ_RUNS:-200000}" "$corpus" "$ROOT/tests/fuzz/corpus" >"$corpus.log" 2>&1; then
		echo "ok - $n: $(grep -o 'Done [0-9]* runs' "$corpus.log")"
	else
		echo "not ok - $n: $(grep -m1 -E 'ERROR|abort|runtime error' "$corpus.log")"
		fail=1
	fi
	rm -rf "$corpus" "$corpus.log"
done
exit $fail
