//! Kdamonds from their JSON form (damo's `from_kvpairs`): the output of
//! `damo args damon` and `damo report damon --format json`, given to
//! `damo start kdamonds.json`, `--kdamonds` or `report damon --input_file`.

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::Value;

use super::damos::{DamosFilter, to_bool, to_num};
use super::model::{
    AccessPattern, AgeUnit, Context, Intervals, IntervalsGoal, Kdamond, NrAccUnit, OpsAttrs,
    PROBE_FILTER_TYPES, PROBE_PREP_ACTIONS, Probe, ProbeFilter, QuotaGoal, Quotas, Scheme, Target,
    Watermarks,
};
use crate::fmt::pynum::{I, Num};
use crate::fmt::{self as units, ParseError};

type Parse = fn(&str) -> Result<Num, ParseError>;

fn get<'a>(kv: &'a Value, key: &str, what: &str) -> Result<&'a Value> {
    kv.get(key).ok_or_else(|| anyhow!("{what} has no '{key}'"))
}

fn num(kv: &Value, key: &str, what: &str, parse: Parse) -> Result<Num> {
    to_num(get(kv, key, what)?, &format!("{what} {key}"), parse)
}

fn opt_num(kv: &Value, key: &str, what: &str, parse: Parse, dflt: Num) -> Result<Num> {
    match kv.get(key) {
        Some(Value::Null) | None => Ok(dflt),
        Some(v) => to_num(v, &format!("{what} {key}"), parse),
    }
}

fn list<'a>(kv: &'a Value, key: &str, what: &str) -> Result<&'a [Value]> {
    match kv.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => bail!("{what} {key} should be a list, not {other}"),
    }
}

fn string(kv: &Value, key: &str, what: &str) -> Result<String> {
    match get(kv, key, what)? {
        Value::String(s) => Ok(s.clone()),
        other => bail!("{what} {key} should be a string, not {other}"),
    }
}

/// Kdamonds from a JSON document `{"kdamonds": [...]}`.
pub fn kdamonds_from_json(text: &str) -> Result<Vec<Kdamond>> {
    let doc: Value = serde_json::from_str(text).context("not valid JSON")?;
    kdamonds_from_doc(&doc)
}

/// Kdamonds from a parsed JSON or YAML document.
pub fn kdamonds_from_doc(doc: &Value) -> Result<Vec<Kdamond>> {
    let list = doc
        .get("kdamonds")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("no 'kdamonds' list at the top level"))?;
    list.iter()
        .enumerate()
        .map(|(i, k)| kdamond(k).with_context(|| format!("kdamond {i}")))
        .collect()
}

/// Kdamonds from a JSON list, the form `damo record` saves beside a record
/// (`damon.data.kdamonds`).
pub fn kdamonds_from_sidecar(path: &std::path::Path) -> Result<Vec<Kdamond>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("{shown}: not valid JSON"))?;
    let list = doc
        .as_array()
        .ok_or_else(|| anyhow!("{shown}: not a JSON list of kdamonds"))?;
    list.iter()
        .enumerate()
        .map(|(i, k)| kdamond(k).with_context(|| format!("{shown}: kdamond {i}")))
        .collect()
}

/// Whether a path names a YAML file (`.yaml`, `.yml`).
fn is_yaml_path(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// Kdamonds from a JSON file, or a YAML one (by its name).
pub fn kdamonds_from_json_file(path: &str) -> Result<Vec<Kdamond>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    if is_yaml_path(path) {
        let doc = super::yaml::load(&text, path)?;
        return kdamonds_from_doc(&doc).with_context(|| format!("in {path}"));
    }
    kdamonds_from_json(&text)
}

/// damo's rule for a `kdamonds` argument: a file's content, or the
/// argument itself as JSON.
pub fn kdamonds_from_arg(arg: &str) -> Result<Vec<Kdamond>> {
    if std::path::Path::new(arg).is_file() {
        kdamonds_from_json_file(arg)
    } else {
        kdamonds_from_json(arg)
    }
}

