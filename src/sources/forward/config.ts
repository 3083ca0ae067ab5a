// The forward source's configuration (run config `sources: [{ type: forward, … }]`) and its defaults.

export interface ForwardSourceConfig {
  type: 'forward';
  /** `host:port`, `[v6]:port` or `:port`. Default 127.0.0.1:24224; use 0.0.0.0:24224 in a pod. */
  listen?: string;
  /**
   * Only messages with this tag are taken (Tracee: `?tag=`, default `tracee`). `*` matches one
   * dot-separated part, `**` any number of parts. Omitted: every tag. Others are rejected.
   */
  tag?: string;
  /** Largest message on the wire, and largest decompressed entries (default 8 MiB). */
  max_message_bytes?: number;
  /** Connections served at once (default 64); more are closed at once and counted. */
  max_connections?: number;
  /** A connection that completes no message for this long is closed, trickled bytes or not (default 300000 ms; 0 = never). */
  idle_timeout_ms?: number;
  /** Require the Forward v1 handshake with this shared key (HELO / PING / PONG). */
  shared_key?: string;
  /** With shared_key: also require one of these users in the handshake. */
  users?: Array<{ username: string; password: string }>;
  /** The hostname the server gives in PONG (default: the machine's hostname). */
  self_hostname?: string;
  /** Connections one client address may hold at once (default 16; 0 = no cap besides max_connections). */
  max_connections_per_client?: number;
  /** A message whose first byte arrived must be complete within this (default 30000 ms; 0 = never); also the TLS handshake timeout. */
  message_timeout_ms?: number;
  /** `client_auth: required` + `client_ca_file`: a client without a valid certificate is refused at the TLS handshake. */
  tls?: { cert_file: string; key_file: string; client_ca_file?: string; client_auth?: 'none' | 'optional' | 'required' };
}

export const FORWARD_DEFAULTS = {
  listen: '127.0.0.1:24224',
  maxMessageBytes: 8 * 1024 * 1024,
  maxConnections: 64,
  idleTimeoutMs: 300_000,
  maxConnectionsPerClient: 16,
  // Tracee writes one small message at a time: 30 s for one message is generous, and bounds how
  // long a slowloris client (a message trickled a byte at a time) holds a slot
  messageTimeoutMs: 30_000,
  /** How long close() waits for connections to finish their message before cutting them. */
  closeGraceMs: 5_000,
} as const;

/** A tag pattern → a test. Fluentd's match syntax, reduced: `a.*` one part, `a.**` any parts. */
export function tagMatcher(pattern: string | undefined): (tag: string) => boolean {
  if (pattern === undefined) return () => true;
  const re = pattern.split('.').map((part) => (part === '**' ? '.*' : part.split('*').map(escapeRe).join('[^.]*'))).join('\\.')
    .replace(/\\\.\.\*$/, '(?:\\..*)?').replace(/^\.\*\\\./, '(?:.*\\.)?');
  const compiled = new RegExp(`^${re}$`);
  return (tag) => compiled.test(tag);
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
