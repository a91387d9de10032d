#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench, the SYN path on its own core: server CPU per spoofed SYN,
# measured where the generator cannot set the rate (issue 13).
#
#   ${P}gen  F0 --- F1 => G0 --- S0 ${P}srv S1 --- C0  ${P}cli
#
# S0, the server's end of the flood, runs its veth NAPI in a kthread
# (threaded NAPI, napi/S0-N) pinned alone to CPU 1. The generator
# (build/synflood, XDP_TX live frames copying its template every run, or
# where the kernel refuses those, AF_PACKET from user space) sends out of
# F0; F1 forwards every frame at XDP out of G0 (build/xgsink --to G0, a
# redirect), so that S0 receives xdp_frames, as a NIC's driver hands its
# XDP program a page, not skbs (a veth's XDP on an skb copies it first,
# ~600 ns that no NIC pays). G0, the generator's own end, is threaded
# and pinned to CPU 0 with the generator and the clients: it plays the
# router of the issue's setup and drops the backscatter (the server's
# SYN-ACKs, XDP_TX or the kernel's) at XDP (build/xgsink), so that
# nothing the server sends is processed on its CPU. Frames reach S0 in
# F1's 64-frame NAPI batches (the veth ring holds 256); what S0 has no
# room for never reaches it.
#
# Per SYN: the kthread's run time (/proc/PID/schedstat, first field)
# over the frames S0 received (rx_packets), in a window of SECS seconds
# inside a flood of SECS + 4 s, while 10 clients connect through S1.
# One row per server configuration: "prog" the XDP program's own ns per
# run (the kernel's run-time stats, on for 0.3 s right after the window,
# the flood still on: the rest of ns/SYN is the driver's, the stack's and
# the wakeups'), "Mframe" the frames received in the
# window (millions), "/run" frames per kthread run (its schedstat third
# field; a kthread woken for fewer frames spends more per frame waking),
# ratios against the XDP_DROP floor and the kernel's own cookies
# (kernel ns / row ns), "answer" the share of frames received in the
# window that the server answered (S0's XDP_TX verdicts plus the
# kernel's cookies), "client" the connections that completed,
# "cookies" the kernel's TcpExtSyncookiesSent over the whole row (0 for
# every xdpguard row: the kernel sends none of its own).
#
# The machine is shared: the kthread's CPU is not isolated from other
# work, only from this flood's; the spread of a few runs is the error bar.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. scripts/lab.sh
X=${XG_NS_PREFIX:-xg}
P=${X}be-
GEN=${P}gen SRV=${P}srv CLI=${P}cli
F0=${X}f0 F1=${X}f1 G0=${X}g0 S0=${X}s0 S1=${X}s1 C0=${X}c0
XG=$ROOT/build/xdpguard
SECS=${XG_BENCH_FLOOD_SECS:-4}
PORT=8080
SRV4=198.18.30.1 GEN4=198.18.30.2 SRV4C=198.18.31.1 CLI4=198.18.31.2
SRV6=2001:db8:30::1 GEN6=2001:db8:30::2
CPU_SRV=1 CPU_GEN=0

if [ "$(nproc)" -lt 2 ]; then
	echo "## SYN path on its own core: skipped (needs 2 CPUs)"
	exit 0
fi
TMP=$(mktemp -d /tmp/${P}XXXX)

down() {
	local ns
	for ns in $GEN $SRV $CLI; do
		if ip netns list | grep -qw "$ns"; then
			for dir in "$XG_PINS/$(lab_netns_cookie "$ns")"-*; do
				[ -d "$dir" ] && rm -rf "$dir"
			done
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		fi
	done
	rm -rf "$TMP"
	rmdir "$XG_PINS" 2>/dev/null	# the pin root, when nothing else uses it
}
trap down EXIT

