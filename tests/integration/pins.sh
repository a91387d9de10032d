#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pins that cannot collide, be orphaned or be taken over (issue 11):
# folders named by the namespace cookie and reclaimed when their namespace
# is gone; the host sees and detaches every namespace's folders; only a
# root-owned 0700 tree is trusted; the lock never hangs a command; -i is a
# name, never a path; a renamed, moved or unpinned interface is followed
# and cleaned up; pins of another layout are refused, never read.
P=xgpn-
. "$(dirname "$0")/../lib.sh"

PRIV=/sys/fs/bpf/xdpguard-t$$	# a private pin root for host-wide steps
LOCKPID=
pn_cleanup() {
	[ -n "$LOCKPID" ] && kill "$LOCKPID" 2>/dev/null
	ip netns del ${P}x 2>/dev/null
	ip netns del ${P}many 2>/dev/null
	for ns in ${P}srv ${P}cli; do
		for d in eth1 eth9 c0; do
			ip -n $ns link set dev $d xdpgeneric off 2>/dev/null
			ip -n $ns link set dev $d xdp off 2>/dev/null
		done
	done
	# and the private root's run folder (events: ring locks)
	rm -rf "$PRIV" "${PRIV}real" "/run/${PRIV##*/}"
	t_cleanup
}
t_start
trap pn_cleanup EXIT
cookie_srv=$(lab_netns_cookie ${P}srv)

# ---- -i is a name, not a path ----
mkdir -p "$XG_PINS" 2>/dev/null
decoy=$XG_PINS/rlv1-decoy
mkdir -p "$decoy"
for bad in "eth0/../../rlv1-decoy" ".." "." "a b" "0123456789abcdef" "eth0:1" ""; do
	out=$(xg_srv status -i "$bad" 2>&1); rc=$?
	expect_eq "status -i '$bad': exit 2" "$rc" 2
	check "status -i '$bad': says what a name is" grep -q "is not an interface name" <<<"$out"
done
out=$(xg_srv detach "eth0/../../rlv1-decoy" 2>&1); rc=$?
expect_eq "detach eth0/../../rlv1-decoy: exit 2" "$rc" 2
out=$(xg_srv attach "eth0/../x" 2>&1); rc=$?
expect_eq "attach eth0/../x: exit 2" "$rc" 2
check "the folder a path would reach is untouched" test -d "$decoy"
rmdir "$decoy"

# ---- folders named by the namespace cookie; reclaimed with it ----
ip netns add ${P}x
ip -n ${P}x link add d0 type veth peer name d1
ip -n ${P}x link set d0 up
ip -n ${P}x link set d1 up
out=$(lab_exec ${P}x "$XG" attach d0 --mode skb 2>&1); rc=$?
expect_eq "attach in a namespace that will be deleted" "$rc" 0
cookie_x=$(lab_netns_cookie ${P}x)
dir_x="$XG_PINS/$cookie_x-d0"
check "its folder is named by the namespace cookie ($cookie_x-d0)" test -d "$dir_x"
tp_x=$(lab_exec ${P}x "$XG" status --json | json_get 'd["interfaces"][0]["programs"]["tracepoint"]')
maps_x=$(for f in "$dir_x"/xg_*; do bpftool -j map show pinned "$f" 2>/dev/null | json_get '"map:%d" % d["id"]'; done)
ip netns del ${P}x
sleep 0.2	# the namespace is dismantled by a kernel worker
for i in $(seq 1 50); do
	out=$(xg_srv status 2>&1)
	[ -d "$dir_x" ] || break
	sleep 0.1
done
check "a command from another namespace reclaims the orphan" test ! -d "$dir_x"
check "... and says so" grep -q "reclaimed $dir_x" <<<"$out"
check "its maps and its black-hole program ($tp_x) are freed (bpftool)" \
	t_ids_gone "$maps_x prog:${tp_x:-none}"

