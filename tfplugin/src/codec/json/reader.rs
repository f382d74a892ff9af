//! A small strict JSON (RFC 8259) reader whose numbers keep their text, so cty JSON
//! numbers convert exactly. serde_json is not used for values because, without its
//! `float_roundtrip`/`arbitrary_precision` features, it neither rounds floats correctly
//! nor keeps the text of numbers beyond u64/f64.

use crate::codec::{MAX_DEPTH, R, fail};

/// How deep JSON documents may nest: deeper than values of the type may go, so that
/// ignored attributes from an older schema still parse.
const JSON_MAX_DEPTH: usize = 2 * MAX_DEPTH;

/// A parsed JSON document; numbers keep their text.
#[derive(Debug)]
pub(super) enum Json<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(String),
    Array(Vec<Json<'a>>),
    /// Members in document order (a repeated key: the last one wins when decoding).
    Object(Vec<(String, Json<'a>)>),
}

struct JsonParser<'a> {
    s: &'a str,
    pos: usize,
}

pub(super) fn parse_json(bytes: &[u8]) -> R<Json<'_>> {
    let s = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => return fail(format!("invalid JSON: not UTF-8 ({e})")),
    };
    let mut p = JsonParser { s, pos: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.pos != s.len() {
        return p.err("trailing characters after the JSON value");
    }
    Ok(v)
}

impl<'a> JsonParser<'a> {
    fn err<T>(&self, what: &str) -> R<T> {
        fail(format!("invalid JSON at byte {}: {what}", self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(&format!("expected {:?}", char::from(c)))
        }
    }

    fn literal(&mut self, word: &str, v: Json<'a>) -> R<Json<'a>> {
        if self.s.as_bytes().get(self.pos..).is_some_and(|rest| rest.starts_with(word.as_bytes())) {
            self.pos += word.len();
            Ok(v)
        } else {
            self.err("invalid literal")
        }
    }

    fn value(&mut self, depth: usize) -> R<Json<'a>> {
        if depth > JSON_MAX_DEPTH {
            return self.err(&format!("nested deeper than {JSON_MAX_DEPTH} levels"));
        }
        match self.peek() {
            None => self.err("unexpected end of input"),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.pos += 1;
                self.ws();
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.ws();
                        }
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return self.err("expected ',' or ']'"),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                self.ws();
                let mut members = Vec::new();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return self.err("expected a string key");
                    }
                    let k = self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    members.push((k, self.value(depth + 1)?));
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.ws();
                        }
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Object(members));
                        }
                        _ => return self.err("expected ',' or '}'"),
                    }
                }
            }
            Some(_) => self.err("unexpected character"),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> R<Json<'a>> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.err("invalid number: no digits after '.'");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.err("invalid number: no digits in exponent");
            }
        }
        match self.s.get(start..self.pos) {
            Some(t) => Ok(Json::Number(t)),
            None => self.err("invalid number"),
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let Some(h) = self.s.get(self.pos..self.pos + 4) else {
            return self.err("truncated \\u escape");
        };
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return self.err("invalid \\u escape");
        }
        self.pos += 4;
        match u32::from_str_radix(h, 16) {
            Ok(v) => Ok(v),
            Err(_) => self.err("invalid \\u escape"),
        }
    }

    /// A string, the opening quote being next.
    fn string(&mut self) -> R<String> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self.peek().is_some_and(|c| c != b'"' && c != b'\\' && c >= 0x20) {
                self.pos += 1;
            }
            // Stopped at an ASCII byte (or the end), so this is a char boundary.
            match self.s.get(start..self.pos) {
                Some(run) => out.push_str(run),
                None => return self.err("invalid string"),
            }
            match self.peek() {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return self.err("unterminated string");
                    };
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&hi) {
                                if self.peek() != Some(b'\\') || self.s.as_bytes().get(self.pos + 1) != Some(&b'u') {
                                    return self.err("unpaired surrogate in \\u escape");
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return self.err("unpaired surrogate in \\u escape");
                                }
                                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                            } else {
                                hi
                            };
                            match char::from_u32(code) {
                                Some(c) => c,
                                None => return self.err("unpaired surrogate in \\u escape"),
                            }
                        }
                        _ => return self.err("invalid escape"),
                    };
                    out.push(c);
                }
                Some(_) => return self.err("control character in string"),
            }
        }
    }
}

