//! CLI tests: run the built `damo` on generated record files and compare
//! with outputs of damo 3.4.3 committed in tests/expected (produced and
//! re-checked by tests/differential.sh).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use damo::record::synth::{Params, generate};
use damo::record::write::FileWriter;
use damo::record::{Format, RecordFiles};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_damo"));
    c.args(args)
        .current_dir(dir)
        // a tree without DAMON: never the machine's (a report without
        // --input would take a live snapshot of a running kdamond)
        .env(
            "DAMO_SYSFS_ROOT",
            std::env::temp_dir().join("damo-cli-tests-no-sysfs"),
        );
    c
}

fn damo(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("run damo")
}

fn damo_with_stdin(dir: &Path, args: &[&str], stdin: &Path) -> Output {
    command(dir, args)
        .stdin(std::fs::File::open(stdin).expect("stdin file"))
        .output()
        .expect("run damo")
}

fn cases() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(root().join("tests/cases.tsv")).expect("cases.tsv");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut f = l.split('\t').map(String::from);
            let name = f.next().expect("name");
            (name, f.collect())
        })
        .collect()
}

/// Expected stdout and status of a case: damo 3.4.3's, or for a
/// deliberate difference (docs/compat.md) our reviewed `NAME.ours` (and
/// `NAME.ours.rc` where the exit status differs too).
fn expected(name: &str) -> (Vec<u8>, i32) {
    let dir = root().join("tests/expected");
    let ours = dir.join(format!("{name}.ours"));
    let out = if ours.exists() {
        std::fs::read(ours).expect("expected ours")
    } else {
        std::fs::read(dir.join(format!("{name}.stdout"))).expect("expected stdout")
    };
    let ours_rc = dir.join(format!("{name}.ours.rc"));
    let rc_file = if ours_rc.exists() {
        ours_rc
    } else {
        dir.join(format!("{name}.rc"))
    };
    let rc: i32 = std::fs::read_to_string(rc_file)
        .expect("expected rc")
        .trim()
        .parse()
        .expect("rc");
    (out, rc)
}

#[test]
fn outputs_match_damo_343() {
    let fixtures = root().join("tests/fixtures");
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() > 40, "case table too small");
    for (name, args) in &all {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // answers to --interactive_edit, as given to damo 3.4.3
        let stdin = root().join(format!("tests/expected/{name}.stdin"));
        let out = if stdin.exists() {
            damo_with_stdin(&fixtures, &args, &stdin)
        } else {
            damo(&fixtures, &args)
        };
        let (exp_out, exp_rc) = expected(name);
        let rc = out.status.code().unwrap_or(-1);
        // a deliberate difference pins its error text too
        let stderr = root().join(format!("tests/expected/{name}.ours.stderr"));
        if root().join(format!("tests/expected/{name}.ours")).exists() && !stderr.exists() {
            failures.push(format!("{name}: {name}.ours without {name}.ours.stderr"));
        }
        if let Ok(want) = std::fs::read(&stderr)
            && out.stderr != want
        {
            failures.push(format!(
                "{name}: stderr differs:\n{}",
                common::diff(&want, &out.stderr, 20)
            ));
        }
        if out.stdout != exp_out || rc != exp_rc {
            failures.push(format!(
                "{name}: rc {rc} (want {exp_rc}){}",
                stdout_diff(&exp_out, &out.stdout)
            ));
        }
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

/// The SHA-256 of a record file's text (inflated if zlib-compressed).
fn text_digest(path: &Path) -> String {
    use sha2::Digest;
    use std::io::Read;
    let Ok(data) = std::fs::read(path) else {
        return "missing".to_string();
    };
    let mut text = Vec::new();
    let data = if flate2::read::ZlibDecoder::new(&data[..])
        .read_to_end(&mut text)
        .is_ok()
    {
        text
    } else {
        data
    };
    sha2::Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn copy_fixtures(dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(root().join("tests/fixtures")).expect("fixtures") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), dst.join(e.file_name())).expect("copy");
    }
}

