//! DAMOS filters and stats, as record files and kdamonds JSON carry them.

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::damon::js::Js;
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units, ParseError};

fn s(v: String) -> Js {
    Js::Str(v)
}

/// A DAMOS filter.
#[derive(Debug, Clone, PartialEq)]
pub struct DamosFilter {
    /// anon, active, memcg, young, hugepage_size, unmapped, addr, target or
    /// probe_hits_wsum.
    pub filter_type: String,
    pub matching: bool,
    pub allow: bool,
    /// `None` for filters made from command-line options other than memcg
    /// (damo writes `null` for them), `Some` for those read from JSON.
    pub memcg_path: Option<String>,
    pub address_range: Option<[Num; 2]>,
    pub damon_target_idx: Option<Num>,
    pub hugepage_size: Option<[Num; 2]>,
    pub probe_hits_wsum_range: Option<[Num; 2]>,
}

/// damo's `text_to_bool`: a JSON bool, or y/yes/true/n/no/false.
pub(crate) fn to_bool(v: &Value, what: &str) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.to_lowercase().as_str() {
            "y" | "yes" | "true" => Ok(true),
            "n" | "no" | "false" => Ok(false),
            _ => bail!("{what} should be y, yes, true, n, no or false, not '{s}'"),
        },
        other => bail!("{what} should be a boolean, not {other}"),
    }
}

/// A number field in raw or human form.
pub(crate) fn to_num(
    v: &Value,
    what: &str,
    parse: fn(&str) -> Result<Num, ParseError>,
) -> Result<Num> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(|i| I(i as i128))
            .or_else(|| n.as_u64().map(|u| I(u as i128)))
            .or_else(|| n.as_f64().map(Num::F))
            .with_context(|| format!("{what}: bad number {n}")),
        Value::String(s) => parse(s).with_context(|| format!("wrong {what}")),
        other => bail!("{what} should be a number, not {other}"),
    }
}

fn pair(v: &Value, what: &str, parse: fn(&str) -> Result<Num, ParseError>) -> Result<[Num; 2]> {
    match v.as_array().map(Vec::as_slice) {
        Some([a, b]) => Ok([to_num(a, what, parse)?, to_num(b, what, parse)?]),
        _ => bail!("{what} should be a list of two numbers"),
    }
}

impl DamosFilter {
    /// From the JSON form (damo's `DamosFilter.from_kvpairs`).
    pub fn from_value(kv: &Value) -> Result<Self> {
        let get = |k: &str| {
            kv.get(k)
                .with_context(|| format!("a DAMOS filter has no '{k}'"))
        };
        let filter_type = get("filter_type")?
            .as_str()
            .context("a DAMOS filter's filter_type is not a string")?
            .to_string();
        let allow = match kv.get("allow").or_else(|| kv.get("filter_pass")) {
            Some(v) => to_bool(v, "DAMOS filter allow")?,
            None => false,
        };
        let memcg_path = if filter_type == "memcg" {
            Some(get("memcg_path")?.as_str().unwrap_or_default().to_string())
        } else {
            Some(String::new())
        };
        let address_range = if filter_type == "addr" {
            let r = get("address_range")?;
            let field = |k: &str| -> Result<Num> {
                to_num(
                    r.get(k)
                        .with_context(|| format!("address_range has no '{k}'"))?,
                    "address_range",
                    units::text_to_bytes,
                )
            };
            Some([field("start")?, field("end")?])
        } else {
            None
        };
        let damon_target_idx = if filter_type == "target" {
            Some(to_num(
                get("damon_target_idx")?,
                "damon_target_idx",
                units::text_to_nr,
            )?)
        } else {
            None
        };
        let hugepage_size = match kv.get("hugepage_size") {
            None | Some(Value::Null) => None,
            Some(v) => Some(pair(v, "hugepage_size", units::text_to_bytes)?),
        };
        let probe_hits_wsum_range = match kv.get("probe_hits_wsum_range") {
            None | Some(Value::Null) => None,
            Some(v) => Some(pair(v, "probe_hits_wsum_range", units::text_to_nr)?),
        };
        Ok(DamosFilter {
            matching: to_bool(get("matching")?, "DAMOS filter matching")?,
            filter_type,
            allow,
            memcg_path,
            address_range,
            damon_target_idx,
            hugepage_size,
            probe_hits_wsum_range,
        })
    }

