//! `damo report trace`: DAMON's tracepoints, live or from a file, one
//! line per event in damo 3.4.3's layout (`<time> <task> <event> <fields>`,
//! sizes and addresses formatted, wrapped at `--max_cols`).
//!
//! Live events come from a private tracefs instance (no perf or
//! trace-cmd).  Files: the text of `perf script`, of `trace-cmd report`, or
//! of `damo report trace --output`; binary `perf.data`/`trace.dat` files
//! need `perf script`/`trace-cmd report` first.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use crate::cli::conv::Choice as _;
use crate::cli::opts::{Event as EventChoice, ReportTrace};
use crate::fmt::pynum::{I, Num};
use crate::fmt::{format_nr, format_sz_accurate};
use crate::record::write::AtomicFile;

/// The events damo knows, in damo's order.
pub const EVENTS: &[&str] = &[
    "damon:damon_aggregated",
    "damon:damos_before_apply",
    "damon:damon_monitor_intervals_tune",
    "damon:damos_esz",
    "damon:damos_stat_after_apply_interval",
    "damon:damon_region_aggregated",
];

/// The layout of trace text lines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LineFormat {
    /// `perf script`: `<comm> <pid> [<cpu>] <time>: <event>: <fields>`.
    PerfScript,
    /// ftrace (`trace_pipe`, `trace-cmd report`/`stream`):
    /// `<comm>-<pid> [<cpu>] [<flags>] <time>: <event>: <fields>`.
    Ftrace,
}

/// One parsed event line.
#[derive(Debug, PartialEq)]
pub struct Event<'a> {
    pub time: &'a str,
    pub task: String,
    pub event: String,
    pub fields: Vec<&'a str>,
}

/// Parses one line; `None` for lines that are not events (headers).
pub fn parse_line(line: &str, fmt: LineFormat) -> Option<Event<'_>> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 4 {
        return None;
    }
    match fmt {
        LineFormat::PerfScript => {
            if f.len() < 5 {
                return None;
            }
            Some(Event {
                time: f[3].strip_suffix(':').unwrap_or(f[3]),
                task: format!("{}/{}", f[0], f[1]),
                event: f[4].strip_suffix(':').unwrap_or(f[4]).to_string(),
                fields: f[5..].to_vec(),
            })
        }
        LineFormat::Ftrace => {
            let ti = if f[2].ends_with(':') { 2 } else { 3 };
            if f.len() < ti + 2 {
                return None;
            }
            let ev = f[ti + 1].strip_suffix(':').unwrap_or(f[ti + 1]);
            Some(Event {
                time: f[ti].strip_suffix(':').unwrap_or(f[ti]),
                task: f[0].to_string(),
                event: format!("damon:{ev}"),
                fields: f[ti + 2..].to_vec(),
            })
        }
    }
}

fn kv_int(field: &str) -> Result<i128> {
    let v = field.split('=').nth(1).unwrap_or(field);
    v.parse::<i128>()
        .with_context(|| format!("'{field}' is not <name>=<integer>"))
}

fn int(field: &str) -> Result<i128> {
    field
        .parse::<i128>()
        .with_context(|| format!("'{field}' is not an integer"))
}

/// `<start>-<end>:` of a region.
fn range(field: &str) -> Result<(i128, i128)> {
    let (s, e) = field
        .trim_end_matches(':')
        .split_once('-')
        .with_context(|| format!("'{field}' is not <start>-<end>:"))?;
    Ok((int(s)?, int(e)?))
}

fn sz(v: i128) -> String {
    format_sz_accurate(I(v), false)
}

fn nr(v: i128) -> String {
    format_nr(Num::I(v), false)
}

fn field<'a>(f: &[&'a str], i: usize) -> Result<&'a str> {
    f.get(i)
        .copied()
        .with_context(|| format!("field {} missing", i + 1))
}

/// Turns event lines into damo's text, keeping the region counters that
/// number regions within each aggregation.
#[derive(Default)]
pub struct Formatter {
    region_idx: i128,
    region_aggregated_idx: i128,
}

