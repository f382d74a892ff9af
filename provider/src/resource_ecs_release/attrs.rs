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
