//! CloudWatch alarms: none of `promotion.alarm_names` may be in ALARM.

use super::check::{Check, Setting};
use super::verdict::{Reading, Verdict};
use crate::aws::AwsClients;
use crate::errors::{Error, Result};
use async_trait::async_trait;

/// The alarms of `promotion.alarm_names`, when it lists any.
pub struct AlarmCheck<'a> {
    aws: &'a AwsClients,
    names: &'a [String],
}

impl<'a> AlarmCheck<'a> {
    pub fn configured(s: &Setting<'a>) -> Option<AlarmCheck<'a>> {
        let names = s.promotion.alarm_names.as_slice();
        (!names.is_empty()).then_some(AlarmCheck { aws: s.aws, names })
    }
}

#[async_trait]
impl Check for AlarmCheck<'_> {
    fn name(&self) -> &'static str {
        "CloudWatch alarms"
    }

    async fn read(&mut self) -> Result<Reading> {
        Ok(judge(self.names.len(), &alarms_firing(self.aws, self.names).await?))
    }

    fn leads(&self) -> bool {
        true
    }
}

/// What `firing` (of `listed` alarm names) means for the gate.
pub fn judge(listed: usize, firing: &[String]) -> Reading {
    let verdict = match firing {
        [] => Verdict::Pass,
        [one] => Verdict::Wait(format!("CloudWatch alarm {one} is in ALARM")),
        many => Verdict::Wait(format!("CloudWatch alarms {} are in ALARM", many.join(", "))),
    };
    let seen = match (listed, firing) {
        (0, _) => String::new(),
        (n, []) => format!("alarms OK ({n})"),
        (_, firing) => format!("in ALARM: {}", firing.join(", ")),
    };
    Reading::new(verdict, seen)
}

/// Alarms among `names` (metric or composite) that are in ALARM; a name that does not
/// exist is an error. One DescribeAlarms per 100 names, following NextToken.
pub async fn alarms_firing(aws: &AwsClients, names: &[String]) -> Result<Vec<String>> {
    let states = crate::aws::cloudwatch::find_alarms(&aws.cloudwatch, names).await?;
    let missing: Vec<&str> =
        names.iter().filter(|n| !states.iter().any(|s| s.name == **n)).map(String::as_str).collect();
    if !missing.is_empty() {
        let (noun, verb) = if missing.len() == 1 { ("alarm", "does") } else { ("alarms", "do") };
        return Err(Error::Gate {
            summary: "Promotion gate: alarm not found".into(),
            detail: format!(
                "CloudWatch {noun} {} (promotion.alarm_names) {verb} not exist in this region. Fix the name or remove it.",
                missing.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let mut firing: Vec<String> = Vec::new();
    for alarm in states {
        if alarm.in_alarm && !firing.contains(&alarm.name) {
            firing.push(alarm.name);
        }
    }
    Ok(firing)
}