up() {
	local ns
	down
	mkdir -p "$TMP"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	for ns in $GEN $SRV $CLI; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	ip link add $S0 netns $SRV type veth peer name $G0 netns $GEN || return 1
	ip link add $S1 netns $SRV type veth peer name $C0 netns $CLI || return 1
	ip link add $F0 netns $GEN type veth peer name $F1 netns $GEN || return 1
	ip -n $SRV addr add $SRV4/24 dev $S0
	ip -n $SRV addr add $SRV6/64 dev $S0 nodad
	ip -n $SRV addr add $SRV4C/24 dev $S1
	ip -n $GEN addr add $GEN4/24 dev $G0
	ip -n $GEN addr add $GEN6/64 dev $G0 nodad
	ip -n $CLI addr add $CLI4/24 dev $C0
	ip -n $SRV link set $S0 up
	ip -n $SRV link set $S1 up
	ip -n $GEN link set $G0 up
	ip -n $GEN link set $F0 up
	ip -n $GEN link set $F1 up
	ip -n $CLI link set $C0 up
	ip -n $SRV route add $LAB_SPOOF4 via $GEN4
	ip -n $SRV -6 route add $LAB_SPOOF6 via $GEN6
	# tcp_synack_retries 1: the kernel row's request sockets (its SYN
	# queue, 4096 spoofed SYNs) die ~3 s after it, not 63 s, so that
	# they hold none of the socket record's cells in the rows after
	# the one that measures just that
	ip netns exec $SRV sysctl -qw net.ipv4.tcp_max_syn_backlog=4096 \
		net.core.somaxconn=4096 net.ipv4.tcp_syncookies=1 \
		net.ipv4.tcp_synack_retries=1
	# the client's end behaves like a host on a wire (lab_wire)
	ip -n $CLI link set dev $C0 xdp obj "$LAB_XDP_PASS" sec xdp || return 1
	ip netns exec $CLI ethtool -K $C0 tx off txvlan off >/dev/null || return 1
	ip netns exec $GEN ethtool -K $G0 tx off txvlan off >/dev/null
	ip netns exec $GEN ethtool -K $F0 tx off txvlan off >/dev/null
}

# NS DEV CPU: DEV's NAPI threaded (a veth has NAPI while it runs an XDP
# program), its kthread (napi/DEV-ID) pinned to CPU; prints its pid
napi_pin() {
	local pid i
	ip netns exec "$1" sh -c "echo 1 > /sys/class/net/$2/threaded" || return 1
	for i in $(seq 1 20); do
		pid=$(pgrep -x "napi/$2-[0-9]+" | head -1)
		[ -n "$pid" ] && break
		sleep 0.05
	done
	[ -n "$pid" ] && taskset -pc "$3" "$pid" >/dev/null || return 1
	echo "$pid"
}

# PID: "run-time-ns runs rx_packets" of the kthread and S0, read by one
# process in the server's namespace (its /proc/net/dev), so that the
# two are read a few microseconds apart
sample() {
	nsenter --net=/run/netns/$SRV awk -v dev="$S0:" '
		FNR == NR { t = $1; w = $3; next }
		$1 == dev { print t, w, $3 }' /proc/$1/schedstat /proc/net/dev
}

nst() {	# -s: no history file (shared by every nstat of this user)
	nsenter --net=/run/netns/$SRV nstat -asz "$1" |
		awk -v k="$1" '$1 == k {print $2}'
}

