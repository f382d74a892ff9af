//! Apply: create and update move traffic through the one write path
//! ([`crate::traffic_switch::Switch`]) and record what is live; delete forgets the
//! release and leaves traffic as it is.

use super::attrs;
use super::not_configured;
use super::plan::replaces;
use super::state::{ReleaseState, identity, pair_of, recorded_route_traffic, recorded_traffic, set};
use crate::aws::AwsClients;
use crate::discovery;
use crate::errors::Error;
use crate::promotion_gate;
use crate::release_spec;
use crate::traffic_pointer::Traffic;
use crate::traffic_switch::{Live, LivePair, RouteOutcome, Switch};
use tfplugin::provider::{ApplyResourceRequest, ApplyResourceResponse};
use tfplugin::{AttrPath, Ctx, Diagnostic, Diagnostics, Value, hclog};
use tokio::time::Instant;

/// Applies a planned change (a null planned state: delete).
pub async fn apply(ctx: Ctx, aws: Option<&AwsClients>, req: ApplyResourceRequest) -> ApplyResourceResponse {
    if req.planned_state.is_null() {
        // Delete forgets the release: routing is left exactly as it is.
        hclog::info("release removed from state; traffic left unchanged", &[]);
        return ApplyResourceResponse { new_state: Value::Null, ..Default::default() };
    }
    let Some(aws) = aws else { return ApplyResourceResponse { diagnostics: not_configured(), ..Default::default() } };
    let spec = match release_spec::from_value(&req.planned_state) {
        Ok(s) => s,
        Err(d) => return ApplyResourceResponse { new_state: req.prior_state, diagnostics: d, ..Default::default() },
    };
    let creating =
        req.prior_state.is_null() || attrs::REPLACING.iter().any(|a| replaces(&req.prior_state, &req.planned_state, a));
    let (operation, timeout) = if creating { ("create", spec.create_timeout) } else { ("update", spec.update_timeout) };
    let started = Instant::now();
    let op = promotion_gate::Operation { name: operation, started, deadline: started + timeout };
    let fail = |new_state: Value, errors: Vec<Error>| ApplyResourceResponse {
        new_state,
        diagnostics: errors.iter().map(Error::to_diagnostic).fold(Diagnostics::new(), |mut d, e| {
            d.push(e);
            d
        }),
        identity: Some(identity(&spec.cluster, &spec.pointer)),
        ..Default::default()
    };
    let prior_pair = if creating { None } else { pair_of(&req.prior_state) };
    let replacing_a_group = prior_pair.as_ref().is_some_and(|p| *p != spec.pair);
    if (creating || replacing_a_group)
        && let Err(e) = discovery::check_same_load_balancer(aws, &spec.pointer, &spec.pair).await
    {
        return fail(if creating { Value::Null } else { req.prior_state.clone() }, vec![e]);
    }
    // An update compares live with the traffic its plan was made against (the prior
    // state, refreshed by that plan). A create cannot: Terraform re-plans during apply
    // and hands over only the re-plan's private data, so what the first plan saw is
    // gone (docs/guides: "What a saved plan guarantees").
    let planned_from = if creating { None } else { recorded_traffic(&req.prior_state) };
    let planned_routes = if creating { Vec::new() } else { recorded_route_traffic(&req.prior_state) };
    let outcome = Switch {
        ctx: &ctx,
        aws,
        spec: &spec,
        op: &op,
        planned_from,
        desired: None,
        progress: None,
        prior_pair: prior_pair.as_ref(),
        planned_routes: &planned_routes,
    }
    .run()
    .await;
    let planned = ReleaseState::from_value(&req.planned_state);
    let mut state = match (outcome.live.traffic(), outcome.live_pair, &prior_pair, planned) {
        (Some(live), LivePair::Prior, Some(prior), Some(planned)) => {
            // A replaced target group was not written: state keeps the one live names.
            ReleaseState { pair: prior.clone(), ..planned }.with_traffic(live).to_value()
        }
        (Some(live), _, _, Some(planned)) => planned.with_traffic(live).to_value(),
        (None, ..) if outcome.live == Live::NotASplit => {
            // The pointer was read and is no split of the pair: the traffic the prior
            // state records is not live, so state records none (the next refresh says
            // why; a plan with active_color set shows it being put back).
            let mut state = req.prior_state.clone();
            for attr in attrs::TRAFFIC {
                set(&mut state, attr, Value::Null);
            }
            state
        }
        _ => req.prior_state.clone(),
    };
    record_routes(&mut state, &spec, &outcome.routes, &recorded_route_traffic(&req.prior_state));
    if !outcome.test_pointer_ok && !state.is_null() {
        // The test pointer is not where it should be: record it as not managed, so the
        // next plan shows it and its apply repairs it.
        for attr in attrs::TEST_POINTERS {
            set(&mut state, attr, Value::Null);
        }
    }
    let mut owners = Diagnostics::new();
    for (summary, detail) in &outcome.owner_warnings {
        owners.push(Diagnostic::warning(summary.clone(), detail.clone()).at(AttrPath::root(pointer_attr(&spec))));
    }
    if outcome.errors.is_empty() {
        return ApplyResourceResponse {
            new_state: state,
            identity: Some(identity(&spec.cluster, &spec.pointer)),
            diagnostics: owners,
            ..Default::default()
        };
    }
    // A create that moved no traffic created nothing (at most it attached a color at
    // weight 0); one that did is recorded as live, and Terraform marks it tainted.
    let mut response = fail(if creating && !outcome.moved_traffic { Value::Null } else { state }, outcome.errors);
    if let Some(color) = outcome.attached {
        // The refusal's "nothing was written" is about traffic; say what was written.
        response.diagnostics.warning(
            format!("The {color} target group was attached at weight 0"),
            format!(
                "Before gating on it, this apply added the {color} target group to the forward action of {} at weight 0, so ALB health-checks its targets. No traffic moved.",
                spec.pointer.describe()
            ),
        );
    }
    response.diagnostics.extend(owners);
    response
}

