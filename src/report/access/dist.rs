//! Per-snapshot distributions: size histograms and percentiles of region
//! temperature or recency (idle time).

use anyhow::{Context, Result, bail};

use super::keywords::{RecordCtx, age_us, aggr_us, percent};
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::{self as units, ParseError};
use crate::record::filter::temperature_of;
use crate::record::{Region, Snapshot};

/// The per-region value a distribution is over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// Temperature with the size weight zeroed.
    Temperature,
    /// Idle time: 0 for accessed regions, else age plus one aggregation.
    Recency,
}

impl Metric {
    fn of(self, r: &Region, c: &RecordCtx, aggr: Num) -> Result<Num> {
        match self {
            // the size weight is zeroed in `report attrs`, the first
            // (size) one in `report access`: damo's two `get_temperature`s
            Metric::Temperature => {
                let w = c.fmt.temperature_weights;
                match c.probes() {
                    Some(_) => c.temperature(r, I(r.size()), [w[0], w[1], I(0)]),
                    None => temperature_of(r, [I(0), w[1], w[2]]),
                }
            }
            Metric::Recency => {
                let accessed = match c.probes() {
                    Some(_) => r.probe_hits.iter().any(|h| *h > I(0)),
                    None => percent(r)? > I(0),
                };
                if accessed {
                    Ok(I(0))
                } else {
                    Ok(age_us(r)?.add(aggr))
                }
            }
        }
    }

    fn format(self, v: Num, raw: bool) -> String {
        match self {
            Metric::Temperature => units::format_nr(v, raw),
            Metric::Recency => units::format_time_us(v, raw),
        }
    }

    fn parse(self, s: &str) -> Result<Num, ParseError> {
        match self {
            Metric::Temperature => units::text_to_nr(s),
            Metric::Recency => units::text_to_us(s),
        }
    }
}

fn weight(r: &Region, df_passed: bool) -> Result<i128> {
    if df_passed {
        r.sz_filter_passed
            .with_context(|| format!("region {}-{} has no filter-passed size", r.start, r.end))
    } else {
        Ok(r.size())
    }
}

/// damo's linear histogram ranges.
fn linear_ranges(min: Num, max: Num, n: i128, cumulate: bool) -> Vec<[Num; 2]> {
    let total = max.add(I(1)).sub(min);
    let interval = I(F(total.div(I(n)).f().ceil()).trunc()).max(I(1));
    (0..n)
        .map(|i| {
            let start = if cumulate {
                min
            } else {
                min.add(interval.mul(I(i)))
            };
            [start, min.add(interval.mul(I(i + 1)))]
        })
        .collect()
}

/// damo's log-scale histogram ranges: each twice as wide as the last.
fn log_ranges(min: Num, max: Num, n: u32, cumulate: bool) -> Vec<[Num; 2]> {
    let first = I(max.sub(min).div(I(1i128 << n)).trunc()).max(I(1));
    let mut ranges = vec![[min, min.add(first)]];
    while let Some(&[lo, hi]) = ranges.last() {
        if hi >= max {
            break;
        }
        let width = hi.sub(lo);
        let start = if cumulate { min } else { hi };
        ranges.push([start, hi.add(width.mul(I(2)))]);
    }
    ranges
}

