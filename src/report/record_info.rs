//! `report record_info` and the "guide" of a record: per (kdamond,
//! context, scheme, target), the monitored time span and the contiguous
//! address ranges, with how hot each range was.  `report heatmap` uses it
//! to pick default ranges.

use anyhow::{Context, Result, bail};

use crate::cli::opts::ReportRecordInfo;
use crate::fmt::pynum::{I, Num};
use crate::fmt::{format_sz, format_sz_accurate, format_time_ns};
use crate::record::spool::Source;
use crate::record::{RecordFiles, RecordMeta, Sink, Snapshot};

/// Identifies the records of one guide.
#[derive(Debug, Clone, PartialEq)]
pub struct GuideKey {
    pub kdamond_idx: Option<i64>,
    pub context_idx: Option<i64>,
    pub scheme_idx: Option<i64>,
    pub tid: Option<Num>,
}

impl GuideKey {
    pub fn of(meta: &RecordMeta) -> Self {
        GuideKey {
            kdamond_idx: meta.kdamond_idx,
            context_idx: meta.context_idx,
            scheme_idx: meta.scheme_idx,
            tid: meta.target_id,
        }
    }

    /// Python's `'%s %s %s %s'` identity (so 5 and 5.0 differ as in damo).
    fn id(&self) -> String {
        let o = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_else(|| "None".into());
        format!(
            "{} {} {} {}",
            o(self.kdamond_idx),
            o(self.context_idx),
            o(self.scheme_idx),
            self.tid.map(|t| t.repr()).unwrap_or_else(|| "None".into())
        )
    }
}

/// A contiguous address range of a guide.
#[derive(Debug, Clone)]
pub struct GuideRegion {
    pub start: i128,
    pub end: i128,
    pub heats: Option<i128>,
}

