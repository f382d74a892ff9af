"""Build and mutate blue/green ECS + ALB scaffolding in the local AWS emulator.

Used by the Rust acceptance tests and by `make demo`. Run with the project venv:

    .venv/bin/python tools/emulator/scaffold.py SUBCOMMAND --endpoint http://127.0.0.1:PORT [options]

Every subcommand talks to the one emulator endpoint (region us-east-1, credentials
"testing"), prints exactly one JSON object on stdout and nothing else; diagnostics go
to stderr. Failures exit non-zero (1 for AWS/logic errors, 2 for bad arguments) with a
"scaffold: error: ..." line on stderr.

  create   --name APP [--pointer rule|listener] [--nlb] [--colors tag|name|none]
           [--services two|spinnaker|ecs-native|codedeploy|none] [--desired 2] [--oidc]
           [--stickiness] [--test-listener] [--alarm NAME ...] [--forward both|single]
           [--no-wait] [--wait-timeout 60] [--cluster NAME]
      VPC, 2 subnets, security group, ALB APP-alb, HTTP listener :80, blue/green target
      groups with 2 ip targets each, (rule pointer) listener rule priority 10,
      (--test-listener) listener :8080 with a rule forwarding to green, ECS cluster
      APP-cluster (or --cluster NAME, shared by several scaffolds), task definition family APP, services, CloudWatch alarms (state OK).
      The production forward (the rule, or with --pointer listener the listener's default
      action) is by default what our docs tell Terraform users to write: a ForwardConfig
      with blue weight 100 and green weight 0, so both groups stay in use (associated
      with the ALB, health-checked, accepted by ECS). --forward single writes a scalar
      TargetGroupArn to blue only, like a hand-written rule: green is then not in use
      (its targets are "unused") unless --test-listener forwards to it, and since ECS
      refuses a service on a target group with no load balancer, create SKIPS the green
      services in that case (listed in "skipped_services"; services stay empty for green).
      Unless --no-wait, create returns once the targets of in-use groups are healthy and
      the services steady (the emulator models health checks and rollouts in scaled time).
      Target group names by --colors: tag -> APP-tg-a/APP-tg-b tagged bluegreen:color;
      name -> APP-blue/APP-green; none -> APP-tg-a/APP-tg-b untagged (a = blue).
      --nlb: a network load balancer APP-nlb instead of the ALB: a TCP listener :80 whose
      default action is the production forward (an NLB has no rules, so the pointer is
      the listener; --pointer rule, --oidc and --stickiness do not apply), TCP target
      groups, and with --test-listener a TCP listener :8080 forwarding to green (the
      test pointer is that listener: "test_listener_arn", no "test_rule_arn").
      Services: two -> APP-blue, APP-green; spinnaker -> APP-prod-v000 (blue),
      APP-prod-v001 (green); ecs-native -> APP on blue with advancedConfiguration
      (alternate = green; the output then also has "advanced_configuration" as read back);
      codedeploy -> APP on blue with deploymentController CODE_DEPLOY, and CodeDeploy
      application APP-cd / deployment group APP-dg deploying it (pair blue/green,
      prodTrafficRoute the :80 listener, testTrafficRoute :8080 with --test-listener;
      output "code_deploy": {"application", "deployment_group", "service"}). The emulator
      does not roll CODE_DEPLOY services out, so "services" leaves APP out.

  deploy   --name APP --color blue|green [--style spinnaker|update]
           [--scale-old-to-zero] [--desired N] [--blue-tg ARN --green-tg ARN] [--cluster C]
      Simulates Spinnaker: new task-definition revision (image nginx:<rev>), then either
      a new server group APP-prod-vNNN on that color's target group (spinnaker), or
      update_service of the services on that color (update; for ECS-native, the service
      whose alternateTargetGroupArn is that color). --scale-old-to-zero (spinnaker): set
      desired 0 on the older server groups on that color. Nothing is written if a lookup
      fails. ECS refuses a server group on a target group no listener forwards to (as
      AWS does): deploy then fails with that InvalidParameterException. Unless --no-wait
      [--wait-timeout 60], deploy returns once the new/updated services are steady (their
      rollout COMPLETED), like Spinnaker's deploy stage waiting for the server group.
      Output: {"task_definition_arn", "service", "services", "scaled_to_zero"}.

  flip     (--rule-arn ARN | --listener-arn ARN) [--to TG_ARN] [--weights TG=W,TG=W]
      A deploy tool's own traffic switch: rewrite only the forward action (scalar
      TargetGroupArn, or a weighted ForwardConfig with --weights that keeps the old
      stickiness config), write every other action back as read. Conditions, priority
      and tags are not touched (ModifyRule without Conditions).

      Output: {"actions": [the actions written]}.

  targets  --tg ARN (--deregister-all | --register N)
      Deregister every target ("no healthy targets") or register ip targets
      10.0.1.10..10.0.1.(9+N). Output: {"registered": targets registered afterwards}.
  alarm    --name NAME --state ALARM|OK|INSUFFICIENT_DATA     Output: {"name", "state"}.
      (metric or composite alarm)
  alarms   --count N [--composite M] [--prefix bulk] [--state OK]
      N metric alarms PREFIX-m-000.. and M composite alarms PREFIX-c-000.. (PutCompositeAlarm),
      all set to the state. Output: {"metric": [names], "composite": [names], "state"}.
  health   --tg ARN
      DescribeTargetHealth as read: {"targets": [{"id", "port", "state", "reason",
      "description"}], "counts": {"healthy": 2, ...}, "attached": bool (LoadBalancerArns)}.
  fail-targets     --tg ARN [--target ID] [--reason REASON]
  recover-targets  --tg ARN [--target ID]
  fail-rollout     --cluster C --service S [--reason TEXT]
      Emulator-only faults of the outside world, through its control API (POST
      /_bluegreen/targets/fail, /targets/recover, /ecs/fail-rollout): targets become
      unhealthy with that reason (no --target: all, also ones registered later) and, after
      recovery, healthy again once they pass HealthyThresholdCount checks; the service's
      PRIMARY deployment becomes FAILED with that rolloutStateReason. Output: the
      emulator's answer.
  describe (--rule-arn ARN | --listener-arn ARN)
      Output: {"actions", "conditions", "priority", "tags": {k: v}} for a rule, or
      {"default_actions"} for a listener, as the API returns them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import types
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

REGION = "us-east-1"
ACCOUNT_ROLE = "arn:aws:iam::123456789012:role/ecs-bg"
TARGET_IPS = ["10.0.1.%d" % (10 + i) for i in range(200)]
COLORS = ("blue", "green")


class ScaffoldError(Exception):
    pass


def log(msg):
    print("scaffold: " + msg, file=sys.stderr)


# ---------------------------------------------------------------- clients


def clients(endpoint):
    # Never let the caller's AWS profile/config leak into emulator calls.
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(var, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    cfg = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)
    return types.SimpleNamespace(**{
        svc: session.client(svc, endpoint_url=endpoint, config=cfg)
        for svc in ("ec2", "elbv2", "ecs", "cloudwatch", "secretsmanager", "codedeploy")
    })


# ---------------------------------------------------------------- helpers


def forward_both(blue, green, order=None, stickiness=False):
    """What our docs tell Terraform users to write: one weighted forward to both groups,
    blue 100 / green 0, so both stay associated with the load balancer (ELB only
    health-checks, and ECS only accepts services on, groups a listener forwards to)."""
    action = {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": blue, "Weight": 100}, {"TargetGroupArn": green, "Weight": 0}]}}
    if stickiness:
        action["ForwardConfig"]["TargetGroupStickinessConfig"] = {"Enabled": True, "DurationSeconds": 3600}
    if order is not None:
        action["Order"] = order
    return action


def forward_action(tg, order=None, stickiness=False):
    if stickiness:
        action = {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 3600},
            },
        }
    else:
        action = {"Type": "forward", "TargetGroupArn": tg}
    if order is not None:
        action["Order"] = order
    return action


def oidc_action(order):
    return {
        "Type": "authenticate-oidc",
        "Order": order,
        "AuthenticateOidcConfig": {
            "Issuer": "https://idp.example.com",
            "AuthorizationEndpoint": "https://idp.example.com/authorize",
            "TokenEndpoint": "https://idp.example.com/token",
            "UserInfoEndpoint": "https://idp.example.com/userinfo",
            "ClientId": "bluegreen-client",
            "ClientSecret": "bluegreen-client-secret",
        },
    }


def fixed_404():
    return {
        "Type": "fixed-response",
        "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "not found"},
    }


def register_targets(c, tg, n):
    targets = [{"Id": ip, "Port": 80} for ip in TARGET_IPS[:n]]
    if targets:
        c.elbv2.register_targets(TargetGroupArn=tg, Targets=targets)


def registered_count(c, tg):
    """Registered targets (a draining target has been deregistered already)."""
    health = c.elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return sum(1 for h in health if h["TargetHealth"]["State"] != "draining")


def attached(c, tg):
    return bool(c.elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0].get("LoadBalancerArns"))


def not_ready(c, tgs, cluster, service_names):
    """What is still settling: targets of in-use groups not yet healthy, services not steady."""
    waiting = []
    for tg in tgs:
        for h in c.elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]:
            state = h["TargetHealth"]["State"]
            if state == "initial":
                waiting.append("%s %s %s" % (tg.rsplit("/", 2)[-2], h["Target"]["Id"], state))
    for i in range(0, len(service_names), 10):
        for svc in c.ecs.describe_services(cluster=cluster, services=service_names[i:i + 10])["services"]:
            deps = svc.get("deployments", [])
            primary = next((d for d in deps if d.get("status") == "PRIMARY"), {})
            if primary.get("rolloutState") == "FAILED":
                continue  # will not settle; the caller sees it in describe
            if svc["runningCount"] != svc["desiredCount"] or len(deps) > 1 \
                    or primary.get("rolloutState", "COMPLETED") != "COMPLETED":
                waiting.append("service %s running %d/%d, %d deployments, %s" % (
                    svc["serviceName"], svc["runningCount"], svc["desiredCount"], len(deps),
                    primary.get("rolloutState")))
    return waiting


def wait_ready(c, tgs, cluster, service_names, timeout):
    """Poll until new targets are healthy and the services steady (as a real account is
    before a deploy tool or Terraform touches it). Bounded by `timeout` real seconds."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = not_ready(c, tgs, cluster, service_names)
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise ScaffoldError("not ready after %.0f s: %s" % (timeout, "; ".join(waiting)))
        time.sleep(0.1)


