// The webhook source: an HTTP(S) server Tracee's webhook output POSTs events to. One request =
// one `ingest` call; the answer says what became of its events:
//   200  every valid event is in every exporter's queue (body lists the invalid lines, if any)
//   400  the body holds no valid event (reasons per line)
//   401  authentication required / wrong (WWW-Authenticate)
//   404  another path (when `path` is set)   405  not POST   415  Content-Encoding other than identity
//   413  body over max_body_bytes
//   503  the queues stayed full for max_queue_wait_ms (Retry-After), or the source is shutting down
// Tracee never retries and only logs a non-200, so good events of a partly bad body are accepted.

import fs from 'node:fs';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  countRefusal,
  createClientCap,
  createClientLogThrottle,
  destroyAfter,
  type RefusalCounts,
  type RefusalReason,
} from '../listener-guard.ts';
import { readRecords, type InputRecord } from '../read-records.ts';
import type { Ingest } from '../types.ts';
import { createAuthenticator } from './auth.ts';
import { readBody } from './body.ts';
import { parseListen, WEBHOOK_DEFAULTS, type WebhookSourceConfig } from './config.ts';
import { listRejections, sendJson } from './respond.ts';
import { toLogger } from '../../util/log.ts';

/** At most one log line per refusal reason per interval (a flood of connections is one line, counted in full). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface WebhookStats {
  requests: number;
  /** Answers sent, by HTTP status. */
  responses: Record<number, number>;
  /** Events accepted by every queue / invalid / waiting in a full queue at the 503 / refused by a 503. */
  events: { accepted: number; rejected: number; waiting: number; refused: number };
  /** Requests whose client went away before the answer was sent. */
  clientGone: number;
  /** Connections refused or cut before carrying a request, all reasons (= sum of refusedBy). */
  connectionsRefused: number;
  /** The same by reason: max_connections, per_client, header_timeout, request_timeout, tls_handshake, bad_request. */
  refusedBy: RefusalCounts;
  inFlight: number;
}

export interface WebhookSource {
  /** Start listening; resolves with the URL to give Tracee (path `/` when any path is accepted). */
  listen(): Promise<string>;
  /** Stop accepting connections, let in-flight requests finish (bounded), then resolve. */
  close(): Promise<void>;
  stats(): WebhookStats;
}

export interface WebhookDeps {
  ingest: Ingest;
  log(line: string): void;
  /** Where the config came from, for error messages (e.g. "sources[1]"). */
  where?: string;
}

