#!/usr/bin/env bash
# `make demo` (which first runs tools/setup-python.sh and cargo build): the whole story
# of bluegreen_ecs_release -- release, Spinnaker deploy with a clean plan, promotion,
# gate refusal, bake rollback, discovery with `terraform query`, and a promotion by the
# bluegreen_ecs_promote action with its progress -- with real Terraform (tools/terraform)
# and the built provider against the local AWS emulator (tools/emulator/emulator.py), in a temp
# directory. Then the seed example (examples/complete and its Spinnaker pipeline) released
# twice, as its pipeline runs it (tools/pipeline/run_pipeline.py --demo).
#
# Expected failures are checked, not ignored: any unexpected outcome ends the demo
# with "demo: FAILED: ..." and a non-zero exit (its files are then kept). The emulator,
# and a background apply if one runs, are always stopped: on success, failure, Ctrl-C.
# Environment: BLUEGREEN_PROVIDER_DIR (default target/debug), BLUEGREEN_KEEP_DEMO_DIR=1.
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) fails the assignment too

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
py="$root/.venv/bin/python"
terraform="$root/tools/terraform"
provider_dir=${BLUEGREEN_PROVIDER_DIR:-$root/target/debug}

[[ -x "$py" ]] || { echo "demo: $py missing; run tools/setup-python.sh (make demo does)" >&2; exit 1; }
[[ -x "$provider_dir/terraform-provider-bluegreen" ]] ||
  { echo "demo: no provider binary in $provider_dir; run cargo build (make demo does)" >&2; exit 1; }

demo_dir=$(mktemp -d "${TMPDIR:-/tmp}/bluegreen-demo.XXXXXX")
work="$demo_dir/tf"
mkdir -p "$work" "$demo_dir/emulator"
emulator_pid=""
apply_pid=""
started=$SECONDS

# ------------------------------------------------------------------ helpers

step() { printf '\n==> %s\n' "$*"; }
say() { printf '    %s\n' "$*"; }
result() { printf '    => %s\n' "$*"; }
# Indented excerpt: the lines of FILE matching the extended regex PATTERN.
excerpt() { grep -E -- "$2" "$1" | sed 's/^[[:space:]]*/    | /' || true; }
# wait_for_line PATTERN FILE: until the background apply ($apply_pid) has written a line
# matching PATTERN to FILE (30 s at most); fails if it never does.
wait_for_line() {
  for _ in $(seq 1 300); do
    grep -q "$1" "$2" && return 0
    kill -0 "$apply_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "$1" "$2"
}
# The "Error: ..." lines of a Terraform stderr file and their detail, without the
# "with ... / on main.tf line N" context lines.
error_excerpt() {
  awk '/^Error: /      { print; mode = 1; next }
       mode == 1 && /^ +[0-9]+: / { mode = 2; next }
       mode == 2 && NF  { print; seen = 1; next }
       mode == 2 && seen { mode = 0; seen = 0 }' "$1" | sed 's/^/    | /'
}

