//! Writers of record files that damo 3.4.3 reads back.
//!
//! The JSON text is laid out like Python's `json.dumps(indent=4)` of damo's
//! `to_kvpairs(raw=True)`, including damo's habit of writing region fields
//! in human form (`"94,827,419,009,024"`, `"0 B"`).  Writers are sinks, so
//! a record can be converted while it is read, and they write to a
//! temporary file that is renamed over the target only when complete.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use super::{Format, RecordMeta, Region, Sink, Snapshot};
use crate::damon::damos::{DamosFilter, DamosStats};
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units};

pub use crate::damon::js::Js;
use crate::damon::js::{indent, num_json, write_str};

/// A JSON list written item by item (Python's `indent=4` layout), so a
/// long recording's sidecar never sits in memory; the file appears only
/// when `finish`ed.
pub struct JsonListFile {
    f: AtomicFile,
    n: usize,
}

impl JsonListFile {
    pub fn create(path: &Path) -> Result<Self> {
        Ok(JsonListFile {
            f: AtomicFile::create(path)?,
            n: 0,
        })
    }

    pub fn push(&mut self, item: &Js) -> Result<()> {
        self.f
            .write_all(if self.n == 0 { b"[\n" } else { b",\n" })?;
        indent(&mut self.f, 1)?;
        item.write(&mut self.f, 1)?;
        self.n += 1;
        Ok(())
    }

    /// Completes the list under `dst` (possibly another name than the
    /// one it was created for).
    pub fn finish_as(mut self, dst: &Path, mode: Option<u32>) -> Result<()> {
        self.f.write_all(if self.n == 0 { b"[]" } else { b"\n]" })?;
        self.f.set_destination(dst);
        self.f.commit(mode)
    }
}

fn s(v: String) -> Js {
    Js::Str(v)
}

fn opt_num(v: Option<i64>) -> Js {
    v.map(|x| Js::Num(I(x as i128))).unwrap_or(Js::Null)
}

/// A region as damo writes it (human-form fields, see module docs).
pub fn region_js(r: &Region) -> Js {
    let mut kv = vec![
        ("start".to_string(), s(units::format_nr(I(r.start), false))),
        ("end".to_string(), s(units::format_nr(I(r.end), false))),
    ];
    let Some(n) = &r.nr_accesses else {
        return Js::Obj(kv);
    };
    let opt = |v: Option<Num>| v.map(Js::Num).unwrap_or(Js::Null);
    kv.push((
        "nr_accesses".into(),
        Js::Obj(vec![
            ("samples".into(), opt(n.samples)),
            ("percent".into(), opt(n.percent)),
        ]),
    ));
    kv.push((
        "age".into(),
        Js::Obj(vec![
            (
                "usec".into(),
                r.age
                    .usec
                    .map(|u| s(units::format_time_us_exact(u, false)))
                    .unwrap_or(Js::Null),
            ),
            (
                "aggr_intervals".into(),
                r.age
                    .aggr_intervals
                    .map(|a| s(units::format_nr(a, false)))
                    .unwrap_or(Js::Null),
            ),
        ]),
    ));
    kv.push((
        "probe_hits".into(),
        Js::List(r.probe_hits.iter().map(|h| Js::Num(*h)).collect()),
    ));
    kv.push((
        "sz_filter_passed".into(),
        s(units::format_sz(I(r.sz_filter_passed.unwrap_or(0)), false)),
    ));
    Js::Obj(kv)
}

#[cfg(test)]
fn snapshot_js(sn: &Snapshot, raw: bool, record_file: bool) -> Result<Js> {
    let regions = Js::List(sn.regions.iter().map(region_js).collect());
    Ok(Js::Obj(snapshot_kv(sn, raw, record_file, regions)?))
}

