//! damo's argument namespace for the per-context and per-target DAMON
//! options: target deduction, start markers, counts, and the contexts,
//! targets and probes they describe.

use anyhow::{Context as _, Result, bail};

use super::{Occurrences, avail_cmd, counts_of, given_occurrences, num, occurrences};
use crate::cli::conv::Choice;
use crate::cli::opts::DamonParams;
use crate::damon::model::{
    Context, Intervals, IntervalsGoal, OpsAttrs, PROBE_FILTER_TYPES, PROBE_PREP_ACTIONS, Probe,
    ProbeFilter, Target,
};
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units};
use crate::pa_layout;

/// `--regions "a-b c-d"`: sorted, non-overlapping, start < end.
pub(super) fn regions_for(text: &str) -> Result<Vec<[Num; 2]>> {
    let mut out: Vec<[Num; 2]> = Vec::new();
    for region in text.split_whitespace() {
        let addrs: Vec<&str> = region.split('-').collect();
        let [a, b] = addrs.as_slice() else {
            bail!("Wrong '--regions' argument (two addresses not given)");
        };
        let start = num(a, "--regions address", units::text_to_bytes)?;
        let end = num(b, "--regions address", units::text_to_bytes)?;
        if start >= end {
            bail!("Wrong '--regions' argument (start >= end)");
        }
        if out.last().is_some_and(|l| l[1] > start) {
            bail!("Wrong '--regions' argument (regions overlap)");
        }
        out.push([start, end]);
    }
    Ok(out)
}

/// damo's `text_to_bool`.
fn text_to_bool(text: &str, what: &str) -> Result<bool> {
    match text.to_lowercase().as_str() {
        "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        _ => bail!("{what} should be one of y yes true n no false but {text}"),
    }
}

/// Python's `repr()` of a list of str.
fn py_list_repr(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|s| crate::fmt::py_repr(s)).collect();
    format!("[{}]", items.join(", "))
}

/// Sorted, with overlapping or touching ranges joined (damo's
/// `merge_ranges`).
fn merge_ranges(mut ranges: Vec<[i128; 2]>) -> Vec<[i128; 2]> {
    ranges.sort_by_key(|r| r[0]);
    let mut merged: Vec<[i128; 2]> = Vec::new();
    for [start, end] in ranges {
        match merged.last_mut() {
            Some(last) if start <= last[1] && last[0] <= end => {
                *last = [last[0].min(start), last[1].max(end)];
            }
            _ => merged.push([start, end]),
        }
    }
    merged
}

/// The per-context and per-target option lists and the counts that split
/// them, as damo's argument namespace holds them after the target is
/// deduced and the start markers are counted.
pub(super) struct Ns<'a> {
    pub(super) args: &'a DamonParams,
    pub(super) ops: Option<Vec<String>>,
    pub(super) target_pid: Option<Vec<i128>>,
    pub(super) nr_ctxs: Option<Vec<usize>>,
    pub(super) nr_targets: Option<Vec<usize>>,
    pub(super) nr_schemes: Option<Vec<usize>>,
    pub(super) nr_probe_preps: Option<Vec<usize>>,
    pub(super) nr_probe_filters: Option<Vec<usize>>,
    pub(super) damos_nr_quota_goals: Option<Vec<usize>>,
    pub(super) damos_nr_filters: Option<Vec<usize>>,
    /// Lines damo prints before its output (warnings, a debug print).
    pub(super) notes: Vec<String>,
}

/// The `idx`-th occurrence of a per-context or per-target option.
fn at<T: Occurrences + ?Sized>(v: &T, idx: usize) -> Option<Vec<&str>> {
    v.occurrences().into_iter().nth(idx)
}

