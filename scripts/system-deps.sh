#!/usr/bin/env bash
# System packages the tests need beyond PyPI: Debian's Chromium for the one real-browser test, and CJK fonts so the
# browser renders Chinese (the screenshot artifact is unreadable tofu without them).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! fc-list 2>/dev/null | grep -qi "CJK"; then missing+=(fonts-noto-cjk); fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]} (install them; the browser test is skipped without chromium)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# wait for another apt run (a second checkout's set-up, unattended upgrades) rather than fail on its lock
lock=(-o DPkg::Lock::Timeout=600)
apt-get "${lock[@]}" update -qq >/dev/null
apt-get "${lock[@]}" install -y -qq "${missing[@]}" >/dev/null
