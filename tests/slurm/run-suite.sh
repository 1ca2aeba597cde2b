#!/bin/bash
# srun with husk on a real single-host Slurm (tests/slurm/cluster.sh): the
# plugin's options, one container per node per step, tasks bound by Slurm,
# job arrays, scancel, bad input. Runs as root; jobs run as the test user.
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
plugin=$top/.libs/spank_husk.so
[ -f "$plugin" ] || { echo "FAIL: $plugin not built (configure found no slurm/spank.h?)"; echo "0 passed, 1 failed"; exit 1; }

work=$(mktemp -d /var/tmp/husk-slurm-test.XXXXXX)
chmod 0755 "$work"
"$top/tests/images/mkimages.sh" "$work/img" >/dev/null || { echo "FAIL: test images"; echo "0 passed, 1 failed"; exit 1; }
chmod -R a+rX "$work/img"
img=$work/img/demo.sqsh
jobdir=$work/jobs
install -d -o "$user" "$jobdir"

trap '[ -n "${HUSK_SLURM_KEEP:-}" ] || bash "$top/tests/slurm/cluster.sh" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
if ! out=$(bash "$top/tests/slurm/cluster.sh" start "$plugin" 2>&1); then
	echo "FAIL: starting the cluster"; echo "$out" | tail -30 | sed 's/^/    /'
	echo "0 passed, 1 failed"; exit 1
fi
export SLURM_CONF=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/slurm.conf
mapfile -t nodes < <(sinfo -h -N -o %N)

as() { (cd "$jobdir" && timeout 120 runuser -u "$user" -- "$@"); }
# wait until job JID (and its array tasks) left the queue
wait_job() {
	for _ in $(seq 240); do
		squeue -h -j "$1" 2>/dev/null | grep -q . || return 0
		sleep 0.5
	done
	echo "job $1 still queued after 2 minutes"; return 1
}
live() { ps -u "$user" -o stat=,comm= | awk -v n="$1" '$1 !~ /^Z/ && $2 == n' | wc -l; }

pass=0 fail=0
check() {
	local name=$1 out
	local t0=$SECONDS
	if out=$("test_$name" 2>&1); then
		echo "PASS $name"; pass=$((pass + 1))
		[ -z "${HUSK_TEST_TIMES:-}" ] || echo "    $((SECONDS - t0)) s" >&2
	else
		echo "FAIL $name"; echo "$out" | tail -15 | sed 's/^/    /'; fail=$((fail + 1))
	fi
}

test_plain_srun() {
	[ "$(as srun -n2 hostname | wc -l)" = 2 ]
}

# srun --help lists the plugin's options (plugstack.conf loaded it)
test_help_lists_options() {
	local out o missing=
	out=$(as srun --help 2>&1)
	for o in container-image container-mounts container-workdir container-name container-env \
		container-mount-home no-container-mount-home container-remap-root no-container-remap-root \
		container-writable container-readonly container-cpu-bind container-mem-policy; do
		grep -q -- "--$o" <<<"$out" || missing="$missing --$o"
	done
	[ -z "$missing" ] || { echo "srun --help lacks:$missing"; return 1; }
}

# a step over both node names: one container per node, every task in it
test_two_nodes() {
	local out
	out=$(as srun -N2 -n2 --container-image="$img" sh -c 'cat /etc/image-marker; echo "$SLURMD_NODENAME"') || { echo "$out"; return 1; }
	[ "$(printf '%s\n' "$out" | grep -cx "this file is in the image")" = 2 ] || { echo "got: $out"; return 1; }
	[ "$(printf '%s\n' "$out" | grep -v "this file is in the image" | sort -u | wc -l)" = 2 ] ||
		{ echo "not on two nodes: $out"; return 1; }
}

test_container_image() {
	local out
	out=$(as srun --container-image="$img" cat /etc/image-marker) || { echo "$out"; return 1; }
	[ "$out" = "this file is in the image" ] || { echo "got: $out"; return 1; }
	out=$(as srun --container-image="$img" sh -c 'id -un; pwd; ls /home')
	sed -n 1p <<<"$out" | grep -qx "$user" || { echo "not the user inside: $out"; return 1; }
	sed -n 2p <<<"$out" | grep -qx "$jobdir" || { echo "not in the job's working directory: $out"; return 1; }
}

