#!/usr/bin/env bash
# The five benchmark reports (bench/reports, see bench/README.md) on the same generated rows:
#   reportd on two SQLite copies (pushdown; what SQLite cannot compute, the median and percentile
#   of report (c), read in batches for the engine): a plain table, whose every cell reportd checks
#   with one statement over the whole table, and a STRICT table whose constraints guarantee what
#   that check looks for (scripts/make-sample-sqlite.py --strict), so that reportd reads no cell
#   to check it; the sqlite3 CLI running equivalent hand-written SQL on each copy (bench/sqlite/*.sql:
#   the floor), and reportd on the CSV file.
# Prints wall time, CPU time (user + system) and peak RSS of each, the best of RUNS runs (by CPU
# time), and the CPU ratios to the floor on the same copy; checks that reportd gives the same CSV
# output from SQLite as from the CSV file.
# reportd keeps the plain table's cell check in its state folder (state-sqlite/sqlite-checks), so
# only the first run of the plain table checks its cells; the row "by-program, checked" removes
# the kept answer before each run, as a write to the database would make it useless.
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
strictdb=bench/data/projects-$ROWS-strict.sqlite
if [[ ! -f "$strictdb" || "$strictdb" -ot "$csv" ]]; then
    echo "copying them into $strictdb (a STRICT table)" >&2
    python3 scripts/make-sample-sqlite.py --strict "$csv" bench/projects.schema.yaml "$strictdb.tmp" projects >&2
    mv "$strictdb.tmp" "$strictdb"
fi

work=$PWD/bench/work/sqlite
rm -rf "$work"
mkdir -p "$work"
for kind in csv sqlite strict; do
    {
        echo "timezone: Asia/Ho_Chi_Minh"
        echo "reports: ../../reports"
        echo "state: state-$kind"
        echo "output: {root: out-$kind, keep: 1}"
        echo "datasets:"
        echo "  projects:"
        case $kind in
            csv) echo "    format: csv"; echo "    path: ../../../$csv" ;;
            sqlite) echo "    format: sqlite"; echo "    path: ../../../$db"; echo "    table: projects" ;;
            strict) echo "    format: sqlite"; echo "    path: ../../../$strictdb"; echo "    table: projects" ;;
        esac
        echo "    schema: ../../projects.schema.yaml"
    } > "$work/$kind.yaml"
done

# best WALL CPU RSS of RUNS runs of a command (seconds, seconds, MB), by CPU time
measure() {
    local best="" wall user sys rss cpu
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
            cat "$work/err" >&2
            return 1
        }
        read -r wall user sys rss < "$work/time"
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        if [[ -z "$best" ]] || awk -v a="$cpu" -v b="$(echo "$best" | cut -d' ' -f2)" 'BEGIN { exit !(a < b) }'; then
            best="$wall $cpu $((rss / 1024))"
        fi
    done
    echo "$best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

printf "%s rows, best of %s runs; wall s / CPU s / peak RSS MB; ratios of CPU time to the floor on the same copy\n" \
    "$ROWS" "$RUNS"
printf "%-22s %-18s %-18s %-18s %-18s %-18s %-8s %-8s\n" report "reportd plain" "sqlite3 plain" "reportd strict" \
    "sqlite3 strict" "reportd csv" "plain" "strict"
failed=0
for report in by-program by-year-program by-district by-activity completed-since-2021; do
    read -r dw dc dm <<< "$(cd "$work" && measure "$REPORTD" run --config sqlite.yaml "$report")"
    read -r fw fc fm <<< "$(measure sqlite3 -readonly "$db" ".read bench/sqlite/$report.sql")"
    read -r sw sc sm <<< "$(cd "$work" && measure "$REPORTD" run --config strict.yaml "$report")"
    read -r gw gc gm <<< "$(measure sqlite3 -readonly "$strictdb" ".read bench/sqlite/$report.sql")"
    read -r cw cc cm <<< "$(cd "$work" && measure "$REPORTD" run --config csv.yaml "$report")"
    printf "%-22s %-18s %-18s %-18s %-18s %-18s %-8s %-8s\n" "$report" "$dw / $dc / $dm" "$fw / $fc / $fm" \
        "$sw / $sc / $sm" "$gw / $gc / $gm" "$cw / $cc / $cm" "$(ratio "$dc" "$fc")x" "$(ratio "$sc" "$gc")x"
    for kind in sqlite strict; do
        if ! cmp -s "$work/out-$kind/$report/latest.csv" "$work/out-csv/$report/latest.csv"; then
            echo "  $report: the output from $kind differs from the CSV one" >&2
            failed=1
        fi
    done
done
# A run after a write: the cell check's answer kept in the state folder is gone (as a write to the
# database makes it useless), so the plain table is checked again; the STRICT one needs no check.
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
read -r dw dc dm <<< "$(cd "$work" && measure sh -c 'rm -rf state-sqlite/sqlite-checks && exec "$0" "$@"' \
    "$REPORTD" run --config sqlite.yaml by-program)"
# shellcheck disable=SC2016
read -r sw sc sm <<< "$(cd "$work" && measure sh -c 'rm -rf state-strict/sqlite-checks && exec "$0" "$@"' \
    "$REPORTD" run --config strict.yaml by-program)"
printf "%-22s %-18s %-18s %-18s %-18s %-18s %-8s %-8s\n" "by-program, checked" "$dw / $dc / $dm" "-" \
    "$sw / $sc / $sm" "-" "-" "-" "-"
# The five in one run: one snapshot of the database, one read of the CSV file.
read -r dw dc dm <<< "$(cd "$work" && measure "$REPORTD" run --config sqlite.yaml)"
read -r sw sc sm <<< "$(cd "$work" && measure "$REPORTD" run --config strict.yaml)"
read -r cw cc cm <<< "$(cd "$work" && measure "$REPORTD" run --config csv.yaml)"
printf "%-22s %-18s %-18s %-18s %-18s %-18s %-8s %-8s\n" "all five, one run" "$dw / $dc / $dm" "-" \
    "$sw / $sc / $sm" "-" "$cw / $cc / $cm" "-" "-"
exit "$failed"
