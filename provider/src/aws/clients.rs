//! The provider block: its schema, validation, and the AWS clients built from it with
//! the standard credential chain.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecs::config::SharedCredentialsProvider;
use std::time::Duration;
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::{AttrPath, Diagnostics, Type, Value};

pub const DEFAULT_MAX_RETRIES: i64 = 10;
/// First retry waits a random 0..INITIAL_BACKOFF; each further one doubles the bound.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// No single wait is longer than this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

pub fn schema() -> Schema {
    let endpoints = Block::new("Custom service endpoints, for AWS emulators or VPC endpoints.")
        .attribute(Attribute::optional("ecs", Type::String, "Endpoint URL for Amazon ECS."))
        .attribute(Attribute::optional("elbv2", Type::String, "Endpoint URL for Elastic Load Balancing v2."))
        .attribute(Attribute::optional("cloudwatch", Type::String, "Endpoint URL for Amazon CloudWatch."))
        .attribute(Attribute::optional(
            "secretsmanager",
            Type::String,
            "Endpoint URL for AWS Secrets Manager (the Dynatrace tokens of `promotion.dynatrace`).",
        ))
        .attribute(Attribute::optional("lambda", Type::String, "Endpoint URL for AWS Lambda (lifecycle hooks)."))
        .attribute(Attribute::optional(
            "codedeploy",
            Type::String,
            "Endpoint URL for AWS CodeDeploy (read only: whether a CodeDeploy deployment group also routes a release's pointer, and whether it is deploying).",
        ))
        .attribute(Attribute::optional("sts", Type::String, "Endpoint URL for AWS STS (used by `assume_role`)."));
    let assume_role = Block::new("Assume this IAM role, using the credentials of the standard chain.")
        .attribute(Attribute::required("role_arn", Type::String, "ARN of the IAM role to assume."))
        .attribute(Attribute::optional(
            "session_name",
            Type::String,
            "Session name; defaults to `terraform-provider-bluegreen`.",
        ))
        .attribute(
            Attribute::optional("external_id", Type::String, "External ID the role's trust policy requires.")
                .sensitive(),
        );
    Schema {
        version: 0,
        block: Block::new(
            "The bluegreen provider manages the traffic pointer of blue/green ECS services behind an ALB. \
             Credentials come from the standard AWS chain (environment, shared config and SSO, web identity, \
             container and instance roles) and never appear in state, plans or logs.",
        )
        .attribute(Attribute::optional(
            "region",
            Type::String,
            "AWS region. Defaults to `AWS_REGION` / `AWS_DEFAULT_REGION` or the profile's region.",
        ))
        .attribute(Attribute::optional(
            "profile",
            Type::String,
            "Named profile of the shared config and credentials files.",
        ))
        .attribute(Attribute::optional(
            "max_retries",
            Type::Number,
            "Maximum retries of a throttled or failed AWS call (exponential backoff with full jitter, from 0.5 s up to 20 s per wait). Defaults to 10.",
        ))
        .block(NestedBlock::list_max_one("assume_role", assume_role))
        .block(NestedBlock::list_max_one("endpoints", endpoints)),
    }
}

/// The provider block as the provider uses it; unknown values count as unset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub max_retries: Option<i64>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
}

#[derive(Clone, PartialEq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

// The external ID is a shared secret with the role's owner: never print it.
impl std::fmt::Debug for AssumeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRole")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("external_id", &self.external_id.as_ref().map(|_| "(redacted)"))
            .finish()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Endpoints {
    pub ecs: Option<String>,
    pub elbv2: Option<String>,
    pub cloudwatch: Option<String>,
    pub secretsmanager: Option<String>,
    pub lambda: Option<String>,
    pub codedeploy: Option<String>,
    pub sts: Option<String>,
}

fn known_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

