#!/usr/bin/env bash
# A real Helm for the chart in charts/tracee-exporter, built from its Go module (no Helm package in
# Debian bookworm; the Go module proxy serves helm.sh/helm/v4) and cached under
#   ${TRACEE_EXPORTER_CACHE:-$HOME/.cache/tracee-exporter}/helm/<version>/helm
#
#   scripts/helm.sh path            build (if not cached) and print the helm binary's path
#   scripts/helm.sh check           helm lint + helm template of the chart with its defaults and
#                                   every charts/tracee-exporter/ci/*-values.yaml (CI calls this;
#                                   the chart tests under test/deploy validate what it renders)
#   scripts/helm.sh -- ARGS...      run helm ARGS
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${HELM_VERSION:-v4.3.2}
dir=${TRACEE_EXPORTER_CACHE:-$HOME/.cache/tracee-exporter}/helm/$version
bin=$dir/helm
chart=$root/charts/tracee-exporter
say() { echo "helm: $*" >&2; }

build() {
  [ -x "$bin" ] && return 0
  command -v go >/dev/null || { say "go is not installed (needs Go >= 1.25)"; return 1; }
  say "building helm $version from helm.sh/helm/v4 (a few minutes, once)"
  mkdir -p "$dir"
  local tmp; tmp=$(mktemp -d "$dir/.build.XXXXXX")
  # version stamp as Helm's Makefile sets it, so `helm version` names the release
  (cd "$tmp" && GOFLAGS=-mod=mod GOBIN="$tmp" CGO_ENABLED=0 \
     go install -ldflags "-X helm.sh/helm/v4/internal/version.version=$version" "helm.sh/helm/v4/cmd/helm@$version")
  mv "$tmp/helm" "$bin"; rm -rf "$tmp"
}

case "${1:-}" in
  path) build; echo "$bin";;
  check)
    build
    "$bin" lint --strict "$chart"
    for v in "$chart"/ci/*-values.yaml; do "$bin" lint --strict "$chart" -f "$v"; done
    "$bin" template t "$chart" >/dev/null
    for v in "$chart"/ci/*-values.yaml; do
      n=$("$bin" template t "$chart" -n tracee-system -f "$v" | grep -c '^kind:')
      say "$(basename "$v"): $n objects"
    done;;
  --) shift; build; exec "$bin" "$@";;
  *) echo "usage: $0 path | check | -- HELM-ARGS" >&2; exit 2;;
esac
