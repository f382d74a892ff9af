//! Finding a release from what import gives us: which target group is blue and which
//! green, the sibling target group of a service, and the pointer that forwards to them.

use crate::arn;
use crate::aws::AwsClients;
use crate::aws::ecs as aws_ecs;
use crate::aws::elbv2::{self, TargetGroupsBy};
use crate::errors::{Error, Result};
use crate::pointer_owner;
use crate::target_group_cache::{ColorTags, LoadBalancersByTargetGroup};
use crate::traffic_pointer::{self, Color, Pair, Pointer, PointerRef};
use aws_sdk_elasticloadbalancingv2::types::TagDescription;

pub const COLOR_TAG: &str = "bluegreen:color";

/// The color a target group's name says, if exactly one of the words blue/green is in it.
pub fn color_from_name(name: &str) -> Option<Color> {
    let words: Vec<String> = name.split(|c: char| !c.is_ascii_alphanumeric()).map(str::to_ascii_lowercase).collect();
    match (words.iter().any(|w| w == "blue"), words.iter().any(|w| w == "green")) {
        (true, false) => Some(Color::Blue),
        (false, true) => Some(Color::Green),
        _ => None,
    }
}

/// Decides which of two target groups is blue: the `bluegreen:color` tag wins, then a
/// blue/green word in the name; one side known settles the other.
/// `name` with its color word swapped (`app-blue` → `app-green`), if it has exactly one.
pub fn twin_name(name: &str) -> Option<String> {
    let color = color_from_name(name)?;
    let (from, to) = (color.as_str(), color.other().as_str());
    let mut out = String::with_capacity(name.len() + 1);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.eq_ignore_ascii_case(from) {
            let upper = word.chars().all(|c| c.is_ascii_uppercase());
            out.push_str(&if upper { to.to_ascii_uppercase() } else { to.to_string() });
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    Some(out)
}

/// The target group named like `tg` with the other color word: one DescribeTargetGroups.
async fn name_twin(aws: &AwsClients, tg: &str) -> Result<Option<String>> {
    let Some(twin) = arn::target_group_name(tg).and_then(twin_name) else { return Ok(None) };
    match elbv2::find_target_groups(&aws.elbv2, TargetGroupsBy::Names(&[twin])).await {
        Ok(groups) => Ok(groups.first().and_then(|t| t.target_group_arn()).map(str::to_string)),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn resolve_pair(aws: &AwsClients, a: &str, b: &str) -> Result<Pair> {
    // The answer is by ARN, so either order of the pair shares one lookup.
    let key = if a <= b { (a.to_string(), b.to_string()) } else { (b.to_string(), a.to_string()) };
    let tags = aws.target_groups.color_tags.get_or_lookup(&key, || color_tags(aws, a, b)).await?;
    let tag = |tg: &str| tags.get(tg).and_then(Option::as_deref);
    pair_from_colors(a, b, tag(a), tag(b))
}

/// The color of one target group: its `bluegreen:color` tag value if it has one (an
/// error unless blue or green), else a blue/green word in its name.
pub fn target_group_color(tg: &str, tag: Option<&str>) -> Result<Option<Color>> {
    match tag {
        Some(v) => Color::parse(&v.trim().to_ascii_lowercase()).map(Some).ok_or_else(|| {
            Error::live(
                "Invalid color tag",
                format!("Target group {tg} has tag {COLOR_TAG} = {v:?}; use \"blue\" or \"green\"."),
            )
        }),
        None => Ok(arn::target_group_name(tg).and_then(color_from_name)),
    }
}

/// Decides which of two target groups is blue from their `bluegreen:color` tag values
/// (if any) and names: the tag wins, then a blue/green word in the name; one side known
/// settles the other.
pub fn pair_from_colors(a: &str, b: &str, tag_a: Option<&str>, tag_b: Option<&str>) -> Result<Pair> {
    let (ca, cb) = (target_group_color(a, tag_a)?, target_group_color(b, tag_b)?);
    let a_color = match (ca, cb) {
        (Some(x), Some(y)) if x == y => {
            return Err(Error::live(
                "Both target groups have the same color",
                format!("{a} and {b} both resolve to {x}. Tag one of them {COLOR_TAG} = {}.", x.other()),
            ));
        }
        (Some(x), _) => x,
        (None, Some(y)) => y.other(),
        (None, None) => {
            return Err(Error::live(
                "Cannot tell blue from green",
                format!(
                    "Neither {a} nor {b} has a {COLOR_TAG} tag or a blue/green word in its name. Add the tag {COLOR_TAG} = \"blue\" to one and \"green\" to the other, then import again."
                ),
            ));
        }
    };
    let (blue, green) = if a_color == Color::Blue { (a, b) } else { (b, a) };
    Ok(Pair { blue: blue.to_string(), green: green.to_string() })
}

/// The `bluegreen:color` tags of two target groups (one DescribeTags).
async fn color_tags(aws: &AwsClients, a: &str, b: &str) -> Result<ColorTags> {
    Ok(color_tags_of(&elbv2::find_tags(&aws.elbv2, &[a.to_string(), b.to_string()]).await?))
}

/// The `bluegreen:color` tag value of each resource described (None: no such tag).
pub fn color_tags_of(descriptions: &[TagDescription]) -> ColorTags {
    descriptions
        .iter()
        .filter_map(|d| {
            let color = d.tags().iter().find(|t| t.key() == Some(COLOR_TAG)).and_then(|t| t.value());
            Some((d.resource_arn()?.to_string(), color.map(str::to_string)))
        })
        .collect()
}

/// Target groups of one ECS service's load balancers (production and ECS-native alternate).
pub async fn service_target_groups(aws: &AwsClients, cluster: &str, service: &str) -> Result<Vec<String>> {
    let tgs = aws_ecs::service_target_groups(&aws_ecs::find_service(&aws.ecs, cluster, service).await?);
    if tgs.is_empty() {
        return Err(Error::live(
            "Service has no target group",
            format!(
                "ECS service {service} in {cluster} has no load balancer target group; a release needs services behind an ALB."
            ),
        ));
    }
    Ok(tgs)
}

/// The candidate partners of a target group nothing else pairs, in the one order import
/// (by service, or by a pointer forwarding to one group) and `terraform query` both try
/// them, so what the query lists imports as listed:
/// 1. the `alternateTargetGroupArn` of an ECS-native blue/green service on it (or the
///    target group of the service whose alternate it is): ECS itself names the pair;
/// 2. the other group of a pointer whose forward action names it and exactly one other
///    group: the form this provider writes (the standby at weight 0);
/// 3. its name twin (`app-blue` → `app-green`).
///
/// Each caller takes the first candidate whose colors resolve. Import then falls back
/// to a sibling service's target group of the other color; the name twin comes before
/// that because in a cluster serving several releases every other release's target
/// group of the opposite color "pairs" with `tg`.
///
/// `natives` holds (target group, alternate) of each ECS-native load balancer,
/// `pointer_groups` the target groups each pointer forwards to.
pub fn partner_order(
    tg: &str,
    natives: &[(&str, &str)],
    pointer_groups: &[Vec<String>],
    twin: Option<&str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: &str| {
        if t != tg && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    };
    for (t, a) in natives {
        if *t == tg {
            push(a);
        } else if *a == tg {
            push(t);
        }
    }
    for groups in pointer_groups {
        let mut g: Vec<&str> = groups.iter().map(String::as_str).collect();
        g.sort_unstable();
        g.dedup();
        if let [a, b] = g.as_slice()
            && (*a == tg || *b == tg)
        {
            push(if *a == tg { b } else { a });
        }
    }
    if let Some(t) = twin {
        push(t);
    }
    out
}

/// The ECS-native test pointer of a pair: the `testListenerRule` of the ECS-native load
/// balancer whose target group and alternate are the pair (either way round), unless it
/// is the production pointer. `natives` holds (target group, alternate, test rule).
/// Only this is a release's test pointer, for import and `terraform query` alike: any
/// other rule forwarding to the standby alone may be something else entirely (a
/// host-header rule pinned to one color), which every promotion would then rewrite.
pub fn native_test_rule<'a>(
    natives: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
    pair: &Pair,
    production: &str,
) -> Option<&'a str> {
    natives.into_iter().find_map(|(t, a, test)| {
        let names_pair = (t == pair.blue && a == pair.green) || (t == pair.green && a == pair.blue);
        test.filter(|r| names_pair && *r != production)
    })
}

/// (target group, alternate, test rule) of each ECS-native load balancer of `services`.
fn natives_of(services: &[aws_sdk_ecs::types::Service]) -> Vec<(String, String, Option<String>)> {
    pointer_owner::natives_of(services).into_iter().map(|n| (n.target_group, n.alternate, n.test_rule)).collect()
}

/// The test pointer import records for a release: its ECS-native `testListenerRule`
/// ([`native_test_rule`]) if that rule exists and forwards within the pair. One listing
/// of the cluster's services per process; the rule is taken from `listed` (the pair's
/// load balancers, read by import already), else read (one DescribeRules).
pub async fn native_test_pointer(
    aws: &AwsClients,
    cluster: &str,
    pair: &Pair,
    production: &PointerRef,
    listed: &[Found],
) -> Result<Option<PointerRef>> {
    let config = pointer_owner::cluster_natives(aws, cluster).await?;
    let natives = config.iter().map(|n| (n.target_group.as_str(), n.alternate.as_str(), n.test_rule.as_deref()));
    let Some(rule) = native_test_rule(natives, pair, production.arn()) else { return Ok(None) };
    let target = PointerRef::Rule(rule.to_string());
    let read = match listed.iter().find(|f| f.pointer.target == target) {
        Some(f) => Ok(f.pointer.clone()),
        None => traffic_pointer::read(&aws.elbv2, &target).await,
    };
    match read {
        Ok(p) if p.traffic(pair, None).is_ok() => Ok(Some(target)),
        Ok(_) | Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The target groups each pointer on `tg`'s load balancers forwards to: one
/// DescribeTargetGroups, then the load balancers' listeners and rules.
async fn pointer_groups_of(aws: &AwsClients, tg: &str) -> Result<Vec<Vec<String>>> {
    let groups = elbv2::find_target_groups(&aws.elbv2, TargetGroupsBy::Arns(&[tg.to_string()])).await?;
    let lbs: Vec<String> = groups.iter().flat_map(|t| t.load_balancer_arns().iter().cloned()).collect();
    let mut groups = Vec::new();
    for lb in &lbs {
        for f in pointers_of_load_balancer(aws, lb).await? {
            groups.push(f.pointer.weights().unwrap_or_default().into_iter().map(|(t, _)| t).collect());
        }
    }
    Ok(groups)
}

/// The other color's target group for `tg`: the first of [`partner_order`] whose colors
/// resolve, else a sibling service's target group of the opposite color in the cluster.
pub async fn sibling_target_group(aws: &AwsClients, cluster: &str, tg: &str) -> Result<Pair> {
    let services = aws_ecs::find_cluster_services(&aws.ecs, cluster).await?;
    let config = natives_of(&services);
    let natives: Vec<(&str, &str)> = config.iter().map(|(t, a, _)| (t.as_str(), a.as_str())).collect();
    let pointer_groups = pointer_groups_of(aws, tg).await?;
    let twin = name_twin(aws, tg).await?;
    for partner in partner_order(tg, &natives, &pointer_groups, twin.as_deref()) {
        if let Ok(pair) = resolve_pair(aws, tg, &partner).await {
            return Ok(pair);
        }
    }
    let mut candidates: Vec<String> = Vec::new();
    for s in &services {
        for other in s.load_balancers().iter().filter_map(|lb| lb.target_group_arn()) {
            if other != tg && !candidates.iter().any(|c| c == other) {
                candidates.push(other.to_string());
            }
        }
    }
    let mut pairs = Vec::new();
    for c in &candidates {
        if let Ok(pair) = resolve_pair(aws, tg, c).await {
            pairs.push(pair);
        }
    }
    match pairs.len() {
        1 => Ok(pairs.remove(0)),
        0 => Err(Error::live(
            "No sibling target group",
            format!(
                "Found no service in cluster {cluster} on a target group of the other color than {tg}. Import by CLUSTER/LISTENER_RULE_ARN instead, or tag the target groups {COLOR_TAG}."
            ),
        )),
        _ => Err(Error::live(
            "Several sibling target groups",
            format!(
                "More than one target group in cluster {cluster} could pair with {tg}. Import by CLUSTER/LISTENER_RULE_ARN to say which pointer you mean."
            ),
        )),
    }
}

/// The pair of a pointer read live: its forward action must name both target groups,
/// or one of them plus a sibling found through the cluster's services.
pub async fn pair_of_pointer(aws: &AwsClients, cluster: &str, pointer: &Pointer) -> Result<Pair> {
    let weights = pointer.weights()?;
    let tgs: Vec<&str> = weights.iter().map(|(t, _)| t.as_str()).collect();
    match tgs.as_slice() {
        [one] => sibling_target_group(aws, cluster, one).await,
        [a, b] => resolve_pair(aws, a, b).await,
        _ => Err(Error::live(
            "Pointer forwards to more than two target groups",
            format!(
                "{} forwards to {} target groups; a release manages exactly two (blue and green).",
                pointer.target.describe(),
                tgs.len()
            ),
        )),
    }
}

/// The production pointer of the pair: among the rules and listener default actions on
/// the target groups' load balancers whose forward action reaches only the pair, the
/// one [`choose_pointer`] picks.
pub async fn find_pointer_for_pair(aws: &AwsClients, pair: &Pair) -> Result<Pointer> {
    choose_pointer(pair, forwarding_within(pair, pointers_of_pair(aws, pair).await?))
}

/// Every pointer of the load balancers the pair's target groups are attached to (one
/// DescribeTargetGroups per pair per run, then [`pointers_of_load_balancer`] each).
pub async fn pointers_of_pair(aws: &AwsClients, pair: &Pair) -> Result<Vec<Found>> {
    let groups = pair_load_balancers(aws, pair).await?;
    let mut lbs: Vec<String> = groups.into_iter().flat_map(|(_, lbs)| lbs).collect();
    lbs.sort();
    lbs.dedup();
    let mut found: Vec<Found> = Vec::new();
    for lb in &lbs {
        found.extend(pointers_of_load_balancer(aws, lb).await?);
    }
    Ok(found)
}

/// The pointers whose forward action reaches only the pair (one or both of its groups).
pub fn forwarding_within(pair: &Pair, all: Vec<Found>) -> Vec<Found> {
    all.into_iter().filter(|f| f.pointer.traffic(pair, None).is_ok()).collect()
}

/// Every pointer of a load balancer: each listener's rules and default action, with the
/// listener's port. DescribeListeners (paginated), then one paginated DescribeRules per
/// ALB listener (an NLB listener's default action comes with the listing).
pub async fn pointers_of_load_balancer(aws: &AwsClients, lb: &str) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    for l in elbv2::find_load_balancer_listeners(&aws.elbv2, lb).await? {
        let Some(listener_arn) = l.listener_arn() else { continue };
        if arn::is_nlb_listener(listener_arn) {
            // An NLB listener has no rules: its default action, already in this
            // listing, is its one pointer (and DescribeRules is an ALB call).
            let target = PointerRef::Listener(listener_arn.to_string());
            found.push(Found { pointer: Pointer { target, actions: l.default_actions().to_vec() }, port: l.port() });
            continue;
        }
        for r in elbv2::find_listener_rules(&aws.elbv2, listener_arn).await? {
            let target = if r.is_default() == Some(true) {
                PointerRef::Listener(listener_arn.to_string())
            } else {
                PointerRef::Rule(r.rule_arn().unwrap_or_default().to_string())
            };
            found.push(Found { pointer: Pointer { target, actions: r.actions().to_vec() }, port: l.port() });
        }
    }
    Ok(found)
}

/// A pointer (a rule, or a listener's default action) and the port of its listener.
#[derive(Clone, Debug)]
pub struct Found {
    pub pointer: Pointer,
    pub port: Option<i32>,
}

/// Listener ports that carry production traffic by convention; test listeners of
/// blue/green deployments (CodeDeploy, ECS-native) sit on another port (8080, 8443, 9000).
const PRODUCTION_PORTS: [i32; 2] = [443, 80];

/// The place of a listener port in [`PRODUCTION_PORTS`] (443 first); other ports after.
fn port_rank(port: Option<i32>) -> usize {
    port.and_then(|p| PRODUCTION_PORTS.iter().position(|q| *q == p)).unwrap_or(PRODUCTION_PORTS.len())
}

/// Picks the production pointer when several forward to the pair:
/// 1. One that names both target groups. This provider writes production pointers
///    that way (the standby at weight 0, so it stays attached to the load balancer),
///    while test listener rules forward to one group only. Of several such pointers
///    (HTTP and HTTPS listeners, an internal rule) the one on port 443, then 80, then
///    the lowest ARN; import and query make the others its `route` blocks.
/// 2. If none names both (pointers written by a deploy tool, or before this provider
///    kept the standby attached), each forwards to one color: the production pointer to
///    the active one, a test rule to the standby, and nothing on ALB says which color is
///    active. The listener then decides: the one pointer on port 443 or 80 is taken as
///    production. Anything still ambiguous is an error naming the candidates, so
///    import says which one by ARN rather than guess.
pub fn choose_pointer(pair: &Pair, mut found: Vec<Found>) -> Result<Pointer> {
    let names_both = |f: &Found| {
        f.pointer
            .weights()
            .is_ok_and(|w| w.iter().any(|(t, _)| *t == pair.blue) && w.iter().any(|(t, _)| *t == pair.green))
    };
    if found.is_empty() {
        return Err(Error::live(
            "No pointer forwards to the pair",
            format!(
                "No listener rule or listener default action forwards to {} or {}. Import by CLUSTER/LISTENER_RULE_ARN.",
                pair.blue, pair.green
            ),
        ));
    }
    let both: Vec<usize> = (0..found.len()).filter(|&i| names_both(&found[i])).collect();
    // Several naming both groups all move with the release (the others become its
    // routes, `pair_pointers`): the primary only names it. The production port first,
    // then the ARN, so import and `terraform query` pick the same one.
    let first_of_both = both.iter().copied().min_by(|&a, &b| {
        let key = |i: usize| (port_rank(found[i].port), found[i].pointer.target.arn());
        key(a).cmp(&key(b))
    });
    let production: Vec<usize> = if let Some(i) = first_of_both {
        vec![i]
    } else if found.len() == 1 {
        vec![0]
    } else {
        (0..found.len()).filter(|&i| found[i].port.is_some_and(|p| PRODUCTION_PORTS.contains(&p))).collect()
    };
    if let [i] = production.as_slice() {
        return Ok(found.swap_remove(*i).pointer);
    }
    // Ambiguous: name every candidate (or all, when none stood out) and where it sends traffic.
    let shown: Vec<&Found> =
        if production.is_empty() { found.iter().collect() } else { production.iter().map(|&i| &found[i]).collect() };
    let describe = |f: &Found| {
        let colors: Vec<&str> = f
            .pointer
            .weights()
            .unwrap_or_default()
            .iter()
            .filter_map(|(t, _)| pair.color_of(t).map(|c| c.as_str()))
            .collect();
        let port = f.port.map(|p| format!(", listener port {p}")).unwrap_or_default();
        format!("{} (forwards to {}{port})", f.pointer.target.arn(), colors.join(" and "))
    };
    Err(Error::live(
        "Several pointers forward to the pair",
        format!(
            "Cannot tell which is the production pointer: {}. Import by CLUSTER/LISTENER_RULE_ARN (or CLUSTER/LISTENER_ARN) to pick one.",
            shown.into_iter().map(describe).collect::<Vec<_>>().join("; ")
        ),
    ))
}

/// The load balancers each of the pair's target groups is attached to (one
/// DescribeTargetGroups per pair per run); a missing target group is NotFound.
async fn pair_load_balancers(aws: &AwsClients, pair: &Pair) -> Result<LoadBalancersByTargetGroup> {
    let key = (pair.blue.clone(), pair.green.clone());
    aws.target_groups.load_balancers.get_or_lookup(&key, || describe_pair(aws, pair)).await
}

async fn describe_pair(aws: &AwsClients, pair: &Pair) -> Result<LoadBalancersByTargetGroup> {
    let arns = [pair.blue.clone(), pair.green.clone()];
    Ok(elbv2::find_target_groups(&aws.elbv2, TargetGroupsBy::Arns(&arns))
        .await?
        .iter()
        .map(|t| (t.target_group_arn().unwrap_or_default().to_string(), t.load_balancer_arns().to_vec()))
        .collect())
}

/// Every target group must be attached to the pointer's load balancer or to none yet.
pub async fn check_same_load_balancer(aws: &AwsClients, pointer: &PointerRef, pair: &Pair) -> Result<()> {
    let Some(lb) = arn::load_balancer_of(pointer.arn()) else { return Ok(()) };
    for (tg, lbs) in pair_load_balancers(aws, pair).await? {
        if !lbs.is_empty() && !lbs.contains(&lb) {
            return Err(Error::live(
                "Target group on a different load balancer",
                format!(
                    "Target group {tg} is attached to {} but the pointer {} belongs to {lb}. Use target groups of the pointer's load balancer.",
                    lbs.join(", "),
                    pointer.arn()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twin_names_swap_the_color_word_only() {
        assert_eq!(twin_name("app-blue").as_deref(), Some("app-green"));
        assert_eq!(twin_name("shop_GREEN_tg").as_deref(), Some("shop_BLUE_tg"));
        assert_eq!(twin_name("bluebird-blue").as_deref(), Some("bluebird-green"));
        assert_eq!(twin_name("app-tg-a"), None);
        assert_eq!(twin_name("blue-green"), None);
    }

    #[test]
    fn colors_from_whole_words_of_the_name() {
        assert_eq!(color_from_name("app-blue"), Some(Color::Blue));
        assert_eq!(color_from_name("app_GREEN_tg"), Some(Color::Green));
        assert_eq!(color_from_name("bluebird"), None);
        assert_eq!(color_from_name("blue-green"), None);
        assert_eq!(color_from_name("app-tg-a"), None);
    }

    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple};

    const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-blue/1";
    const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-green/2";

    fn pair() -> Pair {
        Pair { blue: BLUE.into(), green: GREEN.into() }
    }

    fn found(rule: &str, port: i32, groups: &[(&str, i32)]) -> Found {
        let tuples = groups.iter().map(|(tg, w)| TargetGroupTuple::builder().target_group_arn(*tg).weight(*w).build());
        let forward = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(ForwardActionConfig::builder().set_target_groups(Some(tuples.collect())).build())
            .build();
        Found { pointer: Pointer { target: PointerRef::Rule(rule.into()), actions: vec![forward] }, port: Some(port) }
    }

    fn chosen(candidates: Vec<Found>) -> Result<String> {
        choose_pointer(&pair(), candidates).map(|p| p.target.arn().to_string())
    }

    #[test]
    fn the_pointer_naming_both_groups_is_production_over_a_test_rule() {
        // Production keeps the standby at weight 0; the test rule on 8080 forwards to green only.
        let prod = found("prod", 80, &[(BLUE, 100), (GREEN, 0)]);
        let test = found("test", 8080, &[(GREEN, 1)]);
        assert_eq!(chosen(vec![test, prod]).unwrap(), "prod");
        // Even when production sits on an unusual port.
        let prod = found("prod", 8443, &[(BLUE, 0), (GREEN, 100)]);
        assert_eq!(chosen(vec![prod, found("test", 443, &[(BLUE, 1)])]).unwrap(), "prod");
        // Several pointers naming both groups all move with the release (the others are
        // its routes): 443 before 80 before any other port, then the lowest ARN.
        let http = || found("http", 80, &[(BLUE, 1), (GREEN, 0)]);
        let https = || found("https", 443, &[(BLUE, 1), (GREEN, 0)]);
        let admin = || found("admin", 8443, &[(BLUE, 1), (GREEN, 0)]);
        assert_eq!(chosen(vec![http(), admin(), https()]).unwrap(), "https");
        assert_eq!(chosen(vec![admin(), http(), found("test", 80, &[(GREEN, 1)])]).unwrap(), "http");
        assert_eq!(chosen(vec![found("b", 80, &[(BLUE, 1), (GREEN, 0)]), http()]).unwrap(), "b");
    }

    #[test]
    fn a_lone_target_group_tries_native_then_pointer_then_twin() {
        let (nat, ptr, twin) = ("native-alt", "pointer-partner", "app-green");
        let natives = [("other", "x"), ("lone", nat)];
        let pointers = vec![
            vec!["lone".to_string()],
            vec!["lone".into(), ptr.into()],
            vec!["lone".into(), "a".into(), "b".into()],
        ];
        assert_eq!(partner_order("lone", &natives, &pointers, Some(twin)), [nat, ptr, twin]);
        // The native service may name it as the alternate; duplicates are tried once.
        let natives = [(ptr, "lone")];
        assert_eq!(partner_order("lone", &natives, &pointers, Some(ptr)), [ptr]);
        assert!(partner_order("lone", &[], &[vec!["lone".into()]], None).is_empty());
    }

    #[test]
    fn only_the_ecs_native_test_listener_rule_is_a_test_pointer() {
        let natives = [(GREEN, BLUE, Some("test")), ("x", "y", Some("other"))];
        assert_eq!(native_test_rule(natives, &pair(), "prod"), Some("test"));
        // Not the production rule itself, and not another pair's.
        assert_eq!(native_test_rule([(BLUE, GREEN, Some("prod"))], &pair(), "prod"), None);
        assert_eq!(native_test_rule([("x", "y", Some("other"))], &pair(), "prod"), None);
        assert_eq!(native_test_rule([(BLUE, GREEN, None)], &pair(), "prod"), None);
    }

    #[test]
    fn color_tags_are_read_per_resource_and_other_tags_ignored() {
        use aws_sdk_elasticloadbalancingv2::types::Tag;
        let described = |arn: &str, tags: &[(&str, &str)]| {
            let tags = tags.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build());
            TagDescription::builder().resource_arn(arn).set_tags(Some(tags.collect())).build()
        };
        let tags = color_tags_of(&[
            described(BLUE, &[("team", "shop"), (COLOR_TAG, "blue")]),
            described(GREEN, &[("team", "shop")]),
            TagDescription::builder().build(),
        ]);
        assert_eq!(tags.len(), 2, "{tags:?}");
        assert_eq!(tags[BLUE].as_deref(), Some("blue"));
        assert_eq!(tags[GREEN], None);
    }

    #[test]
    fn single_group_pointers_fall_back_to_the_production_port() {
        // Written by a deploy tool: production to blue only, test rule to green only.
        assert_eq!(chosen(vec![found("test", 8080, &[(GREEN, 1)]), found("prod", 443, &[(BLUE, 1)])]).unwrap(), "prod");
        // A lone pointer is production whatever its port.
        assert_eq!(chosen(vec![found("only", 8080, &[(GREEN, 1)])]).unwrap(), "only");
        // Nothing stands out: ask for the ARN, naming every candidate and its color.
        let e = chosen(vec![found("a", 8080, &[(GREEN, 1)]), found("b", 9000, &[(BLUE, 1)])]).unwrap_err().to_string();
        assert!(
            e.contains("a (forwards to green, listener port 8080); b (forwards to blue, listener port 9000)"),
            "{e}"
        );
        assert!(chosen(vec![]).unwrap_err().to_string().contains("No pointer forwards to the pair"));
    }
}
