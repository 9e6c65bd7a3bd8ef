//! Kdamonds, contexts, targets and schemes, and their JSON form (damo's
//! `to_kvpairs`: key order, human or raw numbers, `--omit_defaults`).

use crate::damon::damos::{DamosFilter, DamosStats};
use crate::damon::js::Js;
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::{self as units, ULONG_MAX};

fn s(v: String) -> Js {
    Js::Str(v)
}

fn obj(items: Vec<(&str, Js)>) -> Js {
    Js::Obj(items.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Monitoring intervals, in microseconds (of a DAMON context, or of a
/// record).
#[derive(Debug, Clone, PartialEq)]
pub struct Intervals {
    pub sample: Num,
    pub aggr: Num,
    pub ops_update: Num,
    pub goal: IntervalsGoal,
}

/// The intervals auto-tuning goal.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalsGoal {
    pub access_bp: Num,
    pub aggrs: Num,
    pub min_sample_us: Num,
    pub max_sample_us: Num,
}

impl Default for IntervalsGoal {
    fn default() -> Self {
        IntervalsGoal {
            access_bp: I(0),
            aggrs: I(0),
            min_sample_us: I(0),
            max_sample_us: I(0),
        }
    }
}

/// damo's defaults: 5 ms sampling, 100 ms aggregation, 1 s ops update.
impl Default for Intervals {
    fn default() -> Self {
        Intervals {
            sample: I(5000),
            aggr: I(100_000),
            ops_update: I(1_000_000),
            goal: IntervalsGoal::default(),
        }
    }
}

impl IntervalsGoal {
    pub fn enabled(&self) -> bool {
        !self.aggrs.is_zero()
    }
}

impl Intervals {
    /// damo's `DamonIntervals.to_kvpairs` (records and kdamonds JSON).
    pub fn to_js(&self, raw: bool, omit_defaults: bool) -> Js {
        let mut kv = vec![
            ("sample_us", s(units::format_time_us(self.sample, raw))),
            ("aggr_us", s(units::format_time_us(self.aggr, raw))),
            (
                "ops_update_us",
                s(units::format_time_us(self.ops_update, raw)),
            ),
        ];
        if !omit_defaults || self.goal != IntervalsGoal::default() {
            let g = &self.goal;
            kv.push((
                "intervals_goal",
                obj(vec![
                    ("access_bp", s(units::format_bp(g.access_bp, raw))),
                    ("aggrs", s(units::format_nr(g.aggrs, raw))),
                    (
                        "min_sample_us",
                        s(units::format_time_us(g.min_sample_us, raw)),
                    ),
                    (
                        "max_sample_us",
                        s(units::format_time_us(g.max_sample_us, raw)),
                    ),
                ]),
            ));
        }
        obj(kv)
    }
}

/// A monitoring target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub pid: Option<i128>,
    pub obsolete: bool,
    /// Initial regions `[start, end)`.
    pub regions: Vec<[Num; 2]>,
}

impl Target {
    fn to_js(&self, raw: bool) -> Js {
        obj(vec![
            ("pid", self.pid.map(|p| Js::Num(I(p))).unwrap_or(Js::Null)),
            ("obsolete", Js::Bool(self.obsolete)),
            (
                "regions",
                Js::List(
                    self.regions
                        .iter()
                        .map(|[a, b]| {
                            obj(vec![
                                ("start", s(units::format_nr(*a, raw))),
                                ("end", s(units::format_nr(*b, raw))),
                            ])
                        })
                        .collect(),
                ),
            ),
        ])
    }
}

/// The unit of an access pattern's access-frequency range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NrAccUnit {
    Percent,
    /// Sampling hits per aggregation interval (the kernel's unit).
    Samples,
}

/// The unit of an access pattern's age range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AgeUnit {
    Usec,
    /// Aggregation intervals (the kernel's unit).
    AggrIntervals,
}

/// Which regions a scheme applies to: size, access frequency and age
/// ranges.  Options give percent and microseconds; the kernel takes (and
/// shows) samples and aggregation intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessPattern {
    pub sz_bytes: [Num; 2],
    pub nr_accesses: [Num; 2],
    pub nr_accesses_unit: NrAccUnit,
    pub age: [Num; 2],
    pub age_unit: AgeUnit,
}

