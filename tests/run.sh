#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every test: unit binaries (build/tests/*) then integration scripts
# (tests/integration/*.sh). Each prints TAP-like lines "ok - NAME" or
# "not ok - NAME" ("ok - NAME # SKIP why" for a skip); a test that exits
# non-zero without a "not ok" line counts as one failure.
# Usage: tests/run.sh [PATTERN]   (runs the tests whose name contains it)
set -u
cd "$(dirname "$0")/.."
pat=${1:-}
pass=0 fail=0 skip=0
log=$(mktemp -d /tmp/xg-tests.XXXXXX)

run_one() {
	local name=$1; shift
	local out="$log/$name.log" rc p f s
	local t0=$SECONDS
	echo "== $name"
	timeout --kill-after=10 "${XG_TEST_TIMEOUT:-300}" "$@" >"$out" 2>&1
	rc=$?
	echo "   ($name: $((SECONDS - t0)) s)"
	grep -E '^(not )?ok - ' "$out" | sed 's/^/   /'
	s=$(grep -cE '^ok - .*# SKIP' "$out")
	p=$(( $(grep -cE '^ok - ' "$out") - s ))
	f=$(grep -cE '^not ok - ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "   not ok - $name exited with status $rc"
	fi
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "   --- log of $name (last 40 lines):"
		tail -n 40 "$out" | sed 's/^/   | /'
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

for t in build/tests/*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	[[ -n "$pat" && "$n" != *"$pat"* ]] && continue
	run_one "$n" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	[[ -n "$pat" && "$n" != *"$pat"* ]] && continue
	run_one "$n" bash "$t"
done
rm -rf "$log"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
