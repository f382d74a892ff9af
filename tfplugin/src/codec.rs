//! The cty value encodings Terraform uses on the wire, implemented by hand:
//!
//! * **msgpack** (`DynamicValue.msgpack`): what Terraform sends and expects for
//!   configurations, plans and states.
//! * **cty JSON** (`DynamicValue.json`, `RawState.json`, identity JSON): used when
//!   Terraform hands over stored state to be upgraded.
//! * the **JSON type syntax** (`Schema.Attribute.type`, and the type header of
//!   dynamically-typed values).
//!
//! Every decoder is total: malformed, truncated or hostile input yields a
//! [`CodecError`], never a panic. Nesting is limited to [`MAX_DEPTH`] levels,
//! lengths claimed by the input are checked against the bytes actually present
//! before anything is allocated, and filling in absent object attributes is
//! budgeted so a small input cannot make the decoder build a huge value.
//!
//! # msgpack encoding
//!
//! * null is `nil` (0xc0) whatever the type.
//! * an unknown value is extension type 0 with an empty payload (written as
//!   ext8 `c7 00 00`). On decode any extension format with type 0, or type 12
//!   (Terraform ≥ 1.6 *refined* unknowns, whose payload is a map of refinements),
//!   is [`Value::Unknown`]; the payload is skipped. Other extension types are errors.
//! * bool, string as themselves; strings decode from `str` or `bin` (must be UTF-8).
//! * numbers: [`Number::Int`] as the smallest msgpack integer; [`Number::Float`] as
//!   float64, or as an integer when it is a whole number in i64 range; [`Number::Big`]
//!   as a msgpack string holding its decimal text. Decoding accepts every integer
//!   width (a uint64 above i64::MAX becomes `Big`), float32/float64 (a whole float in
//!   i64 range becomes `Int`, NaN is rejected, ±infinity is kept) and strings holding
//!   a number (see [`parse_number`]).
//! * list, set, tuple are arrays (sets decode in wire order); map is a map with
//!   string keys; object is a map keyed by the type's attribute names, written in
//!   sorted order with every attribute present (absent ones as nil). Decoding an
//!   object rejects keys that are not attributes of the type (naming the key) and
//!   turns attributes absent from the map into null.
//! * `dynamic`: a two-element array `[type JSON as bin, value encoded with that type]`.
//!   Decoding returns just the inner value (a [`Value`] carries no type).
//!
//! # cty JSON encoding
//!
//! null, bool, number, string as JSON; list/set/tuple as arrays; map/object as
//! objects; `dynamic` as `{"value": v, "type": <type JSON>}`. Unknown values cannot
//! be encoded. Decoding is tolerant, as stored state may come from an older schema:
//! object keys that are not attributes of the type are ignored, absent attributes are
//! null, a bool may be given as `"true"`/`"false"`, a number as a string holding a
//! number, and a string as a JSON number or bool.
//!
//! Numbers are exact both ways: JSON is read by a small strict parser of this module
//! (not serde_json, which without its `float_roundtrip`/`arbitrary_precision` features
//! misrounds some floats and cannot keep big numbers) that keeps each number's text and
//! converts it with [`parse_number`]; [`Number::Big`] is written as its normalised
//! decimal text. A whole [`Number::Float`] in i64 range is written as an integer.
//! Repeated object keys: the last one wins.
//!
//! # Types of values encoded as `dynamic`
//!
//! A [`Value`] has no type tag, so to encode one under [`Type::Dynamic`] its type is
//! inferred ([`infer_type`]): string/bool/number as such, object and tuple from their
//! members, and list/set/map from their elements, which must all agree (a null or
//! unknown member agrees with anything). Null and unknown members of an object or tuple
//! get type `dynamic`; a list, set or map that is empty or holds only nulls/unknowns
//! gets element type `string`. A top-level null or unknown under `dynamic` is written as
//! plain nil / unknown, as cty does for values of dynamic type.

use std::collections::BTreeMap;
use std::fmt;

use crate::value::{Number, Type, Value};

/// Deepest nesting of collections (and of types) the codecs accept.
pub const MAX_DEPTH: usize = 64;

/// Why a value could not be encoded or decoded; the message names the offending
/// attribute path where there is one (e.g. `.items[2].name: expected string, got bool`).
#[derive(Debug, Clone, PartialEq)]
pub struct CodecError(pub String);

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

// ---------------------------------------------------------------------------
// Internal error carrying the path of the value being processed.
// ---------------------------------------------------------------------------

#[derive(Debug)]
enum Seg {
    Attr(String),
    Index(usize),
    Key(String),
}

#[derive(Debug)]
struct Fail {
    /// Innermost segment first; reversed when rendered.
    path: Vec<Seg>,
    msg: String,
}

type R<T> = Result<T, Fail>;

fn fail<T>(msg: impl Into<String>) -> R<T> {
    Err(Fail { path: Vec::new(), msg: msg.into() })
}

trait AtPath<T> {
    fn at(self, seg: impl FnOnce() -> Seg) -> R<T>;
}

impl<T> AtPath<T> for R<T> {
    fn at(self, seg: impl FnOnce() -> Seg) -> R<T> {
        self.map_err(|mut e| {
            e.path.push(seg());
            e
        })
    }
}

impl From<Fail> for CodecError {
    fn from(f: Fail) -> Self {
        if f.path.is_empty() {
            return CodecError(f.msg);
        }
        let mut p = String::new();
        for seg in f.path.iter().rev() {
            match seg {
                Seg::Attr(a) => {
                    p.push('.');
                    p.push_str(a);
                }
                Seg::Index(i) => p.push_str(&format!("[{i}]")),
                Seg::Key(k) => p.push_str(&format!("[{k:?}]")),
            }
        }
        CodecError(format!("{p}: {}", f.msg))
    }
}

fn type_kind(ty: &Type) -> &'static str {
    match ty {
        Type::Bool => "bool",
        Type::Number => "number",
        Type::String => "string",
        Type::List(_) => "list",
        Type::Set(_) => "set",
        Type::Map(_) => "map",
        Type::Object(_) => "object",
        Type::Tuple(_) => "tuple",
        Type::Dynamic => "dynamic",
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
    }
}

fn mismatch<T>(ty: &Type, v: &Value) -> R<T> {
    fail(format!("expected {} value, got {}", type_kind(ty), value_kind(v)))
}

fn too_deep<T>() -> R<T> {
    fail(format!("value nested deeper than {MAX_DEPTH} levels"))
}

/// The elements of any sequence value: the type decides how it is encoded, so a
/// `Value::List` may be written for a set-typed attribute and vice versa.
fn seq_elements(v: &Value) -> Option<&[Value]> {
    match v {
        Value::List(e) | Value::Set(e) | Value::Tuple(e) => Some(e),
        _ => None,
    }
}

/// The entries of a map or object value (either is accepted for map and object types).
fn entries(v: &Value) -> Option<&BTreeMap<String, Value>> {
    match v {
        Value::Map(m) | Value::Object(m) => Some(m),
        _ => None,
    }
}

fn check_object_keys(m: &BTreeMap<String, Value>, attrs: &BTreeMap<String, Type>) -> R<()> {
    match m.keys().find(|k| !attrs.contains_key(*k)) {
        Some(k) => fail(format!("attribute {k:?} is not part of the object type")),
        None => Ok(()),
    }
}

/// Caps how many absent object attributes decoding may fill in with null, so that a
/// small input (many empty maps against a type with many attributes) cannot blow up.
struct Budget(usize);

impl Budget {
    fn for_input(len: usize) -> Self {
        Budget(len.saturating_mul(16).saturating_add(1 << 16))
    }

    fn spend(&mut self, n: usize) -> R<()> {
        match self.0.checked_sub(n) {
            Some(rest) => {
                self.0 = rest;
                Ok(())
            }
            None => fail("decoded value too large for its encoding"),
        }
    }
}

