# qa: like prod in shape, with a short bake watching the alarms and the Dynatrace
# quality gate alone deciding.
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
    bucket       = "acme-terraform-state-123456789012"
    key          = "myapp/qa/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["123456789012"]

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
  environment       = "qa"
  spinnaker_account = "ecs-qa"

  vpc_id             = "vpc-0b2c3d4e5f6071829"
  public_subnet_ids  = ["subnet-0e2f3a4b5c6d7e801", "subnet-0e2f3a4b5c6d7e802"]
  private_subnet_ids = ["subnet-0a8b7c6d5e4f30201", "subnet-0a8b7c6d5e4f30202"]

  certificate_arn     = "arn:aws:acm:us-east-1:123456789012:certificate/7e1c5b0f-1b7a-4a4e-9c1e-2f3a4b5c6d02"
  host_names          = ["myapp.qa.example.com"]
  test_listener_cidrs = ["10.30.0.0/16"]

  task_cpu      = 512
  task_memory   = 1024
  desired_count = 2
  max_count     = 4

  # Day 0: blue runs the bootstrap image until the first pipeline run has promoted
  # green; then set blue to 0 too (the pipeline refuses to deploy into a color whose
  # bootstrap service still has tasks).
  bootstrap_image         = "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:bootstrap"
  bootstrap_desired_count = { blue = 1, green = 0 }

  # The ARN only: ECS reads the token at task start and the provider when the gate
  # runs; no token is ever in Terraform state, plans or task definitions.
  dynatrace_token_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dynatrace/tokens-Xy12Ab"

  # The promotion gate's Dynatrace check (release and promote action alike): these SLOs
  # must be SUCCESS before traffic moves and during the bake. The provider reads the
  # token from the secret above (JSON key DT_API_TOKEN, scope slo.read) when it runs.
  dynatrace_environment_url = "https://abc12345.live.dynatrace.com"
  dynatrace_slo_ids         = ["myapp-qa-availability", "myapp-qa-latency"]

  active_color = var.active_color

  promotion = {
    min_healthy_targets = 2
    wait_timeout        = "5m"
    bake_time           = "2m"
    alarms              = true
  }

  quality_gate = "dynatrace"
}
