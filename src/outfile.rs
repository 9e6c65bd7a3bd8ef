//! Output files and temporary files, written safely also as root in a
//! shared (world-writable, sticky) directory such as `/tmp`.
//!
//! - An output is written to a temporary file in its directory, created
//!   with `O_CREAT|O_EXCL` (which never follows a symlink nor reuses an
//!   existing file) under an unpredictable name, and renamed over the
//!   final name once complete: a symlink at the final name is replaced,
//!   never followed; a reader never sees half a file.
//! - Replacing an existing file keeps its mode and, as root, its owner
//!   (as writing it in place does for damo), unless a mode is given
//!   (`--output_permission`).
//! - Temporary files and directories are registered while they exist, so
//!   that SIGINT, SIGTERM and SIGHUP remove them (see `interrupt`); after
//!   `kill -9` a stale one has a random name and never disturbs a next
//!   run.
//! - Errors name the output path and the system error.

use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

/// Temporary paths to remove if a signal ends the process.  A path is
/// created and registered under this lock, so that a signal can never
/// come between the two and leave it behind.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn registry() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Creates a temporary path with `create` and registers it, atomically
/// with respect to [`remove_temporaries`].
fn created<T>(
    path_of: impl Fn(&T) -> PathBuf,
    create: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut reg = registry();
    let t = create()?;
    reg.push(path_of(&t));
    Ok(t)
}

fn unregister(p: &Path) {
    let mut v = registry();
    if let Some(i) = v.iter().rposition(|x| x == p) {
        v.swap_remove(i);
    }
}

/// Removes every registered temporary file and directory; the signal
/// thread calls this just before the process dies of a signal, and keeps
/// the registry locked from then on, so that no new temporary file can
/// appear before the end.
pub fn remove_temporaries() {
    let guard = registry();
    for p in guard.iter() {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => {
                let _ = std::fs::remove_dir_all(p);
            }
            Ok(_) => {
                let _ = std::fs::remove_file(p);
            }
            Err(_) => {}
        }
    }
    std::mem::forget(guard);
}

/// An output write error, naming the output (not the input being read).
fn write_error(dst: &Path, e: std::io::Error) -> std::io::Error {
    let full = [nix::errno::Errno::ENOSPC, nix::errno::Errno::EDQUOT]
        .iter()
        .any(|n| e.raw_os_error() == Some(*n as i32));
    let hint = if full {
        "; free some space or write the output elsewhere"
    } else {
        ""
    };
    // the system's error alone (not the temporary file's name)
    let why = match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => e.to_string(),
    };
    std::io::Error::new(
        e.kind(),
        format!("cannot write {}: {why}{hint}", dst.display()),
    )
}

/// The directory an output path is written in, and its file name.
fn split(dst: &Path) -> Result<(PathBuf, String)> {
    let name = dst
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| {
            format!(
                "cannot write {}: not a file name; give the path of a file",
                dst.display()
            )
        })?;
    let dir = match dst.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// Why a directory cannot hold a new file, as a next step for the user.
fn create_error(dst: &Path, dir: &Path, e: std::io::Error) -> anyhow::Error {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "the directory {} does not exist; create it or write elsewhere",
            dir.display()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "the directory {} is not writable; write elsewhere or run with the rights to write there",
            dir.display()
        ),
        _ => "write the output elsewhere".to_string(),
    };
    anyhow::anyhow!("cannot write {}: {e}; {what}", dst.display())
}

/// The file creation mask of this process.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// An output file that appears under its name only once complete; if it
/// is dropped before `commit`, the partial temporary file is removed.
pub struct AtomicFile {
    w: BufWriter<tempfile::NamedTempFile>,
    tmp: Registered,
    dst: PathBuf,
}

/// A registered temporary path, unregistered when dropped (an uncommitted
/// NamedTempFile removes itself when dropped).
struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        unregister(&self.0);
    }
}

