//! Import: a release by ID or identity, found live (the pointer, its pair, the
//! ECS-native test pointer and the pair's other pointers as `route` blocks), recorded
//! with its traffic.
//!
//! Every import finds every pointer of the pair (`pair_pointers`): by
//! `CLUSTER/SERVICE` the primary is the one import has always chosen
//! (`pair_pointers::choose_primary`); by a pointer ARN or an identity it is the pointer
//! named, and the pair's other pointers are its routes all the same, so the import
//! blocks `terraform query` generates (by identity) import what the query listed.

use super::attrs;
use super::not_configured;
use super::state::{ReleaseState, RouteState, identity, pointer_of};
use crate::aws::AwsClients;
use crate::discovery;
use crate::errors::Error;
use crate::import_adoption;
use crate::import_id::{self, ImportTarget};
use crate::pair_pointers;
use crate::pointer_owner;
use crate::traffic_pointer::{self, Color, Pair, Pointer, PointerRef, Traffic};
use tfplugin::provider::{ImportResourceRequest, ImportResourceResponse, ImportedResource};
use tfplugin::{Diagnostic, Diagnostics, Value, hclog};

fn import_error(part: &str, e: impl std::fmt::Display) -> ImportResourceResponse {
    ImportResourceResponse {
        diagnostics: Diagnostic::error(format!("Invalid import ID ({part})"), e.to_string()).into(),
        ..Default::default()
    }
}

