//! `report attrs`: the results of DAMON's data attribute monitoring (the
//! probes of Linux 7.2+; experimental in damo 3.4.3).  It is `report
//! access` with probe hits where access rates were: a region's temperature
//! is the weighted sum of its probe hits (the weights are its context's
//! probes'), its age and its size; it is idle while no probe hit it.  The
//! probes come from the DAMON parameters the record was made with (the
//! `.kdamonds` file `damo record` writes beside it), or from the running
//! kdamonds for a live snapshot.
//!
//! The keyword engine, the heatmap and the distributions are `report
//! access`'s ([`super::access`]); this module has the keyword tables, the
//! default templates, the region order and `--adjust_region`.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{Context as _, Result, bail};

use super::Kernel;
use super::access::format::{AREAS, ReportFormat, min_chars_list};
use super::access::keywords::{
    self, Keyword, RecordCtx, RegionFn, SnapshotFn, Template, aggr_us, attrs_temperature,
    probe_hits_wsum, raw,
};
use super::access::{RawForm, RecordInfo, SurveySink, keyword_list};
use crate::cli::conv::Choice;
use crate::cli::opts::{ReportAttrs, Style};
use crate::damon::model::{Context as DamonCtx, Kdamond};
use crate::fmt::pynum::{F, I, Num};
use crate::fmt::{self as units};
use crate::output::PagedOut;
use crate::record::filter::{Filtered, RecordFilter, add_unset_units};
use crate::record::spool::Source;
use crate::record::write::JsonWriter;
use crate::record::{RecordFiles, RecordMeta, Region, Sink, Snapshot};

const RECORD_HEAD: usize = 0;
const SNAPSHOT_HEAD: usize = 1;
const REGION: usize = 2;
const SNAPSHOT_TAIL: usize = 3;
const RECORD_TAIL: usize = 4;

/// `report access`'s keywords that `report attrs` has too, by name.
fn shared<F: Copy>(table: &[Keyword<F>], names: &[&str]) -> Vec<Keyword<F>> {
    names
        .iter()
        .filter_map(|n| table.iter().find(|k| k.name == *n).copied())
        .collect()
}

/// Keywords of the snapshot head and tail.
static SNAPSHOT: LazyLock<Vec<Keyword<SnapshotFn>>> = LazyLock::new(|| {
    let mut v = vec![keywords::kw(
        "<probes>",
        "the data attribute probes of the record's DAMON context",
        probes_text as SnapshotFn,
    )];
    v.extend(shared(
        keywords::SNAPSHOT,
        &[
            "<total bytes>",
            "<duration>",
            "<start time>",
            "<end time>",
            "<abs start time>",
            "<abs end time>",
            "<number of regions>",
            "<temperature-sz histogram>",
            "<recency-sz histogram>",
            "<recency percentiles>",
            "<temperature percentiles>",
            "<heatmap>",
            "<filters passed type>",
            "<filters passed bytes>",
            "<estimated memory bandwidth>",
            "<filters passed estimated memory bandwidth>",
            "<intervals tuning status>",
            "<damos stats>",
        ],
    ));
    v.push(keywords::kw(
        "<snapshot intervals>",
        "the snapshot's (possibly auto-tuned) intervals and the most hits a probe can have",
        snapshot_intervals as SnapshotFn,
    ));
    v
});

/// Keywords of the per-region line.
static REGION_KW: LazyLock<Vec<Keyword<RegionFn>>> = LazyLock::new(|| {
    shared(
        keywords::REGION,
        &[
            "<index>",
            "<start address>",
            "<end address>",
            "<size>",
            "<age>",
            "<temperature>",
            "<probe hits>",
            "<filters passed bytes>",
        ],
    )
});

fn probes_text(_: &Snapshot, c: &RecordCtx) -> Result<String> {
    let lines = c
        .damon_ctx
        .map(|d| d.probes_lines(raw(c)))
        .unwrap_or_default();
    Ok(if lines.is_empty() {
        "No probe".to_string()
    } else {
        lines.join("\n")
    })
}

fn snapshot_intervals(s: &Snapshot, c: &RecordCtx) -> Result<String> {
    let ratio = c.iv.aggr.floordiv(c.iv.sample);
    if ratio.is_zero() {
        bail!("the record's aggregation interval is shorter than its sampling interval");
    }
    let aggr = aggr_us(s, c.iv)?;
    let r = raw(c);
    Ok(format!(
        "sample {} aggr {} (max probe hits {})",
        units::format_time_us(aggr.div(ratio), r),
        units::format_time_us(aggr, r),
        units::format_nr(ratio, r)
    ))
}

