#!/usr/bin/env bash
# The pipeline's "Promote standby color" job (codebuild/promote.yml): give TO_COLOR all
# production traffic in ENVIRONMENT through the provider's bluegreen_ecs_promote action.
#
#   ENVIRONMENT=prod FROM_COLOR=blue TO_COLOR=green examples/complete/spinnaker/scripts/promote.sh
#
# FROM_COLOR is the color that was live when the pipeline run started. If another color
# is live now (another run or a person moved traffic), nothing is promoted.
#
# The action does the verification, as configured in Terraform (promotion block of the
# release: healthy targets, steady ECS services, alarms, Dynatrace SLOs and guardian,
# hooks): it moves traffic only when the gate passes, bakes, and rolls back if the bake
# fails. A refused gate writes nothing. This job holds no Dynatrace token: the provider
# reads it from Secrets Manager with the job's role.
#
# Run by hand with the colors swapped, it is the rollback (through the same gate).
set -euo pipefail

environment=${ENVIRONMENT:?set ENVIRONMENT (dev, qa, prod)}
from=${FROM_COLOR:?set FROM_COLOR (the live color: blue or green)}
to=${TO_COLOR:?set TO_COLOR (blue or green)}
# The action, as declared next to the release in the module (module "ecs").
action=${PROMOTE_ACTION:-module.ecs.action.bluegreen_ecs_promote.app}
# The release whose traffic the action moves, recorded in state afterwards.
release=${RELEASE_ADDRESS:-module.ecs.bluegreen_ecs_release.app}
for color in "$from" "$to"; do
  case "$color" in
    blue | green) ;;
    *) echo "promote.sh: colors are blue or green, not '$color'" >&2; exit 2 ;;
  esac
done
if [[ $from == "$to" ]]; then
  echo "promote.sh: FROM_COLOR and TO_COLOR are both $to" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
env_dir="$here/../../infrastructure/envs/$environment"
if [[ ! $environment =~ ^[a-z0-9-]+$ || ! -d $env_dir ]]; then
  echo "promote.sh: no environment '$environment' under infrastructure/envs" >&2
  exit 2
fi

terraform -chdir="$env_dir" init -input=false -no-color

# Still the release this run read? Stops (exit 3) if the release's traffic moved outside
# Terraform, saying what moved; unrelated refreshed attributes do not stop it. (The
# action compares before it writes, too.)
outputs=$("$here/refreshed-release.sh" "$env_dir")
live=$(jq -r .active_color <<<"$outputs")
if [[ $live != "$from" ]]; then
  echo "promote.sh: $from was live when this run started, now $live is. Nothing promoted; re-run the pipeline." >&2
  exit 1
fi

# Record what is live in state after the action, whatever its outcome: the action runs
# in refresh-only mode and writes no state, so without this the next run's read would
# find "traffic moved" (the action's own move). Only the release is refreshed: other
# refreshed attributes are left for a reviewed apply.
record() {
  terraform -chdir="$env_dir" apply -refresh-only -auto-approve -input=false -no-color \
    -target="$release" >/dev/null ||
    echo "promote.sh: could not record the new traffic in state; run: terraform apply -refresh-only -target=$release" >&2
}

# Cancelling the stage (Spinnaker's Cancel -> igor -> CodeBuild StopBuild) stops the
# build; AWS does not document which signal its processes get. On SIGTERM or SIGINT this
# script passes SIGTERM on to Terraform, which stops gracefully: the provider stops
# (while the gate waits nothing has been written; during the bake it puts the previous
# traffic back if live is still what it wrote), Terraform releases the S3 state lock,
# and then what is live is recorded. Terraform runs in the background so the trap runs
# at once, not after the bake. A SIGKILL leaves the lock: see spinnaker/README.md.
stop() {
  echo "promote.sh: $1: stopping terraform, then recording what is live" >&2
  kill -TERM "$tf_pid" 2>/dev/null || true
  wait "$tf_pid" || true
  record
  exit "$2"
}
trap 'stop "stopped (SIGTERM)" 143' TERM
trap 'stop "interrupted (SIGINT)" 130' INT

# Only the action runs: nothing else in the configuration is planned or applied.
# active_color is the action's to_color: a repeated invoke does nothing. -refresh=false:
# the refresh above just compared the release with AWS, and the action reads the live
# pointer itself before it writes (compare-before-write).
terraform -chdir="$env_dir" apply -input=false -auto-approve -no-color -refresh=false -invoke="$action" -var "active_color=$to" &
tf_pid=$!
rc=0
wait "$tf_pid" || rc=$?
trap - TERM INT
record
if ((rc != 0)); then
  echo "promote.sh: $environment: the promotion to $to failed (see above); production traffic is on $(terraform -chdir="$env_dir" output -raw active_color)" >&2
  exit "$rc"
fi
echo "promote.sh: $environment: production traffic is on $(terraform -chdir="$env_dir" output -raw active_color)"