test_srun_container_option() {
	local out
	out=$(as srun --container="$img" cat /etc/image-marker 2>&1) || { echo "$out"; return 1; }
	grep -qx "this file is in the image" <<<"$out" || { echo "srun --container ran elsewhere: $out"; return 1; }
}

# inside a job of sbatch --container=A, srun --container=B runs in B (srun
# keeps the SLURM_CONTAINER it inherited; the plugin puts srun's own value
# there), and a plain srun in A
test_srun_container_in_sbatch_container() {
	local jid out
	jid=$(as sbatch --parsable --container="$work/img/corrupt.sqsh" -o "$jobdir/nested.out" \
		--wrap "srun --container=$img cat /etc/image-marker; srun --container $img true && echo second-form; srun true || echo plain-in-A") || return 1
	wait_job "$jid" || return 1
	out=$(cat "$jobdir/nested.out")
	grep -qx "this file is in the image" <<<"$out" || { echo "srun --container=B did not run in B: $out"; return 1; }
	grep -qx second-form <<<"$out" || { echo "srun --container B did not run in B: $out"; return 1; }
	grep -qx plain-in-A <<<"$out" || { echo "a plain srun did not use the job's (corrupt) A: $out"; return 1; }
}

test_two_tasks_bound() {
	local out
	out=$(as srun -n2 --cpus-per-task 1 --container-image="$img" sh -c 'cat /etc/image-marker >/dev/null && grep Cpus_allowed_list /proc/self/status' | awk '{print $2}' | sort)
	[ "$(echo "$out" | wc -l)" = 2 ] && [ "$(echo "$out" | sort -u | wc -l)" = 2 ] ||
		{ echo "tasks not on distinct CPUs: $out"; return 1; }
	# two CPUs a task: a node's two CPUs each
	out=$(as srun -N2 -n2 --cpus-per-task 2 --container-image="$img" sh -c 'cat /etc/image-marker >/dev/null && grep Cpus_allowed_list /proc/self/status' | awk '{print $2}')
	[ "$out" = "$(printf '0-1\n0-1')" ] || { echo "--cpus-per-task 2 did not give each task two CPUs: $out"; return 1; }
}

# husk's own binding where Slurm leaves the task free, and its NUMA memory
# policy (shown in /proc/self/numa_maps) unless the user gave --mem-bind
test_task_binding() {
	local show='echo "$(grep Cpus_allowed_list /proc/self/status | cut -f2) $(head -n1 /proc/self/numa_maps | cut -d" " -f2)"'
	local out
	out=$(as srun -n2 sh -c "$show" | sort)
	[ "$(echo "$out" | grep -c ' default')" = 2 ] || { echo "without husk the tasks have a memory policy already: $out"; return 1; }
	out=$(as srun -n2 --container-image="$img" sh -c "$show" | sort) || return 1
	[ "$(echo "$out" | awk '{print $1}' | sort -u | wc -l)" = 2 ] || { echo "Slurm's binding lost: $out"; return 1; }
	[ "$(echo "$out" | grep -c ' bind:[0-9]')" = 2 ] || { echo "no NUMA bind policy: $out"; return 1; }
	out=$(as srun -n2 --cpu-bind=none --container-image="$img" sh -c "$show" | awk '{print $1}' | sort -u)
	[ "$(echo "$out" | wc -l)" = 1 ] && [ "$(echo "$out" | tr -d '\n')" != 0 ] && [ "$(echo "$out" | tr -d '\n')" != 1 ] ||
		{ echo "--cpu-bind=none not respected: $out"; return 1; }
	out=$(as srun -n2 --cpu-bind=none --container-cpu-bind=core --container-image="$img" sh -c "$show" | awk '{print $1}' | sort)
	[ "$out" = "$(printf '0\n1')" ] || { echo "--container-cpu-bind=core did not bind the tasks apart: $out"; return 1; }
	out=$(as srun -n1 --container-mem-policy=interleave --container-image="$img" sh -c "$show")
	grep -q ' interleave:' <<<"$out" || { echo "--container-mem-policy=interleave: $out"; return 1; }
	out=$(as srun -n1 --container-mem-policy=none --container-image="$img" sh -c "$show")
	grep -q ' default' <<<"$out" || { echo "--container-mem-policy=none: $out"; return 1; }
	out=$(as srun -n1 --mem-bind=local --container-mem-policy=interleave --container-image="$img" sh -c "$show")
	grep -q ' interleave' <<<"$out" && { echo "husk overrode Slurm's --mem-bind: $out"; return 1; }
	out=$(as srun -n1 --container-cpu-bind=cores2 --container-image="$img" true 2>&1) && { echo "a bad --container-cpu-bind was taken"; return 1; }
	grep -q 'container-cpu-bind cores2: expected' <<<"$out" || { echo "no clear message: $out"; return 1; }
	out=$(as srun -n1 --container-mem-policy=firm --container-image="$img" true 2>&1) && { echo "a bad --container-mem-policy was taken"; return 1; }
	grep -q 'container-mem-policy firm: expected' <<<"$out" || { echo "no clear message: $out"; return 1; }
}

