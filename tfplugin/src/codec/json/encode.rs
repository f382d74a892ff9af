//! Writes cty JSON: numbers exactly (a whole float in i64 range as an integer, a big
//! number as its normalised text), `dynamic` as `{"value": …, "type": …}`.

use crate::codec::encode::{Writer, encode};
use crate::codec::number::{TWO_POW_63, big_text};
use crate::codec::{CodecError, R, fail};
use crate::value::{Number, Type, Value};

/// Encodes `value` as cty JSON of type `ty`. Unknown values are an error.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Json(Vec::new());
    encode(&mut out, value, ty, 0)?;
    Ok(out.0)
}

/// The cty JSON [`Writer`]: sequences are arrays, mappings are objects.
struct Json(Vec<u8>);

impl Writer for Json {
    fn null(&mut self) -> R<()> {
        self.0.extend_from_slice(b"null");
        Ok(())
    }

    fn unknown(&mut self) -> R<()> {
        fail("unknown values cannot be encoded as JSON")
    }

    fn bool(&mut self, b: bool) -> R<()> {
        self.0.extend_from_slice(if b { b"true" } else { b"false" });
        Ok(())
    }

    fn number(&mut self, n: &Number) -> R<()> {
        js_number(&mut self.0, n)
    }

    fn string(&mut self, s: &str) -> R<()> {
        js_string(&mut self.0, s)
    }

    fn start_sequence(&mut self, _len: usize) -> R<()> {
        self.0.push(b'[');
        Ok(())
    }

    fn element(&mut self, index: usize) {
        if index > 0 {
            self.0.push(b',');
        }
    }

    fn end_sequence(&mut self) {
        self.0.push(b']');
    }

    fn start_mapping(&mut self, _len: usize) -> R<()> {
        self.0.push(b'{');
        Ok(())
    }

    fn key(&mut self, index: usize, key: &str) -> R<()> {
        if index > 0 {
            self.0.push(b',');
        }
        js_string(&mut self.0, key)?;
        self.0.push(b':');
        Ok(())
    }

    fn end_mapping(&mut self) {
        self.0.push(b'}');
    }

    /// `{"value": value, "type": type JSON}`.
    fn dynamic(&mut self, ty: &Type, value: impl FnOnce(&mut Self) -> R<()>) -> R<()> {
        self.0.extend_from_slice(b"{\"value\":");
        value(self)?;
        self.0.extend_from_slice(b",\"type\":");
        self.0.extend_from_slice(&ty.to_json_bytes());
        self.0.push(b'}');
        Ok(())
    }
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
