//! `state` file commands: turning kdamonds on and off (waiting for the
//! kernel with a deadline), committing staged parameters, and the
//! `update_*` commands that refresh statistics, tried regions, effective
//! quotas and tuned intervals.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};

use super::Sysfs;
use super::libc_errno::{EBUSY, EINVAL};

/// How long to wait for kdamonds to start or stop.
const STATE_DEADLINE: Duration = Duration::from_secs(30);

impl Sysfs {
    pub fn nr_kdamonds(&self) -> Result<usize> {
        if self.use_dbgfs {
            return Ok(1);
        }
        Ok(self
            .read_int(&self.kdamonds_dir().join("nr_kdamonds"))?
            .max(0) as usize)
    }

    /// Whether kdamond `idx` is on.  The kernel answers a `state` read with
    /// EBUSY while another sysfs operation holds DAMON's lock (just after
    /// `on`, for one): such reads are retried for up to a second.
    pub fn is_running(&self, idx: usize) -> Result<bool> {
        if self.use_dbgfs {
            return self.dbgfs_is_running();
        }
        let path = self.kdamond_dir(idx).join("state");
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            match self.read(&path) {
                Ok(v) => return Ok(v.trim() == "on"),
                Err(e) if e.errno() == Some(EBUSY) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The pid of kdamond `idx` as the kernel shows it.
    pub fn kdamond_pid(&self, idx: usize) -> Result<String> {
        if self.use_dbgfs {
            return self.dbgfs_pid();
        }
        Ok(self
            .read(&self.kdamond_dir(idx).join("pid"))?
            .trim()
            .to_string())
    }

    /// Whether any kdamond is on, through whichever DAMON interface the
    /// kernel has (read-only; false where there is none).
    pub fn damon_running(&self) -> bool {
        if self.supported() {
            return self.running_idxs().is_ok_and(|r| !r.is_empty());
        }
        self.dbgfs_supported() && self.dbgfs_is_running().unwrap_or(false)
    }

    /// Indices of the kdamonds that are on.
    pub fn running_idxs(&self) -> Result<Vec<usize>> {
        let mut v = Vec::new();
        for i in 0..self.nr_kdamonds()? {
            if self.is_running(i)? {
                v.push(i);
            }
        }
        Ok(v)
    }

    /// Writes `cmd` to the `state` file of each kdamond in `idxs`.
    pub fn state_command(&self, idxs: &[usize], cmd: &str) -> Result<()> {
        if self.use_dbgfs {
            return match cmd {
                _ if idxs.is_empty() => Ok(()),
                "on" | "off" => self.dbgfs_turn(cmd == "on"),
                // debugfs shows statistics as they are: nothing to refresh
                "update_schemes_stats" => Ok(()),
                _ => bail!(
                    "the DAMON debugfs interface has no '{cmd}' command: use a kernel with \
                     DAMON sysfs (Linux 5.18 or later)"
                ),
            };
        }
        for &i in idxs {
            self.write(&self.kdamond_dir(i).join("state"), cmd)?;
        }
        Ok(())
    }

    fn wait_all(&self, on: bool) -> Result<()> {
        let deadline = Instant::now() + STATE_DEADLINE;
        for i in 0..self.nr_kdamonds()? {
            while self.is_running(i)? != on {
                if Instant::now() > deadline {
                    bail!(
                        "kdamond {i} did not turn {} within {} s; check 'dmesg' for DAMON errors",
                        if on { "on" } else { "off" },
                        STATE_DEADLINE.as_secs()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    /// Writes `on` to each kdamond and waits until all are on.
    pub fn turn_on(&self, idxs: &[usize]) -> Result<()> {
        self.state_command(idxs, "on")?;
        self.wait_all(true)
    }

    /// Writes `off` to each kdamond and waits until all are off.
    pub fn turn_off(&self, idxs: &[usize]) -> Result<()> {
        self.state_command(idxs, "off")?;
        self.wait_all(false)
    }

    /// Whether kdamond `idx` refreshes its statistics by itself
    /// (`refresh_ms` non-zero), so `update_*` commands are unneeded.
    fn self_refreshing(&self, idx: usize) -> Result<bool> {
        if self.use_dbgfs {
            return Ok(false);
        }
        let p = self.kdamond_dir(idx).join("refresh_ms");
        if !p.is_file() {
            return Ok(false);
        }
        let v = self
            .read_int(&p)
            .map_err(|e| anyhow!("refresh_ms check fail ({e})"))?;
        Ok(v != 0)
    }

    fn without_refresh(&self, idxs: &[usize]) -> Result<Vec<usize>> {
        let mut v = Vec::new();
        for &i in idxs {
            if !self.self_refreshing(i)? {
                v.push(i);
            }
        }
        Ok(v)
    }

    /// `update_tuned_intervals` on the running kdamonds that need it; a
    /// kernel without the command (EINVAL) is not an error.
    pub fn update_tuned_intervals(&self) -> Result<()> {
        if self.use_dbgfs {
            return Ok(());
        }
        let idxs = self.without_refresh(&self.running_idxs()?)?;
        for i in idxs {
            match self.write(&self.kdamond_dir(i).join("state"), "update_tuned_intervals") {
                Err(e) if e.errno() == Some(EINVAL) => {}
                r => r?,
            }
        }
        Ok(())
    }

    pub fn update_schemes_stats(&self, idxs: &[usize]) -> Result<()> {
        let idxs = self.without_refresh(idxs)?;
        self.state_command(&idxs, "update_schemes_stats")
    }

    pub fn update_effective_quotas(&self, idxs: &[usize]) -> Result<()> {
        if self.use_dbgfs {
            return Ok(());
        }
        let idxs = self.without_refresh(idxs)?;
        self.state_command(&idxs, "update_schemes_effective_quotas")
            .map_err(|e| anyhow!("{e:#} (maybe schemes_effective_quotas not supported?)"))
    }

    /// Whether the kernel shows effective quotas (6.9): judged by the
    /// first scheme's files.
    pub fn has_effective_quotas(&self) -> bool {
        let nr = self.nr_kdamonds().unwrap_or(0);
        (0..nr).any(|k| {
            let ctxs = self.kdamond_dir(k).join("contexts");
            std::fs::read_dir(&ctxs)
                .into_iter()
                .flatten()
                .flatten()
                .any(|c| c.path().join("schemes/0/quotas/effective_bytes").is_file())
        })
    }
}
