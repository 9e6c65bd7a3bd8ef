//! `report footprints`: the distribution of memory footprints sampled by
//! `damo record` into `<record>.mem_footprint` (from /proc/PID/statm and
//! /proc/meminfo, about once a second).

use anyhow::{Context, Result};
use serde::Deserialize;

use super::dist;
use crate::cli::conv::Choice as _;
use crate::cli::opts::{Metric, ReportFootprints, Sortby};
use crate::fmt::format_sz;
use crate::fmt::pynum::{I, Num};

/// One sample of the footprint file.
#[derive(Deserialize)]
struct Sample {
    footprints: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    pid: Option<serde_json::Value>,
    footprint: serde_json::Map<String, serde_json::Value>,
}

fn field(fp: &serde_json::Map<String, serde_json::Value>, key: &str) -> Result<i128> {
    fp.get(key)
        .and_then(|v| {
            v.as_i64()
                .map(i128::from)
                .or_else(|| v.as_u64().map(i128::from))
        })
        .with_context(|| format!("a footprint has no integer '{key}'"))
}

/// Footprint in bytes per sample for `metric` (damo's `get_dists`).
fn dists(samples: &[Sample], metric: &str, sort: bool) -> Result<Vec<Num>> {
    let mut out = Vec::with_capacity(samples.len());
    for s in samples {
        // damo keys footprints by pid in a dict: a repeated pid replaces
        // the earlier entry.
        let mut by_pid: Vec<(&Option<serde_json::Value>, &Entry)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for e in &s.footprints {
            // (a map lookup per entry: many pids in a sample stay linear)
            let key = e
                .pid
                .as_ref()
                .map_or_else(|| "None".into(), |p| p.to_string());
            match index.get(&key).and_then(|&i| by_pid.get_mut(i)) {
                Some(slot) => slot.1 = e,
                None => {
                    index.insert(key, by_pid.len());
                    by_pid.push((&e.pid, e));
                }
            }
        }
        let mut bytes: i128 = 0;
        for (pid, e) in by_pid {
            if pid.is_none() {
                if metric == "sys_used" {
                    bytes = (field(&e.footprint, "total")? - field(&e.footprint, "free")?) * 1024;
                }
                continue;
            }
            match metric {
                "vsz" => bytes += field(&e.footprint, "size")? * 4096,
                "rss" => bytes += field(&e.footprint, "resident")? * 4096,
                _ => {}
            }
        }
        out.push(I(bytes));
    }
    if sort {
        out.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    }
    Ok(out)
}

/// The footprints of `path` (a `.mem_footprint` file) for `metric`.
pub fn file_dists(path: &str, metric: &str, sort: bool) -> Result<Vec<Num>> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {path}"))?;
    let samples: Vec<Sample> = serde_json::from_slice(&text)
        .with_context(|| format!("{path} is not a memory footprint file"))?;
    dists(&samples, metric, sort)
}

/// `damo report footprints`.
pub fn main(args: &ReportFootprints) -> Result<()> {
    let input = args.input.as_str();
    let text = std::fs::read(input).map_err(|e| {
        anyhow::anyhow!(
            "cannot read {input} ({e}): give the .mem_footprint file 'damo record' wrote, \
             with --input"
        )
    })?;
    let samples: Vec<Sample> = serde_json::from_slice(&text)
        .with_context(|| format!("{input} is not a memory footprint file"))?;
    let metrics: Vec<&str> = match args.metric {
        Metric::All => vec!["vsz", "rss", "sys_used"],
        m => vec![m.as_str()],
    };
    let sort = args.sortby == Sortby::Size;
    let percentiles = dist::percentiles(&args.range)?;
    let all = args.all_footprint;
    if let Some(path) = args.plot.as_deref() {
        let mut data = Vec::new();
        for m in &metrics {
            data.push((m.to_string(), dists(&samples, m, sort)?));
        }
        let series: Vec<(String, &[Num])> = data
            .iter()
            .map(|(m, d)| (m.clone(), d.as_slice()))
            .collect();
        return dist::plot(
            path,
            &series,
            &percentiles,
            all,
            sort,
            "memory footprint (bytes)",
        );
    }
    let nr_cols = args.nr_cols_bar;
    let mut out = String::new();
    for m in metrics {
        let d = dists(&samples, m, sort)?;
        out.push_str(&dist::fmt_dists(
            m,
            &d,
            &percentiles,
            all,
            format_sz,
            args.raw_number,
            nr_cols,
        )?);
        out.push('\n');
    }
    crate::output::print(&out)
}
