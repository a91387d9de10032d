#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# xdpguard top in a real terminal (tmux) during a flood: the screen shows
# the flood's rate and its top source; q quits with status 0 and leaves
# the terminal as it was (main screen back, echo and canonical mode on).
P=xgtt-
. "$(dirname "$0")/../lib.sh"
SESS=${P}tmux
t_cleanup_tmux() { tmux kill-session -t "$SESS" 2>/dev/null; t_cleanup; }
t_start
trap t_cleanup_tmux EXIT

check "attach eth0" xg_srv attach eth0 --pps 100 --burst 100
mac=$(lab_mac ${P}srv eth0)
nsenter --net=/run/netns/${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport 80 \
	--src 198.19.7.0/24 --sources 1 --count 0 --duration 60 >/dev/null &
fpid=$!	# the generator itself (nsenter execs it), stopped after the
	# last look at the screen
tmux new-session -d -s "$SESS" -x 132 -y 40 \
	"echo BEFORE-TOP; nsenter --net=/run/netns/${P}srv $XG top -i eth0; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo; sleep 60"
# top_screen: the pane once top has drawn a frame with a rate and its top
# source (up to 10 s), whatever the load
top_screen() {
	local i screen
	for i in $(seq 1 100); do
		screen=$(tmux capture-pane -p -t "$SESS")
		grep -q "^198.19.7.0/32 " <<<"$screen" &&
			awk '/^SYN\/s/ {exit !(int($3) > 0)}' <<<"$screen" && break
		sleep 0.1
	done
	echo "$screen"
}
screen=$(top_screen)
echo "$screen" | sed 's/^/# | /' | head -12
rate=$(awk '/^SYN\/s/ {print int($3)}' <<<"$screen")
# the flood's rate itself depends on the machine's load: well over the
# budget is the flood's, not what the budget lets through
check "the screen shows the flood's SYN rate ($rate/s, > 10 x the budget)" test "${rate:-0}" -gt 1000
check "the screen shows the top source" grep -q "^198.19.7.0/32 " <<<"$screen"
check "the screen shows cookies, PMTU, TCP and DNS lines" bash -c \
	"grep -q '^cookie answered/s' <<<\"\$1\" && grep -q '^pmtu   PTB/s' <<<\"\$1\" && grep -q '^tcp    TIME_WAIT' <<<\"\$1\" && grep -q '^dns    query/s' <<<\"\$1\"" _ "$screen"
check "full screen: the shell's line is hidden" bash -c "! grep -q BEFORE-TOP <<<\"\$1\"" _ "$screen"
tmux send-keys -t "$SESS" q
for i in $(seq 1 30); do
	after=$(tmux capture-pane -p -t "$SESS")
	grep -q "icanon" <<<"$after" && break
	sleep 0.1
done
check "q quits with status 0" grep -q "EXIT=0" <<<"$after"
check "the main screen is back" grep -q BEFORE-TOP <<<"$after"
check "no top output left on the screen" bash -c "! grep -q '^SYN/s' <<<\"\$1\"" _ "$after"
check "echo and canonical mode restored" grep -qx "icanon echo *" <<<"$after"
tmux kill-session -t "$SESS"

# Ctrl-C quits the same way
tmux new-session -d -s "$SESS" -x 132 -y 40 \
	"echo BEFORE-TOP; nsenter --net=/run/netns/${P}srv $XG top -i eth0; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo; sleep 60"
top_screen >/dev/null
tmux send-keys -t "$SESS" C-c
for i in $(seq 1 30); do
	after=$(tmux capture-pane -p -t "$SESS")
	grep -q "icanon" <<<"$after" && break
	sleep 0.1
done
check "Ctrl-C quits with status 0, terminal restored" bash -c \
	"grep -q EXIT=0 <<<\"\$1\" && grep -qx 'icanon echo *' <<<\"\$1\" && grep -q BEFORE-TOP <<<\"\$1\"" _ "$after"
tmux kill-session -t "$SESS"

# an 80x24 console: every line fits (a wrapped line would push the
# summary off), the summary in its rows, the table below it, no more rows
# than the screen has
tmux new-session -d -s "$SESS" -x 80 -y 24 \
	"nsenter --net=/run/netns/${P}srv $XG top -i eth0 --count 100; sleep 60"
screen=$(top_screen)
echo "$screen" | sed 's/^/# 80x24 | /'
rows=$(awk 'NR <= 9 { printf "%s|", $1 }' <<<"$screen")
expect_eq "80x24: the summary rows in order, nothing wrapped" "$rows" \
	"xdpguard|SYN/s|pkt/s|cookie|pmtu|tcp|dns||source|"
check "80x24: no line wider than 79 columns" bash -c \
	"awk 'length(\$0) > 79 { bad = 1 } END { exit bad }' <<<\"\$1\"" _ "$screen"
check "80x24: at most 23 lines drawn (--count 100 asked for more)" \
	test "$(grep -c . <<<"$screen")" -le 23
tmux kill-session -t "$SESS"
out=$(xg_srv top -i eth0 --once 2>&1)
check "not a terminal: no escape sequence in top's output" bash -c \
	"! grep -q \$'\\033' <<<\"\$1\"" _ "$out"
check "... and the whole table (the top source)" grep -q "^198.19.7.0/32 " <<<"$out"

# one snapshot for scripts: every component, numbers from the kernel
tw=$(ip netns exec ${P}srv ss -tanH state time-wait | wc -l)
j=$(xg_srv top -i eth0 --once --json | json_one)
check "top --once --json parses, with every component" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["syn_pps"]["offered"] > 1000, d["syn_pps"]
assert d["top"][0]["source"] == "198.19.7.0/32", d["top"][:1]
assert set(d["cookies"]) == {"answered_pps", "ack_valid_pps", "ack_bad_pps", "handoff_pps"}
assert d["pmtu"]["ptb_total"] == 0 and d["pmtu"]["blackholes_suspected"] == 0
assert d["sockets"]["time_wait"] == int(sys.argv[2]), (d["sockets"], sys.argv[2])
assert d["dns"]["servers_tracked"] == 0 and d["dns"]["queries_pps"] == 0, d["dns"]' "$j" "$tw"
kill $fpid 2>/dev/null
wait $fpid
t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
