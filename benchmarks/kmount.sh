#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin's mount=kernel beside FUSE and bare srun, in one run, on the
# cluster of tests/slurm/cluster.sh (started with the plugin; this script
# adds `mount=kernel kernel_dirs=DIR` to its plugstack.conf and puts it
# back at the end):
#
#   benchmarks/kmount.sh [-r ROUNDS] [-k REPEATS] [-u USER] [--quick] [--no-warm-up]
#                        [--linger SECONDS] [--raw FILE]                     (as root)
#
# The image is benchmarks/mkimage.sh's (cached; --quick: the busybox one),
# twice: in a root-owned directory listed in kernel_dirs (the kernel
# mount) and in one that is not (FUSE); bare runs the host's tools over
# the same tree unpacked. Each round runs, in an order that turns with the
# round, for each of bare, kernel and FUSE: `srun /bin/true` and `srun sh
# -c 'REPEATS x find /data -type f -exec cat {} +'` (2,000 files opened,
# stat'ed and read, warm). The workload's time is (workload step - true
# step) / REPEATS; every figure is a median with min and max over the
# rounds, and a ratio to bare in the same run. --raw: the figures also go
# to FILE as lines of benchmarks/run.sh's raw.jsonl (group "kmount"), which
# is how run.sh's kmount group runs it. --no-warm-up: no round before the
# measured ones (run.sh --quick, a smoke test). --linger: the plugin's
# kernel_linger (default its own, 60 s), and the script waits at its end
# until the kernel mounts are released (run.sh --quick: 0, so that it
# leaves nothing behind).
set -euo pipefail
rounds=10 reps=10 user=huskuser quick= raw= warm=1 linger=
while [ $# -gt 0 ]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	-k) reps=$2; shift 2 ;;
	-u) user=$2; shift 2 ;;
	--quick) quick=--quick; shift ;;
	--no-warm-up) warm=0; shift ;;
	--linger) linger=$2; shift 2 ;;
	--raw) raw=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
	*) echo "usage: $0 [-r ROUNDS] [-k REPEATS] [-u USER] [--quick] [--no-warm-up] [--linger SECONDS] [--raw FILE]" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}
export SLURM_CONF=$S/etc/slurm.conf
conf=$S/etc/plugstack.conf
[ -f "$conf" ] && sinfo -h >/dev/null 2>&1 || { echo "kmount.sh: error: no cluster (tests/slurm/cluster.sh start \$PWD/.libs/spank_husk.so)" >&2; exit 2; }
src=$("$here/mkimage.sh" $quick "${HUSK_BENCH_CACHE:-/var/cache/husk-bench}")
work=$(mktemp -d /var/tmp/husk-kmount-bench.XXXXXX)
chmod 0755 "$work"
install -d -m 0755 "$work/k" "$work/f"
cp "$src/gzip.sqsh" "$work/k/img.sqsh"
cp "$src/gzip.sqsh" "$work/f/img.sqsh"
chmod 0644 "$work/k/img.sqsh" "$work/f/img.sqsh"
cp "$conf" "$work/plugstack.saved"
kmounts() { grep -c ' /run/husk/kernel' /proc/self/mountinfo || true; }
kmounts0=$(kmounts)
# with --linger: until the kernel mounts made here are released (the
# epilog of the last job), at most the linger and 30 s
released() {
	local i
	[ -n "$linger" ] || return 0
	for i in $(seq $(((linger + 30) * 5))); do
		[ "$(kmounts)" -le "$kmounts0" ] && return 0
		sleep 0.2
	done
	echo "kmount.sh: warning: kernel mounts not released $((linger + 30)) s after the last job" >&2
}
trap 'released; cp "$work/plugstack.saved" "$conf"; rm -rf "$work"' EXIT
sed -i "s|\$| mount=kernel kernel_dirs=$work/k${linger:+ kernel_linger=$linger}|" "$conf"

