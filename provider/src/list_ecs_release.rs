//! List resource `bluegreen_ecs_release` for `terraform query` (Terraform 1.14+): every
//! blue/green pair of target groups serving an ECS cluster, and the pointer (a listener
//! rule, or a listener's default action) that forwards to it, one result per release.
//!
//! Pairs are found three ways, all from one listing of the cluster:
//! - a pointer whose forward action names two target groups, one of them serving a
//!   service of the cluster (two long-lived services, or Spinnaker server groups
//!   `app-stack-vNNN`, each on its color's target group);
//! - an ECS-native blue/green service (`loadBalancers[].advancedConfiguration`: its
//!   target group and `alternateTargetGroupArn`, with `productionListenerRule` as the
//!   production pointer and `testListenerRule` as the test pointer);
//! - a target group nothing pairs yet, and its name twin (`app-blue` / `app-green`).
//!
//! A service's target group takes its partner in [`discovery::partner_order`], the order
//! import uses too. The test pointer is only ECS-native's `testListenerRule`
//! ([`discovery::native_test_rule`]), which import records as well.
//!
//! Blue and green are told apart as import does (`bluegreen:color` tag, then the name),
//! and the production pointer is chosen as import by service chooses it
//! ([`discovery::choose_pointer`]). A pair that cannot be listed (one color only, colors
//! that cannot be told apart, no pointer or two production pointers) is a warning on
//! the stream, and the other releases still stream. A service on one target group with
//! no color (no tag, no blue/green word) is not blue/green at all and is left out.
//!
//! Cost of one query, whatever the number of releases on a load balancer: ListServices
//! (100 a page), DescribeServices by tens, DescribeTargetGroups by 20 ARNs (which also
//! says which target groups still exist: only those are tagged, and a service naming a
//! deleted one is a warning), DescribeTags by 20 target groups, and per load balancer one
//! DescribeListeners and one DescribeRules per listener (400 rules a page), 4 load
//! balancers at a time. Only target groups nothing pairs cost more: one
//! DescribeTargetGroups by 20 names for their name twins.

use crate::arn;
use crate::aws_clients::AwsClients;
use crate::discovery::{self, Found};
use crate::errors::{self, Error, Result};
use crate::promotion_gate;
use crate::release_spec;
use crate::resource_ecs_release::{self, attrs};
use crate::traffic_pointer::{Color, Pair, PointerRef, Traffic};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tfplugin::provider::{ListResourceEvent, ListResourceRequest, ListResourceSink};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttrPath, Diagnostic, Diagnostics, Type, Value};

pub const TYPE_NAME: &str = resource_ecs_release::TYPE_NAME;

/// DescribeTags takes at most 20 ARNs; target groups are described in batches as big.
const ARNS_PER_CALL: usize = 20;

pub fn schema() -> Schema {
    let block = Block::new(
        "Lists every blue/green release of an ECS cluster for `terraform query`: each pair of blue/green \
         target groups serving the cluster's services (two services, Spinnaker server groups, or one \
         ECS-native blue/green service) with the listener rule or listener default action that forwards \
         to it. With `-generate-config-out`, Terraform writes a `bluegreen_ecs_release` block and an \
         `import` block for each; the generated releases adopt the live traffic.",
    )
    .attribute(Attribute::required(attrs::CLUSTER, Type::String, "ECS cluster name or ARN whose releases to list."))
    .attribute(Attribute::optional(
        attrs::LISTENER_ARN,
        Type::String,
        "Only releases whose production pointer is this listener's default action or one of its rules.",
    ))
    .attribute(Attribute::optional(
        "service_name_prefix",
        Type::String,
        "Only releases with an ECS service whose name starts with this prefix.",
    ));
    Schema { version: 0, block }
}

pub fn validate(c: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    release_spec::check_cluster(&mut d, c, attrs::CLUSTER);
    if let Some(l) = c.get(attrs::LISTENER_ARN).as_str()
        && !arn::is_listener(l)
    {
        let hint = match arn::listener_of_rule(l) {
            Some(listener) => format!(" That is a listener rule ARN; its listener is {listener}."),
            None if arn::is_target_group(l) => {
                " That is a target group ARN; give the listener that forwards to it.".to_string()
            }
            None => String::new(),
        };
        d.error_at(
            AttrPath::root(attrs::LISTENER_ARN),
            "Invalid listener ARN",
            format!(
                "{l:?} is not an Application Load Balancer listener ARN; expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/LB_NAME/LB_ID/LISTENER_ID.{hint}"
            ),
        );
    }
    if c.get("service_name_prefix").as_str() == Some("") {
        d.error_at(
            AttrPath::root("service_name_prefix"),
            "Empty service name prefix",
            "An empty `service_name_prefix` matches every service; omit it to list the whole cluster.",
        );
    }
    d
}

/// The list block's `config`.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    cluster: String,
    listener_arn: Option<String>,
    service_name_prefix: Option<String>,
}

impl Filters {
    fn from_value(c: &Value) -> Filters {
        let s = |a: &str| c.get(a).as_str().map(str::to_string);
        Filters {
            cluster: s(attrs::CLUSTER).unwrap_or_default(),
            listener_arn: s(attrs::LISTENER_ARN),
            service_name_prefix: s("service_name_prefix"),
        }
    }
}

// ---------------------------------------------------------------- what AWS says

/// ECS-native blue/green, from one load balancer of a service.
#[derive(Clone, Debug, PartialEq)]
struct Native {
    target_group: String,
    alternate: String,
    production: Option<String>,
    test: Option<String>,
}

/// One ECS service of the cluster, as far as releases are concerned.
#[derive(Clone, Debug, Default, PartialEq)]
struct ServiceView {
    name: String,
    target_groups: Vec<String>,
    native: Vec<Native>,
}

impl ServiceView {
    fn from_service(s: &aws_sdk_ecs::types::Service) -> ServiceView {
        let mut target_groups: Vec<String> = Vec::new();
        for tg in promotion_gate::target_groups_of(s) {
            if !target_groups.iter().any(|t| t == tg) {
                target_groups.push(tg.to_string());
            }
        }
        let native = s
            .load_balancers()
            .iter()
            .filter_map(|lb| {
                let adv = lb.advanced_configuration()?;
                Some(Native {
                    target_group: lb.target_group_arn()?.to_string(),
                    alternate: adv.alternate_target_group_arn()?.to_string(),
                    production: adv.production_listener_rule().map(str::to_string),
                    test: adv.test_listener_rule().map(str::to_string),
                })
            })
            .collect();
        ServiceView { name: s.service_name().unwrap_or_default().to_string(), target_groups, native }
    }
}

