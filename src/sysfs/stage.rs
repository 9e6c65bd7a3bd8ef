//! Staging: writing kdamonds to the sysfs files, in damo 3.4.3's order
//! (the order is part of the contract: the write-order tests compare it
//! with damo's traces).
//!
//! Optional files are written only where the kernel has them; asking for
//! something the kernel lacks is an error that names the feature and the
//! kernel version that added it.

use std::path::Path;

use anyhow::{Result, anyhow, bail};

use super::Sysfs;
use super::features::{keyword_feature, since_text};
use super::libc_errno::EINVAL;
use crate::damon::damos::DamosFilter;
use crate::damon::model::{
    Context, Kdamond, OpsAttrs, Probe, QuotaGoal, Quotas, Scheme, Target, needs_memcg, needs_nid,
};
use crate::fmt::ULONG_MAX;
use crate::fmt::pynum::Num;

fn d(v: Num) -> String {
    v.trunc().to_string()
}

fn yn(b: bool) -> &'static str {
    if b { "Y" } else { "N" }
}

fn lacks(what: &str, feature: &str) -> anyhow::Error {
    anyhow!(
        "the kernel does not support {what} ({feature}, added in {}); \
         use a newer kernel or drop the option",
        since_text(feature)
    )
}

impl Sysfs {
    fn w(&self, p: &Path, v: &str) -> Result<()> {
        Ok(self.write(p, v)?)
    }

    /// Writes a keyword; an EINVAL for a keyword newer than the kernel
    /// says which feature is missing.
    fn w_keyword(&self, p: &Path, v: &str) -> Result<()> {
        match self.write(p, v) {
            Err(e) if e.errno() == Some(EINVAL) => {
                let file = p.file_name().and_then(|f| f.to_str()).unwrap_or_default();
                match keyword_feature(file, v) {
                    Some(feat) => Err(anyhow!(
                        "the kernel rejected '{v}' in {} (EINVAL): '{v}' needs {feat}, \
                         added in {}; 'damo features' shows what this kernel supports",
                        p.display(),
                        since_text(feat)
                    )),
                    None => Err(anyhow!(
                        "the kernel rejected '{v}' in {} (EINVAL): not a value it knows",
                        p.display()
                    )),
                }
            }
            r => Ok(r?),
        }
    }

    fn w_ulong(&self, p: &Path, v: Num) -> Result<()> {
        self.w(p, &v.trunc().min(ULONG_MAX).to_string())
    }

    /// damo's `ensure_nr_file_for`: read, write only if different.
    fn ensure_nr(&self, p: &Path, n: usize) -> Result<()> {
        let cur = self.read_int(p)?;
        if cur != n as i128 {
            self.w(p, &n.to_string())?;
        }
        Ok(())
    }

    /// Stages `kdamonds` (damo's `write_kdamonds_dir`).
    pub fn stage(&self, kdamonds: &[Kdamond]) -> Result<()> {
        if self.use_dbgfs {
            return self.dbgfs_stage(kdamonds);
        }
        let dir = self.kdamonds_dir();
        self.ensure_nr(&dir.join("nr_kdamonds"), kdamonds.len())?;
        for (i, k) in kdamonds.iter().enumerate() {
            self.stage_kdamond(&dir.join(i.to_string()), k)?;
        }
        Ok(())
    }

    fn stage_kdamond(&self, dir: &Path, k: &Kdamond) -> Result<()> {
        let refresh = dir.join("refresh_ms");
        if refresh.is_file() {
            self.w(&refresh, &d(k.refresh_ms))?;
        } else if !k.refresh_ms.is_zero() {
            return Err(lacks("--refresh_stat", "sysfs/refresh_ms"));
        }
        let cdir = dir.join("contexts");
        self.ensure_nr(&cdir.join("nr_contexts"), k.contexts.len())?;
        for (i, c) in k.contexts.iter().enumerate() {
            self.stage_context(&cdir.join(i.to_string()), c)?;
        }
        Ok(())
    }

