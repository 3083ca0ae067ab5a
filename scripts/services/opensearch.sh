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
OS_TRANSPORT_PORT=${OS_TRANSPORT_PORT:-$((OS_HTTP_PORT + 100))}
OS_HEAP=${OS_HEAP:-512m}
OS_USER=${OS_USER:-tracee-os}
OS_START_TIMEOUT=${OS_START_TIMEOUT:-120}
OS_LOG_LINES=${OS_LOG_LINES:-200}
MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

cache_dir="${TRACEE_EXPORTER_CACHE:-${HOME:-/root}/.cache/tracee-exporter}/opensearch"
run_root="${TRACEE_EXPORTER_RUN:-/tmp/tracee-exporter-services}"
name="opensearch-$OS_VERSION"
[ "$OS_HTTP_PORT" = 9201 ] || name="$name-$OS_HTTP_PORT"
base="$run_root/$name"          # owned by the node's user
os_home="$base/home"            # unzipped distribution (OpenSearch writes its keystore into config/)
data_dir="$base/data"
logs_dir="$base/logs"
pid_file="$base/opensearch.pid"
tmp_dir="$base/tmp"             # OPENSEARCH_TMPDIR (else the launcher leaves /tmp/opensearch-* behind)
console_log="$base/console.log" # output of the launcher (start-up errors before logging is up)
cluster_name="tracee-exporter-test"
url="http://127.0.0.1:$OS_HTTP_PORT"

say() { echo "opensearch[$OS_VERSION:$OS_HTTP_PORT]: $*" >&2; }

pid() { [ -s "$pid_file" ] && cat "$pid_file" || true; }

is_running() {   # our pid file names a live OpenSearch process (not a recycled pid)
  local p; p=$(pid)
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-Dopensearch.path.home=$os_home "
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
    echo "----- $f (last $OS_LOG_LINES lines) -----" >&2
    tail -n "$OS_LOG_LINES" "$f" >&2
  fi
  [ -s "$console_log" ] || [ -s "$f" ] || echo "(no logs under $base)" >&2
}

java_home() {
  if [ -n "${OS_JAVA_HOME:-}" ]; then echo "$OS_JAVA_HOME"; return; fi
  local candidates
  case "$OS_VERSION" in
    # 2.x: Java 11-23 (its SecurityManager is gone in JDK 24+, start-up fails there)
    2.*) candidates="/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64" ;;
    *)   candidates="/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64" ;;
  esac
  for j in $candidates; do
    [ -x "$j/bin/java" ] && { echo "$j"; return; }
  done
  say "no suitable JDK found (tried: $candidates); set OS_JAVA_HOME"; exit 1
}

download() {
  local zip="$cache_dir/opensearch-$OS_VERSION.zip"
  if [ -s "$zip" ]; then echo "$zip"; return; fi
  mkdir -p "$cache_dir"
  say "downloading org.opensearch.distribution.integ-test-zip:opensearch:$OS_VERSION:zip from Maven Central"
  local tmp; tmp=$(mktemp -d "$cache_dir/.dl.XXXXXX")
  if ! mvn -B -q -Dstyle.color=never "$MAVEN_DEPENDENCY_PLUGIN:copy" \
      -Dartifact="org.opensearch.distribution.integ-test-zip:opensearch:$OS_VERSION:zip" \
      -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"
    say "download failed (is $OS_VERSION published on Maven Central?)"; exit 1
  fi
  rm -f "$tmp.log"
  mv "$tmp/opensearch-$OS_VERSION.zip" "$zip"; rm -rf "$tmp"
  echo "$zip"
}

ensure_user() {
  [ "$(id -u)" = 0 ] || return 0   # not root: run the node as ourselves
  id "$OS_USER" >/dev/null 2>&1 && return 0
  say "creating system user $OS_USER (OpenSearch refuses to run as root)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$OS_USER"
}

as_os_user=()   # command prefix that switches to the node's user (root only)
[ "$(id -u)" = 0 ] && as_os_user=(runuser -u "$OS_USER" --)

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
    if [ ! -x "$os_home/bin/opensearch" ]; then
      rm -rf "$base"; mkdir -p "$base"
      unzip -q "$zip" -d "$base"
      mv "$base/opensearch-$OS_VERSION" "$os_home"
    fi
    rm -rf "$data_dir" "$logs_dir" "$tmp_dir" "$pid_file" "$console_log"   # fresh node on every start
    rm -f "$os_home/config/opensearch.keystore.tmp"   # left by a killed launcher; blocks the next start
    mkdir -p "$data_dir" "$logs_dir" "$tmp_dir"
    [ "$(id -u)" = 0 ] && chown -R "$OS_USER:" "$base"
    say "starting (java: $jh, heap $OS_HEAP, home $os_home)"
    t0=$SECONDS
    # -d: daemonize; the launcher returns once the node has started (or failed to).
    if ! timeout "$OS_START_TIMEOUT" ${as_os_user[@]+"${as_os_user[@]}"} env OPENSEARCH_JAVA_HOME="$jh" OPENSEARCH_TMPDIR="$tmp_dir" OPENSEARCH_JAVA_OPTS="-Xms$OS_HEAP -Xmx$OS_HEAP" OPENSEARCH_PATH_CONF="$os_home/config" \
        "$os_home/bin/opensearch" -d -p "$pid_file" \
        -Ecluster.name="$cluster_name" -Enode.name="$name" \
        -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 \
        -Ehttp.port="$OS_HTTP_PORT" -Etransport.port="$OS_TRANSPORT_PORT" \
        -Epath.data="$data_dir" -Epath.logs="$logs_dir" \
        -Ecluster.routing.allocation.disk.threshold_enabled=false \
        -Eaction.destructive_requires_name=false \
        </dev/null >"$console_log" 2>&1; then
      say "launcher failed or did not return within ${OS_START_TIMEOUT}s"; show_logs
      if is_running; then kill "$(pid)" 2>/dev/null || true; fi
      exit 1
    fi
    say "launcher returned after $((SECONDS - t0)) s (pid $(pid))"
  fi
  local deadline=$((t0 + OS_START_TIMEOUT))   # the whole start, launcher included, within OS_START_TIMEOUT
  until healthy; do
    # OpenSearch's -d launcher may return before the node has written its pid file: no pid yet = still starting
    if [ -s "$pid_file" ] && ! is_running; then say "node exited during start-up"; show_logs; exit 1; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "not yellow within ${OS_START_TIMEOUT}s"; show_logs; exit 1
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
