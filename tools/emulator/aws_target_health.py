"""Target health as Elastic Load Balancing reports it (DescribeTargetHealth).

AWS behaviour modelled (ELB documentation on target health states and reason codes,
in our words):
- A newly registered target is `initial` (reason Elb.RegistrationInProgress) until it
  has passed the group's HealthyThresholdCount consecutive health checks, one every
  HealthCheckIntervalSeconds; then it is `healthy`.
- Only target groups that a load balancer uses are health-checked. The targets of a
  group that no listener or rule forwards to are `unused` (Target.NotInUse). When a
  listener or rule starts forwarding to the group, checking begins: the targets are
  `initial` again (Elb.InitialHealthChecking) until they pass the threshold. Time
  counts only while the group is in use.
- A deregistered target is `draining` (Target.DeregistrationInProgress) for the
  group's deregistration delay (attribute deregistration_delay.timeout_seconds,
  default 300 s) and is then gone from DescribeTargetHealth. A group that is not in
  use has no connections to drain: there the target is gone at once.
- A target that fails its checks is `unhealthy` with a reason code such as
  Target.ResponseCodeMismatch, Target.Timeout or Target.FailedHealthChecks. Once it
  answers correctly again it stays `unhealthy` until it has passed HealthyThresholdCount
  checks, then becomes `healthy`.
- With health checks disabled on the group a target is `unavailable`
  (Target.HealthCheckDisabled).

Simplifications: a failure injected by the control API is reported at once (as if
UnhealthyThresholdCount failed checks had already happened); health checks take no
time of their own (HealthCheckTimeoutSeconds is ignored).

moto instead reports every registered target `healthy` at all times. All durations run
on aws_clock (scaled by the emulator's --time-scale).

Control API (wired into tools/emulator/emulator.py):
  POST /_bluegreen/targets/fail     {"target_group_arn", "target_id"?, "reason"?, "description"?}
      without target_id: every target of the group, including targets registered later,
      until a recover without target_id. reason defaults to Target.ResponseCodeMismatch
      (Target.FailedHealthChecks for a TCP-checked group, as an NLB's usually is).
  POST /_bluegreen/targets/recover  {"target_group_arn", "target_id"?}
  GET  /_bluegreen/targets?target_group_arn=ARN   the modelled health, with timings
"""

from __future__ import annotations

import functools
from typing import Any

import aws_attachment
import aws_clock

UNHEALTHY_REASONS = {
    "Target.ResponseCodeMismatch": "Health checks failed with these codes: [502]",
    "Target.Timeout": "Request timed out",
    "Target.FailedHealthChecks": "Health checks failed",
    "Elb.InternalError": "Health checks failed due to an internal error",
}
DESCRIPTIONS = {
    "Elb.RegistrationInProgress": "Target registration is in progress",
    "Elb.InitialHealthChecking": "Initial health checks in progress",
    "Target.NotInUse": "Target group is not configured to receive traffic from the load balancer",
    "Target.DeregistrationInProgress": "Target deregistration is in progress",
    "Target.HealthCheckDisabled": "Health checks are disabled",
}


class TargetRecord:
    __slots__ = ("registered_at", "failure", "recovered_at", "last_failure")

    def __init__(self, now: float):
        self.registered_at = now
        self.failure: tuple[str, str] | None = None
        self.recovered_at: float | None = None
        self.last_failure: tuple[str, str] | None = None


class GroupHealth:
    def __init__(self, attached: bool, now: float):
        self.attached_since: float | None = now if attached else None
        self.targets: dict[str, TargetRecord] = {}
        self.draining: dict[str, tuple[dict, float]] = {}  # id -> (target, gone at)
        self.group_failure: tuple[str, str] | None = None


def group_state(tg: Any) -> GroupHealth:
    state = getattr(tg, "_bluegreen_health", None)
    if state is None:
        now = aws_clock.now()
        state = GroupHealth(aws_attachment.is_attached(tg), now)
        for target_id in tg.targets:  # registered before we first looked: count from now
            state.targets[target_id] = TargetRecord(now)
        tg._bluegreen_health = state
    return state


