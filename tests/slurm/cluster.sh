#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real single-host Slurm cluster for husk's tests: munged, MariaDB,
# slurmdbd, slurmctld and one slurmd per node name (Debian builds Slurm with
# --enable-multiple-slurmd, so several node names share this host, each
# slurmd on a port of its own), with the cgroup task plugins and the husk
# SPANK plugin in its plugstack.conf.
#
#   tests/slurm/cluster.sh start [PLUGIN.so]  (as root; installs what it needs)
#   tests/slurm/cluster.sh stop               kills what start started, removes
#                                             the state and Slurm's cgroups
#   tests/slurm/cluster.sh status             daemons and nodes; 0 when all up
#   tests/slurm/cluster.sh env                prints export SLURM_CONF=...
#
# Everything lives under $HUSK_SLURM_DIR (default /var/tmp/husk-slurm): the
# configuration (slurm.conf, slurmdbd.conf, cgroup.conf, plugstack.conf),
# the daemons' logs (log/), pid files and spool directories.
# $HUSK_SPANK_MODE: "required" (default) or "optional" in plugstack.conf;
# $HUSK_SPANK_ARGS: more plugin arguments there (e.g. image_cache=/DIR);
# $HUSK_SLURM_TASK_PLUGIN: TaskPlugin (default task/affinity,task/cgroup);
# $HUSK_SLURM_PROLOG_FLAGS: PrologFlags (default Contain: every job has an
# extern step, where the plugin keeps a job's image holders; empty: none).
# $HUSK_SLURM_TASK_PROLOG: a script (relative: to the checkout) installed as
# $S/etc/task-prolog, slurm.conf's TaskProlog (default: none).
# $HUSK_SLURM_NODES (default 2) node names, $HUSK_SLURM_USER (default
# huskuser) runs the start-up checks.
set -euo pipefail
S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}
nnodes=${HUSK_SLURM_NODES:-2}
user=${HUSK_SLURM_USER:-huskuser}
host=$(hostname -s)
export SLURM_CONF=$S/etc/slurm.conf
nodes=()
for i in $(seq "$nnodes"); do nodes+=("$host$i"); done