/// damo's default `--min_chars_for` entries of `report attrs`.
const MIN_CHARS: [(&str, usize); 7] = [
    ("<index>", 3),
    ("<start address>", 12),
    ("<end address>", 11),
    ("<size>", 11),
    ("<age>", 13),
    ("<filters passed bytes>", 11),
    ("<filters passed type>", 10),
];

/// Where the records come from.
enum Input {
    /// Record files, each with the kdamonds file beside it; `true` when
    /// `damon.data` was taken by default.
    Files(Vec<PathBuf>, bool),
    /// The running kdamonds: a snapshot, or the tried regions of schemes.
    Live(Option<Vec<[usize; 3]>>),
}

fn input_source(args: &ReportAttrs) -> Result<Input> {
    let mut files = Vec::new();
    let mut tried = Vec::new();
    for i in &args.input {
        let i: Vec<&str> = i.iter().map(String::as_str).collect();
        match i.as_slice() {
            ["tried_regions_of", rest @ ..] => {
                if rest.len() != 3 {
                    bail!(
                        "--input handling failed (wrong number of args for tried_regions_of): \
                         give tried_regions_of <kdamond idx> <context idx> <scheme idx>"
                    );
                }
                let idx: Vec<usize> = rest.iter().filter_map(|x| x.parse().ok()).collect();
                match idx.as_slice() {
                    [k, c, s] => tried.push([*k, *c, *s]),
                    _ => bail!("--input handling failed (tried_regions_of should get only ints)"),
                }
            }
            [f] if Path::new(f).is_file() => files.push(PathBuf::from(f)),
            [f] => bail!("--input handling failed: {f} is not a record file"),
            _ => bail!(
                "--input handling failed (unsupported input); give one record file per --input"
            ),
        }
    }
    if !tried.is_empty() {
        return Ok(Input::Live(Some(tried)));
    }
    if !files.is_empty() {
        return Ok(Input::Files(files, false));
    }
    if crate::sysfs::Sysfs::open().is_ok_and(|fs| fs.damon_running()) {
        return Ok(Input::Live(None));
    }
    if Path::new("damon.data").is_file() {
        return Ok(Input::Files(vec![PathBuf::from("damon.data")], true));
    }
    bail!(
        "no record to show: no kdamond is running and there is no damon.data; start DAMON \
         ('damo start') or give a record file with --input"
    )
}

/// The DAMON parameters saved beside a record file.
fn sidecar_kdamonds(file: &Path) -> Result<Vec<Kdamond>> {
    let mut side = file.as_os_str().to_owned();
    side.push(".kdamonds");
    let side = PathBuf::from(side);
    if !side.is_file() {
        bail!(
            "{} file not found: 'report attrs' needs the DAMON parameters 'damo record' saves \
             beside the record (the probes and their weights)",
            side.display()
        );
    }
    crate::damon::input::kdamonds_from_sidecar(&side)
}

/// One source of records with the kdamonds that made them (damo's
/// `DamoRecord`).
struct DamoRecord {
    records: RecordFiles,
    kdamonds: Vec<Kdamond>,
}

/// The DAMON context a record names.
fn damon_ctx_of<'a>(kdamonds: &'a [Kdamond], meta: &RecordMeta) -> Result<&'a DamonCtx> {
    let (Some(k), Some(c)) = (meta.kdamond_idx, meta.context_idx) else {
        bail!("a record names no kdamond and context, so its probes are unknown");
    };
    usize::try_from(k)
        .ok()
        .and_then(|k| kdamonds.get(k))
        .and_then(|kd| usize::try_from(c).ok().and_then(|c| kd.contexts.get(c)))
        .with_context(|| {
            format!(
                "a record names kdamond {k} context {c}, which its DAMON parameters do not \
                 have ({} kdamond(s))",
                kdamonds.len()
            )
        })
}

/// `--sort_regions_by`: (field, descending) pairs, or an error.
fn sort_fields(option: &Option<Vec<String>>) -> Result<Vec<(String, bool)>> {
    const KEYS: [&str; 5] = ["address", "probe_hits_wsum", "age", "size", "temperature"];
    let Some(words) = option else {
        return Ok(vec![("temperature".to_string(), false)]);
    };
    let mut fields: Vec<(String, bool)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if KEYS.contains(&w.as_str()) {
            fields.push((w.clone(), false));
        } else if w == "reverse" {
            match fields.last_mut() {
                Some(last) if i > 0 && KEYS.contains(&words[i - 1].as_str()) => last.1 = true,
                _ => {
                    bail!("invalid --sort_regions_by (\"reverse\" at unexpected position ({i}-th))")
                }
            }
        } else {
            bail!(
                "invalid --sort_regions_by (unsupported input ({w})): give {} (each may be \
                 followed by reverse)",
                KEYS.join(", ")
            );
        }
    }
    Ok(fields)
}

