//! Region boxes: a region drawn as a colored box whose length, color and
//! height stand for its age, access rate or size, scaled against the
//! smallest and largest values of all regions shown.

use anyhow::{Result, bail};

use super::format::ReportFormat;
use super::keywords::{age_us, percent};
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::{self as units};
use crate::record::Region;
use crate::report::color;

/// What a box dimension stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BoxValue {
    Size,
    AccessRate,
    Age,
}

impl BoxValue {
    fn parse(name: &str) -> Result<BoxValue> {
        Ok(match name {
            "size" => BoxValue::Size,
            "access_rate" => BoxValue::AccessRate,
            "age" => BoxValue::Age,
            other => {
                bail!("--region_box_values '{other}' cannot be drawn: use size, access_rate or age")
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            BoxValue::Size => "size",
            BoxValue::AccessRate => "access_rate",
            BoxValue::Age => "age",
        }
    }

    pub fn of(self, r: &Region) -> Result<Num> {
        Ok(match self {
            BoxValue::Size => I(r.size()),
            BoxValue::AccessRate => percent(r)?,
            BoxValue::Age => age_us(r)?,
        })
    }
}

/// Smallest and largest size, access rate and age over all regions.
#[derive(Debug, Clone, Default)]
pub struct Ranges {
    /// Indexed like [`BoxValue`]: size, access rate, age.
    minmax: [Option<[Num; 2]>; 3],
}

impl Ranges {
    fn slot(v: BoxValue) -> usize {
        match v {
            BoxValue::Size => 0,
            BoxValue::AccessRate => 1,
            BoxValue::Age => 2,
        }
    }

    /// Takes one region into account (units must be filled in).
    pub fn add(&mut self, r: &Region) -> Result<()> {
        for v in [BoxValue::Size, BoxValue::AccessRate, BoxValue::Age] {
            let x = v.of(r)?;
            let m = &mut self.minmax[Self::slot(v)];
            *m = Some(match *m {
                None => [x, x],
                Some([lo, hi]) => [if x < lo { x } else { lo }, if x > hi { x } else { hi }],
            });
        }
        Ok(())
    }

    fn get(&self, v: BoxValue) -> Result<[Num; 2]> {
        match self.minmax[Self::slot(v)] {
            Some(m) => Ok(m),
            None => bail!("region boxes need at least one region in the records"),
        }
    }
}

/// Python's `math.log(v, 2)`.
fn log2(v: Num) -> f64 {
    v.f().ln() / 2f64.ln()
}

/// damo's `rescale`: `val` from `from` to `to`, optionally in log scale.
fn rescale(val: Num, from: [Num; 2], to: [i128; 2], logscale: bool) -> Num {
    let (val, from) = if logscale {
        let l = |v: Num| if v > I(0) { F(log2(v)) } else { I(0) };
        (l(val), [l(from[0]), l(from[1])])
    } else {
        (val, from)
    };
    let orig_len = from[1].sub(from[0]);
    let new_len = I(to[1] - to[0]);
    let ratio = if orig_len > I(0) {
        new_len.div(orig_len)
    } else {
        I(1)
    };
    val.sub(from[0]).mul(ratio).add(I(to[0]))
}

fn to_count(v: Num) -> usize {
    let t = v.trunc();
    if t < 0 { 0 } else { t as usize }
}

/// How boxes are drawn (damo's `RegionBoxFormat`).
#[derive(Debug, Clone)]
pub struct BoxFormat {
    ranges: Ranges,
    values: [BoxValue; 3],
    length: [i128; 2],
    height: [i128; 2],
    log: [bool; 3],
    colorset: String,
    align_right: bool,
}

impl BoxFormat {
    pub fn new(fmt: &ReportFormat, ranges: Ranges) -> Result<Self> {
        Ok(BoxFormat {
            ranges,
            values: [
                BoxValue::parse(&fmt.box_values[0])?,
                BoxValue::parse(&fmt.box_values[1])?,
                BoxValue::parse(&fmt.box_values[2])?,
            ],
            length: fmt.box_min_max_length,
            height: fmt.box_min_max_height,
            log: fmt.box_log,
            colorset: fmt.box_colorset.clone(),
            align_right: fmt.box_align_right,
        })
    }

    fn scaled(&self, dim: usize, r: &Region, to: [i128; 2]) -> Result<Num> {
        let v = self.values[dim];
        Ok(rescale(v.of(r)?, self.ranges.get(v)?, to, self.log[dim]))
    }

    /// The box of one region.
    pub fn draw(&self, r: &Region) -> Result<String> {
        let length = self.scaled(0, r, self.length)?.trunc();
        let level = self.scaled(1, r, [0, color::MAX_LEVEL as i128])?.trunc();
        let height = to_count(self.scaled(2, r, self.height)?);
        let digits = level.to_string().repeat(to_count(I(length)));
        let mut row = format!(
            "|{}|",
            color::colored(&digits, &self.colorset, level.max(0) as usize)
        );
        if self.align_right {
            let indent = to_count(I(self.length[1] - length));
            row = format!("{}{row}", " ".repeat(indent));
        }
        let mut out = vec![row.as_str(); height].join("\n");
        if self.height[1] > 1 {
            out.push('\n');
        }
        Ok(out)
    }

    fn range_text(&self, v: BoxValue, raw: bool) -> Result<String> {
        let [lo, hi] = self.ranges.get(v)?;
        Ok(match v {
            BoxValue::Size => format!(
                "[{}, {}]",
                units::format_sz(lo, raw),
                units::format_sz(hi, raw)
            ),
            // damo 3.4.3 leaves a space after the age range.
            BoxValue::Age => format!(
                "[{}, {}] ",
                units::format_time_us(lo, raw),
                units::format_time_us(hi, raw)
            ),
            BoxValue::AccessRate => format!(
                "[{}, {}]",
                units::format_percent(lo, raw),
                units::format_percent(hi, raw)
            ),
        })
    }

    /// The `<region box description>` text.
    pub fn description(&self, raw: bool) -> Result<String> {
        let scale = |log: bool| if log { "logscale" } else { "linearscale" };
        let [l, c, h] = self.values;
        Ok([
            format!(
                "# length: {} (represents {} with [{}, {}] columns in {})",
                l.name(),
                self.range_text(l, raw)?,
                self.length[0],
                self.length[1],
                scale(self.log[0])
            ),
            format!(
                "# color: {} (represents {} with [0, 9] number and color ({}) in {})",
                c.name(),
                self.range_text(c, raw)?,
                color::samples(&self.colorset),
                scale(self.log[1])
            ),
            format!(
                "# height: {} (represents {} with [{}, {}] rows in {})",
                h.name(),
                self.range_text(h, raw)?,
                self.height[0],
                self.height[1],
                scale(self.log[2])
            ),
        ]
        .join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_like_damo() {
        // linear: 5 in [0, 10] -> [1, 30]
        assert_eq!(rescale(I(5), [I(0), I(10)], [1, 30], false).f(), 15.5);
        // a single value maps to the minimum
        assert_eq!(rescale(I(7), [I(7), I(7)], [1, 30], true).f(), 1.0);
        // log: 4096 in [4096, 4096 * 1024] -> the minimum
        assert_eq!(
            rescale(I(4096), [I(4096), I(4096 << 10)], [1, 30], true).trunc(),
            1
        );
    }
}
