#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A big source table (issue 11): attach says what --sources costs before
# allocating, refuses what the memory available to it (here: a memory
# cgroup, which the kernel charges BPF maps to) cannot hold, with exit 2
# and the largest size that fits, which then does attach; and the table
# is allocated outside the global lock, so that other commands run
# meanwhile.
P=xgsz-
. "$(dirname "$0")/../lib.sh"

CG=
tmp=$(mktemp -d /tmp/${P}XXXXXX)
APID=
sz_cleanup() {
	[ -n "$APID" ] && kill "$APID" 2>/dev/null && wait "$APID" 2>/dev/null
	t_ns_down
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	rm -rf "$tmp"
}
trap sz_cleanup EXIT
trap 'exit 1' INT TERM
t_ns q0:q1
xdp_on() { ip -n $NS link show q0 | grep -q 'prog/xdp'; }

# ---- refused in a memory cgroup that cannot hold it ----
if [ -d /sys/fs/cgroup/memory ]; then
	CG=/sys/fs/cgroup/memory/${P}$$
	mkdir "$CG" && echo $((512 << 20)) >"$CG/memory.limit_in_bytes"
elif grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
	CG=/sys/fs/cgroup/${P}$$
	mkdir "$CG" && echo $((512 << 20)) >"$CG/memory.max"
fi
if [ -n "$CG" ] && [ -d "$CG" ]; then
	incg() { bash -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' - "$CG" "$@"; }
	out=$(incg nsenter --net=/run/netns/$NS "$XG" attach q0 --mode skb --sources 8388608 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	expect_eq "8388608 sources in a 512 MiB cgroup: refused, exit 2" "$rc" 2
	check "... naming --sources, its cost and what fits" \
		grep -qE -- "--sources 8388608 needs about [0-9]+ MiB of kernel memory; [0-9]+ MiB are available \(memory cgroup\).*--sources 1024\.\.[0-9]+ here" <<<"$out"
	check "... nothing attached" bash -c "! ip -n $NS link show q0 | grep -q prog/xdp"
	expect_eq "... no folder made" "$(t_pin_dirs | grep -c .)" 0
	fit=$(grep -oE -- '--sources 1024\.\.[0-9]+' <<<"$out" | grep -oE '[0-9]+$')
	out=$(incg nsenter --net=/run/netns/$NS "$XG" attach q0 --mode skb --sources "${fit:-0}" 2>&1); rc=$?
	echo "$out" | sed "s/^/# /"
	expect_eq "the largest size it names ($fit) attaches in the same cgroup" "$rc" 0
	expect_eq "... with that table (status)" \
		"$(x status --json | json_get 'd["interfaces"][0]["sources"]["max"]')" "${fit:-0}"
	x detach q0 >/dev/null
else
	skip "refused in a memory cgroup" "no memory cgroup controller to make one"
fi

# ---- the cost is said first, and the table is made outside the lock ----
# This shell holds the pin root's lock; the attach must say the cost and
# allocate its table meanwhile (seen in the kernel's fdinfo of its map fds),
# and only then wait for the lock.
exec {LFD}<"$XDPGUARD_PIN_ROOT"
flock -x "$LFD"
XDPGUARD_LOCK_WAIT=120 nsenter --net=/run/netns/$NS "$XG" attach q0 --mode skb --sources 8388608 \
	>"$tmp/out" 2>"$tmp/err" {LFD}<&- &
APID=$!
check "the cost is said before allocating" t_wait_line "$tmp/err" "a source table of 8388608 sources takes about [0-9]* MiB"
mib=$(grep -oE 'takes about [0-9]+' "$tmp/err" | grep -oE '[0-9]+$')
# the memlock of the attach's bpf map fds together, in MiB (0: none yet;
# the source table is two maps, xg_buckets and xg_src_hot)
fd_mib() {
	local f m sum=0
	for f in /proc/$APID/fdinfo/*; do
		m=$(awk '$1 == "memlock:" { print $2 }' "$f" 2>/dev/null)
		[ -n "$m" ] && sum=$((sum + m))
	done
	echo $((sum >> 20))
}
got=0
for i in $(seq 1 300); do	# up to 30 s
	got=$(fd_mib)
	[ "$got" -ge $(( ${mib:-1} * 95 / 100 )) ] && break
	kill -0 $APID 2>/dev/null || break
	sleep 0.1
done
expect_near "the table ($got MiB) is allocated while another command holds the lock" "$got" "${mib:-1}" 5
check "... and the attach waits for the lock before attaching" bash -c "! ip -n $NS link show q0 | grep -q prog/xdp"
check "... still running" kill -0 $APID
flock -u "$LFD"; exec {LFD}<&-
wait $APID; rc=$?; APID=
expect_eq "the attach then succeeds" "$rc" 0
js=$(x status --json)
expect_eq "... with 8388608 sources" "$(json_get 'd["interfaces"][0]["sources"]["max"]' <<<"$js")" 8388608
# the kernel's own account of the table
# (both levels: xg_buckets and xg_src_hot in front of it)
buckets=$(( $(bpftool -j map show pinned "$(t_pin_dirs)/xg_buckets" | json_get 'd["bytes_memlock"]') +
	$(bpftool -j map show pinned "$(t_pin_dirs)/xg_src_hot" | json_get 'd["bytes_memlock"]') ))
buckets=$((buckets >> 20))
expect_near "the cost said ($mib MiB) = the kernel's memlock of both levels of the table ($buckets MiB)" "$mib" "$buckets" 5
check "detach" x detach q0
t_end
