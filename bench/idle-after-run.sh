#!/usr/bin/env bash
# Resident memory of an idle `reportd serve` after runs over a large dataset, with
# `dataset_cache: 0` (issue 13, point 10): the daemon should give the dataset's memory back once a
# run is over. Prints the dataset's size, the peak RSS during runs and the RSS once idle.
#
#   bench/idle-after-run.sh                      # 2,000,000 rows (about 360 MB); release build
#   ROWS=10000000 bench/idle-after-run.sh        # 1.8 GB
#   REPORTD=/path/to/reportd bench/idle-after-run.sh   # measure that binary (no build)
#   IDLE_WAIT=30 bench/idle-after-run.sh             # seconds idle before the reading (default 10)
set -euo pipefail
if [ -n "${REPORTD:-}" ]; then REPORTD=$(realpath "$REPORTD"); fi
cd "$(dirname "$0")/.."
ROWS=${ROWS:-2000000}
SCRATCH=${SCRATCH:-.build-bench}
if [ -z "${REPORTD:-}" ]; then
    swift build -c release --scratch-path "$SCRATCH" >&2
    REPORTD="$(pwd)/$SCRATCH/release/reportd"
fi
mkdir -p bench/data
DATA="bench/data/projects-$ROWS.csv"
[ -f "$DATA" ] || python3 bench/generate.py "$ROWS" "$DATA"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reportd-idle-XXXXXX")
PID=
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2> /dev/null; then kill -TERM "$PID"; wait "$PID" || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/reports.d"
cat > "$WORK/reportd.yaml" << YAML
timezone: Asia/Ho_Chi_Minh
reports: reports.d
state: state
output: {root: out, keep: 3}
dataset_cache: 0
datasets:
  projects:
    format: csv
    path: $(pwd)/$DATA
    schema: $(pwd)/bench/projects.schema.yaml
YAML
cat > "$WORK/reports.d/by-district.yaml" << 'YAML'
name: by-district
dataset: projects
schedule: "every 20s"
group_by: [district]
metrics:
  - {name: projects, calc: count}
  - {name: support, calc: sum, column: state_support_vnd}
  - {name: p90, calc: percentile, column: state_support_vnd, p: 90}
formats: [csv]
YAML
"$REPORTD" serve --config "$WORK/reportd.yaml" > "$WORK/serve.log" 2>&1 &
PID=$!
# Two runs, then a few idle seconds.
for _ in $(seq 1 600); do
    [ "$(grep -c 'report published' "$WORK/serve.log" || true)" -ge 2 ] && break
    sleep 0.5
done
sleep "${IDLE_WAIT:-10}"
peak=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
idle=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
size=$(( $(stat -c %s "$DATA") / 1024 ))
echo "dataset ${size} KiB; runs: $(grep -c 'report published' "$WORK/serve.log" || true)"
echo "peak RSS ${peak} KiB; idle RSS after the runs ${idle} KiB ($(( idle * 100 / size )) % of the dataset)"
