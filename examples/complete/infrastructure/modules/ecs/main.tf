# Blue/green ECS service behind an ALB, deployed by Spinnaker.
#
# Who owns what (so that `terraform plan` after a Spinnaker deploy shows "No changes"):
#
#   Terraform (this module)                       Spinnaker (the pipeline)
#   -------------------------------------------   -----------------------------------------
#   ALB, listeners, listener rules (priority,     ECS services <app>-<env>-<color>-vNNN
#     conditions), blue/green target groups         ("server groups"), one per deploy
#   ECS cluster, IAM roles, log group, alarms     their task definition revisions, images,
#   the bootstrap task definition and the           desired counts, autoscaling targets
#     per-color bootstrap services                deleting older server groups of a color
#   bluegreen_ecs_release: which target group
#     the production rule forwards to (moved
#     only through the promotion gate)
#
# Terraform never sees a Spinnaker server group and Spinnaker never modifies a
# Terraform resource, so neither shows up as drift in the other. The only
# lifecycle.ignore_changes below is the forward action of the two listener rules:
# after creating them, the aws provider hands that action to bluegreen_ecs_release,
# which owns it (it reports drift on it itself, and moves it only through its gate).

terraform {
  required_version = ">= 1.14" # action blocks (the promote job)

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70, < 7.0"
    }
    bluegreen = {
      source  = "bluegreen-ecs/bluegreen"
      version = "~> 0.1"
    }
  }
}

data "aws_region" "current" {}

locals {
  name   = "${var.app_name}-${var.environment}" # also the Spinnaker "app-stack"
  colors = toset(["blue", "green"])

  # The Secrets Manager reference ECS resolves at task start: ARN[:json-key::].
  dynatrace_token_value_from = (var.dynatrace_token_secret_key == null
    ? var.dynatrace_token_secret_arn
  : "${var.dynatrace_token_secret_arn}:${var.dynatrace_token_secret_key}::")

  alarm_names = [
    aws_cloudwatch_metric_alarm.target_5xx.alarm_name,
    aws_cloudwatch_metric_alarm.target_latency_p99.alarm_name,
  ]

  tags = merge(var.tags, {
    application = var.app_name
    environment = var.environment
  })
}

# --- Security groups -------------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "ALB of ${local.name}"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from anywhere (redirected to HTTPS)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_test" {
  for_each = toset(var.test_listener_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "Test listener (standby color)"
  ip_protocol       = "tcp"
  from_port         = var.test_listener_port
  to_port           = var.test_listener_port
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.service.id
}

# Spinnaker attaches its server groups to this group by name (output
# service_security_group_name), Terraform's bootstrap services by ID.
resource "aws_security_group" "service" {
  name        = "${local.name}-service"
  description = "Tasks of ${local.name} (all colors and server groups)"
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "service_from_alb" {
  security_group_id            = aws_security_group.service.id
  description                  = "From the ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "service_all" {
  security_group_id = aws_security_group.service.id
  description       = "Image pulls, Secrets Manager, Dynatrace"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# --- Load balancer, target groups, listeners -------------------------------------

resource "aws_lb" "this" {
  name               = local.name
  load_balancer_type = "application"
  internal           = false
  subnets            = var.public_subnet_ids
  security_groups    = [aws_security_group.alb.id]
  tags               = local.tags
}

# One target group per color. The bluegreen:color tag tells the provider (and people)
# which is which, whatever the names; import relies on it.
resource "aws_lb_target_group" "color" {
  for_each = local.colors

  name                 = "${local.name}-${each.key}"
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip" # awsvpc tasks
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = var.health_check_path
    matcher             = "200-399"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(local.tags, { "bluegreen:color" = each.key })
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# Production listener. Its default action never changes (unknown hosts get a 404),
# so it needs no ignore_changes: the blue/green pointer is the rule below.
resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "not found"
      status_code  = "404"
    }
  }
}

