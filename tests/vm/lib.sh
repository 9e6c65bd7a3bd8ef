# Helpers shared by the guest suites (e2e.sh, dbgfs.sh), sourced with
#   . "$(dirname "$0")/lib.sh"; guest_only NAME
# Counts checks in $pass/$fail; `summary NAME` prints them and returns the
# suite's status.
pass=0
fail=0
# guest_only NAME: refuse to run anywhere but the throw-away e2e guest
guest_only() {
    [ "${E2E_GUEST:-}" = 1 ] && grep -q damo-e2e-guest /proc/cmdline || {
        echo "$1: not in the e2e guest; refusing to touch DAMON" >&2
        exit 99
    }
}
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # check DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}
same() { # same DESCRIPTION WANT GOT: the files are equal (else the diff)
    if cmp -s "$2" "$3"; then ok "$1"; else bad "$1"; diff -u "$2" "$3" | head -30; fi
}
poll() { # poll SECONDS COMMAND...: until COMMAND succeeds
    end=$(($(date +%s) + $1))
    shift
    while [ "$(date +%s)" -le $end ]; do
        "$@" && return 0
        sleep 1
    done
    return 1
}
# val FILE: the file's content, nothing if it does not exist.  A kdamond's
# `state` read fails with EBUSY while the kernel holds DAMON's sysfs lock
# (6.12 takes it with a trylock, and kdamonds take it at every aggregation):
# a read that fails on a file that exists is retried for up to 10 s.
val() {
    end=$(($(date +%s) + 10))
    while ! cat "$1" 2>/dev/null; do
        [ -e "$1" ] && [ "$(date +%s)" -le $end ] || return 0
        sleep 0.1 2>/dev/null || sleep 1
    done
}
# dump_tree: the kdamonds sysfs tree as `file: value` lines, minus what
# changes by itself (pids, states, statistics, tried regions)
dump_tree() {
    (cd /sys/kernel/mm/damon/admin/kdamonds && find . -type f | sort |
        grep -vE '/(pid|state|avail_operations|effective_bytes)$|/stats/|/tried_regions/' |
        while read -r f; do echo "$f: $(cat "$f")"; done)
}
# stuck NAME: what the guest is waiting on (a command that timed out)
stuck() {
    echo "    $1 timed out; processes and blocked tasks:"
    ps -o pid,stat,args | grep -v ' ps ' | sed 's/^/    | /'
    for t in /proc/[0-9]*; do
        [ "$(awk '/^State/ {print $2}' "$t/status" 2>/dev/null)" = D ] &&
            echo "    | D $(cat "$t/comm") $(tr '\n' ' ' <"$t/stack" 2>/dev/null | cut -c1-300)"
    done
    dmesg | tail -n 15 | sed 's/^/    | /'
}
or_stuck() { # or_stuck COMMAND...: runs it; shows what blocks if it fails
    "$@" || { stuck "$*"; return 1; }
}
summary() { # summary NAME
    echo "$1: $pass passed, $fail failed"
    [ $fail = 0 ]
}
