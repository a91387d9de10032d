#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# events --journal for real: systemd-journald runs by hand in a private
# mount namespace (tmpfs over /run/systemd, /run/log and /var/log/journal:
# nothing of the host's journal is touched), the shipper is the ExecStart
# line of the installed xdpguard-events@.service (after its ExecStartPre,
# as uid nobody with CAP_DAC_OVERRIDE alone, as the unit runs it), and a
# second reader
# watches live through its relay with --json. For a deterministic set of
# records (one deny_hit per denied source, one throttle per source over
# its budget) journalctl -o json must hold exactly the records the JSON
# reader printed, with the same fields (upper-cased; null fields left
# out, lists comma-joined), MESSAGE= the text line, PRIORITY and
# SYSLOG_IDENTIFIER=xdpguard.
P=xgej-
if [ -z "${XG_EJ_INNER:-}" ]; then
	XG_EJ_INNER=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

RUN=/run/${XG_PINS##*/}
tmp=$(mktemp -d /tmp/${P}XXXXXX)
PIDS=()
JD=
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "$JD" ] && { kill "$JD" 2>/dev/null; wait "$JD" 2>/dev/null; }
	t_ns_down
	rm -rf "$tmp" "$RUN"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# the journal's places, private to this mount namespace
for d in /run/systemd /run/log /var/log/journal; do
	mount -t tmpfs -o mode=0755 tmpfs "$d" || { not_ok "tmpfs over $d"; exit 1; }
done
mkdir -p /run/systemd/journal

t_ns e0:e1
MAC=$(lab_mac $NS e0)
N=20	# denied sources
M=10	# sources over their budget

check "attach e0 (a SYN a second per /32)" x attach e0 --mode skb --prefix4 32
x rate set -i e0 --pps 1 --burst 1 >/dev/null
for i in $(seq 1 $N); do x deny add 198.18.7.$i/32 >/dev/null; done

out=$(x events -i e0 --journal 2>&1 </dev/null); rc=$?
expect_eq "--journal with no journald: exit 1" "$rc" 1
check "... saying so" grep -q "cannot reach the journal at /run/systemd/journal/socket" <<<"$out"
out=$(x events -i e0 --journal --json 2>&1 </dev/null); rc=$?
expect_eq "--journal with --json: usage error" "$rc" 2

/lib/systemd/systemd-journald >"$tmp/journald.log" 2>&1 &
JD=$!
for i in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
check "journald runs (its socket)" test -S /run/systemd/journal/socket
JDIR=/run/log/journal/$(cat /etc/machine-id)

# the shipper: the unit's ExecStart, as make install writes it
make -s -o build/xdpguard install DESTDIR="$tmp/root" PREFIX=/usr UNITDIR=/lib/systemd/system \
	SYSCONFDIR="$tmp/etc" >/dev/null || not_ok "make install"