# Terraform catches Ctrl-C itself (graceful stop, exit 0 or 1), so bash never runs
# the INT trap for it: look for Terraform's own note after every run.
check_interrupted() {
  if grep -qs '^Interrupt received' "$work"/*.out; then
    printf '\ndemo: interrupted\n' >&2
    exit 130
  fi
}

die() {
  check_interrupted
  printf '\ndemo: FAILED: %s\n' "$1" >&2
  for f in "${@:2}"; do
    [[ -f "$f" ]] && { printf -- '--- %s\n' "$f" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

# Stops a background apply (if one runs), then the emulator; idempotent.
stop_emulator() {
  local pid
  for pid in $apply_pid $emulator_pid; do
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  apply_pid="" emulator_pid=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_emulator
  if [[ ($rc -ne 0 && $rc -ne 130) || "${BLUEGREEN_KEEP_DEMO_DIR:-}" == 1 ]]; then
    echo "demo: files kept in $demo_dir" >&2
  else
    rm -rf "$demo_dir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

# Terraform in the working directory; output to $work/NAME.out and NAME.err.
# Sets tf_rc and never aborts: callers decide what exit code they expected.
tf() {
  local name=$1; shift
  tf_rc=0
  "$terraform" -chdir="$work" "$@" >"$work/$name.out" 2>"$work/$name.err" || tf_rc=$?
  check_interrupted
}

# tools/emulator/scaffold.py SUBCOMMAND ARGS: prints its JSON; on failure the demo fails.
scaffold() {
  "$py" "$root/tools/emulator/scaffold.py" "$1" --endpoint "$endpoint" "${@:2}" 2>"$demo_dir/scaffold.err" ||
    die "tools/emulator/scaffold.py $1 failed" "$demo_dir/scaffold.err"
}

# Fields of a JSON object file, one per line.
json_get() { "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(*(d[k] for k in sys.argv[2:]), sep="\n")' "$@"; }

# "blue (shop-tg-a)": the color(s) the production rule forwards traffic to (weight > 0).
serving() {
  local json; json=$(scaffold describe --rule-arn "$rule_arn")
  "$py" -c '
import json, sys
blue, green = sys.argv[1:3]
fwd = next(a for a in json.load(sys.stdin)["actions"] if a["Type"] == "forward")
tgs = fwd.get("ForwardConfig", {}).get("TargetGroups") or [{"TargetGroupArn": fwd["TargetGroupArn"]}]
live = [t["TargetGroupArn"] for t in tgs if t.get("Weight", 1) > 0]
print(" + ".join("%s (%s)" % ({blue: "blue", green: "green"}.get(a, "?"), a.split("/")[1]) for a in live))
' "$blue_tg" "$green_tg" <<<"$json"
}

expect_serving() {
  local now; now=$(serving)
  [[ "$now" == "$1 ("*")" && "$now" != *+* ]] || die "expected traffic on $1 only, the rule forwards to: $now"
  say "the rule forwards to: $now"
}

provider_config() {
  cat <<EOF
terraform {
  required_providers {
    bluegreen = { source = "bluegreen-ecs/bluegreen" }
  }
}

provider "bluegreen" {
  region = "us-east-1"
  endpoints {
    ecs            = "$endpoint"
    elbv2          = "$endpoint"
    cloudwatch     = "$endpoint"
    secretsmanager = "$endpoint"
    lambda         = "$endpoint"
    codedeploy     = "$endpoint"
  }
}
EOF
}

write_config() {
  provider_config >"$work/main.tf"
  cat >>"$work/main.tf" <<EOF

resource "bluegreen_ecs_release" "shop" {
  cluster           = "$cluster"
  listener_rule_arn = "$rule_arn"
  blue  { target_group_arn = "$blue_tg" }
  green { target_group_arn = "$green_tg" }

  active_color = "$1"

  promotion {
    min_healthy_targets = 1
    wait_timeout        = "2s"
    alarm_names         = ["shop-5xx"]
    bake_time           = "6s"
    rollback_on_failure = true
  }
}
EOF
}

apply_args=(apply -auto-approve -input=false -no-color)

# ------------------------------------------------------------------ setup

echo "bluegreen demo: real Terraform + $provider_dir/terraform-provider-bluegreen + local AWS emulator"
# In its own process group (set -m), so a Ctrl-C reaches Terraform and this script
# but not the emulator: cleanup stops it. --exit-with-parent covers a kill -9 of us.
set -m
"$py" "$root/tools/emulator/emulator.py" --port 0 --quiet --exit-with-parent \
  --port-file "$demo_dir/emulator/port" </dev/null >/dev/null 2>"$demo_dir/emulator/log" &
emulator_pid=$!
set +m
for _ in $(seq 1 600); do
  [[ -s "$demo_dir/emulator/port" ]] && break
  kill -0 "$emulator_pid" 2>/dev/null || die "the emulator exited before it was ready" "$demo_dir/emulator/log"
  sleep 0.1
done
[[ -s "$demo_dir/emulator/port" ]] || die "the emulator was not ready after 60 s" "$demo_dir/emulator/log"
endpoint="http://127.0.0.1:$(cat "$demo_dir/emulator/port")"
say "emulator on $endpoint (pid $emulator_pid; AWS health checks and ECS rollouts modelled at 100x speed)"

scaffold create --name shop --services spinnaker --colors tag --alarm shop-5xx >"$demo_dir/scaffold.json"
{ read -r cluster; read -r rule_arn; read -r blue_tg; read -r green_tg; } \
  < <(json_get "$demo_dir/scaffold.json" cluster rule_arn blue_tg green_tg)
[[ -n "${green_tg:-}" ]] || die "scaffold.py create printed no target groups" "$demo_dir/scaffold.json"
say "scaffolding: ALB shop-alb, rule priority 10, target groups shop-tg-a (blue) / shop-tg-b (green),"
say "cluster $cluster, Spinnaker server groups shop-prod-v000 (blue) / shop-prod-v001 (green), alarm shop-5xx"

cat >"$demo_dir/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "bluegreen-ecs/bluegreen" = "$provider_dir"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$demo_dir/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset TF_LOG TF_LOG_PROVIDER TF_LOG_CORE TF_LOG_PATH TF_CLI_ARGS TF_REATTACH_PROVIDERS
say "terraform working dir $work (provider via dev_overrides, no init needed)"

# ------------------------------------------------------------------ the story

step "1. Terraform adopts the live pointer (active_color = \"blue\")"
write_config blue
before=$(scaffold describe --rule-arn "$rule_arn")
tf apply1 "${apply_args[@]}"
[[ $tf_rc -eq 0 ]] || die "terraform apply exited $tf_rc" "$work/apply1.out" "$work/apply1.err"
excerpt "$work/apply1.out" 'will be created|Creation complete|Apply complete'
after=$(scaffold describe --rule-arn "$rule_arn")
[[ "$after" == "$before" ]] || die "creating the release rewrote the rule"
expect_serving blue
result "release created; traffic stays on blue, nothing was rewritten"

step "2. Spinnaker deploys a new server group to the standby color (green)"
scaffold deploy --name shop --color green --style spinnaker --scale-old-to-zero >"$demo_dir/deploy.json"
task_def=$(json_get "$demo_dir/deploy.json" task_definition_arn)
say "new server group $(json_get "$demo_dir/deploy.json" service) (task definition ${task_def##*/})" \
  "on green; older green server groups scaled to 0"
