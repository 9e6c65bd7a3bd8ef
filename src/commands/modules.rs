//! `damo reclaim`, `damo lru_sort`, `damo module reclaim|lru_sort|stat`:
//! DAMON's kernel modules, through their parameters
//! ([`crate::sysfs::modules`]).

use anyhow::{Result, bail};

use crate::cli::opts::{Action, LruSortModule, ModuleStatRead, ModuleStatWrite, ReclaimModule};
use crate::fmt::pynum::F;
use crate::fmt::{format_percent, format_time_ns};
use crate::sysfs::Sysfs;
use crate::sysfs::modules::{LRU_SORT, Module, Params, RECLAIM};

/// The sysfs tree, after damo's root check for `damo <command>` (modules
/// need no DAMON sysfs interface).
fn open(command: &str) -> Result<Sysfs> {
    let fs = Sysfs::open()?;
    crate::sysfs::require_root_for(command)?;
    Ok(fs)
}

/// One value option, `None` where it was not given.
fn one(v: Option<i128>) -> Vec<Option<String>> {
    vec![v.map(|x| x.to_string())]
}

/// A multi-value option's values, `None` where it was not given (damo's
/// `[None] * n` defaults).
fn many(v: &Option<Vec<i128>>, n: usize) -> Vec<Option<String>> {
    match v {
        Some(v) => v.iter().map(|x| Some(x.to_string())).collect(),
        None => vec![None; n],
    }
}

/// `damo reclaim` / `damo module reclaim` (`command` names which).
pub fn reclaim(args: &ReclaimModule, command: &str) -> Result<()> {
    // in the order of the module's input parameters (Module::inputs)
    let vals = [
        one(args.min_age),
        many(&args.quota, 3),
        many(&args.wmarks, 4),
        many(&args.monitor_intervals, 2),
        many(&args.nr_regions, 2),
        many(&args.monitor_region, 2),
    ]
    .concat();
    let mut inputs: Vec<(&str, Option<String>)> = RECLAIM.inputs().into_iter().zip(vals).collect();
    // damo writes it always, N without the flag
    let skip = if args.skip_anon { "Y" } else { "N" };
    inputs.push(("skip_anon", Some(skip.to_string())));
    control(command, args.action, &RECLAIM, &inputs)
}

/// `damo lru_sort` / `damo module lru_sort` (`command` names which).
pub fn lru_sort(args: &LruSortModule, command: &str) -> Result<()> {
    let vals = [
        one(args.hot_thres_access_freq),
        one(args.cold_min_age),
        many(&args.quota, 2),
        many(&args.wmarks, 4),
        many(&args.monitor_intervals, 2),
        many(&args.nr_regions, 2),
        many(&args.monitor_region, 2),
    ]
    .concat();
    let inputs: Vec<(&str, Option<String>)> = LRU_SORT.inputs().into_iter().zip(vals).collect();
    control(command, args.action, &LRU_SORT, &inputs)
}

/// status, or write the inputs given and then enable, disable or commit.
fn control(
    command: &str,
    action: Action,
    module: &Module,
    inputs: &[(&str, Option<String>)],
) -> Result<()> {
    let fs = open(command)?;
    let p = module.params(&fs);
    module.check(&p)?;
    if action == Action::Status {
        let mut out = String::new();
        for (param, val) in module.status(&p)? {
            out.push_str(&format!("{param}: {val}\n"));
        }
        return crate::output::print(&out);
    }
    for (param, val) in inputs {
        if let Some(v) = val
            && let Some(warning) = module.set_input(&p, param, v)?
        {
            crate::output::print(&format!("{warning}\n"))?;
        }
    }
    match action {
        Action::Commit => module.commit(&p),
        Action::Enable => module.enable(&p, true),
        _ => module.enable(&p, false),
    }
}

/// Runs `f` on the DAMON_STAT parameters, after the checks.
fn with_stat(command: &str, f: impl FnOnce(&Params) -> Result<()>) -> Result<()> {
    let fs = open(command)?;
    let p = Params::of(&fs, "stat");
    p.require_dir("DAMON_STAT", "CONFIG_DAMON_STAT")?;
    f(&p)
}

/// `damo module stat write`.
pub fn stat_write(args: &ModuleStatWrite) -> Result<()> {
    let words: Vec<&str> = args
        .parameter_value
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    with_stat("module stat write", |p| write_params(p, &words))
}

/// `damo module stat read`.
pub fn stat_read(args: &ModuleStatRead) -> Result<()> {
    with_stat("module stat read", |p| stat_read_params(args, p))
}

