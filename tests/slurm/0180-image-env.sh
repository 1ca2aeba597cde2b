#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# the image's /.husk/env reaches the tasks; --container-env keeps the job's
# value for the names it lists
. "$(dirname "$0")/lib.sh"

test_image_env() {
	local meta=$work/img/metaenv.sqsh out
	out=$(as env HUSK_IMAGE_VAR=fromjob srun --container-image="$meta" sh -c 'echo $HUSK_IMAGE_VAR') || { echo "$out"; return 1; }
	[ "$out" = fromimage ] || { echo "image env not applied: $out"; return 1; }
	out=$(as env HUSK_IMAGE_VAR=fromjob srun --container-image="$meta" --container-env=HUSK_IMAGE_VAR sh -c 'echo $HUSK_IMAGE_VAR') ||
		{ echo "$out"; return 1; }
	[ "$out" = fromjob ] || { echo "--container-env did not keep the job's value: $out"; return 1; }
	out=$(as srun --container-image="$meta" --container-env='BAD NAME' true 2>&1) && { echo "a bad --container-env was taken"; return 1; }
	return 0
}

test_image_env