tf plan2 plan -detailed-exitcode -input=false -no-color
say "terraform plan -detailed-exitcode exited $tf_rc"
[[ $tf_rc -eq 0 ]] || die "expected plan exit 0 (no drift) after a deploy, got $tf_rc" "$work/plan2.out" "$work/plan2.err"
excerpt "$work/plan2.out" '^No changes'
result "the deploy is not drift: Terraform owns only the pointer, so plan shows no changes"

step "3. Promotion: active_color = \"green\""
write_config green
tf apply3 "${apply_args[@]}"
[[ $tf_rc -eq 0 ]] || die "terraform apply (promotion) exited $tf_rc" "$work/apply3.out" "$work/apply3.err"
excerpt "$work/apply3.out" 'active_color|Modifications complete|Apply complete'
expect_serving green
result "the gate passed (healthy targets, steady services, no alarm), traffic moved to green and baked 6 s"

step "4. The gate refuses a color with no healthy targets"
scaffold targets --tg "$blue_tg" --deregister-all >/dev/null
say "deregistered every target of blue (shop-tg-a); now asking for active_color = \"blue\""
write_config blue
before=$(scaffold describe --rule-arn "$rule_arn")
tf apply4 "${apply_args[@]}"
say "terraform apply exited $tf_rc (a failure is expected)"
[[ $tf_rc -ne 0 ]] || die "the gate let traffic move to a color with 0 healthy targets" "$work/apply4.out"
error=$(tr '\n' ' ' <"$work/apply4.err")
[[ "$error" == *"Promotion gate refused"*"has 0 healthy of"*"needs 1"* ]] ||
  die "the apply failed, but not with the gate's refusal" "$work/apply4.err"
