#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# DNS telemetry (issue 15) with real DNS software in the star lab:
#   ${P}atk  nsd, authoritative for example.test (a0 198.18.1.2)
#   ${P}srv  unbound, recursive, listening on eth1 198.18.2.1, asking nsd
#            over eth0 (198.18.1.1)
#   ${P}cli  dig and dnsperf (c0 198.18.2.2)
# xdpguard is attached on srv's eth1 (unbound as a server: role local),
# srv's eth0 (unbound as a client of nsd: role remote) and cli's c0 (the
# clients' side). Proven:
#   - queries and rcodes of unbound's clients equal unbound-control
#     stats_noreset, and dnsperf's sent/completed equal c0's counts, for
#     the same run (deltas);
#   - a query's latency falls in the bucket of the query-to-response time
#     tcpdump captures on the same interface, and is not over dig's;
#   - TTL 0 and TTL 86400 records are flagged at nsd's and unbound's ends;
#     an NXDOMAIN's negative TTL equals the zone's SOA minimum (60);
#   - a TXT answer too big for 1232 bytes gives TC=1 and dig's TCP retry
#     is seen as followed; with nft dropping TCP 53 it is not followed;
#   - a 4096-byte buffer over a 1280-MTU link: the answer arrives
#     fragmented and is counted (both ends); a broken delegation's SERVFAILs
#     are counted as unbound counts them;
#   - two resolvers answering one name differently within its TTL give
#     dns_servers_disagree;
#   - the zone's record changed and nsd reloaded gives dns_answer_changed
#     (old and new address); a process connecting to the old address past
#     its TTL gives dns_stale_use naming its pid and command, one that
#     connects to the new address gives none;
#   - export's xdpguard_dns_* say what dns --json says;
#   - c0 is attached with --dns-ttl-long 3600 --dns-timeout 2: a TTL of
#     3600 is flagged long there and not at unbound's end (86400), a query
#     nobody answers is a timeout within 2 s (the kernel's timer), not 5;
#   - attach --replace on c0 swaps its three DNS programs (new ids in tc
#     and in the pinned link, recorded by status), the counters and the
#     name table go on, and the stale use after it is told by the new
#     stale-use program;
#   - dns --json validates against docs/json.schema.json, without -i it
#     covers every attached interface, status and top carry a DNS summary
#     equal to it;
#   - table sizes and thresholds at attach: the maps' sizes are the ones
#     asked (bpftool), save records them, attach --ensure compares them,
#     values out of bounds are refused (exit 2) with nothing attached;
#   - attach --no-dns puts none of it on; detach leaves no DNS filter and
#     no pin.
P=dns-
. "$(dirname "$0")/../lib.sh"

for tool in nsd unbound unbound-control dig dnsperf nft; do
	if ! command -v $tool >/dev/null; then
		echo "ok - dns # SKIP $tool missing (scripts/deps.sh)"
		exit 0
	fi
done

T=$(mktemp -d /tmp/xg-${P}XXXXXX)
EVPID=
dns_cleanup() {
	[ -n "$EVPID" ] && kill "$EVPID" 2>/dev/null
	ip netns pids ${P}srv 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids ${P}atk 2>/dev/null | xargs -r kill 2>/dev/null
	# nsd writes its state as it exits: gone before its folder goes
	for i in $(seq 1 30); do
		[ -z "$(ip netns pids ${P}srv 2>/dev/null; ip netns pids ${P}atk 2>/dev/null)" ] && break
		sleep 0.1
	done
	rm -rf "$T"
	t_cleanup
}
t_start
trap dns_cleanup EXIT

NSD4=$LAB_ATK4		# 198.18.1.2
UNB4=$LAB_SRV4_C	# 198.18.2.1
xg_cli() { lab_exec "${P}cli" "$XG" "$@"; }
q() {	# q ARGS...: dig from the client through unbound
	lab_exec ${P}cli dig @$UNB4 +tries=1 +time=5 "$@"
}

zone() {	# zone SERIAL APP_ADDR
	cat >"$T/example.test.zone" <<EOF
\$TTL 300
@	IN SOA ns.example.test. hostmaster.example.test. $1 3600 600 86400 60
@	IN NS ns.example.test.
ns	IN A $NSD4
www	IN A 198.18.5.1
www2	IN A 198.18.5.4
zero 0	IN A 198.18.5.2
day 86400 IN A 198.18.5.3
long 3600 IN A 198.18.5.6
app 2	IN A $2
split	IN A 198.18.6.5
broken	IN NS ns.broken.example.test.
ns.broken IN A 198.18.9.9
big	IN TXT $(for i in $(seq 1 12); do printf '"%0200d" ' $i; done)
EOF
}
zone 1 198.18.5.10
cat >"$T/nsd.conf" <<EOF
server:
	ip-address: $NSD4
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$T"
	database: ""
	zonelistfile: "$T/zone.list"
	xfrdfile: "$T/xfrd.state"
	pidfile: "$T/nsd.pid"
	logfile: "$T/nsd.log"
	server-count: 1
	ip-transparent: no
