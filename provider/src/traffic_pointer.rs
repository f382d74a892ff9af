//! The traffic pointer: the forward action of one listener rule or of a listener's
//! default action. Reading normalises what ALB returns; writing changes only the
//! forward action and puts every other action back as it was.

use crate::aws::elbv2;
use crate::errors::{self, Error, Result};
use aws_sdk_elasticloadbalancingv2::Client as ElbClient;
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Blue,
    Green,
}

impl Color {
    pub fn as_str(self) -> &'static str {
        match self {
            Color::Blue => "blue",
            Color::Green => "green",
        }
    }
    pub fn other(self) -> Color {
        match self {
            Color::Blue => Color::Green,
            Color::Green => Color::Blue,
        }
    }
    pub fn parse(s: &str) -> Option<Color> {
        match s {
            "blue" => Some(Color::Blue),
            "green" => Some(Color::Green),
            _ => None,
        }
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which object holds the pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PointerRef {
    Rule(String),
    Listener(String),
}

impl PointerRef {
    pub fn arn(&self) -> &str {
        match self {
            PointerRef::Rule(a) | PointerRef::Listener(a) => a,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            PointerRef::Rule(a) => format!("listener rule {a}"),
            PointerRef::Listener(a) => format!("listener {a} (default action)"),
        }
    }
}

/// The two target groups of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub blue: String,
    pub green: String,
}

impl Pair {
    pub fn target_group(&self, c: Color) -> &str {
        match c {
            Color::Blue => &self.blue,
            Color::Green => &self.green,
        }
    }
    pub fn color_of(&self, tg: &str) -> Option<Color> {
        if tg == self.blue {
            Some(Color::Blue)
        } else if tg == self.green {
            Some(Color::Green)
        } else {
            None
        }
    }
}

/// Where traffic goes: the active color, and the share (0..=50 %) sent to the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traffic {
    pub active: Color,
    pub standby_percent: u8,
}

impl Traffic {
    /// The color that gains traffic going from `self` to `to`, if any.
    pub fn gaining(&self, to: &Traffic) -> Option<Color> {
        let share =
            |t: &Traffic, c: Color| -> u8 { if t.active == c { 100 - t.standby_percent } else { t.standby_percent } };
        [Color::Blue, Color::Green].into_iter().find(|&c| share(to, c) > share(self, c))
    }
}

impl fmt::Display for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.standby_percent == 0 {
            write!(f, "{} 100%", self.active)
        } else {
            write!(
                f,
                "{} {}% / {} {}%",
                self.active,
                100 - self.standby_percent,
                self.active.other(),
                self.standby_percent
            )
        }
    }
}

/// The live actions of a pointer.
#[derive(Clone, Debug, PartialEq)]
pub struct Pointer {
    pub target: PointerRef,
    pub actions: Vec<Action>,
}

