//! Processes, from /proc: whether one is alive, its children, its CPU
//! usage.  (DAMON targets are processes; this is the one place that reads
//! `/proc/<pid>/stat`.)

use std::collections::HashMap;
use std::path::Path;

/// Whether a process exists (zombies included, as `ps --pid` counts them).
pub fn alive(pid: i128) -> bool {
    Path::new("/proc").join(pid.to_string()).is_dir()
}

/// The fields of `/proc/<pid>/stat` from the state on: index 0 is field 3
/// of proc(5) (the command name, which may hold spaces and parentheses,
/// is skipped).
fn stat_fields(pid_dir: &Path) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(pid_dir.join("stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// proc(5) field `n` (1-based) of a `stat_fields` list, as a number.
fn field(fields: &[String], n: usize) -> Option<u64> {
    fields.get(n.checked_sub(3)?)?.parse().ok()
}

/// Parent pid -> child pids (sorted), for every process.
pub fn children_map() -> HashMap<i128, Vec<i128>> {
    let mut map: HashMap<i128, Vec<i128>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return map;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i128>().ok()) else {
            continue;
        };
        let ppid = stat_fields(&e.path()).and_then(|f| field(&f, 4));
        if let Some(ppid) = ppid {
            map.entry(ppid as i128).or_default().push(pid);
        }
    }
    for v in map.values_mut() {
        v.sort_unstable();
    }
    map
}

/// A kdamond's CPU usage as `ps -o %cpu` shows it (CPU time over the time
/// since it started, in percent with one decimal): `0.0` when off, `error`
/// when its /proc entry cannot be read.
pub fn cpu_usage(state: Option<&str>, pid: Option<&str>) -> String {
    if state == Some("off") {
        return "0.0".into();
    }
    let usage = || -> Option<String> {
        let pid: u32 = pid?.trim().parse().ok()?;
        let fields = stat_fields(&Path::new("/proc").join(pid.to_string()))?;
        let field = |n: usize| field(&fields, n);
        let ticks = clock_ticks();
        // utime + stime, since starttime
        let total = field(14)? + field(15)?;
        let uptime: f64 = std::fs::read_to_string("/proc/uptime")
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        let seconds = crate::fmt::sat_u64(crate::fmt::pynum::F(uptime).trunc())
            .saturating_sub(field(22)? / ticks);
        let permille = (total * 1000 / ticks).checked_div(seconds).unwrap_or(0);
        Some(if permille > 999 {
            format!("{}", permille / 10)
        } else {
            format!("{}.{}", permille / 10, permille % 10)
        })
    };
    usage().unwrap_or_else(|| "error".into())
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|t| u64::try_from(t).ok())
        .filter(|t| *t > 0)
        .unwrap_or(100)
}

/// `/proc/<pid>/statm`: size, resident, shared, text, lib, data, dirty
/// (pages); zeros when the process is gone (damo's `ProcMemFootprint`).
pub fn statm(pid: i128) -> [u64; 7] {
    let mut v = [0u64; 7];
    if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/statm")) {
        for (slot, f) in v.iter_mut().zip(text.split_whitespace()) {
            *slot = f.parse().unwrap_or(0);
        }
    }
    v
}

/// MemTotal, MemFree, MemAvailable, Buffers, Cached of /proc/meminfo, in
/// kB (`None` where missing).
pub fn meminfo() -> [Option<u64>; 5] {
    let mut v = [None; 5];
    let keys = [
        "MemTotal:",
        "MemFree:",
        "MemAvailable:",
        "Buffers:",
        "Cached:",
    ];
    for line in std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
    {
        let mut f = line.split_whitespace();
        if let (Some(k), Some(n)) = (f.next(), f.next())
            && let Some(i) = keys.iter().position(|x| *x == k)
        {
            v[i] = n.parse().ok();
        }
    }
    v
}

/// `/proc/<pid>/maps` as (start, end, last field) per line; empty when the
/// process is gone (damo's `ProcVmas`).
pub fn maps(pid: i128) -> Vec<(u64, u64, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (a, b) = f.first()?.split_once('-')?;
            Some((
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
                f.last()?.to_string(),
            ))
        })
        .collect()
}

/// `/proc/<pid>/stat` split on whitespace, as damo keeps it (`None` when
/// the process is gone).
pub fn stat_words(pid: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(text.split_whitespace().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id() as i128;
        assert!(alive(me));
        assert!(!alive(i32::MAX as i128 + 1));
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep");
        let kids = children_map();
        assert!(
            kids.get(&me)
                .is_some_and(|k| k.contains(&(child.id() as i128)))
        );
        let usage = cpu_usage(Some("on"), Some(&me.to_string()));
        assert!(usage.parse::<f64>().is_ok(), "{usage}");
        assert_eq!(cpu_usage(Some("off"), Some("1")), "0.0");
        assert_eq!(cpu_usage(Some("on"), None), "error");
        let _ = child.kill();
        let _ = child.wait();
    }
}
