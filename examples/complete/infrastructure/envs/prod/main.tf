# prod: the strictest promotion gate. Every task of the new color healthy, both
# alarms quiet, a 10-minute bake with automatic rollback, and both quality gates
# (Dynatrace, then a person) in the pipeline. Production lives in its own account.
#
# Promotion: the pipeline's promote job (spinnaker/scripts/promote.sh) runs, here,
#   terraform apply -invoke=module.ecs.action.bluegreen_ecs_promote.app -var active_color=<standby>
# and then records the new traffic with a refresh-only apply of the release. Every other
# run leaves active_color null, so the release adopts what is live and
# `terraform plan -detailed-exitcode` exits 0 after a deploy or a promotion.

terraform {
  required_version = ">= 1.14" # action blocks (the promote job), as the module

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70, < 7.0"
    }
    # Exact: both pipeline jobs (read, promote) must run the same provider. hashicorp/aws
    # is pinned by .terraform.lock.hcl; this provider's checksums join the lock when you
    # adopt a release (terraform providers lock -platform=... for your CI platforms).
    bluegreen = {
      source  = "bluegreen-ecs/bluegreen"
      version = "0.1.0"
    }
  }

  backend "s3" {
    bucket       = "acme-terraform-state-210987654321"
    key          = "myapp/prod/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["210987654321"]

  default_tags {
    tags = {
      managed-by = "terraform"
      repository = "acme/myapp-infra"
    }
  }
}

# Same credentials chain as the aws provider (CI: web identity / OIDC role).
provider "bluegreen" {
  region = "us-east-1"
}

variable "active_color" {
  description = "Set only by the pipeline's promote job (-var active_color=...); null adopts what is live."
  type        = string
  default     = null
}

module "ecs" {
  source = "../../modules/ecs"

  app_name          = "myapp"
  environment       = "prod"
  spinnaker_account = "ecs-prod"

  vpc_id             = "vpc-0c3d4e5f60718293a"
  public_subnet_ids  = ["subnet-0f3a4b5c6d7e8f901", "subnet-0f3a4b5c6d7e8f902", "subnet-0f3a4b5c6d7e8f903"]
  private_subnet_ids = ["subnet-0b9c8d7e6f5a40101", "subnet-0b9c8d7e6f5a40102", "subnet-0b9c8d7e6f5a40103"]

  certificate_arn     = "arn:aws:acm:us-east-1:210987654321:certificate/3c9d1e2f-8a7b-4c6d-9e0f-1a2b3c4d5e06"
  host_names          = ["myapp.example.com"]
  test_listener_cidrs = ["10.40.0.0/16", "192.0.2.0/24"]

  task_cpu      = 1024
  task_memory   = 2048
  desired_count = 4
  max_count     = 12

  # Day 0: blue runs the bootstrap image until the first pipeline run has promoted
  # green; then set blue to 0 too (the pipeline refuses to deploy into a color whose
  # bootstrap service still has tasks).
  bootstrap_image         = "210987654321.dkr.ecr.us-east-1.amazonaws.com/myapp:bootstrap"
  bootstrap_desired_count = { blue = 4, green = 0 }

  # The ARN only: ECS reads the token at task start and the provider when the gate
  # runs; no token is ever in Terraform state, plans or task definitions.
  dynatrace_token_secret_arn = "arn:aws:secretsmanager:us-east-1:210987654321:secret:dynatrace/tokens-Xy12Ab"

  # The promotion gate's Dynatrace check (release and promote action alike): these SLOs
  # must be SUCCESS before traffic moves and during the bake. The provider reads the
  # token from the secret above (JSON key DT_API_TOKEN, scope slo.read) when it runs.
  dynatrace_environment_url = "https://abc12345.live.dynatrace.com"
  dynatrace_slo_ids         = ["myapp-prod-availability", "myapp-prod-latency"]
  # ...and a Site Reliability Guardian validation (an AutomationEngine workflow), run
  # with a platform token kept under a second key of the same secret.
  dynatrace_guardian_workflow_id      = "0f4bd5a8-6c1e-4d57-9a3c-2b8e7f1d6c90"
  dynatrace_platform_token_secret_key = "DT_PLATFORM_TOKEN"

  active_color = var.active_color

  promotion = {
    min_healthy_targets = 4 # = desired_count: every task of the new color healthy
    wait_timeout        = "10m"
    bake_time           = "10m"
    alarms              = true
    timeout             = "30m" # wait + bake + rollback must fit in it
  }

  alarm_5xx_threshold = 5
  quality_gate        = "both"
}
