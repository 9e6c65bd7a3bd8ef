#!/bin/sh
# The DAMON debugfs scenarios, run INSIDE the QEMU guest on the 6.1 kernel
# that has both DAMON interfaces (tests/vm/kernels/6.1-damon-dbgfs):
#   sysfs DAMON hidden under a tmpfs, so that `auto` falls back to debugfs;
#   start/report damon/stop through debugfs (a pid, paddr with regions, a
#   scheme with quotas and watermarks, custom intervals with two schemes):
#   the same writes in the same order as damo 3.4.3 (both traced with
#   strace, start and stop; damo's are printed for tests/dbgfs-traces),
#   every debugfs file the same as damo 3.4.3 leaves after the same command, its `report damon` the same
#   but for the differences docs/compat.md lists; refusals that write
#   nothing; record through debugfs and a report of the record; then
#   `--damon_interface_DEPRECATED debugfs` with sysfs visible, and sysfs on
#   6.1 (its old feature set) against the tree damo 3.4.3 leaves.
# Usage (host): DAMO_E2E_KERNEL=6.1-damon-dbgfs tests/vm/run.sh \
#     -e DAMO=$PWD/target/release/damo [-e DAMO_VENV=<venv with damo 3.4.3>] \
#     -- tests/vm/dbgfs.sh
# Refuses to run outside the guest.
. "$(dirname "$0")/lib.sh"
guest_only dbgfs.sh
# nothing here reads the console: a question (damo 3.4.3 asks before
# disabling a DAMON module) gets the end of input instead of blocking
exec </dev/null
DAMO=${DAMO:?set DAMO to our binary}
WL=${WORKLOAD:-$HOME/.cache/damo-e2e/bin/workload}
DAMO3=
[ -n "${DAMO_VENV:-}" ] && [ -x "$DAMO_VENV/bin/damo" ] && DAMO3=$DAMO_VENV/bin/damo
export HOME=/tmp/home
mkdir -p $HOME
D=/sys/kernel/debug/damon
# the debugfs files, minus what differs from run to run (the kdamond's pid,
# scheme statistics); init_regions cannot be read while monitoring is on
files() {
    for f in attrs target_ids schemes monitor_on; do
        printf '%s: ' $f
        if [ $f = schemes ]; then
            awk '{ NF = NF - 5; print }' $D/$f | tr '\n' '|'
        else
            tr '\n' '|' <$D/$f
        fi
        echo
    done
    [ "$(cat $D/monitor_on)" = off ] && echo "init_regions: $(tr '\n' '|' <$D/init_regions)"
}
off() { [ "$(cat $D/monitor_on)" = off ]; }
# report damon minus what changes by itself (the pid, statistics)
# (damo 3.4.3 shows the quota exceeds of debugfs as bytes that passed
# filters, twice: docs/compat.md)
stable() {
    sed 's/pid: [0-9]*$/pid: N/' |
        grep -vE 'tried [0-9,]+ times|applied [0-9,]+ times|exceeded [0-9,]+ times|passed filters|^ +[0-9,.]+ [KMGT]?i?B$'
}

grep -q ' /sys/kernel/debug debugfs ' /proc/mounts || mount -t debugfs none /sys/kernel/debug
check "the kernel has the DAMON debugfs interface" [ -f $D/attrs ]
mount -t tmpfs none /sys/kernel/mm/damon
check "sysfs DAMON hidden" [ ! -e /sys/kernel/mm/damon/admin ]

"$WL" 100 10 0 >/tmp/wl.out &
PID=$!
poll 60 grep -q pid /tmp/wl.out

