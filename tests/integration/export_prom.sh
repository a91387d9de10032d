#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A real Prometheus (Debian's) scrapes `xdpguard export` every second
# during a SYN flood; PromQL through its HTTP API gives the rate of judged
# SYNs, checked against the kernel's own count read with `status` at the
# same moments (so a busy machine changes both alike):
#  - rate() over a window that starts and ends on two of its scrapes
#    inside the flood = the status counter's increase between those two
#    timestamps over their distance, within 5%;
#  - the increase between a scrape before the flood and one after it =
#    the SYNs the generator sent less what the veth lost, exactly;
#  - the last sample = status; the target is up; `promtool check metrics`
#    passes on a scrape.
# Prometheus runs in the server's namespace with its own storage in a
# temporary folder, and is killed on every path.
P=xgxm-
. "$(dirname "$0")/../lib.sh"
t_start
LPORT=9403 PPORT=9493
TMP=$(mktemp -d /tmp/${P}XXXXXX)
ppid= qpid=
stop_prom() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	[ -n "$ppid" ] && kill "$ppid" 2>/dev/null && wait "$ppid" 2>/dev/null
	ppid= qpid=
}
trap 'stop_prom; t_cleanup; rm -rf "$TMP"' EXIT
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	not_ok "prometheus and promtool installed (scripts/deps.sh)"
	t_end
fi

check "attach eth0" xg_srv attach eth0 --pps 100 --burst 100
nsenter --net=/run/netns/${P}srv "$XG" export --listen 127.0.0.1:$LPORT 2>"$TMP/export.err" &
xpid=$!
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: xdpguard
    static_configs:
      - targets: ['127.0.0.1:$LPORT']
EOF
check "promtool check config" promtool check config "$TMP/prometheus.yml" >/dev/null
nsenter --net=/run/netns/${P}srv prometheus --config.file="$TMP/prometheus.yml" \
	--storage.tsdb.path="$TMP/data" --web.listen-address=127.0.0.1:$PPORT \
	--log.level=warn >"$TMP/prom.log" 2>&1 &
ppid=$!
api() {	# PATH [curl args]: Prometheus's HTTP API from the namespace
	local p=$1; shift
	lab_exec ${P}srv curl -sf --max-time 10 "$@" "http://127.0.0.1:$PPORT$p"
}
q() {	# QUERY [TIME]: the result of an instant query, as JSON
	api /api/v1/query --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"}
}
up=
for i in $(seq 1 150); do	# up to 15 s: its first scrape of the exporter
	up=$(q 'up{job="xdpguard"}' 2>/dev/null | json_get 'd["data"]["result"][0]["value"][1]' 2>/dev/null)
	[ "$up" == 1 ] && break
	sleep 0.1
done
expect_eq "Prometheus is up and scrapes the exporter (up = 1)" "$up" 1
[ "$up" == 1 ] || sed 's/^/# prometheus: /' "$TMP/prom.log" | tail -5

lab_exec ${P}srv curl -sf 127.0.0.1:$LPORT/metrics >"$TMP/scrape.txt"
out=$(promtool check metrics <"$TMP/scrape.txt" 2>&1); rc=$?
expect_eq "promtool check metrics on a scrape: no problem" "$rc:$out" "0:"

# the kernel's count of judged SYNs on eth0, read with status every ~50 ms
# as "read_start read_end count" (a read's moment lies between the two)
SEL='xdpguard_packets_total{interface="eth0",reason=~"syn_budget|syn_over_budget"}'
/usr/bin/python3 - "$XG" "/run/netns/${P}srv" "$TMP/stop" >"$TMP/status.txt" <<'PY' &
import json, os, subprocess, sys, time
xg, ns, stopf = sys.argv[1:4]
end = time.time() + 60
while time.time() < end and not os.path.exists(stopf):
    t0 = time.time()
    r = subprocess.run(["nsenter", "--net=" + ns, xg, "status", "-i", "eth0", "--json"],
                       capture_output=True, text=True)
    t1 = time.time()
    if r.returncode == 0:
        d = json.loads(r.stdout)["interfaces"][0]["counters"]
        n = sum(c["packets"] for c in d if c["reason"] in ("syn_budget", "syn_over_budget"))
        print("%.6f %.6f %d" % (t0, t1, n), flush=True)
    time.sleep(0.03)
