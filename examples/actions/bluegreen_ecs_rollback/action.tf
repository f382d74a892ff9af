locals {
  listener_rule_arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
  blue_target_group_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/myapp-prod-blue/73e2d6bc24d8a067"
  green_target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/myapp-prod-green/2453ed029918f21f"
}

# terraform apply -invoke=action.bluegreen_ecs_rollback.app
#
# Moves all traffic back to the standby color at once, once it has a healthy target.
# Alarms are not checked (they are usually why you roll back), and there is no bake.
action "bluegreen_ecs_rollback" "app" {
  config {
    cluster           = "myapp-prod"
    listener_rule_arn = local.listener_rule_arn

    blue {
      target_group_arn = local.blue_target_group_arn
    }
    green {
      target_group_arn = local.green_target_group_arn
    }

    # Optional. min_healthy_targets = 0 moves traffic without checking the targets;
    # the plan warns when it is set.
    promotion {
      min_healthy_targets = 1
      wait_timeout        = "1m"
    }
  }
}
