// A fake Elasticsearch HTTP server for unit tests: records every request and answers with a scripted reply
// (status/body/headers, a connection reset, or no answer at all). Every 2xx carries x-elastic-product so the
// client's product check passes.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface FakeEsRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type FakeReply = { status: number; body?: unknown; headers?: Record<string, string> } | 'reset' | 'hang';

export type FakeHandler = (req: FakeEsRequest, index: number) => FakeReply | undefined;

export interface BulkLine {
  action: Record<string, { _index: string; _id: string }>;
  doc: Record<string, unknown>;
}

export function parseBulk(body: string): BulkLine[] {
  const lines = body.split('\n').filter((l) => l !== '');
  const out: BulkLine[] = [];
  for (let i = 0; i < lines.length; i += 2) out.push({ action: JSON.parse(lines[i]), doc: JSON.parse(lines[i + 1]) });
  return out;
}

/** A 200 bulk answer with one item per action; `status(i)` gives each item's status and optional error. */
export function bulkReply(
  body: string,
  item: (i: number, line: BulkLine) => { status: number; error?: unknown } = () => ({ status: 201 }),
): FakeReply {
  const lines = parseBulk(body);
  const items = lines.map((l, i) => ({
    create: { _index: l.action.create._index, _id: l.action.create._id, ...item(i, l) },
  }));
  return { status: 200, body: { errors: items.some((x) => x.create.status >= 300), took: 1, items } };
}

export class FakeElasticsearch {
  readonly requests: FakeEsRequest[] = [];
  handler: FakeHandler = () => undefined;
  #server: Server;
  #sockets = new Set<Socket>();

  #scheme: 'http' | 'https';

  /** With `tls`, an https server (key + certificate chain in PEM). */
  constructor(tls?: { key: string | Buffer; cert: string | Buffer }) {
    this.#scheme = tls ? 'https' : 'http';
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res);
    };
    this.#server = tls ? createTlsServer(tls, handler) : createServer(handler);
    this.#server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `${this.#scheme}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get bulkRequests(): FakeEsRequest[] {
    return this.requests.filter((r) => r.path === '/_bulk');
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const u = new URL(req.url ?? '/', 'http://x');
      const r: FakeEsRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: raw.toString('utf8'),
      };
      const index = this.requests.push(r) - 1;
      const reply = this.handler(r, index) ?? this.#default(r);
      if (reply === 'reset') {
        req.socket.destroy();
        return;
      }
      if (reply === 'hang') return;
      const payload =
        reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'content-type': 'application/json',
        'x-elastic-product': 'Elasticsearch',
        ...reply.headers,
      });
      res.end(payload);
    });
  }

  #default(r: FakeEsRequest): FakeReply {
    if (r.path === '/_bulk') return bulkReply(r.body);
    if (r.method === 'PUT') return { status: 200, body: { acknowledged: true } };
    return {
      status: 404,
      body: { error: { type: 'resource_not_found_exception', reason: `no ${r.path}` }, status: 404 },
    };
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
