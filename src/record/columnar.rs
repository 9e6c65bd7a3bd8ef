//! Records as rows, one per region per snapshot, for engines that query
//! columns (DuckDB, Spark, pandas) and line tools (jq): Apache Parquet and
//! newline-delimited JSON.  [`COLUMNS`] is the schema of both, documented
//! in USAGE.md and, for NDJSON, in docs/damon-ndjson.schema.json.
//!
//! A snapshot without regions is one row whose region columns are null, so
//! that every snapshot survives the round trip.  Parquet files carry the
//! records' metadata (intervals, filters, data source) as file metadata
//! (`damo.records`, JSON), written when the file is closed; rows are
//! written in row groups of [`ROW_GROUP`] rows as the record streams.

#![deny(clippy::string_slice, clippy::indexing_slicing)] // rows from any file: no unchecked index

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use parquet::basic::Compression;
use parquet::column::reader::ColumnReader;
use parquet::data_type::Int64Type;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;

use super::{Age, NrAccesses, RecordMeta, Region, Sink, Snapshot};
use crate::fmt::pynum::{I, Num};
use crate::outfile::AtomicFile;

/// The version of the row schema (the `schema` field of NDJSON's record
/// lines, `damo.schema_version` in Parquet).
pub const SCHEMA_VERSION: i64 = 1;

/// Rows per Parquet row group: what the writer holds before writing.
pub const ROW_GROUP: usize = 1 << 16;

/// A column: name, whether it is an unsigned 64-bit integer, whether it
/// may be null, what it holds.
pub struct Column {
    pub name: &'static str,
    pub unsigned: bool,
    pub nullable: bool,
    pub doc: &'static str,
}

const fn col(name: &'static str, unsigned: bool, nullable: bool, doc: &'static str) -> Column {
    Column {
        name,
        unsigned,
        nullable,
        doc,
    }
}

/// The row schema, in column order.
pub const COLUMNS: [Column; 14] = [
    col("kdamond", false, true, "index of the kdamond"),
    col(
        "context",
        false,
        true,
        "index of the context in the kdamond",
    ),
    col(
        "target",
        false,
        true,
        "target id (pid, or the target's index)",
    ),
    col(
        "scheme",
        false,
        true,
        "index of the snapshot's scheme (null: none)",
    ),
    col(
        "snapshot_start_ns",
        false,
        true,
        "when the snapshot started",
    ),
    col("snapshot_end_ns", false, false, "when the snapshot ended"),
    col(
        "snapshot_total_bytes",
        true,
        true,
        "bytes the snapshot covers, as its record says",
    ),
    col(
        "snapshot_sample_us",
        false,
        true,
        "the snapshot's own sampling interval (intervals auto-tuning)",
    ),
    col(
        "start",
        true,
        true,
        "region start address (null: a snapshot without regions)",
    ),
    col("end", true, true, "region end address (exclusive)"),
    col(
        "nr_accesses",
        false,
        true,
        "access samples per aggregation interval",
    ),
    col("age_aggrs", false, true, "age in aggregation intervals"),
    col("age_us", false, true, "age in microseconds"),
    col(
        "sz_filter_passed",
        true,
        true,
        "bytes that passed the scheme's filters",
    ),
];

type Row = [Option<i64>; 14];

/// `v` as an integer (floats rounded), or an error naming `what`.
fn int(v: Num, what: &str) -> Result<i64> {
    let out = match v {
        Num::I(i) => i64::try_from(i).ok(),
        Num::F(f) if f.is_finite() && f.abs() < 9.2e18 => {
            i64::try_from(Num::F(f.round()).trunc()).ok()
        }
        Num::F(_) => None,
    };
    out.ok_or_else(|| anyhow!("{what} {} does not fit a 64-bit integer column", v.repr()))
}

/// An unsigned value stored in an INT64 column (Parquet's UINT_64 is the
/// same bits).
fn unsigned(v: i128, what: &str) -> Result<i64> {
    u64::try_from(v)
        .map(|u| i64::from_ne_bytes(u.to_ne_bytes()))
        .map_err(|_| anyhow!("{what} {v} is not an unsigned 64-bit value"))
}