remote-control:
	control-enable: no
zone:
	name: example.test
	zonefile: example.test.zone
EOF
cat >"$T/unbound.conf" <<EOF
server:
	interface: $UNB4
	port: 53
	outgoing-interface: $LAB_SRV4
	access-control: 198.18.0.0/15 allow
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$T"
	pidfile: "$T/unbound.pid"
	logfile: "$T/unbound.log"
	use-syslog: no
	do-ip6: no
	num-threads: 1
	module-config: "iterator"
	qname-minimisation: no
	do-not-query-localhost: no
	extended-statistics: yes
	prefetch: no
	max-udp-size: 4096
	edns-buffer-size: 1232
	infra-host-ttl: 1
	local-zone: "test." nodefault
remote-control:
	control-enable: yes
	control-interface: "$T/unbound.ctl"
	control-use-cert: no
stub-zone:
	name: "example.test."
	stub-addr: $NSD4
EOF
lab_exec ${P}atk timeout 900 nsd -d -c "$T/nsd.conf" >"$T/nsd.out" 2>&1 &
lab_exec ${P}srv timeout 900 unbound -d -c "$T/unbound.conf" >"$T/unbound.out" 2>&1 &
ub() { lab_exec ${P}srv unbound-control -c "$T/unbound.conf" "$@"; }
for i in $(seq 1 100); do
	ub status >/dev/null 2>&1 &&
		lab_exec ${P}atk dig @$NSD4 +tries=1 +time=1 ns.example.test >/dev/null 2>&1 &&
		break
	sleep 0.1
done
check "nsd and unbound are up" ub status

check "attach eth1 (unbound's clients)" lab_exec ${P}srv "$XG" attach eth1 --mode skb
check "attach eth0 (unbound to nsd)" lab_exec ${P}srv "$XG" attach eth0 --mode skb
check "attach c0 (the clients; TTLs >= 3600 s long, 2 s timeout)" \
	xg_cli attach c0 --mode skb --dns-ttl-long 3600 --dns-timeout 2
out=$(lab_exec ${P}srv "$XG" attach eth1 --mode skb 2>&1)
ufilters=$(ip netns exec ${P}srv tc filter show dev eth1 ingress | grep -c xg_dns_ingress)
expect_eq "one DNS filter on eth1's ingress" "$ufilters" 1
out=$(xg_cli attach c0 --bogus 2>&1); rc=$?
expect_eq "attach --bogus: exit 2" "$rc" 2

dnsj() {	# dnsj NS IFACE EXPR: the python expression on IFACE's object
	# of `dns --json` (d)
	lab_exec "$1" "$XG" dns -i "$2" --json | json_one | json_get "$3"
}
# the server entry (address, role) of `dns --json` as s, then EXPR
srv() {	# srv NS IFACE ADDR ROLE EXPR
	dnsj "$1" "$2" "[s for s in d['servers'] if s['address'] == '$3' and s['role'] == '$4'][0] if [s for s in d['servers'] if s['address'] == '$3' and s['role'] == '$4'] else None" |
		python3 -c "import ast, sys; s = ast.literal_eval(sys.stdin.read()); print(($5) if s else 'none')"
}
ubstat() {	# ubstat KEY: unbound's counter (0 when absent)
	ub stats_noreset | awk -F= -v k="$1" '$1 == k {v = $2} END {print v + 0}'
}

