#!/usr/bin/env bash
# Runs the image built by scripts/image/build.sh without a daemon (buildah run --isolation chroot,
# the host's network) and checks what a user would:
#   1. it runs as uid 1000 and has no shell (distroless base)
#   2. `map --to ecs` of the bundled sample events (examples/events/tracee-samples.ndjson)
#   3. `config check` (the chart's helm test) and the chart's init container (chown with node as root)
#   4. `run` with a webhook source + console exporter + disk buffer in /var/lib/tracee-exporter:
#      /healthz and /readyz answer on the telemetry port, the image's HEALTHCHECK command exits 0,
#      posted events come out as ECS documents, SIGTERM ends it cleanly.
#
#   scripts/image/smoke.sh IMAGE
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
image=${1:?usage: $0 IMAGE}
bah() { buildah --storage-driver vfs "$@"; }
say() { echo "smoke: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
node=$root/node_modules/node/bin/node
# the bottom of a process chain (buildah run → buildah-chroot-runtime → buildah-chroot-exec → node)
deepest() { local p=$1 c; while c=$(pgrep -P "$p" | head -1) && [ -n "$c" ]; do p=$c; done; echo "$p"; }

ctr=$(bah from --pull-never "$image")
work=$(mktemp -d /tmp/tracee-exporter-smoke.XXXXXX)
runner=
cleanup() {
  if [ -n "$runner" ]; then
    kill "$(deepest "$runner")" 2>/dev/null || true
  fi
  bah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bah inspect --type image "$image" > "$work/inspect.json"
field() { "$node" -e 'const c = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).Docker.config; const v = eval(`c.${process.argv[2]}`); for (const a of [].concat(v ?? [])) console.log(a)' "$work/inspect.json" "$1"; }
mapfile -t ep < <(field Entrypoint)
mapfile -t hc < <(field 'Healthcheck.Test.slice(1)')
[ "$(field 'Healthcheck.Test[0]')" = CMD ] || fail "HEALTHCHECK is not the exec form CMD: $(field Healthcheck.Test)"
user=$(field User)
say "entrypoint ${ep[*]}; healthcheck ${hc[*]}; user $user"
[ "$user" = 1000:1000 ] || fail "image user is '$user', not 1000:1000"
# buildah run does not apply the image's user by itself: pass it as a container runtime would
brun() { bah run --isolation chroot --user "$user" "$@"; }

# 1. uid and no shell
uid=$(brun "$ctr" -- "${ep[0]}" -e 'process.stdout.write(`${process.getuid()}:${process.getgid()}`)')
[ "$uid" = 1000:1000 ] || fail "runs as $uid"
if brun "$ctr" -- /bin/sh -c true >/dev/null 2>&1; then say "the image has a shell (/bin/sh)"; else say "no shell in the image (/bin/sh cannot run)"; fi

# 2. map the bundled samples
sample=/opt/tracee-exporter/examples/events/tracee-samples.ndjson
if ! brun "$ctr" -- "${ep[0]}" -e "require('node:fs').accessSync('$sample')" 2>/dev/null; then
  # the package does not ship the samples: copy them in (the working container only)
  bah copy "$ctr" "$root/examples/events/tracee-samples.ndjson" /tmp/tracee-samples.ndjson >/dev/null
  sample=/tmp/tracee-samples.ndjson
fi
brun "$ctr" -- "${ep[@]}" map --to ecs "$sample" > "$work/map.ndjson"
lines=$(wc -l < "$work/map.ndjson")
events=$(grep -c . "$root/examples/events/tracee-samples.ndjson")
"$node" -e '
  const lines = require("node:fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  for (const d of lines) if (!d["@timestamp"] || !d.event?.kind) { console.error("not an ECS document:", JSON.stringify(d).slice(0, 200)); process.exit(1); }
' "$work/map.ndjson" || fail "map output"
[ "$lines" = "$events" ] || fail "map --to ecs: $lines documents for $events sample events"
say "map --to ecs $sample: $lines ECS documents from $events events"

# 4. run: webhook in, console out, disk buffer in the image's /var/lib/tracee-exporter
ports=$("$node" -e '
  const net = require("node:net"); const got = [];
  const next = () => { const s = net.createServer().listen(0, "127.0.0.1", () => { got.push(s.address().port); s.close(() => got.length < 2 ? next() : console.log(got.join(" "))); }); };
  next();')
read -r hook_port tele_port <<<"$ports"
cat > "$work/config.yaml" <<EOF
version: 1
sources:
  - { type: webhook, listen: "127.0.0.1:$hook_port", path: /events }
data_dir: /var/lib/tracee-exporter
delivery:
  buffer: { type: disk, max_bytes: 16777216, when_full: block }
dead_letter: { path: /var/lib/tracee-exporter/dead-letter.ndjson }
exporters:
  - { type: console, format: ecs }
EOF
bah copy --chown 0:0 "$ctr" "$work/config.yaml" /etc/tracee-exporter/config.yaml >/dev/null
brun "$ctr" -- "${ep[@]}" config check /etc/tracee-exporter/config.yaml >/dev/null || fail "config check of the run config"
say "config check /etc/tracee-exporter/config.yaml: exit 0 (what the chart's helm test pod runs)"
# the chart's / manifests' init container for a hostPath state directory: the image's node as root
bah run --isolation chroot --user 0:0 "$ctr" -- "${ep[0]}" -e "require('node:fs').chownSync(process.argv[1], 1000, 1000)" /var/lib/tracee-exporter \
  || fail "the init container's chown with node"
listen=127.0.0.1:$tele_port
# not through brun: $! must be buildah's own pid
buildah --storage-driver vfs run --isolation chroot --user "$user" --env "TRACEE_EXPORTER_TELEMETRY_LISTEN=$listen" "$ctr" -- \
  "${ep[@]}" run --config /etc/tracee-exporter/config.yaml > "$work/run.out" 2> "$work/run.err" &
runner=$!
ok=
for _ in $(seq 1 100); do
  if curl -fsS "http://$listen/readyz" >/dev/null 2>&1; then ok=1; break; fi
  kill -0 "$runner" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ok" ] || { cat "$work/run.err" >&2; fail "run: /readyz never answered 200 on $listen"; }
say "run: /healthz $(curl -s -o /dev/null -w '%{http_code}' "http://$listen/healthz"), /readyz $(curl -s -o /dev/null -w '%{http_code}' "http://$listen/readyz") on $listen"
brun --env "TRACEE_EXPORTER_TELEMETRY_LISTEN=$listen" "$ctr" -- "${hc[@]}" || fail "HEALTHCHECK ${hc[*]} exited $?"
say "HEALTHCHECK ${hc[*]}: exit 0"
posted=0
while IFS= read -r line; do
  curl -fsS -H 'Content-Type: application/json' --data-binary "$line" "http://127.0.0.1:$hook_port/events" >/dev/null
  posted=$((posted + 1))
done < "$root/examples/events/tracee-samples.ndjson"
for _ in $(seq 1 50); do [ "$(grep -c . "$work/run.out")" -ge "$posted" ] && break; sleep 0.2; done
# a container runtime signals the container's first process (buildah does not forward signals):
# the node at the bottom of buildah → buildah-chroot-runtime → buildah-chroot-exec → node
main=$(deepest "$runner")
case "$(ps -o args= -p "$main")" in "${ep[0]} "*) ;; *) fail "no node process under buildah ($runner)";; esac
kill -TERM "$main"
wait "$runner" && code=0 || code=$?
runner=
out=$(grep -c . "$work/run.out" || true)
[ "$out" = "$posted" ] || { cat "$work/run.err" >&2; fail "run: $out ECS documents on stdout for $posted posted events"; }
[ "$code" = 0 ] || { cat "$work/run.err" >&2; fail "run exited $code after SIGTERM"; }
say "run: $posted events posted to the webhook → $out ECS documents; SIGTERM → exit 0"
tail -2 "$work/run.err" | sed 's/^/smoke:   stderr: /' >&2
say "image $image OK"
