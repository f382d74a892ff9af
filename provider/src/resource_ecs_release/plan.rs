//! Plan: the planned state of a release (derived values, what stays unknown), what
//! replaces it, and the plan-time checks of what the apply will do.

use super::attrs;
use super::plan_routes::{check_routes, new_or_changed_routes, plan_route_traffic};
use super::read::{detached_warning, pointer_attr};
use super::state::{
    ReleaseState, identity, pair_of, pointer_of, recorded_route_traffic, recorded_traffic, release_id, set,
};
use super::timing::check_the_time;
use crate::aws::AwsClients;
use crate::discovery;
use crate::import_adoption;
use crate::pointer_owner;
use crate::promotion_gate;
use crate::release_spec::{self, ReleaseSpec, route_path};
use crate::traffic_pointer::{self, Color, PointerRef, Traffic};
use tfplugin::provider::{PlanResourceRequest, PlanResourceResponse};
use tfplugin::{AttrPath, Diagnostic, Diagnostics, Value, hclog};

/// Whether a change of `attr` (one of [`attrs::REPLACING`]) replaces the release. A cluster's
/// name and its ARN are one cluster (an import by name against a configuration with the
/// ARN): that is an in-place update that writes nothing.
pub(super) fn replaces(prior: &Value, planned: &Value, attr: &str) -> bool {
    let (before, after) = (prior.get(attr), planned.get(attr));
    let respelled = attr == attrs::CLUSTER
        && before.as_str().zip(after.as_str()).is_some_and(|(b, n)| crate::arn::same_cluster(b, n));
    before != after && !respelled
}

/// Fills the derived attributes of a planned state from its (maybe unknown) inputs.
fn plan_derived(planned: &mut Value) {
    let id = match (planned.get(attrs::CLUSTER).as_str(), pointer_of(planned)) {
        (Some(c), Some(p)) => Value::from(release_id(c, &p)),
        _ => Value::Unknown,
    };
    set(planned, attrs::ID, id);
    let active = planned.get(attrs::ACTIVE_COLOR).as_str().and_then(Color::parse);
    match (active, pair_of(planned)) {
        (Some(a), Some(pair)) => {
            set(planned, attrs::STANDBY_COLOR, a.other().as_str().into());
            set(planned, attrs::ACTIVE_TARGET_GROUP_ARN, pair.target_group(a).into());
            set(planned, attrs::STANDBY_TARGET_GROUP_ARN, pair.target_group(a.other()).into());
        }
        (Some(a), None) => {
            set(planned, attrs::STANDBY_COLOR, a.other().as_str().into());
            set(planned, attrs::ACTIVE_TARGET_GROUP_ARN, Value::Unknown);
            set(planned, attrs::STANDBY_TARGET_GROUP_ARN, Value::Unknown);
        }
        _ => {
            for attr in &attrs::DERIVED[..3] {
                set(planned, attr, Value::Unknown);
            }
        }
    }
}

