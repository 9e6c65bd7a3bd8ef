#!/usr/bin/env bash
# Columnar records in a real DuckDB (the `duckdb` package from PyPI, in a
# venv of its own): the Parquet records of two "hosts", queried together
# from hosts/*/damon.parquet, give per snapshot the working sets that
# `damo report wss --raw_number --all_wss --sortby time` gives for each
# host, row for row; the NDJSON records give the same through read_json.
# Usage: tests/duckdb.sh   (DAMO=path/to/damo, DUCKDB_VENV=reusable venv)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin damo --example synth_record
DAMO=${DAMO:-$PWD/target/release/damo}
SYNTH=$PWD/target/release/examples/synth_record
VENV=${DUCKDB_VENV:-$(mktemp -d)/duckdb-venv}
if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet duckdb
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/hosts/a" "$W/hosts/b"
cp examples/damon.data "$W/hosts/a/damon.data"
"$SYNTH" "$W/hosts/b/damon.data" json_compressed 1 400 300 intervals 7
for h in a b; do
    d=$W/hosts/$h
    "$DAMO" convert_record_format --record_file "$d/damon.data" --format parquet --output_file "$d/damon.parquet"
    "$DAMO" convert_record_format --record_file "$d/damon.data" --format ndjson --output_file "$d/damon.ndjson"
    "$DAMO" report wss --raw_number --all_wss --sortby time --exclude_samples 0 -i "$d/damon.data" |
        grep -v '^#' | awk '{print $2}' >"$d/wss.txt"
done
"$VENV/bin/python" - "$W" <<'PY'
import sys, duckdb
w = sys.argv[1]
con = duckdb.connect()
checks = 0
for source, reader in [("parquet", "read_parquet('%s/hosts/*/damon.parquet', filename=true)" % w),
                       ("ndjson", "read_json('%s/hosts/*/damon.ndjson', format='newline_delimited', filename=true) where type = 'region'" % w)]:
    rows = con.sql("""
        select regexp_extract(filename, 'hosts/([^/]+)/', 1) as host, snapshot_end_ns,
               coalesce(sum("end" - start) filter (where nr_accesses > 0), 0) as wss
        from (select * from %s)
        group by host, snapshot_end_ns order by host, snapshot_end_ns""" % reader).fetchall()
    for host in ("a", "b"):
        got = [int(r[2]) for r in rows if r[0] == host]
        want = [int(l) for l in open("%s/hosts/%s/wss.txt" % (w, host)) if l.strip()]
        if got != want:
            print("FAIL %s host %s: duckdb %d snapshots, report wss %d; first differences: %s" % (
                source, host, len(got), len(want),
                [(i, g, x) for i, (g, x) in enumerate(zip(got, want)) if g != x][:5]))
            sys.exit(1)
        checks += len(got)
        print("ok %s host %s: %d snapshots' working sets equal report wss's" % (source, host, len(got)))
print("duckdb %s: %d working sets checked" % (duckdb.__version__, checks))
PY
