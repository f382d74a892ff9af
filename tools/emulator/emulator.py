"""Local AWS emulator for the acceptance tests and `make demo`: moto's server with
request counters and fault injection.

Run with the project venv (tools/setup-python.sh):

    .venv/bin/python tools/emulator/emulator.py [--port 0] [--port-file PATH] [--quiet]

Every AWS API moto emulates is served on one port of 127.0.0.1. Point the
provider's `endpoints { ecs = ..., elbv2 = ..., cloudwatch = ... }` (and any SDK)
at http://127.0.0.1:PORT with any credentials. Control endpoints, all JSON:

  GET    /_bluegreen/health           200 {"status": "ok", "port": N} once serving
  GET    /_bluegreen/requests         {"total": N, "by_action": {"DescribeRules": 3, ...},
                                       "by_service_action": {"elasticloadbalancing:DescribeRules": 3},
                                       "faults_injected": {"ModifyRule:throttle": 1}}
                                      (?calls=1 adds "calls": the last 10000 calls in order,
                                       each {"seq", "service", "action", "status", "fault"})
  POST   /_bluegreen/requests/reset   zero the counters
  POST   /_bluegreen/faults           add a fault (a JSON object, or a list of them):
           {"action": "ModifyRule" | "*",   which AWS action (operation name) it hits
            "count": N,                     fail the next N matching calls (default 1), or
            "fraction": 0.3,                fail that share of matching calls until cleared
                                            (with "count" too: at most count of them)
            "seed": 7,                      optional, makes "fraction" repeatable
            "kind": "throttle" | "500" | "503" | "slow" | "drop" | "error",
            "delay_seconds": 5,             slow: sleep this long, then answer normally
                                            (default 5); drop: sleep this long first (default 0)
            "after": false,                 slow/drop only: true = let moto carry out the call
                                            first, then delay/drop the answer (the write
                                            happened, the client never learns it)
            "status": 400, "code": "AccessDeniedException", "message": "...",
                                            kind "error": any error answer; also override
                                            the code/message of throttle/500/503
            "service": "ecs"}               optional: only calls to this signing service
         -> {"faults": [{"id": 1, ...}, ...]} (all active faults)
  GET    /_bluegreen/faults           the active faults
  DELETE /_bluegreen/faults           clear all faults
  POST   /_bluegreen/reset            moto's state, counters and faults all wiped

Faults answer in the error shape of the caller's protocol:
  JSON (X-Amz-Target, e.g. ECS): HTTP 400, x-amzn-ErrorType: ThrottlingException,
      {"__type": "ThrottlingException", "message": "Rate exceeded"}
  query (Action=..., e.g. ELBv2): HTTP 400, <ErrorResponse><Error><Type>Sender</Type>
      <Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId/>...
  EC2 query: <Response><Errors><Error><Code>RequestLimitExceeded</Code>...
  Smithy RPC v2 CBOR (CloudWatch from the Rust SDK): the JSON shape, CBOR-encoded.
500 is InternalFailure and 503 ServiceUnavailable (Receiver faults) in the same shapes.
"drop" closes the TCP connection with no HTTP response at all: the socket is shut
down with SO_LINGER 0 (the client reads EOF or gets ECONNRESET, e.g. curl: "Empty
reply from server"), and the request is never passed to moto unless "after": true.

CloudWatch: the Rust SDK (aws-sdk-cloudwatch >= ~1.100) speaks Smithy RPC v2 CBOR
(POST /service/GraniteServiceVersion20100801/operation/DescribeAlarms), which moto
5.2.5 does not understand. This server translates such calls to CloudWatch's JSON
1.0 protocol for moto and translates the answer back to CBOR (timestamps as CBOR
tag 1, blobs as byte strings), using botocore's service model for the shapes.

Other behaviour:
  --port-file PATH  written atomically with the port once the server is listening
                    and moto's ECS/ELBv2/EC2/CloudWatch/STS backends are loaded;
                    removed again on exit. The port is also printed alone on the
                    first line of stdout.
  SIGTERM/SIGINT    stop serving and exit 0.
  --exit-with-parent  exit when the process that started us dies (polls getppid),
                    so an aborted test run leaves no emulator behind.
  --time-scale X    real seconds per modelled AWS second (default 0.01, or the
                    environment variable BLUEGREEN_EMULATOR_TIME_SCALE; the flag wins).
                    Scales every modelled AWS duration below. GET /_bluegreen/health
                    reports it as "time_scale".
  MOTO_ECS_SERVICE_RUNNING is ignored (removed from the environment at start): ECS
  running counts come from the rollout model below.

Where moto is kinder than AWS, modules beside this file model the AWS behaviour
(each module's docstring says which AWS behaviour it follows and how):
  aws_attachment.py       a target group's LoadBalancerArns follow the listeners and
                          rules forwarding to it (weight 0 counts); ECS CreateService /
                          UpdateService refuse a target group with no load balancer
                          (InvalidParameterException).
  aws_target_health.py    targets are initial -> healthy after HealthyThresholdCount x
                          HealthCheckIntervalSeconds in use (default 5 x 30 s = 1.5 s at
                          scale 0.01); unused (Target.NotInUse) while nothing forwards
                          to the group; draining for deregistration_delay.timeout_seconds
                          (default 300 s = 3 s) after deregistration; unhealthy on demand.
  aws_ecs_rollouts.py     deployments roll out: PRIMARY IN_PROGRESS while runningCount
                          climbs one task per 30 s (0.3 s), the replaced deployment ACTIVE
                          while it drains, then COMPLETED; FAILED on demand.
  aws_cloudwatch_alarms.py  DescribeAlarms returns composite alarms only when AlarmTypes
                          asks and pages at MaxRecords (1..100, default 50) with NextToken;
                          PutCompositeAlarm is added.
  aws_nlb.py              network load balancers: net/ ARNs, weighted forwards (weights
                          0..999, also refused above 999 on ALB), no listener rules, the
                          target-group protocol checked against the listener's, and the
                          data plane applying a weight change a propagation delay later.
  aws_clock.py            the scaled clock they share.
  aws_lambda_invoke.py    Lambda Invoke (moto runs function code only in Docker): functions
                          registered by a control call answer a scripted sequence, and
                          every payload is recorded (the lifecycle hooks' tests).
  aws_moto_fields.py      two fields moto drops and the hashicorp/aws provider reads back
                          (ECS availabilityZoneRebalancing, a referencing security group
                          rule's Description); checked by tools/pipeline/run_pipeline.py.
  aws_codedeploy.py       CodeDeploy BatchGetDeploymentGroups (moto lacks it), an ECS
                          group's loadBalancerInfo checked (one pair, one prod listener),
                          deployment statuses set by a control call.
  dynatrace_api.py        not AWS: Dynatrace's classic SLO API v2 (GET /api/v2/slo/{id}
                          with Api-Token auth, 400/401/404, scripted 429/5xx), for the
                          promotion gate.
  wsgi_faults.py          the dropped connection (no answer) both apps inject.
Also beside this file: scaffold.py (builds what Terraform and a deploy tool would have
made), emulator_process.py (starts this file for the Python tests), smoke_test*.py
(make test-tools).
Their control endpoints (JSON in, JSON out; a bad request answers 400 {"error"}):
  POST   /_bluegreen/targets/fail     {"target_group_arn", "target_id"?, "reason"?, "description"?}
                                      unhealthy with that reason (default
                                      Target.ResponseCodeMismatch, Target.FailedHealthChecks
                                      for a TCP-checked group); without target_id every
                                      target of the group, also ones registered later
  POST   /_bluegreen/targets/recover  {"target_group_arn", "target_id"?}  checks pass again:
                                      unhealthy until HealthyThresholdCount checks, then healthy
  GET    /_bluegreen/targets?target_group_arn=ARN
                                      {"in_use", "load_balancer_arns", "healthy_after_aws_seconds",
                                       "time_scale", "targets": [{"id", "state", "reason"}, ...]}
  POST   /_bluegreen/codedeploy/deployment {"application", "deployment_group", "status"}
                                      the group's open deployment takes that status
                                      (Created..Baking, one is created if none is open), or
                                      its open ones end (Succeeded, Failed, Stopped)
  POST   /_bluegreen/ecs/fail-rollout {"cluster", "service", "reason"?}  the service's PRIMARY
                                      deployment becomes FAILED with that rolloutStateReason
  POST   /_bluegreen/nlb/propagation-delay {"aws_seconds": N}  an NLB listener's weight change
                                      reaches its data plane N modelled seconds later (default
                                      60); GET answers the same {"aws_seconds", "real_seconds",
                                      "time_scale"}
  GET    /_bluegreen/nlb/served?listener_arn=ARN  what an NLB listener's data plane serves now:
                                      {"listener_arn", "served": [{"target_group_arn", "weight"}],
                                       "configured": [...], "settled", "settles_in_aws_seconds"}
"""

