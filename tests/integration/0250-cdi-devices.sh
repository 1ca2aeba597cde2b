#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --device VENDOR/CLASS=NAME brings a CDI device in, as nvidia-ctk's specs
# describe one: device nodes (bound, nodev lifted for them only), a driver
# library mounted from the host and found by soname after the image's own
# ldconfig ran (update-ldcache hook), a create-symlinks hook, environment
# (the user's -e wins over the spec, the spec over the image). A fake vendor:
# its nodes are /dev/null and /dev/zero, its library a small shared object
# built here, the image glibc, ldconfig and a program that dlopens it.
. "$(dirname "$0")/../lib.sh"

command -v gcc >/dev/null || skip "no gcc to build the fake vendor library"
w=$TEST_DIR/cdi
mkdir -p "$w/etc" "$w/run" "$w/vendor/lib" "$w/root"/{bin,sbin,etc/ld.so.conf.d,lib64,proc,dev,sys,tmp,usr/lib/x86_64-linux-gnu,.husk}

# the vendor's library, by soname
cat >"$w/fake.c" <<'C'
#include <stdio.h>
void fake_gpu_hello(void) { puts("fake gpu driver 1.0"); }
C
gcc -shared -fPIC -Wl,-soname,libfakegpu.so.1 -o "$w/vendor/lib/libfakegpu.so.1" "$w/fake.c" || fail "building libfakegpu"

# the image: glibc from the host's Debian packages, its static ldconfig,
# busybox, and a program that loads the driver by soname
cat >"$w/probe.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void)
{
	void *h = dlopen("libfakegpu.so.1", RTLD_NOW);
	if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
	void (*f)(void) = (void (*)(void))dlsym(h, "fake_gpu_hello");
	f();
	return 0;
}
C
gcc -o "$w/root/bin/gpuprobe" "$w/probe.c" || fail "building gpuprobe"
cp /bin/busybox "$w/root/bin/busybox"
for a in sh cat test ls env stat grep readlink; do ln -s busybox "$w/root/bin/$a"; done
cp /sbin/ldconfig "$w/root/sbin/ldconfig"
cp -L /lib64/ld-linux-x86-64.so.2 "$w/root/lib64/"
cp -L /lib/x86_64-linux-gnu/libc.so.6 "$w/root/usr/lib/x86_64-linux-gnu/"
ln -s usr/lib "$w/root/lib"
echo 'include /etc/ld.so.conf.d/*.conf' >"$w/root/etc/ld.so.conf"
echo /usr/lib/x86_64-linux-gnu >"$w/root/etc/ld.so.conf.d/x86_64-linux-gnu.conf"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$w/root/etc/passwd"
printf 'root:x:0:\n' >"$w/root/etc/group"
printf 'SHARED=image\nIMAGE_ONLY=1\n' >"$w/root/.husk/env"
# a mount point for the driver, as a site's image made for --read-only has
mkdir -p "$w/root/usr/lib/fakegpu" && : >"$w/root/usr/lib/fakegpu/libfakegpu.so.1"
mksquashfs "$w/root" "$w/glibc.sqsh" -noappend -quiet -all-root -no-progress >/dev/null || fail "mksquashfs"
chmod -R a+rX "$w"

# the spec, in nvidia-ctk's shape (YAML, spec-wide edits and hooks)
cat >"$w/run/example.yaml" <<Y
---
cdiVersion: 0.5.0
kind: example.com/gpu
containerEdits:
  env:
  - FAKEGPU_DRIVER=1.0
  - SHARED=spec
  mounts:
  - hostPath: $w/vendor/lib/libfakegpu.so.1
    containerPath: /usr/lib/fakegpu/libfakegpu.so.1
    options: [ro, nosuid, nodev, bind]
  hooks:
  - hookName: createContainer
    path: /usr/bin/nvidia-cdi-hook
    args: [nvidia-cdi-hook, create-symlinks, --link, libfakegpu.so.1::/usr/lib/fakegpu/libfakegpu.so]
  - hookName: createContainer
    path: /usr/bin/nvidia-cdi-hook
    args: [nvidia-cdi-hook, update-ldcache, --folder, /usr/lib/fakegpu]
devices:
- name: "0"
  containerEdits:
    deviceNodes:
    - path: /dev/fakegpu0
      hostPath: /dev/null
      type: c
      major: 1
      minor: 3
- name: "1"
  containerEdits:
    deviceNodes:
    - path: /dev/fakegpu1
      hostPath: /dev/zero
Y
dirs="HUSK_CDI_SPEC_DIRS=$w/etc:$w/run"
image=$w/glibc.sqsh

# without the device: no node, no driver
run_husk "$dirs" run "$image" -- sh -c 'test -e /dev/fakegpu0 || gpuprobe'
expect_status 1
expect_stdout_contains "dlopen: libfakegpu.so.1"

