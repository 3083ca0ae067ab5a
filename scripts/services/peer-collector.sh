#!/usr/bin/env bash
# The bench peer: the OpenTelemetry Collector contrib pipeline users would run instead of
# tracee-exporter (file_log + json_parser + transform (OTTL renames) + batch + otlp_http).
#
#   peer-collector.sh build      build (if not cached) and print the binary path
#
# Built from our own Go module test/peer-collector/ by collector.sh's generic `build` (same
# cache, ${TRACEE_EXPORTER_CACHE:-$HOME/.cache/tracee-exporter}/otelcol/<hash>/otelcol-test,
# <hash> over go.mod, go.sum and *.go). Cold build: several minutes on 2 cores.
# Used by `npm run bench -- --peer`; not a service (the bench starts and stops it per run).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case ${1:-build} in
  build) exec bash "$here/collector.sh" build peer-collector ;;
  *) echo "usage: $0 build" >&2; exit 2 ;;
esac
