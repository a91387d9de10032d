#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the host socket telemetry.
#  1. The tracepoint programs' cost per TCP state change: loopback
#     connections per second in a namespace without them and with them,
#     rounds alternating in the same run, client and server pinned to one
#     CPU (the other engineers' load moves less between paired rounds);
#     the difference per connection divided by the state changes per
#     connection (counted by xdpguard).
#     Beside it the kernel's own bpf_stats (run_time_ns / run_cnt) of the
#     sock:inet_sock_set_state program for one round.
#  2. The time to take a full snapshot (iter/tcp) of 100,000 sockets:
#     100,000 TIME_WAIT sockets made in a namespace, `xdpguard tw` reports
#     its snapshot time; `ss -tan` beside it.
# Numbers only; nothing is asserted. Everything it makes is removed.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
XG=$ROOT/build/xdpguard
TC=$ROOT/build/tcpchurn
NS=xg5bench
ROUNDS=${XG_BENCH_SOCK_ROUNDS:-7}
CONNS=${XG_BENCH_SOCK_CONNS:-10000}
SNAP=${XG_BENCH_SOCK_SNAP:-100000}
was_on=0
[ -e /sys/fs/bpf/xdpguard/host/xg_sk_link_iter ] && was_on=1
stats0=$(sysctl -n kernel.bpf_stats_enabled)

cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$stats0"
	[ $was_on -eq 0 ] && "$XG" tw off >/dev/null 2>&1
	ip netns pids $NS 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del $NS 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM
in_ns() { nsenter --net=/run/netns/$NS "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "## Host socket telemetry (tests/bench.d/sockets.sh)"
if [ $was_on -eq 1 ]; then
	echo "host socket telemetry is already on (in use): the with/without"
	echo "comparison needs it off; skipped"
	exit 0
fi
ip netns del $NS 2>/dev/null
ip netns add $NS || exit 1
ip -n $NS link set lo up
ip netns exec $NS sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
	net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=4096
CPU=$(( $(nproc) - 1 ))
in_ns taskset -c $CPU timeout 600 "$TC" serve --addr 127.0.0.1 --port 8080 --duration 600 &
for i in $(seq 1 50); do
	ip netns exec $NS ss -ltnH | grep -q 8080 && break
	sleep 0.1
done

round() {	# -> connections per second
	in_ns taskset -c $CPU "$TC" connect --dst 127.0.0.1 --port 8080 \
		--count "$CONNS" --parallel 64 --timeout 60 --json | json 'd["cps"]'
}
# state changes per connection, counted by xdpguard over one round
"$XG" tw on >/dev/null || exit 1
in_ns "$XG" tw --json --interval 6 >/tmp/$NS.tw &
twp=$!
sleep 0.3
round >/dev/null
wait $twp
sc=$(json "d['state_changes_per_s'] * d['interval_s'] / $CONNS" </tmp/$NS.tw)
# pairs of rounds, without then with, back to back: the load of the
# shared CPUs moves less within a pair than across the run
off_cps="" on_cps=""
for r in $(seq 1 "$ROUNDS"); do
	"$XG" tw off >/dev/null 2>&1
	off_cps="$off_cps $(round)"
	"$XG" tw on >/dev/null || exit 1
	on_cps="$on_cps $(round)"
done
# the kernel's own accounting (bpf_stats) of the program, one more round,
# beside an empty program on the same tracepoint (build/tp_empty)
prog=$(bpftool -j link show pinned /sys/fs/bpf/xdpguard/host/xg_sk_link_state | json 'd["prog_id"]')
coproc EMPTY { exec "$ROOT/build/tp_empty" --duration 120; }
epid=$EMPTY_PID
read -r eprog <&"${EMPTY[0]}"
prun() { bpftool -j prog show id "$1" | json '"%d %d" % (d.get("run_time_ns", 0), d.get("run_cnt", 0))'; }
sysctl -qw kernel.bpf_stats_enabled=1
read -r t0 n0 < <(prun "$prog")
read -r e0 m0 < <(prun "$eprog")
round >/dev/null
read -r t1 n1 < <(prun "$prog")
read -r e1 m1 < <(prun "$eprog")
sysctl -qw kernel.bpf_stats_enabled="$stats0"
kill "$epid" 2>/dev/null
wait "$epid" 2>/dev/null
rm -f /tmp/$NS.tw

echo "rounds (conn/s) without:$off_cps; with:$on_cps"
python3 - "$off_cps" "$on_cps" "$sc" "$t0" "$n0" "$t1" "$n1" "$ROUNDS" "$CONNS" \
	"$e0" "$m0" "$e1" "$m1" <<'EOF'
import statistics, sys
offs = [float(x) for x in sys.argv[1].split()]
ons = [float(x) for x in sys.argv[2].split()]
sc = float(sys.argv[3])
off, on = statistics.median(offs), statistics.median(ons)
pairs = [(1e9 / b - 1e9 / a) / sc for a, b in zip(offs, ons)]
t0, n0, t1, n1 = map(int, sys.argv[4:8])
rounds, conns = sys.argv[8], sys.argv[9]
print("loopback connections (connect, 1 byte each way, close), %s per round, "
      "64 at a time, on one CPU, %s pairs of rounds (medians):" % (conns, rounds))
print("  without the tracepoints  %10.0f conn/s" % off)
print("  with them                %10.0f conn/s  (%+.1f%%)" % (on, 100 * (on / off - 1)))
print("  state changes per connection (both ends): %.2f" % sc)
d = statistics.median(pairs)
print("  cost per state change (wall clock), median over the pairs of "
      "rounds: %.0f ns%s (pairs: %s)"
      % (d, " (below the noise of shared CPUs)" if d <= 0 else "",
         " ".join("%.0f" % x for x in pairs)))
e0, m0, e1, m1 = map(int, sys.argv[10:14])
if n1 > n0 and m1 > m0:
    x, y = (t1 - t0) / (n1 - n0), (e1 - e0) / (m1 - m0)
    print("  bpf_stats, one more round: the set_state program %.0f ns per "
          "run (%d runs), an empty one on the same tracepoint %.0f ns "
          "(%d runs): %.0f ns of work per state change"
          % (x, n1 - n0, y, m1 - m0, x - y))
EOF

# ---- a full snapshot of SNAP sockets, in a namespace of their own ----
# TIME_WAIT sockets toward 10 server ports, so that no destination's
# ports run short (connect()'s port search slows down as they fill)
ip netns pids $NS 2>/dev/null | xargs -r kill -9 2>/dev/null
ip netns del $NS 2>/dev/null
ip netns add $NS || exit 1
ip -n $NS link set lo up
ip netns exec $NS sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
	net.ipv4.tcp_tw_reuse=0 net.ipv4.tcp_max_tw_buckets=$((SNAP * 2)) \
	net.core.somaxconn=4096
ports=$(seq 9000 9009)
in_ns timeout 300 "$TC" serve --addr 127.0.0.1 $(printf -- '--port %s ' $ports) --duration 300 &
for i in $(seq 1 50); do
	[ "$(ip netns exec $NS ss -ltnH | wc -l)" -ge 10 ] && break
	sleep 0.1
done
t=$(date +%s%N)
for p in $ports; do
	in_ns "$TC" connect --dst 127.0.0.1 --port $p --count $((SNAP / 10)) \
		--parallel 64 --timeout 20 --json >/dev/null
done
made_ms=$(( ($(date +%s%N) - t) / 1000000 ))
snaps=""
for i in 1 2 3; do
	snaps="$snaps $(in_ns "$XG" tw --json --interval 1 | json 'd["snapshot_ms"]')"
done
t=$(date +%s%N)
n=$(ip netns exec $NS ss -tanH | wc -l)
ss_ms=$(( ($(date +%s%N) - t) / 1000000 ))
sockets=$(in_ns "$XG" tw --json --interval 1 | json 'd["sockets"]')
echo "full snapshot of $sockets sockets (made in $made_ms ms; ss -tan counts $n):"
echo "  xdpguard tw (iter/tcp, read and parsed): $(median <<<"$snaps") ms (median of 3:$snaps)"
echo "  ss -tan | wc -l beside it:              $ss_ms ms"
