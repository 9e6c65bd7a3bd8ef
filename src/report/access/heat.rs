//! The one-line heatmap of a snapshot (`<heatmap>`): the address space of
//! the regions cut into columns, each colored by the size-weighted
//! temperature of what it covers.

use anyhow::{Result, bail};

use super::keywords::RecordCtx;
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units};
use crate::record::{Region, Snapshot};
use crate::report::color;

/// One column: `[start, end)`, its mean temperature, or void (no region).
struct Pixel {
    start: Num,
    end: Num,
    temperature: Num,
    void: bool,
}

/// The heat of the regions overlapping `[start, end)`; regions are
/// scanned from `from` (all regions before it end at or before `start`).
fn pixel(
    start: Num,
    end: Num,
    regions: &[Region],
    from: usize,
    c: &RecordCtx,
    w: [Num; 3],
) -> Result<Pixel> {
    let mut heat = I(0);
    let mut void = true;
    for r in &regions[from..] {
        let (rs, re) = (I(r.start), I(r.end));
        if re <= start {
            continue;
        }
        if end <= rs {
            break;
        }
        void = false;
        // The part of the region inside the column.
        let (cs, ce) = (
            if rs < start { start } else { rs },
            if re > end { end } else { re },
        );
        let part_size = ce.sub(cs);
        let t = c.temperature(r, part_size, w)?;
        heat = heat.add(t.mul(part_size));
    }
    Ok(Pixel {
        start,
        end,
        temperature: heat.div(end.sub(start)),
        void,
    })
}

/// The heatmap text of `regions` (damo's `heatmap_str`).
pub fn heatmap(regions: &[Region], c: &RecordCtx) -> Result<String> {
    let (Some(first), Some(last)) = (regions.first(), regions.last()) else {
        return Ok("n/a (no region)".to_string());
    };
    let fmt = c.fmt;
    let raw = fmt.raw_number;
    let is_static = fmt.heatmap_static;
    let total = if is_static {
        last.end - first.start
    } else {
        regions.iter().map(Region::size).sum()
    };
    if fmt.heatmap_width <= 0 {
        bail!("--snapshot_heatmap_width must be positive");
    }
    let unit = I(total).div(I(fmt.heatmap_width));
    if unit.partial_cmp(&I(0)) != Some(std::cmp::Ordering::Greater) {
        bail!("cannot draw a heatmap of regions without size");
    }
    let w = fmt.temperature_weights;
    // With ends in order, regions ending before a column form a prefix
    // that can be skipped; otherwise scan from the start like damo.
    let ends_sorted = regions.windows(2).all(|p| p[0].end <= p[1].end);
    let starts_sorted = regions.windows(2).all(|p| p[0].start <= p[1].start);
    let mut pixels: Vec<Pixel> = Vec::new();
    let (mut min_t, mut max_t): (Option<Num>, Option<Num>) = (None, None);
    let mut start = I(first.start);
    let end_of_all = I(last.end);
    while start < end_of_all {
        let end = start.add(unit);
        let from = if ends_sorted {
            regions.partition_point(|r| I(r.end) <= start)
        } else {
            0
        };
        let mut p = pixel(start, end, regions, from, c, w)?;
        if p.void {
            let next = if starts_sorted {
                let i = regions.partition_point(|r| I(r.start) <= end);
                regions.get(i)
            } else {
                regions.iter().find(|r| I(r.start) > end)
            };
            let Some(next) = next else {
                pixels.push(p);
                break;
            };
            start = I(next.start).floordiv(unit).mul(unit);
            p.end = start;
            pixels.push(p);
        } else {
            let t = p.temperature;
            if min_t.is_none_or(|m| t < m) {
                min_t = Some(t);
            }
            if max_t.is_none_or(|m| t > m) {
                max_t = Some(t);
            }
            pixels.push(p);
            start = end;
        }
    }
    let (Some(min_t), Some(max_t)) = (min_t, max_t) else {
        bail!("no heat in the snapshot's heatmap");
    };
    let levels = I(color::MAX_LEVEL as i128);
    let mut t_unit = max_t.sub(min_t).div(levels);
    if t_unit.is_zero() {
        t_unit = max_t.div(levels);
    }
    if t_unit.is_zero() {
        t_unit = I(1);
    }
    let mut dots = String::new();
    for p in &pixels {
        if p.void {
            let nr = p.end.sub(p.start).div(unit);
            if !is_static && nr > I(4) {
                dots.push_str("[...]");
            } else {
                let n = nr.trunc().max(0) as usize;
                dots.push_str(&".".repeat(n));
            }
            continue;
        }
        let level = p.temperature.sub(min_t).div(t_unit).trunc();
        let level = level.max(0) as usize;
        dots.push_str(&color::colored(
            &level.to_string(),
            &fmt.heatmap_colorset,
            level,
        ));
    }
    Ok(format!(
        "{dots}\n# min/max temperatures: {}, {}, column size: {}",
        units::format_nr(min_t, raw),
        units::format_nr(max_t, raw),
        units::format_sz(unit, raw)
    ))
}

/// `<filters passed heatmap>`: the heatmap of regions with filter-passed
/// bytes.
pub fn df_passed_heatmap(s: &Snapshot, c: &RecordCtx) -> Result<String> {
    let regions: Vec<Region> = s
        .regions
        .iter()
        .filter(|r| r.sz_filter_passed != Some(0))
        .cloned()
        .collect();
    heatmap(&regions, c)
}
