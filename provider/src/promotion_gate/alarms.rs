//! CloudWatch alarms: none of `promotion.alarm_names` may be in ALARM.

use super::check::{Check, Setting};
use super::verdict::{Reading, Verdict};
use crate::aws_clients::AwsClients;
use crate::errors::{self, Error, Result};
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

/// The alarm names to ask about, without repeats, in chunks DescribeAlarms accepts
/// (at most 100 names per call).
fn alarm_name_chunks(names: &[String]) -> Vec<Vec<String>> {
    let mut unique: Vec<String> = Vec::new();
    for n in names {
        if !unique.contains(n) {
            unique.push(n.clone());
        }
    }
    unique.chunks(100).map(<[String]>::to_vec).collect()
}

/// Alarms among `names` (metric or composite) that are in ALARM; a name that does not
/// exist is an error. One DescribeAlarms per 100 names, following NextToken.
pub async fn alarms_firing(aws: &AwsClients, names: &[String]) -> Result<Vec<String>> {
    use aws_sdk_cloudwatch::types::{AlarmType, StateValue};
    let mut states: Vec<(String, bool)> = Vec::new();
    for chunk in alarm_name_chunks(names) {
        let mut next: Option<String> = None;
        loop {
            let out = aws
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(chunk.clone()))
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .max_records(100)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| errors::aws("DescribeAlarms", chunk.join(", "), e))?;
            for a in out.metric_alarms() {
                states.push((
                    a.alarm_name().unwrap_or_default().to_string(),
                    a.state_value() == Some(&StateValue::Alarm),
                ));
            }
            for a in out.composite_alarms() {
                states.push((
                    a.alarm_name().unwrap_or_default().to_string(),
                    a.state_value() == Some(&StateValue::Alarm),
                ));
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => break,
            }
        }
    }
    let missing: Vec<&str> =
        names.iter().filter(|n| !states.iter().any(|(s, _)| s == *n)).map(String::as_str).collect();
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
    for (name, alarm) in states {
        if alarm && !firing.contains(&name) {
            firing.push(name);
        }
    }
    Ok(firing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_names_are_asked_once_each_at_most_100_per_call() {
        let mut names: Vec<String> = (0..250).map(|i| format!("alarm-{i}")).collect();
        names.push("alarm-7".into());
        let chunks = alarm_name_chunks(&names);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 50]);
        assert_eq!(chunks[0][0], "alarm-0");
        assert_eq!(chunks[2][49], "alarm-249");
        assert!(alarm_name_chunks(&[]).is_empty());
    }
}
