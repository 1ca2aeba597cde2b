#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk image import of an OCI layout, an oci-archive and a docker-archive
# (made by umoci and skopeo): layers in order with whiteouts and opaque
# directories applied, the same tree from all three, the configuration in
# /.husk and used by husk run; inspect shows it
. "$(dirname "$0")/lib.sh"

cp "$fx/docker.tar" "$fx/oci.tar" "$t/" && cp -a "$fx/oci" "$t/oci" && chown -R "$user:" "$t"
hi image import "oci:$t/oci:t" -o "$t/a.sqsh"; ok_status 0 "import oci:DIR:TAG"
hi image import "oci-archive:$t/oci.tar" -o "$t/b.sqsh"; ok_status 0 "import oci-archive:"
hi image import "docker-archive:$t/docker.tar" -o "$t/c.sqsh"; ok_status 0 "import docker-archive:"
hi image import docker.tar; ok_status 0 "import FILE.tar (a docker-archive, told by its contents)"
[ -z "$err" ] || bad "import in a pipe printed: $err"
[ -f "$t/docker.sqsh" ] || bad "import FILE.tar without -o: no docker.sqsh"
hi image import "$t/oci:t"; ok_status 0 "import DIR:TAG (an OCI layout)"
[ -f "$t/oci.sqsh" ] || bad "import DIR:TAG without -o: no oci.sqsh"
hi image import "$t/oci" -o "$t/u.sqsh"
ok_error "index.json names 3 images: name one as oci:DIR:TAG .*\(tags: t, one, two\)" "import DIR of several images"
for i in a b c; do
	hi run --no-entrypoint "$t/$i.sqsh" -- sh -c 'cat /app/file /etc/new /opq/*; ls /gone /etc/old 2>&1; echo $HUSK_IMG; pwd'
	ok_status 0 "run $i"
	exp=$'v2\nnew\nupper\nls: /gone: No such file or directory\nls: /etc/old: No such file or directory\nfromimage'
	[ "$out" = "$exp"$'\n'"$t" ] || bad "$i: tree or env: '$out'"
done
# the three trees are the same (the records in /.husk say where each came from)
for i in b c; do
	hi run -b "$fx:/fx:ro" "$t/$i.sqsh" -- sh /fx/listing.sh /bin; l1=$out
	hi run -b "$fx:/fx:ro" "$t/a.sqsh" -- sh /fx/listing.sh /bin
	[ "$out" = "$l1" ] || bad "a and $i differ in /bin"
done
# Entrypoint + Cmd without a command, Entrypoint + COMMAND, --no-entrypoint
in_dir=/
hi run "$t/a.sqsh"; [ "$out" = "entry default cmd" ] || bad "no command: '$out' ($err)"
hi run "$t/a.sqsh" -- one two; [ "$out" = "entry one two" ] || bad "with a command: '$out'"
hi run --no-entrypoint "$t/a.sqsh" -- echo alone; [ "$out" = "alone" ] || bad "--no-entrypoint: '$out'"
# WorkingDir when the cwd is not bound (/ is never bound)
hi run --no-entrypoint "$t/a.sqsh" -- pwd; [ "$out" = /app ] || bad "WorkingDir: '$out'"
# the image's Env over the host's; --env over both
hi run --no-entrypoint "$t/a.sqsh" -- sh -c 'echo $HUSK_IMG'
hi run --no-entrypoint -e HUSK_IMG=mine "$t/a.sqsh" -- sh -c 'echo $HUSK_IMG'; [ "$out" = mine ] || bad "--env: '$out'"
in_dir=
# inspect
hi image inspect "$t/c.sqsh"
ok_status 0 inspect
for w in "source +docker-archive:$t/docker.tar" 'entrypoint +"/bin/echo" "entry"' 'cmd +"default" "cmd"' \
	'workdir +/app' 'user +1000:1000' 'label +org.example.test=yes' 'compression +zstd' 'created +20'; do
	printf '%s\n' "$out" | grep -qE "^$w" || bad "inspect: no line '$w' in: $out"
done
hi image inspect --json "$t/a.sqsh"
d=$(printf '%s' "$out" | jq -r .digest); m=$(jq -r '.manifests[0].digest' "$t/oci/index.json")
[ "$d" = "$m" ] || bad "inspect --json digest $d, the manifest's $m"
[ "$(printf '%s' "$out" | jq -r '.config.Env[0]')" = HUSK_IMG=fromimage ] || bad "inspect --json Env: $out"
# the original configuration is kept whole
as "$husk" run --no-entrypoint "$t/a.sqsh" -- cat /.husk/config.json > "$t/config.json"
c=$(jq -r .config.digest "$t/oci/blobs/sha256/${m#sha256:}")
[ "sha256:$(sha256sum < "$t/config.json" | cut -d' ' -f1)" = "$c" ] || bad "/.husk/config.json is not the configuration blob"
done_test
