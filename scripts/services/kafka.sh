#!/usr/bin/env bash
# A real Apache Kafka broker for the integration tests, on 127.0.0.1 (no Docker).
#
#   scripts/services/kafka.sh start|stop|restart|status|logs
#
# One KRaft node that is both broker and controller, run from Maven Central jars: org.apache.kafka:kafka_2.13
# and its runtime dependencies, resolved by Maven (maven-dependency-plugin copy-dependencies) from a generated
# pom into <cache>/kafka/<version>/lib, then `java -cp 'lib/*' kafka.Kafka server.properties` after
# `kafka.tools.StorageTool format` (what bin/kafka-storage.sh runs).
#
# Listeners (loopback only):
#   PLAINTEXT  KAFKA_PORT (9092)             no TLS, no authentication
#   CONTROLLER KAFKA_CONTROLLER_PORT (9093)  KRaft controller
#   SASL_SSL   KAFKA_SASL_SSL_PORT (9094)    TLS + SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
#   SSL        KAFKA_SSL_PORT (9095)         TLS, no authentication
# The TLS listeners use a throw-away CA and server certificate (SAN IP:127.0.0.1, DNS:localhost) made with
# openssl when the node's data is formatted, in <run>/kafka-<version>/tls/ (ca.pem is what clients trust).
# Test users (test-only credentials of a loopback broker, not secrets): PLAIN `traceeplain` /
# `traceeplain-secret` (from the listener's JAAS config); SCRAM `traceescram` / `traceescram-secret`, with
# SHA-256 and SHA-512 credentials (added by `kafka-storage format --add-scram`, kept by `restart`).
# `kafka.sh env` prints them as KEY=VALUE lines for the tests.
#
# Environment (all optional):
#   KAFKA_VERSION        pinned version (default below)
#   KAFKA_PORT           client (PLAINTEXT) listener port (default 9092); KAFKA_CONTROLLER_PORT (default +1),
#                        KAFKA_SASL_SSL_PORT (default +2), KAFKA_SSL_PORT (default +3)
#   KAFKA_HEAP           JVM heap, -Xms = -Xmx (default 384m)
#   KAFKA_JAVA_HOME      JDK to run it with (default: Temurin 25, else JDK 17)
#   KAFKA_START_TIMEOUT  seconds to wait for the listener (default 90)
#   KAFKA_LOG_LINES      lines printed by `logs` and on failure (default 200)
#   TRACEE_EXPORTER_CACHE  download cache (default $HOME/.cache/tracee-exporter); jars in <cache>/kafka/<version>/
#   TRACEE_EXPORTER_RUN    run dir (default /tmp/tracee-exporter-services); node in <run>/kafka-<version>/
#
# `start` of a stopped node formats an EMPTY log dir (tests must not depend on earlier runs), unless
# KAFKA_KEEP_DATA=1 (what `restart` uses: a broker restart keeps the topics, like a real one).
# `start` on a running node only checks it answers (idempotent).
set -euo pipefail

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
KAFKA_SASL_SSL_PORT=${KAFKA_SASL_SSL_PORT:-$((KAFKA_PORT + 2))}
KAFKA_SSL_PORT=${KAFKA_SSL_PORT:-$((KAFKA_PORT + 3))}
PLAIN_USER=traceeplain
PLAIN_PASSWORD=traceeplain-secret
SCRAM_USER=traceescram
SCRAM_PASSWORD=traceescram-secret
KAFKA_HEAP=${KAFKA_HEAP:-384m}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
KAFKA_LOG_LINES=${KAFKA_LOG_LINES:-200}
LOG4J_VERSION=2.24.3   # the log4j-api/core that kafka_2.13:4.1.1 depends on; slf4j binding added below
MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

