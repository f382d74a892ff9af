//! Writes cty JSON: numbers exactly (a whole float in i64 range as an integer, a big
//! number as its normalised text), `dynamic` as `{"value": …, "type": …}`.

use crate::codec::infer::infer;
use crate::codec::number::{TWO_POW_63, big_text};
use crate::codec::{
    AtPath, CodecError, MAX_DEPTH, R, Seg, check_object_keys, entries, fail, mismatch, seq_elements, too_deep,
};
use crate::value::{Number, Type, Value};

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
