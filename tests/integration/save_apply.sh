#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# save and apply round-trip the whole policy; apply is idempotent and all
# or nothing (a bad line changes nothing; a failure half way, here the
# deny list overflowing, is rolled back).
P=xgsa-
. "$(dirname "$0")/../lib.sh"
t_start
F=/tmp/${P}policy

state() {
	xg_srv rate show --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["default"], sorted((p["port"], p["pps"], p["burst"]) for p in d["ports"]))'
	xg_srv allow list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(e["cidr"] for e in d["allow"]))'
	xg_srv deny list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted((e["cidr"], e["expires_in_s"] > 0) for e in d["deny"]))'
	xg_srv status --json | json_get 'd["interfaces"][0]["dry_run"]'
}

check "attach eth0" xg_srv attach eth0
xg_srv rate set --pps 50 --burst 70 >/dev/null
xg_srv rate set --port 443 --pps 5 --burst 9 >/dev/null
xg_srv rate set --port 22 --pps 0 >/dev/null
xg_srv allow add 198.18.0.0/24 2001:db8:1::/48 >/dev/null
xg_srv deny add 198.19.0.0/16 2001:db8:bad::/48 >/dev/null
xg_srv deny add 198.19.9.9 --ttl 1h >/dev/null
s0=$(state)
check "save" bash -c "xg_srv() { lab_exec ${P}srv $XG \"\$@\"; }; . $ROOT/scripts/lab.sh; xg_srv save >$F"
check "the file has every statement" test "$(grep -vc '^#' $F)" -eq 9
out=$(xg_srv apply -f $F); rc=$?
expect_eq "apply of the saved file succeeds" "$rc" 0
check "apply of the saved file changes nothing" grep -q "(0 changes)" <<<"$out"
expect_eq "state unchanged by the idempotent apply" "$(state)" "$s0"

t_snapshot
xg_srv detach eth0 >/dev/null
check "re-attach (a reboot, say)" xg_srv attach eth0
out=$(xg_srv apply -f - <$F); rc=$?
expect_eq "apply from standard input" "$rc" 0
expect_eq "the policy is back" "$(state)" "$s0"
expect_eq "a second save equals the first" \
	"$(xg_srv save | grep -v '^#' | sed 's/ until .*//')" \
	"$(grep -v '^#' $F | sed 's/ until .*//')"

# a bad line anywhere: usage error, nothing applied
{ echo "rate default pps 1 burst 1"; echo "allow 198.18.5.0/24"; echo "deny 1.2.3.4/33"; } >$F.bad
out=$(xg_srv apply -f $F.bad 2>&1); rc=$?
expect_eq "a bad line: usage error" "$rc" 2
check "the message names file, line and the bad part" grep -q "$F.bad:3: bad CIDR '1.2.3.4/33'" <<<"$out"
expect_eq "a bad line: nothing applied" "$(state)" "$s0"
echo "frobnicate on" >$F.bad
out=$(xg_srv apply -f $F.bad 2>&1); rc=$?
expect_eq "an unknown statement: usage error" "$rc" 2

# a failure half way: more deny entries than the list holds
python3 -c '
for i in range(70000):
    print("deny 2001:db8:%x:%x::/64" % (i >> 16, i & 0xffff))
print("rate default pps 1 burst 1")' >$F.big
out=$(xg_srv apply -f $F.big 2>&1); rc=$?
expect_eq "an overflowing apply fails" "$rc" 1
check "it says it put the policy back" grep -q "putting back" <<<"$out"
expect_eq "an overflowing apply is rolled back" "$(state)" "$s0"

rm -f $F $F.bad $F.big
t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
