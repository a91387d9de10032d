#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A big policy change killed with SIGKILL ends whole or undone. Two policies
# of 50000 deny entries each (IPv4 and IPv6, no entry in common, different
# default budgets): applying one over the other is a change of 100000 keys,
# far past the 4096 records of the old fixed journal. Each iteration kills
# the apply at a point spread over its run time; the next command must find
# either the old policy, every entry and its budget, or the new one, never
# a mix.
P=xgak-
. "$(dirname "$0")/../lib.sh"
t_start
ITER=${XG_APPLY_CRASH_ITER:-6}
MAXITER=$((ITER * 3))	# more tries while no kill has landed mid-change
A=/tmp/${P}a B=/tmp/${P}b
trap 'rm -f $A $B; t_cleanup' EXIT

gen() {	# gen V4BASE V6NET PPS: 25000 IPv4 /32 + 25000 IPv6 /64 denies
	python3 - "$@" <<'EOF'
import ipaddress, sys
v4, v6, pps = ipaddress.ip_address(sys.argv[1]), sys.argv[2], sys.argv[3]
print("rate default pps %s burst %s" % (pps, pps))
for i in range(25000):
    print("deny %s" % (v4 + i))
    print("deny 2001:db8:%s:%x::/64" % (v6, i))
print("mss off\ndry-run off\nend")
EOF
}
gen 198.18.0.0 a 10 >$A
gen 198.19.0.0 b 20 >$B

# which policy the guard holds: "A", "B" or what it is instead
held() {
	xg_srv save 2>/dev/null | python3 -c '
import sys
n = {"a4": 0, "a6": 0, "b4": 0, "b6": 0}
rate = "?"
for l in sys.stdin:
    if l.startswith("rate default"): rate = l.split()[3]
    elif l.startswith("deny 198.18."): n["a4"] += 1
    elif l.startswith("deny 2001:db8:a:"): n["a6"] += 1
    elif l.startswith("deny 198.19."): n["b4"] += 1
    elif l.startswith("deny 2001:db8:b:"): n["b6"] += 1
if n == {"a4": 25000, "a6": 25000, "b4": 0, "b6": 0} and rate == "10": print("A")
elif n == {"a4": 0, "a6": 0, "b4": 25000, "b6": 25000} and rate == "20": print("B")
else: print("mixed: pps %s, %s" % (rate, n))'
}

check "attach eth0" xg_srv attach eth0
xg_srv apply -f $A >/dev/null
expect_eq "apply the 50000 entries of A" "$(held)" A
UNDO=$(t_pin_dirs)/xg_undo
# wait_pin PID: until the change has begun (its undo journal pinned)
wait_pin() {
	local end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ]; do
		[ -e "$UNDO" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
	done
	return 1
}
t0=$(date +%s%N)
nsenter --net=/run/netns/${P}srv "$XG" apply -f $B >/dev/null &
pid=$!
wait_pin $pid; t1=$(date +%s%N)
wait $pid
t2=$(date +%s%N)
ms=$(( (t2 - t0) / 1000000 )) cms=$(( (t2 - t1) / 1000000 ))
expect_eq "B over A, 100000 changes, not killed: B" "$(held)" B
echo "# a change of 100000 keys took $ms ms, $cms ms of them with its journal on"

cur=B viol=0 whole=0 undone=0 mid=0 i=0 kills=0
while [ $i -lt $MAXITER ]; do
	[ $i -ge "$ITER" ] && [ $mid -gt 0 ] && break
	i=$((i + 1)) kills=$((kills + 1))
	[ $cur = A ] && { f=$B; next=B; } || { f=$A; next=A; }
	# odd iterations: kill points spread over the whole run (parse,
	# journal, change); even ones: over the change itself, from the moment
	# its journal is pinned
	k=$(( (i - 1) % ITER ))
	frac=$(( 5 + 85 * k / (ITER > 1 ? ITER - 1 : 1) ))
	nsenter --net=/run/netns/${P}srv "$XG" apply -f $f >/dev/null 2>&1 &
	pid=$!
	if [ $((i % 2)) = 1 ]; then
		t=$(( ms * frac / 100 + RANDOM % 20 ))
	else
		t=$(( cms * frac / 100 ))
		wait_pin $pid || echo "# iteration $i: no journal seen"
	fi
	sleep "$(printf '%d.%03d' $((t / 1000)) $((t % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	msg=$(xg_srv status 2>&1 >/dev/null)	# the next command recovers
	h=$(held)
	if [ "$h" = "$cur" ]; then
		undone=$((undone + 1))
		grep -q "interrupted; undone" <<<"$msg" && mid=$((mid + 1))
	elif [ "$h" = "$next" ]; then
		whole=$((whole + 1)); cur=$next
	else
		viol=$((viol + 1)); echo "# iteration $i (to $next, killed at $t ms): $h"
		break
	fi
	echo "# iteration $i: killed at $t ms$([ $((i % 2)) = 0 ] && echo ' into the change'): holds $h${msg:+ ($msg)}"
done
expect_eq "every killed change of 100000 keys ended whole or undone" "$viol" 0
echo "# $kills kills: $whole ended whole, $undone undone ($mid of them found half done)"
check "some kills landed mid-change and were undone ($mid)" test $mid -gt 0
check "the undo journal is gone after recovery" \
	bash -c "! ls $(t_pin_dirs)/xg_undo 2>/dev/null | grep -q ."
xg_srv apply -f $A >/dev/null
expect_eq "the next apply succeeds" "$?" 0
expect_eq "and holds A" "$(held)" A
t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
