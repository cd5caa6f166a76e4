#!/usr/bin/env bash
# Installs the system tools the tests need when they are missing: redis-server (the Redis tests start their own
# instances on random loopback ports; nothing is left running) and Debian's chromium (the dashboard's browser
# test drives it headless with playwright-core; no browser is ever downloaded).
set -euo pipefail

can_apt() {
  [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1
}

# apt-get install, running `apt-get update` first only when the package is not known yet (or the install failed).
apt_install() {
  if ! apt-cache show "$1" >/dev/null 2>&1 || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  fi
}

if ! command -v redis-server >/dev/null 2>&1; then
  if can_apt; then
    echo "tether tests: installing redis-server (apt-get)…" >&2
    apt_install redis-server
  else
    echo "tether tests: redis-server is not installed; install it (e.g. sudo apt-get install redis-server) for the Redis tests" >&2
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  if can_apt; then
    echo "tether tests: installing chromium (apt-get) for the dashboard's browser test…" >&2
    apt_install chromium
  else
    echo "tether tests: /usr/bin/chromium is missing; install it (e.g. sudo apt-get install chromium) for the dashboard's browser test (it fails when CI=true, is skipped otherwise)" >&2
  fi
fi
