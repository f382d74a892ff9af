"""Smoke test of the emulator's AWS behaviour models (tools/emulator/aws_*.py), run by
tools/emulator/smoke_test.py (make test-tools) against the emulator it started, after its
own scenario (which ends with a reset). One or more checks per modelled behaviour:
target group attachment, ECS rejection, target health (initial -> healthy timing,
unused, draining then gone, fail / recover), ECS rollouts (IN_PROGRESS -> COMPLETED
with the replaced deployment ACTIVE while it drains, scaling, FAILED with a reason),
CloudWatch DescribeAlarms (composite only when asked, paging at MaxRecords), the
Dynatrace SLO API (tools/emulator/dynatrace_api.py: Api-Token auth, 401/404, scripted 429/5xx, the
from/to forms, the SLO's fields),
Lambda Invoke (tools/emulator/aws_lambda_invoke.py: scripted answers, recorded payloads, the
FunctionName spellings, function errors, 404 and bad payloads), and CodeDeploy ECS
deployment groups (tools/emulator/aws_codedeploy.py: the one-listener route, BatchGet,
deployment statuses).

All waits assume the default time scale (0.01: 30 modelled seconds = 0.3 s).
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Callable

import botocore.exceptions

Check = Callable[..., None]
SCALE = 0.01


def _error(fn: Callable[[], Any]) -> tuple[str | None, str]:
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"].get("Code"), e.response["Error"].get("Message", "")
    return None, ""


def _poll(fn: Callable[[], Any], until: Callable[[Any], bool], timeout: float) -> tuple[Any, float, list]:
    """Call fn every 50 ms until `until(value)`; returns (last value, seconds, all values)."""
    t0 = time.monotonic()
    seen = []
    while True:
        value = fn()
        seen.append(value)
        if until(value) or time.monotonic() - t0 > timeout:
            return value, time.monotonic() - t0, seen
        time.sleep(0.05)


def run(emu: Any, check: Check) -> None:
    health_doc = emu.api("GET", "/_bluegreen/health")
    check("time scale default 0.01 reported by /health", health_doc.get("time_scale") == SCALE, health_doc)
    if health_doc.get("time_scale") != SCALE:
        return
    ec2, elb, ecs, cw = (emu.client(s) for s in ("ec2", "elbv2", "ecs", "cloudwatch"))
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24",
                                 AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
               for i, az in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(GroupName="m", Description="m", VpcId=vpc)["GroupId"]
    lb = elb.create_load_balancer(Name="m", Subnets=subnets, SecurityGroups=[sg],
                                  Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    tg1, tg2 = (elb.create_target_group(Name=n, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
                ["TargetGroups"][0]["TargetGroupArn"] for n in ("m-one", "m-two"))

    attachment(emu, check, elb, ecs, lb, tg1, tg2, subnets, sg)
    target_health(emu, check, elb, lb, vpc)
    rollouts(emu, check, ecs, elb, lb, tg1, subnets, sg)
    alarms(emu, check, cw)
    dynatrace(emu, check)
    lambda_invoke(emu, check)
    code_deploy(emu, check, emu.client("codedeploy"), elb, lb, tg1, tg2)
    code_deploy_service(check, ecs, tg1, subnets, sg)
    bad_scale(check)


def lambda_invoke(emu: Any, check: Check) -> None:
    """Invoke as the Lambda API Reference documents it (see tools/emulator/aws_lambda_invoke.py)."""
    import json

    lam = emu.client("lambda")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:smoke-hook"
    code, message = _error(lambda: lam.invoke(FunctionName=arn, Payload=b"{}"))
    check("lambda: an unknown function answers ResourceNotFoundException", code == "ResourceNotFoundException"
          and "smoke-hook" in message, (code, message))
    emu.api("POST", "/_bluegreen/lambda/function", {"name": arn, "aliases": ["live"], "answers": [
        {"hookStatus": "IN_PROGRESS", "callBackDelay": 1, "hookDetails": {"n": 1}},
        {"hookStatus": "SUCCEEDED"}]})
    answers = []
    for name in (arn, "smoke-hook", "123456789012:function:smoke-hook", f"{arn}:live"):
        out = lam.invoke(FunctionName=name, Payload=json.dumps({"lifecycleStage": "POST_TEST_TRAFFIC_SHIFT",
                                                                "via": name}).encode())
        answers.append((out["StatusCode"], out.get("FunctionError"), json.loads(out["Payload"].read())))
    check("lambda: answers come in order, the last repeats, for every FunctionName spelling",
          [a[2].get("hookStatus") for a in answers] == ["IN_PROGRESS", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
          and all(a[0] == 200 and a[1] is None for a in answers), answers)
    check("lambda: IN_PROGRESS carries its callBackDelay and hookDetails as scripted",
          answers[0][2] == {"hookStatus": "IN_PROGRESS", "callBackDelay": 1, "hookDetails": {"n": 1}}, answers[0])
    # Lambda has no cross-region Invoke: a client in us-east-1 asking for an eu-west-1
    # ARN gets ResourceNotFoundException naming both regions (the AWS message users
    # report, e.g. alexcasalboni/aws-lambda-power-tuning#18), even for a function that
    # exists under that name here.
    far = arn.replace(":us-east-1:", ":eu-west-1:")
    code, message = _error(lambda: lam.invoke(FunctionName=far, Payload=b"{}"))
    check("lambda: a function ARN in another region answers ResourceNotFoundException, as Lambda does",
          code == "ResourceNotFoundException"
          and message == "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')", (code, message))
    code, _ = _error(lambda: lam.invoke(FunctionName=f"{arn}:nope", Payload=b"{}"))
    check("lambda: an unknown qualifier answers ResourceNotFoundException", code == "ResourceNotFoundException", code)
    code, _ = _error(lambda: lam.invoke(FunctionName=arn, Payload=b"not json"))
    check("lambda: a payload that is not JSON answers InvalidRequestContentException",
          code == "InvalidRequestContentException", code)
    seen = emu.api("GET", "/_bluegreen/lambda/invocations?name=smoke-hook")["invocations"]
    check("lambda: every invocation's payload is recorded, in order, with its qualifier",
          [i["payload"].get("via") for i in seen] == [arn, "smoke-hook", "123456789012:function:smoke-hook",
                                                     f"{arn}:live"]
          and seen[3]["qualifier"] == "live" and seen[0]["invocation_type"] == "RequestResponse", seen)
    emu.api("POST", "/_bluegreen/lambda/function", {"name": "smoke-throws", "answers": [
        {"function_error": "Unhandled", "errorMessage": "boom"}]})
    out = lam.invoke(FunctionName="smoke-throws", Payload=b"{}")
    body = json.loads(out["Payload"].read())
    check("lambda: a function that throws answers 200 with X-Amz-Function-Error and its errorMessage",
          out["StatusCode"] == 200 and out.get("FunctionError") == "Unhandled" and body.get("errorMessage") == "boom",
          (out.get("FunctionError"), body))
    out = lam.invoke(FunctionName="smoke-throws", InvocationType="DryRun", Payload=b"{}")
    check("lambda: DryRun answers 204 and runs nothing", out["StatusCode"] == 204
          and len(emu.api("GET", "/_bluegreen/lambda/invocations?name=smoke-throws")["invocations"]) == 1, out)
    counted = emu.api("GET", "/_bluegreen/requests")
    check("lambda: Invoke is counted with the AWS requests",
          counted.get("by_action", {}).get("Invoke", 0) >= 7, counted.get("by_action"))
    emu.api("POST", "/_bluegreen/lambda/reset")
    code, _ = _error(lambda: lam.invoke(FunctionName=arn, Payload=b"{}"))
    check("lambda: reset forgets the functions", code == "ResourceNotFoundException", code)


def dynatrace(emu: Any, check: Check) -> None:
    """GET /api/v2/slo/{id} as Dynatrace documents it (see tools/emulator/dynatrace_api.py)."""
    import json

    def get(path: str, auth: str | None) -> tuple[int, dict, dict]:
        req = urllib.request.Request(emu.url + path, method="GET")
        if auth is not None:
            req.add_header("Authorization", auth)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read()), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}"), dict(e.headers)

    emu.api("POST", "/_bluegreen/dynatrace/tokens", {"api_tokens": ["dt0c01.GOOD"]})
    emu.api("POST", "/_bluegreen/dynatrace/slo", {"id": "slo-1", "name": "checkout", "status": "FAILURE",
                                                   "evaluatedPercentage": 98.5, "target": 99.9, "warning": 99.95})
    path = "/api/v2/slo/slo-1?from=now-10m&to=now&timeFrame=GTF"
    code, body, _ = get(path, "Api-Token dt0c01.GOOD")
    check("dynatrace: an SLO answers name, status, evaluatedPercentage, target, errorBudget, error",
          code == 200 and body.get("name") == "checkout" and body.get("status") == "FAILURE"
          and body.get("evaluatedPercentage") == 98.5 and body.get("target") == 99.9
          and abs(body.get("errorBudget", 0) - (98.5 - 99.9)) < 1e-9 and body.get("error") == "NONE", body)
    check("dynatrace: timeFrame=GTF evaluates over from/to", body.get("timeframe") == "now-10m to now", body)
    for auth in (None, "Api-Token wrong", "Bearer dt0c01.GOOD", "dt0c01.GOOD"):
        code, body, _ = get(path, auth)
        check(f"dynatrace: Authorization {auth!r} answers 401", code == 401
              and body.get("error", {}).get("code") == 401, (code, body))
    code, body, _ = get("/api/v2/slo/nope", "Api-Token dt0c01.GOOD")
    check("dynatrace: an unknown SLO id answers 404", code == 404 and "nope" in body["error"]["message"], body)
    emu.api("POST", "/_bluegreen/dynatrace/throttle", {"count": 1, "retry_after": 3})
    code, body, headers = get(path, "Api-Token dt0c01.GOOD")
    check("dynatrace: a throttled read answers 429 with Retry-After", code == 429
          and headers.get("Retry-After") == "3", (code, headers))
    code, _, _ = get(path, "Api-Token dt0c01.GOOD")
    check("dynatrace: after the throttled reads, 200 again", code == 200, code)
    seen = emu.api("GET", "/_bluegreen/dynatrace/requests")["requests"]
    check("dynatrace: every request and its Authorization header are recorded",
          len(seen) == 8 and seen[0]["authorization"] == "Api-Token dt0c01.GOOD", seen)
    check("dynatrace: each request's status is recorded",
          [r["status"] for r in seen[-3:]] == [404, 429, 200], [r["status"] for r in seen])
    # Scripted transient answers: 429 with Retry-After, then a 503, then as usual.
    emu.api("POST", "/_bluegreen/dynatrace/faults", {"answers": [429, 503], "retry_after": 2})
    answers = [get(path, "Api-Token dt0c01.GOOD") for _ in range(3)]
    check("dynatrace: scripted faults answer 429 with Retry-After, then 503, then as usual",
          [a[0] for a in answers] == [429, 503, 200] and answers[0][2].get("Retry-After") == "2"
          and "Retry-After" not in answers[1][2] and answers[1][1]["error"]["code"] == 503,
          [(a[0], a[2].get("Retry-After")) for a in answers])
    emu.api("POST", "/_bluegreen/dynatrace/faults", {"answers": [0]})
    try:
        dropped = get(path, "Api-Token dt0c01.GOOD")[0]
    except (ConnectionError, urllib.error.URLError, http.client.HTTPException) as e:
        dropped = type(e).__name__
    check("dynatrace: a scripted 0 closes the connection with no answer, then as usual",
          not isinstance(dropped, int) and get(path, "Api-Token dt0c01.GOOD")[0] == 200, dropped)
    # from/to as Dynatrace takes them: epoch ms, ISO 8601, now-NU[/A]; anything else 400.
    code, body, _ = get("/api/v2/slo/slo-1?from=1700000000000&to=now&timeFrame=GTF", "Api-Token dt0c01.GOOD")
    last = emu.api("GET", "/_bluegreen/dynatrace/requests")["requests"][-1]
    check("dynatrace: an absolute from (epoch ms) is accepted and recorded as evaluated",
          code == 200 and last["from_ms"] == 1700000000000 and abs(last["to_ms"] - last["at_ms"]) < 5
          and body.get("timeframe") == "1700000000000 to now", (code, last, body))
    code, _, _ = get("/api/v2/slo/slo-1?from=now-2h/h&timeFrame=GTF", "Api-Token dt0c01.GOOD")
    last = emu.api("GET", "/_bluegreen/dynatrace/requests")["requests"][-1]
    check("dynatrace: now-2h/h is two hours back, aligned to the hour",
          code == 200 and last["from_ms"] % 3_600_000 == 0
          and 7_200_000 <= last["at_ms"] - last["from_ms"] < 10_800_000, last)
    code, _, _ = get("/api/v2/slo/slo-1?from=2023-11-14T22:13:20Z&timeFrame=GTF", "Api-Token dt0c01.GOOD")
    last = emu.api("GET", "/_bluegreen/dynatrace/requests")["requests"][-1]
    check("dynatrace: an ISO 8601 from is accepted", code == 200 and last["from_ms"] == 1700000000000, last)
    for bad in ("now-90s", "yesterday", "-5"):
        code, body, _ = get(f"/api/v2/slo/slo-1?from={bad}&timeFrame=GTF", "Api-Token dt0c01.GOOD")
        check(f"dynatrace: from={bad} answers 400", code == 400 and body["error"]["code"] == 400, (code, body))
    # The guardian through the AutomationEngine API (Bearer platform token).
    def call(method: str, path: str, auth: str, body: dict | None = None) -> tuple[int, dict]:
        req = urllib.request.Request(emu.url + path, method=method, headers={"Authorization": auth},
                                     data=json.dumps(body).encode() if body is not None else None)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    emu.api("POST", "/_bluegreen/dynatrace/tokens", {"api_tokens": ["dt0c01.GOOD"], "platform_tokens": ["dt0s16.PLAT"]})
    emu.api("POST", "/_bluegreen/dynatrace/guardian", {"workflow_id": "wf-1", "validation_status": "fail",
                                                        "validation_summary": {"pass": 1, "fail": 1},
                                                        "running_polls": 1})
    base = "/platform/automation/v1"
    code, _ = call("POST", f"{base}/workflows/wf-1/run", "Api-Token dt0c01.GOOD", {"input": {}})
    check("dynatrace: the platform API refuses an API token (401)", code == 401, code)
    code, _ = call("POST", f"{base}/workflows/nope/run", "Bearer dt0s16.PLAT", {"input": {}})
    check("dynatrace: an unknown workflow answers 404", code == 404, code)
    emu.api("POST", "/_bluegreen/dynatrace/faults", {"api": "automation", "answers": [429, 502]})
    codes = [call("POST", f"{base}/workflows/wf-1/run", "Bearer dt0s16.PLAT", {"input": {}})[0] for _ in range(2)]
    check("dynatrace: scripted faults of the workflow API answer 429, then 502", codes == [429, 502], codes)
    code, run = call("POST", f"{base}/workflows/wf-1/run", "Bearer dt0s16.PLAT", {"input": {}})
    check("dynatrace: a workflow run answers 201 with a RUNNING execution", code == 201
          and run.get("state") == "RUNNING" and run.get("workflow") == "wf-1", (code, run))
    states = [call("GET", f"{base}/executions/{run['id']}", "Bearer dt0s16.PLAT")[1]["state"] for _ in range(2)]
    check("dynatrace: the execution is RUNNING, then SUCCESS", states == ["RUNNING", "SUCCESS"], states)
    code, tasks = call("GET", f"{base}/executions/{run['id']}/tasks", "Bearer dt0s16.PLAT")
    name = next(iter(tasks), "")
    code, result = call("GET", f"{base}/executions/{run['id']}/tasks/{name}/result", "Bearer dt0s16.PLAT")
    check("dynatrace: the task result is the guardian's validation_status and validation_summary",
          code == 200 and result.get("validation_status") == "fail"
          and result.get("validation_summary") == {"pass": 1, "fail": 1}, (code, result))
    emu.api("POST", "/_bluegreen/dynatrace/reset", {})


def lbs_of(elb: Any, tg: str) -> list[str]:
    return elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0].get("LoadBalancerArns", [])


def attachment(emu: Any, check: Check, elb: Any, ecs: Any, lb: str, tg1: str, tg2: str,
               subnets: list[str], sg: str) -> None:
    fixed = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}
    check("new target group: LoadBalancerArns empty", lbs_of(elb, tg1) == [] and lbs_of(elb, tg2) == [])
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg1}])["Listeners"][0]["ListenerArn"]
    check("CreateListener (scalar forward) attaches", lbs_of(elb, tg1) == [lb] and lbs_of(elb, tg2) == [],
          (lbs_of(elb, tg1), lbs_of(elb, tg2)))
    both = {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": tg1, "Weight": 100}, {"TargetGroupArn": tg2, "Weight": 0}]}}
    rule = elb.create_rule(ListenerArn=listener, Priority=5, Actions=[both], Conditions=[
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/m/*"]}}])["Rules"][0]["RuleArn"]
    check("CreateRule (ForwardConfig, weight 0) attaches", lbs_of(elb, tg2) == [lb], lbs_of(elb, tg2))
    elb.modify_rule(RuleArn=rule, Actions=[{"Type": "forward", "TargetGroupArn": tg1}])
    check("ModifyRule dropping a group detaches it", lbs_of(elb, tg2) == [] and lbs_of(elb, tg1) == [lb],
          (lbs_of(elb, tg1), lbs_of(elb, tg2)))
    elb.modify_listener(ListenerArn=listener, DefaultActions=[fixed])
    check("ModifyListener: still attached through the rule", lbs_of(elb, tg1) == [lb], lbs_of(elb, tg1))
    elb.delete_rule(RuleArn=rule)
    check("DeleteRule detaches", lbs_of(elb, tg1) == [], lbs_of(elb, tg1))
    elb.modify_listener(ListenerArn=listener, DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": tg2, "Weight": 0}]}}])
    check("ModifyListener (weight-0 forward) attaches", lbs_of(elb, tg2) == [lb], lbs_of(elb, tg2))
    elb.delete_listener(ListenerArn=listener)
    check("DeleteListener detaches", lbs_of(elb, tg2) == [], lbs_of(elb, tg2))

    # ECS: a load-balanced service needs an associated load balancer
    ecs.create_cluster(clusterName="m")
    td = taskdef(ecs, "m:1")
    net = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}

    def create(name: str, tg: str) -> dict:
        return ecs.create_service(cluster="m", serviceName=name, taskDefinition=td, desiredCount=1,
                                  launchType="FARGATE", networkConfiguration=net, loadBalancers=[
                                      {"targetGroupArn": tg, "containerName": "app", "containerPort": 80}])

    code, msg = _error(lambda: create("m-detached", tg1))
    check("ECS CreateService on a detached target group: InvalidParameterException",
          code == "InvalidParameterException"
          and msg == f"The target group with targetGroupArn {tg1} does not have an associated load balancer.",
          (code, msg))
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg1}])["Listeners"][0]["ListenerArn"]
    code, _ = _error(lambda: create("m-attached", tg1))
    check("ECS CreateService on an attached target group is accepted", code is None, code)
    code, msg = _error(lambda: ecs.update_service(cluster="m", service="m-attached", loadBalancers=[
        {"targetGroupArn": tg2, "containerName": "app", "containerPort": 80}]))
    check("ECS UpdateService to a detached target group: InvalidParameterException",
          code == "InvalidParameterException" and tg2 in msg, (code, msg))
    code, _ = _error(lambda: ecs.update_service(cluster="m", service="m-attached", desiredCount=2))
    check("ECS UpdateService without loadBalancers is accepted", code is None, code)
    ecs.update_service(cluster="m", service="m-attached", desiredCount=0)
    ecs.delete_service(cluster="m", service="m-attached")


def taskdef(ecs: Any, image: str) -> str:
    return ecs.register_task_definition(
        family="m", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": image, "essential": True,
                               "portMappings": [{"containerPort": 80}]}])["taskDefinition"]["taskDefinitionArn"]


def states(elb: Any, tg: str) -> dict[str, tuple[str, str | None]]:
    out = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {h["Target"]["Id"]: (h["TargetHealth"]["State"], h["TargetHealth"].get("Reason")) for h in out}


def target_health(emu: Any, check: Check, elb: Any, lb: str, vpc: str) -> None:
    tg = elb.create_target_group(Name="m-health", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                 HealthCheckIntervalSeconds=30, HealthyThresholdCount=5)[
        "TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "100"}])
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.1.1.10", "Port": 80},
                                                    {"Id": "10.1.1.11", "Port": 80}])
    got = states(elb, tg)
    check("targets of a group nothing forwards to: unused / Target.NotInUse",
          set(got.values()) == {("unused", "Target.NotInUse")}, got)
    time.sleep(0.3)
    check("unused targets are not health-checked (still unused)",
          set(states(elb, tg).values()) == {("unused", "Target.NotInUse")})

    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=81, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
    t0 = time.monotonic()
    got = states(elb, tg)
    check("attaching starts health checks: initial", {s for s, _ in got.values()} == {"initial"}, got)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.1.1.12", "Port": 80}])
    check("target registered in a group in use: initial / Elb.RegistrationInProgress",
          states(elb, tg)["10.1.1.12"] == ("initial", "Elb.RegistrationInProgress"), states(elb, tg))
    time.sleep(max(0.0, 1.1 - (time.monotonic() - t0)))
    got = states(elb, tg)
    check("still initial after 1.1 s (< 5 checks x 30 s x 0.01)",
          got["10.1.1.10"][0] == "initial" and got["10.1.1.11"][0] == "initial", got)
    last, _, _ = _poll(lambda: states(elb, tg), lambda s: s["10.1.1.10"][0] == "healthy", 5)
    waited = time.monotonic() - t0
    check("initial -> healthy after HealthyThresholdCount x interval (1.5 s)",
          last["10.1.1.10"] == ("healthy", None) and 1.4 <= waited <= 2.5, (last, round(waited, 2)))

    emu.api("POST", "/_bluegreen/targets/fail", {"target_group_arn": tg, "target_id": "10.1.1.10"})
    got = states(elb, tg)
    check("fail one target: unhealthy / Target.ResponseCodeMismatch, the others not",
          got["10.1.1.10"] == ("unhealthy", "Target.ResponseCodeMismatch") and got["10.1.1.11"][0] == "healthy",
          got)
    emu.api("POST", "/_bluegreen/targets/fail", {"target_group_arn": tg, "reason": "Target.Timeout"})
    got = states(elb, tg)
    check("fail all targets of a group with a reason",
          all(s == "unhealthy" and r in ("Target.Timeout", "Target.ResponseCodeMismatch")
              for s, r in got.values()) and got["10.1.1.11"] == ("unhealthy", "Target.Timeout"), got)
    emu.api("POST", "/_bluegreen/targets/recover", {"target_group_arn": tg})
    t1 = time.monotonic()
    got = states(elb, tg)
    check("right after recover: still unhealthy (must pass the threshold again)",
          got["10.1.1.11"] == ("unhealthy", "Target.Timeout"), got)
    last, _, _ = _poll(lambda: states(elb, tg), lambda s: all(v[0] == "healthy" for v in s.values()), 5)
    waited = time.monotonic() - t1
    check("recovered targets healthy after the threshold (1.5 s)",
          all(v == ("healthy", None) for v in last.values()) and 1.4 <= waited <= 2.5, (last, round(waited, 2)))
    report = emu.api("GET", f"/_bluegreen/targets?target_group_arn={tg}")
    check("GET /_bluegreen/targets reports the model", report["in_use"] is True
          and report["healthy_after_aws_seconds"] == 150 and len(report["targets"]) == 3, report)

    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "10.1.1.12", "Port": 80}])
    t2 = time.monotonic()
    got = states(elb, tg)
    check("deregistered target: draining / Target.DeregistrationInProgress",
          got.get("10.1.1.12") == ("draining", "Target.DeregistrationInProgress"), got)
    last, _, _ = _poll(lambda: states(elb, tg), lambda s: "10.1.1.12" not in s, 5)
    waited = time.monotonic() - t2
    check("draining for deregistration_delay (100 s = 1 s), then gone",
          "10.1.1.12" not in last and 0.9 <= waited <= 2.0, (last, round(waited, 2)))

    elb.delete_listener(ListenerArn=listener)
    got = states(elb, tg)
    check("detached again: unused", set(got.values()) == {("unused", "Target.NotInUse")}, got)
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=81, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg}])
    got = states(elb, tg)
    check("re-attached: initial again (Elb.InitialHealthChecking)",
          set(got.values()) == {("initial", "Elb.InitialHealthChecking")}, got)


def service(ecs: Any, name: str) -> dict:
    return ecs.describe_services(cluster="m", services=[name])["services"][0]


def summary(svc: dict) -> tuple:
    return (svc["runningCount"], svc["desiredCount"],
            tuple((d["status"], d["rolloutState"], d["runningCount"]) for d in svc["deployments"]))


def steady(svc: dict) -> bool:
    deps = svc["deployments"]
    return (len(deps) == 1 and deps[0]["rolloutState"] == "COMPLETED"
            and svc["runningCount"] == svc["desiredCount"])


def rollouts(emu: Any, check: Check, ecs: Any, elb: Any, lb: str, tg: str, subnets: list[str], sg: str) -> None:
    td1 = taskdef(ecs, "m:1")
    net = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}
    t0 = time.monotonic()
    svc = ecs.create_service(cluster="m", serviceName="m-roll", taskDefinition=td1, desiredCount=2,
                             launchType="FARGATE", networkConfiguration=net, loadBalancers=[
                                 {"targetGroupArn": tg, "containerName": "app", "containerPort": 80}])["service"]
    d = svc["deployments"]
    check("new service: one PRIMARY deployment IN_PROGRESS, runningCount 0",
          len(d) == 1 and d[0]["status"] == "PRIMARY" and d[0]["rolloutState"] == "IN_PROGRESS"
          and svc["runningCount"] == 0 and svc["pendingCount"] == 2, summary(svc))
    last, _, seen = _poll(lambda: service(ecs, "m-roll"), steady, 5)
    waited = time.monotonic() - t0
    check("runningCount climbs 0 -> 1 -> 2 (one task per 30 s)",
          [s["runningCount"] for s in seen if 0 < s["runningCount"] < 2] != [], [summary(s) for s in seen][:3])
    check("new service COMPLETED and steady after ~0.6 s",
          steady(last) and last["runningCount"] == 2 and 0.5 <= waited <= 1.5, (summary(last), round(waited, 2)))

    revs = last.get("currentServiceRevisions", [])
    check("a steady service lists one current service revision with its task counts",
          len(revs) == 1 and revs[0]["arn"].startswith("arn:aws:ecs:us-east-1:")
          and ":service-revision/m/m-roll/" in revs[0]["arn"] and revs[0]["runningTaskCount"] == 2, revs)
    td2 = taskdef(ecs, "m:2")
    t1 = time.monotonic()
    svc = ecs.update_service(cluster="m", service="m-roll", taskDefinition=td2)["service"]
    d = svc["deployments"]
    revs2 = [r["arn"] for r in svc.get("currentServiceRevisions", [])]
    check("a new deployment is a new revision, listed beside the old one while it drains",
          len(revs2) == 2 and revs2[1] == revs[0]["arn"] and revs2[0] != revs[0]["arn"], revs2)
    check("new task definition: PRIMARY IN_PROGRESS + the old one ACTIVE with its tasks",
          [x["status"] for x in d] == ["PRIMARY", "ACTIVE"] and d[0]["rolloutState"] == "IN_PROGRESS"
          and d[0]["taskDefinition"] == td2 and d[1]["taskDefinition"] == td1 and d[1]["runningCount"] == 2,
          summary(svc))
    last, _, seen = _poll(lambda: service(ecs, "m-roll"), steady, 5)
    waited = time.monotonic() - t1
    active_counts = [x["runningCount"] for s in seen for x in s["deployments"] if x["status"] == "ACTIVE"]
    check("the ACTIVE deployment drains (its runningCount falls) before it disappears",
          2 in active_counts and 1 in active_counts, active_counts)
    check("never COMPLETED while an ACTIVE deployment remains",
          all(s["deployments"][0]["rolloutState"] == "IN_PROGRESS" for s in seen if len(s["deployments"]) > 1))
    check("rolling update COMPLETED after ~0.9 s, one deployment, on the new task definition",
          steady(last) and last["taskDefinition"] == td2 and last["deployments"][0]["taskDefinition"] == td2
          and 0.8 <= waited <= 2.0, (summary(last), round(waited, 2)))

    primary_id = last["deployments"][0]["id"]
    ecs.update_service(cluster="m", service="m-roll", desiredCount=3)
    svc = service(ecs, "m-roll")
    # A scale action starts no deployment and leaves rolloutState as it was; desired
    # changes at once and running follows (ECS API Reference: Deployment.rolloutState,
    # Service.pendingCount; service auto scaling only sets desiredCount).
    check("scale action: same PRIMARY still COMPLETED, desired 3 at once, running 2, pending 1",
          len(svc["deployments"]) == 1 and svc["deployments"][0]["id"] == primary_id
          and svc["deployments"][0]["rolloutState"] == "COMPLETED"
          and svc["runningCount"] == 2 and svc["desiredCount"] == 3 and svc["pendingCount"] == 1, summary(svc))
    last, _, _ = _poll(lambda: service(ecs, "m-roll"), steady, 5)
    check("scaled out: COMPLETED with running 3", steady(last) and last["runningCount"] == 3, summary(last))

    ecs.update_service(cluster="m", service="m-roll", taskDefinition=taskdef(ecs, "m:3"))
    out = emu.api("POST", "/_bluegreen/ecs/fail-rollout",
                  {"cluster": "m", "service": "m-roll", "reason": "tasks failed to start"})
    check("fail-rollout answers with the FAILED deployment",
          out["deployments"][0]["rolloutState"] == "FAILED", out)
    time.sleep(1.2)
    svc = service(ecs, "m-roll")
    d = svc["deployments"]
    check("FAILED with the reason; it stays FAILED and the old deployment keeps serving",
          d[0]["status"] == "PRIMARY" and d[0]["rolloutState"] == "FAILED"
          and d[0]["rolloutStateReason"] == "tasks failed to start"
          and len(d) == 2 and d[1]["status"] == "ACTIVE" and d[1]["runningCount"] == 3, summary(svc))
    ecs.update_service(cluster="m", service="m-roll", taskDefinition=td2)
    last, _, _ = _poll(lambda: service(ecs, "m-roll"), steady, 5)
    check("a new deployment after a FAILED one completes", steady(last) and last["taskDefinition"] == td2,
          summary(last))
    native_deployment(emu, check, ecs)


def native_deployment(emu: Any, check: Check, ecs: Any) -> None:
    """A native blue/green deployment held open, as DescribeServices shows one: the green
    revision PRIMARY IN_PROGRESS and blue ACTIVE with all its tasks through the bake
    (ECS API Reference, Deployment.status and ServiceDeployment.lifecycleStage BAKE_TIME,
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html);
    once finished, one PRIMARY COMPLETED. BLUE_GREEN is kept as UpdateService set it
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html)."""
    ecs.update_service(cluster="m", service="m-roll", deploymentConfiguration={
        "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5})
    check("the service reports deploymentConfiguration.strategy BLUE_GREEN",
          service(ecs, "m-roll")["deploymentConfiguration"].get("strategy") == "BLUE_GREEN")
    running = service(ecs, "m-roll")["runningCount"]
    emu.api("POST", "/_bluegreen/ecs/native-deployment", {"cluster": "m", "service": "m-roll", "state": "IN_PROGRESS"})
    time.sleep(1.5)  # well past the time a rolling update would have drained blue
    d = service(ecs, "m-roll")["deployments"]
    check("during it: PRIMARY IN_PROGRESS and blue ACTIVE with all its tasks, however long it takes",
          [x["status"] for x in d] == ["PRIMARY", "ACTIVE"] and d[0]["rolloutState"] == "IN_PROGRESS"
          and d[1]["runningCount"] == running, d)
    emu.api("POST", "/_bluegreen/ecs/native-deployment", {"cluster": "m", "service": "m-roll", "state": "COMPLETED"})
    svc = service(ecs, "m-roll")
    check("finished: one PRIMARY COMPLETED, steady", steady(svc) and len(svc["deployments"]) == 1, summary(svc))


def code_deploy(emu: Any, check: Check, cd: Any, elb: Any, lb: str, tg1: str, tg2: str) -> None:
    """CodeDeploy ECS deployment groups (tools/emulator/aws_codedeploy.py): an ECS group's
    production traffic route holds exactly one listener ARN and its pair two target groups
    (CreateDeploymentGroup; the message users quote: "Production traffic route must have
    exactly one listener Arn"); BatchGetDeploymentGroups answers the groups that exist and
    names the others in errorMessage
    (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BatchGetDeploymentGroups.html);
    ListDeployments with includeOnlyStatuses sees a deployment while it is Created, Queued,
    InProgress, Ready or Baking, not once it Succeeded
    (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html)."""
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=81, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg1}])["Listeners"][0]["ListenerArn"]
    cd.create_application(applicationName="m-app", computePlatform="ECS")

    def group(name: str, listeners: list[str], tgs: tuple[str, ...] = ("m-one", "m-two")) -> Any:
        return lambda: cd.create_deployment_group(
            applicationName="m-app", deploymentGroupName=name, serviceRoleArn="arn:aws:iam::123456789012:role/cd",
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            ecsServices=[{"clusterName": "m", "serviceName": "m-roll"}],
            loadBalancerInfo={"targetGroupPairInfoList": [{
                "targetGroups": [{"name": n} for n in tgs], "prodTrafficRoute": {"listenerArns": listeners}}]})

    code, message = _error(group("two-listeners", [listener, listener]))
    check("an ECS group's production route with two listeners is refused",
          code == "InvalidLoadBalancerInfoException" and "exactly one listener Arn" in message, (code, message))
    code, _ = _error(group("one-group", [listener], ("m-one",)))
    check("an ECS group with one target group is refused", code == "InvalidTargetGroupPairException", code)
    group("m-dg", [listener])()
    got = cd.batch_get_deployment_groups(applicationName="m-app", deploymentGroupNames=["m-dg", "gone"])
    info = got["deploymentGroupsInfo"]
    pair = info[0]["loadBalancerInfo"]["targetGroupPairInfoList"][0] if info else {}
    check("BatchGetDeploymentGroups answers the group with its route and service, names the missing one",
          [g["deploymentGroupName"] for g in info] == ["m-dg"] and "gone" in got.get("errorMessage", "")
          and pair.get("prodTrafficRoute") == {"listenerArns": [listener]}
          and info[0]["ecsServices"] == [{"clusterName": "m", "serviceName": "m-roll"}], got)
    code, _ = _error(lambda: cd.batch_get_deployment_groups(applicationName="nope", deploymentGroupNames=["m-dg"]))
    check("BatchGetDeploymentGroups of an unknown application", code == "ApplicationDoesNotExistException", code)

    open_statuses = ["Created", "Queued", "InProgress", "Ready", "Baking"]

    def open_ones() -> list[str]:
        return cd.list_deployments(applicationName="m-app", deploymentGroupName="m-dg",
                                   includeOnlyStatuses=open_statuses)["deployments"]

    check("no deployment yet", open_ones() == [])
    for status in ("InProgress", "Ready", "Baking"):
        emu.api("POST", "/_bluegreen/codedeploy/deployment",
                {"application": "m-app", "deployment_group": "m-dg", "status": status})
        ids = open_ones()
        got_status = cd.get_deployment(deploymentId=ids[0])["deploymentInfo"]["status"] if ids else None
        check(f"a deployment {status} is listed as in progress", len(ids) == 1 and got_status == status, ids)
    emu.api("POST", "/_bluegreen/codedeploy/deployment",
            {"application": "m-app", "deployment_group": "m-dg", "status": "Succeeded"})
    check("a Succeeded deployment is not", open_ones() == [])


def code_deploy_service(check: Check, ecs: Any, tg: str, subnets: list[str], sg: str) -> None:
    """A service CodeDeploy deploys runs its original (blue) task set from its creation
    ("Service creation results in the creation of a (blue) task set registered with the
    specified target group",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/migrate-codedeploy-to-ecs-bluegreen.html)."""
    net = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}
    svc = ecs.create_service(cluster="m", serviceName="m-cd", taskDefinition=taskdef(ecs, "m:cd"), desiredCount=2,
                             launchType="FARGATE", networkConfiguration=net,
                             deploymentController={"type": "CODE_DEPLOY"}, loadBalancers=[
                                 {"targetGroupArn": tg, "containerName": "app", "containerPort": 80}])["service"]
    check("a CODE_DEPLOY service runs its desired count from its creation",
          svc["deploymentController"] == {"type": "CODE_DEPLOY"} and svc["runningCount"] == 2
          and service(ecs, "m-cd")["runningCount"] == 2, summary(svc))
    ecs.delete_service(cluster="m", service="m-cd", force=True)


def alarms(emu: Any, check: Check, cw: Any) -> None:
    for i in range(120):
        cw.put_metric_alarm(AlarmName=f"page-{i:03d}", Namespace="AWS/ApplicationELB", MetricName="X",
                            Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold")
    for i in range(5):
        cw.put_composite_alarm(AlarmName=f"page-comp-{i}", AlarmRule='ALARM("page-000")')
    cw.set_alarm_state(AlarmName="page-comp-0", StateValue="ALARM", StateReason="smoke")

    first = cw.describe_alarms()
    check("DescribeAlarms default: 50 metric alarms, no composite, a NextToken",
          len(first["MetricAlarms"]) == 50 and first["CompositeAlarms"] == [] and first.get("NextToken"),
          (len(first["MetricAlarms"]), len(first["CompositeAlarms"]), first.get("NextToken")))
    names, token, sizes = [], None, []
    while True:
        page = cw.describe_alarms(**({"NextToken": token} if token else {}))
        sizes.append(len(page["MetricAlarms"]))
        names += [a["AlarmName"] for a in page["MetricAlarms"]]
        token = page.get("NextToken")
        if not token or len(sizes) > 10:
            break
    check("NextToken pages 50, 50, 20 over 120 alarms, each once, in name order",
          sizes == [50, 50, 20] and names == [f"page-{i:03d}" for i in range(120)], sizes)
    page = cw.describe_alarms(MaxRecords=100, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    rest = cw.describe_alarms(MaxRecords=100, AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                              NextToken=page["NextToken"])
    check("MaxRecords=100 with both types: 100, then 25 with the composites, no token",
          len(page["MetricAlarms"]) + len(page["CompositeAlarms"]) == 100
          and len(rest["MetricAlarms"]) + len(rest["CompositeAlarms"]) == 25
          and len(rest["CompositeAlarms"]) == 5 and not rest.get("NextToken"),
          (len(page["MetricAlarms"]), len(rest["MetricAlarms"]), len(rest["CompositeAlarms"])))
    import boto3
    from botocore.config import Config

    raw = boto3.client("cloudwatch", endpoint_url=emu.url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing",
                       config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    for bad in (0, 101):
        code, _ = _error(lambda: raw.describe_alarms(MaxRecords=bad))
        check(f"MaxRecords={bad} is a ValidationError", code == "ValidationError", code)
    named = cw.describe_alarms(AlarmNames=["page-comp-0"])
    check("a composite alarm named without AlarmTypes is not returned",
          named["MetricAlarms"] == [] and named["CompositeAlarms"] == [], named)
    comp = cw.describe_alarms(AlarmNames=["page-comp-0"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    check("AlarmTypes=CompositeAlarm returns it, with its rule and state",
          len(comp) == 1 and comp[0]["AlarmRule"] == 'ALARM("page-000")' and comp[0]["StateValue"] == "ALARM",
          comp)
    only = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])
    check("AlarmTypes=CompositeAlarm alone: no metric alarms",
          only["MetricAlarms"] == [] and len(only["CompositeAlarms"]) == 5, only)

    # The provider's Rust SDK speaks CBOR: paging goes through the adapter too.
    from emulator import cbor_decode, cbor_encode

    req = urllib.request.Request(
        emu.url + "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
        data=cbor_encode({"MaxRecords": 10, "AlarmNamePrefix": "page-"}), method="POST",
        headers={"Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/monitoring/"
                                  "aws4_request, SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=10) as r:
        out = cbor_decode(r.read())
    check("CBOR DescribeAlarms pages too (MaxRecords 10 -> 10 + NextToken)",
          len(out.get("MetricAlarms", [])) == 10 and isinstance(out.get("NextToken"), str), out.keys())


def bad_scale(check: Check) -> None:
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, os.path.join(here, "emulator.py"), "--time-scale", "0"],
                         capture_output=True, text=True, timeout=30)
    check("--time-scale 0 is refused (exit 2)", out.returncode == 2 and "time scale" in out.stderr,
          (out.returncode, out.stderr[-200:]))


if __name__ == "__main__":
    print("run tools/emulator/smoke_test.py (make test-tools); it starts the emulator and runs this too")
    sys.exit(2)
