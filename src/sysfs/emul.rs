//! A fake DAMON kernel for directory trees under `DAMO_SYSFS_ROOT`.
//!
//! A tree is emulated when its root holds `.damo-fake-kernel`:
//!
//! ```text
//! version 6.18                 # which files and keywords exist
//! fail <path> <ERRNO>          # writes to <path> (relative to the root) fail
//! stuck <path>                 # the kernel never changes <path> by itself
//! ```
//!
//! Kernel behaviour modelled: writing `nr_*` recreates the numbered
//! directories with default files (those of that kernel version);
//! read-only files refuse writes (EACCES); numbers and keywords are
//! checked (EINVAL, also for keywords newer than the version); `state`
//! takes `on`, `off`, `commit`, `commit_schemes_quota_goals` and the
//! `update_*` commands (EBUSY/EINVAL where the kernel returns them), and
//! `update_schemes_tried_regions` fills `tried_regions/` with three
//! regions over the first target region; `nr_kdamonds` is busy while a
//! kdamond runs; `on`/`commit` check memcg filter paths under
//! `fs/cgroup` (ENOMEM).
//!
//! Used by the CLI tests and for trying damo without a kernel; never on
//! a real `/sys` (it is only loaded for `DAMO_SYSFS_ROOT` trees).

use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::features::{self, Version, keyword_feature, parse_version};
use super::libc_errno::*;

/// The marker file.
pub const MARKER: &str = ".damo-fake-kernel";

/// The pid a fake kdamond reports.
pub const FAKE_PID: &str = "4242";

/// Files with their contents.
type Files = &'static [(&'static str, &'static str)];

