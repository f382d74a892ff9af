#!/usr/bin/env bash
# The pipeline's "Promote standby color" job: move production traffic to ACTIVE_COLOR
# in ENVIRONMENT with `terraform apply -var active_color=...`. bluegreen_ecs_release
# runs its promotion gate (healthy targets, steady services, alarms), switches the
# listener rule, bakes and rolls back by itself; a failed gate writes nothing.
#
#   ENVIRONMENT=prod ACTIVE_COLOR=green examples/complete/spinnaker/scripts/promote.sh
set -euo pipefail

environment=${ENVIRONMENT:?set ENVIRONMENT (dev, qa, prod)}
color=${ACTIVE_COLOR:?set ACTIVE_COLOR (blue or green)}
case "$color" in
  blue | green) ;;
  *) echo "promote.sh: ACTIVE_COLOR must be blue or green, not '$color'" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
env_dir="$here/../../infrastructure/envs/$environment"
release=module.ecs.bluegreen_ecs_release.app

terraform -chdir="$env_dir" init -input=false
terraform -chdir="$env_dir" plan -input=false -var "active_color=$color" -out=promote.tfplan

# A promotion moves traffic and nothing else: refuse a plan that would also change
# infrastructure (that goes through the normal review and apply).
others=$(terraform -chdir="$env_dir" show -json promote.tfplan |
  jq -r --arg release "$release" '.resource_changes[]
    | select(.mode == "managed" and .address != $release and .change.actions != ["no-op"])
    | .address')
if [[ -n "$others" ]]; then
  echo "promote.sh: the plan changes more than $release; apply those changes first:" >&2
  echo "$others" >&2
  exit 1
fi

# Saved plan: if someone moved traffic since the plan, the provider refuses to write.
terraform -chdir="$env_dir" apply -input=false promote.tfplan

# Spinnaker reads these from the job's log (runJobManifest propertyFile).
echo "SPINNAKER_PROPERTY_ACTIVE_COLOR=$(terraform -chdir="$env_dir" output -raw active_color)"
echo "SPINNAKER_PROPERTY_STANDBY_COLOR=$(terraform -chdir="$env_dir" output -raw standby_color)"