# plugstack.conf's site defaults: a read-only image and no home, which the
# user's options still override
test_site_defaults() {
	local conf=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/plugstack.conf out rc
	cp "$conf" "$work/plugstack.saved"
	sed -i 's|$| mount=readonly mount_home=no|' "$conf"
	out=$(as srun --container-image="$img" sh -c 'touch /etc/x 2>/dev/null && echo wrote; [ -d "$HOME" ] && echo home; true' 2>&1); rc=$?
	local out2
	out2=$(as srun --container-image="$img" --container-writable --container-mount-home sh -c 'touch /etc/x && echo wrote; [ -d "$HOME" ] && echo home' 2>&1)
	cp "$work/plugstack.saved" "$conf"
	[ $rc = 0 ] && [ -z "$out" ] || { echo "mount=readonly mount_home=no not applied (rc $rc): $out"; return 1; }
	[ "$out2" = "$(printf 'wrote\nhome')" ] || { echo "the user's options did not win: $out2"; return 1; }
}

test_relative_image() {
	cp "$img" "$jobdir/rel.sqsh"; chmod 644 "$jobdir/rel.sqsh"
	local out
	out=$(as srun --container-image=rel.sqsh cat /etc/image-marker) || { echo "$out"; return 1; }
	[ "$out" = "this file is in the image" ]
}

test_mounts_and_workdir() {
	echo data > "$jobdir/in.txt"; chmod 644 "$jobdir/in.txt"
	local out
	out=$(as srun --container-image="$img" --container-mounts="$jobdir:/data:ro" --container-workdir=/data cat in.txt) ||
		{ echo "$out"; return 1; }
	[ "$out" = data ] || { echo "got: $out"; return 1; }
	as srun --container-image="$img" --container-mounts="$jobdir:/data:ro" touch /data/x 2>/dev/null &&
		{ echo "wrote to a :ro mount"; return 1; }
	return 0
}

# accounting: a step over two nodes leaves one summary per node in the
# job's AdminComment (concurrent writers merge, none is lost), and the
# munge-signed per-task records on the node (uid 0 made them)
# wait_comment JID N: the job's AdminComment once it holds N husk entries
# (the epilogs merge them through slurmdbd a moment after the job), or
# after 60 s
wait_comment() {
	local ac
	for _ in $(seq 120); do
		ac=$(sacct -n -X -P -j "$1" -o AdminComment)
		[ "$(grep -o 'husk:[0-9]*@[^=]*=' <<<"$ac" | sort -u | wc -l)" = "$2" ] && break
		sleep 0.5
	done
	echo "$ac"
}
test_accounting() {
	local jid ac f
	jid=$(as sbatch --parsable -N2 -n2 -o /dev/null \
		--wrap "srun --container-image=$img sh -c 'i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done'; srun -n1 --container-image=$img true") || return 1
	wait_job "$jid" || return 1
	ac=$(wait_comment "$jid" 3)
	for e in "husk:0@${nodes[0]}=tasks:1,rc:0," "husk:0@${nodes[1]}=tasks:1,rc:0," "husk:1@${nodes[0]}=tasks:1,rc:0,"; do
		grep -q "$e" <<<"$ac" || { echo "AdminComment lacks $e: $ac"; return 1; }
	done
	f=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/acct/$jid/0.${nodes[1]}.munge
	[ -f "$f" ] || { echo "no $f"; ls -R "$(dirname "$f")"; return 1; }
	local dec
	dec=$(unmunge <"$f" 2>&1)
	grep -q '^UID: .*(0)' <<<"$dec" || { echo "not made by uid 0: $dec"; return 1; }
	grep -q '"schema":"husk-accounting/1"' <<<"$dec" || { echo "no record: $dec"; return 1; }
	grep -q "\"job\":\"$jid\"" <<<"$dec" || { echo "not the job's: $dec"; return 1; }
}

