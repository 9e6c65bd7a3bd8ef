#!/bin/sh
# `tune` with every knob the guest kernel has, INSIDE the QEMU guest, in a
# boot of its own: damo 3.4.3 (DAMO_VENV) and ours (DAMO) in turn start a
# stat scheme on a workload, tune it with every scheme and monitoring knob
# `damo features` finds, and stop; the whole DAMON tree each leaves after
# `tune` must be the same.  Every step runs in the background with a
# deadline (STEP_SECS, default 120), so a write the kernel blocks is
# reported, with the blocked tasks and the kernel's log, instead of
# hanging the suite (issue 16: a guest once blocked after this scenario
# when it ran at the end of e2e.sh; alone, in a fresh boot, it has not).
# Usage (host): tests/vm/run.sh -e DAMO=... -e DAMO_VENV=... -- tests/vm/tune.sh
. "$(dirname "$0")/lib.sh"
guest_only tune.sh
exec </dev/null
DAMO=${DAMO:?set DAMO to our binary}
WL=${WORKLOAD:-$HOME/.cache/damo-e2e/bin/workload}
export HOME=/tmp/tune-home
mkdir -p "$HOME"
MS=/sys/module/damon_stat/parameters
[ "$(cat $MS/enabled 2>/dev/null)" = Y ] && echo N >$MS/enabled
"$WL" 200 10 0 >/tmp/wl.out &
PID=$!
poll 60 grep -q pid /tmp/wl.out
"$DAMO" features >/tmp/knob.features 2>/dev/null
has() { grep -q "^sysfs/$1: Supported" /tmp/knob.features; }
knobs="--monitoring_intervals 10ms 200ms 2s --monitoring_nr_regions_range 20 2000
    --damos_action pageout --damos_access_rate 0% 0% --damos_sz_region 4K max
    --damos_age 1s max --damos_quotas 100ms 64M 1s 1 2 3
    --damos_wmarks free_mem_rate 1s 900 800 50"
has schemes_filters && knobs="$knobs --damos_filter reject anon"
has schemes_apply_interval && knobs="$knobs --damos_apply_interval 1s"
has schemes_quota_goals && knobs="$knobs --damos_quota_goal some_mem_psi_us 1000"
has damos_quota_goal_tuner && knobs="$knobs --damos_quota_goal_tuner temporal"
has damos_quota_fail_charge_ratio && knobs="$knobs --damos_quota_fail_charge_ratio 1 4"
has damos_max_nr_snapshots && knobs="$knobs --damos_max_nr_snapshots 7"
has intervals_goal && knobs="$knobs --monitoring_intervals_goal 4% 3 5ms 10s"
has refresh_ms && knobs="$knobs --refresh_stat 1000"
echo "    kernel $(uname -r); tune knobs: $(echo $knobs)"
blocked=
# step NAME COMMAND...: runs COMMAND in the background within the deadline
step() {
    sname=$1
    shift
    "$@" >/tmp/step.out 2>&1 &
    sp=$!
    gone() { ! kill -0 "$sp" 2>/dev/null; }
    if ! poll "${STEP_SECS:-120}" gone; then
        bad "$sname: still blocked after ${STEP_SECS:-120} s"
        for t in /proc/[0-9]*; do
            [ "$(awk '/^State/ {print $2}' "$t/status" 2>/dev/null)" = D ] &&
                echo "    | D $(cat "$t/comm"): $(tr '\n' ' ' <"$t/stack" 2>/dev/null | cut -c1-400)"
        done
        dmesg | grep -iE "hung|blocked|damon" | tail -20 | sed 's/^/    | /'
        blocked=1
        return 1
    fi
    wait "$sp"
    src=$?
    [ $src = 0 ] || { echo "    $sname failed ($src):"; sed 's/^/    | /' /tmp/step.out; }
    return $src
}
dump() { # dump_tree, minus what intervals auto-tuning rewrites
    dump_tree | { if has intervals_goal; then grep -vE '/intervals/(sample|aggr)_us: '; else cat; fi; }
}
for name in damo ours; do
    case $name in
        damo) T=$DAMO_VENV/bin/damo ;;
        ours) T=$DAMO ;;
    esac
    [ -z "$blocked" ] || break
    check "$name: start" step "$name start" "$T" start "$PID" --damos_action stat || continue
    # shellcheck disable=SC2086
    check "$name: tune with every knob" step "$name tune" "$T" tune "$PID" $knobs
    [ -z "$blocked" ] || break
    sleep 2
    dump >"/tmp/tuned.$name"
    check "$name: stop" step "$name stop" "$T" stop
done
if [ -z "$blocked" ]; then
    if diff /tmp/tuned.damo /tmp/tuned.ours >/tmp/tuned.diff; then
        ok "tune with every knob: the same tree as damo 3.4.3 ($(wc -l </tmp/tuned.ours) files)"
    else
        bad "tune with every knob: trees differ (damo 3.4.3 <, ours >)"
        sed 's/^/    /' /tmp/tuned.diff | head -40
    fi
    check "start again after both" step "start again" "$DAMO" start "$PID" --damos_action stat
    check "stop again" step "stop again" "$DAMO" stop
fi
kill "$PID" 2>/dev/null
summary tune
