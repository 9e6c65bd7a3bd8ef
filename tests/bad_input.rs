//! The bad-input corpus: broken record files, broken kdamonds files and
//! bad option values, all generated here from the committed fixtures, fed
//! to the built binary.
//!
//! Every case must end either in a clean failure (a non-zero exit; one
//! `damo: ...` error line, or argparse's usage text ending with its
//! `error:` line for usage errors; no panic; nothing printed on stdout;
//! no output file or temporary file left behind), or, for inputs that
//! are odd but readable (unknown keys, overlapping regions), in success.
//! The counts are printed and kept in docs/reliability.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmpdir(tag: &str) -> common::Scratch {
    common::Scratch::new(&format!("bad-{tag}"))
}

/// How long one case may run before it counts as a hang.
const HANG: std::time::Duration = std::time::Duration::from_secs(120);

fn damo(dir: &Path, args: &[String]) -> Output {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_damo"))
        .args(args)
        .current_dir(dir)
        // a tree without DAMON, never the machine's
        .env(
            "DAMO_SYSFS_ROOT",
            std::env::temp_dir().join("damo-bad-input-no-sysfs"),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run damo");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    // poll with a deadline: a busy machine is slow, a hang never ends
    let deadline = std::time::Instant::now() + HANG;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let mut stderr = t_err.join().unwrap_or_default();
            stderr.extend_from_slice(b"\nHUNG: killed after the deadline\n");
            return Output {
                // a signal status: counted as a crash below
                status: std::os::unix::process::ExitStatusExt::from_raw(9),
                stdout: t_out.join().unwrap_or_default(),
                stderr,
            };
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    Output {
        status,
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
    }
}

/// What a case may end in.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// A clean failure.
    Fail,
    /// Success or a clean failure (odd but readable input).
    Either,
}

#[derive(Default)]
struct Tally {
    cases: usize,
    failed_cleanly: usize,
    accepted: usize,
    problems: Vec<String>,
}