die() { echo "cluster.sh: error: $*" >&2; exit 1; }
logtail() {
	for f in "$S"/log/*.log "$S"/log/*.out; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }
	done >&2
	return 0
}
# wait_for SECONDS WHAT CMD...: until CMD succeeds, or fail showing the logs
wait_for() {
	local end=$((SECONDS + $1)) what=$2; shift 2
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || { logtail; die "$what: not ready after $1 s"; }
		sleep 0.3
	done
}
alive() { [ -s "$1" ] && running "$(cat "$1")"; }
# running PID: a live process (a daemon that ended may wait as a zombie for
# init to reap it, which kill -0 takes for alive)
running() { local s; s=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]; }
started() { grep -qx "$1" "$S/started" 2>/dev/null; }

install_pkgs() {
	local need=()
	for p in slurm-wlm slurmdbd mariadb-server munge libslurm-dev; do
		dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
	done
	[ ${#need[@]} -eq 0 ] && return
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
}

start_munge() {
	install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
	install -d -o munge -g munge -m 0755 /run/munge
	if [ ! -s /etc/munge/munge.key ]; then
		mungekey -c -k /etc/munge/munge.key 2>/dev/null ||
			dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
	fi
	chown munge:munge /etc/munge/munge.key
	chmod 0400 /etc/munge/munge.key
	if ! munge -n </dev/null >/dev/null 2>&1; then
		runuser -u munge -- /usr/sbin/munged --force
		echo munged >>"$S/started"
		wait_for 10 munged munge -n
		cp /run/munge/munged.pid "$S/run/munged.pid"
	fi
}

start_mariadb() {
	if ! mysqladmin ping >/dev/null 2>&1; then
		install -d -o mysql -g mysql /run/mysqld
		(mysqld_safe --user=mysql >"$S/log/mariadb.out" 2>&1 & echo $! >"$S/run/mysqld_safe.pid")
		echo mariadb >>"$S/started"
		wait_for 60 MariaDB mysqladmin ping
	fi
	# a fresh accounting database: job ids start at 1 again with a new cluster
	mysql -e "DROP DATABASE IF EXISTS slurm_acct_db; CREATE DATABASE slurm_acct_db;
		CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'huskslurm';
		GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
}

write_conf() {
	local plugin=${1:-} mem i
	# below free -m's total, split between the node names
	mem=$(($(free -m | awk '/^Mem:/ {print $2}') * 3 / 4 / nnodes))
	install -d -m 0755 "$S" "$S/etc"
	install -d -o slurm -g slurm -m 0755 "$S/log" "$S/ctld" "$S/run"
	for n in "${nodes[@]}"; do install -d -m 0755 "$S/d/$n"; done
	cat >"$S/etc/slurm.conf" <<C
ClusterName=husk
SlurmctldHost=$host
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$S/ctld
SlurmdSpoolDir=$S/d/%n
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=${HUSK_SLURMD_DEBUG:-info}
ProctrackType=proctrack/cgroup
TaskPlugin=${HUSK_SLURM_TASK_PLUGIN:-task/affinity,task/cgroup}
$([ -z "${HUSK_SLURM_PROLOG_FLAGS-Contain}" ] || echo "PrologFlags=${HUSK_SLURM_PROLOG_FLAGS-Contain}")
$([ -z "${HUSK_SLURM_TASK_PROLOG:-}" ] || echo "TaskProlog=$S/etc/task-prolog")
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=512
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/cgroup
JobAcctGatherFrequency=task=1
PlugStackConfig=$S/etc/plugstack.conf
MpiDefault=none
ReturnToService=2
KillWait=5
InactiveLimit=0
MinJobAge=10
C
	i=0
	for n in "${nodes[@]}"; do
		i=$((i + 1))
		echo "NodeName=$n NodeHostName=$host NodeAddr=127.0.0.1 Port=$((17000 + i)) CPUs=2 RealMemory=$mem State=UNKNOWN"
	done >>"$S/etc/slurm.conf"
	echo "PartitionName=debug Nodes=$(IFS=,; echo "${nodes[*]}") Default=YES MaxTime=INFINITE State=UP" >>"$S/etc/slurm.conf"
	cat >"$S/etc/cgroup.conf" <<C
CgroupPlugin=autodetect
ConstrainCores=yes
ConstrainRAMSpace=yes
C
	if [ -n "${HUSK_SLURM_TASK_PROLOG:-}" ]; then
		local tp=$HUSK_SLURM_TASK_PROLOG
		[ "${tp#/}" != "$tp" ] || tp=$(dirname "$0")/../../$tp
		install -m 0755 "$tp" "$S/etc/task-prolog"
	fi
	: >"$S/etc/plugstack.conf"
	# accounting records under the state directory: stop removes them
	if [ -n "$plugin" ]; then echo "${HUSK_SPANK_MODE:-required} $plugin accounting=$S/acct ${HUSK_SPANK_ARGS:-}" >"$S/etc/plugstack.conf"; fi
	cat >"$S/etc/slurmdbd.conf" <<C
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=huskslurm
StorageLoc=slurm_acct_db
LogFile=$S/log/slurmdbd.log
PidFile=$S/run/slurmdbd.pid
C
	chown slurm:slurm "$S/etc/slurmdbd.conf"
	chmod 0600 "$S/etc/slurmdbd.conf"
}

# the start-up checks: a step of two tasks as the user, and its record in sacct
check_cluster() {
	local out
	out=$(cd /tmp && timeout 60 runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" srun -n2 hostname 2>&1) ||
		{ echo "$out" >&2; logtail; die "srun -n2 hostname failed"; }
	[ "$(echo "$out" | grep -cx "$host")" = 2 ] || { echo "$out" >&2; die "srun -n2 hostname: expected 2 lines '$host'"; }
	# slurmctld sends the record to slurmdbd a moment later
	wait_for 20 "sacct (the job of srun -n2 hostname)" bash -c "sacct -n -X -a -o State | grep -q COMPLETED"
}

start() {
	[ "$(id -u)" = 0 ] || die "start: run as root"
	# the daemons must not inherit our descriptors (a caller's lock, say)
	local fd
	for fd in "/proc/$$/fd/"*; do
		fd=${fd##*/}
		if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
	done
	if [ -d "$S" ]; then stop; fi
	install_pkgs
	id "$user" >/dev/null 2>&1 || useradd -m "$user"
	write_conf "${1:-}"
	start_munge
	start_mariadb
	slurmdbd   # reads slurmdbd.conf beside $SLURM_CONF
	wait_for 30 slurmdbd sacctmgr -n list cluster
	sacctmgr -i -Q add cluster husk >/dev/null 2>&1 || true
	slurmctld -f "$SLURM_CONF"
	for n in "${nodes[@]}"; do slurmd -f "$SLURM_CONF" -N "$n"; done
	wait_for 60 "the nodes (${nodes[*]}) idle" \
		bash -c "[ \$(sinfo -h -N -o %T | grep -c '^idle') = $nnodes ]"
	check_cluster
}