/// Plans a create, update or replace: the planned state, what replaces, and warnings
/// and refusals at the attribute they are about.
pub async fn plan(aws: Option<&AwsClients>, req: PlanResourceRequest) -> PlanResourceResponse {
    if req.proposed_new_state.is_null() {
        return PlanResourceResponse { planned_state: Value::Null, ..Default::default() };
    }
    let mut diagnostics = release_spec::validate(&req.config);
    if diagnostics.has_errors() {
        return PlanResourceResponse { planned_state: req.proposed_new_state, diagnostics, ..Default::default() };
    }
    let mut planned = req.proposed_new_state;
    let planned_private = req.prior_private.clone();
    let requires_replace: Vec<AttrPath> = attrs::REPLACING
        .iter()
        .filter(|a| replaces(&req.prior_state, &planned, a))
        .map(|a| AttrPath::root(*a))
        .collect();
    let creating = req.prior_state.is_null() || !requires_replace.is_empty();
    if creating {
        leave_adopted_values_unknown(&req.config, &mut planned);
    }
    if let Some(region) = aws.and_then(|a| a.region.as_deref()) {
        diagnostics.extend(release_spec::hook_region_errors(&req.config, region));
    }
    let spec = release_spec::from_value(&planned_known_inputs(&planned)).ok();
    let moving = match (creating, aws, &spec) {
        (true, Some(aws), Some(spec)) => read_live_at_create(aws, spec, &mut diagnostics).await,
        (true, _, _) => None,
        (false, _, _) => {
            check_replaced_target_groups(aws, &req.prior_state, &planned, spec.as_ref(), &mut diagnostics).await;
            match (&spec, recorded_traffic(&req.prior_state)) {
                (Some(spec), Some(from)) => say_the_steps(spec, from, &mut diagnostics),
                _ => None,
            }
        }
    };
    if let (Some(aws), Some(spec)) = (aws, &spec) {
        let prior = if creating { None } else { ReleaseState::from_value(&req.prior_state) };
        let changed = new_or_changed_routes(spec, prior.as_ref());
        // Every pointer at create; at an update only a new or changed route's. An
        // update's apply re-plans, and a lookup of every pointer there would cost each
        // promotion a second listing of the cluster beside the gate's; the apply says
        // it instead, from the gate's listing (traffic_switch).
        let looked_up: Option<Vec<usize>> = (!creating).then(|| changed.iter().map(|(i, _)| *i).collect());
        if looked_up.as_ref().is_none_or(|routes| !routes.is_empty()) {
            diagnostics.extend(owner_warnings(aws, spec, looked_up.as_deref()).await);
        }
        let prior_pair = prior.as_ref().map(|p| &p.pair);
        check_routes(aws, &changed, (&spec.pair, prior_pair), &mut diagnostics).await;
    }
    let release_moves = match (&spec, creating) {
        (Some(spec), false) => recorded_traffic(&req.prior_state).map(|from| (from, spec.desired(from))),
        _ => None,
    };
    plan_route_traffic(&req.config, &req.prior_state, &mut planned, release_moves, &mut diagnostics);
    if let Some(spec) = &spec {
        check_the_time(aws, &req.config, spec, creating, moving, &mut diagnostics).await;
    }
    plan_derived(&mut planned);
    if import_adoption::is_withheld(&req.prior_private) {
        keep_what_the_import_withheld(&req.prior_state, &mut planned);
    }
    let planned_identity = match (planned.get(attrs::CLUSTER).as_str(), pointer_of(&planned)) {
        (Some(c), Some(p)) => Some(identity(c, &p)),
        _ => None,
    };
    PlanResourceResponse { planned_state: planned, requires_replace, planned_private, planned_identity, diagnostics }
}

/// The traffic a plan's apply moves, and the live pointer when this plan read it.
pub(super) struct Moving {
    pub from: Traffic,
    pub to: Traffic,
    pub pointer: Option<traffic_pointer::Pointer>,
}

/// A create adopts what the configuration leaves out: unknown until the apply reads it.
fn leave_adopted_values_unknown(config: &Value, planned: &mut Value) {
    for attr in attrs::ADOPTED {
        if config.get(attr).is_null() {
            set(planned, attr, Value::Unknown);
        }
    }
}

/// At create, reads what is live: it validates the pointer at plan time and warns when
/// creating the release moves traffic or the pointer names one group only.
async fn read_live_at_create(aws: &AwsClients, spec: &ReleaseSpec, diagnostics: &mut Diagnostics) -> Option<Moving> {
    let read = aws.pointers.read(&spec.pointer).await;
    let parsed = read.and_then(|p| {
        let (t, d) = (p.traffic(&spec.pair, spec.active_color)?, p.detached(&spec.pair)?);
        Ok((t, d, p))
    });
    let (live, detached, pointer) = match parsed {
        Ok(read) => read,
        Err(e) => {
            diagnostics.push(e.to_diagnostic());
            return None;
        }
    };
    // Values left to adopt stay unknown: Terraform re-plans during apply and would call
    // a different live value an inconsistent plan.
    let desired = spec.desired(live);
    let moving = (desired != live).then_some(Moving { from: live, to: desired, pointer: Some(pointer) });
    if moving.is_some() {
        diagnostics.warning(
            "Creating this release moves traffic",
            format!(
                "{} sends {live} now; creating the release with this configuration moves it to {desired}, through the promotion gate. Omit active_color and standby_traffic_percent to adopt what is live instead.",
                spec.pointer.describe()
            ),
        );
    }
    if let Some(color) = detached {
        diagnostics.push(detached_warning(&spec.pointer, &spec.pair, color));
    }
    moving
}

