//! Conversions the generated `opts.rs` uses to fill the typed options from
//! the parsed arguments: a shape (one value, a list, one value per
//! occurrence, a list per occurrence) applied with a kind (text, integer,
//! float, choice).  Values were checked against their argparse type when
//! parsed; here they are narrowed to the field's type, with an error
//! naming the option when a value does not fit.

use anyhow::{Result, anyhow};

use std::time::Duration;

use super::parse::Args;
use crate::fmt::pynum::Num;
use crate::fmt::{self, pyparse};

/// An option's choices as an enum.
pub trait Choice: Sized {
    fn parse(s: &str) -> Option<Self>;
    fn as_str(&self) -> &'static str;
}

fn bad(dest: &str, why: &str) -> anyhow::Error {
    anyhow!("argument --{dest}: {why}")
}

/// Kind: an integer of the field's type.
pub fn int<T: TryFrom<i128>>(dest: &str, s: &str) -> Result<T> {
    let v = pyparse::py_int(s).map_err(|e| bad(dest, &e.to_string()))?;
    T::try_from(v).map_err(|_| {
        bad(
            dest,
            &format!("{v} is out of range for this option; give a smaller value"),
        )
    })
}

/// Kind: a float.
pub fn float(dest: &str, s: &str) -> Result<f64> {
    pyparse::py_float(s).map_err(|e| bad(dest, &e.to_string()))
}

/// Kind: one of the option's choices.
pub fn choice<E: Choice>(dest: &str, s: &str) -> Result<E> {
    E::parse(s).ok_or_else(|| bad(dest, &format!("invalid choice: '{s}'")))
}

/// Kind: the text itself.
pub fn text(_: &str, s: &str) -> Result<String> {
    Ok(s.to_string())
}

/// Kind: a size in bytes, in any of damo's forms (`4K`, `1 GiB`, `min`,
/// `max`, plain numbers).
pub fn bytes(dest: &str, s: &str) -> Result<Num> {
    unit(dest, s, fmt::text_to_bytes)
}

/// Kind: an access rate in percent (`5%`, `min`, `max`, plain numbers).
pub fn percent(dest: &str, s: &str) -> Result<Num> {
    unit(dest, s, fmt::text_to_percent)
}

/// Kind: a time in microseconds (`5ms`, `1 s`, `min`, `max`, plain
/// numbers are microseconds).
pub fn us(dest: &str, s: &str) -> Result<Num> {
    unit(dest, s, fmt::text_to_us)
}

/// Kind: a time in nanoseconds (plain numbers are nanoseconds).
pub fn ns(dest: &str, s: &str) -> Result<Num> {
    unit(dest, s, fmt::text_to_ns)
}

/// Kind: a time in milliseconds (plain numbers are milliseconds).
pub fn ms(dest: &str, s: &str) -> Result<Num> {
    unit(dest, s, fmt::text_to_ms)
}

/// Kind: a count (`1,000`, `max`, plain numbers).
pub fn nr(dest: &str, s: &str) -> Result<Num> {
    unit(dest, s, fmt::text_to_nr)
}

fn unit(dest: &str, s: &str, parse: fn(&str) -> Result<Num, fmt::ParseError>) -> Result<Num> {
    parse(s).map_err(|e| anyhow!("wrong --{dest}: {e}"))
}

/// Kind: damo's `parse_file_permission_str`: an octal mode, 0 to 0777.
pub fn mode(dest: &str, s: &str) -> Result<u32> {
    let v = u32::from_str_radix(s.trim(), 8)
        .map_err(|_| anyhow!("wrong --{dest} ({s}): give an octal mode such as 600"))?;
    if v > 0o777 {
        return Err(anyhow!("wrong --{dest} ({s}): out of the 0-777 range"));
    }
    Ok(v)
}

/// A duration of `record`'s: seconds (`3600`, `0.5`), or a time with a
/// unit (`1h`, `30 m`); not negative.
fn record_duration(s: &str) -> Option<Duration> {
    let secs = match pyparse::py_float(s) {
        Ok(v) => Some(v),
        Err(_) => fmt::text_to_us(s).ok().map(|us| us.f() / 1e6),
    };
    secs.filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
}

/// Kind: a positive duration of `record`'s (`--output_flush_sec`).
pub fn positive_duration(dest: &str, s: &str) -> Result<Duration> {
    record_duration(s)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| anyhow!("wrong --{dest} '{s}'"))
}

/// `record --snapshot <delay> <count>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPlan {
    /// the time between snapshots
    pub delay: Duration,
    /// how many snapshots to take
    pub count: i128,
}