from __future__ import annotations

import argparse
import base64
import collections
import io
import itertools
import json
import os
import random
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the aws_* modules beside us
import aws_attachment  # noqa: E402  (see the docstring)
import aws_clock  # noqa: E402
import aws_codedeploy  # noqa: E402
import aws_cloudwatch_alarms  # noqa: E402
import aws_ecs_rollouts  # noqa: E402
import aws_lambda_invoke  # noqa: E402
import aws_moto_fields  # noqa: E402
import aws_nlb  # noqa: E402
import aws_target_health  # noqa: E402
import dynatrace_api  # noqa: E402
from wsgi_faults import drop_connection  # noqa: E402

PREFIX = "/_bluegreen"
# (method, path below PREFIX) -> handler(body: dict, query: dict) -> JSON-able answer
MODEL_ROUTES: dict = {**aws_target_health.CONTROL_ROUTES, **aws_ecs_rollouts.CONTROL_ROUTES,
                      **dynatrace_api.CONTROL_ROUTES, **aws_lambda_invoke.CONTROL_ROUTES,
                      **aws_codedeploy.CONTROL_ROUTES,
                      **aws_nlb.CONTROL_ROUTES}


def install_aws_models() -> None:
    """Patch moto's backends with the AWS behaviours moto leaves out (idempotent)."""
    aws_ecs_rollouts.install()
    aws_attachment.install()  # after rollouts: its ECS target-group check runs first
    aws_nlb.install()  # after attachment: NLB checks refuse before anything is attached
    aws_target_health.install()
    aws_cloudwatch_alarms.install()
    aws_moto_fields.install()
    aws_codedeploy.install()


