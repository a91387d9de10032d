#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every (verdict, reason) series the exporter serves against `status
# --json`, the same numbers: during a SYN-cookie flood each sample lies
# between the status read just before and the one just after the scrape;
# after the traffic each equals status. The series are exactly the pairs
# of abi.h's table (XG_REASON_VERDICTS): the cookie pairs the issue saw
# missing (tx/cookie_syn, drop/cookie_bad, drop/bad_checksum) are there
# and equal the frames sent, the impossible ones (tx/deny,
# pass/cookie_bad) are not, and no counter status shows non-zero lacks a
# series. eth1 runs --dry-run: would_drop/deny.
P=xgxp-
. "$(dirname "$0")/../lib.sh"
t_start
PYTHON=/usr/bin/python3	# Debian's, with python3-prometheus-client
LPORT=9402 CK=8080
TMP=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_cleanup; rm -rf "$TMP"' EXIT

check "attach eth0" xg_srv attach eth0 --pps 100 --burst 100
check "attach eth1 --dry-run" xg_srv attach eth1 --dry-run
lab_exec ${P}srv timeout 120 socat TCP-LISTEN:$CK,fork,reuseaddr,backlog=4096 \
	SYSTEM:'echo pong' 2>/dev/null &
spid=$!
check "listener on $CK" t_wait_listen ${P}srv $CK
check "cookies on for port $CK" xg_srv cookies set -i eth0 on --port $CK
check "deny the client's address on eth1 (dry run)" xg_srv deny add -i eth1 $LAB_CLI4
nsenter --net=/run/netns/${P}srv "$XG" export --listen 127.0.0.1:$LPORT 2>"$TMP/export.err" &
xpid=$!
for i in $(seq 1 50); do
	lab_exec ${P}srv curl -sf -o /dev/null 127.0.0.1:$LPORT/metrics && break
	sleep 0.1
done
scrape() { lab_exec ${P}srv curl -sf --max-time 10 127.0.0.1:$LPORT/metrics; }
status() { xg_srv status --json; }

# compare SCRAPE STATUS_BEFORE STATUS_AFTER EXACT(0|1): one line per
# problem, then "pairs N", the pairs exported for eth0
compare() {
	$PYTHON - "$@" <<'PY'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
scrape, s1, s2, exact = open(sys.argv[1]).read(), *(json.load(open(f)) for f in sys.argv[2:4]), sys.argv[4] == "1"
def table(s):
    return {(i["interface"], c["verdict"], c["reason"]): c for i in s["interfaces"] for c in i["counters"]}
a, b = table(s1), table(s2)
got = {}
for fam in text_string_to_metric_families(scrape):
    for smp in fam.samples:
        if smp.name in ("xdpguard_packets_total", "xdpguard_bytes_total"):
            l = smp.labels
            got[(smp.name, l["interface"], l["verdict"], l["reason"])] = int(smp.value)
bad = []
for (name, *k), v in sorted(got.items()):
    f = "packets" if name == "xdpguard_packets_total" else "bytes"
    lo, hi = a[tuple(k)][f], b[tuple(k)][f]
    if not lo <= v <= hi or (exact and lo != v):
        bad.append("%s %s: exported %d, status %d .. %d" % (name, "/".join(k), v, lo, hi))
for k, c in b.items():
    if c["packets"] and ("xdpguard_packets_total", *k) not in got:
        bad.append("status counts %s (%d packets): no series" % ("/".join(k), c["packets"]))
for name in ("xdpguard_packets_total", "xdpguard_bytes_total"):
    if {k[1:] for k in got if k[0] == name} != {k[1:] for k in got if k[0] == "xdpguard_packets_total"}:
        bad.append("%s: not the pairs of xdpguard_packets_total" % name)
print("\n".join(bad))
print("pairs", " ".join(sorted("%s/%s" % k[2:] for k in got if k[0] == "xdpguard_packets_total" and k[1] == "eth0")))
PY
}
# bracket NAME: status, scrape, status; every sample between the two
bracket() {
	status >"$TMP/s1.json"; scrape >"$TMP/m.txt"; status >"$TMP/s2.json"
	out=$(compare "$TMP/m.txt" "$TMP/s1.json" "$TMP/s2.json" "${2:-0}")
	expect_eq "$1" "$(grep -v '^pairs ' <<<"$out")" ""
}

# ---- during a cookie flood: SYNs to $CK answered from XDP ----
mac=$(lab_mac ${P}srv eth0)
err0=$(atk_xmit_errors)
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport $CK \
	--src 198.19.0.0/16 --sources 0 --count 300000 --pps 60000 --duration 20 \
	--json >"$TMP/syn.json" &
