//! Units: damo's human and raw forms of numbers, sizes and times.
//!
//! Every number damo reads (options, record files, kdamonds JSON) goes
//! through lenient parsers that accept both raw (`"5000"`) and human
//! (`"5 ms"`, `"1,234"`, `"4.000 KiB"`) forms, and every number it prints
//! goes through the formatters here.  Output must match damo 3.4.3 byte for
//! byte, so the formatting follows Python's rules closely (see `pynum`).

pub mod pynum;
pub mod pyparse;

use pynum::{F, I, Num};
use pyparse::{py_float, py_int};

/// 2^64 - 1, damo's `ulong_max` ("max").
pub const ULONG_MAX: i128 = u64::MAX as i128;

/// `v` as an i64, saturated at the ends of its range (for values already
/// checked to fit, such as a record's counts).
pub fn sat_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// `v` as a u64, saturated at the ends of its range.
pub fn sat_u64(v: i128) -> u64 {
    u64::try_from(v).unwrap_or(if v < 0 { 0 } else { u64::MAX })
}

const NS: i128 = 1;
const US: i128 = 1000;
const MS: i128 = 1000 * US;
const SEC: i128 = 1000 * MS;
const MINUTE: i128 = 60 * SEC;
const HOUR: i128 = 60 * MINUTE;
const DAY: i128 = 24 * HOUR;

/// Error for text that is not a number in any form damo accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse '{text}' as {what}")]
pub struct ParseError {
    pub text: String,
    pub what: &'static str,
}

fn perr(text: &str, what: &'static str) -> ParseError {
    ParseError {
        text: text.to_string(),
        what,
    }
}

/// `format_nr`: thousands separators unless `raw`.
pub fn format_nr(nr: Num, raw: bool) -> String {
    // damo formats the magnitude and prefixes the sign, so -0.5 is "-0".
    if nr < I(0) {
        return format!("-{}", format_nr(nr.neg(), raw));
    }
    let s = nr.fmt_d();
    if raw {
        return s;
    }
    let (sign, digits) = match s.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", s.as_str()),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn format_sz_with(sz: Num, raw: bool, precise: bool) -> String {
    if raw {
        return sz.fmt_d();
    }
    let b = sz.f();
    if b == ULONG_MAX as f64 {
        return "max".to_string();
    }
    const UNITS: [(u32, &str); 6] = [
        (60, "EiB"),
        (50, "PiB"),
        (40, "TiB"),
        (30, "GiB"),
        (20, "MiB"),
        (10, "KiB"),
    ];
    for (shift, unit) in UNITS {
        let base = (1u64 << shift) as f64;
        if b > base {
            if let Num::I(v) = sz
                && let Some(text) = scaled_exact(v, shift, if precise { 6 } else { 3 })
            {
                return format!("{text} {unit}");
            }
            return if precise {
                format!("{:.6} {}", b / base, unit)
            } else {
                format!("{:.3} {}", b / base, unit)
            };
        }
    }
    format!("{} B", pynum::fmt_d_float(b))
}

/// `v / 2^shift` with `decimals` decimals, as `format!("{:.N}")` prints
/// the float (the same digits, without float formatting: sizes are
/// integers, and below 2^53 the quotient is exact in binary, so rounding
/// its exact value half to even is what the float formatting does).
fn scaled_exact(v: i128, shift: u32, decimals: u32) -> Option<String> {
    if !(0..1i128 << 53).contains(&v) {
        return None;
    }
    let scale = 10i128.pow(decimals);
    let d = 1i128 << shift;
    let n = v * scale;
    let (mut q, r) = (n / d, n % d);
    if 2 * r > d || (2 * r == d && q % 2 == 1) {
        q += 1;
    }
    Some(format!(
        "{}.{:0width$}",
        q / scale,
        q % scale,
        width = decimals as usize
    ))
}

/// `format_sz`: `1.500 KiB`, `max`, `512 B`.
pub fn format_sz(sz: Num, raw: bool) -> String {
    format_sz_with(sz, raw, false)
}

/// `format_sz_accurate`: like `format_sz` with six decimals.
pub fn format_sz_accurate(sz: Num, raw: bool) -> String {
    format_sz_with(sz, raw, true)
}

/// `format_addr_range`: `[start, end) (size)`.
pub fn format_addr_range(start: Num, end: Num, raw: bool) -> String {
    format!(
        "[{}, {}) ({})",
        format_nr(start, raw),
        format_nr(end, raw),
        format_sz(end.sub(start), raw)
    )
}

