#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk image against the usual pipeline, in one run on one machine (issue 13):
#  1. import of a docker-archive of about 600 MB (Debian bookworm with
#     python3, numpy and scipy by mmdebstrap; layer -> OCI layout -> skopeo
#     copy -> docker-archive): husk image import vs skopeo copy + umoci
#     unpack --rootless + mksquashfs, wall time, peak RSS, peak disk
#  2. output size: husk's zstd and gzip against mksquashfs's defaults, in
#     the import rounds and, on one tree (the archive's layer unpacked by
#     tar as root), husk image build DIR against mksquashfs DIR with its
#     defaults (gzip), -comp zstd (its level 15) and -comp zstd at level 3
#  3. pull from a local registry (tests/images-cli/registry.sh): husk image
#     pull vs skopeo copy docker:// -> oci: alone, wall time and peak RSS
# Times are reported as ratios to the baseline measured in the same run.
#
#   benchmarks/images.sh [--out DIR] [--rounds N] [--parts LIST] [--keep]
#                        [--input TREE] [--raw FILE] [--warm]
#       as root; needs the network to Debian's archive once (the tarball is
#       cached in DIR). --parts: a comma list of import, size, pull (default
#       all three; the import's pipeline takes the longest). --input: the
#       docker-archive is made of TREE (a root file system; made anew each
#       run) instead of the Debian one (benchmarks/run.sh --quick passes
#       its busybox tree). --raw: every figure also goes to FILE as lines
#       of benchmarks/run.sh's raw.jsonl (group "images"; the report's
#       medians, min, max and ratios). --warm: the page cache is not
#       dropped before each command (run.sh --quick: a smoke test, where
#       dropping it only makes a loaded machine slower). $HUSK: the husk
#       binary (default the tree's).
# The pull rounds alternate which of the two goes first.
# Prints a Markdown table (benchmarks/RESULTS.md, section "images").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=/var/tmp/husk-bench-images keep=0 rounds=2 parts=import,size,pull input="" raw="" drop=1
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--keep) keep=1 ;;
	--rounds) rounds=$2; shift ;;
	--parts) parts=$2; shift ;;
	--input) input=$(cd "$2" && pwd); shift ;;
	--raw) raw=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
	--warm) drop=0 ;;
	*) echo "usage: $0 [--out DIR] [--rounds N] [--parts import,size,pull] [--keep] [--input TREE] [--raw FILE] [--warm]" >&2; exit 2 ;;
	esac
	shift
done
husk=${HUSK:-$top/husk}
mkdir -p "$out"
cd "$out"

# figure WORKLOAD TOOL UNIT BASELINE KIND VALUE: one measurement for --raw
declare -A figs=()
figorder=()
figure() {
	local k="$1|$2|$3|$4|$5"
	[ -n "${figs[$k]+x}" ] || figorder+=("$k")
	figs[$k]="${figs[$k]:-} $6"
}

# --- the input: a docker-archive of TREE, made anew, or of a ~900 MB
# Debian tree, made once ---
if [ -n "$input" ]; then
	rm -rf L docker.tar
	tar -C "$input" --numeric-owner -cf rootfs.tar .
