//! Commands that change DAMON: `start` (and following child tasks),
//! `stop`, `tune`, `schemes`; and `features`.
//!
//! Each checks first (root, the interface, running kdamonds, DAMON
//! modules), then stages; when staging or turning on fails half-way, the
//! previous setup is staged back so no half-configured kdamond is left.

use anyhow::{Result, anyhow, bail};

use crate::cli::opts::{DamonParams, Features, Schemes, Start, Stop, Tune};
use crate::damon::args::kdamonds_for;
use crate::damon::model::Kdamond;
use crate::sysfs::{Sysfs, stage};

use super::children;

/// Why a memcg filter may have failed: its cgroup directory is missing.
fn memcg_diagnosis(fs: &Sysfs, kdamonds: &[Kdamond]) -> Option<String> {
    let cgroup_root = if fs.is_emulated() {
        fs.root().join("fs/cgroup")
    } else {
        // memcg paths are relative to the cgroup2 mount (v1: a cgroup one)
        crate::env::mount_point("cgroup2").or_else(|| crate::env::mount_point("cgroup"))?
    };
    for (ki, k) in kdamonds.iter().enumerate() {
        for (ci, c) in k.contexts.iter().enumerate() {
            for (si, s) in c.schemes.iter().enumerate() {
                for (fi, f) in s.filters.iter().enumerate() {
                    if f.filter_type != "memcg" {
                        continue;
                    }
                    let p = f.memcg_path.as_deref().unwrap_or("");
                    let why = if !p.starts_with('/') {
                        "path should start with \"/\"".to_string()
                    } else if !cgroup_root.join(&p[1..]).is_dir() {
                        format!("{} not found", cgroup_root.join(&p[1..]).display())
                    } else {
                        continue;
                    };
                    return Some(format!(
                        "kdamond {ki} context {ci} scheme {si} filter {fi}: memcg {p}: {why}; \
                         give an existing cgroup (relative to the cgroup2 mount)"
                    ));
                }
            }
        }
    }
    None
}

/// Stages `before` again after a failure; says what happened.
fn roll_back(fs: &Sysfs, before: &[Kdamond], err: anyhow::Error) -> anyhow::Error {
    match fs.stage(before) {
        Ok(()) => anyhow!("{err:#}; the previous DAMON setup was staged back"),
        Err(e) => anyhow!("{err:#}; restoring the previous setup failed too ({e:#})"),
    }
}

/// Error if a virtual address space target names no running process.
fn check_pids(kdamonds: &[Kdamond]) -> Result<()> {
    for k in kdamonds {
        for c in k.contexts.iter().filter(|c| c.ops != "paddr") {
            for t in &c.targets {
                if let Some(pid) = t.pid
                    && !crate::proc::alive(pid)
                {
                    bail!("no process with pid {pid}: give the pid of a running process");
                }
            }
        }
    }
    Ok(())
}

/// Error if any of the kdamonds `0..n` is on.
fn refuse_running(fs: &Sysfs, n: usize) -> Result<()> {
    for i in 0..n.min(fs.nr_kdamonds()?) {
        if fs.is_running(i)? {
            let pid = fs.kdamond_pid(i).unwrap_or_default();
            bail!(
                "kdamond {i} is already running (pid {pid}); stop it with 'damo stop', \
                 or change its parameters with 'damo tune'"
            );
        }
    }
    Ok(())
}

/// Checks, stages and turns on the kdamonds the options describe (shared
/// by `start` and `schemes`); on failure the previous setup is staged back.
/// Returns the kdamonds and whether a command target was started.
pub(crate) fn turn_on(
    fs: &Sysfs,
    params: &DamonParams,
    command: &str,
) -> Result<(Vec<Kdamond>, bool)> {
    if let Some((module, param, _)) = fs.damon_modules().into_iter().find(|m| m.2) {
        bail!(
            "cannot turn on DAMON: {module} is running ({} is Y); disable it first, \
             e.g. 'echo N | sudo tee {}'{}",
            param.display(),
            param.display(),
            if command == "start" {
                ", or answer 'damo start''s question with y"
            } else {
                ""
            }
        );
    }
    let built = kdamonds_for(params).map_err(|e| anyhow!("invalid arguments ({e:#})"))?;
    super::args::print_notes(&built.notes)?;
    let (kdamonds, self_started) = (built.kdamonds, built.self_started);
    stage::check(&kdamonds)?;
    fs.check_stageable(&kdamonds)?;
    check_pids(&kdamonds)?;
    // from here to turning on, no other damo changes the setup
    let _lock = fs.lock_setup(&format!("damo {command}"))?;
    refuse_running(fs, kdamonds.len())?;
    let before = fs.current_kdamonds()?;
    if let Err(e) = fs.stage(&kdamonds) {
        return Err(roll_back(
            fs,
            &before,
            anyhow!("could not turn on DAMON: staging failed: {e:#}"),
        ));
    }
    if self_started {
        // let a command just started get a stable memory mapping first
        std::thread::sleep(std::time::Duration::from_millis(500));
        if let Some(pid) = children::command_pid(&kdamonds, self_started)
            && children::reaped(pid)
        {
            return Err(roll_back(
                fs,
                &before,
                anyhow!(
                    "could not turn on DAMON: the command target exited at once \
                     (pid {pid}); nothing to monitor: check that the command runs"
                ),
            ));
        }
    }
    let idxs: Vec<usize> = (0..kdamonds.len()).collect();
    if let Err(e) = fs.turn_on(&idxs) {
        let msg = match memcg_diagnosis(fs, &kdamonds) {
            Some(why) => format!("could not turn on DAMON: {why} (the kernel said: {e:#})"),
            None => format!("could not turn on DAMON: {e:#}"),
        };
        let _ = fs.turn_off(&fs.running_idxs().unwrap_or_default());
        return Err(roll_back(fs, &before, anyhow!(msg)));
    }
    Ok((kdamonds, self_started))
}

