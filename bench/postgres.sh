#!/usr/bin/env bash
# PostgreSQL benchmark of issue 16: the five benchmark reports (bench/reports/) over ROWS rows
# loaded with COPY into a throwaway PostgreSQL cluster, three ways:
#   reportd-pg   reportd on a `format: postgres` dataset (the server computes: pushdown)
#   psql         the same aggregates as hand-written SQL run by psql (the floor), and the
#                statements that give the same output as reportd's (for a report with a filter,
#                also the table's row count, which its output states)
#   reportd-csv  reportd on the same rows in a CSV file
# with the median wall time of RUNS runs of each, reportd's CPU time (user + system) in that
# run, and reportd's peak RSS (GNU time's maxrss). A sixth report, by-district-stddev, is a
# standard deviation of an int column: the server gives its exact count, sum and sum of squares
# and reportd computes it from them as the engine does; its floor is psql running stddev_samp.
#
#   bench/postgres.sh                 # 10,000,000 rows, 3 runs
#   ROWS=1000000 RUNS=5 bench/postgres.sh
#   REPORTD=.build/debug/reportd bench/postgres.sh   # an already built binary
#   CSV=0 bench/postgres.sh           # without the reportd-on-CSV runs
#
# Needs PostgreSQL's server programs (Debian's postgresql) and GNU time. Builds reportd in
# release mode (SCRATCH, default .build-bench), generates the rows with bench/generate.py
# (bench/data/, cached), works in bench/work-pg/ (the cluster lives there while the script runs,
# as `nobody` when run as root, on a free port of 127.0.0.1, and is stopped at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROWS=${ROWS:-10000000}
RUNS=${RUNS:-3}
SCRATCH=${SCRATCH:-.build-bench}
WORK=$ROOT/bench/work-pg

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/initdb" ]; then
    bindir=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/initdb" ] || { echo "postgres.sh: install PostgreSQL (apt-get install postgresql)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "postgres.sh: install GNU time (apt-get install time)" >&2; exit 1; }

if [ -n "${REPORTD:-}" ]; then
    reportd=$REPORTD # a binary already built (say which build in the results)
else
    echo "building reportd (swift build -c release --scratch-path $SCRATCH)" >&2
    swift build -c release --scratch-path "$SCRATCH" >&2
    reportd=$ROOT/$SCRATCH/release/reportd
fi

mkdir -p bench/data
data=$ROOT/bench/data/projects-$ROWS-pg.csv
if [ ! -f "$data" ]; then
    echo "generating $ROWS rows into $data" >&2
    python3 bench/generate.py "$ROWS" "$data" --seed 1
fi

rm -rf "$WORK"
mkdir -p "$WORK/reports"
chmod 755 "$WORK"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
    as_server=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
    chown nobody:nogroup "$WORK"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_server[@]}" "$bindir/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