fn from_unsigned(v: i64) -> i128 {
    i128::from(u64::from_ne_bytes(v.to_ne_bytes()))
}

/// The rows of one snapshot.
fn rows(meta: &RecordMeta, s: &Snapshot, mut push: impl FnMut(Row) -> Result<()>) -> Result<()> {
    let head = [
        meta.kdamond_idx,
        meta.context_idx,
        meta.target_id.map(|t| int(t, "target_id")).transpose()?,
        meta.scheme_idx,
        s.start_time.map(|t| int(t, "snapshot start")).transpose()?,
        Some(int(s.end_time, "snapshot end")?),
        Some(unsigned(s.total_bytes.trunc(), "total_bytes")?),
        s.sample_interval_us
            .map(|v| int(v, "sample_interval_us"))
            .transpose()?,
    ];
    let row = |r: Option<&Region>| -> Result<Row> {
        let mut row: Row = [None; 14];
        for (slot, v) in row.iter_mut().zip(head) {
            *slot = v;
        }
        if let Some(r) = r {
            let samples = r.nr_accesses.as_ref().and_then(|n| n.samples);
            let tail = [
                Some(unsigned(r.start, "region start")?),
                Some(unsigned(r.end, "region end")?),
                samples.map(|v| int(v, "nr_accesses")).transpose()?,
                r.age.aggr_intervals.map(|v| int(v, "age")).transpose()?,
                r.age.usec.map(|v| int(v, "age")).transpose()?,
                r.sz_filter_passed
                    .map(|v| unsigned(v, "sz_filter_passed"))
                    .transpose()?,
            ];
            for (slot, v) in row.iter_mut().skip(8).zip(tail) {
                *slot = v;
            }
        }
        Ok(row)
    };
    if s.regions.is_empty() {
        return push(row(None)?);
    }
    for r in &s.regions {
        push(row(Some(r))?)?;
    }
    Ok(())
}

/// A record's metadata as the JSON the Parquet footer keeps.
fn meta_json(meta: &RecordMeta) -> Result<serde_json::Value> {
    let intervals = match &meta.intervals {
        Some(iv) => serde_json::from_str(&iv.to_js(true, false).to_text(false))
            .context("intervals as JSON")?,
        None => serde_json::Value::Null,
    };
    Ok(serde_json::json!({
        "kdamond": meta.kdamond_idx,
        "context": meta.context_idx,
        "scheme": meta.scheme_idx,
        "target": meta.target_id.map(|t| int(t, "target_id")).transpose()?,
        "intervals": intervals,
        "scheme_filters": meta.scheme_filters,
        "data_source": meta.data_source,
    }))
}

/// The key of a row's record.
type Key = [Option<i64>; 4];

fn key_of_meta(m: &RecordMeta) -> Result<Key> {
    Ok([
        m.kdamond_idx,
        m.context_idx,
        m.target_id.map(|t| int(t, "target_id")).transpose()?,
        m.scheme_idx,
    ])
}

// ---- Parquet ---------------------------------------------------------------

/// Writes a Parquet record file: a sink, committed atomically.
pub struct ParquetWriter {
    w: Option<SerializedFileWriter<AtomicFile>>,
    cols: Vec<Vec<Option<i64>>>,
    records: Vec<serde_json::Value>,
    path: std::path::PathBuf,
}

fn message_type() -> String {
    let mut m = String::from("message damon_region {\n");
    for c in &COLUMNS {
        m.push_str(&format!(
            "  {} INT64 {}{};\n",
            if c.nullable { "OPTIONAL" } else { "REQUIRED" },
            c.name,
            if c.unsigned {
                " (INTEGER(64,false))"
            } else {
                ""
            }
        ));
    }
    m.push('}');
    m
}

