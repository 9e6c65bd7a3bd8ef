//! The kdamond layer: every access to DAMON's sysfs interface goes through
//! [`Sysfs`].
//!
//! - root: `/sys` (the first sysfs mount in /proc/mounts), or the directory
//!   in `DAMO_SYSFS_ROOT`, which stands for `/sys` (tests, demos);
//! - [`stage`]: writing kdamonds to the files, in damo 3.4.3's order;
//! - [`read`]: reading the files back into the parameter model;
//! - [`state`]: `state` file commands (on, off, commit, update_*), with
//!   polling that has a deadline;
//! - [`features`]: what the kernel supports, found passively;
//! - [`emul`]: a fake kernel for trees under `DAMO_SYSFS_ROOT` that carry
//!   a `.damo-fake-kernel` file (nr_* files create directories, `state`
//!   commands work, failures can be injected).
//!
//! `DAMO_SYSFS_TRACE=<file>` appends every read and write to a file, in the
//! format of the damo 3.4.3 traces the write-order tests compare with.

pub mod dbgfs;
pub mod deadline;
pub mod emul;
pub mod features;
pub mod lock;
pub mod modules;
pub mod read;
pub mod stage;
pub mod state;

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A failed sysfs read or write, with the errno and what it means here.
#[derive(Debug)]
pub struct SysfsError {
    pub path: PathBuf,
    /// The value being written; `None` for reads.
    pub value: Option<String>,
    pub err: io::Error,
}

impl SysfsError {
    pub fn errno(&self) -> Option<i32> {
        self.err.raw_os_error()
    }
}

/// errno name, as users search for it.
pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        libc_errno::EPERM => "EPERM",
        libc_errno::ENOENT => "ENOENT",
        libc_errno::ENOMEM => "ENOMEM",
        libc_errno::EACCES => "EACCES",
        libc_errno::EBUSY => "EBUSY",
        libc_errno::EINVAL => "EINVAL",
        libc_errno::ESRCH => "ESRCH",
        libc_errno::EROFS => "EROFS",
        _ => "errno",
    }
}

/// The errno values this layer explains.
pub mod libc_errno {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const ESRCH: i32 = 3;
    pub const ENOMEM: i32 = 12;
    pub const EACCES: i32 = 13;
    pub const EBUSY: i32 = 16;
    pub const EINVAL: i32 = 22;
    pub const EROFS: i32 = 30;
}

impl std::fmt::Display for SysfsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match &self.value {
            Some(v) => format!("writing '{}' to {}", v.trim(), self.path.display()),
            None => format!("reading {}", self.path.display()),
        };
        let errno = self.errno().unwrap_or(0);
        let msg = self.err.to_string();
        let msg = msg.split(" (os error").next().unwrap_or(&msg);
        if self.errno().is_none() && self.err.kind() == io::ErrorKind::TimedOut {
            return write!(
                f,
                "{what} failed: {msg}; the kdamond may be left in any state: see 'damo report \
                 damon', and reboot if DAMON stays stuck"
            );
        }
        write!(f, "{what} failed: {msg} ({})", errno_name(errno))?;
        let state_file = self.path.file_name().is_some_and(|n| n == "state");
        let hint = match errno {
            libc_errno::EPERM | libc_errno::EACCES => {
                "; DAMON's sysfs files are writable by root only: run damo as root (sudo)"
            }
            libc_errno::EBUSY if state_file => "; the kdamond is already running",
            libc_errno::EBUSY => "; a kdamond is running: stop it with 'damo stop' first",
            libc_errno::EINVAL if state_file => {
                "; the kernel rejected the command or the staged parameters (see 'dmesg')"
            }
            libc_errno::ENOMEM if state_file => {
                "; the kernel could not apply the parameters: out of memory, or a memcg \
                 filter names a cgroup that does not exist"
            }
            libc_errno::ENOENT if !self.path.exists() => {
                "; the kernel has no such file: it lacks this DAMON feature \
                 ('damo features' lists what it supports)"
            }
            _ => "",
        };
        f.write_str(hint)
    }
}

impl std::error::Error for SysfsError {}

