# In a real configuration these come from aws_lb_listener_rule.app.arn and
# aws_lb_target_group.{blue,green}.arn: see examples/complete for the whole stack.
locals {
  listener_rule_arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
  test_listener_rule_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-prod/50dc6c495c0c9188/0467ef3c8400ae65/4f6a1c2e9b3d7a10"
  blue_target_group_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/myapp-prod-blue/73e2d6bc24d8a067"
  green_target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/myapp-prod-green/2453ed029918f21f"
}

# The release owns one thing: which target group the production listener rule
# forwards to, and with what weight. Task definitions, images, desired counts and
# Spinnaker server groups stay with the deploy tool, so a deploy is never drift.
resource "bluegreen_ecs_release" "app" {
  cluster           = "myapp-prod" # ECS cluster name or ARN
  listener_rule_arn = local.listener_rule_arn

  blue {
    target_group_arn = local.blue_target_group_arn
  }
  green {
    target_group_arn = local.green_target_group_arn
  }

  # Set: enforced, and a plan shows it if someone moved traffic.
  # Omitted: the release adopts whatever is live.
  active_color = "green"

  # Optional canary: send 10 % to the standby color (0..50).
  standby_traffic_percent = 10

  # Optional: a test rule that always forwards to the standby color.
  test_listener_rule_arn = local.test_listener_rule_arn

  # Runs before any write that gives a color more traffic.
  promotion {
    min_healthy_targets = 2
    wait_timeout        = "5m"
    alarm_names         = ["myapp-prod-target-5xx"]
    bake_time           = "2m" # watch health and alarms after the switch...
    rollback_on_failure = true # ...and switch back if they go bad
  }

  timeouts {
    update = "15m"
  }
}
