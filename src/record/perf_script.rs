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
//! dropped.  Trace text interleaves targets, so `read` first groups the
//! regions into one temporary file per target, then hands the records to
//! the sink a snapshot at a time: memory does not grow with the trace.

#![deny(clippy::string_slice, clippy::indexing_slicing)] // trace text from anywhere: no byte slicing, no unchecked index

use std::fs::File;
use std::io::{BufRead, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::{Age, NrAccesses, Record, RecordMeta, Region, Sink, Snapshot};
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::pyparse::{py_float, py_int};

/// `s` without its last character (Python's `s[:-1]`).
fn drop_last_char(s: &str) -> &str {
    let mut c = s.chars();
    c.next_back();
    c.as_str()
}

/// The parts of a trace line damo looks at: `<timestamp>:`, `<event>:`,
/// then the event's fields.
fn trace_fields(line: &str) -> Option<Vec<&str>> {
    // this is the hot loop of reading traces; fields are split at ASCII
    // whitespace, and a field may hold any text (a task name, say)
    let f: Vec<&str> = line.split_ascii_whitespace().collect();
    if f.len() < 4 {
        return None;
    }
    // damo parses every format as trace-cmd report: <proc> <cpu>
    // [<latency>] <timestamp>: <event>: <fields...>
    let ts_idx = if f.get(2)?.ends_with(':') { 2 } else { 3 };
    let ts = drop_last_char(f.get(ts_idx)?);
    let ev = drop_last_char(f.get(ts_idx + 1)?);
    let mut out = vec![ts, ev];
    out.extend_from_slice(f.get(ts_idx + 2..)?);
    Some(out)
}

fn int_field(s: &str, what: &str) -> Result<i128> {
    // plain decimals (nearly every field) without Python's int() rules
    if !s.is_empty() && s.len() < 19 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(s.bytes().fold(0i128, |v, b| v * 10 + (b - b'0') as i128));
    }
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
        .filter(|s| s.is_finite())
        .with_context(|| format!("bad timestamp '{ts}'"))?;
    Ok(I(F(secs * 1e9).trunc()))
}

fn range(s: &str) -> Result<(i128, i128)> {
    let (a, b) = drop_last_char(s)
        .split_once('-')
        .with_context(|| format!("bad address range '{s}'"))?;
    let (start, end) = (int_field(a, "start address")?, int_field(b, "end address")?);
    // the kernel's addresses are unsigned longs; regions are spooled as
    // such (record::Checked checks the rest, as for every format)
    for v in [start, end] {
        if !(0..=u64::MAX as i128).contains(&v) {
            bail!("address {v} in '{s}' is outside the 64-bit address space");
        }
    }
    Ok((start, end))
}

