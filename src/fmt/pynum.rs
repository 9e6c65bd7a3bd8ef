//! Python number semantics.
//!
//! damo's outputs depend on whether a value is a Python `int` or `float`:
//! `str(1.0)` is `1.0`, `(a - b) // n` stays a float once a float is
//! involved, and `'%d' % x` truncates.  Times in records become floats when
//! damo derives them (for example the first snapshot's start time of a
//! trace), and those floats show up in report output.  `Num` carries that
//! distinction so our reports print the same bytes.

// Python's `int()` of a float and `'%d'` are modelled here, and only here:
// the float-to-integer casts below are that truncation (values beyond the
// integer range do not reach them: records and options are checked first).
#![allow(clippy::cast_possible_truncation)]

use std::cmp::Ordering;

/// A Python number: `int` (as i128, ample for damo's values) or `float`.
#[derive(Debug, Clone, Copy)]
pub enum Num {
    I(i128),
    F(f64),
}

pub use Num::{F, I};

impl Default for Num {
    fn default() -> Self {
        I(0)
    }
}

impl From<i128> for Num {
    fn from(v: i128) -> Self {
        I(v)
    }
}

impl From<i64> for Num {
    fn from(v: i64) -> Self {
        I(v as i128)
    }
}

impl From<u64> for Num {
    fn from(v: u64) -> Self {
        I(v as i128)
    }
}

impl From<f64> for Num {
    fn from(v: f64) -> Self {
        F(v)
    }
}

impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (I(a), I(b)) => Some(a.cmp(b)),
            _ => self.f().partial_cmp(&other.f()),
        }
    }
}

/// `float(i)`: exact same rounding as `i as f64`, but uses the hardware
/// conversion when the value fits in 64 bits.
#[inline]
fn i2f(v: i128) -> f64 {
    match i64::try_from(v) {
        Ok(x) => x as f64,
        Err(_) => i2f_wide(v),
    }
}

// Out of line, or LLVM folds both branches of `i2f` back into the slow
// software conversion.
#[cold]
#[inline(never)]
fn i2f_wide(v: i128) -> f64 {
    v as f64
}

/// `int(f)` (truncation), with the hardware conversion when it fits.
#[inline]
fn f2i(v: f64) -> i128 {
    if v.abs() < 9.0e18 {
        v as i64 as i128
    } else {
        f2i_wide(v)
    }
}

#[cold]
#[inline(never)]
fn f2i_wide(v: f64) -> i128 {
    v as i128
}

/// Python's correctly rounded `int / int`.
fn int_truediv(a: i128, b: i128) -> f64 {
    const EXACT: i128 = 1 << 53;
    if a.abs() <= EXACT && b.abs() <= EXACT {
        return i2f(a) / i2f(b);
    }
    // Beyond 2^53 the operands are not exact floats; divide in integers
    // first so the result stays within one rounding of Python's.
    let q = a / b;
    let r = a % b;
    i2f(q) + i2f(r) / i2f(b)
}

/// Python's float floor division (`float_floor_div`).
fn float_floordiv(vx: f64, wx: f64) -> f64 {
    let mut m = vx % wx;
    let mut div = (vx - m) / wx;
    if m != 0.0 {
        if (wx < 0.0) != (m < 0.0) {
            m += wx;
            div -= 1.0;
        }
    } else {
        m = 0f64.copysign(wx);
    }
    let _ = m;
    if div != 0.0 {
        let mut floordiv = div.floor();
        if div - floordiv > 0.5 {
            floordiv += 1.0;
        }
        floordiv
    } else {
        0f64.copysign(vx / wx)
    }
}

/// Python's float modulo (`float_rem`).
fn float_mod(vx: f64, wx: f64) -> f64 {
    let mut m = vx % wx;
    if m != 0.0 {
        if (wx < 0.0) != (m < 0.0) {
            m += wx;
        }
    } else {
        m = 0f64.copysign(wx);
    }
    m
}

// Named methods rather than operator traits: chains like
// `age.mul(aggr).mul(I(1000))` spell out damo's Python evaluation order,
// which decides int-vs-float results and rounding.
#[allow(clippy::should_implement_trait)]
impl Num {
    /// `float(x)`.
    pub fn f(self) -> f64 {
        match self {
            I(v) => i2f(v),
            F(v) => v,
        }
    }

    pub fn is_int(self) -> bool {
        matches!(self, I(_))
    }

    /// `int(x)`: truncation toward zero.
    pub fn trunc(self) -> i128 {
        match self {
            I(v) => v,
            F(v) => f2i(v),
        }
    }

    pub fn add(self, o: Num) -> Num {
        match (self, o) {
            (I(a), I(b)) => a.checked_add(b).map(I).unwrap_or(F(i2f(a) + i2f(b))),
            _ => F(self.f() + o.f()),
        }
    }

    pub fn sub(self, o: Num) -> Num {
        match (self, o) {
            (I(a), I(b)) => a.checked_sub(b).map(I).unwrap_or(F(i2f(a) - i2f(b))),
            _ => F(self.f() - o.f()),
        }
    }

