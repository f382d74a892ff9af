"""Lambda Invoke for the lifecycle hooks, served by the emulator in place of moto's
Lambda (which runs function code only in Docker, not available here). Functions are
registered through a control call and answer from a scripted sequence; every
invocation's payload is recorded, so tests can assert what a hook was told.

Modelled from the AWS Lambda API Reference, "Invoke" (docs.aws.amazon.com/lambda/
latest/api/API_Invoke.html), in our words:

- `POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=Q]`, restJson1.
  FunctionName is a name (`smoke`), a name with a qualifier (`smoke:live`), a partial
  ARN (`123456789012:function:smoke`) or a full ARN
  (`arn:aws:lambda:us-east-1:123456789012:function:smoke[:live]`). A qualifier given
  both in the name and as `Qualifier` must agree.
- `X-Amz-Invocation-Type`: `RequestResponse` (the default) runs the function and
  answers 200 with its result as the body; `Event` queues it (202, empty body);
  `DryRun` only checks the call (204).
- A function that throws (or times out) still answers 200, with the header
  `X-Amz-Function-Error: Unhandled` and a body `{"errorMessage", "errorType",
  "stackTrace"}`.
- Errors answer `x-amzn-ErrorType` and a JSON body: 404 ResourceNotFoundException for
  an unknown function or qualifier, and for a full ARN in another region than the
  request's (the region of its SigV4 credential scope): Lambda has no cross-region
  Invoke and answers "Functions from 'eu-west-1' are not reachable in this region
  ('us-east-1')" (the message AWS SDK users report, e.g. aws-lambda-power-tuning
  issue #18; the API Reference lists ResourceNotFoundException for a function that
  does not exist, which is what another region's function is to this endpoint); 400 InvalidRequestContentException when the
  payload is not JSON; 413 RequestTooLargeException above 6 MB (the synchronous
  limit); throttling (429 TooManyRequestsException) through the emulator's faults.

What ECS sends a hook and how it reads the answer (hookStatus, callBackDelay,
hookDetails) is the provider's business (provider/src/traffic_switch/hooks.rs); this
module only answers what the script says.

Control endpoints (under the emulator's /_bluegreen prefix; JSON in, JSON out):
  POST /lambda/function     {"name", "aliases"?: [..], "answers": [answer, ...]}
                            register (or replace) a function; the answers are given in
                            order, the last repeats. An answer is a JSON value the
                            function returns (e.g. {"hookStatus": "IN_PROGRESS",
                            "callBackDelay": 1}), or {"function_error": "Unhandled",
                            "errorMessage": ".."} (a throw), or {"raw": "text"} (a body
                            that is not JSON); "delay_seconds" in any answer makes the
                            function take that long (real seconds) before answering.
  GET  /lambda/invocations?name=NAME
                            {"invocations": [{"name", "qualifier", "invocation_type",
                             "payload", "at" (epoch seconds), "answer"}]}
  POST /lambda/reset        forget every function and invocation
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], or ACCOUNT:function:NAME[:Q]
FULL_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_$-]+))?$")
PARTIAL_ARN = re.compile(r"^\d{12}:function:([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_$-]+))?$")

_lock = threading.Lock()
_functions: dict[str, dict] = {}
_invocations: list[dict] = []


def handles(path: str) -> bool:
    return PATH.match(path) is not None


def resolve(function_name: str) -> tuple[str | None, str | None]:
    """(name, qualifier in the name) of any FunctionName spelling; (None, None) if malformed."""
    for pattern in (FULL_ARN, PARTIAL_ARN):
        m = pattern.match(function_name)
        if m:
            return m.group(1), m.group(2)
    name, _, qualifier = function_name.partition(":")
    if NAME.match(name) and (not qualifier or re.match(r"^[A-Za-z0-9_$-]+$", qualifier)):
        return name, qualifier or None
    return None, None


def request_region(environ: dict) -> str | None:
    """The region a SigV4-signed request was signed for (`Credential=AK/DATE/REGION/...`)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" not in auth:
        return None
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[2] if len(scope) > 2 and scope[2] else None


def _json(start_response: Callable, status: int, body: Any, headers: list | None = None) -> list[bytes]:
    raw = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 413: "Request Entity Too Large"}.get(status, "")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(raw)))] + (headers or []))
    return [raw]


def _error(start_response: Callable, status: int, code: str, message: str) -> list[bytes]:
    return _json(start_response, status, {"Type": "User", "message": message},
                 [("x-amzn-ErrorType", code), ("x-amzn-RequestId", "emulator")])