/// `damo start`.
pub fn start(args: &Start) -> Result<()> {
    let fs = super::open_sysfs("start", args.debug_damon, args.damon_interface_deprecated)?;
    let paused = pause_running_modules(&fs)?;
    let (mut kdamonds, _) = match turn_on(&fs, &args.damon, "start") {
        Ok(v) => v,
        Err(e) if paused => {
            // nothing of ours runs: the modules run again, as before
            for (module, res) in fs.resume_paused_modules() {
                if let Err(r) = res {
                    eprintln!("damo: could not enable {module} again ({r:#})");
                }
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    if !args.include_child_tasks {
        return Ok(());
    }
    crate::interrupt::catch()?;
    let follower = children::Follower::new(&kdamonds);
    crate::output::print(
        "Continue monitoring child tasks and updating DAMON targets\nPress Ctrl+C to stop\n",
    )?;
    loop {
        if let Err(e) = follower.update(&fs, &mut kdamonds) {
            eprintln!("damo: updating child task targets failed ({e:#}); will retry");
        }
        if let Some(sig) = crate::interrupt::sleep(children::INTERVAL) {
            // DAMON keeps running, as with damo: only the following stops.
            return crate::output::print(&format!("\nsignal {sig} received\n"));
        }
    }
}

/// damo's question when a DAMON module runs (the kernel runs a module's
/// kdamond alone: no other kdamond can be turned on beside it): may `start`
/// disable it?  The answer is a line on stdin (`n` declines, anything else
/// agrees, as in damo); without one (end of input) nothing is disabled
/// and `turn_on` refuses.  A module disabled here is enabled again by
/// `damo stop`.  Returns whether one was disabled.
fn pause_running_modules(fs: &Sysfs) -> Result<bool> {
    let mut paused = false;
    for (module, param, _) in fs.damon_modules().into_iter().filter(|m| m.2) {
        crate::output::print(&format!(
            "Cannot turn on damon since {module} is running.  You should disable it first.\n\
             May I disable it for you? [Y/n] "
        ))?;
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).unwrap_or(0) == 0 {
            crate::output::print("\n")?;
            return Ok(paused);
        }
        if answer
            .trim_end_matches(['\n', '\r'])
            .eq_ignore_ascii_case("n")
        {
            crate::output::print("Ok, see you later\n")?;
            return Err(crate::output::Exit(1).into());
        }
        crate::output::print("Ok, disabling it\n")?;
        fs.pause_module(&module, &param)
            .map_err(|e| anyhow!("could not disable {module} ({e:#})"))?;
        paused = true;
        crate::output::print("Disabled it.  Continue starting DAMON\n")?;
        eprintln!("note: 'damo stop' enables {module} again");
    }
    Ok(paused)
}

/// `damo schemes`: turns DAMON on, waits until the kdamonds finish (or a
/// command target exits, or SIGINT/SIGTERM), then turns them off and
/// stages the previous setup back.
pub fn schemes(args: &Schemes) -> Result<()> {
    let fs = super::open_sysfs("schemes", args.debug_damon, args.damon_interface_deprecated)?;
    crate::interrupt::catch()?;
    let orig = fs.current_kdamonds()?;
    let (kdamonds, self_started) = match turn_on(&fs, &args.damon, "schemes") {
        Ok(k) => k,
        Err(e) => {
            eprintln!("damo: could not turn DAMON on ({e:#})");
            return Err(crate::output::Exit(253).into());
        }
    };
    let idxs: Vec<usize> = (0..kdamonds.len()).collect();
    let cleanup = |code: u8| -> Result<()> {
        let _lock = fs.lock_setup("damo schemes (restoring)");
        // the kdamonds may have finished by themselves already
        let running: Vec<usize> = fs
            .running_idxs()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| idxs.contains(i))
            .collect();
        let _ = fs.turn_off(&running);
        if let Err(e) = fs.stage(&orig) {
            eprintln!("damo: failed restoring previous kdamonds setup ({e:#})");
        }
        match code {
            0 => Ok(()),
            c => Err(crate::output::Exit(c).into()),
        }
    };
    crate::output::print("Press Ctrl+C to stop\n")?;
    let poll = std::time::Duration::from_millis(200);
    let command_pid = children::command_pid(&kdamonds, self_started);
    loop {
        let done = match command_pid {
            Some(pid) => children::reaped(pid),
            None => idxs.iter().all(|i| !fs.is_running(*i).unwrap_or(false)),
        };
        if done {
            break;
        }
        if let Some(sig) = crate::interrupt::sleep(poll) {
            crate::output::print(&format!("\nsignal {sig} received\n"))?;
            return cleanup(u8::try_from(sig).unwrap_or(1));
        }
    }
    // after a command target exits, DAMON turns off by itself
    while idxs.iter().any(|i| fs.is_running(*i).unwrap_or(false)) {
        if let Some(sig) = crate::interrupt::sleep(poll) {
            crate::output::print(&format!("\nsignal {sig} received\n"))?;
            return cleanup(u8::try_from(sig).unwrap_or(1));
        }
    }
    cleanup(0)
}

/// `damo stop`.
pub fn stop(args: &Stop) -> Result<()> {
    let fs = super::open_sysfs("stop", args.debug_damon, args.damon_interface_deprecated)?;
    let _lock = fs.lock_setup("damo stop")?;
    let running = fs.running_idxs()?;
    let resumed = if running.is_empty() {
        // (the kdamonds may have ended by themselves)
        let resumed = fs.resume_paused_modules();
        if resumed.is_empty() {
            bail!("DAMON is not turned on: nothing to stop");
        }
        resumed
    } else {
        fs.turn_off(&running)
            .map_err(|e| anyhow!("DAMON turn off failed ({e:#})"))?;
        fs.resume_paused_modules()
    };
    for (module, res) in resumed {
        match res {
            Ok(()) => eprintln!("note: enabled {module} again, which 'damo start' disabled"),
            Err(e) => eprintln!("damo: could not enable {module} again ({e:#})"),
        }
    }
    Ok(())
}

/// `damo tune`.
pub fn tune(args: &Tune) -> Result<()> {
    let fs = super::open_sysfs("tune", args.debug_damon, args.damon_interface_deprecated)?;
    if fs.is_dbgfs() {
        bail!(
            "the DAMON debugfs interface cannot change a running kdamond: 'damo stop', then \
             'damo start' with the new parameters (or use a kernel with DAMON sysfs)"
        );
    }
    let _lock = fs.lock_setup("damo tune")?;
    if fs.running_idxs()?.is_empty() {
        bail!("DAMON is not turned on: start it with 'damo start' (tune changes a running DAMON)");
    }
    let built = kdamonds_for(&args.damon).map_err(|e| anyhow!("invalid arguments ({e:#})"))?;
    super::args::print_notes(&built.notes)?;
    let mut kdamonds = built.kdamonds;
    stage::check(&kdamonds)?;
    let idxs: Vec<usize> = (0..kdamonds.len()).collect();
    let before = fs.current_kdamonds()?;
    let fail = |e: anyhow::Error| anyhow!("tuning failed ({e:#})");
    if args.quota_goals_only {
        // damo 3.4.3 commits without writing the goals; write them first.
        let r = (|| -> Result<()> {
            for (ki, k) in kdamonds.iter().enumerate() {
                for (ci, c) in k.contexts.iter().enumerate() {
                    for (si, s) in c.schemes.iter().enumerate() {
                        let dir = fs
                            .kdamond_dir(ki)
                            .join(format!("contexts/{ci}/schemes/{si}/quotas/goals"));
                        fs.stage_goals(&dir, &s.quotas.goals)?;
                    }
                }
            }
            fs.state_command(&idxs, "commit_schemes_quota_goals")
        })();
        return r.map_err(|e| roll_back(&fs, &before, fail(e)));
    }
    if let Err(e) = fs.stage(&kdamonds) {
        return Err(roll_back(&fs, &before, fail(e)));
    }
    if let Err(e) = fs.state_command(&idxs, "commit") {
        let msg = match memcg_diagnosis(&fs, &kdamonds) {
            Some(why) => format!("{why} (the kernel said: {e:#})"),
            None => format!("{e:#}"),
        };
        return Err(roll_back(&fs, &before, fail(anyhow!(msg))));
    }
    // committed obsolete targets are gone from the kernel; drop their files
    let mut obsolete = false;
    for k in &mut kdamonds {
        for c in &mut k.contexts {
            obsolete |= c.targets.iter().any(|t| t.obsolete);
            c.targets.retain(|t| !t.obsolete);
        }
    }
    if obsolete {
        fs.stage(&kdamonds)
            .map_err(|e| anyhow!("obsolete targets cleanup failed ({e:#})"))?;
    }
    Ok(())
}

/// `damo features`: what the kernel supports, found passively (nothing
/// is staged).
pub fn features(args: &Features) -> Result<()> {
    let fs = super::open_sysfs(
        "features",
        args.debug_damon,
        args.damon_interface_deprecated,
    )?;
    eprintln!("note: damo 3.4.3 plans to replace 'damo features' with 'damo report sysinfo'");
    let mut out = String::new();
    for (name, ok) in crate::sysfs::features::all(&fs) {
        out.push_str(&format!(
            "{name}: {}\n",
            if ok { "Supported" } else { "Unsupported" }
        ));
    }
    crate::output::print(&out)
}
