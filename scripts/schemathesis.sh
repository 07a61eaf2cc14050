#!/usr/bin/env bash
# Contract tests: Schemathesis (`--checks all`) against the real server in sandbox mode, driven
# only by the OpenAPI document the server serves (/api/openapi.json), once per identity mode:
#   - AUTH_MODE=dev, the caller named by a fixed `X-User-Id` header;
#   - AUTH_MODE=jwt, the caller proven by an HS256 bearer token minted here.
# The user is connected to every sandbox provider first (scripts/sandbox_connect.py), so the
# routes give their real answers. Each run gets its own free port and a fresh Redis key prefix; the servers are stopped whatever
# happens. Fails on any failure (or error) in either mode.
#
#   VS_SERVER_BIN=/path/to/vs-server   use this binary instead of building target/debug/vs-server
#   SCHEMATHESIS_MAX_EXAMPLES=N         examples per operation and phase (default 100)
#   SCHEMATHESIS_SEED=N                 the seed (default fixed, so CI is reproducible)
#   SCHEMATHESIS_VENV=DIR               where the pinned Python tools live (default target/schemathesis-venv)
#   SCHEMATHESIS_MODES="dev jwt"        which modes to run
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# The pinned tools (scripts/requirements-schemathesis.txt), in a venv of their own.
requirements="$root/scripts/requirements-schemathesis.txt"
venv="${SCHEMATHESIS_VENV:-${CARGO_TARGET_DIR:-$root/target}/schemathesis-venv}"
if [ ! -x "$venv/bin/schemathesis" ] || [ "$requirements" -nt "$venv/.installed" ]; then
  echo "Installing the contract-test tools into $venv…"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$venv/.installed"
fi

server_prefix=contract
# shellcheck source=lib/server.sh
source "$root/scripts/lib/server.sh"

# run_schemathesis MODE PORT [schemathesis options...]
run_schemathesis() {
  local mode="$1" port="$2"; shift 2
  echo "=== Schemathesis, AUTH_MODE=$mode ==="
  # From the work dir, so reports and caches land there, not in the repository.
  (cd "$workdir" && SCHEMATHESIS_HOOKS="$root/scripts/schemathesis_hooks.py" \
    "$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
      --checks all \
      --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
      --seed "${SCHEMATHESIS_SEED:-20240607}" \
      --generation-database none \
      --request-timeout 30 \
      --no-color \
      "$@")
}

status=0
for mode in ${SCHEMATHESIS_MODES:-dev jwt}; do
  port="$(free_port)"
  log="$(mktemp -t "vs-contract-$mode.XXXXXX.log")"
  rc=0
  case "$mode" in
    dev)
      start_server "$log" "$port" AUTH_MODE=dev
      python3 "$root/scripts/sandbox_connect.py" "http://127.0.0.1:$port" "X-User-Id: schemathesis"
      # `ignored_auth` is excluded in dev mode only, because it cannot apply there: dev mode
      # trusts whatever well-formed user id it is given (that is its documented contract, and
      # why production refuses it), so the check's "invalid credential" probe
      # (`X-User-Id: SCHEMATHESIS-INVALID-VALUE`) is a valid user. The jwt run keeps the check.
      run_schemathesis dev "$port" -H "X-User-Id: schemathesis" --exclude-checks ignored_auth || rc=$?
      ;;
    jwt)
      # HS256 key: the server uses the variable's bytes as they are (64 hex characters).
      secret="$(python3 -c 'import os; print(os.urandom(32).hex())')"
      start_server "$log" "$port" AUTH_MODE=jwt AUTH_JWT_SECRET="$secret"
      token="$("$venv/bin/python" -c 'import sys, time, jwt
print(jwt.encode({"sub": "schemathesis", "exp": int(time.time()) + 3600}, sys.argv[1], algorithm="HS256"))' "$secret")"
      python3 "$root/scripts/sandbox_connect.py" "http://127.0.0.1:$port" "Authorization: Bearer $token"
      run_schemathesis jwt "$port" -H "Authorization: Bearer $token" || rc=$?
      ;;
    *) echo "unknown mode '$mode' (dev or jwt)" >&2; exit 2 ;;
  esac
  if [ $rc -ne 0 ]; then
    status=1
    echo "--- server log, AUTH_MODE=$mode ($log) ---" >&2; tail -n 60 "$log" >&2
  fi
done
exit $status