impl Formatter {
    fn event_text(&mut self, e: &Event) -> Result<String> {
        let f = &e.fields;
        Ok(match e.event.as_str() {
            "damon:damon_aggregated" => {
                let target = kv_int(field(f, 0)?)?;
                let nr_regions = kv_int(field(f, 1)?)?;
                let (s, end) = range(field(f, 2)?)?;
                let acc = int(field(f, 3)?)?;
                let age = match f.get(4) {
                    Some(a) => int(a)?,
                    None => -1,
                };
                let t = format!(
                    "{target} {}/{nr_regions} {} ({}) {acc} {age}",
                    self.region_idx,
                    sz(s),
                    sz(end - s)
                );
                self.region_idx += 1;
                if self.region_idx == nr_regions {
                    self.region_idx = 0;
                }
                t
            }
            "damon:damon_region_aggregated" => {
                let target = kv_int(field(f, 0)?)?;
                let nr_regions = kv_int(field(f, 1)?)?;
                let (s, end) = range(field(f, 2)?)?;
                let acc = int(field(f, 3)?)?;
                let age = int(field(f, 4)?)?;
                let first = field(f, 5)?;
                let hits: Vec<String> = if first == "probe_hits=" {
                    vec![]
                } else {
                    std::iter::once(first.split('=').nth(1).unwrap_or(first))
                        .chain(f[6..].iter().copied())
                        .map(|h| {
                            i128::from_str_radix(h, 16)
                                .map(|v| v.to_string())
                                .with_context(|| format!("probe hits '{h}' is not hexadecimal"))
                        })
                        .collect::<Result<_>>()?
                };
                let t = format!(
                    "{target} {}/{nr_regions} {} ({}) {acc} {age} {}",
                    self.region_aggregated_idx,
                    sz(s),
                    sz(end - s),
                    hits.join(" ")
                );
                self.region_aggregated_idx += 1;
                if self.region_aggregated_idx == nr_regions {
                    self.region_aggregated_idx = 0;
                }
                t
            }
            "damon:damos_before_apply" => {
                let (s, end) = range(field(f, 4)?)?;
                format!(
                    "{} {} {} {} {} ({}) {} {}",
                    kv_int(field(f, 0)?)?,
                    kv_int(field(f, 1)?)?,
                    kv_int(field(f, 2)?)?,
                    kv_int(field(f, 3)?)?,
                    sz(s),
                    sz(end - s),
                    int(field(f, 5)?)?,
                    int(field(f, 6)?)?
                )
            }
            "damon:damos_stat_after_apply_interval" => {
                let opt = |i: usize| -> Result<i128> {
                    match f.get(i) {
                        Some(x) => kv_int(x),
                        None => Ok(-1),
                    }
                };
                format!(
                    "{} {} {} {} {} {} {} {} {}",
                    kv_int(field(f, 0)?)?,
                    kv_int(field(f, 1)?)?,
                    nr(kv_int(field(f, 2)?)?),
                    sz(kv_int(field(f, 3)?)?),
                    nr(kv_int(field(f, 4)?)?),
                    sz(kv_int(field(f, 5)?)?),
                    sz(opt(6)?),
                    nr(opt(7)?),
                    nr(opt(8)?)
                )
            }
            _ => f.join(" "),
        })
    }

    /// The event's output line(s), wrapped at `max_cols`.
    pub fn format(&mut self, e: &Event, max_cols: usize) -> Result<String> {
        let text = self
            .event_text(e)
            .with_context(|| format!("cannot read {} fields '{}'", e.event, e.fields.join(" ")))?;
        Ok(wrapped(
            &format!("{} {} {} {}", e.time, e.task, e.event, text),
            max_cols,
        ))
    }
}