impl ParquetWriter {
    pub fn create(path: &Path) -> Result<Self> {
        let f = AtomicFile::create(path)?;
        let schema = Arc::new(
            parquet::schema::parser::parse_message_type(&message_type())
                .context("the Parquet schema")?,
        );
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("damo {} (Rust)", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        let w = SerializedFileWriter::new(f, schema, props)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(ParquetWriter {
            w: Some(w),
            cols: vec![Vec::with_capacity(ROW_GROUP); COLUMNS.len()],
            records: Vec::new(),
            path: path.to_path_buf(),
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> anyhow::Error {
        anyhow!("writing {} failed: {e}", self.path.display())
    }

    fn flush_group(&mut self) -> Result<()> {
        if self.cols.first().is_none_or(Vec::is_empty) {
            return Ok(());
        }
        let Some(w) = self.w.as_mut() else {
            bail!("{} is already closed", self.path.display());
        };
        let mut rg = w.next_row_group().map_err(|e| anyhow!("{e}"))?;
        for (c, spec) in self.cols.iter_mut().zip(&COLUMNS) {
            let mut cw = rg
                .next_column()
                .map_err(|e| anyhow!("{e}"))?
                .ok_or_else(|| anyhow!("column {} missing", spec.name))?;
            let vals: Vec<i64> = c.iter().flatten().copied().collect();
            let defs: Vec<i16> = c.iter().map(|v| i16::from(v.is_some())).collect();
            cw.typed::<Int64Type>()
                .write_batch(&vals, spec.nullable.then_some(&defs[..]), None)
                .map_err(|e| anyhow!("{e}"))?;
            cw.close().map_err(|e| anyhow!("{e}"))?;
            c.clear();
        }
        rg.close().map_err(|e| anyhow!("{e}"))?;
        Ok(())
    }

    /// Writes the last row group and the footer, and moves the file into
    /// place.
    pub fn commit(mut self, mode: Option<u32>) -> Result<()> {
        self.flush_group().map_err(|e| self.err(e))?;
        let Some(mut w) = self.w.take() else {
            bail!("{} is already closed", self.path.display());
        };
        for (k, v) in [
            ("damo.schema_version", SCHEMA_VERSION.to_string()),
            (
                "damo.records",
                serde_json::Value::from(self.records.clone()).to_string(),
            ),
        ] {
            w.append_key_value_metadata(KeyValue::new(k.to_string(), v));
        }
        let f = w.into_inner().map_err(|e| self.err(e))?;
        f.commit(mode)
    }
}

impl Sink for ParquetWriter {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.records.push(meta_json(meta)?);
        Ok(())
    }
    fn snapshot(&mut self, meta: &RecordMeta, snapshot: Snapshot) -> Result<()> {
        let mut full = false;
        rows(meta, &snapshot, |row| {
            for (c, v) in self.cols.iter_mut().zip(row) {
                c.push(v);
            }
            full = self.cols.first().is_some_and(|c| c.len() >= ROW_GROUP);
            Ok(())
        })?;
        if full {
            self.flush_group().map_err(|e| self.err(e))?;
        }
        Ok(())
    }
    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        // keys after the snapshots (data_source) are known only now
        if let Some(last) = self.records.last_mut() {
            *last = meta_json(meta)?;
        }
        Ok(())
    }
}

/// Whether `path` is a Parquet file (its magic number).
pub fn is_parquet(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"PAR1"
}

/// One column of a row group, null where absent.
fn read_column(
    rg: &dyn parquet::file::reader::RowGroupReader,
    idx: usize,
    rows: usize,
) -> Result<Vec<Option<i64>>> {
    let max_def = rg.metadata().column(idx).column_descr().max_def_level();
    let mut defs = Vec::with_capacity(rows);
    let vals: Vec<i64> = match rg.get_column_reader(idx).map_err(|e| anyhow!("{e}"))? {
        ColumnReader::Int64ColumnReader(mut r) => {
            let mut v = Vec::with_capacity(rows);
            r.read_records(rows, Some(&mut defs), None, &mut v)
                .map_err(|e| anyhow!("{e}"))?;
            v
        }
        ColumnReader::Int32ColumnReader(mut r) => {
            let mut v = Vec::with_capacity(rows);
            r.read_records(rows, Some(&mut defs), None, &mut v)
                .map_err(|e| anyhow!("{e}"))?;
            v.into_iter().map(i64::from).collect()
        }
        _ => bail!("column {idx} is not an integer column"),
    };
    if max_def == 0 {
        return Ok(vals.into_iter().map(Some).collect());
    }
    let mut it = vals.into_iter();
    Ok(defs
        .iter()
        .map(|d| if *d == max_def { it.next() } else { None })
        .collect())
}

/// A snapshot being rebuilt: start, end, total bytes, sampling interval,
/// regions.
type Snap = (Option<i64>, i64, Option<i64>, Option<i64>, Vec<Region>);

/// Rows read back into records and snapshots for a sink.
struct Rebuild<'s> {
    sink: &'s mut dyn Sink,
    metas: Vec<RecordMeta>,
    seen: HashSet<Key>,
    current: Option<(Key, RecordMeta)>,
    snap: Option<Snap>,
}

impl Rebuild<'_> {
    fn flush_snapshot(&mut self) -> Result<()> {
        if let (Some((start, end, total, sample_us, regions)), Some((_, meta))) =
            (self.snap.take(), &self.current)
        {
            let mut s = Snapshot::new(start.map(|v| I(i128::from(v))), I(i128::from(end)), regions);
            if let Some(t) = total {
                s.total_bytes = I(from_unsigned(t));
            }
            s.sample_interval_us = sample_us.map(|v| I(i128::from(v)));
            self.sink.snapshot(meta, s)?;
        }
        Ok(())
    }

