#!/usr/bin/env bash
# The published package as a user gets it: npm pack (builds dist/ via prepack) → npm install -g of
# the tarball into an empty prefix → that prefix's tracee-exporter: --help, map --to ecs on the
# bundled samples, config check on every examples/config file; and on the system's older Node (if
# any) the one-line "needs Node.js" refusal. Uses the project's Node 24 (the `node` devDependency).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# the first node on PATH that is not the project's own (the system's, to see the refusal on it)
SYSTEM_NODE=$(IFS=:; for d in $PATH; do case "$d" in "$ROOT"/*|"") continue;; esac; [ -x "$d/node" ] && { echo "$d/node"; break; }; done; true)
export PATH="$ROOT/node_modules/node/bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package-smoke: FAIL: $*" >&2; exit 1; }

echo "node $(node --version), npm $(npm --version)"
npm pack --pack-destination "$work" --silent >/dev/null
tgz=$(ls "$work"/tracee-exporter-*.tgz)
echo "packed $(basename "$tgz"): $(tar tzf "$tgz" | wc -l) files, $(du -k "$tgz" | cut -f1) KiB"
tar tzf "$tgz" | grep -E '^package/(test|bench|scripts|docs|examples)/|\.(ts|pem|key|go)$' && fail "the tarball holds test/bench/source/key files (above)"

prefix="$work/prefix"
mkdir "$prefix"
npm install -g --prefix "$prefix" --no-audit --no-fund --loglevel=error "$tgz"
bin="$prefix/bin/tracee-exporter"
[ -x "$bin" ] || fail "no $bin after install"
inst="$prefix/lib/node_modules/tracee-exporter"
[ -z "$(ls -A "$inst/node_modules" 2>/dev/null)" ] || fail "the install pulled dependencies: $(ls "$inst/node_modules" | head)"
# the bundle is minified (whitespace and syntax: its source text stays in memory while it runs),
# its names are not (stack traces name the functions)
[ "$(wc -l < "$inst/dist/tracee-exporter.js")" -lt 200 ] || fail "dist/tracee-exporter.js is not minified ($(wc -l < "$inst/dist/tracee-exporter.js") lines)"
grep -q 'function registerConfigCommand(' "$inst/dist/tracee-exporter.js" || fail "dist/tracee-exporter.js lost its function names"

# run from elsewhere: nothing may be found through the checkout
cd "$work"
"$bin" --help | grep -q '^Usage: tracee-exporter' || fail "--help"
"$bin" --version | grep -qx "$(node -p "require('$ROOT/package.json').version")" || fail "--version"

samples="$ROOT/examples/events/tracee-samples.ndjson"
"$bin" map --to ecs "$samples" > ecs.ndjson 2> map.err || { cat map.err; fail "map --to ecs"; }
want=$(grep -c . "$samples")
[ "$(wc -l < ecs.ndjson)" -eq "$want" ] || fail "map --to ecs printed $(wc -l < ecs.ndjson) documents for $want events"
grep -qx "mapped $want, rejected 0" map.err || { cat map.err; fail "map summary"; }
node -e "for (const l of require('fs').readFileSync('ecs.ndjson','utf8').trim().split('\n')) { const d = JSON.parse(l); if (!d['@timestamp'] || !d.event || !d.host) throw new Error('not an ECS document: ' + l.slice(0, 200)); }" || fail "map output"
"$bin" map --to otlp-json "$samples" > /dev/null 2>&1 || fail "map --to otlp-json"
# the build maps exactly as the sources do (its tables are the build-time snapshot of mappings/)
node "$ROOT/src/cli/main.ts" map --to ecs "$samples" > ecs-src.ndjson 2>/dev/null || fail "map from the sources"
node -e "const f = (n) => require('fs').readFileSync(n, 'utf8').trim().split('\n').map((l) => { const d = JSON.parse(l); delete d.event.created; return JSON.stringify(d); });
  const a = f('ecs.ndjson'), b = f('ecs-src.ndjson'); for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) throw new Error('event ' + (i + 1) + ' maps differently:\n' + a[i] + '\n' + b[i]);" || fail "the installed command and the sources map differently"
echo "map: $want samples mapped to ECS and OTLP JSON"
"$bin" run --config "$ROOT/examples/config/console.yaml" < "$samples" > run.ndjson 2> run.err || { cat run.err; fail "run (console exporter)"; }
[ "$(wc -l < run.ndjson)" -eq "$want" ] || { cat run.err; fail "run printed $(wc -l < run.ndjson) documents for $want events"; }
echo "run: $(tail -1 run.err)"
# workers: 2 (decode + map in worker threads, dist/pipeline-worker.js): the same documents, no worker failure
sed 's/^version: 1$/version: 1\nworkers: 2/' "$ROOT/examples/config/console.yaml" > workers.yaml
grep -qx 'workers: 2' workers.yaml || fail "workers.yaml: no workers key added"
"$bin" run --config workers.yaml < "$samples" > run-workers.ndjson 2> run-workers.err || { cat run-workers.err; fail "run with workers: 2"; }
grep -q 'worker thread' run-workers.err && { cat run-workers.err; fail "run with workers: 2: a worker thread failed"; }
node -e "const f = (n) => require('fs').readFileSync(n, 'utf8').trim().split('\n').map((l) => { const d = JSON.parse(l); delete d.event.created; return JSON.stringify(d); }).join('\n');
  if (f('run.ndjson') !== f('run-workers.ndjson')) throw new Error('workers: 2 printed other documents than workers: 0');" || fail "run with workers: 2 differs"
echo "run (workers: 2): $(tail -1 run-workers.err)"
# a grpc source loads Tracee's protos from the package (lazily): it gets as far as connecting
printf 'version: 1\nsources: [{ type: grpc, address: "unix://%s/no-tracee.sock" }]\nexporters: [{ type: console }]\n' "$work" > grpc.yaml
"$bin" run --config grpc.yaml > /dev/null 2> grpc.err & pid=$!
for _ in $(seq 300); do grep -q 'cannot stream events' grpc.err && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -INT $pid 2>/dev/null || true; wait $pid || true
grep -q 'cannot stream events (UNAVAILABLE' grpc.err || { cat grpc.err; fail "run with a grpc source"; }
echo "run (grpc source, no Tracee): $(head -1 grpc.err | cut -c1-120)"

for f in "$ROOT"/examples/config/*.yaml; do
  out=$("$bin" config check "$f" 2>&1) || { echo "$out"; fail "config check $(basename "$f")"; }
  echo "config check $(basename "$f"): $(echo "$out" | head -1)"
done

# a schema error reads the same from the build (precompiled validator) as from the sources (Ajv at start)
printf 'version: 1\nsources: [{ type: stdin }]\nexporters: [{ type: console, format: xml }]\n' > bad.yaml
set +e; built=$("$bin" config check bad.yaml 2>&1); rc=$?; src=$(node "$ROOT/src/cli/main.ts" config check bad.yaml 2>&1); set -e
[ $rc -eq 1 ] && [ -n "$built" ] && [ "$built" = "$src" ] || fail "config check of an invalid file: build (exit $rc) says: $built; sources say: $src"
echo "config check bad.yaml: $built"

if [ -n "$SYSTEM_NODE" ] && [ "$("$SYSTEM_NODE" -p 'process.versions.node.split(".")[0]')" -lt 24 ]; then
  set +e; out=$("$SYSTEM_NODE" "$inst/bin/tracee-exporter.js" --help 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q 'needs Node.js >=24' || fail "on Node $("$SYSTEM_NODE" --version): rc $rc, $out"
  echo "Node $("$SYSTEM_NODE" --version): $out (exit $rc)"
fi
echo "package-smoke: ok"
