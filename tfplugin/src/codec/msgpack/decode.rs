//! Reads cty msgpack against the type it should have: every integer width and float
//! form, str or bin strings, unknowns (extension 0, refined 12), with lengths checked
//! against the input before anything is allocated.

use std::collections::BTreeMap;

use super::MP_NIL;
use crate::codec::number::{number_from_binary_float, parse_number_text};
use crate::codec::type_json::type_from_json_bytes;
use crate::codec::{AtPath, Budget, CodecError, MAX_DEPTH, R, Seg, fail, fill_absent, too_deep, type_kind};
use crate::value::{Number, Type, Value};

fn marker_name(m: u8) -> &'static str {
    match m {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "integer",
        0x80..=0x8f | 0xde | 0xdf => "map",
        0x90..=0x9f | 0xdc | 0xdd => "array",
        0xa0..=0xbf | 0xd9..=0xdb => "string",
        0xc0 => "nil",
        0xc1 => "invalid byte 0xc1",
        0xc2 | 0xc3 => "bool",
        0xc4..=0xc6 => "binary",
        0xc7..=0xc9 | 0xd4..=0xd8 => "extension",
        0xca | 0xcb => "float",
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    budget: Budget,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn eof<T>(&self) -> R<T> {
        fail(format!("unexpected end of msgpack input at byte {}", self.pos))
    }

    fn peek(&self) -> R<u8> {
        match self.buf.get(self.pos) {
            Some(b) => Ok(*b),
            None => self.eof(),
        }
    }

    fn byte(&mut self) -> R<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let Some(end) = self.pos.checked_add(n) else {
            return self.eof();
        };
        let Some(s) = self.buf.get(self.pos..end) else {
            return self.eof();
        };
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        let s = self.take(N)?;
        match s.try_into() {
            Ok(a) => Ok(a),
            Err(_) => self.eof(),
        }
    }

    fn u16(&mut self) -> R<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> R<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> R<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// If the next item is an extension, consumes it (payload skipped) and returns
    /// its extension type.
    fn ext(&mut self) -> R<Option<i8>> {
        let m = self.peek()?;
        let fixed = match m {
            0xd4 => Some(1),
            0xd5 => Some(2),
            0xd6 => Some(4),
            0xd7 => Some(8),
            0xd8 => Some(16),
            0xc7..=0xc9 => None,
            _ => return Ok(None),
        };
        self.pos += 1;
        let len = match (fixed, m) {
            (Some(n), _) => n,
            (None, 0xc7) => usize::from(self.byte()?),
            (None, 0xc8) => usize::from(self.u16()?),
            _ => self.u32()? as usize,
        };
        let ext_type = self.byte()? as i8;
        self.take(len)?;
        Ok(Some(ext_type))
    }

    /// For a marker already consumed: the body of a str or bin item, or `None` when
    /// the marker is neither.
    fn str_body(&mut self, m: u8) -> R<Option<&'a [u8]>> {
        let len = match m {
            0xa0..=0xbf => usize::from(m & 0x1f),
            0xd9 | 0xc4 => usize::from(self.byte()?),
            0xda | 0xc5 => usize::from(self.u16()?),
            0xdb | 0xc6 => self.u32()? as usize,
            _ => return Ok(None),
        };
        self.take(len).map(Some)
    }

    fn str_or_bin(&mut self, what: &str) -> R<&'a [u8]> {
        let m = self.byte()?;
        match self.str_body(m)? {
            Some(b) => Ok(b),
            None => fail(format!("expected {what}, got msgpack {}", marker_name(m))),
        }
    }

    fn utf8(&mut self, what: &str) -> R<String> {
        let b = self.str_or_bin(what)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => fail(format!("{what} is not valid UTF-8")),
        }
    }

    fn array_len(&mut self, what: &str) -> R<usize> {
        let m = self.byte()?;
        Ok(match m {
            0x90..=0x9f => usize::from(m & 0x0f),
            0xdc => usize::from(self.u16()?),
            0xdd => self.u32()? as usize,
            _ => {
                return fail(format!("expected {what} (msgpack array), got msgpack {}", marker_name(m)));
            }
        })
    }

    fn map_len(&mut self, what: &str) -> R<usize> {
        let m = self.byte()?;
        Ok(match m {
            0x80..=0x8f => usize::from(m & 0x0f),
            0xde => usize::from(self.u16()?),
            0xdf => self.u32()? as usize,
            _ => return fail(format!("expected {what} (msgpack map), got msgpack {}", marker_name(m))),
        })
    }

    fn number(&mut self) -> R<Number> {
        let m = self.byte()?;
        Ok(match m {
            0x00..=0x7f => Number::Int(i64::from(m)),
            0xe0..=0xff => Number::Int(i64::from(m as i8)),
            0xcc => Number::Int(i64::from(self.byte()?)),
            0xcd => Number::Int(i64::from(self.u16()?)),
            0xce => Number::Int(i64::from(self.u32()?)),
            0xcf => {
                let u = self.u64()?;
                match i64::try_from(u) {
                    Ok(i) => Number::Int(i),
                    Err(_) => Number::Big(u.to_string()),
                }
            }
            0xd0 => Number::Int(i64::from(self.byte()? as i8)),
            0xd1 => Number::Int(i64::from(self.u16()? as i16)),
            0xd2 => Number::Int(i64::from(self.u32()? as i32)),
            0xd3 => Number::Int(self.u64()? as i64),
            0xca => number_from_binary_float(f64::from(f32::from_bits(self.u32()?)))?,
            0xcb => number_from_binary_float(f64::from_bits(self.u64()?))?,
            _ => match self.str_body(m)? {
                Some(b) => match std::str::from_utf8(b) {
                    Ok(s) => parse_number_text(s)?,
                    Err(_) => return fail("number string is not valid UTF-8"),
                },
                None => return fail(format!("expected number, got msgpack {}", marker_name(m))),
            },
        })
    }
}