fn fill_absent(m: &mut BTreeMap<String, Value>, attrs: &BTreeMap<String, Type>, budget: &mut Budget) -> R<()> {
    budget.spend(attrs.len().saturating_sub(m.len()))?;
    for name in attrs.keys() {
        if !m.contains_key(name) {
            m.insert(name.clone(), Value::Null);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

/// A number read as a binary float (msgpack float32/64): exact, so a whole value
/// in i64 range is the integer it equals.
fn number_from_binary_float(f: f64) -> R<Number> {
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

fn parse_number_text(s: &str) -> R<Number> {
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

fn big_text(s: &str) -> R<String> {
    match parse_decimal(s) {
        Some(d) => Ok(d.normalized()),
        None => {
            let shown: String = s.chars().take(40).collect();
            fail(format!("big number {shown:?} is not decimal number text"))
        }
    }
}

// ---------------------------------------------------------------------------
// msgpack writing
// ---------------------------------------------------------------------------

fn put_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        let u = i as u64;
        if u <= 0x7f {
            out.push(u as u8);
        } else if u <= 0xff {
            out.push(0xcc);
            out.push(u as u8);
        } else if u <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(u as u16).to_be_bytes());
        } else if u <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(u as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        }
    } else if i >= -32 {
        out.push(i as i8 as u8);
    } else if i >= i64::from(i8::MIN) {
        out.push(0xd0);
        out.push(i as i8 as u8);
    } else if i >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

/// Writes a length with the fix/8/16/32-bit marker family given; `fix` is
/// `(first marker, max)` for the fix form, `m8` is `None` where no 8-bit form exists.
fn put_len(
    out: &mut Vec<u8>,
    n: usize,
    fix: Option<(u8, usize)>,
    m8: Option<u8>,
    m16: u8,
    m32: u8,
    what: &str,
) -> R<()> {
    match fix {
        Some((marker, max)) if n <= max => out.push(marker | n as u8),
        _ => match m8 {
            Some(m) if n <= 0xff => {
                out.push(m);
                out.push(n as u8);
            }
            _ if n <= 0xffff => {
                out.push(m16);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => match u32::try_from(n) {
                Ok(n) => {
                    out.push(m32);
                    out.extend_from_slice(&n.to_be_bytes());
                }
                Err(_) => return fail(format!("{what} too long for msgpack ({n})")),
            },
        },
    }
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: &str) -> R<()> {
    put_len(out, s.len(), Some((0xa0, 31)), Some(0xd9), 0xda, 0xdb, "string")?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_bin(out: &mut Vec<u8>, b: &[u8]) -> R<()> {
    put_len(out, b.len(), None, Some(0xc4), 0xc5, 0xc6, "binary")?;
    out.extend_from_slice(b);
    Ok(())
}

fn put_array_len(out: &mut Vec<u8>, n: usize) -> R<()> {
    put_len(out, n, Some((0x90, 15)), None, 0xdc, 0xdd, "array")
}

fn put_map_len(out: &mut Vec<u8>, n: usize) -> R<()> {
    put_len(out, n, Some((0x80, 15)), None, 0xde, 0xdf, "map")
}

const MP_NIL: u8 = 0xc0;
/// ext8, length 0, extension type 0: cty's unknown value.
const MP_UNKNOWN: [u8; 3] = [0xc7, 0x00, 0x00];

fn put_number(out: &mut Vec<u8>, n: &Number) -> R<()> {
    match n {
        Number::Int(i) => put_int(out, *i),
        Number::Float(f) => {
            if f.is_nan() {
                return fail("NaN cannot be encoded as a number");
            }
            if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(f) {
                put_int(out, *f as i64);
            } else {
                out.push(0xcb);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
        }
        Number::Big(s) => put_str(out, &big_text(s)?)?,
    }
    Ok(())
}

/// Encodes `value` as cty msgpack of type `ty` (the bytes of a `DynamicValue.msgpack`).
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    mp_encode(&mut out, value, ty, 0)?;
    Ok(out)
}

fn mp_encode(out: &mut Vec<u8>, v: &Value, ty: &Type, depth: usize) -> R<()> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    match v {
        Value::Null => {
            out.push(MP_NIL);
            return Ok(());
        }
        Value::Unknown => {
            out.extend_from_slice(&MP_UNKNOWN);
            return Ok(());
        }
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let t = infer(v, depth)?;
            put_array_len(out, 2)?;
            put_bin(out, &t.to_json_bytes())?;
            mp_encode(out, v, &t, depth + 1)
        }
        Type::Bool => match v {
            Value::Bool(b) => {
                out.push(if *b { 0xc3 } else { 0xc2 });
                Ok(())
            }
            _ => mismatch(ty, v),
        },
        Type::Number => match v {
            Value::Number(n) => put_number(out, n),
            _ => mismatch(ty, v),
        },
        Type::String => match v {
            Value::String(s) => put_str(out, s),
            _ => mismatch(ty, v),
        },
        Type::List(et) | Type::Set(et) => {
            let Some(es) = seq_elements(v) else {
                return mismatch(ty, v);
            };
            put_array_len(out, es.len())?;
            for (i, e) in es.iter().enumerate() {
                mp_encode(out, e, et, depth + 1).at(|| Seg::Index(i))?;
            }
            Ok(())
        }
        Type::Tuple(ts) => {
            let Some(es) = seq_elements(v) else {
                return mismatch(ty, v);
            };
            if es.len() != ts.len() {
                return fail(format!("tuple type has {} elements, value has {}", ts.len(), es.len()));
            }
            put_array_len(out, es.len())?;
            for (i, (e, et)) in es.iter().zip(ts).enumerate() {
                mp_encode(out, e, et, depth + 1).at(|| Seg::Index(i))?;
            }
            Ok(())
        }
        Type::Map(et) => {
            let Some(m) = entries(v) else { return mismatch(ty, v) };
            put_map_len(out, m.len())?;
            for (k, e) in m {
                put_str(out, k)?;
                mp_encode(out, e, et, depth + 1).at(|| Seg::Key(k.clone()))?;
            }
            Ok(())
        }
        Type::Object(attrs) => {
            let Some(m) = entries(v) else { return mismatch(ty, v) };
            check_object_keys(m, attrs)?;
            put_map_len(out, attrs.len())?;
            for (name, at) in attrs {
                put_str(out, name)?;
                let e = m.get(name).unwrap_or(&Value::Null);
                mp_encode(out, e, at, depth + 1).at(|| Seg::Attr(name.clone()))?;
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------
// msgpack reading
// ---------------------------------------------------------------------------

fn marker_name(m: u8) -> &'static str {
    match m {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "integer",
        0x80..=0x8f | 0xde | 0xdf => "map",
        0x90..=0x9f | 0xdc | 0xdd => "array",
        0xa0..=0xbf | 0xd9..=0xdb => "string",
        0xc0 => "nil",
        0xc1 => "invalid byte 0xc1",
        0xc2 | 0xc3 => "bool",
        0xc4..=0xc6 => "binary",
        0xc7..=0xc9 | 0xd4..=0xd8 => "extension",
        0xca | 0xcb => "float",
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    budget: Budget,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn eof<T>(&self) -> R<T> {
        fail(format!("unexpected end of msgpack input at byte {}", self.pos))
    }

    fn peek(&self) -> R<u8> {
        match self.buf.get(self.pos) {
            Some(b) => Ok(*b),
            None => self.eof(),
        }
    }

    fn byte(&mut self) -> R<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let Some(end) = self.pos.checked_add(n) else {
            return self.eof();
        };
        let Some(s) = self.buf.get(self.pos..end) else {
            return self.eof();
        };
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        let s = self.take(N)?;
        match s.try_into() {
            Ok(a) => Ok(a),
            Err(_) => self.eof(),
        }
    }

    fn u16(&mut self) -> R<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> R<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> R<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// If the next item is an extension, consumes it (payload skipped) and returns
    /// its extension type.
    fn ext(&mut self) -> R<Option<i8>> {
        let m = self.peek()?;
        let fixed = match m {
            0xd4 => Some(1),
            0xd5 => Some(2),
            0xd6 => Some(4),
            0xd7 => Some(8),
            0xd8 => Some(16),
            0xc7..=0xc9 => None,
            _ => return Ok(None),
        };
        self.pos += 1;
        let len = match (fixed, m) {
            (Some(n), _) => n,
            (None, 0xc7) => usize::from(self.byte()?),
            (None, 0xc8) => usize::from(self.u16()?),
            _ => self.u32()? as usize,
        };
        let ext_type = self.byte()? as i8;
        self.take(len)?;
        Ok(Some(ext_type))
    }

    /// For a marker already consumed: the body of a str or bin item, or `None` when
    /// the marker is neither.
    fn str_body(&mut self, m: u8) -> R<Option<&'a [u8]>> {
        let len = match m {
            0xa0..=0xbf => usize::from(m & 0x1f),
            0xd9 | 0xc4 => usize::from(self.byte()?),
            0xda | 0xc5 => usize::from(self.u16()?),
            0xdb | 0xc6 => self.u32()? as usize,
            _ => return Ok(None),
        };
        self.take(len).map(Some)
    }

    fn str_or_bin(&mut self, what: &str) -> R<&'a [u8]> {
        let m = self.byte()?;
        match self.str_body(m)? {
            Some(b) => Ok(b),
            None => fail(format!("expected {what}, got msgpack {}", marker_name(m))),
        }
    }

    fn utf8(&mut self, what: &str) -> R<String> {
        let b = self.str_or_bin(what)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => fail(format!("{what} is not valid UTF-8")),
        }
    }

    fn array_len(&mut self, what: &str) -> R<usize> {
        let m = self.byte()?;
        Ok(match m {
            0x90..=0x9f => usize::from(m & 0x0f),
            0xdc => usize::from(self.u16()?),
            0xdd => self.u32()? as usize,
            _ => {
                return fail(format!("expected {what} (msgpack array), got msgpack {}", marker_name(m)));
            }
        })
    }

    fn map_len(&mut self, what: &str) -> R<usize> {
        let m = self.byte()?;
        Ok(match m {
            0x80..=0x8f => usize::from(m & 0x0f),
            0xde => usize::from(self.u16()?),
            0xdf => self.u32()? as usize,
            _ => return fail(format!("expected {what} (msgpack map), got msgpack {}", marker_name(m))),
        })
    }

    fn number(&mut self) -> R<Number> {
        let m = self.byte()?;
        Ok(match m {
            0x00..=0x7f => Number::Int(i64::from(m)),
            0xe0..=0xff => Number::Int(i64::from(m as i8)),
            0xcc => Number::Int(i64::from(self.byte()?)),
            0xcd => Number::Int(i64::from(self.u16()?)),
            0xce => Number::Int(i64::from(self.u32()?)),
            0xcf => {
                let u = self.u64()?;
                match i64::try_from(u) {
                    Ok(i) => Number::Int(i),
                    Err(_) => Number::Big(u.to_string()),
                }
            }
            0xd0 => Number::Int(i64::from(self.byte()? as i8)),
            0xd1 => Number::Int(i64::from(self.u16()? as i16)),
            0xd2 => Number::Int(i64::from(self.u32()? as i32)),
            0xd3 => Number::Int(self.u64()? as i64),
            0xca => number_from_binary_float(f64::from(f32::from_bits(self.u32()?)))?,
            0xcb => number_from_binary_float(f64::from_bits(self.u64()?))?,
            _ => match self.str_body(m)? {
                Some(b) => match std::str::from_utf8(b) {
                    Ok(s) => parse_number_text(s)?,
                    Err(_) => return fail("number string is not valid UTF-8"),
                },
                None => return fail(format!("expected number, got msgpack {}", marker_name(m))),
            },
        })
    }
}

/// Decodes cty msgpack of type `ty`. The whole input must be one value.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut r = Reader { buf: bytes, pos: 0, budget: Budget::for_input(bytes.len()) };
    let v = mp_decode(&mut r, ty, 0)?;
    if r.remaining() != 0 {
        return Err(CodecError(format!(
            "{} trailing bytes after the msgpack value (at byte {})",
            r.remaining(),
            r.pos
        )));
    }
    Ok(v)
}

fn mp_decode(r: &mut Reader<'_>, ty: &Type, depth: usize) -> R<Value> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    if r.peek()? == MP_NIL {
        r.pos += 1;
        return Ok(Value::Null);
    }
    if let Some(ext_type) = r.ext()? {
        return match ext_type {
            0 | 12 => Ok(Value::Unknown),
            t => fail(format!("unsupported msgpack extension type {t}")),
        };
    }
    match ty {
        Type::Bool => match r.byte()? {
            0xc2 => Ok(Value::Bool(false)),
            0xc3 => Ok(Value::Bool(true)),
            m => fail(format!("expected bool, got msgpack {}", marker_name(m))),
        },
        Type::Number => Ok(Value::Number(r.number()?)),
        Type::String => Ok(Value::String(r.utf8("string")?)),
        Type::List(et) | Type::Set(et) => {
            let n = r.array_len(type_kind(ty))?;
            // Every element takes at least one byte: never reserve more than is there.
            let mut es = Vec::with_capacity(n.min(r.remaining()));
            for i in 0..n {
                es.push(mp_decode(r, et, depth + 1).at(|| Seg::Index(i))?);
            }
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(es) } else { Value::List(es) })
        }
        Type::Tuple(ts) => {
            let n = r.array_len("tuple")?;
            if n != ts.len() {
                return fail(format!("tuple type has {} elements, msgpack array has {n}", ts.len()));
            }
            let mut es = Vec::with_capacity(n);
            for (i, et) in ts.iter().enumerate() {
                es.push(mp_decode(r, et, depth + 1).at(|| Seg::Index(i))?);
            }
            Ok(Value::Tuple(es))
        }
        Type::Map(et) => {
            let n = r.map_len("map")?;
            let mut m = BTreeMap::new();
            for _ in 0..n {
                let k = r.utf8("map key")?;
                let e = mp_decode(r, et, depth + 1).at(|| Seg::Key(k.clone()))?;
                if m.contains_key(&k) {
                    return fail(format!("duplicate map key {k:?}"));
                }
                m.insert(k, e);
            }
            Ok(Value::Map(m))
        }
        Type::Object(attrs) => {
            let n = r.map_len("object")?;
            let mut m = BTreeMap::new();
            for _ in 0..n {
                let k = r.utf8("attribute name")?;
                let Some(at) = attrs.get(&k) else {
                    return fail(format!("unexpected attribute {k:?}: not part of the object type"));
                };
                let e = mp_decode(r, at, depth + 1).at(|| Seg::Attr(k.clone()))?;
                if m.contains_key(&k) {
                    return fail(format!("duplicate attribute {k:?}"));
                }
                m.insert(k, e);
            }
            fill_absent(&mut m, attrs, &mut r.budget)?;
            Ok(Value::Object(m))
        }
        Type::Dynamic => {
            let n = r.array_len("dynamic value [type, value]")?;
            if n != 2 {
                return fail(format!("dynamic value must be a 2-element array [type, value], got {n} elements"));
            }
            let tb = r.str_or_bin("type JSON of a dynamic value")?;
            let t = type_from_json_bytes(tb, depth)?;
            mp_decode(r, &t, depth + 1)
        }
    }
}