impl Default for AccessPattern {
    fn default() -> Self {
        AccessPattern {
            sz_bytes: [I(0), I(ULONG_MAX)],
            nr_accesses: [I(0), I(ULONG_MAX)],
            nr_accesses_unit: NrAccUnit::Percent,
            age: [I(0), I(ULONG_MAX)],
            age_unit: AgeUnit::Usec,
        }
    }
}

/// Python's `int()` of a float, for unit conversions.
fn py_int_of(v: f64) -> Num {
    if v.is_finite() { I(F(v).trunc()) } else { I(0) }
}

impl AccessPattern {
    /// The ranges in the kernel's units: `(samples, aggregation
    /// intervals)`, converted as damo does (float arithmetic, truncated).
    pub fn in_kernel_units(&self, iv: &Intervals) -> ([Num; 2], [Num; 2]) {
        let max_samples = iv.aggr.f() / iv.sample.f();
        let samples = match self.nr_accesses_unit {
            NrAccUnit::Samples => self.nr_accesses,
            NrAccUnit::Percent => self
                .nr_accesses
                .map(|p| py_int_of(p.f() * max_samples / 100.0)),
        };
        let aggrs = match self.age_unit {
            AgeUnit::AggrIntervals => self.age,
            AgeUnit::Usec => self.age.map(|us| py_int_of(us.f() / iv.aggr.f())),
        };
        (samples, aggrs)
    }

    fn nr_str(&self, v: Num, raw: bool) -> String {
        match self.nr_accesses_unit {
            NrAccUnit::Percent => format!("{} %", units::format_nr(v, raw)),
            NrAccUnit::Samples => format!("{} samples", units::format_nr(v, raw)),
        }
    }

    fn age_str(&self, v: Num, raw: bool) -> String {
        match self.age_unit {
            AgeUnit::Usec => units::format_time_us_exact(v, raw),
            AgeUnit::AggrIntervals => format!("{} aggr_intervals", units::format_nr(v, raw)),
        }
    }

    pub(crate) fn to_js(&self, raw: bool) -> Js {
        obj(vec![
            (
                "sz_bytes",
                obj(vec![
                    ("min", s(units::format_sz(self.sz_bytes[0], raw))),
                    ("max", s(units::format_sz(self.sz_bytes[1], raw))),
                ]),
            ),
            (
                "nr_accesses",
                obj(vec![
                    ("min", s(self.nr_str(self.nr_accesses[0], raw))),
                    ("max", s(self.nr_str(self.nr_accesses[1], raw))),
                ]),
            ),
            (
                "age",
                obj(vec![
                    ("min", s(self.age_str(self.age[0], raw))),
                    ("max", s(self.age_str(self.age[1], raw))),
                ]),
            ),
        ])
    }

    /// damo's `DamosAccessPattern.to_str`.
    pub fn to_str(&self, raw: bool) -> String {
        format!(
            "sz: [{}, {}]\nnr_accesses: [{}, {}]\nage: [{}, {}]",
            units::format_sz(self.sz_bytes[0], raw),
            units::format_sz(self.sz_bytes[1], raw),
            self.nr_str(self.nr_accesses[0], raw),
            self.nr_str(self.nr_accesses[1], raw),
            self.age_str(self.age[0], raw),
            self.age_str(self.age[1], raw),
        )
    }
}

/// A quota auto-tuning goal.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaGoal {
    pub metric: String,
    pub complement: bool,
    pub nid: Option<Num>,
    pub memcg_path: Option<String>,
    pub target_value: Num,
    pub current_value: Num,
}

/// DAMOS quotas.
#[derive(Debug, Clone, PartialEq)]
pub struct Quotas {
    pub time_ms: Num,
    pub sz_bytes: Num,
    pub reset_interval_ms: Num,
    pub fail_charge_num: Num,
    pub fail_charge_denom: Num,
    pub goals: Vec<QuotaGoal>,
    pub goal_tuner: String,
    pub effective_sz_bytes: Num,
    /// Size, access rate and age weights, in permil.
    pub weights: [Num; 3],
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            time_ms: I(0),
            sz_bytes: I(0),
            reset_interval_ms: I(ULONG_MAX),
            fail_charge_num: I(0),
            fail_charge_denom: I(0),
            goals: Vec::new(),
            goal_tuner: "consist".into(),
            effective_sz_bytes: I(0),
            weights: [I(0), I(0), I(0)],
        }
    }
}

