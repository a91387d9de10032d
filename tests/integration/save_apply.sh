#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# save and apply round-trip the whole policy (budgets, allow/deny, SYN
# cookies, MSS, dry-run) through detach and attach; apply is idempotent and
# all or nothing (a bad line changes nothing; a failure half way, here the
# deny list overflowing, is rolled back). A file that cannot be a whole
# policy (empty, truncated, a failed save's empty pipe, a setting missing or
# given twice, an overlong line, a NUL byte) is refused with exit 2 and
# changes nothing; --dry-run and apply list the changes one by one, and
# apply adds before it removes.
P=xgsa-
. "$(dirname "$0")/../lib.sh"
t_start
F=/tmp/${P}policy
trap 'rm -f $F $F.*; t_cleanup' EXIT

# state [IFACE]: the policy as the reading commands see it (default eth0)
state() {
	local i="-i ${1:-eth0}"
	xg_srv rate show $i --json | json_one | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["default"], sorted((p["port"], p["pps"], p["burst"]) for p in d["ports"]))'
	xg_srv allow list $i --json | json_one | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(e["cidr"] for e in d["allow"]))'
	xg_srv deny list $i --json | json_one | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted((e["cidr"], e["expires_in_seconds"] is not None) for e in d["deny"]))'
	xg_srv cookies show $i --json | json_one | json_get 'sorted((p["port"], p["mode"], p["threshold_pps"]) for p in d["ports"])'
	xg_srv mss show $i --json | json_one | json_get 'd["mode"], d["mss"], d["directions"]'
	xg_srv status $i --json | json_get 'd["interfaces"][0]["dry_run"]'
}
# refused NAME FILE PATTERN: exit 2 and a message matching PATTERN
refused() {
	local out rc
	out=$(xg_srv apply -f "$2" 2>&1); rc=$?
	if [ "$rc" = 2 ] && grep -q -- "$3" <<<"$out"; then
		ok "refused: $1"
	else
		not_ok "refused: $1: exit $rc, '$out' (want 2, '$3')"
	fi
}

check "attach eth0" xg_srv attach eth0
xg_srv rate set --pps 50 --burst 70 >/dev/null
xg_srv rate set --port 443 --pps 5 --burst 9 >/dev/null
xg_srv rate set --port 22 --pps 0 >/dev/null
xg_srv allow add 198.18.0.0/24 2001:db8:1::/48 >/dev/null
xg_srv deny add 198.19.0.0/16 2001:db8:bad::/48 >/dev/null
xg_srv deny add 198.19.9.9 --ttl 1h >/dev/null
xg_srv mss set 1360 --dir egress >/dev/null
if xg_srv cookies set on --port 443 >/dev/null 2>&1; then
	xg_srv cookies set auto --port 8443 --threshold 500 >/dev/null
	COOKIES=2
else
	COOKIES=0
	skip "SYN cookies in the saved policy" "no SYN cookie support here"
fi
s0=$(state)
check "save" bash -c "xg_srv() { lab_exec ${P}srv $XG \"\$@\"; }; . $ROOT/scripts/lab.sh; xg_srv save -i eth0 >$F"
# attached, rate default, 2 ports, 2 allow, 3 deny, mss, dry-run, end, cookies
expect_eq "the file has every statement" "$(grep -vc "^#" $F)" $((12 + COOKIES))
expect_eq "the file ends with 'end'" "$(tail -n1 $F)" end
check "the file has the MSS clamp" grep -qx "mss 1360 dir egress" $F
[ $COOKIES = 2 ] && check "the file has the SYN cookie ports and modes" \
	grep -qx "cookies port 8443 auto threshold 500" $F
out=$(xg_srv apply -f $F); rc=$?
expect_eq "apply of the saved file succeeds" "$rc" 0
check "apply of the saved file changes nothing" grep -q "(0 changes)" <<<"$out"
expect_eq "state unchanged by the idempotent apply" "$(state)" "$s0"

