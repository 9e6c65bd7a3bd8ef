//! The command line: the command table (`spec.rs`, generated from damo
//! 3.4.3's argparse tree), the argparse-compatible parser and help texts
//! (the commands themselves are in `commands`).
//!
//! Why not clap: damo's users rely on argparse behaviour clap does not
//! have: multi-value options that stop at the next option but accept
//! `-5` and `"-3 s"` as values, unique-prefix abbreviations with
//! argparse's ambiguity rule, `--opt=value` for multi-value options, and
//! defaults shared between paired flags (`--per_target` /
//! `--collapse_targets`).  A table-driven copy of argparse's algorithm
//! keeps every script that worked with damo working.

pub mod complete;
pub mod conv;
pub mod help;
#[rustfmt::skip]
pub mod opts;
pub mod parse;
#[rustfmt::skip]
pub mod spec;
pub mod spec_types;

use parse::{Args, CliExit};

/// The damo version whose interface this tool implements.
pub const DAMO_VERSION: &str = "3.4.3";

/// This build: `damo <version> (damo 3.4.3 interface, git <commit>)`.
pub fn build_version() -> String {
    format!(
        "damo {} (damo {DAMO_VERSION} interface, git {})",
        env!("CARGO_PKG_VERSION"),
        env!("DAMO_GIT_COMMIT")
    )
}

/// `--color`: when report colors are used (an option of this tool, given
/// before the command: `damo --color never report heatmap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorWhen {
    /// on a terminal stdout only
    Auto,
    /// always, `NO_COLOR` or not
    Always,
    /// never
    Never,
}

/// Options of this tool that stand before the command.
#[derive(Debug, Clone, Copy, Default)]
pub struct Globals {
    /// `--color`; without it damo's default: colors unless `NO_COLOR`
    pub color: Option<ColorWhen>,
}

const COLOR_USAGE: &str = "usage: damo [--color {auto,always,never}] <command> ...\n";

/// Takes the leading `--color WHEN` / `--color=WHEN` off `argv`.
fn globals(argv: &[String]) -> Result<(Globals, &[String]), Outcome> {
    const CHOICES: [&str; 3] = ["auto", "always", "never"];
    let usage_error = |msg: String, hint: Option<String>| {
        let e = CliExit::Usage {
            usage: COLOR_USAGE.to_string(),
            prog: "damo".to_string(),
            msg,
            hint,
        };
        Outcome::Exit(e.render(), true, 2)
    };
    let (value, rest) = match argv {
        [flag, v, rest @ ..] if flag == "--color" => (v.as_str(), rest),
        [flag, rest @ ..] if flag.starts_with("--color=") => {
            (flag.trim_start_matches("--color="), rest)
        }
        [flag] if flag == "--color" => {
            return Err(usage_error(
                "argument --color: expected one argument".to_string(),
                None,
            ));
        }
        _ => return Ok((Globals::default(), argv)),
    };
    let color = match value {
        "auto" => ColorWhen::Auto,
        "always" => ColorWhen::Always,
        "never" => ColorWhen::Never,
        v => {
            return Err(usage_error(
                format!(
                    "argument --color: invalid choice: '{v}' (choose from {})",
                    CHOICES.map(|c| format!("'{c}'")).join(", ")
                ),
                parse::did_you_mean(v, CHOICES),
            ));
        }
    };
    Ok((Globals { color: Some(color) }, rest))
}

/// What `main` should do after parsing.
pub enum Outcome {
    Run(Args, Globals),
    /// Help or a usage error: text, whether it goes to stderr, exit code.
    Exit(String, bool, u8),
    /// `module <name> read|write ...` for a DAMON module damo has no
    /// command of its own for (damo lists every `/sys/module/damon_*`).
    Module(String, Vec<String>),
}

/// The DAMON modules with commands of their own.
const KNOWN_MODULES: [&str; 3] = ["reclaim", "lru_sort", "stat"];

/// `module <name> ...` where `/sys/module/damon_<name>` exists but damo
/// has no command for it: read and write its parameters.
fn generic_module(argv: &[String]) -> Option<Outcome> {
    let name = argv.get(1)?;
    if argv.first().map(String::as_str) != Some("module")
        || name.starts_with('-')
        || KNOWN_MODULES.contains(&name.as_str())
        || !crate::env::get()
            .sys_root
            .join("module")
            .join(format!("damon_{name}"))
            .is_dir()
    {
        return None;
    }
    let usage = format!(
        "usage: damo module {name} [-h] <action> ...\n\n\
         positional arguments:\n  <action>\n    read      read parameters: \
         read [<parameter name>]\n    write     write parameters: write \
         <parameter name> <value> [<parameter name> <value> ...]\n"
    );
    let words: Vec<String> = argv[2..].to_vec();
    match words.first().map(String::as_str) {
        Some("-h" | "--help") => Some(Outcome::Exit(usage, false, 0)),
        Some("read") if words.len() <= 2 => Some(Outcome::Module(name.clone(), words)),
        Some("write") if words.len() >= 3 => Some(Outcome::Module(name.clone(), words)),
        _ => Some(Outcome::Exit(
            format!(
                "{usage}damo module {name}: error: give 'read [<parameter name>]' or \
                 'write <parameter name> <value>...'\n"
            ),
            true,
            2,
        )),
    }
}

/// Parses `argv` (without the program name).
pub fn parse_args(argv: &[String]) -> Outcome {
    // Hidden entry points: damo's completion protocol, and the man page.
    match argv.first().map(String::as_str) {
        Some("--cli_complete") if argv.len() >= 3 => {
            let cword = argv[1].parse().unwrap_or(0);
            let words = &argv[2..];
            return Outcome::Exit(
                format!("{}\n", complete::candidates(cword, words).join(" ")),
                false,
                0,
            );
        }
        Some("--man") if argv.len() == 1 => {
            return Outcome::Exit(complete::man_page(), false, 0);
        }
        // (`damo version` keeps printing damo's version, for scripts)
        Some("--version" | "-V") if argv.len() == 1 => {
            return Outcome::Exit(format!("{}\n", build_version()), false, 0);
        }
        _ => {}
    }
    let (globals, argv) = match globals(argv) {
        Ok(g) => g,
        Err(exit) => return exit,
    };
    if let Some(outcome) = generic_module(argv) {
        return outcome;
    }
    match parse::parse(&spec::CMD_ROOT, argv) {
        Ok(a) => Outcome::Run(a, globals),
        Err(e @ CliExit::Help(_)) => Outcome::Exit(e.render(), false, 0),
        Err(e @ CliExit::Usage { .. }) => Outcome::Exit(e.render(), true, 2),
    }
}
