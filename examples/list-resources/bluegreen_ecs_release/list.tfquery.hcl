# Every blue/green release of the "prod" cluster.
list "bluegreen_ecs_release" "prod" {
  provider = bluegreen

  config {
    cluster = "prod"
  }
}

# The releases of one team on the HTTPS listener, with their full state.
list "bluegreen_ecs_release" "shop" {
  provider         = bluegreen
  include_resource = true
  limit            = 20

  config {
    cluster             = "prod"
    listener_arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/prod/50dc6c495c0c9188/f2f7dc8efc522ab2"
    service_name_prefix = "shop-"
  }
}
