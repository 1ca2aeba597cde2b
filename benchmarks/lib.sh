# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# What the benchmark scripts (ab.sh, parser.sh, seccomp.sh, srun.sh,
# srun-mpi.sh) share. Source it after `set -euo pipefail`:
#
#   bench_options USAGE OPTSTRING N "$@"
#       getopts over OPTSTRING: -r into $runs, -n into $rounds, -u into
#       $user (set their defaults before), any other letter of OPTSTRING
#       to the script's bench_flag LETTER OPTARG; exactly N operands,
#       else "usage: SCRIPT USAGE" and exit 2; $args, the operands as
#       absolute paths (realpath)
#   as_user CMD...
#       CMD as $user (none, or the caller: as the caller), with the
#       caller's environment and the user's groups
#   busybox_tree DIR
#       a root file system in DIR: busybox-static with its applets as
#       symlinks, /etc/passwd and /etc/group with root, the mount points
#   bench_slurm
#       exports SLURM_CONF, unless set: the cluster of tests/slurm/cluster.sh
#   bench_workdir PREFIX
#       $work: a new directory PREFIX.XXXXXX (PREFIX a path, such as
#       /tmp/husk-bench), mode 0777, removed on exit

bench_options()
{
	local usage=$1 spec=$2 n=$3 o
	shift 3
	OPTIND=1
	while getopts "$spec" o; do
		case $o in
		r) runs=$OPTARG ;;
		n) rounds=$OPTARG ;;
		u) user=$OPTARG ;;
		*)
			[ "$o" != "?" ] && declare -F bench_flag >/dev/null && bench_flag "$o" "${OPTARG:-}" ||
				{ echo "usage: $0 $usage" >&2; exit 2; }
			;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq "$n" ] || { echo "usage: $0 $usage" >&2; exit 2; }
	args=()
	for o in "$@"; do args+=("$(realpath "$o")"); done
}

as_user()
{
	if [ -n "${user:-}" ] && [ "$user" != "$(id -un)" ]; then
		setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"
	else
		"$@"
	fi
}

busybox_tree()
{
	local a
	mkdir -p "$1"/{bin,etc,proc,dev,sys,tmp,home,root,run,mnt}
	cp /bin/busybox "$1/bin/busybox"
	for a in $(/bin/busybox --list); do [ -e "$1/bin/$a" ] || ln -s busybox "$1/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$1/etc/passwd"
	printf 'root:x:0:\n' >"$1/etc/group"
}

bench_slurm()
{
	export SLURM_CONF=${SLURM_CONF:-${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/slurm.conf}
}

bench_workdir()
{
	work=$(mktemp -d "$1.XXXXXX")
	chmod 777 "$work"
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
}