cat >>"$WORK/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = off
synchronous_commit = off
shared_buffers = 512MB
work_mem = 64MB
EOF
stop() { "${as_server[@]}" "$bindir/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1 || true; }
trap stop EXIT
"${as_server[@]}" "$bindir/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w start >/dev/null
psql=("$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres)

echo "loading $ROWS rows with COPY" >&2
start=$(date +%s.%N)
"${psql[@]}" <<EOF
CREATE TABLE projects (project_id text, title text, year integer, program text, activity text,
  district text, beneficiary text, beneficiary_type text, craft text, state_support_vnd bigint,
  counterpart_vnd bigint, products_branded integer, jobs_created integer, status text, start_date date);
\\copy projects FROM '$data' WITH (FORMAT csv, HEADER true)
VACUUM ANALYZE projects;
EOF
echo "  loaded in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2

cat >"$WORK/reportd.yaml" <<EOF
timezone: Asia/Ho_Chi_Minh
reports: reports
state: state
output:
  root: out
  keep: 1
datasets:
  projects:
    format: csv
    path: $data
    schema: $ROOT/bench/projects.schema.yaml
  projects_pg:
    format: postgres
    url: postgresql://postgres@127.0.0.1:$port/postgres?sslmode=disable
    table: projects
    timeout: 10m
EOF
reports=(by-program by-year-program by-district by-activity completed-since-2021 by-district-stddev)
cat >"$WORK/by-district-stddev.yaml" <<EOF
name: by-district-stddev
title: "State support by district: count and standard deviation"
dataset: projects
schedule: "@daily"
group_by: [district]
metrics:
  - {name: projects, calc: count}
  - {name: sd_support_vnd, calc: stddev, column: state_support_vnd}
totals: false
formats: [csv]
EOF
for r in "${reports[@]}"; do
    src=bench/reports/$r.yaml
    [ -f "$src" ] || src=$WORK/$r.yaml
    cp "$src" "$WORK/reports/$r.yaml"
    sed -e "s/^name: $r/name: pg-$r/" -e 's/^dataset: projects$/dataset: projects_pg/' \
        "$src" >"$WORK/reports/pg-$r.yaml"
done

# The hand-written SQL of each report (the floor): what a person would type into psql.
sums="count(*), sum(state_support_vnd), sum(counterpart_vnd)"
declare -A floor=(
    [by-program]="SELECT program, $sums FROM projects GROUP BY program"
    [by-year-program]="SELECT year, program, $sums FROM projects GROUP BY year, program"
    [by-district]="SELECT district, count(*), sum(state_support_vnd), avg(state_support_vnd),
        percentile_cont(0.5) WITHIN GROUP (ORDER BY state_support_vnd),
        percentile_cont(0.9) WITHIN GROUP (ORDER BY state_support_vnd) FROM projects GROUP BY district"
    [by-activity]="SELECT activity, sum(state_support_vnd), sum(counterpart_vnd),
        sum(counterpart_vnd)::float8 / sum(state_support_vnd)::float8 FROM projects GROUP BY activity"
    [completed-since-2021]="SELECT beneficiary_type, $sums FROM projects
        WHERE year >= 2021 AND status = 'completed' GROUP BY beneficiary_type"
    [by-district-stddev]="SELECT district, count(*), stddev_samp(state_support_vnd) FROM projects GROUP BY district"
)

# The floor that gives the same output as reportd's: a report with a filter also says how many
# rows the table has (`rows` in its JSON, its text and its history), which takes one more statement
# over the whole table, as reportd runs it.
declare -A same=()
for r in "${reports[@]}"; do same[$r]=${floor[$r]}; done
same[completed-since-2021]="${floor[completed-since-2021]}; SELECT count(*) FROM projects"

# Median of RUNS wall times (seconds) with that run's CPU time (user + system, seconds), and the
# largest peak RSS (MB) of a command.
measure() {
    local runs=() rss=0 i wall user sys max
    for ((i = 0; i < RUNS; i++)); do
        if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr"; then
            echo "failed: $*" >&2
            cat "$WORK/stderr" >&2
            exit 1
        fi
        read -r wall user sys max <"$WORK/time"
        runs+=("$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')")
        [ "$max" -gt "$rss" ] && rss=$max
    done
    printf '%s %s\n' "$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")" "$((rss / 1024))"
}

echo
echo "$ROWS rows, median of $RUNS runs (wall seconds, with that run's CPU seconds); reportd's peak RSS in MB"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| report | reportd-pg wall (CPU) | psql floor | ratio | psql, same output | ratio | reportd-csv wall (CPU) | RSS pg (MB) | RSS csv (MB) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for r in "${reports[@]}"; do
    read -r pg_s pg_cpu pg_rss < <(measure "$reportd" run --config "$WORK/reportd.yaml" "pg-$r")
    read -r floor_s _ _ < <(measure "${psql[@]}" -c "${floor[$r]}")
    same_s=$floor_s
    if [ "${same[$r]}" != "${floor[$r]}" ]; then
        read -r same_s _ _ < <(measure "${psql[@]}" -c "${same[$r]}")
    fi
    csv="-" csv_rss="-"
    if [ "${CSV:-1}" != 0 ]; then
        read -r csv_s csv_cpu csv_rss < <(measure "$reportd" run --config "$WORK/reportd.yaml" "$r")
        csv="$csv_s ($csv_cpu)"
    fi
    ratio=$(awk -v a="$pg_s" -v b="$floor_s" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    same_ratio=$(awk -v a="$pg_s" -v b="$same_s" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    echo "| $r | $pg_s ($pg_cpu) | $floor_s | $ratio | $same_s | $same_ratio | $csv | $pg_rss | $csv_rss |"
    if [ "${CSV:-1}" != 0 ] && ! cmp -s "$WORK/out/$r/latest.csv" "$WORK/out/pg-$r/latest.csv"; then
        echo "DIFFERENT OUTPUT: $r (csv vs postgres)" >&2
        diff "$WORK/out/$r/latest.csv" "$WORK/out/pg-$r/latest.csv" | head -n 5 >&2
        exit 1
    fi
done
