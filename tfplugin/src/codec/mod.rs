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
//!
//! # Layout
//!
//! * `mod.rs`: [`CodecError`], [`MAX_DEPTH`], the path-carrying internal error and the
//!   helpers the parts share (type kind names, the depth error, the null fill-in budget).
//! * `number.rs`: decimal number text: [`parse_number`] and the float/integer rules.
//! * `encode.rs`: the type-directed walk both encoders share; each encoding supplies
//!   its `Writer`.
//! * `msgpack/`: the msgpack encoding (`encode.rs`, `decode.rs`).
//! * `type_json.rs`: the JSON type syntax ([`Type::to_json`], [`Type::from_json`], …).
//! * `infer.rs`: [`infer_type`], the type of a value written as `dynamic`.
//! * `json/`: cty JSON values: `encode.rs`, the strict JSON `reader.rs`, `decode.rs`.
//!
//! Tests sit beside the code they test; the ones crossing parts are here, and the
//! values and types they share are in `test_support.rs`.
//!
//! [`Number::Int`]: crate::value::Number::Int
//! [`Number::Float`]: crate::value::Number::Float
//! [`Number::Big`]: crate::value::Number::Big

mod encode;
mod infer;
mod json;
mod msgpack;
mod number;
#[cfg(test)]
mod test_support;
mod type_json;

pub use infer::infer_type;
pub use json::{decode_json, encode_json};
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use number::parse_number;

use std::collections::BTreeMap;
use std::fmt;

use crate::value::{Type, Value};

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

fn too_deep<T>() -> R<T> {
    fail(format!("value nested deeper than {MAX_DEPTH} levels"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_support::{
        err_msg, int, json_round_trip, list, map, mp_round_trip, obj, rich_type, rich_value, s, set, vmap, vobj,
    };

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
    fn codec_error_display() {
        let e = CodecError("boom".into());
        assert_eq!(e.to_string(), "boom");
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), "boom");
    }
}
