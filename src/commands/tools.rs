//! Record tools: `adjust`, `convert_record_format`, `validate`.
//!
//! All stream: a record is read, filtered, re-aggregated and written one
//! snapshot at a time, so multi-GB records are handled in bounded memory.
//! Output files appear only when complete.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::conv::Choice;
use crate::cli::opts::{Adjust, ArgsAccessesFilter, ConvertRecordFormat, Validate};
use crate::fmt::pynum::{I, Num};
use crate::progress;
use crate::record::adjust::Adjuster;
use crate::record::filter::{Filtered, RecordFilter};
use crate::record::write::FileWriter;
use crate::record::{Format, RecordFiles, RecordMeta, Sink, Snapshot};

/// The record format an `--output_type`/`--format` choice names.
pub(crate) fn output_format(choice: &impl Choice) -> Result<Format> {
    let name = choice.as_str();
    Format::from_name(name).with_context(|| format!("unsupported output type {name}"))
}

/// `damo adjust`: filter and/or re-aggregate a record into a new file.
pub fn adjust(args: &Adjust) -> Result<()> {
    let mode = args.output_permission;
    let filter = RecordFilter::from_opts(&args.access_filter, None)?;
    let format = output_format(&args.output_type)?;
    let files = RecordFiles::new(&[args.input.as_str()]);
    files.check()?;
    let started = Instant::now();
    let mut writer = FileWriter::create(Path::new(&args.output), format)?;
    let (read, kept) = match args.aggregate_interval {
        Some(us) => {
            let skip = usize::try_from(args.skip.max(0)).unwrap_or(usize::MAX);
            let mut kept = Counted::new(Adjuster::new(&mut writer, I(us), skip));
            let mut read = Counted::new(Filtered::new(&mut kept, filter));
            files.read(&mut read)?;
            (read.regions, kept.regions)
        }
        None => {
            let mut kept = Counted::new(&mut writer);
            let mut read = Counted::new(Filtered::new(&mut kept, filter));
            files.read(&mut read)?;
            (read.regions, kept.regions)
        }
    };
    writer.commit(Some(mode))?;
    if read > 0 && kept == 0 {
        crate::output::warn(&format!(
            "no region of {} matched the given filters: {} holds no regions",
            args.input, args.output
        ));
    }
    progress::wrote(started, Path::new(&args.output));
    Ok(())
}

/// Passes records on, counting the regions it sees.
struct Counted<S> {
    inner: S,
    regions: usize,
}

impl<S: Sink> Counted<S> {
    fn new(inner: S) -> Self {
        Counted { inner, regions: 0 }
    }
}

impl<S: Sink> Sink for Counted<S> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.inner.record_start(meta)
    }
    fn snapshot(&mut self, meta: &RecordMeta, s: Snapshot) -> Result<()> {
        self.regions += s.regions.len();
        self.inner.snapshot(meta, s)
    }
    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        self.inner.record_end(meta)
    }
}

/// `damo convert_record_format`.
pub fn convert_record_format(args: &ConvertRecordFormat) -> Result<()> {
    let input = args.record_file.as_str();
    let output = args.output_file.as_deref().unwrap_or(input);
    let format = output_format(&args.format)?;
    let files = RecordFiles::new(&[input]);
    files.check()?;
    // The output may be the input: it is written aside and renamed over it
    // only once the input has been read completely.
    let started = Instant::now();
    let mut writer = FileWriter::create(Path::new(output), format)?;
    files.read(&mut writer)?;
    writer.commit(None)?;
    progress::wrote(started, Path::new(output));
    Ok(())
}

/// What `validate` checks, per damo.
struct Validator {
    aggr: Option<[i128; 2]>,
    nr_regions: Option<[i128; 2]>,
    nr_accesses: Option<[i128; 2]>,
    allow_error: f64,
    boundaries: Vec<[i128; 2]>,
}

fn in_range(v: Num, r: Option<[i128; 2]>) -> bool {
    r.is_none_or(|[lo, hi]| I(lo) <= v && v <= I(hi))
}