impl ProviderConfig {
    pub fn from_value(config: &Value) -> ProviderConfig {
        let endpoints = config.get("endpoints").single_block().cloned().unwrap_or_default();
        ProviderConfig {
            region: known_string(config.get("region")),
            profile: known_string(config.get("profile")),
            max_retries: config.get("max_retries").as_i64(),
            assume_role: config.get("assume_role").single_block().and_then(|a| {
                Some(AssumeRole {
                    role_arn: known_string(a.get("role_arn"))?,
                    session_name: known_string(a.get("session_name")),
                    external_id: known_string(a.get("external_id")),
                })
            }),
            endpoints: Endpoints {
                ecs: known_string(endpoints.get("ecs")),
                elbv2: known_string(endpoints.get("elbv2")),
                cloudwatch: known_string(endpoints.get("cloudwatch")),
                secretsmanager: known_string(endpoints.get("secretsmanager")),
                lambda: known_string(endpoints.get("lambda")),
                codedeploy: known_string(endpoints.get("codedeploy")),
                sts: known_string(endpoints.get("sts")),
            },
        }
    }
}

/// Static checks of the provider block. Unknown values (a provider block that depends
/// on resources not yet created) are accepted and checked when known.
pub fn validate(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(region) = config.get("region").as_str() {
        let ok = !region.is_empty()
            && region.len() <= 32
            && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            d.error_at(
                AttrPath::root("region"),
                "Invalid AWS region",
                format!("{region:?} is not an AWS region name. Use a name such as \"us-east-1\", or omit `region` to use AWS_REGION."),
            );
        }
    }
    match config.get("max_retries") {
        Value::Null | Value::Unknown => {}
        v => match v.as_i64() {
            Some(n) if (0..=100).contains(&n) => {}
            _ => d.error_at(
                AttrPath::root("max_retries"),
                "Invalid max_retries",
                "`max_retries` must be a whole number from 0 to 100 (0 disables retries).",
            ),
        },
    }
    if let Some(role) = config.get("assume_role").single_block()
        && let Some(arn) = role.get("role_arn").as_str()
    {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[2] == "iam"
            && parts[5].starts_with("role/")
            && parts[5].len() > 5;
        if !ok {
            d.error_at(
                AttrPath::root("assume_role").index(0).attr("role_arn"),
                "Invalid role ARN",
                format!("{arn:?} is not an IAM role ARN. Use the form arn:aws:iam::123456789012:role/NAME."),
            );
        }
    }
    if let Some(endpoints) = config.get("endpoints").single_block() {
        for service in ["ecs", "elbv2", "cloudwatch", "secretsmanager", "lambda", "codedeploy", "sts"] {
            if let Some(url) = endpoints.get(service).as_str() {
                let ok = (url.starts_with("http://") || url.starts_with("https://"))
                    && url
                        .split("://")
                        .nth(1)
                        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
                if !ok {
                    d.error_at(
                        AttrPath::root("endpoints").index(0).attr(service),
                        "Invalid endpoint URL",
                        format!("{url:?} is not an http(s) URL. Use the form \"https://ecs.us-east-1.amazonaws.com\" or \"http://127.0.0.1:5000\"."),
                    );
                }
            }
        }
    }
    d
}

