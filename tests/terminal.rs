//! Terminal conventions: NO_COLOR and --color, "did you mean", --version,
//! a final newline on a terminal (and damo's bytes on a pipe), and
//! monitor's message without tracefs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_damo"));
    c.args(args)
        .current_dir(root())
        // a tree without DAMON, never the machine's
        .env(
            "DAMO_SYSFS_ROOT",
            std::env::temp_dir().join("damo-terminal-no-sysfs"),
        )
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    c
}

fn run(args: &[&str]) -> Output {
    command(args).output().expect("run damo")
}

/// Runs damo with stdout on an 80x24 pseudo-terminal: what it received.
fn on_terminal(c: Command) -> Vec<u8> {
    let (ok, _, tty) = common::on_pty(c, common::OnTerminal::Stdout);
    assert!(ok, "damo failed on a terminal");
    tty
}

const HEATMAP: [&str; 6] = [
    "report",
    "heatmap",
    "--input",
    "examples/damon.data",
    "--resol",
    "5",
];

fn heatmap(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = HEATMAP.iter().map(|s| s.to_string()).collect();
    v.push("20".into());
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn has_escapes(bytes: &[u8]) -> bool {
    bytes.contains(&0x1b)
}

#[test]
fn colors_follow_no_color_and_the_color_option() {
    let args = heatmap(&[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // damo's default: colors even on a pipe
    assert!(has_escapes(&run(&args).stdout));
    let no_color = command(&args).env("NO_COLOR", "1").output().expect("damo");
    assert!(no_color.status.success());
    assert!(!has_escapes(&no_color.stdout), "NO_COLOR");
    let text = String::from_utf8_lossy(&no_color.stdout);
    assert!(
        text.contains("# access_frequency: 0123456789"),
        "the legend without colors: {text}"
    );
    // an empty NO_COLOR is no request (no-color.org)
    let empty = command(&args).env("NO_COLOR", "").output().expect("damo");
    assert!(has_escapes(&empty.stdout));
    let with = |color: &[&str], no_color: bool| {
        let mut a: Vec<&str> = color.to_vec();
        a.extend(&args);
        let mut c = command(&a);
        if no_color {
            c.env("NO_COLOR", "1");
        }
        c.output().expect("damo")
    };
    assert!(!has_escapes(&with(&["--color", "never"], false).stdout));
    assert!(has_escapes(&with(&["--color=always"], true).stdout));
    assert!(
        !has_escapes(&with(&["--color", "auto"], false).stdout),
        "a pipe"
    );
    let mut a = vec!["--color", "auto"];
    a.extend(&args);
    assert!(has_escapes(&on_terminal(command(&a))), "a terminal");
    let bad = with(&["--color", "sometimes"], false);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid choice: 'sometimes'"));
}

#[test]
fn mistyped_commands_and_options_get_a_suggestion() {
    for (args, want) in [
        (&["reprot", "wss"][..], "damo: did you mean 'report'?"),
        (
            &["report", "heatmp"],
            "damo report: did you mean 'heatmap'?",
        ),
        (
            &["report", "heatmap", "--outptu", "raw"],
            "damo: did you mean '--output'?",
        ),
        (
            &["report", "heatmap", "--draw_range", "hotest"],
            "damo report heatmap: did you mean 'hottest'?",
        ),
    ] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines.iter().any(|l| l.contains(": error: ")) && lines.last() == Some(&want),
            "{args:?}: argparse's message, then the suggestion: {err}"
        );
    }
    // nothing close: argparse's message alone
    let err = String::from_utf8_lossy(&run(&["zzzzqqq"]).stderr).into_owned();
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn version_names_the_build_and_version_stays_damos() {
    for flag in ["--version", "-V"] {
        let out = run(&[flag]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{flag}");
        assert!(
            text.starts_with(&format!("damo {} ", env!("CARGO_PKG_VERSION")))
                && text.contains("damo 3.4.3 interface")
                && text.contains(", git "),
            "{flag}: {text}"
        );
    }
    assert_eq!(run(&["version"]).stdout, b"3.4.3\n", "for scripts");
}

#[test]
fn long_output_ends_its_line_on_a_terminal_only() {
    let args = [
        "report",
        "access",
        "--input",
        "examples/damon.data",
        "--snapshot_idx",
        "0",
        "20",
    ];
    // long output, paged by damo: no final newline on a pipe (damo's bytes)
    let piped = run(&args).stdout;
    assert!(piped.len() > 1000 && piped.last() != Some(&b'\n'));
    let shown = on_terminal(command(&args));
    assert!(
        shown.ends_with(b"\n") || shown.ends_with(b"\r\n"),
        "a terminal"
    );
}

fn fake_tree(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_damo"))
        .args(["start", "--ops", "paddr"])
        .env("DAMO_SYSFS_ROOT", dir)
        .output()
        .expect("damo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn monitor_without_tracefs_says_so() {
    let d = common::Scratch::new("terminal-monitor");
    damo::sysfs::emul::create(&d, "6.18").expect("fake tree");
    fake_tree(&d);
    let out = Command::new(env!("CARGO_BIN_EXE_damo"))
        .args(["monitor", "ongoing", "--count", "1"])
        .env("DAMO_SYSFS_ROOT", &*d)
        .stdin(Stdio::null())
        .output()
        .expect("damo");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("tracefs is not mounted") && !err.contains("maybe DAMON was stopped"),
        "{err}"
    );
}
