//! Actions `bluegreen_ecs_promote` and `bluegreen_ecs_rollback` (Terraform 1.14+):
//! `terraform apply -invoke=action.bluegreen_ecs_promote.NAME`, or an `action_trigger`
//! in a resource's `lifecycle`.
//!
//! Their configuration is the release resource's inputs, with the same names and block
//! shapes, parsed and validated by [`release_spec`] (the same diagnostics). They move
//! traffic through the one write path, [`crate::traffic_switch::Switch`]: the same gate,
//! compare-before-write, bake and rollback as the resource, plus progress lines
//! streamed to Terraform while the gate waits and the bake runs.
//!
//! - promote: all traffic to `to_color` (default: the standby when the invoke starts),
//!   through the resource's gate and bake (`promotion` block, same defaults).
//! - rollback: all traffic back at once (a canary ends on its majority color, otherwise
//!   the standby takes it; `to_color` overrides), gated only on healthy targets of the
//!   color taking the traffic back (`promotion.min_healthy_targets`, default 1; 0 turns
//!   the check off, which the plan and the progress lines say). No alarms (they are
//!   usually why one rolls back), no service steadiness, no bake.
//!
//! An action has no state: a release resource on the same pointer sees the new traffic
//! on its next refresh (adopt mode follows it; enforce mode shows it as drift).

use crate::aws::AwsClients;
use crate::discovery;
use crate::errors::Error;
use crate::promotion_gate::{self, Operation, Promotion};
use crate::release_spec::{self, ReleaseSpec};
use crate::resource_ecs_release;
use crate::resource_ecs_release::attrs;
use crate::traffic_pointer::{Color, Traffic};
use crate::traffic_switch::{HookStage, Live, Outcome, Switch};
use std::time::Duration;
use tfplugin::provider::{ActionProgressSink, InvokeActionRequest, PlanActionRequest, PlanActionResponse};
use tfplugin::schema::{ActionSchema, Attribute, Block, NestedBlock, Schema};
use tfplugin::{AttrPath, Ctx, Diagnostic, Diagnostics, Type, Value, hclog};
use tokio::time::Instant;

pub const PROMOTE: &str = "bluegreen_ecs_promote";
pub const ROLLBACK: &str = "bluegreen_ecs_rollback";
/// The one input the actions add to the release's: the color that gets all traffic.
const TO_COLOR: &str = "to_color";

/// Which action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Promote,
    Rollback,
}

impl Kind {
    fn of(type_name: &str) -> Option<Kind> {
        match type_name {
            PROMOTE => Some(Kind::Promote),
            ROLLBACK => Some(Kind::Rollback),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Promote => PROMOTE,
            Kind::Rollback => ROLLBACK,
        }
    }
}

// ---------------------------------------------------------------------------------
// Schemas

/// The resource's nested block `name` (the `blue`/`green`/`promotion` shapes are
/// defined once, there).
fn resource_block(name: &str) -> Option<NestedBlock> {
    resource_ecs_release::schema().schema.block.blocks.into_iter().find(|b| b.name == name)
}

/// The locator inputs both actions share with the resource.
fn locators(description: &str) -> Block {
    let mut block = Block::new(description)
        .attribute(Attribute::required(attrs::CLUSTER, Type::String, "ECS cluster name or ARN of the release."))
        .attribute(Attribute::optional(
            attrs::LISTENER_RULE_ARN,
            Type::String,
            "The listener rule whose forward action is the production pointer. Exactly one of `listener_rule_arn` and `listener_arn`.",
        ))
        .attribute(Attribute::optional(
            attrs::LISTENER_ARN,
            Type::String,
            "The listener whose default action is the production pointer. Exactly one of `listener_rule_arn` and `listener_arn`.",
        ))
        .attribute(Attribute::optional(
            attrs::TEST_LISTENER_RULE_ARN,
            Type::String,
            "Optional listener rule that always forwards to the standby color; it follows the new standby.",
        ))
        .attribute(Attribute::optional(
            attrs::TEST_LISTENER_ARN,
            Type::String,
            "Optional listener whose default action always forwards to the standby color; it follows the new standby.",
        ));
    for color in attrs::COLORS {
        if let Some(b) = resource_block(color) {
            block = block.block(b);
        }
    }
    // The resource's route block, without the traffic its state records.
    block.block(NestedBlock::list(
        attrs::ROUTE,
        resource_ecs_release::route_block(false),
        i64::try_from(release_spec::MAX_ROUTES).unwrap_or(10),
    ))
}