/// Counts snapshots per record (damo's error allowance depends on it).
#[derive(Default)]
struct Counter(Vec<usize>);

impl Sink for Counter {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.0.push(0);
        Ok(())
    }
    fn snapshot(&mut self, _meta: &RecordMeta, _s: Snapshot) -> Result<()> {
        if let Some(c) = self.0.last_mut() {
            *c += 1;
        }
        Ok(())
    }
}

/// Stops reading at the first failed check.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Invalid(String);

struct Check<'a> {
    v: &'a Validator,
    counts: &'a [usize],
    record: usize,
    allowed: f64,
    aggr_errors: usize,
    nr_regions_errors: usize,
}

impl Sink for Check<'_> {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        let n = self.counts.get(self.record).copied().unwrap_or(0);
        self.record += 1;
        self.allowed = n as f64 * self.v.allow_error / 100.0;
        self.aggr_errors = 0;
        self.nr_regions_errors = 0;
        Ok(())
    }

    fn snapshot(&mut self, _meta: &RecordMeta, s: Snapshot) -> Result<()> {
        let v = self.v;
        let aggr_us = s.end_time.sub(s.start()?).div(I(1000));
        if !in_range(aggr_us, v.aggr) {
            if (self.aggr_errors as f64) < self.allowed {
                self.aggr_errors += 1;
            } else if let Some([lo, hi]) = v.aggr {
                let msg = format!(
                    "invalid: expect {lo}<=aggregate interval<={hi} but {}",
                    aggr_us.fmt_d()
                );
                return Err(Invalid(msg).into());
            }
        }
        let n = s.regions.len();
        if !in_range(I(n as i128), v.nr_regions) {
            if (self.nr_regions_errors as f64) < self.allowed {
                self.nr_regions_errors += 1;
            } else if let Some([lo, hi]) = v.nr_regions {
                return Err(
                    Invalid(format!("invalid: expect {lo}<=nr_regions<={hi} but {n}")).into(),
                );
            }
        }
        match v.hard_error(&s)? {
            Some(msg) => Err(Invalid(msg).into()),
            None => Ok(()),
        }
    }
}

/// A record had more counted errors than it allows: find which one in a
/// second pass.
#[derive(Debug, thiserror::Error)]
#[error("more errors than allowed")]
struct OverAllowance;

/// The checks of [`Check`] in one pass: errors within the allowance are
/// counted, and the first of the others (which fail at once) is kept until
/// the record ends, when its length gives the allowance.
struct OnePass<'a> {
    v: &'a Validator,
    snapshots: usize,
    records: usize,
    aggr_errors: usize,
    nr_regions_errors: usize,
    first_hard: Option<String>,
}

impl Validator {
    /// The checks of a snapshot's regions, which fail at once (no
    /// allowance): the first failed one, in damo's words.
    fn hard_error(&self, s: &Snapshot) -> Result<Option<String>> {
        let v = self;
        for r in &s.regions {
            let (a, b) = (r.start, r.end);
            if a >= b {
                // (sic: damo's wording)
                return Ok(Some(format!("wrong regiosn [{a}, {b})")));
            }
            if !v.boundaries.is_empty() && !v.boundaries.iter().any(|x| a >= x[0] && b <= x[1]) {
                return Ok(Some(format!("region {a}-{b} out of the boundary")));
            }
            let samples = r.samples()?;
            if !in_range(samples, v.nr_accesses)
                && let Some([lo, hi]) = v.nr_accesses
            {
                return Ok(Some(format!(
                    "invalid: expect {lo}<=nr_accesses<={hi} but {}",
                    samples.fmt_d()
                )));
            }
        }
        Ok(None)
    }
}

