"""Network Load Balancers (ELBv2 Type=network) as Elastic Load Balancing runs them,
where moto treats them like Application Load Balancers.

AWS behaviour modelled (ELB documentation, in our words; each fact has a smoke test
in smoke_test_aws.py citing its source):
- ARNs: a network load balancer is `loadbalancer/net/NAME/ID`, its listeners
  `listener/net/NAME/ID/LISTENER_ID` (ELB API Reference examples; moto writes `app/`
  for every type).
- Weighted forward: a listener of a network load balancer forwards to several target
  groups with weights since November 2025, each weight an integer 0..999 ("Network
  Load Balancers now support Weighted Target Groups", AWS Networking & Content
  Delivery blog). A weight outside 0..999 is refused on any load balancer: ValidationError
  "The weight for each target group must be between 0 and 999, inclusive" (the
  message CloudTrail records, aws/aws-cdk#24805). moto stores any number.
- No rules: CreateRule needs a listener of an Application Load Balancer (ELB API
  Reference, CreateRule: "The listener must be associated with an Application Load
  Balancer"). CreateRule and ModifyRule on a network load balancer's listener are
  refused here with InvalidConfigurationRequest, one of the errors CreateRule
  documents; AWS does not publish the exact message, so ours names the listener.
- Target-group protocol: a network load balancer's target groups use TCP, TLS, UDP or
  TCP_UDP, and a TCP_UDP listener's target groups must use TCP_UDP (Elastic Load
  Balancing, "Target groups for your Network Load Balancers" and "Listeners for your
  Network Load Balancers"); an Application Load Balancer's use HTTP or HTTPS (or
  none, a Lambda target). A forward across that line is refused with
  IncompatibleProtocols (hashicorp/terraform-provider-aws#4955: a TCP listener
  forwarding to an HTTP target group). moto accepts any.
- Health: the targets of a TCP-checked group fail as Target.FailedHealthChecks (a TCP
  check has no response code to mismatch), the default reason of
  /_bluegreen/targets/fail for such a group; states and timing otherwise as
  aws_target_health.py models them for every target group.
- The data plane lags the configuration: after a listener's weights change, the
  NLB keeps routing new connections by the old weights for a while. ECS native
  blue/green waits 10 minutes in TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT for
  "the mismatch between the configured traffic weights and the actual traffic
  routing in the data plane" (Amazon ECS Developer Guide, "Network Load Balancer
  resources for Amazon ECS blue/green deployments"). AWS publishes no figure for the
  lag itself: here every CreateListener / ModifyListener of a network load balancer
  listener takes effect in the data plane PROPAGATION_DELAY_SECONDS modelled seconds
  later (default 60, settable), and DescribeListeners shows the new configuration at
  once, as AWS does. Nothing in the ELB API reads the data plane; the control route
  below is for tests (a second reader of what clients get).

Control API (wired into tools/emulator/emulator.py), JSON in and out:
  POST /_bluegreen/nlb/propagation-delay  {"aws_seconds": N}   how long a weight change
      of an NLB listener takes to reach the data plane (modelled seconds, scaled by
      --time-scale); changes made before keep their own time.
      -> {"aws_seconds", "real_seconds", "time_scale"}
  GET  /_bluegreen/nlb/propagation-delay   the same answer
  GET  /_bluegreen/nlb/served?listener_arn=ARN  what the data plane serves now:
      {"listener_arn", "served": [{"target_group_arn", "weight"}, ...],
       "configured": [...] (DescribeListeners' forward), "settled": bool,
       "settles_in_aws_seconds": N (0 once served == configured)}
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

import aws_clock

DEFAULT_PROPAGATION_DELAY_SECONDS = 60.0
MAX_WEIGHT = 999
NLB_PROTOCOLS = ("TCP", "TLS", "UDP", "TCP_UDP")
ALB_PROTOCOLS = ("HTTP", "HTTPS")

_delay = DEFAULT_PROPAGATION_DELAY_SECONDS


def _error(code: str, message: str) -> Exception:
    from moto.elbv2.exceptions import ELBClientError

    return ELBClientError(code, message)


def is_network(backend: Any, load_balancer_arn: str | None) -> bool:
    lb = backend.load_balancers.get(load_balancer_arn or "")
    return lb is not None and getattr(lb, "type", None) == "network"


def _listener(backend: Any, listener_arn: str) -> Any | None:
    for lb in backend.load_balancers.values():
        listener = lb.listeners.get(listener_arn)
        if listener is not None:
            return listener
    return None


def forward_weights(actions: list) -> list[dict]:
    """The forward action's target groups and weights (a scalar TargetGroupArn is 1)."""
    for action in actions or []:
        data = action if isinstance(action, dict) else (getattr(action, "data", None) or {})
        if data.get("Type") != "forward":
            continue
        tuples = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
        if tuples:
            return [{"target_group_arn": t.get("TargetGroupArn"), "weight": int(t.get("Weight", 1))} for t in tuples]
        if data.get("TargetGroupArn"):
            return [{"target_group_arn": data["TargetGroupArn"], "weight": 1}]
    return []


