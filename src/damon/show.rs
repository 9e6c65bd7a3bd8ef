//! The human-readable form of kdamonds (damo's `to_str`), as `report
//! damon` prints it.

use super::model::{
    AccessPattern, Context, Intervals, Kdamond, Probe, ProbeFilter, QuotaGoal, Quotas, Scheme,
    Target, TriedRegion, Watermarks,
};
use crate::damon::model::{needs_memcg, needs_nid};
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units};

/// What to show.
#[derive(Debug, Clone, Copy, Default)]
pub struct Show {
    pub raw: bool,
    /// Parameters only: no state, pid, statistics or tried regions.
    pub params_only: bool,
    pub omit_tried_regions: bool,
    /// Leave out default access patterns, quotas and watermarks.
    pub omit_defaults: bool,
    /// Add the kdamonds' CPU usage to their summary lines.
    pub show_cpu: bool,
}

/// damo's `indent_lines`: every line, even an empty text's one line.
pub fn indent(text: &str, width: usize) -> String {
    let pad = " ".repeat(width);
    text.split('\n')
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn time_ms(v: Num, raw: bool) -> String {
    if raw {
        v.trunc().to_string()
    } else {
        units::format_time_ns(v.mul(I(1_000_000)), raw)
    }
}

impl Kdamond {
    /// The one-line summary (`--kdamonds_summary`).
    pub fn summary_str(&self, params_only: bool, raw: bool, show_cpu: bool) -> String {
        let mut words = Vec::new();
        if !params_only {
            if let Some(s) = &self.state {
                words.push(format!("state: {s}"));
            }
            if let Some(p) = &self.pid {
                words.push(format!("pid: {p}"));
            }
        }
        if !self.refresh_ms.is_zero() {
            words.push(format!(
                "stats refresh per: {}",
                time_ms(self.refresh_ms, raw)
            ));
        }
        if show_cpu {
            let usage = crate::proc::cpu_usage(self.state.as_deref(), self.pid.as_deref());
            words.push(format!("cpu usage: {usage}"));
        }
        words.join(", ")
    }

    pub fn to_str(&self, o: Show) -> String {
        let mut lines = Vec::new();
        let summary = self.summary_str(o.params_only, o.raw, o.show_cpu);
        if !summary.is_empty() {
            lines.push(summary);
        }
        for (i, c) in self.contexts.iter().enumerate() {
            lines.push(format!("context {i}"));
            lines.push(indent(&c.to_str(o), 4));
        }
        lines.join("\n")
    }
}

impl Context {
    /// The context's data attribute probes, one line each (none without
    /// probes); `report attrs` shows them too.
    pub fn probes_lines(&self, raw: bool) -> Vec<String> {
        match self.probes.as_slice() {
            [] => Vec::new(),
            [p] => vec![format!("probe {}", p.to_str(raw))],
            probes => std::iter::once("probes".to_string())
                .chain(probes.iter().map(|p| format!("- {}", p.to_str(raw))))
                .collect(),
        }
    }

    pub fn to_str(&self, o: Show) -> String {
        let mut ops = format!("ops: {}", self.ops);
        let a = &self.ops_attrs;
        if a.use_reports {
            ops.push_str(&format!(" use_reports cpus {} threads {}", a.cpus, a.tids));
        }
        if a.write_only {
            ops.push_str(" write-only");
        }
        if self.addr_unit != I(1) {
            ops.push_str(&format!(
                " addr_unit {}",
                units::format_sz_accurate(self.addr_unit, o.raw)
            ));
        }
        let mut lines = vec![ops];
        lines.extend(self.probes_lines(o.raw));
        if self.pause {
            lines.push("pause: True".into());
        }
        for (i, t) in self.targets.iter().enumerate() {
            lines.push(format!("target {i}"));
            lines.push(indent(&t.to_str(o.raw), 4));
        }
        let iv = self.intervals.to_str(o.raw);
        if iv.contains('\n') {
            lines.push("intervals".into());
            lines.push(indent(&iv, 4));
        } else {
            lines.push(format!("intervals: {iv}"));
        }
        lines.push(format!(
            "nr_regions: [{}, {}]",
            units::format_nr(self.nr_regions[0], o.raw),
            units::format_nr(self.nr_regions[1], o.raw)
        ));
        for (i, s) in self.schemes.iter().enumerate() {
            lines.push(format!("scheme {i}"));
            lines.push(indent(&s.to_str(o), 4));
        }
        lines.push("access sample control".into());
        lines.push("enabled primitives: page_table".into());
        lines.join("\n")
    }
}

impl Probe {
    pub fn to_str(&self, raw: bool) -> String {
        let mut text = String::new();
        if !self.preps.is_empty() {
            text.push_str(&format!("prep: {}, filter: ", self.preps.join(", ")));
        }
        let filters: Vec<String> = self.filters.iter().map(|f| f.to_str(raw)).collect();
        text.push_str(&filters.join(", "));
        text.push_str(&format!(" (weight: {})", self.weight));
        text
    }
}

impl ProbeFilter {
    pub fn to_str(&self, raw: bool) -> String {
        let mut words = vec![if self.allow { "allow" } else { "reject" }.to_string()];
        if !self.matching {
            words.push("non".into());
        }
        words.push(self.filter_type.clone());
        match (self.filter_type.as_str(), &self.path, self.range) {
            ("memcg", Some(p), _) => words.push(p.clone()),
            ("hugepage_size", _, Some([a, b])) => words.push(format!(
                "[{}, {}]",
                units::format_sz(a, raw),
                units::format_sz(b, raw)
            )),
            _ => {}
        }
        words.join(" ")
    }
}

impl Intervals {
    pub fn to_str(&self, raw: bool) -> String {
        let mut s = format!(
            "sample {}, aggr {}, update {}",
            units::format_time_us(self.sample, raw),
            units::format_time_us(self.aggr, raw),
            units::format_time_us(self.ops_update, raw)
        );
        let g = &self.goal;
        if g.enabled() {
            s.push_str(&format!(
                "\ntarget {} accesses per {} aggrs, [{}, {}] sampling interval",
                units::format_bp(g.access_bp, raw),
                units::format_nr(g.aggrs, raw),
                units::format_time_us(g.min_sample_us, raw),
                units::format_time_us(g.max_sample_us, raw)
            ));
        }
        s
    }
}

impl Target {
    pub fn to_str(&self, raw: bool) -> String {
        let mut lines = Vec::new();
        if let Some(p) = self.pid {
            lines.push(format!("pid: {p}"));
        }
        if self.obsolete {
            lines.push("(obsolete)".into());
        }
        for [s, e] in &self.regions {
            lines.push(format!("region {}", units::format_addr_range(*s, *e, raw)));
        }
        lines.join("\n")
    }
}

impl Scheme {
    fn action_line(&self, raw: bool) -> String {
        let mut w = vec![format!("action: {}", self.action)];
        if self.action == "migrate_hot" || self.action == "migrate_cold" {
            w.push(format!(
                "to node {}",
                self.target_nid
                    .map(|n| n.trunc().to_string())
                    .unwrap_or_else(|| "None".into())
            ));
        }
        w.push(if self.apply_interval_us.is_zero() {
            "per aggr interval".into()
        } else {
            format!("per {}", units::format_time_us(self.apply_interval_us, raw))
        });
        w.join(" ")
    }

    pub fn to_str(&self, o: Show) -> String {
        let raw = o.raw;
        let mut lines = vec![self.action_line(raw)];
        if !(o.omit_defaults && self.access_pattern == AccessPattern::default()) {
            lines.push("target access pattern".into());
            lines.push(indent(&self.access_pattern.to_str(raw), 4));
        }
        for (id, w) in &self.dests {
            lines.push(format!("dest {} weight {}", id.trunc(), w.trunc()));
        }
        if !(o.omit_defaults && self.quotas == Quotas::default()) {
            lines.push("quotas".into());
            lines.push(indent(&self.quotas.to_str(raw, o.params_only), 4));
        }
        if !(o.omit_defaults && self.watermarks == Watermarks::default()) {
            lines.push("watermarks".into());
            lines.push(indent(&self.watermarks.to_str(raw), 4));
        }
        for (i, f) in self.filters.iter().enumerate() {
            lines.push(format!("filter {i}"));
            lines.push(indent(&f.to_str(raw), 4));
        }
        if !o.params_only {
            if let Some(st) = &self.stats {
                lines.push("statistics".into());
                lines.push(indent(&st.to_str(raw), 4));
            }
            if let (false, Some(regions)) = (o.omit_tried_regions, &self.tried_regions) {
                lines.push(format!(
                    "tried regions ({})",
                    units::format_sz(self.tried_bytes, raw)
                ));
                for r in regions {
                    lines.push(indent(&r.to_str(raw), 4));
                }
            }
        }
        lines.join("\n")
    }
}

impl TriedRegion {
    pub fn to_str(&self, raw: bool) -> String {
        let mut s = format!(
            "{}: nr_accesses: {} samples, age: {} aggr_intervals",
            units::format_addr_range(self.start, self.end, raw),
            units::format_nr(self.nr_accesses, raw),
            units::format_nr(self.age, raw)
        );
        if !self.probe_hits.is_empty() {
            let hits: Vec<String> = self
                .probe_hits
                .iter()
                .map(|h| h.trunc().to_string())
                .collect();
            s.push_str(&format!(", probe_hits: {}", hits.join(" ")));
        }
        if let Some(p) = self.sz_filter_passed {
            s.push_str(&format!(", filter_passed: {}", units::format_sz(p, raw)));
        }
        s
    }
}

impl Quotas {
    pub fn to_str(&self, raw: bool, params_only: bool) -> String {
        let time = units::format_time_ns(self.time_ms.mul(I(1_000_000)), raw);
        let sz = units::format_sz(self.sz_bytes, raw);
        let per = time_ms(self.reset_interval_ms, raw);
        let mut lines = vec![if params_only {
            format!("{time} / {sz} per {per}")
        } else {
            format!(
                "{time} / {sz} / {} per {per}",
                units::format_sz(self.effective_sz_bytes, raw)
            )
        }];
        if !self.fail_charge_denom.is_zero() {
            lines.push(format!(
                "fail charge ratio: {}/{}/",
                self.fail_charge_num.trunc(),
                self.fail_charge_denom.trunc()
            ));
        }
        for (i, g) in self.goals.iter().enumerate() {
            lines.push(format!("goal {i}: {}", g.to_str(raw)));
        }
        if !self.goals.is_empty() {
            lines.push(format!("goal tuner: {}", self.goal_tuner));
        }
        lines.push(format!(
            "priority: sz {}, nr_accesses {}, age {}",
            units::format_permil(self.weights[0], raw),
            units::format_permil(self.weights[1], raw),
            units::format_permil(self.weights[2], raw)
        ));
        lines.join("\n")
    }
}

impl QuotaGoal {
    pub fn to_str(&self, raw: bool) -> String {
        let mut metric = self.metric.clone();
        if self.complement {
            metric.push_str(" (complement)");
        }
        let mut extra = Vec::new();
        if needs_nid(&self.metric) {
            extra.push(format!(
                "nid {}",
                self.nid
                    .map(|n| units::format_nr(n, raw))
                    .unwrap_or_else(|| "None".into())
            ));
        }
        if needs_memcg(&self.metric) {
            extra.push(format!(
                "memcg {}",
                self.memcg_path.as_deref().unwrap_or("None")
            ));
        }
        if !extra.is_empty() {
            metric = format!("{metric} ({})", extra.join(", "));
        }
        format!(
            "metric {metric} target {} current {}",
            units::format_nr(self.target_value, raw),
            units::format_nr(self.current_value, raw)
        )
    }
}

impl Watermarks {
    pub fn to_str(&self, raw: bool) -> String {
        format!(
            "metric {}, interval {}\n{}, {}, {}",
            self.metric,
            units::format_time_us(self.interval_us, raw),
            units::format_permil(self.marks[0], raw),
            units::format_permil(self.marks[1], raw),
            units::format_permil(self.marks[2], raw)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indent_keeps_empty_lines() {
        assert_eq!(indent("", 4), "    ");
        assert_eq!(indent("a\nb", 2), "  a\n  b");
    }
}
