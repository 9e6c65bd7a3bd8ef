//! The `report access` format keywords: one table per template level
//! (record, snapshot, region), each entry the keyword, what it shows and
//! how it is computed.  Templates are compiled against these tables once
//! ([`Template`]), and the tables are what the help and the unknown-keyword
//! error list.

use anyhow::{Context, Result, bail};

use super::format::ReportFormat;
use super::{boxes, dist, heat};
use crate::damon::damos::{DamosFilter, DamosStats};
use crate::damon::model::{Context as DamonCtx, Probe};
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::{self as units};
use crate::record::filter::temperature_of_sized;
use crate::record::{Intervals, RecordMeta, Region, Snapshot};

/// What a record-level keyword sees.
pub struct RecordCtx<'a> {
    pub fmt: &'a ReportFormat,
    pub meta: &'a RecordMeta,
    pub iv: &'a Intervals,
    pub filters: &'a [DamosFilter],
    /// Start of the record's first snapshot and end of its last one.
    pub first_start: Option<Num>,
    pub last_end: Option<Num>,
    pub boxes: Option<&'a boxes::BoxFormat>,
    /// `report attrs`: the DAMON context that made the record, whose
    /// probes weigh the regions' probe hits into their temperature (and
    /// whose hits decide recency); `None` in `report access`.
    pub damon_ctx: Option<&'a DamonCtx>,
}

impl RecordCtx<'_> {
    pub fn first_start(&self) -> Result<Num> {
        self.first_start
            .context("the record has no snapshot with a start time")
    }

    /// The probes of `report attrs`, `None` in `report access`.
    pub fn probes(&self) -> Option<&[Probe]> {
        self.damon_ctx.map(|c| c.probes.as_slice())
    }

    /// The temperature of `r` cut to `size` bytes under weights `w`: by
    /// access rate, age and size in `report access`; by the weighted sum
    /// of probe hits, age and size in `report attrs`.
    pub fn temperature(&self, r: &Region, size: Num, w: [Num; 3]) -> Result<Num> {
        match self.probes() {
            Some(probes) => attrs_temperature(r, size, probes, w),
            None => temperature_of_sized(r, size, w),
        }
    }
}

/// The sum of a region's probe hits, each weighted by its probe's weight
/// (damo's `probe_hits_wsum`).
pub fn probe_hits_wsum(r: &Region, probes: &[Probe]) -> Result<Num> {
    let mut sum = I(0);
    for (i, hits) in r.probe_hits.iter().enumerate() {
        let p = probes.get(i).with_context(|| {
            format!(
                "region {}-{} has hits of probe {i}, but the record's DAMON context has {} \
                 probe(s): give the kdamonds file the record was made with",
                r.start,
                r.end,
                probes.len()
            )
        })?;
        sum = sum.add(hits.mul(I(p.weight)));
    }
    Ok(sum)
}

/// `report attrs`' temperature: probe-hit, age and size scores under the
/// weights `w`, negated when no weighted probe hit (damo's
/// `attrs_temperate_of`).
pub fn attrs_temperature(r: &Region, size: Num, probes: &[Probe], w: [Num; 3]) -> Result<Num> {
    let wsum = probe_hits_wsum(r, probes)?;
    let score = wsum.mul(w[0]).add(age_us(r)?.mul(w[1])).add(size.mul(w[2]));
    Ok(if wsum <= I(0) { score.neg() } else { score })
}

pub type RecordFn = fn(&RecordCtx) -> Result<String>;
pub type SnapshotFn = fn(&Snapshot, &RecordCtx) -> Result<String>;
pub type RegionFn = fn(usize, &Region, &Snapshot, &RecordCtx) -> Result<String>;

/// One keyword: its name as written in templates, a description, and the
/// function that computes its text.
#[derive(Clone, Copy)]
pub struct Keyword<F> {
    pub name: &'static str,
    pub help: &'static str,
    pub value: F,
}

pub const fn kw<F>(name: &'static str, help: &'static str, value: F) -> Keyword<F> {
    Keyword { name, help, value }
}

pub fn raw(c: &RecordCtx) -> bool {
    c.fmt.raw_number
}

fn opt_str<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string())
        .unwrap_or_else(|| "None".to_string())
}

