use super::*;
use aws_sdk_ecs::types::{
    AdvancedConfiguration, Deployment, DeploymentConfiguration, DeploymentRolloutState, LoadBalancer,
};

fn service(name: &str, strategy: Option<DeploymentStrategy>, deployments: Vec<Deployment>) -> Service {
    let adv = AdvancedConfiguration::builder()
        .alternate_target_group_arn("green")
        .production_listener_rule("prod-rule")
        .test_listener_rule("test-rule")
        .build();
    let lb = LoadBalancer::builder().target_group_arn("blue").advanced_configuration(adv).build();
    let mut config = DeploymentConfiguration::builder();
    if let Some(s) = strategy {
        config = config.strategy(s);
    }
    Service::builder()
        .service_name(name)
        .service_arn(format!("arn:aws:ecs:us-east-1:1:service/c/{name}"))
        .load_balancers(lb)
        .deployment_configuration(config.build())
        .set_deployments(Some(deployments))
        .build()
}

fn deployment(status: &str, rollout: DeploymentRolloutState) -> Deployment {
    Deployment::builder().id(format!("ecs-svc/{status}")).status(status).rollout_state(rollout).build()
}

#[test]
fn only_a_traffic_shifting_strategy_owns_the_rules() {
    let services = [
        service("bg", Some(DeploymentStrategy::BlueGreen), vec![]),
        service("linear", Some(DeploymentStrategy::Linear), vec![]),
        service("rolling", Some(DeploymentStrategy::Rolling), vec![]),
        service("unset", None, vec![]),
    ];
    let natives = natives_of(&services);
    assert_eq!(natives.len(), 4);
    let owners: Vec<(String, &str)> =
        owners_in(&natives, "c", &["prod-rule"]).into_iter().map(|o| (o.service, o.role)).collect();
    assert_eq!(
        owners,
        [("bg".to_string(), "productionListenerRule"), ("linear".to_string(), "productionListenerRule")]
    );
    let test: Vec<&str> = owners_in(&natives, "c", &["test-rule"]).iter().map(|o| o.role).collect();
    assert_eq!(test, ["testListenerRule", "testListenerRule"]);
    assert!(owners_in(&natives, "c", &["another-rule"]).is_empty());
}

#[test]
fn the_warning_names_the_service_the_conflict_and_the_remedy() {
    let natives = natives_of(&[service("web", Some(DeploymentStrategy::BlueGreen), vec![])]);
    let (summary, detail) = owners_in(&natives, "prod", &["prod-rule"])[0].warning();
    assert_eq!(summary, "ECS service prod/web also writes this pointer");
    for part in ["productionListenerRule", "undo each other", "advancedConfiguration", "ROLLING", "bluegreen"] {
        assert!(detail.contains(part), "{part}: {detail}");
    }
}

#[test]
fn a_deployment_is_in_progress_while_the_primary_rolls_out_or_an_older_one_is_active() {
    use DeploymentRolloutState::{Completed, InProgress};
    let steady = service("s", None, vec![deployment("PRIMARY", Completed)]);
    assert_eq!(deployment_in_progress(&steady), None);
    let rolling_out = service("s", None, vec![deployment("PRIMARY", InProgress)]);
    assert!(deployment_in_progress(&rolling_out).unwrap().contains("IN_PROGRESS"));
    // Native blue/green's bake: the green PRIMARY may report COMPLETED rollout of its
    // tasks while blue is still ACTIVE until clean-up.
    let baking = service("s", None, vec![deployment("PRIMARY", Completed), deployment("ACTIVE", Completed)]);
    assert!(deployment_in_progress(&baking).unwrap().contains("1 older deployment(s) still ACTIVE"));
}
