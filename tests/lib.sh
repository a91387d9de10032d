#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the integration tests: TAP-like results, the lab, cleanup on
# every path. Source it after setting P (a namespace prefix unique to the
# test).
set -u
# Debian's tools first: the suite depends on Debian packages only, and a
# python3 shim of a version manager (pyenv) earlier in PATH costs more
# than a second per call
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
# XG_NS_PREFIX: prepended to every namespace name, so that two checkouts
# can run their tests side by side without sharing a namespace
P=${XG_NS_PREFIX:-}${P:-}
# the suite's own pin root: it never meets an operator's pins on this host
export XDPGUARD_PIN_ROOT=${XDPGUARD_PIN_ROOT:-/sys/fs/bpf/xdpguard-test}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
XG=${XG_BIN:-$ROOT/build/xdpguard}
FLOOD=$ROOT/build/synflood
. "$ROOT/scripts/lab.sh"

T_FAILED=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; T_FAILED=1; }
skip() { echo "ok - $1 # SKIP $2"; }
# check NAME CMD...: ok if CMD succeeds
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}
# expect_near NAME GOT WANT PCT: |got - want| <= want * pct / 100
expect_near() {
	local d=$(( $2 > $3 ? $2 - $3 : $3 - $2 ))
	if [ $(( d * 100 )) -le $(( $3 * $4 )) ]; then
		ok "$1 ($2 ~ $3 within $4%)"
	else
		not_ok "$1: got $2, want $3 within $4%"
	fi
}

xg_srv() { lab_exec "${P}srv" "$XG" "$@"; }

# frames the attacker's veth could not hand to its peer (ring full): the
# generator counts what it transmitted, the veth counts what it lost
atk_xmit_errors() {
	lab_exec "${P}atk" ethtool -S a0 | awk '/xdp_xmit_err/ {s += $2} END {print s + 0}'
}