    fn end_record(&mut self) -> Result<()> {
        self.flush_snapshot()?;
        if let Some((_, meta)) = self.current.take() {
            self.sink.record_end(&meta)?;
        }
        Ok(())
    }

    fn row(&mut self, r: &Row) -> Result<()> {
        let [
            kd,
            ctx,
            target,
            scheme,
            start_ns,
            end_ns,
            total,
            sample_us,
            start,
            end,
            nr,
            aggrs,
            us,
            passed,
        ] = *r;
        let key: Key = [kd, ctx, target, scheme];
        if self.current.as_ref().map(|(k, _)| *k) != Some(key) {
            self.end_record()?;
            if !self.seen.insert(key) {
                bail!(
                    "the rows of one record (kdamond {kd:?}, context {ctx:?}, target {target:?}) \
                     are not together: sort them by kdamond, context, target, scheme and \
                     snapshot_end_ns"
                );
            }
            let meta = self
                .metas
                .iter()
                .find(|m| key_of_meta(m).ok() == Some(key))
                .cloned()
                .unwrap_or_else(|| RecordMeta {
                    kdamond_idx: kd,
                    context_idx: ctx,
                    target_id: target.map(|t| I(i128::from(t))),
                    scheme_idx: scheme,
                    ..RecordMeta::default()
                });
            self.sink.record_start(&meta)?;
            self.current = Some((key, meta));
        }
        let end_ns = end_ns.ok_or_else(|| anyhow!("a row has no snapshot_end_ns"))?;
        if self
            .snap
            .as_ref()
            .is_none_or(|(s, e, _, _, _)| (*s, *e) != (start_ns, end_ns))
        {
            self.flush_snapshot()?;
            self.snap = Some((start_ns, end_ns, total, sample_us, Vec::new()));
        }
        if let (Some(start), Some(end), Some((_, _, _, _, regions))) =
            (start, end, self.snap.as_mut())
        {
            regions.push(Region {
                start: from_unsigned(start),
                end: from_unsigned(end),
                nr_accesses: nr.map(|n| NrAccesses {
                    samples: Some(I(i128::from(n))),
                    percent: None,
                }),
                age: Age {
                    usec: us.map(|v| I(i128::from(v))),
                    aggr_intervals: aggrs.map(|v| I(i128::from(v))),
                },
                probe_hits: Vec::new(),
                sz_filter_passed: passed.map(from_unsigned),
            });
        }
        Ok(())
    }
}

