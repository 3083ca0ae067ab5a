// A TCP proxy that fakes an outage of a real server (for crash and outage tests; the shared
// Elasticsearch and collector are never stopped). While down, every connection is reset at once
// (the client sees ECONNRESET) and open forwarded connections are cut; while up, bytes are piped to
// the target unchanged (each chunk toward the target held `delayMs` first when slowed).

import net from 'node:net';

export interface FakeOutageProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly isUp: boolean;
  up(): void;
  /** Go down: reset new connections and cut the forwarded ones. */
  down(): void;
  /** Hold each chunk sent toward the target this long (0: no delay), e.g. to make a replay last. */
  slow(delayMs: number): void;
  readonly counts: { reset: number; forwarded: number };
  close(): Promise<void>;
}

export async function createFakeOutageProxy(
  target: { host: string; port: number },
  opts: { up?: boolean } = {},
): Promise<FakeOutageProxy> {
  let isUp = opts.up ?? false;
  let delayMs = 0;
  const counts = { reset: 0, forwarded: 0 };
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!isUp) {
      counts.reset++;
      client.resetAndDestroy();
      return;
    }
    counts.forwarded++;
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (delayMs === 0) {
        upstream.write(chunk);
        return;
      }
      client.pause();
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
        client.resume();
      }, delayMs);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get isUp() {
      return isUp;
    },
    up() {
      isUp = true;
    },
    slow(ms) {
      delayMs = ms;
    },
    down() {
      isUp = false;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