/// `format_time_ns`: `1 m 3.500 s`, `100 ms`, `2 h 5 m`.
pub fn format_time_ns(time_ns: Num, raw: bool) -> String {
    if raw {
        return time_ns.fmt_d();
    }
    let mut t = time_ns.f();
    let sign = if t < 0.0 {
        t = -t;
        "-"
    } else {
        ""
    };
    if t >= ULONG_MAX as f64 {
        return format!("{sign}max");
    }
    let (h, m, s, ms, us) = (HOUR as f64, MINUTE as f64, SEC as f64, MS as f64, US as f64);
    let d = pynum::fmt_d_float;
    let fmod = |a: f64, b: f64| F(a).rem(F(b)).f();
    if t >= h {
        let hour = (t / h).trunc();
        let hour_str = format!("{} h", d(hour));
        let less = t - hour * h;
        if less == 0.0 {
            return format!("{sign}{hour_str}");
        }
        return format!("{sign}{hour_str} {}", format_time_ns(F(less), false));
    }
    if t >= m {
        if fmod(t, m) == 0.0 {
            return format!("{sign}{} m", d(t / m));
        }
        if fmod(t, s) == 0.0 {
            return format!("{sign}{} m {} s", d(t / m), d(fmod(t, m) / s));
        }
        return format!("{sign}{} m {:.3} s", d(t / m), fmod(t, m) / s);
    }
    for (unit, name) in [(s, "s"), (ms, "ms"), (us, "us")] {
        if t >= unit {
            if fmod(t, unit) == 0.0 {
                return format!("{sign}{} {}", d(t / unit), name);
            }
            return format!("{sign}{:.3} {}", t / unit, name);
        }
    }
    format!("{sign}{} ns", d(t))
}

/// `format_time_us`.
pub fn format_time_us(time_us: Num, raw: bool) -> String {
    if raw {
        return time_us.fmt_d();
    }
    format_time_ns(time_us.mul(I(1000)), false)
}

/// `format_time_ns_exact`: every unit spelled out, `1 h 50 m 48 s 100 ms`.
pub fn format_time_ns_exact(time_ns: Num, raw: bool) -> String {
    format_time_ns_min_unit(time_ns, raw)
}

fn format_time_ns_min_unit(time_ns: Num, raw: bool) -> String {
    if raw {
        return time_ns.fmt_d();
    }
    let (sign, t) = if time_ns < I(0) {
        ("-", time_ns.neg())
    } else {
        ("", time_ns)
    };
    if t >= I(ULONG_MAX) {
        return format!("{sign}max");
    }
    const UNITS: [(i128, &str); 7] = [
        (DAY, "d"),
        (HOUR, "h"),
        (MINUTE, "m"),
        (SEC, "s"),
        (MS, "ms"),
        (US, "us"),
        (NS, "ns"),
    ];
    for (unit, name) in UNITS {
        let u = I(unit);
        if t < u {
            continue;
        }
        if unit == NS {
            if !t.rem(u).is_zero() {
                return format!("{sign}{:.3} {}", t.div(u).f(), name);
            }
            return format!("{sign}{} {}", t.div(u).fmt_d(), name);
        }
        let nr = I(t.div(u).trunc());
        let unit_str = format!("{} {}", format_nr(nr, false), name);
        let less = t.sub(nr.mul(u));
        if less.is_zero() {
            return format!("{sign}{unit_str}");
        }
        return format!("{sign}{unit_str} {}", format_time_ns_min_unit(less, false));
    }
    "0 ns".to_string()
}

/// `format_time_us_exact` (damo prints nanoseconds in raw mode; kept).
pub fn format_time_us_exact(time_us: Num, raw: bool) -> String {
    format_time_ns_exact(time_us.mul(I(US)), raw)
}

/// `format_time_ms_exact` (raw: nanoseconds, as damo prints them).
pub fn format_time_ms_exact(time_ms: Num, raw: bool) -> String {
    format_time_ns_exact(time_ms.mul(I(MS)), raw)
}

/// `format_permil`.
pub fn format_permil(permil: Num, raw: bool) -> String {
    if raw {
        return format!("{:.6}", permil.f());
    }
    format_ratio(F(permil.f() / 1000.0), false)
}

