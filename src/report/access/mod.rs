//! `report access`: data access patterns of record files.
//!
//! Records are read twice (the second time from a compact spool): the
//! first pass surveys them (how many records and snapshots, DAMOS filters,
//! probe hits, the value ranges region boxes scale against), which decides
//! damo's default templates; the second renders each record, snapshot and
//! region through the compiled templates and streams the text out.  The
//! keywords are in [`keywords`], the options and templates in [`format`].

pub mod boxes;
pub mod dist;
pub mod format;
pub mod heat;
pub mod keywords;

use anyhow::{Context, Result, bail};

use super::Kernel;
use crate::cli::opts::{AccessFormat, ArgsAccessesFormat, OutputFormat, ReportAccess};
use crate::damon::damos::DamosFilter;
use crate::fmt::pynum::{I, Num};
use crate::fmt::{format_sz, format_time_ns};
use crate::output::PagedOut;
use crate::record::filter::{Filtered, RecordFilter, add_unset_units, temperature_of};
use crate::record::spool::Source;
use crate::record::write::JsonWriter;
use crate::record::{Intervals, RecordFiles, RecordMeta, Region, Sink, Snapshot};
use format::{ReportFormat, Survey, Templates};
use keywords::{Keyword, RecordCtx};

/// The files to read, from `--input` / `--input_file` (damo's
/// `handle_args_input`), or `damon.data` when it exists.
/// Where the records come from: files, or the running kdamonds (a live
/// snapshot, or the tried regions of given schemes).
enum Input {
    Files(Vec<String>, bool),
    Live(Option<Vec<[usize; 3]>>),
}

fn input_source(args: &ReportAccess) -> Result<Input> {
    let mut files: Vec<String> = Vec::new();
    let mut tried: Vec<[usize; 3]> = Vec::new();
    for i in &args.input {
        let i: Vec<&str> = i.iter().map(String::as_str).collect();
        match i.as_slice() {
            ["tried_regions_of", rest @ ..] => {
                let idx: Vec<usize> = rest.iter().filter_map(|x| x.parse().ok()).collect();
                match idx.as_slice() {
                    [k, c, s] if rest.len() == 3 => tried.push([*k, *c, *s]),
                    _ if rest.len() != 3 => {
                        bail!("--input handling failed (wrong number of args for tried_regions_of)")
                    }
                    _ => {
                        bail!("--input handling failed (tried_regions_of should get only ints)")
                    }
                }
            }
            [f] if std::path::Path::new(f).is_file() => files.push(f.to_string()),
            [f] => bail!("--input handling failed: {f} is not a record file"),
            _ => bail!(
                "--input handling failed (unsupported input); give one record file per --input"
            ),
        }
    }
    for t in &args.tried_regions_of {
        let v: Vec<usize> = t.iter().filter_map(|x| usize::try_from(*x).ok()).collect();
        if let [k, c, s] = v.as_slice() {
            tried.push([*k, *c, *s]);
        }
    }
    if files.is_empty()
        && let Some(l) = &args.input_file
    {
        files = l.clone();
    }
    if !tried.is_empty() {
        return Ok(Input::Live(Some(tried)));
    }
    if !files.is_empty() {
        return Ok(Input::Files(files, false));
    }
    // no input: the running kdamonds if any (as damo), else damon.data
    let running = crate::sysfs::Sysfs::open().is_ok_and(|fs| fs.damon_running());
    if running {
        return Ok(Input::Live(None));
    }
    if std::path::Path::new("damon.data").is_file() {
        return Ok(Input::Files(vec!["damon.data".to_string()], true));
    }
    bail!(
        "no record to show: no kdamond is running and there is no damon.data; start DAMON \
         ('damo start') or give a record file with --input"
    )
}

/// Takes a live snapshot (or the tried regions of given schemes) and
/// writes it to a temporary record file the reports then read.
fn live_records(
    args: &ReportAccess,
    kernel: Kernel,
    tried: &Option<Vec<[usize; 3]>>,
    tmp: &std::path::Path,
) -> Result<()> {
    let fs = kernel()?;
    let merge = !args.access_format.dont_merge_regions;
    let records = match tried {
        Some(idxs) => {
            crate::live::tried_regions_of(&fs, idxs, merge, args.access_format.total_sz_only)?
        }
        None => {
            let filter = filter_of(args)?;
            let extra = crate::damon::args::snapshot_damos_filters(&args.snapshot_damos_filter)?;
            let monitor = crate::live::monitor_scheme(&fs, &filter, extra);
            crate::live::snapshot(&fs, monitor, merge, args.access_format.total_sz_only)?
        }
    };
    crate::record::write::FileWriter::write_records(tmp, crate::record::Format::Json, records, None)
}

