//! Record filters (`--sz_region`, `--access_rate`, `--age`, `--address`,
//! `--sz_snapshot`, `--snapshot_time`, `--snapshot_idx`, `--temperature`),
//! as a streaming stage between a reader and another sink.
//!
//! Filters apply in damo's order.  Like damo, the access-pattern filter
//! fills in each region's access rate (percent) and age in microseconds
//! when the record has intervals; those values are then part of what is
//! written or reported.

use anyhow::{Context, Result, bail};

use super::{Intervals, RecordMeta, Region, Sink, Snapshot};
use crate::cli::opts::AccessFilter;
use crate::damon::js::Js;
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::{self as units};

/// Which regions and snapshots to keep.
#[derive(Debug, Clone)]
pub struct RecordFilter {
    pub sz: [Num; 2],
    /// Access rate bounds in percent.
    pub access_rate: [Num; 2],
    /// Age bounds in microseconds.
    pub age_us: [Num; 2],
    pub address_ranges: Option<Vec<[Num; 2]>>,
    pub snapshot_sz_ranges: Option<Vec<[Num; 2]>>,
    pub snapshot_time_ranges: Option<Vec<[Num; 2]>>,
    pub snapshot_index_ranges: Option<Vec<[Num; 2]>>,
    pub temperature_ranges: Option<Vec<[i128; 2]>>,
    pub temperature_weights: [Num; 3],
}

/// damo's `parse_sort_bytes_ranges_input`: sorted, non-overlapping.
fn byte_ranges(input: &[Vec<Num>], what: &str) -> Result<Vec<[Num; 2]>> {
    let mut ranges = Vec::new();
    for r in input {
        let [a, b] = r.as_slice() else {
            bail!("wrong {what} input (two values per range)");
        };
        ranges.push([*a, *b]);
    }
    ranges.sort_by(|x, y| x[0].partial_cmp(&y[0]).unwrap_or(std::cmp::Ordering::Equal));
    for (i, r) in ranges.iter().enumerate() {
        if r[0] > r[1] {
            bail!(
                "wrong {what} input (start > end: {} {})",
                r[0].repr(),
                r[1].repr()
            );
        }
        if i > 0 && ranges[i - 1][1] > r[0] {
            bail!("wrong {what} input (overlapping range)");
        }
    }
    Ok(ranges)
}

/// `<start> <end>` occurrences; `None` when the option was not given.
fn pairs(input: &[Vec<Num>]) -> Result<Option<Vec<[Num; 2]>>> {
    if input.is_empty() {
        return Ok(None);
    }
    input
        .iter()
        .map(|p| match p.as_slice() {
            [a, b] => Ok([*a, *b]),
            _ => bail!("two values per range expected"),
        })
        .collect::<Result<_>>()
        .map(Some)
}

impl RecordFilter {
    /// damo's `RecordFilter.to_kvpairs` (`args accesses_filter`).
    pub fn to_js(&self, raw: bool) -> Js {
        use crate::damon::model::{AccessPattern, AgeUnit, NrAccUnit};
        let pattern = AccessPattern {
            sz_bytes: self.sz,
            nr_accesses: self.access_rate,
            nr_accesses_unit: NrAccUnit::Percent,
            age: self.age_us,
            age_unit: AgeUnit::Usec,
        };
        let sizes = |v: &Option<Vec<[Num; 2]>>| match v {
            None => Js::Null,
            Some(v) => Js::List(
                v.iter()
                    .map(|[a, b]| {
                        Js::List(vec![
                            Js::Str(units::format_sz(*a, raw)),
                            Js::Str(units::format_sz(*b, raw)),
                        ])
                    })
                    .collect(),
            ),
        };
        let nums = |v: &Option<Vec<[Num; 2]>>| match v {
            None => Js::Null,
            Some(v) => Js::List(
                v.iter()
                    .map(|[a, b]| Js::List(vec![Js::Num(*a), Js::Num(*b)]))
                    .collect(),
            ),
        };
        Js::Obj(vec![
            ("access_pattern".into(), pattern.to_js(raw)),
            ("address_ranges".into(), sizes(&self.address_ranges)),
            ("snapshot_sz_ranges".into(), sizes(&self.snapshot_sz_ranges)),
            (
                "snapshot_time_ranges".into(),
                nums(&self.snapshot_time_ranges),
            ),
            (
                "snapshot_index_ranges".into(),
                nums(&self.snapshot_index_ranges),
            ),
            (
                "temperature_ranges".into(),
                match &self.temperature_ranges {
                    None => Js::Null,
                    Some(v) => Js::List(
                        v.iter()
                            .map(|[a, b]| Js::List(vec![Js::Num(I(*a)), Js::Num(I(*b))]))
                            .collect(),
                    ),
                },
            ),
            (
                "temperature_weights".into(),
                Js::List(
                    self.temperature_weights
                        .iter()
                        .map(|w| Js::Num(*w))
                        .collect(),
                ),
            ),
        ])
    }

