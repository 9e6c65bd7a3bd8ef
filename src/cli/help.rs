//! `--help` and usage text, laid out the way argparse lays them out
//! (usage line wrapped at 78 columns, option column up to 24 wide).
//! The descriptions themselves are ours (tools/cli/help.ini), beside
//! each option in the generated `spec.rs`.

use super::spec_types::{Act, CmdSpec, Nargs, OptSpec};

/// The option groups a command takes but its `--help` leaves out, as
/// (what they set, the `damo help` topic listing them).
pub fn hidden_groups(path: &str) -> &'static [(&'static str, &'static str)] {
    const DAMON: (&str, &str) = (
        "DAMON parameters such as intervals, regions and schemes",
        "damon_param_options all",
    );
    match path {
        "start" | "tune" | "record" | "schemes" => &[DAMON],
        "report access" => &[
            (
                "selecting records, snapshots and regions",
                "access_filter_options",
            ),
            ("output formats", "access_format_options"),
        ],
        _ => &[],
    }
}

const WIDTH: usize = 78;
const MAX_HELP_POSITION: usize = 24;

fn default_metavar(o: &OptSpec, usage: bool) -> Vec<String> {
    if !o.metavar.is_empty() {
        return o.metavar.iter().map(|s| s.to_string()).collect();
    }
    if !o.choices.is_empty() {
        // the usage synopsis shows damo's choices only
        let n = match usage {
            true => o.choices.len().saturating_sub(o.ours_choices),
            false => o.choices.len(),
        };
        let shown = o.choices.get(..n).unwrap_or(o.choices);
        return vec![format!("{{{}}}", shown.join(","))];
    }
    if o.flags.is_empty() {
        vec![o.dest.to_string()]
    } else {
        vec![o.dest.to_uppercase()]
    }
}

/// The value part of an invocation (`<file> [<file> ...]`), as the usage
/// synopsis (`usage`) or the option list shows it.
fn value_format(o: &OptSpec, usage: bool) -> String {
    let mv = default_metavar(o, usage);
    let m = |i: usize| mv.get(i).or(mv.first()).cloned().unwrap_or_default();
    match o.nargs {
        Nargs::Zero => String::new(),
        Nargs::One => m(0),
        Nargs::Optional => format!("[{}]", m(0)),
        Nargs::Any => format!("[{} ...]", m(0)),
        Nargs::AtLeastOne => format!("{} [{} ...]", m(0), m(0)),
        Nargs::Exactly(n) => (0..n).map(m).collect::<Vec<_>>().join(" "),
    }
}

/// The value part of an invocation, as the option list shows it.
fn args_format(o: &OptSpec) -> String {
    value_format(o, false)
}

fn is_flag(o: &OptSpec) -> bool {
    matches!(o.act, Act::StoreTrue | Act::StoreFalse | Act::Help) || o.nargs == Nargs::Zero
}

fn usage_parts(spec: &CmdSpec) -> (Vec<String>, Vec<String>) {
    let mut opt_parts = vec!["[-h]".to_string()];
    for o in spec.opts.iter().filter(|o| !o.hidden && !o.ours) {
        let flag = o.flags.first().copied().unwrap_or("");
        if is_flag(o) {
            opt_parts.push(format!("[{flag}]"));
        } else {
            opt_parts.push(format!("[{} {}]", flag, value_format(o, true)));
        }
    }
    let mut pos_parts: Vec<String> = spec.positionals.iter().map(args_format).collect();
    if !spec.subcmds.is_empty() {
        let name = if spec.subcmd_metavar.is_empty() {
            let names: Vec<&str> = spec.subcmds.iter().map(|c| c.name()).collect();
            format!("{{{}}}", names.join(","))
        } else {
            spec.subcmd_metavar.to_string()
        };
        pos_parts.push(format!("{name} ..."));
    }
    (opt_parts, pos_parts)
}

fn wrap_parts(parts: &[String], indent: &str, first_prefix: Option<&str>) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line: Vec<&str> = Vec::new();
    let mut line_len = match first_prefix {
        Some(p) => p.len() - 1,
        None => indent.len() - 1,
    };
    for part in parts {
        if line_len + 1 + part.len() > WIDTH && !line.is_empty() {
            lines.push(format!("{}{}", indent, line.join(" ")));
            line.clear();
            line_len = indent.len() - 1;
        }
        line.push(part);
        line_len += part.len() + 1;
    }
    if !line.is_empty() {
        lines.push(format!("{}{}", indent, line.join(" ")));
    }
    if let (Some(p), Some(first)) = (first_prefix, lines.first_mut()) {
        *first = format!("{}{}", p, &first[indent.len()..]);
    }
    lines
}

