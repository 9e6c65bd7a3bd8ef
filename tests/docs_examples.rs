//! The examples of README.md and USAGE.md run as written on a fresh clone:
//! every command line of a code block that starts with `damo` (or `$
//! damo`, README's form, followed by the output it shows) is run by `sh`
//! in a scratch directory that has the repository's `examples/`, with this
//! damo first on PATH, and must succeed; where the block shows output
//! after it, the command must print exactly that (colors left out, as the
//! docs show them).  Left out: blocks with a `sudo` line (they need root
//! and a DAMON kernel), synopses (`[`, `{`), lines that write outside the
//! scratch directory (`>`), and `replay`, which runs for the record's
//! length (24 s for the sample).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One documented command: its text, and the output shown after it
/// (`None` when the block shows none).
struct Example {
    doc: &'static str,
    line: usize,
    cmd: String,
    shown: Option<String>,
}

/// The examples of the code blocks of `text` that have no `sudo` line
/// (those need a kernel and root).
fn examples(doc: &'static str, text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut block: Option<Vec<(usize, &str)>> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            match block.take() {
                None => block = Some(Vec::new()),
                Some(lines) => out.extend(block_examples(doc, &lines)),
            }
            continue;
        }
        if let Some(b) = block.as_mut() {
            b.push((i + 1, line));
        }
    }
    out
}

fn block_examples(doc: &'static str, lines: &[(usize, &str)]) -> Vec<Example> {
    if lines.iter().any(|(_, l)| l.contains("sudo ")) {
        return Vec::new();
    }
    let mut out: Vec<Example> = Vec::new();
    // a command continued on the next line (`\`)
    let mut open = false;
    let mut with_output = false;
    for (n, l) in lines {
        let t = l.trim_start();
        if open {
            if let Some(last) = out.last_mut() {
                last.cmd.push('\n');
                last.cmd.push_str(t);
            }
            open = t.ends_with('\\');
            continue;
        }
        let prompt = t.starts_with("$ ");
        let cmd = t.strip_prefix("$ ").unwrap_or(t);
        if cmd.starts_with("damo ") {
            open = cmd.ends_with('\\');
            out.push(Example {
                doc,
                line: *n,
                cmd: cmd.to_string(),
                shown: None,
            });
            // only a `$ ` prompt's command is followed by its output
            with_output = prompt;
        } else if with_output && let Some(last) = out.last_mut() {
            let shown = last.shown.get_or_insert_with(String::new);
            shown.push_str(l);
            shown.push('\n');
        }
    }
    out.retain(|e| {
        let first = e.cmd.lines().next().unwrap_or_default();
        !(first.contains('[')
            || first.contains('{')
            || e.cmd.contains('>')
            || e.cmd.starts_with("damo replay"))
    });
    out
}

/// `text` without ANSI color sequences and trailing white space.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_string()
}

fn run(dir: &Path, e: &Example) -> String {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_damo"));
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-c", &e.cmd])
        .current_dir(dir)
        .env("PATH", path)
        // a tree without DAMON, never the machine's
        .env(
            "DAMO_SYSFS_ROOT",
            std::env::temp_dir().join("damo-docs-no-sysfs"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "{}:{}: {}: exit {:?}\n{}",
        e.doc,
        e.line,
        e.cmd,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn documented_examples_run_as_written() {
    let mut all = Vec::new();
    for doc in ["README.md", "USAGE.md"] {
        let text = std::fs::read_to_string(root().join(doc)).expect("doc");
        all.extend(examples(doc, &text));
    }
    let on_sample = all
        .iter()
        .filter(|e| e.cmd.contains("examples/damon.data"))
        .count();
    assert!(
        on_sample >= 5,
        "the docs show the sample record: {on_sample} examples"
    );
    let d = common::Scratch::new("docs");
    std::os::unix::fs::symlink(root().join("examples"), d.join("examples")).expect("link");
    let mut failures = Vec::new();
    for e in &all {
        let got = run(&d, e);
        if let Some(shown) = &e.shown {
            let (want, got) = (plain(shown), plain(&got));
            if want != got {
                failures.push(format!(
                    "{}:{}: {}\n{}",
                    e.doc,
                    e.line,
                    e.cmd,
                    common::diff(want.as_bytes(), got.as_bytes(), 80)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "documented outputs differ (- docs, + damo):\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_reader_finds_commands_and_outputs() {
    let text = "x\n```\n$ damo version   # a comment\n3.4.3\n$ damo report wss\n```\n\
                ```\n$ sudo damo start 1\n$ damo report damon\n```\n\
                ```\ndamo adjust [--input FILE]\ndamo args damon --kdamond \\\n    --ops paddr\n\
                damo --man > x\ndamo replay r.data\n```\n";
    let ex = examples("t", text);
    assert_eq!(
        ex.len(),
        3,
        "sudo blocks, synopses, redirections and replay are left out"
    );
    assert_eq!(ex[0].cmd, "damo version   # a comment");
    assert_eq!(ex[0].shown.as_deref(), Some("3.4.3\n"));
    assert_eq!(ex[1].shown, None);
    assert_eq!(ex[2].cmd, "damo args damon --kdamond \\\n--ops paddr");
    assert_eq!(plain("\u{1b}[38;5;232m1\u{1b}[0m2  \n"), "12");
}
