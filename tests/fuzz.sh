#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer): the record readers, the kdamonds
# JSON/YAML reader, and the option-value parsers with the command-line
# parser (fuzz/fuzz_targets).  Seeds come from tests/fixtures; crashes are
# kept in fuzz/artifacts/<target>/ and fail the run.
#
#   tests/fuzz.sh [SECONDS_PER_TARGET]     (default 30; CI's bounded run)
#
# Installs cargo-fuzz from crates.io when missing.  The stable toolchain
# builds the fuzzers with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly
# flags); no sanitizer is used (the code is safe Rust but for a few
# reviewed blocks), which keeps the build short.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-30}
cd "$ROOT/fuzz"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
build_log=$(mktemp)
cargo fuzz build -O -s none >"$build_log" 2>&1 || { cat "$build_log"; exit 1; }
rm -f "$build_log"
targets=(record_reader kdamonds_reader option_values)
for t in "${targets[@]}"; do mkdir -p "corpus/$t"; done
cp "$ROOT"/tests/fixtures/*.data corpus/record_reader/
# non-ASCII trace text, for the perf_script reader
printf 'k\xc3\xa4damond.0 1 [000] 1.0: damon:damon_aggregated: target_id=0 nr_regions=1 4096-8192\xe2\x82\xac 1 2\n' \
    > corpus/record_reader/non-ascii.txt
cp "$ROOT"/tests/fixtures/kdamonds.json "$ROOT"/tests/fixtures/kdamonds.yaml \
    "$ROOT"/tests/fixtures/schemes.json corpus/kdamonds_reader/
printf '4 KiB' > corpus/option_values/size
printf '1 m 3.5 s' > corpus/option_values/time
printf '50%%' > corpus/option_values/percent
printf 'report\0heatmap\0--resol\00010\0--time_range\0-3 s\0' > corpus/option_values/argv
fail=0
for t in "${targets[@]}"; do
    log=$(mktemp)
    dict=()
    [ "$t" = record_reader ] && dict=(-dict="$ROOT/fuzz/record.dict")
    if cargo fuzz run -O -s none "$t" "corpus/$t" -- -max_total_time="$SECS" \
            -rss_limit_mb=2048 -max_len=65536 -timeout=20 "${dict[@]}" >"$log" 2>&1; then
        echo "fuzz $t: $(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1), no crash"
    else
        fail=1
        echo "fuzz $t: FAILED"
        grep -E 'panicked|ERROR|SUMMARY|Test unit written|deadly' "$log" | head -8 | sed 's/^/    /'
    fi
    rm -f "$log"
done
exit $fail