PREWARM_SERVICES = ("ecs", "elasticloadbalancing", "ec2", "monitoring", "sts")
CALL_LOG_SIZE = 10_000


def log(msg: str) -> None:
    print(f"emulator: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- CBOR
# A small RFC 8949 codec, enough for Smithy RPC v2 CBOR: ints, floats, strings,
# bytes, arrays, maps (definite and indefinite length), tag 1 timestamps,
# true/false/null/undefined.


class CborTimestamp(float):
    """Epoch seconds that came from (or must go out as) CBOR tag 1."""


def cbor_decode(data: bytes) -> Any:
    value, pos = _cbor_item(data, 0)
    if pos != len(data):
        raise ValueError(f"trailing bytes after CBOR item at {pos}")
    return value


_BREAK = object()


def _cbor_item(data: bytes, pos: int) -> tuple[Any, int]:
    initial = data[pos]
    pos += 1
    major, info = initial >> 5, initial & 0x1F
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):
            return None, pos
        if info == 25:
            return struct.unpack(">e", data[pos : pos + 2])[0], pos + 2
        if info == 26:
            return struct.unpack(">f", data[pos : pos + 4])[0], pos + 4
        if info == 27:
            return struct.unpack(">d", data[pos : pos + 8])[0], pos + 8
        if info == 31:
            return _BREAK, pos
        if info < 24:
            return None, pos  # unassigned simple value
        raise ValueError(f"unsupported CBOR simple value {info}")
    if info < 24:
        arg: int | None = info
    elif info == 24:
        arg, pos = data[pos], pos + 1
    elif info == 25:
        arg, pos = struct.unpack(">H", data[pos : pos + 2])[0], pos + 2
    elif info == 26:
        arg, pos = struct.unpack(">I", data[pos : pos + 4])[0], pos + 4
    elif info == 27:
        arg, pos = struct.unpack(">Q", data[pos : pos + 8])[0], pos + 8
    elif info == 31 and major in (2, 3, 4, 5):
        arg = None  # indefinite length
    else:
        raise ValueError(f"bad CBOR additional info {info} for major type {major}")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos  # type: ignore[operator]
    if major in (2, 3):
        if arg is None:
            chunks = []
            while True:
                chunk, pos = _cbor_item(data, pos)
                if chunk is _BREAK:
                    break
                chunks.append(chunk)
            joined = b"".join(c.encode() if isinstance(c, str) else c for c in chunks)
        else:
            joined, pos = data[pos : pos + arg], pos + arg
        return (joined.decode("utf-8") if major == 3 else bytes(joined)), pos
    if major == 4:
        items = []
        for i in itertools.count():
            if arg is not None and i >= arg:
                break
            item, pos = _cbor_item(data, pos)
            if item is _BREAK:
                break
            items.append(item)
        return items, pos
    if major == 5:
        result = {}
        for i in itertools.count():
            if arg is not None and i >= arg:
                break
            key, pos = _cbor_item(data, pos)
            if key is _BREAK:
                break
            result[key], pos = _cbor_item(data, pos)
        return result, pos
    if major == 6:
        value, pos = _cbor_item(data, pos)
        if arg == 1 and isinstance(value, (int, float)):
            return CborTimestamp(value), pos
        return value, pos
    raise ValueError(f"bad CBOR major type {major}")


