//! DAMON's kernel modules (DAMON_RECLAIM, DAMON_LRU_SORT, DAMON_STAT):
//! their parameter files under `<sysfs>/module/damon_<name>/parameters`,
//! read and written through [`Sysfs`] (so `DAMO_SYSFS_ROOT`, the emulator
//! and `DAMO_SYSFS_TRACE` apply), and the enable/disable/commit protocols
//! with deadlines instead of damo's endless polls.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::Sysfs;

/// A DAMON module damo controls with its own command.
pub struct Module {
    /// `reclaim`: the directory is `damon_<name>`.
    pub name: &'static str,
    /// `DAMON_RECLAIM`, as the kernel documentation calls it.
    pub title: &'static str,
    /// The kernel config option that builds it.
    pub config: &'static str,
    /// Parameters that every kernel with the module has, in damo's order.
    pub essential: &'static [&'static str],
    /// Parameters later kernels added; missing ones are skipped.
    pub optional: &'static [&'static str],
}

pub const RECLAIM: Module = Module {
    name: "reclaim",
    title: "DAMON_RECLAIM",
    config: "CONFIG_DAMON_RECLAIM",
    essential: &[
        "kdamond_pid",
        "enabled",
        "min_age",
        "quota_ms",
        "quota_sz",
        "quota_reset_interval_ms",
        "wmarks_interval",
        "wmarks_high",
        "wmarks_mid",
        "wmarks_low",
        "sample_interval",
        "aggr_interval",
        "min_nr_regions",
        "max_nr_regions",
        "monitor_region_start",
        "monitor_region_end",
    ],
    optional: &[
        "nr_reclaim_tried_regions",
        "nr_reclaimed_regions",
        "bytes_reclaim_tried_regions",
        "bytes_reclaimed_regions",
        "nr_quota_exceeds",
        "skip_anon",
        "quota_mem_pressure_us",
        "quota_autotune_feedback",
    ],
};

pub const LRU_SORT: Module = Module {
    name: "lru_sort",
    title: "DAMON_LRU_SORT",
    config: "CONFIG_DAMON_LRU_SORT",
    essential: &[
        "kdamond_pid",
        "enabled",
        "hot_thres_access_freq",
        "cold_min_age",
        "quota_ms",
        "quota_reset_interval_ms",
        "wmarks_interval",
        "wmarks_high",
        "wmarks_mid",
        "wmarks_low",
        "sample_interval",
        "aggr_interval",
        "min_nr_regions",
        "max_nr_regions",
        "monitor_region_start",
        "monitor_region_end",
        "nr_lru_sort_tried_hot_regions",
        "nr_lru_sorted_hot_regions",
        "bytes_lru_sort_tried_hot_regions",
        "bytes_lru_sorted_hot_regions",
        "nr_lru_sort_tried_cold_regions",
        "nr_lru_sorted_cold_regions",
        "bytes_lru_sort_tried_cold_regions",
        "bytes_lru_sorted_cold_regions",
    ],
    optional: &[],
};

/// How long a module gets to start or stop its kdamond, or to take
/// committed inputs, before we give up (damo waits forever).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// One module's parameter directory.
pub struct Params<'a> {
    pub fs: &'a Sysfs,
    /// `reclaim` for `damon_reclaim`.
    pub name: String,
    pub dir: PathBuf,
}

impl<'a> Params<'a> {
    /// `<root>/module/damon_<name>/parameters`.
    pub fn of(fs: &'a Sysfs, name: &str) -> Params<'a> {
        Params {
            fs,
            name: name.to_string(),
            dir: fs
                .root()
                .join("module")
                .join(format!("damon_{name}"))
                .join("parameters"),
        }
    }

    pub fn file(&self, param: &str) -> PathBuf {
        self.dir.join(param)
    }

    pub fn exists(&self, param: &str) -> bool {
        self.file(param).is_file()
    }

    /// The trimmed value, `None` if the parameter does not exist.
    pub fn get(&self, param: &str) -> Result<Option<String>> {
        if !self.exists(param) {
            return Ok(None);
        }
        Ok(Some(self.fs.read(&self.file(param))?.trim().to_string()))
    }

    pub fn set(&self, param: &str, value: &str) -> Result<()> {
        Ok(self.fs.write(&self.file(param), value)?)
    }

    /// Every parameter, in the directory's order (the kernel's, as damo
    /// lists them).
    pub fn names(&self) -> Result<Vec<String>> {
        let rd = std::fs::read_dir(&self.dir)
            .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", self.dir.display()))?;
        Ok(rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect())
    }

    /// Fails with what to do unless the directory exists.
    pub fn require_dir(&self, title: &str, config: &str) -> Result<()> {
        if !self.dir.is_dir() {
            bail!(
                "{title} is not available: {} not found; the kernel needs {config} \
                 (built in, or 'modprobe damon_{}' where it is a module)",
                self.dir.display(),
                self.name
            );
        }
        Ok(())
    }
}

impl Module {
    /// The essential parameters that are inputs (not `kdamond_pid`,
    /// `enabled` or statistics), in damo's order: what the options set.
    pub fn inputs(&self) -> Vec<&'static str> {
        self.essential
            .iter()
            .copied()
            .filter(|p| {
                !["kdamond_pid", "enabled"].contains(p)
                    && !p.starts_with("nr_")
                    && !p.starts_with("bytes_")
            })
            .collect()
    }

