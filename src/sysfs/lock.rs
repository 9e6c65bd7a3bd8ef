//! One damo at a time changes DAMON's setup: commands that stage or turn
//! kdamonds on and off (`start`, `tune`, `stop`, `schemes`, `record`'s
//! set-up and restore) hold an exclusive lock on a lock file while they
//! do, so two of them started together do not interleave their writes.
//! The lock is held for the change only, not while a recording runs.
//!
//! The lock file is `/run/damo.lock` for root (a directory only root
//! writes), else `/run/lock/damo.lock` (the temporary directory where
//! there is no /run/lock), or `.damo.lock` in a `DAMO_SYSFS_ROOT` tree.
//! It holds the holder's pid and command, for the message a waiting
//! command gives up with.  It is opened without following a symlink and
//! used only if this user owns it, so that nobody else can plant it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use nix::fcntl::{Flock, FlockArg};

/// How long a command waits for another one's change to finish.
pub const WAIT: Duration = Duration::from_secs(10);

/// Held while alive.
pub struct SetupLock {
    _lock: Flock<File>,
}

fn lock_path(fake_root: Option<&std::path::Path>) -> PathBuf {
    match fake_root {
        Some(r) => r.join(".damo.lock"),
        None => {
            let run = PathBuf::from("/run/lock");
            if crate::env::get().is_root && std::path::Path::new("/run").is_dir() {
                PathBuf::from("/run/damo.lock")
            } else if run.is_dir() {
                run.join("damo.lock")
            } else {
                std::env::temp_dir().join("damo.lock")
            }
        }
    }
}

/// Takes the lock, waiting up to [`WAIT`] for another damo's change.
pub fn acquire(fake_root: Option<&std::path::Path>, what: &str) -> Result<SetupLock> {
    let path = lock_path(fake_root);
    let deadline = Instant::now() + WAIT;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&path)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open the lock file {} ({e}); if it is a symlink, remove it",
                path.display()
            )
        })?;
    let meta = file
        .metadata()
        .map_err(|e| anyhow::anyhow!("cannot read the lock file {} ({e})", path.display()))?;
    let me = nix::unistd::geteuid().as_raw();
    if !meta.is_file() || meta.uid() != me {
        bail!(
            "the lock file {} is not a file of this user (uid {me}) but of uid {}: someone \
             else may have planted it; remove it and try again",
            path.display(),
            meta.uid()
        );
    }
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(mut lock) => {
                // who holds it, for the others' message
                let _ = lock.set_len(0);
                let _ = lock.rewind();
                let _ = write!(lock, "{} {}", std::process::id(), what);
                let _ = lock.flush();
                return Ok(SetupLock { _lock: lock });
            }
            Err((f, _)) => {
                file = f;
                if Instant::now() >= deadline {
                    let mut holder = String::new();
                    let _ = file.rewind();
                    let _ = file.read_to_string(&mut holder);
                    let (pid, cmd) = holder.split_once(' ').unwrap_or((holder.as_str(), "damo"));
                    bail!(
                        "another damo (pid {pid}, '{cmd}') has been changing DAMON's setup \
                         for {} s; wait for it to finish, or stop it, and try again \
                         ({} is its lock)",
                        WAIT.as_secs(),
                        path.display()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}
