#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare the BPF ABI of two sched_ext cores: the C core and the Rust core.

A BPF scheduler sees the kernel only through vmlinux BTF, the kfunc sets the
verifier checks its calls against, and the struct_ops glue.  Two kernels that
agree on all of these load and verify the same schedulers the same way.  The
Rust core keeps that surface in C: the types in kernel/sched/ext_types.h,
which the C core's kernel/sched/ext.c includes too, and the kfunc sets and
struct_ops glue in kernel/sched/ext_abi.c, by hand, next to ext.c's: this
check is what keeps the two from drifting apart.  It reads both vmlinux files (ELF and BTF, with its
own small readers: no bpftool, pahole or pyelftools needed) and the source of
the two verifier callbacks whose behaviour BTF does not record.

What it compares, the C core being the reference:

  kfunc       Every kfunc: the FUNCs of the sched_ext kfunc sets (the
              __BTF_ID__set8__scx_kfunc_ids_* symbols in .BTF_ids, and any
              other set holding a sched_ext kfunc) and every scx_bpf_* or
              bpf_iter_scx_* FUNC tagged "bpf_kfunc".  Present in both, the
              same prototype (return type, parameter names and types, types
              spelled by name, never by type id), tagged alike (when both
              kernels' pahole tags kfuncs at all: 1.26 and later), in the
              same sets with the same KF_* flags.
  kfunc-set   The sets themselves: present in both, the same set flags.
  type        struct sched_ext_ops, bpf_struct_ops_sched_ext_ops and every
              struct or union BPF programs reach from it, from the kfuncs'
              prototypes and from the sched_ext tracepoints, as far as
              types named scx_*, sched_ext_* or bpf_iter_scx_* go, plus the
              types listed in ROOT_TYPES: the same kind, size, members,
              member types, offsets and bitfield sizes (in bits).
  enum        Named enums scx_* and every enum with an enumerator SCX_* or
              scx_*: the same size and signedness.
  enumerator  Each such enumerator, matched by name (anonymous enums have
              no other identity): present in both, the same value, in an
              enum of the same name.
  ops         Per struct_ops callback: the CFI stub (found as the kernel
              finds it: the address in __bpf_ops_sched_ext_ops, its symbol,
              then the BTF FUNC of that name) and its parameter types;
              which arguments may be NULL, from either way the kernel has
              to say so (a stub parameter named *__nullable, or a
              set_arg_maybe_null("op", n, ...)-style call in
              bpf_scx_is_valid_access()); and which callbacks may be
              sleepable (the case offsetof(struct sched_ext_ops, op):
              labels of bpf_scx_check_member(), #ifdef CONFIG_* evaluated
              against the kernel's .config).
  symbol      The functions and tracepoints tools attach to by name: every
              bpf_scx_* and __tracepoint_sched_ext_* symbol of the C core's
              System.map must be in the Rust core's too; where the C core
              has a BTF FUNC of that name (what fentry needs), so must the
              Rust core, with the same prototype.
  tracepoint  Each sched_ext tracepoint's btf_trace_* typedef (what tp_btf
              programs are checked against) and its trace_event_raw_* struct.

Output: one difference a line, "CATEGORY NAME: WHAT", sorted within each
category, then "abi: N differences".  Lines starting "note:" are facts a
reader may want (such as two different ways of marking the same argument
nullable) and are not counted.  Exit status: 0 when N is 0, 1 when not, 2
when an input could not be read.

  python3 harness/abi.py --c build/obj/x86_64-c/vmlinux \\
      --rust build/obj/x86_64-rust/vmlinux \\
      [--c-src build/src/kernel/sched/ext.c] \\
      [--rust-src build/src/kernel/sched/ext_abi.c]

System.map and .config are read from the vmlinux's folder unless
--c-map/--rust-map and --c-config/--rust-config name them.  Comparing a
kernel with itself must give 0 differences.
"""

import argparse
import os
import re
import struct
import sys

# From include/linux/btf.h (6.12).
KF_FLAGS = [
    (1 << 0, "KF_ACQUIRE"),
    (1 << 1, "KF_RELEASE"),
    (1 << 2, "KF_RET_NULL"),
    (1 << 4, "KF_TRUSTED_ARGS"),
    (1 << 5, "KF_SLEEPABLE"),
    (1 << 6, "KF_DESTRUCTIVE"),
    (1 << 7, "KF_RCU"),
    (1 << 8, "KF_ITER_NEW"),
    (1 << 9, "KF_ITER_NEXT"),
    (1 << 10, "KF_ITER_DESTROY"),
    (1 << 11, "KF_RCU_PROTECTED"),
]
# From include/linux/btf_ids.h.
SET8_FLAGS = [(1 << 0, "BTF_SET8_KFUNCS")]

# Types BPF programs reach through BTF that the walk from sched_ext_ops and
# the kfuncs might not find (task_struct, which the walk does not enter,
# holds sched_ext_entity and its list nodes; ops.cgroup_init()'s arguments
# exist only with CONFIG_EXT_GROUP_SCHED).
ROOT_TYPES = [
    "sched_ext_ops",
    "bpf_struct_ops_sched_ext_ops",
    "scx_exit_info",
    "scx_init_task_args",
    "scx_exit_task_args",
    "scx_cpu_acquire_args",
    "scx_cpu_release_args",
    "scx_dump_ctx",
    "bpf_iter_scx_dsq",
    "sched_ext_entity",
    "scx_dispatch_q",
    "scx_dsq_list_node",
    "scx_cgroup_init_args",
]
# The walk enters types with these names only: the rest of the kernel
# (task_struct, rq, cgroup, cpumask) is not the sched_ext core's to change.
WALK_NAMES = re.compile(r"^(scx_|sched_ext_|bpf_iter_scx|bpf_struct_ops_sched_ext_ops$|trace_event_raw_sched_ext_)")
KFUNC_NAMES = re.compile(r"^(scx_bpf_|bpf_iter_scx_)")
ENUMERATOR_NAMES = re.compile(r"^(SCX_|scx_)")
OPS = "sched_ext_ops"
OPS_STUBS = "__bpf_ops_sched_ext_ops"


class InputError(Exception):
    pass


# --- ELF ---------------------------------------------------------------------


class Elf:
    """The sections and symbols of an ELF file, read on demand."""

    def __init__(self, path):
        self.path = path
        try:
            self.f = open(path, "rb")
        except OSError as e:
            raise InputError(f"cannot open {path}: {e.strerror}")
        ident = self.f.read(16)
        if ident[:4] != b"\x7fELF":
            raise InputError(f"{path} is not an ELF file")
        self.is64 = ident[4] == 2
        self.end = "<" if ident[5] == 1 else ">"
        e = self.end
        if self.is64:
            hdr = struct.unpack(e + "HHIQQQIHHHHHH", self.f.read(48))
            shoff, shentsize, shnum, shstrndx = hdr[5], hdr[10], hdr[11], hdr[12]
            shfmt = e + "IIQQQQIIQQ"
        else:
            hdr = struct.unpack(e + "HHIIIIIHHHHHH", self.f.read(36))
            shoff, shentsize, shnum, shstrndx = hdr[5], hdr[10], hdr[11], hdr[12]
            shfmt = e + "IIIIIIIIII"
        self.f.seek(shoff)
        raw = self.f.read(shentsize * shnum)
        self.sections = []
        for i in range(shnum):
            name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
                shfmt, raw, i * shentsize
            )
            self.sections.append(
                {"name_off": name, "type": typ, "addr": addr, "offset": off,
                 "size": size, "link": link, "entsize": entsize}
            )
        shstr = self.read(self.sections[shstrndx]["offset"], self.sections[shstrndx]["size"])
        for s in self.sections:
            s["name"] = cstr(shstr, s["name_off"])
        self._symbols = None

    def read(self, offset, size):
        self.f.seek(offset)
        return self.f.read(size)

    def section(self, name):
        for s in self.sections:
            if s["name"] == name:
                return s
        return None

    def section_data(self, name):
        s = self.section(name)
        if s is None:
            raise InputError(f"{self.path} has no {name} section")
        return self.read(s["offset"], s["size"])

    def symbols(self):
        """{name: [(value, size, section index)]} from .symtab."""
        if self._symbols is not None:
            return self._symbols
        symtab = self.section(".symtab")
        if symtab is None:
            raise InputError(f"{self.path} has no .symtab (stripped?)")
        strs = self.read(self.sections[symtab["link"]]["offset"], self.sections[symtab["link"]]["size"])
        data = self.read(symtab["offset"], symtab["size"])
        out = {}
        if self.is64:
            fmt, order = self.end + "IBBHQQ", (0, 4, 5, 3)
        else:
            fmt, order = self.end + "IIIBBH", (0, 1, 2, 5)
        for ent in struct.iter_unpack(fmt, data):
            name_off, value, size, shndx = (ent[i] for i in order)
            if name_off:
                out.setdefault(cstr(strs, name_off), []).append((value, size, shndx))
        self._symbols = out
        return out

    def read_at(self, shndx, addr, size):
        """SIZE bytes at address ADDR of section SHNDX, from the file."""
        s = self.sections[shndx]
        if not s["addr"] <= addr <= s["addr"] + s["size"] - size:
            raise InputError(f"{self.path}: address {addr:#x} is outside {s['name']}")
        return self.read(s["offset"] + addr - s["addr"], size)

    def symbol_at(self):
        """{address: [symbol names]}, as kallsyms_lookup() would answer."""
        out = {}
        for name, ents in self.symbols().items():
            for value, _, _ in ents:
                out.setdefault(value, []).append(name)
        return out


def declare(type_spelling, name):
    """'struct x *' and 'p' make 'struct x *p'; 'u64' and 'v' make 'u64 v'."""
    if not name:
        return type_spelling
    return type_spelling + ("" if type_spelling.endswith("*") else " ") + name


def cstr(buf, off):
    end = buf.index(b"\0", off)
    return buf[off:end].decode("utf-8", "replace")


# --- BTF ---------------------------------------------------------------------

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)
KIND_NAMES = {STRUCT: "struct", UNION: "union", ENUM: "enum", ENUM64: "enum"}


class Type:
    __slots__ = ("id", "kind", "name", "vlen", "kflag", "size", "ref", "members",
                 "params", "values", "array", "component", "int_bits")

    def __init__(self):
        self.members = self.params = self.values = None


class Btf:
    """A BTF blob: types by id, and the index this check needs."""

    def __init__(self, data, path):
        if len(data) < 24:
            raise InputError(f"{path}: .BTF is too short")
        magic = struct.unpack_from("<H", data, 0)[0]
        e = "<" if magic == 0xEB9F else ">"
        if struct.unpack_from(e + "H", data, 0)[0] != 0xEB9F:
            raise InputError(f"{path}: .BTF has a bad magic number")
        hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(e + "5I", data, 4)
        strs = data[hdr_len + str_off : hdr_len + str_off + str_len]
        names = {}

        def name(off):
            s = names.get(off)
            if s is None:
                s = names[off] = cstr(strs, off) if off else ""
            return s

        self.types = [None]
        pos, end = hdr_len + type_off, hdr_len + type_off + type_len
        u32 = struct.Struct(e + "I")
        while pos < end:
            name_off, info, size_type = struct.unpack_from(e + "3I", data, pos)
            pos += 12
            t = Type()
            t.id = len(self.types)
            t.kind = (info >> 24) & 0x1F
            t.vlen = info & 0xFFFF
            t.kflag = info >> 31
            t.name = name(name_off)
            t.size = t.ref = size_type
            k = t.kind
            if k == INT:
                t.int_bits = u32.unpack_from(data, pos)[0]
                pos += 4
            elif k == ARRAY:
                t.array = struct.unpack_from(e + "3I", data, pos)
                pos += 12
            elif k in (STRUCT, UNION):
                t.members = []
                for i in range(t.vlen):
                    m_name, m_type, m_off = struct.unpack_from(e + "3I", data, pos + 12 * i)
                    if t.kflag:
                        bits, off = m_off >> 24, m_off & 0xFFFFFF
                    else:
                        bits, off = 0, m_off
                    t.members.append((name(m_name), m_type, off, bits))
                pos += 12 * t.vlen
            elif k == ENUM:
                t.values = []
                for i in range(t.vlen):
                    v_name, val = struct.unpack_from(e + "Ii", data, pos + 8 * i)
                    if not t.kflag and val < 0:
                        val &= 0xFFFFFFFF
                    t.values.append((name(v_name), val))
                pos += 8 * t.vlen
            elif k == ENUM64:
                t.values = []
                for i in range(t.vlen):
                    v_name, lo, hi = struct.unpack_from(e + "3I", data, pos + 12 * i)
                    val = (hi << 32) | lo
                    if t.kflag and val >= 1 << 63:
                        val -= 1 << 64
                    t.values.append((name(v_name), val))
                pos += 12 * t.vlen
            elif k == FUNC_PROTO:
                t.params = []
                for i in range(t.vlen):
                    p_name, p_type = struct.unpack_from(e + "2I", data, pos + 8 * i)
                    t.params.append((name(p_name), p_type))
                pos += 8 * t.vlen
            elif k == VAR:
                pos += 4
            elif k == DATASEC:
                pos += 12 * t.vlen
            elif k == DECL_TAG:
                t.component = struct.unpack_from(e + "i", data, pos)[0]
                pos += 4
            elif k not in (PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG):
                raise InputError(f"{path}: BTF kind {k} of type {t.id} is unknown to this script")
            self.types.append(t)
        self.by_name = {}
        self.tags = {}
        for t in self.types[1:]:
            if t.name:
                self.by_name.setdefault(t.name, []).append(t)
            if t.kind == DECL_TAG and t.component == -1:
                self.tags.setdefault(t.ref, set()).add(t.name)
        self._spell = {}

    def find(self, name, kinds):
        for t in self.by_name.get(name, []):
            if t.kind in kinds:
                return t
        return None

    def funcs(self, name):
        return [t for t in self.by_name.get(name, []) if t.kind == FUNC]

    def spell(self, tid, depth=0):
        """A type as C would write it, by name: equal spellings are equal
        types for a BPF program, whatever their ids."""
        key = tid
        if key in self._spell:
            return self._spell[key]
        s = self._spell_uncached(tid, depth)
        if depth == 0:
            self._spell[key] = s
        return s

    def _spell_uncached(self, tid, depth):
        if tid == 0:
            return "void"
        if depth > 12:
            return "..."
        t = self.types[tid]
        k = t.kind
        if k in (INT, FLOAT, TYPEDEF):
            return t.name
        if k == PTR:
            target = self.types[t.ref] if t.ref else None
            if target is not None and target.kind == FUNC_PROTO:
                return self.proto(t.ref, depth + 1, pointer=True)
            return self.spell(t.ref, depth + 1) + " *"
        if k in (CONST, VOLATILE, RESTRICT):
            return {CONST: "const ", VOLATILE: "volatile ", RESTRICT: "restrict "}[k] + self.spell(t.ref, depth + 1)
        if k == TYPE_TAG:
            return f"{self.spell(t.ref, depth + 1)} __tag({t.name})"
        if k == ARRAY:
            return f"{self.spell(t.array[0], depth + 1)}[{t.array[2]}]"
        if k == FWD:
            return ("union " if t.kflag else "struct ") + t.name
        if k in (STRUCT, UNION):
            if t.name:
                return f"{KIND_NAMES[k]} {t.name}"
            body = "; ".join(self.member_spell(m, depth + 1) for m in t.members)
            return f"{KIND_NAMES[k]} {{ {body} }} /* {t.size} bytes */"
        if k in (ENUM, ENUM64):
            if t.name:
                return f"enum {t.name}"
            body = ", ".join(f"{n} = {v}" for n, v in t.values)
            return f"enum {{ {body} }} /* {t.size} bytes */"
        if k == FUNC_PROTO:
            return self.proto(tid, depth + 1)
        if k == FUNC:
            return self.proto(t.ref, depth + 1)
        return f"<kind {k}>"

    def member_spell(self, m, depth):
        name, tid, off, bits = m
        s = f"{declare(self.spell(tid, depth), name or '<anon>')} @{off}"
        return s + (f":{bits}" if bits else "")

    def proto(self, tid, depth=0, pointer=False):
        t = self.types[tid]
        args = []
        for pname, ptype in t.params:
            if ptype == 0 and not pname:
                args.append("...")
            else:
                args.append(declare(self.spell(ptype, depth + 1), pname))
        inner = "(*)" if pointer else ""
        return f"{self.spell(t.ref, depth + 1)} {inner}({', '.join(args) or 'void'})"

    def strip(self, tid):
        """The type under typedefs and modifiers."""
        seen = 0
        while tid and self.types[tid].kind in (TYPEDEF, CONST, VOLATILE, RESTRICT, TYPE_TAG) and seen < 32:
            tid = self.types[tid].ref
            seen += 1
        return tid

    def referenced(self, tid):
        """The named structs, unions and enums a type leads to, without
        entering named structs (the caller decides which to enter)."""
        out, todo, seen = set(), [tid], set()
        while todo:
            i = todo.pop()
            if i == 0 or i in seen:
                continue
            seen.add(i)
            t = self.types[i]
            k = t.kind
            if k in (STRUCT, UNION, ENUM, ENUM64, FWD) and t.name:
                out.add(t.name)
                if i != tid:
                    continue
            if k in (PTR, TYPEDEF, CONST, VOLATILE, RESTRICT, TYPE_TAG, FUNC, VAR):
                todo.append(t.ref)
            elif k == ARRAY:
                todo.append(t.array[0])
            elif k in (STRUCT, UNION):
                todo.extend(m[1] for m in t.members)
            elif k == FUNC_PROTO:
                todo.append(t.ref)
                todo.extend(p[1] for p in t.params)
        return out


# --- one kernel ----------------------------------------------------------------


def read_config(path):
    conf = {}
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            m = re.match(r"^(CONFIG_\w+)=(.*)$", line.strip())
            if m:
                conf[m.group(1)] = m.group(2)
    return conf


def read_system_map(path, elf):
    """Symbol names of System.map, or of .symtab when there is none."""
    if path and os.path.exists(path):
        names = set()
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    names.add(parts[2])
        return names, path
    return set(elf.symbols()), f"{elf.path} (.symtab)"


class Kernel:
    def __init__(self, label, vmlinux, system_map=None, config=None, src=None):
        self.label = label
        self.elf = Elf(vmlinux)
        self.btf = Btf(self.elf.section_data(".BTF"), vmlinux)
        folder = os.path.dirname(os.path.abspath(vmlinux))
        self.symbols_map, self.map_source = read_system_map(
            system_map or os.path.join(folder, "System.map"), self.elf)
        self.config_path = config or os.path.join(folder, ".config")
        self.config = read_config(self.config_path)
        self.src = src
        self.src_text = None
        if src:
            try:
                with open(src, errors="replace") as f:
                    self.src_text = strip_comments(f.read())
            except OSError as e:
                raise InputError(f"cannot read {src}: {e.strerror}")
        self.notes = []
        self.sets = self.read_sets()
        self.kfuncs = self.find_kfuncs()
        self.has_kfunc_tags = any("bpf_kfunc" in tags for tags in self.btf.tags.values())
        if not self.has_kfunc_tags:
            self.notes.append(f"note: {label}: vmlinux BTF has no bpf_kfunc decl tags (pahole before "
                              f"1.26): its kfuncs are those of its kfunc sets")

    # kfunc sets: struct btf_id_set8 { u32 cnt; u32 flags; struct { u32 id;
    # u32 flags; } pairs[]; }, the ids resolved by resolve_btfids.
    def read_sets(self):
        syms = self.elf.symbols()
        ids = self.elf.section(".BTF_ids")
        if ids is None:
            raise InputError(f"{self.elf.path} has no .BTF_ids section")
        e = self.elf.end
        sets = {}
        for name, ents in syms.items():
            if not name.startswith("__BTF_ID__set8__"):
                continue
            set_name = name[len("__BTF_ID__set8__"):]
            value, _, shndx = ents[0]
            cnt, flags = struct.unpack(e + "2I", self.elf.read_at(shndx, value, 8))
            raw = self.elf.read_at(shndx, value + 8, 8 * cnt)
            members = {}
            for i in range(cnt):
                tid, kf = struct.unpack_from(e + "2I", raw, 8 * i)
                t = self.btf.types[tid] if 0 < tid < len(self.btf.types) else None
                if t is None or t.kind != FUNC:
                    members[f"<unresolved id {tid}>"] = kf
                else:
                    members[t.name] = kf
            if set_name.startswith("scx_kfunc_ids_") or any(KFUNC_NAMES.match(n) for n in members):
                sets[set_name] = {"flags": flags, "kfuncs": members}
        return sets

    def find_kfuncs(self):
        """{name: FUNC type} of every sched_ext kfunc: set members, and
        scx_bpf_* / bpf_iter_scx_* FUNCs tagged bpf_kfunc."""
        names = set()
        for s in self.sets.values():
            names.update(n for n in s["kfuncs"] if not n.startswith("<"))
        for tid, tags in self.btf.tags.items():
            t = self.btf.types[tid]
            if "bpf_kfunc" in tags and t.kind == FUNC and KFUNC_NAMES.match(t.name):
                names.add(t.name)
        out = {}
        for n in names:
            funcs = self.btf.funcs(n)
            # A kfunc is global: prefer the tagged one if BTF has several.
            tagged = [f for f in funcs if "bpf_kfunc" in self.btf.tags.get(f.id, ())]
            out[n] = (tagged or funcs or [None])[0]
        return out

    # --- source: what BTF does not record ---------------------------------

    def function_body(self, name):
        """The preprocessed body of the definition of C function NAME."""
        text = self.src_text
        for m in re.finditer(r"\b" + re.escape(name) + r"\s*\(", text):
            # A definition: the parameter list is followed by '{'.
            i, depth = m.end(), 1
            while i < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            rest = text[i:]
            if not re.match(r"\s*\{", rest):
                continue
            start = i + rest.index("{")
            j, depth = start + 1, 1
            while j < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            return preprocess(text[start:j], self.config, self.notes, f"{self.src}: {name}()")
        raise InputError(f"{self.src}: no definition of {name}()")

    def sleepable_ops(self):
        body = self.function_body("bpf_scx_check_member")
        ops = set(re.findall(r"case\s+offsetof\s*\(\s*struct\s+" + OPS + r"\s*,\s*(\w+)\s*\)\s*:", body))
        if not ops:
            raise InputError(f"{self.src}: bpf_scx_check_member() has no "
                             f"'case offsetof(struct {OPS}, op):' labels")
        return ops

    def maybe_null_calls(self):
        """{op: {arg index}} from calls like set_arg_maybe_null("op", n, ...)
        in bpf_scx_is_valid_access()."""
        body = self.function_body("bpf_scx_is_valid_access")
        out = {}
        for op, n in re.findall(r"\w*maybe_null\w*\s*\(\s*\"(\w+)\"\s*,\s*(\d+)", body):
            out.setdefault(op, set()).add(int(n))
        return out

    # --- struct_ops -------------------------------------------------------

    def ops_stubs(self):
        """{op: FUNC type of its CFI stub or None}, found as the kernel finds
        them: the function address in __bpf_ops_sched_ext_ops, its symbol,
        the BTF FUNC of that name."""
        ops = self.btf.find(OPS, (STRUCT,))
        syms = self.elf.symbols().get(OPS_STUBS)
        if ops is None or not syms:
            return {}
        value, _, shndx = syms[0]
        ptr = 8 if self.elf.is64 else 4
        fmt = self.elf.end + ("Q" if self.elf.is64 else "I")
        data = self.elf.read_at(shndx, value, ops.size)
        at = self.elf.symbol_at()
        out = {}
        for mname, mtype, off, _ in ops.members:
            target = self.btf.types[self.btf.strip(mtype)] if mtype else None
            if target is None or target.kind != PTR or self.btf.types[target.ref].kind != FUNC_PROTO:
                continue
            addr = struct.unpack_from(fmt, data, off // 8)[0] if off // 8 + ptr <= len(data) else 0
            stub = None
            for sym in at.get(addr, []) if addr else []:
                funcs = self.btf.funcs(sym)
                if funcs:
                    stub = funcs[0]
                    break
            out[mname] = stub
        return out


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # Join continued lines so that directives are one line each.
    return text.replace("\\\n", " ")


def eval_condition(expr, config):
    """A #if condition over CONFIG_ symbols; None when it cannot be told."""
    def defined(sym):
        return config.get(sym, "n") not in ("n", "") if config is not None else None

    if config is None:
        return None
    e = re.sub(r"\b(IS_ENABLED|IS_BUILTIN|defined)\s*\(\s*(\w+)\s*\)",
               lambda m: "1" if defined(m.group(2)) else "0", expr)
    e = re.sub(r"\bdefined\s+(\w+)", lambda m: "1" if defined(m.group(1)) else "0", e)
    e = re.sub(r"\bCONFIG_\w+\b", lambda m: "1" if config.get(m.group(0), "n") == "y" else "0", e)
    e = e.replace("&&", " and ").replace("||", " or ")
    e = re.sub(r"!(?!=)", " not ", e)
    if not re.fullmatch(r"[\s01()andornt]*", e):
        return None
    try:
        return bool(eval(e, {"__builtins__": {}}))
    except Exception:
        return None


def preprocess(text, config, notes, where):
    """Keep the lines of TEXT that #if/#ifdef/#else/#endif on CONFIG_
    symbols leave in, as the kernel's .config decides.  A condition this
    cannot evaluate keeps its lines, with a note."""
    out, stack = [], []  # stack of [active, taken]
    for line in text.split("\n"):
        m = re.match(r"\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)", line)
        if not m:
            if all(s[0] for s in stack):
                out.append(line)
            continue
        d, arg = m.group(1), m.group(2).strip()
        if d in ("ifdef", "ifndef", "if"):
            if d == "if":
                v = eval_condition(arg, config)
            else:
                v = eval_condition(f"defined({arg})", config)
                if v is not None and d == "ifndef":
                    v = not v
            if v is None:
                notes.append(f"note: {where}: cannot evaluate '#{d} {arg}'"
                             f"{' (no .config)' if config is None else ''}; its lines are kept")
                v = True
            stack.append([v, v])
        elif d == "elif" and stack:
            v = eval_condition(arg, config)
            v = True if v is None else v
            stack[-1][0] = v and not stack[-1][1]
            stack[-1][1] |= v
        elif d == "else" and stack:
            stack[-1][0] = not stack[-1][1]
        elif d == "endif" and stack:
            stack.pop()
    return "\n".join(out)


# --- the comparison --------------------------------------------------------------


def flag_names(value, table):
    names = [n for bit, n in table if value & bit]
    rest = value & ~sum(bit for bit, _ in table)
    if rest:
        names.append(f"{rest:#x}")
    return "|".join(names) or "0"


class Report:
    def __init__(self, a, b):
        self.a, self.b = a, b
        self.lines = {}
        self.notes = []
        self.counts = {}

    def add(self, category, name, what):
        self.lines.setdefault(category, set()).add(f"{category} {name}: {what}")

    def both(self, category, name, what, va, vb):
        if va != vb:
            self.add(category, name, f"{what} {self.a.label}={va} {self.b.label}={vb}")

    def missing(self, category, name, in_a, in_b):
        """True when present in both; else one line for the side lacking it."""
        if in_a and not in_b:
            self.add(category, name, f"missing in {self.b.label}")
        elif in_b and not in_a:
            self.add(category, name, f"missing in {self.a.label}")
        return in_a and in_b

    def output(self):
        lines = []
        for cat in ("kfunc-set", "kfunc", "ops", "type", "enum", "enumerator", "symbol", "tracepoint"):
            lines.extend(sorted(self.lines.get(cat, ())))
        for cat in sorted(set(self.lines) - {"kfunc-set", "kfunc", "ops", "type", "enum",
                                              "enumerator", "symbol", "tracepoint"}):
            lines.extend(sorted(self.lines[cat]))
        return lines


def compare_protos(r, category, name, ka, fa, kb, fb, names=True):
    """Return type, then each parameter's type (and name when NAMES)."""
    pa, pb = ka.btf.types[fa.ref], kb.btf.types[fb.ref]
    if pa.kind != FUNC_PROTO or pb.kind != FUNC_PROTO:
        r.both(category, name, "prototype", ka.btf.spell(fa.ref), kb.btf.spell(fb.ref))
        return
    r.both(category, name, "return type", repr_type(ka.btf.spell(pa.ref)), repr_type(kb.btf.spell(pb.ref)))
    if len(pa.params) != len(pb.params):
        r.add(category, name, f"parameters {r.a.label}=({ka.btf.proto(fa.ref)}) "
                              f"{r.b.label}=({kb.btf.proto(fb.ref)})")
        return
    for i, ((na, ta), (nb, tb)) in enumerate(zip(pa.params, pb.params)):
        if names:
            r.both(category, name, f"param {i} name", na or "<none>", nb or "<none>")
        r.both(category, name, f"param {i} ({na or nb}) type",
               repr_type(ka.btf.spell(ta)), repr_type(kb.btf.spell(tb)))


def repr_type(s):
    return f"'{s}'"


def compare_kfuncs(r, a, b):
    for name in sorted(set(a.sets) | set(b.sets)):
        if r.missing("kfunc-set", name, name in a.sets, name in b.sets):
            r.both("kfunc-set", name, "set flags", flag_names(a.sets[name]["flags"], SET8_FLAGS),
                   flag_names(b.sets[name]["flags"], SET8_FLAGS))
        for k in (a, b):
            for n in k.sets.get(name, {}).get("kfuncs", {}):
                if n.startswith("<"):
                    r.add("kfunc-set", name, f"{n} in {k.label}")
    r.counts["kfunc sets"] = len(set(a.sets) | set(b.sets))
    r.counts["kfuncs"] = len(set(a.kfuncs) | set(b.kfuncs))
    for name in sorted(set(a.kfuncs) | set(b.kfuncs)):
        fa, fb = a.kfuncs.get(name), b.kfuncs.get(name)
        if not r.missing("kfunc", name, fa is not None, fb is not None):
            continue
        # pahole 1.26 and later tag kfuncs; a kernel without any tag says
        # nothing here (a note says so).
        if a.has_kfunc_tags and b.has_kfunc_tags:
            r.both("kfunc", name, "tagged bpf_kfunc", tagged(a, fa), tagged(b, fb))
        r.both("kfunc", name, "linkage", fa.vlen, fb.vlen)
        compare_protos(r, "kfunc", name, a, fa, b, fb)
        for set_name in sorted(set(a.sets) & set(b.sets)):
            ma, mb = a.sets[set_name]["kfuncs"], b.sets[set_name]["kfuncs"]
            if name not in ma and name not in mb:
                continue
            if name not in mb:
                r.add("kfunc", name, f"in set {set_name} in {a.label} only")
            elif name not in ma:
                r.add("kfunc", name, f"in set {set_name} in {b.label} only")
            else:
                r.both("kfunc", name, f"flags in {set_name}", flag_names(ma[name], KF_FLAGS),
                       flag_names(mb[name], KF_FLAGS))
        # Sets one kernel lacks altogether are reported once, as sets.


def tagged(k, f):
    return "yes" if "bpf_kfunc" in k.btf.tags.get(f.id, ()) else "no"


def reachable_types(k):
    """Names of the structs and unions BPF programs reach, from the roots."""
    btf = k.btf
    todo = [n for n in ROOT_TYPES]
    for f in k.kfuncs.values():
        if f is not None:
            todo.extend(btf.referenced(f.id))
    for tp in tracepoints(k):
        for t in btf.by_name.get(f"btf_trace_{tp}", []):
            todo.extend(btf.referenced(t.id))
        todo.append(f"trace_event_raw_{tp}")
    seen = set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if not (WALK_NAMES.match(n) or n in ROOT_TYPES):
            continue
        t = btf.find(n, (STRUCT, UNION))
        if t is not None:
            todo.extend(btf.referenced(t.id))
    return {n for n in seen
            if (WALK_NAMES.match(n) or n in ROOT_TYPES) and not btf.find(n, (ENUM, ENUM64))}


def compare_types(r, a, b):
    names = reachable_types(a) | reachable_types(b)
    r.counts["structs"] = len(names)
    for name in sorted(names):
        ta = a.btf.find(name, (STRUCT, UNION))
        tb = b.btf.find(name, (STRUCT, UNION))
        if not r.missing("type", name, ta is not None, tb is not None):
            continue
        r.both("type", name, "kind", KIND_NAMES[ta.kind], KIND_NAMES[tb.kind])
        r.both("type", name, "size (bytes)", ta.size, tb.size)
        compare_members(r, name, a, ta, b, tb)


def compare_members(r, name, a, ta, b, tb):
    """Members by name; anonymous members (unnamed unions and structs) by
    their position among the anonymous members, their contents inlined in
    their spelled type."""
    def index(btf, t):
        out, anon = {}, 0
        for m in t.members:
            key = m[0]
            if not key:
                key = f"<anon {anon}>"
                anon += 1
            out[key] = m
        return out

    ma, mb = index(a.btf, ta), index(b.btf, tb)
    order = list(ma) + [k for k in mb if k not in ma]
    for key in order:
        if not r.missing("type", f"{name}.{key}", key in ma, key in mb):
            continue
        (_, tya, offa, bitsa), (_, tyb, offb, bitsb) = ma[key], mb[key]
        r.both("type", f"{name}.{key}", "offset (bits)", offa, offb)
        r.both("type", f"{name}.{key}", "bitfield size", bitsa, bitsb)
        r.both("type", f"{name}.{key}", "type", repr_type(a.btf.spell(tya)), repr_type(b.btf.spell(tyb)))


def scx_enums(k):
    """({enum name: type}, {enumerator: {(enum name, value)}})."""
    named, enumerators = {}, {}
    for t in k.btf.types[1:]:
        if t.kind not in (ENUM, ENUM64):
            continue
        scx = t.name.startswith("scx_") or any(ENUMERATOR_NAMES.match(n) for n, _ in t.values)
        if not scx:
            continue
        if t.name:
            named.setdefault(t.name, t)
        for n, v in t.values:
            enumerators.setdefault(n, set()).add((t.name or "<anonymous>", v))
    return named, enumerators


def compare_enums(r, a, b):
    na, ea = scx_enums(a)
    nb, eb = scx_enums(b)
    r.counts["named enums"] = len(set(na) | set(nb))
    r.counts["enumerators"] = len(set(ea) | set(eb))
    for name in sorted(set(na) | set(nb)):
        if not r.missing("enum", name, name in na, name in nb):
            continue
        r.both("enum", name, "size (bytes)", na[name].size, nb[name].size)
        r.both("enum", name, "signed", bool(na[name].kflag), bool(nb[name].kflag))
    for n in sorted(set(ea) | set(eb)):
        where = (ea.get(n) or eb.get(n))
        enum_name = sorted(where)[0][0]
        if not r.missing("enumerator", f"{n} (enum {enum_name})", n in ea, n in eb):
            continue
        va = sorted({v for _, v in ea[n]})
        vb = sorted({v for _, v in eb[n]})
        r.both("enumerator", n, "value", fmt_values(va), fmt_values(vb))
        r.both("enumerator", n, "enum", ",".join(sorted({e for e, _ in ea[n]})),
               ",".join(sorted({e for e, _ in eb[n]})))


def fmt_values(vs):
    return ",".join(str(v) if -(1 << 31) <= v < 1 << 32 else hex(v) for v in vs)


def nullable_from_stub(k, stub):
    if stub is None:
        return set()
    proto = k.btf.types[stub.ref]
    return {i for i, (n, _) in enumerate(proto.params) if n.endswith("__nullable")}


def compare_ops(r, a, b):
    oa, ob = a.btf.find(OPS, (STRUCT,)), b.btf.find(OPS, (STRUCT,))
    if oa is None or ob is None:
        return  # reported as a type
    stubs_a, stubs_b = a.ops_stubs(), b.ops_stubs()
    for k in (a, b):
        if not k.elf.symbols().get(OPS_STUBS):
            r.add("ops", OPS_STUBS, f"no symbol in {k.label}: the CFI stubs cannot be found")
        if k.src_text is None:
            k.notes.append(f"note: {k.label}: no source given: which ops may sleep and which "
                           f"arguments bpf_scx_is_valid_access() makes nullable are not checked")
    calls_a = a.maybe_null_calls() if a.src_text is not None else None
    calls_b = b.maybe_null_calls() if b.src_text is not None else None
    sleep_a = a.sleepable_ops() if a.src_text is not None else None
    sleep_b = b.sleepable_ops() if b.src_text is not None else None
    ops = [m for m in stubs_a if m in stubs_b]
    r.counts["ops"] = len(ops)
    for op in ops:
        sa, sb = stubs_a[op], stubs_b[op]
        if not r.missing("ops", f"{op} cfi stub", sa is not None, sb is not None):
            continue
        compare_protos(r, "ops", f"{op} cfi stub", a, sa, b, sb, names=False)
        stub_a, stub_b = nullable_from_stub(a, sa), nullable_from_stub(b, sb)
        call_a = calls_a.get(op, set()) if calls_a is not None else set()
        call_b = calls_b.get(op, set()) if calls_b is not None else set()
        null_a, null_b = stub_a | call_a, stub_b | call_b
        r.both("ops", op, "nullable args", sorted(null_a) or "none", sorted(null_b) or "none")
        if null_a == null_b and (stub_a != stub_b or call_a != call_b):
            r.notes.append(
                f"note: ops {op}: args {sorted(null_a)} may be NULL in both, said by "
                f"{a.label}: {how_nullable(stub_a, call_a)}, {b.label}: {how_nullable(stub_b, call_b)}")
    if sleep_a is not None and sleep_b is not None:
        members_a = {m[0] for m in oa.members}
        members_b = {m[0] for m in ob.members}
        for op in sorted(sleep_a | sleep_b):
            if op not in members_a or op not in members_b:
                continue  # a member one side lacks is reported as a type
            r.both("ops", op, "may sleep", "yes" if op in sleep_a else "no", "yes" if op in sleep_b else "no")


def how_nullable(stub, call):
    ways = []
    if stub:
        ways.append("__nullable stub parameter")
    if call:
        ways.append("bpf_scx_is_valid_access()")
    return " and ".join(ways) or "nothing"


def tracepoints(k):
    return sorted(n[len("__tracepoint_"):] for n in k.symbols_map if n.startswith("__tracepoint_sched_ext_"))


def compare_symbols(r, a, b):
    """bpf_scx_* and __tracepoint_sched_ext_* of A's System.map in B."""
    hooks = sorted(n for n in a.symbols_map
                   if n.startswith("bpf_scx_") or n.startswith("__tracepoint_sched_ext_"))
    r.counts["symbols"] = len(hooks)
    for n in hooks:
        if n not in b.symbols_map:
            r.add("symbol", n, f"missing in {b.label} ({os.path.basename(b.map_source)})")
            continue
        fa, fb = a.btf.funcs(n), b.btf.funcs(n)
        if fa and not fb:
            r.add("symbol", n, f"no BTF FUNC in {b.label}")
        elif fa and fb:
            compare_protos(r, "symbol", n, a, fa[0], b, fb[0])
    r.counts["tracepoints"] = len(set(tracepoints(a)) | set(tracepoints(b)))
    for tp in sorted(set(tracepoints(a)) | set(tracepoints(b))):
        ta = a.btf.find(f"btf_trace_{tp}", (TYPEDEF,))
        tb = b.btf.find(f"btf_trace_{tp}", (TYPEDEF,))
        if r.missing("tracepoint", f"btf_trace_{tp}", ta is not None, tb is not None):
            r.both("tracepoint", f"btf_trace_{tp}", "type",
                   repr_type(a.btf.spell(ta.ref)), repr_type(b.btf.spell(tb.ref)))


def compare(a, b):
    r = Report(a, b)
    compare_kfuncs(r, a, b)
    compare_ops(r, a, b)
    compare_types(r, a, b)
    compare_enums(r, a, b)
    compare_symbols(r, a, b)
    r.notes = a.notes + b.notes + r.notes
    r.notes.append("note: compared " + ", ".join(f"{v} {k}" for k, v in r.counts.items()))
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:]))
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(os.path.dirname(here), "build", "src", "kernel", "sched")
    p.add_argument("--c", required=True, metavar="VMLINUX", help="the C core's vmlinux (the reference)")
    p.add_argument("--rust", required=True, metavar="VMLINUX", help="the Rust core's vmlinux")
    p.add_argument("--c-src", default=os.path.join(src, "ext.c"),
                   help="the C core's kernel/sched/ext.c (default: build/src's)")
    p.add_argument("--rust-src", default=os.path.join(src, "ext_abi.c"),
                   help="the Rust core's kernel/sched/ext_abi.c (default: build/src's)")
    p.add_argument("--c-map", help="System.map of the C core (default: next to its vmlinux)")
    p.add_argument("--rust-map", help="System.map of the Rust core (default: next to its vmlinux)")
    p.add_argument("--c-config", help=".config of the C core (default: next to its vmlinux)")
    p.add_argument("--rust-config", help=".config of the Rust core (default: next to its vmlinux)")
    p.add_argument("--labels", default="c,rust", help="names of the two sides in the output (default: c,rust)")
    args = p.parse_args()
    la, lb = (args.labels.split(",") + ["rust"])[:2]
    try:
        a = Kernel(la, args.c, args.c_map, args.c_config, args.c_src)
        b = Kernel(lb, args.rust, args.rust_map, args.rust_config, args.rust_src)
        r = compare(a, b)
    except InputError as e:
        print(f"abi.py: {e}", file=sys.stderr)
        return 2
    lines = r.output()
    for line in r.notes:
        print(line)
    for line in lines:
        print(line)
    print(f"abi: {len(lines)} differences")
    return 0 if not lines else 1


if __name__ == "__main__":
    sys.exit(main())
