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
set -euo pipefail

ES_VERSION=${ES_VERSION:-8.19.21}
ES_HTTP_PORT=${ES_HTTP_PORT:-9200}
ES_TRANSPORT_PORT=${ES_TRANSPORT_PORT:-$((ES_HTTP_PORT + 100))}
ES_HEAP=${ES_HEAP:-512m}
ES_USER=${ES_USER:-tracee-es}
ES_START_TIMEOUT=${ES_START_TIMEOUT:-120}
ES_LOG_LINES=${ES_LOG_LINES:-200}
MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

cache_dir="${TRACEE_EXPORTER_CACHE:-${HOME:-/root}/.cache/tracee-exporter}/elasticsearch"
run_root="${TRACEE_EXPORTER_RUN:-/tmp/tracee-exporter-services}"
name="elasticsearch-$ES_VERSION"
[ "$ES_HTTP_PORT" = 9200 ] || name="$name-$ES_HTTP_PORT"
base="$run_root/$name"          # owned by the node's user
es_home="$base/home"            # unzipped distribution (ES writes its keystore into config/)
data_dir="$base/data"
logs_dir="$base/logs"
pid_file="$base/elasticsearch.pid"
tmp_dir="$base/tmp"             # ES_TMPDIR (else the launcher leaves /tmp/elasticsearch-* behind)
console_log="$base/console.log" # output of the launcher (start-up errors before logging is up)
cluster_name="tracee-exporter-test"
url="http://127.0.0.1:$ES_HTTP_PORT"

say() { echo "elasticsearch[$ES_VERSION:$ES_HTTP_PORT]: $*" >&2; }

pid() { [ -s "$pid_file" ] && cat "$pid_file" || true; }

is_running() {   # our pid file names a live Elasticsearch process (not a recycled pid)
  local p; p=$(pid)
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-Des.path.home=$es_home "
}

healthy() {
  curl -fsS -m 5 "$url/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1
}

show_logs() {
  local f="$logs_dir/$cluster_name.log"
  if [ -s "$console_log" ]; then
    echo "----- $console_log (last 30 lines) -----" >&2
    tail -n 30 "$console_log" >&2
  fi
  if [ -s "$f" ]; then
    echo "----- $f (last $ES_LOG_LINES lines) -----" >&2
    tail -n "$ES_LOG_LINES" "$f" >&2
  fi
  [ -s "$console_log" ] || [ -s "$f" ] || echo "(no logs under $base)" >&2
}

java_home() {
  if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return; fi
  local candidates
  case "$ES_VERSION" in
    # Temurin 25 first: 8.19.21 starts in ~21 s on it vs ~29 s on JDK 17 (2 cores), both work.
    8.*) candidates="/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64" ;;
    *)   candidates="/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64" ;;
  esac
  for j in $candidates; do
    [ -x "$j/bin/java" ] && { echo "$j"; return; }
  done
  say "no suitable JDK found (tried: $candidates); set ES_JAVA_HOME"; exit 1
}

download() {
  local zip="$cache_dir/elasticsearch-$ES_VERSION.zip"
  if [ -s "$zip" ]; then echo "$zip"; return; fi
  mkdir -p "$cache_dir"
  say "downloading org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip from Maven Central"
  local tmp; tmp=$(mktemp -d "$cache_dir/.dl.XXXXXX")
  if ! mvn -B -q -Dstyle.color=never "$MAVEN_DEPENDENCY_PLUGIN:copy" \
      -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
      -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"
    say "download failed (is $ES_VERSION published? 9.x is not, see scripts/services/ELASTICSEARCH.md)"; exit 1
  fi
  rm -f "$tmp.log"
  mv "$tmp/elasticsearch-$ES_VERSION.zip" "$zip"; rm -rf "$tmp"
  echo "$zip"
}

ensure_user() {
  [ "$(id -u)" = 0 ] || return 0   # not root: run the node as ourselves
  id "$ES_USER" >/dev/null 2>&1 && return 0
  say "creating system user $ES_USER (Elasticsearch refuses to run as root)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
}