/// The snapshot's keys in damo's order, with `regions` as given.
fn snapshot_kv(
    sn: &Snapshot,
    raw: bool,
    record_file: bool,
    regions: Js,
) -> Result<Vec<(String, Js)>> {
    Ok(vec![
        (
            "start_time".into(),
            sn.start_time
                .map(|t| s(units::format_time_ns_exact(t, raw)))
                .unwrap_or(Js::Null),
        ),
        (
            "end_time".into(),
            s(units::format_time_ns_exact(sn.end_time, raw)),
        ),
        ("regions".into(), regions),
        (
            "total_bytes".into(),
            s(units::format_sz(sn.total_bytes, raw)),
        ),
        (
            "damos_stats".into(),
            match &sn.damos_stats {
                Some(v) => DamosStats::from_value(v)?.to_js(raw),
                None => Js::Null,
            },
        ),
        (
            "sample_interval_us".into(),
            // in record files with its unit: damo's machine-friendly form
            // is the interval in nanoseconds, which its reader (and ours)
            // takes as microseconds, a thousandfold error per round trip
            // (docs/compat.md); reports print damo's form
            sn.sample_interval_us
                .map(|u| s(units::format_time_us_exact(u, raw && !record_file)))
                .unwrap_or(Js::Null),
        ),
    ])
}

/// `v` (>= 0) with thousands commas (damo's `format_nr`), without
/// allocating.
fn write_commas<W: Write>(w: &mut W, v: i128) -> std::io::Result<()> {
    let mut digits = [0u8; 40];
    let mut n = 0;
    // u64 division is much cheaper than i128's
    if let Ok(mut x) = u64::try_from(v) {
        loop {
            digits[n] = b'0' + (x % 10) as u8;
            n += 1;
            x /= 10;
            if x == 0 {
                break;
            }
        }
        return write_digits(w, &digits[..n]);
    }
    let mut x = v;
    loop {
        digits[n] = b'0' + (x % 10) as u8;
        n += 1;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    write_digits(w, &digits[..n])
}

/// Least significant first `digits`, written with thousands commas.
fn write_digits<W: Write>(w: &mut W, digits: &[u8]) -> std::io::Result<()> {
    let n = digits.len();
    let mut out = [0u8; 56];
    let mut m = 0;
    for i in (0..n).rev() {
        out[m] = digits[i];
        m += 1;
        if i > 0 && i % 3 == 0 {
            out[m] = b',';
            m += 1;
        }
    }
    w.write_all(&out[..m])
}

/// Writes `region_js(r)` at `level` without building it: the common shape
/// of trace and record regions takes this path, others the general one.
fn write_region<W: Write>(w: &mut W, r: &Region, level: usize) -> std::io::Result<()> {
    let common = r.start >= 0
        && r.end >= 0
        && matches!(r.age.usec, Some(I(_)) | None)
        && r.probe_hits.is_empty()
        && r.nr_accesses.as_ref().is_some_and(|n| {
            matches!(n.samples, Some(I(_)) | None) && matches!(n.percent, Some(I(_)) | None)
        })
        && matches!(r.age.aggr_intervals, Some(I(_)) | None);
    if !common {
        return region_js(r).write(w, level);
    }
    let pad = |w: &mut W, l: usize| indent(w, l);
    let num = |w: &mut W, v: Option<Num>| match v {
        Some(n) => w.write_all(num_json(n).as_bytes()),
        None => w.write_all(b"null"),
    };
    w.write_all(b"{\n")?;
    pad(w, level + 1)?;
    w.write_all(b"\"start\": \"")?;
    write_commas(w, r.start)?;
    w.write_all(b"\",\n")?;
    pad(w, level + 1)?;
    w.write_all(b"\"end\": \"")?;
    write_commas(w, r.end)?;
    w.write_all(b"\",\n")?;
    let n = r.nr_accesses.as_ref();
    pad(w, level + 1)?;
    w.write_all(b"\"nr_accesses\": {\n")?;
    pad(w, level + 2)?;
    w.write_all(b"\"samples\": ")?;
    num(w, n.and_then(|n| n.samples))?;
    w.write_all(b",\n")?;
    pad(w, level + 2)?;
    w.write_all(b"\"percent\": ")?;
    num(w, n.and_then(|n| n.percent))?;
    w.write_all(b"\n")?;
    pad(w, level + 1)?;
    w.write_all(b"},\n")?;
    pad(w, level + 1)?;
    w.write_all(b"\"age\": {\n")?;
    pad(w, level + 2)?;
    w.write_all(b"\"usec\": ")?;
    match r.age.usec {
        Some(u) => write_str(w, &units::format_time_us_exact(u, false))?,
        None => w.write_all(b"null")?,
    }
    w.write_all(b",\n")?;
    pad(w, level + 2)?;
    w.write_all(b"\"aggr_intervals\": ")?;
    match r.age.aggr_intervals {
        Some(I(a)) if a >= 0 => {
            w.write_all(b"\"")?;
            write_commas(w, a)?;
            w.write_all(b"\"")?;
        }
        Some(a) => write_str(w, &units::format_nr(a, false))?,
        None => w.write_all(b"null")?,
    }
    w.write_all(b"\n")?;
    pad(w, level + 1)?;
    w.write_all(b"},\n")?;
    pad(w, level + 1)?;
    w.write_all(b"\"probe_hits\": [],\n")?;
    pad(w, level + 1)?;
    match r.sz_filter_passed.unwrap_or(0) {
        0 => w.write_all(b"\"sz_filter_passed\": \"0 B\"\n")?,
        sz => {
            w.write_all(b"\"sz_filter_passed\": ")?;
            write_str(w, &units::format_sz(I(sz), false))?;
            w.write_all(b"\n")?;
        }
    }
    pad(w, level)?;
    w.write_all(b"}")
}

/// Writes `snapshot_js(sn)` at `level`, its regions through `write_region`.
fn write_snapshot<W: Write>(
    w: &mut W,
    sn: &Snapshot,
    raw: bool,
    record_file: bool,
    level: usize,
) -> Result<()> {
    let kv = snapshot_kv(sn, raw, record_file, Js::List(Vec::new()))?;
    w.write_all(b"{")?;
    for (i, (k, v)) in kv.into_iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        indent(w, level + 1)?;
        write_str(w, &k)?;
        w.write_all(b": ")?;
        if k == "regions" && !sn.regions.is_empty() {
            // formatted into memory first: one write per snapshot
            let mut buf: Vec<u8> = Vec::with_capacity(sn.regions.len() * 600);
            buf.push(b'[');
            for (j, r) in sn.regions.iter().enumerate() {
                buf.extend_from_slice(if j == 0 { b"\n" } else { b",\n" });
                indent(&mut buf, level + 2)?;
                write_region(&mut buf, r, level + 2)?;
            }
            buf.push(b'\n');
            indent(&mut buf, level + 1)?;
            buf.push(b']');
            w.write_all(&buf)?;
        } else {
            v.write(w, level + 1)?;
        }
    }
    w.write_all(b"\n")?;
    indent(w, level)?;
    w.write_all(b"}")?;
    Ok(())
}

