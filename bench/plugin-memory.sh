#!/usr/bin/env bash
# Peak resident memory of plugins in three runtimes (Python: bench/ext_sum.py; Node.js: the gini
# example; compiled Swift: the cagr example) on a generated 1,000,000-row CSV, each under the
# default plugin_memory (1024 MiB of RLIMIT_DATA) and under smaller limits. Reads the figures from
# reportd's debug log ("peak resident memory"), which the plugin supervisor measures (wait4).
#
#   bench/plugin-memory.sh                 # builds reportd and the cagr example first
#   ROWS=200000 LIMITS="1024 256" bench/plugin-memory.sh
#   REPORTD=.build/debug/reportd bench/plugin-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
LIMITS=${LIMITS:-"1024 512 256 128"}
SCRATCH=${SCRATCH:-.build}

# REPORTD=path skips the build (the plugins' memory does not depend on how reportd was built).
if [ -z "${REPORTD:-}" ]; then
    swift build -c release --scratch-path "$SCRATCH" >&2
    REPORTD="$SCRATCH/release/reportd"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reportd-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
swift build -c release --package-path examples/plugins/cagr-swift --scratch-path "$WORK/cagr-build" >&2
mkdir -p "$WORK/reports.d" "$WORK/plugins"
install -m 0755 bench/ext_sum.py "$WORK/plugins/ext_sum.py"
install -m 0755 "$WORK/cagr-build/release/cagr" "$WORK/plugins/cagr"
if command -v node >/dev/null; then install -m 0755 examples/plugins/gini-node/gini.js "$WORK/plugins/gini.js"; fi

python3 - "$WORK/data.csv" "$ROWS" <<'PY'
import random, sys
path, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(20251206)
with open(path, "w", encoding="utf-8") as f:
    f.write("unit,year,amount\n")
    for _ in range(rows):
        amount = "" if rng.random() < 0.01 else str(rng.randrange(1_000_000, 5_000_000_000))
        f.write(f"Đơn vị {rng.randrange(50):02d},{rng.randrange(2015, 2025)},{amount}\n")
PY
cat > "$WORK/schema.yaml" <<'Y'
columns:
  unit: {type: string, required: true}
  year: {type: int, required: true}
  amount: {type: int}
Y
report() {  # name calc extra-parameters group_by
    cat > "$WORK/reports.d/$1.yaml" <<Y
name: $1
title: "$1"
dataset: bench
schedule: "@daily"
group_by: [$4]
metrics:
  - {name: v, calc: $2, column: amount$3}
Y
}
report python ext_sum "" unit
report compiled cagr ", period: year" "unit, year"
command -v node >/dev/null && report node gini "" unit

printf "%-9s %-9s %-8s %s\n" runtime limit outcome "peak resident"
for limit in $LIMITS; do
    cat > "$WORK/reportd.yaml" <<Y
timezone: Asia/Ho_Chi_Minh
reports: reports.d
state: state
plugins: plugins
plugin_timeout: 600s
plugin_memory: $limit
output: {root: out, keep: 50}
datasets:
  bench:
    format: csv
    path: data.csv
    schema: schema.yaml
Y
    for name in python node compiled; do
        [ -f "$WORK/reports.d/$name.yaml" ] || continue
        out=$("$REPORTD" run --config "$WORK/reportd.yaml" --log-level debug "$name" 2>&1 || true)
        outcome=$(grep -q "^ok " <<<"$out" && echo ok || echo FAILED)
        # The last "ended after" line is the computation's process (the first, the load's handshake).
        peak=$(grep "peak resident memory" <<<"$out" | tail -1 | sed 's/.*peak resident memory //')
        printf "%-9s %-9s %-8s %s\n" "$name" "$limit MiB" "$outcome" "$peak"
        [ "$outcome" = ok ] || { grep "^FAILED\|plugin .*: " <<<"$out" | grep -v "ended after" | head -12 | cut -c1-300 >&2 || true; }
    done
done
