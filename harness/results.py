#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn what a guest run left behind into rows of out/results.jsonl.

Each guest run leaves a folder with the guest's kernel log (dmesg.txt when
the guest got as far as writing it, and always the console log), marker
lines written to /dev/kmsg around every test, and the output of the tests
themselves.  This script decides pass, fail or skip for each test, appends
one JSON row per test, and at the end of a run prints the summary and
checks the expected-pass list.

Subcommands:
  selftests RUNDIR     rows for the upstream selftests runner
  schedulers RUNDIR    rows for the example schedulers
  armhf RUNDIR         the armhf guest: boot, sched_ext state, the struct_ops
                       attach attempt, and KUnit (from kunit.py's JSON)
  checkpatch DIR       checkpatch --strict on each patch of the series
  abi DIR              harness/abi.py's comparison of the two cores' BPF ABI
  bench RUNDIR         make check's short benchmark round
  soak RUNDIR          the soak: attaches, ejections, hotplug, and reports
  plan                 record which tests of a suite this run means to run
  summary              the run's table, its counts and the expected-pass check
"""

import argparse
import json
import os
import re
import sys
import time

# What in a kernel log fails the test it belongs to.  Case matters: the
# boot log says "Lock dependency validator" and "panic=-1" harmlessly.
MARKERS = [
    re.compile(p)
    for p in (
        r"BUG:",
        r"WARNING:",
        r"Oops",
        r"Internal error:",
        r"Unable to handle kernel",
        r"general protection fault",
        r"Kernel panic",
        r"(?<![=\w])panic(?![=\w])",
        r"\b[Ss]tall(s|ed)?\b",
        r"blocked for more than",
        r"possible (circular|recursive) locking",
        r"inconsistent lock state",
        r"DEBUG_LOCKS_WARN_ON",
        r"lockdep is turned off",
        r"KASAN",
        r"UBSAN",
    )
]
# Lines that carry a marker word but report none of these things.  The
# sched_ext core's own lines report why it ejected a BPF scheduler ("...
# disabled (runnable task stall)"): an outcome the tests check, not a
# kernel bug; a bug of the core itself comes with a WARNING: or BUG: line.
# On armhf the runner's, the schedulers' and the load's own output goes to
# the console as "SCXWB runner TEST: ...", "SCXWB schedout NAME: ..." and
# "SCXWB loadout NAME: ..." lines, whose words (a test named stall, a
# scheduler's exit reason) are no report either.
NOT_MARKERS = re.compile(
    r"(Kernel )?[Cc]ommand line:|scx-workbench:|\bsched_ext: |SCXWB (runner|sched|schedout|loadout) "
)

KMSG = re.compile(r"scx-workbench: (suite|test) (\S+) (begin|end)")
TIMESTAMP = re.compile(r"^\[\s*(\d+\.\d+)\]")


def log_markers(lines):
    """The lines of a kernel log that report a bug, warning, stall or panic."""
    found = []
    for line in lines:
        if NOT_MARKERS.search(line):
            continue
        if any(m.search(line) for m in MARKERS):
            found.append(line.strip())
    return found


# How much of a guest's hang report a row's reason carries: the blocked
# tasks, the CPUs and the sched_ext dump come first; every task's stack
# is in the log.
HANG_REPORT_LINES = 400


class KernelLog:
    """A guest's kernel log, split into the windows of the tests in it."""

    def __init__(self, rundir):
        # The console is a stream to the host: it has every line, even when
        # the guest's ring buffer wrapped or the guest died.  dmesg.txt is
        # the fallback when the console lost the markers.
        self.source = None
        self.lines = []
        for name in ("console.log", "dmesg.txt"):
            path = os.path.join(rundir, name)
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
            if self.source is None or any("scx-workbench: suite" in x for x in lines):
                self.lines = lines
                self.source = path
            if any("scx-workbench: suite" in x for x in lines):
                break
        # What the guest printed when it asked itself why it still ran
        # (harness/guest/hang-report.sh) is kept apart: it is the reason of
        # the timeout the host will report, not a report of a test.
        self.hang_report = []
        for i, line in enumerate(self.lines):
            if "scx-workbench: hang report begin" in line:
                rest = self.lines[i:]
                end = next((j for j, x in enumerate(rest) if "scx-workbench: hang report end" in x),
                           len(rest) - 1)
                self.hang_report = rest[: end + 1]
                self.lines = self.lines[:i] + rest[end + 1 :]
                break
        # test name -> [begin index, end index or None, begin ts, end ts]
        self.windows = {}
        self.suite_done = False
        for i, line in enumerate(self.lines):
            m = KMSG.search(line)
            if not m:
                continue
            kind, name, edge = m.groups()
            ts = TIMESTAMP.match(line)
            ts = float(ts.group(1)) if ts else None
            if kind == "suite":
                if edge == "end":
                    self.suite_done = True
                continue
            if edge == "begin":
                self.windows[name] = [i, None, ts, None]
            elif name in self.windows:
                self.windows[name][1] = i
                self.windows[name][3] = ts

    def markers_in(self, name):
        """Marker lines in the test's window; None when it has no window."""
        w = self.windows.get(name)
        if not w:
            return None
        end = w[1] if w[1] is not None else len(self.lines)
        return log_markers(self.lines[w[0] : end])

    def markers_outside(self):
        inside = set()
        for b, e, _, _ in self.windows.values():
            inside.update(range(b, e if e is not None else len(self.lines)))
        return log_markers(
            line for i, line in enumerate(self.lines) if i not in inside
        )

    def lines_in(self, name):
        """The lines of the test's window; [] when it has none."""
        w = self.windows.get(name)
        if not w:
            return []
        return self.lines[w[0] : w[1] if w[1] is not None else len(self.lines)]

    def seconds(self, name):
        w = self.windows.get(name)
        if w and w[2] is not None and w[3] is not None:
            return round(w[3] - w[2], 2)
        return None

    def tail(self, n=25):
        """The last N lines, and the guest's hang report if it made one."""
        text = "\n".join(self.lines[-n:])
        if self.hang_report:
            text += "\nthe guest's hang report:\n" + "\n".join(self.hang_report[:HANG_REPORT_LINES])
            if len(self.hang_report) > HANG_REPORT_LINES:
                text += f"\n[{len(self.hang_report) - HANG_REPORT_LINES} more lines in the log]"
        return text


def read_kv(path):
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    out[k] = v
    return out


def guest_status(rundir):
    """Why a guest run ended, from the files the harness and guest left."""
    status = read_kv(os.path.join(rundir, "vm.status"))
    return {
        "started": os.path.exists(os.path.join(rundir, "guest-started")),
        "finished": os.path.exists(os.path.join(rundir, "guest-finished")),
        "timed_out": status.get("timed_out") == "1",
        "exit": status.get("exit", "?"),
        "timeout": status.get("timeout", "?"),
    }


class Rows:
    def __init__(self, args):
        self.args = args
        self.rows = []

    def add(self, suite, test, result, seconds=None, reason=None, log=None):
        row = {
            "run": self.args.run,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "arch": self.args.arch,
            "impl": self.args.impl,
            "config": self.args.config,
            "suite": suite,
            "test": test,
            "result": result,
            "seconds": seconds,
            "base": self.args.base,
        }
        if self.args.accel:
            row["accel"] = self.args.accel
        if result != "pass":
            row["reason"] = reason or "no reason recorded"
        if log:
            row["log"] = log
        self.rows.append(row)

    def write(self):
        os.makedirs(os.path.dirname(self.args.results), exist_ok=True)
        with open(self.args.results, "a") as f:
            for row in self.rows:
                f.write(json.dumps(row, sort_keys=True) + "\n")
        for row in self.rows:
            line = f"{row['result'].upper():4}  {row['suite']}/{row['test']}"
            if row.get("seconds") is not None:
                line += f" ({row['seconds']} s)"
            if row["result"] != "pass":
                line += f": {row['reason'].splitlines()[0]}"
            print(line)


def klog_problems(klog, name):
    """What the kernel log says against test NAME: problems, or none."""
    bad = klog.markers_in(name)
    if bad is None:
        return ["the kernel log has no begin marker for it, so it could not be checked"]
    if bad:
        return ["kernel log: " + "; ".join(bad[:5])]
    return []


def add_verdict(rows, suite, name, secs, problems, log):
    """A pass row for NAME if PROBLEMS is empty, else a fail row naming them."""
    if problems:
        rows.add(suite, name, "fail", secs, "; ".join(problems), log)
    else:
        rows.add(suite, name, "pass", secs, log=log)


def boot_row(rows, klog, gs, rundir, suite_name):
    """One row for the guest itself: it booted, finished, and the kernel
    log outside every test window is clean."""
    log = klog.source or os.path.join(rundir, "console.log")
    if not gs["started"]:
        why = "guest did not boot"
        if gs["timed_out"]:
            why += f" within {gs['timeout']} s"
        rows.add("boot", suite_name, "fail", reason=f"{why}; log tail:\n{klog.tail()}", log=log)
        return
    if not gs["finished"]:
        why = (
            f"guest timed out after {gs['timeout']} s"
            if gs["timed_out"]
            else f"guest ended early (exit {gs['exit']})"
        )
        rows.add("boot", suite_name, "fail", reason=f"{why}; log tail:\n{klog.tail()}", log=log)
        return
    bad = klog.markers_outside()
    if bad:
        rows.add("boot", suite_name, "fail", reason="kernel log: " + "; ".join(bad[:5]), log=log)
        return
    rows.add("boot", suite_name, "pass", log=log)


RESULT_LINE = re.compile(r"^(ok|not ok) (\d+) (\S+) #\s*(SKIP)?")


def parse_runner(path):
    """Per-test results and output from the selftests runner's stdout."""
    tests = {}
    order = []
    current = None
    if not os.path.exists(path):
        return tests, order
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("TEST: "):
                current = line[6:].strip()
                if current not in tests:
                    order.append(current)
                tests[current] = {"status": None, "output": []}
                continue
            m = RESULT_LINE.match(line)
            if m:
                name = m.group(3)
                t = tests.setdefault(name, {"status": None, "output": []})
                if name not in order:
                    order.append(name)
                if m.group(4):
                    t["status"] = "skip"
                else:
                    t["status"] = "pass" if m.group(1) == "ok" else "fail"
                current = None
                continue
            if current and line not in ("OUTPUT:",) and not line.startswith("DESCRIPTION:"):
                tests[current]["output"].append(line)
    return tests, order


# Upstream tests that only check that their scheduler attaches.  The core
# may still refuse the scheduler right after (an error exit from the
# enable path), which the runner does not see: the kernel log must show
# the scheduler enabled and never ejected with an error.
ATTACH_ONLY = {"maximal"}


def attach_problem(klog, name):
    lines = klog.lines_in(name)
    if not any(f'BPF scheduler "{name}" enabled' in x for x in lines):
        return f'the kernel log never says BPF scheduler "{name}" enabled'
    for x in lines:
        m = re.search(rf'BPF scheduler "{name}" disabled \((.*)\)', x)
        if m and "unregistered from user space" not in m.group(1):
            return "the core ejected it: " + x.strip()
    return None


def cmd_selftests(args):
    rows = Rows(args)
    rundir = args.rundir
    klog = KernelLog(rundir)
    gs = guest_status(rundir)
    tests, order = parse_runner(os.path.join(rundir, "selftests.out"))
    names = list(order)
    for n in args.tests or []:
        if n not in tests:
            names.append(n)
    log = os.path.join(rundir, "selftests.out")
    for name in names:
        t = tests.get(name)
        secs = klog.seconds(name)
        out = "\n".join(t["output"][-15:]) if t else ""
        if not t or t["status"] is None:
            if t:
                why = "guest timed out" if gs["timed_out"] else "runner ended"
                reason = f"{why} during this test; output:\n{out}"
            else:
                reason = "not run: the runner ended before it"
                if gs["timed_out"]:
                    reason = f"not run: guest timed out after {gs['timeout']} s"
                elif not gs["started"]:
                    reason = "not run: guest did not boot"
            rows.add(args.name, name, "fail", secs, reason, log)
            continue
        bad = klog.markers_in(name)
        if t["status"] == "fail":
            rows.add(args.name, name, "fail", secs, "runner: not ok; output:\n" + out, log)
        elif bad is None:
            rows.add(args.name, name, "fail", secs,
                     "the kernel log has no begin marker for this test, so it could not be checked",
                     klog.source)
        elif bad:
            rows.add(args.name, name, "fail", secs, "kernel log: " + "; ".join(bad[:5]), klog.source)
        elif t["status"] == "skip":
            rows.add(args.name, name, "skip", secs, "runner: SKIP; output:\n" + out, log)
        elif name in ATTACH_ONLY and attach_problem(klog, name):
            rows.add(args.name, name, "fail", secs, attach_problem(klog, name), klog.source)
        else:
            rows.add(args.name, name, "pass", secs, log=log)
    if not args.no_boot:
        boot_row(rows, klog, gs, rundir, args.name)
    rows.write()


def last_counters(path):
    """The scheduler's last line of its own statistics, if it printed any."""
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        lines = [line.strip() for line in f if re.search(r"\w+[=:]\s*\d", line)]
    return lines[-1] if lines else ""


def exit_line(path):
    """The loader's "EXIT: ..." line, when the core ejected its scheduler
    rather than user space unregistering it; None otherwise."""
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        lines = [line.strip() for line in f if line.startswith("EXIT: ")]
    if lines and lines[-1] != "EXIT: unregistered from user space":
        return lines[-1]
    return None


def qmap_stat(path, key):
    """The largest value scx_qmap's statistics lines gave KEY (0 if none)."""
    best = 0
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for m in re.finditer(rf"\b{key}=(\d+)", f.read()):
                best = max(best, int(m.group(1)))
    return best


# +weights (harness/guest/schedulers.sh): the same CPU-bound load, one
# worker per CPU, in two cgroups of cpu.weight 400 and 100, with the
# scheduler attached for the window.  The ratio of the CPU time the two
# got (cpu.stat usage_usec) must lie in WEIGHTS_RATIO.  4 is what the
# weights ask for; scx_flatcg's approximations give less in these 2-CPU
# TCG guests, about 2.4.  Weights ignored give about 1.
#
# Measured with SCHED_SECONDS=20, on a host busy with other builds and
# guests, hi/lo in µs of CPU over the window:
#   C core:    2.44 (42989747/17620667), 2.28 (43291074/18967164),
#              2.15 (44142768/20518713), 2.51 (51655336/20615046),
#              2.46 (47144319/19138589), 2.28 (36879932/16199727),
#              2.55 (43759334/17158072)
#   Rust core: 2.49 (49276860/19821374), 2.15 (40608284/18883529),
#              1.93 (39155185/20287457), 2.47 (40675234/16491020)
#   scx_simple, which has no notion of cgroups, in the same case: 0.98.
# The bounds leave room below the lowest and above the ideal 4.
#
# scx_flatcg itself can stall the root cgroup in this case: seen in 2 of
# 14 runs, both on the C core, on a host much busier than make check's.
# The likely cause is in scx_flatcg: its ops.enqueue() marks the cgroup
# queued before the task it dispatches reaches the DSQ (the core inserts
# it after ops.enqueue() returns), so a dispatch that has just found the
# DSQ empty can put the cgroup's node away for good.  The root cgroup,
# whose few tasks (kworkers, the guest's shell) sleep often, then never
# runs again and the watchdog ejects the scheduler: the row fails with
# "runnable task stall" in what the scheduler said.
WEIGHTS_RATIO = (1.5, 4.5)
# The two cgroups together must have kept the CPUs busy for at least this
# share of the window, or they did not compete.
WEIGHTS_BUSY = 0.5


def weights_problem(r):
    if r.get("cpu_controller") != "1":
        return "the guest's cgroup2 root could not enable the cpu controller"
    if (r.get("weight_hi"), r.get("weight_lo")) != ("400", "100"):
        return f"cpu.weight read {r.get('weight_hi')!r} and {r.get('weight_lo')!r}, not 400 and 100"
    hi = int(r.get("usage_hi_usec") or 0)
    lo = int(r.get("usage_lo_usec") or 0)
    window = int(r.get("window_usec") or 0) * int(r.get("cpus") or 0)
    if hi <= 0 or lo <= 0:
        return f"no CPU time accounted to a cgroup (cpu.stat usage_usec: {hi} and {lo} µs)"
    if window and (hi + lo) < WEIGHTS_BUSY * window:
        return (f"the cgroups' load used {(hi + lo) / window:.0%} of the CPUs over the window, "
                f"under {WEIGHTS_BUSY:.0%}: it did not compete")
    ratio = hi / lo
    low, high = WEIGHTS_RATIO
    if not low <= ratio <= high:
        return (f"CPU time of the cgroups of cpu.weight 400 and 100 in ratio {ratio:.2f} "
                f"({hi} and {lo} µs), outside [{low}, {high}]")
    return None


# +numa: the guest must have the two nodes the harness gave it, a CPU each.
def numa_problem(r):
    if r.get("numa_nodes") != "2" or not r.get("node0_cpus") or not r.get("node1_cpus"):
        return (f"the guest has {r.get('numa_nodes')!r} NUMA nodes (CPUs {r.get('node0_cpus')!r} "
                f"and {r.get('node1_cpus')!r}), not 2 with a CPU each")
    return None


# What a run of a case (NAME+CASE, see harness/guest/schedulers.sh) must
# show beyond a clean attach: a problem's text, or None.  scx_qmap's
# optional paths, scx_flatcg's weights, the NUMA guest.
def case_problem(name, r, out):
    case = name.partition("+")[2]
    if case == "batch_print" and int(r.get("trace_dsq_dumps") or 0) < 1:
        return "no dump of the shared DSQ (-P, the DSQ iterator) in the trace buffer"
    if case == "highpri":
        moved = sum(qmap_stat(out, k) for k in ("exp_local", "exp_remote", "exp_timer"))
        if moved < 1:
            return "no nice -20 task was moved ahead with scx_bpf_dispatch_from_dsq() (-H)"
    if case == "rt_hog" and qmap_stat(out, "reenq") < 1:
        return "no task was re-enqueued from ops.cpu_release() beside the RT task"
    if case == "weights":
        return weights_problem(r)
    if case == "numa":
        return numa_problem(r)
    return None


def scheduler_problems(name, r, out, klog):
    """What is wrong with a run of the example scheduler NAME (its result
    keys R, from harness/guest/schedulers.sh or, on armhf,
    harness/guest/armhf-schedulers.sh, and its output in OUT): a list of
    problems, empty when it attached, ran tasks, and detached cleanly
    with a clean kernel log."""
    problems = []
    if r.get("attached") != "1" or r.get("state_attached") != "enabled":
        problems.append(f"state read {r.get('state_attached')!r} after attaching, not 'enabled'")
    base = name.partition("+")[0]
    if r.get("ops") != base.removeprefix("scx_") and r.get("ops") != base:
        problems.append(f"root/ops read {r.get('ops')!r}")
    if int(r.get("ext_workers") or 0) < 1:
        problems.append(
            f"no worker of the load ran in the ext class ({r.get('ext_workers')} of {r.get('workers')})"
        )
    if r.get("state_end") != "enabled" or r.get("alive_at_end") != "1":
        problems.append(
            f"not attached at the end of the run (state {r.get('state_end')!r}, "
            f"scheduler {'alive' if r.get('alive_at_end') == '1' else 'gone'})"
        )
    if r.get("exited") != "1":
        problems.append("did not exit within its time after SIGINT")
    if r.get("detached") != "1":
        problems.append(f"state read {r.get('state_after')!r} after detaching, not 'disabled'")
    problem = case_problem(name, r, out)
    if problem:
        problems.append(problem)
    problems += klog_problems(klog, name)
    ejected = exit_line(out)
    if problems and ejected:
        problems.append(f"the scheduler said {ejected!r}")
    return problems


def cmd_schedulers(args):
    rows = Rows(args)
    rundir = args.rundir
    klog = KernelLog(rundir)
    gs = guest_status(rundir)
    for name in args.tests:
        r = read_kv(os.path.join(rundir, f"{name}.result"))
        out = os.path.join(rundir, f"{name}.out")
        secs = klog.seconds(name)
        if not r:
            why = f"guest timed out after {gs['timeout']} s" if gs["timed_out"] else "no result"
            rows.add(args.name, name, "fail", secs, f"not run: {why}", out)
            continue
        problems = scheduler_problems(name, r, out, klog)
        add_verdict(rows, args.name, name, secs, problems, out)
        info = {k: r.get(k) for k in ("ops", "ext_tasks", "ext_workers", "workers", "exit_code")}
        info.update({k: r[k] for k in ("usage_hi_usec", "usage_lo_usec", "ratio_hi_lo") if k in r})
        info["counters"] = last_counters(out)
        with open(os.path.join(rundir, f"{name}.summary.json"), "w") as f:
            json.dump(info, f)
    boot_row(rows, klog, gs, rundir, args.name)
    rows.write()


# scx_qmap's fault injection (harness/guest/faults.sh): the exit reason
# its loader must report, and whether a debug dump must come with it, and
# a line the dump must hold (from qmap's ops.dump(), by scx_bpf_dump()).
FAULTS = {
    "qmap_error": ("scx_bpf_error", "QMAP FIFO["),
    "qmap_stall_user": ("runnable task stall", "QMAP FIFO["),
    "qmap_stall_kernel": ("runnable task stall", "QMAP FIFO["),
    "qmap_dispatch_loop": ("runnable task stall", "QMAP FIFO["),
    "qmap_large_dump": ("scx_bpf_error", "QMAP FIFO["),
}


def cmd_faults(args):
    rows = Rows(args)
    rundir = args.rundir
    klog = KernelLog(rundir)
    gs = guest_status(rundir)
    for name in args.tests:
        r = read_kv(os.path.join(rundir, f"{name}.result"))
        out = os.path.join(rundir, f"{name}.out")
        secs = klog.seconds(name)
        if not r:
            why = f"guest timed out after {gs['timeout']} s" if gs["timed_out"] else "no result"
            rows.add(args.name, name, "fail", secs, f"not run: {why}", out)
            continue
        reason, dump_line = FAULTS[name]
        problems = []
        if r.get("ejected") != "1":
            problems.append("the core did not eject the scheduler within 60 s")
        if r.get("exit_line", "").split(" (")[0] != f"EXIT: {reason}":
            problems.append(f"loader reported {r.get('exit_line')!r}, not 'EXIT: {reason} (...)'")
        text = ""
        if os.path.exists(out):
            with open(out, errors="replace") as f:
                text = f.read()
        if int(r.get("dump_lines") or 0) < 3 or "CPU states" not in text:
            problems.append("no debug dump with the CPU states in the loader's output")
        elif dump_line not in text:
            problems.append(f"the dump lacks the scheduler's own line {dump_line!r}")
        if r.get("detached") != "1":
            problems.append("sched_ext did not return to 'disabled'")
        if r.get("next_attached") != "1" or r.get("next_detached") != "1":
            problems.append("scx_simple did not attach and detach afterwards")
        problems += klog_problems(klog, name)
        add_verdict(rows, args.name, name, secs, problems, out)
    boot_row(rows, klog, gs, rundir, args.name)
    rows.write()


# The soak (harness/guest/soak.sh): one row, which passes when the guest
# ran to the end, every attach reached "enabled" and every loader exited
# after its SIGINT, the core was back to "disabled" after each, and the
# kernel log of the whole soak is clean.  The counts of attaches and of
# how each ended are the core's own log lines, and go to soak.json.
SCX_ENABLED = re.compile(r'sched_ext: BPF scheduler "([^"]+)" enabled')
SCX_DISABLED = re.compile(r'sched_ext: BPF scheduler "([^"]+)" disabled \((.*)\)')
SOAK_LINE = re.compile(r' end=(\S+) exit="(.*)"$')


def soak_counts(rundir, klog):
    """The attaches and their ends, from kmsg.txt (or the soak's window)."""
    path = os.path.join(rundir, "kmsg.txt")
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    else:
        lines = klog.lines_in("soak")
    enabled = 0
    ends = {}
    for line in lines:
        if SCX_ENABLED.search(line):
            enabled += 1
        m = SCX_DISABLED.search(line)
        if m:
            ends[m.group(2)] = ends.get(m.group(2), 0) + 1
    detaches = ends.get("unregistered from user space", 0)
    return {
        "attaches": enabled,
        "detaches": detaches,
        "ejections": sum(ends.values()) - detaches,
        "ends": ends,
    }


def cmd_soak(args):
    rows = Rows(args)
    rundir = args.rundir
    klog = KernelLog(rundir)
    gs = guest_status(rundir)
    r = read_kv(os.path.join(rundir, "soak.txt"))
    log = os.path.join(rundir, "soak.log")
    counts = soak_counts(rundir, klog)
    reports = klog.markers_in("soak") or []
    summary = {
        "run": args.run, "arch": args.arch, "impl": args.impl, "config": args.config,
        "seconds": int(r.get("seconds") or 0),
        "iterations": int(r.get("iterations") or 0),
        "hotplugs": int(r.get("hotplugs") or 0),
        **counts,
        "reports": len(reports),
    }
    problems = []
    if not r:
        why = f"guest timed out after {gs['timeout']} s" if gs["timed_out"] else "no soak.txt"
        problems.append(f"the soak did not finish: {why}")
    else:
        # From soak.log, one line per attach: an attach the kernel never
        # logged is a failure unless the loader reported why it was
        # refused (an EXIT: line).  scx_central is refused that way: its
        # ops.init() will not run off its central CPU, and both cores run
        # ops.init() on their enable kthread, wherever that runs.
        ends = {}
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                for line in f:
                    m = SOAK_LINE.search(line)
                    if not m:
                        continue
                    end, exit_line = m.groups()
                    if end == "no-attach" and exit_line:
                        end = "refused"
                    ends[end] = ends.get(end, 0) + 1
        summary["refused"] = ends.get("refused", 0)
        for key, what in (("no-attach", "attaches that never reached 'enabled', with no exit reported"),
                          ("killed", "loaders that did not exit within 15 s of SIGINT"),
                          ("stuck", "ends after which sched_ext did not return to 'disabled'")):
            if ends.get(key):
                problems.append(f"{ends[key]} {what}")
        attached = sum(n for end, n in ends.items() if end not in ("refused", "no-attach"))
        if counts["attaches"] < attached or not counts["attaches"]:
            problems.append(f"the kernel logged {counts['attaches']} attaches, "
                            f"the guest saw {attached}")
    problems += klog_problems(klog, "soak")
    with open(os.path.join(rundir, "soak.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"soak {args.arch}/{args.impl}: {summary['seconds']} s, {summary['iterations']} runs, "
          f"{counts['attaches']} attaches, {counts['detaches']} detaches, "
          f"{counts['ejections']} ejections, {summary.get('refused', 0)} refused, "
          f"{summary['hotplugs']} hotplugs, {len(reports)} reports", file=sys.stderr)
    for reason, n in sorted(counts["ends"].items(), key=lambda x: -x[1]):
        print(f"  {n:5d}  {reason}", file=sys.stderr)
    add_verdict(rows, args.name, "soak", klog.seconds("soak"), problems, log)
    boot_row(rows, klog, gs, rundir, args.name)
    rows.write()


# The short benchmark round of make check (harness/guest/bench.sh): one row
# per scheduler, which passes when every workload gave a figure and the
# kernel log of its window is clean.  The figures themselves are not judged:
# one short round measures nothing; make bench does.
def cmd_bench(args):
    rows = Rows(args)
    rundir = args.rundir
    klog = KernelLog(rundir)
    gs = guest_status(rundir)
    path = os.path.join(rundir, "bench.txt")
    lines = open(path).read().splitlines() if os.path.exists(path) else []
    log = os.path.join(rundir, "bench.txt")
    for name in args.tests:
        mine = [ln.split(None, 3) for ln in lines if ln.split(None, 1)[0:1] == [name]]
        secs = klog.seconds(name)
        if not mine:
            why = f"guest timed out after {gs['timeout']} s" if gs["timed_out"] else "no figures"
            rows.add(args.name, name, "fail", secs, f"not run: {why}", log)
            continue
        problems = [f"{p[1]}: {p[3]}" for p in mine if len(p) == 4 and p[2] == "fail"]
        got = [p[1] for p in mine if len(p) == 4 and p[2] != "fail"]
        if len(got) < args.workloads:
            problems.append(f"{len(got)} of {args.workloads} workloads gave a figure")
        problems += klog_problems(klog, name)
        add_verdict(rows, args.name, name, secs, problems, log)
    boot_row(rows, klog, gs, rundir, args.name)
    rows.write()


def kunit_cases(group, prefix=""):
    """(name, status) of every case in kunit.py's JSON, suites flattened."""
    name = group.get("name", "")
    here = f"{prefix}{name}." if name and name != "KUnit Test Group" else prefix
    for case in group.get("test_cases", []):
        yield here + case["name"], case["status"]
    for sub in group.get("sub_groups", []):
        yield from kunit_cases(sub, here)


# How the kernel and libbpf say that 32-bit ARM's BPF JIT cannot do what a
# scheduler's programs ask of it.  With this series' JIT patches (0021-0025)
# it calls kfuncs, subprograms and callbacks, builds struct_ops trampolines,
# does atomics and BPF_PROBE_MEM loads; what is left (see the README's armhf
# section) still fails the load this way, and such a test is a skip that
# quotes the load.
ARM_UNSUPPORTED = re.compile(
    r"\(-524\)|failed to load: -524|calling kernel functions are not allowed|"
    r"JIT does not support|JIT doesn't support"
)


def kunit_rows(rows, rundir, log):
    """Rows for the KUnit cases in RUNDIR/kunit.json, from kunit.py parse."""
    kjson = os.path.join(rundir, "kunit.json")
    cases = []
    if os.path.exists(kjson):
        with open(kjson) as f:
            try:
                cases = list(kunit_cases(json.load(f)))
            except json.JSONDecodeError:
                cases = []
    if not cases:
        rows.add("kunit", "ktap", "fail", reason="no KUnit results in the console log", log=log)
    status_map = {"PASS": "pass", "SKIP": "skip"}
    for name, status in cases:
        result = status_map.get(status, "fail")
        rows.add("kunit", name, result, reason=f"KUnit: {status}", log=log)


def cmd_kunit(args):
    """KUnit rows of a guest whose console log kunit.py has parsed."""
    rows = Rows(args)
    kunit_rows(rows, args.rundir, KernelLog(args.rundir).source)
    rows.write()


TEST_BPF_SUMMARY = re.compile(
    r"test_bpf: (?:(test_tail_calls): )?Summary: (\d+) PASSED, (\d+) FAILED"
    r"(?:, \[(\d+)/(\d+) JIT'ed\])?")
TEST_BPF_FAIL = re.compile(r"test_bpf: (#\d+ .*?) (?:jited:\d+ )?(?:ret -?\d+ != -?\d+ )?FAIL")
TEST_BPF_BASELINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_bpf-armhf.txt")


def read_test_bpf_baseline(path=TEST_BPF_BASELINE):
    """{suite: (passed, failed, set of failing tests)} of the recorded run."""
    base = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("suite "):
                _, suite, passed, failed = line.split(" ", 3)
                base[suite] = (int(passed), int(failed), set())
            elif line.startswith("fail "):
                _, suite, test = line.split(" ", 2)
                base[suite][2].add(test)
    return base


def test_bpf_rows(rows, klog, said, log):
    """One row per test_bpf suite: no fewer passes than the baseline
    (harness/test_bpf-armhf.txt, the kernel without this series' JIT
    patches) and no failure that the baseline does not have."""
    if said.get("test_bpf") == "filtered":
        return
    if said.get("test_bpf") == "missing":
        rows.add("test_bpf", "test_bpf", "fail", reason="test_bpf.ko is not in the initramfs", log=log)
        return
    lines = klog.lines_in("test_bpf")
    bad = klog.markers_in("test_bpf")
    secs = klog.seconds("test_bpf")
    base = read_test_bpf_baseline()
    found, failing = {}, []
    for line in lines:
        m = TEST_BPF_FAIL.search(line)
        if m:
            failing.append(m.group(1))
            continue
        m = TEST_BPF_SUMMARY.search(line)
        if m:
            suite = m.group(1) or "test_bpf"
            found[suite] = (int(m.group(2)), int(m.group(3)), set(failing),
                            m.group(4), m.group(5))
            failing = []
    for suite in ("test_bpf", "test_tail_calls"):
        if suite not in found:
            rows.add("test_bpf", suite, "fail", secs,
                     f"no summary of {suite} in the kernel log (insmod said "
                     f"{said.get('test_bpf_insmod')!r}); log tail:\n" + klog.tail(), log)
            continue
        passed, failed, fails, jited, ran = found[suite]
        bpassed, bfailed, bfails = base.get(suite, (0, 0, set()))
        text = f"{passed} passed, {failed} failed"
        if jited:
            text += f", {jited}/{ran} JITed"
        if suite in base:
            text += f"; before this series' JIT patches: {bpassed} passed, {bfailed} failed"
        else:
            text += "; no count from before this series' JIT patches is recorded"
        new = sorted(fails - bfails)
        if bad:
            rows.add("test_bpf", suite, "fail", secs, "kernel log: " + "; ".join(bad[:5]), log)
        elif new or passed < bpassed:
            rows.add("test_bpf", suite, "fail", secs,
                     text + "; failing now, not before: " + ", ".join(new[:20]), log)
        else:
            rows.add("test_bpf", suite, "pass", secs, text, log)


def cmd_armhf(args):
    rows = Rows(args)
    rundir = args.rundir
    klog = KernelLog(rundir)
    gs = guest_status(rundir)
    lines = klog.lines
    said = {}
    runner_out = {}
    for line in lines:
        m = re.search(r"SCXWB (\w+)=(.*)$", line)
        if m:
            said[m.group(1)] = m.group(2).strip()
        m = re.search(r"SCXWB runner (\S+): (.*)$", line)
        if m:
            runner_out.setdefault(m.group(1), []).append(m.group(2))
    gs["started"] = any("SCXWB booted" in x for x in lines)
    gs["finished"] = any("SCXWB done" in x for x in lines)
    log = klog.source

    kunit_rows(rows, rundir, log)
    test_bpf_rows(rows, klog, said, log)

    state = said.get("state")
    if state == "disabled":
        rows.add("boot", "sched_ext_state", "pass", log=log)
    else:
        rows.add("boot", "sched_ext_state", "fail",
                 reason=f"/sys/kernel/sched_ext/state read {state!r}, not 'disabled'", log=log)

    # The selftests, each run by an invocation of its own.  A test whose
    # scheduler 32-bit ARM's JIT cannot load is a skip that says so.
    log_out = os.path.join(rundir, "selftests.out")
    with open(log_out, "w") as f:
        for name, out in runner_out.items():
            f.write(f"### runner -t {name}\n" + "\n".join(out) + "\n")
    if said.get("runner") == "missing":
        rows.add("selftests", "runner", "fail", reason="the cross-built runner is missing", log=log)
    elif not runner_out:
        rows.add("selftests", "runner", "fail",
                 reason="the guest ran no selftests; log tail:\n" + klog.tail(), log=log)
    for name, out in runner_out.items():
        status = None
        for line in out:
            m = RESULT_LINE.match(line)
            if m and m.group(3) == name:
                status = "skip" if m.group(4) else ("pass" if m.group(1) == "ok" else "fail")
        why = next((x.strip() for x in out if ARM_UNSUPPORTED.search(x)), None)
        text = "\n".join(out[-15:])
        bad = klog.markers_in(name)
        secs = klog.seconds(name)
        if bad is None:
            rows.add("selftests", name, "fail", secs, "no kernel-log window for this test", log_out)
        elif bad:
            rows.add("selftests", name, "fail", secs, "kernel log: " + "; ".join(bad[:5]), log_out)
        elif status == "pass":
            rows.add("selftests", name, "pass", secs, log=log_out)
        elif status == "fail" and why:
            rows.add("selftests", name, "skip", secs,
                     "32-bit ARM's BPF JIT cannot load this scheduler's programs; "
                     f"the load said: {why}", log_out)
        elif status == "skip":
            rows.add("selftests", name, "skip", secs, "runner: SKIP; output:\n" + text, log_out)
        else:
            rows.add("selftests", name, "fail", secs,
                     f"runner: {status or 'no result'}; output:\n" + text, log_out)

    armhf_scheduler_rows(rows, klog, lines, said, rundir, log, gs)
    boot_row(rows, klog, gs, rundir, "armhf")
    rows.write()


# The example schedulers in the armhf guest (harness/guest/armhf-schedulers.sh),
# judged as on x86_64; beyond that, every worker of the load
# (harness/guest/loadgen.c) must have made progress between its two
# snapshots, taken once the scheduler was attached and just before it was
# detached, the scheduler must have been enabled exactly once, and its
# loader must have exited 0.
ARMHF_SCHEDULERS = ("scx_simple", "scx_qmap", "scx_central")
ARMHF_SCHED = re.compile(r"SCXWB (sched|schedout|loadout) (\S+): ?(.*)$")
LOAD_SNAPSHOT = re.compile(r"^snapshot (\d+):((?: \d+)*)$")
LOAD_WORKER = re.compile(r"^worker (\w+) (\d+) count=")


def load_problems(r, load):
    """What the load's output LOAD says against the scheduler run R."""
    problems = []
    snaps = {}
    names = {}
    for line in load:
        m = LOAD_SNAPSHOT.match(line)
        if m:
            snaps[int(m.group(1))] = [int(x) for x in m.group(2).split()]
        m = LOAD_WORKER.match(line)
        if m:
            names[int(m.group(2))] = f"{m.group(1)} {m.group(2)}"
    if 1 not in snaps or 2 not in snaps or len(snaps[1]) != len(snaps[2]) or not snaps[1]:
        problems.append("the load gave no snapshots of its workers while the scheduler was attached "
                        f"(snapshot_attached={r.get('snapshot_attached')!r}, "
                        f"snapshot_detaching={r.get('snapshot_detaching')!r})")
    else:
        still = [names.get(i, str(i)) for i, (a, b) in enumerate(zip(snaps[1], snaps[2])) if b <= a]
        if still:
            problems.append("load workers that made no progress while the scheduler was attached: "
                            + ", ".join(still))
    if r.get("load_exit") != "0":
        bad = [x for x in load if x.endswith("count=0") or " died: " in x]
        problems.append(f"the load exited {r.get('load_exit')!r}"
                        + (f"; {', '.join(bad)}" if bad else "")
                        + (f"; it said: {load[-1]}" if load else ""))
    return problems


def armhf_scheduler_rows(rows, klog, lines, said, rundir, log, gs):
    got = {}
    for line in lines:
        m = ARMHF_SCHED.search(line)
        if m:
            got.setdefault((m.group(1), m.group(2)), []).append(m.group(3).rstrip())
    for name in ARMHF_SCHEDULERS:
        out = os.path.join(rundir, f"{name}.out")
        with open(out, "w") as f:
            f.write("\n".join(got.get(("schedout", name), [])) + "\n")
            f.write("### the load\n" + "\n".join(got.get(("loadout", name), [])) + "\n")
        res = got.get(("sched", name))
        secs = klog.seconds(name)
        if said.get("schedulers") == "missing":
            rows.add("schedulers", name, "fail", reason="the armhf schedulers or the load generator did not build", log=log)
            continue
        if not res:
            why = f"guest timed out after {gs['timeout']} s" if gs["timed_out"] else "no result in the console"
            rows.add("schedulers", name, "fail", secs, f"not run: {why}", log)
            continue
        r = dict(x.split("=", 1) for x in res if "=" in x)
        if r.get("missing") == "1":
            rows.add("schedulers", name, "fail", reason="not in the initramfs: it did not build", log=log)
            continue
        problems = scheduler_problems(name, r, out, klog)
        problems += load_problems(r, got.get(("loadout", name), []))
        try:
            enabled = int(r["enable_seq_after"]) - int(r["enable_seq_before"])
        except (KeyError, ValueError):
            enabled = None
        if enabled != 1:
            problems.append(f"enable_seq went from {r.get('enable_seq_before')!r} "
                            f"to {r.get('enable_seq_after')!r}, not up by one")
        if r.get("exit_code") != "0":
            problems.append(f"the loader exited {r.get('exit_code')!r}, not 0")
        add_verdict(rows, "schedulers", name, secs, problems, out)


def cmd_checkpatch(args):
    """checkpatch --strict on each patch of the series: a patch passes with
    no error and no warning; its CHECKs are listed in the row.

    One warning is judged here instead: "does MAINTAINERS need updating?",
    which checkpatch gives any patch that adds files without touching
    MAINTAINERS.  It does not count when series.sh found every added file
    under an existing MAINTAINERS section ("covered:" lines)."""
    rows = Rows(args)
    names = sorted(f for f in os.listdir(args.rundir) if f.endswith(".checkpatch"))
    if not names:
        rows.add("checkpatch", "series", "fail", reason="checkpatch produced no results")
    for f in names:
        path = os.path.join(args.rundir, f)
        with open(path, errors="replace") as fh:
            text = fh.read()
        name = f.removesuffix(".checkpatch")
        m = re.search(r"^total: (\d+) errors, (\d+) warnings, (\d+) checks", text, re.M)
        if not m:
            rows.add("checkpatch", name, "fail", reason="checkpatch printed no total", log=path)
            continue
        errors, warnings, checks = map(int, m.groups())
        covered = [l for l in text.splitlines() if l.startswith("covered: ")]
        uncovered = [l for l in text.splitlines() if l.startswith("uncovered: ")]
        if warnings == 1 and covered and not uncovered and re.search(
                r"^WARNING: added, moved or deleted file\(s\), does MAINTAINERS need updating\?",
                text, re.M):
            warnings = 0
        if errors or warnings:
            first = [l for l in text.splitlines() if l.startswith(("ERROR:", "WARNING:"))]
            rows.add("checkpatch", name, "fail",
                     reason=f"{errors} errors, {warnings} warnings: " + "; ".join(first[:3]), log=path)
        else:
            rows.add("checkpatch", name, "pass", log=path)
            if checks:
                rows.rows[-1]["checks"] = checks
    rows.write()


ABI_TOTAL = re.compile(r"^abi: (\d+) differences$")


def cmd_abi(args):
    """One row for harness/abi.py's comparison of the Rust core's BPF ABI
    with the C core's: it passes with no difference.  DIR/abi.txt holds the
    script's output, one difference a line, and DIR/abi.status its exit
    status; the row's reason is the number of differences, the file the
    list of them."""
    rows = Rows(args)
    out = os.path.join(args.rundir, "abi.txt")
    status = read_kv(os.path.join(args.rundir, "abi.status"))
    lines = []
    if os.path.exists(out):
        with open(out, errors="replace") as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
    total = ABI_TOTAL.match(lines[-1]) if lines else None
    code = status.get("exit", "?")
    if total is None or code not in ("0", "1"):
        last = lines[-1] if lines else "no output"
        rows.add("abi", "btf-parity", "fail", reason=f"abi.py did not finish (exit {code}): {last}", log=out)
    elif code == "0" and total.group(1) == "0":
        rows.add("abi", "btf-parity", "pass", log=out)
    else:
        diffs = [line for line in lines[:-1] if not line.startswith("note:")]
        first = f" (first: {diffs[0]})" if diffs else ""
        rows.add("abi", "btf-parity", "fail", reason=f"{total.group(1)} differences{first}", log=out)
    rows.write()


def cmd_fail(args):
    rows = Rows(args)
    rows.add(args.suite, args.test, "fail", reason=args.reason)
    rows.write()


def load_rows(path, run):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if row.get("run") == run:
                    rows.append(row)
    return rows


def read_expected(path):
    """(arch, impl, suite, test) entries of the expected-pass list."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) != 4:
                sys.exit(f"{path}:{n}: want 'ARCH IMPL SUITE TEST'")
            out.append(tuple(line))
    return out


def read_plan(path):
    """What the run meant to run: {(arch, impl, suite): set of tests or None}.

    None means the whole suite, whatever tests it turns out to have."""
    plan = {}
    if not path or not os.path.exists(path):
        return plan
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            p = json.loads(line)
            key = (p["arch"], p["impl"], p["suite"])
            tests = p.get("tests")
            if tests is None or plan.get(key, set()) is None:
                plan[key] = None
            else:
                plan.setdefault(key, set()).update(tests)
    return plan


def cmd_plan(args):
    os.makedirs(os.path.dirname(args.plan) or ".", exist_ok=True)
    entry = {"arch": args.arch, "impl": args.impl, "suite": args.suite,
             "tests": None if args.all else args.tests}
    with open(args.plan, "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
    return 0


def counts_line(rows):
    c = {"pass": 0, "fail": 0, "skip": 0}
    for row in rows:
        c[row["result"]] = c.get(row["result"], 0) + 1
    return f"{c['pass']} passed, {c['fail']} failed, {c['skip']} skipped"


def cmd_summary(args):
    rows = load_rows(args.results, args.run)
    plan = read_plan(args.plan)

    # An expected test fails the run when it did not pass, or when the run
    # meant to run it and it has no row at all.  A partial run (make, which
    # attaches scx_simple only; SELFTEST_FILTER) checks only what it ran.
    by_key = {(r["arch"], r["impl"], r["suite"], r["test"]): r for r in rows}
    broken = []
    for key in read_expected(args.expected):
        if key[:3] not in plan:
            continue
        planned = plan[key[:3]]
        row = by_key.get(key)
        if row is None:
            if planned is None or key[3] in planned:
                broken.append(f"{'/'.join(key)}: no result")
        elif row["result"] != "pass":
            broken.append(f"{'/'.join(key)}: {row['result']}: {row.get('reason', '').splitlines()[0]}")

    print()
    print(f"results: {args.results} (run {args.run})")
    not_pass = [r for r in rows if r["result"] != "pass"]
    for r in not_pass:
        print(f"  {r['result']}: {r['arch']}/{r['impl']} {r['suite']}/{r['test']}: "
              f"{r.get('reason', '').splitlines()[0]}")
        if r.get("log"):
            print(f"        log: {r['log']}")
        # A guest that died or hung: its log tail and hang report, here
        # too, for a reader who has this output and not the logs (CI).
        if r["suite"] == "boot":
            for line in r.get("reason", "").splitlines()[1:]:
                print(f"        | {line}")
    if broken:
        print("expected to pass, but did not:")
        for b in broken:
            print(f"  {b}")
    # One line per architecture and core, in the order they ran, then the
    # total, which is the closing line.
    configs = []
    for r in rows:
        c = f"{r['arch']}/{r['impl']}"
        if c not in configs:
            configs.append(c)
    if len(configs) > 1:
        for c in configs:
            print(f"{c}: " + counts_line([r for r in rows if f"{r['arch']}/{r['impl']}" == c]))
    print(counts_line(rows))
    return 1 if broken or not rows else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", required=True)
    p.add_argument("--run", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("selftests", "schedulers", "faults", "armhf", "kunit", "checkpatch", "abi", "bench",
                 "soak"):
        s = sub.add_parser(name)
        s.add_argument("rundir")
        s.add_argument("--arch", required=True)
        s.add_argument("--impl", required=True)
        s.add_argument("--config", required=True)
        s.add_argument("--base", required=True)
        s.add_argument("--accel")
        s.add_argument("--name", default=name)
        s.add_argument("--tests", nargs="*", default=[])
        s.add_argument("--workloads", type=int, default=0,
                       help="bench: the workloads each scheduler must give a figure for")
        s.add_argument("--no-boot", action="store_true",
                       help="no boot row: another suite's rows of the same guest give it")
    s = sub.add_parser("fail", help="one fail row, for a part that stopped early")
    for opt in ("arch", "impl", "config", "base", "suite", "test", "reason"):
        s.add_argument(f"--{opt}", required=True)
    s.add_argument("--accel")
    s = sub.add_parser("plan", help="record the tests of a suite this run means to run")
    for opt in ("plan", "arch", "impl", "suite"):
        s.add_argument(f"--{opt}", required=True)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--all", action="store_true", help="the whole suite, whatever it holds")
    g.add_argument("--tests", nargs="+")
    s = sub.add_parser("summary")
    s.add_argument("--expected", required=True)
    s.add_argument("--plan", required=True)
    args = p.parse_args()
    if args.cmd == "summary":
        return cmd_summary(args)
    if args.cmd == "plan":
        return cmd_plan(args)
    {
        "selftests": cmd_selftests,
        "schedulers": cmd_schedulers,
        "faults": cmd_faults,
        "armhf": cmd_armhf,
        "kunit": cmd_kunit,
        "checkpatch": cmd_checkpatch,
        "abi": cmd_abi,
        "bench": cmd_bench,
        "soak": cmd_soak,
        "fail": cmd_fail,
    }[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
