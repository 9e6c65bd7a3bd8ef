//! damon.data records: the data model, readers and writers.
//!
//! A record file holds a list of records (one per kdamond, context, scheme
//! and target), each a list of snapshots, each a list of regions.  Readers
//! deliver records to a [`Sink`] one snapshot at a time, so reports that do
//! not need the whole record never hold it in memory.  Formats are told
//! apart by content (see [`sniff`]), not by file name or `file(1)`.

pub mod adjust;
pub mod columnar;
pub mod fastjson;
pub mod filter;
pub mod json;
pub mod perf_script;
pub mod pipe;
pub mod sniff;
pub mod spool;
pub mod synth;
pub mod tracefs;
pub mod write;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::fmt::pynum::{I, Num};

pub use crate::damon::model::{Intervals, IntervalsGoal};

/// Everything about a record except its snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordMeta {
    pub kdamond_idx: Option<i64>,
    pub context_idx: Option<i64>,
    pub intervals: Option<Intervals>,
    pub scheme_idx: Option<i64>,
    pub target_id: Option<Num>,
    /// The snapshot scheme's DAMOS filters, as found in the file.
    pub scheme_filters: Vec<serde_json::Value>,
    pub data_source: String,
}

impl Default for RecordMeta {
    fn default() -> Self {
        RecordMeta {
            // damo turns missing kdamond/context indices into 0.
            kdamond_idx: Some(0),
            context_idx: Some(0),
            intervals: None,
            scheme_idx: None,
            target_id: None,
            scheme_filters: Vec::new(),
            data_source: "unknown".to_string(),
        }
    }
}

/// Access frequency of a region: samples per aggregation interval, and/or
/// a percentage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NrAccesses {
    pub samples: Option<Num>,
    pub percent: Option<Num>,
}

/// How long a region kept its access frequency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Age {
    pub usec: Option<Num>,
    pub aggr_intervals: Option<Num>,
}

/// One DAMON region `[start, end)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Region {
    pub start: i128,
    pub end: i128,
    /// `None` for address-only regions (very old records).
    pub nr_accesses: Option<NrAccesses>,
    pub age: Age,
    pub probe_hits: Vec<Num>,
    pub sz_filter_passed: Option<i128>,
}

impl Region {
    pub fn size(&self) -> i128 {
        self.end - self.start
    }

    /// Access samples, or an error naming what is missing.
    pub fn samples(&self) -> Result<Num> {
        self.nr_accesses
            .as_ref()
            .and_then(|n| n.samples)
            .with_context(|| {
                format!(
                    "region {}-{} has no nr_accesses samples",
                    self.start, self.end
                )
            })
    }
}

/// One aggregated snapshot of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `None` only for the first snapshot of a trace whose start is unknown.
    pub start_time: Option<Num>,
    pub end_time: Num,
    pub regions: Vec<Region>,
    pub total_bytes: Num,
    pub damos_stats: Option<serde_json::Value>,
    pub sample_interval_us: Option<Num>,
}

impl Snapshot {
    pub fn new(start_time: Option<Num>, end_time: Num, regions: Vec<Region>) -> Self {
        let total: i128 = regions.iter().map(Region::size).sum();
        Snapshot {
            start_time,
            end_time,
            regions,
            total_bytes: I(total),
            damos_stats: None,
            sample_interval_us: None,
        }
    }

    /// The start time, or an error for a snapshot whose start is unknown.
    pub fn start(&self) -> Result<Num> {
        self.start_time.context(
            "a snapshot has no start time (a trace with one snapshot per target gives no \
                 snapshot duration): record for at least two aggregation intervals",
        )
    }
}

/// The error of a report given a record without snapshots.
pub const NO_SNAPSHOTS: &str = "the record holds no snapshots: record for longer than one \
     aggregation interval, or, for a record made by 'damo adjust', give ranges and filters \
     that match some of the original";

/// Receives records in file order, one snapshot at a time.
pub trait Sink {
    /// Called before the first snapshot of a record.
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        Ok(())
    }
    fn snapshot(&mut self, meta: &RecordMeta, snapshot: Snapshot) -> Result<()>;
    /// Called after the last snapshot; `meta` is complete here (keys after
    /// `snapshots`, like `data_source`, included).
    fn record_end(&mut self, _meta: &RecordMeta) -> Result<()> {
        Ok(())
    }
}