/// The histogram lines: range, total size, and a bar of up to 20 stars.
fn histogram_text(rows: &[(String, String, Num)]) -> String {
    let ys: Vec<Num> = rows.iter().map(|r| r.2).collect();
    let min = ys
        .iter()
        .copied()
        .fold(ys[0], |a, b| if b < a { b } else { a });
    let max = ys
        .iter()
        .copied()
        .fold(ys[0], |a, b| if b > a { b } else { a });
    let xw = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let yw = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    const DOTS: i128 = 20;
    let per_dot = I(max.sub(min).div(I(DOTS)).trunc()).max(I(1));
    rows.iter()
        .map(|(x, y, v)| {
            let n = usize::try_from(F(v.sub(min).div(per_dot).f().ceil()).trunc().clamp(0, DOTS))
                .unwrap_or(0);
            format!(
                "{x:<xw$} {y:<yw$} |{}{}|",
                "*".repeat(n),
                " ".repeat(DOTS as usize - n)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `<temperature-sz histogram>` and friends.
pub fn sz_hist(s: &Snapshot, c: &RecordCtx, metric: Metric, df_passed: bool) -> Result<String> {
    if s.regions.is_empty() {
        return Ok("no region in snapshot".to_string());
    }
    let aggr = aggr_us(s, c.iv)?;
    let mut dist: Vec<(Num, i128)> = Vec::with_capacity(s.regions.len());
    for r in &s.regions {
        dist.push((metric.of(r, c, aggr)?, weight(r, df_passed)?));
    }
    dist.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let fmt = c.fmt;
    let ranges = match &fmt.hist_ranges {
        Some(given) => {
            if given.len() % 2 != 0 {
                bail!("--hist_ranges needs pairs of values");
            }
            given
                .chunks(2)
                .map(|p| Ok([metric.parse(&p[0])?, metric.parse(&p[1])?]))
                .collect::<Result<Vec<_>>>()
                .context("wrong --hist_ranges")?
        }
        None => {
            let (min, max) = (dist[0].0, dist[dist.len() - 1].0);
            if fmt.hist_logscale {
                log_ranges(min, max, 10, fmt.hist_cumulate)
            } else {
                linear_ranges(min, max, 10, fmt.hist_cumulate)
            }
        }
    };
    let raw = fmt.raw_number;
    let rows: Vec<(String, String, Num)> = ranges
        .iter()
        .map(|[lo, hi]| {
            let total: i128 = dist
                .iter()
                .filter(|(m, _)| m >= lo && m < hi)
                .map(|(_, w)| w)
                .sum();
            (
                format!("[{}, {})", metric.format(*lo, raw), metric.format(*hi, raw)),
                units::format_sz(I(total), raw),
                I(total),
            )
        })
        .collect();
    if rows.is_empty() {
        bail!("no histogram ranges");
    }
    Ok(histogram_text(&rows))
}

fn percentiles_to_show(given: Option<&[i64]>) -> Vec<i64> {
    match given {
        None => vec![0, 1, 25, 50, 75, 99, 100],
        Some(r) if r.len() <= 3 => {
            let (start, stop, step) = match *r {
                [stop] => (0, stop, 1),
                [start, stop] => (start, stop, 1),
                [start, stop, step] => (start, stop, step),
                _ => (0, 0, 1),
            };
            let mut v = Vec::new();
            let mut x = start;
            while (step > 0 && x < stop) || (step < 0 && x > stop) {
                v.push(x);
                x += step;
            }
            v
        }
        Some(r) => {
            let mut v = r.to_vec();
            v.sort();
            v
        }
    }
}

/// `<recency percentiles>` and friends.
pub fn percentiles(s: &Snapshot, c: &RecordCtx, metric: Metric, df_passed: bool) -> Result<String> {
    if s.regions.is_empty() {
        return Ok("no region in snapshot".to_string());
    }
    if let Some(r) = &c.fmt.percentiles_range
        && r.len() == 3
        && r[2] == 0
    {
        bail!("--percentiles_range step must not be zero");
    }
    let mut wanted = percentiles_to_show(c.fmt.percentiles_range.as_deref());
    let aggr = aggr_us(s, c.iv)?;
    let mut regions: Vec<(Num, i128)> = Vec::with_capacity(s.regions.len());
    for r in &s.regions {
        regions.push((metric.of(r, c, aggr)?, weight(r, df_passed)?));
    }
    regions.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let total: i128 = regions.iter().map(|r| r.1).sum();
    if total == 0 {
        bail!("percentiles of a snapshot whose regions total zero bytes");
    }
    let mut values: Vec<(i64, Num)> = Vec::new();
    let mut pct = I(0);
    let mut last = regions[0].0;
    wanted.reverse(); // pop from the end = take the smallest
    for (m, w) in &regions {
        last = *m;
        pct = pct.add(I(w * 100).div(I(total)));
        while let Some(&p) = wanted.last() {
            if pct < I(p as i128) {
                break;
            }
            values.push((p, *m));
            wanted.pop();
        }
        if pct >= I(100) {
            break;
        }
    }
    if wanted.contains(&100) {
        values.push((100, last));
    }
    if values.is_empty() {
        bail!("no percentile in --percentiles_range is reached");
    }
    let raw = c.fmt.raw_number;
    let legend = match metric {
        Metric::Recency if raw => "<idle time (us)>".to_string(),
        Metric::Recency => "<idle time>".to_string(),
        Metric::Temperature => {
            let w = c.fmt.temperature_weights;
            format!(
                "<temperature (weights: [{}, {}, {}])>",
                w[0].repr(),
                w[1].repr(),
                w[2].repr()
            )
        }
    };
    let head = if df_passed {
        format!("<df-passed percentile> {legend}")
    } else {
        format!("<percentile> {legend}")
    };
    let ptxt: Vec<String> = values.iter().map(|(p, _)| p.to_string()).collect();
    let vtxt: Vec<String> = values.iter().map(|(_, v)| metric.format(*v, raw)).collect();
    let pw = ptxt.iter().map(String::len).max().unwrap_or(0);
    let vw = vtxt.iter().map(String::len).max().unwrap_or(0);
    let min = values[0].1;
    let max = values[values.len() - 1].1;
    const DOTS: usize = 20;
    let per_dot = if max != min {
        max.sub(min).div(I(DOTS as i128))
    } else {
        I(1)
    };
    let mut lines = vec![head];
    for (i, (_, v)) in values.iter().enumerate() {
        let n = to_usize(v.sub(min).div(per_dot).trunc()).min(DOTS);
        lines.push(format!(
            "{:>pw$}  {:>vw$}  |{}{}|",
            ptxt[i],
            vtxt[i],
            "*".repeat(n),
            " ".repeat(DOTS - n)
        ));
    }
    Ok(lines.join("\n"))
}

fn to_usize(v: i128) -> usize {
    if v < 0 { 0 } else { v as usize }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_like_damo() {
        let r = linear_ranges(I(0), I(99), 10, false);
        assert_eq!(r[0], [I(0), I(10)]);
        assert_eq!(r[9], [I(90), I(100)]);
        let r = linear_ranges(I(5), I(5), 10, true);
        assert_eq!(r[3], [I(5), I(9)]);
        let r = log_ranges(I(0), I(10_000), 10, false);
        assert_eq!(r[0], [I(0), I(9)]);
        assert_eq!(r[1], [I(9), I(27)]);
        assert!(r.last().unwrap()[1] >= I(10_000));
    }

    #[test]
    fn percentile_lists() {
        assert_eq!(
            percentiles_to_show(Some(&[0, 100, 25])),
            vec![0, 25, 50, 75]
        );
        assert_eq!(percentiles_to_show(Some(&[3])), vec![0, 1, 2]);
        assert_eq!(
            percentiles_to_show(Some(&[50, 1, 99, 10])),
            vec![1, 10, 50, 99]
        );
    }
}
