#!/usr/bin/env bash
# Builds the tracee-exporter container image WITHOUT a Docker daemon or a registry: buildah (vfs
# storage, as root) assembles it from what the Debian archive and the npm registry serve.
#
#   scripts/image/build.sh [--base distroless|debian] [--tag NAME]
#
#   --base distroless (default)  a root of only what Node needs: the files of the Debian bookworm
#                                packages libc6, libgcc-s1, libstdc++6, ca-certificates, tzdata
#                                (apt-get download + dpkg-deb -x; no shell, no package manager)
#   --base debian                a `debootstrap --variant=minbase bookworm` root (what
#                                node:24-bookworm-slim is built from; has a shell and apt)
#   both: + the Node 24 binary of the project's `node` devDependency (the official linux-x64 build,
#   debug sections stripped) + the application from `npm pack`, its production dependencies
#   installed on the host (`npm ci --omit=dev` with the lock file), copied to /opt/tracee-exporter.
#
# The image: user 1000:1000, entrypoint `node /opt/tracee-exporter/<bin>`, cmd `run --config
# /etc/tracee-exporter/config.yaml`, /var/lib/tracee-exporter owned by 1000, HEALTHCHECK (docker
# format) running the bundled node health client, OCI labels. Same image as the Dockerfile describes.
# Idempotent: downloads (.debs, debootstrap's archive) are cached under
# ${TRACEE_EXPORTER_CACHE:-$HOME/.cache/tracee-exporter}/image; every run rebuilds the root and
# replaces the image NAME (default tracee-exporter:<version>-<base>).
# Prints the image name and its size. scripts/image/smoke.sh runs it.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TRACEE_EXPORTER_CACHE:-$HOME/.cache/tracee-exporter}/image
base=distroless
tag=
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift 2;;
    --tag) tag=$2; shift 2;;
    *) echo "usage: $0 [--base distroless|debian] [--tag NAME]" >&2; exit 2;;
  esac
done
case "$base" in distroless|debian) ;; *) echo "image: --base distroless|debian" >&2; exit 2;; esac
say() { echo "image: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "run as root (buildah with the vfs driver, chown of the root)"; exit 1; }

need=()
command -v buildah >/dev/null || need+=(buildah)
command -v strip >/dev/null || need+=(binutils)
[ "$base" = debian ] && ! command -v debootstrap >/dev/null && need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} from the Debian archive"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bah() { buildah --storage-driver vfs "$@"; }
# docker format: OCI image configs have no HEALTHCHECK (buildah drops it with a warning)
export BUILDAH_FORMAT=docker