/// Keywords of the record head and tail.
pub const RECORD: &[Keyword<RecordFn>] = &[
    kw(
        "<kdamond index>",
        "the kdamond that produced the record",
        |c| Ok(opt_str(c.meta.kdamond_idx)),
    ),
    kw("<context index>", "the DAMON context of the record", |c| {
        Ok(opt_str(c.meta.context_idx))
    }),
    kw("<scheme index>", "the DAMOS scheme of the record", |c| {
        Ok(opt_str(c.meta.scheme_idx))
    }),
    kw("<target id>", "the monitoring target of the record", |c| {
        Ok(c.meta
            .target_id
            .map(|t| t.repr())
            .unwrap_or_else(|| "None".to_string()))
    }),
    kw(
        "<abs start time>",
        "when the record starts (absolute)",
        |c| Ok(units::format_time_ns(c.first_start()?, raw(c))),
    ),
    kw("<duration>", "how long the record covers", |c| {
        let end = c.last_end.context("the record has no snapshot")?;
        Ok(units::format_time_ns(end.sub(c.first_start()?), raw(c)))
    }),
    kw(
        "<intervals>",
        "the sampling and aggregation intervals",
        |c| {
            Ok(format!(
                "sample {}, aggr {}",
                units::format_time_us(c.iv.sample, raw(c)),
                units::format_time_us(c.iv.aggr, raw(c))
            ))
        },
    ),
    kw("<intervals goal>", "the intervals auto-tuning goal", |c| {
        let g = &c.iv.goal;
        let r = raw(c);
        Ok(format!(
            "target {} accesses per {} aggrs, [{}, {}] sampling interval",
            units::format_bp(g.access_bp, r),
            units::format_nr(g.aggrs, r),
            units::format_time_us(g.min_sample_us, r),
            units::format_time_us(g.max_sample_us, r)
        ))
    }),
    kw("<data source>", "where the record's data came from", |c| {
        Ok(c.meta.data_source.clone())
    }),
    kw("<format strings>", "the templates in use", |c| {
        Ok(c.fmt.templates_text())
    }),
];

