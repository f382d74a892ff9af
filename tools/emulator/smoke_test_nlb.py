"""Smoke test of the network load balancer model (tools/emulator/aws_nlb.py), run by
tools/emulator/smoke_test.py (make test-tools) after smoke_test_aws.py. Each check
cites the AWS source of the behaviour it holds the emulator to. Waits assume the
default time scale (0.01: 100 modelled seconds = 1 s).
"""

from __future__ import annotations

import time
import urllib.error
from typing import Any, Callable

import botocore.exceptions

Check = Callable[..., None]

BLOG = "AWS blog 'Network Load Balancers now support Weighted Target Groups'"
NLB_TGS = "ELB docs 'Target groups for your Network Load Balancers'"
NLB_LISTENERS = "ELB docs 'Listeners for your Network Load Balancers'"
ECS_NLB = "ECS docs nlb-resources-for-blue-green.html"


def _error(fn: Callable[[], Any]) -> tuple[str | None, str]:
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code"), e.response["Error"].get("Message", "")
    return None, ""


def forward(*weighted: tuple[str, int]) -> list[dict]:
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": tg, "Weight": w} for tg, w in weighted]}}]


def run(emu: Any, check: Check) -> None:
    ec2, elb = emu.client("ec2"), emu.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/24",
                                 AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
               for i, az in ((1, "a"), (2, "b"))]
    nlb = elb.create_load_balancer(Name="nlb-smoke", Subnets=subnets, Type="network")["LoadBalancers"][0]
    check("an NLB's ARN is loadbalancer/net/NAME/ID (ELB API Reference examples)",
          ":loadbalancer/net/nlb-smoke/" in nlb["LoadBalancerArn"], nlb["LoadBalancerArn"])
    found = elb.describe_load_balancers(LoadBalancerArns=[nlb["LoadBalancerArn"]])["LoadBalancers"]
    check("DescribeLoadBalancers finds it by that ARN, Type network",
          [b["Type"] for b in found] == ["network"], found)
    blue, green = (elb.create_target_group(Name=n, Protocol="TCP", Port=80, VpcId=vpc, TargetType="ip")
                   ["TargetGroups"][0]["TargetGroupArn"] for n in ("nlb-blue", "nlb-green"))
    http_tg = elb.create_target_group(Name="nlb-http", Protocol="HTTP", Port=80, VpcId=vpc,
                                      TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]

    listener = elb.create_listener(LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="TCP", Port=80,
                                   DefaultActions=forward((blue, 100), (green, 0)))["Listeners"][0]["ListenerArn"]
    check("a TCP listener of an NLB is listener/net/... and takes a weighted forward (" + BLOG + ")",
          ":listener/net/nlb-smoke/" in listener, listener)
    check("weights 0 and 999 are accepted on an NLB listener (" + BLOG + ": 0-999)",
          _error(lambda: elb.modify_listener(ListenerArn=listener,
                                             DefaultActions=forward((blue, 999), (green, 0))))[0] is None)
    code, msg = _error(lambda: elb.modify_listener(ListenerArn=listener,
                                                   DefaultActions=forward((blue, 1000), (green, 0))))
    check("a weight of 1000 is refused: ValidationError 'between 0 and 999, inclusive' (aws/aws-cdk#24805)",
          code == "ValidationError" and "between 0 and 999, inclusive" in msg, (code, msg))
    code, msg = _error(lambda: elb.modify_listener(ListenerArn=listener,
                                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": http_tg}]))
    check("an HTTP target group behind a TCP listener: IncompatibleProtocols "
          "(hashicorp/terraform-provider-aws#4955; " + NLB_TGS + ": TCP, TLS, UDP, TCP_UDP)",
          code == "IncompatibleProtocols" and http_tg in msg, (code, msg))
    code, msg = _error(lambda: elb.create_rule(ListenerArn=listener, Priority=5, Actions=forward((blue, 1)),
                                               Conditions=[{"Field": "path-pattern", "Values": ["/*"]}]))
    check("CreateRule on an NLB listener is refused (ELB API Reference, CreateRule: the listener must be "
          "an Application Load Balancer's)", code == "InvalidConfigurationRequest" and "network" in msg, (code, msg))
    default_rule = elb.describe_rules(ListenerArn=listener)["Rules"][0]["RuleArn"]
    code, _ = _error(lambda: elb.modify_rule(RuleArn=default_rule, Actions=forward((green, 1))))
    check("ModifyRule on an NLB listener's rule is refused too (no rules: the pointer is the listener)",
          code == "InvalidConfigurationRequest", code)

    code, _ = _error(lambda: elb.create_listener(LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="TCP_UDP", Port=53,
                                                 DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}]))
    check("a TCP_UDP listener forwarding to a TCP target group: IncompatibleProtocols (" + NLB_LISTENERS
          + ": a TCP_UDP listener's target groups must use TCP_UDP)", code == "IncompatibleProtocols", code)

    sg = ec2.create_security_group(GroupName="nlb-smoke-alb", Description="alb", VpcId=vpc)["GroupId"]
    alb = elb.create_load_balancer(Name="alb-smoke", Subnets=subnets, SecurityGroups=[sg],
                                   Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    check("an ALB keeps loadbalancer/app/", ":loadbalancer/app/" in alb, alb)
    code, _ = _error(lambda: elb.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80,
                                                 DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}]))
    check("a TCP target group behind an HTTP listener: IncompatibleProtocols", code == "IncompatibleProtocols", code)
    alb_listener = elb.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": http_tg}])["Listeners"][0]["ListenerArn"]
    code, _ = _error(lambda: elb.create_rule(ListenerArn=alb_listener, Priority=5,
                                             Actions=forward((http_tg, 1000)),
                                             Conditions=[{"Field": "path-pattern", "Values": ["/*"]}]))
    check("a weight of 1000 is refused on an ALB rule too (ELB API Reference, TargetGroupTuple: 0 to 999)",
          code == "ValidationError", code)

    target_health(emu, check, elb, listener, blue, green)
    data_plane(emu, check, elb, listener, blue, green)


