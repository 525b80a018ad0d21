#!/usr/bin/env bash
# Validates the infrastructure files: template.yaml and infra/*.asl.json.
#
#   tests/infra/validate.sh           cfn-lint, asl-validator, moto (parse + run the flows on fake functions),
#                                     checkov (on the template with its Fn::ForEach loops expanded), sam validate
#                                     --lint, sam package of the source folders into a local S3 (moto)
#   tests/infra/validate.sh --build   also `sam build` (cargo-lambda, every function's release binary; slow, see below), then
#                                     sam package of the built template: every function's artifact is its own binary
#   tests/infra/validate.sh --build-only   only `sam build` and that package check
#
# Installs what it needs when missing (tests/setup.sh). Reaches only PyPI and npm. Run from anywhere.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
BUILD=false
VALIDATE=true
for arg in "$@"; do
  case "$arg" in
    --build) BUILD=true ;;
    --build-only) BUILD=true; VALIDATE=false ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

# No AWS account is used: sam validate and sam build get dummy credentials and no metadata lookups.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0 SAM_CLI_CONTAINER_CONNECTION_TIMEOUT=1
unset AWS_PROFILE AWS_SESSION_TOKEN || true

# Tools in .venv/infra (cfn-lint, checkov), .venv/sam (aws-sam-cli), moto in the harness's .venv: see tests/setup.sh.
bash tests/setup.sh all
VENV=$ROOT/.venv/infra
SAM=$ROOT/.venv/sam/bin/sam
MOTO_PYTHON=$ROOT/.venv/bin/python
export SAM INFRA_PYTHON=$VENV/bin/python MOTO_SERVER=$ROOT/.venv/bin/moto_server

if $VALIDATE; then
  step "cfn-lint template.yaml"
  "$VENV/bin/cfn-lint" template.yaml
  echo "cfn-lint: no findings"

  step "asl-validator infra/*.asl.json"
  # The ${...} placeholders sit in FunctionName, Arn and GroupName values, which asl-validator does not check as
  # ARNs; Resource values are real service-integration ARNs. Validate the files as they are.
  for file in infra/*.asl.json; do
    tests/infra/node_modules/.bin/asl-validator --json-path "$file"
    echo
  done

  step "moto parses infra/*.asl.json"
  "$MOTO_PYTHON" tests/infra/moto_parse.py

  step "checkov on template.yaml with its Fn::ForEach loops expanded"
  # checkov does not expand Fn::ForEach: it would not see the functions, routes and rules made by the loops.
  expanded=$(mktemp --suffix=.json)
  "$VENV/bin/python" tests/infra/expand_template.py template.yaml > "$expanded"
  "$VENV/bin/checkov" -f "$expanded" --framework cloudformation --quiet --compact --skip-download
  rm -f "$expanded"

  step "sam validate --lint"
  "$SAM" validate --lint --template-file template.yaml --region us-east-1

  step "sam package (source folders) into a local S3: each function gets its own artifact"
  "$MOTO_PYTHON" tests/infra/package_check.py
fi

if $BUILD; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/infra/requirements-build.txt
  export PATH="$VENV/bin:$PATH"
  # The same build `make deploy` makes (infra/build.sh), for x86_64 here (arm64 is the template's default).
  SAM="$SAM" bash infra/build.sh x86_64

  step "sam package (built template) into a local S3: each function's artifact is its own binary"
  "$MOTO_PYTHON" tests/infra/package_check.py --built
fi

step "infra validation passed"
