#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# TIME_WAIT churn against the kernel's own truth. Thousands of short
# connections closed first by the client (IPv4 and IPv6, two server
# ports) and some closed first by a server in the client's namespace:
# xdpguard's TIME_WAIT count and every per-state count equal ss at the
# same moment, exactly; the TIME_WAIT sockets equal /proc/net/sockstat's
# tw; the entries counted from the tracepoint equal the connections made
# and the iterator's count of timewait sockets younger than the window;
# the rate is the count over the window tw measured (within 1%); the top remote
# endpoint, local port and destination are the right ones, by count and
# by churn; the other namespace sees none of it. Then resets (SO_LINGER
# 0) are counted on both sides and equal TcpEstabResets; the FIN_WAIT2
# sub-state shows as ss shows it and turns into TIME_WAIT; the churn
# event fires once (rate-limited); `tw off` and `detach --all` leave
# nothing behind.
P=xg5tw-
. "$(dirname "$0")/../lib.sh"
T_HOST=1
t_start

TC=$ROOT/build/tcpchurn
N=3000 M=1000 N6=300 K=500 R=200 F=150 IVAL=6
SRV=$LAB_SRV4_C SRV6=$LAB_SRV6_C
tmp=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_cleanup; rm -rf "$tmp"' EXIT

xg_cli() { lab_exec ${P}cli "$XG" "$@"; }
xg_in() { local ns=$1; shift; lab_exec "$ns" "$XG" "$@"; }
jf() { json_get "$2" <"$1"; }	# jf FILE EXPR

# per-state counts, ss's and ours, in one canonical form
ss_states() {
	ip netns exec "$1" ss -tanH | awk '{print $1}' | python3 -c '
import sys, collections
m = {"ESTAB": "established", "SYN-SENT": "syn_sent", "SYN-RECV": "syn_recv",
     "FIN-WAIT-1": "fin_wait1", "FIN-WAIT-2": "fin_wait2",
     "TIME-WAIT": "time_wait", "CLOSE-WAIT": "close_wait",
     "LAST-ACK": "last_ack", "LISTEN": "listen", "CLOSING": "closing"}
c = collections.Counter(m.get(l.strip(), l.strip()) for l in sys.stdin if l.strip())
print(" ".join("%s=%d" % (k, c[k]) for k in sorted(set(m.values()))))'
}
xg_states() {
	xg_in "$1" tw --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["states"]
print(" ".join("%s=%d" % (k, d[k]) for k in sorted(d) if k != "close"))'
}
# ss, xdpguard, ss: equal when ss did not move in between (3 tries)
same_moment() {	# NS -> prints "ss|xg"
	local i a b x
	for i in 1 2 3; do
		a=$(ss_states "$1"); x=$(xg_states "$1"); b=$(ss_states "$1")
		[ "$a" == "$b" ] && break
	done
	echo "$a|$x"
}
expect_same() {	# NAME NS
	local r
	r=$(same_moment "$2")
	expect_eq "$1" "${r#*|}" "${r%|*}"
}
state_of() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

check "tw on" xg_cli tw on
out=$(xg_cli tw on)
check "tw on twice: says it was already on" grep -q "already on" <<<"$out"
check "host pins are root-only (0600)" bash -c \
	'[ -z "$(find $XG_PINS/host -type f ! -perm 600)" ]'

# the operator contract of the new commands
bad=(
	"tw set|nothing to set"
	"tw set --churn x|--churn 'x'"
	"tw set --ephemeral 101|--ephemeral '101'"
	"tw set --accept-full maybe|--accept-full 'maybe'"
	"tw set --event-every 2h|--event-every '2h'"
	"tw --interval 0|--interval '0'"
	"tw --top 0|--top '0'"
	"tw frob|unknown verb 'tw frob' (accepted: show, on, off, set)"
	"tw off extra|unexpected argument 'extra'"
	"sockets --frob|unknown option '--frob'"
)
for b in "${bad[@]}"; do
	out=$(xg_cli ${b%%|*} 2>&1); rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "${b#*|}" <<<"$out"; then
		ok "usage error: xdpguard ${b%%|*}"
	else
		not_ok "usage error: xdpguard ${b%%|*}: rc $rc, '$out'"
	fi
