#!/usr/bin/env bash
# `make reliability`: runs the fault scenarios (real Terraform against the emulator with
# injected faults) and prints a summary. A scenario is any acceptance test that reports
# through acceptance_tests::reliability_report (acceptance-tests/tests/reliability.rs,
# release_races.rs, ...): each prints one `RELIABILITY {json}` line, with partial_writes
# measured by comparing Terraform state with the live pointers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
tests=()
for f in $(grep -l 'reliability_report' acceptance-tests/tests/*.rs | sort); do
  tests+=(--test "$(basename "$f" .rs)")
done
if ((${#tests[@]} == 0)); then
  echo "reliability: no test file uses acceptance_tests::reliability_report" >&2
  exit 1
fi
echo "reliability: cargo test ${tests[*]}"
status=0
TF_ACC=1 cargo test --locked -p acceptance-tests "${tests[@]}" -- --nocapture 2>&1 | tee "$log" >/dev/null || status=$?
grep -E '^test result:' "$log" || true
python3 - "$log" "$status" <<'PY'
import json, sys
rows = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1]) if l.startswith("RELIABILITY ")]
status = int(sys.argv[2])
# `partial`: pointers whose live traffic differed from Terraform state at the end.
# `seconds`: the scenario's wall time, or of its faulty part where it times one (the
# plan + apply under throttling).
secs = lambda r: "-" if r.get("seconds") is None else f"{r['seconds']:.1f}"
print(f"{'scenario':48} {'faults':>6} {'runs':>5} {'converged':>9} {'partial':>7} {'seconds':>7}")
for r in rows:
    print(f"{r['scenario']:48} {r['faults_injected']:>6} {r['terraform_runs']:>5} {str(r['converged']):>9} "
          f"{r['partial_writes']:>7} {secs(r):>7}")
total = lambda k: sum(r[k] for r in rows)
print(f"scenarios: {len(rows)}; faults injected: {total('faults_injected')}; terraform plans/applies run: {total('terraform_runs')}; "
      f"converged: {sum(1 for r in rows if r['converged'])} (the rest are refusals that must not converge); "
      f"partial writes found: {total('partial_writes')}; plugin crashes: {total('crashes')}")
if status != 0:
    print("reliability: a scenario FAILED (see the cargo test output above)")
sys.exit(status)
PY