def list_services(c, cluster):
    arns = []
    for page in c.ecs.get_paginator("list_services").paginate(cluster=cluster):
        arns.extend(page["serviceArns"])
    services = []
    for i in range(0, len(arns), 10):
        services.extend(c.ecs.describe_services(cluster=cluster, services=arns[i : i + 10])["services"])
    return [s for s in services if s.get("status") == "ACTIVE"]


def service_tgs(svc):
    return {lb.get("targetGroupArn") for lb in svc.get("loadBalancers", [])}


def network_config(subnets, sg):
    groups = [sg] if sg else []
    return {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": groups, "assignPublicIp": "DISABLED"}}


def create_service(c, cluster, name, taskdef, tg, netcfg, desired, advanced=None, controller=None):
    lb = {"targetGroupArn": tg, "containerName": "app", "containerPort": 80}
    if advanced:
        lb["advancedConfiguration"] = advanced
    kw = {"deploymentController": {"type": controller}} if controller else {}
    svc = c.ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=taskdef, desiredCount=desired,
        launchType="FARGATE", networkConfiguration=netcfg, loadBalancers=[lb], **kw,
    )["service"]
    if controller:
        return svc  # CodeDeploy deploys it: no ECS deployment configuration to set
    # moto drops deploymentConfiguration on create; set it afterwards like Terraform would.
    config = {"maximumPercent": 200, "minimumHealthyPercent": 100}
    if advanced:
        # ECS accepts advancedConfiguration only with the BLUE_GREEN strategy.
        config.update(strategy="BLUE_GREEN", bakeTimeInMinutes=5)
    c.ecs.update_service(cluster=cluster, service=name, deploymentConfiguration=config)
    return svc


