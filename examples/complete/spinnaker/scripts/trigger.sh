#!/usr/bin/env bash
# Start the ecs-bluegreen pipeline for a new image in one environment. Run by CI after
# the image is pushed:
#
#   examples/complete/spinnaker/scripts/trigger.sh prod 123456789012.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2
#
# The trigger carries only the environment and the image. Everything the deploy and the
# promotion depend on (colors, target group, capacity, roles) is read from Terraform by
# the pipeline's first stage when the run starts: a run that waits in Spinnaker's queue
# would otherwise deploy with what was live when it was triggered.
#
# Needs jq, curl and SPINNAKER_GATE_URL.
set -euo pipefail

environment=${1:?usage: trigger.sh ENVIRONMENT IMAGE}
image=${2:?usage: trigger.sh ENVIRONMENT IMAGE}
case "$environment" in
  dev | qa | prod) ;;
  *) echo "trigger.sh: ENVIRONMENT is dev, qa or prod, not '$environment'" >&2; exit 2 ;;
esac
if [[ ! $image =~ :[^:/]+$ ]]; then
  echo "trigger.sh: IMAGE needs a tag (registry/repository:tag)" >&2
  exit 2
fi

payload=$(jq -n --arg environment "$environment" --arg image "$image" '{
  parameters: { environment: $environment },
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
echo "trigger.sh: started ecs-bluegreen for $image in $environment"