/// How every AWS call is retried: the SDK's standard mode, up to `max_retries` retries
/// (0..=100, default 10) with exponential backoff and full jitter from `INITIAL_BACKOFF`
/// up to `MAX_BACKOFF`, so consecutive throttles of one call back off further and further
/// (the n-th retry waits a random 0..min(0.5 s x 2^(n-1), 20 s)). Throttling,
/// 5xx, transient and timeout errors are retried; every retry draws on the client's retry
/// quota (500 tokens, 5 a retry, 10 a timeout, refilled by successes), so an AWS that
/// keeps failing stops being hammered.
///
/// Not adaptive mode: its client-side rate limiter starts each process with no history
/// of the account's rate, and after one throttle it measures the few calls a provider
/// process makes as the sustainable rate (at least 0.5 requests/s, 5 tokens a retry), so
/// every retry waited ~10-20 s. A promotion under 30 % throttling took 105 s for 14 calls.
pub fn retry_config(cfg: &ProviderConfig) -> RetryConfig {
    let max_retries = cfg.max_retries.unwrap_or(DEFAULT_MAX_RETRIES).clamp(0, 100) as u32;
    RetryConfig::standard()
        .with_max_attempts(max_retries + 1)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

/// One client per AWS service, each with its own connection pool, sharing the
/// credential provider and retry configuration.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub ecs: aws_sdk_ecs::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Reads the Dynatrace tokens when a gate runs (`secrets`).
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    /// Invokes the lifecycle hooks (`traffic_switch::hooks`).
    pub lambda: aws_sdk_lambda::Client,
    /// Reads who else routes a pointer (`pointer_owner`): deployment groups, deployments.
    pub codedeploy: aws_sdk_codedeploy::Client,
    /// Coalesced pointer reads for refresh and plan.
    pub pointers: crate::pointer_loader::PointerLoader,
    /// Target-group facts that hold for the whole run.
    pub target_groups: std::sync::Arc<crate::target_group_cache::TargetGroupCache>,
    pub region: Option<String>,
}

