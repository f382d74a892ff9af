#![no_main]
//! Import IDs and ARNs as users type them: any string, no panic; a parsed ID's parts
//! are well-formed.
#[allow(dead_code)]
#[path = "../../provider/src/arn.rs"]
mod arn;
#[allow(dead_code)]
#[path = "../../provider/src/import_id.rs"]
mod import_id;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let _ = (arn::is_listener_rule(s), arn::is_listener(s), arn::is_target_group(s), arn::load_balancer_of(s), arn::listener_of_rule(s));
    if let Ok(id) = import_id::parse(s) {
        assert!(!id.cluster.is_empty());
        assert!(arn::is_ecs_cluster(&id.cluster) || arn::is_cluster_name(&id.cluster));
    }
});
