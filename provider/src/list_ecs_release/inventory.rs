//! What one query knows about a cluster (its services, the pointers of their load
//! balancers, the target groups' color tags) and the candidate pairs found in it.

use crate::arn;
use crate::aws::ecs as aws_ecs;
use crate::discovery::{self, Found};
use crate::pointer_owner::{self, CodeDeployRoute, NativeLoadBalancer};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// ECS-native blue/green, from one load balancer of a service.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Native {
    pub(super) target_group: String,
    pub(super) alternate: String,
    pub(super) production: Option<String>,
    pub(super) test: Option<String>,
}

/// One ECS service of the cluster, as far as releases are concerned.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ServiceView {
    pub(super) name: String,
    pub(super) target_groups: Vec<String>,
    pub(super) native: Vec<Native>,
}

impl ServiceView {
    pub(super) fn from_service(s: &aws_sdk_ecs::types::Service) -> ServiceView {
        let target_groups = aws_ecs::service_target_groups(s);
        // One reading of `advancedConfiguration`: the owner check's.
        let native = pointer_owner::natives_of(std::slice::from_ref(s))
            .into_iter()
            .map(|n| Native {
                target_group: n.target_group,
                alternate: n.alternate,
                production: n.production_rule,
                test: n.test_rule,
            })
            .collect();
        ServiceView { name: s.service_name().unwrap_or_default().to_string(), target_groups, native }
    }
}

/// Everything one query reads.
#[derive(Clone, Debug, Default)]
pub(super) struct Inventory {
    pub(super) services: Vec<ServiceView>,
    /// The ECS-native load balancers of every service of the cluster (a prefix filter
    /// aside): a service that shifts traffic on a release's pointer is warned about.
    pub(super) natives: Vec<NativeLoadBalancer>,
    /// The CodeDeploy routes of the cluster's CODE_DEPLOY services (none looked up when
    /// it has none): a deployment group routing a release's pointer is warned about.
    pub(super) code_deploy: Vec<CodeDeployRoute>,
    /// Every rule and listener default action on the load balancers the services use.
    pub(super) pointers: Vec<Found>,
    /// The `bluegreen:color` tag of each target group looked up (None: no tag).
    pub(super) tags: HashMap<String, Option<String>>,
    /// Target groups found by name (the name twins of target groups nothing pairs).
    pub(super) by_name: HashMap<String, String>,
    /// Target groups services name that no longer exist (TargetGroupNotFound), with the
    /// services naming them. They are left out of `services`.
    pub(super) missing: BTreeMap<String, Vec<String>>,
}

impl Inventory {
    pub(super) fn service_target_groups(&self) -> BTreeSet<&str> {
        self.services.iter().flat_map(|s| s.target_groups.iter().map(String::as_str)).collect()
    }

    /// Target groups seen on services or in forward actions.
    pub(super) fn known_target_groups(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.service_target_groups().into_iter().map(str::to_string).collect();
        for f in &self.pointers {
            out.extend(f.pointer.weights().unwrap_or_default().into_iter().map(|(t, _)| t));
        }
        out
    }

    pub(super) fn tag(&self, tg: &str) -> Option<&str> {
        self.tags.get(tg).and_then(Option::as_deref)
    }

    /// The target group named like `tg` with the other color word, if one is known.
    fn twin_of(&self, tg: &str) -> Option<String> {
        let twin = discovery::twin_name(arn::target_group_name(tg)?)?;
        self.known_target_groups()
            .into_iter()
            .find(|t| arn::target_group_name(t) == Some(twin.as_str()))
            .or_else(|| self.by_name.get(&twin).cloned())
    }

    pub(super) fn services_on<'a>(&'a self, tgs: &'a [String]) -> impl Iterator<Item = &'a ServiceView> + 'a {
        self.services.iter().filter(move |s| s.target_groups.iter().any(|t| tgs.contains(t)))
    }

    pub(super) fn natives(&self) -> impl Iterator<Item = &Native> {
        self.services.iter().flat_map(|s| &s.native)
    }

    /// The target groups each pointer forwards to.
    pub(super) fn pointer_groups(&self) -> Vec<Vec<String>> {
        self.pointers
            .iter()
            .map(|f| f.pointer.weights().unwrap_or_default().into_iter().map(|(t, _)| t).collect())
            .collect()
    }

    /// The candidate partners of `tg`, in [`discovery::partner_order`].
    pub(super) fn partners(&self, tg: &str, pointer_groups: &[Vec<String>]) -> Vec<String> {
        let natives: Vec<(&str, &str)> =
            self.natives().map(|n| (n.target_group.as_str(), n.alternate.as_str())).collect();
        discovery::partner_order(tg, &natives, pointer_groups, self.twin_of(tg).as_deref())
    }

    /// Leaves out of the services the target groups that no longer exist (not in
    /// `existing`), recording them and their services in `missing`.
    pub(super) fn drop_missing(&mut self, existing: &BTreeSet<String>) {
        for s in &mut self.services {
            for tg in s.target_groups.iter().filter(|t| !existing.contains(*t)) {
                self.missing.entry(tg.clone()).or_default().push(s.name.clone());
            }
            s.target_groups.retain(|t| existing.contains(t));
            s.native.retain(|n| existing.contains(&n.target_group) && existing.contains(&n.alternate));
        }
    }
}

/// Two target groups that may be a release, and the production rule ECS-native
/// blue/green names for them.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Candidate {
    /// Sorted, so a pair found twice is one candidate.
    pub(super) tgs: [String; 2],
    pub(super) production: Option<String>,
}

/// The candidate pairs, and the services' target groups nothing pairs. Each service
/// target group not yet in a pair takes the first partner of
/// [`discovery::partner_order`] (ECS-native alternate, pointer, name twin) whose colors
/// resolve, else the first (whose error is then a warning): the order import uses.
pub(super) fn candidates(inv: &Inventory) -> (Vec<Candidate>, Vec<String>) {
    let pointer_groups = inv.pointer_groups();
    let mut out: Vec<Candidate> = Vec::new();
    let mut unpaired = Vec::new();
    for tg in inv.service_target_groups() {
        if out.iter().any(|c| c.tgs.iter().any(|t| t == tg)) {
            continue;
        }
        let partners = inv.partners(tg, &pointer_groups);
        let resolves = |p: &&String| discovery::pair_from_colors(tg, p, inv.tag(tg), inv.tag(p)).is_ok();
        let Some(partner) = partners.iter().find(resolves).or(partners.first()) else {
            unpaired.push(tg.to_string());
            continue;
        };
        let tgs =
            if tg <= partner.as_str() { [tg.to_string(), partner.clone()] } else { [partner.clone(), tg.to_string()] };
        let production = inv
            .natives()
            .find(|n| {
                let mut nt = [n.target_group.clone(), n.alternate.clone()];
                nt.sort();
                nt == tgs
            })
            .and_then(|n| n.production.clone());
        out.push(Candidate { tgs, production });
    }
    (out, unpaired)
}
