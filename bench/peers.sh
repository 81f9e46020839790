#!/usr/bin/env bash
# Side-by-side benchmark of issue 5: reportd against polars, DuckDB, pandas and Miller on the
# same five reports, with a check that every tool gives reportd's answers. See bench/README.md.
#
#   bench/peers.sh                          # 1,000,000 and 10,000,000 rows, 3 runs each
#   ROWS=1000000 RUNS=5 bench/peers.sh      # other sizes / run counts
#   TOOLS=reportd,polars bench/peers.sh     # a subset of the tools
#
# Installs missing peers (pip install polars pandas duckdb; apt-get install -y miller), builds
# reportd (swift build -c release --scratch-path .build-bench; SCRATCH=… overrides), generates
# the data into bench/data/ (cached) and works in bench/work/. Exit status 1 if any answer differs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/compare.py "$@"
