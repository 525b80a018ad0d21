#!/usr/bin/env bash
# Rerunnable benchmark of the 13 release Lambda binaries against a Python equivalent (see bench/README.md).
#
#   bash bench/run.sh                 # build, set up, measure everything (15 cold starts per row, 50 warm calls)
#   bash bench/run.sh --reps 5 --warm 20 --functions get-user,suspend-user
#   BENCH_SKIP_BUILD=1 bash bench/run.sh   # reuse target/release as it is
#
# Writes bench/results.json and bench/results.md, prints the Markdown table. Everything runs on 127.0.0.1; every
# process it starts is killed on exit.
set -euo pipefail

BENCH_STARTED_EPOCH=$(date +%s.%N)
export BENCH_STARTED_EPOCH
BENCH_COMMAND="bash bench/run.sh${*:+ $*}"
export BENCH_COMMAND
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BENCH=$ROOT/bench

log() { printf '[run.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Python 3.12, the Lambda runtime the equivalent would use; any python3 otherwise.
pick_python() {
  if [[ -n "${BENCH_PYTHON:-}" ]]; then echo "$BENCH_PYTHON"; return; fi
  local candidate
  for candidate in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv' >/dev/null 2>&1; then
      echo "$candidate"; return
    fi
  done
  echo "run.sh: no python3 with venv found" >&2; exit 2
}
PY=$(pick_python)

# make_venv DIR REQUIREMENTS...: creates DIR once, reinstalls when the requirements change.
make_venv() {
  local dir=$1; shift
  local stamp="$dir/.bench-requirements"
  local wanted; wanted=$(printf '%s\n' "$@")
  if [[ ! -x "$dir/bin/python" ]]; then
    log "creating $dir with $PY"
    "$PY" -m venv "$dir"
  fi
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    log "installing into $dir: $*"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    printf '%s' "$wanted" >"$stamp"
  fi
}

# The driver's tools: boto3 to create the secret, moto_server to serve it.
make_venv "$BENCH/.venv" 'moto[server]==5.2.5' 'boto3==1.44.8' 'requests==2.34.2'
# What the Lambda Python runtime provides: its runtime interface client and boto3. Nothing else.
make_venv "$BENCH/.venv-lambda-py" 'awslambdaric==4.2.2' 'boto3==1.44.8'

# The Python equivalent's deployment package (its dependencies; bench.py adds handler.py and zips it).
mkdir -p "$BENCH/out"
PKG=$BENCH/out/python-package
REQ=$BENCH/python_equivalent/requirements.txt
if [[ ! -f "$PKG/.bench-requirements" ]] || ! cmp -s "$REQ" "$PKG/.bench-requirements"; then
  log "building the Python package in $PKG"
  rm -rf "$PKG"
  mkdir -p "$PKG"
  "$BENCH/.venv-lambda-py/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile \
    --target "$PKG" -r "$REQ"
  rm -rf "$PKG"/bin "$PKG"/*.dist-info/RECORD
  cp "$REQ" "$PKG/.bench-requirements"
fi

# The release binaries, built once (cargo does nothing when they are up to date). The 13 functions are built
# together with -p, so that their features are unified among themselves only, as in a per-function deployment
# (not with okta-sim's, as `--workspace` would); then okta-sim. --keep-going: a function that fails to build is
# reported by bench.py as missing instead of stopping the benchmark.
FUNCTIONS=(activate-user add-user-to-group assign-app-to-user clear-user-sessions deactivate-user expire-password
  get-user remove-user-from-group reset-password revoke-app-from-user suspend-user unlock-user unsuspend-user)
if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
  log "cargo build --release of the 13 functions and okta-sim (the first build takes several minutes)"
  build_started=$(date +%s)
  packages=()
  for function in "${FUNCTIONS[@]}"; do packages+=(-p "$function"); done
  : >"$BENCH/out/cargo-build.log"
  if ! cargo build --release --bins --keep-going "${packages[@]}" 2>>"$BENCH/out/cargo-build.log"; then
    log "cargo build failed for some functions; see bench/out/cargo-build.log (continuing with those built)"
    grep -E '^error' "$BENCH/out/cargo-build.log" | sort | uniq -c | head -20 >&2 || true
  fi
  # A stale binary from an older build must not be measured as if it were this source's.
  BENCH_BUILD_FAILED=$(grep -oP 'could not compile `\K[^`]+' "$BENCH/out/cargo-build.log" | sort -u | paste -sd, - || true)
  export BENCH_BUILD_FAILED
  # bench/tools: the cold-start floor and the probes (apart: their features must not reach the functions').
  cargo build --release -p bench-tools 2>>"$BENCH/out/cargo-build.log" || log "bench-tools release build failed"
  cargo build --release -p okta-sim 2>>"$BENCH/out/cargo-build.log" || log "okta-sim release build failed"
  log "build step took $(( $(date +%s) - build_started )) s"
fi

# The driver kills every process it starts; this trap only passes a signal on to it.
"$BENCH/.venv/bin/python" "$BENCH/bench.py" "$@" &
driver=$!
trap 'kill -TERM "$driver" 2>/dev/null || true; wait "$driver" 2>/dev/null || true' INT TERM HUP
status=0
wait "$driver" || status=$?
trap - INT TERM HUP
exit "$status"