# SYNs the server answered so far: its XDP_TX verdicts (ethtool's xdp_tx
# and xdp_tx_errors of S0's one rx queue: a frame the peer's full ring
# refused was answered all the same) plus the kernel's cookies
answers() {
	echo $(( $(nsenter --net=/run/netns/$SRV ethtool -S $S0 | awk '
		$1 == "rx_queue_0_xdp_tx:" || $1 == "rx_queue_0_xdp_tx_errors:" \
		{ n += $2 } END { print n + 0 }') + $(nst TcpExtSyncookiesSent) ))
}

# ID SECS: the XDP program's own time per run (run_time_ns / run_cnt),
# with the kernel's run-time stats on for SECS only (BPF_ENABLE_STATS,
# held by this process: they cost two clock reads per run, so never
# inside the measured window; nobody else's setting is touched)
prog_ns() {
	python3 - "$1" "$2" <<'PY'
import ctypes, json, platform, subprocess, sys, time
NR_BPF = {"x86_64": 321, "aarch64": 280}.get(platform.machine())
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(16)	# enable_stats.type = RUN_TIME
fd = libc.syscall(NR_BPF, 32, attr, 16) if NR_BPF else -1	# BPF_ENABLE_STATS
def show():
    j = json.loads(subprocess.check_output(
        ["bpftool", "-j", "prog", "show", "id", sys.argv[1]]))
    return j.get("run_time_ns", 0), j.get("run_cnt", 0)
if fd < 0:
    print("-"); sys.exit()
t0, n0 = show()
time.sleep(float(sys.argv[2]))
t1, n1 = show()
print("%.0f" % ((t1 - t0) / (n1 - n0)) if n1 > n0 else "-")
PY
}

clients() {	# -> number of the 10 connections that completed, in $TMP/ok
	local ok=0 i
	for i in $(seq 1 10); do
		[ "$(taskset -c $CPU_GEN nsenter --net=/run/netns/$CLI timeout 4 \
			socat -T3 - TCP:$SRV4C:$PORT,connect-timeout=3 <<<"b$i" \
			2>/dev/null)" == "pong b$i" ] && ok=$((ok + 1))
		sleep 0.2
	done
	echo $ok >"$TMP/ok"
}

# row NAME KEY FLOOD-ARGS...: one flood, one line
row() {
	local name=$1 key=$2 kpid spid wpid fpid cpid r0 r1 t0 t1 w0 w1 a0 a1 c0 c1 pid pns
	shift 2
	pid=$(ip -n $SRV -j link show dev $S0 | python3 -c \
		'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
	kpid=$(napi_pin $SRV $S0 $CPU_SRV) ||
		{ echo "bench: no NAPI kthread for $S0"; return 1; }
	taskset -c $CPU_GEN nsenter --net=/run/netns/$GEN "$ROOT/build/xgsink" \
		--dev $G0 --json >"$TMP/sink" 2>/dev/null &
	spid=$!
	taskset -c $CPU_GEN nsenter --net=/run/netns/$GEN "$ROOT/build/xgsink" \
		--dev $F1 --to $G0 --json >"$TMP/fwd" 2>/dev/null &
	wpid=$!
	sleep 0.5
	napi_pin $GEN $F1 $CPU_GEN >/dev/null &&
	napi_pin $GEN $G0 $CPU_GEN >/dev/null ||
		{ echo "bench: no NAPI kthread for $F1 or $G0"; return 1; }
	c0=$(nst TcpExtSyncookiesSent)
	taskset -c $CPU_GEN nsenter --net=/run/netns/$GEN "$ROOT/build/synflood" \
		--dev $F0 --dst-mac "$MAC" --dport $PORT --count 0 \
		--duration $((SECS + 4)) --json "$@" >"$TMP/flood" 2>"$TMP/flood.err" &
	fpid=$!
	sleep 0.5
	clients &
	cpid=$!
	# answers are read as long after each sample (the same shift at
	# both ends of the window)
	read -r t0 w0 r0 < <(sample $kpid)
	a0=$(answers)
	sleep "$SECS"
	read -r t1 w1 r1 < <(sample $kpid)
	prog_ns "$pid" 0.3 >"$TMP/pns" &
	a1=$(answers)
	wait $!
	pns=$(cat "$TMP/pns")
	wait $fpid
	wait $cpid
	sleep 0.3
	kill -INT $spid $wpid 2>/dev/null
	wait $spid $wpid 2>/dev/null
	c1=$(nst TcpExtSyncookiesSent)
	python3 - "$name" "$key" "$TMP" "$((t1 - t0))" "$((r1 - r0))" \
		"$((a1 - a0))" "$(cat "$TMP/ok")" "$((c1 - c0))" "$((w1 - w0))" "$pns" <<'PY'
import sys
name, key, tmp = sys.argv[1:4]
ns, rx, ans, ok, ck, runs = map(int, sys.argv[4:10])
pns = sys.argv[10]
per = ns / rx if rx else float("nan")
open(tmp + "/r." + key, "w").write("%f\n" % per)
ref = {}
for k in ("drop", "kernel"):
    try:
        ref[k] = float(open(tmp + "/r." + k).read())
    except Exception:
        pass
ratio = lambda k: "%6.2fx" % (per / ref[k]) if k in ref and ref[k] else "     -"
kx = "%6.1fx" % (ref["kernel"] / per) if "kernel" in ref and per else "     -"
print("%-46s %6.0f %5s %6.2f %5.0f %s %s %6.1f%% %3s/10 %7d" % (name,
      per, pns, rx / 1e6, rx / runs if runs else 0, ratio("drop"), kx,
      100.0 * ans / rx if rx else 0, ok, ck))
PY
}

echo "## SYN path on its own core (tests/bench.d/isolated.sh)"
echo "# server NAPI kthread alone on CPU $CPU_SRV, generator + backscatter on CPU $CPU_GEN;"
echo "# ${SECS} s window per row; ns = kthread run time / frames received"
up || { echo "bench: lab setup failed"; exit 1; }
MAC=$(lab_mac $SRV $S0)
for l in TCP4-LISTEN:$PORT TCP6-LISTEN:$PORT,ipv6only=1; do
	nsenter --net=/run/netns/$SRV timeout 600 socat \
		$l,fork,reuseaddr,backlog=4096 \
		SYSTEM:'read l; echo "pong $l"' 2>/dev/null &
	disown
done
sleep 0.5
printf '%-46s %6s %5s %6s %5s %7s %7s %7s %6s %7s\n' \
	"server (flood: 65536 random IPv4 sources" "ns/SYN" "prog" "Mframe" "/run" \
	"/floor" "kernel/" "answer" "client" "cookies"
printf '%-46s\n' "unless noted)"

V4="--dst $SRV4 --src $LAB_SPOOF4 --sources 0"
srvx() { nsenter --net=/run/netns/$SRV "$@"; }
xdp() { ip -n $SRV link set dev $S0 xdp "$@"; }

xdp obj "$ROOT/build/xdp_drop.bpf.o" sec xdp
row "bare XDP_DROP (floor)" drop $V4
xdp off
xdp obj "$ROOT/build/xdp_tx.bpf.o" sec xdp
row "bare XDP_TX, frame bounced (floor for answers)" tx $V4
xdp off
xdp obj "$ROOT/build/xdp_pass.bpf.o" sec xdp
row "kernel SYN cookies alone" kernel $V4
xdp off

attach() {	# ATTACH-ARGS...
	local a
	for a in $S0 $S1; do
		srvx "$XG" attach $a "$@" >/dev/null &&
			srvx "$XG" cookies set -i $a on --port $PORT >/dev/null ||
			{ echo "bench: cannot attach xdpguard to $a"; return 1; }
	done
}
detach() {
	srvx "$XG" detach $S0 >/dev/null
	srvx "$XG" detach $S1 >/dev/null
}

# held: the cells of the host's socket record that name a socket (a
# SYN from a source there is looked up in full, docs/peers.md)
held() {
	bpftool -j map dump pinned "$XG_PINS/peers/xg_peers" 2>/dev/null |
		python3 -c '
import json, sys, time
v = [e["formatted"]["value"] for e in json.load(sys.stdin)]
now = time.clock_gettime_ns(6) >> 30	# CLOCK_MONOTONIC_COARSE
n = sum(1 for c in v if c["live"] or ((c["until"] - now) & 0xffffffff) < 1 << 31)
print("#   the socket record at attach: %d of %d cells name a socket" % (n, len(v)))' 2>/dev/null ||
		echo "#   the socket record: not kept"
}
# cookies switched on while the kernel's SYN queue holds the flood's
# request sockets (the row above): the record holds their cells for two
# minutes (docs/peers.md), and a SYN from a source there is looked up
# in full
attach && held && row "xdpguard default, kernel's SYN queue recorded" xgq $V4
detach
for i in $(seq 1 100); do	# its request sockets gone (bounded: 10 s)
	[ "$(nsenter --net=/run/netns/$SRV ss -Htn state syn-recv | wc -l)" = 0 ] && break
	sleep 0.1
done
attach && held && row "xdpguard default attach + cookies on" xg $V4
row "xdpguard budget: 16 sources over it (drop)" budget16 \
	--dst $SRV4 --src 198.19.0.1/16 --sources 16
detach
# IPv6 /128 sources, so that 16 and 16M are distinct sources; a budget
# no source reaches, so that every SYN takes the cookie path
attach --prefix6 128 --pps 10000000 --burst 10000000 &&
	row "xdpguard cookies, 16 IPv6 sources" ck16 \
		--dst $SRV6 --src 2001:db8:dead::1/48 --sources 16 &&
	row "xdpguard cookies, 16M IPv6 sources" ck16m \
		--dst $SRV6 --src 2001:db8:dead::1/48 --sources 16777216
detach
# the source table's size (docs/sources.md, speed against size): the
# default row's flood, every SYN answered, at the default size and at
# 4096 slots, a table that stays in the CPU's caches
attach --pps 10000000 &&
	row "xdpguard cookies, --sources 65536 (default)" sz64k $V4
detach
attach --sources 4096 --pps 10000000 &&
	row "xdpguard cookies, --sources 4096" sz4k $V4
detach

# The SYN path by stages under the same flood: build/stagebench --live
# attaches the guard's own source stopped with XDP_DROP at the end of a
# stage (tests/tools/xg_stages.bpf.c), the default attach's budget
# (100/100) and cookies on for the port; a stage's own cost is its row
# minus the row above (the last row answers, the others drop).
stage() {	# STOP NAME
	local pid i
	nsenter --net=/run/netns/$SRV "$ROOT/build/stagebench" --live $S0 \
		"$1" 100 100 >"$TMP/stage" &
	pid=$!
	for i in $(seq 1 50); do
		grep -q ready "$TMP/stage" && break
		sleep 0.1
	done
	grep -q ready "$TMP/stage" && row "$2" "st$1" $V4
	kill -INT $pid 2>/dev/null
	wait $pid
}
# XG_BENCH_STAGES=0 leaves them out
if [ "${XG_BENCH_STAGES:-1}" != 0 ]; then
	printf '%-46s\n' "# by stages (cumulative; 65536 random IPv4 sources)"
	stage 1 "config, parse, deny, is a SYN"
	stage 2 "+ source slot, budget"
	stage 3 "+ port's cookie state"
	stage 4 "+ IP and TCP checksums"
	stage 5 "+ socket lookup"
	stage 6 "+ options, cookie helper"
	stage 7 "+ SYN-ACK headers, checksums"
	stage 0 "+ resize, write, XDP_TX (all)"
fi

python3 - "$TMP" <<'PY'
import sys
t = sys.argv[1]
r = lambda k: float(open(t + "/r." + k).read())
try:
    print("16M / 16 sources, cookie path: %.2f; xdpguard default / kernel "
          "cookies: 1/%.1f" % (r("ck16m") / r("ck16"), r("kernel") / r("xg")))
    print("source table 4096 / 65536 slots: %.2f" % (r("sz4k") / r("sz64k")))
except Exception as e:
    print("bench: a row is missing (%s)" % e)
PY

