//! Values and types the codec tests of several parts share: constructors, round-trip
//! checks, a value of every kind, and a deterministic mutator for fuzz-style tests.

use crate::codec::{CodecError, decode_json, decode_msgpack, encode_json, encode_msgpack};
use crate::value::{Number, Type, Value};

pub(super) fn obj(pairs: &[(&str, Type)]) -> Type {
    Type::Object(pairs.iter().map(|(k, t)| (k.to_string(), t.clone())).collect())
}
pub(super) fn list(t: Type) -> Type {
    Type::List(Box::new(t))
}
pub(super) fn set(t: Type) -> Type {
    Type::Set(Box::new(t))
}
pub(super) fn map(t: Type) -> Type {
    Type::Map(Box::new(t))
}
pub(super) fn vmap(pairs: &[(&str, Value)]) -> Value {
    Value::Map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}
pub(super) fn vobj(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
}
pub(super) fn int(i: i64) -> Value {
    Value::Number(Number::Int(i))
}
pub(super) fn float(f: f64) -> Value {
    Value::Number(Number::Float(f))
}
pub(super) fn big(s: &str) -> Value {
    Value::Number(Number::Big(s.to_string()))
}
pub(super) fn s(x: &str) -> Value {
    Value::string(x)
}

pub(super) fn mp_round_trip(v: &Value, ty: &Type) -> Vec<u8> {
    let bytes = encode_msgpack(v, ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}"));
    let back = decode_msgpack(&bytes, ty).unwrap_or_else(|e| panic!("decode {bytes:02x?}: {e}"));
    assert_eq!(&back, v, "msgpack round trip of {v:?} as {ty:?}");
    bytes
}

pub(super) fn json_round_trip(v: &Value, ty: &Type) -> Vec<u8> {
    let bytes = encode_json(v, ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}"));
    let back = decode_json(&bytes, ty).unwrap_or_else(|e| panic!("decode {}: {e}", String::from_utf8_lossy(&bytes)));
    assert_eq!(&back, v, "JSON round trip via {}", String::from_utf8_lossy(&bytes));
    bytes
}

pub(super) fn err_msg(r: Result<Value, CodecError>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.0,
    }
}

/// A type exercising every kind, and a value of it.
pub(super) fn rich_type() -> Type {
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

pub(super) fn rich_value() -> Value {
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
            vobj(&[("inner", vobj(&[("deep", vmap(&[("k", Value::List(vec![int(1), int(70000), float(0.25)]))]))]))]),
        ),
        ("extra", vobj(&[("port", int(8080)), ("hosts", Value::List(vec![s("h1")]))])),
    ])
}

/// Deterministic xorshift generator for the fuzz-style tests.
pub(super) struct Rng(pub(super) u64);
impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

pub(super) fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
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
