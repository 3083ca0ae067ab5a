#!/usr/bin/env bash
# Start/stop every real server the integration tests use, on 127.0.0.1.
# Each service is scripts/services/<name>.sh {start|stop|status|logs}; downloads and builds are
# cached under ${TRACEE_EXPORTER_CACHE:-$HOME/.cache/tracee-exporter} between runs on one machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: all.sh start|stop|status|logs}
services=(${TRACEE_EXPORTER_SERVICES:-elasticsearch opensearch collector kafka})
rc=0
for s in "${services[@]}"; do
  [ -x "$here/$s.sh" ] || { echo "services: no $here/$s.sh" >&2; rc=1; continue; }
  "$here/$s.sh" "$cmd" || rc=$?
done
exit $rc
