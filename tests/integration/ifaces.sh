#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every interface, at any count (issue 11): 100 attached interfaces are all
# listed by status (text and --json) and by the "name one with -i"
# message, followed by events, exported, served by one host-wide
# tcp_retransmit_skb program (each interface's black-hole program in a
# slot of it, none attached on its own), a policy change killed on the
# last of them ended whole or undone by the next command, and all
# detached by one detach --all, which leaves no folder, no program and no
# map behind.
P=xgif-
. "$(dirname "$0")/../lib.sh"

N=${XG_IFACES_N:-100}
# a private pin root: the host's retransmission program in it is ours
export XDPGUARD_PIN_ROOT=/sys/fs/bpf/xdpguard-t$$
XG_PINS=$XDPGUARD_PIN_ROOT
NS=${P}srv
tmp=$(mktemp -d /tmp/${P}XXXXXX)
EVPID=
if_cleanup() {
	[ -n "$EVPID" ] && kill "$EVPID" 2>/dev/null
	[ -e /run/netns/$NS ] && nsenter --net=/run/netns/$NS "$XG" detach --all >/dev/null 2>&1
	ip netns del $NS 2>/dev/null
	# and the run folder of its pin root (events: ring locks)
	rm -rf "$XDPGUARD_PIN_ROOT" "/run/${XDPGUARD_PIN_ROOT##*/}" "$tmp"
}
trap if_cleanup EXIT
trap 'exit 1' INT TERM
ip netns del $NS 2>/dev/null
ip netns add $NS
# v0..v(N-1) get the guard; their peers p0..p(N-1) send to them
for i in $(seq 0 $((N - 1))); do
	echo "link add v$i type veth peer name p$i"
	echo "link set v$i up"
	echo "link set p$i up"
done | ip -n $NS -batch -
x() { nsenter --net=/run/netns/$NS "$XG" "$@"; }

t0=$SECONDS
fails=0
for i in $(seq 0 $((N - 1))); do
	x attach v$i --sources 1024 --no-dns >/dev/null 2>>"$tmp/attach.err" ||
		fails=$((fails + 1))
done
expect_eq "attach $N interfaces" "$fails" 0
echo "# $N attaches in $((SECONDS - t0)) s"

# ---- listed, all of them ----
out=$(x status 2>&1)
expect_eq "status lists all $N" "$(grep -cE '^v[0-9]+: ' <<<"$out")" "$N"
js=$(x status --json)
expect_eq "status --json lists all $N, state ok" \
	"$(json_get 'len([i for i in d["interfaces"] if i["state"] == "ok"])' <<<"$js")" "$N"
expect_eq "... each one once" \
	"$(json_get 'len(set(i["interface"] for i in d["interfaces"]))' <<<"$js")" "$N"
out=$(x deny add 198.19.9.0/24 2>&1); rc=$?
expect_eq "deny add without -i: refused, exit 2" "$rc" 2
check "... the message names the last interface too (v$((N - 1)))" \
	grep -qw "v$((N - 1))" <<<"$out"

# ---- one host-wide tcp_retransmit_skb program ----
slots=$(bpftool -j map dump pinned "$XG_PINS/retrans/xgh_rt_progs" |
	json_get '" ".join(str(e["formatted"]["value"]) for e in d)')
recorded=$(json_get '" ".join(str(i["programs"]["tracepoint"]) for i in d["interfaces"])' <<<"$js")
expect_eq "$N black-hole programs in the host's slots" "$(wc -w <<<"$slots")" "$N"
expect_eq "... exactly the ones the folders record" \
	"$(tr ' ' '\n' <<<"$slots" | sort -n | xargs)" "$(tr ' ' '\n' <<<"$recorded" | sort -n | xargs)"
host=$(bpftool -j link show pinned "$XG_PINS/retrans/xgh_link_retrans" | json_get 'd["prog_id"]')
expect_eq "one host program, on tcp_retransmit_skb" \
	"$(bpftool -j prog show id "$host" | json_get 'd["name"]')" xg_retrans_host
expect_eq "no black-hole program has a tracepoint link of its own" \
	"$(bpftool -j link show | python3 -c '