pub fn promote_schema() -> ActionSchema {
    let mut block = locators(
        "Moves all traffic of a release to one color (by default the standby) through the promotion gate, \
         then bakes it and rolls back if the bake fails: the same gate, compare-before-write, bake and rollback \
         as the `bluegreen_ecs_release` resource. Progress is reported while the gate waits and the bake runs.",
    )
    .attribute(Attribute::optional(
        TO_COLOR,
        Type::String,
        "`blue` or `green`: the color that gets all traffic. Defaults to the standby color when the invoke starts; \
         set it to make a repeated or late invoke do nothing rather than switch back.",
    ));
    if let Some(p) = resource_block(attrs::PROMOTION) {
        block = block.block(p);
    }
    ActionSchema { schema: Schema { version: 0, block } }
}

pub fn rollback_schema() -> ActionSchema {
    let mut block = locators(
        "Moves all traffic of a release back (standby share 0), at once or in the steps of `promotion.strategy`: \
         during a canary, to the color carrying most traffic (the canary ends); otherwise to the standby color. \
         It checks only that the color taking the traffic back has healthy targets (and runs `promotion.hook`): \
         no alarms (they are usually why one rolls back), no service steadiness, no final bake. Writes are guarded like the resource's: nothing is written over a change someone \
         else made meanwhile. In steps, a health check that fails before a step or during its bake stops the rollback where it is \
         (traffic is never handed back to the color it moves away from; the error names the step and the traffic left, and \
         invoking it again goes on from there), and a lifecycle hook is told each step but never stops a rollback, as ECS does: \
         its failure is a warning.",
    )
    .attribute(Attribute::optional(
        TO_COLOR,
        Type::String,
        "`blue` or `green`: the color that gets all traffic back. Omitted: during a canary the majority color \
         (the canary, the version under suspicion, gets nothing); otherwise the standby color. Set it to send all \
         traffic to a canary's minority color.",
    ));
    let gate = Block::new(
        "The health check before traffic moves back. It is never skipped unless `min_healthy_targets = 0` says so.",
    )
    .attribute(Attribute::optional(
        attrs::promotion::MIN_HEALTHY_TARGETS,
        Type::Number,
        "Healthy targets the standby color must have before it takes the traffic. Defaults to 1; `0` moves \
         traffic without checking (the plan warns).",
    ))
    .attribute(Attribute::optional(
        attrs::promotion::WAIT_TIMEOUT,
        Type::String,
        "How long to wait for enough healthy targets before failing, e.g. `1m`. Defaults to `5m`.",
    ));
    // The promotion's steps and hooks, defined once in the resource's schema.
    let mut gate = gate;
    if let Some(promotion) = resource_block(attrs::PROMOTION) {
        let steps = promotion.block;
        for name in [attrs::promotion::STRATEGY, attrs::promotion::NLB_PROPAGATION_DELAY] {
            if let Some(a) = steps.attributes.iter().find(|a| a.name == name) {
                gate = gate.attribute(a.clone());
            }
        }
        for b in steps.blocks.into_iter().filter(|b| {
            [attrs::promotion::CANARY, attrs::promotion::LINEAR, attrs::promotion::HOOK].contains(&b.name.as_str())
        }) {
            gate = gate.block(b);
        }
    }
    block = block.block(NestedBlock::list_max_one(attrs::PROMOTION, gate));
    ActionSchema { schema: Schema { version: 0, block } }
}

// ---------------------------------------------------------------------------------
// Validation and parsing

