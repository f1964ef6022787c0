#!/usr/bin/env bash
# Java for the Spark audit tests (PySpark 4 needs Java 17+). Idempotent: does nothing when a JRE is there.
# .ci/run then installs the `spark` extra (pyspark, pandas) and the tests marked `spark` run.
set -euo pipefail
log() { echo "java.sh: $*" >&2; }

java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

if command -v java >/dev/null 2>&1 && [[ "$(java_major)" -ge 17 ]]; then
  log "java $(java_major) present"
  exit 0
fi
if [[ "$(id -u)" != 0 ]]; then log "need root to install a JRE (apt-get install default-jre-headless)"; exit 1; fi
log "installing default-jre-headless (apt-get)"
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >&2
log "java $(java_major) installed"