def create_code_deploy_group(c, app, cluster, blue, green, listener, test_listener):
    """CodeDeploy application APP-cd (ECS) with deployment group APP-dg deploying service
    APP: the pair blue/green (by name), production route the :80 listener, test route
    the :8080 listener when there is one."""
    application, group = app + "-cd", app + "-dg"
    pair = {"targetGroups": [{"name": tg.split(":targetgroup/", 1)[1].split("/")[0]} for tg in (blue, green)],
            "prodTrafficRoute": {"listenerArns": [listener]}}
    if test_listener:
        pair["testTrafficRoute"] = {"listenerArns": [test_listener]}
    c.codedeploy.create_application(applicationName=application, computePlatform="ECS")
    c.codedeploy.create_deployment_group(
        applicationName=application, deploymentGroupName=group, serviceRoleArn=ACCOUNT_ROLE,
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"clusterName": cluster, "serviceName": app}],
        loadBalancerInfo={"targetGroupPairInfoList": [pair]},
    )
    return {"application": application, "deployment_group": group, "service": app}


def parse_weights(text):
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        tg, sep, w = part.rpartition("=")
        if not sep or not tg or not w.isdigit():
            raise ScaffoldError("bad --weights entry %r (want TG_ARN=WEIGHT)" % part)
        out.append({"TargetGroupArn": tg, "Weight": int(w)})
    if not out:
        raise ScaffoldError("--weights is empty")
    return out


# ---------------------------------------------------------------- create


