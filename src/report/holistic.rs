//! `damo report holistic`: one report of a record set: heatmaps of every
//! monitored range, working set size and memory footprint percentiles,
//! and the hottest functions of the CPU profile.
//!
//! Pieces come from the other reports (`record_info` guides, `heatmap`,
//! `wss`, `footprints`, `dist`).  The profile (`perf record` data) can
//! only be read by `perf report`: it is run where perf is installed, as
//! damo does; elsewhere the section says what is missing.

use anyhow::{Context as _, Result, bail};

use super::heatmap::{self, Spec};
use super::record_info::{self, Guide};
use super::{dist, footprints, wss};
use crate::cli::opts::ReportHolistic;
use crate::fmt::format_sz;
use crate::fmt::pynum::{F, I, Num};
use crate::record::spool::Source;
use crate::record::{RecordFiles, RecordMeta, Sink, Snapshot};

struct Count(usize);

impl Sink for Count {
    fn snapshot(&mut self, _meta: &RecordMeta, _s: Snapshot) -> Result<()> {
        self.0 += 1;
        Ok(())
    }
}

/// The heatmap of one address range of a guide's records.
fn heatmap_text(
    src: &mut Source,
    guide: &Guide,
    range: [i128; 2],
    time_range: [Num; 2],
    rows: i64,
) -> Result<String> {
    let spec = Spec {
        key: guide.key.clone(),
        time_range,
        addr_range: [I(range[0]), I(range[1])],
        resol: [rows, 80],
        df_passed: false,
        sort: None,
    };
    Ok(heatmap::build(src, &spec)?.ascii_text("gray", false))
}

/// The profile's hottest functions, from `perf report`; `None` without
/// perf.
fn perf_report(perf: &str, profile: &str) -> Result<Option<Vec<String>>> {
    if !crate::damon::args::is_program(perf) {
        return Ok(None);
    }
    let out = std::process::Command::new(perf)
        .args(["report", "-i", profile, "--stdio"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run {perf}"))?;
    if !out.status.success() {
        anyhow::bail!(
            "'{perf} report -i {profile} --stdio' failed ({}); record the profile with \
             'damo record' where perf is installed",
            out.status
        );
    }
    Ok(Some(
        String::from_utf8_lossy(&out.stdout)
            .split('\n')
            .map(String::from)
            .collect(),
    ))
}

fn no_perf_note(perf: &str, profile: &str) -> String {
    format!(
        "hot functions need perf to read {profile}: '{perf}' is not installed; \
         install linux-perf, or run 'perf report -i {profile} --stdio' elsewhere"
    )
}

/// Snapshot-count-dependent adjustment, as damo: records of more than 200
/// snapshots skip the first 20.
fn wss_of(files: &RecordFiles, nr_snapshots: usize, sort: bool) -> Result<dist::Runs> {
    let skip = if nr_snapshots > 200 { 20 } else { 0 };
    // each target's sizes are sorted, then summed index by index
    let dists = wss::wss_dists(files, I(1), 1, I(1), skip, sort)?;
    Ok(wss::collapse(dists)
        .pop()
        .map(|(_, d)| d)
        .unwrap_or_default())
}

const METRICS: [&str; 3] = ["rss", "vsz", "sys_used"];

/// `damo report holistic`.
/// A record and its sidecar files, as the holistic report reads them.
struct Inputs<'a> {
    files: RecordFiles,
    src: Source,
    guides: Vec<Guide>,
    nr_snapshots: usize,
    footprints_path: String,
    profile: String,
    perf: &'a str,
}

impl Inputs<'_> {
    fn has_footprints(&self) -> bool {
        std::path::Path::new(&self.footprints_path).is_file()
    }

    /// The distribution of a footprint metric, if the record has them.
    fn footprints_of(&self, metric: &str, sort: bool) -> Result<Option<Vec<Num>>> {
        if !self.has_footprints() {
            return Ok(None);
        }
        footprints::file_dists(&self.footprints_path, metric, sort).map(Some)
    }
}

pub fn main(args: &ReportHolistic) -> Result<()> {
    let pattern = args.access_pattern.as_str();
    let long = args.long;
    let files = RecordFiles::new(&[pattern]);
    files.check()?;
    let mut src = Source::new(files.clone());
    let guides = record_info::guides(&mut src, false)?.guides;
    if guides.is_empty() {
        bail!(crate::record::NO_SNAPSHOTS);
    }
    let mut count = Count(0);
    files.read(&mut count)?;
    // used only by the short form
    let last_n_sec = args.heatmap_time_last_n_sec.filter(|_| !long);
    let mut inputs = Inputs {
        files,
        src,
        guides,
        nr_snapshots: count.0,
        footprints_path: args
            .footprints
            .clone()
            .unwrap_or_else(|| format!("{pattern}.mem_footprint")),
        profile: args
            .profile
            .clone()
            .unwrap_or_else(|| format!("{pattern}.profile")),
        perf: &args.perf_path,
    };
    let mut notes: Vec<String> = Vec::new();
    if !inputs.has_footprints() {
        notes.push(format!(
            "note: no memory footprints ({} not found; 'damo record' \
             writes it): rss, vsz and sys_used are left out",
            inputs.footprints_path
        ));
    }
    let lines = if long {
        long_report(&mut inputs)?
    } else {
        short_report(&mut inputs, last_n_sec, &mut notes)?
    };
    for n in notes {
        eprintln!("{n}");
    }
    if long {
        // damo pages the long report (bytes as damo's pager rule gives them)
        return crate::output::print_paged(&lines.join("\n"));
    }
    crate::output::print(&(lines.join("\n") + "\n"))
}

