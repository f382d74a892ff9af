//! The guarded write's retry rules, in isolation.

use super::*;
use std::time::Duration;

#[test]
fn only_transient_write_errors_are_retried() {
    let aws =
        |code: &str| Error::Aws { call: "ModifyRule", target: "r".into(), code: code.into(), message: "m".into() };
    for code in ["", "Throttling", "ServiceUnavailable", "InternalFailure"] {
        assert!(worth_retrying(&aws(code)), "{code}");
    }
    for code in ["AccessDenied", "ValidationError", "RuleNotFound"] {
        assert!(!worth_retrying(&aws(code)), "{code}");
    }
    assert!(!worth_retrying(&Error::live("x", "y")));
}

#[test]
fn a_write_that_gave_up_says_how_often_it_was_sent_and_why_it_stopped() {
    let throttled = || Error::Aws {
        call: "ModifyRule",
        target: "r".into(),
        code: "Throttling".into(),
        message: "Rate exceeded".into(),
    };
    let all = gave_up(throttled(), 3, 3, None).to_diagnostic().detail;
    assert!(
        all.contains(
            "Rate exceeded (sent 3 times, always right after a fresh read; that is every attempt max_retries allows (3))"
        ),
        "{all}"
    );
    let cut = gave_up(throttled(), 1, 3, Some("the apply was interrupted (Ctrl-C)".into())).to_diagnostic().detail;
    assert!(cut.contains("(sent once, always right after a fresh read; the apply was interrupted (Ctrl-C))"), "{cut}");
    assert!(!cut.contains("every attempt"), "{cut}");
    // An error no retry could help is returned as it is.
    let denied =
        Error::Aws { call: "ModifyRule", target: "r".into(), code: "AccessDenied".into(), message: "no".into() };
    assert_eq!(gave_up(denied.clone(), 1, 3, None), denied);
}

#[test]
fn backoff_stays_under_its_doubling_bound_and_the_cap() {
    let (first, max) = (Duration::from_millis(500), Duration::from_secs(20));
    for attempt in 1..=12 {
        let bound = (first * 2u32.pow(attempt - 1)).min(max);
        assert!(backoff(attempt, first, max) <= bound, "attempt {attempt}");
    }
    assert_eq!(backoff(40, Duration::ZERO, Duration::ZERO), Duration::ZERO);
}
