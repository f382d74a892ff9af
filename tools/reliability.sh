#!/usr/bin/env bash
# `make reliability`: runs the fault scenarios (acceptance-tests/tests/reliability.rs,
# real Terraform against the emulator with injected faults) and prints a summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
TF_ACC=1 cargo test --locked -p acceptance-tests --test reliability -- --nocapture 2>&1 | tee "$log" >/dev/null || status=$?
grep -E '^test result:' "$log" || true
python3 - "$log" "$status" <<'PY'
import json, sys
rows = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1]) if l.startswith("RELIABILITY ")]
status = int(sys.argv[2])
# `seconds`: wall time of the scenario's faulty part, for the rows that time one (e.g.
# the plan + apply under throttling); "-" for the others.
secs = lambda r: "-" if r.get("seconds") is None else f"{r['seconds']:.1f}"
print(f"{'scenario':48} {'faults':>6} {'runs':>5} {'converged':>9} {'seconds':>7}")
for r in rows:
    print(f"{r['scenario']:48} {r['faults_injected']:>6} {r['terraform_runs']:>5} {str(r['converged']):>9} {secs(r):>7}")
total = lambda k: sum(r[k] for r in rows)
print(f"scenarios: {len(rows)}; faults injected: {total('faults_injected')}; terraform plans/applies run: {total('terraform_runs')}; "
      f"converged: {sum(1 for r in rows if r['converged'])} (the rest are refusals that must not converge); "
      f"partial writes found: {total('partial_writes')}; plugin crashes: {total('crashes')}")
if status != 0:
    print("reliability: a scenario FAILED (see the cargo test output above)")
sys.exit(status)
PY