# The cgroups Slurm made for our nodes (v1: /sys/fs/cgroup/CTRL/slurm_NODE;
# a v2 host: under the unified tree): nothing else is ever touched.
slurm_cgroups() {
	local n
	for n in "${nodes[@]}"; do
		find /sys/fs/cgroup -maxdepth 2 -type d -name "slurm_$n" 2>/dev/null
	done
}

stop() {
	local f pids=() left
	# the jobs first, while slurmctld can still end them properly
	if alive "$S/run/slurmctld.pid"; then
		squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null || true
		for _ in $(seq 30); do squeue -h 2>/dev/null | grep -q . || break; sleep 0.3; done
	fi
	# the daemons' pids, read before they remove their pid files
	for f in "$S"/run/slurmd-*.pid "$S/run/slurmctld.pid" "$S/run/slurmdbd.pid"; do
		alive "$f" && pids+=("$(cat "$f")")
	done
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	waitpids 10 "${pids[@]}"
	# what is left in Slurm's cgroups of our nodes (slurmstepd, tasks, the
	# image holders in the jobs' extern steps) is ours
	for d in $(slurm_cgroups); do
		find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r p; do kill -KILL "$p" 2>/dev/null; done || true
	done
	pids=()
	if started munged && alive "$S/run/munged.pid"; then pids+=("$(cat "$S/run/munged.pid")"); kill "${pids[-1]}"; fi
	if started mariadb; then
		alive "$S/run/mysqld_safe.pid" && pids+=("$(cat "$S/run/mysqld_safe.pid")")
		mysqladmin shutdown >/dev/null 2>&1 || true
	fi
	waitpids 30 "${pids[@]}"
	for _ in $(seq 20); do
		for d in $(slurm_cgroups); do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
		[ -z "$(slurm_cgroups)" ] && break
		sleep 0.3
	done
	left=$(slurm_cgroups | tr '\n' ' ')
	[ -z "$left" ] || echo "cluster.sh: warning: cgroups left: $left" >&2
	rm -rf "$S"
}

# waitpids SECONDS PID...: wait until they are gone, then SIGKILL the rest
waitpids() {
	local end=$((SECONDS + $1)) p left; shift
	while :; do
		left=()
		for p in "$@"; do running "$p" && left+=("$p"); done
		[ ${#left[@]} = 0 ] && return 0
		[ $SECONDS -lt $end ] || break
		sleep 0.2
	done
	kill -KILL "${left[@]}" 2>/dev/null || true
}

status() {
	local rc=0 f
	for f in "$S/run/slurmdbd.pid" "$S/run/slurmctld.pid" "$S"/run/slurmd-*.pid; do
		if alive "$f"; then echo "running $(basename "$f" .pid) (pid $(cat "$f"))"; else echo "down    $(basename "$f" .pid)"; rc=1; fi
	done
	[ -f "$S/run/slurmctld.pid" ] || { echo "no cluster in $S"; return 1; }
	sinfo -N -o '%N %T %C %m' 2>&1 || rc=1
	return $rc
}

case ${1:-} in
start) shift; start "$@" ;;
stop) stop ;;
status) status ;;
env) echo "export SLURM_CONF=$S/etc/slurm.conf" ;;
*) echo "usage: $0 start [PLUGIN.so] | stop | status | env" >&2; exit 2 ;;
esac
