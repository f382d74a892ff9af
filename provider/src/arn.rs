//! ARNs of the load balancer (ALB, NLB) and ECS objects a release points at, parsed in
//! one place.

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub fn parse(s: &str) -> Option<Arn<'_>> {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let ok = arn == "arn"
        && partition.starts_with("aws")
        && !service.is_empty()
        && !resource.is_empty()
        && s.len() <= 2048
        && !s.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(Arn { partition, service, region, account, resource })
}

/// Segments of an ELB resource of the given kind (`listener`, `listener-rule`,
/// `targetgroup`, `loadbalancer`), e.g. `listener/app/NAME/LB_ID/LISTENER_ID`.
fn elb_resource<'a>(s: &'a str, kind: &str, segments: usize) -> Option<Vec<&'a str>> {
    let arn = parse(s)?;
    if arn.service != "elasticloadbalancing" || arn.region.is_empty() || arn.account.is_empty() {
        return None;
    }
    let parts: Vec<&str> = arn.resource.split('/').collect();
    (parts.len() == segments && parts[0] == kind && parts.iter().all(|p| !p.is_empty())).then_some(parts)
}

/// `...:listener-rule/app/NAME/LB_ID/LISTENER_ID/RULE_ID`: ALB rules only (a Network
/// Load Balancer has no listener rules: see [`is_nlb_listener_rule`]).
pub fn is_listener_rule(s: &str) -> bool {
    elb_resource(s, "listener-rule", 6).is_some_and(|p| p[1] == "app")
}

/// A rule-shaped ARN under an NLB (`...:listener-rule/net/...`): no rule a release can
/// point at, since an NLB listener forwards with its default action only.
pub fn is_nlb_listener_rule(s: &str) -> bool {
    elb_resource(s, "listener-rule", 6).is_some_and(|p| p[1] == "net")
}

/// `...:listener/app/NAME/LB_ID/LISTENER_ID` (ALB) or `...:listener/net/...` (NLB).
pub fn is_listener(s: &str) -> bool {
    elb_resource(s, "listener", 5).is_some_and(|p| p[1] == "app" || p[1] == "net")
}

/// `...:listener/net/NAME/LB_ID/LISTENER_ID`: a Network Load Balancer's listener.
pub fn is_nlb_listener(s: &str) -> bool {
    elb_resource(s, "listener", 5).is_some_and(|p| p[1] == "net")
}

/// The listener a listener rule belongs to.
pub fn listener_of_rule(rule_arn: &str) -> Option<String> {
    if !is_listener_rule(rule_arn) {
        return None;
    }
    let arn = parse(rule_arn)?;
    let parts: Vec<&str> = arn.resource.split('/').collect();
    Some(format!(
        "arn:{}:elasticloadbalancing:{}:{}:listener/{}/{}/{}/{}",
        arn.partition, arn.region, arn.account, parts[1], parts[2], parts[3], parts[4]
    ))
}

/// `...:targetgroup/NAME/ID`.
pub fn is_target_group(s: &str) -> bool {
    elb_resource(s, "targetgroup", 3).is_some()
}

/// The load balancer a listener or listener rule belongs to.
pub fn load_balancer_of(pointer_arn: &str) -> Option<String> {
    let arn = parse(pointer_arn)?;
    let parts: Vec<&str> = arn.resource.split('/').collect();
    if !(is_listener(pointer_arn) || is_listener_rule(pointer_arn)) {
        return None;
    }
    Some(format!(
        "arn:{}:elasticloadbalancing:{}:{}:loadbalancer/{}/{}/{}",
        arn.partition, arn.region, arn.account, parts[1], parts[2], parts[3]
    ))
}

/// The name in a target group ARN (`targetgroup/NAME/ID`).
pub fn target_group_name(tg_arn: &str) -> Option<&str> {
    elb_resource(tg_arn, "targetgroup", 3).map(|p| p[1])
}

/// `arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`.
pub fn is_ecs_cluster(s: &str) -> bool {
    parse(s).is_some_and(|a| {
        a.service == "ecs" && a.resource.strip_prefix("cluster/").is_some_and(|n| !n.is_empty() && !n.contains('/'))
    })
}

