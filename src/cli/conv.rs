//! Conversions the generated `opts.rs` uses to fill the typed options from
//! the parsed arguments: a shape (one value, a list, one value per
//! occurrence, a list per occurrence) applied with a kind (text, integer,
//! float, choice).  Values were checked against their argparse type when
//! parsed; here they are narrowed to the field's type, with an error
//! naming the option when a value does not fit.

use anyhow::{Result, anyhow};

use super::parse::Args;
use crate::fmt::pyparse;

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
    a.list(dest)
        .map(|l| l.iter().map(|s| kind(dest, s)).collect())
        .transpose()
}

/// Shape: the values of each occurrence of an append option (none when
/// not given).
pub fn occurrence_lists<T>(
    a: &Args,
    dest: &str,
    kind: fn(&str, &str) -> Result<T>,
) -> Result<Vec<Vec<T>>> {
    if !a.given(dest) {
        return Ok(Vec::new());
    }
    a.lists(dest)
        .unwrap_or_default()
        .iter()
        .map(|l| l.iter().map(|s| kind(dest, s)).collect())
        .collect()
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
}
