# tracee-exporter container image: Node 24 runtime, production dependencies only, non-root.
# Build: docker build -t tracee-exporter .   (not built in this project's CI: no Docker engine there)
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# bound the V8 heap: the live set is small (bounded queues); without a cap V8 lets RSS grow to 500+ MB
ENV NODE_OPTIONS=--max-old-space-size=192
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY mappings ./mappings
RUN mkdir -p /var/lib/tracee-exporter && chown node:node /var/lib/tracee-exporter
USER node
ENTRYPOINT ["node", "/app/bin/tracee-exporter.js"]
CMD ["run", "--config", "/etc/tracee-exporter/config.yaml"]