/// DAMOS schemes from a JSON list (damo's `--schemes` option).
pub fn schemes_from_json(text: &str) -> Result<Vec<Scheme>> {
    let doc: Value = serde_json::from_str(text).context("not valid JSON")?;
    let Value::Array(list) = doc else {
        bail!("not a JSON list of schemes");
    };
    list.iter()
        .enumerate()
        .map(|(i, s)| scheme(s).with_context(|| format!("scheme {i}")))
        .collect()
}

fn kdamond(kv: &Value) -> Result<Kdamond> {
    let contexts = list(kv, "contexts", "kdamond")?;
    if kv.get("contexts").is_none() {
        bail!("kdamond has no 'contexts'");
    }
    Ok(Kdamond {
        state: Some(match kv.get("state") {
            Some(Value::String(s)) => s.clone(),
            _ => "off".into(),
        }),
        pid: match kv.get("pid") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        refresh_ms: opt_num(kv, "refresh_ms", "kdamond", units::text_to_ms, I(0))?,
        contexts: contexts
            .iter()
            .enumerate()
            .map(|(i, c)| context(c).with_context(|| format!("context {i}")))
            .collect::<Result<_>>()?,
    })
}

fn context(kv: &Value) -> Result<Context> {
    let w = "context";
    let intervals = match kv.get("intervals") {
        Some(iv) => Intervals {
            sample: num(iv, "sample_us", "intervals", units::text_to_us)?,
            aggr: num(iv, "aggr_us", "intervals", units::text_to_us)?,
            ops_update: num(iv, "ops_update_us", "intervals", units::text_to_us)?,
            goal: match iv.get("intervals_goal") {
                Some(g) => IntervalsGoal {
                    access_bp: num(g, "access_bp", "intervals_goal", units::text_to_bp)?,
                    aggrs: num(g, "aggrs", "intervals_goal", units::text_to_nr)?,
                    min_sample_us: num(g, "min_sample_us", "intervals_goal", units::text_to_us)?,
                    max_sample_us: num(g, "max_sample_us", "intervals_goal", units::text_to_us)?,
                },
                None => IntervalsGoal::default(),
            },
        },
        None => Intervals::default(),
    };
    let nr_regions = match kv.get("nr_regions") {
        Some(n) => [
            num(n, "min", "nr_regions", units::text_to_nr)?,
            num(n, "max", "nr_regions", units::text_to_nr)?,
        ],
        None => [I(10), I(1000)],
    };
    if kv.get("targets").is_none() {
        bail!("context has no 'targets'");
    }
    Ok(Context {
        ops: string(kv, "ops", w)?,
        addr_unit: opt_num(kv, "addr_unit", w, units::text_to_bytes, I(1))?,
        targets: list(kv, "targets", w)?
            .iter()
            .enumerate()
            .map(|(i, t)| target(t).with_context(|| format!("target {i}")))
            .collect::<Result<_>>()?,
        intervals,
        nr_regions,
        probes: list(kv, "probes", w)?
            .iter()
            .enumerate()
            .map(|(i, p)| probe(p).with_context(|| format!("probe {i}")))
            .collect::<Result<_>>()?,
        ops_attrs: OpsAttrs::default(),
        pause: match kv.get("pause") {
            Some(v) => to_bool(v, "pause")?,
            None => false,
        },
        schemes: list(kv, "schemes", w)?
            .iter()
            .enumerate()
            .map(|(i, s)| scheme(s).with_context(|| format!("scheme {i}")))
            .collect::<Result<_>>()?,
    })
}

