#!/usr/bin/env bash
# Starts the real server in sandbox mode on a free port (fresh Redis key prefix, throwaway key),
# runs the Playwright suite in web/e2e against it, and stops the server whatever happens.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build -q -p server --bin vs-server
bin="$root/target/debug/vs-server"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp -t vs-browser-server.XXXXXX.log)"
workdir="$(mktemp -d)"   # no .env here: the suite must not pick up a developer's credentials

env -i PATH="$PATH" HOME="$HOME" \
  BIND_ADDR="127.0.0.1:$port" \
  REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" \
  REDIS_KEY_PREFIX="browser-$(date +%s)-$$:" \
  TOKEN_ENCRYPTION_KEY="$(python3 -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())')" \
  WEB_DIST_DIR="$root/web/dist" \
  RUST_LOG="${RUST_LOG:-info}" \
  bash -c "cd '$workdir' && exec '$bin'" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$workdir"' EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  if ! kill -0 $server 2>/dev/null; then echo "server died; log:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.1
done

status=0
E2E_BASE_URL="http://127.0.0.1:$port" node "$root/web/e2e/run.mjs" || status=$?
if [ $status -ne 0 ]; then echo "--- server log ($log) ---" >&2; tail -n 80 "$log" >&2; fi
exit $status
