#!/usr/bin/env bash
# The whole test suite, as CI runs it (bash .ci/run calls this). Installs what it needs on a fresh machine that
# has Rust, Python 3 with pip and Node with npm; reaches only crates.io, PyPI and npm. Everything it starts listens
# on 127.0.0.1 and gets dummy AWS credentials.
#
# Order: format, lints, Rust tests, infra validation, real binaries and flows, the demo, then the one release build
# (`sam build`, through cargo-lambda) last, since it is the slowest step and everything before it is on debug builds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL || true
export CARGO_TERM_COLOR=never

step "Python and npm tools (tests/setup.sh)"
bash tests/setup.sh all
export MOTO_SERVER="$PWD/.venv/bin/moto_server"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo build (debug, every crate and test; the first build takes a few minutes)"
cargo build --workspace --all-targets --locked

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests: actions against the simulator, lookups, faults, Secrets Manager on moto, contracts"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

step "infrastructure: cfn-lint, asl-validator, moto's parser and interpreter, checkov, sam validate, sam package"
bash tests/infra/validate.sh

step "the real binaries under cargo-lambda and the flows in moto (pytest)"
SKIP_BUILD=1 bash tests/local/run.sh

step "the demo, as a new user runs it (make demo), with its final report checked"
.venv/bin/python tests/local/demo.py --check

step "the deployable build: sam build of every function's release binary (the one release build of the run)"
bash tests/infra/validate.sh --build-only

step "all passed in $(( $(date +%s) - started )) s"
