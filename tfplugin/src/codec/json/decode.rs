//! Reads cty JSON against a type, tolerantly, as stored state may come from an older
//! schema: unknown attributes are dropped, absent ones are null, and bools, numbers and
//! strings may be given as one another's text.

use std::collections::BTreeMap;

use super::reader::{Json, json_kind, json_to_serde, parse_json};
use crate::codec::number::parse_number_text;
use crate::codec::type_json::type_from_json;
use crate::codec::{AtPath, Budget, CodecError, MAX_DEPTH, R, Seg, fail, fill_absent, too_deep, type_kind};
use crate::value::{Type, Value};

/// Decodes cty JSON of type `ty` (tolerantly; see the module documentation).
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let doc = parse_json(bytes)?;
    let mut budget = Budget::for_input(bytes.len());
    js_decode(&doc, ty, 0, &mut budget).map_err(Into::into)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_json;
    use crate::codec::test_support::{Rng, mutate, rich_type, rich_value};

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
