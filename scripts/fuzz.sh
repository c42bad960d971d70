#!/usr/bin/env bash
# Builds circuitry's libFuzzer targets (the Fuzz/ package) and runs each for a while.
#
#   scripts/fuzz.sh [seconds per target] [target …]
#
# Targets: FuzzSafetensors (safetensors header parser), FuzzPrompts (JSONL prompt reader), FuzzHypothesis
# (hypothesis reader: text, circuit JSON, DOT), FuzzState (ACDC state reader and its checks). Default: all four, 60 s
# each. Seeds come from Fuzz/Corpus/<target>; what libFuzzer learns is kept in Fuzz/.build/corpus/<target> and crash
# inputs land in Fuzz/.build/crashes/. Exits non-zero when a target crashes (reproduce with
# `Fuzz/.build/release/<target> <crash file>`).
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzSafetensors FuzzPrompts FuzzHypothesis FuzzState); fi

# libFuzzer and AddressSanitizer instrument the code; lld links SwiftPM's renamed main with libFuzzer's driver.
flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
for target in "${targets[@]}"; do
    swift build "${flags[@]}" --product "$target" 2>&1 | grep -v "warning: Cannot export local symbol" >&2
done

mkdir -p .build/crashes
status=0
for target in "${targets[@]}"; do
    mkdir -p ".build/corpus/$target"
    echo "== $target: ${seconds} s" >&2
    # Swift's own crash reporter would hold a crashing input for half a minute; libFuzzer reports it.
    if ! SWIFT_BACKTRACE=enable=no ".build/release/$target" -max_total_time="$seconds" -rss_limit_mb=4096 \
        -timeout=20 -max_len=65536 -dict=fuzz.dict -print_final_stats=1 \
        -artifact_prefix=".build/crashes/$target-" ".build/corpus/$target" "Corpus/$target"; then
        echo "== $target: FAILED (see Fuzz/.build/crashes/)" >&2
        status=1
    fi
done
exit $status
