// The forward source: a TCP (or TLS) server speaking the Fluent Forward protocol v1, as Tracee's
// `--output forward:tcp://host:24224?tag=tracee` sends to it (IBM/fluent-forward-go, Message mode,
// one `{event: "<event JSON>"}` record per event). Each connection is served by connection.ts.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import type { Ingest } from '../types.ts';
import { parseListen } from '../webhook/config.ts';
import { FORWARD_DEFAULTS, tagMatcher, type ForwardSourceConfig } from './config.ts';
import { emptyStats, serveConnection, type Connection, type ForwardStats } from './connection.ts';
import { createHandshake } from './handshake.ts';

export interface ForwardSource {
  /** Start listening; resolves with the address to give Tracee (`tcp://host:port`, `tls://…` with TLS). */
  listen(): Promise<string>;
  /** Stop accepting, end the connections (a message being taken finishes or is refused), then resolve. */
  close(): Promise<void>;
  stats(): ForwardStats;
}

export interface ForwardDeps {
  ingest: Ingest;
  log(line: string): void;
  /** Where the config came from, for error messages (e.g. "sources[1]"). */
  where?: string;
}

export function createForwardSource(cfg: ForwardSourceConfig, deps: ForwardDeps): ForwardSource {
  const where = deps.where ?? 'forward';
  const listenText = cfg.listen ?? FORWARD_DEFAULTS.listen;
  const addr = parseListen(listenText, `${where}.listen`);
  if (cfg.users !== undefined && cfg.users.length > 0 && cfg.shared_key === undefined) {
    throw new Error(`${where}.users: users are checked in the shared key handshake: set shared_key too`);
  }
  const maxMessageBytes = cfg.max_message_bytes ?? FORWARD_DEFAULTS.maxMessageBytes;
  const handshake = cfg.shared_key === undefined ? undefined
    : createHandshake({ sharedKey: cfg.shared_key, users: cfg.users ?? [], selfHostname: cfg.self_hostname ?? os.hostname() });
  const tagFilter = cfg.tag === undefined ? undefined : { pattern: cfg.tag, test: tagMatcher(cfg.tag) };
  const st = emptyStats();
  const closing = new AbortController();
  const connections = new Set<Connection>();
  let server: net.Server | undefined;
  let nextId = 0;

  function onConnection(socket: Socket): void {
    if (closing.signal.aborted) { socket.destroy(); return; }
    const c = serveConnection(socket, ++nextId, {
      ingest: deps.ingest, log: deps.log, stats: st, closing: closing.signal, maxMessageBytes,
      idleTimeoutMs: cfg.idle_timeout_ms ?? FORWARD_DEFAULTS.idleTimeoutMs, handshake, tagFilter,
    });
    connections.add(c);
    void c.done.finally(() => connections.delete(c));
  }

  return {
    async listen() {
      let s: net.Server;
      if (cfg.tls !== undefined) {
        const read = (key: 'cert_file' | 'key_file') => {
          try { return fs.readFileSync(cfg.tls![key]); } catch (err) { throw new Error(`${where}.tls.${key}: cannot read ${JSON.stringify(cfg.tls![key])}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`); }
        };
        s = tls.createServer({ cert: read('cert_file'), key: read('key_file') }, onConnection);
        s.on('tlsClientError', (err: Error, socket: Socket) => {
          deps.log(`forward: TLS handshake with ${socket.remoteAddress ?? '?'} failed: ${err.message}`);
        });
      } else {
        s = net.createServer(onConnection);
      }
      s.maxConnections = cfg.max_connections ?? FORWARD_DEFAULTS.maxConnections;
      s.on('drop', (d?: { remoteAddress?: string; remotePort?: number }) => {
        st.connections.refused++;
        deps.log(`forward: connection from ${d?.remoteAddress ?? '?'}:${d?.remotePort ?? '?'} refused: ${s.maxConnections} connections already (max_connections)`);
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`${where}: cannot listen on ${listenText}: ${err.code ?? err.message}`)));
        s.listen({ host: addr.host, port: addr.port }, () => resolve());
      });
      s.on('error', (err: Error) => deps.log(`forward: server error: ${err.message}`));
      server = s;
      const a = s.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return `${cfg.tls ? 'tls' : 'tcp'}://${host}:${a.port}`;
    },

    async close() {
      if (server === undefined || closing.signal.aborted) return;
      closing.abort();
      const s = server;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      for (const c of connections) c.end();
      const all = Promise.all([...connections].map((c) => c.done));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), FORWARD_DEFAULTS.closeGraceMs); });
      if ((await Promise.race([all, grace])) === 'late') {
        deps.log(`forward: ${connections.size} connection(s) still open ${FORWARD_DEFAULTS.closeGraceMs} ms after close: cut`);
        // the sockets are destroyed by their own 2 s timers; wait for them
        await all;
      }
      clearTimeout(timer);
      await closed;
    },

    stats() {
      return {
        ...st,
        connections: { ...st.connections, closed: { ...st.connections.closed } },
        messages: { ...st.messages },
        handshakes: { ...st.handshakes },
        events: { ...st.events },
      };
    },
  };
}
