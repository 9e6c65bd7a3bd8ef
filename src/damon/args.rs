//! Kdamonds from damo's DAMON parameter options (`start`, `tune`,
//! `record`, `schemes`, `args damon`), and the `args damon` command.
//!
//! damo's rules, quirks included: per-context options pair with contexts
//! by position (the `--kdamond`/`--damon_ctx`/`--damon_target`/
//! `--damos_scheme`/`--probe` markers only count how many of each belong
//! together), a positional target (pid, command, `paddr`, kdamonds
//! JSON/YAML file) overrides `--ops`/`--target_pid` with a warning.

use anyhow::{Context as _, Result, bail};

use super::damos::DamosFilter;
use super::model::{
    ACTIONS, AccessPattern, AgeUnit, Context, Intervals, IntervalsGoal, Kdamond, NrAccUnit,
    OpsAttrs, PROBE_FILTER_TYPES, PROBE_PREP_ACTIONS, Probe, ProbeFilter, QuotaGoal, Quotas,
    Scheme, Target, Watermarks,
};
use crate::cli::parse::Args;
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units, ParseError};
use crate::sysfs::pa_layout;

fn num(text: &str, what: &str, parse: fn(&str) -> Result<Num, ParseError>) -> Result<Num> {
    parse(text).with_context(|| format!("wrong {what} '{text}'"))
}

fn occurrences<'a>(args: &'a Args, dest: &str) -> Vec<Vec<&'a str>> {
    if args.given(dest) {
        args.lists(dest).unwrap_or_default()
    } else {
        Vec::new()
    }
}