/// The order to show regions in: stable sorts by each field in turn.
fn region_order(
    regions: &[Region],
    fields: &[(String, bool)],
    c: &RecordCtx,
) -> Result<Vec<usize>> {
    let probes = c.probes().unwrap_or_default();
    let w = c.fmt.temperature_weights;
    let mut order: Vec<usize> = (0..regions.len()).collect();
    for (field, dsc) in fields {
        let keys: Vec<Num> = regions
            .iter()
            .map(|r| {
                Ok(match field.as_str() {
                    "probe_hits_wsum" => probe_hits_wsum(r, probes)?,
                    "age" => keywords::age_us(r)?,
                    "size" => I(r.size()),
                    "temperature" => attrs_temperature(r, I(r.size()), probes, w)?,
                    _ => I(r.start),
                })
            })
            .collect::<Result<_>>()?;
        let cmp = |a: &usize, b: &usize| {
            keys[*a]
                .partial_cmp(&keys[*b])
                .unwrap_or(std::cmp::Ordering::Equal)
        };
        if *dsc {
            order.sort_by(|a, b| cmp(b, a));
        } else {
            order.sort_by(cmp);
        }
    }
    Ok(order)
}

/// One `--adjust_region` rule: `<size|probe_hits> [probe idx]
/// <df_passed|probe_hits_rate> [probe idx]`.
fn adjust_one(r: &mut Region, rule: &[String], max_hits: Num) -> Result<()> {
    if !(2..=4).contains(&rule.len()) {
        bail!("wrong number of fields ({})", rule.len());
    }
    let idx = |text: &str, what: &str, len: usize| -> Result<usize> {
        let i: usize = text
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| text.parse().ok())
            .flatten()
            .with_context(|| format!("{what} is not number"))?;
        if i >= len {
            bail!("{what} >= {len}");
        }
        Ok(i)
    };
    let hit_rate = |r: &Region, i: usize| -> Num {
        r.probe_hits.get(i).copied().unwrap_or(I(0)).div(max_hits)
    };
    let nr_hits = r.probe_hits.len();
    match rule[0].as_str() {
        "size" => {
            let rest = &rule[1..];
            if !(1..=2).contains(&rest.len()) {
                bail!("wrong number of size adjustment fields ({})", rest.len());
            }
            let new_size = match rest[0].as_str() {
                "df_passed" => r.sz_filter_passed.context("No DAMOS filter?")?,
                "probe_hits_rate" => {
                    let i = idx(rest.get(1).context("no probe idx")?, "probe idx", nr_hits)?;
                    // a region ends at a whole byte (damo keeps the fraction)
                    F(I(r.size()).mul(hit_rate(r, i)).f().round()).trunc()
                }
                other => bail!("unknown size adjustment '{other}': df_passed or probe_hits_rate"),
            };
            r.end = r.start + new_size;
        }
        "probe_hits" => {
            let rest = &rule[1..];
            if !(2..=3).contains(&rest.len()) {
                bail!(
                    "wrong number of probe hits adjustment fields ({})",
                    rest.len()
                );
            }
            let dst = idx(&rest[0], "dst probe idx", nr_hits)?;
            let rate = match rest[1].as_str() {
                "df_passed" => {
                    let passed = r.sz_filter_passed.context("No DAMOS filter?")?;
                    I(passed).div(I(r.size()))
                }
                "probe_hits_rate" => {
                    let src = idx(
                        rest.get(2).context("no src probe idx")?,
                        "src probe idx",
                        nr_hits,
                    )?;
                    hit_rate(r, src)
                }
                other => {
                    bail!("unknown probe hits adjustment '{other}': df_passed or probe_hits_rate")
                }
            };
            if let Some(h) = r.probe_hits.get_mut(dst) {
                *h = h.mul(rate);
            }
        }
        // damo skips rules for other fields
        _ => return Ok(()),
    }
    Ok(())
}

/// A sink that applies `--adjust_region` to each region on the way (the
/// first size or probe_hits rule of the list, as damo).
struct Adjust<'a, S> {
    inner: &'a mut S,
    rules: &'a [Vec<String>],
    /// The kdamonds of each source, and how many records each has.
    kdamonds: &'a [Vec<Kdamond>],
    nr_records: &'a [usize],
    record: usize,
    max_hits: Num,
}

impl<S: Sink> Adjust<'_, S> {
    fn source_of(&self, record: usize) -> usize {
        let mut n = 0;
        for (i, nr) in self.nr_records.iter().enumerate() {
            n += nr;
            if record < n {
                return i;
            }
        }
        self.nr_records.len().saturating_sub(1)
    }
}

