#!/usr/bin/env bash
# `make bench`: release build, then (1) the provider's start-up, schema and size figures
# (provider/benches/startup.rs) and (2) plans of 1/50/200 releases against Terraform's
# own floor and the promotion gate's requests per poll in a 500-service cluster
# (tools/bench/bench_scale.py). Writes docs/performance.md. Numbers, not pass/fail.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -srm)"
startup=$(mktemp)
trap 'rm -f "$startup"' EXIT
cargo bench --locked -p terraform-provider-bluegreen --bench startup 2>/dev/null | grep '^|' | tee "$startup"
cargo build --release --locked -p terraform-provider-bluegreen 2>/dev/null
cargo build --release --locked -p tfplugin --example terraform-provider-echo 2>/dev/null
.venv/bin/python tools/bench/bench_scale.py --provider-dir target/release --echo-dir target/release/examples --startup "$startup"
