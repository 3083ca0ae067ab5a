// The forward source: a TCP (or TLS) server speaking the Fluent Forward protocol v1, as Tracee's
// `--output forward:tcp://host:24224?tag=tracee` sends to it (IBM/fluent-forward-go, Message mode,
// one `{event: "<event JSON>"}` record per event). Each connection is served by connection.ts.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import type { Ingest } from '../types.ts';
import { countRefusal, createClientCap, type RefusalReason } from '../listener-guard.ts';
import { parseListen } from '../webhook/config.ts';
import { FORWARD_DEFAULTS, tagMatcher, type ForwardSourceConfig } from './config.ts';
import { emptyStats, serveConnection, type Connection, type ForwardStats } from './connection.ts';
import { createHandshake } from './handshake.ts';
import { toLogger } from '../../util/log.ts';

/** At most one log line per refusal reason per interval (a flood of connections is one line, counted in full). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

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
  const log = toLogger(deps.log);
  const listenText = cfg.listen ?? FORWARD_DEFAULTS.listen;
  const addr = parseListen(listenText, `${where}.listen`);
  if (cfg.users !== undefined && cfg.users.length > 0 && cfg.shared_key === undefined) {
    throw new Error(`${where}.users: users are checked in the shared key handshake: set shared_key too`);
  }
  const maxMessageBytes = cfg.max_message_bytes ?? FORWARD_DEFAULTS.maxMessageBytes;
  const handshake =
    cfg.shared_key === undefined
      ? undefined
      : createHandshake({
          sharedKey: cfg.shared_key,
          users: cfg.users ?? [],
          selfHostname: cfg.self_hostname ?? os.hostname(),
        });
  const tagFilter = cfg.tag === undefined ? undefined : { pattern: cfg.tag, test: tagMatcher(cfg.tag) };
  const st = emptyStats();
  const closing = new AbortController();
  const connections = new Set<Connection>();
  let server: net.Server | undefined;
  let nextId = 0;
  const messageTimeoutMs = cfg.message_timeout_ms ?? FORWARD_DEFAULTS.messageTimeoutMs;
  const clientAuth = cfg.tls?.client_auth ?? 'none';
  if (clientAuth === 'optional')
    throw new Error(`${where}.tls.client_auth optional: not supported on a forward source (required or none)`);
  if (clientAuth === 'required' && cfg.tls?.client_ca_file === undefined)
    throw new Error(
      `${where}.tls.client_auth required: set tls.client_ca_file (the CA client certificates must chain to)`,
    );
  /** Raw sockets destroyed over the per-client cap (their TLS wrapper then reports a reset). */
  const capRefused = new WeakSet<Socket>();
  const perClient = createClientCap(cfg.max_connections_per_client ?? FORWARD_DEFAULTS.maxConnectionsPerClient);
  /** Connection-level refusals: counted by reason; logged one line per reason per interval, then a count. */
  const refusalLog = log.limited({ intervalMs: REFUSAL_LOG_INTERVAL_MS });
  function refused(reason: RefusalReason, who: string, why: string): void {
    st.connections.refused++;
    countRefusal(st.connections.refusedBy, reason);
    // the shared repeat limiter (src/util/log.ts): per reason, the first line, then "(N more in the last 10s)"
    if (reason !== 'message_timeout')
      refusalLog.warn(reason, `forward: connection from ${who} refused: ${why}`, { client: who, reason });
  }

  function onConnection(socket: Socket): void {
    if (closing.signal.aborted || socket.destroyed) {
      socket.destroy();
      return;
    }
    const c = serveConnection(socket, ++nextId, {
      ingest: deps.ingest,
      log: deps.log,
      stats: st,
      closing: closing.signal,
      maxMessageBytes,
      idleTimeoutMs: cfg.idle_timeout_ms ?? FORWARD_DEFAULTS.idleTimeoutMs,
      messageTimeoutMs,
      refused,
      handshake,
      tagFilter,
    });
    connections.add(c);
    void c.done.finally(() => connections.delete(c));
  }

  return {
    async listen() {
      let s: net.Server;
      if (cfg.tls !== undefined) {
        const read = (key: 'cert_file' | 'key_file' | 'client_ca_file') => {
          try {
            return fs.readFileSync(cfg.tls![key]!);
          } catch (err) {
            throw new Error(
              `${where}.tls.${key}: cannot read ${JSON.stringify(cfg.tls![key])}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            );
          }
        };
        s = tls.createServer(
          {
            cert: read('cert_file'),
            key: read('key_file'),
            handshakeTimeout: messageTimeoutMs > 0 ? messageTimeoutMs : FORWARD_DEFAULTS.messageTimeoutMs,
            ...(clientAuth === 'required'
              ? { ca: read('client_ca_file'), requestCert: true, rejectUnauthorized: true }
              : {}),
          },
          onConnection,
        );
        s.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Socket) => {
          // a socket we destroyed over its per-client cap fails its handshake too: counted as per_client already
          if (!capRefused.has((socket as Socket & { _parent?: Socket })._parent ?? socket))
            refused(
              'tls_handshake',
              `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
              `TLS handshake failed: ${err.code ?? err.message}`,
            );
          socket.destroy();
        });
      } else {
        s = net.createServer(onConnection);
      }
      s.maxConnections = cfg.max_connections ?? FORWARD_DEFAULTS.maxConnections;
      s.on('drop', (d?: { remoteAddress?: string; remotePort?: number }) => {
        refused(
          'max_connections',
          `${d?.remoteAddress ?? '?'}:${d?.remotePort ?? '?'}`,
          `${s.maxConnections} connections already (max_connections)`,
        );
      });
      // before the server's own listener: a client over its cap never reaches the TLS handshake or the protocol
      s.prependListener('connection', (socket: Socket) => {
        if (perClient.admit(socket)) return;
        capRefused.add(socket);
        refused(
          'per_client',
          `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
          `${perClient.open(socket.remoteAddress ?? '?')} connections from this address already (max_connections_per_client)`,
        );
        socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(new Error(`${where}: cannot listen on ${listenText}: ${err.code ?? err.message}`)),
        );
        s.listen({ host: addr.host, port: addr.port }, () => resolve());
      });
      s.on('error', (err: Error) => log.error(`forward: server error: ${err.message}`));
      server = s;
      const a = s.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return `${cfg.tls ? 'tls' : 'tcp'}://${host}:${a.port}`;
    },

    async close() {
      if (server === undefined || closing.signal.aborted) return;
      refusalLog.stop();
      closing.abort();
      const s = server;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      for (const c of connections) c.end();
      const all = Promise.all([...connections].map((c) => c.done));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), FORWARD_DEFAULTS.closeGraceMs);
      });
      if ((await Promise.race([all, grace])) === 'late') {
        log.warn(
          `forward: ${connections.size} connection(s) still open ${FORWARD_DEFAULTS.closeGraceMs} ms after close: cut`,
        );
        // the sockets are destroyed by their own 2 s timers; wait for them
        await all;
      }
      clearTimeout(timer);
      await closed;
    },

    stats() {
      return {
        ...st,
        connections: {
          ...st.connections,
          closed: { ...st.connections.closed },
          refusedBy: { ...st.connections.refusedBy },
        },
        messages: { ...st.messages },
        handshakes: { ...st.handshakes },
        events: { ...st.events },
      };
    },
  };
}