# concurrent steps of one job, on one node and on both, all keep their
# summary in the AdminComment (each node's epilog merges its steps; the two
# nodes' merges run at once and re-check)
test_accounting_concurrent_steps() {
	local jid ac n s
	jid=$(as sbatch --parsable -N2 -n2 -o /dev/null --wrap "
for i in 1 2 3; do srun -N1 -n1 -w ${nodes[0]} --container-image=$img true & done
for i in 1 2 3; do srun -N1 -n1 -w ${nodes[1]} --container-image=$img true & done
wait") || return 1
	wait_job "$jid" || return 1
	ac=$(wait_comment "$jid" 6)
	for n in "${nodes[0]}" "${nodes[1]}"; do
		s=$(grep -o "husk:[0-9]*@$n=tasks:1,rc:0," <<<"$ac" | sort -u | wc -l)
		[ "$s" = 3 ] || { echo "$s of 3 steps on $n in AdminComment: $ac"; return 1; }
	done
}

# husk report --job: every node's and task's record, each signature checked;
# a record signed by the user, altered, or filed under another job fails
test_report_job() {
	local S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm} jid out rc f payload
	jid=$(as sbatch --parsable -N2 -n4 -o /dev/null \
		--wrap "srun --container-image=$img sh -c 'i=0; while [ \$i -lt 50000 ]; do i=\$((i+1)); done'") || return 1
	wait_job "$jid" || return 1
	out=$(as "$top/husk" report --job "$jid" --dir "$S/acct") || { echo "report failed: $out"; return 1; }
	for t in 0 1 2 3; do
		grep -Eq "^$jid\.0 +(${nodes[0]}|${nodes[1]}) +$t +1 +0 +0\.[0-9]+ " <<<"$out" ||
			{ echo "no row with CPU time for task $t: $out"; return 1; }
	done
	[ "$(grep -c 'records, signed by root at' <<<"$out")" = 2 ] || { echo "not two signed files: $out"; return 1; }
	out=$(as "$top/husk" report --job "$jid" --dir "$S/acct" --by node --format json) || return 1
	grep -q "\"job\":\"$jid.0\",\"node\":\"${nodes[1]}\",\"task\":\"\*\",\"records\":2" <<<"$out" || { echo "json: $out"; return 1; }
	f=$S/acct/$jid/0.${nodes[0]}.munge
	payload=$(unmunge -i "$f" -m /dev/null)
	# signed by the user, not by root
	runuser -u "$user" -- munge -s "$payload" > "$S/acct/$jid/9.${nodes[0]}.munge"
	out=$(as "$top/husk" report --job "$jid" --dir "$S/acct" 2>&1); rc=$?
	rm -f "$S/acct/$jid/9.${nodes[0]}.munge"
	[ $rc = 125 ] && grep -q "^husk: error: .*9.${nodes[0]}.munge: signed by uid $(id -u "$user"), not by root" <<<"$out" ||
		{ echo "a user's record was taken (rc $rc): $out"; return 1; }
	# altered
	cp "$f" "$work/saved.munge"
	sed -i 's/^\(.\{60\}\)./\1A/; s/^\(.\{61\}\)./\1B/' "$f"
	cmp -s "$f" "$work/saved.munge" && { echo "the test did not alter the record"; return 1; }
	out=$(as "$top/husk" report --job "$jid" --dir "$S/acct" 2>&1); rc=$?
	cp "$work/saved.munge" "$f"
	[ $rc = 125 ] && grep -q "^husk: error: .*0.${nodes[0]}.munge: signature not valid" <<<"$out" ||
		{ echo "an altered record was taken (rc $rc): $out"; return 1; }
	# a root-signed record filed under another job
	mkdir -p "$S/acct/99999"; cp "$f" "$S/acct/99999/0.${nodes[0]}.munge"
	out=$(as "$top/husk" report --job 99999 --dir "$S/acct" 2>&1); rc=$?
	rm -rf "$S/acct/99999"
	[ $rc = 125 ] && grep -q "is of job $jid step 0 on ${nodes[0]}, not what the file's name says" <<<"$out" ||
		{ echo "a record under another job's name was taken (rc $rc): $out"; return 1; }
	# an expired credential (munge's time to live) is still a valid signature
	mkdir -p "$S/acct/99998"
	munge -t 1 -s "${payload//\"job\":\"$jid\"/\"job\":\"99998\"}" > "$S/acct/99998/0.${nodes[0]}.munge"
	sleep 2
	out=$(as "$top/husk" report --job 99998 --dir "$S/acct" 2>&1); rc=$?
	rm -rf "$S/acct/99998"
	[ $rc = 0 ] && grep -q "^99998\.0 " <<<"$out" || { echo "an expired record was refused (rc $rc): $out"; return 1; }
	out=$(as "$top/husk" report --job 424242 --dir "$S/acct" 2>&1); rc=$?
	[ $rc = 125 ] && grep -q "no accounting records of job 424242" <<<"$out" || { echo "rc $rc: $out"; return 1; }
}

