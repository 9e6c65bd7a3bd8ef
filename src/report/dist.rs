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

/// Python list indexing, negative from the end.
fn py_index(v: &[Num], idx: i128) -> Result<Num> {
    let n = v.len() as i128;
    let i = if idx < 0 { idx + n } else { idx };
    if i < 0 || i >= n {
        bail!("percentile out of range");
    }
    Ok(v[i as usize])
}

/// damo's `get_percentile` of a sorted list.
pub fn percentile(dists: &[Num], p: i64) -> Result<Num> {
    if dists.is_empty() {
        bail!("no snapshot to take percentiles of");
    }
    py_index(dists, percentile_idx(p, dists.len()))
}

/// damo's `fmt_dists`: header, average, then a line per percentile (or
/// every value with `all`), with bars `nr_cols_bar` wide.
pub fn fmt_dists(
    metric: &str,
    dists: &[Num],
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
    let sum = dists.iter().fold(I(0), |a, b| a.add(*b));
    lines.push(format!(
        "# avr:\t{}",
        format(sum.div(I(dists.len() as i128)), raw)
    ));
    if all {
        for (i, v) in dists.iter().enumerate() {
            lines.push(format!("{} {}", i, format(*v, raw)));
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

    #[test]
    fn dists_with_bars() {
        let d: Vec<Num> = [0, 4096, 8192, 8192].iter().map(|v| I(*v)).collect();
        let t = fmt_dists("wss", &d, &[0, 50, 100], false, format_sz, false, 4).unwrap();
        assert_eq!(
            t,
            "# <percentile> <wss>\n# avr:\t5.000 KiB\n  0             0 B |    |\n 50       8.000 KiB |****|\n100       8.000 KiB |****|"
        );
        let t = fmt_dists("wss", &[], &[0], false, format_sz, false, 4).unwrap();
        assert_eq!(t, "# <percentile> <wss>\n# no snapshot");
    }
}