/// A borrowed sink is a sink, so stages can own or borrow the next one.
impl<S: Sink + ?Sized> Sink for &mut S {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        (**self).record_start(meta)
    }
    fn snapshot(&mut self, meta: &RecordMeta, snapshot: Snapshot) -> Result<()> {
        (**self).snapshot(meta, snapshot)
    }
    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        (**self).record_end(meta)
    }
}

/// A whole record held in memory (for small records and tests).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    pub meta: RecordMeta,
    pub snapshots: Vec<Snapshot>,
}

/// A sink that keeps everything.
#[derive(Default)]
pub struct Collect(pub Vec<Record>);

impl Sink for Collect {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.0.push(Record {
            meta: meta.clone(),
            snapshots: Vec::new(),
        });
        Ok(())
    }
    fn snapshot(&mut self, _meta: &RecordMeta, snapshot: Snapshot) -> Result<()> {
        if let Some(r) = self.0.last_mut() {
            r.snapshots.push(snapshot);
        }
        Ok(())
    }
    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        if let Some(r) = self.0.last_mut() {
            r.meta = meta.clone();
        }
        Ok(())
    }
}

/// Record file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonCompressed,
    Json,
    PerfScript,
    PerfData,
    /// Apache Parquet, one row per region (`columnar`).
    Parquet,
    /// Newline-delimited JSON, one line per region (`columnar`).
    Ndjson,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::JsonCompressed => "json_compressed",
            Format::Json => "json",
            Format::PerfScript => "perf_script",
            Format::PerfData => "perf_data",
            Format::Parquet => "parquet",
            Format::Ndjson => "ndjson",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "json_compressed" => Format::JsonCompressed,
            "json" => Format::Json,
            "perf_script" => Format::PerfScript,
            "perf_data" => Format::PerfData,
            "parquet" => Format::Parquet,
            "ndjson" => Format::Ndjson,
            _ => return None,
        })
    }
}

/// One or more record files read as one list of records, re-readable so
/// that multi-pass reports stream each time instead of keeping records.
#[derive(Debug, Clone)]
pub struct RecordFiles {
    pub paths: Vec<PathBuf>,
}

impl RecordFiles {
    pub fn new<P: AsRef<Path>>(paths: &[P]) -> Self {
        RecordFiles {
            paths: paths.iter().map(|p| p.as_ref().to_path_buf()).collect(),
        }
    }

    /// Checks that every file exists, so errors come before any output.
    pub fn check(&self) -> Result<()> {
        for p in &self.paths {
            if !p.is_file() {
                anyhow::bail!(
                    "{} not found: give the path of an existing record file \
                     ('damo record' writes damon.data)",
                    p.display()
                );
            }
        }
        Ok(())
    }

    /// Reads all files, in order, into `sink`.  A file's own fault names
    /// the file; an error of the sink (a report's, or writing an output)
    /// passes as it is.
    pub fn read(&self, sink: &mut dyn Sink) -> Result<()> {
        for p in &self.paths {
            let mut sink_failed = false;
            if columnar::is_parquet(p) {
                read_parquet_checked(p, sink)?;
                continue;
            }
            let meter = crate::progress::Meter::reading(p);
            let r = std::fs::File::open(p)
                .with_context(|| format!("cannot open {}", p.display()))
                .and_then(|f| read_checked(meter.reader(f), sink, &mut sink_failed));
            meter.finish();
            match r {
                Err(e) if sink_failed => return Err(e),
                r => r.with_context(|| format!("parsing {} failed", p.display()))?,
            }
        }
        Ok(())
    }

    /// Reads everything into memory.
    pub fn load(&self) -> Result<Vec<Record>> {
        let mut c = Collect::default();
        self.read(&mut c)?;
        Ok(c.0)
    }
}

/// Reads JSON record text from `src` through the reading pipeline.
fn read_json<R: std::io::Read + Send + 'static>(src: R, sink: &mut dyn Sink) -> Result<()> {
    let text = pipe::Stripped::new(src);
    let blobs = text.blobs();
    json::read_skeleton(
        std::io::BufReader::with_capacity(1 << 16, text),
        blobs,
        sink,
    )
}

