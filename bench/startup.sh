#!/usr/bin/env bash
# Start-up time: median wall time of `damo version` and of an
# `args damon` call (options -> kdamonds JSON; no root, no sysfs), for
# damo 3.4.3 and ours, in one run, with the ratio.
#
#   bench/startup.sh [RUNS]        (default 30)
#
# damo 3.4.3 is run from a venv (DAMO_VENV, default the oracle's venv
# ~/.cache/damo-oracle-venv; `../shared/tools/damo-oracle version` creates it),
# all under ../shared/tools/masked.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# damo 3.4.3 probes DAMON's sysfs for features even for `args damon`: run
# everything with the host's DAMON hidden (one namespace for all runs, so
# the masking costs nothing per call).
MASKED=${DAMO_MASKED:-$ROOT/../shared/tools/masked}
if [ -z "${STARTUP_BENCH_MASKED:-}" ]; then
    [ -x "$MASKED" ] || { echo "need $MASKED (or DAMO_MASKED) to hide the host's DAMON" >&2; exit 1; }
    STARTUP_BENCH_MASKED=1 exec "$MASKED" "$0" "$@"
fi
RUNS=${1:-30}
VENV=${DAMO_VENV:-$HOME/.cache/damo-oracle-venv}
cd "$ROOT"
cargo build --release --quiet --bin damo
OURS=$ROOT/target/release/damo
THEIRS=$VENV/bin/damo
[ -x "$THEIRS" ] || { echo "no damo 3.4.3 at $THEIRS (set DAMO_VENV)" >&2; exit 1; }

# median_ms CMD... : median wall time of RUNS runs, in ms (3 decimals)
median_ms() {
    local t=()
    for _ in $(seq "$RUNS"); do
        local a b
        a=$(date +%s%N)
        "$@" >/dev/null 2>&1
        b=$(date +%s%N)
        t+=($((b - a)))
    done
    printf '%s\n' "${t[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.3f\n", v[int((NR+1)/2)] / 1e6}'
}

ARGS=(args damon 1234 --damos_action pageout --damos_access_rate 0% 0% --damos_age 60s max --damos_quotas 100ms 1G 1s)
printf '%-16s %12s %12s %8s\n' command "damo 3.4.3" ours ratio
for name in version args_damon; do
    if [ $name = version ]; then set -- version; else set -- "${ARGS[@]}"; fi
    cmp <("$THEIRS" "$@" 2>/dev/null) <("$OURS" "$@") >/dev/null || { echo "outputs differ for $name" >&2; exit 1; }
    th=$(median_ms "$THEIRS" "$@")
    us=$(median_ms "$OURS" "$@")
    printf '%-16s %9s ms %9s ms %7.0fx\n' "$name" "$th" "$us" "$(echo "$th / $us" | bc -l)"
done