/// `--regions "a-b c-d"`: sorted, non-overlapping, start < end.
fn regions_for(text: &str) -> Result<Vec<[Num; 2]>> {
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

/// One `--damos_filter`: `<allow|reject> [none] <type> [args]`, or the old
/// `<type> <matching|nomatching> [args] [allow|reject]`.
fn filter_for(words: &[&str]) -> Result<DamosFilter> {
    match filter_v2(words) {
        Ok(f) => Ok(f),
        Err(e) => {
            // The old form, converted.
            let [ftype, matching, rest @ ..] = words else {
                return Err(e);
            };
            let mut rest: Vec<&str> = rest.to_vec();
            let allow = match rest.last() {
                Some(&("allow" | "pass")) => {
                    rest.pop();
                    "allow"
                }
                Some(&("reject" | "deny" | "block")) => {
                    rest.pop();
                    "reject"
                }
                _ => "reject",
            };
            let mut v2 = vec![allow];
            if *matching != "matching" {
                v2.push("none");
            }
            v2.push(ftype);
            v2.extend(rest);
            filter_v2(&v2).map_err(|_| e)
        }
    }
}

fn filter_v2(words: &[&str]) -> Result<DamosFilter> {
    let wrong = || anyhow::anyhow!("wrong --damos_filter '{}'", words.join(" "));
    let [allow, rest @ ..] = words else {
        return Err(wrong());
    };
    let allow = match *allow {
        "allow" => true,
        "reject" | "deny" | "block" => false,
        _ => return Err(wrong()),
    };
    let (matching, rest) = match rest {
        [m, rest @ ..] if *m == "none" || *m == "non" => (false, rest),
        _ => (true, rest),
    };
    let [ftype, opt @ ..] = rest else {
        return Err(wrong());
    };
    let mut f = DamosFilter {
        filter_type: ftype.to_string(),
        matching,
        allow,
        memcg_path: None,
        address_range: None,
        damon_target_idx: None,
        hugepage_size: None,
        probe_hits_wsum_range: None,
    };
    let pair = |parse: fn(&str) -> Result<Num, ParseError>| -> Result<[Num; 2]> {
        match opt {
            [a, b] => Ok([
                num(a, "filter range", parse)?,
                num(b, "filter range", parse)?,
            ]),
            _ => Err(wrong()),
        }
    };
    match (*ftype, opt) {
        ("anon" | "active" | "young" | "unmapped", []) => {}
        ("memcg", [path]) => f.memcg_path = Some(path.to_string()),
        ("addr", _) => f.address_range = Some(pair(units::text_to_bytes)?),
        ("target", [idx]) => {
            f.damon_target_idx = Some(num(idx, "target index", units::text_to_nr)?)
        }
        ("hugepage_size", _) => f.hugepage_size = Some(pair(units::text_to_bytes)?),
        ("probe_hits_wsum", _) => f.probe_hits_wsum_range = Some(pair(units::text_to_nr)?),
        _ => return Err(wrong()),
    }
    Ok(f)
}

fn quota_goal_for(words: &[&str]) -> Result<QuotaGoal> {
    let wrong = || anyhow::anyhow!("Wrong --damos_quota_goal ({})", words.join(" "));
    if !(2..=4).contains(&words.len()) {
        return Err(wrong());
    }
    let (metric, target) = (words[0], words[1]);
    let mut opt = &words[2..];
    let complement = opt.first() == Some(&"complement");
    if complement {
        opt = &opt[1..];
    }
    let (mut nid, mut memcg_path, mut current) = (None, None, I(0));
    match metric {
        "node_mem_used_bp" | "node_mem_free_bp" => match opt {
            [n] => nid = Some(num(n, "nid", units::text_to_nr)?),
            _ => bail!("quota goals parsing fail (nid is not given or something else is given)"),
        },
        "node_memcg_used_bp" | "node_memcg_free_bp" => match opt {
            [n, p] => {
                nid = Some(num(n, "nid", units::text_to_nr)?);
                memcg_path = Some(p.to_string());
            }
            _ => bail!("quota goals parsing fail (nid and memcg_path required)"),
        },
        "user_input" => match opt {
            [c] => current = num(c, "current value", units::text_to_nr)?,
            _ => bail!(
                "quota goals parsing fail (current value is not given or something else is given)"
            ),
        },
        "some_mem_psi_us" | "active_mem_bp" | "inactive_mem_bp" | "node_eligible_mem_bp" => {}
        _ => bail!("quota goals parsing fail: unsupported metric '{metric}'"),
    }
    let target_value = match metric {
        "some_mem_psi_us" => num(target, "quota goal", units::text_to_us)?,
        m if m.ends_with("_bp") && m != "node_eligible_mem_bp" => {
            num(target, "quota goal", units::text_to_bp)?
        }
        _ => num(target, "quota goal", units::text_to_nr)?,
    };
    Ok(QuotaGoal {
        metric: metric.to_string(),
        complement,
        nid,
        memcg_path,
        target_value,
        current_value: current,
    })
}

fn pair_of(v: Option<&Vec<&str>>, dflt: [&str; 2]) -> [String; 2] {
    match v.map(Vec::as_slice) {
        Some([a, b]) => [a.to_string(), b.to_string()],
        _ => dflt.map(String::from),
    }
}

/// The schemes of `--damos_*` options; `nr_goals`/`nr_filters` are the
/// per-scheme counts the `--damos_scheme` markers gave, if any.
fn schemes_for(
    args: &Args,
    nr_goals: Option<&[usize]>,
    nr_filters: Option<&[usize]>,
) -> Result<Vec<Scheme>> {
    let actions = occurrences(args, "damos_action");
    let n = actions.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let sz = occurrences(args, "damos_sz_region");
    let rate = occurrences(args, "damos_access_rate");
    let age = occurrences(args, "damos_age");
    let apply = occurrences(args, "damos_apply_interval");
    let mut quotas = occurrences(args, "damos_quotas")
        .into_iter()
        .map(|q| q.iter().map(|s| s.to_string()).collect::<Vec<String>>())
        .collect::<Vec<_>>();
    let qi = occurrences(args, "damos_quota_interval");
    if !qi.is_empty() {
        if !quotas.is_empty() {
            bail!("--damos_quotas and --damos_quota_interval cannot passed together");
        }
        let qt = occurrences(args, "damos_quota_time");
        let qs = occurrences(args, "damos_quota_space");
        let qw = occurrences(args, "damos_quota_weights");
        for (i, interval) in qi.iter().enumerate() {
            let t = qt.get(i).map(|v| v[0]).unwrap_or("0");
            let s = qs.get(i).map(|v| v[0]).unwrap_or("0");
            let w = qw.get(i).cloned().unwrap_or_else(|| vec!["1", "1", "1"]);
            let mut q = vec![t.to_string(), s.to_string(), interval[0].to_string()];
            q.extend(w.iter().map(|x| x.to_string()));
            quotas.push(q);
        }
    }
    let goals = occurrences(args, "damos_quota_goal");
    if !goals.is_empty() && (quotas.is_empty() || quotas.iter().any(|q| q.len() < 3)) {
        bail!("'reset_interval_ms' not specified when setting quota goals");
    }
    let tuners = occurrences(args, "damos_quota_goal_tuner");
    let fail_charge = occurrences(args, "damos_quota_fail_charge_ratio");
    let wmarks = occurrences(args, "damos_wmarks");
    let filters = occurrences(args, "damos_filter");
    for (dest, len) in [
        ("damos_sz_region", sz.len()),
        ("damos_access_rate", rate.len()),
        ("damos_age", age.len()),
        ("damos_apply_interval", apply.len()),
        ("damos_quotas", quotas.len()),
        ("damos_wmarks", wmarks.len()),
    ] {
        if len > n {
            bail!("too much --{dest}");
        }
    }
    let split = |dest: &str, marked: Option<&[usize]>, total: usize| -> Result<Vec<usize>> {
        let counts: Vec<usize> = match marked {
            Some(m) => m.to_vec(),
            None => counts_of(args, dest)?.unwrap_or_default(),
        };
        if counts.is_empty() {
            if n > 1 && total > 0 {
                bail!("--{dest} required");
            }
            let mut v = vec![0; n];
            v[0] = total;
            return Ok(v);
        }
        if counts.iter().sum::<usize>() != total {
            bail!("wrong --{dest}");
        }
        let mut v = counts;
        v.resize(n.max(v.len()), 0);
        Ok(v)
    };
    let nr_goals = split("damos_nr_quota_goals", nr_goals, goals.len())?;
    let nr_filters = split("damos_nr_filters", nr_filters, filters.len())?;
    let (mut goal_at, mut filter_at) = (0, 0);
    let mut schemes = Vec::with_capacity(n);
    for (i, action_words) in actions.iter().enumerate() {
        let action = action_words[0];
        if !ACTIONS.contains(&action) {
            bail!("Wrong '--damos_*' argument (wrong damos action: {action})");
        }
        let (mut target_nid, mut dests) = (None, Vec::new());
        if action == "migrate_hot" || action == "migrate_cold" {
            let bad = || {
                anyhow::anyhow!(
                    "\"{action}\" action require a numeric target_nid or dests arguments."
                )
            };
            match &action_words[1..] {
                [] => {}
                [nid] => target_nid = Some(I(crate::fmt::pyparse::py_int(nid).map_err(|_| bad())?)),
                rest => {
                    if rest.len() % 2 != 0 {
                        return Err(bad());
                    }
                    for p in rest.chunks(2) {
                        dests.push((
                            units::text_to_nr(p[0]).map_err(|_| bad())?,
                            units::text_to_nr(p[1]).map_err(|_| bad())?,
                        ));
                    }
                }
            }
        } else if action_words.len() > 1 {
            bail!("Wrong number of --damos_action arguments.");
        }
        let [smin, smax] = pair_of(sz.get(i), ["min", "max"]);
        let [rmin, rmax] = pair_of(rate.get(i), ["min", "max"]);
        let [amin, amax] = pair_of(age.get(i), ["min", "max"]);
        let access_pattern = AccessPattern {
            sz_bytes: [
                num(&smin, "--damos_sz_region", units::text_to_bytes)?,
                num(&smax, "--damos_sz_region", units::text_to_bytes)?,
            ],
            nr_accesses: [
                num(&rmin, "--damos_access_rate", units::text_to_percent)?,
                num(&rmax, "--damos_access_rate", units::text_to_percent)?,
            ],
            nr_accesses_unit: NrAccUnit::Percent,
            age: [
                num(&amin, "--damos_age", units::text_to_us)?,
                num(&amax, "--damos_age", units::text_to_us)?,
            ],
            age_unit: AgeUnit::Usec,
        };
        let apply_interval_us = match apply.get(i) {
            Some(v) => num(v[0], "--damos_apply_interval", units::text_to_us)?,
            None => I(0),
        };
        let mut q = Quotas::default();
        if let Some(qa) = quotas.get(i) {
            if qa.len() > 6 {
                bail!("Wrong --damos_quotas ({}, >6 parameters)", qa.join(" "));
            }
            let get = |k: usize| qa.get(k).map(String::as_str);
            if let Some(v) = get(0) {
                q.time_ms = num(v, "--damos_quotas time", units::text_to_ms)?;
            }
            if let Some(v) = get(1) {
                q.sz_bytes = num(v, "--damos_quotas size", units::text_to_bytes)?;
            }
            if let Some(v) = get(2) {
                q.reset_interval_ms = num(v, "--damos_quotas reset interval", units::text_to_ms)?;
            }
            for k in 0..3 {
                if let Some(v) = get(3 + k) {
                    q.weights[k] = num(v, "--damos_quotas weight", units::text_to_permil)?;
                }
            }
        }
        if let Some([a, b]) = fail_charge.get(i).map(Vec::as_slice) {
            q.fail_charge_num = num(a, "--damos_quota_fail_charge_ratio", units::text_to_nr)?;
            q.fail_charge_denom = num(b, "--damos_quota_fail_charge_ratio", units::text_to_nr)?;
        }
        if let Some(t) = tuners.get(i) {
            q.goal_tuner = t[0].to_string();
        }
        for g in &goals[goal_at..goal_at + nr_goals[i]] {
            q.goals.push(quota_goal_for(g)?);
        }
        goal_at += nr_goals[i];
        let mut wm = Watermarks::default();
        if let Some([m, iv, h, mi, l]) = wmarks.get(i).map(Vec::as_slice) {
            if *m != "none" && *m != "free_mem_rate" {
                bail!("Wrong --damos_wmarks (wrong watermark metric ({m}))");
            }
            wm = Watermarks {
                metric: m.to_string(),
                interval_us: num(iv, "--damos_wmarks interval", units::text_to_us)?,
                marks: [
                    num(h, "--damos_wmarks", units::text_to_permil)?,
                    num(mi, "--damos_wmarks", units::text_to_permil)?,
                    num(l, "--damos_wmarks", units::text_to_permil)?,
                ],
            };
        }
        let mut fs = Vec::new();
        for f in &filters[filter_at..filter_at + nr_filters[i]] {
            fs.push(filter_for(f)?);
        }
        filter_at += nr_filters[i];
        schemes.push(Scheme {
            action: action.to_string(),
            dests,
            target_nid,
            access_pattern,
            apply_interval_us,
            quotas: q,
            watermarks: wm,
            filters: fs,
            stats: Some(Default::default()),
            tried_regions: Some(Vec::new()),
            tried_bytes: I(0),
        });
    }
    Ok(schemes)
}

/// Whether `word` names a program: a path to an executable file, or one
/// found on PATH (damo's `avail_cmd`).
fn avail_cmd(word: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let exec = |p: &std::path::Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if word.is_empty() {
        return false;
    }
    if word.contains('/') {
        return exec(std::path::Path::new(word));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| exec(&d.join(word))))
}

