#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prometheus metrics during a flood: /metrics scraped twice with curl parses
# with a real Prometheus text-format parser, counters are monotonic, and
# the counter deltas agree with the generator's packet count; the textfile
# is written atomically and parses too; bad arguments are usage errors.
P=xgex-
. "$(dirname "$0")/../lib.sh"
t_start
PYTHON=/usr/bin/python3	# Debian's, with python3-prometheus-client
PORT=9400
TXT=/tmp/${P}metrics.prom
TC=$ROOT/build/tcpchurn

check "attach eth0" xg_srv attach eth0 --pps 100 --burst 100
nsenter --net=/run/netns/${P}srv "$XG" export --listen 127.0.0.1:$PORT \
	--textfile "$TXT" --interval 1 2>/dev/null &
xpid=$!
for i in $(seq 1 50); do
	lab_exec ${P}srv curl -sf -o /dev/null 127.0.0.1:$PORT/metrics && break
	sleep 0.1
done

scrape() { lab_exec ${P}srv curl -sf 127.0.0.1:$PORT/metrics; }
# parse with prometheus_client; print "name{labels} value" per sample
parse() {
	$PYTHON -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        lab = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %d" % (s.name, lab, s.value))'
}
syns() {	# SYNs judged on eth0, from parsed samples
	awk '/^xdpguard_packets_total\{interface=eth0,reason=(syn_budget|syn_over_budget),/ {s += $2} END {print s + 0}'
}

a=$(scrape | parse); rc=$?
expect_eq "first scrape parses with prometheus_client" "$rc" 0
expect_eq "xdpguard_build_info names this version and the pins layout" \
	"$(grep '^xdpguard_build_info' <<<"$a")" \
	"xdpguard_build_info{pins_layout=$(sed -n 's/^#define XG_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' include/xdpguard/abi.h),version=$(cat VERSION)} 1"
mac=$(lab_mac ${P}srv eth0)
err0=$(atk_xmit_errors)
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport 80 \
	--src 198.19.0.0/16 --sources 64 --count 2000000 --duration 10 --json >"/tmp/${P}flood.json"
sent=$(json_get 'd["sent"]' <"/tmp/${P}flood.json")
lost=$(( $(atk_xmit_errors) - err0 ))
b=$(scrape | parse); rc=$?
expect_eq "second scrape parses with prometheus_client" "$rc" 0
expect_eq "counter deltas = generator count - veth losses" \
	$(( $(syns <<<"$b") - $(syns <<<"$a") )) $((sent - lost))
mono=$(join <(grep _total <<<"$a" | sort) <(grep _total <<<"$b" | sort) |
	awk '$3 < $2 {print $1}')
expect_eq "every counter is monotonic" "$mono" ""
raw=$(scrape)
check "no per-source labels" bash -c "! grep -q '198\.19\.' <<<\"\$1\"" _ "$raw"
check "HELP and TYPE for every family" test "$(grep -c '^# HELP' <<<"$raw")" -eq "$(grep -c '^# TYPE' <<<"$raw")"
# 64 sources in a hashed table: two may share a slot (docs/sources.md),
# so the gauge is the kernel's count, as status reads it
tracked=$(xg_srv status -i eth0 --json | json_get 'd["interfaces"][0]["sources"]["tracked"]')
check "sources gauge = the table's count ($tracked of 64 sources)" bash -c \
	"grep -q '^xdpguard_sources_tracked{interface=eth0} $tracked\$' <<<\"\$1\" && [ $tracked -ge 60 ] && [ $tracked -le 64 ]" _ "$b"
check "cookie hand-off counters" grep -q "^xdpguard_cookie_handoffs_total{interface=eth0} 0$" <<<"$b"
check "PTB counters by family" grep -q "^xdpguard_ptb_received_total{family=6,interface=eth0} 0$" <<<"$b"
check "black-hole gauge" grep -q "^xdpguard_pmtud_blackhole_destinations{interface=eth0} 0$" <<<"$b"

# sockets of the namespace: 20 connections over loopback closed by the
# client first leave 20 TIME_WAIT; a listener with backlog 2 that never
# accepts fills its queue (the kernel admits backlog + 1)
ip netns exec ${P}srv python3 -c '
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 7200)); l.listen(64)
for i in range(20):
    c = socket.create_connection(("127.0.0.1", 7200)); s, _ = l.accept()
    c.close(); time.sleep(0.01); s.close()
time.sleep(0.2)'
lab_exec ${P}srv timeout 600 "$TC" serve --port 7100 --backlog 2 --no-accept --duration 600 &
spid=$!
check "listener with backlog 2" t_wait_listen ${P}srv 7100
lab_exec ${P}cli timeout 30 "$TC" connect --dst $LAB_SRV4_C --port 7100 --count 3 \
	--hold 15 --timeout 2 --json >/dev/null &
cpid=$!
sleep 1
check "tw on" xg_srv tw on
hids=$(t_host_ids)
# (each scrape leaves a TIME_WAIT of its own, after the count is taken)
tw=$(ip netns exec ${P}srv ss -tanH state time-wait | wc -l)
c=$(scrape | parse); rc=$?
expect_eq "scrape with socket telemetry parses" "$rc" 0
expect_eq "TIME_WAIT gauge = ss just before" "$(awk '/^xdpguard_tcp_time_wait_sockets\{\}/ {print $2}' <<<"$c")" "$tw"
check "... with the 20 closed connections ($tw)" test "$tw" -ge 20
expect_eq "accept queue full on one listener" "$(awk '/^xdpguard_accept_queue_full_listeners\{\}/ {print $2}' <<<"$c")" 1
expect_eq "... fill ratio 1" "$(awk '/^xdpguard_accept_queue_fill_ratio_max\{\}/ {print $2}' <<<"$c")" 1
expect_eq "accept queue sockets = ss Recv-Q" "$(awk '/^xdpguard_accept_queue_sockets\{\}/ {print $2}' <<<"$c")" \
	"$(ip netns exec ${P}srv ss -tlnH | awk '{s += $2} END {print s}')"
check "tw off" xg_srv tw off
t_host_nothing_left "$hids"
kill $spid $cpid 2>/dev/null
wait $spid $cpid 2>/dev/null
code=$(lab_exec ${P}srv curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:$PORT/nope)
expect_eq "other paths are 404" "$code" 404
sleep 1.5
tf=$(parse <"$TXT"); rc=$?
expect_eq "textfile parses with prometheus_client" "$rc" 0
check "textfile has the counters" grep -q "^xdpguard_packets_total{interface=eth0," <<<"$tf"
check "no temporary files left beside the textfile" bash -c "[ -z \"\$(ls $TXT.* 2>/dev/null)\" ]"
kill -TERM $xpid
wait $xpid
expect_eq "export exits 0 on SIGTERM" "$?" 0

out=$(xg_srv export --listen nohost 2>&1); rc=$?
expect_eq "bad --listen: usage error" "$rc" 2
check "bad --listen named" grep -q -- "--listen 'nohost'" <<<"$out"
out=$(xg_srv export 2>&1); rc=$?
expect_eq "export without a target: usage error" "$rc" 2
rm -f "$TXT" "/tmp/${P}flood.json"
t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