#[test]
fn written_records_match_damo_343() {
    let text =
        std::fs::read_to_string(root().join("tests/file_cases.tsv")).expect("file_cases.tsv");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut f = line.split('\t');
        let (Some(name), Some(file)) = (f.next(), f.next()) else {
            panic!("bad line {line}");
        };
        let args: Vec<&str> = f.collect();
        let dir = tmpdir(&format!("file-{name}"));
        copy_fixtures(&dir);
        let out = damo(&dir, &args);
        let (exp_out, exp_rc) = expected(name);
        // a deliberate difference in the written file: NAME.ours.sha256
        let ours = root().join(format!("tests/expected/{name}.ours.sha256"));
        let exp_digest = std::fs::read_to_string(if ours.exists() {
            ours
        } else {
            root().join(format!("tests/expected/{name}.sha256"))
        })
        .expect("sha256");
        let digest = text_digest(&dir.join(file));
        if out.stdout != exp_out || out.status.code() != Some(exp_rc) || digest != exp_digest.trim()
        {
            failures.push(format!(
                "{name}: rc {:?} (want {exp_rc}), output file's text sha256 {digest} (want {}){}{}",
                out.status.code(),
                exp_digest.trim(),
                stdout_diff(&exp_out, &out.stdout),
                if out.stderr.is_empty() {
                    String::new()
                } else {
                    format!("\nstderr: {}", String::from_utf8_lossy(&out.stderr))
                }
            ));
        }
        let _ = std::fs::remove_dir_all(&dir);
        n += 1;
    }
    assert!(n >= 8, "file case table too small");
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

fn tmpdir(tag: &str) -> common::Scratch {
    common::Scratch::new(&format!("cli-{tag}"))
}

/// damo 3.4.3 cannot read JSON records on hosts where file(1) says "JSON
/// text data"; ours must read them like the compressed ones.
#[test]
fn json_records_read_like_compressed_ones() {
    let dir = tmpdir("json");
    let src = root().join("tests/fixtures/multi.data");
    let json = dir.join("multi.json");
    let mut w = FileWriter::create(&json, Format::Json).expect("create");
    RecordFiles::new(&[&src]).read(&mut w).expect("read");
    w.commit(None).expect("commit");
    for (name, args) in cases().iter().filter(|(n, _)| n.starts_with("multi_")) {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a == "multi.data" {
                    json.display().to_string()
                } else {
                    a.clone()
                }
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = damo(&dir, &args);
        assert_eq!(out.stdout, expected(name).0, "case {name} on JSON input");
    }
}

#[test]
fn rewritten_records_round_trip() {
    let dir = tmpdir("roundtrip");
    let params = Params {
        targets: 2,
        snapshots: 30,
        regions: 10,
        intervals: true,
        damos: false,
        seed: 3,
    };
    let mut records = Vec::new();
    for format in [Format::JsonCompressed, Format::Json, Format::PerfScript] {
        let path = dir.join(format!("r.{}", format.name()));
        let mut w = FileWriter::create(&path, format).expect("create");
        generate(&params, &mut w).expect("generate");
        w.commit(None).expect("commit");
        records.push((format, RecordFiles::new(&[&path]).load().expect("load")));
    }
    assert_eq!(
        records[0].1, records[1].1,
        "json and json_compressed differ"
    );
    // perf_script keeps addresses, accesses and ages but not intervals.
    let regions = |r: &Vec<damo::record::Record>| -> Vec<(i128, i128)> {
        r.iter()
            .flat_map(|r| {
                r.snapshots
                    .iter()
                    .flat_map(|s| s.regions.iter().map(|g| (g.start, g.end)))
            })
            .collect()
    };
    assert_eq!(regions(&records[0].1), regions(&records[2].1));
}

/// JSON `text` without white space outside strings, with `comma` and
/// `colon` after each `,` and `:` (Python's `json.dumps` separators).
fn relayout(text: &[u8], comma: &[u8], colon: &[u8]) -> Vec<u8> {
    let (mut out, mut in_str, mut esc) = (Vec::new(), false, false);
    for &c in text {
        if in_str {
            out.push(c);
            (in_str, esc) = (esc || c != b'"', !esc && c == b'\\');
        } else if !c.is_ascii_whitespace() {
            out.push(c);
            in_str = c == b'"';
            match c {
                b',' => out.extend_from_slice(comma),
                b':' => out.extend_from_slice(colon),
                _ => {}
            }
        }
    }
    out
}

