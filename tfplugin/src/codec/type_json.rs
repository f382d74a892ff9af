//! Terraform's JSON type syntax (`"string"`, `["list","number"]`, `["object",{…}]`):
//! the bytes of `Schema.Attribute.type` and the type header of a dynamic value.

use std::collections::BTreeMap;

use super::{AtPath, CodecError, MAX_DEPTH, R, Seg, fail};
use crate::value::Type;

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

pub(super) fn type_from_json_bytes(bytes: &[u8], depth: usize) -> R<Type> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => type_from_json(&v, depth),
        Err(e) => fail(format!("invalid type JSON: {e}")),
    }
}

pub(super) fn type_from_json(v: &serde_json::Value, depth: usize) -> R<Type> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_support::{list, map, obj, rich_type, set};

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
}