/// The kdamonds the options describe.
pub fn kdamonds_for(args: &Args) -> Result<Vec<Kdamond>> {
    kdamonds_and_start(args).map(|(k, _)| k)
}

/// A `--nr_*` count option: `None` when not given.
fn counts_of(args: &Args, dest: &str) -> Result<Option<Vec<usize>>> {
    if !args.given(dest) {
        return Ok(None);
    }
    args.list(dest)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            crate::fmt::pyparse::py_int(v)
                .ok()
                .and_then(|n| usize::try_from(n).ok())
                .with_context(|| format!("wrong --{dest} '{v}' (give counts of 0 or more)"))
        })
        .collect::<Result<_>>()
        .map(Some)
}

/// The occurrences of an append option, `None` when not given.
fn given_occurrences<'a>(args: &'a Args, dest: &str) -> Option<Vec<Vec<&'a str>>> {
    args.given(dest).then(|| occurrences(args, dest))
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
struct Ns<'a> {
    args: &'a Args,
    ops: Option<Vec<String>>,
    target_pid: Option<Vec<i128>>,
    nr_ctxs: Option<Vec<usize>>,
    nr_targets: Option<Vec<usize>>,
    nr_schemes: Option<Vec<usize>>,
    nr_probe_preps: Option<Vec<usize>>,
    nr_probe_filters: Option<Vec<usize>>,
    damos_nr_quota_goals: Option<Vec<usize>>,
    damos_nr_filters: Option<Vec<usize>>,
    /// Lines damo prints before its output (warnings, a debug print).
    notes: Vec<String>,
}

