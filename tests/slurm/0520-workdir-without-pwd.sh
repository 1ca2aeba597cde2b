#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A task's working directory in the container is Slurm's own, as on the
# host: srun's --chdir, else the directory srun ran in, bound into the
# container, also when PWD is not in the task's environment (env -u PWD,
# --export=NONE) or names another directory (--chdir keeps srun's PWD)
. "$(dirname "$0")/lib.sh"

test_workdir_without_pwd() {
	local sub=$jobdir/wd.sub other=$jobdir/wd.other host out
	install -d -o "$user" "$sub" "$other"
	echo in-sub >"$sub/f"; echo in-other >"$other/f"; chmod 644 "$sub/f" "$other/f"
	# CASE ARGS...: the task's directory and what it reads there, on the
	# host and in the container, run as the test user from $sub
	check() {
		local what=$1; shift
		host=$(cd "$sub" && timeout 60 runuser -u "$user" -- "$@" /bin/sh -c '/bin/pwd; /bin/cat f' 2>&1 | LC_ALL=C sort) ||
			{ echo "$what on the host: $host"; return 1; }
		out=$(cd "$sub" && timeout 60 runuser -u "$user" -- "$@" --container-image="$img" /bin/sh -c '/bin/pwd; /bin/cat f' 2>&1 | LC_ALL=C sort) ||
			{ echo "$what in the container: $out"; return 1; }
		[ "$out" = "$host" ] || { echo "$what: in the container '$out', on the host '$host'"; return 1; }
	}
	check "srun with PWD" srun -Q -n1 || return 1
	[ "$host" = "$sub"$'\n'in-sub ] || { echo "srun on the host: $host"; return 1; }
	check "env -u PWD srun" env -u PWD srun -Q -n1 || return 1
	check "srun --export=NONE" srun -Q --export=NONE -n1 || return 1
	check "srun --chdir" srun -Q --chdir="$other" -n1 || return 1
	[ "$host" = "$other"$'\n'in-other ] || { echo "srun --chdir on the host: $host"; return 1; }
	check "srun --chdir, no PWD" env -u PWD srun -Q --chdir="$other" -n2 || return 1
	# --container-workdir still wins
	out=$(cd "$sub" && env -u PWD timeout 60 runuser -u "$user" -- srun -Q -n1 --container-image="$img" --container-workdir=/etc /bin/pwd 2>&1)
	[ "$out" = /etc ] || { echo "--container-workdir=/etc: $out"; return 1; }
	return 0
}

test_workdir_without_pwd
