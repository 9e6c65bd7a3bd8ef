//! How `report access` shows records: the options, the `--style` presets,
//! `--format set|append`, and the default templates that depend on what
//! the records hold.

use crate::damon::js::Js;
use anyhow::{Context, Result, bail};

use super::keywords::{self, Keyword, Template};
use crate::cli::conv::Choice;
use crate::cli::opts::{AccessFormat, RegionBoxAlign, RegionBoxScales};
use crate::fmt::pynum::{I, Num};

/// What the first pass learned about the records, for the defaults.
#[derive(Debug, Default, Clone)]
pub struct Survey {
    pub nr_records: usize,
    pub multiple_snapshots: bool,
    /// Some record's snapshot scheme had DAMOS filters.
    pub filters_installed: bool,
    /// ... filters that the operations set layer handles.
    pub ops_filters: bool,
    pub intervals_goal: bool,
    pub damon_stat_source: bool,
    /// The first snapshot of the first record has probe hits.
    pub has_probes: bool,
}

/// The five template areas, in `--format` spelling.
pub const AREAS: [&str; 5] = [
    "record_head",
    "snapshot_head",
    "region",
    "snapshot_tail",
    "record_tail",
];

/// Format options of `report access` (damo's `ReportFormat`).
#[derive(Debug, Clone)]
pub struct ReportFormat {
    pub sort_regions_by: Vec<String>,
    pub sort_regions_dsc: Option<Vec<String>>,
    pub temperature_weights: [Num; 3],
    pub hist_logscale: bool,
    pub hist_cumulate: bool,
    pub hist_ranges: Option<Vec<String>>,
    pub percentiles_range: Option<Vec<i64>>,
    /// Templates per area (index as [`AREAS`]); `None` until defaulted.
    pub templates: [Option<String>; 5],
    pub heatmap_width: i128,
    pub heatmap_colorset: String,
    pub heatmap_static: bool,
    pub region_box: bool,
    /// Length, color and height values of region boxes.
    pub box_values: [String; 3],
    pub box_min_max_length: [i128; 2],
    pub box_min_max_height: [i128; 2],
    pub box_colorset: String,
    /// Log scale for length, color and height.
    pub box_log: [bool; 3],
    pub box_align_right: bool,
    pub min_chars_for: Vec<(String, String)>,
    pub raw_number: bool,
}

const RECORD_HEAD: usize = 0;
const SNAPSHOT_HEAD: usize = 1;
const REGION: usize = 2;
const SNAPSHOT_TAIL: usize = 3;
const RECORD_TAIL: usize = 4;

/// damo's default `--min_chars_for` entries (user entries come after
/// these, so they only add keywords).
const MIN_CHARS: [(&str, usize); 8] = [
    ("<index>", 3),
    ("<start address>", 12),
    ("<end address>", 11),
    ("<size>", 11),
    ("<access rate>", 5),
    ("<access hz>", 6),
    ("<age>", 13),
    ("<filters passed type>", 10),
];

/// A report's `--min_chars_for` list: its defaults, then the user's pairs
/// (which, coming after, only add keywords).
pub fn min_chars_list(defaults: &[(&str, usize)], user: &[Vec<String>]) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = defaults
        .iter()
        .map(|(k, n)| (k.to_string(), n.to_string()))
        .collect();
    for pair in user {
        if let [k, n] = pair.as_slice() {
            list.push((k.clone(), n.clone()));
        }
    }
    list
}

fn int_pair(values: &[i128], default: [i128; 2]) -> [i128; 2] {
    match values {
        &[a, b] => [a, b],
        _ => default,
    }
}

fn strings(choices: &[impl Choice]) -> Vec<String> {
    choices.iter().map(|c| c.as_str().to_string()).collect()
}

/// Which keyword table checks user templates of an area.
fn check_area(area: usize, text: &str) -> Result<()> {
    let name = AREAS[area].replace('_', " ");
    match area {
        RECORD_HEAD | RECORD_TAIL => check(text, &name, keywords::RECORD),
        SNAPSHOT_HEAD | SNAPSHOT_TAIL => check(text, &name, keywords::SNAPSHOT),
        _ => check(text, &name, keywords::REGION),
    }
}