W='for i in $(seq '"$reps"'); do find DATA -type f -exec cat {} + >/dev/null; done'
cd /tmp
# one line per step: variant kind ms
runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" W="$W" ROUNDS="$rounds" WARM="$warm" K="$work/k/img.sqsh" \
	F="$work/f/img.sqsh" DATA="$src/root/data" bash -c '
	t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || echo "failed: $*" >&2; e=$(date +%s%N); echo $(((e - s) / 1000)); }
	step() {
		case $1 in
		bare) t srun -n 1 "${@:3}" ;;
		kernel) t srun -n 1 --container-image="$K" "${@:3}" ;;
		fuse) t srun -n 1 --container-image="$F" "${@:3}" ;;
		esac
	}
	run() {
		local w=${W//DATA/$([ "$1" = bare ] && echo "$DATA" || echo /data)}
		echo "$1 true $(step "$1" x /bin/true)"
		echo "$1 files $(step "$1" x sh -c "$w")"
	}
	# warm-up: mounts, holders and page cache
	[ "$WARM" = 0 ] || for v in bare kernel fuse; do run "$v" >/dev/null; done
	for r in $(seq "$ROUNDS"); do
		case $((r % 3)) in
		0) order="bare kernel fuse" ;; 1) order="kernel fuse bare" ;; 2) order="fuse bare kernel" ;;
		esac
		for v in $order; do run "$v"; done
	done' >"$work/steps"
# sanity: the kernel steps did use the kernel's squashfs
runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" srun -n 1 --container-image="$work/k/img.sqsh" \
	--container-readonly sh -c 'grep -c " / .* - squashfs /dev/loop" /proc/self/mountinfo' | grep -qx 1 ||
	echo "kmount.sh: warning: the kernel image's root is not a loop squashfs" >&2
runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" srun -n 1 --container-image="$work/f/img.sqsh" \
	--container-readonly sh -c 'grep -c " / .* - fuse" /proc/self/mountinfo' | grep -qx 1 ||
	echo "kmount.sh: warning: the FUSE image's root is not FUSE" >&2

python3 - "$work/steps" "$reps" "$rounds" "$(basename "$src")" "$raw" <<'EOF'
import json, statistics as st, sys
steps, reps, rounds, image, raw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rows = [l.split() for l in open(steps) if l.strip()]
v = {}
for var, kind, us in rows:
    v.setdefault((var, kind), []).append(int(us) / 1000)
def per(var):  # the workload's ms per run, round by round
    return [(f - t) / reps for t, f in zip(v[(var, "true")], v[(var, "files")])]
def fmt(xs, base):
    m = st.median(xs)
    return f"{m:8.1f} ({min(xs):.1f}-{max(xs):.1f})  {m / base:5.2f}x"
bt = st.median(v[("bare", "true")])
bw = st.median(per("bare"))
print(f"image {image}, {rounds} rounds, {reps} workload runs a step; medians (min-max), ratio to bare")
print("| srun -n 1 | step /bin/true, ms | ratio | open+stat+read 2,000 files, ms a run | ratio |")
print("|---|---|---|---|---|")
for var in ("bare", "kernel", "fuse"):
    t = v[(var, "true")]
    w = per(var)
    tm, wm = st.median(t), st.median(w)
    print(f"| {var} | {tm:.1f} ({min(t):.1f}-{max(t):.1f}) | {tm / bt:.2f}x | {wm:.1f} ({min(w):.1f}-{max(w):.1f}) | {wm / bw:.2f}x |")
if raw:
    with open(raw, "a") as f:
        for var in ("bare", "kernel", "fuse"):
            for w, xs in (("srun -n 1 /bin/true step", v[(var, "true")]),
                          ("open+stat+read of 2,000 files in an srun step (a run, less the /bin/true step)", per(var))):
                f.write(json.dumps({"group": "kmount", "workload": w, "tool": var, "as": "user", "unit": "s",
                                    "baseline": "bare", "conc": 1, "times": [x / 1e3 for x in xs]}) + "\n")
kt, ft = st.median(v[("kernel", "true")]), st.median(v[("fuse", "true")])
print(f"step cost over bare: kernel {kt - bt:+.1f} ms, FUSE {ft - bt:+.1f} ms")
EOF
