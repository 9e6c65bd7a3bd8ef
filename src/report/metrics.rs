//! `damo report metrics`: DAMON's state and statistics as Prometheus
//! metrics, in the text exposition format (0.0.4) or OpenMetrics 1.0.
//!
//! This module only renders what the command layer read from the kernel
//! ([`Scrape`]); reading, refreshing, the textfile and the HTTP server are
//! `commands::metrics`'s.  Every metric is in [`METRICS`], the one table
//! USAGE.md's list follows (a test checks it).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::damon::model::Kdamond;
use crate::fmt::pynum::Num;

/// Whether a metric only grows (a counter) or goes up and down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

/// One metric family: its name (counters end in `_total`), kind, help.
#[derive(Debug)]
pub struct Metric {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

const fn gauge(name: &'static str, help: &'static str) -> Metric {
    Metric {
        name,
        kind: Kind::Gauge,
        help,
    }
}

const fn counter(name: &'static str, help: &'static str) -> Metric {
    Metric {
        name,
        kind: Kind::Counter,
        help,
    }
}

/// Every metric, in output order.
pub const METRICS: &[Metric] = &[
    gauge(
        "damon_up",
        "1 if the DAMON interface was read in this scrape",
    ),
    gauge("damon_kdamond_running", "1 if the kdamond runs"),
    gauge(
        "damon_kdamond_refresh_interval_seconds",
        "how often the kernel refreshes the kdamond's statistics by itself (0: never)",
    ),
    gauge(
        "damon_kdamond_contexts",
        "monitoring contexts of the kdamond",
    ),
    gauge(
        "damon_context_info",
        "a monitoring context and its operations set",
    ),
    gauge(
        "damon_context_sample_interval_seconds",
        "sampling interval (as tuned, when intervals auto-tuning is on)",
    ),
    gauge(
        "damon_context_aggregation_interval_seconds",
        "aggregation interval (as tuned, when intervals auto-tuning is on)",
    ),
    gauge(
        "damon_context_ops_update_interval_seconds",
        "operations update interval",
    ),
    gauge("damon_context_min_regions", "the minimum number of regions"),
    gauge("damon_context_max_regions", "the maximum number of regions"),
    gauge("damon_context_targets", "monitoring targets of the context"),
    gauge(
        "damon_target_info",
        "a monitoring target (with its pid as a label under --pid_labels)",
    ),
    gauge(
        "damon_target_init_regions",
        "regions the target's monitoring was set up with",
    ),
    counter(
        "damon_scheme_tried_regions_total",
        "regions the scheme tried to apply its action to",
    ),
    counter(
        "damon_scheme_tried_bytes_total",
        "bytes of the regions the scheme tried",
    ),
    counter(
        "damon_scheme_applied_regions_total",
        "regions the scheme applied its action to",
    ),
    counter(
        "damon_scheme_applied_bytes_total",
        "bytes the scheme applied its action to",
    ),
    counter(
        "damon_scheme_ops_filter_passed_bytes_total",
        "bytes that passed the scheme's operations-layer filters",
    ),
    counter(
        "damon_scheme_quota_exceeds_total",
        "times the scheme's quota was exceeded",
    ),
    counter(
        "damon_scheme_snapshots_total",
        "access snapshots the scheme was applied in",
    ),
    gauge(
        "damon_scheme_quota_bytes",
        "the scheme's size quota per reset interval (0: none)",
    ),
    gauge(
        "damon_scheme_effective_quota_bytes",
        "the size quota in effect, after time quota and goals",
    ),
    gauge(
        "damon_scheme_quota_goal_current_value",
        "the current value of a quota goal's metric",
    ),
    gauge(
        "damon_scheme_quota_goal_target_value",
        "the target value of a quota goal's metric",
    ),
    gauge(
        "damon_scheme_last_tried_regions",
        "regions in the scheme's tried-regions directory, as last updated",
    ),
    gauge(
        "damon_scheme_last_tried_bytes",
        "bytes of the regions in the scheme's tried-regions directory",
    ),
    gauge(
        "damon_module_enabled",
        "1 if the DAMON module (reclaim, lru_sort, stat) is enabled",
    ),
    counter(
        "damon_reclaim_tried_regions_total",
        "regions DAMON_RECLAIM tried to reclaim",
    ),
    counter(
        "damon_reclaim_tried_bytes_total",
        "bytes of the regions DAMON_RECLAIM tried to reclaim",
    ),
    counter(
        "damon_reclaim_reclaimed_regions_total",
        "regions DAMON_RECLAIM reclaimed",
    ),
    counter(
        "damon_reclaim_reclaimed_bytes_total",
        "bytes DAMON_RECLAIM reclaimed",
    ),
    counter(
        "damon_reclaim_quota_exceeds_total",
        "times DAMON_RECLAIM's quota was exceeded",
    ),
    counter(
        "damon_lru_sort_tried_regions_total",
        "regions DAMON_LRU_SORT tried to sort (temperature: hot or cold)",
    ),
    counter(
        "damon_lru_sort_tried_bytes_total",
        "bytes of the regions DAMON_LRU_SORT tried to sort",
    ),
    counter(
        "damon_lru_sort_sorted_regions_total",
        "regions DAMON_LRU_SORT sorted",
    ),
    counter(
        "damon_lru_sort_sorted_bytes_total",
        "bytes DAMON_LRU_SORT sorted",
    ),
    counter(
        "damon_lru_sort_quota_exceeds_total",
        "times DAMON_LRU_SORT's quota was exceeded",
    ),
    gauge(
        "damon_stat_estimated_memory_bandwidth_bytes_per_second",
        "DAMON_STAT's estimate of the memory bandwidth in use",
    ),
    gauge(
        "damon_stat_memory_idle_seconds",
        "DAMON_STAT's percentiles of how long memory has been idle, per byte",
    ),
    counter("damo_exporter_scrapes_total", "scrapes served"),
    counter(
        "damo_exporter_scrape_errors_total",
        "reads or refreshes of DAMON that failed",
    ),
    gauge(
        "damo_exporter_last_scrape_duration_seconds",
        "how long the previous scrape took",
    ),
    gauge(
        "damo_exporter_build_info",
        "the exporter's version and the damo version it implements",
    ),
];

/// What one scrape read.
#[derive(Debug, Default)]
pub struct Scrape {
    /// The kdamonds, or `None` when the DAMON interface could not be read.
    pub kdamonds: Option<Vec<Kdamond>>,
    /// The DAMON modules present: name (`reclaim`) and parameters.
    pub modules: Vec<(String, BTreeMap<String, String>)>,
    /// Label targets with their pids.
    pub pid_labels: bool,
    pub scrapes: u64,
    pub errors: u64,
    pub last_duration_secs: f64,
}

/// The exposition formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0.
    OpenMetrics,
}

