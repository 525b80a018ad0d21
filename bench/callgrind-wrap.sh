#!/usr/bin/env bash
# `bench/instructions.py`'s prefix for a Rust command: runs it under callgrind, the output named by the connection
# form its environment gives (env, secret, oauth, oauth-secret) in the folder $1.
#
# The benchmark kills what it started once it has the answers; callgrind writes its counts only when the program
# exits. So valgrind runs in a session of its own, which the kill does not reach, and the function exits by itself
# when the runtime API it polls is gone.
set -euo pipefail
out=$1
shift
form=env
[[ -n "${OKTA_CLIENT_ID:-}" ]] && form=oauth
[[ -n "${OKTA_SECRET_ID:-}" ]] && form=secret
# The benchmark names its service-app secret okta-lifecycle/bench-oauth.
[[ "${OKTA_SECRET_ID:-}" == *oauth* ]] && form=oauth-secret
setsid valgrind --tool=callgrind --callgrind-out-file="$out/$form.$(basename "$1").%p" "$@" &
wait
