#![no_main]
//! Terraform's msgpack values: decoding any bytes never panics, and what decodes
//! encodes again.
mod types;
use libfuzzer_sys::fuzz_target;
use tfplugin::codec::{decode_msgpack, encode_msgpack};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let ty = types::pick(selector);
    if let Ok(v) = decode_msgpack(bytes, &ty) {
        encode_msgpack(&v, &ty).expect("a decoded value re-encodes");
    }
});
