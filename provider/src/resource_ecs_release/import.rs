//! Import: a release by ID or identity, found live (the pointer, its pair and the
//! ECS-native test pointer), recorded with its traffic.

use super::attrs;
use super::not_configured;
use super::state::{ReleaseState, identity, pointer_of};
use crate::aws::AwsClients;
use crate::discovery;
use crate::errors::Error;
use crate::import_adoption;
use crate::import_id::{self, ImportTarget};
use crate::pointer_owner;
use crate::traffic_pointer::{self, Pair, PointerRef, Traffic};
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
                Ok::<_, Error>((p, pair))
            }
            ImportTarget::Listener(arn) => {
                let p = traffic_pointer::read(&aws.elbv2, &PointerRef::Listener(arn)).await?;
                let pair = discovery::pair_of_pointer(aws, &cluster, &p).await?;
                Ok((p, pair))
            }
            ImportTarget::Service(service) => {
                let tgs = discovery::service_target_groups(aws, &cluster, &service).await?;
                let pair = match tgs.as_slice() {
                    [a, b, ..] => discovery::resolve_pair(aws, a, b).await?,
                    [one] => discovery::sibling_target_group(aws, &cluster, one).await?,
                    [] => unreachable_pair(&service)?,
                };
                let p = discovery::find_pointer_for_pair(aws, &pair).await?;
                Ok((p, pair))
            }
        }
    }
    .await;
    let (pointer, pair) = match found {
        Ok(x) => x,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    let traffic = match pointer.traffic(&pair, None) {
        Ok(t) => t,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    // The ECS-native testListenerRule, as `terraform query` lists it (and no other guess).
    let test = match discovery::native_test_pointer(aws, &cluster, &pair, &pointer.target).await {
        Ok(t) => t,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    let state = release_state(&cluster, &pointer.target, &pair, traffic, test.as_ref());
    // Reported, not refused: importing takes nothing from ECS until an apply writes, and
    // the plan and the apply say the same. The lookup is the listing the test pointer used.
    let mut diagnostics = Diagnostics::new();
    let pointers: Vec<&str> =
        [Some(&pointer.target), test.as_ref()].into_iter().flatten().map(PointerRef::arn).collect();
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
/// lists it); see [`ReleaseState::found`].
pub fn release_state(
    cluster: &str,
    pointer: &PointerRef,
    pair: &Pair,
    traffic: Traffic,
    test: Option<&PointerRef>,
) -> Value {
    ReleaseState::found(cluster, pointer, pair, traffic, test).to_value()
}
