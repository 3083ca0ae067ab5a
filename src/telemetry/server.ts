// The telemetry HTTP server: GET /metrics (Prometheus text), /healthz (liveness), /readyz
// (readiness). Plain HTTP, meant for the node's Prometheus and the kubelet: bind it to 127.0.0.1
// or the pod IP, never expose it outside the cluster. It answers nothing but these three paths.
//   /healthz  200 "ok" while the process runs the pipeline (starting, running, flushing), 503 once stopped
//   /readyz   200 "ready", or 503 with the reason (starting, shutting down, every exporter retrying too long)

import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Telemetry } from './telemetry.ts';
import { toLogger } from '../util/log.ts';

export interface TelemetryServer {
  /** Resolves with the base URL (http://host:port). */
  listen(): Promise<string>;
  /** Stop listening; open keep-alive connections (a scraper's) are closed. */
  close(): Promise<void>;
}

export interface TelemetryServerOptions {
  host: string | undefined;
  port: number;
  /** For error messages, e.g. "telemetry.listen". */
  where?: string;
  log?(line: string): void;
}

export function createTelemetryServer(telemetry: Telemetry, opts: TelemetryServerOptions): TelemetryServer {
  const where = opts.where ?? 'telemetry.listen';
  let server: http.Server | undefined;

  function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
    res.writeHead(status, {
      'content-type': type,
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz')
      return send(res, 404, 'not found: GET /metrics, /healthz or /readyz\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'only GET and HEAD\n');
    }
    if (path === '/metrics') return send(res, 200, await telemetry.metrics(), telemetry.contentType);
    if (path === '/healthz') {
      return telemetry.phase() === 'stopped' ? send(res, 503, 'stopped\n') : send(res, 200, 'ok\n');
    }
    const r = telemetry.readiness();
    return send(res, r.ready ? 200 : 503, `${r.reason}\n`);
  }

  return {
    async listen() {
      const s = http.createServer({ requestTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
        handle(req, res).catch((err: Error) => {
          if (opts.log) toLogger(opts.log).error(`telemetry: ${req.method} ${req.url?.slice(0, 100)}: ${err.message}`);
          if (!res.headersSent) send(res, 500, 'internal error\n');
          else res.destroy();
        });
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(new Error(`${where}: cannot listen on ${opts.host ?? ''}:${opts.port}: ${err.code ?? err.message}`)),
        );
        s.listen({ host: opts.host, port: opts.port }, () => resolve());
      });
      server = s;
      const a = s.address() as AddressInfo;
      return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    },
    async close() {
      const s = server;
      if (s === undefined) return;
      server = undefined;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
      await closed;
    },
  };
}
