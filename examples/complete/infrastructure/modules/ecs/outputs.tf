# Outputs for the deploy pipeline. spinnaker/scripts/read-release.sh (the pipeline's
# "Read release" CodeBuild job) exports the ones codebuild/read-release.yml lists, by
# upper-cased name; the pipeline's "Release as read" stage names them again in lower case.
#
# Every value here is owned by Terraform (or is the release pointer, which only moves
# through Terraform), so a Spinnaker deploy changes none of them: `terraform plan
# -detailed-exitcode` still exits 0 after a deploy. Do not output what the deploy
# tool owns (server group names, task definitions, counts).

output "app_name" {
  description = "Spinnaker application; server groups are <app_name>-<environment>-<color>-vNNN."
  value       = var.app_name
}

output "environment" {
  description = "Environment, the Spinnaker stack."
  value       = var.environment
}

output "region" {
  description = "AWS region of the stack."
  value       = data.aws_region.current.name
}

output "spinnaker_account" {
  description = "ECS account in Spinnaker that deploys here."
  value       = var.spinnaker_account
}

output "cluster_name" {
  description = "ECS cluster of every service of the app (bootstrap and Spinnaker server groups)."
  value       = aws_ecs_cluster.this.name
}

output "service_names" {
  description = "ECS services Terraform owns: the bootstrap service of each color."
  value       = { for color, s in aws_ecs_service.bootstrap : color => s.name }
}

output "blue_target_group_arn" {
  description = "Target group of the blue color."
  value       = aws_lb_target_group.color["blue"].arn
}

output "green_target_group_arn" {
  description = "Target group of the green color."
  value       = aws_lb_target_group.color["green"].arn
}

output "listener_rule_arn" {
  description = "The production listener rule: the blue/green pointer."
  value       = aws_lb_listener_rule.app.arn
}

output "test_listener_rule_arn" {
  description = "The test listener rule; always forwards to the standby color."
  value       = aws_lb_listener_rule.test.arn
}

output "alb_dns_name" {
  description = "DNS name of the ALB (point host_names at it)."
  value       = aws_lb.this.dns_name
}

output "test_url" {
  description = "Where the standby color answers before promotion (test listener)."
  value       = "https://${var.host_names[0]}:${var.test_listener_port}"
}

output "active_color" {
  description = "Color serving production traffic."
  value       = bluegreen_ecs_release.app.active_color
}

output "standby_color" {
  description = "Color the next deploy goes to."
  value       = bluegreen_ecs_release.app.standby_color
}

output "active_target_group_arn" {
  description = "Target group serving production traffic."
  value       = bluegreen_ecs_release.app.active_target_group_arn
}

output "standby_target_group_arn" {
  description = "Target group of the standby color."
  value       = bluegreen_ecs_release.app.standby_target_group_arn
}

output "standby_target_group_name" {
  description = "Name of the standby target group (Spinnaker's ECS deploy takes target groups by name)."
  value       = aws_lb_target_group.color[bluegreen_ecs_release.app.standby_color].name
}

output "standby_traffic_percent" {
  description = "Share of production traffic the standby color receives now."
  value       = bluegreen_ecs_release.app.standby_traffic_percent
}

output "standby_bootstrap_desired_count" {
  description = "Tasks of Terraform's bootstrap service on the standby color; the pipeline requires 0."
  value       = var.bootstrap_desired_count[bluegreen_ecs_release.app.standby_color]
}

output "container_port" {
  description = "Port of the application container."
  value       = var.container_port
}

output "task_cpu" {
  description = "Task CPU units for Spinnaker's task definition template."
  value       = var.task_cpu
}

output "task_memory" {
  description = "Task memory (MiB) for Spinnaker's task definition template."
  value       = var.task_memory
}

output "desired_count" {
  description = "Tasks per Spinnaker server group."
  value       = var.desired_count
}

output "max_count" {
  description = "Autoscaling maximum of a Spinnaker server group."
  value       = var.max_count
}

output "task_role_arn" {
  description = "Task role for the task definition template's taskRoleArn (with a template, clouddriver sets no task role itself)."
  value       = aws_iam_role.task.arn
}

output "task_execution_role_arn" {
  description = "Execution role (image pull, logs, secrets) for the task definition template."
  value       = aws_iam_role.task_execution.arn
}

output "service_security_group_name" {
  description = "Security group of the tasks; Spinnaker takes security groups by name."
  value       = aws_security_group.service.name
}

output "subnet_type" {
  description = "Spinnaker subnet type (immutable_metadata purpose tag) of the task subnets."
  value       = var.spinnaker_subnet_type
}

output "log_group_name" {
  description = "CloudWatch log group of the application."
  value       = aws_cloudwatch_log_group.app.name
}

output "dynatrace_token_value_from" {
  description = "Secrets Manager reference (ARN and JSON key, not the token) for the container's secrets.valueFrom."
  value       = local.dynatrace_token_value_from
}

output "quality_gate" {
  description = "Quality gate the pipeline runs before promoting: dynatrace, manual or both."
  value       = var.quality_gate
}