/// Everything one query reads.
#[derive(Clone, Debug, Default)]
struct Inventory {
    services: Vec<ServiceView>,
    /// Every rule and listener default action on the load balancers the services use.
    pointers: Vec<Found>,
    /// The `bluegreen:color` tag of each target group looked up (None: no tag).
    tags: HashMap<String, Option<String>>,
    /// Target groups found by name (the name twins of target groups nothing pairs).
    by_name: HashMap<String, String>,
    /// Target groups services name that no longer exist (TargetGroupNotFound), with the
    /// services naming them. They are left out of `services`.
    missing: BTreeMap<String, Vec<String>>,
}

impl Inventory {
    fn service_target_groups(&self) -> BTreeSet<&str> {
        self.services.iter().flat_map(|s| s.target_groups.iter().map(String::as_str)).collect()
    }

    /// Target groups seen on services or in forward actions.
    fn known_target_groups(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.service_target_groups().into_iter().map(str::to_string).collect();
        for f in &self.pointers {
            out.extend(f.pointer.weights().unwrap_or_default().into_iter().map(|(t, _)| t));
        }
        out
    }

    fn tag(&self, tg: &str) -> Option<&str> {
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

    fn services_on<'a>(&'a self, tgs: &'a [String]) -> impl Iterator<Item = &'a ServiceView> + 'a {
        self.services.iter().filter(move |s| s.target_groups.iter().any(|t| tgs.contains(t)))
    }

    fn natives(&self) -> impl Iterator<Item = &Native> {
        self.services.iter().flat_map(|s| &s.native)
    }

    /// The target groups each pointer forwards to.
    fn pointer_groups(&self) -> Vec<Vec<String>> {
        self.pointers
            .iter()
            .map(|f| f.pointer.weights().unwrap_or_default().into_iter().map(|(t, _)| t).collect())
            .collect()
    }

    /// The candidate partners of `tg`, in [`discovery::partner_order`].
    fn partners(&self, tg: &str, pointer_groups: &[Vec<String>]) -> Vec<String> {
        let natives: Vec<(&str, &str)> =
            self.natives().map(|n| (n.target_group.as_str(), n.alternate.as_str())).collect();
        discovery::partner_order(tg, &natives, pointer_groups, self.twin_of(tg).as_deref())
    }