as_es_user=()   # command prefix that switches to the node's user (root only)
[ "$(id -u)" = 0 ] && as_es_user=(runuser -u "$ES_USER" --)

start() {
  local t0=$SECONDS
  if is_running; then
    if healthy; then say "already running (pid $(pid)) at $url"; return 0; fi
    say "running (pid $(pid)) but not healthy yet; waiting"
  else
    if healthy; then
      say "something else already answers at $url (not started by this script; pid file $pid_file): stop it first"
      exit 1
    fi
    local zip jh; zip=$(download); jh=$(java_home)
    ensure_user
    mkdir -p "$run_root"
    if [ ! -x "$es_home/bin/elasticsearch" ]; then
      rm -rf "$base"; mkdir -p "$base"
      unzip -q "$zip" -d "$base"
      mv "$base/elasticsearch-$ES_VERSION" "$es_home"
    fi
    rm -rf "$data_dir" "$logs_dir" "$tmp_dir" "$pid_file" "$console_log"   # fresh node on every start
    rm -f "$es_home/config/elasticsearch.keystore.tmp"   # left by a killed launcher; blocks the next start
    mkdir -p "$data_dir" "$logs_dir" "$tmp_dir"
    [ "$(id -u)" = 0 ] && chown -R "$ES_USER:" "$base"
    say "starting (java: $jh, heap $ES_HEAP, home $es_home)"
    t0=$SECONDS
    # -d: daemonize; the launcher returns once the node has started (or failed to).
    if ! timeout "$ES_START_TIMEOUT" ${as_es_user[@]+"${as_es_user[@]}"} env ES_JAVA_HOME="$jh" ES_TMPDIR="$tmp_dir" ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" ES_PATH_CONF="$es_home/config" \
        "$es_home/bin/elasticsearch" -d -p "$pid_file" \
        -Ecluster.name="$cluster_name" -Enode.name="$name" \
        -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 \
        -Ehttp.port="$ES_HTTP_PORT" -Etransport.port="$ES_TRANSPORT_PORT" \
        -Epath.data="$data_dir" -Epath.logs="$logs_dir" \
        -Expack.security.enabled=false \
        -Ecluster.routing.allocation.disk.threshold_enabled=false \
        -Eaction.destructive_requires_name=false \
        </dev/null >"$console_log" 2>&1; then
      say "launcher failed or did not return within ${ES_START_TIMEOUT}s"; show_logs
      if is_running; then kill "$(pid)" 2>/dev/null || true; fi
      exit 1
    fi
    say "launcher returned after $((SECONDS - t0)) s (pid $(pid))"
  fi
  local deadline=$((t0 + ES_START_TIMEOUT))   # the whole start, launcher included, within ES_START_TIMEOUT
  until healthy; do
    if ! is_running; then say "node exited during start-up"; show_logs; exit 1; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "not yellow within ${ES_START_TIMEOUT}s"; show_logs; exit 1
    fi
    sleep 1
  done
  say "ready at $url (pid $(pid))"
}

stop() {
  if ! is_running; then say "not running"; rm -f "$pid_file"; return 0; fi
  local p; p=$(pid)
  say "stopping pid $p"
  kill "$p" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do
    kill -0 "$p" 2>/dev/null || { rm -f "$pid_file"; say "stopped"; return 0; }
    sleep 0.5
  done
  say "still alive after 30 s, sending SIGKILL"
  kill -9 "$p" 2>/dev/null || true
  for i in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  rm -f "$pid_file"
}

status() {
  if is_running; then
    if healthy; then say "running (pid $(pid)), healthy, at $url"; return 0; fi
    say "running (pid $(pid)) but not answering yellow health at $url"; return 1
  fi
  say "not running"; return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  logs) show_logs 2>&1 ;;
  *) echo "usage: $0 start|stop|restart|status|logs" >&2; exit 2 ;;
esac
