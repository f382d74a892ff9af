#!/usr/bin/env python3
"""The seed flow, run for real, release after release (issue 21).

    .venv/bin/python tools/pipeline/run_pipeline.py [--keep]        (make test-pipeline)

examples/complete as a user runs it: envs/dev applied with real Terraform, the real
hashicorp/aws provider (the machine's filesystem mirror), the built bluegreen provider
(installed in a filesystem mirror, as `terraform init` of a directory with state needs),
an S3 backend with a lockfile, all against the emulator (tools/emulator/emulator.py) and its
Dynatrace API. Then the Spinnaker pipeline ecs-bluegreen-dev.json, run stage by stage in
orca's order, each stage the way its executor runs it (tools/pipeline/pipeline_stages.py): the
CodeBuild stages run their buildspecs with bash in fresh checkouts of the commit they
name, the ECS deploy creates a server group as clouddriver-ecs does, the judgment is
approved, the retire stage disables the old color as clouddriver does.

What it shows, and checks:
- release 1..4 in a row, alternating colors, each read -> re-check -> deploy -> promote ->
  retire; production traffic on the new color, the old color's server groups disabled;
- release 3 with its SLO in FAILURE: the promote stage fails naming the SLO, traffic
  stays, nothing is retired; the same run's promote stage restarted once the SLO is
  SUCCESS passes and retires;
- release 5: a rollback (the old color enabled again, promote.sh with the colors
  swapped) between "Read release" and the deploy: the re-check stops the run before it
  deploys anything;
- release 6: traffic moved with the ELB API outside the pipeline: the read stops and says
  what moved (and only then: every first read after an apply also finds unrelated
  differences, which are noted and do not stop it);
- cancelling the promote job (SIGTERM, as a stopped CodeBuild build may get) while the
  gate waits: nothing is written, the job exits 143, no lock is left;
- after every release `terraform plan -detailed-exitcode` in envs/dev exits 0 and no
  state lock is left in the bucket.
Exits 1 if any check fails. --keep keeps the work directory (printed). --demo (make demo)
runs day 0, release 1 and release 2 with its SLO in FAILURE only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "emulator"))  # aws_moto_fields
import aws_moto_fields  # noqa: E402
import pipeline_env as pe  # noqa: E402
import pipeline_stages as ps  # noqa: E402

ENV = "dev"
PIPELINE = pe.ROOT / "examples" / "complete" / "spinnaker" / "pipelines" / f"ecs-bluegreen-{ENV}.json"
ENV_DIR = Path("examples/complete/infrastructure/envs") / ENV
SCRIPTS = Path("examples/complete/spinnaker/scripts")
SLO = "myapp-dev-availability"  # envs/dev's dynatrace_slo_ids
BUCKET = "acme-terraform-state"
STATE_KEY = f"myapp/{ENV}/terraform.tfstate"
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp"


class Flow:
    def __init__(self, work: Path, provider_dir: Path):
        self.work = work
        self.passed = self.failed = 0
        t0 = time.monotonic()
        self.emu = pe.Emulator(work)
        problems = aws_moto_fields.self_test(self.emu.client)
        self.check("emulator keeps the fields the aws provider reads back (tools/emulator/aws_moto_fields.py)",
                   not problems, problems)
        basics = pe.account_basics(self.emu, BUCKET)
        self.emu.api("POST", "/_bluegreen/dynatrace/tokens", {"api_tokens": [pe.DT_TOKEN]})
        self.slo("SUCCESS")
        cli = pe.provider_mirror(work, provider_dir)
        self.repo = pe.infra_repo(work, self.emu, basics, BUCKET, ENV)
        bin_dir = work / "bin"
        bin_dir.mkdir()
        terraform = os.environ.get("TF_ACC_TERRAFORM_PATH") or str(pe.TOOLS / "terraform")
        (bin_dir / "terraform").symlink_to(terraform)
        # What the CodeBuild image and the job's role give a build: terraform and jq on
        # PATH, credentials (here: the emulator's), the providers' mirror.
        self.env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(work),
                    "TF_CLI_CONFIG_FILE": str(cli), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
                    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": pe.REGION,
                    "TMPDIR": str(work)}
        self.world = ps.World(self.emu.client, self.repo, work, self.env)
        self.pipeline = json.loads(PIPELINE.read_text())
        self.s3, self.elb = self.emu.client("s3"), self.emu.client("elbv2")
        print(f"setup: emulator {self.emu.url}, envs/{ENV} in {self.repo} ({time.monotonic() - t0:.0f}s)")

    # --- helpers -----------------------------------------------------------------------

    def check(self, name: str, ok: bool, detail: object = "") -> bool:
        if ok:
            self.passed += 1
            print(f"  ok    {name}")
        else:
            self.failed += 1
            print(f"  FAIL  {name}" + (f"\n        {detail}" if detail != "" else ""))
        return ok

    def slo(self, status: str) -> None:
        self.emu.api("POST", "/_bluegreen/dynatrace/slo", {
            "id": SLO, "name": "myapp dev availability", "status": status,
            "evaluatedPercentage": 99.95 if status == "SUCCESS" else 97.1, "target": 99.5, "warning": 99.8})

    def tf(self, *args: str) -> subprocess.CompletedProcess:
        """Terraform as the operator runs it, in envs/dev of the repository's work tree."""
        return subprocess.run(["terraform", f"-chdir={self.repo / ENV_DIR}", *args], env=self.env,
                              capture_output=True, text=True)

    def script(self, name: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.repo / SCRIPTS / name)], env={**self.env, **env}, capture_output=True,
                              text=True, cwd=self.repo)

    def traffic(self) -> dict[str, int]:
        """The production rule's forward weights by color, as ALB has them."""
        rule = self.elb.describe_rules(RuleArns=[self.rule_arn])["Rules"][0]
        fwd = next(a for a in rule["Actions"] if a["Type"] == "forward")
        groups = fwd.get("ForwardConfig", {}).get("TargetGroups") or [{"TargetGroupArn": fwd["TargetGroupArn"], "Weight": 1}]
        return {self.color_of[g["TargetGroupArn"]]: g.get("Weight", 1) for g in groups}

    def live(self) -> str:
        t = self.traffic()
        return max(t, key=t.get)

    def locks(self) -> list[str]:
        objs = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=STATE_KEY).get("Contents") or []
        return [o["Key"] for o in objs if o["Key"].endswith(".tflock")]

    def plan_is_clean(self, when: str) -> None:
        p = self.tf("plan", "-detailed-exitcode", "-input=false", "-no-color")
        changes = [line.strip() for line in p.stdout.splitlines() if re.match(r"\s+# ", line)]
        self.check(f"{when}: terraform plan -detailed-exitcode exits 0", p.returncode == 0,
                   f"exit {p.returncode}: {changes or (p.stderr or p.stdout)[-800:]}")
        self.check(f"{when}: no state lock left in s3://{BUCKET}", not self.locks(), self.locks())

    def server_groups(self, color: str) -> dict[str, dict]:
        return {s["serviceName"]: s for s in self.world.ecs.server_groups(f"myapp-{ENV}-{color}")}

    def trigger(self, n: int) -> dict:
        """What CI's trigger.sh posts for build N, bound as echo and orca bind it: the
        payload constraints and the expected artifact (kork ExpectedArtifact.matches:
        each set field a whole-string regex) must accept it, or nothing runs."""
        digest = "sha256:" + hashlib.sha256(f"myapp build {n}".encode()).hexdigest()
        payload = {"parameters": {"environment": ENV},
                   "artifacts": [{"type": "docker/image", "name": REGISTRY, "version": digest,
                                  "reference": f"{REGISTRY}@{digest}"}]}
        t = self.pipeline["triggers"][0]
        for key, pattern in t["payloadConstraints"].items():
            value = payload
            for part in key.split("."):
                value = value[part]
            assert re.search(pattern, value), f"payload constraint {key} refuses {value}"
        expected = {a["id"]: a["matchArtifact"] for a in self.pipeline["expectedArtifacts"]}
        for i in t["expectedArtifactIds"]:
            match = expected[i]
            art = next(a for a in payload["artifacts"] if a["type"] == match["type"])
            for field in ("name", "version", "location", "reference"):
                if match.get(field):
                    assert re.fullmatch(match[field], art.get(field) or ""), f"{i}: {field} {art.get(field)} not matched"
        return {"type": "webhook", "source": t["source"], "parameters": payload["parameters"],
                "artifacts": payload["artifacts"]}

    def run(self, n: int, **kw) -> tuple[ps.Run, str]:
        run = ps.Run(self.pipeline, self.trigger(n), self.world)
        print(f"  pipeline {self.pipeline['name']}, build {n}: image {run.trigger['artifacts'][0]['reference'].split('/')[-1][:25]}...")
        return run, run.execute(**kw)

    # --- the story ----------------------------------------------------------------------

    def day0(self) -> None:
        print(f"\n== day 0: terraform apply in envs/{ENV} (S3 backend with lockfile, real aws provider)")
        t0 = time.monotonic()
        for args in (["init", "-input=false", "-no-color"], ["apply", "-input=false", "-auto-approve", "-no-color"]):
            p = self.tf(*args)
            if not self.check(f"terraform {args[0]}", p.returncode == 0, (p.stderr or p.stdout)[-2000:]):
                raise SystemExit(1)
        outputs = json.loads(self.tf("output", "-json").stdout)
        self.rule_arn = outputs["listener_rule_arn"]["value"]
        self.color_of = {outputs["blue_target_group_arn"]["value"]: "blue",
                         outputs["green_target_group_arn"]["value"]: "green"}
        # ECS registers the bootstrap service's task with blue's target group.
        self.world.ecs.wait_up(f"myapp-{ENV}", f"myapp-{ENV}-blue-bootstrap")
        print(f"  applied in {time.monotonic() - t0:.0f}s; traffic {self.traffic()}")
        self.check("day 0: production traffic on blue", self.traffic() == {"blue": 100, "green": 0}, self.traffic())
        self.plan_is_clean("day 0")

    def bootstrap_off(self) -> None:
        """README: once a Spinnaker server group serves, the bootstrap services go to 0 (a
        reviewed change, committed and applied by the infrastructure pipeline)."""
        print("\n== the operator sets bootstrap_desired_count = { blue = 0, green = 0 } (commit + apply)")
        main = self.repo / ENV_DIR / "main.tf"
        text = main.read_text()
        new = re.sub(r"bootstrap_desired_count = \{ blue = \d+, green = \d+ \}", "bootstrap_desired_count = { blue = 0, green = 0 }", text)
        assert new != text, "envs/dev/main.tf: bootstrap_desired_count not found"
        main.write_text(new)
        self.world.git("commit", "-q", "-am", "bootstrap services to 0: Spinnaker server groups serve now")
        p = self.tf("apply", "-input=false", "-auto-approve", "-no-color")
        self.check("terraform apply of the bootstrap change", p.returncode == 0, (p.stderr or p.stdout)[-1500:])
        self.world.ecs.reconcile()
        self.plan_is_clean("after the bootstrap change")

    def release(self, n: int, slo_failure: bool = False) -> None:
        old = self.live()
        new = {"blue": "green", "green": "blue"}[old]
        before_old = self.server_groups(old)
        print(f"\n== release {n}: {old} is live, the run deploys to {new}"
              + (f" (SLO {SLO} in FAILURE)" if slo_failure else ""))
        if slo_failure:
            self.slo("FAILURE")
        run, failed = self.run(n)
        if slo_failure:
            log = run.context.get("Promote standby color", {}).get("buildInfo", {}).get("log", "")
            self.check("the promote stage fails", failed == "Promote standby color", f"failed stage: {failed!r}")
            self.check(f"its log names the SLO {SLO} and its status",
                       SLO in log and "FAILURE" in log, log[-1500:])
            self.check(f"traffic stays on {old}", self.traffic() == {old: 100, new: 0}, self.traffic())
            self.check("nothing is retired (the retire stage never ran)",
                       "Retire old color" not in run.status and
                       {k: v["desiredCount"] for k, v in self.server_groups(old).items()} ==
                       {k: v["desiredCount"] for k, v in before_old.items()}, run.status)
            self.check("no state lock left after the failed promotion", not self.locks(), self.locks())
            print(f"  ... SLO {SLO} back to SUCCESS; the same run's promote stage restarted")
            self.slo("SUCCESS")
            failed = run.execute(start_at="Promote standby color")
        self.check(f"release {n}: every stage succeeded", failed == "", f"failed at {failed!r}")
        if n == 1:  # the first read after the apply: AWS shows more than state, none of it traffic
            log = run.context["Read release"]["buildInfo"]["log"]
            self.check("the read passed although the refresh found changes outside the release (noted, not traffic)",
                       "note: AWS differs from state outside the release" in log, log[-800:])
        deployed = run.context.get("Deploy to standby color", {}).get("deploy.server.groups", {}).get(ps.REGION, [])
        self.check(f"release {n}: production traffic on {new}", self.traffic() == {new: 100, old: 0}, self.traffic())
        groups = self.server_groups(new)
        self.check(f"release {n}: {new} runs only the new server group {deployed}",
                   list(groups) == deployed and all(g["runningCount"] == g["desiredCount"] > 0 for g in groups.values()),
                   {k: (v["runningCount"], v["desiredCount"]) for k, v in groups.items()})
        retired = self.server_groups(old)
        suspended = all(self.suspended(g) for g in retired.values())
        self.check(f"release {n}: {old}'s server groups retired (desired 0, autoscaling suspended): {sorted(retired)}",
                   all(g["desiredCount"] == 0 for g in retired.values()) and suspended,
                   {k: v["desiredCount"] for k, v in retired.items()})
        self.plan_is_clean(f"release {n}")

    def suspended(self, service: dict) -> bool:
        aas = self.world.ecs.aas
        t = aas.describe_scalable_targets(ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount",
                                          ResourceIds=[f"service/myapp-{ENV}/{service['serviceName']}"])["ScalableTargets"]
        return bool(t) and all(t[0].get("SuspendedState", {}).get(k) for k in (
            "DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended"))

    def rollback_between_read_and_deploy(self, n: int) -> None:
        live = self.live()
        back = {"blue": "green", "green": "blue"}[live]
        before = self.server_groups(back)
        print(f"\n== release {n}: {live} is live; after \"Read release\" someone rolls back to {back}")

        def rollback(stage: str) -> None:
            if stage != "Read release":
                return
            # spinnaker/README.md: a retired color is enabled again first (clouddriver's
            # EnableServiceAtomicOperation: desired = max, autoscaling resumed), then the
            # promote job runs with the colors swapped, through the same gate.
            for name in self.server_groups(back):
                self.world.ecs.enable(f"myapp-{ENV}", name)
                self.world.ecs.wait_up(f"myapp-{ENV}", name)
            p = self.script("promote.sh", ENVIRONMENT=ENV, FROM_COLOR=live, TO_COLOR=back)
            self.check(f"rollback: promote.sh FROM_COLOR={live} TO_COLOR={back} succeeds", p.returncode == 0,
                       (p.stderr + p.stdout)[-1500:])
            print(f"  ... rolled back: traffic {self.traffic()}")

        run, failed = self.run(n, after_stage=rollback)
        log = run.context.get("Re-check release", {}).get("buildInfo", {}).get("log", "")
        self.check("the run stops at \"Re-check release\", before the deploy", failed == "Re-check release"
                   and "Deploy to standby color" not in run.status, f"failed {failed!r}, stages {run.status}")
        self.check("the re-check says which color moved", f"{live} was live when this run started, now {back} is" in log,
                   log[-800:])
        self.check(f"nothing was deployed into {back}, the live color", self.server_groups(back).keys() == before.keys(),
                   sorted(self.server_groups(back)))
        self.check(f"traffic stays where the rollback put it ({back})", self.traffic() == {back: 100, live: 0},
                   self.traffic())
        self.plan_is_clean(f"release {n} (stopped)")


    def traffic_moved_outside(self, n: int) -> None:
        """A person moves the traffic with the ELB API: the next run's read stops, naming
        what moved; recorded as the message says, the run after that reads again."""
        live = self.live()
        other = {"blue": "green", "green": "blue"}[live]
        print(f"\n== release {n}: someone moves production traffic {live} -> {other} with ModifyRule, outside the pipeline")
        rule = self.elb.describe_rules(RuleArns=[self.rule_arn])["Rules"][0]
        arn_of = {c: a for a, c in self.color_of.items()}
        actions = [{k: v for k, v in a.items() if k in ("Type", "Order", "ForwardConfig")} for a in rule["Actions"]]
        for a in actions:
            if a["Type"] == "forward":
                a["ForwardConfig"] = {"TargetGroups": [{"TargetGroupArn": arn_of[other], "Weight": 100},
                                                       {"TargetGroupArn": arn_of[live], "Weight": 0}]}
        self.elb.modify_rule(RuleArn=self.rule_arn, Actions=actions)
        run, failed = self.run(n)
        log = run.context.get("Read release", {}).get("buildInfo", {}).get("log", "")
        self.check("the run stops at \"Read release\"", failed == "Read release", f"failed {failed!r}")
        self.check("it says the release's traffic moved, and what",
                   "traffic moved outside this pipeline" in log and f"active_color was {live} in state, is {other} in AWS" in log,
                   log[-800:])
        p = self.tf("apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color",
                    "-target=module.ecs.bluegreen_ecs_release.app")
        self.check("recorded as the message says (apply -refresh-only -target=the release)", p.returncode == 0,
                   (p.stderr or p.stdout)[-800:])
        self.plan_is_clean(f"release {n} (stopped)")

    def cancel_promotion(self) -> None:
        """What cancelling the promote stage does (spinnaker/README.md): the job gets a
        signal while the gate waits; promote.sh passes SIGTERM on to Terraform, which stops
        the provider (nothing written), releases the S3 lock, and the job records what is live."""
        live = self.live()
        to = {"blue": "green", "green": "blue"}[live]
        tg = next(arn for arn, color in self.color_of.items() if color == to)
        print(f"\n== cancel: promote.sh {live} -> {to} is stopped (SIGTERM) while the gate waits")
        # The standby's targets fail their health checks, so the gate waits for them.
        self.emu.api("POST", "/_bluegreen/targets/fail", {"target_group_arn": tg})
        proc = subprocess.Popen([str(self.repo / SCRIPTS / "promote.sh")], cwd=self.repo, text=True,
                                env={**self.env, "ENVIRONMENT": ENV, "FROM_COLOR": live, "TO_COLOR": to},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, deadline = "", time.monotonic() + 180
        while "waiting for the promotion gate" not in out and time.monotonic() < deadline and proc.poll() is None:
            if select.select([proc.stdout], [], [], 1)[0]:
                out += proc.stdout.readline()
        waiting = "waiting for the promotion gate" in out
        self.check("the promote job waits at the gate", waiting, out[-1500:])
        proc.send_signal(signal.SIGTERM)  # to the job's shell only: promote.sh passes it on
        rest, _ = proc.communicate(timeout=180)
        out += rest
        self.emu.api("POST", "/_bluegreen/targets/recover", {"target_group_arn": tg})
        self.check("promote.sh exits 143 and says it stopped", proc.returncode == 143 and "stopped (SIGTERM)" in out,
                   f"exit {proc.returncode}: {out[-1500:]}")
        self.check(f"traffic stays on {live}: nothing was written", self.traffic() == {live: 100, to: 0}, self.traffic())
        self.plan_is_clean("after the cancel")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--demo", action="store_true",
                    help="make demo's short walk: day 0, one release, one with its SLO in FAILURE")
    ap.add_argument("--provider-dir", default=os.environ.get("BLUEGREEN_PROVIDER_DIR", str(pe.ROOT / "target" / "debug")))
    args = ap.parse_args()
    provider_dir = Path(args.provider_dir)
    if not (provider_dir / "terraform-provider-bluegreen").exists():
        print(f"run_pipeline: no terraform-provider-bluegreen in {provider_dir} (make build)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bluegreen-pipeline."))
    t0 = time.monotonic()
    flow = None
    try:
        flow = Flow(work, provider_dir)
        flow.day0()
        flow.release(1)
        flow.bootstrap_off()
        if args.demo:
            flow.release(2, slo_failure=True)
        else:
            flow.release(2)
            flow.release(3, slo_failure=True)
            flow.release(4)
            flow.rollback_between_read_and_deploy(5)
            flow.traffic_moved_outside(6)
            flow.cancel_promotion()
    finally:
        if flow:
            flow.emu.stop()
        keep = args.keep or (flow is None or flow.failed)
        if keep:
            print(f"run_pipeline: files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nrun_pipeline: {flow.passed} passed, {flow.failed} failed ({time.monotonic() - t0:.0f}s)")
    return 1 if flow.failed else 0


def run_main() -> int:
    try:
        return main()
    except RuntimeError as e:  # the setup could not start (no emulator, no aws provider mirror)
        print(f"run_pipeline: FAILED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run_main())