/// Imports a release by ID (`CLUSTER/RULE_OR_LISTENER_ARN` or `CLUSTER/SERVICE`) or by
/// identity, recording the traffic found live.
pub async fn import(aws: Option<&AwsClients>, req: ImportResourceRequest) -> ImportResourceResponse {
    let Some(aws) = aws else { return ImportResourceResponse { diagnostics: not_configured(), ..Default::default() } };
    let (cluster, target) = if req.id.is_empty() {
        let Some(identity) = &req.identity else { return import_error("ID", "Give an import ID or an identity.") };
        let cluster = identity.get(attrs::CLUSTER).as_str().unwrap_or_default();
        let Some(pointer) = pointer_of(identity) else {
            return import_error(
                "identity",
                "The identity needs `cluster` and exactly one of `listener_rule_arn` and `listener_arn`.",
            );
        };
        let target = format!("{cluster}/{}", pointer.arn());
        match import_id::parse(&target) {
            Ok(id) => (id.cluster, id.target),
            Err(e) => return import_error(e.part, e),
        }
    } else {
        match import_id::parse(&req.id) {
            Ok(id) => (id.cluster, id.target),
            Err(e) => return import_error(e.part, e),
        }
    };
    let found = async {
        match target {
            ImportTarget::ListenerRule(arn) => {
                let p = traffic_pointer::read(&aws.elbv2, &PointerRef::Rule(arn)).await?;
                let pair = discovery::pair_of_pointer(aws, &cluster, &p).await?;
                let all = discovery::pointers_of_pair(aws, &pair).await?;
                Ok::<_, Error>((p, pair, all))
            }
            ImportTarget::Listener(arn) => {
                let p = traffic_pointer::read(&aws.elbv2, &PointerRef::Listener(arn)).await?;
                let pair = discovery::pair_of_pointer(aws, &cluster, &p).await?;
                let all = discovery::pointers_of_pair(aws, &pair).await?;
                Ok((p, pair, all))
            }
            ImportTarget::Service(service) => {
                let tgs = discovery::service_target_groups(aws, &cluster, &service).await?;
                let pair = match tgs.as_slice() {
                    [a, b, ..] => discovery::resolve_pair(aws, a, b).await?,
                    [one] => discovery::sibling_target_group(aws, &cluster, one).await?,
                    [] => unreachable_pair(&service)?,
                };
                let all = discovery::pointers_of_pair(aws, &pair).await?;
                // ECS-native names its production rule, as `terraform query` takes it.
                let natives = pointer_owner::cluster_natives(aws, &cluster).await?;
                let (production, test) = pair_pointers::native_rules_of(&natives, &pair);
                let within = discovery::forwarding_within(&pair, all.clone());
                Ok((pair_pointers::choose_primary(&pair, within, production, test)?, pair, all))
            }
        }
    }
    .await;
    let (pointer, pair, all) = match found {
        Ok(x) => x,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    let traffic = match pointer.traffic(&pair, None) {
        Ok(t) => t,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    // The ECS-native testListenerRule, as `terraform query` lists it (and no other guess).
    let test = match discovery::native_test_pointer(aws, &cluster, &pair, &pointer.target, &all).await {
        Ok(t) => t,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    // The listing native_test_pointer just read (kept per process): no request more.
    let natives = pointer_owner::cluster_natives(aws, &cluster).await.unwrap_or_default();
    let (_, native_test) = pair_pointers::native_rules_of(&natives, &pair);
    let others =
        pair_pointers::others(&pair, &all, pointer.target.arn(), test.as_ref().map(PointerRef::arn), native_test);
    let state = release_state(&cluster, &pointer.target, &pair, traffic, test.as_ref(), &others.routes);
    let mut diagnostics =
        Diagnostics(others.outside.iter().map(|p| pair_pointers::outside_warning(p, &pair)).collect());
    if !others.beyond_limit.is_empty() {
        diagnostics.push(pair_pointers::beyond_limit_warning(&others.beyond_limit));
    }
    // Reported, not refused: importing takes nothing from ECS until an apply writes, and
    // the plan and the apply say the same. The lookup is the listing the test pointer used.
    let pointers: Vec<&str> = [Some(&pointer.target), test.as_ref()]
        .into_iter()
        .flatten()
        .chain(others.routes.iter().map(|p| &p.target))
        .map(PointerRef::arn)
        .collect();
    match pointer_owner::find_owners(aws, &cluster, &pointers, &[pair.blue.as_str(), pair.green.as_str()]).await {
        Ok(owners) => {
            for owner in owners {
                let (summary, detail) = owner.warning();
                diagnostics.warning(summary, detail);
            }
        }
        Err(e) => hclog::warn("could not look for another owner of the pointer", &[("error", &e.to_string())]),
    }
    ImportResourceResponse {
        imported: vec![ImportedResource {
            state,
            private: import_adoption::imported_private(),
            identity: Some(identity(&cluster, &pointer.target)),
        }],
        diagnostics,
    }
}

fn unreachable_pair(service: &str) -> Result<Pair, Error> {
    Err(Error::live("Service has no target group", format!("ECS service {service} has no load balancer target group.")))
}

/// The state of a release found live, as import records it (and `terraform query`
/// lists it); see [`ReleaseState::found`]. `routes` are the pair's other pointers
/// ([`pair_pointers::others`]), recorded as `route` blocks over the release's pair.
pub fn release_state(
    cluster: &str,
    pointer: &PointerRef,
    pair: &Pair,
    traffic: Traffic,
    test: Option<&PointerRef>,
    routes: &[Pointer],
) -> Value {
    let routes = route_states(pair, routes, traffic.active);
    ReleaseState { routes, ..ReleaseState::found(cluster, pointer, pair, traffic, test) }.to_value()
}

/// Each route found live as the state records it: no target groups of its own (it
/// splits the release's pair, and generated configuration leaves them out), no test
/// pointer (never guessed), and its traffic, a 50/50 tie read as `prefer` (the
/// release's active color) as refresh reads it.
fn route_states(pair: &Pair, routes: &[Pointer], prefer: Color) -> Vec<RouteState> {
    routes
        .iter()
        .map(|p| RouteState {
            pointer: p.target.clone(),
            test_pointer: None,
            blue: None,
            green: None,
            traffic: p.traffic(pair, Some(prefer)).ok(),
        })
        .collect()
}
