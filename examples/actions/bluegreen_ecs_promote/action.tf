# In a real configuration these come from aws_lb_listener_rule.app.arn and
# aws_lb_target_group.{blue,green}.arn, or from the bluegreen_ecs_release itself.
locals {
  listener_rule_arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
  blue_target_group_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/myapp-prod-blue/73e2d6bc24d8a067"
  green_target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/myapp-prod-green/2453ed029918f21f"
}

# terraform apply -invoke=action.bluegreen_ecs_promote.app
#
# Moves all traffic to the standby color through the promotion gate, bakes it, and
# rolls back if the bake fails. Progress is printed while the gate waits and the bake
# runs. Nothing else in the configuration is planned or applied.
action "bluegreen_ecs_promote" "app" {
  config {
    cluster           = "myapp-prod"
    listener_rule_arn = local.listener_rule_arn

    blue {
      target_group_arn = local.blue_target_group_arn
    }
    green {
      target_group_arn = local.green_target_group_arn
    }

    # Optional: the color that gets all traffic. Omitted, the standby when the invoke
    # starts; set, a repeated invoke does nothing instead of switching back.
    to_color = "green"

    # Optional: the same block, with the same defaults, as the release resource's.
    promotion {
      min_healthy_targets = 2
      wait_timeout        = "5m"
      alarm_names         = ["myapp-prod-target-5xx"]
      bake_time           = "2m"
      rollback_on_failure = true
    }
  }
}