cache_dir="${TRACEE_EXPORTER_CACHE:-${HOME:-/root}/.cache/tracee-exporter}/kafka/$KAFKA_VERSION"
lib_dir="$cache_dir/lib"
run_root="${TRACEE_EXPORTER_RUN:-/tmp/tracee-exporter-services}"
name="kafka-$KAFKA_VERSION"
[ "$KAFKA_PORT" = 9092 ] || name="$name-$KAFKA_PORT"
base="$run_root/$name"
data_dir="$base/data"
logs_dir="$base/logs"
pid_file="$base/kafka.pid"
config="$base/server.properties"
log4j_config="$base/log4j2.properties"
console_log="$base/console.log"
tls_dir="$base/tls"
keystore_password=tracee-kafka-test-keystore

say() { echo "kafka[$KAFKA_VERSION:$KAFKA_PORT]: $*" >&2; }

pid() { [ -s "$pid_file" ] && cat "$pid_file" || true; }

is_running() {   # our pid file names a live Kafka process of this node (not a recycled pid)
  local p; p=$(pid)
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "kafka.Kafka $config"
}

# The broker answers once its client listener accepts connections and it logged that it started.
healthy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null && grep -q "Kafka Server started" "$console_log" 2>/dev/null
}

show_logs() {
  if [ -s "$console_log" ]; then
    echo "----- $console_log (last $KAFKA_LOG_LINES lines) -----" >&2
    tail -n "$KAFKA_LOG_LINES" "$console_log" >&2
  else
    echo "(no logs under $base)" >&2
  fi
}

java_home() {
  if [ -n "${KAFKA_JAVA_HOME:-}" ]; then echo "$KAFKA_JAVA_HOME"; return; fi
  local j candidates="/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64"
  for j in $candidates; do
    [ -x "$j/bin/java" ] && { echo "$j"; return; }
  done
  say "no suitable JDK found (tried: $candidates); set KAFKA_JAVA_HOME"; exit 1
}

