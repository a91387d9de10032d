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
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport 80 \
	--src 198.19.7.0/24 --sources 1 --count 0 --duration 8 >/dev/null &
fpid=$!
tmux new-session -d -s "$SESS" -x 132 -y 40 \
	"echo BEFORE-TOP; nsenter --net=/run/netns/${P}srv $XG top -i eth0; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo; sleep 60"
sleep 3.5
screen=$(tmux capture-pane -p -t "$SESS")
echo "$screen" | sed 's/^/# | /' | head -12
rate=$(awk '/^SYN\/s/ {print int($3)}' <<<"$screen")
check "the screen shows the flood's SYN rate ($rate/s)" test "${rate:-0}" -ge 100000
check "the screen shows the top source" grep -q "^198.19.7.0/32 " <<<"$screen"
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
wait $fpid
t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
