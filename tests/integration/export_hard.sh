#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The exporter's hardening, each against what it guards:
#  - --listen needs an address: ':PORT' and 'PORT' are usage errors (exit
#    2) and nothing listens;
#  - --textfile: symlinks planted at the target, at 500 names of the
#    temporary file's pattern and at the name an older exporter used
#    (PATH.<pid>.tmp) never make it write through them (a root-only file
#    beside stays as it was); the file is replaced, mode 0640 by default
#    or --textfile-mode; no temporary file is left;
#  - a textfile write that fails (its folder removed) is said, tried
#    again, and written again once the folder is back, while --listen
#    serves on;
#  - 1500 slow clients holding partial requests open (one address, then
#    50 addresses) do not lock a scrape out: curl gets /metrics in time;
#  - / is a small page linking /metrics; other paths are 404.
P=xgxh-
. "$(dirname "$0")/../lib.sh"
TMP=$(mktemp -d /tmp/${P}XXXXXX)
lpid= xpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; [ -n "$xpid" ] && kill $xpid 2>/dev/null; wait 2>/dev/null; t_ns_down; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
t_ns v0:v1 || { not_ok "namespace $NS"; t_end; }
ip -n $NS link set lo up
SRV=198.18.250.1 LPORT=9404
for i in $(seq 1 60); do ip -n $NS addr add 198.18.250.$i/32 dev lo; done
check "attach v0" x attach v0

# ---- --listen needs an address ----
for a in :$LPORT $LPORT; do
	out=$(x export --listen $a 2>&1); rc=$?
	expect_eq "export --listen '$a': usage error" "$rc" 2
	check "... naming it and the accepted form" bash -c \
		"grep -q -- \"--listen '$a'\" <<<\"\$1\" && grep -q '127.0.0.1:' <<<\"\$1\"" _ "$out"
done
check "... and nothing listens" bash -c "! ip netns exec $NS ss -tlnH | grep -q ':$LPORT '"

# ---- the textfile: symlinks planted where it writes ----
D=$TMP/tf
mkdir -m 0755 "$D"
printf 'root only\n' >"$TMP/secret"
chmod 0600 "$TMP/secret"
sum0=$(sha256sum <"$TMP/secret")
ln -s "$TMP/secret" "$D/m.prom"
/usr/bin/python3 - "$D" "$TMP/secret" <<'PY'
import os, random, string, sys
d, target = sys.argv[1:3]
random.seed(14)
chars = string.ascii_letters + string.digits
for i in range(500):	# names of the temporary file's pattern, PATH.XXXXXX
    os.symlink(target, os.path.join(d, "m.prom." + "".join(random.choice(chars) for _ in range(6))))
PY
# and at the name an older exporter used, PATH.<its pid>.tmp: the shell
# plants it, then becomes the exporter (exec keeps the pid)
check "export --textfile --once over the planted symlinks" \
	nsenter --net=/run/netns/$NS sh -c 'ln -s "$1" "$2.$$.tmp" && exec "$3" export --textfile "$2" --once' \
	_ "$TMP/secret" "$D/m.prom" "$XG"
expect_eq "the root-only file is unchanged" "$(sha256sum <"$TMP/secret")" "$sum0"
expect_eq "... its mode too" "$(stat -c %a "$TMP/secret")" 600
check "the textfile is a file of its own now (the symlink replaced, not followed)" \
	bash -c "[ -f '$D/m.prom' ] && [ ! -L '$D/m.prom' ]"
check "... with the metrics" grep -q '^xdpguard_packets_total{interface="v0"' "$D/m.prom"
expect_eq "... mode 0640 by default, root's" "$(stat -c '%a %U' "$D/m.prom")" "640 root"
expect_eq "the 501 planted names are still symlinks, nothing else was left" \
	"$(find "$D" -name 'm.prom.*' -type l | wc -l) $(find "$D" -name 'm.prom.*' ! -type l | wc -l)" "501 0"
check "--textfile-mode 0644" x export --textfile "$D/m.prom" --once --textfile-mode 0644
expect_eq "... mode 0644" "$(stat -c %a "$D/m.prom")" 644
out=$(x export --textfile "$D/m.prom" --once --textfile-mode 0666 2>&1); rc=$?
expect_eq "--textfile-mode 0666: usage error" "$rc" 2
check "... naming the accepted modes" grep -q "0600, 0640 or 0644" <<<"$out"
expect_eq "... and the file kept its mode" "$(stat -c %a "$D/m.prom")" 644

# ---- a failed write is said and tried again; the server goes on ----
D2=$TMP/tf2
mkdir "$D2"
nsenter --net=/run/netns/$NS "$XG" export --listen $SRV:$LPORT --textfile "$D2/m.prom" \
	--interval 1 2>"$TMP/export.err" &