def invoke(environ: dict, body: bytes, start_response: Callable) -> list[bytes]:
    """Answers one Invoke (the emulator has recorded the call and applied its faults)."""
    m = PATH.match(environ.get("PATH_INFO", ""))
    function_name = unquote(m.group(1)) if m else ""
    name, in_name = resolve(function_name)
    if name is None:
        return _error(start_response, 400, "ValidationException",
                      f"1 validation error detected: Value '{function_name}' at 'functionName' failed to satisfy "
                      "constraint: Member must satisfy regular expression pattern")
    arn_region = function_name.split(":")[3] if FULL_ARN.match(function_name) else None
    region = request_region(environ)
    if arn_region and region and arn_region != region:
        return _error(start_response, 404, "ResourceNotFoundException",
                      f"Functions from '{arn_region}' are not reachable in this region ('{region}')")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    qualifier = query.get("Qualifier", [None])[0]
    if in_name and qualifier and in_name != qualifier:
        return _error(start_response, 400, "InvalidParameterValueException",
                      "The derived qualifier from the function name does not match the specified qualifier.")
    qualifier = qualifier or in_name
    invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")
    with _lock:
        fn = _functions.get(name)
        if fn is None or (qualifier not in (None, "$LATEST") and qualifier not in fn["aliases"]):
            what = f"{name}:{qualifier}" if qualifier else name
            return _error(start_response, 404, "ResourceNotFoundException",
                          f"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{what}")
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        return _error(start_response, 400, "InvalidParameterValueException",
                      f"Unsupported invocation type {invocation_type}")
    if len(body) > MAX_SYNC_PAYLOAD:
        return _error(start_response, 413, "RequestTooLargeException",
                      f"Request must be smaller than {MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation")
    try:
        payload = json.loads(body) if body else {}
    except (ValueError, UnicodeDecodeError):
        return _error(start_response, 400, "InvalidRequestContentException", "Could not parse request body into json")
    if invocation_type == "DryRun":
        start_response("204 No Content", [("Content-Length", "0")])
        return [b""]
    with _lock:
        i = min(fn["calls"], len(fn["answers"]) - 1)
        fn["calls"] += 1
        answer = fn["answers"][i]
        _invocations.append({"name": name, "qualifier": qualifier, "invocation_type": invocation_type,
                             "payload": payload, "at": time.time(), "answer": answer})
    if isinstance(answer, dict) and answer.get("delay_seconds"):
        time.sleep(float(answer["delay_seconds"]))
    if invocation_type == "Event":
        start_response("202 Accepted", [("Content-Length", "0")])
        return [b""]
    headers = [("X-Amz-Executed-Version", "$LATEST")]
    if isinstance(answer, dict) and "function_error" in answer:
        headers.append(("X-Amz-Function-Error", str(answer["function_error"])))
        out = json.dumps({"errorMessage": answer.get("errorMessage", "error"),
                          "errorType": answer.get("errorType", "Error"), "stackTrace": []}).encode()
    elif isinstance(answer, dict) and "raw" in answer:
        out = str(answer["raw"]).encode()
    else:
        returned = {k: v for k, v in answer.items() if k != "delay_seconds"} if isinstance(answer, dict) else answer
        out = json.dumps(returned).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))] + headers)
    return [out]


def control_function(body: dict, query: dict) -> dict:
    name, _ = resolve(str(body.get("name", "")))
    if name is None:
        raise ValueError("name must be a Lambda function name or ARN")
    answers = body.get("answers")
    if not isinstance(answers, list) or not answers:
        raise ValueError("answers must be a non-empty list")
    aliases = body.get("aliases", [])
    if not isinstance(aliases, list):
        raise ValueError("aliases must be a list")
    with _lock:
        _functions[name] = {"answers": answers, "aliases": [str(a) for a in aliases], "calls": 0}
    return {"name": name, "answers": len(answers)}


def control_invocations(body: dict, query: dict) -> dict:
    wanted = query.get("name", [None])[0]
    name = resolve(wanted)[0] if wanted else None
    with _lock:
        return {"invocations": [dict(i) for i in _invocations if name is None or i["name"] == name]}


def control_reset(body: dict, query: dict) -> dict:
    with _lock:
        _functions.clear()
        _invocations.clear()
    return {"reset": True}


CONTROL_ROUTES = {
    ("POST", "/lambda/function"): control_function,
    ("GET", "/lambda/invocations"): control_invocations,
    ("POST", "/lambda/reset"): control_reset,
}
