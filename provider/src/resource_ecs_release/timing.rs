//! The time a promotion takes: whether a move fits its timeout (and which attribute
//! to change when it cannot), and whether stickiness holds clients through its steps.

use super::attrs;
use super::plan::Moving;
use crate::aws::AwsClients;
use crate::promotion_gate;
use crate::release_spec::{self, ReleaseSpec};
use crate::traffic_pointer::{self, Color, Traffic};
use std::time::Duration;
use tfplugin::{AttrPath, Diagnostic, Diagnostics, Value};

/// Whether the move fits its timeout (an error when it never can), whether stickiness
/// holds clients through its steps or bake, and whether the bake fits after the wait.
pub(super) async fn check_the_time(
    aws: Option<&AwsClients>,
    config: &Value,
    spec: &ReleaseSpec,
    creating: bool,
    moving: Option<Moving>,
    diagnostics: &mut Diagnostics,
) {
    let (op, timeout) = if creating { ("create", spec.create_timeout) } else { ("update", spec.update_timeout) };
    match moving {
        Some(Moving { from, to, pointer: live_pointer }) => {
            let (steps, least) = least_time_of_release_move(spec, from, to);
            let waited = least.saturating_sub(least_time_of_move(&spec.promotion, from, to).1);
            if let Some(waits) = nlb_waits_warning(config, spec, steps.len(), waited, least) {
                diagnostics.push(waits);
            }
            if least >= timeout {
                diagnostics.push(
                    Diagnostic::error(
                        format!("The promotion cannot fit in the {op} timeout"),
                        cannot_fit(spec, &steps, least, op, timeout),
                    )
                    .at(fit_attribute(config, spec, steps.len())),
                );
            }
            let bakes = least > promotion_gate::least_time(&steps);
            if (steps.len() > 1 || bakes)
                && let Some(aws) = aws
            {
                // Only a move that steps or bakes reads the pointer again here (the
                // refresh read it; a plain switch costs no extra call).
                let pointer = match live_pointer {
                    Some(p) => Some(p),
                    None => aws.pointers.read(&spec.pointer).await.ok(),
                };
                if let Some(seconds) = pointer.as_ref().and_then(traffic_pointer::Pointer::stickiness_seconds) {
                    diagnostics.push(stickiness_warning(spec, &steps, seconds));
                }
            }
        }
        // (The configuration's active_color: the planned one carries the prior state's
        // in adopt mode.)
        None if !config.get(attrs::ACTIVE_COLOR).is_null() => {
            // Nothing moves now, so nothing can fail now: a warning, not an error. An
            // error would block every unrelated change (a test pointer, a timeout being
            // raised in steps) of a release that moves no traffic. The plan that does
            // change active_color refuses (above).
            let (blue, green) = (
                Traffic { active: Color::Blue, standby_percent: 0 },
                Traffic { active: Color::Green, standby_percent: 0 },
            );
            let (steps, least) = least_time_of_release_move(spec, blue, green);
            if least >= spec.update_timeout {
                diagnostics.push(
                    Diagnostic::warning(
                        "The next promotion cannot fit in the update timeout",
                        format!(
                            "This plan moves no traffic, but the next change of active_color will fail: {}",
                            cannot_fit(spec, &steps, least, "update", spec.update_timeout)
                        ),
                    )
                    .at(fit_attribute(config, spec, steps.len())),
                );
            }
        }
        // Adopt mode (no active_color): this release never starts a promotion.
        None => {}
    }
    let p = &spec.promotion;
    let nlb = if p.bake_time.is_zero() { Duration::ZERO } else { release_spec::propagation_delay(spec) };
    if !p.bake_time.is_zero() && p.wait_timeout + p.bake_time + nlb > timeout {
        let waits = if nlb.is_zero() {
            String::new()
        } else {
            format!(" and the wait for the NLB before it (promotion.nlb_propagation_delay, {})", show(nlb))
        };
        diagnostics.push(
            Diagnostic::warning(
                "The bake may not fit in the timeout",
                format!(
                    "promotion.wait_timeout ({}) plus promotion.bake_time ({}){waits} exceed the {op} timeout ({}). The bake counts toward the timeout: a promotion whose gate waits long leaves no time to bake, and then it does not move traffic. Raise timeouts.{op} or shorten the wait.",
                    crate::duration::display(p.wait_timeout),
                    crate::duration::display(p.bake_time),
                    crate::duration::display(timeout)
                ),
            )
            .at(AttrPath::root(attrs::PROMOTION).index(0).attr(attrs::promotion::BAKE_TIME)),
        );
    }
}

