//! Unit tests of the finder layer's shared parts: batching, pagination, and how AWS
//! errors become the typed NotFound. The calls are faked with closures that record
//! what they were asked; the finders themselves run against the emulator in the
//! acceptance tests.

use super::*;
use aws_sdk_elasticloadbalancingv2::error::ErrorMetadata;
use aws_sdk_elasticloadbalancingv2::operation::describe_target_groups::DescribeTargetGroupsError;
use std::sync::Mutex;

fn names(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn missing(arn: &str) -> Error {
    Error::NotFound { what: "Target group", arn: arn.into() }
}

/// A fake call over target groups: answers the items it was asked, except that a
/// batch naming one of `gone` fails with NotFound, and else one naming "boom" with
/// another error. Records every batch it was asked.
struct FakeCall {
    gone: Vec<String>,
    asked: Mutex<Vec<Vec<String>>>,
}

impl FakeCall {
    fn new(gone: &[&str]) -> FakeCall {
        FakeCall { gone: names(gone), asked: Mutex::default() }
    }

    async fn call(&self, batch: Vec<String>) -> Result<Vec<String>> {
        self.asked.lock().unwrap().push(batch.clone());
        if let Some(g) = batch.iter().find(|b| self.gone.contains(b)) {
            return Err(missing(g));
        }
        if batch.iter().any(|b| b == "boom") {
            return Err(Error::live("Boom", "the call failed"));
        }
        Ok(batch)
    }

    fn asked(&self) -> Vec<Vec<String>> {
        self.asked.lock().unwrap().clone()
    }
}

#[test]
fn batches_keep_order_and_size() {
    let c = batches((0..45).collect(), 20);
    assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), [20, 20, 5]);
    assert_eq!(c[2], [40, 41, 42, 43, 44]);
    assert!(batches(Vec::<u8>::new(), 20).is_empty());
}

