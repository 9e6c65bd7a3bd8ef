//! The kdamond layer on fake DAMON trees: each test makes a tree standing
//! for /sys of a kernel version (`damo::sysfs::emul`), runs the built
//! `damo` on it through `DAMO_SYSFS_ROOT`, and checks the resulting files,
//! the output and the errors.  Nothing here touches the machine's DAMON:
//! every run sets DAMO_SYSFS_ROOT.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Output};

struct Tree {
    root: PathBuf,
}

impl Tree {
    fn new(tag: &str, version: &str) -> Tree {
        let root = std::env::temp_dir().join(format!("damo-sysfs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        damo::sysfs::emul::create(&root, version).expect("fake tree");
        Tree { root }
    }

    /// damo with `args` on this tree, for callers that add to it (a
    /// directory, other roots, a write trace).
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_damo"));
        c.args(args)
            .env("DAMO_SYSFS_ROOT", &self.root)
            .env_remove("DAMO_SYSFS_TRACE");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run damo")
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        succeeded(args, self.run(args))
    }

    /// Runs and expects exit status 1 with one error line; returns it.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(1), "damo {args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(err.lines().count(), 1, "one error line: {err}");
        assert!(!err.contains("panicked"), "{err}");
        err
    }

    /// Starts damo in the background, stdout captured.
    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn damo")
    }

    /// Polls until the file holds `want` (30 s deadline).
    fn wait_for(&self, rel: &str, want: &str) {
        self.wait_until(&format!("{rel} to be '{want}'"), || {
            std::fs::read_to_string(self.kd(rel))
                .unwrap_or_default()
                .trim()
                == want
        });
    }

    /// Polls `done` until it holds, failing after a generous deadline (the
    /// tool may be slow on a busy machine; never assume its timing).
    fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        poll_until(what, &mut done);
    }

    fn kd(&self, rel: &str) -> PathBuf {
        self.root.join("kernel/mm/damon/admin/kdamonds").join(rel)
    }

    fn get(&self, rel: &str) -> String {
        std::fs::read_to_string(self.kd(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .trim()
            .to_string()
    }

    fn set_fail(&self, rel: &str, errno: &str) {
        let marker = self.root.join(".damo-fake-kernel");
        let mut t = std::fs::read_to_string(&marker).expect("marker");
        t.push_str(&format!(
            "fail kernel/mm/damon/admin/kdamonds/{rel} {errno}\n"
        ));
        std::fs::write(marker, t).expect("marker");
    }
}

/// Expects `out` of damo `args` to be a success; returns its stdout.
fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "damo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A process to monitor; killed when dropped.
struct Proc(Child);

impl Proc {
    fn new() -> Proc {
        Proc(Command::new("sleep").arg("600").spawn().expect("sleep"))
    }
    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn start_report_tune_stop_on_6_18() {
    let t = Tree::new("cycle", "6.18");
    let p = Proc::new();
    let pid = p.pid();
    t.ok(&[
        "start",
        &pid,
        "--damos_action",
        "pageout",
        "--damos_access_rate",
        "0%",
        "0%",
        "--damos_sz_region",
        "4K",
        "max",
        "--damos_age",
        "60s",
        "max",
    ]);
    assert_eq!(t.get("0/state"), "on");
    assert_eq!(t.get("0/contexts/0/operations"), "vaddr");
    assert_eq!(t.get("0/contexts/0/targets/0/pid_target"), pid);
    assert_eq!(t.get("0/contexts/0/schemes/0/action"), "pageout");
    // 60 s in 100 ms aggregation intervals
    assert_eq!(
        t.get("0/contexts/0/schemes/0/access_pattern/age/min"),
        "600"
    );
    assert_eq!(
        t.get("0/contexts/0/schemes/0/access_pattern/nr_accesses/max"),
        "0"
    );

    // damo 3.4.3's output for the same state (sysfs-traces/05)
    let report = t.ok(&["report", "damon"]);
    let expected = format!(
        "kdamond 0\n    state: on, pid: 4242\n    context 0\n        ops: vaddr\n        \
         target 0\n            pid: {pid}\n        intervals: sample 5 ms, aggr 100 ms, update 1 s\n        \
         nr_regions: [10, 1,000]\n        scheme 0\n            action: pageout per aggr interval\n"
    );
    assert!(report.starts_with(&expected), "{report}");
    assert!(report.contains(
        "                age: [600 aggr_intervals, 184,467,440,737,095 aggr_intervals]\n"
    ));
    assert!(report.ends_with("            tried regions (0 B)\n        access sample control\n        enabled primitives: page_table\n"));

    let json = t.ok(&["report", "damon", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v[0]["state"], "on");
    assert_eq!(v[0]["contexts"][0]["schemes"][0]["stats"]["nr_tried"], "0");

    t.ok(&[
        "tune",
        &pid,
        "--damos_action",
        "pageout",
        "--damos_quotas",
        "100ms",
        "1G",
        "1s",
    ]);
    assert_eq!(t.get("0/contexts/0/schemes/0/quotas/ms"), "100");
    assert_eq!(t.get("0/contexts/0/schemes/0/quotas/bytes"), "1073741824");

    // damo 3.4.3 commits quota goals without writing them; ours writes them
    t.ok(&[
        "tune",
        "--quota_goals_only",
        &pid,
        "--damos_action",
        "pageout",
        "--damos_quotas",
        "100ms",
        "1G",
        "1s",
        "--damos_quota_goal",
        "user_input",
        "10000",
        "5000",
    ]);
    assert_eq!(t.get("0/contexts/0/schemes/0/quotas/goals/nr_goals"), "1");
    assert_eq!(
        t.get("0/contexts/0/schemes/0/quotas/goals/0/target_value"),
        "10000"
    );
    assert_eq!(
        t.get("0/contexts/0/schemes/0/quotas/goals/0/current_value"),
        "5000"
    );

    let err = t.fails(&["start", &pid]);
    assert!(
        err.contains("kdamond 0 is already running (pid 4242)"),
        "{err}"
    );

    t.ok(&["stop"]);
    assert_eq!(t.get("0/state"), "off");
    let err = t.fails(&["stop"]);
    assert!(err.contains("DAMON is not turned on"), "{err}");
    let err = t.fails(&["tune", &pid]);
    assert!(err.contains("DAMON is not turned on"), "{err}");
}

/// Every DAMOS knob of the newest kernels reaches its file: a parsed
/// option that never got to the kernel (`--damos_max_nr_snapshots` once)
/// fails here.
#[test]
fn the_newest_scheme_knobs_reach_the_kernel() {
    let t = Tree::new("knobs73", "7.3");
    t.ok(&[
        "start",
        "--ops",
        "paddr",
        "--refresh_stat",
        "1000",
        "--damon_addr_unit",
        "4096",
        "--damos_action",
        "stat",
        "--damos_max_nr_snapshots",
        "7",
        "--damos_quota_fail_charge_ratio",
        "1",
        "4",
    ]);
    let s = "0/contexts/0/schemes/0";
    assert_eq!(t.get(&format!("{s}/stats/max_nr_snapshots")), "7");
    assert_eq!(t.get(&format!("{s}/quotas/fail_charge_num")), "1");
    assert_eq!(t.get(&format!("{s}/quotas/fail_charge_denom")), "4");
    assert_eq!(t.get("0/contexts/0/addr_unit"), "4096");
    assert_eq!(t.get("0/refresh_ms"), "1000");
    t.ok(&["stop"]);
    let err = t.fails(&[
        "start",
        "--damos_action",
        "stat",
        "--damos_max_nr_snapshots",
        "7",
        "--damos_max_nr_snapshots",
        "8",
    ]);
    assert!(err.contains("too much --damos_max_nr_snapshots"), "{err}");
}

#[test]
fn filters_go_where_the_kernel_keeps_them() {
    for (version, dir) in [("6.12", "filters"), ("6.18", "ops_filters")] {
        let t = Tree::new(&format!("filters{version}"), version);
        t.ok(&[
            "start",
            "--damos_action",
            "stat",
            "--damos_filter",
            "reject",
            "anon",
        ]);
        let f = format!("0/contexts/0/schemes/0/{dir}/0");
        assert_eq!(t.get(&format!("{f}/type")), "anon", "{version}");
        assert_eq!(t.get(&format!("{f}/matching")), "Y", "{version}");
        assert_eq!(t.kd("0/refresh_ms").exists(), version == "6.18");
        assert_eq!(t.kd(&format!("{f}/allow")).exists(), version == "6.18");
    }
    // allow filters need 6.14
    let t = Tree::new("allow612", "6.12");
    let err = t.fails(&[
        "start",
        "--damos_action",
        "stat",
        "--damos_filter",
        "allow",
        "anon",
    ]);
    assert!(
        err.contains("allow filters") || err.contains("6.14"),
        "{err}"
    );
}

#[test]
fn old_kernels_get_named_features_and_no_leftovers() {
    let t = Tree::new("old", "6.1");
    let err = t.fails(&[
        "start",
        "--damos_action",
        "stat",
        "--damos_filter",
        "reject",
        "anon",
    ]);
    assert!(
        err.contains("DAMOS filters (sysfs/schemes_filters, added in Linux 6.3)"),
        "{err}"
    );
    assert_eq!(t.get("nr_kdamonds"), "0", "rolled back");

    let t = Tree::new("goal612", "6.12");
    let err = t.fails(&["start", "--monitoring_intervals_autotune"]);
    assert!(
        err.contains("sysfs/intervals_goal, added in Linux 6.15"),
        "{err}"
    );
    assert_eq!(t.get("nr_kdamonds"), "0");

    let err = t.fails(&["start", "--damos_action", "collapse"]);
    assert!(
        err.contains("'collapse' needs sysfs/damos_action_collapse, added in Linux 7.2"),
        "{err}"
    );
    assert!(err.contains("EINVAL"), "{err}");
    assert_eq!(t.get("nr_kdamonds"), "0");

    let err = t.fails(&["start", "--refresh_stat", "1s"]);
    assert!(
        err.contains("sysfs/refresh_ms, added in Linux 6.17"),
        "{err}"
    );
}

#[test]
fn failures_roll_back_and_say_what_to_do() {
    let t = Tree::new("memcg", "6.18");
    let err = t.fails(&[
        "start",
        "--damos_action",
        "pageout",
        "--damos_filter",
        "reject",
        "memcg",
        "/nosuch",
    ]);
    assert!(
        err.contains("memcg /nosuch") && err.contains("not found"),
        "{err}"
    );
    assert!(err.contains("ENOMEM"), "{err}");
    assert_eq!(t.get("nr_kdamonds"), "0", "no half-configured kdamond left");

    let t = Tree::new("eperm", "6.18");
    t.set_fail("0/contexts/0/monitoring_attrs/nr_regions/max", "EACCES");
    let err = t.fails(&["start"]);
    assert!(
        err.contains("nr_regions/max") && err.contains("(EACCES)"),
        "{err}"
    );
    assert!(err.contains("run damo as root"), "{err}");
    assert_eq!(t.get("nr_kdamonds"), "0");

    let t = Tree::new("onfail", "6.18");
    t.set_fail("0/state", "EINVAL");
    let err = t.fails(&["start"]);
    assert!(
        err.contains("writing 'on'") && err.contains("EINVAL"),
        "{err}"
    );
    assert_eq!(t.get("nr_kdamonds"), "0");
}

#[test]
fn running_modules_are_refused_politely() {
    let t = Tree::new("module", "6.18");
    let params = t.root.join("module/damon_reclaim/parameters");
    std::fs::create_dir_all(&params).expect("mkdir");
    std::fs::write(params.join("enabled"), "Y\n").expect("write");
    let err = t.fails(&["start"]);
    assert!(err.contains("damon_reclaim is running"), "{err}");
    assert!(err.contains("echo N"), "{err}");
    assert_eq!(t.get("nr_kdamonds"), "0");
    std::fs::write(params.join("enabled"), "N\n").expect("write");
    t.ok(&["start"]);
    assert!(t.ok(&["report", "damon"]).ends_with("damon_reclaim: off\n"));
}

#[test]
fn kdamonds_json_input_stages_the_same_tree() {
    let a = Tree::new("json-a", "6.18");
    let b = Tree::new("json-b", "6.18");
    let opts = [
        "--ops",
        "paddr",
        "--regions",
        "4G-8G",
        "--damos_action",
        "pageout",
        "--damos_age",
        "30s",
        "max",
        "--damos_quotas",
        "10ms",
        "512M",
        "1s",
        "0",
        "1",
        "1",
        "--damos_quota_goal",
        "node_mem_free_bp",
        "10%",
        "0",
    ];
    let mut start = vec!["start"];
    start.extend(opts);
    a.ok(&start);
    let mut args = vec!["args", "damon"];
    args.extend(opts);
    let json = a.ok(&args);
    let file = a.root.join("kdamonds.json");
    std::fs::write(&file, json).expect("write");
    b.ok(&["start", file.to_str().expect("utf-8")]);
    let show = |t: &Tree| t.ok(&["report", "damon", "--damon_params"]);
    assert_eq!(show(&a), show(&b));
    assert_eq!(
        b.get("0/contexts/0/schemes/0/quotas/goals/0/target_metric"),
        "node_mem_free_bp"
    );
    let err = b.fails(&["report", "damon", "--input_file", "/nonexistent.json"]);
    assert!(err.contains("/nonexistent.json"), "{err}");
}

#[test]
fn stats_and_summary_views() {
    let t = Tree::new("views", "6.18");
    t.ok(&["start", "--damos_action", "stat", "--refresh_stat", "1s"]);
    assert_eq!(
        t.ok(&["report", "damon", "--kdamonds_summary"]),
        "0\tstate: on, pid: 4242, stats refresh per: 1 s\n"
    );
    let stats = t.ok(&[
        "report",
        "damon",
        "--damos_stats",
        "--format",
        "json",
        "--damos_stat_fields",
        "nr_tried",
        "sz_applied",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stats).expect("json");
    assert_eq!(v[0][0]["scheme"], 0);
    assert_eq!(v[0][1]["sz_applied"], "0 B");
    assert_eq!(
        t.ok(&[
            "report",
            "damon",
            "--damos_stats",
            "--damos_stat_fields",
            "nr_tried"
        ]),
        "0\n"
    );
}

#[test]
fn missing_pids_are_refused_before_staging() {
    let t = Tree::new("nopid", "6.18");
    let err = t.fails(&["start", "999999999"]);
    assert!(err.contains("no process with pid 999999999"), "{err}");
    assert_eq!(t.get("nr_kdamonds"), "0");
    // a command that fails at once
    let err = t.fails(&["start", "false"]);
    assert!(err.contains("exited at once"), "{err}");
    assert_eq!(t.get("nr_kdamonds"), "0");
}

#[test]
fn features_are_found_without_staging() {
    let t = Tree::new("features", "6.12");
    let out = t.ok(&["features"]);
    assert!(out.contains("sysfs/schemes_migrate: Supported\n"), "{out}");
    assert!(out.contains("sysfs/refresh_ms: Unsupported\n"), "{out}");
    assert!(out.contains("interface/damon_sysfs: Supported\n"), "{out}");
    assert_eq!(t.get("nr_kdamonds"), "0", "nothing staged");
    let lines: Vec<&str> = out.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}

/// A process with two children; all three killed when dropped.
struct Family(Child);

impl Family {
    fn new() -> Family {
        Family(
            Command::new("bash")
                .args(["-c", "sleep 600 & sleep 600 & wait"])
                .spawn()
                .expect("bash"),
        )
    }
    fn pid(&self) -> String {
        self.0.id().to_string()
    }
    fn children(&self) -> Vec<String> {
        let path = format!("/proc/{}/task/{}/children", self.0.id(), self.0.id());
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Family {
    fn drop(&mut self) {
        for c in self.children() {
            let _ = Command::new("kill").arg(c).status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `done` every 20 ms until it holds; fails after 60 s.
fn poll_until(what: &str, done: &mut dyn FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn interrupt(child: &Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
}

fn fake_iomem(t: &Tree) -> PathBuf {
    let proc = t.root.join("proc");
    std::fs::create_dir_all(&proc).expect("proc");
    std::fs::write(
        proc.join("iomem"),
        "00001000-0009ffff : System RAM\n000a0000-000fffff : Reserved\n\
         00100000-3fffffff : System RAM\n",
    )
    .expect("iomem");
    proc
}

#[test]
fn markers_stage_several_kdamonds() {
    let t = Tree::new("markers", "6.18");
    let proc = fake_iomem(&t);
    let p = Proc::new();
    let pid = p.pid();
    let args = [
        "start",
        "--kdamond",
        "--damon_ctx",
        "--ops",
        "vaddr",
        "--damon_target",
        "--target_pid",
        &pid,
        "--kdamond",
        "--damon_ctx",
        "--ops",
        "paddr",
        "--damon_target",
        "--damos_action",
        "stat",
    ];
    succeeded(
        &args,
        t.command(&args)
            .env("DAMO_PROC_ROOT", &proc)
            .output()
            .expect("damo"),
    );
    assert_eq!(t.get("nr_kdamonds"), "2");
    assert_eq!(t.get("0/state"), "on");
    assert_eq!(t.get("1/state"), "on");
    assert_eq!(t.get("0/contexts/0/operations"), "vaddr");
    assert_eq!(t.get("0/contexts/0/targets/0/pid_target"), pid);
    assert_eq!(t.get("0/contexts/0/schemes/nr_schemes"), "0");
    assert_eq!(t.get("1/contexts/0/operations"), "paddr");
    // the span of System RAM in the fake /proc/iomem
    assert_eq!(t.get("1/contexts/0/targets/0/regions/0/start"), "4096");
    assert_eq!(t.get("1/contexts/0/targets/0/regions/0/end"), "1073741824");
    assert_eq!(t.get("1/contexts/0/schemes/0/action"), "stat");
    let yaml = t.ok(&["report", "damon", "--format", "yaml"]);
    let doc = damo::damon::yaml::load(&yaml, "report").expect("yaml");
    assert_eq!(doc[1]["contexts"][0]["ops"], "paddr");
    assert_eq!(doc[0]["state"], "on");
    t.ok(&["stop"]);
    assert_eq!(t.get("1/state"), "off");
}

#[test]
fn yaml_input_and_probes() {
    let t = Tree::new("probes", "7.3");
    let p = Proc::new();
    let yaml = t.root.join("k.yaml");
    let y = yaml.to_str().expect("utf-8");
    t.ok(&[
        "args",
        "damon",
        &p.pid(),
        "--probe_filter",
        "allow",
        "memcg",
        "/a",
        "--probe_weight",
        "5",
        "--format",
        "yaml",
        "--out",
        y,
    ]);
    t.ok(&["start", y]);
    assert_eq!(t.get("0/state"), "on");
    let probe = "0/contexts/0/monitoring_attrs/probes";
    assert_eq!(t.get(&format!("{probe}/nr_probes")), "1");
    assert_eq!(t.get(&format!("{probe}/0/filters/0/type")), "memcg");
    assert_eq!(t.get(&format!("{probe}/0/filters/0/allow")), "Y");
    assert_eq!(t.get(&format!("{probe}/0/filters/0/path")), "/a");
    assert_eq!(t.get(&format!("{probe}/0/weight")), "5");
    let shown = t.ok(&["report", "damon"]);
    assert!(
        shown.contains("probe allow memcg /a (weight: 5)"),
        "{shown}"
    );
    t.ok(&["stop"]);

    let old = Tree::new("probes-old", "6.18");
    let err = old.fails(&["start", y]);
    assert!(
        err.contains("sysfs/attrs_monitoring") && err.contains("7.2"),
        "{err}"
    );
    assert_eq!(old.get("nr_kdamonds"), "0");
}

#[test]
fn schemes_restores_the_setup_on_interrupt_and_on_stop() {
    let t = Tree::new("schemes", "6.18");
    let p = Proc::new();
    let pid = p.pid();
    let d = t.spawn(&["schemes", &pid, "--damos_action", "stat"]);
    t.wait_for("0/state", "on");
    interrupt(&d);
    let out = d.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(2), "exits with the signal number");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Press Ctrl+C to stop\n\nsignal 2 received\n"
    );
    assert_eq!(
        t.get("nr_kdamonds"),
        "0",
        "the previous (empty) setup is back"
    );

    // the kdamond turned off by someone else: schemes ends cleanly
    let d = t.spawn(&["schemes", &pid, "--damos_action", "stat"]);
    t.wait_for("0/state", "on");
    t.ok(&["stop"]);
    let out = d.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(t.get("nr_kdamonds"), "0");

    let err = t.run(&["schemes", &pid, "--damos_action", "collapse"]);
    assert_eq!(
        err.status.code(),
        Some(253),
        "damo's exit code for a failed start"
    );
    assert!(String::from_utf8_lossy(&err.stderr).contains("collapse"));
}

#[test]
fn child_tasks_become_targets_and_leave() {
    let t = Tree::new("children", "6.18");
    let f = Family::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while f.children().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "bash did not fork");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let d = t.spawn(&["start", "--include_child_tasks", &f.pid()]);
    t.wait_for("0/contexts/0/targets/nr_targets", "3");
    let kids = f.children();
    // the tool writes nr_targets before each target's pid: poll for them
    let targets = || -> Vec<String> {
        (0..3)
            .map(|i| {
                std::fs::read_to_string(t.kd(&format!("0/contexts/0/targets/{i}/pid_target")))
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
            .collect()
    };
    t.wait_until("the three pids to be targets", || {
        let now = targets();
        now[0] == f.pid() && kids.iter().all(|k| now.contains(k))
    });
    Command::new("kill").arg(&kids[0]).status().expect("kill");
    t.wait_for("0/contexts/0/targets/nr_targets", "2");
    interrupt(&d);
    let out = d.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Press Ctrl+C to stop"));
    assert_eq!(t.get("0/state"), "on", "DAMON keeps running, as with damo");
}

/// A fake tracefs in the tree: new trace instances get canned
/// damon_aggregated events of target 0 (five 100 ms aggregations).
fn fake_tracefs(t: &Tree) {
    let tr = t.root.join("kernel/tracing");
    let tpl = tr.join(".instance-template");
    std::fs::create_dir_all(tr.join("events/damon/damon_aggregated")).expect("events");
    std::fs::create_dir_all(tr.join("instances")).expect("instances");
    std::fs::create_dir_all(tpl.join("events/damon/damon_aggregated")).expect("template");
    std::fs::write(tpl.join("events/damon/damon_aggregated/enable"), "0\n").expect("enable");
    std::fs::write(tpl.join("tracing_on"), "1\n").expect("tracing_on");
    let mut pipe = String::new();
    for i in 0..5 {
        for (range, acc) in [("4096-8192", i), ("8192-16384", 0)] {
            pipe.push_str(&format!(
                "  kdamond.0-4242  [001] d..1.  100.{i}00000: damon_aggregated: \
                 target_id=0 nr_regions=2 {range}: {acc} 5\n"
            ));
        }
    }
    std::fs::write(tpl.join("trace_pipe"), pipe).expect("trace_pipe");
}

#[test]
fn record_writes_a_record_and_restores_damon() {
    let t = Tree::new("record", "6.18");
    fake_tracefs(&t);
    let p = Proc::new();
    let out = t.root.join("rec.data");
    let o = out.to_str().expect("utf-8");
    std::fs::write(&out, "previous").expect("old");
    // all but cpu_profile (perf, where installed, would profile the machine)
    let what = [
        "--do_record",
        "access",
        "mem_footprint",
        "vmas",
        "proc_stats",
    ];
    // instances of a killed recorder (no such pid), a live process's and
    // another tool's
    let instances = t.root.join("kernel/tracing/instances");
    for name in ["damo-record-999999999", "damo-record-1", "other-tool"] {
        std::fs::create_dir_all(instances.join(name).join("events")).expect("instance");
    }
    let pid = p.pid();
    let mut cmd = vec!["record", &pid, "--timeout", "1", "-o", o];
    cmd.extend(what);
    let stdout = t.ok(&cmd);
    let mut left: Vec<String> = std::fs::read_dir(&instances)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["damo-record-1", "other-tool"],
        "the killed recorder's instance and ours are removed, the others kept"
    );
    for name in ["damo-record-1", "other-tool"] {
        std::fs::remove_dir_all(instances.join(name)).expect("clean");
    }
    assert_eq!(stdout, "Press Ctrl+C to stop\n");
    assert_eq!(
        std::fs::read_to_string(format!("{o}.old")).expect("backup"),
        "previous"
    );
    assert_eq!(
        t.get("nr_kdamonds"),
        "0",
        "the previous (empty) setup is back"
    );
    let instances = std::fs::read_dir(t.root.join("kernel/tracing/instances")).expect("dir");
    assert_eq!(instances.count(), 0, "the trace instance is removed");
    let info = t.ok(&["report", "record_info", "-i", o]);
    assert!(info.contains("target_id: 0"), "{info}");
    let json = t.ok(&["report", "access", "-i", o, "--json"]);
    assert!(
        json.contains("\"aggr_us\": \"100 ms\""),
        "intervals recorded: {json}"
    );
    for sidecar in ["kdamonds", "mem_footprint", "vmas", "proc_stats"] {
        let text = std::fs::read_to_string(format!("{o}.{sidecar}")).expect(sidecar);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert!(
            v.as_array().is_some_and(|a| !a.is_empty()),
            "{sidecar}: {text}"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // SIGINT: a complete record, DAMON restored, damo's exit status
    let d = t.spawn(&["record", &p.pid(), "-o", o, "--do_record", "access"]);
    t.wait_for("0/state", "on");
    // tracing has started once the recorder's trace instance exists (its
    // canned events are then drained however late the signal comes)
    let instances = t.root.join("kernel/tracing/instances");
    t.wait_until("the trace instance", || {
        std::fs::read_dir(&instances).is_ok_and(|d| d.count() > 0)
    });
    interrupt(&d);
    let res = d.wait_with_output().expect("wait");
    assert_eq!(res.status.code(), Some(2));
    assert_eq!(t.get("nr_kdamonds"), "0");
    assert!(
        t.ok(&["report", "record_info", "-i", o])
            .contains("target_id: 0")
    );
}

#[test]
fn record_keeps_only_cpu_profiles_perf_finished() {
    let t = Tree::new("record-profile", "6.18");
    fake_tracefs(&t);
    let p = Proc::new();
    use std::os::unix::fs::PermissionsExt;
    // a perf that writes its -o file, then either finishes it on SIGINT
    // or fails as on a full disk, leaving it half-written
    // (a real perf re-raises SIGINT once its file is written)
    for (name, on_int) in [
        ("perf-ok", "exit 0"),
        ("perf-sigint", "trap - INT; kill -INT $$"),
        ("perf-full", "exit 1"),
    ] {
        let perf = t.root.join(name);
        std::fs::write(
            &perf,
            format!(
                "#!/bin/sh\ntrap '{on_int}' INT\nprintf profile > \"$3\"\n\
                 while :; do sleep 0.05; done\n"
            ),
        )
        .expect("perf");
        std::fs::set_permissions(&perf, std::fs::Permissions::from_mode(0o755)).expect("mode");
    }
    for (perf, kept) in [
        ("perf-ok", true),
        ("perf-sigint", true),
        ("perf-full", false),
    ] {
        let out = t.root.join(format!("{perf}.data"));
        let o = out.to_str().expect("utf-8");
        let perf_path = t.root.join(perf);
        let pid = p.pid();
        let args = [
            "record",
            &pid,
            "--timeout",
            "1",
            "-o",
            o,
            "--perf_path",
            perf_path.to_str().expect("utf-8"),
            "--do_record",
            "access",
            "cpu_profile",
        ];
        let res = t.command(&args).output().expect("damo");
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(res.status.success(), "{perf}: {err}");
        let profile = t.root.join(format!("{perf}.data.profile"));
        assert_eq!(profile.is_file(), kept, "{perf}: {err}");
        if kept {
            assert_eq!(
                std::fs::read_to_string(&profile).expect("profile"),
                "profile"
            );
            let mode = std::fs::metadata(&profile)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "the record's mode");
        } else {
            assert!(
                err.contains("perf could not finish the CPU profile"),
                "{err}"
            );
        }
        // nothing half-written beside the record
        let stray: Vec<String> = std::fs::read_dir(&t.root)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".damo-record-") || n.contains(".tmp"))
            .collect();
        assert!(stray.is_empty(), "{perf}: {stray:?}");
    }
}

#[test]
fn record_refuses_what_it_cannot_do_before_starting_damon() {
    let t = Tree::new("record-bad", "6.18");
    let p = Proc::new();
    let out = t.root.join("bad.data");
    let o = out.to_str().expect("utf-8");
    let err = t.fails(&["record", &p.pid(), "-o", o]);
    assert!(err.contains("tracefs is not mounted"), "{err}");
    assert_eq!(t.get("nr_kdamonds"), "0");
    fake_tracefs(&t);
    std::fs::remove_dir_all(t.root.join("kernel/tracing/events/damon/damon_aggregated"))
        .expect("rm");
    let err = t.fails(&["record", &p.pid(), "-o", o]);
    assert!(
        err.contains("no damon:damon_aggregated tracepoint"),
        "{err}"
    );
    fake_tracefs(&t);
    let err = t.run(&["record", "999999999", "-o", o]);
    assert_ne!(err.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&err.stderr).contains("no process with pid 999999999"));
    assert_eq!(t.get("nr_kdamonds"), "0");
    assert!(!out.exists(), "no output file");
    let err = t.fails(&["record", &p.pid(), "--output_type", "perf_data", "-o", o]);
    assert!(err.contains("perf_data"), "{err}");
}

#[test]
fn live_snapshots_install_and_remove_their_scheme() {
    let t = Tree::new("live", "6.18");
    let p = Proc::new();
    t.ok(&["start", &p.pid(), "--damos_action", "pageout"]);
    let dir = t.root.join("work");
    std::fs::create_dir_all(&dir).expect("dir");
    let run = |args: &[&str]| {
        succeeded(
            args,
            t.command(args).current_dir(&dir).output().expect("damo"),
        )
    };
    // no --input, a kdamond running: a live snapshot (the fake kernel's
    // three tried regions)
    let out = run(&["report", "access"]);
    assert!(out.contains("total size: 3.000 GiB"), "{out}");
    assert_eq!(
        t.get("0/contexts/0/schemes/nr_schemes"),
        "1",
        "the monitoring scheme is gone again"
    );
    // report attrs: the same snapshot, with the running kdamonds' probes
    let out = run(&["report", "attrs"]);
    assert!(
        out.contains("No probe") && out.contains("total size: 3.000 GiB"),
        "{out}"
    );
    assert_eq!(t.get("0/contexts/0/schemes/nr_schemes"), "1");
    let out = run(&[
        "report",
        "access",
        "--input",
        "tried_regions_of",
        "0",
        "0",
        "0",
    ]);
    assert!(out.contains("total size: 3.000 GiB"), "{out}");
    // record --snapshot: one record per snapshot, no tracing needed
    let out = run(&[
        "record",
        "--snapshot",
        "0",
        "2",
        "-o",
        "snap.data",
        "--do_record",
        "access",
    ]);
    assert_eq!(out, "", "damo is quiet for a few immediate snapshots");
    run(&[
        "convert_record_format",
        "--record_file",
        "snap.data",
        "--format",
        "json",
        "--output_file",
        "snap.json",
    ]);
    let text = std::fs::read_to_string(dir.join("snap.json")).expect("json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("records");
    let records = v.as_array().expect("list");
    assert_eq!(records.len(), 2, "one record per snapshot");
    assert_eq!(
        records[0]["scheme_idx"], 1,
        "the installed monitoring scheme's"
    );
    assert_eq!(
        t.get("0/state"),
        "on",
        "an ongoing recording leaves DAMON on"
    );
}

#[test]
fn monitor_repeats_record_and_report_then_restores() {
    let t = Tree::new("monitor", "6.18");
    fake_tracefs(&t);
    let p = Proc::new();
    let out = t.ok(&["monitor", &p.pid(), "--count", "2", "--delay", "0.3"]);
    // two heatmaps of ten rows, damo's comment lines dropped
    assert_eq!(out.lines().count(), 20, "{out}");
    assert!(!out.contains('#'), "{out}");
    assert_eq!(
        t.get("nr_kdamonds"),
        "0",
        "the previous (empty) setup is back"
    );
    assert!(!t.root.join("damon.data").exists());
    let out = t.ok(&[
        "monitor",
        &p.pid(),
        "--count",
        "1",
        "--delay",
        "0.3",
        "--report_type",
        "holistic",
    ]);
    assert!(out.contains("# Memory Footprints Distribution"), "{out}");
    let err = t.fails(&["monitor", "no-such-program-xyz"]);
    assert!(err.contains("invalid target"), "{err}");
}

#[test]
fn record_flushes_outputs_into_stamped_directories() {
    let t = Tree::new("flush", "6.18");
    fake_tracefs(&t);
    let p = Proc::new();
    let dir = t.root.join("flush");
    std::fs::create_dir_all(&dir).expect("dir");
    let pid = p.pid();
    let args = [
        "record",
        &pid,
        "--timeout",
        "2.5",
        "--output_flush_sec",
        "1",
        "--do_record",
        "access",
        "-o",
        "r.data",
    ];
    succeeded(
        &args,
        t.command(&args).current_dir(&dir).output().expect("damo"),
    );
    let stamped: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("r.data.20"))
        .collect();
    assert!(
        stamped.len() >= 2,
        "a directory per flush and one at the end"
    );
    for d in stamped {
        let rec = d.path().join("r.data");
        assert!(
            t.ok(&["report", "record_info", "-i", rec.to_str().expect("utf-8")])
                .contains("target_id")
        );
        assert!(d.path().join("r.data.kdamonds").is_file());
    }
    assert!(
        !dir.join("r.data").exists(),
        "after a flush, all outputs go to the directories"
    );
    assert_eq!(t.get("nr_kdamonds"), "0");
}

fn param(t: &Tree, module: &str, name: &str) -> String {
    let p = t
        .root
        .join(format!("module/damon_{module}/parameters/{name}"));
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .to_string()
}

#[test]
fn reclaim_status_enable_commit_disable() {
    let t = Tree::new("reclaim", "6.12");
    let err = t.fails(&["reclaim"]);
    assert!(err.contains("CONFIG_DAMON_RECLAIM"), "{err}");
    damo::sysfs::emul::create_module(&t.root, "reclaim").expect("module");
    let status = t.ok(&["reclaim", "status"]);
    assert!(
        status.starts_with("kdamond_pid: -1\nenabled: N\nmin_age: 120000000\n"),
        "{status}"
    );
    assert!(status.ends_with("quota_autotune_feedback: 0\n"), "{status}");
    assert!(!status.contains("commit_inputs"), "{status}");
    // commit needs a running module
    let err = t.fails(&["reclaim", "commit", "--min_age", "5"]);
    assert!(
        err.contains("not running") && err.contains("damo reclaim enable"),
        "{err}"
    );
    t.ok(&[
        "reclaim",
        "enable",
        "--min_age",
        "5000000",
        "--quota",
        "10",
        "1048576",
        "1000",
        "--monitor_region",
        "4096",
        "1073741824",
        "--skip_anon",
    ]);
    assert_eq!(param(&t, "reclaim", "enabled"), "Y");
    assert_eq!(param(&t, "reclaim", "kdamond_pid"), "4242");
    assert_eq!(param(&t, "reclaim", "min_age"), "5000000");
    assert_eq!(param(&t, "reclaim", "quota_sz"), "1048576");
    assert_eq!(param(&t, "reclaim", "monitor_region_end"), "1073741824");
    assert_eq!(param(&t, "reclaim", "skip_anon"), "Y");
    assert_eq!(
        param(&t, "reclaim", "wmarks_high"),
        "500",
        "not given, not written"
    );
    // the same through `module reclaim`, and abbreviated options
    t.ok(&["module", "reclaim", "commit", "--min_a=7000000"]);
    assert_eq!(param(&t, "reclaim", "min_age"), "7000000");
    assert_eq!(param(&t, "reclaim", "commit_inputs"), "N");
    assert_eq!(
        param(&t, "reclaim", "skip_anon"),
        "N",
        "damo writes N without the flag"
    );
    t.ok(&["reclaim", "disable"]);
    assert_eq!(param(&t, "reclaim", "enabled"), "N");
    assert_eq!(param(&t, "reclaim", "kdamond_pid"), "-1");
    // kernel refusals name the file and errno
    let err = t.fails(&[
        "reclaim",
        "enable",
        "--quota",
        "1",
        "2",
        "3",
        "--nr_regions",
        "10",
        "5",
    ]);
    assert!(!err.contains("panicked"), "{err}");
    let out = t.run(&["reclaim", "enable", "--quota", "1", "x", "3"]);
    assert_eq!(out.status.code(), Some(2), "usage error");
}

#[test]
fn reclaim_on_old_kernels_skips_missing_optional_params() {
    let t = Tree::new("reclaim-old", "5.19");
    damo::sysfs::emul::create_module(&t.root, "reclaim").expect("module");
    let out = t.ok(&["reclaim", "enable"]);
    assert!(
        out.contains("damon_reclaim/parameters/skip_anon not exist; setup of it is skipped"),
        "{out}"
    );
    assert_eq!(param(&t, "reclaim", "kdamond_pid"), "4242");
    std::fs::remove_file(t.root.join("module/damon_reclaim/parameters/wmarks_mid")).expect("rm");
    let err = t.fails(&["reclaim", "status"]);
    assert!(err.contains("wmarks_mid not found"), "{err}");
}

#[test]
fn lru_sort_status_enable_disable() {
    let t = Tree::new("lru-sort", "6.12");
    damo::sysfs::emul::create_module(&t.root, "lru_sort").expect("module");
    let status = t.ok(&["lru_sort"]);
    assert!(
        status.starts_with("kdamond_pid: -1\nenabled: N\nhot_thres_access_freq: 500\n"),
        "{status}"
    );
    assert_eq!(status.lines().count(), 24);
    t.ok(&[
        "module",
        "lru_sort",
        "enable",
        "--hot_thres_access_freq",
        "600",
        "--quota",
        "20",
        "2000",
    ]);
    assert_eq!(param(&t, "lru_sort", "hot_thres_access_freq"), "600");
    assert_eq!(param(&t, "lru_sort", "quota_reset_interval_ms"), "2000");
    assert_eq!(param(&t, "lru_sort", "kdamond_pid"), "4242");
    t.ok(&["lru_sort", "disable"]);
    assert_eq!(param(&t, "lru_sort", "kdamond_pid"), "-1");
    let out = t.run(&["lru_sort", "commit"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "lru_sort has no commit action in damo 3.4.3"
    );
}

#[test]
fn damon_stat_read_and_write() {
    let t = Tree::new("stat", "6.17");
    damo::sysfs::emul::create_module(&t.root, "stat").expect("module");
    let all = t.ok(&["module", "stat", "read"]);
    assert!(
        all.contains("enabled: N\n") && all.contains("aggr_interval_us: 0\n"),
        "{all}"
    );
    t.ok(&["module", "stat", "write", "enabled", "Y"]);
    assert_eq!(t.ok(&["module", "stat", "read", "enabled"]), "Y\n");
    let err = t.fails(&["module", "stat", "write", "enabled"]);
    assert!(err.contains("pairs"), "{err}");
    let err = t.fails(&["module", "stat", "read", "nosuch"]);
    assert!(err.contains("idle_time_mem_sz"), "{err}");
    let pct: Vec<String> = (0..=100).map(|i| (i * 100 - 2000).to_string()).collect();
    std::fs::write(
        t.root
            .join("module/damon_stat/parameters/memory_idle_ms_percentiles"),
        pct.join(","),
    )
    .expect("write");
    let p = t.ok(&["module", "stat", "read", "idle_time_percentiles"]);
    assert!(p.starts_with("  0 -2 s\n 10 -1 s\n 20 0 ns\n"), "{p}");
    assert_eq!(p.lines().count(), 11);
    let sz = t.ok(&[
        "module",
        "stat",
        "read",
        "idle_time_mem_sz",
        "--idle_time_mem_sz_lines",
        "4",
    ]);
    assert_eq!(sz.lines().count(), 5, "{sz}");
    let given = t.ok(&[
        "module",
        "stat",
        "read",
        "idle_time_percentiles",
        "--input_idle_time_percentiles",
        "0",
        "1",
        "100",
        "101",
        "--raw_number",
    ]);
    assert!(given.starts_with("  0 1\n 10 11\n"), "{given}");
}

#[test]
fn sysinfo_lists_versions_and_features() {
    let t = Tree::new("sysinfo", "6.12");
    damo::sysfs::emul::create_module(&t.root, "reclaim").expect("module");
    let out = t.ok(&["report", "sysinfo"]);
    assert!(
        out.starts_with("damo version: 3.4.3\nkernel version: "),
        "{out}"
    );
    assert!(out.contains("\navailable DAMON features:\n"), "{out}");
    assert!(
        out.contains("- interface/damon_sysfs (merged in v5.18-rc1"),
        "{out}"
    );
    assert!(
        out.contains("- interface/damon_reclaim (merged in v5.16-rc1"),
        "{out}"
    );
    let all = t.ok(&[
        "report",
        "sysinfo",
        "--print",
        "reclaim_features",
        "unavailable_features",
    ]);
    assert!(all.contains("- reclaim/skip_anon ("), "{all}");
    let unavail = all
        .split("unavailable DAMON features:\n")
        .nth(1)
        .expect("unavailable list");
    assert!(
        unavail.contains("- interface/damon_lru_sort ("),
        "{unavail}"
    );
    assert!(!unavail.contains("- reclaim/skip_anon ("), "{unavail}");
}

#[test]
fn diagnose_reports_findings_and_damos_dump() {
    let t = Tree::new("diagnose", "6.12");
    assert!(t.ok(&["diagnose"]).contains("no kdamond is set up"));
    let p = Proc::new();
    t.ok(&["start", &p.pid(), "--damos_action", "stat"]);
    let out = t.ok(&["diagnose"]);
    assert!(out.starts_with("kdamond 0: on (pid 4242)\n"), "{out}");
    assert!(
        out.contains(&format!("target 0: process {} is alive", p.pid())),
        "{out}"
    );
    assert!(
        out.contains("3 regions, fewer than the minimum 10"),
        "{out}"
    );
    assert!(out.contains("scheme 0 (stat): never tried"), "{out}");
    assert!(
        out.ends_with("summary: 0 problem(s), 2 warning(s), 2 check(s) passed\n"),
        "{out}"
    );
    let verbose = t.ok(&["diagnose", "--verbose"]);
    let json = &verbose[verbose.find("\n{").expect("json") + 1..];
    let v: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    assert_eq!(v["sysinfo"]["damo_version"], "3.4.3");
    assert_eq!(v["sysfs"]["kdamonds"][0]["state"], "on");
    t.ok(&["stop"]);
}

#[test]
fn report_trace_streams_tracepoints_until_interrupted() {
    let t = Tree::new("trace", "6.12");
    fake_tracefs(&t);
    let out_file = t.root.join("trace.out");
    let child = t.spawn(&["report", "trace", "-o", out_file.to_str().expect("path")]);
    // the fake instance's canned events are read at once; the output file
    // appears (complete) only when the command ends
    let instances = t.root.join("kernel/tracing/instances");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_dir(&instances).map_or(0, |d| d.count()) == 0 {
        assert!(std::time::Instant::now() < deadline, "no trace instance");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!out_file.exists());
    // everything the fake pipe holds is read before the signal is noted
    interrupt(&child);
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("100.000000 kdamond.0-4242 damon:damon_aggregated 0 0/2 4.000000 KiB (4.000000 KiB) 0 5\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 11, "{text}");
    assert!(text.ends_with("signal 2 received\n"), "{text}");
    let saved = std::fs::read_to_string(&out_file).expect("output file");
    assert!(saved.starts_with("damo_report_trace_output_format_version: 0\n"));
    assert_eq!(saved.lines().count(), 13);
    assert_eq!(
        std::fs::read_dir(&instances).expect("instances").count(),
        0,
        "instance removed"
    );
    // and the saved file reads back the same
    let back = t.ok(&["report", "trace", "-i", out_file.to_str().expect("path")]);
    assert_eq!(back, text.replace("signal 2 received\n", ""));
}

#[test]
fn other_damon_modules_read_and_write_their_parameters() {
    let t = Tree::new("sample-module", "6.18");
    let dir = t.root.join("module/damon_sample_wsse/parameters");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("target_pid"), "0\n").expect("write");
    std::fs::write(dir.join("enabled"), "N\n").expect("write");
    t.ok(&[
        "module",
        "sample_wsse",
        "write",
        "target_pid",
        "1234",
        "enabled",
        "Y",
    ]);
    assert_eq!(
        t.ok(&["module", "sample_wsse", "read", "target_pid"]),
        "1234\n"
    );
    let all = t.ok(&["module", "sample_wsse", "read"]);
    assert!(
        all.contains("target_pid: 1234\n") && all.contains("enabled: Y\n"),
        "{all}"
    );
    let err = t.fails(&["module", "sample_wsse", "read", "nosuch"]);
    assert!(err.contains("the parameters are"), "{err}");
    assert_eq!(
        t.run(&["module", "sample_wsse", "frob"]).status.code(),
        Some(2)
    );
    // a module the kernel does not have is a usage error, as in damo
    assert_eq!(t.run(&["module", "nosuch", "read"]).status.code(), Some(2));
}

/// Every file under the kdamonds directory with its content, but the
/// read-only statistics.
fn tree_dump(t: &Tree) -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                let rel = p.strip_prefix(base).expect("rel").display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
    }
    let mut v = Vec::new();
    walk(&t.kd(""), &t.kd(""), &mut v);
    v
}

/// The (value, file) pairs `cmd` (a damo command on `t`) writes, in order,
/// from DAMO_SYSFS_TRACE; `cmd` must succeed.
fn traced_writes(t: &Tree, mut cmd: Command, args: &[&str]) -> Vec<(String, String)> {
    let trace = t.root.join("writes.log");
    let _ = std::fs::remove_file(&trace);
    succeeded(
        args,
        cmd.env("DAMO_SYSFS_TRACE", &trace)
            .output()
            .expect("run damo"),
    );
    let text = std::fs::read_to_string(&trace).expect("trace");
    let _ = std::fs::remove_file(&trace);
    text.lines()
        .filter_map(|l| l.strip_prefix("write ")?.rsplit_once(" to "))
        .map(|(v, path)| (v.to_string(), path.to_string()))
        .collect()
}

/// The commands `args` writes to kdamonds' `state` files, in order.
fn state_commands(t: &Tree, dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let mut cmd = t.command(args);
    cmd.current_dir(dir);
    traced_writes(t, cmd, args)
        .into_iter()
        .filter(|(_, path)| path.ends_with("/state"))
        .map(|(v, _)| v.trim_matches('\'').to_string())
        .collect()
}

#[test]
fn total_size_only_snapshots_ask_the_kernel_for_sizes_only() {
    for (version, command) in [
        ("6.18", "update_schemes_tried_bytes"),
        // before Linux 6.6 the kernel only lists the regions
        ("6.3", "update_schemes_tried_regions"),
    ] {
        let t = Tree::new(&format!("total-sz-{version}"), version);
        let p = Proc::new();
        t.ok(&["start", &p.pid(), "--damos_action", "stat"]);
        let dir = t.root.join("work");
        std::fs::create_dir_all(&dir).expect("dir");
        for args in [
            &["report", "access", "--total_sz_only"][..],
            &[
                "report",
                "access",
                "--total_sz_only",
                "--input",
                "tried_regions_of",
                "0",
                "0",
                "0",
            ],
        ] {
            let states = state_commands(&t, &dir, args);
            let tried: Vec<&String> = states.iter().filter(|c| c.contains("tried")).collect();
            assert!(
                !tried.is_empty() && tried.iter().all(|c| *c == command),
                "{version} {args:?}: {states:?}"
            );
        }
        let states = state_commands(&t, &dir, &["report", "access"]);
        assert!(
            states.iter().any(|c| c == "update_schemes_tried_regions"),
            "{version}: the full snapshot lists the regions: {states:?}"
        );
    }
}

/// The files `args` writes, in order (relative to the tree's root), from
/// DAMO_SYSFS_TRACE.
fn written_files(t: &Tree, args: &[&str]) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for (_, path) in traced_writes(t, t.command(args), args) {
        if !files.contains(&path) {
            files.push(path);
        }
    }
    files
}

fn fail_writes_to(t: &Tree, rel: &str) {
    let marker = t.root.join(".damo-fake-kernel");
    let mut text = std::fs::read_to_string(&marker).expect("marker");
    text = text
        .lines()
        .filter(|l| !l.starts_with("fail "))
        .collect::<Vec<_>>()
        .join("\n");
    text.push_str(&format!("\nfail {rel} EINVAL\n"));
    std::fs::write(marker, text).expect("marker");
}

#[test]
fn a_failing_write_at_any_step_rolls_back() {
    let p = Proc::new();
    let pid = p.pid();
    let start: Vec<&str> = vec![
        "start",
        &pid,
        "--damos_action",
        "pageout",
        "--damos_access_rate",
        "0%",
        "0%",
        "--damos_quotas",
        "10ms",
        "128M",
        "1s",
        "--damos_filter",
        "reject",
        "anon",
    ];
    // every write of `start`, made to fail in turn: nothing stays staged
    let learn = Tree::new("inject-learn", "6.12");
    let writes = written_files(&learn, &start);
    assert!(writes.len() > 30, "{writes:?}");
    for w in &writes {
        let t = Tree::new("inject-start", "6.12");
        fail_writes_to(&t, w);
        let err = t.fails(&start);
        assert!(
            err.contains(w.rsplit('/').next().unwrap_or(w)),
            "{w}: {err}"
        );
        assert_eq!(t.get("nr_kdamonds"), "0", "{w}: a kdamond was left staged");
    }
    // every write of `tune` on a running kdamond: the running setup is
    // staged back as it was
    let tune: Vec<&str> = vec![
        "tune",
        &pid,
        "--damos_action",
        "stat",
        "--damos_access_rate",
        "5%",
        "100%",
        "--sample",
        "10ms",
        "--aggr",
        "200ms",
    ];
    // (`learn` runs the kdamond `written_files` started)
    let tune_writes = written_files(&learn, &tune);
    assert!(tune_writes.len() > 10, "{tune_writes:?}");
    println!(
        "failing writes injected: {} of start, {} of tune",
        writes.len(),
        tune_writes.len()
    );
    for w in &tune_writes {
        let t = Tree::new("inject-tune", "6.12");
        t.ok(&start);
        let before = tree_dump(&t);
        fail_writes_to(&t, w);
        let err = t.fails(&tune);
        assert!(err.contains("EINVAL"), "{w}: {err}");
        assert_eq!(t.get("0/state"), "on", "{w}");
        assert_eq!(
            tree_dump(&t),
            before,
            "{w}: tune left its half-written parameters"
        );
    }
}

#[test]
fn concurrent_commands_do_not_interleave() {
    // two starts at once: one turns DAMON on, the other says it is on
    let t = Tree::new("two-starts", "6.18");
    let p = Proc::new();
    let pid = p.pid();
    let a = t.spawn(&["start", &pid, "--damos_action", "stat"]);
    let b = t.spawn(&["start", &pid, "--damos_action", "pageout"]);
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    let ok = [&a, &b].iter().filter(|o| o.status.success()).count();
    assert_eq!(ok, 1, "exactly one start wins");
    let loser = if a.status.success() { &b } else { &a };
    let err = String::from_utf8_lossy(&loser.stderr);
    assert!(err.contains("kdamond 0 is already running"), "{err}");
    assert_eq!(t.get("0/state"), "on");
    assert_eq!(t.get("0/contexts/0/schemes/nr_schemes"), "1");
    t.ok(&["stop"]);

    // stop while record runs: the record ends by itself, complete, and
    // says why
    fake_tracefs(&t);
    let out = t.root.join("rec.data");
    let rec = t.spawn(&["record", &pid, "-o", out.to_str().expect("utf-8")]);
    t.wait_for("0/state", "on");
    t.ok(&["stop"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut rec = rec;
    let status = loop {
        if let Some(s) = rec.try_wait().expect("wait") {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "record did not end after stop"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    use std::io::Read;
    rec.stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    assert!(status.success(), "{err}");
    assert!(err.contains("turned off by another command"), "{err}");
    assert!(out.is_file(), "the record is written");
    assert_eq!(
        t.get("0/state"),
        "off",
        "the previous (stopped) setup is back"
    );

    // a command waiting on a lock held too long says who holds it
    let lock = t.root.join(".damo.lock");
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .expect("lock file");
    std::fs::write(&lock, "999 damo tune").expect("holder");
    let _held = nix::fcntl::Flock::lock(held, nix::fcntl::FlockArg::LockExclusive).expect("flock");
    let before = tree_dump(&t);
    let err = t.fails(&["start", &pid]);
    assert!(err.contains("another damo (pid 999, 'damo tune')"), "{err}");
    assert_eq!(tree_dump(&t), before, "nothing written without the lock");
}

#[test]
fn schemes_is_refused_like_start() {
    let t = Tree::new("schemes-refused", "6.18");
    let p = Proc::new();
    let pid = p.pid();
    t.ok(&["start", &pid]);
    let before = tree_dump(&t);
    let refused = |t: &Tree| {
        let out = t.run(&["schemes", &pid, "--damos_action", "stat"]);
        assert_eq!(
            out.status.code(),
            Some(253),
            "damo's status for a failed start"
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused(&t);
    assert!(err.contains("kdamond 0 is already running"), "{err}");
    assert_eq!(tree_dump(&t), before, "nothing staged");
    t.ok(&["stop"]);
    let params = t.root.join("module/damon_lru_sort/parameters");
    std::fs::create_dir_all(&params).expect("mkdir");
    std::fs::write(params.join("enabled"), "Y\n").expect("write");
    let err = refused(&t);
    assert!(err.contains("damon_lru_sort is running"), "{err}");
    assert_eq!(
        t.get("nr_kdamonds"),
        "1",
        "the stopped setup is left as it was"
    );
    assert_eq!(t.get("0/state"), "off");
}

#[test]
fn missing_modules_and_parameters_are_one_line_errors() {
    let t = Tree::new("modules-missing", "6.12");
    for (args, want) in [
        (&["module", "stat", "read"][..], "CONFIG_DAMON_STAT"),
        (&["lru_sort", "status"][..], "CONFIG_DAMON_LRU_SORT"),
    ] {
        let out = t.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.trim_end().lines().count() == 1 && err.contains(want),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
    damo::sysfs::emul::create_module(&t.root, "lru_sort").expect("module");
    std::fs::remove_file(t.root.join("module/damon_lru_sort/parameters/quota_ms")).expect("rm");
    let out = t.run(&["lru_sort", "status"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("quota_ms not found"), "{err}");
}

/// A module whose kdamond never starts, or never takes committed inputs,
/// fails after the deadline naming the file, instead of polling forever.
#[test]
fn a_module_that_never_starts_fails_after_a_deadline() {
    let never_starts = Tree::new("module-never-starts", "6.12");
    let never_commits = Tree::new("module-never-commits", "6.12");
    for t in [&never_starts, &never_commits] {
        damo::sysfs::emul::create_module(&t.root, "reclaim").expect("module");
    }
    never_commits.ok(&["reclaim", "enable"]);
    for (t, file) in [
        (&never_starts, "kdamond_pid"),
        (&never_commits, "commit_inputs"),
    ] {
        let marker = t.root.join(".damo-fake-kernel");
        let mut m = std::fs::read_to_string(&marker).expect("marker");
        m.push_str(&format!("stuck module/damon_reclaim/parameters/{file}\n"));
        std::fs::write(marker, m).expect("marker");
    }
    let started = std::time::Instant::now();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| never_starts.fails(&["reclaim", "enable"]));
        let b = s.spawn(|| never_commits.fails(&["reclaim", "commit", "--min_age", "5"]));
        (a.join().expect("a"), b.join().expect("b"))
    });
    assert!(
        a.contains("did not start its kdamond within 30 s") && a.contains("kdamond_pid"),
        "{a}"
    );
    assert!(
        b.contains("did not take the committed inputs within 30 s") && b.contains("commit_inputs"),
        "{b}"
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(29));
}

#[test]
fn sysinfo_without_tracefs_reports_the_rest() {
    let t = Tree::new("sysinfo-no-tracefs", "6.12");
    assert!(!t.root.join("kernel/tracing").exists());
    let out = t.ok(&["report", "sysinfo", "--print", "unavailable_features"]);
    assert!(
        out.contains("damon_aggregated"),
        "tracepoints unavailable: {out}"
    );
}

#[test]
fn record_refuses_trace_cmd_and_times_a_lone_snapshot() {
    let t = Tree::new("record-lone", "6.18");
    fake_tracefs(&t);
    let p = Proc::new();
    let out = t.root.join("lone.data");
    let o = out.to_str().expect("utf-8");
    let err = t.fails(&["record", &p.pid(), "--damon_tracer", "trace-cmd", "-o", o]);
    assert!(err.contains("trace-cmd"), "{err}");
    assert_eq!(t.get("nr_kdamonds"), "0");
    // one aggregation of one target: the trace gives no start time
    let pipe = t.root.join("kernel/tracing/.instance-template/trace_pipe");
    std::fs::write(
        &pipe,
        "  kdamond.0-4242  [001] d..1.  100.100000: damon_aggregated: \
         target_id=0 nr_regions=1 4096-8192: 3 5\n",
    )
    .expect("trace_pipe");
    t.ok(&["record", &p.pid(), "--timeout", "1", "-o", o]);
    let json = t.ok(&["report", "access", "-i", o, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let snap = &v[0]["snapshots"][0];
    assert_eq!(
        v[0]["snapshots"].as_array().map(Vec::len),
        Some(1),
        "{json}"
    );
    assert_eq!(snap["end_time"], "1 m 40 s 100 ms", "{json}");
    assert_eq!(
        snap["start_time"], "1 m 40 s",
        "one aggregation interval: {json}"
    );
}

/// A tree with DAMON's debugfs interface only (a 5.15 to 6.8 kernel built
/// without DAMON sysfs, or one whose sysfs DAMON is hidden).
fn dbgfs_tree(tag: &str, version: &str) -> Tree {
    let t = Tree::new(tag, version);
    std::fs::remove_dir_all(t.root.join("kernel/mm")).expect("no sysfs DAMON");
    damo::sysfs::emul::create_dbgfs(&t.root, version).expect("debugfs tree");
    t
}

impl Tree {
    fn dbgfs(&self, file: &str) -> String {
        std::fs::read_to_string(self.root.join("kernel/debug/damon").join(file)).unwrap_or_default()
    }
}

#[test]
fn auto_falls_back_to_debugfs_and_stages_in_its_formats() {
    let t = dbgfs_tree("dbgfs-auto", "6.1");
    let pid = std::process::id().to_string();
    t.ok(&[
        "start",
        &pid,
        "--damos_action",
        "pageout",
        "--damos_age",
        "1s",
        "max",
        "--damos_quotas",
        "10ms",
        "1G",
        "1s",
        "1",
        "2",
        "3",
        "--damos_wmarks",
        "free_mem_rate",
        "1s",
        "500",
        "400",
        "300",
    ]);
    assert_eq!(t.dbgfs("attrs"), "5000 100000 1000000 10 1000\n");
    assert_eq!(t.dbgfs("target_ids"), format!("{pid}\n"));
    assert_eq!(t.dbgfs("monitor_on"), "on\n");
    // the access pattern in samples and aggregation intervals, the action
    // as its number, then quotas, weights and watermarks; stats appended
    let fields: Vec<String> = t
        .dbgfs("schemes")
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(fields.len(), 23, "{fields:?}");
    assert_eq!(&fields[4..7], ["10", "184467440737095", "2"]);
    assert_eq!(&fields[7..13], ["10", "1073741824", "1000", "1", "2", "3"]);
    assert_eq!(&fields[13..18], ["1", "1000000", "500", "400", "300"]);
    let report = t.ok(&["report", "damon"]);
    assert!(report.contains("state: on"), "{report}");
    assert!(report.contains(&format!("pid: {pid}")), "{report}");
    assert!(report.contains("action: pageout"), "{report}");
    assert!(
        report.contains("metric free_mem_rate, interval 1 s"),
        "{report}"
    );
    // the five statistics in the kernel's order: tried, tried bytes,
    // applied, applied bytes, quota exceeds
    let sch = t.root.join("kernel/debug/damon/schemes");
    let line = t.dbgfs("schemes");
    let kept: Vec<&str> = line.split_whitespace().take(18).collect();
    std::fs::write(&sch, format!("{} 7 4096 2 8192 3\n", kept.join(" "))).unwrap();
    let report = t.ok(&["report", "damon"]);
    assert!(report.contains("tried 7 times (4.000 KiB)"), "{report}");
    assert!(report.contains("applied 2 times (8.000 KiB)"), "{report}");
    assert!(report.contains("quota exceeded 3 times"), "{report}");
    std::fs::write(&sch, line).unwrap();
    // one kdamond only: a second start is refused before anything is written
    let err = t.fails(&["start", "--ops", "paddr"]);
    assert!(err.contains("already running"), "{err}");
    t.ok(&["stop"]);
    assert_eq!(t.dbgfs("monitor_on"), "off\n");
    assert_eq!(t.dbgfs("kdamond_pid"), "none\n");
}

#[test]
fn debugfs_paddr_regions_and_the_interface_option() {
    let t = dbgfs_tree("dbgfs-paddr", "6.1");
    t.ok(&[
        "start",
        "--ops",
        "paddr",
        "--regions",
        "4096-8192",
        "--damon_interface_DEPRECATED",
        "debugfs",
    ]);
    assert_eq!(t.dbgfs("target_ids"), "42\n");
    // 5.18+: init_regions names the target by its index
    assert_eq!(t.dbgfs("init_regions"), "0 4096 8192\n");
    assert_eq!(t.dbgfs("schemes"), "");
    t.ok(&["stop"]);
    let report = t.ok(&["report", "damon"]);
    assert!(
        report.contains("ops: paddr") && report.contains("region [4,096, 8,192)"),
        "{report}"
    );
    // asking for sysfs on a tree without it names what is missing
    let err = t.fails(&[
        "start",
        "--ops",
        "paddr",
        "--damon_interface_DEPRECATED",
        "sysfs",
    ]);
    assert!(err.contains("DAMON sysfs interface not found"), "{err}");
}

#[test]
fn what_debugfs_cannot_take_is_refused_before_writing() {
    let t = dbgfs_tree("dbgfs-refuse", "6.1");
    let pid = std::process::id().to_string();
    for (args, why) in [
        (
            vec!["start", pid.as_str(), "--damos_action", "lru_prio"],
            "'lru_prio' DAMOS action",
        ),
        (
            vec![
                "start",
                pid.as_str(),
                "--damos_action",
                "stat",
                "--damos_filter",
                "reject",
                "anon",
            ],
            "DAMOS filters",
        ),
        (
            vec!["start", "--ops", "paddr", "--refresh_stat", "1s"],
            "--refresh_stat",
        ),
        (
            vec![
                "start",
                "--kdamond",
                "--ops",
                "paddr",
                "--kdamond",
                "--ops",
                "paddr",
            ],
            "more than one kdamond",
        ),
    ] {
        let trace = t.root.with_extension("trace");
        let _ = std::fs::remove_file(&trace);
        let out = t
            .command(&args)
            .env("DAMO_SYSFS_TRACE", &trace)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(why) && err.contains("debugfs"),
            "{args:?}: {err}"
        );
        // checked before the first write: nothing written at all
        let trace = std::fs::read_to_string(&trace).unwrap_or_default();
        assert!(!trace.contains("write "), "{args:?} wrote:\n{trace}");
        assert_eq!(t.dbgfs("monitor_on"), "off\n", "{args:?}");
    }
    // 5.15: no paddr, no schemes
    let old = dbgfs_tree("dbgfs-5.15", "5.15");
    let err = old.fails(&["start", "--ops", "paddr"]);
    assert!(err.contains("physical address space"), "{err}");
    old.ok(&["start", &pid]);
    let err = old.fails(&["tune", &pid, "--aggr", "200ms"]);
    assert!(err.contains("cannot change a running kdamond"), "{err}");
    let err = old.fails(&["report", "access"]);
    assert!(err.contains("tried regions"), "{err}");
    let out = old
        .command(&["record", "ongoing", "--snapshot", "0", "1"])
        .current_dir(&old.root)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--snapshot needs DAMOS tried regions"),
        "{err}"
    );
    old.ok(&["stop"]);
}

#[test]
fn features_name_the_debugfs_abilities_of_the_version() {
    let t = dbgfs_tree("dbgfs-features", "5.16");
    let out = t.ok(&["features"]);
    for (name, has) in [
        ("debugfs/paddr", true),
        ("debugfs/schemes_wmarks", true),
        ("debugfs/schemes_stat_succ", false),
        ("debugfs/init_regions_target_idx", false),
        ("interface/damon_debugfs", true),
        ("interface/damon_sysfs", false),
    ] {
        let want = format!("{name}: {}", if has { "Supported" } else { "Unsupported" });
        assert!(out.lines().any(|l| l == want), "{want} in:\n{out}");
    }
}

/// Commands to kdamonds are written by a helper process with a deadline: a
/// write the kernel blocks (a FIFO without reader stands for it) ends in
/// a TimedOut error, and the caller goes on.
#[test]
fn command_writes_have_a_deadline() {
    use damo::sysfs::deadline;
    use std::time::{Duration, Instant};
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_damo"));
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::write(&state, "on\n").expect("state");
    deadline::write(exe, &state, "off", Duration::from_secs(30)).expect("write");
    assert_eq!(std::fs::read_to_string(&state).expect("read"), "off");
    // errno of a failed write
    let missing = dir.path().join("nodir/state");
    let e = deadline::write(exe, &missing, "off", Duration::from_secs(30)).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(2), "{e}");
    // only command files
    let other = dir.path().join("passwd");
    assert!(deadline::write(exe, &other, "x", Duration::from_secs(30)).is_err());
    assert!(!other.exists());
    // a blocked write
    let fifo = dir.path().join("sub");
    std::fs::create_dir(&fifo).expect("dir");
    let fifo = fifo.join("monitor_on");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
    let t = Instant::now();
    let e = deadline::write(exe, &fifo, "off", Duration::from_secs(1)).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
    assert!(e.to_string().contains("blocked in the kernel"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(20));
    // unblock the helper
    let got = std::fs::read_to_string(&fifo).expect("read fifo");
    assert_eq!(got, "off");
}

/// A running DAMON module keeps other kdamonds off (the kernel runs it
/// alone): `start` asks, as damo 3.4.3 does, whether to disable it; `stop`
/// enables it again.  Without an answer nothing is disabled.
#[test]
fn start_asks_to_pause_a_running_module_and_stop_resumes_it() {
    use std::io::Write;
    let t = Tree::new("pause-stat", "6.18");
    damo::sysfs::emul::create_module(&t.root, "stat").expect("module");
    t.ok(&["module", "stat", "write", "enabled", "Y"]);
    let enabled = || t.ok(&["module", "stat", "read", "enabled"]);
    let start_with = |args: &[&str], answer: &str| {
        let mut c = t
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(answer.as_bytes())
            .expect("answer");
        c.wait_with_output().expect("wait")
    };
    let start = |answer: &str| start_with(&["start", "--ops", "paddr"], answer);
    // no answer (end of input): refused, nothing changed
    let out = start("");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damon_stat is running"), "{err}");
    assert_eq!(enabled(), "Y\n");
    // "n": damo's goodbye
    let out = start("n\n");
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("May I disable it for you? [Y/n] ") && said.ends_with("Ok, see you later\n"),
        "{said}"
    );
    assert_eq!(enabled(), "Y\n");
    // yes (an empty line, as damo): disabled, then started
    let out = start("\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Disabled it.  Continue starting DAMON"));
    assert_eq!(enabled(), "N\n");
    assert_eq!(t.get("0/state"), "on");
    // stop: our kdamond off, DAMON_STAT on again
    let out = t.run(&["stop"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("enabled damon_stat again"));
    assert_eq!(t.get("0/state"), "off");
    assert_eq!(enabled(), "Y\n");
    // a start that fails after disabling it enables it again
    let out = start("y\n");
    assert!(out.status.success());
    t.ok(&["stop"]);
    let out = start_with(&["start", "999999999"], "y\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(enabled(), "Y\n", "resumed after the failed start");
}

/// Undoes strace's escapes (`\n`, `\t`, `\\`, `\"`) of a traced value.
fn strace_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(c) => out.push(c),
            None => out.push('\\'),
        }
    }
    out
}

/// Our trace's debugfs writes ("write '<repr>' to kernel/debug/damon/F")
/// as "F <- value" lines (values trimmed, as our trace shows them).
fn our_dbgfs_writes(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("write ")?;
            let (value, path) = rest.rsplit_once(" to ")?;
            let file = path.strip_prefix("kernel/debug/damon/")?;
            let value = value.get(1..value.len().saturating_sub(1)).unwrap_or("");
            let value = value
                .replace("\\t", "\t")
                .replace("\\n", "\n")
                .replace("\\'", "'");
            Some(format!("{file} <- {}", value.trim()))
        })
        .collect()
}

/// damo 3.4.3's debugfs writes, recorded with strace on a real 6.1 kernel
/// (tests/vm/dbgfs.sh prints them; tests/dbgfs-traces holds them), and
/// ours on the fake debugfs tree for the same commands: the same files in
/// the same order with the same values (trimmed; the guest suite compares
/// the exact bytes on the real kernel).
#[test]
fn debugfs_writes_are_damo_3_4_3s() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/dbgfs-traces");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    let pid = std::process::id().to_string();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut args = Vec::new();
        let mut want: Vec<(String, Vec<String>)> = Vec::new();
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some(a) = l.strip_prefix("args: ") {
                args = a.split(' ').map(|w| w.replace("PID", &pid)).collect();
            } else if let Some(step) = l.strip_suffix(':') {
                want.push((step.to_string(), Vec::new()));
            } else if let Some((_, lines)) = want.last_mut() {
                let (file, value) = l.split_once(" <- ").unwrap();
                let value = strace_unescape(value).replace("PID", &pid);
                lines.push(format!("{file} <- {}", value.trim()));
            }
        }
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let t = dbgfs_tree(&format!("dbgfs-trace-{name}"), "6.1");
        for (step, want) in want {
            let trace = t.root.join(format!("{step}.writes"));
            let words: Vec<&str> = match step.as_str() {
                "start" => args.iter().map(String::as_str).collect(),
                other => vec![other],
            };
            let out = t
                .command(&words)
                .env("DAMO_SYSFS_TRACE", &trace)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{name}: damo {words:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got = our_dbgfs_writes(&std::fs::read_to_string(&trace).unwrap_or_default());
            assert!(
                got == want,
                "{name} {step}: our debugfs writes differ from damo 3.4.3's:\n{}",
                common::diff(want.join("\n").as_bytes(), got.join("\n").as_bytes(), 40)
            );
        }
    }
}

/// `report metrics --once` and `--dir`: the exposition of a running
/// scheme, whose only writes are the state commands that refresh
/// statistics.
#[test]
fn metrics_once_and_textfile() {
    let t = Tree::new("metrics", "6.18");
    let p = Proc::new();
    t.ok(&[
        "start",
        &p.pid(),
        "--damos_action",
        "pageout",
        "--damos_quotas",
        "10ms",
        "64M",
        "1s",
    ]);
    std::fs::write(t.kd("0/contexts/0/schemes/0/stats/sz_applied"), "8192\n").unwrap();
    let writes = traced_writes(
        &t,
        t.command(&["report", "metrics", "--once"]),
        &["report", "metrics"],
    );
    let states: Vec<&str> = writes.iter().map(|(v, _)| v.trim_matches('\'')).collect();
    assert!(
        writes.iter().all(|(_, path)| path.ends_with("/state")),
        "only state commands: {writes:?}"
    );
    assert!(states.contains(&"update_schemes_stats"), "{states:?}");
    let text = t.ok(&["report", "metrics", "--once"]);
    for want in [
        "damon_up 1\n",
        "damon_kdamond_running{kdamond=\"0\"} 1\n",
        "# TYPE damon_scheme_applied_bytes_total counter\n",
        "damon_context_sample_interval_seconds{kdamond=\"0\",context=\"0\"} 0.005\n",
        "damon_scheme_quota_bytes{kdamond=\"0\",context=\"0\",scheme=\"0\",action=\"pageout\"} 67108864\n",
        "damon_target_info{kdamond=\"0\",context=\"0\",target=\"0\"} 1\n",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
    assert!(!text.contains("pid="), "pids only with --pid_labels");
    let with_pids = t.ok(&["report", "metrics", "--once", "--pid_labels"]);
    assert!(
        with_pids.contains(&format!("target=\"0\",pid=\"{}\"}} 1", p.pid())),
        "{with_pids}"
    );

    let dir = t.root.join("textfile");
    std::fs::create_dir(&dir).unwrap();
    t.ok(&[
        "report",
        "metrics",
        "--once",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    let prom = dir.join("damon.prom");
    let body = std::fs::read_to_string(&prom).unwrap();
    assert!(
        body.contains("damon_kdamond_running{kdamond=\"0\"} 1\n"),
        "{body}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&prom).unwrap().permissions().mode() & 0o777,
        0o644
    );
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("damon.prom")],
        "no temporaries left"
    );
    // the loop rewrites the file each interval until a signal
    std::fs::remove_file(&prom).unwrap();
    let child = t.spawn(&[
        "report",
        "metrics",
        "--dir",
        dir.to_str().unwrap(),
        "--interval",
        "0.2",
    ]);
    t.wait_until("damon.prom", || prom.is_file());
    std::fs::remove_file(&prom).unwrap();
    t.wait_until("damon.prom again", || prom.is_file());
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("panicked"));

    for (args, want) in [
        (vec!["--dir", "/nonexistent-damo-dir"], "not a directory"),
        (vec!["--dir", "/tmp", "--listen", "127.0.0.1:0"], "not both"),
        (vec!["--once", "--listen", "127.0.0.1:0"], "--once"),
        (vec!["--max_connections", "0", "--once"], "out of range"),
    ] {
        let mut a = vec!["report", "metrics"];
        a.extend(args);
        let err = t.fails(&a);
        assert!(err.contains(want), "{a:?}: {err}");
    }
    t.ok(&["stop"]);
    let stopped = t.ok(&["report", "metrics", "--once"]);
    assert!(
        stopped.contains("damon_kdamond_running{kdamond=\"0\"} 0\n"),
        "{stopped}"
    );
}

/// One HTTP exchange with the exporter: status line and body.
fn http(addr: &str, request: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    s.write_all(request.as_bytes()).expect("send");
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp).into_owned();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    (head.to_string(), body.to_string())
}

/// `report metrics --listen`: /metrics in both formats, the plain page,
/// refusals, a kdamond that stops between scrapes, a port in use.
#[test]
fn metrics_over_http() {
    use std::io::BufRead;
    let t = Tree::new("metrics-http", "6.12");
    t.ok(&["start", "--ops", "paddr", "--damos_action", "stat"]);
    let mut child = t.spawn(&[
        "report",
        "metrics",
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "0.1",
    ]);
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .rsplit_once("http://")
        .and_then(|(_, a)| a.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let (head, body) = http(&addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    assert!(
        body.contains("damon_kdamond_running{kdamond=\"0\"} 1\n"),
        "{body}"
    );
    let (head, body) = http(
        &addr,
        "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text;version=1.0.0\r\n\r\n",
    );
    assert!(head.contains("application/openmetrics-text"), "{head}");
    assert!(
        body.ends_with("# EOF\n") && body.contains("# TYPE damon_scheme_applied_bytes counter\n"),
        "{body}"
    );
    assert!(http(&addr, "GET / HTTP/1.1\r\n\r\n").1.contains("/metrics"));
    assert!(
        http(&addr, "GET /etc/passwd HTTP/1.1\r\n\r\n")
            .0
            .starts_with("HTTP/1.1 404")
    );
    assert!(
        http(&addr, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
            .0
            .starts_with("HTTP/1.1 405")
    );
    let big = format!("GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20000));
    assert!(http(&addr, &big).0.starts_with("HTTP/1.1 431"));
    assert!(http(&addr, "garbage\r\n\r\n").0.starts_with("HTTP/1.1 400"));
    // the kdamond stops and the tree goes away between scrapes
    t.ok(&["stop"]);
    std::fs::write(t.kd("nr_kdamonds"), "0\n").unwrap();
    let (head, body) = http(&addr, "GET /metrics HTTP/1.1\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(!body.contains("damon_kdamond_running"), "{body}");
    assert!(body.contains("damo_exporter_scrapes_total "), "{body}");
    // a second exporter on the same port fails at once, in one line
    let err = t.fails(&["report", "metrics", "--listen", &addr]);
    assert!(
        err.contains("cannot listen on") && err.contains(&addr),
        "{err}"
    );
    interrupt(&child);
    let status = child.wait().unwrap();
    assert!(!status.success());
}
