//! Live snapshots of running kdamonds through DAMOS tried regions (damo's
//! `get_snapshot_records`): a monitoring-only `stat` scheme is installed in
//! every context that lacks an effectively equal one, the kernel is asked
//! for the regions the schemes tried, and the kdamonds' previous setup is
//! committed back.  Also the tried regions of given schemes, without
//! installing anything (`--input tried_regions_of K C S`).

use std::time::SystemTime;

use anyhow::{Result, anyhow, bail};

use crate::damon::model::{Kdamond, Scheme};
use crate::fmt::pynum::{F, I};
use crate::record::{Age, NrAccesses, Record, RecordMeta, Region, Snapshot};
use crate::sysfs::Sysfs;

/// Live snapshots need DAMOS tried regions, which only the sysfs interface
/// has.
fn refuse_dbgfs(fs: &Sysfs) -> Result<()> {
    if fs.is_dbgfs() {
        bail!(
            "live snapshots need DAMOS tried regions, which the DAMON debugfs interface \
             lacks: record with 'damo record' and report the record, or use a kernel with \
             DAMON sysfs (Linux 6.2 or later)"
        );
    }
    Ok(())
}

/// Whether two schemes do the same in a context of `intervals` (damo's
/// `Damos.effectively_equal`: access patterns compared in the kernel's
/// units).
fn effectively_equal(a: &Scheme, b: &Scheme, iv: &crate::damon::model::Intervals) -> bool {
    a.access_pattern.in_kernel_units(iv) == b.access_pattern.in_kernel_units(iv)
        && a.access_pattern.sz_bytes == b.access_pattern.sz_bytes
        && a.action == b.action
        && a.dests == b.dests
        && a.apply_interval_us == b.apply_interval_us
        && a.quotas == b.quotas
        && a.watermarks == b.watermarks
        && a.filters == b.filters
}

/// Adjacent tried regions with the same access counts and age, joined
/// (damo's `merged_regions`).
fn merged(regions: Vec<Region>) -> Vec<Region> {
    let mut out: Vec<Region> = Vec::new();
    for r in regions {
        if let Some(last) = out.last_mut()
            && last.sz_filter_passed.unwrap_or(0) == 0
            && r.sz_filter_passed.unwrap_or(0) == 0
            && last.end == r.start
            && last.nr_accesses == r.nr_accesses
            && last.age == r.age
        {
            last.end = r.end;
            continue;
        }
        out.push(r);
    }
    out
}

fn now_ns() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        * 1e9
}

/// Asks the running kdamonds for their statistics, tuned intervals and
/// tried regions (only their total size when `total_only` and the kernel
/// can tell it alone: Linux 6.6's `update_schemes_tried_bytes`, cheaper),
/// with damo's five tries.
fn update_tried(fs: &Sysfs, running: &[usize], total_only: bool) -> Result<()> {
    let command = if total_only && crate::sysfs::features::has(fs, "sysfs/schemes_tried_regions_sz")
    {
        "update_schemes_tried_bytes"
    } else {
        "update_schemes_tried_regions"
    };
    let mut last = None;
    for attempt in 0..5 {
        let r = fs
            .update_schemes_stats(running)
            .and_then(|()| fs.update_tuned_intervals())
            .and_then(|()| fs.state_command(running, command));
        match r {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(10 << attempt));
    }
    Err(anyhow!(
        "updating schemes tried regions fail: {:#}",
        last.unwrap_or_else(|| anyhow!("unknown"))
    ))
}

/// One record per (kdamond, context, scheme) in `idxs`, each with one
/// snapshot of the scheme's tried regions.
fn tried_records(fs: &Sysfs, idxs: &[[usize; 3]], merge: bool) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    for (ki, k) in fs.current_kdamonds()?.into_iter().enumerate() {
        if k.state.as_deref() != Some("on") {
            continue;
        }
        for (ci, c) in k.contexts.into_iter().enumerate() {
            for (si, s) in c.schemes.into_iter().enumerate() {
                if !idxs.contains(&[ki, ci, si]) {
                    continue;
                }
                let end = now_ns();
                let start = end - c.intervals.aggr.f() * 1000.0;
                let regions: Vec<Region> = s
                    .tried_regions
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| Region {
                        start: t.start.trunc(),
                        end: t.end.trunc(),
                        nr_accesses: Some(NrAccesses {
                            samples: Some(t.nr_accesses),
                            percent: None,
                        }),
                        age: Age {
                            usec: None,
                            aggr_intervals: Some(t.age),
                        },
                        probe_hits: t.probe_hits.clone(),
                        sz_filter_passed: t.sz_filter_passed.map(|v| v.trunc()),
                    })
                    .collect();
                let regions = if merge { merged(regions) } else { regions };
                let mut snap = Snapshot::new(Some(F(start)), F(end), regions);
                snap.total_bytes = s.tried_bytes;
                snap.damos_stats = s.stats.as_ref().map(|st| st.to_js(true).to_value());
                records.push(Record {
                    meta: RecordMeta {
                        kdamond_idx: Some(ki as i64),
                        context_idx: Some(ci as i64),
                        intervals: Some(c.intervals.clone()),
                        scheme_idx: Some(si as i64),
                        target_id: None,
                        scheme_filters: s
                            .filters
                            .iter()
                            .map(|f| f.to_js(true).to_value())
                            .collect(),
                        data_source: "unknown".into(),
                    },
                    snapshots: vec![snap],
                });
                break;
            }
        }
    }
    Ok(records)
}

