//! `damo report damon`: the kdamonds' state, parameters, scheme
//! statistics and tried regions, read from the kernel (or from a
//! kdamonds JSON file with `--input_file`).

use anyhow::{Result, anyhow, bail};

use crate::cli::conv::Choice as _;
use crate::cli::opts::ReportDamon;
use crate::damon::js::Js;
use crate::damon::model::Kdamond;
use crate::damon::show::{Show, indent};
use crate::sysfs::Sysfs;

/// `js` as `--format json` (Python's `indent=4`) or `yaml` prints it.
fn dump(js: &Js, format: &str) -> Result<String> {
    Ok(js.to_text(format == "yaml"))
}

/// Whether the format is a machine-readable one.
fn structured(format: &str) -> bool {
    format == "json" || format == "yaml"
}

/// Refreshes what the kernel shows (tuned intervals, scheme statistics,
/// effective quotas), as damo does before showing the status.
fn update_and_read(fs: &Sysfs) -> Result<Vec<Kdamond>> {
    fs.update_tuned_intervals()?;
    let kdamonds = fs.current_kdamonds()?;
    let schemes = kdamonds
        .iter()
        .any(|k| k.contexts.iter().any(|c| !c.schemes.is_empty()));
    if schemes {
        let idxs = fs.running_idxs()?;
        if !idxs.is_empty() {
            fs.update_schemes_stats(&idxs)?;
            if fs.has_effective_quotas() {
                fs.update_effective_quotas(&idxs)?;
            }
        }
    }
    fs.current_kdamonds()
}

/// Where the kdamonds come from: a kdamonds JSON file, or the kernel.
fn kdamonds_of(input_file: Option<&str>, fs: &Option<Sysfs>) -> Result<Vec<Kdamond>> {
    match (input_file, fs) {
        (Some(path), _) => crate::damon::input::kdamonds_from_json_file(path)
            .map_err(|e| anyhow!("reading {path} failed ({e:#})")),
        (None, Some(fs)) => fs.current_kdamonds(),
        (None, None) => bail!("no kdamonds to read: give a file with --input_file"),
    }
}

/// What `report damon` shows.
enum View {
    /// `--damon_params` (`--damon_params_omit_defaults`: `omit_defaults`).
    Params { omit_defaults: bool },
    /// `--kdamonds_summary`: one line per kdamond.
    Summary,
    /// `--damos_stats`, of `fields` (all when empty).
    DamosStats { fields: Vec<String> },
    /// The status (the default).
    Status { omit_tried_regions: bool },
}

/// How `report damon` shows it.
struct Settings {
    /// `report`, `json` or `yaml`.
    format: String,
    raw: bool,
    show_cpu: bool,
}

impl Settings {
    fn structured(&self) -> bool {
        structured(&self.format)
    }
}

/// The options, read once.
fn options(args: &ReportDamon) -> (View, Settings) {
    let format = args
        .format
        .map(|f| f.as_str().to_string())
        .or_else(|| args.json.then(|| "json".to_string()))
        .unwrap_or_else(|| "report".into());
    let settings = Settings {
        format,
        raw: args.raw,
        show_cpu: args.show_cpu_usage,
    };
    let view = if args.damon_params || args.damon_params_omit_defaults {
        View::Params {
            omit_defaults: args.damon_params_omit_defaults,
        }
    } else if args.kdamonds_summary {
        View::Summary
    } else if args.damos_stats {
        View::DamosStats {
            fields: args
                .damos_stat_fields
                .iter()
                .flatten()
                .map(|f| f.as_str().to_string())
                .collect(),
        }
    } else {
        View::Status {
            omit_tried_regions: args.omit_damos_tried_regions,
        }
    };
    (view, settings)
}

/// `report damon`; `kernel` opens the DAMON interface when no record of
/// kdamonds is given.
pub fn main(args: &ReportDamon, kernel: super::Kernel) -> Result<()> {
    let input_file = args.input_file.as_deref();
    let fs = match input_file {
        Some(_) => None,
        None => Some(kernel()?),
    };
    let (view, settings) = options(args);
    let out = match &view {
        View::Params { omit_defaults } => {
            params(kdamonds_of(input_file, &fs)?, *omit_defaults, &settings)?
        }
        View::Summary => summary(&kdamonds_of(input_file, &fs)?, &settings)?,
        View::DamosStats { fields } => {
            if let Some(fs) = &fs {
                let idxs = fs.running_idxs()?;
                fs.update_schemes_stats(&idxs)?;
            }
            damos_stats(&kdamonds_of(input_file, &fs)?, fields, &settings)?
        }
        View::Status { omit_tried_regions } => {
            let kdamonds = match &fs {
                Some(fs) => update_and_read(fs)
                    .map_err(|e| anyhow!("cannot update and read kdamonds: {e:#}"))?,
                None => kdamonds_of(input_file, &fs)?,
            };
            // the modules' state ends the text form only
            let modules = match &fs {
                Some(fs) if !settings.structured() => fs.damon_modules(),
                _ => Vec::new(),
            };
            status(&kdamonds, &modules, *omit_tried_regions, &settings)?
        }
    };
    crate::output::print(&out)
}

