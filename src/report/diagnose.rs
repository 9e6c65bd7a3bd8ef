//! `damo diagnose`: is DAMON working as it should?
//!
//! damo 3.4.3 collects the system information, the kdamonds and the
//! modules' parameters and prints them (as JSON, with `--verbose`) for a
//! human to read.  Ours reads the same (refreshing scheme statistics and
//! tried regions first, as damo does) and also checks what damo lists as
//! wishes: targets that are gone, intervals that make no sense, region
//! counts outside `[min, max]`, and schemes that never apply or that their
//! quota holds back.  `--verbose` adds damo's JSON dump.

use anyhow::Result;

use crate::cli::opts::Diagnose;
use crate::damon::js::Js;
use crate::damon::model::{Context, Kdamond, Scheme};
use crate::fmt::pynum::Num;
use crate::fmt::{format_sz, format_time_us};
use crate::sysfs::Sysfs;
use crate::sysfs::modules::{LRU_SORT, Module, RECLAIM};

/// How bad a finding is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    Ok,
    Warn,
    Problem,
}

impl Level {
    fn tag(self) -> &'static str {
        match self {
            Level::Ok => "ok     ",
            Level::Warn => "warn   ",
            Level::Problem => "PROBLEM",
        }
    }
}

/// One finding, with what to do about it.
pub struct Finding {
    pub level: Level,
    pub text: String,
}

fn f(level: Level, text: impl Into<String>) -> Finding {
    Finding {
        level,
        text: text.into(),
    }
}

fn n(v: Num) -> i128 {
    v.trunc()
}

/// Checks of one context of a running kdamond.
pub fn check_context(c: &Context) -> Vec<Finding> {
    let mut v = Vec::new();
    let iv = &c.intervals;
    if n(iv.aggr) < n(iv.sample) {
        v.push(f(
            Level::Problem,
            format!(
                "the aggregation interval ({}) is shorter than the sampling interval ({}); \
                 DAMON counts no accesses (set e.g. 'damo tune --sample 5ms --aggr 100ms')",
                format_time_us(iv.aggr, false),
                format_time_us(iv.sample, false)
            ),
        ));
    } else {
        v.push(f(
            Level::Ok,
            format!(
                "intervals: sample {}, aggr {}",
                format_time_us(iv.sample, false),
                format_time_us(iv.aggr, false)
            ),
        ));
    }
    let [min, max] = c.nr_regions;
    if n(min) < 3 || n(min) > n(max) {
        v.push(f(
            Level::Problem,
            format!(
                "nr_regions range [{}, {}] is invalid (needs 3 <= min <= max)",
                n(min),
                n(max)
            ),
        ));
    }
    if c.ops.contains("vaddr") {
        for (i, t) in c.targets.iter().enumerate() {
            match t.pid {
                Some(pid) if !crate::proc::alive(pid) => v.push(f(
                    Level::Warn,
                    format!(
                        "target {i}: process {pid} is gone, so DAMON monitors nothing there \
                         (stop with 'damo stop', or restart for a live process)"
                    ),
                )),
                Some(pid) => v.push(f(Level::Ok, format!("target {i}: process {pid} is alive"))),
                None => {}
            }
        }
    }
    // the schemes' tried regions are DAMON's regions where a scheme takes
    // every region
    let seen = c
        .schemes
        .iter()
        .filter_map(|s| s.tried_regions.as_ref().map(|r| (s, r.len() as i128)))
        .filter(|(s, _)| covers_every_region(s))
        .map(|(_, nr)| nr)
        .max();
    match seen {
        Some(nr) if nr > n(max) => v.push(f(
            Level::Problem,
            format!(
                "{nr} regions, more than the maximum {}: DAMON's region merging is not \
                 keeping up (report it with 'damo report damon' output)",
                n(max)
            ),
        )),
        Some(nr) if nr < n(min) => v.push(f(
            Level::Warn,
            format!(
                "{nr} regions, fewer than the minimum {}: the monitored areas may be too \
                 small to split",
                n(min)
            ),
        )),
        Some(nr) => v.push(f(
            Level::Ok,
            format!("{nr} regions, within [{}, {}]", n(min), n(max)),
        )),
        None => v.push(f(
            Level::Ok,
            "number of regions not checked (no scheme takes every region; \
             'damo report access' shows a snapshot)",
        )),
    }
    for (i, s) in c.schemes.iter().enumerate() {
        for x in check_scheme(s) {
            v.push(Finding {
                level: x.level,
                text: format!("scheme {i} ({}): {}", s.action, x.text),
            });
        }
    }
    v
}