def target_health(emu: Any, check: Check, elb: Any, listener: str, blue: str, green: str) -> None:
    """TCP-checked groups: the states of aws_target_health.py, TCP's failure reason."""
    elb.modify_listener(ListenerArn=listener, DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}])
    for tg in (blue, green):
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.7.1.10", "Port": 80}])

    def state(tg: str) -> tuple[str, str | None]:
        h = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]["TargetHealth"]
        return h["State"], h.get("Reason")

    check("an NLB target group nothing forwards to: unused / Target.NotInUse (" + NLB_TGS + ")",
          state(green) == ("unused", "Target.NotInUse"), state(green))
    check("a target registered behind the NLB listener starts initial", state(blue)[0] == "initial", state(blue))
    deadline = time.monotonic() + 5
    while state(blue)[0] != "healthy" and time.monotonic() < deadline:
        time.sleep(0.05)
    check("... and is healthy after HealthyThresholdCount x interval (TCP check, defaults 5 x 30 s)",
          state(blue) == ("healthy", None), state(blue))
    emu.api("POST", "/_bluegreen/targets/fail", {"target_group_arn": blue})
    check("a failed TCP check reports Target.FailedHealthChecks (no response code to mismatch)",
          state(blue) == ("unhealthy", "Target.FailedHealthChecks"), state(blue))
    emu.api("POST", "/_bluegreen/targets/recover", {"target_group_arn": blue})


def data_plane(emu: Any, check: Check, elb: Any, listener: str, blue: str, green: str) -> None:
    """The lag between the weights configured and the ones the data plane applies."""
    served = lambda: emu.api("GET", f"/_bluegreen/nlb/served?listener_arn={listener}")  # noqa: E731
    weights = lambda doc, key: {w["target_group_arn"]: w["weight"] for w in doc[key]}  # noqa: E731
    check("the default propagation delay is 60 modelled seconds",
          emu.api("GET", "/_bluegreen/nlb/propagation-delay")["aws_seconds"] == 60)
    set_to = emu.api("POST", "/_bluegreen/nlb/propagation-delay", {"aws_seconds": 100})
    check("the delay is settable (100 modelled s = 1 s real)", set_to["real_seconds"] == 1.0, set_to)
    elb.modify_listener(ListenerArn=listener, DefaultActions=forward((blue, 100), (green, 0)))
    time.sleep(1.1)
    check("once settled, served == configured", served()["settled"] is True, served())
    t0 = time.monotonic()
    elb.modify_listener(ListenerArn=listener, DefaultActions=forward((blue, 0), (green, 100)))
    configured = elb.describe_listeners(ListenerArns=[listener])["Listeners"][0]["DefaultActions"]
    check("DescribeListeners shows the new weights at once",
          {t["TargetGroupArn"]: t["Weight"] for t in configured[0]["ForwardConfig"]["TargetGroups"]}
          == {blue: 0, green: 100}, configured)
    now = served()
    check("right after ModifyListener the data plane still serves the old weights (" + ECS_NLB + ")",
          weights(now, "served") == {blue: 100, green: 0} and weights(now, "configured") == {blue: 0, green: 100}
          and now["settled"] is False and 0 < now["settles_in_aws_seconds"] <= 100, now)
    while not served()["settled"] and time.monotonic() - t0 < 5:
        time.sleep(0.02)
    waited = time.monotonic() - t0
    check("the data plane serves the new weights after the delay (1 s)",
          weights(served(), "served") == {blue: 0, green: 100} and 0.9 <= waited <= 1.6, round(waited, 2))
    try:
        emu.api("POST", "/_bluegreen/nlb/propagation-delay", {"aws_seconds": -1})
        bad = None
    except urllib.error.HTTPError as e:
        bad = e.code
    check("a negative delay is a 400", bad == 400, bad)
    try:
        emu.api("GET", "/_bluegreen/nlb/served?listener_arn=arn:aws:elasticloadbalancing:us-east-1:1:listener/app/x/1/2")
        bad = None
    except urllib.error.HTTPError as e:
        bad = e.code
    check("served of an ALB listener is a 400 (only an NLB lags)", bad == 400, bad)
    emu.api("POST", "/_bluegreen/reset")
    check("reset restores the default delay",
          emu.api("GET", "/_bluegreen/nlb/propagation-delay")["aws_seconds"] == 60)
