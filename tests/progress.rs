//! Progress on long work (src/progress.rs): a bar on stderr when it is a
//! terminal (here a pseudo-terminal of 80x24), nothing otherwise.
//! `DAMO_PROGRESS_AFTER=0` stands for a record that takes longer than a
//! second to read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use damo::record::Format;
use damo::record::synth::{Params, generate};
use damo::record::write::FileWriter;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("damo-progress-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn record(dir: &Path) -> PathBuf {
    let path = dir.join("r.data");
    let params = Params {
        targets: 1,
        snapshots: 300,
        regions: 200,
        intervals: true,
        damos: false,
        seed: 7,
    };
    let mut w = FileWriter::create(&path, Format::JsonCompressed).unwrap();
    generate(&params, &mut w).unwrap();
    w.commit(None).unwrap();
    path
}

fn command(dir: &Path, args: &[&str], after: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_damo"));
    c.args(args)
        .current_dir(dir)
        .env("DAMO_SYSFS_ROOT", dir.join("no-sysfs"))
        .env_remove("DAMO_PROGRESS_AFTER")
        .stdin(Stdio::null());
    if let Some(a) = after {
        c.env("DAMO_PROGRESS_AFTER", a);
    }
    c
}

/// Runs damo with stderr on a pseudo-terminal: (status, stdout, what the
/// terminal received).
fn on_pty(dir: &Path, args: &[&str], after: Option<&str>) -> (bool, Vec<u8>, String) {
    let (ok, stdout, tty) = common::on_pty(command(dir, args, after), common::OnTerminal::Stderr);
    (ok, stdout, String::from_utf8_lossy(&tty).into_owned())
}

/// `convert_record_format` of `rec` into JSON at `out`.
fn convert_to_json<'a>(rec: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "convert_record_format",
        "--format",
        "json",
        "--record_file",
        rec.to_str().unwrap(),
        "--output_file",
        out.to_str().unwrap(),
    ]
}

fn plain(dir: &Path, args: &[&str], after: Option<&str>) -> std::process::Output {
    command(dir, args, after).output().expect("run damo")
}

#[test]
fn a_report_on_a_terminal_shows_a_bar_and_clears_it() {
    let dir = tmpdir("report");
    let rec = record(&dir);
    let args = [
        "report",
        "heatmap",
        "--output",
        "raw",
        "-i",
        rec.to_str().unwrap(),
    ];
    let (ok, stdout, tty) = on_pty(&dir, &args, Some("0"));
    assert!(ok, "damo failed: {tty}");
    assert!(
        tty.contains("reading r.data [") && tty.contains("% of ") && tty.contains(" left"),
        "no bar on the terminal: {tty:?}"
    );
    // one line that fits 80 columns: no cursor-up of a wrapped bar
    assert!(!tty.contains("\x1b[1A"), "the bar wraps: {tty:?}");
    // cleared at the end: nothing after the last clear of the line
    let last = tty.rfind("\x1b[2K").expect("the bar is cleared");
    assert!(
        tty[last + 4..].trim().is_empty(),
        "left on the terminal after the bar: {:?}",
        &tty[last..]
    );
    // stdout is the same bytes as without a terminal
    let want = plain(&dir, &args, None);
    assert!(want.status.success());
    assert!(
        stdout == want.stdout,
        "stdout differs with a terminal stderr:\n{}",
        common::diff(&want.stdout, &stdout, 20)
    );
}

#[test]
fn nothing_extra_when_stderr_is_not_a_terminal() {
    let dir = tmpdir("pipe");
    let rec = record(&dir);
    let out = dir.join("out.json");
    for args in [
        vec!["report", "wss", "-i", rec.to_str().unwrap()],
        convert_to_json(&rec, &out),
    ] {
        let r = plain(&dir, &args, Some("0"));
        assert!(r.status.success(), "{args:?}");
        assert!(
            r.stderr.is_empty(),
            "{args:?} wrote to a piped stderr: {}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
}

#[test]
fn quick_work_shows_no_bar() {
    let dir = tmpdir("quick");
    let rec = record(&dir);
    // the default delay is a second; this record reads in milliseconds
    let (ok, _, tty) = on_pty(&dir, &["report", "wss", "-i", rec.to_str().unwrap()], None);
    assert!(ok);
    assert!(tty.is_empty(), "a bar for quick work: {tty:?}");
}

#[test]
fn a_long_write_ends_with_what_was_written() {
    let dir = tmpdir("wrote");
    let rec = record(&dir);
    let out = dir.join("out.json");
    let (ok, _, tty) = on_pty(&dir, &convert_to_json(&rec, &out), Some("0"));
    assert!(ok, "{tty}");
    let size = std::fs::metadata(&out).unwrap().len();
    assert!(size > 0);
    let line = format!("damo: wrote {} (", out.display());
    assert!(tty.contains(&line), "no '{line}' line: {tty:?}");
    assert!(tty.contains("MiB)") || tty.contains("KiB)"), "{tty:?}");
}
