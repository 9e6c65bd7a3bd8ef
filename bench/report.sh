#!/usr/bin/env bash
# Benchmark: damo 3.4.3 vs ours on the same records, in one run.
#
#   bench/report.sh [SNAPSHOTS] [REGIONS]      (default 2500 x 400 = 1M regions)
#
# Two layouts of one record: `compact` (what json.dumps writes without
# indent: python re-dumps a generated record) and `damo` (damo 3.4.3's own
# indent=4 text: damo converts the compact record itself).  On each, every
# record command runs with both tools: report heatmap (raw, stdout, png),
# wss, access (default and temperature-sz-hist), nr_regions, record_info,
# adjust, convert_record_format (json, perf_script) and validate.  Per
# command: damo's wall time (one run) and ours (the median of three), the
# ratio, both peak RSS, whether the outputs are identical (files written
# are compared after inflating; images cannot be), and for the commands
# that only read, ours divided by the floor measured on the same file
# (examples/read_floor.rs: streaming zlib inflate and serde_json
# tokenizing from a slice; on two cores they could overlap, so the floor
# is the larger of the two).  Then ours alone: peak RSS and time from
# 0.25M to 4M regions, and a degenerate record of empty snapshots at 1x
# and 2x.  Needs GNU time (/usr/bin/time), python3, the oracle
# (../shared/tools/damo-oracle, or DAMO_ORACLE) and, for damo's png,
# gnuplot (apt install gnuplot-nox).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ORACLE=${DAMO_ORACLE:-$ROOT/../shared/tools/damo-oracle}
SNAPS=${1:-2500}
REGIONS=${2:-400}
cd "$ROOT"
cargo build --release --quiet --bin damo --example synth_record --example read_floor
DAMO=$ROOT/target/release/damo
SYNTH=$ROOT/target/release/examples/synth_record
FLOOR=$ROOT/target/release/examples/read_floor
W=$(mktemp -d "${TMPDIR:-/tmp}/damo-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

compact() { # IN OUT: the record re-dumped by python's json.dumps, compressed
    python3 - "$1" "$2" <<'PY'
import json, sys, zlib
d = json.loads(zlib.decompress(open(sys.argv[1], 'rb').read()))
open(sys.argv[2], 'wb').write(zlib.compress(json.dumps(d).encode()))
PY
}

"$SYNTH" "$W/gen.data" json_compressed 1 "$SNAPS" "$REGIONS"
compact "$W/gen.data" "$W/compact.data"
"$ORACLE" convert_record_format --format json_compressed \
    --record_file "$W/compact.data" --output_file "$W/damo.data" > /dev/null
rm -f "$W/gen.data"
echo "record: $SNAPS snapshots x $REGIONS regions = $((SNAPS * REGIONS)) regions"
for l in compact damo; do
    echo "  $l layout: $(du -h "$W/$l.data" | cut -f1) compressed," \
        "$(python3 -c "import sys,zlib; print(len(zlib.decompress(open(sys.argv[1],'rb').read())) >> 20)" "$W/$l.data") MiB of JSON"
done

# measure OUT CMD... -> "seconds kib status"
measure() {
    local out=$1 st=0; shift
    /usr/bin/time -f '%e %M' -o "$W/time" "$@" > "$out" 2>/dev/null || st=$?
    echo "$(tail -1 "$W/time") $st"
}

# median3 OUT CMD... -> the run with the median time of three
median3() {
    local out=$1; shift
    { measure "$out" "$@"; measure "$out" "$@"; measure "$out" "$@"; } | sort -n | sed -n 2p
}

inflated() { # FILE -> its bytes, inflated when zlib-compressed
    python3 - "$1" <<'PY'
import sys, zlib
b = open(sys.argv[1], 'rb').read()
try:
    b = zlib.decompress(b)
except zlib.error:
    pass
sys.stdout.buffer.write(b)
PY
}

# kind|arguments: IN and OUT stand for the input and an output file
# kinds: read (stdout compared, floor ratio), text (stdout compared),
# file (the written file compared), image (written, not comparable)
COMMANDS=(
    "read|report heatmap --output raw -i IN"
    "read|report heatmap --output stdout -i IN"
    "image|report heatmap --output OUT.png -i IN"
    "read|report wss -i IN"
    "text|report access -i IN"
    "text|report access --style temperature-sz-hist -i IN"
    "read|report nr_regions --input IN"
    "read|report record_info --input IN"
    "file|adjust --aggregate_interval 1000000 --input IN --output OUT"
    "file|convert_record_format --format json --record_file IN --output_file OUT"
    "file|convert_record_format --format perf_script --record_file IN --output_file OUT"
    "read|validate --input IN"
)

fail=0
row() { printf '%-50s %8s %8s %7s %8s %8s %7s  %s\n' "$@"; }
label() { # the command without its input and output files
    local s=" ${1//--output OUT.png/--output FILE.png}"
    for o in " -i IN" " --input IN" " --record_file IN" " --output_file OUT" " --output OUT"; do
        s=${s//$o/}
    done
    echo "${s# }"
}
for layout in compact damo; do
    in=$W/$layout.data
    read -r inflate tokenize <<< "$("$FLOOR" "$in")"
    floor=$(echo "if ($inflate > $tokenize) $inflate else $tokenize" | bc -l)
    echo
    echo "== $layout layout (floor: inflate ${inflate}s, tokenize ${tokenize}s -> ${floor}s)"
    row command "damo s" "ours s" ratio "damo MB" "ours MB" "/floor" output
    for c in "${COMMANDS[@]}"; do
        kind=${c%%|*}
        spec=${c#*|}
        read -r -a dargs <<< "${spec//IN/$in}"
        read -r -a oargs <<< "${spec//IN/$in}"
        dargs=("${dargs[@]//OUT/$W/damo.out}")
        oargs=("${oargs[@]//OUT/$W/ours.out}")
        rm -f "$W"/damo.out* "$W"/ours.out*
        read -r dt dm ds <<< "$(measure "$W/damo.stdout" "$ORACLE" "${dargs[@]}")"
        read -r ot om os <<< "$(median3 "$W/ours.stdout" "$DAMO" "${oargs[@]}")"
        case $kind in
            read | text) if cmp -s "$W/damo.stdout" "$W/ours.stdout"; then same=identical; else same=DIFFERENT; fi ;;
            file)
                if [ -f "$W/damo.out" ] && cmp -s <(inflated "$W/damo.out") <(inflated "$W/ours.out"); then
                    same=identical
                else
                    same=DIFFERENT
                fi
                ;;
            image) if [ -s "$W/ours.out.png" ]; then same="image (not compared)"; else same="NO IMAGE"; fi ;;
        esac
        [ "$ds" = 0 ] || same="$same; damo failed ($ds)"
        [ "$os" = 0 ] || { same="$same; OURS FAILED ($os)"; fail=1; }
        case $same in DIFFERENT*) fail=1 ;; esac
        ratio=$(echo "$dt / ($ot + 0.001)" | bc -l)
        byfloor=-
        [ "$kind" = read ] && byfloor=$(printf '%.1fx' "$(echo "$ot / $floor" | bc -l)")
        row "$(label "$spec")" "$dt" "$ot" "$(printf '%.1fx' "$ratio")" \
            "$(printf '%.0f' "$(echo "$dm / 1024" | bc -l)")" \
            "$(printf '%.1f' "$(echo "$om / 1024" | bc -l)")" "$byfloor" "$same"
    done
