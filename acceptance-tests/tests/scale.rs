//! Request coalescing: creating and refreshing many releases costs fewer AWS calls than releases.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::{Workdir, provider_block};

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn creating_and_planning_50_releases_on_one_listener_is_coalesced() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let mut rules = vec![s.rule().to_string()];
    rules.extend(scaffold::create_rules(&emu, &s.listener_arn, &s.blue_tg, 49));
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &format!("{}{}", provider_block(&emu.endpoint()), scaffold::releases_hcl(&s, &rules, "blue")));
    emu.reset_requests();
    wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    // Creating checks that both target groups sit on the pointer's load balancer; the
    // answer holds for the whole run, so 50 releases of one pair ask once.
    let created = emu.requests();
    let tg_lookups = created["by_action"]["DescribeTargetGroups"].as_i64().unwrap_or(0);
    assert_eq!(tg_lookups, 1, "50 releases of one pair should look the pair up once: {created}");

    emu.reset_requests();
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let r = emu.requests();
    let total = r["total"].as_i64().unwrap();
    let describe_rules = r["by_action"]["DescribeRules"].as_i64().unwrap_or(0);
    // Terraform refreshes 10 at a time: the first batch reads the whole listener in one
    // DescribeRules(ListenerArn), whose listing answers the other 40 reads.
    assert!(total <= 12, "50 releases cost {total} AWS requests (want <= 0.25 per release): {r}");
    assert!(total <= 3, "the listener listing should answer nearly every read: {total} requests: {r}");
    assert_eq!(total, describe_rules, "only DescribeRules during refresh: {r}");
    assert!(total >= 1);
}
