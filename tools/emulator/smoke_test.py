"""Smoke test of the test tooling itself: tools/terraform and tools/emulator/emulator.py.

Run with the project venv: .venv/bin/python tools/emulator/smoke_test.py   (make test-tools)

Starts the emulator the way the Rust harness does (--port-file, wait for the file),
drives it with boto3 through the calls the provider and the simulated deploy tool
make, checks the moto behaviour the acceptance tests are designed around, the
request counters and every fault kind, then stops it with SIGTERM. Also runs
tools/terraform init/plan/apply on a terraform_data config. Prints
"N passed, N failed" and exits non-zero on any failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import boto3
import botocore.exceptions
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no tools/__pycache__ in the work tree
sys.path.insert(0, HERE)
from emulator import CborTimestamp, cbor_decode, cbor_encode  # noqa: E402
from emulator_process import EmulatorProcess  # noqa: E402
import smoke_test_aws  # noqa: E402
import smoke_test_nlb  # noqa: E402

passed = failed = 0


def check(name: str, cond: bool, detail: object = "") -> None:
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


class Emu(EmulatorProcess):
    def __init__(self, tmp: str):
        super().__init__(tmp, stdout=subprocess.PIPE)
        self.first_line = self.proc.stdout.readline().strip()


def error_code(fn) -> tuple[str | None, int | None, dict]:
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return (e.response["Error"].get("Code"), e.response["ResponseMetadata"].get("HTTPStatusCode"),
                e.response)
    return None, None, {}


CBOR_TYPES = {"string": str, "integer": int, "long": int, "double": float, "float": float,
              "boolean": bool, "timestamp": CborTimestamp, "blob": bytes, "list": list,
              "map": dict, "structure": dict}


def type_mismatches(value: object, shape, path: str = "$") -> list[str]:
    """Where a decoded CBOR value does not have the botocore shape's type."""
    want = CBOR_TYPES.get(shape.type_name)
    if want is not None and (not isinstance(value, want) or (want is int and isinstance(value, bool))):
        return [f"{path}: {shape.type_name} but {type(value).__name__}"]
    out: list[str] = []
    if shape.type_name == "structure":
        for key, item in value.items():
            if key in shape.members:
                out += type_mismatches(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            out += type_mismatches(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            out += type_mismatches(item, shape.value, f"{path}.{key}")
    return out


def scenario(emu: Emu) -> None:
    check("port printed on stdout", emu.first_line == str(emu.port), emu.first_line)
    check("health", emu.api("GET", "/_bluegreen/health")["status"] == "ok")
    print(f"     (emulator ready {emu.startup:.1f} s after start)")

    ec2, elb, ecs, cw = (emu.client(s) for s in ("ec2", "elbv2", "ecs", "cloudwatch"))

    # -- scaffolding, as Terraform's AWS provider would make it
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
                                 AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
               for i, az in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    lb = elb.create_load_balancer(Name="app", Subnets=subnets, SecurityGroups=[sg],
                                  Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = {c: elb.create_target_group(Name=f"app-{c}", Protocol="HTTP", Port=80, VpcId=vpc,
                                     TargetType="ip",
                                     Tags=[{"Key": "bluegreen:color", "Value": c}])
          ["TargetGroups"][0]["TargetGroupArn"] for c in ("blue", "green")}
    listener = elb.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response",
                         "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}],
    )["Listeners"][0]["ListenerArn"]
    forward = {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": tg["blue"], "Weight": 100},
                         {"TargetGroupArn": tg["green"], "Weight": 0}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300}}}
    rule = elb.create_rule(ListenerArn=listener, Priority=10,
                           Conditions=[{"Field": "path-pattern",
                                        "PathPatternConfig": {"Values": ["/app/*"]}}],
                           Actions=[forward], Tags=[{"Key": "team", "Value": "a"}])["Rules"][0]["RuleArn"]
    got = elb.describe_rules(RuleArns=[rule])["Rules"][0]
    fwd = got["Actions"][0]["ForwardConfig"]
    check("weighted forward round-trips (weight 0 kept, stickiness kept)",
          sorted((t["TargetGroupArn"], t["Weight"]) for t in fwd["TargetGroups"])
          == sorted([(tg["blue"], 100), (tg["green"], 0)])
          and fwd["TargetGroupStickinessConfig"] == {"Enabled": True, "DurationSeconds": 300}, fwd)

    # modify_rule with Actions only: conditions/priority must survive
    switched = {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": tg["blue"], "Weight": 0},
                         {"TargetGroupArn": tg["green"], "Weight": 100}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300}}}
    elb.modify_rule(RuleArn=rule, Actions=[switched])
    got = elb.describe_rules(RuleArns=[rule])["Rules"][0]
    check("modify_rule(Actions) keeps conditions and priority",
          got["Priority"] == "10" and got["Conditions"][0]["Field"] == "path-pattern", got)
    check("modify_rule(Actions) writes the new weights",
          {t["TargetGroupArn"]: t["Weight"] for t in got["Actions"][0]["ForwardConfig"]["TargetGroups"]}
          == {tg["blue"]: 0, tg["green"]: 100}, got["Actions"])
    # modify_rule with Conditions only: does moto keep the actions?
    elb.modify_rule(RuleArn=rule, Conditions=[{"Field": "path-pattern",
                                               "PathPatternConfig": {"Values": ["/app/*", "/v2/*"]}}])
    got = elb.describe_rules(RuleArns=[rule])["Rules"][0]
    check("modify_rule(Conditions) keeps the actions",
          len(got["Actions"]) == 1 and got["Actions"][0]["Type"] == "forward", got["Actions"])
    tags = elb.describe_tags(ResourceArns=[rule])["TagDescriptions"][0]["Tags"]
    check("rule tags survive modify_rule", {"Key": "team", "Value": "a"} in tags, tags)
    # Nonexistent target group: rules reject it, listeners (moto quirk) accept it
    bogus = tg["blue"].replace("app-blue", "nope")
    code, _, _ = error_code(lambda: elb.modify_rule(RuleArn=rule, Actions=[
        {"Type": "forward", "TargetGroupArn": bogus}]))
    check("modify_rule rejects an unknown target group", code is not None, code)

    # -- targets and health
    elb.register_targets(TargetGroupArn=tg["blue"], Targets=[{"Id": "10.0.1.10", "Port": 80},
                                                             {"Id": "10.0.1.11", "Port": 80}])
    health = elb.describe_target_health(TargetGroupArn=tg["blue"])["TargetHealthDescriptions"]
    check("registered targets start initial (healthy comes later: smoke_test_aws.py)",
          [h["TargetHealth"]["State"] for h in health] == ["initial", "initial"], health)
    health = elb.describe_target_health(TargetGroupArn=tg["green"])["TargetHealthDescriptions"]
    check("target group without targets reports no targets", health == [], health)

    # -- ECS, as the deploy tool would leave it
    ecs.create_cluster(clusterName="prod")
    td = ecs.register_task_definition(
        family="app", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{"name": "app", "image": "app:1", "essential": True,
                                             "portMappings": [{"containerPort": 80}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    svc = ecs.create_service(
        cluster="prod", serviceName="app-prod-v001", taskDefinition=td, desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
        loadBalancers=[{"targetGroupArn": tg["blue"], "containerName": "app", "containerPort": 80}],
    )["service"]
    check("create_service with loadBalancers", svc["loadBalancers"][0]["targetGroupArn"] == tg["blue"])
    desc = ecs.describe_services(cluster="prod", services=["app-prod-v001", "missing"])
    s = desc["services"][0]
    check("a new service is rolling out (runningCount from the rollout model)",
          s["deployments"][0]["rolloutState"] == "IN_PROGRESS" and s["runningCount"] < 2, s["deployments"])
    check("describe_services reports MISSING", desc["failures"][0]["reason"] == "MISSING", desc["failures"])
    print(f"     (deployments: {[(d['status'], d.get('rolloutState')) for d in s['deployments']]})")

    # -- counters
    counts = emu.api("GET", "/_bluegreen/requests")
    by = counts["by_action"]
    check("counts query-protocol actions (ELBv2)", by.get("DescribeRules") == 3 and by.get("ModifyRule") == 3, by)
    check("counts JSON-protocol actions (ECS)", by.get("DescribeServices") == 1 and by.get("CreateService") == 1, by)
    check("counts EC2 actions", by.get("CreateSubnet") == 2, by)
    check("total is the sum", counts["total"] == sum(by.values()), counts)
    check("by_service_action", counts["by_service_action"].get("elasticloadbalancing:DescribeRules") == 3
          and counts["by_service_action"].get("ecs:DescribeServices") == 1, counts["by_service_action"])
    emu.api("POST", "/_bluegreen/requests/reset")
    check("reset zeroes the counters", emu.api("GET", "/_bluegreen/requests")["total"] == 0)

    # -- faults
    emu.api("POST", "/_bluegreen/faults", {"action": "DescribeRules", "count": 2, "kind": "throttle"})
    code, status, resp = error_code(lambda: elb.describe_rules(RuleArns=[rule]))
    check("query throttle -> 400 Throttling", (code, status) == ("Throttling", 400), (code, status))
    check("query throttle message", resp.get("Error", {}).get("Message") == "Rate exceeded"
          and resp.get("Error", {}).get("Type") == "Sender", resp.get("Error"))
    retrying = emu.client("elbv2", retries=3)
    t0 = time.monotonic()
    retrying.describe_rules(RuleArns=[rule])
    check("client retries through the second throttle", True)
    print(f"     (retry took {time.monotonic() - t0:.2f} s)")
    check("fault used up", emu.api("GET", "/_bluegreen/faults")["faults"] == [])
    by = emu.api("GET", "/_bluegreen/requests?calls=1")
    check("throttled calls are counted", by["by_action"].get("DescribeRules") == 3
          and by["faults_injected"].get("DescribeRules:throttle") == 2, by)
    check("call log has statuses", [c["status"] for c in by["calls"]] == [400, 400, 200], by["calls"])

    emu.api("POST", "/_bluegreen/faults", {"action": "DescribeServices", "kind": "throttle"})
    code, status, resp = error_code(lambda: ecs.describe_services(cluster="prod", services=["app-prod-v001"]))
    hdrs = resp.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    check("JSON throttle -> 400 ThrottlingException", (code, status) == ("ThrottlingException", 400), code)
    check("JSON throttle header", hdrs.get("x-amzn-errortype") == "ThrottlingException", hdrs)

    for kind, want in (("500", ("InternalFailure", 500)), ("503", ("ServiceUnavailable", 503))):
        emu.api("POST", "/_bluegreen/faults", {"action": "ModifyRule", "kind": kind})
        code, status, _ = error_code(lambda: elb.modify_rule(RuleArn=rule, Actions=[forward]))
        check(f"query {kind}", (code, status) == want, (code, status))
        emu.api("POST", "/_bluegreen/faults", {"action": "DescribeClusters", "kind": kind})
        code, status, _ = error_code(lambda: ecs.describe_clusters(clusters=["prod"]))
        check(f"JSON {kind}", status == int(kind), (code, status))
    got = elb.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    check("failed ModifyRule wrote nothing", {t["TargetGroupArn"]: t["Weight"] for t in got}
          == {tg["blue"]: 0, tg["green"]: 100}, got)

    emu.api("POST", "/_bluegreen/faults", {"action": "DescribeTargetHealth", "kind": "slow", "delay_seconds": 1})
    t0 = time.monotonic()
    elb.describe_target_health(TargetGroupArn=tg["blue"])
    check("slow delays then answers", 0.9 < time.monotonic() - t0 < 5, time.monotonic() - t0)

    emu.api("POST", "/_bluegreen/faults", {"action": "DescribeListeners", "kind": "drop"})
    try:
        elb.describe_listeners(ListenerArns=[listener])
        check("drop closes the connection", False, "got an answer")
    except botocore.exceptions.EndpointConnectionError as e:
        check("drop closes the connection", False, repr(e))
    except (botocore.exceptions.ConnectionClosedError, botocore.exceptions.HTTPClientError) as e:
        check("drop closes the connection", True)
        print(f"     (boto3 saw: {type(e).__name__}: {e})")

    # drop after moto carried out the write: the write happened, the client never knew
    emu.api("POST", "/_bluegreen/faults", {"action": "ModifyRule", "kind": "drop", "after": True})
    try:
        elb.modify_rule(RuleArn=rule, Actions=[forward])
        check("drop after: no answer", False)
    except (botocore.exceptions.ConnectionClosedError, botocore.exceptions.HTTPClientError):
        check("drop after: no answer", True)
    got = elb.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    check("drop after: the write was applied", {t["TargetGroupArn"]: t["Weight"] for t in got}
          == {tg["blue"]: 100, tg["green"]: 0}, got)

    emu.api("POST", "/_bluegreen/faults", {"action": "*", "kind": "error", "status": 400,
                                           "code": "AccessDeniedException", "message": "no"})
    code, status, _ = error_code(lambda: ecs.list_clusters())
    check("custom error", (code, status) == ("AccessDeniedException", 400), (code, status))

    emu.api("POST", "/_bluegreen/faults", {"action": "*", "fraction": 0.5, "seed": 1, "kind": "503"})
    outcomes = [error_code(lambda: ecs.list_clusters())[1] for _ in range(40)]
    n = outcomes.count(503)
    check("fraction 0.5 fails about half", 8 <= n <= 32, n)
    emu.api("DELETE", "/_bluegreen/faults")
    check("DELETE clears faults", error_code(lambda: ecs.list_clusters())[0] is None)

    try:
        emu.api("POST", "/_bluegreen/faults", {"action": "X", "kind": "nope"})
        check("bad fault rejected", False)
    except urllib.error.HTTPError as e:
        check("bad fault rejected", e.code == 400, e.code)

    # -- CloudWatch: boto3 uses JSON 1.0; the Rust SDK uses Smithy RPC v2 CBOR
    cw.put_metric_alarm(AlarmName="app-5xx", MetricName="HTTPCode_Target_5XX_Count",
                        Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName="app-5xx", StateValue="ALARM", StateReason="test")
    check("boto3 describe_alarms", cw.describe_alarms(AlarmNames=["app-5xx"])["MetricAlarms"][0]["StateValue"]
          == "ALARM")
    req = urllib.request.Request(
        emu.url + "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
        data=cbor_encode({"AlarmNames": ["app-5xx"], "AlarmTypes": ["MetricAlarm"]}), method="POST",
        headers={"Content-Type": "application/cbor", "Accept": "application/cbor",
                 "smithy-protocol": "rpc-v2-cbor",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/monitoring/"
                                  "aws4_request, SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=10) as r:
        out = cbor_decode(r.read())
        hdr = r.headers.get("smithy-protocol")
    alarm = out["MetricAlarms"][0]
    check("CBOR DescribeAlarms through the adapter", alarm["AlarmName"] == "app-5xx"
          and alarm["StateValue"] == "ALARM" and hdr == "rpc-v2-cbor", out)
    check("CBOR timestamps are tag 1", isinstance(alarm["StateUpdatedTimestamp"], CborTimestamp),
          type(alarm["StateUpdatedTimestamp"]))
    model = cw.meta.service_model.operation_model("DescribeAlarms").output_shape
    problems = type_mismatches(out, model)
    check("CBOR output has the model's types (what the Rust SDK decodes)", not problems, problems)
    emu.api("POST", "/_bluegreen/faults", {"action": "DescribeAlarms", "kind": "throttle"})
    try:
        urllib.request.urlopen(req, timeout=10)
        check("CBOR throttle", False)
    except urllib.error.HTTPError as e:
        body = cbor_decode(e.read())
        check("CBOR throttle", e.code == 400 and body["__type"] == "ThrottlingException"
              and e.headers.get("x-amzn-query-error") == "Throttling;Sender", (e.code, body))

    emu.api("POST", "/_bluegreen/reset")
    check("reset wipes moto", ecs.list_clusters()["clusterArns"] == [])


def terraform(tmp: str) -> None:
    tf = os.path.join(os.path.dirname(HERE), "terraform")  # tools/terraform
    work = os.path.join(tmp, "tf")
    os.makedirs(work)
    with open(os.path.join(work, "main.tf"), "w") as f:
        f.write('resource "terraform_data" "a" {\n  input = var.v\n}\n'
                'variable "v" {\n  type    = string\n  default = "one"\n}\n')
    env = dict(os.environ, TF_CLI_CONFIG_FILE=os.path.join(tmp, "empty.tfrc"), TF_IN_AUTOMATION="1")
    open(env["TF_CLI_CONFIG_FILE"], "w").close()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([tf, *args], cwd=work, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)

    v = run("version")
    check("terraform version is v1.15.5", v.returncode == 0 and v.stdout.startswith("Terraform v1.15.5"), v)
    check("terraform fmt -check", run("fmt", "-check").returncode == 0)
    check("terraform init", run("init", "-input=false", "-no-color").returncode == 0)
    check("plan -detailed-exitcode = 2 before apply",
          run("plan", "-input=false", "-detailed-exitcode", "-no-color").returncode == 2)
    check("apply", run("apply", "-input=false", "-auto-approve", "-no-color").returncode == 0)
    check("plan -detailed-exitcode = 0 after apply",
          run("plan", "-input=false", "-detailed-exitcode", "-no-color").returncode == 0)
    bad = run("plan", "-input=false", "-no-color", "-var", "undeclared=1")
    check("errors exit 1 with the message on stderr", bad.returncode == 1 and "undeclared" in bad.stderr,
          bad)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bluegreen-smoke-") as tmp:
        try:
            terraform(tmp)
        except Exception:
            check("terraform launcher", False, traceback.format_exc())
        emu = None
        try:
            emu = Emu(tmp)
            try:
                scenario(emu)
            except Exception:
                check("emulator scenario", False, traceback.format_exc())
            try:
                smoke_test_aws.run(emu, check)  # the modelled AWS behaviours (tools/emulator/aws_*.py)
            except Exception:
                check("AWS behaviour models scenario", False, traceback.format_exc())
            try:
                smoke_test_nlb.run(emu, check)  # network load balancers (tools/emulator/aws_nlb.py)
            except Exception:
                check("NLB model scenario", False, traceback.format_exc())
        except Exception:
            check("emulator start", False, traceback.format_exc())
        finally:
            if emu is not None:
                emu.proc.send_signal(signal.SIGTERM)
                try:
                    rc = emu.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    emu.proc.kill()
                    rc = None
                check("emulator exits 0 on SIGTERM", rc == 0, rc)
                check("port file removed on exit", not os.path.exists(emu.port_file))
                if failed:
                    emu.log.flush()
                    print("---- emulator log (tail) ----")
                    print("".join(open(emu.log.name).readlines()[-40:]))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
