//! `report wss`: the distribution of working set sizes over snapshots.

use anyhow::Result;

use super::dist::{self, Runs, Series};
use crate::cli::opts::{ReportWss, Sortby};
use crate::fmt::format_sz;
use crate::fmt::pynum::{I, Num};
use crate::record::adjust::Adjuster;
use crate::record::{RecordFiles, RecordMeta, Sink, Snapshot};

/// Working set size per snapshot, per target (in first-seen order; a
/// target seen again replaces its list, as damo's dict does), as runs of
/// equal sizes: memory stays flat on millions of empty snapshots.
struct WssCollector {
    acc_thres: Num,
    sz_thres: i128,
    dists: Vec<(Option<Num>, Runs)>,
    /// Index into `dists` by target id (see `record_end`).
    index: std::collections::HashMap<Option<Result<i128, u64>>, usize>,
    current: Runs,
}

impl Sink for WssCollector {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.current = Runs::default();
        Ok(())
    }

    fn snapshot(&mut self, _meta: &RecordMeta, s: Snapshot) -> Result<()> {
        let mut wss: i128 = 0;
        for r in &s.regions {
            if r.samples()? < self.acc_thres {
                continue;
            }
            if r.size() < self.sz_thres {
                continue;
            }
            wss += r.size();
        }
        self.current.push(I(wss));
        Ok(())
    }

    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        let d = std::mem::take(&mut self.current);
        // a dict keyed by target id, as damo's (5 and 5.0 are one key):
        // one lookup per record, so that many records stay linear
        let key = meta.target_id.map(|t| match t {
            Num::F(f) if f.fract() != 0.0 || !f.is_finite() => Err(f.to_bits()),
            t => Ok(t.trunc()),
        });
        match self.index.get(&key) {
            Some(&i) => {
                if let Some(slot) = self.dists.get_mut(i) {
                    slot.1 = d;
                }
            }
            None => {
                self.index.insert(key, self.dists.len());
                self.dists.push((meta.target_id, d));
            }
        }
        Ok(())
    }
}

/// Working set sizes per snapshot, per target, of records adjusted to
/// `work_time` windows after skipping `skip` snapshots; each target's
/// sizes sorted with `sort` (damo's `get_wss_dists`).
pub fn wss_dists(
    files: &RecordFiles,
    acc_thres: Num,
    sz_thres: i128,
    work_time: Num,
    skip: usize,
    sort: bool,
) -> Result<Vec<(Option<Num>, Runs)>> {
    let mut collector = WssCollector {
        acc_thres,
        sz_thres,
        dists: Vec::new(),
        index: Default::default(),
        current: Runs::default(),
    };
    {
        let mut adjuster = Adjuster::new(&mut collector, work_time, skip);
        files.read(&mut adjuster)?;
    }
    let mut dists = collector.dists;
    if sort {
        for (_, d) in dists.iter_mut() {
            d.sort();
        }
    }
    Ok(dists)
}

/// All targets' sizes summed per snapshot index (`--collapse_targets`).
pub fn collapse(dists: Vec<(Option<Num>, Runs)>) -> Vec<(Option<Num>, Runs)> {
    let mut collapsed = Runs::default();
    for (_, d) in &dists {
        let (mut a, mut b) = (collapsed.values(), d.values());
        let mut sum = Runs::default();
        loop {
            match (a.next(), b.next()) {
                (Some(x), Some(y)) => sum.push(x.add(y)),
                (Some(v), None) | (None, Some(v)) => sum.push(v),
                (None, None) => break,
            }
        }
        drop(a);
        collapsed = sum;
    }
    vec![(Some(I(0)), collapsed)]
}

/// `damo report wss`.
pub fn main(args: &ReportWss) -> Result<()> {
    let files = RecordFiles::new(&[args.input.as_str()]);
    files.check()?;
    let percentiles = dist::percentiles(&args.range)?;
    let sort = args.sortby != Some(Sortby::Time);
    let raw = args.raw_number;
    let work_time = I(args.work_time);
    let skip = usize::try_from(args.exclude_samples.max(0)).unwrap_or(usize::MAX);
    let acc_thres = I(args.acc_thres);
    let sz_thres = args.sz_thres;
    let mut dists = wss_dists(&files, acc_thres, sz_thres, work_time, skip, sort)?;
    if args.collapse_targets {
        dists = collapse(dists);
    }
    let tid = |t: &Option<Num>| t.map(|t| t.repr()).unwrap_or_else(|| "None".into());
    if let Some(path) = args.plot.as_deref() {
        let lists: Vec<(String, Vec<Num>)> =
            dists.iter().map(|(t, d)| (tid(t), d.to_vec())).collect();
        let series: Vec<(String, &[Num])> = lists
            .iter()
            .map(|(t, d)| (t.clone(), d.as_slice()))
            .collect();
        let all = args.all_wss;
        return dist::plot(
            path,
            &series,
            &percentiles,
            all,
            sort,
            "working set size (bytes)",
        );
    }
    let nr_cols = args.nr_cols_bar;
    let mut out = String::new();
    for (t, d) in &dists {
        out.push_str(&format!("# target_id\t{}\n", tid(t)));
        out.push_str(&dist::fmt_dists(
            "wss",
            d,
            &percentiles,
            args.all_wss,
            format_sz,
            raw,
            nr_cols,
        )?);
        out.push('\n');
    }
    crate::output::print(&out)
}
