//! Following child tasks (`start --include_child_tasks`): the descendants
//! of the vaddr targets given at start become targets as they appear, and
//! targets whose task exited leave (marked obsolete where the kernel
//! supports it, so DAMON drops them without shifting the others).
//!
//! damo 3.4.3 re-adds every child on each round, so its target list grows
//! with duplicates every 3 seconds; this keeps one target per live task.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Result;

use crate::damon::model::{Kdamond, Target};
use crate::proc::{alive, children_map};
use crate::sysfs::Sysfs;

/// How often the process tree is checked (damo's period).
pub const INTERVAL: Duration = Duration::from_secs(3);

/// The pid of the command target this damo started, if it started one:
/// the first target (damo's `kdamonds[0].contexts[0].targets[0]`).
pub fn command_pid(kdamonds: &[Kdamond], self_started: bool) -> Option<i128> {
    kdamonds
        .first()
        .and_then(|k| k.contexts.first())
        .and_then(|c| c.targets.first())
        .and_then(|t| t.pid)
        .filter(|_| self_started)
}

/// Whether our child `pid` has exited; reaps it if so.
pub fn reaped(pid: i128) -> bool {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    let Ok(p) = i32::try_from(pid) else {
        return true;
    };
    match waitpid(nix::unistd::Pid::from_raw(p), Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) => false,
        Ok(_) => true,
        // not our child (or already reaped): go by /proc
        Err(_) => !alive(pid),
    }
}

/// Every descendant of `root`: children first, then theirs (damo's order).
fn descendants(root: i128, map: &HashMap<i128, Vec<i128>>) -> Vec<i128> {
    let mut out: Vec<i128> = map.get(&root).cloned().unwrap_or_default();
    let mut i = 0;
    while i < out.len() {
        if let Some(kids) = map.get(&out[i]) {
            out.extend(kids.iter().filter(|k| **k != root));
        }
        i += 1;
    }
    out.dedup();
    out
}

/// The root tasks of each vaddr context, as given at start.
pub struct Follower {
    /// (kdamond index, context index, root pids)
    roots: Vec<(usize, usize, Vec<i128>)>,
}

impl Follower {
    pub fn new(kdamonds: &[Kdamond]) -> Follower {
        let mut roots = Vec::new();
        for (ki, k) in kdamonds.iter().enumerate() {
            for (ci, c) in k.contexts.iter().enumerate() {
                // fvaddr targets have fixed regions: nothing to follow
                if c.ops == "vaddr" {
                    roots.push((ki, ci, c.targets.iter().filter_map(|t| t.pid).collect()));
                }
            }
        }
        Follower { roots }
    }

    /// Brings the targets in step with the live tasks; commits when they
    /// changed.  Returns whether they did.
    pub fn update(&self, fs: &Sysfs, kdamonds: &mut [Kdamond]) -> Result<bool> {
        let map = children_map();
        let mut changed = Vec::new();
        for (ki, ci, roots) in &self.roots {
            let Some(ctx) = kdamonds.get_mut(*ki).and_then(|k| k.contexts.get_mut(*ci)) else {
                continue;
            };
            let mut wanted: Vec<i128> = Vec::new();
            for r in roots {
                if alive(*r) {
                    wanted.push(*r);
                }
                for d in descendants(*r, &map) {
                    if !wanted.contains(&d) {
                        wanted.push(d);
                    }
                }
            }
            if wanted.is_empty() {
                // every task is gone: DAMON stops by itself
                continue;
            }
            let current: Vec<i128> = ctx.targets.iter().filter_map(|t| t.pid).collect();
            let gone: Vec<i128> = current
                .iter()
                .copied()
                .filter(|p| !wanted.contains(p))
                .collect();
            let new: Vec<i128> = wanted
                .iter()
                .copied()
                .filter(|p| !current.contains(p))
                .collect();
            if gone.is_empty() && new.is_empty() {
                continue;
            }
            let tdir = fs.kdamond_dir(*ki).join(format!("contexts/{ci}/targets"));
            let can_obsolete = tdir.join("0/obsolete_target").is_file();
            let mut targets: Vec<Target> = Vec::new();
            for t in &ctx.targets {
                let is_gone = t.pid.is_some_and(|p| gone.contains(&p));
                if is_gone && !can_obsolete {
                    continue;
                }
                targets.push(Target {
                    obsolete: is_gone,
                    regions: Vec::new(),
                    ..t.clone()
                });
            }
            targets.extend(new.iter().map(|p| Target {
                pid: Some(*p),
                obsolete: false,
                regions: Vec::new(),
            }));
            fs.stage_targets(&tdir, &targets)?;
            targets.retain(|t| !t.obsolete);
            ctx.targets = targets;
            changed.push((*ki, *ci));
        }
        if changed.is_empty() {
            return Ok(false);
        }
        let mut idxs: Vec<usize> = changed.iter().map(|(k, _)| *k).collect();
        idxs.dedup();
        fs.state_command(&idxs, "commit")?;
        // committed obsolete targets are gone from the kernel; drop their
        // files
        for (ki, ci) in &changed {
            let tdir = fs.kdamond_dir(*ki).join(format!("contexts/{ci}/targets"));
            fs.stage_targets(&tdir, &kdamonds[*ki].contexts[*ci].targets)?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_in_damo_order() {
        let map: HashMap<i128, Vec<i128>> =
            [(1, vec![2, 3]), (2, vec![4]), (3, vec![5]), (4, vec![6])]
                .into_iter()
                .collect();
        assert_eq!(descendants(1, &map), vec![2, 3, 4, 5, 6]);
        assert!(descendants(7, &map).is_empty());
    }
}
