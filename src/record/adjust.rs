//! Re-aggregating snapshots into longer windows (damo's `adjust_records`),
//! as a streaming stage between a reader and another sink.
//!
//! The first `skip` snapshots of each record are dropped; the rest are
//! merged into windows spanning at least `interval_us`.  Within a window,
//! overlapping regions add the largest `nr_accesses` of the regions that
//! overlap them in each later snapshot; parts that overlap nothing are
//! added as new regions.  A trailing window shorter than the interval is
//! dropped, as damo does.

use anyhow::Result;

use super::{Age, NrAccesses, RecordMeta, Region, Sink, Snapshot};
use crate::fmt::pynum::{F, I, Num};

fn intersects(a: &Region, b: &Region) -> bool {
    !(a.end <= b.start || b.end <= a.start)
}

fn filter_passed_for(region: &Region, new_size: i128) -> Option<i128> {
    let passed = region.sz_filter_passed?;
    let ratio = I(passed).div(I(region.size()));
    Some(F(ratio.f() * new_size as f64).trunc())
}

fn part(region: &Region, start: i128, end: i128) -> Region {
    Region {
        start,
        end,
        nr_accesses: Some(NrAccesses {
            samples: region.nr_accesses.as_ref().and_then(|n| n.samples),
            percent: None,
        }),
        age: Age {
            usec: None,
            aggr_intervals: region.age.aggr_intervals,
        },
        probe_hits: Vec::new(),
        sz_filter_passed: filter_passed_for(region, end - start),
    }
}

/// Regions of a window being merged.
#[derive(Default)]
struct Window {
    regions: Vec<Region>,
    /// Whether `regions` is sorted and non-overlapping (enables appending
    /// without a scan).
    sorted: bool,
    start_time: Option<Num>,
}

impl Window {
    /// damo's `add_region`: `to_add[i]` is the largest access count seen
    /// for `regions[i]` in the current snapshot.
    fn add(&mut self, region: Region, to_add: &mut Vec<Option<Num>>) {
        let can_append = self.regions.is_empty()
            || (self.sorted && self.regions.last().is_some_and(|l| l.end <= region.start));
        if can_append {
            self.regions.push(region);
            to_add.push(None);
            return;
        }
        let Some(i) = self.regions.iter().position(|r| intersects(r, &region)) else {
            self.sorted = false;
            self.regions.push(region);
            to_add.push(None);
            return;
        };
        let samples = region
            .nr_accesses
            .as_ref()
            .and_then(|n| n.samples)
            .unwrap_or(I(0));
        to_add[i] = Some(match to_add[i] {
            None => samples,
            Some(prev) => prev.max(samples),
        });
        let r = &self.regions[i];
        let (rs, re) = (r.start, r.end);
        let mut parts = Vec::new();
        if region.start < rs {
            parts.push(part(&region, region.start, rs));
        }
        if re < region.end {
            parts.push(part(&region, re, region.end));
        }
        for p in parts {
            self.add(p, to_add);
        }
    }

    fn add_snapshot(&mut self, s: Snapshot) {
        if self.start_time.is_none() {
            self.start_time = s.start_time;
            self.sorted = true;
        }
        let mut to_add: Vec<Option<Num>> = vec![None; self.regions.len()];
        for r in s.regions {
            self.add(r, &mut to_add);
        }
        for (r, add) in self.regions.iter_mut().zip(to_add) {
            // Like damo, only the samples change; a percent filled in
            // earlier (by the record filter) is kept as it was.
            if let (Some(add), Some(n)) = (add, r.nr_accesses.as_mut()) {
                n.samples = Some(n.samples.unwrap_or(I(0)).add(add));
            }
        }
    }
}

/// Streams `inner` the adjusted records.
pub struct Adjuster<'a> {
    inner: &'a mut dyn Sink,
    interval_us: Num,
    skip: usize,
    seen: usize,
    window: Window,
}