/// The options that give one value per context.
const CTX_COUNTED: [&str; 9] = [
    "sample",
    "aggr",
    "updr",
    "minr",
    "maxr",
    "monitoring_intervals",
    "monitoring_intervals_goal",
    "monitoring_nr_regions_range",
    "nr_probes",
];

impl<'a> Ns<'a> {
    fn new(args: &'a Args) -> Result<Ns<'a>> {
        let target_pid = match given_occurrences(args, "target_pid") {
            Some(v) => Some(
                v.iter()
                    .map(|p| {
                        crate::fmt::pyparse::py_int(p[0])
                            .map_err(|_| anyhow::anyhow!("wrong --target_pid '{}'", p[0]))
                    })
                    .collect::<Result<_>>()?,
            ),
            None => None,
        };
        Ok(Ns {
            args,
            ops: given_occurrences(args, "ops")
                .map(|v| v.iter().map(|o| o[0].to_string()).collect()),
            target_pid,
            nr_ctxs: counts_of(args, "nr_ctxs")?,
            nr_targets: counts_of(args, "nr_targets")?,
            nr_schemes: counts_of(args, "nr_schemes")?,
            nr_probe_preps: counts_of(args, "nr_probe_preps")?,
            nr_probe_filters: counts_of(args, "nr_probe_filters")?,
            damos_nr_quota_goals: counts_of(args, "damos_nr_quota_goals")?,
            damos_nr_filters: counts_of(args, "damos_nr_filters")?,
            notes: Vec::new(),
        })
    }

    /// The `idx`-th occurrence of a per-context or per-target option.
    fn at(&self, dest: &str, idx: usize) -> Option<Vec<&'a str>> {
        given_occurrences(self.args, dest).and_then(|v| v.get(idx).cloned())
    }

