#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print husk's module import graph and check it.

A module is a top folder of C code. Each `#include "..."` of a file is
resolved the way the build does: the including file's own folder, then a
path from the top (launcher/step.h), then the module folders. The graph is
module -> modules it includes from. Checks, each failure one line:
  - the graph has no cycle;
  - no module includes another module's internal header (INTERNAL below);
  - every include resolves to a file of the tree (or config.h, or a header
    the build generates).
Usage: scripts/imports.py [--dot] [TOP]   exit 0 when every check holds."""
import os
import re
import sys

MODULES = ["common", "images", "accounting", "cgroup", "devices", "launcher", "spank-plugin", "imagetool"]
# headers only their own folder may include (tests may include any)
INTERNAL = {
    "launcher": {"rootfs.h", "exec.h", "devices.h", "hk_seccomp.h", "seccomp-default.h", "usage.h", "options.h"},
    "images": {"entry.h", "sqfs.h"},
    "cgroup": {"topo.h"},
    "spank-plugin": {"contexts.h"},
    "imagetool": {"tool.h"},
}
GENERATED = {"config.h", "seccomp-default.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def resolve(top, src, name):
    here = os.path.join(os.path.dirname(src), name)
    if os.path.exists(os.path.join(top, here)):
        return os.path.normpath(here)
    if os.path.exists(os.path.join(top, name)):
        return os.path.normpath(name)
    for m in MODULES:
        if os.path.exists(os.path.join(top, m, name)):
            return os.path.join(m, name)
    return None


def main(argv):
    dot = "--dot" in argv
    args = [a for a in argv if a != "--dot"]
    top = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    edges = {m: {} for m in MODULES}  # module -> {module: first file that includes it}
    bad = []
    for m in MODULES:
        d = os.path.join(top, m)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h")):
                continue
            src = os.path.join(m, f)
            with open(os.path.join(top, src), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            for name in INCLUDE.findall(text):
                if name in GENERATED or os.path.basename(name) in GENERATED and name.startswith(m + "/"):
                    continue
                dst = resolve(top, src, name)
                if dst is None:
                    bad.append(f"{src}: #include \"{name}\": no such header in the tree")
                    continue
                to = dst.split(os.sep)[0]
                if to == m or to not in edges:
                    continue
                if os.path.basename(dst) in INTERNAL.get(to, ()):
                    bad.append(f"{src}: #include \"{name}\": {dst} is internal to {to}/")
                edges[m].setdefault(to, src)
    # cycles: depth-first search over modules
    state, cycles = {}, []

    def visit(m, path):
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                cyc = path[path.index(n):] + [n]
                cycles.append(" -> ".join(cyc) + f" (via {edges[m][n]})")
            elif n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m, [m])
    bad += [f"import cycle: {c}" for c in cycles]
    if dot:
        print("digraph husk {")
        for m in MODULES:
            for n in sorted(edges[m]):
                print(f'  "{m}" -> "{n}";')
        print("}")
    else:
        for m in MODULES:
            print(f"{m}: {' '.join(sorted(edges[m])) or '-'}")
    for b in bad:
        print(f"imports: error: {b}", file=sys.stderr)
    if not bad:
        print(f"imports: {sum(len(e) for e in edges.values())} edges between {len(MODULES)} modules, no cycle",
              file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
