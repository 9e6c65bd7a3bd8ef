//! `report heatmap`: when (y) which addresses (x) were accessed how often
//! (color), on the terminal, as raw numbers, or as an image.
//!
//! Each pixel's heat is the time-and-space weighted average access
//! frequency of the regions overlapping it.  The arithmetic follows damo's
//! operation by operation (Python int/float rules included, see
//! `fmt::pynum`) so that raw output and colors come out identical.  Records
//! are streamed: one pass for the guide (default ranges), one for the
//! hottest range if needed, one to accumulate heat.

mod edit;
mod tui;

use anyhow::{Context, Result, bail};

use super::plot;
use super::record_info::{self, Guide, GuideKey};
use crate::cli::conv::{Choice as _, HeatmapOutput, Range, RangeBase};
use crate::cli::opts::{DrawRange, ReportHeatmap};
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::{format_sz, format_sz_accurate, format_time_ns};
use crate::record::spool::Source;
use crate::record::{Intervals, RecordFiles, RecordMeta, Region, Sink, Snapshot};

use super::color::{MAX_LEVEL, end as color_end, start as color_start};

/// What to draw: the record selection, ranges and resolution.
#[derive(Debug, Clone)]
pub struct Spec {
    pub key: GuideKey,
    pub time_range: [Num; 2],
    pub addr_range: [Num; 2],
    /// Rows (time) and columns (address).
    pub resol: [i64; 2],
    pub df_passed: bool,
    /// `--sort_temperature`: regions rearranged before drawing.
    pub sort: Option<TemperatureSort>,
}

/// `--sort_temperature`: within each of `ranges` (the address ranges of
/// the command line, fixed even when `--interactive_edit` moves the drawn
/// ones, as in damo), the regions are laid out coldest first.
#[derive(Debug, Clone)]
pub struct TemperatureSort {
    pub ranges: Vec<[Num; 2]>,
    /// size, access frequency and age weights (size: 0)
    pub weights: [Num; 3],
}

impl TemperatureSort {
    /// damo's `sort_regions_by_temperature` of one snapshot: the regions
    /// overlapping a range (touching counts) are cut to it, sorted by
    /// temperature (stably) and placed one after another from the range's
    /// start.  A region in two ranges is the same object in damo: cut and
    /// placed for the first, then again for the second, and listed twice
    /// with where the second put it; kept so.
    fn apply(&self, s: &mut Snapshot, iv: Option<&Intervals>) -> Result<()> {
        let iv = iv.context(
            "--sort_temperature needs the monitoring intervals, which this record lacks \
             (record it with 'damo record')",
        )?;
        let mut regions = std::mem::take(&mut s.regions);
        let mut order: Vec<usize> = Vec::new();
        for &[start, end] in &self.ranges {
            let mut picked = Vec::new();
            for (i, r) in regions.iter_mut().enumerate() {
                if end < I(r.start) || I(r.end) < start {
                    continue;
                }
                if I(r.start) < start {
                    r.start = start.trunc();
                }
                if end < I(r.end) {
                    r.end = end.trunc();
                }
                crate::record::filter::add_unset_units(r, iv)?;
                picked.push(i);
            }
            let mut keyed = Vec::with_capacity(picked.len());
            for i in picked {
                keyed.push((
                    crate::record::filter::temperature_of(&regions[i], self.weights)?,
                    i,
                ));
            }
            keyed.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
            let mut prev_end: Option<i128> = None;
            for &(_, i) in &keyed {
                let r = &mut regions[i];
                let new_start = prev_end.unwrap_or_else(|| start.trunc());
                let size = r.end - r.start;
                r.start = new_start;
                r.end = new_start + size;
                prev_end = Some(r.end);
            }
            order.extend(keyed.into_iter().map(|(_, i)| i));
        }
        s.regions = order.into_iter().map(|i| regions[i].clone()).collect();
        Ok(())
    }
}

/// A snapshot being added, with what damo looks at besides it.
#[derive(Clone, Copy)]
struct Observation<'a> {
    snap: &'a Snapshot,
    /// End time of the previous snapshot of the drawn records.
    last_end: Option<Num>,
    iv: Option<&'a Intervals>,
    df_passed: bool,
}

