"""The part of Dynatrace's public API the promotion gate uses, served by the emulator
beside the AWS models, from Dynatrace's documentation (in our words):

- Classic Environment API v2, "GET an SLO" (docs.dynatrace.com, Dynatrace API >
  Environment API > Service-level objectives > GET an SLO):
  GET /api/v2/slo/{id}?from=...&to=...&timeFrame=GTF with `Authorization: Api-Token
  <token>`. 200 answers the SLO: id, name, enabled, status (SUCCESS | WARNING |
  FAILURE), evaluatedPercentage, target, warning, errorBudget, error ("NONE" unless
  the evaluation failed), timeframe. `timeFrame=GTF` evaluates over from/to; without
  it the SLO's own timeframe is used. `from` and `to` take a timestamp in UTC
  milliseconds, an ISO 8601 time (`2021-01-25T05:57:01.123+01:00`, UTC without a
  zone), or a relative time `now-NU` / `now-NU/A` with U (and A) one of m, h, d, w, M,
  y (no seconds); `to` defaults to now. Anything else answers 400.
- Errors answer {"error": {"code", "message"}}: 400 for a malformed parameter, 401 for
  a missing or unknown token (the header must be exactly `Api-Token <token>`; a Bearer
  token is not an API token), 404 for an unknown SLO id, 429 when the environment
  throttles (Dynatrace API > Basics > Access limit: "your requests return the response
  code 429" once the environment's request thread pool and its queue are full), here
  with a Retry-After header (seconds).

- Platform AutomationEngine API (docs.dynatrace.com, Dynatrace API > Platform API >
  AutomationEngine): `Authorization: Bearer <platform token>` (an API token is not a
  platform token: 401). POST /platform/automation/v1/workflows/{id}/run with
  {"input"?, "params"?} answers 201 with the execution (id, workflow, state RUNNING);
  GET .../executions/{id} its state (RUNNING until it ends SUCCESS or ERROR) and
  stateInfo; GET .../executions/{id}/tasks the task executions by name; GET
  .../executions/{id}/tasks/{name}/result the task's result, here a Site Reliability
  Guardian validation's: validation_status (pass | warning | fail | error),
  validation_summary (objectives per status) and validation_url. 404 for an unknown
  workflow or execution.

Control endpoints (under the emulator's /_bluegreen prefix; JSON in, JSON out):
  POST /dynatrace/tokens    {"api_tokens": [..], "platform_tokens"?: [..]}  the tokens
                            the environment accepts
  POST /dynatrace/slo       {"id", "name"?, "status", "evaluatedPercentage", "target",
                             "warning"?, "errorBudget"?, "error"?}  define or change an SLO
  POST /dynatrace/throttle  {"count", "retry_after"?}  the next COUNT SLO reads answer 429
  POST /dynatrace/faults    {"api"?: "slo" | "automation", "answers": [STATUS, ...],
                             "retry_after"?}  the next requests of that API (SLO reads by
                            default; "automation": the workflow API) answer each STATUS
                            in turn: 200 answers as usual, 429 throttles (with
                            Retry-After), 500/502/503/504 fail, 0 closes the
                            connection with no answer at all; then as usual again
  POST /dynatrace/guardian  {"workflow_id", "validation_status", "validation_summary"?,
                             "running_polls"?}  runs of that workflow stay RUNNING for
                            RUNNING_POLLS execution reads (default 1), then end SUCCESS
                            with that validation
  GET  /dynatrace/requests  {"requests": [{"method", "path", "query", "authorization",
                             "status", "at_ms", "from_ms", "to_ms"}]}  at_ms: when it
                            came (epoch ms); from_ms/to_ms: an SLO read's timeframe as
                            evaluated (epoch ms; null without from)
  POST /dynatrace/reset     forget tokens, SLOs, throttling and requests
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import time
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

from wsgi_faults import drop_connection

SLO_PREFIX = "/api/v2/slo/"
AUTOMATION_PREFIX = "/platform/automation/v1/"
VALIDATION_STATUSES = ("pass", "warning", "fail", "error")
TASK = "run_validation"
STATUSES = ("SUCCESS", "WARNING", "FAILURE")
FAULT_STATUSES = (0, 200, 429, 500, 502, 503, 504)
# Relative time as Dynatrace takes it: now, or now-NU with an optional /A alignment.
RELATIVE = re.compile(r"^now(?:-(\d+)([mhdwMy]))?(?:/([mhdwMy]))?$")
UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000,
           "M": 30 * 86_400_000, "y": 365 * 86_400_000}

_lock = threading.Lock()
_state: dict = {}


def _reset() -> None:
    with _lock:
        _state.clear()
        _state.update(tokens=set(), platform_tokens=set(), slos={}, requests=[], workflows={}, executions={},
                      faults={"slo": [], "automation": []}, retry_after=1)


_reset()


def handles(path: str) -> bool:
    return path.startswith(SLO_PREFIX) or path.startswith(AUTOMATION_PREFIX)


def _answer(start_response: Callable, status: int, body: Any, headers: list | None = None) -> list[bytes]:
    raw = json.dumps(body).encode()
    reason = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
              405: "Method Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error",
              502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(status, "")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(raw)))] + (headers or []))
    return [raw]


def _error(start_response: Callable, status: int, message: str, headers: list | None = None) -> list[bytes]:
    return _answer(start_response, status, {"error": {"code": status, "message": message}}, headers)


def timestamp_ms(value: str, now_ms: int) -> int:
    """A `from`/`to` value in epoch milliseconds; ValueError if Dynatrace would refuse it."""
    if value.isdigit():
        return int(value)
    m = RELATIVE.match(value)
    if m:
        at = now_ms - (int(m.group(1)) * UNIT_MS[m.group(2)] if m.group(1) else 0)
        if m.group(3):
            at -= at % UNIT_MS[m.group(3)]  # rounds down to the unit (months and years: approximately)
        return at
    try:
        parsed = datetime.datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"{value!r} is not a timestamp in UTC milliseconds, an ISO 8601 time or now-NU") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return int(parsed.timestamp() * 1000)


def _next_fault(api: str) -> int:
    """The scripted answer of the next request of `api`, or 200 (answer as usual). Under _lock."""
    queue = _state["faults"][api]
    return queue.pop(0) if queue else 200


def _fault(environ: dict, start_response: Callable, status: int) -> list[bytes]:
    if status == 0:
        # No answer at all, as emulator.py's "drop" fault.
        drop_connection(environ, "Dynatrace connection")
    if status == 429:
        return _error(start_response, 429, "Too many requests", [("Retry-After", str(_state["retry_after"]))])
    return _error(start_response, status, "The server encountered an unexpected condition")


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    now_ms = int(time.time() * 1000)
    record = {"method": method, "path": path, "query": query, "authorization": auth, "at_ms": now_ms,
              "status": None, "from_ms": None, "to_ms": None}
    with _lock:
        _state["requests"].append(record)
        tokens = set(_state["tokens"])

    def answered(status: str, headers: list, *rest: Any) -> Any:
        record["status"] = int(status.split()[0])
        return start_response(status, headers, *rest)

    if path.startswith(AUTOMATION_PREFIX):
        return _automation(environ, answered, method, path[len(AUTOMATION_PREFIX):], auth)
    if method != "GET":
        return _error(answered, 405, f"{method} is not allowed here")
    scheme, _, token = auth.partition(" ")
    if scheme != "Api-Token" or token not in tokens:
        return _error(answered, 401, "Token Authentication failed")
    params = parse_qs(query)
    try:
        if "from" in params:
            record["from_ms"] = timestamp_ms(params["from"][0], now_ms)
            record["to_ms"] = timestamp_ms(params.get("to", ["now"])[0], now_ms)
    except ValueError as e:
        return _error(answered, 400, f"Constraints violated: {e}")
    with _lock:
        fault = _next_fault("slo")
        if fault != 200:
            return _fault(environ, answered, fault)
        slo_id = unquote(path[len(SLO_PREFIX):])
        slo = _state["slos"].get(slo_id)
    if slo is None:
        return _error(answered, 404, f"The SLO with ID {slo_id} does not exist")
    body = dict(slo)
    body["timeframe"] = (f"{params['from'][0]} to {params.get('to', ['now'])[0]}"
                         if params.get("timeFrame", [""])[0] == "GTF" and "from" in params else "-1w")
    return _answer(answered, 200, body)


def _automation(environ: dict, start_response: Callable, method: str, rest: str, auth: str) -> list[bytes]:
    scheme, _, token = auth.partition(" ")
    with _lock:
        accepted = token in _state["platform_tokens"]
    if scheme != "Bearer" or not accepted:
        return _error(start_response, 401, "Authentication failed: no valid platform token")
    parts = rest.strip("/").split("/")
    with _lock:
        fault = _next_fault("automation")
        if fault != 200:
            return _fault(environ, start_response, fault)
        if method == "POST" and len(parts) == 3 and parts[0] == "workflows" and parts[2] == "run":
            workflow = _state["workflows"].get(parts[1])
            if workflow is None:
                return _error(start_response, 404, f"Workflow {parts[1]} not found")
            execution = {"id": str(uuid.uuid4()), "workflow": parts[1], "state": "RUNNING",
                         "polls_left": workflow["running_polls"], "outcome": workflow}
            _state["executions"][execution["id"]] = execution
            return _answer(start_response, 201, _execution(execution))
        if method != "GET" or len(parts) < 2 or parts[0] != "executions":
            return _error(start_response, 404, f"No such endpoint: {method} {AUTOMATION_PREFIX}{rest}")
        execution = _state["executions"].get(parts[1])
        if execution is None:
            return _error(start_response, 404, f"Execution {parts[1]} not found")
        if len(parts) == 2:
            if execution["polls_left"] > 0:
                execution["polls_left"] -= 1
            else:
                execution["state"] = "SUCCESS"
            return _answer(start_response, 200, _execution(execution))
        done = execution["state"] == "SUCCESS"
        if parts[2:] == ["tasks"]:
            return _answer(start_response, 200, {TASK: {"id": TASK, "name": TASK, "execution": execution["id"],
                                                        "state": "SUCCESS" if done else "RUNNING"}})
        if parts[2:] == ["tasks", TASK, "result"] and done:
            o = execution["outcome"]
            return _answer(start_response, 200, {"validation_status": o["validation_status"],
                                                 "validation_summary": o["validation_summary"],
                                                 "validation_url": f"https://guardian.example/{execution['id']}"})
    return _error(start_response, 404, f"No such task result: {rest}")


def _execution(e: dict) -> dict:
    return {"id": e["id"], "workflow": e["workflow"], "state": e["state"], "stateInfo": None,
            "trigger": "Manually triggered", "input": {}}


def control_tokens(body: dict, _query: dict) -> dict:
    tokens = body.get("api_tokens")
    platform = body.get("platform_tokens", [])
    for name, value in (("api_tokens", tokens), ("platform_tokens", platform)):
        if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
            raise ValueError(f"{name} must be a list of non-empty strings")
    with _lock:
        _state["tokens"] = set(tokens)
        _state["platform_tokens"] = set(platform)
    return {"api_tokens": len(tokens), "platform_tokens": len(platform)}


def control_guardian(body: dict, _query: dict) -> dict:
    workflow_id = body.get("workflow_id")
    if not isinstance(workflow_id, str) or not workflow_id:
        raise ValueError("workflow_id is required")
    if body.get("validation_status") not in VALIDATION_STATUSES:
        raise ValueError(f"validation_status must be one of {', '.join(VALIDATION_STATUSES)}")
    running = body.get("running_polls", 1)
    if not isinstance(running, int) or running < 0:
        raise ValueError("running_polls must be a whole number >= 0")
    workflow = {"validation_status": body["validation_status"], "running_polls": running,
                "validation_summary": body.get("validation_summary", {"pass": 0, "warning": 0, "fail": 0,
                                                                      "error": 0, "info": 0})}
    with _lock:
        _state["workflows"][workflow_id] = workflow
    return workflow


def control_slo(body: dict, _query: dict) -> dict:
    slo_id = body.get("id")
    if not isinstance(slo_id, str) or not slo_id:
        raise ValueError("id is required")
    if body.get("status") not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    for number in ("evaluatedPercentage", "target"):
        if not isinstance(body.get(number), (int, float)):
            raise ValueError(f"{number} must be a number")
    slo = {
        "id": slo_id,
        "name": body.get("name", slo_id),
        "enabled": True,
        "status": body["status"],
        "evaluatedPercentage": float(body["evaluatedPercentage"]),
        "target": float(body["target"]),
        "warning": float(body.get("warning", body["target"])),
        # Percentage points above the target, as Dynatrace reports it.
        "errorBudget": float(body.get("errorBudget", body["evaluatedPercentage"] - body["target"])),
        "error": body.get("error", "NONE"),
        "evaluationType": "AGGREGATE",
    }
    with _lock:
        _state["slos"][slo_id] = slo
    return slo


def control_throttle(body: dict, _query: dict) -> dict:
    count, retry_after = body.get("count"), body.get("retry_after", 1)
    if not isinstance(count, int) or count < 0 or not isinstance(retry_after, int) or retry_after < 0:
        raise ValueError("count and retry_after must be whole numbers >= 0")
    with _lock:
        _state["faults"]["slo"], _state["retry_after"] = [429] * count, retry_after
    return {"throttle": count, "retry_after": retry_after}


def control_faults(body: dict, _query: dict) -> dict:
    api, answers, retry_after = body.get("api", "slo"), body.get("answers"), body.get("retry_after", 1)
    if api not in ("slo", "automation"):
        raise ValueError("api must be slo or automation")
    if not isinstance(answers, list) or not all(a in FAULT_STATUSES for a in answers):
        raise ValueError(f"answers must be a list of statuses among {', '.join(map(str, FAULT_STATUSES))}")
    if not isinstance(retry_after, int) or retry_after < 0:
        raise ValueError("retry_after must be a whole number >= 0")
    with _lock:
        _state["faults"][api], _state["retry_after"] = list(answers), retry_after
    return {"api": api, "answers": answers, "retry_after": retry_after}


def control_requests(_body: dict, _query: dict) -> dict:
    with _lock:
        return {"requests": list(_state["requests"])}


def control_reset(_body: dict, _query: dict) -> dict:
    _reset()
    return {"reset": True}


CONTROL_ROUTES = {
    ("POST", "/dynatrace/tokens"): control_tokens,
    ("POST", "/dynatrace/slo"): control_slo,
    ("POST", "/dynatrace/throttle"): control_throttle,
    ("POST", "/dynatrace/faults"): control_faults,
    ("POST", "/dynatrace/guardian"): control_guardian,
    ("GET", "/dynatrace/requests"): control_requests,
    ("POST", "/dynatrace/reset"): control_reset,
}
