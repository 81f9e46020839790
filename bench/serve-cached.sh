#!/usr/bin/env bash
# Cached runs in `reportd serve` (issue 5's "a second run < 0.1 s at 1M rows", measured again with
# issue 7's per-run work: the manifest after each publish, the run history, the metrics file):
# the five bench reports every INTERVAL seconds on a ROWS-row dataset, for SECONDS seconds, then
# each report's run durations from its run history (the first run reads the file; the others use
# the cached dataset after checking its checksum). A run's duration spans reading, computing,
# publishing, retention and the manifest; the history and metrics writes follow it.
#
#   bench/serve-cached.sh                         # builds the release binary first
#   ROWS=100000 SECONDS_=40 bench/serve-cached.sh
#   REPORTD=/path/to/reportd bench/serve-cached.sh # measure that binary instead (no build)
set -euo pipefail
if [ -n "${REPORTD:-}" ]; then REPORTD=$(realpath "$REPORTD"); fi
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
INTERVAL=${INTERVAL:-10}
DURATION=${SECONDS_:-75}
SCRATCH=${SCRATCH:-.build-bench}

if [ -z "${REPORTD:-}" ]; then
    swift build -c release --product reportd --scratch-path "$SCRATCH" >&2
    REPORTD="$PWD/$SCRATCH/release/reportd"
fi
# The same cached file as bench/peers.sh (named by rows, seed and the generator's hash).
mkdir -p bench/data
data="bench/data/projects-$ROWS-s42-$(sha256sum bench/generate.py | cut -c1-8).csv"
[ -f "$data" ] || python3 bench/generate.py --seed 42 "$ROWS" "$data" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/reports"
for report in bench/reports/*.yaml; do
    sed "s/^schedule:.*/schedule: \"every ${INTERVAL}s\"/" "$report" >"$work/reports/$(basename "$report")"
done
cat >"$work/reportd.yaml" <<YAML
timezone: Asia/Ho_Chi_Minh
reports: reports
state: state
metrics_file: metrics/reportd.prom
output: {root: out, keep: 30}
datasets:
  projects: {format: csv, path: $PWD/$data, schema: $PWD/bench/projects.schema.yaml}
YAML
echo "reportd serve: $(basename "$data"), 5 reports every ${INTERVAL}s for ${DURATION}s; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
timeout -s TERM "$DURATION" "$REPORTD" serve --config "$work/reportd.yaml" >"$work/serve.log" 2>&1 || true
python3 - "$work/state/history" <<'PY'
import json, os, statistics, sys
folder = sys.argv[1]
print(f"{'report':22} {'first':>8} {'cached runs (ms)':>20}  all cached runs")
for name in sorted(os.listdir(folder)):
    runs = [json.loads(line) for line in open(os.path.join(folder, name)) if line.strip()]
    ms = [round(r["duration_seconds"] * 1000) for r in runs if r["outcome"] == "success"]
    if len(ms) < 2:
        print(f"{name[:-6]:22} {'-':>8} {'too few runs':>20}")
        continue
    cached = ms[1:]
    print(f"{name[:-6]:22} {ms[0]:>6} ms {min(cached):>6}–{max(cached)} (median {statistics.median(cached):g})  {cached}")
PY
