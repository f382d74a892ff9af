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

terraform -chdir="$env_dir" init -input=false

# Still the release this run read? (The action compares before it writes, too.)
if ! terraform -chdir="$env_dir" plan -refresh-only -detailed-exitcode -input=false -lock=false >/dev/null; then
  echo "promote.sh: the Terraform state of $environment differs from AWS: traffic moved since this run read it." >&2
  echo "Nothing promoted. Review 'terraform plan -refresh-only' and re-run the pipeline." >&2
  exit 1
fi
live=$(terraform -chdir="$env_dir" output -raw active_color)
if [[ $live != "$from" ]]; then
  echo "promote.sh: $from was live when this run started, now $live is. Nothing promoted; re-run the pipeline." >&2
  exit 1
fi

# Only the action runs: nothing else in the configuration is planned or applied.
# active_color is the action's to_color: a repeated invoke does nothing.
terraform -chdir="$env_dir" apply -input=false -auto-approve -invoke="$action" -var "active_color=$to"
echo "promote.sh: $environment: production traffic is on $to"