# a job array of 50 short container steps (issue 6), all recorded in sacct
test_job_array() {
	local jid n=50
	jid=$(as sbatch --parsable --array=1-$n -o /dev/null --wrap "srun --container-image=$img cat /etc/image-marker") || return 1
	wait_job "$jid" || return 1
	local done=0 steps=0
	for _ in $(seq 20); do # sacct may lag behind the queue
		done=$(sacct -n -X -j "$jid" -o State | grep -c COMPLETED)
		steps=$(sacct -n -P -j "$jid" -o JobID,State,TotalCPU | grep -c '\.0|COMPLETED|')
		[ "$done" = $n ] && [ "$steps" = $n ] && break
		sleep 0.5
	done
	[ "$done" = $n ] || { echo "$done of $n array tasks completed"; sacct -j "$jid" | tail; return 1; }
	[ "$steps" = $n ] || { echo "sacct shows $steps of $n container steps completed"; sacct -j "$jid" | tail; return 1; }
	# and each has husk's summary of its step in AdminComment
	# (merged by each job's epilog once slurmdbd has the job's record, which
	# can lag a minute behind 50 jobs ending at once on this machine)
	local acct
	for _ in $(seq 240); do
		acct=$(sacct -n -X -P -j "$jid" -o AdminComment | grep -c 'husk:0@[^=]*=tasks:1,rc:0,')
		[ "$acct" = $n ] && break
		sleep 0.5
	done
	[ "$acct" = $n ] || { echo "$acct of $n array tasks have husk's summary in AdminComment"; return 1; }
}

# --container-name: a later step of the job sees the writes of an earlier
# one with the same name, an unnamed step does not, and the job's end
# removes the kept layer.
test_container_name_reuse() {
	cat > "$jobdir/named.sh" <<S
#!/bin/sh
srun --container-image=$img --container-name=keep sh -c 'echo kept > /etc/named-test'
srun --container-image=$img --container-name=keep:auto cat /etc/named-test
srun --container-image=$img cat /etc/named-test 2>/dev/null || echo unnamed-sees-nothing
S
	chmod 755 "$jobdir/named.sh"
	local jid out
	jid=$(as sbatch --parsable -o "$jobdir/named.out" "$jobdir/named.sh") || return 1
	wait_job "$jid" || return 1
	out=$(cat "$jobdir/named.out")
	grep -qx kept <<<"$out" || { echo "step 2 did not see step 1's write: $out"; return 1; }
	grep -qx unnamed-sees-nothing <<<"$out" || { echo "an unnamed step saw it: $out"; return 1; }
	for _ in $(seq 20); do [ -e "/tmp/husk-$(id -u "$user")-named/$jid-keep" ] || break; sleep 0.5; done
	[ ! -e "/tmp/husk-$(id -u "$user")-named/$jid-keep" ] || { echo "the kept layer outlived the job"; return 1; }
}

# options given to sbatch and salloc reach the job's steps; the batch
# script itself stays on the host
test_sbatch_salloc() {
	local jid out
	jid=$(as sbatch --parsable --container-image="$img" -o "$jobdir/sb.out" \
		--wrap 'cat /etc/image-marker 2>/dev/null || echo batch-on-host; srun cat /etc/image-marker') || return 1
	wait_job "$jid" || return 1
	out=$(cat "$jobdir/sb.out")
	grep -qx batch-on-host <<<"$out" || { echo "the batch script ran in the image: $out"; return 1; }
	grep -qx "this file is in the image" <<<"$out" || { echo "the step did not: $out"; return 1; }
	out=$(as salloc -Q --container-image="$img" srun cat /etc/image-marker 2>&1)
	grep -qx "this file is in the image" <<<"$out" || { echo "salloc's step did not: $out"; return 1; }
}