/// Passes records on after checking what every reader and writer relies
/// on, so that every record a reader accepts is one every writer can write
/// and every reader reads back (tests/bad_input.rs checks the round trip):
/// regions that are address ranges of a 64-bit space (start <= end <
/// 2^64), times within 2^64 ns of zero and in order, and every number
/// finite and within the range its field has in DAMON (no NaN, infinity or
/// negative count).
struct Checked<'a> {
    inner: &'a mut dyn Sink,
    /// `inner` returned an error: the reader's error is not the file's.
    inner_failed: bool,
    /// The end time of the record's previous snapshot.
    last_end: Option<Num>,
}

const U64_LIMIT: i128 = 1 << 64;
/// The largest count (samples, ages) the kernel can report, and the trace
/// readers read back.
const COUNT_MAX: i128 = i64::MAX as i128;

/// `v` of field `what` is a finite number within `[lo, hi]` (a float
/// within what its integer form, as written in trace text, can hold).
fn in_range(v: Num, what: &str, lo: i128, hi: i128) -> Result<()> {
    let ok = match v {
        Num::I(i) => (lo..=hi).contains(&i),
        Num::F(f) if !f.is_finite() => {
            anyhow::bail!("field '{what}' is {}, not a finite number", v.repr())
        }
        Num::F(f) => f >= lo as f64 && f < hi as f64,
    };
    if !ok {
        anyhow::bail!(
            "field '{what}' is {}, outside its range [{lo}, {hi}]",
            v.repr()
        );
    }
    Ok(())
}

impl Checked<'_> {
    /// Passes on `inner`'s result, noting a failure.
    fn pass(&mut self, r: Result<()>) -> Result<()> {
        self.inner_failed |= r.is_err();
        r
    }

    fn check_meta(m: &RecordMeta) -> Result<()> {
        if let Some(t) = m.target_id {
            in_range(t, "target_id", i64::MIN as i128, u64::MAX as i128)?;
            if t.f().fract() != 0.0 {
                anyhow::bail!("field 'target_id' is {}, not an integer", t.repr());
            }
        }
        if let Some(iv) = &m.intervals {
            for (v, what) in [
                (iv.sample, "sample_us"),
                (iv.aggr, "aggr_us"),
                (iv.ops_update, "ops_update_us"),
                (iv.goal.access_bp, "access_bp"),
                (iv.goal.aggrs, "aggrs"),
                (iv.goal.min_sample_us, "min_sample_us"),
                (iv.goal.max_sample_us, "max_sample_us"),
            ] {
                in_range(v, what, 0, COUNT_MAX)?;
            }
        }
        Ok(())
    }

    fn check(&mut self, s: &Snapshot) -> Result<()> {
        for t in [s.start_time, Some(s.end_time)].into_iter().flatten() {
            // (a derived first start may be a little below zero)
            if !t.f().is_finite() || t.f().abs() >= U64_LIMIT as f64 {
                anyhow::bail!("snapshot time {} ns is out of the 64-bit range", t.repr());
            }
        }
        if let Some(st) = s.start_time
            && st > s.end_time
        {
            anyhow::bail!(
                "a snapshot ends ({} ns) before it starts ({} ns)",
                s.end_time.repr(),
                st.repr()
            );
        }
        if let Some(prev) = self.last_end
            && s.end_time < prev
        {
            anyhow::bail!(
                "snapshots are not in time order: one ends at {} ns, after one that ends at {} ns",
                s.end_time.repr(),
                prev.repr()
            );
        }
        self.last_end = Some(s.end_time);
        in_range(s.total_bytes, "total_bytes", 0, U64_LIMIT)?;
        if let Some(v) = s.sample_interval_us {
            in_range(v, "sample_interval_us", 0, COUNT_MAX)?;
        }
        for r in &s.regions {
            if r.start < 0 || r.end > u64::MAX as i128 {
                anyhow::bail!(
                    "region {}-{} is outside the 64-bit address space",
                    r.start,
                    r.end
                );
            }
            if r.end < r.start {
                anyhow::bail!("region {}-{} ends before it starts", r.start, r.end);
            }
            if let Some(n) = &r.nr_accesses {
                if let Some(v) = n.samples {
                    in_range(v, "samples", 0, COUNT_MAX)?;
                }
                if let Some(v) = n.percent {
                    in_range(v, "percent", 0, COUNT_MAX)?;
                }
            }
            if let Some(v) = r.age.usec {
                in_range(v, "usec", 0, COUNT_MAX)?;
            }
            if let Some(v) = r.age.aggr_intervals {
                in_range(v, "aggr_intervals", 0, COUNT_MAX)?;
            }
            if let Some(v) = r.sz_filter_passed
                && !(0..=U64_LIMIT).contains(&v)
            {
                anyhow::bail!("field 'sz_filter_passed' is {v}, outside [0, 2^64]");
            }
        }
        Ok(())
    }
}

