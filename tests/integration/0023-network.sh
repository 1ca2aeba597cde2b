#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The host's network by default (MPI needs it); --net=none: only lo.
. "$(dirname "$0")/../lib.sh"

host=$(ls /sys/class/net | sort | paste -sd' ')
run_husk run "$IMG/demo.sqsh" -- sh -c 'ls /sys/class/net | sort | paste -sd" "'
expect_status 0
expect_stdout_is "$host"
hostdev=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | paste -sd' ')
run_husk run "$IMG/demo.sqsh" -- sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | paste -sd" "'
expect_stdout_is "$hostdev"

run_husk run --net=none "$IMG/demo.sqsh" -- ls /sys/class/net
expect_status 0
expect_stdout_is lo
run_husk run --net=none "$IMG/demo.sqsh" -- sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
expect_status 0
expect_stdout_is lo
run_husk run --net none "$IMG/demo.sqsh" -- ls /sys/class/net
expect_status 0
expect_stdout_is lo
run_husk run --net=host "$IMG/demo.sqsh" -- sh -c 'ls /sys/class/net | sort | paste -sd" "'
expect_status 0
expect_stdout_is "$host"