/// Whether a scheme's access pattern takes every region (damo's stat
/// scheme for snapshots does).
fn covers_every_region(s: &Scheme) -> bool {
    let p = &s.access_pattern;
    n(p.sz_bytes[0]) == 0
        && n(p.nr_accesses[0]) == 0
        && n(p.age[0]) == 0
        && p.sz_bytes[1].f() >= u64::MAX as f64 * 0.99
        && s.filters.is_empty()
}

/// Checks of one scheme's statistics and quota.
pub fn check_scheme(s: &Scheme) -> Vec<Finding> {
    let mut v = Vec::new();
    let Some(st) = &s.stats else {
        return v;
    };
    if n(st.nr_tried) == 0 {
        v.push(f(
            Level::Warn,
            "never tried: no region has matched its access pattern yet (check the \
             pattern with 'damo report access', or wait longer than its minimum age)",
        ));
    } else if n(st.nr_applied) == 0 && s.action != "stat" {
        v.push(f(
            Level::Warn,
            format!(
                "tried {} regions ({}) but applied to none: filters or the kernel \
                 refused the action (see 'damo report damon --damos_stats')",
                n(st.nr_tried),
                format_sz(st.sz_tried, false)
            ),
        ));
    } else {
        v.push(f(
            Level::Ok,
            format!(
                "tried {} regions ({}), applied to {}",
                n(st.nr_tried),
                format_sz(st.sz_tried, false),
                format_sz(st.sz_applied, false)
            ),
        ));
    }
    let q = &s.quotas;
    let has_quota = n(q.time_ms) > 0 || n(q.sz_bytes) > 0 || !q.goals.is_empty();
    if has_quota && n(st.qt_exceeds) > 0 {
        v.push(f(
            Level::Warn,
            format!(
                "its quota was exceeded {} times, so it does less than its pattern asks \
                 (raise --damos_quotas if that is not intended)",
                n(st.qt_exceeds)
            ),
        ));
    }
    if has_quota && !q.goals.is_empty() && n(q.effective_sz_bytes) == 0 && n(st.nr_tried) > 0 {
        v.push(f(
            Level::Warn,
            "quota goals tuned the effective quota down to 0 bytes: the goals are met \
             or cannot be met by this action",
        ));
    }
    v
}

fn module_line(fs: &Sysfs, m: &Module) -> Option<String> {
    let p = m.params(fs);
    if !p.dir.is_dir() {
        return None;
    }
    let on = m.running(&p).unwrap_or(false);
    Some(format!(
        "{}: {}",
        m.title,
        if on { "running" } else { "off" }
    ))
}

fn module_status_js(fs: &Sysfs, m: &Module) -> Js {
    let p = m.params(fs);
    Js::Obj(
        m.status(&p)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_string(), Js::Str(v)))
            .collect(),
    )
}

fn opt_js(v: &Option<impl ToString>) -> Js {
    v.as_ref().map_or(Js::Null, |s| Js::Str(s.to_string()))
}

fn path_js(p: &Option<std::path::PathBuf>) -> Js {
    p.as_ref()
        .map_or(Js::Null, |p| Js::Str(p.display().to_string()))
}

