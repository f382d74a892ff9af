//! Which releases move traffic on a Network Load Balancer, and the time its propagation
//! delay adds: an NLB keeps routing by the old weights for a while after a write, and
//! ECS native blue/green waits 10 minutes for it in each traffic shift ("Network Load
//! Balancer resources for Amazon ECS blue/green deployments", Amazon ECS Developer Guide).

use super::ReleaseSpec;
use crate::arn;
use crate::traffic_pointer::PointerRef;
use std::time::Duration;

/// `promotion.nlb_propagation_delay` when it is not set: what ECS waits.
pub const DEFAULT_NLB_PROPAGATION_DELAY: Duration = Duration::from_secs(600);

/// The release's traffic pointers (production, and each route's) that are NLB listeners:
/// what the waits after a write that moves traffic are for. The one place that decides
/// it. A test listener on an NLB has its own wait, before the hooks test it.
pub fn nlb_pointers(spec: &ReleaseSpec) -> Vec<&PointerRef> {
    std::iter::once(&spec.pointer)
        .chain(spec.routes.iter().map(|r| &r.pointer))
        .filter(|p| arn::is_nlb_listener(p.arn()))
        .collect()
}

/// Whether a pointer of the release is an NLB listener ([`nlb_pointers`]).
pub fn has_nlb_pointer(spec: &ReleaseSpec) -> bool {
    !nlb_pointers(spec).is_empty()
}

/// The wait after each write that moves traffic: `promotion.nlb_propagation_delay` on a
/// release with an NLB pointer, none on an ALB's.
pub fn propagation_delay(spec: &ReleaseSpec) -> Duration {
    if has_nlb_pointer(spec) { spec.promotion.nlb_propagation_delay } else { Duration::ZERO }
}

/// The time the waits add to a move of `steps` writes: one after every write but the
/// last (before the next step's gate), and one after the last when the final bake
/// watches it (`final_bake`: a final bake of 0 has nothing to wait for).
pub fn propagation_time(delay: Duration, steps: usize, final_bake: bool) -> Duration {
    let waits = steps.saturating_sub(1) + usize::from(final_bake);
    delay.saturating_mul(u32::try_from(waits).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource_ecs_release::attrs;
    use tfplugin::Value;

    const ALB: &str = "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
    const NLB: &str = "arn:aws:elasticloadbalancing:us-east-1:1:listener/net/tcp/50dc6c495c0c9188/f2f7dc8efc522ab2";

    fn spec(pointer: &str, test: Option<&str>) -> ReleaseSpec {
        let mut s = super::super::from_value(&super::super::tests::good()).unwrap();
        s.pointer = PointerRef::Listener(pointer.into());
        s.test_pointer = test.map(|t| PointerRef::Listener(t.into()));
        s
    }

    fn config(attrs: &[(&str, Value)]) -> Value {
        let mut v = super::super::tests::good();
        let o = v.as_object_mut().unwrap();
        o.remove(attrs::LISTENER_RULE_ARN);
        for (k, val) in attrs {
            o.insert((*k).to_string(), val.clone());
        }
        v
    }

    #[test]
    fn nlb_listeners_are_pointers_and_an_nlb_rule_is_an_error_at_its_attribute() {
        let ok = config(&[(attrs::LISTENER_ARN, NLB.into()), (attrs::TEST_LISTENER_ARN, ALB.into())]);
        assert!(super::super::validate(&ok).is_empty(), "{}", super::super::validate(&ok));
        assert!(has_nlb_pointer(&super::super::from_value(&ok).unwrap()));
        let nlb_rule = NLB.replace(":listener/", ":listener-rule/") + "/9683b2d02a6cabee";
        for (attr, listener_attr) in
            [(attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN), (attrs::TEST_LISTENER_RULE_ARN, attrs::TEST_LISTENER_ARN)]
        {
            for given in [NLB.to_string(), nlb_rule.clone()] {
                let mut c = config(&[(attr, given.as_str().into())]);
                if attr == attrs::TEST_LISTENER_RULE_ARN {
                    c.as_object_mut().unwrap().insert(attrs::LISTENER_ARN.into(), ALB.into());
                }
                let d = super::super::validate(&c);
                let e = d.iter().find(|e| e.summary == "A Network Load Balancer has no listener rules").expect("error");
                assert_eq!(e.path, Some(tfplugin::AttrPath::root(attr)), "{d}");
                assert!(e.detail.contains(&format!("Set `{listener_attr}` to the NLB listener's ARN")), "{}", e.detail);
            }
        }
    }

    #[test]
    fn the_delay_parses_and_a_bad_one_is_an_error_at_it() {
        let with = |v: &str| {
            config(&[
                (attrs::LISTENER_ARN, NLB.into()),
                (
                    attrs::PROMOTION,
                    Value::List(vec![Value::object([(attrs::promotion::NLB_PROPAGATION_DELAY, Value::from(v))])]),
                ),
            ])
        };
        let spec = super::super::from_value(&with("3s")).unwrap();
        assert_eq!(spec.promotion.nlb_propagation_delay, Duration::from_secs(3));
        assert_eq!(propagation_delay(&spec), Duration::from_secs(3));
        let d = super::super::validate(&with("soon"));
        let at = tfplugin::AttrPath::root(attrs::PROMOTION).index(0).attr(attrs::promotion::NLB_PROPAGATION_DELAY);
        assert!(d.iter().any(|e| e.path.as_ref() == Some(&at)), "{d}");
    }

    #[test]
    fn a_traffic_pointer_on_an_nlb_waits_and_an_alb_or_an_nlb_test_listener_does_not() {
        assert!(!has_nlb_pointer(&spec(ALB, None)));
        assert!(has_nlb_pointer(&spec(NLB, None)));
        // The test listener has its own wait, before the hooks test through it: ALB
        // production moves take effect at once.
        assert!(!has_nlb_pointer(&spec(ALB, Some(NLB))));
        assert_eq!(propagation_delay(&spec(ALB, Some(NLB))), Duration::ZERO);
        assert_eq!(propagation_delay(&spec(ALB, None)), Duration::ZERO);
        assert_eq!(propagation_delay(&spec(NLB, None)), DEFAULT_NLB_PROPAGATION_DELAY);
    }

    #[test]
    fn one_wait_between_steps_and_one_before_a_final_bake() {
        let min = Duration::from_secs(60);
        assert_eq!(propagation_time(min, 1, false), Duration::ZERO, "all at once, nothing watches after");
        assert_eq!(propagation_time(min, 1, true), min);
        assert_eq!(propagation_time(min, 4, false), 3 * min);
        assert_eq!(propagation_time(min, 4, true), 4 * min);
        assert_eq!(propagation_time(Duration::ZERO, 4, true), Duration::ZERO);
    }
}
