#![no_main]
//! Durations (`5m`, `1h30m`): any string, no panic; accepted values are bounded.
#[allow(dead_code)]
#[path = "../../provider/src/duration.rs"]
mod duration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(d) = duration::parse(s) {
        assert!(d.as_secs() <= 7 * 86_400);
        let _ = duration::display(d);
    }
});