# with it: the node works, the library loads by soname, the link is there
run_husk "$dirs" run --device example.com/gpu=0 "$image" -- sh -c \
	'stat -c "%F %t:%T" /dev/fakegpu0; echo x >/dev/fakegpu0 && echo written; test -e /dev/fakegpu1 || echo no1;
	 gpuprobe; readlink /usr/lib/fakegpu/libfakegpu.so; echo "$FAKEGPU_DRIVER"'
expect_status 0
expect_stdout_is "character special file 1:3
written
no1
fake gpu driver 1.0
libfakegpu.so.1
1.0"

# nodev is lifted for the device node only
run_husk "$dirs" run --device example.com/gpu=0 "$image" -- cat /proc/self/mountinfo
expect_status 0
node=$(grep ' /dev/fakegpu0 ' <<<"$out")
lib=$(grep ' /usr/lib/fakegpu/libfakegpu.so.1 ' <<<"$out")
[ -n "$node" ] && ! grep -q nodev <<<"$node" || fail "the device node's mount: $node"
grep -q 'ro,nosuid,nodev' <<<"$lib" || fail "the library's mount is not ro,nosuid,nodev: $lib"

# =all: every device of the kind
run_husk "$dirs" run --device example.com/gpu=all "$image" -- sh -c 'test -c /dev/fakegpu0 && test -c /dev/fakegpu1 && echo both'
expect_status 0
expect_stdout_is both

# environment: the image's < the spec's < the user's -e
run_husk "$dirs" run --device example.com/gpu=0 "$image" -- sh -c 'echo "$SHARED $IMAGE_ONLY"'
expect_stdout_is "spec 1"
run_husk "$dirs" run --device example.com/gpu=0 -e SHARED=user "$image" -- sh -c 'echo "$SHARED"'
expect_stdout_is user

# a read-only root can't take a new ld.so.cache: LD_LIBRARY_PATH instead
# (the symlink can't be made: a warning, and the program still runs)
run_husk "$dirs" run --read-only --device example.com/gpu=0 "$image" -- gpuprobe
expect_status 0
expect_stdout_is "fake gpu driver 1.0"
expect_stderr_contains "create-symlinks libfakegpu.so.1::/usr/lib/fakegpu/libfakegpu.so: the root is read-only"
# without a mount point, a read-only root says so
run_husk "$dirs" run --read-only --device example.com/gpu=0 "$IMG/demo.sqsh" -- true
expect_error "CDI mount: .*libfakegpu.so.1: mount point /usr/lib/fakegpu/libfakegpu.so.1 in the container: Read-only file system"

# /var/run/cdi (later) wins over /etc/cdi for one device
sed -e 's/FAKEGPU_DRIVER=1.0/FAKEGPU_DRIVER=old/' "$w/run/example.yaml" >"$w/etc/example.yaml"
run_husk "$dirs" run --device example.com/gpu=0 "$image" -- sh -c 'echo "$FAKEGPU_DRIVER"'
expect_status 0
expect_stdout_is 1.0
# two specs of one directory defining one device: refused, naming both
cp "$w/run/example.yaml" "$w/run/example2.yaml"
run_husk "$dirs" run --device example.com/gpu=0 "$image" -- true
expect_error "--device example.com/gpu=0: device 0 is defined in both .*example.yaml and .*example2.yaml"
rm -f "$w/run/example2.yaml" "$w/etc/example.yaml"

# unknown device and kind, a bad spec, a missing host path, a hook husk can't run
run_husk "$dirs" run --device example.com/gpu=7 "$image" -- true
expect_error "--device example.com/gpu=7: no device 7"
run_husk "$dirs" run --device other.com/nic=0 "$image" -- true
expect_error "--device other.com/nic=0: no CDI spec defines the kind other.com/nic"
printf 'cdiVersion: 0.6.0\nkind: bad.com/x\ndevices: [\n' >"$w/etc/bad.yaml"
run_husk "$dirs" run --device example.com/gpu=0 "$image" -- true
expect_error "CDI spec $w/etc/bad.yaml"
printf 'cdiVersion: 0.6.0\nkind: bad.com/x\ndevices:\n- name: a\n  containerEdits:\n    deviceNodes: [{path: /dev/x, hostPath: /dev/husk-missing}]\n' >"$w/etc/bad.yaml"
run_husk "$dirs" run --device bad.com/x=a "$image" -- true
expect_error "CDI spec $w/etc/bad.yaml: device node /dev/husk-missing: No such file"
printf 'cdiVersion: 0.6.0\nkind: bad.com/x\ndevices:\n- name: a\n  containerEdits:\n    hooks: [{hookName: createContainer, path: /opt/vendor/hook}]\n' >"$w/etc/bad.yaml"
run_husk "$dirs" run --device bad.com/x=a "$image" -- true
expect_error "CDI spec $w/etc/bad.yaml: createContainer hook /opt/vendor/hook is not supported"
run_husk "$dirs" run --device vendor=x "$image" -- true
expect_error "--device vendor=x: not a CDI device name"
