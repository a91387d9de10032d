#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The event stream under a flood from a hundred thousand sources, each
# back ten times: every source goes over its budget, yet the kernel's per-CPU event budget keeps the records
# per second bounded and counts what it held back; `events --json` lines
# parse and carry the documented head (docs/events.md); --type filters;
# with no budget and a stalled consumer the ring overflows and the lost
# records are counted and reported, equal to the kernel's counter.
P=xgev-
. "$(dirname "$0")/../lib.sh"
t_start
tmp=$(mktemp -d /tmp/${P}XXXXXX)
# a pass through the sources must take less than the budget's refill (one
# second) even when the generator is slowed by a busy machine (262 k pps
# seen), or the sources come back within budget and nothing is over it
NSRC=100000
NCPU=$(nproc)
BUDGET=1000
mac=$(lab_mac ${P}srv eth0)

evstart() {	# evstart NAME [ARGS]: a reader in the server's namespace;
		# its pid in EVPID
	local name=$1; shift
	nsenter --net=/run/netns/${P}srv timeout 600 "$XG" events --json "$@" \
		>"$tmp/$name" 2>"$tmp/$name.err" &
	EVPID=$!
}
flood() {	# flood SECONDS [SOURCES [COUNT]]: sources counting up, each many times
	lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV6 --dport 80 \
		--src 2001:db8:dead::/48 --sources "${2:-$NSRC}" --count "${3:-0}" --duration "$1" --json
}
status_ev() { xg_srv status -i eth0 --json | json_get "d['interfaces'][0]$1"; }

# ---- bounded: budget 1000 per CPU per second ----
check "attach eth0: /128 sources, a table for 2M, 1 SYN/s each" \
	xg_srv attach eth0 --sources 2097152 --prefix6 128 --pps 1 --burst 1 \
	--event-budget $BUDGET
