#!/usr/bin/env bash
# System packages the tests need beyond PyPI: Debian's Chromium for the one real-browser test.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: chromium is missing; install Debian's 'chromium' package (the browser test is skipped without it)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq chromium >/dev/null