/// damo's `pr_wrapped`: words kept whole, continuation lines indented.
pub fn wrapped(line: &str, max_cols: usize) -> String {
    if line.chars().count() <= max_cols {
        return format!("{line}\n");
    }
    let mut out = String::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut len = 0usize;
    for w in line.split_whitespace() {
        let wl = w.chars().count();
        if len + wl > max_cols {
            if cur.is_empty() {
                out.push_str(w);
                out.push('\n');
            } else {
                out.push_str(&cur.join(" "));
                out.push('\n');
                cur.clear();
            }
            cur.push("  ");
            len = 2;
        }
        cur.push(w);
        len += wl;
        if cur.len() > 1 {
            len += 1;
        }
    }
    if !cur.is_empty() {
        out.push_str(&cur.join(" "));
        out.push('\n');
    }
    out
}

/// The events to show: `--event` (all by default) minus `--no_event`.
fn events(args: &ReportTrace) -> Vec<String> {
    let mut v: Vec<String> = if args.event.contains(&EventChoice::All) {
        EVENTS.iter().map(|s| s.to_string()).collect()
    } else {
        args.event.iter().map(|e| e.as_str().to_string()).collect()
    };
    if let Some(no) = &args.no_event {
        v.retain(|e| !no.iter().any(|n| n.as_str() == e));
    }
    v
}

/// The line format of a trace text file, and where its events start.
fn sniff(text: &str) -> Result<LineFormat> {
    if let Some(first) = text.lines().next()
        && first.starts_with("damo_report_trace_output_format_version:")
    {
        return Ok(LineFormat::Ftrace);
    }
    for line in text.lines().take(200) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 5 && f[4].starts_with("damon:") && f[3].ends_with(':') {
            return Ok(LineFormat::PerfScript);
        }
        if f.len() >= 5
            && f.iter()
                .any(|x| x.starts_with("damon_") || x.starts_with("damos_"))
        {
            return Ok(LineFormat::Ftrace);
        }
    }
    bail!(
        "no DAMON trace events found; give the text of 'perf script', of \
         'trace-cmd report', or of 'damo report trace --output' (binary perf.data \
         and trace.dat files need 'perf script -i FILE' or 'trace-cmd report -i FILE' first)"
    )
}

fn report_file(args: &ReportTrace, path: &str) -> Result<()> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .with_context(|| format!("cannot read {path}"))?;
    let fmt = sniff(&text).with_context(|| path.to_string())?;
    let events = events(args);
    let raw = args.raw;
    let max_cols = usize::try_from(args.max_cols.max(0)).unwrap_or(usize::MAX);
    let mut fmtr = Formatter::default();
    let mut out = String::new();
    for line in text.trim().lines() {
        let Some(e) = parse_line(line, fmt) else {
            continue;
        };
        if !events.contains(&e.event) {
            continue;
        }
        if raw {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&fmtr.format(&e, max_cols)?);
        if out.len() > 1 << 20 {
            crate::output::print(&std::mem::take(&mut out))?;
        }
    }
    crate::output::print(&out)
}

