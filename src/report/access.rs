//! `report access`: data access patterns of record files.
//!
//! Implemented so far: `--raw_form` (damo's legacy raw text), with the
//! record filter options.  The styles and the `--format` template engine
//! are not built yet and say so.

use anyhow::{Result, bail};

use crate::cli::parse::Args;
use crate::fmt::pynum::Num;
use crate::fmt::{format_sz, format_time_ns};
use crate::record::filter::{Filtered, RecordFilter};
use crate::record::{RecordFiles, RecordMeta, Sink, Snapshot};

/// The files to read, from `--input` / `--input_file` (damo's
/// `handle_args_input`), or `damon.data` when it exists.
fn input_files(args: &Args) -> Result<(Vec<String>, bool)> {
    let mut files: Vec<String> = Vec::new();
    if let Some(inputs) = args.lists("input") {
        for i in inputs {
            if i.first() == Some(&"tried_regions_of") {
                bail!(
                    "--input tried_regions_of needs a running DAMON, which this version cannot drive yet"
                );
            }
            match i.as_slice() {
                [f] if std::path::Path::new(f).is_file() => files.push(f.to_string()),
                [f] => bail!("--input handling failed: {f} is not a record file"),
                _ => bail!(
                    "--input handling failed (unsupported input); give one record file per --input"
                ),
            }
        }
    }
    if files.is_empty()
        && let Some(l) = args.list("input_file")
    {
        files = l.iter().map(|s| s.to_string()).collect();
    }
    if files.is_empty() {
        if std::path::Path::new("damon.data").is_file() {
            return Ok((vec!["damon.data".to_string()], true));
        } else {
            bail!(
                "no record to show: give a record file with --input (live snapshots need a running \
                 DAMON, which this version cannot drive yet)"
            );
        }
    }
    Ok((files, false))
}

/// Builds damo's `--raw_form` text.
struct RawForm {
    raw: bool,
    lines: Vec<String>,
    base: Option<Num>,
    records: usize,
}

impl Sink for RawForm {
    fn record_start(&mut self, _meta: &RecordMeta) -> Result<()> {
        self.base = None;
        self.records += 1;
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
        l.push(format!(
            "# {:>10} {:>12}  {:>12}  {:>11} {:>5}",
            "start_addr", "end_addr", "length", "nr_accesses", "age"
        ));
        for r in &s.regions {
            let age = r
                .age
                .aggr_intervals
                .map(|a| a.fmt_d())
                .unwrap_or_else(|| "-1".to_string());
            l.push(format!(
                "{:012x}-{:012x} ({:>12}) {:>11} {:>5}",
                r.start,
                r.end,
                format_sz(crate::fmt::pynum::I(r.size()), raw),
                r.samples()?.fmt_d(),
                age
            ));
        }
        l.push(String::new());
        Ok(())
    }
}

/// `damo report access`.
pub fn main(args: &Args) -> Result<()> {
    for (flag, what) in [
        ("ls_record_format_keywords", "--ls_record_format_keywords"),
        (
            "ls_snapshot_format_keywords",
            "--ls_snapshot_format_keywords",
        ),
        ("ls_region_format_keywords", "--ls_region_format_keywords"),
        ("json", "--json"),
    ] {
        if args.flag(flag) {
            bail!("{what} is not implemented in this version yet");
        }
    }
    if !args.flag("raw_form") {
        bail!(
            "report access styles and --format are not implemented in this version yet; \
             --raw_form works"
        );
    }
    if args.given("exec") || args.given("repeat") || args.given("on_cache") {
        bail!("--exec, --repeat and --on_cache are not implemented in this version yet");
    }
    let (files, defaulted) = input_files(args)?;
    let filter = RecordFilter::from_args(args)?;
    let records = RecordFiles::new(&files);
    records.check()?;
    let mut form = RawForm {
        raw: args.flag("raw_number"),
        lines: Vec::new(),
        base: None,
        records: 0,
    };
    records.read(&mut Filtered::new(&mut form, filter))?;
    if form.records == 0 {
        // damo's message, on stdout, for an empty record list (it shows the
        // Python value of its file argument).
        let shown = if defaulted {
            files.join("")
        } else {
            format!("['{}']", files.join("', '"))
        };
        return crate::output::print(&format!("No record in {shown}\n\n"));
    }
    form.lines.push(String::new());
    crate::output::print_paged(&form.lines.join("\n"))
}