/// A count (access samples, age) as the kernel prints it: 0 to 2^63, or
/// -1 in the fake region damo writes for an empty snapshot.
fn count_field(s: &str, what: &str) -> Result<i128> {
    let v = int_field(s, what)?;
    if !(-1..=i64::MAX as i128).contains(&v) {
        bail!("bad {what} '{s}': out of range");
    }
    Ok(v)
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

const AGGREGATED: [&str; 2] = ["damon_aggregated", "damon:damon_aggregated"];
const BEFORE_APPLY: [&str; 2] = ["damos_before_apply", "damon:damos_before_apply"];
const INTERVALS_TUNE: [&str; 2] = [
    "damon_monitor_intervals_tune",
    "damon:damon_monitor_intervals_tune",
];

/// Parses a region event line (fields as from `trace_fields`).
fn parse_region(f: &[&str]) -> Result<Option<Parsed>> {
    let parsed = |ts, tid, what, nr, rng, acc, age: Option<&str>| -> Result<Parsed> {
        let (start, end) = range(rng)?;
        let age = age.map(|a| count_field(a, "age")).transpose()?;
        Ok(Parsed {
            region: region(start, end, count_field(acc, "nr_accesses")?, age),
            end_time: event_time(ts)?,
            target_id: kv_int(tid, what)?,
            nr_regions: kv_int(nr, "nr_regions")?,
        })
    };
    Ok(Some(match *f {
        // ts, event, target_id=, nr_regions=, start-end:, nr_accesses [age]
        [ts, ev, tid, nr, rng, acc] if AGGREGATED.contains(&ev) => {
            parsed(ts, tid, "target_id", nr, rng, acc, None)?
        }
        [ts, ev, tid, nr, rng, acc, age] if AGGREGATED.contains(&ev) => {
            parsed(ts, tid, "target_id", nr, rng, acc, Some(age))?
        }
        // ts, event, ctx_idx=, scheme_idx=, target_idx=, nr_regions=,
        // start-end:, nr_accesses, age
        [ts, ev, _, _, tid, nr, rng, acc, age] if BEFORE_APPLY.contains(&ev) => {
            parsed(ts, tid, "target_idx", nr, rng, acc, Some(age))?
        }
        _ => return Ok(None),
    }))
}

fn is_intervals_tune(f: &[&str]) -> bool {
    matches!(f, [_, ev, _] if INTERVALS_TUNE.contains(ev))
}

/// One snapshot's place in the grouping: its times and region count.
struct SnapMeta {
    start_time: Option<Num>,
    end_time: Num,
    nr: usize,
    /// Its first region is damo's fake one (`[0, 0)`, -1, -1).
    fake_first: bool,
}

/// Where grouped regions are kept until the records are complete: in
/// memory (`parse`), or in one temporary file per target (`read`), so
/// that reading a long trace does not grow with its length.
trait RegionStore {
    fn push(&mut self, target: usize, r: &Region) -> Result<()>;
}

/// damo's `parse_damon_trace` grouping: region lines into snapshots per
/// target.  Returns the target ids and their snapshots, in order of first
/// appearance, with the first snapshots' start times set and the fake
/// trailing snapshots dropped.
fn group<R: BufRead>(reader: R, store: &mut dyn RegionStore) -> Result<Vec<(i128, Vec<SnapMeta>)>> {
    let mut targets: Vec<(i128, Vec<SnapMeta>)> = Vec::new();
    let mut index: std::collections::HashMap<i128, usize> = std::collections::HashMap::new();
    // Index of the target whose last snapshot is being filled, if any.
    let mut open: Option<usize> = None;
    for (lineno, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            // binary data before any DAMON event: no record at all
            Err(e) if targets.is_empty() && e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(NotText.into());
            }
            Err(e) => return Err(e).with_context(|| format!("line {}: not text", lineno + 1)),
        };
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
        let idx = *index.entry(p.target_id).or_insert_with(|| {
            targets.push((p.target_id, Vec::new()));
            targets.len() - 1
        });
        let Some((_, snaps)) = targets.get_mut(idx) else {
            bail!("line {}: region of an unknown target", lineno + 1);
        };
        let start_time = snaps.last().map(|s| s.end_time);
        if let Some(st) = start_time
            && st > p.end_time
        {
            bail!("line {}: trace is not time-sorted", lineno + 1);
        }
        if open.is_none() {
            snaps.push(SnapMeta {
                start_time,
                end_time: p.end_time,
                nr: 0,
                fake_first: false,
            });
        }
        // Like damo, append to the last snapshot of this line's target.
        let Some(snap) = snaps.last_mut() else {
            bail!("line {}: region of a target without a snapshot", lineno + 1);
        };
        if snap.nr == 0 {
            snap.fake_first = is_fake_region(&p.region);
        }
        snap.nr += 1;
        store.push(idx, &p.region)?;
        open = Some(idx);
        if snap.nr as i128 == p.nr_regions {
            open = None;
        }
    }
    // damo's `set_first_snapshot_start_time`, including its early stop at
    // the first record with fewer than two snapshots.
    for (_, snaps) in targets.iter_mut() {
        let n = snaps.len();
        let (Some(last), true) = (snaps.last(), n >= 2) else {
            break;
        };
        let (end, fake_last) = (last.end_time, last.nr == 1 && last.fake_first);
        if let Some(first) = snaps.first_mut() {
            let snapshot_time = end.sub(first.end_time).div(I((n - 1) as i128));
            first.start_time = Some(first.end_time.sub(snapshot_time));
        }
        if fake_last {
            // its one region stays in the store, after all others
            snaps.pop();
        }
    }
    Ok(targets)
}

