#!/usr/bin/env bash
# Benchmark: damo 3.4.3 vs ours on the same generated record, in one run.
#
#   bench/report.sh [SNAPSHOTS] [REGIONS]      (default 2500 x 400 = 1M regions)
#
# Generates a json_compressed record, runs `report heatmap --output raw`,
# `report access` (default style and temperature-sz-hist),
# `report wss` and `adjust --aggregate_interval` with both tools, checks the
# outputs are identical, and prints
# wall time and peak RSS of each plus the ratios (ours: the median of three
# runs; damo: one run, it takes half a minute).  Then checks that our peak
# RSS does not grow when the record grows 4x.  Needs GNU time (/usr/bin/time)
# and the oracle (../shared/tools/damo-oracle, or DAMO_ORACLE).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ORACLE=${DAMO_ORACLE:-$ROOT/../shared/tools/damo-oracle}
SNAPS=${1:-2500}
REGIONS=${2:-400}
cd "$ROOT"
cargo build --release --quiet --bin damo --example synth_record
DAMO=$ROOT/target/release/damo
SYNTH=$ROOT/target/release/examples/synth_record
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT

"$SYNTH" "$W/damon.data" json_compressed 1 "$SNAPS" "$REGIONS"
"$SYNTH" "$W/damon4x.data" json_compressed 1 $((SNAPS * 4)) "$REGIONS"
echo "record: $SNAPS snapshots x $REGIONS regions = $((SNAPS * REGIONS)) regions, $(du -h "$W/damon.data" | cut -f1) compressed"

# measure OUT CMD... -> prints "seconds kib"
measure() {
    local out=$1; shift
    /usr/bin/time -f '%e %M' -o "$W/time" "$@" > "$out" 2>/dev/null
    cat "$W/time"
}

# median3 OUT CMD... -> the run with the median time of three ("seconds kib")
median3() {
    local out=$1; shift
    { measure "$out" "$@"; measure "$out" "$@"; measure "$out" "$@"; } | sort -n | sed -n 2p
}

fail=0
printf '%-36s %10s %10s %10s %10s %8s %8s\n' report "damo s" "ours s" "damo MB" "ours MB" "speedup" "mem x"
for report in "heatmap --output raw" "wss" "access" "access --style temperature-sz-hist"; do
    read -r -a args <<< "report $report -i $W/damon.data"
    read -r dt dm <<< "$(measure "$W/damo.out" "$ORACLE" "${args[@]}")"
    read -r ot om <<< "$(median3 "$W/ours.out" "$DAMO" "${args[@]}")"
    same=identical
    cmp -s "$W/damo.out" "$W/ours.out" || { same=DIFFERENT; fail=1; }
    printf '%-36s %10s %10s %10.1f %10.1f %8.1f %8.1f  %s\n' "$report" "$dt" "$ot" \
        "$(echo "$dm / 1024" | bc -l)" "$(echo "$om / 1024" | bc -l)" \
        "$(echo "$dt / ($ot + 0.001)" | bc -l)" "$(echo "$dm / $om" | bc -l)" "$same"
done

# adjust writes a record: compare the inflated texts of both outputs.
inflated_same() {
    python3 - "$1" "$2" <<'PY'
import sys, zlib
a, b = (zlib.decompress(open(p, 'rb').read()) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
PY
}
args=(adjust -i "$W/damon.data" --aggregate_interval 1000000)
read -r dt dm <<< "$(measure /dev/null "$ORACLE" "${args[@]}" -o "$W/damo.adjusted")"
read -r ot om <<< "$(median3 /dev/null "$DAMO" "${args[@]}" -o "$W/ours.adjusted")"
same=identical
inflated_same "$W/damo.adjusted" "$W/ours.adjusted" || { same=DIFFERENT; fail=1; }
printf '%-36s %10s %10s %10.1f %10.1f %8.1f %8.1f  %s\n' "adjust --aggregate_interval" "$dt" "$ot" \
    "$(echo "$dm / 1024" | bc -l)" "$(echo "$om / 1024" | bc -l)" \
    "$(echo "$dt / ($ot + 0.001)" | bc -l)" "$(echo "$dm / $om" | bc -l)" "$same"

for report in "heatmap --output raw" "wss" "access" "access --style temperature-sz-hist"; do
    read -r -a a1 <<< "report $report -i $W/damon.data"
    read -r -a a4 <<< "report $report -i $W/damon4x.data"
    read -r t1 m1 <<< "$(median3 /dev/null "$DAMO" "${a1[@]}")"
    read -r t4 m4 <<< "$(median3 /dev/null "$DAMO" "${a4[@]}")"
    printf 'ours, record x4, %-20s peak RSS %6.1f MB -> %6.1f MB, time %ss -> %ss\n' "$report" \
        "$(echo "$m1 / 1024" | bc -l)" "$(echo "$m4 / 1024" | bc -l)" "$t1" "$t4"
done
exit $fail
