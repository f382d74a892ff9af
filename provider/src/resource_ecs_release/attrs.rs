//! The attribute names of `bluegreen_ecs_release`, in one place: the schema, the typed
//! state, the configuration parser, the data source, the actions and the list resource
//! all name an attribute through these constants.

/// `CLUSTER/POINTER_ARN` (computed).
pub const ID: &str = "id";
pub const CLUSTER: &str = "cluster";
/// The production pointer: a listener rule, or a listener's default action.
pub const LISTENER_RULE_ARN: &str = "listener_rule_arn";
pub const LISTENER_ARN: &str = "listener_arn";
/// The optional test pointer, always forwarding to the standby color.
pub const TEST_LISTENER_RULE_ARN: &str = "test_listener_rule_arn";
pub const TEST_LISTENER_ARN: &str = "test_listener_arn";
pub const ACTIVE_COLOR: &str = "active_color";
pub const STANDBY_TRAFFIC_PERCENT: &str = "standby_traffic_percent";
pub const STANDBY_COLOR: &str = "standby_color";
pub const ACTIVE_TARGET_GROUP_ARN: &str = "active_target_group_arn";
pub const STANDBY_TARGET_GROUP_ARN: &str = "standby_target_group_arn";
/// The color blocks, each holding one [`TARGET_GROUP_ARN`].
pub const BLUE: &str = "blue";
pub const GREEN: &str = "green";
pub const TARGET_GROUP_ARN: &str = "target_group_arn";
pub const PROMOTION: &str = "promotion";
pub const TIMEOUTS: &str = "timeouts";
/// Repeatable block: [`route`], more pointers that move with the primary one.
pub const ROUTE: &str = "route";
/// Inside [`TIMEOUTS`].
pub const CREATE: &str = "create";
pub const UPDATE: &str = "update";

/// The color blocks, blue first.
pub const COLORS: [&str; 2] = [BLUE, GREEN];

/// A change of one of these replaces the release (a cluster respelled as its ARN does
/// not: see `plan::replaces`).
pub const REPLACING: [&str; 3] = [CLUSTER, LISTENER_RULE_ARN, LISTENER_ARN];

/// What the traffic decides beyond the inputs; the first three derive from
/// [`ACTIVE_COLOR`] and the pair, [`ID`] from the cluster and the pointer.
pub const DERIVED: [&str; 4] = [STANDBY_COLOR, ACTIVE_TARGET_GROUP_ARN, STANDBY_TARGET_GROUP_ARN, ID];

/// The traffic a release adopts when its configuration leaves them out.
pub const ADOPTED: [&str; 2] = [ACTIVE_COLOR, STANDBY_TRAFFIC_PERCENT];

/// Every attribute that records live traffic: a state whose pointer is no split of the
/// pair records none of them.
pub const TRAFFIC: [&str; 5] =
    [ACTIVE_COLOR, STANDBY_TRAFFIC_PERCENT, STANDBY_COLOR, ACTIVE_TARGET_GROUP_ARN, STANDBY_TARGET_GROUP_ARN];

/// The test pointer's two spellings.
pub const TEST_POINTERS: [&str; 2] = [TEST_LISTENER_RULE_ARN, TEST_LISTENER_ARN];

/// The inputs that name the release, as `-generate-config-out` writes them.
/// Everything computed is left out, and so are [`ADOPTED`]: the generated release
/// adopts what is live instead of pinning the traffic of the moment it was generated.
pub const GENERATED_INPUTS: [&str; 5] =
    [CLUSTER, LISTENER_RULE_ARN, LISTENER_ARN, TEST_LISTENER_RULE_ARN, TEST_LISTENER_ARN];

/// The computed attributes (and the adopted ones), written as null in generated
/// configuration.
pub const COMPUTED: [&str; 6] =
    [ID, ACTIVE_COLOR, STANDBY_TRAFFIC_PERCENT, ACTIVE_TARGET_GROUP_ARN, STANDBY_COLOR, STANDBY_TARGET_GROUP_ARN];

/// Inside the [`PROMOTION`] block, and its `canary` and `linear` blocks.
pub mod promotion {
    pub const MIN_HEALTHY_TARGETS: &str = "min_healthy_targets";
    pub const WAIT_TIMEOUT: &str = "wait_timeout";
    pub const ALARM_NAMES: &str = "alarm_names";
    /// Also inside `canary`: that step's bake.
    pub const BAKE_TIME: &str = "bake_time";
    pub const ROLLBACK_ON_FAILURE: &str = "rollback_on_failure";
    pub const STRATEGY: &str = "strategy";
    /// A block, named as the strategy value that reads it.
    pub const CANARY: &str = "canary";
    /// A block, named as the strategy value that reads it.
    pub const LINEAR: &str = "linear";
    /// A block: [`super::dynatrace`].
    pub const DYNATRACE: &str = "dynatrace";
    /// Repeatable block: [`super::hook`].
    pub const HOOK: &str = "hook";
    /// Inside `canary`.
    pub const PERCENT: &str = "percent";
    /// Inside `linear`.
    pub const STEP_PERCENT: &str = "step_percent";
    pub const STEP_BAKE_TIME: &str = "step_bake_time";
    /// The wait after each write that moves traffic on an NLB listener.
    pub const NLB_PROPAGATION_DELAY: &str = "nlb_propagation_delay";
}

/// Inside `promotion.dynatrace`.
pub mod dynatrace {
    pub const ENVIRONMENT_URL: &str = "environment_url";
    pub const API_TOKEN_SECRET_ARN: &str = "api_token_secret_arn";
    pub const API_TOKEN_SECRET_KEY: &str = "api_token_secret_key";
    pub const SLO_IDS: &str = "slo_ids";
    pub const ALLOW_WARNING: &str = "allow_warning";
    pub const EVALUATION_WINDOW: &str = "evaluation_window";
    pub const GUARDIAN_WORKFLOW_ID: &str = "guardian_workflow_id";
    pub const PLATFORM_URL: &str = "platform_url";
    pub const PLATFORM_TOKEN_SECRET_ARN: &str = "platform_token_secret_arn";
    pub const PLATFORM_TOKEN_SECRET_KEY: &str = "platform_token_secret_key";
}

/// Inside each [`super::ROUTE`] block: its pointer ([`super::LISTENER_RULE_ARN`] or
/// [`super::LISTENER_ARN`]), its test pointer ([`super::TEST_POINTERS`]), its own pair,
/// and the traffic it was last seen with ([`super::ACTIVE_COLOR`] and
/// [`super::STANDBY_TRAFFIC_PERCENT`], computed there).
pub mod route {
    /// Optional: defaults to the release's `blue` target group.
    pub const BLUE_TARGET_GROUP_ARN: &str = "blue_target_group_arn";
    /// Optional: defaults to the release's `green` target group.
    pub const GREEN_TARGET_GROUP_ARN: &str = "green_target_group_arn";
    /// Both, blue first.
    pub const TARGET_GROUPS: [&str; 2] = [BLUE_TARGET_GROUP_ARN, GREEN_TARGET_GROUP_ARN];
}

/// Inside each `promotion.hook`.
pub mod hook {
    pub const STAGE: &str = "stage";
    pub const LAMBDA_FUNCTION_ARN: &str = "lambda_function_arn";
    pub const HOOK_DETAILS: &str = "hook_details";
    pub const TIMEOUT: &str = "timeout";
}
