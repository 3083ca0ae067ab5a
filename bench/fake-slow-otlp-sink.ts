// A FAKE OTLP/HTTP logs receiver with a throughput limit, for the soak benchmark: it counts the log
// records of each request (a protobuf walk, nothing kept) and answers 200 once the records "went
// through a pipe" of `ratePerSec` events/s shared by all connections. It can be taken down: answer
// 503 (with Retry-After), or stop listening and drop connections (connection refused) until up().
// A request the client abandoned (its timeout) still used the pipe but is not counted as accepted.
// Not a collector: it stores nothing and validates nothing beyond the framing.

import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';

export type OutageMode = '503' | 'refuse';

export interface FakeSlowSink {
  readonly url: string;
  /** Log records answered 200 (accepted). */
  readonly accepted: number;
  /** Requests answered 503 or cut while down. */
  readonly refusedRequests: number;
  readonly requests: number;
  down(mode: OutageMode): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

function varint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[at++];
    v += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) return [v, at];
    shift += 7;
  }
}

/** Calls `f(from, to)` for every length-delimited field number `field` of the message in b[from, to). */
function eachField(b: Uint8Array, from: number, to: number, field: number, f: (s: number, e: number) => void): void {
  let at = from;
  while (at < to) {
    let key: number;
    [key, at] = varint(b, at);
    const wire = key & 7;
    if (wire === 0) {
      [, at] = varint(b, at);
      continue;
    }
    if (wire === 1) {
      at += 8;
      continue;
    }
    if (wire === 5) {
      at += 4;
      continue;
    }
    if (wire !== 2) throw new Error(`unsupported wire type ${wire}`);
    let len: number;
    [len, at] = varint(b, at);
    if (key >>> 3 === field) f(at, at + len);
    at += len;
  }
}

/** ExportLogsServiceRequest.resource_logs(1).scope_logs(2).log_records(2): how many. */
export function countLogRecords(b: Uint8Array): number {
  let n = 0;
  eachField(b, 0, b.length, 1, (rs, re) =>
    eachField(b, rs, re, 2, (ss, se) =>
      eachField(b, ss, se, 2, () => {
        n++;
      }),
    ),
  );
  return n;
}

export async function startFakeSlowSink(ratePerSec: number): Promise<FakeSlowSink> {
  let isDown: OutageMode | undefined;
  let accepted = 0;
  let refusedRequests = 0;
  let requests = 0;
  let pipeFreeAt = 0; // when the shared pipe has drained what it was given (performance.now ms)
  const sockets = new Set<Socket>();
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      requests++;
      if (isDown !== undefined) {
        refusedRequests++;
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' });
        res.end('fake sink down\n');
        return;
      }
      let n: number;
      try {
        const body = Buffer.concat(parts);
        n = countLogRecords(req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(body) : body);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`fake sink: ${(err as Error).message}\n`);
        return;
      }
      const now = performance.now();
      pipeFreeAt = Math.max(pipeFreeAt, now) + (n / ratePerSec) * 1000;
      setTimeout(() => {
        if (res.destroyed || req.socket.destroyed) return; // the client gave up (timeout): not accepted, it will resend
        if (isDown !== undefined) {
          // went down while this request waited in the pipe
          refusedRequests++;
          res.writeHead(503, { 'retry-after': '1' });
          res.end();
          return;
        }
        accepted += n;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
      }, pipeFreeAt - now);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get refusedRequests() {
      return refusedRequests;
    },
    get requests() {
      return requests;
    },
    async down(mode) {
      isDown = mode;
      if (mode === 'refuse') {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
      }
    },
    async up() {
      const was = isDown;
      isDown = undefined;
      pipeFreeAt = 0;
      if (was === 'refuse') await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      const closed = server.listening
        ? new Promise<void>((resolve) => server.close(() => resolve()))
        : Promise.resolve();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
