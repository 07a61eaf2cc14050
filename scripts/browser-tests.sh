#!/usr/bin/env bash
# Starts the real server in sandbox mode on a free port (fresh Redis key prefix, throwaway key),
# plus a second one with AUTH_MODE=jwt for the embedding tests, runs the browser suite in
# web/e2e against them, and stops the servers whatever happens.
#
#   VS_SERVER_BIN=/path/to/vs-server   use this binary instead of building target/debug/vs-server
#   E2E_SKIP_JWT=1                      do not start the jwt server (its scenarios are skipped)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${VS_SERVER_BIN:-}" ]; then
  bin="$VS_SERVER_BIN"
  [ -x "$bin" ] || { echo "VS_SERVER_BIN=$bin is not an executable file" >&2; exit 1; }
else
  cargo build -q -p server --bin vs-server
  bin="${CARGO_TARGET_DIR:-$root/target}/debug/vs-server"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
random_b64() { python3 -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())'; }

workdir="$(mktemp -d)"   # no .env here: the suite must not pick up a developer's credentials
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
    REDIS_KEY_PREFIX="browser-$(date +%s)-$$-$port:" \
    TOKEN_ENCRYPTION_KEY="$(random_b64)" \
    WEB_DIST_DIR="$root/web/dist" \
    RUST_LOG="${RUST_LOG:-info}" \
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

port="$(free_port)"
log="$(mktemp -t vs-browser-server.XXXXXX.log)"
start_server "$log" "$port"

jwt_env=()
if [ -z "${E2E_SKIP_JWT:-}" ]; then
  # The jwt server trusts a host page the suite serves from node on another port (another origin).
  jwt_port="$(free_port)"
  host_port="$(free_port)"
  # HS256 key: the server uses the variable's bytes as they are, so 64 hex characters (32 random bytes).
  jwt_secret="$(python3 -c 'import os; print(os.urandom(32).hex())')"
  jwt_log="$(mktemp -t vs-browser-server-jwt.XXXXXX.log)"
  start_server "$jwt_log" "$jwt_port" \
    AUTH_MODE=jwt AUTH_JWT_SECRET="$jwt_secret" EMBED_ORIGINS="http://127.0.0.1:$host_port"
  jwt_env=(E2E_JWT_BASE_URL="http://127.0.0.1:$jwt_port" E2E_JWT_SECRET="$jwt_secret" E2E_HOST_PORT="$host_port")
fi

status=0
env E2E_BASE_URL="http://127.0.0.1:$port" "${jwt_env[@]}" node "$root/web/e2e/run.mjs" || status=$?
if [ $status -ne 0 ]; then
  echo "--- server log ($log) ---" >&2; tail -n 80 "$log" >&2
  if [ -n "${jwt_log:-}" ]; then echo "--- jwt server log ($jwt_log) ---" >&2; tail -n 40 "$jwt_log" >&2; fi
fi
exit $status
