//! `damo report profile`: the hot functions of the CPU profile
//! (`<record>.profile`, written by `damo record` with perf) at the times
//! the access pattern record shows a given pattern (the record filter
//! options, as `report times`).
//!
//! Reading a `perf record` profile needs `perf report`; it is run where
//! perf is installed, as damo does.  Without perf the times are printed
//! with the command to run elsewhere.

use anyhow::{Result, bail};

use crate::cli::opts::ReportProfile;
use crate::fmt::pynum::I;
use crate::record::filter::RecordFilter;

/// `damo report profile`.
pub fn main(args: &ReportProfile) -> Result<()> {
    let profile = args
        .inputs
        .get(1)
        .map_or("damon.data.profile", String::as_str);
    let filter = RecordFilter::from_opts(&args.access_filter, None)?;
    let times = super::times::matching_times(&args.inputs, filter)?;
    if times.is_empty() {
        bail!("No snapshot of the condition found (widen the record filter options)");
    }
    let perf = args.perf_path.as_str();
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
