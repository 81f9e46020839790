#!/usr/bin/env bash
# Start-up and idle cost of reportd (issue 5, item 4):
#   1. `reportd validate`, `list` and `next` on a daemon config with 500 varied report files
#      (wall time, median and min–max of RUNS runs each; validate also without the plugins folder,
#      to show what the plugin handshake costs);
#   2. `reportd serve` with 100 of those reports, none due for months and a state that catches
#      nothing up: time to ready, then CPU ticks (utime+stime), RSS, peak RSS and threads sampled
#      from /proc every second for IDLE_SECONDS.
#
#   bench/startup-idle.sh                         # builds the release binary first
#   RUNS=21 IDLE_SECONDS=300 bench/startup-idle.sh
#   REPORTS=2000 bench/startup-idle.sh            # more report files for the validate part
#   SCRATCH=.build-other bench/startup-idle.sh    # build in another scratch folder
#   REPORTD=/path/to/reportd bench/startup-idle.sh # measure that binary instead (no build)
#   KEEP=1 bench/startup-idle.sh                  # keep the generated folder (its path is printed)
set -euo pipefail
# A binary named relative to where the script was started from.
if [ -n "${REPORTD:-}" ]; then REPORTD=$(realpath "$REPORTD"); fi
cd "$(dirname "$0")/.."
RUNS=${RUNS:-11}
REPORTS=${REPORTS:-500}
SERVE_REPORTS=${SERVE_REPORTS:-100}
IDLE_SECONDS=${IDLE_SECONDS:-60}
SCRATCH=${SCRATCH:-.build-startup}

if [ "$(uname -s)" != Linux ]; then
    echo "startup-idle.sh reads /proc: Linux only" >&2
    exit 2
fi

if [ -z "${REPORTD:-}" ]; then
    swift build -c release --scratch-path "$SCRATCH" >&2
    REPORTD="$(pwd)/$SCRATCH/release/reportd"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/reportd-startup-XXXXXX")
