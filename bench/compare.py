#!/usr/bin/env python3
"""Side-by-side benchmark: reportd against polars, DuckDB, pandas and Miller (issue 5).

    python3 bench/compare.py            # or bench/peers.sh; see bench/README.md

Environment (all optional):
  ROWS=1000000,10000000,50000000   dataset sizes (comma- or space-separated); the default is
                          all three (50M rows are a 9 GB CSV, generated in about 15 minutes and
                          deleted after the run unless KEEP_DATA=1; sizes above 10M are deleted)
  RUNS=3                  timed runs of every tool per size, interleaved round-robin
  SEED=42                 generator seed
  TOOLS=reportd,polars,duckdb,pandas,miller    which tools to run (reportd is always run)
  MILLER_MAX_ROWS=10000000   sizes above this skip Miller (it is ~15x slower than the others)
  PANDAS_MAX_ROWS=10000000   sizes above this skip pandas
  MANY=100                how many reports the many-reports run has (0: no such run): the five
                          reports copied MANY/5 times under other names, one `reportd run` over
                          the MANY_ROWS dataset, interleaved with the five-report run
  MANY_ROWS=10000000      the dataset size of the many-reports run (must be one of ROWS)
  KEEP_DATA=1             keep generated datasets above 10M rows
  MILLER_RUNS_ABOVE_1M=1  Miller's runs at sizes above 1,000,000 rows (at most RUNS)
  SCRATCH=.build-bench    Swift scratch folder of the release build
  REPORTD=path            use this reportd binary instead of building one
  REPORTD_COMMIT=rev      build reportd from a clean `git archive` export of this commit (in
                          bench/work/) instead of the checkout, which may hold work in progress
  NO_INSTALL=1            do not pip/apt-install missing peers (they are then skipped, loudly)

For each size it generates the dataset once (bench/data/, cached by rows, seed and the
generator's hash), checks the config with `reportd validate`, times `cat file > /dev/null` as a
floor, then runs each tool's whole process (read the CSV, compute the five reports, write five
CSVs) RUNS times, round-robin, measuring wall time and the child's peak RSS and CPU time
(os.wait4). Every run's five results are compared with reportd's: same groups, integers exactly,
decimals to a relative 1e-9. Any difference is printed and the exit status is 1.
"""

import csv
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from decimal import Decimal, InvalidOperation

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
DATA = os.path.join(BENCH, "data")
WORK = os.path.join(BENCH, "work")

# report -> (group columns, exact integer columns, decimal columns)
REPORTS = {
    "by-program": (["program"], ["projects", "state_support_vnd", "counterpart_vnd"], []),
    "by-year-program": (["year", "program"], ["projects", "state_support_vnd", "counterpart_vnd"], []),
    "by-district": (["district"], ["projects", "state_support_vnd"],
                    ["mean_support_vnd", "median_support_vnd", "p90_support_vnd"]),
    "by-activity": (["activity"], ["state_support_vnd", "counterpart_vnd"], ["counterpart_per_state"]),
    "completed-since-2021": (["beneficiary_type"],
                             ["projects", "state_support_vnd", "counterpart_vnd"], []),
}
PEERS = {
    "polars": [sys.executable, os.path.join(BENCH, "peers", "polars.py")],
    "duckdb": [sys.executable, os.path.join(BENCH, "peers", "duckdb_run.py")],
    "pandas": [sys.executable, os.path.join(BENCH, "peers", "pandas_run.py")],
    "miller": ["bash", os.path.join(BENCH, "peers", "miller.sh")],
}
REL_TOL = 1e-9


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def env_list(name, default):
    raw = os.environ.get(name, default)
    return [x for x in raw.replace(",", " ").split() if x]


# ---------------------------------------------------------------- install, build, generate

