#!/usr/bin/env bash
# `make bench`: builds with the release profile and prints the provider's start-up,
# schema and size figures (provider/benches/startup.rs). Numbers, not pass/fail.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -srm)"
cargo bench --locked -p terraform-provider-bluegreen --bench startup 2>/dev/null