# The production pointer. Terraform creates it (priority, conditions) forwarding to
# blue, with green at weight 0 so that both target groups are attached to the ALB
# from day one (ECS refuses a target group that no listener uses).
resource "aws_lb_listener_rule" "app" {
  listener_arn = aws_lb_listener.https.arn
  priority     = var.listener_rule_priority

  condition {
    host_header {
      values = var.host_names
    }
  }

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.color["blue"].arn
        weight = 100
      }
      target_group {
        arn    = aws_lb_target_group.color["green"].arn
        weight = 0
      }
    }
  }

  tags = local.tags

  lifecycle {
    # The forward action belongs to bluegreen_ecs_release.app from here on.
    ignore_changes = [action]
  }
}

# Test listener: always forwards to the standby color, so the quality gate (and
# people) can exercise the new version before it takes production traffic.
resource "aws_lb_listener" "test" {
  load_balancer_arn = aws_lb.this.arn
  port              = var.test_listener_port
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "not found"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener_rule" "test" {
  listener_arn = aws_lb_listener.test.arn
  priority     = var.listener_rule_priority

  condition {
    host_header {
      values = var.host_names
    }
  }

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.color["green"].arn
        weight = 100
      }
      target_group {
        arn    = aws_lb_target_group.color["blue"].arn
        weight = 0
      }
    }
  }

  tags = local.tags

  lifecycle {
    # bluegreen_ecs_release.app points it at the standby color whenever traffic moves.
    ignore_changes = [action]
  }
}

# --- ECS cluster, logs, IAM ------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = local.tags
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Execution role: used by the ECS agent to pull the image, write logs and resolve
# the container's `secrets` before the container starts.
resource "aws_iam_role" "task_execution" {
  name               = "${local.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "task_execution" {
  role       = aws_iam_role.task_execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# Read access to exactly one secret: the Dynatrace token.
data "aws_iam_policy_document" "read_dynatrace_token" {
  statement {
    sid       = "ReadDynatraceToken"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.dynatrace_token_secret_arn]
  }

  dynamic "statement" {
    for_each = var.secrets_kms_key_arn == null ? [] : [var.secrets_kms_key_arn]
    content {
      sid       = "DecryptDynatraceToken"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "read_dynatrace_token" {
  name   = "read-dynatrace-token"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.read_dynatrace_token.json
}

# Task role: the application's own AWS permissions (none in this example). Spinnaker's
# task definition template sets it (taskRoleArn, output task_role_arn): with a template
# artifact clouddriver ignores the deploy's iamRole.
resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

# --- Bootstrap task definition and services --------------------------------------
#
# Choice: Terraform runs one bootstrap service per color, and Spinnaker creates every
# later version as its own server group. Spinnaker's ECS deploy never updates an
# existing service: each deploy registers a task definition revision and creates a
# new service <app>-<env>-<color>-vNNN. The bootstrap services are named
# <app>-<env>-<color>-bootstrap, a Spinnaker cluster of their own that the pipeline
# never targets, so Spinnaker never scales, disables or deletes them, and Terraform
# pins their task definition without any ignore_changes. Their only job is day 0:
# the listener has healthy targets (and the promotion gate something steady to check)
# before the first pipeline run. Afterwards their count goes to 0 (bootstrap_desired_count).

locals {
  container_name = "app"

  # The same container as Spinnaker's task definition template
  # (spinnaker/pipelines/artifact-template.json), with the bootstrap image.
  bootstrap_container = {
    name      = local.container_name
    image     = var.bootstrap_image
    essential = true
    portMappings = [{
      containerPort = var.container_port
      protocol      = "tcp"
    }]
    environment = [
      { name = "APP_ENV", value = var.environment },
    ]
    # The token is resolved by ECS from Secrets Manager when the task starts. Terraform
    # only knows the ARN: no secret value in state, in the plan or in the task definition.
    secrets = [
      { name = "DT_API_TOKEN", valueFrom = local.dynatrace_token_value_from },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "bootstrap"
      }
    }
  }
}

resource "aws_ecs_task_definition" "bootstrap" {
  family                   = "${local.name}-bootstrap"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.bootstrap_container])
  tags                     = local.tags
}