# traced COMMAND...: runs it under strace; the writes it made to the
# debugfs files, one "file <- value" line each, in order, are in /tmp/writes
traced() {
    strace -f -qq -s 1024 -e trace=openat,write,close -o /tmp/strace "$@" >/tmp/traced.out 2>&1
    rc=$?
    python3 - /tmp/strace >/tmp/writes <<'PY'
import re, sys
fds, out = {}, []
for line in open(sys.argv[1]):
    m = re.match(r'(\d+)\s+openat\([^,]*, "([^"]+)", ([A-Z_|]+).*\)\s+= (\d+)$', line)
    if m and m.group(2).startswith('/sys/kernel/debug/damon/') and re.search('O_WRONLY|O_RDWR', m.group(3)):
        fds[(m.group(1), m.group(4))] = [m.group(2).rsplit('/', 1)[1], False]
        continue
    # strace pads short calls: "write(3, "on", 2)        = 2"
    m = re.match(r'(\d+)\s+write\((\d+), "(.*)", \d+\)\s+= ', line)
    if m and (m.group(1), m.group(2)) in fds:
        f = fds[(m.group(1), m.group(2))]
        f[1] = True
        out.append('%s <- %s' % (f[0], m.group(3)))
        continue
    m = re.match(r'(\d+)\s+close\((\d+)\)', line)
    if m:
        f = fds.pop((m.group(1), m.group(2)), None)
        # opened for writing (truncated) with nothing written
        if f and not f[1]:
            out.append('%s <- ' % f[0])
print('\n'.join(out))
PY
    return $rc
}

# scenario: name, then the start arguments
scenario() {
    name=$1
    shift
    if [ -n "$DAMO3" ]; then
        # a warm feature cache: damo 3.4.3 then writes only the setup
        "$DAMO3" features >/dev/null 2>&1
        traced "$DAMO3" start "$@"
        cp /tmp/writes /tmp/writes.damo
        files >/tmp/files.damo
        # damo 3.4.3 shows the paddr target as "pid: 42" (docs/compat.md)
        "$DAMO3" report damon 2>&1 | sed 's/^            pid: 42$/            /' | stable >/tmp/report.damo
        traced "$DAMO3" stop
        cp /tmp/writes /tmp/stopwrites.damo
        poll 30 off
        files >/tmp/stopped.damo
        # damo 3.4.3's writes, for the host-side replay (tests/dbgfs-traces)
        for w in start stop; do
            f=/tmp/writes.damo
            [ $w = stop ] && f=/tmp/stopwrites.damo
            echo "=== damo 3.4.3 debugfs writes: $name: $w"
            sed "s/\b$PID\b/PID/g" $f
            echo "=== end"
        done
    fi
    check "$name: start" traced "$DAMO" start "$@"
    cp /tmp/writes /tmp/writes.ours
    check "$name: monitoring is on" [ "$(cat $D/monitor_on)" = on ]
    files >/tmp/files.ours
    "$DAMO" report damon 2>&1 | stable >/tmp/report.ours
    check "$name: report damon shows it on" grep -q 'state: on' /tmp/report.ours
    check "$name: stop" traced "$DAMO" stop
    cp /tmp/writes /tmp/stopwrites.ours
    check "$name: monitoring is off" off
    files >/tmp/stopped.ours
    if [ -n "$DAMO3" ]; then
        check "$name: damo 3.4.3's writes were traced" [ -s /tmp/writes.damo ]
        same "$name: the same writes in the same order as damo 3.4.3" /tmp/writes.damo /tmp/writes.ours
        same "$name: stop: the same writes as damo 3.4.3" /tmp/stopwrites.damo /tmp/stopwrites.ours
        same "$name: debugfs files as damo 3.4.3 leaves them (on)" /tmp/files.damo /tmp/files.ours
        same "$name: debugfs files as damo 3.4.3 leaves them (off)" /tmp/stopped.damo /tmp/stopped.ours
        grep -v '^damon_' /tmp/report.damo >/tmp/r.damo
        grep -v '^damon_' /tmp/report.ours >/tmp/r.ours
        same "$name: report damon as damo 3.4.3's" /tmp/r.damo /tmp/r.ours
    fi
}
scenario "pid" "$PID"
scenario "paddr with regions" --ops paddr --regions 4096-1048576
scenario "scheme with quotas and watermarks" "$PID" --damos_action pageout --damos_age 1s max \
    --damos_quotas 10ms 1G 1s 1 2 3 --damos_wmarks free_mem_rate 1s 900 800 50
scenario "intervals, regions range and two schemes" "$PID" --monitoring_intervals 10ms 200ms 2s \
    --monitoring_nr_regions_range 20 500 --damos_action hugepage --damos_sz_region 4K max \
    --damos_access_rate 50% max --damos_action stat

# what debugfs cannot take: refused, nothing written, nothing on
files >/tmp/before
for a in "--damos_action lru_prio" "--damos_action stat --damos_filter reject anon" "--refresh_stat 1s"; do
    # shellcheck disable=SC2086
    "$DAMO" start "$PID" $a >/tmp/out 2>&1
    rc=$?
    check "refused: $a" eval '[ $rc = 1 ] && grep -q debugfs /tmp/out'
    files >/tmp/after
    same "refused: $a: nothing written" /tmp/before /tmp/after