fn is_fake_region(r: &Region) -> bool {
    r.start == 0
        && r.end == 0
        && r.nr_accesses.as_ref().and_then(|n| n.samples) == Some(I(-1))
        && r.age.aggr_intervals == Some(I(-1))
}

struct MemStore(Vec<Vec<Region>>);

impl RegionStore for MemStore {
    fn push(&mut self, target: usize, r: &Region) -> Result<()> {
        if self.0.len() <= target {
            self.0.resize_with(target + 1, Vec::new);
        }
        if let Some(v) = self.0.get_mut(target) {
            v.push(r.clone());
        }
        Ok(())
    }
}

/// Parses trace text into records in memory (small inputs and tests).
pub fn parse<R: BufRead>(reader: R) -> Result<Vec<Record>> {
    let mut store = MemStore(Vec::new());
    let targets = group(reader, &mut store)?;
    let mut records = Vec::with_capacity(targets.len());
    for (i, (id, snaps)) in targets.into_iter().enumerate() {
        let mut regions = store
            .0
            .get_mut(i)
            .map(std::mem::take)
            .unwrap_or_default()
            .into_iter();
        let snapshots = snaps
            .into_iter()
            .map(|m| {
                Snapshot::new(
                    m.start_time,
                    m.end_time,
                    regions.by_ref().take(m.nr).collect(),
                )
            })
            .collect();
        records.push(Record {
            meta: RecordMeta {
                target_id: Some(I(id)),
                ..RecordMeta::default()
            },
            snapshots,
        });
    }
    Ok(records)
}

/// One temporary file of regions per target, 33 bytes a region.
struct FileStore {
    dir: crate::outfile::TempDir,
    /// The open writer of each target's file (`None`: closed, or not yet
    /// created); at most `MAX_OPEN` are open at once, so a trace of many
    /// targets does not run out of file descriptors.
    files: Vec<Option<BufWriter<File>>>,
    /// Open files, oldest first.
    open: std::collections::VecDeque<usize>,
}

const MAX_OPEN: usize = 512;

impl FileStore {
    fn new() -> Result<FileStore> {
        Ok(FileStore {
            dir: crate::outfile::TempDir::new("damo-trace-")?,
            files: Vec::new(),
            open: Default::default(),
        })
    }

    fn path(&self, target: usize) -> PathBuf {
        self.dir.path().join(target.to_string())
    }

    /// The writer of `target`'s file, opened (or created) if needed.
    fn writer(&mut self, target: usize) -> Result<&mut BufWriter<File>> {
        if self.files.len() <= target {
            self.files.resize_with(target + 1, || None);
        }
        if self.files.get(target).is_some_and(Option::is_none) {
            if self.open.len() >= MAX_OPEN
                && let Some(old) = self.open.pop_front()
                && let Some(mut w) = self.files.get_mut(old).and_then(Option::take)
            {
                w.flush()
                    .context("cannot write the temporary region file")?;
            }
            let p = self.path(target);
            let f = File::options()
                .create(true)
                .append(true)
                .open(&p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            if let Some(slot) = self.files.get_mut(target) {
                *slot = Some(BufWriter::with_capacity(1 << 14, f));
            }
            self.open.push_back(target);
        }
        self.files
            .get_mut(target)
            .and_then(Option::as_mut)
            .context("no temporary region file for a target")
    }

    /// Flushes and closes every open file.
    fn close_all(&mut self) -> Result<()> {
        for w in self.files.iter_mut().filter_map(Option::take) {
            let mut w = w;
            w.flush()
                .context("cannot write the temporary region file")?;
        }
        self.open.clear();
        Ok(())
    }
}

impl RegionStore for FileStore {
    fn push(&mut self, target: usize, r: &Region) -> Result<()> {
        // values were checked to fit (record::Checked)
        let num = |n: Option<Num>| n.map_or(i64::MIN, |v| crate::fmt::sat_i64(v.trunc()));
        let mut b = [0u8; 33];
        b[..8].copy_from_slice(&crate::fmt::sat_u64(r.start).to_le_bytes());
        b[8..16].copy_from_slice(&crate::fmt::sat_u64(r.end).to_le_bytes());
        b[16..24]
            .copy_from_slice(&num(r.nr_accesses.as_ref().and_then(|n| n.samples)).to_le_bytes());
        b[24..32].copy_from_slice(&num(r.age.aggr_intervals).to_le_bytes());
        b[32] = 1;
        self.writer(target)?
            .write_all(&b)
            .context("cannot write the temporary region file")
    }
}

fn decode(b: &[u8; 33]) -> Region {
    let n = |s: &[u8]| {
        let v = i64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
        (v != i64::MIN).then_some(v as i128)
    };
    let start = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])) as i128;
    let end = u64::from_le_bytes(b[8..16].try_into().unwrap_or([0; 8])) as i128;
    region(start, end, n(&b[16..24]).unwrap_or(0), n(&b[24..32]))
}