    pub fn params<'a>(&self, fs: &'a Sysfs) -> Params<'a> {
        Params::of(fs, self.name)
    }

    /// The module's directory and essential parameters exist.
    pub fn check(&self, p: &Params) -> Result<()> {
        p.require_dir(self.title, self.config)?;
        for param in self.essential {
            if !p.exists(param) {
                bail!(
                    "{} not found: this kernel's {} lacks a parameter damo needs; \
                     see what it has with 'ls {}'",
                    p.file(param).display(),
                    self.title,
                    p.dir.display()
                );
            }
        }
        Ok(())
    }

    /// `name: value` of the essential and optional parameters that exist.
    pub fn status(&self, p: &Params) -> Result<Vec<(&'static str, String)>> {
        let mut v = Vec::new();
        for param in self.essential.iter().chain(self.optional) {
            if let Some(val) = p.get(param)? {
                v.push((*param, val));
            }
        }
        Ok(v)
    }

    /// Writes one input parameter; a missing optional one is skipped with
    /// damo's warning line, which is returned.
    pub fn set_input(&self, p: &Params, param: &str, value: &str) -> Result<Option<String>> {
        if !p.exists(param) {
            if self.optional.contains(&param) {
                return Ok(Some(format!(
                    "warn: {} not exist; setup of it is skipped",
                    p.file(param).display()
                )));
            }
            bail!(
                "{} not found: this kernel's {} has no '{param}' parameter",
                p.file(param).display(),
                self.title
            );
        }
        p.set(param, value)?;
        Ok(None)
    }

    /// Whether the module's kdamond runs (`kdamond_pid` is not -1).
    pub fn running(&self, p: &Params) -> Result<bool> {
        Ok(p.get("kdamond_pid")?.is_some_and(|v| v != "-1"))
    }

    fn wait_running(&self, p: &Params, want: bool) -> Result<()> {
        let deadline = Instant::now() + DEADLINE;
        while self.running(p)? != want {
            if Instant::now() >= deadline {
                bail!(
                    "{} did not {} its kdamond within {} s ({} stays '{}'); \
                     check the kernel log (dmesg) for DAMON errors",
                    self.title,
                    if want { "start" } else { "stop" },
                    DEADLINE.as_secs(),
                    p.file("kdamond_pid").display(),
                    p.get("kdamond_pid")?.unwrap_or_default()
                );
            }
            if let Some(sig) = crate::interrupt::sleep(Duration::from_millis(100)) {
                bail!(crate::interrupt::Interrupted(sig));
            }
        }
        Ok(())
    }

    /// damo's protocol: `enabled=N`, wait for the kdamond to stop, and
    /// for `on`, `enabled=Y` and wait for it to start (so new inputs are
    /// read).
    pub fn enable(&self, p: &Params, on: bool) -> Result<()> {
        p.set("enabled", "N")?;
        self.wait_running(p, false)?;
        if on {
            p.set("enabled", "Y")?;
            self.wait_running(p, true)?;
        }
        Ok(())
    }

    /// `commit_inputs=Y` on a running module, then wait until the kernel
    /// has taken the inputs (it resets the file to `N`).
    pub fn commit(&self, p: &Params) -> Result<()> {
        if !self.running(p)? {
            bail!(
                "{} is not running, so there is nothing to commit to; \
                 start it with the new inputs by 'damo {} enable ...'",
                self.title,
                self.name
            );
        }
        if !p.exists("commit_inputs") {
            bail!(
                "{} not found: this kernel's {} cannot take inputs while running \
                 (Linux 5.19 or later can); use 'damo {} enable ...' to restart it \
                 with them",
                p.file("commit_inputs").display(),
                self.title,
                self.name
            );
        }
        p.set("commit_inputs", "Y")?;
        let deadline = Instant::now() + DEADLINE;
        while p.get("commit_inputs")?.as_deref() == Some("Y") {
            if Instant::now() >= deadline {
                bail!(
                    "{} did not take the committed inputs within {} s \
                     ({} stays 'Y'); check its parameters for invalid values",
                    self.title,
                    DEADLINE.as_secs(),
                    p.file("commit_inputs").display()
                );
            }
            if let Some(sig) = crate::interrupt::sleep(Duration::from_millis(100)) {
                bail!(crate::interrupt::Interrupted(sig));
            }
        }
        Ok(())
    }
}

