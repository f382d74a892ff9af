#!/usr/bin/env python3
"""Tests of tools/checkers/check_spinnaker.py: the shipped pipeline passes, and broken copies of
it (made here, in memory) are each caught by the rule that should catch them.

    .venv/bin/python tools/checkers/test_check_spinnaker.py      (make test-spinnaker)

Every rule of the checker has at least one broken copy (test_every_rule_has_a_mutation).
The first two are the blockers of issue 14: an ECS deploy cluster without
placementStrategySequence, and fromTrigger: true under the webhook trigger.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_spinnaker as cs  # noqa: E402

PIPELINE = cs.PIPELINES / "ecs-bluegreen-dev.json"
TEMPLATE = "examples/complete/spinnaker/pipelines/artifact-template.json"
READ_BUILDSPEC = "examples/complete/spinnaker/codebuild/read-release.yml"
PROMOTE_BUILDSPEC = "examples/complete/spinnaker/codebuild/promote.yml"


def shipped() -> dict:
    return json.loads(PIPELINE.read_text())


def stage(doc: dict, name: str) -> dict:
    return next(s for s in doc["stages"] if s["name"] == name)


def cluster(doc: dict) -> dict:
    return stage(doc, "Deploy to standby color")["clusters"][0]


def image(doc: dict) -> dict:
    return cluster(doc)["containerMappings"][0]["imageDescription"]


def variable(doc: dict, key: str) -> dict:
    return next(v for v in stage(doc, "Release as read")["variables"] if v["key"] == key)


def template() -> dict:
    return json.loads(cs.read_repo_file(TEMPLATE))


# Each mutation: (rule id expected, what is broken, function(doc) -> files to override).
# The function edits the pipeline in place and returns {repository path: new text}.
MUTATIONS: list[tuple[str, str, object]] = []


def mutation(rule_id: str, what: str):
    def register(fn):
        MUTATIONS.append((rule_id, what, fn))
        return fn
    return register


# --- the two blockers of issue 14 ---------------------------------------------------

@mutation("ecs-placement-strategy", "ECS deploy cluster without placementStrategySequence")
def _(doc):
    del cluster(doc)["placementStrategySequence"]


@mutation("ecs-image-from-trigger", "fromTrigger: true under the webhook trigger")
def _(doc):
    image(doc)["fromTrigger"] = True
    del image(doc)["imageId"]


# --- clouddriver-ecs ------------------------------------------------------------------

@mutation("ecs-placement-strategy", "spread placement on a field the validator rejects")
def _(doc):
    cluster(doc)["launchType"] = "EC2"
    cluster(doc)["placementStrategySequence"] = [{"type": "spread", "field": "host"}]


@mutation("ecs-placement-strategy", "a placement strategy for Fargate tasks")
def _(doc):
    cluster(doc)["placementStrategySequence"] = [{"type": "random"}]


@mutation("ecs-availability-zones", "two regions in availabilityZones")
def _(doc):
    cluster(doc)["availabilityZones"]["us-west-2"] = ["us-west-2a"]


@mutation("ecs-capacity", "desired above max")
def _(doc):
    cluster(doc)["capacity"] = {"min": 1, "desired": 5, "max": 3}


@mutation("ecs-capacity", "capacity without max")
def _(doc):
    del cluster(doc)["capacity"]["max"]


@mutation("ecs-credentials", "deploy cluster without an account")
def _(doc):
    del cluster(doc)["account"]


@mutation("ecs-moniker", "moniker.app differs from application")
def _(doc):
    cluster(doc)["moniker"]["app"] = "otherapp"


@mutation("ecs-cluster-name", "no ecsClusterName")
def _(doc):
    del cluster(doc)["ecsClusterName"]


@mutation("ecs-compute-options", "launchType and capacityProviderStrategy together")
def _(doc):
    cluster(doc)["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE", "weight": 1}]


@mutation("ecs-subnet-types", "subnetType beside subnetTypes")
def _(doc):
    cluster(doc)["subnetType"] = "private"


@mutation("ecs-awsvpc-network", "awsvpc without security groups")
def _(doc):
    cluster(doc)["securityGroupNames"] = []


@mutation("ecs-target-group-mappings", "target group mapping without containerPort")
def _(doc):
    del cluster(doc)["targetGroupMappings"][0]["containerPort"]


@mutation("ecs-reserved-environment", "environmentVariables sets SERVER_GROUP")
def _(doc):
    cluster(doc)["environmentVariables"] = {"SERVER_GROUP": "mine"}


@mutation("ecs-reserved-environment", "the template sets CLOUD_STACK")
def _(doc):
    t = template()
    t["containerDefinitions"][0]["environment"].append({"name": "CLOUD_STACK", "value": "prod"})
    return {TEMPLATE: json.dumps(t)}


@mutation("ecs-task-definition-inputs", "no task definition artifact, no image, cpu or memory")
def _(doc):
    cluster(doc)["useTaskDefinitionArtifact"] = False
    del cluster(doc)["containerMappings"]


@mutation("ecs-task-definition-artifact", "task definition artifact without containerMappings")
def _(doc):
    del cluster(doc)["containerMappings"]


@mutation("ecs-template-properties", "portMappings[].name (Service Connect; not in aws-java-sdk 1.12.261)")
def _(doc):
    t = template()
    t["containerDefinitions"][0]["portMappings"][0]["name"] = "http"
    return {TEMPLATE: json.dumps(t)}


@mutation("ecs-template-properties", "an unknown top-level key in the template")
def _(doc):
    t = template()
    t["$schema"] = "https://example.com/taskdef.json"
    return {TEMPLATE: json.dumps(t)}


@mutation("ecs-template-network-mode", "template networkMode bridge, cluster awsvpc")
def _(doc):
    t = template()
    t["networkMode"] = "bridge"
    return {TEMPLATE: json.dumps(t)}


@mutation("ecs-container-mappings", "containerMappings names a container the template lacks")
def _(doc):
    cluster(doc)["containerMappings"][0]["containerName"] = "web"


@mutation("ecs-container-mappings", "load-balanced port is no portMapping of the container")
def _(doc):
    cluster(doc)["targetGroupMappings"][0]["containerPort"] = 9090


@mutation("ecs-image-id", "fromContext in a pipeline, no imageId")
def _(doc):
    image(doc)["fromContext"] = True
    del image(doc)["imageId"]


# --- orca -------------------------------------------------------------------------------

@mutation("orca-stage-type", "a misspelt stage type")
def _(doc):
    stage(doc, "Approve promotion")["type"] = "manualJudgement"


@mutation("orca-stage-type", "Deck's runJobManifest key as the stage type")
def _(doc):
    stage(doc, "Check release")["type"] = "runJobManifest"


@mutation("orca-stage-graph", "requisiteStageRefIds names no stage")
def _(doc):
    stage(doc, "Deploy to standby color")["requisiteStageRefIds"] = ["9"]


@mutation("orca-stage-graph", "a cycle")
def _(doc):
    stage(doc, "Check release")["requisiteStageRefIds"] = ["2", "5"]


@mutation("orca-deploy-strategy", "a strategy name orca does not register")
def _(doc):
    cluster(doc)["strategy"] = "red-black"


@mutation("orca-spel-evaluator", "no spelEvaluator (v3)")
def _(doc):
    del doc["spelEvaluator"]


@mutation("orca-spel-functions", "an expression function that does not exist")
def _(doc):
    cluster(doc)["capacity"]["desired"] = "${#toInteger(desired_count)}"


@mutation("orca-stage-reference", "two stages with the same name")
def _(doc):
    stage(doc, "Check release")["name"] = "Release as read"


@mutation("orca-stage-reference", "#stage() of a stage that runs later")
def _(doc):
    stage(doc, "Approve promotion")["instructions"] += " ${#stage('Promote standby color').status}"


@mutation("orca-spel-variables", "a variable nothing defines")
def _(doc):
    cluster(doc)["iamRole"] = "${task_role}"


@mutation("orca-spel-variables", "the template uses a variable nothing defines")
def _(doc):
    t = template()
    t["cpu"] = "${cpu_units}"
    return {TEMPLATE: json.dumps(t)}


@mutation("orca-variable-shadowing", "a variable named like orca's own 'trigger'")
def _(doc):
    stage(doc, "Release as read")["variables"].append({"key": "trigger", "value": "x"})


@mutation("orca-variable-shadowing", "a variable a stage's own context hides")
def _(doc):
    variable(doc, "spinnaker_account")["key"] = "account"
    cluster(doc)["account"] = "${account}"
    stage(doc, "Deploy to standby color")["account"] = "ecs-default"


@mutation("orca-failed-expressions", "deploy without failOnFailedExpressions")
def _(doc):
    del stage(doc, "Deploy to standby color")["failOnFailedExpressions"]


@mutation("orca-precondition", "an expression precondition without an expression")
def _(doc):
    stage(doc, "Check release")["preconditions"][1]["context"]["expression"] = ""


@mutation("orca-precondition", "a noop precondition")
def _(doc):
    stage(doc, "Check release")["preconditions"][1]["type"] = "noop"


@mutation("orca-stage-enabled", "stageEnabled with a misspelt type")
def _(doc):
    stage(doc, "Approve promotion")["stageEnabled"]["type"] = "expresion"


@mutation("orca-fail-closed", "continuePipeline on the checks")
def _(doc):
    stage(doc, "Check release")["continuePipeline"] = True


@mutation("orca-fail-closed", "a precondition with failPipeline false")
def _(doc):
    stage(doc, "Check release")["preconditions"][1]["failPipeline"] = False


@mutation("orca-codebuild-stage", "CodeBuild stage without a project")
def _(doc):
    del stage(doc, "Read release")["projectName"]


@mutation("orca-codebuild-stage", "a token passed as a CodeBuild environment variable")
def _(doc):
    stage(doc, "Promote standby color")["environmentVariables"]["DT_API_TOKEN"] = "not-a-real-token"


@mutation("orca-codebuild-stage", "a buildspec file that does not exist")
def _(doc):
    stage(doc, "Promote standby color")["source"]["buildspec"] = "examples/complete/spinnaker/codebuild/promote.yaml"


@mutation("orca-codebuild-exports", "a variable the read job does not export")
def _(doc):
    v = variable(doc, "test_url")
    v["value"] = v["value"].replace("'TEST_URL'", "'TEST_ENDPOINT'")


@mutation("orca-codebuild-exports", "exported variables of a stage that is not CodeBuild")
def _(doc):
    v = variable(doc, "test_url")
    v["value"] = v["value"].replace("#stage('Read release')", "#stage('Check release')")


@mutation("orca-artifacts", "taskDefinitionArtifact names no expected artifact")
def _(doc):
    cluster(doc)["taskDefinitionArtifact"]["artifactId"] = "task-def"


@mutation("orca-artifacts", "the template artifact is neither bound by the trigger nor defaulted")
def _(doc):
    doc["expectedArtifacts"].append({"id": "task-def", "matchArtifact": {"type": "github/file", "name": TEMPLATE},
                                     "useDefaultArtifact": False, "usePriorArtifact": False})
    cluster(doc)["taskDefinitionArtifact"] = {"artifactId": "task-def"}


@mutation("orca-artifact-functions", "the trigger binds no docker/image artifact")
def _(doc):
    doc["triggers"][0]["expectedArtifactIds"] = []


@mutation("orca-limit-concurrent", "concurrent runs allowed")
def _(doc):
    doc["limitConcurrent"] = False


# --- the example's safety contract ------------------------------------------------------

@mutation("safe-no-dynatrace", "a Dynatrace webhook with the token in its headers (the old quality gate)")
def _(doc):
    stage(doc, "Promote standby color")["requisiteStageRefIds"] = ["7"]
    doc["stages"].append({
        "refId": "7", "requisiteStageRefIds": ["5"], "type": "webhook", "name": "Dynatrace quality gate",
        "method": "POST", "url": "https://abc12345.cloudautomation.live.dynatrace.com/api/v1/event",
        "customHeaders": {"x-token": "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.YZ0123456789"},
        "payload": {"type": "sh.keptn.event.prod.evaluation.triggered"}})


@mutation("safe-trigger-not-trusted", "the color comes from a trigger parameter")
def _(doc):
    doc["parameterConfig"].append({"name": "standby_color", "label": "Standby color", "required": True})
    stage(doc, "Approve promotion")["instructions"] = "Promote ${parameters.standby_color}?"


@mutation("safe-trigger-not-trusted", "a later stage reads the trigger")
def _(doc):
    stage(doc, "Promote standby color")["environmentVariables"]["ENVIRONMENT"] = "${trigger.parameters.environment}"


@mutation("safe-read-at-start", "no check that the standby color is not the live one")
def _(doc):
    del stage(doc, "Check release")["preconditions"][1]


@mutation("safe-read-at-start", "the run starts with the deploy, not with reading the release")
def _(doc):
    doc["stages"] = [s for s in doc["stages"] if s["name"] not in {"Read release", "Release as read", "Check release",
                                                                   "Re-check release"}]
    stage(doc, "Deploy to standby color")["requisiteStageRefIds"] = []


@mutation("safe-gate-is-configuration", "a parameter that chooses the gate")
def _(doc):
    doc["parameterConfig"].append({"name": "quality_gate", "label": "Quality gate", "required": True})


@mutation("safe-gate-is-configuration", "the checks made optional")
def _(doc):
    stage(doc, "Check release")["stageEnabled"] = {"type": "expression", "expression": "quality_gate != 'none'"}


@mutation("safe-live-color-untouched", "retire the color the promotion made live")
def _(doc):
    retire = stage(doc, "Retire old color")
    retire["cluster"] = "myapp-${environment}-${standby_color}"
    retire["moniker"]["detail"] = "${standby_color}"


@mutation("safe-live-color-untouched", "disable the live color before the promotion")
def _(doc):
    stage(doc, "Retire old color")["requisiteStageRefIds"] = ["5"]
    stage(doc, "Approve promotion")["requisiteStageRefIds"] = ["8"]


@mutation("safe-live-color-untouched", "deploy into the live color (red/black there disables its server group)")
def _(doc):
    c = cluster(doc)
    c["strategy"] = "redblack"
    c["freeFormDetails"] = c["moniker"]["detail"] = "${active_color}"


@mutation("safe-live-color-untouched", "shrink a literal cluster name")
def _(doc):
    stage(doc, "Approve promotion")["requisiteStageRefIds"] = ["9"]
    doc["stages"].append({
        "refId": "9", "requisiteStageRefIds": ["5"], "type": "shrinkCluster", "name": "Shrink",
        "cloudProvider": "ecs", "credentials": "ecs-prod", "regions": ["us-east-1"],
        "cluster": "myapp-prod-blue", "shrinkToSize": 1, "allowDeleteActive": True})


@mutation("safe-promote-by-action", "the promotion goes to the live color")
def _(doc):
    stage(doc, "Promote standby color")["environmentVariables"]["TO_COLOR"] = "${active_color}"


@mutation("safe-promote-by-action", "the promotion does not wait for the judgment")
def _(doc):
    stage(doc, "Promote standby color")["requisiteStageRefIds"] = ["5"]


@mutation("safe-promote-by-action", "promotion by terraform apply -var (the resource), not the action")
def _(doc):
    script = "examples/complete/spinnaker/scripts/promote-by-apply.sh"
    stage(doc, "Promote standby color")["source"]["buildspec"] = "codebuild/promote-by-apply.yml"
    return {"codebuild/promote-by-apply.yml": f"version: 0.2\nphases:\n  build:\n    commands:\n      - {script}\n",
            script: 'terraform -chdir="$env_dir" apply -auto-approve -var "active_color=$TO_COLOR"\n'}


# --- issue 21: the pipeline run release after release ----------------------------------

@mutation("orca-keep-waiting", "waiting runs are cancelled when a run ends (keepWaitingPipelines false)")
def _(doc):
    doc["keepWaitingPipelines"] = False


@mutation("orca-keep-waiting", "one queue for three environments")
def _(doc):
    doc["parameterConfig"][0]["options"] = [{"value": "dev"}, {"value": "qa"}, {"value": "prod"}]


@mutation("orca-cluster-selection", "the retire stage without cloudProvider (orca's default is aws)")
def _(doc):
    del stage(doc, "Retire old color")["cloudProvider"]


@mutation("orca-cluster-selection", "the retire stage without credentials")
def _(doc):
    del stage(doc, "Retire old color")["credentials"]


@mutation("echo-webhook-constraints", "a webhook anyone can trigger with any payload")
def _(doc):
    del doc["triggers"][0]["payloadConstraints"]


@mutation("echo-webhook-constraints", "an unanchored payload constraint (echo uses find())")
def _(doc):
    doc["triggers"][0]["payloadConstraints"] = {"parameters.environment": "dev"}


@mutation("kork-expected-artifact-match", "matchArtifact compares type and name only")
def _(doc):
    del doc["expectedArtifacts"][0]["matchArtifact"]["reference"]


@mutation("kork-expected-artifact-match", "the reference admits a tag")
def _(doc):
    m = doc["expectedArtifacts"][0]["matchArtifact"]
    m["reference"] = m["name"] + "[:@].+"


@mutation("kork-expected-artifact-match", "the reference admits any registry")
def _(doc):
    m = doc["expectedArtifacts"][0]["matchArtifact"]
    m["reference"] = ".*/myapp@sha256:[0-9a-f]{64}"


@mutation("ecs-task-role-from-template", "the task role passed as iamRole beside a template (ignored)")
def _(doc):
    cluster(doc)["iamRole"] = "${task_role_arn}"
    t = template()
    del t["taskRoleArn"]
    return {TEMPLATE: json.dumps(t)}


@mutation("safe-recheck-before-deploy", "no re-check between the read and the deploy")
def _(doc):
    doc["stages"] = [s for s in doc["stages"] if s["name"] != "Re-check release"]
    stage(doc, "Deploy to standby color")["requisiteStageRefIds"] = ["3"]


@mutation("safe-recheck-before-deploy", "the re-check does not compare the live color")
def _(doc):
    del stage(doc, "Re-check release")["environmentVariables"]["EXPECT_ACTIVE_COLOR"]


@mutation("safe-retire-after-promotion", "the old color is never retired")
def _(doc):
    doc["stages"] = [s for s in doc["stages"] if s["name"] != "Retire old color"]


@mutation("safe-retire-after-promotion", "the retire leaves the newest server group running (default 1)")
def _(doc):
    del stage(doc, "Retire old color")["remainingEnabledServerGroups"]


@mutation("safe-retire-after-promotion", "the first run fails: no server group in the old color yet")
def _(doc):
    del stage(doc, "Retire old color")["continueIfClusterNotFound"]


@mutation("safe-retire-after-promotion", "retired in parallel with the promotion")
def _(doc):
    stage(doc, "Retire old color")["requisiteStageRefIds"] = ["6"]


@mutation("safe-same-commit", "the template read at main, not at the commit the release was read at")
def _(doc):
    cluster(doc)["taskDefinitionArtifact"]["artifact"]["version"] = "main"


@mutation("safe-same-commit", "the promote job runs at main")
def _(doc):
    stage(doc, "Promote standby color")["source"]["sourceVersion"] = "main"


# --- the tests ----------------------------------------------------------------------------


def violations(doc: dict, files: dict[str, str] | None = None) -> list[cs.Violation]:
    files = files or {}

    def read(path: str) -> str | None:
        return files[path] if path in files else cs.read_repo_file(path)

    return cs.check_pipeline(doc, "mutant", read)


class ShippedPipeline(unittest.TestCase):
    def test_shipped_pipelines_pass(self):
        for f in cs.shipped():
            with self.subTest(pipeline=f.name):
                found = cs.check_pipeline(json.loads(f.read_text()), str(f))
                self.assertEqual([], [str(v) for v in found])

    def test_cli_exit_status(self):
        self.assertEqual(0, cs.main([str(PIPELINE)]))


class BrokenCopies(unittest.TestCase):
    def test_each_broken_copy_is_caught_by_its_rule(self):
        for rule_id, what, mutate in MUTATIONS:
            with self.subTest(rule=rule_id, broken=what):
                doc = copy.deepcopy(shipped())
                files = mutate(doc) or {}
                found = violations(doc, files)
                self.assertIn(rule_id, {v.rule.id for v in found},
                              f"{what}: not caught by {rule_id}; got {[str(v) for v in found]}")

    def test_every_rule_has_a_mutation(self):
        covered = {rule_id for rule_id, _, _ in MUTATIONS}
        self.assertEqual([], [r.id for r in cs.RULES if r.id not in covered])

    def test_every_rule_names_its_spinnaker_source(self):
        for r in cs.RULES:
            with self.subTest(rule=r.id):
                self.assertIn(r.repo, cs.SPINNAKER)
                self.assertRegex(r.path, r"^[\w.-]+/.+\.(java|groovy|kt)$")

    def test_cli_lists_violations_and_fails(self):
        doc = copy.deepcopy(shipped())
        del cluster(doc)["placementStrategySequence"]
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(doc, f)
            f.flush()
            self.assertEqual(1, cs.main([f.name]))


class SpelReading(unittest.TestCase):
    def test_roots_skip_properties_functions_and_selections(self):
        expr = ("#stage('Read release')['context']['buildInfo']['exportedEnvironmentVariables']"
                ".?[name == 'STANDBY_COLOR'][0]['value'] == standby_color && parameters.environment != null")
        self.assertEqual({"standby_color", "parameters"}, cs.roots_in(expr))

    def test_expressions_with_inline_lists(self):
        self.assertEqual(["{'blue','green'}.contains(x)"], cs.expressions_in("${{'blue','green'}.contains(x)}"))

    def test_exported_variables_of_the_read_buildspec(self):
        names = cs.exported_variables(cs.read_repo_file(READ_BUILDSPEC))
        self.assertTrue({"ACTIVE_COLOR", "STANDBY_COLOR", "STANDBY_TARGET_GROUP_NAME"} <= names)


def report() -> None:
    """One line per broken copy: which rules caught it."""
    print(f"{len(MUTATIONS)} broken copies of {PIPELINE.name}, {len(cs.RULES)} rules")
    for rule_id, what, mutate in MUTATIONS:
        doc = copy.deepcopy(shipped())
        ids = sorted({v.rule.id for v in violations(doc, mutate(doc) or {})})
        mark = "caught " if rule_id in ids else "MISSED "
        print(f"  {mark}{rule_id:28} {what}" + (f"  (also: {', '.join(i for i in ids if i != rule_id)})"
                                                   if len(ids) > 1 else ""))


if __name__ == "__main__":
    if "-v" in sys.argv or "--report" in sys.argv:
        report()
        sys.argv = [a for a in sys.argv if a != "--report"]
    unittest.main(verbosity=1)
