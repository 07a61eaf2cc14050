# Sourced by the scripts that run a suite against the real server (browser-tests.sh,
# schemathesis.sh): the binary, a work dir without a .env, and start_server, which starts the
# server in sandbox mode on a port with a fresh Redis key prefix and a throwaway key and waits
# until it is healthy. Every server started is stopped when the script exits.
#
# Before sourcing, set `root` (the repository) and `server_prefix` (names the Redis keys).
#   VS_SERVER_BIN=/path/to/vs-server   use this binary instead of building target/debug/vs-server
#   HUBSPOT_SANDBOX_SEED=N             the HubSpot sandbox's contract seed (passed through)

if [ -n "${VS_SERVER_BIN:-}" ]; then
  bin="$VS_SERVER_BIN"
  [ -x "$bin" ] || { echo "VS_SERVER_BIN=$bin is not an executable file" >&2; exit 1; }
else
  cargo build -q -p server --bin vs-server
  bin="${CARGO_TARGET_DIR:-$root/target}/debug/vs-server"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
random_b64() { python3 -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())'; }

workdir="$(mktemp -d)"   # no .env here: a suite must not pick up a developer's credentials
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # A graceful stop takes the server's shutdown timeout (5 s) at most; one that takes longer is
  # killed, so a suite never hangs on its own cleanup.
  local waited=0
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 150 ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      echo "server $pid did not stop within 15 s of SIGTERM; killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT

# start_server LOG PORT [VAR=VALUE...]: the server in sandbox mode with extra variables
# (WEB_DIST_DIR and RUST_LOG among them, to override the defaults below).
start_server() {
  local log="$1" port="$2"; shift 2
  env -i PATH="$PATH" HOME="$HOME" \
    BIND_ADDR="127.0.0.1:$port" \
    REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" \
    REDIS_KEY_PREFIX="$server_prefix-$(date +%s)-$$-$port:" \
    TOKEN_ENCRYPTION_KEY="$(random_b64)" \
    WEB_DIST_DIR="$workdir/no-ui" \
    RUST_LOG="${RUST_LOG:-warn}" \
    ${HUBSPOT_SANDBOX_SEED:+HUBSPOT_SANDBOX_SEED="$HUBSPOT_SANDBOX_SEED"} \
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