    fn stage_context(&self, dir: &Path, c: &Context) -> Result<()> {
        self.w_keyword(&dir.join("operations"), &c.ops)?;
        let attrs = dir.join("operations_attrs");
        if attrs.is_dir() {
            let a = &c.ops_attrs;
            self.w(&attrs.join("use_reports"), yn(a.use_reports))?;
            self.w(&attrs.join("write_only"), yn(a.write_only))?;
            self.w(&attrs.join("cpus"), &a.cpus)?;
            self.w(&attrs.join("tids"), &a.tids)?;
        } else if c.ops_attrs != OpsAttrs::default() {
            return Err(lacks("--exp_ops_* options", "sysfs/ops_attrs"));
        }
        let iv = dir.join("monitoring_attrs/intervals");
        self.w(&iv.join("sample_us"), &d(c.intervals.sample))?;
        self.w(&iv.join("aggr_us"), &d(c.intervals.aggr))?;
        self.w(&iv.join("update_us"), &d(c.intervals.ops_update))?;
        let goal_dir = iv.join("intervals_goal");
        let g = &c.intervals.goal;
        if goal_dir.is_dir() {
            self.w(&goal_dir.join("access_bp"), &d(g.access_bp))?;
            self.w(&goal_dir.join("aggrs"), &d(g.aggrs))?;
            self.w(&goal_dir.join("min_sample_us"), &d(g.min_sample_us))?;
            self.w(&goal_dir.join("max_sample_us"), &d(g.max_sample_us))?;
        } else if g.enabled() {
            return Err(lacks(
                "monitoring intervals auto-tuning",
                "sysfs/intervals_goal",
            ));
        }
        let nr = dir.join("monitoring_attrs/nr_regions");
        self.w(&nr.join("min"), &d(c.nr_regions[0]))?;
        self.w(&nr.join("max"), &d(c.nr_regions[1]))?;
        self.stage_probes(&dir.join("monitoring_attrs/probes"), &c.probes)?;
        let pause = dir.join("pause");
        if pause.is_file() {
            self.w(&pause, yn(c.pause))?;
        } else if c.pause {
            return Err(lacks("pausing a context", "sysfs/ctx_pause"));
        }
        let unit = dir.join("addr_unit");
        if unit.is_file() {
            self.w(&unit, &d(c.addr_unit))?;
        } else if c.addr_unit != crate::fmt::pynum::I(1) {
            return Err(lacks("--damon_addr_unit", "sysfs/addr_unit"));
        }
        self.stage_targets(&dir.join("targets"), &c.targets)?;
        let sdir = dir.join("schemes");
        self.ensure_nr(&sdir.join("nr_schemes"), c.schemes.len())?;
        for (i, s) in c.schemes.iter().enumerate() {
            self.stage_scheme(&sdir.join(i.to_string()), s, c)?;
        }
        Ok(())
    }

    /// Data attribute monitoring probes (damo's `write_probes_dir`).
    fn stage_probes(&self, dir: &Path, probes: &[Probe]) -> Result<()> {
        if !dir.is_dir() {
            if probes.is_empty() {
                return Ok(());
            }
            return Err(lacks("--probe_* options", "sysfs/attrs_monitoring"));
        }
        self.ensure_nr(&dir.join("nr_probes"), probes.len())?;
        for (i, p) in probes.iter().enumerate() {
            let pdir = dir.join(i.to_string());
            let preps = pdir.join("preps");
            if preps.is_dir() {
                self.ensure_nr(&preps.join("nr_preps"), p.preps.len())?;
                for (j, action) in p.preps.iter().enumerate() {
                    self.w(&preps.join(j.to_string()).join("prep_action"), action)?;
                }
            } else if !p.preps.is_empty() {
                return Err(lacks("--probe_prep", "sysfs/probe_preps"));
            }
            let fdir = pdir.join("filters");
            self.ensure_nr(&fdir.join("nr_filters"), p.filters.len())?;
            for (j, f) in p.filters.iter().enumerate() {
                let f_dir = fdir.join(j.to_string());
                self.w_keyword(&f_dir.join("type"), &f.filter_type)?;
                self.w(&f_dir.join("matching"), yn(f.matching))?;
                self.w(&f_dir.join("allow"), yn(f.allow))?;
                if f.filter_type == "memcg" {
                    self.w(&f_dir.join("path"), f.path.as_deref().unwrap_or_default())?;
                }
                if let ("hugepage_size", Some([a, b])) = (f.filter_type.as_str(), f.range) {
                    self.w(&f_dir.join("min"), &d(a))?;
                    self.w(&f_dir.join("max"), &d(b))?;
                }
            }
            let weight = pdir.join("weight");
            if weight.is_file() {
                self.w(&weight, &p.weight.to_string())?;
            } else if p.weight != 0 {
                return Err(lacks("--probe_weight", "sysfs/probe_weights"));
            }
        }
        Ok(())
    }