def cmd_create(c, a):
    app = a.name
    vpc = c.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        c.ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b"))
    ]
    sg = c.ec2.create_security_group(GroupName=app + "-sg", Description="bluegreen " + app, VpcId=vpc)["GroupId"]
    if a.nlb:
        if a.pointer == "rule" or a.oidc or a.stickiness:
            raise ScaffoldError("--nlb: an NLB has no rules (the pointer is its listener); "
                                "--pointer rule, --oidc and --stickiness do not apply")
        lb = c.elbv2.create_load_balancer(
            Name=app + "-nlb", Subnets=subnets, Scheme="internet-facing", Type="network"
        )["LoadBalancers"][0]["LoadBalancerArn"]
    else:
        lb = c.elbv2.create_load_balancer(
            Name=app + "-alb", Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing", Type="application"
        )["LoadBalancers"][0]["LoadBalancerArn"]
    protocol = "TCP" if a.nlb else "HTTP"

    names = {"tag": ("-tg-a", "-tg-b"), "name": ("-blue", "-green"), "none": ("-tg-a", "-tg-b")}[a.colors]
    tgs = {}
    for color, suffix in zip(COLORS, names):
        kw = dict(Name=app + suffix, Protocol=protocol, Port=80, VpcId=vpc, TargetType="ip")
        if a.colors == "tag":
            kw["Tags"] = [{"Key": "bluegreen:color", "Value": color}]
        tgs[color] = c.elbv2.create_target_group(**kw)["TargetGroups"][0]["TargetGroupArn"]
        register_targets(c, tgs[color], 2)
    blue, green = tgs["blue"], tgs["green"]

    def production(order=None):
        if a.forward == "both":
            return forward_both(blue, green, order, a.stickiness)
        return forward_action(blue, order, a.stickiness)

    default = [fixed_404()] if a.pointer == "rule" else [production()]
    listener = c.elbv2.create_listener(LoadBalancerArn=lb, Protocol=protocol, Port=80, DefaultActions=default)[
        "Listeners"
    ][0]["ListenerArn"]
    rule = None
    if a.pointer == "rule":
        actions = [production(1)]
        if a.oidc:
            actions = [oidc_action(1), production(2)]
        rule = c.elbv2.create_rule(
            ListenerArn=listener, Priority=10, Actions=actions,
            Conditions=[
                {"Field": "host-header", "HostHeaderConfig": {"Values": [app + ".example.com"]}},
                {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}},
            ],
            Tags=[{"Key": "team", "Value": "payments"}],
        )["Rules"][0]["RuleArn"]
    elif a.oidc:
        log("--oidc applies to --pointer rule only; ignored")

    test_listener = test_rule = None
    if a.test_listener and a.nlb:
        test_listener = c.elbv2.create_listener(
            LoadBalancerArn=lb, Protocol="TCP", Port=8080, DefaultActions=[forward_action(green)]
        )["Listeners"][0]["ListenerArn"]
    elif a.test_listener:
        test_listener = c.elbv2.create_listener(
            LoadBalancerArn=lb, Protocol="HTTP", Port=8080, DefaultActions=[fixed_404()]
        )["Listeners"][0]["ListenerArn"]
        test_rule = c.elbv2.create_rule(
            ListenerArn=test_listener, Priority=10, Actions=[forward_action(green, 1)],
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
        )["Rules"][0]["RuleArn"]

    cluster_name = a.cluster or app + "-cluster"
    existing = [cl for cl in c.ecs.describe_clusters(clusters=[cluster_name])["clusters"] if cl["status"] == "ACTIVE"]
    if existing:  # --cluster shared by several scaffolds
        cluster_arn = existing[0]["clusterArn"]
    else:
        cluster_arn = c.ecs.create_cluster(clusterName=cluster_name)["cluster"]["clusterArn"]
    taskdef = c.ecs.register_task_definition(
        family=app, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{
            "name": "app", "image": "nginx:1", "essential": True,
            "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
        }],
    )["taskDefinition"]["taskDefinitionArn"]

    net = network_config(subnets, sg)
    services = {"blue": [], "green": []}
    out_extra = {}
    plan = {
        "two": [("blue", app + "-blue"), ("green", app + "-green")],
        "spinnaker": [("blue", app + "-prod-v000"), ("green", app + "-prod-v001")],
        "ecs-native": [("blue", app)],
        "codedeploy": [("blue", app)],
        "none": [],
    }[a.services]
    skipped = []
    green_in_use = attached(c, green)
    for color, svc_name in plan:
        if color == "green" and not green_in_use:
            # ECS refuses a service on a target group no load balancer forwards to.
            skipped.append(svc_name)
            continue
        advanced = None
        if a.services == "ecs-native":
            # productionListenerRule: the rule, or (--pointer listener) the listener itself
            advanced = {"alternateTargetGroupArn": green, "productionListenerRule": rule or listener,
                        "roleArn": ACCOUNT_ROLE}
            if test_rule:
                advanced["testListenerRule"] = test_rule
        controller = "CODE_DEPLOY" if a.services == "codedeploy" else None
        create_service(c, cluster_name, svc_name, taskdef, tgs[color], net, a.desired, advanced, controller)
        if not controller:  # the emulator rolls out ECS-controlled services only
            services[color].append(svc_name)
        if advanced:
            got = c.ecs.describe_services(cluster=cluster_name, services=[svc_name])["services"][0]
            echoed = got["loadBalancers"][0].get("advancedConfiguration")
            out_extra["advanced_configuration"] = echoed
            if echoed != advanced:
                log("ECS-native advancedConfiguration did not round-trip: sent %r, got %r" % (advanced, echoed))

    if a.services == "codedeploy":
        out_extra["code_deploy"] = create_code_deploy_group(c, app, cluster_name, blue, green, listener, test_listener)

    for alarm in a.alarm:
        c.cloudwatch.put_metric_alarm(
            AlarmName=alarm, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
            Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            Dimensions=[{"Name": "LoadBalancer", "Value": lb.split(":loadbalancer/", 1)[-1]}],
        )
        c.cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="scaffold create")

    if not a.no_wait:
        wait_ready(c, [blue, green], cluster_name, services["blue"] + services["green"], a.wait_timeout)

    return {
        "name": app, "vpc_id": vpc, "subnets": subnets, "security_group": sg,
        "load_balancer_arn": lb, "listener_arn": listener, "rule_arn": rule,
        "test_listener_arn": test_listener, "test_rule_arn": test_rule,
        "blue_tg": blue, "green_tg": green, "cluster": cluster_name, "cluster_arn": cluster_arn,
        "task_definition_arn": taskdef, "services": services, "alarms": list(a.alarm),
        "forward": a.forward, "skipped_services": skipped, **out_extra,
    }