PY
qpid=$!
sleep 2.2	# two scrapes before the flood
mac=$(lab_mac ${P}srv eth0)
err0=$(atk_xmit_errors)
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport 80 \
	--src 198.19.0.0/16 --sources 64 --count 200000 --pps 20000 --duration 30 \
	--json >"$TMP/flood.json"
lost=$(( $(atk_xmit_errors) - err0 ))
sleep 2.5	# two scrapes after it
touch "$TMP/stop"
wait $qpid
qpid=
sent=$(json_get 'd["sent"]' <"$TMP/flood.json")
gen=$(json_get 'd["pps"]' <"$TMP/flood.json")
now=$(date +%s.%N)
# the scrapes Prometheus stored: "timestamp value" (both series summed)
q "$SEL[60s]" "$now" | /usr/bin/python3 -c '
import json, sys
t = {}
for s in json.load(sys.stdin)["data"]["result"]:
    for ts, v in s["values"]:
        t[ts] = t.get(ts, 0) + int(v)
for ts in sorted(t):
    print("%.3f %d" % (ts, t[ts]))' >"$TMP/samples.txt"
echo "# flood: $sent SYNs sent ($gen pps by the generator's clock), $lost lost by the veth; $(wc -l <"$TMP/samples.txt") scrapes, $(wc -l <"$TMP/status.txt") status reads"

# the window: from the second scrape that saw the flood to the one before
# the last that saw it rising, both inside the flood
read -r t1 t2 <<<"$(awk '{ts[NR] = $1; v[NR] = $2} END {
	for (i = 2; i <= NR; i++) if (v[i] > v[i - 1]) {if (!f) f = i; l = i}
	if (f && l - f >= 4) print ts[f + 1], ts[l - 1]}' "$TMP/samples.txt")"
check "at least 4 s of scrapes inside the flood" test -n "${t2:-}"
if [ -n "${t2:-}" ]; then
	ms=$(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%d", (b - a) * 1000 + 1.5}')
	prom=$(q "sum(rate($SEL[${ms}ms]))" "$t2" | json_get 'float(d["data"]["result"][0]["value"][1])')
	# status at a moment: interpolated between the reads around it
	truth=$(/usr/bin/python3 - "$TMP/status.txt" "$t1" "$t2" <<'PY'
import sys
reads = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
pts = [((a + b) / 2, n) for a, b, n in reads if b - a < 0.2]
def at(t):
    for (ta, na), (tb, nb) in zip(pts, pts[1:]):
        if ta <= t <= tb:
            return na + (nb - na) * (t - ta) / (tb - ta)
    raise SystemExit("no status reads around %f" % t)
t1, t2 = float(sys.argv[2]), float(sys.argv[3])
print("%.1f" % ((at(t2) - at(t1)) / (t2 - t1)))
PY
)
	echo "# rate() over ${ms} ms ($t1 .. $t2): Prometheus $prom SYN/s, status $truth SYN/s, generator $gen pps"
	check "PromQL rate() = the status counter's rate at the same scrapes, within 5% ($prom ~ $truth)" \
		/usr/bin/python3 -c "import sys; a, b = $prom, $truth; sys.exit(not (b > 0 and abs(a - b) <= 0.05 * b))"
fi

# the increase from before the flood to after it: the kernel's count
read -r tb ta <<<"$(awk '{ts[NR] = $1; v[NR] = $2} END {
	for (i = 2; i <= NR; i++) if (v[i] > v[i - 1]) {if (!f) f = i; l = i}
	if (f && l < NR) print ts[f - 1], ts[l + 1]}' "$TMP/samples.txt")"
check "scrapes before and after the flood" test -n "${ta:-}"
if [ -n "${ta:-}" ]; then
	inc=$(q "sum($SEL @ $ta) - sum($SEL @ $tb)" "$ta" | json_get 'int(float(d["data"]["result"][0]["value"][1]))')
	expect_eq "PromQL: the increase across the flood = SYNs sent - veth losses" "$inc" $((sent - lost))
fi
last=$(tail -1 "$TMP/samples.txt" | awk '{print $2}')
expect_eq "the last sample Prometheus stored = status now" "$last" \
	"$(xg_srv status -i eth0 --json | json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"] in ("syn_budget", "syn_over_budget"))')"

pp=$ppid
stop_prom
check "Prometheus stopped" bash -c "! kill -0 $pp 2>/dev/null"
kill -TERM $xpid
wait $xpid
expect_eq "export exits 0 on SIGTERM" "$?" 0
t_snapshot
check "detach eth0" xg_srv detach eth0
t_nothing_left
t_end
