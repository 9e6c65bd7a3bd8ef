//! The JSON values damo prints and writes (`json.dumps(v, indent=4)`'s
//! layout, Python's escaping), shared by the DAMON parameter model, the
//! record writers and the reports.

use std::io::Write;

use crate::fmt::pynum::{I, Num};

/// A JSON value in the shape damo writes.
#[derive(Debug, Clone)]
pub enum Js {
    Null,
    Bool(bool),
    Num(Num),
    Str(String),
    List(Vec<Js>),
    Obj(Vec<(String, Js)>),
}

pub(crate) fn write_str<W: Write>(w: &mut W, s: &str) -> std::io::Result<()> {
    // Python's json.dumps escapes non-ASCII (ensure_ascii=True).  Runs of
    // printable ASCII go out in one write.
    w.write_all(b"\"")?;
    let mut rest = s;
    while !rest.is_empty() {
        let plain = rest
            .bytes()
            .position(|b| !(0x20..=0x7e).contains(&b) || b == b'"' || b == b'\\')
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(plain);
        w.write_all(run.as_bytes())?;
        let mut chars = tail.chars();
        let Some(c) = chars.next() else { break };
        rest = chars.as_str();
        match c {
            '"' => w.write_all(b"\\\"")?,
            '\\' => w.write_all(b"\\\\")?,
            '\n' => w.write_all(b"\\n")?,
            '\r' => w.write_all(b"\\r")?,
            '\t' => w.write_all(b"\\t")?,
            '\u{8}' => w.write_all(b"\\b")?,
            '\u{c}' => w.write_all(b"\\f")?,
            c => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    write!(w, "\\u{:04x}", u)?;
                }
            }
        }
    }
    w.write_all(b"\"")
}

pub(crate) fn num_json(n: Num) -> String {
    match n {
        Num::I(v) => v.to_string(),
        Num::F(v) if v.is_nan() => "NaN".to_string(),
        Num::F(v) if v.is_infinite() => if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string(),
        Num::F(_) => n.repr(),
    }
}

impl Js {
    /// The text `print()` shows for damo's `--format json|yaml` outputs:
    /// `json.dumps(v, indent=4)` or PyYAML's dump, then a newline.
    pub fn to_text(&self, yaml: bool) -> String {
        if yaml {
            return format!("{}\n", crate::damon::yaml::dump(self));
        }
        let mut out = Vec::new();
        // writing into a Vec cannot fail
        let _ = self.write(&mut out, 0);
        out.push(b'\n');
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Writes with Python's `indent=4` layout, `level` levels deep.
    pub fn write<W: Write>(&self, w: &mut W, level: usize) -> std::io::Result<()> {
        match self {
            Js::Null => w.write_all(b"null"),
            Js::Bool(b) => w.write_all(if *b { b"true" } else { b"false" }),
            Js::Num(n) => w.write_all(num_json(*n).as_bytes()),
            Js::Str(s) => write_str(w, s),
            Js::List(items) if items.is_empty() => w.write_all(b"[]"),
            Js::Obj(items) if items.is_empty() => w.write_all(b"{}"),
            Js::List(items) => {
                w.write_all(b"[")?;
                for (i, it) in items.iter().enumerate() {
                    w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                    indent(w, level + 1)?;
                    it.write(w, level + 1)?;
                }
                w.write_all(b"\n")?;
                indent(w, level)?;
                w.write_all(b"]")
            }
            Js::Obj(items) => {
                w.write_all(b"{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                    indent(w, level + 1)?;
                    write_str(w, k)?;
                    w.write_all(b": ")?;
                    v.write(w, level + 1)?;
                }
                w.write_all(b"\n")?;
                indent(w, level)?;
                w.write_all(b"}")
            }
        }
    }

    /// The same value as a serde_json one (numbers beyond 64 bits become
    /// strings).
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Js::Null => Value::Null,
            Js::Bool(b) => Value::Bool(*b),
            Js::Num(Num::I(i)) => i64::try_from(*i)
                .map(Value::from)
                .or_else(|_| u64::try_from(*i).map(Value::from))
                .unwrap_or_else(|_| Value::String(i.to_string())),
            Js::Num(Num::F(f)) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            Js::Str(s) => Value::String(s.clone()),
            Js::List(l) => Value::Array(l.iter().map(Js::to_value).collect()),
            Js::Obj(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_value())).collect()),
        }
    }

    pub fn from_value(v: &serde_json::Value) -> Js {
        match v {
            serde_json::Value::Null => Js::Null,
            serde_json::Value::Bool(b) => Js::Bool(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Js::Num(I(i as i128)),
                (_, Some(u), _) => Js::Num(I(u as i128)),
                (_, _, Some(f)) => Js::Num(Num::F(f)),
                _ => Js::Null,
            },
            serde_json::Value::String(s) => Js::Str(s.clone()),
            serde_json::Value::Array(a) => Js::List(a.iter().map(Js::from_value).collect()),
            serde_json::Value::Object(o) => Js::Obj(
                o.iter()
                    .map(|(k, v)| (k.clone(), Js::from_value(v)))
                    .collect(),
            ),
        }
    }
}

pub(crate) fn indent<W: Write>(w: &mut W, level: usize) -> std::io::Result<()> {
    const SPACES: &[u8; 64] = &[b' '; 64];
    let mut n = 4 * level;
    while n > 0 {
        let k = n.min(SPACES.len());
        w.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Python's `json.dumps(s)` writes (ensure_ascii).
    fn python_dumps(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut buf = [0u16; 2];
                    for u in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn strings_are_escaped_as_python_does() {
        for s in [
            "",
            "plain 1,234 B",
            "\"quoted\" \\ back",
            "tab\tnew\nline\r\u{8}\u{c}\u{1}\u{7f}",
            "été 🦀 end",
            "🦀",
            "a\u{0}b",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), python_dumps(s), "{s:?}");
        }
        // and what serde_json reads back is the string
        let mut out = Vec::new();
        write_str(&mut out, "été 🦀 \"x\"\n").unwrap();
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, "été 🦀 \"x\"\n");
    }
}