/// The tried regions of the given schemes of running kdamonds (no
/// regions, only their total size, when `total_only` and the kernel can).
pub fn tried_regions_of(
    fs: &Sysfs,
    idxs: &[[usize; 3]],
    merge: bool,
    total_only: bool,
) -> Result<Vec<Record>> {
    refuse_dbgfs(fs)?;
    let running = fs.running_idxs()?;
    if running.is_empty() {
        bail!(
            "no kdamond running: start DAMON first ('damo start'), or read a record with --input"
        );
    }
    update_tried(fs, &running, total_only)?;
    tried_records(fs, idxs, merge)
}

/// A snapshot of what every context of the running kdamonds sees,
/// through `monitor` (a `stat` scheme), installed where needed and
/// removed afterwards (no regions, only their total size, when
/// `total_only` and the kernel can).
pub fn snapshot(
    fs: &Sysfs,
    mut monitor: Scheme,
    merge: bool,
    total_only: bool,
) -> Result<Vec<Record>> {
    refuse_dbgfs(fs)?;
    let running = fs.running_idxs()?;
    if running.is_empty() {
        bail!(
            "no kdamond running: start DAMON first ('damo start'), or read a record with --input"
        );
    }
    let orig = fs.current_kdamonds()?;
    let mut kdamonds = fs.current_kdamonds()?;
    if kdamonds
        .iter()
        .flat_map(|k| &k.contexts)
        .any(|c| c.intervals.goal.enabled())
    {
        fs.update_tuned_intervals()?;
        kdamonds = fs.current_kdamonds()?;
    }
    let apply_interval = crate::sysfs::features::has(fs, "sysfs/schemes_apply_interval");
    let mut installed = false;
    let mut idxs = Vec::new();
    for (ki, k) in kdamonds.iter_mut().enumerate() {
        for (ci, c) in k.contexts.iter_mut().enumerate() {
            let found = c
                .schemes
                .iter()
                .position(|s| effectively_equal(s, &monitor, &c.intervals));
            // damo sets the apply interval after comparing, so it
            // counts from the next context on
            if apply_interval {
                monitor.apply_interval_us = c.intervals.sample;
            }
            match found {
                Some(si) => idxs.push([ki, ci, si]),
                None => {
                    c.schemes.push(monitor.clone());
                    installed = true;
                    idxs.push([ki, ci, c.schemes.len() - 1]);
                }
            }
        }
    }
    if installed {
        commit_kdamonds(fs, &mut kdamonds)
            .map_err(|e| anyhow!("monitoring scheme install failed: {e:#}"))?;
    }
    let records =
        update_tried(fs, &running, total_only).and_then(|()| tried_records(fs, &idxs, merge));
    if installed {
        // back to the previous schemes, with the intervals tuned meanwhile
        let mut back = orig;
        for (k, now) in back.iter_mut().zip(&kdamonds) {
            for (c, cn) in k.contexts.iter_mut().zip(&now.contexts) {
                c.intervals = cn.intervals.clone();
            }
        }
        if let Err(e) = commit_kdamonds(fs, &mut back) {
            let msg = format!("monitoring scheme uninstall failed: {e:#}");
            return Err(match records {
                Err(r) => anyhow!("{r:#}, {msg}"),
                Ok(_) => anyhow!(msg),
            });
        }
    }
    records
}

/// damo's `commit`: stage, commit, then drop the files of obsolete
/// targets.
pub fn commit_kdamonds(fs: &Sysfs, kdamonds: &mut [Kdamond]) -> Result<()> {
    fs.stage(kdamonds)?;
    let idxs: Vec<usize> = (0..kdamonds.len()).collect();
    fs.state_command(&idxs, "commit")?;
    let mut obsolete = false;
    for c in kdamonds.iter_mut().flat_map(|k| k.contexts.iter_mut()) {
        obsolete |= c.targets.iter().any(|t| t.obsolete);
        c.targets.retain(|t| !t.obsolete);
    }
    if obsolete {
        fs.stage(kdamonds)?;
    }
    Ok(())
}
/// The monitoring-only scheme of a live snapshot: `stat` over the regions
/// `filter`'s access pattern selects, with address filters for its
/// address ranges (where the kernel has them) and `extra` filters.
pub fn monitor_scheme(
    fs: &Sysfs,
    filter: &crate::record::filter::RecordFilter,
    extra: Vec<crate::damon::damos::DamosFilter>,
) -> Scheme {
    use crate::damon::damos::DamosFilter;
    use crate::damon::model::{AccessPattern, AgeUnit, NrAccUnit, Quotas, Watermarks};
    let mut filters = Vec::new();
    if let Some(ranges) = &filter.address_ranges
        && crate::sysfs::features::has(fs, "sysfs/schemes_filters_addr")
    {
        filters.extend(ranges.iter().map(|r| DamosFilter {
            filter_type: "addr".into(),
            matching: false,
            allow: false,
            memcg_path: None,
            address_range: Some(*r),
            damon_target_idx: None,
            hugepage_size: None,
            probe_hits_wsum_range: None,
        }));
    }
    filters.extend(extra);
    Scheme {
        action: "stat".into(),
        dests: Vec::new(),
        target_nid: None,
        access_pattern: AccessPattern {
            sz_bytes: filter.sz,
            nr_accesses: filter.access_rate,
            nr_accesses_unit: NrAccUnit::Percent,
            age: filter.age_us,
            age_unit: AgeUnit::Usec,
        },
        apply_interval_us: I(0),
        quotas: Quotas::default(),
        watermarks: Watermarks::default(),
        filters,
        stats: None,
        tried_regions: None,
        tried_bytes: I(0),
    }
}