/// The `usage: ...` block (with trailing newline).
pub fn usage(spec: &CmdSpec) -> String {
    let prog = spec.prog();
    let (opt_parts, pos_parts) = usage_parts(spec);
    let all: Vec<String> = opt_parts.iter().chain(pos_parts.iter()).cloned().collect();
    let one_line = format!("usage: {} {}", prog, all.join(" "));
    if one_line.len() <= WIDTH {
        return one_line + "\n";
    }
    let indent = " ".repeat("usage: ".len() + prog.len() + 1);
    let mut lines = wrap_parts(&opt_parts, &indent, Some(&format!("usage: {prog} ")));
    if !pos_parts.is_empty() {
        lines.extend(wrap_parts(&pos_parts, &indent, None));
    }
    lines.join("\n") + "\n"
}

fn wrap_text(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn invocation(o: &OptSpec) -> String {
    if o.flags.is_empty() {
        return args_format(o);
    }
    if is_flag(o) {
        return o.flags.join(", ");
    }
    let a = args_format(o);
    o.flags
        .iter()
        .map(|f| format!("{f} {a}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn format_entries(entries: &[(String, String)], help_position: usize, out: &mut String) {
    let help_width = WIDTH.saturating_sub(help_position).max(11);
    for (inv, help) in entries {
        let action_width = help_position - 2 - 2;
        let help_lines = wrap_text(help, help_width);
        if inv.len() <= action_width && !help_lines.is_empty() {
            out.push_str(&format!(
                "  {:<w$}  {}\n",
                inv,
                help_lines[0],
                w = action_width
            ));
        } else {
            out.push_str(&format!("  {inv}\n"));
            if let Some(first) = help_lines.first() {
                out.push_str(&format!("{}{}\n", " ".repeat(help_position), first));
            }
        }
        for l in help_lines.iter().skip(1) {
            out.push_str(&format!("{}{}\n", " ".repeat(help_position), l));
        }
    }
}

/// The full `--help` text of a command.
pub fn help(spec: &CmdSpec) -> String {
    let mut out = usage(spec);
    let about = spec.about;
    if !about.is_empty() {
        out.push('\n');
        for l in wrap_text(about, WIDTH) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    let mut pos_entries: Vec<(String, String)> = spec
        .positionals
        .iter()
        .map(|o| (invocation(o), o.help.to_string()))
        .collect();
    let mut sub_entries: Vec<(String, String)> = Vec::new();
    if !spec.subcmds.is_empty() {
        let names: Vec<&str> = spec.subcmds.iter().map(|c| c.name()).collect();
        pos_entries.push((
            if spec.subcmd_metavar.is_empty() {
                format!("{{{}}}", names.join(","))
            } else {
                spec.subcmd_metavar.to_string()
            },
            String::new(),
        ));
        for c in spec.subcmds {
            sub_entries.push((format!("  {}", c.name()), c.about.to_string()));
        }
    }
    let mut opt_entries = vec![(
        "-h, --help".to_string(),
        "show this help message and exit".to_string(),
    )];
    for o in spec.opts.iter().filter(|o| !o.hidden) {
        opt_entries.push((invocation(o), o.help.to_string()));
    }
    let longest = pos_entries
        .iter()
        .chain(opt_entries.iter())
        .chain(sub_entries.iter())
        .map(|(i, _)| i.len() + 2)
        .max()
        .unwrap_or(0);
    let help_position = (longest + 2).min(MAX_HELP_POSITION);
    if !pos_entries.is_empty() {
        out.push_str("\npositional arguments:\n");
        format_entries(&pos_entries, help_position, &mut out);
        format_entries(&sub_entries, help_position, &mut out);
    }
    out.push_str("\noptions:\n");
    format_entries(&opt_entries, help_position, &mut out);
    let more = more_options(spec);
    if !more.is_empty() {
        out.push('\n');
        for l in wrap_text(&more, WIDTH) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

/// Where the options this `--help` leaves out are listed: the `damo help`
/// topics of the option groups the command takes.
fn more_options(spec: &CmdSpec) -> String {
    let groups: Vec<String> = hidden_groups(spec.path)
        .iter()
        .map(|(what, topic)| format!("for {what} (see 'damo help {topic}')"))
        .collect();
    if groups.is_empty() {
        return String::new();
    }
    format!(
        "This command also takes the options {}.",
        groups.join(" and ")
    )
}

/// Options of `spec` (hidden ones too) accepted by `keep`, laid out like
/// an argparse options list.
fn option_list(spec: &CmdSpec, keep: impl Fn(&OptSpec) -> bool) -> String {
    let entries: Vec<(String, String)> = spec
        .opts
        .iter()
        .filter(|o| keep(o))
        .map(|o| (invocation(o), o.help.to_string()))
        .collect();
    let longest = entries.iter().map(|(i, _)| i.len() + 2).max().unwrap_or(0);
    let mut out = String::from("options:\n");
    format_entries(&entries, (longest + 2).min(MAX_HELP_POSITION), &mut out);
    out
}

/// Options of `args damon` that only that command has.
const ARGS_DAMON_OWN: &[&str] = &[
    "format",
    "raw",
    "add",
    "remove",
    "replace",
    "out",
    "omit_defaults",
];

/// Options that place what follows (used by both parts).
const MARKERS: &[&str] = &["kdamond", "damon_ctx"];

fn is_damos_option(o: &OptSpec) -> bool {
    o.dest.starts_with("damos_") || ["nr_schemes", "schemes"].contains(&o.dest)
}

/// `damo help damon_param_options [category]`: the DAMON parameter
/// options (those `--help` of the commands hides).
pub fn damon_param_options(category: Option<super::opts::Category>) -> String {
    use super::opts::Category;
    use super::spec::CMD_ARGS_DAMON;
    let own = |o: &OptSpec| !ARGS_DAMON_OWN.contains(&o.dest);
    let category = category.unwrap_or(Category::All);
    let (title, list) = match category {
        Category::Monitoring => (
            "monitoring-part DAMON parameters (kdamonds, contexts, targets, intervals)",
            option_list(&CMD_ARGS_DAMON, |o| {
                own(o) && !is_damos_option(o) && o.dest != "kdamonds"
            }),
        ),
        Category::Damos => (
            "DAMOS (operation schemes) parameters",
            option_list(&CMD_ARGS_DAMON, |o| {
                own(o) && (is_damos_option(o) || MARKERS.contains(&o.dest))
            }),
        ),
        Category::All => ("all DAMON parameters", option_list(&CMD_ARGS_DAMON, own)),
    };
    let mut out = format!("Command line options for {title}.\n\n{list}");
    if category == Category::All {
        out.push_str(
            "\n'damo help damon_param_options monitoring' and '... damos' list \
             each part alone.\n",
        );
    }
    out
}

/// `damo help access_filter_options`.
pub fn access_filter_options() -> String {
    format!(
        "Command line options that select which records, snapshots and regions \
         reports show.\n\n{}",
        option_list(&super::spec::CMD_ARGS_ACCESSES_FILTER, |o| {
            !["format", "raw"].contains(&o.dest)
        })
    )
}

/// `damo help access_format_options` (the keyword subtopics are the
/// report's: `report::access::keywords_help`).
pub fn access_format_options() -> String {
    format!(
        "Command line options that shape how access reports look.\n\n{}",
        option_list(&super::spec::CMD_ARGS_ACCESSES_FORMAT, |o| {
            !["output_format", "raw"].contains(&o.dest)
        })
    )
}

#[cfg(test)]
mod description_tests {
    use super::super::spec_types::CmdSpec;

    fn walk(spec: &'static CmdSpec, out: &mut Vec<&'static CmdSpec>) {
        out.push(spec);
        for c in spec.subcmds {
            walk(c, out);
        }
    }

    /// Two options of one command with the same description are a
    /// copy-paste slip (`--exclude_child_tasks` once read as
    /// `--include_child_tasks`), and every shown option and command has one.
    #[test]
    fn options_have_their_own_descriptions() {
        let mut specs = Vec::new();
        walk(&super::super::spec::CMD_ROOT, &mut specs);
        for spec in specs {
            assert!(!spec.about.is_empty(), "'{}': no description", spec.path);
            let mut seen = std::collections::HashMap::new();
            for o in spec.opts.iter().filter(|o| !o.hidden) {
                assert!(
                    !o.help.is_empty(),
                    "{} {:?}: no description",
                    spec.path,
                    o.flags
                );
                if let Some(other) = seen.insert(o.help, o.flags) {
                    panic!(
                        "{}: {:?} and {other:?} read '{}'",
                        spec.path, o.flags, o.help
                    );
                }
            }
        }
    }
}
