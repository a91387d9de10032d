#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# One JSON style (docs/json.md): every reading command's --json validates
# against its definition in docs/json.schema.json (no field missing, none
# unknown, units in names, null for never), the shape is the same for one
# interface (-i) and for several (the default: every attached interface),
# and the values are the kernel's (bpftool dumps of the pinned maps).
P=xgjs-
. "$(dirname "$0")/../lib.sh"

trap t_ns_down EXIT
trap 'exit 1' INT TERM
t_ns j0:j1 j2:j3

check "attach j0" x attach j0 --mode skb --pps 30
check "attach j2" x attach j2 --mode skb
check "a port rate on j0" x rate set -i j0 --port 443 --pps 7 --burst 9
check "allow on j0" x allow add -i j0 198.18.4.0/24
check "deny with and without expiry on j2" x deny add -i j2 198.19.5.0/24 198.19.6.1 --ttl 1h
check "deny without expiry on j2" x deny add -i j2 2001:db8:5::/48
check "mss on j2" x mss set -i j2 1360
if x cookies set -i j0 on --port 8443 >/dev/null 2>&1; then
	ok "cookies on j0 (port 8443)"
else
	skip "cookies on j0" "this kernel cannot answer cookies"
fi

validate() {	# validate DEF FILE: FILE's document against definition DEF
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys, jsonschema
schema = json.load(open("docs/json.schema.json"))
d = json.load(open(sys.argv[2]))
sub = dict(schema, **{"$ref": "#/definitions/" + sys.argv[1]})
try:
    jsonschema.validate(d, sub)
except jsonschema.ValidationError as e:
    print("invalid at %s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:300]))
    sys.exit(1)
PY
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; t_ns_down' EXIT
for c in "status" "rate" "allow" "deny" "cookies" "mss" "pmtu" "top --once --interval 1"; do
	def=${c%% *}
	x $c --json >"$tmp/all.json" 2>"$tmp/err"; rc=$?
	expect_eq "$c --json: exit 0" "$rc" 0
	out=$(validate "$def" "$tmp/all.json" 2>&1); rc=$?
	expect_eq "$c --json validates against its schema${out:+ ($out)}" "$rc" 0
	expect_eq "... both interfaces, without -i" \
		"$(json_get '" ".join(i["interface"] for i in d["interfaces"])' <"$tmp/all.json")" "j0 j2"
	x $c -i j2 --json >"$tmp/one.json"  # (top: one more interval)
	out=$(validate "$def" "$tmp/one.json" 2>&1); rc=$?
	expect_eq "$c -i j2 --json: the same shape, one interface${out:+ ($out)}" "$rc/$(json_get 'len(d["interfaces"])' <"$tmp/one.json")" "0/1"
done

# writing commands: what changed, in the same style
x rate set -i j0 --port 8080 --pps 11 --burst 12 --json >"$tmp/w.json"; rc=$?
out=$(validate rate_change "$tmp/w.json" 2>&1); rc2=$?
expect_eq "rate set --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... what changed" "$(json_get '(d["port"], d["pps"], d["burst"])' <"$tmp/w.json")" "(8080, 11, 12)"
x deny add -i j0 198.18.9.0/24 --ttl 10m --json >"$tmp/w.json"; rc=$?
out=$(validate list_change "$tmp/w.json" 2>&1); rc2=$?
expect_eq "deny add --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... what changed" "$(json_get '(d["added"], d["expires_in_seconds"])' <"$tmp/w.json")" "(['198.18.9.0/24'], 600)"
x save -i j0 >"$tmp/pol"
sed -i 's|^deny 198.18.9.0/24.*|deny 198.18.10.0/24|; s|^rate port 8080 .*|rate port 8080 pps 13 burst 13|' "$tmp/pol"
x apply -i j0 -f "$tmp/pol" --dry-run --json >"$tmp/w.json"; rc=$?
out=$(validate apply "$tmp/w.json" 2>&1); rc2=$?
expect_eq "apply --dry-run --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... 1 added, 1 changed, 1 removed, not applied" \
	"$(json_get '(lambda i: (i["interface"], i["added"], i["changed"], i["removed"], d["applied"], d["dry_run"]))(d["interfaces"][0])' <"$tmp/w.json")" "('j0', 1, 1, 1, False, True)"
x apply -i j0 -f "$tmp/pol" --json >"$tmp/w.json"; rc=$?
out=$(validate apply "$tmp/w.json" 2>&1); rc2=$?
expect_eq "apply --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... the same changes, applied" \
	"$(json_get '(lambda i: (len(d["interfaces"]), i["added"], i["changed"], i["removed"], d["applied"], sorted(c["op"] for c in i["changes"])))(d["interfaces"][0])' <"$tmp/w.json")" \
	"(1, 1, 1, 1, True, ['add', 'change', 'remove'])"

dir0=$(t_pin_dirs | grep -- '-j0$')
dir2=$(t_pin_dirs | grep -- '-j2$')
# values are the kernel's
expect_eq "rate: j0's default pps = its xg_config" \
	"$(x rate -i j0 --json | json_get 'd["interfaces"][0]["default"]["pps"]')" \
	"$(bpftool -j map dump pinned $dir0/xg_config | json_get 'd[0]["formatted"]["value"]["rate"]["pps"]')"
expect_eq "rate: j0's ports = its xg_port_rate entries" \
	"$(x rate -i j0 --json | json_get '[(p["port"], p["pps"], p["burst"]) for p in d["interfaces"][0]["ports"]]')" \
	"$(bpftool -j map dump pinned $dir0/xg_port_rate | json_get '[(e["formatted"]["key"], e["formatted"]["value"]["pps"], e["formatted"]["value"]["burst"]) for e in d]')"
n4=$(bpftool -j map dump pinned $dir2/xg_deny4 | json_get 'len(d)')
n6=$(bpftool -j map dump pinned $dir2/xg_deny6 | json_get 'len(d)')
expect_eq "deny: j2's entries = its two LPM maps ($n4 + $n6)" \
	"$(x deny -i j2 --json | json_get 'len(d["interfaces"][0]["deny"])')" $((n4 + n6))
expect_eq "deny: j0 after apply: the kernel's LPM map holds the new entry, not the old" \
	"$(bpftool -j map dump pinned $dir0/xg_deny4 | json_get 'sorted("%d.%d.%d.%d/%d" % (tuple(e["formatted"]["key"]["addr"].to_bytes(4, "little")) + (e["formatted"]["key"]["prefixlen"],)) for e in d)' 2>/dev/null || echo unreadable)" \
	"['198.18.10.0/24']"
expect_eq "deny: null for never, seconds for the ones that expire" \
	"$(x deny -i j2 --json | json_get 'sorted((e["cidr"], e["expires_in_seconds"] is None or 3500 < e["expires_in_seconds"] <= 3600) for e in d["interfaces"][0]["deny"])')" \
	"[('198.19.5.0/24', True), ('198.19.6.1/32', True), ('2001:db8:5::/48', True)]"
expect_eq "... and the one without --ttl is null" \
	"$(x deny -i j2 --json | json_get '[e["cidr"] for e in d["interfaces"][0]["deny"] if e["expires_in_seconds"] is None]')" "['2001:db8:5::/48']"
expect_eq "mss: null when not fixed (j0), the clamp on j2" \
	"$(x mss --json | json_get '[(i["interface"], i["mode"], i["mss"]) for i in d["interfaces"]]')" \
	"[('j0', 'off', None), ('j2', 'fixed', 1360)]"
expect_eq "status: the XDP program id = what ip link says (j2)" \
	"$(x status -i j2 --json | json_get 'd["interfaces"][0]["programs"]["xdp"]')" \
	"$(ip -n $NS -d -j link show j2 | json_get 'd[0]["xdp"]["prog"]["id"]')"
expect_eq "status: no cookie hand-off on j2: null, not 0" \
	"$(x status -i j2 --json | json_get 'd["interfaces"][0]["programs"]["tc_cookie"]')" None
# the other writing commands, and the per-namespace readers
ip -n $NS link add j4 type veth peer name j5 && ip -n $NS link set j4 up &&
	ip -n $NS link set j5 up
x attach j4 --mode skb --no-dns --prefix4 24 --json >"$tmp/w.json"; rc=$?
out=$(validate attach "$tmp/w.json" 2>&1); rc2=$?
expect_eq "attach --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... its program is the one ip link shows, its settings as asked" \
	"$(json_get '(d["prog_id"], d["prefix4"], d["dns"])' <"$tmp/w.json")" \
	"($(ip -n $NS -d -j link show j4 | json_get 'd[0]["xdp"]["prog"]["id"]'), 24, False)"
x mss set -i j4 1400 --dir egress --json >"$tmp/w.json"; rc=$?
out=$(validate mss_change "$tmp/w.json" 2>&1); rc2=$?
expect_eq "mss set --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... what changed" "$(json_get '(d["mode"], d["mss"], d["directions"])' <"$tmp/w.json")" "('fixed', 1400, 'egress')"
if x cookies set -i j4 auto --port 9443 --threshold 500 --json >"$tmp/w.json" 2>/dev/null; then
	out=$(validate cookies_change "$tmp/w.json" 2>&1); rc2=$?
	expect_eq "cookies set --json validates${out:+ ($out)}" "$rc2" 0
	expect_eq "... what changed" "$(json_get '(d["port"], d["mode"], d["threshold_pps"], d["changed"])' <"$tmp/w.json")" "(9443, 'auto', 500, True)"
else
	skip "cookies set --json" "this kernel cannot answer cookies"
fi
x tw on --churn 700 --json >"$tmp/w.json"; rc=$?
out=$(validate tw_change "$tmp/w.json" 2>&1); rc2=$?
expect_eq "tw on --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... on, the threshold set" "$(json_get '(d["telemetry"], d["thresholds"]["churn_per_s"])' <"$tmp/w.json")" "(True, 700)"
x tw --json --interval 1 >"$tmp/w.json"; rc=$?
out=$(validate tw "$tmp/w.json" 2>&1); rc2=$?
expect_eq "tw --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... TIME_WAIT = ss's count" "$(json_get 'd["time_wait"]' <"$tmp/w.json")" \
	"$(nsenter --net=/run/netns/$NS ss -tanH state time-wait | wc -l)"
x sockets --json >"$tmp/w.json"; rc=$?
out=$(validate sockets "$tmp/w.json" 2>&1); rc2=$?
expect_eq "sockets --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
x tw off --json >"$tmp/w.json"; rc=$?
out=$(validate tw_change "$tmp/w.json" 2>&1); rc2=$?
expect_eq "tw off --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... off, it was on" "$(json_get '(d["telemetry"], d["was_on"])' <"$tmp/w.json")" "(False, True)"
x detach j4 --json >"$tmp/w.json"; rc=$?
out=$(validate detach "$tmp/w.json" 2>&1); rc2=$?
expect_eq "detach --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... j4 detached (ip link: no XDP)" "$(json_get 'd["detached"]' <"$tmp/w.json")/$(ip -n $NS -d -j link show j4 | json_get '"xdp" in d[0]')" "['j4']/False"
x detach --all --json >"$tmp/w.json"; rc=$?
out=$(validate detach "$tmp/w.json" 2>&1); rc2=$?
expect_eq "detach --all --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... j0 and j2" "$(json_get 'sorted(d["detached"])' <"$tmp/w.json")" "['j0', 'j2']"
t_end
