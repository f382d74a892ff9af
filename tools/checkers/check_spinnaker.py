#!/usr/bin/env python3
"""Check Spinnaker pipeline JSON against rules read from Spinnaker's own source.

    tools/checkers/check_spinnaker.py [--list] [PIPELINE.json ...]

Without arguments it checks every shipped pipeline, examples/complete/spinnaker/
pipelines/*.json (except the task definition template). It prints one line per
violation, `RULE-ID: where: what [repository:path]`, naming the Spinnaker source
file the rule comes from, and exits 1 if there is any. `--list` prints the rules.

Spinnaker cannot run here, so a pipeline is accepted only if it keeps the rules that
live in Spinnaker's code: the ECS deploy description's validator and atomic operation
(clouddriver-ecs), the deploy strategies, expression handling, stage and trigger
handling (orca), the CodeBuild stage (orca-igor, igor). The rules were read from the
source of Spinnaker 1.38 (release-1.38.x), at the tags and commits in SPINNAKER below;
none of Spinnaker's code is copied here. The `safe-*` rules are this example's own
safety contract (issue 14): each names the Spinnaker code that makes it necessary.

Files a pipeline refers to by repository path (the github/file task definition
template, CodeBuild buildspecs and the scripts they run) are read relative to the
repository root. Standard library only.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = ROOT / "examples" / "complete" / "spinnaker" / "pipelines"
TEMPLATES = {"artifact-template.json"}  # in PIPELINES, but task definitions, not pipelines

RELEASE = "Spinnaker 1.38 (release-1.38.x)"
SPINNAKER = {  # repository: (tag, commit) the rules were read at
    "spinnaker/orca": ("v8.64.0", "2fdb327a9f67345c4919e1503ff5119fa3c31caf"),
    "spinnaker/clouddriver": ("v5.95.0", "5e0ce2abb37cce236e4fb65b5f1ffa4ee781346e"),
    "spinnaker/igor": ("v4.22.0", "627ec479540511c3b46708f56b3fd4967bf40e25"),
    "spinnaker/kork": ("v7.254.0", "a7b6fdea15ec2e98c80093947f194afb0ee552f3"),
    "spinnaker/echo": ("v2.47.0", "4c0e2959f1a9613d23011e316df98b5862bf44e5"),
}

ORCA, CLOUDDRIVER, KORK, ECHO = "spinnaker/orca", "spinnaker/clouddriver", "spinnaker/kork", "spinnaker/echo"
ECHO_TRIGGERS = "echo-pipelinetriggers/src/main/java/com/netflix/spinnaker/echo/pipelinetriggers/"
ORCA_CLUSTER = "orca-clouddriver/src/main/groovy/com/netflix/spinnaker/orca/clouddriver/tasks/cluster/"
# Cluster-wide stages (AbstractClusterWideClouddriverOperationStage and its tasks).
CLUSTER_WIDE = {"shrinkCluster", "disableCluster", "scaleDownCluster"}
ECS = "clouddriver-ecs/src/main/java/com/netflix/spinnaker/clouddriver/ecs/"
ECS_VALIDATOR = ECS + "deploy/validators/EcsCreateServerGroupDescriptionValidator.java"
ECS_OPERATION = ECS + "deploy/ops/CreateServerGroupAtomicOperation.java"
ORCA_ECS_CREATOR = ("orca-clouddriver/src/main/groovy/com/netflix/spinnaker/orca/clouddriver/"
                    "tasks/providers/ecs/EcsServerGroupCreator.groovy")
ORCA_CORE = "orca-core/src/main/java/com/netflix/spinnaker/orca/pipeline/"
ORCA_IGOR = "orca-igor/src/main/java/com/netflix/spinnaker/orca/igor/"
ORCA_QUEUE = "orca-queue/src/main/kotlin/com/netflix/spinnaker/orca/q/"
ORCA_STRATEGIES = ("orca-clouddriver/src/main/groovy/com/netflix/spinnaker/orca/clouddriver/"
                   "pipeline/servergroup/strategies/")

# Stage types orca ships that a pipeline like this one may use, with the builder that
# defines each (orca-api StageDefinitionBuilder.getType: class name minus "Stage", or its
# PIPELINE_CONFIG_TYPE). StageResolver fails a stage of any other type.
STAGE_TYPES = {
    "awsCodeBuild": "orca-igor/.../igor/pipeline/AwsCodeBuildStage.java",
    "jenkins": "orca-igor/.../igor/pipeline/JenkinsStage.java",
    "runJob": "orca-clouddriver/.../pipeline/job/RunJobStage.java",  # also Deck's Kubernetes "Run Job (Manifest)"
    "checkPreconditions": "orca-core/.../pipeline/CheckPreconditionsStage.java",
    "evaluateVariables": "orca-core/.../pipeline/EvaluateVariablesStage.java",
    "wait": "orca-core/.../pipeline/WaitStage.java",
    "manualJudgment": "orca-echo/.../echo/pipeline/ManualJudgmentStage.groovy",
    "deploy": "orca-clouddriver/.../kato/pipeline/ParallelDeployStage.groovy",
    "pipeline": "orca-front50/.../front50/pipeline/PipelineStage.java",
    "shrinkCluster": "orca-clouddriver/.../pipeline/cluster/ShrinkClusterStage.java",
    "disableCluster": "orca-clouddriver/.../pipeline/cluster/DisableClusterStage.java",
    "scaleDownCluster": "orca-clouddriver/.../pipeline/cluster/ScaleDownClusterStage.java",
    "rollbackCluster": "orca-clouddriver/.../pipeline/cluster/RollbackClusterStage.java",
    "destroyServerGroup": "orca-clouddriver/.../pipeline/servergroup/DestroyServerGroupStage.groovy",
    "disableServerGroup": "orca-clouddriver/.../pipeline/servergroup/DisableServerGroupStage.groovy",
    "enableServerGroup": "orca-clouddriver/.../pipeline/servergroup/EnableServerGroupStage.groovy",
    "resizeServerGroup": "orca-clouddriver/.../pipeline/servergroup/ResizeServerGroupStage.groovy",
    "rollbackServerGroup": "orca-clouddriver/.../pipeline/servergroup/RollbackServerGroupStage.groovy",
    "webhook": "orca-webhook/.../webhook/pipeline/WebhookStage.java",
}
JOB_STAGES = {"awsCodeBuild", "jenkins", "runJob"}
# Stages that act on server groups of a cluster (and the synthetic stages strategies add).
CLUSTER_OPS = {"shrinkCluster", "disableCluster", "scaleDownCluster", "rollbackCluster",
               "destroyServerGroup", "disableServerGroup", "enableServerGroup",
               "resizeServerGroup", "rollbackServerGroup"}
# Strategy names orca registers (kato/pipeline/strategy/Strategy.java); any other name
# silently means NoStrategy (AbstractDeployStrategyStage.getStrategy).
STRATEGIES = {"", "none", "highlander", "redblack", "rollingredblack", "rollingpush",
              "custom", "monitored", "cfrollingredblack"}
# SpEL helper functions: orca-core .../pipeline/expressions/functions/*.java,
# orca-front50 .../front50/pipeline/*ExpressionFunctionProvider.java, and kork's
# ExpressionsSupport (registered for every evaluation).
SPEL_FUNCTIONS = {
    "stage", "stageByRefId", "stageExists", "currentStage", "currentUser", "judgment", "judgement",
    "triggerResolvedArtifact", "triggerResolvedArtifactByType", "resolvedArtifacts",
    "deployedServerGroups", "manifestLabelValue",
    "fromUrl", "jsonFromUrl", "yamlFromUrl", "propertiesFromUrl", "readJson", "readYaml", "readAllYaml",
    "pipelineId", "pipelineIdOrNull", "pipelineIdInApplication", "applicationMetadata",
    "toJson", "toInt", "toFloat", "toBoolean", "toBase64", "fromBase64", "alphanumerical",
    "fetchReference",
}
# Names every stage's expressions can use (ContextParameterProcessor.buildExecutionContext
# and precomputeValues).
ROOT_NAMES = {"parameters", "trigger", "execution", "scmInfo", "templateVariables"}
SPEL_KEYWORDS = {"and", "or", "not", "true", "false", "null", "instanceof", "matches", "between",
                 "eq", "ne", "lt", "gt", "le", "ge", "div", "mod", "new", "T"}
# The placement strategies EcsCreateServerGroupDescriptionValidator accepts.
PLACEMENT_FIELDS = {
    "random": None,
    "spread": {"instanceId", "attribute:ecs.availability-zone", "attribute:ecs.instance-type",
               "attribute:ecs.os-type", "attribute:ecs.ami-id"},
    "binpack": {"cpu", "memory"},
}
RESERVED_ENV = {"SERVER_GROUP", "CLOUD_STACK", "CLOUD_DETAIL"}
# Properties of the AWS SDK v1 model classes clouddriver maps the task definition
# template onto, at the SDK version Spinnaker 1.38 ships (aws-java-sdk 1.12.261, pinned
# by kork's spinnaker-dependencies.gradle). Newer ECS fields (portMappings[].name and
# appProtocol for Service Connect, restartPolicy, versionConsistency, credentialSpecs,
# enableFaultInjection) are not in it.
TASK_DEFINITION_FIELDS = {
    "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
    "placementConstraints", "requiresCompatibilities", "cpu", "memory", "tags", "pidMode",
    "ipcMode", "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform",
}
CONTAINER_FIELDS = {
    "name", "image", "repositoryCredentials", "cpu", "memory", "memoryReservation", "links",
    "portMappings", "essential", "entryPoint", "command", "environment", "environmentFiles",
    "mountPoints", "volumesFrom", "linuxParameters", "secrets", "dependsOn", "startTimeout",
    "stopTimeout", "hostname", "user", "workingDirectory", "disableNetworking", "privileged",
    "readonlyRootFilesystem", "dnsServers", "dnsSearchDomains", "extraHosts",
    "dockerSecurityOptions", "interactive", "pseudoTerminal", "dockerLabels", "ulimits",
    "logConfiguration", "healthCheck", "systemControls", "resourceRequirements",
    "firelensConfiguration",
}
NESTED_FIELDS = {
    "portMappings": {"containerPort", "hostPort", "protocol"},
    "environment": {"name", "value"},
    "secrets": {"name", "valueFrom"},
    "logConfiguration": {"logDriver", "options", "secretOptions"},
}
SECRET_NAME = re.compile(r"token|secret|password|passwd|api_?key|credential", re.I)
DYNATRACE = re.compile(r"dynatrace\.com|dynatracelabs|apps\.dynatrace|cloudautomation|keptn"
                       r"|\bdt0[a-z]\d{2}\.|api-token|sh\.keptn", re.I)
AUTH_HEADERS = re.compile(r"^(authorization|x-token|api-token|x-api-key)$", re.I)
# What the read stage must hand to the rest of the run (safe-read-at-start).
READ_AT_START = {"active_color": "ACTIVE_COLOR", "standby_color": "STANDBY_COLOR",
                 "standby_target_group_name": "STANDBY_TARGET_GROUP_NAME",
                 "standby_traffic_percent": "STANDBY_TRAFFIC_PERCENT"}
PROSE = {"name", "comments", "description", "instructions", "failureMessage", "label", "displayName"}
STANDBY = "${standby_color}"
STANDBY_TARGET_GROUP = "${standby_target_group_name}"


# --- rules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    id: str
    repo: str
    path: str
    text: str
    check: Callable[["Pipeline"], Iterable[tuple[str, str]]]

    @property
    def source(self) -> str:
        return f"{self.repo}:{self.path}"


@dataclass(frozen=True)
class Violation:
    rule: Rule
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule.id}: {self.where}: {self.message} [{self.rule.source}]"


RULES: list[Rule] = []


def rule(id: str, repo: str, path: str, text: str):
    """Register a rule: a function yielding (where, message) per violation."""
    def register(fn):
        RULES.append(Rule(id, repo, path, text, fn))
        return fn
    return register


# --- SpEL, just enough -------------------------------------------------------------


def expressions_in(text: str) -> list[str]:
    """The bodies of the ${...} expressions in a string (braces inside are balanced)."""
    found, i = [], 0
    while (start := text.find("${", i)) >= 0:
        depth, j, quote = 1, start + 2, None
        while j < len(text) and depth:
            c = text[j]
            if quote:
                if c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            j += 1
        found.append(text[start + 2:j - 1])
        i = j
    return found


def strip_strings(expr: str) -> str:
    """SpEL with every string literal emptied ('' stays as the escape for ')."""
    return re.sub(r"'(?:[^']|'')*'|\"[^\"]*\"", "''", expr)


def functions_in(expr: str) -> set[str]:
    return set(re.findall(r"#([A-Za-z_]\w*)\s*\(", strip_strings(expr)))


def string_args(expr: str, fn: str) -> list[str]:
    """Literal first arguments of #fn('...') calls."""
    return re.findall(r"#" + fn + r"\s*\(\s*'([^']*)'", expr)


def roots_in(expr: str) -> set[str]:
    """Names an expression looks up in its evaluation context (not properties, methods,
    functions, #variables, or names inside a selection/projection, which are the
    element's)."""
    s = strip_strings(expr)
    found, brackets, i = set(), [], 0
    while i < len(s):
        c = s[i]
        if c == "[":
            brackets.append("select" if re.search(r"\.\s*[?!^$]\s*$", s[:i]) else "index")
        elif c == "]" and brackets:
            brackets.pop()
        elif c.isalpha() or c == "_":
            j = i
            while j < len(s) and (s[j].isalnum() or s[j] == "_"):
                j += 1
            name, before, after = s[i:j], s[:i].rstrip(), s[j:].lstrip()
            if not (before.endswith((".", "#", "@")) or "select" in brackets
                    or name in SPEL_KEYWORDS or after.startswith("(")):
                found.add(name)
            i = j
            continue
        elif c.isdigit():
            while i < len(s) and (s[i].isalnum() or s[i] in "._"):
                i += 1
            continue
        i += 1
    return found


def strings(value, path: str = "", keys: bool = True) -> Iterator[tuple[str, str]]:
    """(json path, string) for every string value (and every key, unless keys=False)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if keys:
                yield sub, str(k)
            yield from strings(v, sub, keys)
    elif isinstance(value, list):
        for n, v in enumerate(value):
            yield from strings(v, f"{path}[{n}]", keys)


def stage_expressions(stage: dict) -> list[tuple[str, str]]:
    """(path, expression) of a stage: every ${...}, plus the fields orca evaluates as an
    expression without ${...} (stageEnabled.expression, a precondition's expression)."""
    out = []
    bare = {"stageEnabled.expression"} | {
        f"preconditions[{n}].context.expression" for n in range(len(stage.get("preconditions") or []))}
    for path, text in strings(stage, keys=False):
        exprs = expressions_in(text)
        if not exprs and path in bare and text.strip():
            exprs = [text]
        out += [(path, e) for e in exprs]
    return out


def has_expression(value) -> bool:
    return any("${" in s for _, s in strings(value))


def int_like(value):
    """An int, 'expr' for an expression (typed at run time), or None if not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if "${" in value:
            return "expr"
        if re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
    return None


def exported_variables(buildspec: str) -> set[str]:
    """env.exported-variables of a CodeBuild buildspec (block or flow list)."""
    m = re.search(r"^(\s*)exported-variables:\s*\[([^\]]*)\]", buildspec, re.M)
    if m:
        return {v.strip().strip("'\"") for v in m.group(2).split(",") if v.strip()}
    names, inside, indent = set(), False, 0
    for line in buildspec.splitlines():
        if re.match(r"^\s*exported-variables:\s*$", line):
            inside, indent = True, len(line) - len(line.lstrip())
            continue
        if inside:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            item = re.match(r"^(\s*)-\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?\s*$", line)
            if item and len(item.group(1)) >= indent:
                names.add(item.group(2))
            else:
                inside = False
    return names


def commands(text: str) -> str:
    """Shell or YAML text without its comment lines."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


EXPORTED_READ = re.compile(
    r"#stage\(\s*'([^']+)'\s*\)\s*(?:\[\s*'context'\s*\]|\.context)\s*"
    r"(?:\[\s*'buildInfo'\s*\]|\.buildInfo)\s*"
    r"(?:\[\s*'exportedEnvironmentVariables'\s*\]|\.exportedEnvironmentVariables)"
    r"(?:\s*\.\?\[\s*(?:#this\[\s*'name'\s*\]|name)\s*==\s*'([^']+)'\s*\])?")


# --- the pipeline and the files it refers to --------------------------------------


class Pipeline:
    def __init__(self, doc: dict, name: str, read_file: Callable[[str], str | None]):
        self.doc, self.name, self.read_file = doc, name, read_file
        self.stages = [s for s in doc.get("stages") or [] if isinstance(s, dict)]
        self.by_ref = {s.get("refId"): s for s in self.stages}
        self.params = {p.get("name") for p in doc.get("parameterConfig") or [] if isinstance(p, dict)}
        self.artifacts = {a.get("id"): a for a in doc.get("expectedArtifacts") or [] if isinstance(a, dict)}
        self.triggers = [t for t in doc.get("triggers") or [] if isinstance(t, dict)]

    @staticmethod
    def where(stage: dict) -> str:
        return f"stage {stage.get('name')!r} (refId {stage.get('refId')})"

    def upstream(self, stage: dict) -> list[dict]:
        """Stages this one runs after (requisiteStageRefIds, transitively)."""
        seen, todo, out = {stage.get("refId")}, list(stage.get("requisiteStageRefIds") or []), []
        while todo:
            ref = todo.pop()
            if ref in seen or ref not in self.by_ref:
                continue
            seen.add(ref)
            out.append(self.by_ref[ref])
            todo += list(self.by_ref[ref].get("requisiteStageRefIds") or [])
        return out

    def roots(self) -> list[dict]:
        return [s for s in self.stages if not s.get("requisiteStageRefIds")]

    def clusters(self, ecs_only: bool = True) -> Iterator[tuple[dict, dict]]:
        for s in self.stages:
            if s.get("type") == "deploy":
                for c in s.get("clusters") or []:
                    if isinstance(c, dict) and (not ecs_only or "ecs" in (c.get("cloudProvider"), c.get("provider"))):
                        yield s, c

    def variables_before(self, stage: dict) -> dict[str, str]:
        """Outputs of upstream evaluateVariables stages: key -> value (as written)."""
        out = {}
        for up in self.upstream(stage):
            if up.get("type") == "evaluateVariables":
                for v in up.get("variables") or []:
                    if isinstance(v, dict) and v.get("key"):
                        out.setdefault(v["key"], v.get("value"))
        return out

    def template(self, cluster: dict) -> tuple[str | None, dict | None]:
        """The task definition template a deploy cluster names: (repository path, parsed)."""
        ref = cluster.get("taskDefinitionArtifact") or {}
        artifact = self.artifacts.get(ref.get("artifactId")) if ref.get("artifactId") else None
        art = (artifact or {}).get("defaultArtifact") or (artifact or {}).get("matchArtifact") or ref.get("artifact")
        if not isinstance(art, dict) or not art.get("name") or "${" in art["name"]:
            return None, None
        path = art["name"]
        text = self.read_file(path)
        if text is None:
            return path, None
        try:
            doc = json.loads(text)
        except ValueError:
            return path, None
        return path, doc if isinstance(doc, dict) else None

    def buildspec(self, stage: dict) -> tuple[str | None, str | None]:
        """(path or 'inline', text) of a CodeBuild stage's buildspec override."""
        spec = (stage.get("source") or {}).get("buildspec") if isinstance(stage.get("source"), dict) else None
        if not spec:
            return None, None
        if "\n" in spec:
            return "inline", spec
        return spec, self.read_file(spec)

    def job_commands(self, stage: dict) -> str:
        """What a job stage runs, as far as the pipeline shows it: a CodeBuild buildspec and
        the repository scripts it calls, or a Kubernetes job's inline command."""
        if stage.get("type") == "awsCodeBuild":
            _, spec = self.buildspec(stage)
            if not spec:
                return ""
            text = commands(spec)
            for script in sorted(set(re.findall(r"[\w./-]+\.sh\b", text))):
                body = self.read_file(script.lstrip("./")) if not script.startswith("/") else None
                text += "\n" + commands(body or "")
            return text
        if stage.get("type") == "runJob":
            return "\n".join(s for _, s in strings(stage.get("manifest") or {}, keys=False))
        return ""

    def exports(self, stage: dict) -> set[str]:
        _, spec = self.buildspec(stage) if stage.get("type") == "awsCodeBuild" else (None, None)
        return exported_variables(spec or "")


def is_promotion(p: Pipeline, stage: dict) -> bool:
    text = p.job_commands(stage)
    invokes = any(re.match(r"^\s*terraform\b.*\sapply\b.*-invoke[= ]", line) for line in text.splitlines())
    return invokes and "action.bluegreen_ecs_promote." in text


def runs_terraform_apply(p: Pipeline, stage: dict) -> bool:
    return any(re.match(r"^\s*(?:exec\s+)?terraform\b.*\sapply\b", line) for line in p.job_commands(stage).splitlines())


# --- clouddriver-ecs: the ECS deploy description ----------------------------------


@rule("ecs-placement-strategy", CLOUDDRIVER, ECS_VALIDATOR,
      "An ECS deploy cluster has placementStrategySequence (Deck always sends []), each entry "
      "random, spread or binpack on a field the validator allows; Fargate takes none.")
def ecs_placement_strategy(p):
    for s, c in p.clusters():
        seq = c.get("placementStrategySequence")
        if not isinstance(seq, list):
            yield p.where(s), ("the ECS cluster has no placementStrategySequence: clouddriver rejects the "
                               "deploy (createServerGroupDescription.placementStrategySequence.not.nullable); use []")
            continue
        for entry in seq:
            kind = str((entry or {}).get("type", "")).lower()
            if kind not in PLACEMENT_FIELDS:
                yield p.where(s), f"placement strategy type {entry.get('type')!r} is not random, spread or binpack"
            elif PLACEMENT_FIELDS[kind] and entry.get("field") not in PLACEMENT_FIELDS[kind]:
                yield p.where(s), f"{kind} placement on field {entry.get('field')!r} is rejected"
        if seq and (c.get("launchType") == "FARGATE" or any(
                (x or {}).get("capacityProvider", "").startswith("FARGATE") for x in c.get("capacityProviderStrategy") or [])):
            yield p.where(s), ("Fargate tasks take no placement strategy: CreateService rejects the "
                               "placementStrategySequence clouddriver passes on")


@rule("ecs-availability-zones", CLOUDDRIVER, ECS_VALIDATOR,
      "availabilityZones names exactly one region with at least one zone (the region of the "
      "server group).")
def ecs_availability_zones(p):
    for s, c in p.clusters():
        zones = c.get("availabilityZones")
        if not isinstance(zones, dict) or not zones:
            yield p.where(s), "the ECS cluster has no availabilityZones (not.nullable)"
        elif len(zones) != 1:
            yield p.where(s), f"availabilityZones names {len(zones)} regions; ECS deploys take one (must.have.only.one)"
        elif not next(iter(zones.values())):
            yield p.where(s), "availabilityZones has no zones for its region"


@rule("ecs-capacity", CLOUDDRIVER, ECS + "deploy/validators/CommonValidator.java",
      "capacity has min, desired and max, integers >= 0 with min <= desired <= max.")
def ecs_capacity(p):
    for s, c in p.clusters():
        cap = c.get("capacity")
        if not isinstance(cap, dict):
            yield p.where(s), "the ECS cluster has no capacity (capacity.not.nullable)"
            continue
        values = {}
        for key in ("min", "desired", "max"):
            if cap.get(key) is None:
                yield p.where(s), f"capacity.{key} is missing (not.nullable)"
                continue
            v = int_like(cap[key])
            if v is None:
                yield p.where(s), f"capacity.{key} = {cap[key]!r} is not an integer"
            elif v != "expr":
                values[key] = v
                if v < 0:
                    yield p.where(s), f"capacity.{key} = {v} is negative"
        lo, want, hi = values.get("min"), values.get("desired"), values.get("max")
        if lo is not None and hi is not None and lo > hi:
            yield p.where(s), f"capacity.min {lo} > max {hi}"
        if want is not None and hi is not None and want > hi:
            yield p.where(s), f"capacity.desired {want} exceeds max {hi}"
        if want is not None and lo is not None and want < lo:
            yield p.where(s), f"capacity.desired {want} is less than min {lo}"


@rule("ecs-credentials", CLOUDDRIVER, ECS + "deploy/validators/CommonValidator.java",
      "Every ECS deploy cluster names its account (orca passes it on as credentials), and "
      "account and credentials do not differ.")
def ecs_credentials(p):
    for s, c in p.clusters():
        account, credentials = c.get("account"), c.get("credentials")
        if not (account or credentials or s.get("account") or s.get("credentials")):
            yield p.where(s), "the ECS cluster names no account: clouddriver has no credentials (credentials.not.nullable)"
        elif account and credentials and account != credentials:
            yield p.where(s), ("account and credentials differ: orca's StageData refuses "
                               "(\"Cannot specify different values for 'account' and 'credentials'\")")


@rule("ecs-moniker", CLOUDDRIVER, ECS_VALIDATOR,
      "moniker.app is set and equals application; moniker.stack equals stack and moniker.detail "
      "equals freeFormDetails when those are set.")
def ecs_moniker(p):
    for s, c in p.clusters():
        moniker = c.get("moniker")
        if not isinstance(moniker, dict):
            if not c.get("application"):
                yield p.where(s), "no moniker and no application (application.not.nullable)"
            continue
        if not moniker.get("app"):
            yield p.where(s), "moniker.app is missing (moniker.app.not.nullable)"
        for field, key in (("application", "app"), ("stack", "stack"), ("freeFormDetails", "detail")):
            if c.get(field) and c.get(field) != moniker.get(key):
                yield p.where(s), f"{field} {c.get(field)!r} differs from moniker.{key} {moniker.get(key)!r} (moniker.{key}.invalid)"


@rule("ecs-cluster-name", CLOUDDRIVER, ECS_VALIDATOR,
      "ecsClusterName (the ECS cluster the service is created in) is set.")
def ecs_cluster_name(p):
    for s, c in p.clusters():
        if not c.get("ecsClusterName"):
            yield p.where(s), "ecsClusterName is missing (ecsClusterName.not.nullable)"


@rule("ecs-compute-options", CLOUDDRIVER, ECS_VALIDATOR,
      "Exactly one of launchType and capacityProviderStrategy.")
def ecs_compute_options(p):
    for s, c in p.clusters():
        cps, launch = c.get("capacityProviderStrategy"), c.get("launchType")
        if cps and launch:
            yield p.where(s), "launchType cannot be specified when capacityProviderStrategy is"
        elif cps is None and not launch:
            yield p.where(s), "launchType or capacityProviderStrategy must be specified"


@rule("ecs-subnet-types", CLOUDDRIVER, ECS_VALIDATOR,
      "subnetType (deprecated) and subnetTypes are not both set.")
def ecs_subnet_types(p):
    for s, c in p.clusters():
        if c.get("subnetTypes") and c.get("subnetType"):
            yield p.where(s), "subnetType cannot be specified when subnetTypes is; use subnetTypes"


@rule("ecs-awsvpc-network", CLOUDDRIVER, ECS_OPERATION,
      "With networkMode awsvpc the service's subnets and security groups come from "
      "subnetTypes and securityGroupNames: both are non-empty.")
def ecs_awsvpc_network(p):
    for s, c in p.clusters():
        if c.get("networkMode") == "awsvpc":
            if not (c.get("subnetTypes") or c.get("subnetType")):
                yield p.where(s), "awsvpc without subnetTypes: clouddriver resolves no subnets for the service"
            if not c.get("securityGroupNames"):
                yield p.where(s), "awsvpc without securityGroupNames: the service gets no security group"


@rule("ecs-target-group-mappings", CLOUDDRIVER, ECS_VALIDATOR,
      "Each targetGroupMappings entry has a target group, a container name (task definition "
      "artifact) and a container port 0..65535; the deprecated targetGroup is not set beside it.")
def ecs_target_group_mappings(p):
    for s, c in p.clusters():
        mappings = c.get("targetGroupMappings") or []
        if mappings and c.get("targetGroup"):
            yield p.where(s), "targetGroup cannot be specified when targetGroupMappings is"
        if c.get("targetGroup") and c.get("containerPort") is None:
            yield p.where(s), "targetGroup without containerPort (containerPort.not.nullable)"
        for m in mappings:
            if not isinstance(m, dict):
                continue
            has_tg, has_name = bool(m.get("targetGroup")), bool(m.get("containerName"))
            if c.get("useTaskDefinitionArtifact") and has_tg != has_name:
                missing = "containerName" if has_tg else "targetGroup"
                yield p.where(s), f"a target group mapping lacks {missing} (targetGroupMappings.{missing}.not.nullable)"
            port = int_like(m.get("containerPort")) if m.get("containerPort") is not None else None
            if m.get("containerPort") is None:
                if has_tg:
                    yield p.where(s), "a target group mapping lacks containerPort (targetGroupMappings.containerPort.not.nullable)"
            elif port is None or (port != "expr" and not 0 <= port <= 65535):
                yield p.where(s), f"targetGroupMappings.containerPort {m.get('containerPort')!r} is not a port"


@rule("ecs-reserved-environment", CLOUDDRIVER, ECS_VALIDATOR,
      "Neither environmentVariables nor the template's containers set SERVER_GROUP, CLOUD_STACK "
      "or CLOUD_DETAIL: clouddriver sets them on every container.")
def ecs_reserved_environment(p):
    for s, c in p.clusters():
        taken = RESERVED_ENV & set(c.get("environmentVariables") or {})
        if taken:
            yield p.where(s), f"environmentVariables sets reserved {sorted(taken)} (environmentVariables.invalid)"
        path, template = p.template(c)
        for container in (template or {}).get("containerDefinitions") or []:
            names = {e.get("name") for e in container.get("environment") or [] if isinstance(e, dict)}
            if RESERVED_ENV & names:
                yield f"template {path}", (f"container {container.get('name')!r} sets {sorted(RESERVED_ENV & names)}, "
                                           "which CreateServerGroupAtomicOperation adds again")


@rule("ecs-task-definition-inputs", CLOUDDRIVER, ECS_VALIDATOR,
      "Without a task definition artifact the cluster has an image, computeUnits and "
      "reservedMemory; with one and the deprecated targetGroup, a loadBalancedContainer.")
def ecs_task_definition_inputs(p):
    for s, c in p.clusters():
        if not c.get("useTaskDefinitionArtifact"):
            if not (c.get("dockerImageAddress") or c.get("imageDescription")):
                yield p.where(s), "no task definition artifact and no image (dockerImageAddress.not.nullable)"
            for key in ("computeUnits", "reservedMemory"):
                if c.get(key) is None:
                    yield p.where(s), f"no task definition artifact and no {key} ({key}.not.nullable)"
        elif bool(c.get("targetGroup")) != bool(c.get("loadBalancedContainer")):
            yield p.where(s), "with a task definition artifact, targetGroup and loadBalancedContainer go together"


@rule("ecs-task-definition-artifact", ORCA, ORCA_ECS_CREATOR,
      "useTaskDefinitionArtifact needs taskDefinitionArtifact (an expected artifact id or an "
      "inline artifact) and containerMappings naming each container's image.")
def ecs_task_definition_artifact(p):
    for s, c in p.clusters():
        if not c.get("useTaskDefinitionArtifact"):
            continue
        ref = c.get("taskDefinitionArtifact")
        if not isinstance(ref, dict) or not (ref.get("artifactId") or ref.get("artifact")):
            yield p.where(s), "no taskDefinitionArtifact: \"No task definition artifact found in context for operation.\""
        if not c.get("containerMappings"):
            yield p.where(s), "no containerMappings: \"No container mappings for task definition artifact found\""


@rule("ecs-template-properties", CLOUDDRIVER, ECS_OPERATION,
      "The task definition template is a JSON object whose keys are properties of "
      "RegisterTaskDefinitionRequest / ContainerDefinition in aws-java-sdk 1.12.261: clouddriver "
      "maps it with FAIL_ON_UNKNOWN_PROPERTIES.")
def ecs_template_properties(p):
    for s, c in p.clusters():
        if not c.get("useTaskDefinitionArtifact"):
            continue
        path, template = p.template(c)
        if path and template is None:
            yield p.where(s), f"the task definition template {path} is missing or not a JSON object"
            continue
        if template is None:
            continue
        for key in sorted(set(template) - TASK_DEFINITION_FIELDS):
            yield f"template {path}", f"{key!r} is not a RegisterTaskDefinitionRequest property: clouddriver fails to map it"
        for container in template.get("containerDefinitions") or []:
            if not isinstance(container, dict):
                continue
            name = container.get("name")
            for key in sorted(set(container) - CONTAINER_FIELDS):
                yield f"template {path}", f"container {name!r}: {key!r} is not a ContainerDefinition property"
            for field, allowed in NESTED_FIELDS.items():
                items = container.get(field)
                for item in items if isinstance(items, list) else [items] if isinstance(items, dict) else []:
                    for key in sorted(set(item or {}) - allowed):
                        yield f"template {path}", f"container {name!r}: {field}.{key} is not in aws-java-sdk 1.12.261"


@rule("ecs-template-network-mode", CLOUDDRIVER, ECS_OPERATION,
      "The template's networkMode, when set, equals the cluster's networkMode.")
def ecs_template_network_mode(p):
    for s, c in p.clusters():
        path, template = p.template(c) if c.get("useTaskDefinitionArtifact") else (None, None)
        mode = (template or {}).get("networkMode")
        if mode and mode != c.get("networkMode"):
            yield p.where(s), (f"template {path} has networkMode {mode!r}, the cluster {c.get('networkMode')!r}: "
                               "\"Task definition networkMode does not match server group value\"")


@rule("ecs-container-mappings", CLOUDDRIVER, ECS_OPERATION,
      "The template has containers; each containerMappings and targetGroupMappings containerName "
      "names exactly one of them, and a load-balanced port is one of its portMappings.")
def ecs_container_mappings(p):
    for s, c in p.clusters():
        path, template = p.template(c) if c.get("useTaskDefinitionArtifact") else (None, None)
        if template is None:
            continue
        containers = [x for x in template.get("containerDefinitions") or [] if isinstance(x, dict)]
        if not containers:
            yield f"template {path}", "\"Provided task definition does not contain any container definitions.\""
            continue
        for m in c.get("containerMappings") or []:
            n = sum(1 for x in containers if x.get("name") == (m or {}).get("containerName"))
            if n != 1:
                yield p.where(s), (f"containerMappings names {m.get('containerName')!r}: \"Invalid number of matching "
                                   f"containers found for mapping\" ({n} in {path}, expected 1)")
        for m in c.get("targetGroupMappings") or []:
            match = [x for x in containers if x.get("name") == (m or {}).get("containerName")]
            if m.get("containerName") and not match:
                yield p.where(s), f"targetGroupMappings names container {m.get('containerName')!r}, not in {path}"
            elif match and m.get("containerPort") is not None:
                ports = [pm.get("containerPort") for pm in match[0].get("portMappings") or [] if isinstance(pm, dict)]
                if m["containerPort"] not in ports:
                    yield p.where(s), (f"target group port {m['containerPort']!r} is no portMapping of container "
                                       f"{m['containerName']!r} in {path}")


@rule("ecs-image-from-trigger", ORCA, ORCA_ECS_CREATOR,
      "imageDescription.fromTrigger takes the tag from a Docker trigger with the same account and "
      "repository, and only from one: under any other trigger it fails with \"No tag found for image\".")
def ecs_image_from_trigger(p):
    docker = [t for t in p.triggers if t.get("type") == "docker" and t.get("enabled", True)]
    for s, c in p.clusters():
        images = [c.get("imageDescription")] + [(m or {}).get("imageDescription") for m in c.get("containerMappings") or []]
        for image in [i for i in images if isinstance(i, dict) and i.get("fromTrigger")]:
            if not any(t.get("account") == image.get("account") and t.get("repository") == image.get("repository")
                       for t in docker):
                kinds = sorted({t.get("type") for t in p.triggers}) or ["none"]
                yield p.where(s), (f"fromTrigger: true for {image.get('repository')!r} but no Docker trigger of account "
                                   f"{image.get('account')!r} and that repository (triggers: {', '.join(map(str, kinds))}): "
                                   f"\"No tag found for image {image.get('registry')}/{image.get('repository')} in trigger context.\"")


@rule("ecs-image-id", ORCA, ORCA_ECS_CREATOR,
      "An image not taken from the trigger has an imageId (or a tag): fromContext is honoured "
      "only in ad-hoc orchestrations, and without a tag the image becomes repository:null.")
def ecs_image_id(p):
    for s, c in p.clusters():
        images = [c.get("imageDescription")] + [(m or {}).get("imageDescription") for m in c.get("containerMappings") or []]
        for image in [i for i in images if isinstance(i, dict) and not i.get("fromTrigger")]:
            if not image.get("imageId") and not image.get("tag"):
                how = "fromContext is ignored in a pipeline; " if image.get("fromContext") else ""
                yield p.where(s), f"{how}no imageId and no tag: the image would be {image.get('repository')}:null"


# --- orca: stages, expressions, artifacts, triggers -------------------------------


@rule("orca-stage-type", ORCA, "orca-core/src/main/java/com/netflix/spinnaker/orca/StageResolver.java",
      "Every stage type is one orca ships (no preconfigured webhooks, custom jobs or plugins in "
      "this example).")
def orca_stage_type(p):
    for s in p.stages:
        if s.get("type") not in STAGE_TYPES:
            yield p.where(s), (f"type {s.get('type')!r} is no stage orca {SPINNAKER[ORCA][0]} ships (\"No "
                               "StageDefinitionBuilder implementation for ... found\"); a custom type needs a preconfigured "
                               "webhook or job in orca's configuration. Deck saves a Kubernetes Run Job as runJob")


@rule("orca-stage-graph", ORCA, ORCA_CORE + "model/StageExecutionInternals.java",
      "Stages have unique refIds; requisiteStageRefIds name existing stages and form no cycle; "
      "there is a stage to start with.")
def orca_stage_graph(p):
    refs = [s.get("refId") for s in p.stages]
    if not p.stages:
        yield "pipeline", "no stages"
    for s in p.stages:
        if not isinstance(s.get("refId"), str) or not s.get("refId"):
            yield p.where(s), "no refId"
        elif refs.count(s["refId"]) > 1:
            yield p.where(s), f"refId {s['refId']!r} is not unique"
        for r in s.get("requisiteStageRefIds") or []:
            if r not in p.by_ref:
                yield p.where(s), f"requisiteStageRefIds names {r!r}, no stage"
    if p.stages and not p.roots():
        yield "pipeline", "every stage waits for another: nothing starts"
    for s in p.stages:
        reach, todo = set(), list(s.get("requisiteStageRefIds") or [])
        while todo:
            ref = todo.pop()
            if ref not in reach and ref in p.by_ref:
                reach.add(ref)
                todo += list(p.by_ref[ref].get("requisiteStageRefIds") or [])
        if s.get("refId") in reach:
            yield p.where(s), "waits for itself (a cycle in requisiteStageRefIds)"


@rule("orca-deploy-strategy", ORCA, ORCA_STRATEGIES + "AbstractDeployStrategyStage.groovy",
      "A deploy cluster's strategy is a name orca registers: any other silently means no strategy.")
def orca_deploy_strategy(p):
    for s, c in p.clusters(ecs_only=False):
        strategy = c.get("strategy", "")
        if not isinstance(strategy, str) or "${" in strategy or strategy.lower() not in STRATEGIES:
            yield p.where(s), (f"strategy {strategy!r} is no strategy orca registers: getStrategy falls back to "
                               f"NoStrategy; use one of {sorted(STRATEGIES - {''})}")


@rule("orca-spel-evaluator", ORCA, ORCA_CORE + "expressions/PipelineExpressionEvaluator.java",
      "The pipeline sets spelEvaluator v4: expressions are evaluated when each stage starts, which "
      "is what reading the release at the start of the run relies on.")
def orca_spel_evaluator(p):
    if str(p.doc.get("spelEvaluator", "")).lower() != "v4":
        yield "pipeline", (f"spelEvaluator is {p.doc.get('spelEvaluator')!r}: the default v3 \"evaluates expressions "
                           "as soon as possible\" (not recommended); set \"v4\" (at stage start)")


@rule("orca-spel-functions", KORK, "kork-expressions/src/main/java/com/netflix/spinnaker/kork/expressions/ExpressionsSupport.java",
      "Every #function( in an expression is a helper kork or orca registers (orca-core "
      ".../pipeline/expressions/functions/).")
def orca_spel_functions(p):
    for s in p.stages:
        for path, expr in stage_expressions(s):
            for fn in sorted(functions_in(expr) - SPEL_FUNCTIONS):
                yield p.where(s), f"{path}: #{fn}() is no registered expression function"


@rule("orca-stage-reference", ORCA, ORCA_CORE + "expressions/functions/StageExpressionFunctionProvider.java",
      "Stage names are unique; #stage('name'), #stageByRefId('id') and #judgment('name') name a "
      "stage that runs before the one evaluating them (#judgment: a manual judgment).")
def orca_stage_reference(p):
    names = [s.get("name") for s in p.stages]
    for s in p.stages:
        if not s.get("name"):
            yield p.where(s), "no name"
        elif names.count(s["name"]) > 1:
            yield p.where(s), f"name {s['name']!r} is not unique: #stage() finds the first"
        elif re.fullmatch(r"(Deploy|Clone) in .+|shrinkCluster|disableCluster|scaleDown", s["name"]):
            yield p.where(s), f"name {s['name']!r} is also the name of a synthetic stage orca adds"
    for s in p.stages:
        before = {u.get("name"): u for u in p.upstream(s)}
        before_refs = {u.get("refId") for u in p.upstream(s)}
        for path, expr in stage_expressions(s):
            for fn in ("stage", "judgment", "judgement"):
                for name in string_args(expr, fn):
                    if name not in names:
                        yield p.where(s), f"{path}: #{fn}('{name}') names no stage"
                    elif name not in before:
                        yield p.where(s), f"{path}: #{fn}('{name}') names a stage that does not run before this one"
                    elif fn != "stage" and before[name].get("type") != "manualJudgment":
                        yield p.where(s), f"{path}: #{fn}('{name}') is not a manual judgment"
            for ref in string_args(expr, "stageByRefId"):
                if ref not in before_refs:
                    yield p.where(s), f"{path}: #stageByRefId('{ref}') is not a stage that runs before this one"


def context_names(p: Pipeline, stage: dict) -> set[str]:
    """What a stage's expressions can look up: the root names, its own context, and the
    outputs of the evaluateVariables stages before it."""
    return ROOT_NAMES | set(stage) | set(p.variables_before(stage))


def template_expressions(p: Pipeline) -> Iterator[tuple[dict, dict, str, str]]:
    """(deploy stage, cluster, template path, expression) of evaluated templates."""
    for s, c in p.clusters():
        if c.get("useTaskDefinitionArtifact") and c.get("evaluateTaskDefinitionArtifactExpressions"):
            path, template = p.template(c)
            for _, text in strings(template or {}):
                for expr in expressions_in(text):
                    yield s, c, path, expr


@rule("orca-spel-variables", ORCA, ORCA_CORE + "util/ContextParameterProcessor.java",
      "Every name an expression looks up exists when it runs: parameters/trigger/execution, the "
      "stage's own context, or an evaluateVariables output before it; parameters.X is a declared "
      "parameter. (An unknown name evaluates to null and leaves the ${...} text in place.)")
def orca_spel_variables(p):
    def check(where, path, expr, known):
        for name in sorted(roots_in(expr) - known):
            yield where, f"{path}: {name!r} is not defined when this is evaluated"
        for m in re.finditer(r"\bparameters\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*'([^']*)'\s*\])", expr):
            name = m.group(1) or m.group(2)
            if name not in p.params:
                yield where, f"{path}: parameters.{name} is not a parameter of the pipeline"
    for s in p.stages:
        known = context_names(p, s)
        if s.get("type") == "evaluateVariables":  # each variable sees the ones before it
            for n, v in enumerate(s.get("variables") or []):
                for expr in expressions_in(str((v or {}).get("value", ""))):
                    yield from check(p.where(s), f"variables[{n}].value", expr, known)
                known = known | {(v or {}).get("key")}
            continue
        for path, expr in stage_expressions(s):
            yield from check(p.where(s), path, expr, known)
    for s, c, path, expr in template_expressions(p):
        yield from check(f"template {path}", "", expr, context_names(p, s) | set(c))


@rule("orca-variable-shadowing", ORCA, ORCA_CORE + "model/StageContext.java",
      "An evaluateVariables key is no root name and no key of the context of a stage that uses "
      "it: StageContext looks in the stage's own context before the ancestors' outputs.")
def orca_variable_shadowing(p):
    for s in p.stages:
        keys = [(v or {}).get("key") for v in s.get("variables") or []] if s.get("type") == "evaluateVariables" else []
        for key in keys:
            if keys.count(key) > 1:
                yield p.where(s), f"variable {key!r} is defined twice"
            if key in ROOT_NAMES:
                yield p.where(s), f"variable {key!r} is hidden by orca's own {key!r}"
    for s in p.stages:
        produced = p.variables_before(s)
        for path, expr in stage_expressions(s):
            for name in roots_in(expr) & set(produced) & set(s):
                yield p.where(s), f"{path}: {name!r} reads this stage's own {name!r}, not the variable"
    for s, c, path, expr in template_expressions(p):
        for name in roots_in(expr) & set(p.variables_before(s)) & (set(c) | set(s)):
            yield f"template {path}", f"{name!r} reads the deploy's own {name!r}, not the variable"


@rule("orca-failed-expressions", ORCA, ORCA_QUEUE + "handler/CompleteStageHandler.kt",
      "Every stage with expressions sets failOnFailedExpressions: true; otherwise an expression "
      "that fails leaves its ${...} text in the value and the run goes on.")
def orca_failed_expressions(p):
    for s in p.stages:
        if has_expression(s) and s.get("failOnFailedExpressions") is not True:
            yield p.where(s), "has expressions but not failOnFailedExpressions: true"


@rule("orca-precondition", ORCA, ORCA_CORE + "tasks/ExpressionPreconditionTask.java",
      "A checkPreconditions stage has preconditions; an expression precondition has a non-empty "
      "context.expression (the default is \"false\"); no noop precondition.")
def orca_precondition(p):
    for s in p.stages:
        if s.get("type") != "checkPreconditions":
            continue
        pre = s.get("preconditions")
        if not isinstance(pre, list) or not pre:
            yield p.where(s), "no preconditions"
            continue
        for n, c in enumerate(pre):
            kind = (c or {}).get("type")
            if kind not in {"expression", "stageStatus", "clusterSize"}:
                yield p.where(s), f"preconditions[{n}] type {kind!r}: no precondition that checks anything"
            elif kind == "expression":
                expr = ((c.get("context") or {}).get("expression"))
                if not isinstance(expr, str) or not expr.strip():
                    yield p.where(s), f"preconditions[{n}] has no context.expression"


@rule("orca-stage-enabled", ORCA, ORCA_CORE + "model/OptionalStageSupport.java",
      "stageEnabled is {type: expression, expression: <non-empty>}; anything else makes the stage "
      "not optional.")
def orca_stage_enabled(p):
    for s in p.stages:
        enabled = s.get("stageEnabled")
        if enabled is None:
            continue
        if not isinstance(enabled, dict) or str(enabled.get("type", "")).lower() != "expression":
            yield p.where(s), "stageEnabled.type is not 'expression': orca ignores it and always runs the stage"
        elif not str(enabled.get("expression") or "").strip():
            yield p.where(s), "stageEnabled has no expression: orca always runs the stage"


@rule("orca-fail-closed", ORCA, "orca-kotlin/src/main/kotlin/com/netflix/spinnaker/orca/ext/Stage.kt",
      "No stage (and no precondition) sets continuePipeline: true or failPipeline: false: a failed "
      "check would not stop the stages after it.")
def orca_fail_closed(p):
    for s in p.stages:
        if s.get("continuePipeline") is True:
            yield p.where(s), "continuePipeline: true: when it fails (FAILED_CONTINUE) the stages after it still run"
        if s.get("failPipeline") is False:
            yield p.where(s), "failPipeline: false: when it fails the pipeline does not fail"
        for n, c in enumerate(s.get("preconditions") or []):
            if (c or {}).get("failPipeline") is False:
                yield p.where(s), f"preconditions[{n}] failPipeline: false: a failed precondition does not stop the run"


@rule("orca-codebuild-stage", ORCA, ORCA_IGOR + "tasks/StartAwsCodeBuildTask.java",
      "An awsCodeBuild stage names an igor CodeBuild account and a project; environmentVariables "
      "map names to strings and hold no secrets (sent as PLAINTEXT); a source override has a git/repo "
      "or s3/object artifact; a buildspec file exists.")
def orca_codebuild_stage(p):
    for s in p.stages:
        if s.get("type") != "awsCodeBuild":
            continue
        for key in ("account", "projectName"):
            if not isinstance(s.get(key), str) or not s[key]:
                yield p.where(s), f"no {key}"
        env = s.get("environmentVariables") or {}
        if not isinstance(env, dict):
            yield p.where(s), "environmentVariables is not a map of names to values"
            env = {}
        for name, value in env.items():
            if not isinstance(value, str):
                yield p.where(s), f"environmentVariables.{name} is not a string"
            if SECRET_NAME.search(name):
                yield p.where(s), f"environmentVariables.{name}: every variable goes to CodeBuild as PLAINTEXT; pass no secrets"
        source = s.get("source") or {}
        if source.get("sourceOverride"):
            art = source.get("sourceArtifact") or {}
            bound = p.artifacts.get(art.get("artifactId"), {}).get("matchArtifact") if art.get("artifactId") else art.get("artifact")
            if not bound:
                yield p.where(s), "sourceOverride without a sourceArtifact: \"No artifact was specified.\""
            elif bound.get("type") not in {"git/repo", "s3/object"}:
                yield p.where(s), f"source artifact type {bound.get('type')!r}: only git/repo and s3/object are supported"
        path, text = p.buildspec(s)
        if path and path != "inline" and text is None:
            yield p.where(s), f"buildspec {path} does not exist in the repository"


@rule("orca-codebuild-exports", ORCA, ORCA_IGOR + "model/AwsCodeBuildExecution.java",
      "A value read from #stage(X)['context']['buildInfo']['exportedEnvironmentVariables'] comes "
      "from an awsCodeBuild stage X that runs before, whose buildspec exports that variable.")
def orca_codebuild_exports(p):
    by_name = {s.get("name"): s for s in p.stages}
    for s in p.stages:
        before = {u.get("name") for u in p.upstream(s)}
        for path, expr in stage_expressions(s):
            for m in EXPORTED_READ.finditer(expr):
                name, var = m.group(1), m.group(2)
                src = by_name.get(name)
                if not src or src.get("type") != "awsCodeBuild":
                    yield p.where(s), f"{path}: {name!r} is not an awsCodeBuild stage: it has no exported variables"
                elif name not in before:
                    yield p.where(s), f"{path}: {name!r} does not run before this stage"
                elif var is None:
                    yield p.where(s), f"{path}: reads exportedEnvironmentVariables without selecting a name"
                elif var not in p.exports(src):
                    spec, _ = p.buildspec(src)
                    yield p.where(s), f"{path}: {var} is not in env.exported-variables of {spec}"


@rule("orca-artifacts", ORCA, ORCA_CORE + "util/ArtifactUtils.java",
      "Expected artifact ids are unique; triggers and stages name existing ones; an artifact a "
      "stage uses is resolved when the run starts (bound by the trigger, or a default/prior one).")
def orca_artifacts(p):
    ids = [a.get("id") for a in p.doc.get("expectedArtifacts") or [] if isinstance(a, dict)]
    for i in sorted({i for i in ids if ids.count(i) > 1}):
        yield "pipeline", f"expected artifact id {i!r} is not unique"
    by_trigger = set()
    for t in p.triggers:
        for i in t.get("expectedArtifactIds") or []:
            by_trigger.add(i)
            if i not in p.artifacts:
                yield "pipeline", f"trigger {t.get('type')!r} expects artifact {i!r}, which is not an expected artifact"
    for s in p.stages:
        used = [(c.get("taskDefinitionArtifact") or {}).get("artifactId") for c in s.get("clusters") or [] if isinstance(c, dict)]
        source = s.get("source") if isinstance(s.get("source"), dict) else {}
        used.append((source.get("sourceArtifact") or {}).get("artifactId"))
        for i in [u for u in used if u]:
            a = p.artifacts.get(i)
            if a is None:
                yield p.where(s), f"artifact {i!r} is not an expected artifact of the pipeline"
            elif not (i in by_trigger or (a.get("useDefaultArtifact") and a.get("defaultArtifact")) or a.get("usePriorArtifact")):
                yield p.where(s), (f"artifact {i!r} is resolved neither by a trigger nor by default: resolveArtifacts "
                                   "skips it and the stage cannot bind it")


@rule("orca-artifact-functions", ORCA, ORCA_CORE + "expressions/functions/ArtifactExpressionFunctionProvider.java",
      "#triggerResolvedArtifactByType('t') and #triggerResolvedArtifact('name') find an expected "
      "artifact of that type or name that a trigger binds.")
def orca_artifact_functions(p):
    bound = [p.artifacts[i].get("matchArtifact") or {} for t in p.triggers for i in t.get("expectedArtifactIds") or []
             if i in p.artifacts]
    for s in p.stages:
        for path, expr in stage_expressions(s):
            for kind in string_args(expr, "triggerResolvedArtifactByType"):
                if not any(a.get("type") == kind for a in bound):
                    yield p.where(s), f"{path}: no trigger binds an expected artifact of type {kind!r}"
            for name in string_args(expr, "triggerResolvedArtifact"):
                if not any(a.get("name") == name for a in bound):
                    yield p.where(s), f"{path}: no trigger binds an expected artifact named {name!r}"


@rule("orca-limit-concurrent", ORCA, ORCA_QUEUE + "pending/PendingExecutionService.kt",
      "limitConcurrent is true: one run at a time, later ones wait (two runs at once would both "
      "deploy into the same standby color).")
def orca_limit_concurrent(p):
    if p.doc.get("limitConcurrent") is not True:
        yield "pipeline", "limitConcurrent is not true: concurrent runs read the same standby color and deploy into it"


@rule("orca-keep-waiting", ORCA, ORCA_QUEUE + "handler/StartWaitingExecutionsHandler.kt",
      "With limitConcurrent, keepWaitingPipelines is true: otherwise, when a run ends, orca starts "
      "only the newest waiting run and cancels the others (CompleteExecutionHandler pushes "
      "StartWaitingExecutions with purgeQueue = !keepWaitingPipelines); and one pipeline (one "
      "queue) serves one environment, so a run waiting at a judgment holds back no other environment.")
def orca_keep_waiting(p):
    if p.doc.get("limitConcurrent") is True and p.doc.get("keepWaitingPipelines") is not True:
        yield "pipeline", ("keepWaitingPipelines is not true: a finished run starts the newest waiting run and "
                           "cancels the rest, so an image queued behind another is never deployed")
    if p.doc.get("limitConcurrent") is True:
        for param in p.doc.get("parameterConfig") or []:
            if (param or {}).get("name") == "environment":
                options = [o.get("value") for o in param.get("options") or [] if isinstance(o, dict)]
                if len(options) != 1:
                    yield "pipeline", (f"parameter 'environment' offers {options or 'any value'}: one queue for several "
                                       "environments (a prod run waiting for its judgment blocks dev); one pipeline per environment")


@rule("orca-cluster-selection", ORCA, "orca-clouddriver/src/main/java/com/netflix/spinnaker/orca/clouddriver/pipeline/"
      "cluster/AbstractClusterWideClouddriverOperationStage.java",
      "A cluster-wide stage (shrinkCluster, disableCluster, scaleDownCluster) names its cluster (or "
      "moniker.cluster), its credentials (required) and regions, and its cloudProvider: the "
      "default is aws, which finds no ECS cluster.")
def orca_cluster_selection(p):
    for s in p.stages:
        if s.get("type") not in CLUSTER_WIDE:
            continue
        if not (s.get("cluster") or (s.get("moniker") or {}).get("cluster")):
            yield p.where(s), "no cluster and no moniker.cluster (\"At least one of 'cluster' and 'moniker' is required\")"
        if not s.get("credentials"):
            yield p.where(s), "no credentials: ClusterSelection requires them"
        if not (s.get("regions") or s.get("zones") or s.get("namespaces")):
            yield p.where(s), "no regions: the stage has no location to act in"
        deploys_ecs = any(True for _ in p.clusters())
        if deploys_ecs and s.get("cloudProvider") != "ecs":
            yield p.where(s), (f"cloudProvider is {s.get('cloudProvider')!r} (default aws) in a pipeline that deploys "
                               "to ECS: clouddriver looks for an AWS cluster of that name")


@rule("echo-webhook-constraints", ECHO, ECHO_TRIGGERS + "eventhandlers/WebhookEventHandler.java",
      "A webhook trigger has payloadConstraints, and each constraint is an anchored regex (^...$): "
      "echo matches it with find() (ArtifactMatcher), so an unanchored 'dev' also accepts 'notdev'. "
      "The webhook itself takes any caller; the constraints and the expected artifact decide what runs.")
def echo_webhook_constraints(p):
    for t in p.triggers:
        if t.get("type") != "webhook":
            continue
        constraints = t.get("payloadConstraints")
        if not isinstance(constraints, dict) or not constraints:
            yield "pipeline", f"webhook trigger {t.get('source')!r} has no payloadConstraints: any payload starts the run"
            continue
        for key, value in constraints.items():
            if not (isinstance(value, str) and value.startswith("^") and value.endswith("$")):
                yield "pipeline", f"payloadConstraints.{key} = {value!r} is not anchored (^...$): echo matches with find()"
        params = {q.get("name") for q in p.doc.get("parameterConfig") or [] if isinstance(q, dict) and q.get("options")}
        for name in sorted(params):
            if not any(k in (name, f"parameters.{name}", f"$.parameters.{name}") for k in constraints):
                yield "pipeline", f"webhook trigger {t.get('source')!r} does not constrain parameters.{name}"


def _regex_literal(pattern: str) -> str:
    """A string a simple regex of escaped literals stands for (for sample names)."""
    return re.sub(r"\\(.)", r"\1", pattern)


@rule("kork-expected-artifact-match", KORK, "kork-artifacts/src/main/java/com/netflix/spinnaker/kork/artifacts/"
      "model/ExpectedArtifact.java",
      "An image artifact a trigger binds is constrained beyond type and name: matchArtifact's fields "
      "are whole-string regexes (Pattern.matches), and an unset field matches anything. The "
      "reference must admit only an image of the named repository by digest (name@sha256:<64 hex>), "
      "never a tag, never another registry.")
def kork_expected_artifact_match(p):
    for t in p.triggers:
        for i in t.get("expectedArtifactIds") or []:
            match = (p.artifacts.get(i) or {}).get("matchArtifact") or {}
            if match.get("type") != "docker/image":
                continue
            name, ref = match.get("name") or "", match.get("reference") or ""
            if not name:
                yield "pipeline", f"expected artifact {i!r}: matchArtifact has no name: any repository matches"
            if not ref:
                yield "pipeline", (f"expected artifact {i!r}: matchArtifact has no reference: ExpectedArtifact.matches "
                                   "then compares type and name only, so any tag or registry is deployed")
                continue
            try:
                rx = re.compile(ref)
            except re.error as e:
                yield "pipeline", f"expected artifact {i!r}: reference {ref!r} is not a regex ({e})"
                continue
            repo = _regex_literal(name) or "registry.example.com/app"
            digest = "sha256:" + "0" * 64
            if not rx.fullmatch(f"{repo}@{digest}"):
                yield "pipeline", f"expected artifact {i!r}: reference {ref!r} does not admit {repo}@sha256:<digest>"
            for bad in (f"{repo}:latest", f"{repo}@{digest}:latest", f"evil.example.com/{repo.split('/')[-1]}@{digest}",
                        f"x{repo}@{digest}"):
                if rx.fullmatch(bad):
                    yield "pipeline", f"expected artifact {i!r}: reference {ref!r} admits {bad!r}: only the repository's digests may deploy"


@rule("ecs-task-role-from-template", CLOUDDRIVER, ECS_OPERATION,
      "With a task definition artifact clouddriver takes the task role from the template only: it "
      "sets TaskRoleArn from iamRole only when no artifact is used (makeTaskDefinitionRequest, not "
      "makeTaskDefinitionRequestFromArtifact). The template sets taskRoleArn; iamRole beside an "
      "artifact is ignored.")
def ecs_task_role_from_template(p):
    for s, c in p.clusters():
        if not c.get("useTaskDefinitionArtifact"):
            continue
        path, template = p.template(c)
        if template is not None and not template.get("taskRoleArn"):
            yield f"template {path}", "no taskRoleArn: tasks of the server group get no task role"
        if c.get("iamRole"):
            yield p.where(s), "iamRole with a task definition artifact: clouddriver ignores it (set taskRoleArn in the template)"


# --- this example's safety contract (issue 14), and the Spinnaker code behind it ---


@rule("safe-no-dynatrace", ORCA, "orca-webhook/src/main/java/com/netflix/spinnaker/orca/webhook/pipeline/PreconfiguredWebhookStage.java",
      "No Dynatrace (or Keptn) URL, token, auth header or webhook stage in the pipeline or its "
      "template: the verification runs in the provider, and orca copies a preconfigured webhook's "
      "headers into every execution's context.")
def safe_no_dynatrace(p):
    for s in p.stages:
        if s.get("type") == "webhook" or "dynatrace" in str(s.get("type", "")).lower():
            yield p.where(s), f"type {s.get('type')!r}: no webhook stages; the provider's gate calls Dynatrace"
        for path, text in strings(s):
            if DYNATRACE.search(text) and path.split(".")[-1] not in PROSE:
                yield p.where(s), f"{path}: {text[:60]!r} is Dynatrace or Keptn API material"
            if path.endswith("customHeaders") or AUTH_HEADERS.match(text) and "eader" in path:
                yield p.where(s), f"{path}: a request header in the pipeline"
    for path, text in strings({k: v for k, v in p.doc.items() if k != "stages"}):
        if DYNATRACE.search(text) and path.split(".")[-1] not in PROSE:
            yield "pipeline", f"{path}: {text[:60]!r} is Dynatrace or Keptn API material"
    for s, c in p.clusters():
        tpath, template = p.template(c)
        for path, text in strings(template or {}):
            if DYNATRACE.search(text):
                yield f"template {tpath}", f"{path}: a Dynatrace token or API in the task definition"


@rule("safe-trigger-not-trusted", ORCA, ORCA_CORE + "util/ContextParameterProcessor.java",
      "Only the first stage (the one that reads the release) reads parameters or the trigger; "
      "everything after uses what it read. parameters is the trigger's, fixed when the run was "
      "queued, and the run ahead may have promoted since. (The image comes from the trigger's "
      "artifact through #triggerResolvedArtifact*.)")
def safe_trigger_not_trusted(p):
    roots = p.roots()
    for name in sorted(p.params):
        if re.search(r"color|target|active|standby|cluster|account|listener", name or "", re.I):
            yield "pipeline", f"parameter {name!r}: what to deploy into is read when the run starts, not passed in"
    for s in p.stages:
        if s in roots:
            continue
        for path, expr in stage_expressions(s):
            used = roots_in(expr) & {"parameters", "trigger"}
            if "execution" in roots_in(expr) and re.search(r"\bexecution\s*\.\s*trigger\b", expr):
                used.add("execution.trigger")
            for name in sorted(used):
                yield p.where(s), f"{path}: reads {name}, fixed at trigger time; use the values the first stage read"
    for s, c, path, expr in template_expressions(p):
        for name in sorted(roots_in(expr) & {"parameters", "trigger"}):
            yield f"template {path}", f"reads {name}, fixed at trigger time"


@rule("safe-read-at-start", ORCA, ORCA_CORE + "EvaluateVariablesStage.java",
      "The run starts with one job that reads the release (it exports ACTIVE_COLOR, STANDBY_COLOR, "
      "STANDBY_TARGET_GROUP_NAME, STANDBY_TRAFFIC_PERCENT), an evaluateVariables stage names them, "
      "and a precondition before every deploy checks standby_color != active_color and "
      "standby_traffic_percent == '0'.")
def safe_read_at_start(p):
    roots = p.roots()
    if len(roots) != 1 or roots[0].get("type") not in JOB_STAGES:
        yield "pipeline", f"the run must start with one job that reads the release; it starts with {[s.get('name') for s in roots]}"
        return
    read = roots[0]
    missing = set(READ_AT_START.values()) - p.exports(read)
    if missing:
        yield p.where(read), f"exports none of {sorted(missing)} (env.exported-variables of its buildspec)"
    for s, _ in p.clusters(ecs_only=False):
        variables = p.variables_before(s)
        for key, var in READ_AT_START.items():
            m = EXPORTED_READ.search(str(variables.get(key, "")))
            if not m or m.group(1) != read.get("name") or m.group(2) != var:
                yield p.where(s), f"no variable {key!r} read from {read.get('name')!r}'s {var} runs before it"
        checks = " ".join(re.sub(r"\s+", "", str(((c or {}).get("context") or {}).get("expression", "")))
                          for u in p.upstream(s) if u.get("type") == "checkPreconditions"
                          for c in u.get("preconditions") or [])
        if "standby_color!=active_color" not in checks and "active_color!=standby_color" not in checks:
            yield p.where(s), "no precondition before it checks standby_color != active_color"
        if "standby_traffic_percent=='0'" not in checks:
            yield p.where(s), "no precondition before it checks standby_traffic_percent == '0' (no canary on the standby)"


@rule("safe-gate-is-configuration", ORCA, ORCA_CORE + "model/OptionalStageSupport.java",
      "Which gate runs is Terraform configuration: no parameter names a gate, and only a manual "
      "judgment or a wait may be optional (stageEnabled), on a value read from Terraform.")
def safe_gate_is_configuration(p):
    for name in sorted(p.params):
        if re.search(r"gate|judg|approv|skip|quality|verif|check", name or "", re.I):
            yield "pipeline", f"parameter {name!r} lets the caller choose a gate"
    for s in p.stages:
        if s.get("stageEnabled") is not None and s.get("type") not in {"manualJudgment", "wait"}:
            yield p.where(s), f"a {s.get('type')} stage is optional (stageEnabled): the checks and the promotion always run"


def _targets_standby_cluster(value: str) -> bool:
    return value.endswith("-" + STANDBY) or ("-" + STANDBY + "-v") in value


def _targets_cluster(value: str, color: str) -> bool:
    return value.endswith("-" + color) or ("-" + color + "-v") in value


@rule("safe-live-color-untouched", ORCA, ORCA_STRATEGIES + "HighlanderStrategy.groovy",
      "Nothing disables, resizes or destroys a server group of the live color: deploys go to the "
      "standby color's cluster and target group (highlander, red/black and rolling red/black act "
      "only on the deploy's own cluster); a cluster or server-group stage before the promotion "
      "targets the standby color's cluster, one after it only the old color's (...-${active_color}, "
      "live no more); nothing names a literal color or the bootstrap services.")
def safe_live_color_untouched(p):
    promotions = [s for s in p.stages if s.get("type") in JOB_STAGES and is_promotion(p, s)]
    for s, c in p.clusters(ecs_only=False):
        details = (("freeFormDetails", c.get("freeFormDetails")), ("moniker.detail", (c.get("moniker") or {}).get("detail")))
        for field, value in details:
            if value != STANDBY:
                yield p.where(s), (f"{field} is {value!r}, not {STANDBY}: the cluster (and what its strategy "
                                   "disables) must be the standby color's")
        for m in (c.get("targetGroupMappings") or []) + ([{"targetGroup": c["targetGroup"]}] if c.get("targetGroup") else []):
            if (m or {}).get("targetGroup") != STANDBY_TARGET_GROUP:
                yield p.where(s), f"registers with target group {(m or {}).get('targetGroup')!r}, not {STANDBY_TARGET_GROUP}"
        if str(c.get("strategy", "")).lower() in {"custom", "monitored"}:
            yield p.where(s), f"strategy {c.get('strategy')!r} runs stages outside the deploy's own cluster"
        if any(pr in p.upstream(s) for pr in promotions):
            yield p.where(s), "deploys after the promotion: the standby color is live by then"
    for s in p.stages:
        after = any(pr in p.upstream(s) for pr in promotions)
        allowed = "${active_color}" if after else STANDBY
        if s.get("type") in CLUSTER_OPS:
            targets = [v for k, v in strings(s, keys=False) if k.split(".")[-1] in {"cluster", "serverGroupName", "asgName", "serverGroup"}
                       and isinstance(v, str)]
            if not targets:
                yield p.where(s), f"a {s.get('type')} stage that names no cluster"
            for value in targets:
                if not _targets_cluster(value, allowed):
                    when = "after the promotion only the old color's cluster" if after else "only the standby color's cluster"
                    yield p.where(s), f"{s.get('type')} on {value!r}: {when} ...-{allowed}"
        if s.get("type") in CLUSTER_OPS or s.get("type") == "deploy":
            for path, text in strings(s, keys=False):
                if path.split(".")[-1] in PROSE:
                    continue
                if "active_color" in text and not after:
                    yield p.where(s), f"{path}: names the live color ({text[:50]!r})"
                if "standby_color" in text and after:
                    yield p.where(s), f"{path}: names the color the promotion made live ({text[:50]!r})"
                if re.search(r"-(blue|green)(-|$)|bootstrap", text) and "${" not in text:
                    yield p.where(s), f"{path}: {text!r} names a color or the bootstrap services literally"


def _job_sets(p: Pipeline, s: dict, name: str, value: str) -> bool:
    return (s.get("environmentVariables") or {}).get(name) == value and name in p.job_commands(s)


@rule("safe-recheck-before-deploy", ORCA, ORCA_STRATEGIES + "HighlanderStrategy.groovy",
      "Right before each deploy a job re-reads the release (EXPECT_ACTIVE_COLOR=${active_color}, "
      "a script that compares it): if a rollback moved traffic since the run read it, the standby "
      "color read at the start is live, the deploy would go into it and highlander would then "
      "destroy the live server group.")
def safe_recheck_before_deploy(p):
    for s, _ in p.clusters(ecs_only=False):
        direct = [p.by_ref.get(r) for r in s.get("requisiteStageRefIds") or []]
        if not any(d and d.get("type") in JOB_STAGES and _job_sets(p, d, "EXPECT_ACTIVE_COLOR", "${active_color}")
                   for d in direct):
            yield p.where(s), ("the stage right before it is no job re-reading the release with "
                               "EXPECT_ACTIVE_COLOR=${active_color}: a rollback since the read sends the deploy into the live color")


@rule("safe-retire-after-promotion", ORCA, ORCA_CLUSTER + "DisableClusterTask.groovy",
      "After the promotion (and only after it succeeded: it runs downstream of the promotion stage) "
      "one disableCluster stage retires the old color's cluster ...-${active_color}: "
      "remainingEnabledServerGroups 0 (the default 1 leaves the newest one running) and "
      "continueIfClusterNotFound true (AbstractClusterWideClouddriverTask fails on an empty or "
      "missing cluster, as the old color's is on the first run).")
def safe_retire_after_promotion(p):
    promotions = [s for s in p.stages if s.get("type") in JOB_STAGES and is_promotion(p, s)]
    retires = [s for s in p.stages if s.get("type") == "disableCluster"
               and _targets_cluster(str(s.get("cluster") or (s.get("moniker") or {}).get("cluster") or ""), "${active_color}")]
    if len(retires) != 1:
        yield "pipeline", f"{len(retires)} disableCluster stages retire the old color's cluster ...-${{active_color}}; expected 1"
    for s in retires:
        if not any(pr in p.upstream(s) for pr in promotions):
            yield p.where(s), "does not run after the promotion: the old color would be retired while it is live"
        if s.get("remainingEnabledServerGroups") != 0:
            yield p.where(s), (f"remainingEnabledServerGroups is {s.get('remainingEnabledServerGroups')!r} (default 1): "
                               "the newest server group of the old color keeps running")
        if s.get("continueIfClusterNotFound") is not True:
            yield p.where(s), "continueIfClusterNotFound is not true: the first run, with no server group in the old color, fails"


@rule("safe-same-commit", ORCA, ORCA_CORE + "util/ArtifactUtils.java",
      "Every stage after the read runs at the commit the read ran at (${source_commit}): job stages "
      "as their sourceVersion, the deploy's task definition template as an inline artifact whose "
      "version is ${source_commit}. An expected artifact's default version (a branch) is resolved "
      "when the run is triggered, and a branch moves under a waiting run.")
def safe_same_commit(p):
    roots = p.roots()
    for s in p.stages:
        if s in roots or s.get("type") not in JOB_STAGES or s.get("type") != "awsCodeBuild":
            continue
        if ((s.get("source") or {}).get("sourceVersion")) != "${source_commit}":
            yield p.where(s), f"sourceVersion is {(s.get('source') or {}).get('sourceVersion')!r}, not ${{source_commit}}"
    for s, c in p.clusters():
        if not c.get("useTaskDefinitionArtifact"):
            continue
        ref = c.get("taskDefinitionArtifact") or {}
        version = (ref.get("artifact") or {}).get("version")
        if version != "${source_commit}":
            yield p.where(s), (f"the task definition template is read at {version or 'the expected artifact default'!r}, "
                               "not at ${source_commit} (the commit the release was read at)")


@rule("safe-promote-by-action", ORCA, ORCA_IGOR + "pipeline/AwsCodeBuildStage.java",
      "Exactly one stage promotes: a job that runs `terraform apply -invoke` of the "
      "bluegreen_ecs_promote action with TO_COLOR=${standby_color} and FROM_COLOR=${active_color}, "
      "after every deploy, precondition and judgment; no other stage runs terraform apply.")
def safe_promote_by_action(p):
    promotions = [s for s in p.stages if s.get("type") in JOB_STAGES and is_promotion(p, s)]
    if len(promotions) != 1:
        yield "pipeline", f"{len(promotions)} stages run terraform apply -invoke=...bluegreen_ecs_promote...; expected 1"
    for s in p.stages:
        if s not in promotions and s.get("type") in JOB_STAGES and runs_terraform_apply(p, s):
            yield p.where(s), "runs terraform apply: only the promotion moves traffic, through the action"
    for promote in promotions:
        env = promote.get("environmentVariables") or {}
        for name, value in (("TO_COLOR", STANDBY), ("FROM_COLOR", "${active_color}")):
            if env.get(name) != value:
                yield p.where(promote), f"environmentVariables.{name} is {env.get(name)!r}, not {value}"
        before = {u.get("refId") for u in p.upstream(promote)}
        for s in p.stages:
            if s.get("type") in {"deploy", "checkPreconditions", "manualJudgment"} and s.get("refId") not in before:
                yield p.where(promote), f"does not wait for {p.where(s)}"


# --- running -------------------------------------------------------------------------


def read_repo_file(path: str) -> str | None:
    f = (ROOT / path).resolve()
    if ROOT not in f.parents or not f.is_file():
        return None
    return f.read_text()


def check_pipeline(doc: dict, name: str = "pipeline",
                   read_file: Callable[[str], str | None] = read_repo_file) -> list[Violation]:
    """All violations of one parsed pipeline."""
    p = Pipeline(doc, name, read_file)
    found = []
    for r in RULES:
        try:
            found += [Violation(r, where, message) for where, message in r.check(p)]
        except (AttributeError, TypeError, KeyError) as e:  # a malformed pipeline
            found.append(Violation(r, "pipeline", f"cannot check: malformed JSON ({type(e).__name__}: {e})"))
    return found


def shipped() -> list[Path]:
    return sorted(f for f in PIPELINES.glob("*.json") if f.name not in TEMPLATES)


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if argv[:1] == ["--list"]:
        for r in RULES:
            print(f"{r.id:30} {r.source}\n{'':30} {r.text}")
        return 0
    files = [Path(a) for a in argv] or shipped()
    versions = ", ".join(f"{repo.split('/')[1]} {tag}" for repo, (tag, _) in SPINNAKER.items())
    print(f"check_spinnaker: {len(RULES)} rules read from {RELEASE}: {versions}")
    failed = 0
    for f in files:
        try:
            doc = json.loads(f.read_text())
        except (OSError, ValueError) as e:
            print(f"FAIL  {f}: {e}")
            failed += 1
            continue
        violations = check_pipeline(doc, str(f)) if isinstance(doc, dict) else []
        if not isinstance(doc, dict):
            print(f"FAIL  {f}: not a pipeline (JSON object)")
            failed += 1
            continue
        print(f"{'ok' if not violations else 'FAIL':5} {f} ({len(violations)} violations)")
        for v in violations:
            print(f"      {v}")
        failed += bool(violations)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
