//! The cty msgpack encoding (`DynamicValue.msgpack`), as the codec documentation
//! describes it: `encode.rs` writes it, `decode.rs` reads it.

mod decode;
mod encode;

pub use decode::decode_msgpack;
pub use encode::encode_msgpack;

const MP_NIL: u8 = 0xc0;
/// ext8, length 0, extension type 0: cty's unknown value.
const MP_UNKNOWN: [u8; 3] = [0xc7, 0x00, 0x00];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::infer_type;
    use crate::codec::test_support::{int, list, map, mp_round_trip, obj, s, set, vmap, vobj};
    use crate::value::{Type, Value};

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
}