impl<S: Sink> Sink for Adjust<'_, S> {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        let src = self.source_of(self.record);
        self.record += 1;
        if !self.rules.is_empty() {
            let kdamonds = self.kdamonds.get(src).map_or(&[][..], Vec::as_slice);
            let iv = &damon_ctx_of(kdamonds, meta)?.intervals;
            self.max_hits = iv.aggr.div(iv.sample);
        }
        self.inner.record_start(meta)
    }

    fn snapshot(&mut self, meta: &RecordMeta, mut s: Snapshot) -> Result<()> {
        for r in &mut s.regions {
            for rule in self.rules {
                if rule
                    .first()
                    .is_some_and(|f| f == "size" || f == "probe_hits")
                    || !(2..=4).contains(&rule.len())
                {
                    adjust_one(r, rule, self.max_hits)
                        .map_err(|e| anyhow::anyhow!("--adjust_region fail ({e})"))?;
                    break;
                }
            }
        }
        self.inner.snapshot(meta, s)
    }

    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        self.inner.record_end(meta)
    }
}

/// The report format of `report attrs`: `report access`'s structure with
/// this report's weights, widths and templates.
fn report_format(args: &ReportAttrs) -> Result<ReportFormat> {
    let temperature_weights = match args.temperature_weights.as_slice() {
        &[a, b, c] => [I(a.into()), I(b.into()), I(c.into())],
        _ => [I(100), I(100), I(0)],
    };
    let min_chars_for = min_chars_list(&MIN_CHARS, &args.min_chars_for);
    Ok(ReportFormat {
        sort_regions_by: Vec::new(),
        sort_regions_dsc: None,
        temperature_weights,
        hist_logscale: args.hist_logscale,
        hist_cumulate: args.hist_cumulate,
        hist_ranges: args.hist_ranges.clone(),
        percentiles_range: args.percentiles_range.clone(),
        templates: Default::default(),
        heatmap_width: args.snapshot_heatmap_width,
        heatmap_colorset: args.snapshot_heatmap_colorset.as_str().to_string(),
        heatmap_static: args.snapshot_heatmap_static,
        region_box: false,
        box_values: Default::default(),
        box_min_max_length: [1, 30],
        box_min_max_height: [1, 5],
        box_colorset: "gray".into(),
        box_log: [false; 3],
        box_align_right: false,
        min_chars_for,
        raw_number: args.raw_number,
    })
}

/// What the first pass learned, for the default templates.
struct Survey {
    nr_records: usize,
    multiple_snapshots: bool,
    /// Some record's scheme had DAMOS filters (of any kind).
    filters: bool,
    intervals_goal: bool,
    damon_stat_source: bool,
}

fn survey_of(infos: &[RecordInfo]) -> Survey {
    Survey {
        nr_records: infos.len(),
        multiple_snapshots: infos.iter().any(|i| i.nr_snapshots > 1),
        filters: infos.iter().any(|i| !i.filters.is_empty()),
        intervals_goal: infos.iter().any(|i| {
            i.meta
                .intervals
                .as_ref()
                .is_some_and(|iv| iv.goal.enabled())
        }),
        damon_stat_source: infos.iter().any(|i| i.meta.data_source == "damon_stat"),
    }
}

/// The region legend line of the default snapshot head.
fn legend_line(fmt: &ReportFormat, filters: bool) -> String {
    let w = |k: &str| fmt.min_chars(k).unwrap_or(0);
    let pad = |n: usize, used: usize| " ".repeat((n + 2).saturating_sub(used));
    let mut l = format!("#{}size{}", " ".repeat(w("<index>")), pad(w("<size>"), 4));
    l.push_str(&format!("address{}", pad(w("<start address>"), 7)));
    if filters {
        l.push_str(&format!("df-passed{}", pad(w("<filters passed bytes>"), 9)));
    }
    l.push_str(&format!(
        "age{}probe_hits",
        " ".repeat((w("<age>") + 1).saturating_sub(3))
    ));
    l
}

