#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# user/ calls downward only (scripts/layers): the tree passes, and a
# planted upward call, include or skeleton is caught with its rule.
P=ly
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$(scripts/layers 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "the tree: every call and include runs downward" "$rc" 0

plant() {	# plant NAME FILE TEXT: a copy of user/ with TEXT at FILE's end
	rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp -r user "$tmp/t/"
	printf '%s\n' "$3" >>"$tmp/t/$2"
	out=$(scripts/layers "$tmp/t" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
}

plant call user/lib/util.c 'void xg_planted(void) { xg_recover(); }'
expect_eq "a library function calling recovery (a command's) fails" "$rc" 1
check "... naming the file, the callee and the rule" grep -q \
	"user/lib/util.c:[0-9]*: calls xg_recover() of user/cmd/session.c (cmd): the library may call only the library" <<<"$out"

plant comp user/comp/host.c 'void xg_planted(void) { xg_cookie_status(NULL, false); }'
expect_eq "a component calling a command's function fails" "$rc" 1
check "... with the component's rule" grep -q \
	"calls xg_cookie_status() of user/cmd/cookies.c (cmd): a component may call components and the library, never a command" <<<"$out"

plant entry user/cmd/top.c 'int xg_planted(void) { return cmd_status(0, 0); }'
expect_eq "a command calling another command's entry point fails" "$rc" 1

plant include user/lib/pin.c '#include "../comp/comp.h"'
expect_eq "the library including a component header fails" "$rc" 1
check "... naming the include" grep -q "user/lib/pin.c:[0-9]*: includes ../comp/comp.h (comp)" <<<"$out"

plant skel user/cmd/status.c '#include "xdp_guard.skel.h"'
expect_eq "a command including a skeleton fails" "$rc" 1
check "... the skeleton belongs to its component" grep -q "a skeleton belongs to its component" <<<"$out"

plant comment user/lib/util.c '/* xg_recover() is the session'"'"'s */ static const char *planted = "cmd_status(";'
expect_eq "a name in a comment or a string is not a call" "$rc" 0
t_end