impl<'a> Ns<'a> {
    pub(super) fn new(args: &'a DamonParams) -> Result<Ns<'a>> {
        let target_pid = (!args.target_pid.is_empty()).then(|| args.target_pid.clone());
        Ok(Ns {
            args,
            ops: (!args.ops.is_empty())
                .then(|| args.ops.iter().map(|o| o.as_str().to_string()).collect()),
            target_pid,
            nr_ctxs: counts_of(&args.nr_ctxs, "nr_ctxs")?,
            nr_targets: counts_of(&args.nr_targets, "nr_targets")?,
            nr_schemes: counts_of(&args.nr_schemes, "nr_schemes")?,
            nr_probe_preps: counts_of(&args.nr_probe_preps, "nr_probe_preps")?,
            nr_probe_filters: counts_of(&args.nr_probe_filters, "nr_probe_filters")?,
            damos_nr_quota_goals: counts_of(&args.damos_nr_quota_goals, "damos_nr_quota_goals")?,
            damos_nr_filters: counts_of(&args.damos_nr_filters, "damos_nr_filters")?,
            notes: Vec::new(),
        })
    }

    /// damo's `deduce_target_update_args`: the positional target (a pid,
    /// a command to start, or paddr) sets the ops and the pid.  Returns
    /// whether a command was started.
    pub(super) fn deduce_target(&mut self, target: &str) -> Result<bool> {
        if !matches!(self.nr_ctxs.as_deref(), None | Some([1])) {
            bail!(
                "deducible target with multiple contexts ({:?})",
                self.nr_ctxs.clone().unwrap_or_default()
            );
        }
        let override_warning = |ns: &mut Ns, opt: &str| {
            ns.notes.push(format!(
                "warning: {opt} is overridden by <deducible target>"
            ));
        };
        if target == "paddr" {
            if !matches!(self.ops.as_deref(), None | Some([_])) || self.ops_is_not("paddr") {
                override_warning(self, "--ops");
            }
            self.ops = Some(vec!["paddr".into()]);
            if self.target_pid.is_some() {
                override_warning(self, "--target_pid");
            }
            self.target_pid = None;
            return Ok(false);
        }
        if target == "vaddr" || target == "fvaddr" {
            bail!(
                "target '{target}' needs a process: give its pid (or --ops {target} \
                 --target_pid <pid>)"
            );
        }
        let mut self_started = false;
        let pid = if avail_cmd(target.split_whitespace().next().unwrap_or_default()) {
            // damo runs a command target through bash and monitors it
            let child = std::process::Command::new("/bin/bash")
                .arg("-c")
                .arg(target)
                .spawn()
                .with_context(|| format!("cannot start '{target}'"))?;
            self_started = true;
            child.id() as i128
        } else if let Ok(pid) = crate::fmt::pyparse::py_int(target) {
            pid
        } else {
            bail!(
                "target '{target}' is not supported (give a pid, a command, paddr, \
                 or a kdamonds JSON/YAML file)"
            );
        };
        if self.target_pid.is_some() {
            self.notes
                .push("warning: --target_pid will be ignored".into());
        }
        self.target_pid = Some(vec![pid]);
        if self.args.regions.is_empty() {
            if self.ops_is_not("vaddr") {
                override_warning(self, "--ops");
            }
            self.ops = Some(vec!["vaddr".into()]);
        } else {
            if self.ops_is_not("fvaddr") {
                self.notes
                    .push("warning: override --ops by <deducible target> and --regions".into());
            }
            self.ops = Some(vec!["fvaddr".into()]);
        }
        Ok(self_started)
    }

    /// Whether `--ops` was given as anything but exactly `[ops]`.
    fn ops_is_not(&self, ops: &str) -> bool {
        match self.ops.as_deref() {
            None => false,
            Some([o]) => o != ops,
            Some(_) => true,
        }
    }

    /// damo's `evaluate_args`.
    pub(super) fn evaluate(&self) -> Result<()> {
        let args = self.args;
        if args.damos_action.is_empty() {
            let damos_given = args.given_options().iter().any(|dest| {
                dest.starts_with("damos_") && *dest != "damos_scheme" && *dest != "damos_action"
            });
            if damos_given {
                bail!(
                    "'damos_action' not specified while using --damos_* option(s); add --damos_action (e.g. --damos_action stat)"
                );
            }
        }
        Ok(())
    }

    /// damo's `set_nr_args`: with `--kdamond`, `--damon_ctx`, `--probe` or
    /// `--damos_scheme` markers on the command line, the counts come from
    /// where the options stand between the markers.
    pub(super) fn count_markers(&mut self) -> Result<()> {
        let args = self.args;
        if !(args.kdamond || args.damon_ctx || args.probe || args.damos_scheme) {
            return Ok(());
        }
        let given = args.given_options();
        for dest in [
            "nr_ctxs",
            "nr_targets",
            "nr_schemes",
            "nr_probes",
            "nr_probe_preps",
            "nr_probe_filters",
            "damos_nr_quota_goals",
            "damos_nr_filters",
        ] {
            if given.contains(&dest) {
                bail!("--[damos]_nr_* cannot be used with start markers");
            }
        }
        // A marker not given is implied once inside each of its containers
        // (damo 3.4.3 puts it in front of everything, so `--kdamond
        // --damon_ctx` without `--damon_target` failed; docs/compat.md).
        let (implied_ctx, implied_target) = (!args.damon_ctx, !args.damon_target);
        let mut words: Vec<&str> = Vec::new();
        for word in (!args.kdamond)
            .then_some("--kdamond")
            .into_iter()
            .chain(args.argv.iter().map(String::as_str))
        {
            words.push(word);
            if word == "--kdamond" && implied_ctx {
                words.push("--damon_ctx");
            }
            if (word == "--damon_ctx" || word == "--kdamond" && implied_ctx) && implied_target {
                words.push("--damon_target");
            }
        }
        // The counters: (option counted, index of the container, counts).
        let (mut kd, mut ctx, mut probe, mut scheme) = (-1i64, -1i64, -1i64, -1i64);
        let mut nr_ctxs = Vec::new();
        let (mut nr_targets, mut nr_schemes) = (Vec::new(), Vec::new());
        let (mut nr_preps, mut nr_pfilters) = (Vec::new(), Vec::new());
        let (mut nr_goals, mut nr_filters) = (Vec::new(), Vec::new());
        fn count(word: &str, opt: &str, idx: i64, counts: &mut [usize]) -> Result<()> {
            let flag = format!("--{opt}");
            if word != flag && !word.starts_with(&format!("{flag}=")) {
                return Ok(());
            }
            match usize::try_from(idx).ok().and_then(|i| counts.get_mut(i)) {
                Some(c) => {
                    *c += 1;
                    Ok(())
                }
                None => bail!("wrong position of --{opt}"),
            }
        }
        for word in words {
            match word {
                "--kdamond" => {
                    kd += 1;
                    nr_ctxs.push(0);
                }
                "--damon_ctx" => {
                    ctx += 1;
                    nr_targets.push(0);
                    nr_schemes.push(0);
                }
                "--probe" => {
                    probe += 1;
                    nr_preps.push(0);
                    nr_pfilters.push(0);
                }
                "--damos_scheme" => {
                    scheme += 1;
                    nr_goals.push(0);
                    nr_filters.push(0);
                }
                _ => {}
            }
            count(word, "damon_ctx", kd, &mut nr_ctxs)?;
            count(word, "damon_target", ctx, &mut nr_targets)?;
            count(word, "damos_action", ctx, &mut nr_schemes)?;
            count(word, "probe_prep", probe, &mut nr_preps)?;
            count(word, "probe_filter", probe, &mut nr_pfilters)?;
            count(word, "damos_quota_goal", scheme, &mut nr_goals)?;
            count(word, "damos_filter", scheme, &mut nr_filters)?;
        }
        if kd >= 0 {
            self.nr_ctxs = Some(nr_ctxs);
        }
        if ctx >= 0 {
            self.nr_targets = Some(nr_targets);
            self.nr_schemes = Some(nr_schemes);
        }
        if probe >= 0 {
            self.nr_probe_preps = Some(nr_preps);
            self.nr_probe_filters = Some(nr_pfilters);
        }
        if scheme >= 0 {
            self.damos_nr_quota_goals = Some(nr_goals);
            self.damos_nr_filters = Some(nr_filters);
        }
        Ok(())
    }

    /// How many contexts: the longest per-context list (damo's
    /// `get_nr_ctxs`), at least one.
    pub(super) fn nr_ctxs_total(&self) -> usize {
        let a = self.args;
        let nr_probes = a.nr_probes.as_ref().map(Vec::len);
        // the append options that give one value per context
        [
            a.sample.len(),
            a.aggr.len(),
            a.updr.len(),
            a.minr.len(),
            a.maxr.len(),
            a.monitoring_intervals.len(),
            a.monitoring_intervals_goal.len(),
            a.monitoring_nr_regions_range.len(),
        ]
        .into_iter()
        .map(|n| (n > 0).then_some(n))
        .chain([
            nr_probes,
            self.ops.as_ref().map(Vec::len),
            self.nr_targets.as_ref().map(Vec::len),
            self.nr_schemes.as_ref().map(Vec::len),
        ])
        .flatten()
        .max()
        .unwrap_or(1)
    }

    pub(super) fn nr_targets_total(&self) -> usize {
        [
            self.target_pid.as_ref().map(Vec::len),
            (!self.args.regions.is_empty()).then_some(self.args.regions.len()),
            (!self.args.numa_node.is_empty()).then_some(self.args.numa_node.len()),
            Some(self.nr_ctxs_total()),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(1)
    }

    /// damo's `fillup_none_target_args`, which prints a per-target list
    /// shorter than the number of targets.
    pub(super) fn note_short_target_lists(&mut self) {
        let n = self.nr_targets_total();
        if let Some(p) = &self.target_pid
            && p.len() < n
        {
            let items: Vec<String> = p.iter().map(|x| x.to_string()).collect();
            self.notes
                .push(format!("target_pid [{}]", items.join(", ")));
        }
        if let Some(r) = given_occurrences(self.args.regions.as_slice())
            && r.len() < n
        {
            let items: Vec<&str> = r.iter().map(|v| v[0]).collect();
            self.notes.push(format!("regions {}", py_list_repr(&items)));
        }
        if !self.args.numa_node.is_empty() && self.args.numa_node.len() < n {
            let items: Vec<String> = self
                .args
                .numa_node
                .iter()
                .map(|v| {
                    let v: Vec<String> = v.iter().map(i128::to_string).collect();
                    format!("[{}]", v.join(", "))
                })
                .collect();
            self.notes.push(format!("numa_node [{}]", items.join(", ")));
        }
    }

    /// Each context's ops: `--ops`, else paddr or vaddr by whether the
    /// target of the same index has a pid (damo's positional pairing).
    pub(super) fn ctx_ops(&self, nr_ctxs: usize) -> Vec<String> {
        (0..nr_ctxs)
            .map(|i| match self.ops.as_ref().and_then(|o| o.get(i)) {
                Some(o) => o.clone(),
                None => {
                    let pid = self.target_pid.as_ref().and_then(|p| p.get(i));
                    if pid.is_some() { "vaddr" } else { "paddr" }.into()
                }
            })
            .collect()
    }

    fn intervals(&self, idx: usize) -> Result<Intervals> {
        let what = "monitoring intervals";
        let mut iv = [
            num("5ms", what, units::text_to_us)?,
            num("100ms", what, units::text_to_us)?,
            num("1s", what, units::text_to_us)?,
        ];
        let a = self.args;
        if let Some(l) = a.monitoring_intervals.get(idx) {
            for (i, v) in l.iter().enumerate().take(3) {
                iv[i] = *v;
            }
        }
        for (i, given) in [&a.sample, &a.aggr, &a.updr].into_iter().enumerate() {
            if let Some(v) = given.get(idx) {
                iv[i] = *v;
            }
        }
        let goal: Vec<String> = if a.monitoring_intervals_autotune {
            ["4%", "3", "5ms", "10s"].map(String::from).to_vec()
        } else if let Some(g) = at(a.monitoring_intervals_goal.as_slice(), idx) {
            g.iter().map(|s| s.to_string()).collect()
        } else {
            ["0%", "0", "0us", "0us"].map(String::from).to_vec()
        };
        Ok(Intervals {
            sample: iv[0],
            aggr: iv[1],
            ops_update: iv[2],
            goal: IntervalsGoal {
                access_bp: num(&goal[0], "intervals goal", units::text_to_bp)?,
                aggrs: num(&goal[1], "intervals goal", units::text_to_nr)?,
                min_sample_us: num(&goal[2], "intervals goal", units::text_to_us)?,
                max_sample_us: num(&goal[3], "intervals goal", units::text_to_us)?,
            },
        })
    }

    fn nr_regions(&self, idx: usize) -> Result<[Num; 2]> {
        let mut r = [
            num("10", "nr_regions", units::text_to_nr)?,
            num("1000", "nr_regions", units::text_to_nr)?,
        ];
        let a = self.args;
        if let Some(l) = a.monitoring_nr_regions_range.get(idx) {
            for (i, v) in l.iter().enumerate().take(2) {
                r[i] = *v;
            }
        }
        if let Some(v) = a.minr.get(idx) {
            r[0] = *v;
        }
        if let Some(v) = a.maxr.get(idx) {
            r[1] = *v;
        }
        Ok(r)
    }

    /// `--exp_ops_*` and `--sample_primitives` (damo's ops_attrs path; the
    /// sample control directory is in no released kernel).
    fn ops_attrs(&self, idx: usize) -> Result<OpsAttrs> {
        let a = self.args;
        let mut use_reports = at(a.exp_ops_use_reports.as_slice(), idx).map(|v| v[0].to_string());
        if let Some(p) = at(a.sample_primitives.as_slice(), idx) {
            if use_reports.is_some() {
                bail!(
                    "exp_ops_* handling fail (--sample_primitives and \
                     --exp_ops_use_reports used together)"
                );
            }
            use_reports = Some(
                match p.as_slice() {
                    ["page_table"] => "N",
                    ["page_fault"] => "Y",
                    _ => bail!(
                        "exp_ops_* handling fail (--sample_primitives of {} is not \
                         supported for now)",
                        py_list_repr(&p)
                    ),
                }
                .into(),
            );
        }
        let bad = |e: anyhow::Error| anyhow::anyhow!("invalid ops_attrs arguments ({e})");
        Ok(OpsAttrs {
            use_reports: match use_reports {
                Some(v) => text_to_bool(&v, "--exp_ops_use_reports").map_err(bad)?,
                None => false,
            },
            write_only: match at(a.exp_ops_write_only.as_slice(), idx) {
                Some(v) => text_to_bool(v[0], "--exp_ops_write_only").map_err(bad)?,
                None => false,
            },
            cpus: at(a.exp_ops_cpus.as_slice(), idx).map_or("all".into(), |v| v[0].to_string()),
            tids: at(a.exp_ops_tids.as_slice(), idx).map_or(String::new(), |v| v[0].to_string()),
        })
    }

    pub(super) fn ctx(&self, idx: usize, ops: &str) -> Result<Context> {
        let addr_unit = match self.args.damon_addr_unit.get(idx) {
            Some(v) => *v,
            None => I(1),
        };
        Ok(Context {
            ops: ops.to_string(),
            addr_unit,
            targets: Vec::new(),
            intervals: self.intervals(idx)?,
            nr_regions: self.nr_regions(idx)?,
            probes: Vec::new(),
            ops_attrs: self.ops_attrs(idx)?,
            pause: self
                .args
                .pause_ctx
                .as_ref()
                .is_some_and(|p| p.iter().any(|c| i128::from(*c) == idx as i128)),
            schemes: Vec::new(),
        })
    }

    pub(super) fn target(&self, idx: usize, ops: &str) -> Result<Target> {
        let mut regions = match at(self.args.regions.as_slice(), idx) {
            Some(r) => regions_for(r[0])?,
            None => Vec::new(),
        };
        if ops == "paddr" && regions.is_empty() {
            let spans = match self.args.numa_node.get(idx) {
                Some(nodes) => merge_ranges(pa_layout::numa_addr_ranges(nodes)?),
                None => vec![pa_layout::default_paddr_region()?],
            };
            regions = spans.into_iter().map(|[a, b]| [I(a), I(b)]).collect();
        }
        Ok(Target {
            pid: if ops == "vaddr" || ops == "fvaddr" {
                self.target_pid.as_ref().and_then(|p| p.get(idx).copied())
            } else {
                None
            },
            obsolete: self
                .args
                .obsolete_targets
                .as_ref()
                .is_some_and(|o| o.iter().any(|t| i128::from(*t) == idx as i128)),
            regions,
        })
    }

    /// The probes of `--probe_prep`, `--probe_filter` and `--probe_weight`
    /// (damo's `probes_for`).
    pub(super) fn probes(&mut self) -> Result<Vec<Probe>> {
        let args = self.args;
        let preps: Vec<String> = occurrences(args.probe_prep.as_slice())
            .iter()
            .map(|p| {
                if PROBE_PREP_ACTIONS.contains(&p[0]) {
                    Ok(p[0].to_string())
                } else {
                    bail!("prep creation fail (wrong prep action ({}))", p[0])
                }
            })
            .collect::<Result<_>>()?;
        let mut nr_preps = self.nr_probe_preps.clone().unwrap_or(vec![preps.len()]);
        if nr_preps.iter().sum::<usize>() != preps.len() {
            bail!(
                "--nr_probe_preps mismatches --probe_prep ({} != {})",
                nr_preps.iter().sum::<usize>(),
                preps.len()
            );
        }
        let filters = occurrences(args.probe_filter.as_slice())
            .iter()
            .map(|f| probe_filter_for(f))
            .collect::<Result<Vec<_>>>()?;
        if preps.is_empty() && filters.is_empty() {
            return Ok(Vec::new());
        }
        let nr_filters = self.nr_probe_filters.clone().unwrap_or(vec![filters.len()]);
        if nr_filters.iter().sum::<usize>() != filters.len() {
            bail!(
                "--nr_probe_filters mismatches --probe_filter ({} != {})",
                nr_filters.iter().sum::<usize>(),
                filters.len()
            );
        }
        let mut weights: Vec<i128> = args.probe_weight.iter().flatten().copied().collect();
        if weights.len() > nr_filters.len() {
            bail!(
                "--probe_weight mismatches --nr_probe_filters ({} > {})",
                weights.len(),
                nr_filters.len()
            );
        }
        weights.resize(nr_filters.len(), 0);
        if nr_preps.len() < nr_filters.len() {
            nr_preps.resize(nr_filters.len(), 0);
        }
        let mut filter_at = 0;
        let mut probes = Vec::new();
        for (i, nr) in nr_filters.iter().enumerate() {
            // damo gives every probe its count of preps from the first one.
            probes.push(Probe {
                preps: preps[..nr_preps[i].min(preps.len())].to_vec(),
                filters: filters[filter_at..filter_at + nr].to_vec(),
                weight: weights[i],
            });
            filter_at += nr;
        }
        self.nr_probe_preps = Some(nr_preps);
        Ok(probes)
    }
}

/// One `--probe_filter`: `<allow|reject> [non] <type> [memcg path | min max]`.
fn probe_filter_for(words: &[&str]) -> Result<ProbeFilter> {
    let err = |m: String| anyhow::anyhow!("{m}");
    if words.len() < 2 {
        return Err(err(format!("expected >=2 fields but {}", words.len())));
    }
    let allow = match words[0] {
        "allow" => true,
        "reject" => false,
        other => return Err(err(format!("expected allow|reject but {other}"))),
    };
    let mut rest = &words[1..];
    let matching = rest[0] != "non";
    if !matching {
        rest = &rest[1..];
    }
    let [filter_type, opt @ ..] = rest else {
        return Err(err("filter type is not given".into()));
    };
    if !PROBE_FILTER_TYPES.contains(filter_type) {
        bail!("filter creation fail (wrong damon filter type ({filter_type}))");
    }
    let mut f = ProbeFilter {
        filter_type: filter_type.to_string(),
        matching,
        allow,
        path: None,
        range: None,
    };
    match *filter_type {
        "memcg" => match opt.first() {
            Some(p) => f.path = Some(p.to_string()),
            None => return Err(err("memcg path is not given".into())),
        },
        "hugepage_size" => match opt {
            [a, b, ..] => {
                f.range = Some([
                    num(a, "probe filter min", units::text_to_bytes)?,
                    num(b, "probe filter max", units::text_to_bytes)?,
                ])
            }
            _ => return Err(err("min, max are not given".into())),
        },
        _ => {}
    }
    Ok(f)
}