impl Sink for Checked<'_> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        Self::check_meta(meta)?;
        self.last_end = None;
        let r = self.inner.record_start(meta);
        self.pass(r)
    }
    fn snapshot(&mut self, meta: &RecordMeta, snapshot: Snapshot) -> Result<()> {
        self.check(&snapshot)?;
        let r = self.inner.snapshot(meta, snapshot);
        self.pass(r)
    }
    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        Self::check_meta(meta)?;
        let r = self.inner.record_end(meta);
        self.pass(r)
    }
}

/// Reads a Parquet record file through the same checks as every reader.
fn read_parquet_checked(path: &Path, sink: &mut dyn Sink) -> Result<()> {
    let mut checked = Checked {
        inner: sink,
        inner_failed: false,
        last_end: None,
    };
    match columnar::read_parquet(path, &mut checked) {
        Err(e) if checked.inner_failed => Err(e),
        r => r.with_context(|| format!("parsing {} failed", path.display())),
    }
}

/// Reads one record file of any supported format into `sink`.
pub fn read_file(path: &Path, sink: &mut dyn Sink) -> Result<()> {
    if columnar::is_parquet(path) {
        return read_parquet_checked(path, sink);
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    read_from(file, sink)
}

/// Reads a record of any supported format from `input` into `sink`.
pub fn read_from<R: std::io::Read + Send + 'static>(input: R, sink: &mut dyn Sink) -> Result<()> {
    read_checked(input, sink, &mut false)
}

/// `read_from`, telling in `sink_failed` whether an error is the sink's.
fn read_checked<R: std::io::Read + Send + 'static>(
    input: R,
    sink: &mut dyn Sink,
    sink_failed: &mut bool,
) -> Result<()> {
    let (format, reader) = sniff::sniff(input).context("cannot read it")?;
    let mut checked = Checked {
        inner: sink,
        inner_failed: false,
        last_end: None,
    };
    let r = read_format(format, reader, &mut checked);
    *sink_failed = checked.inner_failed;
    r
}

fn read_format<R: std::io::BufRead + Send + 'static>(
    format: Format,
    reader: R,
    sink: &mut Checked<'_>,
) -> Result<()> {
    let (r, what) = match format {
        Format::JsonCompressed => (
            read_json(flate2::read::ZlibDecoder::new(reader), sink),
            "not a valid json_compressed record (zlib-compressed JSON)",
        ),
        Format::Json => (read_json(reader, sink), "not a valid JSON record"),
        Format::PerfScript => return perf_script::read(reader, sink),
        Format::Ndjson => {
            return match columnar::read_ndjson(reader, sink) {
                Err(e) if sink.inner_failed => Err(e),
                r => r.context("not a valid NDJSON record"),
            };
        }
        Format::Parquet => {
            anyhow::bail!("a Parquet record is read from a file, not from a pipe: give its path")
        }
        Format::PerfData => anyhow::bail!(
            "this is a perf.data file; convert it with 'perf script -i FILE > FILE.txt' and read the text, \
             or record with --output_type json_compressed"
        ),
    };
    match r {
        // the report's own error (or a closed pipe), not the file's
        Err(e) if sink.inner_failed => Err(e),
        Err(e) => Err(damaged(e, what)),
        Ok(()) => Ok(()),
    }
}

/// A record file's own fault, with what to do about it.
fn damaged(e: anyhow::Error, what: &str) -> anyhow::Error {
    let why = format!("{e:#}");
    let hint = if why.contains("incomplete deflate stream") || why.contains("EOF while parsing") {
        "the file is cut short (an unfinished copy or recording): copy or record it again"
    } else {
        "the file is damaged or is not a damon.data record: record it again"
    };
    anyhow::anyhow!("{what}: {why}; {hint}")
}
