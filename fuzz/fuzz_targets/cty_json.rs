#![no_main]
//! State JSON (UpgradeResourceState) and type JSON: any bytes, no panic.
mod types;
use libfuzzer_sys::fuzz_target;
use tfplugin::codec::decode_json;
use tfplugin::Type;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let _ = decode_json(bytes, &types::pick(selector));
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let _ = Type::from_json(&v);
    }
});
