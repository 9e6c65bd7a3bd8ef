//! `damo report damon`: the kdamonds' state, parameters, scheme
//! statistics and tried regions, read from the kernel (or from a
//! kdamonds JSON file with `--input_file`).

use anyhow::{Result, anyhow, bail};

use crate::cli::parse::Args;
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

fn kdamonds_of(args: &Args, fs: &Option<Sysfs>) -> Result<Vec<Kdamond>> {
    match (args.str("input_file"), fs) {
        (Some(path), _) => crate::damon::input::kdamonds_from_json_file(path)
            .map_err(|e| anyhow!("reading {path} failed ({e:#})")),
        (None, Some(fs)) => fs.current_kdamonds(),
        (None, None) => bail!("no kdamonds to read: give a file with --input_file"),
    }
}

pub fn main(args: &Args) -> Result<()> {
    let fs = match args.str("input_file") {
        Some(_) => None,
        None => Some(crate::control::open_sysfs(args)?),
    };
    let mut format = args.str("format").map(str::to_string);
    if args.flag("json") && format.is_none() {
        format = Some("json".into());
    }
    let format = format.unwrap_or_else(|| "report".into());
    let raw = args.flag("raw");
    let show_cpu = args.flag("show_cpu_usage");
    let mut out = String::new();

    if args.flag("damon_params") || args.flag("damon_params_omit_defaults") {
        let mut kdamonds = kdamonds_of(args, &fs)?;
        let omit = args.flag("damon_params_omit_defaults");
        for k in &mut kdamonds {
            for c in &mut k.contexts {
                for s in &mut c.schemes {
                    s.stats = None;
                    s.tried_regions = None;
                }
            }
        }
        if structured(&format) {
            // damo shows the state and pid here too (statistics are gone).
            let js = Js::List(
                kdamonds
                    .iter()
                    .map(|k| k.to_js_full(raw, omit, false))
                    .collect(),
            );
            out = dump(&js, &format)?;
        } else {
            let show = Show {
                raw,
                params_only: true,
                omit_tried_regions: false,
                omit_defaults: omit,
                show_cpu: false,
            };
            for (i, k) in kdamonds.iter().enumerate() {
                out.push_str(&format!("kdamond {i}\n{}\n", indent(&k.to_str(show), 4)));
            }
        }
        return crate::output::print(&out);
    }

    if args.flag("kdamonds_summary") {
        let kdamonds = kdamonds_of(args, &fs)?;
        let summary: Vec<String> = kdamonds
            .iter()
            .map(|k| k.summary_str(false, raw, show_cpu))
            .collect();
        if structured(&format) {
            out = dump(
                &Js::List(summary.into_iter().map(Js::Str).collect()),
                &format,
            )?;
        } else {
            for (i, l) in summary.iter().enumerate() {
                out.push_str(&format!("{i}\t{l}\n"));
            }
        }
        return crate::output::print(&out);
    }

    if args.flag("damos_stats") {
        if let Some(fs) = &fs {
            let idxs = fs.running_idxs()?;
            fs.update_schemes_stats(&idxs)?;
        }
        let kdamonds = kdamonds_of(args, &fs)?;
        let fields = args.list("damos_stat_fields").unwrap_or_default();
        let mut stats = Vec::new();
        for (ki, k) in kdamonds.iter().enumerate() {
            for (ci, c) in k.contexts.iter().enumerate() {
                for (si, s) in c.schemes.iter().enumerate() {
                    let Js::Obj(all) = s.stats.clone().unwrap_or_default().to_js(raw) else {
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
        if structured(&format) {
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
            out = dump(&js, &format)?;
        } else {
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
        }
        return crate::output::print(&out);
    }

    let kdamonds = match &fs {
        Some(fs) => {
            update_and_read(fs).map_err(|e| anyhow!("cannot update and read kdamonds: {e:#}"))?
        }
        None => kdamonds_of(args, &fs)?,
    };
    if structured(&format) {
        let js = Js::List(
            kdamonds
                .iter()
                .map(|k| k.to_js_full(raw, false, false))
                .collect(),
        );
        out = dump(&js, &format)?;
    } else {
        // damo 3.4.3 passes --omit_damos_tried_regions where it takes
        // "parameters only"; kept, as scripts see that output.
        let show = Show {
            raw,
            params_only: args.flag("omit_damos_tried_regions"),
            omit_tried_regions: false,
            omit_defaults: false,
            show_cpu,
        };
        for (i, k) in kdamonds.iter().enumerate() {
            out.push_str(&format!("kdamond {i}\n{}\n", indent(&k.to_str(show), 4)));
        }
        if let Some(fs) = &fs {
            for (module, _, on) in fs.damon_modules() {
                out.push_str(&format!("{module}: {}\n", if on { "on" } else { "off" }));
            }
        }
    }
    crate::output::print(&out)
}