/// Trace text without a single DAMON region event.
#[derive(Debug, thiserror::Error)]
#[error(
    "no DAMON trace events in it: not a damon.data record \
     (expected json_compressed, JSON, or perf script text of damon:damon_aggregated events)"
)]
pub struct NoEvents;

/// Binary data that is none of the formats records come in.
#[derive(Debug, thiserror::Error)]
#[error(
    "not a damon.data record: binary data, not json_compressed, JSON, or perf script \
     text of damon:damon_aggregated events (record one with 'damo record')"
)]
pub struct NotText;

/// Reads trace text into `sink`, one snapshot at a time: regions are
/// grouped into per-target temporary files first, so memory does not grow
/// with the trace.
pub fn read<R: BufRead>(reader: R, sink: &mut dyn Sink) -> Result<()> {
    read_with(reader, sink, |_| {})
}

/// `read`, with each record's metadata adjusted by `meta` first (the
/// recorder adds the kdamond, context and intervals).
pub fn read_with<R: BufRead>(
    reader: R,
    sink: &mut dyn Sink,
    meta: impl Fn(&mut RecordMeta),
) -> Result<()> {
    let mut store = FileStore::new()?;
    let targets = group(reader, &mut store)?;
    if targets.is_empty() {
        return Err(NoEvents.into());
    }
    store.close_all()?;
    for (i, (id, snaps)) in targets.into_iter().enumerate() {
        let mut m = RecordMeta {
            target_id: Some(I(id)),
            ..RecordMeta::default()
        };
        meta(&mut m);
        sink.record_start(&m)?;
        let path = store.path(i);
        let mut rd = std::io::BufReader::with_capacity(
            1 << 16,
            File::open(&path).with_context(|| format!("cannot read {}", path.display()))?,
        );
        for s in snaps {
            let mut regions = Vec::with_capacity(s.nr);
            let mut b = [0u8; 33];
            for _ in 0..s.nr {
                rd.read_exact(&mut b)
                    .context("the temporary region file is short")?;
                regions.push(decode(&b));
            }
            // A target with one snapshot has no start time from the
            // trace (damo's writer crashes on it): where the intervals are
            // known, its snapshot spans one aggregation interval, as damo
            // times the snapshots it reads from sysfs.
            let start = s.start_time.or_else(|| {
                m.intervals
                    .as_ref()
                    .map(|iv| s.end_time.sub(iv.aggr.mul(I(1000))))
            });
            sink.snapshot(&m, Snapshot::new(start, s.end_time, regions))?;
        }
        sink.record_end(&m)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
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
    fn a_lone_snapshot_spans_one_aggregation_interval() {
        let text = "kdamond.0 1 [000] 10.000000: damon:damon_aggregated: target_id=7 nr_regions=1 0-4096: 1 3\n";
        // without intervals (a trace given to a report), like damo
        let mut c = crate::record::Collect::default();
        read_with(text.as_bytes(), &mut c, |_| {}).unwrap();
        assert_eq!(c.0[0].snapshots[0].start_time, None);
        // the recorder knows them: 100 ms before its end
        let mut c = crate::record::Collect::default();
        read_with(text.as_bytes(), &mut c, |m| {
            m.intervals = Some(crate::record::Intervals {
                sample: I(5_000),
                aggr: I(100_000),
                ops_update: I(1_000_000),
                goal: Default::default(),
            })
        })
        .unwrap();
        let s = &c.0[0].snapshots[0];
        assert_eq!(s.start_time, Some(I(9_900_000_000)));
        assert_eq!(s.end_time, I(10_000_000_000));
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