resource "aws_ecs_service" "bootstrap" {
  for_each = local.colors

  name            = "${local.name}-${each.key}-bootstrap"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.bootstrap.arn # pinned: only Terraform changes it
  desired_count   = var.bootstrap_desired_count[each.key]
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.color[each.key].arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Both target groups must be attached to the ALB before a service can use them.
  depends_on = [aws_lb_listener_rule.app, aws_lb_listener_rule.test]

  tags = merge(local.tags, { "bluegreen:color" = each.key })
}

# --- Alarms of the promotion gate ------------------------------------------------
# Load-balancer wide, so they watch whichever color is live: the gate checks them
# before a switch and during the bake after it.

resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  alarm_name          = "${local.name}-target-5xx"
  alarm_description   = "5xx answers of ${local.name}'s tasks"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = { LoadBalancer = aws_lb.this.arn_suffix }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.alarm_5xx_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "target_latency_p99" {
  alarm_name          = "${local.name}-target-latency-p99"
  alarm_description   = "p99 response time of ${local.name}'s tasks"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = aws_lb.this.arn_suffix }
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 3
  threshold           = var.alarm_p99_latency_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  tags                = local.tags
}

# --- The release: the blue/green traffic pointer ---------------------------------

resource "bluegreen_ecs_release" "app" {
  cluster                = aws_ecs_cluster.this.name
  listener_rule_arn      = aws_lb_listener_rule.app.arn
  test_listener_rule_arn = aws_lb_listener_rule.test.arn

  blue {
    target_group_arn = aws_lb_target_group.color["blue"].arn
  }
  green {
    target_group_arn = aws_lb_target_group.color["green"].arn
  }

  # null: follow what is live (adopt). The promote job invokes the action below with
  # -var active_color=<standby color>; no other run sets it.
  active_color = var.active_color

  # The one place the gate is written: the action below reads every field from here.
  promotion {
    min_healthy_targets = var.promotion.min_healthy_targets
    wait_timeout        = var.promotion.wait_timeout
    alarm_names         = concat(var.promotion.alarms ? local.alarm_names : [], var.promotion.extra_alarm_names)
    bake_time           = var.promotion.bake_time
    rollback_on_failure = true

    # Dynatrace SLOs (and optionally a Site Reliability Guardian) must pass before
    # traffic moves and throughout the bake. The provider reads the token from Secrets
    # Manager when the gate runs; only the ARN is in this configuration.
    dynamic "dynatrace" {
      for_each = var.dynatrace_environment_url == null ? [] : [var.dynatrace_environment_url]
      content {
        environment_url           = dynatrace.value
        api_token_secret_arn      = var.dynatrace_token_secret_arn
        api_token_secret_key      = var.dynatrace_token_secret_key
        slo_ids                   = var.dynatrace_slo_ids
        allow_warning             = var.dynatrace_allow_warning
        evaluation_window         = var.dynatrace_evaluation_window
        guardian_workflow_id      = var.dynatrace_guardian_workflow_id
        platform_url              = var.dynatrace_platform_url
        platform_token_secret_arn = var.dynatrace_platform_token_secret_arn
        platform_token_secret_key = var.dynatrace_platform_token_secret_key
      }
    }
  }

  timeouts {
    create = var.promotion.timeout
    update = var.promotion.timeout
  }

  # On day 0 the gate must find the bootstrap service steady if active_color is set.
  depends_on = [aws_ecs_service.bootstrap]
}

