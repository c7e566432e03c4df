#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The benchmark's figures: from the guest's bench.txt to out/bench.jsonl,
and from there to a table of Rust/C ratios and a plot.

Subcommands:
  collect RUNDIR    rows of one guest run (one core, one round); a guest
                    that did not finish, or whose kernel log reports a bug,
                    warning or stall, gives error rows instead of figures
  report            the table of a run, and its plot with --png
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import KernelLog, guest_status  # noqa: E402


def cmd_collect(args):
    base = {"run": args.run, "core": args.core, "round": args.round}
    rows = []
    gs = guest_status(args.rundir)
    klog = KernelLog(args.rundir)
    path = os.path.join(args.rundir, "bench.txt")
    lines = open(path).read().splitlines() if os.path.exists(path) else []
    seen = []
    for line in lines:
        parts = line.split(None, 3)
        if len(parts) < 4:
            continue
        sched, workload, value, unit = parts
        if sched not in seen:
            seen.append(sched)
        if value == "fail":
            rows.append({**base, "scheduler": sched, "workload": workload, "error": unit})
            continue
        bad = klog.markers_in(sched)
        if bad:
            rows.append({**base, "scheduler": sched, "workload": workload,
                         "error": "kernel log: " + "; ".join(bad[:3])})
            continue
        rows.append({**base, "scheduler": sched, "workload": workload,
                     "figure": float(value), "unit": unit})
    if not gs["finished"]:
        why = f"guest timed out after {gs['timeout']} s" if gs["timed_out"] else \
            f"guest ended early (exit {gs['exit']})"
        rows.append({**base, "scheduler": "-", "workload": "-", "error": why})
    bad = klog.markers_outside()
    if bad:
        rows.append({**base, "scheduler": "-", "workload": "-",
                     "error": "kernel log outside the workloads: " + "; ".join(bad[:3])})
    with open(args.results, "a") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    errors = [r for r in rows if "error" in r]
    for r in errors:
        print(f"bench {args.core} round {args.round}: {r['scheduler']}/{r['workload']}: {r['error']}")
    print(f"bench {args.core} round {args.round}: {len(rows) - len(errors)} figures, {len(errors)} errors")
    return 0


def load(path, run):
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if r["run"] == run:
                    out.append(r)
    return out


def table(rows):
    """One entry per (scheduler, workload), in the order they ran."""
    keys = []
    for r in rows:
        k = (r["scheduler"], r["workload"])
        if "figure" in r and k not in keys:
            keys.append(k)
    out = []
    for sched, wl in keys:
        fig = {c: {r["round"]: r["figure"] for r in rows
                   if r["core"] == c and r["scheduler"] == sched
                   and r["workload"] == wl and "figure" in r}
               for c in ("c", "rust")}
        unit = next(r["unit"] for r in rows
                    if r["scheduler"] == sched and r["workload"] == wl and "figure" in r)
        both = sorted(set(fig["c"]) & set(fig["rust"]))
        e = {"scheduler": sched, "workload": wl, "unit": unit,
             "c": list(fig["c"].values()), "rust": list(fig["rust"].values()),
             "rounds": len(both)}
        if both:
            per_round = [fig["rust"][n] / fig["c"][n] for n in both if fig["c"][n] > 0]
            e["ratio"] = statistics.mean(fig["rust"][n] for n in both) / \
                statistics.mean(fig["c"][n] for n in both)
            e["ratio_min"] = min(per_round)
            e["ratio_max"] = max(per_round)
        out.append(e)
    return out


def spread(values):
    """(max - min) / mean, in percent: how repeatable a core's figure is."""
    if len(values) < 2 or statistics.mean(values) == 0:
        return None
    return 100 * (max(values) - min(values)) / statistics.mean(values)


def cmd_report(args):
    rows = load(args.results, args.run)
    if not rows:
        print(f"no bench rows for run {args.run} in {args.results}")
        return 1
    entries = table(rows)
    print()
    print(f"bench run {args.run}: Rust/C by guest instruction time "
          "(lower is better; ratio of means, min-max of per-round ratios)")
    hdr = f"{'scheduler':<13} {'workload':<14} {'unit':<6} {'C mean':>10} {'spread':>7} " \
          f"{'Rust mean':>10} {'spread':>7} {'Rust/C':>7}  {'min-max':<13} rounds"
    print(hdr)
    print("-" * len(hdr))
    for e in entries:
        def cell(v):
            return f"{statistics.mean(v):10.4g}" if v else f"{'-':>10}"

        def sp(v):
            s = spread(v)
            return f"{s:6.1f}%" if s is not None else f"{'-':>7}"
        ratio = f"{e['ratio']:7.3f}  {e['ratio_min']:.3f}-{e['ratio_max']:.3f}" \
            if "ratio" in e else f"{'-':>7}  {'-':<11}"
        print(f"{e['scheduler']:<13} {e['workload']:<14} {e['unit']:<6} {cell(e['c'])} {sp(e['c'])} "
              f"{cell(e['rust'])} {sp(e['rust'])} {ratio:<22} {e['rounds']}")
    errors = {}
    for r in rows:
        if "error" in r:
            errors.setdefault((r["core"], r["scheduler"], r["error"]), []).append(r["round"])
    if errors:
        print()
        print("not measured:")
        for (core, sched, err), rounds in errors.items():
            print(f"  {core}/{sched} (rounds {','.join(map(str, sorted(set(rounds))))}): {err}")
    if args.png:
        plot(entries, args.png, args.run)
        print(f"\nplot: {args.png}")
    return 0


def plot(entries, path, run):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    es = [e for e in entries if "ratio" in e]
    labels = [f"{e['scheduler']} / {e['workload']}" for e in es]
    ratios = [e["ratio"] for e in es]
    lo = [e["ratio"] - e["ratio_min"] for e in es]
    hi = [e["ratio_max"] - e["ratio"] for e in es]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(es) + 1.5))
    ys = range(len(es))
    ax.barh(ys, [r - 1 for r in ratios], left=1, xerr=[lo, hi],
            color=["tab:red" if r > 1 else "tab:green" for r in ratios], capsize=3)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Rust core / C core (guest instruction time; < 1 is faster)")
    ax.set_title(f"sched_ext: Rust vs C core, run {run}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", required=True)
    p.add_argument("--run", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("collect")
    s.add_argument("rundir")
    s.add_argument("--core", required=True)
    s.add_argument("--round", type=int, required=True)
    s = sub.add_parser("report")
    s.add_argument("--png")
    args = p.parse_args()
    return {"collect": cmd_collect, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
