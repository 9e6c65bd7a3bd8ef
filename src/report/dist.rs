//! Distribution reports (`report wss`, `report nr_regions`,
//! `report footprints`): percentiles of one value per snapshot, with bars.

use anyhow::{Result, bail};

use crate::fmt::pynum::{F, I, Num};

/// Python's `range(start, stop, step)` of percentiles.
pub fn percentiles(range: &[i64]) -> Result<Vec<i64>> {
    let [start, stop, step] = range else {
        bail!("--range takes <start> <stop> <step>");
    };
    if *step == 0 {
        bail!("--range step must not be zero");
    }
    let mut v = Vec::new();
    let mut p = *start;
    while (*step > 0 && p < *stop) || (*step < 0 && p > *stop) {
        v.push(p);
        p += step;
    }
    Ok(v)
}

/// Index of a percentile in a sorted list (damo's rounding and clamping).
fn percentile_idx(p: i64, len: usize) -> i128 {
    let idx = F(p as f64 / 100.0 * len as f64).trunc();
    if idx == len as i128 { idx - 1 } else { idx }
}

/// One value per snapshot, as a list or as runs of equal values.
pub trait Series {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn get(&self, i: usize) -> Option<Num>;
    fn values(&self) -> Box<dyn Iterator<Item = Num> + '_>;
}

impl Series for [Num] {
    fn len(&self) -> usize {
        <[Num]>::len(self)
    }
    fn get(&self, i: usize) -> Option<Num> {
        <[Num]>::get(self, i).copied()
    }
    fn values(&self) -> Box<dyn Iterator<Item = Num> + '_> {
        Box::new(self.iter().copied())
    }
}

impl Series for Vec<Num> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn get(&self, i: usize) -> Option<Num> {
        self.as_slice().get(i).copied()
    }
    fn values(&self) -> Box<dyn Iterator<Item = Num> + '_> {
        Box::new(self.iter().copied())
    }
}

/// A series kept as runs of equal values, so that millions of snapshots
/// with few distinct values (empty ones, an idle target) take a few
/// bytes: `report wss` keeps one value per snapshot until it sorts them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Runs {
    /// (value, number of values up to and including this run)
    runs: Vec<(Num, u64)>,
}

/// The same Python value in the same type (`5` and `5.0` print apart).
fn same(a: Num, b: Num) -> bool {
    match (a, b) {
        (I(x), I(y)) => x == y,
        (F(x), F(y)) => x.to_bits() == y.to_bits(),
        _ => false,
    }
}

impl Runs {
    pub fn push(&mut self, v: Num) {
        self.push_n(v, 1);
    }

    fn push_n(&mut self, v: Num, n: u64) {
        let end = self.runs.last().map_or(0, |r| r.1) + n;
        match self.runs.last_mut() {
            Some(last) if same(last.0, v) => last.1 = end,
            _ => self.runs.push((v, end)),
        }
    }

    /// Sorts the values (stably, as Python's `sort`).
    pub fn sort(&mut self) {
        let mut counted: Vec<(Num, u64)> = Vec::with_capacity(self.runs.len());
        let mut prev = 0;
        for (v, end) in &self.runs {
            counted.push((*v, end - prev));
            prev = *end;
        }
        counted.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        self.runs.clear();
        for (v, n) in counted {
            self.push_n(v, n);
        }
    }

    /// The values as a list (for plots).
    pub fn to_vec(&self) -> Vec<Num> {
        self.values().collect()
    }
}

impl FromIterator<Num> for Runs {
    fn from_iter<T: IntoIterator<Item = Num>>(iter: T) -> Self {
        let mut r = Runs::default();
        for v in iter {
            r.push(v);
        }
        r
    }
}

impl Series for Runs {
    fn len(&self) -> usize {
        self.runs
            .last()
            .map_or(0, |r| usize::try_from(r.1).unwrap_or(usize::MAX))
    }
    fn get(&self, i: usize) -> Option<Num> {
        let i = u64::try_from(i).ok()?;
        let at = self.runs.partition_point(|r| r.1 <= i);
        self.runs.get(at).map(|r| r.0)
    }
    fn values(&self) -> Box<dyn Iterator<Item = Num> + '_> {
        let mut prev = 0;
        Box::new(self.runs.iter().flat_map(move |(v, end)| {
            let n = end - prev;
            prev = *end;
            std::iter::repeat_n(*v, usize::try_from(n).unwrap_or(usize::MAX))
        }))
    }
}

/// Python list indexing, negative from the end.
fn py_index(v: &(impl Series + ?Sized), idx: i128) -> Result<Num> {
    let n = v.len() as i128;
    let i = if idx < 0 { idx + n } else { idx };
    if i < 0 || i >= n {
        bail!("percentile out of range");
    }
    let got = usize::try_from(i).ok().and_then(|i| v.get(i));
    got.ok_or_else(|| anyhow::anyhow!("percentile out of range"))
}

/// damo's `get_percentile` of a sorted list.
pub fn percentile(dists: &(impl Series + ?Sized), p: i64) -> Result<Num> {
    if dists.is_empty() {
        bail!("no snapshot to take percentiles of");
    }
    py_index(dists, percentile_idx(p, dists.len()))
}

