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
holder_pid() { user_pids -x husk-holder; }

# containers N [CMD]: start N containers at once; each holds the mount at
# the gate (tests/lib.sh) until all are up or have ended (60 s at most), so
# they overlap however slowly they start. Then peak (how many were up at
# once), CMD, the gate opened; ok (how many exited 0) and refused (how husk
# turned the others away, and why).
containers()
{
	local i n up
	rm -f st.* err.*
	gate_open
	for ((i = 0; i < $1; i++)); do
		_as_user_exec sh -c "$HUSK run --linger 30 $IMG/demo.sqsh -- sh -c '$(gate_wait $i)' 2>err.$i; echo \$? >st.$i" </dev/null &
	done
	for ((n = 0; n < 600; n++)); do
		up=0
		for ((i = 0; i < $1; i++)); do [ -e "up.$i" ] || [ -e "st.$i" ] && up=$((up + 1)); done
		[ "$up" -ge "$1" ] && break
		sleep 0.1
	done
	peak=0
	for ((i = 0; i < $1; i++)); do [ -e "up.$i" ] && [ ! -e "st.$i" ] && peak=$((peak + 1)); done
	${2:-true}
	gate_release
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
# quiet_ticks: $quiet, the holder's CPU ticks in 2 s
quiet_ticks() { local t0; t0=$(cpu_ticks "$holder"); sleep 2; quiet=$(($(cpu_ticks "$holder") - t0)); }
as_user sh -c "ulimit -n 40; exec $HUSK run --linger 30 $IMG/demo.sqsh -- true"
holder=$(holder_pid)
before=$(cpu_ticks "$holder")
containers 26 quiet_ticks
after=$(cpu_ticks "$holder")
[ "$ok" -ge 8 ] || fail "a holder with 40 descriptors served only $ok containers"
[ "$ok" = "$peak" ] || fail "a holder with 40 descriptors served $ok containers, $peak of them at once"
[ "$ok" -lt 26 ] || fail "a holder with 40 descriptors served 26 containers at once (is the limit applied?)"
[[ $refused == *"mount holder (pid $holder) serves"* ]] || fail "the runs it could not serve were not told why: '$refused'"
[ "$quiet" -lt 50 ] || fail "the holder at its limit used $quiet ticks of CPU in 2 s with nothing to do: spinning"
[ $((after - before)) -lt 100 ] || fail "the holder used $((after - before)) ticks of CPU to serve 26 starts: spinning"
rm -f st.* err.*