/// Builds damo's `--raw_form` text: per region its access samples, or
/// (`report attrs`) its probe hits.
pub(in crate::report) struct RawForm {
    pub raw: bool,
    pub probe_hits: bool,
    pub lines: Vec<String>,
    pub base: Option<Num>,
    pub records: usize,
    /// The record's `data source:` line: a record file says its data
    /// source after its snapshots, so the line is filled in at the end.
    pub source_line: Option<usize>,
}

impl Sink for RawForm {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.base = None;
        self.records += 1;
        self.source_line = None;
        Ok(())
    }

    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        if let Some(line) = self.source_line.and_then(|i| self.lines.get_mut(i)) {
            *line = format!("data source: {}\n", meta.data_source);
        }
        Ok(())
    }

    fn snapshot(&mut self, meta: &RecordMeta, s: Snapshot) -> Result<()> {
        let raw = self.raw;
        let start = s.start()?;
        let base = match self.base {
            Some(b) => b,
            None => {
                self.base = Some(start);
                self.lines.push(format!(
                    "base_time_absolute: {}",
                    format_time_ns(start, raw)
                ));
                self.source_line = Some(self.lines.len());
                self.lines
                    .push(format!("data source: {}\n", meta.data_source));
                start
            }
        };
        let l = &mut self.lines;
        l.push(format!(
            "monitoring_start:    {:>16}",
            format_time_ns(start.sub(base), raw)
        ));
        l.push(format!(
            "monitoring_end:      {:>16}",
            format_time_ns(s.end_time.sub(base), raw)
        ));
        l.push(format!(
            "monitoring_duration: {:>16}",
            format_time_ns(s.end_time.sub(start), raw)
        ));
        let tid = meta
            .target_id
            .map(|t| t.repr())
            .unwrap_or_else(|| "None".to_string());
        l.push(format!("target_id: {tid}"));
        l.push(format!("nr_regions: {}", s.regions.len()));
        if self.probe_hits {
            l.push(format!(
                "# {:>10} {:>12}  {:>12}  {:>5} probe_hits",
                "start_addr", "end_addr", "length", "age"
            ));
        } else {
            l.push(format!(
                "# {:>10} {:>12}  {:>12}  {:>11} {:>5}",
                "start_addr", "end_addr", "length", "nr_accesses", "age"
            ));
        }
        for r in &s.regions {
            let age = r
                .age
                .aggr_intervals
                .map(|a| a.fmt_d())
                .unwrap_or_else(|| "-1".to_string());
            let head = format!(
                "{:012x}-{:012x} ({:>12})",
                r.start,
                r.end,
                format_sz(crate::fmt::pynum::I(r.size()), raw),
            );
            if self.probe_hits {
                let hits: Vec<String> = r.probe_hits.iter().map(|h| h.fmt_d()).collect();
                l.push(format!("{head} {age:>5} {}", hits.join(" ")));
            } else {
                l.push(format!("{head} {:>11} {age:>5}", r.samples()?.fmt_d()));
            }
        }
        l.push(String::new());
        Ok(())
    }
}

/// What the survey pass keeps of each record.
pub(in crate::report) struct RecordInfo {
    pub meta: RecordMeta,
    pub filters: Vec<DamosFilter>,
    pub nr_snapshots: usize,
    pub first_start: Option<Num>,
    pub last_end: Option<Num>,
}

/// The first pass.
#[derive(Default)]
pub(in crate::report) struct SurveySink {
    pub infos: Vec<RecordInfo>,
    ranges: boxes::Ranges,
    first_snapshot_seen: bool,
    has_probes: bool,
}

impl Sink for SurveySink {
    fn record_start(&mut self, meta: &RecordMeta) -> Result<()> {
        self.infos.push(RecordInfo {
            meta: meta.clone(),
            filters: Vec::new(),
            nr_snapshots: 0,
            first_start: None,
            last_end: None,
        });
        Ok(())
    }

