#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; no `playwright install`, no browser download).
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail
bash "$(dirname "$0")/axe.sh"  # axe-core for the accessibility run, whether or not Chromium is already here
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
