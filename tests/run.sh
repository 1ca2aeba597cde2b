#!/bin/bash
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
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

argv=("$@")
build=1 unit=1 keep=0 verbose=0
selected=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) build=0 ;;
	--no-unit) unit=0 ;;
	--keep) keep=1 ;;
	-v | --verbose) verbose=1 ;;
	-h | --help)
		sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
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

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: must run as root (it installs packages, creates the test user and runs husk as that user)" >&2
	exit 2
fi

# One test run at a time on a machine: runs share the test user, and each
# one's leak check would see (and clean up) the other's containers. flock -o
# holds the lock in its own process, so no container or lingering image
# mount inherits it.
if [ -z "${HUSK_TESTS_LOCKED:-}" ]; then
	lock=/run/lock/husk-tests.lock
	[ -d /run/lock ] || lock=/tmp/husk-tests.lock
	flock -n "$lock" true || echo "run.sh: another test run holds $lock; waiting for it"
	HUSK_TESTS_LOCKED=1 exec flock -o "$lock" bash "$0" "${argv[@]}"
fi

passed=0 failed=0 skipped=0
start=$(date +%s)

summary()
{
	[ "$keep" = 0 ] || [ -z "${HUSK_WORK:-}" ] || echo "(kept $HUSK_WORK: images, logs/)"
	[ "$skipped" -eq 0 ] || echo "($skipped skipped)"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# indent FILE: a log, indented, at most its last 60 lines
indent()
{
	local n
	n=$(wc -l <"$1")
	[ "$n" -le 60 ] || echo "    ... ($((n - 60)) lines before)"
	tail -n 60 "$1" | sed 's/^/    /'
}

# --- dependencies and build -------------------------------------------------

if [ "$build" = 1 ]; then
	echo "== dependencies"
	if ! scripts/install-deps.sh; then
		echo "FAIL install-deps"
		failed=$((failed + 1))
		summary
	fi
	echo "== build (--enable-werror)"
	if ! scripts/build.sh --enable-werror; then
		echo "FAIL build"
		failed=$((failed + 1))
		summary
	fi
fi

HUSK=${HUSK:-$top/husk}
if [ ! -x "$HUSK" ]; then
	echo "run.sh: $HUSK is not built (run scripts/build.sh, or drop --no-build)" >&2
	failed=$((failed + 1))
	summary
fi

# --- unit tests ----------------------------------------------------------------

# tally KIND NAME P F LOG NOUN: add a program's or suite's counts to the
# totals and say PASS or FAIL; its log when it failed (or with -v)
tally()
{
	passed=$((passed + $3))
	failed=$((failed + $4))
	if [ "$4" -eq 0 ]; then
		echo "PASS $1 $2 ($3 $6)"
		[ "$verbose" = 0 ] || indent "$5"
	else
		echo "FAIL $1 $2 ($3 passed, $4 failed)"
		[ -f "$5" ] && indent "$5"
	fi
	return 0
}

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
			skipped=$((skipped + 1))
		else
			p=0 f=1
		fi
		# a program that crashed after some checks passed still failed
		if [ "$f" -eq 0 ] && [ "$result" != PASS ] && [ "$result" != XFAIL ] && [ "$result" != SKIP ]; then
			f=1
		fi
		tally unit "$name" "$p" "$f" "$log" checks
	done
	if [ "$make_rc" -ne 0 ] && [ "$found_any" = 0 ]; then
		echo "FAIL make check (no test results)"
		indent "$unit_log"
		failed=$((failed + 1))
	fi
	rm -f "$unit_log"
fi

# --- integration test setup ----------------------------------------------------

HUSK_USER=${HUSK_USER:-huskuser}
if ! id -u "$HUSK_USER" >/dev/null 2>&1; then
	useradd -m -s /bin/bash -c "husk test user" "$HUSK_USER" || { echo "run.sh: cannot create user $HUSK_USER" >&2; exit 2; }
fi
user_uid=$(id -u "$HUSK_USER")
user_home=$(getent passwd "$HUSK_USER" | cut -d: -f6)
[ -d "$user_home" ] || install -d -m 0755 -o "$HUSK_USER" -g "$(id -g "$HUSK_USER")" "$user_home"
HUSK_USER_RUNDIR=/run/user/$user_uid
install -d -m 0700 -o "$HUSK_USER" -g "$(id -g "$HUSK_USER")" "$HUSK_USER_RUNDIR"
# Distributions ship /dev/fuse 0666; some machines have it 0600.
[ -c /dev/fuse ] && chmod 0666 /dev/fuse

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

echo "== test images"
if ! tests/images/mkimages.sh "$HUSK_WORK/images"; then
	echo "FAIL test images"
	failed=$((failed + 1))
	summary
fi
chmod 0755 "$HUSK_WORK/images"

export HUSK HUSK_TOP="$top" HUSK_USER HUSK_USER_RUNDIR HUSK_WORK HUSK_IMAGES="$HUSK_WORK/images"
export HUSK_MAN="${HUSK_MAN:-$(dirname "$HUSK")/husk.1}"

# --- integration tests ------------------------------------------------------------

tests=()
if [ ${#selected[@]} -eq 0 ]; then
	tests=(tests/integration/[0-9]*.sh)
else
	for s in "${selected[@]}"; do
		s=$(basename "$s" .sh)
		m=(tests/integration/"$s"*.sh)
		if [ -f "${m[0]}" ]; then
			tests+=("${m[@]}")
		else
			echo "run.sh: no integration test matches '$s'" >&2
			failed=$((failed + 1))
		fi
	done
fi

echo "== integration tests (as $HUSK_USER, $HUSK)"
mkdir -p "$HUSK_WORK/logs"
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	log=$HUSK_WORK/logs/$name.log
	t0=$(date +%s%N)
	timeout -k 5 "${HUSK_TEST_TIMEOUT:-120}" bash "$t" </dev/null >"$log" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	case $rc in
	0)
		echo "PASS $name (${secs}s)"
		passed=$((passed + 1))
		[ "$verbose" = 0 ] || indent "$log"
		;;
	77)
		echo "SKIP $name: $(grep -m1 '^skipped: ' "$log" | sed 's/^skipped: //')"
		skipped=$((skipped + 1))
		;;
	*)
		[ "$rc" = 124 ] || [ "$rc" = 137 ] && echo "    (timed out after ${HUSK_TEST_TIMEOUT:-120}s)" >>"$log"
		echo "FAIL $name (${secs}s)"
		indent "$log"
		failed=$((failed + 1))
		# A test that failed or timed out may leave the user's processes
		# behind; end them (by pid) so that the next test starts clean.
		pgrep -u "$user_uid" | xargs -r kill -KILL 2>/dev/null
		find "$HUSK_USER_RUNDIR" -mindepth 1 -delete 2>/dev/null
		;;
	esac
done

# --- other suites ------------------------------------------------------------------

if [ ${#selected[@]} -eq 0 ]; then
	for suite in tests/*/run-suite.sh; do
		[ -x "$suite" ] || continue
		dir=$(basename "$(dirname "$suite")")
		log=$HUSK_WORK/logs/suite-$dir.log
		echo "== suite $dir"
		"$suite" </dev/null >"$log" 2>&1
		rc=$?
		last=$(tail -n 1 "$log")
		if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
			p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
			[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
		else
			p=0 f=1
			echo "    (the suite's last line is not 'N passed, N failed')" >>"$log"
		fi
		tally suite "$dir" "$p" "$f" "$log" passed
	done
fi

echo "== done in $(($(date +%s) - start))s"
summary
