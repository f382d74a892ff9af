//! Data source bluegreen_ecs_release with real Terraform: two long-lived services,
//! Spinnaker server groups, and one ECS-native blue/green service.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::{Workdir, provider_block};

fn read(emu: &Emulator, locator: &str) -> serde_json::Value {
    let wd = Workdir::new(&emu.endpoint());
    wd.write(
        "main.tf",
        &format!(
            "{}\ndata \"bluegreen_ecs_release\" \"app\" {{\n{locator}\n}}\noutput \"release\" {{\n  value = data.bluegreen_ecs_release.app\n}}\n",
            provider_block(&emu.endpoint())
        ),
    );
    wd.apply();
    let out = wd.ok(&["output", "-json", "release"]);
    serde_json::from_str(&out.stdout).unwrap()
}

fn names(services: &serde_json::Value) -> Vec<String> {
    services.as_array().unwrap().iter().map(|s| s["service_name"].as_str().unwrap().to_string()).collect()
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn two_long_lived_services() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--colors", "tag", "--services", "two"]);
    let r = read(&emu, &format!("  cluster = \"{}\"\n  listener_rule_arn = \"{}\"", s.cluster, s.rule()));
    assert_eq!(r["active_color"], "blue");
    assert_eq!(r["standby_color"], "green");
    assert_eq!(r["active_target_group_arn"], s.blue_tg);
    assert_eq!(r["standby_target_group_arn"], s.green_tg);
    assert_eq!(r["blue_weight"], 100, "scaffold forwards to both groups, 100/0");
    assert_eq!(r["green_weight"], 0);
    assert_eq!(names(&r["blue_services"]), ["app-blue"]);
    assert_eq!(names(&r["green_services"]), ["app-green"]);
    let blue = &r["blue_services"][0];
    assert_eq!(blue["desired_count"], 2);
    assert_eq!(blue["running_count"], 2);
    assert!(blue["task_definition_arn"].as_str().unwrap().contains(":task-definition/app:"));
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn spinnaker_server_groups_some_scaled_to_zero() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--colors", "name", "--services", "spinnaker"]);
    scaffold::run(
        &emu,
        "deploy",
        &["--name", "app", "--color", "green", "--style", "spinnaker", "--scale-old-to-zero"],
    );
    // Found through a service: the sibling target group comes from the other services.
    let r = read(&emu, &format!("  cluster = \"{}\"\n  service = \"app-prod-v002\"", s.cluster));
    assert_eq!(r["listener_rule_arn"], s.rule());
    assert_eq!(r["green_target_group_arn"], s.green_tg);
    let green = r["green_services"].as_array().unwrap();
    assert_eq!(names(&r["green_services"]), ["app-prod-v001", "app-prod-v002"]);
    let v001 = green.iter().find(|g| g["service_name"] == "app-prod-v001").unwrap();
    assert_eq!(v001["desired_count"], 0, "the old server group was scaled to zero");
    let v002 = green.iter().find(|g| g["service_name"] == "app-prod-v002").unwrap();
    assert_ne!(v002["task_definition_arn"], v001["task_definition_arn"], "the deploy registered a new revision");
    assert_eq!(names(&r["blue_services"]), ["app-prod-v000"]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn ecs_native_blue_green_service() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "native", &["--colors", "tag", "--services", "ecs-native"]);
    // One service carries both target groups (production + alternate).
    let r = read(&emu, &format!("  cluster = \"{}\"\n  service = \"native\"", s.cluster));
    assert_eq!(r["listener_rule_arn"], s.rule());
    assert_eq!(r["active_color"], "blue");
    assert_eq!(names(&r["blue_services"]), ["native"]);
    assert_eq!(names(&r["green_services"]), ["native"]);
}
