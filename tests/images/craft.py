#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Craft hostile squashfs images for husk's tests from a good one.

The input must be made with `mksquashfs -noI` (inode and directory tables
stored uncompressed), so that fields can be found and patched in place; the
data blocks may be compressed. This is a test tool: it reads only what it
needs, trusting the input image.

  craft.py IN OUT name PATH SIZE      the entry PATH's name claims SIZE bytes
  craft.py IN OUT uid PATH INDEX      PATH's inode uses id index INDEX
  craft.py IN OUT frag PATH INDEX     PATH's inode uses fragment INDEX
  craft.py IN OUT data PATH           PATH's first data block's bytes garbled
  craft.py IN OUT word PATH WORD      PATH's first block size word set to WORD
  craft.py IN OUT size PATH SIZE      PATH's inode claims SIZE bytes
  craft.py IN OUT fragoff PATH OFF    PATH's tail lies at OFF in its fragment
  craft.py IN OUT sb FIELD VALUE      a superblock field (block_size, ...)
  craft.py IN OUT mutate SEED [N]     1-3 bytes changed, chosen by SEED, mostly
                                      in the superblock and the tables; with N,
                                      seeds SEED..SEED+N-1 into OUT with {} as
                                      the seed (one start of python for many)
PATH is absolute inside the image ("/" for the root directory's inode).
"""
import os
import random
import struct
import sys

SB = {  # offset, struct format
    "inode_count": (4, "<I"), "block_size": (12, "<I"), "fragment_count": (16, "<I"),
    "compression": (20, "<H"), "block_log": (22, "<H"), "flags": (24, "<H"),
    "id_count": (26, "<H"), "root_inode": (32, "<Q"), "bytes_used": (40, "<Q"),
    "id_table": (48, "<Q"), "inode_table": (64, "<Q"), "directory_table": (72, "<Q"),
    "fragment_table": (80, "<Q"),
}


def sb(img, field):
    off, fmt = SB[field]
    return struct.unpack_from(fmt, img, off)[0]


class Table:
    """An uncompressed metadata table: its bytes as one flat string, and the
    file offset of each flat byte."""

    def __init__(self, img, start, end):
        self.flat = bytearray()
        self.where = []
        self.blocks = {}  # file offset of a block -> its flat offset
        pos = start
        while pos + 2 <= end:
            (h,) = struct.unpack_from("<H", img, pos)
            size = h & 0x7FFF
            if not h & 0x8000:
                sys.exit("craft.py: the image's tables are compressed: make it with mksquashfs -noI")
            self.blocks[pos - start] = len(self.flat)
            self.flat += img[pos + 2:pos + 2 + size]
            self.where += range(pos + 2, pos + 2 + size)
            pos += 2 + size

    def at(self, ref):
        return self.blocks[ref >> 16] + (ref & 0xFFFF)


def open_image(path):
    img = bytearray(open(path, "rb").read())
    inodes = Table(img, sb(img, "inode_table"), sb(img, "directory_table"))
    dirs = Table(img, sb(img, "directory_table"), sb(img, "fragment_table")
                 if sb(img, "fragment_count") else sb(img, "id_table"))
    return img, inodes, dirs


def listing(inodes, dirs, ref):
    """The entries of the directory at ref: (name, ref, type, flat offset of
    the entry in the directory table)."""
    i = inodes.at(ref)
    itype = struct.unpack_from("<H", inodes.flat, i)[0]
    if itype == 1:
        start, _, size, off, _ = struct.unpack_from("<IIHHI", inodes.flat, i + 16)
    elif itype == 8:
        _, size, start, _, _, off, _ = struct.unpack_from("<IIIIHHI", inodes.flat, i + 16)
    else:
        sys.exit("craft.py: not a directory")
    pos = dirs.blocks[start] + off
    end = pos + size - 3
    out = []
    while pos < end:
        count, iblock, _ = struct.unpack_from("<III", dirs.flat, pos)
        pos += 12
        for _ in range(count + 1):
            ioff, _, etype, nsize = struct.unpack_from("<HhHH", dirs.flat, pos)
            name = bytes(dirs.flat[pos + 8:pos + 8 + nsize + 1]).decode()
            out.append((name, (iblock << 16) | ioff, etype, pos))
            pos += 8 + nsize + 1
    return out


def lookup(img, inodes, dirs, path):
    """(inode ref, entry flat offset or None) of path."""
    ref, entry = sb(img, "root_inode"), None
    for part in [p for p in path.split("/") if p]:
        for name, r, _, e in listing(inodes, dirs, ref):
            if name == part:
                ref, entry = r, e
                break
        else:
            sys.exit(f"craft.py: {path}: not in the image")
    return ref, entry


def patch(table, flat_off, data):
    for k, b in enumerate(data):
        img_patch[table.where[flat_off + k]] = b


def mutate(orig, seed):
    img = bytearray(orig)
    rnd = random.Random(seed)
    tables = sb(img, "inode_table")
    for _ in range(rnd.randint(1, 3)):
        r = rnd.random()
        if r < 0.15:
            pos = rnd.randrange(0, 96)
        elif r < 0.9:
            pos = rnd.randrange(tables, len(img))
        else:
            pos = rnd.randrange(0, len(img))
        img[pos] = rnd.choice([0, 0xFF, 0x7F, 0x80, 1, rnd.randrange(256), img[pos] ^ (1 << rnd.randrange(8))])
    return img


def main():
    global img_patch
    src, dst, op, *args = sys.argv[1:]
    if op == "mutate":  # needs no tables: fast, for sweeps
        img, inodes, dirs = bytearray(open(src, "rb").read()), None, None
    else:
        img, inodes, dirs = open_image(src)
    img_patch = img
    if op == "name":
        _, entry = lookup(img, inodes, dirs, args[0])
        patch(dirs, entry + 6, struct.pack("<H", int(args[1]) - 1))
    elif op == "uid":
        ref, _ = lookup(img, inodes, dirs, args[0])
        patch(inodes, inodes.at(ref) + 4, struct.pack("<H", int(args[1])))
    elif op == "frag":
        ref, _ = lookup(img, inodes, dirs, args[0])
        i = inodes.at(ref)
        if struct.unpack_from("<H", inodes.flat, i)[0] != 2:
            sys.exit("craft.py: frag: not a basic file inode")
        patch(inodes, i + 16 + 4, struct.pack("<I", int(args[1])))
    elif op == "data":
        ref, _ = lookup(img, inodes, dirs, args[0])
        i = inodes.at(ref)
        if struct.unpack_from("<H", inodes.flat, i)[0] != 2:
            sys.exit("craft.py: data: not a basic file inode")
        start, _, _, _ = struct.unpack_from("<IIII", inodes.flat, i + 16)
        (word,) = struct.unpack_from("<I", inodes.flat, i + 32)
        size = word & 0xFFFFFF
        if word & (1 << 24) or size < 64:
            sys.exit("craft.py: data: the first block is not compressed")
        for k in range(size // 4, size // 4 + 32):
            img[start + k] ^= 0x5A
    elif op in ("word", "size", "fragoff"):
        ref, _ = lookup(img, inodes, dirs, args[0])
        i = inodes.at(ref)
        if struct.unpack_from("<H", inodes.flat, i)[0] != 2:
            sys.exit(f"craft.py: {op}: not a basic file inode")
        field = {"word": 32, "size": 28, "fragoff": 24}[op]
        patch(inodes, i + field, struct.pack("<I", int(args[1], 0)))
    elif op == "sb":
        off, fmt = SB[args[0]]
        struct.pack_into(fmt, img, off, int(args[1], 0))
    elif op == "mutate":
        seed, count = int(args[0]), int(args[1]) if len(args) > 1 else 1
        for k in range(seed, seed + count):
            out = dst.replace("{}", str(k)) if len(args) > 1 else dst
            with open(out, "wb") as f:
                f.write(mutate(img, k))
            os.chmod(out, 0o644)
        return
    else:
        sys.exit(f"craft.py: unknown operation {op}")
    with open(dst, "wb") as f:
        f.write(img)


if __name__ == "__main__":
    main()