/// The same record written in any JSON layout, plain or compressed, gives
/// the same reports: damo's `indent=4`, compact, Python's default
/// separators, other indents, CRLF, keys in another order.
#[test]
fn every_json_layout_gives_the_same_reports() {
    let dir = tmpdir("layouts");
    for fixture in ["multi.data", "damos.data"] {
        let damo_layout = dir.join("damo.json");
        let mut w = FileWriter::create(&damo_layout, Format::Json).expect("create");
        RecordFiles::new(&[&root().join("tests/fixtures").join(fixture)])
            .read(&mut w)
            .expect("read");
        w.commit(None).expect("commit");
        let text = std::fs::read(&damo_layout).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
        let pretty = |indent: &[u8]| {
            let mut out = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
            let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
            serde::Serialize::serialize(&value, &mut ser).unwrap();
            out
        };
        let compact = relayout(&text, b"", b"");
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut zlib, &compact).unwrap();
        let layouts: Vec<(&str, Vec<u8>)> = vec![
            ("compact", compact.clone()),
            ("compact, zlib", zlib.finish().unwrap()),
            ("python's separators", relayout(&text, b" ", b" ")),
            ("CRLF and tabs", relayout(&text, b"\r\n\t\t", b"\t")),
            // (serde_json's Value sorts the keys)
            ("keys sorted, indent 2", pretty(b"  ")),
            ("keys sorted, compact", serde_json::to_vec(&value).unwrap()),
        ];
        let reports: [&[&str]; 6] = [
            &["report", "heatmap", "--output", "raw"],
            &["report", "wss"],
            &["report", "access"],
            &["report", "access", "--style", "temperature-sz-hist"],
            &["report", "nr_regions"],
            &["report", "record_info"],
        ];
        for report in reports {
            let run = |path: &Path| {
                let mut args = report.to_vec();
                let path = path.display().to_string();
                args.extend(["-i", &path]);
                let out = damo(&dir, &args);
                let mut text = out.stdout;
                text.extend(format!("{}\n", out.status).into_bytes());
                text.extend(out.stderr);
                text
            };
            let want = run(&damo_layout);
            for (name, bytes) in &layouts {
                let path = dir.join("other.data");
                std::fs::write(&path, bytes).unwrap();
                let got = run(&path);
                assert!(
                    want == got,
                    "{fixture} as {name}: {report:?}{}",
                    stdout_diff(&want, &got)
                );
            }
        }
    }
}

/// ", stdout differs:" and a diff, or nothing when `got` is `want`.
fn stdout_diff(want: &[u8], got: &[u8]) -> String {
    if want == got {
        return String::new();
    }
    format!(", stdout differs:\n{}", common::diff(want, got, 40))
}

fn assert_clean_failure(out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what}: should fail");
    assert_ne!(out.status.code(), Some(101), "{what}: panicked: {err}");
    assert!(!err.contains("panicked"), "{what}: panicked: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{what}: want one error line, got: {err}"
    );
    assert!(out.stdout.is_empty(), "{what}: printed output on failure");
}