# ---------------------------------------------------------------- deploy


def find_tgs(c, app):
    """{color: arn} from the target groups create made for APP (tag, then name, then a/b)."""
    by_name = {}
    for page in c.elbv2.get_paginator("describe_target_groups").paginate():
        for tg in page["TargetGroups"]:
            by_name[tg["TargetGroupName"]] = tg["TargetGroupArn"]
    found = {}
    if app + "-blue" in by_name and app + "-green" in by_name:
        found = {"blue": by_name[app + "-blue"], "green": by_name[app + "-green"]}
    elif app + "-tg-a" in by_name and app + "-tg-b" in by_name:
        a, b = by_name[app + "-tg-a"], by_name[app + "-tg-b"]
        found = {"blue": a, "green": b}
        tags = c.elbv2.describe_tags(ResourceArns=[a, b])["TagDescriptions"]
        for td in tags:
            color = {t["Key"]: t["Value"] for t in td.get("Tags", [])}.get("bluegreen:color")
            if color in COLORS:
                found[color] = td["ResourceArn"]
                found[{"blue": "green", "green": "blue"}[color]] = b if td["ResourceArn"] == a else a
    if not found:
        raise ScaffoldError("no target groups %s-blue/-green or %s-tg-a/-tg-b; pass --blue-tg/--green-tg" % (app, app))
    return found


def network_from_lb(c, app, tgs):
    """Subnets and security group of the ALB (for a first server group with no sibling)."""
    lbs = [arn for tg in tgs for arn in
           c.elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0].get("LoadBalancerArns", [])]
    try:
        found = c.elbv2.describe_load_balancers(**(
            {"LoadBalancerArns": lbs[:1]} if lbs else {"Names": [app + "-alb"]}))["LoadBalancers"]
    except ClientError:
        found = []
    if not found:
        raise ScaffoldError("no load balancer for %s to copy subnets from; create a service first" % app)
    subnets = [z["SubnetId"] for z in found[0]["AvailabilityZones"]]
    return network_config(subnets, (found[0].get("SecurityGroups") or [None])[0])  # an NLB may have none


def new_revision(c, app):
    """Register the next task-definition revision of APP with image nginx:<revision>."""
    current = c.ecs.describe_task_definition(taskDefinition=app)["taskDefinition"]
    containers = current["containerDefinitions"]
    for cd in containers:
        if cd.get("name") == "app" or len(containers) == 1:
            cd["image"] = "nginx:%d" % (current["revision"] + 1)
    keep = ("networkMode", "requiresCompatibilities", "cpu", "memory", "executionRoleArn", "taskRoleArn")
    kw = {k: current[k] for k in keep if current.get(k)}
    return c.ecs.register_task_definition(family=app, containerDefinitions=containers, **kw)[
        "taskDefinition"]["taskDefinitionArn"]


def cmd_deploy(c, a):
    app, cluster = a.name, a.cluster or a.name + "-cluster"
    tgs = {"blue": a.blue_tg, "green": a.green_tg} if a.blue_tg and a.green_tg else find_tgs(c, app)
    tg = tgs[a.color]
    services = list_services(c, cluster)
    on_color = [s for s in services if tg in service_tgs(s)]
    result = {"task_definition_arn": None, "service": None, "services": [], "scaled_to_zero": []}

    # Everything is looked up before the first write, so a failed deploy changes nothing.
    if a.style == "update":
        targets = on_color or [  # ECS-native blue/green: the service whose alternate is this color
            s for s in services
            if any(lb.get("advancedConfiguration", {}).get("alternateTargetGroupArn") == tg
                   for lb in s.get("loadBalancers", []))
        ]
        if not targets:
            raise ScaffoldError("no ECS service in %s serves the %s target group %s" % (cluster, a.color, tg))
        result["task_definition_arn"] = taskdef = new_revision(c, app)
        for s in targets:
            kw = {} if a.desired is None else {"desiredCount": a.desired}
            c.ecs.update_service(cluster=cluster, service=s["serviceName"], taskDefinition=taskdef, **kw)
            result["services"].append(s["serviceName"])
        result["service"] = result["services"][0]
        if not a.no_wait:
            wait_ready(c, [tg], cluster, result["services"], a.wait_timeout)
        return result

    pattern = re.compile(re.escape(app) + r"-prod-v(\d+)$")
    groups = {s["serviceName"]: int(m.group(1)) for s in services if (m := pattern.match(s["serviceName"]))}
    next_name = "%s-prod-v%03d" % (app, max(groups.values(), default=-1) + 1)
    template = (on_color or services or [None])[-1]
    if template and template.get("networkConfiguration"):
        netcfg = template["networkConfiguration"]
    else:
        netcfg = network_from_lb(c, app, [tg, *tgs.values()])
    desired = a.desired if a.desired is not None else (template or {}).get("desiredCount") or 2
    result["task_definition_arn"] = taskdef = new_revision(c, app)
    create_service(c, cluster, next_name, taskdef, tg, netcfg, desired)
    result["service"] = next_name
    result["services"] = [next_name]
    if a.scale_old_to_zero:
        for s in on_color:
            if s["serviceName"] in groups and s["desiredCount"] > 0:
                c.ecs.update_service(cluster=cluster, service=s["serviceName"], desiredCount=0)
                result["scaled_to_zero"].append(s["serviceName"])
    if not a.no_wait:
        wait_ready(c, [tg], cluster, result["services"] + result["scaled_to_zero"], a.wait_timeout)
    return result


