#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --container-name: a later step of the job sees the writes of an earlier
# one with the same name, an unnamed step does not, and the job's end
# removes the kept layer.
. "$(dirname "$0")/lib.sh"

test_container_name_reuse() {
	cat > "$jobdir/named.sh" <<S
#!/bin/sh
srun --container-image=$img --container-name=keep sh -c 'echo kept > /etc/named-test'
srun --container-image=$img --container-name=keep:auto cat /etc/named-test
srun --container-image=$img cat /etc/named-test 2>/dev/null || echo unnamed-sees-nothing
S
	chmod 755 "$jobdir/named.sh"
	local jid out
	jid=$(as sbatch --parsable -o "$jobdir/named.out" "$jobdir/named.sh") || return 1
	wait_job "$jid" || return 1
	out=$(cat "$jobdir/named.out")
	grep -qx kept <<<"$out" || { echo "step 2 did not see step 1's write: $out"; return 1; }
	grep -qx unnamed-sees-nothing <<<"$out" || { echo "an unnamed step saw it: $out"; return 1; }
	for _ in $(seq 20); do [ -e "/tmp/husk-$(id -u "$user")-named/$jid-keep" ] || break; sleep 0.5; done
	[ ! -e "/tmp/husk-$(id -u "$user")-named/$jid-keep" ] || { echo "the kept layer outlived the job"; return 1; }
}

test_container_name_reuse
