//! Reading the kdamonds back from sysfs into the parameter model (damo's
//! `current_kdamonds`): the numbered directories an `nr_*` file lists,
//! access patterns in the kernel's units, filters from core_filters,
//! ops_filters and filters, statistics and tried regions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};

use super::Sysfs;
use crate::damon::damos::{DamosFilter, DamosStats};
use crate::damon::model::{
    AccessPattern, AgeUnit, Context, Intervals, IntervalsGoal, Kdamond, NrAccUnit, OpsAttrs, Probe,
    ProbeFilter, QuotaGoal, Quotas, Scheme, Target, TriedRegion, Watermarks,
};
use crate::fmt::pynum::{I, Num};

/// A file's content or a directory's entries.
#[derive(Debug)]
pub enum Node {
    File(String),
    Dir(BTreeMap<String, Node>),
}

/// A directory being converted, with its path for error messages.
struct D<'a> {
    path: PathBuf,
    map: &'a BTreeMap<String, Node>,
}

impl<'a> D<'a> {
    fn dir(&self, name: &str) -> Result<D<'a>> {
        self.opt_dir(name)
            .ok_or_else(|| anyhow!("{} is missing", self.path.join(name).display()))
    }

    fn opt_dir(&self, name: &str) -> Option<D<'a>> {
        match self.map.get(name) {
            Some(Node::Dir(m)) => Some(D {
                path: self.path.join(name),
                map: m,
            }),
            _ => None,
        }
    }

    fn opt_str(&self, name: &str) -> Option<&'a str> {
        match self.map.get(name) {
            Some(Node::File(s)) => Some(s.trim()),
            _ => None,
        }
    }

    fn str(&self, name: &str) -> Result<&'a str> {
        self.opt_str(name)
            .ok_or_else(|| anyhow!("{} is missing", self.path.join(name).display()))
    }

    fn int(&self, name: &str) -> Result<Num> {
        let s = self.str(name)?;
        s.parse::<i128>().map(I).map_err(|_| {
            anyhow!(
                "{} holds '{s}', not a number",
                self.path.join(name).display()
            )
        })
    }

    fn opt_int(&self, name: &str) -> Result<Option<Num>> {
        match self.opt_str(name) {
            Some(_) => self.int(name).map(Some),
            None => Ok(None),
        }
    }

    fn bool(&self, name: &str) -> Option<bool> {
        self.opt_str(name)
            .map(|s| matches!(s, "Y" | "y" | "1" | "yes" | "true"))
    }

    /// The numbered subdirectories `nr_file` counts.
    fn numbered(&self, nr_file: &str) -> Result<Vec<D<'a>>> {
        let n = self.int(nr_file)?.trunc();
        (0..n).map(|i| self.dir(&i.to_string())).collect()
    }

    /// Every numeric subdirectory, in numeric order.
    fn number_sorted(&self) -> Vec<D<'a>> {
        let mut v: Vec<(u64, D<'a>)> = self
            .map
            .iter()
            .filter_map(|(k, n)| match n {
                Node::Dir(m) => Some((
                    k.parse::<u64>().ok()?,
                    D {
                        path: self.path.join(k),
                        map: m,
                    },
                )),
                _ => None,
            })
            .collect();
        v.sort_by_key(|(k, _)| *k);
        v.into_iter().map(|(_, d)| d).collect()
    }
}

impl Sysfs {
    /// Reads a directory tree (damo's `read_files`): unreadable files read
    /// as `read failed (...)`, as in damo.
    pub fn read_tree(&self, path: &Path) -> Result<Node> {
        self.log_tree_read(path);
        read_tree_quiet(path)
    }

    /// The kdamonds the kernel has now.
    pub fn current_kdamonds(&self) -> Result<Vec<Kdamond>> {
        if self.use_dbgfs {
            return self.dbgfs_kdamonds();
        }
        let dir = self.kdamonds_dir();
        let tree = self.read_tree(&dir)?;
        let Node::Dir(map) = &tree else {
            return Err(anyhow!("{} is not a directory", dir.display()));
        };
        let root = D { path: dir, map };
        root.numbered("nr_kdamonds")?
            .iter()
            .map(kdamond)
            .collect::<Result<_>>()
            .context("cannot read the kdamonds from sysfs")
    }
}

fn read_tree_quiet(path: &Path) -> Result<Node> {
    let mut map = BTreeMap::new();
    let entries =
        std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?;
    for e in entries {
        let e = e.with_context(|| format!("cannot list {}", path.display()))?;
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let node = if p.is_dir() {
            read_tree_quiet(&p)?
        } else {
            Node::File(match std::fs::read_to_string(&p) {
                Ok(s) => s,
                Err(err) => format!("read failed (reading {} failed ({err}))", p.display()),
            })
        };
        map.insert(name, node);
    }
    Ok(Node::Dir(map))
}