/// `--long`: the guides, heatmaps, distributions and hotspot functions,
/// each with its own title.
fn long_report(inp: &mut Inputs) -> Result<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    lines.push("Overall recorded access pattern".into());
    lines.push("===============================".into());
    lines.push(String::new());
    for g in &inp.guides {
        lines.push(g.to_text(true));
    }
    lines.push(String::new());
    lines.push("# regions above are regions that access pattern recorded".into());
    lines.push("# you can get this via 'damo record_info', too".into());
    lines.push(String::new());
    lines.push("Heatmap".into());
    lines.push("=======".into());
    lines.push(String::new());
    for g in &inp.guides {
        lines.push(format!("# target {}", tid(g)));
        for r in g.regions() {
            lines.push(format!("# address range {}-{}", r[0], r[1]));
            lines.push(heatmap_text(
                &mut inp.src,
                g,
                r,
                [g.start_time, g.end_time],
                10,
            )?);
        }
    }
    lines.push("# you can get above via 'damo report heatmap'".into());
    lines.push(String::new());
    lines.push("Working Set Size and Memory Footprints Distribution".into());
    lines.push("===================================================".into());
    lines.push(String::new());
    let percentiles: Vec<i64> = (0..101).step_by(25).collect();
    for sort_key in ["size", "time"] {
        let sort = sort_key == "size";
        lines.push(format!("Sorted by {sort_key}"));
        lines.push("--------------".into());
        lines.push(String::new());
        let dist_text = |name: &str, d: &dyn dist::Series| {
            dist::fmt_dists(name, d, &percentiles, false, format_sz, false, 59)
        };
        lines.push(dist_text(
            "wss",
            &wss_of(&inp.files, inp.nr_snapshots, sort)?,
        )?);
        for metric in METRICS {
            if let Some(d) = inp.footprints_of(metric, sort)? {
                lines.push(dist_text(metric, &d)?);
            }
        }
        lines.push(String::new());
    }
    lines.push("# you can get above via 'damo report wss' and 'damo report footprints'".into());
    lines.push(String::new());
    lines.push("Hotspot functions".into());
    lines.push("=================".into());
    lines.push(String::new());
    match perf_report(inp.perf, &inp.profile) {
        Ok(Some(out)) => lines.push(out.into_iter().take(30).collect::<Vec<_>>().join("\n")),
        Ok(None) => lines.push(format!("({})", no_perf_note(inp.perf, &inp.profile))),
        Err(e) => lines.push(format!("({e:#})")),
    }
    lines.push("# you can get above via 'damo report profile'".into());
    Ok(lines)
}

/// The default report: heatmaps (of the last `last_n_sec` seconds when
/// given), the footprint percentiles and the hottest functions.
fn short_report(
    inp: &mut Inputs,
    last_n_sec: Option<f64>,
    notes: &mut Vec<String>,
) -> Result<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    lines.push("# Heatmap".into());
    for g in &inp.guides {
        let time_range = match last_n_sec {
            Some(secs) => [g.end_time.sub(F(secs * 1e9)), g.end_time],
            None => [g.start_time, g.end_time],
        };
        for r in g.regions() {
            lines.push(format!(
                "# target {}, address range {}-{}",
                tid(g),
                r[0],
                r[1]
            ));
            lines.push(heatmap_text(&mut inp.src, g, r, time_range, 5)?);
        }
    }
    lines.push(String::new());
    lines.push("# Memory Footprints Distribution".into());
    lines.push(format!(
        "{:>10} {:>15} {:>15} {:>15} {:>15} {:>15}",
        "percentile", "0", "25", "50", "75", "100"
    ));
    let row = |name: &str, d: &dyn dist::Series| -> Result<String> {
        let mut line = format!("{name:>10} ");
        for p in (0..101).step_by(25) {
            line.push_str(&format!(
                "{:>15} ",
                format_sz(dist::percentile(d, p)?, false)
            ));
        }
        Ok(line)
    };
    lines.push(row("wss", &wss_of(&inp.files, inp.nr_snapshots, true)?)?);
    for metric in METRICS {
        if let Some(d) = inp.footprints_of(metric, true)? {
            lines.push(row(metric, &d)?);
        }
    }
    match perf_report(inp.perf, &inp.profile) {
        Ok(Some(out)) => {
            lines.push(String::new());
            lines.push("# Hotspot functions".into());
            lines.extend(out.into_iter().skip(5).take(16));
        }
        Ok(None) => notes.push(format!("note: {}", no_perf_note(inp.perf, &inp.profile))),
        Err(e) => notes.push(format!("note: {e:#}")),
    }
    Ok(lines)
}

fn tid(g: &Guide) -> String {
    g.key
        .tid
        .map(|t| format!("{}", t.trunc()))
        .unwrap_or_else(|| "None".into())
}