# jq-free JSON field extraction: json_get 'expr' reads JSON on stdin and
# prints the python expression evaluated with d = the parsed object
# The one interface of a reading command's --json ({"interfaces": [...]}).
# t_counter IFACE VERDICT REASON: the server's (xg_srv) packets of IFACE
# counted as (verdict, reason), as status reports them
t_counter() {
	xg_srv status -i "$1" --json | json_get \
	"sum(c['packets'] for c in d['interfaces'][0]['counters'] if c['verdict'] == '$2' and c['reason'] == '$3')"
}
# t_nstat NS FIELD: namespace NS's absolute count of FIELD (0 if none);
# nstat's history is left alone
t_nstat() { ip netns exec "$1" nstat -asz "$2" | awk -v k="$2" '$1 == k {print $2 + 0}'; }
json_one() {
	python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["interfaces"][0]))'
}
json_get() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# The kernel objects this test's namespaces hold: ids of the pinned maps
# and of the XDP programs on their interfaces. Other tests (or sessions)
# may run xdpguard at the same time, so only these ids are checked.
# The cookies of the lab's namespaces, read once by t_start (a python
# start per read, and tests call t_pin_dirs in loops): "inode cookie" per
# namespace, the inode checked on every use, else read again
declare -A T_COOKIE=()
t_cookies_cache() {
	local ns
	T_COOKIE=()
	for ns in "${P}srv" "${P}atk" "${P}cli" "${P}rtr"; do
		[ -e /run/netns/"$ns" ] &&
			T_COOKIE[$ns]="$(stat -L -c %i /run/netns/"$ns") $(lab_netns_cookie "$ns")"
	done
}
t_cookie() {	# NS: its cookie
	local c=${T_COOKIE[$1]:-}
	if [ -n "$c" ] && [ "${c% *}" == "$(stat -L -c %i /run/netns/"$1" 2>/dev/null)" ]; then
		echo "${c#* }"
	else
		lab_netns_cookie "$1"
	fi
}
t_pin_dirs() {
	local ns
	for ns in "${P}srv" "${P}atk" "${P}cli" "${P}rtr"; do
		[ -e /run/netns/"$ns" ] || continue
		ls -d "$XG_PINS/$(t_cookie "$ns")"-* 2>/dev/null
	done
}
# t_pinned_ids FILE...: "map:ID", or "link:ID" and "prog:ID", of each
# pinned object (bpftool's first line is "ID: type ...", a link's names
# its "prog ID")
t_pinned_ids() {
	local f out
	for f; do
		if out=$(bpftool map show pinned "$f" 2>/dev/null); then
			echo "map:${out%%:*}"
		elif out=$(bpftool link show pinned "$f" 2>/dev/null); then
			sed -n '1s/^\([0-9]*\):.* prog \([0-9]*\).*/link:\1\nprog:\2/p' <<<"$out"
		fi
	done
}
# t_dirs_ids DIR...: "map:ID", "link:ID" and "prog:ID" of what the
# folders pin (one listing per kind), and each black-hole program
t_dirs_ids() {
	local maps links d
	maps=$(mktemp) links=$(mktemp)
	bpftool -j -f map show >"$maps" 2>/dev/null
	bpftool -j -f link show >"$links" 2>/dev/null
	python3 - "$maps" "$links" "$@" <<'PY'
import json, sys
def load(f):
    try:
        return json.load(open(f))
    except ValueError:
        return []
dirs = tuple(d.rstrip("/") + "/" for d in sys.argv[3:])
for m in load(sys.argv[1]):
    if any(p.startswith(dirs) for p in m.get("pinned", [])):
        print("map:%d" % m["id"])
for l in load(sys.argv[2]):
    if any(p.startswith(dirs) for p in l.get("pinned", [])):
        print("link:%d\nprog:%d" % (l["id"], l["prog_id"]))
PY
	for d; do
		bpftool -j map dump pinned "$d/xg_pm_info" 2>/dev/null |
			python3 -c 'import json,sys; i=json.load(sys.stdin)[0]["value"]["tp_prog_id"]; i and print("prog:%d" % i)' 2>/dev/null
	done
	rm -f "$maps" "$links"
}
t_kernel_ids() {	# prints "map:ID" and "prog:ID" lines
	local d f ns
	local dirs
	dirs=$(t_pin_dirs)
	# the pinned objects of the folders, from one listing per kind; the
	# black-hole program is held by its slot in the host's retransmission
	# program, not by a pin
	[ -n "$dirs" ] && t_dirs_ids $dirs
	for ns in "${P}srv" "${P}atk" "${P}cli" "${P}rtr"; do
		[ -e /run/netns/"$ns" ] || continue
		for d in $(ip -n "$ns" -j link show | python3 -c 'import json,sys; [print(l["ifname"]) for l in json.load(sys.stdin)]'); do
			for h in ingress egress; do
				tc -n "$ns" -j filter show dev "$d" $h 2>/dev/null | python3 -c '
import json, sys
for f in json.load(sys.stdin):
    i = f.get("options", {}).get("prog", {}).get("id")
    if i: print("prog:%d" % i)' 2>/dev/null
			done
		done
		ip -n "$ns" -j link show | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    x = l.get("xdp", {})
    p = x.get("prog", {}).get("id") or [a.get("prog", {}).get("id") for a in x.get("attached", [])]
    for i in (p if isinstance(p, list) else [p]):
        if i: print("prog:%d" % i)'
	done
}
# t_ids_gone IDS: none of these ids exists any more (maps are freed after
# an RCU grace period, a tracing program after an RCU tasks-trace one,
# which takes seconds on a busy machine: wait up to 15 s)
t_ids_gone() {
	local i left
	for i in $(seq 1 150); do
		left=$(t_ids_alive "$1")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	sed 's/^/# still there: /' <<<"$left"
	return 1
}
# t_ids_alive IDS: those of IDS the kernel still has (one listing per
# kind, whatever the number of ids)
t_ids_alive() {
	local k
	for k in prog map link; do
		grep -q "^$k:\| $k:" <<<" $1" || continue
		bpftool -j "$k" show 2>/dev/null | python3 -c '
import json, sys
kind, want = sys.argv[1], set(sys.argv[2].split())
for o in json.load(sys.stdin):
    i = "%s:%d" % (kind, o["id"])
    if i in want:
        print(i, o.get("name", o.get("type", "")))' "$k" "$(tr ' ' '\n' <<<"$1" | grep "^$k:" | xargs)"
	done
}
# t_root_ids ROOT: what a pin root holds in the kernel, in one listing per
# kind: the maps pinned under it, the programs that use them (XDP, tc,
# black-hole and host programs), the links pinned under it
t_root_ids() {
	local maps progs links
	maps=$(mktemp) progs=$(mktemp) links=$(mktemp)
	bpftool -j -f map show >"$maps" 2>/dev/null
	bpftool -j prog show >"$progs" 2>/dev/null
	bpftool -j -f link show >"$links" 2>/dev/null
	python3 - "$1/" "$maps" "$progs" "$links" <<'PY'
import json, sys
root = sys.argv[1]
def load(f):
    try:
        return json.load(open(f))
    except ValueError:
        return []
maps = {m["id"] for m in load(sys.argv[2])
        if any(p.startswith(root) for p in m.get("pinned", []))}
for m in sorted(maps):
    print("map:%d" % m)
for p in load(sys.argv[3]):
    if maps & set(p.get("map_ids", [])):
        print("prog:%d" % p["id"])
for l in load(sys.argv[4]):
    if any(p.startswith(root) for p in l.get("pinned", [])):
        print("link:%d" % l["id"])
PY
	rm -f "$maps" "$progs" "$links"
}
# Call before detaching everything, check after: pins, programs and maps
# of this test are all gone.
t_snapshot() { T_IDS=$(t_kernel_ids); }
t_nothing_left() {
	check "nothing left: no pins of this test's namespaces" \
		test -z "$(t_pin_dirs)"
	check "nothing left: no xdp on this test's interfaces" \
		bash -c "! ip -n ${P}srv link | grep -q xdp"
	check "nothing left: no tc filter or clsact of ours" t_no_tc
	check "nothing left: its programs and maps are gone (bpftool)" \
		t_ids_gone "$T_IDS"
}

