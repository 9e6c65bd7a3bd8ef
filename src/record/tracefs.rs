//! Reading DAMON tracepoints from tracefs directly (no perf, no
//! trace-cmd): a private trace instance (`instances/damo-record-<pid>`)
//! with the damon events enabled, whose `trace_pipe` is read without
//! blocking into a spool file of trace text, in the form the trace reader
//! (`record::perf_script`) parses.
//!
//! A private instance leaves the machine's own tracing (the top-level
//! buffer, other instances) untouched, and is removed when recording ends,
//! also on errors (`Drop`).

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A fake tracefs (tests, under `DAMO_SYSFS_ROOT`) has no kernel to fill
/// a new instance: it is copied from `<root>/.instance-template`, which
/// holds the event `enable` files and a `trace_pipe` of canned events.
fn populate_fake_instance(root: &Path, instance: &Path) -> Result<()> {
    let template = root.join(".instance-template");
    if !crate::env::get().is_fake() || !template.is_dir() {
        return Ok(());
    }
    fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
        for e in std::fs::read_dir(from)?.flatten() {
            let dst = to.join(e.file_name());
            if e.path().is_dir() {
                std::fs::create_dir_all(&dst)?;
                copy(&e.path(), &dst)?;
            } else {
                std::fs::copy(e.path(), dst)?;
            }
        }
        Ok(())
    }
    copy(&template, instance).with_context(|| format!("cannot fill {}", instance.display()))
}

/// The DAMON monitoring-results events, and the optional intervals tuning
/// one (Linux 6.15+).
pub const AGGREGATED: &str = "damon_aggregated";
pub const INTERVALS_TUNE: &str = "damon_monitor_intervals_tune";
pub const BEFORE_APPLY: &str = "damos_before_apply";

/// A trace instance being read into a spool file.
pub struct Tracer {
    instance: PathBuf,
    pipe: Option<File>,
    spool: File,
    bytes: u64,
}

fn write(path: &Path, v: &str) -> Result<()> {
    std::fs::write(path, v).with_context(|| format!("cannot write '{v}' to {}", path.display()))
}

/// Removes the trace instances of recorders that were killed (SIGKILL,
/// a crash): `damo-record-<pid>` where no process `<pid>` runs.  Each holds
/// a trace buffer (8 MiB per CPU) until removed; a live recorder's instance
/// is kept.
fn remove_stale_instances(instances: &Path) {
    let Ok(entries) = std::fs::read_dir(instances) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("damo-record-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            // tracefs instances are removed with rmdir, contents and all
            // (a fake tree's are plain directories)
            if std::fs::remove_dir(e.path()).is_err() && crate::env::get().is_fake() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

impl Tracer {
    /// Creates the instance, enables `events` (the first is required, the
    /// others are used where the kernel has them) and opens its pipe.
    pub fn start(root: &Path, events: &[&str], spool: &Path) -> Result<Tracer> {
        let Some(required) = events.first() else {
            bail!("no trace events to record");
        };
        if !root.join("events/damon").join(required).is_dir() {
            bail!(
                "the kernel has no damon:{required} tracepoint ({} is missing): \
                 it needs CONFIG_DAMON with tracing (CONFIG_FTRACE); use \
                 --snapshot to record without tracepoints",
                root.join("events/damon").join(required).display()
            );
        }
        let instances = root.join("instances");
        remove_stale_instances(&instances);
        let instance = instances.join(format!("damo-record-{}", std::process::id()));
        if instance.exists() {
            // left by a recorder of the same pid that was killed
            let _ = std::fs::remove_dir(&instance);
        }
        std::fs::create_dir(&instance).with_context(|| {
            format!(
                "cannot create the trace instance {} (tracefs must be writable: run as root)",
                instance.display()
            )
        })?;
        populate_fake_instance(root, &instance)?;
        let spool_file =
            File::create(spool).with_context(|| format!("cannot create {}", spool.display()))?;
        let mut t = Tracer {
            instance,
            pipe: None,
            spool: spool_file,
            bytes: 0,
        };
        // a large per-CPU buffer, so that a busy second loses nothing
        let _ = write(&t.instance.join("buffer_size_kb"), "8192");
        for ev in events {
            let enable = t.instance.join("events/damon").join(ev).join("enable");
            if enable.is_file() {
                write(&enable, "1")?;
            } else if ev == required {
                bail!(
                    "cannot enable damon:{ev} in {}: the instance has no such event; \
                     use --snapshot to record without tracepoints",
                    t.instance.display()
                );
            }
        }
        let pipe_path = t.instance.join("trace_pipe");
        let pipe = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&pipe_path)
            .with_context(|| format!("cannot open {}", pipe_path.display()))?;
        t.pipe = Some(pipe);
        Ok(t)
    }

    /// Moves what the kernel has traced so far into the spool file.
    pub fn drain(&mut self) -> Result<()> {
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(());
        };
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    self.spool
                        .write_all(&buf[..n])
                        .context("cannot write the trace spool file")?;
                    self.bytes += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading trace_pipe failed"),
            }
        }
    }

    /// Bytes of trace text read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Disables the events, reads what is left, and removes the instance.
    pub fn finish(mut self) -> Result<()> {
        self.disable();
        self.drain()?;
        self.spool
            .flush()
            .context("cannot write the trace spool file")?;
        self.remove();
        Ok(())
    }

    fn disable(&self) {
        let _ = write(&self.instance.join("tracing_on"), "0");
    }

    fn remove(&mut self) {
        self.pipe = None;
        if let Ok(evs) = std::fs::read_dir(self.instance.join("events/damon")) {
            for e in evs.flatten() {
                let enable = e.path().join("enable");
                if enable.is_file() {
                    let _ = std::fs::write(enable, "0");
                }
            }
        }
        if std::fs::remove_dir(&self.instance).is_err() && crate::env::get().is_fake() {
            // a fake instance is a plain directory tree
            let _ = std::fs::remove_dir_all(&self.instance);
        }
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        if self.instance.exists() {
            self.disable();
            self.remove();
        }
    }
}

