#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk's test command: the README quotes it and .ci/run calls it.
#
#   bash tests/run.sh                  everything: deps, build (-Werror), unit
#                                      tests, integration tests, other suites
#   bash tests/run.sh --no-build 0010 0042
#                                      only these integration tests (by number
#                                      or name), on the husk already built
#   TESTS="0010 0042" bash tests/run.sh --no-build      the same
#
# Options:
#   --no-build   skip installing dependencies and building (use ./husk as is)
#   --no-unit    skip the unit tests (make check)
#   --keep       keep the scratch directory (images, logs) and say where
#   -v           print every test's output, not only that of failed ones
#
# Runs as root: it installs packages, creates the unprivileged test user
# ($HUSK_USER, default huskuser), makes /dev/fuse mode 0666 as distributions
# ship it, and runs husk as that user. Every integration test is one file
# tests/integration/NNNN-name.sh that exits 0 (pass), 77 (skip) or else
# (fail). Other suites (tests/slurm, ...) hook in with an executable
# tests/*/run-suite.sh whose last output line is "N passed, N failed"; they
# run when no test is selected. The last line is "N passed, N failed".
# The harness itself (the lock, the test user, running tests by name with a
# timeout, logs, counts) is tests/suite.sh, which every suite shares.
set -uo pipefail

case " $* " in *" -h "* | *" --help "*)
	sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e '/SPDX-License-Identifier/d' -e 's/^# \{0,1\}//'
	exit 0
	;;
esac
. "$(dirname "$0")/suite.sh"
cd "$top" || exit 1
suite_name=integration

build=1 unit=1 keep=0 verbose=0
selected=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) build=0 ;;
	--no-unit) unit=0 ;;
	--keep) keep=1 ;;
	-v | --verbose) verbose=1 ;;
	-*)
		echo "run.sh: unknown option $1 (see tests/run.sh --help)" >&2
		exit 2
		;;
	*) selected+=("$1") ;;
	esac
	shift
done
if [ -n "${TESTS:-}" ]; then
	read -r -a more <<<"$TESTS"
	selected+=("${more[@]}")