/// damo's `fmt_dists`: header, average, then a line per percentile (or
/// every value with `all`), with bars `nr_cols_bar` wide.
pub fn fmt_dists(
    metric: &str,
    dists: &(impl Series + ?Sized),
    percentiles: &[i64],
    all: bool,
    format: fn(Num, bool) -> String,
    raw: bool,
    nr_cols_bar: i64,
) -> Result<String> {
    let mut lines = vec![format!("# <percentile> <{metric}>")];
    if dists.is_empty() {
        lines.push("# no snapshot".to_string());
        return Ok(lines.join("\n"));
    }
    let sum = dists.values().fold(I(0), |a, b| a.add(b));
    lines.push(format!(
        "# avr:\t{}",
        format(sum.div(I(dists.len() as i128)), raw)
    ));
    if all {
        for (i, v) in dists.values().enumerate() {
            lines.push(format!("{} {}", i, format(v, raw)));
        }
        return Ok(lines.join("\n"));
    }
    let mut val_per_col = I(1);
    if nr_cols_bar > 0 {
        let mut max_val = I(0);
        for p in percentiles {
            let v = py_index(dists, percentile_idx(*p, dists.len()))?;
            if max_val <= v {
                max_val = v;
            }
        }
        if max_val > I(0) {
            val_per_col = max_val.div(I(nr_cols_bar as i128));
        }
    }
    for p in percentiles {
        let idx = percentile_idx(*p, dists.len());
        let (val, text) = if idx == -1 {
            // damo prints the string '-1' here.
            (I(-1), format(I(-1), raw))
        } else {
            let v = py_index(dists, idx)?;
            (v, format(v, raw))
        };
        let mut line = format!("{p:3} {text:>15}");
        if nr_cols_bar > 0 {
            let cols = val.div(val_per_col).trunc().max(0) as usize;
            let remaining = (nr_cols_bar as i128 - cols as i128).max(0) as usize;
            line.push_str(&format!(" |{}{}|", "*".repeat(cols), " ".repeat(remaining)));
        }
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// The (x, y) points damo would hand gnuplot for a distribution.
pub fn dist_points(d: &[Num], percentiles: &[i64], all: bool) -> Vec<(f64, f64)> {
    if d.is_empty() {
        return Vec::new();
    }
    if all {
        return d
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, v.f()))
            .collect();
    }
    percentiles
        .iter()
        .filter_map(|p| {
            // int() of the position, the last value at most
            let idx = usize::try_from(F(*p as f64 / 100.0 * d.len() as f64).trunc())
                .unwrap_or(0)
                .min(d.len().saturating_sub(1));
            d.get(idx).map(|v| (*p as f64, v.f()))
        })
        .collect()
}

/// Draws distributions (one series each) into the image file `path`, as
/// the `--plot` option of the distribution reports does.
pub fn plot(
    path: &str,
    series: &[(String, &[Num])],
    percentiles: &[i64],
    all: bool,
    sorted: bool,
    ylabel: &str,
) -> Result<()> {
    let kind = super::plot::ImageKind::from_path(path)?;
    let points: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(name, d)| (name.clone(), dist_points(d, percentiles, all)))
        .collect();
    let xlabel = if sorted {
        "percentile"
    } else {
        "runtime (percent)"
    };
    super::plot::dist_image(&points, xlabel, ylabel, kind, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::format_sz;

    #[test]
    fn python_range() {
        assert_eq!(
            percentiles(&[0, 101, 25]).unwrap(),
            vec![0, 25, 50, 75, 100]
        );
        assert_eq!(percentiles(&[10, 0, -5]).unwrap(), vec![10, 5]);
        assert!(percentiles(&[0, 1, 0]).is_err());
    }

    /// Runs behave as the list of their values: length, indexing, the
    /// stable sort (5 and 5.0 kept apart and in order), and the report.
    #[test]
    fn runs_are_the_list() {
        let mut list: Vec<Num> = Vec::new();
        let mut x = 7u64;
        for i in 0..500 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = match x % 5 {
                0 => F(5.0),
                1 | 2 => I(5),
                3 => I(0),
                _ => I((x % 9) as i128 * 4096),
            };
            let reps = if i % 7 == 0 { 40 } else { 1 };
            list.extend(std::iter::repeat_n(v, reps));
        }
        let mut runs: Runs = list.iter().copied().collect();
        assert!(runs.runs.len() < list.len());
        let text = |d: &dyn Series, all| {
            fmt_dists("wss", d, &[0, 3, 50, 99, 100], all, format_sz, false, 20).unwrap()
        };
        let repr = |d: &dyn Series| d.values().map(|v| v.repr()).collect::<Vec<_>>();
        assert_eq!(runs.len(), list.len());
        assert_eq!(repr(&runs), repr(&list));
        assert_eq!(text(&runs, true), text(&list, true));
        list.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        runs.sort();
        assert_eq!(repr(&runs), repr(&list));
        assert_eq!(text(&runs, false), text(&list, false));
        for i in [0, 1, 39, 40, 41, list.len() - 1, list.len()] {
            assert_eq!(
                runs.get(i).map(|v| v.repr()),
                Series::get(&list, i).map(|v| v.repr())
            );
        }
        let empty: Runs = std::iter::repeat_n(I(0), 2_000_000).collect();
        assert_eq!((empty.len(), empty.runs.len()), (2_000_000, 1));
    }

    #[test]
    fn dists_with_bars() {
        let d: Vec<Num> = [0, 4096, 8192, 8192].iter().map(|v| I(*v)).collect();
        let t = fmt_dists("wss", &d, &[0, 50, 100], false, format_sz, false, 4).unwrap();
        assert_eq!(
            t,
            "# <percentile> <wss>\n# avr:\t5.000 KiB\n  0             0 B |    |\n 50       8.000 KiB |****|\n100       8.000 KiB |****|"
        );
        let empty: &[Num] = &[];
        let t = fmt_dists("wss", empty, &[0], false, format_sz, false, 4).unwrap();
        assert_eq!(t, "# <percentile> <wss>\n# no snapshot");
    }
}