done
check "tw --help" xg_cli tw --help
check "sockets --help" xg_cli sockets --help

check "tw set --churn 500 (this namespace)" xg_cli tw set --churn 500
expect_eq "the threshold is in force here" \
	"$(xg_cli tw --json | json_get 'd["thresholds"]["churn_per_s"], d["thresholds"]["own"]')" "500 True"
expect_eq "other namespaces keep the default" \
	"$(xg_in ${P}srv tw --json | json_get 'd["thresholds"]["churn_per_s"], d["thresholds"]["own"]')" "1000 False"

lab_exec ${P}srv timeout 600 "$TC" serve --port 8080 --port 8081 --duration 600 &
# started by nsenter itself, not a subshell: $! is the process to signal
nsenter --net=/run/netns/${P}srv timeout 600 "$TC" serve --port 8082 --no-close --duration 600 &
srv_noclose=$!
lab_exec ${P}cli timeout 600 "$TC" serve --port 7000 --server-close --duration 600 &
listening() { t_wait_listen ${P}srv 8080 && t_wait_listen ${P}srv 8082 &&
	t_wait_listen ${P}cli 7000; }
check "servers listen" listening
nsenter --net=/run/netns/${P}cli timeout 600 "$XG" events --json >"$tmp/events" 2>"$tmp/events.err" &
evpid=$!
check "events reader ready" t_wait_line "$tmp/events.err" "host socket telemetry"

# ---- churn: everything inside one measured window ----
xg_cli tw --interval $IVAL --top 5 --json >"$tmp/tw" &
twpid=$!
sleep 0.5
t0=$(date +%s%N)
lab_exec ${P}cli "$TC" connect --dst $SRV --port 8080 --count $N --json >"$tmp/c1"
lab_exec ${P}cli "$TC" connect --dst $SRV --port 8081 --count $M --json >"$tmp/c2"
lab_exec ${P}cli "$TC" connect --dst $SRV6 --port 8080 --count $N6 --json >"$tmp/c3"
lab_exec ${P}srv "$TC" connect --dst $LAB_CLI4 --port 7000 --count $K --wait-eof --json >"$tmp/c4"
t1=$(date +%s%N)
wait $twpid
E=$((N + M + N6 + K))
made=$(( $(jf "$tmp/c1" 'd["ok"]') + $(jf "$tmp/c2" 'd["ok"]') + $(jf "$tmp/c3" 'd["ok"]') + $(jf "$tmp/c4" 'd["ok"]') ))
expect_eq "all $E connections made" "$made" "$E"
check "the connections fit in the window ($(( (t1 - t0) / 1000000 )) ms)" \
	test $(( (t1 - t0) / 1000000 )) -lt $(( (IVAL - 1) * 1000 ))
echo "# window: $(jf "$tmp/tw" '"%.3f s, %d entries, %.1f/s" % (d["interval_seconds"], d["tw_entries"], d["tw_entries_per_s"])')"
expect_eq "TIME_WAIT entries (tracepoint) = connections closed first here" \
	"$(jf "$tmp/tw" 'd["tw_entries"]')" "$E"
expect_eq "... = timewait sockets younger than the window (iterator)" \
	"$(jf "$tmp/tw" 'd["tw_entries_iter"]')" "$E"
# the window as tw measured it (about IVAL, longer on a busy machine)
win=$(jf "$tmp/tw" 'd["interval_seconds"]')
per10() { python3 -c "print(int($1 * 10 / $win))"; }	# N -> 10 x N per second
expect_near "entry rate = connections / window" \
	"$(jf "$tmp/tw" 'int(d["tw_entries_per_s"] * 10)')" "$(per10 $E)" 1
