terraform {
  required_providers {
    bluegreen = {
      source  = "bluegreen-ecs/bluegreen"
      version = "~> 0.1"
    }
  }
}

# Credentials come from the standard AWS chain: environment, shared config and SSO,
# web identity (CI OIDC), container and instance roles. They never reach state,
# plans or logs.
provider "bluegreen" {
  region = "us-east-1" # else AWS_REGION / AWS_DEFAULT_REGION / the profile's region

  # Optional: act through a deployer role. Plan-only CI jobs can use a read-only role.
  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/bluegreen-deployer"
    session_name = "terraform-ci"
  }

  # Standard retry with full jitter on throttling and 5xx answers (0..100, default 10).
  max_retries = 10

  # Emulators or VPC endpoints:
  # endpoints {
  #   ecs        = "http://127.0.0.1:5000"
  #   elbv2      = "http://127.0.0.1:5000"
  #   cloudwatch = "http://127.0.0.1:5000"
  # }
}