xpid=$!
scrape() {	# [SOURCE]: /metrics within 5 s; prints the HTTP code
	ip netns exec $NS curl -s -o "$TMP/scrape.txt" -w '%{http_code}' --max-time 5 \
		${1:+--interface "$1"} "http://$SRV:$LPORT/metrics"
}
for i in $(seq 1 50); do [ "$(scrape)" == 200 ] && break; sleep 0.1; done
check "the textfile is written" t_wait_line "$D2/m.prom" '^xdpguard_build_info'
rm -rf "$D2"
check "its folder removed: the failure is said" t_wait_line "$TMP/export.err" "cannot write $D2/m.prom: No such file or directory"
check "... with the retry" grep -q "trying again every 1s" "$TMP/export.err"
expect_eq "... and /metrics is still served" "$(scrape)" 200
sleep 1.2
check "... tried again (two failures said)" test "$(grep -c "cannot write $D2/m.prom" "$TMP/export.err")" -ge 2
mkdir "$D2"
check "the folder back: written again" t_wait_line "$D2/m.prom" '^xdpguard_build_info'
check "... and said" t_wait_line "$TMP/export.err" "written again, after [0-9]* failed writes"
check "the export is still running" kill -0 $xpid

# ---- / and other paths ----
code=$(ip netns exec $NS curl -s -o "$TMP/index.html" -w '%{http_code} %{content_type}' "http://$SRV:$LPORT/")
expect_eq "/: a page" "$code" "200 text/html; charset=utf-8"
check "... linking /metrics" grep -q '<a href="/metrics">' "$TMP/index.html"
expect_eq "other paths: 404" "$(ip netns exec $NS curl -s -o /dev/null -w '%{http_code}' "http://$SRV:$LPORT/nope")" 404

# ---- slowloris: 1500 slow clients ----
# slow CONNS FIRST_HOST HOSTS: CONNS connections from HOSTS addresses
# 198.18.250.FIRST_HOST.., each sending a partial request then a header
# line every second (within the exporter's idle timeout) for 12 s
slow() {
	ip netns exec $NS /usr/bin/python3 - "$SRV" $LPORT "$@" "$TMP/slow.ready" <<'PY' &
import resource, select, socket, sys, time
srv, port, conns, first, hosts, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
socks = []
for i in range(conns):
    s = socket.socket()
    s.bind(("198.18.250.%d" % (first + i % hosts), 0))
    s.setblocking(False)
    s.connect_ex((srv, port))
    socks.append(s)
# until every one is connected (or 5 s)
p = select.poll()
left = {s.fileno(): s for s in socks}
for fd in left:
    p.register(fd, select.POLLOUT)
end = time.time() + 5
while left and time.time() < end:
    for fd, ev in p.poll(100):
        p.unregister(fd)
        left.pop(fd, None)
def send(b):
    for s in socks:
        try:
            s.send(b)
        except OSError:
            pass
send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
open(ready, "w").close()
end = time.time() + 12
while time.time() < end:
    time.sleep(1)
    send(b"X-a: b\r\n")
PY
	lpid=$!
}
wait_ready() {	# up to 10 s for the slow clients to be under way
	local i
	for i in $(seq 1 100); do
		[ -e "$TMP/slow.ready" ] && return 0
		sleep 0.1
	done
	return 1
}
held() {	# connections to the exporter held open now
	ip netns exec $NS ss -tnH state established "( sport = :$LPORT )" | wc -l
}
rm -f "$TMP/slow.ready"
slow 1500 2 1
check "1500 slow connections from one address under way" wait_ready
sleep 2
h=$(held)
check "... the exporter holds at most 32 of them ($h)" test "$h" -le 33
t0=$(date +%s%N)
expect_eq "... a scrape from another address gets /metrics" "$(scrape 198.18.250.3)" 200
echo "# scrape took $(( ($(date +%s%N) - t0) / 1000000 )) ms beside $h slow connections"
check "... the whole exposition" grep -q '^xdpguard_build_info' "$TMP/scrape.txt"
kill $lpid 2>/dev/null; wait $lpid 2>/dev/null; lpid=
rm -f "$TMP/slow.ready"
slow 1500 10 50
check "1500 slow connections from 50 addresses under way" wait_ready
sleep 2
h=$(held)
check "1500 slow connections from 50 addresses: all held open ($h)" test "$h" -ge 1500
t0=$(date +%s%N)
expect_eq "... a scrape still gets /metrics" "$(scrape 198.18.250.3)" 200
echo "# scrape took $(( ($(date +%s%N) - t0) / 1000000 )) ms beside $h slow connections"
check "... the whole exposition" grep -q '^xdpguard_build_info' "$TMP/scrape.txt"
kill $lpid 2>/dev/null; wait $lpid 2>/dev/null; lpid=

kill -TERM $xpid
wait $xpid
expect_eq "export exits 0 on SIGTERM" "$?" 0
xpid=
check "detach v0" x detach v0
t_end
