//! Kdamonds from damo's DAMON parameter options (`start`, `tune`,
//! `record`, `schemes`, `args damon`), and the `args damon` command.
//!
//! damo's rules, quirks included: per-context options pair with contexts
//! by position (the `--kdamond`/`--damon_ctx`/`--damon_target`/
//! `--damos_scheme`/`--probe` markers only count how many of each belong
//! together), a positional target (pid, command, `paddr`, kdamonds
//! JSON/YAML file) overrides `--ops`/`--target_pid` with a warning.

mod damos;
mod ns;

use anyhow::{Context as _, Result, bail};

use super::model::{Context, Kdamond, Scheme};
use crate::cli::conv::Choice;
use crate::cli::opts::DamonParams;
use crate::fmt::ParseError;
use crate::fmt::pynum::{I, Num};
use damos::schemes_for;
use ns::Ns;

fn num(text: &str, what: &str, parse: fn(&str) -> Result<Num, ParseError>) -> Result<Num> {
    parse(text).with_context(|| format!("wrong {what} '{text}'"))
}

/// An append option's occurrences as word lists, the shape damo's
/// argument namespace gives them.
trait Occurrences {
    fn occurrences(&self) -> Vec<Vec<&str>>;
}

impl Occurrences for [String] {
    fn occurrences(&self) -> Vec<Vec<&str>> {
        self.iter().map(|s| vec![s.as_str()]).collect()
    }
}

impl Occurrences for [Vec<String>] {
    fn occurrences(&self) -> Vec<Vec<&str>> {
        self.iter()
            .map(|v| v.iter().map(String::as_str).collect())
            .collect()
    }
}

impl<E: Choice> Occurrences for [Vec<E>] {
    fn occurrences(&self) -> Vec<Vec<&str>> {
        self.iter()
            .map(|v| v.iter().map(Choice::as_str).collect())
            .collect()
    }
}

fn occurrences<T: Occurrences + ?Sized>(v: &T) -> Vec<Vec<&str>> {
    v.occurrences()
}

/// Whether `word` names a program: a path to an executable file, or one
/// found on PATH (damo's `avail_cmd`).
fn avail_cmd(word: &str) -> bool {
    which(word).is_some()
}

