#!/usr/bin/env bash
# Installs the system tools the tests need (redis-server) when they are missing. Tests start their own
# instances on random loopback ports; nothing is left running.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "tether tests: installing redis-server (apt-get)…" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "tether tests: redis-server is not installed; install it (e.g. sudo apt-get install redis-server) for the Redis tests" >&2
  fi
fi
