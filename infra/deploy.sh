#!/usr/bin/env bash
# make deploy: checks what deploying needs, asks what has no safe default, builds, and deploys with samconfig.toml.
#
#   make deploy                                   interactive: asks for the three values below when not set
#   OKTA_SECRET_ARN=... ALARM_EMAIL=... PROTECTED_GROUPS=... make deploy     the same, unattended
#   DEPLOY_CHECK_ONLY=1 make deploy               only the prerequisite check
#
# Settings (environment): STACK_NAME (default okta-lifecycle), ARCHITECTURE (arm64 | x86_64, default arm64),
# AWS_REGION or AWS_DEFAULT_REGION, and the three values with no safe default:
#   OKTA_SECRET_ARN    the Secrets Manager secret holding the Okta connection; empty: the stack creates a
#                      placeholder you fill with `aws secretsmanager put-secret-value` after the deploy
#   ALARM_EMAIL        who gets the alarms (confirm the e-mail SNS sends); empty: alarms only in CloudWatch
#   PROTECTED_GROUPS   Okta groups (ids or exact names, comma-separated) no function may ever change: break-glass,
#                      service accounts, executives
# Every other parameter keeps template.yaml's default; pass more with DEPLOY_PARAMETERS="Name=value Name=value".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SAM_MIN=1.160.0
problems=()

# version_at_least HAVE WANT: whether dotted version HAVE >= WANT.
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

SAM=${SAM:-}
if [ -z "$SAM" ]; then
  if command -v sam >/dev/null 2>&1; then SAM=sam
  elif [ -x .venv/sam/bin/sam ]; then SAM=$PWD/.venv/sam/bin/sam
  fi
fi
if [ -z "$SAM" ]; then
  problems+=("AWS SAM CLI is missing: install it with 'pip install \"aws-sam-cli>=$SAM_MIN\"' (or run 'bash tests/setup.sh infra', which puts it in .venv/sam)")
else
  sam_version=$("$SAM" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true)
  if [ -z "$sam_version" ] || ! version_at_least "$sam_version" "$SAM_MIN"; then
    problems+=("AWS SAM CLI ${sam_version:-of unknown version} is too old: the template's Fn::ForEach needs $SAM_MIN or later ('pip install --upgrade \"aws-sam-cli>=$SAM_MIN\"')")
  fi
fi
if ! command -v cargo-lambda >/dev/null 2>&1; then
  problems+=("cargo-lambda is missing: install it with 'pip install cargo-lambda' (it builds the Lambda binaries)")
fi
if ! command -v zig >/dev/null 2>&1 && ! command -v python-zig >/dev/null 2>&1 \
  && ! python3 -m ziglang version >/dev/null 2>&1; then
  problems+=("zig is missing: cargo-lambda cross-compiles with it; 'pip install ziglang' (pip's cargo-lambda usually brings it)")
fi
if ! command -v cargo >/dev/null 2>&1; then
  problems+=("cargo is missing: install the Rust toolchain (rustup)")
fi
if [ -z "${AWS_REGION:-${AWS_DEFAULT_REGION:-}}" ]; then
  problems+=("no AWS region: set AWS_REGION (the region to deploy to)")
fi

if [ ${#problems[@]} -gt 0 ]; then
  echo "make deploy: not ready to deploy:" >&2
  for problem in "${problems[@]}"; do echo "  - $problem" >&2; done
  exit 1
fi
echo "make deploy: prerequisites OK (SAM CLI $sam_version, cargo-lambda, zig, cargo, region ${AWS_REGION:-$AWS_DEFAULT_REGION})"
[ -n "${DEPLOY_CHECK_ONLY:-}" ] && exit 0

# ask NAME QUESTION: the variable's value, asked on a terminal when it is unset; an empty answer leaves it unset
# (a new stack takes the default, an existing one keeps its value).
ask() {
  local name=$1 question=$2 answer
  if [ -z "${!name+set}" ] && [ -t 0 ]; then
    read -r -p "$question (Enter: keep the stack's value, or the default): " answer
    [ -n "$answer" ] && printf -v "$name" '%s' "$answer"
  fi
  return 0
}
ask OKTA_SECRET_ARN "Okta connection secret ARN (default: the stack creates one for you to fill)"
ask ALARM_EMAIL "E-mail address for the alarms (default: none)"
ask PROTECTED_GROUPS "Okta groups no function may ever change, comma-separated (break-glass, service accounts)"
if [ -n "${PROTECTED_GROUPS+set}" ] && [ -z "$PROTECTED_GROUPS" ]; then
  echo "make deploy: warning: no protected groups; admins and the token's own user are still protected" >&2
fi

ARCHITECTURE=${ARCHITECTURE:-arm64}
SAM="$SAM" bash infra/build.sh "$ARCHITECTURE"

# A value left unset is not passed: a new stack takes the template's default, an existing one keeps what it has
# (an upgrade run unattended must not clear the protected groups). Set to empty, it is passed empty.
overrides=("Architecture=$ARCHITECTURE")
[ -n "${OKTA_SECRET_ARN+set}" ] && overrides+=("OktaSecretArn=${OKTA_SECRET_ARN}")
[ -n "${ALARM_EMAIL+set}" ] && overrides+=("AlarmEmail=${ALARM_EMAIL}")
[ -n "${PROTECTED_GROUPS+set}" ] && overrides+=("ProtectedGroups=${PROTECTED_GROUPS}")
# shellcheck disable=SC2206 # DEPLOY_PARAMETERS is a space-separated list of Name=value by design.
overrides+=(${DEPLOY_PARAMETERS:-})
"$SAM" deploy --config-file samconfig.toml --stack-name "${STACK_NAME:-okta-lifecycle}" \
  --parameter-overrides "${overrides[@]}"