/// `text_to_ms`.
pub fn text_to_ms(txt: &str) -> Result<Num, ParseError> {
    if let Some(v) = common_input(txt, I(0)) {
        return Ok(v);
    }
    Ok(text_to_us(txt)?.div(I(1000)))
}

/// `text_to_sec`: unitless means seconds.
pub fn text_to_sec(txt: &str) -> Result<Num, ParseError> {
    if let Some(v) = common_input(txt, I(0)) {
        return Ok(v);
    }
    Ok(text_to_ms(txt)?.div(I(1000)))
}

/// `text_to_permil`: unitless is permil, `1%` is 10.
pub fn text_to_permil(txt: &str) -> Result<Num, ParseError> {
    if let Some(v) = common_input(txt, I(0)) {
        return Ok(v);
    }
    Ok(text_to_ratio(txt)?.mul(I(1000)))
}

/// `format_ratio`: `4 %`, `0.1 %`.
pub fn format_ratio(ratio: Num, raw: bool) -> String {
    if raw {
        return format!("{:.6}", ratio.f());
    }
    let pct = ratio.mul(I(100));
    let over = format_nr(I(pct.trunc()), false);
    let under = pct.rem(I(1)).f();
    let s = format!("{under:.7}");
    let s = s.trim_end_matches('0');
    let s = s.get(2..).unwrap_or("");
    if s.is_empty() {
        format!("{over} %")
    } else {
        format!("{over}.{s} %")
    }
}

/// `format_percent`: `25 %`, `0.5 %`.
pub fn format_percent(percent: Num, raw: bool) -> String {
    if raw {
        return format!("{:.6}", percent.f());
    }
    format_ratio(F(percent.f() / 100.0), false)
}

/// `format_hz`: `0.667 hz`, `12 hz`; `suffix` false leaves out ` hz`.
pub fn format_hz(hz: Num, raw: bool, suffix: bool) -> String {
    if raw {
        return format!("{:.6}", hz.f());
    }
    let unit = if suffix { " hz" } else { "" };
    if hz < I(10) && !hz.is_zero() {
        return format!("{:.3}{unit}", hz.f());
    }
    format!("{}{unit}", format_nr(hz, false))
}

/// `format_bp`.
pub fn format_bp(bp: Num, raw: bool) -> String {
    if raw {
        return format!("{:.6}", bp.f());
    }
    format_ratio(F(bp.f() / 10000.0), false)
}

/// `text_to_nr`: `"1,000"`, `"12"`, `"1.5"`, `"max"`.
pub fn text_to_nr(txt: &str) -> Result<Num, ParseError> {
    if txt == "max" {
        return Ok(I(ULONG_MAX));
    }
    // Fast path for the common "94,827,419,009,024" / "4096" forms.
    if let Some(v) = digits_and_commas(txt) {
        return Ok(I(v));
    }
    let t: std::borrow::Cow<str> = if txt.contains(',') {
        txt.replace(',', "").into()
    } else {
        txt.into()
    };
    if let Ok(v) = py_int(&t) {
        return Ok(I(v));
    }
    py_float(&t).map(F).map_err(|_| perr(txt, "a number"))
}

/// The value of a string of ASCII digits and commas (at least one digit,
/// at most 38 digits), as Python's int() sees it after removing commas.
fn digits_and_commas(txt: &str) -> Option<i128> {
    let mut v: i128 = 0;
    let mut digits = 0;
    for b in txt.bytes() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 38 {
                    return None;
                }
                v = v * 10 + (b - b'0') as i128;
            }
            b',' => {}
            _ => return None,
        }
    }
    (digits > 0).then_some(v)
}

fn common_input(txt: &str, min: Num) -> Option<Num> {
    match txt {
        "min" => Some(min),
        "max" => Some(I(ULONG_MAX)),
        _ => text_to_nr(txt).ok(),
    }
}

fn unit_bytes(u: &str) -> Option<i128> {
    let shift = match u {
        "B" => 0,
        "K" | "KB" | "KiB" => 10,
        "M" | "MB" | "MiB" => 20,
        "G" | "GB" | "GiB" => 30,
        "T" | "TB" | "TiB" => 40,
        "P" | "PB" | "PiB" => 50,
        "E" | "EB" | "EiB" => 60,
        _ => return None,
    };
    Some(1i128 << shift)
}