pub(super) fn json_kind(v: &Json<'_>) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// The document as a serde_json value, for reading the type of a dynamic value (the
/// type syntax has no numbers, so they become null, which the type reader rejects).
pub(super) fn json_to_serde(v: &Json<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Json::Null | Json::Number(_) => J::Null,
        Json::Bool(b) => J::Bool(*b),
        Json::String(s) => J::String(s.clone()),
        Json::Array(a) => J::Array(a.iter().map(json_to_serde).collect()),
        Json::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), json_to_serde(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use crate::codec::decode_json;
    use crate::codec::test_support::{big, float, int, list, obj, s, vobj};
    use crate::value::{Type, Value};

    #[test]
    fn json_reader() {
        let st = &Type::String;
        let n = &Type::Number;
        // Escapes, including surrogate pairs.
        assert_eq!(decode_json(br#""a\"b\\c\/d\b\f\n\r\t""#, st).unwrap(), s("a\"b\\c/d\u{8}\u{c}\n\r\t"));
        assert_eq!(decode_json(br#""\u00e9\u20AC\ud83d\ude00""#, st).unwrap(), s("é€\u{1F600}"));
        assert_eq!(decode_json("\"ünï ✓\"".as_bytes(), st).unwrap(), s("ünï ✓"));
        for bad in [
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""\x""#,
            "\"a\u{1}b\"",
            "\"tab\tinside\"",
            r#""unterminated"#,
            r#""ends in escape\"#,
        ] {
            assert!(decode_json(bad.as_bytes(), st).is_err(), "{bad:?} should be rejected");
        }
        assert!(decode_json(&[b'"', 0xff, b'"'], st).is_err());
        // Number grammar: strict JSON, text kept exactly.
        for (text, v) in [
            ("0", int(0)),
            ("-0", int(0)),
            ("-12", int(-12)),
            ("0.5", float(0.5)),
            ("1E2", int(100)),
            ("1e-2", float(0.01)),
            ("-1.25e-200", float(-1.25e-200)),
            ("1e400", big("1e400")),
            ("123456789012345678901234567890", big("123456789012345678901234567890")),
            ("0.10000000000000000000001", big("0.10000000000000000000001")),
        ] {
            assert_eq!(decode_json(text.as_bytes(), n).unwrap(), v, "{text}");
        }
        assert_eq!(decode_json(b"1.50", st).unwrap(), s("1.50"));
        assert_eq!(decode_json(b"1e400", st).unwrap(), s("1e400"));
        for bad in ["01", "-", "+1", "1.", ".5", "1e", "1e+", "--1", "0x1", "NaN", "Infinity", "1.5.2"] {
            assert!(decode_json(bad.as_bytes(), n).is_err(), "{bad:?} should be rejected");
        }
        // Structure.
        let l = &list(Type::Number);
        assert_eq!(decode_json(b" [ 1 , 2 ]\n", l).unwrap(), Value::List(vec![int(1), int(2)]));
        assert_eq!(decode_json(b"[]", l).unwrap(), Value::List(vec![]));
        for bad in [
            "[1,]",
            "[,1]",
            "[1 2]",
            "[",
            "]",
            "[1]]",
            "{\"a\":1,}",
            "{a:1}",
            "{\"a\" 1}",
            "{\"a\":}",
            "nul",
            "tru",
            "falsey",
            "null null",
        ] {
            assert!(decode_json(bad.as_bytes(), &Type::Dynamic).is_err(), "{bad:?} should be rejected");
            assert!(decode_json(bad.as_bytes(), l).is_err(), "{bad:?} should be rejected");
        }
        // A repeated key: the last one wins.
        let ty = obj(&[("a", Type::Number)]);
        assert_eq!(decode_json(br#"{"a":1,"a":2}"#, &ty).unwrap(), vobj(&[("a", int(2))]));
        // Ignored attributes may nest deeper than values of the type could.
        let deep_ignored = format!("{{\"a\":1,\"old\":{}0{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(decode_json(deep_ignored.as_bytes(), &ty).unwrap(), vobj(&[("a", int(1))]));
        // A type inside a dynamic value must not contain numbers.
        assert!(decode_json(br#"{"value":1,"type":["tuple",[1]]}"#, &Type::Dynamic).is_err());
    }
}
