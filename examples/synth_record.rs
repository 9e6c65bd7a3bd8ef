//! Writes a synthetic record file (for tests and benchmarks):
//! `synth_record OUT FORMAT TARGETS SNAPSHOTS REGIONS [intervals|nointervals|damos] [SEED]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
use anyhow::{Context, Result};
use damo::record::synth::{Params, generate};
use damo::record::{Format, write::FileWriter};

fn main() -> Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: synth_record OUT FORMAT TARGETS SNAPSHOTS REGIONS [intervals|nointervals|damos] [SEED]";
    let out = a.first().context(usage)?;
    let format = Format::from_name(a.get(1).context(usage)?).context("bad format")?;
    let n = |i: usize| -> Result<usize> { a.get(i).context(usage)?.parse().context("bad number") };
    let p = Params {
        targets: n(2)?,
        snapshots: n(3)?,
        regions: n(4)?,
        intervals: a.get(5).map(|s| s != "nointervals").unwrap_or(true),
        damos: a.get(5).is_some_and(|s| s == "damos"),
        seed: a.get(6).map(|s| s.parse()).transpose()?.unwrap_or(42),
    };
    let mut w = FileWriter::create(std::path::Path::new(out), format)?;
    generate(&p, &mut w)?;
    w.commit(Some(0o644))
}
