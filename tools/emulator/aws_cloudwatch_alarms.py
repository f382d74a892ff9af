"""CloudWatch DescribeAlarms and composite alarms, as the CloudWatch API behaves.

AWS behaviour modelled (CloudWatch API reference for DescribeAlarms and
PutCompositeAlarm, in our words):
- DescribeAlarms answers with metric alarms only, unless its AlarmTypes parameter
  asks for CompositeAlarm (then composite alarms are included; asking for both gives
  both). A caller that leaves AlarmTypes out never sees a composite alarm, even one it
  names in AlarmNames.
- It returns at most MaxRecords alarms per call (1..100, default 50) and a NextToken
  when more remain; passing that token back returns the next page. A MaxRecords
  outside 1..100 is a ValidationError; an unknown token is InvalidNextToken.
- Filters combine: AlarmNames, or AlarmNamePrefix, plus StateValue and ActionPrefix.
  Alarms come back in alarm-name order.
- PutCompositeAlarm creates or replaces an alarm whose state is a rule over other
  alarms (AlarmRule). Its state can be set with SetAlarmState like any alarm's; the
  emulator does not evaluate the rule.

moto returns composite and metric alarms together whatever AlarmTypes says, never
pages, and has no PutCompositeAlarm; this module replaces moto's DescribeAlarms handler
and adds PutCompositeAlarm, both on moto's own alarm store.
"""

from __future__ import annotations

import base64
import json
from typing import Any

DEFAULT_MAX_RECORDS = 50
MAX_MAX_RECORDS = 100


def _token(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def _untoken(token: str) -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError):
        from moto.cloudwatch.exceptions import CloudWatchException

        class InvalidNextToken(CloudWatchException):
            code = "InvalidNextToken"

        raise InvalidNextToken("The service returned an error with Error Code InvalidNextToken")


def select_alarms(alarms: list[Any], params: dict) -> tuple[list[Any], list[Any], str | None]:
    """(metric alarms, composite alarms, next token) for one DescribeAlarms call."""
    from moto.cloudwatch.exceptions import ValidationError

    types = params.get("AlarmTypes") or ["MetricAlarm"]
    unknown = set(types) - {"MetricAlarm", "CompositeAlarm"}
    if unknown:
        raise ValidationError(f"Invalid AlarmTypes {sorted(unknown)}: must be MetricAlarm or CompositeAlarm")
    max_records = params.get("MaxRecords")
    max_records = DEFAULT_MAX_RECORDS if max_records in (None, "") else int(max_records)
    if not 1 <= max_records <= MAX_MAX_RECORDS:
        raise ValidationError(
            f"1 validation error detected: Value '{max_records}' at 'maxRecords' failed to satisfy "
            f"constraint: Member must have value between 1 and {MAX_MAX_RECORDS}")
    names = params.get("AlarmNames") or []
    prefix = params.get("AlarmNamePrefix")
    if names and prefix:
        from moto.cloudwatch.exceptions import InvalidParameterCombination

        raise InvalidParameterCombination("AlarmNames and AlarmNamePrefix cannot be used together")
    state = params.get("StateValue")
    action_prefix = params.get("ActionPrefix")

    def wanted(a: Any) -> bool:
        kind = "CompositeAlarm" if a.rule is not None else "MetricAlarm"
        if kind not in types:
            return False
        if names and a.name not in names:
            return False
        if prefix and not a.name.startswith(prefix):
            return False
        if state and a.state_value != state:
            return False
        if action_prefix and not any(x.startswith(action_prefix) for x in a.alarm_actions or []):
            return False
        return True

    chosen = sorted((a for a in alarms if wanted(a)), key=lambda a: a.name)
    token = params.get("NextToken")
    if token:
        after = _untoken(token)
        chosen = [a for a in chosen if a.name > after]
    page, rest = chosen[:max_records], chosen[max_records:]
    next_token = _token(page[-1].name) if rest else None
    for a in page:
        if a.rule is not None:
            a.alarm_rule = a.rule  # the CompositeAlarm shape's member name
    return ([a for a in page if a.rule is None], [a for a in page if a.rule is not None], next_token)


def install() -> None:
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult, EmptyResult

    if getattr(CloudWatchResponse.describe_alarms, "_bluegreen", False):
        return

    def describe_alarms(self: Any) -> Any:
        params = {k: self._get_param(k) for k in ("AlarmNames", "AlarmNamePrefix", "StateValue",
                                                   "ActionPrefix", "AlarmTypes", "MaxRecords",
                                                   "NextToken")}
        metric, composite, next_token = select_alarms(list(self.cloudwatch_backend.alarms.values()), params)
        result: dict = {"MetricAlarms": metric, "CompositeAlarms": composite}
        if next_token:
            result["NextToken"] = next_token
        return ActionResult(result)

    def put_composite_alarm(self: Any) -> Any:
        from moto.cloudwatch.exceptions import ValidationError

        name = self._get_param("AlarmName")
        rule = self._get_param("AlarmRule")
        if not name or not rule:
            raise ValidationError("AlarmName and AlarmRule are required")
        actions_enabled = self._get_param("ActionsEnabled")
        alarm = self.cloudwatch_backend.put_metric_alarm(
            name=name, namespace=None, metric_name=None, metric_data_queries=None,
            comparison_operator=None, evaluation_periods=None, datapoints_to_alarm=None,
            period=None, threshold=None, statistic=None, extended_statistic=None,
            description=self._get_param("AlarmDescription"), dimensions=[],
            alarm_actions=self._get_param("AlarmActions", []),
            ok_actions=self._get_param("OKActions", []),
            insufficient_data_actions=self._get_param("InsufficientDataActions", []),
            unit=None, actions_enabled=None if actions_enabled is None else actions_enabled in (True, "true"),
            treat_missing_data=None, evaluate_low_sample_count_percentile=None,
            threshold_metric_id=None, rule=rule, tags=self._get_param("Tags", []),
        )
        alarm.alarm_rule = rule
        return EmptyResult()

    describe_alarms._bluegreen = True  # type: ignore[attr-defined]
    CloudWatchResponse.describe_alarms = describe_alarms
    CloudWatchResponse.put_composite_alarm = put_composite_alarm
