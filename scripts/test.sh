#!/usr/bin/env bash
# Set everything up (package, optional extras, Debian's chromium for the browser tests),
# then run the whole test suite (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium and chromium-driver for the browser tests ..."
    if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }; then
      echo "Could not install chromium/chromium-driver: the browser tests will be skipped." >&2
    fi
  else
    echo "chromium/chromedriver missing and not root: the browser tests will be skipped." >&2
  fi
fi
exec .venv/bin/python -m pytest -q "$@"
