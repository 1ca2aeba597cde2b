# Sourced first by every tests/*/run-suite.sh (before anything else runs):
# one test run at a time on a machine (tests/run.sh and tests/lib.sh take
# the same lock: the suites share the test user), then $top, the test user
# $user (created if missing) and /dev/fuse usable as distributions ship it.
if [ -z "${HUSK_TESTS_LOCKED:-}" ]; then
	_lock=/run/lock/husk-tests.lock
	[ -d /run/lock ] || _lock=/tmp/husk-tests.lock
	HUSK_TESTS_LOCKED=1 exec flock -o "$_lock" bash "$0" "$@"
fi
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
user=${HUSK_TEST_USER:-huskuser}
id "$user" >/dev/null 2>&1 || useradd -m "$user"
[ -c /dev/fuse ] && chmod 0666 /dev/fuse
