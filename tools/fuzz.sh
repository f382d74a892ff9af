#!/usr/bin/env bash
# `make fuzz`: a bounded libFuzzer run of every target in fuzz/ (cargo-fuzz), starting
# from the seed corpora in fuzz/corpus/. New inputs go to a scratch corpus, so the repo's
# seeds stay small. Any crash (a panic) fails the run and leaves its input in
# fuzz/artifacts/. FUZZ_SECONDS sets the time per target (default 60).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-60}
# cargo-fuzz drives rustc's sanitizer-coverage flags, which stable rustc accepts only
# with RUSTC_BOOTSTRAP; this machine has the stable toolchain only.
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz 0.13.2 (pinned)"
  cargo install cargo-fuzz --locked --version 0.13.2
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd fuzz
cargo fuzz build -s none
failed=0
passed=0
for target in $(cargo fuzz list); do
  mkdir -p "$scratch/$target"
  if cargo fuzz run -s none "$target" "$scratch/$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$scratch/$target.log" 2>&1; then
    runs=$(grep -E '^Done [0-9]+ runs' "$scratch/$target.log" | awk '{print $2}')
    echo "fuzz: $target: ${runs:-?} runs in ${seconds}s, no crash"
    passed=$((passed + 1))
  else
    echo "fuzz: $target: CRASH (input saved under fuzz/artifacts/$target/)"
    grep -E 'panicked|ERROR|SUMMARY' "$scratch/$target.log" | sed -n 1,5p || true
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
