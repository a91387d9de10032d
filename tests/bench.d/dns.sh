#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the DNS telemetry programs, ns per packet beside an empty tc
# program measured in the same run (build/dnsbench).
cd "$(dirname "$0")/../.."
echo "## tc DNS telemetry (build/dnsbench)"
build/dnsbench --repeat "${XG_BENCH_REPEAT:-1000000}" --rounds "${XG_BENCH_ROUNDS:-5}"

# 2. dnsperf's queries per second through unbound (answers from its
#    local-data, so no upstream): without xdpguard, with it and --no-dns,
#    with it and DNS telemetry, on both ends, rounds alternating in the
#    same run. Numbers only; everything
#    made is removed.
echo
echo "## dnsperf through unbound, without / with xdpguard (DNS telemetry)"
for t in unbound dnsperf; do
	command -v $t >/dev/null || { echo "# skipped: $t missing (make deps)"; exit 0; }
done
ROOT=$PWD
XG=$ROOT/build/xdpguard
P=${XG_NS_PREFIX:-}xgdb-
T=$(mktemp -d /tmp/xg-dnsbench-XXXXXX)
ROUNDS=${XG_BENCH_DNS_ROUNDS:-3}
SECS=${XG_BENCH_DNS_SECS:-5}
. scripts/lab.sh
cleanup() {
	ip netns pids ${P}srv 2>/dev/null | xargs -r kill 2>/dev/null
	lab_down "$P"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
lab_up "$P" >/dev/null || exit 1
cat >"$T/unbound.conf" <<EOC
server:
	interface: $LAB_SRV4_C
	access-control: 198.18.0.0/15 allow
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$T"
	pidfile: "$T/unbound.pid"
	use-syslog: no
	logfile: "$T/unbound.log"
	num-threads: 1
	module-config: "iterator"
	local-zone: "bench.test." static
	local-data: "www.bench.test. 300 IN A 198.18.5.1"
EOC
nsenter --net=/run/netns/${P}srv timeout 600 unbound -d -c "$T/unbound.conf" >/dev/null 2>&1 &
for i in $(seq 1 50); do
	nsenter --net=/run/netns/${P}cli dig @$LAB_SRV4_C +tries=1 +time=1 www.bench.test >/dev/null 2>&1 && break
	sleep 0.1
done
echo "www.bench.test A" >"$T/q"
qps() {
	nsenter --net=/run/netns/${P}cli dnsperf -s $LAB_SRV4_C -d "$T/q" -l "$SECS" -c 4 -q 50 2>/dev/null |
		awk '/Queries per second:/ {print $4}'
}
att() {	# att [OPTS]: xdpguard on both ends
	nsenter --net=/run/netns/${P}srv "$XG" attach eth1 --mode skb "$@" >/dev/null
	nsenter --net=/run/netns/${P}cli "$XG" attach c0 --mode skb "$@" >/dev/null
}
det() {
	nsenter --net=/run/netns/${P}cli "$XG" detach c0 >/dev/null
	nsenter --net=/run/netns/${P}srv "$XG" detach eth1 >/dev/null
}
echo "# $SECS s a sample; none: no xdpguard; --no-dns: the guard and tc"
echo "# MSS/PTB programs; dns: the same plus the DNS telemetry"
printf '%-6s %12s %12s %12s\n' round none --no-dns dns
for r in $(seq 1 "$ROUNDS"); do
	a=$(qps)
	att --no-dns
	b=$(qps)
	det
	att
	c=$(qps)
	det
	printf '%-6s %12.0f %12.0f %12.0f\n' "$r" "$a" "$b" "$c"
done