impl GuideRegion {
    pub fn heat_per_byte(&self) -> f64 {
        match self.heats {
            None => 0.0,
            // float(heats) / size, as damo computes it.
            Some(h) => h as f64 / (self.end - self.start) as f64,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Guide {
    pub key: GuideKey,
    id: String,
    pub start_time: Num,
    pub end_time: Num,
    lowest: i128,
    highest: i128,
    gaps: Vec<[i128; 2]>,
    pub contig_regions: Vec<GuideRegion>,
}

impl Guide {
    /// The monitored address ranges: lowest to highest minus the gaps.
    pub fn regions(&self) -> Vec<[i128; 2]> {
        let mut out = Vec::new();
        let mut start = self.lowest;
        for g in &self.gaps {
            out.push([start, g[0]]);
            start = g[1];
        }
        out.push([start, self.highest]);
        out
    }

    fn total_space(&self) -> i128 {
        self.regions().iter().map(|r| r[1] - r[0]).sum()
    }

    /// The contiguous region with the most accesses per byte.
    pub fn hottest(&self) -> Option<&GuideRegion> {
        let mut best: Option<&GuideRegion> = None;
        for r in &self.contig_regions {
            if best.is_none_or(|b| r.heat_per_byte() > b.heat_per_byte()) {
                best = Some(r);
            }
        }
        best
    }

    pub fn to_text(&self, raw: bool) -> String {
        let mut lines = Vec::new();
        if let Some(v) = self.key.kdamond_idx {
            lines.push(format!("kdamond_idx: {v}"));
        }
        if let Some(v) = self.key.context_idx {
            lines.push(format!("context_idx: {v}"));
        }
        if let Some(v) = self.key.scheme_idx {
            lines.push(format!("scheme_idx: {v}"));
        }
        if let Some(v) = self.key.tid {
            lines.push(format!("target_id: {}", v.repr()));
        }
        lines.push(format!(
            "time: [{}, {}) ({})",
            format_time_ns(self.start_time, raw),
            format_time_ns(self.end_time, raw),
            format_time_ns(self.end_time.sub(self.start_time), raw)
        ));
        for (i, r) in self.contig_regions.iter().enumerate() {
            lines.push(format!(
                "region\t{:2}: [{}, {}) ({})",
                i,
                format_sz_accurate(I(r.start), raw),
                format_sz_accurate(I(r.end), raw),
                format_sz(I(r.end - r.start), raw)
            ));
        }
        lines.join("\n")
    }
}

/// The earliest time a snapshot's regions describe (start minus the oldest
/// age).
pub fn oldest_monitor_time(meta: &RecordMeta, s: &Snapshot) -> Result<Num> {
    let start = s.start()?;
    let Some(iv) = &meta.intervals else {
        return Ok(start);
    };
    let mut longest = I(0);
    for r in &s.regions {
        let age = r
            .age
            .aggr_intervals
            .context("a region has no age although the record has intervals")?;
        if longest < age {
            longest = age;
        }
    }
    Ok(start.sub(longest.mul(iv.aggr.mul(I(1000)))))
}

/// Intersects gap lists the way damo does (gaps narrow but never vanish).
fn overlapping(gaps1: &[[i128; 2]], gaps2: &[[i128; 2]]) -> Vec<[i128; 2]> {
    gaps1
        .iter()
        .map(|r1| {
            let mut r1 = *r1;
            for r2 in gaps2 {
                if !(r1[1] < r2[0] || r2[1] < r1[0]) {
                    r1 = [r1[0].max(r2[0]), r1[1].min(r2[1])];
                }
            }
            r1
        })
        .collect()
}

/// The guides of a record set.
pub struct Guides {
    pub guides: Vec<Guide>,
    with_intervals: usize,
    without_intervals: usize,
}

impl Guides {
    /// damo refuses record sets of which only some records have intervals.
    pub fn check_intervals_consistency(&self) -> Result<()> {
        if self.with_intervals > 0 && self.without_intervals > 0 {
            bail!("some records have intervals while some do not; give records of one kind");
        }
        Ok(())
    }
}

/// The heats of a guide's contiguous ranges, gathered in the guide's own
/// pass so that `report heatmap` needs no second one for the hottest
/// range.  A region adds to every range it overlaps or touches, so the
/// heat of a range `[s, e]` is what all regions added minus what the
/// regions starting after `e` and those ending before `s` added (two sets
/// that cannot share a region while regions and ranges are not reversed).
/// Kept per region boundary; given up for the second pass when the
/// boundaries are too many to keep, a region is reversed or lacks its
/// samples (so that errors come in the same order as with two passes).
#[derive(Default)]
struct BoundaryHeats {
    /// wrapping sum and count of every contributing region
    total: (i128, u64),
    by_start: HashMap<i128, (i128, u64)>,
    by_end: HashMap<i128, (i128, u64)>,
}

/// How many region boundaries (starts plus ends, all guides together)
/// the one-pass heats keep before leaving the work to a second pass:
/// about 24 MB.  Real records have a few hundred.
const MAX_BOUNDARIES: usize = 1 << 18;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

fn bump(m: &mut HashMap<i128, (i128, u64)>, key: i128, add: i128) {
    let e = m.entry(key).or_insert((0, 0));
    *e = (e.0.wrapping_add(add), e.1 + 1);
}

impl BoundaryHeats {
    /// Adds a snapshot's regions; false when this must be left to a
    /// second pass.
    fn add(&mut self, s: &Snapshot) -> bool {
        for r in &s.regions {
            let Ok(samples) = r.samples() else {
                return false;
            };
            if samples.is_zero() {
                continue;
            }
            if r.start > r.end {
                return false;
            }
            let add = I(r.size()).mul(samples).trunc();
            self.total = (self.total.0.wrapping_add(add), self.total.1 + 1);
            bump(&mut self.by_start, r.start, add);
            bump(&mut self.by_end, r.end, add);
        }
        true
    }

    fn boundaries(&self) -> usize {
        self.by_start.len() + self.by_end.len()
    }

    /// Sets the heats of `ranges`, as the second pass would; false if a
    /// range is reversed.
    fn finish(self, ranges: &mut [GuideRegion]) -> bool {
        if ranges.iter().any(|r| r.start > r.end) {
            return false;
        }
        // regions starting after x: suffix sums over sorted starts;
        // regions ending before x: prefix sums over sorted ends
        let sums = |m: HashMap<i128, (i128, u64)>| {
            let mut v: Vec<(i128, (i128, u64))> = m.into_iter().collect();
            v.sort_unstable_by_key(|e| e.0);
            v
        };
        let starts = sums(self.by_start);
        let ends = sums(self.by_end);
        let mut after = vec![(0i128, 0u64); starts.len() + 1];
        for (i, (_, (h, n))) in starts.iter().enumerate().rev() {
            let (nh, nn) = after[i + 1];
            after[i] = (nh.wrapping_add(*h), nn + n);
        }
        let mut before = vec![(0i128, 0u64); ends.len() + 1];
        for (i, (_, (h, n))) in ends.iter().enumerate() {
            let (ph, pn) = before[i];
            before[i + 1] = (ph.wrapping_add(*h), pn + n);
        }
        for gr in ranges {
            let (ah, an) = after[starts.partition_point(|e| e.0 <= gr.end)];
            let (bh, bn) = before[ends.partition_point(|e| e.0 < gr.start)];
            let n = self.total.1 - an - bn;
            gr.heats = (n > 0).then(|| self.total.0.wrapping_sub(ah).wrapping_sub(bh));
        }
        true
    }
}

struct GuideBuilder {
    guides: Vec<Guide>,
    /// With the heats: per guide; `None` once given up.
    heats: Option<Vec<BoundaryHeats>>,
    /// Boundaries kept in `heats`, and how many may be.
    boundaries: usize,
    max_boundaries: usize,
    with_intervals: usize,
    without_intervals: usize,
    /// Guide index by id: one lookup per snapshot, so that a file of many
    /// records stays linear.
    index: std::collections::HashMap<String, usize>,
    /// The id of the record being read (computed once per record).
    current: String,
}

impl GuideBuilder {
    fn add_heats(&mut self, idx: usize, s: &Snapshot) {
        let Some(all) = &mut self.heats else {
            return;
        };
        if all.len() <= idx {
            all.resize_with(idx + 1, BoundaryHeats::default);
        }
        let Some(h) = all.get_mut(idx) else {
            return;
        };
        let before = h.boundaries();
        let kept = h.add(s);
        self.boundaries = self.boundaries - before + h.boundaries();
        if !kept || self.boundaries > self.max_boundaries {
            self.heats = None;
        }
    }
}

impl Sink for GuideBuilder {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        if meta.intervals.is_some() {
            self.with_intervals += 1;
        } else {
            self.without_intervals += 1;
        }
        self.current = GuideKey::of(meta).id();
        Ok(())
    }

    fn snapshot(&mut self, meta: &RecordMeta, s: Snapshot) -> Result<()> {
        let idx = match self.index.get(&self.current) {
            Some(i) => *i,
            None => {
                let id = self.current.clone();
                self.index.insert(id.clone(), self.guides.len());
                self.guides.push(Guide {
                    key: GuideKey::of(meta),
                    id,
                    start_time: oldest_monitor_time(meta, &s)?,
                    end_time: s.end_time,
                    lowest: 0,
                    highest: 0,
                    gaps: Vec::new(),
                    contig_regions: Vec::new(),
                });
                self.guides.len() - 1
            }
        };
        self.add_heats(idx, &s);
        let Some(g) = self.guides.get_mut(idx) else {
            return Ok(());
        };
        g.end_time = s.end_time;
        let mut last: i128 = 0;
        let mut gaps = Vec::new();
        // damo tests these with `not x`, so an address 0 counts as unset.
        for r in &s.regions {
            if g.lowest == 0 || r.start < g.lowest {
                g.lowest = r.start;
            }
            if g.highest == 0 || r.end > g.highest {
                g.highest = r.end;
            }
            if last == 0 {
                last = r.end;
                continue;
            }
            if last != r.start {
                gaps.push([last, r.start]);
            }
            last = r.end;
        }
        if g.gaps.is_empty() {
            g.gaps = gaps;
        } else {
            g.gaps = overlapping(&g.gaps, &gaps);
        }
        Ok(())
    }
}

struct HeatCounter<'a> {
    guides: &'a mut [Guide],
    index: std::collections::HashMap<String, usize>,
    /// The guide of the record being read.
    current: Option<usize>,
}

impl Sink for HeatCounter<'_> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.current = self.index.get(&GuideKey::of(meta).id()).copied();
        Ok(())
    }

    fn snapshot(&mut self, _meta: &RecordMeta, s: Snapshot) -> Result<()> {
        let Some(g) = self.current.and_then(|i| self.guides.get_mut(i)) else {
            return Ok(());
        };
        // sorted, disjoint ranges (the usual case): only those that can
        // overlap a region are visited, so many regions stay linear
        let sorted = g
            .contig_regions
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.end <= b.start));
        for r in &s.regions {
            let samples = r.samples()?;
            if samples.is_zero() {
                continue;
            }
            let add = I(r.size()).mul(samples).trunc();
            let from = if sorted {
                g.contig_regions.partition_point(|gr| gr.end < r.start)
            } else {
                0
            };
            for gr in g.contig_regions.iter_mut().skip(from) {
                if sorted && gr.start > r.end {
                    break;
                }
                if r.end < gr.start || gr.end < r.start {
                    continue;
                }
                gr.heats = Some(gr.heats.unwrap_or(0) + add);
            }
        }
        Ok(())
    }
}

