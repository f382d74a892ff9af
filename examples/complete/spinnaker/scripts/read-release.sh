#!/usr/bin/env bash
# The pipeline's "Read release" job (codebuild/read-release.yml): read the release of
# ENVIRONMENT from Terraform when the run starts, and print it as `export NAME='value'`
# lines for the buildspec to source. CodeBuild then hands the variables the buildspec
# lists under exported-variables to Spinnaker.
#
#   ENVIRONMENT=prod examples/complete/spinnaker/scripts/read-release.sh
#   ENVIRONMENT=prod EXPECT_ACTIVE_COLOR=blue .../read-release.sh   (the re-check before the deploy)
#
# Why here and not in the trigger: a queued Spinnaker execution keeps the parameters it
# was triggered with, and the run ahead of it may have promoted in the meantime. The
# colors and the target group must be the ones live when this run starts.
#
# Needs terraform, jq, read access to the state and to AWS. It never writes state and
# never takes the state lock.
set -euo pipefail

environment=${ENVIRONMENT:?set ENVIRONMENT (dev, qa, prod)}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
env_dir="$here/../../infrastructure/envs/$environment"
buildspec="$here/../codebuild/read-release.yml"
if [[ ! $environment =~ ^[a-z0-9-]+$ || ! -d $env_dir ]]; then
  echo "read-release.sh: no environment '$environment' under infrastructure/envs" >&2
  exit 2
fi

terraform -chdir="$env_dir" init -input=false -no-color >&2

# The outputs as AWS has them now. Stops (exit 3) only if the release's traffic moved
# outside Terraform since the state was written, and says what moved; other refreshed
# attributes are listed as a note and do not stop the run.
outputs=$("$here/refreshed-release.sh" "$env_dir")

# The re-check right before the deploy sets EXPECT_ACTIVE_COLOR to what "Read release"
# read: if another color is live now (a rollback, another run), nothing is deployed.
live=$(jq -r .active_color <<<"$outputs")
if [[ -n ${EXPECT_ACTIVE_COLOR:-} && $live != "$EXPECT_ACTIVE_COLOR" ]]; then
  echo "read-release.sh: $EXPECT_ACTIVE_COLOR was live when this run started, now $live is (a rollback or another run moved traffic)." >&2
  echo "Stopping before the deploy: it would go into the live color. Re-run the pipeline." >&2
  exit 4
fi
if [[ -n ${EXPECT_ACTIVE_COLOR:-} && $(jq -r .standby_traffic_percent <<<"$outputs") != 0 ]]; then
  echo "read-release.sh: the standby color takes production traffic now (a canary started). Stopping before the deploy." >&2
  exit 4
fi

quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# The exported names, as the buildspec lists them: NAME is the output `name`.
mapfile -t names < <(sed -n '/^ *exported-variables:/,/^ *[a-z-]*:/s/^ *- *\([A-Z0-9_]*\) *$/\1/p' "$buildspec")
for name in "${names[@]}"; do
  if [[ $name == SOURCE_COMMIT ]]; then
    value=${CODEBUILD_RESOLVED_SOURCE_VERSION:-$(git -C "$here" rev-parse HEAD)}
  else
    value=$(jq -er --arg name "${name,,}" \
      'if has($name) then .[$name] | tostring else error("no output \($name)") end' <<<"$outputs") || {
      echo "read-release.sh: infrastructure/envs/$environment has no output '${name,,}'" >&2
      exit 1
    }
  fi
  echo "export $name=$(quote "$value")"
done

if [[ $(jq -r .environment <<<"$outputs") != "$environment" ]]; then
  echo "read-release.sh: envs/$environment reports environment '$(jq -r .environment <<<"$outputs")'" >&2
  exit 1
fi
echo "read-release.sh: $environment: $live is live, this run deploys to $(jq -r .standby_color <<<"$outputs")" >&2
