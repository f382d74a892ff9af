"""CodeDeploy ECS blue/green deployment groups and their deployments, as the CodeDeploy
API behaves where the provider reads it ("no second controller": who else routes a
pointer, and whether it is deploying).

AWS behaviour modelled (CodeDeploy API reference, in our words):
- BatchGetDeploymentGroups (applicationName, deploymentGroupNames) answers
  deploymentGroupsInfo for the groups that exist and names the others in errorMessage;
  an unknown application is ApplicationDoesNotExistException. moto 5.2.5 has no
  BatchGetDeploymentGroups: this module adds it on moto's own store.
  https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BatchGetDeploymentGroups.html
- CreateDeploymentGroup of an application on the ECS compute platform needs exactly one
  target group pair of two target groups ("A deployment group associated with an
  application that uses the ECS compute platform must contain a valid pair of target
  groups that identify a load balancer", InvalidTargetGroupPairException), whose
  prodTrafficRoute holds exactly one listener ARN ("Production traffic route must have
  exactly one listener Arn", as users quote it, e.g. in their terraform configurations;
  InvalidLoadBalancerInfoException) and whose testTrafficRoute holds at most one. moto
  accepts any loadBalancerInfo.
- An ECS service with deploymentController CODE_DEPLOY starts its original (blue) task
  set on the service's target group when it is created ("Service creation results in the
  creation of a (blue) task set registered with the specified target group",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/migrate-codedeploy-to-ecs-bluegreen.html):
  it runs its desired count. moto runs none (MOTO_ECS_SERVICE_RUNNING, which the emulator
  removes) and aws_ecs_rollouts.py rolls out ECS-controlled services only; this module
  sets such a service's runningCount to its desiredCount at creation. No task set is
  modelled.
- A deployment's status is one of Created, Queued, InProgress, Baking, Ready, Succeeded,
  Failed, Stopped; ListDeployments filters on includeOnlyStatuses (moto does that).
  https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html
  moto creates deployments as Created and never moves them on; the control route below
  sets a deployment's status the way a running deployment would reach it.

Control route (JSON in, JSON out):
  POST /_bluegreen/codedeploy/deployment {"application", "deployment_group", "status"}
      status Created|Queued|InProgress|Ready|Baking: the group's newest unfinished
      deployment takes that status (a new deployment is created when it has none);
      Succeeded|Failed|Stopped: its unfinished deployments end with that status.
      -> {"deployments": [{"deploymentId", "status"}, ...]} (the group's, oldest first)
"""

from __future__ import annotations

from typing import Any

UNFINISHED = ("Created", "Queued", "InProgress", "Ready", "Baking")
FINISHED = ("Succeeded", "Failed", "Stopped")


def check_ecs_load_balancer_info(info: dict | None) -> None:
    """Raise the CodeDeploy error for an ECS group's invalid loadBalancerInfo."""
    from moto.codedeploy.exceptions import CodeDeployException

    pairs = (info or {}).get("targetGroupPairInfoList") or []
    if len(pairs) != 1 or len(pairs[0].get("targetGroups") or []) != 2:
        raise CodeDeployException(
            "InvalidTargetGroupPairException",
            "A deployment group associated with an application that uses the ECS compute platform must "
            "contain a valid pair of target groups that identify a load balancer.")
    prod = (pairs[0].get("prodTrafficRoute") or {}).get("listenerArns") or []
    if len(prod) != 1:
        raise CodeDeployException(
            "InvalidLoadBalancerInfoException", "Production traffic route must have exactly one listener Arn")
    test = (pairs[0].get("testTrafficRoute") or {}).get("listenerArns") or []
    if len(test) > 1:
        raise CodeDeployException(
            "InvalidLoadBalancerInfoException", "Test traffic route must have at most one listener Arn")


def install() -> None:
    from moto.codedeploy.models import CodeDeployBackend
    from moto.codedeploy.responses import CodeDeployResponse, _deployment_group_info
    from moto.core.responses import ActionResult

    from moto.ecs.models import EC2ContainerServiceBackend

    if getattr(CodeDeployBackend.create_deployment_group, "_bluegreen", False):
        return
    original_create = CodeDeployBackend.create_deployment_group
    original_create_service = EC2ContainerServiceBackend.create_service

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = original_create_service(self, *args, **kwargs)
        if (service.deployment_controller or {}).get("type") == "CODE_DEPLOY":
            service.running_count, service.pending_count = service.desired_count, 0
        return service

    def create_deployment_group(self: Any, application_name: str, deployment_group_name: str,
                                *args: Any, **kwargs: Any) -> str:
        app = self.applications.get(application_name)
        if app is not None and app.compute_platform == "ECS":
            check_ecs_load_balancer_info(kwargs.get("load_balancer_info"))
        return original_create(self, application_name, deployment_group_name, *args, **kwargs)

    def batch_get_deployment_groups(self: Any) -> Any:
        application = self._get_param("applicationName")
        names = self._get_param("deploymentGroupNames") or []
        backend = self.codedeploy_backend
        backend.get_application(application)  # ApplicationDoesNotExistException
        groups = backend.deployment_groups.get(application, {})
        found = [_deployment_group_info(groups[n]) for n in names if n in groups]
        missing = [n for n in names if n not in groups]
        result: dict = {"deploymentGroupsInfo": found}
        if missing:
            result["errorMessage"] = "Deployment groups not found: " + ", ".join(missing)
        return ActionResult(result)

    create_deployment_group._bluegreen = True  # type: ignore[attr-defined]
    CodeDeployBackend.create_deployment_group = create_deployment_group
    EC2ContainerServiceBackend.create_service = create_service
    CodeDeployResponse.batch_get_deployment_groups = batch_get_deployment_groups


def _backend(body: dict) -> Any:
    from moto.codedeploy.models import codedeploy_backends

    return codedeploy_backends[body.get("account_id") or "123456789012"][body.get("region") or "us-east-1"]


def control_deployment(body: dict, _query: dict) -> dict:
    from moto.codedeploy.models import DeploymentInfo

    application, group, status = body.get("application"), body.get("deployment_group"), body.get("status")
    if not application or not group:
        raise ValueError('"application" and "deployment_group" are required')
    if status not in UNFINISHED + FINISHED:
        raise ValueError('"status" must be one of ' + ", ".join(UNFINISHED + FINISHED))
    backend = _backend(body)
    dg = backend.deployment_groups.get(application, {}).get(group)
    if dg is None:
        raise ValueError("no deployment group %s/%s" % (application, group))
    mine = [d for d in backend.deployments.values()
            if d.application_name == application and d.deployment_group_name == group]
    open_ones = [d for d in mine if d.status in UNFINISHED]
    if status in UNFINISHED:
        if not open_ones:
            d = DeploymentInfo(backend.applications[application], dg, {"revisionType": "AppSpecContent"},
                               dg.deployment_config_name, "bluegreen emulator", None, None, None, None,
                               None, None, "user")
            backend.deployments[d.deployment_id] = d
            mine.append(d)
            open_ones = [d]
        open_ones[-1].status = status
    else:
        for d in open_ones:
            d.status = status
    return {"deployments": [{"deploymentId": d.deployment_id, "status": d.status} for d in mine]}


CONTROL_ROUTES = {("POST", "/codedeploy/deployment"): control_deployment}
