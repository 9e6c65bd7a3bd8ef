//! `damo report profile`: the hot functions of the CPU profile
//! (`<record>.profile`, written by `damo record` with perf) at the times
//! the access pattern record shows a given pattern (the record filter
//! options, as `report times`).
//!
//! Reading a `perf record` profile needs `perf report`; it is run where
//! perf is installed, as damo does.  Without perf the times are printed
//! with the command to run elsewhere.

use anyhow::{Result, bail};

use crate::cli::parse::Args;
use crate::fmt::pynum::I;

/// `damo report profile`.
pub fn main(args: &Args) -> Result<()> {
    let inputs = args
        .list("inputs")
        .unwrap_or_else(|| vec!["damon.data", "damon.data.profile"]);
    let profile = inputs.get(1).copied().unwrap_or("damon.data.profile");
    let times = super::times::matching_times(args)?;
    if times.is_empty() {
        bail!("No snapshot of the condition found (widen the record filter options)");
    }
    let perf = args.str("perf_path").unwrap_or("perf");
    let mut cmd: Vec<String> = vec!["report".into(), "-i".into(), profile.into()];
    for [a, b] in &times {
        cmd.push("--time".into());
        cmd.push(format!(
            "{},{}",
            a.div(I(1_000_000_000)).repr(),
            b.div(I(1_000_000_000)).repr()
        ));
    }
    if !crate::damon::args::is_program(perf) {
        bail!(
            "reading the profile {profile} needs perf ('{perf}' is not installed): install \
             linux-perf, or run elsewhere: perf {}",
            cmd.join(" ")
        );
    }
    let status = std::process::Command::new(perf)
        .args(&cmd)
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run {perf}: {e}"))?;
    // damo ignores perf's status; a failing perf has said why on stderr
    let _ = status;
    Ok(())
}