/// Whether two spellings name the same ECS cluster: equal, or a name and an ARN
/// (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`) ending in that name.
pub fn same_cluster(a: &str, b: &str) -> bool {
    fn name(s: &str) -> &str {
        s.rsplit_once("cluster/").map_or(s, |(_, n)| n)
    }
    a == b || (is_ecs_cluster(a) != is_ecs_cluster(b) && name(a) == name(b))
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, optionally `:VERSION` or `:ALIAS`
/// (Lambda's FunctionName pattern: letters, digits, `-` and `_`, up to 64).
pub fn is_lambda_function(s: &str) -> bool {
    let Some(a) = parse(s) else { return false };
    let Some(rest) = a.resource.strip_prefix("function:") else { return false };
    let mut parts = rest.split(':');
    let name_ok = |n: &str| {
        !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let qualifier_ok = |q: &str| {
        !q.is_empty()
            && q.len() <= 128
            && q.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$')
    };
    a.service == "lambda"
        && !a.region.is_empty()
        && !a.account.is_empty()
        && parts.next().is_some_and(name_ok)
        && parts.next().is_none_or(qualifier_ok)
        && parts.next().is_none()
}

/// ECS cluster names: 1-255 letters, digits, hyphens and underscores.
pub fn is_cluster_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_function_arns_with_and_without_a_qualifier() {
        for ok in [
            "arn:aws:lambda:us-east-1:123456789012:function:smoke",
            "arn:aws:lambda:us-east-1:123456789012:function:smoke-test_2:live",
            "arn:aws:lambda:us-east-1:123456789012:function:smoke:$LATEST",
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:smoke:7",
        ] {
            assert!(is_lambda_function(ok), "{ok}");
        }
        for bad in [
            "smoke",
            "arn:aws:lambda:us-east-1:123456789012:smoke",
            "arn:aws:lambda:us-east-1:123456789012:function:",
            "arn:aws:lambda:us-east-1:123456789012:function:a:b:c",
            "arn:aws:lambda::123456789012:function:smoke",
            "arn:aws:ecs:us-east-1:123456789012:function:smoke",
            "arn:aws:lambda:us-east-1:123456789012:function:has space",
        ] {
            assert!(!is_lambda_function(bad), "{bad}");
        }
    }

    const RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
    const LISTENER: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-blue/73e2d6bc24d8a067";

    #[test]
    fn recognises_each_elb_kind_and_nothing_else() {
        assert!(is_listener_rule(RULE) && !is_listener(RULE) && !is_target_group(RULE));
        assert!(is_listener(LISTENER) && !is_listener_rule(LISTENER));
        assert!(is_target_group(TG) && !is_listener(TG));
        for bad in [
            "",
            "arn",
            "arn:aws:elasticloadbalancing",
            "blue",
            "arn:aws:ecs:us-east-1:1:cluster/x",
            "arn:aws:elasticloadbalancing:us-east-1:123:listener/gwy/web/1/2",
            &format!("{LISTENER} "),
            "arn:aws:elasticloadbalancing:us-east-1:123:listener-rule/app/web//f2/96",
        ] {
            assert!(!is_listener_rule(bad) && !is_listener(bad) && !is_target_group(bad), "{bad:?}");
        }
    }

    const NLB_LISTENER: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/tcp/50dc6c495c0c9188/f2f7dc8efc522ab2";

    #[test]
    fn an_nlb_listener_is_a_listener_and_has_no_rules() {
        assert!(is_listener(NLB_LISTENER) && is_nlb_listener(NLB_LISTENER) && !is_nlb_listener(LISTENER));
        let nlb_rule = NLB_LISTENER.replace(":listener/", ":listener-rule/") + "/9683b2d02a6cabee";
        assert!(!is_listener_rule(&nlb_rule) && is_nlb_listener_rule(&nlb_rule) && !is_nlb_listener_rule(RULE));
        assert_eq!(
            load_balancer_of(NLB_LISTENER).as_deref(),
            Some("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/tcp/50dc6c495c0c9188")
        );
    }

    #[test]
    fn derives_load_balancer_and_name() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
        assert_eq!(load_balancer_of(RULE).as_deref(), Some(lb));
        assert_eq!(listener_of_rule(RULE).as_deref(), Some(LISTENER));
        assert_eq!(listener_of_rule(LISTENER), None);
        assert_eq!(load_balancer_of(LISTENER).as_deref(), Some(lb));
        assert_eq!(load_balancer_of(TG), None);
        assert_eq!(target_group_name(TG), Some("app-blue"));
    }

    #[test]
    fn a_cluster_name_and_its_arn_are_the_same_cluster() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod";
        assert!(same_cluster("prod", arn) && same_cluster(arn, "prod") && same_cluster("prod", "prod"));
        assert!(!same_cluster("prod", "arn:aws:ecs:us-east-1:123456789012:cluster/qa"));
        assert!(!same_cluster("prod", "qa"));
        // Two ARNs are the same cluster only when equal (other account or region).
        assert!(!same_cluster(arn, "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"));
    }

    #[test]
    fn clusters_by_name_or_arn() {
        assert!(is_ecs_cluster("arn:aws:ecs:us-east-1:123456789012:cluster/prod"));
        assert!(!is_ecs_cluster("arn:aws:ecs:us-east-1:123456789012:service/prod/x"));
        assert!(is_cluster_name("prod_1-a") && !is_cluster_name("pr od") && !is_cluster_name(""));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in
            ["arn:::::", "arn:aws:::::", ":::::::", "arn:aws:elasticloadbalancing:r:a:listener-rule/app", "ü:ß:∂:ƒ:©:˙"]
        {
            let _ = (is_listener_rule(s), is_listener(s), load_balancer_of(s), target_group_name(s));
        }
    }
}