impl AtomicFile {
    pub fn create(dst: &Path) -> Result<Self> {
        if dst.is_dir() {
            anyhow::bail!(
                "cannot write {}: it is a directory; give a file name",
                dst.display()
            );
        }
        let (dir, name) = split(dst)?;
        let f = created(
            |f: &tempfile::NamedTempFile| f.path().to_path_buf(),
            || {
                tempfile::Builder::new()
                    .prefix(&format!(".{name}."))
                    .suffix(".tmp")
                    .tempfile_in(&dir)
            },
        )
        .map_err(|e| create_error(dst, &dir, e))?;
        let tmp = Registered(f.path().to_path_buf());
        Ok(AtomicFile {
            w: BufWriter::with_capacity(1 << 16, f),
            tmp,
            dst: dst.to_path_buf(),
        })
    }

    /// The path the file will have once committed.
    pub fn destination(&self) -> &Path {
        &self.dst
    }

    /// Commits under another name than the one it was created for (in the
    /// same directory or file system).
    pub fn set_destination(&mut self, dst: &Path) {
        self.dst = dst.to_path_buf();
    }

    /// Flushes and renames over the destination: with `mode` if given,
    /// else with the mode (and, as root, the owner) of the file it
    /// replaces, else as a new file (0666 less the umask).
    pub fn commit(self, mode: Option<u32>) -> Result<()> {
        let AtomicFile { w, tmp: _reg, dst } = self;
        // (the temporary file is removed when dropped uncommitted)
        let f = w
            .into_inner()
            .map_err(|e| write_error(&dst, e.into_error()))?;
        let old = std::fs::symlink_metadata(&dst).ok().filter(|m| m.is_file());
        let set = || -> std::io::Result<()> {
            use std::os::unix::fs::MetadataExt;
            let file = f.as_file();
            let m = match (mode, &old) {
                (Some(m), _) => m,
                (None, Some(o)) => o.mode() & 0o7777,
                (None, None) => 0o666 & !umask(),
            };
            if let Some(o) = &old
                && crate::env::get().is_root
            {
                std::os::unix::fs::fchown(file, Some(o.uid()), Some(o.gid()))?;
            }
            file.set_permissions(std::fs::Permissions::from_mode(m))
        };
        if let Err(e) = set() {
            return Err(anyhow::anyhow!(
                "cannot set the mode of {}: {e}",
                dst.display()
            ));
        }
        f.persist(&dst)
            .map(drop)
            .map_err(|e| write_error(&dst, e.error).into())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.w.write(buf).map_err(|e| write_error(&self.dst, e))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush().map_err(|e| write_error(&self.dst, e))
    }
}

/// Writes `bytes` to `dst` atomically (see [`AtomicFile`]).
pub fn write_atomic(dst: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let mut f = AtomicFile::create(dst)?;
    f.write_all(bytes)?;
    f.commit(mode)
}

/// A private temporary directory (mode 0700, random name), removed when
/// dropped or when a signal ends the process.
pub struct TempDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    /// Held while the directory is in use: a later damo removes the
    /// directories of its prefix that nobody holds (left by a damo that
    /// was killed, which no handler could clean up after).
    _lock: Option<nix::fcntl::Flock<std::fs::File>>,
}