/// Each route of `state` as the switch left it: the traffic it read or wrote, else (a
/// route this apply never reached) what the prior state recorded for it; and its test
/// pointer recorded as not managed when it is not where it should be (the next plan
/// shows it and its apply repairs it).
fn record_routes(
    state: &mut Value,
    spec: &crate::release_spec::ReleaseSpec,
    routes: &[RouteOutcome],
    prior: &[(String, Option<Traffic>)],
) {
    let Some(Value::List(list)) = state.as_object_mut().and_then(|m| m.get_mut(attrs::ROUTE)) else { return };
    for route in list {
        let Some(pointer) = release_spec::pointer_between(route, attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN) else {
            continue;
        };
        let outcome = spec.routes.iter().position(|r| r.pointer == pointer).and_then(|i| routes.get(i));
        let traffic = match outcome {
            Some(o) if o.known => o.live,
            _ => prior.iter().find(|(arn, _)| arn == pointer.arn()).and_then(|(_, t)| *t),
        };
        set(route, attrs::ACTIVE_COLOR, Value::opt_string(traffic.map(|t| t.active.as_str())));
        set(
            route,
            attrs::STANDBY_TRAFFIC_PERCENT,
            traffic.map_or(Value::Null, |t| i64::from(t.standby_percent).into()),
        );
        if outcome.is_some_and(|o| !o.test_pointer_ok) {
            for attr in attrs::TEST_POINTERS {
                set(route, attr, Value::Null);
            }
        }
    }
}

/// The attribute that names the production pointer.
fn pointer_attr(spec: &crate::release_spec::ReleaseSpec) -> &'static str {
    match spec.pointer {
        crate::traffic_pointer::PointerRef::Rule(_) => attrs::LISTENER_RULE_ARN,
        crate::traffic_pointer::PointerRef::Listener(_) => attrs::LISTENER_ARN,
    }
}
