//! `convert_record_format --format parquet|ndjson`: the row formats every
//! report reads back, giving the same reports as the record they came from.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::Scratch;

fn damo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_damo"))
        .args(args)
        .current_dir(dir)
        .env_remove("DAMO_SYSFS_ROOT")
        .output()
        .expect("run damo")
}

fn ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = damo(dir, args);
    assert!(
        out.status.success(),
        "damo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A scratch directory with `src` (relative to the crate) copied in as
/// `name`, converted to `format` as `out`.
fn converted(tag: &str, src: &str, name: &str, format: &str, out: &str) -> Scratch {
    let dir = Scratch::new(tag);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(src),
        dir.join(name),
    )
    .unwrap();
    ok(
        &dir,
        &[
            "convert_record_format",
            "--record_file",
            name,
            "--format",
            format,
            "--output_file",
            out,
        ],
    );
    dir
}

const REPORTS: &[&[&str]] = &[
    &[
        "report",
        "wss",
        "--raw_number",
        "--all_wss",
        "--sortby",
        "time",
        "--exclude_samples",
        "0",
    ],
    &["report", "wss"],
    &["report", "heatmap", "--output", "raw"],
    &[
        "report",
        "heatmap",
        "--output",
        "stdout",
        "--stdout_colorset",
        "emotion",
    ],
    &["report", "nr_regions"],
    &["report", "record_info"],
    &["report", "access"],
    &["report", "access", "--style", "temperature-sz-hist"],
];

#[test]
fn every_report_reads_the_row_formats_back() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [
        "examples/damon.data",
        "tests/fixtures/multi.data",
        "tests/fixtures/damos.data",
        "tests/fixtures/empty_list.data",
    ] {
        let dir = Scratch::new("columnar");
        std::fs::copy(fixtures.join(src), dir.join("orig.data")).unwrap();
        for format in ["parquet", "ndjson"] {
            let file = format!("r.{format}");
            ok(
                &dir,
                &[
                    "convert_record_format",
                    "--record_file",
                    "orig.data",
                    "--format",
                    format,
                    "--output_file",
                    &file,
                ],
            );
            for args in REPORTS {
                // the row formats keep no probe hits and no per-snapshot
                // scheme statistics (USAGE.md), which the access reports
                // of damos.data show
                if src.ends_with("damos.data") && args[1] == "access" {
                    continue;
                }
                let mut a: Vec<&str> = args.to_vec();
                a.extend(["-i", "orig.data"]);
                let want = damo(&dir, &a);
                let last = a.len() - 1;
                a[last] = &file;
                let got = damo(&dir, &a);
                // (reports that name their input)
                let want_out = String::from_utf8_lossy(&want.stdout).replace("orig.data", &file);
                assert!(
                    want.status.code() == got.status.code() && want_out.as_bytes() == got.stdout,
                    "{src} as {format}: damo {a:?}: status {:?} vs {:?}\n{}{}",
                    want.status.code(),
                    got.status.code(),
                    String::from_utf8_lossy(&got.stderr),
                    common::diff(want_out.as_bytes(), &got.stdout, 20)
                );
            }
        }
    }
}

#[test]
fn row_formats_hold_one_row_per_region_as_integers() {
    let dir = converted(
        "ndjson",
        "tests/fixtures/single.data",
        "s.data",
        "ndjson",
        "s.ndjson",
    );
    let text = std::fs::read_to_string(dir.join("s.ndjson")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "file");
    assert_eq!(lines[0]["schema"], 1);
    assert_eq!(lines[1]["type"], "record");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/damon-ndjson.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let region_props = &schema["$defs"]["region"]["properties"];
    for l in &lines[2..] {
        assert_eq!(l["type"], "region");
        for (k, v) in l.as_object().unwrap() {
            assert!(
                region_props.get(k).is_some(),
                "{k} not in docs/damon-ndjson.schema.json"
            );
            assert!(
                v.is_null() || v.is_string() || v.is_u64() || v.is_i64(),
                "{k}: {v} is not an integer"
            );
        }
    }
    let regions = ok(&dir, &["report", "access", "--raw_number", "-i", "s.data"]);
    assert!(lines.len() > 1 && !regions.is_empty());
}

#[test]
fn damaged_row_files_get_one_line() {
    let dir = converted(
        "badrows",
        "examples/damon.data",
        "d.data",
        "parquet",
        "d.parquet",
    );
    let full = std::fs::read(dir.join("d.parquet")).unwrap();
    std::fs::write(dir.join("cut.parquet"), &full[..full.len() / 2]).unwrap();
    std::fs::write(
        dir.join("bad.ndjson"),
        "{\"schema\":1,\"type\":\"file\"}\n{\"type\":\"region\",\"start\":-5}\n",
    )
    .unwrap();
    for f in ["cut.parquet", "bad.ndjson"] {
        let out = damo(&dir, &["report", "wss", "-i", f]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{f}: {err}");
        assert_eq!(err.lines().count(), 1, "{f}: {err}");
        assert!(err.contains(f) && !err.contains("panicked"), "{f}: {err}");
    }
    // a Parquet record on a pipe cannot be read (its index is at the end)
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cat d.parquet | {} report wss -i /dev/stdin",
            env!("CARGO_BIN_EXE_damo")
        ))
        .current_dir(&*dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    // nothing half-written when the output cannot be completed
    let out = damo(
        &dir,
        &[
            "convert_record_format",
            "--record_file",
            "cut.parquet",
            "--format",
            "parquet",
            "--output_file",
            "new.parquet",
        ],
    );
    assert!(!out.status.success());
    let left: Vec<_> = std::fs::read_dir(&*dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert!(
        !left
            .iter()
            .any(|n| n.starts_with("new.parquet") || n.starts_with(".new.parquet")),
        "{left:?}"
    );
}