fn report_live(args: &ReportTrace) -> Result<()> {
    let root = crate::env::get().tracefs_root().context(
        "tracefs is not mounted (mount it with 'mount -t tracefs nodev /sys/kernel/tracing')",
    )?;
    let wanted = events(args);
    let mut names: Vec<&str> = wanted
        .iter()
        .filter_map(|e| e.strip_prefix("damon:"))
        .filter(|e| root.join("events/damon").join(e).is_dir())
        .collect();
    if names.is_empty() {
        bail!(
            "the kernel has none of the DAMON tracepoints asked for ({}); see which it \
             has with 'damo report sysinfo --print trace_features'",
            wanted.join(", ")
        );
    }
    names.dedup();
    crate::interrupt::catch()?;
    let spool_dir = crate::outfile::TempDir::new("damo-trace-")?;
    let spool = spool_dir.path().join("trace");
    let mut tracer = crate::record::tracefs::Tracer::start(&root, &names, &spool)?;
    let mut reader =
        std::fs::File::open(&spool).with_context(|| format!("cannot read {}", spool.display()))?;
    let mut output = match args.output.as_deref() {
        Some(o) => {
            let mut f = AtomicFile::create(Path::new(o))?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            write!(
                f,
                "damo_report_trace_output_format_version: 0\n\
                 damo_report_trace_output_time: {now}\n\
                 damo_report_trace_output_tracer: trace-cmd\n"
            )
            .with_context(|| format!("cannot write {o}"))?;
            Some((f, o.to_string()))
        }
        None => None,
    };
    let raw = args.raw;
    let max_cols = usize::try_from(args.max_cols.max(0)).unwrap_or(usize::MAX);
    let mut fmtr = Formatter::default();
    let mut pending = String::new();
    let mut buf = Vec::new();
    let result = loop {
        let sig = crate::interrupt::sleep(Duration::from_millis(200));
        if let Err(e) = tracer.drain() {
            break Err(e);
        }
        buf.clear();
        if let Err(e) = reader.read_to_end(&mut buf) {
            break Err(anyhow::Error::from(e).context("cannot read the trace spool"));
        }
        pending.push_str(&String::from_utf8_lossy(&buf));
        let mut out = String::new();
        while let Some(nl) = pending.find('\n') {
            let line: String = pending.drain(..=nl).collect();
            let line = line.trim_end();
            let Some(e) = parse_line(line, LineFormat::Ftrace) else {
                continue;
            };
            if !wanted.contains(&e.event) {
                continue;
            }
            if raw {
                out.push_str(line);
                out.push('\n');
            } else {
                match fmtr.format(&e, max_cols) {
                    Ok(t) => out.push_str(&t),
                    Err(_) => {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
            if let Some((f, o)) = output.as_mut()
                && let Err(e) = writeln!(f, "{line}")
            {
                return Err(anyhow::Error::from(e).context(format!("cannot write {o}")));
            }
        }
        if let Err(e) = crate::output::print(&out) {
            break Err(e);
        }
        if let Some(s) = sig {
            break crate::output::print(&format!("signal {s} received\n"));
        }
    };
    let finished = tracer.finish();
    drop(spool_dir);
    if let Some((f, _)) = output {
        f.commit(None)?;
    }
    result.and(finished)
}

/// `damo report trace`.
/// `report trace` of a recorded trace (`--input`), or live (the caller
/// checked for root).
pub fn main(args: &ReportTrace) -> Result<()> {
    match args.input.as_deref() {
        Some(path) => report_file(args, path),
        None => report_live(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_script_and_ftrace_lines() {
        let p = "kdamond.0  129062 [004] 100952.251360: damon:damon_aggregated: target_id=0 nr_regions=2 8359534592-8371830784: 0 505";
        let e = parse_line(p, LineFormat::PerfScript).unwrap();
        assert_eq!(
            (e.time, e.task.as_str(), e.event.as_str()),
            (
                "100952.251360",
                "kdamond.0/129062",
                "damon:damon_aggregated"
            )
        );
        let mut f = Formatter::default();
        assert_eq!(
            f.format(&e, 200).unwrap(),
            "100952.251360 kdamond.0/129062 damon:damon_aggregated 0 0/2 7.785 GiB (11.727 MiB) 0 505\n"
                .replace("7.785 GiB", &sz(8359534592))
                .replace("11.727 MiB", &sz(8371830784 - 8359534592))
        );
        let t = "kdamond.0-129062 [005] ..... 101005.778382: damon_aggregated:     target_id=0 nr_regions=11 8360624128-8371830784: 0 974";
        let e = parse_line(t, LineFormat::Ftrace).unwrap();
        assert_eq!(
            (e.time, e.event.as_str()),
            ("101005.778382", "damon:damon_aggregated")
        );
        let old = "<...>-129062 [000] 101029.459185: damon_aggregated:     target_id=0 nr_regions=11 8335224832-8371830784: 0 560";
        assert_eq!(
            parse_line(old, LineFormat::Ftrace).unwrap().time,
            "101029.459185"
        );
    }

    #[test]
    fn long_lines_wrap_like_damo() {
        assert_eq!(wrapped("aaa bbb ccc", 7), "aaa bbb\n   ccc\n");
        assert_eq!(wrapped("short", 100), "short\n");
    }
}
