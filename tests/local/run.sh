#!/usr/bin/env bash
# One entry point for the local harness: the repo's .venv (created if missing) with tests/requirements.txt, the
# debug binaries (cargo build --bins, once), then pytest -q tests/local. Extra arguments go to pytest.
#   tests/local/run.sh                   everything
#   tests/local/run.sh -k flows          a subset
#   SKIP_BUILD=1 tests/local/run.sh      use the binaries already in target/debug (or LOCALAWS_BIN_DIR)
# Everything listens on 127.0.0.1 only and uses dummy AWS credentials.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
step() { printf '[run.sh %3ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ENDPOINT_URL || true

step "Python tools (tests/setup.sh harness)"
bash tests/setup.sh harness
export PATH="$PWD/.venv/bin:$PATH"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  step "cargo build --bins (debug; waits for the shared target dir's lock if someone else is building)"
  cargo build --bins --quiet
fi

step "pytest -q tests/local $*"
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider tests/local "$@"
rc=$?
set -e
step "done (pytest exit $rc)"
exit $rc
