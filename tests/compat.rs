//! The deliberate differences from damo 3.4.3 (docs/compat.md), one test
//! per row that no other suite covers, and a check that every row of the
//! "Fixed damo bugs" table names the tests that hold it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_damo"));
    c.args(args)
        .current_dir(dir)
        // a tree without DAMON, never the machine's
        .env(
            "DAMO_SYSFS_ROOT",
            std::env::temp_dir().join("damo-compat-tests-no-sysfs"),
        )
        .stdin(Stdio::null());
    c
}

fn damo(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("run damo")
}

/// A scratch copy of tests/fixtures.
fn fixtures(tag: &str) -> common::Scratch {
    let d = common::Scratch::new(&format!("compat-{tag}"));
    for e in std::fs::read_dir(root().join("tests/fixtures")).expect("fixtures") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), d.join(e.file_name())).expect("copy");
    }
    d
}

/// Fails with one `damo: ...` line on stderr containing `want`, exit 1,
/// nothing on stdout.
fn one_line_error(out: &Output, want: &str, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: exit status; {err}");
    assert!(
        err.starts_with("damo: ") && err.trim_end().lines().count() == 1,
        "{what}: want one error line, got: {err}"
    );
    assert!(err.contains(want), "{what}: want '{want}' in: {err}");
    assert!(
        out.stdout.is_empty(),
        "{what}: printed on stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn succeeds(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

fn record_json(dir: &Path, name: &str) -> serde_json::Value {
    let mut text = String::new();
    flate2::read::ZlibDecoder::new(std::fs::File::open(dir.join(name)).expect("record"))
        .read_to_string(&mut text)
        .expect("inflate");
    serde_json::from_str(&text).expect("record json")
}

/// Writes record `from` as JSON `to` with every region's age unknown.
fn write_without_ages(dir: &Path, from: &str, to: &str) {
    let mut v = record_json(dir, from);
    for r in v.as_array_mut().expect("records") {
        for s in r["snapshots"].as_array_mut().expect("snapshots") {
            for g in s["regions"].as_array_mut().expect("regions") {
                g["age"] = serde_json::json!({"usec": null, "aggr_intervals": null});
            }
        }
    }
    std::fs::write(dir.join(to), v.to_string()).expect("write");
}

#[test]
fn perf_data_files_are_refused_with_a_hint() {
    let d = fixtures("perf-data");
    std::fs::write(d.join("perf.data"), b"PERFILE2\x68\0\0\0\0\0\0\0rest").expect("write");
    let out = damo(&d, &["report", "heatmap", "-i", "perf.data"]);
    one_line_error(&out, "perf script", "perf.data");
}

#[test]
fn report_errors_are_one_line_instead_of_tracebacks() {
    let d = fixtures("tracebacks");
    // a lone trace snapshot: no start time can be known
    std::fs::write(
        d.join("single.txt"),
        "kdamond.0 1 [000] 1.000000: damon:damon_aggregated: target_id=0 nr_regions=1 \
         4096-8192: 1 2\n",
    )
    .expect("write");
    // regions without an age in a record with intervals
    write_without_ages(&d, "multi.data", "noage.json");
    for (args, want) in [
        (
            &[
                "report",
                "heatmap",
                "-i",
                "multi.data",
                "--time_range",
                "x",
                "y",
            ][..],
            "time",
        ),
        (
            &[
                "report",
                "heatmap",
                "-i",
                "multi.data",
                "--resol",
                "10",
                "100000000000",
            ],
            "resol",
        ),
        (&["report", "heatmap", "-i", "single.txt"], "no start time"),
        (&["report", "heatmap", "-i", "noage.json"], "no age"),
        (
            &[
                "report",
                "heatmap",
                "-i",
                "nointervals.data",
                "--sort_temperature",
            ],
            "",
        ),
    ] {
        let out = damo(&d, args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("damo: ") && err.trim_end().lines().count() == 1 && err.contains(want),
            "{args:?}: {err}"
        );
    }
    // one row of resolution, and ranges without accesses, are drawn
    let out = damo(
        &d,
        &[
            "report",
            "heatmap",
            "-i",
            "multi.data",
            "--resol",
            "1",
            "10",
        ],
    );
    let rows = succeeds(&out, "one row")
        .lines()
        .take_while(|l| !l.starts_with('#'))
        .count();
    assert_eq!(rows, 1, "one row of the map");
    let out = damo(
        &d,
        &[
            "report",
            "heatmap",
            "-i",
            "trace.data",
            "--address_range",
            "0",
            "100",
        ],
    );
    assert!(succeeds(&out, "no accesses").contains("(no accesses in the drawn ranges)"));
}

#[test]
fn unsupported_image_types_are_refused_before_reading() {
    let d = fixtures("xyz");
    // the record is not read: a broken one gives the same answer
    std::fs::write(d.join("broken.data"), b"\x78\x9c broken").expect("write");
    for input in ["multi.data", "broken.data"] {
        let out = damo(&d, &["report", "heatmap", "-i", input, "--output", "x.xyz"]);
        one_line_error(&out, "use a .png, .svg or .jpeg file name", input);
    }
    assert!(!d.join("x.xyz").exists());
}

#[test]
fn footprints_plot_all_metrics_in_one_image() {
    let d = fixtures("footprints");
    let out = damo(
        &d,
        &[
            "report",
            "footprints",
            "-i",
            "multi.data.mem_footprint",
            "all",
            "--plot",
            "f.svg",
        ],
    );
    succeeds(&out, "footprints --plot");
    let svg = std::fs::read_to_string(d.join("f.svg")).expect("svg");
    for metric in ["vsz", "rss", "sys_used"] {
        assert!(svg.contains(metric), "legend names {metric}");
    }
    let series = svg.matches("<polyline").count();
    assert!(series >= 3, "three series, got {series}");
}

/// Runs `args` as the unprivileged user `nobody` where the tests run as
/// root and `nobody` can run the built binary (a clone under a private
/// home cannot be); else as the user running the tests.
fn as_nobody(dir: &Path, args: &[&str]) -> Output {
    if nix::unistd::geteuid().is_root() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        match command(dir, args).uid(65534).gid(65534).output() {
            Ok(out) => return out,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                eprintln!(
                    "nobody cannot run {}: ran as root",
                    env!("CARGO_BIN_EXE_damo")
                );
            }
            Err(e) => panic!("run damo as nobody: {e}"),
        }
    }
    command(dir, args).output().expect("run damo")
}

