#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 200 deterministic mutations of a small busybox image (1-3 bytes each,
# mostly in the superblock and the tables), each walked in full (every
# directory listed, every file read, every inode stat'ed) by tools bound
# from the host: every run ends within 60 s with 0, 1 (some files gave
# errors) or 125 (refused at the start), never a signal, and the image's
# mount holder never dies under a container.
. "$(dirname "$0")/../lib.sh"
. "$HUSK_TOP/tests/images/parser.sh"

parser_base && parser_tools || fail "building the image"
n=${PARSER_SWEEP:-200}
# within the suite's 120 s a test: on a loaded machine (a run then takes
# seconds, not 0.1 s) the sweep stops after 80 s, having done at least 30
budget=${PARSER_SWEEP_SECONDS:-80}
SECONDS=0
# probe lists every directory, reads every file and symlink; find stats all
walk='/x/busybox find / -xdev -path /x -prune -o -print 2>/dev/null | /x/busybox xargs /x/probe >/dev/null; exit 0'
declare -A seen=()
for ((i = 0; i < n; i++)); do
	if ((SECONDS > budget && i >= 30)); then
		echo "stopped after $i of $n mutations: the ${budget} s budget is spent"
		break
	fi
	if ((i % 25 == 0)); then
		rm -f "$TEST_DIR"/m-*.sqsh
		python3 "$CRAFT" "$TEST_DIR/base.sqsh" "$TEST_DIR/m-{}.sqsh" mutate "$i" 25 ||
			{ fail "crafting mutations $i.."; break; }
	fi
	# a hang is a failure here, not a wait: killed after 60 s (status 137;
	# a run takes 0.1-0.3 s, seconds on a machine loaded 20 times over)
	as_user timeout -s KILL 60 "$HUSK" run --linger 1 -b "$TEST_DIR/tools:/x" "$TEST_DIR/m-$i.sqsh" \
		-- /x/busybox sh -c "$walk" </dev/null >/dev/null 2>"$TEST_DIR/err"
	status=$?
	err=$(cat "$TEST_DIR/err")
	seen[$status]=$(( ${seen[$status]:-0} + 1 ))
	case $status in
	0 | 1) ;;
	125) [[ $err == "husk: error: "* ]] || fail "mutation $i: status 125 without an error line: $err" ;;
	*) fail "mutation $i: status $status: $err" ;;
	esac
	if [[ $err == *"died"* ]]; then
		fail "mutation $i: $err"
	fi
done
rm -f "$TEST_DIR"/m-*.sqsh
for s in "${!seen[@]}"; do echo "status $s: ${seen[$s]} runs"; done