expect_eq "no reset closes" "$(jf "$tmp/tw" 'd["reset_closes"]')" 0

top() { jf "$tmp/tw" "$1"; }
expect_eq "top remote by TIME_WAIT count: $SRV:8080, $SRV:8081, [$SRV6]:8080" \
	"$(top '[(e["endpoint"], e["time_wait"]) for e in d["top_remote_by_count"][:3]]')" \
	"[('$SRV:8080', $N), ('$SRV:8081', $M), ('[$SRV6]:8080', $N6)]"
expect_eq "top remote by churn: $SRV:8080" \
	"$(top 'd["top_remote_by_churn"][0]["endpoint"]')" "$SRV:8080"
expect_near "its churn rate" "$(top 'int(d["top_remote_by_churn"][0]["tw_entries_per_s"] * 10)')" \
	"$(per10 $N)" 1
expect_eq "top local port by TIME_WAIT count: 7000 ($K)" \
	"$(top '(d["top_lport_by_count"][0]["port"], d["top_lport_by_count"][0]["time_wait"])')" "(7000, $K)"
expect_eq "top local port by churn: 7000" "$(top 'd["top_lport_by_churn"][0]["port"]')" 7000
expect_near "its churn rate" "$(top 'int(d["top_lport_by_churn"][0]["tw_entries_per_s"] * 10)')" \
	"$(per10 $K)" 1
ss_dst=$(ip netns exec ${P}cli ss -tanH dst $SRV dport = :8080 | wc -l)
expect_eq "ephemeral ports toward $SRV:8080 = ss's count" \
	"$(top '[e["in_use"] for e in d["ephemeral"]["destinations"] if e["destination"] == "'$SRV':8080"][0]')" "$ss_dst"