error_excerpt "$work/apply4.err"
after=$(scaffold describe --rule-arn "$rule_arn")
[[ "$after" == "$before" ]] || die "the refused apply changed the rule"
expect_serving green
scaffold targets --tg "$blue_tg" --register 2 >/dev/null
say "re-registered 2 targets in blue"
result "the switch was refused before any write: traffic stayed on green"

step "5. A failed bake rolls traffic back (active_color = \"blue\", alarm fires mid-bake)"
# write_config blue is still in place. Apply in the background, watch the rule.
"$terraform" -chdir="$work" "${apply_args[@]}" >"$work/apply5.out" 2>"$work/apply5.err" &
apply_pid=$!
moved=""
for _ in $(seq 1 150); do
  now=$(serving)
  if [[ "$now" == "blue ("*")" ]]; then moved=yes; break; fi
  kill -0 "$apply_pid" 2>/dev/null || break
  sleep 0.2
done
[[ -n "$moved" ]] || die "traffic never moved to blue during the apply" "$work/apply5.out" "$work/apply5.err"
say "traffic is on blue, the 6 s bake is running; setting alarm shop-5xx to ALARM"
scaffold alarm --name shop-5xx --state ALARM >/dev/null
rc=0; wait "$apply_pid" || rc=$?
apply_pid=""
check_interrupted
say "terraform apply exited $rc (a failure is expected)"
[[ $rc -ne 0 ]] || die "the apply succeeded although the alarm fired during the bake" "$work/apply5.out"
grep -q 'Bake failed; traffic rolled back' "$work/apply5.err" ||
  die "the apply failed, but not with a bake rollback" "$work/apply5.err"
error_excerpt "$work/apply5.err"
expect_serving green
tf state5 state show -no-color bluegreen_ecs_release.shop
[[ $tf_rc -eq 0 ]] || die "terraform state show exited $tf_rc" "$work/state5.err"
grep -Eq '^[[:space:]]*active_color[[:space:]]*=[[:space:]]*"green"' "$work/state5.out" ||
  die "state does not record active_color = \"green\" after the rollback" "$work/state5.out"
say "terraform state show bluegreen_ecs_release.shop:"
excerpt "$work/state5.out" '^[[:space:]]*active_color'
scaffold alarm --name shop-5xx --state OK >/dev/null
say "alarm shop-5xx back to OK"
result "the bake failed, the previous pointer was written back and state matches live (green)"

step "6. terraform query discovers the release (a fresh directory: only a provider and a list block)"
query_dir="$demo_dir/query"
mkdir -p "$query_dir"
provider_config >"$query_dir/main.tf"
cat >"$query_dir/shop.tfquery.hcl" <<EOF
list "bluegreen_ecs_release" "shop" {
  provider = bluegreen
  config {
    cluster = "$cluster"
  }
}
EOF
tf_rc=0
"$terraform" -chdir="$query_dir" query -no-color -generate-config-out=generated.tf \
  >"$work/query6.out" 2>"$work/query6.err" || tf_rc=$?
check_interrupted
say "terraform query -generate-config-out=generated.tf exited $tf_rc"
[[ $tf_rc -eq 0 ]] || die "terraform query exited $tf_rc" "$work/query6.out" "$work/query6.err"
listed=$(grep -c '^list\.bluegreen_ecs_release\.shop' "$work/query6.out" || true)
[[ $listed -eq 1 ]] || die "expected terraform query to list 1 release, it listed $listed" "$work/query6.out"
grep -q "shop-prod · rule …/${rule_arn: -4} → green" "$work/query6.out" ||
  die "the listed release is not the shop rule sending traffic to green" "$work/query6.out"
