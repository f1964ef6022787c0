#!/usr/bin/env bash
# axe-core (the npm package) for the browser tests' accessibility run: installed into .ci/node, which
# tests/web/a11y.py reads. The tests never download it themselves. Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="$ROOT/.ci/node"
if [ -f "$TARGET/node_modules/axe-core/axe.min.js" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y -q --no-install-recommends npm
fi
mkdir -p "$TARGET"
npm install --silent --no-audit --no-fund --no-save --prefix "$TARGET" axe-core@4.10
test -f "$TARGET/node_modules/axe-core/axe.min.js"