def _record(tg: Any, state: GroupHealth, target_id: str) -> TargetRecord:
    rec = state.targets.get(target_id)
    if rec is None:
        rec = state.targets[target_id] = TargetRecord(aws_clock.now())
    return rec


def on_attachment(tg: Any, attached: bool) -> None:
    state = group_state(tg)
    now = aws_clock.now()
    state.attached_since = now if attached else None
    if not attached:
        state.draining.clear()  # nothing left to drain from


def threshold_seconds(tg: Any) -> float:
    return float(int(tg.healthy_threshold_count or 5)) * float(tg.health_check_interval_seconds or 30)


def _deregistration_delay(tg: Any) -> float:
    try:
        return float(tg.attributes.get("deregistration_delay.timeout_seconds", 300))
    except (TypeError, ValueError):
        return 300.0


def health(tg: Any, target_id: str, now: float | None = None) -> tuple[str, str | None, str | None]:
    """(state, reason, description) of a registered target."""
    state = group_state(tg)
    now = aws_clock.now() if now is None else now
    rec = _record(tg, state, target_id)
    if state.attached_since is None:
        return "unused", "Target.NotInUse", DESCRIPTIONS["Target.NotInUse"]
    if not tg.health_check_enabled:
        return "unavailable", "Target.HealthCheckDisabled", DESCRIPTIONS["Target.HealthCheckDisabled"]
    failure = rec.failure or state.group_failure
    if failure is not None:
        return "unhealthy", failure[0], failure[1]
    started = max(rec.registered_at, state.attached_since)
    recovering = rec.recovered_at is not None and rec.recovered_at >= started
    if recovering:
        started = rec.recovered_at  # type: ignore[assignment]
    if now - started >= threshold_seconds(tg):
        return "healthy", None, None
    if recovering and rec.last_failure is not None:
        return "unhealthy", rec.last_failure[0], rec.last_failure[1]
    reason = ("Elb.RegistrationInProgress" if rec.registered_at >= state.attached_since
              else "Elb.InitialHealthChecking")
    return "initial", reason, DESCRIPTIONS[reason]


def _expire_draining(state: GroupHealth, now: float) -> None:
    for target_id in [t for t, (_, until) in state.draining.items() if until <= now]:
        del state.draining[target_id]


# ------------------------------------------------------------------ moto hooks


def install() -> None:
    from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup

    if getattr(FakeTargetGroup.register, "_bluegreen_health", False):
        return
    aws_attachment.attachment_listeners.append(on_attachment)
    original_register = FakeTargetGroup.register
    original_deregister = FakeTargetGroup.deregister

    @functools.wraps(original_register)
    def register(self: Any, targets: list[dict]) -> None:
        with aws_clock.LOCK:
            state = group_state(self)
            before = set(self.targets)
            original_register(self, targets)
            now = aws_clock.now()
            for target in targets:
                target_id = target["Id"]
                state.draining.pop(target_id, None)
                if target_id not in before:  # re-registering a registered target changes nothing
                    state.targets[target_id] = TargetRecord(now)

    @functools.wraps(original_deregister)
    def deregister(self: Any, targets: list[dict]) -> None:
        with aws_clock.LOCK:
            state = group_state(self)
            original_deregister(self, targets)  # raises for an unregistered target
            now = aws_clock.now()
            for target in targets:
                target_id = target["Id"]
                state.targets.pop(target_id, None)
                gone = self.deregistered_targets.get(target_id) or {"Id": target_id, "Port": self.port}
                if state.attached_since is not None:
                    state.draining[target_id] = (dict(gone), now + _deregistration_delay(self))

    def describe_target_health(self: Any, target_group_arn: str, targets: list[dict], *args: Any) -> list:
        from moto.elbv2.exceptions import TargetGroupNotFoundError

        tg = self.target_groups.get(target_group_arn)
        if tg is None:
            raise TargetGroupNotFoundError()
        with aws_clock.LOCK:
            state = group_state(tg)
            now = aws_clock.now()
            _expire_draining(state, now)
            asked = targets or (list(tg.targets.values()) + [t for t, _ in state.draining.values()])
            out = []
            for target in asked:
                target_id = target["Id"]
                port = target.get("Port")
                if target_id in tg.targets:
                    port = port or tg.targets[target_id].get("Port", tg.port)
                    st, reason, desc = health(tg, target_id, now)
                    out.append(FakeHealthStatus(target_id, port, tg.health_check_port, st, reason, desc))
                elif target_id in state.draining:
                    port = port or state.draining[target_id][0].get("Port", tg.port)
                    out.append(FakeHealthStatus(target_id, port, tg.health_check_port, "draining",
                                                "Target.DeregistrationInProgress",
                                                DESCRIPTIONS["Target.DeregistrationInProgress"]))
                else:
                    out.append(tg.health_for(target, self.ec2_backend))
            return out

    register._bluegreen_health = True  # type: ignore[attr-defined]
    FakeTargetGroup.register = register
    FakeTargetGroup.deregister = deregister
    ELBv2Backend.describe_target_health = describe_target_health