# the image's /.husk/env reaches the tasks; --container-env keeps the job's
# value for the names it lists
test_image_env() {
	local meta=$work/img/metaenv.sqsh out
	out=$(as env HUSK_IMAGE_VAR=fromjob srun --container-image="$meta" sh -c 'echo $HUSK_IMAGE_VAR') || { echo "$out"; return 1; }
	[ "$out" = fromimage ] || { echo "image env not applied: $out"; return 1; }
	out=$(as env HUSK_IMAGE_VAR=fromjob srun --container-image="$meta" --container-env=HUSK_IMAGE_VAR sh -c 'echo $HUSK_IMAGE_VAR') ||
		{ echo "$out"; return 1; }
	[ "$out" = fromjob ] || { echo "--container-env did not keep the job's value: $out"; return 1; }
	out=$(as srun --container-image="$meta" --container-env='BAD NAME' true 2>&1) && { echo "a bad --container-env was taken"; return 1; }
	return 0
}

test_corrupt_image() {
	local out rc
	out=$(as srun -n2 --container-image="$work/img/corrupt.sqsh" true 2>&1); rc=$?
	[ $rc = 125 ] || { echo "srun exited $rc, not 125: $out"; return 1; }
	grep -q "husk: .*corrupt" <<<"$out" || { echo "no clear message: $out"; return 1; }
	sleep 0.5
	[ "$(live husk-keeper)" = 0 ] || { echo "a keeper is left"; return 1; }
}