impl Quotas {
    fn to_js(&self, raw: bool) -> Js {
        let nr = |v: Num| s(units::format_nr(v, raw));
        obj(vec![
            ("time_ms", s(units::format_time_ms_exact(self.time_ms, raw))),
            ("sz_bytes", s(units::format_sz(self.sz_bytes, raw))),
            (
                "reset_interval_ms",
                s(units::format_time_ms_exact(self.reset_interval_ms, raw)),
            ),
            ("fail_charge_num", nr(self.fail_charge_num)),
            ("fail_charge_denom", nr(self.fail_charge_denom)),
            (
                "goals",
                Js::List(
                    self.goals
                        .iter()
                        .map(|g| {
                            obj(vec![
                                ("metric", s(g.metric.clone())),
                                ("complement", Js::Bool(g.complement)),
                                ("nid", g.nid.map(nr).unwrap_or(Js::Null)),
                                (
                                    "memcg_path",
                                    g.memcg_path.clone().map(s).unwrap_or(Js::Null),
                                ),
                                ("target_value", nr(g.target_value)),
                                ("current_value", nr(g.current_value)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("goal_tuner", s(self.goal_tuner.clone())),
            (
                "effective_sz_bytes",
                s(units::format_sz(self.effective_sz_bytes, raw)),
            ),
            (
                "weights",
                obj(vec![
                    ("sz_permil", s(units::format_permil(self.weights[0], raw))),
                    (
                        "nr_accesses_permil",
                        s(units::format_permil(self.weights[1], raw)),
                    ),
                    ("age_permil", s(units::format_permil(self.weights[2], raw))),
                ]),
            ),
        ])
    }
}

/// DAMOS activation watermarks.
#[derive(Debug, Clone, PartialEq)]
pub struct Watermarks {
    pub metric: String,
    pub interval_us: Num,
    /// High, middle and low marks, in permil.
    pub marks: [Num; 3],
}

impl Default for Watermarks {
    fn default() -> Self {
        Watermarks {
            metric: "none".into(),
            interval_us: I(0),
            marks: [I(0), I(0), I(0)],
        }
    }
}

impl Watermarks {
    fn to_js(&self, raw: bool) -> Js {
        obj(vec![
            ("metric", s(self.metric.clone())),
            (
                "interval_us",
                s(units::format_time_us_exact(self.interval_us, raw)),
            ),
            ("high_permil", s(units::format_permil(self.marks[0], raw))),
            ("mid_permil", s(units::format_permil(self.marks[1], raw))),
            ("low_permil", s(units::format_permil(self.marks[2], raw))),
        ])
    }
}

/// The DAMOS actions.
pub const ACTIONS: [&str; 11] = [
    "willneed",
    "cold",
    "pageout",
    "hugepage",
    "collapse",
    "nohugepage",
    "lru_prio",
    "lru_deprio",
    "migrate_hot",
    "migrate_cold",
    "stat",
];

/// The metrics of DAMOS quota goals.
pub const QUOTA_GOAL_METRICS: [&str; 9] = [
    "user_input",
    "some_mem_psi_us",
    "node_mem_used_bp",
    "node_mem_free_bp",
    "node_memcg_used_bp",
    "node_memcg_free_bp",
    "active_mem_bp",
    "inactive_mem_bp",
    "node_eligible_mem_bp",
];

/// The metrics of DAMOS watermarks.
pub const WATERMARK_METRICS: [&str; 2] = ["none", "free_mem_rate"];

/// A DAMOS scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheme {
    pub action: String,
    /// Migration destinations: (node id, weight).
    pub dests: Vec<(Num, Num)>,
    pub target_nid: Option<Num>,
    pub access_pattern: AccessPattern,
    pub apply_interval_us: Num,
    pub quotas: Quotas,
    pub watermarks: Watermarks,
    pub filters: Vec<DamosFilter>,
    /// Statistics (from the kernel; zero for new schemes).
    pub stats: Option<DamosStats>,
    /// Regions the scheme tried, from the kernel (`None`: not read).
    pub tried_regions: Option<Vec<TriedRegion>>,
    pub tried_bytes: Num,
}

/// A region a scheme tried, as the kernel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TriedRegion {
    pub start: Num,
    pub end: Num,
    pub nr_accesses: Num,
    pub age: Num,
    pub sz_filter_passed: Option<Num>,
    pub probe_hits: Vec<Num>,
}

impl Scheme {
    fn is_migrate(&self) -> bool {
        self.action == "migrate_hot" || self.action == "migrate_cold"
    }

    fn to_js(&self, raw: bool, omit_defaults: bool, params_only: bool) -> Js {
        let mut kv = vec![
            ("action", s(self.action.clone())),
            (
                "dests",
                Js::List(
                    self.dests
                        .iter()
                        .map(|(id, w)| obj(vec![("id", Js::Num(*id)), ("weight", Js::Num(*w))]))
                        .collect(),
                ),
            ),
        ];
        if self.is_migrate() {
            kv.push((
                "target_nid",
                self.target_nid.map(Js::Num).unwrap_or(Js::Null),
            ));
        }
        if !omit_defaults || self.access_pattern != AccessPattern::default() {
            kv.push(("access_pattern", self.access_pattern.to_js(raw)));
        }
        kv.push((
            "apply_interval_us",
            s(units::format_time_us(self.apply_interval_us, raw)),
        ));
        if !omit_defaults || self.quotas != Quotas::default() {
            kv.push(("quotas", self.quotas.to_js(raw)));
        }
        if !omit_defaults || self.watermarks != Watermarks::default() {
            kv.push(("watermarks", self.watermarks.to_js(raw)));
        }
        if !omit_defaults || !self.filters.is_empty() {
            kv.push((
                "filters",
                Js::List(self.filters.iter().map(|f| f.to_js(raw)).collect()),
            ));
        }
        if let (false, Some(st)) = (params_only, &self.stats) {
            kv.push(("stats", st.to_js(raw)));
        }
        obj(kv)
    }
}

/// Experimental operations-set attributes (`--exp_ops_*`; kernels with
/// an `operations_attrs` directory only).
#[derive(Debug, Clone, PartialEq)]
pub struct OpsAttrs {
    pub use_reports: bool,
    pub write_only: bool,
    pub cpus: String,
    pub tids: String,
}

impl Default for OpsAttrs {
    fn default() -> Self {
        OpsAttrs {
            use_reports: false,
            write_only: false,
            cpus: "all".into(),
            tids: String::new(),
        }
    }
}

/// The filter types of data attribute monitoring probes.
pub const PROBE_FILTER_TYPES: [&str; 5] = [
    "anon",
    "memcg",
    "pgidle_unset",
    "pgidle_set",
    "hugepage_size",
];

/// The preparation actions of probes.
pub const PROBE_PREP_ACTIONS: [&str; 1] = ["set_pgidle"];

/// A filter of a data attribute monitoring probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeFilter {
    pub filter_type: String,
    pub matching: bool,
    pub allow: bool,
    /// memcg path (memcg filters).
    pub path: Option<String>,
    /// Size range (hugepage_size filters).
    pub range: Option<[Num; 2]>,
}

/// A data attribute monitoring probe (Linux 7.2+): which regions' pages it
/// counts, with preparation actions and a weight.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Probe {
    pub preps: Vec<String>,
    pub filters: Vec<ProbeFilter>,
    pub weight: i128,
}

impl ProbeFilter {
    fn to_js(&self, raw: bool) -> Js {
        let sz = |i: usize| {
            self.range
                .map(|r| s(units::format_sz_accurate(r[i], raw)))
                .unwrap_or(Js::Null)
        };
        obj(vec![
            ("filter_type", s(self.filter_type.clone())),
            ("matching", Js::Bool(self.matching)),
            ("allow", Js::Bool(self.allow)),
            ("path", self.path.clone().map(Js::Str).unwrap_or(Js::Null)),
            ("range_min", sz(0)),
            ("range_max", sz(1)),
        ])
    }
}

impl Probe {
    fn to_js(&self, raw: bool) -> Js {
        obj(vec![
            (
                "preps",
                Js::List(
                    self.preps
                        .iter()
                        .map(|p| obj(vec![("prep_action", s(p.clone()))]))
                        .collect(),
                ),
            ),
            (
                "filters",
                Js::List(self.filters.iter().map(|f| f.to_js(raw)).collect()),
            ),
            ("weight", Js::Num(I(self.weight))),
        ])
    }
}

/// A monitoring context.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub ops: String,
    pub addr_unit: Num,
    pub targets: Vec<Target>,
    pub intervals: Intervals,
    pub nr_regions: [Num; 2],
    pub probes: Vec<Probe>,
    pub ops_attrs: OpsAttrs,
    pub pause: bool,
    pub schemes: Vec<Scheme>,
}

impl Context {
    fn to_js(&self, raw: bool, omit_defaults: bool, params_only: bool) -> Js {
        let mut kv = vec![
            ("ops", s(self.ops.clone())),
            (
                "addr_unit",
                s(units::format_sz_accurate(self.addr_unit, raw)),
            ),
            (
                "targets",
                Js::List(self.targets.iter().map(|t| t.to_js(raw)).collect()),
            ),
        ];
        if !omit_defaults || self.intervals != Intervals::default() {
            // damo does not pass omit_defaults down: the goal is always shown.
            kv.push(("intervals", self.intervals.to_js(raw, false)));
        }
        if !omit_defaults || self.nr_regions != [I(10), I(1000)] {
            kv.push((
                "nr_regions",
                obj(vec![
                    ("min", s(units::format_nr(self.nr_regions[0], raw))),
                    ("max", s(units::format_nr(self.nr_regions[1], raw))),
                ]),
            ));
        }
        kv.push((
            "probes",
            Js::List(self.probes.iter().map(|p| p.to_js(raw)).collect()),
        ));
        kv.push((
            "sample_control",
            obj(vec![
                (
                    "primitives_enabled",
                    obj(vec![
                        ("page_table", Js::Bool(true)),
                        ("page_fault", Js::Bool(false)),
                    ]),
                ),
                ("sample_filters", Js::List(Vec::new())),
            ]),
        ));
        kv.push(("pause", Js::Bool(self.pause)));
        kv.push((
            "schemes",
            Js::List(
                self.schemes
                    .iter()
                    .map(|x| x.to_js(raw, omit_defaults, params_only))
                    .collect(),
            ),
        ));
        obj(kv)
    }
}

/// A kdamond (a DAMON worker thread) and its contexts.
#[derive(Debug, Clone, PartialEq)]
pub struct Kdamond {
    /// `on`/`off`, for kdamonds read from the kernel.
    pub state: Option<String>,
    /// The kdamond's pid as the kernel shows it (`-1` when off).
    pub pid: Option<String>,
    pub refresh_ms: Num,
    pub contexts: Vec<Context>,
}

impl Kdamond {
    /// The parameters-only JSON form (`args damon`).
    pub fn to_js(&self, raw: bool, omit_defaults: bool) -> Js {
        self.to_js_full(raw, omit_defaults, true)
    }

    /// damo's `Kdamond.to_kvpairs`: with `params_only` false, also the
    /// state, pid and scheme statistics.
    pub fn to_js_full(&self, raw: bool, omit_defaults: bool, params_only: bool) -> Js {
        let mut kv = Vec::new();
        if !params_only {
            let opt = |v: &Option<String>| v.clone().map(Js::Str).unwrap_or(Js::Null);
            kv.push(("state", opt(&self.state)));
            kv.push(("pid", opt(&self.pid)));
        }
        kv.extend(vec![
            ("refresh_ms", Js::Num(self.refresh_ms)),
            (
                "contexts",
                Js::List(
                    self.contexts
                        .iter()
                        .map(|c| c.to_js(raw, omit_defaults, params_only))
                        .collect(),
                ),
            ),
        ]);
        obj(kv)
    }
}

/// Quota goal metrics that take a node id.
pub fn needs_nid(metric: &str) -> bool {
    matches!(
        metric,
        "node_mem_used_bp" | "node_mem_free_bp" | "node_memcg_used_bp" | "node_memcg_free_bp"
    )
}

/// Quota goal metrics that take a memory cgroup path.
pub fn needs_memcg(metric: &str) -> bool {
    matches!(metric, "node_memcg_used_bp" | "node_memcg_free_bp")
}
