#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Two live readers of one ring (docs/events.md, "More than one reader"):
# the first claims the ring and serves its relay socket, the second reads
# there; both print every record of a deterministic set (one deny_hit per
# denied source), field for field. When the owner exits the other claims
# the ring and loses nothing. A stopped reader never holds the owner up:
# what it missed is counted, told to it, and is exactly what the owner
# read and it did not print. A detach makes every reader say so and exit
# 0 within a bound; a re-attach makes it follow the new ring (a record
# from it), attach --replace changes nothing. The lock lives in the run
# folder: a symlink planted there is not followed, stale locks are
# removed at start, a held one is not, and the folder is trusted only if
# it is root's and 0700 (and made only by root). A reader with
# CAP_DAC_OVERRIDE alone (uid nobody, as the units run it) reads through
# root's relay and takes the ring over.
P=xger-
. "$(dirname "$0")/../lib.sh"

RUN=/run/${XG_PINS##*/}
tmp=$(mktemp -d /tmp/${P}XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	t_ns_down
	rm -rf "$tmp" "$RUN"
	[ -n "${KEY:-}" ] && rm -f "/run/lock/xdpguard-events-$KEY.lock"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
t_ns e0:e1
N=20
MAC=$(lab_mac $NS e0)

ev() {	# ev NAME [ARGS]: a reader in the namespace; its pid in EVPID
	local name=$1; shift
	nsenter --net=/run/netns/$NS "$XG" events "$@" >"$tmp/$name" 2>"$tmp/$name.err" &
	EVPID=$!
	PIDS+=("$EVPID")
}
# one SYN from each of N denied sources 198.18.7.1..N: N deny_hit records
# (one per deny entry per second: rounds are more than a second apart)
syns() {
	nsenter --net=/run/netns/$NS "$FLOOD" --dev e1 --dst-mac "$MAC" --dst 198.18.0.1 \
		--dport 80 --src "${2:-198.18.7.1/24}" --sources "${1:-$N}" --count "${1:-$N}" \
		--duration 10 >/dev/null 2>&1
}
lines() { local n; n=$(grep -c . "$1" 2>/dev/null); echo "${n:-0}"; }
wait_lines() {	# wait_lines FILE N: up to 10 s
	local i
	for i in $(seq 100); do [ "$(lines "$1")" -ge "$2" ] && return 0; sleep 0.1; done
	return 1
}
wait_gone() {	# wait_gone PID SECONDS
	local i
	for i in $(seq $(( $2 * 10 ))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
deny_all() {
	local i
	for i in $(seq 1 $N); do x deny add 198.18.7.$i/32 >/dev/null || return 1; done
}
# same records in two JSON-lines files: every field but the time equal,
# line for line; the times (each reader moves the kernel's clock to wall
# time when it starts) within 10 ms
same_records() {
	python3 - "$@" <<'PY'
import datetime, json, sys
def load(f, skip=0):
    return [json.loads(l) for l in open(f)][skip:]
a, b = load(sys.argv[1], int(sys.argv[3]) if len(sys.argv) > 3 else 0), load(sys.argv[2])
assert a and len(a) == len(b), (len(a), len(b))
ts = lambda s: datetime.datetime.strptime(s[:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
for x, y in zip(a, b):
    assert abs(ts(x.pop("time")) - ts(y.pop("time"))) < 0.01, (x, y)
    assert x == y, (x, y)
PY
}
exit_field() {	# exit_field FILE 'sed expression'
	sed -n "s/^xdpguard events: [0-9]* records, .*$2.*/\\1/p" "$1"
}

# no event budget, a SYN a second per /32: a throttle record per source
# over it (for the stopped reader below)
check "attach e0" x attach e0 --mode skb --prefix4 32 --sources 65536 --event-budget 0
check "rate 1 SYN/s per source" x rate set -i e0 --pps 1 --burst 1
check "deny $N sources" deny_all
KEY=$(basename "$(ls -d "$XG_PINS"/*-e0)")

# ---- two readers, one ring ----
ev a --json; A=$EVPID
check "first reader ready" t_wait_line "$tmp/a.err" following
check "... its lock and relay socket in $RUN" test -f "$RUN/$KEY.lock" -a -S "$RUN/$KEY.sock"
expect_eq "... the run folder is root's, 0700" "$(stat -c '%U %a' "$RUN")" "root 700"
expect_eq "... the socket 0600" "$(stat -c '%a' "$RUN/$KEY.sock")" 600
ev b --json; B=$EVPID
check "second reader: reads through the relay, saying so" \
	t_wait_line "$tmp/b.err" "is followed by another reader (pid $A): reading it through its relay"
check "... the owner says it serves one" t_wait_line "$tmp/a.err" "1 other reader reads it"
syns
check "owner: $N records" wait_lines "$tmp/a" $N
check "relayed reader: $N records" wait_lines "$tmp/b" $N
expect_eq "... all deny_hit, one per denied source" \
	"$(python3 -c '
import json, sys
print(sorted(int(e["src"].split(".")[3]) for e in map(json.loads, open(sys.argv[1])) if e["type"] == "deny_hit") == list(range(1, int(sys.argv[2]) + 1)))' "$tmp/a" $N)" True
check "both readers printed the same records, field for field" same_records "$tmp/a" "$tmp/b"

# ---- the owner exits: the other claims the ring ----
kill -INT $A; wait $A; rc=$?
expect_eq "owner exits 0 on SIGINT" "$rc" 0
check "the relayed reader takes the ring over, saying so" \
	t_wait_line "$tmp/b.err" "this one follows the ring now"
sleep 1.1	# the next second: one more record per deny entry
syns
check "... and reads it: $N more records" wait_lines "$tmp/b" $((2 * N))
expect_eq "... the new ones are the second hit of each rule" \
	"$(tail -n $N "$tmp/b" | python3 -c '
import json, sys
print(sorted(json.loads(l)["hits"] for l in sys.stdin) == [2] * int(sys.argv[1]))' $N)" True

# ---- a stopped reader: counted, never blocking ----
ev c --json; C=$EVPID
check "third reader through the relay" t_wait_line "$tmp/c.err" "reading it through its relay"
check "... the owner says it serves one" t_wait_line "$tmp/b.err" "1 other reader reads it"
kill -STOP $C
b0=$(lines "$tmp/b")
# 20000 sources, each twice: the second SYN of each is over budget
nsenter --net=/run/netns/$NS "$FLOOD" --dev e1 --dst-mac "$MAC" --dst 198.18.0.1 --dport 80 \
	--src 198.19.0.0/16 --sources 20000 --count 40000 --duration 20 >/dev/null 2>&1
sleep 1
b1=$(lines "$tmp/b")
kill -CONT $C
check "the owner kept reading while it was stopped ($((b1 - b0)) records)" test $((b1 - b0)) -gt 5000
sleep 1
kill -INT $C; wait $C; rc=$?
expect_eq "stopped reader exits 0" "$rc" 0
missed=$(exit_field "$tmp/c.err" ', \([0-9]*\) not relayed')
echo "# owner read $((b1 - b0)), stopped reader printed $(lines "$tmp/c"), missed ${missed:-?}"
check "... it missed some, said so" grep -q "records not relayed to this reader" "$tmp/c.err"
expect_eq "... printed + missed = what the owner read meanwhile" \
	"$(( $(lines "$tmp/c") + ${missed:-0} ))" "$((b1 - b0))"

# ---- attach --replace keeps the ring; detach: said, exit 0 ----
ev d --json --type deny_hit; D=$EVPID
check "a relayed reader again" t_wait_line "$tmp/d.err" "reading it through its relay"
check "attach --replace" x attach --replace e0
sleep 2.2
check "... no reader says re-attached (the same ring)" \
	bash -c "! grep -q re-attached $tmp/b.err $tmp/d.err"
x detach e0 >/dev/null
t0=$(date +%s%N)
check "detach: the owner exits within 8 s" wait_gone $B 8
check "... the relayed reader too" wait_gone $D 8
echo "# gone after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
wait $B; rb=$?
wait $D; rd=$?
expect_eq "... both exit 0" "$rb $rd" "0 0"
check "... saying e0 detached" grep -q "e0 detached: no longer followed" "$tmp/b.err"
check "... (both)" grep -q "e0 detached: no longer followed" "$tmp/d.err"
check "... the lock and the socket are gone" test ! -e "$RUN/$KEY.lock" -a ! -e "$RUN/$KEY.sock"

# ---- re-attach: the new ring is followed ----
check "attach e0 again" x attach e0 --mode skb
deny_all
ev e --json --type deny_hit; E=$EVPID
check "reader ready" t_wait_line "$tmp/e.err" following
kill -STOP $E	# no check may fall between detach and attach
x detach e0 >/dev/null
x attach e0 --mode skb >/dev/null
deny_all
kill -CONT $E
check "re-attach: the reader says so" t_wait_line "$tmp/e.err" "e0 was re-attached: following its new ring"
syns
check "... and prints $N records from the new ring" wait_lines "$tmp/e" $N
check "... still running" kill -0 $E
kill -INT $E; wait $E

# ---- the lock: no symlink followed, stale ones removed ----
KEY=$(basename "$(ls -d "$XG_PINS"/*-e0)")
echo secret >"$tmp/target"
ln -s "$tmp/target" "$RUN/$KEY.lock"
out=$(x events --type deny_hit 2>&1 </dev/null); rc=$?
expect_eq "a symlink at the lock path: exit 1" "$rc" 1
check "... saying it is not followed" grep -q "a symbolic link, not followed" <<<"$out"
expect_eq "... its target untouched" "$(cat "$tmp/target") $(stat -c %s "$tmp/target")" "secret 7"
rm -f "$RUN/$KEY.lock"
# the old place, /run/lock, is world-writable: nothing is made there
ln -s "$tmp/target" "/run/lock/xdpguard-events-$KEY.lock"
cp /dev/null "$tmp/f.err"
ev f --type deny_hit; F=$EVPID
check "with a symlink at the old lock path: a reader starts" t_wait_line "$tmp/f.err" following
expect_eq "... the old path's target untouched" "$(cat "$tmp/target")" secret
rm -f "/run/lock/xdpguard-events-$KEY.lock"
kill -INT $F; wait $F
COOKIE=${KEY%%-*}
: >"$RUN/$COOKIE-gone0.lock"; : >"$RUN/$COOKIE-gone0.sock"
: >"$RUN/$COOKIE-gone1.lock"
flock -x "$RUN/$COOKIE-gone1.lock" sleep 30 & HOLD=$!
PIDS+=("$HOLD")
sleep 0.3
ev g --type deny_hit; G=$EVPID
check "stale locks: said at start" t_wait_line "$tmp/g.err" "removed 1 stale lock file in $RUN"
check "... the free one (and its socket) removed" test ! -e "$RUN/$COOKIE-gone0.lock" -a ! -e "$RUN/$COOKIE-gone0.sock"
check "... the held one kept" test -e "$RUN/$COOKIE-gone1.lock"
kill -INT $G; wait $G
kill $HOLD; wait $HOLD 2>/dev/null

# ---- the run folder is trusted only if root's and 0700 ----
chown nobody "$RUN"
out=$(x events --type deny_hit 2>&1 </dev/null); rc=$?
expect_eq "run folder of another uid: exit 1" "$rc" 1
check "... naming it" grep -q "$RUN belongs to uid" <<<"$out"
chown root "$RUN"; chmod 0755 "$RUN"
ev h --type deny_hit; H=$EVPID
check "run folder 0755: made 0700, saying so" t_wait_line "$tmp/h.err" "$RUN was mode 0755"
expect_eq "... mode" "$(stat -c %a "$RUN")" 700
kill -INT $H; wait $H

# ---- a reader with CAP_DAC_OVERRIDE alone (as the units run it) ----
RD="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+dac_override --ambient-caps=-all,+dac_override --bounding-set=-all,+dac_override"
rm -rf "$RUN"
# shellcheck disable=SC2086
out=$(nsenter --net=/run/netns/$NS $RD "$XG" events --type deny_hit 2>&1 </dev/null); rc=$?
expect_eq "no run folder, not root: exit 1" "$rc" 1
check "... it makes none (root would not trust it), saying so" \
	bash -c "test ! -e $RUN && grep -q 'is missing, and only root makes it' <<<\"\$1\"" _ "$out"
ev i --json --type deny_hit; I=$EVPID
check "root's reader ready" t_wait_line "$tmp/i.err" following
# shellcheck disable=SC2086
nsenter --net=/run/netns/$NS $RD "$XG" events --json --type deny_hit >"$tmp/j" 2>"$tmp/j.err" &
J=$!
PIDS+=("$J")
check "uid nobody with CAP_DAC_OVERRIDE reads through root's relay" \
	t_wait_line "$tmp/j.err" "reading it through its relay"
sleep 1.1	# a second after the last hit of each rule
syns
check "... both print the $N records" wait_lines "$tmp/j" $N
check "... (root's too)" wait_lines "$tmp/i" $N
check "... the same" same_records "$tmp/i" "$tmp/j"
kill -INT $I; wait $I
check "... and it takes the ring over when root's reader exits" \
	t_wait_line "$tmp/j.err" "this one follows the ring now"
expect_eq "... its lock is its own, in root's folder" \
	"$(stat -c %U "$RUN"/*-e0.lock) $(stat -c %U "$RUN")" "nobody root"
kill -INT $J; wait $J; rc=$?
expect_eq "... exits 0" "$rc" 0

check "detach e0" x detach e0
t_end
