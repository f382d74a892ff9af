//! Writes cty msgpack: values of a type as the smallest msgpack forms, objects with
//! every attribute in sorted order, `dynamic` as `[type JSON, value]`.

use super::{MP_NIL, MP_UNKNOWN};
use crate::codec::encode::{Writer, encode};
use crate::codec::number::{TWO_POW_63, big_text};
use crate::codec::{CodecError, R, fail};
use crate::value::{Number, Type, Value};

fn put_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        let u = i as u64;
        if u <= 0x7f {
            out.push(u as u8);
        } else if u <= 0xff {
            out.push(0xcc);
            out.push(u as u8);
        } else if u <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(u as u16).to_be_bytes());
        } else if u <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(u as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        }
    } else if i >= -32 {
        out.push(i as i8 as u8);
    } else if i >= i64::from(i8::MIN) {
        out.push(0xd0);
        out.push(i as i8 as u8);
    } else if i >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

/// Writes a length with the fix/8/16/32-bit marker family given; `fix` is
/// `(first marker, max)` for the fix form, `m8` is `None` where no 8-bit form exists.
fn put_len(
    out: &mut Vec<u8>,
    n: usize,
    fix: Option<(u8, usize)>,
    m8: Option<u8>,
    m16: u8,
    m32: u8,
    what: &str,
) -> R<()> {
    match fix {
        Some((marker, max)) if n <= max => out.push(marker | n as u8),
        _ => match m8 {
            Some(m) if n <= 0xff => {
                out.push(m);
                out.push(n as u8);
            }
            _ if n <= 0xffff => {
                out.push(m16);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => match u32::try_from(n) {
                Ok(n) => {
                    out.push(m32);
                    out.extend_from_slice(&n.to_be_bytes());
                }
                Err(_) => return fail(format!("{what} too long for msgpack ({n})")),
            },
        },
    }
    Ok(())
}

pub(super) fn put_str(out: &mut Vec<u8>, s: &str) -> R<()> {
    put_len(out, s.len(), Some((0xa0, 31)), Some(0xd9), 0xda, 0xdb, "string")?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

pub(super) fn put_bin(out: &mut Vec<u8>, b: &[u8]) -> R<()> {
    put_len(out, b.len(), None, Some(0xc4), 0xc5, 0xc6, "binary")?;
    out.extend_from_slice(b);
    Ok(())
}

fn put_array_len(out: &mut Vec<u8>, n: usize) -> R<()> {
    put_len(out, n, Some((0x90, 15)), None, 0xdc, 0xdd, "array")
}

fn put_map_len(out: &mut Vec<u8>, n: usize) -> R<()> {
    put_len(out, n, Some((0x80, 15)), None, 0xde, 0xdf, "map")
}

fn put_number(out: &mut Vec<u8>, n: &Number) -> R<()> {
    match n {
        Number::Int(i) => put_int(out, *i),
        Number::Float(f) => {
            if f.is_nan() {
                return fail("NaN cannot be encoded as a number");
            }
            if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(f) {
                put_int(out, *f as i64);
            } else {
                out.push(0xcb);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
        }
        Number::Big(s) => put_str(out, &big_text(s)?)?,
    }
    Ok(())
}

/// Encodes `value` as cty msgpack of type `ty` (the bytes of a `DynamicValue.msgpack`).
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Msgpack(Vec::new());
    encode(&mut out, value, ty, 0)?;
    Ok(out.0)
}

/// The msgpack [`Writer`]: sequences are arrays, mappings are maps with string keys.
struct Msgpack(Vec<u8>);

impl Writer for Msgpack {
    fn null(&mut self) -> R<()> {
        self.0.push(MP_NIL);
        Ok(())
    }

    fn unknown(&mut self) -> R<()> {
        self.0.extend_from_slice(&MP_UNKNOWN);
        Ok(())
    }

    fn bool(&mut self, b: bool) -> R<()> {
        self.0.push(if b { 0xc3 } else { 0xc2 });
        Ok(())
    }

    fn number(&mut self, n: &Number) -> R<()> {
        put_number(&mut self.0, n)
    }

    fn string(&mut self, s: &str) -> R<()> {
        put_str(&mut self.0, s)
    }

    fn start_sequence(&mut self, len: usize) -> R<()> {
        put_array_len(&mut self.0, len)
    }

    fn element(&mut self, _index: usize) {}

    fn end_sequence(&mut self) {}

    fn start_mapping(&mut self, len: usize) -> R<()> {
        put_map_len(&mut self.0, len)
    }

    fn key(&mut self, _index: usize, key: &str) -> R<()> {
        put_str(&mut self.0, key)
    }

    fn end_mapping(&mut self) {}

    /// `[type JSON as bin, value]`.
    fn dynamic(&mut self, ty: &Type, value: impl FnOnce(&mut Self) -> R<()>) -> R<()> {
        put_array_len(&mut self.0, 2)?;
        put_bin(&mut self.0, &ty.to_json_bytes())?;
        value(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_msgpack;
    use crate::codec::test_support::{big, float, int, list, map, mp_round_trip, obj, s, vmap, vobj};
    use std::collections::BTreeMap;

    #[test]
    fn object_bytes_match_hand_written_encoding() {
        let ty = obj(&[("a", Type::String), ("b", Type::Number)]);
        let v = vobj(&[("a", s("x")), ("b", Value::Null)]);
        let expected = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0];
        assert_eq!(encode_msgpack(&v, &ty).unwrap(), expected);
        assert_eq!(decode_msgpack(&expected, &ty).unwrap(), v);
        // An attribute absent from the value is written as nil all the same.
        assert_eq!(encode_msgpack(&vobj(&[("a", s("x"))]), &ty).unwrap(), expected);
    }

    #[test]
    fn primitive_bytes() {
        assert_eq!(encode_msgpack(&Value::Null, &Type::String).unwrap(), [0xc0]);
        assert_eq!(encode_msgpack(&Value::Unknown, &Type::String).unwrap(), [0xc7, 0x00, 0x00]);
        assert_eq!(encode_msgpack(&Value::Bool(true), &Type::Bool).unwrap(), [0xc3]);
        assert_eq!(encode_msgpack(&Value::Bool(false), &Type::Bool).unwrap(), [0xc2]);
        assert_eq!(encode_msgpack(&s(""), &Type::String).unwrap(), [0xa0]);
        assert_eq!(encode_msgpack(&s("hi"), &Type::String).unwrap(), [0xa2, b'h', b'i']);
        assert_eq!(encode_msgpack(&Value::List(vec![]), &list(Type::String)).unwrap(), [0x90]);
        assert_eq!(encode_msgpack(&Value::Map(BTreeMap::new()), &map(Type::String)).unwrap(), [0x80]);
        assert_eq!(
            encode_msgpack(&Value::List(vec![int(1), Value::Null]), &list(Type::Number)).unwrap(),
            [0x92, 0x01, 0xc0]
        );
        // Map keys are written sorted.
        assert_eq!(
            encode_msgpack(&vmap(&[("b", int(2)), ("a", int(1))]), &map(Type::Number)).unwrap(),
            [0x82, 0xa1, b'a', 0x01, 0xa1, b'b', 0x02]
        );
    }

    #[test]
    fn every_int_width() {
        let cases: Vec<(i64, Vec<u8>)> = vec![
            (0, vec![0x00]),
            (1, vec![0x01]),
            (127, vec![0x7f]),
            (128, vec![0xcc, 0x80]),
            (255, vec![0xcc, 0xff]),
            (256, vec![0xcd, 0x01, 0x00]),
            (65535, vec![0xcd, 0xff, 0xff]),
            (65536, vec![0xce, 0x00, 0x01, 0x00, 0x00]),
            (u32::MAX as i64, vec![0xce, 0xff, 0xff, 0xff, 0xff]),
            (1 << 32, vec![0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
            (i64::MAX, vec![0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            (-1, vec![0xff]),
            (-32, vec![0xe0]),
            (-33, vec![0xd0, 0xdf]),
            (-128, vec![0xd0, 0x80]),
            (-129, vec![0xd1, 0xff, 0x7f]),
            (-32768, vec![0xd1, 0x80, 0x00]),
            (-32769, vec![0xd2, 0xff, 0xff, 0x7f, 0xff]),
            (i32::MIN as i64, vec![0xd2, 0x80, 0x00, 0x00, 0x00]),
            (i32::MIN as i64 - 1, vec![0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]),
            (i64::MIN, vec![0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        ];
        for (i, bytes) in cases {
            assert_eq!(encode_msgpack(&int(i), &Type::Number).unwrap(), bytes, "encoding {i}");
            assert_eq!(decode_msgpack(&bytes, &Type::Number).unwrap(), int(i), "decoding {i}");
        }
        // Non-minimal encodings decode too.
        let n = &Type::Number;
        assert_eq!(decode_msgpack(&[0xcc, 0x05], n).unwrap(), int(5));
        assert_eq!(decode_msgpack(&[0xcd, 0x00, 0x05], n).unwrap(), int(5));
        assert_eq!(decode_msgpack(&[0xd0, 0x05], n).unwrap(), int(5));
        assert_eq!(decode_msgpack(&[0xd1, 0xff, 0xff], n).unwrap(), int(-1));
        assert_eq!(decode_msgpack(&[0xd2, 0, 0, 0, 7], n).unwrap(), int(7));
        assert_eq!(decode_msgpack(&[0xd3, 0, 0, 0, 0, 0, 0, 0, 9], n).unwrap(), int(9));
        assert_eq!(decode_msgpack(&[0xcf, 0, 0, 0, 0, 0, 0, 0, 9], n).unwrap(), int(9));
        // uint64 beyond i64 becomes a big number, which re-encodes as its decimal string.
        let umax = decode_msgpack(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], n).unwrap();
        assert_eq!(umax, big(&u64::MAX.to_string()));
        let enc = mp_round_trip(&umax, n);
        assert_eq!(enc[0], 0xb4); // fixstr of 20 digits
        assert_eq!(&enc[1..], u64::MAX.to_string().as_bytes());
    }

    #[test]
    fn floats() {
        let n = &Type::Number;
        let mut f15 = vec![0xcb];
        f15.extend_from_slice(&1.5f64.to_bits().to_be_bytes());
        assert_eq!(encode_msgpack(&float(1.5), n).unwrap(), f15);
        assert_eq!(decode_msgpack(&f15, n).unwrap(), float(1.5));
        // Whole floats are written as, and read back as, integers.
        assert_eq!(encode_msgpack(&float(2.0), n).unwrap(), [0x02]);
        assert_eq!(encode_msgpack(&float(-300.0), n).unwrap(), [0xd1, 0xfe, 0xd4]);
        let mut f2 = vec![0xcb];
        f2.extend_from_slice(&2.0f64.to_bits().to_be_bytes());
        assert_eq!(decode_msgpack(&f2, n).unwrap(), int(2));
        // float32
        let mut f32b = vec![0xca];
        f32b.extend_from_slice(&1.5f32.to_bits().to_be_bytes());
        assert_eq!(decode_msgpack(&f32b, n).unwrap(), float(1.5));
        let mut f32w = vec![0xca];
        f32w.extend_from_slice(&8.0f32.to_bits().to_be_bytes());
        assert_eq!(decode_msgpack(&f32w, n).unwrap(), int(8));
        // Infinity is a cty number; NaN is not.
        mp_round_trip(&float(f64::INFINITY), n);
        mp_round_trip(&float(f64::NEG_INFINITY), n);
        mp_round_trip(&float(1e300), n);
        mp_round_trip(&float(-0.1), n);
        let mut nan = vec![0xcb];
        nan.extend_from_slice(&f64::NAN.to_bits().to_be_bytes());
        assert!(decode_msgpack(&nan, n).is_err());
        assert!(encode_msgpack(&float(f64::NAN), n).is_err());
        // A whole float outside i64 stays a float.
        mp_round_trip(&float(1e19), n);
    }

    #[test]
    fn strings_of_every_length_class_and_bin() {
        let st = &Type::String;
        for (len, header) in [
            (0usize, vec![0xa0]),
            (31, vec![0xbf]),
            (32, vec![0xd9, 32]),
            (255, vec![0xd9, 0xff]),
            (256, vec![0xda, 0x01, 0x00]),
            (65535, vec![0xda, 0xff, 0xff]),
            (65536, vec![0xdb, 0x00, 0x01, 0x00, 0x00]),
        ] {
            let text = "x".repeat(len);
            let enc = mp_round_trip(&s(&text), st);
            assert_eq!(&enc[..header.len()], header.as_slice(), "header for length {len}");
            assert_eq!(enc.len(), header.len() + len);
        }
        // bin8/16/32 are read as UTF-8 strings.
        assert_eq!(decode_msgpack(&[0xc4, 2, b'o', b'k'], st).unwrap(), s("ok"));
        assert_eq!(decode_msgpack(&[0xc5, 0, 2, b'o', b'k'], st).unwrap(), s("ok"));
        assert_eq!(decode_msgpack(&[0xc6, 0, 0, 0, 2, b'o', b'k'], st).unwrap(), s("ok"));
        assert_eq!(decode_msgpack(&[0xd9, 3, 0xe2, 0x82, 0xac], st).unwrap(), s("€"));
        assert!(decode_msgpack(&[0xa2, 0xff, 0xfe], st).is_err());
        assert!(decode_msgpack(&[0xc4, 1, 0x80], st).is_err());
        // Strings are not numbers or bools.
        assert!(decode_msgpack(&[0x01], st).is_err());
        assert!(decode_msgpack(&[0xc3], st).is_err());
        mp_round_trip(&s("ünïcödé ✓ \u{1F600}"), st);
    }
}
