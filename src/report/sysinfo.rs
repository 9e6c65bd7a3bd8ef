//! `damo report sysinfo`: versions, file systems, tools, and the DAMON
//! features this kernel has (and has not), in damo 3.4.3's layout.
//!
//! damo caches what it found in `~/.damo.sysinfo`; we find it again each
//! time (passively, in milliseconds), so `--invalidate_cache` has nothing
//! to do.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Result;

use crate::cli::conv::Choice as _;
use crate::cli::opts::ReportSysinfo;
use crate::sysfs::Sysfs;
use crate::sysfs::features::{self, UPSTREAM, Upstream};

/// Everything the report shows.
pub struct SysInfo {
    pub kernel_version: String,
    pub sysfs: Option<PathBuf>,
    pub tracefs: Option<PathBuf>,
    pub debugfs: Option<PathBuf>,
    pub trace_cmd_version: Option<String>,
    pub perf_path: Option<PathBuf>,
    pub perf_version: Option<String>,
    /// Available features, in the order damo finds them.
    pub avail: Vec<&'static Upstream>,
}

/// What `cmd args` prints, stdout then stderr.
fn tool_output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(text)
}

/// The order damo finds features in: sysfs, debugfs, tracepoints,
/// interfaces, then module parameters.
const FIND_ORDER: &[&str] = &[
    "trace/damon_aggregated",
    "trace/damos_before_apply",
    "trace/damon_monitor_intervals_tune",
    "trace/damos_esz",
    "trace/damos_stat_after_apply_interval",
    "trace/damon_region_aggregated",
    "interface/damon_debugfs",
    "interface/damon_sysfs",
    "interface/damon_reclaim",
    "interface/damon_lru_sort",
    "interface/damon_stat",
    "stat/aggr_interval",
    "stat/negative_idle_time",
    "lru_sort/addr_unit",
    "lru_sort/young_page_filter",
    "lru_sort/active_mem_bp",
    "lru_sort/autotune_monitoring_intervals",
    "reclaim/stats",
    "reclaim/commit_inputs",
    "reclaim/skip_anon",
    "reclaim/quota_mem_pressure_us",
    "reclaim/quota_user_feedback",
    "reclaim/addr_unit",
];

impl SysInfo {
    pub fn gather(fs: &Sysfs) -> SysInfo {
        let have: HashSet<String> = features::all(fs)
            .into_iter()
            .filter(|(_, ok)| *ok)
            .map(|(n, _)| n)
            .collect();
        let mut avail: Vec<&'static Upstream> = Vec::new();
        for prefix in ["sysfs/", "debugfs/"] {
            avail.extend(
                UPSTREAM
                    .iter()
                    .filter(|f| f.name.starts_with(prefix) && have.contains(f.name)),
            );
        }
        for name in FIND_ORDER {
            if have.contains(*name) {
                avail.extend(UPSTREAM.iter().find(|f| f.name == *name));
            }
        }
        let fake = fs.is_emulated() || crate::env::get().is_fake();
        let perf_path = crate::damon::args::which("perf");
        SysInfo {
            kernel_version: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".into()),
            sysfs: if fake {
                Some(fs.root().to_path_buf())
            } else {
                crate::env::mount_point("sysfs")
            },
            tracefs: if fake {
                crate::env::get().tracefs_root()
            } else {
                crate::env::mount_point("tracefs")
            },
            debugfs: if fake {
                None
            } else {
                crate::env::mount_point("debugfs")
            },
            trace_cmd_version: crate::damon::args::which("trace-cmd").and_then(|p| {
                let out = tool_output(&p.to_string_lossy(), &[])?;
                out.lines().find_map(|l| {
                    l.strip_prefix("trace-cmd version ")
                        .map(|v| v.trim().to_string())
                })
            }),
            perf_version: perf_path.as_ref().and_then(|p| {
                tool_output(&p.to_string_lossy(), &["--version"])
                    .map(|o| o.trim().to_string())
                    .filter(|o| !o.is_empty())
            }),
            perf_path,
            avail,
        }
    }

    /// The newest DAMON release whose features this kernel has (`+`
    /// where it has unreleased ones too).
    pub fn damon_version(&self) -> String {
        if self.avail.is_empty() {
            return "<5.15".into();
        }
        let mut plus = false;
        for f in UPSTREAM.iter().rev() {
            if !self.avail.iter().any(|a| a.name == f.name) {
                continue;
            }
            if f.version == "none" || f.version == "unknown" {
                plus = true;
                continue;
            }
            return format!("{}{}", f.version, if plus { "+" } else { "" });
        }
        "unknown (only non-upstreamed features)".into()
    }
}

