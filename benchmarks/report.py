#!/usr/bin/env python3
"""The report of benchmarks/run.sh: reads DIR/raw.jsonl (every time
measured), DIR/meta.txt and DIR/missing.txt; writes DIR/results.json (the
raw lines plus median, min, max and ratios), results.csv, results.md and
PNG plots drawn by gnuplot.

    benchmarks/report.py DIR
"""
import csv
import json
import os
import statistics
import subprocess
import sys


def load(d):
    rows = []
    with open(os.path.join(d, "raw.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def key(r, tool=None):
    return (r["group"], r["workload"], r.get("as", "user"), r.get("conc", 1), tool or r["tool"])


def summarize(rows):
    by = {key(r): r for r in rows}
    for r in rows:
        t = [float(x) for x in r.get("times") or []]
        # a wrapper's own cost (its median less its baseline's) comes off
        w = r.get("wrapper")
        # (the wrapper runs /bin/true: against bare /bin/true)
        wb = "bare-true" if key(r, "bare-true") in by else r["baseline"]
        if w and key(r, w) in by and key(r, wb) in by:
            wt = statistics.median(by[key(r, w)]["times"])
            bt = statistics.median(by[key(r, wb)]["times"])
            r["wrapper_cost"] = wt - bt
            t = [x - (wt - bt) for x in t]
        r["n"] = len(t)
        if "count" in r:
            r["kind"] = "rate"
        r["kind"] = kind(r)
        if not t:
            continue
        r["median"], r["min"], r["max"] = statistics.median(t), min(t), max(t)
        if "count" in r:  # throughput: runs a second
            r["unit"] = "1/s"
            r["median"], r["min"], r["max"] = (r["count"] / r["median"], r["count"] / r["max"],
                                               r["count"] / r["min"])
    for r in rows:
        if "median" not in r:
            continue
        b = by.get(key(r, r.get("baseline")))
        if b and b.get("median"):
            r["ratio"] = r["median"] / b["median"]
        for other, name in (("env", "x_floor"), ("bwrap", "x_bwrap")):
            o = by.get(key(r, other))
            if o and o.get("median") and r["tool"] != other:
                r[name] = r["median"] / o["median"]
                if "count" in r:
                    r[name] = r["median"] / o["median"]
    return rows


# What a row measures. Only "time" rows are latencies; the others (memory,
# CPU time, counts, rates, sizes) say so in every table, so that nobody
# reads them as start-up times. A raw line may name its kind; else the
# unit decides.
KINDS = {"time": "time", "cpu": "CPU time, not a latency", "memory": "memory, not a time",
         "disk": "disk space, not a time", "size": "file size, not a time", "count": "count, not a time",
         "rate": "rate (per second), higher is faster"}


def kind(r):
    if r.get("kind") in KINDS:
        return r["kind"]
    return {"s": "time", "us": "time", "ms": "time", "KiB": "memory", "MiB": "size", "1/s": "rate",
            "n": "count"}.get(r.get("unit"), "count")


def fmt(v, unit):
    if unit == "s":
        return "%.2f ms" % (v * 1e3) if v < 10 else "%.2f s" % v
    if unit == "us":
        return "%.2f us" % v
    if unit == "1/s":
        return "%.0f/s" % v
    if unit == "KiB":
        return "%.0f KiB" % v
    if unit == "MiB":
        return "%.1f MiB" % v
    return "%g" % v


def x(v):
    if v is None:
        return ""
    return "%.3fx" % v if abs(v) < 0.1 else "%.2fx" % v


def ratio_cell(r, base):
    """the row's ratio to its baseline, naming the baseline where it is not
    the table's"""
    if r.get("ratio") is None:
        return "no baseline (%s not measured)" % r.get("baseline")
    if r["tool"] == r.get("baseline"):
        return "1 (baseline)"
    s = x(r["ratio"])
    return s if r.get("baseline") == base else "%s %s" % (s, r.get("baseline"))


def markdown(d, rows, meta, missing, walls):
    out = ["# husk benchmarks (benchmarks/run.sh)", "", "```"] + meta + ["```", ""]
    if missing:
        out += ["Not measured:", ""] + ["- " + m for m in missing] + [""]
    if walls:
        out += ["Wall time of each group (the harness's own cost, not a figure): " +
                ", ".join("%s %.0f s" % (g, t) for g, t in walls) +
                "; in all %.0f s." % sum(t for _, t in walls), ""]
    groups = []
    for r in rows:
        g = (r["group"], r["workload"])
        if g not in groups:
            groups.append(g)
    for g, w in groups:
        rs = [r for r in rows if (r["group"], r["workload"]) == (g, w) and "median" in r]
        if not rs:
            continue
        if g == "concurrency":
            tools = []
            for r in rs:
                if r["tool"] not in tools:
                    tools.append(r["tool"])
            concs = sorted({r["conc"] for r in rs})
            out += ["## concurrency: %s (median of the whole batch; x bare, x bwrap at the same count)" % w, "",
                    "| at once | " + " | ".join(tools) + " |", "|---" * (len(tools) + 1) + "|"]
            for c in concs:
                cells = []
                for t in tools:
                    m = [r for r in rs if r["conc"] == c and r["tool"] == t]
                    if not m:
                        cells.append("")
                        continue
                    r = m[0]
                    s = "%s (%s-%s) %s" % (fmt(r["median"], r["unit"]), fmt(r["min"], r["unit"]),
                                           fmt(r["max"], r["unit"]), x(r.get("ratio")))
                    if r.get("x_bwrap") is not None:
                        s += ", %s bwrap" % x(r["x_bwrap"])
                    cells.append(s)
                out.append("| %d | " % c + " | ".join(cells) + " |")
            out.append("")
            continue
        title = {"latency": "start-up", "cold": "cold", "throughput": "throughput", "mpi": "MPI",
                 "slurm": "Slurm", "images": "images", "rest": "at rest",
                 "kmount": "kernel squashfs under Slurm"}.get(g, g)
        kinds = []
        for r in rs:
            if r["kind"] not in kinds:
                kinds.append(r["kind"])
        base = rs[0].get("baseline", "base")
        times = all(k == "time" for k in kinds)
        out += ["## %s: %s%s" % (title, w, "" if times else " (%s)" % "; ".join(KINDS[k] for k in kinds)), ""]
        # (the floor's and bwrap's columns where a row has them)
        extra = [(k, n) for k, n in (("x_floor", "x floor (env)"), ("x_bwrap", "x bwrap"))
                 if times and any(r.get(k) is not None for r in rs)]
        if times:
            out += ["| tool | as | runs | median | min | max | x %s |" % base + "".join(" %s |" % n for _, n in extra),
                    "|---|---|---|---|---|---|---|" + "---|" * len(extra)]
        else:
            out += ["| tool | as | measures | runs | median | min | max | x %s |" % base,
                    "|---|---|---|---|---|---|---|---|"]
        for r in rs:
            note = ""
            if r.get("wrapper_cost") is not None:
                note = " (less its wrapper, %s)" % fmt(r["wrapper_cost"], "s")
            cells = [r["tool"] + note, r.get("as", "")]
            if not times:
                cells.append(KINDS[r["kind"]])
            cells += ["%d" % r["n"], fmt(r["median"], r["unit"]), fmt(r["min"], r["unit"]), fmt(r["max"], r["unit"]),
                      ratio_cell(r, base)]
            cells += [x(r.get(k)) for k, _ in extra]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    pngs = sorted(p for p in os.listdir(d) if p.endswith(".png"))
    if pngs:
        out += ["## plots", ""] + ["![%s](%s)" % (p[:-4], p) for p in pngs] + [""]
    return "\n".join(out)


def gnuplot(d, script):
    p = subprocess.run(["gnuplot"], input=script, text=True, cwd=d, capture_output=True)
    if p.returncode != 0:
        sys.stderr.write("report.py: gnuplot: %s\n" % p.stderr.strip()[-500:])


def esc(s):
    return s.replace("_", "\\\\_").replace('"', "'")


def plots(d, rows):
    term = "set terminal pngcairo size 1000,560 font 'sans,10'\n"
    # latency per tool: one plot a workload, milliseconds with min-max bars
    lat = [r for r in rows if r["group"] == "latency" and "median" in r and r.get("as") == "user"]
    lat += [r for r in rows if r["group"] == "latency" and "median" in r and r.get("as") == "root"
            and r["tool"] not in ("bare", "cgwrap")]
    workloads = []
    for r in lat:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
    if workloads:
        script = term + "set output 'latency.png'\nset multiplot layout %d,1\n" % len(workloads)
        script = term.replace("560", str(300 * len(workloads))) + \
            "set output 'latency.png'\nset multiplot layout %d,1\n" % len(workloads)
        for w in workloads:
            rs = [r for r in lat if r["workload"] == w and r["tool"] not in ("cgwrap-user", "bare-true")]
            dat = "lat-%d.dat" % workloads.index(w)
            with open(os.path.join(d, dat), "w") as f:
                for i, r in enumerate(rs):
                    f.write('%d "%s" %g %g %g %g\n' % (i, esc(r["tool"] + (" (root)" if r["as"] == "root" else "")),
                                                     r["median"] * 1e3, r["min"] * 1e3, r["max"] * 1e3,
                                                     r.get("ratio") or 0))
            script += ("set title \"%s: median start-up and run (ms), min-max bars; labels: x bare exec\"\n"
                       "set style fill solid 0.6\nset boxwidth 0.7\nset logscale y\nset yrange [0.1:*]\n"
                       "set xtics rotate by -30 font ',8'\nset grid y\nunset key\n"
                       "plot '%s' using 1:3:xtic(2) with boxes lc rgb '#4477aa', "
                       "'' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0, "
                       "'' using 1:($5*1.5):(sprintf('%%.1fx', $6)) with labels font ',8'\n") % (esc(w), dat)
        script += "unset multiplot\n"
        gnuplot(d, script)
    # latency against concurrency
    conc = [r for r in rows if r["group"] == "concurrency" and "median" in r]
    cw = []
    for r in conc:
        if r["workload"] not in cw:
            cw.append(r["workload"])
    if cw:
        script = term.replace("560", str(420 * len(cw))) + "set output 'concurrency.png'\nset multiplot layout %d,1\n" % len(cw)
        for j, w in enumerate(cw):
            rs = [r for r in conc if r["workload"] == w]
            tools = []
            for r in rs:
                if r["tool"] not in tools:
                    tools.append(r["tool"])
            plotcmds = []
            for i, t in enumerate(tools):
                dat = "conc-%d-%d.dat" % (j, i)
                with open(os.path.join(d, dat), "w") as f:
                    for r in sorted((r for r in rs if r["tool"] == t), key=lambda r: r["conc"]):
                        f.write("%d %g %g %g\n" % (r["conc"], r["median"] * 1e3, r["min"] * 1e3, r["max"] * 1e3))
                plotcmds.append("'%s' using 1:2:3:4 with yerrorlines title '%s'" % (dat, esc(t)))
            script += ("set title \"%s, N at once: time until all are done (ms)\"\nset logscale xy\n"
                       "set xlabel 'copies at once'\nset grid\nset key left top\nset xtics (1,2,4,8,16,32)\n"
                       "plot %s\n") % (esc(w), ", ".join(plotcmds))
        script += "unset multiplot\n"
        gnuplot(d, script)
    # throughput
    thr = [r for r in rows if r["group"] == "throughput" and "median" in r]
    if thr:
        with open(os.path.join(d, "thr.dat"), "w") as f:
            for i, r in enumerate(thr):
                f.write('%d "%s" %g %g %g %g\n' % (i, esc(r["tool"]), r["median"], r["min"], r["max"], r.get("ratio") or 0))
        gnuplot(d, term + ("set output 'throughput.png'\nset title \"%s: containers a second, min-max bars; labels: x bare\"\n"
                           "set style fill solid 0.6\nset boxwidth 0.7\nset grid y\nunset key\nset yrange [0:*]\n"
                           "plot 'thr.dat' using 1:3:xtic(2) with boxes lc rgb '#228833', '' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0, "
                           "'' using 1:($5*1.05):(sprintf('%%.2fx', $6)) with labels\n") % esc(thr[0]["workload"]))
    # Slurm: start-up against tasks, one line per node count and kind
    curve = [r for r in rows if r["group"] == "slurm" and r["workload"].startswith("curve ") and "median" in r]
    if curve:
        lines = {}
        for r in curve:
            parts = dict(p.split("=") for p in r["workload"].split()[1:])
            n, tpn = int(parts["N"]), int(parts["tpn"])
            lines.setdefault((n, r["tool"]), []).append((n * tpn, r))
        plotcmds = []
        for i, ((n, t), pts) in enumerate(sorted(lines.items())):
            dat = "slurm-%d.dat" % i
            with open(os.path.join(d, dat), "w") as f:
                for tasks, r in sorted(pts, key=lambda p: p[0]):
                    f.write("%d %g %g %g\n" % (tasks, r["median"] * 1e3, r["min"] * 1e3, r["max"] * 1e3))
            plotcmds.append("'%s' using 1:2:3:4 with yerrorlines title '%s, -N %d'" % (dat, esc(t), n))
        gnuplot(d, term + ("set output 'slurm.png'\nset title 'srun step, median ms (min-max): against tasks, per node count'\n"
                           "set xlabel 'tasks in the step'\nset logscale x 2\nset grid\nset key left top\n"
                           "plot %s\n") % ", ".join(plotcmds))


def main():
    d = sys.argv[1]
    rows = summarize(load(d))
    meta = open(os.path.join(d, "meta.txt")).read().splitlines() if os.path.exists(os.path.join(d, "meta.txt")) else []
    missing = []
    if os.path.exists(os.path.join(d, "missing.txt")):
        missing = [m for m in open(os.path.join(d, "missing.txt")).read().splitlines() if m.strip()]
    walls = []  # (group, seconds) from run.sh's DIR/groups.txt
    if os.path.exists(os.path.join(d, "groups.txt")):
        for line in open(os.path.join(d, "groups.txt")):
            g, _, t = line.strip().rpartition(" ")
            if g:
                walls.append((g, float(t)))
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"meta": meta, "missing": missing, "group_wall_s": dict(walls), "results": rows}, f, indent=1)
    cols = ["group", "workload", "tool", "as", "conc", "kind", "unit", "n", "median", "min", "max", "baseline", "ratio",
            "x_floor", "x_bwrap", "wrapper_cost"]
    with open(os.path.join(d, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            if "median" in r:
                w.writerow(["%.9g" % r[c] if isinstance(r.get(c), float) else r.get(c, "") for c in cols])
    plots(d, rows)
    for p in os.listdir(d):
        if p.endswith(".dat"):
            os.unlink(os.path.join(d, p))
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write(markdown(d, rows, meta, missing, walls))


if __name__ == "__main__":
    main()
