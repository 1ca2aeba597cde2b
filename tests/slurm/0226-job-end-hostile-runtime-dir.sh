#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The job's epilog looks at the user's runtime directory for the job's
# holders' entries (spank-plugin/epilog.c, as the user); the directory is
# the user's, and so is whatever listens on its sockets. Neither 100000
# files named as the job's entries (made by the job itself) nor a socket
# there that answers a byte every second (a process of the user's other
# job) keeps the job's node COMPLETING: the job leaves the queue within
# 30 s of its end (before: 100000 files took minutes, a socket that
# dribbles its answer a byte at a time ~95 s a look, looked at again
# and again for as long as it answered) (attack13)
. "$(dirname "$0")/lib.sh"

rundir=/tmp/husk-$(id -u "$user")

# gone_within JID SECONDS WHAT: job JID has left the queue (its epilogs
# ran) within SECONDS
gone_within() {
	for _ in $(seq $(($2 * 10))); do
		squeue -h -j "$1" 2>/dev/null | grep -q . || return 0
		sleep 0.1
	done
	echo "job $1 ($3) still in the queue $2 s after its end: $(squeue -h -j "$1" -o '%T %R')"
	return 1
}

# the dribbler: accepts on $1 and answers each connection a byte a second
dribble='
import socket, sys, threading, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(64)
def serve(c):
    try:
        while True:
            c.send(b"x")
            time.sleep(1)
    except OSError:
        pass
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'

test_files() {
	local jid
	as mkdir -p -m 0700 "$rundir"
	# the job names its files after itself, then ends
	jid=$(as sbatch --parsable -o /dev/null --wrap \
		"python3 -c 'import os, sys
for i in range(100000): os.close(os.open(\"%s/job%s-x%06d.lock\" % (sys.argv[1], os.environ[\"SLURM_JOB_ID\"], i), os.O_CREAT | os.O_WRONLY, 0o600))' $rundir") ||
		return 1
	for _ in $(seq 1200); do
		[ "$(squeue -h -j "$jid" -o %T 2>/dev/null)" = COMPLETING ] || [ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ "$(find "$rundir" -maxdepth 1 -name "job$jid-*" | head -2 | wc -l)" -ge 1 ] ||
		{ echo "job $jid made none of its files in $rundir"; return 1; }
	gone_within "$jid" 30 "100000 files named as its entries"
	local r=$?
	find "$rundir" -maxdepth 1 -name "job$jid-*" -delete 2>/dev/null
	return $r
}

test_dribbler() {
	local other jid r=0
	as mkdir -p -m 0700 "$rundir"
	# the job to come, held, so that its id is known in advance
	jid=$(as sbatch --parsable --hold -o /dev/null --wrap true) || return 1
	other=$(as sbatch --parsable -o /dev/null --wrap "python3 -c '$dribble' $rundir/job$jid-dribble.sock") ||
		{ scancel "$jid"; return 1; }
	for _ in $(seq 100); do [ -S "$rundir/job$jid-dribble.sock" ] && break; sleep 0.1; done
	[ -S "$rundir/job$jid-dribble.sock" ] || { echo "job $other's listener is not up"; scancel "$jid" "$other"; return 1; }
	scontrol release "$jid"
	for _ in $(seq 600); do
		case $(squeue -h -j "$jid" -o %T 2>/dev/null) in PENDING | RUNNING) sleep 0.1 ;; *) break ;; esac
	done
	gone_within "$jid" 30 "a socket of another job's dribbling its answer" || r=1
	scancel "$other"
	wait_job "$other"
	rm -f "$rundir/job$jid-dribble.sock"
	return $r
}

r=0
test_files || r=1
test_dribbler || r=1
exit $r