def cbor_encode(value: Any) -> bytes:
    out = bytearray()
    _cbor_put(out, value)
    return bytes(out)


def _cbor_head(out: bytearray, major: int, arg: int) -> None:
    if arg < 24:
        out.append(major << 5 | arg)
    elif arg < 0x100:
        out += bytes([major << 5 | 24, arg])
    elif arg < 0x10000:
        out += bytes([major << 5 | 25]) + struct.pack(">H", arg)
    elif arg < 0x100000000:
        out += bytes([major << 5 | 26]) + struct.pack(">I", arg)
    else:
        out += bytes([major << 5 | 27]) + struct.pack(">Q", arg)


def _cbor_put(out: bytearray, value: Any) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, CborTimestamp):
        _cbor_head(out, 6, 1)
        out += b"\xfb" + struct.pack(">d", float(value))
    elif isinstance(value, int):
        if value >= 0:
            _cbor_head(out, 0, value)
        else:
            _cbor_head(out, 1, -1 - value)
    elif isinstance(value, float):
        out += b"\xfb" + struct.pack(">d", value)
    elif isinstance(value, (bytes, bytearray)):
        _cbor_head(out, 2, len(value))
        out += value
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _cbor_head(out, 3, len(raw))
        out += raw
    elif isinstance(value, (list, tuple)):
        _cbor_head(out, 4, len(value))
        for item in value:
            _cbor_put(out, item)
    elif isinstance(value, dict):
        _cbor_head(out, 5, len(value))
        for key, item in value.items():
            _cbor_put(out, key)
            _cbor_put(out, item)
    else:
        raise TypeError(f"cannot CBOR-encode {type(value).__name__}")


# ------------------------------------------------------- CloudWatch CBOR <-> JSON


# Smithy RPC v2 CBOR path segment -> botocore service name (others are searched for).
KNOWN_CBOR_SERVICES = {"GraniteServiceVersion20100801": "cloudwatch"}


