//! Python's `int()` and `float()` string parsing.
//!
//! damo parses every number with Python's builtins, which accept
//! surrounding whitespace, a sign, and single underscores between digits
//! (`" 1_000 "`).  Record files and option values rely on that leniency.

use std::borrow::Cow;

/// Error for a string that Python's `int()`/`float()` would reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotANumber(pub String);

impl std::fmt::Display for NotANumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}' is not a number", self.0)
    }
}

impl std::error::Error for NotANumber {}

/// Removes underscores that stand between two digits; `None` if any
/// underscore is misplaced.  Borrows when there is nothing to remove.
fn strip_digit_underscores(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('_') {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        if c == '_' {
            let prev_digit = i > 0 && b[i - 1].is_ascii_digit();
            let next_digit = b.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if !(prev_digit && next_digit) {
                return None;
            }
            continue;
        }
        out.push(c);
    }
    Some(Cow::Owned(out))
}

/// Python `int(s)` for base 10.
pub fn py_int(s: &str) -> Result<i128, NotANumber> {
    let err = || NotANumber(s.to_string());
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = strip_digit_underscores(digits).ok_or_else(err)?;
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(err());
    }
    let v: i128 = digits.parse().map_err(|_| err())?;
    Ok(if neg { -v } else { v })
}

/// Python `float(s)`.
pub fn py_float(s: &str) -> Result<f64, NotANumber> {
    let err = || NotANumber(s.to_string());
    let t = s.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let is = |w: &str| body.eq_ignore_ascii_case(w);
    let v = match () {
        _ if is("inf") || is("infinity") => f64::INFINITY,
        _ if is("nan") => f64::NAN,
        _ => {
            let cleaned = strip_digit_underscores(body).ok_or_else(err)?;
            let ok_chars = cleaned
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
            if cleaned.is_empty() || !ok_chars || cleaned.starts_with(['+', '-']) {
                return Err(err());
            }
            cleaned.parse::<f64>().map_err(|_| err())?
        }
    };
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(py_int(" 12 "), Ok(12));
        assert_eq!(py_int("-1_000"), Ok(-1000));
        assert_eq!(py_int("+5"), Ok(5));
        assert!(py_int("1__0").is_err());
        assert!(py_int("1.5").is_err());
        assert!(py_int("").is_err());
        assert!(py_int("0x10").is_err());
    }

    #[test]
    fn floats() {
        assert_eq!(py_float("31.340 "), Ok(31.34));
        assert_eq!(py_float("1e3"), Ok(1000.0));
        assert_eq!(py_float(".5"), Ok(0.5));
        assert_eq!(py_float("-inf"), Ok(f64::NEG_INFINITY));
        assert!(py_float("1.5 MiB").is_err());
        assert!(py_float("--1").is_err());
    }
}
