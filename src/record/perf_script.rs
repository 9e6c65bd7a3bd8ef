//! Reader of DAMON trace text: `perf script` output of the
//! `damon:damon_aggregated` / `damon:damos_before_apply` /
//! `damon:damon_monitor_intervals_tune` tracepoints, `trace-cmd report`
//! output, and the perf_script files damo writes.
//!
//! Lines are grouped into snapshots per target the way damo does it: a
//! snapshot is complete after `nr_regions` region lines; its end time is the
//! event time and its start the previous snapshot's end.  The first
//! snapshot's start is then derived from the average snapshot length, and
//! the fake trailing snapshot damo writes for single-snapshot records is
//! dropped.  Trace text interleaves targets, so this reader keeps the
//! parsed records in memory before handing them to the sink.

use std::io::BufRead;

use anyhow::{Context, Result, bail};

use super::{Age, NrAccesses, Record, RecordMeta, Region, Sink, Snapshot};
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::pyparse::{py_float, py_int};

/// The parts of a trace line damo looks at: `<timestamp>:`, `<event>:`,
/// then the event's fields.
fn trace_fields(line: &str) -> Option<Vec<&str>> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 4 {
        return None;
    }
    // damo parses every format as trace-cmd report: <proc> <cpu>
    // [<latency>] <timestamp>: <event>: <fields...>
    let ts_idx = if f[2].ends_with(':') { 2 } else { 3 };
    let ts = f.get(ts_idx)?;
    let ev = f.get(ts_idx + 1)?;
    let ts = &ts[..ts.len().saturating_sub(1)];
    let ev = &ev[..ev.len().saturating_sub(1)];
    let mut out = vec![ts, ev];
    out.extend_from_slice(&f[ts_idx + 2..]);
    Some(out)
}

fn int_field(s: &str, what: &str) -> Result<i128> {
    py_int(s).ok().with_context(|| format!("bad {what} '{s}'"))
}

fn kv_int(s: &str, what: &str) -> Result<i128> {
    let v = s
        .split('=')
        .nth(1)
        .with_context(|| format!("bad {what} field '{s}'"))?;
    int_field(v, what)
}

fn event_time(ts: &str) -> Result<Num> {
    let secs = py_float(ts)
        .ok()
        .with_context(|| format!("bad timestamp '{ts}'"))?;
    Ok(I(F(secs * 1e9).trunc()))
}

fn range(s: &str) -> Result<(i128, i128)> {
    let body = &s[..s.len().saturating_sub(1)];
    let (a, b) = body
        .split_once('-')
        .with_context(|| format!("bad address range '{s}'"))?;
    Ok((int_field(a, "start address")?, int_field(b, "end address")?))
}

struct Parsed {
    region: Region,
    end_time: Num,
    target_id: i128,
    nr_regions: i128,
}

fn region(start: i128, end: i128, nr_accesses: i128, age: Option<i128>) -> Region {
    Region {
        start,
        end,
        nr_accesses: Some(NrAccesses {
            samples: Some(I(nr_accesses)),
            percent: None,
        }),
        age: Age {
            usec: None,
            aggr_intervals: age.map(I),
        },
        probe_hits: Vec::new(),
        sz_filter_passed: Some(0),
    }
}

/// Parses a region event line (fields as from `trace_fields`).
fn parse_region(f: &[&str]) -> Result<Option<Parsed>> {
    match f[1] {
        "damon_aggregated" | "damon:damon_aggregated" => {
            // ts, event, target_id=, nr_regions=, start-end:, nr_accesses [age]
            if !(f.len() == 6 || f.len() == 7) {
                return Ok(None);
            }
            let (start, end) = range(f[4])?;
            let age = if f.len() == 7 {
                Some(int_field(f[6], "age")?)
            } else {
                None
            };
            Ok(Some(Parsed {
                region: region(start, end, int_field(f[5], "nr_accesses")?, age),
                end_time: event_time(f[0])?,
                target_id: kv_int(f[2], "target_id")?,
                nr_regions: kv_int(f[3], "nr_regions")?,
            }))
        }
        "damos_before_apply" | "damon:damos_before_apply" => {
            // ts, event, ctx_idx=, scheme_idx=, target_idx=, nr_regions=,
            // start-end:, nr_accesses, age
            if f.len() != 9 {
                return Ok(None);
            }
            let (start, end) = range(f[6])?;
            Ok(Some(Parsed {
                region: region(
                    start,
                    end,
                    int_field(f[7], "nr_accesses")?,
                    Some(int_field(f[8], "age")?),
                ),
                end_time: event_time(f[0])?,
                target_id: kv_int(f[4], "target_idx")?,
                nr_regions: kv_int(f[5], "nr_regions")?,
            }))
        }
        _ => Ok(None),
    }
}

fn is_intervals_tune(f: &[&str]) -> bool {
    f.len() == 3
        && matches!(
            f[1],
            "damon_monitor_intervals_tune" | "damon:damon_monitor_intervals_tune"
        )
}