expect_same "client namespace: every state = ss, at the same moment" ${P}cli
r=$(same_moment ${P}cli)
expect_eq "client namespace: TIME_WAIT = ss -tan state time-wait" \
	"$(state_of "${r#*|}" time_wait)" "$(ip netns exec ${P}cli ss -tanH state time-wait | wc -l)"
check "... and it is the thousands made here ($(state_of "${r#*|}" time_wait))" \
	test "$(state_of "${r#*|}" time_wait)" -ge $E
expect_eq "timewait sockets = /proc/net/sockstat tw" \
	"$(xg_cli tw --json | json_get 'd["timewait_sockets"]')" \
	"$(ip netns exec ${P}cli awk '/^TCP:/ {for (i = 1; i < NF; i++) if ($i == "tw") print $(i + 1)}' /proc/net/sockstat)"
expect_same "server namespace: every state = ss (none of the client's TIME_WAIT)" ${P}srv
expect_eq "server namespace counted no TIME_WAIT entries" \
	"$(xg_in ${P}srv tw --json | json_get 'd["time_wait"]')" 0

# ---- resets: SO_LINGER 0, both sides, against TcpEstabResets ----
estab_resets() { ip netns exec "$1" nstat -az TcpEstabResets | awk '/TcpEstabResets/ {print $2}'; }
rc0=$(estab_resets ${P}cli) rs0=$(estab_resets ${P}srv)
xg_cli tw --interval 3 --json >"$tmp/rcli" &
p1=$!
xg_in ${P}srv tw --interval 3 --json >"$tmp/rsrv" &
p2=$!
sleep 0.5
lab_exec ${P}cli "$TC" connect --dst $SRV --port 8080 --count $R --linger0 --json >"$tmp/c5"
wait $p1 $p2
expect_eq "$R connections aborted by the client" "$(jf "$tmp/c5" 'd["ok"]')" $R
expect_eq "client: reset closes (sent) = $R" \
	"$(jf "$tmp/rcli" '(d["reset_closes"], d["rst_sent"], d["tw_entries"])')" "($R, $R, 0)"
expect_eq "server: reset closes (received) = $R" \
	"$(jf "$tmp/rsrv" '(d["reset_closes"], d["rst_received"])')" "($R, $R)"
expect_eq "client: = TcpEstabResets" $(( $(estab_resets ${P}cli) - rc0 )) $R
expect_eq "server: = TcpEstabResets" $(( $(estab_resets ${P}srv) - rs0 )) $R

# ---- FIN_WAIT2: the peer never closes ----
xg_cli tw --interval 3 --json >"$tmp/fw" &
p1=$!
sleep 0.5
lab_exec ${P}cli "$TC" connect --dst $SRV --port 8082 --count $F --json >"$tmp/c6"
wait $p1
expect_eq "FIN_WAIT2: $F entries, all as sub-state FIN_WAIT2" \
	"$(jf "$tmp/fw" '(d["tw_entries"], d["tw_entered_fin_wait2"])')" "($F, $F)"
r=$(same_moment ${P}cli)
expect_eq "FIN_WAIT2 timewait sockets show as ss shows them" "${r#*|}" "${r%|*}"
expect_eq "... $F in FIN-WAIT-2" "$(state_of "${r#*|}" fin_wait2)" $F
tw_before=$(state_of "${r#*|}" time_wait)
kill $srv_noclose 2>/dev/null	# the server's FINs arrive: TIME_WAIT
for i in $(seq 1 30); do
	[ "$(ip netns exec ${P}cli ss -tanH state fin-wait-2 | wc -l)" -eq 0 ] && break
	sleep 0.1
done
r=$(same_moment ${P}cli)
expect_eq "after the peer's FIN: states = ss" "${r#*|}" "${r%|*}"
expect_eq "... none left in FIN-WAIT-2" "$(state_of "${r#*|}" fin_wait2)" 0
# (the first TIME_WAITs are 60 s from expiring: none went meanwhile)
expect_eq "... all $F went on to TIME_WAIT, with no tracepoint to say so" \
	"$(state_of "${r#*|}" time_wait)" $((tw_before + F))

# ---- the churn event: once, rate-limited ----
sleep 1
kill -INT $evpid 2>/dev/null
wait $evpid
nch=$(grep -c '"type":"tw_churn"' "$tmp/events")
expect_eq "one tw_churn event for the burst (threshold 500/s, one per 10 s)" "$nch" 1
check "its numbers: 500 entries within a second, threshold 500" \
	bash -c "grep '\"type\":\"tw_churn\"' $tmp/events | python3 -c '
import json, sys
e = json.loads(sys.stdin.readline())
sys.exit(not (e[\"entries\"] == 500 and e[\"threshold_per_s\"] == 500 and e[\"window_ms\"] < 1000 and e[\"netns\"] == $(stat -L -c %i /run/netns/${P}cli)))'"

# ---- off, on, detach --all ----
ids=$(t_host_ids)
check "tw off" xg_cli tw off
t_host_nothing_left "$ids"
out=$(xg_cli tw off)
check "tw off twice: says it was off" grep -q "already off" <<<"$out"
# reading never switches anything on
for c in "tw" "tw show" "sockets"; do
	out=$(xg_cli $c 2>&1); rc=$?
	check "'$c' while it is off: exit 2, says so and what to do (exit $rc)" \
		bash -c "[ $rc = 2 ] && grep -q 'host socket telemetry is off.*xdpguard tw on' <<<'$out'"
done
t_host_nothing_left "$ids"
check "tw on again" xg_cli tw on
check "attach c0 too" xg_cli attach c0 --mode skb
ids=$(t_host_ids)
t_snapshot
out=$(xg_cli detach --all); rc=$?
expect_eq "detach --all in a namespace: exit 0" "$rc" 0
check "... says it left the host-wide telemetry on" grep -q "host socket telemetry left on" <<<"$out"
check "... and left it on" test -e "$XG_PINS/host/xg_sk_config"
check "tw off then" xg_cli tw off
t_host_nothing_left "$ids"
check "nothing left: no xdp on c0" bash -c "! ip -n ${P}cli link show c0 | grep -q xdp"
t_nothing_left
t_end