fn check<F>(text: &str, area: &str, table: &[Keyword<F>]) -> Result<()> {
    keywords::check_user_template(text, area, table)
}

impl ReportFormat {
    /// The options as given, before `--format`, styles and defaults.
    pub fn from_opts(args: &AccessFormat) -> Result<Self> {
        let temperature_weights = match args.temperature_weights.as_slice() {
            &[a, b, c] => [I(a.into()), I(b.into()), I(c.into())],
            _ => [I(0), I(100), I(100)],
        };
        let box_values: [String; 3] = strings(&args.region_box_values)
            .try_into()
            .map_err(|_| anyhow::anyhow!("--region_box_values needs three values"))?;
        let scales = &args.region_box_scales;
        let log = |i: usize| scales.get(i) == Some(&RegionBoxScales::Log);
        let min_chars_for = min_chars_list(&MIN_CHARS, &args.min_chars_for);
        let mut templates: [Option<String>; 5] = Default::default();
        // in the order of AREAS
        let given = [
            &args.format_record_head,
            &args.format_snapshot_head,
            &args.format_region,
            &args.format_snapshot_tail,
            &args.format_record_tail,
        ];
        for (i, t) in given.into_iter().enumerate() {
            if let Some(t) = t {
                check_area(i, t)?;
                templates[i] = Some(t.to_string());
            }
        }
        Ok(ReportFormat {
            sort_regions_by: strings(&args.sort_regions_by),
            sort_regions_dsc: args.sort_regions_dsc.as_deref().map(strings),
            temperature_weights,
            hist_logscale: args.hist_logscale,
            hist_cumulate: args.hist_cumulate,
            hist_ranges: args.hist_ranges.clone(),
            percentiles_range: args.percentiles_range.clone(),
            templates,
            heatmap_width: args.snapshot_heatmap_width,
            heatmap_colorset: args.snapshot_heatmap_colorset.as_str().to_string(),
            heatmap_static: args.snapshot_heatmap_static,
            region_box: args.region_box,
            box_values,
            box_min_max_length: int_pair(&args.region_box_min_max_length, [1, 30]),
            box_min_max_height: int_pair(&args.region_box_min_max_height, [1, 5]),
            box_colorset: args.region_box_colorset.as_str().to_string(),
            box_log: [log(0), log(1), log(2)],
            box_align_right: args.region_box_align == RegionBoxAlign::Right,
            min_chars_for,
            raw_number: args.raw_number,
        })
    }

