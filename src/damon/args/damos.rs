//! The DAMOS schemes of the `--damos_*` options: actions, access
//! patterns, quotas and goals, watermarks, filters.

use anyhow::{Result, bail};

use super::{num, occurrences};
use crate::cli::opts::DamonParams;
use crate::damon::damos::DamosFilter;
use crate::damon::model::{
    ACTIONS, AccessPattern, AgeUnit, NrAccUnit, QuotaGoal, Quotas, Scheme, Watermarks,
};
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units, ParseError};

/// One `--damos_filter`: `<allow|reject> [none] <type> [args]`, or the old
/// `<type> <matching|nomatching> [args] [allow|reject]`.
pub(super) fn filter_for(words: &[&str]) -> Result<DamosFilter> {
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
    let wrong = || {
        anyhow::anyhow!(
            "wrong --damos_filter '{}': give <allow|reject> [none] <type> [argument]..., \
             with <type> one of anon, active, young, unmapped, memcg <path>, \
             addr <start> <end>, target <index>, hugepage_size <min> <max>, \
             probe_hits_wsum <min> <max>",
            words.join(" ")
        )
    };
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
    let wrong = || {
        anyhow::anyhow!(
            "Wrong --damos_quota_goal ({}): give <metric> <target value> \
             [<current value> | <node> [<memcg path>]]",
            words.join(" ")
        )
    };
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
        _ => bail!(
            "quota goals parsing fail: unsupported metric '{metric}'; one of: {}",
            crate::damon::model::QUOTA_GOAL_METRICS.join(", ")
        ),
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

/// The schemes of `--damos_*` options; `nr_goals`/`nr_filters` are the
/// per-scheme counts the `--damos_scheme` markers gave, if any.
pub(super) fn schemes_for(
    args: &DamonParams,
    nr_goals: Option<&[usize]>,
    nr_filters: Option<&[usize]>,
) -> Result<Vec<Scheme>> {
    let actions = occurrences(args.damos_action.as_slice());
    let n = actions.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let sz = &args.damos_sz_region;
    let rate = &args.damos_access_rate;
    let age = &args.damos_age;
    let apply = &args.damos_apply_interval;
    let quotas = quota_words(args)?;
    let goals = occurrences(args.damos_quota_goal.as_slice());
    if !goals.is_empty() && (quotas.is_empty() || quotas.iter().any(|q| q.len() < 3)) {
        bail!(
            "'reset_interval_ms' not specified when setting quota goals; give it with \
             --damos_quota_interval <milliseconds>"
        );
    }
    let tuners = occurrences(args.damos_quota_goal_tuner.as_slice());
    let fail_charge = occurrences(args.damos_quota_fail_charge_ratio.as_slice());
    let wmarks = occurrences(args.damos_wmarks.as_slice());
    let filters = occurrences(args.damos_filter.as_slice());
    let max_snapshots = &args.damos_max_nr_snapshots;
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
    // the count options were read into the markers' counts
    let split = |dest: &str, marked: Option<&[usize]>, total: usize| -> Result<Vec<usize>> {
        let counts: Vec<usize> = marked.map(<[usize]>::to_vec).unwrap_or_default();
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
    if max_snapshots.len() > n {
        bail!("too much --damos_max_nr_snapshots");
    }
    let (mut goal_at, mut filter_at) = (0, 0);
    let mut schemes = Vec::with_capacity(n);
    for (i, action_words) in actions.iter().enumerate() {
        let action = action_of(action_words)?;
        let access_pattern = access_pattern_of(sz.get(i), rate.get(i), age.get(i))?;
        let apply_interval_us = apply.get(i).copied().unwrap_or(I(0));
        let mut q = quotas_of(quotas.get(i))?;
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
        let wm = watermarks_of(wmarks.get(i).map(Vec::as_slice))?;
        let mut fs = Vec::new();
        for f in &filters[filter_at..filter_at + nr_filters[i]] {
            fs.push(filter_for(f)?);
        }
        filter_at += nr_filters[i];
        let mut stats = crate::damon::damos::DamosStats::default();
        if let Some(v) = max_snapshots.get(i) {
            stats.max_nr_snapshots = *v;
        }
        schemes.push(Scheme {
            action: action.name,
            dests: action.dests,
            target_nid: action.target_nid,
            access_pattern,
            apply_interval_us,
            quotas: q,
            watermarks: wm,
            filters: fs,
            stats: Some(stats),
            tried_regions: Some(Vec::new()),
            tried_bytes: I(0),
        });
    }
    Ok(schemes)
}

/// The `--damos_quotas` words of each scheme: given as they are, or built
/// from `--damos_quota_interval` (with `--damos_quota_time`, `_space` and
/// `_weights`); not both.
fn quota_words(args: &DamonParams) -> Result<Vec<Vec<String>>> {
    let mut quotas = args.damos_quotas.clone();
    if args.damos_quota_interval.is_empty() {
        return Ok(quotas);
    }
    if !quotas.is_empty() {
        bail!("--damos_quotas and --damos_quota_interval cannot passed together");
    }
    for (i, interval) in args.damos_quota_interval.iter().enumerate() {
        let t = args.damos_quota_time.get(i).map_or("0", String::as_str);
        let s = args.damos_quota_space.get(i).map_or("0", String::as_str);
        let mut q = vec![t.to_string(), s.to_string(), interval.clone()];
        match args.damos_quota_weights.get(i) {
            Some(w) => q.extend(w.iter().cloned()),
            None => q.extend(["1", "1", "1"].map(String::from)),
        }
        quotas.push(q);
    }
    Ok(quotas)
}

/// A `--damos_action`: the action, and the target node or the
/// destinations (node, weight) the migrate actions take.
struct Action {
    name: String,
    target_nid: Option<Num>,
    dests: Vec<(Num, Num)>,
}

fn action_of(words: &[&str]) -> Result<Action> {
    let Some((&action, rest)) = words.split_first() else {
        bail!("Wrong number of --damos_action arguments.");
    };
    if !ACTIONS.contains(&action) {
        bail!(
            "Wrong '--damos_*' argument (wrong damos action: {action}; one of: {})",
            crate::damon::model::ACTIONS.join(", ")
        );
    }
    let (mut target_nid, mut dests) = (None, Vec::new());
    if action == "migrate_hot" || action == "migrate_cold" {
        let bad = || {
            anyhow::anyhow!("\"{action}\" action require a numeric target_nid or dests arguments.")
        };
        match rest {
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
    } else if !rest.is_empty() {
        bail!("Wrong number of --damos_action arguments.");
    }
    Ok(Action {
        name: action.to_string(),
        target_nid,
        dests,
    })
}

/// A scheme's access pattern from its `--damos_sz_region`,
/// `--damos_access_rate` and `--damos_age` (each min to max by default).
fn access_pattern_of(
    sz: Option<&Vec<Num>>,
    rate: Option<&Vec<Num>>,
    age: Option<&Vec<Num>>,
) -> Result<AccessPattern> {
    let pair = |v: Option<&Vec<Num>>, what, parse| -> Result<[Num; 2]> {
        match v.map(Vec::as_slice) {
            Some(&[a, b]) => Ok([a, b]),
            _ => Ok([num("min", what, parse)?, num("max", what, parse)?]),
        }
    };
    Ok(AccessPattern {
        sz_bytes: pair(sz, "--damos_sz_region", units::text_to_bytes)?,
        nr_accesses: pair(rate, "--damos_access_rate", units::text_to_percent)?,
        nr_accesses_unit: NrAccUnit::Percent,
        age: pair(age, "--damos_age", units::text_to_us)?,
        age_unit: AgeUnit::Usec,
    })
}

/// Quotas from one `--damos_quotas` word list: time, size, reset interval
/// and the three weights, each optional.
fn quotas_of(words: Option<&Vec<String>>) -> Result<Quotas> {
    let mut q = Quotas::default();
    let Some(qa) = words else {
        return Ok(q);
    };
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
    Ok(q)
}

/// Watermarks from one `--damos_wmarks` (none by default).
fn watermarks_of(words: Option<&[&str]>) -> Result<Watermarks> {
    let Some([m, iv, h, mi, l]) = words else {
        return Ok(Watermarks::default());
    };
    if !crate::damon::model::WATERMARK_METRICS.contains(m) {
        bail!(
            "Wrong --damos_wmarks (wrong watermark metric ({m}); one of: {})",
            crate::damon::model::WATERMARK_METRICS.join(", ")
        );
    }
    Ok(Watermarks {
        metric: m.to_string(),
        interval_us: num(iv, "--damos_wmarks interval", units::text_to_us)?,
        marks: [
            num(h, "--damos_wmarks", units::text_to_permil)?,
            num(mi, "--damos_wmarks", units::text_to_permil)?,
            num(l, "--damos_wmarks", units::text_to_permil)?,
        ],
    })
}