xg_srv deny add 2001:db8:dead::5/128 >/dev/null
evstart all; all=$EVPID
check "reader ready" t_wait_line "$tmp/all.err" following
# (a second reader reads through this one's relay: events_relay.sh)
s0=$(status_ev "['events_suppressed']")
# the first pass through the fresh table is the slow part (an LRU insert
# per SYN); then every source comes back over its budget
# (a count, not a time: a busy machine sends fewer per second)
flood 60 $NSRC $((10 * NSRC)) >"$tmp/flood"
sleep 0.5
kill -INT $all
wait $all; rc=$?
expect_eq "events exits 0 on SIGINT" "$rc" 0
supp=$(( $(status_ev "['events_suppressed']") - s0 ))
judged=$(status_ev "['counters']" | python3 -c '
import ast, sys
print(sum(c["packets"] for c in ast.literal_eval(sys.stdin.read()) if c["reason"] in ("syn_budget", "syn_over_budget")))')
check "$NSRC sources flooded: $judged SYNs judged" test "$judged" -ge $NSRC
echo "# flood: $(cat "$tmp/flood"); exit line: $(tail -1 "$tmp/all.err")"
check "every line parses and carries the head" python3 - "$tmp/all" <<'PY'
import json, re, sys
rfc = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    assert rfc.match(e["time"]), e["time"]
    for k in ("type", "interface", "netns", "family", "src", "sport", "dst", "dport"):
        assert k in e, (k, e)
    n += 1
assert n > 0
PY
# The budget is per CPU per one-second window, and each CPU's window
# starts at its own time: a calendar second may hold the end of one
# window and the start of the next (up to twice the budget per CPU);
# over the whole run the records are at most the budget per window.
read -r max span total <<<"$(python3 -c '
import collections, datetime, json, sys
t = [json.loads(l)["time"] for l in open(sys.argv[1])]
c = collections.Counter(x[:19] for x in t)
ts = sorted(datetime.datetime.strptime(x[:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp() for x in t)
print(max(c.values()), int(ts[-1] - ts[0]) + 1, len(t))' "$tmp/all")"
echo "# records: $total over $span s, at most $max in one calendar second"
check "records per second bounded ($max in a calendar second <= 2 x $BUDGET x $NCPU CPUs)" \
	test "$max" -le $((2 * BUDGET * NCPU))
check "records in all ($total) <= $BUDGET x $NCPU CPUs x ($span + 1) windows" \
	test "$total" -le $((BUDGET * NCPU * (span + 1)))
# (the bucket's clock is the coarse one: a tick, 4 ms here, of slack)
check "a source appears at most once a second" python3 -c '
import collections, datetime, json, sys
by = collections.defaultdict(list)
for e in map(json.loads, open(sys.argv[1])):
    if e["type"] == "throttle":
        by[e["prefix"]].append(datetime.datetime.strptime(e["time"][:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp())
gaps = [b - a for t in by.values() for a, b in zip(sorted(t), sorted(t)[1:])]
assert by and (not gaps or min(gaps) >= 0.99), min(gaps)' "$tmp/all"
check "the kernel held back what was over the budget ($supp)" test "$supp" -gt 0
expect_eq "the exit line reports what was held back" \
	"$(sed -n 's/.* \([0-9]*\) held back.*/\1/p' "$tmp/all.err")" "$supp"
# ---- lost: no budget, a consumer stopped while the ring fills ----
check "detach" xg_srv detach eth0
check "attach with --event-budget 0 (no limit)" \
	xg_srv attach eth0 --sources 1048576 --prefix6 128 --pps 1 --burst 1 \
	--event-budget 0
evstart lost; rd=$EVPID
check "reader ready" t_wait_line "$tmp/lost.err" following
l0=$(status_ev "['events_lost']")
pkill -STOP -P $rd	# xdpguard itself, the child of timeout
# a fresh table, fewer sources: ten SYNs each, far more records than the
# ring holds however slowly the machine sends them
flood 120 100000 1000000 >"$tmp/flood2"
echo "# flood: $(cat "$tmp/flood2")"
pkill -CONT -P $rd
sleep 1
kill -TERM $rd
wait $rd
lost=$(( $(status_ev "['events_lost']") - l0 ))
echo "# $(tail -1 "$tmp/lost.err")"
check "the ring overflowed: records lost ($lost)" test "$lost" -gt 0
expect_eq "the exit line reports the lost records" \
	"$(sed -n 's/.* records, \([0-9]*\) lost.*/\1/p' "$tmp/lost.err")" "$lost"
check "what was read parses" python3 -c '
import json, sys
assert sum(1 for l in open(sys.argv[1]) if json.loads(l)) > 0' "$tmp/lost"

# ---- --type: only the types asked for ----
xg_srv deny add 2001:db8:dead::5/128 >/dev/null
evstart deny --type deny_hit; deny=$EVPID
check "reader ready" t_wait_line "$tmp/deny.err" following
flood 2 100000 >/dev/null
sleep 0.5
kill -INT $deny
wait $deny
check "--type deny_hit: only deny_hit records" python3 -c '
import json, sys
t = [json.loads(l)["type"] for l in open(sys.argv[1])]
assert t and set(t) == {"deny_hit"}, t[:5]' "$tmp/deny"
expect_eq "... for the denied source" \
	"$(json_get 'd["src"] + " " + d["prefix"]' <<<"$(head -1 "$tmp/deny")")" \
	"2001:db8:dead::5 2001:db8:dead::5/128"


# ---- bad --type ----
out=$(xg_srv events --type throttle,nope 2>&1); rc=$?
expect_eq "unknown --type: usage error" "$rc" 2
check "... names it and the accepted ones" grep -q "unknown event type 'nope' (accepted: throttle" <<<"$out"
out=$(xg_srv events -i eth0 --type sockets 2>&1); rc=$?
expect_eq "-i with host-only types: usage error" "$rc" 2

rm -rf "$tmp"
t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
