//! Shell completion and the man page, both derived from the command table
//! (`spec.rs`), so they cover every command and option.
//!
//! Completion uses damo's protocol: the shell calls
//! `damo --cli_complete <cword> <words>...` and offers what it prints, so
//! a completion script set up for damo 3.4.3 keeps working with ours.

use super::spec::CMD_ROOT;
use super::spec_types::{CmdSpec, Nargs, OptSpec};

/// The option of `spec` that `word` names (exactly or by a unique prefix).
fn find_opt<'a>(spec: &'a CmdSpec, word: &str) -> Option<&'a OptSpec> {
    let name = word.split('=').next().unwrap_or(word);
    let exact = spec.opts.iter().find(|o| o.flags.contains(&name));
    exact.or_else(|| {
        let hits: Vec<&OptSpec> = spec
            .opts
            .iter()
            .filter(|o| {
                o.flags
                    .iter()
                    .any(|f| f.starts_with("--") && f.starts_with(name))
            })
            .collect();
        (hits.len() == 1 && name.starts_with("--")).then(|| hits[0])
    })
}

/// What to offer for the word at `cword` of `words` (`words[0]` is the
/// program).
pub fn candidates(cword: usize, words: &[String]) -> Vec<String> {
    if cword == 0 || words.is_empty() {
        return vec![];
    }
    let mut spec: &CmdSpec = &CMD_ROOT;
    // the option whose values are being typed, and how many it has so far
    let mut pending: Option<(&OptSpec, usize)> = None;
    for w in words.iter().take(cword).skip(1) {
        if let Some(sub) = spec.subcmds.iter().find(|c| c.name() == w) {
            spec = sub;
            pending = None;
            continue;
        }
        if w.starts_with('-') {
            pending = find_opt(spec, w)
                .filter(|o| o.nargs != Nargs::Zero && !w.contains('='))
                .map(|o| (o, 0));
        } else if let Some((o, n)) = pending {
            pending = Some((o, n + 1));
        }
    }
    let cur = words.get(cword).map(String::as_str).unwrap_or("");
    if let Some((o, n)) = pending {
        let wants_more = match o.nargs {
            Nargs::One | Nargs::Optional => n < 1,
            Nargs::Exactly(k) => n < k,
            Nargs::Any | Nargs::AtLeastOne => !cur.starts_with('-'),
            Nargs::Zero => false,
        };
        if wants_more && !cur.starts_with('-') {
            return o.choices.iter().map(|c| c.to_string()).collect();
        }
    }
    let mut v: Vec<String> = Vec::new();
    if !cur.starts_with('-') {
        v.extend(spec.subcmds.iter().map(|c| c.name().to_string()));
        for p in spec.positionals {
            v.extend(p.choices.iter().map(|c| c.to_string()));
        }
    }
    if cur.starts_with('-') || v.is_empty() {
        v.extend(
            spec.opts
                .iter()
                .filter(|o| !o.hidden)
                .flat_map(|o| o.flags.iter().map(|f| f.to_string())),
        );
        v.push("--help".into());
    }
    v
}

/// The completion script for `shell` (`bash`, `zsh` or `fish`); `None`
/// for other shells.
pub fn script(shell: &str) -> Option<&'static str> {
    match shell {
        "bash" => Some(BASH),
        "zsh" => Some(ZSH),
        "fish" => Some(FISH),
        _ => None,
    }
}

const BASH: &str = r#"# bash completion for damo (the Rust damo; damo 3.4.3's protocol)
# Load it with 'source <this file>', or install it as
# /usr/share/bash-completion/completions/damo.
_damo() {
    local cword=$COMP_CWORD
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" --cli_complete "$cword" "${COMP_WORDS[@]}" 2>/dev/null | tr ' ' '\n')" -- "${COMP_WORDS[cword]}"))
}
complete -o default -F _damo damo
"#;

const ZSH: &str = r#"#compdef damo
# zsh completion for damo (the Rust damo; damo 3.4.3's protocol)
# Put it in a directory of $fpath as _damo, or 'source' it.
_damo() {
    local -a cands
    cands=(${(s: :)"$(${words[1]} --cli_complete $((CURRENT - 1)) ${words[@]} 2>/dev/null)"})
    compadd -a cands
}
if [ "$funcstack[1]" = "_damo" ]; then
    _damo "$@"
else
    compdef _damo damo
fi
"#;

const FISH: &str = r#"# fish completion for damo (the Rust damo; damo 3.4.3's protocol)
# Save it as ~/.config/fish/completions/damo.fish.
function __damo_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l cword (count $words)
    $words[1] --cli_complete $cword $words $cur 2>/dev/null | string split ' '
end
complete -c damo -f -a '(__damo_complete)'
"#;

fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('-', "\\-")
}

fn man_command(spec: &CmdSpec, out: &mut String) {
    if !spec.path.is_empty() && spec.subcmds.is_empty() {
        out.push_str(&format!(".SS damo {}\n", roff_escape(spec.path)));
        out.push_str(&format!("{}\n", roff_escape(spec.about)));
        for o in spec.positionals {
            out.push_str(&format!(
                ".TP\n\\fI{}\\fR\n{}\n",
                roff_escape(
                    &o.metavar
                        .first()
                        .copied()
                        .unwrap_or(o.dest)
                        .replace(['<', '>'], "")
                ),
                roff_escape(o.help)
            ));
        }
        for o in spec.opts.iter().filter(|o| !o.hidden) {
            let metavar = if o.nargs == Nargs::Zero {
                String::new()
            } else if !o.metavar.is_empty() {
                format!(" \\fI{}\\fR", roff_escape(&o.metavar.join(" ")))
            } else if !o.choices.is_empty() {
                format!(" {{{}}}", roff_escape(&o.choices.join(",")))
            } else {
                format!(" \\fI{}\\fR", o.dest.to_uppercase())
            };
            out.push_str(&format!(
                ".TP\n\\fB{}\\fR{}\n{}\n",
                o.flags
                    .iter()
                    .map(|f| roff_escape(f))
                    .collect::<Vec<_>>()
                    .join(", "),
                metavar,
                roff_escape(o.help)
            ));
        }
    }
    for sub in spec.subcmds {
        man_command(sub, out);
    }
}

