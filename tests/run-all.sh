#!/usr/bin/env bash
# The whole test suite, as CI runs it (bash .ci/run calls this). Installs what it needs on a fresh machine that
# has Rust, Python 3 with pip and Node with npm; reaches only crates.io, PyPI and npm. Everything it starts listens
# on 127.0.0.1 and gets dummy AWS credentials.
#
# Order: format, lints, Rust tests, infra validation, then the one release build (`sam build`, through cargo-lambda)
# in the background while the real binaries and flows run (debug builds, no cargo), then the demo.
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

step "the deployable build, in the background: sam build of every function's release binary (niced; its log below)"
# This build checks that `sam build` gives each function its own artifact; nothing it builds is shipped or timed.
# Without the 13 fat-LTO links and the size optimisation of the shipped profile it takes minutes less (on 2 cores
# the release build was the run's second-longest step). `make build` and `make bench` build the shipped profile
# (Cargo.toml, [profile.release]). It runs beside the flow tests, which mostly wait (docs/testing.md, Suite time):
# they need no cargo (SKIP_BUILD=1; the emulator runs with --only-lambda-apis), so nothing waits on cargo's lock.
release_log=$(mktemp)
# Its own process group (setsid), stopped with the run if the run stops early.
trap '[[ -n "${release_pid:-}" ]] && kill -- -"$release_pid" 2>/dev/null; true' EXIT
CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
  setsid nice -n 10 bash tests/infra/validate.sh --build-only >"$release_log" 2>&1 &
release_pid=$!

step "the real binaries under cargo-lambda and the flows in moto (pytest)"
SKIP_BUILD=1 LOCAL_JOBS=2 bash tests/local/run.sh

step "the demo, as a new user runs it (make demo), with its final report checked"
.venv/bin/python tests/local/demo.py --check

step "the deployable build: waiting for it to finish"
release_status=0
wait "$release_pid" || release_status=$?
release_pid=
cat "$release_log"
rm -f "$release_log"
if [[ $release_status != 0 ]]; then
  echo "the deployable build failed (exit $release_status)" >&2
  exit "$release_status"
fi

step "all passed in $(( $(date +%s) - started )) s"