fpid=$!
sleep 1
for n in 1 2 3; do
	bracket "during the flood ($n): every series between the status reads around the scrape"
	sleep 0.5
done
wait $fpid
lost_syn=$(( $(atk_xmit_errors) - err0 ))

# ---- then ACKs with random numbers to $CK (bad cookies), SYNs over
# budget to port 80, SYNs with a bad checksum to $CK, a denied source ----
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport $CK \
	--src 198.19.0.0/16 --sources 0 --count 20000 --duration 20 --flags ack \
	--json >"$TMP/ack.json"
lost_ack=$(( $(atk_xmit_errors) - err0 - lost_syn ))
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport 80 \
	--src 198.19.0.0/16 --sources 16 --count 20000 --duration 20 --json >"$TMP/over.json"
lab_exec ${P}atk python3 - "$(lab_mac ${P}atk a0)" "$mac" "$LAB_ATK4" "$LAB_SRV4" $CK <<'PY'
import socket, struct, sys
smac, dmac, src, dst, dport = sys.argv[1:6]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
sa, da = socket.inet_aton(src), socket.inet_aton(dst)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("a0", 0))
for sport in range(41000, 41010):	# ten SYNs, each with a wrong checksum
    tcp = struct.pack("!HHIIBBHHH", sport, int(dport), 1, 0, 6 << 4, 2, 64240, 0, 0) + struct.pack("!BBH", 2, 4, 1460)
    c = csum(sa + da + struct.pack("!BBH", 0, 6, len(tcp)) + tcp) ^ 0x0101
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, sa, da)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.send(mac(dmac) + mac(smac) + b"\x08\x00" + ip + tcp)
PY
lab_exec ${P}cli timeout 5 socat -T1 - "TCP:$LAB_SRV4_C:22,connect-timeout=1" </dev/null >/dev/null 2>&1
sleep 0.5

bracket "after the traffic: every series = status" 1
pairs=$(compare "$TMP/m.txt" "$TMP/s1.json" "$TMP/s2.json" 1 | sed -n 's/^pairs //p')
# the table of abi.h, written out again here: a pair added or lost there
# shows here
want="drop/bad_checksum drop/cookie_bad drop/deny drop/malformed drop/syn_over_budget pass/allow pass/cookie_ack pass/cookie_skip pass/cookie_syn pass/fragment pass/no_listener pass/not_ip pass/not_tcp pass/syn_budget pass/tcp_not_syn tx/cookie_syn would_drop/bad_checksum would_drop/cookie_bad would_drop/deny would_drop/malformed would_drop/syn_over_budget"
expect_eq "the exported pairs are the table's 21" "$pairs" "$want"
check "no tx/deny, pass/cookie_bad, pass/bad_checksum series" bash -c \
	"! grep -qE 'verdict=\"(tx|pass)\",reason=\"(deny|cookie_bad|bad_checksum)\"' $TMP/m.txt"
sample() { awk -v k="xdpguard_packets_total{interface=\"$1\",verdict=\"$2\",reason=\"$3\"}" '$1 == k {print $2}' "$TMP/m.txt"; }
syn=$(json_get 'd["sent"]' <"$TMP/syn.json") ack=$(json_get 'd["sent"]' <"$TMP/ack.json")
echo "# flood: $syn SYNs, then $ack ACKs to port $CK ($lost_syn, $lost_ack lost by the veth)"
expect_eq "tx/cookie_syn: every SYN to $CK the generator sent and the veth did not lose" \
	"$(sample eth0 tx cookie_syn)" $((syn - lost_syn))
expect_eq "drop/cookie_bad: every ACK with random numbers" \
	"$(sample eth0 drop cookie_bad)" $((ack - lost_ack))
expect_eq "drop/bad_checksum: the ten SYNs with a wrong checksum" "$(sample eth0 drop bad_checksum)" 10
check "drop/syn_over_budget counted ($(sample eth0 drop syn_over_budget))" test "$(sample eth0 drop syn_over_budget)" -gt 0
check "would_drop/deny on the dry-run eth1 ($(sample eth1 would_drop deny))" test "$(sample eth1 would_drop deny)" -gt 0
expect_eq "... and nothing dropped there" "$(sample eth1 drop deny)" 0

kill -TERM $xpid
wait $xpid
expect_eq "export exits 0 on SIGTERM" "$?" 0
kill $spid 2>/dev/null
wait $spid 2>/dev/null
t_snapshot
check "detach --all" xg_srv detach --all
t_nothing_left
t_end
