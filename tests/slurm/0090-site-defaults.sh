#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plugstack.conf's site defaults: a read-only image and no home, which the
# user's options still override
. "$(dirname "$0")/lib.sh"

test_site_defaults() {
	local conf=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/plugstack.conf out rc
	cp "$conf" "$work/plugstack.saved"
	sed -i 's|$| mount=readonly mount_home=no|' "$conf"
	out=$(as srun -Q --container-image="$img" sh -c 'touch /etc/x 2>/dev/null && echo wrote; [ -d "$HOME" ] && echo home; true' 2>&1); rc=$?
	local out2
	out2=$(as srun -Q --container-image="$img" --container-writable --container-mount-home sh -c 'touch /etc/x && echo wrote; [ -d "$HOME" ] && echo home' 2>&1)
	cp "$work/plugstack.saved" "$conf"
	[ $rc = 0 ] && [ -z "$out" ] || { echo "mount=readonly mount_home=no not applied (rc $rc): $out"; return 1; }
	[ "$out2" = "$(printf 'wrote\nhome')" ] || { echo "the user's options did not win: $out2"; return 1; }
}

test_site_defaults
