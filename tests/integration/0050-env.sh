#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The environment: the host's passes through; --env, --env-file add and
# replace; --clean-env starts empty.
. "$(dirname "$0")/../lib.sh"

run_husk FOO=bar run "$IMG/demo.sqsh" -- env
expect_status 0
expect_stdout_matches '^FOO=bar$'
expect_stdout_matches "^USER=$HUSK_USER$"

run_husk run --env K=V -e K2='with space' --env EMPTY= "$IMG/demo.sqsh" -- env
expect_status 0
expect_stdout_matches '^K=V$'
expect_stdout_matches '^K2=with space$'
expect_stdout_matches '^EMPTY=$'

# --env replaces a host value; the last --env wins
run_husk FOO=bar run --env FOO=baz "$IMG/demo.sqsh" -- sh -c 'echo $FOO'
expect_stdout_is baz
run_husk run -e X=1 -e X=2 "$IMG/demo.sqsh" -- sh -c 'echo $X'
expect_stdout_is 2
# a value with = and special characters is kept as is
run_husk run -e 'EQ=a=b;$c "d"' "$IMG/demo.sqsh" -- sh -c 'printf "%s\n" "$EQ"'
expect_stdout_is 'a=b;$c "d"'

# --env-file: KEY=VALUE lines, blank lines and # comments skipped
cat > "$TEST_DIR/env" <<'E'
# a comment
FROMFILE=yes

SPACED=a b c
E
chown "$HUSK_USER" "$TEST_DIR/env"
run_husk run --env-file "$TEST_DIR/env" "$IMG/demo.sqsh" -- env
expect_status 0
expect_stdout_matches '^FROMFILE=yes$'
expect_stdout_matches '^SPACED=a b c$'
expect_stdout_not_contains 'a comment'

# --clean-env: the host's variables are gone, --env still applies
run_husk FOO=bar run --clean-env -e ONLY=this "$IMG/demo.sqsh" -- env
expect_status 0
expect_stdout_not_contains FOO=bar
expect_stdout_not_contains "USER=$HUSK_USER"
expect_stdout_matches '^ONLY=this$'
# a usable PATH is still there
run_husk run --clean-env "$IMG/demo.sqsh" -- sh -c 'ls / >/dev/null && echo found'
expect_status 0
expect_stdout_is found