fn opt_path(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or_else(|| "None".to_string(), |p| p.display().to_string())
}

fn feature_lines(f: &Upstream, out: &mut String) {
    out.push_str(&format!("- {} ({})\n", f.name, f.status));
    if !f.comment.is_empty() {
        out.push_str(&format!("  - {}\n", f.comment));
    }
}

/// Which `--print` category a feature belongs to.
fn category(name: &str) -> &'static str {
    match name.split('/').next().unwrap_or_default() {
        "interface" => "interfaces",
        "sysfs" => "sysfs_features",
        "debugfs" => "debugfs_features",
        "trace" => "trace_features",
        "stat" => "stat_features",
        "lru_sort" => "lru_sort_features",
        "reclaim" => "reclaim_features",
        _ => "",
    }
}

/// The report for the `--print` categories.
pub fn render(info: &SysInfo, print: &[&str]) -> String {
    let all = print.contains(&"all");
    let want = |c: &str| all || print.contains(&c);
    let mut out = String::new();
    if want("versions") {
        out.push_str(&format!("damo version: {}\n", crate::cli::DAMO_VERSION));
        out.push_str(&format!("kernel version: {}\n", info.kernel_version));
        out.push_str(&format!("DAMON version: {}\n", info.damon_version()));
    }
    if want("fs_info") {
        out.push_str(&format!("sysfs: {}\n", opt_path(&info.sysfs)));
        out.push_str(&format!("tracefs: {}\n", opt_path(&info.tracefs)));
        out.push_str(&format!("debugfs: {}\n", opt_path(&info.debugfs)));
    }
    if want("trace_cmd_info") {
        out.push_str(&format!(
            "trace-cmd version: {}\n",
            info.trace_cmd_version.as_deref().unwrap_or("None")
        ));
    }
    if want("perf_info") {
        out.push_str(&format!("perf path: {}\n", opt_path(&info.perf_path)));
        out.push_str(&format!(
            "perf version: {}\n",
            info.perf_version.as_deref().unwrap_or("None")
        ));
    }
    let shown: Vec<&&Upstream> = info
        .avail
        .iter()
        .filter(|f| {
            let c = category(f.name);
            c.is_empty() || want(c)
        })
        .collect();
    if !shown.is_empty() {
        out.push_str("available DAMON features:\n");
        for f in shown {
            feature_lines(f, &mut out);
        }
    }
    if want("unavailable_features") {
        let missing: Vec<&Upstream> = UPSTREAM
            .iter()
            .filter(|f| !info.avail.iter().any(|a| a.name == f.name))
            .collect();
        if !missing.is_empty() {
            out.push_str("unavailable DAMON features:\n");
            for f in missing {
                feature_lines(f, &mut out);
            }
        }
    }
    out
}

/// `damo report sysinfo`.
pub fn main(args: &ReportSysinfo, fs: &Sysfs) -> Result<()> {
    let info = SysInfo::gather(fs);
    let print: Vec<&str> = args.print.iter().map(|p| p.as_str()).collect();
    crate::output::print(&render(&info, &print))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sysfs_feature_has_an_upstream_entry_agreeing_on_the_version() {
        for f in features::FEATURES
            .iter()
            .filter(|f| f.name != "sysfs/lru_sort")
        {
            let u = UPSTREAM
                .iter()
                .find(|u| u.name == f.name)
                .unwrap_or_else(|| panic!("{} missing from UPSTREAM", f.name));
            match f.since {
                Some((a, b)) => assert_eq!(u.version, format!("{a}.{b}"), "{}", f.name),
                None => assert_eq!(u.version, "none", "{}", f.name),
            }
        }
    }

    #[test]
    fn damon_version_is_the_newest_release_present() {
        let pick = |names: &[&str]| SysInfo {
            kernel_version: String::new(),
            sysfs: None,
            tracefs: None,
            debugfs: None,
            trace_cmd_version: None,
            perf_path: None,
            perf_version: None,
            avail: UPSTREAM
                .iter()
                .filter(|u| names.contains(&u.name))
                .collect(),
        };
        assert_eq!(pick(&[]).damon_version(), "<5.15");
        assert_eq!(
            pick(&["sysfs/vaddr", "sysfs/schemes_filters"]).damon_version(),
            "6.3"
        );
        assert_eq!(
            pick(&["sysfs/vaddr", "sysfs/ops_attrs"]).damon_version(),
            "5.18+"
        );
    }
}
