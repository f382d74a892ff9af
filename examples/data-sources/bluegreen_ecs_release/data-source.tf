# Read-only view of a release, for plan-only CI jobs (no write permissions) and
# deploy-pipeline parameters. Locate it by listener_rule_arn, listener_arn, or by
# one ECS service of the pair.
data "bluegreen_ecs_release" "app" {
  cluster           = "myapp-prod"
  listener_rule_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
  # or: listener_arn = "arn:aws:elasticloadbalancing:...:listener/app/..."
  # or: service      = "myapp-prod-blue-v012"
}

# Where the next deploy goes: the standby color and its target group.
output "standby_color" {
  value = data.bluegreen_ecs_release.app.standby_color
}

output "standby_target_group_arn" {
  value = data.bluegreen_ecs_release.app.standby_target_group_arn
}

# The ECS services (e.g. Spinnaker server groups app-stack-detail-vNNN) serving
# live traffic now, with their task definitions and counts.
locals {
  release       = data.bluegreen_ecs_release.app
  live_services = local.release.active_color == "blue" ? local.release.blue_services : local.release.green_services
}

output "live_services" {
  value = [
    for s in local.live_services :
    "${s.service_name} ${s.task_definition_arn} ${s.running_count}/${s.desired_count}"
    if s.desired_count > 0
  ]
}
