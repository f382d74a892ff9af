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
        owners_in(&natives, "c", &["prod-rule"]).into_iter().map(|o| (o.name(), o.role)).collect();
    assert_eq!(
        owners,
        [
            ("ECS service c/bg".to_string(), "productionListenerRule"),
            ("ECS service c/linear".to_string(), "productionListenerRule")
        ]
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

mod code_deploy_owners {
    use super::super::OwnerKind;
    use super::super::code_deploy::{CodeDeployRoute, code_deploy_services, owners_in, routes_of};
    use aws_sdk_codedeploy::types::{
        ComputePlatform, DeploymentGroupInfo, EcsService, LoadBalancerInfo, TargetGroupInfo, TargetGroupPairInfo,
        TrafficRoute,
    };
    use aws_sdk_ecs::types::{DeploymentController, DeploymentControllerType, Service};

    const LISTENER: &str =
        "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
    const TEST_LISTENER: &str =
        "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/50dc6c495c0c9188/0467ef3c8400ae65";
    const OTHER_LISTENER: &str =
        "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/50dc6c495c0c9188/9683b2d02a6cabee";
    const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/shop-blue/73e2d6bc24d8a067";
    const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/shop-green/2453ed029918f21f";
    const OTHER_TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/cart-blue/11e2d6bc24d8a067";

    fn rule_of(listener: &str, id: &str) -> String {
        format!("{}/{id}", listener.replace(":listener/", ":listener-rule/"))
    }

    /// An ECS deployment group as BatchGetDeploymentGroups answers it
    /// (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentGroupInfo.html):
    /// one target group pair, its production route on LISTENER, its test route on
    /// TEST_LISTENER, deploying `cluster/service`.
    fn group(cluster: &str, service: &str) -> DeploymentGroupInfo {
        let route = |l: &str| TrafficRoute::builder().listener_arns(l).build();
        let pair = TargetGroupPairInfo::builder()
            .target_groups(TargetGroupInfo::builder().name("shop-blue").build())
            .target_groups(TargetGroupInfo::builder().name("shop-green").build())
            .prod_traffic_route(route(LISTENER))
            .test_traffic_route(route(TEST_LISTENER))
            .build();
        DeploymentGroupInfo::builder()
            .application_name("shop")
            .deployment_group_name("shop-dg")
            .compute_platform(ComputePlatform::Ecs)
            .ecs_services(EcsService::builder().cluster_name(cluster).service_name(service).build())
            .load_balancer_info(LoadBalancerInfo::builder().target_group_pair_info_list(pair).build())
            .build()
    }

    fn routes() -> Vec<CodeDeployRoute> {
        routes_of(&[group("prod", "shop")], "prod", &["shop".to_string()])
    }

    #[test]
    fn only_services_codedeploy_deploys_are_looked_up() {
        let controlled = |name: &str, t: DeploymentControllerType| {
            Service::builder()
                .service_name(name)
                .deployment_controller(DeploymentController::builder().r#type(t).build().unwrap())
                .build()
        };
        let services = [
            controlled("shop", DeploymentControllerType::CodeDeploy),
            controlled("cart", DeploymentControllerType::Ecs),
            Service::builder().service_name("plain").build(),
        ];
        assert_eq!(code_deploy_services(&services), ["shop"]);
    }

    #[test]
    fn a_group_counts_for_its_own_cluster_and_service_only() {
        assert_eq!(routes().len(), 1);
        assert_eq!(routes()[0].target_groups, ["shop-blue", "shop-green"]);
        let arn = "arn:aws:ecs:us-east-1:1:cluster/prod";
        assert_eq!(routes_of(&[group("prod", "shop")], arn, &["shop".to_string()]).len(), 1, "cluster by ARN");
        assert!(routes_of(&[group("staging", "shop")], "prod", &["shop".to_string()]).is_empty());
        assert!(routes_of(&[group("prod", "cart")], "prod", &["shop".to_string()]).is_empty());
    }

    /// CodeDeploy moves the route's listener and the rules of that listener forwarding to
    /// the pair (traveloka/terraform-aws-alb-single-listener#28,
    /// terraform-aws-modules/terraform-aws-alb#219), not rules of other listeners nor
    /// rules of its listener forwarding to other services.
    #[test]
    fn the_route_listener_and_its_rules_forwarding_to_the_pair_are_owned() {
        let pair = [BLUE, GREEN];
        let roles = |pointer: &str, tgs: &[&str]| -> Vec<&str> {
            owners_in(&routes(), "prod", &[pointer], tgs).into_iter().map(|o| o.role).collect()
        };
        assert_eq!(roles(LISTENER, &pair), ["prodTrafficRoute"]);
        assert_eq!(roles(&rule_of(LISTENER, "aa11"), &pair), ["prodTrafficRoute"]);
        assert_eq!(roles(TEST_LISTENER, &pair), ["testTrafficRoute"]);
        assert_eq!(roles(&rule_of(TEST_LISTENER, "bb22"), &pair), ["testTrafficRoute"]);
        assert!(roles(&rule_of(LISTENER, "cc33"), &[OTHER_TG, OTHER_TG]).is_empty(), "another service's rule");
        assert!(roles(&rule_of(OTHER_LISTENER, "dd44"), &pair).is_empty(), "a rule of another listener");
        assert!(roles(OTHER_LISTENER, &pair).is_empty());
        // The listener itself is the route, whatever the release forwards to.
        assert_eq!(roles(LISTENER, &[OTHER_TG, OTHER_TG]), ["prodTrafficRoute"]);
    }

    #[test]
    fn the_warning_names_the_group_the_route_the_conflict_and_the_remedies() {
        let owner = owners_in(&routes(), "prod", &[LISTENER], &[BLUE, GREEN]).remove(0);
        assert!(matches!(&owner.kind, OwnerKind::CodeDeploy { service, .. } if service == "shop"));
        let (summary, detail) = owner.warning();
        assert_eq!(summary, "CodeDeploy deployment group shop/shop-dg also writes this pointer");
        for part in [
            "production traffic route (prodTrafficRoute)",
            "ECS service prod/shop",
            "undo each other",
            "take the listener out of the deployment group's traffic route",
            "use the release only to read it",
            "refuses and writes nothing",
        ] {
            assert!(detail.contains(part), "{part}: {detail}");
        }
    }
}
