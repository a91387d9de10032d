#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Socket pressure on a listener with backlog 4 that never accepts. First
# a few clients whose handshake ACKs are dropped on their way (tc on the
# attacker's veth) leave request sockets that the server keeps
# retransmitting SYN-ACKs for; then more clients than the backlog fill the
# accept queue. `xdpguard sockets` shows the queue full (5/4, as ss's
# Recv-Q/Send-Q), the SYN_RECV requests as ss counts them, SYN-ACK
# retransmissions equal to the kernel's TCPSynRetrans, and the kernel's
# ListenOverflows/ListenDrops/SyncookiesSent as nstat reads them; the
# accept_full event fires in the server's namespace only.
P=xg5so-
. "$(dirname "$0")/../lib.sh"
T_HOST=1
t_start

TC=$ROOT/build/tcpchurn
PORT=9090 NATK=6 NCLI=8
tmp=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_cleanup; rm -rf "$tmp"' EXIT
xg_in() { local ns=$1; shift; lab_exec "$ns" "$XG" "$@"; }
nst() { ip netns exec ${P}srv nstat -az "TcpExt$1" | awk -v n="TcpExt$1" '$1 == n {print $2}'; }

check "tw on" xg_in ${P}srv tw on
lab_exec ${P}srv timeout 600 "$TC" serve --port $PORT --backlog 4 --no-accept --duration 600 &
check "listener with backlog 4" t_wait_listen ${P}srv $PORT
nsenter --net=/run/netns/${P}srv timeout 600 "$XG" events --json >"$tmp/ev_srv" 2>"$tmp/ev_srv.err" &
evs=$!
nsenter --net=/run/netns/${P}cli timeout 600 "$XG" events --json >"$tmp/ev_cli" 2>"$tmp/ev_cli.err" &
evc=$!
check "event readers ready" bash -c "$(declare -f t_wait_line); t_wait_line $tmp/ev_srv.err host && t_wait_line $tmp/ev_cli.err host"
rtx0=$(nst TCPSynRetrans)

# the attacker side's handshake ACKs (bare ACKs) never arrive
ip -n ${P}atk link set dev a0 up
tc -n ${P}atk qdisc add dev a0 clsact
check "drop the attacker's bare ACKs (tc egress, build/ack_drop.bpf.o)" \
	tc -n ${P}atk filter add dev a0 egress bpf da obj "$ROOT/build/ack_drop.bpf.o" sec tc
lab_exec ${P}atk "$TC" connect --dst $LAB_SRV4 --port $PORT --count $NATK --parallel 1 \
	--hold 20 --timeout 2 --json >"$tmp/atk" &
sleep 0.5
lab_exec ${P}cli "$TC" connect --dst $LAB_SRV4_C --port $PORT --count $NCLI --parallel $NCLI \
	--hold 20 --timeout 2 --json >"$tmp/cli" &
# until the requests have had their SYN-ACKs retransmitted (after 1 s,
# then 3 s), bounded: the timers run late on a busy machine
for i in $(seq 1 150); do
	n=$(ip netns exec ${P}srv ss -tanH state syn-recv "sport = :$PORT" | wc -l)
	[ "$n" -gt 0 ] && [ $(( $(nst TCPSynRetrans) - rtx0 )) -ge "$n" ] && break
	sleep 0.1
done

snap() { for c in ListenOverflows ListenDrops SyncookiesSent; do echo "$c $(nst $c)"; done; }
jf() { awk -v c="$2" '$1 == c {print $2}' "$1"; }
snap >"$tmp/before"
rtxa=$(( $(nst TCPSynRetrans) - rtx0 ))
xg_in ${P}srv sockets --json >"$tmp/so"
rtxb=$(( $(nst TCPSynRetrans) - rtx0 ))
snap >"$tmp/after"
read -r rq sq < <(ip netns exec ${P}srv ss -ltnH "sport = :$PORT" | awk '{print $2, $3}')
nsyn=$(ip netns exec ${P}srv ss -tanH state syn-recv "sport = :$PORT" | wc -l)
rtx=$rtxb
lis() { json_get "[l for l in d['listeners'] if l['port'] == $PORT][0]$1" <"$tmp/so"; }
echo "# listener: $(lis '') ; ss Recv-Q $rq Send-Q $sq, syn-recv $nsyn, TCPSynRetrans +$rtx"
expect_eq "accept queue = ss Recv-Q/Send-Q" "$(lis '["accept_queue"]')/$(lis '["accept_max"]')" "$rq/$sq"
expect_eq "accept queue full (the kernel admits backlog + 1)" "$(lis '["full"]')" "True"
expect_eq "SYN_RECV requests = ss state syn-recv" "$(lis '["syn_recv"]')" "$nsyn"
check "there are SYN_RECV requests ($nsyn)" test "$nsyn" -gt 0
expect_eq "the listener's SYN_RECV queue length agrees" "$(lis '["syn_queue"]')" "$nsyn"
v=$(lis '["synack_retrans"]')
check "SYN-ACK retransmissions (tracepoint) = TcpExtTCPSynRetrans ($rtxa <= $v <= $rtxb)" \
	test "$rtxa" -le "$v" -a "$v" -le "$rtxb"
check "SYN-ACKs were retransmitted ($rtx)" test "$rtx" -ge "$nsyn"
expect_eq "namespace total = the listener's" "$(json_get 'd["synack_retrans"]' <"$tmp/so")" "$v"
# live counters: nstat just before and just after bracket xdpguard's
for c in ListenOverflows ListenDrops SyncookiesSent; do
	v=$(json_get "d['netstat']['$c']" <"$tmp/so")
	check "$c = nstat ($(jf "$tmp/before" $c) <= $v <= $(jf "$tmp/after" $c))" \
		test "$(jf "$tmp/before" $c)" -le "$v" -a "$v" -le "$(jf "$tmp/after" $c)"
	check "$c happened ($v)" test "$v" -gt 0
done
expect_eq "the client namespace has no such listener" \
	"$(xg_in ${P}cli sockets --json | json_get "len([l for l in d['listeners'] if l['port'] == $PORT])")" 0

kill -INT $evs $evc 2>/dev/null
wait $evs $evc
check "accept_full event in the server's namespace" \
	bash -c "grep '\"type\":\"accept_full\"' $tmp/ev_srv | python3 -c '
import json, sys
e = json.loads(sys.stdin.readline())
print(\"#\", e)
sys.exit(not (e[\"src\"] == \"::\" and e[\"sport\"] == $PORT and e[\"accept_queue\"] == 5 and e[\"accept_max\"] == 4 and e[\"netns\"] == $(stat -L -c %i /run/netns/${P}srv)))'"
# one per listener per 10 s: however long the steps above took, no two
# closer than that
check "accept_full events at least 10 s apart ($(grep -c '"type":"accept_full"' "$tmp/ev_srv"))" python3 -c '
import datetime, json, sys
t = sorted(datetime.datetime.strptime(e["time"][:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
           for e in map(json.loads, open(sys.argv[1])) if e["type"] == "accept_full")
sys.exit(not (t and all(b - a >= 9.99 for a, b in zip(t, t[1:]))))' "$tmp/ev_srv"
expect_eq "none in the client's namespace" "$(grep -c accept_full "$tmp/ev_cli")" 0

ids=$(t_host_ids)
check "tw off" xg_in ${P}srv tw off
t_host_nothing_left "$ids"
t_end