# ---------------------------------------------------------------- flip / describe


def writable(action):
    """An action as read, in a form ALB accepts back on modify. Real ALB never returns
    an OIDC ClientSecret, so we ask it to keep the stored one; moto does return it,
    and writing it back keeps moto's copy of the action byte-for-byte unchanged."""
    action = json.loads(json.dumps(action))
    oidc = action.get("AuthenticateOidcConfig")
    if oidc is not None and not oidc.get("ClientSecret"):
        oidc.pop("ClientSecret", None)
        oidc["UseExistingClientSecret"] = True
    return action


def read_pointer(c, a):
    if a.rule_arn:
        return c.elbv2.describe_rules(RuleArns=[a.rule_arn])["Rules"][0]["Actions"]
    return c.elbv2.describe_listeners(ListenerArns=[a.listener_arn])["Listeners"][0]["DefaultActions"]


def cmd_flip(c, a):
    if not a.to and not a.weights:
        raise ScaffoldError("flip needs --to TG_ARN or --weights TG=W,TG=W")
    current = read_pointer(c, a)
    forwards = [i for i, act in enumerate(current) if act["Type"] == "forward"]
    if len(forwards) != 1:
        raise ScaffoldError("expected exactly one forward action, found %d" % len(forwards))
    idx = forwards[0]
    old = current[idx]
    if a.weights:
        new = {"Type": "forward", "ForwardConfig": {"TargetGroups": parse_weights(a.weights)}}
        sticky = old.get("ForwardConfig", {}).get("TargetGroupStickinessConfig")
        if sticky:
            new["ForwardConfig"]["TargetGroupStickinessConfig"] = sticky
    else:
        new = {"Type": "forward", "TargetGroupArn": a.to}
    if "Order" in old:
        new["Order"] = old["Order"]
    actions = [new if i == idx else writable(act) for i, act in enumerate(current)]
    if a.rule_arn:
        c.elbv2.modify_rule(RuleArn=a.rule_arn, Actions=actions)
    else:
        c.elbv2.modify_listener(ListenerArn=a.listener_arn, DefaultActions=actions)
    return {"actions": actions}


def cmd_describe(c, a):
    if a.listener_arn:
        return {"default_actions": read_pointer(c, a)}
    rule = c.elbv2.describe_rules(RuleArns=[a.rule_arn])["Rules"][0]
    tags = c.elbv2.describe_tags(ResourceArns=[a.rule_arn])["TagDescriptions"]
    return {
        "actions": rule["Actions"], "conditions": rule["Conditions"], "priority": rule["Priority"],
        "tags": {t["Key"]: t["Value"] for td in tags for t in td.get("Tags", [])},
    }


# ---------------------------------------------------------------- targets / alarm


def cmd_targets(c, a):
    if a.deregister_all:
        health = c.elbv2.describe_target_health(TargetGroupArn=a.tg)["TargetHealthDescriptions"]
        targets = [{"Id": h["Target"]["Id"], "Port": h["Target"]["Port"]} for h in health]
        if targets:
            c.elbv2.deregister_targets(TargetGroupArn=a.tg, Targets=targets)
    else:
        if not 0 <= a.register <= len(TARGET_IPS):
            raise ScaffoldError("--register must be 0..%d" % len(TARGET_IPS))
        register_targets(c, a.tg, a.register)
    return {"registered": registered_count(c, a.tg)}


