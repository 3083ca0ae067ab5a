// A FAKE OTLP/HTTP collector for unit tests: records every request (headers, raw and gunzipped
// body) and answers with a scripted behaviour per request. Not a collector: it does not validate
// or store logs; the real collector is used by test/integration.

import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Body as received on the wire. */
  raw: Buffer;
  /** Body after Content-Encoding: gzip is undone. */
  body: Buffer;
  /** Subject CN of the client certificate, when the fake runs TLS and the client sent one. */
  clientCertCN?: string;
}

/** TLS for the fake (PEM); with `ca`, client certificates are requested (not required). */
export interface FakeTlsOptions {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
}

/** How to answer one request. Called after the whole request body has been read. */
export type FakeBehaviour = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

export const fakeOk: FakeBehaviour = (req, res) => {
  res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' });
  res.end(req.headers['content-type'] === 'application/json' ? '{}' : '');
};

export class FakeOtlpHttpServer {
  readonly requests: FakeRequest[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly script: FakeBehaviour[] = [];
  private fallback: FakeBehaviour = fakeOk;

  private readonly tls: boolean;

  private constructor(tls?: FakeTlsOptions) {
    this.tls = tls !== undefined;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(parts);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const fr: FakeRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body };
        if (this.tls) {
          const cn = (req.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
          if (cn) fr.clientCertCN = Array.isArray(cn) ? cn[0] : cn;
        }
        this.requests.push(fr);
        const behave = this.script.shift() ?? this.fallback;
        void Promise.resolve(behave(fr, res)).catch((err) => {
          res.destroy(err as Error);
        });
      });
    };
    this.server = tls
      ? https.createServer(
          { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: false },
          handler,
        )
      : http.createServer(handler);
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(tls?: FakeTlsOptions): Promise<FakeOtlpHttpServer> {
    const f = new FakeOtlpHttpServer(tls);
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    return f;
  }

  get baseUrl(): string {
    const a = this.server.address() as AddressInfo;
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${a.port}`;
  }

  get logsUrl(): string {
    return `${this.baseUrl}/v1/logs`;
  }

  /** The next requests are answered by these behaviours, in order; then by the fallback. */
  next(...behaviours: FakeBehaviour[]): this {
    this.script.push(...behaviours);
    return this;
  }

  always(b: FakeBehaviour): this {
    this.fallback = b;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// Canned behaviours.

export function fakeStatus(
  status: number,
  body: string | Buffer = '',
  headers: Record<string, string> = {},
): FakeBehaviour {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

/** Sends the status line, headers and part of the body, then resets the connection. */
export function fakeResetMidBody(status = 200): FakeBehaviour {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/x-protobuf', 'content-length': '100' });
    res.write(Buffer.alloc(10));
    setTimeout(() => res.socket?.resetAndDestroy(), 20);
  };
}

/** Never answers (until the client gives up or the server closes). */
export const fakeHang: FakeBehaviour = () => {
  /* no answer */
};

/** Answers after `ms`. */
export function fakeSlow(ms: number, answer: FakeBehaviour = fakeOk): FakeBehaviour {
  return (req, res) =>
    new Promise<void>((resolve) => {
      setTimeout(() => {
        if (!res.destroyed && !res.socket?.destroyed) void answer(req, res);
        resolve();
      }, ms);
    });
}