/// The steps a move from `from` to `to` takes and the least time they take: every
/// step's bake, plus `promotion.bake_time` when the move bakes, as the apply counts
/// them (traffic_switch: a move that only pulls a canary back does not bake).
pub(super) fn least_time_of_move(
    p: &promotion_gate::Promotion,
    from: Traffic,
    to: Traffic,
) -> (Vec<promotion_gate::Step>, std::time::Duration) {
    let steps = promotion_gate::steps(&p.strategy, from, to);
    let pulling_back = to.active == from.active && to.standby_percent < from.standby_percent;
    let bakes = from.gaining(&to).is_some() && !pulling_back && !p.bake_time.is_zero();
    let least = promotion_gate::least_time(&steps) + if bakes { p.bake_time } else { std::time::Duration::ZERO };
    (steps, least)
}

/// [`least_time_of_move`] of the release, plus the waits for an NLB to apply the
/// weights (`release_spec::propagation_time`: between steps, and before a final bake).
pub fn least_time_of_release_move(
    spec: &ReleaseSpec,
    from: Traffic,
    to: Traffic,
) -> (Vec<promotion_gate::Step>, Duration) {
    let (steps, least) = least_time_of_move(&spec.promotion, from, to);
    let final_bake = least > promotion_gate::least_time(&steps);
    let waits = release_spec::propagation_time(release_spec::propagation_delay(spec), steps.len(), final_bake);
    (steps, least + waits)
}

/// The plan warning of a move on an NLB: how often and how long the apply waits for the
/// NLB to apply the weights (`waited` in all, of a move of `steps` writes taking `least`),
/// at the NLB pointer's attribute.
fn nlb_waits_warning(
    config: &Value,
    spec: &ReleaseSpec,
    steps: usize,
    waited: Duration,
    least: Duration,
) -> Option<Diagnostic> {
    let delay = release_spec::propagation_delay(spec);
    if delay.is_zero() || waited.is_zero() {
        return None;
    }
    let waits = waited.as_secs_f64() / delay.as_secs_f64();
    let at = [attrs::LISTENER_ARN, attrs::TEST_LISTENER_ARN]
        .into_iter()
        .find(|a| config.get(a).as_str().is_some_and(crate::arn::is_nlb_listener))
        .unwrap_or(attrs::LISTENER_ARN);
    Some(
        Diagnostic::warning(
            "The promotion waits for the NLB to apply the new weights",
            format!(
                "An NLB may route by the old weights for a while after a write. After {} the apply waits {} for the NLB to apply the new weights (ECS waits the same), still checking health and alarms (a failure rolls back), before {}: {} in all; this move takes at least {}. promotion.nlb_propagation_delay sets the wait.",
                if waits > 1.0 { format!("each of {waits:.0} writes") } else { "the write".to_string() },
                show(delay),
                if steps > 1 { "the next step's gate or the bake" } else { "the bake" },
                show(waited),
                show(least),
            ),
        )
        .at(AttrPath::root(at)),
    )
}

fn show(d: Duration) -> String {
    if d.is_zero() { "0s".to_string() } else { crate::duration::display(d) }
}

/// The attribute that makes a move too long: the step bake of a stepped strategy
/// (its block when written, else `promotion.strategy`), else `promotion.bake_time`.
pub(super) fn fit_attribute(config: &Value, spec: &release_spec::ReleaseSpec, steps: usize) -> AttrPath {
    let promotion = AttrPath::root(attrs::PROMOTION).index(0);
    let written = |block: &str, attr: &str| {
        config
            .get(attrs::PROMOTION)
            .single_block()
            .and_then(|p| p.get(block).single_block())
            .is_some_and(|b| !b.get(attr).is_null())
    };
    match &spec.promotion.strategy {
        promotion_gate::Strategy::Linear { .. } if steps > 1 => {
            if written(attrs::promotion::LINEAR, attrs::promotion::STEP_BAKE_TIME) {
                promotion.attr(attrs::promotion::LINEAR).index(0).attr(attrs::promotion::STEP_BAKE_TIME)
            } else {
                promotion.attr(attrs::promotion::STRATEGY)
            }
        }
        promotion_gate::Strategy::Canary { .. } if steps > 1 => {
            if written(attrs::promotion::CANARY, attrs::promotion::BAKE_TIME) {
                promotion.attr(attrs::promotion::CANARY).index(0).attr(attrs::promotion::BAKE_TIME)
            } else {
                promotion.attr(attrs::promotion::STRATEGY)
            }
        }
        _ => promotion.attr(attrs::promotion::BAKE_TIME),
    }
}

