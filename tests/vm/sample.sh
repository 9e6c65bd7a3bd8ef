#!/bin/sh
# Records the sample record of examples/ INSIDE the QEMU guest: the test
# workload (64 MiB, an 8 MiB hot part moving up every 5 s), recorded by
# this damo for 24 s (200 ms aggregation, at least 50 regions) with its
# sidecars, printed on stdout as a base64 tar
# between "BEGIN SAMPLE" and "END SAMPLE" lines (the guest's files are
# thrown away).  Usage (host):
#   tests/vm/run.sh -e DAMO=$PWD/target/release/damo -- tests/vm/sample.sh |
#       sed -n '/^BEGIN SAMPLE$/,/^END SAMPLE$/p' | sed '1d;$d' |
#       base64 -d | tar xzf - -C examples
. "$(dirname "$0")/lib.sh"
guest_only sample.sh
exec </dev/null
DAMO=${DAMO:?set DAMO to our binary}
WL=${WORKLOAD:-$HOME/.cache/damo-e2e/bin/workload}
"$WL" 64 8 60 5 >/tmp/wl.out &
PID=$!
poll 60 grep -q pid /tmp/wl.out
mkdir -p /tmp/sample && cd /tmp/sample || exit 1
"$DAMO" record "$PID" --timeout 24 -o damon.data \
    --monitoring_intervals 5ms 200ms 1s --monitoring_nr_regions_range 50 1000 \
    --do_record access mem_footprint vmas proc_stats >/tmp/record.out 2>&1 ||
    { cat /tmp/record.out; exit 1; }
kill "$PID"
"$DAMO" report record_info -i damon.data >&2
echo "BEGIN SAMPLE"
tar czf - damon.data damon.data.* | base64
echo "END SAMPLE"
