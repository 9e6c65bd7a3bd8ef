//! An argparse-compatible command-line parser driven by the table in
//! `spec.rs`.
//!
//! damo users type options the way Python's argparse accepts them: unique
//! prefixes of long options (`--damos_act pageout`), `--opt=value`, greedy
//! multi-value options that stop at the next option, negative numbers and
//! values with spaces (`"-3 s"`) as values, and exit status 2 with a usage
//! line on errors.  This module reproduces that algorithm (Python 3.11's
//! `_parse_known_args`) so that scripts written for damo parse identically.

use std::collections::HashMap;

use super::help;
use super::spec_types::{Act, CmdSpec, Dflt, Nargs, OptSpec, Ty};
use crate::fmt::pyparse;

/// A parsed value of one destination.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    None,
    Bool(bool),
    Str(String),
    List(Vec<String>),
    /// Values of an `append` option: one inner list per occurrence.
    Lists(Vec<Vec<String>>),
}

/// Why parsing stopped without producing arguments.
#[derive(Debug)]
pub enum CliExit {
    /// `-h`/`--help`: print this text on stdout and exit 0.
    Help(String),
    /// A usage error: print on stderr and exit 2.
    Usage {
        usage: String,
        prog: String,
        msg: String,
        /// A close match of what was mistyped, said after argparse's
        /// message.
        hint: Option<String>,
    },
}

/// The candidate closest to `word`, if it is close enough to be what was
/// meant (a typo, a swapped or missing letter).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

impl CliExit {
    /// The text argparse prints for this exit.
    pub fn render(&self) -> String {
        match self {
            CliExit::Help(text) => text.clone(),
            CliExit::Usage {
                usage,
                prog,
                msg,
                hint,
            } => {
                let mut text = format!("{usage}{prog}: error: {msg}\n");
                if let Some(h) = hint {
                    text.push_str(&format!("{prog}: did you mean '{h}'?\n"));
                }
                text
            }
        }
    }
}

/// The result of parsing: which command was chosen and its values.
#[derive(Debug)]
pub struct Args {
    /// The innermost command chosen.
    pub cmd: &'static CmdSpec,
    vals: HashMap<&'static str, Val>,
    given: Vec<&'static str>,
    /// The full command line, for options that re-scan it (damo's
    /// `--kdamond`/`--damon_ctx` markers do).
    pub argv: Vec<String>,
}

impl Args {
    /// The raw value of `dest`.
    pub fn val(&self, dest: &str) -> &Val {
        self.vals.get(dest).unwrap_or(&Val::None)
    }

    /// Whether `dest` was set on the command line (not just defaulted).
    pub fn given(&self, dest: &str) -> bool {
        self.given.contains(&dest)
    }

    pub fn flag(&self, dest: &str) -> bool {
        matches!(self.val(dest), Val::Bool(true))
    }

    /// A scalar value; the first element of a list value.
    pub fn str(&self, dest: &str) -> Option<&str> {
        match self.val(dest) {
            Val::Str(s) => Some(s),
            Val::List(l) => l.first().map(String::as_str),
            _ => None,
        }
    }

    /// A list value; a scalar becomes a one-element list, an append value is
    /// flattened.
    pub fn list(&self, dest: &str) -> Option<Vec<&str>> {
        match self.val(dest) {
            Val::Str(s) => Some(vec![s.as_str()]),
            Val::List(l) => Some(l.iter().map(String::as_str).collect()),
            Val::Lists(ll) => Some(ll.iter().flatten().map(String::as_str).collect()),
            _ => None,
        }
    }

    /// The occurrences of an `append` option.
    pub fn lists(&self, dest: &str) -> Option<Vec<Vec<&str>>> {
        match self.val(dest) {
            Val::Lists(ll) => Some(
                ll.iter()
                    .map(|l| l.iter().map(String::as_str).collect())
                    .collect(),
            ),
            Val::List(l) => Some(vec![l.iter().map(String::as_str).collect()]),
            Val::Str(s) => Some(vec![vec![s.as_str()]]),
            _ => None,
        }
    }
}

/// The integers options take: any 64-bit value, signed or not (ids and
/// addresses are unsigned longs).
pub const INT_RANGE: std::ops::RangeInclusive<i128> = (i64::MIN as i128)..=(u64::MAX as i128);

/// Pattern class of one command-line word (argparse's `O`, `A`, `-`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Opt,
    Arg,
    DoubleDash,
}

