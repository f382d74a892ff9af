# An action_trigger runs the action as part of an apply. Here a new environment's
# release adopts what the scaffolding made live, and once it is created the standby
# color is promoted (through the gate and the bake above). Use after_create or
# after_update on the release: a before_* trigger would move traffic under the
# release's own apply, which then refuses ("Traffic moved since the plan").
resource "bluegreen_ecs_release" "app" {
  cluster           = "myapp-prod"
  listener_rule_arn = local.listener_rule_arn

  blue {
    target_group_arn = local.blue_target_group_arn
  }
  green {
    target_group_arn = local.green_target_group_arn
  }

  # active_color omitted (adopt mode): the release follows the promotion, and the
  # next plan is empty. With active_color set, that plan shows the promotion as drift.

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.bluegreen_ecs_promote.app]
    }
  }
}