# The promote job (Spinnaker's "Promote standby color" CodeBuild stage, scripts/promote.sh)
# runs, in an env directory (Terraform 1.14+):
#   terraform apply -invoke=module.ecs.action.bluegreen_ecs_promote.app -var active_color=STANDBY
# Every input and every promotion field is read from the release, the dynatrace block
# included, so the action's gate cannot drift from the release's: the caller chooses only
# the color, and to_color makes a late or repeated invoke a no-op.
action "bluegreen_ecs_promote" "app" {
  config {
    cluster                = bluegreen_ecs_release.app.cluster
    listener_rule_arn      = bluegreen_ecs_release.app.listener_rule_arn
    test_listener_rule_arn = bluegreen_ecs_release.app.test_listener_rule_arn
    blue {
      target_group_arn = bluegreen_ecs_release.app.blue[0].target_group_arn
    }
    green {
      target_group_arn = bluegreen_ecs_release.app.green[0].target_group_arn
    }
    to_color = var.active_color

    promotion {
      min_healthy_targets = bluegreen_ecs_release.app.promotion[0].min_healthy_targets
      wait_timeout        = bluegreen_ecs_release.app.promotion[0].wait_timeout
      alarm_names         = bluegreen_ecs_release.app.promotion[0].alarm_names
      bake_time           = bluegreen_ecs_release.app.promotion[0].bake_time
      rollback_on_failure = bluegreen_ecs_release.app.promotion[0].rollback_on_failure

      dynamic "dynatrace" {
        for_each = bluegreen_ecs_release.app.promotion[0].dynatrace
        content {
          environment_url           = dynatrace.value.environment_url
          api_token_secret_arn      = dynatrace.value.api_token_secret_arn
          api_token_secret_key      = dynatrace.value.api_token_secret_key
          slo_ids                   = dynatrace.value.slo_ids
          allow_warning             = dynatrace.value.allow_warning
          evaluation_window         = dynatrace.value.evaluation_window
          guardian_workflow_id      = dynatrace.value.guardian_workflow_id
          platform_url              = dynatrace.value.platform_url
          platform_token_secret_arn = dynatrace.value.platform_token_secret_arn
          platform_token_secret_key = dynatrace.value.platform_token_secret_key
        }
      }
    }
  }
}

# A read-only view of the release for the health warnings below. It is a top-level data
# source on purpose: Terraform plans a data source nested in a check block as a read to
# repeat at apply, which makes every `terraform plan -detailed-exitcode` exit 2. A
# top-level one is read during the plan and costs nothing. Nothing it reads (Spinnaker
# server groups, their task definitions and counts) goes into an output: those change
# with every deploy and would break "no changes" plans.
data "bluegreen_ecs_release" "live" {
  cluster                = bluegreen_ecs_release.app.cluster
  listener_rule_arn      = bluegreen_ecs_release.app.listener_rule_arn
  blue_target_group_arn  = aws_lb_target_group.color["blue"].arn
  green_target_group_arn = aws_lb_target_group.color["green"].arn
}

# Health warnings on every plan and apply. A check block only warns: it never fails a
# plan and never counts as a change for -detailed-exitcode.
check "release_is_served" {
  assert {
    condition = length([
      for s in {
        blue  = data.bluegreen_ecs_release.live.blue_services
        green = data.bluegreen_ecs_release.live.green_services
      }[data.bluegreen_ecs_release.live.active_color] : s if s.running_count > 0
    ]) > 0
    error_message = "No ECS service with running tasks serves the live color ${data.bluegreen_ecs_release.live.active_color} of ${local.name}."
  }

  # The handover from Terraform's bootstrap services to Spinnaker: once a Spinnaker
  # server group (<app>-<env>-<color>-vNNN) serves a color, its bootstrap count must be 0.
  assert {
    condition = alltrue([
      for color, services in {
        blue  = data.bluegreen_ecs_release.live.blue_services
        green = data.bluegreen_ecs_release.live.green_services
      } :
      var.bootstrap_desired_count[color] == 0 || length([
        for s in services : s if can(regex("-v[0-9]{3}$", s.service_name)) && s.desired_count > 0
      ]) == 0
    ])
    error_message = "A Spinnaker server group serves a color whose bootstrap service still runs tasks: set bootstrap_desired_count for that color to 0."
  }
}