/// `--format`, `--style`, `--total_sz_only` and the defaults, in damo's
/// order.
fn set_templates(fmt: &mut ReportFormat, args: &ReportAttrs, sv: &Survey) -> Result<()> {
    let mut appends = Vec::new();
    for f in &args.format {
        let [action, area, text] = f.as_slice() else {
            bail!(
                "format setting failed (wrong nr of --format option ({})): give <set|append> \
                 <area> <format string>",
                f.join(" ")
            );
        };
        let Some(idx) = AREAS.iter().position(|a| a == area) else {
            bail!(
                "format setting failed (wrong --format target area ({area})): give one of {}",
                AREAS.join(", ")
            );
        };
        let area_name = area.replace('_', " ");
        match idx {
            RECORD_HEAD | RECORD_TAIL => {
                keywords::check_user_template(text, &area_name, keywords::RECORD)?
            }
            REGION => keywords::check_user_template(text, &area_name, &REGION_KW)?,
            _ => keywords::check_user_template(text, &area_name, &SNAPSHOT)?,
        }
        match action.as_str() {
            "set" => fmt.templates[idx] = Some(text.clone()),
            "append" => appends.push((idx, text.clone())),
            _ => bail!("format setting failed (wrong --format action ({action})): set or append"),
        }
    }
    let t = &mut fmt.templates;
    match args.style {
        Style::TemperatureSzHist => {
            t[SNAPSHOT_HEAD] =
                Some("<temperature> <total size>\n<temperature-sz histogram>".into());
            t[REGION] = Some(String::new());
        }
        Style::RecencySzHist | Style::ColdMemoryTail => {
            t[SNAPSHOT_HEAD] = Some("<idle time (us)> <total size>\n<recency-sz histogram>".into());
            t[REGION] = Some(String::new());
        }
        Style::RecencyPercentiles | Style::IdleTimePercentiles | Style::TemperaturePercentiles => {
            let mut head = Vec::new();
            if sv.multiple_snapshots {
                head.push("snapshot time: [<start time>, <end time>] (<duration>)");
            }
            if args.style == Style::TemperaturePercentiles {
                head.extend([
                    "# total temperature percentiles",
                    "<temperature percentiles>",
                ]);
            } else {
                head.extend(["# total recency percentiles", "<recency percentiles>"]);
            }
            t[SNAPSHOT_HEAD] = Some(head.join("\n"));
            t[REGION] = Some(String::new());
        }
        _ => {}
    }
    if args.total_sz_only {
        t[SNAPSHOT_HEAD] = Some(String::new());
        t[REGION] = Some(String::new());
        t[SNAPSHOT_TAIL] = Some("<total bytes>".into());
    }
    if t[RECORD_HEAD].is_none() {
        t[RECORD_HEAD] = Some(if sv.nr_records > 1 {
            "kdamond <kdamond index> / context <context index> / scheme <scheme index> / \
             target id <target id> / recorded for <duration> from <abs start time>"
                .into()
        } else {
            String::new()
        });
    }
    if t[RECORD_TAIL].is_none() {
        let mut lines = vec!["record DAMON intervals: <intervals>"];
        if sv.intervals_goal {
            lines.push("# <intervals goal>");
        }
        if sv.damon_stat_source {
            lines.push("# data source: <data source>");
        }
        t[RECORD_TAIL] = Some(lines.join("\n"));
    }
    let region_unset = t[REGION].is_none();
    if t[SNAPSHOT_HEAD].is_none() {
        let mut lines = Vec::new();
        if sv.multiple_snapshots {
            lines.push("snapshot time: [<start time>, <end time>] (<duration>)".to_string());
        }
        lines.push("heatmap: <heatmap>".into());
        lines.push("<probes>".into());
        lines.push("intervals: <snapshot intervals>".into());
        if sv.filters {
            lines.push("# damos filters (df): <filters passed type>".into());
        }
        if region_unset {
            lines.push(legend_line(fmt, sv.filters));
        }
        fmt.templates[SNAPSHOT_HEAD] = Some(lines.join("\n"));
    }
    let t = &mut fmt.templates;
    if t[SNAPSHOT_TAIL].is_none() {
        let mut tail = if sv.filters {
            "memory bw estimate: <estimated memory bandwidth>  df-passed: <filters passed \
             estimated memory bandwidth>\ntotal size: <total bytes>  df-passed <filters passed \
             bytes>"
                .to_string()
        } else {
            "memory bw estimate: <estimated memory bandwidth>\ntotal size: <total bytes>".into()
        };
        if sv.filters {
            tail.push_str("\nscheme stats\n<damos stats>");
        }
        t[SNAPSHOT_TAIL] = Some(tail);
    }
    if region_unset {
        let mut region = "<index> <size>  <start address>".to_string();
        if sv.filters {
            region.push_str("  <filters passed bytes>");
        }
        region.push_str("  <age> <probe hits>");
        t[REGION] = Some(region);
    }
    for (idx, text) in appends {
        if let Some(t) = &mut fmt.templates[idx] {
            t.push_str(&text);
        }
    }
    Ok(())
}

struct Templates {
    record_head: Template,
    snapshot_head: Template,
    region: Template,
    snapshot_tail: Template,
    record_tail: Template,
}

