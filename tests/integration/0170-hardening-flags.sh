#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The built husk, husk-image and spank_husk.so are hardened (configure.ac):
# position-independent (ELF type DYN; the programs with FLAGS_1 PIE), a
# read-only GOT resolved at start (a GNU_RELRO segment, BIND_NOW), every
# one of husk's own compilation units built with -fstack-protector-strong
# and optimization (their DWARF producer lines), and fortified libc calls
# (glibc's bits/*fortified*.h / stdio2.h in the line tables, __*_chk
# imports). The symbols alone prove nothing: Debian's static libfuse3.a and
# libjansson.a bring __stack_chk_fail and __*_chk into an unhardened husk
# too; the debug information tells husk's own units apart.
# First, the checker must refuse programs built without the flags, whole
# and one unit of two, made here with the same compiler.
. "$(dirname "$0")/../lib.sh"

for t in readelf gcc; do
	command -v $t >/dev/null || skip "$t not found"
done

# check_elf FILE exe|so: prints one line per missing protection (nothing
# when FILE is hardened)
check_elf()
{
	local f=$1 kind=$2 hdr dyn ph
	hdr=$(readelf -hW "$f" 2>&1) || { echo "$f: not an ELF file"; return; }
	dyn=$(readelf -dW "$f" 2>&1)
	ph=$(readelf -lW "$f" 2>&1)
	grep -q 'Type: *DYN' <<<"$hdr" || echo "$f: not position-independent (ELF type $(sed -n 's/^ *Type: *//p' <<<"$hdr"))"
	if [ "$kind" = exe ] && ! grep -q 'FLAGS_1.*PIE' <<<"$dyn"; then
		echo "$f: no PIE flag (FLAGS_1): not linked with -pie"
	fi
	grep -q 'GNU_RELRO' <<<"$ph" || echo "$f: no GNU_RELRO segment: not linked with -z relro"
	grep -Eq '\(FLAGS\).*BIND_NOW|FLAGS_1.*NOW' <<<"$dyn" || echo "$f: no BIND_NOW: not linked with -z now"
	grep -q TEXTREL <<<"$dyn" && echo "$f: text relocations"
	local syms
	syms=$(readelf --dyn-syms -W "$f" 2>/dev/null | awk '$7 == "UND" { print $8 }')
	grep -q '^__stack_chk_fail' <<<"$syms" || echo "$f: no __stack_chk_fail: no stack protector"
	grep -Eq '^__[a-z0-9_]+_chk@' <<<"$syms" || echo "$f: no __*_chk call: not built with _FORTIFY_SOURCE"
	# husk's own units: every compilation unit with debug information
	local units
	units=$(readelf --debug-dump=info "$f" 2>/dev/null | awk '
		/DW_TAG_compile_unit/ { if (n != "") print n "\t" p; n = ""; p = ""; cu = 1; next }
		/^ <1>/ { if (cu && n != "") print n "\t" p; n = ""; p = ""; cu = 0 }
		cu && /DW_AT_producer/ { sub(/.*\): /, ""); sub(/^ *DW_AT_producer *: */, ""); p = $0 }
		cu && /DW_AT_name/ { sub(/.*\): /, ""); sub(/^ *DW_AT_name *: */, ""); n = $0 }
		END { if (cu && n != "") print n "\t" p }')
	if [ -z "$units" ]; then
		echo "$f: no debug information: its units' flags cannot be checked (build with the default CFLAGS, -g -O2)"
		return
	fi
	local name prod
	while IFS=$'\t' read -r name prod; do
		case " $prod " in *" -fstack-protector-strong "* | *" -fstack-protector-all "*) ;;
		*) echo "$f: $name built without -fstack-protector-strong ($prod)" ;; esac
		case " $prod " in *" -O0 "*) echo "$f: $name built with -O0 (_FORTIFY_SOURCE needs optimization)" ;;
		*" -O"*) ;; *) echo "$f: $name built without optimization (_FORTIFY_SOURCE needs it)" ;; esac
	done <<<"$units"
	local lines
	lines=$(readelf --debug-dump=line "$f" 2>/dev/null)
	grep -Eq 'string_fortified\.h|stdio2\.h|fcntl2\.h|unistd\.h.*fortif' <<<"$lines" ||
		echo "$f: no unit includes glibc's fortified headers: not built with -D_FORTIFY_SOURCE"
}