    /// damo's `ReportFormat.to_kvpairs` (`args accesses_format`);
    /// `dont_merge_regions` and `json` are options outside the format.
    pub fn to_js(&self, dont_merge_regions: bool, json: bool) -> Js {
        let strs = |v: &[String]| Js::List(v.iter().map(|x| Js::Str(x.clone())).collect());
        let opt_strs = |v: &Option<Vec<String>>| v.as_deref().map_or(Js::Null, strs);
        let ints = |v: &[i128]| Js::List(v.iter().map(|x| Js::Num(I(*x))).collect());
        let template = |i: usize| Js::Str(self.templates[i].clone().unwrap_or_default());
        let scale = |log: bool| Js::Str(if log { "log" } else { "linear" }.into());
        let min_chars = self
            .min_chars_for
            .iter()
            .enumerate()
            .map(|(i, (k, n))| {
                // damo's defaults are numbers; what users add stays text
                let n = if i < MIN_CHARS.len() {
                    n.parse::<i128>()
                        .map_or(Js::Str(n.clone()), |v| Js::Num(I(v)))
                } else {
                    Js::Str(n.clone())
                };
                Js::List(vec![Js::Str(k.clone()), n])
            })
            .collect();
        let kv: Vec<(&str, Js)> = vec![
            ("sort_regions_by", strs(&self.sort_regions_by)),
            ("sort_regions_dsc", opt_strs(&self.sort_regions_dsc)),
            (
                "temperature_weights",
                Js::List(
                    self.temperature_weights
                        .iter()
                        .map(|w| Js::Num(*w))
                        .collect(),
                ),
            ),
            ("dont_merge_regions", Js::Bool(dont_merge_regions)),
            ("hist_logscale", Js::Bool(self.hist_logscale)),
            ("hist_cumulate", Js::Bool(self.hist_cumulate)),
            ("hist_ranges", opt_strs(&self.hist_ranges)),
            (
                "percentiles_range",
                self.percentiles_range.as_ref().map_or(Js::Null, |v| {
                    Js::List(v.iter().map(|x| Js::Num(I(*x as i128))).collect())
                }),
            ),
            ("format_record_head", template(RECORD_HEAD)),
            ("format_record_tail", template(RECORD_TAIL)),
            ("format_snapshot_head", template(SNAPSHOT_HEAD)),
            ("format_snapshot_tail", template(SNAPSHOT_TAIL)),
            ("format_region", template(REGION)),
            ("snapshot_heatmap_width", Js::Num(I(self.heatmap_width))),
            ("snapshot_heatmap_static", Js::Bool(self.heatmap_static)),
            (
                "snapshot_heatmap_colorset",
                Js::Str(self.heatmap_colorset.clone()),
            ),
            ("region_box_values", strs(&self.box_values)),
            ("region_box_min_max_height", ints(&self.box_min_max_height)),
            ("region_box_min_max_length", ints(&self.box_min_max_length)),
            ("region_box_colorset", Js::Str(self.box_colorset.clone())),
            (
                "region_box_scales",
                Js::List(self.box_log.iter().map(|l| scale(*l)).collect()),
            ),
            (
                "region_box_align",
                Js::Str(
                    if self.box_align_right {
                        "right"
                    } else {
                        "left"
                    }
                    .into(),
                ),
            ),
            ("min_chars_for", Js::List(min_chars)),
            ("raw_number", Js::Bool(self.raw_number)),
            ("json", Js::Bool(json)),
        ];
        Js::Obj(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// The padding width of `keyword`: the first `--min_chars_for` entry
    /// that names it.
    pub fn min_chars(&self, keyword: &str) -> Option<usize> {
        self.min_chars_for
            .iter()
            .find(|(k, _)| k == keyword)
            .and_then(|(_, n)| n.trim().parse::<usize>().ok())
    }

    fn template(&self, area: usize) -> &str {
        self.templates[area].as_deref().unwrap_or_default()
    }

    /// The `<format strings>` text.
    pub fn templates_text(&self) -> String {
        [
            ("record head", RECORD_HEAD),
            ("snapshot head", SNAPSHOT_HEAD),
            ("region", REGION),
            ("snapshot tail", SNAPSHOT_TAIL),
            ("record tail", RECORD_TAIL),
        ]
        .iter()
        .map(|(name, i)| format!("{name}: \"{}\"", self.template(*i)))
        .collect::<Vec<_>>()
        .join("\n")
    }

    /// `--total_sz_only`'s shape: only the total size per snapshot.
    pub fn total_sz_only(&self) -> bool {
        self.template(SNAPSHOT_HEAD).is_empty()
            && self.template(REGION).is_empty()
            && self.template(SNAPSHOT_TAIL) == "<total bytes>"
    }

    fn set_box_style(&mut self) {
        self.box_min_max_height = [1, 1];
        self.box_min_max_length = [1, 40];
        self.box_align_right = true;
        self.box_colorset = "emotion".into();
    }

    fn apply_style(&mut self, style: &str, survey: &Survey) {
        match style {
            "simple-boxes" => {
                self.templates[SNAPSHOT_HEAD] =
                    Some("snapshot time: [<start time>, <end time>] (<duration>)".into());
                self.templates[REGION] =
                    Some("<box> size <size> access <access hz> age <age>".into());
                self.set_box_style();
            }
            "temperature-sz-hist" | "recency-sz-hist" | "cold-memory-tail" => {
                let (legend, hist, df_hist) = if style == "temperature-sz-hist" {
                    (
                        "<temperature>",
                        "<temperature-sz histogram>",
                        "<temperature-df-passed-sz histogram>",
                    )
                } else {
                    (
                        "<idle time (us)>",
                        "<recency-sz histogram>",
                        "<recency-df-passed-sz histogram>",
                    )
                };
                let mut lines: Vec<String> = Vec::new();
                if survey.ops_filters {
                    lines.push("# damos filters (df): <filters passed type>".into());
                    lines.push(format!("{legend} <df-passed size>"));
                    lines.push(df_hist.into());
                    lines.push(String::new());
                }
                lines.push(format!("{legend} <total size>"));
                lines.push(hist.into());
                self.templates[SNAPSHOT_HEAD] = Some(lines.join("\n"));
                self.templates[REGION] = Some(String::new());
            }
            "recency-percentiles" | "idle-time-percentiles" | "temperature-percentiles" => {
                let what = if style == "temperature-percentiles" {
                    "temperature"
                } else {
                    "recency"
                };
                let mut lines: Vec<String> = Vec::new();
                if survey.multiple_snapshots {
                    lines.push("snapshot time: [<start time>, <end time>] (<duration>)".into());
                }
                if survey.ops_filters {
                    lines.push("# damos filters (df): <filters passed type>".into());
                    lines.push(format!("# df-passed {what} percentiles"));
                    lines.push(format!("<df-passed {what} percentiles>"));
                    lines.push(String::new());
                }
                lines.push(format!("# total {what} percentiles"));
                lines.push(format!("<{what} percentiles>"));
                self.templates[SNAPSHOT_HEAD] = Some(lines.join("\n"));
                self.templates[REGION] = Some(String::new());
            }
            "cold" | "hot" => {
                self.templates[REGION] = Some("<box> <size> access <access hz> <age>".into());
                self.set_box_style();
                self.sort_regions_by = vec!["temperature".into()];
                if style == "hot" {
                    self.sort_regions_dsc = Some(vec!["temperature".into()]);
                }
            }
            _ => {}
        }
    }

    fn set_defaults(&mut self, survey: &Survey) {
        if self.templates[RECORD_HEAD].is_none() {
            self.templates[RECORD_HEAD] = Some(if survey.nr_records > 1 {
                "kdamond <kdamond index> / context <context index> / scheme <scheme index> \
                 / target id <target id> / recorded for <duration> from <abs start time>"
                    .into()
            } else {
                String::new()
            });
        }
        if self.templates[RECORD_TAIL].is_none() {
            let mut lines = vec!["record DAMON intervals: <intervals>"];
            if survey.intervals_goal {
                lines.push("# <intervals goal>");
            }
            if survey.damon_stat_source {
                lines.push("# data source: <data source>");
            }
            self.templates[RECORD_TAIL] = Some(lines.join("\n"));
        }
        // The probe-hits layout is the default only while no region
        // template is set (a --region_box template is set below).
        let probes_layout = survey.has_probes;
        if self.templates[SNAPSHOT_HEAD].is_none() {
            let mut lines: Vec<String> = Vec::new();
            if survey.multiple_snapshots {
                lines.push("snapshot time: [<start time>, <end time>] (<duration>)".into());
            }
            lines.push("heatmap: <heatmap>".into());
            lines.push("intervals: <snapshot intervals>".into());
            if survey.filters_installed {
                lines.push("# damos filters (df): <filters passed type>".into());
                lines.push("df-pass: <filters passed heatmap>".into());
            }
            if probes_layout && self.templates[REGION].is_none() {
                lines.extend(self.probe_legend());
            }
            self.templates[SNAPSHOT_HEAD] = Some(lines.join("\n"));
        }
        if self.templates[SNAPSHOT_TAIL].is_none() {
            let mut t = if survey.filters_installed {
                "memory bw estimate: <estimated memory bandwidth>  \
                 df-passed: <filters passed estimated memory bandwidth>\n\
                 total size: <total bytes>  df-passed <filters passed bytes>"
                    .to_string()
            } else {
                "memory bw estimate: <estimated memory bandwidth>\ntotal size: <total bytes>"
                    .to_string()
            };
            if survey.filters_installed {
                t.push_str("\nscheme stats\n<damos stats>");
            }
            self.templates[SNAPSHOT_TAIL] = Some(t);
        }
        if self.region_box
            && !self
                .template(SNAPSHOT_TAIL)
                .contains("<region box description>")
        {
            // damo 3.4.3 builds this from the record tail (sic).
            self.templates[SNAPSHOT_TAIL] = Some(format!(
                "{}\n<region box description>",
                self.template(RECORD_TAIL)
            ));
        }
        let region_default = if probes_layout {
            "<index> <start address> <size>  <access hz> <age> <probe hits> "
        } else {
            "<index> addr <start address> size <size> access <access hz> age <age>"
        };
        if self.region_box {
            let sep = if self.box_min_max_height[1] > 1 {
                ""
            } else {
                "\n"
            };
            self.templates[REGION] = Some(format!("<box>{sep}{region_default}"));
        }
        if self.templates[REGION].is_none() {
            let mut t = region_default.to_string();
            if survey.filters_installed {
                t.push_str(" df-passed <filters passed bytes>");
            }
            self.templates[REGION] = Some(t);
        }
    }

    /// The two legend lines above probe-hits regions.
    fn probe_legend(&self) -> Vec<String> {
        let w = |k: &str| self.min_chars(k).unwrap_or(0);
        let spaces = |n: usize| " ".repeat(n);
        let first = format!(
            "#{}addr{}size{}{}age{}probe_hits",
            spaces(w("<index>")),
            spaces((w("<start address>") + 1).saturating_sub(4)),
            spaces((w("<size>") + 2).saturating_sub(4)),
            spaces(w("<access hz>") + 1),
            spaces((w("<age>") + 1).saturating_sub(3)),
        );
        let second = format!(
            "#{}access_hz",
            spaces(w("<index>") + 1 + w("<start address>") + 1 + w("<size>") + 1)
        );
        vec![first, second]
    }

    /// Applies `--format`, `--style`, `--total_sz_only` and the defaults,
    /// in damo's order.
    pub fn finish(&mut self, args: &AccessFormat, survey: &Survey) -> Result<()> {
        let formats = &args.format;
        if let [single] = formats.as_slice()
            && single.len() == 1
        {
            bail!(
                "wrong --format option: give <set|append> <area> <template> \
                 (a JSON format description is not supported)"
            );
        }
        let mut appends = Vec::new();
        for f in formats {
            let [action, area, text] = f.as_slice() else {
                bail!(
                    "wrong number of --format arguments ({}): give <set|append> <area> <template>",
                    f.join(" ")
                );
            };
            let idx = AREAS.iter().position(|a| a == area).with_context(|| {
                format!("wrong --format area '{area}': one of {}", AREAS.join(", "))
            })?;
            check_area(idx, text)?;
            match action.as_str() {
                "set" => self.templates[idx] = Some(text.to_string()),
                "append" => appends.push((idx, text.to_string())),
                _ => bail!("wrong --format action '{action}': set or append"),
            }
        }
        self.apply_style(args.style.as_str(), survey);
        if args.total_sz_only {
            self.templates[SNAPSHOT_HEAD] = Some(String::new());
            self.templates[REGION] = Some(String::new());
            self.templates[SNAPSHOT_TAIL] = Some("<total bytes>".into());
        }
        self.set_defaults(survey);
        for (idx, text) in appends {
            let t = self.templates[idx].get_or_insert_with(String::new);
            t.push_str(&text);
        }
        Ok(())
    }

    /// The final templates, compiled.
    pub fn compile(&self) -> Templates {
        Templates {
            record_head: Template::compile(self.template(RECORD_HEAD), keywords::RECORD),
            snapshot_head: Template::compile(self.template(SNAPSHOT_HEAD), keywords::SNAPSHOT),
            region: Template::compile(self.template(REGION), keywords::REGION),
            snapshot_tail: Template::compile(self.template(SNAPSHOT_TAIL), keywords::SNAPSHOT),
            record_tail: Template::compile(self.template(RECORD_TAIL), keywords::RECORD),
        }
    }
}

/// Compiled templates of the five areas.
pub struct Templates {
    pub record_head: Template,
    pub snapshot_head: Template,
    pub region: Template,
    pub snapshot_tail: Template,
    pub record_tail: Template,
}

impl Templates {
    /// Whether any template draws region boxes.
    pub fn uses_boxes(&self) -> bool {
        self.region.uses(keywords::REGION, "<box>")
            || self
                .snapshot_head
                .uses(keywords::SNAPSHOT, "<region box description>")
            || self
                .snapshot_tail
                .uses(keywords::SNAPSHOT, "<region box description>")
    }
}
