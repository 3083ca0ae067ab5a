// A FAKE OTLP/HTTP logs receiver for `npm run bench -- --peer`: it takes protobuf requests (gzip or
// not), counts their log records (a protobuf walk, nothing kept) and answers 200 at once. Both
// pipelines of the peer bench send into the same one, so what they pay for the sink is the same.
// Not a collector: it stores nothing and validates nothing beyond the framing.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { countLogRecords } from './fake-slow-otlp-sink.ts';

export interface CountingSink {
  readonly url: string;
  /** Log records of the requests answered 200 since the last reset(). */
  readonly records: number;
  /** Requests answered 400 (not protobuf, bad gzip): a run with any is not measured. */
  readonly badRequests: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  let records = 0;
  let badRequests = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      try {
        const raw = Buffer.concat(parts);
        const body = /gzip/i.test(String(req.headers['content-encoding'] ?? '')) ? zlib.gunzipSync(raw) : raw;
        records += countLogRecords(body);
      } catch (err) {
        badRequests++;
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`counting sink: ${(err as Error).message}\n`);
        return;
      }
      // an empty ExportLogsServiceResponse: both clients read "no partial success"
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
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
    get records() {
      return records;
    },
    get badRequests() {
      return badRequests;
    },
    reset() {
      records = 0;
      badRequests = 0;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
