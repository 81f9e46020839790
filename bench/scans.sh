#!/usr/bin/env bash
# The CSV read's byte scans measured alone (issue 20): the UTF-8 check (bytewise, DFA, vector),
# the quote count, the record splitter and the fingerprint hash at each vector level the CPU has,
# in CPU time of one thread over a CSV file held in memory. Compiles the reader's own sources (UTF8Check from
# DataSources/CSV/StringInterner.swift, Sources/CCSVScan) with the release optimisation levels.
#
#   bench/scans.sh [FILE.csv] [RUNS]     (default: bench/data/projects-1000000.csv, 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
file=${1:-$root/bench/data/projects-1000000.csv}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang -O2 -c "$root/Sources/CCSVScan/CSVScan.c" -I "$root/Sources/CCSVScan/include" -o "$work/scan.o"
clang -O2 -c "$root/Sources/CCSVScan/CSVBatch.c" -I "$root/Sources/CCSVScan/include" -o "$work/batch.o"
clang -O2 -c "$root/Sources/CCSVScan/Fingerprint.c" -I "$root/Sources/CCSVScan/include" -o "$work/fingerprint.o"
# UTF8Check is the last declaration of its file: from its doc comment to the end.
sed -n '/^\/\/\/ UTF-8 validation of a whole buffer/,$p' "$root/DataSources/CSV/StringInterner.swift" >"$work/utf8.swift"
swiftc -O -import-objc-header "$root/Sources/CCSVScan/include/CCSVScan.h" \
    "$root/bench/scans/main.swift" "$work/utf8.swift" "$work/scan.o" "$work/batch.o" "$work/fingerprint.o" -o "$work/scans"
"$work/scans" "$file" "$runs"