fn kdamond(d: &D) -> Result<Kdamond> {
    Ok(Kdamond {
        state: Some(d.str("state")?.to_string()),
        pid: Some(d.str("pid")?.to_string()),
        refresh_ms: d.opt_int("refresh_ms")?.unwrap_or(I(0)),
        contexts: d
            .dir("contexts")?
            .numbered("nr_contexts")?
            .iter()
            .map(context)
            .collect::<Result<_>>()?,
    })
}

fn context(d: &D) -> Result<Context> {
    let ma = d.dir("monitoring_attrs")?;
    let iv = ma.dir("intervals")?;
    let goal = match iv.opt_dir("intervals_goal") {
        Some(g) => IntervalsGoal {
            access_bp: g.int("access_bp")?,
            aggrs: g.int("aggrs")?,
            min_sample_us: g.int("min_sample_us")?,
            max_sample_us: g.int("max_sample_us")?,
        },
        None => IntervalsGoal::default(),
    };
    let nr = ma.dir("nr_regions")?;
    Ok(Context {
        ops: d.str("operations")?.to_string(),
        addr_unit: d.opt_int("addr_unit")?.unwrap_or(I(1)),
        targets: d
            .dir("targets")?
            .numbered("nr_targets")?
            .iter()
            .map(target)
            .collect::<Result<_>>()?,
        intervals: Intervals {
            sample: iv.int("sample_us")?,
            aggr: iv.int("aggr_us")?,
            ops_update: iv.int("update_us")?,
            goal,
        },
        nr_regions: [nr.int("min")?, nr.int("max")?],
        probes: match ma.opt_dir("probes") {
            Some(p) => p.number_sorted().iter().map(probe).collect::<Result<_>>()?,
            None => Vec::new(),
        },
        ops_attrs: match d.opt_dir("operations_attrs") {
            Some(a) => OpsAttrs {
                use_reports: a.bool("use_reports").unwrap_or(false),
                write_only: a.bool("write_only").unwrap_or(false),
                cpus: a.str("cpus")?.to_string(),
                tids: a.str("tids")?.to_string(),
            },
            None => OpsAttrs::default(),
        },
        pause: d.bool("pause").unwrap_or(false),
        schemes: d
            .dir("schemes")?
            .numbered("nr_schemes")?
            .iter()
            .map(scheme)
            .collect::<Result<_>>()?,
    })
}