impl Sink for OnePass<'_> {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.records += 1;
        self.snapshots = 0;
        self.aggr_errors = 0;
        self.nr_regions_errors = 0;
        self.first_hard = None;
        Ok(())
    }

    fn snapshot(&mut self, _meta: &RecordMeta, s: Snapshot) -> Result<()> {
        self.snapshots += 1;
        if self.first_hard.is_some() {
            // settled at the record's end; only its length matters now
            return Ok(());
        }
        let v = self.v;
        let aggr_us = s.end_time.sub(s.start()?).div(I(1000));
        if v.aggr.is_some() && !in_range(aggr_us, v.aggr) {
            self.aggr_errors += 1;
        }
        if v.nr_regions.is_some() && !in_range(I(s.regions.len() as i128), v.nr_regions) {
            self.nr_regions_errors += 1;
        }
        self.first_hard = v.hard_error(&s)?;
        Ok(())
    }

    fn record_end(&mut self, _meta: &RecordMeta) -> Result<()> {
        let allowed = self.snapshots as f64 * self.v.allow_error / 100.0;
        // Check fails at a counted error once `allowed` of them passed
        let over = |n: usize| n > 0 && ((n - 1) as f64) >= allowed;
        if over(self.aggr_errors) || over(self.nr_regions_errors) {
            return Err(OverAllowance.into());
        }
        match self.first_hard.take() {
            Some(msg) => Err(Invalid(msg).into()),
            None => Ok(()),
        }
    }
}

fn int_pair(values: &[i128]) -> Option<[i128; 2]> {
    match values {
        &[a, b] => Some([a, b]),
        _ => None,
    }
}

/// `damo validate`: silent with exit 0 when the record looks sane; prints
/// the failed check on stdout (as damo does) and returns false otherwise.
pub fn validate(args: &Validate) -> Result<bool> {
    // damon-tests passes the file as a positional argument.
    let input = args
        .record_file_positional
        .as_deref()
        .unwrap_or(&args.input);
    let boundaries = args.regions_boundary.clone().unwrap_or_default();
    let allow_error = args.allow_error;
    let files = RecordFiles::new(&[input]);
    files.check()?;
    let v = Validator {
        aggr: int_pair(&args.aggr),
        nr_regions: int_pair(&args.nr_regions),
        nr_accesses: int_pair(&args.nr_accesses),
        allow_error,
        boundaries,
    };
    match verdict(&v, &mut |sink| files.read(sink))? {
        Verdict::Valid => Ok(true),
        Verdict::NoRecords => {
            crate::output::print("target snapshots is zero\n")?;
            Ok(false)
        }
        Verdict::Invalid(msg) => {
            crate::output::print(&format!("{msg}\n"))?;
            Ok(false)
        }
    }
}

/// What `validate` finds.
#[derive(Debug, PartialEq)]
enum Verdict {
    Valid,
    NoRecords,
    /// The failed check, in damo's words.
    Invalid(String),
}

/// Validates what `read` feeds (all records, each time it is called).
/// One pass settles it unless a record has more interval or nr_regions
/// errors than it allows: the allowance depends on the record's length,
/// so only then does a second pass find the error that goes over it, as
/// damo does.
fn verdict(v: &Validator, read: &mut dyn FnMut(&mut dyn Sink) -> Result<()>) -> Result<Verdict> {
    let invalid = |e: anyhow::Error| match e.downcast::<Invalid>() {
        Ok(Invalid(msg)) => Ok(Verdict::Invalid(msg)),
        Err(e) => Err(e),
    };
    let mut one = OnePass {
        v,
        snapshots: 0,
        records: 0,
        aggr_errors: 0,
        nr_regions_errors: 0,
        first_hard: None,
    };
    match read(&mut one) {
        Ok(()) if one.records == 0 => return Ok(Verdict::NoRecords),
        Ok(()) => return Ok(Verdict::Valid),
        Err(e) if e.is::<OverAllowance>() => {}
        Err(e) => return invalid(e),
    }
    two_passes(v, read)
}