done

# Ours alone: peak RSS flat and time linear from 0.25M to 4M regions.
echo
echo "== ours, from $((SNAPS * REGIONS / 4)) to $((SNAPS * REGIONS * 4)) regions (damo's layout)"
"$SYNTH" "$W/small.data" json_compressed 1 $((SNAPS / 4)) "$REGIONS"
"$SYNTH" "$W/big.data" json_compressed 1 $((SNAPS * 4)) "$REGIONS"
printf '%-30s %10s %10s %8s %8s\n' command "MB 1/4x" "MB 4x" "s 1/4x" "s 4x"
for spec in "report heatmap --output raw -i IN" "report wss -i IN" "report access -i IN" \
    "report nr_regions --input IN" "report record_info --input IN" "validate --input IN"; do
    read -r -a a1 <<< "${spec//IN/$W/small.data}"
    read -r -a a4 <<< "${spec//IN/$W/big.data}"
    read -r t1 m1 _ <<< "$(median3 /dev/null "$DAMO" "${a1[@]}")"
    read -r t4 m4 _ <<< "$(median3 /dev/null "$DAMO" "${a4[@]}")"
    printf '%-30s %10.1f %10.1f %8s %8s\n' "$(label "$spec")" \
        "$(echo "$m1 / 1024" | bc -l)" "$(echo "$m4 / 1024" | bc -l)" "$t1" "$t4"
done
rm -f "$W/small.data" "$W/big.data"

# A degenerate record: many snapshots without regions, 1x and 2x.
EMPTY=$((SNAPS * REGIONS))
"$SYNTH" "$W/e1.data" json_compressed 1 "$EMPTY" 0
"$SYNTH" "$W/e2.data" json_compressed 1 $((EMPTY * 2)) 0
echo
echo "== ours, $EMPTY and $((EMPTY * 2)) empty snapshots"
for spec in "report heatmap --output raw -i IN" "report wss -i IN" "report nr_regions --input IN" \
    "report record_info --input IN"; do
    read -r -a a1 <<< "${spec//IN/$W/e1.data}"
    read -r -a a2 <<< "${spec//IN/$W/e2.data}"
    read -r t1 m1 _ <<< "$(measure /dev/null "$DAMO" "${a1[@]}")"
    read -r t2 m2 _ <<< "$(measure /dev/null "$DAMO" "${a2[@]}")"
    printf '%-30s %8ss %8ss (x%.2f)  %6.1f MB %6.1f MB\n' "$(label "$spec")" "$t1" "$t2" \
        "$(echo "$t2 / ($t1 + 0.001)" | bc -l)" "$(echo "$m1 / 1024" | bc -l)" "$(echo "$m2 / 1024" | bc -l)"
done
exit $fail
