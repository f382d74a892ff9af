"""Target group <-> load balancer association, as Elastic Load Balancing keeps it.

AWS behaviour modelled (ELB and ECS documentation, in our words):
- A target group is associated with a load balancer only while at least one listener
  of that load balancer sends traffic to it: a listener default action or a listener
  rule whose forward action names the group, either as the single TargetGroupArn or
  as an entry of a weighted ForwardConfig (an entry with weight 0 still counts). The
  association is what DescribeTargetGroups reports as LoadBalancerArns, and it changes
  as soon as a listener or rule stops (or starts) forwarding there.
- ECS refuses to create or update a load-balanced service whose target group is not
  associated with any load balancer: CreateService/UpdateService fail with
  InvalidParameterException "The target group with targetGroupArn <arn> does not have
  an associated load balancer."

moto instead appends to a list when a listener or rule is created and never removes
anything, and ECS accepts any target group. Here the list is recomputed from the
listeners after every CreateListener, ModifyListener, DeleteListener, CreateRule,
ModifyRule, DeleteRule and DeleteLoadBalancer, and every change of a group's
attachment is passed on to aws_target_health (which stops or restarts health checks).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import aws_clock

# Called as hook(target_group, attached: bool) when a group's attachment flips.
attachment_listeners: list[Callable[[Any, bool], None]] = []

ELB_MUTATIONS = ("create_listener", "modify_listener", "delete_listener", "create_rule",
                 "modify_rule", "delete_rule", "delete_load_balancer", "set_rule_priorities")


def forwarded_target_groups(action_data: dict) -> list[str]:
    """Every target group a forward action names (scalar and weighted; weight 0 too)."""
    if action_data.get("Type") != "forward":
        return []
    found = []
    if action_data.get("TargetGroupArn"):
        found.append(action_data["TargetGroupArn"])
    for entry in (action_data.get("ForwardConfig") or {}).get("TargetGroups") or []:
        if entry.get("TargetGroupArn"):
            found.append(entry["TargetGroupArn"])
    return found


def recompute(backend: Any) -> None:
    """Set every target group's load_balancer_arns from the listeners as they are now."""
    users: dict[str, list[str]] = {}
    for lb_arn, lb in backend.load_balancers.items():
        for listener in lb.listeners.values():
            for rule in listener.rules.values():
                for action in rule.actions:
                    for tg_arn in forwarded_target_groups(getattr(action, "data", {}) or {}):
                        arns = users.setdefault(tg_arn, [])
                        if lb_arn not in arns:
                            arns.append(lb_arn)
    with aws_clock.LOCK:
        for tg_arn, tg in backend.target_groups.items():
            new = users.get(tg_arn, [])
            was_attached = is_attached(tg)
            tg._bluegreen_lbs = list(new)
            tg.load_balancer_arns = list(new)
            if was_attached != bool(new):
                for hook in attachment_listeners:
                    hook(tg, bool(new))


def is_attached(tg: Any) -> bool:
    """Whether some listener or rule forwards to the group (as of the last recompute;
    moto's own load_balancer_arns is only appended to, mid-call)."""
    return bool(getattr(tg, "_bluegreen_lbs", None))


def _after_mutation(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        finally:
            recompute(self)

    wrapper._bluegreen_wrapped = True  # type: ignore[attr-defined]
    return wrapper


def target_group_by_arn(arn: str) -> Any | None:
    """The moto target group object for an ARN (any account/region), or None."""
    from moto.elbv2.models import elbv2_backends

    parts = arn.split(":")
    if len(parts) < 6:
        return None
    region, account = parts[3], parts[4]
    try:
        return elbv2_backends[account][region].target_groups.get(arn)
    except KeyError:
        return None


def check_service_target_groups(load_balancers: list[dict] | None) -> None:
    """ECS's refusal of a target group that no load balancer forwards to."""
    from moto.ecs.exceptions import InvalidParameterException

    for lb in load_balancers or []:
        arn = lb.get("targetGroupArn") if isinstance(lb, dict) else None
        if not arn:
            continue
        tg = target_group_by_arn(arn)
        if tg is not None and not is_attached(tg):
            raise InvalidParameterException(
                f"The target group with targetGroupArn {arn} does not have an associated load balancer.")


def install() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.elbv2.models import ELBv2Backend

    for name in ELB_MUTATIONS:
        fn = getattr(ELBv2Backend, name, None)
        if fn is not None and not getattr(fn, "_bluegreen_wrapped", False):
            setattr(ELBv2Backend, name, _after_mutation(fn))

    create = EC2ContainerServiceBackend.create_service
    if not getattr(create, "_bluegreen_attachment", False):
        @functools.wraps(create)
        def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
            # (cluster_str, service_name, desired_count, task_definition_str, load_balancers, ...)
            check_service_target_groups(kwargs.get("load_balancers", args[4] if len(args) > 4 else None))
            return create(self, *args, **kwargs)

        create_service._bluegreen_attachment = True  # type: ignore[attr-defined]
        EC2ContainerServiceBackend.create_service = create_service

    update = EC2ContainerServiceBackend.update_service
    if not getattr(update, "_bluegreen_attachment", False):
        @functools.wraps(update)
        def update_service(self: Any, service_properties: dict) -> Any:
            check_service_target_groups(service_properties.get("load_balancers"))
            return update(self, service_properties)

        update_service._bluegreen_attachment = True  # type: ignore[attr-defined]
        EC2ContainerServiceBackend.update_service = update_service
