#!/usr/bin/env bash
# Replayer speed: `replay --test_perf` touches one byte per 4 KiB page of a
# memory area over and over and prints how much memory it covers per
# second; run for damo 3.4.3 and ours on the same size, in one run, with
# the ratio of the medians, and each one's peak memory (RSS).
#
#   bench/replay.sh [SIZE] [SECONDS]     (default "256 MiB" 5)
#
# damo 3.4.3 runs from a venv (DAMO_VENV, default the oracle's venv;
# `../shared/tools/damo-oracle version` creates it).  Neither touches DAMON.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=${1:-256 MiB}
SECS=${2:-5}
VENV=${DAMO_VENV:-$HOME/.cache/damo-oracle-venv}
cd "$ROOT"
cargo build --release --quiet --bin damo
OURS=$ROOT/target/release/damo
THEIRS=$VENV/bin/damo
[ -x "$THEIRS" ] || { echo "no damo 3.4.3 at $THEIRS (set DAMO_VENV)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

run() { # name cmd -> "median_bytes_per_sec peak_rss_kb"
    local name=$1; shift
    /usr/bin/time -f '%M' -o "$tmp/$name.rss" "$@" replay --test_perf \
        --test_perf_sz_mem "$SIZE" --test_perf_runtime "$SECS" >"$tmp/$name.out" 2>/dev/null
    # "replayer can access 7.477 GiB memory per second" -> bytes
    awk '/replayer can access/ {
            v = $4; u = $5
            m = (u == "KiB") ? 1024 : (u == "MiB") ? 1048576 : (u == "GiB") ? 1073741824 : (u == "TiB") ? 1099511627776 : 1
            print v * m }' "$tmp/$name.out" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}
theirs=$(HOME=$tmp run damo "$THEIRS")
ours=$(run ours "$OURS")
printf 'replay --test_perf, %s for %s s (median of the per-second rates)\n' "$SIZE" "$SECS"
awk -v t="$theirs" -v o="$ours" -v tr="$(cat "$tmp/damo.rss")" -v orr="$(cat "$tmp/ours.rss")" 'BEGIN {
    printf "  damo 3.4.3: %8.2f GiB/s, peak RSS %7.1f MB\n", t / 1073741824, tr / 1024
    printf "  ours:       %8.2f GiB/s, peak RSS %7.1f MB\n", o / 1073741824, orr / 1024
    printf "  ratio:      %8.1fx faster, %.1fx less memory\n", o / t, tr / orr }'
