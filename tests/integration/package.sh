#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian package: built from the tree with the standard tools
# (dpkg-buildpackage -us -uc -b, debhelper), lintian reports no error, it
# installs with dpkg -i, the installed binary runs (--version, an attach
# and a detach in a namespace), man xdpguard finds its page, its units
# verify, and a purge removes every file it brought. make install and
# make uninstall with DESTDIR likewise.
P=xgpk-
. "$(dirname "$0")/../lib.sh"

NS=${P}srv
tmp=$(mktemp -d /tmp/${P}XXXXXX)
ours=
pk_cleanup() {
	[ -e /run/netns/$NS ] && nsenter --net=/run/netns/$NS /usr/sbin/xdpguard detach --all >/dev/null 2>&1
	ip netns del $NS 2>/dev/null
	[ -n "$ours" ] && dpkg --purge xdpguard >/dev/null 2>&1
	rm -rf "$tmp"
}
trap pk_cleanup EXIT
trap 'exit 1' INT TERM

# make install / uninstall into a DESTDIR
make -s -o build/xdpguard install DESTDIR="$tmp/di" PREFIX=/usr/local >/dev/null
n=$(find "$tmp/di" -type f | wc -l)
check "make install DESTDIR: binary, man page, completion, units, example policy ($n files)" \
	bash -c "test -x $tmp/di/usr/local/sbin/xdpguard && test -f $tmp/di/usr/local/share/man/man8/xdpguard.8 && test -f $tmp/di/usr/local/share/bash-completion/completions/xdpguard && test -f $tmp/di/usr/local/lib/systemd/system/xdpguard@.service && test -f $tmp/di/etc/xdpguard/example.policy"
check "... the units name the installed binary" grep -q "^ExecStart=/usr/local/sbin/xdpguard attach --ensure %I" "$tmp/di/usr/local/lib/systemd/system/xdpguard@.service"
make -s -o build/xdpguard uninstall DESTDIR="$tmp/di" PREFIX=/usr/local >/dev/null
expect_eq "make uninstall removes every file" "$(find "$tmp/di" -type f | wc -l)" 0

if dpkg-query -W -f='${Status}' xdpguard 2>/dev/null | grep -q "ok installed"; then
	skip "the Debian package" "an xdpguard package is installed on this machine already; not touched"
	t_end
	exit
fi
for t in dpkg-buildpackage dh lintian; do
	command -v $t >/dev/null || { skip "the Debian package" "no $t"; t_end; exit; }
done
# the tracked tree, as a clean clone has it
mkdir "$tmp/src"
git ls-files -z | xargs -0 cp --parents -t "$tmp/src"
out=$(cd "$tmp/src" && dpkg-buildpackage -us -uc -b 2>&1); rc=$?
echo "$out" | tail -5 | sed 's/^/# build | /'
expect_eq "dpkg-buildpackage -us -uc -b" "$rc" 0
deb=$(ls "$tmp"/xdpguard_*.deb 2>/dev/null | head -1)
check "... made a .deb" test -n "$deb"
out=$(lintian --fail-on error "$deb" 2>&1); rc=$?
echo "$out" | grep -v groff-message | sed 's/^/# lintian | /'
echo "# lintian | $(grep -c groff-message <<<"$out") groff warnings (the man page's wide tables)"
expect_eq "lintian: no error" "$rc" 0
check "... depends on the runtime libraries only (no -dev)" bash -c \
	"dpkg-deb -f '$deb' Depends | grep -q libbpf && ! dpkg-deb -f '$deb' Depends | grep -q -- -dev"

ours=1
check "dpkg -i" dpkg -i "$deb"
check "the installed binary runs" bash -c "/usr/sbin/xdpguard --version | grep -q \"xdpguard $(cat VERSION)\""
check "man xdpguard finds its page" bash -c "man -w xdpguard | grep -q /usr/share/man/man8/xdpguard.8"
check "its units are installed" test -f /lib/systemd/system/xdpguard@.service -a -f /lib/systemd/system/xdpguard-export.service
cp /lib/systemd/system/xdpguard@.service "$tmp/xdpguard@p0.service"
check "... and verify" bash -c "cd $tmp && systemd-analyze verify ./xdpguard@p0.service"
check "its example policy is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' xdpguard | grep -q /etc/xdpguard/example.policy"
ip netns del $NS 2>/dev/null
ip netns add $NS
ip -n $NS link add p0 type veth peer name p1
ip -n $NS link set p0 up
ip -n $NS link set p1 up
check "the installed binary attaches in a namespace" nsenter --net=/run/netns/$NS /usr/sbin/xdpguard attach p0 --mode skb --no-dns
check "... and its example policy applies (dry run)" nsenter --net=/run/netns/$NS /usr/sbin/xdpguard apply -i p0 -f /etc/xdpguard/example.policy --dry-run
check "... and detaches" nsenter --net=/run/netns/$NS /usr/sbin/xdpguard detach p0
files=$(dpkg -L xdpguard | while read -r f; do [ -f "$f" ] && echo "$f"; done)
check "dpkg --purge" dpkg --purge xdpguard
ours=
left=$(for f in $files; do [ -e "$f" ] && echo "$f"; done)
expect_eq "... every file it brought is gone" "${left:-none}" none
t_end
