#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk built with AddressSanitizer and UndefinedBehaviorSanitizer (clang,
# --disable-hardening: ASan's interceptors replace _FORTIFY_SOURCE), and
# the integration tests, the mount cache suite and the host cgroup cases
# (tests/cgroup/host-tests.sh) run against that build:
#
#   bash tests/san/run-suite.sh [TEST...]     as root, after the build
#
# The build is a copy of the checkout's files (git ls-files) in a scratch
# directory, configured there, so the tree's own build stays as it is.
# ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 and UBSAN_OPTIONS=
# halt_on_error=1:print_stacktrace=1, each with log_path in the scratch:
# a sanitizer report ends the process that made it (which fails its test)
# and any report file at all fails the suite, naming it (a FUSE server or
# holder in the background fails it too). Leaks are not checked: husk's
# processes are short-lived or exec, and LeakSanitizer cannot run under
# the user namespaces husk makes. Which tests and why: docs/fuzzing.md.
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
suite_name=san
cd "$top" || exit 1

if ! command -v clang >/dev/null; then
	suite_result FAIL "clang not found (scripts/install-deps.sh installs clang and libclang-rt-14-dev)"
	suite_summary
	exit $?
fi
work=$(mktemp -d /tmp/husk-san.XXXXXX)
chmod 0755 "$work"
trap '[ "${HUSK_KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT
src=$work/src
mkdir -p "$src" "$work/logs"
chmod 1777 "$work/logs"
echo "san: building husk with ASan and UBSan in $src"
t0=$SECONDS
if ! { git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$src"; } 2>"$work/build.log" ||
	! (cd "$src" && autoreconf -fi && ./configure --quiet CC=clang --disable-hardening \
		CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" && make -j2) >>"$work/build.log" 2>&1; then
	suite_result FAIL "building husk with sanitizers"
	suite_indent "$work/build.log"
	suite_summary
	exit $?
fi
chmod -R a+rX "$src"
echo "san: built in $((SECONDS - t0)) s"

# every integration test (or those named) but these, which cannot hold for
# a sanitizer build by design:
#   0164  runs under ulimit -v 4 GiB (to catch unbounded reads), and ASan
#         reserves 15 TiB of address space for its shadow memory
#   0165  measures the idle holder's memory (under 1 MiB), which ASan's
#         shadow and quarantine multiply; 0172 too (its RSS under 2 MiB)
#   0170  checks the hardened build, which this one is not
#   0253  runs husk under strace (mpirun's DNS queries), and LeakSanitizer
#         stops the traced process with a fatal error under ptrace
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for t in tests/integration/[0-9]*.sh; do
		t=$(basename "$t" .sh)
		case ${t%%-*} in 0164 | 0165 | 0172 | 0170 | 0253) echo "san: not run: $t (see tests/san/run-suite.sh)" ;; *) tests+=("$t") ;; esac
	done
fi
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:abort_on_error=0:log_path=$work/logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$work/logs/ubsan"
t0=$SECONDS
HUSK=$src/husk HUSK_MAN=$src/husk.1 bash "$top/tests/run.sh" --no-build "${tests[@]}" </dev/null 2>&1 | tee "$work/integration.log"
suite_counts "$work/integration.log" integration
echo "san: integration tests in $((SECONDS - t0)) s"
# the mount cache suite and the host cgroup cases too, when no test is named
if [ $# -eq 0 ]; then
	t0=$SECONDS
	HUSK=$src/husk bash "$top/tests/cache/run-suite.sh" </dev/null 2>&1 | tee "$work/cache.log"
	suite_counts "$work/cache.log" cache
	echo "san: cache tests in $((SECONDS - t0)) s"
	# and the host cgroup cases, with the cgroup driver of this build
	t0=$SECONDS
	if ! make -C "$src" -j2 tests/cgroup/cgtest >"$work/cgtest.log" 2>&1; then
		suite_result FAIL "building tests/cgroup/cgtest with sanitizers"
		suite_indent "$work/cgtest.log"
	else
		suite_cases "[host cgroup] " < <(cd "$src" && timeout -k 5 600 sh tests/cgroup/host-tests.sh "$src/tests/cgroup/cgtest" 2>&1)
	fi
	echo "san: host cgroup cases in $((SECONDS - t0)) s"
fi
# any report, from any process of any test
for f in "$work"/logs/*; do
	[ -f "$f" ] || continue
	suite_result FAIL "sanitizer report $(basename "$f")"
	suite_indent "$f" 40
done
suite_summary