# no clsact qdisc and no bpf filter on any interface of this test
t_no_tc() {
	local ns d
	for ns in "${P}srv" "${P}atk" "${P}cli" "${P}rtr"; do
		[ -e /run/netns/"$ns" ] || continue
		tc -n "$ns" qdisc show | grep -q clsact && return 1
		for d in $(ip -n "$ns" -br link show | awk '{sub(/@.*/, "", $1); print $1}'); do
			tc -n "$ns" filter show dev "$d" ingress 2>/dev/null | grep -q bpf && return 1
			tc -n "$ns" filter show dev "$d" egress 2>/dev/null | grep -q bpf && return 1
		done
	done
	return 0
}

# Host-wide socket telemetry (pins under $XG_PINS/host): the
# ids of its maps, links and programs, to check that switching it off
# frees them. A test that turns it on sets T_HOST=1 so that cleanup turns
# it off on every path.
t_host_ids() {
	local f
	for f in $XG_PINS/host/xg_sk_*; do
		[ -e "$f" ] && t_pinned_ids "$f"
	done
}
t_host_nothing_left() {	# IDS from t_host_ids before switching off
	check "nothing left: no host socket telemetry pins" \
		bash -c "! ls $XG_PINS/host/xg_sk_* >/dev/null 2>&1"
	check "nothing left: its links, programs and maps are gone (bpftool)" \
		t_ids_gone "$1"
}
# t_rt_progs DIR: the programs in the slots of the host's retransmission
# program ($XG_PINS/retrans) that run on DIR's maps (use its xg_pm_cfg),
# one id per line: the kernel's view of an interface's black-hole program
t_rt_progs() {
	local m id
	m=$(bpftool -j map show pinned "$1/xg_pm_cfg" 2>/dev/null | json_get 'd["id"]' 2>/dev/null) || return 0
	for id in $(bpftool -j map dump pinned "$XG_PINS/retrans/xgh_rt_progs" 2>/dev/null |
		    json_get '" ".join(str(e["formatted"]["value"]) for e in d)' 2>/dev/null); do
		bpftool -j prog show id "$id" 2>/dev/null |
			json_get "$id if $m in d.get('map_ids', []) else ''" 2>/dev/null | grep .
	done
}
# t_rt_prog DIR: that program's id, 0 if none, "many" if more than one
t_rt_prog() {
	local l
	l=$(t_rt_progs "$1")
	case $(grep -c . <<<"$l") in
	0) echo 0 ;;
	1) echo "$l" ;;
	*) echo many ;;
	esac
}
# Wait (up to 5 s) until NS has a TCP listener on PORT.
t_wait_listen() {
	local i
	for i in $(seq 1 50); do
		ip netns exec "$1" ss -ltnH "sport = :$2" | grep -q LISTEN && return 0
		sleep 0.1
	done
	return 1
}
# Wait (up to 5 s) until FILE has a line matching RE.
t_wait_line() {
	local i
	for i in $(seq 1 50); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# A test's own namespace, NS=${P}srv, with veth pairs given as A:B (both
# ends up), for tests that need no lab; x runs xdpguard in it. t_ns_down
# (from the test's EXIT trap) detaches whatever is attached there and
# removes it.
NS=${P}srv
x() { nsenter --net=/run/netns/$NS "$XG" "$@"; }
t_ns() {
	local pr
	ip netns del $NS 2>/dev/null
	ip netns add $NS || return 1
	for pr in "$@"; do
		ip -n $NS link add ${pr%:*} type veth peer name ${pr#*:} &&
			ip -n $NS link set ${pr%:*} up &&
			ip -n $NS link set ${pr#*:} up || return 1
	done
}
t_ns_down() {
	if [ -e /run/netns/$NS ]; then
		nsenter --net=/run/netns/$NS "$XG" detach --all >/dev/null 2>&1
		# what the test started in it and lost track of (a daemon whose
		# subshell was killed) would outlive the namespace, and hold
		# the tests' lock
		ip netns pids $NS 2>/dev/null | xargs -r kill -9 2>/dev/null
	fi
	ip netns del $NS 2>/dev/null
}

t_cleanup() {
	[ -n "${T_HOST:-}" ] && "$XG" tw off >/dev/null 2>&1
	lab_down "$P"
}

t_start() {	# t_start [chain [MTU_R0] [MTU_R1]]: the star lab or a chain
	local stale
	trap t_cleanup EXIT
	trap 'exit 1' INT TERM
	# an earlier run killed before its cleanup: say so, then start over
	stale=$(ip netns list | awk -v p="$P" 'index($1, p) == 1 {printf " %s", $1}')
	[ -n "$stale" ] && echo "# note: namespaces left by an earlier run:$stale (removed)"
	if [ "${1:-}" == chain ]; then
		shift
		lab_chain_up "$P" "$@" || { not_ok "lab up"; exit 1; }
	else
		lab_up "$P" || { not_ok "lab up"; exit 1; }
	fi
	t_cookies_cache
}

t_end() {
	exit $T_FAILED
}

# t_schema DEF FILE: FILE's JSON against definition DEF of
# docs/json.schema.json; silent and 0 when valid, else where and why
t_schema() {
	/usr/bin/python3 - "$ROOT/docs/json.schema.json" "$1" "$2" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[3]))
sub = dict(schema, **{"$ref": "#/definitions/" + sys.argv[2]})
try:
    jsonschema.validate(d, sub)
except jsonschema.ValidationError as e:
    print("invalid at %s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:300]))
    sys.exit(1)
PY
}
