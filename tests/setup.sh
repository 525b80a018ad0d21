#!/usr/bin/env bash
# Installs what the tests and the demo need beyond Rust, once: Python virtualenvs and asl-validator.
#   tests/setup.sh harness   .venv/        moto[server], boto3, pytest, cargo-lambda   (tests/requirements.txt)
#   tests/setup.sh infra     .venv/infra/  cfn-lint, checkov                         (tests/infra/requirements.txt)
#                            .venv/sam/    aws-sam-cli                               (tests/infra/requirements-sam.txt)
#                            tests/infra/node_modules: asl-validator                   (npm ci)
#   tests/setup.sh all       all of them
# Three virtualenvs because aws-sam-cli, checkov and moto's server pin different versions of the same libraries
# (boto3 among them).
# Only PyPI and npm are reached. Installs are skipped when the pinned versions are already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}

say() { printf '==> %s\n' "$*" >&2; }

# ensure_venv DIR REQUIREMENTS: creates DIR and installs REQUIREMENTS unless the same file was installed last time.
ensure_venv() {
  local venv=$1 requirements=$2 stamp
  stamp="$venv/.installed-$(basename "$requirements")"
  if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  fi
  if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
    say "installing $requirements into $venv (a few minutes the first time)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
    cp "$requirements" "$stamp"
  fi
}

what=${1:-all}
case "$what" in
  harness|all) ensure_venv .venv tests/requirements.txt ;;&
  infra|all)
    ensure_venv .venv/infra tests/infra/requirements.txt
    ensure_venv .venv/sam tests/infra/requirements-sam.txt
    if [ ! -x tests/infra/node_modules/.bin/asl-validator ]; then
      say "installing asl-validator (npm ci)"
      npm ci --prefix tests/infra --no-audit --no-fund --loglevel=error >&2
    fi
    ;;
  harness) ;;
  *) echo "usage: tests/setup.sh [harness|infra|all]" >&2; exit 2 ;;
esac
