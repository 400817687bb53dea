#!/usr/bin/env bash
# Builds the five fuzzers (Fuzz/README.md) and runs each for a share of the given seconds (default 60 in
# all), starting from its committed seed corpus. Exits non-zero when a fuzzer finds a crash or a failed
# check; the input is saved as .build-fuzz/artifacts/<Target>/crash-*.
#
#   Fuzz/run.sh [seconds] [target...]      targets: Frames WebSocket Handshake Address SPFrames (default: all)
#
# No input may make any single allocation over 1 MB (-malloc_limit_mb): inputs are at most 9 KB and the
# receive limits 64 KiB, 200 bytes or none, so a bigger one means a size claim was believed.
#
# New inputs a run finds go to .build-fuzz/corpus/<Target> (not committed), which later runs start from too.
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(Frames WebSocket Handshake Address SPFrames)
scratch=.build-fuzz

# libFuzzer's driver is started from the program's main when FUZZING is defined; see Package.swift.
for target in "${targets[@]}"; do
    swift build -c debug --product "Fuzz$target" --scratch-path "$scratch" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -v "Cannot export local symbol" || true
    test -x "$scratch/debug/Fuzz$target" || { echo "build of Fuzz$target failed" >&2; exit 1; }
done

# The longest input each target is given: a few frames (a 200-byte limit makes short inputs reach it), an
# HTTP header past the 8 KiB limit, an address.
max_len() {
    case $1 in
        Frames|WebSocket|SPFrames) echo 8192 ;;
        Handshake) echo 9000 ;;
        Address) echo 512 ;;
    esac
}

share=$(( total / ${#targets[@]} ))
(( share > 0 )) || share=1
status=0
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    echo "== Fuzz$target: $share s"
    # Swift's backtracer would run inside ASan's signal handling; libFuzzer reports the crash itself.
    if ! SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$scratch/debug/Fuzz$target" \
        -max_total_time="$share" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "Fuzz/Corpus/$target" \
        > "$artifacts/log" 2>&1; then
        echo "Fuzz$target FAILED; see $artifacts/log" >&2
        grep -E "ERROR|Fatal error|crash-|SUMMARY" "$artifacts/log" | head -20 >&2 || true
        status=1
    fi
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|INITED|DONE" \
        "$artifacts/log" | tail -6 || true
done
exit $status