fn compile(fmt: &ReportFormat) -> Templates {
    let text = |i: usize| fmt.templates[i].as_deref().unwrap_or_default();
    Templates {
        record_head: Template::compile(text(RECORD_HEAD), keywords::RECORD),
        snapshot_head: Template::compile(text(SNAPSHOT_HEAD), &SNAPSHOT),
        region: Template::compile(text(REGION), &REGION_KW),
        snapshot_tail: Template::compile(text(SNAPSHOT_TAIL), &SNAPSHOT),
        record_tail: Template::compile(text(RECORD_TAIL), keywords::RECORD),
    }
}

/// The second pass: renders through the templates.
struct Render<'a> {
    fmt: &'a ReportFormat,
    tpl: &'a Templates,
    infos: &'a [RecordInfo],
    /// The DAMON context of each record.
    ctxs: &'a [DamonCtx],
    sort: &'a [(String, bool)],
    out: &'a mut PagedOut,
    record: usize,
    sidx: usize,
    total_sz_only: bool,
}

impl Render<'_> {
    fn ctx(&self) -> Result<RecordCtx<'_>> {
        let i = self
            .record
            .checked_sub(1)
            .context("a snapshot outside a record")?;
        let info = self
            .infos
            .get(i)
            .context("the record changed between reads")?;
        Ok(RecordCtx {
            fmt: self.fmt,
            meta: &info.meta,
            iv: info
                .meta
                .intervals
                .as_ref()
                .context("some records lack the intervals information")?,
            filters: &info.filters,
            first_start: info.first_start,
            last_end: info.last_end,
            boxes: None,
            damon_ctx: self.ctxs.get(i),
        })
    }

    fn record_piece(&mut self, head: bool) -> Result<()> {
        let t = if head {
            &self.tpl.record_head
        } else {
            &self.tpl.record_tail
        };
        if t.is_empty() {
            return Ok(());
        }
        let text = {
            let c = self.ctx()?;
            t.expand(keywords::RECORD, self.fmt, |f| f(&c))?
        };
        self.out.piece(&text)
    }
}

impl Sink for Render<'_> {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.record += 1;
        self.sidx = 0;
        self.record_piece(true)
    }

    fn snapshot(&mut self, _meta: &RecordMeta, mut s: Snapshot) -> Result<()> {
        let mut pieces: Vec<String> = Vec::new();
        let nr_snapshots;
        {
            let c = self.ctx()?;
            nr_snapshots = self.infos[self.record - 1].nr_snapshots;
            for r in &mut s.regions {
                add_unset_units(r, c.iv)?;
            }
            let snapshot_piece = |t: &Template| -> Result<Option<String>> {
                if t.is_empty() {
                    return Ok(None);
                }
                t.expand(&SNAPSHOT, self.fmt, |f| f(&s, &c)).map(Some)
            };
            pieces.extend(snapshot_piece(&self.tpl.snapshot_head)?);
            if !self.tpl.region.is_empty() {
                for (idx, &i) in region_order(&s.regions, self.sort, &c)?.iter().enumerate() {
                    let r = &s.regions[i];
                    pieces.push(
                        self.tpl
                            .region
                            .expand(&REGION_KW, self.fmt, |f| f(idx, r, &s, &c))?,
                    );
                }
            }
            pieces.extend(snapshot_piece(&self.tpl.snapshot_tail)?);
        }
        for p in &pieces {
            self.out.piece(p)?;
        }
        self.sidx += 1;
        if self.sidx < nr_snapshots && !self.total_sz_only {
            self.out.piece("")?;
        }
        Ok(())
    }

    fn record_end(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.record_piece(false)
    }
}

/// `report attrs`; `kernel` opens the DAMON interface for a live snapshot
/// (when no record is given).
pub fn main(args: &ReportAttrs, kernel: Kernel) -> Result<()> {
    if args.ls_record_format_keywords {
        return crate::output::print(&keyword_list(keywords::RECORD));
    }
    if args.ls_snapshot_format_keywords {
        return crate::output::print(&keyword_list(&SNAPSHOT));
    }
    if args.ls_region_format_keywords {
        return crate::output::print(&keyword_list(&REGION_KW));
    }
    if args.exec.is_some() {
        bail!(
            "--exec runs Python code on damo's record objects; this damo has no Python (export \
             the records with 'damo report attrs --json' and process that instead)"
        );
    }
    let repeat = args.repeat.map(|r| (r.delay, r.count));
    let sort = sort_fields(&args.sort_regions_by)?;
    let filter = RecordFilter::from_opts(&args.access_filter, Some(&args.temperature_weights))?;
    let source = input_source(args)?;
    let tmp_dir = crate::outfile::TempDir::new("damo-snapshot-")?;
    let tmp = tmp_dir.path().join("snapshot.json");
    let (delay, count) = repeat.unwrap_or((std::time::Duration::ZERO, 1));
    let mut done: i128 = 0;
    while count < 0 || done < count {
        let (sources, shown) = match &source {
            Input::Files(files, defaulted) => {
                let mut v = Vec::new();
                for f in files {
                    let kdamonds = sidecar_kdamonds(f)?;
                    let records = RecordFiles::new(std::slice::from_ref(f));
                    records.check()?;
                    v.push(DamoRecord { records, kdamonds });
                }
                let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                let shown = if *defaulted {
                    names.join("")
                } else {
                    format!("['{}']", names.join("', '"))
                };
                (v, shown)
            }
            Input::Live(tried) => {
                let kdamonds = live_records(args, kernel, tried, &tmp)?;
                let records = RecordFiles::new(std::slice::from_ref(&tmp));
                (vec![DamoRecord { records, kdamonds }], "None".to_string())
            }
        };
        let r = show(args, &sources, &filter, &sort, &shown, repeat.is_some());
        if let Input::Live(_) = source {
            let _ = std::fs::remove_file(&tmp);
        }
        r?;
        done += 1;
        std::thread::sleep(delay);
    }
    Ok(())
}

