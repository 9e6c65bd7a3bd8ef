//! DAMON's debugfs interface, `<debugfs>/damon/` (Linux 5.15 to 6.8,
//! removed in 6.9): one kdamond with one context and at most one target,
//! set by writing whole lines to `attrs`, `target_ids`, `init_regions` and
//! `schemes`, and turned on and off through `monitor_on` (or
//! `monitor_on_DEPRECATED`, its name from 6.6 on).
//!
//! [`Sysfs`] drives it in place of the sysfs tree when the interface was
//! chosen (`--damon_interface_DEPRECATED debugfs`, or `auto` on a kernel
//! without DAMON sysfs): its state, staging and reading methods come here,
//! and its I/O (the emulator, the write trace, `--debug_damon`) is shared.
//! The write order is damo 3.4.3's: `attrs`, `target_ids`, `init_regions`,
//! `schemes`, then `monitor_on`.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};

use super::Sysfs;
use crate::damon::damos::DamosStats;
use crate::damon::model::{
    AccessPattern, AgeUnit, Context, Intervals, Kdamond, NrAccUnit, OpsAttrs, Quotas, Scheme,
    Target, Watermarks,
};
use crate::fmt::pynum::{F, I, Num};

/// DAMOS actions as the debugfs `schemes` file numbers them.
const ACTIONS: [&str; 6] = [
    "willneed",
    "cold",
    "pageout",
    "hugepage",
    "nohugepage",
    "stat",
];

/// Watermark metrics as the `schemes` file numbers them.
const METRICS: [&str; 2] = ["none", "free_mem_rate"];

/// The target id debugfs shows for the physical address space.
const PADDR_ID: i128 = 42;

/// What the kernel's debugfs files take, by version (damo's `debugfs/*`
/// features).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abilities {
    /// `paddr` in `target_ids` (5.16).
    pub paddr: bool,
    /// The `init_regions` file (5.16).
    pub init_regions: bool,
    /// `init_regions` names targets by index, not id (5.18).
    pub init_regions_target_idx: bool,
    /// The `schemes` file (5.16).
    pub schemes: bool,
    /// Quotas, prioritization weights and watermarks in scheme lines (5.16).
    pub quotas_wmarks: bool,
    /// Five statistics per scheme line (5.17; two before).
    pub stat_succ: bool,
}

impl Abilities {
    /// The abilities of a kernel version.
    pub fn of(version: Option<super::features::Version>) -> Abilities {
        let at = |v: (u32, u32)| version.is_some_and(|k| k >= v);
        Abilities {
            paddr: at((5, 16)),
            init_regions: at((5, 16)),
            init_regions_target_idx: at((5, 18)),
            schemes: at((5, 16)),
            quotas_wmarks: at((5, 16)),
            stat_succ: at((5, 17)),
        }
    }

    /// damo's `debugfs/*` feature names with whether the kernel has them.
    pub fn features(&self) -> [(&'static str, bool); 12] {
        [
            ("debugfs/init_regions", self.init_regions),
            (
                "debugfs/init_regions_target_idx",
                self.init_regions_target_idx,
            ),
            ("debugfs/paddr", self.paddr),
            ("debugfs/record", false),
            ("debugfs/schemes", self.schemes),
            ("debugfs/schemes_prioritization", self.quotas_wmarks),
            ("debugfs/schemes_size_quota", self.quotas_wmarks),
            ("debugfs/schemes_stat_qt_exceed", self.stat_succ),
            ("debugfs/schemes_stat_succ", self.stat_succ),
            ("debugfs/schemes_time_quota", self.quotas_wmarks),
            ("debugfs/schemes_wmarks", self.quotas_wmarks),
            ("debugfs/vaddr", true),
        ]
    }
}

/// An error for a parameter the debugfs interface cannot take.
fn lacks(what: &str) -> anyhow::Error {
    anyhow!(
        "the DAMON debugfs interface cannot take {what}: use a kernel with DAMON sysfs \
         (CONFIG_DAMON_SYSFS, Linux 5.18 or later)"
    )
}

/// A number as damo's `%d` writes it.
fn d(v: Num) -> String {
    v.trunc().to_string()
}

impl Sysfs {
    /// Whether the DAMON debugfs interface exists.
    pub fn dbgfs_supported(&self) -> bool {
        self.dbgfs_dir.is_dir()
    }

