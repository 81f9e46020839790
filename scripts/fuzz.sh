#!/usr/bin/env bash
# Fuzzes reportd's parsers with libFuzzer: builds the fuzz targets with -sanitize=fuzzer,address
# (and -DFUZZING, which gives them libFuzzer's driver) in their own scratch folder, then runs each
# for SECONDS (default 60). Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# Targets: config filter schedule csv (all by default). Seeds are read from Tests/Fuzz/TARGET/
# (with the dictionary Tests/Fuzz/TARGET.dict) and never written to; new inputs go to
# .build-fuzz/corpus/TARGET/, crashing inputs to .build-fuzz/artifacts/TARGET/. Copy a crashing
# input into Tests/Fuzz/TARGET/ with its fix, so the corpus test (FuzzCorpusTests) replays it
# from then on.
# FUZZ_SEED=N fixes libFuzzer's random seed (CI does, so that a run repeats the last one's inputs).
# FUZZ_TIMEOUT (seconds, default 3) and FUZZ_RSS_MB (default 1024) bound each input's time and memory.
# Prints, per target, the executions, executions per second, time, corpus size and crashes;
# exits 1 when any target crashed or broke an invariant.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config filter schedule csv)
scratch=.build-fuzz
# Linked by lld: SwiftPM defines `main` as the target's own entry point (--defsym), which lld lets
# replace libFuzzer's `main` while gold stops at the duplicate (with an internal error).
flags=(--scratch-path "$scratch" -Xswiftc "-sanitize=fuzzer,address" -Xswiftc -DFUZZING
    -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)

build_start=$(date +%s)
mkdir -p "$scratch/logs"
for target in "${targets[@]}"; do
    echo "building fuzz-$target"
    if ! swift build --product "fuzz-$target" "${flags[@]}" >"$scratch/logs/build-$target.log" 2>&1; then
        grep -E "error:" "$scratch/logs/build-$target.log" | head -20
        echo "fuzz-$target: build failed (log: $scratch/logs/build-$target.log)"
        exit 1
    fi
done
bin=$(swift build "${flags[@]}" --show-bin-path)
echo "built in $(( $(date +%s) - build_start )) s"

# The Swift runtime keeps caches that LeakSanitizer would report as leaks at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# Swift's backtracer, run on a crash, reads memory that AddressSanitizer then reports as a second,
# unrelated error; libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
summary=()
failed=0
for target in "${targets[@]}"; do
    work="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    log="$scratch/logs/fuzz-$target.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    echo "fuzzing fuzz-$target for ${seconds}s (log: $log)"
    start=$(date +%s)
    status=0
    # Time and memory are bounded, not only crashes: an input of at most 4 KiB that takes more
    # than 3 s (with AddressSanitizer's slowdown) or more than 1 GiB (an alias bomb, a quadratic
    # header check) is a finding, written to the artifacts like a crash.
    "$bin/fuzz-$target" -max_total_time="$seconds" -print_final_stats=1 -timeout="${FUZZ_TIMEOUT:-3}" \
        -rss_limit_mb="${FUZZ_RSS_MB:-1024}" -malloc_limit_mb="${FUZZ_RSS_MB:-1024}" \
        -max_len=4096 -dict="Tests/Fuzz/$target.dict" -artifact_prefix="$artifacts/" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
        "$work" "Tests/Fuzz/$target" >"$log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - start ))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | sed 's/corp: //')
    seeds=$(find "Tests/Fuzz/$target" -type f | wc -l)
    crashes=$(find "$artifacts" -type f -newermt "@$start" | wc -l)
    line="fuzz-$target: ${runs:-?} executions, ${rate:-?} exec/s, ${elapsed} s, corpus ${corpus:-?} (seeds $seeds), crashes $crashes"
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        failed=1
        line+=" FAILED (exit $status)"
        grep -E "ERROR|invariant broken|Fatal error|SUMMARY|Test unit written" "$log" | head -20 || true
    fi
    echo "$line"
    summary+=("$line")
done
echo
echo "summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit $failed
