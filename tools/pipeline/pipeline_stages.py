"""The stages of examples/complete's Spinnaker pipeline, each run the way its executor
runs it, for tools/pipeline/run_pipeline.py. Spinnaker cannot run here; what each stage does to
AWS and to the run was read from Spinnaker 1.38's source (the same tags as
tools/checkers/check_spinnaker.py), in our words:

- expressions (orca ContextParameterProcessor, spelEvaluator v4): evaluated when the
  stage starts, against the trigger, parameters, execution and the outputs of the
  evaluateVariables stages before it. Only the SpEL this pipeline uses is understood
  (tools/checkers/check_spinnaker.py checks the SpEL itself); anything else fails the stage, as
  failOnFailedExpressions does.
- awsCodeBuild (orca-igor AwsCodeBuildStage, igor's CodeBuild client): a build of the
  project at the stage's sourceVersion, a fresh checkout, the buildspec's commands run by
  bash (one shell for all phases, as buildspec version 0.2 does), the stage's
  environmentVariables set; when it succeeds, the buildspec's env.exported-variables come
  back as buildInfo.exportedEnvironmentVariables.
- evaluateVariables / checkPreconditions / manualJudgment (orca-core, orca-echo).
- deploy, ECS (orca EcsServerGroupCreator + clouddriver-ecs CreateServerGroupAtomicOperation):
  next moniker sequence (EcsServerGroupNameResolver), task definition from the template
  artifact (expressions evaluated, the trigger image per containerMappings, SERVER_GROUP /
  CLOUD_STACK / CLOUD_DETAIL added, family = the cluster name), target group looked up by
  name, subnets by their immutable_metadata purpose, security groups by name, CreateService,
  a scalable target; then orca waits for the server group to be up, and highlander
  destroys the cluster's other server groups (DestroyServiceAtomicOperation: desired 0,
  DeleteService, DeregisterTaskDefinition).
- disableCluster (orca DisableClusterTask + clouddriver DisableServiceAtomicOperation):
  the cluster's enabled server groups, newest first, minus remainingEnabledServerGroups,
  each with autoscaling suspended and desired count 0.
ECS itself registers a service's running tasks with its target groups and deregisters
them when they stop: Ecs.reconcile does that for every service (moto does not).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "checkers"))
import check_spinnaker as cs  # noqa: E402

REGION = "us-east-1"


class StageFailed(Exception):
    def __init__(self, stage: str, message: str, log: str = ""):
        super().__init__(f"{stage}: {message}")
        self.stage, self.message, self.log = stage, message, log


class Attr(dict):
    """A map whose keys read as properties too (SpEL's a.b on a map)."""

    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError:
            raise NameError(name) from None
        return Attr(value) if isinstance(value, dict) else value


# --- SpEL, the subset this pipeline uses ---------------------------------------------

_EXPORTED = re.compile(cs.EXPORTED_READ.pattern + r"\s*\[\s*0\s*\]\s*\[\s*'value'\s*\]")
_INLINE_LIST_CONTAINS = re.compile(r"\{([^{}]*)\}\.contains\(([^()]*)\)")


def spel(expr: str, names: dict, run: "Run") -> Any:
    """One SpEL expression, translated to a Python expression over NAMES."""
    py = _EXPORTED.sub(lambda m: f"_exported({m.group(1)!r}, {m.group(2)!r})", expr)
    py = re.sub(r"#triggerResolvedArtifactByType\(", "_artifact_by_type(", py)
    py = re.sub(r"#toInt\(", "_to_int(", py)
    py = _INLINE_LIST_CONTAINS.sub(lambda m: f"(({m.group(2)}) in ({m.group(1)},))", py)
    py = py.replace("&&", " and ").replace("||", " or ")
    py = re.sub(r"!(?!=)", " not ", py)
    if "#" in py:
        raise ValueError(f"unsupported SpEL (a #function or #variable): {expr}")
    scope = {k: (Attr(v) if isinstance(v, dict) else v) for k, v in names.items()}
    scope.update(_exported=run.exported, _artifact_by_type=run.artifact_by_type, _to_int=int)
    return eval(compile(py.strip(), "<spel>", "eval"), {"__builtins__": {}}, scope)  # noqa: S307


def evaluate(value: Any, names: dict, run: "Run") -> Any:
    """Every ${...} in VALUE (strings, lists, maps); a string that is one expression keeps
    the expression's type, as orca does."""
    if isinstance(value, dict):
        return {k: evaluate(v, names, run) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, names, run) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    exprs = cs.expressions_in(value)
    if len(exprs) == 1 and value.strip() == "${" + exprs[0] + "}":
        return spel(exprs[0], names, run)
    out = value
    for e in exprs:
        out = out.replace("${" + e + "}", str(spel(e, names, run)), 1)
    return out


# --- one execution -------------------------------------------------------------------


class Run:
    """One pipeline execution: its trigger, and each stage's status and outputs."""

    def __init__(self, pipeline: dict, trigger: dict, world: "World"):
        self.pipeline, self.trigger, self.world = pipeline, trigger, world
        self.by_name = {s["name"]: s for s in pipeline["stages"]}
        self.context: dict[str, dict] = {}   # stage name -> outputs / context
        self.status: dict[str, str] = {}     # stage name -> SUCCEEDED | FAILED_* | SKIPPED

    def order(self) -> list[dict]:
        """Stages in orca's order: a stage starts when all its requisite stages are done."""
        done, out, todo = set(), [], list(self.pipeline["stages"])
        while todo:
            ready = [s for s in todo if set(s.get("requisiteStageRefIds") or []) <= done]
            if not ready:
                raise RuntimeError("stage graph has a cycle")
            s = min(ready, key=lambda s: int(s["refId"]))
            out.append(s)
            done.add(s["refId"])
            todo.remove(s)
        return out

    def names(self, stage: dict) -> dict:
        by_ref = {s["refId"]: s for s in self.pipeline["stages"]}
        names: dict = {"parameters": self.trigger["parameters"], "trigger": self.trigger,
                       "execution": {"application": self.pipeline["application"]}}
        seen, todo = set(), list(stage.get("requisiteStageRefIds") or [])
        while todo:
            ref = todo.pop()
            if ref in seen:
                continue
            seen.add(ref)
            up = by_ref[ref]
            if up["type"] == "evaluateVariables":
                for k, v in (self.context.get(up["name"]) or {}).get("variables", {}).items():
                    names.setdefault(k, v)
            todo += list(up.get("requisiteStageRefIds") or [])
        return names

    def exported(self, stage: str, name: str) -> str:
        info = (self.context.get(stage) or {}).get("buildInfo") or {}
        for v in info.get("exportedEnvironmentVariables") or []:
            if v["name"] == name:
                return v["value"]
        raise NameError(f"{stage} exported no {name}")

    def artifact_by_type(self, kind: str) -> Attr:
        for a in self.trigger.get("artifacts") or []:
            if a.get("type") == kind:
                return Attr(a)
        raise NameError(f"no trigger artifact of type {kind}")

    def execute(self, start_at: str | None = None, after_stage: Callable[[str], None] | None = None,
                log: Callable[[str], None] = print) -> str:
        """Run the stages (from START_AT on: orca's restart of a stage re-runs it and the
        ones after it); returns the name of the stage that failed, or ''."""
        stages = self.order()
        if start_at:
            stages = stages[[s["name"] for s in stages].index(start_at):]
        for s in stages:
            name = s["name"]
            t0 = time.monotonic()
            try:
                outcome = STAGES[s["type"]](self, s)
            except StageFailed as e:
                self.status[name] = "TERMINAL"
                log(f"  {name:<26} TERMINAL ({time.monotonic() - t0:.0f}s): {e.message}")
                return name
            self.status[name] = "SKIPPED" if outcome == "SKIPPED" else "SUCCEEDED"
            log(f"  {name:<26} {self.status[name]} ({time.monotonic() - t0:.0f}s)"
                + (f": {outcome}" if outcome and outcome != "SKIPPED" else ""))
            self.world.ecs.reconcile()
            if after_stage:
                after_stage(name)
        return ""


def _evaluated(run: Run, stage: dict) -> dict:
    try:
        return evaluate({k: v for k, v in stage.items() if k not in cs.PROSE}, run.names(stage), run)
    except (NameError, ValueError, SyntaxError, TypeError) as e:  # failOnFailedExpressions
        raise StageFailed(stage["name"], f"expression failed: {e}") from None


# --- awsCodeBuild --------------------------------------------------------------------


def aws_codebuild(run: Run, stage: dict) -> str:
    ctx = _evaluated(run, stage)
    w = run.world
    source = ctx.get("source") or {}
    commit = w.git("rev-parse", f"{source.get('sourceVersion') or 'main'}^{{commit}}")
    build = w.new_build_dir(stage["name"])
    # A fresh checkout of the source at sourceVersion, as CodeBuild downloads it.
    archive = subprocess.run(["git", "-C", str(w.repo), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(build)], input=archive, check=True)
    spec = yaml.safe_load((build / source["buildspec"]).read_text())
    env_spec = spec.get("env") or {}
    exports = [str(n) for n in env_spec.get("exported-variables") or []]
    commands = [c for phase in ("install", "pre_build", "build", "post_build")
                for c in ((spec.get("phases") or {}).get(phase) or {}).get("commands") or []]
    exports_file = build.parent / (build.name + ".exports")
    script = ["cd \"$CODEBUILD_SRC_DIR\""]
    for c in commands:  # each command must succeed, else the build fails at it
        script.append(f"echo \"[Container] $(date -u +%H:%M:%S) Running command {json.dumps(c)[1:-1]}\" >&2\n{c}\n__rc=$?; if [ $__rc -ne 0 ]; then echo \"[Container] Command did not exit "
                      f"successfully {json.dumps(c)[1:-1]} exit status $__rc\" >&2; exit $__rc; fi")
    script.append("for __v in " + " ".join(exports) + "; do printf '%s\\0%s\\0' \"$__v\" \"${!__v-}\"; done > "
                  + json.dumps(str(exports_file)))
    env = {**w.build_env(), **{k: str(v) for k, v in (env_spec.get("variables") or {}).items()},
           **{k: str(v) for k, v in (ctx.get("environmentVariables") or {}).items()},
           "CODEBUILD_SRC_DIR": str(build), "CODEBUILD_RESOLVED_SOURCE_VERSION": commit,
           "CODEBUILD_BUILD_ID": f"{ctx['projectName']}:{build.name}"}
    shell = env_spec.get("shell", "bash")
    proc = subprocess.run([shell, "-c", "\n".join(script)], env=env, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    (build.parent / (build.name + ".log")).write_text(log)
    run.context[stage["name"]] = {"buildInfo": {"status": "SUCCEEDED" if proc.returncode == 0 else "FAILED",
                                                "log": log, "commit": commit}}
    if proc.returncode != 0:
        last = [line for line in log.splitlines() if line.strip()][-8:]
        raise StageFailed(stage["name"], f"build FAILED (exit {proc.returncode}):\n      " + "\n      ".join(last), log)
    raw = exports_file.read_text().split("\0")
    pairs = [{"name": raw[i], "value": raw[i + 1]} for i in range(0, len(raw) - 1, 2)]
    run.context[stage["name"]]["buildInfo"]["exportedEnvironmentVariables"] = pairs
    return f"build SUCCEEDED at {commit[:8]}, {len(pairs)} variables exported" if pairs else f"build SUCCEEDED at {commit[:8]}"


# --- orca-core stages ------------------------------------------------------------------


def evaluate_variables(run: Run, stage: dict) -> str:
    names, out = run.names(stage), {}
    for v in stage["variables"]:
        try:
            out[v["key"]] = evaluate(v["value"], {**names, **out}, run)
        except (NameError, ValueError, SyntaxError, TypeError) as e:
            raise StageFailed(stage["name"], f"variable {v['key']}: {e}") from None
    run.context[stage["name"]] = {"variables": out}
    return f"active {out.get('active_color')}, standby {out.get('standby_color')}"


def check_preconditions(run: Run, stage: dict) -> str:
    names = run.names(stage)
    for c in stage["preconditions"]:
        expr = c["context"]["expression"]
        try:
            ok = spel(expr, names, run)
        except (NameError, ValueError, SyntaxError, TypeError) as e:
            raise StageFailed(stage["name"], f"precondition {expr!r} failed to evaluate: {e}") from None
        if ok is not True:
            raise StageFailed(stage["name"], c["context"].get("failureMessage") or f"{expr} is false")
    return f"{len(stage['preconditions'])} preconditions hold"


def manual_judgment(run: Run, stage: dict) -> str:
    enabled = stage.get("stageEnabled")
    if enabled and spel(enabled["expression"], run.names(stage), run) is not True:
        return "SKIPPED"
    run.context[stage["name"]] = {"judgmentStatus": "continue"}
    return "approved (judgmentStatus continue)"


# --- clouddriver-ecs -------------------------------------------------------------------

def moniker_of(service_name: str) -> tuple[str, int | None]:
    """(cluster, sequence) as Frigga names a server group: app-stack-detail-vNNN."""
    m = re.match(r"^(.*)-v(\d{3})$", service_name)
    return (m.group(1), int(m.group(2))) if m else (service_name, None)


class Ecs:
    """clouddriver-ecs's operations, and ECS's own registration of tasks with target groups."""

    def __init__(self, client: Callable[[str], Any]):
        self.ecs, self.elb, self.ec2, self.aas = (client(s) for s in ("ecs", "elbv2", "ec2", "application-autoscaling"))
        self.registered: dict[tuple[str, str], set[str]] = {}  # (service arn, tg arn) -> target ips
        self.next_ip = 10

    def services(self) -> list[dict]:
        out = []
        for cluster in self.ecs.list_clusters()["clusterArns"]:
            arns = [a for p in self.ecs.get_paginator("list_services").paginate(cluster=cluster) for a in p["serviceArns"]]
            for i in range(0, len(arns), 10):
                out += self.ecs.describe_services(cluster=cluster, services=arns[i:i + 10])["services"]
        return out

    def reconcile(self) -> None:
        """ECS registers a service's running tasks with its target groups and deregisters
        stopped ones (one awsvpc IP per task)."""
        live = {}
        for s in self.services():
            if s.get("status") != "ACTIVE":
                continue
            for lb in s.get("loadBalancers") or []:
                live[(s["serviceArn"], lb["targetGroupArn"])] = (s.get("runningCount", 0), lb["containerPort"])
        for key in set(self.registered) | set(live):
            have = self.registered.setdefault(key, set())
            want, port = live.get(key, (0, 0))
            while len(have) > want:
                ip = sorted(have)[-1]
                have.discard(ip)
                self.elb.deregister_targets(TargetGroupArn=key[1], Targets=[{"Id": ip}])
            while len(have) < want:
                ip = f"10.20.{2 + self.next_ip // 250}.{self.next_ip % 250 + 1}"
                self.next_ip += 1
                have.add(ip)
                self.elb.register_targets(TargetGroupArn=key[1], Targets=[{"Id": ip, "Port": port}])

    def server_groups(self, cluster_name: str) -> list[dict]:
        """Services whose moniker's cluster is CLUSTER_NAME and that have a sequence."""
        out = []
        for s in self.services():
            cluster, seq = moniker_of(s["serviceName"])
            if s.get("status") == "ACTIVE" and cluster == cluster_name and seq is not None:
                out.append(s)
        return out

    def next_name(self, ecs_cluster: str, family: str) -> str:
        taken = set()
        arns = [a for p in self.ecs.get_paginator("list_services").paginate(cluster=ecs_cluster) for a in p["serviceArns"]]
        for i in range(0, len(arns), 10):
            for s in self.ecs.describe_services(cluster=ecs_cluster, services=arns[i:i + 10])["services"]:
                c, seq = moniker_of(s["serviceName"])
                if c == family and seq is not None:
                    taken.add(seq)
        top = max(taken, default=0)
        for seq in list(range(top, 1000)) + list(range(0, top)):
            if seq not in taken:
                return f"{family}-v{seq:03d}"
        raise RuntimeError(f"all server group names of {family} are taken")

    def destroy(self, cluster: str, name: str) -> None:
        self.ecs.update_service(cluster=cluster, service=name, desiredCount=0)
        svc = self.ecs.delete_service(cluster=cluster, service=name)["service"]
        self.ecs.deregister_task_definition(taskDefinition=svc["taskDefinition"])

    def disable(self, cluster: str, name: str) -> None:
        resource = f"service/{cluster}/{name}"
        targets = self.aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource],
                                                     ScalableDimension="ecs:service:DesiredCount")["ScalableTargets"]
        suspended = targets and all(targets[0].get("SuspendedState", {}).get(k) for k in (
            "DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended"))
        if not suspended:
            self.aas.register_scalable_target(
                ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount", ResourceId=resource,
                SuspendedState={"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": True,
                                "ScheduledScalingSuspended": True})
        self.ecs.update_service(cluster=cluster, service=name, desiredCount=0)

    def enable(self, cluster: str, name: str) -> None:
        """EnableServiceAtomicOperation: desired count = the scalable target's max, autoscaling resumed."""
        resource = f"service/{cluster}/{name}"
        target = self.aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource],
                                                    ScalableDimension="ecs:service:DesiredCount")["ScalableTargets"][0]
        self.ecs.update_service(cluster=cluster, service=name, desiredCount=target["MaxCapacity"])
        self.aas.register_scalable_target(
            ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount", ResourceId=resource,
            SuspendedState={"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False,
                            "ScheduledScalingSuspended": False})

    def wait_up(self, cluster: str, name: str, timeout: float = 90) -> None:
        """Until the server group is steady and each of its tasks healthy in its target
        groups (orca's WaitForUpInstancesTask)."""
        t0 = time.monotonic()
        while True:
            self.reconcile()
            s = self.ecs.describe_services(cluster=cluster, services=[name])["services"][0]
            healthy = True
            for lb in s.get("loadBalancers") or []:
                mine = self.registered.get((s["serviceArn"], lb["targetGroupArn"]), set())
                states = {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in
                          self.elb.describe_target_health(TargetGroupArn=lb["targetGroupArn"])["TargetHealthDescriptions"]}
                healthy &= len(mine) == s["desiredCount"] and all(states.get(ip) == "healthy" for ip in mine)
            if s["runningCount"] == s["desiredCount"] and healthy:
                return
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"{name} not up after {timeout}s: running {s['runningCount']}/{s['desiredCount']}")
            time.sleep(0.2)


