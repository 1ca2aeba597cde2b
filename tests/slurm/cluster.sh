#!/bin/bash
# A real single-host Slurm cluster for husk's tests: munged, MariaDB,
# slurmdbd, slurmctld and slurmd, with the cgroup task plugins and the husk
# SPANK plugin in its plugstack.conf.
#
#   tests/slurm/cluster.sh start [PLUGIN.so]   (as root; installs what it needs)
#   tests/slurm/cluster.sh stop
#   tests/slurm/cluster.sh env                 prints export SLURM_CONF=...
#
# Everything lives under $HUSK_SLURM_DIR (default /var/tmp/husk-slurm);
# daemons log there. stop kills what start started and removes the state.
set -euo pipefail
S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}
host=$(hostname -s)
export SLURM_CONF=$S/etc/slurm.conf

die() { echo "cluster.sh: error: $*" >&2; exit 1; }
logtail() { for f in "$S"/log/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }; done >&2; }
wait_for() { # SECONDS WHAT CMD...
	local end=$((SECONDS + $1)) what=$2; shift 2
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || { logtail; die "$what did not come up"; }
		sleep 0.5
	done
}

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
	[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; }
	chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
	if ! munge -n </dev/null >/dev/null 2>&1; then
		runuser -u munge -- /usr/sbin/munged --force
		wait_for 10 munged munge -n
	fi
}

start_mariadb() {
	if ! mysqladmin ping >/dev/null 2>&1; then
		install -d -o mysql -g mysql /run/mysqld
		(mysqld_safe --user=mysql >"$S/log/mariadb.out" 2>&1 &)
		wait_for 60 MariaDB mysqladmin ping
	fi
	# a fresh accounting database: job ids start at 1 again with a new cluster
	mysql -e "DROP DATABASE IF EXISTS slurm_acct_db; CREATE DATABASE slurm_acct_db;
		CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'huskslurm';
		GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
}

write_conf() {
	local plugin=${1:-} mem
	mem=$(( $(free -m | awk '/^Mem:/ {print $2}') * 3 / 4 ))
	mkdir -p "$S"/etc "$S"/log "$S"/ctld "$S"/d
	cat >"$S/etc/slurm.conf" <<C
ClusterName=husk
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$S/ctld
SlurmdSpoolDir=$S/d
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/cgroup
TaskPlugin=task/affinity,task/cgroup
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
NodeName=$host CPUs=2 RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
C
	cat >"$S/etc/cgroup.conf" <<C
CgroupPlugin=autodetect
ConstrainCores=yes
ConstrainRAMSpace=yes
C
	: >"$S/etc/plugstack.conf"
	[ -n "$plugin" ] && echo "optional $plugin" >"$S/etc/plugstack.conf"
	cat >"$S/etc/slurmdbd.conf" <<C
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=huskslurm
StorageLoc=slurm_acct_db
LogFile=$S/log/slurmdbd.log
PidFile=$S/slurmdbd.pid
C
	chmod 0600 "$S/etc/slurmdbd.conf"
}

start() {
	install_pkgs
	mkdir -p "$S/log"
	write_conf "${1:-}"
	start_munge
	start_mariadb
	slurmdbd   # reads slurmdbd.conf beside $SLURM_CONF
	wait_for 30 slurmdbd sacctmgr -n list cluster
	sacctmgr -i -Q add cluster husk >/dev/null 2>&1 || true
	slurmctld -f "$S/etc/slurm.conf"
	slurmd -f "$S/etc/slurm.conf"
	wait_for 60 "the node" bash -c "sinfo -h -N -o %T | grep -Eq '^idle'"
}

stop() {
	for d in slurmd slurmctld slurmdbd; do
		[ -f "$S/$d.pid" ] && kill "$(cat "$S/$d.pid")" 2>/dev/null || true
	done
	local d
	for _ in $(seq 20); do
		pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || pgrep -x slurmdbd >/dev/null ||
			pgrep -x slurmstepd >/dev/null || break
		sleep 0.5
	done
	for d in slurmd slurmctld slurmdbd slurmstepd; do pkill -KILL -x "$d" 2>/dev/null || true; done
	mysqladmin shutdown >/dev/null 2>&1 || true
	# Slurm's own cgroups (it makes /slurm in each v1 hierarchy)
	for d in /sys/fs/cgroup/*/slurm /sys/fs/cgroup/*/slurm_"$host"; do
		if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
	done
	rm -rf "$S"
}

case ${1:-} in
start) shift; start "$@" ;;
stop) stop ;;
env) echo "export SLURM_CONF=$S/etc/slurm.conf" ;;
*) echo "usage: $0 start [PLUGIN.so] | stop | env" >&2; exit 2 ;;
esac
