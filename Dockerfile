# tracee-exporter container image, for a machine with a Docker engine (or BuildKit / podman build):
#   docker build -t tracee-exporter .
# The same image as scripts/image/build.sh assembles WITHOUT a daemon or a registry (buildah, from the
# Debian archive and the npm registry): that script is what this project builds and runs in CI
# (scripts/image/smoke.sh). This file cannot be built here (no registry to pull the bases from);
# test/component/examples/dockerfile.test.ts checks that it describes the same image as the script.
#
# Final base: distroless cc-debian12 = glibc, libstdc++, libgcc, CA certificates, tzdata of Debian 12
# (bookworm), no shell, no package manager; the Node 24 binary comes from the official node image.
# Measured with the script's equivalent roots: distroless-style 148 MB vs debootstrap minbase
# bookworm (the node:24-bookworm-slim equivalent) 215 MB, uncompressed (README.md, "Container image").

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY . .
# npm pack: exactly what the published package ships; its production dependencies at the lock
# file's versions; the state directory the runtime (uid 1000) writes
RUN npm ci --no-audit --no-fund \
 && npm pack --silent --pack-destination /tmp \
 && mkdir -p /out/opt/tracee-exporter /out/var/lib/tracee-exporter /out/etc/tracee-exporter && chmod 700 /out/var/lib/tracee-exporter \
 && tar -xzf /tmp/tracee-exporter-*.tgz -C /out/opt/tracee-exporter --strip-components=1 \
 && cp package-lock.json /out/opt/tracee-exporter/ \
 && cd /out/opt/tracee-exporter && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && rm package-lock.json \
 && { [ ! -d node_modules ] || find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete; }

FROM gcr.io/distroless/cc-debian12
# the official binary as is (scripts/image/build.sh strips its symbols: 18 MB less)
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /out/opt/tracee-exporter /opt/tracee-exporter
COPY --from=build /out/etc/tracee-exporter /etc/tracee-exporter
COPY --from=build --chown=1000:1000 /out/var/lib/tracee-exporter /var/lib/tracee-exporter
WORKDIR /opt/tracee-exporter
ENV NODE_ENV=production
# No heap flag (NODE_OPTIONS) here: `run` caps V8's heap itself from the config's memory_limit_mib
# (bin/tracee-exporter.js; default 128 MiB → old space 512 MiB, semi-spaces 8 MiB, allocation-site
# pretenuring and concurrent recompilation off, MALLOC_ARENA_MAX=2). Measured 2026-12-07, `npm run bench -- --memory` (240,100
# events, file → OTLP/HTTP): peak RSS 133 MB, against 248 MB with the --max-old-space-size=192 this
# image used to set, when a heap flag turned every cap off (130–131 MB with it now). A heap flag of your own (-e NODE_OPTIONS=--max-old-space-size=…, or
# --max-semi-space-size / --max-heap-size) wins for what it sets; the other caps still apply.
# /metrics, /healthz, /readyz on :9464 for the HEALTHCHECK and the kubelet probes. This wins over
# telemetry.listen in the config file; set it empty (-e TRACEE_EXPORTER_TELEMETRY_LISTEN=) to use the file's.
ENV TRACEE_EXPORTER_TELEMETRY_LISTEN=:9464
ENV PATH=/usr/local/bin:/usr/bin:/bin
LABEL org.opencontainers.image.title=tracee-exporter \
      org.opencontainers.image.description="Tracee events to Elasticsearch (ECS) and OpenTelemetry (OTLP)" \
      org.opencontainers.image.licenses=Apache-2.0
# numeric: Kubernetes runAsNonRoot can verify it
USER 1000:1000
EXPOSE 8080 9464
VOLUME /var/lib/tracee-exporter
# no shell and no curl in the image: a tiny node client reads TRACEE_EXPORTER_TELEMETRY_LISTEN
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/node", "/opt/tracee-exporter/bin/healthcheck.js"]
ENTRYPOINT ["/usr/local/bin/node", "/opt/tracee-exporter/bin/tracee-exporter.js"]
CMD ["run", "--config", "/etc/tracee-exporter/config.yaml"]