def deploy(run: Run, stage: dict) -> str:
    w, ecs = run.world, run.world.ecs
    done = []
    for raw in stage["clusters"]:
        names = run.names(stage)
        try:
            c = evaluate({k: v for k, v in raw.items()}, names, run)
        except (NameError, ValueError, SyntaxError, TypeError) as e:
            raise StageFailed(stage["name"], f"expression failed: {e}") from None
        m = c["moniker"]
        family = "-".join(x for x in (m["app"], m.get("stack"), m.get("detail")) if x)
        name = ecs.next_name(c["ecsClusterName"], family)
        # The template, at the artifact's version (a commit), expressions evaluated.
        art = c["taskDefinitionArtifact"]["artifact"]
        text = w.git("show", f"{art['version']}:{art['name']}")
        template = json.loads(text)
        if c.get("evaluateTaskDefinitionArtifactExpressions"):
            template = evaluate(template, {**names, **raw}, run)
        images = {m_["containerName"]: m_["imageDescription"]["imageId"] for m_ in c["containerMappings"]}
        for container in template["containerDefinitions"]:
            if container["name"] in images:
                container["image"] = images[container["name"]]
            env = [e for e in container.get("environment") or [] if e["name"] not in cs.RESERVED_ENV]
            env += [{"name": "SERVER_GROUP", "value": name}, {"name": "CLOUD_STACK", "value": m.get("stack", "")},
                    {"name": "CLOUD_DETAIL", "value": m.get("detail", "")}]
            container["environment"] = env
            container["dockerLabels"] = {**(container.get("dockerLabels") or {}), "spinnaker.servergroup": name,
                                         "spinnaker.stack": m.get("stack", ""), "spinnaker.detail": m.get("detail", "")}
        template["family"] = family
        td = ecs.ecs.register_task_definition(**template)["taskDefinition"]["taskDefinitionArn"]
        lbs = []
        for tgm in c["targetGroupMappings"]:
            tgs = ecs.elb.describe_target_groups(Names=[tgm["targetGroup"]])["TargetGroups"]
            if len(tgs) != 1:
                raise StageFailed(stage["name"], f"target group {tgm['targetGroup']} not found")
            lbs.append({"targetGroupArn": tgs[0]["TargetGroupArn"], "containerName": tgm["containerName"],
                        "containerPort": int(tgm["containerPort"])})
        zones = c["availabilityZones"][REGION]
        subnets = [s for s in ecs.ec2.describe_subnets()["Subnets"] if s["AvailabilityZone"] in zones and any(
            t["Key"] == "immutable_metadata" and json.loads(t["Value"]).get("purpose") in c["subnetTypes"]
            for t in s.get("Tags") or [])]
        vpcs = {s["VpcId"] for s in subnets}
        sgs = [g["GroupId"] for g in ecs.ec2.describe_security_groups(Filters=[
            {"Name": "group-name", "Values": c["securityGroupNames"]}, {"Name": "vpc-id", "Values": sorted(vpcs)}])["SecurityGroups"]]
        cap = c["capacity"]
        try:
            ecs.ecs.create_service(
                cluster=c["ecsClusterName"], serviceName=name, taskDefinition=td, desiredCount=int(cap["desired"]),
                loadBalancers=lbs, launchType=c["launchType"], platformVersion=c.get("platformVersion", "LATEST"),
                networkConfiguration={"awsvpcConfiguration": {
                    "subnets": [s["SubnetId"] for s in subnets], "securityGroups": sgs,
                    "assignPublicIp": "ENABLED" if c.get("associatePublicIpAddress") else "DISABLED"}},
                healthCheckGracePeriodSeconds=int(c.get("healthCheckGracePeriodSeconds") or 0),
                deploymentConfiguration={"deploymentCircuitBreaker": {
                    "enable": bool(c.get("enableDeploymentCircuitBreaker")), "rollback": False}},
                placementStrategy=c["placementStrategySequence"], placementConstraints=c["placementConstraints"],
                tags=[{"key": k, "value": v} for k, v in (c.get("tags") or {}).items()])
        except ecs.ecs.exceptions.ClientError as e:
            raise StageFailed(stage["name"], f"CreateService {name}: {e}") from None
        ecs.aas.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=f"service/{c['ecsClusterName']}/{name}",
            ScalableDimension="ecs:service:DesiredCount", MinCapacity=int(cap["min"]), MaxCapacity=int(cap["max"]))
        ecs.wait_up(c["ecsClusterName"], name)
        # Highlander: the cluster's other server groups go.
        destroyed = []
        for s in ecs.server_groups(family):
            if s["serviceName"] != name:
                ecs.destroy(c["ecsClusterName"], s["serviceName"])
                destroyed.append(s["serviceName"])
        run.context[stage["name"]] = {"deploy.server.groups": {REGION: [name]}, "destroyed": destroyed}
        done.append(f"{name} up on {c['targetGroupMappings'][0]['targetGroup']} ({template['containerDefinitions'][0]['image'].split('@')[-1][:19]})"
                    + (f", highlander destroyed {', '.join(destroyed)}" if destroyed else ""))
    return "; ".join(done)