/// A region's part of `add_pixel_heat` in machine numbers (see
/// `HeatMap::fast_region`).
struct FastRegion {
    observe_start: i64,
    end_time: i64,
    start: i64,
    end: i64,
    heat_val: f64,
    time_unit: i64,
    addr_unit: i64,
    /// pixel time span times pixel size, as a float
    pts: f64,
}

/// An accumulated heatmap.
pub struct HeatMap {
    pub time_start: Num,
    pub time_unit: Num,
    pub time_resol: usize,
    pub addr_start: Num,
    pub addr_unit: Num,
    pub addr_resol: usize,
    /// "hz" when the records have intervals, else "samples".
    pub heat_unit: &'static str,
    /// Row-major pixel heats; `None` where nothing was observed.
    pub heats: Vec<Option<f64>>,
    pixel_times: Vec<i128>,
    pixel_addrs: Vec<i128>,
    /// Whether `fast_region` may be used (always, but in the test that
    /// compares it with the general arithmetic).
    fast_path: bool,
}

impl HeatMap {
    fn new(spec: &Spec) -> Result<Self> {
        let [ts, te] = spec.time_range;
        let [as_, ae] = spec.addr_range;
        let (tr, ar) = (spec.resol[0], spec.resol[1]);
        if tr <= 0 || ar <= 0 {
            bail!("--resol values must be positive (got {tr} {ar})");
        }
        let time_unit = te.sub(ts).floordiv(I(tr as i128));
        let addr_unit = ae.sub(as_).floordiv(I(ar as i128));
        if time_unit.is_zero() || time_unit < I(0) {
            bail!(
                "time range [{}, {}) is too short for {} rows; widen --time_range or lower --resol",
                ts.repr(),
                te.repr(),
                tr
            );
        }
        if addr_unit.is_zero() || addr_unit < I(0) {
            bail!(
                "address range [{}, {}) is too small for {} columns; widen --address_range or lower --resol",
                as_.repr(),
                ae.repr(),
                ar
            );
        }
        let (Ok(tr), Ok(ar)) = (usize::try_from(tr), usize::try_from(ar)) else {
            bail!("--resol {tr} {ar} is too large for this machine");
        };
        let pixel_times = (0..tr)
            .map(|i| ts.add(I(i as i128).mul(time_unit)).trunc())
            .collect();
        let pixel_addrs = (0..ar)
            .map(|j| as_.add(I(j as i128).mul(addr_unit)).trunc())
            .collect();
        Ok(HeatMap {
            time_start: ts,
            time_unit,
            time_resol: tr,
            addr_start: as_,
            addr_unit,
            addr_resol: ar,
            heat_unit: "samples",
            heats: vec![None; tr * ar],
            pixel_times,
            pixel_addrs,
            fast_path: true,
        })
    }

    fn time_idx(&self, t: Num) -> i128 {
        t.sub(self.time_start).div(self.time_unit).trunc()
    }

    fn addr_idx(&self, a: i128) -> i128 {
        I(a).sub(self.addr_start).div(self.addr_unit).trunc()
    }

    /// What damo's `add_pixel_heat` computes from the region and snapshot
    /// alone: when observation started and the heat value.  Computed once
    /// per region instead of once per pixel; same operations, same order.
    fn region_heat(&self, region: &Region, obs: &Observation) -> Result<(Num, Num)> {
        let Observation {
            snap,
            last_end,
            iv,
            df_passed,
        } = *obs;
        let mut observe_start = snap.start()?;
        if let Some(iv) = iv {
            let age = region.age.aggr_intervals.context("a region has no age")?;
            observe_start = observe_start.sub(age.mul(iv.aggr).mul(I(1000)));
            if let Some(le) = last_end
                && observe_start < le
            {
                observe_start = le;
            }
        }
        let samples = region.samples()?;
        let mut heat_val = match iv {
            Some(iv) => {
                let aggr_us = snapshot_aggr_us(snap, iv)?;
                samples.div(aggr_us.div(I(1_000_000)))
            }
            None => samples,
        };
        if df_passed {
            let passed = I(region.sz_filter_passed.unwrap_or(0));
            heat_val = heat_val.mul(passed).div(I(region.size()));
        }
        Ok((observe_start, heat_val))
    }