/// DAMON events recorded by `perf record` (`--damon_tracer perf`), turned
/// into trace text with `perf script` at the end.
pub struct PerfTracer {
    child: std::process::Child,
    data: PathBuf,
    perf: String,
}

impl PerfTracer {
    pub fn start(perf: &str, events: &[&str], data: &Path) -> Result<PerfTracer> {
        let mut cmd = std::process::Command::new(perf);
        cmd.args(["record", "-a", "-o"]).arg(data);
        for ev in events {
            cmd.args(["-e", &format!("damon:{ev}")]);
        }
        let child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {perf}"))?;
        Ok(PerfTracer {
            child,
            data: data.to_path_buf(),
            perf: perf.to_string(),
        })
    }

    /// Stops perf (SIGINT, as damo) and writes its events as trace text
    /// to `spool`.  Returns the perf.data file.
    pub fn finish(mut self, spool: &Path) -> Result<PathBuf> {
        stop_child(&mut self.child);
        let out = std::process::Command::new(&self.perf)
            .args(["script", "--force", "-i"])
            .arg(&self.data)
            .stderr(std::process::Stdio::null())
            .output()
            .with_context(|| format!("cannot run {} script", self.perf))?;
        if !out.status.success() {
            bail!("'{} script' failed on {}", self.perf, self.data.display());
        }
        std::fs::write(spool, &out.stdout)
            .with_context(|| format!("cannot write {}", spool.display()))?;
        Ok(self.data.clone())
    }
}

impl Drop for PerfTracer {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

/// A helper process (perf) stopped when dropped, also on error paths.
pub struct StopOnDrop(pub std::process::Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        stop_child(&mut self.0);
    }
}

/// SIGINT, then wait (perf writes its file on SIGINT); nothing for a
/// process already waited for.
pub fn stop_child(child: &mut std::process::Child) {
    if !matches!(child.try_wait(), Ok(None)) {
        return;
    }
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        );
    }
    let _ = child.wait();
}

/// Whether `cmd` names an executable (a path, or a name on PATH).
pub fn available(cmd: &str) -> bool {
    crate::damon::args::is_program(cmd)
}
