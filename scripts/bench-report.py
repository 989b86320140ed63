#!/usr/bin/env python3
"""bench-report.py — gofer's overhead report: fiber vs thread vs goroutine.

Runs every workload of bench/report/report.hpp on every implementation —
gofer (overhead_gofer), std::thread (overhead_thread), Go (bench/go/report,
built here with `go build`) and Boost.Fiber (overhead_boostfiber) — one
process per (workload, implementation, run), the implementations in
alternation (run r starts with the r-th of them), and writes into --out:

  report.json   {"date", "nproc", "workloads": [{"name", "unit", "results":
                {impl: {"median", "min", "max", "runs": [...]}}}], ...}
  report.md     the table: median (min–max) per implementation, gofer/Go,
                gofer/thread
  overhead.svg  the ratios as bars on a log scale (gnuplot)

and prints report.md. Full mode: 5 runs of the full sizes. Quick mode
(GOFER_BENCH_QUICK=1 or --quick): 2 runs of the quick sizes. GOMAXPROCS is
set for every process to $GOMAXPROCS, else the CPUs this process may use:
gofer's worker count, Go's GOMAXPROCS and Boost.Fiber's thread count are
equal. An implementation that is missing (Go not installed, Boost.Fiber not
found by CMake) gets an empty column and a note; one that lacks a workload is
left out of that workload's results. A failed check or a crash is reported
and makes the exit status 1; the report is written anyway.

  scripts/bench-report.py [--build-dir build/release] [--out build/bench-report]
                          [--runs N] [--only w1,w2] [--quick] [--go GO]
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_report_render as render  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPLS = ["gofer", "thread", "go", "boostfiber"]
WORKLOADS = ["spawn_join", "skynet", "pingpong_unbuffered", "chan_buffered_mpmc", "select2",
             "yield", "parked_memory", "timers", "mutex_contention", "waitgroup",
             "context_cancel", "worker_pool"]


def log(msg):
    print(msg, flush=True)


def run_capture(cmd, env=None, timeout=None, cwd=None):
    """Runs cmd; returns (exit status, stdout, stderr); 124 on timeout."""
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return 124, e.stdout or "", f"timed out after {timeout} s"
    except OSError as e:
        return 127, "", str(e)


def build_go(go, out_dir, notes):
    """Builds bench/go/report into out_dir with the go command `go` (None:
    not installed); returns (the command or None, go's version)."""
    if go is None or not os.access(go, os.X_OK):
        notes.append("Go is not installed (Debian package golang-go; `make bench` installs it): "
                     "the Go column is empty.")
        return None, None
    rc, ver, _ = run_capture([go, "version"])
    version = ver.strip() if rc == 0 else None
    exe = os.path.join(out_dir, "overhead-go")
    env = dict(os.environ)
    if not env.get("HOME") and not env.get("XDG_CACHE_HOME"):  # go needs a build cache
        env.setdefault("GOCACHE", os.path.join(ROOT, "build", "go-cache"))
    rc, _, err = run_capture([go, "build", "-o", exe, "./report"], env=env, timeout=600,
                             cwd=os.path.join(ROOT, "bench", "go"))
    if rc != 0:
        notes.append("Go could not build bench/go/report (" + (err.strip().splitlines() or
                     ["exit %d" % rc])[-1] + "): the Go column is empty.")
        return None, version
    return [exe], version


def find_impls(build_dir, out_dir, go, notes):
    """Returns {impl: argv prefix} for the implementations at hand, and Go's version."""
    cmds = {}
    for impl in ("gofer", "thread"):
        exe = os.path.join(build_dir, "overhead_" + impl)
        if not os.access(exe, os.X_OK):
            sys.exit(f"bench-report: {exe} not found: build the release preset first "
                     "(cmake --preset release && cmake --build --preset release)")
        cmds[impl] = [exe]
    go_cmd, go_version = build_go(go, out_dir, notes)
    if go_cmd:
        cmds["go"] = go_cmd
    exe = os.path.join(build_dir, "overhead_boostfiber")
    if os.access(exe, os.X_OK):
        cmds["boostfiber"] = [exe]
    else:
        notes.append("Boost.Fiber was not found when CMake configured the build "
                     "(Debian package libboost-fiber-dev; `make bench` installs it): "
                     "the Boost.Fiber column is empty.")
    return cmds, go_version


def list_workloads(impl, cmd, env):
    rc, out, err = run_capture(cmd + ["-list" if impl == "go" else "--list"], env=env, timeout=60)
    if rc != 0:
        sys.exit(f"bench-report: {impl} --list failed: {err.strip()}")
    return set(out.split())


def run_one(impl, cmd, workload, env, timeout):
    """One process, one result: (dict from its JSON line, None) or (None, error)."""
    t0 = time.monotonic()
    rc, out, err = run_capture(cmd + [workload], env=env, timeout=timeout)
    if rc != 0:
        why = (err.strip().splitlines() or ["exit status %d" % rc])[-1]
        return None, f"{why} (exit {rc})"
    try:
        line = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None, f"no JSON line on stdout: {out.strip()[:200]!r}"
    if line.get("workload") != workload or line.get("impl") != impl:
        return None, f"unexpected result {line}"
    line["seconds"] = time.monotonic() - t0
    return line, None


def stats(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": xs}


def summarize(workload, lines, errors, listed):
    """The report.json entry of one workload."""
    entry = {"name": workload, "unit": None, "results": {}, "n": {}}
    for impl in IMPLS:
        if impl in errors:
            entry.setdefault("failed", {})[impl] = errors[impl]
            continue
        got = lines.get(impl)
        if not got:
            continue
        entry["unit"] = got[0]["unit"]
        res = stats([g["value"] for g in got])
        extra_keys = sorted({k for g in got for k in g.get("extra", {})})
        if extra_keys:
            res["extra"] = {k: stats([g["extra"][k] for g in got if k in g["extra"]])
                            for k in extra_keys}
        entry["results"][impl] = res
        entry["n"][impl] = got[0]["n"]
        entry.setdefault("seconds", {})[impl] = round(sum(g["seconds"] for g in got), 2)
    entry["impls"] = [i for i in IMPLS if i in listed]
    return entry


def check_sizes(entry, notes):
    """Every implementation but thread must have run the same n."""
    ns = {i: n for i, n in entry["n"].items() if i != "thread"}
    if len(set(ns.values())) > 1:
        notes.append(f"{entry['name']}: implementations ran different sizes {ns} "
                     "(bench/report/report.hpp and bench/go/report/sizes.go disagree)")
        entry.setdefault("failed", {})["sizes"] = f"different sizes {ns}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench-report"))
    ap.add_argument("--runs", type=int, default=0, help="runs per implementation (5; quick: 2)")
    ap.add_argument("--only", default="", help="comma-separated workloads")
    ap.add_argument("--quick", action="store_true", help="as GOFER_BENCH_QUICK=1")
    ap.add_argument("--go", default=shutil.which("go"), help="the go command (default: from PATH)")
    args = ap.parse_args()
    q = os.environ.get("GOFER_BENCH_QUICK", "")
    quick = args.quick or (q not in ("", "0"))
    runs = args.runs or (2 if quick else 5)
    workloads = [w for w in WORKLOADS if not args.only or w in args.only.split(",")]
    args.out, args.build_dir = os.path.abspath(args.out), os.path.abspath(args.build_dir)
    os.makedirs(args.out, exist_ok=True)

    nproc = len(os.sched_getaffinity(0))
    gomaxprocs = os.environ.get("GOMAXPROCS") or str(nproc)
    env = dict(os.environ, GOMAXPROCS=gomaxprocs, GOFER_BENCH_QUICK="1" if quick else "0")
    timeout = 120 if quick else 600
    notes = []
    t_start = time.monotonic()
    cmds, go_version = find_impls(args.build_dir, args.out, args.go, notes)
    listed = {impl: list_workloads(impl, cmd, env) for impl, cmd in cmds.items()}
    log(f"bench-report: {'quick' if quick else 'full'} mode, {runs} runs, GOMAXPROCS={gomaxprocs}, "
        f"nproc={nproc}; implementations: {', '.join(cmds)}")

    entries, failed = [], False
    for k, w in enumerate(workloads, 1):
        impls = [i for i in IMPLS if i in cmds and w in listed[i]]
        log(f"[{k:2d}/{len(workloads)}] {w}: {runs} x {' '.join(impls)}")
        lines, errors = {}, {}
        for r in range(runs):
            for impl in impls[r % len(impls):] + impls[:r % len(impls)]:  # alternate the order
                if impl in errors:
                    continue
                line, err = run_one(impl, cmds[impl], w, env, timeout)
                if err:
                    errors[impl] = err
                    log(f"        {impl}: FAILED: {err}")
                else:
                    lines.setdefault(impl, []).append(line)
        entry = summarize(w, lines, errors, [i for i in impls])
        check_sizes(entry, notes)
        failed = failed or bool(entry.get("failed"))
        entries.append(entry)
        log("        " + "  ".join(f"{i} {render.fmt_num(v['median'])}"
                                   for i, v in entry["results"].items()) + f"  ({entry['unit']})")

    report = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": nproc,
        "gomaxprocs": int(gomaxprocs),
        "mode": "quick" if quick else "full",
        "runs": runs,
        "implementations": list(cmds),
        "go_version": go_version,
        "cpu": render.cpu_model(),
        "commit": render.git_commit(ROOT),
        "seconds": round(time.monotonic() - t_start, 1),
        "notes": notes,
        "workloads": entries,
    }
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    md = render.markdown(report)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(md)
    svg_note = render.svg(report, args.out)
    if svg_note:
        notes.append(svg_note)
    print()
    print(md, end="")
    if svg_note:
        print(f"\nNote: {svg_note}")
    log(f"\nbench-report: wrote {args.out}/report.md, report.json"
        f"{'' if svg_note else ', overhead.svg'} in {report['seconds']} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
