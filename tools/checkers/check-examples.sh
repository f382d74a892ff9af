#!/usr/bin/env bash
# Check every example under examples/ with real Terraform, as far as this machine allows.
#
#   tools/checkers/check-examples.sh          (make test-examples; part of make test)
#
# - terraform fmt -check -recursive examples/ (this also parses every .tf file)
# - terraform validate of the bluegreen-only registry examples (examples/provider,
#   examples/resources/..., examples/data-sources/..., examples/actions/...,
#   examples/list-resources/..., with -query for *.tfquery.hcl) against the built provider,
#   through dev_overrides: ${BLUEGREEN_PROVIDER_DIR:-target/debug}
# - terraform init -backend=false + validate of examples/complete's module and envs,
#   and `terraform test` of the module (mocked providers, in memory), which need
#   hashicorp/aws. The Terraform registry is not reachable here, so this
#   needs a local copy of the aws provider in a filesystem mirror
#   (${BLUEGREEN_AWS_PROVIDER_MIRROR:-/opt/tf-plugins}, unpacked layout
#   registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/). Without one these steps are
#   SKIPPED and say so; the structural checks below still run.
# - structural checks that need no provider (tools/checkers/check_examples.py): module variables
#   and outputs wired up in every env, Spinnaker pipeline parameters and release
#   variables named exactly like the module's outputs, CodeBuild accounts of
#   igor-local.yml, one pipeline per environment (qa's and prod's are dev's with their
#   own environment, webhook and registry), the promote job's action declared next to the release (skipped,
#   saying so, while the infrastructure declares no bluegreen_ecs_promote action)
# - the Spinnaker pipelines against the rules read from Spinnaker's source
#   (tools/checkers/check_spinnaker.py; its own test runs in make test-spinnaker)
# - the Spinnaker JSON files parse, igor-local.yml and the CodeBuild buildspecs parse,
#   the shell scripts parse
#
# Terraform is tools/terraform unless TF_ACC_TERRAFORM_PATH names another one.
# Prints one line per check, a summary of what was validated how, and a final
# "N passed, N failed" line (", N skipped" when some were). Exits 1 on any failure.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 2

