#!/usr/bin/env bash
# Start the ecs-bluegreen pipeline for a new image, with the Terraform outputs of one
# environment as the pipeline's parameters. Run by CI after the image is pushed:
#
#   examples/complete/spinnaker/scripts/trigger.sh prod 123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2
#
# Needs terraform, jq and curl, read access to the state and to AWS (plan -refresh-only),
# and SPINNAKER_GATE_URL. It never writes state.
set -euo pipefail

environment=${1:?usage: trigger.sh ENVIRONMENT IMAGE}
image=${2:?usage: trigger.sh ENVIRONMENT IMAGE}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
env_dir="$here/../../infrastructure/envs/$environment"
pipeline="$here/../pipelines/ecs-bluegreen.json"

terraform -chdir="$env_dir" init -input=false >/dev/null

# The outputs must describe what is live. With the release in adopt mode, state only
# differs from AWS if someone moved traffic outside Terraform: then a refresh-only plan
# has changes (exit 2), and we stop rather than deploy into the live color.
if ! terraform -chdir="$env_dir" plan -refresh-only -detailed-exitcode -input=false -lock=false >/dev/null; then
  echo "trigger.sh: Terraform state of $environment differs from AWS (or the plan failed)." >&2
  echo "Review it with 'terraform plan -refresh-only', record it with 'terraform apply -refresh-only', then retry." >&2
  exit 1
fi

# Keep the outputs the pipeline declares as parameters (same names), as strings.
parameters=$(terraform -chdir="$env_dir" output -json |
  jq --argjson names "$(jq '[.parameterConfig[].name]' "$pipeline")" \
    'with_entries(select(.key as $k | $names | index($k))) | map_values(.value | tostring)')

payload=$(jq -n --argjson parameters "$parameters" --arg image "$image" '{
  parameters: $parameters,
  artifacts: [{
    type: "docker/image",
    name: ($image | sub(":[^:/]+$"; "")),
    version: ($image | capture(":(?<tag>[^:/]+)$").tag),
    reference: $image
  }]
}')

curl --fail --silent --show-error -X POST \
  -H 'Content-Type: application/json' \
  --data "$payload" \
  "${SPINNAKER_GATE_URL:?set SPINNAKER_GATE_URL}/webhooks/webhook/myapp-ecs-bluegreen"
echo
echo "trigger.sh: started ecs-bluegreen for $image in $environment: deploying to $(jq -r .standby_color <<<"$parameters"), $(jq -r .active_color <<<"$parameters") stays live"