fi
# Selecting integration tests means: just those.
if [ ${#selected[@]} -gt 0 ]; then
	unit=0
fi

export HUSK_VERBOSE=$verbose HUSK_KEEP=$keep
start=$(date +%s)

# phase NAME: ends the phase before it, whose wall time goes into the
# "== wall time" line at the end (where CI's time goes, suite by suite).
phase_name="" phase_start=$start phase_times=""
phase()
{
	local now
	now=$(date +%s)
	[ -z "$phase_name" ] || phase_times+="${phase_times:+, }$phase_name $((now - phase_start))s"
	phase_name=$1 phase_start=$now
}

summary()
{
	phase ""
	[ -z "$phase_times" ] || echo "== wall time: $phase_times (total $(($(date +%s) - start))s)"
	[ "$keep" = 0 ] || [ -z "${HUSK_WORK:-}" ] || echo "(kept $HUSK_WORK: images, logs/)"
	suite_summary
	exit $?
}

# --- dependencies and build -------------------------------------------------

if [ "$build" = 1 ]; then
	phase deps
	echo "== dependencies"
	if ! scripts/install-deps.sh; then
		suite_result FAIL install-deps
		summary
	fi
	phase build
	echo "== build (--enable-werror)"
	if ! scripts/build.sh --enable-werror; then
		suite_result FAIL build
		summary
	fi
fi

HUSK=${HUSK:-$top/husk}
if [ ! -x "$HUSK" ]; then
	suite_result FAIL "$HUSK is not built (run scripts/build.sh, or drop --no-build)"
	summary
fi

# --- unit tests ----------------------------------------------------------------

# unit_counts LOG: "PASSED FAILED" from one unit test program's log: Check's
# "NN%: Checks: N, Failures: N, Errors: N" or cmocka's "[  PASSED  ] N" and
# "[  FAILED  ] N" lines; empty when the log has neither.
unit_counts()
{
	awk '
		/^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/ {
			gsub(/,/, ""); c += $3; f += $5 + $7; found = 1 }
		/^\[  PASSED  \] [0-9]+ test/ { p2 += $4; found2 = 1 }
		/^\[  FAILED  \] [0-9]+ test/ { f2 += $4; found2 = 1 }
		END {
			if (found) print c - f, f
			else if (found2) print p2 + 0, f2 + 0
		}' "$1"
}

if [ "$unit" = 1 ] && [ -f Makefile ]; then
	phase unit
	echo "== unit tests (make check)"
	unit_log=$(mktemp)
	# results of an earlier run would be counted again
	find . -path ./.git -prune -o -name '*.trs' -print | while read -r f; do rm -f "$f" "${f%.trs}.log"; done
	make -j"$(nproc)" check >"$unit_log" 2>&1
	make_rc=$?
	found_any=0
	for trs in $(find . -path ./.git -prune -o -name '*.trs' -print | sort); do
		log=${trs%.trs}.log
		name=${trs#./}
		name=${name%.trs}
		result=$(sed -n 's/^:test-result: //p' "$trs" | head -1)
		counts=$([ -f "$log" ] && unit_counts "$log")
		found_any=1
		if [ -n "$counts" ]; then
			read -r p f <<<"$counts"
		elif [ "$result" = PASS ] || [ "$result" = XFAIL ]; then
			p=1 f=0
		elif [ "$result" = SKIP ]; then
			p=0 f=0
			suite_skipped=$((suite_skipped + 1))
		else
			p=0 f=1
		fi
		# a program that crashed after some checks passed still failed
		if [ "$f" -eq 0 ] && [ "$result" != PASS ] && [ "$result" != XFAIL ] && [ "$result" != SKIP ]; then
			f=1
		fi
		suite_tally unit "$name" "$p" "$f" "$log" checks
	done
	if [ "$make_rc" -ne 0 ] && [ "$found_any" = 0 ]; then
		suite_result FAIL "make check (no test results)"
		suite_indent "$unit_log"
	fi
	rm -f "$unit_log"
fi

# --- integration test setup ----------------------------------------------------

suite_user || exit 2
user_uid=$(id -u "$HUSK_USER")

HUSK_WORK=$(mktemp -d /tmp/husk-tests.XXXXXX)
chmod 0755 "$HUSK_WORK"
cleanup()
{
	[ "$keep" = 1 ] || rm -rf "$HUSK_WORK"
}
trap cleanup EXIT

# The test user must be able to run husk: copy it if the tree is closed to it.
if ! setpriv --reuid="$user_uid" --regid="$(id -g "$HUSK_USER")" --init-groups test -x "$HUSK"; then
	mkdir -p "$HUSK_WORK/bin"
	cp "$HUSK" "$HUSK_WORK/bin/husk"
	[ -f "$(dirname "$HUSK")/husk.1" ] && cp "$(dirname "$HUSK")/husk.1" "$HUSK_WORK/bin/"
	HUSK=$HUSK_WORK/bin/husk
	chmod -R a+rX "$HUSK_WORK/bin"
fi

phase images
echo "== test images"
if ! tests/images/mkimages.sh "$HUSK_WORK/images"; then
	suite_result FAIL "test images"
	summary
fi
# The MPI image (mmdebstrap, a few minutes the first time on a machine, then
# cached) is built here, outside any test's time limit, when a test wants it.
if [ ${#selected[@]} -eq 0 ] || printf '%s\n' "${selected[@]}" | grep -q '^025[13]'; then
	if command -v mmdebstrap >/dev/null && command -v mpicc >/dev/null &&
		! tests/images/mkmpi.sh >"$HUSK_WORK/mkmpi.log" 2>&1; then
		cat "$HUSK_WORK/mkmpi.log"
		suite_result FAIL "MPI test image (tests/images/mkmpi.sh)"
	fi
fi
chmod 0755 "$HUSK_WORK/images"

export HUSK HUSK_TOP="$top" HUSK_WORK HUSK_IMAGES="$HUSK_WORK/images"
export HUSK_MAN="${HUSK_MAN:-$(dirname "$HUSK")/husk.1}"

# --- integration tests ------------------------------------------------------------

suite_select tests/integration "${selected[@]}"

# A test that failed or timed out may leave the user's processes behind; the
# next test starts clean.
suite_after_fail() { suite_clean_user; }

phase integration
echo "== integration tests (as $HUSK_USER, $HUSK)"
suite_run "${suite_tests[@]}"

# --- other suites ------------------------------------------------------------------

if [ ${#selected[@]} -eq 0 ]; then
	for suite in tests/*/run-suite.sh; do
		[ -x "$suite" ] || continue
		dir=$(basename "$(dirname "$suite")")
		phase "$dir"
		echo "== suite $dir"
		suite_nested "$suite" "$dir"
	done
fi

summary
