#!/usr/bin/env bash
# `make dist`: the release artifacts GoReleaser would publish, for the host platform:
#   dist/terraform-provider-bluegreen_VERSION_OS_ARCH.zip   (binary terraform-provider-bluegreen_vVERSION)
#   dist/terraform-provider-bluegreen_VERSION_manifest.json
#   dist/terraform-provider-bluegreen_VERSION_SHA256SUMS    (+ .sig when GPG_FINGERPRINT is set)
# The version comes from one place: [workspace.package] version in Cargo.toml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version=$(awk '/^\[workspace.package\]/ {s=1} s && /^version *=/ {gsub(/[" ]/, "", $0); split($0, a, "="); print a[2]; exit}' Cargo.toml)
[[ -n "$version" ]] || { echo "dist: no version in Cargo.toml" >&2; exit 1; }
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "dist: unsupported OS $(uname -s)" >&2; exit 1 ;; esac
case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) echo "dist: unsupported arch $(uname -m)" >&2; exit 1 ;; esac

cargo build --release --locked -p terraform-provider-bluegreen
name=terraform-provider-bluegreen
out=dist
rm -rf "$out" && mkdir -p "$out"
zip="$out/${name}_${version}_${os}_${arch}.zip"
python3 - "$zip" "${CARGO_TARGET_DIR:-target}/release/$name" "${name}_v${version}" <<'PY'
import sys, zipfile, os
zip_path, binary, member = sys.argv[1:]
info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
info.external_attr = 0o755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(binary, "rb") as f, zipfile.ZipFile(zip_path, "w") as z:
    z.writestr(info, f.read())
PY
cp terraform-registry-manifest.json "$out/${name}_${version}_manifest.json"
(cd "$out" && sha256sum "${name}_${version}_${os}_${arch}.zip" "${name}_${version}_manifest.json" > "${name}_${version}_SHA256SUMS")
if [[ -n "${GPG_FINGERPRINT:-}" ]]; then
  gpg --batch --local-user "$GPG_FINGERPRINT" --output "$out/${name}_${version}_SHA256SUMS.sig" --detach-sign "$out/${name}_${version}_SHA256SUMS"
else
  echo "dist: GPG_FINGERPRINT not set; SHA256SUMS left unsigned (the release pipeline signs it)" >&2
fi
ls -l "$out"