    /// damo's `deduce_target_update_args`: the positional target (a pid,
    /// a command to start, or paddr) sets the ops and the pid.  Returns
    /// whether a command was started.
    fn deduce_target(&mut self, target: &str) -> Result<bool> {
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
        if !self.args.given("regions") {
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
    fn evaluate(&self) -> Result<()> {
        let args = self.args;
        if !args.given("damos_action") {
            let damos_given = args.cmd.opts.iter().any(|o| {
                o.dest.starts_with("damos_")
                    && o.dest != "damos_scheme"
                    && o.dest != "damos_action"
                    && args.given(o.dest)
            });
            if damos_given {
                bail!("'damos_action' not specified while using --damos_* option(s)");
            }
        }
        Ok(())
    }

    /// damo's `set_nr_args`: with `--kdamond`, `--damon_ctx`, `--probe` or
    /// `--damos_scheme` markers on the command line, the counts come from
    /// where the options stand between the markers.
    fn count_markers(&mut self) -> Result<()> {
        let args = self.args;
        let marked = ["kdamond", "damon_ctx", "probe", "damos_scheme"];
        if !marked.iter().any(|m| args.flag(m)) {
            return Ok(());
        }
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
            if args.given(dest) {
                bail!("--[damos]_nr_* cannot be used with start markers");
            }
        }
        let mut words: Vec<&str> = Vec::new();
        if !args.flag("kdamond") {
            words.push("--kdamond");
        }
        if !args.flag("damon_ctx") {
            words.push("--damon_ctx");
        }
        if !args.flag("damon_target") {
            words.push("--damon_target");
        }
        words.extend(args.argv.iter().map(String::as_str));
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

    fn nr_ctxs_total(&self) -> usize {
        let mut n = CTX_COUNTED
            .iter()
            .filter_map(|d| {
                if *d == "nr_probes" {
                    self.args
                        .list(d)
                        .filter(|_| self.args.given(d))
                        .map(|l| l.len())
                } else {
                    given_occurrences(self.args, d).map(|v| v.len())
                }
            })
            .chain(self.ops.as_ref().map(Vec::len))
            .chain(self.nr_targets.as_ref().map(Vec::len))
            .chain(self.nr_schemes.as_ref().map(Vec::len))
            .max();
        if n.is_none() {
            n = Some(1);
        }
        n.unwrap_or(1)
    }

    fn nr_targets_total(&self) -> usize {
        [
            self.target_pid.as_ref().map(Vec::len),
            given_occurrences(self.args, "regions").map(|v| v.len()),
            given_occurrences(self.args, "numa_node").map(|v| v.len()),
            Some(self.nr_ctxs_total()),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(1)
    }

    /// damo's `fillup_none_target_args`, which prints a per-target list
    /// shorter than the number of targets.
    fn note_short_target_lists(&mut self) {
        let n = self.nr_targets_total();
        if let Some(p) = &self.target_pid
            && p.len() < n
        {
            let items: Vec<String> = p.iter().map(|x| x.to_string()).collect();
            self.notes
                .push(format!("target_pid [{}]", items.join(", ")));
        }
        if let Some(r) = given_occurrences(self.args, "regions")
            && r.len() < n
        {
            let items: Vec<&str> = r.iter().map(|v| v[0]).collect();
            self.notes.push(format!("regions {}", py_list_repr(&items)));
        }
        if let Some(nodes) = given_occurrences(self.args, "numa_node")
            && nodes.len() < n
        {
            let items: Vec<String> = nodes
                .iter()
                .map(|v| format!("[{}]", v.join(", ")))
                .collect();
            self.notes.push(format!("numa_node [{}]", items.join(", ")));
        }
    }

    /// Each context's ops: `--ops`, else paddr or vaddr by whether the
    /// target of the same index has a pid (damo's positional pairing).
    fn ctx_ops(&self, nr_ctxs: usize) -> Vec<String> {
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
        let mut iv = ["5ms", "100ms", "1s"].map(String::from);
        if let Some(l) = self.at("monitoring_intervals", idx) {
            for (i, v) in l.iter().enumerate().take(3) {
                iv[i] = v.to_string();
            }
        }
        for (i, dest) in ["sample", "aggr", "updr"].iter().enumerate() {
            if let Some(v) = self.at(dest, idx) {
                iv[i] = v[0].to_string();
            }
        }
        let goal: Vec<String> = if self.args.flag("monitoring_intervals_autotune") {
            ["4%", "3", "5ms", "10s"].map(String::from).to_vec()
        } else if let Some(g) = self.at("monitoring_intervals_goal", idx) {
            g.iter().map(|s| s.to_string()).collect()
        } else {
            ["0%", "0", "0us", "0us"].map(String::from).to_vec()
        };
        let what = "monitoring intervals";
        Ok(Intervals {
            sample: num(&iv[0], what, units::text_to_us)?,
            aggr: num(&iv[1], what, units::text_to_us)?,
            ops_update: num(&iv[2], what, units::text_to_us)?,
            goal: IntervalsGoal {
                access_bp: num(&goal[0], "intervals goal", units::text_to_bp)?,
                aggrs: num(&goal[1], "intervals goal", units::text_to_nr)?,
                min_sample_us: num(&goal[2], "intervals goal", units::text_to_us)?,
                max_sample_us: num(&goal[3], "intervals goal", units::text_to_us)?,
            },
        })
    }

    fn nr_regions(&self, idx: usize) -> Result<[Num; 2]> {
        let mut r = ["10".to_string(), "1000".to_string()];
        if let Some(l) = self.at("monitoring_nr_regions_range", idx) {
            for (i, v) in l.iter().enumerate().take(2) {
                r[i] = v.to_string();
            }
        }
        if let Some(v) = self.at("minr", idx) {
            r[0] = v[0].to_string();
        }
        if let Some(v) = self.at("maxr", idx) {
            r[1] = v[0].to_string();
        }
        Ok([
            num(&r[0], "nr_regions", units::text_to_nr)?,
            num(&r[1], "nr_regions", units::text_to_nr)?,
        ])
    }

    /// `--exp_ops_*` and `--sample_primitives` (damo's ops_attrs path; the
    /// sample control directory is in no released kernel).
    fn ops_attrs(&self, idx: usize) -> Result<OpsAttrs> {
        let mut use_reports = self
            .at("exp_ops_use_reports", idx)
            .map(|v| v[0].to_string());
        if let Some(p) = self.at("sample_primitives", idx) {
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
            write_only: match self.at("exp_ops_write_only", idx) {
                Some(v) => text_to_bool(v[0], "--exp_ops_write_only").map_err(bad)?,
                None => false,
            },
            cpus: self
                .at("exp_ops_cpus", idx)
                .map_or("all".into(), |v| v[0].to_string()),
            tids: self
                .at("exp_ops_tids", idx)
                .map_or(String::new(), |v| v[0].to_string()),
        })
    }

    fn ctx(&self, idx: usize, ops: &str) -> Result<Context> {
        let addr_unit = match self.at("damon_addr_unit", idx) {
            Some(v) => num(v[0], "--damon_addr_unit", units::text_to_bytes)?,
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
                .ints("pause_ctx")
                .is_some_and(|p| p.contains(&(idx as i64))),
            schemes: Vec::new(),
        })
    }

    fn target(&self, idx: usize, ops: &str) -> Result<Target> {
        let mut regions = match self.at("regions", idx) {
            Some(r) => regions_for(r[0])?,
            None => Vec::new(),
        };
        if ops == "paddr" && regions.is_empty() {
            let spans = match self.at("numa_node", idx) {
                Some(nodes) => {
                    let nodes = nodes
                        .iter()
                        .map(|n| {
                            crate::fmt::pyparse::py_int(n)
                                .map_err(|_| anyhow::anyhow!("wrong --numa_node '{n}'"))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    merge_ranges(pa_layout::numa_addr_ranges(&nodes)?)
                }
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
                .ints("obsolete_targets")
                .is_some_and(|o| o.contains(&(idx as i64))),
            regions,
        })
    }

    /// The probes of `--probe_prep`, `--probe_filter` and `--probe_weight`
    /// (damo's `probes_for`).
    fn probes(&mut self) -> Result<Vec<Probe>> {
        let args = self.args;
        let preps: Vec<String> = occurrences(args, "probe_prep")
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
        let filters = occurrences(args, "probe_filter")
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
        let mut weights: Vec<i128> = occurrences(args, "probe_weight")
            .iter()
            .flatten()
            .map(|w| {
                crate::fmt::pyparse::py_int(w)
                    .map_err(|_| anyhow::anyhow!("wrong --probe_weight '{w}'"))
            })
            .collect::<Result<_>>()?;
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

/// Splits `items` into consecutive groups of `counts`.
fn split_by<T>(items: Vec<T>, counts: &[usize]) -> Vec<Vec<T>> {
    let mut it = items.into_iter();
    counts
        .iter()
        .map(|n| it.by_ref().take(*n).collect())
        .collect()
}

/// The kdamonds the options describe, and whether a command target was
/// started for them (damo's `kdamonds_for`).
pub fn kdamonds_and_start(args: &Args) -> Result<(Vec<Kdamond>, bool)> {
    let (kdamonds, self_started, notes) = build(args)?;
    for n in notes {
        crate::output::print(&format!("{n}\n"))?;
    }
    Ok((kdamonds, self_started))
}

fn build(args: &Args) -> Result<(Vec<Kdamond>, bool, Vec<String>)> {
    if let Some(k) = args.str("kdamonds") {
        return Ok((super::input::kdamonds_from_arg(k)?, false, Vec::new()));
    }
    let mut ns = Ns::new(args)?;
    let mut self_started = false;
    if let Some(t) = args.str("deducible_target") {
        if super::input::is_yaml_path(t) {
            if let Ok(k) = super::input::kdamonds_from_json_file(t) {
                return Ok((k, false, Vec::new()));
            }
        } else if let Ok(k) = super::input::kdamonds_from_arg(t) {
            return Ok((k, false, Vec::new()));
        }
        let program = avail_cmd(t.split_whitespace().next().unwrap_or_default());
        if std::path::Path::new(t).is_file() && !program {
            // A kdamonds file that does not parse: say why.
            super::input::kdamonds_from_json_file(t)?;
        }
        self_started = ns.deduce_target(t)?;
    }
    ns.evaluate()?;
    ns.count_markers()?;
    ns.note_short_target_lists();

    let nr_ctxs = ns.nr_ctxs_total();
    let ops = ns.ctx_ops(nr_ctxs);
    let mut ctxs = (0..nr_ctxs)
        .map(|i| ns.ctx(i, &ops[i]))
        .collect::<Result<Vec<_>>>()?;

    // targets
    let nr_targets = ns.nr_targets_total();
    if let Some(o) = args.ints("obsolete_targets")
        && o.iter().any(|i| *i >= nr_targets as i64)
    {
        bail!("Invalid --obsolete_targets");
    }
    let per_ctx = match &ns.nr_targets {
        Some(n) => n.clone(),
        None if nr_ctxs != 1 => bail!("--nr_targets is required for multiple contexts"),
        None => vec![nr_targets],
    };
    let mut targets = Vec::with_capacity(nr_targets);
    let mut owner_ops: Option<&str> = None;
    for idx in 0..nr_targets {
        let mut sum = 0;
        for (i, n) in per_ctx.iter().enumerate() {
            sum += n;
            if idx < sum {
                owner_ops = ops.get(i).map(String::as_str);
                break;
            }
        }
        let Some(o) = owner_ops else {
            bail!(
                "--nr_targets and number of targets mismatch ({} != {nr_targets})",
                per_ctx.iter().sum::<usize>()
            );
        };
        targets.push(ns.target(idx, o)?);
    }
    if per_ctx.iter().sum::<usize>() != targets.len() {
        bail!(
            "--nr_targets and number of targets mismatch ({} != {})",
            per_ctx.iter().sum::<usize>(),
            targets.len()
        );
    }
    if per_ctx.len() != ctxs.len() {
        bail!(
            "--nr_targets and number of ctxs mismatch ({} != {})",
            per_ctx.len(),
            ctxs.len()
        );
    }
    for (c, t) in ctxs.iter_mut().zip(split_by(targets, &per_ctx)) {
        c.targets = t;
    }

    // schemes
    let schemes = if args.given("damos_action") {
        schemes_for(
            args,
            ns.damos_nr_quota_goals.as_deref(),
            ns.damos_nr_filters.as_deref(),
        )?
    } else if let Some(s) = args.str("schemes") {
        let text = if std::path::Path::new(s).is_file() {
            std::fs::read_to_string(s).with_context(|| format!("cannot read {s}"))?
        } else {
            s.to_string()
        };
        super::input::schemes_from_json(&text)
            .map_err(|e| anyhow::anyhow!("failed damo schemes arguments parsing ({e:#})"))?
    } else {
        Vec::new()
    };
    let per_ctx = match &ns.nr_schemes {
        Some(n) => n.clone(),
        None if nr_ctxs != 1 && !schemes.is_empty() => {
            bail!("--nr_schemes is required for multiple contexts")
        }
        None => {
            let mut v = vec![0; nr_ctxs];
            v[0] = schemes.len();
            v
        }
    };
    if per_ctx.iter().sum::<usize>() != schemes.len() {
        bail!(
            "--nr_schemes and number of schemes mismatch ({} != {})",
            per_ctx.iter().sum::<usize>(),
            schemes.len()
        );
    }
    if per_ctx.len() != ctxs.len() {
        bail!(
            "--nr_schemes and number of ctxs mismatch ({} != {})",
            per_ctx.len(),
            ctxs.len()
        );
    }
    for (c, s) in ctxs.iter_mut().zip(split_by(schemes, &per_ctx)) {
        c.schemes = s;
    }

    // probes
    let probes = ns.probes()?;
    let per_ctx = match counts_of(args, "nr_probes")? {
        Some(n) => n,
        None if nr_ctxs != 1 && !probes.is_empty() => bail!("--nr_probes is required"),
        None => {
            let mut v = vec![0; nr_ctxs];
            v[0] = probes.len();
            v
        }
    };
    if per_ctx.iter().sum::<usize>() != probes.len() {
        bail!(
            "--nr_probes mismatches number of probes ({} != {})",
            per_ctx.iter().sum::<usize>(),
            probes.len()
        );
    }
    if per_ctx.len() != ctxs.len() {
        bail!(
            "--nr_probes mismatches number of contexts ({} != {})",
            per_ctx.len(),
            ctxs.len()
        );
    }
    for (c, p) in ctxs.iter_mut().zip(split_by(probes, &per_ctx)) {
        c.probes = p;
    }

    // kdamonds
    let per_kdamond = ns.nr_ctxs.clone().unwrap_or(vec![ctxs.len()]);
    if per_kdamond.iter().sum::<usize>() != ctxs.len() {
        bail!(
            "--nr_ctxs and number of ctxs mismatch ({} != {})",
            per_kdamond.iter().sum::<usize>(),
            ctxs.len()
        );
    }
    let refresh = occurrences(args, "refresh_stat");
    let mut kdamonds = Vec::with_capacity(per_kdamond.len());
    for (k, contexts) in split_by(ctxs, &per_kdamond).into_iter().enumerate() {
        let refresh_ms = match refresh.get(k) {
            Some(v) => num(v[0], "--refresh_stat", units::text_to_ms)?,
            None => I(0),
        };
        kdamonds.push(Kdamond {
            state: None,
            pid: None,
            refresh_ms,
            contexts,
        });
    }
    for c in kdamonds.iter().flat_map(|k| &k.contexts) {
        if c.ops != "paddr" && c.addr_unit != I(1) {
            bail!("only paddr supports non-one --damon_addr_unit");
        }
    }
    Ok((kdamonds, self_started, ns.notes))
}

/// A kdamonds file named by `--add`, `--remove` or `--replace`.
fn kdamonds_file(path: &str) -> Result<Vec<Kdamond>> {
    super::input::kdamonds_from_arg(path)
        .map_err(|e| anyhow::anyhow!("cannot parse {path} ({e:#})"))
}

/// A kdamond index argument of `--remove`/`--replace`, within `len`.
fn kdamond_index(text: &str, len: usize, opt: &str) -> Result<usize> {
    crate::fmt::pyparse::py_int(text)
        .ok()
        .and_then(|i| usize::try_from(i).ok())
        .filter(|i| *i < len)
        .with_context(|| format!("--{opt}: no kdamond of index '{text}' (the file has {len})"))
}

/// `damo args damon`: the kdamonds as JSON, YAML or text, without touching
/// sysfs or needing root.
pub fn main(args: &Args) -> Result<()> {
    let format = args.str("format").unwrap_or("json");
    if format == "report" && args.given("out") {
        bail!("--out and report format cannot be used together");
    }
    let mut kdamonds =
        kdamonds_for(args).map_err(|e| anyhow::anyhow!("invalid arguments ({e:#})"))?;
    for s in kdamonds
        .iter_mut()
        .flat_map(|k| k.contexts.iter_mut())
        .flat_map(|c| c.schemes.iter_mut())
    {
        s.stats = None;
        s.tried_regions = None;
    }
    if let Some(path) = args.str("add") {
        let mut old = kdamonds_file(path)?;
        old.append(&mut kdamonds);
        kdamonds = old;
    }
    if let Some([path, idx]) = args.list("remove").as_deref() {
        kdamonds = kdamonds_file(path)?;
        let i = kdamond_index(idx, kdamonds.len(), "remove")?;
        kdamonds.remove(i);
    }
    if let Some([path, idx]) = args.list("replace").as_deref() {
        let mut old = kdamonds_file(path)?;
        let i = kdamond_index(idx, old.len(), "replace")?;
        match kdamonds.first() {
            Some(k) => old[i] = k.clone(),
            None => bail!("--replace: the options describe no kdamond"),
        }
        kdamonds = old;
    }
    let raw = args.flag("raw");
    if format == "report" {
        let show = super::show::Show {
            raw,
            params_only: false,
            omit_tried_regions: false,
            omit_defaults: false,
            show_cpu: false,
        };
        let mut out = String::new();
        for (i, k) in kdamonds.iter().enumerate() {
            out.push_str(&format!(
                "kdamond {i}\n{}\n",
                super::show::indent(&k.to_str(show), 4)
            ));
        }
        return crate::output::print(&out);
    }
    let omit = args.flag("omit_defaults");
    let js = crate::record::write::Js::Obj(vec![(
        "kdamonds".to_string(),
        crate::record::write::Js::List(kdamonds.iter().map(|k| k.to_js(raw, omit)).collect()),
    )]);
    let text = if format == "yaml" {
        super::yaml::dump(&js)
    } else {
        let mut text = Vec::new();
        js.write(&mut text, 0)?;
        String::from_utf8_lossy(&text).into_owned()
    };
    match args.str("out") {
        Some(path) => {
            let mut f = crate::record::write::AtomicFile::create(std::path::Path::new(path))?;
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            f.commit(None)
        }
        None => crate::output::print(&format!("{text}\n")),
    }
}
