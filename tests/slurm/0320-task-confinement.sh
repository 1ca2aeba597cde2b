#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A container task under Slurm (joined from the step's keeper) is confined
# as a husk run container is: no_new_privs, no capabilities, the default
# seccomp filter (keyring calls, TIOCSTI, new user namespaces and mount
# denied; fork works), and no descriptor of its own beyond Slurm's: what the
# same srun gives a task on the host, none of them a directory (the
# keeper's or slurmstepd's would reach host files), whatever PMI_FD the
# job's environment names
. "$(dirname "$0")/lib.sh"

test_task_confinement() {
	local out host ctr fails=0 f
	gcc -O1 -static -o "$jobdir/probe" "$top/tests/data/probe.c" || { echo "needs gcc and a static libc"; return 1; }
	chmod 0755 "$jobdir/probe"
	# the descriptors of the task's shell, and whether each is a directory
	# (the trailing true keeps sh from exec'ing the last command)
	f='for d in /proc/$$/fd/*; do n=${d##*/}; [ -d "$d" ] && echo "fd $n dir $(readlink "$d")" || echo "fd $n"; done; true'
	host=$(as srun -Q sh -c "$f" 2>&1) || { echo "srun on the host: $host"; return 1; }
	for pmi in "" 3 4 5 6 7 8 9; do
		out=$(as env ${pmi:+PMI_FD=$pmi} srun -Q --container-image="$img" sh -c "$f" 2>&1) ||
			{ echo "srun PMI_FD=$pmi: $out"; fails=1; continue; }
		ctr=$(sort <<<"$out")
		grep -q ' dir ' <<<"$ctr" && { echo "PMI_FD=$pmi: a directory descriptor in the container task: $out"; fails=1; }
		[ "$ctr" = "$(sort <<<"$host")" ] ||
			{ echo "PMI_FD=$pmi: the container task's descriptors ($(paste -sd' ' <<<"$ctr")) are not a host task's ($(paste -sd' ' <<<"$host"))"; fails=1; }
	done
	out=$(as srun -Q --container-image="$img" sh -c 'grep -E "^(NoNewPrivs|CapEff|CapBnd|Seccomp):" /proc/self/status
		./probe keyctl; ./probe userns; ./probe mount; ./probe clone3; ./probe tiocsti 0' 2>&1)
	for want in "NoNewPrivs:	1" "CapEff:	0000000000000000" "CapBnd:	0000000000000000" "Seccomp:	2" \
		"keyctl errno=EPERM" "unshare-user errno=EPERM" "mount errno=EPERM" "fork ok" "tiocsti errno=EPERM" \
		"tiocsti-high-bits errno=EPERM" "tioclinux errno=EPERM"; do
		grep -qxF "$want" <<<"$out" || { echo "the container task lacks '$want': $out"; fails=1; }
	done
	rm -f "$jobdir/probe"
	return $fails
}

test_task_confinement