impl Pointer {
    fn forward_index(&self) -> Result<usize> {
        let mut forwards =
            self.actions.iter().enumerate().filter(|(_, a)| a.r#type() == Some(&ActionTypeEnum::Forward));
        match (forwards.next(), forwards.next()) {
            (Some((i, _)), None) => Ok(i),
            (None, _) => Err(Error::live(
                "The pointer has no forward action",
                format!(
                    "{} does not forward to a target group (its actions are {}). Point it at the blue or green target group first.",
                    self.target.describe(),
                    action_types(&self.actions)
                ),
            )),
            (Some(_), Some(_)) => Err(Error::live(
                "The pointer has several forward actions",
                format!("{} has more than one forward action; a release needs exactly one.", self.target.describe()),
            )),
        }
    }

    /// The forward action's target-group stickiness duration (seconds), when it is on:
    /// returning clients then go where their cookie says, whatever the weights.
    pub fn stickiness_seconds(&self) -> Option<i32> {
        match stickiness(&self.actions[self.forward_index().ok()?]) {
            (true, seconds) => seconds,
            (false, _) => None,
        }
    }

    /// Target groups and weights of the forward action, normalised: a scalar
    /// `TargetGroupArn` is weight 1, a weighted tuple without weight is weight 1.
    pub fn weights(&self) -> Result<Vec<(String, i32)>> {
        let tuples = action_weights(&self.actions[self.forward_index()?]);
        if tuples.is_empty() {
            return Err(Error::live(
                "The forward action has no target group",
                format!("{} forwards nowhere.", self.target.describe()),
            ));
        }
        Ok(tuples)
    }

    /// The traffic split over the pair. `prefer` breaks a 50/50 tie (the color that
    /// was active before), so an exact half split reads back stably.
    pub fn traffic(&self, pair: &Pair, prefer: Option<Color>) -> Result<Traffic> {
        let weights = self.weights()?;
        let (mut blue, mut green) = (0i64, 0i64);
        for (tg, w) in &weights {
            match pair.color_of(tg) {
                Some(Color::Blue) => blue += i64::from(*w),
                Some(Color::Green) => green += i64::from(*w),
                None => {
                    return Err(Error::live(
                        "The pointer forwards to a target group that is neither blue nor green",
                        format!(
                            "{} forwards to {tg}, which is neither blue ({}) nor green ({}). Fix the blue/green target_group_arn values, or point the rule at one of them.",
                            self.target.describe(),
                            pair.blue,
                            pair.green
                        ),
                    ));
                }
            }
        }
        let total = blue + green;
        if total <= 0 {
            return Err(Error::live(
                "The pointer sends no traffic",
                format!(
                    "Every target group of {} has weight 0. Give blue or green a positive weight.",
                    self.target.describe()
                ),
            ));
        }
        let active = match blue.cmp(&green) {
            std::cmp::Ordering::Greater => Color::Blue,
            std::cmp::Ordering::Less => Color::Green,
            std::cmp::Ordering::Equal => prefer.unwrap_or(Color::Blue),
        };
        let standby = if active == Color::Blue { green } else { blue };
        // Rounded to the nearest whole percent (writes use weights that are percents),
        // except that a standby with any traffic at all never reads as 0 %: 4 of 1000
        // is a canary, not "nothing", and an enforced 0 must still remove it.
        let rounded = (standby * 100 + total / 2) / total;
        let standby_percent = if standby > 0 { rounded.max(1) } else { 0 } as u8;
        Ok(Traffic { active, standby_percent })
    }

    /// The color of the pair the forward action does not name at all, if any. ALB
    /// associates a target group with a load balancer only while some action forwards
    /// to it (weight 0 counts): a color left out has `unused` targets that are not
    /// health-checked, and ECS refuses to deploy a load-balanced service onto it.
    pub fn detached(&self, pair: &Pair) -> Result<Option<Color>> {
        let weights = self.weights()?;
        let named = |c: Color| weights.iter().any(|(tg, _)| tg == pair.target_group(c));
        Ok([Color::Blue, Color::Green].into_iter().find(|&c| !named(c)))
    }

    /// The action list with only the forward action changed to `traffic`. Both target
    /// groups are always named, the standby at weight 0 when it gets no traffic, so
    /// both stay attached to the load balancer (see [`Pointer::detached`]).
    pub fn with_traffic(&self, pair: &Pair, traffic: Traffic) -> Result<Vec<Action>> {
        let active = pair.target_group(traffic.active);
        let standby = pair.target_group(traffic.active.other());
        self.with_forward(&[(active, 100 - traffic.standby_percent), (standby, traffic.standby_percent)])
    }

    /// The action list that sends everything to one target group (test listeners, which
    /// must not keep the active color attached through a weight-0 entry of their own).
    pub fn all_to(&self, tg: &str) -> Result<Vec<Action>> {
        self.with_forward(&[(tg, 100)])
    }

    fn with_forward(&self, groups: &[(&str, u8)]) -> Result<Vec<Action>> {
        let index = self.forward_index()?;
        let mut actions: Vec<Action> = self.actions.iter().map(writable).collect();
        let forward = &mut actions[index];
        let stickiness = forward.forward_config().and_then(|fc| fc.target_group_stickiness_config()).cloned();
        let tuples = groups
            .iter()
            .map(|(tg, w)| TargetGroupTuple::builder().target_group_arn(*tg).weight(i32::from(*w)).build())
            .collect();
        forward.target_group_arn = None;
        forward.forward_config = Some(
            ForwardActionConfig::builder()
                .set_target_groups(Some(tuples))
                .set_target_group_stickiness_config(stickiness)
                .build(),
        );
        Ok(actions)
    }
}

/// What differs, for routing, between two action lists of one pointer, in words; empty
/// when they route the same. The forward action compares by its normalised target
/// groups and weights (a scalar `TargetGroupArn` is weight 1) and its stickiness; other
/// actions compare whole, except the OIDC client secret, which ALB never returns.
pub fn changes(before: &[Action], after: &[Action]) -> Vec<String> {
    let mut out = Vec::new();
    if before.len() != after.len() {
        out.push(format!("the actions changed from [{}] to [{}]", action_types(before), action_types(after)));
        return out;
    }
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        let kind = b.r#type().map(|t| t.as_str()).unwrap_or("?");
        if b.r#type() != a.r#type() {
            out.push(format!(
                "action {} changed type from {kind} to {}",
                i + 1,
                a.r#type().map(|t| t.as_str()).unwrap_or("?")
            ));
        } else if b.r#type() == Some(&ActionTypeEnum::Forward) {
            let (wb, wa) = (forward_weights(b), forward_weights(a));
            if wb != wa {
                out.push(format!(
                    "the forward action changed from {} to {}",
                    describe_weights(&wb),
                    describe_weights(&wa)
                ));
            }
            if stickiness(b) != stickiness(a) {
                out.push(format!(
                    "target group stickiness changed from {} to {}",
                    describe_stickiness(stickiness(b)),
                    describe_stickiness(stickiness(a))
                ));
            }
            if b.order() != a.order() {
                out.push(format!("the forward action's order changed from {:?} to {:?}", b.order(), a.order()));
            }
        } else if comparable(b) != comparable(a) {
            out.push(format!("action {} ({kind}) was edited", i + 1));
        }
    }
    out
}

