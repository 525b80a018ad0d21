#!/usr/bin/env bash
# One entry point for the local harness: the repo's .venv (created if missing) with tests/requirements.txt, the
# debug binaries (cargo build --bins, once), then pytest -q tests/local. Extra arguments go to pytest.
#   tests/local/run.sh                   everything
#   tests/local/run.sh -k flows          a subset
#   SKIP_BUILD=1 tests/local/run.sh      use the binaries already in target/debug (or LOCALAWS_BIN_DIR)
#   LOCAL_JOBS=2 tests/local/run.sh      two pytest processes side by side (make test does this), see below
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

pytest=(.venv/bin/python -m pytest -q -p no:cacheprovider)
if [[ "${LOCAL_JOBS:-1}" != 2 ]]; then
  step "pytest -q tests/local $*"
  set +e
  "${pytest[@]}" tests/local "$@"
  rc=$?
  set -e
  step "done (pytest exit $rc)"
  exit $rc
fi

# LOCAL_JOBS=2: the same cases in two pytest processes at once, split by file, each with its own LocalAws (its own
# simulator, moto and functions on their own loopback ports, its own logs). The flow tests spend most of their
# time waiting (the lease wait, a function honouring a rate-limit reset, the flows' calls one after another), so
# two of them share 2 cores well (bench/suite_time.py measures a run). The first process runs the files listed
# here (about half the time each, by pytest --durations), the second every other file; one file's tests always run
# in one process, in their usual order.
FIRST=(test_golden.py test_hostile.py test_admission.py test_flow_guards.py test_bulk.py)
first=() second=()
for file in tests/local/test_*.py; do
  if [[ " ${FIRST[*]} " == *" $(basename "$file") "* ]]; then first+=("$file"); else second+=("$file"); fi
done
logs=$(mktemp -d)
step "pytest -q, two processes: [${FIRST[*]}] and the other $(( ${#second[@]} )) files $*"
set +e
"${pytest[@]}" "${first[@]}" "$@" >"$logs/first.log" 2>&1 &
first_pid=$!
"${pytest[@]}" "${second[@]}" "$@" >"$logs/second.log" 2>&1 &
second_pid=$!
wait "$first_pid"; rc_first=$?
wait "$second_pid"; rc_second=$?
set -e
printf '\n----- %s\n' "${FIRST[*]}"; cat "$logs/first.log"
printf '\n----- the other files\n'; cat "$logs/second.log"
rm -rf "$logs"
# pytest's 5 is "no test selected": a -k that selects tests of one half only is not a failure of the other.
rc=0
for code in "$rc_first" "$rc_second"; do
  [[ "$code" == 0 || "$code" == 5 ]] || rc=$code
done
[[ "$rc_first" == 5 && "$rc_second" == 5 ]] && rc=5
step "done (pytest exits $rc_first and $rc_second)"
exit $rc