def check_forwards(backend: Any, actions: list, listener_protocol: str | None, network: bool) -> None:
    """The weight range, and the target groups' protocol against the listener's."""
    for action in actions or []:
        if not isinstance(action, dict) or action.get("Type") != "forward":
            continue
        tuples = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        for t in tuples:
            try:
                weight = int(t.get("Weight", 1))
            except (TypeError, ValueError):
                weight = -1
            if not 0 <= weight <= MAX_WEIGHT:
                raise _error("ValidationError", "The weight for each target group must be between 0 and 999, inclusive")
        arns = [t.get("TargetGroupArn") for t in tuples] + [action.get("TargetGroupArn")]
        for arn in filter(None, arns):
            tg = backend.target_groups.get(arn)
            protocol = getattr(tg, "protocol", None)
            if tg is None or protocol is None:
                continue  # moto answers for a missing group; a Lambda group has no protocol
            if network:
                ok = protocol in NLB_PROTOCOLS and (listener_protocol != "TCP_UDP" or protocol == "TCP_UDP")
            else:
                ok = protocol in ALB_PROTOCOLS
            if not ok:
                raise _error(
                    "IncompatibleProtocols",
                    f"The listener and its associated target group '{arn}' have incompatible protocols: "
                    f"listener {listener_protocol or '?'}, target group {protocol}",
                )


def refuse_rules(listener_arn: str) -> None:
    raise _error(
        "InvalidConfigurationRequest",
        f"Listener rules need a listener of an Application Load Balancer; {listener_arn} belongs to a load "
        "balancer of type 'network', which forwards with its listener's default action only",
    )


# --------------------------------------------------------------- data plane


class Served:
    """A listener's forward as the data plane applies it: (effective at, weights)."""

    def __init__(self) -> None:
        self.history: list[tuple[float, list[dict]]] = []

    def change(self, weights: list[dict], now: float, delay: float) -> None:
        self.history.append((now + delay, weights))

    def at(self, now: float) -> tuple[list[dict], float]:
        """What is served at `now`, and when the last change takes effect (modelled)."""
        served: list[dict] = []
        for effective, weights in self.history:
            if effective <= now:
                served = weights
        last = self.history[-1][0] if self.history else now
        return served, max(0.0, last - now)


def _served(listener: Any) -> Served:
    s = getattr(listener, "_bluegreen_served", None)
    if s is None:
        s = listener._bluegreen_served = Served()
    return s


def record(listener: Any, first: bool) -> None:
    """A configuration change of an NLB listener: served after the delay (a new
    listener serves its first forward at once: there was nothing before)."""
    with aws_clock.LOCK:
        _served(listener).change(forward_weights(listener.default_actions), aws_clock.now(), 0.0 if first else _delay)


# --------------------------------------------------------------- moto hooks


