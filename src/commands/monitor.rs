//! `damo monitor`: record a few seconds, show the report, repeat (damo's
//! loop of `damo record --timeout <delay> ongoing` and `damo report
//! heatmap`).  On a terminal the report is redrawn in place and `q` or
//! Ctrl-C quits; otherwise reports are printed one after another, as damo
//! does.  At the end the kdamonds it started are turned off and the
//! previous setup is staged back, and a command it started is killed.
//!
//! Unlike damo, the recordings go to a temporary directory, not to
//! `./damon.data`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::conv::Choice as _;
use crate::cli::opts::Monitor;
use crate::sysfs::{Interface, Sysfs};

/// Whether the user asked to quit: `q`, Ctrl-C (raw mode) or a signal.
fn quit_requested(raw: bool) -> bool {
    if crate::interrupt::received().is_some() {
        return true;
    }
    if !raw {
        return false;
    }
    use crossterm::event::{Event, KeyCode, KeyModifiers, poll, read};
    while poll(Duration::ZERO).unwrap_or(false) {
        if let Ok(Event::Key(k)) = read() {
            let ctrl_c =
                k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl_c || k.code == KeyCode::Char('q') {
                return true;
            }
        }
    }
    false
}

/// Raw terminal mode for the time of the loop (restored on drop).
struct RawMode(bool);

impl RawMode {
    fn enter() -> RawMode {
        let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        RawMode(tty && crossterm::terminal::enable_raw_mode().is_ok())
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if self.0 {
            let _ = crossterm::terminal::disable_raw_mode();
        }
    }
}

/// Waits for `child`, polling for a quit request; kills it on one.
/// Returns its success, or `None` when the user quit.
fn wait(mut child: Child, raw: bool) -> Result<Option<bool>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status.success()));
        }
        if quit_requested(raw) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn show(text: &str, raw: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if raw {
        use crossterm::{cursor::MoveTo, execute, terminal::Clear, terminal::ClearType};
        execute!(out, Clear(ClearType::All), MoveTo(0, 0))?;
        out.write_all(text.replace('\n', "\r\n").as_bytes())?;
        out.write_all(b"\r\n(q: quit)\r\n")?;
    } else {
        out.write_all(text.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

pub fn main(args: &Monitor) -> Result<()> {
    let fs = Sysfs::open_for("monitor", Interface::Auto)?;
    if crate::env::get().tracefs_root().is_none() {
        bail!(
            "tracefs is not mounted: monitor records DAMON's trace events from it; \
             mount it ('mount -t tracefs nodev /sys/kernel/tracing') and try again"
        );
    }
    let exe = std::env::current_exe().context("cannot find this damo's own path")?;
    let target = args.target.clone().unwrap_or_else(|| "ongoing".to_string());
    let delay = args.delay;
    if !(delay.is_finite() && delay > 0.0) {
        bail!("--delay must be a positive number of seconds");
    }
    let count = args.count;
    let report_type = args.report_type.as_str().to_string();
    let ongoing = target == "ongoing";
    let orig = fs.current_kdamonds()?;
    let mut command: Option<Child> = None;
    if !ongoing {
        let start_target = if target == "paddr" || crate::fmt::pyparse::py_int(&target).is_ok() {
            target.clone()
        } else if crate::damon::args::is_program(&target) {
            // damo runs a command target with its output discarded
            let child = Command::new("/bin/bash")
                .arg("-c")
                .arg(&target)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("cannot start '{target}'"))?;
            let pid = child.id().to_string();
            command = Some(child);
            pid
        } else {
            bail!("invalid target '{target}': give a pid, a command, paddr or ongoing");
        };
        let ok = Command::new(&exe)
            .args(["start", &start_target])
            .status()
            .context("cannot run 'damo start'")?
            .success();
        if !ok {
            if let Some(mut c) = command {
                let _ = c.kill();
            }
            bail!(
                "starting DAMON failed (its error is above); fix what it says and run monitor again"
            );
        }
    }
    crate::interrupt::catch()?;
    let tmp_dir = crate::outfile::TempDir::new("damo-monitor-")?;
    let dir = tmp_dir.path().to_path_buf();
    let result = run_loop(
        &exe,
        &dir,
        delay,
        count,
        &report_type,
        ongoing,
        &mut command,
    );
    drop(tmp_dir);
    if let Some(mut c) = command
        && c.try_wait().ok().flatten().is_none()
    {
        let _ = c.kill();
        let _ = c.wait();
    }
    if !ongoing {
        // the kdamonds it started off, the previous setup back
        let _ = fs.turn_off(&fs.running_idxs().unwrap_or_default());
        if let Err(e) = fs.stage(&orig) {
            eprintln!("damo: failed restoring previous kdamonds setup ({e:#})");
        }
    }
    result
}

fn run_loop(
    exe: &Path,
    dir: &Path,
    delay: f64,
    count: i128,
    report_type: &str,
    ongoing: bool,
    command: &mut Option<Child>,
) -> Result<()> {
    let raw = RawMode::enter();
    let data: PathBuf = dir.join("damon.data");
    let data_s = data.to_string_lossy().to_string();
    let mut reports: i128 = 0;
    while count == 0 || reports < count {
        if let Some(c) = command.as_mut()
            && c.try_wait()?.is_some()
        {
            break;
        }
        let mut rec = Command::new(exe)
            .args([
                "record",
                "--timeout",
                &format!("{delay:.6}"),
                "ongoing",
                "-o",
                &data_s,
            ])
            // the access pattern only: no CPU profile or sidecars each round
            .args(["--do_record", "access"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run 'damo record'")?;
        let rec_err = rec.stderr.take();
        match wait(rec, raw.0)? {
            None => break,
            Some(false) => {
                drop(raw);
                // what 'damo record' said, else a guess
                let mut said = String::new();
                if let Some(mut e) = rec_err {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut said);
                }
                let said = said
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                let said = said.strip_prefix("damo: ").unwrap_or(said);
                if !said.is_empty() {
                    bail!("recording failed: {said}");
                }
                let hint = if ongoing {
                    " (maybe DAMON was stopped?)"
                } else {
                    ""
                };
                bail!("recording failed{hint}");
            }
            Some(true) => {}
        }
        let mut report = Command::new(exe);
        report.arg("report");
        if report_type == "heats" {
            report.args([
                "heatmap",
                "--resol",
                "10",
                "80",
                "--time_range",
                &format!("-{delay:.6} s"),
                "0 s",
                "guided_end",
            ]);
        } else {
            report.arg(report_type);
            if report_type == "holistic" {
                report.args(["--heatmap_time_last_n_sec", &format!("{delay:.6}")]);
            }
        }
        // holistic names its record with --access_pattern
        let input_opt = if report_type == "holistic" {
            "--access_pattern"
        } else {
            "-i"
        };
        let out = report
            .args([input_opt, &data_s])
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .context("cannot run 'damo report'")?;
        if !out.status.success() {
            drop(raw);
            bail!(
                "report generating failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let shown = if report_type == "heats" {
            let mut lines: String = text
                .trim()
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            if lines.is_empty() {
                lines.push('\n');
            }
            lines
        } else {
            format!("{text}\n")
        };
        show(&shown, raw.0)?;
        reports += 1;
        if quit_requested(raw.0) {
            break;
        }
    }
    Ok(())
}