fn probe(kv: &Value) -> Result<Probe> {
    let w = "probe";
    let preps = list(kv, "preps", w)?
        .iter()
        .map(|p| {
            let action = string(p, "prep_action", "probe prep")?;
            if !PROBE_PREP_ACTIONS.contains(&action.as_str()) {
                bail!(
                    "wrong prep action ({action}); one of: {}",
                    PROBE_PREP_ACTIONS.join(", ")
                );
            }
            Ok(action)
        })
        .collect::<Result<_>>()?;
    if kv.get("filters").is_none() {
        bail!("probe has no 'filters'");
    }
    let filters = list(kv, "filters", w)?
        .iter()
        .map(|f| {
            let w = "probe filter";
            let filter_type = string(f, "filter_type", w)?;
            if !PROBE_FILTER_TYPES.contains(&filter_type.as_str()) {
                bail!(
                    "wrong damon filter type ({filter_type}); one of: {}",
                    PROBE_FILTER_TYPES.join(", ")
                );
            }
            let range = match (f.get("range_min"), f.get("range_max")) {
                (Some(a), Some(b)) if !a.is_null() && !b.is_null() => Some([
                    to_num(a, "range_min", units::text_to_bytes)?,
                    to_num(b, "range_max", units::text_to_bytes)?,
                ]),
                _ => None,
            };
            Ok(ProbeFilter {
                filter_type,
                matching: to_bool(get(f, "matching", w)?, "matching")?,
                allow: to_bool(get(f, "allow", w)?, "allow")?,
                path: match get(f, "path", w)? {
                    Value::Null => None,
                    Value::String(p) => Some(p.clone()),
                    other => bail!("probe filter path should be a string, not {other}"),
                },
                range,
            })
        })
        .collect::<Result<_>>()?;
    let weight = match kv.get("weight") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default() as i128,
        Some(other) => bail!("probe weight should be an integer, not {other}"),
    };
    Ok(Probe {
        preps,
        filters,
        weight,
    })
}

fn target(kv: &Value) -> Result<Target> {
    Ok(Target {
        pid: match kv.get("pid") {
            None | Some(Value::Null) => None,
            Some(v) => Some(to_num(v, "target pid", units::text_to_nr)?.trunc()),
        },
        obsolete: match kv.get("obsolete") {
            Some(v) => to_bool(v, "obsolete")?,
            None => false,
        },
        regions: list(kv, "regions", "target")?
            .iter()
            .map(|r| {
                Ok([
                    num(r, "start", "region", units::text_to_bytes)?,
                    num(r, "end", "region", units::text_to_bytes)?,
                ])
            })
            .collect::<Result<_>>()?,
    })
}

/// `N samples` or `N aggr_intervals` (damo's `text_to_nr_unit`).
fn nr_unit(v: &Value, what: &str) -> Result<(Num, String)> {
    let Value::String(s) = v else {
        return Ok((to_num(v, what, units::text_to_nr)?, String::new()));
    };
    let words: Vec<&str> = s.split_whitespace().collect();
    match words.as_slice() {
        [n, unit] => Ok((
            units::text_to_nr(n).map_err(|e| anyhow!("wrong {what} '{s}' ({e})"))?,
            unit.to_string(),
        )),
        _ => bail!("wrong {what} '{s}' (a number and a unit expected)"),
    }
}

fn access_pattern(kv: &Value) -> Result<AccessPattern> {
    let w = "access_pattern";
    let sz = get(kv, "sz_bytes", w)?;
    let nr = get(kv, "nr_accesses", w)?;
    let age = get(kv, "age", w)?;
    let mm = |x: &Value, k: &str| get(x, k, w).cloned();
    let pct = (|| -> Result<[Num; 2]> {
        Ok([
            to_num(&mm(nr, "min")?, "nr_accesses", units::text_to_percent)?,
            to_num(&mm(nr, "max")?, "nr_accesses", units::text_to_percent)?,
        ])
    })();
    let (nr_accesses, nr_accesses_unit) = match pct {
        Ok(v) => (v, NrAccUnit::Percent),
        Err(_) => {
            let (a, ua) = nr_unit(&mm(nr, "min")?, "nr_accesses min")?;
            let (b, ub) = nr_unit(&mm(nr, "max")?, "nr_accesses max")?;
            if ua != ub || ua != "samples" {
                bail!("nr_accesses should be in percent or samples, both in the same unit");
            }
            ([a, b], NrAccUnit::Samples)
        }
    };
    let us = (|| -> Result<[Num; 2]> {
        Ok([
            to_num(&mm(age, "min")?, "age", units::text_to_us)?,
            to_num(&mm(age, "max")?, "age", units::text_to_us)?,
        ])
    })();
    let (age, age_unit) = match us {
        Ok(v) => (v, AgeUnit::Usec),
        Err(_) => {
            let (a, ua) = nr_unit(&mm(age, "min")?, "age min")?;
            let (b, ub) = nr_unit(&mm(age, "max")?, "age max")?;
            if ua != ub || ua != "aggr_intervals" {
                bail!("age should be a time or aggr_intervals, both in the same unit");
            }
            ([a, b], AgeUnit::AggrIntervals)
        }
    };
    Ok(AccessPattern {
        sz_bytes: [
            num(sz, "min", "sz_bytes", units::text_to_bytes)?,
            num(sz, "max", "sz_bytes", units::text_to_bytes)?,
        ],
        nr_accesses,
        nr_accesses_unit,
        age,
        age_unit,
    })
}

