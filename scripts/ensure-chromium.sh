#!/usr/bin/env bash
# The browser suite drives Debian's Chromium (Playwright cannot download its own browser here).
set -euo pipefail
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$bin" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "Chromium is missing at $bin: install it ('sudo apt-get install chromium') or set CHROMIUM_PATH." >&2
exit 1