    /// Leaves out of the services the target groups that no longer exist (not in
    /// `existing`), recording them and their services in `missing`.
    fn drop_missing(&mut self, existing: &BTreeSet<String>) {
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
struct Candidate {
    /// Sorted, so a pair found twice is one candidate.
    tgs: [String; 2],
    production: Option<String>,
}

/// The candidate pairs, and the services' target groups nothing pairs. Each service
/// target group not yet in a pair takes the first partner of
/// [`discovery::partner_order`] (ECS-native alternate, pointer, name twin) whose colors
/// resolve, else the first (whose error is then a warning): the order import uses.
fn candidates(inv: &Inventory) -> (Vec<Candidate>, Vec<String>) {
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

// ---------------------------------------------------------------- releases

/// One release found live.
#[derive(Clone, Debug, PartialEq)]
struct Release {
    name: String,
    pair: Pair,
    pointer: PointerRef,
    port: Option<i32>,
    traffic: Traffic,
    test: Option<PointerRef>,
    detached: Option<Color>,
}

impl Release {
    /// `shop-prod · rule …/8d6e → green`, with the split when there is a canary.
    fn display_name(&self) -> String {
        let (kind, arn) = match &self.pointer {
            PointerRef::Rule(a) => ("rule".to_string(), a),
            PointerRef::Listener(a) => {
                (self.port.map_or_else(|| "listener".to_string(), |p| format!("listener :{p}")), a)
            }
        };
        let tail: String = {
            let chars: Vec<char> = arn.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        let to =
            if self.traffic.standby_percent == 0 { self.traffic.active.to_string() } else { self.traffic.to_string() };
        format!("{} · {kind} …/{tail} → {to}", self.name)
    }
}

/// What the list streams: a release, or a warning about a pair it cannot list.
#[derive(Clone, Debug, PartialEq)]
enum Listed {
    Release(Release),
    Warning {
        name: String,
        tgs: Vec<String>,
        diagnostic: Diagnostic,
    },
    /// A service's target group that no longer exists: shown whatever the listener filter
    /// (nothing forwards to a deleted target group, so no listener can claim it).
    Stale {
        name: String,
        tg: String,
        diagnostic: Diagnostic,
    },
}

/// A release's name for people: the common name of its services without the color word
/// and Spinnaker's `-vNNN` (`shop-prod-v012` → `shop-prod`, `shop-blue` → `shop`), else
/// its target group's name without the color word.
fn release_name(inv: &Inventory, tgs: &[String]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in inv.services_on(tgs) {
        *counts.entry(base_name(&s.name)).or_default() += 1;
    }
    let best = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.len().cmp(&a.0.len())).then(b.0.cmp(a.0)));
    match best {
        Some((name, _)) if !name.is_empty() => name.clone(),
        _ => tgs.first().and_then(|t| arn::target_group_name(t)).map(base_name).unwrap_or_default(),
    }
}

fn base_name(name: &str) -> String {
    let mut words: Vec<&str> = name.split('-').collect();
    if words.len() > 1
        && let Some(v) = words.last().and_then(|w| w.strip_prefix('v'))
        && v.len() >= 3
        && v.chars().all(|c| c.is_ascii_digit())
    {
        words.pop();
    }
    let kept: Vec<&str> =
        words.into_iter().filter(|w| !w.eq_ignore_ascii_case("blue") && !w.eq_ignore_ascii_case("green")).collect();
    if kept.is_empty() { name.to_string() } else { kept.join("-") }
}

fn listener_of(p: &PointerRef) -> Option<String> {
    match p {
        PointerRef::Rule(a) => arn::listener_of_rule(a),
        PointerRef::Listener(a) => Some(a.clone()),
    }
}

/// A warning for a pair that is not listed, from the error that says why.
fn not_listed(name: String, tgs: Vec<String>, e: &Error) -> Listed {
    let d = e.to_diagnostic();
    Listed::Warning {
        diagnostic: Diagnostic::warning(
            format!("Release not listed: {}", d.summary),
            format!(
                "{} The pair {} is left out of the list; the other releases are listed.",
                d.detail,
                tgs.join(" + ")
            ),
        ),
        name,
        tgs,
    }
}

/// Every release of the inventory and every pair it cannot list, by name.
fn releases(inv: &Inventory, cluster: &str) -> Vec<Listed> {
    let (cands, unpaired) = candidates(inv);
    let mut out = Vec::new();
    for c in cands {
        let name = release_name(inv, &c.tgs);
        let [a, b] = &c.tgs;
        let pair = match discovery::pair_from_colors(a, b, inv.tag(a), inv.tag(b)) {
            Ok(p) => p,
            Err(e) => {
                out.push(not_listed(name, c.tgs.to_vec(), &e));
                continue;
            }
        };
        let found: Vec<&Found> = inv.pointers.iter().filter(|f| f.pointer.traffic(&pair, None).is_ok()).collect();
        let by_arn = |arn: &str| found.iter().copied().find(|f| f.pointer.target.arn() == arn);
        // ECS-native names its production pointer; otherwise choose as import does.
        let chosen = match c.production.as_deref().and_then(by_arn) {
            Some(f) => Ok(f),
            None => discovery::choose_pointer(&pair, found.iter().map(|f| (*f).clone()).collect()).and_then(|p| {
                by_arn(p.target.arn()).ok_or_else(|| Error::NotFound { what: "Pointer", arn: p.target.arn().into() })
            }),
        };
        let production = match chosen {
            Ok(f) => f,
            Err(e) => {
                out.push(not_listed(name, c.tgs.to_vec(), &e));
                continue;
            }
        };
        let (traffic, detached) = match production.pointer.traffic(&pair, None).and_then(|t| {
            let d = production.pointer.detached(&pair)?;
            Ok((t, d))
        }) {
            Ok(x) => x,
            Err(e) => {
                out.push(not_listed(name, c.tgs.to_vec(), &e));
                continue;
            }
        };
        // The test pointer: only ECS-native's testListenerRule, as import finds it (a rule
        // forwarding to the standby alone may be anything, e.g. a host-header rule).
        let natives = inv.natives().map(|n| (n.target_group.as_str(), n.alternate.as_str(), n.test.as_deref()));
        let test = discovery::native_test_rule(natives, &pair, production.pointer.target.arn())
            .and_then(|t| found.iter().copied().find(|f| f.pointer.target.arn() == t));
        out.push(Listed::Release(Release {
            name,
            pair: pair.clone(),
            pointer: production.pointer.target.clone(),
            port: production.port,
            traffic,
            test: test.map(|f| f.pointer.target.clone()),
            detached,
        }));
    }
    for tg in unpaired {
        let tgs = vec![tg.clone()];
        let name = release_name(inv, &tgs);
        let services: Vec<&str> = inv.services_on(&tgs).map(|s| s.name.as_str()).collect();
        // A target group with no color at all is a plain load-balanced service, not half
        // of a blue/green pair: not a release, and nothing to warn about.
        let color = match discovery::target_group_color(&tg, inv.tag(&tg)) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                out.push(not_listed(name, tgs, &e));
                continue;
            }
        };
        let (has, missing) = (format!("the {color} target group"), format!("a {} target group", color.other()));
        let pointers: Vec<&str> = inv
            .pointers
            .iter()
            .filter(|f| f.pointer.weights().is_ok_and(|w| w.iter().any(|(t, _)| *t == tg)))
            .map(|f| f.pointer.target.arn())
            .collect();
        let forwarded = if pointers.is_empty() {
            "No listener rule or listener default action forwards to it".to_string()
        } else {
            format!("{} forward(s) to it alone", pointers.join(", "))
        };
        out.push(Listed::Warning {
            diagnostic: Diagnostic::warning(
                "Release not listed: blue/green pair has one color only",
                format!(
                    "ECS service(s) {} in cluster {cluster} use {has} {tg}, but nothing pairs it with {missing}. {forwarded}; no ECS-native alternateTargetGroupArn names a partner, and no target group is named like it with the other color word. Create the other color's target group and forward to both (the standby at weight 0), or tag the pair {} = \"blue\" / \"green\". The other releases are listed.",
                    services.join(", "),
                    discovery::COLOR_TAG
                ),
            ),
            name,
            tgs,
        });
    }
    for (tg, services) in &inv.missing {
        let name = services.first().map(|s| base_name(s)).unwrap_or_default();
        out.push(Listed::Stale {
            diagnostic: Diagnostic::warning(
                "Release not listed: target group no longer exists",
                format!(
                    "ECS service(s) {} in cluster {cluster} name target group {tg}, which no longer exists (TargetGroupNotFound: ELB lets a target group be deleted while only a service scaled to 0 names it). Releases on it are not listed; the other releases are. Update the service(s) to an existing target group, or delete them.",
                    services.join(", ")
                ),
            ),
            name,
            tg: tg.clone(),
        });
    }
    out.sort_by_key(|l| match l {
        Listed::Release(r) => (r.name.clone(), 0, r.pointer.arn().to_string()),
        Listed::Warning { name, tgs, .. } => (name.clone(), 1, tgs.join(",")),
        Listed::Stale { name, tg, .. } => (name.clone(), 2, tg.clone()),
    });
    out
}

/// Keeps what `listener_arn` selects: releases whose production pointer is on that
/// listener, and warnings about target groups some pointer of it forwards to.
fn on_listener(inv: &Inventory, listed: Vec<Listed>, listener: &str) -> Vec<Listed> {
    let forwarded_here = |tg: &str| {
        inv.pointers.iter().any(|f| {
            listener_of(&f.pointer.target).as_deref() == Some(listener)
                && f.pointer.weights().is_ok_and(|w| w.iter().any(|(t, _)| t == tg))
        })
    };
    listed
        .into_iter()
        .filter(|l| match l {
            Listed::Release(r) => listener_of(&r.pointer).as_deref() == Some(listener),
            Listed::Warning { tgs, .. } => tgs.iter().any(|t| forwarded_here(t)),
            Listed::Stale { .. } => true,
        })
        .collect()
}