fn goal(kv: &Value) -> Result<QuotaGoal> {
    let w = "quota goal";
    if kv.get("target_value_bp").is_some() {
        return Ok(QuotaGoal {
            metric: "user_input".into(),
            complement: false,
            nid: None,
            memcg_path: None,
            target_value: num(kv, "target_value_bp", w, units::text_to_nr)?,
            current_value: num(kv, "current_value_bp", w, units::text_to_nr)?,
        });
    }
    let metric = string(kv, "metric", w)?;
    let parse: Parse = match metric.as_str() {
        "some_mem_psi_us" => units::text_to_us,
        "node_mem_used_bp" | "node_mem_free_bp" | "node_memcg_used_bp" | "node_memcg_free_bp"
        | "active_mem_bp" | "inactive_mem_bp" => units::text_to_bp,
        "user_input" | "node_eligible_mem_bp" => units::text_to_nr,
        other => bail!(
            "unsupported DAMOS quota goal metric '{other}'; one of: {}",
            super::model::QUOTA_GOAL_METRICS.join(", ")
        ),
    };
    Ok(QuotaGoal {
        complement: match kv.get("complement") {
            Some(v) => to_bool(v, "complement")?,
            None => false,
        },
        nid: match kv.get("nid") {
            None | Some(Value::Null) => None,
            Some(v) => Some(to_num(v, "nid", units::text_to_nr)?),
        },
        memcg_path: match kv.get("memcg_path") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        },
        target_value: num(kv, "target_value", w, parse)?,
        current_value: num(kv, "current_value", w, units::text_to_nr)?,
        metric,
    })
}

fn quotas(kv: &Value) -> Result<Quotas> {
    let w = "quotas";
    let weights = get(kv, "weights", w)?;
    Ok(Quotas {
        time_ms: num(kv, "time_ms", w, units::text_to_ms)?,
        sz_bytes: num(kv, "sz_bytes", w, units::text_to_bytes)?,
        reset_interval_ms: num(kv, "reset_interval_ms", w, units::text_to_ms)?,
        fail_charge_num: opt_num(kv, "fail_charge_num", w, units::text_to_nr, I(0))?,
        fail_charge_denom: opt_num(kv, "fail_charge_denom", w, units::text_to_nr, I(0))?,
        goals: list(kv, "goals", w)?
            .iter()
            .map(goal)
            .collect::<Result<_>>()?,
        goal_tuner: match kv.get("goal_tuner") {
            Some(Value::String(s)) => s.clone(),
            _ => "consist".into(),
        },
        effective_sz_bytes: opt_num(kv, "effective_sz_bytes", w, units::text_to_bytes, I(0))?,
        weights: [
            num(weights, "sz_permil", "weights", units::text_to_permil)?,
            num(
                weights,
                "nr_accesses_permil",
                "weights",
                units::text_to_permil,
            )?,
            num(weights, "age_permil", "weights", units::text_to_permil)?,
        ],
    })
}