fi
if [ ! -f docker.tar ]; then
	if [ -z "$input" ]; then
		rm -rf L rootfs.tar
		mmdebstrap --quiet --variant=minbase --include=python3,python3-numpy,python3-scipy bookworm rootfs.tar
	fi
	mkdir -p L/blobs/sha256
	lh=$(sha256sum rootfs.tar | cut -d' ' -f1); ls=$(stat -c %s rootfs.tar)
	mv rootfs.tar "L/blobs/sha256/$lh"
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["python3"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$lh" > cfg
	ch=$(sha256sum cfg | cut -d' ' -f1); cs=$(stat -c %s cfg); mv cfg "L/blobs/sha256/$ch"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$ch" "$cs" "$lh" "$ls" > man
	mh=$(sha256sum man | cut -d' ' -f1); ms=$(stat -c %s man); mv man "L/blobs/sha256/$mh"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' "$mh" "$ms" > L/index.json
	printf '{"imageLayoutVersion":"1.0.0"}' > L/oci-layout
	skopeo copy -q oci:L:t docker-archive:docker.tar:bench/py:t
	rm -rf L
fi
in_mb=$(( $(stat -c %s docker.tar) / 1048576 ))
in_what="a ${in_mb} MB docker-archive"
[ "$in_mb" -gt 0 ] || in_what="a $(( $(stat -c %s docker.tar) / 1024 )) KB docker-archive"

# run NAME CMD...: wall seconds and peak RSS (KiB) of CMD into $secs $rss
run() {
	local name=$1; shift
	[ "$drop" = 0 ] || { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "time.$name" "$@" >/dev/null 2>"err.$name" || { cat "err.$name" >&2; return 1; }
	t1=$(date +%s.%N)
	secs=$(printf %.2f "$(echo "$t1 - $t0" | bc)")
	rss=$(tail -1 "time.$name")
}
# peak disk of a command: the most the scratch directory held, sampled
disk_watch() { # DIR PIDFILE -> prints the peak in MiB
	local peak=0 d
	while [ -f "$2" ]; do
		d=$(du -sm "$1" 2>/dev/null | cut -f1); [ "${d:-0}" -gt "$peak" ] && peak=$d
		sleep 0.2
	done
	echo "$peak"
}

part() { case ",$parts," in *",$1,"*) return 0 ;; esac; return 1; }
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.3f\n", b / 1048576 }'; }
rows=()
part import && for round in $(seq "$rounds"); do
	# the pipeline
	rm -rf scratch && mkdir scratch && touch busy
	disk_watch scratch busy > peak.pipe &
	w=$!
	run pipe sh -c 'skopeo copy -q docker-archive:docker.tar oci:scratch/oci:t &&
		umoci unpack --rootless --image scratch/oci:t scratch/bundle &&
		mksquashfs scratch/bundle/rootfs scratch/pipe.sqsh -noappend -quiet -no-progress'
	rm busy; wait $w
	pipe_s=$secs pipe_rss=$rss pipe_disk=$(cat peak.pipe) pipe_size=$(( $(stat -c %s scratch/pipe.sqsh) / 1048576 ))
	pipe_mb=$(mib scratch/pipe.sqsh)
	rm -rf scratch && mkdir scratch && touch busy
	disk_watch scratch busy > peak.husk &
	w=$!
	run husk "$husk" image import -q docker-archive:docker.tar -o scratch/husk.sqsh
	rm busy; wait $w
	husk_s=$secs husk_rss=$rss husk_disk=$(cat peak.husk) husk_size=$(( $(stat -c %s scratch/husk.sqsh) / 1048576 ))
	run huskgz "$husk" image import -q --compression gzip docker-archive:docker.tar -o scratch/gz.sqsh
	gz_size=$(( $(stat -c %s scratch/gz.sqsh) / 1048576 ))
	gz_s=$secs
	p="skopeo+umoci+mksquashfs"
	figure "import $in_what (wall)" "$p" s "$p" time "$pipe_s"
	figure "import $in_what (wall)" "husk image import" s "$p" time "$husk_s"
	figure "import $in_what (wall)" "husk image import --compression gzip" s "$p" time "$gz_s"
	figure "import $in_what (peak RSS)" "$p" KiB "$p" memory "$pipe_rss"
	figure "import $in_what (peak RSS)" "husk image import" KiB "$p" memory "$husk_rss"
	figure "import $in_what (peak disk)" "$p" MiB "$p" disk "$pipe_disk"
	figure "import $in_what (peak disk)" "husk image import" MiB "$p" disk "$husk_disk"
	figure "import $in_what (output size)" "mksquashfs defaults (gzip)" MiB "mksquashfs defaults (gzip)" size "$pipe_mb"
	figure "import $in_what (output size)" "husk image import (zstd 3)" MiB "mksquashfs defaults (gzip)" size "$(mib scratch/husk.sqsh)"
	figure "import $in_what (output size)" "husk image import --compression gzip" MiB "mksquashfs defaults (gzip)" size "$(mib scratch/gz.sqsh)"
	rows+=("| import ${in_mb} MB docker-archive, round $round | pipeline ${pipe_s} s, ${pipe_rss} KiB RSS, peak disk ${pipe_disk} MiB | husk ${husk_s} s, ${husk_rss} KiB RSS, peak disk ${husk_disk} MiB | $(echo "scale=2; $pipe_s / $husk_s" | bc)x faster; husk zstd ${husk_size} MiB, husk gzip ${gz_size} MiB, mksquashfs defaults ${pipe_size} MiB |")
done
rm -rf scratch

# --- output size on one tree: husk image build against mksquashfs ---
if part size; then
	rm -rf tree sz && mkdir tree sz
	layer=$(tar -xOf docker.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][0])')
	tar -xOf docker.tar "$layer" | tar -x --numeric-owner -C tree
	tree_mb=$(du -sm tree | cut -f1)
	run mkdef mksquashfs tree sz/def.sqsh -noappend -quiet -no-progress
	def_s=$secs def_mb=$(mib sz/def.sqsh)
	run mkz15 mksquashfs tree sz/z15.sqsh -noappend -quiet -no-progress -comp zstd
	z15_s=$secs z15_mb=$(mib sz/z15.sqsh)
	run mkz3 mksquashfs tree sz/z3.sqsh -noappend -quiet -no-progress -comp zstd -Xcompression-level 3
	z3_s=$secs z3_mb=$(mib sz/z3.sqsh)
	run hz3 "$husk" image build -q tree -o sz/h3.sqsh
	h3_s=$secs h3_mb=$(mib sz/h3.sqsh)
	run hgz "$husk" image build -q --compression gzip tree -o sz/hgz.sqsh
	hgz_s=$secs hgz_mb=$(mib sz/hgz.sqsh)
	r() { printf %.2f "$(echo "scale=4; $1 / $2" | bc)"; }
	tw="build one ${tree_mb} MiB tree"
	z3="mksquashfs -comp zstd -Xcompression-level 3" gz="mksquashfs (defaults: gzip)"
	for t in "$z3|$z3|$z3_s|$z3_mb" "husk image build (zstd 3)|$z3|$h3_s|$h3_mb" "$gz|$gz|$def_s|$def_mb" \
		"husk image build --compression gzip|$gz|$hgz_s|$hgz_mb" "mksquashfs -comp zstd (level 15)|$z3|$z15_s|$z15_mb"; do
		IFS='|' read -r tool base t_s t_mb <<<"$t"
		figure "$tw (wall)" "$tool" s "$base" time "$t_s"
		figure "$tw (output size)" "$tool" MiB "$base" size "$t_mb"
	done
	rows+=("| size, one ${tree_mb} MiB tree, zstd 3 | mksquashfs -comp zstd -Xcompression-level 3: ${z3_mb} MiB, ${z3_s} s | husk image build (zstd 3): ${h3_mb} MiB, ${h3_s} s | size $(r "$h3_mb" "$z3_mb")x, time $(r "$h3_s" "$z3_s")x |")
	rows+=("| size, same tree, gzip | mksquashfs defaults (gzip): ${def_mb} MiB, ${def_s} s | husk image build --compression gzip: ${hgz_mb} MiB, ${hgz_s} s | size $(r "$hgz_mb" "$def_mb")x, time $(r "$hgz_s" "$def_s")x |")
	rows+=("| size, same tree, zstd default levels | mksquashfs -comp zstd (level 15): ${z15_mb} MiB, ${z15_s} s | husk image build (zstd 3): ${h3_mb} MiB, ${h3_s} s | size $(r "$h3_mb" "$z15_mb")x, time $(r "$h3_s" "$z15_s")x |")
	rm -rf tree sz
