# Shared by scripts/services/elasticsearch.sh and opensearch.sh: one single-node search server (an
# "integ-test-zip" distribution from Maven Central, no bundled JDK) on 127.0.0.1: download and cache, start
# (daemonized, EMPTY data dir on every start), wait for yellow health, stop, status, logs. Sourced, not run.
#
# The caller sets, then calls `node_main "$@"`:
#   label          name in messages (elasticsearch | opensearch)
#   version        distribution version
#   http_port      HTTP port; transport_port
#   heap           JVM heap (-Xms = -Xmx)
#   node_user      user the node runs as when this script runs as root (created if missing)
#   start_timeout  seconds for the whole start, launcher included
#   log_lines      lines printed by `logs` and on failure
#   default_port   the standard port (the run dir of any other port gets the port in its name)
#   artifact       Maven coordinates without the version, e.g. org.opensearch.distribution.integ-test-zip:opensearch
#   product        product name in messages (Elasticsearch | OpenSearch)
#   home_prop      the JVM property naming the home dir in the node's command line (es.path.home | opensearch.path.home)
#   env_prefix     the launcher's environment prefix (ES | OPENSEARCH: <prefix>_JAVA_HOME, _TMPDIR, _JAVA_OPTS, _PATH_CONF)
#   java_candidates  JDK dirs to try, in order; java_home_override (the user's choice) wins; java_home_var names it
#   extra_settings   array of extra -E settings
#   download_hint  said when the download fails
# Environment: TRACEE_EXPORTER_CACHE (download cache, default $HOME/.cache/tracee-exporter; zips in <cache>/<label>/),
#              TRACEE_EXPORTER_RUN (run dir, default /tmp/tracee-exporter-services; node in <run>/<label>-<version>[-<port>]/).

MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

node_init() {
  cache_dir="${TRACEE_EXPORTER_CACHE:-${HOME:-/root}/.cache/tracee-exporter}/$label"
  run_root="${TRACEE_EXPORTER_RUN:-/tmp/tracee-exporter-services}"
  name="$label-$version"
  [ "$http_port" = "$default_port" ] || name="$name-$http_port"
  base="$run_root/$name"          # owned by the node's user
  node_home="$base/home"          # unzipped distribution (the node writes its keystore into config/)
  data_dir="$base/data"
  logs_dir="$base/logs"
  pid_file="$base/$label.pid"
  tmp_dir="$base/tmp"             # <prefix>_TMPDIR (else the launcher leaves /tmp/<label>-* behind)
  console_log="$base/console.log" # output of the launcher (start-up errors before logging is up)
  cluster_name="tracee-exporter-test"
  url="http://127.0.0.1:$http_port"
  as_node_user=()                 # command prefix that switches to the node's user (root only)
  [ "$(id -u)" = 0 ] && as_node_user=(runuser -u "$node_user" --)
  return 0
}

say() { echo "$label[$version:$http_port]: $*" >&2; }

pid() { [ -s "$pid_file" ] && cat "$pid_file" || true; }

is_running() {   # our pid file names a live node of this home (not a recycled pid)
  local p; p=$(pid)
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-D$home_prop=$node_home "
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
    echo "----- $f (last $log_lines lines) -----" >&2
    tail -n "$log_lines" "$f" >&2
  fi
  [ -s "$console_log" ] || [ -s "$f" ] || echo "(no logs under $base)" >&2
}

java_home() {
  if [ -n "${java_home_override:-}" ]; then echo "$java_home_override"; return; fi
  local j
  for j in $java_candidates; do
    [ -x "$j/bin/java" ] && { echo "$j"; return; }
  done
  say "no suitable JDK found (tried: $java_candidates); set $java_home_var"; exit 1
}

download() {
  local zip="$cache_dir/$label-$version.zip"
  if [ -s "$zip" ]; then echo "$zip"; return; fi
  mkdir -p "$cache_dir"
  say "downloading $artifact:$version:zip from Maven Central"
  local tmp; tmp=$(mktemp -d "$cache_dir/.dl.XXXXXX")
  if ! mvn -B -q -Dstyle.color=never "$MAVEN_DEPENDENCY_PLUGIN:copy" \
      -Dartifact="$artifact:$version:zip" -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"
    say "download failed ($download_hint)"; exit 1
  fi
  rm -f "$tmp.log"
  mv "$tmp/$label-$version.zip" "$zip"; rm -rf "$tmp"
  echo "$zip"
}

ensure_user() {
  [ "$(id -u)" = 0 ] || return 0   # not root: run the node as ourselves
  id "$node_user" >/dev/null 2>&1 && return 0
  say "creating system user $node_user ($product refuses to run as root)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$node_user"
}

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
    if [ ! -x "$node_home/bin/$label" ]; then
      rm -rf "$base"; mkdir -p "$base"
      unzip -q "$zip" -d "$base"
      mv "$base/$label-$version" "$node_home"
    fi
    rm -rf "$data_dir" "$logs_dir" "$tmp_dir" "$pid_file" "$console_log"   # fresh node on every start
    rm -f "$node_home/config/$label.keystore.tmp"   # left by a killed launcher; blocks the next start
    mkdir -p "$data_dir" "$logs_dir" "$tmp_dir"
    [ "$(id -u)" = 0 ] && chown -R "$node_user:" "$base"
    say "starting (java: $jh, heap $heap, home $node_home)"
    t0=$SECONDS
    # -d: daemonize; the launcher returns once the node has started (or failed to).
    if ! timeout "$start_timeout" ${as_node_user[@]+"${as_node_user[@]}"} env \
        "${env_prefix}_JAVA_HOME=$jh" "${env_prefix}_TMPDIR=$tmp_dir" "${env_prefix}_JAVA_OPTS=-Xms$heap -Xmx$heap" "${env_prefix}_PATH_CONF=$node_home/config" \
        "$node_home/bin/$label" -d -p "$pid_file" \
        -Ecluster.name="$cluster_name" -Enode.name="$name" \
        -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 \
        -Ehttp.port="$http_port" -Etransport.port="$transport_port" \
        -Epath.data="$data_dir" -Epath.logs="$logs_dir" \
        -Ecluster.routing.allocation.disk.threshold_enabled=false \
        -Eaction.destructive_requires_name=false \
        ${extra_settings[@]+"${extra_settings[@]}"} \
        </dev/null >"$console_log" 2>&1; then
      say "launcher failed or did not return within ${start_timeout}s"; show_logs
      if is_running; then kill "$(pid)" 2>/dev/null || true; fi
      exit 1
    fi
    say "launcher returned after $((SECONDS - t0)) s (pid $(pid))"
  fi
  local deadline=$((t0 + start_timeout))   # the whole start, launcher included, within start_timeout
  until healthy; do
    # a -d launcher may return before the node has written its pid file: no pid yet = still starting
    if [ -s "$pid_file" ] && ! is_running; then say "node exited during start-up"; show_logs; exit 1; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "not yellow within ${start_timeout}s"; show_logs; exit 1
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

node_main() {
  node_init
  case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) status ;;
    logs) show_logs 2>&1 ;;
    *) echo "usage: $0 start|stop|restart|status|logs" >&2; exit 2 ;;
  esac
}
