#!/usr/bin/env bash
# Runs the libFuzzer targets built by fuzz/fuzz.mk, one after the other
# (README, "Hostile input"); `make fuzz` and `make fuzz-merge` call it.
#
#   run.sh run SRCDIR OUT [NAME...]    fuzzes each target for FUZZ_SECONDS
#                                      (default 60) seconds
#   run.sh merge SRCDIR OUT [NAME...]  adds the inputs of earlier runs that
#                                      reach new code to the seed corpus
#
# NAMEs default to every target built in OUT (fuzz_<name>).  A run reads
# the seed corpus SRCDIR/fuzz/corpus/<name> and keeps what it finds in
# OUT/corpus/<name>; the seed corpus changes only by a merge.  A crash, a
# leak, undefined behaviour or a failed invariant stops that target: its
# input is saved as OUT/findings/<name>-*, and the run fails.  Each run's
# output is OUT/logs/<name>.log; one summary line per target shows the
# inputs executed and libFuzzer's coverage (cov: edges, ft: features).
set -euo pipefail

mode=$1 srcdir=$2 out=$3
shift 3
seconds=${FUZZ_SECONDS:-60}

# The longest input each target is given: a request head, a query or an
# identifier is short; bodies are longer.
max_len() {
    case $1 in
    route | query) echo 1024 ;;
    log_identifier) echo 512 ;;
    task_update) echo 2048 ;;
    *) echo 4096 ;;
    esac
}

# libFuzzer's options for target $1 (JSON body targets get the keys and
# values of the API as a dictionary).
options() {
    local opts=(-max_len="$(max_len "$1")")
    case $1 in
    json_body | job_submit | job_update | task_update)
        opts+=(-dict="$srcdir/fuzz/json.dict") ;;
    esac
    printf '%s\n' "${opts[@]}"
}

# "<runs> runs, cov <n>, ft <n>" from a run's log: libFuzzer's final
# statistics and its last status line.
summary() {
    local runs cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$1" | tail -1 \
          | sed 's/cov: \([0-9]*\) ft: \([0-9]*\)/cov \1, ft \2/')
    echo "${runs:-?} runs, ${cov:-no coverage line}"
}

fuzz_one() {
    local name=$1 log=$out/logs/$1.log
    mkdir -p "$out/corpus/$name" "$out/findings" "$out/logs"
    mapfile -t opts < <(options "$name")
    if "$out/fuzz_$name" "${opts[@]}" -max_total_time="$seconds" \
        -print_final_stats=1 -artifact_prefix="$out/findings/$name-" \
        "$out/corpus/$name" "$srcdir/fuzz/corpus/$name" >"$log" 2>&1; then
        echo "fuzz: $name: $(summary "$log") in ${seconds}s"
        return 0
    fi
    echo "fuzz: $name: FAILED after $(summary "$log"); see $log" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*invariant failed)' \
        "$log" | head -5 >&2 || true
    return 1
}

merge_one() {
    local name=$1
    mapfile -t opts < <(options "$name")
    mkdir -p "$out/corpus/$name" "$out/logs"
    "$out/fuzz_$name" "${opts[@]}" -merge=1 "$srcdir/fuzz/corpus/$name" \
        "$out/corpus/$name" >"$out/logs/$name-merge.log" 2>&1
    echo "fuzz-merge: $name: $(grep -o '[0-9]* new files.*' \
        "$out/logs/$name-merge.log" | tail -1)"
}

names=("$@")
if (( ${#names[@]} == 0 )); then
    for binary in "$out"/fuzz_*; do
        names+=("${binary##*/fuzz_}")
    done
fi
failed=0
for name in "${names[@]}"; do
    case $mode in
    run) fuzz_one "$name" || failed=1 ;;
    merge) merge_one "$name" ;;
    *) echo "run.sh: unknown mode $mode" >&2; exit 2 ;;
    esac
done
exit $failed