fn stat_read_params(args: &ModuleStatRead, p: &Params) -> Result<()> {
    // the given percentiles, or the kernel's once first needed
    let mut pcts = match &args.input_idle_time_percentiles {
        Some(v) => Some(
            input_percentiles(&v.iter().map(String::as_str).collect::<Vec<_>>()).map_err(|e| {
                anyhow::anyhow!(
                    "wrong --input_idle_time_percentiles ({e}); give <percentile> <seconds> \
                 pairs, or a file holding them"
                )
            })?,
        ),
        None => None,
    };
    let raw = args.raw_number;
    let lines = args.idle_time_mem_sz_lines;
    let range = &args.idle_time_percentiles_range;
    let to_read = args.to_read.as_deref().unwrap_or_default();
    let mut out = String::new();
    if to_read.is_empty() {
        out.push_str(&all_params(p)?);
    }
    for what in to_read {
        match what.as_str() {
            "idle_time_mem_sz" => {
                let v = percentiles(p, &mut pcts)?;
                out.push_str(&idle_time_mem_sz(v, lines, raw)?);
            }
            "idle_time_percentiles" => {
                let v = percentiles(p, &mut pcts)?;
                out.push_str(&idle_time_percentiles(v, range, raw)?);
            }
            param => {
                if !p.exists(param) {
                    crate::output::print(&out)?;
                    let mut names = p.names()?;
                    names.extend(["idle_time_mem_sz".into(), "idle_time_percentiles".into()]);
                    bail!(
                        "wrong parameter ({param}); use one of: {}",
                        names.join(", ")
                    );
                }
                out.push_str(&format!("{}\n", p.get(param)?.unwrap_or_default()));
            }
        }
    }
    crate::output::print(&out)
}

/// `damo module <name> read [<param>]` / `write <param> <value>...` for
/// DAMON modules without a command of their own (the sample modules).
pub fn generic(name: &str, words: &[String]) -> Result<()> {
    let fs = Sysfs::open()?;
    crate::sysfs::require_root_for(&format!("module {name} ..."))?;
    let p = Params::of(&fs, name);
    p.require_dir(&format!("DAMON module {name}"), "its kernel config option")?;
    let rest: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
    match words.first().map(String::as_str) {
        Some("write") => write_params(&p, &rest),
        _ => match rest.first() {
            Some(param) => {
                if !p.exists(param) {
                    bail!(
                        "{} not found; the parameters are: {}",
                        p.file(param).display(),
                        p.names()?.join(", ")
                    );
                }
                crate::output::print(&format!("{}\n", p.get(param)?.unwrap_or_default()))
            }
            None => crate::output::print(&all_params(&p)?),
        },
    }
}

/// `param: value` of every parameter, in the kernel's order.
fn all_params(p: &Params) -> Result<String> {
    let mut out = String::new();
    for name in p.names()? {
        out.push_str(&format!("{name}: {}\n", p.get(&name)?.unwrap_or_default()));
    }
    Ok(out)
}

/// `write <name> <value> [<name> <value>...]`.
fn write_params(p: &Params, pv: &[&str]) -> Result<()> {
    if !pv.len().is_multiple_of(2) {
        bail!(
            "wrong parameter_value: {} words given; give <parameter name> <value> pairs",
            pv.len()
        );
    }
    for pair in pv.chunks(2) {
        if !p.exists(pair[0]) {
            bail!(
                "{} not found; the parameters are: {}",
                p.file(pair[0]).display(),
                p.names()?.join(", ")
            );
        }
        p.set(pair[0], pair[1])?;
    }
    Ok(())
}

/// The percentiles in `slot`, read from the kernel into it if empty.
fn percentiles<'a>(p: &Params, slot: &'a mut Option<Vec<f64>>) -> Result<&'a [f64]> {
    if slot.is_none() {
        *slot = Some(kernel_percentiles(p)?);
    }
    Ok(slot.as_deref().unwrap_or_default())
}

/// DAMON_STAT's `memory_idle_ms_percentiles`, in seconds.
fn kernel_percentiles(p: &Params) -> Result<Vec<f64>> {
    let file = p.file("memory_idle_ms_percentiles");
    let text = p.fs.read(&file)?;
    let v: Vec<f64> = text
        .trim()
        .split(',')
        .map(|x| x.trim().parse::<i64>().map(|ms| ms as f64 / 1000.0))
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow::anyhow!("{} does not hold comma-separated numbers", file.display()))?;
    if v.len() != 101 {
        bail!(
            "{} holds {} values, not 101 percentiles",
            file.display(),
            v.len()
        );
    }
    Ok(v)
}

