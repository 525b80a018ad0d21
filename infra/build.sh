#!/usr/bin/env bash
# The deployable build: the release binaries (one per function) through cargo-lambda, then `sam build` of template.yaml.
#
#   infra/build.sh [arm64|x86_64]     (default: arm64, the template's default Architecture)
#
# Needs SAM CLI ($SAM, else `sam` on PATH) and cargo-lambda on PATH; `make deploy` checks both first
# (infra/deploy.sh), CI's `tests/infra/validate.sh --build` installs them into .venv/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
ARCH=${1:-arm64}
SAM=${SAM:-sam}
case "$ARCH" in
  arm64) cargo_arch=--arm64 ;;
  x86_64) cargo_arch=--x86-64 ;;
  *) echo "infra/build.sh: the architecture is arm64 or x86_64, not '$ARCH'" >&2; exit 2 ;;
esac

# SAM builds one function at a time (cargo lambda build --release in each CodeUri), each a full LTO link. Built
# first in one cargo-lambda run with the same flags, the links share the cores, and SAM then finds every
# binary up to date and only copies it.
packages=()
for dir in functions/*/; do packages+=(-p "$(basename "$dir")"); done
printf '\n==> cargo lambda build --release %s (every function; the first release build takes several minutes)\n' "$cargo_arch"
start=$(date +%s)
cargo-lambda lambda build --release "$cargo_arch" "${packages[@]}"
echo "cargo lambda build took $(( $(date +%s) - start )) s"

printf '\n==> sam build (%s)\n' "$ARCH"
start=$(date +%s)
# SAM sets CARGO_TARGET_DIR=target (a target folder per function: 13 builds of every dependency) unless it is
# set, and copies the binary from <CodeUri>/target/lambda. So: the workspace's target folder, and a link to it
# in each function folder for the copy, removed afterwards.
trap 'rm -f functions/*/target' EXIT
rm -rf functions/*/target
target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
for dir in functions/*/; do ln -s "$target_dir" "${dir}target"; done
CARGO_TARGET_DIR="$target_dir" "$SAM" build --beta-features --language-extensions \
  --template-file template.yaml --parameter-overrides "Architecture=$ARCH" --build-dir .aws-sam/build
echo "sam build took $(( $(date +%s) - start )) s"
for dir in .aws-sam/build/*Function; do
  [ -x "$dir/bootstrap" ] || { echo "missing $dir/bootstrap" >&2; exit 1; }
done
echo "sam build: $(ls -d .aws-sam/build/*Function | wc -l) functions built"