terraform=${TF_ACC_TERRAFORM_PATH:-$repo/tools/terraform}
provider_dir=${BLUEGREEN_PROVIDER_DIR:-target/debug}
[[ $provider_dir = /* ]] || provider_dir=$repo/$provider_dir
mirror=${BLUEGREEN_AWS_PROVIDER_MIRROR:-/opt/tf-plugins}
python=${BLUEGREEN_PYTHON:-$repo/.venv/bin/python}
[[ -x $python ]] || python=$(command -v python3)

# A clean Terraform environment: our own CLI config, no inherited arguments.
unset TF_CLI_ARGS TF_CLI_ARGS_init TF_CLI_ARGS_validate TF_CLI_ARGS_fmt TF_DATA_DIR TF_WORKSPACE
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0

work=$(mktemp -d "${TMPDIR:-/tmp}/check-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0 failed=0 skipped=0
full=() partial=()

# check NAME COMMAND...: run one check, print ok/FAIL (with its output on failure).
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok    $name"
    passed=$((passed + 1))
    return 0
  fi
  echo "FAIL  $name"
  sed 's/^/        /' <<<"$out"
  failed=$((failed + 1))
  return 1
}

skip() {
  echo "skip  $1 ($2)"
  skipped=$((skipped + 1))
}

os_arch() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case $(uname -m) in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  echo "${os}_${arch}"
}

echo "check-examples: terraform=$terraform"
echo "check-examples: bluegreen provider from $provider_dir"

# --- 1. formatting (and HCL syntax) of everything -------------------------------
check "terraform fmt -check -recursive examples/" \
  env TF_CLI_CONFIG_FILE=/dev/null "$terraform" fmt -check -recursive -diff examples/

# --- 2. CLI configuration: built provider via dev_overrides, aws from a mirror ----
have_provider=false
if [[ -x $provider_dir/terraform-provider-bluegreen ]]; then
  have_provider=true
else
  echo "check-examples: $provider_dir/terraform-provider-bluegreen not found (run cargo build / make build)"
fi

have_aws=false
if compgen -G "$mirror/registry.terraform.io/hashicorp/aws/*/$(os_arch)" >/dev/null; then
  have_aws=true
  aws_versions=$(cd "$mirror/registry.terraform.io/hashicorp/aws" && echo *)
  echo "check-examples: hashicorp/aws $aws_versions from the local mirror $mirror"
  mirror_block="
  filesystem_mirror {
    path    = \"$mirror\"
    include = [\"registry.terraform.io/hashicorp/aws\"]
  }"
else
  echo "check-examples: no hashicorp/aws in $mirror, and the Terraform registry is not reachable from here"
  mirror_block=""
fi

cat >"$work/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "bluegreen-ecs/bluegreen" = "$provider_dir"
  }$mirror_block
}
EOF
export TF_CLI_CONFIG_FILE=$work/cli.tfrc

# Work on a copy: init writes .terraform/ and lock files, which don't belong in examples/.
cp -R examples "$work/examples"

# validate DIR: terraform validate of a copy of examples/DIR (init first if NEEDS_INIT).
validate_dir() {
  local dir=$1 needs_init=$2 copy=$work/examples/$1
  if [[ $needs_init == yes ]]; then
    "$terraform" -chdir="$copy" init -backend=false -input=false -no-color || return 1
  fi
  # -query: also the list blocks of *.tfquery.hcl files (examples/list-resources).
  "$terraform" -chdir="$copy" validate -query -no-color
}

# --- 3. registry examples: bluegreen only, fully validated ----------------------
for dir in provider resources/bluegreen_ecs_release data-sources/bluegreen_ecs_release \
  actions/bluegreen_ecs_promote actions/bluegreen_ecs_rollback list-resources/bluegreen_ecs_release; do
  if ! $have_provider; then
    check "validate examples/$dir" false
    continue
  fi
  # Registry snippets leave required_providers to provider.tf; add it to the copy.
  if ! grep -q required_providers "examples/$dir"/*.tf; then
    cat >"$work/examples/$dir/zz_check_examples_providers.tf" <<'EOF'
terraform {
  required_providers {
    bluegreen = { source = "bluegreen-ecs/bluegreen" }
  }
}
EOF
  fi
  check "terraform validate examples/$dir" validate_dir "$dir" no && full+=("examples/$dir")
done

# --- 4. the complete example: needs hashicorp/aws --------------------------------
complete_dirs=(complete/infrastructure/modules/ecs complete/infrastructure/envs/dev
  complete/infrastructure/envs/qa complete/infrastructure/envs/prod)
for dir in "${complete_dirs[@]}"; do
  if ! $have_provider; then
    check "validate examples/$dir" false
  elif $have_aws; then
    check "terraform init -backend=false + validate examples/$dir" validate_dir "$dir" yes &&
      full+=("examples/$dir")
  else
    skip "terraform validate examples/$dir" "needs hashicorp/aws: no local mirror, no registry"
    partial+=("examples/$dir")
  fi
done

# The module's own tests: plan/apply with mocked providers, in memory (no AWS calls),
# so its expressions, validations and check block are evaluated, not just typed.
module_dir=complete/infrastructure/modules/ecs
if $have_provider && $have_aws; then
  check "terraform test examples/$module_dir (mocked providers)" \
    "$terraform" -chdir="$work/examples/$module_dir" test -no-color
else
  skip "terraform test examples/$module_dir" "needs the bluegreen and hashicorp/aws provider schemas"
fi

# --- 5. structural checks that need no provider ---------------------------------
py() { "$python" tools/checkers/check_examples.py "$@"; }
check "module: every var.NAME is a declared variable" py module
check "envs dev/qa/prod: module arguments, required variables, outputs match modules/ecs" py envs
check "spinnaker: every pipeline parameter names an output of modules/ecs/outputs.tf" py params
check "spinnaker: parameters used; release variables of the read job are Terraform outputs" py pipeline
check "spinnaker: CodeBuild stages name accounts of igor-local.yml" py igor
check "spinnaker: one pipeline per environment, each dev's with its own queue, webhook and registry" py per-env
if grep -rqs 'action "bluegreen_ecs_promote"' examples/complete/infrastructure; then
  check "spinnaker: the promote job's action is declared next to the release" py action
else
  skip "spinnaker: the promote job's action is declared next to the release" \
    "examples/complete/infrastructure declares no bluegreen_ecs_promote action yet"
fi
check "spinnaker: pipelines keep the rules of Spinnaker's source (tools/checkers/check_spinnaker.py)" \
  "$python" tools/checkers/check_spinnaker.py

# --- 6. the other files parse ----------------------------------------------------
for f in examples/complete/spinnaker/pipelines/*.json; do
  check "json parses: $f" "$python" -m json.tool "$f"
done
for f in examples/complete/spinnaker/igor-local.yml examples/complete/spinnaker/codebuild/*.yml; do
  if "$python" -c 'import yaml' 2>/dev/null; then
    check "yaml parses: $f" "$python" -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f"
  else
    skip "yaml parses: $f" "PyYAML not installed"
  fi
done
while IFS= read -r f; do
  check "bash -n $f" bash -n "$f"
done < <(find examples -name '*.sh' | sort)

# --- summary --------------------------------------------------------------------
echo
echo "Fully validated (terraform validate against the providers' schemas; the module also by terraform test):"
if ((${#full[@]})); then printf '  %s\n' "${full[@]}"; else echo "  (none)"; fi
echo "Checked without terraform validate (fmt-check + structural checks only):"
if ((${#partial[@]})); then
  printf '  %s\n' "${partial[@]}"
  echo "  why: they need hashicorp/aws; the Terraform registry is not reachable from this"
  echo "  machine and no local mirror holds it. Set BLUEGREEN_AWS_PROVIDER_MIRROR to a"
  echo "  filesystem mirror with registry.terraform.io/hashicorp/aws to validate them too."
else
  echo "  (none)"
fi
echo "Not Terraform (checked for syntax and cross-references only): examples/complete/spinnaker/,"
echo "  examples/resources/bluegreen_ecs_release/import.sh"
echo

summary="$passed passed, $failed failed"
((skipped)) && summary+=", $skipped skipped"
echo "$summary"
((failed == 0))
