//! Kdamonds from damo's DAMON parameter options (`start`, `tune`,
//! `record`, `schemes`, `args damon`), and the `args damon` command.
//!
//! Built so far: one kdamond with one context, any number of targets and
//! schemes.  The `--kdamond`/`--damon_ctx` markers, `--nr_*` counts,
//! kdamonds JSON/YAML input, probes and `--numa_node` say they are not
//! built yet.

use anyhow::{Context as _, Result, bail};

use super::damos::DamosFilter;
use super::model::{
    ACTIONS, AccessPattern, AgeUnit, Context, Intervals, IntervalsGoal, Kdamond, NrAccUnit,
    QuotaGoal, Quotas, Scheme, Target, Watermarks,
};
use crate::cli::parse::Args;
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units, ParseError};

/// Options this version does not map yet.
const NOT_YET: [&str; 13] = [
    "kdamond",
    "damon_ctx",
    "damon_target",
    "nr_ctxs",
    "nr_targets",
    "nr_schemes",
    "probe",
    "probe_prep",
    "probe_filter",
    "probe_weight",
    "numa_node",
    "schemes",
    "sample_primitives",
];

fn num(text: &str, what: &str, parse: fn(&str) -> Result<Num, ParseError>) -> Result<Num> {
    parse(text).with_context(|| format!("wrong {what} '{text}'"))
}

/// The i-th occurrence of an append option with one value.
fn nth<'a>(args: &'a Args, dest: &str, i: usize) -> Option<&'a str> {
    args.lists(dest)
        .and_then(|l| l.get(i).and_then(|v| v.first().copied()))
}

fn occurrences<'a>(args: &'a Args, dest: &str) -> Vec<Vec<&'a str>> {
    if args.given(dest) {
        args.lists(dest).unwrap_or_default()
    } else {
        Vec::new()
    }
}

