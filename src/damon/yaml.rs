//! YAML in and out: the block style PyYAML's `yaml.dump(...,
//! default_flow_style=False, sort_keys=False)` writes (damo's `--format
//! yaml`), and loading YAML kdamonds files into the same JSON values the
//! JSON reader takes.
//!
//! The emitter covers what damo dumps: mappings, sequences, strings,
//! numbers, booleans and nulls.  Strings are written plain when PyYAML
//! would, otherwise single-quoted, otherwise double-quoted with escapes
//! (PyYAML's `analyze_scalar` and its YAML 1.1 implicit resolvers).

use anyhow::{Context as _, Result, bail};

use crate::damon::js::Js;
use crate::fmt::pynum::Num;

/// `yaml.dump(value)`: the document text, ending with a newline.
pub fn dump(value: &Js) -> String {
    let mut out = String::new();
    match value {
        Js::List(items) if !items.is_empty() => seq(&mut out, items, 0),
        Js::Obj(items) if !items.is_empty() => map(&mut out, items, 0),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
            if !matches!(scalar, Js::List(_) | Js::Obj(_)) {
                out.push_str("...\n");
            }
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A block sequence whose dashes start at column `col`; the first item
/// starts where the cursor is.
fn seq(out: &mut String, items: &[Js], col: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            pad(out, col);
        }
        out.push_str("- ");
        match item {
            Js::List(l) if !l.is_empty() => seq(out, l, col + 2),
            Js::Obj(m) if !m.is_empty() => map(out, m, col + 2),
            Js::Str(text) => {
                write_str(out, text, col + 2);
                out.push('\n');
            }
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// A block mapping whose keys start at column `col`; the first key starts
/// where the cursor is.
fn map(out: &mut String, items: &[(String, Js)], col: usize) {
    for (i, (key, value)) in items.iter().enumerate() {
        if i > 0 {
            pad(out, col);
        }
        out.push_str(&scalar_str(key));
        out.push(':');
        match value {
            // PyYAML does not indent a sequence inside a mapping.
            Js::List(l) if !l.is_empty() => {
                out.push('\n');
                pad(out, col);
                seq(out, l, col);
            }
            Js::Obj(m) if !m.is_empty() => {
                out.push('\n');
                pad(out, col + 2);
                map(out, m, col + 2);
            }
            Js::Str(text) => {
                out.push(' ');
                write_str(out, text, col + 2);
                out.push('\n');
            }
            scalar => {
                out.push(' ');
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// PyYAML's `write_double_quoted` (ASCII only, as `yaml.dump` writes by
/// default): escapes, and folding with `\` past column 80.
fn write_double(out: &mut String, text: &str, indent: usize) {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    out.push('"');
    let (mut start, mut end) = (0usize, 0usize);
    while end <= n {
        let ch = chars.get(end).copied();
        let escape = match ch {
            None => true,
            Some(c) => {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                ) || !(' '..='~').contains(&c)
            }
        };
        if escape {
            if start < end {
                out.extend(&chars[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                push_escaped(out, c);
                start = end + 1;
            }
        }
        if 0 < end
            && end + 1 < n
            && (ch == Some(' ') || start >= end)
            && column(out) + end.saturating_sub(start) > BEST_WIDTH
        {
            if start < end {
                out.extend(&chars[start..end]);
                start = end;
            }
            out.push('\\');
            out.push('\n');
            pad(out, indent);
            if chars.get(start) == Some(&' ') {
                out.push('\\');
            }
        }
        end += 1;
    }
    out.push('"');
}

/// PyYAML's line width: values are folded at spaces past this column.
const BEST_WIDTH: usize = 80;

fn column(out: &str) -> usize {
    out.rsplit('\n').next().map_or(0, |l| l.chars().count())
}

/// A string value (not a key) as PyYAML writes it at `indent`: plain and
/// single-quoted text folded at single spaces past column 80, line
/// breaks in single quotes written as PyYAML does (one more break, then
/// the indent).
fn write_str(out: &mut String, text: &str, indent: usize) {
    let style = style_of(text);
    if matches!(style, Style::Double) {
        write_double(out, text, indent);
        return;
    }
    let quoted = matches!(style, Style::Single);
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let is_break = |c: char| matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let newline_indent = |out: &mut String| {
        out.push('\n');
        pad(out, indent);
    };
    if quoted {
        out.push('\'');
    }
    let (mut spaces, mut breaks) = (false, false);
    let (mut start, mut end) = (0usize, 0usize);
    while end <= n {
        let ch = chars.get(end).copied();
        if spaces {
            if ch != Some(' ') {
                let fold = start + 1 == end
                    && column(out) > BEST_WIDTH
                    && (!quoted || (start != 0 && end != n));
                if fold {
                    newline_indent(out);
                } else {
                    out.extend(&chars[start..end]);
                }
                start = end;
            }
        } else if breaks {
            if ch.is_none_or(|c| !is_break(c)) {
                if chars[start] == '\n' {
                    out.push('\n');
                }
                for &br in &chars[start..end] {
                    out.push(br);
                }
                pad(out, indent);
                start = end;
            }
        } else if ch.is_none_or(|c| c == ' ' || is_break(c) || (quoted && c == '\'')) && start < end
        {
            out.extend(&chars[start..end]);
            start = end;
        }
        if quoted && ch == Some('\'') {
            out.push_str("''");
            start = end + 1;
        }
        if let Some(c) = ch {
            spaces = c == ' ';
            breaks = is_break(c);
        }
        end += 1;
    }
    if quoted {
        out.push('\'');
    }
}

fn inline(v: &Js) -> String {
    match v {
        Js::Null => "null".into(),
        Js::Bool(b) => if *b { "true" } else { "false" }.into(),
        Js::Num(n) => number(*n),
        Js::Str(s) => scalar_str(s),
        Js::List(_) => "[]".into(),
        Js::Obj(_) => "{}".into(),
    }
}

/// PyYAML's `represent_int` / `represent_float`.
fn number(n: Num) -> String {
    match n {
        Num::I(v) => v.to_string(),
        Num::F(v) if v.is_nan() => ".nan".into(),
        Num::F(v) if v.is_infinite() => if v > 0.0 { ".inf" } else { "-.inf" }.into(),
        Num::F(_) => {
            let r = n.repr().to_lowercase();
            if !r.contains('.') && r.contains('e') {
                r.replacen('e', ".0e", 1)
            } else {
                r
            }
        }
    }
}

/// Whether PyYAML's YAML 1.1 resolvers read the plain text as something
/// other than a string (so it must be quoted).
fn resolves_to_non_str(s: &str) -> bool {
    if matches!(s, "" | "~" | "null" | "Null" | "NULL" | "<<" | "=") {
        return true;
    }
    const BOOLS: [&str; 18] = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    ];
    BOOLS.contains(&s) || is_int(s) || is_float(s) || is_timestamp(s)
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    s.chars().all(f)
}

/// `[-+]?(0b[01_]+|0[0-7_]+|0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)`
fn is_int(s: &str) -> bool {
    let t = strip_sign(s);
    if let Some(b) = t.strip_prefix("0b") {
        return !b.is_empty() && all(b, |c| c == '0' || c == '1' || c == '_');
    }
    if let Some(x) = t.strip_prefix("0x") {
        return !x.is_empty() && all(x, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if t == "0" {
        return true;
    }
    if let Some(o) = t.strip_prefix('0') {
        return !o.is_empty() && all(o, |c| ('0'..='7').contains(&c) || c == '_');
    }
    let mut parts = t.split(':');
    let head = parts.next().unwrap_or_default();
    let head_ok = head.starts_with(|c: char| ('1'..='9').contains(&c))
        && all(head, |c| c.is_ascii_digit() || c == '_');
    head_ok && parts.all(sexagesimal)
}

/// `:[0-5]?[0-9]` without the colon.
fn sexagesimal(p: &str) -> bool {
    let b = p.as_bytes();
    match b {
        [d] => d.is_ascii_digit(),
        [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
        _ => false,
    }
}

/// PyYAML's float resolver.
fn is_float(s: &str) -> bool {
    let t = strip_sign(s);
    if matches!(t, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let digits_ = |x: &str| all(x, |c| c.is_ascii_digit() || c == '_');
    // [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
    if let Some((int, frac)) = t.split_once('.')
        && int.contains(':')
    {
        let mut parts = int.split(':');
        let head = parts.next().unwrap_or_default();
        return head.starts_with(|c: char| c.is_ascii_digit())
            && digits_(head)
            && parts.all(sexagesimal)
            && digits_(frac);
    }
    // ([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?, with digits before the dot
    // or a non-empty fraction when there are none (`\.[0-9_]+`), and no
    // sign for the latter.
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    if let Some(e) = exp {
        let Some(d) = e.strip_prefix(['-', '+']) else {
            return false;
        };
        if d.is_empty() || !all(d, |c| c.is_ascii_digit()) {
            return false;
        }
    }
    let Some((int, frac)) = mantissa.split_once('.') else {
        return false;
    };
    if !digits_(frac) {
        return false;
    }
    if int.is_empty() {
        return t.len() == s.len() && !frac.is_empty();
    }
    int.starts_with(|c: char| c.is_ascii_digit()) && digits_(int)
}

/// `YYYY-MM-DD`, optionally followed by a time (PyYAML's timestamp
/// resolver, simplified to its shapes).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.len() < 8 || !(d(0) && d(1) && d(2) && d(3) && b[4] == b'-') {
        return false;
    }
    if b.len() == 10 && d(5) && d(6) && b[7] == b'-' && d(8) && d(9) {
        return true;
    }
    // With a time: [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:..
    let rest = &s[5..];
    let mut it = rest.splitn(3, '-');
    let (Some(m), Some(tail)) = (it.next(), it.next()) else {
        return false;
    };
    let _ = tail;
    let short_num = |x: &str| (1..=2).contains(&x.len()) && all(x, |c| c.is_ascii_digit());
    if !short_num(m) {
        return false;
    }
    let after_month = &rest[m.len() + 1..];
    let day_len = after_month.chars().take_while(char::is_ascii_digit).count();
    if !(1..=2).contains(&day_len) {
        return false;
    }
    let time = &after_month[day_len..];
    let time = if let Some(t) = time.strip_prefix(['T', 't']) {
        t
    } else {
        let trimmed = time.trim_start_matches([' ', '\t']);
        if trimmed.len() == time.len() {
            return false;
        }
        trimmed
    };
    let hms: Vec<&str> = time.splitn(3, ':').collect();
    hms.len() == 3
        && short_num(hms[0])
        && hms[1].len() == 2
        && all(hms[1], |c| c.is_ascii_digit())
        && hms[2].len() >= 2
        && hms[2][..2].chars().all(|c| c.is_ascii_digit())
}

const SPACE_OR_BREAK: [char; 7] = ['\0', ' ', '\t', '\r', '\n', '\u{85}', '\u{2028}'];

fn is_ws(c: Option<char>) -> bool {
    c.is_none_or(|c| SPACE_OR_BREAK.contains(&c) || c == '\u{2029}')
}

enum Style {
    Plain,
    Single,
    Double,
}

/// PyYAML's `analyze_scalar` + `choose_scalar_style` for a block-context
/// string.
fn style_of(s: &str) -> Style {
    if s.is_empty() {
        return Style::Single;
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let (mut flow_ind, mut block_ind) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        flow_ind = true;
        block_ind = true;
    }
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut trailing_space) = (false, false);
    let (mut leading_break, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_ws = true;
    for (i, &ch) in chars.iter().enumerate() {
        let followed_ws = is_ws(chars.get(i + 1).copied());
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_ind = true;
                block_ind = true;
            }
            if ch == '?' || ch == ':' {
                flow_ind = true;
                if followed_ws {
                    block_ind = true;
                }
            }
            if ch == '-' && followed_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_ind = true;
            }
            if ch == ':' {
                flow_ind = true;
                if followed_ws {
                    block_ind = true;
                }
            }
            if ch == '#' && preceded_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        let is_break = matches!(ch, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if is_break {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            special = true;
        }
        if ch == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break {
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = SPACE_OR_BREAK.contains(&ch) || ch == '\u{2029}';
    }
    let mut block_plain = true;
    let mut single = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        block_plain = false;
    }
    if break_space {
        block_plain = false;
        single = false;
    }
    if space_break || special {
        block_plain = false;
        single = false;
    }
    if line_breaks || block_ind {
        block_plain = false;
    }
    let _ = flow_ind;
    if block_plain && !resolves_to_non_str(s) {
        Style::Plain
    } else if single {
        Style::Single
    } else {
        Style::Double
    }
}

fn scalar_str(s: &str) -> String {
    match style_of(s) {
        Style::Plain => s.to_string(),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        Style::Double => {
            let mut out = String::from("\"");
            for c in s.chars() {
                push_escaped(&mut out, c);
            }
            out.push('"');
            out
        }
    }
}

/// One character inside double quotes, escaped as PyYAML does.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\0' => out.push_str("\\0"),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\x0b' => out.push_str("\\v"),
        '\x0c' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        '\x1b' => out.push_str("\\e"),
        '\u{85}' => out.push_str("\\N"),
        '\u{a0}' => out.push_str("\\_"),
        '\u{2028}' => out.push_str("\\L"),
        '\u{2029}' => out.push_str("\\P"),
        ' '..='~' => out.push(c),
        c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02X}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04X}", c as u32)),
        c => out.push_str(&format!("\\U{:08X}", c as u32)),
    }
}

/// Loads one YAML document into the JSON value the kdamonds reader takes.
pub fn load(text: &str, what: &str) -> Result<serde_json::Value> {
    let docs = yaml_rust2::YamlLoader::load_from_str(text)
        .map_err(|e| anyhow::anyhow!("{what} is not valid YAML ({e})"))?;
    let Some(doc) = docs.into_iter().next() else {
        bail!("{what} is an empty YAML document");
    };
    to_json(doc).with_context(|| format!("in {what}"))
}

fn to_json(y: yaml_rust2::Yaml) -> Result<serde_json::Value> {
    use serde_json::Value;
    use yaml_rust2::Yaml;
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(r) => match r.parse::<f64>() {
            Ok(f) if f.is_finite() => Value::from(f),
            _ => Value::String(r),
        },
        Yaml::String(s) => Value::String(s),
        Yaml::Array(a) => Value::Array(a.into_iter().map(to_json).collect::<Result<_>>()?),
        Yaml::Hash(h) => {
            let mut m = serde_json::Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => bail!("mapping key {other:?} is not a string"),
                };
                m.insert(key, to_json(v)?);
            }
            Value::Object(m)
        }
        Yaml::Alias(_) => bail!("YAML aliases are not supported"),
        Yaml::BadValue => bail!("bad YAML value"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::pynum::I;

    fn st(s: &str) -> String {
        scalar_str(s)
    }

    #[test]
    fn quotes_what_pyyaml_quotes() {
        for (s, want) in [
            ("5 ms", "5 ms"),
            ("0", "'0'"),
            ("10", "'10'"),
            ("1,000", "1,000"),
            (
                "18,446,744,073,709,551,615 %",
                "18,446,744,073,709,551,615 %",
            ),
            ("", "''"),
            ("null", "'null'"),
            ("on", "'on'"),
            ("Y", "Y"),
            ("1.5", "'1.5'"),
            ("1.", "'1.'"),
            (".5", "'.5'"),
            ("1e5", "1e5"),
            ("1.0e+5", "'1.0e+5'"),
            ("0x1f", "'0x1f'"),
            ("010", "'010'"),
            ("09", "09"),
            ("1:30", "'1:30'"),
            ("2024-01-02", "'2024-01-02'"),
            ("-1", "'-1'"),
            ("- a", "'- a'"),
            ("a: b", "'a: b'"),
            ("a:b", "a:b"),
            ("a #b", "'a #b'"),
            ("#a", "'#a'"),
            ("/a b", "/a b"),
            (" a", "' a'"),
            ("it's", "it's"),
            ("'q", "'''q'"),
            ("tab\there", "\"tab\\there\""),
            ("é", "\"\\xE9\""),
        ] {
            assert_eq!(st(s), want, "{s:?}");
        }
    }

    #[test]
    fn block_layout_like_pyyaml() {
        let v = Js::Obj(vec![
            (
                "kdamonds".into(),
                Js::List(vec![Js::Obj(vec![
                    ("refresh_ms".into(), Js::Num(I(0))),
                    ("empty".into(), Js::List(vec![])),
                    (
                        "ctx".into(),
                        Js::Obj(vec![("ops".into(), Js::Str("vaddr".into()))]),
                    ),
                    (
                        "nested".into(),
                        Js::List(vec![Js::List(vec![Js::Null, Js::Bool(true)])]),
                    ),
                ])]),
            ),
            ("f".into(), Js::Num(Num::F(1e16))),
        ]);
        assert_eq!(
            dump(&v),
            "kdamonds:\n- refresh_ms: 0\n  empty: []\n  ctx:\n    ops: vaddr\n  nested:\n  - - null\n    - true\nf: 1.0e+16\n"
        );
    }

    #[test]
    fn loads_into_json_values() {
        let v = load("kdamonds:\n- refresh_ms: 0\n  pid: null\n  x: '10'\n", "t").unwrap();
        assert_eq!(v["kdamonds"][0]["refresh_ms"], 0);
        assert_eq!(v["kdamonds"][0]["x"], "10");
        assert!(v["kdamonds"][0]["pid"].is_null());
        assert!(load("a: [", "t").is_err());
    }
}
