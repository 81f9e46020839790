#!/usr/bin/env bash
# What `period:`, `compare:` and `cumulative:` cost (issue 25): one report by district (count, sum
# and mean of state_support_vnd) on the generated `projects` dataset (bench/generate.py, dates
# 2019-2025), run three ways with `reportd run --period 2024-Q4`: the whole dataset (no period),
# the quarter alone, and the quarter with the previous quarter, the same quarter of 2023 and the
# year to date (four ranges from one read). Prints the median and min-max wall time and peak
# memory of each, release build.
#
#   bench/periods.sh                        # 10,000,000 rows (1.8 GB, generated once into bench/data/)
#   ROWS=1000000 RUNS=5 bench/periods.sh
#   SCRATCH=.build-other bench/periods.sh   # build in another scratch folder
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-10000000}
RUNS=${RUNS:-3}
SCRATCH=${SCRATCH:-.build-bench}

swift build -c release --scratch-path "$SCRATCH" >&2
REPORTD="$SCRATCH/release/reportd"
mkdir -p bench/data
DATA="bench/data/periods-$ROWS.csv"
[ -f "$DATA" ] || python3 bench/generate.py "$ROWS" "$DATA" >&2

WORK=$(mktemp -d "${TMPDIR:-/tmp}/reportd-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/reports.d"
cat > "$WORK/reportd.yaml" <<Y
timezone: Asia/Ho_Chi_Minh
reports: reports.d
state: state
output: {root: out, keep: 50}
datasets:
  projects:
    format: csv
    path: $PWD/$DATA
    schema: $PWD/bench/projects.schema.yaml
Y
for name in whole quarter quarter-compared; do
    {
        echo "name: $name"
        echo "title: $name"
        echo "dataset: projects"
        echo 'schedule: "0 6 2 1,4,7,10 *"'
        echo "group_by: [district]"
        echo "metrics:"
        echo "  - {name: projects, calc: count}"
        echo "  - {name: support, calc: sum, column: state_support_vnd}"
        echo "  - {name: mean_support, calc: mean, column: state_support_vnd}"
        echo "totals: true"
        echo "formats: [json]"
        if [ "$name" != whole ]; then
            echo "period: {every: quarter, date_column: start_date}"
        fi
        if [ "$name" = quarter-compared ]; then
            echo "compare: [previous_period, same_period_last_year]"
            echo "cumulative: year_to_date"
        fi
    } > "$WORK/reports.d/$name.yaml"
done
"$REPORTD" validate --config "$WORK/reportd.yaml" >&2

python3 - "$REPORTD" "$WORK" "$ROWS" "$RUNS" <<'PY'
import json, os, resource, statistics, subprocess, sys, time
reportd, work, rows, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
config = f"{work}/reportd.yaml"
print(f"{rows:,} rows, 9 districts, {runs} runs each (wall time and peak memory of `reportd run`, release build)")
for name in ("whole", "quarter", "quarter-compared"):
    times, peaks = [], []
    for _ in range(runs):
        args = [reportd, "run", "--config", config, name] + ([] if name == "whole" else ["--period", "2024-Q4"])
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.execv(reportd, args)
        _, status, usage = os.wait4(pid, 0)
        times.append(time.monotonic() - start)
        peaks.append(usage.ru_maxrss / 1024)
        if status != 0:
            sys.exit(f"{name}: reportd run failed")
    doc = json.load(open(f"{work}/out/{name}/latest.json"))
    used = doc["dataset"]["rows_used"]
    print(f"  {name:<17} median {statistics.median(times):6.2f} s   min–max {min(times):.2f}–{max(times):.2f} s"
          f"   peak {max(peaks):6.0f} MB   rows in the period {used:,}   columns {len(doc['columns'])}")
PY
