#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every source file of husk names its licence: a line
# "SPDX-License-Identifier: GPL-2.0-or-later" (or another SPDX expression)
# among its first 5 lines. Source files: the *.c, *.h, *.sh, *.am, *.ac and
# *.mk files git tracks (every such file below the tree outside git).
#
#   scripts/spdx-check.sh          list the files without one; exit 1 if any
#   scripts/spdx-check.sh --add    add the project's line to each of them:
#                                  C "/* ... */" first, shell after its #!
#                                  line, automake "#", autoconf "dnl"
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
id='SPDX-License-Identifier: GPL-2.0-or-later'
add=0
case ${1:-} in
--add) add=1 ;;
"") ;;
*) echo "usage: $0 [--add]" >&2; exit 2 ;;
esac

sources() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z -- '*.c' '*.h' '*.sh' '*.am' '*.ac' '*.mk'
	else
		find . \( -name .git -prune \) -o -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' \
			-o -name '*.am' -o -name '*.ac' -o -name '*.mk' \) -printf '%P\0'
	fi
}

# insert FILE LINE: LINE as FILE's first line, or its second after a #! line
insert() {
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	if [ "$(head -c 2 "$1")" = '#!' ]; then
		{ head -n 1 "$1"; echo "$2"; tail -n +2 "$1"; } >"$tmp"
	else
		{ echo "$2"; cat "$1"; } >"$tmp"
	fi
	chmod --reference="$1" "$tmp"
	mv "$tmp" "$1"
}

missing=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	awk 'NR > 5 { exit } /SPDX-License-Identifier: [A-Za-z0-9]/ { f = 1; exit } END { exit !f }' "$f" && continue
	if [ $add = 0 ]; then
		echo "$f: no SPDX-License-Identifier line in its first 5 lines"
		missing=$((missing + 1))
		continue
	fi
	case $f in
	*.c | *.h) insert "$f" "/* $id */" ;;
	*.ac) insert "$f" "dnl $id" ;;
	*) insert "$f" "# $id" ;;
	esac
	echo "added: $f"
done < <(sources)
if [ $missing -gt 0 ]; then
	echo "spdx-check.sh: $missing file(s) without a licence line (scripts/spdx-check.sh --add adds them)" >&2
	exit 1
fi
