#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A per-user cap on lingering holders (max_holders in husk.conf): starting
# one more releases idle ones, oldest first; when all are in use, the new
# one serves its container and does not linger.
. "$(dirname "$0")/../lib.sh"

printf 'max_holders = 2\n' >husk.conf
chmod 0644 husk.conf
conf=HUSK_CONFIG=$PWD/husk.conf
for i in a b c; do cp "$IMG/demo.sqsh" $i.sqsh; done
chmod 0644 ./*.sqsh

holders() { user_pids -x husk-holder | wc -l; }
holder_of() { husk_as_user ps | awk -v img="$PWD/$1.sqsh" '$NF == img { print $1 }'; }

for i in a b; do
	run_husk "$conf" run --linger 60 "$PWD/$i.sqsh" -- true
	expect_status 0
	sleep 1 # ages apart
done
[ "$(holders)" = 2 ] || fail "expected 2 holders, found $(holders)"
run_husk "$conf" run --linger 60 "$PWD/c.sqsh" -- true
expect_status 0
# (the released holder takes a moment to end: until it has, 10 s at most)
two_holders() { [ "$(holders)" = 2 ]; }
wait_until 10 two_holders || fail "max_holders = 2, but $(holders) holders live"
[ -z "$(holder_of a)" ] || fail "the oldest idle holder (a.sqsh) was not the one released"
[ -n "$(holder_of b)" ] && [ -n "$(holder_of c)" ] || fail "holders of b.sqsh and c.sqsh expected: $(husk_as_user ps)"

# b and c in use (their containers hold at the gate, tests/lib.sh): a
# runs, with a holder that goes with its container
gate_open
husk_bg "$conf" run --linger 60 "$PWD/b.sqsh" -- sh -c "$(gate_wait b)"
_as_user_exec "$HUSK" run --linger 60 "$PWD/c.sqsh" -- sh -c "$(gate_wait c)" </dev/null &
gate_up 2 60 || fail "the containers of b.sqsh and c.sqsh did not start: $gate_ups up"
run_husk "$conf" run --linger 60 "$PWD/a.sqsh" -- cat /etc/image-marker
expect_status 0
expect_stdout_is "this file is in the image"
no_holder_of() { [ -z "$(holder_of "$1")" ]; }
wait_until 10 no_holder_of a || fail "a holder beyond max_holders lingers after its container"
gate_release
bg_finish 10
wait
rm -f a.sqsh b.sqsh c.sqsh husk.conf