excerpt "$work/query6.out" '^list\.bluegreen_ecs_release'
generated="$query_dir/generated.tf"
[[ $(grep -c '^resource "bluegreen_ecs_release"' "$generated") -eq 1 && $(grep -c '^import {' "$generated") -eq 1 ]] ||
  die "generated.tf does not hold one release and one import block" "$generated"
! grep -q active_color "$generated" || die "generated.tf sets active_color (it must adopt)" "$generated"
say "generated.tf: one bluegreen_ecs_release block (inputs only, no active_color) and its import block"
result "one release found in cluster $cluster: the shop rule, traffic on green"

step "7. Promote with the bluegreen_ecs_promote action (terraform apply -invoke), progress streamed"
cat >"$work/actions.tf" <<EOF
action "bluegreen_ecs_promote" "shop" {
  config {
    cluster           = "$cluster"
    listener_rule_arn = "$rule_arn"
    blue  { target_group_arn = "$blue_tg" }
    green { target_group_arn = "$green_tg" }
    # to_color defaults to the standby: blue

    promotion {
      wait_timeout = "10s"
      alarm_names  = ["shop-5xx"]
      bake_time    = "3s"
    }
  }
}
EOF
scaffold targets --tg "$blue_tg" --deregister-all >/dev/null
say "blue's targets are being replaced: the old ones are deregistered (draining); invoking the action"
"$terraform" -chdir="$work" apply -invoke=action.bluegreen_ecs_promote.shop -auto-approve -input=false -no-color \
  >"$work/invoke7.out" 2>"$work/invoke7.err" &
apply_pid=$!
wait_for_line '^Action action\.bluegreen_ecs_promote\.shop .*blue: 0/[0-9]* targets healthy' "$work/invoke7.out" || die "the action never reported its gate waiting for blue" "$work/invoke7.out" "$work/invoke7.err"
scaffold targets --tg "$blue_tg" --register 2 >/dev/null
say "the gate is waiting; registered 2 fresh targets in blue (initial for ~1.5 s, then healthy)"
rc=0; wait "$apply_pid" || rc=$?
apply_pid=""
check_interrupted
say "terraform apply -invoke=action.bluegreen_ecs_promote.shop exited $rc"
[[ $rc -eq 0 ]] || die "the promote action failed" "$work/invoke7.out" "$work/invoke7.err"
progress_lines=$(grep -c '^Action action\.bluegreen_ecs_promote\.shop (' "$work/invoke7.out" || true)
grep -q '^Action action\.bluegreen_ecs_promote\.shop .*blue: gate passed' "$work/invoke7.out" &&
  grep -q '^Action action\.bluegreen_ecs_promote\.shop .*traffic moved: blue 100%' "$work/invoke7.out" &&
  [[ $progress_lines -ge 4 ]] ||
  die "the action's progress lines are missing" "$work/invoke7.out"
# The bake reports every 300 ms: repeated lines are shown once.
excerpt "$work/invoke7.out" '^Action (started|action\.bluegreen_ecs_promote\.shop)|^Actions: |Apply complete' | uniq
expect_serving blue
tf plan7 plan -detailed-exitcode -input=false -no-color
say "terraform plan -detailed-exitcode exited $tf_rc (active_color = \"blue\" in main.tf)"
[[ $tf_rc -eq 0 ]] || die "expected plan exit 0 after the promote action, got $tf_rc" "$work/plan7.out" "$work/plan7.err"
result "the gate waited for blue's new targets (said so while it waited), moved traffic, baked 3 s"

