#!/bin/bash
# Start-up latency of husk beside bare exec and peer launchers, measured in
# one run on one machine, reported as medians and ratios to bare /bin/true.
#
#   benchmarks/startup.sh [-r RUNS] [-u USER] IMAGE.sqsh
#
# Runs as USER (default: the caller; as root, the unprivileged test user
# huskuser if it exists). Needs hyperfine and jq; ch-run and bwrap are
# measured when installed.
set -euo pipefail
runs=300
user=""
while getopts "r:u:" o; do
	case $o in
	r) runs=$OPTARG ;;
	u) user=$OPTARG ;;
	*) echo "usage: $0 [-r RUNS] [-u USER] IMAGE.sqsh" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
image=${1:?usage: $0 [-r RUNS] [-u USER] IMAGE.sqsh}
image=$(realpath "$image")
top=$(cd "$(dirname "$0")/.." && pwd)
husk=${HUSK:-$top/husk}
if [ -z "$user" ] && [ "$(id -u)" = 0 ] && id huskuser >/dev/null 2>&1; then user=huskuser; fi
as_user() { if [ -n "$user" ] && [ "$user" != "$(id -un)" ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }

work=$(mktemp -d /tmp/husk-bench.XXXXXX)
chmod 777 "$work"
trap 'rm -rf "$work"' EXIT
cmds=("/bin/true" "env /bin/true"
      "$husk run --linger 0 $image -- /bin/true"
      "$husk run --linger 0 --read-only $image -- /bin/true"
      "$husk run --linger 60 $image -- /bin/true"
      "$husk run --linger 60 --read-only $image -- /bin/true")
names=("bare /bin/true" "env /bin/true (2 execs, the floor)"
       "husk cold (private mount, overlay)" "husk cold --read-only"
       "husk warm (joins live mount, overlay)" "husk warm --read-only")
if command -v unsquashfs >/dev/null && unsquashfs -lls "$image" bin/busybox >/dev/null 2>&1; then
	# the cold floor for this image: inflating the program's blocks
	cmds+=("unsquashfs -cat $image bin/busybox")
	names+=("unsquashfs -cat bin/busybox (inflate)")
fi
if command -v bwrap >/dev/null; then
	cmds+=("bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --share-net /bin/true")
	names+=("bwrap (host root)")
fi
if command -v ch-run >/dev/null; then
	if as_user ch-run "$image" -- /bin/true >/dev/null 2>&1; then
		cmds+=("ch-run $image -- /bin/true"); names+=("ch-run on the .sqsh")
	fi
	if command -v unsquashfs >/dev/null && unsquashfs -q -d "$work/dir" "$image" >/dev/null 2>&1; then
		chmod -R a+rX "$work/dir"
		cmds+=("ch-run $work/dir -- /bin/true"); names+=("ch-run on a directory")
	fi
fi
args=()
for c in "${cmds[@]}"; do args+=("$c"); done
as_user "$husk" run --linger 60 "$image" -- /bin/true >/dev/null   # the warm runs join this mount
as_user hyperfine -N -w 20 -r "$runs" --export-json "$work/r.json" "${args[@]}" >/dev/null 2>"$work/err" || {
	cat "$work/err" >&2; exit 1; }
base=$(jq '.results[0].median' "$work/r.json")
printf '%-38s %10s %10s\n' "command" "median ms" "x bare"
for i in "${!cmds[@]}"; do
	m=$(jq ".results[$i].median" "$work/r.json")
	printf '%-38s %10.3f %10.2f\n' "${names[$i]}" "$(echo "$m*1000" | bc -l)" "$(echo "$m/$base" | bc -l)"
done
as_user "$husk" gc >/dev/null
echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "image: $(basename "$image") ($(stat -c %s "$image") bytes), $runs runs each"