    fn add_pixel_heat(
        &mut self,
        row: usize,
        col: usize,
        region: &Region,
        end_time: Num,
        rh: (Num, Num),
    ) {
        let (observe_start, heat_val) = rh;
        let ptime = I(self.pixel_times[row]);
        let paddr = self.pixel_addrs[col];
        let t_start = observe_start.max(ptime);
        let t_end = end_time.min(ptime.add(self.time_unit));
        let account_time = t_end.sub(t_start);
        let a_start = I(region.start).max(I(paddr));
        let a_end = I(region.end).min(I(paddr).add(self.addr_unit));
        let account_sz = a_end.sub(a_start);
        let mut heat = heat_val.mul(account_time).mul(account_sz);
        let pts = self.time_unit.mul(self.addr_unit);
        let cell = &mut self.heats[row * self.addr_resol + col];
        if let Some(old) = *cell {
            heat = heat.add(F(old).mul(pts));
        }
        *cell = Some(heat.f() / pts.f());
    }

    /// The values of `add_pixel_heat` as machine numbers, when that gives
    /// Python's results: every time and address an int well inside 64
    /// bits (so sums and differences are exact), the heat a float (so
    /// each product is one float multiplication of the int converted,
    /// as Python does).  `None` sends the region the general way.
    fn fast_region(&self, region: &Region, end_time: Num, rh: (Num, Num)) -> Option<FastRegion> {
        const LIM: i128 = 1 << 60;
        if !self.fast_path {
            return None;
        }
        let small = |v: i128| (-LIM..LIM).contains(&v);
        let fit = |v: i128| i64::try_from(v).ok().filter(|_| small(v));
        let int = |n: Num| match n {
            I(v) => fit(v),
            _ => None,
        };
        let (observe_start, F(heat_val)) = rh else {
            return None;
        };
        let fast = FastRegion {
            observe_start: int(observe_start)?,
            end_time: int(end_time)?,
            start: fit(region.start)?,
            end: fit(region.end)?,
            heat_val,
            time_unit: int(self.time_unit)?,
            addr_unit: int(self.addr_unit)?,
            pts: self.time_unit.mul(self.addr_unit).f(),
        };
        let first_last = |v: &[i128]| [v.first().copied(), v.last().copied()];
        first_last(&self.pixel_times)
            .into_iter()
            .chain(first_last(&self.pixel_addrs))
            .all(|v| v.is_some_and(small))
            .then_some(fast)
    }

    /// `add_pixel_heat` for a region `fast_region` accepted.
    fn add_pixel_heat_fast(&mut self, row: usize, col: usize, r: &FastRegion) {
        let (Some(&ptime), Some(&paddr)) = (self.pixel_times.get(row), self.pixel_addrs.get(col))
        else {
            return;
        };
        // pixel coordinates were checked to fit (fast_region)
        let (Ok(ptime), Ok(paddr)) = (i64::try_from(ptime), i64::try_from(paddr)) else {
            return;
        };
        let account_time = r.end_time.min(ptime + r.time_unit) - r.observe_start.max(ptime);
        let account_sz = r.end.min(paddr + r.addr_unit) - r.start.max(paddr);
        let mut heat = r.heat_val * account_time as f64 * account_sz as f64;
        let Some(cell) = self.heats.get_mut(row * self.addr_resol + col) else {
            return;
        };
        if let Some(old) = *cell {
            heat += old * r.pts;
        }
        *cell = Some(heat / r.pts);
    }