pub type SysResult<T> = std::result::Result<T, SysfsError>;

/// What answers the reads and writes of a tree: the machine's kernel, or
/// the fake kernel of a test tree ([`emul::Emulator`]); DAMON's debugfs
/// interface would be a third.
pub trait Kernel {
    /// Reads a file.
    fn read_file(&self, path: &Path) -> io::Result<String> {
        read_kernel_file(path)
    }
    /// Writes `value` to the file, as one write.
    fn write_file(&self, path: &Path, value: &str) -> io::Result<()>;
    /// The kernel version a fake kernel emulates (`None`: the machine's).
    fn emulated_version(&self) -> Option<features::Version> {
        None
    }
}

/// The DAMON interface a command asks for (damo's
/// `--damon_interface_DEPRECATED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    Auto,
    Sysfs,
    Debugfs,
}

impl Interface {
    /// The interface of a `--damon_interface_DEPRECATED` choice (`auto`
    /// for any other word).
    pub fn named(name: &str) -> Interface {
        match name {
            "sysfs" => Interface::Sysfs,
            "debugfs" => Interface::Debugfs,
            _ => Interface::Auto,
        }
    }
}

/// damo's root check for `damo <command> ...`, skipped for
/// `DAMO_SYSFS_ROOT` trees.
pub fn require_root_for(command: &str) -> anyhow::Result<()> {
    let env = crate::env::get();
    if !env.is_fake() && !env.is_root {
        anyhow::bail!(
            "Run as root: DAMON's sysfs files are writable by root only (try 'sudo damo {command}')"
        );
    }
    Ok(())
}

