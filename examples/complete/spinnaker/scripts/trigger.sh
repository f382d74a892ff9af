#!/usr/bin/env bash
# Start the ecs-bluegreen-<environment> pipeline for a new image. Run by CI after the
# image is pushed, with the image BY DIGEST (what was built, not a tag that can move):
#
#   examples/complete/spinnaker/scripts/trigger.sh prod \
#     210987654321.dkr.ecr.us-east-1.amazonaws.com/myapp@sha256:<64 hex digits>
#
# Each environment has its own pipeline (its own queue) and webhook, whose expected
# artifact accepts only that environment's registry and a digest, and whose payload
# constraint accepts only that environment: anything else starts nothing.
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
if [[ ! $image =~ ^[^@:]+(:[0-9]+)?/[^@:]+@sha256:[0-9a-f]{64}$ ]]; then
  echo "trigger.sh: IMAGE must be registry/repository@sha256:<digest> (the pipeline deploys digests only)" >&2
  exit 2
fi

payload=$(jq -n --arg environment "$environment" --arg image "$image" '{
  parameters: { environment: $environment },
  artifacts: [{
    type: "docker/image",
    name: ($image | sub("@sha256:.*$"; "")),
    version: ($image | capture("@(?<digest>sha256:.*)$").digest),
    reference: $image
  }]
}')

curl --fail --silent --show-error -X POST \
  -H 'Content-Type: application/json' \
  --data "$payload" \
  "${SPINNAKER_GATE_URL:?set SPINNAKER_GATE_URL}/webhooks/webhook/myapp-ecs-bluegreen-$environment"
echo
echo "trigger.sh: started ecs-bluegreen-$environment for $image"
