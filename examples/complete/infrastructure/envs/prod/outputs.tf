# The module's pipeline outputs, re-exported under the same names: `terraform output
# -json` in this directory is what spinnaker/scripts/read-release.sh exports to the
# pipeline. (Identical in every environment.)

output "app_name" { value = module.ecs.app_name }
output "environment" { value = module.ecs.environment }
output "region" { value = module.ecs.region }
output "spinnaker_account" { value = module.ecs.spinnaker_account }
output "cluster_name" { value = module.ecs.cluster_name }
output "service_names" { value = module.ecs.service_names }
output "blue_target_group_arn" { value = module.ecs.blue_target_group_arn }
output "green_target_group_arn" { value = module.ecs.green_target_group_arn }
output "listener_rule_arn" { value = module.ecs.listener_rule_arn }
output "test_listener_rule_arn" { value = module.ecs.test_listener_rule_arn }
output "alb_dns_name" { value = module.ecs.alb_dns_name }
output "test_url" { value = module.ecs.test_url }
output "active_color" { value = module.ecs.active_color }
output "standby_color" { value = module.ecs.standby_color }
output "active_target_group_arn" { value = module.ecs.active_target_group_arn }
output "standby_target_group_arn" { value = module.ecs.standby_target_group_arn }
output "standby_target_group_name" { value = module.ecs.standby_target_group_name }
output "standby_traffic_percent" { value = module.ecs.standby_traffic_percent }
output "standby_bootstrap_desired_count" { value = module.ecs.standby_bootstrap_desired_count }
output "container_port" { value = module.ecs.container_port }
output "task_cpu" { value = module.ecs.task_cpu }
output "task_memory" { value = module.ecs.task_memory }
output "desired_count" { value = module.ecs.desired_count }
output "max_count" { value = module.ecs.max_count }
output "task_role_arn" { value = module.ecs.task_role_arn }
output "task_execution_role_arn" { value = module.ecs.task_execution_role_arn }
output "service_security_group_name" { value = module.ecs.service_security_group_name }
output "subnet_type" { value = module.ecs.subnet_type }
output "log_group_name" { value = module.ecs.log_group_name }
output "dynatrace_token_value_from" { value = module.ecs.dynatrace_token_value_from }
output "quality_gate" { value = module.ecs.quality_gate }