#[test]
fn reading_commands_need_no_root() {
    let d = fixtures("no-root");
    std::fs::copy(d.join("multi.data"), d.join("damon.data")).expect("copy");
    // no kdamond runs: `report access` reads ./damon.data
    let out = as_nobody(&d, &["report", "access"]);
    assert!(succeeds(&out, "report access").contains("target id 0"));
    let out = as_nobody(&d, &["args", "damon", "42"]);
    assert!(succeeds(&out, "args damon").contains("\"pid\": 42"));
    let out = as_nobody(&d, &["report", "damon", "--input_file", "kdamonds.json"]);
    assert!(succeeds(&out, "report damon --input_file").contains("kdamond 0"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let d = fixtures("pipe");
    // far more than a pipe holds
    let mut child = command(
        &d,
        &[
            "report",
            "heatmap",
            "-i",
            "multi.data",
            "--resol",
            "300",
            "300",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("read");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn perf_script_output_leaves_out_unknown_ages() {
    let d = fixtures("noage-trace");
    write_without_ages(&d, "nointervals.data", "noage.json");
    let out = damo(
        &d,
        &[
            "convert_record_format",
            "--record_file",
            "noage.json",
            "--format",
            "perf_script",
            "--output_file",
            "t.txt",
        ],
    );
    succeeds(&out, "convert");
    let text = std::fs::read_to_string(d.join("t.txt")).expect("trace");
    let first = text.lines().next().expect("a line");
    assert!(!text.contains("None"), "{first}");
    assert!(
        first.ends_with("93823560581120-93823561949184: 20"),
        "no age field: {first}"
    );
    let out = damo(&d, &["report", "record_info", "-i", "t.txt"]);
    succeeds(&out, "the trace reads back");
}

#[test]
fn validate_allow_error_is_a_number() {
    let d = fixtures("validate");
    let out = damo(&d, &["validate", "--allow_error", "5", "-i", "multi.data"]);
    succeeds(&out, "--allow_error 5");
    let out = damo(&d, &["validate", "--allow_error", "x", "-i", "multi.data"]);
    one_line_error(&out, "--allow_error", "--allow_error x");
}

#[test]
fn empty_records_and_empty_snapshots_are_one_line_errors() {
    let d = fixtures("empty");
    std::fs::write(d.join("empty.data"), b"").expect("write");
    let out = damo(&d, &["report", "heatmap", "-i", "empty.data"]);
    one_line_error(&out, "not a damon.data record", "empty file");
    let out = damo(
        &d,
        &[
            "report",
            "access",
            "-i",
            "multi.data",
            "--sz_region",
            "0",
            "0",
            "--format",
            "set",
            "snapshot_head",
            "<positive access samples ratio>",
        ],
    );
    one_line_error(&out, "without regions", "ratio of an empty snapshot");
    let out = damo(
        &d,
        &[
            "report",
            "access",
            "-i",
            "zero_size.data",
            "--style",
            "recency-percentiles",
        ],
    );
    one_line_error(&out, "zero bytes", "percentiles of zero bytes");
    let out = damo(&d, &["report", "record_info", "-i", "empty_list.data"]);
    one_line_error(&out, "holds no snapshots", "record_info of []");
}

#[test]
fn report_damon_reads_files_it_is_given() {
    let d = fixtures("report-damon");
    let out = damo(
        &d,
        &[
            "report",
            "damon",
            "--input_file",
            "kdamonds.json",
            "--kdamonds_summary",
        ],
    );
    assert_eq!(succeeds(&out, "--kdamonds_summary"), "0\tstate: off\n");
    let out = damo(
        &d,
        &[
            "report",
            "damon",
            "--input_file",
            "kdamonds.json",
            "--damon_params_omit_defaults",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value =
        serde_json::from_str(&succeeds(&out, "omit defaults json")).expect("json");
    assert!(v.is_array(), "{v}");
}

#[test]
fn args_damon_with_vaddr_as_target_asks_for_the_pid() {
    let d = fixtures("vaddr");
    for ops in ["vaddr", "fvaddr"] {
        let out = damo(&d, &["args", "damon", ops]);
        one_line_error(&out, "give its pid", ops);
    }
}

#[test]
fn heatmap_with_every_selector_parses_its_ranges() {
    let d = fixtures("selectors");
    let out = damo(
        &d,
        &[
            "report",
            "heatmap",
            "-i",
            "damos.data",
            "--kdamond_idx",
            "0",
            "--context_idx",
            "0",
            "--scheme_idx",
            "0",
            "--tid",
            "1",
            "--time_range",
            "999800000000",
            "1001250000141",
            "--address_range",
            "93823829016576",
            "93823850496000",
            "--resol",
            "4",
            "8",
        ],
    );
    let text = succeeds(&out, "every selector");
    assert!(
        text.ends_with("# resolution: 8x4 (2.561 MiB and 362.500 ms for each character)\n"),
        "{text}"
    );
}

#[test]
fn an_empty_output_file_name_is_an_error() {
    let d = fixtures("empty-name");
    let out = damo(
        &d,
        &[
            "convert_record_format",
            "--record_file",
            "multi.data",
            "--format",
            "json",
            "--output_file=",
        ],
    );
    one_line_error(&out, "not a file name", "--output_file=");
}

#[test]
fn replay_refuses_records_larger_than_memory() {
    let d = fixtures("replay-huge");
    let mut v = record_json(&d, "single.data");
    for s in v[0]["snapshots"].as_array_mut().expect("snapshots") {
        let regions = s["regions"].as_array_mut().expect("regions");
        regions.truncate(1);
        regions[0]["start"] = "4096".into();
        regions[0]["end"] = (4096u64 + (1 << 50)).to_string().into();
    }
    std::fs::write(d.join("huge.json"), v.to_string()).expect("write");
    let out = damo(&d, &["replay", "huge.json"]);
    one_line_error(&out, "more than the", "a PiB replay");
}

#[test]
fn arguments_that_are_not_utf8_are_usage_errors() {
    use std::os::unix::ffi::OsStrExt;
    let d = fixtures("not-utf8");
    let out = command(&d, &["report", "heatmap"])
        .arg(std::ffi::OsStr::from_bytes(b"-i\xff.data"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("argument 3") && err.contains("not valid UTF-8"),
        "{err}"
    );
}

/// Every row of docs/compat.md's "Fixed damo bugs" table names, in its
/// third column, tests that exist: `fn` names in tests/*.rs, case names
/// of tests/cases.tsv or tests/file_cases.tsv, or checks of the
/// differential or QEMU suites (`differential.sh: ...`, `e2e.sh: ...`)
/// and benchmarks (`bench/...`) that name the text they check.
#[test]
fn every_compat_row_names_its_tests() {
    let doc = std::fs::read_to_string(root().join("docs/compat.md")).expect("compat.md");
    let table = doc
        .split("## Fixed damo bugs")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .expect("the table");
    let mut sources = String::new();
    for e in std::fs::read_dir(root().join("tests")).expect("tests") {
        let p = e.expect("entry").path();
        if p.is_file() {
            sources.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
    for sub in ["tests/vm/e2e.sh", "tests/vm/run.sh"] {
        sources.push_str(&std::fs::read_to_string(root().join(sub)).unwrap_or_default());
    }
    let cases: Vec<String> = ["tests/cases.tsv", "tests/file_cases.tsv"]
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(root().join(f))
                .expect("cases")
                .lines()
                .filter_map(|l| l.split('\t').next().map(String::from))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut rows = 0;
    let mut missing = Vec::new();
    for line in table.lines().filter(|l| l.starts_with("| ")).skip(1) {
        if line.starts_with("| ---") {
            continue;
        }
        rows += 1;
        let cells: Vec<&str> = line.split(" | ").collect();
        let Some(tests) = cells.get(2).map(|c| c.trim_end_matches(" |")) else {
            missing.push(format!("no test column: {line}"));
            continue;
        };
        let names: Vec<&str> = tests
            .split(", ")
            .map(|n| n.trim().trim_matches('`'))
            .collect();
        if names.iter().all(|n| n.is_empty()) {
            missing.push(format!("no test named: {line}"));
        }
        for name in names.iter().filter(|n| !n.is_empty()) {
            let found = if let Some(rest) = name
                .strip_prefix("differential.sh: ")
                .or_else(|| name.strip_prefix("e2e.sh: "))
            {
                sources.contains(rest)
            } else if let Some(b) = name.strip_prefix("bench/") {
                root().join("bench").join(b).is_file()
            } else {
                sources.contains(&format!("fn {name}(")) || cases.iter().any(|c| c == name)
            };
            if !found {
                missing.push(format!("'{name}' not found (row: {line})"));
            }
        }
    }
    assert!(rows >= 60, "the table has {rows} rows");
    assert!(
        missing.is_empty(),
        "rows without tests:\n{}",
        missing.join("\n")
    );
}