/// Kind (of a whole list): `record --snapshot <delay> <count>`.
pub fn snapshot_plan(dest: &str, words: &[&str]) -> Result<SnapshotPlan> {
    let [delay, count] = words else {
        return Err(anyhow!("wrong --{dest}: give <delay> <count>"));
    };
    Ok(SnapshotPlan {
        delay: record_duration(delay).ok_or_else(|| anyhow!("wrong --{dest} delay '{delay}'"))?,
        count: fmt::text_to_nr(count)
            .ok()
            .map(|n| n.trunc())
            .ok_or_else(|| anyhow!("wrong --{dest} count '{count}'"))?,
    })
}

/// Kind: seconds, in damo's time forms (`1 m`, `30s`, plain numbers are
/// seconds).
pub fn seconds(dest: &str, s: &str) -> Result<f64> {
    fmt::text_to_sec(s)
        .map(|v| v.f())
        .map_err(|e| anyhow!("--{dest} '{s}': {e}"))
}

/// Kind: a percentage as a float (`validate --allow_error`; damo 3.4.3
/// crashes when it is given: it stays a string there).
pub fn percentage(dest: &str, s: &str) -> Result<f64> {
    pyparse::py_float(s).map_err(|_| anyhow!("wrong --{dest} {s}: give a percentage"))
}

/// Kind: an address range written `<start>-<end>` (`validate
/// --regions_boundary`).
pub fn boundary(_: &str, s: &str) -> Result<[i128; 2]> {
    let [start, end] = s.split('-').collect::<Vec<_>>()[..] else {
        return Err(anyhow!("wrong boundary input {s}: give <start>-<end>"));
    };
    let p = |x: &str| pyparse::py_int(x).map_err(|_| anyhow!("wrong boundary input {s}"));
    Ok([p(start)?, p(end)?])
}

/// `report access|attrs --repeat [<delay> <count>]`: live snapshots
/// `count` times (-1: until interrupted), `delay` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub delay: Duration,
    pub count: i128,
}

/// Kind (of a whole list): `--repeat [<delay> <count>]`; the delay is in
/// seconds unless it has a unit.
pub fn repeat(dest: &str, words: &[&str]) -> Result<Repeat> {
    match words {
        [] => Ok(Repeat {
            delay: Duration::from_secs(1),
            count: -1,
        }),
        [delay, count] => {
            let ns = fmt::text_to_ns(&format!("{delay} s"))
                .or_else(|_| fmt::text_to_ns(delay))
                .map_err(|e| anyhow!("wrong --{dest} delay '{delay}': {e}"))?;
            let count = fmt::text_to_nr(count)
                .map_err(|e| anyhow!("wrong --{dest} count '{count}': {e}"))?;
            Ok(Repeat {
                delay: Duration::from_nanos(fmt::sat_u64(ns.trunc())),
                count: count.trunc(),
            })
        }
        _ => Err(anyhow!(
            "--{dest} takes zero or two arguments (<delay> <count>)"
        )),
    }
}

/// Where `report heatmap --output` draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeatmapOutput {
    /// `stdout`: colored cells on the terminal.
    Stdout,
    /// `raw`: the numbers.
    Raw,
    /// an image file; its kind is the file name's extension.
    Image(String),
}

/// Kind: `report heatmap --output`.
pub fn heatmap_output(_: &str, s: &str) -> Result<HeatmapOutput> {
    Ok(match s {
        "stdout" => HeatmapOutput::Stdout,
        "raw" => HeatmapOutput::Raw,
        path => HeatmapOutput::Image(path.to_string()),
    })
}

/// What a range given on the command line is relative to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RangeBase {
    /// the start of the range the record's guide covers (`guided`)
    Guided,
    /// its end (`guided_end`; times only)
    GuidedEnd,
    /// a given time or address
    At(Num),
}

/// `<start> <end> [base]` of `report heatmap --time_range` (nanoseconds)
/// or one `--address_range` (bytes).  `None` for an address range of
/// another length: damo then draws the guided ranges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub start: Num,
    pub end: Num,
    pub base: Option<RangeBase>,
}

/// `<start> <end> [base]` read with `parse`; `guided_end` only where
/// the range is a time range.
fn range_of(
    dest: &str,
    (start, end, base): (&str, &str, Option<&str>),
    parse: fn(&str) -> Result<Num, fmt::ParseError>,
    guided_end: bool,
) -> Result<Range> {
    let p = |s: &str| parse(s).map_err(|e| anyhow!("bad --{dest}: {e}"));
    Ok(Range {
        start: p(start)?,
        end: p(end)?,
        base: match base {
            None => None,
            Some("guided") => Some(RangeBase::Guided),
            Some("guided_end") if guided_end => Some(RangeBase::GuidedEnd),
            Some(b) => Some(RangeBase::At(p(b)?)),
        },
    })
}