# ---- the host sees and detaches every namespace's folders ----
export XDPGUARD_PIN_ROOT=$PRIV
check "attach eth1 in ${P}srv (private root)" xg_srv attach eth1 --no-pmtu
check "attach c0 in ${P}cli (private root)" lab_exec ${P}cli "$XG" attach c0 --no-pmtu
out=$("$XG" status 2>&1)
check "the host's status lists ${P}srv's eth1" grep -q "^eth1 in network namespace ${P}srv" <<<"$out"
check "the host's status lists ${P}cli's c0" grep -q "^c0 in network namespace ${P}cli" <<<"$out"
n=$("$XG" status --json | json_get 'len([i for i in d["interfaces"] if i["state"] == "ok"])')
expect_eq "the host's status --json: both, state ok" "$n" 2
out=$("$XG" detach --all 2>&1); rc=$?
expect_eq "detach --all on the host" "$rc" 0
check "it reached ${P}srv: no XDP on eth1" bash -c "! ip -n ${P}srv link show eth1 | grep -q xdp"
check "it reached ${P}cli: no XDP on c0" bash -c "! ip -n ${P}cli link show c0 | grep -q xdp"
expect_eq "no folder is left in the private root" "$(ls "$PRIV" | grep -v '^host$')" ""
rm -rf "$PRIV"

# ---- only a root-owned 0700 tree is trusted ----
mkdir "$PRIV" && chown 65534:65534 "$PRIV"
out=$(xg_srv status 2>&1); rc=$?
expect_eq "a pin root owned by another user: refused, exit 1" "$rc" 1
check "... saying whose it is and what to do" grep -q "belongs to uid 65534.*rm -r $PRIV" <<<"$out"
out=$(xg_srv attach eth1 2>&1); rc=$?
expect_eq "attach into it: refused" "$rc" 1
check "nothing was attached" bash -c "! ip -n ${P}srv link show eth1 | grep -q xdp"
rm -rf "$PRIV"
mkdir "${PRIV}real" && ln -s "${PRIV}real" "$PRIV"
out=$(xg_srv status 2>&1); rc=$?
expect_eq "a pin root that is a symlink: refused, exit 1" "$rc" 1
check "... saying it is a symbolic link" grep -q "is a symbolic link" <<<"$out"
rm -f "$PRIV"; rmdir "${PRIV}real"
mkdir -m 0755 "$PRIV"
out=$(xg_srv status 2>&1); rc=$?
expect_eq "root's own pin root, mode 0755: the command runs" "$rc" 0
check "... and it is repaired to 0700, saying so" grep -q "was mode 0755 (others could enter it); made it 0700" <<<"$out"
expect_eq "mode now" "$(stat -c %a "$PRIV")" 700
check "another user cannot plant a folder in it" \
	bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups mkdir '$PRIV/$cookie_srv-eth1:old' 2>/dev/null"

# ---- the lock never hangs a command ----
flock -o "$PRIV" sleep 30 &
LOCKPID=$!
for i in $(seq 1 50); do grep -q "FLOCK.* $LOCKPID " /proc/locks && break; sleep 0.1; done
out=$(XDPGUARD_LOCK_WAIT=1 xg_srv status 2>&1); rc=$?
expect_eq "a command behind a stuck lock holder fails, exit 1" "$rc" 1
check "... naming the holder (pid $LOCKPID, flock)" grep -q "locked by pid $LOCKPID (flock" <<<"$out"
kill $LOCKPID; wait $LOCKPID 2>/dev/null; LOCKPID=
check "once the holder is gone the command runs" xg_srv status

# ---- pins of another layout are refused, never read ----
bad=$PRIV/$cookie_srv-eth1
mkdir -m 0700 "$bad"
bpftool map create "$bad/xg_info" type array key 4 value 1048576 entries 1 name xg_info
out=$(xg_srv status 2>&1); rc=$?
expect_eq "status over a hand-made 1 MiB xg_info: exit 1, no crash" "$rc" 1
check "... saying the pins are of another version" grep -q "another version" <<<"$out"
out=$(xg_srv deny add -i eth1 198.19.7.0/24 2>&1); rc=$?
expect_eq "deny add on it: exit 1" "$rc" 1
out=$(xg_srv attach --replace eth1 2>&1); rc=$?
expect_eq "attach --replace on it: exit 1, no crash" "$rc" 1
check "the foreign folder was left alone" test -e "$bad/xg_info"
rm -rf "$bad"