class CborJsonAdapter:
    """Serves Smithy RPC v2 CBOR calls from moto's awsJson1_0 implementation."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _service_model(self, service_id: str) -> Any:
        # service_id is the path segment, e.g. GraniteServiceVersion20100801
        with self._lock:
            if service_id not in self._models:
                import botocore.session

                session = botocore.session.get_session()
                found = None
                known = KNOWN_CBOR_SERVICES.get(service_id)
                names = [known] if known else session.get_available_services()
                for name in names:
                    model = session.get_service_model(name)
                    if model.metadata.get("targetPrefix") == service_id:
                        found = model
                        break
                self._models[service_id] = found
            return self._models[service_id]

    @staticmethod
    def _to_json(value: Any) -> Any:
        if isinstance(value, CborTimestamp):
            return float(value)
        if isinstance(value, (bytes, bytearray)):
            return base64.b64encode(value).decode()
        if isinstance(value, dict):
            return {k: CborJsonAdapter._to_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [CborJsonAdapter._to_json(v) for v in value]
        return value

    @classmethod
    def _to_cbor(cls, value: Any, shape: Any) -> Any:
        if value is None or shape is None:
            return value
        kind = shape.type_name
        if kind == "structure":
            if not isinstance(value, dict):
                return value
            members = shape.members
            return {k: cls._to_cbor(v, members.get(k)) for k, v in value.items() if v is not None}
        if kind == "list" and isinstance(value, list):
            return [cls._to_cbor(v, shape.member) for v in value]
        if kind == "map" and isinstance(value, dict):
            return {k: cls._to_cbor(v, shape.value) for k, v in value.items()}
        if kind == "timestamp":
            if isinstance(value, (int, float)):
                return CborTimestamp(value)
            if isinstance(value, str):
                from dateutil import parser as dateparser

                return CborTimestamp(dateparser.isoparse(value).timestamp())
        if kind == "blob" and isinstance(value, str):
            return base64.b64decode(value)
        if kind in ("double", "float") and isinstance(value, int):
            return float(value)
        return value

    def rewrite_request(self, environ: dict, body: bytes, service_id: str, operation: str) -> bytes:
        payload = cbor_decode(body) if body else {}
        json_body = json.dumps(self._to_json(payload)).encode()
        environ["PATH_INFO"] = "/"
        environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        environ["HTTP_X_AMZ_TARGET"] = f"{service_id}.{operation}"
        environ.pop("HTTP_SMITHY_PROTOCOL", None)
        environ["HTTP_ACCEPT"] = "application/json"
        return json_body

    def rewrite_response(
        self, status: str, headers: list[tuple[str, str]], body: bytes, service_id: str, operation: str
    ) -> tuple[list[tuple[str, str]], bytes]:
        code = int(status.split()[0])
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            data = None
        if data is None:  # not JSON (moto's HTML 500 page): pass through as is
            return headers, body
        if code >= 300:
            err = {"__type": data.get("__type", "InternalFailure")}
            message = data.get("message") or data.get("Message")
            if message is not None:
                err["message"] = message
            out = cbor_encode(err)
        else:
            model = self._service_model(service_id)
            shape = None
            if model is not None:
                try:
                    shape = model.operation_model(operation).output_shape
                except Exception:  # unknown operation: encode generically
                    shape = None
            out = cbor_encode(self._to_cbor(data, shape) if shape is not None else data)
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
        kept += [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(out))),
        ]
        return kept, out


# -------------------------------------------------------------- calls and faults


class Call:
    __slots__ = ("service", "action", "protocol", "content_type", "cbor")

    def __init__(self, service: str, action: str, protocol: str, content_type: str, cbor: tuple | None):
        self.service = service
        self.action = action
        self.protocol = protocol  # json | cbor | query | ec2 | other
        self.content_type = content_type
        self.cbor = cbor  # (service_id, operation) for Smithy RPC v2 CBOR calls


def identify(environ: dict, body: bytes) -> Call:
    service = ""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        try:
            scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
            service = scope.split("/")[3]
        except IndexError:
            pass
    content_type = environ.get("CONTENT_TYPE", "") or ""
    path = environ.get("PATH_INFO", "") or ""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return Call(service, target.rsplit(".", 1)[-1], "json", content_type, None)
    if aws_lambda_invoke.handles(path):
        return Call(service or "lambda", "Invoke", "json", "application/json", None)
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[0] == "service" and parts[2] == "operation":
        return Call(service, parts[3], "cbor", content_type, (parts[1], parts[3]))
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action", [""])[0]
    if not action and content_type.startswith("application/x-www-form-urlencoded") and body:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    if action:
        return Call(service, action, "ec2" if service == "ec2" else "query", content_type, None)
    return Call(service, "(unknown)", "other", content_type, None)


# kind -> (status, json code, query code, ec2 code, fault type)
FAULT_ERRORS = {
    "throttle": (400, "ThrottlingException", "Throttling", "RequestLimitExceeded", "Sender", "Rate exceeded"),
    "500": (500, "InternalFailure", "InternalFailure", "InternalError", "Receiver",
            "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "ServiceUnavailable", "Unavailable", "Receiver",
            "Service is unavailable. Please try again."),
}
FAULT_KINDS = set(FAULT_ERRORS) | {"slow", "drop", "error"}


class Fault:
    _ids = itertools.count(1)

    def __init__(self, spec: dict):
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(spec) - {"action", "count", "fraction", "seed", "kind", "delay_seconds",
                               "after", "status", "code", "message", "service"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        self.id = next(Fault._ids)
        self.action = str(spec.get("action", "*"))
        self.service = spec.get("service")
        self.kind = str(spec.get("kind", "throttle"))
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}")
        self.fraction = spec.get("fraction")
        if self.fraction is not None:
            self.fraction = float(self.fraction)
            if not 0.0 <= self.fraction <= 1.0:
                raise ValueError("fraction must be within 0..1")
            self.remaining = int(spec["count"]) if "count" in spec else None
        else:
            self.remaining = int(spec.get("count", 1))
        if self.remaining is not None and self.remaining < 1:
            raise ValueError("count must be >= 1")
        self.rng = random.Random(spec.get("seed"))
        default_delay = 5.0 if self.kind == "slow" else 0.0
        self.delay = float(spec.get("delay_seconds", default_delay))
        if self.delay < 0:
            raise ValueError("delay_seconds must be >= 0")
        self.after = bool(spec.get("after", False))
        self.status = int(spec.get("status", 400 if self.kind == "error" else 0))
        self.code = spec.get("code")
        self.message = spec.get("message")
        if self.kind == "error" and not self.code:
            raise ValueError('kind "error" needs a "code" (and usually a "status")')
        self.injected = 0

    def matches(self, call: Call) -> bool:
        if self.action not in ("*", call.action):
            return False
        if self.service and self.service != call.service:
            return False
        if self.fraction is not None and self.rng.random() >= self.fraction:
            return False
        return True

    def describe(self) -> dict:
        d = {"id": self.id, "action": self.action, "kind": self.kind, "injected": self.injected}
        for key, val in (("service", self.service), ("fraction", self.fraction),
                         ("count_remaining", self.remaining), ("delay_seconds", self.delay),
                         ("after", self.after), ("status", self.status or None),
                         ("code", self.code), ("message", self.message)):
            if val is not None:
                d[key] = val
        return d


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.reset_counters()

    def reset_counters(self) -> None:
        self.total = 0
        self.seq = 0
        self.by_action: collections.Counter = collections.Counter()
        self.by_service_action: collections.Counter = collections.Counter()
        self.faults_injected: collections.Counter = collections.Counter()
        self.calls: collections.deque = collections.deque(maxlen=CALL_LOG_SIZE)

    def record(self, call: Call) -> tuple[dict, Fault | None]:
        with self.lock:
            self.total += 1
            self.seq += 1
            self.by_action[call.action] += 1
            self.by_service_action[f"{call.service or '?'}:{call.action}"] += 1
            fault = None
            for f in self.faults:
                if f.matches(call):
                    fault = f
                    break
            entry = {"seq": self.seq, "service": call.service, "action": call.action, "status": None,
                     "fault": None}
            if fault is not None:
                fault.injected += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                self.faults_injected[f"{call.action}:{fault.kind}"] += 1
                entry["fault"] = fault.kind
            self.calls.append(entry)
            return entry, fault

    def snapshot(self, with_calls: bool) -> dict:
        with self.lock:
            out = {
                "total": self.total,
                "by_action": dict(sorted(self.by_action.items())),
                "by_service_action": dict(sorted(self.by_service_action.items())),
                "faults_injected": dict(sorted(self.faults_injected.items())),
            }
            if with_calls:
                out["calls"] = [dict(c) for c in self.calls]
            return out


# ------------------------------------------------------------------- middleware


class Emulator:
    def __init__(self, moto_app: Any, quiet_faults: bool = False):
        self.moto_app = moto_app
        self.state = State()
        self.cbor = CborJsonAdapter()
        self.port = 0
        self.quiet_faults = quiet_faults

    # -- control API
    def control(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "").rstrip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            if path == f"{PREFIX}/health" and method == "GET":
                return self._json(start_response, 200, {"status": "ok", "port": self.port,
                                                        "time_scale": aws_clock.scale()})
            handler = MODEL_ROUTES.get((method, path[len(PREFIX):]))
            if handler is not None:
                raw = self._read_body(environ) if method == "POST" else b""
                body = json.loads(raw or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                return self._json(start_response, 200, handler(body, query))
            if path == f"{PREFIX}/requests" and method == "GET":
                with_calls = query.get("calls", ["0"])[0] not in ("0", "false", "")
                return self._json(start_response, 200, self.state.snapshot(with_calls))
            if path == f"{PREFIX}/requests/reset" and method == "POST":
                with self.state.lock:
                    self.state.reset_counters()
                return self._json(start_response, 200, {"total": 0})
            if path == f"{PREFIX}/faults":
                if method == "GET":
                    return self._json(start_response, 200, self._faults())
                if method == "DELETE":
                    with self.state.lock:
                        self.state.faults.clear()
                    return self._json(start_response, 200, self._faults())
                if method == "POST":
                    spec = json.loads(self._read_body(environ) or b"null")
                    new = [Fault(s) for s in (spec if isinstance(spec, list) else [spec])]
                    with self.state.lock:
                        self.state.faults.extend(new)
                    if not self.quiet_faults:
                        for f in new:
                            log(f"fault armed: {json.dumps(f.describe())}")
                    return self._json(start_response, 200, self._faults())
            if path == f"{PREFIX}/reset" and method == "POST":
                from moto.moto_api._internal.models import moto_api_backend

                moto_api_backend.reset()
                dynatrace_api.control_reset({}, {})
                aws_lambda_invoke.control_reset({}, {})
                aws_nlb.control_reset({}, {})
                with self.state.lock:
                    self.state.faults.clear()
                    self.state.reset_counters()
                return self._json(start_response, 200, {"reset": True})
        except (ValueError, TypeError, KeyError) as e:
            return self._json(start_response, 400, {"error": str(e)})
        return self._json(start_response, 404, {"error": f"no such endpoint: {method} {path}"})

    def _faults(self) -> dict:
        with self.state.lock:
            return {"faults": [f.describe() for f in self.state.faults]}

    @staticmethod
    def _json(start_response: Callable, status: int, body: Any) -> list[bytes]:
        raw = json.dumps(body, indent=1).encode() + b"\n"
        start_response(f"{status} {'OK' if status == 200 else 'Error'}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))])
        return [raw]

    @staticmethod
    def _read_body(environ: dict) -> bytes:
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        length = environ.get("CONTENT_LENGTH")
        if length:
            try:
                n = int(length)
            except ValueError:
                n = 0
            return stream.read(n) if n > 0 else b""
        if environ.get("wsgi.input_terminated"):
            return stream.read()
        return b""

    # -- error answers
    @staticmethod
    def _error(call: Call, fault: Fault, start_response: Callable) -> list[bytes]:
        if fault.kind == "error":
            status, json_code, query_code, ec2_code, ftype, message = (
                fault.status, fault.code, fault.code, fault.code,
                "Receiver" if fault.status >= 500 else "Sender", fault.message or fault.code)
        else:
            status, json_code, query_code, ec2_code, ftype, message = FAULT_ERRORS[fault.kind]
            if fault.code:
                json_code = query_code = ec2_code = fault.code
            if fault.status:
                status = fault.status
        message = fault.message or message
        request_id = str(uuid.uuid4())
        headers = [("x-amzn-RequestId", request_id)]
        if call.protocol in ("json", "cbor"):
            headers.append(("x-amzn-ErrorType", json_code))
            if call.service == "monitoring":  # awsQueryCompatible: the query code wins
                headers.append(("x-amzn-query-error", f"{query_code};{ftype}"))
            payload = {"__type": json_code, "message": message}
            if call.protocol == "json":
                ctype = call.content_type if call.content_type.startswith("application/x-amz-json") \
                    else "application/x-amz-json-1.1"
                body = json.dumps(payload).encode()
            else:
                ctype = "application/cbor"
                headers.append(("smithy-protocol", "rpc-v2-cbor"))
                body = cbor_encode(payload)
        elif call.protocol == "ec2":
            ctype = "text/xml"
            body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                    f"<Code>{ec2_code}</Code><Message>{message}</Message></Error></Errors>"
                    f"<RequestID>{request_id}</RequestID></Response>").encode()
        else:
            ctype = "text/xml"
            body = (f"<ErrorResponse><Error><Type>{ftype}</Type><Code>{query_code}</Code>"
                    f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
                    f"</ErrorResponse>").encode()
        reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
        headers += [("Content-Type", ctype), ("Content-Length", str(len(body)))]
        start_response(f"{status} {reason}", headers)
        return [body]

    # -- pass-through to moto
    def _call_moto(self, environ: dict, call: Call, start_response: Callable) -> list[bytes]:
        captured: dict = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, list(headers)
            return lambda data: captured.setdefault("extra", []).append(data)

        result = self.moto_app(environ, capture)
        try:
            chunks = captured.pop("extra", []) + [c for c in result]
        finally:
            if hasattr(result, "close"):
                result.close()
        body = b"".join(chunks)
        status, headers = captured["status"], captured["headers"]
        if call.cbor is not None:
            headers, body = self.cbor.rewrite_response(status, headers, body, *call.cbor)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX):
            return self.control(environ, start_response)
        if path.startswith("/moto-api"):
            return self.moto_app(environ, start_response)
        if dynatrace_api.handles(path):
            # Dynatrace's API (tools/emulator/dynatrace_api.py), not AWS: counted there.
            return dynatrace_api.app(environ, start_response)

        # Buffer the body once; moto gets a fresh stream of the same bytes.
        body = self._read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)

        call = identify(environ, body)
        entry, fault = self.state.record(call)
        if fault is not None and not self.quiet_faults:
            log(f"fault #{fault.id} {fault.kind} -> {call.service}:{call.action}")

        if call.cbor is not None:
            try:
                body = self.cbor.rewrite_request(environ, body, *call.cbor)
            except (ValueError, IndexError, struct.error) as e:
                entry["status"] = 400
                err = cbor_encode({"__type": "SerializationException", "message": f"bad CBOR: {e}"})
                start_response("400 Bad Request", [("Content-Type", "application/cbor"),
                                                   ("smithy-protocol", "rpc-v2-cbor"),
                                                   ("Content-Length", str(len(err)))])
                return [err]
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))

        if fault is not None:
            if fault.kind in ("slow", "drop") and not fault.after and fault.delay:
                time.sleep(fault.delay)
            if fault.kind == "drop" and not fault.after:
                entry["status"] = "dropped"
                drop_connection(environ)
            if fault.kind not in ("slow", "drop"):
                out = self._error(call, fault, start_response)
                entry["status"] = fault.status or FAULT_ERRORS.get(fault.kind, (400,))[0]
                return out

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            entry["status"] = int(status.split()[0])
            if fault is not None and fault.after:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.kind == "drop":
                    entry["status"] = "dropped"
                    drop_connection(environ)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        if call.service == "lambda" and call.action == "Invoke":
            # moto's Lambda would need Docker: tools/emulator/aws_lambda_invoke.py answers.
            return aws_lambda_invoke.invoke(environ, body, recording_start_response)
        return self._call_moto(environ, call, recording_start_response)


# ------------------------------------------------------------------------ main


def prewarm(app: Any) -> None:
    """Load the backends the tests use, so that no test's first call pays for it."""
    for service in PREWARM_SERVICES:
        auth = (f"AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/{service}/aws4_request, "
                "SignedHeaders=host, Signature=0")
        app.get_application({"HTTP_AUTHORIZATION": auth, "PATH_INFO": "/", "wsgi.input": io.BytesIO()})


