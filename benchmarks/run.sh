#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk beside bare exec and every peer launcher on this machine, in one run:
#
#   benchmarks/run.sh [--quick] [--only NAME...] [--out DIR] [--runs N] [--start-slurm]
#                     [--big-images]
#
# NAMEs (default: all): true python numpy files mpi cold concurrency
# throughput rest slurm kmount images. rest: an idle holder's memory (RSS and
# PSS from /proc/PID/smaps_rollup, a few seconds after a first container
# ran the workload on a fresh mount) against the 2 MiB target, and the
# holder's CPU per warm container (its threads' run time from
# /proc/PID/task/*/schedstat, and utime+stime, over N warm /bin/true
# runs), and one container at a time after 2 s idle (its wall time, the
# holder's CPU and minor faults: what waking a holder at rest costs);
# with HUSK_BASE=BINARY another husk is measured the same way,
# alternating, in the same run. kmount: benchmarks/kmount.sh (the plugin's
# mount=kernel beside FUSE and bare srun) on the test cluster.
#
# --quick: a smoke test of the harness, not of the numbers (CI runs it,
# tests/bench/run-suite.sh), in under a minute: the busybox image, one to
# three runs of each, every group's code path with small counts; python,
# numpy and mpi need the Debian image and are listed as not measured; the
# Slurm and kmount groups run (one pair a point, no warm-up, one task per
# node) only when the cluster is up and the machine's lock is free, since
# --quick does not wait for it; images: the import of a docker-archive of
# the busybox tree, warm.
# Without --quick the image is a Debian bookworm tree built by
# benchmarks/mkimage.sh with mmdebstrap and cached in $HUSK_BENCH_CACHE
# (default /var/cache/husk-bench), and the repetitions are sized for a
# whole pass (all groups, the cluster up) in about 15 minutes on 2 quiet
# cores (estimated from a quiet run's times; a loaded machine takes several
# times that, benchmarks/RESULTS.md has the measured wall times); --runs N
# scales them (default 20; --runs 10 takes about half as long).
# DIR/groups.txt and the report give each group's wall time.
#
# Tools, each when present and working (the report lists the others and
# why): bare exec, env (the two-exec floor), husk cold and warm with the
# overlay and with --read-only, unshare -Urmpf --mount-proc, bwrap on the
# unpacked tree, ch-run on the tree and on the .sqsh, crun, runc (rootless
# where they run, else as root; the report says which) and podman (as
# root). crun 1.8.1 refuses this machine's hybrid cgroups, so crun (and
# podman, which runs crun) start inside `unshare -m` with a tmpfs over
# /sys/fs/cgroup/unified; that wrapper is measured too and its cost taken
# off their times.
#
# Every figure is the median, min and max over repeated runs, and a ratio
# to its baseline measured in the same run (bare exec of the same program
# on the host, unless the table says otherwise). Output in DIR (default
# benchmarks/out/DATE): raw.jsonl (every time), results.json, results.csv,
# results.md and PNG plots (gnuplot).
#
# Runs as root; husk and the unprivileged tools run as $HUSK_USER (default
# huskuser, created if missing) under that user's test lock
# (/run/lock/husk-tests.lock for huskuser, the machine's), and the
# machine's lock too when it may use the Slurm cluster. Under Slurm (when
# tests/slurm/cluster.sh is up with the husk plugin; --start-slurm starts
# it with this tree's plugin, again if it runs another tree's, and stops
# it at the end) it times srun steps with and without --container-image.
# benchmarks/images.sh is called with --raw DIR/raw.jsonl (its figures in
# the format below) and $HUSK; its standard output goes to DIR/images.txt.
# Its input is a docker-archive of the run's own image tree (the Debian
# one; --quick: busybox); --big-images: images.sh's own, a ~900 MB Debian
# tree with scipy (issue 13's figures; its import pipeline alone takes 6 to
# 28 minutes here).
#
# A line of raw.jsonl: {"group", "workload", "tool", "as", "unit" ("s" or
# "us"), "times": [...], "baseline": TOOL of the same group and workload
# [, "wrapper": TOOL whose extra cost is taken off] [, "conc": N]}.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
here=$top/benchmarks
all_groups=(true python numpy files mpi cold concurrency throughput rest slurm kmount images)
quick=0 out="" runs="" only=() start_slurm=0 big_images=0
argv=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--out) out=${2:?--out needs a directory}; shift ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--start-slurm) start_slurm=1 ;;
	--big-images) big_images=1 ;;
	--only)
		shift
		while [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; do only+=("$1"); shift; done
		[ ${#only[@]} -gt 0 ] || { echo "run.sh: error: --only needs names: ${all_groups[*]}" >&2; exit 2; }
		continue ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e '/SPDX-License-Identifier/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: error: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
for g in "${only[@]}"; do
	[[ " ${all_groups[*]} " == *" $g "* ]] || { echo "run.sh: error: --only $g: not one of ${all_groups[*]}" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run.sh: error: must run as root (drops caches, runs peers as root, husk as \$HUSK_USER)" >&2; exit 2; }
# the test user's lock (huskuser's is the machine's, as in tests/suite.sh),
# and the machine's for the Slurm cluster
lockdir=/run/lock
[ -d $lockdir ] || lockdir=/tmp
user=${HUSK_USER:-huskuser}
if [ -z "${HUSK_TESTS_LOCKED:-}" ]; then
	lock=$lockdir/husk-tests.$user.lock
	[ "$user" = huskuser ] && lock=$lockdir/husk-tests.lock
	flock -n "$lock" true || echo "run.sh: waiting for $lock (a test run holds it)" >&2
	HUSK_TESTS_LOCKED=1 exec flock -o "$lock" bash "$0" "${argv[@]}"
fi
want() {
	[ ${#only[@]} -eq 0 ] && return 0
	[[ " ${only[*]} " == *" $1 "* ]]
}
slurm_conf=${SLURM_CONF:-${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/slurm.conf}
cluster_up() {
	[ -f "$slurm_conf" ] && SLURM_CONF=$slurm_conf scontrol ping >/dev/null 2>&1 &&
		grep -q spank_husk "$(dirname "$slurm_conf")/plugstack.conf" 2>/dev/null
}
# The machine's lock for the cluster: a full run waits for it; --quick
# takes it only when it is free and the cluster is up (else its Slurm and
# kmount groups say why they did not run).
if [ -z "${HUSK_MACHINE_LOCKED:-}" ] && [ "$user" != huskuser ] && { want slurm || want kmount; }; then
	if [ "$quick" = 0 ]; then
		flock -n "$lockdir/husk-tests.lock" true || echo "run.sh: waiting for the machine's $lockdir/husk-tests.lock (the Slurm cluster)" >&2
		HUSK_MACHINE_LOCKED=1 exec flock -o "$lockdir/husk-tests.lock" bash "$0" "${argv[@]}"
	elif cluster_up || [ "$start_slurm" = 1 ]; then
		rc=0
		HUSK_MACHINE_LOCKED=1 flock -n -E 75 -o "$lockdir/husk-tests.lock" bash "$0" "${argv[@]}" || rc=$?
		[ "$rc" = 75 ] || exit "$rc"
		HUSK_MACHINE_LOCKED=busy exec bash "$0" "${argv[@]}"
	fi
fi
t_start=$(date +%s) t_group="" t_group0=0
log() { printf '[%3ds] %s\n' $(($(date +%s) - t_start)) "$*" >&2; }
# group NAME: NAME's part begins (and the last one's ends: its wall time
# goes to DIR/groups.txt); group "": the last one ends
group() {
	local now
	now=$(date +%s%N)
	[ -n "$t_group" ] && awk -v g="$t_group" -v d=$((now - t_group0)) 'BEGIN { printf "%s %.1f\n", g, d / 1e9 }' >>"$out/groups.txt"
	t_group=$1 t_group0=$now
}

# --- set-up: the user, husk, the images -------------------------------------
id -u "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash -c "husk test user" "$user"
uid=$(id -u "$user") gid=$(id -g "$user")
uhome=$(getent passwd "$user" | cut -d: -f6)
rundir=/run/user/$uid
install -d -m 0700 -o "$uid" -g "$gid" "$rundir"
[ -c /dev/fuse ] && chmod 0666 /dev/fuse
for t in hyperfine jq gnuplot python3 bc; do
	command -v $t >/dev/null || { echo "run.sh: error: $t not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
if [ "$quick" = 0 ]; then
	need=()
	for p in mmdebstrap libopenmpi-dev openmpi-bin python3-numpy squashfs-tools; do
		dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
	done
	if [ ${#need[@]} -gt 0 ]; then
		log "installing ${need[*]}"
		apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	fi
	# podman where it installs (the report lists it as missing otherwise)
	if ! command -v podman >/dev/null; then
		log "installing podman"
		{ apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends podman; } >/dev/null 2>&1 ||
			log "podman did not install"
	fi
fi

# (a failed test in $(...) would end the script under set -e: the suffix is set apart)
suffix=""
[ "$quick" = 0 ] || suffix=-quick
out=${out:-$here/out/$(date -u +%Y%m%d-%H%M%S)$suffix}
mkdir -p "$out"
out=$(cd "$out" && pwd)
raw=$out/raw.jsonl
: >"$raw"
: >"$out/missing.txt"
work=$(mktemp -d /tmp/husk-benchrun.XXXXXX)
chmod 0755 "$work"
log "scratch: $work"
uwork=$work/u   # the user's scratch: hyperfine's output, crun's and runc's state
install -d -m 0755 -o "$uid" -g "$gid" "$uwork"
husk=${HUSK:-$top/husk}
[ -x "$husk" ] || { echo "run.sh: error: $husk not built (scripts/build.sh)" >&2; exit 1; }
cp "$husk" "$work/husk" && chmod 0755 "$work/husk" && husk=$work/husk  # reachable by $user wherever the tree is

cleanup() {
	set +e
	[ "${started_slurm:-0}" = 1 ] && "$top/tests/slurm/cluster.sh" stop >/dev/null 2>&1
	as_user "$husk" gc >/dev/null 2>&1
	for d in "$work"/crun-* "$work"/runc-* "$uwork"/crun "$uwork"/runc; do
		[ -d "$d" ] || continue
		for c in $(ls "$d" 2>/dev/null); do
			case $d in *runc*) runc --root "$d" delete -f "$c" ;; *) crun --root "$d" delete -f "$c" ;; esac
		done >/dev/null 2>&1
	done
	rm -rf "$work"
}
trap cleanup EXIT

cache=${HUSK_BENCH_CACHE:-/var/cache/husk-bench}
log "image: $([ "$quick" = 1 ] && echo busybox || echo "Debian by mmdebstrap (a first build takes minutes)")"
img=$("$here/mkimage.sh" $([ "$quick" = 1 ] && echo --quick) "$cache")
sq=$img/gzip.sqsh zsq=$img/zstd.sqsh dir=$img/root

# --- how many of each ----------------------------------------------------------
# --quick: enough to run every group's code path; full: a whole pass in
# about 15 minutes on 2 quiet cores (estimated; benchmarks/RESULTS.md has
# each group's measured wall time); --runs N scales the full one.
if [ "$quick" = 1 ]; then
	r=${runs:-2} warmup=0 warmup_batch=0
	n_true=$((r + 1)) n_files=1 n_root=$r
	cold_w=true cold_rounds=1
	conc_levels=(1 2) conc_ws=(files) conc_runs=1
	thr_n=20 thr_reps=1
	rest_w=files rest_rounds=1 rest_warm=10 rest_idle=2 rest_after_idle=1
	slurm_pairs=1 slurm_job_steps=3 slurm_job_rounds=1 slurm_curve_pairs=1 slurm_tpn=(1) slurm_warm=0
	kmount_rounds=1 kmount_reps=1
	images_rounds=1
else
	# (warmup_batch: concurrency and throughput, whose commands are batches)
	r=${runs:-20} warmup=2 warmup_batch=1
	n_true=$((r * 3)) n_files=$((r / 2 + 1)) n_root=$((r > 10 ? 10 : r))
	cold_w=numpy cold_rounds=5
	conc_levels=(1 2 4 8 16 32) conc_ws=(numpy files) conc_runs=$((r / 4 + 1))
	thr_n=1000 thr_reps=$((r / 6 + 1))
	rest_w=numpy rest_rounds=3 rest_warm=500 rest_idle=3 rest_after_idle=5
	slurm_pairs=$r slurm_job_steps=50 slurm_job_rounds=3 slurm_curve_pairs=$((r / 3 + 2)) slurm_tpn=(1 2 4 8) slurm_warm=1
	kmount_rounds=$((r / 2)) kmount_reps=10
	images_rounds=1
fi

# as_user CMD...: CMD as the user with a login-like environment
uenv=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$uhome" USER="$user" LOGNAME="$user" LANG=C
	XDG_RUNTIME_DIR="$rundir" OMPI_MCA_plm=isolated OMPI_MCA_btl_vader_single_copy_mechanism=none
	OMPI_MCA_rmaps_base_oversubscribe=1)
as_user() { setpriv --reuid="$uid" --regid="$gid" --init-groups "${uenv[@]}" "$@"; }
missing() { echo "$1: $2" >>"$out/missing.txt"; log "missing: $1: $2"; }

# probe AS CMD...: does CMD run (exit 0) as AS (user or root)? Its output
# goes to $work/probe.log.
probe() {
	local who=$1; shift
	if [ "$who" = user ]; then
		as_user "$@" >"$work/probe.log" 2>&1 </dev/null
	else
		"$@" >"$work/probe.log" 2>&1 </dev/null
	fi
}
probe_msg() { tail -n 1 "$work/probe.log" | cut -c1-160; }

# hf GROUP WORKLOAD AS BASELINE RUNS [--conc] -- TOOL CMDSTRING [TOOL CMDSTRING...]
# One hyperfine run of all the commands (as AS, user or root), each RUNS
# times; appends a line per command to raw.jsonl. A TOOL "name@wrapper"
# names the wrapper tool whose cost is taken off. A TOOL "name#C" is the
# command at concurrency C.
hf() {
	local group=$1 workload=$2 who=$3 base=$4 n=$5; shift 5
	[ "$1" = -- ] && shift
	local names=() args=() i
	while [ $# -gt 0 ]; do names+=("$1"); args+=("$2"); shift 2; done
	local js=$uwork/hf.json
	local w=$warmup
	case $group in concurrency | throughput) w=$warmup_batch ;; esac
	local cmd=(hyperfine -N -w "$w" -r "$n" --export-json "$js" --style none)
	rm -f "$js"
	if [ "$who" = user ]; then
		(cd "$work" && as_user "${cmd[@]}" "${args[@]}") >"$work/hf.log" 2>&1 </dev/null
	else
		(cd "$work" && "${cmd[@]}" "${args[@]}") >"$work/hf.log" 2>&1 </dev/null
	fi || { log "hyperfine failed ($group $workload): $(tail -n 3 "$work/hf.log")"; return 0; }
	for i in "${!names[@]}"; do
		local t=${names[$i]} wrap="" conc=1
		[[ $t == *@* ]] && { wrap=${t#*@}; t=${t%@*}; }
		[[ $t == *#* ]] && { conc=${t#*#}; t=${t%#*}; }
		jq -c --arg g "$group" --arg w "$workload" --arg t "$t" --arg who "$who" --arg b "$base" \
			--arg wrap "$wrap" --argjson conc "$conc" --argjson i "$i" \
			'{group: $g, workload: $w, tool: $t, "as": $who, unit: "s", baseline: $b, conc: $conc,
			  times: .results[$i].times, command: .results[$i].command}
			 + (if $wrap != "" then {wrapper: $wrap} else {} end)' "$js" >>"$raw"
	done
}

# record GROUP WORKLOAD TOOL AS UNIT BASELINE FILE [EXTRA-JSON]: a line from
# a file of numbers (one a line)
record() {
	jq -c -s --arg g "$1" --arg w "$2" --arg t "$3" --arg who "$4" --arg u "$5" --arg b "$6" \
		--argjson x "${8:-{\}}" '{group: $g, workload: $w, tool: $t, "as": $who, unit: $u,
		baseline: $b, conc: 1, times: .} + $x' "$7" >>"$raw"
}

# --- the tools ---------------------------------------------------------------
# In the image: W is the workload's argv as one string. On the host: HW.
declare -A wl hw label=([true]="/bin/true" [python]="python3 -c pass" [numpy]="import numpy"
	[files]="open+stat+read of 2,000 files (find -exec cat)")
wl[true]="/bin/true"
hw[true]="/bin/true"
wl[python]="python3 -c pass"
hw[python]="/usr/bin/python3 -c pass"
wl[numpy]="python3 -c \"import numpy\""
hw[numpy]="/usr/bin/python3 -c \"import numpy\""
wl[files]="find /data -type f -exec cat {} +"
hw[files]="find $dir/data -type f -exec cat {} +"

cgwrap="mount -t tmpfs none /sys/fs/cgroup/unified"
# OCI bundles: one a workload (the command is in config.json), rootless
# (uid mappings of the user) or root
bundle() { # KIND(user|userns|root) WORKLOAD -> bundle directory
	local b=$work/bundle-$1-$2 spec hu=$uid hg=$gid
	[ "$1" = userns ] && hu=0 hg=0   # crun runs in unshare -Urm, as uid 0 there
	[ -d "$b" ] && { echo "$b"; return; }
	mkdir -p "$b"
	if [ "$1" != root ]; then spec=$(cd "$b" && runc spec --rootless && cat config.json); else spec=$(cd "$b" && runc spec && cat config.json); fi
	# the workload's argv from its string, as hyperfine would split it
	local argv
	argv=$(python3 -c 'import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))' "${wl[$2]}")
	jq --arg r "$dir" --argjson a "$argv" --argjson u "$hu" --argjson g "$hg" \
		'.root = {path: $r, readonly: true} | .process.terminal = false | .process.args = $a
		 | .process.env += ["HOME=/tmp"] | .process.cwd = "/"
		 | .hostname = "bench" | .linux.namespaces |= map(select(.type != "network"))
		 | if .linux.uidMappings then .linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}]
		   | .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}] else . end' \
		<<<"$spec" >"$b/config.json"
	chmod -R a+rX "$b"
	echo "$b"
}

# tools_for WORKLOAD: fills utools/rtools (name, command) with the tools
# that run this workload here, as the user and as root
declare -a utools rtools
declare -A oci_as   # crun/runc/podman: "rootless" or "root"
tools_for() {
	local w=$1 W=${wl[$1]} H=${hw[$1]} b
	utools=(bare "$H")
	rtools=()
	[ "$w" = true ] && utools+=(env "env $H")
	utools+=(husk-warm "$husk run --linger 600 $sq -- $W"
		husk-warm-ro "$husk run --linger 600 --read-only $sq -- $W"
		husk-cold "$husk run --linger 0 $sq -- $W"
		husk-cold-ro "$husk run --linger 0 --read-only $sq -- $W")
	[ -n "${have[unshare]:-}" ] && utools+=(unshare "unshare -Urmpf --mount-proc $H")
	[ -n "${have[bwrap]:-}" ] && utools+=(bwrap "bwrap --unshare-all --share-net --ro-bind $dir / --dev /dev --proc /proc --tmpfs /tmp $W")
	[ -n "${have[chrun_dir]:-}" ] && utools+=(ch-run-dir "ch-run $dir -- $W")
	[ -n "${have[chrun_sqsh]:-}" ] && utools+=(ch-run-sqsh "ch-run $sq -- $W")
	case ${oci_as[crun]:-} in
	rootless) b=$(bundle userns "$w")
		utools+=("crun@cgwrap-user" "unshare -Urm sh -c \"$cgwrap && exec crun --root $uwork/crun --cgroup-manager=disabled run --bundle $b b$w\""
			cgwrap-user "unshare -Urm sh -c \"$cgwrap && exec /bin/true\"") ;;
	root) b=$(bundle root "$w")
		rtools+=("crun@cgwrap" "unshare -m sh -c \"$cgwrap && exec crun --root $work/crun-root --cgroup-manager=disabled run --bundle $b b$w\"") ;;
	esac
	case ${oci_as[runc]:-} in
	rootless) b=$(bundle user "$w"); utools+=(runc "runc --root $uwork/runc run --bundle $b r$w") ;;
	root) b=$(bundle root "$w"); rtools+=(runc "runc --root $work/runc-root run --bundle $b r$w") ;;
	esac
	if [ "${oci_as[crun]:-}" = rootless ] && [ "$w" != true ]; then utools+=(bare-true /bin/true); fi
	# the machine drifts: bare again at the end shows how much
	utools+=(bare-again "$H")
	# (podman's command is inside sh -c "...": the workload's quotes escaped,
	# or `python3 -c "import numpy"` ends the string and fails)
	if [ "${oci_as[podman]:-}" = root ] && { [ "$quick" = 0 ] || [ "$w" = true ]; }; then
		rtools+=("podman@cgwrap" "unshare -m sh -c \"$cgwrap && exec podman run --rm --cgroups=disabled --network=host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --rootfs $dir ${W//\"/\\\"}\"")
	fi
	if [ ${#rtools[@]} -gt 0 ]; then
		rtools=(bare "$H" cgwrap "unshare -m sh -c \"$cgwrap && exec /bin/true\"" "${rtools[@]}")
		[ "$w" = true ] || rtools+=(bare-true /bin/true)
	fi
	return 0
}

# which tools run here
declare -A have
log "probing tools"
as_user "$husk" run --linger 600 "$sq" -- /bin/true || { echo "run.sh: error: husk does not run $sq as $user" >&2; exit 1; }
as_user "$husk" run --linger 600 "$zsq" -- /bin/true >/dev/null 2>&1 || true
if command -v unshare >/dev/null && probe user unshare -Urmpf --mount-proc /bin/true; then have[unshare]=1; else missing unshare "$(probe_msg)"; fi
if ! command -v bwrap >/dev/null; then missing bwrap "not installed"
elif probe user bwrap --unshare-all --share-net --ro-bind "$dir" / --dev /dev --proc /proc --tmpfs /tmp /bin/true; then have[bwrap]=1
else missing bwrap "$(probe_msg)"; fi
if ! command -v ch-run >/dev/null; then missing ch-run "not installed"
else
	if probe user ch-run "$dir" -- /bin/true; then have[chrun_dir]=1; else missing ch-run-dir "$(probe_msg)"; fi
	if probe user ch-run "$sq" -- /bin/true; then have[chrun_sqsh]=1; else missing ch-run-sqsh "$(probe_msg)"; fi
fi
if ! command -v crun >/dev/null; then missing crun "not installed"
else
	b=$(bundle userns true)
	if probe user unshare -Urm sh -c "$cgwrap && exec crun --root $uwork/crun --cgroup-manager=disabled run --bundle $b probe"; then oci_as[crun]=rootless
	else
		log "crun rootless: $(probe_msg); trying as root"
		b=$(bundle root true)
		if probe root unshare -m sh -c "$cgwrap && exec crun --root $work/crun-root --cgroup-manager=disabled run --bundle $b probe"; then oci_as[crun]=root
		else missing crun "$(probe_msg)"; fi
	fi
fi
if ! command -v runc >/dev/null; then missing runc "not installed"
else
	b=$(bundle user true)
	if probe user runc --root "$uwork/runc" run --bundle "$b" probe; then oci_as[runc]=rootless
	else
		log "runc rootless: $(probe_msg); trying as root"
		b=$(bundle root true)
		if probe root runc --root "$work/runc-root" run --bundle "$b" probe; then oci_as[runc]=root
		else missing runc "$(probe_msg)"; fi
	fi
fi
if ! command -v podman >/dev/null; then missing podman "not installed"
elif probe root unshare -m sh -c "$cgwrap && exec podman run --rm --cgroups=disabled --network=host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --rootfs $dir /bin/true"; then
	oci_as[podman]=root
	echo "podman: rootless not tried (as root it needs --cgroups=disabled and lower ulimits here)" >>"$out/missing.txt"
else missing podman "$(probe_msg)"; fi
for t in crun runc podman; do [ -n "${oci_as[$t]:-}" ] && log "$t runs $([ "${oci_as[$t]}" = root ] && echo as root || echo rootless)"; done

# --- start-up workloads ------------------------------------------------------
latency() { # WORKLOAD RUNS
	local w=$1 n=$2
	tools_for "$w"
	log "latency: $w (${#utools[@]}/2 tools as $user, $n runs each)"
	hf latency "${label[$w]}" user bare "$n" -- "${utools[@]}"
	if [ ${#rtools[@]} -gt 0 ]; then
		log "latency: $w (${#rtools[@]}/2 tools as root)"
		hf latency "${label[$w]}" root bare "$(( n > n_root ? n_root : n ))" -- "${rtools[@]}"
	fi
}
want true && { group true; latency true "$n_true"; }
want files && { group files; latency files "$n_files"; }
for g in python numpy; do
	want $g || continue
	if [ "$quick" = 1 ]; then missing "$g" "not in --quick (needs the Debian image)"; continue; fi
	group $g
	latency $g "$r"
done

# --- MPI ping-pong in one container --------------------------------------------
if [ "$quick" = 1 ] && want mpi; then missing mpi "not in --quick (needs the Debian image)"
elif want mpi; then
	group mpi
	log "mpi: ping-pong, 2 ranks in one container"
	mpicc -O2 -o "$work/pingpong" "$here/pingpong.c" && chmod 0755 "$work/pingpong"
	mpi="mpirun -np 2 --oversubscribe"
	declare -A mcmd=([bare]="$mpi $work/pingpong"
		[husk-warm]="$husk run --linger 600 $sq -- $mpi /usr/local/bin/pingpong")
	[ -n "${have[bwrap]:-}" ] && mcmd[bwrap]="bwrap --unshare-all --share-net --ro-bind $dir / --ro-bind /etc/hosts /etc/hosts --dev /dev --proc /proc --tmpfs /tmp --tmpfs /dev/shm $mpi /usr/local/bin/pingpong"
	for t in bare husk-warm bwrap; do
		[ -n "${mcmd[$t]:-}" ] || continue
		: >"$work/mpi-$t.s"; : >"$work/mpi-$t.us"
		for i in $(seq $((r / 3 + 2))); do
			s=$(date +%s%N)
			o=$(cd "$work" && as_user sh -c "${mcmd[$t]}" 2>"$work/mpi.err") || { log "mpi $t: $(tail -n 2 "$work/mpi.err")"; break; }
			e=$(date +%s%N)
			awk -v d=$((e - s)) 'BEGIN { printf "%.9f\n", d / 1e9 }' >>"$work/mpi-$t.s"
			sed -n 's/^pingpong_us //p' <<<"$o" >>"$work/mpi-$t.us"
		done
		[ -s "$work/mpi-$t.us" ] || { missing "mpi $t" "$(tail -n 1 "$work/mpi.err")"; continue; }
		record mpi "mpirun -np 2 (wall)" "$t" user s bare "$work/mpi-$t.s"
		record mpi "ping-pong round trip" "$t" user us bare "$work/mpi-$t.us"
	done
fi

# --- cold: after dropping the page cache (as root) --------------------------
if want cold; then
	group cold
	w=$cold_w n=$cold_rounds
	log "cold: $w after dropping caches, $n runs each"
	declare -A ccmd=([bare]="${hw[$w]}"
		[husk-cold-gzip]="$husk run --linger 0 $sq -- ${wl[$w]}"
		[husk-cold-zstd]="$husk run --linger 0 $zsq -- ${wl[$w]}"
		[husk-warm-gzip]="$husk run --linger 600 $sq -- ${wl[$w]}"
		[husk-warm-zstd]="$husk run --linger 600 $zsq -- ${wl[$w]}")
	[ -n "${have[bwrap]:-}" ] && ccmd[bwrap]="bwrap --unshare-all --share-net --ro-bind $dir / --dev /dev --proc /proc --tmpfs /tmp ${wl[$w]}"
	order=(bare husk-cold-gzip husk-cold-zstd husk-warm-gzip husk-warm-zstd bwrap)
	for t in "${order[@]}"; do : >"$work/cold-$t"; done
	for i in $(seq "$n"); do
		for t in "${order[@]}"; do
			[ -n "${ccmd[$t]:-}" ] || continue
			sync; echo 3 >/proc/sys/vm/drop_caches
			s=$(date +%s%N)
			(cd "$work" && as_user sh -c "${ccmd[$t]}" >/dev/null 2>"$work/cold.err") || log "cold $t failed: $(tail -n 1 "$work/cold.err")"
			e=$(date +%s%N)
			awk -v d=$((e - s)) 'BEGIN { printf "%.9f\n", d / 1e9 }' >>"$work/cold-$t"
		done
		order=("${order[@]:1}" "${order[0]}")   # a different tool first each round
	done
	for t in "${!ccmd[@]}"; do record cold "${label[$w]}, caches dropped" "$t" user s bare "$work/cold-$t"; done
fi

# --- concurrency: C copies at once --------------------------------------------
cat >"$work/conc.sh" <<'EOF'
# conc.sh C CMD...: C copies of CMD at once; waits for all
c=$1; shift
i=0
while [ $i -lt "$c" ]; do "$@" >/dev/null & i=$((i + 1)); done
wait
EOF
if want concurrency; then
	group concurrency
	levels=("${conc_levels[@]}") ws=("${conc_ws[@]}") n=$conc_runs
	for w in "${ws[@]}"; do
		args=()
		for c in "${levels[@]}"; do
			args+=("bare#$c" "sh $work/conc.sh $c ${hw[$w]}" "husk-warm#$c" "sh $work/conc.sh $c $husk run --linger 600 $sq -- ${wl[$w]}")
			[ -n "${have[bwrap]:-}" ] && args+=("bwrap#$c" "sh $work/conc.sh $c bwrap --unshare-all --share-net --ro-bind $dir / --dev /dev --proc /proc --tmpfs /tmp ${wl[$w]}")
		done
		log "concurrency: $w at ${levels[*]} ($n runs each)"
		hf concurrency "${label[$w]}" user bare "$n" -- "${args[@]}"
	done
fi

# --- throughput: N containers, 2 at a time -----------------------------------
cat >"$work/thr.sh" <<'EOF'
# thr.sh N P CMD...: N runs of CMD, P at a time
n=$1 p=$2; shift 2
seq "$n" | xargs -P "$p" -I{} "$@" >/dev/null
EOF
if want throughput; then
	group throughput
	n=$thr_n reps=$thr_reps
	args=(bare "sh $work/thr.sh $n 2 /bin/true" env "sh $work/thr.sh $n 2 env /bin/true"
		husk-warm "sh $work/thr.sh $n 2 $husk run --linger 600 $sq -- /bin/true"
		husk-warm-ro "sh $work/thr.sh $n 2 $husk run --linger 600 --read-only $sq -- /bin/true")
	[ -n "${have[bwrap]:-}" ] && args+=(bwrap "sh $work/thr.sh $n 2 bwrap --unshare-all --share-net --ro-bind $dir / --dev /dev --proc /proc --tmpfs /tmp /bin/true")
	log "throughput: $n runs of /bin/true 2 at a time, $reps times each"
	hf throughput "$n x /bin/true, 2 at a time" user bare "$reps" -- "${args[@]}"
	# hyperfine's seconds for N runs; the report turns them into runs a second
	jq -c --argjson n "$n" 'if .group == "throughput" then . + {count: $n} else . end' "$raw" >"$work/raw2" && mv "$work/raw2" "$raw"
fi

# --- at rest: an idle holder's memory, and its CPU per container -------------
# holder_of IMAGE: the pid of the user's holder of IMAGE
holder_of() { as_user "$husk" ps | awk -v i="$1" 'NR > 1 && $NF == i { print $1; exit }'; }
# cpu_ns PID: run time of all its threads (ns); cpu_ticks PID: utime+stime
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s }'; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat; }
# minflt PID: minor page faults of all its threads
minflt() { cat /proc/"$1"/task/*/stat | awk '{ sub(/^.*\) /, ""); s += $8 } END { printf "%d\n", s }'; }
if want rest; then
	group rest
	w=$rest_w rounds=$rest_rounds nwarm=$rest_warm
	hz=$(getconf CLK_TCK)
	bins=(husk "$husk")
	if [ -n "${HUSK_BASE:-}" ]; then
		cp "$HUSK_BASE" "$work/husk-base" && chmod 0755 "$work/husk-base"
		bins+=(husk-base "$work/husk-base")
	fi
	log "rest: ${wl[$w]} on a fresh mount, idle $rest_idle s, memory; then $nwarm warm /bin/true, the holder's CPU and $rest_after_idle after 2 s idle each ($rounds rounds)"
	echo 2048 >"$work/rest-target"
	for i in $(seq "$rounds"); do
		for ((k = 0; k < ${#bins[@]}; k += 2)); do
			t=${bins[$k]} b=${bins[$((k + 1))]}
			as_user "$b" gc >/dev/null 2>&1 || true
			(cd "$work" && as_user sh -c "$b run --linger 600 $sq -- ${wl[$w]}" >/dev/null 2>"$work/rest.err") ||
				{ log "rest $t: $(tail -n 1 "$work/rest.err")"; continue; }
			# its pid first: husk ps asks the holder, which then runs
			# code it had unmapped at rest
			p=$(holder_of "$sq")
			[ -n "$p" ] || { log "rest $t: no holder of $sq"; continue; }
			sleep "$rest_idle"
			for f in Rss Pss Pss_Anon Pss_File; do
				awk -v f="$f:" '$1 == f { print $2 }' /proc/"$p"/smaps_rollup >>"$work/rest-$t-$f"
			done
			awk '/^Threads:/ { print $2 }' /proc/"$p"/status >>"$work/rest-$t-threads"
			c0=$(cpu_ns "$p") k0=$(cpu_ticks "$p") s=$(date +%s%N)
			for j in $(seq "$nwarm"); do as_user "$b" run --linger 600 "$sq" -- /bin/true || break; done
			e=$(date +%s%N) c1=$(cpu_ns "$p") k1=$(cpu_ticks "$p")
			[ "$(holder_of "$sq")" = "$p" ] || log "rest $t: the warm runs did not all join holder $p"
			awk -v d=$((c1 - c0)) -v n="$nwarm" 'BEGIN { printf "%.3f\n", d / n / 1e3 }' >>"$work/rest-$t-cpu"
			awk -v d=$((k1 - k0)) -v n="$nwarm" -v hz="$hz" 'BEGIN { printf "%.3f\n", d / hz / n * 1e6 }' >>"$work/rest-$t-ticks"
			awk -v d=$((e - s)) -v n="$nwarm" 'BEGIN { printf "%.3f\n", d / n / 1e3 }' >>"$work/rest-$t-wall"
			# one container at a time after 2 s without one: the holder
			# at rest (its caches freed, its code pages unmapped) wakes
			for j in $(seq "$rest_after_idle"); do
				sleep 2
				c0=$(cpu_ns "$p") f0=$(minflt "$p") s=$(date +%s%N)
				as_user "$b" run --linger 600 "$sq" -- /bin/true || break
				e=$(date +%s%N) c1=$(cpu_ns "$p") f1=$(minflt "$p")
				echo $(((e - s) / 1000)) >>"$work/rest-$t-iwall"
				echo $(((c1 - c0) / 1000)) >>"$work/rest-$t-icpu"
				echo $((f1 - f0)) >>"$work/rest-$t-iflt"
			done
			as_user "$b" gc >/dev/null 2>&1 || true
		done
	done
	mw="idle holder after ${label[$w]} (KiB)"
	record rest "$mw" target user KiB target "$work/rest-target"
	for ((k = 0; k < ${#bins[@]}; k += 2)); do
		t=${bins[$k]}
		[ -s "$work/rest-$t-Rss" ] || continue
		record rest "$mw" "$t RSS" user KiB target "$work/rest-$t-Rss"
		record rest "$mw" "$t PSS" user KiB target "$work/rest-$t-Pss"
		record rest "$mw" "$t PSS anon" user KiB target "$work/rest-$t-Pss_Anon"
		record rest "$mw" "$t PSS file" user KiB target "$work/rest-$t-Pss_File"
		record rest "$mw" "$t threads" user n "husk threads" "$work/rest-$t-threads" '{"kind": "count"}'
		cw="holder CPU per warm /bin/true container (us)"
		record rest "$cw" "$t wall per container" user us "$t wall per container" "$work/rest-$t-wall"
		record rest "$cw" "$t holder CPU (schedstat)" user us "$t wall per container" "$work/rest-$t-cpu" '{"kind": "cpu"}'
		record rest "$cw" "$t holder CPU (utime+stime)" user us "$t wall per container" "$work/rest-$t-ticks" '{"kind": "cpu"}'
		[ -s "$work/rest-$t-iwall" ] || continue
		iw="one container after 2 s idle (us)" ib=husk
		[ -n "${HUSK_BASE:-}" ] && ib=husk-base
		record rest "$iw" "$t wall" user us "$ib wall" "$work/rest-$t-iwall"
		record rest "$iw" "$t holder CPU (schedstat)" user us "$ib holder CPU (schedstat)" "$work/rest-$t-icpu" '{"kind": "cpu"}'
		record rest "$iw" "$t holder minor faults" user n "$ib holder minor faults" "$work/rest-$t-iflt" '{"kind": "count"}'
	done
fi

# --- Slurm ---------------------------------------------------------------------
started_slurm=0
slurm_ok=0
if want slurm || want kmount; then
	group slurm
	if [ "${HUSK_MACHINE_LOCKED:-}" = busy ]; then
		why="the machine's lock $lockdir/husk-tests.lock is held by another run (--quick does not wait for it)"
	elif [ "$start_slurm" = 1 ] && ! { cluster_up && grep -qF "$top/.libs/spank_husk.so" "$(dirname "$slurm_conf")/plugstack.conf"; }; then
		# (a cluster up with another tree's plugin is started again with this one's)
		log "slurm: starting tests/slurm/cluster.sh with $top/.libs/spank_husk.so"
		if HUSK_SLURM_USER=$user "$top/tests/slurm/cluster.sh" start "$top/.libs/spank_husk.so" >"$work/cluster.log" 2>&1; then
			started_slurm=1
		else
			log "slurm: the cluster did not start: $(tail -n 3 "$work/cluster.log")"
		fi
	fi
	if [ "${HUSK_MACHINE_LOCKED:-}" != busy ]; then
		if cluster_up; then slurm_ok=1
		else why="no cluster up with the husk plugin (tests/slurm/cluster.sh start .libs/spank_husk.so, or --start-slurm)"; fi
	fi
	if [ "$slurm_ok" = 0 ]; then
		want slurm && missing slurm "$why"
		want kmount && missing kmount "$why"
	fi
fi
if want slurm && [ "$slurm_ok" = 1 ]; then
	export SLURM_CONF=$slurm_conf
	nnodes=$(sinfo -h -o %D -t idle,mix,alloc | awk '{ s += $1 } END { print s + 0 }')
	log "slurm: $nnodes node names; srun with and without --container-image, alternating ($slurm_pairs pairs)"
	sdir=$(mktemp -d /var/tmp/husk-bench-srun.XXXXXX); chmod 0777 "$sdir"
	pairs=$slurm_pairs
	# pairs LABEL SRUN-ARGS...: alternating bare and container steps
	spairs() {
		local label=$1; shift
		(cd "$sdir" && as_user env SLURM_CONF="$SLURM_CONF" IMAGE="$sq" PAIRS="$pairs" WARM=$slurm_warm bash -c '
			t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || return 1; e=$(date +%s%N); echo $((e - s)); }
			[ "$WARM" = 0 ] || { srun "$@" /bin/true; srun --container-image="$IMAGE" "$@" /bin/true; }
			for i in $(seq "$PAIRS"); do
				if [ $((i % 2)) = 1 ]; then b=$(t srun "$@" /bin/true); c=$(t srun --container-image="$IMAGE" "$@" /bin/true)
				else c=$(t srun --container-image="$IMAGE" "$@" /bin/true); b=$(t srun "$@" /bin/true); fi
				[ -n "$b" ] && [ -n "$c" ] || { echo "srun $* failed" >&2; exit 1; }
				echo "$b $c"
			done' _ "$@") >"$sdir/pairs" 2>"$sdir/err" || { log "slurm $label: $(tail -n 2 "$sdir/err")"; return 0; }
		awk '{ printf "%.9f\n", $1 / 1e9 }' "$sdir/pairs" >"$sdir/b"
		awk '{ printf "%.9f\n", $2 / 1e9 }' "$sdir/pairs" >"$sdir/c"
		record slurm "$label" srun user s srun "$sdir/b"
		record slurm "$label" srun+husk user s srun "$sdir/c"
	}
	spairs "srun -n 1" -n 1
	spairs "srun -n 2" -n 2
	# one job, N steps in a row: the job's own clock
	js=$slurm_job_steps
	log "slurm: a $js-step job, bare and with the container, alternating ($slurm_job_rounds rounds)"
	for i in $(seq "$slurm_job_rounds"); do
		for k in bare husk; do
			ci=""; [ $k = husk ] && ci="--container-image=$sq"
			(cd "$sdir" && as_user env SLURM_CONF="$SLURM_CONF" salloc -Q -N 1 -n 1 bash -c \
				's=$(date +%s%N); for i in $(seq '"$js"'); do srun '"$ci"' /bin/true || exit 1; done; e=$(date +%s%N); echo $((e - s))') \
				>"$sdir/job" 2>"$sdir/err" && awk '{ printf "%.9f\n", $1 / 1e9 }' "$sdir/job" >>"$sdir/job-$k" ||
				log "slurm $js steps $k: $(tail -n 1 "$sdir/err")"
		done
	done
	[ -s "$sdir/job-bare" ] && record slurm "$js steps in one job" srun user s srun "$sdir/job-bare"
	[ -s "$sdir/job-husk" ] && record slurm "$js steps in one job" srun+husk user s srun "$sdir/job-husk"
	# start-up against nodes and tasks per node
	# (tasks per node up to the node's CPUs: Slurm 22.05 here refuses more,
	# even with --overcommit: "Requested node configuration is not available")
	ncpn=$(sinfo -h -o %c | sort -n | head -n 1)
	pairs=$slurm_curve_pairs
	for nn in $(seq "$nnodes"); do
		for tpn in "${slurm_tpn[@]}"; do
			[ "$tpn" -le "${ncpn:-1}" ] || { log "slurm: -N $nn, $tpn tasks per node: skipped (nodes have $ncpn CPUs)"; continue; }
			log "slurm: -N $nn, $tpn tasks per node ($pairs pairs)"
			spairs "curve N=$nn tpn=$tpn" -N "$nn" --ntasks-per-node="$tpn" --overcommit
		done
	done
	rm -rf "$sdir"
fi

# --- kernel squashfs under Slurm: benchmarks/kmount.sh ---------------------------
if want kmount && [ "$slurm_ok" = 1 ]; then
	group kmount
	log "kmount: mount=kernel beside FUSE and bare srun ($kmount_rounds rounds, $kmount_reps runs a step)"
	HUSK_SLURM_DIR=$(dirname "$(dirname "$slurm_conf")") HUSK_BENCH_CACHE=$cache "$here/kmount.sh" \
		-r "$kmount_rounds" -k "$kmount_reps" -u "$user" --raw "$raw" $([ "$quick" = 1 ] && echo --quick --no-warm-up --linger 0) \
		>"$out/kmount.txt" 2>&1 || { log "kmount.sh failed: $(tail -n 2 "$out/kmount.txt")"; missing kmount "kmount.sh failed: $(tail -n 1 "$out/kmount.txt")"; }
fi

if [ "$started_slurm" = 1 ]; then
	group ""
	log "slurm: stopping the cluster"
	"$top/tests/slurm/cluster.sh" stop >/dev/null 2>&1 || true
	started_slurm=0
fi

# --- image work ------------------------------------------------------------------
if want images; then
	group images
	# a docker-archive of the run's image tree, in the scratch directory
	# (--quick: busybox, warm); --big-images: the one images.sh builds once
	# and caches
	iargs=(--rounds "$images_rounds" --raw "$raw")
	[ "$big_images" = 1 ] || iargs+=(--input "$dir" --out "$work/images")
	if [ "$quick" = 1 ]; then
		iargs+=(--warm --parts import)
		echo "images size, pull: not in --quick (the local registry alone takes longer to start than the rest of --quick)" >>"$out/missing.txt"
	fi
	log "images: benchmarks/images.sh ${iargs[*]}"
	# (husk image finds husk-image beside the built husk)
	HUSK=${HUSK:-$top/husk} "$here/images.sh" "${iargs[@]}" >"$out/images.txt" 2>&1 ||
		{ log "images.sh failed: $(tail -n 2 "$out/images.txt")"; missing images "images.sh failed: $(tail -n 1 "$out/images.txt")"; }
fi
group ""

# --- the report ------------------------------------------------------------------
{
	echo "date: $(date -u +%FT%TZ)"
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem/ { print $2 }') GiB"
	echo "kernel: $(uname -r)"
	echo "os: $(. /etc/os-release; echo "$PRETTY_NAME")"
	echo "husk: $("$husk" --version 2>&1 | head -1) ($(git -C "$top" describe --always --dirty 2>/dev/null || echo '?'))"
	for t in hyperfine bwrap ch-run crun runc podman unshare srun mpirun gnuplot; do
		command -v $t >/dev/null && v=$(USER=$user $t --version 2>/dev/null | head -1) && [ -n "$v" ] && echo "$t: $v"
	done
	sed 's/^/image /' "$img/info"
	for t in crun runc podman; do [ -n "${oci_as[$t]:-}" ] && echo "$t runs: ${oci_as[$t]}"; done
	echo "mode: $([ "$quick" = 1 ] && echo quick || echo full), runs: $r (/bin/true: $n_true), whole run: $(($(date +%s) - t_start)) s"
	echo "husk runs as: $user; root tools' baseline: bare exec as root, in their own hyperfine run"
} >"$out/meta.txt"
log "report"
python3 "$here/report.py" "$out"
log "done: $out (results.md, results.csv, results.json, *.png)"
