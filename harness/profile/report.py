#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make profile's report: the instructions each kernel function ran per
pipe round trip, on the C core and on the Rust core, side by side.

usage: report.py LOOPS C_COUNTS C_SYSTEM_MAP RUST_COUNTS RUST_SYSTEM_MAP

A COUNTS file is the plugin's output (harness/profile/tbcount.c): one
translated block a line, "VADDR NR_INSNS EXECUTIONS".  Each block is
charged to the text symbol at or below its address; a block past the
last symbol (BPF programs, modules) is charged to "(other)".
"""
import bisect
import collections
import sys


def symbols(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    end = next((a for a, n in syms if n == "_etext"), None)
    return [a for a, _ in syms], [n for _, n in syms], end


def per_function(counts, system_map):
    addrs, names, etext = symbols(system_map)
    total = collections.Counter()
    with open(counts) as f:
        for line in f:
            vaddr, insns, runs = line.split()
            vaddr = int(vaddr, 16)
            i = bisect.bisect_right(addrs, vaddr) - 1
            if i < 0 or (etext is not None and vaddr >= etext):
                name = "(other)"
            else:
                name = names[i]
            total[name] += int(insns) * int(runs)
    return total


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    loops = int(sys.argv[1])
    c = per_function(sys.argv[2], sys.argv[3])
    r = per_function(sys.argv[4], sys.argv[5])
    ct, rt = sum(c.values()) / loops, sum(r.values()) / loops
    print(f"kernel instructions per round trip: C {ct:.0f}, Rust {rt:.0f}, "
          f"Rust/C {rt / ct:.3f}")
    # The cores' own functions: those only one kernel has.
    c_own = {k for k in c if k not in r}
    r_own = {k for k in r if k not in c}
    print(f"in functions only C has: {sum(c[k] for k in c_own) / loops:.0f}; "
          f"only Rust has: {sum(r[k] for k in r_own) / loops:.0f}")
    print()
    print(f"{'C':>9} {'Rust':>9} {'Rust-C':>9}  function")
    keys = sorted(set(c) | set(r), key=lambda k: -abs(r[k] - c[k]))
    for k in keys[:40]:
        print(f"{c[k] / loops:9.1f} {r[k] / loops:9.1f} {(r[k] - c[k]) / loops:9.1f}  {k}")


if __name__ == "__main__":
    main()
