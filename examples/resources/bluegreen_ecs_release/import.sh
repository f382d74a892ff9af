# CLUSTER/SERVICE: the target groups come from the service's load balancers (or the
# sibling service on the other color); the pointer is the listener rule or listener
# default action on the same load balancer that forwards to them.
terraform import bluegreen_ecs_release.app myapp-prod/myapp-prod-blue-v012

# CLUSTER/LISTENER_RULE_ARN: the pointer is this rule's forward action.
terraform import bluegreen_ecs_release.app myapp-prod/arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/myapp-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee

# CLUSTER/LISTENER_ARN: the pointer is this listener's default action.
terraform import bluegreen_ecs_release.app myapp-prod/arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/myapp-prod/50dc6c495c0c9188/f2f7dc8efc522ab2
