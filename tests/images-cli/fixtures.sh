#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The images tests/images-cli uses, offline, into OUT:
#   tree/        a hand-made tree: busybox, symlinks, a hardlink, a fifo,
#                odd modes (setuid, sticky, 0600), owners 1234:5678, an
#                old mtime, an empty file, a long name, an xattr
#   rt/          tree/ with a copy of itself at /t (to list /t in a container)
#   oci/         an OCI layout made by umoci from busybox-static: two layers,
#                the second deleting a file, a directory (whiteouts) and
#                replacing one (opaque), with Env, Entrypoint, Cmd,
#                WorkingDir, User, Labels
#   docker.tar   the same through skopeo copy as docker-archive
#   oci.tar      the same through skopeo copy as oci-archive
#   listing.sh   prints a tree's listing (busybox and coreutils alike)
#   hostile/     crafted tars (python3 tarfile)
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
busybox=/bin/busybox

# --- a hand-made tree ---
mkdir -p tree/bin tree/etc tree/data/sub tree/tmp
cp "$busybox" tree/bin/busybox
for a in sh ls cat stat find sort md5sum readlink echo env pwd xargs test id awk head grep wc; do ln -s busybox "tree/bin/$a"; done
echo hello > tree/etc/hello
ln tree/etc/hello tree/data/hello-hardlink
ln -s ../etc/hello tree/data/rel-link
ln -s /etc/hello tree/data/abs-link
: > tree/data/empty
printf 'secret\n' > tree/data/private && chmod 0600 tree/data/private
printf 'suid\n' > tree/data/suid && chmod 4755 tree/data/suid
chmod 1777 tree/tmp
mkfifo tree/data/fifo
echo long > "tree/data/$(printf 'n%.0s' $(seq 200))"
head -c 300000 /dev/urandom > tree/data/random.bin
echo owned > tree/data/sub/owned && chown -R 1234:5678 tree/data/sub
touch -h -d @1000000000 tree/data/rel-link tree/etc/hello
python3 -c "import os; os.setxattr('tree/etc/hello', 'user.husk', b'kept')"
# rt/: a root with busybox and the tree again at /t, to list it in a container
mkdir rt
cp -a tree/. rt/
cp -a tree rt/t

# --- an OCI image in two layers, with umoci ---
umoci init --layout oci
umoci new --image oci:t
umoci unpack --rootless --image oci:t b1
cp -a tree/. b1/rootfs/
mkdir -p b1/rootfs/gone/sub b1/rootfs/opq b1/rootfs/app
echo x > b1/rootfs/gone/sub/f
echo old > b1/rootfs/etc/old
echo lower > b1/rootfs/opq/lower
echo v1 > b1/rootfs/app/file
umoci repack --image oci:t b1
rm -rf b1
umoci unpack --rootless --image oci:t b2
rm -rf b2/rootfs/gone b2/rootfs/etc/old b2/rootfs/opq
mkdir b2/rootfs/opq
echo upper > b2/rootfs/opq/upper
echo v2 > b2/rootfs/app/file
echo new > b2/rootfs/etc/new
umoci repack --image oci:t b2
rm -rf b2
umoci config --image oci:t --config.env HUSK_IMG=fromimage --config.env PATH=/bin \
	--config.entrypoint /bin/echo --config.entrypoint entry \
	--config.cmd default --config.cmd cmd --config.workingdir /app --config.user 1000:1000 \
	--config.label org.example.test=yes
# one:, two: a busybox image and a second version sharing its first layer
# (for the cache: a pull of the changed tag fetches only the new layer)
umoci new --image oci:one
umoci unpack --rootless --image oci:one b3
cp -a tree/. b3/rootfs/
umoci repack --image oci:one b3
rm -rf b3
umoci config --image oci:one --tag two --config.cmd /bin/sh
umoci unpack --rootless --image oci:two b4
echo second > b4/rootfs/etc/version
umoci repack --image oci:two b4
rm -rf b4
umoci gc --layout oci
skopeo copy -q oci:oci:t docker-archive:docker.tar:husk/test:t
skopeo copy -q oci:oci:t oci-archive:oci.tar:t
chmod -R a+rX "$out"

cat > listing.sh <<'L'
# listing.sh DIR: one line an entry (name type mode size [target]), then the
# contents' md5sums, then hardlink groups; sorted, the same on busybox
cd "$1" || exit 1
find . ! -name . | sort | while read -r f; do
	if [ -L "$f" ]; then echo "$f link $(readlink "$f")"
	elif [ -d "$f" ]; then echo "$f dir $(stat -c %a "$f")"
	elif [ -p "$f" ]; then echo "$f fifo $(stat -c %a "$f")"
	else echo "$f file $(stat -c '%a %s' "$f")"; fi
done
find . -type f | sort | xargs md5sum
find . -type f | sort | while read -r f; do echo "$(stat -c '%i %h' "$f") $f"; done |
	awk '$2 > 1 { g[$1] = g[$1] " " $3 } END { for (i in g) print "hardlinks" g[i] }' | sort
L

# --- hostile tars ---
mkdir hostile
python3 - <<'P'
import io, tarfile
def tar(name, members, gz=False):
    with tarfile.open('hostile/' + name, 'w:gz' if gz else 'w', format=tarfile.PAX_FORMAT) as t:
        for m, data in members:
            t.addfile(m, io.BytesIO(data) if data is not None else None)
def f(name, data=b'x\n', **kw):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
    for k, v in kw.items(): setattr(i, k, v)
    return (i, data)
def d(name):
    i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; return (i, None)
def l(name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; return (i, None)
def dev(name):
    i = tarfile.TarInfo(name); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3; return (i, None)
tar('dotdot.tar', [d('etc'), f('etc/../../escaped')])
tar('absolute.tar', [f('/etc/passwd')])
tar('symlink-out.tar', [l('up', '../../..'), f('up/escaped')])
tar('symlink-abs.tar', [l('etc', '/etc'), f('etc/escaped')])
tar('devices.tar', [d('dev'), dev('dev/null'), dev('dev/zero'), f('ok')])
tar('good.tar', [d('bin'), f('bin/hello', b'hello\n')])
P
head -c 700 hostile/good.tar > hostile/truncated.tar
# a gzip stream with its middle overwritten
gzip -c < docker.tar > hostile/corrupt.tar.gz
size=$(stat -c %s hostile/corrupt.tar.gz)
dd if=/dev/urandom of=hostile/corrupt.tar.gz bs=1 seek=$((size / 2)) count=512 conv=notrunc status=none
chmod -R a+rX "$out"
