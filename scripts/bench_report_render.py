"""bench_report_render.py — report.md and overhead.svg from bench-report.py's
report (the dict it writes as report.json). Standard library and gnuplot only.
"""
import os
import shutil
import subprocess

NAMES = {"gofer": "gofer", "thread": "std::thread", "go": "Go", "boostfiber": "Boost.Fiber"}
OTHERS = ["go", "thread", "boostfiber"]  # what gofer is divided by
UNITS = {  # what the unit counts, per workload
    "spawn_join": "ns per task (spawn + run + join)",
    "skynet": "ms for the whole tree (n leaves, 1.11 n tasks)",
    "pingpong_unbuffered": "ns per round trip",
    "chan_buffered_mpmc": "ns per item",
    "select2": "ns per receive",
    "yield": "ns per yield",
    "parked_memory": "KiB of RSS per parked task",
    "timers": "ms for all to sleep 10 ms and be joined",
    "mutex_contention": "ns per lock/unlock",
    "waitgroup": "ns per fork/join round of 8 tasks",
    "context_cancel": "ns per task, cancel to joined",
    "worker_pool": "ns per job",
}


def fmt_num(x):
    """3 significant digits, thousands separated: 104, 37.8, 4.01, 47,171."""
    if x is None:
        return ""
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_ratio(r):
    """2 significant digits; below 0.095 as 1/k: 0.46, 1.3, 1/453."""
    if r is None:
        return ""
    if r < 0.095:
        return f"1/{round(1 / r):,}"
    return f"{r:.2g}" if r < 10 else f"{r:.0f}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def git_commit(root):
    try:
        out = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def ratio(entry, other):
    """gofer's median over other's, or None where they are not comparable:
    missing, or a total (ms) measured at different sizes."""
    res = entry["results"]
    if "gofer" not in res or other not in res or res[other]["median"] <= 0:
        return None
    if entry["unit"] == "ms" and entry["n"].get("gofer") != entry["n"].get(other):
        return None
    return res["gofer"]["median"] / res[other]["median"]


def cell(entry, impl, available):
    if impl in entry.get("failed", {}):
        return "FAILED"
    res = entry["results"].get(impl)
    if res is None:
        return "" if impl not in available else "—"
    if len(res["runs"]) == 1:
        return fmt_num(res["median"])
    return f"{fmt_num(res['median'])} ({fmt_num(res['min'])}–{fmt_num(res['max'])})"


def ratio_cell(entry, other):
    r = ratio(entry, other)
    if r is None and entry["unit"] == "ms" and "gofer" in entry["results"] and \
            other in entry["results"]:
        return "n/a (sizes differ)"
    return fmt_ratio(r)


