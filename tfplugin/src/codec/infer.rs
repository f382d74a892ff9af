//! The type a value is written with under `dynamic`: a [`Value`] carries no type tag,
//! so it is inferred from the value (rules in the codec documentation). Tested through
//! the dynamic encodings (`msgpack/mod.rs`, `json/mod.rs`).

use std::collections::BTreeMap;

use super::{AtPath, CodecError, MAX_DEPTH, R, Seg, fail, too_deep};
use crate::value::{Type, Value};

/// The type a value is given when it is encoded under [`Type::Dynamic`] (see the module
/// documentation for the rules). Fails when the members of a list, set or map have
/// different types.
pub fn infer_type(value: &Value) -> Result<Type, CodecError> {
    infer(value, 0).map_err(Into::into)
}

pub(super) fn infer(v: &Value, depth: usize) -> R<Type> {
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
