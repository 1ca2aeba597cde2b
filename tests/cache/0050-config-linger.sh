#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# linger = 1 in husk.conf ($HUSK_CONFIG) is the mount's linger time
. "$(dirname "$0")/lib.sh"

test_config_linger() {
	local conf=$work/husk.conf
	echo "linger = 1" > "$conf"; chmod 644 "$conf"
	as "$user" env HUSK_CONFIG="$conf" "$husk" run "$img" -- sleep 2 &
	local bg=$!
	wait_until 30 program_up sleep || { echo "the container did not start"; return 1; }
	as "$user" "$husk" ps | awk 'NR > 1 {print $4}' | grep -qx 1 || { echo "linger from husk.conf not used"; as "$user" "$husk" ps; return 1; }
	wait $bg || return 1
	wait_until 6 no_holders || { echo "holder outlived linger=1"; return 1; }
}

test_config_linger