pub use crate::outfile::AtomicFile;

/// zlib compression on a helper thread: text is handed over in 1 MiB
/// chunks, so serializing and compressing run on both cores.
pub struct ThreadedZlib {
    buf: Vec<u8>,
    tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    worker: Option<std::thread::JoinHandle<std::io::Result<AtomicFile>>>,
}

const ZCHUNK: usize = 1 << 20;

impl ThreadedZlib {
    pub fn new(out: AtomicFile) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let worker = std::thread::spawn(move || {
            let mut z = flate2::write::ZlibEncoder::new(out, flate2::Compression::default());
            for chunk in rx {
                z.write_all(&chunk)?;
            }
            z.finish()
        });
        ThreadedZlib {
            buf: Vec::with_capacity(ZCHUNK),
            tx: Some(tx),
            worker: Some(worker),
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(ZCHUNK));
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(chunk).is_ok());
        if sent {
            Ok(())
        } else {
            // The compressor stopped; finish() reports its error.
            Err(std::io::Error::other("the compressor thread stopped"))
        }
    }

    /// Compresses what is left and returns the output file.
    pub fn finish(mut self) -> Result<AtomicFile> {
        if !self.buf.is_empty() {
            let _ = self.send();
        }
        drop(self.tx.take());
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(r)) => Ok(r?),
            _ => anyhow::bail!("the compressor thread failed"),
        }
    }
}