/// Static checks of an action's configuration: the resource's (one implementation),
/// plus `to_color`. Unknown values are skipped.
pub fn validate(type_name: &str, config: &Value) -> Diagnostics {
    let Some(kind) = Kind::of(type_name) else {
        return crate::errors::unknown_type("action", type_name);
    };
    let mut d = release_spec::validate(config);
    if let Some(color) = config.get(TO_COLOR).as_str()
        && Color::parse(color).is_none()
    {
        let omitted = match kind {
            Kind::Promote => "omit it to promote the standby color",
            Kind::Rollback => "omit it to end a canary on the majority color (otherwise: the standby color)",
        };
        d.error_at(
            AttrPath::root(TO_COLOR),
            "Invalid to_color",
            format!("{color:?} is not a color: use \"blue\" or \"green\", or {omitted}."),
        );
    }
    d
}

/// What one invoke does: the release, and the traffic it moves to.
#[derive(Debug)]
struct Plan {
    spec: ReleaseSpec,
    /// None: all traffic to `spec.active_color` (promote with `to_color`).
    desired: Option<fn(Traffic) -> Traffic>,
}

/// All traffic to the standby of what is live.
fn all_to_standby(live: Traffic) -> Traffic {
    Traffic { active: live.active.other(), standby_percent: 0 }
}

/// A rollback without `to_color`: a canary ends on the majority color (the canary is
/// the version under suspicion); with no canary, all traffic goes to the standby.
fn roll_back(live: Traffic) -> Traffic {
    if live.standby_percent > 0 { Traffic { active: live.active, standby_percent: 0 } } else { all_to_standby(live) }
}

/// An action's configuration, typed: the release it moves (the resource's inputs,
/// parsed by [`release_spec`]) and `to_color`.
#[derive(Debug)]
struct ActionConfig {
    release: ReleaseSpec,
    /// None: the action picks (promote: the standby; rollback: [`roll_back`]).
    to_color: Option<Color>,
}

impl ActionConfig {
    /// A validated, wholly known configuration.
    fn from_value(kind: Kind, config: &Value) -> Result<ActionConfig, Diagnostics> {
        let d = validate(kind.name(), config);
        if d.has_errors() {
            return Err(d);
        }
        let release = release_spec::from_value(config)?;
        Ok(ActionConfig { release, to_color: config.get(TO_COLOR).as_str().and_then(Color::parse) })
    }
}

/// The invoke of a validated, wholly known configuration.
fn parse(kind: Kind, config: &Value) -> Result<Plan, Diagnostics> {
    let ActionConfig { release: mut spec, to_color: to } = ActionConfig::from_value(kind, config)?;
    match kind {
        Kind::Promote => {
            spec.active_color = to;
            spec.standby_percent = Some(0);
            Ok(Plan { spec, desired: if to.is_some() { None } else { Some(all_to_standby) } })
        }
        Kind::Rollback => {
            spec.active_color = to;
            spec.standby_percent = Some(0);
            spec.promotion = Promotion {
                min_healthy_targets: spec.promotion.min_healthy_targets,
                wait_timeout: spec.promotion.wait_timeout,
                alarm_names: Vec::new(),
                bake_time: Duration::ZERO,
                rollback_on_failure: false,
                check_services: false,
                // A rollback is usually why the SLOs fail: they do not gate it.
                dynatrace: None,
                // The same steps and hooks as a promotion: a team that ramps up in steps
                // may want to ramp back the same way, with its hooks told at each step.
                strategy: spec.promotion.strategy.clone(),
                hooks: spec.promotion.hooks.clone(),
                // A stepped rollback on an NLB waits for each step's weights too.
                nlb_propagation_delay: spec.promotion.nlb_propagation_delay,
                rolling_back: true,
            };
            Ok(Plan { spec, desired: if to.is_some() { None } else { Some(roll_back) } })
        }
    }
}

/// How long an invoke may run: every step's gate wait and bake, every hook's timeout at
/// every stage it may run at, the final bake and the waits for an NLB (`nlb_delay`,
/// zero on an ALB), plus time for the AWS calls around them (the action has no
/// `timeouts` block; each wait has its own bound).
fn invoke_deadline(p: &Promotion, nlb_delay: Duration) -> Duration {
    let blue = Traffic { active: Color::Blue, standby_percent: 0 };
    let green = Traffic { active: Color::Green, standby_percent: 0 };
    let steps = promotion_gate::steps(&p.strategy, blue, green);
    let n = u32::try_from(steps.len()).unwrap_or(u32::MAX);
    let hooks: Duration = p
        .hooks
        .iter()
        .map(|h| if h.stage == HookStage::ProductionTrafficShift { h.timeout.saturating_mul(n) } else { h.timeout })
        .sum();
    p.wait_timeout.saturating_mul(n)
        + promotion_gate::least_time(&steps)
        + hooks
        + p.bake_time
        + release_spec::propagation_time(nlb_delay, steps.len(), !p.bake_time.is_zero())
        + Duration::from_secs(120)
}