impl AwsClients {
    pub async fn build(cfg: &ProviderConfig) -> AwsClients {
        let retry = retry_config(cfg);
        // A hung connection or a slow answer fails the attempt (and is retried) instead
        // of stalling the whole apply.
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(20))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry).timeout_config(timeouts);
        if let Some(region) = &cfg.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &cfg.profile {
            loader = loader.profile_name(profile);
        }
        let mut base: SdkConfig = loader.load().await;
        if let Some(role) = &cfg.assume_role {
            // The STS client that assumes the role is built from this config, so an STS
            // endpoint override applies to it alone.
            let mut sts_base = base.to_builder();
            if let Some(url) = &cfg.endpoints.sts {
                sts_base = sts_base.endpoint_url(url);
            }
            let mut assume = aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone())
                .session_name(role.session_name.clone().unwrap_or_else(|| "terraform-provider-bluegreen".into()))
                .configure(&sts_base.build());
            if let Some(id) = &role.external_id {
                assume = assume.external_id(id.clone());
            }
            let provider = assume.build().await;
            base = base.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
        }
        let ecs = {
            let mut b = aws_sdk_ecs::config::Builder::from(&base);
            if let Some(url) = &cfg.endpoints.ecs {
                b = b.endpoint_url(url);
            }
            aws_sdk_ecs::Client::from_conf(b.build())
        };
        let elbv2 = {
            let mut b = aws_sdk_elasticloadbalancingv2::config::Builder::from(&base);
            if let Some(url) = &cfg.endpoints.elbv2 {
                b = b.endpoint_url(url);
            }
            aws_sdk_elasticloadbalancingv2::Client::from_conf(b.build())
        };
        let cloudwatch = {
            let mut b = aws_sdk_cloudwatch::config::Builder::from(&base);
            if let Some(url) = &cfg.endpoints.cloudwatch {
                b = b.endpoint_url(url);
            }
            aws_sdk_cloudwatch::Client::from_conf(b.build())
        };
        let secretsmanager = {
            let mut b = aws_sdk_secretsmanager::config::Builder::from(&base);
            if let Some(url) = &cfg.endpoints.secretsmanager {
                b = b.endpoint_url(url);
            }
            aws_sdk_secretsmanager::Client::from_conf(b.build())
        };
        let lambda = {
            // A hook runs synchronously for up to Lambda's 15-minute limit: the attempt
            // timeout of the other clients would cut it short (and its retry would run
            // the hook again). The hook's own `timeout` bounds the wait instead.
            let hook_timeouts = aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(16 * 60))
                .build();
            let mut b = aws_sdk_lambda::config::Builder::from(&base).timeout_config(hook_timeouts);
            if let Some(url) = &cfg.endpoints.lambda {
                b = b.endpoint_url(url);
            }
            aws_sdk_lambda::Client::from_conf(b.build())
        };
        let codedeploy = {
            let mut b = aws_sdk_codedeploy::config::Builder::from(&base);
            if let Some(url) = &cfg.endpoints.codedeploy {
                b = b.endpoint_url(url);
            }
            aws_sdk_codedeploy::Client::from_conf(b.build())
        };
        let window = std::env::var("BLUEGREEN_COALESCE_WINDOW_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(crate::pointer_loader::DEFAULT_WINDOW);
        let pointers = crate::pointer_loader::PointerLoader::new(elbv2.clone(), window);
        AwsClients {
            ecs,
            elbv2,
            cloudwatch,
            secretsmanager,
            lambda,
            codedeploy,
            pointers,
            target_groups: Default::default(),
            region: base.region().map(|r| r.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: Vec<(&str, Value)>) -> Value {
        Value::object(pairs)
    }

    #[test]
    fn valid_config_has_no_diagnostics_and_unknowns_are_accepted() {
        let c = config(vec![
            ("region", "us-east-1".into()),
            ("max_retries", Value::Unknown),
            (
                "endpoints",
                Value::List(vec![config(vec![("ecs", "http://127.0.0.1:5000".into()), ("elbv2", Value::Unknown)])]),
            ),
        ]);
        assert!(validate(&c).is_empty(), "{}", validate(&c));
    }

    #[test]
    fn each_bad_setting_is_reported_at_its_attribute() {
        let c = config(vec![
            ("region", "US East".into()),
            ("max_retries", Value::from(-1)),
            ("assume_role", Value::List(vec![config(vec![("role_arn", "deployer".into())])])),
            ("endpoints", Value::List(vec![config(vec![("ecs", "127.0.0.1:5000".into())])])),
        ]);
        let d = validate(&c);
        let paths: Vec<String> = d.iter().map(|d| d.path.as_ref().unwrap().to_string()).collect();
        assert_eq!(paths, ["region", "max_retries", "assume_role[0].role_arn", "endpoints[0].ecs"]);
    }

    #[test]
    fn retry_config_allows_max_retries_plus_one_attempts_in_standard_mode_with_jittered_backoff() {
        use aws_config::retry::RetryMode;
        let with = |n: Option<i64>| retry_config(&ProviderConfig { max_retries: n, ..Default::default() });
        for (max_retries, attempts) in [(None, 11), (Some(0), 1), (Some(2), 3), (Some(100), 101), (Some(1000), 101)] {
            let r = with(max_retries);
            assert_eq!(r.max_attempts(), attempts, "max_retries {max_retries:?}");
            assert_eq!(r.mode(), RetryMode::Standard, "no client-side rate limiter (adaptive mode)");
            assert_eq!(r.initial_backoff(), Duration::from_millis(500));
            assert_eq!(r.max_backoff(), Duration::from_secs(20));
            assert!(!r.use_static_exponential_base(), "backoff is jittered");
        }
        assert!(!with(Some(0)).has_retry());
        // From the provider block as Terraform sends it.
        let from_block = retry_config(&ProviderConfig::from_value(&config(vec![("max_retries", Value::from(4))])));
        assert_eq!((from_block.max_attempts(), from_block.mode()), (5, RetryMode::Standard));
    }

    #[test]
    fn external_id_is_redacted_from_debug_output() {
        let role = AssumeRole {
            role_arn: "arn:aws:iam::1:role/x".into(),
            session_name: None,
            external_id: Some("s3cr3t".into()),
        };
        assert!(!format!("{role:?}").contains("s3cr3t"));
    }

    #[test]
    fn config_reads_blocks_and_treats_unknown_as_unset() {
        let c = config(vec![
            ("region", Value::Unknown),
            ("profile", "prod".into()),
            ("assume_role", Value::List(vec![config(vec![("role_arn", "arn:aws:iam::1:role/d".into())])])),
        ]);
        let p = ProviderConfig::from_value(&c);
        assert_eq!(p.region, None);
        assert_eq!(p.profile.as_deref(), Some("prod"));
        assert_eq!(p.assume_role.unwrap().role_arn, "arn:aws:iam::1:role/d");
    }
}