    /// Stages the targets of a context (also used on its own, for child
    /// task updates).
    pub fn stage_targets(&self, dir: &Path, targets: &[Target]) -> Result<()> {
        self.ensure_nr(&dir.join("nr_targets"), targets.len())?;
        for (i, t) in targets.iter().enumerate() {
            let tdir = dir.join(i.to_string());
            if let Some(pid) = t.pid {
                self.w(&tdir.join("pid_target"), &pid.to_string())?;
            }
            let obsolete = tdir.join("obsolete_target");
            if obsolete.is_file() {
                self.w(&obsolete, if t.obsolete { "1" } else { "0" })?;
            } else if t.obsolete {
                return Err(lacks("obsolete targets", "sysfs/obsolete_target"));
            }
            let rdir = tdir.join("regions");
            self.ensure_nr(&rdir.join("nr_regions"), t.regions.len())?;
            for (j, [s, e]) in t.regions.iter().enumerate() {
                let r = rdir.join(j.to_string());
                self.w(&r.join("start"), &d(*s))?;
                self.w(&r.join("end"), &d(*e))?;
            }
        }
        Ok(())
    }

    fn stage_scheme(&self, dir: &Path, s: &Scheme, c: &Context) -> Result<()> {
        let (samples, aggrs) = s.access_pattern.in_kernel_units(&c.intervals);
        let ap = dir.join("access_pattern");
        self.w_ulong(&ap.join("sz/min"), s.access_pattern.sz_bytes[0])?;
        self.w_ulong(&ap.join("sz/max"), s.access_pattern.sz_bytes[1])?;
        self.w_ulong(&ap.join("nr_accesses/min"), samples[0])?;
        self.w_ulong(&ap.join("nr_accesses/max"), samples[1])?;
        self.w_ulong(&ap.join("age/min"), aggrs[0])?;
        self.w_ulong(&ap.join("age/max"), aggrs[1])?;
        self.w_keyword(&dir.join("action"), &s.action)?;
        if !s.dests.is_empty() {
            let ddir = dir.join("dests");
            if !ddir.is_dir() {
                return Err(lacks("migration destinations", "sysfs/schemes_dests"));
            }
            self.ensure_nr(&ddir.join("nr_dests"), s.dests.len())?;
            for (i, (id, weight)) in s.dests.iter().enumerate() {
                self.w(&ddir.join(format!("{i}/id")), &d(*id))?;
                self.w(&ddir.join(format!("{i}/weight")), &d(*weight))?;
            }
        }
        self.stage_quotas(&dir.join("quotas"), &s.quotas)?;
        let wm = dir.join("watermarks");
        self.w_keyword(&wm.join("metric"), &s.watermarks.metric)?;
        self.w(&wm.join("interval_us"), &d(s.watermarks.interval_us))?;
        self.w(&wm.join("high"), &d(s.watermarks.marks[0]))?;
        self.w(&wm.join("mid"), &d(s.watermarks.marks[1]))?;
        self.w(&wm.join("low"), &d(s.watermarks.marks[2]))?;
        if let Some(nid) = s.target_nid {
            let p = dir.join("target_nid");
            if !p.is_file() {
                return Err(lacks("DAMOS migration", "sysfs/schemes_migrate"));
            }
            self.w(&p, &d(nid))?;
        }
        if dir.join("core_filters").is_dir() {
            let (core, ops): (Vec<&DamosFilter>, Vec<&DamosFilter>) =
                s.filters.iter().partition(|f| {
                    matches!(
                        f.filter_type.as_str(),
                        "addr" | "target" | "probe_hits_wsum"
                    )
                });
            self.stage_filters(&dir.join("core_filters"), &core)?;
            self.stage_filters(&dir.join("ops_filters"), &ops)?;
        } else {
            let all: Vec<&DamosFilter> = s.filters.iter().collect();
            self.stage_filters(&dir.join("filters"), &all)?;
        }
        let apply = dir.join("apply_interval_us");
        if apply.is_file() {
            self.w(&apply, &d(s.apply_interval_us))?;
        } else if !s.apply_interval_us.is_zero() {
            return Err(lacks(
                "--damos_apply_interval",
                "sysfs/schemes_apply_interval",
            ));
        }
        let max_snaps = dir.join("stats/max_nr_snapshots");
        let want = s
            .stats
            .as_ref()
            .map(|st| st.max_nr_snapshots)
            .unwrap_or_default();
        if max_snaps.is_file() {
            self.w(&max_snaps, &d(want))?;
        } else if !want.is_zero() {
            return Err(lacks(
                "--damos_max_nr_snapshots",
                "sysfs/damos_max_nr_snapshots",
            ));
        }
        Ok(())
    }