fn intervals_for(args: &Args) -> Result<Intervals> {
    let mut iv = ["5ms", "100ms", "1s"].map(String::from);
    if let Some(l) = args
        .lists("monitoring_intervals")
        .and_then(|l| l.first().cloned())
    {
        for (i, v) in l.iter().enumerate().take(3) {
            iv[i] = v.to_string();
        }
    }
    for (i, dest) in ["sample", "aggr", "updr"].iter().enumerate() {
        if let Some(v) = nth(args, dest, 0) {
            iv[i] = v.to_string();
        }
    }
    let goal: Vec<String> = if args.flag("monitoring_intervals_autotune") {
        ["4%", "3", "5ms", "10s"].map(String::from).to_vec()
    } else if let Some(g) = args
        .lists("monitoring_intervals_goal")
        .and_then(|l| l.first().cloned())
    {
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

fn nr_regions_for(args: &Args) -> Result<[Num; 2]> {
    let mut r = ["10".to_string(), "1000".to_string()];
    if let Some(l) = args
        .lists("monitoring_nr_regions_range")
        .and_then(|l| l.first().cloned())
    {
        for (i, v) in l.iter().enumerate().take(2) {
            r[i] = v.to_string();
        }
    }
    if let Some(v) = nth(args, "minr", 0) {
        r[0] = v.to_string();
    }
    if let Some(v) = nth(args, "maxr", 0) {
        r[1] = v.to_string();
    }
    Ok([
        num(&r[0], "nr_regions", units::text_to_nr)?,
        num(&r[1], "nr_regions", units::text_to_nr)?,
    ])
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

/// The physical address span of all System RAM, from `/proc/iomem`.
fn default_paddr_region() -> Result<[Num; 2]> {
    let path = "/proc/iomem";
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("cannot read {path} for the default paddr region; give --regions")
    })?;
    let mut span: Option<[i128; 2]> = None;
    for line in text.lines() {
        let Some((range, name)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().starts_with("System RAM") {
            continue;
        }
        let Some((a, b)) = range.trim().split_once('-') else {
            continue;
        };
        let (Ok(a), Ok(b)) = (i128::from_str_radix(a, 16), i128::from_str_radix(b, 16)) else {
            continue;
        };
        span = Some(match span {
            None => [a, b + 1],
            Some([s, _]) => [s, b + 1],
        });
    }
    let [a, b] = span.context("no System RAM in /proc/iomem; give --regions")?;
    Ok([I(a), I(b)])
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

fn schemes_for(args: &Args) -> Result<Vec<Scheme>> {
    let actions = occurrences(args, "damos_action");
    let n = actions.len();
    if n == 0 {
        for dest in [
            "damos_sz_region",
            "damos_access_rate",
            "damos_age",
            "damos_apply_interval",
            "damos_quotas",
            "damos_quota_interval",
            "damos_quota_goal",
            "damos_filter",
            "damos_wmarks",
        ] {
            if args.given(dest) {
                bail!("'damos_action' not specified while using --damos_* option(s)");
            }
        }
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
    let split = |dest: &str, total: usize| -> Result<Vec<usize>> {
        let counts = args.ints(dest).unwrap_or_default();
        if counts.is_empty() {
            if n > 1 && total > 0 {
                bail!("--{dest} required");
            }
            let mut v = vec![0; n];
            v[0] = total;
            return Ok(v);
        }
        if counts.iter().sum::<i64>() as usize != total {
            bail!("wrong --{dest}");
        }
        let mut v: Vec<usize> = counts.iter().map(|c| *c as usize).collect();
        v.resize(n, 0);
        Ok(v)
    };
    let nr_goals = split("damos_nr_quota_goals", goals.len())?;
    let nr_filters = split("damos_nr_filters", filters.len())?;
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

/// The kdamonds the options describe, and whether a command target was
/// started for them.
pub fn kdamonds_and_start(args: &Args) -> Result<(Vec<Kdamond>, bool)> {
    if let Some(k) = args.str("kdamonds") {
        return Ok((super::input::kdamonds_from_arg(k)?, false));
    }
    if let Some(t) = args.str("deducible_target") {
        if t.ends_with(".yaml") {
            bail!("kdamonds YAML input is not supported by this version yet (JSON is)");
        }
        if let Ok(k) = super::input::kdamonds_from_arg(t) {
            return Ok((k, false));
        }
    }
    let mut self_started = false;
    for dest in NOT_YET {
        if args.given(dest) {
            bail!("--{dest} is not supported by this version yet");
        }
    }
    let mut ops = nth(args, "ops", 0).map(str::to_string);
    let mut pids: Vec<i128> = occurrences(args, "target_pid")
        .iter()
        .map(|v| {
            crate::fmt::pyparse::py_int(v[0]).map_err(|_| anyhow::anyhow!("wrong --target_pid"))
        })
        .collect::<Result<_>>()?;
    let regions_args: Vec<String> = occurrences(args, "regions")
        .iter()
        .map(|v| v[0].to_string())
        .collect();
    if let Some(t) = args.str("deducible_target") {
        if t == "paddr" {
            ops = Some("paddr".into());
            pids.clear();
        } else {
            pids = vec![if let Ok(pid) = crate::fmt::pyparse::py_int(t) {
                pid
            } else if avail_cmd(t.split_whitespace().next().unwrap_or_default()) {
                // damo runs a command target through bash and monitors it
                let child = std::process::Command::new("/bin/bash")
                    .arg("-c")
                    .arg(t)
                    .spawn()
                    .with_context(|| format!("cannot start '{t}'"))?;
                self_started = true;
                child.id() as i128
            } else {
                bail!(
                    "target '{t}' is not supported (give a pid, a command, paddr, \
                     or a kdamonds JSON/YAML file)"
                );
            }];
            ops = Some(
                if regions_args.is_empty() {
                    "vaddr"
                } else {
                    "fvaddr"
                }
                .into(),
            );
        }
    }
    let ops = ops.unwrap_or_else(|| if pids.is_empty() { "paddr" } else { "vaddr" }.into());
    if !["vaddr", "fvaddr", "paddr"].contains(&ops.as_str()) {
        bail!("wrong --ops '{ops}'");
    }
    let nr_targets = pids.len().max(regions_args.len()).max(1);
    let mut targets = Vec::with_capacity(nr_targets);
    for i in 0..nr_targets {
        let mut regions = match regions_args.get(i) {
            Some(r) => regions_for(r)?,
            None => Vec::new(),
        };
        if ops == "paddr" && regions.is_empty() {
            regions = vec![default_paddr_region()?];
        }
        targets.push(Target {
            pid: if ops == "paddr" {
                None
            } else {
                pids.get(i).copied()
            },
            obsolete: args
                .ints("obsolete_targets")
                .is_some_and(|o| o.contains(&(i as i64))),
            regions,
        });
    }
    let addr_unit = match nth(args, "damon_addr_unit", 0) {
        Some(v) => num(v, "--damon_addr_unit", units::text_to_bytes)?,
        None => I(1),
    };
    if ops != "paddr" && addr_unit != I(1) {
        bail!("only paddr supports non-one --damon_addr_unit");
    }
    let ctx = Context {
        ops,
        addr_unit,
        targets,
        intervals: intervals_for(args)?,
        nr_regions: nr_regions_for(args)?,
        pause: args.ints("pause_ctx").is_some_and(|p| p.contains(&0)),
        schemes: schemes_for(args)?,
    };
    let refresh_ms = match nth(args, "refresh_stat", 0) {
        Some(v) => num(v, "--refresh_stat", units::text_to_ms)?,
        None => I(0),
    };
    Ok((
        vec![Kdamond {
            state: None,
            pid: None,
            refresh_ms,
            contexts: vec![ctx],
        }],
        self_started,
    ))
}

/// `damo args damon`: the kdamonds as JSON, without touching sysfs or
/// needing root.
pub fn main(args: &Args) -> Result<()> {
    for dest in ["add", "remove", "replace"] {
        if args.given(dest) {
            bail!("--{dest} is not supported by this version yet");
        }
    }
    let format = args.str("format").unwrap_or("json");
    if format != "json" {
        bail!("--format {format} is not supported by this version yet (json is)");
    }
    let kdamonds = kdamonds_for(args).map_err(|e| anyhow::anyhow!("invalid arguments ({e:#})"))?;
    let raw = args.flag("raw");
    let omit = args.flag("omit_defaults");
    let js = crate::record::write::Js::Obj(vec![(
        "kdamonds".to_string(),
        crate::record::write::Js::List(kdamonds.iter().map(|k| k.to_js(raw, omit)).collect()),
    )]);
    let mut text = Vec::new();
    js.write(&mut text, 0)?;
    text.push(b'\n');
    match args.str("out") {
        Some(path) => {
            text.pop();
            let mut f = crate::record::write::AtomicFile::create(std::path::Path::new(path))?;
            std::io::Write::write_all(&mut f, &text)?;
            f.commit(None)
        }
        None => crate::output::print(&String::from_utf8_lossy(&text)),
    }
}