/// The events for what was listed, in order.
fn events(listed: Vec<Listed>, cluster: &str, include_resource: bool) -> Vec<ListResourceEvent> {
    listed
        .into_iter()
        .map(|l| match l {
            Listed::Release(r) => ListResourceEvent {
                identity: Some(resource_ecs_release::identity(cluster, &r.pointer)),
                display_name: r.display_name(),
                resource_object: include_resource.then(|| {
                    resource_ecs_release::release_state(cluster, &r.pointer, &r.pair, r.traffic, r.test.as_ref())
                }),
                diagnostics: r
                    .detached
                    .map(|c| resource_ecs_release::detached_warning(&r.pointer, &r.pair, c).into())
                    .unwrap_or_default(),
            },
            Listed::Warning { name, diagnostic, .. } | Listed::Stale { name, diagnostic, .. } => ListResourceEvent {
                identity: None,
                display_name: name,
                resource_object: None,
                diagnostics: diagnostic.into(),
            },
        })
        .collect()
}

// ---------------------------------------------------------------- AWS reads

fn batches(items: &[String]) -> impl Iterator<Item = Vec<String>> + '_ {
    items.chunks(ARNS_PER_CALL).map(<[String]>::to_vec)
}

/// `call` over `items` 20 at a time. A batch that fails because one of its items does
/// not exist (`missing`: the target group was deleted meanwhile) is retried one by one,
/// so only the missing items are left out.
async fn each_batch_skipping_missing<T, F, Fut>(items: &[String], missing: &str, call: F) -> Result<Vec<T>>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>>>,
{
    let mut out = Vec::new();
    for batch in batches(items) {
        match call(batch.clone()).await {
            Ok(found) => out.extend(found),
            Err(e) if e.is_aws_code(missing) => {
                for item in batch.iter().filter(|_| batch.len() > 1) {
                    match call(vec![item.clone()]).await {
                        Ok(found) => out.extend(found),
                        Err(e) if e.is_aws_code(missing) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The target groups that exist and the load balancers they are attached to:
/// DescribeTargetGroups by 20 ARNs, leaving out target groups that no longer exist.
async fn describe_target_groups(aws: &AwsClients, tgs: &[String]) -> Result<(BTreeSet<String>, BTreeSet<String>)> {
    let groups = each_batch_skipping_missing(tgs, "TargetGroupNotFound", |batch| async move {
        let out = aws.elbv2.describe_target_groups().set_target_group_arns(Some(batch.clone())).send().await;
        Ok(out.map_err(|e| errors::aws("DescribeTargetGroups", batch.join(", "), e))?.target_groups().to_vec())
    })
    .await?;
    let lbs = groups.iter().flat_map(|g| g.load_balancer_arns().iter().cloned()).collect();
    let existing = groups.iter().filter_map(|g| g.target_group_arn()).map(str::to_string).collect();
    Ok((existing, lbs))
}

/// Target group ARNs by name, for the names that exist: DescribeTargetGroups by 20 names.
async fn target_groups_by_name(aws: &AwsClients, names: &[String]) -> Result<HashMap<String, String>> {
    let groups = each_batch_skipping_missing(names, "TargetGroupNotFound", |batch| async move {
        let out = aws.elbv2.describe_target_groups().set_names(Some(batch.clone())).send().await;
        Ok(out.map_err(|e| errors::aws("DescribeTargetGroups", batch.join(", "), e))?.target_groups().to_vec())
    })
    .await?;
    Ok(groups
        .iter()
        .filter_map(|g| Some((g.target_group_name()?.to_string(), g.target_group_arn()?.to_string())))
        .collect())
}

/// The `bluegreen:color` tag of each target group: DescribeTags by 20. The target groups
/// are ones DescribeTargetGroups or a forward action just named; one deleted in between
/// is left out.
async fn color_tags(aws: &AwsClients, tgs: &[String]) -> Result<HashMap<String, Option<String>>> {
    let descriptions = each_batch_skipping_missing(tgs, "TargetGroupNotFound", |batch| async move {
        let out = aws.elbv2.describe_tags().set_resource_arns(Some(batch.clone())).send().await;
        Ok(out.map_err(|e| errors::aws("DescribeTags", batch.join(", "), e))?.tag_descriptions().to_vec())
    })
    .await?;
    Ok(descriptions
        .iter()
        .filter_map(|d| {
            let color = d.tags().iter().find(|t| t.key() == Some(discovery::COLOR_TAG)).and_then(|t| t.value());
            Some((d.resource_arn()?.to_string(), color.map(str::to_string)))
        })
        .collect())
}

/// How many load balancers' listeners and rules are read at once.
const LOAD_BALANCERS_IN_FLIGHT: usize = 4;

/// Every pointer of the load balancers, read [`LOAD_BALANCERS_IN_FLIGHT`] load
/// balancers at a time (one DescribeListeners each, one DescribeRules per listener), in
/// the order of `lbs`.
async fn pointers_of(aws: &AwsClients, lbs: &BTreeSet<String>) -> Result<Vec<Found>> {
    let mut set = tokio::task::JoinSet::new();
    let mut results: Vec<Option<Vec<Found>>> = vec![None; lbs.len()];
    let mut queue = lbs.iter().cloned().enumerate();
    loop {
        while set.len() < LOAD_BALANCERS_IN_FLIGHT
            && let Some((i, lb)) = queue.next()
        {
            let aws = aws.clone();
            set.spawn(async move { (i, discovery::pointers_of_load_balancer(&aws, &lb).await) });
        }
        let Some(done) = set.join_next().await else { break };
        let (i, found) = done.map_err(|e| Error::live("Reading load balancers failed", e.to_string()))?;
        // An error drops the set, which aborts the reads still in flight.
        results[i] = Some(found?);
    }
    Ok(results.into_iter().flatten().flatten().collect())
}

/// Reads everything one query needs (see the module comment for the calls).
async fn gather(aws: &AwsClients, f: &Filters) -> Result<Inventory> {
    let services: Vec<ServiceView> = promotion_gate::cluster_services(aws, &f.cluster)
        .await?
        .iter()
        .filter(|s| f.service_name_prefix.as_deref().is_none_or(|p| s.service_name().is_some_and(|n| n.starts_with(p))))
        .map(ServiceView::from_service)
        .collect();
    let mut inv = Inventory { services, ..Default::default() };
    let service_tgs: Vec<String> = inv.service_target_groups().into_iter().map(str::to_string).collect();
    if service_tgs.is_empty() {
        return Ok(inv);
    }
    // Which of the services' target groups still exist (ELB lets a target group be
    // deleted while only a service scaled to 0 names it), and their load balancers.
    let (existing, attached_to) = describe_target_groups(aws, &service_tgs).await?;
    inv.drop_missing(&existing);
    // A listener filter names its load balancer; otherwise the target groups say.
    let lbs: BTreeSet<String> = match &f.listener_arn {
        Some(l) => arn::load_balancer_of(l).into_iter().collect(),
        None => attached_to,
    };
    inv.pointers = pointers_of(aws, &lbs).await?;
    let (_, unpaired) = candidates(&inv);
    let twins: Vec<String> = unpaired
        .iter()
        .filter_map(|tg| discovery::twin_name(arn::target_group_name(tg)?))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !twins.is_empty() {
        inv.by_name = target_groups_by_name(aws, &twins).await?;
    }
    // Tags of every service target group that exists and of every partner it may take
    // (candidates choose the first partner whose colors resolve).
    let pointer_groups = inv.pointer_groups();
    let mut tgs: BTreeSet<String> = BTreeSet::new();
    for tg in inv.service_target_groups() {
        tgs.insert(tg.to_string());
        tgs.extend(inv.partners(tg, &pointer_groups));
    }
    inv.tags = color_tags(aws, &tgs.into_iter().collect::<Vec<_>>()).await?;
    Ok(inv)
}

fn error_event(d: Diagnostic) -> ListResourceEvent {
    ListResourceEvent { diagnostics: d.into(), ..Default::default() }
}

/// `ListResource`: streams one event per release (and one warning per pair it cannot
/// list), warnings first (see [`ordered`]), stopping once Terraform stops reading
/// (`limit` reached).
pub async fn list(aws: Option<&AwsClients>, req: ListResourceRequest, sink: ListResourceSink) {
    let Some(aws) = aws else {
        for d in crate::errors::not_configured("query").iter() {
            sink.send(error_event(d.clone())).await;
        }
        return;
    };
    let diags = validate(&req.config);
    if diags.has_errors() {
        sink.send(ListResourceEvent { diagnostics: diags, ..Default::default() }).await;
        return;
    }
    let filters = Filters::from_value(&req.config);
    let inv = match gather(aws, &filters).await {
        Ok(inv) => inv,
        Err(e) => {
            sink.send(error_event(e.to_diagnostic())).await;
            return;
        }
    };
    let mut listed = releases(&inv, &filters.cluster);
    if let Some(l) = &filters.listener_arn {
        listed = on_listener(&inv, listed, l);
    }
    for event in ordered(events(listed, &filters.cluster, req.include_resource), req.limit) {
        if !sink.send(event).await {
            return;
        }
    }
}

/// The events in the order they are sent: warnings first (events without an identity,
/// which Terraform shows and does not count toward `limit`), then, when there are more
/// releases than `limit`, one warning saying so, then the releases. Terraform stops
/// reading after `limit` releases, so a warning sent after them would be lost.
fn ordered(events: Vec<ListResourceEvent>, limit: i64) -> Vec<ListResourceEvent> {
    let (results, mut out): (Vec<_>, Vec<_>) = events.into_iter().partition(|e| e.identity.is_some());
    if let Ok(limit) = usize::try_from(limit)
        && limit > 0
        && results.len() > limit
    {
        out.push(ListResourceEvent {
            display_name: format!("{limit} of {} releases", results.len()),
            diagnostics: Diagnostic::warning(
                "List cut at the limit",
                format!(
                    "Found {} releases; only the first {limit} (by name) are listed because the list block sets limit = {limit}. Raise limit, or narrow the query with listener_arn or service_name_prefix, to see the others.",
                    results.len()
                ),
            )
            .into(),
            ..Default::default()
        });
    }
    out.extend(results);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic_pointer::Pointer;
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple};
    use tfplugin::diag::Severity;

    const ACCT: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012";

    fn tg(name: &str) -> String {
        format!("{ACCT}:targetgroup/{name}/0123456789abcdef")
    }
    fn listener(lb: &str, id: &str) -> String {
        format!("{ACCT}:listener/app/{lb}/50dc6c495c0c9188/{id}")
    }
    fn rule(lb: &str, listener_id: &str, id: &str) -> String {
        format!("{ACCT}:listener-rule/app/{lb}/50dc6c495c0c9188/{listener_id}/{id}")
    }

    fn forward(groups: &[(&str, i32)]) -> Vec<Action> {
        let tuples = groups.iter().map(|(t, w)| TargetGroupTuple::builder().target_group_arn(*t).weight(*w).build());
        vec![
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .forward_config(ForwardActionConfig::builder().set_target_groups(Some(tuples.collect())).build())
                .build(),
        ]
    }
    fn at_rule(arn: &str, port: i32, groups: &[(&str, i32)]) -> Found {
        Found { pointer: Pointer { target: PointerRef::Rule(arn.into()), actions: forward(groups) }, port: Some(port) }
    }
    fn at_listener(arn: &str, port: i32, groups: &[(&str, i32)]) -> Found {
        Found {
            pointer: Pointer { target: PointerRef::Listener(arn.into()), actions: forward(groups) },
            port: Some(port),
        }
    }
    fn service(name: &str, tgs: &[&str]) -> ServiceView {
        ServiceView { name: name.into(), target_groups: tgs.iter().map(|t| t.to_string()).collect(), native: vec![] }
    }

    fn released(listed: &[Listed]) -> Vec<&Release> {
        listed
            .iter()
            .filter_map(|l| match l {
                Listed::Release(r) => Some(r),
                _ => None,
            })
            .collect()
    }
    fn warnings(listed: &[Listed]) -> Vec<&Diagnostic> {
        listed
            .iter()
            .filter_map(|l| match l {
                Listed::Warning { diagnostic, .. } | Listed::Stale { diagnostic, .. } => Some(diagnostic),
                _ => None,
            })
            .collect()
    }

    /// A cluster with every kind of release on two load balancers, plus a half-built pair.
    fn cluster() -> Inventory {
        let (tag_a, tag_b) = (tg("app-tg-a"), tg("app-tg-b"));
        let (shop_b, shop_g) = (tg("shop-blue"), tg("shop-green"));
        let (spin_b, spin_g) = (tg("spin-blue"), tg("spin-green"));
        let (nat_b, nat_g) = (tg("nat-blue"), tg("nat-green"));
        let (det_b, det_g) = (tg("det-blue"), tg("det-green"));
        let half = tg("half-tg-a");
        let mut native = service("nat", &[&nat_b, &nat_g]);
        native.native = vec![Native {
            target_group: nat_b.clone(),
            alternate: nat_g.clone(),
            production: Some(rule("alb", "l80", "natp")),
            test: Some(rule("alb", "l8080", "natt")),
        }];
        Inventory {
            services: vec![
                service("app-blue", &[&tag_a]),
                service("app-green", &[&tag_b]),
                service("shop-blue", &[&shop_b]),
                service("shop-green", &[&shop_g]),
                service("spin-prod-v000", &[&spin_b]),
                service("spin-prod-v001", &[&spin_g]),
                service("spin-prod-v002", &[&spin_g]),
                native,
                service("det-blue", &[&det_b]),
                service("half", &[&half]),
                service("batch", &[]),
                service("plain-web", &[&tg("plain-web")]),
            ],
            pointers: vec![
                at_rule(&rule("alb", "l80", "app1"), 80, &[(&tag_a, 100), (&tag_b, 0)]),
                at_rule(&rule("alb", "l80", "shop"), 80, &[(&shop_b, 0), (&shop_g, 100)]),
                at_rule(&rule("alb", "l80", "spin"), 80, &[(&spin_b, 90), (&spin_g, 10)]),
                at_rule(&rule("alb", "l80", "natp"), 80, &[(&nat_b, 1)]),
                at_rule(&rule("alb", "l8080", "natt"), 8080, &[(&nat_g, 1)]),
                at_rule(&rule("alb", "l8080", "apptest"), 8080, &[(&tag_b, 1)]),
                at_listener(&listener("web", "l443"), 443, &[(&det_b, 1)]),
                at_rule(&rule("alb", "l80", "half"), 80, &[(&half, 1)]),
                at_rule(&rule("alb", "l80", "plain"), 80, &[(&tg("plain-web"), 1)]),
            ],
            tags: [
                (tag_a.clone(), Some("blue".into())),
                (tag_b.clone(), Some("green".into())),
                (half.clone(), Some("blue".into())),
            ]
            .into(),
            by_name: [("det-green".to_string(), det_g)].into(),
            missing: BTreeMap::new(),
        }
    }

    #[test]
    fn every_kind_of_pair_is_listed_with_its_production_pointer() {
        let inv = cluster();
        let listed = releases(&inv, "prod");
        let names: Vec<String> = released(&listed).iter().map(|r| r.display_name()).collect();
        assert_eq!(
            names,
            [
                "app · rule …/app1 → blue",
                "det · listener :443 …/l443 → blue",
                "nat · rule …/natp → blue",
                "shop · rule …/shop → green",
                "spin-prod · rule …/spin → blue 90% / green 10%",
            ]
        );
        let by_name = |n: &str| *released(&listed).iter().find(|r| r.name == n).unwrap();
        // Tag colors: blue is app-tg-a. The rule forwarding to standby green alone is not
        // taken as its test pointer: only ECS-native names one (import finds the same).
        let app = by_name("app");
        assert_eq!(app.pair, Pair { blue: tg("app-tg-a"), green: tg("app-tg-b") });
        assert_eq!(app.test, None);
        // ECS-native: production and test rule from advancedConfiguration, though each
        // forwards to one group only.
        let nat = by_name("nat");
        assert_eq!(nat.pointer, PointerRef::Rule(rule("alb", "l80", "natp")));
        assert_eq!(nat.test, Some(PointerRef::Rule(rule("alb", "l8080", "natt"))));
        assert_eq!(nat.detached, Some(Color::Green));
        // The detached green's name twin pairs it; the default action is the pointer.
        let det = by_name("det");
        assert_eq!(det.pair.green, tg("det-green"));
        assert_eq!(det.pointer, PointerRef::Listener(listener("web", "l443")));
        assert_eq!(by_name("shop").test, None);
        // The half-built pair is a warning naming the target group and the fix; the
        // plain service on a colorless target group is neither listed nor warned about.
        let w = warnings(&listed);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].severity, Severity::Warning);
        assert!(w[0].summary.contains("one color only"), "{w:?}");
        assert!(w[0].detail.contains(&tg("half-tg-a")) && w[0].detail.contains("half"), "{w:?}");
    }

    #[test]
    fn ambiguous_and_colorless_pairs_are_warnings_and_the_rest_still_list() {
        let mut inv = cluster();
        // A second production pointer naming both shop groups (HTTP and HTTPS both managed).
        let (shop_b, shop_g) = (tg("shop-blue"), tg("shop-green"));
        inv.pointers.push(at_listener(&listener("alb", "l443"), 443, &[(&shop_b, 100), (&shop_g, 0)]));
        // Two groups no tag or name tells apart.
        let (x, y) = (tg("pay-tg-x"), tg("pay-tg-y"));
        inv.services.push(service("pay", &[&x]));
        inv.pointers.push(at_rule(&rule("alb", "l80", "pay"), 80, &[(&x, 100), (&y, 0)]));
        // A lone target group whose color tag is neither blue nor green.
        inv.services.push(service("odd", &[&tg("odd-tg")]));
        inv.tags.insert(tg("odd-tg"), Some("purple".into()));
        let listed = releases(&inv, "prod");
        let w = warnings(&listed);
        assert!(w.iter().any(|d| d.summary.contains("Several pointers") && d.detail.contains("l443")), "{w:?}");
        assert!(w.iter().any(|d| d.summary.contains("Invalid color tag") && d.detail.contains("purple")), "{w:?}");
        assert!(w.iter().any(|d| d.summary.contains("Cannot tell blue from green")), "{w:?}");
        assert!(w.iter().all(|d| d.severity == Severity::Warning));
        let names: Vec<&str> = released(&listed).iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["app", "det", "nat", "spin-prod"]);
    }

    #[test]
    fn listener_filter_keeps_its_releases_and_warnings() {
        let inv = cluster();
        let listed = on_listener(&inv, releases(&inv, "prod"), &listener("alb", "l80"));
        let names: Vec<&str> = released(&listed).iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["app", "nat", "shop", "spin-prod"]);
        assert_eq!(warnings(&listed).len(), 1, "the half-built pair's rule is on this listener");
        let listed = on_listener(&inv, releases(&inv, "prod"), &listener("web", "l443"));
        assert_eq!(released(&listed).len(), 1);
        assert!(warnings(&listed).is_empty());
    }

    #[test]
    fn events_carry_identity_state_and_warnings() {
        let inv = cluster();
        let ev = events(releases(&inv, "prod"), "prod", true);
        assert_eq!(ev.len(), 6);
        let app = &ev[0];
        let identity = app.identity.as_ref().unwrap();
        assert_eq!(identity.get(attrs::CLUSTER).as_str(), Some("prod"));
        assert_eq!(identity.get(attrs::LISTENER_RULE_ARN).as_str(), Some(rule("alb", "l80", "app1").as_str()));
        assert!(identity.get(attrs::LISTENER_ARN).is_null());
        let state = app.resource_object.as_ref().unwrap();
        assert_eq!(state.get(attrs::ACTIVE_COLOR).as_str(), Some("blue"));
        assert_eq!(state.get(attrs::STANDBY_TRAFFIC_PERCENT).as_i64(), Some(0));
        assert!(state.get(attrs::TEST_LISTENER_RULE_ARN).is_null(), "no guessed test pointer: {state:?}");
        let nat = ev.iter().find(|e| e.display_name.starts_with("nat")).unwrap().resource_object.as_ref().unwrap();
        assert_eq!(nat.get(attrs::TEST_LISTENER_RULE_ARN).as_str(), Some(rule("alb", "l8080", "natt").as_str()));
        assert!(app.diagnostics.is_empty());
        // The detached standby of the ECS-native release is warned about on its result.
        let nat = ev.iter().find(|e| e.display_name.starts_with("nat")).unwrap();
        assert!(nat.identity.is_some() && nat.diagnostics.iter().any(|d| d.summary.contains("detached")));
        // The warning event has no identity, so Terraform shows it and skips it.
        let half = ev.iter().find(|e| e.identity.is_none()).unwrap();
        assert!(half.diagnostics.iter().all(|d| d.severity == Severity::Warning) && !half.diagnostics.is_empty());
        // Without include_resource, no state.
        assert!(events(releases(&inv, "prod"), "prod", false).iter().all(|e| e.resource_object.is_none()));
    }

    /// Sends `events` as `list` does, to a sink with `limit`; returns what was received.
    async fn send_all(events: Vec<ListResourceEvent>, limit: i64) -> Vec<ListResourceEvent> {
        let (sink, mut rx) = ListResourceSink::channel(limit, 64);
        for e in ordered(events, limit) {
            if !sink.send(e).await {
                break;
            }
        }
        drop(sink);
        let mut got = Vec::new();
        while let Some(e) = rx.recv().await {
            got.push(e);
        }
        got
    }

    #[tokio::test]
    async fn the_limit_keeps_every_warning_and_says_the_list_was_cut() {
        let mut inv = cluster();
        // A warning sorting after every release ("zz"), which a cut after two releases lost.
        inv.services.push(service("zz", &[&tg("zz-tg-a")]));
        inv.tags.insert(tg("zz-tg-a"), Some("green".into()));
        let all = events(releases(&inv, "prod"), "prod", false);
        let got = send_all(all.clone(), 2).await;
        let results: Vec<&str> = got.iter().filter(|e| e.identity.is_some()).map(|e| e.display_name.as_str()).collect();
        assert_eq!(results, ["app · rule …/app1 → blue", "det · listener :443 …/l443 → blue"]);
        let warnings: Vec<String> = got
            .iter()
            .filter(|e| e.identity.is_none())
            .flat_map(|e| e.diagnostics.iter().map(|d| format!("{}: {}", d.summary, d.detail)))
            .collect();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("half-tg-a")), "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("zz-tg-a")), "{warnings:?}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("List cut at the limit") && w.contains("Found 5 releases; only the first 2")),
            "{warnings:?}"
        );
        // Under the limit (or no limit): no cut warning, everything sent.
        for limit in [0, 5, 100] {
            let got = send_all(all.clone(), limit).await;
            assert_eq!(got.len(), all.len(), "limit {limit}");
            assert!(got.iter().all(|e| e.diagnostics.iter().all(|d| d.summary != "List cut at the limit")));
        }
    }

    #[test]
    fn a_target_group_that_no_longer_exists_is_one_warning_and_the_rest_list() {
        let mut inv = cluster();
        // Service "gone" scaled to 0 names a target group deleted since.
        let gone = tg("gone-blue");
        inv.services.push(service("gone-blue", &[&gone]));
        let existing: BTreeSet<String> = inv.known_target_groups().into_iter().filter(|t| *t != gone).collect();
        inv.drop_missing(&existing);
        assert!(inv.service_target_groups().iter().all(|t| *t != gone));
        let listed = releases(&inv, "prod");
        assert_eq!(released(&listed).len(), 5);
        let w = warnings(&listed);
        let stale: Vec<&&Diagnostic> = w.iter().filter(|d| d.summary.contains("no longer exists")).collect();
        assert_eq!(stale.len(), 1, "{w:?}");
        assert!(stale[0].detail.contains("gone-blue") && stale[0].detail.contains(&gone), "{w:?}");
        // The listener-filtered query shows it too (no listener can claim a deleted group).
        let on_l80 = on_listener(&inv, listed, &listener("alb", "l80"));
        assert!(warnings(&on_l80).iter().any(|d| d.summary.contains("no longer exists")));
        assert_eq!(released(&on_l80).len(), 4);
    }

    #[test]
    fn a_lone_target_group_takes_its_partner_in_the_order_import_does() {
        // lone-blue has a name twin (lone-green) and a pointer naming it with other-tg:
        // the pointer's partner comes first, as in discovery::partner_order.
        let mut inv = cluster();
        let (lone, twin, other) = (tg("lone-blue"), tg("lone-green"), tg("other-tg"));
        inv.services.push(service("lone", &[&lone]));
        inv.pointers.push(at_rule(&rule("alb", "l80", "lone"), 80, &[(&lone, 100), (&other, 0)]));
        inv.by_name.insert("lone-green".into(), twin.clone());
        let listed = releases(&inv, "prod");
        let lone_release = released(&listed).into_iter().find(|r| r.name == "lone").unwrap();
        assert_eq!(lone_release.pair, Pair { blue: lone.clone(), green: other.clone() });
        // A partner whose colors do not resolve is skipped for the next (the twin).
        inv.tags.insert(other.clone(), Some("blue".into()));
        let (cands, _) = candidates(&inv);
        assert!(cands.iter().any(|c| c.tgs == [lone.clone(), twin.clone()]), "{cands:?}");
    }

    #[test]
    fn generated_configuration_holds_only_the_inputs() {
        use crate::import_adoption::RecentImports;
        use tfplugin::provider::GenerateResourceConfigRequest;
        let inv = cluster();
        let ev = events(releases(&inv, "prod"), "prod", true);
        let state = ev[0].resource_object.clone().unwrap();
        let recent = RecentImports::default();
        let resp = resource_ecs_release::generate_config(
            GenerateResourceConfigRequest { type_name: TYPE_NAME.into(), state: state.clone() },
            &recent,
        );
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let c = resp.config;
        assert_eq!(c.get(attrs::CLUSTER).as_str(), Some("prod"));
        assert_eq!(c.get(attrs::LISTENER_RULE_ARN).as_str(), Some(rule("alb", "l80", "app1").as_str()));
        assert!(c.get(attrs::TEST_LISTENER_RULE_ARN).is_null());
        let blue = c.get(attrs::BLUE).single_block().unwrap().get(attrs::TARGET_GROUP_ARN).as_str();
        assert_eq!(blue, Some(tg("app-tg-a").as_str()));
        for left_out in [
            attrs::ACTIVE_COLOR,
            attrs::STANDBY_TRAFFIC_PERCENT,
            attrs::ID,
            attrs::STANDBY_COLOR,
            attrs::ACTIVE_TARGET_GROUP_ARN,
            attrs::STANDBY_TARGET_GROUP_ARN,
            attrs::LISTENER_ARN,
            attrs::TIMEOUTS,
        ] {
            assert!(c.get(left_out).is_null(), "{left_out} must not be generated: {c:?}");
        }
        assert!(c.get(attrs::PROMOTION).elements().is_empty());
        // No state (Terraform 1.14.0) and no import to take it from, or two: no
        // configuration, and an error that says why and names the fix.
        let no_state = || GenerateResourceConfigRequest { type_name: TYPE_NAME.into(), state: Value::Null };
        let none = resource_ecs_release::generate_config(no_state(), &recent);
        assert!(none.config.is_null() && none.diagnostics.has_errors(), "{:?}", none.diagnostics);
        assert!(none.diagnostics.iter().any(|d| d.detail.contains("v1.14.1")), "{:?}", none.diagnostics);
        // Exactly one release imported in this process: its configuration.
        recent.remember(&state);
        let one = resource_ecs_release::generate_config(no_state(), &recent);
        assert!(one.diagnostics.is_empty(), "{:?}", one.diagnostics);
        assert_eq!(one.config, c);
        recent.remember(&state);
        let two = resource_ecs_release::generate_config(no_state(), &recent);
        assert!(two.config.is_null() && two.diagnostics.iter().any(|d| d.detail.contains("imported 2 releases")));
        let mut partly = ev[0].resource_object.clone().unwrap();
        if let Value::Object(m) = &mut partly {
            m.insert(attrs::CLUSTER.into(), Value::Unknown);
        }
        let unknown = resource_ecs_release::generate_config(
            GenerateResourceConfigRequest { type_name: TYPE_NAME.into(), state: partly },
            &recent,
        );
        assert!(unknown.config.is_null() && unknown.diagnostics.has_errors(), "{:?}", unknown.diagnostics);
        assert!(unknown.diagnostics.iter().any(|d| d.detail.contains("unknown")));
    }

    #[test]
    fn names_drop_color_words_and_spinnaker_versions() {
        assert_eq!(base_name("shop-prod-v012"), "shop-prod");
        assert_eq!(base_name("shop-blue"), "shop");
        assert_eq!(base_name("app"), "app");
        assert_eq!(base_name("blue"), "blue");
        assert_eq!(base_name("api-v2"), "api-v2");
    }

    #[test]
    fn config_errors_name_the_attribute_and_the_fix() {
        let c = |pairs: &[(&str, &str)]| Value::object(pairs.iter().map(|(k, v)| (*k, Value::from(*v))));
        assert!(validate(&c(&[(attrs::CLUSTER, "prod"), (attrs::LISTENER_ARN, &listener("alb", "l80"))])).is_empty());
        let d = validate(&c(&[(attrs::CLUSTER, "bad cluster"), (attrs::LISTENER_ARN, &rule("alb", "l80", "r1"))]));
        let text: Vec<String> = d.iter().map(|d| format!("{:?} {} {}", d.path, d.summary, d.detail)).collect();
        assert_eq!(d.iter().count(), 2, "{text:?}");
        assert!(text[0].contains(attrs::CLUSTER) && text[0].contains("Invalid ECS cluster"), "{text:?}");
        assert!(text[1].contains(attrs::LISTENER_ARN) && text[1].contains(&listener("alb", "l80")), "{text:?}");
        let d = validate(&c(&[(attrs::CLUSTER, "prod"), ("service_name_prefix", "")]));
        assert!(d.iter().any(|d| d.summary == "Empty service name prefix"));
    }
}