/// How old an unlocked directory must be to count as abandoned (a new one
/// is locked right after it is created).
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the directories `<parent>/<prefix>*` that a killed damo left:
/// real directories (not symlinks) of this user that no process holds
/// locked and that have not changed for a minute.  Everything else is left
/// alone.
fn remove_abandoned(parent: &Path, prefix: &str) {
    use nix::fcntl::{Flock, FlockArg};
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let euid = nix::unistd::geteuid().as_raw();
    for e in entries.flatten() {
        if !e.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age > ABANDONED_AFTER);
        if !meta.is_dir() || meta.uid() != euid || !old {
            continue;
        }
        let Ok(dir) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_DIRECTORY | nix::libc::O_NOFOLLOW)
            .open(&path)
        else {
            continue;
        };
        if let Ok(_held) = Flock::lock(dir, FlockArg::LockExclusiveNonblock) {
            // (remove_dir_all does not follow symlinks inside)
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

impl TempDir {
    /// A new directory in the system's temporary directory (`TMPDIR`).
    pub fn new(prefix: &str) -> Result<TempDir> {
        Self::new_in(&std::env::temp_dir(), prefix)
    }

    /// A new directory in `parent`, held locked while it lives; removes
    /// the abandoned ones of the same prefix first.
    pub fn new_in(parent: &Path, prefix: &str) -> Result<TempDir> {
        remove_abandoned(parent, prefix);
        let d = created(
            |d: &tempfile::TempDir| d.path().to_path_buf(),
            || tempfile::Builder::new().prefix(prefix).tempdir_in(parent),
        )
        .with_context(|| {
            format!(
                "cannot create a temporary directory in {} (set TMPDIR to a writable \
                     directory)",
                parent.display()
            )
        })?;
        let path = d.path().to_path_buf();
        let lock = std::fs::File::open(&path)
            .ok()
            .and_then(|f| nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).ok());
        Ok(TempDir {
            dir: Some(d),
            path,
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let _ = d.close();
        }
        unregister(&self.path);
    }
}

/// An unlinked temporary file (nothing to clean up, whatever happens).
pub fn anonymous_file() -> Result<std::fs::File> {
    tempfile::tempfile().with_context(|| {
        format!(
            "cannot create a temporary file in {} (set TMPDIR to a writable directory)",
            std::env::temp_dir().display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abandoned_temp_dirs_are_removed_and_held_ones_kept() {
        let d = tempfile::tempdir().unwrap();
        let age = |p: &Path, secs: u64| {
            let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
            std::fs::File::open(p).unwrap().set_modified(t).unwrap();
        };
        let mk = |name: &str, secs: u64| {
            let p = d.path().join(name);
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("trace"), "x").unwrap();
            age(&p, secs);
            p
        };
        let abandoned = mk("p-abandoned", 120);
        let fresh = mk("p-fresh", 0);
        let held = mk("p-held", 120);
        let _lock = nix::fcntl::Flock::lock(
            std::fs::File::open(&held).unwrap(),
            nix::fcntl::FlockArg::LockExclusive,
        )
        .unwrap();
        let other = mk("q-other", 120);
        let target = mk("target", 120);
        std::os::unix::fs::symlink(&target, d.path().join("p-link")).unwrap();
        let t = TempDir::new_in(d.path(), "p-").unwrap();
        assert!(!abandoned.exists(), "an unlocked old one is removed");
        assert!(fresh.exists() && held.exists() && other.exists());
        assert!(target.join("trace").exists(), "a symlink is not followed");
        assert!(d.path().join("p-link").exists());
        // a live TempDir holds its lock, so another damo leaves it alone
        age(t.path(), 120);
        let _t2 = TempDir::new_in(d.path(), "p-").unwrap();
        assert!(t.path().exists());
    }

    #[test]
    fn replaces_a_planted_symlink_and_keeps_the_mode() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let out = d.path().join("out");
        std::os::unix::fs::symlink(&victim, &out).unwrap();
        write_atomic(&out, b"new", None).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        assert!(!std::fs::symlink_metadata(&out).unwrap().is_symlink());

        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&out, b"newer", None).unwrap();
        let m = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(m & 0o777, 0o640);
        write_atomic(&out, b"newest", Some(0o600)).unwrap();
        let m = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(m & 0o777, 0o600);
        // nothing else is left in the directory
        let n = std::fs::read_dir(d.path()).unwrap().count();
        assert_eq!(n, 2);
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        {
            let mut f = AtomicFile::create(&out).unwrap();
            f.write_all(b"half").unwrap();
        }
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn errors_name_the_output() {
        let e = write_atomic(Path::new("/nonexistent-dir/x.png"), b"", None).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("/nonexistent-dir/x.png"), "{msg}");
        assert!(msg.contains("does not exist"), "{msg}");
        let d = tempfile::tempdir().unwrap();
        let e = write_atomic(d.path(), b"", None).unwrap_err();
        assert!(format!("{e:#}").contains("is a directory"));
    }
}
