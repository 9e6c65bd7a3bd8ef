//! `report times`: the time intervals in which a record has regions of a
//! given access pattern (see the record filter options).

use anyhow::Result;

use crate::cli::opts::ReportTimes;
use crate::fmt::pynum::{I, Num};
use crate::record::filter::{Filtered, RecordFilter};
use crate::record::{RecordFiles, RecordMeta, Sink, Snapshot};

/// Joins consecutive matching snapshots into intervals.
#[derive(Default)]
struct Times(Vec<[Num; 2]>);

impl Sink for Times {
    fn snapshot(&mut self, _meta: &RecordMeta, s: Snapshot) -> Result<()> {
        if s.regions.is_empty() {
            return Ok(());
        }
        let start = s.start()?;
        match self.0.last_mut() {
            Some(last) if last[1] == start => last[1] = s.end_time,
            _ => self.0.push([start, s.end_time]),
        }
        Ok(())
    }
}

/// The time intervals (ns) in which the first of `--inputs` has regions
/// passing the record filter options.
pub fn matching_times(inputs: &[String], filter: RecordFilter) -> Result<Vec<[Num; 2]>> {
    let files = RecordFiles::new(&inputs[..inputs.len().min(1)]);
    files.check()?;
    let mut times = Times::default();
    files.read(&mut Filtered::new(&mut times, filter))?;
    Ok(times.0)
}

/// `damo report times`.
pub fn main(args: &ReportTimes) -> Result<()> {
    let filter = RecordFilter::from_opts(&args.access_filter, None)?;
    let times = Times(matching_times(&args.inputs, filter)?);
    let mut out = String::new();
    for [a, b] in &times.0 {
        let sec = |t: &Num| t.div(I(1_000_000_000)).f();
        out.push_str(&format!("{:.6}-{:.6}\n", sec(a), sec(b)));
    }
    // damo prints this after every interval; once is enough.
    if !times.0.is_empty() {
        out.push_str("# (seconds)\n");
    }
    crate::output::print(&out)
}