    /// Builds the filter from the record filter options; `report access`
    /// also weighs temperatures with its `--temperature_weights`.
    pub fn from_opts(args: &AccessFilter, temperature_weights: Option<&[i64]>) -> Result<Self> {
        let (sz, rate, age) = (&args.sz_region, &args.access_rate, &args.age);
        // the values are converted by the command line, which defaults
        // them to ["min", "max"]
        let bound =
            |v: &[Num], i: usize, f: fn(&str) -> Result<Num, units::ParseError>| match v.get(i) {
                Some(n) => Ok(*n),
                None => f(if i == 0 { "min" } else { "max" }).map_err(anyhow::Error::from),
            };
        let address_ranges = (!args.address.is_empty())
            .then(|| byte_ranges(&args.address, "--address"))
            .transpose()?;
        let snapshot_sz_ranges = (!args.sz_snapshot.is_empty())
            .then(|| byte_ranges(&args.sz_snapshot, "--sz_snapshot"))
            .transpose()?;
        let temperature_ranges = (!args.temperature.is_empty())
            .then(|| {
                args.temperature
                    .iter()
                    .map(|p| match p.as_slice() {
                        [a, b] => Ok([*a, *b]),
                        _ => bail!("wrong --temperature (two values per range)"),
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?;
        let temperature_weights = match temperature_weights {
            Some(&[a, b, c]) => [I(a.into()), I(b.into()), I(c.into())],
            _ => [I(0), I(100), I(100)],
        };
        Ok(RecordFilter {
            sz: [
                bound(sz, 0, units::text_to_bytes)?,
                bound(sz, 1, units::text_to_bytes)?,
            ],
            access_rate: [
                bound(rate, 0, units::text_to_percent)?,
                bound(rate, 1, units::text_to_percent)?,
            ],
            // damo parses --age values as microseconds (not the seconds
            // its help says).
            age_us: [
                bound(age, 0, units::text_to_us)?,
                bound(age, 1, units::text_to_us)?,
            ],
            address_ranges,
            snapshot_sz_ranges,
            snapshot_time_ranges: pairs(&args.snapshot_time).context("wrong --snapshot_time")?,
            snapshot_index_ranges: pairs(&args.snapshot_idx).context("wrong --snapshot_idx")?,
            temperature_ranges,
            temperature_weights,
        })
    }
}

/// damo's `DamonNrAccesses.add_unset_unit` and `DamonAge.add_unset_unit`.
pub fn add_unset_units(r: &mut Region, iv: &Intervals) -> Result<()> {
    let max_val = iv.aggr.div(iv.sample);
    let n = r.nr_accesses.get_or_insert_with(Default::default);
    if !(n.samples.is_some() && n.percent.is_some()) {
        if n.samples.is_none() {
            let p = n.percent.context("a region has no access frequency")?;
            n.samples = Some(I(p.mul(max_val).div(I(100)).trunc()));
        }
        if n.percent.is_none() {
            let s = n.samples.context("a region has no access frequency")?;
            n.percent = Some(I(s.mul(F(100.0)).div(max_val).trunc()));
        }
    }
    let a = &mut r.age;
    if !(a.usec.is_some() && a.aggr_intervals.is_some()) {
        if a.usec.is_none() {
            let ai = a.aggr_intervals.context("a region has no age")?;
            a.usec = Some(ai.mul(iv.aggr));
        } else if a.aggr_intervals.is_none() {
            let u = a.usec.context("a region has no age")?;
            a.aggr_intervals = Some(I(u.div(iv.aggr).trunc()));
        }
    }
    Ok(())
}

/// damo's `temperature_of`.
pub fn temperature_of(r: &Region, w: [Num; 3]) -> Result<Num> {
    temperature_of_sized(r, I(r.size()), w)
}

/// `temperature_of` of `r` cut to `size` bytes (the snapshot heatmap cuts
/// regions at column edges); same arithmetic order as damo.
pub fn temperature_of_sized(r: &Region, size: Num, w: [Num; 3]) -> Result<Num> {
    let percent = r
        .nr_accesses
        .as_ref()
        .and_then(|n| n.percent)
        .context("a region has no access rate")?;
    let usec = r.age.usec.context("a region has no age")?;
    let score = size.mul(w[0]).add(percent.mul(w[1])).add(usec.mul(w[2]));
    Ok(if percent > I(0) {
        score
    } else {
        I(-1).mul(score)
    })
}

fn in_any(v: Num, ranges: &[[Num; 2]]) -> bool {
    ranges.iter().any(|r| r[0] <= v && v <= r[1])
}

impl RecordFilter {
    fn region_of_pattern(&self, r: &mut Region, iv: Option<&Intervals>) -> Result<bool> {
        let sz = I(r.size());
        if sz < self.sz[0] || self.sz[1] < sz {
            return Ok(false);
        }
        let Some(iv) = iv else { return Ok(true) };
        add_unset_units(r, iv)?;
        let freq = r
            .nr_accesses
            .as_ref()
            .and_then(|n| n.percent)
            .unwrap_or(I(0));
        if freq < self.access_rate[0] || self.access_rate[1] < freq {
            return Ok(false);
        }
        let usec = r.age.usec.unwrap_or(I(0));
        if usec < self.age_us[0] || self.age_us[1] < usec {
            return Ok(false);
        }
        Ok(true)
    }

    /// Applies region filters to `s`; `false` if the snapshot is dropped
    /// by the size or time filters (index filters are the caller's).
    fn apply(&self, meta: &RecordMeta, s: &mut Snapshot) -> Result<bool> {
        let iv = meta.intervals.as_ref();
        let mut kept = Vec::with_capacity(s.regions.len());
        for mut r in std::mem::take(&mut s.regions) {
            if self.region_of_pattern(&mut r, iv)? {
                kept.push(r);
            }
        }
        s.regions = kept;
        if let Some(ranges) = &self.address_ranges {
            let mut clipped = Vec::new();
            for r in &s.regions {
                for [start, end] in ranges {
                    let (rs, re) = (I(r.start), I(r.end));
                    if re <= *start || *end <= rs {
                        continue;
                    }
                    let mut c = r.clone();
                    c.start = rs.max(*start).trunc();
                    c.end = re.min(*end).trunc();
                    clipped.push(c);
                }
            }
            s.regions = clipped;
            s.total_bytes = I(s.regions.iter().map(Region::size).sum());
        }
        if let Some(ranges) = &self.snapshot_sz_ranges
            && !in_any(s.total_bytes, ranges)
        {
            return Ok(false);
        }
        if let Some(ranges) = &self.snapshot_time_ranges {
            let start = s.start()?;
            if !ranges.iter().any(|r| start >= r[0] && s.end_time <= r[1]) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn apply_temperature(&self, meta: &RecordMeta, s: &mut Snapshot) -> Result<()> {
        let Some(ranges) = &self.temperature_ranges else {
            return Ok(());
        };
        let iv = meta
            .intervals
            .as_ref()
            .context("--temperature needs a record with monitoring intervals")?;
        let mut kept = Vec::new();
        for mut r in std::mem::take(&mut s.regions) {
            add_unset_units(&mut r, iv)?;
            let t = temperature_of(&r, self.temperature_weights)?;
            if ranges.iter().any(|[lo, hi]| I(*lo) <= t && t <= I(*hi)) {
                kept.push(r);
            }
        }
        s.regions = kept;
        s.total_bytes = I(s.regions.iter().map(Region::size).sum());
        Ok(())
    }
}

/// Streams filtered records into the next stage `inner`.
pub struct Filtered<S: Sink> {
    inner: S,
    filter: RecordFilter,
    /// Index of the next surviving snapshot in the current record.
    idx: i128,
}

impl<S: Sink> Filtered<S> {
    pub fn new(inner: S, filter: RecordFilter) -> Self {
        Filtered {
            inner,
            filter,
            idx: 0,
        }
    }
}

impl<S: Sink> Sink for Filtered<S> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.idx = 0;
        self.inner.record_start(meta)
    }

    fn snapshot(&mut self, meta: &RecordMeta, mut s: Snapshot) -> Result<()> {
        if !self.filter.apply(meta, &mut s)? {
            return Ok(());
        }
        let idx = I(self.idx);
        self.idx += 1;
        if let Some(ranges) = &self.filter.snapshot_index_ranges
            && !in_any(idx, ranges)
        {
            return Ok(());
        }
        self.filter.apply_temperature(meta, &mut s)?;
        self.inner.snapshot(meta, s)
    }

    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        self.inner.record_end(meta)
    }
}