download() {   # resolve kafka_2.13 + runtime dependencies into $lib_dir (once per version)
  [ -s "$lib_dir/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  mkdir -p "$cache_dir"
  say "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies from Maven Central"
  local tmp; tmp=$(mktemp -d "$cache_dir/.dl.XXXXXX")
  cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local.tracee-exporter</groupId><artifactId>kafka-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- the broker logs through slf4j 1.7; without a binding its log would be silent -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
  if ! mvn -B -q -Dstyle.color=never -f "$tmp/pom.xml" "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
      -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2; rm -rf "$tmp"
    say "dependency resolution failed"; exit 1
  fi
  rm -rf "$lib_dir"; mv "$tmp/lib" "$lib_dir"; rm -rf "$tmp"
}

# A throw-away CA and a server certificate for 127.0.0.1, and the PKCS#12 keystore the broker reads.
make_certs() {
  rm -rf "$tls_dir"; mkdir -p "$tls_dir"; chmod 700 "$tls_dir"
  local ext="$tls_dir/server.ext"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$ext"
  if ! { openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.pem" -days 3650 \
           -subj "/CN=tracee-exporter test Kafka CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      && openssl req -newkey rsa:2048 -nodes -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" -subj "/CN=127.0.0.1" \
      && openssl x509 -req -in "$tls_dir/server.csr" -CA "$tls_dir/ca.pem" -CAkey "$tls_dir/ca.key" -CAcreateserial \
           -out "$tls_dir/server.pem" -days 3650 -extfile "$ext" \
      && openssl pkcs12 -export -in "$tls_dir/server.pem" -inkey "$tls_dir/server.key" -certfile "$tls_dir/ca.pem" \
           -name kafka -out "$tls_dir/server.p12" -passout "pass:$keystore_password"; } >"$tls_dir/openssl.log" 2>&1; then
    cat "$tls_dir/openssl.log" >&2; say "certificate generation failed"; exit 1
  fi
  chmod 644 "$tls_dir/ca.pem"
}

write_config() {
  local jaas_scram=org.apache.kafka.common.security.scram.ScramLoginModule
  cat >"$config" <<PROPS
# written by scripts/services/kafka.sh: one KRaft node, broker + controller, loopback only
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT,SSL://127.0.0.1:$KAFKA_SSL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT,SSL://127.0.0.1:$KAFKA_SSL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls_dir/server.p12
ssl.keystore.password=$keystore_password
ssl.key.password=$keystore_password
ssl.client.auth=none
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$PLAIN_USER="$PLAIN_PASSWORD";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$jaas_scram required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$jaas_scram required;
log.dirs=$data_dir
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  cat >"$log4j_config" <<'L4J'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
L4J
}

start() {
  local t0=$SECONDS
  if is_running; then
    if healthy; then say "already running (pid $(pid)) at 127.0.0.1:$KAFKA_PORT"; return 0; fi
    say "running (pid $(pid)) but not answering yet; waiting"
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; then
      say "something else already listens on 127.0.0.1:$KAFKA_PORT (not started by this script; pid file $pid_file): stop it first"
      exit 1
    fi
    download
    local jh; jh=$(java_home)
    mkdir -p "$base"
    write_config
    local java=("$jh/bin/java" "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC
      "-Dlog4j2.configurationFile=$log4j_config" -Dkafka.logs.dir="$logs_dir" -cp "$lib_dir/*")
    if [ "${KAFKA_KEEP_DATA:-0}" != 1 ] || [ ! -s "$data_dir/meta.properties" ]; then
      rm -rf "$data_dir" "$logs_dir"; mkdir -p "$data_dir" "$logs_dir"
      make_certs
      local cluster_id; cluster_id=$("${java[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
      if ! "${java[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$config" \
          --add-scram "SCRAM-SHA-256=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]" \
          --add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]" >"$base/format.log" 2>&1; then
        cat "$base/format.log" >&2; say "storage format failed"; exit 1
      fi
    fi
    [ -s "$tls_dir/server.p12" ] || make_certs   # data kept from a run of an older script: certificates only
    : >"$console_log"; chmod 600 "$console_log"
    say "starting (java: $jh, heap $KAFKA_HEAP, data $data_dir)"
    t0=$SECONDS
    nohup "${java[@]}" kafka.Kafka "$config" </dev/null >>"$console_log" 2>&1 &
    echo $! >"$pid_file"
  fi
  local deadline=$((t0 + KAFKA_START_TIMEOUT))
  until healthy; do
    if ! is_running; then say "broker exited during start-up"; show_logs; exit 1; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "not answering within ${KAFKA_START_TIMEOUT}s"; show_logs; exit 1
    fi
    sleep 0.5
  done
  local tls
  for tls in $KAFKA_SASL_SSL_PORT $KAFKA_SSL_PORT; do   # the TLS listeners answer too
    until (exec 3<>"/dev/tcp/127.0.0.1/$tls") 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then say "TLS listener 127.0.0.1:$tls not answering within ${KAFKA_START_TIMEOUT}s"; show_logs; exit 1; fi
      sleep 0.5
    done
  done
  say "ready at 127.0.0.1:$KAFKA_PORT (SASL_SSL :$KAFKA_SASL_SSL_PORT, SSL :$KAFKA_SSL_PORT) after $((SECONDS - t0)) s (pid $(pid))"
}

# What the tests need to reach the TLS listeners (test-only credentials, see the top of this file).
print_env() {
  cat <<ENV
KAFKA_PLAINTEXT=127.0.0.1:$KAFKA_PORT
KAFKA_SASL_SSL=127.0.0.1:$KAFKA_SASL_SSL_PORT
KAFKA_SSL=127.0.0.1:$KAFKA_SSL_PORT
KAFKA_CA_FILE=$tls_dir/ca.pem
KAFKA_PLAIN_USER=$PLAIN_USER
KAFKA_PLAIN_PASSWORD=$PLAIN_PASSWORD
KAFKA_SCRAM_USER=$SCRAM_USER
KAFKA_SCRAM_PASSWORD=$SCRAM_PASSWORD
ENV
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
    if healthy; then say "running (pid $(pid)) at 127.0.0.1:$KAFKA_PORT"; return 0; fi
    say "running (pid $(pid)) but not answering at 127.0.0.1:$KAFKA_PORT"; return 1
  fi
  say "not running"; return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; KAFKA_KEEP_DATA=1 start ;;
  status) status ;;
  logs) show_logs 2>&1 ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|restart|status|logs|env" >&2; exit 2 ;;
esac
