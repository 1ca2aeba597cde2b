#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk report --job: every node's and task's record, each signature checked;
# a record signed by the user, altered, or filed under another job fails
. "$(dirname "$0")/lib.sh"

test_report_job() {
	local S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm} jid out rc f payload
	jid=$(as sbatch --parsable -N2 -n4 -o /dev/null \
		--wrap "srun --container-image=$img sh -c 'i=0; while [ \$i -lt 50000 ]; do i=\$((i+1)); done'") || return 1
	wait_job "$jid" || return 1
	out=$(as "$top/husk" report --job "$jid" --dir "$S/acct") || { echo "report failed: $out"; return 1; }
	for t in 0 1 2 3; do
		grep -Eq "^$jid\.0 +(${nodes[0]}|${nodes[1]}) +$t +1 +0 +0\.[0-9]+ " <<<"$out" ||
			{ echo "no row with CPU time for task $t: $out"; return 1; }
	done
	[ "$(grep -c 'records, signed by root at' <<<"$out")" = 2 ] || { echo "not two signed files: $out"; return 1; }
	out=$(as "$top/husk" report --job "$jid" --dir "$S/acct" --by node --format json) || return 1
	grep -q "\"job\":\"$jid.0\",\"node\":\"${nodes[1]}\",\"task\":\"\*\",\"records\":2" <<<"$out" || { echo "json: $out"; return 1; }
	f=$S/acct/$jid/0.${nodes[0]}.munge
	payload=$(unmunge -i "$f" -m /dev/null)
	# signed by the user, not by root
	runuser -u "$user" -- munge -s "$payload" > "$S/acct/$jid/9.${nodes[0]}.munge"
	out=$(as "$top/husk" report --job "$jid" --dir "$S/acct" 2>&1); rc=$?
	rm -f "$S/acct/$jid/9.${nodes[0]}.munge"
	[ $rc = 125 ] && grep -q "^husk: error: .*9.${nodes[0]}.munge: signed by uid $(id -u "$user"), not by root" <<<"$out" ||
		{ echo "a user's record was taken (rc $rc): $out"; return 1; }
	# altered
	cp "$f" "$work/saved.munge"
	sed -i 's/^\(.\{60\}\)./\1A/; s/^\(.\{61\}\)./\1B/' "$f"
	cmp -s "$f" "$work/saved.munge" && { echo "the test did not alter the record"; return 1; }
	out=$(as "$top/husk" report --job "$jid" --dir "$S/acct" 2>&1); rc=$?
	cp "$work/saved.munge" "$f"
	[ $rc = 125 ] && grep -q "^husk: error: .*0.${nodes[0]}.munge: signature not valid" <<<"$out" ||
		{ echo "an altered record was taken (rc $rc): $out"; return 1; }
	# a root-signed record filed under another job
	mkdir -p "$S/acct/99999"; cp "$f" "$S/acct/99999/0.${nodes[0]}.munge"
	out=$(as "$top/husk" report --job 99999 --dir "$S/acct" 2>&1); rc=$?
	rm -rf "$S/acct/99999"
	[ $rc = 125 ] && grep -q "is of job $jid step 0 on ${nodes[0]}, not what the file's name says" <<<"$out" ||
		{ echo "a record under another job's name was taken (rc $rc): $out"; return 1; }
	# an expired credential (munge's time to live) is still a valid signature
	mkdir -p "$S/acct/99998"
	munge -t 1 -s "${payload//\"job\":\"$jid\"/\"job\":\"99998\"}" > "$S/acct/99998/0.${nodes[0]}.munge"
	sleep 2
	out=$(as "$top/husk" report --job 99998 --dir "$S/acct" 2>&1); rc=$?
	rm -rf "$S/acct/99998"
	[ $rc = 0 ] && grep -q "^99998\.0 " <<<"$out" || { echo "an expired record was refused (rc $rc): $out"; return 1; }
	out=$(as "$top/husk" report --job 424242 --dir "$S/acct" 2>&1); rc=$?
	[ $rc = 125 ] && grep -q "no accounting records of job 424242" <<<"$out" || { echo "rc $rc: $out"; return 1; }
}

test_report_job