/// Parses trace text into records (damo's `parse_damon_trace`).
pub fn parse<R: BufRead>(reader: R) -> Result<Vec<Record>> {
    let mut records: Vec<Record> = Vec::new();
    // Index of the record whose last snapshot is being filled, if any.
    let mut open: Option<usize> = None;
    for (lineno, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("line {}: not text", lineno + 1))?;
        let Some(f) = trace_fields(&line) else {
            continue;
        };
        // damo reads damon_monitor_intervals_tune events but resets the
        // value on the next line, so snapshots never carry it.
        if is_intervals_tune(&f) {
            continue;
        }
        let Some(p) =
            parse_region(&f).with_context(|| format!("line {}: '{}'", lineno + 1, line.trim()))?
        else {
            continue;
        };
        let idx = match records
            .iter()
            .position(|r| r.meta.target_id == Some(I(p.target_id)))
        {
            Some(i) => i,
            None => {
                records.push(Record {
                    meta: RecordMeta {
                        target_id: Some(I(p.target_id)),
                        ..RecordMeta::default()
                    },
                    snapshots: Vec::new(),
                });
                records.len() - 1
            }
        };
        let start_time = records[idx].snapshots.last().map(|s| s.end_time);
        if let Some(st) = start_time
            && st > p.end_time
        {
            bail!("line {}: trace is not time-sorted", lineno + 1);
        }
        if open.is_none() {
            records[idx]
                .snapshots
                .push(Snapshot::new(start_time, p.end_time, Vec::new()));
        }
        // Like damo, append to the last snapshot of this line's target.
        let Some(snap) = records[idx].snapshots.last_mut() else {
            bail!("line {}: region of a target without a snapshot", lineno + 1);
        };
        snap.regions.push(p.region);
        open = Some(idx);
        if snap.regions.len() as i128 == p.nr_regions {
            open = None;
        }
    }
    for r in &mut records {
        for s in &mut r.snapshots {
            s.total_bytes = I(s.regions.iter().map(Region::size).sum());
        }
    }
    set_first_snapshot_start_time(&mut records);
    Ok(records)
}

/// A snapshot damo appends to single-snapshot records when writing trace
/// formats: one `[0, 0)` region with -1 accesses and -1 age.
pub fn is_fake_snapshot(s: &Snapshot) -> bool {
    match s.regions.as_slice() {
        [r] => {
            r.start == 0
                && r.end == 0
                && r.nr_accesses.as_ref().and_then(|n| n.samples) == Some(I(-1))
                && r.age.aggr_intervals == Some(I(-1))
        }
        _ => false,
    }
}

/// damo's `set_first_snapshot_start_time`, including its early stop at the
/// first record with fewer than two snapshots.
fn set_first_snapshot_start_time(records: &mut [Record]) {
    for r in records.iter_mut() {
        let n = r.snapshots.len();
        if n < 2 {
            break;
        }
        let end = r.snapshots[n - 1].end_time;
        let first_end = r.snapshots[0].end_time;
        let snapshot_time = end.sub(first_end).div(I((n - 1) as i128));
        r.snapshots[0].start_time = Some(first_end.sub(snapshot_time));
        if is_fake_snapshot(&r.snapshots[n - 1]) {
            r.snapshots.pop();
        }
    }
}

/// Reads trace text into `sink`.
pub fn read<R: BufRead>(reader: R, sink: &mut dyn Sink) -> Result<()> {
    let records = parse(reader)?;
    if records.is_empty() {
        bail!(
            "no DAMON trace events in it: not a damon.data record \
             (expected json_compressed, JSON, or perf script text of damon:damon_aggregated events)"
        );
    }
    for r in records {
        sink.record_start(&r.meta)?;
        for s in r.snapshots {
            sink.snapshot(&r.meta, s)?;
        }
        sink.record_end(&r.meta)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_fixes_start() {
        let text = "\
kdamond.0  4452 [000] 10.000000: damon:damon_aggregated: target_id=7 nr_regions=2 0-4096: 1 3
kdamond.0  4452 [000] 10.000000: damon:damon_aggregated: target_id=7 nr_regions=2 4096-8192: 0 3
kdamond.0  4452 [000] 10.100000: damon:damon_aggregated: target_id=7 nr_regions=1 0-8192: 2 0
";
        let recs = parse(text.as_bytes()).unwrap();
        assert_eq!(recs.len(), 1);
        let s = &recs[0].snapshots;
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].regions.len(), 2);
        assert_eq!(s[0].start_time.unwrap().repr(), "9900000000.0");
        assert_eq!(s[1].start_time.unwrap().repr(), "10000000000");
        assert_eq!(s[1].total_bytes.repr(), "8192");
    }

    #[test]
    fn drops_fake_snapshot() {
        let text = "\
kdamond.x xxxx xxxx 1.000000: damon:damon_aggregated: target_id=1 nr_regions=1 0-4096: 1 3
kdamond.x xxxx xxxx 1.100000: damon:damon_aggregated: target_id=1 nr_regions=1 0-0: -1 -1
";
        let recs = parse(text.as_bytes()).unwrap();
        assert_eq!(recs[0].snapshots.len(), 1);
    }

    #[test]
    fn bad_numbers_are_errors() {
        let text =
            "kdamond.0 1 [000] 1.0: damon:damon_aggregated: target_id=x nr_regions=1 0-4096: 1 3\n";
        assert!(parse(text.as_bytes()).is_err());
    }
}
