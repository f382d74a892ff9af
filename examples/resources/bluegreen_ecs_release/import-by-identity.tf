# Terraform 1.12+: import by resource identity instead of an ID string.
# The identity is the cluster plus exactly one of listener_rule_arn / listener_arn.
import {
  to = bluegreen_ecs_release.app
  identity = {
    cluster           = "myapp-prod"
    listener_rule_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
  }
}
