//! The walk both encoders share: each value is checked against its type, in the
//! same order and with the same errors, and the encoding's [`Writer`] says how each
//! part is written (`msgpack/encode.rs`, `json/encode.rs`).

use super::infer::infer;
use std::collections::BTreeMap;

use super::{AtPath, MAX_DEPTH, R, Seg, fail, too_deep, type_kind};
use crate::value::{Number, Type, Value};

/// How one encoding writes the parts of a value. Sequences (list, set, tuple) and
/// mappings (map, object) are written as a start, then each element or key before
/// its value, then an end.
pub(super) trait Writer {
    fn null(&mut self) -> R<()>;
    fn unknown(&mut self) -> R<()>;
    fn bool(&mut self, b: bool) -> R<()>;
    fn number(&mut self, n: &Number) -> R<()>;
    fn string(&mut self, s: &str) -> R<()>;
    fn start_sequence(&mut self, len: usize) -> R<()>;
    /// Before the value of element `index`.
    fn element(&mut self, index: usize);
    fn end_sequence(&mut self);
    fn start_mapping(&mut self, len: usize) -> R<()>;
    /// The key of entry `index`, before its value.
    fn key(&mut self, index: usize, key: &str) -> R<()>;
    fn end_mapping(&mut self);
    /// A value under `dynamic`, with the type inferred for it; `value` writes the value.
    fn dynamic(&mut self, ty: &Type, value: impl FnOnce(&mut Self) -> R<()>) -> R<()>;
}

/// Writes `v` as a value of type `ty`, `depth` levels down.
pub(super) fn encode<W: Writer>(w: &mut W, v: &Value, ty: &Type, depth: usize) -> R<()> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    match v {
        Value::Null => return w.null(),
        Value::Unknown => return w.unknown(),
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let t = infer(v, depth)?;
            w.dynamic(&t, |w| encode(w, v, &t, depth + 1))
        }
        Type::Bool => match v {
            Value::Bool(b) => w.bool(*b),
            _ => mismatch(ty, v),
        },
        Type::Number => match v {
            Value::Number(n) => w.number(n),
            _ => mismatch(ty, v),
        },
        Type::String => match v {
            Value::String(s) => w.string(s),
            _ => mismatch(ty, v),
        },
        Type::List(et) | Type::Set(et) => {
            let Some(es) = seq_elements(v) else {
                return mismatch(ty, v);
            };
            w.start_sequence(es.len())?;
            for (i, e) in es.iter().enumerate() {
                w.element(i);
                encode(w, e, et, depth + 1).at(|| Seg::Index(i))?;
            }
            w.end_sequence();
            Ok(())
        }
        Type::Tuple(ts) => {
            let Some(es) = seq_elements(v) else {
                return mismatch(ty, v);
            };
            if es.len() != ts.len() {
                return fail(format!("tuple type has {} elements, value has {}", ts.len(), es.len()));
            }
            w.start_sequence(es.len())?;
            for (i, (e, et)) in es.iter().zip(ts).enumerate() {
                w.element(i);
                encode(w, e, et, depth + 1).at(|| Seg::Index(i))?;
            }
            w.end_sequence();
            Ok(())
        }
        Type::Map(et) => {
            let Some(m) = entries(v) else { return mismatch(ty, v) };
            w.start_mapping(m.len())?;
            for (i, (k, e)) in m.iter().enumerate() {
                w.key(i, k)?;
                encode(w, e, et, depth + 1).at(|| Seg::Key(k.clone()))?;
            }
            w.end_mapping();
            Ok(())
        }
        Type::Object(attrs) => {
            let Some(m) = entries(v) else { return mismatch(ty, v) };
            check_object_keys(m, attrs)?;
            w.start_mapping(attrs.len())?;
            for (i, (name, at)) in attrs.iter().enumerate() {
                w.key(i, name)?;
                // Every attribute is written; one absent from the value as null.
                let e = m.get(name).unwrap_or(&Value::Null);
                encode(w, e, at, depth + 1).at(|| Seg::Attr(name.clone()))?;
            }
            w.end_mapping();
            Ok(())
        }
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
