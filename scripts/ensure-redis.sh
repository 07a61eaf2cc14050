#!/usr/bin/env bash
# Makes sure a Redis answers at $REDIS_URL's host:port (default 127.0.0.1:6379): starts a local,
# non-persistent redis-server if one is installed and none answers. Used by `just run`/`just test`.
set -euo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%:*}"; port="${hostport##*:}"
[ "$host" = "$hostport" ] && port=6379
[ -z "$host" ] && host=127.0.0.1

answers() {
  # PING over bash's /dev/tcp so that redis-cli is not required.
  timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port && printf 'PING\r\n' >&3 && head -c 5 <&3" 2>/dev/null | grep -q PONG
}

if answers; then exit 0; fi
case "$host" in
  127.0.0.1|localhost|::1) ;;
  *) echo "Redis at $host:$port does not answer; start it or point REDIS_URL at one that does." >&2; exit 1 ;;
esac
if ! command -v redis-server >/dev/null 2>&1; then
  echo "No Redis answers on $host:$port and redis-server is not installed: install it (e.g. 'apt-get install redis-server') or set REDIS_URL." >&2
  exit 1
fi
echo "Starting a local redis-server on $host:$port (no persistence)…"
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir /tmp --logfile "/tmp/vs-redis-$port.log" >/dev/null
for _ in $(seq 1 50); do answers && exit 0; sleep 0.1; done
echo "redis-server did not come up on port $port; see /tmp/vs-redis-$port.log" >&2
exit 1