/// A warning at the pointer's attribute for each ECS-native service or CodeDeploy
/// deployment group that shifts traffic on one of the release's pointers (production,
/// test, each route's) (`pointer_owner`). A failed lookup only logs: the apply checks again before it writes.
pub(super) async fn owner_warnings(aws: &AwsClients, spec: &ReleaseSpec, only_routes: Option<&[usize]>) -> Diagnostics {
    let mut d = Diagnostics::new();
    let mut pointers = Vec::new();
    if only_routes.is_none() {
        pointers.push((&spec.pointer, AttrPath::root(pointer_attr(&spec.pointer))));
        pointers.extend(spec.test_pointer.as_ref().map(|t| (t, AttrPath::root(test_attr(t)))));
    }
    for (i, route) in spec.routes.iter().enumerate().filter(|(i, _)| only_routes.is_none_or(|only| only.contains(i))) {
        pointers.push((&route.pointer, route_path(i, pointer_attr(&route.pointer))));
        pointers.extend(route.test_pointer.as_ref().map(|t| (t, route_path(i, test_attr(t)))));
    }
    let arns: Vec<&str> = pointers.iter().map(|(p, _)| p.arn()).collect();
    let owners = match pointer_owner::find_owners(aws, &spec.cluster, &arns, &spec.target_groups()).await {
        Ok(owners) => owners,
        Err(e) => {
            hclog::warn("could not look for another owner of the pointer", &[("error", &e.to_string())]);
            return d;
        }
    };
    for owner in owners {
        let Some((_, at)) = pointers.iter().find(|(p, _)| p.arn() == owner.pointer) else { continue };
        let (summary, detail) = owner.warning();
        d.push(Diagnostic::warning(summary, detail).at(at.clone()));
    }
    d
}

/// The attribute that names a test pointer (a rule or a listener) in its block.
fn test_attr(pointer: &PointerRef) -> &'static str {
    match pointer {
        PointerRef::Rule(_) => attrs::TEST_LISTENER_RULE_ARN,
        PointerRef::Listener(_) => attrs::TEST_LISTENER_ARN,
    }
}

/// An update that replaces a target group: refused when the group carries traffic, and
/// when the new one is on another load balancer (said here, at its attribute, rather
/// than by ModifyRule during apply).
async fn check_replaced_target_groups(
    aws: Option<&AwsClients>,
    prior_state: &Value,
    planned: &Value,
    spec: Option<&ReleaseSpec>,
    diagnostics: &mut Diagnostics,
) {
    let refusals = replaced_target_group_refusals(prior_state, planned);
    let refused = refusals.has_errors();
    diagnostics.extend(refusals);
    if !refused
        && let (Some(aws), Some(before), Some(spec)) = (aws, pair_of(prior_state), spec)
        && before != spec.pair
        && let Err(e) = discovery::check_same_load_balancer(aws, &spec.pointer, &spec.pair).await
    {
        let color = [Color::Blue, Color::Green]
            .into_iter()
            .find(|c| before.target_group(*c) != spec.pair.target_group(*c))
            .unwrap_or(Color::Green);
        diagnostics.push(e.to_diagnostic().at(AttrPath::root(color.as_str()).index(0).attr(attrs::TARGET_GROUP_ARN)));
    }
}

/// What an update's apply will do, step by step, from the recorded traffic: warnings,
/// so -detailed-exitcode is the same as for any other update.
fn say_the_steps(spec: &ReleaseSpec, from: Traffic, diagnostics: &mut Diagnostics) -> Option<Moving> {
    let to = spec.desired(from);
    let steps = promotion_gate::steps(&spec.promotion.strategy, from, to);
    // As the apply: hooks run when a write gives the standby more, not when a canary is
    // pulled back.
    let pulling_back = to.active == from.active && to.standby_percent < from.standby_percent;
    let gains =
        !pulling_back && steps.first().is_some_and(|s| promotion_gate::share(from, s.gaining) < s.gaining_percent);
    let hooks = crate::traffic_switch::hooks_said(&spec.promotion.hooks);
    if steps.len() == 1 && gains && !hooks.is_empty() {
        diagnostics.push(
            Diagnostic::warning(
                "The promotion runs lifecycle hooks",
                format!("{} gets its new share in one write. {hooks}.", steps[0].gaining),
            )
            .at(AttrPath::root(attrs::PROMOTION).index(0).attr(attrs::promotion::HOOK)),
        );
    }
    if steps.len() > 1 {
        let shares: Vec<String> = steps.iter().map(|s| format!("{} %", s.gaining_percent)).collect();
        let least = super::timing::least_time_of_release_move(spec, from, to).1;
        diagnostics.push(
            Diagnostic::warning(
                format!("The promotion moves traffic in {} steps", steps.len()),
                format!(
                    "{} goes to {} in {} steps ({}), each gated and checked throughout its bake, then promotion.bake_time; at least {} in all.{} A failure at any step returns traffic to {from}.",
                    steps[0].gaining,
                    shares.join(", "),
                    steps.len(),
                    steps
                        .iter()
                        .map(|s| format!("{} held {}", s.label(), crate::duration::display(s.bake)))
                        .collect::<Vec<_>>()
                        .join("; "),
                    crate::duration::display(least),
                    if hooks.is_empty() { String::new() } else { format!(" {hooks}.") },
                ),
            )
            .at(AttrPath::root(attrs::PROMOTION).index(0).attr(attrs::promotion::STRATEGY)),
        );
    }
    (to != from).then_some(Moving { from, to, pointer: None })
}