/// The executable `word` names: itself if it is a path, else the first
/// one on PATH.
pub fn which(word: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let exec = |p: &std::path::Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if word.is_empty() {
        return None;
    }
    if word.contains('/') {
        let p = std::path::PathBuf::from(word);
        return exec(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(word))
        .find(|p| exec(p))
}

/// Whether a target text starts with a program name (damo's command
/// targets).
pub fn is_program(target: &str) -> bool {
    avail_cmd(target.split_whitespace().next().unwrap_or_default())
}

/// `--damos_filter`-style filters (e.g. `report access
/// --snapshot_damos_filter`), one per occurrence.
pub fn damos_filters(occurrences: &[Vec<&str>]) -> Result<Vec<super::damos::DamosFilter>> {
    occurrences.iter().map(|w| damos::filter_for(w)).collect()
}

/// `--snapshot_damos_filter` options (`report access`, `record
/// --snapshot`).
pub fn snapshot_damos_filters(given: &[Vec<String>]) -> Result<Vec<super::damos::DamosFilter>> {
    damos_filters(&occurrences(given))
        .map_err(|e| anyhow::anyhow!("wrong --snapshot_damos_filter ({e:#})"))
}

/// A `--nr_*` count option (`dest` names it in errors): `None` when not
/// given.
fn counts_of(values: &Option<Vec<i128>>, dest: &str) -> Result<Option<Vec<usize>>> {
    let Some(values) = values else {
        return Ok(None);
    };
    values
        .iter()
        .map(|v| {
            usize::try_from(*v)
                .ok()
                .with_context(|| format!("wrong --{dest} '{v}' (give counts of 0 or more)"))
        })
        .collect::<Result<_>>()
        .map(Some)
}

/// The occurrences of an append option, `None` when not given.
fn given_occurrences<T: Occurrences + ?Sized>(v: &T) -> Option<Vec<Vec<&str>>> {
    let occ = v.occurrences();
    (!occ.is_empty()).then_some(occ)
}

/// How many of `nr_items` schemes or probes each of `nr_ctxs` contexts gets
/// (damo's `gen_assign_schemes`/`gen_assign_probes`): the given counts, or
/// all to the first context.  `msgs`: damo's error for missing counts, and
/// the prefixes of its two mismatch errors.
fn per_context(
    counts: Option<Vec<usize>>,
    nr_items: usize,
    nr_ctxs: usize,
    msgs: [&str; 3],
) -> Result<Vec<usize>> {
    let per_ctx = match counts {
        Some(n) => n,
        None if nr_ctxs != 1 && nr_items > 0 => bail!("{}", msgs[0]),
        None => {
            let mut v = vec![0; nr_ctxs];
            v[0] = nr_items;
            v
        }
    };
    let sum: usize = per_ctx.iter().sum();
    if sum != nr_items {
        bail!("{} ({sum} != {nr_items})", msgs[1]);
    }
    if per_ctx.len() != nr_ctxs {
        bail!("{} ({} != {nr_ctxs})", msgs[2], per_ctx.len());
    }
    Ok(per_ctx)
}

/// Splits `items` into consecutive groups of `counts`.
fn split_by<T>(items: Vec<T>, counts: &[usize]) -> Vec<Vec<T>> {
    let mut it = items.into_iter();
    counts
        .iter()
        .map(|n| it.by_ref().take(*n).collect())
        .collect()
}

/// The kdamonds some DAMON options describe (damo's `kdamonds_for`).
pub struct Built {
    pub kdamonds: Vec<Kdamond>,
    /// Whether a command target was started for them.
    pub self_started: bool,
    /// Notes damo prints on stdout about the options (one line each).
    pub notes: Vec<String>,
}

/// The kdamonds the options describe, starting a command target where
/// one is given.
pub fn kdamonds_for(args: &DamonParams) -> Result<Built> {
    let (kdamonds, self_started, notes) = build(args)?;
    Ok(Built {
        kdamonds,
        self_started,
        notes,
    })
}

fn build(args: &DamonParams) -> Result<(Vec<Kdamond>, bool, Vec<String>)> {
    if let Some(k) = &args.kdamonds {
        return Ok((super::input::kdamonds_from_arg(k)?, false, Vec::new()));
    }
    let mut ns = Ns::new(args)?;
    let mut self_started = false;
    if let Some(t) = args.deducible_target.as_deref() {
        // a kdamonds JSON/YAML file (or JSON text)
        if let Ok(k) = super::input::kdamonds_from_arg(t) {
            return Ok((k, false, Vec::new()));
        }
        let program = avail_cmd(t.split_whitespace().next().unwrap_or_default());
        if std::path::Path::new(t).is_file() && !program {
            // A kdamonds file that does not parse: say why.
            super::input::kdamonds_from_json_file(t)
                .with_context(|| format!("cannot read kdamonds from {t}"))?;
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
    add_targets(args, &ns, &ops, &mut ctxs)?;
    let schemes = schemes_of(args, &ns)?;
    let per_ctx = per_context(
        ns.nr_schemes.clone(),
        schemes.len(),
        nr_ctxs,
        [
            "--nr_schemes is required for multiple contexts",
            "--nr_schemes and number of schemes mismatch",
            "--nr_schemes and number of ctxs mismatch",
        ],
    )?;
    for (c, s) in ctxs.iter_mut().zip(split_by(schemes, &per_ctx)) {
        c.schemes = s;
    }

    // probes
    let probes = ns.probes()?;
    let per_ctx = per_context(
        counts_of(&args.nr_probes, "nr_probes")?,
        probes.len(),
        nr_ctxs,
        [
            "--nr_probes is required",
            "--nr_probes mismatches number of probes",
            "--nr_probes mismatches number of contexts",
        ],
    )?;
    for (c, p) in ctxs.iter_mut().zip(split_by(probes, &per_ctx)) {
        c.probes = p;
    }

    let kdamonds = kdamonds_of(args, &ns, ctxs)?;
    Ok((kdamonds, self_started, ns.notes))
}

/// The targets of all contexts, split among them by `--nr_targets`.
fn add_targets(args: &DamonParams, ns: &Ns, ops: &[String], ctxs: &mut [Context]) -> Result<()> {
    let nr_ctxs = ctxs.len();
    let nr_targets = ns.nr_targets_total();
    if let Some(o) = &args.obsolete_targets
        && o.iter().any(|i| i128::from(*i) >= nr_targets as i128)
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
    Ok(())
}

/// The schemes of the `--damos_*` options, or of `--schemes` (JSON text or
/// file).
fn schemes_of(args: &DamonParams, ns: &Ns) -> Result<Vec<Scheme>> {
    Ok(if !args.damos_action.is_empty() {
        schemes_for(
            args,
            ns.damos_nr_quota_goals.as_deref(),
            ns.damos_nr_filters.as_deref(),
        )?
    } else if let Some(s) = args.schemes.as_deref() {
        let text = if std::path::Path::new(s).is_file() {
            std::fs::read_to_string(s).with_context(|| format!("cannot read {s}"))?
        } else {
            s.to_string()
        };
        super::input::schemes_from_json(&text)
            .map_err(|e| anyhow::anyhow!("failed damo schemes arguments parsing ({e:#})"))?
    } else {
        Vec::new()
    })
}

/// The kdamonds: the contexts split by `--nr_ctxs`, each with its
/// `--refresh_stat`.
fn kdamonds_of(args: &DamonParams, ns: &Ns, ctxs: Vec<Context>) -> Result<Vec<Kdamond>> {
    let per_kdamond = ns.nr_ctxs.clone().unwrap_or(vec![ctxs.len()]);
    if per_kdamond.iter().sum::<usize>() != ctxs.len() {
        bail!(
            "--nr_ctxs and number of ctxs mismatch ({} != {})",
            per_kdamond.iter().sum::<usize>(),
            ctxs.len()
        );
    }
    let mut kdamonds = Vec::with_capacity(per_kdamond.len());
    for (k, contexts) in split_by(ctxs, &per_kdamond).into_iter().enumerate() {
        let refresh_ms = args.refresh_stat.get(k).copied().unwrap_or(I(0));
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
    Ok(kdamonds)
}

/// A kdamonds file named by `--add`, `--remove` or `--replace`.
pub fn kdamonds_file(path: &str) -> Result<Vec<Kdamond>> {
    super::input::kdamonds_from_arg(path)
        .map_err(|e| anyhow::anyhow!("cannot parse {path} ({e:#})"))
}

/// A kdamond index argument of `--remove`/`--replace`, within `len`.
pub fn kdamond_index(text: &str, len: usize, opt: &str) -> Result<usize> {
    crate::fmt::pyparse::py_int(text)
        .ok()
        .and_then(|i| usize::try_from(i).ok())
        .filter(|i| *i < len)
        .with_context(|| format!("--{opt}: no kdamond of index '{text}' (the file has {len})"))
}