# --- the checker refuses what is not hardened --------------------------------
t=$(mktemp -d)
cat >"$t/a.c" <<'EOF'
#include <stdio.h>
#include <string.h>
int other(const char *s);
int main(int argc, char **argv)
{
	char b[64];
	snprintf(b, (size_t)argc * 8, "%s", argv[0]);
	return other(b) + (int)strlen(b);
}
EOF
cat >"$t/b.c" <<'EOF'
#include <string.h>
int other(const char *s)
{
	char c[32];
	memcpy(c, s, strlen(s));
	c[31] = 0;
	return c[0];
}
EOF
hard=(-g -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE)
hardld=(-pie -Wl,-z,relro -Wl,-z,now)
gcc "${hard[@]}" "${hardld[@]}" -o "$t/good" "$t/a.c" "$t/b.c" || fail "cannot build the hardened sample"
gcc -g -O0 -fno-stack-protector -fno-pie -no-pie -Wl,-z,norelro -Wl,-z,lazy -o "$t/bad" "$t/a.c" "$t/b.c" ||
	fail "cannot build the unhardened sample"
gcc "${hard[@]}" -c -o "$t/a.o" "$t/a.c" && gcc -g -O2 -fno-stack-protector -fPIE -c -o "$t/b.o" "$t/b.c" &&
	gcc "${hardld[@]}" -o "$t/half" "$t/a.o" "$t/b.o" || fail "cannot build the half-hardened sample"
gcc -g -O2 -fPIC -D_FORTIFY_SOURCE=2 -fstack-protector-strong -shared -Wl,-z,relro -Wl,-z,now -o "$t/good.so" "$t/b.c" ||
	fail "cannot build the hardened shared object"
gcc -g -O2 -fPIC -fno-stack-protector -shared -Wl,-z,lazy -o "$t/lazy.so" "$t/b.c" ||
	fail "cannot build the unhardened shared object"
good=$(check_elf "$t/good" exe; check_elf "$t/good.so" so)
bad=$(check_elf "$t/bad" exe)
half=$(check_elf "$t/half" exe)
lazy=$(check_elf "$t/lazy.so" so)
[ -z "$good" ] || fail "the checker refuses hardened samples: $good"
for want in "not position-independent" "no GNU_RELRO" "no BIND_NOW" "no __stack_chk_fail" "no __*_chk" \
	"a.c built without -fstack-protector-strong" "b.c built with -O0" "fortified headers"; do
	grep -qF "$want" <<<"$bad" || fail "the checker passes a program built without hardening ($want): $bad"
done
grep -q 'b.c built without -fstack-protector-strong' <<<"$half" || fail "the checker passes an unprotected unit: $half"
grep -q 'a.c built without' <<<"$half" && fail "the checker refuses a protected unit: $half"
for want in "no BIND_NOW" "b.c built without -fstack-protector-strong"; do
	grep -qF "$want" <<<"$lazy" || fail "the checker passes a plugin built without hardening ($want): $lazy"
done
rm -rf "$t"

# --- husk, husk-image and the Slurm plugin as built --------------------------
build=$(dirname "$HUSK")
[ -x "$build/husk-image" ] || build=$HUSK_TOP
out=$(
	check_elf "$HUSK" exe
	check_elf "$build/husk-image" exe
	if [ -f "$build/.libs/spank_husk.so" ]; then
		check_elf "$build/.libs/spank_husk.so" so
	elif [ -f /usr/include/slurm/spank.h ]; then
		echo "$build/.libs/spank_husk.so: not built (slurm/spank.h is there)"
	fi
)
[ -z "$out" ] || fail "not hardened:
$out"
exit 0
