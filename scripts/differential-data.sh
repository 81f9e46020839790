#!/usr/bin/env bash
# The long run of the dataset differential test (issue 24): the reader and whole reports on text
# mixing NFC and NFD spellings, quoted fields, line breaks, bad quotes and bad rows, against DuckDB,
# Python's csv module and the SPEC's resync rule written in Python
# (Tests/EndToEndTests/differential_text.py; CI runs its 60 cases with seed 24).
# Usage: scripts/differential-data.sh [CASES] [SEED]     (default 1000 cases, seed 2024)
# REPORTD=path uses that binary; otherwise the release binary is built (swift build -c release).
# Needs python3 with duckdb (python3 -m pip install duckdb). Exit status 1 on any disagreement.
set -euo pipefail
cd "$(dirname "$0")/.."

cases=${1:-1000}
seed=${2:-2024}
reportd=${REPORTD:-}
if [ -z "$reportd" ]; then
    swift build -c release --product reportd
    reportd="$(swift build -c release --show-bin-path)/reportd"
fi
workdir=$(mktemp -d "${TMPDIR:-/tmp}/reportd-differential-data.XXXXXX")
if python3 Tests/EndToEndTests/differential_text.py --reportd "$reportd" --workdir "$workdir" \
    --cases "$cases" --seed "$seed"; then
    rm -rf "$workdir"
else
    echo "files kept in $workdir" >&2
    exit 1
fi
