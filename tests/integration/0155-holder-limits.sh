#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A holder serves every later container of its user, not only its
# starter's: started under `ulimit -n 16` it must still serve 20 at once;
# when its hard limit is reached it says so to the runs it can not serve,
# and it never spins on accept().
. "$(dirname "$0")/../lib.sh"

# cpu_ticks PID: utime + stime of PID
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# the user's live holder (not one that exited and waits to be reaped)
holder_pid() { pgrep -u "$USER_UID" -x -r S,R husk-holder; }

# containers N [SECONDS]: start N containers at once that each hold the
# mount SECONDS (3);
# sets ok (how many ran) and refused (how many husk turned away, and why)
containers()
{
	local i
	rm -f st.* err.*
	for ((i = 0; i < $1; i++)); do
		as_user sh -c "$HUSK run --linger 30 $IMG/demo.sqsh -- sleep ${2:-3} 2>err.$i; echo \$? >st.$i" &
	done
	# all at once: each holds the mount for 3 s
	peak=0
	for ((i = 0; i < 30; i++)); do
		n=$(pgrep -u "$USER_UID" -x sleep | wc -l)
		[ "$n" -gt "$peak" ] && peak=$n
		[ "$n" -ge "$1" ] && break
		sleep 0.1
	done
	wait
	ok=$(grep -lx 0 st.* | wc -l)
	refused=$(cat err.* | grep -m1 'descriptor limit')
}

as_user sh -c "ulimit -Sn 16; exec $HUSK run --linger 30 $IMG/demo.sqsh -- true"
holder=$(holder_pid)
[ -n "$holder" ] || fail "no holder"
containers 20
[ "$ok" = 20 ] || fail "a holder started under ulimit -n 16 served $ok of 20 containers"
[ "$peak" = 20 ] || fail "a holder started under ulimit -n 16 served $peak containers at once, not 20"
release_mounts
for ((i = 0; i < 50; i++)); do [ -z "$(holder_pid)" ] && break; sleep 0.1; done
[ -z "$(holder_pid)" ] || fail "husk gc did not release the idle holder"

# a hard limit: as many as it allows (some it keeps for itself), the others told why, no spinning
as_user sh -c "ulimit -n 40; exec $HUSK run --linger 30 $IMG/demo.sqsh -- true"
holder=$(holder_pid)
before=$(cpu_ticks "$holder")
containers 26 6
after=$(cpu_ticks "$holder")
[ "$ok" -ge 8 ] || fail "a holder with 40 descriptors served only $ok containers"
[ "$ok" -lt 26 ] || fail "a holder with 40 descriptors served 26 containers at once (is the limit applied?)"
[[ $refused == *"mount holder (pid $holder) serves"* ]] || fail "the runs it could not serve were not told why: '$refused'"
[ $((after - before)) -lt 100 ] || fail "the holder used $((after - before)) ticks of CPU in 3 s: spinning"
rm -f st.* err.*
