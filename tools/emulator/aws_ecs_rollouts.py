"""ECS service deployments that roll out over time, as the ECS rolling-update
deployment type behaves.

AWS behaviour modelled (ECS documentation on service deployments, the deployment
circuit breaker and DescribeServices, in our words):
- Creating a service starts its first deployment: status PRIMARY, rolloutState
  IN_PROGRESS, and its runningCount climbs towards desiredCount as tasks start.
- Updating a service with a new task definition (or forceNewDeployment) starts a new
  PRIMARY deployment. The deployment it replaces becomes ACTIVE and keeps serving while
  its tasks are stopped one by one as new ones come up; when its last task stopped it
  disappears from the service's deployments. Only then is the PRIMARY COMPLETED.
- Changing only desiredCount (a scale action: target tracking, step scaling, a
  person) does not start a new deployment and leaves rolloutState as it was: the
  PRIMARY's desiredCount changes at once and runningCount follows as tasks start
  (pendingCount the rest). A COMPLETED rollout stays COMPLETED while it scales; one
  still IN_PROGRESS stays IN_PROGRESS until it completes. (ECS API Reference,
  Deployment.rolloutState: set by the rolling-update deployment, which a desired
  count change does not start; ECS service auto scaling only calls UpdateService
  with desiredCount.)
- A service is steady when it has one deployment, COMPLETED, with runningCount ==
  desiredCount. The service's runningCount is the sum over its deployments and its
  pendingCount what the PRIMARY still has to start.
- DescribeServices lists the service's current service revisions
  (`currentServiceRevisions`: arn, requestedTaskCount, runningTaskCount,
  pendingTaskCount), one per deployment that still has tasks or is the PRIMARY; the
  ARN is `arn:aws:ecs:REGION:ACCOUNT:service-revision/CLUSTER/SERVICE/ID` (ECS API
  Reference, Service and ServiceCurrentRevisionSummary). A new deployment is a new
  revision, and a drained one leaves the list with its deployment.
- A deployment that cannot finish (tasks fail to start, the circuit breaker trips) is
  FAILED with a rolloutStateReason; it stops where it is, and the ACTIVE deployment
  it was replacing keeps its tasks.

Timing (aws_clock, scaled by --time-scale): one PRIMARY task becomes RUNNING every
TASK_START_SECONDS modelled seconds; an ACTIVE deployment stops one task per
TASK_START_SECONDS too, starting one interval after the new deployment began. With
the default scale 0.01 a 2-task service is steady 0.6 s after creation, and a 2-task
rolling update of a 2-task service takes 0.9 s.

moto instead reports runningCount from the MOTO_ECS_SERVICE_RUNNING environment
variable and never changes a deployment; this module ignores that variable (it is a
no-op) and computes every service's deployments, runningCount and pendingCount from
its own rollout records whenever the service is read.

ECS native blue/green deployments (deploymentConfiguration.strategy BLUE_GREEN, the
ECS deployment controller), held open by a test until it finishes them:
- During the deployment DescribeServices lists the new (green) revision's deployment
  as PRIMARY with rolloutState IN_PROGRESS, and the blue one as ACTIVE ("a service
  deployment that still has running tasks, but are in the process of being replaced
  with a new PRIMARY deployment", ECS API Reference, Deployment.status). Blue keeps all
  its tasks until the deployment ends: "BAKE_TIME: both blue and green service
  revisions are running simultaneously after the production traffic has shifted",
  then CLEAN_UP (ECS API Reference, ServiceDeployment.lifecycleStage,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html;
  workflow: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html).
- Once it finished, the blue deployment is gone and the PRIMARY is COMPLETED.
- ECS requires the BLUE_GREEN strategy for a load balancer's advancedConfiguration
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html);
  moto stores deploymentConfiguration only from UpdateService, so the scaffold sets
  it there. The listener rule weights ECS moves are not modelled: a test moves them
  itself if it needs to.

Control API (wired into tools/emulator/emulator.py):
  POST /_bluegreen/ecs/fail-rollout  {"cluster", "service", "reason"?}
      makes the service's PRIMARY deployment FAILED with that rolloutStateReason.
  POST /_bluegreen/ecs/native-deployment  {"cluster", "service", "state"}
      state "IN_PROGRESS" starts a native blue/green deployment of the service that
      stays in progress (PRIMARY IN_PROGRESS, the old one ACTIVE with its tasks);
      "COMPLETED" finishes it (the old deployment gone, the PRIMARY COMPLETED).
"""

from __future__ import annotations

import datetime
import functools
import random
from typing import Any

import aws_clock

TASK_START_SECONDS = 30.0
DEFAULT_FAIL_REASON = ("ECS deployment circuit breaker: tasks failed to start. "
                       "(bluegreen emulator: /_bluegreen/ecs/fail-rollout)")