/// The files of a numbered directory that writing its `nr_*` file creates:
/// the `nr_*` file, the feature that brings the files (`None`: every
/// kernel), and the files with their default values (a name ending in `/`
/// is an empty directory).  The `nr_filters` of probes are told apart as
/// `probe_nr_filters`.
const TEMPLATE: &[(&str, Option<&str>, Files)] = &[
    (
        "nr_kdamonds",
        None,
        &[
            ("state", "off"),
            ("pid", "-1"),
            ("contexts/nr_contexts", "0"),
        ],
    ),
    (
        "nr_kdamonds",
        Some("sysfs/refresh_ms"),
        &[("refresh_ms", "0")],
    ),
    (
        "nr_contexts",
        None,
        &[
            ("operations", "vaddr"),
            ("monitoring_attrs/intervals/sample_us", "5000"),
            ("monitoring_attrs/intervals/aggr_us", "100000"),
            ("monitoring_attrs/intervals/update_us", "60000000"),
            ("monitoring_attrs/nr_regions/min", "10"),
            ("monitoring_attrs/nr_regions/max", "1000"),
            ("targets/nr_targets", "0"),
            ("schemes/nr_schemes", "0"),
        ],
    ),
    (
        "nr_contexts",
        Some("sysfs/avail_ops"),
        &[("avail_operations", "vaddr\nfvaddr\npaddr")],
    ),
    (
        "nr_contexts",
        Some("sysfs/intervals_goal"),
        &[
            ("monitoring_attrs/intervals/intervals_goal/access_bp", "0"),
            ("monitoring_attrs/intervals/intervals_goal/aggrs", "0"),
            (
                "monitoring_attrs/intervals/intervals_goal/min_sample_us",
                "0",
            ),
            (
                "monitoring_attrs/intervals/intervals_goal/max_sample_us",
                "0",
            ),
        ],
    ),
    (
        "nr_contexts",
        Some("sysfs/addr_unit"),
        &[("addr_unit", "1")],
    ),
    ("nr_contexts", Some("sysfs/ctx_pause"), &[("pause", "N")]),
    (
        "nr_contexts",
        Some("sysfs/attrs_monitoring"),
        &[("monitoring_attrs/probes/nr_probes", "0")],
    ),
    ("nr_probes", None, &[("filters/nr_filters", "0")]),
    ("nr_probes", Some("sysfs/probe_weights"), &[("weight", "0")]),
    (
        "probe_nr_filters",
        None,
        &[
            ("type", "anon"),
            ("matching", "N"),
            ("allow", "N"),
            ("path", ""),
            ("min", "0"),
            ("max", "0"),
        ],
    ),
    (
        "nr_targets",
        None,
        &[("pid_target", "0"), ("regions/nr_regions", "0")],
    ),
    (
        "nr_targets",
        Some("sysfs/obsolete_target"),
        &[("obsolete_target", "N")],
    ),
    ("nr_regions", None, &[("start", "0"), ("end", "0")]),
    (
        "nr_schemes",
        None,
        &[
            ("access_pattern/sz/min", "0"),
            ("access_pattern/sz/max", "0"),
            ("access_pattern/nr_accesses/min", "0"),
            ("access_pattern/nr_accesses/max", "0"),
            ("access_pattern/age/min", "0"),
            ("access_pattern/age/max", "0"),
            ("action", "stat"),
            ("quotas/ms", "0"),
            ("quotas/bytes", "0"),
            ("quotas/reset_interval_ms", "0"),
            ("quotas/weights/sz_permil", "0"),
            ("quotas/weights/nr_accesses_permil", "0"),
            ("quotas/weights/age_permil", "0"),
            ("watermarks/metric", "none"),
            ("watermarks/interval_us", "0"),
            ("watermarks/high", "0"),
            ("watermarks/mid", "0"),
            ("watermarks/low", "0"),
            ("stats/nr_tried", "0"),
            ("stats/sz_tried", "0"),
            ("stats/nr_applied", "0"),
            ("stats/sz_applied", "0"),
            ("stats/qt_exceeds", "0"),
        ],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_apply_interval"),
        &[("apply_interval_us", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_migrate"),
        &[("target_nid", "-1")],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_dests"),
        &[("dests/nr_dests", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_quota_effective_bytes"),
        &[("quotas/effective_bytes", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_quota_goals"),
        &[("quotas/goals/nr_goals", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/damos_quota_goal_tuner"),
        &[("quotas/goal_tuner", "consist")],
    ),
    (
        "nr_schemes",
        Some("sysfs/damos_quota_fail_charge_ratio"),
        &[
            ("quotas/fail_charge_num", "0"),
            ("quotas/fail_charge_denom", "0"),
        ],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_filters"),
        &[("filters/nr_filters", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_filters_core_ops_dirs"),
        &[
            ("core_filters/nr_filters", "0"),
            ("ops_filters/nr_filters", "0"),
        ],
    ),
    (
        "nr_schemes",
        Some("sysfs/sz_ops_filter_passed"),
        &[("stats/sz_ops_filter_passed", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/damos_stat_nr_snapshots"),
        &[("stats/nr_snapshots", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/damos_max_nr_snapshots"),
        &[("stats/max_nr_snapshots", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_tried_regions_sz"),
        &[("tried_regions/total_bytes", "0")],
    ),
    (
        "nr_schemes",
        Some("sysfs/schemes_tried_regions"),
        &[("tried_regions/", "")],
    ),
    (
        "nr_filters",
        None,
        &[("type", "anon"), ("matching", "N"), ("memcg_path", "")],
    ),
    (
        "nr_filters",
        Some("sysfs/schemes_filters_addr"),
        &[
            ("addr_start", "0"),
            ("addr_end", "0"),
            ("damon_target_idx", "0"),
        ],
    ),
    ("nr_filters", Some("sysfs/allow_filter"), &[("allow", "N")]),
    (
        "nr_filters",
        Some("sysfs/schemes_filters_hugepage_size"),
        &[("min", "0"), ("max", "0")],
    ),
    (
        "nr_goals",
        None,
        &[("target_value", "0"), ("current_value", "0")],
    ),
    (
        "nr_goals",
        Some("sysfs/schemes_quota_goal_metric"),
        &[("target_metric", "user_input")],
    ),
    (
        "nr_goals",
        Some("sysfs/schemes_quota_goal_node_mem_used_free"),
        &[("nid", "0")],
    ),
    (
        "nr_goals",
        Some("sysfs/schemes_quota_goal_node_memcg_used_free"),
        &[("path", "")],
    ),
    ("nr_dests", None, &[("id", "0"), ("weight", "0")]),
];

pub struct Emulator {
    pub version: Version,
    /// The tree's root (standing for `/sys`).
    root: PathBuf,
    fails: Vec<(PathBuf, i32)>,
    /// Files the kernel never updates by itself (a module's kdamond that
    /// never starts, inputs never taken).
    stuck: Vec<PathBuf>,
}

fn errno_of(name: &str) -> Option<i32> {
    Some(match name {
        "EPERM" => EPERM,
        "ENOENT" => ENOENT,
        "ENOMEM" => ENOMEM,
        "EACCES" => EACCES,
        "EBUSY" => EBUSY,
        "EINVAL" => EINVAL,
        _ => return None,
    })
}

fn err(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

/// Creates an empty fake DAMON tree of a kernel `version` at `root`.
pub fn create(root: &Path, version: &str) -> Result<()> {
    let kd = root.join(super::KDAMONDS_REL);
    std::fs::create_dir_all(&kd).with_context(|| format!("cannot create {}", kd.display()))?;
    std::fs::write(kd.join("nr_kdamonds"), "0\n")?;
    std::fs::write(root.join(MARKER), format!("version {version}\n"))?;
    Ok(())
}

/// Where the debugfs interface of a fake tree lives.
pub const DBGFS_REL: &str = "kernel/debug/damon";

/// Adds DAMON's debugfs interface to the fake tree at `root` (creating
/// the tree's marker for `version` if there is none yet), as a kernel that
/// has just booted shows it.
pub fn create_dbgfs(root: &Path, version: &str) -> Result<()> {
    let dir = root.join(DBGFS_REL);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, value) in [
        ("attrs", "5000 100000 1000000 10 1000\n"),
        ("target_ids", "\n"),
        ("init_regions", ""),
        ("schemes", ""),
        ("monitor_on", "off\n"),
        ("kdamond_pid", "none\n"),
        ("mk_contexts", ""),
        ("rm_contexts", ""),
    ] {
        std::fs::write(dir.join(name), value)?;
    }
    if !root.join(MARKER).exists() {
        std::fs::write(root.join(MARKER), format!("version {version}\n"))?;
    }
    Ok(())
}

/// Adds DAMON module `name` (`reclaim`, `lru_sort`, `stat`) to the fake
/// tree at `root`, with the parameters of the tree's kernel version.
pub fn create_module(root: &Path, name: &str) -> Result<()> {
    let version = Emulator::load(root)?.map_or((6, 18), |e| e.version);
    let dir = root.join(format!("module/damon_{name}/parameters"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (param, val) in super::modules::default_params(name, version) {
        std::fs::write(dir.join(param), format!("{val}\n"))?;
    }
    Ok(())
}

impl super::Kernel for Emulator {
    fn write_file(&self, path: &Path, value: &str) -> io::Result<()> {
        self.write(&self.root, path, value)
    }
    fn emulated_version(&self) -> Option<Version> {
        Some(self.version)
    }
}

impl Emulator {
    /// The emulator for `root`, if it is a fake tree.
    pub fn load(root: &Path) -> Result<Option<Emulator>> {
        let text = match std::fs::read_to_string(root.join(MARKER)) {
            Ok(t) => t,
            Err(_) => return Ok(None),
        };
        let mut version = (6, 18);
        let mut fails = Vec::new();
        let mut stuck = Vec::new();
        for line in text.lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.as_slice() {
                ["version", v] => {
                    version = parse_version(v).with_context(|| {
                        format!("{}: bad version '{v}'", root.join(MARKER).display())
                    })?
                }
                ["fail", p, e] => {
                    let errno = errno_of(e).with_context(|| {
                        format!("{}: unknown errno '{e}'", root.join(MARKER).display())
                    })?;
                    fails.push((root.join(p), errno));
                }
                ["stuck", p] => stuck.push(root.join(p)),
                _ => {}
            }
        }
        Ok(Some(Emulator {
            version,
            root: root.to_path_buf(),
            fails,
            stuck,
        }))
    }

    fn has(&self, feature: &str) -> bool {
        features::since(feature).is_some_and(|s| self.version >= s)
    }

    /// The default files of a numbered directory made by writing `nr_file`
    /// (those of [`TEMPLATE`] the emulated kernel has).
    fn template(&self, nr_file: &str) -> Vec<(String, String)> {
        TEMPLATE
            .iter()
            .filter(|(nr, feature, _)| *nr == nr_file && feature.is_none_or(|f| self.has(f)))
            .flat_map(|(_, _, files)| files.iter())
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn put(dir: &Path, files: &[(String, String)]) -> io::Result<()> {
        for (rel, val) in files {
            let p = dir.join(rel);
            if rel.ends_with('/') {
                std::fs::create_dir_all(&p)?;
                continue;
            }
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&p, format!("{val}\n"))?;
        }
        Ok(())
    }

    fn numbered(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_str()?.parse::<u64>().ok()?;
                Some((n, e.path()))
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, p)| p).collect()
    }

    fn is_on(kd: &Path) -> bool {
        std::fs::read_to_string(kd.join("state")).is_ok_and(|s| s.trim() == "on")
    }

    fn any_on(root: &Path) -> bool {
        Self::numbered(&root.join(super::KDAMONDS_REL))
            .iter()
            .any(|k| Self::is_on(k))
    }

    /// Does one write, with the kernel's checks and side effects.
    pub fn write(&self, root: &Path, path: &Path, value: &str) -> io::Result<()> {
        if let Some((_, e)) = self.fails.iter().find(|(p, _)| p == path) {
            return Err(err(*e));
        }
        if !path.is_file() {
            return Err(err(ENOENT));
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let v = value.trim();
        let dir = path.parent().unwrap_or(root);
        if dir == root.join(DBGFS_REL) {
            return self.dbgfs_write(dir, name, v);
        }
        if dir
            .parent()
            .is_some_and(|m| m.parent() == Some(&root.join("module")))
        {
            return self.module_param(dir, name, v);
        }
        const READ_ONLY: [&str; 13] = [
            "pid",
            "avail_operations",
            "effective_bytes",
            "nr_tried",
            "sz_tried",
            "nr_applied",
            "sz_applied",
            "qt_exceeds",
            "sz_ops_filter_passed",
            "nr_snapshots",
            "total_bytes",
            "nr_accesses",
            "age",
        ];
        if READ_ONLY.contains(&name) {
            return Err(err(EACCES));
        }
        if name == "state" {
            return self.state_command(root, dir, v);
        }
        if name.starts_with("nr_") {
            let n: u32 = v.parse().map_err(|_| err(EINVAL))?;
            if name == "nr_kdamonds" && Self::any_on(root) {
                return Err(err(EBUSY));
            }
            for old in Self::numbered(dir) {
                std::fs::remove_dir_all(old)?;
            }
            // probe filters are not DAMOS filters
            let in_probe = dir
                .parent()
                .and_then(|p| p.parent())
                .is_some_and(|p| p.ends_with("probes"));
            let files = self.template(if in_probe && name == "nr_filters" {
                "probe_nr_filters"
            } else {
                name
            });
            for i in 0..n {
                Self::put(&dir.join(i.to_string()), &files)?;
            }
            return std::fs::write(path, format!("{n}\n"));
        }
        let keyword_file = [
            "operations",
            "action",
            "type",
            "target_metric",
            "goal_tuner",
        ]
        .contains(&name)
            || (name == "metric" && dir.ends_with("watermarks"));
        if keyword_file {
            let ok = match keyword_feature(name, v) {
                Some(feat) => self.has(feat),
                None => false,
            };
            if !ok {
                return Err(err(EINVAL));
            }
        } else if ["matching", "allow", "pause", "obsolete_target"].contains(&name) {
            if !["Y", "N", "y", "n", "1", "0"].contains(&v) {
                return Err(err(EINVAL));
            }
        } else if !["memcg_path", "path"].contains(&name)
            && v.parse::<u64>().is_err()
            && v.parse::<i64>().is_err()
        {
            return Err(err(EINVAL));
        }
        std::fs::write(path, format!("{v}\n"))
    }

    /// A write to the debugfs interface: files are refused (EBUSY) while
    /// monitoring is on; each takes its whole input and shows it back in
    /// the kernel's form (`paddr` as id 42, scheme lines with their
    /// statistics).
    fn dbgfs_write(&self, dir: &Path, name: &str, v: &str) -> io::Result<()> {
        let on = std::fs::read_to_string(dir.join("monitor_on")).is_ok_and(|s| s.trim() == "on");
        let nums = |s: &str| -> io::Result<Vec<u64>> {
            s.split_whitespace()
                .map(|w| w.parse::<u64>().map_err(|_| err(EINVAL)))
                .collect()
        };
        let put = |file: &str, text: String| std::fs::write(dir.join(file), text);
        let ab = super::dbgfs::Abilities::of(Some(self.version));
        match name {
            "monitor_on" | "monitor_on_DEPRECATED" => match (v, on) {
                ("on", true) => Err(err(EBUSY)),
                ("on", false) => {
                    put(name, "on\n".into())?;
                    put("kdamond_pid", format!("{}\n", std::process::id()))
                }
                ("off", _) => {
                    put(name, "off\n".into())?;
                    put("kdamond_pid", "none\n".into())
                }
                _ => Err(err(EINVAL)),
            },
            _ if on => Err(err(EBUSY)),
            "attrs" => match nums(v)?.as_slice() {
                [s, a, u, min, max] if min <= max && *min >= 3 => {
                    put(name, format!("{s} {a} {u} {min} {max}\n"))
                }
                _ => Err(err(EINVAL)),
            },
            "target_ids" => {
                let ids = if v == "paddr" && ab.paddr {
                    "42".to_string()
                } else {
                    let ids = nums(v)?;
                    let dead = ids
                        .iter()
                        .any(|p| !Path::new(&format!("/proc/{p}")).exists());
                    if dead {
                        return Err(err(EINVAL));
                    }
                    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")
                };
                // new targets start without regions
                put("init_regions", String::new())?;
                put(name, format!("{ids}\n"))
            }
            "init_regions" => {
                let fields = nums(v)?;
                if fields.len() % 3 != 0 {
                    return Err(err(EINVAL));
                }
                let text: String = fields
                    .chunks_exact(3)
                    .map(|r| match r {
                        [t, s, e] if s < e => Ok(format!("{t} {s} {e}\n")),
                        _ => Err(err(EINVAL)),
                    })
                    .collect::<io::Result<_>>()?;
                put(name, text)
            }
            "schemes" => {
                let want = if ab.quotas_wmarks { 18 } else { 7 };
                let stats = if ab.stat_succ { " 0 0 0 0 0" } else { " 0 0" };
                let mut text = String::new();
                for line in v.lines().filter(|l| !l.trim().is_empty()) {
                    let f = nums(line)?;
                    if f.len() != want || f.get(6).is_none_or(|a| *a > 5) {
                        return Err(err(EINVAL));
                    }
                    let f: Vec<String> = f.iter().map(u64::to_string).collect();
                    text.push_str(&format!("{}{stats}\n", f.join(" ")));
                }
                put(name, text)
            }
            _ => Err(err(EACCES)),
        }
    }

    /// A DAMON module parameter: `enabled` starts and stops the module's
    /// kdamond (`kdamond_pid`), `commit_inputs` is taken at once by a
    /// running module; statistics are read-only; booleans read back as
    /// `Y`/`N`.
    fn module_param(&self, dir: &Path, name: &str, v: &str) -> io::Result<()> {
        let stuck = |f: &str| self.stuck.contains(&dir.join(f));
        let read = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        let boolean = match v {
            "Y" | "y" | "1" => Some("Y"),
            "N" | "n" | "0" => Some("N"),
            _ => None,
        };
        let is_bool = ["Y", "N"].contains(&read(name).as_str());
        let stat = name.starts_with("nr_")
            || name.starts_with("bytes_")
            || [
                "kdamond_pid",
                "memory_idle_ms_percentiles",
                "estimated_memory_bandwidth",
            ]
            .contains(&name);
        if stat {
            return Err(err(EACCES));
        }
        if is_bool {
            let Some(b) = boolean else {
                return Err(err(EINVAL));
            };
            let running = read("kdamond_pid") != "-1" && dir.join("kdamond_pid").is_file();
            if name == "enabled" && b == "Y" && dir.join("min_nr_regions").is_file() {
                // the kernel checks the inputs when it starts the kdamond
                let n = |f: &str| read(f).parse::<u64>().unwrap_or(0);
                if n("min_nr_regions") < 3 || n("min_nr_regions") > n("max_nr_regions") {
                    return Err(err(EINVAL));
                }
            }
            let to_write = if name == "commit_inputs" && b == "Y" && running && !stuck(name) {
                "N"
            } else {
                b
            };
            std::fs::write(dir.join(name), format!("{to_write}\n"))?;
            if name == "enabled" && dir.join("kdamond_pid").is_file() && !stuck("kdamond_pid") {
                let pid = if b == "Y" { FAKE_PID } else { "-1" };
                std::fs::write(dir.join("kdamond_pid"), format!("{pid}\n"))?;
            }
            return Ok(());
        }
        if v.parse::<i64>().is_err() && v.parse::<u64>().is_err() {
            return Err(err(EINVAL));
        }
        std::fs::write(dir.join(name), format!("{v}\n"))
    }

    fn state_command(&self, root: &Path, kd: &Path, cmd: &str) -> io::Result<()> {
        let on = Self::is_on(kd);
        let set = |state: &str, pid: &str| -> io::Result<()> {
            std::fs::write(kd.join("state"), format!("{state}\n"))?;
            std::fs::write(kd.join("pid"), format!("{pid}\n"))
        };
        match cmd {
            "on" => {
                if on {
                    return Err(err(EBUSY));
                }
                self.check_memcgs(root, kd)?;
                set("on", FAKE_PID)
            }
            "off" => {
                if !on {
                    return Err(err(EINVAL));
                }
                set("off", "-1")
            }
            "commit" => {
                if !on {
                    return Err(err(EINVAL));
                }
                self.check_memcgs(root, kd)
            }
            "commit_schemes_quota_goals"
            | "update_schemes_stats"
            | "update_schemes_effective_quotas"
            | "clear_schemes_tried_regions" => {
                if !on {
                    return Err(err(EINVAL));
                }
                Ok(())
            }
            "update_tuned_intervals" => {
                if !on || !self.has("sysfs/intervals_goal") {
                    return Err(err(EINVAL));
                }
                Ok(())
            }
            "update_schemes_tried_regions" | "update_schemes_tried_bytes" => {
                if !on || !self.has("sysfs/schemes_tried_regions") {
                    return Err(err(EINVAL));
                }
                self.fill_tried_regions(kd, cmd == "update_schemes_tried_regions")
            }
            _ => Err(err(EINVAL)),
        }
    }

    fn check_memcgs(&self, root: &Path, kd: &Path) -> io::Result<()> {
        for ctx in Self::numbered(&kd.join("contexts")) {
            for scheme in Self::numbered(&ctx.join("schemes")) {
                for dir in ["filters", "ops_filters"] {
                    for f in Self::numbered(&scheme.join(dir)) {
                        let ty = std::fs::read_to_string(f.join("type")).unwrap_or_default();
                        if ty.trim() != "memcg" {
                            continue;
                        }
                        let p = std::fs::read_to_string(f.join("memcg_path")).unwrap_or_default();
                        let p = p.trim().trim_start_matches('/');
                        if !root.join("fs/cgroup").join(p).is_dir() {
                            return Err(err(ENOMEM));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn fill_tried_regions(&self, kd: &Path, regions: bool) -> io::Result<()> {
        let num = |p: PathBuf| -> u64 {
            std::fs::read_to_string(p)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0)
        };
        for ctx in Self::numbered(&kd.join("contexts")) {
            let r0 = ctx.join("targets/0/regions/0");
            let (mut s, mut e) = (num(r0.join("start")), num(r0.join("end")));
            if e <= s {
                (s, e) = (4 << 30, (4 << 30) + (3 << 30));
            }
            let step = (e - s) / 3;
            for scheme in Self::numbered(&ctx.join("schemes")) {
                let tr = scheme.join("tried_regions");
                for old in Self::numbered(&tr) {
                    std::fs::remove_dir_all(old)?;
                }
                let mut total = 0;
                for (i, (nr, age)) in [(0u64, 50u64), (3, 2), (20, 7)].into_iter().enumerate() {
                    let rs = s + i as u64 * step;
                    let re = rs + step;
                    total += re - rs;
                    if !regions {
                        continue;
                    }
                    let mut files = vec![
                        ("start".to_string(), rs.to_string()),
                        ("end".to_string(), re.to_string()),
                        ("nr_accesses".to_string(), nr.to_string()),
                        ("age".to_string(), age.to_string()),
                    ];
                    if self.has("sysfs/sz_ops_filter_passed") {
                        files.push(("sz_filter_passed".into(), "0".into()));
                    }
                    Self::put(&tr.join(i.to_string()), &files)?;
                }
                if tr.join("total_bytes").is_file() {
                    std::fs::write(tr.join("total_bytes"), format!("{total}\n"))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nr_files_make_directories_of_the_version() {
        let d = std::env::temp_dir().join(format!("damo-emul-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        create(&d, "6.12").unwrap();
        let e = Emulator::load(&d).unwrap().unwrap();
        let kd = d.join(super::super::KDAMONDS_REL);
        e.write(&d, &kd.join("nr_kdamonds"), "1").unwrap();
        assert!(!kd.join("0/refresh_ms").exists(), "6.12 has no refresh_ms");
        e.write(&d, &kd.join("0/contexts/nr_contexts"), "1")
            .unwrap();
        let ctx = kd.join("0/contexts/0");
        e.write(&d, &ctx.join("schemes/nr_schemes"), "1").unwrap();
        assert!(ctx.join("schemes/0/filters/nr_filters").is_file());
        assert!(!ctx.join("schemes/0/core_filters").exists());
        let einval = e.write(&d, &ctx.join("schemes/0/action"), "collapse");
        assert_eq!(einval.unwrap_err().raw_os_error(), Some(EINVAL));
        e.write(&d, &ctx.join("schemes/0/action"), "migrate_hot")
            .unwrap();
        let eacces = e.write(&d, &ctx.join("schemes/0/stats/nr_tried"), "1");
        assert_eq!(eacces.unwrap_err().raw_os_error(), Some(EACCES));
        e.write(&d, &kd.join("0/state"), "on").unwrap();
        let ebusy = e.write(&d, &kd.join("nr_kdamonds"), "2");
        assert_eq!(ebusy.unwrap_err().raw_os_error(), Some(EBUSY));
        e.write(&d, &kd.join("0/state"), "update_schemes_tried_regions")
            .unwrap();
        assert!(ctx.join("schemes/0/tried_regions/2/age").is_file());
        let _ = std::fs::remove_dir_all(&d);
    }
}