fn not_configured() -> Diagnostics {
    crate::errors::not_configured("action")
}

fn no_health_check_warning() -> Diagnostic {
    Diagnostic::warning(
        "Rollback without a health check",
        "promotion.min_healthy_targets is 0, so the rollback moves all traffic without checking that it has healthy targets. Remove it (default 1) to keep the check.",
    )
    .at(AttrPath::root(attrs::PROMOTION).index(0).attr(attrs::promotion::MIN_HEALTHY_TARGETS))
}

// ---------------------------------------------------------------------------------
// Plan

/// Validates, and with a known configuration reads the pointer (as the resource's
/// plan does): errors for a pointer that cannot be managed, warnings for a detached
/// color, a rollback that would promote a canary, or a rollback without health check.
pub async fn plan(aws: Option<&AwsClients>, req: PlanActionRequest) -> PlanActionResponse {
    let Some(kind) = Kind::of(&req.action_type) else {
        return PlanActionResponse { diagnostics: validate(&req.action_type, &req.config) };
    };
    let mut diagnostics = validate(kind.name(), &req.config);
    if diagnostics.has_errors() || !req.config.is_wholly_known() {
        return PlanActionResponse { diagnostics };
    }
    let plan = match parse(kind, &req.config) {
        Ok(p) => p,
        Err(d) => return PlanActionResponse { diagnostics: d },
    };
    let spec = &plan.spec;
    if kind == Kind::Rollback && spec.promotion.min_healthy_targets == 0 {
        diagnostics.push(no_health_check_warning());
    }
    let Some(aws) = aws else { return PlanActionResponse { diagnostics } };
    if let Some(region) = aws.region.as_deref() {
        diagnostics.extend(release_spec::hook_region_errors(&req.config, region));
    }
    let read = aws.pointers.read(&spec.pointer).await;
    match read.and_then(|p| Ok((p.traffic(&spec.pair, None)?, p.detached(&spec.pair)?, p.stickiness_seconds()))) {
        Ok((live, detached, sticky)) => {
            let want = match plan.desired {
                Some(desired) => desired(live),
                None => spec.desired(live),
            };
            let (steps, least) = resource_ecs_release::least_time_of_release_move(spec, live, want);
            if let Some(seconds) = sticky
                && (steps.len() > 1 || least > promotion_gate::least_time(&steps))
            {
                diagnostics.push(resource_ecs_release::stickiness_warning(spec, &steps, seconds));
            }
            if let Some(color) = detached {
                diagnostics.push(resource_ecs_release::detached_warning(&spec.pointer, &spec.pair, color));
            }
            if kind == Kind::Rollback && live.standby_percent > 0 && spec.active_color == Some(live.active.other()) {
                diagnostics.warning(
                    "The rollback moves all traffic to the canary color",
                    format!(
                        "{} sends {live} now, and to_color = \"{}\" gives all traffic to the canary. Omit to_color to end the canary on {} instead.",
                        spec.pointer.describe(),
                        live.active.other(),
                        live.active,
                    ),
                );
            }
        }
        Err(e) => diagnostics.push(e.to_diagnostic()),
    }
    if !diagnostics.has_errors()
        && let Err(e) = discovery::check_same_load_balancer(aws, &spec.pointer, &spec.pair).await
    {
        diagnostics.push(e.to_diagnostic());
    }
    PlanActionResponse { diagnostics }
}

// ---------------------------------------------------------------------------------
// Invoke