def _utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class Deployment:
    def __init__(self, service: Any, desired: int, start_running: int, dep_id: str | None = None):
        now = aws_clock.now()
        self.id = dep_id or f"ecs-svc/{random.randint(0, 10**19):019d}"
        self.task_definition = service.task_definition
        self.desired = desired
        self.start_running = start_running  # tasks running when the current phase began
        self.phase_start = now
        self.status = "PRIMARY"
        self.failed_at: float | None = None
        self.reason: str | None = None
        # Once its rollout completed, a deployment stays COMPLETED through scale actions.
        self.completed = False
        self.created = self.updated = _utc()
        self.launch_type = service.launch_type
        self.platform_version = service.platform_version
        self.network = getattr(service, "network_configuration", None) or None

    def running(self, now: float, lag: float = 0.0) -> int:
        steps = int(max(0.0, now - self.phase_start - lag) // TASK_START_SECONDS)
        if self.status != "PRIMARY":  # ACTIVE: drains to zero
            return max(0, self.start_running - steps)
        if self.desired >= self.start_running:
            return min(self.desired, self.start_running + steps)
        return max(self.desired, self.start_running - steps)


class Rollout:
    def __init__(self, service: Any):
        first_id = None
        if service.deployments:
            first_id = service.deployments[0].get("id")
        self.deployments = [Deployment(service, service.desired_count, 0, first_id)]
        # A native blue/green deployment held open by a test (control_native_deployment).
        self.held = False

    @property
    def primary(self) -> Deployment:
        return self.deployments[0]

    def frozen_now(self) -> float:
        now = aws_clock.now()
        failed = self.primary.failed_at
        return now if failed is None else min(now, failed)

    def counts(self) -> list[tuple[Deployment, int]]:
        now = self.frozen_now()
        out = []
        for d in self.deployments:
            if self.held and d.status != "PRIMARY":
                out.append((d, d.start_running))  # blue keeps its tasks until clean-up
                continue
            lag = 0.0 if d.status == "PRIMARY" else TASK_START_SECONDS
            out.append((d, d.running(now, lag)))
        return out

    def settle(self) -> None:
        """Drop ACTIVE deployments that have no task left."""
        if self.held:
            return
        kept = [d for d, n in self.counts() if d.status == "PRIMARY" or n > 0]
        self.deployments = kept

    def new_deployment(self, service: Any) -> None:
        for d, n in self.counts():
            if d.status == "PRIMARY":
                d.status = "ACTIVE"
            d.start_running = n
            d.phase_start = aws_clock.now()
            d.updated = _utc()
        self.deployments.insert(0, Deployment(service, service.desired_count, 0))
        self.settle()

    def scale(self, desired: int) -> None:
        p = self.primary
        counts = self.counts()
        n = dict((id(d), c) for d, c in counts)[id(p)]
        if n == p.desired and len(counts) == 1 and p.failed_at is None:
            p.completed = True
        p.start_running, p.desired, p.phase_start, p.updated = n, desired, aws_clock.now(), _utc()

    def fail(self, reason: str) -> None:
        p = self.primary
        if p.failed_at is None:
            p.failed_at = aws_clock.now()
        p.reason = reason
        p.updated = _utc()

    def apply(self, service: Any) -> None:
        """Write the modelled deployments and counts onto moto's service object."""
        self.settle()
        counts = self.counts()
        primary_running = counts[0][1]
        p = self.primary
        if p.failed_at is not None:
            state = "FAILED"
            reason = p.reason
        elif self.held:
            state, reason = "IN_PROGRESS", f"ECS deployment {p.id} in progress."
        elif p.completed or (primary_running == p.desired and len(counts) == 1):
            p.completed = True
            state, reason = "COMPLETED", f"ECS deployment {p.id} completed."
        else:
            state, reason = "IN_PROGRESS", f"ECS deployment {p.id} in progress."
        out = []
        for d, n in counts:
            is_primary = d is p
            entry = {
                "id": d.id, "status": d.status, "taskDefinition": d.task_definition,
                "desiredCount": d.desired if is_primary else n,
                "pendingCount": max(0, d.desired - n) if is_primary and d.failed_at is None else 0,
                "runningCount": n, "failedTasks": 1 if is_primary and d.failed_at is not None else 0,
                "createdAt": d.created, "updatedAt": d.updated, "launchType": d.launch_type,
                "platformFamily": "EC2" if d.launch_type == "EC2" else "FARGATE",
                "rolloutState": state if is_primary else "COMPLETED",
                "rolloutStateReason": reason if is_primary else f"ECS deployment {d.id} completed.",
            }
            if d.platform_version:
                entry["platformVersion"] = d.platform_version
            if d.network:
                entry["networkConfiguration"] = d.network
            out.append(entry)
        service.deployments = out
        service.current_service_revisions = [{
            "arn": revision_arn(service, d), "requestedTaskCount": d.desired if d is p else n,
            "runningTaskCount": n, "pendingTaskCount": max(0, d.desired - n) if d is p else 0,
        } for d, n in counts]
        service.running_count = sum(n for _, n in counts)
        service.pending_count = out[0]["pendingCount"]


def revision_arn(service: Any, d: Deployment) -> str:
    """The service revision a deployment deploys (its id's digits as the revision id)."""
    digits = "".join(c for c in d.id if c.isdigit()) or "1"
    return (f"arn:aws:ecs:{service.region_name}:{service._account_id}:service-revision/"
            f"{service.cluster_name}/{service.name}/{digits}")


def rollout_of(service: Any) -> Rollout | None:
    if (service.deployment_controller or {}).get("type", "ECS") != "ECS":
        return None
    r = getattr(service, "_bluegreen_rollout", None)
    if r is None:
        r = Rollout(service)
        service._bluegreen_rollout = r
    return r


def refresh(service: Any) -> Any:
    if service is None or getattr(service, "status", "ACTIVE") != "ACTIVE":
        return service
    with aws_clock.LOCK:
        r = rollout_of(service)
        if r is not None:
            r.apply(service)
    return service


def install() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend

    if getattr(EC2ContainerServiceBackend.describe_services, "_bluegreen_rollouts", False):
        return
    create = EC2ContainerServiceBackend.create_service
    update = EC2ContainerServiceBackend.update_service
    describe = EC2ContainerServiceBackend.describe_services

    @functools.wraps(create)
    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = create(self, *args, **kwargs)
        with aws_clock.LOCK:
            service._bluegreen_rollout = None
            return refresh(service)

    @functools.wraps(update)
    def update_service(self: Any, service_properties: dict) -> Any:
        cluster = service_properties.get("cluster", "default")
        name = str(service_properties.get("service", "")).split("/")[-1]
        force = bool(service_properties.get("force_new_deployment"))
        with aws_clock.LOCK:
            before = self._get_service(cluster, name)
            r = rollout_of(before)
            if r is not None:
                r.apply(before)  # bring counts up to now before anything changes
            old_desired = before.desired_count
            service = update(self, service_properties)
            taskdef = service_properties.get("task_definition")
            if taskdef:
                service.task_definition = self.describe_task_definition(taskdef).arn
            if r is not None:
                failed = r.primary.failed_at is not None
                if service.task_definition != r.primary.task_definition or force:
                    r.new_deployment(service)
                elif service.desired_count != old_desired:
                    if failed:
                        r.new_deployment(service)
                    else:
                        r.scale(service.desired_count)
            return refresh(service)

    @functools.wraps(describe)
    def describe_services(self: Any, *args: Any, **kwargs: Any) -> Any:
        services, failures = describe(self, *args, **kwargs)
        for s in services:
            refresh(s)
        return services, failures

    describe_services._bluegreen_rollouts = True  # type: ignore[attr-defined]
    EC2ContainerServiceBackend.create_service = create_service
    EC2ContainerServiceBackend.update_service = update_service
    EC2ContainerServiceBackend.describe_services = describe_services


def _service(body: dict) -> Any:
    from moto.ecs.exceptions import ClusterNotFoundException, ServiceNotFoundException
    from moto.ecs.models import ecs_backends

    cluster, name = body.get("cluster"), body.get("service")
    if not cluster or not name:
        raise ValueError('"cluster" and "service" are required')
    region = body.get("region") or "us-east-1"
    account = body.get("account_id") or "123456789012"
    for arn in (str(cluster), str(name)):
        parts = arn.split(":")
        if arn.startswith("arn:") and len(parts) >= 6:
            region, account = parts[3], parts[4]
    try:
        return ecs_backends[account][region]._get_service(str(cluster), str(name).split("/")[-1])
    except (ClusterNotFoundException, ServiceNotFoundException, KeyError):
        raise ValueError(f"no ECS service {name} in cluster {cluster}")


def control_fail_rollout(body: dict, _query: dict) -> dict:
    service = _service(body)
    with aws_clock.LOCK:
        r = rollout_of(service)
        if r is None:
            raise ValueError("the service does not use the ECS deployment controller")
        r.apply(service)
        r.fail(str(body.get("reason") or DEFAULT_FAIL_REASON))
        r.apply(service)
        return {"service": service.name, "deployments": [
            {k: d[k] for k in ("id", "status", "rolloutState", "rolloutStateReason", "runningCount",
                               "desiredCount")} for d in service.deployments]}


def control_native_deployment(body: dict, _query: dict) -> dict:
    service = _service(body)
    state = body.get("state")
    with aws_clock.LOCK:
        r = rollout_of(service)
        if r is None:
            raise ValueError("the service does not use the ECS deployment controller")
        r.apply(service)
        if state == "IN_PROGRESS":
            r.new_deployment(service)
            r.held = True
        elif state == "COMPLETED":
            r.held = False
            p = r.primary
            r.deployments = [p]
            p.start_running, p.phase_start, p.completed, p.updated = p.desired, aws_clock.now(), True, _utc()
        else:
            raise ValueError('"state" must be IN_PROGRESS or COMPLETED')
        r.apply(service)
        return {"service": service.name, "deployments": [
            {k: d[k] for k in ("id", "status", "rolloutState", "runningCount", "desiredCount")}
            for d in service.deployments]}


CONTROL_ROUTES = {("POST", "/ecs/fail-rollout"): control_fail_rollout,
                  ("POST", "/ecs/native-deployment"): control_native_deployment}