/// `--input_idle_time_percentiles`: `<percentile> <seconds>` pairs (or a
/// file holding them), filled up to all 101 percentiles linearly.
pub fn input_percentiles(words: &[&str]) -> std::result::Result<Vec<f64>, String> {
    let file_words: Vec<String>;
    let mut words: Vec<&str> = words.to_vec();
    if words.len() == 1 && std::path::Path::new(words[0]).is_file() {
        let text = std::fs::read_to_string(words[0]).map_err(|e| format!("{}: {e}", words[0]))?;
        file_words = text.split_whitespace().map(String::from).collect();
        words = file_words.iter().map(String::as_str).collect();
    }
    if words.len() < 2 || !words.len().is_multiple_of(2) {
        return Err("input length invalid".into());
    }
    let mut known = Vec::new();
    for pair in words.chunks(2) {
        let pct = crate::fmt::pyparse::py_int(pair[0])
            .map_err(|_| format!("casting fail ('{}' is not an integer)", pair[0]))?;
        let val = crate::fmt::pyparse::py_float(pair[1])
            .map_err(|_| format!("casting fail ('{}' is not a number)", pair[1]))?;
        let pct = u8::try_from(pct)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| format!("percentile {pct} is out of 0-100"))?;
        known.push((i64::from(pct), val));
    }
    for w in known.windows(2) {
        if w[1].0 <= w[0].0 {
            return Err("percentiles must increase".into());
        }
    }
    let mut full: Vec<f64> = Vec::with_capacity(101);
    let mut last_pct = 0;
    for &(pct, val) in &known {
        if let Some(&last) = full.last() {
            let step = (val - last) / (pct - last_pct) as f64;
            for _ in last_pct + 1..pct {
                let prev = *full.last().unwrap_or(&last);
                full.push(prev + step);
            }
        }
        full.push(val);
        last_pct = pct;
    }
    if full.len() < 2 {
        // one known percentile gives no slope to extend with
        return Err("input length invalid".into());
    }
    let first_step = full[1] - full[0];
    for _ in 0..known[0].0 {
        full.insert(0, full[0] - first_step);
    }
    let n = full.len();
    let last_step = full[n - 1] - full[n - 2];
    for _ in last_pct + 1..=100 {
        let prev = full[full.len() - 1];
        full.push(prev + last_step);
    }
    Ok(full)
}

/// damo's `format_time_sec`.
fn format_time_sec(sec: f64, raw: bool) -> String {
    if raw {
        return crate::fmt::pynum::fmt_d_float(sec);
    }
    format_time_ns(F(sec * 1e9), false)
}

/// The cumulative share of memory idle for at most `idle` seconds.
fn cum_mem_pct_of(pcts: &[f64], idle: f64) -> f64 {
    if idle < pcts[0] {
        return 0.0;
    }
    for (i, &at) in pcts.iter().enumerate() {
        if at == idle {
            return i as f64;
        }
        if at > idle && i > 0 {
            let before = pcts[i - 1];
            return i as f64 - 1.0 + (idle - before) / (at - before);
        }
    }
    100.0
}

/// `idle_time_mem_sz`: how much memory has been idle for how long, in
/// `lines` steps of idle time.
fn idle_time_mem_sz(pcts: &[f64], lines: i128, raw: bool) -> Result<String> {
    if lines <= 0 {
        bail!("--idle_time_mem_sz_lines must be positive, not {lines}");
    }
    let (min, max) = (pcts[0], pcts[pcts.len() - 1]);
    let step = if max == min {
        1.0
    } else {
        (max - min) / lines as f64
    };
    let mut range = [min - 1.0, min + step];
    let mut rows = Vec::new();
    while range[0] < max {
        let sz = cum_mem_pct_of(pcts, range[1]) - cum_mem_pct_of(pcts, range[0]);
        rows.push((format_time_sec(range[1], raw), format_percent(F(sz), raw)));
        range[0] += step;
        range[1] += step;
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (t, pct) in rows {
        out.push_str(&format!("{t}{}{pct}\n", " ".repeat(width + 4 - t.len())));
    }
    Ok(out)
}

/// `idle_time_percentiles`: `<percentile> <idle time>` for a range.
fn idle_time_percentiles(pcts: &[f64], range: &[i64], raw: bool) -> Result<String> {
    let [start, end, step] = range else {
        bail!("--idle_time_percentiles_range takes three numbers: start, end, interval");
    };
    if *step <= 0 || *start < 0 || *end > 101 {
        bail!(
            "--idle_time_percentiles_range {start} {end} {step}: start and end must be \
             within 0-101 and the interval positive"
        );
    }
    let mut out = String::new();
    let mut p = *start;
    while p < *end {
        out.push_str(&format!(
            "{p:3} {}\n",
            usize::try_from(p)
                .ok()
                .and_then(|i| pcts.get(i))
                .map_or_else(String::new, |v| format_time_sec(*v, raw))
        ));
        p += step;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_percentiles_are_filled_linearly() {
        let v = input_percentiles(&["10", "1", "20", "2"]).unwrap();
        assert_eq!(v.len(), 101);
        assert_eq!(v[10], 1.0);
        assert!((v[15] - 1.5).abs() < 1e-9);
        assert!((v[0] - 0.0).abs() < 1e-9);
        assert!((v[100] - 10.0).abs() < 1e-9);
        assert!(input_percentiles(&["10"]).is_err());
        assert!(input_percentiles(&["x", "1"]).is_err());
    }

    #[test]
    fn memory_share_by_idle_time() {
        let pcts: Vec<f64> = (0..=100).map(|i| i as f64).collect();
        assert_eq!(cum_mem_pct_of(&pcts, 50.0), 50.0);
        assert_eq!(cum_mem_pct_of(&pcts, 50.5), 50.5);
        assert_eq!(cum_mem_pct_of(&pcts, -1.0), 0.0);
        assert_eq!(cum_mem_pct_of(&pcts, 200.0), 100.0);
    }
}