/// The sizes damo itself writes, `"36.000 KiB"` or `"512 B"` (ASCII
/// digits, maybe a point and more digits, one space, `B` or a binary
/// unit), read as the general path below reads them, without its steps.
fn damo_size(txt: &str) -> Option<Num> {
    let (number, unit) = txt.rsplit_once(' ')?;
    if !matches!(unit, "B" | "KiB" | "MiB" | "GiB" | "TiB" | "PiB" | "EiB") {
        return None;
    }
    let unit = unit_bytes(unit)?;
    let b = number.as_bytes();
    if b.is_empty() || b.len() > 30 || !b.first()?.is_ascii_digit() || !b.last()?.is_ascii_digit() {
        return None;
    }
    let dots = b.iter().filter(|&&c| c == b'.').count();
    if dots > 1 || !b.iter().all(|&c| c == b'.' || c.is_ascii_digit()) {
        return None;
    }
    let n = if dots == 0 {
        I(number.parse::<i128>().ok()?)
    } else {
        F(number.parse::<f64>().ok()?)
    };
    Some(I(n.mul(I(unit)).trunc().min(ULONG_MAX)))
}

/// `text_to_bytes`: `"4096"`, `"4 KiB"`, `"31.340 MiB"`, `"1,234"`, `"max"`.
pub fn text_to_bytes(txt: &str) -> Result<Num, ParseError> {
    // A trailing unit letter rules out min/max and plain numbers (Python's
    // float() text cannot end in B, K, M, G, T, P or E), so skip them.
    let unit_suffix = matches!(
        txt.as_bytes().last(),
        Some(b'B' | b'K' | b'M' | b'G' | b'T' | b'P' | b'E')
    );
    if !unit_suffix && let Some(v) = common_input(txt, I(0)) {
        return Ok(v);
    }
    if unit_suffix && let Some(v) = damo_size(txt) {
        return Ok(v);
    }
    let err = || perr(txt, "a size in bytes");
    let n = txt.len();
    let split = [3usize, 2]
        .into_iter()
        .filter(|k| n > *k && txt.is_char_boundary(n - k))
        .find_map(|k| unit_bytes(&txt[n - k..]).map(|u| (k, u)));
    let (number, unit) = match split {
        Some((k, u)) => (text_to_nr(&txt[..n - k]).map_err(|_| err())?, u),
        None => {
            let last = txt.chars().last().ok_or_else(err)?;
            match unit_bytes(&last.to_string()) {
                Some(u) => (
                    text_to_nr(&txt[..n - last.len_utf8()]).map_err(|_| err())?,
                    u,
                ),
                None => (text_to_nr(txt).map_err(|_| err())?, 1),
            }
        }
    };
    let v = number.mul(I(unit)).trunc();
    Ok(I(v.min(ULONG_MAX)))
}

fn unit_ns(u: &str) -> Option<i128> {
    Some(match u {
        "ns" => NS,
        "us" => US,
        "ms" => MS,
        "s" => SEC,
        "m" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        _ => return None,
    })
}

/// `text_to_ns`: `"100"`, `"5ms"`, `"1 m 30 s"`, `"max"`.
pub fn text_to_ns(txt: &str) -> Result<Num, ParseError> {
    if let Some(v) = common_input(txt, I(0)) {
        return Ok(v);
    }
    let err = || perr(txt, "a time");
    let fields: Vec<&str> = txt.split_whitespace().collect();
    if fields.len() > 1 {
        let mut sum = I(0);
        for pair in fields.chunks(2) {
            sum = sum.add(text_to_ns(&pair.concat())?);
        }
        return Ok(sum);
    }
    let n = txt.len();
    let last2 = if n >= 2 && txt.is_char_boundary(n - 2) {
        &txt[n - 2..]
    } else {
        ""
    };
    let last1 = txt
        .chars()
        .last()
        .map(|c| c.to_string())
        .unwrap_or_default();
    if unit_ns(last2).is_none() && unit_ns(&last1).is_none() {
        return py_float(txt).map(F).map_err(|_| err());
    }
    let (number, unit) = if matches!(last2, "ns" | "us" | "ms") {
        (
            text_to_nr(&txt[..n - 2]).map_err(|_| err())?,
            unit_ns(last2),
        )
    } else {
        (
            text_to_nr(&txt[..n - last1.len()]).map_err(|_| err())?,
            unit_ns(&last1),
        )
    };
    Ok(number.mul(I(unit.ok_or_else(err)?)))
}

