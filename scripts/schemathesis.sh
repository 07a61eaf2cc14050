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

if [ -n "${VS_SERVER_BIN:-}" ]; then
  bin="$VS_SERVER_BIN"
  [ -x "$bin" ] || { echo "VS_SERVER_BIN=$bin is not an executable file" >&2; exit 1; }
else
  cargo build -q -p server --bin vs-server
  bin="${CARGO_TARGET_DIR:-$root/target}/debug/vs-server"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
random_b64() { python3 -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())'; }

workdir="$(mktemp -d)"   # no .env here: the run must not pick up a developer's credentials
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$workdir"
}
trap cleanup EXIT

# start_server LOG PORT [VAR=VALUE...]: the server in sandbox mode with extra variables.
start_server() {
  local log="$1" port="$2"; shift 2
  env -i PATH="$PATH" HOME="$HOME" \
    BIND_ADDR="127.0.0.1:$port" \
    REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" \
    REDIS_KEY_PREFIX="contract-$(date +%s)-$$-$port:" \
    TOKEN_ENCRYPTION_KEY="$(random_b64)" \
    WEB_DIST_DIR="$workdir/no-ui" \
    RUST_LOG="${RUST_LOG:-warn}" \
    "$@" \
    bash -c "cd '$workdir' && exec '$bin'" >"$log" 2>&1 &
  pids+=($!)
  local pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then echo "server died; log:" >&2; cat "$log" >&2; return 1; fi
    sleep 0.1
  done
  echo "server on port $port did not become healthy; log:" >&2; cat "$log" >&2; return 1
}

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