t_snapshot
xg_srv detach eth0 >/dev/null
check "re-attach (a reboot, say)" xg_srv attach eth0
out=$(xg_srv apply -f - <$F); rc=$?
expect_eq "apply from standard input" "$rc" 0
expect_eq "the policy is back, SYN cookies and MSS included" "$(state)" "$s0"
expect_eq "a second save equals the first" \
	"$(xg_srv save -i eth0 | grep -v '^#' | sed 's/ until .*//')" \
	"$(grep -v '^#' $F | sed 's/ until .*//')"

# --- files that cannot be a whole policy: exit 2, nothing changed ---
refused "an empty file (/dev/null)" /dev/null "/dev/null: empty"
out=$(xg_srv save -i nosuch 2>/dev/null | xg_srv apply -f - 2>&1); rc=$?
expect_eq "refused: a failed save's empty pipe (exit)" "$rc" 2
check "refused: a failed save's empty pipe (message)" grep -q "standard input: empty" <<<"$out"
grep -v '^end$' $F >$F.noend
refused "no 'end' line" $F.noend "no 'end' line after line $(wc -l <$F.noend)"
head -c $(( $(wc -c <$F) * 2 / 3 )) $F >$F.cut
refused "a truncated copy" $F.cut "$F.cut"
grep -v '^rate default' $F >$F.norate
refused "no 'rate default' line" $F.norate "no 'rate default' line"
grep -v '^mss' $F >$F.nomss
refused "no 'mss' line" $F.nomss "no 'mss' line"
sed 's/^end$/rate default pps 0 burst 1\nend/' $F >$F.dup
n=$(grep -n '^rate default pps 0' $F.dup | cut -d: -f1)
first=$(grep -n '^rate default pps 50' $F.dup | cut -d: -f1)
refused "'rate default' twice" $F.dup "$F.dup:$n: 'rate default' given twice (first on line $first)"
{ head -n 2 $F; python3 -c 'print("# " + "x" * 1100 + " allow 0.0.0.0/0")'; tail -n +3 $F; } >$F.long
refused "a line longer than the buffer" $F.long "$F.long:3: the line is longer than 1024 bytes"
{ head -n 2 $F; printf 'allow 198.18.7.0/24\0allow 0.0.0.0/0\n'; tail -n +3 $F; } >$F.nul
refused "a NUL byte" $F.nul "$F.nul:3: the line holds a NUL byte"
{ cat $F; echo "allow 0.0.0.0/0"; } >$F.after
refused "a statement after 'end'" $F.after "$F.after:$(( $(wc -l <$F) + 1 )): 'allow' after 'end'"
{ echo "rate default pps 1 burst 1"; echo "allow 198.18.5.0/24"; echo "deny 1.2.3.4/33"; echo end; } >$F.bad
refused "a bad CIDR" $F.bad "$F.bad:3: bad CIDR '1.2.3.4/33'"
echo "frobnicate on" >$F.bad
refused "an unknown statement" $F.bad "$F.bad:1: unknown statement 'frobnicate'"
expect_eq "the refused files changed nothing" "$(state)" "$s0"

# --- dry-run and the report, entry by entry ---
sed -e 's|^allow 198.18.0.0/24$|allow 198.18.8.0/24|' \
    -e 's|^rate default .*|rate default pps 40 burst 60|' \
    -e 's|^deny 198.19.0.0/16$|deny 198.18.0.0/15|' $F >$F.new
want=$(printf '%s\n' "~ rate default pps 40 burst 60 (was pps 50 burst 70)" \
	"+ allow 198.18.8.0/24" "- allow 198.18.0.0/24" \
	"+ deny 198.18.0.0/15" "- deny 198.19.0.0/16" | sort)