    /// Whether the operations set layer handles this filter type.
    pub fn handled_by_ops(&self) -> bool {
        matches!(
            self.filter_type.as_str(),
            "anon" | "active" | "memcg" | "young" | "hugepage_size" | "unmapped"
        )
    }

    /// damo's `DamosFilter.to_kvpairs`.
    pub fn to_js(&self, raw: bool) -> Js {
        let f = self;
        let pair = |p: Option<[Num; 2]>, fmt: fn(Num, bool) -> String| {
            p.map(|[a, b]| Js::List(vec![s(fmt(a, raw)), s(fmt(b, raw))]))
                .unwrap_or(Js::Null)
        };
        Js::Obj(vec![
            ("filter_type".into(), s(f.filter_type.clone())),
            ("matching".into(), Js::Bool(f.matching)),
            ("allow".into(), Js::Bool(f.allow)),
            (
                "memcg_path".into(),
                f.memcg_path.clone().map(s).unwrap_or(Js::Null),
            ),
            (
                "address_range".into(),
                f.address_range
                    .map(|[a, b]| {
                        Js::Obj(vec![
                            ("start".into(), s(units::format_nr(a, raw))),
                            ("end".into(), s(units::format_nr(b, raw))),
                        ])
                    })
                    .unwrap_or(Js::Null),
            ),
            (
                "damon_target_idx".into(),
                f.damon_target_idx
                    .map(|t| s(units::format_nr(t, raw)))
                    .unwrap_or(Js::Null),
            ),
            (
                "hugepage_size".into(),
                pair(f.hugepage_size, units::format_sz),
            ),
            (
                "probe_hits_wsum_range".into(),
                pair(f.probe_hits_wsum_range, units::format_nr),
            ),
        ])
    }

    /// One-line description: `allow anon`, `reject none memcg /a`.
    pub fn to_str(&self, raw: bool) -> String {
        let mut words = vec![if self.allow { "allow" } else { "reject" }.to_string()];
        if !self.matching {
            words.push("none".into());
        }
        words.push(self.filter_type.clone());
        match self.filter_type.as_str() {
            "memcg" => words.push(self.memcg_path.clone().unwrap_or_default()),
            "addr" => {
                if let Some([s, e]) = self.address_range {
                    words.push(units::format_addr_range(s, e, raw));
                }
            }
            "target" => {
                if let Some(t) = self.damon_target_idx {
                    words.push(units::format_nr(t, raw));
                }
            }
            "hugepage_size" => {
                if let Some([a, b]) = self.hugepage_size {
                    words.push(format!(
                        "[{}, {}]",
                        units::format_sz(a, raw),
                        units::format_sz(b, raw)
                    ));
                }
            }
            "probe_hits_wsum" => {
                if let Some([a, b]) = self.probe_hits_wsum_range {
                    words.push(format!(
                        "[{}, {}]",
                        units::format_nr(a, raw),
                        units::format_nr(b, raw)
                    ));
                }
            }
            _ => {}
        }
        words.join(" ")
    }
}

/// Statistics of a DAMOS scheme.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DamosStats {
    pub nr_tried: Num,
    pub sz_tried: Num,
    pub nr_applied: Num,
    pub sz_applied: Num,
    pub sz_ops_filter_passed: Num,
    pub qt_exceeds: Num,
    pub nr_snapshots: Num,
    pub max_nr_snapshots: Num,
}