/// Why a move of `least` cannot fit in `timeout`, naming the attributes that add up
/// to it and the fixes.
pub(super) fn cannot_fit(
    spec: &release_spec::ReleaseSpec,
    steps: &[promotion_gate::Step],
    least: std::time::Duration,
    op: &str,
    timeout: std::time::Duration,
) -> String {
    let p = &spec.promotion;
    let held = steps.iter().filter(|s| !s.bake.is_zero()).count();
    let (parts, shorten) = match &p.strategy {
        promotion_gate::Strategy::Linear { step_percent, step_bake_time } if steps.len() > 1 => (
            format!(
                "{held} steps of {step_percent} % each held for promotion.linear.step_bake_time ({}), then promotion.bake_time ({})",
                show(*step_bake_time),
                show(p.bake_time)
            ),
            "promotion.linear.step_bake_time or promotion.bake_time, or take larger steps (promotion.linear.step_percent)",
        ),
        promotion_gate::Strategy::Canary { percent, bake_time } if steps.len() > 1 => (
            format!(
                "the {percent} % canary held for promotion.canary.bake_time ({}), then promotion.bake_time ({})",
                show(*bake_time),
                show(p.bake_time)
            ),
            "promotion.canary.bake_time or promotion.bake_time",
        ),
        _ => (format!("promotion.bake_time ({})", show(p.bake_time)), "promotion.bake_time"),
    };
    let delay = release_spec::propagation_delay(spec);
    let waits = release_spec::propagation_time(delay, steps.len(), !p.bake_time.is_zero());
    let (parts, shorten) = if waits.is_zero() {
        (parts, shorten.to_string())
    } else {
        (
            format!(
                "{parts}, and promotion.nlb_propagation_delay ({}) after every write the bakes watch ({} in all) for the NLB to apply the new weights",
                show(delay),
                show(waits)
            ),
            format!("{shorten}, or promotion.nlb_propagation_delay"),
        )
    };
    format!(
        "Moving traffic to {} takes {parts}: at least {} before any gate wait or hook, and timeouts.{op} is {}. The apply stops at its timeout and rolls back, so this promotion can never complete. Raise timeouts.{op} above {} (plus time for the gate's waits and the hooks), or shorten {shorten}.",
        steps.last().map(|s| s.gaining.as_str()).unwrap_or("the gaining color"),
        show(least),
        show(timeout),
        show(least),
    )
}

/// The plan warning for a promotion whose steps or bake meet target-group stickiness
/// on the pointer's forward action (`seconds` long).
pub fn stickiness_warning(
    spec: &release_spec::ReleaseSpec,
    steps: &[promotion_gate::Step],
    seconds: i32,
) -> Diagnostic {
    let how_long = crate::duration::display(std::time::Duration::from_secs(u64::try_from(seconds).unwrap_or(0)));
    let gaining = steps.last().map(|s| s.gaining.as_str()).unwrap_or("the gaining color");
    let shares: Vec<String> = steps.iter().map(|s| format!("{} %", s.gaining_percent)).collect();
    let stepped = steps.len() > 1;
    let at = AttrPath::root(attrs::PROMOTION).index(0).attr(if stepped {
        attrs::promotion::STRATEGY
    } else {
        attrs::promotion::BAKE_TIME
    });
    Diagnostic::warning(
        "Stickiness holds returning clients on their color",
        format!(
            "{} forwards with target group stickiness on for {how_long} ({seconds}s). ALB sends a client back to the target group its stickiness cookie names, whatever the weights, for up to that long. So the shares this promotion writes ({}) hold for new clients only, the bake judges {gaining} on fewer clients than its share, and if a step or the bake fails, \"traffic was restored\" holds for new clients only: clients that reached {gaining} keep reaching it for up to {how_long}. The provider leaves stickiness as it is (it writes back every setting of the forward action but the weights). For shares and rollbacks that hold for every client, turn stickiness off on the forward action, or shorten its duration well below the bakes, before promoting.",
            spec.pointer.describe(),
            shares.join(", "),
        ),
    )
    .at(at)
}