SERVE_PID=
cleanup() {
    if [ -n "$SERVE_PID" ] && kill -0 "$SERVE_PID" 2> /dev/null; then
        kill -TERM "$SERVE_PID" 2> /dev/null || true
        wait "$SERVE_PID" 2> /dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Three configs sharing the sample dataset and plugin: `big` with REPORTS report files (validate,
# list, next), `noplugins` with those of them that do not use the plugin and no plugins folder
# (what the plugin handshake costs), `idle` with SERVE_REPORTS reports that will not fire for
# months (serve).
mkdir -p "$WORK/data" "$WORK/plugins.d"
cp config/data/* "$WORK/data/"
install -m 0755 config/plugins.d/* "$WORK/plugins.d/"
for config in big noplugins idle; do
    mkdir -p "$WORK/$config/reports.d" "$WORK/$config/state"
    {
        echo "timezone: Asia/Ho_Chi_Minh"
        echo "reports: reports.d"
        [ "$config" = noplugins ] || echo "plugins: ../plugins.d"
        echo "plugin_timeout: 30s"
        echo "state: state"
        echo "output: {root: out, keep: 30}"
        echo "datasets:"
        echo "  projects: {format: csv, path: ../data/projects.csv, schema: ../data/projects.schema.yaml}"
    } > "$WORK/$config/reportd.yaml"
done

python3 - "$WORK" "$REPORTS" "$SERVE_REPORTS" << 'PY'
import datetime, json, random, sys
work, count, serve_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(20261129)

groupings = [[], ["program"], ["district"], ["activity"], ["beneficiary_type"], ["status"], ["craft"],
             ["year"], ["year", "program"], ["district", "program"], ["activity", "beneficiary_type"],
             ["year", "district", "program"]]
filters = [None, None, "year >= 2021 and status == 'completed'", "program == 'national'",
           "program in ['national', 'local'] and year <= 2024", "not (district == 'Phong Thổ') or year < 2023",
           "state_support_vnd > 100000000 and counterpart_vnd >= 0", "start_date >= '2022-01-01'",
           "(activity == 'training' or activity == 'machinery') and jobs_created > 5",
           "craft != 'tea processing' and beneficiary_type in ['cooperative', 'household']"]
amounts = ["state_support_vnd", "counterpart_vnd", "products_branded", "jobs_created"]
zones = ["Asia/Ho_Chi_Minh", "UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
formats = [None, ["csv"], ["json"], ["text"], ["csv", "json"], ["json", "text"]]

def metric(i, group_by, uses_plugin):
    kind = rng.choice(["count", "count_distinct", "sum", "mean", "min", "max", "median", "percentile",
                       "stddev", "ratio", "share", "growth", "hhi"])
    if kind == "growth" and "year" not in group_by:
        kind = "sum"
    if kind == "hhi" and not uses_plugin:
        kind = "share"
    m = {"name": f"m{i}_{kind}", "calc": kind}
    if kind in ("count_distinct", "min", "max"):
        m["column"] = rng.choice(["beneficiary", "district", "start_date", "year"] + amounts)
    elif kind == "ratio":
        m["numerator"], m["denominator"] = rng.sample(amounts, 2)
    elif kind == "growth":
        m["column"], m["period"] = rng.choice(amounts), "year"
    elif kind == "hhi":
        m["column"], m["by"] = rng.choice(amounts[:2]), "beneficiary"
    elif kind != "count":
        m["column"] = rng.choice(amounts)
    if kind == "percentile":
        m["p"] = rng.choice([10, 25, 75, 90, 99])
    if kind in ("sum", "mean") and m["column"] != "products_branded" and rng.random() < 0.3:
        m["unit"] = rng.choice(["billion_vnd", "million_vnd"])
    return m

def cron(now, far):
    """A cron schedule; with `far`, one whose only month is 3 to 9 months away, so it cannot fire
    during the idle window."""
    minute, hour = rng.randrange(60), rng.randrange(24)
    if far:
        month = (now.month - 1 + rng.randrange(3, 10)) % 12 + 1
        return f"{minute} {hour} {rng.randrange(1, 29)} {month} *"
    return rng.choice([f"{minute} {hour} * * *", f"{minute} {hour} * * 1-5", f"{minute} {hour} 1 * *",
                       f"*/{rng.choice([5, 10, 15, 30])} {hour}-{min(hour + 3, 23)} * * *",
                       "@hourly", "@daily", "@weekly", "@monthly", "@yearly",
                       f"every {rng.choice([15, 30, 90])}m", f"every {rng.choice([2, 6, 12])}h"])

def report(n, far, uses_plugin):
    now = datetime.datetime.now(datetime.timezone.utc)
    group_by = rng.choice(groupings)
    r = {"name": f"report-{n:04d}", "title": f"Báo cáo khuyến công số {n}, 2021–2025",
         "description": "generated by bench/startup-idle.sh", "dataset": "projects",
         "schedule": cron(now, far)}
    if rng.random() < 0.4:
        r["timezone"] = rng.choice(zones)
    if far:
        r["catch_up"] = rng.choice(["none", "once", "all"])
    else:
        r["catch_up"] = rng.choice(["none", "once", "all", None]) or "once"
    r["overlap"] = rng.choice(["skip", "queue"])
    if rng.random() < 0.3:
        r["retries"], r["timeout"] = rng.randrange(0, 4), rng.choice(["30s", "10m", "2h"])
    f = rng.choice(filters)
    if f:
        r["filter"] = f
    if group_by:
        r["group_by"] = group_by
    metrics = [metric(i, group_by, uses_plugin) for i in range(rng.randrange(1, 7))]
    r["metrics"] = metrics
    if rng.random() < 0.5:
        key = rng.choice(group_by + [m["name"] for m in metrics])
        r["sort"] = [{"by": key, "order": rng.choice(["asc", "desc"])}]
    if rng.random() < 0.3:
        r["limit"] = rng.randrange(1, 20)
    r["totals"] = rng.random() < 0.5
    fmt = rng.choice(formats)
    if fmt:
        r["formats"] = fmt
    if rng.random() < 0.2:
        r["csv"] = {"bom": True, "line_endings": "crlf"}
    if rng.random() < 0.3:
        r["locale"] = rng.choice(["vi-VN", "en-US"])
    return r