/// Computes the guides of `files`, sorted by monitored space (largest
/// first).  With `heats`, also counts accesses per contiguous range (in
/// the same pass, or a second one over the files where that cannot be).
pub fn guides(files: &mut Source, heats: bool) -> Result<Guides> {
    guides_from(|sink| files.read(sink), heats, MAX_BOUNDARIES)
}

/// `guides` of what `read` feeds (once, or twice for a second pass).
fn guides_from(
    mut read: impl FnMut(&mut dyn Sink) -> Result<()>,
    heats: bool,
    max_boundaries: usize,
) -> Result<Guides> {
    let mut b = GuideBuilder {
        guides: Vec::new(),
        heats: heats.then(Vec::new),
        boundaries: 0,
        max_boundaries,
        with_intervals: 0,
        without_intervals: 0,
        index: Default::default(),
        current: String::new(),
    };
    read(&mut b)?;
    let mut guides = b.guides;
    for g in &mut guides {
        g.contig_regions = g
            .regions()
            .into_iter()
            .map(|[start, end]| GuideRegion {
                start,
                end,
                heats: None,
            })
            .collect();
    }
    let mut second_pass = heats;
    if let Some(mut all) = b.heats.take() {
        all.resize_with(guides.len(), BoundaryHeats::default);
        second_pass = false;
        for (g, h) in guides.iter_mut().zip(all) {
            if !h.finish(&mut g.contig_regions) {
                second_pass = true;
            }
        }
        if second_pass {
            guides
                .iter_mut()
                .flat_map(|g| &mut g.contig_regions)
                .for_each(|r| r.heats = None);
        }
    }
    if second_pass {
        let index = guides
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.clone(), i))
            .collect();
        read(&mut HeatCounter {
            guides: &mut guides,
            index,
            current: None,
        })?;
    }
    // Stable sort, largest first, as Python's sorted(reverse=True).
    guides.sort_by_key(|g| std::cmp::Reverse(g.total_space()));
    Ok(Guides {
        guides,
        with_intervals: b.with_intervals,
        without_intervals: b.without_intervals,
    })
}

