#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The CLI killed with SIGKILL at random points of attach, detach and policy
# changes: afterwards the interface is either fully protected (program
# attached, every pin there, the policy it had) or untouched (no program,
# no pins), the next command succeeds, and nothing leaks.
P=xgkl-
. "$(dirname "$0")/../lib.sh"
t_start
ITER=${XG_CRASH_ITER:-60}
xg_srv attach eth0 >/dev/null
NPINS=$(ls "$(t_pin_dirs)" | wc -l)	# what a complete attach pins
xg_srv detach eth0 >/dev/null

# What outlives a killed command is pinned (all under this test's own pin
# root) or attached (to this test's interfaces): the kernel objects those
# hold, and the pins. Other tests and sessions attach at the same time,
# so the kernel-wide count is not this test's to judge.
count_objs() {	# pins, then programs on eth0 (XDP, tc ingress and egress)
	echo "$(find "$XG_PINS" -type f 2>/dev/null | wc -l)" \
	     "$( { ip -n ${P}srv link show dev eth0 | grep -o 'prog/xdp'
		   tc -n ${P}srv filter show dev eth0 ingress
		   tc -n ${P}srv filter show dev eth0 egress; } | grep -c 'prog/xdp\| bpf ')"
}
for i in $(seq 1 50); do base=$(count_objs); sleep 0.1; [ "$base" = "$(count_objs)" ] && break; done
kernel_prog() {	# the XDP program id on eth0, or empty
	ip -n ${P}srv -j link show eth0 | python3 -c '
import json, sys
x = json.load(sys.stdin)[0].get("xdp", {})
print(x.get("prog", {}).get("id", ""))'
}
# state: "attached POLICY" or "untouched"; anything else is a violation
state() {
	local js id dirs
	js=$(xg_srv status --json) || { echo "status-failed"; return; }
	dirs=$(t_pin_dirs)	# this namespace's folders, ":new" and ":old" too
	id=$(kernel_prog)
	if [ "$(json_get 'len(d["interfaces"])' <<<"$js")" = 0 ]; then
		[ -z "$dirs" ] && [ -z "$id" ] && echo untouched && return
		echo "broken: not attached, dirs '$dirs' prog '$id'"
		return
	fi
	[ "$id" = "$(json_get 'd["interfaces"][0]["prog_id"]' <<<"$js")" ] ||
		{ echo "broken: prog $id not ours"; return; }
	[ "$(ls "$(t_pin_dirs)" | wc -l)" = "$NPINS" ] ||
		{ echo "broken: pins $(ls "$(t_pin_dirs)" | wc -l)"; return; }
	echo "attached $(xg_srv rate show --json | json_one) $(xg_srv deny list --json | json_one | json_get 'sorted(e["cidr"] for e in d["deny"])')"
}

viol=0 kills=0 s=untouched whole=0 none=0
for i in $(seq 1 "$ITER"); do
	before=$s
	# kill within about the time each command takes
	multi=""
	case $((RANDOM % 6)) in
	0) op="attach eth0 --pps $((RANDOM % 1000 + 1))"; t=$((RANDOM % 120)) ;;
	1) op="detach eth0"; t=$((RANDOM % 40)) ;;
	2) op="rate set -i eth0 --pps $((RANDOM % 1000 + 1))"; t=$((RANDOM % 10)) ;;
	3) op="deny add -i eth0 198.19.$((RANDOM % 256)).0/24"; t=$((RANDOM % 10)) ;;
	4) multi=$(for k in $(seq 0 199); do echo "2001:db8:$i:$k::/64"; done)
	   # shellcheck disable=SC2086
	   op="deny add -i eth0 $(echo $multi)"; t=$((RANDOM % 15)) ;;
	5) multi=$(for k in $(seq 0 999); do echo "2001:db8:$i:$k::/64"; done)
	   { xg_srv save -i eth0 2>/dev/null | grep -v '^deny 2001\|^end$'; sed 's/^/deny /' <<<"$multi"; echo end; } >"/tmp/${P}apply"
	   op="apply -i eth0 -f /tmp/${P}apply"; t=$((RANDOM % 30)) ;;
	esac
	[ -z "$(t_pin_dirs)" ] && multi=""
	# shellcheck disable=SC2086
	nsenter --net=/run/netns/${P}srv "$XG" $op >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $t)"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	s=$(state 2>/dev/null)
	case "$s" in
	untouched|attached*) ;;
	*) viol=$((viol + 1)); echo "# iteration $i ($op): $s" ;;
	esac
	# a change of many entries is all there or not at all
	if [ -n "$multi" ] && [[ "$s" == attached* ]]; then
		have=$(xg_srv deny list -i eth0 --json | json_one 2>/dev/null | json_get \
			'len([e for e in d["deny"] if e["cidr"].startswith("2001:db8:'"$i"':")])')
		want=$(wc -l <<<"$multi")
		if [ "$have" != 0 ] && [ "$have" != "$want" ]; then
			viol=$((viol + 1)); echo "# iteration $i ($op): $have of $want entries"
		fi
		[ "$have" = "$want" ] && whole=$((whole + 1))
		[ "$have" = 0 ] && none=$((none + 1))
	fi
	# a killed attach/detach leaves the old state or the new one
	if [[ "$op" == attach* && "$before" == attached* && "$s" != "$before" ]] ||
	   [[ "$op" == detach* && "$s" != untouched && "$s" != "$before" ]]; then
		viol=$((viol + 1)); echo "# iteration $i ($op): $before -> $s"
	fi
done
echo "# $ITER iterations, $kills commands killed mid-way; multi-entry changes: $whole whole, $none undone"
rm -f "/tmp/${P}apply"
expect_eq "every kill left the interface protected or untouched" "$viol" 0
check "the next command succeeds" xg_srv status
[ -n "$(t_pin_dirs)" ] && xg_srv detach eth0 >/dev/null
for i in $(seq 1 50); do [ "$(count_objs)" = "$base" ] && break; sleep 0.1; done
expect_eq "no programs or maps leaked" "$(count_objs)" "$base"
t_end