done
"$DAMO" start "$PID" >/dev/null 2>&1
"$DAMO" tune "$PID" --aggr 200ms >/tmp/out 2>&1
check "tune is refused on debugfs" grep -q "cannot change a running kdamond" /tmp/out
"$DAMO" report access >/tmp/out 2>&1
check "live snapshots are refused on debugfs" grep -q "tried regions" /tmp/out
"$DAMO" stop >/dev/null 2>&1

# record through debugfs (the tracepoints are the same), then a report
cd /tmp || exit 1
check "record through debugfs" "$DAMO" record "$PID" --timeout 3 -o /tmp/dbgfs.data
check "record left DAMON off" off
check "the record reports" sh -c "'$DAMO' report heatmap -i /tmp/dbgfs.data --resol 5 10 | grep -q ."
"$DAMO" report record_info -i /tmp/dbgfs.data >/tmp/info 2>&1
check "the record has a time span" grep -q '^time: ' /tmp/info

# with sysfs visible, the option picks debugfs
umount /sys/kernel/mm/damon
check "sysfs DAMON visible again" [ -d /sys/kernel/mm/damon/admin/kdamonds ]
check "--damon_interface_DEPRECATED debugfs: start" "$DAMO" start "$PID" --damon_interface_DEPRECATED debugfs
check "--damon_interface_DEPRECATED debugfs: through debugfs" [ "$(cat $D/target_ids)" = "$PID" ]
check "--damon_interface_DEPRECATED debugfs: not through sysfs" \
    [ "$(cat /sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds)" = 0 ]
check "--damon_interface_DEPRECATED debugfs: stop" "$DAMO" stop --damon_interface_DEPRECATED debugfs
check "off again" off
# sysfs on 6.1 (its old feature set: no filters, no quota goals, no tried
# regions): the tree damo 3.4.3 leaves after the same start is ours
KD=/sys/kernel/mm/damon/admin/kdamonds
tree() { # the sysfs tree minus what changes by itself
    (cd $KD && find . -type f | sort | grep -vE '/(pid|state|avail_operations)$|/stats/' |
        while read -r f; do echo "$f: $(cat "$f")"; done)
}
for a in "$PID --damos_action pageout --damos_age 1s max --damos_quotas 10ms 1G 1s" "--ops paddr"; do
    if [ -n "$DAMO3" ]; then
        # shellcheck disable=SC2086
        "$DAMO3" start $a >/dev/null 2>&1
        tree >/tmp/tree.damo
        "$DAMO3" stop >/dev/null 2>&1
        echo 0 >$KD/nr_kdamonds
    fi
    # shellcheck disable=SC2086
    check "6.1 sysfs: start $a" "$DAMO" start $a
    tree >/tmp/tree.ours
    check "6.1 sysfs: through sysfs" [ "$(val $KD/0/state)" = on ]
    check "6.1 sysfs: stop" "$DAMO" stop
    [ -n "$DAMO3" ] && same "6.1 sysfs: start $a: the tree damo 3.4.3 leaves" /tmp/tree.damo /tmp/tree.ours
    echo 0 >$KD/nr_kdamonds
done
"$DAMO" start "$PID" --damos_action stat --damos_filter reject anon >/tmp/out 2>&1
check "6.1 sysfs: a DAMOS filter is refused, naming the kernel version" grep -q "filters" /tmp/out
check "6.1 sysfs: nothing left on" eval '[ "$(val $KD/nr_kdamonds)" = 0 ] || [ "$(val $KD/0/state)" = off ]'

"$DAMO" features >/tmp/features
check "features: both interfaces" eval 'grep -q "interface/damon_debugfs: Supported" /tmp/features &&
    grep -q "interface/damon_sysfs: Supported" /tmp/features'
if [ -n "$DAMO3" ]; then
    rm -f $HOME/.damo.sysinfo
    "$DAMO3" features 2>/dev/null | grep '^debugfs/' >/tmp/f.damo
    grep '^debugfs/' /tmp/features >/tmp/f.ours
    same "debugfs features as damo 3.4.3 finds them" /tmp/f.damo /tmp/f.ours
fi

kill "$PID"
summary dbgfs
