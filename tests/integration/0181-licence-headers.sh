#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every source file names its licence (scripts/spdx-check.sh), and the checker
# finds a file without one in a small tree made here.
. "$(dirname "$0")/../lib.sh"

out=$(bash "$HUSK_TOP/scripts/spdx-check.sh" 2>&1)
status=$?
err=
expect_status 0
grep -q '^SPDX-License-Identifier: GPL-2.0-or-later' "$HUSK_TOP/LICENSE" ||
	grep -q 'GNU GENERAL PUBLIC LICENSE' "$HUSK_TOP/LICENSE" || fail "LICENSE is not the GPL"

t=$(mktemp -d)
mkdir -p "$t/scripts"
cp "$HUSK_TOP/scripts/spdx-check.sh" "$t/scripts/"
printf '/* SPDX-License-Identifier: GPL-2.0-or-later */\nint a;\n' > "$t/good.c"
printf 'int b;\n' > "$t/bad.c"
printf '#!/bin/sh\necho hi\n' > "$t/bad.sh"
out=$(cd "$t" && bash scripts/spdx-check.sh 2>&1)
status=$?
add=$(cd "$t" && bash scripts/spdx-check.sh --add >/dev/null 2>&1 && bash scripts/spdx-check.sh 2>&1; echo "rc=$?")
second=$(sed -n 2p "$t/bad.sh")
rm -rf "$t"
expect_status 1
expect_stdout_contains "bad.c: no SPDX-License-Identifier line"
expect_stdout_contains "bad.sh: no SPDX-License-Identifier line"
case $out in *good.c*) fail "good.c reported: $out" ;; esac
case $add in *rc=0*) ;; *) fail "--add left files without a line: $add" ;; esac
[ "$second" = "# SPDX-License-Identifier: GPL-2.0-or-later" ] || fail "--add put '$second' after the #! line"