/// Decodes cty msgpack of type `ty`. The whole input must be one value.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut r = Reader { buf: bytes, pos: 0, budget: Budget::for_input(bytes.len()) };
    let v = mp_decode(&mut r, ty, 0)?;
    if r.remaining() != 0 {
        return Err(CodecError(format!(
            "{} trailing bytes after the msgpack value (at byte {})",
            r.remaining(),
            r.pos
        )));
    }
    Ok(v)
}

fn mp_decode(r: &mut Reader<'_>, ty: &Type, depth: usize) -> R<Value> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    if r.peek()? == MP_NIL {
        r.pos += 1;
        return Ok(Value::Null);
    }
    if let Some(ext_type) = r.ext()? {
        return match ext_type {
            0 | 12 => Ok(Value::Unknown),
            t => fail(format!("unsupported msgpack extension type {t}")),
        };
    }
    match ty {
        Type::Bool => match r.byte()? {
            0xc2 => Ok(Value::Bool(false)),
            0xc3 => Ok(Value::Bool(true)),
            m => fail(format!("expected bool, got msgpack {}", marker_name(m))),
        },
        Type::Number => Ok(Value::Number(r.number()?)),
        Type::String => Ok(Value::String(r.utf8("string")?)),
        Type::List(et) | Type::Set(et) => {
            let n = r.array_len(type_kind(ty))?;
            // Every element takes at least one byte: never reserve more than is there.
            let mut es = Vec::with_capacity(n.min(r.remaining()));
            for i in 0..n {
                es.push(mp_decode(r, et, depth + 1).at(|| Seg::Index(i))?);
            }
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(es) } else { Value::List(es) })
        }
        Type::Tuple(ts) => {
            let n = r.array_len("tuple")?;
            if n != ts.len() {
                return fail(format!("tuple type has {} elements, msgpack array has {n}", ts.len()));
            }
            let mut es = Vec::with_capacity(n);
            for (i, et) in ts.iter().enumerate() {
                es.push(mp_decode(r, et, depth + 1).at(|| Seg::Index(i))?);
            }
            Ok(Value::Tuple(es))
        }
        Type::Map(et) => {
            let n = r.map_len("map")?;
            let mut m = BTreeMap::new();
            for _ in 0..n {
                let k = r.utf8("map key")?;
                let e = mp_decode(r, et, depth + 1).at(|| Seg::Key(k.clone()))?;
                if m.contains_key(&k) {
                    return fail(format!("duplicate map key {k:?}"));
                }
                m.insert(k, e);
            }
            Ok(Value::Map(m))
        }
        Type::Object(attrs) => {
            let n = r.map_len("object")?;
            let mut m = BTreeMap::new();
            for _ in 0..n {
                let k = r.utf8("attribute name")?;
                let Some(at) = attrs.get(&k) else {
                    return fail(format!("unexpected attribute {k:?}: not part of the object type"));
                };
                let e = mp_decode(r, at, depth + 1).at(|| Seg::Attr(k.clone()))?;
                if m.contains_key(&k) {
                    return fail(format!("duplicate attribute {k:?}"));
                }
                m.insert(k, e);
            }
            fill_absent(&mut m, attrs, &mut r.budget)?;
            Ok(Value::Object(m))
        }
        Type::Dynamic => {
            let n = r.array_len("dynamic value [type, value]")?;
            if n != 2 {
                return fail(format!("dynamic value must be a 2-element array [type, value], got {n} elements"));
            }
            let tb = r.str_or_bin("type JSON of a dynamic value")?;
            let t = type_from_json_bytes(tb, depth)?;
            mp_decode(r, &t, depth + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_msgpack;
    use crate::codec::msgpack::encode::{put_bin, put_str};
    use crate::codec::parse_number;
    use crate::codec::test_support::{
        Rng, big, err_msg, float, int, list, map, mp_round_trip, mutate, obj, rich_type, rich_value, s, set, vmap, vobj,
    };

    #[test]
    fn number_strings() {
        let n = &Type::Number;
        let dec = |t: &str| {
            let mut b = Vec::new();
            put_str(&mut b, t).unwrap();
            decode_msgpack(&b, n)
        };
        assert_eq!(dec("123").unwrap(), int(123));
        assert_eq!(dec("-0").unwrap(), int(0));
        assert_eq!(dec("+42").unwrap(), int(42));
        assert_eq!(dec("1.5").unwrap(), float(1.5));
        assert_eq!(dec("1.50").unwrap(), float(1.5));
        assert_eq!(dec("0.1").unwrap(), float(0.1));
        assert_eq!(dec("1e3").unwrap(), int(1000));
        assert_eq!(dec("2.5e-3").unwrap(), float(0.0025));
        assert_eq!(dec("123456789012345678901234567890").unwrap(), big("123456789012345678901234567890"));
        assert_eq!(dec("1e400").unwrap(), big("1e400"));
        assert_eq!(dec("0.1000000000000000000000001").unwrap(), big("0.1000000000000000000000001"));
        assert_eq!(dec("+.5e1000").unwrap(), big("0.5e1000"));
        assert_eq!(dec("9223372036854775808").unwrap(), big("9223372036854775808"));
        for bad in ["", "abc", "1.2.3", "1e", "e5", ".", "-", "NaN", "inf", " 1", "1 ", "0x10", "1_000"] {
            assert!(dec(bad).is_err(), "{bad:?} should not be a number");
        }
        // Big numbers encode as their text and survive a round trip.
        let b = big("123456789012345678901234567890");
        let enc = mp_round_trip(&b, n);
        assert_eq!(enc[0], 0xa0 | 30);
        assert!(encode_msgpack(&big("12x"), n).is_err());
        assert_eq!(parse_number("3.25").unwrap(), Number::Float(3.25));
    }

    #[test]
    fn unknowns() {
        let st = &Type::String;
        // Every extension format, type 0 and type 12 (refined).
        let forms: Vec<Vec<u8>> = vec![
            vec![0xc7, 0x00, 0x00],
            vec![0xd4, 0x00, 0x00],
            vec![0xd5, 0x00, 1, 2],
            vec![0xd6, 0x00, 1, 2, 3, 4],
            vec![0xd7, 0x00, 0, 0, 0, 0, 0, 0, 0, 0],
            [vec![0xd8, 0x00], vec![0; 16]].concat(),
            vec![0xc8, 0x00, 0x01, 0x00, 0x00],
            vec![0xc9, 0x00, 0x00, 0x00, 0x02, 0x00, 0xaa, 0xbb],
            // Refined unknown: payload is a map of refinements {1: false, 2: "pre"}.
            vec![0xc7, 0x08, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa3, b'p', b'r', b'e'],
            vec![0xd5, 0x0c, 0x81, 0xc3],
            vec![0xd4, 0x0c, 0x80],
        ];
        for f in &forms {
            for ty in [Type::String, Type::Number, Type::Bool, list(Type::String), rich_type(), Type::Dynamic] {
                assert_eq!(decode_msgpack(f, &ty).unwrap(), Value::Unknown, "{f:02x?} as {ty:?}");
            }
        }
        // Other extension types are rejected (including the msgpack timestamp, -1).
        assert!(err_msg(decode_msgpack(&[0xd4, 0x05, 0x00], st)).contains("extension type 5"));
        assert!(decode_msgpack(&[0xd6, 0xff, 0, 0, 0, 0], st).is_err());
        // Unknown nested in an object, a list, a map, and the refined form nested.
        let ty = obj(&[("a", list(Type::String)), ("m", map(Type::Number)), ("u", Type::Bool)]);
        let v = vobj(&[
            ("a", Value::List(vec![s("x"), Value::Unknown])),
            ("m", vmap(&[("k", Value::Unknown)])),
            ("u", Value::Unknown),
        ]);
        mp_round_trip(&v, &ty);
        let mut refined = vec![0x81, 0xa1, b'a', 0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(decode_msgpack(&refined, &obj(&[("a", Type::String)])).unwrap(), vobj(&[("a", Value::Unknown)]));
        refined.push(0x00);
        assert!(decode_msgpack(&refined, &obj(&[("a", Type::String)])).is_err());
        mp_round_trip(&Value::Unknown, &rich_type());
    }

    #[test]
    fn set_keeps_wire_order() {
        let bytes = [0x93, 0xa1, b'c', 0xa1, b'a', 0xa1, b'b'];
        assert_eq!(decode_msgpack(&bytes, &set(Type::String)).unwrap(), Value::Set(vec![s("c"), s("a"), s("b")]));
        assert_eq!(decode_msgpack(&bytes, &list(Type::String)).unwrap(), Value::List(vec![s("c"), s("a"), s("b")]));
    }

    #[test]
    fn truncated_input_at_every_prefix_is_an_error() {
        let ty = rich_type();
        let mut v = rich_value();
        v.as_object_mut().unwrap().insert("name".into(), s(&"n".repeat(300)));
        let bytes = encode_msgpack(&v, &ty).unwrap();
        assert!(bytes.len() > 300);
        for n in 0..bytes.len() {
            assert!(decode_msgpack(&bytes[..n], &ty).is_err(), "prefix of {n} bytes decoded");
            assert!(decode_msgpack(&bytes[..n], &Type::Dynamic).is_err());
        }
        let dyn_bytes = encode_msgpack(&v, &Type::Dynamic).unwrap();
        assert_eq!(decode_msgpack(&dyn_bytes, &Type::Dynamic).unwrap(), v);
        for n in 0..dyn_bytes.len() {
            assert!(decode_msgpack(&dyn_bytes[..n], &Type::Dynamic).is_err(), "prefix of {n} bytes decoded");
        }
        // Truncated scalars.
        for b in [
            &[0xcc][..],
            &[0xcd, 0],
            &[0xce, 0, 0],
            &[0xcf, 0, 0, 0],
            &[0xd3],
            &[0xcb, 0, 0],
            &[0xca],
            &[0xd9],
            &[0xd9, 5, b'a'],
            &[0xc7, 3, 0, 1],
            &[0xd8, 0],
            &[0xc9, 0, 0],
        ] {
            assert!(decode_msgpack(b, &Type::Number).is_err(), "{b:02x?}");
            assert!(decode_msgpack(b, &Type::String).is_err(), "{b:02x?}");
        }
        assert!(decode_msgpack(&[], &Type::String).is_err());
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let e = decode_msgpack(&[0xa1, b'x', 0x00], &Type::String).unwrap_err();
        assert!(e.0.contains("trailing"), "{e}");
        assert!(decode_msgpack(&[0xc0, 0xc0], &Type::String).is_err());
        assert!(decode_msgpack(&[0xc7, 0, 0, 0], &Type::String).is_err());
        let mut b = encode_msgpack(&rich_value(), &rich_type()).unwrap();
        b.push(0x90);
        assert!(decode_msgpack(&b, &rich_type()).is_err());
    }

    #[test]
    fn huge_claimed_lengths_fail_fast() {
        let start = std::time::Instant::now();
        let cases: Vec<(Vec<u8>, Type)> = vec![
            (vec![0xdd, 0xff, 0xff, 0xff, 0xff], list(Type::String)),
            (vec![0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0], set(Type::Number)),
            (vec![0xdc, 0xff, 0xff], list(Type::String)),
            (vec![0xdf, 0xff, 0xff, 0xff, 0xff], map(Type::String)),
            (vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'a'], obj(&[("a", Type::String)])),
            (vec![0xdb, 0xff, 0xff, 0xff, 0xff, b'a'], Type::String),
            (vec![0xc6, 0xff, 0xff, 0xff, 0xff], Type::String),
            (vec![0xc9, 0xff, 0xff, 0xff, 0xff, 0x00], Type::String),
            (vec![0xdd, 0xff, 0xff, 0xff, 0xff], Type::Tuple(vec![Type::String])),
            (vec![0xdd, 0xff, 0xff, 0xff, 0xff], Type::Dynamic),
        ];
        for (b, ty) in &cases {
            assert!(decode_msgpack(b, ty).is_err(), "{b:02x?}");
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn null_fill_in_is_budgeted() {
        // A type with many attributes, declared in the input itself, and many empty maps.
        let attrs: Vec<String> = (0..2000).map(|i| format!("\"a{i}\":\"string\"")).collect();
        let tj = format!("[\"list\",[\"object\",{{{}}}]]", attrs.join(","));
        let mut b = vec![0x92];
        put_bin(&mut b, tj.as_bytes()).unwrap();
        let n = 60_000usize;
        b.push(0xdd);
        b.extend_from_slice(&(n as u32).to_be_bytes());
        b.extend(std::iter::repeat_n(0x80, n));
        let e = decode_msgpack(&b, &Type::Dynamic).unwrap_err();
        assert!(e.0.contains("too large"), "{e}");
        // Ordinary inputs are nowhere near the budget.
        let mut small = vec![0x92];
        put_bin(&mut small, tj.as_bytes()).unwrap();
        small.extend_from_slice(&[0x92, 0x80, 0x80]);
        let v = decode_msgpack(&small, &Type::Dynamic).unwrap();
        assert_eq!(v.elements().len(), 2);
        assert_eq!(v.elements()[0].as_object().unwrap().len(), 2000);
    }

    #[test]
    fn mutated_msgpack_never_panics_and_decoded_values_re_encode() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let ty = rich_type();
        let static_ty = obj(&[
            ("s", Type::String),
            ("n", list(Type::Number)),
            ("m", map(set(Type::Bool))),
            ("t", Type::Tuple(vec![Type::String, obj(&[("x", Type::Number)])])),
        ]);
        let static_v = vobj(&[
            ("s", s("str")),
            ("n", Value::List(vec![int(1), int(-200), float(0.5), int(1 << 40), big("1e400")])),
            ("m", vmap(&[("k", Value::Set(vec![Value::Bool(true), Value::Unknown]))])),
            ("t", Value::Tuple(vec![s("q"), vobj(&[("x", int(9))])])),
        ]);
        let seeds = [
            encode_msgpack(&rich_value(), &ty).unwrap(),
            encode_msgpack(&rich_value(), &Type::Dynamic).unwrap(),
            encode_msgpack(&static_v, &static_ty).unwrap(),
        ];
        let types = [ty, Type::Dynamic, static_ty.clone(), Type::Number, list(Type::String)];
        for _ in 0..30_000 {
            let seed = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, seed);
            for t in &types {
                let _ = decode_msgpack(&input, t);
            }
            // Without dynamic types, anything that decodes re-encodes to the same value.
            if let Ok(v) = decode_msgpack(&input, &static_ty) {
                let again = encode_msgpack(&v, &static_ty).expect("re-encode");
                assert_eq!(decode_msgpack(&again, &static_ty).unwrap(), v);
            }
        }
        // Pure noise.
        for _ in 0..20_000 {
            let len = rng.below(40);
            let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            for t in &types {
                let _ = decode_msgpack(&input, t);
            }
        }
    }
}
