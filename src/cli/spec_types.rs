//! Types of the command table in `spec.rs`.
//!
//! The table mirrors damo 3.4.3's argparse definitions one to one, so that
//! option names, abbreviations, value counts and defaults behave the same.

/// What an option does with its values (argparse `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Store,
    Append,
    StoreTrue,
    StoreFalse,
    Help,
}

/// How many values an option or positional takes (argparse `nargs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nargs {
    Zero,
    /// Exactly one value, stored as a scalar.
    One,
    /// `?`: zero or one.
    Optional,
    /// `*`: zero or more.
    Any,
    /// `+`: one or more.
    AtLeastOne,
    /// `N`: exactly N, stored as a list.
    Exactly(usize),
}

/// Value type checked at parse time (argparse `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Float,
}

/// Default value of an option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dflt {
    None,
    Bool(bool),
    Str(&'static str),
    List(&'static [&'static str]),
}

/// One option or positional argument.
#[derive(Debug)]
pub struct OptSpec {
    /// Option strings (`--input`, `-i`); empty for positionals.
    pub flags: &'static [&'static str],
    pub dest: &'static str,
    pub act: Act,
    pub nargs: Nargs,
    pub ty: Ty,
    pub dflt: Dflt,
    pub choices: &'static [&'static str],
    pub metavar: &'static [&'static str],
    pub hidden: bool,
    /// This damo's addition to a damo command (tools/cli/ours.json): in
    /// `--help`, not in the usage synopsis (usage errors keep damo's bytes).
    pub ours: bool,
    /// How many of `choices`, at their end, are this damo's (left out of
    /// the usage synopsis, listed in `--help`).
    pub ours_choices: usize,
    /// What `--help` says about it (ours, from tools/cli/help.ini).
    pub help: &'static str,
}

/// One command path (`report heatmap`) with its options and subcommands.
#[derive(Debug)]
pub struct CmdSpec {
    /// Space-separated command path; empty for the top level.
    pub path: &'static str,
    /// One-line description (ours, from tools/cli/help.ini).
    pub about: &'static str,
    pub opts: &'static [OptSpec],
    pub positionals: &'static [OptSpec],
    pub subcmds: &'static [&'static CmdSpec],
    pub subcmd_dest: &'static str,
    pub subcmd_metavar: &'static str,
    pub subcmd_required: bool,
}

impl CmdSpec {
    /// The last word of the path (the name users type).
    pub fn name(&self) -> &'static str {
        self.path.rsplit(' ').next().unwrap_or("")
    }

    /// `damo` plus the path, as used in usage and error lines.
    pub fn prog(&self) -> String {
        if self.path.is_empty() {
            "damo".to_string()
        } else {
            format!("damo {}", self.path)
        }
    }
}

impl OptSpec {
    /// How argparse names this argument in error messages.
    pub fn display_name(&self) -> String {
        if !self.flags.is_empty() {
            return self.flags.join("/");
        }
        match self.metavar {
            [] => self.dest.to_string(),
            [one] => one.to_string(),
            many => format!("({})", many.join(", ")),
        }
    }
}