#[tokio::test]
async fn each_batch_asks_at_most_the_limit_a_call_and_keeps_the_order() {
    let fake = FakeCall::new(&[]);
    let items: Vec<String> = (0..25).map(|i| format!("tg{i:02}")).collect();
    let got = each_batch(&items, 10, |b| fake.call(b)).await.unwrap();
    assert_eq!(got, items);
    assert_eq!(fake.asked().iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
    // No items, no call.
    assert!(each_batch(&[], 10, |b| fake.call(b)).await.unwrap().is_empty());
    assert_eq!(fake.asked().len(), 3);
    // A failed batch is the answer: the batches after it are not asked.
    let fake = FakeCall::new(&["b"]);
    let e = each_batch(&names(&["a", "b", "c", "d"]), 2, |b| fake.call(b)).await.unwrap_err();
    assert_eq!(e, missing("b"));
    assert_eq!(fake.asked(), [names(&["a", "b"])]);
}

#[tokio::test]
async fn a_batch_with_a_missing_item_is_retried_one_by_one_leaving_out_only_the_missing() {
    let fake = FakeCall::new(&["b", "e"]);
    let got = each_batch_skipping_missing(&names(&["a", "b", "c", "d", "e"]), 3, |b| fake.call(b)).await.unwrap();
    assert_eq!(got, names(&["a", "c", "d"]));
    assert_eq!(
        fake.asked(),
        [
            names(&["a", "b", "c"]),
            names(&["a"]),
            names(&["b"]),
            names(&["c"]),
            // A batch of one that is missing is not asked again.
            names(&["d", "e"]),
            names(&["d"]),
            names(&["e"]),
        ]
    );
    let fake = FakeCall::new(&["x"]);
    assert!(each_batch_skipping_missing(&names(&["x"]), 3, |b| fake.call(b)).await.unwrap().is_empty());
    assert_eq!(fake.asked(), [names(&["x"])]);
}

#[tokio::test]
async fn other_errors_are_not_skipped() {
    // In the first call, and in a retry one by one.
    let fake = FakeCall::new(&[]);
    let e = each_batch_skipping_missing(&names(&["a", "boom"]), 5, |b| fake.call(b)).await.unwrap_err();
    assert_eq!(e.to_diagnostic().summary, "Boom");
    let fake = FakeCall::new(&["a"]);
    let e = each_batch_skipping_missing(&names(&["a", "boom"]), 5, |b| fake.call(b)).await.unwrap_err();
    assert_eq!(e.to_diagnostic().summary, "Boom");
    assert_eq!(fake.asked(), [names(&["a", "boom"]), names(&["a"]), names(&["boom"])]);
}

#[tokio::test]
async fn all_pages_follows_the_token_until_there_is_none_or_it_is_empty() {
    for last in [None, Some(String::new())] {
        let asked = Mutex::new(Vec::new());
        let pages = |token: Option<String>| {
            asked.lock().unwrap().push(token.clone());
            let last = last.clone();
            async move {
                Ok(match token.as_deref() {
                    None => (vec![1, 2], Some("p2".to_string())),
                    Some("p2") => (vec![3], Some("p3".to_string())),
                    _ => (vec![4], last),
                })
            }
        };
        assert_eq!(all_pages(pages).await.unwrap(), [1, 2, 3, 4]);
        assert_eq!(*asked.lock().unwrap(), [None, Some("p2".into()), Some("p3".into())]);
    }
    // A failed page fails the listing.
    let failing = |token: Option<String>| async move {
        match token {
            None => Ok((vec![1], Some("p2".to_string()))),
            Some(_) => Err(Error::live("Page failed", "the second page")),
        }
    };
    assert_eq!(all_pages(failing).await.unwrap_err().to_diagnostic().summary, "Page failed");
}

fn service_error(code: &str, message: &str) -> SdkError<DescribeTargetGroupsError, ()> {
    let meta = ErrorMetadata::builder().code(code).message(message).build();
    SdkError::service_error(DescribeTargetGroupsError::generic(meta), ())
}

#[test]
fn the_not_found_code_of_a_call_becomes_the_typed_not_found() {
    let tg = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-blue/1";
    let gone = failed(
        service_error("TargetGroupNotFound", "One or more target groups not found"),
        "DescribeTargetGroups",
        tg,
        Some((elbv2::TARGET_GROUP, tg)),
    );
    assert_eq!(gone, Error::NotFound { what: "Target group", arn: tg.into() });
    assert!(gone.is_not_found());
    assert_eq!(gone.to_diagnostic().summary, "Target group not found");
    // Another code of the same call stays AWS's error, naming the call and its target.
    let throttled = failed(
        service_error("Throttling", "Rate exceeded"),
        "DescribeTargetGroups",
        tg,
        Some((elbv2::TARGET_GROUP, tg)),
    );
    assert_eq!(
        throttled,
        Error::Aws {
            call: "DescribeTargetGroups",
            target: tg.into(),
            code: "Throttling".into(),
            message: "Rate exceeded".into()
        }
    );
    // A call that does not map its not-found code (DescribeTags: it does not say which
    // resource is missing) keeps AWS's error, code and all.
    let tags = failed(service_error("TargetGroupNotFound", "gone"), "DescribeTags", "a, b", None);
    assert!(tags.is_aws_code("TargetGroupNotFound") && !tags.is_not_found(), "{tags:?}");
    assert_eq!(tags.to_diagnostic().detail, "DescribeTags on a, b failed (TargetGroupNotFound): gone.");
}

#[test]
fn each_service_target_group_is_named_once_production_then_alternate() {
    use aws_sdk_ecs::types::{AdvancedConfiguration, LoadBalancer, Service};
    let native = |tg: &str, alternate: &str| {
        let adv = AdvancedConfiguration::builder().alternate_target_group_arn(alternate).build();
        LoadBalancer::builder().target_group_arn(tg).advanced_configuration(adv).build()
    };
    let s = Service::builder()
        .load_balancers(native("blue", "green"))
        .load_balancers(LoadBalancer::builder().target_group_arn("green").build())
        .load_balancers(LoadBalancer::builder().load_balancer_name("classic").build())
        .load_balancers(native("other", "blue"))
        .build();
    assert_eq!(ecs::service_target_groups(&s), ["blue", "green", "other"]);
    assert!(ecs::service_target_groups(&Service::builder().build()).is_empty());
}