/// `text_to_us`: unitless means microseconds.
pub fn text_to_us(txt: &str) -> Result<Num, ParseError> {
    if let Some(v) = common_input(txt, I(0)) {
        return Ok(v);
    }
    Ok(text_to_ns(txt)?.div(I(US)))
}

/// `text_to_ratio`: `"50%"` is 0.5.
pub fn text_to_ratio(txt: &str) -> Result<Num, ParseError> {
    if let Some(v) = common_input(txt, F(0.0)) {
        return Ok(v);
    }
    match txt.strip_suffix('%') {
        Some(t) => Ok(F(text_to_nr(t)?.f() / 100.0)),
        None => text_to_nr(txt),
    }
}

/// `text_to_bp`: unitless means basis points, `"4%"` is 400.
pub fn text_to_bp(txt: &str) -> Result<Num, ParseError> {
    if let Some(v) = common_input(txt, I(0)) {
        return Ok(v);
    }
    Ok(text_to_ratio(txt)?.mul(I(10000)))
}

/// `text_to_percent`: unitless means percent.
pub fn text_to_percent(txt: &str) -> Result<Num, ParseError> {
    if let Some(v) = common_input(txt, I(0)) {
        return Ok(v);
    }
    Ok(text_to_ratio(txt)?.mul(I(100)))
}

