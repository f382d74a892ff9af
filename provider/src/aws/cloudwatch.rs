//! Amazon CloudWatch reads: the state of alarms by name.

use super::{all_pages, each_batch, failed};
use crate::errors::Result;
use aws_sdk_cloudwatch::Client as CloudWatchClient;
use aws_sdk_cloudwatch::types::{AlarmType, StateValue};

/// DescribeAlarms takes at most 100 alarm names, and answers 100 a page.
pub const ALARMS_PER_CALL: usize = 100;

/// One alarm (metric or composite) and whether it is in ALARM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmState {
    pub name: String,
    pub in_alarm: bool,
}

/// The alarms among `names` that exist, metric and composite: DescribeAlarms by 100
/// names (each asked once), following NextToken. A name that does not exist is simply
/// not in the answer; the caller decides what that means.
pub async fn find_alarms(cloudwatch: &CloudWatchClient, names: &[String]) -> Result<Vec<AlarmState>> {
    each_batch(&asked_once(names), ALARMS_PER_CALL, |batch| async move {
        all_pages(|next| {
            let batch = batch.clone();
            async move {
                let out = cloudwatch
                    .describe_alarms()
                    .set_alarm_names(Some(batch.clone()))
                    .alarm_types(AlarmType::MetricAlarm)
                    .alarm_types(AlarmType::CompositeAlarm)
                    .max_records(ALARMS_PER_CALL as i32)
                    .set_next_token(next)
                    .send()
                    .await
                    .map_err(|e| failed(e, "DescribeAlarms", &batch.join(", "), None))?;
                let state = |name: Option<&str>, value: Option<&StateValue>| AlarmState {
                    name: name.unwrap_or_default().to_string(),
                    in_alarm: value == Some(&StateValue::Alarm),
                };
                let mut found: Vec<AlarmState> =
                    out.metric_alarms().iter().map(|a| state(a.alarm_name(), a.state_value())).collect();
                found.extend(out.composite_alarms().iter().map(|a| state(a.alarm_name(), a.state_value())));
                Ok((found, out.next_token().map(str::to_string)))
            }
        })
        .await
    })
    .await
}

/// `names` without repeats, in their order: a gate may list an alarm twice.
fn asked_once(names: &[String]) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for n in names {
        if !unique.contains(n) {
            unique.push(n.clone());
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::batches;

    #[test]
    fn alarm_names_are_asked_once_each_at_most_100_per_call() {
        let mut names: Vec<String> = (0..250).map(|i| format!("alarm-{i}")).collect();
        names.push("alarm-7".into());
        let chunks = batches(asked_once(&names), ALARMS_PER_CALL);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 50]);
        assert_eq!(chunks[0][0], "alarm-0");
        assert_eq!(chunks[2][49], "alarm-249");
        assert!(batches(asked_once(&[]), ALARMS_PER_CALL).is_empty());
    }
}