step "8. A Dynatrace SLO gates the promotion (the promote action, back to green)"
scaffold secret --name shop-dynatrace --key DT_API_TOKEN --value "dt0c01.DEMO.TOKEN" >"$demo_dir/secret.json"
secret_arn=$(json_get "$demo_dir/secret.json" arn)
# The emulator's Dynatrace control calls (tools/emulator/dynatrace_api.py).
# POST JSON to the emulator's control API: emulator_control PATH JSON.
emulator_control() {
  "$py" -c 'import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/_bluegreen/" + sys.argv[2], data=sys.argv[3].encode(),
                             method="POST", headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()' "$endpoint" "$1" "$2"
}
dynatrace() { emulator_control "dynatrace/$1" "$2"; }
slo() {
  dynatrace slo "{\"id\": \"shop-slo\", \"name\": \"shop-availability\", \"status\": \"$1\", \"evaluatedPercentage\": $2, \"target\": 99.9}"
}
dynatrace tokens '{"api_tokens": ["dt0c01.DEMO.TOKEN"]}'
slo FAILURE 99.2
cat >"$work/actions.tf" <<EOF
action "bluegreen_ecs_promote" "shop" {
  config {
    cluster           = "$cluster"
    listener_rule_arn = "$rule_arn"
    blue  { target_group_arn = "$blue_tg" }
    green { target_group_arn = "$green_tg" }

    promotion {
      wait_timeout = "30s"
      dynatrace {
        environment_url      = "$endpoint"
        api_token_secret_arn = "$secret_arn"
        api_token_secret_key = "DT_API_TOKEN"
        slo_ids              = ["shop-slo"]
      }
    }
  }
}
EOF
say "the SLO shop-availability is FAILURE (99.2 % against 99.9 %); invoking the action"
say "(the demo re-reads SLOs every 2 s, BLUEGREEN_SLO_INTERVAL_MS; a real SLO is read at most once a minute)"
BLUEGREEN_SLO_INTERVAL_MS=2000 "$terraform" -chdir="$work" apply -invoke=action.bluegreen_ecs_promote.shop \
  -auto-approve -input=false -no-color >"$work/invoke8.out" 2>"$work/invoke8.err" &
apply_pid=$!
wait_for_line '^Action action\.bluegreen_ecs_promote\.shop .*SLO shop-availability FAILURE' "$work/invoke8.out" || die "the action never reported its gate waiting on the SLO" "$work/invoke8.out" "$work/invoke8.err"
slo SUCCESS 99.95
say "the gate is waiting on the SLO; Dynatrace now evaluates it SUCCESS (99.95 %)"
rc=0; wait "$apply_pid" || rc=$?
apply_pid=""
check_interrupted
say "terraform apply -invoke=action.bluegreen_ecs_promote.shop exited $rc"
[[ $rc -eq 0 ]] || die "the promote action failed" "$work/invoke8.out" "$work/invoke8.err"
grep -q '^Action action\.bluegreen_ecs_promote\.shop .*green: gate passed.*SLO shop-availability SUCCESS' \
  "$work/invoke8.out" || die "the gate did not pass on the SLO" "$work/invoke8.out"
excerpt "$work/invoke8.out" '^Action action\.bluegreen_ecs_promote\.shop' | uniq
! grep -q "dt0c01.DEMO.TOKEN" "$work/invoke8.out" "$work/invoke8.err" || die "the token leaked into the output"
expect_serving green
result "the gate waited on the Dynatrace SLO (said so while it waited), then passed and moved traffic"

step "9. A linear promotion back to blue: 25 % steps, each held 1 s, checked and told to a Lambda hook"
# The team's hook function, as ECS-native blue/green would call it: the emulator's
# Lambda answers IN_PROGRESS once (ask again in 1 s), then SUCCEEDED.
emulator_control lambda/function '{"name": "shop-step-check", "answers": [{"hookStatus": "IN_PROGRESS", "callBackDelay": 1}, {"hookStatus": "SUCCEEDED"}]}'
cat >"$work/actions.tf" <<EOF
action "bluegreen_ecs_promote" "shop" {
  config {
    cluster           = "$cluster"
    listener_rule_arn = "$rule_arn"
    blue  { target_group_arn = "$blue_tg" }
    green { target_group_arn = "$green_tg" }

    promotion {
      strategy = "linear"
      linear {
        step_percent   = 25
        step_bake_time = "1s"
      }
      hook {
        stage               = "PRODUCTION_TRAFFIC_SHIFT"
        lambda_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:shop-step-check"
        timeout             = "1m"
      }
    }
  }
}
EOF
"$terraform" -chdir="$work" apply -invoke=action.bluegreen_ecs_promote.shop -auto-approve -input=false -no-color \
  >"$work/invoke9.out" 2>"$work/invoke9.err" || die "the linear promotion failed" "$work/invoke9.out" "$work/invoke9.err"