/// Counts each record's snapshots first, then checks with the allowance
/// known from the start (damo's order).
fn two_passes(v: &Validator, read: &mut dyn FnMut(&mut dyn Sink) -> Result<()>) -> Result<Verdict> {
    let mut counter = Counter::default();
    read(&mut counter)?;
    if counter.0.is_empty() {
        return Ok(Verdict::NoRecords);
    }
    let mut check = Check {
        v,
        counts: &counter.0,
        record: 0,
        allowed: 0.0,
        aggr_errors: 0,
        nr_regions_errors: 0,
    };
    match read(&mut check) {
        Ok(()) => Ok(Verdict::Valid),
        Err(e) => match e.downcast::<Invalid>() {
            Ok(Invalid(msg)) => Ok(Verdict::Invalid(msg)),
            Err(e) => Err(e),
        },
    }
}

/// `damo args accesses_filter`: the record filter the options describe,
/// as JSON or YAML (to save and reuse).
pub fn accesses_filter(args: &ArgsAccessesFilter) -> Result<()> {
    let filter = RecordFilter::from_opts(&args.access_filter, None)
        .map_err(|e| anyhow::anyhow!("converting arguments to filter failed ({e:#})"))?;
    let js = filter.to_js(args.raw);
    crate::output::print(&js.to_text(args.format == crate::cli::opts::Format::Yaml))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{NrAccesses, Region};

    /// A snapshot of kind `k`: 0 fine, 1 a wrong interval, 2 too many
    /// regions, 3 both, 4 a region that ends before it starts, 5 a wrong
    /// interval and such a region.
    fn snapshot(i: usize, k: usize) -> Snapshot {
        let t = i as i128 * 100_000_000;
        let aggr = if matches!(k, 1 | 3 | 5) {
            300_000_000
        } else {
            100_000_000
        };
        let region = |a: i128, b: i128| Region {
            start: a,
            end: b,
            nr_accesses: Some(NrAccesses {
                samples: Some(I(1)),
                percent: None,
            }),
            ..Region::default()
        };
        let mut regions = vec![region(4096, 8192)];
        if matches!(k, 2 | 3) {
            regions.push(region(8192, 12288));
        }
        if matches!(k, 4 | 5) {
            regions.push(region(20480, 16384));
        }
        Snapshot::new(Some(I(t)), I(t + aggr), regions)
    }

    fn feed(records: &[Vec<usize>], sink: &mut dyn Sink) -> Result<()> {
        let meta = RecordMeta::default();
        for r in records {
            sink.record_start(&meta)?;
            for (i, &k) in r.iter().enumerate() {
                sink.snapshot(&meta, snapshot(i, k))?;
            }
            sink.record_end(&meta)?;
        }
        Ok(())
    }

    #[test]
    fn one_pass_finds_what_two_passes_find() {
        let mut cases = 0;
        for allow in [0.0, 25.0, 50.0, 60.0, 100.0] {
            let v = Validator {
                aggr: Some([0, 200_000]),
                nr_regions: Some([1, 1]),
                nr_accesses: None,
                allow_error: allow,
                boundaries: Vec::new(),
            };
            // every record of four snapshots of six kinds, alone and
            // after a record with one wrong interval
            for code in 0..6usize.pow(4) {
                let rec: Vec<usize> = (0..4).map(|i| code / 6usize.pow(i) % 6).collect();
                for records in [vec![rec.clone()], vec![vec![0, 1, 0], rec]] {
                    let mut read = |s: &mut dyn Sink| feed(&records, s);
                    let want = two_passes(&v, &mut read).unwrap();
                    let got = verdict(&v, &mut read).unwrap();
                    assert_eq!(got, want, "allow {allow}%, records {records:?}");
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 5 * 1296 * 2);
        let v = Validator {
            aggr: None,
            nr_regions: None,
            nr_accesses: None,
            allow_error: 0.0,
            boundaries: Vec::new(),
        };
        assert_eq!(
            verdict(&v, &mut |s| feed(&[], s)).unwrap(),
            Verdict::NoRecords
        );
    }
}