impl Write for ThreadedZlib {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= ZCHUNK {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ThreadedZlib {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(w) = self.worker.take() {
            // Unfinished output: the worker's AtomicFile removes itself.
            let _ = w.join();
        }
    }
}

/// Streams records as JSON text into `out`.
pub struct JsonWriter<W: Write> {
    out: W,
    records: usize,
    snapshots: usize,
    /// Numbers in raw form (record files) or human form (`--json`).
    raw: bool,
    /// A record file (not a report's output).
    record_file: bool,
    /// Indentation level of the list (0 at the top of a document).
    level: usize,
}

impl<W: Write> JsonWriter<W> {
    /// A writer of record files (raw numbers, as damo writes them).
    pub fn new(out: W) -> Self {
        JsonWriter {
            record_file: true,
            ..Self::with_raw(out, true)
        }
    }

    /// `raw` false gives damo's human-readable form (`report access --json`).
    pub fn with_raw(out: W, raw: bool) -> Self {
        JsonWriter {
            out,
            records: 0,
            snapshots: 0,
            raw,
            record_file: false,
            level: 0,
        }
    }

    /// The list nested `level` levels deep in a larger document (its
    /// first line is not indented: it follows a key).
    pub fn nested(out: W, raw: bool, level: usize) -> Self {
        JsonWriter {
            level,
            ..Self::with_raw(out, raw)
        }
    }

    /// How many records were written so far.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Closes the list; returns the underlying writer.
    pub fn finish(mut self) -> Result<W> {
        if self.records == 0 {
            self.out.write_all(b"[]")?;
        } else {
            self.out.write_all(b"\n")?;
            indent(&mut self.out, self.level)?;
            self.out.write_all(b"]")?;
        }
        Ok(self.out)
    }
}

impl<W: Write> Sink for JsonWriter<W> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        let w = &mut self.out;
        w.write_all(if self.records == 0 { b"[\n" } else { b",\n" })?;
        self.records += 1;
        self.snapshots = 0;
        let l = self.level;
        indent(w, l + 1)?;
        w.write_all(b"{\n")?;
        let head: Vec<(&str, Js)> = vec![
            ("kdamond_idx", opt_num(meta.kdamond_idx)),
            ("context_idx", opt_num(meta.context_idx)),
            (
                "intervals",
                meta.intervals
                    .as_ref()
                    .map(|iv| iv.to_js(self.raw, false))
                    .unwrap_or(Js::Null),
            ),
            ("scheme_idx", opt_num(meta.scheme_idx)),
            ("target_id", meta.target_id.map(Js::Num).unwrap_or(Js::Null)),
            (
                "scheme_filters",
                Js::List(
                    meta.scheme_filters
                        .iter()
                        .map(|v| Ok(DamosFilter::from_value(v)?.to_js(self.raw)))
                        .collect::<Result<_>>()?,
                ),
            ),
        ];
        for (k, v) in head {
            indent(w, l + 2)?;
            write_str(w, k)?;
            w.write_all(b": ")?;
            v.write(w, l + 2)?;
            w.write_all(b",\n")?;
        }
        indent(w, l + 2)?;
        w.write_all(b"\"snapshots\": [")?;
        Ok(())
    }

    fn snapshot(&mut self, _meta: &RecordMeta, snapshot: Snapshot) -> Result<()> {
        let w = &mut self.out;
        w.write_all(if self.snapshots == 0 { b"\n" } else { b",\n" })?;
        self.snapshots += 1;
        indent(w, self.level + 3)?;
        write_snapshot(w, &snapshot, self.raw, self.record_file, self.level + 3)?;
        Ok(())
    }

    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        let w = &mut self.out;
        let l = self.level;
        if self.snapshots == 0 {
            w.write_all(b"],\n")?;
        } else {
            w.write_all(b"\n")?;
            indent(w, l + 2)?;
            w.write_all(b"],\n")?;
        }
        indent(w, l + 2)?;
        w.write_all(b"\"data_source\": ")?;
        write_str(w, &meta.data_source)?;
        w.write_all(b"\n")?;
        indent(w, l + 1)?;
        w.write_all(b"}")?;
        Ok(())
    }
}