/// What an option word resolved to.
#[derive(Clone, Copy)]
enum Resolved {
    Help,
    Opt(&'static OptSpec),
}

#[derive(Clone)]
struct OptWord {
    target: Option<Resolved>,
    explicit: Option<String>,
    flag: String,
}

struct Level<'a> {
    spec: &'static CmdSpec,
    words: &'a [String],
    classes: Vec<Class>,
    opt_words: HashMap<usize, OptWord>,
}

fn usage_error(spec: &CmdSpec, msg: String) -> CliExit {
    CliExit::Usage {
        usage: help::usage(spec),
        prog: spec.prog(),
        msg,
        hint: None,
    }
}

/// `usage_error` with a "did you mean" line when `word` is close to one
/// of `candidates`.
fn usage_error_hinted<'a>(
    spec: &CmdSpec,
    msg: String,
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> CliExit {
    let mut e = usage_error(spec, msg);
    if let CliExit::Usage { hint, .. } = &mut e {
        *hint = did_you_mean(word, candidates);
    }
    e
}

/// All option strings of a command, with `-h`/`--help` first as argparse
/// registers them.
fn option_strings(spec: &'static CmdSpec) -> Vec<(&'static str, Resolved)> {
    let mut v: Vec<(&'static str, Resolved)> =
        vec![("-h", Resolved::Help), ("--help", Resolved::Help)];
    for o in spec.opts {
        for f in o.flags {
            v.push((f, Resolved::Opt(o)));
        }
    }
    v
}

fn is_negative_number(s: &str) -> bool {
    // argparse: '^-\d+$|^-\d*\.\d+$'
    let Some(rest) = s.strip_prefix('-') else {
        return false;
    };
    let all_digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    if all_digits(rest) {
        return true;
    }
    if let Some((a, b)) = rest.split_once('.') {
        return a.chars().all(|c| c.is_ascii_digit()) && all_digits(b);
    }
    false
}

/// argparse's `_parse_optional`: is this word an option, and which one?
fn classify_optional(
    spec: &'static CmdSpec,
    table: &[(&'static str, Resolved)],
    word: &str,
) -> Result<Option<OptWord>, CliExit> {
    if !word.starts_with('-') {
        return Ok(None);
    }
    if let Some((_, r)) = table.iter().find(|(f, _)| *f == word) {
        return Ok(Some(OptWord {
            target: Some(*r),
            explicit: None,
            flag: word.to_string(),
        }));
    }
    if word.len() == 1 {
        return Ok(None);
    }
    if let Some((name, value)) = word.split_once('=')
        && let Some((f, r)) = table.iter().find(|(f, _)| *f == name)
    {
        return Ok(Some(OptWord {
            target: Some(*r),
            explicit: Some(value.to_string()),
            flag: f.to_string(),
        }));
    }
    // Unique-prefix abbreviations.
    let mut matches: Vec<OptWord> = Vec::new();
    if word.starts_with("--") {
        let (prefix, explicit) = match word.split_once('=') {
            Some((p, e)) => (p, Some(e.to_string())),
            None => (word, None),
        };
        for (f, r) in table {
            if f.starts_with(prefix) {
                matches.push(OptWord {
                    target: Some(*r),
                    explicit: explicit.clone(),
                    flag: f.to_string(),
                });
            }
        }
    } else {
        let short_prefix: String = word.chars().take(2).collect();
        let short_explicit: String = word.chars().skip(2).collect();
        for (f, r) in table {
            if *f == short_prefix {
                matches.push(OptWord {
                    target: Some(*r),
                    explicit: Some(short_explicit.clone()),
                    flag: f.to_string(),
                });
            } else if f.starts_with(word) {
                matches.push(OptWord {
                    target: Some(*r),
                    explicit: None,
                    flag: f.to_string(),
                });
            }
        }
    }
    if matches.len() > 1 {
        let names: Vec<&str> = matches.iter().map(|m| m.flag.as_str()).collect();
        return Err(usage_error(
            spec,
            format!(
                "ambiguous option: {} could match {}",
                word,
                names.join(", ")
            ),
        ));
    }
    if let Some(m) = matches.pop() {
        return Ok(Some(m));
    }
    if is_negative_number(word) || word.contains(' ') {
        return Ok(None);
    }
    Ok(Some(OptWord {
        target: None,
        explicit: None,
        flag: word.to_string(),
    }))
}

/// How many of the following words (given as classes) an option with
/// `nargs` takes; `Err` names the argparse complaint.
fn match_option_nargs(nargs: Nargs, following: &[Class]) -> Result<usize, &'static str> {
    let avail = following.iter().take_while(|c| **c == Class::Arg).count();
    match nargs {
        Nargs::Zero => Ok(0),
        Nargs::One => {
            if avail >= 1 {
                Ok(1)
            } else {
                Err("expected one argument")
            }
        }
        Nargs::Optional => Ok(avail.min(1)),
        Nargs::Any => Ok(avail),
        Nargs::AtLeastOne => {
            if avail >= 1 {
                Ok(avail)
            } else {
                Err("expected at least one argument")
            }
        }
        Nargs::Exactly(n) => {
            if avail >= n {
                Ok(n)
            } else {
                Err("")
            }
        }
    }
}

fn nargs_error(nargs: Nargs, msg: &'static str) -> String {
    match nargs {
        Nargs::Exactly(n) => format!("expected {n} argument{}", if n == 1 { "" } else { "s" }),
        _ => msg.to_string(),
    }
}

/// Converts and checks one value as argparse's `_get_value` and
/// `_check_value` do.
fn check_value(spec: &CmdSpec, opt: &OptSpec, v: &str) -> Result<(), CliExit> {
    // Python's int() is unbounded and takes any Unicode decimal digit;
    // ours takes ASCII digits within INT_RANGE (docs/compat.md)
    let (ok, why) = match opt.ty {
        Ty::Str => (true, ""),
        Ty::Int => match pyparse::py_int(v) {
            Ok(n) if INT_RANGE.contains(&n) => (true, ""),
            Ok(_) => (false, " (out of the 64-bit range)"),
            Err(_) if v.chars().any(|c| c.is_numeric() && !c.is_ascii_digit()) => {
                (false, " (use ASCII digits)")
            }
            Err(_) => (false, ""),
        },
        Ty::Float => (pyparse::py_float(v).is_ok(), ""),
    };
    if !ok {
        let tyname = if opt.ty == Ty::Int { "int" } else { "float" };
        return Err(usage_error(
            spec,
            format!(
                "argument {}: invalid {} value: '{}'{why}",
                opt.display_name(),
                tyname,
                v
            ),
        ));
    }
    if !opt.choices.is_empty() && !opt.choices.contains(&v) {
        let choices: Vec<String> = opt.choices.iter().map(|c| format!("'{c}'")).collect();
        return Err(usage_error_hinted(
            spec,
            format!(
                "argument {}: invalid choice: '{}' (choose from {})",
                opt.display_name(),
                v,
                choices.join(", ")
            ),
            v,
            opt.choices.iter().copied(),
        ));
    }
    Ok(())
}

fn store(
    spec: &CmdSpec,
    out: &mut Args,
    opt: &'static OptSpec,
    mut values: Vec<String>,
) -> Result<(), CliExit> {
    // argparse drops one '--' from the values of non-subcommand arguments.
    if let Some(pos) = values.iter().position(|v| v == "--") {
        values.remove(pos);
    }
    for v in &values {
        check_value(spec, opt, v)?;
    }
    let val = match opt.act {
        Act::StoreTrue => Val::Bool(true),
        Act::StoreFalse => Val::Bool(false),
        Act::Help => return Err(CliExit::Help(help::help(spec))),
        Act::Store => match opt.nargs {
            Nargs::One => Val::Str(values.pop().unwrap_or_default()),
            Nargs::Optional => match values.pop() {
                Some(v) => Val::Str(v),
                None => dflt_val(opt.dflt),
            },
            _ => Val::List(values),
        },
        Act::Append => {
            let mut prev = match out.vals.remove(opt.dest) {
                Some(Val::Lists(l)) => l,
                Some(Val::List(l)) => l.into_iter().map(|x| vec![x]).collect(),
                _ => Vec::new(),
            };
            prev.push(values);
            Val::Lists(prev)
        }
    };
    out.vals.insert(opt.dest, val);
    if !out.given.contains(&opt.dest) {
        out.given.push(opt.dest);
    }
    Ok(())
}

fn dflt_val(d: Dflt) -> Val {
    match d {
        Dflt::None => Val::None,
        Dflt::Bool(b) => Val::Bool(b),
        Dflt::Str(s) => Val::Str(s.to_string()),
        Dflt::List(l) => Val::List(l.iter().map(|s| s.to_string()).collect()),
    }
}

impl<'a> Level<'a> {
    fn new(spec: &'static CmdSpec, words: &'a [String]) -> Result<Self, CliExit> {
        let table = option_strings(spec);
        let mut classes = Vec::with_capacity(words.len());
        let mut opt_words = HashMap::new();
        let mut after_dd = false;
        for (i, w) in words.iter().enumerate() {
            if after_dd {
                classes.push(Class::Arg);
                continue;
            }
            if w == "--" {
                after_dd = true;
                classes.push(Class::DoubleDash);
                continue;
            }
            match classify_optional(spec, &table, w)? {
                Some(ow) => {
                    opt_words.insert(i, ow);
                    classes.push(Class::Opt);
                }
                None => classes.push(Class::Arg),
            }
        }
        Ok(Level {
            spec,
            words,
            classes,
            opt_words,
        })
    }
}

/// Parses the full command line (without the program name).
pub fn parse(root: &'static CmdSpec, argv: &[String]) -> Result<Args, CliExit> {
    let mut out = Args {
        cmd: root,
        vals: HashMap::new(),
        given: Vec::new(),
        argv: argv.to_vec(),
    };
    let extras = parse_level(root, argv, &mut out)?;
    if !extras.is_empty() {
        let msg = format!("unrecognized arguments: {}", extras.join(" "));
        // a mistyped option of the command that was chosen
        let typo = extras.iter().find(|w| w.starts_with("--"));
        return Err(match typo {
            Some(t) => {
                let t = t.split('=').next().unwrap_or(t);
                let flags: Vec<&str> = option_strings(out.cmd)
                    .into_iter()
                    .map(|(f, _)| f)
                    .collect();
                usage_error_hinted(root, msg, t, flags)
            }
            None => usage_error(root, msg),
        });
    }
    Ok(out)
}

/// argparse's `parse_known_args` for one command level; returns the words
/// it did not recognise.
fn parse_level(
    spec: &'static CmdSpec,
    words: &[String],
    out: &mut Args,
) -> Result<Vec<String>, CliExit> {
    out.cmd = spec;
    // Defaults first; the first action of a shared dest wins, as in argparse.
    for o in spec.opts.iter().chain(spec.positionals.iter()) {
        out.vals.entry(o.dest).or_insert_with(|| dflt_val(o.dflt));
    }
    let level = Level::new(spec, words)?;
    let mut extras: Vec<String> = Vec::new();
    // Positionals still to fill: the spec's, then the subcommand.
    let mut pending: Vec<PosKind> = spec.positionals.iter().map(PosKind::Pos).collect();
    if !spec.subcmds.is_empty() {
        pending.push(PosKind::Sub);
    }
    let opt_indices: Vec<usize> = (0..words.len())
        .filter(|i| level.classes[*i] == Class::Opt)
        .collect();
    let mut start = 0usize;
    let max_opt = opt_indices.last().copied();
    let mut sub_taken = false;

    while max_opt.is_some_and(|m| start <= m) {
        let next_opt = opt_indices
            .iter()
            .copied()
            .find(|i| *i >= start)
            .unwrap_or(words.len());
        if start != next_opt {
            let end = consume_positionals(
                &level,
                &mut pending,
                start,
                out,
                &mut extras,
                &mut sub_taken,
            )?;
            if sub_taken {
                return Ok(extras);
            }
            if end > start {
                start = end;
                continue;
            }
            start = end;
        }
        if !opt_indices.contains(&start) {
            extras.extend(words[start..next_opt].iter().cloned());
            start = next_opt;
        }
        start = consume_optional(&level, start, out, &mut extras)?;
    }
    let stop = consume_positionals(
        &level,
        &mut pending,
        start,
        out,
        &mut extras,
        &mut sub_taken,
    )?;
    if sub_taken {
        return Ok(extras);
    }
    extras.extend(words[stop..].iter().cloned());

    let missing: Vec<String> = pending
        .iter()
        .filter_map(|p| match p {
            PosKind::Pos(o) => match o.nargs {
                Nargs::Optional | Nargs::Any => None,
                _ => Some(o.display_name()),
            },
            PosKind::Sub => {
                if spec.subcmd_required {
                    Some(subcmd_display(spec))
                } else {
                    None
                }
            }
        })
        .collect();
    if !missing.is_empty() {
        return Err(usage_error(
            spec,
            format!(
                "the following arguments are required: {}",
                missing.join(", ")
            ),
        ));
    }
    Ok(extras)
}

fn subcmd_display(spec: &CmdSpec) -> String {
    if !spec.subcmd_metavar.is_empty() {
        spec.subcmd_metavar.to_string()
    } else {
        let names: Vec<&str> = spec.subcmds.iter().map(|c| c.name()).collect();
        format!("{{{}}}", names.join(","))
    }
}

enum PosKind {
    Pos(&'static OptSpec),
    Sub,
}

/// Matches pending positionals against the words from `start`; returns the
/// index after the consumed words.
fn consume_positionals(
    level: &Level,
    pending: &mut Vec<PosKind>,
    start: usize,
    out: &mut Args,
    extras: &mut Vec<String>,
    sub_taken: &mut bool,
) -> Result<usize, CliExit> {
    let mut idx = start;
    while let Some(p) = pending.first() {
        let cls = &level.classes[idx..];
        match p {
            PosKind::Sub => {
                // The subcommand takes the next argument and everything after.
                let lead = cls.iter().take_while(|c| **c == Class::DoubleDash).count();
                if cls.get(lead) != Some(&Class::Arg) {
                    return Ok(idx);
                }
                let name = &level.words[idx + lead];
                let Some(sub) = level.spec.subcmds.iter().find(|c| c.name() == name) else {
                    let choices: Vec<String> = level
                        .spec
                        .subcmds
                        .iter()
                        .map(|c| format!("'{}'", c.name()))
                        .collect();
                    return Err(usage_error_hinted(
                        level.spec,
                        format!(
                            "argument {}: invalid choice: '{}' (choose from {})",
                            subcmd_display(level.spec),
                            name,
                            choices.join(", ")
                        ),
                        name,
                        level.spec.subcmds.iter().map(|c| c.name()),
                    ));
                };
                pending.remove(0);
                if !level.spec.subcmd_dest.is_empty() {
                    out.vals
                        .insert(level.spec.subcmd_dest, Val::Str(name.clone()));
                }
                let rest = &level.words[idx + lead + 1..];
                let sub_extras = parse_level(sub, rest, out)?;
                extras.extend(sub_extras);
                *sub_taken = true;
                return Ok(level.words.len());
            }
            PosKind::Pos(o) => {
                // Positional patterns keep '--' markers: '(-*A-*)' and kin.
                let mut j = 0usize;
                let mut taken: Vec<String> = Vec::new();
                let want_max = match o.nargs {
                    Nargs::One => 1,
                    Nargs::Optional => 1,
                    Nargs::Exactly(n) => n,
                    _ => usize::MAX,
                };
                let want_min = match o.nargs {
                    Nargs::One => 1,
                    Nargs::AtLeastOne => 1,
                    Nargs::Exactly(n) => n,
                    _ => 0,
                };
                while j < cls.len() && cls[j] == Class::DoubleDash {
                    j += 1;
                }
                while j < cls.len() && taken.len() < want_max {
                    match cls[j] {
                        Class::Arg => {
                            taken.push(level.words[idx + j].clone());
                            j += 1;
                        }
                        Class::DoubleDash => j += 1,
                        Class::Opt => break,
                    }
                }
                if taken.len() < want_min {
                    return Ok(idx);
                }
                let opt = *o;
                pending.remove(0);
                if taken.is_empty() {
                    // Matched empty: argparse stores the default.
                    idx += j;
                    continue;
                }
                store(level.spec, out, opt, taken)?;
                idx += j;
            }
        }
    }
    Ok(idx)
}

/// argparse's `consume_optional`: applies the option at `start`.
fn consume_optional(
    level: &Level,
    start: usize,
    out: &mut Args,
    extras: &mut Vec<String>,
) -> Result<usize, CliExit> {
    let Some(ow) = level.opt_words.get(&start) else {
        return Ok(start + 1);
    };
    let Some(target) = ow.target else {
        extras.push(level.words[start].clone());
        return Ok(start + 1);
    };
    let spec = level.spec;
    let opt = match target {
        Resolved::Help => {
            return Err(match &ow.explicit {
                // `--help=1`: argparse's usage error, as for any flag
                Some(explicit) => usage_error(
                    spec,
                    format!("argument -h/--help: ignored explicit argument '{explicit}'"),
                ),
                None => CliExit::Help(help::help(spec)),
            });
        }
        Resolved::Opt(o) => o,
    };
    if let Some(explicit) = &ow.explicit {
        // `--opt=value` or `-ovalue`: argparse matches the value as one 'A'.
        return match opt.nargs {
            Nargs::Zero => Err(usage_error(
                spec,
                format!(
                    "argument {}: ignored explicit argument '{}'",
                    opt.display_name(),
                    explicit
                ),
            )),
            Nargs::Exactly(n) if n != 1 => Err(usage_error(
                spec,
                format!(
                    "argument {}: {}",
                    opt.display_name(),
                    nargs_error(opt.nargs, "")
                ),
            )),
            _ => {
                store(spec, out, opt, vec![explicit.clone()])?;
                Ok(start + 1)
            }
        };
    }
    let following = &level.classes[start + 1..];
    let n = match_option_nargs(opt.nargs, following).map_err(|m| {
        usage_error(
            spec,
            format!(
                "argument {}: {}",
                opt.display_name(),
                nargs_error(opt.nargs, m)
            ),
        )
    })?;
    let values: Vec<String> = level.words[start + 1..start + 1 + n].to_vec();
    store(spec, out, opt, values)?;
    Ok(start + 1 + n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::spec::CMD_ROOT;

    fn p(args: &str) -> Result<Args, CliExit> {
        let v: Vec<String> = args.split_whitespace().map(String::from).collect();
        parse(&CMD_ROOT, &v)
    }

    fn err(args: &str) -> String {
        match p(args) {
            Err(CliExit::Usage { msg, .. }) => msg,
            other => panic!("expected usage error, got {other:?}"),
        }
    }

    #[test]
    fn prefix_and_equals() {
        let a = p("report heatmap --out=raw --abs_t --resol 10 20").unwrap();
        assert_eq!(a.cmd.path, "report heatmap");
        assert_eq!(a.str("output"), Some("raw"));
        assert!(a.flag("abs_time"));
        let o = crate::cli::opts::ReportHeatmap::from_args(&a).unwrap();
        assert_eq!(o.resol, Some(vec![10, 20]));
        assert_eq!(o.output, crate::cli::conv::HeatmapOutput::Raw);
    }

    #[test]
    fn ambiguous_prefix() {
        assert_eq!(
            err("report heatmap --abs"),
            "ambiguous option: --abs could match --abs_time, --abs_addr"
        );
    }

    #[test]
    fn nargs_errors() {
        assert_eq!(
            err("report heatmap --resol 1"),
            "argument --resol: expected 2 arguments"
        );
        assert_eq!(
            err("report heatmap --resol 1 x"),
            "argument --resol: invalid int value: 'x'"
        );
        assert_eq!(
            err("report heatmap --draw_range x"),
            "argument --draw_range: invalid choice: 'x' (choose from 'hottest', 'all')"
        );
        assert_eq!(
            err("report"),
            "the following arguments are required: <report type>"
        );
        assert_eq!(
            err("report heatmap --nope"),
            "unrecognized arguments: --nope"
        );
    }

    #[test]
    fn negative_numbers_and_spaces_are_values() {
        let v: Vec<String> = [
            "report",
            "heatmap",
            "--time_range",
            "-3 s",
            "0 s",
            "guided_end",
            "--abs_addr",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let a = parse(&CMD_ROOT, &v).unwrap();
        assert_eq!(
            a.list("time_range"),
            Some(vec!["-3 s", "0 s", "guided_end"])
        );
        assert!(a.flag("abs_addr"));
        let a = p("report heatmap --address_range -1 -2 --address_range 3 4 guided").unwrap();
        assert_eq!(
            a.lists("address_range"),
            Some(vec![vec!["-1", "-2"], vec!["3", "4", "guided"]])
        );
    }

    #[test]
    fn shared_dest_first_default_wins() {
        let a = p("report wss").unwrap();
        assert!(a.flag("collapse_targets"));
        let a = p("report wss --per_target").unwrap();
        assert!(!a.flag("collapse_targets"));
    }

    #[test]
    fn short_option_attached_value() {
        let a = p("report wss -ifoo -r 1 2 3").unwrap();
        assert_eq!(a.str("input"), Some("foo"));
        let o = crate::cli::opts::ReportWss::from_args(&a).unwrap();
        assert_eq!(o.range, vec![1, 2, 3]);
    }

    #[test]
    fn positional_optional() {
        let a = p("report footprints --input x rss").unwrap();
        assert_eq!(a.str("metric"), Some("rss"));
        let a = p("report footprints").unwrap();
        assert_eq!(a.str("metric"), Some("all"));
    }

    #[test]
    fn help_anywhere() {
        assert!(matches!(
            p("report heatmap --output raw -h"),
            Err(CliExit::Help(_))
        ));
    }
}
