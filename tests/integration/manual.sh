#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The manual: README is a short operator's manual, the man page renders,
# and every object and every option that --help lists is in the man page
# (so neither can drift from the command line); the committed page is
# what its source makes.
P=mn
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=$(wc -l <README.md)
check "README.md is a manual of at most 300 lines ($n)" test "$n" -le 300
for h in "## Runbook: SYN flood" "## Runbook: PMTUD black hole" \
	 "## Runbook: TIME_WAIT explosion" "## Install" "## Quick start" \
	 "## Command summary"; do
	check "README has '$h'" grep -qxF "$h" README.md
done
check "README starts with the two make targets" bash -c \
	"head -25 README.md | grep -q '^make demo' && head -25 README.md | grep -q '^make check'"

MANWIDTH=80 man -l man/xdpguard.8 >"$tmp/man.txt" 2>"$tmp/man.err"; rc=$?
expect_eq "man -l man/xdpguard.8 renders" "$rc" 0
check "... a whole page (NAME, SYNOPSIS, COMMANDS, EXIT STATUS)" bash -c \
	"grep -q '^NAME' $tmp/man.txt && grep -q '^SYNOPSIS' $tmp/man.txt && grep -q '^COMMANDS' $tmp/man.txt && grep -q '^EXIT STATUS' $tmp/man.txt"
# one word per line: "--pps" as the page writes it
tr -s ' \t,.;:()[]|"' '\n' <"$tmp/man.txt" | sed 's/[^a-z0-9-]//g' | sort -u >"$tmp/words"

objs=$("$XG" --help | awk '$1 == "xdpguard" && $2 ~ /^[a-z]+$/ { print $2 }')
nobj=$(wc -w <<<"$objs")
check "xdpguard --help lists the objects ($nobj)" test "$nobj" -ge 16
missing=
nopt=0
for o in $objs; do
	grep -qE "^   $o( |$)|^   $o / " "$tmp/man.txt" ||
		grep -qxF "$o" "$tmp/words" || missing="$missing object:$o"
	for opt in $("$XG" "$o" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		nopt=$((nopt + 1))
		grep -qxF -- "$opt" "$tmp/words" || missing="$missing $o:$opt"
	done
done
check "every --help option is documented (at least 40: $nopt)" test "$nopt" -ge 40
expect_eq "... every object and option of --help is in the man page" "${missing:-none}" none

if command -v pandoc >/dev/null; then
	sed "s/^% XDPGUARD(8) xdpguard [^ ]* /% XDPGUARD(8) xdpguard $(cat VERSION) /" \
		docs/man/xdpguard.8.md | pandoc -s -f markdown -t man -o "$tmp/x.8"
	check "the committed man page is what docs/man/xdpguard.8.md makes (make man)" \
		cmp -s "$tmp/x.8" man/xdpguard.8
else
	skip "the committed man page is up to date" "no pandoc"
fi
check "--version says the VERSION file's version" bash -c \
	"'$XG' --version | grep -qx 'xdpguard $(cat VERSION) (pins layout [0-9]*)'"
t_end