fn probe(d: &D) -> Result<Probe> {
    let preps = match d.opt_dir("preps") {
        Some(p) => p
            .number_sorted()
            .iter()
            .map(|x| x.str("prep_action").map(str::to_string))
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    let filters = d
        .dir("filters")?
        .number_sorted()
        .iter()
        .map(|f| {
            Ok(ProbeFilter {
                filter_type: f.str("type")?.to_string(),
                matching: f.bool("matching").unwrap_or(false),
                allow: f.bool("allow").unwrap_or(false),
                path: f.opt_str("path").map(str::to_string),
                range: match (f.opt_int("min")?, f.opt_int("max")?) {
                    (Some(a), Some(b)) => Some([a, b]),
                    _ => None,
                },
            })
        })
        .collect::<Result<_>>()?;
    Ok(Probe {
        preps,
        filters,
        weight: d.opt_int("weight")?.map_or(0, |w| w.trunc()),
    })
}

fn target(d: &D) -> Result<Target> {
    Ok(Target {
        pid: d.opt_str("pid_target").and_then(|s| s.parse().ok()),
        obsolete: d.bool("obsolete_target").unwrap_or(false),
        regions: d
            .dir("regions")?
            .numbered("nr_regions")?
            .iter()
            .map(|r| Ok([r.int("start")?, r.int("end")?]))
            .collect::<Result<_>>()?,
    })
}

fn filter(d: &D) -> Result<DamosFilter> {
    let ty = d.str("type")?.to_string();
    let pair = |a: &str, b: &str| -> Result<Option<[Num; 2]>> {
        Ok(match (d.opt_int(a)?, d.opt_int(b)?) {
            (Some(x), Some(y)) => Some([x, y]),
            _ => None,
        })
    };
    let allow = d.bool("allow").or_else(|| d.bool("pass")).unwrap_or(false);
    Ok(DamosFilter {
        matching: d.bool("matching").unwrap_or(false),
        allow,
        memcg_path: Some(d.str("memcg_path")?.to_string()),
        address_range: pair("addr_start", "addr_end")?,
        damon_target_idx: d.opt_int("damon_target_idx")?,
        hugepage_size: if ty == "hugepage_size" {
            pair("min", "max")?
        } else {
            None
        },
        probe_hits_wsum_range: if ty == "probe_hits_wsum" {
            pair("min", "max")?
        } else {
            None
        },
        filter_type: ty,
    })
}

fn scheme(d: &D) -> Result<Scheme> {
    let ap = d.dir("access_pattern")?;
    let minmax = |n: &str| -> Result<[Num; 2]> {
        let x = ap.dir(n)?;
        Ok([x.int("min")?, x.int("max")?])
    };
    let q = d.dir("quotas")?;
    let w = q.dir("weights")?;
    let goals = match q.opt_dir("goals") {
        Some(g) => g
            .number_sorted()
            .iter()
            .map(|g| {
                Ok(QuotaGoal {
                    metric: g
                        .opt_str("target_metric")
                        .unwrap_or("user_input")
                        .to_string(),
                    complement: g.bool("complement").unwrap_or(false),
                    nid: g.opt_int("nid")?,
                    memcg_path: g.opt_str("path").map(str::to_string),
                    target_value: g.int("target_value")?,
                    current_value: g.int("current_value")?,
                })
            })
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    let wm = d.dir("watermarks")?;
    let mut filters = Vec::new();
    if d.opt_dir("core_filters").is_some() {
        for sub in ["core_filters", "ops_filters"] {
            for f in d.dir(sub)?.numbered("nr_filters")? {
                filters.push(filter(&f)?);
            }
        }
    }
    if let Some(fd) = d.opt_dir("filters") {
        for f in fd.numbered("nr_filters")? {
            filters.push(filter(&f)?);
        }
    }
    let st = d.dir("stats")?;
    let zero_if_absent = |n: &str| -> Result<Num> { Ok(st.opt_int(n)?.unwrap_or(I(0))) };
    let stats = DamosStats {
        nr_tried: st.int("nr_tried")?,
        sz_tried: st.int("sz_tried")?,
        nr_applied: st.int("nr_applied")?,
        sz_applied: st.int("sz_applied")?,
        sz_ops_filter_passed: zero_if_absent("sz_ops_filter_passed")?,
        qt_exceeds: st.int("qt_exceeds")?,
        nr_snapshots: zero_if_absent("nr_snapshots")?,
        max_nr_snapshots: zero_if_absent("max_nr_snapshots")?,
    };
    let (tried_regions, tried_bytes) = match d.opt_dir("tried_regions") {
        Some(tr) => {
            let regions: Vec<TriedRegion> = tr
                .number_sorted()
                .iter()
                .map(|r| {
                    Ok(TriedRegion {
                        start: r.int("start")?,
                        end: r.int("end")?,
                        nr_accesses: r.int("nr_accesses")?,
                        age: r.int("age")?,
                        sz_filter_passed: r.opt_int("sz_filter_passed")?,
                        probe_hits: match r.opt_dir("probes") {
                            Some(p) => p
                                .number_sorted()
                                .iter()
                                .map(|h| h.int("hits"))
                                .collect::<Result<_>>()?,
                            None => Vec::new(),
                        },
                    })
                })
                .collect::<Result<_>>()?;
            let total = match tr.opt_int("total_bytes")? {
                // damo takes a zero total as "not given" and sums the regions
                Some(t) if !t.is_zero() => t,
                _ => regions
                    .iter()
                    .fold(I(0), |acc, r| acc.add(r.end.sub(r.start))),
            };
            (regions, total)
        }
        None => (Vec::new(), I(0)),
    };
    Ok(Scheme {
        action: d.str("action")?.to_string(),
        dests: match d.opt_dir("dests") {
            Some(dd) => dd
                .numbered("nr_dests")?
                .iter()
                .map(|x| Ok((x.int("id")?, x.int("weight")?)))
                .collect::<Result<_>>()?,
            None => Vec::new(),
        },
        target_nid: d.opt_int("target_nid")?,
        access_pattern: AccessPattern {
            sz_bytes: minmax("sz")?,
            nr_accesses: minmax("nr_accesses")?,
            nr_accesses_unit: NrAccUnit::Samples,
            age: minmax("age")?,
            age_unit: AgeUnit::AggrIntervals,
        },
        apply_interval_us: d.opt_int("apply_interval_us")?.unwrap_or(I(0)),
        quotas: Quotas {
            time_ms: q.int("ms")?,
            sz_bytes: q.int("bytes")?,
            reset_interval_ms: q.int("reset_interval_ms")?,
            fail_charge_num: q.opt_int("fail_charge_num")?.unwrap_or(I(0)),
            fail_charge_denom: q.opt_int("fail_charge_denom")?.unwrap_or(I(0)),
            goals,
            goal_tuner: q.opt_str("goal_tuner").unwrap_or("consist").to_string(),
            effective_sz_bytes: q.opt_int("effective_bytes")?.unwrap_or(I(0)),
            weights: [
                w.int("sz_permil")?,
                w.int("nr_accesses_permil")?,
                w.int("age_permil")?,
            ],
        },
        watermarks: Watermarks {
            metric: wm.str("metric")?.to_string(),
            interval_us: wm.int("interval_us")?,
            marks: [wm.int("high")?, wm.int("mid")?, wm.int("low")?],
        },
        filters,
        stats: Some(stats),
        tried_regions: Some(tried_regions),
        tried_bytes,
    })
}