/// The words of `<start> <end> [base]`, if there are two or three.
fn range_words<'a>(words: &[&'a str]) -> Option<(&'a str, &'a str, Option<&'a str>)> {
    match *words {
        [s, e] => Some((s, e, None)),
        [s, e, b] => Some((s, e, Some(b))),
        _ => None,
    }
}

/// Kind (of a whole list): `--time_range <start> <end> [base]`.
pub fn time_range(dest: &str, words: &[&str]) -> Result<Range> {
    let w = range_words(words).ok_or_else(|| {
        anyhow!(
            "bad --{dest}: --{dest} takes '<start> <end> [base]' (got {} values)",
            words.len()
        )
    })?;
    range_of(dest, w, fmt::text_to_ns, true)
}

/// Kind (of each occurrence's list): `--address_range <start> <end>
/// [base]`; `None` when the occurrence has another number of values.
pub fn address_range(dest: &str, words: &[&str]) -> Result<Option<Range>> {
    range_words(words)
        .map(|w| range_of(dest, w, fmt::text_to_bytes, false))
        .transpose()
}

/// Shape: a list converted as a whole (given or the default).
pub fn whole<T>(
    a: &Args,
    dest: &str,
    kind: impl Fn(&str, &[&str]) -> Result<T>,
) -> Result<Option<T>> {
    a.list(dest).map(|l| kind(dest, &l)).transpose()
}

/// Shape: each occurrence's list converted as a whole.
pub fn whole_occurrences<T>(
    a: &Args,
    dest: &str,
    kind: impl Fn(&str, &[&str]) -> Result<T>,
) -> Result<Vec<T>> {
    if !a.given(dest) {
        return Ok(Vec::new());
    }
    a.lists(dest)
        .unwrap_or_default()
        .iter()
        .map(|l| kind(dest, l))
        .collect()
}

/// A value that has a default is always there.
pub fn present<T>(v: Option<T>, dest: &str) -> Result<T> {
    v.ok_or_else(|| bad(dest, "no value"))
}

/// Shape: one value (given or the default).
pub fn one<T>(a: &Args, dest: &str, kind: fn(&str, &str) -> Result<T>) -> Result<Option<T>> {
    a.str(dest).map(|s| kind(dest, s)).transpose()
}

/// Shape: a list of values (given or the default).
pub fn list<T>(a: &Args, dest: &str, kind: fn(&str, &str) -> Result<T>) -> Result<Option<Vec<T>>> {
    whole(a, dest, |d, l| each(d, l, kind))
}

/// `kind` applied to each of `words`.
fn each<T>(dest: &str, words: &[&str], kind: fn(&str, &str) -> Result<T>) -> Result<Vec<T>> {
    words.iter().map(|s| kind(dest, s)).collect()
}

/// Shape: the values of each occurrence of an append option (none when
/// not given).
pub fn occurrence_lists<T>(
    a: &Args,
    dest: &str,
    kind: fn(&str, &str) -> Result<T>,
) -> Result<Vec<Vec<T>>> {
    whole_occurrences(a, dest, |d, l| each(d, l, kind))
}

/// Shape: the value of each occurrence of a one-value append option.
pub fn occurrences<T>(a: &Args, dest: &str, kind: fn(&str, &str) -> Result<T>) -> Result<Vec<T>> {
    Ok(occurrence_lists(a, dest, kind)?
        .into_iter()
        .flatten()
        .collect())
}