/// Streams records as damo's perf_script text.
pub struct PerfScriptWriter<W: Write> {
    out: W,
    /// The first snapshot of the current record, held back until we know
    /// whether the record has more (damo adds a fake snapshot otherwise).
    first: Option<Snapshot>,
    count: usize,
    /// Target ids written so far: trace text groups regions by target id,
    /// so a second record of the same id would not read back.
    targets: std::collections::HashSet<i128>,
    /// Region lines written.
    lines: u64,
}

/// Records that trace text cannot hold, refused before anything is
/// written (damo writes files that no reader, its own included, reads).
#[derive(Debug, thiserror::Error)]
pub enum PerfScriptLimit {
    #[error(
        "the perf_script format cannot hold a record without a target id; \
         write json_compressed or json instead"
    )]
    NoTargetId,
    #[error(
        "the perf_script format cannot hold two records of target id {0} (trace text \
         groups regions by target id); write json_compressed or json instead, or select \
         one record"
    )]
    RepeatedTarget(i128),
    #[error(
        "the perf_script format cannot hold records without regions (the file would \
         hold no trace events); write json_compressed or json instead"
    )]
    NoRegions,
}

impl<W: Write> PerfScriptWriter<W> {
    pub fn new(out: W) -> Self {
        PerfScriptWriter {
            out,
            first: None,
            count: 0,
            targets: Default::default(),
            lines: 0,
        }
    }

    pub fn finish(self) -> Result<W> {
        if self.lines == 0 {
            return Err(PerfScriptLimit::NoRegions.into());
        }
        Ok(self.out)
    }

    fn lines(&mut self, meta: &RecordMeta, sn: &Snapshot) -> Result<()> {
        // record::Checked lets only integral target ids through
        let tid = meta
            .target_id
            .map(|t| t.trunc())
            .ok_or(PerfScriptLimit::NoTargetId)?;
        let secs = sn.end_time.f() / 1e9;
        for r in &sn.regions {
            let samples = r
                .nr_accesses
                .as_ref()
                .and_then(|n| n.samples)
                .unwrap_or(I(0));
            write!(
                self.out,
                "kdamond.x xxxx xxxx {:.6}: damon:damon_aggregated: target_id={} nr_regions={} {}-{}: {}",
                secs,
                tid,
                sn.regions.len(),
                r.start,
                r.end,
                samples.fmt_d()
            )?;
            // damo writes "None" for a missing age, which nothing can read
            // back; we leave the field out, as old kernels' traces do.
            // Counts are written as integers ('%d'): damo's '%s' of a
            // float age reads back nowhere.
            if let Some(a) = r.age.aggr_intervals {
                write!(self.out, " {}", a.fmt_d())?;
            }
            self.out.write_all(b"\n")?;
            self.lines += 1;
        }
        Ok(())
    }
}

impl<W: Write> Sink for PerfScriptWriter<W> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.first = None;
        self.count = 0;
        let tid = meta
            .target_id
            .map(|t| t.trunc())
            .ok_or(PerfScriptLimit::NoTargetId)?;
        if !self.targets.insert(tid) {
            return Err(PerfScriptLimit::RepeatedTarget(tid).into());
        }
        Ok(())
    }

    fn snapshot(&mut self, meta: &RecordMeta, snapshot: Snapshot) -> Result<()> {
        self.count += 1;
        if self.count == 1 {
            self.first = Some(snapshot);
            return Ok(());
        }
        if let Some(first) = self.first.take() {
            self.lines(meta, &first)?;
        }
        self.lines(meta, &snapshot)
    }

    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        if let Some(first) = self.first.take() {
            self.lines(meta, &first)?;
            if first.regions.is_empty() {
                // nothing was written for this record: no follower either
                return Ok(());
            }
            // A lone snapshot gets a fake follower so readers can infer its
            // start time.
            let start = first.start_time.unwrap_or(first.end_time);
            let dur = first.end_time.sub(start);
            let mut fake_region = Region {
                start: 0,
                end: 0,
                ..Region::default()
            };
            fake_region.nr_accesses = Some(super::NrAccesses {
                samples: Some(I(-1)),
                percent: None,
            });
            fake_region.age.aggr_intervals = Some(I(-1));
            let fake = Snapshot::new(
                Some(first.end_time),
                first.end_time.add(dur),
                vec![fake_region],
            );
            self.lines(meta, &fake)?;
        }
        Ok(())
    }
}