#[test]
fn bad_records_fail_cleanly() {
    let dir = tmpdir("bad");
    let good = std::fs::read(root().join("tests/fixtures/multi.data")).expect("fixture");
    let mut inflated = Vec::new();
    {
        use std::io::Read;
        flate2::read::ZlibDecoder::new(&good[..])
            .read_to_end(&mut inflated)
            .expect("inflate");
    }
    let text = String::from_utf8(inflated).expect("utf8");
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0xff;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated-zlib", good[..good.len() / 2].to_vec()),
        ("bitflip-zlib", flipped),
        (
            "invalid-json",
            b"[{\"target_id\": 1, \"snapshots\": [".to_vec(),
        ),
        (
            "wrong-types",
            text.replacen("\"start\": \"", "\"start\": [\"", 1)
                .into_bytes(),
        ),
        (
            "bad-number",
            text.replacen("\"end_time\": \"", "\"end_time\": \"x", 1)
                .into_bytes(),
        ),
        ("not-a-list", b"{\"a\": 1}".to_vec()),
        ("empty", Vec::new()),
        (
            "garbage-trace",
            b"kdamond.0 1 [000] 1.0: damon:damon_aggregated: target_id=1 nr_regions=1 a-b: 1 2\n"
                .to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        let p = path.display().to_string();
        for args in [
            vec!["report", "heatmap", "-i", &p],
            vec!["report", "heatmap", "-i", &p, "--guide"],
            vec!["report", "wss", "-i", &p],
            vec!["report", "nr_regions", "-i", &p],
            vec!["report", "access", "-i", &p],
            vec![
                "report",
                "access",
                "-i",
                &p,
                "--style",
                "temperature-sz-hist",
            ],
            vec!["report", "access", "-i", &p, "--style", "cold"],
            vec!["report", "access", "-i", &p, "--json"],
            vec!["report", "access", "-i", &p, "--raw_form"],
        ] {
            let out = damo(&dir, &args);
            assert_clean_failure(&out, &format!("{name} {args:?}"));
        }
    }
    let out = damo(&dir, &["report", "heatmap", "-i", "does-not-exist"]);
    assert_clean_failure(&out, "missing file");
    assert!(String::from_utf8_lossy(&out.stderr).contains("does-not-exist"));
}

#[test]
fn bad_options_are_usage_errors() {
    let fixtures = root().join("tests/fixtures");
    for args in [
        vec!["report", "heatmap", "--resol", "1"],
        vec!["report", "heatmap", "--resol", "a", "b"],
        vec!["report", "heatmap", "--draw_range", "middle"],
        vec!["report", "heatmap", "--abs"],
        vec!["report", "wss", "--range", "1", "2"],
        vec!["report", "nosuch"],
        vec!["report"],
        vec![],
        vec!["report", "wss", "--sz_thres", "1MiB"],
    ] {
        let out = damo(&fixtures, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("usage: damo"), "{args:?}: {err}");
        assert!(err.contains("error: "), "{args:?}: {err}");
    }
    for args in [
        vec![
            "report",
            "heatmap",
            "-i",
            "multi.data",
            "--time_range",
            "x",
            "y",
        ],
        vec![
            "report",
            "heatmap",
            "-i",
            "multi.data",
            "--resol",
            "0",
            "10",
        ],
        vec![
            "report",
            "heatmap",
            "-i",
            "multi.data",
            "--resol",
            "10",
            "100000000000",
        ],
        vec!["report", "heatmap", "-i", "multi.data", "--tid", "99"],
        vec![
            "report",
            "wss",
            "-i",
            "multi.data",
            "--range",
            "0",
            "100",
            "0",
        ],
    ] {
        let out = damo(&fixtures, &args);
        assert_clean_failure(&out, &format!("{args:?}"));
    }
}