// ---------------------------------------------------------------------------
// JSON type syntax
// ---------------------------------------------------------------------------

impl Type {
    /// The type in Terraform's JSON type syntax: `"string"`, `["list","string"]`,
    /// `["object",{"a":"number"}]`, `["tuple",["bool"]]`, …
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        let pair = |kind: &str, inner: J| J::Array(vec![J::String(kind.to_string()), inner]);
        match self {
            Type::Bool => J::String("bool".into()),
            Type::Number => J::String("number".into()),
            Type::String => J::String("string".into()),
            Type::Dynamic => J::String("dynamic".into()),
            Type::List(t) => pair("list", t.to_json()),
            Type::Set(t) => pair("set", t.to_json()),
            Type::Map(t) => pair("map", t.to_json()),
            Type::Object(attrs) => {
                pair("object", J::Object(attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect()))
            }
            Type::Tuple(ts) => pair("tuple", J::Array(ts.iter().map(Type::to_json).collect())),
        }
    }

    /// [`Type::to_json`] serialised (the bytes of `Schema.Attribute.type`).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serialising a serde_json::Value (string keys only) cannot fail.
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }

    /// Reads the JSON type syntax. An object type may carry a third element listing
    /// optional attributes (as in type constraints); it is accepted and ignored.
    pub fn from_json(v: &serde_json::Value) -> Result<Type, CodecError> {
        type_from_json(v, 0).map_err(Into::into)
    }

    /// [`Type::from_json`] of serialised JSON.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, CodecError> {
        type_from_json_bytes(bytes, 0).map_err(Into::into)
    }
}

fn type_from_json_bytes(bytes: &[u8], depth: usize) -> R<Type> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => type_from_json(&v, depth),
        Err(e) => fail(format!("invalid type JSON: {e}")),
    }
}

fn type_from_json(v: &serde_json::Value, depth: usize) -> R<Type> {
    use serde_json::Value as J;
    if depth > MAX_DEPTH {
        return fail(format!("type nested deeper than {MAX_DEPTH} levels"));
    }
    let inner = |t: &J| type_from_json(t, depth + 1).map(Box::new);
    match v {
        J::String(s) => match s.as_str() {
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            "dynamic" => Ok(Type::Dynamic),
            other => fail(format!("invalid type JSON: unknown primitive type {other:?}")),
        },
        J::Array(a) => match a.as_slice() {
            [J::String(k), t] if k == "list" => Ok(Type::List(inner(t)?)),
            [J::String(k), t] if k == "set" => Ok(Type::Set(inner(t)?)),
            [J::String(k), t] if k == "map" => Ok(Type::Map(inner(t)?)),
            [J::String(k), J::Object(attrs)] | [J::String(k), J::Object(attrs), J::Array(_)] if k == "object" => {
                let mut out = BTreeMap::new();
                for (name, t) in attrs {
                    out.insert(name.clone(), type_from_json(t, depth + 1).at(|| Seg::Attr(name.clone()))?);
                }
                Ok(Type::Object(out))
            }
            [J::String(k), J::Array(ts)] if k == "tuple" => {
                let mut out = Vec::with_capacity(ts.len());
                for (i, t) in ts.iter().enumerate() {
                    out.push(type_from_json(t, depth + 1).at(|| Seg::Index(i))?);
                }
                Ok(Type::Tuple(out))
            }
            [J::String(k), ..] => fail(format!("invalid type JSON: malformed {k:?} type")),
            _ => fail("invalid type JSON: a complex type must be an array starting with its kind"),
        },
        _ => fail("invalid type JSON: expected a string or an array"),
    }
}

// ---------------------------------------------------------------------------
// Type inference for values encoded as dynamic
// ---------------------------------------------------------------------------

/// The type a value is given when it is encoded under [`Type::Dynamic`] (see the module
/// documentation for the rules). Fails when the members of a list, set or map have
/// different types.
pub fn infer_type(value: &Value) -> Result<Type, CodecError> {
    infer(value, 0).map_err(Into::into)
}

fn infer(v: &Value, depth: usize) -> R<Type> {
    infer_raw(v, depth).map(default_element_types)
}

/// Infers with `Dynamic` for nulls, unknowns and unconstrained collection elements.
fn infer_raw(v: &Value, depth: usize) -> R<Type> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    let elements = |es: &mut dyn Iterator<Item = (Seg, &Value)>| -> R<Type> {
        let mut t = Type::Dynamic;
        for (seg, e) in es {
            let et = infer_raw(e, depth + 1).at(|| seg)?;
            t = match unify(&t, &et) {
                Some(u) => u,
                None => return fail("elements have different types, which a dynamic value cannot hold"),
            };
        }
        Ok(t)
    };
    Ok(match v {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(es) => Type::List(Box::new(elements(&mut es.iter().enumerate().map(|(i, e)| (Seg::Index(i), e)))?)),
        Value::Set(es) => Type::Set(Box::new(elements(&mut es.iter().enumerate().map(|(i, e)| (Seg::Index(i), e)))?)),
        Value::Map(m) => Type::Map(Box::new(elements(&mut m.iter().map(|(k, e)| (Seg::Key(k.clone()), e)))?)),
        Value::Object(m) => {
            let mut attrs = BTreeMap::new();
            for (k, e) in m {
                attrs.insert(k.clone(), infer_raw(e, depth + 1).at(|| Seg::Attr(k.clone()))?);
            }
            Type::Object(attrs)
        }
        Value::Tuple(es) => {
            let mut ts = Vec::with_capacity(es.len());
            for (i, e) in es.iter().enumerate() {
                ts.push(infer_raw(e, depth + 1).at(|| Seg::Index(i))?);
            }
            Type::Tuple(ts)
        }
    })
}

/// The most specific type both `a` and `b` conform to, treating `Dynamic` (a null or
/// unknown) as compatible with anything.
fn unify(a: &Type, b: &Type) -> Option<Type> {
    Some(match (a, b) {
        (Type::Dynamic, t) | (t, Type::Dynamic) => t.clone(),
        (Type::Bool, Type::Bool) => Type::Bool,
        (Type::Number, Type::Number) => Type::Number,
        (Type::String, Type::String) => Type::String,
        (Type::List(x), Type::List(y)) => Type::List(Box::new(unify(x, y)?)),
        (Type::Set(x), Type::Set(y)) => Type::Set(Box::new(unify(x, y)?)),
        (Type::Map(x), Type::Map(y)) => Type::Map(Box::new(unify(x, y)?)),
        (Type::Object(x), Type::Object(y)) => {
            if x.len() != y.len() {
                return None;
            }
            let mut out = BTreeMap::new();
            for ((kx, tx), (ky, ty)) in x.iter().zip(y) {
                if kx != ky {
                    return None;
                }
                out.insert(kx.clone(), unify(tx, ty)?);
            }
            Type::Object(out)
        }
        (Type::Tuple(x), Type::Tuple(y)) => {
            if x.len() != y.len() {
                return None;
            }
            Type::Tuple(x.iter().zip(y).map(|(a, b)| unify(a, b)).collect::<Option<_>>()?)
        }
        _ => return None,
    })
}

/// Gives collections whose element type is still unconstrained the element type string.
fn default_element_types(t: Type) -> Type {
    let elem = |e: Box<Type>| match *e {
        Type::Dynamic => Box::new(Type::String),
        other => Box::new(default_element_types(other)),
    };
    match t {
        Type::List(e) => Type::List(elem(e)),
        Type::Set(e) => Type::Set(elem(e)),
        Type::Map(e) => Type::Map(elem(e)),
        Type::Object(attrs) => Type::Object(attrs.into_iter().map(|(k, t)| (k, default_element_types(t))).collect()),
        Type::Tuple(ts) => Type::Tuple(ts.into_iter().map(default_element_types).collect()),
        other => other,
    }
}

// ---------------------------------------------------------------------------
// cty JSON values
// ---------------------------------------------------------------------------

/// Encodes `value` as cty JSON of type `ty`. Unknown values are an error.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    js_encode(&mut out, value, ty, 0)?;
    Ok(out)
}

fn js_string(out: &mut Vec<u8>, s: &str) -> R<()> {
    match serde_json::to_writer(&mut *out, s) {
        Ok(()) => Ok(()),
        Err(e) => fail(format!("cannot write JSON string: {e}")),
    }
}

fn js_number(out: &mut Vec<u8>, n: &Number) -> R<()> {
    match n {
        Number::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Number::Float(f) => {
            if !f.is_finite() {
                return fail(format!("{f} cannot be encoded as a JSON number"));
            }
            if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(f) {
                out.extend_from_slice((*f as i64).to_string().as_bytes());
            } else if let Err(e) = serde_json::to_writer(&mut *out, f) {
                return fail(format!("cannot write JSON number: {e}"));
            }
        }
        Number::Big(s) => out.extend_from_slice(big_text(s)?.as_bytes()),
    }
    Ok(())
}

fn js_encode(out: &mut Vec<u8>, v: &Value, ty: &Type, depth: usize) -> R<()> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    match v {
        Value::Null => {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        Value::Unknown => return fail("unknown values cannot be encoded as JSON"),
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let t = infer(v, depth)?;
            out.extend_from_slice(b"{\"value\":");
            js_encode(out, v, &t, depth + 1)?;
            out.extend_from_slice(b",\"type\":");
            out.extend_from_slice(&t.to_json_bytes());
            out.push(b'}');
            Ok(())
        }
        Type::Bool => match v {
            Value::Bool(b) => {
                out.extend_from_slice(if *b { b"true" } else { b"false" });
                Ok(())
            }
            _ => mismatch(ty, v),
        },
        Type::Number => match v {
            Value::Number(n) => js_number(out, n),
            _ => mismatch(ty, v),
        },
        Type::String => match v {
            Value::String(s) => js_string(out, s),
            _ => mismatch(ty, v),
        },
        Type::List(et) | Type::Set(et) => {
            let Some(es) = seq_elements(v) else {
                return mismatch(ty, v);
            };
            out.push(b'[');
            for (i, e) in es.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                js_encode(out, e, et, depth + 1).at(|| Seg::Index(i))?;
            }
            out.push(b']');
            Ok(())
        }
        Type::Tuple(ts) => {
            let Some(es) = seq_elements(v) else {
                return mismatch(ty, v);
            };
            if es.len() != ts.len() {
                return fail(format!("tuple type has {} elements, value has {}", ts.len(), es.len()));
            }
            out.push(b'[');
            for (i, (e, et)) in es.iter().zip(ts).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                js_encode(out, e, et, depth + 1).at(|| Seg::Index(i))?;
            }
            out.push(b']');
            Ok(())
        }
        Type::Map(et) => {
            let Some(m) = entries(v) else { return mismatch(ty, v) };
            out.push(b'{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                js_string(out, k)?;
                out.push(b':');
                js_encode(out, e, et, depth + 1).at(|| Seg::Key(k.clone()))?;
            }
            out.push(b'}');
            Ok(())
        }
        Type::Object(attrs) => {
            let Some(m) = entries(v) else { return mismatch(ty, v) };
            check_object_keys(m, attrs)?;
            out.push(b'{');
            for (i, (name, at)) in attrs.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                js_string(out, name)?;
                out.push(b':');
                let e = m.get(name).unwrap_or(&Value::Null);
                js_encode(out, e, at, depth + 1).at(|| Seg::Attr(name.clone()))?;
            }
            out.push(b'}');
            Ok(())
        }
    }
}

