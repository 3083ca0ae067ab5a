#!/usr/bin/env node
// Container HEALTHCHECK (the image has no curl): GET /healthz of the telemetry server, exit 0 on 200.
// The address is TRACEE_EXPORTER_TELEMETRY_LISTEN (the image sets :9464); an empty host means
// all interfaces, reached through 127.0.0.1.
import http from 'node:http';

const listen = process.env.TRACEE_EXPORTER_TELEMETRY_LISTEN || ':9464';
const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
if (!m) {
  console.error(`healthcheck: TRACEE_EXPORTER_TELEMETRY_LISTEN: cannot parse ${JSON.stringify(listen)}`);
  process.exit(1);
}
const host = m[1] ?? m[2];
const target = !host || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
const req = http.get({ host: target, port: Number(m[3]), path: '/healthz', timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => {
  req.destroy();
  process.exit(1);
});
req.on('error', () => process.exit(1));