    /// What this kernel's debugfs files take.
    pub fn dbgfs_abilities(&self) -> Abilities {
        Abilities::of(super::features::kernel_version(self))
    }

    /// `monitor_on`, or `monitor_on_DEPRECATED` where it was renamed.
    fn monitor_on(&self) -> Result<PathBuf> {
        ["monitor_on", "monitor_on_DEPRECATED"]
            .iter()
            .map(|n| self.dbgfs_dir.join(n))
            .find(|p| p.is_file())
            .ok_or_else(|| anyhow!("{}/monitor_on not found", self.dbgfs_dir.display()))
    }

    pub(super) fn dbgfs_is_running(&self) -> Result<bool> {
        Ok(self.read(&self.monitor_on()?)?.trim() == "on")
    }

    /// Writes `on` or `off` to `monitor_on`.
    pub(super) fn dbgfs_turn(&self, on: bool) -> Result<()> {
        self.write(&self.monitor_on()?, if on { "on" } else { "off" })?;
        Ok(())
    }

    /// The pid of the kdamond (`none` when off).
    pub(super) fn dbgfs_pid(&self) -> Result<String> {
        Ok(self
            .read(&self.dbgfs_dir.join("kdamond_pid"))?
            .trim()
            .to_string())
    }

    /// Stages `kdamonds` (at most one kdamond with one context and one
    /// target), in damo's order; everything is checked before the first
    /// write, so what debugfs cannot take leaves the files as they were.
    pub(super) fn dbgfs_stage(&self, kdamonds: &[Kdamond]) -> Result<()> {
        if self.dbgfs_is_running()? {
            bail!(
                "the DAMON debugfs interface cannot change a running kdamond: stop it first \
                 ('damo stop')"
            );
        }
        for (file, value) in stage_writes(kdamonds, &self.dbgfs_abilities())? {
            self.write(&self.dbgfs_dir.join(file), &value)?;
        }
        Ok(())
    }

    /// Checks that the debugfs interface can take `kdamonds` (nothing is
    /// written); nothing to check on sysfs.
    pub fn check_stageable(&self, kdamonds: &[Kdamond]) -> Result<()> {
        if self.use_dbgfs {
            stage_writes(kdamonds, &self.dbgfs_abilities())?;
        }
        Ok(())
    }