    fn add_snapshot(&mut self, obs: &Observation) -> Result<()> {
        let Observation {
            snap, last_end, iv, ..
        } = *obs;
        let aggr_ns = iv.map(|iv| iv.aggr.mul(I(1000)));
        let map_addr_end = self
            .addr_start
            .add(self.addr_unit.mul(I(self.addr_resol as i128)));
        let snap_start = snap.start()?;
        for region in &snap.regions {
            if I(region.end) < self.addr_start || map_addr_end < I(region.start) {
                continue;
            }
            let mut start_time = snap_start;
            if let Some(aggr_ns) = aggr_ns {
                let age = region.age.aggr_intervals.context("a region has no age")?;
                start_time = start_time.sub(age.mul(aggr_ns));
            }
            if let Some(le) = last_end
                && start_time < le
            {
                start_time = le;
            }
            // damo walks every index and skips those off the map; walking
            // only the on-map ones gives the same result.
            let r0 = self.time_idx(start_time).max(0);
            let r1 = self
                .time_idx(snap.end_time)
                .min(self.time_resol as i128 - 1);
            let c0 = self.addr_idx(region.start).max(0);
            let c1 = self.addr_idx(region.end).min(self.addr_resol as i128 - 1);
            if r0 > r1 || c0 > c1 {
                continue;
            }
            let rh = self.region_heat(region, obs)?;
            let (rows, cols) = (r0 as usize..=r1 as usize, c0 as usize..=c1 as usize);
            if let Some(fast) = self.fast_region(region, snap.end_time, rh) {
                for row in rows {
                    for col in cols.clone() {
                        self.add_pixel_heat_fast(row, col, &fast);
                    }
                }
                continue;
            }
            for row in rows {
                for col in cols.clone() {
                    self.add_pixel_heat(row, col, region, snap.end_time, rh);
                }
            }
        }
        Ok(())
    }

    pub fn highest_lowest(&self) -> Option<(f64, f64)> {
        let mut hl: Option<(f64, f64)> = None;
        for h in self.heats.iter().flatten() {
            hl = Some(match hl {
                None => (*h, *h),
                Some((hi, lo)) => (if hi < *h { *h } else { hi }, if lo > *h { *h } else { lo }),
            });
        }
        hl
    }

    /// damo's `--output raw` lines: `<time>\t<addr>\t<heat>` per pixel.
    pub fn raw_text(&self, abs_time: bool, abs_addr: bool) -> String {
        // Times depend only on the row, addresses only on the column.
        let times = axis_labels(&self.pixel_times, self.time_start, abs_time);
        let addrs = axis_labels(&self.pixel_addrs, self.addr_start, abs_addr);
        let mut out = String::with_capacity(self.heats.len() * 32);
        for (row, t) in times.iter().enumerate() {
            for (col, a) in addrs.iter().enumerate() {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(t);
                out.push('\t');
                out.push_str(a);
                out.push('\t');
                match self.heats[row * self.addr_resol + col] {
                    Some(h) => out.push_str(&F(h).repr()),
                    None => out.push_str("NaN"),
                }
            }
        }
        out
    }

    /// The colored terminal map plus its legend lines.
    pub fn ascii_text(&self, set: &str, legend: bool) -> String {
        let mut lines: Vec<String> = Vec::new();
        let hl = self.highest_lowest();
        if let Some((highest, lowest)) = hl {
            let unit = (highest + 1.0 - lowest) / 9.0;
            for row in 0..self.time_resol {
                let mut line = String::with_capacity(self.addr_resol * 24);
                for col in 0..self.addr_resol {
                    match self.heats[row * self.addr_resol + col] {
                        None => {
                            line.push_str(&color_start(set, 4));
                            line.push(' ');
                        }
                        Some(h) => {
                            // int() truncation, capped at the top level.
                            let level = usize::try_from(F((h - lowest) / unit).trunc())
                                .unwrap_or(0)
                                .min(MAX_LEVEL);
                            line.push_str(&color_start(set, level));
                            line.push_str(&level.to_string());
                        }
                    }
                }
                line.push_str(color_end());
                lines.push(line);
            }
        }
        if legend {
            let samples = super::color::samples(set);
            let range = match hl {
                Some((highest, lowest)) => {
                    format!("{:.3}-{:.3} {}", lowest, highest, self.heat_unit)
                }
                // damo crashes here; we say what happened.
                None => "no accesses in the drawn ranges".to_string(),
            };
            lines.push(format!("# access_frequency: {samples} ({range})"));
        }
        let addr_len = self.addr_unit.mul(I(self.addr_resol as i128));
        let addr_end = self.addr_start.add(addr_len);
        lines.push(format!(
            "# x-axis: space [{}, {}) ({})",
            format_sz_accurate(self.addr_start, false),
            format_sz_accurate(addr_end, false),
            format_sz(addr_len, false)
        ));
        let time_len = self.time_unit.mul(I(self.time_resol as i128));
        let time_end = self.time_start.add(time_len);
        lines.push(format!(
            "# y-axis: time [{}, {}) ({})",
            format_time_ns(self.time_start, false),
            format_time_ns(time_end, false),
            format_time_ns(time_len, false)
        ));
        lines.push(format!(
            "# resolution: {}x{} ({} and {} for each character)",
            self.addr_resol,
            self.time_resol,
            format_sz(F(addr_len.f() / self.addr_resol as f64), false),
            format_time_ns(F(time_len.f() / self.time_resol as f64), false)
        ));
        lines.join("\n")
    }
}