/// Decodes cty JSON of type `ty` (tolerantly; see the module documentation).
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let doc = parse_json(bytes)?;
    let mut budget = Budget::for_input(bytes.len());
    js_decode(&doc, ty, 0, &mut budget).map_err(Into::into)
}

// A small strict JSON (RFC 8259) reader. serde_json is not used for values because,
// without its `float_roundtrip`/`arbitrary_precision` features, it neither rounds
// floats correctly nor keeps the text of numbers beyond u64/f64.

/// How deep JSON documents may nest: deeper than values of the type may go, so that
/// ignored attributes from an older schema still parse.
const JSON_MAX_DEPTH: usize = 2 * MAX_DEPTH;

/// A parsed JSON document; numbers keep their text.
#[derive(Debug)]
enum Json<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(String),
    Array(Vec<Json<'a>>),
    /// Members in document order (a repeated key: the last one wins when decoding).
    Object(Vec<(String, Json<'a>)>),
}

struct JsonParser<'a> {
    s: &'a str,
    pos: usize,
}

fn parse_json(bytes: &[u8]) -> R<Json<'_>> {
    let s = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => return fail(format!("invalid JSON: not UTF-8 ({e})")),
    };
    let mut p = JsonParser { s, pos: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.pos != s.len() {
        return p.err("trailing characters after the JSON value");
    }
    Ok(v)
}

impl<'a> JsonParser<'a> {
    fn err<T>(&self, what: &str) -> R<T> {
        fail(format!("invalid JSON at byte {}: {what}", self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(&format!("expected {:?}", char::from(c)))
        }
    }

    fn literal(&mut self, word: &str, v: Json<'a>) -> R<Json<'a>> {
        if self.s.as_bytes().get(self.pos..).is_some_and(|rest| rest.starts_with(word.as_bytes())) {
            self.pos += word.len();
            Ok(v)
        } else {
            self.err("invalid literal")
        }
    }

    fn value(&mut self, depth: usize) -> R<Json<'a>> {
        if depth > JSON_MAX_DEPTH {
            return self.err(&format!("nested deeper than {JSON_MAX_DEPTH} levels"));
        }
        match self.peek() {
            None => self.err("unexpected end of input"),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.pos += 1;
                self.ws();
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.ws();
                        }
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return self.err("expected ',' or ']'"),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                self.ws();
                let mut members = Vec::new();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return self.err("expected a string key");
                    }
                    let k = self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    members.push((k, self.value(depth + 1)?));
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.ws();
                        }
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Object(members));
                        }
                        _ => return self.err("expected ',' or '}'"),
                    }
                }
            }
            Some(_) => self.err("unexpected character"),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> R<Json<'a>> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.err("invalid number: no digits after '.'");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.err("invalid number: no digits in exponent");
            }
        }
        match self.s.get(start..self.pos) {
            Some(t) => Ok(Json::Number(t)),
            None => self.err("invalid number"),
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let Some(h) = self.s.get(self.pos..self.pos + 4) else {
            return self.err("truncated \\u escape");
        };
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return self.err("invalid \\u escape");
        }
        self.pos += 4;
        match u32::from_str_radix(h, 16) {
            Ok(v) => Ok(v),
            Err(_) => self.err("invalid \\u escape"),
        }
    }

    /// A string, the opening quote being next.
    fn string(&mut self) -> R<String> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self.peek().is_some_and(|c| c != b'"' && c != b'\\' && c >= 0x20) {
                self.pos += 1;
            }
            // Stopped at an ASCII byte (or the end), so this is a char boundary.
            match self.s.get(start..self.pos) {
                Some(run) => out.push_str(run),
                None => return self.err("invalid string"),
            }
            match self.peek() {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return self.err("unterminated string");
                    };
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&hi) {
                                if self.peek() != Some(b'\\') || self.s.as_bytes().get(self.pos + 1) != Some(&b'u') {
                                    return self.err("unpaired surrogate in \\u escape");
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return self.err("unpaired surrogate in \\u escape");
                                }
                                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                            } else {
                                hi
                            };
                            match char::from_u32(code) {
                                Some(c) => c,
                                None => return self.err("unpaired surrogate in \\u escape"),
                            }
                        }
                        _ => return self.err("invalid escape"),
                    };
                    out.push(c);
                }
                Some(_) => return self.err("control character in string"),
            }
        }
    }
}

fn json_kind(v: &Json<'_>) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// The document as a serde_json value, for reading the type of a dynamic value (the
/// type syntax has no numbers, so they become null, which the type reader rejects).
fn json_to_serde(v: &Json<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Json::Null | Json::Number(_) => J::Null,
        Json::Bool(b) => J::Bool(*b),
        Json::String(s) => J::String(s.clone()),
        Json::Array(a) => J::Array(a.iter().map(json_to_serde).collect()),
        Json::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), json_to_serde(v))).collect()),
    }
}

