#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The TaskProlog of tests/slurm/0930-task-prolog-on-host.sh (cluster.sh
# installs it with HUSK_SLURM_TASK_PROLOG): Slurm runs it as the job's user
# before each task; it does something only for a task that sets
# HUSK_TP_MARK: it writes its view of the node there (mount namespace,
# /etc/os-release, uid), prints a line, exports and unsets a variable, and
# exits with $HUSK_TP_EXIT (0).
[ -n "${HUSK_TP_MARK:-}" ] || exit 0
{
	readlink /proc/self/ns/mnt
	grep '^PRETTY_NAME=' /etc/os-release || echo "no /etc/os-release"
	id -u
} >"$HUSK_TP_MARK.$SLURM_PROCID"
echo "print husk-tp: task $SLURM_PROCID prolog"
echo "export HUSK_TP_VAR=from the prolog"
echo "unset HUSK_TP_GONE"
echo "this line is ignored" >&2
exit "${HUSK_TP_EXIT:-0}"
