#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the integration tests: TAP-like results, the lab, cleanup on
# every path. Source it after setting P (a namespace prefix unique to the
# test).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
XG=$ROOT/build/xdpguard
FLOOD=$ROOT/build/synflood
. "$ROOT/scripts/lab.sh"

T_FAILED=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; T_FAILED=1; }
skip() { echo "ok - $1 # SKIP $2"; }
# check NAME CMD...: ok if CMD succeeds
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}
# expect_near NAME GOT WANT PCT: |got - want| <= want * pct / 100
expect_near() {
	local d=$(( $2 > $3 ? $2 - $3 : $3 - $2 ))
	if [ $(( d * 100 )) -le $(( $3 * $4 )) ]; then
		ok "$1 ($2 ~ $3 within $4%)"
	else
		not_ok "$1: got $2, want $3 within $4%"
	fi
}

xg_srv() { lab_exec "${P}srv" "$XG" "$@"; }

# jq-free JSON field extraction: json_get 'expr' reads JSON on stdin and
# prints the python expression evaluated with d = the parsed object
json_get() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# no xdpguard programs or maps left in the kernel (freed after RCU)
kernel_clean() {
	local i
	for i in $(seq 1 50); do
		if ! bpftool -j prog show | grep -q '"name":"xdpguard"' &&
		   ! bpftool -j map show | grep -q '"name":"xg_'; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

t_cleanup() {
	lab_down "$P"
}

t_start() {
	trap t_cleanup EXIT
	trap 'exit 1' INT TERM
	lab_up "$P" || { not_ok "lab up"; exit 1; }
}

t_end() {
	exit $T_FAILED
}
