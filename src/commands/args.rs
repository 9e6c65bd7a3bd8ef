//! `damo args damon`: the kdamonds some DAMON options describe, as JSON,
//! YAML or text.

use anyhow::{Result, anyhow, bail};

use crate::cli::opts::{ArgsDamon, Format};
use crate::damon::args::{kdamond_index, kdamonds_file, kdamonds_for};

/// Prints the notes damo prints about DAMON options, one per line.
pub(super) fn print_notes(notes: &[String]) -> Result<()> {
    for n in notes {
        crate::output::print(&format!("{n}\n"))?;
    }
    Ok(())
}

/// `damo args damon`: the kdamonds as JSON, YAML or text, without touching
/// sysfs or needing root.
pub fn damon(args: &ArgsDamon) -> Result<()> {
    let format = args.format;
    if format == Format::Report && args.out.is_some() {
        bail!("--out and report format cannot be used together");
    }
    let built = kdamonds_for(&args.damon).map_err(|e| anyhow!("invalid arguments ({e:#})"))?;
    print_notes(&built.notes)?;
    let mut kdamonds = built.kdamonds;
    for s in kdamonds
        .iter_mut()
        .flat_map(|k| k.contexts.iter_mut())
        .flat_map(|c| c.schemes.iter_mut())
    {
        s.stats = None;
        s.tried_regions = None;
    }
    if let Some(path) = &args.add {
        let mut old = kdamonds_file(path)?;
        old.append(&mut kdamonds);
        kdamonds = old;
    }
    if let Some([path, idx]) = args.remove.as_deref() {
        kdamonds = kdamonds_file(path)?;
        let i = kdamond_index(idx, kdamonds.len(), "remove")?;
        kdamonds.remove(i);
    }
    if let Some([path, idx]) = args.replace.as_deref() {
        let mut old = kdamonds_file(path)?;
        let i = kdamond_index(idx, old.len(), "replace")?;
        match kdamonds.first() {
            Some(k) => old[i] = k.clone(),
            None => bail!("--replace: the options describe no kdamond"),
        }
        kdamonds = old;
    }
    let raw = args.raw;
    if format == Format::Report {
        let show = crate::damon::show::Show {
            raw,
            params_only: false,
            omit_tried_regions: false,
            omit_defaults: false,
            show_cpu: false,
        };
        let mut out = String::new();
        for (i, k) in kdamonds.iter().enumerate() {
            out.push_str(&format!(
                "kdamond {i}\n{}\n",
                crate::damon::show::indent(&k.to_str(show), 4)
            ));
        }
        return crate::output::print(&out);
    }
    let omit = args.omit_defaults;
    let js = crate::damon::js::Js::Obj(vec![(
        "kdamonds".to_string(),
        crate::damon::js::Js::List(kdamonds.iter().map(|k| k.to_js(raw, omit)).collect()),
    )]);
    let text = if format == Format::Yaml {
        crate::damon::yaml::dump(&js)
    } else {
        let mut text = Vec::new();
        js.write(&mut text, 0)?;
        String::from_utf8_lossy(&text).into_owned()
    };
    match &args.out {
        Some(path) => {
            let mut f = crate::outfile::AtomicFile::create(std::path::Path::new(path))?;
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            f.commit(None)
        }
        None => crate::output::print(&format!("{text}\n")),
    }
}
