#!/usr/bin/env bash
# Starts the real server in sandbox mode on a free port (fresh Redis key prefix, throwaway key),
# plus a second one with AUTH_MODE=jwt for the embedding tests, runs the browser suite in
# web/e2e (`npx playwright test`, from web/) against them, and stops the servers whatever happens.
# Arguments go to `playwright test`: `scripts/browser-tests.sh e2e/05-sync.spec.ts -g "Cancel"`.
#
#   VS_SERVER_BIN=/path/to/vs-server   use this binary instead of building target/debug/vs-server
#   E2E_SKIP_JWT=1                      do not start the jwt server (its scenarios are skipped)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
server_prefix=browser
# shellcheck source=lib/server.sh
source "$root/scripts/lib/server.sh"

# The built UI, and info-level logs for the failure report.
# A short index lag: the changes journey waits for a modified contact to be searchable, not for
# the 30 s a production deployment allows (the lookback still catches the sandbox's late index).
ui=(WEB_DIST_DIR="$root/web/dist" RUST_LOG="${RUST_LOG:-info}" INDEX_LAG_SECS=1)
port="$(free_port)"
log="$(mktemp -t vs-browser-server.XXXXXX.log)"
start_server "$log" "$port" "${ui[@]}"

jwt_env=()
if [ -z "${E2E_SKIP_JWT:-}" ]; then
  # The jwt server trusts a host page the suite serves from node on another port (another origin).
  jwt_port="$(free_port)"
  host_port="$(free_port)"
  # HS256 key: the server uses the variable's bytes as they are, so 64 hex characters (32 random bytes).
  jwt_secret="$(python3 -c 'import os; print(os.urandom(32).hex())')"
  jwt_log="$(mktemp -t vs-browser-server-jwt.XXXXXX.log)"
  start_server "$jwt_log" "$jwt_port" "${ui[@]}" \
    AUTH_MODE=jwt AUTH_JWT_SECRET="$jwt_secret" EMBED_ORIGINS="http://127.0.0.1:$host_port"
  jwt_env=(E2E_JWT_BASE_URL="http://127.0.0.1:$jwt_port" E2E_JWT_SECRET="$jwt_secret" E2E_HOST_PORT="$host_port")
fi

status=0
(cd "$root/web" && env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 E2E_BASE_URL="http://127.0.0.1:$port" VS_SERVER_BIN="$bin" "${jwt_env[@]}" \
  npx --no-install playwright test "$@") || status=$?
if [ $status -ne 0 ]; then
  echo "--- server log ($log) ---" >&2; tail -n 80 "$log" >&2
  if [ -n "${jwt_log:-}" ]; then echo "--- jwt server log ($jwt_log) ---" >&2; tail -n 40 "$jwt_log" >&2; fi
fi
exit $status