impl Format {
    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// The format a scraper's `Accept` header asks for.
    pub fn negotiate(accept: &str) -> Format {
        if accept.contains("application/openmetrics-text") {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }
}

type Labels = Vec<(&'static str, String)>;

/// Samples by metric name.
#[derive(Default)]
struct Out(BTreeMap<&'static str, Vec<(Labels, String)>>);

impl Out {
    fn add(&mut self, name: &'static str, labels: Labels, value: String) {
        debug_assert!(METRICS.iter().any(|m| m.name == name), "{name}");
        self.0.entry(name).or_default().push((labels, value));
    }
    fn num(&mut self, name: &'static str, labels: &Labels, v: Num) {
        self.add(name, labels.clone(), num(v));
    }
    fn int(&mut self, name: &'static str, labels: &Labels, v: i128) {
        self.add(name, labels.clone(), v.to_string());
    }
    /// A value in microseconds (or, with `per` 1000, milliseconds) as seconds.
    fn secs(&mut self, name: &'static str, labels: &Labels, v: Num, per: f64) {
        self.add(name, labels.clone(), float(v.f() / per));
    }
}

fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn num(v: Num) -> String {
    match v {
        Num::I(i) => i.to_string(),
        Num::F(f) => float(f),
    }
}

/// A label value in the exposition format's escaping.
fn escape(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn with(labels: &Labels, more: &[(&'static str, String)]) -> Labels {
    let mut l = labels.clone();
    l.extend(more.iter().cloned());
    l
}

fn kdamonds(out: &mut Out, kdamonds: &[Kdamond], pid_labels: bool) {
    for (k, kd) in kdamonds.iter().enumerate() {
        let kl: Labels = vec![("kdamond", k.to_string())];
        let running = kd.state.as_deref() == Some("on");
        out.int("damon_kdamond_running", &kl, i128::from(running));
        out.secs(
            "damon_kdamond_refresh_interval_seconds",
            &kl,
            kd.refresh_ms,
            1e3,
        );
        out.int(
            "damon_kdamond_contexts",
            &kl,
            i128::try_from(kd.contexts.len()).unwrap_or(i128::MAX),
        );
        for (c, ctx) in kd.contexts.iter().enumerate() {
            let cl = with(&kl, &[("context", c.to_string())]);
            out.add(
                "damon_context_info",
                with(&cl, &[("ops", ctx.ops.clone())]),
                "1".into(),
            );
            let iv = &ctx.intervals;
            out.secs("damon_context_sample_interval_seconds", &cl, iv.sample, 1e6);
            out.secs(
                "damon_context_aggregation_interval_seconds",
                &cl,
                iv.aggr,
                1e6,
            );
            out.secs(
                "damon_context_ops_update_interval_seconds",
                &cl,
                iv.ops_update,
                1e6,
            );
            out.num("damon_context_min_regions", &cl, ctx.nr_regions[0]);
            out.num("damon_context_max_regions", &cl, ctx.nr_regions[1]);
            out.int(
                "damon_context_targets",
                &cl,
                i128::try_from(ctx.targets.len()).unwrap_or(i128::MAX),
            );
            for (t, target) in ctx.targets.iter().enumerate() {
                let tl = with(&cl, &[("target", t.to_string())]);
                let mut info = tl.clone();
                if let (true, Some(pid)) = (pid_labels, target.pid) {
                    info.push(("pid", pid.to_string()));
                }
                out.add("damon_target_info", info, "1".into());
                out.int(
                    "damon_target_init_regions",
                    &tl,
                    i128::try_from(target.regions.len()).unwrap_or(i128::MAX),
                );
            }
            for (s, scheme) in ctx.schemes.iter().enumerate() {
                let sl = with(
                    &cl,
                    &[("scheme", s.to_string()), ("action", scheme.action.clone())],
                );
                if let Some(st) = &scheme.stats {
                    out.num("damon_scheme_tried_regions_total", &sl, st.nr_tried);
                    out.num("damon_scheme_tried_bytes_total", &sl, st.sz_tried);
                    out.num("damon_scheme_applied_regions_total", &sl, st.nr_applied);
                    out.num("damon_scheme_applied_bytes_total", &sl, st.sz_applied);
                    out.num(
                        "damon_scheme_ops_filter_passed_bytes_total",
                        &sl,
                        st.sz_ops_filter_passed,
                    );
                    out.num("damon_scheme_quota_exceeds_total", &sl, st.qt_exceeds);
                    out.num("damon_scheme_snapshots_total", &sl, st.nr_snapshots);
                }
                out.num("damon_scheme_quota_bytes", &sl, scheme.quotas.sz_bytes);
                out.num(
                    "damon_scheme_effective_quota_bytes",
                    &sl,
                    scheme.quotas.effective_sz_bytes,
                );
                for (g, goal) in scheme.quotas.goals.iter().enumerate() {
                    let gl = with(
                        &sl,
                        &[("goal", g.to_string()), ("metric", goal.metric.clone())],
                    );
                    out.num(
                        "damon_scheme_quota_goal_current_value",
                        &gl,
                        goal.current_value,
                    );
                    out.num(
                        "damon_scheme_quota_goal_target_value",
                        &gl,
                        goal.target_value,
                    );
                }
                if let Some(regions) = &scheme.tried_regions {
                    out.int(
                        "damon_scheme_last_tried_regions",
                        &sl,
                        i128::try_from(regions.len()).unwrap_or(i128::MAX),
                    );
                    out.num("damon_scheme_last_tried_bytes", &sl, scheme.tried_bytes);
                }
            }
        }
    }
}

/// A module counter: the module, the metric, its labels, the parameter.
type ModuleCounter = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// The module counters.
const MODULE_COUNTERS: &[ModuleCounter] = &[
    (
        "reclaim",
        "damon_reclaim_tried_regions_total",
        &[],
        "nr_reclaim_tried_regions",
    ),
    (
        "reclaim",
        "damon_reclaim_tried_bytes_total",
        &[],
        "bytes_reclaim_tried_regions",
    ),
    (
        "reclaim",
        "damon_reclaim_reclaimed_regions_total",
        &[],
        "nr_reclaimed_regions",
    ),
    (
        "reclaim",
        "damon_reclaim_reclaimed_bytes_total",
        &[],
        "bytes_reclaimed_regions",
    ),
    (
        "reclaim",
        "damon_reclaim_quota_exceeds_total",
        &[],
        "nr_quota_exceeds",
    ),
    (
        "lru_sort",
        "damon_lru_sort_tried_regions_total",
        &[("temperature", "hot")],
        "nr_lru_sort_tried_hot_regions",
    ),
    (
        "lru_sort",
        "damon_lru_sort_tried_regions_total",
        &[("temperature", "cold")],
        "nr_lru_sort_tried_cold_regions",
    ),
    (
        "lru_sort",
        "damon_lru_sort_tried_bytes_total",
        &[("temperature", "hot")],
        "bytes_lru_sort_tried_hot_regions",
    ),
    (
        "lru_sort",
        "damon_lru_sort_tried_bytes_total",
        &[("temperature", "cold")],
        "bytes_lru_sort_tried_cold_regions",
    ),
    (
        "lru_sort",
        "damon_lru_sort_sorted_regions_total",
        &[("temperature", "hot")],
        "nr_lru_sorted_hot_regions",
    ),
    (
        "lru_sort",
        "damon_lru_sort_sorted_regions_total",
        &[("temperature", "cold")],
        "nr_lru_sorted_cold_regions",
    ),
    (
        "lru_sort",
        "damon_lru_sort_sorted_bytes_total",
        &[("temperature", "hot")],
        "bytes_lru_sorted_hot_regions",
    ),
    (
        "lru_sort",
        "damon_lru_sort_sorted_bytes_total",
        &[("temperature", "cold")],
        "bytes_lru_sorted_cold_regions",
    ),
    (
        "lru_sort",
        "damon_lru_sort_quota_exceeds_total",
        &[("temperature", "hot")],
        "nr_hot_quota_exceeds",
    ),
    (
        "lru_sort",
        "damon_lru_sort_quota_exceeds_total",
        &[("temperature", "cold")],
        "nr_cold_quota_exceeds",
    ),
];

/// The percentiles of DAMON_STAT's idle times exported (of the 101 the
/// module shows), as a `percentile` label (`quantile` is for summaries).
const IDLE_PERCENTILES: [usize; 11] = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100];

fn modules(out: &mut Out, modules: &[(String, BTreeMap<String, String>)]) {
    let int = |v: &str| v.trim().parse::<i128>().ok();
    for (name, params) in modules {
        let Some(&metric_module) = ["reclaim", "lru_sort", "stat"]
            .iter()
            .find(|m| **m == name.as_str())
        else {
            continue;
        };
        let ml: Labels = vec![("module", metric_module.to_string())];
        if let Some(e) = params.get("enabled") {
            let on = matches!(e.trim(), "Y" | "y" | "1");
            out.int("damon_module_enabled", &ml, i128::from(on));
        }
        for (module, metric, labels, param) in MODULE_COUNTERS {
            if *module != metric_module {
                continue;
            }
            if let Some(v) = params.get(*param).and_then(|v| int(v)) {
                let Some(m) = METRICS.iter().find(|m| m.name == *metric) else {
                    continue;
                };
                let l = labels.iter().map(|(k, v)| (*k, v.to_string())).collect();
                out.add(m.name, l, v.to_string());
            }
        }
        if metric_module == "stat" {
            if let Some(v) = params
                .get("estimated_memory_bandwidth")
                .and_then(|v| int(v))
            {
                out.int(
                    "damon_stat_estimated_memory_bandwidth_bytes_per_second",
                    &Vec::new(),
                    v,
                );
            }
            if let Some(p) = params.get("memory_idle_ms_percentiles") {
                let vals: Vec<Option<i128>> = p.split(',').map(int).collect();
                for i in IDLE_PERCENTILES {
                    if let Some(Some(ms)) = vals.get(i) {
                        out.add(
                            "damon_stat_memory_idle_seconds",
                            vec![("percentile", i.to_string())],
                            float(*ms as f64 / 1e3),
                        );
                    }
                }
            }
        }
    }
}

/// The exposition of `scrape` in `format`.
pub fn render(scrape: &Scrape, format: Format) -> String {
    let mut out = Out::default();
    out.int(
        "damon_up",
        &Vec::new(),
        i128::from(scrape.kdamonds.is_some()),
    );
    if let Some(k) = &scrape.kdamonds {
        kdamonds(&mut out, k, scrape.pid_labels);
    }
    modules(&mut out, &scrape.modules);
    out.int(
        "damo_exporter_scrapes_total",
        &Vec::new(),
        i128::from(scrape.scrapes),
    );
    out.int(
        "damo_exporter_scrape_errors_total",
        &Vec::new(),
        i128::from(scrape.errors),
    );
    out.add(
        "damo_exporter_last_scrape_duration_seconds",
        Vec::new(),
        float(scrape.last_duration_secs),
    );
    out.add(
        "damo_exporter_build_info",
        vec![
            ("version", env!("CARGO_PKG_VERSION").to_string()),
            ("damo_version", crate::cli::DAMO_VERSION.to_string()),
        ],
        "1".into(),
    );
    let mut text = String::new();
    for m in METRICS {
        let Some(samples) = out.0.get(m.name) else {
            continue;
        };
        let family = match (format, m.kind) {
            (Format::OpenMetrics, Kind::Counter) => m.name.trim_end_matches("_total"),
            _ => m.name,
        };
        let kind = match m.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        let _ = writeln!(text, "# HELP {family} {}", m.help);
        let _ = writeln!(text, "# TYPE {family} {kind}");
        for (labels, value) in samples {
            text.push_str(m.name);
            if !labels.is_empty() {
                text.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    let _ = write!(text, "{k}=\"{}\"", escape(v));
                }
                text.push('}');
            }
            let _ = writeln!(text, " {value}");
        }
    }
    if format == Format::OpenMetrics {
        text.push_str("# EOF\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus_conventions() {
        let mut seen = std::collections::HashSet::new();
        for m in METRICS {
            assert!(seen.insert(m.name), "{} twice", m.name);
            assert!(
                m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                m.name
            );
            assert_eq!(
                m.kind == Kind::Counter,
                m.name.ends_with("_total"),
                "{}",
                m.name
            );
            assert!(
                !m.name.ends_with("_ms") && !m.name.ends_with("_us"),
                "{}",
                m.name
            );
        }
        for (_, metric, _, _) in MODULE_COUNTERS {
            assert!(METRICS.iter().any(|m| m.name == *metric), "{metric}");
        }
    }

    #[test]
    fn every_metric_is_in_usage() {
        let usage = include_str!("../../USAGE.md");
        for m in METRICS {
            assert!(
                usage.contains(&format!(
                    "| `{}` | {} |",
                    m.name,
                    match m.kind {
                        Kind::Gauge => "gauge",
                        Kind::Counter => "counter",
                    }
                )),
                "USAGE.md's metric table lacks {}",
                m.name
            );
        }
    }

    #[test]
    fn empty_scrape_renders_both_formats() {
        let s = Scrape::default();
        let text = render(&s, Format::Text);
        assert!(text.contains("damon_up 0\n"), "{text}");
        assert!(text.contains("# TYPE damo_exporter_scrapes_total counter\n"));
        let om = render(&s, Format::OpenMetrics);
        assert!(
            om.contains("# TYPE damo_exporter_scrapes counter\n"),
            "{om}"
        );
        assert!(om.contains("damo_exporter_scrapes_total 0\n"));
        assert!(om.ends_with("# EOF\n"));
        assert!(!text.contains("# EOF"));
    }

    #[test]
    fn label_values_escaped_and_modules_read() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let mut params = BTreeMap::new();
        params.insert("enabled".to_string(), "Y".to_string());
        params.insert("nr_reclaimed_regions".to_string(), "12".to_string());
        params.insert("bytes_reclaimed_regions".to_string(), "bogus".to_string());
        let mut stat = BTreeMap::new();
        stat.insert("enabled".to_string(), "N".to_string());
        stat.insert("estimated_memory_bandwidth".to_string(), "4096".to_string());
        let pct: Vec<String> = (0..=100).map(|i| (i * 10).to_string()).collect();
        stat.insert("memory_idle_ms_percentiles".to_string(), pct.join(","));
        let s = Scrape {
            modules: vec![("reclaim".into(), params), ("stat".into(), stat)],
            ..Scrape::default()
        };
        let text = render(&s, Format::Text);
        assert!(
            text.contains("damon_module_enabled{module=\"reclaim\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("damon_module_enabled{module=\"stat\"} 0\n"));
        assert!(text.contains("damon_reclaim_reclaimed_regions_total 12\n"));
        assert!(!text.contains("damon_reclaim_reclaimed_bytes_total"));
        assert!(text.contains("damon_stat_estimated_memory_bandwidth_bytes_per_second 4096\n"));
        assert!(
            text.contains("damon_stat_memory_idle_seconds{percentile=\"50\"} 0.5\n"),
            "{text}"
        );
        assert!(text.contains("damon_stat_memory_idle_seconds{percentile=\"100\"} 1\n"));
    }
}