/// After an import that withheld the traffic (Terraform <= 1.13 writes generated config
/// from it): what derives from the traffic stays as the import found it while the
/// configuration adopts, and a configuration that sets active_color only records the
/// live share at apply.
fn keep_what_the_import_withheld(prior_state: &Value, planned: &mut Value) {
    if planned.get(attrs::ACTIVE_COLOR).is_null() {
        for attr in &attrs::DERIVED[..3] {
            set(planned, attr, prior_state.get(attr).clone());
        }
        if planned.get(attrs::STANDBY_TRAFFIC_PERCENT).is_null() {
            // Nothing moves: the routes stay as found. A configured share moves every
            // route with the release, so their traffic stays unknown until the apply.
            keep_imported_route_traffic(prior_state, planned);
        }
    } else if planned.get(attrs::STANDBY_TRAFFIC_PERCENT).is_null() {
        set(planned, attrs::STANDBY_TRAFFIC_PERCENT, Value::Unknown);
    }
}

/// Adopting after such an import, each route imported (`pair_pointers`) keeps the
/// traffic it was found with: the release's traffic is unknown to the plan, and an
/// unknown route would plan an update whose apply fills in what was withheld.
fn keep_imported_route_traffic(prior_state: &Value, planned: &mut Value) {
    let recorded = recorded_route_traffic(prior_state);
    let Some(Value::List(routes)) = planned.as_object_mut().and_then(|m| m.get_mut(attrs::ROUTE)) else { return };
    for route in routes {
        let Some(p) = pointer_of(route) else { continue };
        if let Some((_, Some(t))) = recorded.iter().find(|(arn, _)| arn == p.arn()) {
            set(route, attrs::ACTIVE_COLOR, Value::from(t.active.as_str()));
            set(route, attrs::STANDBY_TRAFFIC_PERCENT, Value::from(i64::from(t.standby_percent)));
        }
    }
}

/// A configuration that replaces the target group of a color carrying traffic (as the
/// prior state, refreshed by this plan, records it) is refused at plan time: the rule
/// would have to forward that traffic to a group no gate has checked. The standby's
/// group, carrying none, is replaced by the apply through the guarded write.
fn replaced_target_group_refusals(prior: &Value, planned: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let (Some(before), Some(live)) = (pair_of(prior), recorded_traffic(prior)) else { return d };
    for color in [Color::Blue, Color::Green] {
        let name = color.as_str();
        let after = planned.get(name).single_block().map(|b| b.get(attrs::TARGET_GROUP_ARN).clone());
        let replaced = after.as_ref().and_then(Value::as_str).is_some_and(|tg| tg != before.target_group(color));
        let share = if live.active == color { 100 - live.standby_percent } else { live.standby_percent };
        if replaced && share > 0 {
            let e = crate::traffic_switch::carries_traffic(color, before.target_group(color), live).to_diagnostic();
            d.push(e.at(AttrPath::root(name).index(0).attr(attrs::TARGET_GROUP_ARN)));
        }
    }
    d
}

/// The planned value with computed attributes blanked, for parsing the inputs only.
fn planned_known_inputs(planned: &Value) -> Value {
    let mut v = planned.clone();
    for attr in attrs::ADOPTED {
        if planned.get(attr).is_unknown() {
            set(&mut v, attr, Value::Null);
        }
    }
    if v.is_wholly_known() { v } else { Value::Null }
}
