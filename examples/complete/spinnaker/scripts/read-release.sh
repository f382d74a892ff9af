#!/usr/bin/env bash
# The pipeline's "Read release" job (codebuild/read-release.yml): read the release of
# ENVIRONMENT from Terraform when the run starts, and print it as `export NAME='value'`
# lines for the buildspec to source. CodeBuild then hands the variables the buildspec
# lists under exported-variables to Spinnaker.
#
#   ENVIRONMENT=prod examples/complete/spinnaker/scripts/read-release.sh
#
# Why here and not in the trigger: a queued Spinnaker execution keeps the parameters it
# was triggered with, and the run ahead of it may have promoted in the meantime. The
# colors and the target group must be the ones live when this run starts.
#
# Needs terraform, jq, read access to the state and to AWS. It never writes state.
set -euo pipefail

environment=${ENVIRONMENT:?set ENVIRONMENT (dev, qa, prod)}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
env_dir="$here/../../infrastructure/envs/$environment"
buildspec="$here/../codebuild/read-release.yml"
if [[ ! $environment =~ ^[a-z0-9-]+$ || ! -d $env_dir ]]; then
  echo "read-release.sh: no environment '$environment' under infrastructure/envs" >&2
  exit 2
fi

terraform -chdir="$env_dir" init -input=false >&2

# The outputs must describe what is live. With the release in adopt mode, state differs
# from AWS only if traffic moved outside Terraform: then the refresh-only plan has
# changes (exit 2) and the run stops rather than deploy into what may be the live color.
if ! terraform -chdir="$env_dir" plan -refresh-only -detailed-exitcode -input=false -lock=false >&2; then
  echo "read-release.sh: the Terraform state of $environment differs from AWS (or the plan failed)." >&2
  echo "Review it with 'terraform plan -refresh-only', record it with 'terraform apply -refresh-only', then re-run." >&2
  exit 1
fi
outputs=$(terraform -chdir="$env_dir" output -json)

quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# The exported names, as the buildspec lists them: NAME is the output `name`.
mapfile -t names < <(sed -n '/^ *exported-variables:/,/^ *[a-z-]*:/s/^ *- *\([A-Z0-9_]*\) *$/\1/p' "$buildspec")
for name in "${names[@]}"; do
  if [[ $name == SOURCE_COMMIT ]]; then
    value=${CODEBUILD_RESOLVED_SOURCE_VERSION:-$(git -C "$here" rev-parse HEAD)}
  else
    value=$(jq -er --arg name "${name,,}" \
      'if has($name) then .[$name].value | tostring else error("no output \($name)") end' <<<"$outputs") || {
      echo "read-release.sh: infrastructure/envs/$environment has no output '${name,,}'" >&2
      exit 1
    }
  fi
  echo "export $name=$(quote "$value")"
done

if [[ $(jq -r .environment.value <<<"$outputs") != "$environment" ]]; then
  echo "read-release.sh: envs/$environment reports environment '$(jq -r .environment.value <<<"$outputs")'" >&2
  exit 1
fi
echo "read-release.sh: $environment: $(jq -r .active_color.value <<<"$outputs") is live, this run deploys to $(jq -r .standby_color.value <<<"$outputs")" >&2
