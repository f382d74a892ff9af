# Inputs of the blue/green ECS module. Names that end up in Spinnaker (app, stack,
# target groups, security group) follow Spinnaker's naming rules, hence the checks.

variable "app_name" {
  description = "Spinnaker application name (letters and digits only: Spinnaker splits names on '-')."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,14}$", var.app_name))
    error_message = "app_name must be 2..15 lowercase letters or digits, starting with a letter."
  }
}

variable "environment" {
  description = "Environment, also the Spinnaker stack: server groups are named <app>-<environment>-<color>-vNNN."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment must be 2..8 lowercase letters or digits, starting with a letter."
  }
}

variable "spinnaker_account" {
  description = "Name of the ECS account in Spinnaker (clouddriver) that deploys to this environment."
  type        = string
}

# --- Network (the VPC is not created here) -------------------------------------------

variable "vpc_id" {
  description = "VPC of the load balancer, target groups and tasks."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the internet-facing ALB (two or more availability zones)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = <<-EOT
    Subnets of the tasks. Spinnaker picks subnets by type: tag them
    immutable_metadata = {"purpose":"<spinnaker_subnet_type>"}.
  EOT
  type        = list(string)
}

variable "spinnaker_subnet_type" {
  description = "Subnet type (the immutable_metadata purpose tag) Spinnaker deploys server groups into."
  type        = string
  default     = "private"
}

# --- Load balancer ---------------------------------------------------------------

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listeners."
  type        = string
}

variable "host_names" {
  description = "Host headers the production listener rule (the blue/green pointer) matches."
  type        = list(string)
}

variable "listener_rule_priority" {
  description = "Priority of the production and test listener rules."
  type        = number
  default     = 100
}

variable "test_listener_port" {
  description = "Port of the test listener, which always serves the standby color (quality gate, manual checks)."
  type        = number
  default     = 8443
}

variable "test_listener_cidrs" {
  description = "Who may reach the test listener: office/VPN ranges, synthetic monitors."
  type        = list(string)
  default     = []
}

variable "health_check_path" {
  description = "Health check path of both target groups."
  type        = string
  default     = "/health"
}

# --- Tasks -----------------------------------------------------------------------

variable "container_port" {
  description = "Port the application container listens on."
  type        = number
  default     = 8080
}

variable "task_cpu" {
  description = "Fargate task CPU units (used by the bootstrap task definition and the Spinnaker template)."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Fargate task memory in MiB."
  type        = number
  default     = 1024
}

variable "desired_count" {
  description = "Tasks per Spinnaker server group (the pipeline's deploy capacity)."
  type        = number
  default     = 2
}

variable "max_count" {
  description = "Upper bound of a server group's autoscaling (Spinnaker registers a scalable target)."
  type        = number
  default     = 4
}

variable "bootstrap_image" {
  description = <<-EOT
    Image of the bootstrap task definition that Terraform's own per-color services run
    before Spinnaker has deployed anything (typically the last release of the app).
  EOT
  type        = string
}

variable "bootstrap_desired_count" {
  description = <<-EOT
    Tasks of Terraform's bootstrap service per color. Day 0: run only the color the
    listener starts on ({ blue = 2, green = 0 }). Once Spinnaker server groups serve a
    color, set that color to 0: the pipeline refuses to deploy into a color whose
    bootstrap service still runs tasks (they would serve next to the new version).
  EOT
  type        = map(number)
  default     = { blue = 0, green = 0 }

  validation {
    condition     = length(setsubtract(keys(var.bootstrap_desired_count), ["blue", "green"])) == 0 && length(var.bootstrap_desired_count) == 2
    error_message = "bootstrap_desired_count must have exactly the keys blue and green."
  }
}

variable "log_retention_days" {
  description = "Retention of the application log group."
  type        = number
  default     = 30
}

# --- Secrets ---------------------------------------------------------------------

variable "dynatrace_token_secret_arn" {
  description = <<-EOT
    ARN of the Secrets Manager secret holding the Dynatrace token. Only the ARN goes
    through Terraform: ECS injects the value at task start (container `secrets`), so
    the token never enters Terraform state, plans or the task definition.
  EOT
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.dynatrace_token_secret_arn))
    error_message = "dynatrace_token_secret_arn must be a Secrets Manager secret ARN (the ARN, never the token itself)."
  }
}

variable "dynatrace_token_secret_key" {
  description = "JSON key inside the secret (the secret is {\"DT_API_TOKEN\": \"...\"}); null for a plain-text secret."
  type        = string
  default     = "DT_API_TOKEN"
}