    fn snapshot(&mut self, meta: &RecordMeta, mut s: Snapshot) -> Result<()> {
        let first_record = self.infos.len() == 1;
        let Some(info) = self.infos.last_mut() else {
            return Ok(());
        };
        if info.nr_snapshots == 0 {
            info.first_start = s.start_time;
        }
        info.nr_snapshots += 1;
        info.last_end = Some(s.end_time);
        if !self.first_snapshot_seen {
            self.first_snapshot_seen = true;
            self.has_probes = first_record && s.regions.iter().any(|r| !r.probe_hits.is_empty());
        }
        if let Some(iv) = &meta.intervals {
            for r in &mut s.regions {
                add_unset_units(r, iv)?;
                self.ranges.add(r)?;
            }
        }
        Ok(())
    }

    fn record_end(&mut self, meta: &RecordMeta) -> Result<()> {
        if let Some(info) = self.infos.last_mut() {
            info.meta = meta.clone();
            info.filters = meta
                .scheme_filters
                .iter()
                .map(DamosFilter::from_value)
                .collect::<Result<_>>()
                .context("a record's scheme_filters are malformed")?;
        }
        Ok(())
    }
}

impl SurveySink {
    fn survey(&self) -> Survey {
        let infos = &self.infos;
        Survey {
            nr_records: infos.len(),
            multiple_snapshots: infos.iter().any(|i| i.nr_snapshots > 1),
            filters_installed: infos.iter().any(|i| !i.filters.is_empty()),
            ops_filters: infos
                .iter()
                .any(|i| i.filters.iter().any(DamosFilter::handled_by_ops)),
            intervals_goal: infos.iter().any(|i| {
                i.meta
                    .intervals
                    .as_ref()
                    .is_some_and(|iv| iv.goal.enabled())
            }),
            damon_stat_source: infos.iter().any(|i| i.meta.data_source == "damon_stat"),
            has_probes: self.has_probes,
        }
    }
}

/// The key `--sort_regions_by` sorts by.
fn sort_key(field: &str, r: &Region, weights: [Num; 3]) -> Result<Num> {
    Ok(match field {
        "access_rate" => keywords::percent(r)?,
        "age" => keywords::age_us(r)?,
        "size" => I(r.size()),
        "temperature" => temperature_of(r, weights)?,
        _ => I(r.start),
    })
}

/// The order to show regions in: stable sorts by each field in turn.
fn region_order(regions: &[Region], fmt: &ReportFormat) -> Result<Vec<usize>> {
    let mut order: Vec<usize> = (0..regions.len()).collect();
    let dsc_all = fmt
        .sort_regions_dsc
        .as_ref()
        .is_some_and(|d| d.iter().any(|f| f == "all"));
    for field in &fmt.sort_regions_by {
        let dsc = dsc_all
            || fmt
                .sort_regions_dsc
                .as_ref()
                .is_some_and(|d| d.contains(field));
        if field == "address" && !dsc && regions.windows(2).all(|p| p[0].start <= p[1].start) {
            order.sort_by_key(|&i| regions[i].start);
            continue;
        }
        let keys: Vec<Num> = regions
            .iter()
            .map(|r| sort_key(field, r, fmt.temperature_weights))
            .collect::<Result<_>>()?;
        let cmp = |a: &usize, b: &usize| {
            keys[*a]
                .partial_cmp(&keys[*b])
                .unwrap_or(std::cmp::Ordering::Equal)
        };
        if dsc {
            order.sort_by(|a, b| cmp(b, a));
        } else {
            order.sort_by(cmp);
        }
    }
    Ok(order)
}

/// The second pass: renders through the templates.
struct Render<'a> {
    fmt: &'a ReportFormat,
    tpl: &'a Templates,
    infos: &'a [RecordInfo],
    boxes: Option<&'a boxes::BoxFormat>,
    out: &'a mut PagedOut,
    record: usize,
    sidx: usize,
    total_sz_only: bool,
}

