#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A terminal harness for 0236-terminal.sh: runs husk on a fresh pty, as an
interactive user would, and checks what shows on the terminal.

  ptyrun.py inject HUSK IMAGE   a container pushes input into the terminal
                                (TIOCSTI); the shell that ran husk reads what
                                is left in the terminal afterwards
  ptyrun.py shell HUSK IMAGE    sh -i in the container: window size, Ctrl-C,
                                Ctrl-Z, a resize
Prints "ok NAME" or "not ok NAME: why" per check; exits 1 if any failed."""
import fcntl, os, pty, select, struct, sys, termios, time

failed = 0


def check(name, cond, why=""):
    global failed
    print(("ok " if cond else "not ok ") + name + ("" if cond else ": " + why), flush=True)
    failed += not cond


def spawn(argv, rows, cols):
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.execvp(argv[0], argv)
    return pid, fd


class Term:
    def __init__(self, argv, rows=40, cols=120):
        self.pid, self.fd = spawn(argv, rows, cols)
        self.buf = b""

    def read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            data = b""
        if not data:
            return None
        self.buf += data
        return True

    def expect(self, text, timeout=10):
        """Wait for text after what earlier expects consumed."""
        end = time.time() + timeout
        want = text.encode()
        while want not in self.buf:
            left = end - time.time()
            if left <= 0 or self.read(left) is None:
                return False
        self.buf = self.buf[self.buf.index(want) + len(want):]
        return True

    def send(self, s):
        os.write(self.fd, s.encode())

    def drain(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end and self.read(end - time.time()) is not None:
            pass

    def wait(self):
        _, st = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(st)


def inject(husk, image):
    # bash runs husk, then reads a line from the terminal the way a login
    # shell would after the container exits
    t = Term(["bash", "--norc", "--noprofile", "-c",
              husk + " run " + image + " -- ./probe tiocsti 0; "
              "read -t 2 line; echo \"after:[$line]\""])
    t.drain(20)
    out = t.buf.decode(errors="replace")
    code = t.wait()
    check("tiocsti denied", "tiocsti errno=EPERM" in out, repr(out))
    check("nothing injected", "INJECTED" not in out and "after:[]" in out, repr(out))
    check("exit status", code == 0, str(code))


def shell(husk, image):
    t = Term([husk, "run", image, "--", "sh", "-i"], 40, 120)
    t.send("PS1='P''> '\n")
    check("prompt", t.expect("P> "), repr(t.buf))
    t.send("stty size\n")
    check("window size", t.expect("40 120") and t.expect("P> "), repr(t.buf))
    t.send("sleep 30\n")
    time.sleep(0.5)
    t.send("\x03")
    check("ctrl-c", t.expect("P> ", 5), repr(t.buf))
    t.send("echo rc=$?\n")
    check("ctrl-c status", t.expect("rc=130"), repr(t.buf))
    t.send("sleep 31\n")
    time.sleep(0.5)
    t.send("\x1a")
    check("ctrl-z", t.expect("Stopped", 5) and t.expect("P> "), repr(t.buf))
    t.send("jobs\n")
    check("stopped job listed", t.expect("sleep 31"), repr(t.buf))
    t.send("kill -9 %1; wait; echo killed\n")
    check("job killed", t.expect("killed") and t.expect("P> "), repr(t.buf))
    fcntl.ioctl(t.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 132, 0, 0))
    time.sleep(0.2)
    t.send("stty size\n")
    check("resize", t.expect("50 132"), repr(t.buf))
    t.send("exit 3\n")
    t.drain(10)
    check("exit status", t.wait() == 3, "")


if __name__ == "__main__":
    {"inject": inject, "shell": shell}[sys.argv[1]](sys.argv[2], sys.argv[3])
    sys.exit(1 if failed else 0)
