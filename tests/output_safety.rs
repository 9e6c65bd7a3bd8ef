//! Writing outputs safely (src/outfile.rs), on scratch directories this
//! test makes itself: symlinks planted at the output and at the names a
//! temporary file could have, missing and read-only directories, a
//! directory at the output path, a full file system, modes and owners
//! kept, and SIGINT/SIGTERM/SIGHUP/SIGKILL in the middle of a write.
//! Parts that need root (mounts, owners) are skipped, and say so, when
//! not run as root or where mounting is not allowed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(tag: &str) -> common::Scratch {
    let d = common::Scratch::new(&format!("outsafety-{tag}"));
    std::fs::copy(root().join("tests/fixtures/multi.data"), d.join("in.data")).unwrap();
    d
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_damo"));
    c.args(args)
        .current_dir(dir)
        .env("DAMO_SYSFS_ROOT", dir.join("no-sysfs"))
        .env("TMPDIR", dir);
    c
}

fn damo(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The commands that write an output file named `OUT`.
fn writers() -> Vec<Vec<&'static str>> {
    let mut v = vec![vec!["adjust", "-i", "in.data", "-o", "OUT"]];
    for format in ["json", "parquet", "ndjson"] {
        v.push(vec![
            "convert_record_format",
            "--record_file",
            "in.data",
            "--format",
            format,
            "--output_file",
            "OUT",
        ]);
    }
    v.extend([
        vec!["report", "heatmap", "-i", "in.data", "--output", "OUT.png"],
        vec!["report", "heatmap", "-i", "in.data", "--output", "OUT.svg"],
        vec!["report", "wss", "-i", "in.data", "--plot", "OUT.png"],
        vec!["args", "damon", "--format", "json", "--out", "OUT"],
    ]);
    v
}

fn with_out<'a>(cmd: &[&'a str], out: &'a str) -> Vec<String> {
    cmd.iter()
        .map(|a| match *a {
            "OUT" => out.to_string(),
            "OUT.png" => format!("{out}.png"),
            "OUT.svg" => format!("{out}.svg"),
            a => a.to_string(),
        })
        .collect()
}

fn run(dir: &Path, args: &[String]) -> Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    damo(dir, &a)
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn one_error_line(o: &Output, must_name: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "succeeded");
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("damo: "), "{err}");
    assert!(err.contains(must_name), "does not name {must_name}: {err}");
}

#[test]
fn planted_symlinks_are_never_followed() {
    let dir = scratch("symlinks");
    let victim = dir.join("victim");
    for cmd in writers() {
        let args = with_out(&cmd, "out");
        let out_name = args.iter().find(|a| a.starts_with("out")).unwrap().clone();
        std::fs::write(&victim, "precious").unwrap();
        let _ = std::fs::remove_file(dir.join(&out_name));
        std::os::unix::fs::symlink(&victim, dir.join(&out_name)).unwrap();
        // every name the old, predictable temporary names could take for
        // the next pids
        let next: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let mut planted = Vec::new();
        for pid in next + 1..next + 50 {
            for n in [
                format!(".{out_name}.tmp-{pid}"),
                format!(".tmp-{pid}-{out_name}"),
            ] {
                std::os::unix::fs::symlink(&victim, dir.join(&n)).unwrap();
                planted.push(n);
            }
        }
        let o = run(&dir, &args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious",
            "{args:?} wrote through a symlink"
        );
        let m = std::fs::symlink_metadata(dir.join(&out_name)).unwrap();
        assert!(
            m.is_file(),
            "{args:?}: the symlink at the output was not replaced"
        );
        for n in planted {
            let m = std::fs::symlink_metadata(dir.join(&n)).unwrap();
            assert!(m.file_type().is_symlink(), "{n} was replaced");
            std::fs::remove_file(dir.join(&n)).unwrap();
        }
        std::fs::remove_file(dir.join(&out_name)).unwrap();
        // nothing else is left behind
        assert_eq!(names(&dir), ["in.data", "victim"], "{args:?}");
    }
}

