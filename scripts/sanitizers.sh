#!/usr/bin/env bash
# Runs the test suite under ThreadSanitizer and AddressSanitizer, each in its own scratch folder
# (.build-tsan, .build-asan; the end-to-end tests then run a sanitized reportd too).
# Usage: scripts/sanitizers.sh [thread] [address]   (both by default)
# Prints pass or fail and the time of each; exits 1 when either fails. Logs: .build-SAN/sanitizer.log
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(thread address)
summary=()
failed=0
for sanitizer in "${sanitizers[@]}"; do
    case $sanitizer in
        thread) scratch=.build-tsan ;;
        address) scratch=.build-asan ;;
        *) echo "unknown sanitizer '$sanitizer' (thread or address)"; exit 2 ;;
    esac
    mkdir -p "$scratch"
    log="$scratch/sanitizer.log"
    echo "swift test --sanitize=$sanitizer (log: $log)"
    start=$(date +%s)
    # LeakSanitizer (part of ASan) reports the Swift runtime's and the test runner's caches as
    # leaks at exit; TSan and ASan stop nothing by themselves, so a report fails the exit status.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0} \
        swift test --sanitize="$sanitizer" --scratch-path "$scratch" >"$log" 2>&1
    status=$?
    elapsed=$(( $(date +%s) - start ))
    reports=$(grep -cE "^(WARNING: ThreadSanitizer|==[0-9]+==ERROR: AddressSanitizer)" "$log")
    tests=$(grep -oE "Test run with [0-9]+ tests? (in [0-9]+ suites? )?(passed|failed).*" "$log" | tail -1)
    if [ "$status" -eq 0 ] && [ "$reports" -eq 0 ]; then
        line="$sanitizer: pass in ${elapsed} s (${tests:-no summary})"
    else
        failed=1
        line="$sanitizer: FAIL (exit $status, $reports sanitizer reports) in ${elapsed} s (${tests:-no summary})"
        grep -E "SUMMARY: |✘|error:" "$log" | head -20
    fi
    echo "$line"
    summary+=("$line")
done
echo
printf '%s\n' "${summary[@]}"
exit $failed
