//! The environment damo runs in, resolved once: where sysfs, procfs and
//! tracefs are, whether the tree is a test or demo tree
//! (`DAMO_SYSFS_ROOT`), and whether we run as root.
//!
//! One rule for every variable: unset and empty are the same (an empty
//! `DAMO_SYSFS_ROOT=` is the machine's `/sys`).
//!
//! - `DAMO_SYSFS_ROOT=DIR`: `DIR` stands for `/sys` (and `DIR/kernel/tracing`
//!   for tracefs); the fake kernel (`sysfs::emul`) answers where
//!   `DIR/.damo-fake-kernel` exists; root is not required.
//! - `DAMO_PROC_ROOT=DIR`: `DIR` stands for `/proc` where the memory layout
//!   is read (`iomem`).
//! - `DAMO_SYSFS_TRACE=FILE`: every sysfs read and write is appended to
//!   `FILE` (the write-order traces of the tests).
//! - `NO_COLOR` (no-color.org): terminal colors off, unless `--color
//!   always` asks for them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub struct Env {
    /// `DAMO_SYSFS_ROOT`, when set.
    pub fake_root: Option<PathBuf>,
    /// The directory standing for `/sys`.
    pub sys_root: PathBuf,
    /// The directory standing for `/proc` (the memory layout only).
    pub proc_root: PathBuf,
    /// `DAMO_SYSFS_TRACE`, when set.
    pub sysfs_trace: Option<PathBuf>,
    /// Whether the effective user is root.
    pub is_root: bool,
    /// `NO_COLOR`, when set (to anything but the empty string).
    pub no_color: bool,
}

fn var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Where the first file system of type `fstype` is mounted, from
/// /proc/mounts.
pub fn mount_point(fstype: &str) -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (_, dir, ty) = (f.next()?, f.next()?, f.next()?);
        (ty == fstype).then(|| PathBuf::from(dir))
    })
}

impl Env {
    /// The environment of this process.
    pub fn from_process() -> Env {
        let fake_root = var("DAMO_SYSFS_ROOT");
        let sys_root = fake_root
            .clone()
            .or_else(|| mount_point("sysfs"))
            .unwrap_or_else(|| PathBuf::from("/sys"));
        Env {
            sys_root,
            fake_root,
            proc_root: var("DAMO_PROC_ROOT").unwrap_or_else(|| PathBuf::from("/proc")),
            sysfs_trace: var("DAMO_SYSFS_TRACE"),
            is_root: nix::unistd::geteuid().is_root(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }

    /// Whether the DAMON files are a test or demo tree (`DAMO_SYSFS_ROOT`).
    pub fn is_fake(&self) -> bool {
        self.fake_root.is_some()
    }

    /// Where tracefs is: `DAMO_SYSFS_ROOT/kernel/tracing` for fake trees,
    /// else the tracefs mount in /proc/mounts, else the usual places; only
    /// a directory holding `events` counts.
    pub fn tracefs_root(&self) -> Option<PathBuf> {
        let has_events = |p: &Path| p.join("events").is_dir();
        if let Some(r) = &self.fake_root {
            let p = r.join("kernel/tracing");
            return has_events(&p).then_some(p);
        }
        mount_point("tracefs")
            .into_iter()
            .chain([
                PathBuf::from("/sys/kernel/tracing"),
                PathBuf::from("/sys/kernel/debug/tracing"),
            ])
            .find(|p| has_events(p))
    }
}

static ENV: OnceLock<Env> = OnceLock::new();

/// The environment, resolved once, on first use (a report of a record file
/// never reads /proc/mounts).
pub fn get() -> &'static Env {
    ENV.get_or_init(Env::from_process)
}