def disable_cluster(run: Run, stage: dict) -> str:
    ctx = _evaluated(run, stage)
    ecs = run.world.ecs
    if ctx.get("cloudProvider") != "ecs":
        raise StageFailed(stage["name"], f"No Cluster details found for {ctx.get('cluster')} ({ctx.get('cloudProvider', 'aws')})")
    groups = ecs.server_groups(ctx["cluster"])
    if not groups:
        if ctx.get("continueIfClusterNotFound"):
            return f"no server groups in {ctx['cluster']}: nothing to retire"
        raise StageFailed(stage["name"], f"No ServerGroups found in cluster {ctx['cluster']}")
    parents = {n for s in run.context.values() for n in (s.get("deploy.server.groups") or {}).get(REGION, [])}
    active = [g for g in groups if g["serviceName"] not in parents and g["desiredCount"] > 0]
    # Newest first (clouddriver: the service's createdAt; moto has none, the sequence then).
    active.sort(key=lambda g: (g.get("createdAt") or 0, moniker_of(g["serviceName"])[1]), reverse=True)
    targets = active[int(ctx.get("remainingEnabledServerGroups", 1)):]
    for g in targets:
        ecs.disable(g["clusterArn"].split("/")[-1], g["serviceName"])
    return "disabled " + (", ".join(g["serviceName"] for g in targets) or "nothing") + " (autoscaling suspended, desired 0)"


STAGES: dict[str, Callable[[Run, dict], str]] = {
    "awsCodeBuild": aws_codebuild,
    "evaluateVariables": evaluate_variables,
    "checkPreconditions": check_preconditions,
    "manualJudgment": manual_judgment,
    "deploy": deploy,
    "disableCluster": disable_cluster,
}


class World:
    """What the stages act on: the emulator's AWS, the infrastructure repository, and the
    environment CodeBuild gives a build (Terraform, jq, the providers' mirror)."""

    def __init__(self, client: Callable[[str], Any], repo: Path, work: Path, base_env: dict):
        self.ecs = Ecs(client)
        self.repo, self.work, self.base_env = repo, work, base_env
        self.builds = 0

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.repo), *args], check=True, capture_output=True,
                              text=True).stdout.strip()

    def new_build_dir(self, stage: str) -> Path:
        self.builds += 1
        d = self.work / "builds" / f"{self.builds:03d}-{re.sub(r'[^a-z0-9]+', '-', stage.lower())}"
        d.mkdir(parents=True)
        return d

    def build_env(self) -> dict:
        return dict(self.base_env)
