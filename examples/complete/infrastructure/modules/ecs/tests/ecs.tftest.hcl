# `terraform test` of the module with mocked providers: runs entirely in memory, creates
# nothing and needs no AWS credentials (tools/checkers/check-examples.sh runs it).

mock_provider "aws" {
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/myapp-dev/50dc6c495c0c9188"
      arn_suffix = "app/myapp-dev/50dc6c495c0c9188"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/myapp-dev/50dc6c495c0c9188/f2f7dc8efc522ab2" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

mock_provider "bluegreen" {
  # As after day 0: the listener rule forwards to blue.
  mock_resource "bluegreen_ecs_release" {
    defaults = {
      active_color            = "blue"
      standby_color           = "green"
      standby_traffic_percent = 0
    }
  }
  mock_data "bluegreen_ecs_release" {
    defaults = {
      active_color   = "blue"
      standby_color  = "green"
      blue_services  = [{ service_name = "myapp-dev-blue-bootstrap", service_arn = "arn:aws:ecs:us-east-1:123456789012:service/myapp-dev/myapp-dev-blue-bootstrap", task_definition_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/myapp-dev-bootstrap:1", desired_count = 1, running_count = 1, deployment_status = "COMPLETED" }]
      green_services = []
    }
  }
}

# Distinct ARNs where the release requires them (its validation runs under mocks too).
override_resource {
  target = aws_lb_target_group.color["blue"]
  values = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/myapp-dev-blue/73e2d6bc24d8a067" }
}

override_resource {
  target = aws_lb_listener_rule.app
  values = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-dev/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee" }
}

override_resource {
  target = aws_lb_listener_rule.test
  values = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-dev/50dc6c495c0c9188/0467ef3c8400ae65/4f6a1c2e9b3d7a10" }
}

override_resource {
  target = aws_lb_target_group.color["green"]
  values = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/myapp-dev-green/2453ed029918f21f" }
}

variables {
  app_name                   = "myapp"
  environment                = "dev"
  spinnaker_account          = "ecs-dev"
  vpc_id                     = "vpc-0a1b2c3d4e5f60718"
  public_subnet_ids          = ["subnet-0d1e2f3a4b5c6d701", "subnet-0d1e2f3a4b5c6d702"]
  private_subnet_ids         = ["subnet-0f9e8d7c6b5a40301", "subnet-0f9e8d7c6b5a40302"]
  certificate_arn            = "arn:aws:acm:us-east-1:123456789012:certificate/7e1c5b0f-1b7a-4a4e-9c1e-2f3a4b5c6d01"
  host_names                 = ["myapp.dev.example.com"]
  bootstrap_image            = "123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:bootstrap"
  bootstrap_desired_count    = { blue = 1, green = 0 }
  dynatrace_token_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dynatrace/tokens-Xy12Ab"
}

run "day_0" {
  command = apply

  # The token reaches the task as a Secrets Manager reference, never as a value.
  assert {
    condition     = jsondecode(aws_ecs_task_definition.bootstrap.container_definitions)[0].secrets == [{ name = "DT_API_TOKEN", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dynatrace/tokens-Xy12Ab:DT_API_TOKEN::" }]
    error_message = "the container must get DT_API_TOKEN through secrets.valueFrom"
  }
  assert {
    condition     = !can(jsondecode(aws_ecs_task_definition.bootstrap.container_definitions)[0].environment[index(jsondecode(aws_ecs_task_definition.bootstrap.container_definitions)[0].environment[*].name, "DT_API_TOKEN")])
    error_message = "DT_API_TOKEN must not be a plain environment variable"
  }

  assert {
    condition     = aws_lb_target_group.color["blue"].tags["bluegreen:color"] == "blue" && aws_lb_target_group.color["green"].tags["bluegreen:color"] == "green"
    error_message = "target groups must carry their bluegreen:color tag"
  }
  assert {
    condition     = aws_ecs_service.bootstrap["blue"].desired_count == 1 && aws_ecs_service.bootstrap["green"].desired_count == 0
    error_message = "bootstrap services must follow bootstrap_desired_count"
  }
  assert {
    condition     = aws_ecs_service.bootstrap["green"].name == "myapp-dev-green-bootstrap"
    error_message = "bootstrap services must be named outside Spinnaker's <app>-<env>-<color> clusters"
  }

  # What the pipeline receives.
  assert {
    condition     = output.standby_color == "green" && output.standby_target_group_name == "myapp-dev-green"
    error_message = "standby outputs must name the green target group"
  }
  assert {
    condition     = output.standby_bootstrap_desired_count == 0
    error_message = "the standby color has no bootstrap tasks on day 0"
  }
  assert {
    condition     = output.dynatrace_token_value_from == "arn:aws:secretsmanager:us-east-1:123456789012:secret:dynatrace/tokens-Xy12Ab:DT_API_TOKEN::"
    error_message = "dynatrace_token_value_from must be the ARN plus JSON key"
  }

  # The gate's alarms only when asked for.
  assert {
    condition     = length(bluegreen_ecs_release.app.promotion[0].alarm_names) == 0
    error_message = "dev's default promotion gate watches no alarms"
  }
}

run "prod_gate_watches_alarms" {
  command = apply

  variables {
    environment = "prod"
    promotion   = { min_healthy_targets = 4, bake_time = "10m", alarms = true, timeout = "30m" }
  }

  assert {
    condition     = bluegreen_ecs_release.app.promotion[0].alarm_names == tolist(["myapp-prod-target-5xx", "myapp-prod-target-latency-p99"])
    error_message = "with alarms = true the gate watches the module's two alarms"
  }
  assert {
    condition     = bluegreen_ecs_release.app.promotion[0].bake_time == "10m" && bluegreen_ecs_release.app.timeouts.update == "30m"
    error_message = "prod's bake time and timeout reach the release"
  }
}

run "a_token_value_is_refused" {
  command = plan

  variables {
    dynatrace_token_secret_arn = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.YZ0123456789"
  }

  expect_failures = [var.dynatrace_token_secret_arn]
}

run "dynatrace_quality_gate_needs_a_dynatrace_gate" {
  command = plan

  # No person and no Dynatrace check would leave only the health checks.
  variables {
    quality_gate = "dynatrace"
  }

  # The plan goes on past a cross-variable validation; the health check then cannot be
  # evaluated in a plan-only run and is expected not to pass either.
  expect_failures = [var.quality_gate, check.release_is_served]
}

run "colors_are_blue_and_green" {
  command = plan

  variables {
    active_color = "red"
  }

  expect_failures = [var.active_color]
}

run "bootstrap_next_to_a_server_group_warns" {
  command = apply

  # A Spinnaker server group serves blue while blue's bootstrap service still runs.
  override_data {
    target = data.bluegreen_ecs_release.live
    values = {
      active_color   = "blue"
      blue_services  = [{ service_name = "myapp-dev-blue-v003", service_arn = "arn:aws:ecs:us-east-1:123456789012:service/myapp-dev/myapp-dev-blue-v003", task_definition_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/myapp-dev-blue:3", desired_count = 2, running_count = 2, deployment_status = "COMPLETED" }]
      green_services = []
    }
  }

  expect_failures = [check.release_is_served]
}

run "no_dynatrace_gate_by_default" {
  command = plan

  assert {
    condition     = length(bluegreen_ecs_release.app.promotion[0].dynatrace) == 0
    error_message = "without dynatrace_environment_url the release has no Dynatrace gate"
  }
}

run "dynatrace_gate_from_the_module_inputs" {
  command = apply

  variables {
    dynatrace_environment_url      = "https://abc12345.live.dynatrace.com"
    dynatrace_slo_ids              = ["myapp-dev-availability"]
    dynatrace_guardian_workflow_id = "0f4bd5a8-6c1e-4d57-9a3c-2b8e7f1d6c90"
    # The guardian runs through the platform API: a platform token, here a second key of
    # the same JSON secret.
    dynatrace_platform_token_secret_key = "DT_PLATFORM_TOKEN"
  }

  # The token is the existing secret reference; the action reads this same block.
  assert {
    condition = (bluegreen_ecs_release.app.promotion[0].dynatrace[0].slo_ids == tolist(["myapp-dev-availability"])
      && bluegreen_ecs_release.app.promotion[0].dynatrace[0].api_token_secret_arn == "arn:aws:secretsmanager:us-east-1:123456789012:secret:dynatrace/tokens-Xy12Ab"
      && bluegreen_ecs_release.app.promotion[0].dynatrace[0].api_token_secret_key == "DT_API_TOKEN"
    && bluegreen_ecs_release.app.promotion[0].dynatrace[0].guardian_workflow_id == "0f4bd5a8-6c1e-4d57-9a3c-2b8e7f1d6c90")
    error_message = "the release's dynatrace block must come from the module's dynatrace_* inputs and token secret"
  }
}

run "a_dynatrace_url_must_be_a_url" {
  command = plan

  variables {
    dynatrace_environment_url = "abc12345.live.dynatrace.com"
  }

  expect_failures = [var.dynatrace_environment_url]
}