/// Takes a live snapshot (or the tried regions of given schemes) into a
/// temporary record file; returns the running kdamonds' parameters.
fn live_records(
    args: &ReportAttrs,
    kernel: Kernel,
    tried: &Option<Vec<[usize; 3]>>,
    tmp: &Path,
) -> Result<Vec<Kdamond>> {
    let fs = kernel()?;
    let merge = !args.dont_merge_regions;
    let records = match tried {
        Some(idxs) => crate::live::tried_regions_of(&fs, idxs, merge, false)?,
        None => {
            let filter =
                RecordFilter::from_opts(&args.access_filter, Some(&args.temperature_weights))?;
            let extra = crate::damon::args::snapshot_damos_filters(&args.snapshot_damos_filter)?;
            let monitor = crate::live::monitor_scheme(&fs, &filter, extra);
            crate::live::snapshot(&fs, monitor, merge, false)?
        }
    };
    let r = crate::record::write::FileWriter::write_records(
        tmp,
        crate::record::Format::Json,
        records,
        None,
    );
    if r.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    r?;
    fs.current_kdamonds()
}

/// Reads every source through `sink`, adjusting regions on the way.
fn read_all<S: Sink>(
    sources: &[DamoRecord],
    filter: &RecordFilter,
    rules: &[Vec<String>],
    nr_records: &[usize],
    sink: &mut S,
) -> Result<()> {
    let kdamonds: Vec<Vec<Kdamond>> = sources.iter().map(|s| s.kdamonds.clone()).collect();
    let mut adjust = Adjust {
        inner: sink,
        rules,
        kdamonds: &kdamonds,
        nr_records,
        record: 0,
        max_hits: I(1),
    };
    for s in sources {
        Source::new(s.records.clone()).read(&mut Filtered::new(&mut adjust, filter.clone()))?;
    }
    Ok(())
}

fn show(
    args: &ReportAttrs,
    sources: &[DamoRecord],
    filter: &RecordFilter,
    sort: &[(String, bool)],
    shown: &str,
    no_pager: bool,
) -> Result<()> {
    // the survey also counts each source's records, for the adjustments
    let mut survey = SurveySink::default();
    let mut nr_records = Vec::new();
    for s in sources {
        let before = survey.infos.len();
        Source::new(s.records.clone()).read(&mut Filtered::new(&mut survey, filter.clone()))?;
        nr_records.push(survey.infos.len() - before);
    }
    let rules = args.adjust_region.as_slice();
    if args.json {
        return json(args, sources, filter, rules, &nr_records);
    }
    if args.raw_form {
        let mut form = RawForm {
            raw: args.raw_number,
            probe_hits: true,
            lines: Vec::new(),
            base: None,
            records: 0,
            source_line: None,
        };
        read_all(sources, filter, rules, &nr_records, &mut form)?;
        form.lines.push(String::new());
        return crate::output::print_paged(&form.lines.join("\n"));
    }
    if survey.infos.is_empty() {
        return crate::output::print(&format!("No record in {shown}\n\n"));
    }
    if survey.infos.iter().any(|i| i.meta.intervals.is_none()) {
        bail!(
            "some records lack the monitoring intervals this report needs \
             (--raw_form and --json work without them)"
        );
    }
    // the DAMON context of each record, in reading order
    let mut ctxs = Vec::new();
    let mut infos = survey.infos.iter();
    for (s, n) in sources.iter().zip(&nr_records) {
        for info in infos.by_ref().take(*n) {
            ctxs.push(damon_ctx_of(&s.kdamonds, &info.meta)?.clone());
        }
    }
    let mut fmt = report_format(args)?;
    set_templates(&mut fmt, args, &survey_of(&survey.infos))?;
    let tpl = compile(&fmt);
    let mut out = if no_pager {
        PagedOut::unpaged()
    } else {
        PagedOut::new()
    };
    let mut render = Render {
        fmt: &fmt,
        tpl: &tpl,
        infos: &survey.infos,
        ctxs: &ctxs,
        sort,
        out: &mut out,
        record: 0,
        sidx: 0,
        total_sz_only: fmt.templates[SNAPSHOT_HEAD].as_deref() == Some("")
            && fmt.templates[REGION].as_deref() == Some("")
            && fmt.templates[SNAPSHOT_TAIL].as_deref() == Some("<total bytes>"),
    };
    read_all(sources, filter, rules, &nr_records, &mut render)?;
    out.finish()
}