for n in 1 2 3 4; do
  grep -q "^Action action\.bluegreen_ecs_promote\.shop .*step $n of 4, blue $((n * 25)) %: traffic moved" \
    "$work/invoke9.out" || die "no line for step $n of 4" "$work/invoke9.out"
done
[[ $(grep -c "^Action action\.bluegreen_ecs_promote\.shop .*hook shop-step-check (PRODUCTION_TRAFFIC_SHIFT): SUCCEEDED" \
  "$work/invoke9.out") -eq 4 ]] || die "the hook did not answer SUCCEEDED at each of the 4 steps" "$work/invoke9.out"
excerpt "$work/invoke9.out" '^Action action\.bluegreen_ecs_promote\.shop .*(step [0-9] of 4|gate passed|hook )' | uniq
expect_serving blue
result "blue took 25, 50, 75, then 100 % of the traffic, each step gated, held and approved by the hook"

step "10. The seed example, run as its pipeline runs it: examples/complete + Spinnaker's stages"
say "envs/dev with the real hashicorp/aws provider and an S3 backend; each stage as its executor runs it"
say "(tools/pipeline/run_pipeline.py --demo; make test-pipeline runs more releases, and a rollback mid-run)"
emulator_pid_was=$emulator_pid
stop_emulator  # the pipeline run starts its own emulator
# Streamed as it runs (a few minutes): the stages, the SLO's verdict, the plans after each release.
set +e
BLUEGREEN_PROVIDER_DIR="$provider_dir" "$py" -u "$root/tools/pipeline/run_pipeline.py" --demo 2>&1 |
  tee "$demo_dir/pipeline.out" |
  grep --line-buffered -E '^(==|  [A-Z][a-z].{24} (SUCCEEDED|SKIPPED|TERMINAL)|  FAIL|  \.\.\.|run_pipeline: [0-9])|names the SLO|traffic stays|nothing is retired|plan -detailed-exitcode exits 0' |
  sed -u 's/^ *//; s/^/    | /'
pipeline_rc=${PIPESTATUS[0]}
set -e
((pipeline_rc == 0)) || die "the pipeline run failed (exit $pipeline_rc)" "$demo_dir/pipeline.out"
result "read, re-check, deploy, promote, retire; an SLO in FAILURE stopped the promotion until it passed; plans exit 0"

step "11. Summary"
say "1. apply created the release on the live pointer: traffic on blue"
say "2. a Spinnaker deploy to green was not drift: plan -detailed-exitcode exited 0"
say "3. promotion moved traffic to green through the gate"
say "4. the gate refused blue with 0 healthy targets: nothing written, traffic on green"
say "5. an alarm during the bake rolled traffic back to green; state says green"
say "6. terraform query found the release from the cluster alone, and wrote its config and import block"
say "7. the bluegreen_ecs_promote action waited for blue's targets (progress streamed), moved traffic to blue; plan clean"
say "8. the promote action waited on a Dynatrace SLO in FAILURE, passed once it was SUCCESS, moved traffic to green"
say "9. a linear promotion moved blue up 25 % per step to 100 %, each step gated, held and told to a Lambda hook"
say "10. the seed example's pipeline released twice; the Dynatrace gate held a release until its SLO passed"
! kill -0 "$emulator_pid_was" 2>/dev/null || die "the emulator (pid $emulator_pid_was) is still running"
result "emulator stopped; nothing left running (demo took $((SECONDS - started)) s)"