/// Keywords of the snapshot head and tail.
pub const SNAPSHOT: &[Keyword<SnapshotFn>] = &[
    kw(
        "<total bytes>",
        "total size of the snapshot's regions",
        |s, c| Ok(units::format_sz(s.total_bytes, raw(c))),
    ),
    kw(
        "<duration>",
        "how long the snapshot was monitored",
        |s, c| Ok(units::format_time_ns(s.end_time.sub(s.start()?), raw(c))),
    ),
    kw(
        "<start time>",
        "snapshot start, from the record start",
        |s, c| {
            Ok(units::format_time_ns(
                s.start()?.sub(c.first_start()?),
                raw(c),
            ))
        },
    ),
    kw(
        "<end time>",
        "snapshot end, from the record start",
        |s, c| {
            Ok(units::format_time_ns(
                s.end_time.sub(c.first_start()?),
                raw(c),
            ))
        },
    ),
    kw("<abs start time>", "snapshot start (absolute)", |s, c| {
        Ok(units::format_time_ns(s.start()?, raw(c)))
    }),
    kw("<abs end time>", "snapshot end (absolute)", |s, c| {
        Ok(units::format_time_ns(s.end_time, raw(c)))
    }),
    kw(
        "<number of regions>",
        "how many regions the snapshot has",
        |s, c| Ok(units::format_nr(I(s.regions.len() as i128), raw(c))),
    ),
    kw(
        "<region box colors>",
        "the colors region boxes use",
        |_, c| Ok(crate::report::color::samples(&c.fmt.box_colorset)),
    ),
    kw(
        "<region box description>",
        "what the region boxes show",
        |_, c| c.boxes.context("no region boxes")?.description(raw(c)),
    ),
    kw(
        "<temperature-sz histogram>",
        "bytes per temperature range",
        |s, c| dist::sz_hist(s, c, dist::Metric::Temperature, false),
    ),
    kw(
        "<temperature-df-passed-sz histogram>",
        "DAMOS-filter-passed bytes per temperature range",
        |s, c| dist::sz_hist(s, c, dist::Metric::Temperature, true),
    ),
    kw(
        "<recency-sz histogram>",
        "bytes per idle time range",
        |s, c| dist::sz_hist(s, c, dist::Metric::Recency, false),
    ),
    kw(
        "<recency-df-passed-sz histogram>",
        "DAMOS-filter-passed bytes per idle time range",
        |s, c| dist::sz_hist(s, c, dist::Metric::Recency, true),
    ),
    kw(
        "<recency percentiles>",
        "idle time of bytes, by percentile",
        |s, c| dist::percentiles(s, c, dist::Metric::Recency, false),
    ),
    kw(
        "<df-passed recency percentiles>",
        "idle time of DAMOS-filter-passed bytes, by percentile",
        |s, c| dist::percentiles(s, c, dist::Metric::Recency, true),
    ),
    kw(
        "<temperature percentiles>",
        "temperature of bytes, by percentile",
        |s, c| dist::percentiles(s, c, dist::Metric::Temperature, false),
    ),
    kw(
        "<df-passed temperature percentiles>",
        "temperature of DAMOS-filter-passed bytes, by percentile",
        |s, c| dist::percentiles(s, c, dist::Metric::Temperature, true),
    ),
    kw("<heatmap>", "a one-line heatmap of the snapshot", |s, c| {
        heat::heatmap(&s.regions, c)
    }),
    kw(
        "<filters passed heatmap>",
        "the heatmap of DAMOS-filter-passed regions",
        heat::df_passed_heatmap,
    ),
    kw(
        "<filters passed type>",
        "the DAMOS filters behind the filter-passed figures",
        |_, c| {
            let ops: Vec<String> = c
                .filters
                .iter()
                .filter(|f| f.handled_by_ops())
                .map(|f| f.to_str(false))
                .collect();
            Ok(if ops.is_empty() {
                "n/a".to_string()
            } else {
                ops.join(", ")
            })
        },
    ),
    kw(
        "<filters passed bytes>",
        "bytes that passed the DAMOS filters",
        |s, c| {
            let mut total = 0i128;
            for r in &s.regions {
                match r.sz_filter_passed {
                    Some(b) => total += b,
                    None => return Ok("N/A".to_string()),
                }
            }
            Ok(units::format_sz(I(total), raw(c)))
        },
    ),
    kw(
        "<positive access samples ratio>",
        "share of access checks that found an access",
        |s, c| {
            let per_region = c.iv.aggr.div(c.iv.sample);
            let max_samples = per_region.mul(I(s.regions.len() as i128));
            let mut nr = I(0);
            for r in &s.regions {
                nr = nr.add(r.samples()?);
            }
            if max_samples.is_zero() {
                bail!("<positive access samples ratio> of a snapshot without regions");
            }
            Ok(units::format_percent(
                nr.mul(I(100)).div(max_samples),
                raw(c),
            ))
        },
    ),
    kw(
        "<estimated memory bandwidth>",
        "memory bandwidth the accesses suggest",
        |s, c| mem_bw(s, c, false),
    ),
    kw(
        "<filters passed estimated memory bandwidth>",
        "the same, for DAMOS-filter-passed bytes",
        |s, c| mem_bw(s, c, true),
    ),
    kw(
        "<intervals tuning status>",
        "observed accesses against the intervals goal",
        |s, c| {
            let per_region = c.iv.aggr.div(c.iv.sample);
            let mut max_obs = I(0);
            let mut obs = I(0);
            for r in &s.regions {
                let sz = I(r.size());
                max_obs = max_obs.add(per_region.mul(sz));
                obs = obs.add(sz.mul(r.samples()?));
            }
            let r = raw(c);
            Ok(format!(
                "{} ({} / {}) {} {}",
                units::format_percent(obs.mul(I(100)).div(max_obs.max(I(1))), r),
                units::format_sz(obs, r),
                units::format_sz(max_obs, r),
                units::format_time_us(c.iv.sample, r),
                units::format_time_us(c.iv.aggr, r)
            ))
        },
    ),
    kw(
        "<damos stats>",
        "stats of the snapshot's DAMOS scheme",
        |s, c| match &s.damos_stats {
            None => Ok("none".to_string()),
            Some(v) => Ok(DamosStats::from_value(v)?.to_str(raw(c))),
        },
    ),
    kw(
        "<snapshot intervals>",
        "the snapshot's (possibly auto-tuned) intervals",
        |s, c| {
            let ratio = c.iv.aggr.div(c.iv.sample);
            let aggr_us = aggr_us(s, c.iv)?;
            let sample_us = aggr_us.div(ratio);
            let max_hz = ratio.div(aggr_us.div(I(1_000_000)));
            let r = raw(c);
            Ok(format!(
                "sample {} aggr {} (max access hz {})",
                units::format_time_us(sample_us, r),
                units::format_time_us(aggr_us, r),
                units::format_hz(max_hz, r, false)
            ))
        },
    ),
];

