# tracee-exporter container image: Node 24 runtime, production dependencies only, non-root.
# Build: docker build -t tracee-exporter .   (not built in this project's CI: no Docker engine there;
# test/unit/examples/dockerfile.test.ts checks its structure)
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# bound the V8 heap: the live set is small (bounded queues); without a cap V8 lets RSS grow to 500+ MB
# (measured: peak RSS ≈ 260 MB OTLP / ≈ 320 MB Elasticsearch with this cap; examples/kubernetes/README.md)
ENV NODE_OPTIONS=--max-old-space-size=192
# /metrics, /healthz, /readyz on :9464 for the HEALTHCHECK and the kubelet probes. This wins over
# telemetry.listen in the config file; set it empty (-e TRACEE_EXPORTER_TELEMETRY_LISTEN=) to use the file's.
ENV TRACEE_EXPORTER_TELEMETRY_LISTEN=:9464
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY mappings ./mappings
COPY proto ./proto
RUN mkdir -p /var/lib/tracee-exporter /etc/tracee-exporter && chown 1000:1000 /var/lib/tracee-exporter && chmod 700 /var/lib/tracee-exporter
# numeric (the image's `node` user): Kubernetes runAsNonRoot can verify it
USER 1000:1000
EXPOSE 8080 9464
# no curl in the image: a tiny node client (bin/healthcheck.js) reads TRACEE_EXPORTER_TELEMETRY_LISTEN
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/bin/healthcheck.js"]
ENTRYPOINT ["node", "/app/bin/tracee-exporter.js"]
CMD ["run", "--config", "/etc/tracee-exporter/config.yaml"]