#[test]
fn images_are_drawn_in_process() {
    let dir = tmpdir("img");
    let input = root().join("tests/fixtures/multi.data");
    let input = input.display().to_string();
    for (file, magic) in [
        ("heat.png", &b"\x89PNG"[..]),
        ("heat.jpeg", &b"\xff\xd8\xff"[..]),
        ("heat.svg", &b"<svg"[..]),
    ] {
        let out = damo(&dir, &["report", "heatmap", "-i", &input, "--output", file]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(dir.join(file)).expect("image written");
        assert!(bytes.starts_with(magic), "{file} is not the right format");
    }
    let out = damo(
        &dir,
        &[
            "report",
            "heatmap",
            "-i",
            &input,
            "--draw_range",
            "all",
            "--output",
            "all.png",
        ],
    );
    assert!(out.status.success());
    assert!(dir.join("all.png").exists() && dir.join("all.1.png").exists());
    for (cmd, file) in [("wss", "wss.svg"), ("nr_regions", "nr.png")] {
        let out = damo(&dir, &["report", cmd, "-i", &input, "--plot", file]);
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(dir.join(file).exists());
    }
    for bad in ["heat.pdf", "heat.gif"] {
        let out = damo(&dir, &["report", "heatmap", "-i", &input, "--output", bad]);
        assert_clean_failure(&out, bad);
        assert!(!dir.join(bad).exists(), "{bad} must not be created");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

/// Every command path of damo 3.4.3 answers --help.
#[test]
fn every_command_has_help() {
    fn walk(spec: &'static damo::cli::spec_types::CmdSpec, out: &mut Vec<&'static str>) {
        out.push(spec.path);
        for c in spec.subcmds {
            walk(c, out);
        }
    }
    let mut paths = Vec::new();
    walk(&damo::cli::spec::CMD_ROOT, &mut paths);
    assert!(
        paths.len() >= 45,
        "command tree incomplete: {}",
        paths.len()
    );
    let dir = root();
    for p in paths {
        let mut args: Vec<&str> = p.split_whitespace().collect();
        args.push("--help");
        let out = damo(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{p} --help");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("usage: damo"), "{p}: {text}");
        // the help topics it points to for the options it leaves out
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for topic in flat.split("'damo help ").skip(1) {
            let topic = topic.split('\'').next().unwrap_or_default();
            let mut args = vec!["help"];
            args.extend(topic.split_whitespace());
            let out = damo(&dir, &args);
            assert_eq!(out.status.code(), Some(0), "{p}: damo help {topic}");
        }
    }
    let start = damo(&dir, &["start", "--help"]);
    assert!(String::from_utf8_lossy(&start.stdout).contains("damo help damon_param_options"));
}

#[test]
fn validate_accepts_the_positional_form() {
    let fixtures = root().join("tests/fixtures");
    let a = damo(
        &fixtures,
        &["validate", "multi.data", "--nr_regions", "3", "10"],
    );
    let b = damo(
        &fixtures,
        &["validate", "-i", "multi.data", "--nr_regions", "3", "10"],
    );
    assert_eq!(a.status.code(), Some(1));
    assert_eq!(a.stdout, b.stdout);
    assert!(String::from_utf8_lossy(&a.stdout).starts_with("invalid: expect 3<=nr_regions<=10"));
}

#[test]
fn tools_leave_no_partial_output() {
    let dir = tmpdir("partial");
    std::fs::write(
        dir.join("bad.data"),
        b"[{\"target_id\": 1, \"snapshots\": [",
    )
    .expect("write");
    for args in [
        vec!["adjust", "-i", "bad.data", "-o", "out.data"],
        vec![
            "convert_record_format",
            "--record_file",
            "bad.data",
            "--format",
            "json",
            "--output_file",
            "out.data",
        ],
        vec![
            "adjust",
            "-i",
            "bad.data",
            "-o",
            "out.data",
            "--output_permission",
            "999",
        ],
        vec![
            "adjust",
            "-i",
            "bad.data",
            "-o",
            "out.data",
            "--address",
            "10",
            "5",
        ],
    ] {
        let out = damo(&dir, &args);
        assert_clean_failure(&out, &format!("{args:?}"));
        let names: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(
            names,
            vec!["bad.data".to_string()],
            "{args:?} left files behind"
        );
    }
    // convert_record_format over its own input keeps the input intact on failure.
    let out = damo(
        &dir,
        &["convert_record_format", "--record_file", "bad.data"],
    );
    assert_clean_failure(&out, "convert in place");
    assert_eq!(
        std::fs::read(dir.join("bad.data")).expect("read"),
        b"[{\"target_id\": 1, \"snapshots\": ["
    );
}

#[test]
fn report_attrs_reads_damon_data_with_its_kdamonds_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    // no record and no DAMON: one error saying what to give
    let out = damo(dir.path(), &["report", "attrs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no record to show"), "{err}");
    // ./damon.data by default, its probes from damon.data.kdamonds
    let fixtures = root().join("tests/fixtures");
    std::fs::copy(fixtures.join("damos.data"), dir.path().join("damon.data")).expect("copy");
    let out = damo(dir.path(), &["report", "attrs", "--total_sz_only"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damon.data.kdamonds file not found"), "{err}");
    std::fs::copy(
        fixtures.join("damos.data.kdamonds"),
        dir.path().join("damon.data.kdamonds"),
    )
    .expect("copy");
    let out = damo(dir.path(), &["report", "attrs"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read(root().join("tests/expected/attrs_default.stdout")).expect("expected");
    assert!(out.stdout == want, "{}", stdout_diff(&want, &out.stdout));
}

#[test]
fn help_topics_completion_and_man_page() {
    let dir = root();
    let out = damo(&dir, &["help", "damon_param_options", "damos"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--damos_action") && !text.contains("--monitoring_intervals "),
        "{text}"
    );
    let out = damo(
        &dir,
        &["help", "access_format_options", "region_format_keywords"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<index>\n"));
    let out = damo(
        &dir,
        &["--cli_complete", "3", "damo", "report", "damon", "--"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("--format"));
    let out = damo(&dir, &["--man"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(".TH DAMO 1"));
    let out = damo(&dir, &["help", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn replay_plays_records_and_refuses_bad_ones() {
    let dir = root().join("tests/fixtures");
    let out = damo(&dir, &["replay", "single.data"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "all snapshots are replayed\n"
    );
    let out = damo(
        &dir,
        &["replay", "damos.data", "--progress_notice_interval", "0"],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.starts_with("supporting only single record for now\n0/12 snapshots replayed in "),
        "{text}"
    );
    for (args, what) in [
        (vec!["replay", "nosuch.data"], "not exists"),
        (vec!["replay", "trace.data"], "no monitoring intervals"),
        (
            vec!["replay", "--test_perf", "--test_perf_sz_mem", "x"],
            "--test_perf_sz_mem",
        ),
    ] {
        let out = damo(&dir, &args);
        assert_clean_failure(&out, what);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(what),
            "{args:?}"
        );
    }
    let out = damo(
        &dir,
        &[
            "replay",
            "--test_perf",
            "--test_perf_sz_mem",
            "4M",
            "--test_perf_runtime",
            "1.5",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("replayer can access "));
}

#[test]
fn report_trace_reads_perf_script_text() {
    let dir = tmpdir("trace-text");
    std::fs::write(
        dir.join("perf.txt"),
        "kdamond.0  129062 [004] 100952.251360: damon:damon_aggregated: target_id=0 nr_regions=1 4096-8192: 3 7\n",
    )
    .expect("write");
    let out = damo(&dir, &["report", "trace", "-i", "perf.txt"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "100952.251360 kdamond.0/129062 damon:damon_aggregated 0 0/1 4.000000 KiB (4.000000 KiB) 3 7\n"
    );
    std::fs::write(dir.join("junk.txt"), "not a trace\n").expect("write");
    let out = damo(&dir, &["report", "trace", "-i", "junk.txt"]);
    assert_clean_failure(&out, "report trace on junk");
    assert!(String::from_utf8_lossy(&out.stderr).contains("perf script -i FILE"));
}

#[test]
fn holistic_and_profile_reports() {
    let dir = root().join("tests/fixtures");
    let out = damo(
        &dir,
        &[
            "report",
            "holistic",
            "--access_pattern",
            "multi.data",
            "--perf_path",
            "/nonexistent",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("# Heatmap\n# target 1, address range "),
        "{text}"
    );
    assert!(
        text.contains("\n# Memory Footprints Distribution\npercentile "),
        "{text}"
    );
    assert!(
        text.contains("\n       wss ") && text.contains("\n  sys_used "),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("hot functions need perf"));
    // without a footprints file those rows are left out, with a note
    let out = damo(
        &dir,
        &[
            "report",
            "holistic",
            "--access_pattern",
            "damos.data",
            "--perf_path",
            "/nonexistent",
        ],
    );
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(" rss "));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no memory footprints"));
    let out = damo(
        &dir,
        &[
            "report",
            "profile",
            "--inputs",
            "damos.data",
            "x.profile",
            "--perf_path",
            "/nonexistent",
        ],
    );
    assert_clean_failure(&out, "profile without perf");
    assert!(String::from_utf8_lossy(&out.stderr).contains("perf report -i x.profile --time "));
    let out = damo(
        &dir,
        &[
            "report",
            "profile",
            "--inputs",
            "damos.data",
            "x",
            "--sz_region",
            "1G",
            "2G",
        ],
    );
    assert_clean_failure(&out, "profile of no snapshot");
}