fn metas_of(kv: Option<&Vec<KeyValue>>) -> Result<Vec<RecordMeta>> {
    let Some(text) = kv
        .into_iter()
        .flatten()
        .find(|kv| kv.key == "damo.records")
        .and_then(|kv| kv.value.as_deref())
    else {
        return Ok(Vec::new());
    };
    let list: Vec<serde_json::Value> =
        serde_json::from_str(text).context("its damo.records metadata is not valid JSON")?;
    list.iter()
        .map(|v| {
            let opt = |k: &str| v.get(k).and_then(serde_json::Value::as_i64);
            Ok(RecordMeta {
                kdamond_idx: opt("kdamond"),
                context_idx: opt("context"),
                scheme_idx: opt("scheme"),
                target_id: opt("target").map(|t| I(i128::from(t))),
                intervals: match v.get("intervals") {
                    Some(iv) if !iv.is_null() => Some(
                        super::json::parse_intervals(iv)
                            .map_err(|e| anyhow!("its damo.records metadata: {e}"))?,
                    ),
                    _ => None,
                },
                scheme_filters: v
                    .get("scheme_filters")
                    .and_then(|f| f.as_array().cloned())
                    .unwrap_or_default(),
                data_source: v
                    .get("data_source")
                    .and_then(|d| d.as_str())
                    .unwrap_or("unknown")
                    .to_string(),
            })
        })
        .collect()
}

/// Reads a Parquet record file (this schema's columns, found by name) into
/// `sink`, one row group at a time.
pub fn read_parquet(path: &Path, sink: &mut dyn Sink) -> Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let r =
        SerializedFileReader::new(file).map_err(|e| anyhow!("not a valid Parquet file: {e}"))?;
    let md = r.metadata();
    let schema = md.file_metadata().schema_descr();
    let idx: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| (0..schema.num_columns()).find(|&i| schema.column(i).name() == c.name))
        .collect();
    for (c, i) in COLUMNS.iter().zip(&idx) {
        if i.is_none() && (c.name == "snapshot_end_ns" || c.name == "start" || c.name == "end") {
            bail!(
                "its column '{}' is missing: not a damo Parquet record",
                c.name
            );
        }
    }
    let mut rb = Rebuild {
        sink,
        metas: metas_of(md.file_metadata().key_value_metadata())?,
        seen: HashSet::new(),
        current: None,
        snap: None,
    };
    for g in 0..md.num_row_groups() {
        let rg = r
            .get_row_group(g)
            .map_err(|e| anyhow!("row group {g}: {e}"))?;
        let n = usize::try_from(rg.metadata().num_rows()).unwrap_or(0);
        let cols = idx
            .iter()
            .map(|i| match i {
                Some(i) => read_column(&*rg, *i, n),
                None => Ok(vec![None; n]),
            })
            .collect::<Result<Vec<_>>>()
            .with_context(|| format!("row group {g}"))?;
        for i in 0..n {
            let mut row: Row = [None; 14];
            for (slot, c) in row.iter_mut().zip(&cols) {
                *slot = c.get(i).copied().flatten();
            }
            rb.row(&row)?;
        }
    }
    rb.end_record()
}

// ---- NDJSON ----------------------------------------------------------------

/// Writes NDJSON: a `file` line (the schema version), then per record a
/// `record` line (its intervals) and one `region` line per row of
/// [`COLUMNS`].
pub struct NdjsonWriter<W: Write> {
    out: W,
    started: bool,
}

impl<W: Write> NdjsonWriter<W> {
    pub fn new(out: W) -> Self {
        NdjsonWriter {
            out,
            started: false,
        }
    }