/// A forward action's target groups and weights as ALB stores them: the weighted
/// tuples (no weight = 1), else the scalar `TargetGroupArn` at weight 1.
fn action_weights(a: &Action) -> Vec<(String, i32)> {
    let tuples: Vec<(String, i32)> = a
        .forward_config()
        .map(|fc| fc.target_groups())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| Some((t.target_group_arn()?.to_string(), t.weight().unwrap_or(1))))
        .collect();
    match a.target_group_arn() {
        Some(tg) if tuples.is_empty() => vec![(tg.to_string(), 1)],
        _ => tuples,
    }
}

/// [`action_weights`] in a fixed order, for comparing two actions.
fn forward_weights(a: &Action) -> Vec<(String, i32)> {
    let mut w = action_weights(a);
    w.sort();
    w
}

fn describe_weights(w: &[(String, i32)]) -> String {
    let parts: Vec<String> =
        w.iter().map(|(tg, weight)| format!("{}={weight}", crate::arn::target_group_name(tg).unwrap_or(tg))).collect();
    if parts.is_empty() { "nothing".into() } else { parts.join(", ") }
}

fn stickiness(a: &Action) -> (bool, Option<i32>) {
    let s = a.forward_config().and_then(|fc| fc.target_group_stickiness_config());
    let enabled = s.and_then(|s| s.enabled()).unwrap_or(false);
    (enabled, if enabled { s.and_then(|s| s.duration_seconds()) } else { None })
}

fn describe_stickiness((enabled, seconds): (bool, Option<i32>)) -> String {
    match (enabled, seconds) {
        (false, _) => "off".into(),
        (true, Some(s)) => format!("on ({s}s)"),
        (true, None) => "on".into(),
    }
}

/// An action without the parts a read never returns or a write adds.
fn comparable(a: &Action) -> Action {
    let mut a = a.clone();
    if let Some(oidc) = a.authenticate_oidc_config.as_mut() {
        oidc.client_secret = None;
        oidc.use_existing_client_secret = None;
    }
    a
}