/// Keywords of the per-region line.
pub const REGION: &[Keyword<RegionFn>] = &[
    kw(
        "<index>",
        "position of the region in the snapshot",
        |i, _, _, c| Ok(units::format_nr(I(i as i128), raw(c))),
    ),
    kw(
        "<start address>",
        "where the region starts",
        |_, r, _, c| Ok(units::format_sz(I(r.start), raw(c))),
    ),
    kw("<end address>", "where the region ends", |_, r, _, c| {
        Ok(units::format_sz(I(r.end), raw(c)))
    }),
    kw("<size>", "the region's size", |_, r, _, c| {
        Ok(units::format_sz(I(r.size()), raw(c)))
    }),
    kw(
        "<access rate>",
        "accesses found, in percent of checks",
        |_, r, _, c| Ok(units::format_percent(percent(r)?, raw(c))),
    ),
    kw("<access hz>", "accesses found per second", |_, r, s, c| {
        let hz = r.samples()?.div(aggr_us(s, c.iv)?.div(I(1_000_000)));
        Ok(units::format_hz(hz, raw(c), true))
    }),
    kw(
        "<age>",
        "how long the access pattern has lasted",
        |_, r, _, c| Ok(units::format_time_us(age_us(r)?, raw(c))),
    ),
    kw(
        "<temperature>",
        "access temperature (see --temperature_weights)",
        |_, r, _, c| {
            Ok(units::format_nr(
                c.temperature(r, I(r.size()), c.fmt.temperature_weights)?,
                raw(c),
            ))
        },
    ),
    kw(
        "<probe hits>",
        "data attribute probe hit counts",
        |_, r, _, _| {
            Ok(r.probe_hits
                .iter()
                .map(|h| h.fmt_d())
                .collect::<Vec<_>>()
                .join(" "))
        },
    ),
    kw(
        "<filters passed bytes>",
        "bytes of the region that passed the DAMOS filters",
        |_, r, _, c| {
            Ok(match r.sz_filter_passed {
                Some(b) => units::format_sz(I(b), raw(c)),
                None => "N/A".to_string(),
            })
        },
    ),
    kw(
        "<box>",
        "a box drawing the region (see --region_box_values)",
        |_, r, _, c| c.boxes.context("no region boxes")?.draw(r),
    ),
];

/// The access rate of a region, in percent.
pub fn percent(r: &Region) -> Result<Num> {
    r.nr_accesses
        .as_ref()
        .and_then(|n| n.percent)
        .with_context(|| format!("region {}-{} has no access rate", r.start, r.end))
}

/// The age of a region, in microseconds.
pub fn age_us(r: &Region) -> Result<Num> {
    r.age
        .usec
        .with_context(|| format!("region {}-{} has no age", r.start, r.end))
}

/// The snapshot's sampling and aggregation intervals in microseconds,
/// inferred from its duration when the intervals are auto-tuned.
pub fn intervals_us(s: &Snapshot, iv: &Intervals) -> Result<[Num; 2]> {
    if !iv.goal.enabled() {
        return Ok([iv.sample, iv.aggr]);
    }
    let ratio = iv.aggr.div(iv.sample);
    if let Some(sample) = s.sample_interval_us {
        return Ok([sample, sample.mul(ratio)]);
    }
    let snap_aggr = s.end_time.sub(s.start()?).div(I(1000));
    let rec_aggr = iv.aggr;
    let err = snap_aggr.sub(rec_aggr);
    let err = if err < I(0) { err.neg() } else { err };
    if err.div(rec_aggr) < F(0.1) {
        return Ok([iv.sample, rec_aggr]);
    }
    Ok([snap_aggr.div(ratio), snap_aggr])
}

pub fn aggr_us(s: &Snapshot, iv: &Intervals) -> Result<Num> {
    Ok(intervals_us(s, iv)?[1])
}

fn mem_bw(s: &Snapshot, c: &RecordCtx, passed_only: bool) -> Result<String> {
    let mut bytes = I(0);
    for r in &s.regions {
        let sz = if passed_only {
            I(r.sz_filter_passed
                .context("a region has no filter-passed size")?)
        } else {
            I(r.size())
        };
        bytes = bytes.add(sz.mul(r.samples()?));
    }
    let secs = aggr_us(s, c.iv)?.div(I(1_000_000));
    Ok(format!(
        "{} per second",
        units::format_sz(bytes.div(secs), raw(c))
    ))
}

/// A piece of a compiled template.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(String),
    Kw(usize),
}

/// A template split into literal text and keywords of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    toks: Vec<Tok>,
    nr_keywords: usize,
}

/// `<name>` tokens of `text` that look like keywords: lower-case words,
/// digits, spaces, `-` and `_` between angle brackets.
fn keyword_like(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(['>', '<']) else {
            break;
        };
        if after.as_bytes()[close] == b'>' {
            let inner = &after[..close];
            if inner.starts_with(|c: char| c.is_ascii_lowercase())
                && !inner.ends_with(' ')
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b" -_".contains(&b))
            {
                found.push(&rest[open..open + close + 2]);
            }
        }
        rest = &after[close..];
    }
    found
}