    fn stage_quotas(&self, dir: &Path, q: &Quotas) -> Result<()> {
        self.w(&dir.join("ms"), &d(q.time_ms))?;
        self.w(&dir.join("bytes"), &d(q.sz_bytes))?;
        self.w(&dir.join("reset_interval_ms"), &d(q.reset_interval_ms))?;
        let wd = dir.join("weights");
        self.w(&wd.join("sz_permil"), &d(q.weights[0]))?;
        self.w(&wd.join("nr_accesses_permil"), &d(q.weights[1]))?;
        self.w(&wd.join("age_permil"), &d(q.weights[2]))?;
        let num = dir.join("fail_charge_num");
        if num.is_file() {
            self.w(&num, &d(q.fail_charge_num))?;
            self.w(&dir.join("fail_charge_denom"), &d(q.fail_charge_denom))?;
        } else if !q.fail_charge_denom.is_zero() {
            return Err(lacks(
                "--damos_quota_fail_charge_ratio",
                "sysfs/damos_quota_fail_charge_ratio",
            ));
        }
        self.stage_goals(&dir.join("goals"), &q.goals)?;
        let tuner = dir.join("goal_tuner");
        if tuner.is_file() {
            self.w_keyword(&tuner, &q.goal_tuner)?;
        } else if q.goal_tuner != "consist" {
            return Err(lacks(
                "--damos_quota_goal_tuner",
                "sysfs/damos_quota_goal_tuner",
            ));
        }
        Ok(())
    }

    /// Stages quota goals (also on their own, for `tune --quota_goals_only`).
    pub fn stage_goals(&self, dir: &Path, goals: &[QuotaGoal]) -> Result<()> {
        if !dir.is_dir() {
            if goals.is_empty() {
                return Ok(());
            }
            return Err(lacks("DAMOS quota goals", "sysfs/schemes_quota_goals"));
        }
        self.ensure_nr(&dir.join("nr_goals"), goals.len())?;
        for (i, g) in goals.iter().enumerate() {
            let gd = dir.join(i.to_string());
            let metric = gd.join("target_metric");
            if metric.is_file() {
                self.w_keyword(&metric, &g.metric)?;
            } else if g.metric != "user_input" {
                return Err(lacks(
                    &format!("quota goal metric '{}'", g.metric),
                    "sysfs/schemes_quota_goal_metric",
                ));
            }
            let complement = gd.join("complement");
            if complement.is_file() {
                self.w(&complement, yn(g.complement))?;
            } else if g.complement {
                return Err(lacks(
                    "quota goal complement",
                    "sysfs/damos_quota_goal_complement",
                ));
            }
            if let Some(nid) = g.nid.filter(|_| needs_nid(&g.metric)) {
                self.w(&gd.join("nid"), &d(nid))?;
            }
            if needs_memcg(&g.metric) {
                self.w(&gd.join("path"), g.memcg_path.as_deref().unwrap_or(""))?;
            }
            self.w(&gd.join("target_value"), &d(g.target_value))?;
            self.w(&gd.join("current_value"), &d(g.current_value))?;
        }
        Ok(())
    }

    fn stage_filters(&self, dir: &Path, filters: &[&DamosFilter]) -> Result<()> {
        if !dir.is_dir() {
            if filters.is_empty() {
                return Ok(());
            }
            return Err(lacks("DAMOS filters", "sysfs/schemes_filters"));
        }
        self.ensure_nr(&dir.join("nr_filters"), filters.len())?;
        for (i, f) in filters.iter().enumerate() {
            let fd = dir.join(i.to_string());
            self.w_keyword(&fd.join("type"), &f.filter_type)?;
            if f.allow {
                if fd.join("allow").is_file() {
                    self.w(&fd.join("allow"), "Y")?;
                } else if fd.join("pass").is_file() {
                    self.w(&fd.join("pass"), "Y")?;
                } else {
                    return Err(lacks("allow filters", "sysfs/allow_filter"));
                }
            }
            if let Some(p) = &f.memcg_path {
                self.w(&fd.join("memcg_path"), p)?;
            }
            if let Some([a, b]) = f.hugepage_size {
                self.w(&fd.join("min"), &d(a))?;
                self.w(&fd.join("max"), &d(b))?;
            }
            if let Some([a, b]) = f.address_range {
                self.w(&fd.join("addr_start"), &d(a))?;
                self.w(&fd.join("addr_end"), &d(b))?;
            }
            if let Some(t) = f.damon_target_idx {
                self.w(&fd.join("damon_target_idx"), &d(t))?;
            }
            if let Some([a, b]) = f.probe_hits_wsum_range {
                self.w(&fd.join("min"), &d(a))?;
                self.w(&fd.join("max"), &d(b))?;
            }
            self.w(&fd.join("matching"), yn(f.matching))?;
        }
        Ok(())
    }
}

/// Refuses kdamonds the kernel cannot run, before anything is written.
pub fn check(kdamonds: &[Kdamond]) -> Result<()> {
    for k in kdamonds {
        for c in &k.contexts {
            if c.ops != "paddr" && c.addr_unit != crate::fmt::pynum::I(1) {
                bail!("only paddr supports non-one --damon_addr_unit");
            }
        }
    }
    Ok(())
}