/// An action as read, made valid to write back: ALB never returns an OIDC client
/// secret, so a write must ask it to keep the existing one.
fn writable(a: &Action) -> Action {
    let mut a = a.clone();
    if let Some(oidc) = a.authenticate_oidc_config.as_mut()
        && oidc.client_secret.is_none()
    {
        oidc.use_existing_client_secret = Some(true);
    }
    a
}

fn action_types(actions: &[Action]) -> String {
    let types: Vec<&str> = actions.iter().map(|a| a.r#type().map(|t| t.as_str()).unwrap_or("?")).collect();
    if types.is_empty() { "none".into() } else { types.join(", ") }
}

/// Reads the pointer: one DescribeRules or DescribeListeners call; NotFound when the
/// rule or listener does not exist.
pub async fn read(elb: &ElbClient, target: &PointerRef) -> Result<Pointer> {
    let actions = match target {
        PointerRef::Rule(arn) => elbv2::find_listener_rule_by_arn(elb, arn).await?.actions().to_vec(),
        PointerRef::Listener(arn) => elbv2::find_listener_by_arn(elb, arn).await?.default_actions().to_vec(),
    };
    Ok(Pointer { target: target.clone(), actions })
}

/// Writes a whole action list back (ALB replaces the list on modify) once, with the
/// SDK's retries off: a pointer write must not be resent after a backoff, when the read
/// it was made from may be stale. The caller re-reads, compares and tries again instead.
pub async fn write_once(elb: &ElbClient, target: &PointerRef, actions: Vec<Action>) -> Result<()> {
    use aws_sdk_elasticloadbalancingv2::config::{Builder, retry::RetryConfig};
    let once = || Builder::default().retry_config(RetryConfig::disabled());
    match target {
        PointerRef::Rule(arn) => {
            elb.modify_rule()
                .rule_arn(arn)
                .set_actions(Some(actions))
                .customize()
                .config_override(once())
                .send()
                .await
                .map_err(|e| errors::aws("ModifyRule", arn.clone(), e))?;
        }
        PointerRef::Listener(arn) => {
            elb.modify_listener()
                .listener_arn(arn)
                .set_default_actions(Some(actions))
                .customize()
                .config_override(once())
                .send()
                .await
                .map_err(|e| errors::aws("ModifyListener", arn.clone(), e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_elasticloadbalancingv2::types::{AuthenticateOidcActionConfig, TargetGroupStickinessConfig};

    const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-blue/1";
    const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-green/2";

    fn pair() -> Pair {
        Pair { blue: BLUE.into(), green: GREEN.into() }
    }

    fn scalar(tg: &str, order: i32) -> Action {
        Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg).order(order).build()
    }

    fn weighted(groups: &[(&str, Option<i32>)], sticky: bool) -> Action {
        let tuples = groups
            .iter()
            .map(|(tg, w)| TargetGroupTuple::builder().target_group_arn(*tg).set_weight(*w).build())
            .collect();
        let mut fc = ForwardActionConfig::builder().set_target_groups(Some(tuples));
        if sticky {
            fc = fc.target_group_stickiness_config(
                TargetGroupStickinessConfig::builder().enabled(true).duration_seconds(3600).build(),
            );
        }
        Action::builder().r#type(ActionTypeEnum::Forward).forward_config(fc.build()).order(2).build()
    }

    fn oidc() -> Action {
        Action::builder()
            .r#type(ActionTypeEnum::AuthenticateOidc)
            .order(1)
            .authenticate_oidc_config(
                AuthenticateOidcActionConfig::builder().issuer("https://idp").client_id("c").build(),
            )
            .build()
    }

    fn pointer(actions: Vec<Action>) -> Pointer {
        Pointer { target: PointerRef::Rule("r".into()), actions }
    }

    #[test]
    fn scalar_and_one_entry_weighted_forwards_read_the_same() {
        let a = pointer(vec![scalar(BLUE, 1)]).traffic(&pair(), None).unwrap();
        let b = pointer(vec![weighted(&[(BLUE, Some(1))], false)]).traffic(&pair(), None).unwrap();
        let c = pointer(vec![weighted(&[(BLUE, None)], false)]).traffic(&pair(), None).unwrap();
        assert_eq!(a, Traffic { active: Color::Blue, standby_percent: 0 });
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn target_group_order_does_not_matter() {
        let a = pointer(vec![weighted(&[(BLUE, Some(90)), (GREEN, Some(10))], false)]).traffic(&pair(), None).unwrap();
        let b = pointer(vec![weighted(&[(GREEN, Some(10)), (BLUE, Some(90))], false)]).traffic(&pair(), None).unwrap();
        assert_eq!(a, Traffic { active: Color::Blue, standby_percent: 10 });
        assert_eq!(a, b);
        // Weights on ALB's 0..999 scale are read as shares.
        let c =
            pointer(vec![weighted(&[(GREEN, Some(900)), (BLUE, Some(100))], false)]).traffic(&pair(), None).unwrap();
        assert_eq!(c, Traffic { active: Color::Green, standby_percent: 10 });
        let zero = pointer(vec![weighted(&[(GREEN, Some(0)), (BLUE, Some(5))], false)]).traffic(&pair(), None).unwrap();
        assert_eq!(zero, Traffic { active: Color::Blue, standby_percent: 0 });
    }

    #[test]
    fn a_standby_with_any_traffic_never_reads_as_zero() {
        let tiny = pointer(vec![weighted(&[(BLUE, Some(996)), (GREEN, Some(4))], false)]);
        assert_eq!(tiny.traffic(&pair(), None).unwrap(), Traffic { active: Color::Blue, standby_percent: 1 });
        let none = pointer(vec![weighted(&[(BLUE, Some(100)), (GREEN, Some(0))], false)]);
        assert_eq!(none.traffic(&pair(), None).unwrap().standby_percent, 0);
    }

    #[test]
    fn a_tie_keeps_the_previous_active_color() {
        let p = pointer(vec![weighted(&[(BLUE, Some(50)), (GREEN, Some(50))], false)]);
        assert_eq!(p.traffic(&pair(), Some(Color::Green)).unwrap().active, Color::Green);
        assert_eq!(p.traffic(&pair(), Some(Color::Blue)).unwrap().active, Color::Blue);
    }

    #[test]
    fn foreign_target_groups_and_zero_traffic_are_errors() {
        let foreign = pointer(vec![scalar("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/other/3", 1)]);
        let e = foreign.traffic(&pair(), None).unwrap_err();
        assert!(e.to_string().contains("neither blue"), "{e}");
        let zero = pointer(vec![weighted(&[(BLUE, Some(0)), (GREEN, Some(0))], false)]);
        assert!(zero.traffic(&pair(), None).unwrap_err().to_string().contains("weight 0"));
        let none = pointer(vec![Action::builder().r#type(ActionTypeEnum::FixedResponse).build()]);
        assert!(none.traffic(&pair(), None).unwrap_err().to_string().contains("no forward action"));
    }

    #[test]
    fn writing_changes_only_the_forward_action_and_round_trips() {
        let before = pointer(vec![oidc(), weighted(&[(BLUE, Some(1))], true)]);
        for want in [
            Traffic { active: Color::Green, standby_percent: 0 },
            Traffic { active: Color::Blue, standby_percent: 10 },
            Traffic { active: Color::Green, standby_percent: 50 },
        ] {
            let actions = before.with_traffic(&pair(), want).unwrap();
            assert_eq!(actions.len(), 2);
            // The OIDC action is kept (and told to keep its secret).
            assert_eq!(actions[0].r#type(), Some(&ActionTypeEnum::AuthenticateOidc));
            assert_eq!(actions[0].authenticate_oidc_config().unwrap().issuer(), Some("https://idp"));
            assert_eq!(actions[0].authenticate_oidc_config().unwrap().use_existing_client_secret(), Some(true));
            assert_eq!(actions[1].order(), Some(2));
            let sticky = actions[1].forward_config().unwrap().target_group_stickiness_config().unwrap();
            assert_eq!((sticky.enabled(), sticky.duration_seconds()), (Some(true), Some(3600)));
            let after = Pointer { actions, ..before.clone() };
            assert_eq!(after.traffic(&pair(), Some(want.active)).unwrap(), want);
        }
        let canary = before.with_traffic(&pair(), Traffic { active: Color::Blue, standby_percent: 10 }).unwrap();
        let w: Vec<(Option<&str>, Option<i32>)> = canary[1]
            .forward_config()
            .unwrap()
            .target_groups()
            .iter()
            .map(|t| (t.target_group_arn(), t.weight()))
            .collect();
        assert_eq!(w, [(Some(BLUE), Some(90)), (Some(GREEN), Some(10))]);
    }

    #[test]
    fn every_write_names_both_groups_so_the_standby_stays_attached() {
        let single = pointer(vec![scalar(BLUE, 1)]);
        assert_eq!(single.detached(&pair()).unwrap(), Some(Color::Green));
        let all_blue = single.with_traffic(&pair(), Traffic { active: Color::Blue, standby_percent: 0 }).unwrap();
        assert_eq!(forward_weights(&all_blue[0]), [(BLUE.to_string(), 100), (GREEN.to_string(), 0)]);
        let after = Pointer { actions: all_blue, ..single.clone() };
        assert_eq!(after.detached(&pair()).unwrap(), None);
        assert_eq!(after.traffic(&pair(), None).unwrap(), Traffic { active: Color::Blue, standby_percent: 0 });
        let green = after.with_traffic(&pair(), Traffic { active: Color::Green, standby_percent: 0 }).unwrap();
        assert_eq!(forward_weights(&green[0]), [(BLUE.to_string(), 0), (GREEN.to_string(), 100)]);
        // A test listener forwards to the one group only.
        let test = single.all_to(GREEN).unwrap();
        assert_eq!(forward_weights(&test[0]), [(GREEN.to_string(), 100)]);
    }

    #[test]
    fn changes_name_what_moved_and_ignore_what_reads_never_return() {
        let ours = pointer(vec![oidc(), weighted(&[(BLUE, Some(100)), (GREEN, Some(0))], true)]);
        let written = ours.with_traffic(&pair(), Traffic { active: Color::Blue, standby_percent: 0 }).unwrap();
        // The written copy asks ALB to keep the OIDC secret; the read-back does not say so.
        assert!(changes(&written, &ours.actions).is_empty());
        assert!(changes(&ours.actions, &ours.actions).is_empty());
        // A flip by someone else.
        let flipped = pointer(vec![oidc(), weighted(&[(GREEN, Some(1))], true)]);
        let c = changes(&ours.actions, &flipped.actions);
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(c[0].contains("forward action changed from app-blue=100, app-green=0 to app-green=1"), "{c:?}");
        assert!(!changes(&written, &flipped.actions).is_empty());
        // Stickiness turned off, and an edited OIDC scope, are changes too.
        let unsticky = pointer(vec![oidc(), weighted(&[(BLUE, Some(100)), (GREEN, Some(0))], false)]);
        assert!(changes(&ours.actions, &unsticky.actions)[0].contains("stickiness changed from on (3600s) to off"));
        let mut scoped = ours.clone();
        scoped.actions[0].authenticate_oidc_config.as_mut().unwrap().scope = Some("openid email".into());
        assert_eq!(changes(&ours.actions, &scoped.actions), ["action 1 (authenticate-oidc) was edited"]);
        // A scalar and a one-entry weighted forward route the same.
        assert!(changes(&[scalar(BLUE, 1)], &[weighted(&[(BLUE, None)], false)]).iter().all(|c| c.contains("order")));
    }

    #[test]
    fn gaining_color_is_the_one_whose_share_grows() {
        let blue = Traffic { active: Color::Blue, standby_percent: 0 };
        let canary = Traffic { active: Color::Blue, standby_percent: 10 };
        let green = Traffic { active: Color::Green, standby_percent: 0 };
        assert_eq!(blue.gaining(&canary), Some(Color::Green));
        assert_eq!(canary.gaining(&blue), Some(Color::Blue));
        assert_eq!(blue.gaining(&green), Some(Color::Green));
        assert_eq!(blue.gaining(&blue), None);
    }
}