    /// The kdamond the debugfs files describe.
    pub(super) fn dbgfs_kdamonds(&self) -> Result<Vec<Kdamond>> {
        let dir = &self.dbgfs_dir;
        self.log_tree_read(dir);
        let read = |name: &str| -> Result<String> {
            super::read_kernel_file(&dir.join(name))
                .map_err(|e| anyhow!("cannot read {}: {e}", dir.join(name).display()))
        };
        let state = read(
            self.monitor_on()?
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("monitor_on"),
        )?
        .trim()
        .to_string();
        let ab = self.dbgfs_abilities();
        // init_regions cannot be read while DAMON runs
        let regions = if state == "off" && ab.init_regions {
            read("init_regions")?
        } else {
            String::new()
        };
        let schemes = if ab.schemes {
            read("schemes")?
        } else {
            String::new()
        };
        let files = Files {
            attrs: &read("attrs")?,
            target_ids: &read("target_ids")?,
            init_regions: &regions,
            schemes: &schemes,
        };
        let mut k = kdamond_of(&files, &ab)?;
        k.state = Some(state);
        k.pid = Some(read("kdamond_pid")?.trim().to_string());
        Ok(vec![k])
    }
}

/// The writes that stage `kdamonds`: (file, value), in damo's order.
fn stage_writes(kdamonds: &[Kdamond], ab: &Abilities) -> Result<Vec<(&'static str, String)>> {
    let Some(ctx) = single_context(kdamonds)? else {
        return Ok(Vec::new());
    };
    let mut writes = vec![("attrs", attrs_line(ctx))];
    if let Some(t) = ctx.targets.first() {
        let (ids, tid) = target_ids(ctx, t, ab)?;
        writes.push(("target_ids", ids));
        if ab.init_regions {
            writes.push(("init_regions", init_regions_line(t, tid)));
        }
    }
    if ab.schemes {
        let lines = ctx
            .schemes
            .iter()
            .map(|s| scheme_line(s, &ctx.intervals, ab))
            .collect::<Result<Vec<_>>>()?;
        let text = match lines.join("\n") {
            t if t.is_empty() => "\n".to_string(),
            t => t,
        };
        writes.push(("schemes", text));
    } else if !ctx.schemes.is_empty() {
        return Err(lacks("DAMOS schemes (Linux 5.16 or later has them)"));
    }
    Ok(writes)
}

/// The one context debugfs can run, or none.
fn single_context(kdamonds: &[Kdamond]) -> Result<Option<&Context>> {
    if kdamonds.len() > 1 {
        return Err(lacks("more than one kdamond"));
    }
    let Some(k) = kdamonds.first() else {
        return Ok(None);
    };
    if !k.refresh_ms.is_zero() {
        return Err(lacks("--refresh_stat"));
    }
    if k.contexts.len() > 1 {
        return Err(lacks("more than one monitoring context"));
    }
    let Some(c) = k.contexts.first() else {
        return Ok(None);
    };
    if c.targets.len() > 1 {
        return Err(lacks("more than one monitoring target"));
    }
    if !["vaddr", "paddr"].contains(&c.ops.as_str()) {
        return Err(lacks(&format!("the '{}' operations", c.ops)));
    }
    if c.intervals.goal.enabled() {
        return Err(lacks("monitoring intervals auto-tuning"));
    }
    if c.addr_unit != I(1) {
        return Err(lacks("--damon_addr_unit"));
    }
    if c.pause {
        return Err(lacks("pausing a context"));
    }
    if !c.probes.is_empty() {
        return Err(lacks("--probe_* options"));
    }
    if c.ops_attrs != OpsAttrs::default() {
        return Err(lacks("--exp_ops_* options"));
    }
    Ok(Some(c))
}

/// `attrs`: sampling, aggregation and update intervals, then the region
/// count range (damo writes a trailing space).
fn attrs_line(c: &Context) -> String {
    let iv = &c.intervals;
    format!(
        "{} {} {} {} {} ",
        d(iv.sample),
        d(iv.aggr),
        d(iv.ops_update),
        d(c.nr_regions[0]),
        d(c.nr_regions[1])
    )
}

/// `target_ids`' input for the target, and the id `init_regions` names it
/// by.
fn target_ids(c: &Context, t: &Target, ab: &Abilities) -> Result<(String, i128)> {
    let (ids, id) = if c.ops == "paddr" {
        if !ab.paddr {
            return Err(lacks(
                "the physical address space (Linux 5.16 or later has it)",
            ));
        }
        ("paddr\n".to_string(), PADDR_ID)
    } else {
        let pid = t
            .pid
            .ok_or_else(|| anyhow!("a vaddr target needs a pid (--target_pid)"))?;
        (pid.to_string(), pid)
    };
    Ok((ids, if ab.init_regions_target_idx { 0 } else { id }))
}

/// `init_regions`: `<target> <start> <end>` for every region, on one line.
fn init_regions_line(t: &Target, tid: i128) -> String {
    t.regions
        .iter()
        .map(|[s, e]| format!("{tid} {} {}", d(*s), d(*e)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line of `schemes`: the access pattern in the kernel's units and the
/// action's number, then (5.16+) quotas, weights and watermarks.
fn scheme_line(s: &Scheme, iv: &Intervals, ab: &Abilities) -> Result<String> {
    let action = ACTIONS
        .iter()
        .position(|a| *a == s.action)
        .ok_or_else(|| lacks(&format!("the '{}' DAMOS action", s.action)))?;
    if !s.filters.is_empty() {
        return Err(lacks("DAMOS filters"));
    }
    if !s.quotas.goals.is_empty() {
        return Err(lacks("DAMOS quota goals"));
    }
    if !s.dests.is_empty() || s.target_nid.is_some() {
        return Err(lacks("DAMOS migration"));
    }
    if !s.apply_interval_us.is_zero() {
        return Err(lacks("--damos_apply_interval"));
    }
    let (samples, aggrs) = s.access_pattern.in_kernel_units(iv);
    let p = &s.access_pattern;
    let mut fields = vec![
        d(p.sz_bytes[0]),
        d(p.sz_bytes[1]),
        d(samples[0]),
        d(samples[1]),
        d(aggrs[0]),
        d(aggrs[1]),
        action.to_string(),
    ];
    if ab.quotas_wmarks {
        let q = &s.quotas;
        let w = &s.watermarks;
        let metric = METRICS
            .iter()
            .position(|m| *m == w.metric)
            .ok_or_else(|| lacks(&format!("the '{}' watermark metric", w.metric)))?;
        fields.extend([
            d(q.time_ms),
            d(q.sz_bytes),
            d(q.reset_interval_ms),
            d(q.weights[0]),
            d(q.weights[1]),
            d(q.weights[2]),
            metric.to_string(),
            d(w.interval_us),
            d(w.marks[0]),
            d(w.marks[1]),
            d(w.marks[2]),
        ]);
    } else if s.quotas != Quotas::default() || s.watermarks != Watermarks::default() {
        return Err(lacks(
            "DAMOS quotas and watermarks (Linux 5.16 or later has them)",
        ));
    }
    Ok(fields.join("\t"))
}

/// The debugfs files a kdamond is read from.
struct Files<'a> {
    attrs: &'a str,
    target_ids: &'a str,
    init_regions: &'a str,
    schemes: &'a str,
}

fn ints(text: &str, what: &str) -> Result<Vec<i128>> {
    text.split_whitespace()
        .map(|w| {
            w.parse::<i128>()
                .map_err(|_| anyhow!("debugfs {what}: '{w}' is not a number"))
        })
        .collect()
}

/// The kdamond of the files (damo's `files_content_to_kdamonds`).
fn kdamond_of(f: &Files, ab: &Abilities) -> Result<Kdamond> {
    let attrs = ints(f.attrs, "attrs")?;
    let [sample, aggr, update, min, max] = attrs[..] else {
        bail!("debugfs attrs: '{}' is not five numbers", f.attrs.trim());
    };
    let intervals = Intervals {
        sample: I(sample),
        aggr: I(aggr),
        ops_update: I(update),
        ..Intervals::default()
    };
    let ids = ints(f.target_ids, "target_ids")?;
    let paddr = ids.contains(&PADDR_ID);
    let fields = ints(f.init_regions, "init_regions")?;
    let targets = ids
        .iter()
        .enumerate()
        .map(|(idx, id)| {
            let key = if ab.init_regions_target_idx {
                i128::try_from(idx).unwrap_or(i128::MAX)
            } else {
                *id
            };
            Target {
                pid: (!paddr).then_some(*id),
                obsolete: false,
                regions: fields
                    .chunks_exact(3)
                    .filter(|r| r.first() == Some(&key))
                    .filter_map(|r| match r {
                        [_, s, e] => Some([I(*s), I(*e)]),
                        _ => None,
                    })
                    .collect(),
            }
        })
        .collect();
    let schemes = f
        .schemes
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| scheme_of(l, &intervals, ab))
        .collect::<Result<Vec<_>>>()?;
    Ok(Kdamond {
        state: None,
        pid: None,
        refresh_ms: I(0),
        contexts: vec![Context {
            ops: if paddr { "paddr" } else { "vaddr" }.into(),
            addr_unit: I(1),
            targets,
            intervals,
            nr_regions: [I(min), I(max)],
            probes: Vec::new(),
            ops_attrs: OpsAttrs::default(),
            pause: false,
            schemes,
        }],
    })
}

/// A scheme from one `schemes` line (damo's `debugfs_output_to_damos`):
/// the access pattern shown in percent and microseconds.
fn scheme_of(line: &str, iv: &Intervals, ab: &Abilities) -> Result<Scheme> {
    let all = ints(line, "schemes")?;
    let nr_stats = if ab.stat_succ { 5 } else { 2 };
    let (fields, stats) = all.split_at(all.len().saturating_sub(nr_stats));
    let bad = || anyhow!("debugfs schemes: unexpected line '{}'", line.trim());
    if fields.len() != 7 && fields.len() != 18 {
        return Err(bad());
    }
    let f = |i: usize| fields.get(i).copied().ok_or_else(bad);
    let max_samples = iv.aggr.f() / iv.sample.f();
    let pct = |v: i128| F(v as f64 * 100.0 / max_samples);
    let action = usize::try_from(f(6)?)
        .ok()
        .and_then(|i| ACTIONS.get(i))
        .ok_or_else(bad)?;
    let mut quotas = Quotas::default();
    let mut watermarks = Watermarks::default();
    if fields.len() == 18 {
        quotas.time_ms = I(f(7)?);
        quotas.sz_bytes = I(f(8)?);
        quotas.reset_interval_ms = I(f(9)?);
        quotas.weights = [I(f(10)?), I(f(11)?), I(f(12)?)];
        watermarks.metric = usize::try_from(f(13)?)
            .ok()
            .and_then(|i| METRICS.get(i))
            .ok_or_else(bad)?
            .to_string();
        watermarks.interval_us = I(f(14)?);
        watermarks.marks = [I(f(15)?), I(f(16)?), I(f(17)?)];
    }
    let stat = |i: usize| I(stats.get(i).copied().unwrap_or(0));
    Ok(Scheme {
        action: action.to_string(),
        dests: Vec::new(),
        target_nid: None,
        access_pattern: AccessPattern {
            sz_bytes: [I(f(0)?), I(f(1)?)],
            nr_accesses: [pct(f(2)?), pct(f(3)?)],
            nr_accesses_unit: NrAccUnit::Percent,
            age: [iv.aggr.mul(I(f(4)?)), iv.aggr.mul(I(f(5)?))],
            age_unit: AgeUnit::Usec,
        },
        apply_interval_us: I(0),
        quotas,
        watermarks,
        filters: Vec::new(),
        stats: Some(DamosStats {
            nr_tried: stat(0),
            sz_tried: stat(1),
            nr_applied: stat(2),
            sz_applied: stat(3),
            qt_exceeds: stat(4),
            ..DamosStats::default()
        }),
        // none, as damo shows them for debugfs
        tried_regions: Some(Vec::new()),
        tried_bytes: I(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ab(v: (u32, u32)) -> Abilities {
        Abilities::of(Some(v))
    }

    #[test]
    fn abilities_follow_the_kernel_version() {
        assert!(!ab((5, 15)).paddr && !ab((5, 15)).schemes);
        assert!(ab((5, 16)).quotas_wmarks && !ab((5, 16)).stat_succ);
        assert!(ab((6, 1)).init_regions_target_idx && ab((6, 1)).stat_succ);
    }

    #[test]
    fn files_read_back_as_a_kdamond() {
        let files = Files {
            attrs: "5000 100000 1000000 10 1000\n",
            target_ids: "42\n",
            init_regions: "0 4096 8192\n",
            schemes: "4096\t18446744073709551615\t0\t0\t10\t20\t2\t0\t0\t18446744073709551615\t0\t0\t0\t0\t0\t0\t0\t0\t1\t4096\t3\t12288\t0\n",
        };
        let k = kdamond_of(&files, &ab((6, 1))).unwrap();
        let c = &k.contexts[0];
        assert_eq!(c.ops, "paddr");
        assert_eq!(c.targets[0].pid, None);
        assert_eq!(c.targets[0].regions, vec![[I(4096), I(8192)]]);
        let s = &c.schemes[0];
        assert_eq!(s.action, "pageout");
        assert_eq!(s.access_pattern.age, [I(1_000_000), I(2_000_000)]);
        let st = s.stats.as_ref().unwrap();
        assert_eq!((st.nr_tried, st.sz_applied), (I(1), I(12288)));
        // what is read stages the same line again
        let line = scheme_line(s, &c.intervals, &ab((6, 1))).unwrap();
        assert!(files.schemes.starts_with(&line), "{line}");
    }

    #[test]
    fn lines_of_a_scheme_by_version() {
        let iv = Intervals::default();
        let mut s = scheme_of("0 100 0 0 0 0 5 0 0", &iv, &ab((5, 16))).unwrap();
        assert_eq!(s.action, "stat");
        assert_eq!(
            scheme_line(&s, &iv, &ab((5, 15)))
                .unwrap()
                .split('\t')
                .count(),
            7
        );
        assert_eq!(
            scheme_line(&s, &iv, &ab((6, 1)))
                .unwrap()
                .split('\t')
                .count(),
            18
        );
        s.action = "lru_prio".into();
        assert!(scheme_line(&s, &iv, &ab((6, 1))).is_err());
        assert!(scheme_of("1 2 3", &iv, &ab((6, 1))).is_err());
    }
}
