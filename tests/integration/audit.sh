#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The audit trail: every command that changes protection leaves one
# syslog record (facility authpriv) when it ends, naming who ran it, the
# command line as typed, the network namespace and how it ended; reading
# commands leave none. syslog(3) writes to /dev/log: here a private mount
# namespace puts a tmpfs over /dev and a listener on its /dev/log, so
# the host's logging is not touched and only this test's records count.
P=xgau-
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/${P}XXXXXX)
trap 't_ns_down; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
t_ns au0:au1

cat >"$tmp/run.sh" <<EOS
set -u
mount -t tmpfs -o mode=0755 xgau /dev || exit 1
mknod -m 666 /dev/null c 1 3
python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
open("$tmp/ready", "w").close()
s.settimeout(20)
with open("$tmp/log", "a") as f:
    while True:
        m = s.recv(65536).decode(errors="replace")
        f.write(m.replace("\n", " ") + "\n"); f.flush()
        if "AUDIT-TEST-END" in m: break
' &
lp=\$!
for i in \$(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.05; done
x() { nsenter --net=/run/netns/$NS "$XG" "\$@"; }
x attach au0 --no-dns >/dev/null;		echo "attach \$?" >>"$tmp/rc"
x status >/dev/null;				echo "status \$?" >>"$tmp/rc"
x rate set -i au0 --pps 20 >/dev/null;		echo "rate \$?" >>"$tmp/rc"
x rate show >/dev/null;				echo "rateshow \$?" >>"$tmp/rc"
x deny add -i au0 198.19.7.0/24 >/dev/null;	echo "deny \$?" >>"$tmp/rc"
x deny add -i au0 198.19.7.0/33 2>/dev/null;	echo "denybad \$?" >>"$tmp/rc"
x mss set -i au0 1400 >/dev/null;		echo "mss \$?" >>"$tmp/rc"
x save -i au0 >"$tmp/pol";			echo "save \$?" >>"$tmp/rc"
x apply -i au0 -f "$tmp/pol" >/dev/null;	echo "apply \$?" >>"$tmp/rc"
x detach au0 >/dev/null;			echo "detach \$?" >>"$tmp/rc"
logger -u /dev/log AUDIT-TEST-END 2>/dev/null ||
	python3 -c 'import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"AUDIT-TEST-END", "/dev/log")'
wait \$lp
EOS
unshare -m --propagation private bash "$tmp/run.sh"
expect_eq "the commands ran as expected" "$(tr '\n' ' ' <"$tmp/rc")" \
	"attach 0 status 0 rate 0 rateshow 0 deny 0 denybad 2 mss 0 save 0 apply 0 detach 0 "
recs=$(grep 'xdpguard\[[0-9]*\]: policy change:' "$tmp/log")
sed 's/^/# /' <<<"$recs"
expect_eq "one record per changing command, none for status, rate show, save" \
	"$(grep -c . <<<"$recs")" 7
cookie=$(nsenter --net=/run/netns/$NS python3 -c 'import socket; s=socket.socket(); print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 71, 8), "little"))')
want=("xdpguard attach au0 --no-dns: exit 0 (done)"
      "xdpguard rate set -i au0 --pps 20: exit 0 (done)"
      "xdpguard deny add -i au0 198.19.7.0/24: exit 0 (done)"
      "xdpguard deny add -i au0 198.19.7.0/33: exit 2 (refused: bad input, nothing changed)"
      "xdpguard mss set -i au0 1400: exit 0 (done)"
      "xdpguard apply -i au0 -f $tmp/pol: exit 0 (done)"
      "xdpguard detach au0: exit 0 (done)")
for ((i = 0; i < ${#want[@]}; i++)); do
	line=$(sed -n "$((i + 1))p" <<<"$recs")
	check "record $((i + 1)): '${want[$i]}'" grep -qF -- "${want[$i]}" <<<"$line"
	check "... says who (uid=0(root)) and where (netns=$cookie)" \
		bash -c "grep -q 'uid=0(root).* netns=$cookie: ' <<<'$line'"
done
# facility authpriv (10): priority = 10 * 8 + severity
check "authpriv, notice for a change made" grep -q '^<85>' <<<"$(sed -n 1p <<<"$recs")"
check "authpriv, warning for a refused one" grep -q '^<84>' <<<"$(sed -n 4p <<<"$recs")"
t_end