test_bad_option() {
	local out rc
	out=$(as srun --container-image="$img" --container-mounts=/tmp:relative true 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "container-mounts" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	out=$(as srun --container-image="$work/img/nothere.sqsh" true 2>&1); rc=$?
	[ $rc = 125 ] && grep -q "nothere.sqsh" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	# opened with the user's rights, not slurmstepd's (root)
	install -m 0600 "$img" "$work/img/secret.sqsh"
	out=$(as srun --container-image="$work/img/secret.sqsh" true 2>&1); rc=$?
	[ $rc = 125 ] && grep -q "secret.sqsh.*ermission denied" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	out=$(as srun --container-image="$img" --container-workdir=relative true 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "container-workdir relative: not an absolute path" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	out=$(as srun --container-image="$img" --container-name='a/b' true 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "container-name a/b" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	out=$(as srun --container-image="$img" --container-name=x:exec true 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "container-name x:exec: husk knows only the flag 'auto'" <<<"$out" || { echo "rc $rc: $out"; return 1; }
}

# job_cgroups_gone JID: Slurm removed the job's cgroups (within 20 s)
job_cgroups_gone() {
	local left
	for _ in $(seq 40); do
		left=$(find /sys/fs/cgroup/*/slurm_*/ -maxdepth 3 -type d -name "job_$1" 2>/dev/null)
		[ -z "$left" ] && return 0
		sleep 0.5
	done
	echo "the job's cgroups are left: $left"
	return 1
}

test_scancel_leaves_nothing() {
	local jid
	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img sleep 300") || return 1
	for _ in $(seq 60); do [ "$(live husk-keeper)" -ge 1 ] && break; sleep 0.5; done
	[ "$(live husk-keeper)" -ge 1 ] || { echo "the step's container never started"; return 1; }
	scancel "$jid"
	for _ in $(seq 60); do [ "$(live husk-keeper)" = 0 ] && [ "$(live sleep)" = 0 ] && break; sleep 0.5; done
	[ "$(live husk-keeper)" = 0 ] || { echo "a keeper is left"; return 1; }
	[ "$(live sleep)" = 0 ] || { echo "the task is left"; return 1; }
	# the image's mount (in its holder's namespaces) lingers for the next
	# step (husk ps); gc ends it
	runuser -u "$user" -- "$top/husk" gc >/dev/null 2>&1
	for _ in $(seq 20); do [ "$(live husk-holder)" = 0 ] && break; sleep 0.5; done
	[ "$(live husk-holder)" = 0 ] || { echo "a holder (and its mount) is left"; return 1; }
	# (the step moved the lingering holder out of the job's cgroups, or
	# Slurm could not have removed them)
	job_cgroups_gone "$jid"
}

# a holder that lingers after a step (the image stays mounted for the next
# one) is out of the job's cgroups, and Slurm removed them
test_holder_outside_job() {
	local jid pid
	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img true") || return 1
	wait_job "$jid" || return 1
	pid=$(pgrep -u "$user" -x husk-holder | head -1)
	[ -n "$pid" ] || { echo "no lingering holder"; return 1; }
	grep -q "/job_" "/proc/$pid/cgroup" && { echo "the holder is in a job's cgroups:"; cat "/proc/$pid/cgroup"; return 1; }
	grep -q "husk-slurm-test-holders" "/proc/$pid/cgroup" || { echo "the holder is not in holder_cgroup:"; cat "/proc/$pid/cgroup"; return 1; }
	job_cgroups_gone "$jid" || return 1
	# the next job's step still joins it
	as srun --container-image="$img" true || return 1
	[ "$(pgrep -u "$user" -x husk-holder | head -1)" = "$pid" ] || { echo "the next step did not use the lingering holder"; return 1; }
}

# a cluster without task/affinity leaves tasks unbound: there husk's
# --container-cpu-bind=auto (the default) binds them apart, =none does not
# (the cluster is restarted with TaskPlugin=task/cgroup for the tests after)
test_cpu_bind_auto_without_affinity() {
	local out show='echo "${SLURM_CPU_BIND_TYPE:-unset} $(grep Cpus_allowed_list /proc/self/status | cut -f2)"'
	bash "$top/tests/slurm/cluster.sh" stop >/dev/null 2>&1
	out=$(HUSK_SLURM_TASK_PLUGIN=task/cgroup bash "$top/tests/slurm/cluster.sh" start "$plugin" 2>&1) ||
		{ echo "restarting the cluster failed: $out"; return 1; }
	out=$(as srun -n2 sh -c "$show" | sort)
	[ "$out" = "$(printf 'unset 0-1\nunset 0-1')" ] || { echo "without husk: $out"; return 1; }
	out=$(as srun -n2 --container-image="$img" sh -c "$show" | sort)
	[ "$out" = "$(printf 'unset 0\nunset 1')" ] || { echo "auto did not bind the tasks apart: $out"; return 1; }
	out=$(as srun -n2 --container-cpu-bind=none --container-image="$img" sh -c "$show" | sort)
	[ "$out" = "$(printf 'unset 0-1\nunset 0-1')" ] || { echo "--container-cpu-bind=none bound them: $out"; return 1; }
}

# last: cluster.sh stop leaves no daemon, no step and no cgroup of Slurm's
test_stop_leaves_nothing() {
	local S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm} pids=() f n
	for f in "$S"/run/*.pid; do pids+=("$(cat "$f")"); done
	mapfile -t nodes < <(sinfo -h -N -o %N)
	bash "$top/tests/slurm/cluster.sh" stop || return 1
	for n in "${pids[@]}"; do
		kill -0 "$n" 2>/dev/null && { echo "pid $n ($(cat /proc/"$n"/comm)) outlived stop"; return 1; }
	done
	# the epilogs' AdminComment merges end when slurmdbd is gone
	for _ in $(seq 20); do pgrep -f 'slurmstepd spank epilog' >/dev/null || break; sleep 0.5; done
	pgrep -fa 'slurmstepd spank epilog' && { echo "an epilog's merge is left"; return 1; }
	pgrep -x slurmstepd >/dev/null && { echo "a slurmstepd is left"; return 1; }
	for n in "${nodes[@]}"; do
		f=$(find /sys/fs/cgroup -maxdepth 2 -name "slurm_$n")
		[ -z "$f" ] || { echo "cgroups left: $f"; return 1; }
	done
	f=$(find /sys/fs/cgroup -maxdepth 2 -type d -name husk-slurm-test-holders)
	[ -z "$f" ] || { echo "the holders' cgroups are left: $f"; return 1; }
	[ ! -e "$S" ] || { echo "$S is left"; return 1; }
}

tests=(plain_srun help_lists_options two_nodes container_image srun_container_option srun_container_in_sbatch_container two_tasks_bound task_binding site_defaults relative_image
       mounts_and_workdir accounting accounting_concurrent_steps report_job job_array container_name_reuse sbatch_salloc image_env corrupt_image bad_option holder_outside_job scancel_leaves_nothing cpu_bind_auto_without_affinity
       stop_leaves_nothing)
[ $# -gt 0 ] && tests=("$@")
for t in "${tests[@]}"; do check "$t"; done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
