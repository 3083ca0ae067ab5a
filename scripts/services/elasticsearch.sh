#!/usr/bin/env bash
# A real Elasticsearch node for the integration tests, on 127.0.0.1 (no Docker).
#
#   scripts/services/elasticsearch.sh start|stop|status|logs
#
# The node is Elastic's "integ-test-zip" distribution from Maven Central
# (org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip): server + transport-netty4 +
# x-pack-core + x-pack-security + apm only, no bundled JDK. What that means for tests: ELASTICSEARCH.md.
#
# Environment (all optional):
#   ES_VERSION          pinned distribution version (default below; 9.x is not on Maven Central, see ELASTICSEARCH.md)
#   ES_HTTP_PORT        HTTP port (default 9200); ES_TRANSPORT_PORT (default 9300)
#   ES_HEAP             JVM heap, -Xms = -Xmx (default 512m)
#   ES_JAVA_HOME        JDK to run it with (default: Temurin 25, else JDK 17 for 8.x)
#   ES_USER             user the node runs as when this script runs as root (default tracee-es; created if missing)
#   ES_START_TIMEOUT    seconds to wait for yellow health (default 120)
#   ES_LOG_LINES        lines printed by `logs` and on failure (default 200)
#   TRACEE_EXPORTER_CACHE  download cache (default $HOME/.cache/tracee-exporter); zip kept in <cache>/elasticsearch/
#   TRACEE_EXPORTER_RUN    run dir (default /tmp/tracee-exporter-services); node in <run>/elasticsearch-<version>/
#
# Every `start` of a stopped node begins with an EMPTY data dir (tests must not depend on earlier runs).
# `start` on a running node only checks its health (idempotent).
# Download, start, wait, stop, status and logs are shared with the other search node: lib/jvm-search-node.sh.
set -euo pipefail

ES_VERSION=${ES_VERSION:-8.19.21}
ES_HTTP_PORT=${ES_HTTP_PORT:-9200}

label=elasticsearch
product=Elasticsearch
version=$ES_VERSION
http_port=$ES_HTTP_PORT
transport_port=${ES_TRANSPORT_PORT:-$((ES_HTTP_PORT + 100))}
heap=${ES_HEAP:-512m}
node_user=${ES_USER:-tracee-es}
start_timeout=${ES_START_TIMEOUT:-120}
log_lines=${ES_LOG_LINES:-200}
default_port=9200
artifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch
home_prop=es.path.home
env_prefix=ES
java_home_override=${ES_JAVA_HOME:-}
java_home_var=ES_JAVA_HOME
case "$ES_VERSION" in
  # Temurin 25 first: 8.19.21 starts in ~21 s on it vs ~29 s on JDK 17 (2 cores), both work.
  8.*) java_candidates="/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64" ;;
  *)   java_candidates="/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64" ;;
esac
extra_settings=(-Expack.security.enabled=false)
download_hint="is $ES_VERSION published? 9.x is not, see scripts/services/ELASTICSEARCH.md"

# shellcheck source=lib/jvm-search-node.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/jvm-search-node.sh"
node_main "$@"
