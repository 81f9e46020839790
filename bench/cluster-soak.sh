#!/usr/bin/env bash
# A long soak of a reportd cluster (issue 17; not in CI): N `reportd serve` nodes, each with its
# own state folder, one shared output folder, M reports every few seconds, a throwaway PostgreSQL
# server of its own; at random intervals a random node is SIGKILLed (and started again a few
# seconds later) or SIGSTOPped past its lease (and resumed). At the end it prints, over the slots
# that came due while the soak ran (leaving out the first and last few seconds):
#
#   slots due, published, duplicated (two nodes published one slot: must be 0),
#   missed (a due slot never published: must be 0)
#
#   bench/cluster-soak.sh                          # 3 nodes, 10 reports, 300 s; debug build
#   NODES=3 REPORTS=50 DURATION=1800 bench/cluster-soak.sh
#   REPORTD=/path/to/reportd bench/cluster-soak.sh  # that binary (no build)
#   LEASE=3 EVERY=3 FAULT_EVERY=15 SEED=7 bench/cluster-soak.sh
#
# Duplicates are counted from every node's run history (a successful run of one slot on two
# nodes) and from the nodes' logs ("report published" lines); published and missed from the slot
# files in the shared folder. The kills make runs fail or lose their claims on purpose: those are
# counted (lost claims, takeovers) but are no error.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NODES=${NODES:-3}
REPORTS=${REPORTS:-10}
DURATION=${DURATION:-300}
LEASE=${LEASE:-3}
EVERY=${EVERY:-3}
FAULT_EVERY=${FAULT_EVERY:-20}
SEED=${SEED:-$RANDOM}
if [ -n "${REPORTD:-}" ]; then
    reportd=$(realpath "$REPORTD")
else
    swift build --product reportd >&2
    reportd=$ROOT/.build/debug/reportd
fi
bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/initdb" ]; then
    bindir=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/initdb" ] || { echo "cluster-soak.sh: install PostgreSQL (apt-get install postgresql)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/reportd-soak-XXXXXX")
chmod 755 "$WORK"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
    as_server=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
