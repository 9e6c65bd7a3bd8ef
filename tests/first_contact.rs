//! What a new user meets first: the messages for files that are not
//! records and for filters that match nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn damo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_damo"))
        .args(args)
        .current_dir(dir)
        // a tree without DAMON, never the machine's
        .env(
            "DAMO_SYSFS_ROOT",
            std::env::temp_dir().join("damo-first-contact-no-sysfs"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run damo")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_binary_file_is_said_not_to_be_a_record() {
    let d = common::Scratch::new("first-binary");
    // an image, and bytes that are no text at all
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..=255u8).cycle().take(4000));
    std::fs::write(d.join("image.data"), &png).expect("write");
    for report in [
        &["report", "heatmap", "-i", "image.data"][..],
        &["report", "wss", "-i", "image.data"],
        &["report", "record_info", "-i", "image.data"],
        &[
            "convert_record_format",
            "--record_file",
            "image.data",
            "--format",
            "json",
        ],
    ] {
        let out = damo(&d, report);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{report:?}: {err}");
        assert!(
            err.contains("not a damon.data record")
                && err.contains("json_compressed, JSON, or perf script")
                && !err.contains("UTF-8")
                && err.trim_end().lines().count() == 1,
            "{report:?}: {err}"
        );
    }
}

#[test]
fn adjust_says_when_nothing_matched() {
    let d = common::Scratch::new("first-adjust");
    let input = root().join("tests/fixtures/multi.data");
    let input = input.to_str().expect("utf-8");
    for filter in [
        &["--address", "1", "2"][..],
        &["--sz_region", "1P", "max"],
        // (last: it drops every snapshot, which the next step reads)
        &["--snapshot_time", "1", "2"],
    ] {
        let mut args = vec!["adjust", "-i", input, "-o", "none.data"];
        args.extend(filter);
        let out = damo(&d, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{filter:?}: as damo, {err}");
        assert!(
            err.contains("damo: warning: no region of")
                && err.contains("matched the given filters"),
            "{filter:?}: {err}"
        );
    }
    // a record left without snapshots: the hint names both causes
    let out = damo(&d, &["report", "record_info", "-i", "none.data"]);
    let err = stderr(&out);
    assert!(
        err.contains("record for longer") && err.contains("damo adjust"),
        "{err}"
    );
    // a filter that keeps something: no warning
    let out = damo(
        &d,
        &[
            "adjust",
            "-i",
            input,
            "-o",
            "some.data",
            "--sz_region",
            "0",
            "max",
        ],
    );
    assert!(
        out.status.success() && stderr(&out).is_empty(),
        "{}",
        stderr(&out)
    );
}