impl Render<'_> {
    fn ctx(&self) -> Result<RecordCtx<'_>> {
        let info = self
            .record
            .checked_sub(1)
            .and_then(|i| self.infos.get(i))
            .context("the record changed between reads")?;
        let iv: &Intervals = info
            .meta
            .intervals
            .as_ref()
            .context("some records lack the intervals information")?;
        Ok(RecordCtx {
            fmt: self.fmt,
            meta: &info.meta,
            iv,
            filters: &info.filters,
            first_start: info.first_start,
            last_end: info.last_end,
            boxes: self.boxes,
            damon_ctx: None,
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
            let snapshot_piece = |t: &keywords::Template| -> Result<Option<String>> {
                if t.is_empty() {
                    return Ok(None);
                }
                t.expand(keywords::SNAPSHOT, self.fmt, |f| f(&s, &c))
                    .map(Some)
            };
            pieces.extend(snapshot_piece(&self.tpl.snapshot_head)?);
            if !self.tpl.region.is_empty() {
                for (idx, &i) in region_order(&s.regions, self.fmt)?.iter().enumerate() {
                    let r = &s.regions[i];
                    pieces.push(
                        self.tpl
                            .region
                            .expand(keywords::REGION, self.fmt, |f| f(idx, r, &s, &c))?,
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

/// The keywords of one table, for `--ls_*_format_keywords`.
pub(in crate::report) fn keyword_list<F>(table: &[Keyword<F>]) -> String {
    let width = table.iter().map(|k| k.name.len()).max().unwrap_or(0);
    table
        .iter()
        .map(|k| format!("{:<width$}  {}\n", k.name, k.help))
        .collect()
}

/// `damo help access_format_options <subtopic>` for the keyword
/// subtopics: each keyword of the area with its description.
pub fn keywords_help(subtopic: &str) -> Option<String> {
    let names: Vec<(&str, &str)> = match subtopic {
        "record_format_keywords" => keywords::RECORD.iter().map(|k| (k.name, k.help)).collect(),
        "snapshot_format_keywords" => keywords::SNAPSHOT
            .iter()
            .map(|k| (k.name, k.help))
            .collect(),
        "region_format_keywords" => keywords::REGION.iter().map(|k| (k.name, k.help)).collect(),
        _ => return None,
    };
    let list: Vec<String> = names.iter().map(|(n, h)| format!("{n}\n{h}")).collect();
    Some(list.join("\n\n") + "\n")
}

/// `--ls_*_format_keywords`: the keyword list asked for, if any.
fn ls_keywords(args: &AccessFormat) -> Option<String> {
    if args.ls_record_format_keywords {
        Some(keyword_list(keywords::RECORD))
    } else if args.ls_snapshot_format_keywords {
        Some(keyword_list(keywords::SNAPSHOT))
    } else if args.ls_region_format_keywords {
        Some(keyword_list(keywords::REGION))
    } else {
        None
    }
}

/// The record filter options, with the report's temperature weights.
fn filter_of(args: &ReportAccess) -> Result<RecordFilter> {
    RecordFilter::from_opts(
        &args.access_filter,
        Some(&args.access_format.temperature_weights),
    )
}

/// `damo args accesses_format`: the report format the options describe
/// (as `report access` would use it on no records), as JSON or YAML.
pub fn args_format(args: &ArgsAccessesFormat) -> Result<()> {
    let f = &args.access_format;
    if let Some(list) = ls_keywords(f) {
        return crate::output::print(&list);
    }
    let mut fmt = ReportFormat::from_opts(f)?;
    fmt.finish(f, &format::Survey::default())?;
    let js = fmt.to_js(f.dont_merge_regions, f.json);
    crate::output::print(&js.to_text(args.output_format == OutputFormat::Yaml))
}

/// `damo report access`.
/// `report access`; `kernel` opens the DAMON interface for a live
/// snapshot (when no record is given).
pub fn main(args: &ReportAccess, kernel: Kernel) -> Result<()> {
    if let Some(list) = ls_keywords(&args.access_format) {
        return crate::output::print(&list);
    }
    if args.exec.is_some() {
        bail!(
            "--exec runs Python code on damo's record objects; this damo has no Python (export the record with 'damo convert_record_format --format json' and process that instead)"
        );
    }
    if args.on_cache.is_some() {
        bail!("--on_cache (experimental in damo) is not supported");
    }
    let repeat = args.repeat.map(|r| (r.delay, r.count));
    let source = input_source(args)?;
    let filter = filter_of(args)?;
    let tmp_dir = crate::outfile::TempDir::new("damo-snapshot-")?;
    let tmp = tmp_dir.path().join("snapshot.json");
    let (records, shown) = match &source {
        Input::Files(files, defaulted) => (
            RecordFiles::new(files),
            if *defaulted {
                files.join("")
            } else {
                format!("['{}']", files.join("', '"))
            },
        ),
        Input::Live(_) => (RecordFiles::new(std::slice::from_ref(&tmp)), "None".into()),
    };
    if let Input::Files(..) = source {
        records.check()?;
    }
    let (delay, count) = repeat.unwrap_or((std::time::Duration::ZERO, 1));
    let mut done: i128 = 0;
    while count < 0 || done < count {
        if let Input::Live(tried) = &source {
            let r = live_records(args, kernel, tried, &tmp);
            if r.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            r?;
        }
        let f = &args.access_format;
        if f.raw_form {
            raw_form(f, &records, filter.clone(), &shown)?;
        } else if f.json {
            json(f, &records, filter.clone(), &shown)?;
        } else {
            formatted(f, &records, filter.clone(), &shown, repeat.is_some())?;
        }
        done += 1;
        std::thread::sleep(delay);
    }
    if let Input::Live(_) = source {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(())
}

fn raw_form(
    args: &AccessFormat,
    records: &RecordFiles,
    filter: RecordFilter,
    shown: &str,
) -> Result<()> {
    let mut form = RawForm {
        raw: args.raw_number,
        probe_hits: false,
        lines: Vec::new(),
        base: None,
        records: 0,
        source_line: None,
    };
    records.read(&mut Filtered::new(&mut form, filter))?;
    if form.records == 0 {
        // damo's message, on stdout, for an empty record list (it shows the
        // Python value of its file argument).
        return crate::output::print(&format!("No record in {shown}\n\n"));
    }
    form.lines.push(String::new());
    crate::output::print_paged(&form.lines.join("\n"))
}

/// `--json`: the records as damo's JSON, human-readable numbers unless
/// `--raw_number`.
fn json(
    args: &AccessFormat,
    records: &RecordFiles,
    filter: RecordFilter,
    shown: &str,
) -> Result<()> {
    // Read everything once first, so a corrupt record fails before any
    // output (damo prints nothing then either).
    let mut src = Source::new(records.clone());
    src.read(&mut Filtered::new(
        &mut SurveySink::default(),
        filter.clone(),
    ))?;
    let mut writer = JsonWriter::with_raw(PagedOut::new(), args.raw_number);
    src.read(&mut Filtered::new(&mut writer, filter))?;
    let nr_records = writer.records();
    let out = writer.finish()?;
    if nr_records == 0 {
        crate::output::print(&format!("No record in {shown}\n"))?;
    }
    out.finish()
}

fn formatted(
    args: &AccessFormat,
    records: &RecordFiles,
    filter: RecordFilter,
    shown: &str,
    no_pager: bool,
) -> Result<()> {
    let mut src = Source::new(records.clone());
    let mut survey = SurveySink::default();
    src.read(&mut Filtered::new(&mut survey, filter.clone()))?;
    if survey.infos.is_empty() {
        return crate::output::print(&format!("No record in {shown}\n\n"));
    }
    if survey.infos.iter().any(|i| i.meta.intervals.is_none()) {
        bail!(
            "some records lack the monitoring intervals this report needs \
             (--raw_form and --json work without them)"
        );
    }
    let mut fmt = ReportFormat::from_opts(args)?;
    fmt.finish(args, &survey.survey())?;
    let tpl = fmt.compile();
    let boxes = if tpl.uses_boxes() {
        Some(boxes::BoxFormat::new(
            &fmt,
            std::mem::take(&mut survey.ranges),
        )?)
    } else {
        None
    };
    let mut out = if no_pager {
        PagedOut::unpaged()
    } else {
        PagedOut::new()
    };
    let mut render = Render {
        fmt: &fmt,
        tpl: &tpl,
        infos: &survey.infos,
        boxes: boxes.as_ref(),
        out: &mut out,
        record: 0,
        sidx: 0,
        total_sz_only: fmt.total_sz_only(),
    };
    src.read(&mut Filtered::new(&mut render, filter))?;
    out.finish()
}
