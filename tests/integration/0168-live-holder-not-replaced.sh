#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A live holder that turns a run away is never replaced: a second holder of
# the same image would be a second mount of it, and the first would be
# orphaned. husk starts a new holder only when nobody listens on the old
# one's socket (it died, or it is leaving). Here the holder is alive and
#  1. stopped with its backlog full (connections it has not taken): the
#     run waits holder_timeout (2 s here), then fails naming the image;
#  2. closes a join without a word (the namespaces its answer passes are
#     refused, ETOOMANYREFS: its user has more descriptors in flight than
#     its RLIMIT_NOFILE): the run fails at once, naming the image and pid.
# Each time the holder and its socket stay, and then serve the next run.
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip "needs python3"
command -v prlimit >/dev/null || skip "needs prlimit"

printf 'holder_timeout = 2\n' >husk.conf
chmod 0644 husk.conf
conf=HUSK_CONFIG=$PWD/husk.conf

# the user's live holders (not one that exited and waits to be reaped)
holders() { pgrep -u "$USER_UID" -x -r D,R,S,T husk-holder | sort -n | tr '\n' ' '; }
# the same holder, its socket the same file, and it serves a run
still_served()
{
	[ "$(holders)" = "$holder " ] || fail "$1: the user's holders are '$(holders)', not only $holder"
	[ "$(stat -c %i "$sock" 2>/dev/null)" = "$ino" ] || fail "$1: the holder's socket $sock was replaced or removed"
	run_husk "$conf" run --linger 60 "$IMG/demo.sqsh" -- cat /etc/image-marker
	expect_status 0
	expect_stdout_is "this file is in the image"
	[ "$(holders)" = "$holder " ] || fail "$1: the next run did not join $holder: holders '$(holders)'"
}

# the one holder (after $1), its socket and the socket's inode
pick_holder()
{
	holder=$(holders)
	holder=${holder% }
	[[ $holder =~ ^[0-9]+$ ]] || fail "not one holder $1: '$holder'"
	sock=$(ls "$USER_RUNDIR"/husk/*.sock)
	ino=$(stat -c %i "$sock")
}

run_husk "$conf" run --linger 60 "$IMG/demo.sqsh" -- true
expect_status 0
pick_holder "after the first run"

# 1. stopped, and root fills its backlog (connections the holder, once
# continued, turns away: not its user)
kill -STOP "$holder"
fill_py='
import os, socket, sys
os.chdir(os.path.dirname(sys.argv[1]))
keep = []
while True:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(os.path.basename(sys.argv[1]))
    except BlockingIOError:
        break
    keep.append(s)
print(len(keep), flush=True)
sys.stdin.read()
'
coproc FILL { ulimit -n 16384 && exec python3 -c "$fill_py" "$sock"; }
read -r -t 60 queued <&"${FILL[0]}"
[[ ${queued:-} =~ ^[0-9]+$ ]] || fail "could not fill the holder's backlog"
run_husk "$conf" run --linger 60 "$IMG/demo.sqsh" -- true
expect_status 125
expect_stderr_contains "husk: error: image $IMG/demo.sqsh: its mount holder took no connection in 2 s"
run_husk ps
expect_stdout_contains "backlog is full"
fd=${FILL[1]}
exec {fd}>&-
wait "$FILL_PID"
kill -CONT "$holder"
still_served "a stopped holder with a full backlog ($queued connections)"

# 2. its answer's descriptors refused: the user has more in flight (sent
# over a socket pair nobody reads) than the holder's descriptor limit
pick_holder "before the second part"
limits=$(as_user prlimit --pid "$holder" --nofile --noheadings --raw --output SOFT,HARD)
nfd=$(find "/proc/$holder/fd" -mindepth 1 | wc -l)
inflight_py='
import array, os, socket, sys
a, b = socket.socketpair()
fd = os.open("/dev/null", os.O_RDONLY)
for i in range(int(sys.argv[1])):
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd] * 200).tobytes())])
print("sent", flush=True)
sys.stdin.read()
'
as_user prlimit --pid "$holder" --nofile=$((nfd + 16)):"${limits##* }"
coproc INFLIGHT { _as_user_exec python3 -c "$inflight_py" $(((nfd + 16) / 200 + 2)); }
read -r -t 60 sent <&"${INFLIGHT[0]}"
[ "${sent:-}" = sent ] || fail "could not put descriptors in flight"
run_husk "$conf" run --linger 60 "$IMG/demo.sqsh" -- true
expect_error "image $IMG/demo.sqsh: its mount holder \(pid $holder\) closed the connection without answering"
fd=${INFLIGHT[1]}
exec {fd}>&-
wait "$INFLIGHT_PID"
as_user prlimit --pid "$holder" --nofile="${limits%% *}:${limits##* }"
still_served "a holder whose answer failed"
