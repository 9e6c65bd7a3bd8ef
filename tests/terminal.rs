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

/// Runs `report heatmap --tui` on an 80x24 pseudo-terminal, typing `keys`
/// one at a time, each after the screen it answers is drawn; returns what
/// the terminal received.
fn tui_session(keys: &[&str]) -> String {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let pty = common::pty_80x24();
    let slave = std::fs::File::from(pty.slave);
    let mut c = command(&["report", "heatmap", "--tui", "-i", "examples/damon.data"]);
    c.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = c.spawn().expect("run damo");
    drop(c);
    let mut master = std::fs::File::from(pty.master);
    let mut writer = master.try_clone().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let screens = || {
        String::from_utf8_lossy(&got.lock().unwrap())
            .matches("q quit")
            .count()
    };
    // poll with a deadline: the machine may be busy
    let wait_for = |n: usize| {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while screens() < n {
            assert!(std::time::Instant::now() < end, "screen {n} not drawn");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    for (i, k) in keys.iter().enumerate() {
        wait_for(i + 1);
        writer.write_all(k.as_bytes()).unwrap();
    }
    let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < end, "--tui did not quit");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "--tui failed");
    std::thread::sleep(std::time::Duration::from_millis(100));
    String::from_utf8_lossy(&got.lock().unwrap()).into_owned()
}

/// The map rows `report heatmap --output stdout` draws for the ranges of
/// the last `damo heatmap: time A B ns, address C D` window title of a
/// TUI session.
fn rows_of_last_view(tty: &str) -> (Vec<String>, String) {
    let title = tty.rsplit("damo heatmap: time ").next().unwrap();
    let words: Vec<&str> = title.split_whitespace().collect();
    let (t0, t1) = (words[0], words[1]);
    // (the window title ends with BEL)
    let (a0, a1) = (words[4], words[5].split('\x07').next().unwrap());
    let out = run(&[
        "report",
        "heatmap",
        "-i",
        "examples/damon.data",
        "--output",
        "stdout",
        "--resol",
        "18",
        "80",
        "--time_range",
        t0,
        t1,
        "--address_range",
        a0,
        a1,
    ]);
    assert!(
        out.status.success(),
        "{:?}: {}",
        &words[..6],
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_string)
        .collect();
    (rows, title.to_string())
}

#[test]
fn tui_heatmap_draws_report_heatmaps_cells_and_follows_keys() {
    let tty = tui_session(&["+", "\x1b[B", "q"]);
    let screens: Vec<&str> = tty.split("damo heatmap: time ").skip(1).collect();
    assert_eq!(screens.len(), 3, "three views drawn");
    assert_ne!(
        screens[0].lines().next(),
        screens[1].lines().next(),
        "+ zoomed"
    );
    assert_ne!(
        screens[1].lines().next(),
        screens[2].lines().next(),
        "down scrolled"
    );
    let (rows, last) = rows_of_last_view(&tty);
    assert_eq!(rows.len(), 18, "18 map rows for 24 lines");
    for r in &rows {
        assert!(
            last.contains(r.as_str()),
            "row {r:?} not drawn in the last view"
        );
    }
    assert!(last.contains("# x-axis: space") && last.contains("# access_frequency"));
    // the terminal is given back: alternate screen left, cursor shown
    assert!(tty.contains("\x1b[?1049l") && tty.contains("\x1b[?25h"));
}

#[test]
fn tui_needs_a_terminal() {
    let out = run(&["report", "heatmap", "--tui", "-i", "examples/damon.data"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--tui needs a terminal") && err.lines().count() == 1,
        "{err}"
    );
}