/// `damo(1)` in roff.
pub fn man_page() -> String {
    let mut out = format!(
        ".TH DAMO 1 \"\" \"damo {}\" \"User Commands\"\n\
         .SH NAME\ndamo \\- {}\n\
         .SH SYNOPSIS\n\\fBdamo\\fR [\\fB\\-\\-color\\fR \\fIauto|always|never\\fR] \
         \\fIcommand\\fR [\\fIoptions\\fR]\n\
         .br\n\\fBdamo\\fR \\fB\\-\\-version\\fR | \\fB\\-V\\fR\n\
         .SH DESCRIPTION\n\
         Drives the Linux kernel's DAMON (Data Access MONitor) through its sysfs \
         interface, records its results, and reports them.  Compatible with the \
         command line of damo {}.  Every command takes \\fB\\-\\-help\\fR; \
         \\fBdamo help\\fR lists option groups and report format keywords.\n\
         .SH COMMANDS\n",
        super::DAMO_VERSION,
        roff_escape(super::spec::CMD_ROOT.about),
        super::DAMO_VERSION
    );
    man_command(&CMD_ROOT, &mut out);
    out.push_str(
        ".SH ENVIRONMENT\n\
         .TP\n\\fBDAMO_SYSFS_ROOT\\fR\n\
         A directory standing for /sys (fake DAMON trees for tests and demos).\n\
         .TP\n\\fBDAMO_PROGRESS_AFTER\\fR\n\
         Seconds of work before a progress bar shows on a terminal stderr (default 1).\n\
         .TP\n\\fBNO_COLOR\\fR\n\
         When set and not empty, reports print no colors (unless \\fB\\-\\-color always\\fR).\n\
         .SH EXIT STATUS\n\
         0 on success, 1 on errors, 2 on usage errors.\n\
         .SH SEE ALSO\n\
         USAGE.md in the source tree; the kernel's DAMON documentation \
         (Documentation/admin\\-guide/mm/damon/).\n",
    );
    out
}

/// `damo setup_cli_completion`: writes the completion script for the
/// user's shell (`$SHELL`; bash otherwise) to a file and says how to load
/// it.
pub fn setup() -> anyhow::Result<()> {
    let shell_path = std::env::var("SHELL").unwrap_or_default();
    let shell = std::path::Path::new(&shell_path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let shell = if script(&shell).is_some() {
        shell
    } else {
        "bash".into()
    };
    let text = script(&shell).unwrap_or(BASH);
    // a new file under a random name (never a planted symlink), kept for
    // the user to source; readable by all, as the script holds no secret
    let dir = std::env::temp_dir();
    let mut f = tempfile::Builder::new()
        .prefix("damo-completion.")
        .suffix(&format!(".{shell}"))
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create a file in {}: {e}", dir.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", f.path().display()))?;
    let (_, path) = f
        .keep()
        .map_err(|e| anyhow::anyhow!("cannot keep {}: {e}", e.file.path().display()))?;
    let how = match shell.as_str() {
        "zsh" => format!(
            "Run 'autoload -Uz compinit && compinit; source {p}' in your shell.\n\
             To keep it, copy {p} as _damo into a directory of $fpath.",
            p = path.display()
        ),
        "fish" => format!(
            "Run 'source {p}' in your shell.\n\
             To keep it, copy {p} to ~/.config/fish/completions/damo.fish.",
            p = path.display()
        ),
        _ => format!(
            "Run 'source {p}' in your shell.\n\
             To keep it, copy {p} to ~/.local/share/bash-completion/completions/damo\n\
             (or source it from ~/.bashrc).",
            p = path.display()
        ),
    };
    crate::output::print(&format!(
        "Wrote the {shell} completion script to {}.\n{how}\n",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn commands_options_and_choices() {
        let c = candidates(1, &words("damo "));
        assert!(c.contains(&"start".to_string()) && c.contains(&"report".to_string()));
        let c = candidates(2, &words("damo report "));
        assert!(c.contains(&"heatmap".to_string()), "{c:?}");
        let c = candidates(3, &words("damo report damon --"));
        assert!(c.contains(&"--format".to_string()), "{c:?}");
        let c = candidates(4, &words("damo report damon --format "));
        assert_eq!(c, ["json", "yaml", "report"]);
        let c = candidates(3, &words("damo start --damos_action "));
        assert!(c.is_empty() || !c.contains(&"--help".to_string()), "{c:?}");
        let c = candidates(2, &words("damo reclaim "));
        assert!(c.contains(&"enable".to_string()), "{c:?}");
    }

    #[test]
    fn man_page_lists_every_command() {
        let m = man_page();
        assert!(m.contains(".SS damo report heatmap"));
        assert!(m.contains(".SS damo module stat read"));
        assert!(m.contains("\\fB\\-\\-damos_action\\fR"));
    }
}
