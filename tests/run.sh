#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every test: unit binaries (build/tests/*) then integration scripts
# (tests/integration/*.sh). Each prints TAP-like lines "ok - NAME" or
# "not ok - NAME" ("ok - NAME # SKIP why" for a skip); a test that exits
# non-zero without a "not ok" line counts as one failure.
# Usage: tests/run.sh [PATTERN]   (runs the tests whose name contains it)
#
# The unit binaries run one after the other (a few seconds). The
# integration tests run side by side, XG_JOBS at a time (default: CPUs
# + 1, since most of them wait on timers, retransmissions and processes
# more than they compute), each bounded by XG_TEST_TIMEOUT seconds
# (default 600: a bound for a hung test, which a busy machine must not
# reach; the servers a test starts live as long). Each is isolated:
#  - its own pin root, $XDPGUARD_PIN_ROOT-NAME (base default
#    /sys/fs/bpf/xdpguard-test): its host-wide telemetry, locks and
#    folders are its own, and a root left by an interrupted run is removed
#    (with a "# note") before the test starts again;
#  - its own namespace names: the P of each script, after XG_NS_PREFIX;
#  - its checks count only its own objects (ids, counters, cookies).
# Their output is printed in the fixed order of the files, each test once
# it and every test before it have finished, with its time in seconds.
#
# The tests named in ALONE (space separated) run with no other test of
# this suite beside them: none needs that today. Every test asserts counts
# the kernel itself reports, or invariants, never a rate or a share of a
# flood that depends on the machine's load; crash, which counted every
# xdpguard object of the kernel, counts those its own pin root and
# interfaces hold. A test that needs the whole machine (a timing it
# cannot measure itself) goes there, with its reason here.
# Only one run per pin root at a time: a run takes a lock that its tests
# inherit. The next run waits for a run in progress; one that finds the
# lock held by an earlier run's tests whose run.sh was killed stops them
# (SIGTERM: they clean up) and says so.
set -u
cd "$(dirname "$0")/.."
# Debian's tools first (see tests/lib.sh)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
pats=("$@")
# wanted NAME: no pattern given, or NAME contains one of them
wanted() {
	local p
	[ ${#pats[@]} = 0 ] && return 0
	for p in "${pats[@]}"; do
		[[ "$1" == *"$p"* ]] && return 0
	done
	return 1
}
pass=0 fail=0 skip=0
ALONE=" "
# started first (the longest, as measured on 2 CPUs), so that the run is
# not left waiting on one of them at its end; still printed in file order
FIRST=" ifaces replace replace_crash crash cookies cli concurrency cookies_auto events synflood "
BASE=${XDPGUARD_PIN_ROOT:-/sys/fs/bpf/xdpguard-test}
JOBS=${XG_JOBS:-$(( $(nproc) + 1 ))}
TMO=${XG_TEST_TIMEOUT:-600}

lock=/run/lock/xg-tests-${BASE##*/}.lock
exec 9>>"$lock"
if ! flock -n 9; then
	owner=$(cat "$lock" 2>/dev/null)
	if [ -n "$owner" ] && tr '\0' ' ' 2>/dev/null <"/proc/$owner/cmdline" |
			grep -q 'tests/run.sh'; then
		echo "# note: another run of the suite (pid $owner) uses $BASE: waiting for it"
	else
		holders=$(fuser "$lock" 2>/dev/null | tr -s ' ' | sed "s/\b$$\b//")
		echo "# note: an earlier run's tests still hold $lock (pids$holders), their run.sh gone: stopping them"
		# shellcheck disable=SC2086
		[ -n "${holders// /}" ] && kill -TERM $holders 2>/dev/null
	fi
	flock -w $((TMO * 4)) 9 || { echo "cannot take $lock"; exit 1; }
fi
echo $$ >"$lock"
log=$(mktemp -d /tmp/xg-tests.XXXXXX)

# report one finished test: its time, its result lines, its log on failure
report() {
	local name=$1 out="$log/$1.log" rc p f s
	rc=$(cat "$log/$name.rc")
	echo "== $name"
	echo "   ($name: $(cat "$log/$name.sec") s)"
	grep -E '^(not )?ok - ' "$out" | sed 's/^/   /'
	grep -E '^# note' "$out" | sed 's/^/   /'
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

# run one test in the background: NAME CMD...
start() {
	local name=$1; shift
	(
		root=$BASE-$name
		if [ -n "$(ls -A "$root" 2>/dev/null)" ]; then
			echo "# note: $root left by an earlier run (" \
				"$(ls "$root" | tr '\n' ' ')): removed"
		fi
		rm -rf "$root"
		export XDPGUARD_PIN_ROOT=$root
		t0=$(date +%s%N)
		timeout --kill-after=60 "$TMO" "$@"
		echo $? >"$log/$name.rc.tmp"
		echo $(( ($(date +%s%N) - t0) / 1000000000 )) >"$log/$name.sec"
		if [ -n "$(ls -A "$root" 2>/dev/null)" ]; then
			echo "# note: $root still holds $(ls "$root" | tr '\n' ' ')after the test: removed"
		fi
		# and its run folder (events: ring locks, relay sockets)
		rm -rf "$root" "/run/${root##*/}"
		mv "$log/$name.rc.tmp" "$log/$name.rc"
	) >"$log/$name.log" 2>&1 &
	pids[$name]=$!
}

declare -A pids=()
names=() cmds=()
for t in build/tests/*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	wanted "$n" || continue
	names+=("$n") cmds+=("$t")
done
nunit=${#names[@]}
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	wanted "$n" || continue
	names+=("$n") cmds+=("bash $t")
done
# the order tests start in: unit tests, the FIRST ones, the others
order=()
for ((i = 0; i < ${#names[@]}; i++)); do
	[ "$i" -lt "$nunit" ] && order+=("$i")
done
for f in $FIRST; do
	for ((i = nunit; i < ${#names[@]}; i++)); do
		[ "${names[$i]}" == "$f" ] && order+=("$i")
	done
done
for ((i = nunit; i < ${#names[@]}; i++)); do
	[[ "$FIRST" == *" ${names[$i]} "* ]] || order+=("$i")
done

stop_all() {
	local p
	echo "# interrupted: stopping the running tests"
	for p in "${pids[@]}"; do
		pkill -TERM -P "$p" timeout 2>/dev/null
	done
	wait
	rm -rf "$log"
	exit 130
}
trap stop_all INT TERM HUP

next=0 shown=0 total=${#names[@]}
while [ "$shown" -lt "$total" ]; do
	# how many run now, and whether one of them must be alone
	running=0 alone=0
	for n in "${!pids[@]}"; do
		[ -e "$log/$n.rc" ] && continue
		running=$((running + 1))
		[[ "$ALONE" == *" $n "* ]] && alone=1
	done
	while [ "$next" -lt "$total" ] && [ "$alone" -eq 0 ]; do
		k=${order[$next]}
		n=${names[$k]}
		if [ "$next" -lt "$nunit" ]; then	# unit tests: one at a time
			[ "$running" -gt 0 ] && break
		elif [[ "$ALONE" == *" $n "* ]]; then
			[ "$running" -gt 0 ] && break
			alone=1
		elif [ "$running" -ge "$JOBS" ]; then
			break
		fi
		# shellcheck disable=SC2086
		start "$n" ${cmds[$k]}
		next=$((next + 1)) running=$((running + 1))
		[ "$next" -le "$nunit" ] && break
	done
	while [ "$shown" -lt "$total" ] && [ -e "$log/${names[$shown]}.rc" ]; do
		wait "${pids[${names[$shown]}]}" 2>/dev/null
		report "${names[$shown]}"
		shown=$((shown + 1))
	done
	[ "$shown" -lt "$total" ] && sleep 0.2
done
rm -rf "$log"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