/// `--json`: per source, the DAMON parameters and the records (damo's
/// `DamoRecord` list), human-readable numbers unless `--raw_number`.
fn json(
    args: &ReportAttrs,
    sources: &[DamoRecord],
    filter: &RecordFilter,
    rules: &[Vec<String>],
    nr_records: &[usize],
) -> Result<()> {
    use std::io::Write;
    let raw = args.raw_number;
    let mut out = PagedOut::new();
    if sources.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[\n")?;
    }
    for (i, s) in sources.iter().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        out.write_all(b"    {\n        \"damon_records\": {\n            \"kdamonds\": ")?;
        let kdamonds = crate::damon::js::Js::List(
            s.kdamonds
                .iter()
                .map(|k| k.to_js_full(raw, false, false))
                .collect(),
        );
        kdamonds.write(&mut out, 3)?;
        out.write_all(b",\n            \"record_list\": ")?;
        let mut writer = JsonWriter::nested(out, raw, 3);
        read_all(
            std::slice::from_ref(s),
            filter,
            rules,
            &nr_records[i..=i],
            &mut writer,
        )?;
        out = writer.finish()?;
        out.write_all(b"\n        }\n    }")?;
    }
    if !sources.is_empty() {
        out.write_all(b"\n]")?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shared_keyword_is_found() {
        assert_eq!(SNAPSHOT.len(), 20);
        assert_eq!(REGION_KW.len(), 8);
    }

    #[test]
    fn sort_fields_follow_damo() {
        let v = |w: &[&str]| Some(w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            sort_fields(&None).unwrap(),
            vec![("temperature".to_string(), false)]
        );
        assert_eq!(
            sort_fields(&v(&["age", "reverse", "size"])).unwrap(),
            vec![("age".to_string(), true), ("size".to_string(), false)]
        );
        assert!(sort_fields(&v(&["reverse"])).is_err());
        assert!(sort_fields(&v(&["age", "reverse", "reverse"])).is_err());
        assert!(sort_fields(&v(&["access_rate"])).is_err());
    }

    fn region(hits: Vec<i64>, passed: Option<i128>) -> Region {
        let hits = hits.into_iter().map(|h| I(i128::from(h))).collect();
        Region {
            start: 0,
            end: 1000,
            nr_accesses: None,
            age: crate::record::Age {
                usec: Some(I(0)),
                aggr_intervals: Some(I(0)),
            },
            probe_hits: hits,
            sz_filter_passed: passed,
        }
    }

    fn rule(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn adjustments_scale_size_and_hits() {
        let mut r = region(vec![5, 10], Some(250));
        adjust_one(&mut r, &rule(&["size", "df_passed"]), I(20)).unwrap();
        assert_eq!(r.size(), 250);
        let mut r = region(vec![5, 10], Some(250));
        adjust_one(&mut r, &rule(&["size", "probe_hits_rate", "1"]), I(20)).unwrap();
        assert_eq!(r.size(), 500);
        let mut r = region(vec![5, 10], Some(250));
        adjust_one(&mut r, &rule(&["probe_hits", "1", "df_passed"]), I(20)).unwrap();
        assert_eq!(r.probe_hits, vec![I(5), F(2.5)]);
        let mut r = region(vec![5, 10], None);
        let e = adjust_one(&mut r, &rule(&["size", "df_passed"]), I(20)).unwrap_err();
        assert_eq!(e.to_string(), "No DAMOS filter?");
        let e = adjust_one(&mut r, &rule(&["size", "probe_hits_rate", "2"]), I(20)).unwrap_err();
        assert_eq!(e.to_string(), "probe idx >= 2");
        let e = adjust_one(&mut r, &rule(&["size"]), I(20)).unwrap_err();
        assert_eq!(e.to_string(), "wrong number of fields (1)");
    }
}
