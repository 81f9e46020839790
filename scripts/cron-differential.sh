#!/usr/bin/env bash
# `reportd next` against cronsim on CASES random schedules (default 5000) with SEED (default: a new
# one each run, printed), the longer run of Tests/EndToEndTests/cron_differential.py (CI runs 250
# cases with seed 24). Needs `python3 -m pip install cronsim`.
# Usage: scripts/cron-differential.sh [CASES] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-5000}"
seed="${2:-$RANDOM}"
swift build --product reportd >/dev/null
echo "seed $seed"
exec python3 Tests/EndToEndTests/cron_differential.py --reportd "$(swift build --show-bin-path)/reportd" \
    --cases "$cases" --seed "$seed"