    pub fn mul(self, o: Num) -> Num {
        match (self, o) {
            (I(a), I(b)) => a.checked_mul(b).map(I).unwrap_or(F(i2f(a) * i2f(b))),
            _ => F(self.f() * o.f()),
        }
    }

    pub fn neg(self) -> Num {
        match self {
            // Python ints have no minimum; -i128::MIN becomes a float
            I(a) => a.checked_neg().map(I).unwrap_or(F(-i2f(a))),
            F(a) => F(-a),
        }
    }

    /// `a / b` (true division, always a float).  Division by zero gives
    /// an infinity or NaN where Python would raise.
    pub fn div(self, o: Num) -> Num {
        match (self, o) {
            (I(a), I(b)) if b != 0 => F(int_truediv(a, b)),
            _ => F(self.f() / o.f()),
        }
    }

    /// `a // b`.
    pub fn floordiv(self, o: Num) -> Num {
        match (self, o) {
            (I(a), I(b)) if b != 0 => {
                I(a.div_euclid(b) - if b < 0 && a.rem_euclid(b) != 0 { 1 } else { 0 })
            }
            _ => F(float_floordiv(self.f(), o.f())),
        }
    }

    /// `a % b`.
    pub fn rem(self, o: Num) -> Num {
        match (self, o) {
            (I(a), I(b)) if b != 0 => {
                let r = a % b;
                I(if r != 0 && ((r < 0) != (b < 0)) {
                    r + b
                } else {
                    r
                })
            }
            _ => F(float_mod(self.f(), o.f())),
        }
    }

    pub fn is_zero(self) -> bool {
        match self {
            I(v) => v == 0,
            F(v) => v == 0.0,
        }
    }

    pub fn max(self, o: Num) -> Num {
        // Python's max() keeps the first of equal values.
        if o > self { o } else { self }
    }

    pub fn min(self, o: Num) -> Num {
        if o < self { o } else { self }
    }

    /// `str(x)`.
    pub fn repr(self) -> String {
        match self {
            I(v) => v.to_string(),
            F(v) => float_repr(v),
        }
    }

    /// `'%d' % x`.
    pub fn fmt_d(self) -> String {
        match self {
            I(v) => v.to_string(),
            F(v) => fmt_d_float(v),
        }
    }
}

/// `'%d' % f` for a float: its truncated integer value, exactly.
pub fn fmt_d_float(v: f64) -> String {
    let t = v.trunc();
    if t.abs() < 1e38 {
        (t as i128).to_string()
    } else {
        format!("{t:.0}")
    }
}

/// Python's `repr(float)`: the shortest string that round-trips, in fixed
/// notation for decimal exponents from -4 to 15, scientific otherwise.
pub fn float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // ryu gives the shortest round-trip digits ("1.2345e16", "0.001",
    // "123.0"); collect them and the decimal exponent.
    let mut buf = ryu::Buffer::new();
    let txt = buf.format_finite(v.abs());
    let (mant, exp_txt) = txt.split_once('e').unwrap_or((txt, "0"));
    let e10: i32 = exp_txt.parse().unwrap_or(0);
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    // Position of the decimal point relative to the digit string.
    let mut point = int_part.len() as i32 + e10;
    let lead = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..lead);
    point -= lead as i32;
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let exp = point - 1;
    let decpt = exp + 1;
    let sign = if v < 0.0 { "-" } else { "" };
    let body = if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", mant, esign, exp.abs())
    } else if decpt <= 0 {
        format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
    } else {
        let d = decpt as usize;
        if digits.len() <= d {
            format!("{}{}.0", digits, "0".repeat(d - digits.len()))
        } else {
            format!("{}.{}", &digits[..d], &digits[d..])
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_matches_python() {
        assert_eq!(float_repr(0.0), "0.0");
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(123.1978960464417), "123.1978960464417");
        assert_eq!(float_repr(1e-05), "1e-05");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1234567890123456.0), "1234567890123456.0");
        assert_eq!(float_repr(-2.5e-7), "-2.5e-07");
        assert_eq!(float_repr(104598866.99993896), "104598866.99993896");
        assert_eq!(float_repr(1.5e300), "1.5e+300");
    }

    #[test]
    fn floordiv_and_mod() {
        assert_eq!(I(7).floordiv(I(2)).repr(), "3");
        assert_eq!(I(-7).floordiv(I(2)).repr(), "-4");
        assert_eq!(I(7).floordiv(I(-2)).repr(), "-4");
        assert_eq!(F(7.5).floordiv(I(2)).repr(), "3.0");
        assert_eq!(F(-7.5).floordiv(I(2)).repr(), "-4.0");
        assert_eq!(I(-7).rem(I(3)).repr(), "2");
        assert_eq!(F(-7.0).rem(I(3)).repr(), "2.0");
    }

    #[test]
    fn fmt_d_truncates() {
        assert_eq!(F(1.9).fmt_d(), "1");
        assert_eq!(F(-1.9).fmt_d(), "-1");
        assert_eq!(F(1e25).fmt_d(), "10000000000000000905969664");
    }
}