out=$(xg_srv apply --dry-run -f $F.new); rc=$?
expect_eq "apply --dry-run succeeds" "$rc" 0
expect_eq "--dry-run lists each change" "$(grep '^[-+~] ' <<<"$out" | sort)" "$want"
check "--dry-run says nothing changed" grep -q "would make 5 changes.*nothing changed" <<<"$out"
expect_eq "--dry-run changed nothing" "$(state)" "$s0"
# adds before removals: the swapped prefix's new entry is written before
# the old one is deleted (the syscalls, in order, as the kernel got them)
out=$(lab_exec ${P}srv strace -f -qq -e trace=bpf -e signal=none "$XG" apply -f $F.new 2>$F.trace); rc=$?
expect_eq "apply of the changed file succeeds" "$rc" 0
expect_eq "apply reports each change" "$(grep '^[-+~] ' <<<"$out" | sort)" "$want"
first_del=$(grep -n 'BPF_MAP_DELETE_ELEM' $F.trace | head -1 | cut -d: -f1)
n_del=$(grep -c 'BPF_MAP_DELETE_ELEM' $F.trace)
# writes of the config, the new allow and the new deny entry come first;
# after the first delete only the list flags and the lists' filters (one
# xg_list_bits entry a list: four) may be written again
before=$(head -n "${first_del:-0}" $F.trace | grep -c 'BPF_MAP_UPDATE_ELEM')
after=$(tail -n +"${first_del:-1}" $F.trace | grep -c 'BPF_MAP_UPDATE_ELEM')
check "apply deleted the two old entries ($n_del deletes)" test "$n_del" -ge 2
check "every new entry was written before the first delete ($before updates before, $after after)" \
	test "$before" -ge 3 -a "$after" -le 5

# --- an IPv4-mapped IPv6 prefix is the IPv4 prefix, and matches IPv4 ---
sed "s|^end\$|deny ::ffff:$LAB_ATK4\nend|" $F >$F.mapped
out=$(xg_srv apply -f $F.mapped 2>&1); rc=$?
expect_eq "apply of ::ffff:$LAB_ATK4 succeeds" "$rc" 0
check "it is stored as $LAB_ATK4/32" bash -c "xg_srv() { lab_exec ${P}srv $XG \"\$@\"; }; . $ROOT/scripts/lab.sh; xg_srv deny list | grep -q '^$LAB_ATK4/32 '"
d0=$(xg_srv status --json | json_get '[c["packets"] for c in d["interfaces"][0]["counters"] if c["verdict"] == "drop" and c["reason"] == "deny"][0]')
lab_exec ${P}atk ping -q -c 3 -i 0.2 -W 1 $LAB_SRV4 >/dev/null 2>&1
d1=$(xg_srv status --json | json_get '[c["packets"] for c in d["interfaces"][0]["counters"] if c["verdict"] == "drop" and c["reason"] == "deny"][0]')
expect_eq "IPv4 packets from it are dropped as denied" "$((d1 - d0))" 3
sed "s|^end\$|deny $LAB_ATK4\nend|" $F.mapped >$F.twice
refused "::ffff:$LAB_ATK4 and $LAB_ATK4 in one file" $F.twice "deny $LAB_ATK4/32 given twice"
xg_srv apply -f $F >/dev/null

# a failure half way: more deny entries than the list holds
overflow() {	# more deny lines than a list holds (65536)
	python3 -c '
for i in range(70000):
    print("deny 2001:db8:%x:%x::/64" % (i >> 16, i & 0xffff))'
}
{ grep -v '^end$' $F; overflow; echo end; } >$F.big
out=$(xg_srv apply -f $F.big 2>&1); rc=$?
expect_eq "an overflowing apply fails" "$rc" 1
check "it says it put the policy back" grep -q "putting back" <<<"$out"
expect_eq "an overflowing apply is rolled back" "$(state)" "$s0"