/// A sink writing one record file in `format` to `path` atomically.
pub enum FileWriter {
    Json(JsonWriter<AtomicFile>),
    // Compressed on a helper thread, in large chunks (each write into a
    // zlib encoder runs the compressor, and the JSON writer writes small
    // pieces).
    Compressed(JsonWriter<ThreadedZlib>),
    PerfScript(Box<PerfScriptWriter<AtomicFile>>),
    Parquet(Box<super::columnar::ParquetWriter>),
    Ndjson(super::columnar::NdjsonWriter<AtomicFile>),
}

impl FileWriter {
    /// Writes `records` (held in memory, e.g. live snapshots) to `path`,
    /// complete or not at all.
    pub fn write_records(
        path: &Path,
        format: Format,
        records: Vec<super::Record>,
        mode: Option<u32>,
    ) -> Result<()> {
        let mut w = FileWriter::create(path, format)?;
        for r in records {
            w.record_start(&r.meta)?;
            for s in r.snapshots {
                w.snapshot(&r.meta, s)?;
            }
            w.record_end(&r.meta)?;
        }
        w.commit(mode)
    }

    pub fn create(path: &Path, format: Format) -> Result<Self> {
        let f = || AtomicFile::create(path);
        Ok(match format {
            Format::Json => FileWriter::Json(JsonWriter::new(f()?)),
            Format::JsonCompressed => {
                FileWriter::Compressed(JsonWriter::new(ThreadedZlib::new(f()?)))
            }
            Format::PerfScript => FileWriter::PerfScript(Box::new(PerfScriptWriter::new(f()?))),
            Format::Parquet => {
                FileWriter::Parquet(Box::new(super::columnar::ParquetWriter::create(path)?))
            }
            Format::Ndjson => FileWriter::Ndjson(super::columnar::NdjsonWriter::new(f()?)),
            Format::PerfData => {
                anyhow::bail!("damo cannot write perf_data files itself; choose another format")
            }
        })
    }

    /// Completes the file and moves it into place with `mode`.
    pub fn commit(self, mode: Option<u32>) -> Result<()> {
        let f = match self {
            FileWriter::Json(w) => w.finish()?,
            FileWriter::Compressed(w) => w.finish()?.finish()?,
            FileWriter::PerfScript(w) => w.finish()?,
            FileWriter::Parquet(w) => return w.commit(mode),
            FileWriter::Ndjson(w) => w.finish()?,
        };
        f.commit(mode)
    }

    fn sink(&mut self) -> &mut dyn Sink {
        match self {
            FileWriter::Json(w) => w,
            FileWriter::Compressed(w) => w,
            FileWriter::PerfScript(w) => &mut **w,
            FileWriter::Parquet(w) => &mut **w,
            FileWriter::Ndjson(w) => w,
        }
    }
}