/// The guide text of all records; `consistent` also refuses mixed
/// records as `report heatmap --guide` does.
pub fn guide_text(files: &RecordFiles, raw: bool, consistent: bool) -> Result<String> {
    let gs = guides(&mut Source::once(files.clone()), false)?;
    if consistent {
        gs.check_intervals_consistency()?;
    }
    let gs = gs.guides;
    if gs.is_empty() {
        bail!(crate::record::NO_SNAPSHOTS);
    }
    Ok(gs.iter().map(|g| g.to_text(raw) + "\n").collect())
}

/// `damo report record_info`.
pub fn main(args: &ReportRecordInfo) -> Result<()> {
    let files = RecordFiles::new(&args.input);
    files.check()?;
    let text = guide_text(&files, args.raw_numbers, false)?;
    crate::output::print(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::synth::{Params, generate};
    use crate::record::{NrAccesses, Region};

    fn region(start: i128, end: i128, samples: i128) -> Region {
        Region {
            start,
            end,
            nr_accesses: Some(NrAccesses {
                samples: Some(I(samples)),
                percent: None,
            }),
            ..Region::default()
        }
    }

    /// Hand-made snapshots: touching ranges, a region over a gap of a
    /// later snapshot, zero samples, gaps that change, an address 0.
    fn edges(sink: &mut dyn Sink) -> Result<()> {
        let meta = RecordMeta::default();
        sink.record_start(&meta)?;
        let snaps = [
            vec![region(0, 10, 1), region(10, 20, 0), region(30, 40, 3)],
            vec![region(5, 10, 2), region(20, 25, 7), region(28, 40, 1)],
            vec![region(5, 100, 4)],
            vec![region(1, 2, 0), region(50, 60, 9), region(60, 61, 2)],
            vec![region(40, 50, 5), region(70, 80, 1)],
        ];
        for (i, regions) in snaps.into_iter().enumerate() {
            let t = i as i128 * 100;
            sink.snapshot(&meta, Snapshot::new(Some(I(t)), I(t + 100), regions))?;
        }
        sink.record_end(&meta)
    }

    fn heats(g: &Guides) -> Vec<Vec<(i128, i128, Option<i128>)>> {
        g.guides
            .iter()
            .map(|g| {
                g.contig_regions
                    .iter()
                    .map(|r| (r.start, r.end, r.heats))
                    .collect()
            })
            .collect()
    }

    /// The one-pass heats equal the second pass's, and the limit on the
    /// boundaries falls back to the second pass.
    #[test]
    fn one_pass_heats_equal_two_passes() {
        type Source = Box<dyn Fn(&mut dyn Sink) -> Result<()>>;
        let mut sources: Vec<Source> = vec![Box::new(edges)];
        for (targets, damos, seed) in [(1, false, 1), (3, true, 7), (2, false, 42)] {
            let p = Params {
                targets,
                snapshots: 60,
                regions: 37,
                intervals: true,
                damos,
                seed,
            };
            sources.push(Box::new(move |sink| generate(&p, sink)));
        }
        for read in &sources {
            let one = guides_from(|s| read(s), true, MAX_BOUNDARIES).unwrap();
            let two = guides_from(|s| read(s), true, 0).unwrap();
            let (one, two) = (heats(&one), heats(&two));
            assert_eq!(one, two);
            assert!(one.iter().flatten().any(|r| r.2.is_some()));
        }
    }
}
