#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `husk step-keeper` is the Slurm keeper's exec (launcher/step.c), not a
# command for users, but any user can run it with descriptors of their own.
# Whatever they give it (no descriptors, the wrong ones, a memfd with
# garbage, a huge or empty one, a file that is not a memfd, /dev/null, a
# description of another format, a report pipe nobody reads or that is
# full), it says so in one "husk: error:" line and exits 125: no crash, no
# signal, no hang, nothing left behind, and the file given as the kernel
# mount's use (descriptor 6) untouched. A starter reading the report pipe
# gets the same error there.
. "$(dirname "$0")/../lib.sh"

# k.py HUSK CASE: lay out descriptors 3 to 7 for CASE, exec husk step-keeper
cat >k.py <<'EOF'
import fcntl, os, signal, sys
husk, case = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as a shell leaves it (Python ignores it)

def memfd(data=b"", size=None):
    fd = os.memfd_create("husk-keeper", 0)
    os.write(fd, data)
    if size is not None:
        os.ftruncate(fd, size)
    return fd

def place(fds):
    """fds: {target: fd}; moved out of the way first, then into place."""
    tmp = {t: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 20) for t, fd in fds.items()}
    for fd in set(fds.values()):
        os.close(fd)
    for t, fd in tmp.items():
        os.dup2(fd, t)
        os.close(fd)

garbage = b"\x00\xffnot a description\n" * 64
args = ["3", "4", "-"]
r, w = os.pipe()
fds = {3: w, 7: r}  # 7: the reader stays open (in husk itself)
if case in ("garbage", "channel"):
    fds[4] = memfd(garbage)
elif case == "huge":
    fds[4] = memfd(b"{", 2 << 20)
elif case == "empty":
    fds[4] = memfd()
elif case == "deep":
    fds[4] = memfd(b"[" * 1000000)
elif case == "old-format":
    fds[4] = memfd(b"husk-keeper/1\n" + b"\0" * 64 + b"husk-keeper/1\n")
elif case == "other-json":
    fds[4] = memfd(b'{"format": "husk-keeper/2", "why": -1}')
elif case == "file":
    with open("plain", "wb") as f:
        f.write(garbage)
    fds[4] = os.open("plain", os.O_RDONLY)
elif case == "devnull":
    fds[4] = os.open("/dev/null", os.O_RDONLY)
elif case == "no-reader":
    fds = {3: w, 4: memfd(garbage)}
    os.close(r)
elif case == "full":
    fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFL, 0)
    fds[4] = memfd(garbage)
elif case == "kmount":
    fds[4] = memfd(garbage)
    fds[6] = os.open("use", os.O_RDWR)
    args = ["3", "4", "-", "6"]
elif case == "no-fds":
    fds = {}
elif case == "swapped":
    fds[4] = memfd(garbage)
    args = ["4", "3", "-"]
elif case == "not-pipe":
    fds = {3: memfd(), 4: memfd(garbage)}
elif case == "not-socket":
    fds[4] = memfd(garbage)
    fds[5] = memfd()
    args = ["3", "4", "5"]
place(fds)
if case != "channel":
    os.execv(husk, [husk, "step-keeper"] + args)
# the starter's side: what the report pipe says
pid = os.fork()
if pid == 0:
    os.close(7)
    os.execv(husk, [husk, "step-keeper"] + args)
os.close(3)
msg = b""
while True:
    b = os.read(7, 4096)
    if not b:
        break
    msg += b
_, st = os.waitpid(pid, 0)
print(msg[2:].decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
EOF
chmod a+r k.py
printf 'keep' >use
chown "$HUSK_USER" use

for c in no-fds swapped not-pipe not-socket; do
	run_user timeout 30 python3 k.py "$HUSK" $c
	_last_cmd="husk step-keeper ($c)"
	expect_error "step-keeper: started by husk only"
done
run_husk step-keeper
expect_error "step-keeper: started by husk only"

desc="step-keeper: the container's description \(descriptor 4\) is not one husk made"
for c in garbage:"not JSON" huge:"larger than 1 MiB" empty:"empty$" deep:"not JSON" \
	old-format:"not JSON" other-json:"Object item not found" file:"not JSON" devnull:"not a file" \
	no-reader:"not JSON" full:"not JSON" kmount:"not JSON"; do
	run_user timeout 30 python3 k.py "$HUSK" "${c%%:*}"
	_last_cmd="husk step-keeper (${c%%:*})"
	expect_error "$desc: ${c#*:}"
done
check "the kernel mount's use (descriptor 6) is untouched" [ "$(cat use)" = keep ]

# a starter reads the same error on the report pipe
run_user timeout 30 python3 k.py "$HUSK" channel
_last_cmd="husk step-keeper (channel)"
expect_status 125
expect_stderr_line_matches "^husk: error: $desc: not JSON"
expect_stdout_contains "is not one husk made: not JSON"
rm -f k.py plain use
exit 0