impl Tally {
    /// Runs `args` in `dir`, where `files` are the only files, and checks
    /// the outcome.
    fn run(&mut self, dir: &Path, files: &[&str], args: &[String], expect: Expect) {
        self.cases += 1;
        let out = damo(dir, args);
        let err = String::from_utf8_lossy(&out.stderr);
        let what = format!("{args:?}");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut want: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        want.sort();
        if out.status.success() {
            if expect == Expect::Fail {
                self.problems
                    .push(format!("{what}: succeeded on bad input"));
            }
            self.accepted += 1;
            if std::env::var_os("DAMO_BAD_INPUT_VERBOSE").is_some() {
                println!("accepted: {what}");
            }
            // an accepted case may write its output; remove it
            for n in &names {
                if !want.contains(n) {
                    let _ = std::fs::remove_file(dir.join(n));
                }
            }
            return;
        }
        self.failed_cleanly += 1;
        let code = out.status.code();
        if std::env::var_os("DAMO_BAD_INPUT_VERBOSE").is_some() {
            let last = err.trim_end().lines().last().unwrap_or_default();
            println!("failed ({code:?}): {what}: {last}");
        }
        // validate reports what is wrong on stdout, as damo does, exit 1
        if args.first().map(String::as_str) == Some("validate")
            && code == Some(1)
            && (err.is_empty() || err.trim_end().lines().count() == 1)
        {
            return;
        }
        if code.is_none() || code == Some(101) || err.contains("panicked") {
            self.problems
                .push(format!("{what}: crashed ({code:?}): {err}"));
        } else if code == Some(2) {
            let last = err.trim_end().lines().last().unwrap_or_default();
            if !err.starts_with("usage: damo") || !last.contains("error: ") {
                self.problems
                    .push(format!("{what}: exit 2 without a usage error: {err}"));
            }
        } else if err.trim_end().lines().count() != 1 || !err.starts_with("damo: ") {
            self.problems
                .push(format!("{what}: want one 'damo: ' error line, got: {err}"));
        }
        if !out.stdout.is_empty() && code != Some(2) {
            // commands that print progress before failing are allowed
            // that; a report must not print half of itself
            let is_report = args.first().map(String::as_str) == Some("report");
            if is_report {
                self.problems.push(format!(
                    "{what}: printed output before failing: {}",
                    String::from_utf8_lossy(&out.stdout)
                ));
            }
        }
        if names != want {
            self.problems
                .push(format!("{what}: left files behind: {names:?}"));
            for n in &names {
                if !want.contains(n) {
                    let _ = std::fs::remove_file(dir.join(n));
                }
            }
        }
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The commands that read a record file, with `F` for the file.
fn record_readers() -> Vec<Vec<String>> {
    [
        "report heatmap -i F",
        "report heatmap -i F --guide",
        "report heatmap -i F --output raw",
        "report heatmap -i F --output out.png",
        "report heatmap -i F --sort_temperature --output raw",
        "report wss -i F",
        "report nr_regions -i F",
        "report record_info -i F",
        "report times --inputs F x",
        "report access -i F",
        "report access -i F --style temperature-sz-hist",
        "report access -i F --raw_form",
        "report holistic --access_pattern F --perf_path /nonexistent",
        "adjust -i F -o out.data",
        "adjust -i F -o out.data --aggregate_interval 1000000",
        "convert_record_format --record_file F --format json --output_file out.data",
        "validate --input F",
        "replay F",
    ]
    .iter()
    .map(|c| c.split(' ').map(String::from).collect())
    .collect()
}

/// The readers run on the many generated cases of `hostile_records`: one
/// command per reading path (heatmap image and text, access, wss, the
/// writers) keeps the corpus fast; replay, which replays in real time, is
/// left out.
fn record_readers_short() -> Vec<Vec<String>> {
    [
        "report heatmap -i F --output out.png",
        "report heatmap -i F --output raw",
        "report access -i F --raw_form",
        "report wss -i F",
        "adjust -i F -o out.data --aggregate_interval 1000000",
        "convert_record_format --record_file F --format perf_script --output_file out.data",
    ]
    .iter()
    .map(|c| c.split(' ').map(String::from).collect())
    .collect()
}

fn inflate(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("inflate fixture");
    String::from_utf8(out).expect("utf8 fixture")
}

fn deflate(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).expect("deflate");
    e.finish().expect("deflate")
}

/// Broken record files, each with whether it must be refused.
fn bad_records() -> Vec<(String, Vec<u8>, Expect)> {
    let good = std::fs::read(root().join("tests/fixtures/multi.data")).expect("fixture");
    let text = inflate(&good);
    let mut v: Vec<(String, Vec<u8>, Expect)> = Vec::new();
    // truncated compressed and plain records, at spread offsets
    for i in 1..8 {
        let at = good.len() * i / 8;
        v.push((format!("zlib-cut-{i}"), good[..at].to_vec(), Expect::Fail));
        let at = text.len() * i / 8;
        v.push((
            format!("json-cut-{i}"),
            text.as_bytes()[..at].to_vec(),
            Expect::Fail,
        ));
    }
    // bit flips in the compressed stream
    for i in 0..6 {
        let mut b = good.clone();
        let at = 2 + (good.len() - 6) * i / 6;
        b[at] ^= 0x55;
        v.push((format!("zlib-flip-{i}"), b, Expect::Fail));
    }
    let json_edits: &[(&str, &str, &str, Expect)] = &[
        (
            "wrong-type-start",
            "\"start\": \"",
            "\"start\": [\"",
            Expect::Fail,
        ),
        (
            "wrong-type-samples",
            "\"samples\": ",
            "\"samples\": \"x",
            Expect::Fail,
        ),
        (
            "null-end",
            "\"end\": \"",
            "\"end\": null, \"x\": \"",
            Expect::Fail,
        ),
        (
            "bad-number",
            "\"end_time\": \"",
            "\"end_time\": \"x",
            Expect::Fail,
        ),
        (
            "negative-start",
            "\"start\": \"",
            "\"start\": \"-",
            Expect::Fail,
        ),
        (
            "huge-number",
            "\"end_time\": \"",
            "\"end_time\": \"99999999999999999999999999999999999999999",
            Expect::Fail,
        ),
        (
            "float-address",
            "\"start\": \"",
            "\"start\": \"1.5e3",
            Expect::Either,
        ),
        (
            "unknown-key",
            "\"snapshots\": [",
            "\"frobnicate\": 42, \"snapshots\": [",
            Expect::Either,
        ),
        (
            "missing-snapshots",
            "\"snapshots\"",
            "\"snapshotz\"",
            Expect::Fail,
        ),
        (
            "missing-regions",
            "\"regions\"",
            "\"regionz\"",
            Expect::Fail,
        ),
    ];
    for (name, from, to, expect) in json_edits {
        assert!(text.contains(from), "fixture lacks {from}");
        let edited = text.replacen(from, to, 1);
        v.push((format!("json-{name}"), edited.clone().into_bytes(), *expect));
        v.push((format!("zlib-{name}"), deflate(&edited), *expect));
    }
    // regions whose end is before their start, and overlapping regions
    let first_region = text.find("\"start\": \"").expect("a region");
    let rest = &text[first_region..];
    let start_val: String = rest["\"start\": \"".len()..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let end_at = rest.find("\"end\": \"").expect("an end") + "\"end\": \"".len();
    let end_val: String = rest[end_at..].chars().take_while(|c| *c != '"').collect();
    let swapped = format!(
        "{}{}",
        &text[..first_region],
        rest.replacen(
            &format!("\"start\": \"{start_val}\""),
            &format!("\"start\": \"{end_val}\""),
            1
        )
        .replacen(
            &format!("\"end\": \"{end_val}\""),
            &format!("\"end\": \"{start_val}\""),
            1
        )
    );
    v.push((
        "json-end-before-start".into(),
        swapped.into_bytes(),
        Expect::Fail,
    ));
    v.push(("json-empty-list".into(), b"[]".to_vec(), Expect::Either));
    v.push((
        "json-not-a-list".into(),
        b"{\"a\": 1}".to_vec(),
        Expect::Fail,
    ));
    v.push(("json-scalar".into(), b"42".to_vec(), Expect::Fail));
    v.push((
        "json-deep".into(),
        "[".repeat(100_000).into_bytes(),
        Expect::Fail,
    ));
    v.push(("empty".into(), Vec::new(), Expect::Fail));
    v.push((
        "binary-noise".into(),
        (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(),
        Expect::Fail,
    ));
    v.push(("huge-spaces".into(), vec![b' '; 8 << 20], Expect::Fail));
    // perf script text that is malformed
    let line = "kdamond.0  4242 [001] 100.000000: damon:damon_aggregated: target_id=0 nr_regions=1 4096-8192: 3 7\n";
    let perf: &[(&str, String, Expect)] = &[
        ("perf-good", line.to_string(), Expect::Either),
        (
            "perf-bad-range",
            line.replace("4096-8192", "a-b"),
            Expect::Fail,
        ),
        (
            "perf-no-range-sep",
            line.replace("4096-8192", "40968192"),
            Expect::Fail,
        ),
        (
            "perf-bad-samples",
            line.replace(": 3 7", ": x 7"),
            Expect::Fail,
        ),
        (
            "perf-missing-fields",
            line.replace("nr_regions=1 4096-8192: 3 7", ""),
            Expect::Fail,
        ),
        (
            "perf-bad-time",
            line.replace("100.000000:", "1x0:"),
            Expect::Fail,
        ),
        (
            "perf-end-before-start",
            line.replace("4096-8192", "8192-4096"),
            Expect::Fail,
        ),
        (
            "perf-negative",
            line.replace("target_id=0", "target_id=-1"),
            Expect::Either,
        ),
        (
            "perf-unknown-event",
            line.replace("damon_aggregated", "damon_frob"),
            Expect::Fail,
        ),
        (
            "perf-overflow",
            line.replace("4096-8192", "4096-999999999999999999999999999999"),
            Expect::Fail,
        ),
    ];
    for (name, text, expect) in perf {
        v.push((name.to_string(), text.clone().into_bytes(), *expect));
    }
    hostile_records(&text, line, &mut v);
    v
}

/// `text` with the value after the first `"field": ` replaced by `to`
/// (a quoted value may hold commas).
fn set_field(text: &str, field: &str, to: &str) -> Option<String> {
    let key = format!("\"{field}\": ");
    let at = text.find(&key)? + key.len();
    let rest = &text[at..];
    let len = if let Some(q) = rest.strip_prefix('"') {
        q.find('"')? + 2
    } else {
        rest.find([',', '\n', '}'])?
    };
    Some(format!("{}{to}{}", &text[..at], &rest[len..]))
}

/// Every numeric field of a record, as damo writes them.
const NUMERIC_FIELDS: &[&str] = &[
    "kdamond_idx",
    "context_idx",
    "sample_us",
    "aggr_us",
    "ops_update_us",
    "access_bp",
    "aggrs",
    "min_sample_us",
    "max_sample_us",
    "target_id",
    "start_time",
    "end_time",
    "start",
    "end",
    "samples",
    "percent",
    "usec",
    "aggr_intervals",
    "sz_filter_passed",
    "total_bytes",
    "sample_interval_us",
];

/// The classes of issue 14: non-finite, huge and negative numbers in every
/// numeric field, non-ASCII and invalid UTF-8 in every text format,
/// duplicate keys, deep nesting and inflate bombs.
fn hostile_records(text: &str, line: &str, v: &mut Vec<(String, Vec<u8>, Expect)>) {
    // non-finite numbers are refused wherever they stand; huge, negative
    // and fractional ones may be read where the field allows them, and
    // must then write and read back (accepted_records_round_trip)
    let values: &[(&str, &str, Expect)] = &[
        ("nan-text", "\"NaN\"", Expect::Fail),
        ("inf-text", "\"Infinity\"", Expect::Fail),
        ("neg-inf-text", "\"-Infinity\"", Expect::Fail),
        ("overflow-text", "\"1e400\"", Expect::Fail),
        ("nan-token", "NaN", Expect::Fail),
        ("inf-token", "Infinity", Expect::Fail),
        ("huge", "1e300", Expect::Either),
        ("minus-one", "-1", Expect::Either),
        ("fraction", "2.5", Expect::Either),
        ("u64-max", "18446744073709551615", Expect::Either),
        ("two-pow-64", "\"18446744073709551616\"", Expect::Either),
    ];
    for field in NUMERIC_FIELDS {
        for (vname, val, expect) in values {
            let edited = set_field(text, field, val)
                .unwrap_or_else(|| panic!("the fixture has no field {field}"));
            v.push((format!("num-{field}-{vname}"), edited.into_bytes(), *expect));
        }
    }
    // compressed too, for a few
    for field in ["samples", "end_time", "aggr_us"] {
        if let Some(e) = set_field(text, field, "\"Infinity\"") {
            v.push((format!("zlib-num-{field}-inf"), deflate(&e), Expect::Fail));
        }
    }
    // non-ASCII and invalid UTF-8 in JSON
    let json_text: &[(&str, String, Expect)] = &[
        (
            "json-utf8-source",
            text.replacen(
                "\"snapshots\": [",
                "\"data_source\": \"d\u{e4}mon \u{1F600}\", \"snapshots\": [",
                1,
            ),
            Expect::Either,
        ),
        (
            "json-utf8-key",
            text.replacen(
                "\"snapshots\": [",
                "\"sn\u{e4}pshots\": 1, \"snapshots\": [",
                1,
            ),
            Expect::Either,
        ),
        (
            "json-utf8-number",
            set_field(text, "start", "\"4,096\u{e9}\"").expect("start"),
            Expect::Fail,
        ),
        (
            "json-fullwidth-digits",
            set_field(text, "end", "\"\u{ff11}\u{ff10}\"").expect("end"),
            Expect::Fail,
        ),
        (
            "json-utf8-time",
            set_field(text, "end_time", "\"1 \u{b5}s\"").expect("end_time"),
            Expect::Fail,
        ),
    ];
    for (name, t, expect) in json_text {
        v.push((name.to_string(), t.clone().into_bytes(), *expect));
        v.push((name.replace("json-", "zlib-"), deflate(t), *expect));
    }
    let mut bad_utf8 = text
        .replacen(
            "\"snapshots\": [",
            "\"data_source\": \"x\u{1}\", \"snapshots\": [",
            1,
        )
        .into_bytes();
    if let Some(at) = bad_utf8.iter().position(|b| *b == 1) {
        bad_utf8[at] = 0xff;
    }
    v.push(("json-invalid-utf8".into(), bad_utf8.clone(), Expect::Fail));
    // duplicate keys at every level
    let dups: &[(&str, &str, &str, Expect)] = &[
        (
            "record-snapshots",
            "\"snapshots\": [",
            "\"snapshots\": [], \"snapshots\": [",
            Expect::Fail,
        ),
        (
            "record-target",
            "\"target_id\": ",
            "\"target_id\": 5, \"target_id\": ",
            Expect::Fail,
        ),
        (
            "snapshot-regions",
            "\"regions\": [",
            "\"regions\": [], \"regions\": [",
            Expect::Either,
        ),
        (
            "region-start",
            "\"start\": ",
            "\"start\": \"0\", \"start\": ",
            Expect::Either,
        ),
    ];
    for (name, from, to, expect) in dups {
        let t = text.replacen(from, to, 1);
        v.push((format!("json-dup-{name}"), t.clone().into_bytes(), *expect));
        v.push((format!("zlib-dup-{name}"), deflate(&t), *expect));
    }
    // deep nesting inside a record, a snapshot and a region
    let deep = format!("{}1{}", "[".repeat(50_000), "]".repeat(50_000));
    for (name, from) in [
        ("record", "\"snapshots\": ["),
        ("snapshot", "\"regions\": ["),
        ("region", "\"start\": "),
    ] {
        let t = text.replacen(from, &format!("\"deep\": {deep}, {from}"), 1);
        v.push((format!("json-deep-{name}"), t.into_bytes(), Expect::Either));
    }
    let objs = format!("{}1{}", "{\"a\": ".repeat(50_000), "}".repeat(50_000));
    v.push((
        "json-deep-objects".into(),
        text.replacen(
            "\"snapshots\": [",
            &format!("\"deep\": {objs}, \"snapshots\": ["),
            1,
        )
        .into_bytes(),
        Expect::Either,
    ));
    // inflate bombs: 64 MiB of white space, a million empty snapshots
    v.push((
        "zlib-bomb-spaces".into(),
        deflate(&" ".repeat(64 << 20)),
        Expect::Fail,
    ));
    let empty = "{\"start_time\": 1, \"end_time\": 1, \"regions\": []}, ".repeat(1 << 20);
    v.push((
        "zlib-bomb-empty-snapshots".into(),
        deflate(&format!(
            "[{{\"kdamond_idx\": 0, \"context_idx\": 0, \"target_id\": 0, \"snapshots\": [{empty}\
             {{\"start_time\": 1, \"end_time\": 1, \"regions\": []}}]}}]"
        )),
        Expect::Either,
    ));
    // many records of one snapshot each (guide and per-target lookups
    // must not be quadratic: 100,000 records took minutes before)
    let mut many = String::from("[");
    for i in 0..100_000 {
        if i > 0 {
            many.push(',');
        }
        many.push_str(&format!(
            "{{\"target_id\": {i}, \"snapshots\": [{{\"start_time\": 1, \"end_time\": 2, \
             \"regions\": [{{\"start\": 0, \"end\": 4096, \"nr_accesses\": {{\"samples\": 1}}, \
             \"age\": {{\"aggr_intervals\": 1}}}}]}}]}}"
        ));
    }
    many.push(']');
    v.push((
        "zlib-bomb-many-records".into(),
        deflate(&many),
        Expect::Either,
    ));
    // non-ASCII and invalid UTF-8 in trace text, in every field
    let fields: Vec<&str> = line.split(' ').filter(|f| !f.is_empty()).collect();
    for (i, f) in fields.iter().enumerate() {
        for (cname, c) in [
            ("2byte", "\u{e4}"),
            ("3byte", "\u{20ac}"),
            ("4byte", "\u{1F600}"),
        ] {
            // at the end of the field (where damo cuts a ':'), and before it
            let at_end = line.replacen(f, &format!("{f}{c}"), 1);
            let inside = line.replacen(f, &format!("{c}{f}"), 1);
            v.push((
                format!("perf-utf8-{i}-{cname}-end"),
                at_end.into_bytes(),
                Expect::Either,
            ));
            v.push((
                format!("perf-utf8-{i}-{cname}-start"),
                inside.into_bytes(),
                Expect::Either,
            ));
        }
    }
    let mut bad = line.as_bytes().to_vec();
    bad.insert(3, 0xff);
    v.push(("perf-invalid-utf8".into(), bad, Expect::Fail));
    let mut two = format!("{line}{line}").into_bytes();
    two.insert(line.len() + 2, 0xc3);
    v.push(("perf-invalid-utf8-second-line".into(), two, Expect::Fail));
    // perf_script numbers at their edges
    for (name, from, to, expect) in [
        (
            "perf-samples-max",
            ": 3 7",
            ": 9223372036854775807 7",
            Expect::Either,
        ),
        (
            "perf-samples-over",
            ": 3 7",
            ": 9223372036854775808 7",
            Expect::Fail,
        ),
        ("perf-samples-neg", ": 3 7", ": -2 7", Expect::Fail),
        ("perf-age-neg", ": 3 7", ": 3 -5", Expect::Fail),
        (
            "perf-addr-max",
            "4096-8192",
            "4096-18446744073709551615",
            Expect::Either,
        ),
        ("perf-time-nan", "100.000000:", "nan:", Expect::Fail),
        ("perf-time-inf", "100.000000:", "inf:", Expect::Fail),
        ("perf-time-huge", "100.000000:", "1e300:", Expect::Fail),
        (
            "perf-time-neg",
            "100.000000:",
            "-100.000000:",
            Expect::Either,
        ),
        (
            "perf-tid-huge",
            "target_id=0",
            "target_id=99999999999999999999999",
            Expect::Fail,
        ),
    ] {
        v.push((
            name.to_string(),
            line.replace(from, to).into_bytes(),
            expect,
        ));
    }
}

#[test]
fn bad_records_fail_cleanly_everywhere() {
    let dir = tmpdir("records");
    let mut t = Tally::default();
    let (full, short) = (record_readers(), record_readers_short());
    for (name, bytes, expect) in bad_records() {
        std::fs::write(dir.join(&name), &bytes).expect("write");
        let hostile = [
            "num-",
            "perf-utf8-",
            "zlib-num-",
            "json-dup-",
            "zlib-dup-",
            "json-deep-",
        ]
        .iter()
        .any(|p| name.starts_with(p))
            || name.contains("bomb");
        for cmd in if hostile { &short } else { &full } {
            let args: Vec<String> = cmd
                .iter()
                .map(|a| if a == "F" { name.clone() } else { a.clone() })
                .collect();
            // validate and replay report bad records their own way: both
            // fail cleanly too
            t.run(&dir, &[name.as_str()], &args, expect);
        }
        std::fs::remove_file(dir.join(&name)).expect("rm");
    }
    report("records", &t);
}

/// Bad option values, per command.
fn bad_options() -> Vec<Vec<String>> {
    let i = "-i multi.data";
    [
        format!("report heatmap {i} --resol 0 10"),
        format!("report heatmap {i} --resol -1 10"),
        format!("report heatmap {i} --resol 10 99999999999999"),
        format!("report heatmap {i} --time_range x y"),
        format!("report heatmap {i} --time_range 5s 1s 2s 3s"),
        format!("report heatmap {i} --address_range 1x 2"),
        format!("report heatmap {i} --tid 99"),
        format!("report heatmap {i} --output out.xyz"),
        format!("report wss {i} --range 0 100 0"),
        format!("report wss {i} --range a b c"),
        format!("report wss {i} --acc_thres x"),
        // accepted as damo accepts them (meaningless, harmless)
        format!("? report wss {i} --work_time -1"),
        format!("report nr_regions {i} --range 1 2"),
        format!("report access {i} --sz_region 1X 2"),
        format!("report access {i} --access_rate 10 x%"),
        format!("report access {i} --age 1q 2"),
        format!("report access {i} --address 10 5"),
        format!("report access {i} --snapshot_time a b"),
        format!("report access {i} --snapshot_idx 1 x"),
        format!("report access {i} --temperature x 1"),
        format!("report access {i} --style nosuch"),
        format!("report access {i} --format set nosuch <size>"),
        format!("report access {i} --format set region <nosuch>"),
        format!("report access {i} --style recency-percentiles --percentiles_range 0 101 0"),
        format!("report access {i} --style simple-boxes --region_box_values none none none"),
        format!("report access {i} --snapshot_heatmap_width -5"),
        format!("report access {i} --temperature_weights 1 2"),
        "report footprints -i multi.data --range 0 101 0".to_string(),
        "report footprints -i multi.data --metric nosuch".to_string(),
        format!("adjust {i} -o out.data --aggregate_interval x"),
        format!("? adjust {i} -o out.data --skip -1"),
        format!("adjust {i} -o out.data --output_permission 999"),
        format!("adjust {i} -o out.data --address 10 5"),
        "convert_record_format --record_file multi.data --format nosuch".to_string(),
        "validate --input multi.data --aggr 5 x".to_string(),
        "replay multi.data --progress_notice_interval x".to_string(),
        "replay --test_perf --test_perf_sz_mem -1".to_string(),
        "replay --test_perf --test_perf_runtime x".to_string(),
        "args damon --sample x".to_string(),
        // args damon only prints parameters; the kernel refuses these at
        // start (tests/sysfs.rs), as it does for damo
        "? args damon --aggr -5".to_string(),
        "? args damon --monitoring_nr_regions_range 10 5".to_string(),
        "args damon --damos_action nosuch".to_string(),
        "args damon --damos_access_rate 0% 101%".to_string(),
        "args damon --damos_sz_region 1X 2".to_string(),
        "args damon --damos_age x 1s".to_string(),
        "args damon --damos_quotas 1x 2 3".to_string(),
        "args damon --damos_quotas 10ms 1G 1s 1 2".to_string(),
        "args damon --damos_wmarks nosuch 1 2 3 4".to_string(),
        "args damon --damos_filter allow nosuch".to_string(),
        "args damon --damos_quota_goal nosuch 1".to_string(),
        "args damon --regions 10-5".to_string(),
        "args damon --regions x-y".to_string(),
        "args damon 0x".to_string(),
        "args damon --nr_targets x".to_string(),
        "args accesses_filter --address 100 0".to_string(),
        "args accesses_filter --sz_region x 1".to_string(),
        "args accesses_format --format set region <nosuch>".to_string(),
        "module stat read --input_idle_time_percentiles 1".to_string(),
        "module stat read --input_idle_time_percentiles x 1".to_string(),
        "module stat read --idle_time_percentiles_range 0 200 1".to_string(),
        "reclaim enable --quota 1 x 3".to_string(),
        "reclaim frob".to_string(),
        "report trace -i multi.data".to_string(),
        "report trace --max_cols x".to_string(),
        "help nosuch".to_string(),
    ]
    .iter()
    .map(|c| c.split(' ').map(String::from).collect())
    .collect()
}

#[test]
fn bad_option_values_fail_cleanly() {
    let dir = tmpdir("options");
    let fixture = root().join("tests/fixtures/multi.data");
    std::fs::copy(&fixture, dir.join("multi.data")).expect("copy");
    std::fs::copy(
        root().join("tests/fixtures/multi.data.mem_footprint"),
        dir.join("multi.data.mem_footprint"),
    )
    .expect("copy");
    // a fake DAMON_STAT for the module stat cases
    let mut t = Tally::default();
    for mut args in bad_options() {
        let expect = if args.first().map(String::as_str) == Some("?") {
            args.remove(0);
            Expect::Either
        } else {
            Expect::Fail
        };
        t.run(
            &dir,
            &["multi.data", "multi.data.mem_footprint"],
            &args,
            expect,
        );
    }
    report("option values", &t);
}

/// kdamonds files (`args damon FILE`, `--kdamonds`) with missing or wrong
/// fields.
fn bad_kdamonds() -> Vec<(String, String)> {
    let good =
        std::fs::read_to_string(root().join("tests/fixtures/kdamonds.json")).expect("fixture");
    let mut v = Vec::new();
    let edits: &[(&str, &str, &str)] = &[
        ("no-contexts", "\"contexts\"", "\"contextz\""),
        ("ops-number", "\"ops\": \"vaddr\"", "\"ops\": 5"),
        ("pid-string", "\"pid\": 42", "\"pid\": \"x\""),
        (
            "interval-bad",
            "\"sample_us\": \"5 ms\"",
            "\"sample_us\": \"5 parsecs\"",
        ),
        (
            "interval-list",
            "\"sample_us\": \"5 ms\"",
            "\"sample_us\": [5]",
        ),
        ("targets-object", "\"targets\": [", "\"targets\": {\"a\": ["),
    ];
    for (name, from, to) in edits {
        assert!(good.contains(from), "kdamonds fixture lacks {from}");
        v.push((format!("{name}.json"), good.replacen(from, to, 1)));
    }
    v.push(("truncated.json".into(), good[..good.len() / 2].to_string()));
    v.push(("empty.json".into(), String::new()));
    v.push(("list.json".into(), "[1, 2]".into()));
    v.push(("bad.yaml".into(), "kdamonds:\n  - contexts: [\n".into()));
    v.push((
        "wrong.yaml".into(),
        "kdamonds:\n  - contexts:\n      - ops: [1]\n".into(),
    ));
    v.push(("scalar.yaml".into(), "42\n".into()));
    v
}

#[test]
fn bad_kdamonds_files_fail_cleanly() {
    let dir = tmpdir("kdamonds");
    let mut t = Tally::default();
    for (name, text) in bad_kdamonds() {
        std::fs::write(dir.join(&name), &text).expect("write");
        for args in [
            s(&["args", "damon", &name]),
            s(&["args", "damon", "--kdamonds", &name]),
            s(&["report", "damon", "--input_file", &name]),
        ] {
            t.run(&dir, &[name.as_str()], &args, Expect::Fail);
        }
        std::fs::remove_file(dir.join(&name)).expect("rm");
    }
    report("kdamonds files", &t);
}

fn report(what: &str, t: &Tally) {
    println!(
        "bad input ({what}): {} cases, {} failed cleanly, {} accepted",
        t.cases, t.failed_cleanly, t.accepted
    );
    assert!(
        t.problems.is_empty(),
        "{} of {} {what} cases misbehaved:\n{}",
        t.problems.len(),
        t.cases,
        t.problems.join("\n")
    );
}

/// The (start, end) of every region of a JSON record file, sorted.
fn region_spans(path: &Path) -> Vec<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON output");
    let mut spans = Vec::new();
    for r in v.as_array().expect("a list of records") {
        for s in r["snapshots"].as_array().expect("snapshots") {
            for g in s["regions"].as_array().expect("regions") {
                spans.push((g["start"].to_string(), g["end"].to_string()));
            }
        }
    }
    spans.sort();
    spans
}

/// The rule of record::Checked: every record a reader accepts is one every
/// writer can write and every reader reads back.  For each accepted case
/// of the corpus and each fixture: to JSON (A); A to json_compressed and
/// back, and A to JSON again, give A byte for byte; to perf_script either
/// writes a file that reads back with the same regions, or is refused
/// with the one error that names what trace text cannot hold.
#[test]
fn accepted_records_round_trip() {
    let dir = tmpdir("round-trip");
    let mut cases: Vec<(String, Vec<u8>)> = bad_records()
        .into_iter()
        .filter(|(_, _, e)| *e == Expect::Either)
        .map(|(n, b, _)| (n, b))
        .collect();
    for f in std::fs::read_dir(root().join("tests/fixtures")).expect("fixtures") {
        let p = f.expect("entry").path();
        if p.extension().is_some_and(|e| e == "data") {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            cases.push((name, std::fs::read(&p).expect("fixture")));
        }
    }
    let convert = |from: &str, format: &str, to: &str| {
        damo(
            &dir,
            &s(&[
                "convert_record_format",
                "--record_file",
                from,
                "--format",
                format,
                "--output_file",
                to,
            ]),
        )
    };
    let (mut read, mut refused_by_reader, mut perf_refused) = (0, 0, 0);
    let mut problems = Vec::new();
    for (name, bytes) in &cases {
        std::fs::write(dir.join("in.data"), bytes).expect("write");
        for f in ["a.json", "b.data", "c.json", "d.json", "p.txt", "q.json"] {
            let _ = std::fs::remove_file(dir.join(f));
        }
        let out = convert("in.data", "json", "a.json");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            // the reader's refusal names the input; anything else is a
            // writer that could not write what was read
            if err.starts_with("damo: parsing in.data failed") {
                refused_by_reader += 1;
            } else {
                problems.push(format!("{name}: read, but not written as JSON: {err}"));
            }
            continue;
        }
        read += 1;
        let a = std::fs::read(dir.join("a.json")).expect("a.json");
        for (fmt, mid) in [("json_compressed", "b.data"), ("json", "d.json")] {
            let o = convert("a.json", fmt, mid);
            let back = if fmt == "json" {
                o
            } else {
                convert(mid, "json", "c.json")
            };
            let got = std::fs::read(dir.join(if fmt == "json" { mid } else { "c.json" }));
            if !back.status.success() || got.as_deref().ok() != Some(&a[..]) {
                problems.push(format!(
                    "{name}: {fmt} does not read back as the same record: {}",
                    String::from_utf8_lossy(&back.stderr)
                ));
            }
        }
        let p = convert("in.data", "perf_script", "p.txt");
        if !p.status.success() {
            let e = String::from_utf8_lossy(&p.stderr);
            if e.contains("the perf_script format cannot hold") && e.lines().count() == 1 {
                perf_refused += 1;
            } else {
                problems.push(format!("{name}: perf_script writer failed: {e}"));
            }
            continue;
        }
        let q = convert("p.txt", "json", "q.json");
        if !q.status.success() {
            problems.push(format!(
                "{name}: the perf_script output does not read back: {}",
                String::from_utf8_lossy(&q.stderr)
            ));
        } else if region_spans(&dir.join("q.json")) != region_spans(&dir.join("a.json")) {
            problems.push(format!("{name}: perf_script changed the regions"));
        }
    }
    println!(
        "round trip: {} cases, {read} read and written back in every format \
         ({perf_refused} refused by the perf_script writer), {refused_by_reader} refused \
         by the reader",
        cases.len()
    );
    assert!(read > 20, "too few accepted records to test the rule");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