export function createWebhookSource(cfg: WebhookSourceConfig, deps: WebhookDeps): WebhookSource {
  const where = deps.where ?? 'webhook';
  const log = toLogger(deps.log);
  const addr = parseListen(cfg.listen ?? WEBHOOK_DEFAULTS.listen, `${where}.listen`);
  const maxBody = cfg.max_body_bytes ?? WEBHOOK_DEFAULTS.maxBodyBytes;
  const maxWait = cfg.max_queue_wait_ms ?? WEBHOOK_DEFAULTS.maxQueueWaitMs;
  const retryAfter = String(Math.max(1, Math.ceil(maxWait / 1000)));
  const auth = createAuthenticator(cfg.auth);
  const tls = cfg.tls !== undefined;
  const clientAuth = cfg.tls?.client_auth ?? 'none';
  if (clientAuth !== 'none' && cfg.tls?.client_ca_file === undefined)
    throw new Error(
      `${where}.tls.client_auth ${clientAuth}: set tls.client_ca_file (the CA client certificates must chain to)`,
    );
  if (clientAuth === 'optional' && auth === undefined)
    throw new Error(
      `${where}.tls.client_auth optional: set auth too (what a client without a certificate must give); use required to admit certificates only`,
    );
  const headerTimeout = cfg.header_timeout_ms ?? WEBHOOK_DEFAULTS.headerTimeoutMs;
  const requestTimeout = cfg.request_timeout_ms ?? WEBHOOK_DEFAULTS.requestTimeoutMs;
  const idleTimeout = cfg.keep_alive_timeout_ms ?? WEBHOOK_DEFAULTS.keepAliveTimeoutMs;
  const perClient = createClientCap(cfg.max_connections_per_client ?? WEBHOOK_DEFAULTS.maxConnectionsPerClient);
  /** Sockets whose request headers arrived and whose answer is not sent yet: a timeout then is the request's, not the headers'. */
  const inRequest = new WeakSet<Socket>();
  /** TLS sockets whose handshake failed (counted once, as tls_handshake). */
  const tlsFailed = new WeakSet<Socket>();
  /** Raw sockets destroyed over the per-client cap (their TLS wrapper then reports a reset). */
  const capRefused = new WeakSet<Socket>();
  /** Per-request lines (4xx/5xx answers, partly bad bodies) are throttled per client address. */
  const requestLog = createClientLogThrottle(deps.log, 'webhook');
  const st: WebhookStats = {
    requests: 0,
    responses: {},
    events: { accepted: 0, rejected: 0, waiting: 0, refused: 0 },
    clientGone: 0,
    connectionsRefused: 0,
    refusedBy: {},
    inFlight: 0,
  };
  /** Connection-level refusals are counted by reason; logged one line per reason per interval, then a count. */
  const refusalLog = log.limited({ intervalMs: REFUSAL_LOG_INTERVAL_MS });
  function refused(reason: RefusalReason, who: string, why: string): void {
    st.connectionsRefused++;
    countRefusal(st.refusedBy, reason);
    // the shared repeat limiter (src/util/log.ts): per reason, the first line, then "(N more in the last 10s)"
    refusalLog.warn(reason, `webhook: connection from ${who} refused: ${why}`, { client: who, reason });
  }

  let closing = false;
  let idle: (() => void) | undefined; // resolves close() once no request is in flight
  let server: http.Server | undefined;

  function handler(req: IncomingMessage, res: ServerResponse): void {
    const n = ++st.requests;
    st.inFlight++;
    inRequest.add(req.socket);
    res.on('close', () => {
      inRequest.delete(req.socket);
      st.inFlight--;
      if (res.writableFinished) st.responses[res.statusCode] = (st.responses[res.statusCode] ?? 0) + 1;
      else st.clientGone++;
      if (closing) server?.closeIdleConnections();
      if (st.inFlight === 0) idle?.();
    });
    handle(req, res, n).catch((err: Error) => {
      log.error(`webhook: request #${n}: internal error: ${err.message}`);
      answer(res, 500, { error: 'internal error' });
    });
  }

  /** Once shutting down, every answer closes its connection. */
  function answer(
    res: ServerResponse,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): void {
    sendJson(res, status, body, closing ? { ...headers, connection: 'close' } : headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, n: number): Promise<void> {
    const pathname = pathOf(req.url);
    const shown = pathname.length > 200 ? `${pathname.slice(0, 200)}…` : pathname; // a client picks it: bound what is logged
    const detail = `${req.method} ${shown} from ${peer(req.socket)} #${n}`;
    const refuse = (
      status: number,
      error: string,
      headers: Record<string, string> = {},
      extra: Record<string, unknown> = {},
    ) => {
      requestLog.note(req.socket.remoteAddress ?? '?', `webhook: ${detail}: ${status} ${error}`);
      answer(res, status, { error, ...extra }, headers);
    };
    if (closing) return refuse(503, 'shutting down', { 'retry-after': retryAfter, connection: 'close' });
    if (cfg.path !== undefined && pathname !== cfg.path) return refuse(404, `no such path (events go to ${cfg.path})`);
    if (req.method !== 'POST') return refuse(405, 'only POST is accepted', { allow: 'POST' });
    // client_auth optional: a valid client certificate stands for the credentials
    const certified = clientAuth !== 'none' && (req.socket as TLSSocket).authorized === true;
    if (auth !== undefined && !certified && !auth.check(req.headers.authorization)) {
      return refuse(401, req.headers.authorization === undefined ? 'authentication required' : 'wrong credentials', {
        'www-authenticate': auth.challenge,
      });
    }
    const enc = req.headers['content-encoding'];
    if (enc !== undefined && enc.trim().toLowerCase() !== 'identity')
      return refuse(415, `Content-Encoding ${enc} is not supported`);
    /** The body is not kept, and Tracee does not resend: its loss is one rejection with its origin (dead letter, metrics). */
    const tooLarge = async () => {
      const reason = `body larger than ${maxBody} bytes (answered 413, not read)`;
      const r = await deps.ingest([
        { kind: 'error', code: 'too_large', reason, origin: { source: 'webhook', detail } },
      ]);
      st.events.rejected += r.rejected.length;
      refuse(413, `body larger than ${maxBody} bytes`, { connection: 'close' });
      // the rest of the body is not read: the socket goes once the answer is out (not at the client's pace)
      // (a short grace lets the client read the 413 before the reset the unread bytes cause)
      res.once('finish', () => {
        req.socket.end();
        setTimeout(() => req.socket.destroy(), 1_000).unref();
      });
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody) return tooLarge();
    const body = await readBody(req, maxBody);
    if (!body.ok) {
      if (body.why === 'too_large') return tooLarge();
      log.info(`webhook: ${detail}: client went away before the body was read`);
      return;
    }
    // Any Content-Type is read: Tracee lets users pick it (?contentType=), the body is what counts.
    const records: InputRecord[] = [];
    for await (const r of readRecords(once(body.body), 'webhook', {
      maxLineBytes: maxBody,
      maxDocumentBytes: maxBody,
    })) {
      r.origin = { source: 'webhook', line: r.origin.line, detail };
      records.push(r);
    }
    if (records.length === 0) return refuse(400, 'empty body: no event', {}, { rejected: [] });

    const wait = new AbortController();
    const timer = setTimeout(() => wait.abort(), maxWait);
    const result = await deps
      .ingest(records, {
        signal: wait.signal,
        refuseRestAs: `not accepted: exporter queues full for ${maxWait} ms (webhook answered 503)`,
      })
      .finally(() => clearTimeout(timer));
    st.events.accepted += result.accepted;
    st.events.rejected += result.rejected.length;
    st.events.waiting += result.waiting;
    st.events.refused += result.refused;
    const counts = { accepted: result.accepted, ...listRejections(result.rejected) };
    if (result.interrupted) {
      return refuse(
        503,
        `exporter queues full for ${maxWait} ms`,
        { 'retry-after': retryAfter },
        { ...counts, waiting: result.waiting, refused: result.refused },
      );
    }
    if (result.accepted === 0) return refuse(400, 'no valid event in the body', {}, counts);
    if (result.rejected.length > 0) {
      requestLog.note(
        req.socket.remoteAddress ?? '?',
        `webhook: ${detail}: 200 with ${result.rejected.length} of ${result.rejected.length + result.accepted} event(s) rejected`,
      );
    }
    answer(res, 200, counts);
  }

  return {
    async listen() {
      let options: https.ServerOptions = {};
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
        options = { cert: read('cert_file'), key: read('key_file'), handshakeTimeout: headerTimeout };
        if (clientAuth !== 'none') {
          options = {
            ...options,
            ca: read('client_ca_file'),
            requestCert: true,
            rejectUnauthorized: clientAuth === 'required',
          };
        }
      }
      const common: http.ServerOptions = {
        headersTimeout: headerTimeout,
        requestTimeout: Math.max(requestTimeout, headerTimeout),
        keepAliveTimeout: idleTimeout,
        // how often Node checks the two timeouts above (default 30 s: a header timeout of 10 s would be up to 40 s)
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headerTimeout / 4))),
      };
      const s = tls ? https.createServer({ ...options, ...common }, handler) : http.createServer(common, handler);
      s.maxConnections = cfg.max_connections ?? WEBHOOK_DEFAULTS.maxConnections;
      s.on('drop', (d?: { remoteAddress?: string; remotePort?: number }) => {
        refused(
          'max_connections',
          `${d?.remoteAddress ?? '?'}:${d?.remotePort ?? '?'}`,
          `${s.maxConnections} connection(s) already (max_connections)`,
        );
      });
      // before http's own listener: a client over its cap never reaches the HTTP parser (or the TLS handshake)
      s.prependListener('connection', (socket: Socket) => {
        if (perClient.admit(socket)) return;
        capRefused.add(socket);
        refused(
          'per_client',
          peer(socket),
          `${perClient.open(socket.remoteAddress ?? '?')} connection(s) from this address already (max_connections_per_client)`,
        );
        socket.destroy();
      });
      s.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        if (tlsFailed.has(socket)) {
          socket.destroy();
          return;
        } // counted as tls_handshake
        if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
          const mid = inRequest.has(socket);
          refused(
            mid ? 'request_timeout' : 'header_timeout',
            peer(socket),
            mid
              ? `request not received within ${requestTimeout} ms (request_timeout_ms)`
              : `headers not received within ${headerTimeout} ms (header_timeout_ms)`,
          );
          destroyAfter(
            socket,
            mid ? undefined : 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
          );
          return;
        }
        if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
          socket.destroy();
          return;
        }
        if (!inRequest.has(socket)) refused('bad_request', peer(socket), `not HTTP (${err.code ?? 'parse error'})`);
        destroyAfter(
          socket,
          inRequest.has(socket)
            ? undefined
            : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
      });
      if (tls) {
        // before https's own listener, which re-emits it as clientError: counted once, as a TLS failure
        s.prependListener('tlsClientError', (err: NodeJS.ErrnoException, socket: Socket) => {
          tlsFailed.add(socket);
          // a socket we destroyed over its per-client cap fails its handshake too: counted as per_client already
          if (!capRefused.has((socket as Socket & { _parent?: Socket })._parent ?? socket))
            refused('tls_handshake', peer(socket), `TLS handshake failed: ${err.code ?? err.message}`);
          socket.destroy();
        });
      }
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            new Error(
              `${where}: cannot listen on ${cfg.listen ?? WEBHOOK_DEFAULTS.listen}: ${err.code ?? err.message}`,
            ),
          ),
        );
        s.listen({ host: addr.host, port: addr.port }, () => resolve());
      });
      server = s;
      const a = s.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return `${tls ? 'https' : 'http'}://${host}:${a.port}${cfg.path ?? '/'}`;
    },

    async close() {
      if (server === undefined || closing) return;
      refusalLog.stop();
      closing = true;
      const s = server;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeIdleConnections();
      // In-flight requests end within max_queue_wait_ms once their body is read; a client still
      // sending (or reading) after that grace is cut.
      const force = setTimeout(() => s.closeAllConnections(), maxWait + 5_000);
      if (st.inFlight > 0)
        await new Promise<void>((resolve) => {
          idle = resolve;
        });
      s.closeIdleConnections();
      await closed;
      clearTimeout(force);
      requestLog.flush();
    },

    stats() {
      return { ...st, responses: { ...st.responses }, events: { ...st.events }, refusedBy: { ...st.refusedBy } };
    },
  };
}

/** The request's path without its query string (Tracee posts to the URL it was given, query included). */
function pathOf(url: string | undefined): string {
  if (url === undefined || url === '') return '/';
  if (/^https?:\/\//i.test(url)) {
    // absolute form (through a proxy)
    try {
      return new URL(url).pathname;
    } catch {
      /* fall through */
    }
  }
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

function peer(s: Socket): string {
  const a = s.remoteAddress ?? '?';
  return a.includes(':') ? `[${a}]:${s.remotePort}` : `${a}:${s.remotePort}`;
}