impl DamosStats {
    /// From the JSON form; the snapshot counters are optional.
    pub fn from_value(kv: &Value) -> Result<Self> {
        let field =
            |k: &str, parse: fn(&str) -> Result<Num, ParseError>, optional: bool| match kv.get(k) {
                Some(v) => to_num(v, k, parse),
                None if optional => Ok(I(0)),
                None => bail!("DAMOS stats have no '{k}'"),
            };
        Ok(DamosStats {
            nr_tried: field("nr_tried", units::text_to_nr, false)?,
            sz_tried: field("sz_tried", units::text_to_bytes, false)?,
            nr_applied: field("nr_applied", units::text_to_nr, false)?,
            sz_applied: field("sz_applied", units::text_to_bytes, false)?,
            sz_ops_filter_passed: field("sz_ops_filter_passed", units::text_to_bytes, false)?,
            qt_exceeds: field("qt_exceeds", units::text_to_nr, false)?,
            nr_snapshots: field("nr_snapshots", units::text_to_nr, true)?,
            max_nr_snapshots: field("max_nr_snapshots", units::text_to_nr, true)?,
        })
    }

    /// damo's `DamosStats.to_kvpairs`.
    pub fn to_js(&self, raw: bool) -> Js {
        let st = self;
        let nr = |v| s(units::format_nr(v, raw));
        let sz = |v| s(units::format_sz(v, raw));
        Js::Obj(vec![
            ("nr_tried".into(), nr(st.nr_tried)),
            ("sz_tried".into(), sz(st.sz_tried)),
            ("nr_applied".into(), nr(st.nr_applied)),
            ("sz_applied".into(), sz(st.sz_applied)),
            ("sz_ops_filter_passed".into(), sz(st.sz_ops_filter_passed)),
            ("qt_exceeds".into(), nr(st.qt_exceeds)),
            ("nr_snapshots".into(), nr(st.nr_snapshots)),
            ("max_nr_snapshots".into(), nr(st.max_nr_snapshots)),
        ])
    }

    /// Multi-line description, as `report access` shows it.
    pub fn to_str(&self, raw: bool) -> String {
        let nr = |n| units::format_nr(n, raw);
        let sz = |n| units::format_sz(n, raw);
        [
            format!("tried {} times ({})", nr(self.nr_tried), sz(self.sz_tried)),
            format!(
                "applied {} times ({})",
                nr(self.nr_applied),
                sz(self.sz_applied)
            ),
            format!("{} passed filters", sz(self.sz_ops_filter_passed)),
            format!("quota exceeded {} times", nr(self.qt_exceeds)),
            // damo 3.4.3 shows the passed bytes a second time here.
            sz(self.sz_ops_filter_passed),
            format!(
                "tried {} snapshots (max {})",
                nr(self.nr_snapshots),
                nr(self.max_nr_snapshots)
            ),
        ]
        .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_from_record_json() {
        let v = serde_json::json!({"filter_type": "anon", "matching": true, "allow": true,
            "memcg_path": "", "address_range": {"start": "0", "end": "0"},
            "damon_target_idx": "0", "hugepage_size": ["0", "0"]});
        let f = DamosFilter::from_value(&v).unwrap();
        assert!(f.handled_by_ops());
        assert_eq!(f.to_str(false), "allow anon");
        let v = serde_json::json!({"filter_type": "addr", "matching": "no", "filter_pass": false,
            "memcg_path": "", "address_range": {"start": "4,096", "end": "8192"}});
        let f = DamosFilter::from_value(&v).unwrap();
        assert!(!f.handled_by_ops());
        assert!(f.to_str(false).starts_with("reject none addr "));
        assert!(DamosFilter::from_value(&serde_json::json!({"filter_type": "anon"})).is_err());
    }

    #[test]
    fn stats_text() {
        let v = serde_json::json!({"nr_tried": "2", "sz_tried": "4096", "nr_applied": "1",
            "sz_applied": "4,096", "sz_ops_filter_passed": "0", "qt_exceeds": "0"});
        let s = DamosStats::from_value(&v).unwrap();
        assert_eq!(
            s.to_str(false).lines().next(),
            Some("tried 2 times (4.000 KiB)")
        );
        assert!(s.to_str(true).ends_with("tried 0 snapshots (max 0)"));
    }
}
