#!/usr/bin/env bash
# `make doctor` and `make invoke` without a connection in the environment: the example against the simulator serving
# the sample org (tests/okta-sim/sample-org.json), through the sample's DPoP service app and its test key
# (tests/okta-sim/keys), as `make demo` plays Okta. Loopback only; the simulator is stopped on exit.
#
#   tests/local/sample-org.sh doctor [--json]
#   tests/local/sample-org.sh invoke FUNCTION EVENT_FILE
set -euo pipefail
cd "$(dirname "$0")/../.."
example=${1:?usage: tests/local/sample-org.sh doctor|invoke ARGS...}
shift
case "$example" in
  doctor|invoke) ;;
  *) echo "tests/local/sample-org.sh: the example is doctor or invoke, not '$example'" >&2; exit 2 ;;
esac

echo "==> no OKTA_SECRET_ID or OKTA_ORG_URL set: the simulator's sample org (set them for your own org)" >&2
cargo build --quiet -p okta-sim --bin okta-sim -p okta-lifecycle --example "$example"
target_dir="${CARGO_TARGET_DIR:-target}"
log="$(mktemp)"
OKTA_SIM_TOKEN="sample-org-$RANDOM$RANDOM" "$target_dir/debug/okta-sim" \
  --listen 127.0.0.1:0 --seed tests/okta-sim/sample-org.json >"$log" &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  url="$(sed -n 's/^okta-sim listening on //p' "$log")"
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "${url:-}" ] || { echo "the simulator did not start" >&2; exit 1; }

# The sample org's guardrail settings, as the demo deploys them.
env -u OKTA_API_TOKEN -u OKTA_SECRET_ID \
  OKTA_ORG_URL="$url" OKTA_CLIENT_ID=0oasimlifecycledpop1 OKTA_KEY_ID=sim-ec-1 \
  OKTA_PRIVATE_KEY="$(cat tests/okta-sim/keys/service-app-ec.pem)" \
  OKTA_PROTECTED_GROUPS="${OKTA_PROTECTED_GROUPS-Break Glass}" \
  AWS_EC2_METADATA_DISABLED=true \
  "$target_dir/debug/examples/$example" "$@"
