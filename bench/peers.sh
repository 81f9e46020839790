#!/usr/bin/env bash
# Side-by-side benchmark of issue 5: reportd against polars, DuckDB, pandas and Miller on the
# same five reports, with a check that every tool gives reportd's answers. See bench/README.md.
#
#   bench/peers.sh                          # 1M, 10M and 50M rows, 3 runs each, + 100 reports at 10M
#   ROWS=1000000,10000000 bench/peers.sh    # without the 50M point (a 9 GB CSV, ~15 min to make)
#   ROWS=1000000 RUNS=5 MANY=0 bench/peers.sh   # other sizes / run counts, no many-reports run
#   TOOLS=reportd,polars bench/peers.sh     # a subset of the tools
#
# Installs missing peers (pip install polars pandas duckdb; apt-get install -y miller), builds
# reportd (swift build -c release --scratch-path .build-bench; SCRATCH=… overrides), generates
# the data into bench/data/ (cached) and works in bench/work/. Exit status 1 if any answer differs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/compare.py "$@"