impl Sink for FileWriter {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.sink().record_start(meta)
    }
    fn snapshot(&mut self, meta: &RecordMeta, snapshot: Snapshot) -> Result<()> {
        self.sink().snapshot(meta, snapshot)
    }
    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        self.sink().record_end(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Age, Collect, NrAccesses, json};

    #[test]
    fn fast_snapshot_writer_matches_the_general_one() {
        let reg =
            |start: i128, samples: Option<Num>, percent: Option<Num>, age: Age, sz: i128| Region {
                start,
                end: start + 4096,
                nr_accesses: Some(NrAccesses { samples, percent }),
                age,
                probe_hits: Vec::new(),
                sz_filter_passed: Some(sz),
            };
        let aggr = |a: i128| Age {
            usec: None,
            aggr_intervals: Some(I(a)),
        };
        let mut odd = reg(4096, Some(I(1)), None, aggr(2), 0);
        odd.probe_hits = vec![I(3), I(4)];
        let regions = vec![
            reg(0, Some(I(0)), None, aggr(0), 0),
            reg(
                94_827_419_009_024,
                Some(I(20)),
                Some(I(100)),
                aggr(1_234_567),
                0,
            ),
            reg(1 << 40, Some(I(-1)), None, aggr(-1), 0),
            reg(8192, None, Some(Num::F(12.5)), aggr(3), 0),
            reg(
                8192,
                Some(I(1)),
                None,
                Age {
                    usec: Some(I(3_400_000)),
                    aggr_intervals: None,
                },
                0,
            ),
            reg(8192, Some(I(1)), None, aggr(3), 32 << 20),
            odd,
            Region {
                nr_accesses: None,
                ..reg(0, None, None, aggr(0), 0)
            },
        ];
        let sn = Snapshot::new(Some(I(1_000)), I(2_000), regions);
        for raw in [false, true] {
            let mut general = Vec::new();
            snapshot_js(&sn, raw, true)
                .unwrap()
                .write(&mut general, 3)
                .unwrap();
            let mut fast = Vec::new();
            write_snapshot(&mut fast, &sn, raw, true, 3).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(general).unwrap()
            );
        }
        let mut w = Vec::new();
        write_commas(&mut w, 1_000_000).unwrap();
        write_commas(&mut w, i128::from(u64::MAX) + 1).unwrap();
        assert_eq!(
            String::from_utf8(w).unwrap(),
            "1,000,00018,446,744,073,709,551,616"
        );
    }

    fn sample() -> (RecordMeta, Snapshot) {
        let meta = RecordMeta {
            target_id: Some(I(5)),
            ..RecordMeta::default()
        };
        let r = Region {
            start: 4096,
            end: 1 << 20,
            nr_accesses: Some(NrAccesses {
                samples: Some(I(3)),
                percent: None,
            }),
            age: crate::record::Age {
                usec: None,
                aggr_intervals: Some(I(1234)),
            },
            probe_hits: vec![],
            sz_filter_passed: Some(0),
        };
        (meta, Snapshot::new(Some(I(100)), I(200), vec![r]))
    }

    #[test]
    fn json_round_trip_and_layout() {
        let (meta, snap) = sample();
        let mut w = JsonWriter::new(Vec::new());
        w.record_start(&meta).unwrap();
        w.snapshot(&meta, snap.clone()).unwrap();
        w.record_end(&meta).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(text.starts_with("[\n    {\n        \"kdamond_idx\": 0,\n"));
        assert!(text.contains("\"start\": \"4,096\""));
        assert!(text.contains("\"aggr_intervals\": \"1,234\""));
        assert!(text.ends_with("\"data_source\": \"unknown\"\n    }\n]"));
        let mut c = Collect::default();
        json::read(text.as_bytes(), &mut c).unwrap();
        assert_eq!(c.0[0].snapshots[0], snap);
        // Identical to what serde_json sees as the same structure.
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["snapshots"][0]["total_bytes"], "1044480");
    }

    #[test]
    fn perf_script_adds_fake_snapshot() {
        let (meta, snap) = sample();
        let mut w = PerfScriptWriter::new(Vec::new());
        w.record_start(&meta).unwrap();
        w.snapshot(&meta, snap).unwrap();
        w.record_end(&meta).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "kdamond.x xxxx xxxx 0.000000: damon:damon_aggregated: target_id=5 nr_regions=1 4096-1048576: 3 1234\n\
             kdamond.x xxxx xxxx 0.000000: damon:damon_aggregated: target_id=5 nr_regions=1 0-0: -1 -1\n"
        );
    }
}