fn js_decode(v: &Json<'_>, ty: &Type, depth: usize, budget: &mut Budget) -> R<Value> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    if matches!(v, Json::Null) {
        return Ok(Value::Null);
    }
    let wrong = || fail(format!("expected {}, got JSON {}", type_kind(ty), json_kind(v)));
    match ty {
        Type::Dynamic => {
            let Json::Object(o) = v else {
                return fail(format!("expected dynamic value {{\"value\":…,\"type\":…}}, got JSON {}", json_kind(v)));
            };
            let member = |name: &str| o.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
            let Some(t) = member("type") else {
                return fail("dynamic value has no \"type\"");
            };
            let t = type_from_json(&json_to_serde(t), depth)?;
            match member("value") {
                None => Ok(Value::Null),
                Some(inner) => js_decode(inner, &t, depth + 1, budget),
            }
        }
        Type::Bool => match v {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" => Ok(Value::Bool(true)),
            Json::String(s) if s == "false" => Ok(Value::Bool(false)),
            _ => wrong(),
        },
        Type::Number => match v {
            Json::Number(t) => Ok(Value::Number(parse_number_text(t)?)),
            Json::String(s) => Ok(Value::Number(parse_number_text(s)?)),
            _ => wrong(),
        },
        Type::String => match v {
            Json::String(s) => Ok(Value::String(s.clone())),
            Json::Number(t) => Ok(Value::String((*t).to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => wrong(),
        },
        Type::List(et) | Type::Set(et) => {
            let Json::Array(a) = v else { return wrong() };
            let mut es = Vec::with_capacity(a.len());
            for (i, e) in a.iter().enumerate() {
                es.push(js_decode(e, et, depth + 1, budget).at(|| Seg::Index(i))?);
            }
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(es) } else { Value::List(es) })
        }
        Type::Tuple(ts) => {
            let Json::Array(a) = v else { return wrong() };
            if a.len() != ts.len() {
                return fail(format!("tuple type has {} elements, JSON array has {}", ts.len(), a.len()));
            }
            let mut es = Vec::with_capacity(a.len());
            for (i, (e, et)) in a.iter().zip(ts).enumerate() {
                es.push(js_decode(e, et, depth + 1, budget).at(|| Seg::Index(i))?);
            }
            Ok(Value::Tuple(es))
        }
        Type::Map(et) => {
            let Json::Object(o) = v else { return wrong() };
            let mut m = BTreeMap::new();
            for (k, e) in o {
                m.insert(k.clone(), js_decode(e, et, depth + 1, budget).at(|| Seg::Key(k.clone()))?);
            }
            Ok(Value::Map(m))
        }
        Type::Object(attrs) => {
            let Json::Object(o) = v else { return wrong() };
            let mut m = BTreeMap::new();
            for (k, e) in o {
                // Attributes no longer in the schema are dropped, not rejected.
                if let Some(at) = attrs.get(k) {
                    m.insert(k.clone(), js_decode(e, at, depth + 1, budget).at(|| Seg::Attr(k.clone()))?);
                }
            }
            fill_absent(&mut m, attrs, budget)?;
            Ok(Value::Object(m))
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Type)]) -> Type {
        Type::Object(pairs.iter().map(|(k, t)| (k.to_string(), t.clone())).collect())
    }
    fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    fn vmap(pairs: &[(&str, Value)]) -> Value {
        Value::Map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }
    fn vobj(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
    }
    fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }
    fn float(f: f64) -> Value {
        Value::Number(Number::Float(f))
    }
    fn big(s: &str) -> Value {
        Value::Number(Number::Big(s.to_string()))
    }
    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn mp_round_trip(v: &Value, ty: &Type) -> Vec<u8> {
        let bytes = encode_msgpack(v, ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}"));
        let back = decode_msgpack(&bytes, ty).unwrap_or_else(|e| panic!("decode {bytes:02x?}: {e}"));
        assert_eq!(&back, v, "msgpack round trip of {v:?} as {ty:?}");
        bytes
    }

    fn json_round_trip(v: &Value, ty: &Type) -> Vec<u8> {
        let bytes = encode_json(v, ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}"));
        let back =
            decode_json(&bytes, ty).unwrap_or_else(|e| panic!("decode {}: {e}", String::from_utf8_lossy(&bytes)));
        assert_eq!(&back, v, "JSON round trip via {}", String::from_utf8_lossy(&bytes));
        bytes
    }

    fn err_msg(r: Result<Value, CodecError>) -> String {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.0,
        }
    }

    /// A type exercising every kind, and a value of it.
    fn rich_type() -> Type {
        obj(&[
            ("name", Type::String),
            ("count", Type::Number),
            ("enabled", Type::Bool),
            ("tags", map(Type::String)),
            ("ids", set(Type::String)),
            ("items", list(obj(&[("id", Type::Number), ("on", Type::Bool), ("labels", list(Type::String))]))),
            ("pair", Type::Tuple(vec![Type::String, Type::Number])),
            ("nested", obj(&[("inner", obj(&[("deep", map(list(Type::Number)))]))])),
            ("extra", Type::Dynamic),
        ])
    }

    fn rich_value() -> Value {
        vobj(&[
            ("name", s("svc")),
            ("count", int(3)),
            ("enabled", Value::Bool(true)),
            ("tags", vmap(&[("env", s("prod")), ("team", s("core"))])),
            ("ids", Value::Set(vec![s("b"), s("a")])),
            (
                "items",
                Value::List(vec![
                    vobj(&[("id", int(1)), ("on", Value::Bool(false)), ("labels", Value::List(vec![s("x")]))]),
                    vobj(&[("id", float(2.5)), ("on", Value::Bool(true)), ("labels", Value::List(vec![]))]),
                ]),
            ),
            ("pair", Value::Tuple(vec![s("p"), int(-7)])),
            (
                "nested",
                vobj(&[(
                    "inner",
                    vobj(&[("deep", vmap(&[("k", Value::List(vec![int(1), int(70000), float(0.25)]))]))]),
                )]),
            ),
            ("extra", vobj(&[("port", int(8080)), ("hosts", Value::List(vec![s("h1")]))])),
        ])
    }

    // ----- hand-written encodings -----

    #[test]
    fn object_bytes_match_hand_written_encoding() {
        let ty = obj(&[("a", Type::String), ("b", Type::Number)]);
        let v = vobj(&[("a", s("x")), ("b", Value::Null)]);
        let expected = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0];
        assert_eq!(encode_msgpack(&v, &ty).unwrap(), expected);
        assert_eq!(decode_msgpack(&expected, &ty).unwrap(), v);
        // An attribute absent from the value is written as nil all the same.
        assert_eq!(encode_msgpack(&vobj(&[("a", s("x"))]), &ty).unwrap(), expected);
    }

    #[test]
    fn primitive_bytes() {
        assert_eq!(encode_msgpack(&Value::Null, &Type::String).unwrap(), [0xc0]);
        assert_eq!(encode_msgpack(&Value::Unknown, &Type::String).unwrap(), [0xc7, 0x00, 0x00]);
        assert_eq!(encode_msgpack(&Value::Bool(true), &Type::Bool).unwrap(), [0xc3]);
        assert_eq!(encode_msgpack(&Value::Bool(false), &Type::Bool).unwrap(), [0xc2]);
        assert_eq!(encode_msgpack(&s(""), &Type::String).unwrap(), [0xa0]);
        assert_eq!(encode_msgpack(&s("hi"), &Type::String).unwrap(), [0xa2, b'h', b'i']);
        assert_eq!(encode_msgpack(&Value::List(vec![]), &list(Type::String)).unwrap(), [0x90]);
        assert_eq!(encode_msgpack(&Value::Map(BTreeMap::new()), &map(Type::String)).unwrap(), [0x80]);
        assert_eq!(
            encode_msgpack(&Value::List(vec![int(1), Value::Null]), &list(Type::Number)).unwrap(),
            [0x92, 0x01, 0xc0]
        );
        // Map keys are written sorted.
        assert_eq!(
            encode_msgpack(&vmap(&[("b", int(2)), ("a", int(1))]), &map(Type::Number)).unwrap(),
            [0x82, 0xa1, b'a', 0x01, 0xa1, b'b', 0x02]
        );
    }

    #[test]
    fn every_int_width() {
        let cases: Vec<(i64, Vec<u8>)> = vec![
            (0, vec![0x00]),
            (1, vec![0x01]),
            (127, vec![0x7f]),
            (128, vec![0xcc, 0x80]),
            (255, vec![0xcc, 0xff]),
            (256, vec![0xcd, 0x01, 0x00]),
            (65535, vec![0xcd, 0xff, 0xff]),
            (65536, vec![0xce, 0x00, 0x01, 0x00, 0x00]),
            (u32::MAX as i64, vec![0xce, 0xff, 0xff, 0xff, 0xff]),
            (1 << 32, vec![0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
            (i64::MAX, vec![0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            (-1, vec![0xff]),
            (-32, vec![0xe0]),
            (-33, vec![0xd0, 0xdf]),
            (-128, vec![0xd0, 0x80]),
            (-129, vec![0xd1, 0xff, 0x7f]),
            (-32768, vec![0xd1, 0x80, 0x00]),
            (-32769, vec![0xd2, 0xff, 0xff, 0x7f, 0xff]),
            (i32::MIN as i64, vec![0xd2, 0x80, 0x00, 0x00, 0x00]),
            (i32::MIN as i64 - 1, vec![0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]),
            (i64::MIN, vec![0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        ];
        for (i, bytes) in cases {
            assert_eq!(encode_msgpack(&int(i), &Type::Number).unwrap(), bytes, "encoding {i}");
            assert_eq!(decode_msgpack(&bytes, &Type::Number).unwrap(), int(i), "decoding {i}");
        }
        // Non-minimal encodings decode too.
        let n = &Type::Number;
        assert_eq!(decode_msgpack(&[0xcc, 0x05], n).unwrap(), int(5));
        assert_eq!(decode_msgpack(&[0xcd, 0x00, 0x05], n).unwrap(), int(5));
        assert_eq!(decode_msgpack(&[0xd0, 0x05], n).unwrap(), int(5));
        assert_eq!(decode_msgpack(&[0xd1, 0xff, 0xff], n).unwrap(), int(-1));
        assert_eq!(decode_msgpack(&[0xd2, 0, 0, 0, 7], n).unwrap(), int(7));
        assert_eq!(decode_msgpack(&[0xd3, 0, 0, 0, 0, 0, 0, 0, 9], n).unwrap(), int(9));
        assert_eq!(decode_msgpack(&[0xcf, 0, 0, 0, 0, 0, 0, 0, 9], n).unwrap(), int(9));
        // uint64 beyond i64 becomes a big number, which re-encodes as its decimal string.
        let umax = decode_msgpack(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], n).unwrap();
        assert_eq!(umax, big(&u64::MAX.to_string()));
        let enc = mp_round_trip(&umax, n);
        assert_eq!(enc[0], 0xb4); // fixstr of 20 digits
        assert_eq!(&enc[1..], u64::MAX.to_string().as_bytes());
    }

    #[test]
    fn floats() {
        let n = &Type::Number;
        let mut f15 = vec![0xcb];
        f15.extend_from_slice(&1.5f64.to_bits().to_be_bytes());
        assert_eq!(encode_msgpack(&float(1.5), n).unwrap(), f15);
        assert_eq!(decode_msgpack(&f15, n).unwrap(), float(1.5));
        // Whole floats are written as, and read back as, integers.
        assert_eq!(encode_msgpack(&float(2.0), n).unwrap(), [0x02]);
        assert_eq!(encode_msgpack(&float(-300.0), n).unwrap(), [0xd1, 0xfe, 0xd4]);
        let mut f2 = vec![0xcb];
        f2.extend_from_slice(&2.0f64.to_bits().to_be_bytes());
        assert_eq!(decode_msgpack(&f2, n).unwrap(), int(2));
        // float32
        let mut f32b = vec![0xca];
        f32b.extend_from_slice(&1.5f32.to_bits().to_be_bytes());
        assert_eq!(decode_msgpack(&f32b, n).unwrap(), float(1.5));
        let mut f32w = vec![0xca];
        f32w.extend_from_slice(&8.0f32.to_bits().to_be_bytes());
        assert_eq!(decode_msgpack(&f32w, n).unwrap(), int(8));
        // Infinity is a cty number; NaN is not.
        mp_round_trip(&float(f64::INFINITY), n);
        mp_round_trip(&float(f64::NEG_INFINITY), n);
        mp_round_trip(&float(1e300), n);
        mp_round_trip(&float(-0.1), n);
        let mut nan = vec![0xcb];
        nan.extend_from_slice(&f64::NAN.to_bits().to_be_bytes());
        assert!(decode_msgpack(&nan, n).is_err());
        assert!(encode_msgpack(&float(f64::NAN), n).is_err());
        // A whole float outside i64 stays a float.
        mp_round_trip(&float(1e19), n);
    }

    #[test]
    fn number_strings() {
        let n = &Type::Number;
        let dec = |t: &str| {
            let mut b = Vec::new();
            put_str(&mut b, t).unwrap();
            decode_msgpack(&b, n)
        };
        assert_eq!(dec("123").unwrap(), int(123));
        assert_eq!(dec("-0").unwrap(), int(0));
        assert_eq!(dec("+42").unwrap(), int(42));
        assert_eq!(dec("1.5").unwrap(), float(1.5));
        assert_eq!(dec("1.50").unwrap(), float(1.5));
        assert_eq!(dec("0.1").unwrap(), float(0.1));
        assert_eq!(dec("1e3").unwrap(), int(1000));
        assert_eq!(dec("2.5e-3").unwrap(), float(0.0025));
        assert_eq!(dec("123456789012345678901234567890").unwrap(), big("123456789012345678901234567890"));
        assert_eq!(dec("1e400").unwrap(), big("1e400"));
        assert_eq!(dec("0.1000000000000000000000001").unwrap(), big("0.1000000000000000000000001"));
        assert_eq!(dec("+.5e1000").unwrap(), big("0.5e1000"));
        assert_eq!(dec("9223372036854775808").unwrap(), big("9223372036854775808"));
        for bad in ["", "abc", "1.2.3", "1e", "e5", ".", "-", "NaN", "inf", " 1", "1 ", "0x10", "1_000"] {
            assert!(dec(bad).is_err(), "{bad:?} should not be a number");
        }
        // Big numbers encode as their text and survive a round trip.
        let b = big("123456789012345678901234567890");
        let enc = mp_round_trip(&b, n);
        assert_eq!(enc[0], 0xa0 | 30);
        assert!(encode_msgpack(&big("12x"), n).is_err());
        assert_eq!(parse_number("3.25").unwrap(), Number::Float(3.25));
    }

    #[test]
    fn strings_of_every_length_class_and_bin() {
        let st = &Type::String;
        for (len, header) in [
            (0usize, vec![0xa0]),
            (31, vec![0xbf]),
            (32, vec![0xd9, 32]),
            (255, vec![0xd9, 0xff]),
            (256, vec![0xda, 0x01, 0x00]),
            (65535, vec![0xda, 0xff, 0xff]),
            (65536, vec![0xdb, 0x00, 0x01, 0x00, 0x00]),
        ] {
            let text = "x".repeat(len);
            let enc = mp_round_trip(&s(&text), st);
            assert_eq!(&enc[..header.len()], header.as_slice(), "header for length {len}");
            assert_eq!(enc.len(), header.len() + len);
        }
        // bin8/16/32 are read as UTF-8 strings.
        assert_eq!(decode_msgpack(&[0xc4, 2, b'o', b'k'], st).unwrap(), s("ok"));
        assert_eq!(decode_msgpack(&[0xc5, 0, 2, b'o', b'k'], st).unwrap(), s("ok"));
        assert_eq!(decode_msgpack(&[0xc6, 0, 0, 0, 2, b'o', b'k'], st).unwrap(), s("ok"));
        assert_eq!(decode_msgpack(&[0xd9, 3, 0xe2, 0x82, 0xac], st).unwrap(), s("€"));
        assert!(decode_msgpack(&[0xa2, 0xff, 0xfe], st).is_err());
        assert!(decode_msgpack(&[0xc4, 1, 0x80], st).is_err());
        // Strings are not numbers or bools.
        assert!(decode_msgpack(&[0x01], st).is_err());
        assert!(decode_msgpack(&[0xc3], st).is_err());
        mp_round_trip(&s("ünïcödé ✓ \u{1F600}"), st);
    }

    #[test]
    fn unknowns() {
        let st = &Type::String;
        // Every extension format, type 0 and type 12 (refined).
        let forms: Vec<Vec<u8>> = vec![
            vec![0xc7, 0x00, 0x00],
            vec![0xd4, 0x00, 0x00],
            vec![0xd5, 0x00, 1, 2],
            vec![0xd6, 0x00, 1, 2, 3, 4],
            vec![0xd7, 0x00, 0, 0, 0, 0, 0, 0, 0, 0],
            [vec![0xd8, 0x00], vec![0; 16]].concat(),
            vec![0xc8, 0x00, 0x01, 0x00, 0x00],
            vec![0xc9, 0x00, 0x00, 0x00, 0x02, 0x00, 0xaa, 0xbb],
            // Refined unknown: payload is a map of refinements {1: false, 2: "pre"}.
            vec![0xc7, 0x08, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa3, b'p', b'r', b'e'],
            vec![0xd5, 0x0c, 0x81, 0xc3],
            vec![0xd4, 0x0c, 0x80],
        ];
        for f in &forms {
            for ty in [Type::String, Type::Number, Type::Bool, list(Type::String), rich_type(), Type::Dynamic] {
                assert_eq!(decode_msgpack(f, &ty).unwrap(), Value::Unknown, "{f:02x?} as {ty:?}");
            }
        }
        // Other extension types are rejected (including the msgpack timestamp, -1).
        assert!(err_msg(decode_msgpack(&[0xd4, 0x05, 0x00], st)).contains("extension type 5"));
        assert!(decode_msgpack(&[0xd6, 0xff, 0, 0, 0, 0], st).is_err());
        // Unknown nested in an object, a list, a map, and the refined form nested.
        let ty = obj(&[("a", list(Type::String)), ("m", map(Type::Number)), ("u", Type::Bool)]);
        let v = vobj(&[
            ("a", Value::List(vec![s("x"), Value::Unknown])),
            ("m", vmap(&[("k", Value::Unknown)])),
            ("u", Value::Unknown),
        ]);
        mp_round_trip(&v, &ty);
        let mut refined = vec![0x81, 0xa1, b'a', 0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(decode_msgpack(&refined, &obj(&[("a", Type::String)])).unwrap(), vobj(&[("a", Value::Unknown)]));
        refined.push(0x00);
        assert!(decode_msgpack(&refined, &obj(&[("a", Type::String)])).is_err());
        mp_round_trip(&Value::Unknown, &rich_type());
    }

    #[test]
    fn round_trip_every_type() {
        mp_round_trip(&Value::Bool(true), &Type::Bool);
        mp_round_trip(&int(42), &Type::Number);
        mp_round_trip(&s("hello"), &Type::String);
        mp_round_trip(&Value::List(vec![s("a"), s("b")]), &list(Type::String));
        mp_round_trip(&Value::Set(vec![int(3), int(1), int(2)]), &set(Type::Number));
        mp_round_trip(&vmap(&[("a", Value::Bool(true))]), &map(Type::Bool));
        mp_round_trip(
            &Value::Tuple(vec![s("a"), int(1), Value::Bool(false)]),
            &Type::Tuple(vec![Type::String, Type::Number, Type::Bool]),
        );
        mp_round_trip(&Value::Tuple(vec![]), &Type::Tuple(vec![]));
        mp_round_trip(&vobj(&[]), &obj(&[]));
        let enc = mp_round_trip(&rich_value(), &rich_type());
        assert_eq!(enc[0], 0x89, "9 attributes");
        json_round_trip(&rich_value(), &rich_type());
    }

    #[test]
    fn set_keeps_wire_order() {
        let bytes = [0x93, 0xa1, b'c', 0xa1, b'a', 0xa1, b'b'];
        assert_eq!(decode_msgpack(&bytes, &set(Type::String)).unwrap(), Value::Set(vec![s("c"), s("a"), s("b")]));
        assert_eq!(decode_msgpack(&bytes, &list(Type::String)).unwrap(), Value::List(vec![s("c"), s("a"), s("b")]));
    }

    #[test]
    fn null_at_every_level() {
        let ty = rich_type();
        let full = rich_value();
        mp_round_trip(&Value::Null, &ty);
        let Value::Object(attrs) = &full else { unreachable!() };
        for name in attrs.keys() {
            let mut v = full.clone();
            v.as_object_mut().unwrap().insert(name.clone(), Value::Null);
            mp_round_trip(&v, &ty);
            json_round_trip(&v, &ty);
        }
        // Nulls inside collections and nested objects.
        let v = vobj(&[
            ("name", Value::Null),
            ("count", Value::Null),
            ("enabled", Value::Null),
            ("tags", vmap(&[("k", Value::Null)])),
            ("ids", Value::Set(vec![Value::Null])),
            (
                "items",
                Value::List(vec![
                    Value::Null,
                    vobj(&[("id", Value::Null), ("on", Value::Null), ("labels", Value::List(vec![Value::Null]))]),
                ]),
            ),
            ("pair", Value::Tuple(vec![Value::Null, Value::Null])),
            ("nested", vobj(&[("inner", vobj(&[("deep", vmap(&[("k", Value::Null)]))]))])),
            ("extra", Value::Null),
        ]);
        mp_round_trip(&v, &ty);
        json_round_trip(&v, &ty);
    }

    #[test]
    fn object_keys() {
        let ty = obj(&[("a", Type::String), ("b", Type::Number)]);
        // Extra key: an error naming it.
        let extra = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa3, b'z', b'z', b'z', 0x01];
        let msg = err_msg(decode_msgpack(&extra, &ty));
        assert!(msg.contains("\"zzz\""), "{msg}");
        // Missing key: null.
        assert_eq!(
            decode_msgpack(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap(),
            vobj(&[("a", s("x")), ("b", Value::Null)])
        );
        assert_eq!(decode_msgpack(&[0x80], &ty).unwrap(), vobj(&[("a", Value::Null), ("b", Value::Null)]));
        // Duplicate key and non-string key.
        assert!(decode_msgpack(&[0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'a', 0xa1, b'y'], &ty).is_err());
        assert!(decode_msgpack(&[0x81, 0x01, 0xa1, b'x'], &ty).is_err());
        // Nested extra key: the error carries the path.
        let outer = obj(&[("o", list(ty.clone()))]);
        let nested = [0x81, 0xa1, b'o', 0x91, 0x81, 0xa1, b'q', 0xc0];
        let msg = err_msg(decode_msgpack(&nested, &outer));
        assert!(msg.starts_with(".o[0]: ") && msg.contains("\"q\""), "{msg}");
        // Encoding a value with an attribute not in the type.
        let e = encode_msgpack(&vobj(&[("a", s("x")), ("nope", s("y"))]), &ty).unwrap_err();
        assert!(e.0.contains("\"nope\""), "{e}");
        assert!(encode_json(&vobj(&[("nope", s("y"))]), &ty).unwrap_err().0.contains("nope"));
        // Duplicate map keys.
        assert!(decode_msgpack(&[0x82, 0xa1, b'a', 0x01, 0xa1, b'a', 0x02], &map(Type::Number)).is_err());
    }

    #[test]
    fn kind_mismatches_are_errors_with_paths() {
        let ty = obj(&[("items", list(obj(&[("id", Type::Number)])))]);
        let v = vobj(&[("items", Value::List(vec![vobj(&[("id", int(1))]), vobj(&[("id", s("x"))])]))]);
        let e = encode_msgpack(&v, &ty).unwrap_err();
        assert_eq!(e.0, ".items[1].id: expected number value, got string");
        assert!(encode_json(&v, &ty).unwrap_err().0.starts_with(".items[1].id"));
        assert!(encode_msgpack(&s("x"), &Type::Bool).is_err());
        assert!(encode_msgpack(&int(1), &list(Type::Number)).is_err());
        assert!(encode_msgpack(&Value::Tuple(vec![int(1)]), &Type::Tuple(vec![])).is_err());
        assert!(decode_msgpack(&[0x91, 0x01], &Type::Tuple(vec![])).is_err());
        assert!(decode_msgpack(&[0xa1, b'x'], &Type::Bool).is_err());
        assert!(decode_msgpack(&[0xc3], &Type::Number).is_err());
        assert!(decode_msgpack(&[0x80], &list(Type::String)).is_err());
        assert!(decode_msgpack(&[0x90], &map(Type::String)).is_err());
        assert!(decode_msgpack(&[0xc1], &Type::String).is_err());
        // The type decides how a sequence or mapping is written.
        let as_set = encode_msgpack(&Value::List(vec![s("a")]), &set(Type::String)).unwrap();
        assert_eq!(decode_msgpack(&as_set, &set(Type::String)).unwrap(), Value::Set(vec![s("a")]));
        let m = encode_msgpack(&vobj(&[("k", s("v"))]), &map(Type::String)).unwrap();
        assert_eq!(decode_msgpack(&m, &map(Type::String)).unwrap(), vmap(&[("k", s("v"))]));
    }

    #[test]
    fn dynamic_values() {
        let dy = &Type::Dynamic;
        let enc = encode_msgpack(&s("x"), dy).unwrap();
        let mut expected = vec![0x92, 0xc4, 8];
        expected.extend_from_slice(b"\"string\"");
        expected.extend_from_slice(&[0xa1, b'x']);
        assert_eq!(enc, expected);
        assert_eq!(decode_msgpack(&enc, dy).unwrap(), s("x"));
        // The type header may also be a str.
        let mut as_str = vec![0x92, 0xa8];
        as_str.extend_from_slice(b"\"number\"");
        as_str.push(0x05);
        assert_eq!(decode_msgpack(&as_str, dy).unwrap(), int(5));
        // Null and unknown are plain.
        assert_eq!(encode_msgpack(&Value::Null, dy).unwrap(), [0xc0]);
        assert_eq!(encode_msgpack(&Value::Unknown, dy).unwrap(), [0xc7, 0, 0]);
        // A wrapped null / unknown of a known type.
        let mut wrapped_null = vec![0x92, 0xc4, 8];
        wrapped_null.extend_from_slice(b"\"string\"");
        wrapped_null.push(0xc0);
        assert_eq!(decode_msgpack(&wrapped_null, dy).unwrap(), Value::Null);
        let mut wrapped_unknown = wrapped_null.clone();
        wrapped_unknown.pop();
        wrapped_unknown.extend_from_slice(&[0xd4, 0x00, 0x00]);
        assert_eq!(decode_msgpack(&wrapped_unknown, dy).unwrap(), Value::Unknown);
        // Structured values round-trip through an inferred type.
        let v = vobj(&[
            ("name", s("n")),
            ("ports", Value::List(vec![int(80), int(443)])),
            ("meta", vmap(&[("a", s("b"))])),
            ("nothing", Value::Null),
            ("later", Value::Unknown),
            ("rows", Value::List(vec![vobj(&[("x", int(1))]), vobj(&[("x", Value::Null)])])),
            ("t", Value::Tuple(vec![s("a"), Value::Bool(true)])),
            ("empty", Value::List(vec![])),
            ("s", Value::Set(vec![s("q")])),
        ]);
        mp_round_trip(&v, dy);
        let inferred = infer_type(&v).unwrap();
        assert_eq!(
            inferred,
            obj(&[
                ("name", Type::String),
                ("ports", list(Type::Number)),
                ("meta", map(Type::String)),
                ("nothing", Type::Dynamic),
                ("later", Type::Dynamic),
                ("rows", list(obj(&[("x", Type::Number)]))),
                ("t", Type::Tuple(vec![Type::String, Type::Bool])),
                ("empty", list(Type::String)),
                ("s", set(Type::String)),
            ])
        );
        // A dynamic attribute inside an object type.
        let ty = obj(&[("d", Type::Dynamic), ("n", Type::Number)]);
        mp_round_trip(&vobj(&[("d", Value::List(vec![s("a")])), ("n", int(1))]), &ty);
        // Inconsistent element types cannot be given a type.
        assert!(encode_msgpack(&Value::List(vec![s("a"), int(1)]), dy).is_err());
        assert!(encode_msgpack(&Value::List(vec![vobj(&[("a", int(1))]), vobj(&[("b", int(1))])]), dy).is_err());
        // Malformed wrappers.
        assert!(decode_msgpack(&[0x91, 0xc4, 0], dy).is_err());
        assert!(decode_msgpack(&[0x93, 0xa8], dy).is_err());
        assert!(decode_msgpack(&[0xa1, b'x'], dy).is_err());
        let mut bad_type = vec![0x92, 0xa5];
        bad_type.extend_from_slice(b"\"foo\"");
        bad_type.push(0x01);
        assert!(decode_msgpack(&bad_type, dy).is_err());
        let mut bad_json = vec![0x92, 0xa3];
        bad_json.extend_from_slice(b"[[[");
        bad_json.push(0x01);
        assert!(decode_msgpack(&bad_json, dy).is_err());
        // A value that does not match its declared type.
        let mut mismatch = vec![0x92, 0xa6];
        mismatch.extend_from_slice(b"\"bool\"");
        mismatch.push(0x01);
        assert!(decode_msgpack(&mismatch, dy).is_err());
    }

    #[test]
    fn truncated_input_at_every_prefix_is_an_error() {
        let ty = rich_type();
        let mut v = rich_value();
        v.as_object_mut().unwrap().insert("name".into(), s(&"n".repeat(300)));
        let bytes = encode_msgpack(&v, &ty).unwrap();
        assert!(bytes.len() > 300);
        for n in 0..bytes.len() {
            assert!(decode_msgpack(&bytes[..n], &ty).is_err(), "prefix of {n} bytes decoded");
            assert!(decode_msgpack(&bytes[..n], &Type::Dynamic).is_err());
        }
        let dyn_bytes = encode_msgpack(&v, &Type::Dynamic).unwrap();
        assert_eq!(decode_msgpack(&dyn_bytes, &Type::Dynamic).unwrap(), v);
        for n in 0..dyn_bytes.len() {
            assert!(decode_msgpack(&dyn_bytes[..n], &Type::Dynamic).is_err(), "prefix of {n} bytes decoded");
        }
        // Truncated scalars.
        for b in [
            &[0xcc][..],
            &[0xcd, 0],
            &[0xce, 0, 0],
            &[0xcf, 0, 0, 0],
            &[0xd3],
            &[0xcb, 0, 0],
            &[0xca],
            &[0xd9],
            &[0xd9, 5, b'a'],
            &[0xc7, 3, 0, 1],
            &[0xd8, 0],
            &[0xc9, 0, 0],
        ] {
            assert!(decode_msgpack(b, &Type::Number).is_err(), "{b:02x?}");
            assert!(decode_msgpack(b, &Type::String).is_err(), "{b:02x?}");
        }
        assert!(decode_msgpack(&[], &Type::String).is_err());
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let e = decode_msgpack(&[0xa1, b'x', 0x00], &Type::String).unwrap_err();
        assert!(e.0.contains("trailing"), "{e}");
        assert!(decode_msgpack(&[0xc0, 0xc0], &Type::String).is_err());
        assert!(decode_msgpack(&[0xc7, 0, 0, 0], &Type::String).is_err());
        let mut b = encode_msgpack(&rich_value(), &rich_type()).unwrap();
        b.push(0x90);
        assert!(decode_msgpack(&b, &rich_type()).is_err());
    }

    fn nested_list_type(levels: usize) -> Type {
        (0..levels).fold(Type::String, |t, _| list(t))
    }

    #[test]
    fn nesting_depth_is_limited() {
        // Within the limit.
        let ty = nested_list_type(MAX_DEPTH);
        let mut bytes = vec![0x91; MAX_DEPTH];
        bytes.push(0xa0);
        assert!(decode_msgpack(&bytes, &ty).is_ok());
        // Beyond it, for decode and encode.
        let ty = nested_list_type(200);
        let mut bytes = vec![0x91; 200];
        bytes.push(0xa0);
        let e = decode_msgpack(&bytes, &ty).unwrap_err();
        assert!(e.0.contains("deeper"), "{e}");
        let v = (0..200).fold(s(""), |v, _| Value::List(vec![v]));
        assert!(encode_msgpack(&v, &ty).is_err());
        assert!(encode_json(&v, &ty).is_err());
        assert!(encode_msgpack(&v, &Type::Dynamic).is_err());
        // Dynamic values nesting their own types.
        let mut deep_dyn = Vec::new();
        for _ in 0..100 {
            deep_dyn.extend_from_slice(&[0x92, 0xa9]);
            deep_dyn.extend_from_slice(b"\"dynamic\"");
        }
        deep_dyn.push(0xa0);
        assert!(decode_msgpack(&deep_dyn, &Type::Dynamic).is_err());
        // Deep type JSON.
        let deep_type = format!("{}\"string\"{}", "[\"list\",".repeat(100), "]".repeat(100));
        assert!(Type::from_json_bytes(deep_type.as_bytes()).is_err());
        let very_deep = format!("{}\"string\"{}", "[\"list\",".repeat(5000), "]".repeat(5000));
        assert!(Type::from_json_bytes(very_deep.as_bytes()).is_err());
        // Deep JSON values.
        let deep_json = format!("{}\"\"{}", "[".repeat(100), "]".repeat(100));
        assert!(decode_json(deep_json.as_bytes(), &nested_list_type(100)).is_err());
        let very_deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(decode_json(very_deep_json.as_bytes(), &Type::Dynamic).is_err());
    }

    #[test]
    fn huge_claimed_lengths_fail_fast() {
        let start = std::time::Instant::now();
        let cases: Vec<(Vec<u8>, Type)> = vec![
            (vec![0xdd, 0xff, 0xff, 0xff, 0xff], list(Type::String)),
            (vec![0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0], set(Type::Number)),
            (vec![0xdc, 0xff, 0xff], list(Type::String)),
            (vec![0xdf, 0xff, 0xff, 0xff, 0xff], map(Type::String)),
            (vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'a'], obj(&[("a", Type::String)])),
            (vec![0xdb, 0xff, 0xff, 0xff, 0xff, b'a'], Type::String),
            (vec![0xc6, 0xff, 0xff, 0xff, 0xff], Type::String),
            (vec![0xc9, 0xff, 0xff, 0xff, 0xff, 0x00], Type::String),
            (vec![0xdd, 0xff, 0xff, 0xff, 0xff], Type::Tuple(vec![Type::String])),
            (vec![0xdd, 0xff, 0xff, 0xff, 0xff], Type::Dynamic),
        ];
        for (b, ty) in &cases {
            assert!(decode_msgpack(b, ty).is_err(), "{b:02x?}");
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn null_fill_in_is_budgeted() {
        // A type with many attributes, declared in the input itself, and many empty maps.
        let attrs: Vec<String> = (0..2000).map(|i| format!("\"a{i}\":\"string\"")).collect();
        let tj = format!("[\"list\",[\"object\",{{{}}}]]", attrs.join(","));
        let mut b = vec![0x92];
        put_bin(&mut b, tj.as_bytes()).unwrap();
        let n = 60_000usize;
        b.push(0xdd);
        b.extend_from_slice(&(n as u32).to_be_bytes());
        b.extend(std::iter::repeat_n(0x80, n));
        let e = decode_msgpack(&b, &Type::Dynamic).unwrap_err();
        assert!(e.0.contains("too large"), "{e}");
        // Ordinary inputs are nowhere near the budget.
        let mut small = vec![0x92];
        put_bin(&mut small, tj.as_bytes()).unwrap();
        small.extend_from_slice(&[0x92, 0x80, 0x80]);
        let v = decode_msgpack(&small, &Type::Dynamic).unwrap();
        assert_eq!(v.elements().len(), 2);
        assert_eq!(v.elements()[0].as_object().unwrap().len(), 2000);
    }

    #[test]
    fn type_json_round_trip() {
        let types = vec![
            (Type::Bool, r#""bool""#),
            (Type::Number, r#""number""#),
            (Type::String, r#""string""#),
            (Type::Dynamic, r#""dynamic""#),
            (list(Type::String), r#"["list","string"]"#),
            (set(Type::Number), r#"["set","number"]"#),
            (map(Type::Bool), r#"["map","bool"]"#),
            (
                obj(&[("b", Type::String), ("a", list(Type::Number))]),
                r#"["object",{"a":["list","number"],"b":"string"}]"#,
            ),
            (obj(&[]), r#"["object",{}]"#),
            (Type::Tuple(vec![Type::String, Type::Dynamic]), r#"["tuple",["string","dynamic"]]"#),
            (Type::Tuple(vec![]), r#"["tuple",[]]"#),
            (rich_type(), ""),
        ];
        for (t, text) in types {
            let bytes = t.to_json_bytes();
            if !text.is_empty() {
                assert_eq!(String::from_utf8(bytes.clone()).unwrap(), text);
            }
            assert_eq!(Type::from_json_bytes(&bytes).unwrap(), t);
            assert_eq!(Type::from_json(&t.to_json()).unwrap(), t);
        }
        // Optional-attribute lists are accepted and ignored.
        assert_eq!(
            Type::from_json_bytes(br#"["object",{"a":"string","b":"number"},["b"]]"#).unwrap(),
            obj(&[("a", Type::String), ("b", Type::Number)])
        );
        for bad in [
            r#""foo""#,
            r#"5"#,
            r#"null"#,
            r#"{}"#,
            r#"[]"#,
            r#"["list"]"#,
            r#"["map"]"#,
            r#"["list","string","x"]"#,
            r#"["object",[]]"#,
            r#"["object",{"a":"nope"}]"#,
            r#"["object",{},"x"]"#,
            r#"["tuple",{}]"#,
            r#"["tuple",["string",7]]"#,
            r#"["what","string"]"#,
            r#"[1,"string"]"#,
            r#"["list","string"] trailing"#,
            "",
        ] {
            assert!(Type::from_json_bytes(bad.as_bytes()).is_err(), "{bad} should be rejected");
        }
        let e = Type::from_json_bytes(br#"["object",{"a":["list","nope"]}]"#).unwrap_err();
        assert!(e.0.contains(".a"), "{e}");
    }

    #[test]
    fn json_values() {
        let ty = obj(&[("a", Type::String), ("b", Type::Number)]);
        let v = vobj(&[("a", s("x")), ("b", Value::Null)]);
        assert_eq!(encode_json(&v, &ty).unwrap(), br#"{"a":"x","b":null}"#);
        // Unknown keys are ignored, missing ones are null.
        assert_eq!(decode_json(br#"{"a":"x","old_attr":{"deep":[1,2]},"zz":null}"#, &ty).unwrap(), v);
        assert_eq!(decode_json(br#"{}"#, &ty).unwrap(), vobj(&[("a", Value::Null), ("b", Value::Null)]));
        // Numbers.
        let n = &Type::Number;
        assert_eq!(decode_json(b"1", n).unwrap(), int(1));
        assert_eq!(decode_json(b"-9223372036854775808", n).unwrap(), int(i64::MIN));
        assert_eq!(decode_json(b"1.5", n).unwrap(), float(1.5));
        assert_eq!(decode_json(b"2.0", n).unwrap(), int(2));
        assert_eq!(decode_json(b"1e100", n).unwrap(), float(1e100));
        assert_eq!(decode_json(b"18446744073709551615", n).unwrap(), big("18446744073709551615"));
        assert_eq!(decode_json(br#""42""#, n).unwrap(), int(42));
        assert_eq!(decode_json(br#""0.5""#, n).unwrap(), float(0.5));
        assert!(decode_json(br#""x""#, n).is_err());
        assert!(decode_json(b"true", n).is_err());
        assert_eq!(encode_json(&int(-5), n).unwrap(), b"-5");
        assert_eq!(encode_json(&float(1.5), n).unwrap(), b"1.5");
        assert_eq!(encode_json(&float(3.0), n).unwrap(), b"3");
        assert_eq!(encode_json(&big("+0012345678901234567890123.50"), n).unwrap(), b"12345678901234567890123.50");
        assert_eq!(encode_json(&big(".5e999"), n).unwrap(), b"0.5e999");
        assert!(encode_json(&float(f64::INFINITY), n).is_err());
        assert!(encode_json(&float(f64::NAN), n).is_err());
        assert!(encode_json(&big("1.2.3"), n).is_err());
        json_round_trip(&big("18446744073709551615"), n);
        json_round_trip(&float(0.1), n);
        json_round_trip(&float(-1.25e-200), n);
        // Tolerant primitives.
        assert_eq!(decode_json(br#""true""#, &Type::Bool).unwrap(), Value::Bool(true));
        assert_eq!(decode_json(br#""false""#, &Type::Bool).unwrap(), Value::Bool(false));
        assert!(decode_json(br#""yes""#, &Type::Bool).is_err());
        assert_eq!(decode_json(b"12", &Type::String).unwrap(), s("12"));
        assert_eq!(decode_json(b"true", &Type::String).unwrap(), s("true"));
        assert!(decode_json(b"[]", &Type::String).is_err());
        // Strings with escapes.
        json_round_trip(&s("quote \" backslash \\ newline \n tab \t nul \u{0} ✓"), &Type::String);
        // Unknowns cannot be JSON.
        assert!(encode_json(&Value::Unknown, &Type::String).is_err());
        let e = encode_json(&vobj(&[("a", Value::Unknown)]), &ty).unwrap_err();
        assert!(e.0.starts_with(".a: ") && e.0.contains("unknown"), "{e}");
        // Collections.
        json_round_trip(&Value::Set(vec![s("b"), s("a")]), &set(Type::String));
        json_round_trip(&Value::Tuple(vec![s("a"), int(1)]), &Type::Tuple(vec![Type::String, Type::Number]));
        assert!(decode_json(b"[1]", &Type::Tuple(vec![Type::Number, Type::Number])).is_err());
        json_round_trip(&vmap(&[("k", int(1)), ("j", Value::Null)]), &map(Type::Number));
        assert!(decode_json(b"{}", &list(Type::String)).is_err());
        assert!(decode_json(b"[]", &map(Type::String)).is_err());
        // Invalid JSON.
        assert!(decode_json(b"{", &ty).is_err());
        assert!(decode_json(b"{} x", &ty).is_err());
        assert!(decode_json(b"", &ty).is_err());
        assert_eq!(decode_json(b"1e400", n).unwrap(), big("1e400"));
        json_round_trip(&big("1e400"), n);
    }

    #[test]
    fn json_dynamic() {
        let dy = &Type::Dynamic;
        assert_eq!(encode_json(&s("x"), dy).unwrap(), br#"{"value":"x","type":"string"}"#);
        assert_eq!(decode_json(br#"{"value":"x","type":"string"}"#, dy).unwrap(), s("x"));
        assert_eq!(
            decode_json(br#"{"type":["list","number"],"value":[1,2]}"#, dy).unwrap(),
            Value::List(vec![int(1), int(2)])
        );
        assert_eq!(decode_json(b"null", dy).unwrap(), Value::Null);
        assert_eq!(encode_json(&Value::Null, dy).unwrap(), b"null");
        assert_eq!(decode_json(br#"{"value":null,"type":"string"}"#, dy).unwrap(), Value::Null);
        assert!(decode_json(br#"{"value":"x"}"#, dy).is_err());
        assert!(decode_json(br#""x""#, dy).is_err());
        assert!(decode_json(br#"{"value":"x","type":"bool"}"#, dy).is_err());
        let v = vobj(&[("a", Value::List(vec![vobj(&[("b", int(1))])])), ("c", Value::Null)]);
        assert_eq!(
            encode_json(&v, dy).unwrap(),
            br#"{"value":{"a":[{"b":1}],"c":null},"type":["object",{"a":["list",["object",{"b":"number"}]],"c":"dynamic"}]}"#
        );
        json_round_trip(&v, dy);
        let ty = obj(&[("d", Type::Dynamic)]);
        json_round_trip(&vobj(&[("d", vmap(&[("k", s("v"))]))]), &ty);
    }

    #[test]
    fn json_reader() {
        let st = &Type::String;
        let n = &Type::Number;
        // Escapes, including surrogate pairs.
        assert_eq!(decode_json(br#""a\"b\\c\/d\b\f\n\r\t""#, st).unwrap(), s("a\"b\\c/d\u{8}\u{c}\n\r\t"));
        assert_eq!(decode_json(br#""\u00e9\u20AC\ud83d\ude00""#, st).unwrap(), s("é€\u{1F600}"));
        assert_eq!(decode_json("\"ünï ✓\"".as_bytes(), st).unwrap(), s("ünï ✓"));
        for bad in [
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""\x""#,
            "\"a\u{1}b\"",
            "\"tab\tinside\"",
            r#""unterminated"#,
            r#""ends in escape\"#,
        ] {
            assert!(decode_json(bad.as_bytes(), st).is_err(), "{bad:?} should be rejected");
        }
        assert!(decode_json(&[b'"', 0xff, b'"'], st).is_err());
        // Number grammar: strict JSON, text kept exactly.
        for (text, v) in [
            ("0", int(0)),
            ("-0", int(0)),
            ("-12", int(-12)),
            ("0.5", float(0.5)),
            ("1E2", int(100)),
            ("1e-2", float(0.01)),
            ("-1.25e-200", float(-1.25e-200)),
            ("1e400", big("1e400")),
            ("123456789012345678901234567890", big("123456789012345678901234567890")),
            ("0.10000000000000000000001", big("0.10000000000000000000001")),
        ] {
            assert_eq!(decode_json(text.as_bytes(), n).unwrap(), v, "{text}");
        }
        assert_eq!(decode_json(b"1.50", st).unwrap(), s("1.50"));
        assert_eq!(decode_json(b"1e400", st).unwrap(), s("1e400"));
        for bad in ["01", "-", "+1", "1.", ".5", "1e", "1e+", "--1", "0x1", "NaN", "Infinity", "1.5.2"] {
            assert!(decode_json(bad.as_bytes(), n).is_err(), "{bad:?} should be rejected");
        }
        // Structure.
        let l = &list(Type::Number);
        assert_eq!(decode_json(b" [ 1 , 2 ]\n", l).unwrap(), Value::List(vec![int(1), int(2)]));
        assert_eq!(decode_json(b"[]", l).unwrap(), Value::List(vec![]));
        for bad in [
            "[1,]",
            "[,1]",
            "[1 2]",
            "[",
            "]",
            "[1]]",
            "{\"a\":1,}",
            "{a:1}",
            "{\"a\" 1}",
            "{\"a\":}",
            "nul",
            "tru",
            "falsey",
            "null null",
        ] {
            assert!(decode_json(bad.as_bytes(), &Type::Dynamic).is_err(), "{bad:?} should be rejected");
            assert!(decode_json(bad.as_bytes(), l).is_err(), "{bad:?} should be rejected");
        }
        // A repeated key: the last one wins.
        let ty = obj(&[("a", Type::Number)]);
        assert_eq!(decode_json(br#"{"a":1,"a":2}"#, &ty).unwrap(), vobj(&[("a", int(2))]));
        // Ignored attributes may nest deeper than values of the type could.
        let deep_ignored = format!("{{\"a\":1,\"old\":{}0{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(decode_json(deep_ignored.as_bytes(), &ty).unwrap(), vobj(&[("a", int(1))]));
        // A type inside a dynamic value must not contain numbers.
        assert!(decode_json(br#"{"value":1,"type":["tuple",[1]]}"#, &Type::Dynamic).is_err());
    }

    #[test]
    fn codec_error_display() {
        let e = CodecError("boom".into());
        assert_eq!(e.to_string(), "boom");
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), "boom");
    }

    /// Deterministic xorshift generator for the fuzz-style tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
        let mut b = base.to_vec();
        for _ in 0..=rng.below(4) {
            match rng.below(5) {
                0 if !b.is_empty() => {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
                1 if !b.is_empty() => {
                    let i = rng.below(b.len());
                    b[i] ^= 1 << rng.below(8);
                }
                2 => {
                    let i = rng.below(b.len() + 1);
                    b.insert(i, rng.next() as u8);
                }
                3 if !b.is_empty() => {
                    let i = rng.below(b.len());
                    b.remove(i);
                }
                _ => {
                    let i = rng.below(b.len() + 1);
                    b.truncate(i);
                }
            }
        }
        b
    }

    #[test]
    fn mutated_msgpack_never_panics_and_decoded_values_re_encode() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let ty = rich_type();
        let static_ty = obj(&[
            ("s", Type::String),
            ("n", list(Type::Number)),
            ("m", map(set(Type::Bool))),
            ("t", Type::Tuple(vec![Type::String, obj(&[("x", Type::Number)])])),
        ]);
        let static_v = vobj(&[
            ("s", s("str")),
            ("n", Value::List(vec![int(1), int(-200), float(0.5), int(1 << 40), big("1e400")])),
            ("m", vmap(&[("k", Value::Set(vec![Value::Bool(true), Value::Unknown]))])),
            ("t", Value::Tuple(vec![s("q"), vobj(&[("x", int(9))])])),
        ]);
        let seeds = [
            encode_msgpack(&rich_value(), &ty).unwrap(),
            encode_msgpack(&rich_value(), &Type::Dynamic).unwrap(),
            encode_msgpack(&static_v, &static_ty).unwrap(),
        ];
        let types = [ty, Type::Dynamic, static_ty.clone(), Type::Number, list(Type::String)];
        for _ in 0..30_000 {
            let seed = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, seed);
            for t in &types {
                let _ = decode_msgpack(&input, t);
            }
            // Without dynamic types, anything that decodes re-encodes to the same value.
            if let Ok(v) = decode_msgpack(&input, &static_ty) {
                let again = encode_msgpack(&v, &static_ty).expect("re-encode");
                assert_eq!(decode_msgpack(&again, &static_ty).unwrap(), v);
            }
        }
        // Pure noise.
        for _ in 0..20_000 {
            let len = rng.below(40);
            let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            for t in &types {
                let _ = decode_msgpack(&input, t);
            }
        }
    }

    #[test]
    fn mutated_json_never_panics() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let ty = rich_type();
        let seeds = [
            encode_json(&rich_value(), &ty).unwrap(),
            encode_json(&rich_value(), &Type::Dynamic).unwrap(),
            ty.to_json_bytes(),
        ];
        for _ in 0..20_000 {
            let seed = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, seed);
            let _ = decode_json(&input, &ty);
            let _ = decode_json(&input, &Type::Dynamic);
            let _ = Type::from_json_bytes(&input);
        }
    }
}