/// Raw-output labels of pixel coordinates: absolute, or relative to the
/// range start (which may be a float, as in damo).
fn axis_labels(values: &[i128], start: Num, abs: bool) -> Vec<String> {
    values
        .iter()
        .map(|v| if abs { I(*v) } else { I(*v).sub(start) }.repr())
        .collect()
}

/// The aggregation interval (us) a snapshot was taken with, allowing for
/// intervals auto-tuning (damo's `snapshot_monitoring_intervals`).
pub fn snapshot_aggr_us(s: &Snapshot, iv: &Intervals) -> Result<Num> {
    if !iv.goal.enabled() {
        return Ok(iv.aggr);
    }
    let ratio = iv.aggr.div(iv.sample);
    if let Some(su) = s.sample_interval_us {
        return Ok(su.mul(ratio));
    }
    let snap_aggr = s.end_time.sub(s.start()?).div(I(1000));
    let rec_aggr = iv.aggr;
    if F(snap_aggr.sub(rec_aggr).f().abs()).div(rec_aggr).f() < 0.1 {
        return Ok(rec_aggr);
    }
    Ok(snap_aggr)
}

struct Accumulator<'a> {
    map: &'a mut HeatMap,
    key: &'a GuideKey,
    sort: Option<&'a TemperatureSort>,
    df_passed: bool,
    last_end: Option<Num>,
}

impl Sink for Accumulator<'_> {
    fn snapshot(&mut self, meta: &RecordMeta, s: Snapshot) -> Result<()> {
        if GuideKey::of(meta) != *self.key {
            return Ok(());
        }
        if meta.intervals.is_some() {
            self.map.heat_unit = "hz";
        }
        let mut s = s;
        if let Some(sort) = self.sort {
            sort.apply(&mut s, meta.intervals.as_ref())?;
        }
        self.map.add_snapshot(&Observation {
            snap: &s,
            last_end: self.last_end,
            iv: meta.intervals.as_ref(),
            df_passed: self.df_passed,
        })?;
        self.last_end = Some(s.end_time);
        Ok(())
    }
}

/// Builds the heatmap of `spec` from `files`.
pub fn build(files: &mut Source, spec: &Spec) -> Result<HeatMap> {
    let mut map = HeatMap::new(spec)?;
    let mut acc = Accumulator {
        map: &mut map,
        key: &spec.key,
        sort: spec.sort.as_ref(),
        df_passed: spec.df_passed,
        last_end: None,
    };
    files.read(&mut acc)?;
    Ok(map)
}

/// `--time_range <start> <end> [base]`.
fn time_range(user: Option<&Range>, guide: &Guide) -> [Num; 2] {
    let Some(r) = user else {
        return [guide.start_time, guide.end_time];
    };
    let base = match r.base {
        None => return [r.start, r.end],
        Some(RangeBase::Guided) => guide.start_time,
        Some(RangeBase::GuidedEnd) => guide.end_time,
        Some(RangeBase::At(b)) => b,
    };
    [base.add(r.start), base.add(r.end)]
}

