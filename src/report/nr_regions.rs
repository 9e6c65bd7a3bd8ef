//! `report nr_regions`: the distribution of the number of DAMON regions
//! per snapshot.

use anyhow::{Result, bail};

use super::dist::{self, Runs, Series};
use crate::cli::opts::{ReportNrRegions, Sortby};
use crate::fmt::pynum::{F, I, Num};
use crate::record::{RecordFiles, RecordMeta, Sink, Snapshot};

/// damo skips the first snapshots, which are still converging.
const SKIP: usize = 20;

struct Counter {
    seen: usize,
    /// Runs of equal counts: flat memory on millions of empty snapshots.
    current: Runs,
    per_record: Vec<(Option<Num>, Runs)>,
}

impl Sink for Counter {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.seen = 0;
        self.current = Runs::default();
        Ok(())
    }
    fn snapshot(&mut self, _meta: &RecordMeta, s: Snapshot) -> Result<()> {
        self.seen += 1;
        if self.seen > SKIP {
            self.current.push(I(s.regions.len() as i128));
        }
        Ok(())
    }
    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        self.per_record
            .push((meta.target_id, std::mem::take(&mut self.current)));
        Ok(())
    }
}

/// `damo report nr_regions`.
pub fn main(args: &ReportNrRegions) -> Result<()> {
    let files = RecordFiles::new(&[args.input.as_str()]);
    files.check()?;
    let percentiles = match &args.range {
        Some(r) => dist::percentiles(r)?,
        None => vec![0, 25, 50, 75, 100],
    };
    let sort = args.sortby != Some(Sortby::Time);
    let mut c = Counter {
        seen: 0,
        current: Runs::default(),
        per_record: Vec::new(),
    };
    files.read(&mut c)?;
    let mut records = c.per_record;
    for (_, d) in records.iter_mut() {
        if sort {
            d.sort();
        }
    }
    let tid = |t: &Option<Num>| t.map(|t| t.repr()).unwrap_or_else(|| "None".into());
    if let Some(path) = args.plot.as_deref() {
        let lists: Vec<(String, Vec<Num>)> =
            records.iter().map(|(t, d)| (tid(t), d.to_vec())).collect();
        let series: Vec<(String, &[Num])> = lists
            .iter()
            .map(|(t, d)| (t.clone(), d.as_slice()))
            .collect();
        return dist::plot(
            path,
            &series,
            &percentiles,
            false,
            sort,
            "number of monitoring target regions",
        );
    }
    let mut out = String::from("# <percentile> <# regions>\n");
    for (t, d) in &records {
        if d.is_empty() {
            bail!(
                "record of target {} has no snapshots after the first {}; record longer",
                tid(t),
                SKIP
            );
        }
        out.push_str(&format!("# target_id\t{}\n", tid(t)));
        let sum = d.values().fold(I(0), |a, b| a.add(b));
        out.push_str(&format!(
            "# avr:\t{}\n",
            sum.div(I(d.len() as i128)).fmt_d()
        ));
        for p in &percentiles {
            // Python's int() of the position, and its negative indexing
            let len = d.len() as i128;
            let mut idx = F(*p as f64 / 100.0 * d.len() as f64).trunc();
            if idx == len {
                idx -= 1;
            }
            let i = if idx < 0 { idx + len } else { idx };
            let Some(v) = usize::try_from(i).ok().and_then(|i| d.get(i)) else {
                bail!("percentile {p} is out of range");
            };
            out.push_str(&format!("{}\t{}\n", p, v.fmt_d()));
        }
    }
    crate::output::print(&out)
}
