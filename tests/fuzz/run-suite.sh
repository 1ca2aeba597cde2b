#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer harnesses of husk's parsers (docs/fuzzing.md), built with clang
# -fsanitize=fuzzer,address,undefined over husk's own sources, each run
# briefly on its seed corpus tests/fuzz/corpus/NAME/ (which holds a
# regression input for every crash fixed):
#
#   image    a squashfs image as the FUSE server reads it (images/sqfs.c)
#   options  option values: binds, env, sizes, CPU lists, binding modes
#   config   husk.conf ($HUSK_CONFIG) and --env-file
#   meta     the image's /.husk files (env, workdir, entrypoint, cmd)
#   cgroup   --topology XML and cgroup CPU lists
#   keeper   the Slurm step keeper's description (husk step-keeper's
#            descriptor 4), seeded with descriptions it packs ($FUZZ_SEEDS)
#
#   bash tests/fuzz/run-suite.sh [NAME...]     as root or not, after the build
#
# Each harness runs FUZZ_TIME seconds (default 20; CI: all six in about
# 120 s plus the build), then every corpus input once more; a crash, leak,
# sanitizer report or timeout fails it, and its input is kept in the
# scratch directory (printed). For hours: FUZZ_TIME=3600 FUZZ_KEEP=1.
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
suite_name=fuzz
cd "$top" || exit 1
all=(image options config meta cgroup keeper)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
time=${FUZZ_TIME:-20}

if ! command -v clang >/dev/null; then
	suite_result FAIL "clang not found (scripts/install-deps.sh installs clang and libclang-rt-14-dev)"
	suite_summary
	exit $?
fi
if [ ! -f config.h ] || [ ! -f launcher/seccomp-default.h ]; then
	suite_result FAIL "not built (scripts/build.sh): config.h and launcher/seccomp-default.h are needed"
	suite_summary
	exit $?
fi

work=${FUZZ_WORK:-$(mktemp -d /tmp/husk-fuzz.XXXXXX)}
mkdir -p "$work/obj"
[ "${FUZZ_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
echo "fuzz: scratch $work"

# husk's library sources and flags, from the build's Makefile
vars=$(make -s --no-print-directory -f - print <<'MK'
include Makefile
print: ; @echo "$(filter %.c,$(libhusk_la_SOURCES))"; echo "$(INC_LAUNCHER) $(FUSE3_CFLAGS) $(SECCOMP_CFLAGS) $(HWLOC_CFLAGS) $(JANSSON_CFLAGS) $(YAML_CFLAGS)"; echo "$(filter-out libhusk.la,$(HUSK_LIBS)) $(MUNGE_LIBS)"
MK
)
srcs=$(sed -n 1p <<<"$vars") incs=$(sed -n 2p <<<"$vars") libs=$(sed -n 3p <<<"$vars")
cflags=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
	-DHAVE_CONFIG_H -I. $incs -DSYSCONFDIR='"/nonexistent"' -DPKGLIBEXECDIR='"/nonexistent"'
	-std=gnu11 -w)
echo "fuzz: building husk's sources with clang (ASan, UBSan, coverage)"
export work
# shellcheck disable=SC2086
if ! printf '%s\n' $srcs | xargs -P2 -I{} sh -c 'o="$work/obj/$(echo {} | tr / _).o"; exec "$@" -fsanitize=fuzzer-no-link -c {} -o "$o"' sh clang "${cflags[@]}" 2>"$work/build.log"; then
	suite_result FAIL "building husk's sources with clang"
	suite_indent "$work/build.log"
	suite_summary
	exit $?
fi

# fuzz NAME: build the harness, run it FUZZ_TIME s, then its corpus again
fuzz()
{
	local n=$1 log=$work/$n.log exe=$work/fuzz_$n
	local corpus=$top/tests/fuzz/corpus/$n run=$work/corpus-$n
	# shellcheck disable=SC2086
	if ! clang "${cflags[@]}" -fsanitize=fuzzer "tests/fuzz/fuzz_$n.c" "$work"/obj/*.o $libs -ldl -lm -lpthread \
		-o "$exe" >"$log" 2>&1; then
		suite_result FAIL "fuzz-$n (build)"
		suite_indent "$log"
		return
	fi
	mkdir -p "$run" "$work/crash-$n"
	[ -d "$corpus" ] && cp -r "$corpus"/. "$run"/
	local t0=$SECONDS
	FUZZ_SEEDS=$run TMPDIR=$work UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$top/tests/fuzz/lsan.supp \
		"$exe" -max_total_time="$time" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
		-artifact_prefix="$work/crash-$n/" -print_final_stats=1 "$run" >>"$log" 2>&1
	local rc=$?
	# every seed (the regression inputs too) once more, by itself
	if [ "$rc" = 0 ] && [ -d "$corpus" ]; then
		TMPDIR=$work UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 LSAN_OPTIONS=suppressions=$top/tests/fuzz/lsan.supp "$exe" -runs=0 -artifact_prefix="$work/crash-$n/" "$corpus" >>"$log" 2>&1 || rc=$?
	fi
	local execs
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | sort -n | tail -1)
	echo "fuzz-$n: ${execs:-?} executions in $((SECONDS - t0)) s, corpus $(find "$run" -type f | wc -l) inputs" >>"$log"
	if [ "$rc" = 0 ]; then
		suite_result PASS "fuzz-$n (${execs:-?} executions)"
	else
		suite_result FAIL "fuzz-$n (crash inputs in $work/crash-$n)"
		suite_indent "$log"
		trap - EXIT
	fi
}

for n in "${names[@]}"; do
	if [ ! -f "tests/fuzz/fuzz_$n.c" ]; then
		suite_result FAIL "fuzz-$n: no tests/fuzz/fuzz_$n.c (harnesses: ${all[*]})"
		continue
	fi
	fuzz "$n"
done
suite_summary