# --- every interface: save without -i writes a section for each, after
# their number; apply puts each back, all or nothing across them ---
check "attach eth1" xg_srv attach eth1 --no-dns
xg_srv rate set -i eth1 --pps 7 --burst 8 >/dev/null
xg_srv deny add -i eth1 198.19.44.0/24 >/dev/null
xg_srv mss set -i eth1 1400 >/dev/null
a0=$(state eth0); a1=$(state eth1)
xg_srv save >$F.all; rc=$?
expect_eq "save without -i: exit 0" "$rc" 0
expect_eq "... says how many sections" "$(grep -v '^#' $F.all | grep -m1 .)" "interfaces 2"
expect_eq "... one section a interface, each ended" \
	"$(grep '^interface \|^end$' $F.all | tr '\n' ' ')" "interface eth0 end interface eth1 end "
check "... eth1's section has eth1's policy" bash -c "sed -n '/^interface eth1\$/,/^end\$/p' $F.all | grep -qx 'rate default pps 7 burst 8'"
xg_srv rate set -i eth0 --pps 1 >/dev/null
xg_srv deny del -i eth1 198.19.44.0/24 >/dev/null
out=$(xg_srv apply -f $F.all); rc=$?
expect_eq "apply of every section: exit 0" "$rc" 0
check "... reports each interface" bash -c "grep -q '^xdpguard: eth0: applied.*(1 change: ' <<<'$out' && grep -q '^xdpguard: eth1: applied.*(1 change: ' <<<'$out'"
expect_eq "... eth0 is back" "$(state eth0)" "$a0"
expect_eq "... eth1 is back" "$(state eth1)" "$a1"
xg_srv rate set -i eth0 --pps 2 >/dev/null
xg_srv rate set -i eth1 --pps 3 >/dev/null
b0=$(state eth0)
out=$(xg_srv apply -i eth1 -f $F.all); rc=$?
expect_eq "apply -i eth1 of the file: exit 0" "$rc" 0
expect_eq "... eth1 is back" "$(state eth1)" "$a1"
expect_eq "... eth0 is left alone" "$(state eth0)" "$b0"
xg_srv rate set -i eth1 --pps 3 >/dev/null
b1=$(state eth1)
# refused whole, nothing changed on either interface
sec2=$(grep -n '^interface eth1$' $F.all | cut -d: -f1)
head -n $((sec2 - 1)) $F.all >$F.cut
refused "a file cut between two sections" $F.cut "1 section, but line [0-9]* says 'interfaces 2'"
sed '$d' $F.all >$F.cut
refused "a last section without its end" $F.cut "incomplete (interface eth1)"
sed 's/^interface eth1$/interface eth9/' $F.all >$F.cut
refused "a section of an interface not attached" $F.cut "section of eth9 cannot be applied"
sed 's/^interface eth1$/interface eth0/' $F.all >$F.cut
refused "an interface given twice" $F.cut "interface eth0 given twice"
sed 's/^interfaces 2$/interfaces 2\nrate default pps 1 burst 1/' $F.all >$F.cut
refused "statements before the first section" $F.cut "before the first 'interface NAME'"
{ echo "rate default pps 1 burst 1"; cat $F.all; } >$F.cut
refused "a policy, then sections" $F.cut "'interfaces' is the first statement"
out=$(xg_srv apply -i eth7 -f $F.all 2>&1); rc=$?
check "-i naming no section: exit 2, the sections named (exit $rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'has no section for eth7 (it has: eth0 eth1)' <<<'$out'"
expect_eq "the refused files changed neither interface" "$(state eth0)/$(state eth1)" "$b0/$b1"
# a failure on the second interface puts the first back too
{ sed -n "1,$((sec2 - 1))p" $F.all | sed 's/^rate default .*/rate default pps 33 burst 33/'
  sed -n "$sec2,\$p" $F.all | grep -v '^end$'; overflow; echo end; } >$F.big
out=$(xg_srv apply -f $F.big 2>&1); rc=$?
expect_eq "an apply overflowing eth1's deny list fails" "$rc" 1
check "... says it put every interface back" grep -q "putting back the policies every interface had" <<<"$out"
expect_eq "... eth0 put back too (its change had been made)" "$(state eth0)" "$b0"
expect_eq "... eth1 put back" "$(state eth1)" "$b1"
check "detach eth1" xg_srv detach eth1

t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