fn guided_address_ranges(draw_range: DrawRange, guide: &Guide) -> Vec<[Num; 2]> {
    if draw_range == DrawRange::All {
        return guide
            .contig_regions
            .iter()
            .map(|r| [I(r.start), I(r.end)])
            .collect();
    }
    guide
        .hottest()
        .map(|r| vec![[I(r.start), I(r.end)]])
        .unwrap_or_default()
}

/// `--address_range` values, completed with guided ranges.  Like damo, a
/// malformed entry makes all ranges fall back to the guided ones.
fn address_ranges(user: &[Option<Range>], draw_range: DrawRange, guide: &Guide) -> Vec<[Num; 2]> {
    let guided = guided_address_ranges(draw_range, guide);
    let mut out = Vec::new();
    for (i, r) in user.iter().enumerate() {
        let Some(r) = r else {
            return guided;
        };
        let base = match r.base {
            None => {
                out.push([r.start, r.end]);
                continue;
            }
            Some(RangeBase::Guided) => match guided.get(i) {
                Some(g) => g[0],
                None => return guided,
            },
            Some(RangeBase::At(b)) => b,
            // addresses have no guided end: the command line refuses it
            Some(RangeBase::GuidedEnd) => return guided,
        };
        out.push([base.add(r.start), base.add(r.end)]);
    }
    if user.is_empty() { guided } else { out }
}

/// `damo report heatmap`.
pub fn main(args: &ReportHeatmap) -> Result<()> {
    let files = RecordFiles::new(&args.input);
    files.check()?;
    if args.guide || args.guide_human {
        let text = record_info::guide_text(&files, args.guide, true)?;
        return crate::output::print(&text);
    }
    let output = match &args.output {
        HeatmapOutput::Stdout => Drawn::Terminal,
        HeatmapOutput::Raw => Drawn::Raw,
        HeatmapOutput::Image(path) => Drawn::Image(plot::ImageKind::from_path(path)?, path),
    };
    let mut src = Source::new(files);
    let guides = record_info::guides(&mut src, args.draw_range == DrawRange::Hottest)?;
    guides.check_intervals_consistency()?;
    let guides = guides.guides;
    let first = guides.first().context(crate::record::NO_SNAPSHOTS)?;
    let key = GuideKey {
        kdamond_idx: args.kdamond_idx.or(first.key.kdamond_idx),
        context_idx: args.context_idx.or(first.key.context_idx),
        scheme_idx: args.scheme_idx.or(first.key.scheme_idx),
        tid: args.tid.map(I).or(first.key.tid),
    };
    let guide = guides.iter().find(|g| g.key == key).context(
        "no record matches the given --kdamond_idx/--context_idx/--scheme_idx/--tid; see --guide",
    )?;
    let trange = time_range(args.time_range.as_ref(), guide);
    let aranges = address_ranges(&args.address_range, args.draw_range, guide);
    let resol = match args.resol.as_deref() {
        Some(&[rows, cols]) => [rows, cols],
        _ if output == Drawn::Terminal => [40, 80],
        _ => [500, 500],
    };
    let sort = match args.sort_temperature {
        false => None,
        true => {
            let (freq, age) = match args.temperature_weights.as_slice() {
                [f, a] => (*f, *a),
                _ => (1.0, 1.0),
            };
            Some(TemperatureSort {
                ranges: aranges.clone(),
                weights: [I(0), F(freq), F(age)],
            })
        }
    };
    let draw = Draw {
        args,
        output,
        key,
        resol,
        sort,
    };
    if args.tui {
        return tui::run(&draw, &mut src, trange, &aranges);
    }
    if !args.interactive_edit {
        let text = draw.render(&mut src, trange, &aranges)?;
        return crate::output::print(&text);
    }
    edit::interactive(&draw, &mut src, trange, aranges)
}

/// Where the heatmap goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Drawn<'a> {
    /// colored cells on the terminal
    Terminal,
    /// the numbers
    Raw,
    /// an image file of this kind
    Image(plot::ImageKind, &'a str),
}