def write_port_file(path: str, port: int) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 = any free port (default)")
    parser.add_argument("--port-file", help="write the port here (atomically) once ready")
    parser.add_argument("--quiet", action="store_true", help="no per-request access log on stderr")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="exit when the parent process dies")
    parser.add_argument("--no-prewarm", action="store_true", help="load moto backends lazily")
    def scale_arg(text: str) -> float:
        try:
            return aws_clock.parse_scale(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e))

    parser.add_argument("--time-scale", type=scale_arg, default=None,
                        help="real seconds per modelled AWS second (default: $%s or %s)"
                             % (aws_clock.ENV_VAR, aws_clock.DEFAULT_SCALE))
    args = parser.parse_args(argv)
    try:
        aws_clock.set_scale(args.time_scale if args.time_scale is not None else aws_clock.scale_from_env())
    except ValueError as e:
        parser.error(str(e))
    # moto would read this on every CreateService; the rollout model replaces it.
    os.environ.pop("MOTO_ECS_SERVICE_RUNNING", None)

    parent = os.getppid()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class Handler(MotoRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            if not args.quiet:
                super().log_request(code, size)

    install_aws_models()
    moto_app = DomainDispatcherApplication(create_backend_app)
    emulator = Emulator(moto_app)
    server = make_server(args.host, args.port, emulator, threaded=True, request_handler=Handler)
    port = server.server_port
    emulator.port = port
    os.environ["MOTO_PORT"] = str(port)  # moto builds some self-referencing URLs from it

    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        if stopping.is_set():
            os._exit(1)  # second signal: don't wait for anything
        stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.exit_with_parent:
        def watch_parent() -> None:
            while not stopping.is_set():
                if os.getppid() != parent:
                    log("parent process is gone; exiting")
                    stop(signal.SIGTERM, None)
                    return
                time.sleep(0.5)

        threading.Thread(target=watch_parent, daemon=True).start()

    started = time.monotonic()
    if not args.no_prewarm:
        prewarm(moto_app)
    print(port, flush=True)
    if args.port_file:
        write_port_file(args.port_file, port)
    log(f"moto serving on http://{args.host}:{port} (ready in {time.monotonic() - started:.1f} s; "
        f"time scale {aws_clock.scale()})")
    try:
        if not stopping.is_set():
            server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if args.port_file:
            try:
                os.unlink(args.port_file)
            except FileNotFoundError:
                pass
    log("stopped")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown (garbage-collecting moto's backends takes ~1 s, and
    # request threads still sleeping in a "slow" fault need not be waited for).
    os._exit(code)