def markdown(rep):
    available = set(rep["implementations"])
    out = ["# gofer overhead report: fiber vs thread vs goroutine", ""]
    head = [rep["date"], f"nproc {rep['nproc']}",
            f"GOMAXPROCS {rep['gomaxprocs']} (gofer workers = Go's GOMAXPROCS = Boost.Fiber threads)",
            f"{rep['mode']} mode, {rep['runs']} run{'s' if rep['runs'] != 1 else ''} each, "
            "implementations alternating"]
    head += [x for x in (rep.get("go_version"), rep.get("cpu"),
                         rep.get("commit") and "commit " + rep["commit"]) if x]
    out += [" · ".join(head), ""]
    out.append("| workload | gofer | std::thread | Go | Boost.Fiber | gofer/Go | gofer/thread |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for e in rep["workloads"]:
        out.append(f"| {e['name']}, {e['unit']} | " +
                   " | ".join(cell(e, i, available) for i in ("gofer", "thread", "go", "boostfiber"))
                   + f" | {ratio_cell(e, 'go')} | {ratio_cell(e, 'thread')} |")
    out += ["", "Median of the runs (min–max); lower is better everywhere, and a ratio below 1 "
            "means gofer is cheaper. — : the implementation does not have the feature "
            "(threads: skynet's million tasks; Boost.Fiber: select and context, which "
            "select2, context_cancel and the worker pool's workers need). "
            "An empty cell: the implementation is not available (see the notes)."]
    out += ["", "| workload | what the figure is | n | n for std::thread |", "|---|---|---:|---:|"]
    for e in rep["workloads"]:
        n = next((v for i, v in e["n"].items() if i != "thread"), None)
        out.append(f"| {e['name']} | {UNITS.get(e['name'], e['unit'])} | "
                   f"{'' if n is None else f'{n:,}'} | "
                   f"{'' if 'thread' not in e['n'] else format(e['n']['thread'], ',')} |")
    extra = [e for e in rep["workloads"] if e["name"] == "timers" and e["results"]]
    for e in extra:
        late = [f"{NAMES[i]} {fmt_num(r['extra']['latest_wakeup_ms']['median'])}"
                for i, r in e["results"].items() if "latest_wakeup_ms" in r.get("extra", {})]
        out += ["", "timers, latest wake-up after the 10 ms (ms, median): " + ", ".join(late) + "."]
    failures = [f"{e['name']} / {NAMES.get(i, i)}: {why}" for e in rep["workloads"]
                for i, why in e.get("failed", {}).items()]
    notes = list(rep["notes"]) + [f"FAILED {f}" for f in failures]
    if notes:
        out += ["", "Notes:", ""] + [f"* {n}" for n in notes]
    return "\n".join(out) + "\n"


def svg(rep, out_dir):
    """Draws overhead.svg with gnuplot; returns None, or why it was not drawn."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        return "gnuplot is not installed (Debian package gnuplot-nox): no overhead.svg."
    rows, values = [], []
    for k, e in enumerate(rep["workloads"]):
        rs = [ratio(e, o) for o in OTHERS]
        values += [r for r in rs if r]
        rows.append(f"{k} \"{e['name']}\" " + " ".join(f"{r:.6g}" if r else "?" for r in rs))
    if not values:
        return "no ratio to draw: overhead.svg not written."
    dat = os.path.join(out_dir, "overhead.dat")
    with open(dat, "w") as f:
        f.write("# index workload gofer/Go gofer/thread gofer/Boost.Fiber\n" + "\n".join(rows) + "\n")
    lo, hi = min(min(values), 0.5) / 2, max(max(values), 2) * 2
    w = 0.26
    series = [(3, "gofer / Go", "#00add8", -w), (4, "gofer / std::thread", "#d95f02", 0),
              (5, "gofer / Boost.Fiber", "#7570b3", w)]
    plots = ", ".join(
        f"'{dat}' using ($1{off:+}):(1):($1{off - w / 2:+}):($1{off + w / 2:+}):(1):{col} "
        f"with boxxyerror fs solid 0.85 lc rgb '{color}' title '{title}'"
        for col, title, color, off in series)
    script = f"""
set terminal svg size 1000,520 dynamic font "sans,12" background rgb "white"
set output '{os.path.join(out_dir, "overhead.svg")}'
set title "gofer's cost over each other implementation's ({rep['mode']} run, {rep['date'][:10]}, nproc {rep['nproc']}; below 1: gofer is cheaper)" noenhanced
set logscale y 10
set yrange [{lo:.3g}:{hi:.3g}]
set xrange [-0.6:{len(rows) - 0.4}]
set ylabel "gofer median / other median (log scale)"
set xtics rotate by -35 noenhanced
set xtics ({", ".join(f'"{e["name"]}" {k}' for k, e in enumerate(rep["workloads"]))})
set grid ytics
set key top left
set datafile missing "?"
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 1.5 dt 2 lc rgb "black"
plot {plots}
"""
    gp = os.path.join(out_dir, "overhead.gp")
    with open(gp, "w") as f:
        f.write(script)
    p = subprocess.run([gnuplot, gp], capture_output=True, text=True)
    if p.returncode != 0:
        return f"gnuplot failed ({p.stderr.strip()[:200]}): no overhead.svg."
    return None