mkdir -p "$WORK/pg"
[ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$WORK/pg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_server[@]}" "$bindir/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
cat >>"$WORK/pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = off
synchronous_commit = on
max_connections = 100
EOF
pids=()
stop_all() {
    for pid in "${pids[@]}"; do
        [ -n "$pid" ] && { kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; }
    done
    for pid in "${pids[@]}"; do
        if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
    done
    "${as_server[@]}" "$bindir/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1 || true
}
cleanup() {
    stop_all
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT
"${as_server[@]}" "$bindir/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w start >/dev/null
url="postgresql://postgres@127.0.0.1:$port/postgres?sslmode=disable"

mkdir -p "$WORK/reports.d" "$WORK/out" "$WORK/plugins"
cp Tests/EndToEndTests/plugins/slow-node.py "$WORK/plugins/"
printf 'district,amount\nA,1\nB,2\nA,3\n' >"$WORK/data.csv"
printf 'columns:\n  district: {type: string}\n  amount: {type: int}\n' >"$WORK/schema.yaml"
for r in $(seq 1 "$REPORTS"); do
    # One report in five computes through the slow plugin (a second per run).
    calc=count
    [ $((r % 5)) -eq 1 ] && calc=slow_count
    cat >"$WORK/reports.d/r$r.yaml" <<EOF
name: r$r
title: Soak $r
dataset: things
schedule: "every ${EVERY}s"
catch_up: all
group_by: [district]
metrics:
  - {name: rows, calc: $calc}
EOF
done
for n in $(seq 1 "$NODES"); do
    mkdir -p "$WORK/node-$n"
    cat >"$WORK/node-$n/reportd.yaml" <<EOF
timezone: UTC
reports: ../reports.d
state: state
plugins: ../plugins
max_concurrent: 4
output: {root: ../out, keep: 100000}
history: {keep: 100000}
datasets:
  things: {format: csv, path: ../data.csv, schema: ../schema.yaml}
cluster: {url: "$url", node: node-$n, lease: ${LEASE}s}
EOF
done
start_node() {
    "$reportd" serve --config "$WORK/node-$1/reportd.yaml" >>"$WORK/node-$1.log" 2>&1 &
    pids[$1]=$!
}
for n in $(seq 1 "$NODES"); do start_node "$n"; done
begin=$(date +%s)
echo "soak: $NODES nodes, $REPORTS reports every ${EVERY}s, lease ${LEASE}s, $DURATION s, a fault every ~${FAULT_EVERY}s (seed $SEED), in $WORK" >&2
RANDOM=$SEED
kills=0
pauses=0
while [ $(($(date +%s) - begin)) -lt "$DURATION" ]; do
    sleep $((FAULT_EVERY / 2 + RANDOM % (FAULT_EVERY + 1)))
    [ $(($(date +%s) - begin)) -ge $((DURATION - 10)) ] && break
    n=$((1 + RANDOM % NODES))
    if [ $((RANDOM % 2)) -eq 0 ]; then
        kill -KILL "${pids[$n]}" 2>/dev/null || true
        wait "${pids[$n]}" 2>/dev/null || true
        kills=$((kills + 1))
        echo "  $(date +%T) SIGKILL node-$n" >&2
        sleep $((1 + RANDOM % 5))
        start_node "$n"
    else
        kill -STOP "${pids[$n]}" 2>/dev/null || true
        pauses=$((pauses + 1))
        echo "  $(date +%T) SIGSTOP node-$n for $((LEASE + 3))s" >&2
        sleep $((LEASE + 3))
        kill -CONT "${pids[$n]}" 2>/dev/null || true
    fi
done
end=$(date +%s)
# Let the last slots finish (takeovers need a lease).
sleep $((LEASE * 2 + 4))
stop_all
pids=()
python3 - "$WORK" "$NODES" "$REPORTS" "$EVERY" "$begin" "$end" "$LEASE" "$kills" "$pauses" <<'PY'
import glob, json, os, re, sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
work, nodes, reports, every, begin, end, lease, kills, pauses = sys.argv[1], *map(int, sys.argv[2:])
# Slots due: every slot from well after the start (the nodes' start-up) to well before the end.
first = (begin + 15) // every * every + every
last = (end - lease - 5) // every * every
due = {(f"r{r}", s) for r in range(1, reports + 1) for s in range(first, last + 1, every)}
def stamp(s):
    return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H%M%S")
published = {(r, s) for (r, s) in due if os.path.exists(f"{work}/out/{r}/{r}_{stamp(s)}.csv")}
successes = Counter()
for path in glob.glob(f"{work}/node-*/state/history/*.jsonl"):
    for line in open(path):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("outcome") == "success":
            successes[(rec["report"], rec["slot"])] += 1
logged = Counter()
for path in glob.glob(f"{work}/node-*.log"):
    for line in open(path, errors="replace"):
        if "report published" in line:
            m = re.search(r"report\.name=(\S+)", line), re.search(r"report\.slot=(\S+)", line)
            if m[0] and m[1]:
                logged[(m[0].group(1), m[1].group(1))] += 1
def iso(s):
    return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
duplicated = sorted(k for k in due if max(successes[(k[0], iso(k[1]))], logged[(k[0], iso(k[1]))]) > 1)
missed = sorted(due - published)
text = "".join(open(p, errors="replace").read() for p in glob.glob(f"{work}/node-*.log"))
print(f"nodes {nodes}, reports {reports}, every {every}s, lease {lease}s, soak {end - begin}s, "
      f"SIGKILLs {kills}, SIGSTOPs {pauses}")
print(f"slots due:        {len(due)}")
print(f"published:        {len(published)}")
print(f"duplicated:       {len(duplicated)}")
print(f"missed:           {len(missed)}")
print(f"lost claims (a paused node's run refused at the gate): {text.count('ran but published nothing')}")
print(f"stale claims noticed (node logs): {text.count('stopped beating past its lease')}")
for r, s in duplicated[:10]:
    print(f"  duplicated {r} {iso(s)}")
for r, s in missed[:10]:
    print(f"  missed {r} {iso(s)}")
sys.exit(1 if duplicated or missed else 0)
PY