/// Runs the action: the switch through the gate (and, for promote, the bake), with
/// every progress line forwarded to Terraform as it happens. Ctrl-C stops the wait:
/// nothing is written before the switch; after it, the bake rolls back if the traffic
/// is still what this invoke wrote.
pub async fn invoke(
    ctx: Ctx,
    aws: Option<&AwsClients>,
    req: InvokeActionRequest,
    progress: ActionProgressSink,
) -> Diagnostics {
    let Some(kind) = Kind::of(&req.action_type) else { return validate(&req.action_type, &req.config) };
    let Some(aws) = aws else { return not_configured() };
    let plan = match parse(kind, &req.config) {
        Ok(p) => p,
        Err(d) => return d,
    };
    let spec = &plan.spec;
    let mut diagnostics = Diagnostics::new();
    if kind == Kind::Rollback && spec.promotion.min_healthy_targets == 0 {
        // The plan already warned (Terraform prints plan warnings with the invoke).
        progress.progress("health check off: promotion.min_healthy_targets = 0").await;
    }
    if let Err(e) = discovery::check_same_load_balancer(aws, &spec.pointer, &spec.pair).await {
        diagnostics.push(e.to_diagnostic());
        return diagnostics;
    }
    let started = Instant::now();
    let op = Operation {
        name: kind.name(),
        started,
        deadline: started + invoke_deadline(&spec.promotion, release_spec::propagation_delay(spec)),
    };
    // The switch reports synchronously; a second task of this future forwards the
    // lines to Terraform in order, and ends when the switch (and its sender) is done.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let forward = forward_progress(rx, progress, ctx.clone(), kind.name());
    let switch = async move {
        let say = move |line: String| {
            let _ = tx.send(line);
        };
        Switch {
            ctx: &ctx,
            aws,
            spec,
            op: &op,
            planned_from: None,
            desired: plan.desired,
            progress: Some(&say),
            prior_pair: None,
            planned_routes: &[],
        }
        .run()
        .await
    };
    let (outcome, ()) = tokio::join!(switch, forward);
    diagnostics.extend(report(kind, spec, &outcome));
    diagnostics
}

/// A progress line goes out at least this often: when the switch says nothing new (a
/// slow poll, a retried write), the last line is repeated with how long ago it was true.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(4);

/// Forwards the switch's lines to Terraform in order, repeating the last one whenever
/// nothing was sent for [`HEARTBEAT`], until the switch (the sender) is done.
async fn forward_progress(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<String>,
    progress: ActionProgressSink,
    stop: Ctx,
    action: &'static str,
) {
    let mut last: Option<(String, Instant)> = None;
    let mut sent = Instant::now();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    loop {
        let line = tokio::select! {
            line = rx.recv() => match line {
                Some(line) => {
                    last = Some((line.clone(), Instant::now()));
                    line
                }
                None => return,
            },
            _ = tick.tick() => match &last {
                Some((line, at)) if sent.elapsed() >= HEARTBEAT => {
                    format!("{line} (still working; that was {}s ago)", at.elapsed().as_secs())
                }
                _ => continue,
            },
        };
        hclog::info("action progress", &[("action", &action), ("message", &line)]);
        sent = Instant::now();
        // After Ctrl-C, lines go to the log only: Terraform 1.15 stops reading progress
        // events once it is stopping and then crashes on the next one ("range function
        // continued iteration"). What happened after the stop (a rollback) is in the
        // final diagnostics instead. A false return (the stream is gone) needs nothing:
        // the switch still ends on its own.
        if !stop.is_stopped() {
            let _ = progress.progress(line).await;
        }
    }
}