node_bin=$root/node_modules/node/bin/node
[ -x "$node_bin" ] || { say "no $node_bin: run npm ci first (the node devDependency carries Node 24)"; exit 1; }
node_version=$("$node_bin" -p process.versions.node)
app_version=$("$node_bin" -p "require('$root/package.json').version")
tag=${tag:-tracee-exporter:$app_version-$base}
mkdir -p "$cache/debs"
work=$(mktemp -d /tmp/tracee-exporter-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"

# --- base root ---------------------------------------------------------------------------------
if [ "$base" = distroless ]; then
  # exactly what `ldd node` needs (libc6: libc, libm, libdl, libpthread, ld.so; libstdc++6; libgcc-s1)
  # plus the CA bundle and time zones an exporter talking TLS and printing local times wants
  pkgs=(libc6 libgcc-s1 libstdc++6 ca-certificates tzdata)
  (cd "$cache/debs" && for p in "${pkgs[@]}"; do
     v=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
     ls "${p}_${v//:/%3a}_"*.deb >/dev/null 2>&1 || apt-get download -q "$p" >/dev/null
   done)
  for p in "${pkgs[@]}"; do
    v=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
    dpkg-deb -x "$(ls "$cache/debs/${p}_${v//:/%3a}_"*.deb | head -1)" "$rootfs"
  done
  # ca-certificates' postinst builds the bundle; do it here (Node uses its own CAs unless
  # --use-openssl-ca / NODE_EXTRA_CA_CERTS, other tools read this file)
  mkdir -p "$rootfs/etc/ssl/certs"
  cat "$rootfs"/usr/share/ca-certificates/mozilla/*.crt > "$rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$rootfs"/usr/share/{doc,man,info,lintian,locale} "$rootfs"/usr/lib/x86_64-linux-gnu/gconv "$rootfs/usr/sbin" "$rootfs/sbin" 2>/dev/null || true
  mkdir -p "$rootfs"/{etc,tmp,root,home/node}
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/home/node:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
  printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
else
  # the minbase variant of bookworm; its downloads are cached
  mkdir -p "$cache/debootstrap"
  debootstrap --variant=minbase --cache-dir="$cache/debootstrap" bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  chroot "$rootfs" sh -c 'groupadd -g 1000 node && useradd -u 1000 -g 1000 -m -s /bin/bash node'
  chroot "$rootfs" sh -c 'apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/* /usr/share/locale/*'
fi

# --- Node 24 -----------------------------------------------------------------------------------
# the official linux-x64 build (126.6 MB) with its symbol table and debug sections stripped (108.5 MB):
# native stack traces in a crash report show addresses only
mkdir -p "$rootfs/usr/local/bin"
strip -o "$rootfs/usr/local/bin/node" "$node_bin"
chmod 755 "$rootfs/usr/local/bin/node"

# --- the application, from its npm package -------------------------------------------------------
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tgz=$(ls "$work"/tracee-exporter-*.tgz)
app=$rootfs/opt/tracee-exporter
mkdir -p "$app"
tar -xzf "$tgz" -C "$app" --strip-components=1
# production dependencies at the versions of the lock file (npm pack leaves the lock out)
cp "$root/package-lock.json" "$app/"
(cd "$app" && PATH="$(dirname "$node_bin"):$PATH" npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
rm -f "$app/package-lock.json"
# never loaded at run time: source maps (27 MB) and type declarations (~20 MB) of the dependencies
# (measured on the 82 MB of production node_modules of 0.1.0; since the package bundles its
# dependencies into dist/ there are none, and no node_modules)
[ ! -d "$app/node_modules" ] || find "$app/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete
bin_rel=$("$node_bin" -p "const b=require('$app/package.json').bin; typeof b==='string'?b:b['tracee-exporter']")
bin_rel=${bin_rel#./}
[ -f "$app/$bin_rel" ] || { say "the package's bin $bin_rel is missing from the tarball"; exit 1; }
health_rel=
for h in bin/healthcheck.js dist/bin/healthcheck.js; do [ -f "$app/$h" ] && { health_rel=$h; break; }; done
chown -R 0:0 "$app"
mkdir -p "$rootfs/var/lib/tracee-exporter" "$rootfs/etc/tracee-exporter"

# --- the image -----------------------------------------------------------------------------------
bah rmi -f "$tag" >/dev/null 2>&1 || true
ctr=$(bah from scratch)
trap 'rm -rf "$work"; bah rm "$ctr" >/dev/null 2>&1 || true' EXIT
bah copy --quiet "$ctr" "$rootfs" / >/dev/null
# buildah copy makes everything root's (like COPY): hand the state directory and the home to uid
# 1000 with the image's own node (the distroless root has no chown)
bah run --isolation chroot --user 0:0 "$ctr" -- /usr/local/bin/node -e '
  const fs = require("node:fs");
  for (const [dir, mode] of [["/var/lib/tracee-exporter", 0o700], ["/home/node", 0o755]]) { fs.mkdirSync(dir, { recursive: true }); fs.chownSync(dir, 1000, 1000); fs.chmodSync(dir, mode); }
  fs.chmodSync("/tmp", 0o1777);'
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
health=()
# exec form, no shell: buildah splits "CMD a b" into ["CMD", "a", "b"] (a JSON array is not parsed)
[ -n "$health_rel" ] && health=(--healthcheck "CMD /usr/local/bin/node /opt/tracee-exporter/$health_rel"
  --healthcheck-interval 30s --healthcheck-timeout 5s --healthcheck-start-period 20s --healthcheck-retries 3)
# no NODE_OPTIONS heap flag: `run` caps V8's heap itself from the config's memory_limit_mib
# (bin/tracee-exporter.js: default 128 MiB → old space 512 MiB, semi-spaces 8 MiB, pretenuring and
# concurrent recompilation off, MALLOC_ARENA_MAX=2); a heap flag of the user's own wins for what it sets
bah config \
  --user 1000:1000 --workingdir /opt/tracee-exporter \
  --env NODE_ENV=production \
  --env TRACEE_EXPORTER_TELEMETRY_LISTEN=:9464 \
  --env PATH=/usr/local/bin:/usr/bin:/bin \
  --port 8080 --port 9464 \
  --volume /var/lib/tracee-exporter \
  --entrypoint "[\"/usr/local/bin/node\", \"/opt/tracee-exporter/$bin_rel\"]" \
  --cmd '["run", "--config", "/etc/tracee-exporter/config.yaml"]' \
  "${health[@]}" \
  --label org.opencontainers.image.title=tracee-exporter \
  --label "org.opencontainers.image.description=Tracee events to Elasticsearch (ECS) and OpenTelemetry (OTLP)" \
  --label "org.opencontainers.image.version=$app_version" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.created=$created" \
  --label "org.opencontainers.image.base.name=$base (Debian bookworm; Node $node_version)" \
  --label org.opencontainers.image.licenses=Apache-2.0 \
  "$ctr"
bah commit --quiet --format docker --rm "$ctr" "$tag" >/dev/null
size=$(bah images --format '{{.Size}}' "$tag" | head -1)
app_mb=$(du -sm "$app" | cut -f1); node_mb=$(du -sm "$rootfs/usr/local/bin/node" | cut -f1)
say "built $tag (base $base, Node $node_version): root $(du -sm "$rootfs" | cut -f1) MB = node $node_mb MB + application $app_mb MB + base $(( $(du -sm "$rootfs" | cut -f1) - app_mb - node_mb )) MB; image $size"
echo "$tag"
