//! Writes to DAMON's command files (a kdamond's `state`, debugfs's
//! `monitor_on`, a DAMON module's `enabled`) with a deadline.  Such a write runs kernel work (starting,
//! stopping or committing to a kdamond) and has been seen to block in the
//! kernel for minutes (a hung task, on a 7.3 kernel); a process with a
//! thread blocked in the kernel cannot even exit.  So the write is made by
//! a helper process (this binary, started with [`HELPER_ENV`]); when it has
//! not returned by the deadline, the caller gets an error it can report
//! and exit with, and the helper is left to the kernel.

use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that turns this binary into the writer: its
/// value is the file, the first argument the value to write.
pub const HELPER_ENV: &str = "DAMO_INTERNAL_COMMAND_WRITE";

/// How long a command write may take.
pub const COMMAND_WRITE_DEADLINE: Duration = Duration::from_secs(60);

/// The files whose writes go through the helper, and the only ones the
/// helper writes: a kdamond's `state`, debugfs's `monitor_on`, and the
/// DAMON modules' `enabled` and `commit_inputs` parameters (which start,
/// stop or update the module's kdamond).
pub fn is_command_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str());
    if matches!(name, Some("state" | "monitor_on" | "monitor_on_DEPRECATED")) {
        return true;
    }
    let module_param = path
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == "parameters"))
        .and_then(Path::parent)
        .and_then(|m| m.file_name())
        .and_then(|m| m.to_str())
        .is_some_and(|m| m.starts_with("damon_"));
    module_param && matches!(name, Some("enabled" | "enable" | "commit_inputs"))
}

/// The helper's side: writes the value to the file in one write; exits
/// with the errno of a failure (1 when there is none).  `None` when this
/// process is not the helper.
pub fn helper_main() -> Option<u8> {
    let path = std::env::var_os(HELPER_ENV)?;
    let path = Path::new(&path);
    if !is_command_file(path) {
        return Some(1);
    }
    let value = std::env::args_os().nth(1).unwrap_or_default();
    let res = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .and_then(|mut f| f.write_all(value.as_encoded_bytes()));
    Some(match res {
        Ok(()) => 0,
        Err(e) => e
            .raw_os_error()
            .and_then(|n| u8::try_from(n).ok())
            .filter(|n| *n != 0)
            .unwrap_or(1),
    })
}

/// Writes `value` to `path` through a helper (`exe`, this binary), waiting
/// at most `deadline`.  A failed write gives the helper's errno; one still
/// pending at the deadline gives `TimedOut`, naming the helper's pid.
pub fn write(exe: &Path, path: &Path, value: &str, deadline: Duration) -> io::Result<()> {
    let mut child = Command::new(exe)
        .arg(value)
        .env(HELPER_ENV, path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let end = Instant::now() + deadline;
    let mut pause = Duration::from_micros(200);
    loop {
        if let Some(status) = child.try_wait()? {
            return match status.code() {
                Some(0) => Ok(()),
                Some(n) if n > 1 => Err(io::Error::from_raw_os_error(n)),
                _ => Err(io::Error::other(format!(
                    "the helper writing it ended with {status}"
                ))),
            };
        }
        if Instant::now() >= end {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the write did not return within {} s: it is blocked in the kernel \
                     (process {} waits on it; 'dmesg' may show a hung task report)",
                    deadline.as_secs(),
                    child.id()
                ),
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_files_are_the_ones_that_drive_kdamonds() {
        for p in [
            "/sys/kernel/mm/damon/admin/kdamonds/0/state",
            "/sys/kernel/debug/damon/monitor_on",
            "/sys/module/damon_reclaim/parameters/enabled",
            "/sys/module/damon_lru_sort/parameters/commit_inputs",
        ] {
            assert!(is_command_file(Path::new(p)), "{p}");
        }
        for p in [
            "/sys/module/damon_reclaim/parameters/min_age",
            "/sys/module/zswap/parameters/enabled",
            "/etc/passwd",
            "/sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds",
        ] {
            assert!(!is_command_file(Path::new(p)), "{p}");
        }
    }
}