# ---- a renamed interface is followed ----
check "attach eth1" xg_srv attach eth1
ip -n ${P}srv link set eth1 down
ip -n ${P}srv link set eth1 name eth9
ip -n ${P}srv link set eth9 up
out=$(xg_srv status 2>&1)
check "the next command follows the rename" grep -q "eth1 was renamed eth9" <<<"$out"
st=$(xg_srv status --json -i eth9 | json_get 'd["interfaces"][0]["state"]')
expect_eq "status -i eth9: state ok" "$st" ok
out=$(xg_srv attach eth9 2>&1)
check "attach eth9 says it is already attached" grep -q "already attached" <<<"$out"
check "detach eth9" xg_srv detach eth9
check "no XDP left on eth9" bash -c "! ip -n ${P}srv link show eth9 | grep -q xdp"
expect_eq "no tc filter left on eth9" \
	"$(tc -n ${P}srv filter show dev eth9 ingress; tc -n ${P}srv filter show dev eth9 egress)" ""
ip -n ${P}srv link set eth9 down
ip -n ${P}srv link set eth9 name eth1
ip -n ${P}srv link set eth1 up

# ---- a moved interface is reported, and detached where it went ----
check "attach eth1 again" xg_srv attach eth1
ip -n ${P}srv link set eth1 netns ${P}cli
st=$(xg_srv status --json | json_get '[i["state"] for i in d["interfaces"] if i["interface"] == "eth1"][0]')
expect_eq "status: the moved interface's state" "$st" moved
check "status says what to do" bash -c "nsenter --net=/run/netns/${P}srv '$XG' status | grep -q 'MOVED:.*detach eth1'"
out=$(xg_srv detach eth1 2>&1); rc=$?
expect_eq "detach of the moved interface" "$rc" 0
check "... says where it went" grep -q "had moved to another network namespace" <<<"$out"
check "no XDP left on it where it is now" bash -c "! ip -n ${P}cli link show eth1 | grep -q xdp"
ip -n ${P}cli link set eth1 netns ${P}srv

# ---- bpffs mounted again: programs no pins account for ----
out=$(unshare -m --propagation private bash -c "
	mount -t bpf bpf /sys/fs/bpf || exit 3
	nsenter --net=/run/netns/${P}srv '$XG' attach eth1 >/dev/null || exit 4
	umount /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf || exit 5
	echo '== status'; nsenter --net=/run/netns/${P}srv '$XG' status 2>&1
	echo '== attach'; nsenter --net=/run/netns/${P}srv '$XG' attach eth1 2>&1 || echo 'attach failed'
	echo '== detach'; nsenter --net=/run/netns/${P}srv '$XG' detach eth1 2>&1 || echo 'detach failed'
	umount /sys/fs/bpf
" 2>&1); rc=$?
expect_eq "the remount scenario ran" "$rc" 0
check "status reports the unpinned guard" grep -q "eth1: UNPINNED" <<<"$out"
check "attach removes what no pins account for" \
	grep -q "removed the XDP program and 4 tc filters" <<<"$out"
check "... then attaches" bash -c '! grep -q "attach failed" <<<"$1"' _ "$out"
check "detach removes everything" bash -c '! grep -q "detach failed" <<<"$1"' _ "$out"
check "no XDP left on eth1" bash -c "! ip -n ${P}srv link show eth1 | grep -q xdp"
expect_eq "no tc filter left on eth1" \
	"$(tc -n ${P}srv filter show dev eth1 ingress; tc -n ${P}srv filter show dev eth1 egress)" ""
unset XDPGUARD_PIN_ROOT
rm -rf "$PRIV"
t_end