# ---- latency: the one sample lands in the bucket tcpdump's times give ----
lat0=$(srv ${P}cli c0 $UNB4 remote "s['latency_log2_us']")
lab_exec ${P}cli tcpdump --immediate-mode -U -n -i c0 -w "$T/lat.pcap" 'udp port 53' 2>"$T/tcpdump.err" &
cap=$!
for i in $(seq 1 100); do grep -q listening "$T/tcpdump.err" && break; sleep 0.1; done
ms=$(q lat1.example.test A | awk '/Query time:/ {print $4}')
sleep 0.5; kill $cap; wait $cap 2>/dev/null
lat1=$(srv ${P}cli c0 $UNB4 remote "s['latency_log2_us']")
wire=$(tcpdump -tt -n -r "$T/lat.pcap" 2>/dev/null | awk '{print $1}' | tr '\n' ' ')
ok_lat=$(python3 -c "
a = ${lat0/none/[0] * 24}; b = $lat1; t = '$wire'.split(); ms = int('$ms' or -1)
d = [i for i in range(len(a)) if b[i] != a[i]]
us = (float(t[1]) - float(t[0])) * 1e6 if len(t) == 2 else -1
lo, hi = (1 << d[0], 2 << d[0]) if len(d) == 1 and b[d[0]] - a[d[0]] == 1 else (0, 0)
# tcpdump's taps sit next to the tc hooks (after egress, before ingress):
# a few us of slack at the bucket's edges; dig measures more than the
# wire (its clock is coarse: 5 ms of slack), never less
print(int(lo * 0.9 - 20 <= us < hi * 1.1 + 20 and lo <= (ms + 5) * 1000), int(us), lo, hi)")
expect_eq "one latency sample, in the bucket of tcpdump's query-to-response time, not over dig's ($ms ms)" "${ok_lat%% *}" 1
echo "# latency: tcpdump ${ok_lat#* } (us: wire, bucket low, high)"

# ---- counts equal unbound's and dnsperf's (deltas over one run) ----
for n in www www2 zero day nx1 nx2 app; do
	echo "$n.example.test A"
done >"$T/queries"
before=$(srv ${P}srv eth1 $UNB4 local "s['queries'], s['responses'], s['rcodes']['noerror'], s['rcodes']['nxdomain'], s['rcodes']['servfail']")
ub_q0=$(ubstat total.num.queries); ub_ok0=$(ubstat num.answer.rcode.NOERROR)
ub_nx0=$(ubstat num.answer.rcode.NXDOMAIN); ub_sf0=$(ubstat num.answer.rcode.SERVFAIL)
cli0=$(srv ${P}cli c0 $UNB4 remote "s['queries'], s['responses']")
lab_exec ${P}cli dnsperf -s $UNB4 -d "$T/queries" -n 20 -c 2 -q 10 -t 5 >"$T/dnsperf.out" 2>&1
sent=$(awk '/Queries sent:/ {print $3}' "$T/dnsperf.out")
done_=$(awk '/Queries completed:/ {print $3}' "$T/dnsperf.out")
after=$(srv ${P}srv eth1 $UNB4 local "s['queries'], s['responses'], s['rcodes']['noerror'], s['rcodes']['nxdomain'], s['rcodes']['servfail']")
cli1=$(srv ${P}cli c0 $UNB4 remote "s['queries'], s['responses']")
d() { python3 -c "a = $1; b = $2; print(b[$3] - a[$3])"; }
expect_eq "dnsperf sent 140 queries" "$sent" 140
expect_eq "unbound's clients: queries = total.num.queries" \
	"$(d "$before" "$after" 0)" $(( $(ubstat total.num.queries) - ub_q0 ))
expect_eq "... NOERROR = num.answer.rcode.NOERROR" \
	"$(d "$before" "$after" 2)" $(( $(ubstat num.answer.rcode.NOERROR) - ub_ok0 ))
expect_eq "... NXDOMAIN = num.answer.rcode.NXDOMAIN" \
	"$(d "$before" "$after" 3)" $(( $(ubstat num.answer.rcode.NXDOMAIN) - ub_nx0 ))
expect_eq "... SERVFAIL = num.answer.rcode.SERVFAIL" \
	"$(d "$before" "$after" 4)" $(( $(ubstat num.answer.rcode.SERVFAIL) - ub_sf0 ))
expect_eq "the clients' side: queries = dnsperf's sent" "$(d "$cli0" "$cli1" 0)" "$sent"
expect_eq "... responses = dnsperf's completed" "$(d "$cli0" "$cli1" 1)" "$done_"
expect_eq "... 40 of them NXDOMAIN at unbound's end" "$(d "$before" "$after" 3)" 40

# ---- TTLs: 0 and a day flagged; negative TTL = SOA minimum ----
nsdside=$(srv ${P}srv eth0 $NSD4 remote "s['ttl_short'] >= 1, s['ttl_long'] >= 1, s['ttl_min_seconds'], s['ttl_max_seconds'], s['neg_ttl_min_seconds'], s['neg_ttl_max_seconds']")
expect_eq "nsd's answers: TTL 0 and 86400 flagged, min 0 max 86400, negative TTL 60 (SOA minimum)" \
	"$nsdside" "(True, True, 0, 86400, 60, 60)"
unbside=$(srv ${P}srv eth1 $UNB4 local "s['ttl_short'] >= 1, s['ttl_long'] >= 1, s['neg_ttl_max_seconds']")
expect_eq "unbound's answers: TTL 0 and a day flagged, negative TTL at most 60" \
	"$unbside" "(True, True, 60)"
ttl=$(q www.example.test A +noall +answer | awk '{print $2; exit}')
ours=$(dnsj ${P}cli c0 "[n['ttl_seconds'] for n in d['names'] if n['name'] == 'www.example.test.' and n['qtype'] == 'A'][0]")
expect_eq "the name table holds the TTL dig shows" "$ours" "$ttl"
# the thresholds set at attach: c0 flags >= 3600, unbound's eth1 >= 86400
lc0=$(srv ${P}cli c0 $UNB4 remote "s['ttl_long']") lu0=$(srv ${P}srv eth1 $UNB4 local "s['ttl_long']")
lt=$(q long.example.test A +noall +answer | awk '{print $2; exit}')
lc1=$(srv ${P}cli c0 $UNB4 remote "s['ttl_long']") lu1=$(srv ${P}srv eth1 $UNB4 local "s['ttl_long']")
expect_eq "TTL $lt (long.example.test): flagged long on c0 (--dns-ttl-long 3600), not on eth1 (86400)" \
	"$((lc1 - lc0)) $((lu1 - lu0))" "1 0"

# ---- TC=1: followed over TCP, and not when TCP 53 is dropped ----
tc0=$(srv ${P}cli c0 $UNB4 remote "s['tc'], s['tc_followed'], s['tc_not_followed']")
q big.example.test TXT +bufsize=1232 >"$T/dig-big.out"
check "dig got the big TXT answer (over TCP)" grep -q 'MSG SIZE.*rcvd: [2-9][0-9][0-9][0-9]' "$T/dig-big.out"
tc1=$(srv ${P}cli c0 $UNB4 remote "s['tc'], s['tc_followed'], s['tc_not_followed']")
expect_eq "TC=1 seen and followed over TCP" "$(d "$tc0" "$tc1" 0),$(d "$tc0" "$tc1" 1)" "1,1"
ip netns exec ${P}srv nft -f - <<EOF
table inet ${P}drop {
	chain in {
		type filter hook input priority 0;
		tcp dport 53 drop;
	}
}
EOF
lab_exec ${P}cli dig @$UNB4 +tries=1 +time=1 +bufsize=1232 big.example.test TXT >/dev/null 2>&1
for i in $(seq 1 40); do	# the 2 s window, in the kernel's timer
	tc2=$(srv ${P}cli c0 $UNB4 remote "s['tc'], s['tc_followed'], s['tc_not_followed']")
	[ "$(d "$tc1" "$tc2" 2)" == 1 ] && break
	sleep 0.25
done
ip netns exec ${P}srv nft delete table inet ${P}drop
expect_eq "with TCP 53 dropped: TC=1 not followed" \
	"$(d "$tc1" "$tc2" 0),$(d "$tc1" "$tc2" 1),$(d "$tc1" "$tc2" 2)" "1,0,1"
if [ "$(d "$tc1" "$tc2" 2)" != 1 ]; then
	# seen once under a loaded make check, not explained yet: what the
	# pending table and the counters held (docs/dns.md)
	echo "# c0's pending table and counters after the TC=1 window:"
	bpftool map dump pinned "$(ls -d "$XG_PINS/$(lab_netns_cookie ${P}cli)-c0")/xg_dns_pending" 2>&1 | sed 's/^/#   /' | head -40
	dnsj ${P}cli c0 "d.get('counters')" 2>&1 | sed 's/^/#   /'
fi

# ---- a 4096-byte buffer over a 1280-MTU link: the answer fragments ----
ip -n ${P}srv link set eth1 mtu 1280
ip -n ${P}cli link set c0 mtu 1280
fr0=$(srv ${P}cli c0 $UNB4 remote "s['fragmented'], s['tc'], s['responses']")
q big.example.test TXT +bufsize=4096 +ignore >"$T/dig-frag.out"
fr1=$(srv ${P}cli c0 $UNB4 remote "s['fragmented'], s['tc'], s['responses']")
check "dig got the big TXT answer over UDP" grep -q 'MSG SIZE.*rcvd: [2-9][0-9][0-9][0-9]' "$T/dig-frag.out"
expect_eq "it came IP-fragmented, counted once, no TC=1" \
	"$(d "$fr0" "$fr1" 0),$(d "$fr0" "$fr1" 1),$(d "$fr0" "$fr1" 2)" "1,0,1"
ufr=$(srv ${P}srv eth1 $UNB4 local "s['fragmented']")
check "... and leaving unbound too ($ufr)" test "${ufr:-0}" -ge 1
ip -n ${P}srv link set eth1 mtu 1500
ip -n ${P}cli link set c0 mtu 1500

# ---- a broken delegation: unbound's SERVFAIL ratio rises ----
sf0=$(srv ${P}srv eth1 $UNB4 local "s['rcodes']['servfail'], s['responses']")
ubsf0=$(ubstat num.answer.rcode.SERVFAIL)
for n in a b c; do
	q $n.broken.example.test A >/dev/null
done
sf1=$(srv ${P}srv eth1 $UNB4 local "s['rcodes']['servfail'], s['responses']")
expect_eq "3 names under a broken delegation: 3 SERVFAIL, as unbound counts" \
	"$(d "$sf0" "$sf1" 0),$(d "$sf0" "$sf1" 1)" "3,3"
expect_eq "... unbound's num.answer.rcode.SERVFAIL says 3 too" \
	$(( $(ubstat num.answer.rcode.SERVFAIL) - ubsf0 )) 3

# ---- two resolvers, two answers within the TTL: dns_servers_disagree ----
ip -n ${P}srv addr add 198.18.2.3/24 dev eth1
sed -e "s/interface: $UNB4/interface: 198.18.2.3/" -e "s|$T/unbound|$T/unbound2|g" \
	-e 's/local-zone: "test." nodefault/local-zone: "test." nodefault\
	local-zone: "split.example.test." static\
	local-data: "split.example.test. 300 IN A 198.18.6.6"/' \
	"$T/unbound.conf" >"$T/unbound2.conf"
lab_exec ${P}srv timeout 900 unbound -d -c "$T/unbound2.conf" >"$T/unbound2.out" 2>&1 &
for i in $(seq 1 100); do
	lab_exec ${P}cli dig @198.18.2.3 +tries=1 +time=1 ns.example.test >/dev/null 2>&1 && break
	sleep 0.1
done
# one reader of c0's ring for the rest (a ring has one consumer)
lab_exec ${P}cli timeout 120 "$XG" events -i c0 --type dns --json >"$T/events" 2>"$T/events.err" &
EVPID=$!
sleep 0.5
a1=$(q split.example.test A +short)
a2=$(lab_exec ${P}cli dig @198.18.2.3 +tries=1 +time=5 +short split.example.test A)
sleep 0.5
dis=$(python3 - "$T/events" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d = [e for e in ev if e["name"] == "split.example.test."]
print(len(d) == 1 and d[0]["src"] == "198.18.2.1" and d[0]["dst"] == "198.18.2.3"
      and d[0]["old"] == ["198.18.6.5"] and d[0]["new"] == ["198.18.6.6"])
EOF
)
expect_eq "split.example.test: $a1 from $UNB4, $a2 from 198.18.2.3 within the TTL: dns_servers_disagree" "$dis" True

# ---- attach --replace on c0: three new DNS programs, the tables go on ----
dnsids() {	# NS IFACE: DNS ingress, egress, stale-use program ids (the kernel's)
	local d
	d=$(ls -d "$XG_PINS/$(lab_netns_cookie "$1")-$2")
	echo "$(ip netns exec "$1" tc -j filter show dev "$2" ingress | json_get '[f["options"]["prog"]["id"] for f in d if f.get("options", {}).get("prog", {}).get("name") == "xg_dns_ingress"]')" \
	     "$(ip netns exec "$1" tc -j filter show dev "$2" egress | json_get '[f["options"]["prog"]["id"] for f in d if f.get("options", {}).get("prog", {}).get("name") == "xg_dns_egress"]')" \
	     "[$(bpftool -j link show pinned "$d/xg_dns_tp_link" | json_get 'd["prog_id"]')]"
}
recids() {	# NS IFACE: what status records
	lab_exec "$1" "$XG" status -i "$2" --json | json_one | json_get '"[%s] [%s] [%s]" % tuple(d["programs"][k] for k in ("dns_ingress", "dns_egress", "dns_tracepoint"))'
}
ids0=$(dnsids ${P}cli c0)
expect_eq "c0: status records its DNS programs ($ids0)" "$(recids ${P}cli c0)" "$ids0"
r0=$(srv ${P}cli c0 $UNB4 remote "s['queries'], s['responses']")
n0=$(dnsj ${P}cli c0 "len(d['names'])")
out=$(xg_cli attach --replace c0 2>&1); rc=$?
echo "# $out"
ids1=$(dnsids ${P}cli c0)
expect_eq "attach --replace c0: exit 0, it names the DNS parts" \
	"$rc $(grep -o 'dns ingress id [0-9]* -> [0-9]*, dns egress id [0-9]* -> [0-9]*, dns stale-use' <<<"$out" | wc -l)" "0 1"
changed=$(python3 -c "
a = '$ids0'.split(); b = '$ids1'.split()
print(sum(1 for x, y in zip(a, b) if x != y and len(eval(x)) == 1 and len(eval(y)) == 1))")
expect_eq "... every DNS program is new, one of each ($ids0 -> $ids1)" "$changed" 3
expect_eq "... status records the new ones" "$(recids ${P}cli c0)" "$ids1"
q www2.example.test A >/dev/null
r1=$(srv ${P}cli c0 $UNB4 remote "s['queries'], s['responses']")
expect_eq "... the server's counters go on (one query and its response more)" \
	"$(d "$r0" "$r1" 0),$(d "$r0" "$r1" 1)" "1,1"
check "... the name table is kept ($n0 names before)" \
	test "$(dnsj ${P}cli c0 "len(d['names'])")" -ge "$n0"

# ---- dns_answer_changed after the zone changes; dns_stale_use ----
old=$(q app.example.test A +short)
expect_eq "app.example.test first resolves to 198.18.5.10" "$old" 198.18.5.10
zone 2 198.18.5.11
lab_exec ${P}atk kill -HUP "$(cat "$T/nsd.pid")"
sleep 2.5	# past the old answer's TTL (2 s), in unbound's cache too
new=
for i in $(seq 1 20); do
	new=$(q app.example.test A +short)
	[ "$new" == 198.18.5.11 ] && break
	sleep 0.5
done
expect_eq "after the reload it resolves to 198.18.5.11" "$new" 198.18.5.11
# a client that kept the old address, and one that re-resolved
ip -n ${P}cli route add 198.18.5.0/24 via $UNB4
connect() {	# connect ADDR: a python3 connect(), its pid printed
	lab_exec ${P}cli python3 -c "
import os, socket
print(os.getpid(), flush=True)
s = socket.socket(); s.settimeout(0.5)
try: s.connect(('$1', 80))
except OSError: pass"
}
stale_pid=$(connect 198.18.5.10)
fresh_pid=$(connect 198.18.5.11)
sleep 1
kill "$EVPID" 2>/dev/null; wait "$EVPID" 2>/dev/null; EVPID=
chg=$(python3 - "$T/events" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
c = [e for e in ev if e["type"] == "dns_answer_changed" and e["name"] == "app.example.test."]
print(len(c) >= 1 and c[0]["old"] == ["198.18.5.10"] and c[0]["new"] == ["198.18.5.11"] and c[0]["src"] == "198.18.2.1" and c[0]["qtype"] == "A")
EOF
)
expect_eq "dns_answer_changed: app.example.test 198.18.5.10 -> 198.18.5.11 from unbound" "$chg" True
stale=$(python3 - "$T/events" "$stale_pid" "$fresh_pid" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
s = [e for e in ev if e["type"] == "dns_stale_use"]
mine = [e for e in s if e["pid"] == int(sys.argv[2])]
fresh = [e for e in s if e["pid"] == int(sys.argv[3])]
print(len(mine) == 1 and mine[0]["dst"] == "198.18.5.10" and mine[0]["comm"] == "python3"
      and mine[0]["name"] == "app.example.test." and mine[0]["past_expiry_s"] > 0, len(fresh))
EOF
)
expect_eq "dns_stale_use names the process on the old address (pid $stale_pid), none for the one that re-resolved (the replaced stale-use program)" "$stale" "True 0"

# ---- --dns-timeout 2: a query nobody answers is a timeout within 2 s ----
to0=$(srv ${P}cli c0 198.18.5.200 remote "s['timeouts']")
tq=$(date +%s%N)
lab_exec ${P}cli dig @198.18.5.200 +tries=1 +time=1 +retry=0 nobody.example.test A >/dev/null 2>&1
# the kernel's timer fires 2 s after the query (5 s is the default):
# polled until 3.5 s after it at most
to1=none
for i in $(seq 1 60); do
	to1=$(srv ${P}cli c0 198.18.5.200 remote "s['timeouts']")
	[ "$to1" == 1 ] && break
	[ $(( $(date +%s%N) - tq )) -gt 3500000000 ] && break
	sleep 0.1
done
expect_eq "a query to 198.18.5.200 (nothing answers): one timeout within the 2 s of --dns-timeout (before: $to0)" "$to1" 1

# ---- dns --json: the schema, every interface, status and top agree ----
lab_exec ${P}cli "$XG" dns --json >"$T/dns.json"
out=$(t_schema dns "$T/dns.json"); rc=$?
expect_eq "dns --json (c0) validates against docs/json.schema.json${out:+ ($out)}" "$rc" 0
lab_exec ${P}srv "$XG" dns --json >"$T/dns-srv.json"
out=$(t_schema dns "$T/dns-srv.json"); rc=$?
expect_eq "dns --json (srv) validates too${out:+ ($out)}" "$rc" 0
expect_eq "... without -i: every interface attached there" \
	"$(json_get 'sorted(i["interface"] for i in d["interfaces"])' <"$T/dns-srv.json")" "['eth0', 'eth1']"
st=$(lab_exec ${P}srv "$XG" status -i eth1 --json | json_one | json_get 'd["dns"]["queries"], d["dns"]["servers_tracked"], d["dns"]["timeouts"]')
dj=$(dnsj ${P}srv eth1 'd["counters"]["queries"], len(d["servers"]), sum(s["timeouts"] for s in d["servers"])')
expect_eq "status --json: eth1's DNS queries, servers, timeouts as dns --json says" "$st" "$dj"
read -r dq dsrv _ <<<"$dj"
tj=$(lab_exec ${P}srv "$XG" top -i eth1 --once --json | json_one | json_get 'd["dns"]["servers_tracked"], d["dns"]["queries"] >= '"$dq")
expect_eq "top --once --json: eth1's DNS servers, queries on from there" "$tj" "$dsrv True"
out=$(lab_exec ${P}srv "$XG" status -i eth1)
check "status text: the DNS line" grep -q "^  dns: [0-9]* queries, .* $dsrv of 256 servers" <<<"$out"

# ---- the text form ----
xg_cli dns -i c0 >"$T/dns.txt"
sed 's/^/# /' "$T/dns.txt"
check "dns -i c0 names the server and its role" grep -q "^server $UNB4:53 (remote" "$T/dns.txt"
check "... and the name with its answer" grep -q "app.example.test\. .*A .*198.18.5.11 ttl" "$T/dns.txt"

# ---- export: xdpguard_dns_* equal to dns --json ----
lab_exec ${P}cli timeout 20 "$XG" export --textfile "$T/metrics.prom" --once >/dev/null 2>&1
want=$(srv ${P}cli c0 $UNB4 remote "s['queries'], s['rcodes']['nxdomain']")
got=$(python3 - "$T/metrics.prom" <<'EOF'
import re, sys
m = {}
for l in open(sys.argv[1]):
    r = re.match(r'(\w+)\{(.*)\} (\S+)$', l.strip())
    if r:
        m[(r.group(1), r.group(2))] = float(r.group(3))
q = m.get(("xdpguard_dns_queries_total", 'interface="c0",server="198.18.2.1:53",role="remote"'))
nx = m.get(("xdpguard_dns_rcode_total", 'interface="c0",server="198.18.2.1:53",role="remote",rcode="NXDOMAIN"'))
print((int(q), int(nx)) if q is not None and nx is not None else None)
EOF
)
expect_eq "export: xdpguard_dns_queries_total and _rcode_total{NXDOMAIN} as dns --json" "$got" "$want"

# ---- attach --no-dns: none of it ----
lab_exec ${P}srv ip link add ${P}v0 type veth peer name ${P}v1
lab_exec ${P}srv ip link set ${P}v0 up
lab_exec ${P}srv ip link set ${P}v1 up
# ---- table sizes and thresholds at attach ----
for bad in "--dns-servers 8" "--dns-names 2000000" "--dns-timeout 0" "--dns-ttl-short 9 --dns-ttl-long 9" "--no-dns --dns-names 512" "--dns-pending 100" "--dns-tc-window 0" "--no-dns --dns-tc-window 3"; do
	out=$(lab_exec ${P}srv "$XG" attach ${P}v0 --mode skb $bad 2>&1); rc=$?
	expect_eq "attach $bad: exit 2, naming it, nothing attached" \
		"$rc $(grep -c -- "${bad%% *}" <<<"$out") $(ls "$XG_PINS" | grep -c -- "-${P}v0")" "2 1 0"
done
DNSOPTS="--dns-servers 64 --dns-names 512 --dns-timeout 3 --dns-ttl-short 1 --dns-ttl-long 3600 --dns-pending 2048 --dns-tc-window 4"
check "attach ${P}v0 $DNSOPTS" lab_exec ${P}srv "$XG" attach ${P}v0 --mode skb $DNSOPTS
vd=$(ls -d "$XG_PINS/$(lab_netns_cookie ${P}srv)-${P}v0")
expect_eq "... the maps are as large as asked (bpftool: servers, names, gone, pending)" \
	"$(for m in servers names gone pending; do bpftool -j map show pinned "$vd/xg_dns_$m" | json_get 'd["max_entries"]'; done | xargs)" "64 512 512 2048"
mem=$(for m in "$vd"/xg_dns_*; do bpftool -j map show pinned "$m" 2>/dev/null; done |
	python3 -c 'import json, sys; print(sum(json.loads(l).get("bytes_memlock", 0) for l in sys.stdin if l.strip()))')
expect_eq "... dns --json: the settings, and the memory the kernel accounts for its maps" \
	"$(dnsj ${P}srv ${P}v0 'tuple(d["settings"][k] for k in ("servers_max", "names_max", "pending_max", "timeout_seconds", "tc_window_seconds", "ttl_short_seconds", "ttl_long_seconds", "memory_bytes"))')" \
	"(64, 512, 2048, 3, 4.0, 1, 3600, $mem)"
out=$(lab_exec ${P}srv "$XG" save -i ${P}v0)
check "... save records them" grep -q '^attached .* dns on dns-servers 64 dns-names 512 dns-timeout 3 dns-ttl-short 1 dns-ttl-long 3600 dns-pending 2048 dns-tc-window 4$' <<<"$out"
lab_exec ${P}srv "$XG" save -i ${P}v0 >"$T/v0.pol"
sed -i 's/ dns-names 512 / dns-names 1024 /' "$T/v0.pol"
out=$(lab_exec ${P}srv "$XG" apply -i ${P}v0 -f "$T/v0.pol" 2>&1); rc=$?
expect_eq "... apply of a file saved with other DNS sizes: applied (exit 0), the difference noted" \
	"$rc $(grep -c 'note: .* --dns-names 1024 (here 512)' <<<"$out")" "0 1"
check "... attach --ensure with them: exit 0" lab_exec ${P}srv "$XG" attach ${P}v0 --mode skb --ensure $DNSOPTS
out=$(lab_exec ${P}srv "$XG" attach ${P}v0 --mode skb --ensure ${DNSOPTS/512/1024} 2>&1); rc=$?
expect_eq "... with --dns-names 1024: exit 1, naming it" "$rc $(grep -c -- '--dns-names 1024 (here 512)' <<<"$out")" "1 1"
out=$(lab_exec ${P}srv "$XG" attach ${P}v0 --mode skb --ensure ${DNSOPTS/window 4/window 5} 2>&1); rc=$?
expect_eq "... with --dns-tc-window 5: exit 1, naming it" "$rc $(grep -c -- '--dns-tc-window 5 (here 4)' <<<"$out")" "1 1"
out=$(lab_exec ${P}srv "$XG" attach ${P}v0 --mode skb --ensure --no-dns 2>&1); rc=$?
expect_eq "... with --no-dns: exit 1, naming it" "$rc $(grep -c -- '--no-dns (here with it)' <<<"$out")" "1 1"
check "detach ${P}v0" lab_exec ${P}srv "$XG" detach ${P}v0

out=$(lab_exec ${P}srv "$XG" attach ${P}v0 --mode skb --no-dns 2>&1)
check "attach --no-dns says DNS telemetry off" grep -q "DNS telemetry off" <<<"$out"
nf=$(ip netns exec ${P}srv tc filter show dev ${P}v0 ingress | grep -c xg_dns)
expect_eq "... no DNS filter" "$nf" 0
out=$(lab_exec ${P}srv "$XG" dns -i ${P}v0 2>&1); rc=$?
expect_eq "dns -i on it: exit 1, saying why" "$rc,$(grep -c 'no DNS telemetry' <<<"$out")" "1,1"
expect_eq "dns --json without -i: it is there, off" \
	"$(lab_exec ${P}srv "$XG" dns --json | json_get '[(i["interface"], i["dns"], i["counters"]) for i in d["interfaces"] if i["interface"] == "'${P}v0'"]')" \
	"[('${P}v0', False, None)]"
expect_eq "status --json: its dns is null" \
	"$(lab_exec ${P}srv "$XG" status -i ${P}v0 --json | json_one | json_get 'd["dns"], d["programs"]["dns_ingress"]')" "None None"
out=$(lab_exec ${P}srv "$XG" attach ${P}v0 --mode skb --ensure --dns-names 512 2>&1); rc=$?
expect_eq "attach --ensure with DNS on: exit 1, naming it" "$rc $(grep -c -- 'with DNS telemetry (here without)' <<<"$out")" "1 1"
check "detach ${P}v0" lab_exec ${P}srv "$XG" detach ${P}v0

# ---- detach leaves nothing of it ----
check "detach c0" xg_cli detach c0
check "detach eth1" lab_exec ${P}srv "$XG" detach eth1
check "detach eth0" lab_exec ${P}srv "$XG" detach eth0
left=$(ip netns exec ${P}srv tc filter show dev eth1 ingress; ip netns exec ${P}srv tc filter show dev eth0 egress; ip netns exec ${P}cli tc filter show dev c0 egress)
expect_eq "no tc filter left" "$(grep -c xg_ <<<"$left")" 0
expect_eq "no pin folder left" "$(ls "$XG_PINS" 2>/dev/null | grep -c -- '-\(eth0\|eth1\|c0\)$')" 0
t_end