    /// The first line: the schema version (also of a file without records).
    fn head(&mut self) -> Result<()> {
        if !self.started {
            self.started = true;
            writeln!(
                self.out,
                "{{\"schema\":{SCHEMA_VERSION},\"type\":\"file\",\"created_by\":\"damo {}\"}}",
                env!("CARGO_PKG_VERSION")
            )?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<W> {
        self.head()?;
        Ok(self.out)
    }
}

/// One interval of NDJSON's record lines: its name and where it is.
type IntervalField = (&'static str, fn(&super::Intervals) -> Num);

/// The intervals of NDJSON's record lines.
const INTERVAL_FIELDS: [IntervalField; 7] = [
    ("sample_us", |i| i.sample),
    ("aggr_us", |i| i.aggr),
    ("ops_update_us", |i| i.ops_update),
    ("intervals_goal_access_bp", |i| i.goal.access_bp),
    ("intervals_goal_aggrs", |i| i.goal.aggrs),
    ("intervals_goal_min_sample_us", |i| i.goal.min_sample_us),
    ("intervals_goal_max_sample_us", |i| i.goal.max_sample_us),
];

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "null".into(), |v| v.to_string())
}

impl<W: Write> Sink for NdjsonWriter<W> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.head()?;
        let key = key_of_meta(meta)?;
        let iv = |f: fn(&super::Intervals) -> Num| -> Result<Option<i64>> {
            meta.intervals
                .as_ref()
                .map(|iv| int(f(iv), "interval"))
                .transpose()
        };
        write!(
            self.out,
            "{{\"type\":\"record\",\"kdamond\":{},\"context\":{},\"target\":{},\"scheme\":{}",
            opt(key[0]),
            opt(key[1]),
            opt(key[2]),
            opt(key[3]),
        )?;
        for (name, f) in INTERVAL_FIELDS {
            write!(self.out, ",\"{name}\":{}", opt(iv(f)?))?;
        }
        self.out.write_all(b"}\n")?;
        Ok(())
    }
    fn snapshot(&mut self, meta: &RecordMeta, snapshot: Snapshot) -> Result<()> {
        let out = &mut self.out;
        rows(meta, &snapshot, |row| {
            out.write_all(b"{\"type\":\"region\"")?;
            for (c, v) in COLUMNS.iter().zip(row) {
                match v {
                    Some(v) if c.unsigned => write!(out, ",\"{}\":{}", c.name, from_unsigned(v))?,
                    v => write!(out, ",\"{}\":{}", c.name, opt(v))?,
                }
            }
            out.write_all(b"}\n")?;
            Ok(())
        })
    }
}