def ensure_peers(tools):
    """pip/apt-install what is missing; return the set of tools that are usable."""
    modules = {"polars": "polars", "duckdb": "duckdb", "pandas": "pandas"}
    have = lambda m: subprocess.run([sys.executable, "-c", f"import {m}"],  # noqa: E731
                                     capture_output=True).returncode == 0
    missing = [m for t, m in modules.items() if t in tools and not have(m)]
    install = os.environ.get("NO_INSTALL", "") in ("", "0")
    if missing and install:
        log(f"installing with pip: {' '.join(missing)}")
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing])
        if r.returncode != 0:
            log(f"WARNING: pip install {' '.join(missing)} failed (exit {r.returncode})")
    if "miller" in tools and shutil.which("mlr") is None and install:
        log("installing Miller: apt-get install -y miller")
        r = subprocess.run(["apt-get", "install", "-y", "miller"], stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update"], stdout=subprocess.DEVNULL)
            r = subprocess.run(["apt-get", "install", "-y", "miller"], stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            log(f"WARNING: apt-get install -y miller failed (exit {r.returncode}); "
                "not root? install the `miller` package by hand")
    usable = {"reportd"}
    for t in tools:
        if t in modules:
            if have(modules[t]):
                usable.add(t)
            else:
                log(f"WARNING: {t} is not installed: it is left out of the benchmark")
        elif t == "miller":
            if shutil.which("mlr"):
                usable.add(t)
            else:
                log("WARNING: mlr (Miller) is not installed: it is left out of the benchmark")
    return usable


def versions(usable):
    out = {}
    code = {"polars": "import polars; print(polars.__version__)",
            "duckdb": "import duckdb; print(duckdb.__version__)",
            "pandas": "import pandas; print(pandas.__version__)"}
    for t, c in code.items():
        if t in usable:
            out[t] = subprocess.run([sys.executable, "-c", c], capture_output=True,
                                    text=True).stdout.strip()
    if "miller" in usable:
        out["miller"] = subprocess.run(["mlr", "--version"], capture_output=True,
                                       text=True).stdout.strip().replace("mlr ", "")
    out["python"] = sys.version.split()[0]
    return out


def build_reportd():
    """(binary, what it was built from)."""
    if os.environ.get("REPORTD"):
        return os.path.abspath(os.environ["REPORTD"]), "given binary " + os.environ["REPORTD"]
    scratch = os.environ.get("SCRATCH", ".build-bench")
    src = ROOT
    rev = os.environ.get("REPORTD_COMMIT")
    if rev:
        # a clean export of one commit, so that uncommitted work in the checkout does not leak
        # into the figures
        sha = subprocess.run(["git", "rev-parse", "--short", rev + "^{commit}"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
        src = os.path.join(WORK, "src-" + sha)
        if not os.path.isdir(src):
            log(f"exporting commit {sha} into {os.path.relpath(src, ROOT)}")
            os.makedirs(src + ".tmp", exist_ok=True)
            archive = subprocess.Popen(["git", "archive", sha], cwd=ROOT, stdout=subprocess.PIPE)
            subprocess.run(["tar", "-x", "-C", src + ".tmp"], stdin=archive.stdout, check=True)
            if archive.wait() != 0:
                sys.exit(f"compare.py: git archive {sha} failed")
            os.rename(src + ".tmp", src)
        scratch = os.path.join(src, ".build-bench")
    log(f"building reportd: swift build -c release --scratch-path {os.path.relpath(scratch, ROOT)}")
    r = subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch], cwd=src,
                       stdout=sys.stderr)
    if r.returncode != 0:
        sys.exit(f"compare.py: swift build failed (exit {r.returncode})")
    built_from = f"commit {sha} (clean export)" if rev else "checkout " + git_commit()
    return os.path.join(src, scratch, "release", "reportd"), built_from


def dataset(rows, seed):
    with open(os.path.join(BENCH, "generate.py"), "rb") as f:
        gen_hash = hashlib.sha256(f.read()).hexdigest()[:8]
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, f"projects-{rows}-s{seed}-{gen_hash}.csv")
    if not os.path.exists(path):
        log(f"generating {rows:,} rows into {os.path.relpath(path, ROOT)}")
        t = time.perf_counter()
        subprocess.run([sys.executable, os.path.join(BENCH, "generate.py"), str(rows), path,
                        "--seed", str(seed)], check=True)
        log(f"  generated in {time.perf_counter() - t:.1f} s")
    return path


def git_commit():
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                "Sources", "Plugins", "Package.swift"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return head + (" (with uncommitted changes to Sources/Plugins)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---------------------------------------------------------------- running and timing

def run_child(argv, log_path, env=None):
    """Run argv to completion; return (wall s, peak RSS MB, CPU s, exit status)."""
    with open(log_path, "wb") as logf:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux (reported here in MB, 10^6 bytes, like the CSV's size); for a
    # child that forks (miller.sh) it is the largest of the processes, not the sum of concurrent ones
    return wall, ru.ru_maxrss * 1024 / 1e6, ru.ru_utime + ru.ru_stime, p.returncode


def write_config(data_path):
    with open(os.path.join(BENCH, "reportd.yaml.in"), encoding="utf-8") as f:
        text = f.read().replace("@DATASET@", data_path)
    path = os.path.join(WORK, "reportd.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def command(tool, reportd, config, data_path, outdir):
    if tool == "reportd":
        return [reportd, "run", "--config", config]
    return PEERS[tool] + [data_path, outdir]


def result_files(tool, outdir):
    if tool == "reportd":
        return {n: os.path.join(WORK, "out", n, "latest.csv") for n in REPORTS}
    return {n: os.path.join(outdir, n + ".csv") for n in REPORTS}


# ---------------------------------------------------------------- checking answers

def read_result(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty file")
    return rows[0], rows[1:]


def exact_int(s):
    """An integer written as 123 or 123.0 (pandas writes some ints that way); None if empty."""
    if s == "":
        return None
    d = Decimal(s)
    if d != d.to_integral_value():
        raise ValueError(f"{s!r} is not a whole number")
    return int(d)


def compare_report(name, ref_path, got_path):
    """Differences between reportd's result and a peer's, as lines of text ([] if none)."""
    groups, ints, decimals = REPORTS[name]
    problems = []
    try:
        ref_head, ref_rows = read_result(ref_path)
        got_head, got_rows = read_result(got_path)
    except (OSError, ValueError) as e:
        return [f"cannot read the result: {e}"]
    wanted = groups + ints + decimals
    for head, who in ((ref_head, "reportd"), (got_head, "peer")):
        missing = [c for c in wanted if c not in head]
        if missing:
            problems.append(f"{who}'s header {head} lacks {missing}")
    if problems:
        return problems

    def keyed(head, rows, who):
        idx = {c: head.index(c) for c in wanted}
        out = {}
        for row in rows:
            key = tuple(row[idx[g]] for g in groups)
            if key in out:
                problems.append(f"{who}: group {key} appears twice")
            out[key] = {c: row[idx[c]] for c in ints + decimals}
        return out

    ref, got = keyed(ref_head, ref_rows, "reportd"), keyed(got_head, got_rows, "peer")
    for key in sorted(set(ref) - set(got)):
        problems.append(f"group {dict(zip(groups, key))}: only in reportd's result")
    for key in sorted(set(got) - set(ref)):
        problems.append(f"group {dict(zip(groups, key))}: only in the peer's result")
    for key in sorted(set(ref) & set(got)):
        for c in ints + decimals:
            a, b = ref[key][c], got[key][c]
            try:
                if c in ints:
                    same = exact_int(a) == exact_int(b)
                elif a == "" or b == "":
                    same = a == b
                else:
                    x, y = float(a), float(b)
                    same = abs(x - y) <= REL_TOL * max(abs(x), abs(y)) or x == y
            except (ValueError, InvalidOperation) as e:
                same, b = False, f"{b} ({e})"
            if not same:
                problems.append(f"group {dict(zip(groups, key))}, {c}: reportd {a or '(empty)'}"
                                f", peer {b or '(empty)'}")
    return problems


# ---------------------------------------------------------------- one size

def bench_size(rows, seed, runs, tools, reportd, mismatches):
    data_path = dataset(rows, seed)
    size = os.path.getsize(data_path)
    config = write_config(data_path)
    r = subprocess.run([reportd, "validate", "--config", config], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"compare.py: reportd validate failed:\n{r.stdout}{r.stderr}")

    logs = os.path.join(WORK, "logs")
    os.makedirs(logs, exist_ok=True)
    floor = []
    for _ in range(3):  # the first also warms the page cache
        with open(os.devnull, "wb") as null:
            t0 = time.perf_counter()
            subprocess.run(["cat", data_path], stdout=null, check=True)
            floor.append(time.perf_counter() - t0)

    miller_max = int(os.environ.get("MILLER_MAX_ROWS", "10000000"))
    pandas_max = int(os.environ.get("PANDAS_MAX_ROWS", "10000000"))
    planned = {}
    for t in tools:
        n = runs
        if t == "pandas" and rows > pandas_max:
            n = 0
        if t == "miller":
            if rows > miller_max:
                n = 0
            elif rows > 1_000_000:
                n = min(runs, int(os.environ.get("MILLER_RUNS_ABOVE_1M", "1")))
        planned[t] = n
    times = {t: [] for t in tools}
    ref_dir = os.path.join(WORK, "reference")
    log(f"{rows:,} rows ({size / 1e6:.0f} MB): " + ", ".join(
        f"{t} x{n}" for t, n in planned.items()) + ", interleaved")
    failed = False
    for i in range(runs):
        for t in tools:
            if i >= planned[t]:
                continue
            # fresh output folders, so a result can only come from this run
            outdir = os.path.join(WORK, "out" if t == "reportd" else "out-" + t)
            shutil.rmtree(outdir, ignore_errors=True)
            os.makedirs(outdir)
            log_path = os.path.join(logs, f"{t}-{rows}-{i + 1}.log")
            wall, rss, cpu, code = run_child(command(t, reportd, config, data_path, outdir),
                                             log_path)
            log(f"  run {i + 1} {t:<8} {wall:7.2f} s  {rss:7.0f} MB  cpu {cpu:6.2f} s"
                + ("" if code == 0 else f"  EXIT {code}"))
            if code != 0:
                with open(log_path, errors="replace") as f:
                    log(f"{t} failed (exit {code}); its output:\n{f.read()[-4000:]}")
                mismatches.append(f"{rows:,} rows: {t} run {i + 1} failed with exit status {code}")
                failed = True
                continue
            times[t].append((wall, rss, cpu))
            files = result_files(t, outdir)
            if t == "reportd" and i == 0:
                shutil.rmtree(ref_dir, ignore_errors=True)
                os.makedirs(ref_dir)
                for n, p in files.items():
                    shutil.copy(p, os.path.join(ref_dir, n + ".csv"))
                continue
            if not os.path.isdir(ref_dir) or len(os.listdir(ref_dir)) != len(REPORTS):
                continue  # reportd's first run failed: nothing to compare with
            for n, p in files.items():
                for problem in compare_report(n, os.path.join(ref_dir, n + ".csv"), p):
                    mismatches.append(f"{rows:,} rows, {n}, {t} run {i + 1}: {problem}")
    return {"rows": rows, "size": size, "floor": statistics.median(floor), "times": times,
            "planned": planned, "failed": failed}


def many_reports(rows, seed, runs, reportd, count, mismatches):
    """reportd with the five reports and with `count` reports (the five copied under other names)
    over one dataset, interleaved; every copy's result must equal its original's."""
    data_path = dataset(rows, seed)
    five = write_config(data_path)
    folder = os.path.join(WORK, "reports-many")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    copies = max(1, count // len(REPORTS))
    for name in REPORTS:
        with open(os.path.join(BENCH, "reports", name + ".yaml"), encoding="utf-8") as f:
            text = f.read()
        for k in range(copies):
            with open(os.path.join(folder, f"{name}-{k + 1}.yaml"), "w", encoding="utf-8") as f:
                f.write(text.replace(f"name: {name}\n", f"name: {name}-{k + 1}\n", 1))
    with open(five, encoding="utf-8") as f:
        text = f.read()
    many = os.path.join(WORK, "reportd-many.yaml")
    with open(many, "w", encoding="utf-8") as f:
        f.write(text.replace("reports: ../reports", "reports: reports-many")
                .replace("root: out", "root: out-many"))
    logs = os.path.join(WORK, "logs")
    times = {"five": [], "many": []}
    log(f"{rows:,} rows: reportd with 5 and with {copies * len(REPORTS)} reports, x{runs} interleaved")
    for i in range(runs):
        for which, config, out in (("five", five, "out"), ("many", many, "out-many")):
            shutil.rmtree(os.path.join(WORK, out), ignore_errors=True)
            wall, rss, cpu, code = run_child([reportd, "run", "--config", config],
                                             os.path.join(logs, f"reportd-{which}-{rows}-{i + 1}.log"))
            log(f"  run {i + 1} {which:<5} {wall:7.2f} s  {rss:7.0f} MB  cpu {cpu:6.2f} s"
                + ("" if code == 0 else f"  EXIT {code}"))
            if code != 0:
                mismatches.append(f"{rows:,} rows: reportd with {which} reports failed (exit {code})")
                continue
            times[which].append((wall, rss, cpu))
            if which == "many":
                for name in REPORTS:
                    ref = os.path.join(WORK, "reference", name + ".csv")
                    for k in range(copies):
                        got = os.path.join(WORK, "out-many", f"{name}-{k + 1}", "latest.csv")
                        for problem in compare_report(name, ref, got):
                            mismatches.append(f"{rows:,} rows, many reports, {name}-{k + 1}: {problem}")
    return {"rows": rows, "count": copies * len(REPORTS), "times": times}


def many_table(res):
    lines = [f"reportd alone, {res['rows']:,} rows: five reports against {res['count']} in one run", "",
             "| reports | median wall | min–max | CPU (user+sys) | peak RSS |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for which, label in (("five", "5"), ("many", str(res["count"]))):
        runs = res["times"][which]
        if not runs:
            lines.append(f"| {label} | failed | | | |")
            continue
        walls = [w for w, _, _ in runs]
        lines.append(f"| {label} | {statistics.median(walls):.2f} s | {min(walls):.2f}–{max(walls):.2f} s | "
                     f"{statistics.median([c for _, _, c in runs]):.2f} s | "
                     f"{max(r for _, r, _ in runs):,.0f} MB |")
    return "\n".join(lines)


def targets(results, many):
    """Issue 20's targets, each with the figure measured and whether it is met."""
    def med(res, tool, k):
        runs = res["times"].get(tool) or []
        return statistics.median([r[k] for r in runs]) if runs else None
    by = {res["rows"]: res for res in results}
    out = ["| target | goal | measured | met |", "| --- | --- | --- | --- |"]

    def row(what, goal, value, limit, fmt="{:.2f}"):
        if value is None:
            out.append(f"| {what} | {goal} | not measured | — |")
        else:
            out.append(f"| {what} | {goal} | {fmt.format(value)} | {'yes' if value <= limit else 'no'} |")
    for rows, goal in ((10_000_000, 0.5), (1_000_000, 0.7)):
        res = by.get(rows)
        r, p = (med(res, "reportd", 0), med(res, "polars", 0)) if res else (None, None)
        row(f"wall / polars's, {rows:,} rows", f"≤ {goal}", r / p if r and p else None, goal)
    res = by.get(10_000_000)
    r, p = (med(res, "reportd", 2), med(res, "polars", 2)) if res else (None, None)
    row("CPU / polars's, 10,000,000 rows", "≤ 0.6", r / p if r and p else None, 0.6)
    rss = max((x[1] for x in res["times"]["reportd"]), default=None) if res else None
    row("peak RSS / CSV size, 10,000,000 rows", "≤ 0.5", rss * 1e6 / res["size"] if rss else None, 0.5)
    big = by.get(50_000_000)
    if big:
        rss = max((x[1] for x in big["times"]["reportd"]), default=None)
        row("peak RSS, 50,000,000 rows", "≤ 2,000 MB", rss, 2000, "{:,.0f} MB")
        t50, t10 = med(big, "reportd", 0), med(res, "reportd", 0) if res else None
        row("wall 50M / wall 10M", "≤ 5.5", t50 / t10 if t50 and t10 else None, 5.5)
    if many:
        five, lots = (statistics.median([w for w, _, _ in many["times"][k]]) if many["times"][k] else None
                      for k in ("five", "many"))
        row(f"{many['count']} reports / 5 reports, {many['rows']:,} rows", "≤ 2",
            lots / five if five and lots else None, 2)
    return "\n".join(out)


def table(res):
    lines = [f"{res['rows']:,} rows, CSV {res['size'] / 1e6:,.0f} MB; "
             f"floor `cat file > /dev/null` (warm): {res['floor']:.3f} s", "",
             "| tool | median wall | min–max | CPU (user+sys) | peak RSS | median / reportd's |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    base = statistics.median([w for w, _, _ in res["times"]["reportd"]]) \
        if res["times"]["reportd"] else None
    for t, runs in res["times"].items():
        planned = res["planned"][t]
        if not runs:
            note = f"not run ({t.upper()}_MAX_ROWS)" if planned == 0 else "failed"
            lines.append(f"| {t} | {note} | | | | |")
            continue
        walls = [w for w, _, _ in runs]
        med = statistics.median(walls)
        ratio = f"{med / base:.2f}×" if base else "—"
        label = t if len(runs) == max(len(v) for v in res["times"].values()) \
            else f"{t} ({len(runs)} run{'s' if len(runs) > 1 else ''})"
        lines.append(f"| {label} | {med:.2f} s | {min(walls):.2f}–{max(walls):.2f} s | "
                     f"{statistics.median([c for _, _, c in runs]):.2f} s | "
                     f"{max(r for _, r, _ in runs):,.0f} MB | {ratio} |")
    return "\n".join(lines)


def main():
    sizes = [int(x) for x in env_list("ROWS", "1000000,10000000,50000000")]
    many_count = int(os.environ.get("MANY", "100"))
    many_rows = int(os.environ.get("MANY_ROWS", "10000000"))
    runs = int(os.environ.get("RUNS", "3"))
    seed = int(os.environ.get("SEED", "42"))
    tools = env_list("TOOLS", "reportd,polars,duckdb,pandas,miller")
    unknown = [t for t in tools if t != "reportd" and t not in PEERS]
    if unknown:
        sys.exit(f"compare.py: unknown tool(s) {unknown}; known: reportd, {', '.join(PEERS)}")
    if "reportd" not in tools:
        tools.insert(0, "reportd")
    tools = ["reportd"] + [t for t in tools if t != "reportd"]
    os.makedirs(WORK, exist_ok=True)

    usable = ensure_peers(tools)
    tools = [t for t in tools if t in usable]
    reportd, commit = build_reportd()
    vers = versions(usable)
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]

    mismatches, results, many = [], [], None
    for rows in sizes:
        results.append(bench_size(rows, seed, runs, tools, reportd, mismatches))
        if many_count > 0 and rows == many_rows:
            many = many_reports(rows, seed, runs, reportd, many_count, mismatches)
        if rows > 10_000_000 and os.environ.get("KEEP_DATA", "") in ("", "0"):
            os.remove(dataset(rows, seed))  # 9 GB at 50M rows

    with open("/proc/loadavg") as f:
        load_after = f.read().split()[:3]
    print()
    print(f"reportd: {commit}; " + ", ".join(f"{k} {v}" for k, v in vers.items())
          + f"; {os.cpu_count()} CPUs; load average before {' '.join(load_before)}, "
          f"after {' '.join(load_after)}")
    print(f"Whole process, read CSV to five written results; {runs} runs interleaved, "
          f"seed {seed}. Peak RSS: the largest over the runs; MB are 10^6 bytes.")
    for res in results:
        print()
        print(table(res))
    if many:
        print()
        print(many_table(many))
    print()
    print("Issue 20's targets (medians; ratios to polars from the same run):")
    print()
    print(targets(results, many))
    print()
    if mismatches:
        print(f"ANSWERS DIFFER: {len(mismatches)} problem(s):")
        for m in mismatches:
            print("  " + m)
        sys.exit(1)
    checked = ", ".join(t for t in tools if t != "reportd"
                        and any(res["times"][t] for res in results))
    print(f"Same answers: every run of {checked} gave reportd's five results "
          f"(same groups, integers exact, decimals to {REL_TOL:g} relative).")


if __name__ == "__main__":
    main()
