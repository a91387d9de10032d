#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Interface churn: down/up keeps the protection and the policy; an
# interface deleted while attached loses its pins to the next command,
# which says so, and nothing leaks.
P=xgch-
. "$(dirname "$0")/../lib.sh"
t_start

check "attach eth0" xg_srv attach eth0 --pps 10 --burst 10
xg_srv deny add 198.19.99.0/24 >/dev/null
id=$(xg_srv status --json | json_get 'd["interfaces"][0]["prog_id"]')
ip -n ${P}srv link set eth0 down
ip -n ${P}srv link set eth0 up
check "down/up: the program stays attached" \
	bash -c "ip -n ${P}srv link show eth0 | grep -q 'prog/xdp id $id '"
expect_eq "down/up: the policy stays" \
	"$(xg_srv deny list --json | json_one | json_get '[e["cidr"] for e in d["deny"]]')" "['198.19.99.0/24']"
sleep 1	# the link must be up again before frames pass
mac=$(lab_mac ${P}srv eth0)
err0=$(atk_xmit_errors)
lab_exec ${P}atk "$FLOOD" --dev a0 --dst-mac "$mac" --dst $LAB_SRV4 --dport 80 \
	--src 198.19.1.0/24 --sources 1 --count 1000 --duration 5 >/dev/null
js=$(xg_srv status --json)
over=$(json_get 'sum(c["packets"] for c in d["interfaces"][0]["counters"] if c["reason"]=="syn_over_budget")' <<<"$js")
# all but what the veth lost (ring full: the machine's load) and what the
# budget lets through in the flood's 5 s at most (burst 10 + 10/s)
lost=$(( $(atk_xmit_errors) - err0 ))
check "down/up: SYNs over budget still dropped ($over of 1000, $lost lost in the veth)" \
	test "$over" -ge $((1000 - lost - 10 - 10 * 5))

t_snapshot
dir=$(t_pin_dirs)
tp=$(xg_srv status --json | json_get 'd["interfaces"][0]["programs"]["tracepoint"]')
ip -n ${P}srv link del eth0
out=$(xg_srv status 2>&1); rc=$?
expect_eq "status after the interface is deleted succeeds" "$rc" 0
check "the next command reclaims its pins, saying so" grep -q "reclaimed $dir: eth0 .* is gone" <<<"$out"
check "... and reports nothing attached" grep -q "no interface is attached" <<<"$out"
out=$(xg_srv detach eth0 2>&1); rc=$?
expect_eq "detach of the deleted interface: exit 2 (unknown interface)" "$rc" 2
T_IDS=$(grep -v '^prog:' <<<"$T_IDS")	# the program went with the interface
check "nothing left: no pins" test -z "$(t_pin_dirs)"
check "nothing left: maps, XDP and black-hole programs gone (bpftool)" \
	t_ids_gone "$T_IDS prog:$id${tp:+ prog:$tp}"
check "... the black-hole program was in a slot ($tp)" test "${tp:-0}" -gt 0
t_end