/// `--damon_params`: the parameters, without statistics and tried regions.
fn params(mut kdamonds: Vec<Kdamond>, omit: bool, st: &Settings) -> Result<String> {
    for k in &mut kdamonds {
        for c in &mut k.contexts {
            for s in &mut c.schemes {
                s.stats = None;
                s.tried_regions = None;
            }
        }
    }
    // damo shows the state and pid here too (statistics are gone)
    let show = Show {
        raw: st.raw,
        params_only: true,
        omit_tried_regions: false,
        omit_defaults: omit,
        show_cpu: false,
    };
    kdamonds_text(&kdamonds, show, st)
}

/// The kdamonds as JSON/YAML (`to_js_full`, the defaults left out with
/// `show.omit_defaults`), or as text: "kdamond N" and the indented `show`
/// form of each.
fn kdamonds_text(kdamonds: &[Kdamond], show: Show, st: &Settings) -> Result<String> {
    if st.structured() {
        let js = Js::List(
            kdamonds
                .iter()
                .map(|k| k.to_js_full(st.raw, show.omit_defaults, false))
                .collect(),
        );
        return dump(&js, &st.format);
    }
    let mut out = String::new();
    for (i, k) in kdamonds.iter().enumerate() {
        out.push_str(&format!("kdamond {i}\n{}\n", indent(&k.to_str(show), 4)));
    }
    Ok(out)
}

/// `--kdamonds_summary`.
fn summary(kdamonds: &[Kdamond], st: &Settings) -> Result<String> {
    let summary: Vec<String> = kdamonds
        .iter()
        .map(|k| k.summary_str(false, st.raw, st.show_cpu))
        .collect();
    if st.structured() {
        return dump(
            &Js::List(summary.into_iter().map(Js::Str).collect()),
            &st.format,
        );
    }
    let mut out = String::new();
    for (i, l) in summary.iter().enumerate() {
        out.push_str(&format!("{i}\t{l}\n"));
    }
    Ok(out)
}

/// `--damos_stats`: the statistics of every scheme, or of `fields`.
fn damos_stats(kdamonds: &[Kdamond], fields: &[String], st: &Settings) -> Result<String> {
    let mut stats = Vec::new();
    for (ki, k) in kdamonds.iter().enumerate() {
        for (ci, c) in k.contexts.iter().enumerate() {
            for (si, s) in c.schemes.iter().enumerate() {
                let Js::Obj(all) = s.stats.clone().unwrap_or_default().to_js(st.raw) else {
                    continue;
                };
                let kv: Vec<(String, Js)> = if fields.is_empty() {
                    all
                } else {
                    fields
                        .iter()
                        .filter_map(|f| all.iter().find(|(k, _)| k == f).cloned())
                        .collect()
                };
                stats.push(((ki, ci, si), kv));
            }
        }
    }
    if st.structured() {
        let js = Js::List(
            stats
                .iter()
                .map(|((k, c, s), kv)| {
                    Js::List(vec![
                        Js::Obj(vec![
                            ("kdamond".into(), Js::Num((*k as i128).into())),
                            ("context".into(), Js::Num((*c as i128).into())),
                            ("scheme".into(), Js::Num((*s as i128).into())),
                        ]),
                        Js::Obj(kv.clone()),
                    ])
                })
                .collect(),
        );
        return dump(&js, &st.format);
    }
    let mut out = String::new();
    let many = stats.len() > 1;
    for ((k, c, s), kv) in &stats {
        if many {
            out.push_str(&format!("kdamond {k} / context {c} / scheme {s}\n"));
        }
        for (key, v) in kv {
            let Js::Str(v) = v else { continue };
            if kv.len() > 1 {
                out.push_str(&format!("{key}: {v}\n"));
            } else {
                out.push_str(&format!("{v}\n"));
            }
        }
        if many {
            out.push('\n');
        }
    }
    Ok(out)
}

/// The status: every kdamond, then the DAMON modules' state (`modules`:
/// name, parameter file, enabled).
fn status(
    kdamonds: &[Kdamond],
    modules: &[(String, std::path::PathBuf, bool)],
    omit_tried_regions: bool,
    st: &Settings,
) -> Result<String> {
    // damo 3.4.3 passes --omit_damos_tried_regions where it takes
    // "parameters only"; kept, as scripts see that output.
    let show = Show {
        raw: st.raw,
        params_only: omit_tried_regions,
        omit_tried_regions: false,
        omit_defaults: false,
        show_cpu: st.show_cpu,
    };
    let mut out = kdamonds_text(kdamonds, show, st)?;
    if st.structured() {
        return Ok(out);
    }
    for (module, _, on) in modules {
        out.push_str(&format!("{module}: {}\n", if *on { "on" } else { "off" }));
    }
    Ok(out)
}