/// Python's `repr()` of a str (trace lines, messages damo prints with
/// `%s` of a list).
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn damo_sizes_read_as_the_general_path_reads_them() {
        let general = |t: &str| {
            let n = t.len();
            let (k, unit) = [3usize, 1]
                .into_iter()
                .find_map(|k| unit_bytes(&t[n - k..]).map(|u| (k, u)))
                .unwrap();
            I(text_to_nr(&t[..n - k])
                .unwrap()
                .mul(I(unit))
                .trunc()
                .min(ULONG_MAX))
        };
        let mut x: u64 = 7;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = (x >> (x % 60)) as i128;
            for t in [
                format_sz(I(v), false),
                format_sz_accurate(I(v), false),
                format!("{v} B"),
                format!("{}.{} KiB", x % 100000, x % 7),
                format!("{} EiB", x % 100),
            ] {
                if t == "max" {
                    continue;
                }
                assert_eq!(damo_size(&t), Some(general(&t)), "{t}");
                assert_eq!(text_to_bytes(&t).unwrap(), general(&t), "{t}");
            }
        }
        for t in [
            "1.5 KB", ".5 KiB", "5. KiB", "1..5 KiB", "1e3 KiB", " 5 KiB", "5  KiB", "-5 KiB",
        ] {
            assert_eq!(damo_size(t), None, "{t}");
        }
    }

    #[test]
    fn integer_sizes_scale_as_the_float_formatting_does() {
        let mut x: u64 = 88172645463325252;
        let mut values: Vec<i128> = vec![1025, 1536, 1024 + 512 + 1, (1 << 53) - 1, 3 << 40];
        // exact ties at the third and sixth decimal (round half to even)
        for k in 0..2000i128 {
            values.push(k * 1024 / 8 + 1024);
            values.push(k * 128 + (1 << 20));
        }
        for _ in 0..20000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push((x >> (x % 50)) as i128 & ((1 << 53) - 1));
        }
        for v in values {
            for (shift, _) in [(10u32, ""), (20, ""), (30, ""), (40, ""), (50, "")] {
                let b = v as f64 / (1u64 << shift) as f64;
                assert_eq!(
                    scaled_exact(v, shift, 3).unwrap(),
                    format!("{b:.3}"),
                    "{v} >> {shift}"
                );
                assert_eq!(
                    scaled_exact(v, shift, 6).unwrap(),
                    format!("{b:.6}"),
                    "{v} >> {shift}"
                );
            }
        }
        assert_eq!(scaled_exact(1 << 53, 10, 3), None);
        assert_eq!(scaled_exact(-1, 10, 3), None);
    }

    #[test]
    fn extreme_numbers_format_without_overflow() {
        // found by fuzzing: "-4E44E" as a size, shown as a percentage
        let v = text_to_bytes("-4E44E").unwrap();
        assert!(format_percent(v, false).starts_with('-'));
        assert!(format_nr(I(i128::MIN), false).starts_with("-170,141,183"));
        assert_eq!(format_nr(F(f64::NEG_INFINITY), false), "-inf");
    }

    use super::*;

    // Expectations from damo's own tests/unit/test_fmt_str.py and from
    // running damo 3.4.3.
    #[test]
    fn nr() {
        assert_eq!(format_nr(I(123), false), "123");
        assert_eq!(format_nr(I(1234), false), "1,234");
        assert_eq!(format_nr(I(1234567), false), "1,234,567");
        assert_eq!(format_nr(I(-1234567), false), "-1,234,567");
        assert_eq!(format_nr(I(1234567), true), "1234567");
        assert_eq!(format_nr(F(1234.9), false), "1,234");
    }

    #[test]
    fn sizes() {
        assert_eq!(format_sz(I(1024), false), "1024 B");
        assert_eq!(format_sz(I(1025), false), "1.001 KiB");
        assert_eq!(format_sz(I(1 << 30), false), "1024.000 MiB");
        assert_eq!(format_sz(I(ULONG_MAX), false), "max");
        assert_eq!(
            format_sz_accurate(I(94253027950592), false),
            "85.722630 TiB"
        );
        assert_eq!(format_sz(F(1.5), true), "1");
    }

    #[test]
    fn times() {
        assert_eq!(format_time_ns(I(123), false), "123 ns");
        assert_eq!(format_time_ns(I(1_234), false), "1.234 us");
        assert_eq!(format_time_ns(I(1_000_000), false), "1 ms");
        assert_eq!(format_time_ns(I(1_500_000_000), false), "1.500 s");
        assert_eq!(format_time_ns(I(60_000_000_000), false), "1 m");
        assert_eq!(format_time_ns(I(90_000_000_000), false), "1 m 30 s");
        assert_eq!(format_time_ns(I(90_500_000_000), false), "1 m 30.500 s");
        assert_eq!(format_time_ns(I(3_600_000_000_000), false), "1 h");
        assert_eq!(
            format_time_ns(I(3_690_500_000_000), false),
            "1 h 1 m 30.500 s"
        );
        assert_eq!(format_time_ns(I(-1_500), false), "-1.500 us");
        assert_eq!(
            format_time_ns_exact(I(6_648_100_000_000), false),
            "1 h 50 m 48 s 100 ms"
        );
        assert_eq!(
            format_time_ns_exact(I(1_745_036_785_773_302_272), false),
            "20,197 d 4 h 26 m 25 s 773 ms 302 us 272 ns"
        );
        assert_eq!(format_time_us(I(5000), false), "5 ms");
    }

    #[test]
    fn ratios() {
        assert_eq!(format_ratio(F(0.001), false), "0.1 %");
        assert_eq!(format_ratio(F(0.04), false), "4 %");
        assert_eq!(format_bp(I(400), false), "4 %");
        assert_eq!(format_bp(I(400), true), "400.000000");
    }

    #[test]
    fn parsers() {
        assert_eq!(text_to_nr("1,000").unwrap().repr(), "1000");
        assert_eq!(text_to_nr("1.5").unwrap().repr(), "1.5");
        assert_eq!(text_to_bytes("4K").unwrap().repr(), "4096");
        assert_eq!(text_to_bytes("4.000 KiB").unwrap().repr(), "4096");
        assert_eq!(text_to_bytes("31.340 MiB").unwrap().repr(), "32862371");
        assert_eq!(
            text_to_bytes("94,827,419,009,024").unwrap().repr(),
            "94827419009024"
        );
        assert_eq!(text_to_bytes("max").unwrap().repr(), "18446744073709551615");
        assert_eq!(text_to_ns("5ms").unwrap().repr(), "5000000");
        assert_eq!(text_to_ns("1m").unwrap().repr(), "60000000000");
        assert_eq!(text_to_ns("1 m 30 s").unwrap().repr(), "90000000000");
        assert_eq!(text_to_ns("1.5 s").unwrap().repr(), "1500000000.0");
        assert_eq!(text_to_ns("-3 s").unwrap().repr(), "-3000000000");
        assert_eq!(text_to_us("5ms").unwrap().repr(), "5000.0");
        assert_eq!(text_to_us("5000").unwrap().repr(), "5000");
        assert_eq!(text_to_percent("50%").unwrap().repr(), "50.0");
        assert_eq!(text_to_bp("4%").unwrap().repr(), "400.0");
        assert!(text_to_bytes("abc").is_err());
        assert!(text_to_ns("").is_err());
    }
}
