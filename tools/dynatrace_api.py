"""The part of Dynatrace's public API the promotion gate uses, served by the emulator
beside the AWS models, from Dynatrace's documentation (in our words):

- Classic Environment API v2, "GET an SLO" (docs.dynatrace.com, Dynatrace API >
  Environment API > Service-level objectives > GET an SLO):
  GET /api/v2/slo/{id}?from=...&to=...&timeFrame=GTF with `Authorization: Api-Token
  <token>`. 200 answers the SLO: id, name, enabled, status (SUCCESS | WARNING |
  FAILURE), evaluatedPercentage, target, warning, errorBudget, error ("NONE" unless
  the evaluation failed), timeframe. `timeFrame=GTF` evaluates over from/to (relative
  forms such as `now-10m` and `now` are accepted); without it the SLO's own timeframe
  is used.
- Errors answer {"error": {"code", "message"}}: 401 for a missing or unknown token
  (the header must be exactly `Api-Token <token>`; a Bearer token is not an API
  token), 404 for an unknown SLO id, 429 with a Retry-After header (seconds) when the
  environment throttles.

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
  POST /dynatrace/guardian  {"workflow_id", "validation_status", "validation_summary"?,
                             "running_polls"?}  runs of that workflow stay RUNNING for
                            RUNNING_POLLS execution reads (default 1), then end SUCCESS
                            with that validation
  GET  /dynatrace/requests  {"requests": [{"method", "path", "query", "authorization"}]}
  POST /dynatrace/reset     forget tokens, SLOs, throttling and requests
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

SLO_PREFIX = "/api/v2/slo/"
AUTOMATION_PREFIX = "/platform/automation/v1/"
VALIDATION_STATUSES = ("pass", "warning", "fail", "error")
TASK = "run_validation"
STATUSES = ("SUCCESS", "WARNING", "FAILURE")

_lock = threading.Lock()
_state: dict = {}


def _reset() -> None:
    with _lock:
        _state.clear()
        _state.update(tokens=set(), platform_tokens=set(), slos={}, throttle=0, retry_after=1, requests=[],
                      workflows={}, executions={})


_reset()


def handles(path: str) -> bool:
    return path.startswith(SLO_PREFIX) or path.startswith(AUTOMATION_PREFIX)


def _answer(start_response: Callable, status: int, body: Any, headers: list | None = None) -> list[bytes]:
    raw = json.dumps(body).encode()
    reason = {200: "OK", 201: "Created", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
              429: "Too Many Requests"}.get(status, "")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(raw)))] + (headers or []))
    return [raw]


def _error(start_response: Callable, status: int, message: str, headers: list | None = None) -> list[bytes]:
    return _answer(start_response, status, {"error": {"code": status, "message": message}}, headers)


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    with _lock:
        _state["requests"].append({"method": method, "path": path, "query": query, "authorization": auth})
        tokens = set(_state["tokens"])
    if path.startswith(AUTOMATION_PREFIX):
        return _automation(environ, start_response, method, path[len(AUTOMATION_PREFIX):], auth)
    if method != "GET":
        return _error(start_response, 405, f"{method} is not allowed here")
    scheme, _, token = auth.partition(" ")
    if scheme != "Api-Token" or token not in tokens:
        return _error(start_response, 401, "Token Authentication failed")
    with _lock:
        if _state["throttle"] > 0:
            _state["throttle"] -= 1
            return _error(start_response, 429, "Too many requests",
                          [("Retry-After", str(_state["retry_after"]))])
        slo_id = unquote(path[len(SLO_PREFIX):])
        slo = _state["slos"].get(slo_id)
    if slo is None:
        return _error(start_response, 404, f"The SLO with ID {slo_id} does not exist")
    params = parse_qs(query)
    body = dict(slo)
    body["timeframe"] = (f"{params['from'][0]} to {params.get('to', ['now'])[0]}"
                         if params.get("timeFrame", [""])[0] == "GTF" and "from" in params else "-1w")
    return _answer(start_response, 200, body)


def _automation(environ: dict, start_response: Callable, method: str, rest: str, auth: str) -> list[bytes]:
    scheme, _, token = auth.partition(" ")
    with _lock:
        accepted = token in _state["platform_tokens"]
    if scheme != "Bearer" or not accepted:
        return _error(start_response, 401, "Authentication failed: no valid platform token")
    parts = rest.strip("/").split("/")
    with _lock:
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
        _state["throttle"], _state["retry_after"] = count, retry_after
    return {"throttle": count, "retry_after": retry_after}


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
    ("POST", "/dynatrace/guardian"): control_guardian,
    ("GET", "/dynatrace/requests"): control_requests,
    ("POST", "/dynatrace/reset"): control_reset,
}