fn scheme(kv: &Value) -> Result<Scheme> {
    let w = "scheme";
    let action = match kv.get("action") {
        Some(Value::String(s)) => s.clone(),
        None => "stat".into(),
        Some(other) => bail!("scheme action should be a string, not {other}"),
    };
    if !super::model::ACTIONS.contains(&action.as_str()) {
        bail!(
            "wrong damos action: {action}; one of: {}",
            super::model::ACTIONS.join(", ")
        );
    }
    Ok(Scheme {
        action,
        dests: list(kv, "dests", w)?
            .iter()
            .map(|d| {
                Ok((
                    num(d, "id", "dest", units::text_to_nr)?,
                    num(d, "weight", "dest", units::text_to_nr)?,
                ))
            })
            .collect::<Result<_>>()?,
        target_nid: match kv.get("target_nid") {
            None | Some(Value::Null) => None,
            Some(v) => Some(to_num(v, "target_nid", units::text_to_nr)?),
        },
        access_pattern: match kv.get("access_pattern") {
            Some(ap) => access_pattern(ap)?,
            None => AccessPattern::default(),
        },
        apply_interval_us: opt_num(kv, "apply_interval_us", w, units::text_to_us, I(0))?,
        quotas: match kv.get("quotas") {
            Some(q) => quotas(q)?,
            None => Quotas::default(),
        },
        watermarks: match kv.get("watermarks") {
            Some(wm) => {
                let metric = string(wm, "metric", "watermarks")?;
                if !super::model::WATERMARK_METRICS.contains(&metric.as_str()) {
                    bail!(
                        "wrong watermark metric ({metric}); one of: {}",
                        super::model::WATERMARK_METRICS.join(", ")
                    );
                }
                Watermarks {
                    metric,
                    interval_us: num(wm, "interval_us", "watermarks", units::text_to_us)?,
                    marks: [
                        num(wm, "high_permil", "watermarks", units::text_to_permil)?,
                        num(wm, "mid_permil", "watermarks", units::text_to_permil)?,
                        num(wm, "low_permil", "watermarks", units::text_to_permil)?,
                    ],
                }
            }
            None => Watermarks::default(),
        },
        filters: list(kv, "filters", w)?
            .iter()
            .map(DamosFilter::from_value)
            .collect::<Result<_>>()?,
        stats: Some(match kv.get("stats") {
            Some(st) => super::damos::DamosStats::from_value(st)?,
            None => Default::default(),
        }),
        tried_regions: Some(Vec::new()),
        tried_bytes: I(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metrics an error lists are the ones the reader takes.
    #[test]
    fn every_listed_goal_metric_is_read() {
        for m in super::super::model::QUOTA_GOAL_METRICS {
            let kv = serde_json::json!({"metric": m, "target_value": "1", "current_value": "0",
                "nid": 0, "path": ""});
            let g = goal(&kv);
            assert!(g.is_ok(), "{m}: {g:?}");
        }
    }

    #[test]
    fn round_trip_of_the_args_damon_form() {
        let text = r#"{"kdamonds": [{"refresh_ms": 0, "contexts": [{"ops": "vaddr",
            "addr_unit": "1 B", "targets": [{"pid": 42, "obsolete": false, "regions": []}],
            "intervals": {"sample_us": "5 ms", "aggr_us": "100 ms", "ops_update_us": "1 s"},
            "schemes": [{"action": "pageout", "access_pattern": {
                "sz_bytes": {"min": "4.000 KiB", "max": "max"},
                "nr_accesses": {"min": "0 samples", "max": "3 samples"},
                "age": {"min": "600 aggr_intervals", "max": "max aggr_intervals"}}}]}]}]}"#;
        let k = kdamonds_from_json(text);
        // "max aggr_intervals": text_to_nr takes "max"
        let k = k.unwrap();
        let s = &k[0].contexts[0].schemes[0];
        assert_eq!(s.access_pattern.nr_accesses_unit, NrAccUnit::Samples);
        assert_eq!(s.access_pattern.age[0], I(600));
        assert_eq!(k[0].contexts[0].targets[0].pid, Some(42));
        assert!(kdamonds_from_json(r#"{"kdamonds": [{}]}"#).is_err());
        assert!(kdamonds_from_json("[1]").is_err());
    }
}