def _bind(fn: Callable, self: Any, args: tuple, kwargs: dict) -> dict:
    bound = inspect.signature(fn).bind(self, *args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def install() -> None:
    from moto.elbv2.models import ELBv2Backend

    if getattr(ELBv2Backend.create_listener, "_bluegreen_nlb", False):
        return
    create_lb = ELBv2Backend.create_load_balancer
    create_listener = ELBv2Backend.create_listener
    modify_listener = ELBv2Backend.modify_listener
    create_rule = ELBv2Backend.create_rule
    modify_rule = ELBv2Backend.modify_rule

    @functools.wraps(create_lb)
    def create_load_balancer(self: Any, *args: Any, **kwargs: Any) -> Any:
        lb = create_lb(self, *args, **kwargs)
        if getattr(lb, "type", None) == "network" and ":loadbalancer/app/" in lb.arn:
            old, new = lb.arn, lb.arn.replace(":loadbalancer/app/", ":loadbalancer/net/")
            self.load_balancers = type(self.load_balancers)(
                (new if k == old else k, v) for k, v in self.load_balancers.items())
            tags = self.tagging_service.tags
            if old in tags:
                tags[new] = tags.pop(old)
            lb.arn = new
        return lb

    @functools.wraps(create_listener)
    def create_listener_checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        a = _bind(create_listener, self, args, kwargs)
        network = is_network(self, a["load_balancer_arn"])
        check_forwards(self, a["actions"], a["protocol"], network)
        listener = create_listener(self, *args, **kwargs)
        if network:
            record(listener, first=True)
        return listener

    @functools.wraps(modify_listener)
    def modify_listener_checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        a = _bind(modify_listener, self, args, kwargs)
        listener = _listener(self, a["arn"])
        if listener is not None:
            network = is_network(self, listener.load_balancer_arn)
            check_forwards(self, a["actions"], a["protocol"] or listener.protocol, network)
        listener = modify_listener(self, *args, **kwargs)
        if is_network(self, listener.load_balancer_arn) and a["actions"]:
            record(listener, first=False)
        return listener

    @functools.wraps(create_rule)
    def create_rule_checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        a = _bind(create_rule, self, args, kwargs)
        listener = _listener(self, a["listener_arn"])
        if listener is not None:
            if is_network(self, listener.load_balancer_arn):
                refuse_rules(listener.arn)
            check_forwards(self, a["actions"], listener.protocol, False)
        return create_rule(self, *args, **kwargs)

    @functools.wraps(modify_rule)
    def modify_rule_checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        a = _bind(modify_rule, self, args, kwargs)
        for lb in self.load_balancers.values():
            for listener in lb.listeners.values():
                # (The default rule is keyed by 0, not by its ARN.)
                if any(getattr(r, "arn", None) == a["rule_arn"] for r in listener.rules.values()):
                    if lb.type == "network":
                        refuse_rules(listener.arn)
                    check_forwards(self, a["actions"], listener.protocol, False)
        return modify_rule(self, *args, **kwargs)

    # (functools.wraps also carries aws_attachment's mark over: install after it.)
    for wrapper in (create_listener_checked, modify_listener_checked, create_rule_checked, modify_rule_checked):
        wrapper._bluegreen_nlb = True  # type: ignore[attr-defined]
    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.create_listener = create_listener_checked
    ELBv2Backend.modify_listener = modify_listener_checked
    ELBv2Backend.create_rule = create_rule_checked
    ELBv2Backend.modify_rule = modify_rule_checked


# --------------------------------------------------------------- control API


def _delay_report() -> dict:
    return {"aws_seconds": _delay, "real_seconds": aws_clock.real_seconds(_delay), "time_scale": aws_clock.scale()}


def control_set_delay(body: dict, _query: dict) -> dict:
    global _delay
    value = body.get("aws_seconds")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError('"aws_seconds" must be a number of modelled seconds >= 0')
    with aws_clock.LOCK:
        _delay = float(value)
        return _delay_report()


def control_get_delay(_body: dict, _query: dict) -> dict:
    return _delay_report()


def control_served(_body: dict, query: dict) -> dict:
    from moto.elbv2.models import elbv2_backends

    arn = (query.get("listener_arn") or [""])[0]
    parts = arn.split(":")
    if len(parts) < 6 or ":listener/net/" not in arn:
        raise ValueError('"listener_arn" must be the ARN of a network load balancer listener (listener/net/...)')
    try:
        backend = elbv2_backends[parts[4]][parts[3]]
    except KeyError:
        raise ValueError(f"no listener {arn}")
    with aws_clock.LOCK:
        listener = _listener(backend, arn)
        if listener is None:
            raise ValueError(f"no listener {arn}")
        served, settles_in = _served(listener).at(aws_clock.now())
        configured = forward_weights(listener.default_actions)
        return {"listener_arn": arn, "served": served, "configured": configured,
                "settled": settles_in == 0 and served == configured,
                "settles_in_aws_seconds": round(settles_in, 3)}


def control_reset(_body: dict, _query: dict) -> dict:
    global _delay
    _delay = DEFAULT_PROPAGATION_DELAY_SECONDS
    return _delay_report()


CONTROL_ROUTES = {
    ("POST", "/nlb/propagation-delay"): control_set_delay,
    ("GET", "/nlb/propagation-delay"): control_get_delay,
    ("GET", "/nlb/served"): control_served,
}
