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

validate() { t_schema "$@"; }	# validate DEF FILE (lib.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; t_ns_down' EXIT
# DNS on j0: a query into j0 (from j1) and its answer out of j0, crafted
# frames on packet sockets, so that dns --json has a server and a name
nsenter --net=/run/netns/$NS python3 - <<'PY'
import socket, struct
def mac(i):	# SIOCGIFHWADDR (/sys is the host's under nsenter --net)
    import fcntl
    return fcntl.ioctl(socket.socket(), 0x8927, struct.pack("256s", i.encode()))[18:24]
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def frame(src, dst, sip, dip, sport, dport, dns):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(dns), 0) + dns
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(sip), socket.inet_aton(dip))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst + src + b"\x08\x00" + ip + udp
q = b"\x03www\x07example\x04test\x00" + struct.pack("!HH", 1, 1)
query = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + q
answer = (struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + q +
          struct.pack("!HHHIH4s", 0xc00c, 1, 1, 300, 4, socket.inet_aton("198.18.7.7")))
for dev, f in (("j1", frame(mac("j1"), mac("j0"), "198.18.9.2", "198.18.9.1", 40000, 53, query)),
               ("j0", frame(mac("j0"), mac("j1"), "198.18.9.1", "198.18.9.2", 53, 40000, answer))):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((dev, 0))
    s.send(f)
    s.close()
PY
for c in "status" "rate" "allow" "deny" "cookies" "mss" "pmtu" "top --once --interval 1" "dns"; do
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
dns=$(x dns -i j0 --json | json_one)
kcnt=$(bpftool -j map dump pinned $dir0/xg_dns_cnt | json_get '[sum(v["value"] for v in e.get("formatted", e)["values"]) for e in d]')
expect_eq "dns: j0's counters = its xg_dns_cnt, summed over CPUs (bpftool)" \
	"$(json_get '[d["counters"][k] for k in ("packets", "queries", "responses", "not_dns", "malformed", "past_bound", "name_long", "unmatched", "servers_full", "tcp_middle", "events_lost")]' <<<"$dns")" "$kcnt"
expect_eq "dns: j0's servers and names = its tables' entries (bpftool)" \
	"$(json_get '(len(d["servers"]), len(d["names"]))' <<<"$dns")" \
	"($(bpftool -j map dump pinned $dir0/xg_dns_servers | json_get 'len(d)'), $(bpftool -j map dump pinned $dir0/xg_dns_names | json_get 'len(d)'))"
expect_eq "dns: the crafted query and answer (a local server, the name, its TTL, null for what never was)" \
	"$(json_get '[(s["address"], s["port"], s["role"], s["queries"], s["responses"], s["ttl_min_seconds"], s["neg_ttl_min_seconds"]) for s in d["servers"]] + [(n["name"], n["addresses"], n["ttl_seconds"]) for n in d["names"]]' <<<"$dns")" \
	"[('198.18.9.1', 53, 'local', 1, 1, 300, None), ('www.example.test.', ['198.18.7.7'], 300)]"
expect_eq "dns: the table sizes are the maps' (bpftool)" \
	"$(json_get '(d["settings"]["servers_max"], d["settings"]["names_max"])' <<<"$dns")" \
	"($(bpftool -j map show pinned $dir0/xg_dns_servers | json_get 'd["max_entries"]'), $(bpftool -j map show pinned $dir0/xg_dns_names | json_get 'd["max_entries"]'))"
expect_eq "status: j0's DNS program ids = its tc filters'" \
	"$(x status -i j0 --json | json_one | json_get '[d["programs"]["dns_ingress"], d["programs"]["dns_egress"]]')" \
	"$(for h in ingress egress; do nsenter --net=/run/netns/$NS tc -j filter show dev j0 $h | json_get '[f["options"]["prog"]["id"] for f in d if f.get("options", {}).get("prog", {}).get("name", "").startswith("xg_dns_")][0]'; done | paste -sd, | sed 's/^/[/; s/,/, /; s/$/]/')"
expect_eq "status: no cookie hand-off on j2: null, not 0" \
	"$(x status -i j2 --json | json_get 'd["interfaces"][0]["programs"]["tc_cookie"]')" None
# the other writing commands, and the per-namespace readers
ip -n $NS link add j4 type veth peer name j5 && ip -n $NS link set j4 up &&
	ip -n $NS link set j5 up
x attach j4 --mode skb --no-dns --prefix4 24 --json >"$tmp/w.json"; rc=$?
out=$(validate attach "$tmp/w.json" 2>&1); rc2=$?
expect_eq "attach --json: exit 0, validates${out:+ ($out)}" "$rc/$rc2" 0/0
expect_eq "... its program is the one ip link shows, its settings as asked" \
	"$(json_get '(d["prog_id"], d["prefix4"], d["dns"], d["dns_settings"])' <"$tmp/w.json")" \
	"($(ip -n $NS -d -j link show j4 | json_get 'd[0]["xdp"]["prog"]["id"]'), 24, False, None)"
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
