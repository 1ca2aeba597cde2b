#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a plain srun (no container) runs its two tasks: the plugin stays out of
# steps that ask for no image
. "$(dirname "$0")/lib.sh"

test_plain_srun() {
	[ "$(as srun -n2 hostname | wc -l)" = 2 ]
}

test_plain_srun