/// Everything but the ranges, which `--interactive_edit` changes.
struct Draw<'a> {
    args: &'a ReportHeatmap,
    output: Drawn<'a>,
    key: GuideKey,
    resol: [i64; 2],
    sort: Option<TemperatureSort>,
}

impl Draw<'_> {
    /// Draws one heatmap per address range: the text for the terminal
    /// (or raw numbers), or image files (numbered after the first).
    fn render(&self, src: &mut Source, trange: [Num; 2], aranges: &[[Num; 2]]) -> Result<String> {
        let args = self.args;
        let mut text = String::new();
        for (idx, arange) in aranges.iter().enumerate() {
            let spec = Spec {
                key: self.key.clone(),
                time_range: trange,
                addr_range: *arange,
                resol: self.resol,
                df_passed: args.df_passed,
                sort: self.sort.clone(),
            };
            let map = build(src, &spec)?;
            match self.output {
                Drawn::Terminal => {
                    text.push_str(&map.ascii_text(
                        args.stdout_colorset.as_str(),
                        !args.stdout_skip_colorset_example,
                    ));
                    text.push('\n');
                }
                Drawn::Raw => {
                    text.push_str(&map.raw_text(args.abs_time, args.abs_addr));
                    text.push('\n');
                }
                Drawn::Image(kind, path) => {
                    let path = plot::numbered_path(path, idx);
                    plot::heatmap_image(&map, &spec, kind, &path, args.abs_time, args.abs_addr)?;
                }
            }
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::synth::{Params, generate};

    /// Heats of `spec` over synthetic records, with or without the
    /// machine-number path.
    fn heats(p: &Params, spec: &Spec, fast: bool) -> Vec<Option<u64>> {
        let mut map = HeatMap::new(spec).unwrap();
        map.fast_path = fast;
        let mut acc = Accumulator {
            map: &mut map,
            key: &spec.key,
            sort: None,
            df_passed: spec.df_passed,
            last_end: None,
        };
        generate(p, &mut acc).unwrap();
        map.heats.iter().map(|h| h.map(f64::to_bits)).collect()
    }

    /// The fast path gives the general arithmetic's heats bit for bit:
    /// with and without filter-passed sizes, float and int pixel units,
    /// ranges cutting regions, many and few pixels per region.
    #[test]
    fn fast_path_equals_python_arithmetic() {
        let base = 0x5555_0000_0000i128;
        for (damos, df_passed, resol, arange, trange) in [
            (
                false,
                false,
                [500, 500],
                [I(base), I(base + 0x7f10_0000)],
                [I(999_000_000_000), I(1_006_000_000_000)],
            ),
            (
                true,
                true,
                [40, 80],
                [I(base + 4096), I(base + 0x80_0000)],
                [I(1_000_000_000_000), I(1_003_000_000_000)],
            ),
            (
                true,
                false,
                [7, 3000],
                [I(base), I(base + 0x1000_0000)],
                [I(1_000_100_000_000), I(1_004_000_000_000)],
            ),
            (
                false,
                false,
                [300, 11],
                [F(base as f64 + 0.5), F(base as f64 + 3.0e7)],
                [F(1.0e12), F(1.005e12)],
            ),
        ] {
            let p = Params {
                targets: 1,
                snapshots: 50,
                regions: 61,
                intervals: true,
                damos,
                seed: 3,
            };
            let key = GuideKey {
                kdamond_idx: Some(0),
                context_idx: Some(0),
                scheme_idx: damos.then_some(0),
                tid: Some(I(0)),
            };
            let spec = Spec {
                key,
                time_range: trange,
                addr_range: arange,
                resol,
                df_passed,
                sort: None,
            };
            let (fast, general) = (heats(&p, &spec, true), heats(&p, &spec, false));
            assert!(fast.iter().filter(|h| h.is_some()).count() > 10);
            let first_diff = fast.iter().zip(&general).position(|(a, b)| a != b);
            assert_eq!(
                first_diff.map(|i| (
                    i,
                    fast[i].map(f64::from_bits),
                    general[i].map(f64::from_bits)
                )),
                None,
                "resol {resol:?}: (pixel, fast, general) differ"
            );
        }
    }
}