# ------------------------------------------------------------------ control API


def _target_group(body: dict) -> Any:
    arn = body.get("target_group_arn")
    if not arn:
        raise ValueError('"target_group_arn" is required')
    tg = aws_attachment.target_group_by_arn(str(arn))
    if tg is None:
        raise ValueError(f"no target group {arn}")
    return tg


def _report(tg: Any) -> dict:
    state = group_state(tg)
    now = aws_clock.now()
    _expire_draining(state, now)
    targets = []
    for target_id in tg.targets:
        st, reason, _ = health(tg, target_id, now)
        targets.append({"id": target_id, "state": st, "reason": reason})
    for target_id, (_, until) in state.draining.items():
        targets.append({"id": target_id, "state": "draining", "reason": "Target.DeregistrationInProgress",
                        "gone_in_aws_seconds": round(until - now, 3)})
    return {"target_group_arn": tg.arn, "in_use": state.attached_since is not None,
            "load_balancer_arns": list(tg.load_balancer_arns),
            "healthy_after_aws_seconds": threshold_seconds(tg),
            "time_scale": aws_clock.scale(), "targets": targets}


def default_failure_reason(tg: Any) -> str:
    """What a failed check reports by default: a response code mismatch for an HTTP(S)
    check, plain failed checks for a TCP one (an NLB's default: no code to mismatch)."""
    if (tg.health_check_protocol or "").upper() in ("HTTP", "HTTPS"):
        return "Target.ResponseCodeMismatch"
    return "Target.FailedHealthChecks"


def control_fail(body: dict, _query: dict) -> dict:
    tg = _target_group(body)
    reason = str(body.get("reason") or default_failure_reason(tg))
    desc = str(body.get("description") or UNHEALTHY_REASONS.get(reason, "Health checks failed"))
    with aws_clock.LOCK:
        state = group_state(tg)
        target_id = body.get("target_id")
        if target_id:
            if target_id not in tg.targets:
                raise ValueError(f"target {target_id} is not registered in {tg.arn}")
            rec = _record(tg, state, target_id)
            rec.failure = rec.last_failure = (reason, desc)
        else:
            state.group_failure = (reason, desc)
            for target_id in tg.targets:
                rec = _record(tg, state, target_id)
                rec.last_failure = (reason, desc)
        return _report(tg)


def control_recover(body: dict, _query: dict) -> dict:
    tg = _target_group(body)
    with aws_clock.LOCK:
        state = group_state(tg)
        now = aws_clock.now()
        target_id = body.get("target_id")
        ids = [target_id] if target_id else list(tg.targets)
        if target_id and target_id not in tg.targets:
            raise ValueError(f"target {target_id} is not registered in {tg.arn}")
        group_failed = state.group_failure is not None and not target_id
        if not target_id:
            state.group_failure = None
        for tid in ids:
            rec = _record(tg, state, tid)
            if rec.failure is not None or group_failed:
                rec.failure = None
                rec.recovered_at = now
        return _report(tg)


def control_get(_body: dict, query: dict) -> dict:
    arn = (query.get("target_group_arn") or [""])[0]
    return _report(_target_group({"target_group_arn": arn}))


CONTROL_ROUTES = {
    ("POST", "/targets/fail"): control_fail,
    ("POST", "/targets/recover"): control_recover,
    ("GET", "/targets"): control_get,
}