variable "secrets_kms_key_arn" {
  description = "Customer-managed KMS key of the secret, if any (the execution role then needs kms:Decrypt)."
  type        = string
  default     = null
}

# --- Dynatrace gate (optional) --------------------------------------------------
# Set dynatrace_environment_url and the release AND the promote action gate on these
# SLOs (and the guardian, if given): both read the same promotion block. The API token
# is read by the provider from dynatrace_token_secret_arn / dynatrace_token_secret_key
# when the gate runs (it needs the slo.read scope), never stored.

variable "dynatrace_environment_url" {
  description = "Dynatrace environment API URL (e.g. https://abc12345.live.dynatrace.com); null = no Dynatrace gate."
  type        = string
  default     = null

  validation {
    condition     = var.dynatrace_environment_url == null || can(regex("^https?://[^/\\s]+", coalesce(var.dynatrace_environment_url, "-")))
    error_message = "dynatrace_environment_url must be the environment's URL, e.g. https://abc12345.live.dynatrace.com."
  }
}

variable "dynatrace_slo_ids" {
  description = "SLOs (classic SLO API v2 ids) that must each be SUCCESS before and while traffic moves."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "dynatrace_allow_warning" {
  description = "Whether an SLO (or guardian validation) in WARNING passes the gate."
  type        = bool
  default     = false
  nullable    = false
}

variable "dynatrace_evaluation_window" {
  description = "SLOs are evaluated over now minus this .. now."
  type        = string
  default     = "10m"
  nullable    = false
}

variable "dynatrace_guardian_workflow_id" {
  description = "Optional Site Reliability Guardian: a workflow running one validation; its validation_status decides."
  type        = string
  default     = null
}

variable "dynatrace_platform_url" {
  description = "Platform API URL for the guardian; null = the environment URL with .live. replaced by .apps."
  type        = string
  default     = null
}

variable "dynatrace_platform_token_secret_arn" {
  description = "Secrets Manager secret with a platform token for the guardian; null = dynatrace_token_secret_arn."
  type        = string
  default     = null
}

variable "dynatrace_platform_token_secret_key" {
  description = "JSON key of the platform token in its secret; null = the whole secret string."
  type        = string
  default     = null
}

# --- Release and promotion gate --------------------------------------------------

variable "active_color" {
  description = <<-EOT
    null (the default): the release adopts whatever is live, so plans stay empty after
    a promotion. Only the pipeline's promote job sets it, for the action it invokes:
    terraform apply -invoke=module.ecs.action.bluegreen_ecs_promote.app -var active_color=<standby>.
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.active_color == null || contains(["blue", "green"], coalesce(var.active_color, "blue"))
    error_message = "active_color must be \"blue\", \"green\" or null."
  }
}

variable "promotion" {
  description = <<-EOT
    Promotion gate of bluegreen_ecs_release: healthy targets on the color gaining traffic,
    steady ECS services on it, and (alarms = true) this module's CloudWatch alarms not in
    ALARM; then a bake with automatic rollback. timeout bounds the whole update.
  EOT
  type = object({
    min_healthy_targets = optional(number, 1)
    wait_timeout        = optional(string, "5m")
    bake_time           = optional(string, "0s")
    alarms              = optional(bool, false)
    extra_alarm_names   = optional(list(string), [])
    timeout             = optional(string, "15m")
  })
  default = {}
}

variable "alarm_5xx_threshold" {
  description = "Target 5xx responses per minute that put the 5xx alarm in ALARM."
  type        = number
  default     = 10
}

variable "alarm_p99_latency_seconds" {
  description = "p99 target response time (seconds) that puts the latency alarm in ALARM."
  type        = number
  default     = 2
}

variable "quality_gate" {
  description = "Human approval in the Spinnaker pipeline: manual or both add a manual judgment before the promote job; dynatrace adds none (the Dynatrace SLOs, dynatrace_environment_url, run in the promote action's gate, not in Spinnaker)."
  type        = string
  default     = "manual"

  validation {
    condition     = contains(["dynatrace", "manual", "both"], var.quality_gate)
    error_message = "quality_gate must be dynatrace, manual or both."
  }

  # "dynatrace" skips the person: only with a Dynatrace gate to take their place.
  validation {
    condition     = var.quality_gate != "dynatrace" || (var.dynatrace_environment_url != null && (length(var.dynatrace_slo_ids) > 0 || var.dynatrace_guardian_workflow_id != null))
    error_message = "quality_gate = \"dynatrace\" skips the manual judgment: set dynatrace_environment_url and dynatrace_slo_ids (or a guardian), or use manual or both."
  }
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