/// An option without a default: `None` unless given (damo's `[None] * n`
/// defaults included).
pub fn if_given<T>(
    a: &Args,
    dest: &str,
    shape: impl Fn(&Args, &str) -> Result<Option<T>>,
) -> Result<Option<T>> {
    if a.given(dest) {
        shape(a, dest)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::super::opts::{Command, Sortby};
    use super::super::parse::parse;
    use super::super::spec::CMD_ROOT;
    use super::{HeatmapOutput, Range, RangeBase};

    fn opts(line: &str) -> anyhow::Result<Command> {
        let argv: Vec<String> = line.split(' ').map(String::from).collect();
        let a = parse(&CMD_ROOT, &argv).map_err(|e| anyhow::anyhow!(e.render()))?;
        Command::from_args(&a)
    }

    #[test]
    fn values_are_typed_once() {
        let Ok(Command::ReportWss(o)) = opts("report wss --sortby time --range 1 2 3") else {
            panic!("not report wss");
        };
        assert_eq!(
            (o.sortby, o.range, o.nr_cols_bar),
            (Some(Sortby::Time), vec![1, 2, 3], 59)
        );
        // defaults are converted too; options without one stay None
        assert_eq!((o.input.as_str(), o.plot), ("damon.data", None));
    }

    #[test]
    fn a_value_too_wide_for_its_field_is_a_one_line_error() {
        // the parser takes any 64-bit value; the index field is an i64
        let e = opts("report heatmap --kdamond_idx 18446744073709551615").err();
        let msg = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.starts_with("argument --kdamond_idx: "), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[test]
    fn damo_none_defaults_are_absent_and_occurrences_kept_apart() {
        let Ok(Command::Reclaim(o)) = opts("reclaim enable --quota 1 2 3") else {
            panic!("not reclaim");
        };
        assert_eq!(
            (o.module.quota, o.module.wmarks),
            (Some(vec![1, 2, 3]), None)
        );
        let Ok(Command::ArgsDamon(o)) =
            opts("args damon --damos_action stat --damos_action pageout --damos_age 1 2")
        else {
            panic!("not args damon");
        };
        assert_eq!(o.damon.damos_action, [vec!["stat"], vec!["pageout"]]);
        assert!(o.damon.given_options().contains(&"damos_age"));
        assert!(!o.damon.given_options().contains(&"damos_filter"));
    }

    #[test]
    fn units_modes_and_ranges_are_converted_by_the_command_line() {
        use crate::fmt::pynum::I;
        let Ok(Command::Adjust(o)) = opts(
            "adjust --output_permission 640 --sz_region 4K max --access_rate 5% 80 \
             --age 1s max --address 1M 2M --snapshot_idx 1 3",
        ) else {
            panic!("not adjust");
        };
        let f = &o.access_filter;
        assert_eq!(o.output_permission, 0o640);
        assert_eq!(f.sz_region, [I(4096), I(u64::MAX.into())]);
        assert_eq!(f.access_rate, [I(5), I(80)]);
        assert_eq!(f.age.first(), Some(&I(1_000_000)));
        assert_eq!(f.address, [vec![I(1 << 20), I(2 << 20)]]);
        assert_eq!(f.snapshot_idx, [vec![I(1), I(3)]]);
        let Ok(Command::ReportHeatmap(o)) =
            opts("report heatmap --output x.png --time_range 1s 2s guided_end")
        else {
            panic!("not report heatmap");
        };
        assert_eq!(o.output, HeatmapOutput::Image("x.png".into()));
        assert_eq!(
            o.time_range,
            Some(Range {
                start: I(1_000_000_000),
                end: I(2_000_000_000),
                base: Some(RangeBase::GuidedEnd)
            })
        );
        // an address range of another length means "the guided ranges"
        let Ok(Command::ReportHeatmap(o)) =
            opts("report heatmap --address_range 1 2 guided --address_range 1")
        else {
            panic!("not report heatmap");
        };
        assert_eq!(o.address_range.len(), 2);
        assert_eq!(o.address_range.get(1), Some(&None));
        let Ok(Command::Record(o)) = opts("record --snapshot 0.5 3 --output_flush_sec 1h") else {
            panic!("not record");
        };
        let plan = o.snapshot.map(|p| (p.delay.as_millis(), p.count));
        assert_eq!(plan, Some((500, 3)));
        assert_eq!(o.output_flush_sec.as_secs(), 3600);
    }

    #[test]
    fn a_bad_unit_value_is_refused_at_parse_time_naming_the_option() {
        for (line, want) in [
            (
                "adjust --sz_region 4X max",
                "wrong --sz_region: cannot parse '4X'",
            ),
            (
                "adjust --output_permission 800",
                "wrong --output_permission (800)",
            ),
            ("adjust --output_permission 1000", "out of the 0-777 range"),
            ("report heatmap --time_range 1 2 3 4", "(got 4 values)"),
            (
                "report heatmap --time_range 1x 2",
                "bad --time_range: cannot parse '1x'",
            ),
            (
                "report heatmap --address_range 1 2 guided_end",
                "bad --address_range",
            ),
            (
                "record --output_flush_sec 0",
                "wrong --output_flush_sec '0'",
            ),
            ("record --snapshot 1 x", "wrong --snapshot count 'x'"),
            (
                "validate --regions_boundary 1-2-3",
                "wrong boundary input 1-2-3",
            ),
            (
                "validate --allow_error x",
                "wrong --allow_error x: give a percentage",
            ),
            ("replay --test_perf_runtime 1y", "--test_perf_runtime '1y'"),
        ] {
            let msg = opts(line)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(msg.contains(want), "{line}: {msg}");
            assert!(!msg.contains('\n'), "{line}: {msg}");
        }
    }
}
