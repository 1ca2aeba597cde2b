#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun --container-device=VENDOR/CLASS=NAME brings a CDI device into every
# task (specs in the site's /etc/cdi, read as the user), plugstack's
# devices= gives every step the site's devices, and a device that no spec
# defines fails the step naming --container-device.
. "$(dirname "$0")/lib.sh"

test_cdi_device() {
	local spec=/etc/cdi/husk-test-fake.yaml conf=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/plugstack.conf out rc
	mkdir -p /etc/cdi
	cat >"$spec" <<'Y'
cdiVersion: 0.6.0
kind: husk-test.example/fake
containerEdits:
  env: [FAKE_DRIVER=1]
devices:
- name: "0"
  containerEdits:
    deviceNodes: [{path: /dev/fake0, hostPath: /dev/null}]
- name: "1"
  containerEdits:
    deviceNodes: [{path: /dev/fake1, hostPath: /dev/zero}]
Y
	chmod 644 "$spec"
	out=$(as srun -Q -n2 --container-image="$img" --container-device=husk-test.example/fake=0 \
		sh -c 'test -c /dev/fake0 && ! test -e /dev/fake1 && echo "$FAKE_DRIVER"' 2>&1); rc=$?
	local out2 rc2 out3 rc3
	out2=$(as srun --container-image="$img" --container-device=husk-test.example/fake=7 true 2>&1); rc2=$?
	cp "$conf" "$work/plugstack.saved"
	sed -i 's|$| devices=husk-test.example/fake=1|' "$conf"
	out3=$(as srun -Q --container-image="$img" --container-device=husk-test.example/fake=0 \
		sh -c 'test -c /dev/fake0 && test -c /dev/fake1 && echo both' 2>&1); rc3=$?
	cp "$work/plugstack.saved" "$conf"
	rm -f "$spec"
	[ $rc = 0 ] && [ "$out" = "$(printf '1\n1')" ] || { echo "--container-device (rc $rc): $out"; return 1; }
	[ $rc2 != 0 ] && grep -q -- '--container-device husk-test.example/fake=7: no device 7' <<<"$out2" ||
		{ echo "an unknown device (rc $rc2): $out2"; return 1; }
	[ $rc3 = 0 ] && [ "$out3" = both ] || { echo "plugstack devices= (rc $rc3): $out3"; return 1; }
}

test_cdi_device
