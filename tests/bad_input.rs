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

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("damo-bad-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tmpdir");
    d
}

fn damo(dir: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_damo"))
        .args(args)
        .current_dir(dir)
        // a tree without DAMON, never the machine's
        .env(
            "DAMO_SYSFS_ROOT",
            std::env::temp_dir().join("damo-bad-input-no-sysfs"),
        )
        .output()
        .expect("run damo")
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
    v
}

#[test]
fn bad_records_fail_cleanly_everywhere() {
    let dir = tmpdir("records");
    let mut t = Tally::default();
    for (name, bytes, expect) in bad_records() {
        std::fs::write(dir.join(&name), &bytes).expect("write");
        for cmd in record_readers() {
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