def cmd_target_group(c, a):
    """A new target group like --like (same VPC, protocol, port, target type), tagged
    with --color, with --register targets: the replacement of a color's group."""
    like = c.elbv2.describe_target_groups(TargetGroupArns=[a.like])["TargetGroups"][0]
    kw = dict(Name=a.name, Protocol=like["Protocol"], Port=like["Port"], VpcId=like["VpcId"],
              TargetType=like.get("TargetType", "ip"))
    if a.color:
        kw["Tags"] = [{"Key": "bluegreen:color", "Value": a.color}]
    tg = c.elbv2.create_target_group(**kw)["TargetGroups"][0]["TargetGroupArn"]
    register_targets(c, tg, a.register)
    return {"target_group_arn": tg}


def cmd_secret(c, a):
    """A Secrets Manager secret holding --value (a JSON object when --key is given)."""
    value = json.dumps({a.key: a.value}) if a.key else a.value
    arn = c.secretsmanager.create_secret(Name=a.name, SecretString=value)["ARN"]
    return {"arn": arn}


def cmd_delete_target_group(c, a):
    c.elbv2.delete_target_group(TargetGroupArn=a.tg)
    return {"deleted": a.tg}


def cmd_alarm(c, a):
    def find():
        out = c.cloudwatch.describe_alarms(AlarmNames=[a.name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        return out["MetricAlarms"] + out["CompositeAlarms"]

    if not find():
        raise ScaffoldError("no CloudWatch alarm named %r" % a.name)
    c.cloudwatch.set_alarm_state(AlarmName=a.name, StateValue=a.state, StateReason="scaffold alarm")
    return {"name": a.name, "state": find()[0]["StateValue"]}


def cmd_alarms(c, a):
    """N metric alarms PREFIX-m-000.., M composite alarms PREFIX-c-000.. (rule over the
    first metric alarm, or a constant), all set to --state."""
    metric = ["%s-m-%03d" % (a.prefix, i) for i in range(a.count)]
    composite = ["%s-c-%03d" % (a.prefix, i) for i in range(a.composite)]
    for name in metric:
        c.cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
            Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold")
    for name in composite:
        rule = 'ALARM("%s")' % metric[0] if metric else "FALSE"
        c.cloudwatch.put_composite_alarm(AlarmName=name, AlarmRule=rule)
    for name in metric + composite:
        c.cloudwatch.set_alarm_state(AlarmName=name, StateValue=a.state, StateReason="scaffold alarms")
    return {"metric": metric, "composite": composite, "state": a.state}


def cmd_health(c, a):
    health = c.elbv2.describe_target_health(TargetGroupArn=a.tg)["TargetHealthDescriptions"]
    targets = [{"id": h["Target"]["Id"], "port": h["Target"].get("Port"), "state": h["TargetHealth"]["State"],
                "reason": h["TargetHealth"].get("Reason"), "description": h["TargetHealth"].get("Description")}
               for h in health]
    counts = {}
    for t in targets:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    return {"targets": targets, "counts": counts, "attached": attached(c, a.tg)}


def control(endpoint, path, body):
    """POST to the emulator's control API (tools/emulator/emulator.py), JSON in and out."""
    req = urllib.request.Request(endpoint.rstrip("/") + "/_bluegreen" + path, method="POST",
                                 data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise ScaffoldError("emulator %s: HTTP %d %s" % (path, e.code, e.read().decode(errors="replace").strip()))


def cmd_fail_targets(c, a):
    body = {"target_group_arn": a.tg}
    if a.reason:
        body["reason"] = a.reason
    if a.target:
        body["target_id"] = a.target
    return control(a.endpoint, "/targets/fail", body)


def cmd_recover_targets(c, a):
    body = {"target_group_arn": a.tg}
    if a.target:
        body["target_id"] = a.target
    return control(a.endpoint, "/targets/recover", body)


def cmd_fail_rollout(c, a):
    body = {"cluster": a.cluster, "service": a.service}
    if a.reason:
        body["reason"] = a.reason
    return control(a.endpoint, "/ecs/fail-rollout", body)


# ---------------------------------------------------------------- CLI


def parser():
    p = argparse.ArgumentParser(prog="scaffold.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def add(name, fn, help_):
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("--endpoint", required=True, help="emulator URL, http://127.0.0.1:PORT")
        sp.set_defaults(fn=fn)
        return sp

    def wait_args(sp):
        sp.add_argument("--no-wait", action="store_true",
                        help="return at once instead of waiting for new targets to be healthy and "
                             "the services steady")
        sp.add_argument("--wait-timeout", type=float, default=60.0, metavar="SECONDS")

    def pointer(sp, required=True):
        g = sp.add_mutually_exclusive_group(required=required)
        g.add_argument("--rule-arn")
        g.add_argument("--listener-arn")

    sp = add("create", cmd_create, "build VPC/ALB/target groups/ECS scaffolding")
    sp.add_argument("--name", required=True)
    sp.add_argument("--pointer", choices=("rule", "listener"), default=None,
                    help="rule (default; with --nlb: listener, an NLB has no rules)")
    sp.add_argument("--nlb", action="store_true", help="a network load balancer with TCP listeners and target groups")
    sp.add_argument("--colors", choices=("tag", "name", "none"), default="tag")
    sp.add_argument("--services", choices=("two", "spinnaker", "ecs-native", "codedeploy", "none"), default="two")
    sp.add_argument("--cluster", help="ECS cluster to use (created if missing); default APP-cluster")
    sp.add_argument("--desired", type=int, default=2)
    sp.add_argument("--oidc", action="store_true")
    sp.add_argument("--stickiness", action="store_true")
    sp.add_argument("--test-listener", action="store_true")
    sp.add_argument("--alarm", action="extend", nargs="+", default=[], metavar="NAME")
    sp.add_argument("--forward", choices=("both", "single"), default="both",
                    help="both (default): the production forward names blue 100 and green 0; "
                         "single: a scalar TargetGroupArn to blue only (green is then not in use, "
                         "so green services are skipped unless --test-listener attaches green)")
    wait_args(sp)

    sp = add("deploy", cmd_deploy, "simulate a Spinnaker deploy to one color")
    sp.add_argument("--name", required=True)
    sp.add_argument("--color", choices=COLORS, required=True)
    sp.add_argument("--style", choices=("spinnaker", "update"), default="spinnaker")
    sp.add_argument("--scale-old-to-zero", action="store_true")
    sp.add_argument("--desired", type=int)
    sp.add_argument("--blue-tg")
    sp.add_argument("--green-tg")
    sp.add_argument("--cluster")
    wait_args(sp)

    sp = add("flip", cmd_flip, "move traffic like a deploy tool does")
    pointer(sp)
    sp.add_argument("--to", metavar="TG_ARN")
    sp.add_argument("--weights", metavar="TG=W,TG=W")

    sp = add("targets", cmd_targets, "deregister all or register N ip targets")
    sp.add_argument("--tg", required=True)
    g = sp.add_mutually_exclusive_group(required=True)
    g.add_argument("--deregister-all", action="store_true")
    g.add_argument("--register", type=int, metavar="N")

    sp = add("target-group", cmd_target_group, "create a target group like another (a replacement)")
    sp.add_argument("--like", required=True, metavar="TG_ARN")
    sp.add_argument("--name", required=True)
    sp.add_argument("--color", choices=COLORS)
    sp.add_argument("--register", type=int, default=2, metavar="N")

    sp = add("secret", cmd_secret, "create a Secrets Manager secret")
    sp.add_argument("--name", required=True)
    sp.add_argument("--value", required=True)
    sp.add_argument("--key", help="store {KEY: VALUE} as JSON")

    sp = add("delete-target-group", cmd_delete_target_group, "DeleteTargetGroup (ResourceInUse while forwarded to)")
    sp.add_argument("--tg", required=True)

    sp = add("alarm", cmd_alarm, "set a CloudWatch alarm's state")
    sp.add_argument("--name", required=True)
    sp.add_argument("--state", choices=("ALARM", "OK", "INSUFFICIENT_DATA"), required=True)

    sp = add("describe", cmd_describe, "print a rule's or listener's actions")
    pointer(sp)

    sp = add("alarms", cmd_alarms, "create N metric and M composite alarms (pagination tests)")
    sp.add_argument("--count", type=int, required=True, metavar="N", help="metric alarms")
    sp.add_argument("--composite", type=int, default=0, metavar="M", help="composite alarms")
    sp.add_argument("--prefix", default="bulk")
    sp.add_argument("--state", choices=("ALARM", "OK", "INSUFFICIENT_DATA"), default="OK")

    sp = add("health", cmd_health, "target health: states and reason codes")
    sp.add_argument("--tg", required=True)

    sp = add("fail-targets", cmd_fail_targets, "make targets fail their health checks (emulator only)")
    sp.add_argument("--tg", required=True)
    sp.add_argument("--target", metavar="ID", help="one target (default: every target of the group)")
    sp.add_argument("--reason", help="default: the emulator's (Target.ResponseCodeMismatch, "
                    "Target.FailedHealthChecks for a TCP-checked group)")

    sp = add("recover-targets", cmd_recover_targets, "let failed targets pass their checks again")
    sp.add_argument("--tg", required=True)
    sp.add_argument("--target", metavar="ID")

    sp = add("fail-rollout", cmd_fail_rollout, "make a service's current ECS rollout FAILED (emulator only)")
    sp.add_argument("--cluster", required=True)
    sp.add_argument("--service", required=True)
    sp.add_argument("--reason")
    return p


def main(argv=None):
    a = parser().parse_args(argv)
    if a.cmd == "create" and a.pointer is None:
        a.pointer = "listener" if a.nlb else "rule"
    try:
        out = a.fn(clients(a.endpoint), a)
    except (ScaffoldError, ClientError, BotoCoreError) as e:
        if isinstance(e, ClientError):
            err = e.response.get("Error", {})
            e = "%s failed: %s: %s" % (e.operation_name, err.get("Code"), err.get("Message"))
        print("scaffold: error: %s: %s" % (a.cmd, e), file=sys.stderr)
        return 1
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
