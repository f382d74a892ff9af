#!/usr/bin/env bash
# Used by read-release.sh and promote.sh: refresh ENV_DIR's state against AWS without
# writing it, stop if the release's traffic moved outside Terraform, and print the
# refreshed outputs as one JSON object ({"name": value, ...}) on stdout.
#
#   scripts/refreshed-release.sh infrastructure/envs/prod > outputs.json
#
# A whole-environment `terraform plan -refresh-only` is rarely empty on real AWS: a
# security group whose rules are separate resources shows them on its first refresh,
# autoscaling changes desired counts, AWS adds tags. None of that is what the pipeline
# depends on. What it depends on is the traffic pointer of bluegreen_ecs_release (which
# color is live, and how much traffic the standby takes); only a change there stops the
# run, and the message says what moved. Everything else is listed as a note.
#
# Exit codes: 0 refreshed, 1 Terraform failed, 3 the release's traffic moved.
set -euo pipefail

env_dir=${1:?usage: refreshed-release.sh ENV_DIR}
# The attributes that are the release's traffic (see docs: resources/ecs_release).
traffic='["active_color", "active_target_group_arn", "standby_traffic_percent"]'

plan=$(mktemp "${TMPDIR:-/tmp}/refresh.XXXXXX")
trap 'rm -f "$plan"' EXIT
# -lock=false: this never writes state, and must not wait behind (or block) a promotion.
if ! terraform -chdir="$env_dir" plan -refresh-only -input=false -lock=false -no-color -out="$plan" >&2; then
  echo "refreshed-release.sh: terraform plan -refresh-only failed in $env_dir" >&2
  exit 1
fi
json=$(terraform -chdir="$env_dir" show -json "$plan")

moved=$(jq -r --argjson traffic "$traffic" '
  .resource_drift[]? | select(.type == "bluegreen_ecs_release") | . as $r
  | if $r.change.after == null then "\($r.address): gone from AWS (its listener or rule was deleted)"
    else $traffic[] | select($r.change.before[.] != $r.change.after[.])
      | "\($r.address): \(.) was \($r.change.before[.] | tostring) in state, is \($r.change.after[.] | tostring) in AWS"
    end' <<<"$json")
if [[ -n $moved ]]; then
  {
    echo "refreshed-release.sh: the release's traffic moved outside this pipeline:"
    sed 's/^/  /' <<<"$moved"
    echo "Nothing was done. Find out who moved it (a rollback, another run, a person)."
    echo "To keep it, record it: terraform apply -refresh-only -target=<address above>; then re-run."
  } >&2
  exit 3
fi

other=$(jq -r '[.resource_drift[]? | select(.type != "bluegreen_ecs_release") | .address] | join(", ")' <<<"$json")
if [[ -n $other ]]; then
  echo "refreshed-release.sh: note: AWS differs from state outside the release (not traffic; the pipeline does not depend on it): $other" >&2
fi
jq '.output_changes | map_values(.after)' <<<"$json"