/// The default parameters of a module of a kernel `version`, for fake
/// trees (`emul::create_module`): name and value.
pub fn default_params(
    name: &str,
    version: super::features::Version,
) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&'static str, &'static str)> = match name {
        "reclaim" => vec![
            ("enabled", "N"),
            ("min_age", "120000000"),
            ("quota_ms", "10"),
            ("quota_sz", "134217728"),
            ("quota_reset_interval_ms", "1000"),
            ("wmarks_interval", "5000000"),
            ("wmarks_high", "500"),
            ("wmarks_mid", "400"),
            ("wmarks_low", "200"),
            ("sample_interval", "5000"),
            ("aggr_interval", "100000"),
            ("min_nr_regions", "10"),
            ("max_nr_regions", "1000"),
            ("monitor_region_start", "0"),
            ("monitor_region_end", "0"),
            ("kdamond_pid", "-1"),
            ("nr_reclaim_tried_regions", "0"),
            ("bytes_reclaim_tried_regions", "0"),
            ("nr_reclaimed_regions", "0"),
            ("bytes_reclaimed_regions", "0"),
            ("nr_quota_exceeds", "0"),
        ],
        "lru_sort" => vec![
            ("enabled", "N"),
            ("hot_thres_access_freq", "500"),
            ("cold_min_age", "120000000"),
            ("quota_ms", "10"),
            ("quota_reset_interval_ms", "1000"),
            ("wmarks_interval", "5000000"),
            ("wmarks_high", "200"),
            ("wmarks_mid", "150"),
            ("wmarks_low", "50"),
            ("sample_interval", "5000"),
            ("aggr_interval", "100000"),
            ("min_nr_regions", "10"),
            ("max_nr_regions", "1000"),
            ("monitor_region_start", "0"),
            ("monitor_region_end", "0"),
            ("kdamond_pid", "-1"),
            ("nr_lru_sort_tried_hot_regions", "0"),
            ("nr_lru_sorted_hot_regions", "0"),
            ("bytes_lru_sort_tried_hot_regions", "0"),
            ("bytes_lru_sorted_hot_regions", "0"),
            ("nr_lru_sort_tried_cold_regions", "0"),
            ("nr_lru_sorted_cold_regions", "0"),
            ("bytes_lru_sort_tried_cold_regions", "0"),
            ("bytes_lru_sorted_cold_regions", "0"),
        ],
        "stat" => vec![
            ("enabled", "N"),
            ("aggr_interval_us", "0"),
            ("estimated_memory_bandwidth", "0"),
            ("memory_idle_ms_percentiles", STAT_PERCENTILES_IDLE),
        ],
        _ => vec![],
    };
    if name == "reclaim" {
        if version >= (5, 19) {
            v.insert(1, ("commit_inputs", "N"));
        }
        if version >= (6, 3) {
            v.push(("skip_anon", "N"));
        }
        if version >= (6, 9) {
            v.push(("quota_mem_pressure_us", "0"));
            v.push(("quota_autotune_feedback", "0"));
        }
    }
    if name == "lru_sort" && version >= (5, 19) {
        v.insert(1, ("commit_inputs", "N"));
    }
    v
}

/// What DAMON_STAT shows before it has run: 101 zeros.
const STAT_PERCENTILES_IDLE: &str = "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0";

/// Where `start` notes the DAMON modules it disabled (so that `stop`
/// enables them again): beside the setup lock, root's `/run`.
fn paused_list() -> PathBuf {
    match crate::env::get().fake_root.as_deref() {
        Some(r) => r.join(".damo.paused-modules"),
        None => PathBuf::from("/run/damo.paused-modules"),
    }
}

impl Sysfs {
    /// Disables a DAMON module (its `enabled` parameter file, as
    /// [`Sysfs::damon_modules`] gives it) so that other kdamonds can run,
    /// and notes it for [`Sysfs::resume_paused_modules`].
    pub fn pause_module(&self, module: &str, param: &std::path::Path) -> Result<()> {
        self.write(param, "N")?;
        let list = paused_list();
        let mut text = std::fs::read_to_string(&list).unwrap_or_default();
        if !text.lines().any(|l| l == module) {
            text.push_str(module);
            text.push('\n');
        }
        crate::outfile::write_atomic(&list, text.as_bytes(), Some(0o600))
    }

    /// Enables again the DAMON modules `start` disabled; returns each
    /// module with the outcome of enabling it.
    pub fn resume_paused_modules(&self) -> Vec<(String, Result<()>)> {
        let list = paused_list();
        let Ok(text) = std::fs::read_to_string(&list) else {
            return Vec::new();
        };
        let _ = std::fs::remove_file(&list);
        let modules = self.damon_modules();
        text.lines()
            .filter(|m| !m.is_empty())
            .map(|m| {
                // only a module the kernel has, through its own parameter
                let res = match modules.iter().find(|(name, _, _)| name == m) {
                    Some((_, param, _)) => self.write(param, "Y").map_err(Into::into),
                    None => Err(anyhow::anyhow!("the kernel has no module {m}")),
                };
                (m.to_string(), res)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_what_the_options_set() {
        // reclaim: --min_age, --quota (3), --wmarks (4), --monitor_intervals
        // (2), --nr_regions (2), --monitor_region (2)
        assert_eq!(RECLAIM.inputs().len(), 14);
        assert_eq!(RECLAIM.inputs()[0], "min_age");
        // lru_sort: two thresholds, --quota (2), then as reclaim
        assert_eq!(LRU_SORT.inputs().len(), 14);
        assert_eq!(LRU_SORT.inputs()[13], "monitor_region_end");
    }
}