/// Checks a user-written template against `table`: a `<word>` that is not
/// one of its keywords is an error listing the valid ones.
pub fn check_user_template<F>(text: &str, area: &str, table: &[Keyword<F>]) -> Result<()> {
    for word in keyword_like(text) {
        if !table.iter().any(|k| k.name == word) {
            let valid: Vec<&str> = table.iter().map(|k| k.name).collect();
            bail!(
                "unknown keyword {word} in the {area} format; valid {area} keywords: {}",
                valid.join(", ")
            );
        }
    }
    Ok(())
}

impl Template {
    /// Splits `text` at the keywords of `table`; `\n` (backslash, n) in the
    /// text becomes a line break, as in damo.
    pub fn compile<F>(text: &str, table: &[Keyword<F>]) -> Template {
        let mut toks = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        'scan: while i < text.len() {
            if text.as_bytes()[i] == b'<' {
                for (k, kwd) in table.iter().enumerate() {
                    if text[i..].starts_with(kwd.name) {
                        if !lit.is_empty() {
                            toks.push(Tok::Lit(std::mem::take(&mut lit).replace("\\n", "\n")));
                        }
                        toks.push(Tok::Kw(k));
                        i += kwd.name.len();
                        continue 'scan;
                    }
                }
            }
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            lit.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
        if !lit.is_empty() {
            toks.push(Tok::Lit(lit.replace("\\n", "\n")));
        }
        Template {
            toks,
            nr_keywords: table.len(),
        }
    }

    /// An empty template prints nothing (not even an empty line).
    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    /// Whether the template uses keyword `name` of its table.
    pub fn uses<F>(&self, table: &[Keyword<F>], name: &str) -> bool {
        self.toks
            .iter()
            .any(|t| matches!(t, Tok::Kw(k) if table[*k].name == name))
    }

    /// Fills in the template; each keyword is computed once, by `value`,
    /// and padded to the `--min_chars_for` width of its keyword.
    pub fn expand<F>(
        &self,
        table: &[Keyword<F>],
        fmt: &ReportFormat,
        mut value: impl FnMut(&F) -> Result<String>,
    ) -> Result<String> {
        let mut cache: Vec<Option<String>> = vec![None; self.nr_keywords];
        let mut out = String::new();
        for t in &self.toks {
            match t {
                Tok::Lit(s) => out.push_str(s),
                Tok::Kw(k) => {
                    if cache[*k].is_none() {
                        let kwd = &table[*k];
                        let mut txt = value(&kwd.value)?;
                        if let Some(n) = fmt.min_chars(kwd.name) {
                            let len = txt.chars().count();
                            if len < n {
                                txt.extend(std::iter::repeat_n(' ', n - len));
                            }
                        }
                        // damo turns `\n` into line breaks after filling in
                        // keywords, so inserted text (<format strings>) too.
                        if txt.contains("\\n") {
                            txt = txt.replace("\\n", "\n");
                        }
                        cache[*k] = Some(txt);
                    }
                    out.push_str(cache[*k].as_deref().unwrap_or_default());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_splits_at_keywords_only() {
        let t = Template::compile("<index> addr <start address>\\n<nope> <size>", REGION);
        assert_eq!(
            t.toks,
            vec![
                Tok::Kw(0),
                Tok::Lit(" addr ".into()),
                Tok::Kw(1),
                Tok::Lit("\n<nope> ".into()),
                Tok::Kw(3)
            ]
        );
        assert!(t.uses(REGION, "<size>"));
        assert!(!t.uses(REGION, "<box>"));
        assert!(Template::compile("", REGION).is_empty());
    }

    #[test]
    fn unknown_keywords_are_named() {
        assert!(check_user_template("<index> <size> 1 < 2 > 0", "region", REGION).is_ok());
        let e = check_user_template("x <sise>", "region", REGION).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("<sise>") && msg.contains("<start address>"),
            "{msg}"
        );
        assert!(check_user_template("<heatmap>", "region", REGION).is_err());
        assert!(check_user_template("<heatmap>", "snapshot head", SNAPSHOT).is_ok());
    }

    #[test]
    fn keywords_are_unique_per_table() {
        for names in [
            RECORD.iter().map(|k| k.name).collect::<Vec<_>>(),
            SNAPSHOT.iter().map(|k| k.name).collect(),
            REGION.iter().map(|k| k.name).collect(),
        ] {
            let mut sorted = names.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len());
        }
    }
}
