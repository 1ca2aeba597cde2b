#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# the step's keeper, and the holder it starts, are husk programs of the
# job's user, not forks of slurmstepd: nothing of slurmstepd's memory
# (libslurmfull, the plugin, its environment) is in them for the user to
# read, and they hold no descriptor of slurmstepd's
. "$(dirname "$0")/lib.sh"
slurm_dir=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}

# fresh PID WHAT: PID runs husk and holds nothing of slurmstepd's (read as
# root: what is in the process, whether or not its user may read it)
fresh() {
	local exe maps fds
	exe=$(readlink "/proc/$1/exe") || { echo "$2 $1 is gone"; return 1; }
	[ "$exe" = "$top/husk" ] || { echo "$2 $1 runs $exe, not $top/husk"; return 1; }
	maps=$(grep -E 'libslurm|slurmstepd|spank_husk' "/proc/$1/maps")
	[ -z "$maps" ] || { echo "$2 $1 maps slurmstepd's files:"; echo "$maps" | head -n 5; return 1; }
	if tr '\0' '\n' <"/proc/$1/environ" | grep -q '^SLURM'; then
		echo "$2 $1 has slurmstepd's environment:"; tr '\0' '\n' <"/proc/$1/environ" | head -n 5; return 1
	fi
	# descriptors: none of Slurm's files (its spool, its logs)
	fds=$(find "/proc/$1/fd" -mindepth 1 -printf '%l\n' 2>/dev/null | grep -F "$slurm_dir/")
	[ -z "$fds" ] || { echo "$2 $1 holds slurmstepd's descriptors:"; echo "$fds"; return 1; }
}

# what the job's user can read of PID: nothing, or only husk's
user_view() {
	local maps
	if maps=$(as cat "/proc/$1/maps" 2>/dev/null); then
		! grep -Eq 'libslurm|slurmstepd|spank_husk' <<<"$maps" ||
			{ echo "the user reads slurmstepd's mappings in $2 $1"; return 1; }
	fi
	if as cat "/proc/$1/environ" 2>/dev/null | tr '\0' '\n' | grep -q '^SLURM'; then
		echo "the user reads slurmstepd's environment in $2 $1"; return 1
	fi
}

test_keeper_is_husk() {
	local jid keeper holder rc=0
	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img sleep 300") || return 1
	for _ in $(seq 60); do [ "$(live sleep)" -ge 1 ] && break; sleep 0.5; done
	keeper=$(pgrep -r D,R,S,T -u "$user" -x husk-keeper)
	holder=$(pgrep -r D,R,S,T -u "$user" -x husk-holder)
	if [ -z "$keeper" ] || [ -z "$holder" ]; then
		echo "no keeper or holder: $(ps -u "$user" -o pid=,comm=)"; rc=1
	else
		fresh "$keeper" keeper && fresh "$holder" holder &&
			user_view "$keeper" keeper && user_view "$holder" holder || rc=1
	fi
	scancel "$jid"
	wait_job "$jid" || return 1
	return $rc
}

# the step runs as before: the container is the image's, the task the user's
test_step_runs() {
	local out
	out=$(as srun -N1 --container-image="$img" id -u) ||
		{ echo "srun failed: $out"; return 1; }
	[ "$out" = "$(id -u "$user")" ] || { echo "expected uid $(id -u "$user"), got: $out"; return 1; }
}

test_keeper_is_husk && test_step_runs
