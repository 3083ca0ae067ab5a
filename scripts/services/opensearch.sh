#!/usr/bin/env bash
# A real OpenSearch node for the integration tests, on 127.0.0.1 (no Docker), beside Elasticsearch (9200).
#
#   scripts/services/opensearch.sh start|stop|status|logs
#
# The node is OpenSearch's "integ-test-zip" distribution from Maven Central
# (org.opensearch.distribution.integ-test-zip:opensearch:<version>:zip): server + transport-netty4 and a few core
# modules only, no bundled JDK, no security plugin (so plain http, no auth). What it lacks: docs/exporters/opensearch.md.
#
# Environment (all optional):
#   OS_VERSION          pinned distribution version (default below)
#   OS_HTTP_PORT        HTTP port (default 9201); OS_TRANSPORT_PORT (default HTTP port + 100)
#   OS_HEAP             JVM heap, -Xms = -Xmx (default 512m)
#   OS_JAVA_HOME        JDK to run it with (default: JDK 17 for 2.x — 2.x installs a SecurityManager, which
#                       JDK 24+ no longer allows; Temurin 25 for 3.x, which needs Java 21+)
#   OS_USER             user the node runs as when this script runs as root (default tracee-os; created if missing)
#   OS_START_TIMEOUT    seconds to wait for yellow health (default 120)
#   OS_LOG_LINES        lines printed by `logs` and on failure (default 200)
#   TRACEE_EXPORTER_CACHE  download cache (default $HOME/.cache/tracee-exporter); zip kept in <cache>/opensearch/
#   TRACEE_EXPORTER_RUN    run dir (default /tmp/tracee-exporter-services); node in <run>/opensearch-<version>/
#
# Every `start` of a stopped node begins with an EMPTY data dir (tests must not depend on earlier runs).
# `start` on a running node only checks its health (idempotent).
set -euo pipefail

OS_VERSION=${OS_VERSION:-2.19.1}
OS_HTTP_PORT=${OS_HTTP_PORT:-9201}

label=opensearch
product=OpenSearch
version=$OS_VERSION
http_port=$OS_HTTP_PORT
transport_port=${OS_TRANSPORT_PORT:-$((OS_HTTP_PORT + 100))}
heap=${OS_HEAP:-512m}
node_user=${OS_USER:-tracee-os}
start_timeout=${OS_START_TIMEOUT:-120}
log_lines=${OS_LOG_LINES:-200}
default_port=9201
artifact=org.opensearch.distribution.integ-test-zip:opensearch
home_prop=opensearch.path.home
env_prefix=OPENSEARCH
java_home_override=${OS_JAVA_HOME:-}
java_home_var=OS_JAVA_HOME
case "$OS_VERSION" in
  # 2.x: Java 11-23 (its SecurityManager is gone in JDK 24+, start-up fails there)
  2.*) java_candidates="/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64" ;;
  *)   java_candidates="/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64" ;;
esac
extra_settings=()
download_hint="is $OS_VERSION published on Maven Central?"

# shellcheck source=lib/jvm-search-node.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/jvm-search-node.sh"
node_main "$@"