#[test]
fn completion_script_is_never_written_through_a_symlink() {
    let dir = scratch("completion");
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    for shell in ["bash", "zsh", "fish"] {
        std::os::unix::fs::symlink(&victim, dir.join(format!("damo-completion.{shell}"))).unwrap();
        let o = command(&dir, &["setup_cli_completion"])
            .env("SHELL", format!("/bin/{shell}"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}

#[test]
fn bad_directories_give_one_line_naming_the_output() {
    let dir = scratch("dirs");
    std::fs::create_dir(dir.join("a-directory")).unwrap();
    for cmd in writers() {
        // a missing directory
        let args = with_out(&cmd, "missing/out");
        let o = run(&dir, &args);
        one_error_line(&o, "missing/out");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("does not exist"),
            "{args:?}"
        );
        // a directory at the output path (images get their extension)
        if cmd.contains(&"OUT") {
            let args = with_out(&cmd, "a-directory");
            let o = run(&dir, &args);
            one_error_line(&o, "a-directory");
            assert!(dir.join("a-directory").is_dir());
        }
    }
    assert_eq!(names(&dir), ["a-directory", "in.data"]);
}

#[test]
fn replacing_an_output_keeps_its_mode_and_owner() {
    let dir = scratch("modes");
    // (adjust and convert_record_format default to --output_permission
    // 600, as damo's; that case is below)
    for cmd in writers()
        .into_iter()
        .filter(|c| !matches!(c[0], "adjust" | "convert_record_format"))
    {
        let args = with_out(&cmd, "out");
        let out_name = args.iter().find(|a| a.starts_with("out")).unwrap();
        let out = dir.join(out_name);
        std::fs::write(&out, "old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
        if is_root() {
            std::os::unix::fs::chown(&out, Some(65534), Some(65534)).unwrap();
        }
        let o = run(&dir, &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let m = std::fs::metadata(&out).unwrap();
        assert_eq!(m.mode() & 0o777, 0o640, "{args:?}: mode not kept");
        if is_root() {
            assert_eq!(
                (m.uid(), m.gid()),
                (65534, 65534),
                "{args:?}: owner not kept"
            );
        }
        std::fs::remove_file(&out).unwrap();
    }
    // --output_permission says otherwise
    std::fs::write(dir.join("out"), "old").unwrap();
    std::fs::set_permissions(dir.join("out"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let o = damo(
        &dir,
        &[
            "adjust",
            "-i",
            "in.data",
            "-o",
            "out",
            "--output_permission",
            "600",
        ],
    );
    assert!(o.status.success());
    let m = std::fs::metadata(dir.join("out")).unwrap();
    assert_eq!(m.mode() & 0o777, 0o600);
}

/// A tmpfs of `size` at `at`, with `opts`; `None` where mounting is not
/// allowed (not root, or a container without the right).
fn tmpfs(at: &Path, opts: &str) -> Option<Mount> {
    if !is_root() {
        eprintln!("output_safety: not root, the mount cases are skipped");
        return None;
    }
    std::fs::create_dir_all(at).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
        .arg(at)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("output_safety: cannot mount a tmpfs here, the mount cases are skipped");
        return None;
    }
    Some(Mount(at.to_path_buf()))
}

struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A large record (a million regions) so that writing takes a while.
fn big_record(dir: &Path) -> PathBuf {
    let p = dir.join("big.data");
    let mut text = String::from(
        "[{\"kdamond_idx\": 0, \"context_idx\": 0, \"target_id\": 0, \"intervals\": \
         {\"sample_us\": 5000, \"aggr_us\": 100000, \"ops_update_us\": 1000000}, \"snapshots\": [",
    );
    for s in 0..2_000 {
        if s > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"start_time\": {}, \"end_time\": {}, \"regions\": [",
            s * 100_000_000u64,
            (s + 1) * 100_000_000u64
        ));
        for r in 0..250u64 {
            if r > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                "{{\"start\": {}, \"end\": {}, \"nr_accesses\": {{\"samples\": {}}}, \
                 \"age\": {{\"aggr_intervals\": 3}}}}",
                r * 4096,
                (r + 1) * 4096,
                r % 20
            ));
        }
        text.push_str("]}");
    }
    text.push_str("]}]");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_full_file_system_and_a_read_only_one() {
    let dir = scratch("full");
    let big = big_record(&dir);
    let convert = |format: &str, out: &str| {
        damo(
            &dir,
            &[
                "convert_record_format",
                "--record_file",
                big.to_str().unwrap(),
                "--format",
                format,
                "--output_file",
                out,
            ],
        )
    };
    if let Some(_m) = tmpfs(&dir.join("tiny"), "size=256k") {
        let o = convert("json", "tiny/out.json");
        one_error_line(&o, "tiny/out.json");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("No space left on device"), "{err}");
        assert!(!err.contains("parsing"), "blames the input: {err}");
        assert!(
            names(&dir.join("tiny")).is_empty(),
            "left {:?}",
            names(&dir.join("tiny"))
        );
        let o = damo(
            &dir,
            &[
                "report",
                "heatmap",
                "-i",
                "in.data",
                "--output",
                "tiny/x.svg",
                "--resol",
                "500",
                "500",
            ],
        );
        one_error_line(&o, "tiny/x.svg");
        assert!(names(&dir.join("tiny")).is_empty());
        // the exporter's textfile on a full disk: one line, no temporary
        // left, and the previous file untouched
        let tree = dir.join("tree");
        damo::sysfs::emul::create(&tree, "6.12").unwrap();
        let metrics = |d: &str| {
            command(&dir, &["report", "metrics", "--once", "--dir", d])
                .env("DAMO_SYSFS_ROOT", &tree)
                .output()
                .unwrap()
        };
        assert!(metrics("tiny").status.success());
        let before = std::fs::read(dir.join("tiny/damon.prom")).unwrap();
        let mut fill = std::fs::File::create(dir.join("tiny/fill")).unwrap();
        while std::io::Write::write_all(&mut fill, &[0u8; 4096]).is_ok() {}
        drop(fill);
        let o = metrics("tiny");
        one_error_line(&o, "tiny/damon.prom");
        assert_eq!(names(&dir.join("tiny")), vec!["damon.prom", "fill"]);
        assert_eq!(std::fs::read(dir.join("tiny/damon.prom")).unwrap(), before);
        // (Parquet compresses too well to fill 256 KiB by itself)
        let o = convert("parquet", "tiny/out.parquet");
        one_error_line(&o, "tiny/out.parquet");
        assert_eq!(names(&dir.join("tiny")), vec!["damon.prom", "fill"]);
    }
    if let Some(_m) = tmpfs(&dir.join("ro"), "ro,size=64k") {
        for cmd in writers() {
            let args = with_out(&cmd, "ro/out");
            let o = run(&dir, &args);
            one_error_line(&o, "ro/out");
        }
    }
}

/// Starts a long write of `out` and waits until its temporary file exists.
fn start_long_write(dir: &Path, big: &Path, out: &str) -> std::process::Child {
    let child = command(
        dir,
        &[
            "convert_record_format",
            "--record_file",
            big.to_str().unwrap(),
            "--format",
            "json",
            "--output_file",
            out,
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !names(dir)
        .iter()
        .any(|n| n.starts_with(&format!(".{out}.")) && n.ends_with(".tmp"))
    {
        assert!(Instant::now() < deadline, "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(2));
    }
    child
}

#[test]
fn signals_mid_write_leave_no_temporary_file() {
    let dir = scratch("signals");
    let big = big_record(&dir);
    let before = names(&dir);
    for sig in [
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGTERM,
        nix::sys::signal::Signal::SIGHUP,
    ] {
        let mut child = start_long_write(&dir, &big, "out.json");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, sig).unwrap();
        let st = child.wait().unwrap();
        // ended by the signal (unless it had just finished)
        if !st.success() {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(st.signal(), Some(sig as i32), "{sig}: {st:?}");
            assert_eq!(names(&dir), before, "{sig} left files behind");
        } else {
            let _ = std::fs::remove_file(dir.join("out.json"));
        }
    }
    // SIGKILL cannot be caught: the stale temporary file has a random name
    // and the next run does not mind it
    let mut child = start_long_write(&dir, &big, "out.json");
    child.kill().unwrap();
    child.wait().unwrap();
    let o = damo(
        &dir,
        &[
            "convert_record_format",
            "--record_file",
            "in.data",
            "--format",
            "json",
            "--output_file",
            "out.json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out.json")).unwrap()).unwrap();
    assert!(v.is_array());
}
