//! Import IDs of `bluegreen_ecs_release`, parsed in one place:
//! `CLUSTER/SERVICE`, `CLUSTER/LISTENER_RULE_ARN` and `CLUSTER/LISTENER_ARN`.

use crate::arn;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportTarget {
    Service(String),
    ListenerRule(String),
    Listener(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportId {
    pub cluster: String,
    pub target: ImportTarget,
}

const FORMS: &str = "Use one of: CLUSTER/SERVICE, CLUSTER/LISTENER_RULE_ARN or CLUSTER/LISTENER_ARN \
(CLUSTER is the ECS cluster name or ARN), e.g. prod/arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";

/// Why an import ID was refused: which part, and how to write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportIdError {
    pub part: &'static str,
    pub message: String,
}

impl std::fmt::Display for ImportIdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.message, FORMS)
    }
}

fn err(part: &'static str, message: String) -> ImportIdError {
    ImportIdError { part, message }
}

pub fn parse(id: &str) -> Result<ImportId, ImportIdError> {
    if id.trim().is_empty() {
        return Err(err("ID", "The import ID is empty.".into()));
    }
    if id.len() > 4096 || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(err("ID", "The import ID contains whitespace or control characters, or is too long.".into()));
    }
    // A cluster ARN itself contains one '/', after "cluster".
    let (cluster, rest) = if id.starts_with("arn:") {
        let after = id.find(":cluster/").map(|i| i + ":cluster/".len());
        let Some(after) = after else {
            return Err(err("CLUSTER", format!("{id:?} starts with an ARN that is not an ECS cluster ARN.")));
        };
        match id[after..].find('/') {
            Some(slash) => (&id[..after + slash], &id[after + slash + 1..]),
            None => {
                return Err(err(
                    "SERVICE",
                    format!("{id:?} has a cluster but no service, listener rule or listener after it."),
                ));
            }
        }
    } else {
        match id.split_once('/') {
            Some((c, r)) => (c, r),
            None => {
                return Err(err(
                    "SERVICE",
                    format!("{id:?} has no '/': the cluster must be followed by a service, listener rule or listener."),
                ));
            }
        }
    };
    if !(arn::is_ecs_cluster(cluster) || arn::is_cluster_name(cluster)) {
        return Err(err(
            "CLUSTER",
            format!("{cluster:?} is not an ECS cluster name or ARN (letters, digits, '-' and '_')."),
        ));
    }
    if rest.is_empty() {
        return Err(err("SERVICE", format!("{id:?} has nothing after the cluster.")));
    }
    let target = if rest.starts_with("arn:") {
        if arn::is_listener_rule(rest) {
            ImportTarget::ListenerRule(rest.to_string())
        } else if arn::is_listener(rest) {
            ImportTarget::Listener(rest.to_string())
        } else if arn::is_target_group(rest) {
            return Err(err(
                "LISTENER_RULE_ARN",
                format!("{rest:?} is a target group; import by the listener rule or listener that forwards to it."),
            ));
        } else {
            return Err(err(
                "LISTENER_RULE_ARN",
                format!("{rest:?} is neither an ALB listener rule ARN nor a listener ARN (ALB or NLB)."),
            ));
        }
    } else {
        let ok = rest.len() <= 255 && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(err("SERVICE", format!("{rest:?} is not an ECS service name (letters, digits, '-' and '_').")));
        }
        ImportTarget::Service(rest.to_string())
    };
    Ok(ImportId { cluster: cluster.to_string(), target })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
    const LISTENER: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            parse("prod/app-blue").unwrap(),
            ImportId { cluster: "prod".into(), target: ImportTarget::Service("app-blue".into()) }
        );
        assert_eq!(parse(&format!("prod/{RULE}")).unwrap().target, ImportTarget::ListenerRule(RULE.into()));
        assert_eq!(parse(&format!("prod/{LISTENER}")).unwrap().target, ImportTarget::Listener(LISTENER.into()));
        let by_arn = parse(&format!("arn:aws:ecs:us-east-1:123456789012:cluster/prod/{RULE}")).unwrap();
        assert_eq!(by_arn.cluster, "arn:aws:ecs:us-east-1:123456789012:cluster/prod");
        assert_eq!(by_arn.target, ImportTarget::ListenerRule(RULE.into()));
    }

    #[test]
    fn bad_ids_name_the_part_and_show_the_forms() {
        let cases: &[(&str, &str)] = &[
            ("", "ID"),
            ("prod", "SERVICE"),
            ("prod/", "SERVICE"),
            ("/app", "CLUSTER"),
            ("pr od/app", "ID"),
            ("prod/app blue", "ID"),
            ("prod/app.blue", "SERVICE"),
            ("arn:aws:iam::1:role/x/app", "CLUSTER"),
            ("arn:aws:ecs:us-east-1:1:cluster/prod", "SERVICE"),
            ("prod/arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-blue/73e2", "LISTENER_RULE_ARN"),
            // A Gateway Load Balancer's listener forwards no weighted traffic.
            ("prod/arn:aws:elasticloadbalancing:us-east-1:1:listener/gwy/web/1/2", "LISTENER_RULE_ARN"),
            // An NLB has no rules to import by.
            ("prod/arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/net/web/1/2/3", "LISTENER_RULE_ARN"),
            ("p$od/app", "CLUSTER"),
        ];
        let nlb = "arn:aws:elasticloadbalancing:us-east-1:1:listener/net/tcp/1/2";
        assert_eq!(
            parse(&format!("prod/{nlb}")).unwrap().target,
            ImportTarget::Listener(nlb.into()),
            "an NLB listener"
        );
        for (id, part) in cases {
            let e = parse(id).unwrap_err();
            assert_eq!(e.part, *part, "{id:?}: {e}");
            assert!(e.to_string().contains("CLUSTER/SERVICE"), "{id:?}: {e}");
        }
    }
}
