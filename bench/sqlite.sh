#!/usr/bin/env bash
# The five benchmark reports (bench/reports, see bench/README.md) on the same generated rows:
#   reportd on an SQLite copy (pushdown; what SQLite cannot compute, the median and percentile of
#   report (c), read in batches for the engine), the sqlite3 CLI running equivalent hand-written
#   SQL (bench/sqlite/*.sql: the floor), and reportd on the CSV file.
# Prints wall time, CPU time (user + system) and peak RSS of each, the best of RUNS runs, and the
# ratios; checks that reportd gives the same CSV output from SQLite as from the CSV file.
#
#   bench/sqlite.sh                       # 1,000,000 rows, 3 runs
#   ROWS=200000 RUNS=1 bench/sqlite.sh
#   REPORTD=path/to/reportd bench/sqlite.sh   # an already built binary
#
# Needs python3, sqlite3 and GNU time (/usr/bin/time). Builds reportd (swift build -c release)
# unless REPORTD is given; data in bench/data/ (cached), work in bench/work/sqlite/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
if [[ -z "${REPORTD:-}" ]]; then
    swift build -c release >&2
    REPORTD=$(swift build -c release --show-bin-path)/reportd
fi
REPORTD=$(realpath "$REPORTD")

mkdir -p bench/data
csv=bench/data/projects-$ROWS.csv
db=bench/data/projects-$ROWS.sqlite
if [[ ! -f "$csv" ]]; then
    echo "generating $ROWS rows into $csv" >&2
    python3 bench/generate.py "$ROWS" "$csv"
fi
if [[ ! -f "$db" || "$db" -ot "$csv" ]]; then
    echo "copying them into $db" >&2
    python3 scripts/make-sample-sqlite.py "$csv" bench/projects.schema.yaml "$db.tmp" projects >&2
    mv "$db.tmp" "$db"
fi

work=$PWD/bench/work/sqlite
rm -rf "$work"
mkdir -p "$work"
for kind in csv sqlite; do
    {
        echo "timezone: Asia/Ho_Chi_Minh"
        echo "reports: ../../reports"
        echo "state: state-$kind"
        echo "output: {root: out-$kind, keep: 1}"
        echo "datasets:"
        echo "  projects:"
        echo "    format: $kind"
        echo "    path: ../../../$( [[ $kind == csv ]] && echo "$csv" || echo "$db" )"
        echo "    schema: ../../projects.schema.yaml"
        [[ $kind == sqlite ]] && echo "    table: projects"
    } > "$work/$kind.yaml"
done

# best WALL CPU RSS of RUNS runs of a command (seconds, seconds, MB), by wall time
measure() {
    local best="" wall user sys rss
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
            cat "$work/err" >&2
            return 1
        }
        read -r wall user sys rss < "$work/time"
        if [[ -z "$best" ]] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
            best="$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') $((rss / 1024))"
        fi
    done
    echo "$best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

printf "%s rows, best of %s runs; wall s / CPU s / peak RSS MB\n" "$ROWS" "$RUNS"
printf "%-22s %-20s %-20s %-20s %-10s %-10s\n" report "reportd sqlite" "sqlite3 (floor)" "reportd csv" \
    "vs floor" "vs csv"
failed=0
for report in by-program by-year-program by-district by-activity completed-since-2021; do
    read -r dw dc dm <<< "$(cd "$work" && measure "$REPORTD" run --config sqlite.yaml "$report")"
    read -r fw fc fm <<< "$(measure sqlite3 -readonly "$db" ".read bench/sqlite/$report.sql")"
    read -r cw cc cm <<< "$(cd "$work" && measure "$REPORTD" run --config csv.yaml "$report")"
    printf "%-22s %-20s %-20s %-20s %-10s %-10s\n" "$report" "$dw / $dc / $dm" "$fw / $fc / $fm" \
        "$cw / $cc / $cm" "$(ratio "$dw" "$fw")x" "$(ratio "$dw" "$cw")x"
    if ! cmp -s "$work/out-sqlite/$report/latest.csv" "$work/out-csv/$report/latest.csv"; then
        echo "  $report: the SQLite output differs from the CSV one" >&2
        failed=1
    fi
done
# The five in one run: one snapshot of the database, one read of the CSV file.
read -r dw dc dm <<< "$(cd "$work" && measure "$REPORTD" run --config sqlite.yaml)"
read -r cw cc cm <<< "$(cd "$work" && measure "$REPORTD" run --config csv.yaml)"
printf "%-22s %-20s %-20s %-20s %-10s %-10s\n" "all five, one run" "$dw / $dc / $dm" "-" "$cw / $cc / $cm" "-" \
    "$(ratio "$dw" "$cw")x"
exit "$failed"
