#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Differential test of the MSS clamp against the kernel's own: the same 22
# crafted SYN / SYN-ACK frames (build/synsend: IPv4 and IPv6, with and
# without options, MSS above, at and below the clamp, MSS last, no MSS,
# payload) cross a router (client - router - server, the router's link to
# the server has MTU 1400) four times:
#   iptables/ip6tables -t mangle FORWARD TCPMSS --set-mss 1300
#   xdpguard mss set 1300            (tc ingress of the router's r0)
#   iptables/ip6tables TCPMSS --clamp-mss-to-pmtu
#   xdpguard mss set pmtu
# and are captured on the server. Every captured packet must be identical,
# byte for byte (IP header, TCP header, options, checksums), between
# iptables and xdpguard; a run with no clamp shows what was changed.
# Where iptables is wrong (an MSS option at an odd offset: it fixes the
# checksum as if the value were 16-bit aligned), the options must still be
# identical and xdpguard's checksum valid.
P=xg4md-
. "$(dirname "$0")/../lib.sh"
t_start chain 1500 1400

SEND=$ROOT/build/synsend
rmac=$(lab_mac ${P}rtr r0)
ip -n ${P}rtr neigh replace $LAB_C_CLI4 lladdr "$(lab_mac ${P}cli c0)" dev r0
ip -n ${P}rtr neigh replace $LAB_C_CLI6 lladdr "$(lab_mac ${P}cli c0)" dev r0
# let the router know the server before the first SYN crosses
ip netns exec ${P}rtr ping -c1 -W2 $LAB_C_SRV4 >/dev/null
ip netns exec ${P}rtr ping -6 -c1 -W2 $LAB_C_SRV6 >/dev/null

capture() {	# capture NAME: send every case through, capture on s0
	local f=/tmp/${P}$1.pcap i pid
	nsenter --net=/run/netns/${P}srv tcpdump --immediate-mode -U -n -i s0 \
		-w "$f" "(ip and tcp[tcpflags] & tcp-syn != 0) or (ip6 and ip6[53] & 2 != 0)" \
		2>/tmp/${P}$1.err &
	pid=$!
	for i in $(seq 1 100); do
		grep -q listening /tmp/${P}$1.err && break
		sleep 0.1
	done
	lab_exec ${P}cli "$SEND" --dev c0 --dst-mac "$rmac" --src4 $LAB_C_CLI4 \
		--dst4 $LAB_C_SRV4 --src6 $LAB_C_CLI6 --dst6 $LAB_C_SRV6
	sleep 1
	kill $pid
	wait $pid
}
ipt() {	# ipt ARGS...: the same rule for both families, or -F
	ip netns exec ${P}rtr iptables "$@" && ip netns exec ${P}rtr ip6tables "$@"
}

capture none
check "iptables --set-mss 1300" ipt -t mangle -A FORWARD -p tcp \
	--tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1300
capture ipt_fixed
ipt -t mangle -F FORWARD
check "iptables --clamp-mss-to-pmtu" ipt -t mangle -A FORWARD -p tcp \
	--tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
capture ipt_pmtu
ipt -t mangle -F FORWARD

xg_rtr() { lab_exec "${P}rtr" "$XG" "$@"; }
check "attach r0 (router, client side)" xg_rtr attach r0 --no-pmtu
check "mss set 1300" xg_rtr mss set -i r0 1300
capture xg_fixed
check "mss set pmtu" xg_rtr mss set -i r0 pmtu
capture xg_pmtu
check "mss set off" xg_rtr mss set -i r0 off
capture xg_off

"$SEND" --list >/tmp/${P}cases
expect_eq "22 cases (11 per family)" "$(wc -l </tmp/${P}cases)" 22
python3 - /tmp/${P} <<'EOF'
import struct, sys
pre = sys.argv[1]
cases = {int(l.split()[0]): (int(l.split()[1]), l.split()[2])
         for l in open(pre + "cases")}

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def packets(name):
    """sport -> (L3 bytes, TCP header bytes, checksum valid)"""
    out = {}
    d = open(pre + name + ".pcap", "rb").read()
    off = 24
    while off + 16 <= len(d):
        n = struct.unpack("<I", d[off + 8:off + 12])[0]
        f = d[off + 16:off + 16 + n]
        off += 16 + n
        et = struct.unpack("!H", f[12:14])[0]
        l3 = f[14:]
        if et == 0x0800:
            ihl = (l3[0] & 15) * 4
            l3 = l3[:struct.unpack("!H", l3[2:4])[0]]
            seg = l3[ihl:]
            pseudo = l3[12:20] + struct.pack("!HH", 6, len(seg))
            ipok = csum(l3[:ihl]) == 0xffff
        elif et == 0x86DD:
            l3 = l3[:40 + struct.unpack("!H", l3[4:6])[0]]
            seg = l3[40:]
            pseudo = l3[8:40] + struct.pack("!IxxxB", len(seg), 6)
            ipok = True
        else:
            continue
        sport = struct.unpack("!H", seg[:2])[0]
        if sport not in cases:
            continue
        tcp = seg[:(seg[12] >> 4) * 4]
        out[sport] = (l3, tcp, ipok and csum(pseudo + seg) == 0xffff)
    return out

def mss(tcp):
    o, i, found = tcp[20:], 0, None
    while i < len(o) and o[i] != 0:
        if o[i] == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            break
        if o[i] == 2 and o[i + 1] == 4:
            found = struct.unpack("!H", o[i + 2:i + 4])[0]
        i += o[i + 1]
    return found

runs = {n: packets(n) for n in
        ("none", "ipt_fixed", "ipt_pmtu", "xg_fixed", "xg_pmtu", "xg_off")}
fail = 0
def res(ok, msg):
    global fail
    print(("ok - " if ok else "not ok - ") + msg)
    fail |= not ok

for n, r in runs.items():
    res(len(r) == len(cases), "%s: all %d frames captured (%d)" %
        (n, len(cases), len(r)))
for sport, (fam, name) in sorted(cases.items()):
    base = runs["none"].get(sport)
    for kind, want_pmtu in (("fixed", None), ("pmtu", 1400)):
        a, b = runs["ipt_" + kind].get(sport), runs["xg_" + kind].get(sport)
        if not (a and b and base):
            res(False, "%s/%s IPv%d: missing in a capture" % (name, kind, fam))
            continue
        what = "IPv%d %s, %s: MSS %s -> iptables %s, xdpguard %s" % (
            fam, name, kind, mss(base[1]), mss(a[1]), mss(b[1]))
        if name == "mss_odd_offset":
            res(a[1][20:] == b[1][20:] and b[2],
                what + "; options identical, xdpguard's checksum valid "
                "(iptables' checksum %s)" % ("valid" if a[2] else "WRONG"))
        else:
            res(a[0] == b[0] and b[2], what + "; packets identical, "
                "checksums valid")
    # the clamp really happened where it should (not both no-ops)
    if name == "linux_mss1460":
        res(mss(runs["xg_fixed"][sport][1]) == 1300 and
            mss(runs["xg_pmtu"][sport][1]) == (1360 if fam == 4 else 1340),
            "IPv%d: 1460 became 1300 (fixed) and %d (pmtu: 1400 - %d)" %
            (fam, 1360 if fam == 4 else 1340, 40 if fam == 4 else 60))
    res(runs["xg_off"].get(sport, (None,))[0] == base[0],
        "IPv%d %s: mss set off leaves it as sent" % (fam, name))
sys.exit(fail)
EOF

t_snapshot
check "detach r0" xg_rtr detach r0
t_nothing_left
rm -f /tmp/${P}*
t_end