def write(config, n, r):
    # JSON is YAML; one file in three in block style with comments, as people write them.
    path = f"{work}/{config}/reports.d/{r['name']}.{'yml' if n % 7 == 0 else 'yaml'}"
    with open(path, "w", encoding="utf-8") as f:
        if n % 3 == 0:
            f.write(f"# {r['title']}\n")
            for key, value in r.items():
                if key == "metrics":
                    f.write("metrics:\n")
                    for m in value:
                        f.write("  - " + json.dumps(m, ensure_ascii=False) + "\n")
                else:
                    f.write(f"{key}: {json.dumps(value, ensure_ascii=False)}\n")
        else:
            json.dump(r, f, ensure_ascii=False, indent=2)
            f.write("\n")

for n in range(count):
    write("big", n, report(n, far=False, uses_plugin=n % 10 == 0))
for n in range(serve_count):
    write("idle", n, report(n, far=True, uses_plugin=n % 10 == 0))
# A state in which every report completed a slot a minute ago: start-up catches nothing up.
slot = int(datetime.datetime.now(datetime.timezone.utc).timestamp()) - 60
for n in range(serve_count):
    with open(f"{work}/idle/state/report-{n:04d}.json", "w") as f:
        json.dump({"last_completed_slot": slot}, f)
PY
grep -L '"hhi"' "$WORK"/big/reports.d/* | xargs cp -t "$WORK/noplugins/reports.d/"

# times LABEL COMMAND...: runs COMMAND RUNS times (output discarded, failure fatal), one wall
# time per line in $WORK/times-LABEL.
times() {
    local label=$1
    shift
    : > "$WORK/times-$label"
    for _ in $(seq "$RUNS"); do
        local start end
        start=$(date +%s.%N)
        "$@" > /dev/null 2> "$WORK/stderr" || {
            cat "$WORK/stderr" >&2
            echo "FAILED: $*" >&2
            exit 1
        }
        end=$(date +%s.%N)
        echo "$start $end" | awk '{printf "%.4f\n", $2 - $1}' >> "$WORK/times-$label"
    done
}

"$REPORTD" validate --config "$WORK/big/reportd.yaml" >&2
"$REPORTD" validate --config "$WORK/noplugins/reportd.yaml" >&2
"$REPORTD" validate --config "$WORK/idle/reportd.yaml" >&2
noplugin_reports=$(find "$WORK/noplugins/reports.d" -type f | wc -l)
"$REPORTD" --help > /dev/null # warm the page cache
times validate "$REPORTD" validate --config "$WORK/big/reportd.yaml"
times validate-noplugins "$REPORTD" validate --config "$WORK/noplugins/reportd.yaml"
times list "$REPORTD" list --config "$WORK/big/reportd.yaml"
times next "$REPORTD" next --config "$WORK/big/reportd.yaml" report-0250 --count 10
times help "$REPORTD" --help

# Serve: started in the idle config's folder, its log to a file; ready when the scheduler says so.
(cd "$WORK/idle" && exec "$REPORTD" serve --config reportd.yaml --log-level info 2> "$WORK/serve.log") &
SERVE_PID=$!
start=$(date +%s.%N)
until grep -q 'scheduler started' "$WORK/serve.log"; do
    if ! kill -0 "$SERVE_PID" 2> /dev/null; then
        cat "$WORK/serve.log" >&2
        echo "FAILED: serve exited before it was ready" >&2
        exit 1
    fi
    sleep 0.01
done
ready=$(date +%s.%N)
sleep 1 # let start-up settle (READY=1 and the first timer follow the log line)

# sample: one line "SECONDS TICKS RSS_KIB HWM_KIB THREADS ANON_KIB" from /proc (utime+stime in
# clock ticks; ANON is the part of RSS that is the process's own memory, not mapped libraries).
sample() {
    local now stat fields
    now=$(date +%s.%N)
    stat=$(< "/proc/$SERVE_PID/stat")
    # Fields from 3 (state) on: the command name before them may hold spaces.
    read -r -a fields <<< "${stat##*) }"
    # utime and stime are fields 14 and 15.
    awk -v t="$now" -v ticks="$((fields[11] + fields[12]))" '
        /^VmRSS:/ {rss = $2} /^VmHWM:/ {hwm = $2} /^Threads:/ {threads = $2} /^RssAnon:/ {anon = $2}
        END {printf "%s %d %d %d %d %d\n", t, ticks, rss, hwm, threads, anon}' "/proc/$SERVE_PID/status"
}
: > "$WORK/samples"
for _ in $(seq 0 "$IDLE_SECONDS"); do
    sample >> "$WORK/samples"
    sleep 1
done
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || {
    cat "$WORK/serve.log" >&2
    echo "FAILED: serve did not exit 0 on SIGTERM" >&2
    exit 1
}
SERVE_PID=
runs_started=$(grep -c 'run started' "$WORK/serve.log" || true)

python3 - "$WORK" "$RUNS" "$REPORTS" "$noplugin_reports" "$SERVE_REPORTS" "$IDLE_SECONDS" \
    "$start" "$ready" "$runs_started" "$(getconf CLK_TCK)" << 'PY'
import os, statistics, sys
work, runs, reports, noplugin_reports, serve_reports, idle = sys.argv[1], *map(int, sys.argv[2:7])
start, ready, runs_started, hz = float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10])

def row(label, name):
    t = [float(x) for x in open(f"{work}/times-{name}")]
    print(f"  {label:<44} median {statistics.median(t) * 1000:7.1f} ms   "
          f"min–max {min(t) * 1000:.1f}–{max(t) * 1000:.1f} ms")

load = open("/proc/loadavg").read().split()[0]
print(f"Start-up: wall time, {runs} runs each (release build; {os.cpu_count()} cores, load average {load})")
row(f"validate, {reports} report files + plugin", "validate")
row(f"validate, {noplugin_reports} report files, no plugins folder", "validate-noplugins")
row(f"list, {reports} report files", "list")
row(f"next report-0250 --count 10, {reports} files", "next")
row("--help (process start floor)", "help")

samples = [line.split() for line in open(f"{work}/samples")]
ticks = [int(s[1]) for s in samples]
rss = [int(s[2]) for s in samples]
hwm = [int(s[3]) for s in samples]
threads = [int(s[4]) for s in samples]
anon = [int(s[5]) for s in samples]
window = float(samples[-1][0]) - float(samples[0][0])
print(f"Idle: `serve` with {serve_reports} reports, sampled every second for {window:.0f} s")
print(f"  ready after {(ready - start) * 1000:.0f} ms; CPU used by start-up: {ticks[0]} ticks "
      f"({ticks[0] * 1000 // hz} ms at {hz} ticks/s)")
print(f"  CPU over the idle window: {ticks[-1] - ticks[0]} ticks "
      f"({(ticks[-1] - ticks[0]) * 1000 / hz / window:.2f} ms per second of wall time)")
print(f"  RSS {min(rss) / 1024:.1f}–{max(rss) / 1024:.1f} MiB (end {rss[-1] / 1024:.1f} MiB); "
      f"peak (VmHWM) {max(hwm) / 1024:.1f} MiB; of it anonymous (RssAnon) {anon[-1] / 1024:.1f} MiB, "
      f"the rest mapped files (the binary and the Swift and Foundation libraries)")
print(f"  threads {min(threads)}–{max(threads)}; runs started during the window: {runs_started}")
if runs_started:
    print("WARNING: some report ran during the idle window; the figures include it", file=sys.stderr)
PY