/// Reads a kernel file whole.  The first read asks for 64 KiB at once:
/// debugfs files print their content into a buffer of the read's size and
/// serve later reads from a fresh print, so the small first read of
/// `read_to_string` would cut their text short.
pub fn read_kernel_file(path: &Path) -> io::Result<String> {
    use std::io::Read;
    const FIRST: usize = 64 << 10;
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; FIRST];
    let n = f.read(&mut buf)?;
    buf.truncate(n);
    if n == FIRST {
        // longer than any DAMON file: read on
        f.read_to_end(&mut buf)?;
    }
    String::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Where every read and write is shown (damo's `--debug_damon`).
pub type ShowAccess = Box<dyn Fn(&str)>;

/// The machine's kernel: its files, read and written as they are.
struct Machine;

impl Kernel for Machine {
    fn write_file(&self, path: &Path, value: &str) -> io::Result<()> {
        // commands to kdamonds, through a helper that may be left behind
        // if the kernel blocks it
        if deadline::is_command_file(path)
            && let Ok(exe) = std::env::current_exe()
        {
            return deadline::write(&exe, path, value, deadline::COMMAND_WRITE_DEADLINE);
        }
        OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .and_then(|mut f| f.write_all(value.as_bytes()))
    }
}

/// The DAMON sysfs interface of one machine (or of a fake tree).
pub struct Sysfs {
    /// The directory standing for `/sys`.
    root: PathBuf,
    kernel: Box<dyn Kernel>,
    trace: Option<RefCell<File>>,
    /// Shown every read and write (damo's `--debug_damon`).
    debug: Option<ShowAccess>,
    /// `<debugfs>/damon`.
    dbgfs_dir: PathBuf,
    /// Whether DAMON is driven through its debugfs interface ([`dbgfs`]).
    use_dbgfs: bool,
}

/// `kernel/mm/damon/admin/kdamonds`, relative to the sysfs root.
pub const KDAMONDS_REL: &str = "kernel/mm/damon/admin/kdamonds";

impl Sysfs {
    /// The machine's sysfs, or `DAMO_SYSFS_ROOT`'s.
    pub fn open() -> anyhow::Result<Sysfs> {
        Sysfs::at(crate::env::get())
    }

    /// The tree of `env` (standing for `/sys`); a fake tree may carry
    /// the emulator.
    pub fn at(env: &crate::env::Env) -> anyhow::Result<Sysfs> {
        let root = env.sys_root.as_path();
        let emulator = if env.is_fake() {
            emul::Emulator::load(root)?
        } else {
            None
        };
        let kernel: Box<dyn Kernel> = match emulator {
            Some(e) => Box::new(e),
            None => Box::new(Machine),
        };
        let trace = match &env.sysfs_trace {
            Some(p) => Some(RefCell::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| {
                        anyhow::anyhow!("cannot open DAMO_SYSFS_TRACE file {}: {e}", p.display())
                    })?,
            )),
            None => None,
        };
        // debugfs: under the tree for a test tree, else where it is mounted
        let debugfs = match env.is_fake() {
            true => root.join("kernel/debug"),
            false => {
                crate::env::mount_point("debugfs").unwrap_or_else(|| root.join("kernel/debug"))
            }
        };
        Ok(Sysfs {
            root: root.to_path_buf(),
            kernel,
            trace,
            debug: None,
            dbgfs_dir: debugfs.join("damon"),
            use_dbgfs: false,
        })
    }

    /// The DAMON interface a command drives, after the checks every DAMON
    /// command does: root (unless the tree is a `DAMO_SYSFS_ROOT` one) and
    /// the interface's presence.  `command` names the command in
    /// the root check's advice.
    ///
    /// `interface` picks the DAMON interface: sysfs, debugfs (DAMON's
    /// older interface, Linux 5.15 to 6.8), or `auto`: sysfs where the
    /// kernel has it, debugfs otherwise (as damo 3.4.3).
    pub fn open_for(command: &str, interface: Interface) -> anyhow::Result<Sysfs> {
        let mut fs = Sysfs::open()?;
        require_root_for(command)?;
        let sysfs_missing = || {
            anyhow::anyhow!(
                "DAMON sysfs interface not found ({} is missing): the kernel needs \
                 CONFIG_DAMON_SYSFS (Linux 5.18 or later), and sysfs must be mounted",
                fs.kdamonds_dir().display()
            )
        };
        let dbgfs_missing = || {
            anyhow::anyhow!(
                "DAMON debugfs interface not found ({} is missing): the kernel needs \
                 CONFIG_DAMON_DBGFS (Linux 5.15 to 6.8), and debugfs must be mounted \
                 ('mount -t debugfs none /sys/kernel/debug')",
                fs.dbgfs_dir.display()
            )
        };
        fs.use_dbgfs = match interface {
            Interface::Sysfs if !fs.supported() => return Err(sysfs_missing()),
            Interface::Sysfs => false,
            Interface::Debugfs if !fs.dbgfs_supported() => return Err(dbgfs_missing()),
            Interface::Debugfs => true,
            Interface::Auto if fs.supported() => false,
            Interface::Auto if fs.dbgfs_supported() => true,
            Interface::Auto => {
                anyhow::bail!(
                    "DAMON not found: neither its sysfs interface ({}) nor its debugfs \
                     interface ({}) exists; the kernel needs CONFIG_DAMON_SYSFS (Linux 5.18 \
                     or later) or CONFIG_DAMON_DBGFS, and sysfs (or debugfs) must be mounted",
                    fs.kdamonds_dir().display(),
                    fs.dbgfs_dir.display()
                )
            }
        };
        Ok(fs)
    }

    /// Whether DAMON is driven through its debugfs interface.
    pub fn is_dbgfs(&self) -> bool {
        self.use_dbgfs
    }

    /// Takes the setup lock (see [`lock`]) for `what` (the command).
    pub fn lock_setup(&self, what: &str) -> anyhow::Result<lock::SetupLock> {
        lock::acquire(crate::env::get().fake_root.as_deref(), what)
    }

    /// Shows every read and write to `show` (damo's `--debug_damon`).
    pub fn set_debug(&mut self, show: Option<ShowAccess>) {
        self.debug = show;
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether a fake kernel answers (a `DAMO_SYSFS_ROOT` tree with
    /// `.damo-fake-kernel`).
    pub fn is_emulated(&self) -> bool {
        self.kernel.emulated_version().is_some()
    }

    /// `<root>/kernel/mm/damon/admin/kdamonds`.
    pub fn kdamonds_dir(&self) -> PathBuf {
        self.root.join(KDAMONDS_REL)
    }

    /// `<kdamonds>/<idx>`.
    pub fn kdamond_dir(&self, idx: usize) -> PathBuf {
        self.kdamonds_dir().join(idx.to_string())
    }

    /// Whether the DAMON sysfs interface exists.
    pub fn supported(&self) -> bool {
        self.kdamonds_dir().is_dir()
    }

    fn rel<'a>(&self, p: &'a Path) -> std::borrow::Cow<'a, str> {
        match p.strip_prefix(&self.root) {
            Ok(r) => r.to_string_lossy(),
            Err(_) => p.to_string_lossy(),
        }
    }

    fn log(&self, line: &str) {
        if let Some(t) = &self.trace {
            let _ = writeln!(t.borrow_mut(), "{line}");
        }
    }

    pub fn read(&self, path: &Path) -> SysResult<String> {
        let r = self.kernel.read_file(path).map_err(|err| SysfsError {
            path: path.to_path_buf(),
            value: None,
            err,
        });
        if let Ok(c) = &r {
            if self.trace.is_some() {
                let shown: String = c.trim().chars().take(60).collect();
                self.log(&format!(
                    "read {} -> {}",
                    self.rel(path),
                    crate::fmt::py_repr(&shown)
                ));
            }
            if let Some(show) = &self.debug {
                show(&format!("read '{}': '{}'", path.display(), c.trim()));
            }
        }
        r
    }

    /// Reads an integer file.
    pub fn read_int(&self, path: &Path) -> anyhow::Result<i128> {
        let c = self.read(path)?;
        c.trim().parse::<i128>().map_err(|_| {
            anyhow::anyhow!(
                "{} holds '{}', not a number; is this a DAMON sysfs tree?",
                path.display(),
                c.trim()
            )
        })
    }

    pub fn write(&self, path: &Path, value: &str) -> SysResult<()> {
        self.log(&format!(
            "write {} to {}",
            crate::fmt::py_repr(value.trim()),
            self.rel(path)
        ));
        if let Some(show) = &self.debug {
            show(&format!("write '{}' to '{}'", value.trim(), path.display()));
        }
        self.kernel
            .write_file(path, value)
            .map_err(|err| SysfsError {
                path: path.to_path_buf(),
                value: Some(value.to_string()),
                err,
            })
    }

    /// DAMON modules with an enable parameter (damon_reclaim,
    /// damon_lru_sort, ...; not the damon_sample_* ones): name, the
    /// parameter file, and whether it is enabled; sorted by name.
    pub fn damon_modules(&self) -> Vec<(String, PathBuf, bool)> {
        let mut v = Vec::new();
        let Ok(entries) = std::fs::read_dir(self.root.join("module")) else {
            return v;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with("damon_") || name.starts_with("damon_sample_") {
                continue;
            }
            for param in ["enabled", "enable"] {
                let p = e.path().join("parameters").join(param);
                if let Ok(val) = std::fs::read_to_string(&p) {
                    v.push((name.clone(), p, val.trim() == "Y"));
                }
            }
        }
        v.sort();
        v
    }

    /// Notes a whole-subtree read in the trace.
    pub fn log_tree_read(&self, path: &Path) {
        self.log(&format!("read_files (recursive dump) {}", self.rel(path)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_like_python() {
        assert_eq!(crate::fmt::py_repr("on"), "'on'");
        assert_eq!(crate::fmt::py_repr("vaddr\nfvaddr"), "'vaddr\\nfvaddr'");
        assert_eq!(crate::fmt::py_repr("it's"), "\"it's\"");
    }

    #[test]
    fn error_names_errno_and_what_to_do() {
        let e = SysfsError {
            path: "/sys/x/nr_kdamonds".into(),
            value: Some("on\n".into()),
            err: io::Error::from_raw_os_error(16),
        };
        let s = e.to_string();
        assert!(
            s.starts_with("writing 'on' to /sys/x/nr_kdamonds failed: "),
            "{s}"
        );
        assert!(s.contains("(EBUSY)") && s.contains("damo stop"), "{s}");
    }
}