/// Reads NDJSON written by [`NdjsonWriter`] (or by any tool writing the
/// same lines) into `sink`.
pub fn read_ndjson<R: std::io::BufRead>(input: R, sink: &mut dyn Sink) -> Result<()> {
    let mut rb = Rebuild {
        sink,
        metas: Vec::new(),
        seen: HashSet::new(),
        current: None,
        snap: None,
    };
    for (n, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("line {}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("line {}", n + 1))?;
        let get = |k: &str| v.get(k).and_then(serde_json::Value::as_i64);
        match v.get("type").and_then(|t| t.as_str()) {
            Some("file") => match get("schema") {
                Some(SCHEMA_VERSION) => {}
                other => bail!(
                    "line {}: schema {other:?}, not {SCHEMA_VERSION}: convert it with the damo that wrote it",
                    n + 1
                ),
            },
            Some("record") => {
                let n = |k: &str| get(k).map(|v| I(i128::from(v)));
                let iv = match (n("sample_us"), n("aggr_us"), n("ops_update_us")) {
                    (Some(sample), Some(aggr), Some(ops_update)) => Some(super::Intervals {
                        sample,
                        aggr,
                        ops_update,
                        goal: super::IntervalsGoal {
                            access_bp: n("intervals_goal_access_bp").unwrap_or(I(0)),
                            aggrs: n("intervals_goal_aggrs").unwrap_or(I(0)),
                            min_sample_us: n("intervals_goal_min_sample_us").unwrap_or(I(0)),
                            max_sample_us: n("intervals_goal_max_sample_us").unwrap_or(I(0)),
                        },
                    }),
                    _ => None,
                };
                rb.metas.push(RecordMeta {
                    kdamond_idx: get("kdamond"),
                    context_idx: get("context"),
                    target_id: get("target").map(|t| I(i128::from(t))),
                    scheme_idx: get("scheme"),
                    intervals: iv,
                    ..RecordMeta::default()
                });
            }
            Some("region") => {
                let mut row: Row = [None; 14];
                for (slot, c) in row.iter_mut().zip(&COLUMNS) {
                    *slot = match v.get(c.name) {
                        None | Some(serde_json::Value::Null) => None,
                        Some(x) if c.unsigned => Some(
                            x.as_u64()
                                .map(|u| i64::from_ne_bytes(u.to_ne_bytes()))
                                .ok_or_else(|| {
                                    anyhow!(
                                        "line {}: '{}' is not an unsigned integer",
                                        n + 1,
                                        c.name
                                    )
                                })?,
                        ),
                        Some(x) => Some(x.as_i64().ok_or_else(|| {
                            anyhow!("line {}: '{}' is not an integer", n + 1, c.name)
                        })?),
                    };
                }
                rb.row(&row).with_context(|| format!("line {}", n + 1))?;
            }
            _ => bail!(
                "line {}: no \"type\" of \"file\", \"record\" or \"region\"",
                n + 1
            ),
        }
    }
    rb.end_record()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests may panic
mod tests {
    use super::*;
    use crate::record::Collect;

    fn sample() -> Vec<crate::record::Record> {
        let reg = |start: i128, nr: i128| Region {
            start,
            end: start + 4096,
            nr_accesses: Some(NrAccesses {
                samples: Some(I(nr)),
                percent: None,
            }),
            age: Age {
                usec: None,
                aggr_intervals: Some(I(3)),
            },
            probe_hits: Vec::new(),
            sz_filter_passed: None,
        };
        let meta = RecordMeta {
            target_id: Some(I(42)),
            intervals: Some(crate::record::Intervals::default()),
            data_source: "tracepoint".into(),
            ..RecordMeta::default()
        };
        vec![crate::record::Record {
            meta,
            snapshots: vec![
                Snapshot::new(
                    Some(I(0)),
                    I(100),
                    vec![reg(0, 1), reg(u64::MAX as i128 - 4096, 0)],
                ),
                Snapshot::new(Some(I(100)), I(200), Vec::new()),
                Snapshot::new(Some(I(200)), I(300), vec![reg(8192, 5)]),
            ],
        }]
    }

    #[test]
    fn parquet_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.parquet");
        let recs = sample();
        let mut w = ParquetWriter::create(&p).unwrap();
        for r in &recs {
            w.record_start(&r.meta).unwrap();
            for s in &r.snapshots {
                w.snapshot(&r.meta, s.clone()).unwrap();
            }
            w.record_end(&r.meta).unwrap();
        }
        w.commit(None).unwrap();
        assert!(is_parquet(&p));
        let mut c = Collect::default();
        read_parquet(&p, &mut c).unwrap();
        assert_eq!(c.0, recs);
    }

    #[test]
    fn ndjson_lines() {
        let recs = sample();
        let mut w = NdjsonWriter::new(Vec::new());
        for r in &recs {
            w.record_start(&r.meta).unwrap();
            for s in &r.snapshots {
                w.snapshot(&r.meta, s.clone()).unwrap();
            }
        }
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0]["schema"], 1);
        assert_eq!(lines[1]["aggr_us"], 100_000);
        assert_eq!(lines[3]["start"], u64::MAX - 4096);
        assert!(lines[4]["start"].is_null() && lines[4]["snapshot_end_ns"] == 200);
        assert_eq!(lines[5]["nr_accesses"], 5);
        let mut c = Collect::default();
        read_ndjson(text.as_bytes(), &mut c).unwrap();
        let mut want = recs;
        // NDJSON keeps the intervals, not the filters or the data source
        want[0].meta.data_source = "unknown".into();
        assert_eq!(c.0, want);
    }
}