/// The diagnostics of a finished switch: each error, with an interruption said in an
/// action's words (there is no state to record), and the weight-0 attachment.
fn report(kind: Kind, spec: &ReleaseSpec, outcome: &Outcome) -> Diagnostics {
    let mut d = Diagnostics::new();
    let live = match outcome.live {
        Live::Traffic(t) => format!("{} sends {t}", spec.pointer.describe()),
        Live::NotASplit => format!("{} forwards to no split of the pair", spec.pointer.describe()),
        Live::Unread => format!("{} could not be read", spec.pointer.describe()),
    };
    for e in &outcome.errors {
        match e {
            Error::Stopped { during } => d.error(
                format!("{} interrupted", kind.name()),
                format!("Terraform asked the provider to stop during {during}. {live}."),
            ),
            e => {
                // The switch's words are the resource's; an action has no state.
                let mut diag = e.to_diagnostic();
                diag.detail = diag.detail.replace(", and the state records that", "");
                d.push(diag);
            }
        }
    }
    for (summary, detail) in outcome.warnings.iter().chain(&outcome.owner_warnings) {
        d.warning(summary.clone(), detail.clone());
    }
    if !outcome.errors.is_empty()
        && let Some(color) = outcome.attached
    {
        d.warning(
            format!("The {color} target group was attached at weight 0"),
            format!(
                "Before gating on it, this action added the {color} target group to the forward action of {} at weight 0, so ALB health-checks its targets. No traffic moved.",
                spec.pointer.describe()
            ),
        );
    }
    hclog::info(
        "action finished",
        &[("action", &kind.name()), ("errors", &outcome.errors.len()), ("wrote", &outcome.wrote)],
    );
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release_spec::tests::{BLUE, GREEN, LISTENER, RULE, color};

    #[tokio::test(start_paused = true)]
    async fn progress_goes_out_at_least_every_5_seconds_even_when_the_switch_is_silent() {
        let (sink, mut received) = ActionProgressSink::channel(64);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let forward = tokio::spawn(forward_progress(rx, sink, Ctx::detached(), "bluegreen_ecs_promote"));
        // The switch says one thing, then nothing for 13 s (a slow poll), then ends.
        tx.send("green: 0/2 targets healthy (2 initial)".into()).unwrap();
        let mut times = Vec::new();
        let start = Instant::now();
        let collect = async {
            while let Some(line) = received.recv().await {
                times.push((start.elapsed(), line));
            }
        };
        let finish = async {
            tokio::time::sleep(Duration::from_secs(13)).await;
            tx.send("green: gate passed".into()).unwrap();
            drop(tx);
        };
        let (_, _, r) = tokio::join!(collect, finish, forward);
        r.unwrap();
        let mut previous = Duration::ZERO;
        for (at, _) in &times {
            assert!(*at - previous <= Duration::from_secs(5), "a gap of {:?} before {at:?}: {times:?}", *at - previous);
            previous = *at;
        }
        assert!(times.iter().any(|(_, l)| l.contains("still working")), "{times:?}");
        assert_eq!(times.last().unwrap().1, "green: gate passed");
    }

    fn config(extra: &[(&str, Value)]) -> Value {
        let mut v = Value::object([
            (attrs::CLUSTER, Value::from("prod")),
            (attrs::LISTENER_RULE_ARN, Value::from(RULE)),
            (attrs::LISTENER_ARN, Value::Null),
            (attrs::TEST_LISTENER_RULE_ARN, Value::Null),
            (attrs::TEST_LISTENER_ARN, Value::Null),
            (attrs::BLUE, color(BLUE)),
            (attrs::GREEN, color(GREEN)),
            (attrs::PROMOTION, Value::List(vec![])),
        ]);
        for (k, x) in extra {
            v.as_object_mut().unwrap().insert(k.to_string(), x.clone());
        }
        v
    }

    fn names(b: &Block) -> (Vec<String>, Vec<String>) {
        let mut attrs: Vec<String> = b.attributes.iter().map(|a| a.name.clone()).collect();
        let mut blocks: Vec<String> = b.blocks.iter().map(|n| n.name.clone()).collect();
        attrs.sort();
        blocks.sort();
        (attrs, blocks)
    }

    #[test]
    fn the_actions_take_the_resource_inputs_with_the_same_names_and_shapes() {
        let resource = resource_ecs_release::schema().schema.block;
        let promote = promote_schema().schema.block;
        let (attrs, blocks) = names(&promote);
        assert_eq!(
            attrs,
            [
                attrs::CLUSTER,
                attrs::LISTENER_ARN,
                attrs::LISTENER_RULE_ARN,
                attrs::TEST_LISTENER_ARN,
                attrs::TEST_LISTENER_RULE_ARN,
                "to_color"
            ]
        );
        assert_eq!(blocks, [attrs::BLUE, attrs::GREEN, attrs::PROMOTION, attrs::ROUTE]);
        for b in &promote.blocks {
            let r = resource.blocks.iter().find(|r| r.name == b.name).unwrap();
            assert_eq!((b.nesting, b.min_items, b.max_items), (r.nesting, r.min_items, r.max_items), "{}", b.name);
            // The inputs: what the resource only computes (a route's traffic) is state.
            let mut inputs = r.block.clone();
            inputs.attributes.retain(|a| a.required || a.optional);
            assert_eq!(names(&b.block), names(&inputs), "{}", b.name);
        }
        for a in &promote.attributes {
            if let Some(r) = resource.attributes.iter().find(|r| r.name == a.name) {
                assert_eq!((&a.ty, a.required, a.optional), (&r.ty, r.required, r.optional), "{}", a.name);
            }
        }
        let rollback = rollback_schema().schema.block;
        let (attrs, blocks) = names(&rollback);
        assert!(attrs.contains(&"to_color".to_string()));
        assert_eq!(blocks, [attrs::BLUE, attrs::GREEN, attrs::PROMOTION, attrs::ROUTE]);
        let gate = rollback.blocks.iter().find(|b| b.name == attrs::PROMOTION).unwrap();
        assert_eq!(
            names(&gate.block),
            (
                vec![
                    attrs::promotion::MIN_HEALTHY_TARGETS.to_string(),
                    attrs::promotion::NLB_PROPAGATION_DELAY.into(),
                    attrs::promotion::STRATEGY.into(),
                    attrs::promotion::WAIT_TIMEOUT.into()
                ],
                vec![
                    attrs::promotion::CANARY.to_string(),
                    attrs::promotion::HOOK.into(),
                    attrs::promotion::LINEAR.into()
                ]
            )
        );
    }

    #[test]
    fn bad_input_is_reported_at_its_attribute_with_the_resource_diagnostics() {
        let cases: Vec<(&str, Value, &str, &str)> = vec![
            (PROMOTE, config(&[("to_color", "purple".into())]), "to_color", "omit it to promote the standby"),
            (ROLLBACK, config(&[("to_color", "red".into())]), "to_color", "omit it to end a canary on the majority"),
            (PROMOTE, config(&[(attrs::LISTENER_ARN, LISTENER.into())]), attrs::LISTENER_ARN, "exactly one"),
            (
                ROLLBACK,
                config(&[(attrs::LISTENER_RULE_ARN, "nope".into())]),
                attrs::LISTENER_RULE_ARN,
                "expected arn:aws",
            ),
            (PROMOTE, config(&[(attrs::GREEN, color(BLUE))]), "green[0].target_group_arn", "two different"),
            (
                ROLLBACK,
                config(&[(
                    attrs::PROMOTION,
                    Value::List(vec![Value::object([(attrs::promotion::WAIT_TIMEOUT, Value::from("soon"))])]),
                )]),
                "promotion[0].wait_timeout",
                "\"5m\"",
            ),
            (
                PROMOTE,
                config(&[(
                    attrs::PROMOTION,
                    Value::List(vec![Value::object([(attrs::promotion::MIN_HEALTHY_TARGETS, Value::from(-1))])]),
                )]),
                "promotion[0].min_healthy_targets",
                "from 0",
            ),
        ];
        for (action, c, attr, fix) in cases {
            let d = validate(action, &c);
            let hit = d.iter().find(|d| d.path.as_ref().map(|p| p.to_string()).as_deref() == Some(attr));
            let hit = hit.unwrap_or_else(|| panic!("{action}: no error at {attr}: {d}"));
            assert!(hit.detail.contains(fix), "{attr}: {:?} does not say {fix:?}", hit.detail);
            assert!(parse(Kind::of(action).unwrap(), &c).is_err());
        }
        assert!(validate(PROMOTE, &config(&[("to_color", Value::Unknown)])).is_empty());
        assert!(validate("bluegreen_nope", &config(&[])).has_errors());
    }

    #[test]
    fn promote_moves_all_traffic_to_to_color_or_the_standby() {
        let blue = Traffic { active: Color::Blue, standby_percent: 0 };
        let canary = Traffic { active: Color::Blue, standby_percent: 10 };
        let green = Traffic { active: Color::Green, standby_percent: 0 };
        let p = parse(Kind::Promote, &config(&[])).unwrap();
        let desired = p.desired.unwrap();
        assert_eq!((desired(blue), desired(canary), desired(green)), (green, green, blue));
        assert_eq!(p.spec.promotion, Promotion::default(), "the resource's defaults");
        let to_blue = parse(Kind::Promote, &config(&[("to_color", "blue".into())])).unwrap();
        assert!(to_blue.desired.is_none());
        assert_eq!((to_blue.spec.desired(green), to_blue.spec.desired(canary)), (blue, blue));
        let baking = config(&[(
            attrs::PROMOTION,
            Value::List(vec![Value::object([
                (attrs::promotion::BAKE_TIME, Value::from("2m")),
                (attrs::promotion::ALARM_NAMES, Value::List(vec!["a".into()])),
            ])]),
        )]);
        let p = parse(Kind::Promote, &baking).unwrap();
        assert_eq!((p.spec.promotion.bake_time, p.spec.promotion.alarm_names.len()), (Duration::from_secs(120), 1));
        assert_eq!(invoke_deadline(&p.spec.promotion, Duration::ZERO), Duration::from_secs(300 + 120 + 120));
        // On an NLB the final bake waits for the weights first.
        assert_eq!(
            invoke_deadline(&p.spec.promotion, Duration::from_secs(600)),
            Duration::from_secs(300 + 120 + 600 + 120)
        );
    }

    #[test]
    fn rollback_checks_only_healthy_targets_unless_told_not_to() {
        let p = parse(Kind::Rollback, &config(&[])).unwrap();
        let g = &p.spec.promotion;
        assert_eq!((g.min_healthy_targets, g.wait_timeout), (1, Duration::from_secs(300)));
        assert!(!g.check_services && g.alarm_names.is_empty() && g.bake_time.is_zero());
        let desired = p.desired.unwrap();
        let (blue, green) =
            (Traffic { active: Color::Blue, standby_percent: 0 }, Traffic { active: Color::Green, standby_percent: 0 });
        let canary = Traffic { active: Color::Blue, standby_percent: 10 };
        // A canary ends on the majority color: the canary (the suspect) gets nothing.
        assert_eq!((desired(canary), desired(blue), desired(green)), (blue, green, blue));
        let to_green = parse(Kind::Rollback, &config(&[("to_color", "green".into())])).unwrap();
        assert!(to_green.desired.is_none());
        assert_eq!((to_green.spec.desired(canary), to_green.spec.desired(blue)), (green, green));
        let off = config(&[(
            attrs::PROMOTION,
            Value::List(vec![Value::object([
                (attrs::promotion::MIN_HEALTHY_TARGETS, Value::from(0)),
                (attrs::promotion::WAIT_TIMEOUT, Value::from("1m")),
            ])]),
        )]);
        let p = parse(Kind::Rollback, &off).unwrap();
        assert_eq!((p.spec.promotion.min_healthy_targets, p.spec.promotion.wait_timeout), (0, Duration::from_secs(60)));
    }

    #[tokio::test]
    async fn without_aws_plan_validates_and_invoke_says_the_provider_is_not_configured() {
        let (sink, _rx) = ActionProgressSink::channel(4);
        let req = InvokeActionRequest { action_type: PROMOTE.into(), config: config(&[]) };
        let d = invoke(Ctx::detached(), None, req, sink).await;
        assert!(d.iter().any(|d| d.summary == "Provider not configured"), "{d}");
        let off = config(&[(
            attrs::PROMOTION,
            Value::List(vec![Value::object([(attrs::promotion::MIN_HEALTHY_TARGETS, Value::from(0))])]),
        )]);
        let d = plan(None, PlanActionRequest { action_type: ROLLBACK.into(), config: off }).await.diagnostics;
        assert!(!d.has_errors() && d.iter().any(|d| d.summary == "Rollback without a health check"), "{d}");
        let d = plan(
            None,
            PlanActionRequest { action_type: PROMOTE.into(), config: config(&[("to_color", "red".into())]) },
        )
        .await
        .diagnostics;
        assert!(d.has_errors());
    }
}