UNIT=$tmp/root/lib/systemd/system/xdpguard-events@.service
pre=$(sed -n 's/^ExecStartPre=+//p' "$UNIT")
pre=${pre//\/run\/xdpguard/$RUN}
cmd=$(sed -n 's/^ExecStart=//p' "$UNIT")
cmd=${cmd//%I/e0}; cmd=${cmd//%i/e0}; cmd=${cmd//\/usr\/sbin\/xdpguard/$XG}
echo "# shipper: $pre; $cmd"
check "the unit runs events --journal" grep -q -- "events -i e0 --journal" <<<"$cmd"
check "... as a user of its own with CAP_DAC_OVERRIDE alone" \
	bash -c "grep -q '^DynamicUser=yes' $UNIT && grep -q '^AmbientCapabilities=CAP_DAC_OVERRIDE$' $UNIT"
# shellcheck disable=SC2086
check "ExecStartPre (as root) makes the run folder" $pre
expect_eq "... root's, 0700" "$(stat -c '%U %a' "$RUN")" "root 700"
# as DynamicUser= and AmbientCapabilities= run it: another uid, one cap
# shellcheck disable=SC2086
nsenter --net=/run/netns/$NS setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all,+dac_override --ambient-caps=-all,+dac_override \
	--bounding-set=-all,+dac_override $cmd >"$tmp/ship.out" 2>"$tmp/ship.err" &
SHIP=$!
PIDS+=("$SHIP")
check "shipper ready" t_wait_line "$tmp/ship.err" following
expect_eq "... its lock is the shipper's own" "$(stat -c %u "$RUN"/*-e0.lock)" 65534
nsenter --net=/run/netns/$NS "$XG" events --json >"$tmp/live" 2>"$tmp/live.err" &
LIVE=$!
PIDS+=("$LIVE")
check "a second reader watches live through the shipper's relay" \
	t_wait_line "$tmp/live.err" "is followed by another reader (pid $SHIP): reading it through its relay"
check "... the shipper says it serves one" t_wait_line "$tmp/ship.err" "1 other reader reads it"

syn() {	# syn SRC SOURCES COUNT
	nsenter --net=/run/netns/$NS "$FLOOD" --dev e1 --dst-mac "$MAC" --dst 198.18.0.1 \
		--dport 80 --src "$1" --sources "$2" --count "$3" --duration 10 >/dev/null 2>&1
}
syn 198.18.7.1/24 $N $N			# a deny_hit per denied source
syn 198.19.0.1/16 $M $((2 * M))		# each twice: a throttle per source
for i in $(seq 100); do [ "$(grep -c . "$tmp/live")" -ge $((N + M)) ] && break; sleep 0.1; done
expect_eq "the live reader: $((N + M)) records" "$(grep -c . "$tmp/live")" $((N + M))
sleep 0.5
kill -TERM $SHIP; wait $SHIP; rc=$?
expect_eq "the shipper stops 0 on SIGTERM (systemctl stop)" "$rc" 0
echo "# $(tail -1 "$tmp/ship.err")"
check "... nothing refused by the journal" grep -q "$((N + M)) records, .* 0 not taken by the journal" "$tmp/ship.err"
check "... stdout empty (the records went to the journal)" test ! -s "$tmp/ship.out"
check "the live reader takes the ring over" t_wait_line "$tmp/live.err" "this one follows the ring now"
kill -INT $LIVE; wait $LIVE

journalctl -D "$JDIR" -o json _PID=$SHIP >"$tmp/journal" 2>"$tmp/journalctl.err"
echo "# journal: $(grep -c . "$tmp/journal") entries of pid $SHIP"
check "the journal holds the same records as --json, with the same fields" \
	python3 - "$tmp/live" "$tmp/journal" <<'PY'
import datetime, json, sys
live = [json.loads(l) for l in open(sys.argv[1])]
jour = [json.loads(l) for l in open(sys.argv[2])]
assert len(live) == len(jour), ("count", len(live), len(jour))
by = {}
for j in jour:
    by.setdefault((j["TYPE"], j["SRC"]), []).append(j)
ts = lambda s: datetime.datetime.strptime(s[:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
def jv(v):
    return ",".join(v) if isinstance(v, list) else str(v)
for e in live:
    js = by.pop((e["type"], e["src"]))
    assert len(js) == 1, ("twice", e)
    j = js[0]
    for k, v in e.items():
        K = k.upper()
        if v is None:
            assert K not in j, ("null field present", K, j)
        elif k == "time":
            assert abs(ts(j[K]) - ts(v)) < 0.01, (k, v, j[K])
        else:
            assert j.get(K) == jv(v), (K, j.get(K), v)
    extra = {k for k in j if not k.startswith("_")} - {k.upper() for k in e} \
        - {"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"}
    assert not extra, ("fields not in JSON", extra)
    assert j["SYSLOG_IDENTIFIER"] == "xdpguard", j
    assert j["PRIORITY"] == "5", j	# notice: throttle, deny_hit
    text = [j["TIME"], e["type"], e["interface"] or "host"] + [
        "%s=%s" % (k, ",".join(v) or "-" if isinstance(v, list) else v)
        for k, v in e.items()
        if k not in ("time", "type", "interface", "netns", "family") and v is not None]
    assert j["MESSAGE"] == " ".join(text), (j["MESSAGE"], " ".join(text))
assert not by, ("journal records not in JSON", by)
print("# %d records compared, field by field" % len(live))
PY
expect_eq "... $N deny_hit and $M throttle, as sent" "$(python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["TYPE"] for l in open(sys.argv[1]))
print(c["deny_hit"], c["throttle"])' "$tmp/journal")" "$N $M"

check "detach e0" x detach e0
t_end
