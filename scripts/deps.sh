#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs every Debian package the build, the demo and the tests need.
# Idempotent: installs only what is missing, and says nothing if all is there.
set -eu

pkgs=(
	# build
	clang llvm libclang-rt-14-dev make gcc pkg-config libbpf-dev libxdp-dev libelf-dev
	zlib1g-dev bpftool
	# events --journal (sd_journal_sendv)
	libsystemd-dev
	# run and test
	iproute2 xdp-tools tcpdump socat ethtool iputils-ping procps
	python3 util-linux coreutils curl libmicrohttpd-dev python3-prometheus-client
	# events --journal's test runs systemd-journald by hand
	systemd
	tmux strace psmisc
	# the MSS clamp's differential test and the PMTUD lab (nft-backed)
	iptables
	# the man page: rendered (man -l) and made from its source (make man)
	man-db groff-base pandoc
	# a real Prometheus scraping the exporter (tests/integration/export_prom.sh)
	prometheus
	# the JSON schema of every command (tests/integration/json.sh)
	python3-jsonschema
	# DNS telemetry's lab: authoritative, resolver, clients, TCP 53 drops
	nsd unbound dnsperf dnsutils nftables
	# the Debian package's test: built, checked, installed, purged
	debhelper lintian
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
