#!/usr/bin/env bash
# A real OpenTelemetry Collector on 127.0.0.1 for the integration tests.
#
#   collector.sh start|stop|status|logs     the test collector (OTLP in -> file + debug)
#   collector.sh build [TARGET]             build (if not cached) and print the binary path
#                                           TARGET: collector (default) | collector-contrib
#
# The binary is built from our own Go module test/<TARGET>/ (main.go, go.mod, committed go.sum)
# with the Go module proxy only, and cached under
#   ${TRACEE_EXPORTER_CACHE:-$HOME/.cache/tracee-exporter}/otelcol/<hash>/otelcol-test
# where <hash> covers go.mod, go.sum and every *.go file of the target (edit them -> rebuild).
#
# Runtime files live in ${TRACEE_EXPORTER_RUN:-/tmp/tracee-exporter-services}:
#   collector.pid, collector.log (collector stdout/stderr),
#   collector-out/logs.jsonl  (OTEL_OUT_DIR: one JSON line {"resourceLogs":[...]} per request;
#                              truncated on every start)
# Endpoints (fixed): OTLP/HTTP http://127.0.0.1:4318, OTLP/gRPC 127.0.0.1:4317.
# Nothing is exported to the caller's environment; tests use the fixed address and out dir.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cache_root=${TRACEE_EXPORTER_CACHE:-$HOME/.cache/tracee-exporter}/otelcol
run_dir=${TRACEE_EXPORTER_RUN:-/tmp/tracee-exporter-services}
out_dir=$run_dir/collector-out
pid_file=$run_dir/collector.pid
log_file=$run_dir/collector.log
config=$root/test/collector/config.yaml
http_url=http://127.0.0.1:4318
start_timeout=${COLLECTOR_START_TIMEOUT:-60}

say() { echo "collector: $*" >&2; }

# Prints the cached binary path of a build target; builds it first when missing.
build() {
  local target=${1:-collector}
  local src=$root/test/$target
  [ -f "$src/go.mod" ] || { say "no Go module at $src"; return 1; }
  command -v go >/dev/null || { say "go is not installed (needs Go >= 1.26)"; return 1; }
  local hash
  hash=$(cd "$src" && cat go.mod go.sum $(ls *.go | LC_ALL=C sort) | sha256sum | cut -c1-16)
  local dir=$cache_root/$hash
  local bin=$dir/otelcol-test
  if [ ! -x "$bin" ]; then
    mkdir -p "$dir"
    say "building $target (cold: a few minutes; output cached in $dir)"
    local t0=$SECONDS
    # -mod=readonly: the committed go.sum must be complete; -buildvcs=false: no git needed.
    if ! (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -buildvcs=false -trimpath \
          -ldflags='-s -w' -o "$bin.tmp.$$" .) >&2; then
      rm -f "$bin.tmp.$$"; say "build of $target failed"; return 1
    fi
    mv -f "$bin.tmp.$$" "$bin"
    say "built $target in $((SECONDS - t0))s: $bin ($(du -h "$bin" | cut -f1))"
  fi
  echo "$bin"
}

pid_alive() {
  [ -f "$pid_file" ] || return 1
  local pid; pid=$(cat "$pid_file" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file whose pid now belongs to another program does not count.
  if [ -r "/proc/$pid/cmdline" ]; then tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q otelcol-test || return 1; fi
}

http_ready() {
  curl -sf -o /dev/null --max-time 2 -X POST -H 'Content-Type: application/json' \
    -d '{"resourceLogs":[]}' "$http_url/v1/logs"
}

logs() {
  if [ -f "$log_file" ]; then tail -n "${1:-60}" "$log_file"; else say "no log file $log_file"; fi
}

wait_ready() { # pid: wait until the receiver answers; 1 if the process died or time ran out
  local pid=$1 deadline=$((SECONDS + start_timeout))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    http_ready && return 0
    sleep 0.5
  done
  return 1
}

# Serialize start/stop of concurrent callers (e.g. parallel test files) on one machine.
lock() {
  mkdir -p "$run_dir"
  exec 9>"$run_dir/collector.lock"
  command -v flock >/dev/null && flock -w 900 9 || true
}

start() {
  lock
  if pid_alive; then
    local pid; pid=$(cat "$pid_file")
    if wait_ready "$pid"; then say "already running (pid $pid)"; return 0; fi
    say "pid $pid alive but $http_url not answering after ${start_timeout}s; restarting"
    stop_unlocked
  fi
  if http_ready; then
    say "something else already answers on $http_url (not started by this script); stop it first"
    return 1
  fi
  local bin; bin=$(build collector)
  mkdir -p "$out_dir"
  : >"$log_file"
  # 9>&-: the collector must not inherit (and so hold) the start/stop lock.
  OTEL_OUT_DIR=$out_dir nohup "$bin" --config="file:$config" >>"$log_file" 2>&1 </dev/null 9>&- &
  local pid=$!
  echo "$pid" >"$pid_file"
  if wait_ready "$pid"; then say "running (pid $pid) on $http_url, out dir $out_dir"; return 0; fi
  if kill -0 "$pid" 2>/dev/null; then
    say "not ready after ${start_timeout}s; log tail:"; logs 80 >&2; stop_unlocked || true
  else
    say "exited during start-up; log tail:"; logs 80 >&2; rm -f "$pid_file"
  fi
  return 1
}

stop() { lock; stop_unlocked; }

stop_unlocked() {
  if ! pid_alive; then rm -f "$pid_file"; say "not running"; return 0; fi
  local pid; pid=$(cat "$pid_file")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "pid $pid ignored TERM; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pid_file"
  say "stopped (pid $pid)"
}

status() {
  if pid_alive && http_ready; then
    echo "collector: running (pid $(cat "$pid_file")) on $http_url, out dir $out_dir"
  elif pid_alive; then
    echo "collector: process $(cat "$pid_file") alive but $http_url not answering"; return 1
  else
    echo "collector: not running"; return 1
  fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) logs "${2:-60}" ;;
  build) build "${2:-collector}" ;;
  *) echo "usage: $0 start|stop|status|logs [N]|build [collector|collector-contrib]" >&2; exit 2 ;;
esac
