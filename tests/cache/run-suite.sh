#!/bin/bash
# The mount cache (issue 4), as a user would check it: one mount per user and
# image however many containers start, joins instead of mounts, linger and
# gc, faults (holder or husk killed), and nothing left behind.
#
#   tests/cache/run-suite.sh [TEST...]     as root, after the build
#
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
husk=${HUSK:-$top/husk}
user2=${HUSK_TEST_USER2:-huskuser2}
id "$user2" >/dev/null 2>&1 || useradd -m "$user2"

work=$(mktemp -d /tmp/husk-cache-test.XXXXXX)
chmod 0755 "$work"
"$top/tests/images/mkimages.sh" "$work/img" >/dev/null || { echo "FAIL: building test images"; echo "0 passed, 1 failed"; exit 1; }
img=$work/img/demo.sqsh

as() { local u=$1; shift; (cd /tmp && env -u XDG_RUNTIME_DIR runuser -u "$u" -- "$@"); }
run() { as "$user" "$husk" run "$@"; }
# live (not zombie) processes of a user with this name
live() { ps -u "$1" -o stat=,comm= 2>/dev/null | awk -v n="$2" '$1 !~ /^Z/ && $2 == n' | wc -l; }
holders() { live "$1" husk-holder; }
holder_pids() { ps -u "$1" -o pid=,stat=,comm= 2>/dev/null | awk '$2 !~ /^Z/ && $3 == "husk-holder" {print $1}'; }
rtdir() { echo "/tmp/husk-$(id -u "$1")"; }
cleanup_user() {
	as "$1" "$husk" gc >/dev/null 2>&1
	pkill -KILL -u "$1" -x husk-holder 2>/dev/null
	pkill -KILL -u "$1" -x husk 2>/dev/null
	for _ in $(seq 50); do [ "$(holders "$1")" = 0 ] && break; sleep 0.1; done
	rm -rf "$(rtdir "$1")"
}
wait_until() { # SECONDS CMD...: poll until CMD succeeds
	local end=$((SECONDS + $1)); shift
	while ! "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}
no_holders() { [ "$(holders "$user")" = 0 ]; }
rt_empty() { [ -z "$(ls -A "$(rtdir "$user")" 2>/dev/null)" ]; }

pass=0 fail=0
check() { # NAME: runs test_NAME, which returns non-zero and says why on failure
	local name=$1 out
	cleanup_user "$user"
	if out=$("test_$name" 2>&1); then
		echo "PASS $name"; pass=$((pass + 1))
	else
		echo "FAIL $name"; echo "$out" | sed 's/^/    /' | tail -20; fail=$((fail + 1))
	fi
}

test_joins_one_mount() {
	run --linger 30 "$img" -- true || { echo "first run failed"; return 1; }
	local p1; p1=$(holder_pids "$user")
	local out; out=$(run --linger 30 "$img" -- cat /etc/image-marker) || { echo "second run failed"; return 1; }
	[ "$out" = "this file is in the image" ] || { echo "read '$out'"; return 1; }
	local p2; p2=$(holder_pids "$user")
	[ -n "$p1" ] && [ "$p1" = "$p2" ] || { echo "holder changed: '$p1' -> '$p2'"; return 1; }
	local n; n=$(as "$user" "$husk" ps | tail -n +2 | wc -l)
	[ "$n" = 1 ] || { echo "husk ps shows $n mounts"; as "$user" "$husk" ps; return 1; }
}

test_200_at_once() {
	local d=$work/par; rm -rf "$d"; mkdir -m 777 "$d"
	as "$user" bash -c "for i in \$(seq 200); do ( '$husk' run --linger 30 '$img' -- cat /etc/image-marker > $d/\$i 2>&1; echo rc=\$? >> $d/\$i ) & done; wait"
	local ok; ok=$(grep -l '^rc=0$' "$d"/* | wc -l)
	[ "$ok" = 200 ] || { echo "$ok of 200 succeeded"; grep -h -v "^rc=0" "$d"/* | sort | uniq -c | head; return 1; }
	local marked; marked=$(grep -l "this file is in the image" "$d"/* | wc -l)
	[ "$marked" = 200 ] || { echo "$marked of 200 read the image"; return 1; }
	[ "$(holders "$user")" = 1 ] || { echo "$(holders "$user") holders"; return 1; }
	local n; n=$(as "$user" "$husk" ps | tail -n +2 | wc -l)
	[ "$n" = 1 ] || { echo "husk ps shows $n mounts"; return 1; }
}

test_linger_then_release() {
	run --linger 2 "$img" -- true || return 1
	[ "$(holders "$user")" = 1 ] || { echo "no holder lingers after the run"; return 1; }
	wait_until 8 no_holders || { echo "holder still there after its linger time"; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left:"; ls -la "$(rtdir "$user")"; return 1; }
}

test_linger_zero() {
	run --linger 0 "$img" -- true || return 1
	[ "$(holders "$user")" = 0 ] || { echo "a holder was started with --linger 0"; return 1; }
	[ "$(live "$user" husk-fuse)" = 0 ] || { echo "a FUSE server is left"; return 1; }
}

test_config_linger() {
	local conf=$work/husk.conf
	echo "linger = 1" > "$conf"; chmod 644 "$conf"
	as "$user" env HUSK_CONFIG="$conf" "$husk" run "$img" -- sleep 2 &
	local bg=$!
	sleep 1
	as "$user" "$husk" ps | awk 'NR > 1 {print $4}' | grep -qx 1 || { echo "linger from husk.conf not used"; as "$user" "$husk" ps; return 1; }
	wait $bg || return 1
	wait_until 6 no_holders || { echo "holder outlived linger=1"; return 1; }
}

test_gc() {
	run --linger 60 "$img" -- true || return 1
	run --linger 60 "$img" -- sleep 3 &
	local bg=$!
	sleep 1
	local out; out=$(as "$user" "$husk" gc)
	echo "$out" | grep -q busy || { echo "gc released a mount in use: $out"; return 1; }
	[ "$(holders "$user")" = 1 ] || { echo "holder gone while in use"; return 1; }
	wait $bg || { echo "the container in use failed"; return 1; }
	out=$(as "$user" "$husk" gc)
	echo "$out" | grep -q released || { echo "gc did not release an idle mount: $out"; return 1; }
	wait_until 3 no_holders || { echo "holder still alive after gc"; return 1; }
}

test_two_users_never_share() {
	cleanup_user "$user2"
	run --linger 30 "$img" -- true || return 1
	as "$user2" "$husk" run --linger 30 "$img" -- true || { echo "second user failed"; return 1; }
	[ "$(holders "$user")" = 1 ] && [ "$(holders "$user2")" = 1 ] || { echo "expected one holder each"; return 1; }
	local n1 n2
	n1=$(as "$user" "$husk" ps | tail -n +2 | wc -l)
	n2=$(as "$user2" "$husk" ps | tail -n +2 | wc -l)
	[ "$n1" = 1 ] && [ "$n2" = 1 ] || { echo "ps shows $n1 and $n2 entries"; return 1; }
	as "$user2" "$husk" ps | awk 'NR > 1 {print $2}' | grep -qx "$user2" || { echo "user2 sees another user's mount"; return 1; }
	# user2 can not reach user's entries
	as "$user2" ls "$(rtdir "$user")" >/dev/null 2>&1 && { echo "user2 can list user's runtime dir"; return 1; }
	cleanup_user "$user2"
}

test_image_replaced() {
	local im=$work/replace.sqsh
	cp "$img" "$im"; chmod 644 "$im"
	run --linger 30 "$im" -- sh -c 'sleep 2; cat /etc/image-marker' > "$work/old.out" 2>&1 &
	local bg=$!
	sleep 0.7
	local p1; p1=$(holder_pids "$user")
	cp "$img" "$im.new"; chmod 644 "$im.new"; mv "$im.new" "$im"
	run --linger 30 "$im" -- true || { echo "run on the replaced image failed"; return 1; }
	[ "$(holders "$user")" = 2 ] || { echo "expected a fresh mount beside the old one, have $(holders "$user")"; return 1; }
	wait $bg || { echo "the container on the old image failed"; cat "$work/old.out"; return 1; }
	grep -q "this file is in the image" "$work/old.out" || return 1
	kill -0 "$p1" 2>/dev/null || true
}

test_holder_killed() {
	run --linger 30 "$img" -- sh -c 'sleep 2; cat /etc/image-marker' > "$work/k.out" 2>&1 &
	local bg=$!
	sleep 0.7
	pkill -KILL -u "$user" -x husk-holder
	local rc=0
	timeout 20 bash -c "wait $bg" 2>/dev/null; wait $bg; rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "container using the killed mount: status $rc"; cat "$work/k.out"; return 1; }
	grep -q "mount holder (pid [0-9]*) died" "$work/k.out" || { echo "no report of what happened:"; cat "$work/k.out"; return 1; }
	local out; out=$(timeout 20 bash -c "cd /tmp; runuser -u $user -- '$husk' run --linger 30 '$img' -- cat /etc/image-marker") ||
		{ echo "new run after the holder died failed"; return 1; }
	[ "$out" = "this file is in the image" ] || return 1
	[ "$(holders "$user")" = 1 ] || return 1
}

test_husk_killed() {
	run --linger 2 "$img" -- sleep 30 &
	sleep 1
	pkill -KILL -u "$user" -x husk
	sleep 0.5
	[ "$(live "$user" husk-init)" = 0 ] || { echo "container survived its husk"; return 1; }
	[ "$(live "$user" sleep)" = 0 ] || { echo "program survived its husk"; return 1; }
	run --linger 2 "$img" -- true || { echo "next run failed"; return 1; }
	wait_until 8 no_holders || { echo "holder did not go after linger"; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left"; ls -la "$(rtdir "$user")"; return 1; }
}

# husk killed at every moment of its start: the next run works, and after
# the linger time nothing is left.
test_killed_anywhere() {
	local ms
	for ms in 1 2 3 4 5 6 8 10 12 15 20 25 30 40 60; do
		as "$user" timeout -s KILL "0.0$(printf %02d "$ms")" "$husk" run --linger 1 "$img" -- true >/dev/null 2>&1
		# the first run after a kill may have to clean up; it must work
		run --linger 1 "$img" -- cat /etc/image-marker >/dev/null ||
			{ echo "a run after killing husk at ${ms} ms failed"; return 1; }
		as "$user" "$husk" gc >/dev/null
	done
	wait_until 10 no_holders || { echo "a holder is left"; ps -u "$user" -o pid,stat,comm; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left:"; ls -la "$(rtdir "$user")"; return 1; }
	[ "$(ps -u "$user" -o stat= | grep -vc '^Z')" = 0 ] || { echo "processes left:"; ps -u "$user" -o pid,stat,comm; return 1; }
}

test_runtime_dir_checked() {
	local d; d=$(rtdir "$user")
	rm -rf "$d"
	ln -s /tmp "$d"
	local err; err=$(run --linger 5 "$img" -- true 2>&1); local rc=$?
	rm -f "$d"
	[ $rc = 125 ] && echo "$err" | grep -q "^husk: error: runtime directory $d: .*symlink" ||
		{ echo "symlink: rc=$rc: $err"; return 1; }
	mkdir -m 0755 "$d"; chown "$user" "$d"
	err=$(run --linger 5 "$img" -- true 2>&1); rc=$?
	[ $rc = 125 ] && echo "$err" | grep -q "^husk: error: runtime directory $d: mode 0755" ||
		{ echo "mode: rc=$rc: $err"; return 1; }
	chmod 0700 "$d"; chown root "$d"
	err=$(run --linger 5 "$img" -- true 2>&1); rc=$?
	[ $rc = 125 ] && echo "$err" | grep -q "^husk: error: runtime directory $d: owned by uid 0" ||
		{ echo "owner: rc=$rc: $err"; return 1; }
	rm -rf "$d"
	[ "$(holders "$user")" = 0 ] || return 1
}

test_soak_nothing_left() {
	local before after pid
	run --linger 3 "$img" -- true || return 1
	pid=$(holder_pids "$user")
	before=$(ls /proc/"$pid"/fd | wc -l)
	as "$user" bash -c "for i in \$(seq 1000); do '$husk' run --linger 3 '$img' -- true || exit 1; done" ||
		{ echo "a sequential run failed"; return 1; }
	as "$user" bash -c "for i in \$(seq 500); do '$husk' run --linger 3 '$img' -- true & '$husk' run --linger 3 '$img' -- true; wait || exit 1; done" ||
		{ echo "a run 2 at a time failed"; return 1; }
	[ "$(holder_pids "$user")" = "$pid" ] || { echo "the holder changed during the soak"; return 1; }
	after=$(ls /proc/"$pid"/fd | wc -l)
	[ "$before" = "$after" ] || { echo "holder fds: $before before, $after after"; return 1; }
	wait_until 10 no_holders || { echo "holder left after linger"; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left"; return 1; }
	[ "$(ps -u "$user" -o stat= | grep -vc '^Z')" = 0 ] || { echo "processes left:"; ps -u "$user" -o pid,stat,comm; return 1; }
	local p
	for p in $(pgrep -u "$user"); do
		grep -q "fuse.husk" /proc/"$p"/mountinfo 2>/dev/null && { echo "a husk mount is left (pid $p)"; return 1; }
	done
	return 0
}

tests=(joins_one_mount 200_at_once linger_then_release linger_zero config_linger gc
       two_users_never_share image_replaced holder_killed husk_killed killed_anywhere runtime_dir_checked
       soak_nothing_left)
[ $# -gt 0 ] && tests=("$@")
for t in "${tests[@]}"; do check "$t"; done
cleanup_user "$user"; cleanup_user "$user2"
rm -rf "$work"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
