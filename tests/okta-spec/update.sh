#!/usr/bin/env bash
# Replaces the vendored Okta management spec with a newer one and records which it is.
#   bash tests/okta-spec/update.sh NEW_SPEC.yaml UPSTREAM_COMMIT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
new=${1:?usage: update.sh NEW_SPEC.yaml UPSTREAM_COMMIT}
commit=${2:?usage: update.sh NEW_SPEC.yaml UPSTREAM_COMMIT}
[[ $commit =~ ^[0-9a-f]{40}$ ]] || { echo "update.sh: the commit must be 40 hex digits" >&2; exit 2; }
head -n 1 "$new" | grep -q '^openapi: 3' || { echo "update.sh: $new is not an OpenAPI 3 document" >&2; exit 2; }
# info.version is the first two-space-indented `version:` line of the document (inside `info:`).
version=$(awk '/^info:/ {inside=1; next} inside && /^[^ ]/ {exit} inside && /^  version:/ {print $2; exit}' "$new")
[ -n "$version" ] || { echo "update.sh: no info.version in $new" >&2; exit 2; }
cp "$new" "$here/management-minimal.yaml"
sha=$(sha256sum "$here/management-minimal.yaml" | cut -d' ' -f1)
sed -i -E \
  -e "s/^\| upstream commit \| .*/| upstream commit | \`$commit\` |/" \
  -e "s/^\| info.version \| .*/| info.version | \`$version\` |/" \
  -e "s/^\| sha256 \| .*/| sha256 | \`$sha\` |/" \
  "$here/README.md"
echo "vendored Okta spec $version ($sha) from $commit"