fi

# --- pull from a local registry ---
part pull && {
reg=$out/reg
rm -rf "$reg"
mkdir -p "$reg"
fx=$out/fx; rm -rf "$fx"; mkdir -p "$fx"
skopeo copy -q docker-archive:docker.tar oci:"$fx"/oci:t
bash "$top/tests/images-cli/registry.sh" start "$reg"
. "$reg/env"
skopeo copy -q --dest-creds husk:s3cret --dest-cert-dir "$reg/certs" oci:"$fx"/oci:t "docker://$REGISTRY/bench/py:t"
sk() {
	rm -rf skopeo-out
	run skopeo skopeo copy -q --src-creds husk:s3cret --src-cert-dir "$reg/certs" "docker://$REGISTRY/bench/py:t" oci:skopeo-out:t
	sk_s=$secs sk_rss=$rss
}
hp() { # a fresh cache each time
	rm -rf pullcache pulled.sqsh
	run pull env SSL_CERT_FILE="$CA" REGISTRY_AUTH_FILE="$AUTH" HUSK_IMAGE_CACHE="$out/pullcache" "$husk" image pull -q "$REGISTRY/bench/py:t" -o pulled.sqsh
	hp_s=$secs hp_rss=$rss
}
for round in $(seq "$rounds"); do
	if [ $((round % 2)) = 1 ]; then sk; hp; first=skopeo; else hp; sk; first=husk; fi
	sc="skopeo copy docker:// -> oci: (download only)" hpn="husk image pull (download, verify, build)"
	figure "pull $in_what from a local registry (wall)" "$sc" s "$sc" time "$sk_s"
	figure "pull $in_what from a local registry (wall)" "$hpn" s "$sc" time "$hp_s"
	figure "pull $in_what from a local registry (peak RSS)" "$sc" KiB "$sc" memory "$sk_rss"
	figure "pull $in_what from a local registry (peak RSS)" "$hpn" KiB "$sc" memory "$hp_rss"
	rows+=("| pull from a local registry, round $round ($first first) | skopeo copy alone ${sk_s} s, ${sk_rss} KiB RSS | husk pull (to a squashfs) ${hp_s} s, ${hp_rss} KiB RSS | $(echo "scale=2; $hp_s / $sk_s" | bc)x skopeo's time, $(echo "scale=2; $hp_rss / $sk_rss" | bc)x its RSS |")
done
bash "$top/tests/images-cli/registry.sh" stop "$reg"
rm -rf pullcache skopeo-out pulled.sqsh "$fx" "$reg"
}

echo "## images ($(date -u +%F), $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| what | baseline | husk | ratio |"
echo "| --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
[ "$keep" = 1 ] || rm -f time.* err.* peak.*
[ -n "$input" ] && rm -f docker.tar
if [ -n "$raw" ]; then
	for k in "${figorder[@]}"; do
		IFS='|' read -r w t u b kd <<<"$k"
		jq -cn --arg w "$w" --arg t "$t" --arg u "$u" --arg b "$kd" --arg base "$b" --arg v "${figs[$k]}" \
			'{group: "images", workload: $w, tool: $t, "as": "root", unit: $u, kind: $b, baseline: $base, conc: 1,
			  times: ($v | split(" ") | map(select(. != "") | tonumber))}' >>"$raw"
	done
fi