import json, sys
ids = set(int(i) for i in sys.argv[1].split())
print(sum(1 for l in json.load(sys.stdin) if l.get("prog_id") in ids))' "$slots")" 0

# ---- followed: events from the last interface reach the one reader ----
nsenter --net=/run/netns/$NS timeout 600 "$XG" events --json --type deny_hit \
	>"$tmp/ev" 2>"$tmp/ev.err" &
EVPID=$!
check "events follows all $N" t_wait_line "$tmp/ev.err" "following $N interfaces"
last=v$((N - 1))
x deny add -i $last 198.19.9.0/24 >/dev/null
mac=$(lab_mac $NS $last)
nsenter --net=/run/netns/$NS "$FLOOD" --dev p$((N - 1)) --dst-mac "$mac" --dst 198.18.9.1 \
	--dport 80 --src 198.19.9.9/32 --sources 1 --count 10 --duration 2 >/dev/null
check "a deny_hit event from $last" t_wait_line "$tmp/ev" "\"interface\":\"$last\""
kill -INT $EVPID; wait $EVPID; EVPID=
dropped=$(x status -i $last --json | json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"] == "deny")')
expect_eq "... and its 10 SYNs dropped as denied" "$dropped" 10

# ---- a change killed on the last of them ends whole or undone ----
# recovery reaches the 100th folder: a 20000-entry apply on it killed once
# its undo journal is pinned
dir_last="$XG_PINS/$(lab_netns_cookie $NS)-$last"
{ x save -i $last | sed '/^end$/d'
  for k in $(seq 0 19999); do echo "deny 198.19.$((k / 256 + 100)).$((k % 256))/32"; done
  echo end; } >"$tmp/pol"
old=$(x deny list -i $last --json | json_one | json_get 'len(d["deny"])')
nsenter --net=/run/netns/$NS "$XG" apply -i $last -f "$tmp/pol" >/dev/null 2>&1 &
pid=$!
seen=0
for i in $(seq 1 3000); do
	[ -e "$dir_last/xg_undo" ] && { seen=1; break; }
	kill -0 $pid 2>/dev/null || break
	sleep 0.01
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
msg=$(x status 2>&1 >/dev/null)
now=$(x deny list -i $last --json | json_one | json_get 'len(d["deny"])')
[ $seen = 1 ] || echo "# the apply ended before its journal was seen"
check "killed mid-change on $last: whole ($((old + 20000))) or undone ($old), got $now" \
	test "$now" = "$old" -o "$now" = $((old + 20000))
check "... no journal left in its folder" test ! -e "$dir_last/xg_undo"
[ $seen = 1 ] && [ "$now" = "$old" ] &&
	check "... the next command says it undid it" grep -q "interrupted; undone" <<<"$msg"

# ---- exported ----
x export --textfile "$tmp/prom" --once
expect_eq "export: xdpguard_attached_interfaces $N" \
	"$(awk '$1 == "xdpguard_attached_interfaces" {print $2}' "$tmp/prom")" "$N"
expect_eq "export: every interface has its counters" \
	"$(grep -o 'interface="v[0-9]*"' "$tmp/prom" | sort -u | wc -l)" "$N"

# ---- all detached by one detach --all ----
T_IDS=$(t_root_ids "$XG_PINS")
echo "# the root holds $(grep -c '^map:' <<<"$T_IDS") maps, $(grep -c '^prog:' <<<"$T_IDS") programs, $(grep -c '^link:' <<<"$T_IDS") link"
check "... the host program among its programs" grep -qx "prog:$host" <<<"$T_IDS"
out=$(x detach --all 2>&1); rc=$?
expect_eq "detach --all: exit 0" "$rc" 0
expect_eq "... detached from all $N" "$(grep -c '^xdpguard: detached from v' <<<"$out")" "$N"
expect_eq "no folder left" "$(ls "$XG_PINS" | xargs)" ""
expect_eq "no XDP left on any v*" "$(ip -n $NS -d link show | grep -c 'prog/xdp')" 0
check "no tc filter or clsact left" t_no_tc
check "every program and map gone, the host's retransmission program too (bpftool)" \
	t_ids_gone "$T_IDS"
t_end
