#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""modname.py SRC DST NAME: copy the kernel module SRC to DST under the
module name NAME, as long as the old one.

The name is in two places: the struct module of the section
.gnu.linkonce.this_module, and "name=" in .modinfo.  Both are rewritten
in place, in the file, so that nothing else moves: the relocations of
struct module (its init and exit functions) stay as they are.
"""
import struct
import sys


def sections(elf):
    """{name: (offset, size)} of a little- or big-endian ELF32/ELF64 file."""
    if elf[:4] != b"\x7fELF":
        raise SystemExit("not an ELF file")
    is64 = elf[4] == 2
    end = "<" if elf[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", elf, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", elf, 0x3A)
        fmt, off_at = end + "IIQQQQ", (4, 5)
    else:
        shoff, = struct.unpack_from(end + "I", elf, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", elf, 0x2E)
        fmt, off_at = end + "IIIIII", (4, 5)
    hdrs = [struct.unpack_from(fmt, elf, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][off_at[0]]
    out = {}
    for h in hdrs:
        name = elf[stroff + h[0]: elf.index(b"\0", stroff + h[0])].decode()
        out[name] = (h[off_at[0]], h[off_at[1]])
    return out


def main():
    src, dst, new = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    elf = bytearray(open(src, "rb").read())
    secs = sections(elf)
    info = elf[slice(secs[".modinfo"][0], sum(secs[".modinfo"]))]
    old = next(x[5:] for x in info.split(b"\0") if x.startswith(b"name="))
    if len(old) != len(new):
        raise SystemExit(f"{new.decode()!r} is not as long as {old.decode()!r}")
    for sec, pat in ((".gnu.linkonce.this_module", old + b"\0"), (".modinfo", b"name=" + old + b"\0")):
        off, size = secs[sec]
        at = elf.find(pat, off, off + size)
        if at < 0 or elf.find(pat, at + 1, off + size) >= 0:
            raise SystemExit(f"{sec}: not exactly one {pat!r}")
        elf[at: at + len(pat)] = pat.replace(old, new)
    open(dst, "wb").write(elf)


if __name__ == "__main__":
    main()
