//! cty JSON values (`DynamicValue.json`, `RawState.json`): `encode.rs` writes them,
//! `reader.rs` parses JSON keeping each number's text, `decode.rs` reads the parsed
//! document against a type, tolerantly.

mod decode;
mod encode;
mod reader;

pub use decode::decode_json;
pub use encode::encode_json;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_support::{big, float, int, json_round_trip, list, map, obj, s, set, vmap, vobj};
    use crate::value::{Type, Value};

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
}