impl<'a> Adjuster<'a> {
    pub fn new(inner: &'a mut dyn Sink, interval_us: Num, skip: usize) -> Self {
        Adjuster {
            inner,
            interval_us,
            skip,
            seen: 0,
            window: Window::default(),
        }
    }

    fn adjusted_meta(&self, meta: &RecordMeta) -> RecordMeta {
        let mut m = meta.clone();
        if let Some(iv) = m.intervals.as_mut() {
            iv.aggr = self.interval_us;
        }
        m
    }
}

impl Sink for Adjuster<'_> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.seen = 0;
        self.window = Window::default();
        let m = self.adjusted_meta(meta);
        self.inner.record_start(&m)
    }

    fn snapshot(&mut self, meta: &RecordMeta, s: Snapshot) -> Result<()> {
        self.seen += 1;
        if self.seen <= self.skip {
            return Ok(());
        }
        let end = s.end_time;
        self.window.add_snapshot(s);
        let start = self.window.start_time.unwrap_or(end);
        if end.sub(start) >= self.interval_us.mul(I(1000)) {
            let w = std::mem::take(&mut self.window);
            let merged = Snapshot::new(w.start_time, end, w.regions);
            let m = self.adjusted_meta(meta);
            self.inner.snapshot(&m, merged)?;
        }
        Ok(())
    }

    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        let m = self.adjusted_meta(meta);
        self.inner.record_end(&m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Collect;

    fn reg(start: i128, end: i128, samples: i128) -> Region {
        Region {
            start,
            end,
            nr_accesses: Some(NrAccesses {
                samples: Some(I(samples)),
                percent: None,
            }),
            age: Age {
                usec: None,
                aggr_intervals: Some(I(0)),
            },
            probe_hits: vec![],
            sz_filter_passed: Some(0),
        }
    }

    #[test]
    fn merges_max_of_overlaps() {
        // damo's example: 1-10:5, then 1-5:2 and 5-10:4 give 1-10:9.
        let meta = RecordMeta::default();
        let mut c = Collect::default();
        {
            let mut a = Adjuster::new(&mut c, I(2), 0);
            a.record_start(&meta).unwrap();
            a.snapshot(
                &meta,
                Snapshot::new(Some(I(0)), I(1000), vec![reg(1, 10, 5)]),
            )
            .unwrap();
            a.snapshot(
                &meta,
                Snapshot::new(Some(I(1000)), I(2000), vec![reg(1, 5, 2), reg(5, 10, 4)]),
            )
            .unwrap();
            a.snapshot(
                &meta,
                Snapshot::new(Some(I(2000)), I(3000), vec![reg(1, 10, 1)]),
            )
            .unwrap();
            a.record_end(&meta).unwrap();
        }
        let snaps = &c.0[0].snapshots;
        assert_eq!(snaps.len(), 1, "the short trailing window is dropped");
        assert_eq!(snaps[0].regions.len(), 1);
        assert_eq!(snaps[0].regions[0].samples().unwrap().repr(), "9");
        assert_eq!(snaps[0].start_time.unwrap().repr(), "0");
    }

    #[test]
    fn adds_uncovered_parts() {
        let meta = RecordMeta::default();
        let mut c = Collect::default();
        {
            let mut a = Adjuster::new(&mut c, I(2), 0);
            a.record_start(&meta).unwrap();
            a.snapshot(
                &meta,
                Snapshot::new(Some(I(0)), I(1000), vec![reg(10, 20, 1)]),
            )
            .unwrap();
            a.snapshot(
                &meta,
                Snapshot::new(Some(I(1000)), I(2000), vec![reg(0, 30, 3)]),
            )
            .unwrap();
            a.record_end(&meta).unwrap();
        }
        let r = &c.0[0].snapshots[0].regions;
        let got: Vec<(i128, i128, String)> = r
            .iter()
            .map(|x| (x.start, x.end, x.samples().unwrap().repr()))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, 20, "4".into()),
                (0, 10, "3".into()),
                (20, 30, "3".into())
            ]
        );
    }
}
