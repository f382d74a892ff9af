//! Target health: how many targets of each of a color's gaining target groups are
//! healthy (one check per target group).

use super::check::{Check, Setting};
use super::promotion::GateTarget;
use super::verdict::{Reading, Verdict};
use crate::aws::AwsClients;
use crate::aws::elbv2 as aws_elbv2;
use crate::errors::Result;
use async_trait::async_trait;

/// `promotion.min_healthy_targets` of one of the color's gaining target groups; with 0
/// it reads nothing and says the check is off.
pub struct TargetHealthCheck<'a> {
    aws: &'a AwsClients,
    target: &'a GateTarget<'a>,
    target_group: &'a str,
    min_healthy: i64,
}

impl<'a> TargetHealthCheck<'a> {
    /// One check per gaining target group ([`GateTarget::target_groups`]): each reads its
    /// own group (one DescribeTargetHealth a poll), all in the same poll. With the check
    /// off, one check says so once.
    pub fn configured(s: &Setting<'a>) -> Vec<TargetHealthCheck<'a>> {
        let min_healthy = s.promotion.min_healthy_targets;
        let mut groups = s.target.target_groups();
        if min_healthy <= 0 {
            groups.truncate(1);
        }
        groups
            .into_iter()
            .map(|target_group| TargetHealthCheck { aws: s.aws, target: s.target, target_group, min_healthy })
            .collect()
    }
}

#[async_trait]
impl Check for TargetHealthCheck<'_> {
    fn name(&self) -> &'static str {
        "target health"
    }

    async fn read(&mut self) -> Result<Reading> {
        let health = if self.min_healthy > 0 { Some(target_health(self.aws, self.target_group).await?) } else { None };
        Ok(judge(self.min_healthy, self.target, self.target_group, health.as_ref()))
    }
}

/// What `health` of `target_group` (one of `t`'s) means for the gate; None: the check
/// is off (`min_healthy_targets = 0`). The progress line gives targets healthy of
/// registered (the others by state) and how many are needed; when the color gains
/// traffic on several target groups, each group's part starts with its name.
pub fn judge(min_healthy: i64, t: &GateTarget<'_>, target_group: &str, health: Option<&HealthSummary>) -> Reading {
    let Some(h) = health else {
        return Reading::new(Verdict::Pass, "health check off (min_healthy_targets = 0)");
    };
    let verdict = if h.healthy < min_healthy {
        Verdict::Wait(format!("{} target group {} has {}; needs {}", t.color, target_group, h.describe(), min_healthy))
    } else {
        Verdict::Pass
    };
    let mut states: Vec<(&str, i64)> = Vec::new();
    for c in &h.not_healthy {
        match states.iter_mut().find(|(s, _)| *s == c.state) {
            Some((_, n)) => *n += c.count,
            None => states.push((&c.state, c.count)),
        }
    }
    let others = if states.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
        format!(" ({})", list.join(", "))
    };
    let group = if t.target_groups().len() > 1 {
        format!("{}: ", crate::arn::target_group_name(target_group).unwrap_or(target_group))
    } else {
        String::new()
    };
    Reading::new(
        verdict,
        format!("{group}{}/{} targets healthy{others}, needs {}", h.healthy, h.registered, min_healthy),
    )
}

/// Targets of one state and reason code, counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetStateCount {
    /// ELB's state: `initial`, `unhealthy`, `draining`, `unused`, `unavailable`, ...
    pub state: String,
    /// ELB's reason code, e.g. `Elb.RegistrationInProgress`, when it gives one.
    pub reason: Option<String>,
    pub count: i64,
}

/// The health of a target group's registered targets: how many are healthy, and the
/// others by state and reason code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthSummary {
    pub healthy: i64,
    pub registered: i64,
    /// Targets that are not healthy, in the order of [`state_rank`], then by reason.
    pub not_healthy: Vec<TargetStateCount>,
}

/// Orders target states from "will get better by itself" to "needs a look".
fn state_rank(state: &str) -> usize {
    ["initial", "unhealthy", "unhealthy.draining", "draining", "unavailable", "unused"]
        .iter()
        .position(|s| *s == state)
        .unwrap_or(usize::MAX)
}

impl HealthSummary {
    /// Summarises `(state, reason code)` of each registered target.
    pub fn from_targets<'a>(targets: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> HealthSummary {
        let mut out = HealthSummary::default();
        for (state, reason) in targets {
            out.registered += 1;
            if state == "healthy" {
                out.healthy += 1;
                continue;
            }
            match out.not_healthy.iter_mut().find(|c| c.state == state && c.reason.as_deref() == reason) {
                Some(c) => c.count += 1,
                None => out.not_healthy.push(TargetStateCount {
                    state: state.to_string(),
                    reason: reason.map(str::to_string),
                    count: 1,
                }),
            }
        }
        out.not_healthy.sort_by(|a, b| {
            (state_rank(&a.state), &a.state, &a.reason).cmp(&(state_rank(&b.state), &b.state, &b.reason))
        });
        out
    }

    /// `0 healthy of 3 registered targets (2 initial: Elb.RegistrationInProgress,
    /// 1 unhealthy: Target.ResponseCodeMismatch)`; the parenthesis only when some
    /// target is not healthy.
    pub fn describe(&self) -> String {
        let mut s = format!("{} healthy of {} registered targets", self.healthy, self.registered);
        if !self.not_healthy.is_empty() {
            let parts: Vec<String> = self
                .not_healthy
                .iter()
                .map(|c| match &c.reason {
                    Some(r) => format!("{} {}: {r}", c.count, c.state),
                    None => format!("{} {}", c.count, c.state),
                })
                .collect();
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s
    }
}

/// The health of a target group's targets (one DescribeTargetHealth).
pub async fn target_health(aws: &AwsClients, tg: &str) -> Result<HealthSummary> {
    let found = aws_elbv2::find_target_health(&aws.elbv2, tg).await?;
    Ok(HealthSummary::from_targets(found.iter().map(|d| {
        let h = d.target_health();
        (h.and_then(|h| h.state()).map_or("unknown", |s| s.as_str()), h.and_then(|h| h.reason()).map(|r| r.as_str()))
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_summary_names_states_and_reason_codes() {
        let h = HealthSummary::from_targets([
            ("unhealthy", Some("Target.ResponseCodeMismatch")),
            ("initial", Some("Elb.RegistrationInProgress")),
            ("initial", Some("Elb.RegistrationInProgress")),
        ]);
        assert_eq!((h.healthy, h.registered), (0, 3));
        assert_eq!(
            h.describe(),
            "0 healthy of 3 registered targets (2 initial: Elb.RegistrationInProgress, 1 unhealthy: Target.ResponseCodeMismatch)"
        );
        let mixed = HealthSummary::from_targets([
            ("healthy", None),
            ("draining", Some("Target.DeregistrationInProgress")),
            ("unhealthy", Some("Target.Timeout")),
            ("unhealthy", Some("Target.FailedHealthChecks")),
            ("unused", Some("Target.NotInUse")),
            ("weird", None),
        ]);
        assert_eq!(
            mixed.describe(),
            "1 healthy of 6 registered targets (1 unhealthy: Target.FailedHealthChecks, 1 unhealthy: Target.Timeout, \
             1 draining: Target.DeregistrationInProgress, 1 unused: Target.NotInUse, 1 weird)"
        );
        assert_eq!(HealthSummary::from_targets([("healthy", None)]).describe(), "1 healthy of 1 registered targets");
        assert_eq!(HealthSummary::from_targets([]).describe(), "0 healthy of 0 registered targets");
    }
}
