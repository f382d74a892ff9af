//! Decimal number text: how cty reads a number given as a string (msgpack or JSON)
//! and writes a big one, and which floats count as integers. Its rules are tested
//! through the decoders (`msgpack/decode.rs`, `json/reader.rs`).

use super::{CodecError, R, fail};
use crate::value::Number;

pub(super) const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

/// A number read as a binary float (msgpack float32/64): exact, so a whole value
/// in i64 range is the integer it equals.
pub(super) fn number_from_binary_float(f: f64) -> R<Number> {
    if f.is_nan() {
        return fail("NaN is not a valid number");
    }
    if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) {
        Ok(Number::Int(f as i64))
    } else {
        Ok(Number::Float(f))
    }
}

/// A number that came from decimal text and was rounded to the nearest f64: only
/// whole values up to 2^53 are certainly the integer the text meant.
fn number_from_decimal_float(f: f64) -> Number {
    if f.fract() == 0.0 && f.abs() <= TWO_POW_53 { Number::Int(f as i64) } else { Number::Float(f) }
}

/// The syntactic parts of a decimal number: `[+-]digits[.digits][(e|E)[+-]digits]`
/// (either digit run of the mantissa may be empty, not both).
struct Decimal<'a> {
    neg: bool,
    int: &'a str,
    frac: &'a str,
    /// Exponent text including its optional sign.
    exp: Option<&'a str>,
}

fn parse_decimal(s: &str) -> Option<Decimal<'_>> {
    let b = s.as_bytes();
    let digits_from = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let int_end = digits_from(i);
    let int = s.get(i..int_end)?;
    i = int_end;
    let mut frac = "";
    if b.get(i) == Some(&b'.') {
        let end = digits_from(i + 1);
        frac = s.get(i + 1..end)?;
        i = end;
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut exp = None;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let start = i + 1;
        let mut j = start;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let end = digits_from(j);
        if end == j {
            return None;
        }
        exp = Some(s.get(start..end)?);
        i = end;
    }
    (i == b.len()).then_some(Decimal { neg, int, frac, exp })
}

impl Decimal<'_> {
    /// The value as (negative, significant digits without leading/trailing zeros,
    /// power of ten), with zero as `(false, "", 0)`; equal values compare equal.
    fn canonical(&self) -> (bool, String, i64) {
        const CAP: i64 = 1 << 40;
        let mut exp: i64 = 0;
        if let Some(e) = self.exp {
            let (neg, digits) = match e.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, e.strip_prefix('+').unwrap_or(e)),
            };
            for d in digits.bytes() {
                exp = (exp * 10 + i64::from(d - b'0')).min(CAP);
            }
            if neg {
                exp = -exp;
            }
        }
        let all: String = self.int.chars().chain(self.frac.chars()).collect();
        let trimmed = all.trim_start_matches('0');
        let sig = trimmed.trim_end_matches('0');
        if sig.is_empty() {
            return (false, String::new(), 0);
        }
        let trailing = (trimmed.len() - sig.len()) as i64;
        let exp = exp.saturating_sub(self.frac.len() as i64).saturating_add(trailing);
        (self.neg, sig.to_string(), exp)
    }

    /// The number as JSON-compatible text (no `+` sign, no leading zeros, no bare `.`).
    fn normalized(&self) -> String {
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        let int = self.int.trim_start_matches('0');
        out.push_str(if int.is_empty() { "0" } else { int });
        if !self.frac.is_empty() {
            out.push('.');
            out.push_str(self.frac);
        }
        if let Some(e) = self.exp {
            out.push('e');
            out.push_str(e);
        }
        out
    }
}

/// Parses a number given as decimal text, as cty accepts it in a msgpack or JSON
/// string: an integer that fits i64 is `Int`; otherwise, when the text is exactly what
/// the nearest f64 prints as (so converting loses nothing), `Float` (or `Int` when that
/// is a whole number up to 2^53); otherwise `Big` with the text normalised. Text that
/// is not a decimal number (`[+-]digits[.digits][e[+-]digits]`) is an error.
pub fn parse_number(s: &str) -> Result<Number, CodecError> {
    parse_number_text(s).map_err(Into::into)
}

pub(super) fn parse_number_text(s: &str) -> R<Number> {
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Number::Int(i));
    }
    let Some(dec) = parse_decimal(s) else {
        let shown: String = s.chars().take(40).collect();
        return fail(format!("{shown:?} is not a number"));
    };
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
    {
        let shortest = format!("{f:e}");
        if let Some(back) = parse_decimal(&shortest)
            && back.canonical() == dec.canonical()
        {
            return Ok(number_from_decimal_float(f));
        }
    }
    Ok(Number::Big(dec.normalized()))
}

pub(super) fn big_text(s: &str) -> R<String> {
    match parse_decimal(s) {
        Some(d) => Ok(d.normalized()),
        None => {
            let shown: String = s.chars().take(40).collect();
            fail(format!("big number {shown:?} is not decimal number text"))
        }
    }
}
