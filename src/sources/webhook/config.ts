// The webhook source's configuration (run config `sources: [{ type: webhook, … }]`) and its defaults.

export interface WebhookSourceConfig {
  type: 'webhook';
  /** `host:port`, `[v6]:port` or `:port` (all interfaces). Default 127.0.0.1:8080; use 0.0.0.0:8080 in a pod. */
  listen?: string;
  /** The one path accepted (the query string is ignored). Omitted: every path is accepted. */
  path?: string;
  /** Largest request body (default 4 MiB); larger → 413. */
  max_body_bytes?: number;
  /** How long a request may wait for room in full exporter queues before the 503 (default 4000 ms). */
  max_queue_wait_ms?: number;
  /** Connections served at once (default 64); more are closed at once and counted. Each may hold max_body_bytes. */
  max_connections?: number;
  /** Connections one client address may hold at once (default 16; 0 = no cap besides max_connections). */
  max_connections_per_client?: number;
  /** The request line and headers must arrive within this (default 10000 ms); then 408 and the socket is destroyed. */
  header_timeout_ms?: number;
  /** The whole request, body included, must arrive within this (default 30000 ms). */
  request_timeout_ms?: number;
  /** A kept-alive connection with no request for this long is closed (default 5000 ms). */
  keep_alive_timeout_ms?: number;
  auth?: { bearer_token?: string; username?: string; password?: string };
  tls?: WebhookTlsConfig;
}

export interface WebhookTlsConfig {
  cert_file: string;
  key_file: string;
  /** CA bundle (PEM) that client certificates must chain to; needed by client_auth optional / required. */
  client_ca_file?: string;
  /**
   * none (default): no client certificate asked. required: a client without a valid certificate is
   * refused at the handshake. optional: a valid certificate OR the `auth` credentials admit a request.
   */
  client_auth?: 'none' | 'optional' | 'required';
}

export const WEBHOOK_DEFAULTS = {
  listen: '127.0.0.1:8080',
  maxBodyBytes: 4 * 1024 * 1024,
  // below Tracee's webhook client timeout (`?timeout=`, default 10 s; 5 s in our examples), so
  // Tracee sees our 503 instead of its own timeout
  maxQueueWaitMs: 4_000,
  // Tracee posts one event at a time on one connection; the cap bounds memory (× max_body_bytes)
  maxConnections: 64,
  // Tracee holds one connection; a proxy in front may hold a few. 64 slowloris sockets from one
  // address then take at most 16 of the 64 slots, and only until the header timeout.
  maxConnectionsPerClient: 16,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
} as const;

export interface ListenAddress { host: string | undefined; port: number }

/** Parses `host:port`, `[::1]:port`, `:port`. Throws a message naming the key on anything else. */
export function parseListen(s: string, where: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`${where}: expected host:port, [ipv6]:port or :port, got ${JSON.stringify(s)}`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