/// damo's `--verbose` dump.
fn verbose_js(fs: &Sysfs, kdamonds: &[Kdamond]) -> Js {
    let info = super::sysinfo::SysInfo::gather(fs);
    let feats = info
        .avail
        .iter()
        .map(|u| {
            Js::Obj(vec![
                ("name".into(), Js::Str(u.name.into())),
                ("upstream_status".into(), Js::Str(u.status.into())),
                ("upstreamed_version".into(), Js::Str(u.version.into())),
                ("comments".into(), Js::Str(u.comment.into())),
            ])
        })
        .collect();
    let sysinfo = Js::Obj(vec![
        (
            "damo_version".into(),
            Js::Str(crate::cli::DAMO_VERSION.into()),
        ),
        (
            "kernel_version".into(),
            Js::Str(info.kernel_version.clone()),
        ),
        ("sysfs_path".into(), path_js(&info.sysfs)),
        ("tracefs_path".into(), path_js(&info.tracefs)),
        ("debugfs_path".into(), path_js(&info.debugfs)),
        ("trace_cmd_version".into(), opt_js(&info.trace_cmd_version)),
        ("perf_path".into(), path_js(&info.perf_path)),
        ("perf_version".into(), opt_js(&info.perf_version)),
        ("avail_damon_features".into(), Js::List(feats)),
    ]);
    Js::Obj(vec![
        ("sysinfo".into(), sysinfo),
        (
            "sysfs".into(),
            Js::Obj(vec![(
                "kdamonds".into(),
                Js::List(
                    kdamonds
                        .iter()
                        .map(|k| k.to_js_full(false, false, false))
                        .collect(),
                ),
            )]),
        ),
        ("debugfs".into(), Js::Obj(vec![])),
        (
            "damon_reclaim_status".into(),
            module_status_js(fs, &RECLAIM),
        ),
        (
            "damon_lru_sort_status".into(),
            module_status_js(fs, &LRU_SORT),
        ),
    ])
}

/// `damo diagnose [--verbose]`.
pub fn main(args: &Diagnose, fs: &Sysfs) -> Result<()> {
    let running = fs.running_idxs()?;
    // what damo refreshes before reading (errors here are findings, not
    // failures: a kernel may lack a command)
    let mut notes = Vec::new();
    if let Err(e) = fs.update_schemes_stats(&running) {
        notes.push(f(
            Level::Warn,
            format!("could not refresh scheme statistics: {e:#}"),
        ));
    }
    if let Err(e) = fs.state_command(&running, "update_schemes_tried_regions") {
        notes.push(f(
            Level::Warn,
            format!("could not refresh tried regions: {e:#}"),
        ));
    }
    let kdamonds = fs.current_kdamonds()?;
    let mut out = String::new();
    let mut counts = [0usize; 3];
    let mut put = |out: &mut String, indent: &str, x: &Finding| {
        counts[x.level as usize] += 1;
        out.push_str(&format!("{indent}{} {}\n", x.level.tag(), x.text));
    };
    for x in &notes {
        put(&mut out, "", x);
    }
    if kdamonds.is_empty() {
        out.push_str("no kdamond is set up ('damo start' starts one)\n");
    }
    for (i, k) in kdamonds.iter().enumerate() {
        let state = k.state.as_deref().unwrap_or("off");
        out.push_str(&format!(
            "kdamond {i}: {state}{}\n",
            k.pid
                .as_deref()
                .filter(|p| *p != "-1")
                .map(|p| format!(" (pid {p})"))
                .unwrap_or_default()
        ));
        if state != "on" {
            continue;
        }
        // (a fake tree's kdamond has no thread)
        if let Some(pid) = k.pid.as_deref().and_then(|p| p.parse::<i128>().ok())
            && !fs.is_emulated()
            && !crate::proc::alive(pid)
        {
            put(
                &mut out,
                "  ",
                &f(
                    Level::Problem,
                    format!("its thread (pid {pid}) does not exist though the state is on"),
                ),
            );
        }
        for (ci, c) in k.contexts.iter().enumerate() {
            out.push_str(&format!(
                "  context {ci}: {}, {} target(s), {} scheme(s)\n",
                c.ops,
                c.targets.len(),
                c.schemes.len()
            ));
            for x in check_context(c) {
                put(&mut out, "    ", &x);
            }
        }
    }
    let modules: Vec<String> = [&RECLAIM, &LRU_SORT]
        .iter()
        .filter_map(|m| module_line(fs, m))
        .collect();
    if !modules.is_empty() {
        out.push_str(&format!("modules: {}\n", modules.join(", ")));
    }
    out.push_str(&format!(
        "summary: {} problem(s), {} warning(s), {} check(s) passed\n",
        counts[Level::Problem as usize],
        counts[Level::Warn as usize],
        counts[Level::Ok as usize]
    ));
    if args.verbose {
        out.push_str(&verbose_js(fs, &kdamonds).to_text(false));
    }
    crate::output::print(&out)
}
