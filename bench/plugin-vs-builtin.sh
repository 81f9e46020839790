#!/usr/bin/env bash
# Built-in `sum` against the same sum computed by an external Python plugin (bench/ext_sum.py),
# on a generated 1,000,000-row CSV: wall time of `reportd run NAME`, 3 runs each, and a check that
# both give the same sums.
#
#   bench/plugin-vs-builtin.sh              # builds the release binary first
#   ROWS=200000 RUNS=5 bench/plugin-vs-builtin.sh
#   SCRATCH=.build-other bench/plugin-vs-builtin.sh   # build in another scratch folder
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
SCRATCH=${SCRATCH:-.build}

swift build -c release --scratch-path "$SCRATCH" >&2
REPORTD="$SCRATCH/release/reportd"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/reportd-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/reports.d" "$WORK/plugins"
install -m 0755 bench/ext_sum.py "$WORK/plugins/ext_sum.py"

# The data: an int column of random amounts (some empty), a string column with 50 values.
python3 - "$WORK/data.csv" "$ROWS" <<'PY'
import random, sys
path, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(20251105)
groups = [f"Đơn vị {i:02d}" for i in range(50)]
with open(path, "w", encoding="utf-8") as f:
    f.write("unit,amount\n")
    for _ in range(rows):
        amount = "" if rng.random() < 0.01 else str(rng.randrange(1_000_000, 5_000_000_000))
        f.write(f"{rng.choice(groups)},{amount}\n")
PY
cat > "$WORK/schema.yaml" <<'Y'
columns:
  unit: {type: string, required: true}
  amount: {type: int}
Y
cat > "$WORK/reportd.yaml" <<'Y'
timezone: Asia/Ho_Chi_Minh
reports: reports.d
state: state
plugins: plugins
plugin_timeout: 600s
plugin_memory: 8192
output: {root: out, keep: 50}
datasets:
  bench:
    format: csv
    path: data.csv
    schema: schema.yaml
Y
for name in builtin external; do
    calc=sum
    [ "$name" = external ] && calc=ext_sum
    cat > "$WORK/reports.d/$name.yaml" <<Y
name: $name
title: "$name"
dataset: bench
schedule: "@daily"
group_by: [unit]
metrics:
  - {name: amount, calc: $calc, column: amount}
totals: true
formats: [json]
Y
done

"$REPORTD" validate --config "$WORK/reportd.yaml" >&2

for name in builtin external; do
    : > "$WORK/times-$name"
    for _ in $(seq "$RUNS"); do
        start=$(date +%s.%N)
        "$REPORTD" run --config "$WORK/reportd.yaml" "$name" > /dev/null 2> "$WORK/stderr" || {
            cat "$WORK/stderr" >&2
            exit 1
        }
        end=$(date +%s.%N)
        echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' >> "$WORK/times-$name"
    done
done

python3 - "$WORK" "$ROWS" "$RUNS" <<'PY'
import json, statistics, sys
work, rows, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times = {n: [float(x) for x in open(f"{work}/times-{n}")] for n in ("builtin", "external")}
print(f"{rows:,} rows, 50 groups, {runs} runs each (wall time of `reportd run NAME`, release build)")
for name, label in (("builtin", "built-in sum"), ("external", "plugin ext_sum (Python)")):
    t = times[name]
    print(f"  {label:<26} median {statistics.median(t):6.2f} s   min–max {min(t):.2f}–{max(t):.2f} s")
ratio = statistics.median(times["external"]) / statistics.median(times["builtin"])
print(f"  ratio external / built-in: {ratio:.2f}×")
results = {}
for name in ("builtin", "external"):
    doc = json.load(open(f"{work}/out/{name}/latest.json"))
    results[name] = ({r["unit"]: r["amount"] for r in doc["rows"]}, doc["totals"]["amount"])
if results["builtin"] != results["external"]:
    print("MISMATCH: the plugin's sums differ from the built-in's", file=sys.stderr)
    sys.exit(1)
print(f"  same sums: {len(results['builtin'][0])} groups, total {results['builtin'][1]:,}")
PY
