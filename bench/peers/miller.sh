#!/usr/bin/env bash
# The five benchmark reports with Miller (mlr 6): bench/peers/miller.sh DATA.csv OUTDIR
#
# One mlr process per report, one after the other: stats1 has no way to fan one read out to five
# verb chains, and the DSL of mlr 6.6 has no percentile function. mlr already keeps both cores
# busy (its reader, parser and writer are goroutines); MILLER_PARALLEL=1 starts the five at once,
# which measured no faster on 2 cores, needs five times the memory (each mlr peaks at about
# 1.6 GB on 1,000,000 rows), and hides that memory from the benchmark's peak-RSS figure (wait4
# reports the largest child, not the sum). Percentiles and median are interpolated
# (-i: linear between closest ranks, R's type 7). Each writes OUTDIR/NAME.csv with the same
# columns as reportd's CSV output. See bench/README.md.
# `then` chains Miller verbs (SC1010), '$field' is Miller's DSL (SC2016), commas list fields (SC2054).
# shellcheck disable=SC1010,SC2016,SC2054
set -euo pipefail
src=$1
out=$2
mkdir -p "$out"
sums=(stats1 -a count,sum -f state_support_vnd,counterpart_vnd)
# stats1 count skips empty cells; state_support_vnd is never empty, so its count is the row count
rename_sums=(then cut -o -f "GROUP,state_support_vnd_count,state_support_vnd_sum,counterpart_vnd_sum"
             then rename "state_support_vnd_count,projects,state_support_vnd_sum,state_support_vnd,counterpart_vnd_sum,counterpart_vnd")

report() {
    local name=$1
    shift
    mlr --icsv --ocsv "$@" "$src" > "$out/$name.csv"
}

by_program() {
    report by-program "${sums[@]}" -g program "${rename_sums[@]/GROUP/program}"
}
by_year_program() {
    report by-year-program "${sums[@]}" -g year,program "${rename_sums[@]/GROUP/year,program}"
}
by_district() {
    report by-district stats1 -i -a count,sum,mean,median,p90 -f state_support_vnd -g district \
        then rename "state_support_vnd_count,projects,state_support_vnd_sum,state_support_vnd" \
        then rename "state_support_vnd_mean,mean_support_vnd,state_support_vnd_median,median_support_vnd" \
        then rename "state_support_vnd_p90,p90_support_vnd"
}
by_activity() {
    report by-activity stats1 -a sum -f state_support_vnd,counterpart_vnd -g activity \
        then rename "state_support_vnd_sum,state_support_vnd,counterpart_vnd_sum,counterpart_vnd" \
        then put '$counterpart_per_state = float($counterpart_vnd) / float($state_support_vnd)'
}
completed_since_2021() {
    report completed-since-2021 filter '$year >= 2021 && $status == "completed"' \
        then "${sums[@]}" -g beneficiary_type "${rename_sums[@]/GROUP/beneficiary_type}"
}

reports=(by_program by_year_program by_district by_activity completed_since_2021)
if [ "${MILLER_PARALLEL:-0}" = 0 ]; then
    for r in "${reports[@]}"; do "$r"; done
else
    pids=()
    for r in "${reports[@]}"; do
        "$r" &
        pids+=("$!")
    done
    status=0
    for pid in "${pids[@]}"; do wait "$pid" || status=1; done
    exit "$status"
fi
