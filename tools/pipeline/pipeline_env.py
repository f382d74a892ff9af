"""The world the pipeline test (tools/pipeline/run_pipeline.py) runs in: the emulator, the AWS
account a user would already have (VPC, subnets, certificate, the Dynatrace token's
secret, the state bucket), a git repository holding a copy of examples/complete, and
Terraform configured as the CodeBuild image would be.

Nothing here decides what the pipeline does; it only provides what examples/complete
expects to exist outside it. The emulator-specific settings (endpoints, the state
bucket, the IDs of the VPC made here) go into one override file per environment,
`emulator_override.tf`, so that the environment's own main.tf stays the user's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = HERE.parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS / "emulator"))
from emulator_process import EmulatorProcess  # noqa: E402
AWS_MIRROR = Path(os.environ.get("BLUEGREEN_AWS_PROVIDER_MIRROR", "/opt/tf-plugins"))
PROVIDER_VERSION = "0.1.0"  # Cargo.toml's workspace version: what `~> 0.1` resolves to
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account; the envs' allowed_account_ids for dev/qa
DT_TOKEN = "dt0c01.PIPELINETEST.pipelinetestsecret"  # the emulator's Dynatrace API token


class Emulator(EmulatorProcess):
    """tools/emulator/emulator.py on a free port, stopped when this process exits."""

    def __init__(self, work: Path):
        # AWS-managed IAM policies exist in every account (the module attaches
        # AmazonECSTaskExecutionRolePolicy); moto loads them only when asked.
        super().__init__(work, env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})

    def client(self, service: str, retries: int = 3, timeout: float | None = None):
        return super().client(service, retries, timeout)


def account_basics(emu: Emulator, bucket: str) -> dict:
    """What examples/complete/envs/dev takes as given: VPC, public and private subnets
    (the private ones tagged for Spinnaker's subnetTypes), a certificate, the Dynatrace
    token's secret, and the state bucket."""
    ec2, acm, sm, s3 = (emu.client(s) for s in ("ec2", "acm", "secretsmanager", "s3"))
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = {"public": [], "private": []}
    for n, (kind, az) in enumerate([("public", "a"), ("public", "b"), ("private", "a"), ("private", "b")]):
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        if kind == "private":  # how clouddriver's SubnetSelector finds subnets by type
            ec2.create_tags(Resources=[sid], Tags=[{"Key": "immutable_metadata", "Value": '{"purpose":"private"}'}])
        subnets[kind].append(sid)
    cert = acm.request_certificate(DomainName="myapp.dev.example.com")["CertificateArn"]
    secret = sm.create_secret(Name="dynatrace/tokens", SecretString=json.dumps({"DT_API_TOKEN": DT_TOKEN}))["ARN"]
    s3.create_bucket(Bucket=bucket)
    return {"vpc_id": vpc, "public_subnet_ids": subnets["public"], "private_subnet_ids": subnets["private"],
            "certificate_arn": cert, "dynatrace_token_secret_arn": secret}


def provider_mirror(work: Path, provider_dir: Path) -> Path:
    """A filesystem mirror with hashicorp/aws (the machine's) and the built provider:
    `terraform init` in a directory with state installs the providers the state names
    from their source, ignoring dev_overrides (Terraform 1.15), so CodeBuild-style fresh
    checkouts need the provider where init looks for it."""
    mirror = work / "plugins"
    plat = "linux_amd64"
    dest = mirror / "registry.terraform.io" / "bluegreen-ecs" / "bluegreen" / PROVIDER_VERSION / plat
    dest.mkdir(parents=True)
    shutil.copy2(provider_dir / "terraform-provider-bluegreen", dest / f"terraform-provider-bluegreen_v{PROVIDER_VERSION}")
    if not (AWS_MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        raise RuntimeError(f"no hashicorp/aws in {AWS_MIRROR} (set BLUEGREEN_AWS_PROVIDER_MIRROR)")
    cli = work / "terraform.tfrc"
    cli.write_text(f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/bluegreen-ecs/bluegreen"]
  }}
  filesystem_mirror {{
    path    = "{AWS_MIRROR}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
""")
    return cli


def override_tf(emu: Emulator, basics: dict, bucket: str, env: str) -> str:
    """envs/<env>/emulator_override.tf: what differs between the emulator and a real account."""
    ep = emu.url
    services = ["acm", "applicationautoscaling", "cloudwatch", "cloudwatchlogs", "ec2", "ecs", "elbv2", "iam",
                "secretsmanager", "sts", "s3"]
    aws_endpoints = "\n".join(f'    {s} = "{ep}"' for s in services)
    module_args = "\n".join(f"  {k} = {json.dumps(v)}" for k, v in basics.items())
    return f'''# Written by tools/pipeline/run_pipeline.py: the emulator instead of an AWS account.
terraform {{
  backend "s3" {{
    bucket                      = "{bucket}"
    key                         = "myapp/{env}/terraform.tfstate"
    region                      = "{REGION}"
    use_lockfile                = true
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    endpoints = {{
      s3 = "{ep}"
    }}
  }}
}}

provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  endpoints {{
{aws_endpoints}
  }}
}}

provider "bluegreen" {{
  endpoints {{
    ecs            = "{ep}"
    elbv2          = "{ep}"
    cloudwatch     = "{ep}"
    secretsmanager = "{ep}"
    lambda         = "{ep}"
    codedeploy     = "{ep}"
    sts            = "{ep}"
  }}
}}

module "ecs" {{
{module_args}
  dynatrace_environment_url = "{ep}"

  # dev's gate with a shorter wait: a gate that cannot pass (an SLO in FAILURE) fails the
  # promote job after 20 s instead of 5 minutes.
  promotion = {{
    min_healthy_targets = 1
    wait_timeout        = "20s"
    bake_time           = "0s"
    alarms              = false
  }}
}}
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "pipeline test", "GIT_AUTHOR_EMAIL": "test@example.com",
                               "GIT_COMMITTER_NAME": "pipeline test", "GIT_COMMITTER_EMAIL": "test@example.com"}).stdout.strip()


def infra_repo(work: Path, emu: Emulator, basics: dict, bucket: str, env: str) -> Path:
    """A git repository like the user's: examples/complete at the same path, plus this
    emulator's override file for ENV, committed (CodeBuild checks out commits)."""
    repo = work / "repo"
    shutil.copytree(ROOT / "examples" / "complete", repo / "examples" / "complete",
                    ignore=shutil.ignore_patterns(".terraform", "terraform.tfstate*"))
    (repo / "examples/complete/infrastructure/envs" / env / "emulator_override.tf").write_text(
        override_tf(emu, basics, bucket, env))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "infrastructure as in examples/complete, on the emulator")
    return repo
